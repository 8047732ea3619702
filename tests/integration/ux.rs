//! Friendly at the terminal and in CI: progress off a terminal, bounded interrupted
//! summaries, suggestions, colour, JSON documents, init, completions, editor headers.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use genseed::emulator::EmulatorConfig;
use serde_json::Value;

use crate::support::{Project, Run, workload};

fn no_server_limit(latency_ms: u64) -> EmulatorConfig {
    EmulatorConfig {
        rate_limit: None,
        latency: Duration::from_millis(latency_ms),
        ..EmulatorConfig::default()
    }
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}):\n{}", run.stdout))
}

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

#[test]
fn a_long_apply_off_a_terminal_prints_progress_lines_with_every_figure() {
    // 30 ms per request, 2 at a time: about 130 changes take a few seconds.
    let p = Project::new(no_server_limit(30), None);
    workload(&p, 40, 2);
    let run = Run::from(
        p.command("emu", &["apply", "--auto-approve", "--parallelism", "2"])
            .env("GENSEED_PROGRESS_INTERVAL_MS", "300")
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    )
    .expect(0);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("progress: "))
        .collect();
    assert!(lines.len() >= 2, "progress lines:\n{}", run.stderr);
    for line in &lines {
        for figure in ["/s, elapsed ", ", ETA ", ", tier ", " %)"] {
            assert!(line.contains(figure), "{figure:?} missing in {line}");
        }
    }
    // Counts only grow, and no two lines are within 5 % of the changes.
    let done: Vec<usize> = lines
        .iter()
        .map(|l| {
            l["progress: ".len()..]
                .split('/')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    let total: usize = lines[0]
        .split('/')
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    for w in done.windows(2) {
        assert!(w[1] >= w[0] + total.div_ceil(20), "{done:?} of {total}");
    }
    assert!(
        run.stdout.contains("Wall time ") && run.stdout.contains("held back by the rate limit"),
        "{}",
        run.stdout
    );
}

#[test]
fn progress_lines_say_when_requests_wait_on_the_rate_limit() {
    // Four at a time through a 10/s budget: someone is always waiting.
    let p = Project::with_env(no_server_limit(0), None, "    rateLimit: 10/s\n");
    workload(&p, 10, 1);
    let run = Run::from(
        p.command("emu", &["apply", "--auto-approve", "--parallelism", "4"])
            .env("GENSEED_PROGRESS_INTERVAL_MS", "200")
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    )
    .expect(0);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("progress: ") && l.contains("; waiting on the rate limit (")),
        "{}",
        run.stderr
    );
    let held: f64 = run
        .stdout
        .split("of which ")
        .nth(1)
        .and_then(|r| r.split(" s held back").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(held > 1.0, "{}", run.stdout);
}

