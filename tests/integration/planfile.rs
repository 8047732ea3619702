//! Saved plans (issue 15): `plan --out FILE`, `apply FILE`, `show FILE`; the refusals
//! when the world moved since the plan, secrets kept out of the file, and resuming an
//! interrupted `apply FILE`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use genseed::emulator::EmulatorConfig;
use serde_json::{Value, json};

use crate::support::{Project, Run, duplicates, workload};

fn plan_path(p: &Project) -> PathBuf {
    p.dir.path().join("plan.json")
}

/// `plan --out plan.json --detailed-exitcode`, expecting `code`.
fn save_plan(p: &Project, code: i32) -> Value {
    let path = plan_path(p);
    p.run(&[
        "plan",
        "--out",
        path.to_str().unwrap(),
        "--detailed-exitcode",
    ])
    .expect(code);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn apply_file(p: &Project, extra: &[&str]) -> Run {
    let path = plan_path(p);
    let mut args = vec!["apply", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    p.run(&args)
}

/// `apply plan.json` is refused with exit 1, naming `cause`, and nothing is written.
#[track_caller]
fn assert_refused(p: &Project, run: Run, cause: &str) {
    let run = run.expect(1);
    assert!(run.stderr.contains(cause), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert_eq!(p.writes().len(), 0, "{:?}", p.writes());
}

fn division_id(p: &Project) -> String {
    let divs = p.list("/api/v2/authorization/divisions");
    divs.iter()
        .find(|d| d["name"] == "Bootstrap Division")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn edit_division_description(p: &Project, to: &str) {
    let seeds = p.dir.path().join("seeds/bootstrap.yaml");
    let text = std::fs::read_to_string(&seeds).unwrap();
    let edited = text.replacen(
        "description: Seeded by genseed",
        &format!("description: {to}"),
        1,
    );
    assert_ne!(text, edited);
    std::fs::write(seeds, edited).unwrap();
}

#[test]
fn a_saved_plan_applies_as_reviewed_and_a_new_plan_is_a_no_op() {
    let p = Project::with_example();
    let doc = save_plan(&p, 2);
    assert_eq!(doc["formatVersion"], 1);
    assert_eq!(doc["env"], "emu");
    assert_eq!(doc["state"]["serial"], 0);
    assert!(doc["manifests"]["hash"].as_str().unwrap().len() == 64);
    assert!(doc["manifests"]["files"]["bootstrap.yaml"].is_string());
    assert!(doc["changes"].as_array().unwrap().len() > 5);
    assert_eq!(doc["genseedVersion"], env!("CARGO_PKG_VERSION"));
    // Planning wrote nothing, and `show` prints it as plan does.
    assert_eq!(p.writes().len(), 0);
    assert!(p.state().is_none());
    let shown = p.run(&["show", plan_path(&p).to_str().unwrap()]).expect(0);
    assert!(
        shown.stdout.contains("+ division \"Bootstrap Division\""),
        "{}",
        shown.stdout
    );
    assert!(shown.stdout.contains("Saved plan"), "{}", shown.stdout);
    let json = p
        .run(&["show", plan_path(&p).to_str().unwrap(), "--json"])
        .expect(0);
    let back: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(back["planId"], doc["planId"]);
    // Applied without a prompt: it was reviewed when it was made.
    let run = apply_file(&p, &[]).expect(0);
    assert!(run.stdout.contains("created"), "{}", run.stdout);
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
    // The same file again: everything is done, nothing is created twice.
    p.emulator.clear_requests();
    let again = apply_file(&p, &[]).expect(0);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    assert_eq!(p.writes().len(), 0);
    assert_eq!(duplicates(&p.emulator.dump()), Vec::<String>::new());
}

#[test]
fn a_plan_with_no_changes_applies_as_nothing_to_do() {
    let p = Project::with_example();
    p.apply();
    save_plan(&p, 0);
    p.emulator.clear_requests();
    let run = apply_file(&p, &[]).expect(0);
    assert!(run.stdout.contains("No changes"), "{}", run.stdout);
    assert_eq!(p.writes().len(), 0);
}

#[test]
fn edited_manifests_are_refused_unless_ignored_and_then_only_the_plan_runs() {
    let p = Project::with_example();
    save_plan(&p, 2);
    p.seed("extra.yaml", "skills:\n  - name: Added After Review\n");
    p.emulator.clear_requests();
    assert_refused(
        &p,
        apply_file(&p, &["--auto-approve"]),
        "the manifests changed since the plan was made: extra.yaml (new)",
    );
    let hinted = apply_file(&p, &[]).expect(1);
    assert!(
        hinted.stderr.contains("add --ignore-manifest-changes"),
        "{}",
        hinted.stderr
    );
    apply_file(&p, &["--ignore-manifest-changes"]).expect(0);
    assert_eq!(
        p.count("/api/v2/routing/skills", "name", "Added After Review"),
        0
    );
    assert_eq!(p.count("/api/v2/routing/skills", "name", "Billing"), 1);
}

#[test]
fn an_object_edited_in_the_org_since_the_plan_is_refused() {
    let p = Project::with_example();
    p.apply();
    edit_division_description(&p, "Reviewed description");
    let doc = save_plan(&p, 2);
    let planned: Vec<&Value> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "noop")
        .collect();
    assert_eq!(planned.len(), 1, "{planned:?}");
    assert!(planned[0]["fingerprint"].as_str().unwrap().len() == 64);
    // Someone edits the division in the UI.
    let id = division_id(&p);
    let (status, _) = p.call(
        "PUT",
        &format!("/api/v2/authorization/divisions/{id}"),
        Some(json!({"name": "Bootstrap Division", "description": "Edited in the UI"})),
    );
    assert_eq!(status, 200);
    p.emulator.clear_requests();
    assert_refused(
        &p,
        apply_file(&p, &["--auto-approve"]),
        "division/Bootstrap Division: it was changed in the org since the plan was made",
    );
    let divs = p.list("/api/v2/authorization/divisions");
    let div = divs.iter().find(|d| d["id"] == id.as_str()).unwrap();
    assert_eq!(div["description"], "Edited in the UI");
}

#[test]
fn an_object_the_plan_creates_that_appeared_meanwhile_is_refused() {
    let p = Project::with_example();
    save_plan(&p, 2);
    let (status, _) = p.call(
        "POST",
        "/api/v2/routing/skills",
        Some(json!({"name": "Billing"})),
    );
    assert_eq!(status, 200);
    p.emulator.clear_requests();
    assert_refused(
        &p,
        apply_file(&p, &[]),
        "skill/Billing: the plan creates it, but it exists in the org now",
    );
}

#[test]
fn a_state_moved_by_another_apply_is_refused() {
    let p = Project::with_example();
    save_plan(&p, 2);
    p.apply();
    p.emulator.clear_requests();
    assert_refused(
        &p,
        apply_file(&p, &[]),
        "the state moved: serial 0 when the plan was made",
    );
}

#[test]
fn an_expired_plan_is_refused_and_max_age_sets_the_limit() {
    let p = Project::with_example();
    let mut doc = save_plan(&p, 2);
    let made = doc["createdAtUnix"].as_u64().unwrap();
    doc["createdAtUnix"] = json!(made - 25 * 3600);
    std::fs::write(plan_path(&p), doc.to_string()).unwrap();
    p.emulator.clear_requests();
    assert_refused(&p, apply_file(&p, &[]), "the plan expired: made 1d 1h ago");
    assert_refused(
        &p,
        apply_file(&p, &["--max-age", "2h"]),
        "the limit is 2h 0m",
    );
    let bad = apply_file(&p, &["--max-age", "soon"]).expect(2);
    assert!(bad.stderr.contains("not a duration"), "{}", bad.stderr);
    apply_file(&p, &["--max-age", "2d"]).expect(0);
}

#[test]
fn a_plan_for_another_environment_is_refused() {
    let p = Project::with_example();
    save_plan(&p, 2);
    p.emulator.clear_requests();
    let path = plan_path(&p);
    let run = p.run_env("local", &["apply", path.to_str().unwrap()]);
    assert_refused(
        &p,
        run,
        "the plan was made for environment `emu`, not `local`",
    );
}

#[test]
fn a_plan_for_another_org_is_refused() {
    let p = Project::with_example();
    let mut doc = save_plan(&p, 2);
    doc["org"]["id"] = json!("another-org");
    std::fs::write(plan_path(&p), doc.to_string()).unwrap();
    p.emulator.clear_requests();
    assert_refused(
        &p,
        apply_file(&p, &[]),
        "the plan was made for org another-org, but environment `emu` now points at org",
    );
}

#[test]
fn not_a_plan_file_is_a_clear_error() {
    let p = Project::with_example();
    std::fs::write(
        plan_path(&p),
        "{\"formatVersion\": 7, \"genseedVersion\": \"9.0.0\"}",
    )
    .unwrap();
    let run = apply_file(&p, &[]).expect(1);
    assert!(
        run.stderr.contains("plan format 7 is newer"),
        "{}",
        run.stderr
    );
    std::fs::write(plan_path(&p), "not json").unwrap();
    let run = p.run(&["show", plan_path(&p).to_str().unwrap()]).expect(1);
    assert!(
        run.stderr.contains("not a genseed plan file"),
        "{}",
        run.stderr
    );
    assert_eq!(p.writes().len(), 0);
}

#[test]
fn the_fresh_read_touches_only_the_kinds_the_plan_changes() {
    let p = Project::with_example();
    p.apply();
    edit_division_description(&p, "Only this changes");
    save_plan(&p, 2);
    p.emulator.clear_requests();
    apply_file(&p, &[]).expect(0);
    let reads: Vec<String> = p
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path)
        .collect();
    for other in [
        "/api/v2/users",
        "/api/v2/routing/queues",
        "/api/v2/routing/skills",
    ] {
        assert!(
            !reads.iter().any(|r| r.starts_with(other)),
            "{other} was read: {reads:?}"
        );
    }
    let writes = p.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0].method, "PUT");
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
}

