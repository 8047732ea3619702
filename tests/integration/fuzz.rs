//! Property tests (proptest) over manifest loading, CSV loading and the schema check:
//! whatever the input, no panic, every error is located inside the input and short, and
//! the hardening rules hold (integers, unclosed quotes, referenced paths). Bounded: a
//! fixed number of small cases per property, so the suite takes seconds.

use std::path::Path;
use std::sync::OnceLock;

use genseed::diag::{Diagnostics, EXCERPT_CHARS};
use genseed::manifest::{SchemaValidator, load_yaml, parse_csv_all, resolve_referenced};
use proptest::prelude::*;

/// The manifest schema, compiled once.
fn validator() -> &'static SchemaValidator {
    static V: OnceLock<SchemaValidator> = OnceLock::new();
    V.get_or_init(|| {
        let schema = serde_json::from_str(genseed::spec::COMMITTED_SCHEMA).unwrap();
        SchemaValidator::new(&schema).unwrap_or_else(|d| panic!("{d}"))
    })
}

/// 96 cases per property in CI; `PROPTEST_CASES=5000` for a longer hunt.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(96);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every diagnostic lies within the input's lines and says something short.
fn well_formed(diags: &Diagnostics, text: &str) -> Result<(), TestCaseError> {
    let lines = text.split('\n').count();
    for d in diags {
        if let Some(l) = &d.location {
            prop_assert!(l.line >= 1 && l.line <= lines + 1, "{d:?} in {lines} lines");
            prop_assert!(l.col >= 1, "{d:?}");
        }
        prop_assert!(!d.message.is_empty());
        prop_assert!(d.message.chars().count() < 400, "{}", d.message);
        prop_assert!(!d.message.contains('\n'), "{}", d.message);
    }
    Ok(())
}

/// Pieces of manifests: real keys, odd scalars and YAML punctuation.
fn yaml_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("queues:\n  - name: Q\n".to_owned()),
        Just("    mediaSettings: {call: {alertingTimeoutSeconds: ".to_owned()),
        Just("users:\n  - email: a@example.com\n    name: A\n".to_owned()),
        Just("skills: [{name: S}]\n".to_owned()),
        Just("usersFromCsv:\n  - file: ".to_owned()),
        Just("---\n".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("\"".to_owned()),
        Just("}\n".to_owned()),
        Just("\t".to_owned()),
        "(0x|0o|\\+|-)?[0-9_]{1,22}(e[0-9]{1,3}|\\.[0-9])?",
        "[ -~]{0,12}",
        "\n {0,6}",
        any::<char>().prop_map(String::from),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn yaml_loading_and_schema_check_never_panic(pieces in proptest::collection::vec(yaml_piece(), 0..24)) {
        let text: String = pieces.concat();
        match load_yaml(Path::new("m.yaml"), &text) {
            Ok(doc) => {
                let diags = validator().validate(&doc);
                well_formed(&diags, &text)?;
            }
            Err(diags) => {
                prop_assert!(diags.has_errors());
                well_formed(&diags, &text)?;
            }
        }
    }

    #[test]
    fn integer_fields_take_only_plain_integers_in_range(
        spelling in prop_oneof![
            "-?[0-9]{1,25}",
            "0x[0-9a-fA-F]{1,6}",
            "0o[0-7]{1,6}",
            "[1-9][0-9]{0,3}_[0-9]{3}",
            "\\+[0-9]{1,4}",
            "[0-9]{1,4}e[0-9]",
            "[0-9]{1,4}\\.0",
        ]
    ) {
        let text = format!(
            "queues:\n  - name: Q\n    mediaSettings:\n      call:\n        alertingTimeoutSeconds: {spelling}\n"
        );
        let doc = load_yaml(Path::new("m.yaml"), &text).unwrap_or_else(|d| panic!("{d}"));
        let diags = validator().validate(&doc);
        let digits = spelling.trim_start_matches('-');
        // Leading zeros (`010`) stay strings, as YAML 1.1 would read them as octal.
        let plain = digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        let in_range = spelling.parse::<i64>().is_ok_and(|n| (7..=2_147_483_647).contains(&n));
        if plain && in_range {
            prop_assert!(diags.is_empty(), "{spelling}: {diags}");
        } else {
            prop_assert!(diags.has_errors(), "{spelling} was accepted");
            let d = &diags.0[0];
            let l = d.location.as_ref().unwrap();
            prop_assert_eq!((l.line, l.col), (5, 33), "{}", d.message);
        }
    }

    #[test]
    fn csv_loading_never_panics_and_stays_located(bytes in proptest::collection::vec(
        prop_oneof![
            Just(b','), Just(b'"'), Just(b'\n'), Just(b'\r'), Just(b' '), Just(0xffu8),
            any::<u8>(), (b'a'..=b'z'),
        ],
        0..160,
    )) {
        let (rows, diags) = parse_csv_all(Path::new("u.csv"), &bytes, &["email"]);
        let text = String::from_utf8_lossy(&bytes);
        well_formed(&diags, &text)?;
        for d in &diags {
            let hint = d.hint.as_deref().unwrap_or_default();
            // No cell is replayed at length.
            for cell in hint.split(", ") {
                prop_assert!(cell.chars().count() <= EXCERPT_CHARS + 40, "{hint}");
            }
        }
        for r in rows {
            prop_assert!(r.line >= 1);
        }
    }

    #[test]
    fn an_unclosed_quote_is_always_reported(
        rows in proptest::collection::vec("[a-z]{1,5},[a-z]{0,5}", 1..6),
        open_at in 0usize..6,
    ) {
        let mut text = String::from("name,email\n");
        for (i, row) in rows.iter().enumerate() {
            if i == open_at % rows.len() {
                text.push('"');
            }
            text.push_str(row);
            text.push('\n');
        }
        let (_, diags) = parse_csv_all(Path::new("u.csv"), text.as_bytes(), &[]);
        prop_assert!(
            diags.iter().any(|d| d.message == "this quote is never closed"),
            "{text:?}: {diags}"
        );
    }

    #[test]
    fn referenced_paths_never_leave_the_manifest_folder(
        parts in proptest::collection::vec(
            prop_oneof![Just(".."), Just("."), Just(""), Just("/"), Just("sub"), Just("u.csv"), Just("/etc")],
            1..6,
        )
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("u.csv"), "a\n").unwrap();
        std::fs::write(dir.path().join("sub/u.csv"), "a\n").unwrap();
        let reference = parts.join("/");
        let manifest = dir.path().join("main.yaml");
        if let Ok(path) = resolve_referenced(&manifest, &reference, "CSV file", None) {
            let real = std::fs::canonicalize(&path).unwrap();
            let folder = std::fs::canonicalize(dir.path()).unwrap();
            prop_assert!(real.starts_with(&folder), "{reference} → {}", real.display());
            prop_assert!(real.is_file());
        }
    }
}

