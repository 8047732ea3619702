//! Command-line behaviour: confirmation, environments, exit codes.

use crate::support::Project;

#[test]
fn apply_without_a_terminal_or_auto_approve_refuses_with_a_hint() {
    let p = Project::with_example();
    let run = p.run(&["apply"]).expect(1);
    assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    assert!(p.writes().is_empty());
}

#[test]
fn an_unknown_environment_names_the_defined_ones() {
    let p = Project::with_example();
    let run = p.run_env("prod", &["plan"]).expect(1);
    assert!(
        run.stderr.contains("environment `prod` is not defined"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("emu"), "{}", run.stderr);
}

#[test]
fn missing_credentials_say_which_variable() {
    let p = Project::with_example();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_genseed"))
        .arg("-C")
        .arg(p.dir.path())
        .args(["--env", "emu", "plan"])
        .env_remove("GENSEED_TEST_CLIENT_ID")
        .env_remove("GENSEED_TEST_CLIENT_SECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("GENSEED_TEST_CLIENT_ID"), "{err}");
}

#[test]
fn wrong_credentials_fail_without_printing_the_secret() {
    let p = Project::with_example();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_genseed"))
        .arg("-C")
        .arg(p.dir.path())
        .args(["--env", "emu", "-v", "plan"])
        .env("GENSEED_TEST_CLIENT_ID", "someone-else")
        .env("GENSEED_TEST_CLIENT_SECRET", "wrong-secret-value-123")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("wrong-secret-value-123"), "{all}");
    assert!(all.contains("someone-else"), "{all}");
}

/// `genseed emulate` as its own process, reached by a plain HTTP client: first line of
/// stdout is the URL; rate limit and faults come from the flags.
#[test]
fn emulate_serves_any_http_client_with_limits_and_faults() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let faults = dir.path().join("faults.yaml");
    std::fs::write(
        &faults,
        "- match: {method: POST, path: /api/v2/routing/skills}\n  status: 503\n  times: 1\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genseed"))
        .args([
            "emulate",
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "3/s",
            "--faults",
        ])
        .arg(&faults)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let statuses = rt.block_on(async {
        let http = reqwest::Client::new();
        let bearer =
            crate::support::token(&http, &url, "genseed-local", "genseed-local-secret").await;
        let mut statuses = Vec::new();
        for _ in 0..2 {
            let r = http
                .post(format!("{url}/api/v2/routing/skills"))
                .bearer_auth(&bearer)
                .json(&serde_json::json!({"name": "From curl"}))
                .send()
                .await
                .unwrap();
            statuses.push(r.status().as_u16());
        }
        for _ in 0..3 {
            let r = http
                .get(format!("{url}/api/v2/routing/skills"))
                .bearer_auth(&bearer)
                .send()
                .await
                .unwrap();
            statuses.push(r.status().as_u16());
            if r.status() == 429 {
                assert!(r.headers().contains_key("retry-after"));
                let body: serde_json::Value = r.json().await.unwrap();
                assert_eq!(body["code"], "too.many.requests.retry.after");
            }
        }
        statuses
    });
    child.kill().unwrap();
    child.wait().unwrap();
    // The scripted 503, then the create, then the third request in the second is over 3/s.
    assert_eq!(&statuses[..2], &[503, 200], "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[test]
fn plan_json_lists_every_change_with_its_action_and_diffs() {
    let p = Project::with_example();
    let run = p.run(&["plan", "--json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON only");
    assert_eq!(doc["env"], "emu");
    assert_eq!(doc["hasChanges"], true);
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(
        doc["counts"]["create"].as_u64().unwrap() as usize,
        changes.len()
    );
    let members = changes
        .iter()
        .find(|c| c["address"] == "queue-members/Seed Support Queue")
        .unwrap();
    assert_eq!(members["action"], "create");
    assert!(
        members["diffs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["path"] == "seed.agent.one@example.com" && d["after"] == true)
    );
    p.apply();
    let again: serde_json::Value =
        serde_json::from_str(&p.run(&["plan", "--json"]).expect(0).stdout).unwrap();
    assert_eq!(again["hasChanges"], false);
    assert!(
        again["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["action"] == "noop")
    );
}

#[test]
fn a_reader_that_goes_away_is_not_a_panic() {
    let p = Project::with_example();
    let mut child = p
        .command("emu", &["plan", "--json"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // As `genseed plan --json | head -c0` would: the pipe is closed before the plan.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
