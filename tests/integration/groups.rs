//! Groups and their members (by e-mail): located validation errors, create, a no-op
//! second run, drift back, additive members, and a different type planned as a replace.

use genseed::emulator::EmulatorConfig;
use serde_json::json;

use crate::support::Project;

const SEED: &str = "\
users:
  - email: ann@example.com
    name: Ann
  - email: bo@example.com
    name: Bo
groups:
  - name: Support Team
    description: Front line
    visibility: members
    members: [ann@example.com, Bo@Example.com]
  - name: Social Club
    type: social
";

fn project() -> Project {
    let p = Project::new(EmulatorConfig::default(), None);
    p.seed("main.yaml", SEED);
    p
}

#[test]
fn groups_with_members_apply_and_a_second_plan_is_all_no_op() {
    let p = project();
    let first = p.apply();
    assert!(
        first.stdout.contains("+ group \"Support Team\""),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("+ members of group \"Support Team\""),
        "{}",
        first.stdout
    );
    let groups = p.list("/api/v2/groups");
    let team = groups.iter().find(|g| g["name"] == "Support Team").unwrap();
    assert_eq!(team["description"], "Front line");
    assert_eq!(team["visibility"], "members");
    assert_eq!(team["type"], "official");
    let social = groups.iter().find(|g| g["name"] == "Social Club").unwrap();
    assert_eq!(social["type"], "social");
    assert_eq!(social["visibility"], "public");
    let id = team["id"].as_str().unwrap();
    let members = p.list(&format!("/api/v2/groups/{id}/members"));
    let mut emails: Vec<&str> = members
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    emails.sort();
    assert_eq!(emails, ["ann@example.com", "bo@example.com"]);

    p.emulator.clear_requests();
    let again = p.run(&["plan", "--detailed-exitcode"]).expect(0);
    assert!(
        again.stdout.contains("0 to create, 0 to update"),
        "{}",
        again.stdout
    );
    p.run(&["apply", "--auto-approve"]).expect(0);
    assert!(p.writes().is_empty(), "{:?}", p.writes());
}

#[test]
fn drifted_settings_are_put_back_and_extra_members_are_kept() {
    let p = project();
    p.apply();
    let team = p
        .list("/api/v2/groups")
        .into_iter()
        .find(|g| g["name"] == "Support Team")
        .unwrap();
    let id = team["id"].as_str().unwrap().to_string();
    // Someone edits the group in the UI and adds a member of their own.
    let (status, _) = p.call(
        "PUT",
        &format!("/api/v2/groups/{id}"),
        Some(
            json!({"name": "Support Team", "description": "edited", "visibility": "public",
            "rulesVisible": true, "version": team["version"]}),
        ),
    );
    assert_eq!(status, 200);
    let (status, carl) = p.call(
        "POST",
        "/api/v2/users",
        Some(json!({"name": "Carl", "email": "carl@example.com", "state": "active"})),
    );
    assert_eq!(status, 200, "{carl}");
    let version = p.call("GET", &format!("/api/v2/groups/{id}"), None).1["version"].clone();
    let (status, _) = p.call(
        "POST",
        &format!("/api/v2/groups/{id}/members"),
        Some(json!({"memberIds": [carl["id"]], "version": version})),
    );
    assert_eq!(status, 202);
    let plan = p.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("~ description: \"edited\" → \"Front line\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("~ visibility: \"public\" → \"members\""),
        "{}",
        plan.stdout
    );
    p.apply();
    let (_, now) = p.call("GET", &format!("/api/v2/groups/{id}"), None);
    assert_eq!(now["description"], "Front line");
    assert_eq!(now["visibility"], "members");
    let members = p.list(&format!("/api/v2/groups/{id}/members"));
    assert_eq!(members.len(), 3, "additive: the member added by hand stays");
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_different_type_is_a_replace_that_needs_allow_replace() {
    let p = project();
    p.apply();
    p.seed("main.yaml", &SEED.replace("type: social", "type: official"));
    let plan = p.run(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains("-/+ group \"Social Club\""),
        "{}",
        plan.stdout
    );
    p.run(&["apply", "--auto-approve"]).expect(1);
    p.run(&["apply", "--auto-approve", "--allow-replace"])
        .expect(0);
    let social = p
        .list("/api/v2/groups")
        .into_iter()
        .find(|g| g["name"] == "Social Club")
        .unwrap();
    assert_eq!(social["type"], "official");
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn unknown_members_and_bad_enums_are_located_and_nothing_is_written() {
    let p = project();
    p.seed(
        "main.yaml",
        &SEED
            .replace("Bo@Example.com]", "Bo@Example.com, nobody@example.com]")
            .replace("type: social", "type: secret"),
    );
    let run = p.run(&["plan"]).expect(1);
    let f = p.dir.path().join("seeds/main.yaml");
    let f = f.display();
    for expected in [
        format!("{f}:10:48: error: user `nobody@example.com` is not declared"),
        format!("{f}:12:11: error: `secret` is not one of official, social"),
    ] {
        assert!(
            run.stderr.contains(&expected),
            "missing `{expected}` in:\n{}",
            run.stderr
        );
    }
    assert!(p.writes().is_empty());
}
