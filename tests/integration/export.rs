//! `genseed export` and `genseed diff`: an org read back as manifests that apply to
//! another org unchanged, and two orgs compared by natural key.

use std::collections::BTreeMap;
use std::path::Path;

use genseed::emulator::EmulatorConfig;

use crate::support::{Project, workload};

/// The files of an export folder, by name.
fn files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Whether `text` holds something shaped like a UUID (8-4-4-4-12 hex digits).
fn has_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    let shape = [8, 4, 4, 4, 12];
    (0..b.len()).any(|start| {
        let mut i = start;
        for (n, len) in shape.iter().enumerate() {
            if n > 0 {
                if b.get(i) != Some(&b'-') {
                    return false;
                }
                i += 1;
            }
            for _ in 0..*len {
                if !b.get(i).is_some_and(u8::is_ascii_hexdigit) {
                    return false;
                }
                i += 1;
            }
        }
        true
    })
}

/// Replace a project's seeds with the files of `dir`.
fn use_seeds(p: &Project, dir: &Path) {
    let seeds = p.dir.path().join("seeds");
    std::fs::remove_dir_all(&seeds).unwrap();
    std::fs::create_dir_all(&seeds).unwrap();
    for (name, text) in files(dir) {
        std::fs::write(seeds.join(name), text).unwrap();
    }
}

/// The examples plus a few hundred generated users, applied to org A.
fn org_a() -> Project {
    let a = Project::with_example();
    workload(&a, 200, 3);
    a.apply().expect(0);
    a
}

#[test]
fn export_applies_to_an_empty_org_and_exports_byte_identical() {
    let a = org_a();
    let out_a = a.dir.path().join("export-a");
    a.emulator.clear_requests();
    let run = a
        .run(&["export", "--out", out_a.to_str().unwrap()])
        .expect(0);
    // List pages only: role grants come from each role's holders, not one read per user.
    let paths: Vec<String> = a
        .emulator
        .requests()
        .into_iter()
        .filter(|r| !r.path.starts_with("/oauth"))
        .map(|r| r.path)
        .collect();
    assert!(
        !paths.iter().any(|p| p.contains("/authorization/subjects/")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.ends_with("/subjectgrants")),
        "{paths:?}"
    );
    assert!(
        run.stderr.contains(&format!("({} requests", paths.len())),
        "{} (the emulator saw {})",
        run.stderr,
        paths.len()
    );
    let exported = files(&out_a);
    assert!(exported.contains_key("users.yaml"), "{:?}", exported.keys());
    for (name, text) in &exported {
        assert!(!has_uuid(text), "{name} holds an ID:\n{text}");
        assert!(
            !text.contains("selfUri") && !text.contains("dateCreated"),
            "{name}"
        );
    }
    // Built-ins every org has are not re-declared.
    assert!(!exported["divisions.yaml"].contains("name: Home"));
    assert!(!exported["roles.yaml"].contains("name: employee"));
    assert!(exported["users.yaml"].contains("load.user.0199@example.com"));

    let b = Project::new(EmulatorConfig::default(), Some(&out_a));
    b.apply().expect(0);
    b.run(&["plan", "--detailed-exitcode"]).expect(0);
    let out_b = b.dir.path().join("export-b");
    b.run(&["export", "--out", out_b.to_str().unwrap()])
        .expect(0);
    let again = files(&out_b);
    assert_eq!(
        exported.keys().collect::<Vec<_>>(),
        again.keys().collect::<Vec<_>>()
    );
    for (name, text) in &exported {
        assert_eq!(text, &again[name], "{name} differs between the two orgs");
    }
}

