//! Validation benchmark: prints figures, asserts nothing about time (timed assertions
//! flake on a busy machine). Run with `cargo bench --bench validate`.
//!
//! Each case runs in a child process of its own, so that its peak memory is its own:
//! the parent writes a generated org (`support/orggen.rs`) into a temporary folder and
//! starts this same program on it; the child validates the seeds folder once as
//! `genseed validate` does (keeping only the outline of each object, with the allocator
//! genseed uses, tuned as `src/main.rs` tunes it for `validate`) and reports the CPU
//! time of the process (user + system, every thread) and its peak resident memory (both
//! from `getrusage`), and the wall time. Each case runs `GENSEED_BENCH_RUNS` times (5
//! unless set), a child each time; the parent prints the quickest run's CPU and wall
//! time, with the median and the slowest CPU time beside them (another tenant of the
//! machine only ever makes a run slower, so the quickest is the least disturbed), and the
//! largest peak RSS.
//!
//! Cases: 10,000 and 60,000 users in YAML (1,400 users a file); 100,000 users in YAML
//! and the same users as one CSV file of 100,000 rows; that CSV file with a bad phone
//! number in every row, its 100,000 problems rendered with their source lines.
//! `GENSEED_BENCH_CASES` picks some of them by name (comma-separated:
//! `yaml-10k,yaml-60k,yaml-100k,csv-100k,csv-100k-bad`). With `GENSEED_BENCH_PHASES=1`
//! a YAML case also prints where the time goes: the CPU time of each phase (reading the
//! files, the YAML parser's events alone, the located documents — and, for comparison,
//! the thorough reader — compiling the schema and checking the documents against it),
//! measured after the figures above, one phase after another on one thread.

// A benchmark prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use genseed::diag::SourceCache;

#[path = "support/orggen.rs"]
mod orggen;

/// The environment variable that makes this program the child validating one folder.
const CHILD_SEEDS: &str = "GENSEED_BENCH_VALIDATE_SEEDS";

/// Set (by the caller, passed on to the child) to print, after a YAML case's figures, the
/// CPU time of each phase of reading it, measured once more one phase after another.
const PHASES: &str = "GENSEED_BENCH_PHASES";

/// How many times each case runs (default 5): the figures printed are the quickest
/// run's, with the median and the slowest beside them, since a busy machine only ever
/// makes a run slower.
const RUNS: &str = "GENSEED_BENCH_RUNS";

/// Set for a child whose folder has a problem in every CSV row.
const CHILD_BAD: &str = "GENSEED_BENCH_VALIDATE_BAD";

/// How a case writes its users.
#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// YAML files of 1,400 users.
    Yaml,
    /// One CSV file.
    Csv,
    /// One CSV file whose every phone number lacks its `+` (a problem a row).
    CsvBadPhones,
}

/// A case: its name, the number of users and how they are written.
const CASES: &[(&str, usize, Layout)] = &[
    ("yaml-10k", 10_000, Layout::Yaml),
    ("yaml-60k", 60_000, Layout::Yaml),
    ("yaml-100k", 100_000, Layout::Yaml),
    ("csv-100k", 100_000, Layout::Csv),
    ("csv-100k-bad", 100_000, Layout::CsvBadPhones),
];

/// This process's resource use so far.
fn usage() -> libc::rusage {
    // SAFETY: getrusage only writes the struct it is given.
    unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    }
}