const CRM_PASSWORD: &str = "crm-pa55-saved-plan-never-3e8f";
const CRM_USER: &str = "crm-user-saved-plan-never-b71c";

fn with_crm(p: &Project, args: &[&str]) -> Run {
    let out = p
        .command("emu", args)
        .env("CRM_USER", CRM_USER)
        .env("CRM_PASSWORD", CRM_PASSWORD)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = Run::from(out);
    for s in [CRM_USER, CRM_PASSWORD] {
        assert!(
            !run.stdout.contains(s) && !run.stderr.contains(s),
            "secret leaked"
        );
    }
    run
}

#[test]
fn the_plan_file_holds_secret_names_never_their_values() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/integrations/seeds");
    let p = Project::new(EmulatorConfig::default(), Some(&seeds));
    let yaml = format!(
        "environments:\n  emu:\n    apiUrl: {url}\n    loginUrl: {url}\n    clientIdEnv: GENSEED_TEST_CLIENT_ID\n    clientSecretEnv: GENSEED_TEST_CLIENT_SECRET\n    vars:\n      crm_url: https://crm.example.invalid\n",
        url = p.emulator.base_url()
    );
    std::fs::write(p.dir.path().join("genseed.yaml"), yaml).unwrap();
    let path = plan_path(&p);
    let path = path.to_str().unwrap();
    with_crm(&p, &["plan", "--skip-url-check", "--out", path]).expect(0);
    let text = std::fs::read_to_string(path).unwrap();
    assert!(!text.contains(CRM_PASSWORD) && !text.contains(CRM_USER));
    assert!(!text.contains(crate::support::SECRET));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["secretEnvs"], json!(["CRM_PASSWORD", "CRM_USER"]));
    // Apply reads them from the environment again.
    with_crm(&p, &["apply", path, "--skip-url-check"]).expect(0);
    let sent = p
        .emulator
        .requests()
        .into_iter()
        .any(|r| r.path.contains("credentials") && r.method == "POST");
    assert!(sent, "the credential was created");
    with_crm(&p, &["plan", "--skip-url-check", "--detailed-exitcode"]).expect(0);
    let state = std::fs::read_to_string(p.dir.path().join(".genseed/state/emu.json")).unwrap();
    assert!(!state.contains(CRM_PASSWORD) && !state.contains(CRM_USER));
}

