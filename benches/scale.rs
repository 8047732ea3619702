//! Cost benchmark: prints figures, asserts nothing about time (timed assertions flake on a
//! busy machine). Run with `cargo bench --bench scale`. Every figure is of a `genseed`
//! child process (CPU = user + system time from `wait4`, peak RSS sampled from `/proc`),
//! against generated orgs (`support/orggen.rs`) and the in-process emulator.
//!
//! 1. **Size** (`GENSEED_BENCH_SIZES`, users, default `1000,10000,60000`): `validate`;
//!    for sizes up to `GENSEED_BENCH_APPLY_MAX` (default 60000) a fresh `apply` with no
//!    rate limit (requests against the floor: one write per object and per non-empty
//!    sub-resource chunk, plus the list pages) and then a no-op `plan`; larger sizes get
//!    a `plan` against the empty org instead (the skipped apply is printed). Validate and
//!    plan change nothing and run `GENSEED_BENCH_RUNS` times (default 3): the quickest
//!    run is printed, with the median and slowest CPU times and the largest peak RSS.
//! 2. **Budget** (`GENSEED_BENCH_BUDGET`, default on; `0` skips): fresh applies against an
//!    emulator enforcing a per-token rate and a latency, one token and a pool of four:
//!    wall time against the budget (API requests ÷ (tokens × rate)) and the share of
//!    requests answered 429. `GENSEED_BENCH_BUDGET_USERS` (default 300) sizes the org at
//!    50/s, a sixth of it at 5/s.
//!
//! For profiling, `GENSEED_BENCH_WRITE=<dir>` with `GENSEED_BENCH_URL=<emulator URL>`
//! only writes the project of the first size into `<dir>` (its environment `bench`
//! points at that URL, with no client-side rate limit and no queue pacing, as in the size
//! runs) and exits: run `genseed emulate --no-rate-limit` and `genseed` under a profiler
//! yourself.

// A benchmark prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use genseed::emulator::{EmulatorConfig, EmulatorHandle, RateLimit};

#[path = "support/orggen.rs"]
mod orggen;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one child process cost.
struct Cost {
    wall: Duration,
    /// User + system CPU seconds.
    cpu: f64,
    /// Peak resident memory, MiB.
    rss: f64,
}

impl std::fmt::Display for Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2} s CPU, {:.0} MiB peak RSS, {:.2} s wall",
            self.cpu,
            self.rss,
            self.wall.as_secs_f64()
        )
    }
}

/// What `runs` runs of one repeatable command cost: the quickest run (CPU time), the
/// median and slowest CPU times, and the largest peak RSS. Another tenant of the machine
/// only ever makes a run slower, so the quickest run is the least disturbed one.
struct Costs {
    quickest: Cost,
    median_cpu: f64,
    slowest_cpu: f64,
    runs: usize,
}

impl std::fmt::Display for Costs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Cost { wall, cpu, rss } = &self.quickest;
        write!(f, "{cpu:.2} s CPU")?;
        if self.runs > 1 {
            write!(
                f,
                " (median {:.2} s, slowest {:.2} s, of {} runs)",
                self.median_cpu, self.slowest_cpu, self.runs
            )?;
        }
        write!(
            f,
            ", {rss:.0} MiB peak RSS, {:.2} s wall",
            wall.as_secs_f64()
        )
    }
}

/// Runs a command that changes nothing (validate, plan) `GENSEED_BENCH_RUNS` times (3
/// unless set: a no-op plan of 60,000 users waits half a minute on the emulator's
/// listings); `before` runs before each run.
fn repeated(project: &Path, args: &[&str], mut before: impl FnMut()) -> Costs {
    let runs = env_usize("GENSEED_BENCH_RUNS", 3).max(1);
    let mut costs: Vec<Cost> = (0..runs)
        .map(|_| {
            before();
            genseed(project, args)
        })
        .collect();
    let rss = costs.iter().map(|c| c.rss).fold(0.0, f64::max);
    costs.sort_by(|a, b| a.cpu.total_cmp(&b.cpu));
    let (median_cpu, slowest_cpu) = (costs[runs / 2].cpu, costs[runs - 1].cpu);
    let quickest = costs.swap_remove(0);
    Costs {
        quickest: Cost { rss, ..quickest },
        median_cpu,
        slowest_cpu,
        runs,
    }
}

