//! genseed against the rules of the real Genesys Cloud service that the emulator models
//! (issue 11): where the real API is less forgiving than a naive emulator would be.

use genseed::emulator::{EmulatorConfig, EmulatorHandle};
use serde_json::{Value, json};

use crate::support::*;

fn project() -> Project {
    Project::new(EmulatorConfig::default(), None)
}

fn requests_to(p: &Project, method: &str, path: &str) -> Vec<genseed::emulator::LoggedRequest> {
    p.emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .collect()
}

fn user_by_email(p: &Project, email: &str) -> Value {
    let (s, found) = p.call("GET", "/api/v2/users?state=any&pageSize=500", None);
    assert_eq!(s, 200, "{found}");
    found["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .cloned()
        .unwrap_or_else(|| panic!("no user {email}"))
}

const USERS: &str = "
users:
  - email: ada@example.com
    name: Ada
  - email: bob@example.com
    name: Bob
    state: inactive
";

#[test]
fn users_are_created_in_their_declared_state() {
    let p = project();
    p.seed("users.yaml", USERS);
    p.apply();
    // The emulator, like the real API without invites, creates a user without `state`
    // inactive: genseed must always send it.
    assert_eq!(user_by_email(&p, "ada@example.com")["state"], "active");
    assert_eq!(user_by_email(&p, "bob@example.com")["state"], "inactive");
    for r in requests_to(&p, "POST", "/api/v2/users") {
        assert!(
            r.body["state"].is_string(),
            "create without state: {}",
            r.body
        );
    }
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_user_whose_state_drifted_is_planned_and_set_back() {
    let p = project();
    p.seed("users.yaml", USERS);
    p.apply();
    let ada = user_by_email(&p, "ada@example.com");
    let (s, body) = p.call(
        "PATCH",
        &format!("/api/v2/users/{}", ada["id"].as_str().unwrap()),
        Some(json!({"state": "inactive", "version": ada["version"]})),
    );
    assert_eq!(s, 200, "{body}");
    let plan = p.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout.contains(r#"state: "inactive" → "active""#),
        "{}",
        plan.stdout
    );
    p.apply();
    assert_eq!(user_by_email(&p, "ada@example.com")["state"], "active");
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn users_are_observed_by_state_never_with_state_any() {
    let p = project();
    p.seed("users.yaml", USERS);
    p.apply();
    let states: Vec<String> = p
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v2/users")
        .map(|r| r.query)
        .collect();
    assert!(!states.is_empty());
    assert!(
        states.iter().all(|q| !q.contains("state=any")),
        "{states:?}"
    );
    assert!(
        states.iter().any(|q| q.contains("state=inactive")),
        "{states:?}"
    );
}

/// An org file with `n` inactive users besides the emulator's fresh org.
fn org_with_inactive_users(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let fresh = EmulatorHandle::start_in_thread(EmulatorConfig::default()).expect("emulator");
    let mut org = fresh.dump();
    let home = org["divisions"]
        .as_object()
        .unwrap()
        .values()
        .find(|d| d["homeDivision"] == true)
        .map(|d| d["id"].clone())
        .unwrap();
    let users = org["users"].as_object_mut().unwrap();
    for i in 0..n {
        let id = format!("00000000-0000-4000-8000-{i:012}");
        let email = format!("old.{i:05}@example.com");
        users.insert(
            id.clone(),
            json!({"id": id, "name": format!("Old {i:05}"), "email": email, "username": email,
                   "state": "inactive", "division": {"id": home}, "version": 1,
                   "addresses": [], "selfUri": format!("/api/v2/users/{id}")}),
        );
    }
    let path = dir.join("org.json");
    std::fs::write(&path, serde_json::to_vec(&org).unwrap()).unwrap();
    path
}

#[test]
fn inactive_users_past_the_listing_cap_are_still_found() {
    let dir = tempfile::tempdir().unwrap();
    let data = org_with_inactive_users(dir.path(), 10_050);
    let p = Project::new(
        EmulatorConfig {
            data_file: Some(data),
            ..EmulatorConfig::default()
        },
        None,
    );
    // The emulator answers 400 past 10,000 inactive users, as the real API does.
    let (s, _) = p.call(
        "GET",
        "/api/v2/users?state=inactive&pageSize=500&pageNumber=21",
        None,
    );
    assert_eq!(s, 400);
    // The last inactive user by name is beyond the cap: genseed must adopt it, not
    // create it a second time (which the API would refuse with 409 anyway).
    p.seed(
        "users.yaml",
        "users:\n  - email: old.10049@example.com\n    name: Old 10049\n    state: inactive\n",
    );
    let plan = p.run(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains("= user \"old.10049@example.com\"")
            && plan.stdout.contains("0 to create"),
        "{}",
        plan.stdout
    );
    assert!(requests_to(&p, "POST", "/api/v2/users").is_empty());
}

const ACTIONS: &str = r#"
integrations:
  - name: Hooks
    type: custom-rest-actions
    enabled: true
dataActions:
  - name: Ping
    integration: Hooks
    category: Ops
    config:
      request: {requestUrlTemplate: "https://example.com/ping", requestType: GET, headers: {}}
      response: {translationMap: {}, successTemplate: "${rawResult}"}
    contract:
      input: {inputSchema: {type: object, properties: {}}}
      output: {successSchema: {type: object, properties: {}}}
"#;

#[test]
fn data_actions_are_read_with_their_contract_and_plan_no_change() {
    let p = project();
    p.seed("actions.yaml", ACTIONS);
    p.run(&["apply", "--auto-approve", "--skip-url-check"])
        .expect(0);
    // The listing, as the real one, has no contract.
    let listed = p.list("/api/v2/integrations/actions?includeConfig=true");
    assert!(
        listed.iter().all(|a| a.get("contract").is_none()),
        "{listed:?}"
    );
    // An action genseed does not manage is never read one by one.
    let integration = listed[0]["integrationId"].clone();
    let (s, other) = p.call(
        "POST",
        "/api/v2/integrations/actions",
        Some(json!({"name": "Other", "category": "Ops", "integrationId": integration,
            "config": {"request": {"requestUrlTemplate": "https://example.com", "requestType": "GET"}},
            "contract": {"input": {"inputSchema": {"type": "object"}},
                         "output": {"successSchema": {"type": "object"}}}})),
    );
    assert_eq!(s, 200, "{other}");
    p.emulator.clear_requests();
    p.run(&["plan", "--detailed-exitcode", "--skip-url-check"])
        .expect(0);
    let reads: Vec<_> = p
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/v2/integrations/actions/"))
        .collect();
    assert_eq!(reads.len(), 1, "one read per managed action");
    assert!(
        reads[0].query.contains("expand=contract"),
        "{}",
        reads[0].query
    );
    assert!(!reads[0].path.ends_with(other["id"].as_str().unwrap()));
}

/// The one listed object at `path` named `name`.
fn named(p: &Project, path: &str, name: &str) -> Value {
    p.list(path)
        .into_iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no {name} at {path}"))
}

#[test]
fn a_queue_update_keeps_the_fields_its_listing_omits() {
    let p = project();
    p.seed(
        "q.yaml",
        "queues:\n  - name: Support\n    description: one\n",
    );
    p.apply();
    let q = named(&p, "/api/v2/routing/queues", "Support");
    let id = q["id"].as_str().unwrap();
    let (s, mut full) = p.call("GET", &format!("/api/v2/routing/queues/{id}"), None);
    assert_eq!(s, 200);
    // Set, elsewhere, a field the listing leaves out.
    full["whisperPrompt"] = json!({"id": "3b5a1c2e-0000-4000-8000-000000000001"});
    for k in [
        "id",
        "selfUri",
        "memberCount",
        "userMemberCount",
        "joinedMemberCount",
    ] {
        full.as_object_mut().unwrap().remove(k);
    }
    let (s, body) = p.call("PUT", &format!("/api/v2/routing/queues/{id}"), Some(full));
    assert_eq!(s, 200, "{body}");
    assert!(
        q.get("whisperPrompt").is_none()
            && named(&p, "/api/v2/routing/queues", "Support")
                .get("whisperPrompt")
                .is_none()
    );

    p.seed(
        "q.yaml",
        "queues:\n  - name: Support\n    description: two\n",
    );
    p.apply();
    let (_, after) = p.call("GET", &format!("/api/v2/routing/queues/{id}"), None);
    assert_eq!(after["description"], "two");
    assert_eq!(
        after["whisperPrompt"]["id"], "3b5a1c2e-0000-4000-8000-000000000001",
        "the PUT wiped a field the listing omits: {after}"
    );
}

#[test]
fn a_trigger_update_keeps_what_the_manifest_does_not_set() {
    let p = project();
    let trigger = |enabled: bool| {
        format!(
            "triggers:\n  - name: On presence\n    topicName: v2.users.abc.presence\n    workflow: Notify CRM Workflow\n    enabled: {enabled}\n"
        )
    };
    p.seed("t.yaml", &trigger(true));
    p.apply();
    let t = p.call("GET", "/api/v2/processautomation/triggers", None).1["entities"][0].clone();
    let id = t["id"].as_str().unwrap();
    let mut edited = t.clone();
    edited["description"] = json!("set in the UI");
    edited["eventTTLSeconds"] = json!(60);
    for k in ["id", "selfUri"] {
        edited.as_object_mut().unwrap().remove(k);
    }
    let path = format!("/api/v2/processautomation/triggers/{id}");
    let (s, body) = p.call("PUT", &path, Some(edited));
    assert_eq!(s, 200, "{body}");

    p.seed("t.yaml", &trigger(false));
    p.apply();
    let (_, after) = p.call("GET", &path, None);
    assert_eq!(after["enabled"], false);
    assert_eq!(after["description"], "set in the UI", "{after}");
    assert_eq!(after["eventTTLSeconds"], 60, "{after}");
}

#[test]
fn lookups_send_only_what_the_sdk_operations_take() {
    let p = Project::with_example();
    p.apply();
    p.emulator.clear_requests();
    p.run(&["plan"]).expect(0);
    let log = p.emulator.requests();
    let subjects: Vec<_> = log
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/v2/authorization/subjects/"))
        .collect();
    assert!(!subjects.is_empty(), "the example grants roles");
    assert!(
        subjects.iter().all(|r| !r.query.contains("subjectType")),
        "getAuthorizationSubject has no subjectType"
    );
    // Users as the SDK's User model has them: no `dateModified`.
    let user = user_by_email(&p, "seed.agent.one@example.com");
    assert!(user.get("dateModified").is_none(), "{user}");
}

#[test]
fn workflows_are_looked_up_lower_case_and_the_emulator_takes_both() {
    let p = project();
    p.seed(
        "t.yaml",
        "triggers:\n  - name: T\n    topicName: v2.users.abc.presence\n    workflow: Notify CRM Workflow\n",
    );
    p.run(&["plan"]).expect(0);
    let flows: Vec<_> = p
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v2/flows")
        .collect();
    assert!(!flows.is_empty());
    assert!(
        flows.iter().all(|r| r.query.contains("type=workflow")),
        "{:?}",
        flows[0].query
    );
    for t in ["workflow", "WORKFLOW"] {
        let listed = p.list(&format!("/api/v2/flows?type={t}"));
        assert!(
            listed.iter().any(|f| f["name"] == "Notify CRM Workflow"),
            "{t}"
        );
    }
}

#[test]
fn an_integration_name_two_integrations_share_is_refused() {
    let p = project();
    for _ in 0..2 {
        let (s, made) = p.call(
            "POST",
            "/api/v2/integrations",
            Some(json!({"integrationType": {"id": "custom-rest-actions"}})),
        );
        assert_eq!(s, 200, "{made}");
        let id = made["id"].as_str().unwrap();
        let (s, cfg) = p.call(
            "GET",
            &format!("/api/v2/integrations/{id}/config/current"),
            None,
        );
        assert_eq!(s, 200, "{cfg}");
        let mut cfg = cfg;
        cfg["name"] = json!("Hooks");
        let (s, body) = p.call(
            "PUT",
            &format!("/api/v2/integrations/{id}/config/current"),
            Some(cfg),
        );
        assert_eq!(s, 200, "{body}");
    }
    assert_eq!(p.count("/api/v2/integrations", "name", "Hooks"), 2);
    p.seed(
        "i.yaml",
        "integrations:\n  - name: Hooks\n    type: custom-rest-actions\n",
    );
    p.emulator.clear_requests();
    let r = p.run(&["apply", "--auto-approve"]).expect(1);
    assert!(
        r.stderr
            .contains("2 integrations in the org have this name"),
        "{}",
        r.stderr
    );
    assert!(p.writes().is_empty(), "{:?}", p.writes());
}

#[test]
fn queue_creates_are_paced_as_configured() {
    let p = Project::with_env(
        EmulatorConfig::default(),
        None,
        "    rateLimit: 60000/min\n    queueCreateIntervalMs: 600\n",
    );
    p.seed(
        "q.yaml",
        "queues:\n  - name: Q1\n  - name: Q2\n  - name: Q3\n",
    );
    let started = std::time::Instant::now();
    p.run(&["apply", "--auto-approve", "--parallelism", "3"])
        .expect(0);
    // Three creates, each at least 600 ms after the previous one, even in parallel.
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(requests_to(&p, "POST", "/api/v2/routing/queues").len(), 3);
}

#[test]
fn a_policy_written_as_a_legacy_permission_is_a_located_error() {
    let p = project();
    p.seed(
        "r.yaml",
        "roles:\n  - name: Agents\n    permissions: [routing:queue:view]\n",
    );
    let r = p.run(&["validate"]).expect(1);
    assert!(r.stderr.contains("r.yaml:3:"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("{domain: routing, entityName: queue, actionSet: [view]}"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_role_whose_policies_the_org_merges_shows_no_drift() {
    let p = project();
    p.seed(
        "r.yaml",
        "roles:\n  - name: Agents\n    permissionPolicies:\n      - {domain: routing, entityName: queue, actionSet: [view]}\n      - {domain: routing, entityName: queue, actionSet: [edit]}\n",
    );
    p.apply();
    let role = named(&p, "/api/v2/authorization/roles", "Agents");
    assert_eq!(
        role["permissionPolicies"].as_array().unwrap().len(),
        1,
        "{role}"
    );
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
}

const GROUPS: &str = "
divisions:
  - name: East
  - name: West
skills:
  - name: Billing
skillGroups:
  - name: Billing Experts
    division: East
    skillConditions:
      - routingSkillConditions:
          - {routingSkill: Billing, comparator: GreaterThanOrEqualTo, proficiency: 3}
        languageSkillConditions: []
        operation: And
";

fn member_division_names(p: &Project) -> Vec<String> {
    let g = named(p, "/api/v2/routing/skillgroups", "Billing Experts");
    let id = g["id"].as_str().unwrap();
    let (s, list) = p.call(
        "GET",
        &format!("/api/v2/routing/skillgroups/{id}/members/divisions"),
        None,
    );
    assert_eq!(s, 200, "{list}");
    let mut names: Vec<String> = list["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn skill_groups_get_member_divisions_declared_or_their_own() {
    let p = project();
    p.seed("g.yaml", GROUPS);
    p.apply();
    assert_eq!(member_division_names(&p), ["East"]);
    p.run(&["plan", "--detailed-exitcode"]).expect(0);

    p.seed(
        "g.yaml",
        &format!("{GROUPS}    memberDivisions: [East, West]\n"),
    );
    let plan = p.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(plan.stdout.contains("memberDivisions"), "{}", plan.stdout);
    p.apply();
    assert_eq!(member_division_names(&p), ["East", "West"]);
    p.run(&["plan", "--detailed-exitcode"]).expect(0);

    p.seed("g.yaml", &format!("{GROUPS}    memberDivisions: [West]\n"));
    p.apply();
    assert_eq!(member_division_names(&p), ["West"]);
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
}
