//! Applying manifests: create, converge, adopt, drift back, state loss.

use serde_json::json;

use crate::support::{Project, SECRET};

#[test]
fn example_applies_then_second_run_is_a_no_op() {
    let p = Project::with_example();
    let first = p.apply();
    assert!(
        first
            .stdout
            .contains("Plan: 24 to create, 0 to update, 0 to adopt, 0 unchanged."),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("Apply complete: 24 created"),
        "{}",
        first.stdout
    );

    // The org holds what the manifests declare, once each.
    assert_eq!(
        p.count(
            "/api/v2/authorization/divisions",
            "name",
            "Bootstrap Division"
        ),
        1
    );
    assert_eq!(p.count("/api/v2/routing/skills", "name", "Billing"), 1);
    assert_eq!(
        p.count(
            "/api/v2/users?state=any",
            "email",
            "ada.lovelace@example.com"
        ),
        1
    );
    let queue = &p.list("/api/v2/routing/queues?name=Seed%20Support%20Queue")[0];
    assert_eq!(queue["skillEvaluationMethod"], "BEST");
    assert_eq!(queue["mediaSettings"]["call"]["alertingTimeoutSeconds"], 8);
    let qid = queue["id"].as_str().unwrap();
    assert_eq!(
        p.list(&format!("/api/v2/routing/queues/{qid}/members"))
            .len(),
        2
    );
    assert_eq!(
        p.list(&format!("/api/v2/routing/queues/{qid}/wrapupcodes"))
            .len(),
        2
    );

    // A second plan is all no-op, and a second apply writes nothing.
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
    p.emulator.clear_requests();
    let second = p.apply();
    assert!(second.stdout.contains("No changes."), "{}", second.stdout);
    assert!(
        p.writes().is_empty(),
        "second apply wrote: {:?}",
        p.writes()
    );

    // The state names the org and every object.
    let state = p.state().expect("state written");
    assert_eq!(state["formatVersion"], 1);
    assert!(state["orgId"].is_string());
    assert_eq!(state["resources"].as_object().unwrap().len(), 18);
    assert!(state["resources"]["user/seed.agent.one@example.com"]["id"].is_string());
    assert!(!state.to_string().contains(SECRET));
}

#[test]
fn pending_changes_give_exit_code_2_with_detailed_exitcode() {
    let p = Project::with_example();
    let plan = p.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout.contains("+ division \"Bootstrap Division\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("+ members of queue \"Seed Support Queue\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("+ seed.agent.one@example.com"),
        "{}",
        plan.stdout
    );
    // plan changes nothing.
    assert!(p.writes().is_empty());
    assert!(p.state().is_none());
    p.run(&["plan"]).expect(0);
}

#[test]
fn objects_that_already_exist_are_adopted_not_duplicated() {
    let p = Project::with_example();
    let (s, _) = p.call(
        "POST",
        "/api/v2/routing/skills",
        Some(json!({"name": "Billing"})),
    );
    assert_eq!(s, 200);
    let (s, div) = p.call(
        "POST",
        "/api/v2/authorization/divisions",
        Some(json!({"name": "Bootstrap Division", "description": "Seeded by genseed"})),
    );
    assert_eq!(s, 200);
    let (s, _) = p.call(
        "POST",
        "/api/v2/users",
        Some(json!({"name": "Seed Agent Two", "email": "Seed.Agent.Two@example.com", "divisionId": div["id"], "state": "active"})),
    );
    assert_eq!(s, 200);
    p.emulator.clear_requests();

    let plan = p.run(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains("= skill \"Billing\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("= division \"Bootstrap Division\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("= user \"seed.agent.two@example.com\""),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("3 to adopt"), "{}", plan.stdout);

    p.apply();
    assert_eq!(p.count("/api/v2/routing/skills", "name", "Billing"), 1);
    assert_eq!(
        p.count(
            "/api/v2/authorization/divisions",
            "name",
            "Bootstrap Division"
        ),
        1
    );
    assert_eq!(
        p.count(
            "/api/v2/users?state=any",
            "email",
            "seed.agent.two@example.com"
        ),
        1
    );
    let state = p.state().unwrap();
    assert!(state["resources"]["skill/billing"]["id"].is_string());
}

