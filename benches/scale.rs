//! Scale benchmark: prints figures, asserts nothing about time (timed assertions flake
//! on a busy machine). Run with `cargo bench --bench scale`; `GENSEED_BENCH_USERS`
//! (default 17000) sets the validation size, `GENSEED_BENCH_APPLY_USERS` (default 2000)
//! the apply size.
//!
//! 1. Validation of one manifest with N users (≈2 MB at 17k): wall time and peak RSS.
//! 2. `genseed apply` of M users into queues against the in-process emulator with no
//!    rate limits: wall time, requests, requests per second; then a no-op re-plan.

// A benchmark prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

use genseed::diag::SourceCache;
use genseed::emulator::{EmulatorConfig, EmulatorHandle};

#[path = "support/orggen.rs"]
mod orggen;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn manifest(users: usize, queues: usize) -> String {
    let mut y = String::from(
        "divisions:\n  - name: Bench Division\n    description: bench\nskills:\n  - name: Bench Skill\nusers:\n",
    );
    for i in 0..users {
        let _ = write!(
            y,
            "  - email: bench.user.{i:06}@example.com\n    name: Bench User {i}\n    division: Bench Division\n    title: Agent\n    phones:\n      - number: \"+1202555{:04}\"\n    skills: {{Bench Skill: {}}}\n",
            i % 10_000,
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
    y
}

/// Peak resident memory of this process so far, from /proc (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let users = env_usize("GENSEED_BENCH_USERS", 17_000);
    let dir = tempfile::tempdir().unwrap();
    let bytes = orggen::write_project(
        dir.path(),
        &orggen::OrgShape::new(users),
        "http://127.0.0.1:1",
    )
    .unwrap();
    let seeds = dir.path().join("seeds");
    let started = Instant::now();
    let loaded = genseed::validate::load_with_vars(&seeds, &SourceCache::new(), &BTreeMap::new())
        .unwrap_or_else(|d| panic!("bench manifest invalid: {d:?}"));
    let took = started.elapsed();
    println!(
        "validate: {users} users, {:.1} MiB of YAML, {} declared objects: {:.2} s, peak RSS {:.0} MiB",
        bytes as f64 / (1024.0 * 1024.0),
        loaded.declared.len(),
        took.as_secs_f64(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );

    let apply_users = env_usize("GENSEED_BENCH_APPLY_USERS", 2_000);
    let project = tempfile::tempdir().unwrap();
    let seeds = project.path().join("seeds");
    std::fs::create_dir_all(&seeds).unwrap();
    std::fs::write(seeds.join("bench.yaml"), manifest(apply_users, 10)).unwrap();
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
            out.status.code().is_some_and(|c| c == 0 || c == 2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        started.elapsed()
    };
    let took = run(&["apply", "--auto-approve", "--parallelism", "16"]);
    let requests = emulator.requests().len();
    println!(
        "apply: {apply_users} users in 10 queues against the emulator: {:.2} s, {requests} requests, {:.0} requests/s",
        took.as_secs_f64(),
        requests as f64 / took.as_secs_f64()
    );
    emulator.clear_requests();
    let took = run(&["plan", "--detailed-exitcode"]);
    println!(
        "re-plan (no changes): {:.2} s, {} requests",
        took.as_secs_f64(),
        emulator.requests().len()
    );
}