/// CPU time (user + system) of this process so far, every thread included.
fn cpu_time() -> Duration {
    let usage = usage();
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Peak resident memory of this process so far, in MiB (Linux counts `ru_maxrss` in
/// KiB; it is the figure /proc shows as `VmHWM`).
fn peak_rss_mib() -> f64 {
    usage().ru_maxrss as f64 / 1024.0
}

/// The child: validate `seeds` once and print one line of figures. With `CHILD_BAD` set
/// the manifests are expected to be refused, and every problem is rendered with its
/// source line as the CLI shows it.
fn child(seeds: &Path) {
    let expect_problems = std::env::var_os(CHILD_BAD).is_some();
    let cpu = cpu_time();
    let started = Instant::now();
    let sources = SourceCache::new();
    let keep = genseed::validate::Keep::Outline;
    let outcome = genseed::validate::load_keeping(seeds, &sources, &BTreeMap::new(), keep);
    let what = match outcome {
        Ok(loaded) if !expect_problems => {
            let what = format!("{} declared objects", loaded.declared.len());
            // As `genseed validate`, which exits without freeing them one by one.
            std::mem::forget(loaded);
            what
        }
        Err(problems) if expect_problems => {
            let shown = genseed::diag::render(&problems, &sources);
            format!(
                "{} problems rendered ({} KiB)",
                problems.len(),
                shown.len() / 1024
            )
        }
        Ok(_) => panic!("the manifests were expected to have problems"),
        Err(problems) => panic!("bench manifests invalid: {problems:?}"),
    };
    let wall = started.elapsed();
    let cpu = cpu_time() - cpu;
    // One line for the parent: what was read, then the figures (see `Run`).
    println!(
        "{what}\t{}\t{}\t{}",
        cpu.as_secs_f64(),
        wall.as_secs_f64(),
        peak_rss_mib()
    );
    if std::env::var_os(PHASES).is_some() && !expect_problems {
        println!("  {}", phases(seeds));
    }
}

/// Rewrites a CSV project of orggen (one `users-NNN.csv` per 1,400 users) as one
/// `users.csv` holding every row, listed once under `usersFromCsv`.
/// With `bad_phones`, every phone number loses its `+`.
fn merge_csv(seeds: &Path, bad_phones: bool) -> std::io::Result<()> {
    let mut parts: Vec<_> = std::fs::read_dir(seeds)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    parts.retain(|p| p.extension().is_some_and(|x| x == "csv"));
    parts.sort();
    let mut all = String::new();
    for (i, part) in parts.iter().enumerate() {
        let text = std::fs::read_to_string(part)?;
        let body = if i == 0 {
            text.as_str()
        } else {
            text.split_once('\n').map_or("", |(_, rows)| rows)
        };
        all.push_str(body);
        std::fs::remove_file(part)?;
    }
    if bad_phones {
        all = all.replace(",+", ",");
    }
    std::fs::write(seeds.join("users.csv"), all)?;
    let org = std::fs::read_to_string(seeds.join("org.yaml"))?;
    let mut out = String::new();
    for line in org.lines() {
        if line.starts_with("  - file: users-") {
            continue;
        }
        let _ = writeln!(out, "{line}");
        if line == "usersFromCsv:" {
            out.push_str("  - file: users.csv\n");
        }
    }
    std::fs::write(seeds.join("org.yaml"), out)
}

/// The parent: write the case's org and run the child on it.
fn run_case(name: &str, users: usize, layout: Layout) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut shape = orggen::OrgShape::new(users);
    shape.users_csv = layout != Layout::Yaml;
    let bytes =
        orggen::write_project(dir.path(), &shape, "http://127.0.0.1:1").expect("generated project");
    let seeds = dir.path().join("seeds");
    if shape.users_csv {
        merge_csv(&seeds, layout == Layout::CsvBadPhones).expect("merged CSV");
    }
    let files = std::fs::read_dir(&seeds).map_or(0, Iterator::count);
    let runs = std::env::var(RUNS)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5_usize)
        .max(1);
    let mut figures = Vec::with_capacity(runs);
    let mut what = String::new();
    let mut more = String::new();
    for run in 0..runs {
        // The child's errors go straight to the terminal.
        let mut child = Command::new(std::env::current_exe().expect("this program"));
        child.env(CHILD_SEEDS, &seeds);
        if layout == Layout::CsvBadPhones {
            child.env(CHILD_BAD, "1");
        }
        if run > 0 {
            // The phases are measured once.
            child.env_remove(PHASES);
        }
        let out = child
            .stderr(Stdio::inherit())
            .output()
            .expect("child started");
        assert!(out.status.success(), "{name}: the validation failed");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let first = lines.next().expect("the child's figures");
        let (read, run) = Run::parse(first).expect("the child's figures");
        what = read.to_owned();
        figures.push(run);
        if more.is_empty() {
            more = lines.collect::<Vec<_>>().join("\n");
        }
    }
    let cpu: Vec<f64> = sorted(figures.iter().map(|r| r.cpu));
    let wall: Vec<f64> = sorted(figures.iter().map(|r| r.wall));
    let rss = figures.iter().map(|r| r.rss).fold(0.0, f64::max);
    let spread = if runs > 1 {
        format!(
            " (median {:.2} s, slowest {:.2} s, of {runs} runs)",
            cpu[runs / 2],
            cpu[runs - 1]
        )
    } else {
        String::new()
    };
    println!(
        "validate {name}: {users} users, {:.1} MiB in {files} files, {what}: \
         CPU {:.2} s{spread}, wall {:.2} s, peak RSS {rss:.0} MiB",
        bytes as f64 / (1024.0 * 1024.0),
        cpu[0],
        wall[0],
    );
    if !more.is_empty() {
        println!("{more}");
    }
}