#[test]
fn export_then_plan_against_the_same_org_plans_nothing() {
    let a = org_a();
    let out = a.dir.path().join("export");
    a.run(&["export", "--out", out.to_str().unwrap()]).expect(0);
    use_seeds(&a, &out);
    a.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn export_refuses_to_overwrite_and_writes_nothing_into_a_file() {
    let p = Project::with_example();
    p.apply().expect(0);
    // Default folder: the project's seeds, which already hold manifests of other names.
    let out = p.dir.path().join("out");
    p.run(&["export", "--out", out.to_str().unwrap()]).expect(0);
    let before = files(&out);
    let run = p.run(&["export", "--out", out.to_str().unwrap()]).expect(1);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    p.run(&["export", "--out", out.to_str().unwrap(), "--force"])
        .expect(0);
    assert_eq!(
        files(&out),
        before,
        "a second export of the same org is identical"
    );
    let file = p.dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let run = p
        .run(&["export", "--out", file.to_str().unwrap()])
        .expect(1);
    assert!(run.stderr.contains("is a file"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn export_only_selects_kinds() {
    let p = Project::with_example();
    p.apply().expect(0);
    let out = p.dir.path().join("out");
    p.run(&["export", "--out", out.to_str().unwrap(), "--only", "queues"])
        .expect(0);
    let names: Vec<String> = files(&out).into_keys().collect();
    assert_eq!(names, ["queues.yaml"]);
    let run = p
        .run(&["export", "--out", out.to_str().unwrap(), "--only", "queuez"])
        .expect(1);
    assert!(run.stderr.contains("queuez"), "{}", run.stderr);
}

#[test]
fn diff_compares_two_orgs_by_natural_key() {
    let a = Project::with_example();
    let b = Project::with_example();
    a.apply().expect(0);
    b.apply().expect(0);
    // `emu` is A; `other` is B (same setup, different IDs).
    let yaml = std::fs::read_to_string(a.dir.path().join("genseed.yaml")).unwrap();
    let url = b.emulator.base_url();
    let yaml = format!(
        "{yaml}  other:\n    apiUrl: {url}\n    loginUrl: {url}\n    clientIdEnv: GENSEED_TEST_CLIENT_ID\n    clientSecretEnv: GENSEED_TEST_CLIENT_SECRET\n    rateLimit: 60000/min\n"
    );
    std::fs::write(a.dir.path().join("genseed.yaml"), yaml).unwrap();
    let same = a
        .run(&["diff", "--against", "other", "--detailed-exitcode"])
        .expect(0);
    assert!(same.stdout.contains("No differences"), "{}", same.stdout);

    // In B: a queue's description changes and a member leaves.
    let queue = b
        .list("/api/v2/routing/queues")
        .into_iter()
        .find(|q| q["name"] == "Seed Support Queue")
        .unwrap();
    let qid = queue["id"].as_str().unwrap().to_string();
    let mut changed = queue.clone();
    changed["description"] = "Changed in B".into();
    let (status, _) = b.call(
        "PUT",
        &format!("/api/v2/routing/queues/{qid}"),
        Some(changed),
    );
    assert_eq!(status, 200);
    let user = b
        .list("/api/v2/users")
        .into_iter()
        .find(|u| u["email"] == "seed.agent.two@example.com")
        .unwrap();
    let uid = user["id"].as_str().unwrap();
    let (status, _) = b.call(
        "DELETE",
        &format!("/api/v2/routing/queues/{qid}/members/{uid}"),
        None,
    );
    assert!(status < 300, "{status}");

    let run = a
        .run(&["diff", "--against", "other", "--detailed-exitcode"])
        .expect(2);
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("      "))
        .collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("description: \"Seed Queue\" → \"Changed in B\""),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("members:"), "{}", run.stdout);
    assert!(run.stdout.contains("1 object(s) differ"), "{}", run.stdout);

    let json = a.run(&["diff", "--against", "other", "--json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["same"], false);
    assert_eq!(doc["differences"][0]["address"], "queue/Seed Support Queue");

    let bad = a.run(&["diff", "--against", "nowhere"]).expect(1);
    assert!(bad.stderr.contains("nowhere"), "{}", bad.stderr);
}

/// A project with the integrations example whose `emu` environment sets `crm_url`.
fn integrations_project(seeds: &Path) -> Project {
    let p = Project::new(EmulatorConfig::default(), Some(seeds));
    let yaml = format!(
        "environments:\n  emu:\n    apiUrl: {url}\n    loginUrl: {url}\n    clientIdEnv: GENSEED_TEST_CLIENT_ID\n    clientSecretEnv: GENSEED_TEST_CLIENT_SECRET\n    rateLimit: 60000/min\n    vars:\n      crm_url: https://crm.example.invalid\n",
        url = p.emulator.base_url()
    );
    std::fs::write(p.dir.path().join("genseed.yaml"), yaml).unwrap();
    p
}

/// `genseed --env emu ARGS` with the credential variables `envs` set.
fn run_with_secrets(p: &Project, args: &[&str], envs: &[&str]) -> crate::support::Run {
    let mut c = p.command("emu", args);
    for e in envs {
        c.env(e, "export-test-secret-value");
    }
    let run = crate::support::Run::from(c.stdin(std::process::Stdio::null()).output().unwrap());
    assert!(!run.stdout.contains("export-test-secret-value"));
    assert!(!run.stderr.contains("export-test-secret-value"));
    run
}

/// The variables the integrations example's export names for its credential.
fn secrets_of_export() -> [&'static str; 2] {
    [
        "CRM_WEB_SERVICES_BASICAUTH_USER",
        "CRM_WEB_SERVICES_BASICAUTH_PASSWORD",
    ]
}

#[test]
fn integrations_export_with_placeholders_and_vars_and_round_trips() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/integrations/seeds");
    let a = integrations_project(&example);
    let apply = ["apply", "--auto-approve", "--skip-url-check"];
    run_with_secrets(&a, &apply, &["CRM_USER", "CRM_PASSWORD"]).expect(0);
    let out_a = a.dir.path().join("export-a");
    a.run(&["export", "--out", out_a.to_str().unwrap()])
        .expect(0);
    let exported = files(&out_a);
    let all: String = exported.values().cloned().collect();
    assert!(!has_uuid(&all), "{all}");
    assert!(!all.contains("(sensitive)") && !all.contains("export-test-secret-value"));
    // Each placeholder says which variable to set.
    for v in secrets_of_export() {
        assert!(
            exported["integrations.yaml"].contains(&format!(
                "Env: {v}  # secret: set the environment variable {v} before applying\n"
            )),
            "{}",
            exported["integrations.yaml"]
        );
    }
    assert!(
        exported["dataActions.yaml"].contains("\"${var.crm_url}/events\""),
        "{}",
        exported["dataActions.yaml"]
    );

    let b = integrations_project(&out_a);
    let secrets = secrets_of_export();
    run_with_secrets(&b, &apply, &secrets).expect(0);
    run_with_secrets(&b, &["plan", "--detailed-exitcode", "--offline"], &secrets).expect(0);
    let out_b = b.dir.path().join("export-b");
    b.run(&["export", "--out", out_b.to_str().unwrap()])
        .expect(0);
    assert_eq!(files(&out_b), exported);
}

#[test]
fn export_writes_a_project_stub_when_there_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_genseed"))
        .arg("-C")
        .arg(dir.path())
        .args(["--env", "local", "export"])
        .env_remove("GENSEED_ENV")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stub = std::fs::read_to_string(dir.path().join("genseed.yaml")).unwrap();
    assert!(stub.contains("environments:"));
    // The embedded org has only built-ins: nothing to declare, so no manifest.
    assert!(dir.path().join("seeds").is_dir());
}

/// `n` users with a mix of the fields a CSV row holds: some in a division whose name
/// needs quoting, some with a title (another CSV group), some with a phone, and every
/// fourth with two spaces in its name (which a CSV row cannot give back).
fn plain_users(n: usize) -> String {
    let mut y =
        String::from("divisions:\n  - name: \"Plain, Division\"\n    description: plain\nusers:\n");
    for i in 0..n {
        y.push_str(&format!(
            "  - email: plain.user.{i:02}@example.com\n    name: Plain{}User{i}\n",
            if i % 4 == 0 { "  " } else { " " }
        ));
        if i % 2 == 0 {
            y.push_str("    division: \"Plain, Division\"\n");
        }
        if i % 3 == 0 {
            y.push_str("    title: Agent\n    department: Support\n");
        }
        if i % 5 == 0 {
            y.push_str(&format!(
                "    phones:\n      - number: \"+120255501{i:02}\"\n"
            ));
        }
    }
    y
}

#[test]
fn users_csv_export_round_trips_and_keeps_users_with_more_in_yaml() {
    let a = Project::with_example();
    a.seed("plain.yaml", &plain_users(30));
    a.apply().expect(0);
    let export = |p: &Project, dir: &Path| {
        p.run(&["export", "--users-csv", "--out", dir.to_str().unwrap()])
            .expect(0)
    };
    let out_a = a.dir.path().join("export-a");
    let run = export(&a, &out_a);
    let exported = files(&out_a);
    assert!(
        exported["usersFromCsv.yaml"].contains("- file: users-01.csv\n"),
        "{}",
        exported["usersFromCsv.yaml"]
    );
    assert!(exported["usersFromCsv.yaml"].contains("title: Agent"));
    let csv: String = ["users-01.csv", "users-02.csv"]
        .iter()
        .map(|f| exported[*f].clone())
        .collect();
    // A name with two spaces in a row cannot be split into trimmed cells: YAML.
    let doubled: Vec<String> = (0..30)
        .filter(|i| i % 4 == 0)
        .map(|i| format!("plain.user.{i:02}@"))
        .collect();
    assert_eq!(
        csv.matches("plain.user.").count(),
        30 - doubled.len(),
        "{csv}"
    );
    assert!(
        csv.contains("\nPlain,User10,plain.user.10@example.com,+12025550110,\"Plain, Division\"\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\nPlain,User1,plain.user.01@example.com,,\n"),
        "{csv}"
    );
    let yaml = &exported["users.yaml"];
    assert!(doubled.iter().all(|e| yaml.contains(e.as_str())), "{yaml}");
    assert_eq!(yaml.matches("plain.user.").count(), doubled.len(), "{yaml}");
    // The example's users carry skills and roles a CSV row cannot hold.
    assert!(yaml.contains("seed.agent.one@example.com") && yaml.contains("roles:"));
    // Objects count the CSV users (data rows), not their files' entries.
    let objects: usize = exported
        .iter()
        .map(|(name, text)| match name.as_str() {
            "usersFromCsv.yaml" => 0,
            n if n.ends_with(".csv") => text.lines().count() - 1,
            _ => text.lines().filter(|l| l.starts_with("  - ")).count(),
        })
        .sum();
    assert!(
        run.stderr.contains(&format!(
            "Exported {objects} object(s) into {} file(s)",
            exported.len()
        )),
        "{} (expected {objects})",
        run.stderr
    );

    let b = Project::new(EmulatorConfig::default(), Some(&out_a));
    b.apply().expect(0);
    b.run(&["plan", "--detailed-exitcode"]).expect(0);
    let out_b = b.dir.path().join("export-b");
    export(&b, &out_b);
    assert_eq!(files(&out_b), exported);
}
