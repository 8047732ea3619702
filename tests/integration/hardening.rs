//! Hardening: inputs crafted by an attacker or left behind by bad luck get a located,
//! clear error, leak no secret, and change nothing in the org.

use std::time::{Duration, Instant};

use crate::support::{Project, Run, SECRET};

const HEAD: &str = "divisions:\n  - name: Hard Division\n";

/// A project with one small manifest and no example seeds.
fn project(manifest: &str) -> Project {
    let p = Project::new(Default::default(), None);
    p.seed("main.yaml", manifest);
    p
}

#[test]
fn a_manifest_cannot_make_genseed_print_the_environment() {
    // The secret is in the process environment; /proc/self/environ would replay it.
    for reference in [
        "/proc/self/environ",
        "../../../../proc/self/environ",
        "env.csv",
    ] {
        let p = project(&format!("{HEAD}usersFromCsv:\n  - file: {reference}\n"));
        std::os::unix::fs::symlink("/proc/self/environ", p.dir.path().join("seeds/env.csv"))
            .unwrap();
        for cmd in ["validate", "plan"] {
            let run = p.run(&[cmd]).expect(1);
            assert!(run.stderr.contains("main.yaml:4:"), "{}", run.stderr);
            assert!(!run.stderr.contains(SECRET));
            assert!(!run.stderr.contains("GENSEED_TEST"), "{}", run.stderr);
        }
        assert!(p.writes().is_empty());
    }
}

#[test]
fn a_csv_that_is_not_a_csv_is_quoted_only_in_short_excerpts() {
    let line = format!("{}=x,{}", "A".repeat(500), "B=".repeat(400));
    let p = project(&format!("{HEAD}usersFromCsv:\n  - file: big.csv\n"));
    std::fs::write(p.dir.path().join("seeds/big.csv"), format!("{line}\n")).unwrap();
    let run = p.run(&["validate"]).expect(1);
    assert!(
        run.stderr.contains("missing required column"),
        "{}",
        run.stderr
    );
    let longest = run.stderr.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(
        longest < 200,
        "a line of {longest} characters:\n{}",
        run.stderr
    );
}

#[test]
fn a_csv_path_that_is_a_folder_says_so() {
    let p = project(&format!("{HEAD}usersFromCsv:\n  - file: people.csv\n"));
    std::fs::create_dir(p.dir.path().join("seeds/people.csv")).unwrap();
    let run = p.run(&["validate"]).expect(1);
    assert!(
        run.stderr
            .contains("main.yaml:4:11: error: CSV file `people.csv` is a folder"),
        "{}",
        run.stderr
    );
}

#[test]
fn integers_are_true_integers_in_the_api_range() {
    for (written, expected) in [
        ("1e3", "expected an integer, found `1000.0`"),
        ("1000.0", "expected an integer, found `1000.0`"),
        ("99999999999999999999", "found `99999999999999999999`"),
        (
            "4294967296",
            "4294967296 is greater than the maximum of 2147483647",
        ),
        ("2147483648", "is greater than the maximum of 2147483647"),
        ("0x10", "expected an integer, found `0x10`"),
        ("1_000", "expected an integer, found `1_000`"),
    ] {
        let p = project(&format!(
            "{HEAD}queues:\n  - name: Hard Queue\n    mediaSettings:\n      call:\n        alertingTimeoutSeconds: {written}\n"
        ));
        for cmd in ["validate", "plan"] {
            let run = p.run(&[cmd]).expect(1);
            assert!(
                run.stderr.contains("main.yaml:7:33: error: ") && run.stderr.contains(expected),
                "{written}: {}",
                run.stderr
            );
        }
        assert!(p.writes().is_empty());
    }
    let p = project(&format!(
        "{HEAD}queues:\n  - name: Hard Queue\n    mediaSettings:\n      call:\n        alertingTimeoutSeconds: 2147483647\n"
    ));
    p.run(&["validate"]).expect(0);
}

/// Runs `cmd` (stdin closed), failing the test if it takes longer than `secs` seconds.
fn run_within(mut cmd: std::process::Command, secs: u64) -> Run {
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("still running after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Run::from(child.wait_with_output().unwrap())
}

fn mkfifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success());
}

#[test]
fn odd_entries_in_the_seeds_folder_are_errors_not_hangs() {
    let p = project(HEAD);
    mkfifo(&p.dir.path().join("seeds/pipe.yaml"));
    std::fs::create_dir(p.dir.path().join("seeds/folder.yml")).unwrap();
    std::os::unix::fs::symlink("nowhere.yaml", p.dir.path().join("seeds/broken.yaml")).unwrap();
    let run = run_within(p.command("emu", &["validate"]), 20).expect(1);
    for expected in [
        "pipe.yaml is not a regular file",
        "folder.yml is a folder",
        "broken.yaml is a symbolic link to a file that does not exist",
    ] {
        assert!(run.stderr.contains(expected), "{expected}: {}", run.stderr);
    }
}

