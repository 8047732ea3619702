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
    let run = a
        .run(&["export", "--out", out_a.to_str().unwrap()])
        .expect(0);
    assert!(run.stderr.contains("requests"), "{}", run.stderr);
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
    assert!(exported["users.yaml"].contains("load.user.0299@example.com"));

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