/// The peak RSS (MiB) of process `pid`, sampled from `/proc/<pid>/status` (`VmHWM`, the
/// high-water mark of the program it runs now) every 2 ms until `done`. `ru_maxrss` of a
/// child is no measure here: it starts from the RSS of the process that spawned it,
/// this bench, which holds the in-process emulator's org.
fn sample_peak_rss(pid: u32, done: &std::sync::atomic::AtomicBool) -> Option<f64> {
    let path = format!("/proc/{pid}/status");
    let mut peak: Option<f64> = None;
    while !done.load(std::sync::atomic::Ordering::Relaxed) {
        let kib = std::fs::read_to_string(&path).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        });
        if let Some(kib) = kib {
            peak = Some(peak.unwrap_or(0.0).max(kib / 1024.0));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    peak
}

/// Runs `genseed -C project --env bench -q ARGS`, reaps it with `wait4` for its CPU time
/// (its peak RSS is sampled, see [`sample_peak_rss`]), and panics (with its stderr)
/// unless it exits 0 or 2.
fn genseed(project: &Path, args: &[&str]) -> Cost {
    let stderr = tempfile::tempfile().unwrap();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_genseed"))
        .arg("-C")
        .arg(project)
        .args(["--env", "bench", "-q"])
        .args(args)
        .env("BENCH_ID", genseed::emulator::DEFAULT_CLIENT_ID)
        .env("BENCH_SECRET", genseed::emulator::DEFAULT_CLIENT_SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr.try_clone().unwrap())
        .spawn()
        .unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    let pid = child.id();
    std::thread::scope(|s| {
        let sampler = s.spawn(|| sample_peak_rss(pid, &done));
        let cost = reap(child, args, stderr, started);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let sampled = sampler.join().unwrap();
        Cost {
            rss: sampled.unwrap_or(cost.rss),
            ..cost
        }
    })
}

/// Waits for `child` with `wait4` (CPU time and `ru_maxrss`).
// The child is reaped by `wait4`, which clippy does not see.
#[allow(clippy::zombie_processes)]
fn reap(
    child: std::process::Child,
    args: &[&str],
    stderr: std::fs::File,
    started: Instant,
) -> Cost {
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value; wait4 reaps our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    if !matches!(code, Some(0 | 2)) {
        let mut text = String::new();
        let mut f = stderr;
        use std::io::{Read, Seek};
        f.rewind().unwrap();
        f.read_to_string(&mut text).unwrap();
        panic!("genseed {args:?} ended with {status}: {text}");
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Cost {
        wall,
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        rss: usage.ru_maxrss as f64 / 1024.0,
    }
}

/// The fewest requests a fresh apply of `shape` can make: one create per object, one
/// write per non-empty sub-resource chunk (a user's skills, languages and role grants; a
/// queue's members in chunks of 100 and its wrap-up codes), and the list pages of an empty
/// org (the org, its home division, one page per kind).
fn floor(shape: &orggen::OrgShape) -> usize {
    let objects = shape.divisions()
        + shape.skills()
        + shape.languages()
        + shape.wrapup_codes()
        + shape.roles()
        + shape.queues()
        + shape.users;
    let sub = 3 * shape.users + shape.queues() * (shape.users_per_queue.div_ceil(100) + 1);
    objects + sub + 2 + 7
}

fn api_requests(emulator: &EmulatorHandle) -> (usize, usize) {
    let log = emulator.requests();
    let api: Vec<_> = log.iter().filter(|r| r.path.starts_with("/api/")).collect();
    let throttled = api.iter().filter(|r| r.status == 429).count();
    (api.len(), throttled)
}

/// A project for `shape` whose environment `bench` points at `emulator`, with `env`
/// appended to that environment's block.
fn project(shape: &orggen::OrgShape, emulator: &EmulatorHandle, env: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), shape, &emulator.base_url(), env);
    dir
}