#[test]
fn a_killed_apply_of_a_saved_plan_resumes_without_creating_twice() {
    let p = Project::new(
        EmulatorConfig {
            latency: std::time::Duration::from_millis(20),
            ..EmulatorConfig::default()
        },
        None,
    );
    workload(&p, 30, 2);
    let doc = save_plan(&p, 2);
    let path = plan_path(&p);
    let child = p
        .command(
            "emu",
            &["apply", path.to_str().unwrap(), "--parallelism", "2"],
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while p
        .emulator
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/users"))
        .count()
        < 3
    {
        assert!(started.elapsed().as_secs() < 30, "apply never started");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let status = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let killed = child.wait_with_output().unwrap();
    assert_ne!(killed.status.code(), Some(0));
    let state = p.state().unwrap();
    // The state says which saved plan was running, so its own writes are not "moved".
    assert_eq!(state["planId"], doc["planId"]);
    assert!(state["serial"].as_u64().unwrap() > 1);
    let recorded = state["resources"].as_object().unwrap().len();
    assert!(recorded < 35, "the kill came before the end ({recorded})");
    let run = apply_file(&p, &[]).expect(0);
    assert!(!run.stdout.contains("No changes"), "{}", run.stdout);
    assert_eq!(duplicates(&p.emulator.dump()), Vec::<String>::new());
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
    // A plain apply clears the mark (when it has something to do).
    p.seed("more.yaml", "skills:\n  - name: After The Plan\n");
    p.apply();
    assert!(p.state().unwrap().get("planId").is_none());
}
