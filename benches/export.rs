//! Export benchmark: prints figures, asserts nothing about time. Run with
//! `cargo bench --bench export`; `GENSEED_BENCH_EXPORT_USERS` (default 10000) sets the
//! org's size.
//!
//! Applies N users (one skill each) in 10 queues to the in-process emulator with no
//! rate limit, then times `genseed export` and compares its requests with the floor:
//! ceil(objects / 500) list pages per kind (sub-resources per parent).

// A benchmark prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

use genseed::emulator::{EmulatorConfig, EmulatorHandle};

fn main() {
    let users: usize = std::env::var("GENSEED_BENCH_EXPORT_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let queues = 10;
    let mut y = String::from(
        "divisions:\n  - name: Bench Division\n    description: bench\nskills:\n  - name: Bench Skill\nusers:\n",
    );
    for i in 0..users {
        let _ = write!(
            y,
            "  - email: bench.user.{i:06}@example.com\n    name: Bench User {i}\n    division: Bench Division\n    skills: {{Bench Skill: {}}}\n",
            i % 6
        );
    }
    y.push_str("queues:\n");
    for q in 0..queues {
        let _ = writeln!(
            y,
            "  - name: Bench Queue {q}\n    division: Bench Division\n    members:"
        );
        for i in (0..users).filter(|i| i % queues == q) {
            let _ = writeln!(y, "      - bench.user.{i:06}@example.com");
        }
    }
    let project = tempfile::tempdir().unwrap();
    let seeds = project.path().join("seeds");
    std::fs::create_dir_all(&seeds).unwrap();
    std::fs::write(seeds.join("bench.yaml"), y).unwrap();
    let emulator = EmulatorHandle::start_in_thread(EmulatorConfig {
        rate_limit: None,
        ..EmulatorConfig::default()
    })
    .unwrap();
    std::fs::write(
        project.path().join("genseed.yaml"),
        format!(
            "environments:\n  bench:\n    apiUrl: {url}\n    loginUrl: {url}\n    clientIdEnv: BENCH_ID\n    clientSecretEnv: BENCH_SECRET\n    rateLimit: 1000000/min\n",
            url = emulator.base_url()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_genseed"))
            .arg("-C")
            .arg(project.path())
            .args(["--env", "bench", "-q"])
            .args(args)
            .env("BENCH_ID", genseed::emulator::DEFAULT_CLIENT_ID)
            .env("BENCH_SECRET", genseed::emulator::DEFAULT_CLIENT_SECRET)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        started.elapsed()
    };
    run(&["apply", "--auto-approve", "--parallelism", "16"]);
    emulator.clear_requests();
    let out = project.path().join("export");
    let took = run(&["export", "--out", out.to_str().unwrap()]);
    let requests = emulator.requests().len();
    let pages = |n: usize| n.div_ceil(500).max(1);
    // Floor: org + home division, then one listing per kind (pages of 500) and one per
    // queue for members and for wrap-up codes; skills come with the user listing.
    let floor = 2 + pages(users) + 10 * pages(users / queues) * 2 + 12;
    println!(
        "export: {users} users in {queues} queues: {:.2} s, {requests} requests (floor of list pages ≈ {floor}; the rest are per-user role-grant reads)",
        took.as_secs_f64()
    );
}