#[test]
fn drift_in_the_org_is_shown_and_put_back() {
    let p = Project::with_example();
    p.apply();
    let queue = p.list("/api/v2/routing/queues?name=Seed%20Support%20Queue")[0].clone();
    let id = queue["id"].as_str().unwrap().to_string();
    let mut changed = queue.clone();
    changed["description"] = json!("Changed by hand");
    changed["mediaSettings"]["call"]["alertingTimeoutSeconds"] = json!(30);
    changed["mediaSettings"]["call"]["enableAutoAnswer"] = json!(true);
    for k in [
        "id",
        "selfUri",
        "dateCreated",
        "dateModified",
        "memberCount",
        "userMemberCount",
        "joinedMemberCount",
        "createdBy",
        "modifiedBy",
    ] {
        changed.as_object_mut().unwrap().remove(k);
    }
    let (s, body) = p.call(
        "PUT",
        &format!("/api/v2/routing/queues/{id}"),
        Some(changed),
    );
    assert_eq!(s, 200, "{body}");

    let plan = p.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout.contains("~ queue \"Seed Support Queue\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("~ description: \"Changed by hand\" → \"Seed Queue\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("~ mediaSettings.call.alertingTimeoutSeconds: 30 → 8"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to create, 1 to update, 0 to adopt"),
        "{}",
        plan.stdout
    );

    p.apply();
    let after = &p.list("/api/v2/routing/queues?name=Seed%20Support%20Queue")[0];
    assert_eq!(after["description"], "Seed Queue");
    assert_eq!(after["mediaSettings"]["call"]["alertingTimeoutSeconds"], 8);
    // A setting the manifest does not manage is kept.
    assert_eq!(after["mediaSettings"]["call"]["enableAutoAnswer"], true);
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn user_drift_and_a_removed_member_are_put_back() {
    let p = Project::with_example();
    p.apply();
    let user = p
        .list("/api/v2/users")
        .into_iter()
        .find(|u| u["email"] == "seed.agent.one@example.com")
        .unwrap();
    let uid = user["id"].as_str().unwrap();
    let (s, b) = p.call(
        "PATCH",
        &format!("/api/v2/users/{uid}"),
        Some(json!({"title": "Supervisor", "version": user["version"]})),
    );
    assert_eq!(s, 200, "{b}");
    let qid = p.list("/api/v2/routing/queues?name=Seed%20Support%20Queue")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, b) = p.call(
        "POST",
        &format!("/api/v2/routing/queues/{qid}/members?delete=true"),
        Some(json!([{"id": uid}])),
    );
    assert!(s < 300, "{b}");

    let plan = p.run(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains("~ title: \"Supervisor\" → \"Agent\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("~ members of queue \"Seed Support Queue\""),
        "{}",
        plan.stdout
    );
    p.apply();
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn deleting_the_state_file_makes_the_next_run_adopt_everything() {
    let p = Project::with_example();
    p.apply();
    std::fs::remove_file(p.dir.path().join(".genseed/state/emu.json")).unwrap();
    p.emulator.clear_requests();
    let plan = p.run(&["plan"]).expect(0);
    assert!(
        plan.stdout
            .contains("Plan: 0 to create, 0 to update, 18 to adopt"),
        "{}",
        plan.stdout
    );
    p.apply();
    assert!(p.writes().is_empty(), "re-adoption wrote: {:?}", p.writes());
    assert_eq!(
        p.state().unwrap()["resources"].as_object().unwrap().len(),
        18
    );
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn the_local_environment_needs_no_credentials_and_persists() {
    let p = Project::with_example();
    let first = p.run_env("local", &["apply", "--auto-approve"]).expect(0);
    assert!(first.stdout.contains("24 created"), "{}", first.stdout);
    assert!(p.dir.path().join(".genseed/emulator/local.json").is_file());
    let second = p.run_env("local", &["apply", "--auto-approve"]).expect(0);
    assert!(second.stdout.contains("No changes."), "{}", second.stdout);
}

#[test]
fn divisions_query_is_a_cursor_listing() {
    let p = Project::with_example();
    for n in ["Cursor A", "Cursor B", "Cursor C"] {
        let (s, _) = p.call(
            "POST",
            "/api/v2/authorization/divisions",
            Some(json!({"name": n, "description": ""})),
        );
        assert_eq!(s, 200);
    }
    let mut names = Vec::new();
    let mut next = Some("/api/v2/authorization/divisions/query?pageSize=2".to_string());
    let mut pages = 0;
    while let Some(uri) = next {
        let (s, body) = p.call("GET", &uri, None);
        assert_eq!(s, 200, "{body}");
        assert!(body.get("total").is_none(), "cursor listings have no total");
        for e in body["entities"].as_array().unwrap() {
            names.push(e["name"].as_str().unwrap().to_string());
        }
        next = body["nextUri"].as_str().map(str::to_string);
        pages += 1;
    }
    assert_eq!(pages, 2);
    assert_eq!(names, ["Cursor A", "Cursor B", "Cursor C", "Home"]);
    let (s, _) = p.call(
        "GET",
        "/api/v2/authorization/divisions/query?pageSize=201",
        None,
    );
    assert_eq!(s, 400);
}
