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