/// The figures of one child run.
struct Run {
    /// CPU time (user + system, every thread), in seconds.
    cpu: f64,
    /// Wall time, in seconds.
    wall: f64,
    /// Peak resident memory, in MiB.
    rss: f64,
}

impl Run {
    /// `what\tcpu\twall\trss`, as the child prints it.
    fn parse(line: &str) -> Option<(&str, Run)> {
        let mut fields = line.split('\t');
        let what = fields.next()?;
        let mut number = || fields.next()?.parse::<f64>().ok();
        let run = Run {
            cpu: number()?,
            wall: number()?,
            rss: number()?,
        };
        Some((what, run))
    }
}

/// `values`, smallest first.
fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v
}

// The allocator of the genseed binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if let Some(seeds) = std::env::var_os(CHILD_SEEDS) {
        // SAFETY: a plain setter of a process-wide option (15: `mi_option_purge_delay`,
        // in milliseconds), called before any thread starts.
        unsafe { libmimalloc_sys::mi_option_set(15, 1) };
        #[cfg(target_os = "linux")]
        // SAFETY: prctl with integer arguments only.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0)
        };
        child(Path::new(&seeds));
        return;
    }
    let picked = std::env::var("GENSEED_BENCH_CASES").ok();
    for &(name, users, layout) in CASES {
        if picked
            .as_deref()
            .is_none_or(|p| p.split(',').any(|c| c.trim() == name))
        {
            run_case(name, users, layout);
        }
    }
}

/// CPU time (user + system) of the calling thread so far.
fn thread_cpu_time() -> Duration {
    // SAFETY: clock_gettime only writes the struct it is given.
    let ts = unsafe {
        let mut ts = std::mem::zeroed::<libc::timespec>();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
        ts
    };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// `f`'s result and the CPU time it took on this thread, in seconds.
fn timed<R>(f: impl FnOnce() -> R) -> (R, f64) {
    let start = thread_cpu_time();
    let r = f();
    (r, (thread_cpu_time() - start).as_secs_f64())
}

/// The phases of reading the YAML files of `seeds`, one after another on this thread:
/// reading the files, the parser's events alone (the floor of any reader built on it),
/// the located documents the fast way and the thorough way, and the schema check.
fn phases(seeds: &Path) -> String {
    let mut paths: Vec<_> = std::fs::read_dir(seeds)
        .expect("seeds folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    let (texts, read) = timed(|| {
        let texts: Vec<String> = paths
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("UTF-8 manifest"))
            .collect();
        texts
    });
    let (events, parse_events) = timed(|| {
        let mut n = 0usize;
        for t in &texts {
            n += granit_parser::Parser::new_from_str(t).count();
        }
        n
    });
    let load = |thorough: bool| {
        let docs: Vec<_> = paths
            .iter()
            .zip(&texts)
            .map(|(p, t)| {
                let doc = if thorough {
                    genseed::manifest::yaml::load_yaml_thoroughly(p, t)
                } else {
                    genseed::manifest::load_yaml(p, t)
                };
                doc.expect("valid manifest")
            })
            .collect();
        docs
    };
    let (_, thorough) = timed(|| load(true));
    let (docs, fast) = timed(|| load(false));
    let schema: serde_json::Value =
        serde_json::from_str(genseed::spec::COMMITTED_SCHEMA).expect("schema");
    let (validator, compile) =
        timed(|| genseed::manifest::SchemaValidator::new(&schema).expect("schema compiles"));
    let (problems, check) = timed(|| {
        docs.iter()
            .map(|d| validator.validate(d).len())
            .sum::<usize>()
    });
    assert_eq!(problems, 0, "bench manifests invalid");
    format!(
        "phases (CPU s, one thread): read {read:.3}, parser events alone {parse_events:.3} ({events} events), \
         located documents {fast:.3} (thorough reader {thorough:.3}), schema compile {compile:.3}, \
         schema check {check:.3}"
    )
}