proptest! {
    // A whole load (files, schema, CSV, semantic checks) costs ~50 ms: a third of the cases.
    #![proptest_config(ProptestConfig { cases: config().cases.div_ceil(3), ..config() })]

    #[test]
    fn whole_seeds_folders_load_without_panic(
        users in proptest::collection::vec(("[A-Za-z ]{0,8}", "[a-z.]{0,6}@?[a-z]{0,5}\\.?[a-z]{0,3}"), 0..4),
        csv in proptest::collection::vec(
            prop_oneof![
                Just("first_name,last_name,email,phone_number,division\n".to_owned()),
                "[A-Za-z]{0,5},[A-Za-z]{0,5},[a-z]{1,5}@x\\.io,\\+?[0-9]{0,12},[A-Z]{0,3}\n",
                Just("\"".to_owned()),
                Just(",,,,\n".to_owned()),
            ],
            0..6,
        ),
        alerting in prop_oneof!["[0-9]{1,11}", "0x1[0-9]", "1e[0-9]"],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let seeds = dir.path().join("seeds");
        std::fs::create_dir(&seeds).unwrap();
        let mut yaml = String::from("divisions:\n  - name: D\nusers:\n");
        for (name, email) in &users {
            yaml.push_str(&format!("  - {{name: \"{name}\", email: \"{email}\"}}\n"));
        }
        yaml.push_str(&format!(
            "queues:\n  - name: Q\n    mediaSettings: {{call: {{alertingTimeoutSeconds: {alerting}}}}}\n"
        ));
        yaml.push_str("usersFromCsv:\n  - file: u.csv\n    division: D\n");
        std::fs::write(seeds.join("main.yaml"), &yaml).unwrap();
        std::fs::write(seeds.join("u.csv"), csv.concat()).unwrap();
        let sources = genseed::diag::SourceCache::new();
        if let Err(diags) = genseed::validate::load(&seeds, &sources) {
            prop_assert!(diags.has_errors());
            for d in &diags {
                prop_assert!(d.message.chars().count() < 400, "{}", d.message);
            }
            // Rendering reads the located files back; it must not fail either.
            let text = genseed::diag::render(&diags, &sources);
            prop_assert!(text.contains("error"));
        }
    }
}