/// Writes the project for `shape` into `dir`, its environment `bench` pointing at `url`
/// with `env` appended to that environment's block.
fn write_project(dir: &Path, shape: &orggen::OrgShape, url: &str, env: &str) {
    std::fs::create_dir_all(dir).unwrap();
    orggen::write_project(dir, shape, url).unwrap();
    let file = dir.join("genseed.yaml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(env);
    std::fs::write(file, text).unwrap();
}

/// The client settings of the size runs: no client-side rate limit and no queue pacing,
/// so the figures are genseed's own cost.
const UNLIMITED_ENV: &str = "    rateLimit: 1000000/min\n    queueCreateIntervalMs: 0\n";

fn unlimited() -> EmulatorHandle {
    EmulatorHandle::start_in_thread(EmulatorConfig {
        rate_limit: None,
        ..EmulatorConfig::default()
    })
    .unwrap()
}

fn size(users: usize, apply_max: usize) {
    let shape = orggen::OrgShape::new(users);
    let emulator = unlimited();
    let dir = project(&shape, &emulator, UNLIMITED_ENV);
    let p = dir.path();
    println!("{users} users ({} queues):", shape.queues());
    println!("  validate: {}", repeated(p, &["validate"], || {}));
    if users > apply_max {
        let plan = repeated(p, &["plan"], || {});
        println!("  plan of the empty org: {plan}");
        println!("  apply skipped (above GENSEED_BENCH_APPLY_MAX={apply_max})");
        return;
    }
    let apply = genseed(p, &["apply", "--auto-approve", "--parallelism", "16"]);
    let (requests, _) = api_requests(&emulator);
    let floor = floor(&shape);
    println!("  apply: {apply}");
    println!(
        "  apply requests: {requests}, floor {floor} ({:.2}×)",
        requests as f64 / floor as f64
    );
    let plan = repeated(p, &["plan", "--detailed-exitcode"], || {
        emulator.clear_requests();
    });
    // Those of the last run.
    let (requests, _) = api_requests(&emulator);
    println!("  no-op plan: {plan}, {requests} requests");
}

/// A fresh apply of `users` users against a server allowing `rate` requests per second
/// per token with `latency_ms` of latency, over `tokens` tokens.
fn budget(users: usize, rate: u32, latency_ms: u64, tokens: usize) {
    let shape = orggen::OrgShape::new(users);
    let emulator = EmulatorHandle::start_in_thread(EmulatorConfig {
        rate_limit: Some(RateLimit {
            requests: rate,
            per: Duration::from_secs(1),
        }),
        latency: Duration::from_millis(latency_ms),
        ..EmulatorConfig::default()
    })
    .unwrap();
    // The emulator does not pace queue creates; a real org's default pacing (1 s) is a
    // limit of its own, not the rate budget measured here.
    let env =
        format!("    rateLimit: {rate}/s\n    tokens: {tokens}\n    queueCreateIntervalMs: 0\n");
    let dir = project(&shape, &emulator, &env);
    let apply = genseed(dir.path(), &["apply", "--auto-approve"]);
    let (requests, throttled) = api_requests(&emulator);
    let allowed = requests as f64 / (tokens as f64 * f64::from(rate));
    println!(
        "  {rate}/s per token, {latency_ms} ms latency, {tokens} token{}: {users} users, {requests} requests in {:.1} s, budget {allowed:.1} s ({:.2}×), {throttled} answered 429 ({:.1} %)",
        if tokens == 1 { "" } else { "s" },
        apply.wall.as_secs_f64(),
        apply.wall.as_secs_f64() / allowed,
        100.0 * throttled as f64 / requests.max(1) as f64
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::var("GENSEED_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,60000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if let Ok(dir) = std::env::var("GENSEED_BENCH_WRITE") {
        let url = std::env::var("GENSEED_BENCH_URL").expect("GENSEED_BENCH_URL is set");
        let shape = orggen::OrgShape::new(sizes.first().copied().unwrap_or(1000));
        write_project(Path::new(&dir), &shape, &url, UNLIMITED_ENV);
        println!("wrote {} users to {dir}", shape.users);
        return;
    }
    let apply_max = env_usize("GENSEED_BENCH_APPLY_MAX", 60_000);
    for users in sizes {
        size(users, apply_max);
    }
    if env_usize("GENSEED_BENCH_BUDGET", 1) == 0 {
        println!("budget: skipped (GENSEED_BENCH_BUDGET=0)");
        return;
    }
    let users = env_usize("GENSEED_BENCH_BUDGET_USERS", 300);
    println!("budget (wall time against requests ÷ (tokens × rate)):");
    budget(users, 50, 20, 1);
    budget(users, 50, 20, 4);
    budget((users / 6).max(1), 5, 20, 1);
    budget((users / 6).max(1), 5, 20, 4);
}
