//! Export benchmark: prints figures, asserts nothing about time. Run with
//! `cargo bench --bench export`; `GENSEED_BENCH_EXPORT_USERS` (default 10000) sets the
//! org's size.
//!
//! Applies an org from the benchmark org generator (`support/orggen.rs`: divisions,
//! skills, languages, wrap-up codes, roles, queues of 50 members; each user with two
//! skills, a language and a role grant) to the in-process emulator with no rate limit,
//! then times `genseed export` and compares its requests with the floor: ceil(objects /
//! 500) list pages per kind, sub-resources per parent (one page per queue for its
//! members and one for its wrap-up codes, one per role for its holders, built-in roles
//! included), one page for
//! each kind the org has none of, plus the org and its home division.

// A benchmark prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use genseed::emulator::{EmulatorConfig, EmulatorHandle, LoggedRequest};

#[path = "support/orggen.rs"]
mod orggen;

fn pages(n: usize) -> usize {
    n.div_ceil(500).max(1)
}

/// A request's path with IDs as `{id}`, so that requests group by endpoint.
fn endpoint(r: &LoggedRequest) -> String {
    let segs: Vec<&str> = r
        .path
        .split('/')
        .map(|s| {
            if s.len() >= 16 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                "{id}"
            } else {
                s
            }
        })
        .collect();
    format!("{} {}", r.method, segs.join("/"))
}

/// The floor for `shape`: list pages of the kinds the generator fills, the per-parent
/// pages, and `empty_kinds` single pages.
fn floor(shape: &orggen::OrgShape, empty_kinds: usize) -> usize {
    let users = shape.users;
    let roles = shape.roles();
    let top = pages(shape.divisions() + 1) // with the home division
        + pages(shape.skills())
        + pages(shape.languages())
        + pages(shape.wrapup_codes())
        + pages(roles + 2) // with the built-ins `employee` and `admin`
        + pages(users) // active users, skills and languages expanded
        + 1 // the inactive users' listing, empty
        + pages(shape.queues());
    // Each role's holders: the generated roles share the users, the built-ins hold none.
    let per_parent = shape.queues() * 2 + roles * pages(users.div_ceil(roles)) + 2;
    2 + top + per_parent + empty_kinds
}

/// Listings of kinds the generated org has none of (one page each at the floor).
const KNOWN: &[&str] = &[
    "/authorization/divisions",
    "/routing/skills",
    "/routing/languages",
    "/routing/wrapupcodes",
    "/authorization/roles",
    "/users",
    "/routing/queues",
    "/organizations/me",
];

fn main() {
    let users: usize = std::env::var("GENSEED_BENCH_EXPORT_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let shape = orggen::OrgShape::new(users);
    let emulator = EmulatorHandle::start_in_thread(EmulatorConfig {
        rate_limit: None,
        ..EmulatorConfig::default()
    })
    .unwrap();
    let project = tempfile::tempdir().unwrap();
    orggen::write_project(project.path(), &shape, &emulator.base_url()).unwrap();
    // No client-side budget either: the figures are genseed's own cost.
    let config = project.path().join("genseed.yaml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("    rateLimit: 1000000/min\n");
    std::fs::write(&config, text).unwrap();
    let run = |args: &[&str]| -> Duration {
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
    let took = run(&["apply", "--auto-approve", "--parallelism", "16"]);
    println!(
        "setup: applied {users} users in {} queues in {:.1} s",
        shape.queues(),
        took.as_secs_f64()
    );
    emulator.clear_requests();
    let out = project.path().join("export");
    let took = run(&["export", "--out", out.to_str().unwrap()]);
    let log: Vec<LoggedRequest> = emulator
        .requests()
        .into_iter()
        .filter(|r| !r.path.starts_with("/oauth"))
        .collect();
    let mut by_endpoint: BTreeMap<String, usize> = BTreeMap::new();
    for r in &log {
        *by_endpoint.entry(endpoint(r)).or_default() += 1;
    }
    let empty_kinds = by_endpoint
        .keys()
        .filter(|e| !e.contains("{id}") && !KNOWN.iter().any(|k| e.ends_with(k)))
        .filter(|e| !e.ends_with("/divisions/home"))
        .count();
    let floor = floor(&shape, empty_kinds);
    println!(
        "export: {users} users, {} queues, {} roles: {:.2} s, {} requests (floor of list pages: {floor}, {:.2}× the floor)",
        shape.queues(),
        shape.roles(),
        took.as_secs_f64(),
        log.len(),
        log.len() as f64 / floor as f64
    );
    for (e, n) in &by_endpoint {
        println!("  {n:>6}  {e}");
    }
}
