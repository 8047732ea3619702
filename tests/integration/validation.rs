//! Bad input: every problem at once, with its location, and nothing contacted or written.

use genseed::emulator::EmulatorConfig;

use crate::support::Project;

const BAD: &str = "\
divisions:
  - name: Ops
skills:
  - name: Billing
  - name: billing
languages:
  - name: Spanish
users:
  - email: not-an-email
    name: Broken User
    division: Nowhere
    phones:
      - number: \"202-555-0101\"
    skills:
      Billing: 7
      Sales: 3
    languages:
      Spanish: 2
  - email: Ada@Example.com
    name: Ada Again
    titel: typo
queues:
  - name: Q1
    skillEvaluationMethod: SOMETIMES
    wrapupCodes: [Missing Code]
    members: [ghost@example.com]
usersFromCsv:
  - file: people.csv
";

const CSV: &str = "\
first_name,last_name,email,phone_number,division
Ada,Lovelace,ada@example.com,+12025550111,
Bad,Phone,bad.phone@example.com,555-1234,Ops
Too,Short,short@example.com
";

#[test]
fn every_problem_is_reported_at_once_with_file_line_col() {
    let p = Project::with_example();
    for e in std::fs::read_dir(p.dir.path().join("seeds"))
        .unwrap()
        .flatten()
    {
        std::fs::remove_file(e.path()).unwrap();
    }
    p.seed("main.yaml", BAD);
    p.seed("people.csv", CSV);
    let run = p.run(&["plan"]).expect(1);
    let err = &run.stderr;
    let f = "main.yaml";
    for expected in [
        format!("{f}:5:11: error: duplicate skill `billing`"),
        format!("{f}:9:12: error: `not-an-email` is not a valid e-mail address"),
        format!("{f}:11:15: error: division `Nowhere` is not declared"),
        format!("{f}:13:17: error: phone `202-555-0101` is not in E.164 form"),
        format!("{f}:15:16: error: proficiency 7 of `Billing` is outside 0–5"),
        format!("{f}:16:14: error: skill `Sales` is not declared"),
        format!("{f}:21:5: error: unknown field `titel`"),
        format!("{f}:24:28: error: `SOMETIMES` is not one of NONE, BEST, ALL"),
        format!("{f}:25:19: error: wrapupcode `Missing Code` is not declared"),
        format!("{f}:26:15: error: user `ghost@example.com` is not declared"),
        "people.csv:2:".to_string(),
        "people.csv:3:33: error: phone `555-1234` is not in E.164 form".to_string(),
        "people.csv:4:1: error: row has 3 fields".to_string(),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }
    // The duplicate across YAML and CSV (e-mails compared lower-cased) is caught too.
    assert!(err.contains("duplicate user `ada@example.com`"), "{err}");
    // Source lines and hints are shown.
    assert!(
        err.contains("   24 |     skillEvaluationMethod: SOMETIMES"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    // Nothing contacted, nothing written.
    assert!(
        p.emulator.requests().is_empty(),
        "{:?}",
        p.emulator.requests()
    );
    assert!(!p.dir.path().join(".genseed").exists());
}

#[test]
fn malformed_yaml_is_located() {
    let p = Project::new(Default::default(), None);
    p.seed("a.yaml", "skills:\n  - name: Billing\n   - name: Broken\n");
    let run = p.run(&["validate"]).expect(1);
    assert!(run.stderr.contains("a.yaml:3:"), "{}", run.stderr);
}

#[test]
fn validate_accepts_the_example_and_counts_it() {
    let p = Project::with_example();
    let run = p.run(&["validate"]).expect(0);
    assert!(
        run.stdout.contains("Valid: 2 files, 18 objects"),
        "{}",
        run.stdout
    );
    assert!(p.emulator.requests().is_empty());
}

#[test]
fn typos_in_references_and_fields_get_a_suggestion() {
    let p = Project::new(EmulatorConfig::default(), None);
    p.seed(
        "main.yaml",
        "\
divisions:
  - name: Bootstrap Division
skills:
  - name: Billing
wrapupCodes:
  - name: Escalated
users:
  - email: a@example.com
    name: A
    division: Bootstrap Divison
    titel: Agent
    skills: {Biling: 3}
queues:
  - name: Q
    wrapupCodes: [Escalatd]
",
    );
    let run = p.run(&["validate"]).expect(1);
    for hint in [
        "did you mean `Bootstrap Division`?",
        "did you mean `Billing`?",
        "did you mean `Escalated`?",
        "did you mean `title`?",
    ] {
        assert!(
            run.stderr.contains(hint),
            "missing `{hint}` in:\n{}",
            run.stderr
        );
    }
}

#[path = "../../benches/support/orggen.rs"]
mod orggen;

/// Every YAML file under `dir`, recursively.
fn yaml_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// The manifests users write (the generated org of the benchmarks, the examples, the
/// seeds and what `genseed init` writes) read alike the quick way and the thorough way:
/// same value, same position for every value and key.
#[test]
fn manifests_read_alike_quickly_and_thoroughly() {
    let dir = tempfile::tempdir().unwrap();
    let mut shape = orggen::OrgShape::new(150);
    shape.users_per_queue = 20;
    orggen::write_project(dir.path(), &shape, "http://127.0.0.1:9").unwrap();
    let mut files = Vec::new();
    for root in ["examples", "seeds", "templates"] {
        yaml_files(std::path::Path::new(root), &mut files);
    }
    yaml_files(dir.path(), &mut files);
    assert!(files.len() > 8, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let quick = genseed::manifest::load_yaml(&file, &text);
        let thorough = genseed::manifest::yaml::load_yaml_thoroughly(&file, &text);
        match (quick, thorough) {
            (Ok(q), Ok(t)) => assert!(q == t, "{} read differently", file.display()),
            (Err(_), Err(_)) => {}
            (q, t) => panic!("{}: {:?} vs {:?}", file.display(), q.is_ok(), t.is_ok()),
        }
    }
}

/// `genseed validate` keeps only the outline of each object (its spec dropped once its
/// file is checked): it finds the same problems as a load for planning, and the same
/// objects, origins, dependencies and tiers.
#[test]
fn the_outline_a_validate_keeps_matches_a_full_load() {
    use genseed::diag::SourceCache;
    use genseed::validate::{Keep, load_keeping};
    let vars = std::collections::BTreeMap::new();
    let load =
        |seeds: &std::path::Path, keep| load_keeping(seeds, &SourceCache::new(), &vars, keep);

    let dir = tempfile::tempdir().unwrap();
    let mut shape = orggen::OrgShape::new(150);
    shape.users_per_queue = 20;
    orggen::write_project(dir.path(), &shape, "http://127.0.0.1:9").unwrap();
    let seeds = dir.path().join("seeds");
    let (full, outline) = (
        load(&seeds, Keep::Specs).unwrap(),
        load(&seeds, Keep::Outline).unwrap(),
    );
    assert!(full.declared.len() > 300, "{}", full.declared.len());
    assert_eq!(full.declared.len(), outline.declared.len());
    for (f, o) in full.declared.iter().zip(&outline.declared) {
        assert_eq!(f.addr, o.addr);
        assert_eq!(f.origin, o.origin);
        assert!(!f.spec.is_null() && o.spec.is_null(), "{}", f.addr);
    }
    assert_eq!(
        (&full.deps, &full.tiers, &full.files),
        (&outline.deps, &outline.tiers, &outline.files)
    );

    let p = Project::with_example();
    p.seed("main.yaml", BAD);
    p.seed("people.csv", CSV);
    // A key declared again in another file, and a reference across files.
    p.seed("more.yaml", "skills:\n  - name: BILLING\nqueues:\n  - name: Q2\n    members: [ada@example.com, nobody@example.com]\n");
    let seeds = p.dir.path().join("seeds");
    let (full, outline) = (
        load(&seeds, Keep::Specs).unwrap_err(),
        load(&seeds, Keep::Outline).unwrap_err(),
    );
    let messages: Vec<&str> = full.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("duplicate skill `BILLING`")),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"user `nobody@example.com` is not declared in any manifest"),
        "{messages:?}"
    );
    assert_eq!(full.0, outline.0);
}

/// A placeholder is found however its string is written: a file's text is searched for
/// `${` first, and an escaped `$` (`"\x24{…}"`) must not slip past that search.
#[test]
fn an_escaped_placeholder_is_still_checked() {
    let p = Project::with_example();
    p.seed(
        "escaped.yaml",
        "skills:\n  - name: Plain\nqueues:\n  - name: Escaped\n    description: \"\\x24{var.nope}\"\n",
    );
    let run = p.run(&["validate"]).expect(1);
    assert!(
        run.stderr
            .contains("escaped.yaml:5:18: error: variable `nope` is not defined"),
        "{}",
        run.stderr
    );
}