#[test]
fn an_interrupted_apply_counts_what_did_not_start_and_stays_short() {
    let p = Project::new(no_server_limit(25), None);
    workload(&p, 60, 2);
    let run = p.interrupted_apply(3).expect(1);
    let summary = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Apply interrupted: "))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let count = |label: &str| -> usize {
        summary
            .split([':', ','])
            .map(str::trim)
            .find_map(|part| part.strip_suffix(label))
            .unwrap_or_else(|| panic!("{label:?} in {summary}"))
            .trim()
            .parse()
            .unwrap()
    };
    let not_started = summary
        .split(", ")
        .find_map(|p| p.split_once(" not started (interrupted)").map(|(n, _)| n))
        .unwrap_or_else(|| panic!("not started count in {summary}"))
        .parse::<usize>()
        .unwrap();
    let total = count("created")
        + count("updated")
        + count("adopted")
        + count("unchanged")
        + count("failed")
        + count("skipped")
        + not_started;
    // 1 division, 2 skills, 60 users, 2 queues, 60 user-skill sets, 2 member sets.
    assert_eq!(total, 127, "{summary}");
    assert!(not_started > 50, "{summary}");
    assert_eq!(count("failed"), 0, "{summary}");
    assert_eq!(
        count("skipped"),
        0,
        "nothing blamed on a failure: {summary}"
    );
    assert!(!run.stdout.contains("which failed"), "{}", run.stdout);
    // A few examples, then a count: the summary stays short.
    let tail = &run.stdout[run.stdout.find("Apply interrupted").unwrap()..];
    assert!(tail.lines().count() <= 10, "{tail}");
    assert!(
        run.stdout.contains(&format!(
            "… and {} more not started (-v lists them all)",
            not_started - 5
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn unknown_selectors_and_environments_get_a_suggestion() {
    let p = Project::with_example();
    let run = p.run(&["plan", "--only", "triggr"]).expect(1);
    assert!(
        run.stderr.contains("hint: did you mean `trigger`?"),
        "{}",
        run.stderr
    );
    let run = p.run_env("emmu", &["plan"]).expect(1);
    assert!(
        run.stderr.contains("environment `emmu` is not defined"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: did you mean `emu`?"),
        "{}",
        run.stderr
    );
    let run = p.run_env("lcoal", &["validate"]).expect(1);
    assert!(
        run.stderr.contains("did you mean `local`?"),
        "{}",
        run.stderr
    );
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn colour_follows_the_flag_and_no_color_and_changes_no_text() {
    let p = Project::with_example();
    // The harness sets NO_COLOR=1: plain text.
    let plain = p.run(&["plan"]).expect(0);
    assert!(!plain.stdout.contains('\x1b'), "{}", plain.stdout);
    // --color always wins over NO_COLOR.
    let always = p.run(&["--color", "always", "plan"]).expect(0);
    assert!(
        always.stdout.contains("\x1b[32m+\x1b[0m"),
        "{}",
        always.stdout
    );
    assert_eq!(strip_ansi(&always.stdout), plain.stdout);
    // Off a terminal, auto colours only when forced, and NO_COLOR beats the force.
    let forced = |no_color: Option<&str>| {
        let mut cmd = p.command("emu", &["plan"]);
        cmd.env("CLICOLOR_FORCE", "1");
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        };
        Run::from(cmd.stdin(Stdio::null()).output().unwrap()).expect(0)
    };
    assert!(forced(None).stdout.contains('\x1b'));
    assert!(!forced(Some("1")).stdout.contains('\x1b'));
    let never = p
        .command("emu", &["--color", "never", "plan"])
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&never.stdout).contains('\x1b'));
}

#[test]
fn unchanged_objects_are_listed_with_their_own_flag_not_with_verbose() {
    let p = Project::with_example();
    p.apply();
    let verbose = p.run(&["-v", "plan"]).expect(0);
    assert!(
        !verbose.stdout.contains("skill \"Billing\""),
        "{}",
        verbose.stdout
    );
    let listed = p.run(&["plan", "--show-unchanged"]).expect(0);
    assert!(
        listed.stdout.contains("    skill \"Billing\""),
        "{}",
        listed.stdout
    );
}

#[test]
fn quiet_apply_prints_only_the_summary() {
    let p = Project::with_example();
    let run = p.run(&["-q", "apply", "--auto-approve"]).expect(0);
    assert!(run.stdout.starts_with("Apply complete: "), "{}", run.stdout);
    assert_eq!(run.stderr, "", "-q: nothing on stderr without errors");
    let again = p.run(&["-q", "apply", "--auto-approve"]).expect(0);
    assert_eq!(again.stdout, "No changes. The org matches the manifests.\n");
}

#[test]
fn validate_json_matches_the_documented_format() {
    let p = Project::with_example();
    let run = p.run(&["validate", "--json"]).expect(0);
    let doc = json(&run);
    assert_eq!(
        keys(&doc),
        [
            "counts",
            "csvFiles",
            "diagnostics",
            "files",
            "formatVersion",
            "valid"
        ]
    );
    assert_eq!(doc["formatVersion"], 1);
    assert_eq!(doc["valid"], true);
    assert_eq!(keys(&doc["counts"]), ["declared", "objects", "tiers"]);
    assert_eq!(doc["files"].as_array().unwrap().len(), 2);
    assert!(
        doc["csvFiles"][0]
            .as_str()
            .unwrap()
            .ends_with("users_to_create.csv"),
        "{doc}"
    );
    // The plan counts the same things.
    let plan = json(&p.run(&["plan", "--json"]).expect(0));
    assert_eq!(
        plan["changes"].as_array().unwrap().len() as u64,
        doc["counts"]["declared"].as_u64().unwrap()
    );
    let text = p.run(&["validate"]).expect(0);
    assert!(text.stdout.contains("Read 1 CSV file: "), "{}", text.stdout);

    p.seed(
        "broken.yaml",
        "skills:\n  - name: Broken\n    colour: red\n",
    );
    let run = p.run(&["validate", "--json"]).expect(1);
    let doc = json(&run);
    assert_eq!(doc["valid"], false);
    let d = &doc["diagnostics"][0];
    assert_eq!(
        keys(d),
        [
            "column", "file", "hint", "line", "message", "pointer", "severity"
        ]
    );
    assert_eq!(d["severity"], "error");
    assert!(d["file"].as_str().unwrap().ends_with("broken.yaml"), "{d}");
    assert_eq!(d["line"], 3, "{d}");
    assert!(d["column"].as_u64().unwrap() >= 1, "{d}");
    assert!(d["message"].as_str().unwrap().contains("colour"), "{d}");
    // plan --json reports the same diagnostics as an error document.
    let plan = json(&p.run(&["plan", "--json"]).expect(1));
    assert_eq!(keys(&plan), ["diagnostics", "error", "formatVersion"]);
    assert_eq!(plan["diagnostics"], doc["diagnostics"]);
}

#[test]
fn apply_json_matches_the_documented_format() {
    let p = Project::with_example();
    let run = p.run(&["apply", "--auto-approve", "--json"]).expect(0);
    let doc = json(&run);
    assert_eq!(
        keys(&doc),
        [
            "changes",
            "counts",
            "env",
            "formatVersion",
            "org",
            "rateLimitHeldSeconds",
            "requests",
            "result",
            "wallSeconds"
        ]
    );
    assert_eq!(doc["formatVersion"], 1);
    assert_eq!(doc["result"], "complete");
    assert_eq!(
        keys(&doc["counts"]),
        [
            "adopted",
            "created",
            "deleted",
            "failed",
            "forgotten",
            "notStarted",
            "replaced",
            "skipped",
            "unchanged",
            "updated"
        ]
    );
    assert_eq!(
        keys(&doc["requests"]),
        ["rateLimitWaitSummedSeconds", "retried", "sent", "throttled"]
    );
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(
        changes.len() as u64,
        doc["counts"]["created"].as_u64().unwrap()
    );
    for c in changes {
        assert_eq!(
            keys(c),
            [
                "action", "address", "adopting", "id", "key", "kind", "message", "outcome", "tier"
            ]
        );
        assert_eq!(c["outcome"], "created", "{c}");
    }
    assert!(
        !run.stdout.contains("Apply complete"),
        "only JSON on stdout"
    );
    let again = json(&p.run(&["apply", "--auto-approve", "--json"]).expect(0));
    assert_eq!(
        again["counts"]["unchanged"].as_u64().unwrap() as usize,
        changes.len()
    );
    assert!(
        again["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] == "unchanged")
    );
}

#[test]
fn errors_are_json_when_json_is_asked_for() {
    let p = Project::with_example();
    for args in [
        &["plan", "--json"][..],
        &["apply", "--json", "--auto-approve"],
    ] {
        let run = p.run_env("nowhere", args).expect(1);
        let doc = json(&run);
        assert_eq!(keys(&doc), ["error", "formatVersion"], "{doc}");
        assert!(
            doc["error"]["message"]
                .as_str()
                .unwrap()
                .contains("`nowhere` is not defined"),
            "{doc}"
        );
        assert_eq!(doc["error"]["hints"].as_array().unwrap().len(), 1, "{doc}");
        assert_eq!(run.stderr, "");
    }
}

#[test]
fn the_rate_limit_hold_is_wall_time_not_a_sum() {
    // 8 requests at a time through a 20/s budget: each waits, together far longer
    // than the run lasts.
    let p = Project::with_env(no_server_limit(0), None, "    rateLimit: 20/s\n");
    workload(&p, 20, 1);
    let doc = json(
        &p.run(&["apply", "--auto-approve", "--json", "--parallelism", "8"])
            .expect(0),
    );
    let wall = doc["wallSeconds"].as_f64().unwrap();
    let held = doc["rateLimitHeldSeconds"].as_f64().unwrap();
    let summed = doc["requests"]["rateLimitWaitSummedSeconds"]
        .as_f64()
        .unwrap();
    assert!(summed > wall, "summed {summed} s in a {wall} s run");
    assert!(held > 0.5 && held <= wall, "held {held} s of {wall} s");
}

#[test]
fn init_then_apply_works_in_an_empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_genseed");
    let genseed = |args: &[&str]| {
        Run::from(
            std::process::Command::new(bin)
                .current_dir(dir.path())
                .args(args)
                .env("NO_COLOR", "1")
                .env_remove("GENSEED_ENV")
                .stdin(Stdio::null())
                .output()
                .unwrap(),
        )
    };
    let run = genseed(&["init"]).expect(0);
    assert!(run.stdout.contains("genseed plan"), "{}", run.stdout);
    for f in [
        "genseed.yaml",
        "seeds/example.yaml",
        "schemas/manifest.schema.json",
        "schemas/genseed.schema.json",
        ".gitignore",
    ] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    genseed(&["validate"]).expect(0);
    let first = genseed(&["apply", "--auto-approve"]).expect(0);
    assert!(
        first.stdout.contains("Apply complete: "),
        "{}",
        first.stdout
    );
    let second = genseed(&["apply", "--auto-approve"]).expect(0);
    assert!(second.stdout.contains("No changes."), "{}", second.stdout);
    // Never overwrites: a second init fails and names what exists.
    let again = genseed(&["init"]).expect(1);
    assert!(again.stderr.contains("genseed.yaml"), "{}", again.stderr);
    // Into a new folder too.
    genseed(&["init", "sub/org"]).expect(0);
    assert!(dir.path().join("sub/org/seeds/example.yaml").is_file());
}

#[test]
fn completions_generate_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef genseed"),
        ("fish", "complete -c genseed"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_genseed"))
            .args(["completions", shell])
            .output()
            .unwrap();
        let run = Run::from(out).expect(0);
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        assert!(
            run.stdout.contains("show-unchanged"),
            "{shell} completes flags"
        );
    }
}

/// Every manifest in the repository starts with the editor line naming a schema file
/// that exists, and that schema is the one genseed uses.
#[test]
fn example_manifests_point_editors_at_the_committed_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut stack = vec![
        root.join("seeds"),
        root.join("examples"),
        root.join("templates"),
    ];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                // CI workflow examples are not genseed files.
                if path != root.join("examples/ci") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 6, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let target = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{}: first line is {first:?}", f.display()));
        let want = if f.file_name().unwrap() == "genseed.yaml" {
            "genseed.schema.json"
        } else {
            "manifest.schema.json"
        };
        assert!(target.ends_with(want), "{}: {target}", f.display());
        // Templates point at the copies init writes beside them.
        if !f.starts_with(root.join("templates")) {
            let schema = f.parent().unwrap().join(target);
            assert!(
                schema.is_file(),
                "{}: {} does not exist",
                f.display(),
                schema.display()
            );
        }
    }
    for (file, id) in [
        (
            "schemas/manifest.schema.json",
            "urn:genseed:schema:manifest:v1",
        ),
        (
            "schemas/genseed.schema.json",
            "urn:genseed:schema:project:v1",
        ),
    ] {
        let schema: Value =
            serde_json::from_str(&std::fs::read_to_string(root.join(file)).unwrap()).unwrap();
        assert_eq!(schema["$id"], id, "{file}");
    }
}