#[test]
fn a_project_file_that_is_a_fifo_does_not_block() {
    let p = project(HEAD);
    let file = p.dir.path().join("genseed.yaml");
    std::fs::remove_file(&file).unwrap();
    mkfifo(&file);
    let run = run_within(p.command("local", &["validate"]), 20).expect(1);
    assert!(
        run.stderr.contains("genseed.yaml: is not a regular file"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_lone_quote_on_the_last_csv_line_is_located() {
    let p = project(&format!("{HEAD}usersFromCsv:\n  - file: people.csv\n"));
    std::fs::write(
        p.dir.path().join("seeds/people.csv"),
        "first_name,last_name,email\nAda,Lovelace,ada@example.com\n\"\n",
    )
    .unwrap();
    let run = p.run(&["validate"]).expect(1);
    assert!(
        run.stderr
            .contains("people.csv:3:1: error: this quote is never closed"),
        "{}",
        run.stderr
    );
}

const TWO_QUEUES: &str = "divisions:\n  - name: Hard Division\nqueues:\n  - name: Hard Queue A\n    division: Hard Division\n  - name: Hard Queue B\n    division: Hard Division\n";

#[test]
fn a_state_that_cannot_be_saved_is_found_before_the_first_change() {
    let p = project(HEAD);
    p.apply();
    let state = p.dir.path().join(".genseed/state");
    // The backup's place is taken by a folder (root ignores permissions, not this).
    let _ = std::fs::remove_file(state.join("emu.json.backup"));
    std::fs::create_dir(state.join("emu.json.backup")).unwrap();
    p.seed("main.yaml", TWO_QUEUES);
    let before = p.writes().len();
    let run = p.run(&["apply", "--auto-approve"]).expect(1);
    assert!(
        run.stderr.contains("the state cannot be written"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    assert_eq!(p.writes().len(), before, "the org was changed");
}

/// Waits until the state records an object (with [`TWO_QUEUES`] and one change at a time:
/// the division is done and queue A is in flight).
fn wait_until_something_is_recorded(p: &Project) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let recorded =
        |s: &serde_json::Value| s["resources"].as_object().is_some_and(|r| !r.is_empty());
    while !p.state().as_ref().is_some_and(recorded) {
        assert!(Instant::now() < deadline, "nothing was recorded");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_state_write_failing_mid_run_stops_new_changes_and_the_rerun_adopts() {
    let p = Project::new(
        genseed::emulator::EmulatorConfig {
            faults: vec![genseed::emulator::FaultRule {
                matcher: genseed::emulator::FaultMatch {
                    method: Some("POST".into()),
                    path: Some("/api/v2/routing/queues".into()),
                },
                latency_ms: Some(1500),
                ..Default::default()
            }],
            ..Default::default()
        },
        None,
    );
    p.seed("main.yaml", TWO_QUEUES);
    let child = p
        .command("emu", &["apply", "--auto-approve", "--parallelism", "1"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the division is recorded, queue A is on its way: take the state folder away.
    wait_until_something_is_recorded(&p);
    let state = p.dir.path().join(".genseed/state");
    let aside = p.dir.path().join(".genseed/state-aside");
    std::fs::rename(&state, &aside).unwrap();
    std::fs::write(&state, "").unwrap();
    let run = Run::from(child.wait_with_output().unwrap()).expect(1);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("done in the org but not recorded in the state"),
        "{all}"
    );
    assert!(
        all.contains("not started: the state file could not be written"),
        "{all}"
    );
    assert_eq!(
        p.count("/api/v2/routing/queues", "name", "Hard Queue B"),
        0,
        "{all}"
    );
    std::fs::remove_file(&state).unwrap();
    std::fs::rename(&aside, &state).unwrap();
    let run = p.apply();
    assert!(run.stdout.contains("adopt"), "{}", run.stdout);
    for q in ["Hard Queue A", "Hard Queue B"] {
        assert_eq!(p.count("/api/v2/routing/queues", "name", q), 1, "{q}");
    }
    let resources = p.state().unwrap()["resources"].as_object().unwrap().len();
    assert_eq!(resources, 3);
}

#[test]
fn a_state_of_another_environment_or_without_org_is_refused() {
    let p = project(HEAD);
    p.apply();
    let file = p.dir.path().join(".genseed/state/emu.json");
    let mut state = p.state().unwrap();
    state["env"] = "prod".into();
    std::fs::write(&file, state.to_string()).unwrap();
    let run = p.run(&["plan"]).expect(1);
    assert!(
        run.stderr
            .contains("belongs to environment `prod`, not `emu`"),
        "{}",
        run.stderr
    );
    state["env"] = "emu".into();
    state.as_object_mut().unwrap().remove("orgId");
    std::fs::write(&file, state.to_string()).unwrap();
    let run = p.run(&["apply", "--auto-approve"]).expect(1);
    assert!(run.stderr.contains("names no org"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
}

#[test]
fn sigterm_is_handled_like_ctrl_c() {
    let p = Project::new(
        genseed::emulator::EmulatorConfig {
            faults: vec![genseed::emulator::FaultRule {
                matcher: genseed::emulator::FaultMatch {
                    method: Some("POST".into()),
                    path: Some("/api/v2/routing/queues".into()),
                },
                // Long enough that the signal reliably lands while the first queue is in flight,
                // even on a busy machine.
                latency_ms: Some(4000),
                ..Default::default()
            }],
            ..Default::default()
        },
        None,
    );
    p.seed("main.yaml", TWO_QUEUES);
    let child = p
        .command("emu", &["apply", "--auto-approve", "--parallelism", "1"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_something_is_recorded(&p);
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let run = Run::from(child.wait_with_output().unwrap()).expect(1);
    assert!(
        run.stderr
            .contains("terminate (SIGTERM): starting no new changes"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("Apply interrupted"), "{}", run.stdout);
    assert!(
        run.stdout.contains("1 not started (interrupted)"),
        "{}",
        run.stdout
    );
    // The queue in flight finished and was recorded; the other one never started.
    assert_eq!(p.count("/api/v2/routing/queues", "name", "Hard Queue B"), 0);
    let state = p.state().unwrap();
    assert_eq!(state["resources"].as_object().unwrap().len(), 2, "{state}");
}

/// genseed.yaml with one environment `bad` whose org is at `urls` (YAML lines).
fn with_bad_env(p: &Project, urls: &str) {
    let file = p.dir.path().join("genseed.yaml");
    let mut yaml = std::fs::read_to_string(&file).unwrap();
    yaml.push_str(&format!(
        "  bad:\n{urls}    clientIdEnv: GENSEED_TEST_CLIENT_ID\n    clientSecretEnv: GENSEED_TEST_CLIENT_SECRET\n"
    ));
    std::fs::write(file, yaml).unwrap();
}

#[test]
fn a_refused_connection_or_unknown_host_fails_in_seconds_naming_the_url() {
    // Port 9 (discard) has no listener here; `.invalid` never resolves (RFC 6761).
    for (urls, named) in [
        (
            "    apiUrl: http://127.0.0.1:9\n    loginUrl: http://127.0.0.1:9\n",
            "cannot reach http://127.0.0.1:9/oauth/token",
        ),
        (
            "    region: genseed-test.invalid\n",
            "cannot reach https://login.genseed-test.invalid/oauth/token",
        ),
    ] {
        let p = project(HEAD);
        with_bad_env(&p, urls);
        let started = Instant::now();
        let run = run_within(p.command("bad", &["plan"]), 60).expect(1);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(run.stderr.contains(named), "{}", run.stderr);
        assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    }
    // The login host answers, the API host does not.
    let p = project(HEAD);
    let login = p.emulator.base_url();
    with_bad_env(
        &p,
        &format!("    apiUrl: http://127.0.0.1:9\n    loginUrl: {login}\n"),
    );
    let run = run_within(p.command("bad", &["plan"]), 60).expect(1);
    assert!(
        run.stderr.contains("cannot reach http://127.0.0.1:9"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_long_retry_wait_later_in_the_run_is_shown() {
    // The server allows two requests per 4 s, so a later request waits on its 429.
    let p = Project::new(
        genseed::emulator::EmulatorConfig {
            rate_limit: Some(genseed::emulator::RateLimit {
                requests: 2,
                per: Duration::from_secs(4),
            }),
            ..Default::default()
        },
        None,
    );
    p.seed("main.yaml", HEAD);
    let run = run_within(p.command("emu", &["plan"]), 120).expect(0);
    assert!(run.stderr.contains("429"), "{}", run.stderr);
    assert!(run.stderr.contains("retrying in "), "{}", run.stderr);
}

#[test]
fn a_reference_in_a_field_that_does_not_interpolate_is_reported() {
    let p = project(
        "queues:\n  - name: Hard Queue A\n    description: \"see ${queue:Hard Queue B}\"\n  - name: Hard Queue B\n",
    );
    let run = p.run(&["validate"]).expect(1);
    assert!(
        run.stderr.contains(
            "main.yaml:3:18: error: `${queue:Hard Queue B}` is not resolved in this field"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_second_yaml_document_is_explained_plainly() {
    let p = project("divisions:\n  - name: X\n---\nskills:\n  - name: Y\n");
    let run = p.run(&["validate"]).expect(1);
    assert!(
        run.stderr
            .contains("main.yaml:4:1: error: a manifest holds one YAML document"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("from_str"), "{}", run.stderr);
}

#[test]
fn a_manifest_linked_to_the_environment_is_not_read() {
    let p = project(HEAD);
    std::os::unix::fs::symlink("/proc/self/environ", p.dir.path().join("seeds/evil.yaml")).unwrap();
    for cmd in ["validate", "plan"] {
        let run = p.run(&[cmd]).expect(1);
        assert!(
            run.stderr
                .contains("evil.yaml is a symbolic link leading outside the seeds folder"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("GENSEED_TEST"), "{}", run.stderr);
    }
}
