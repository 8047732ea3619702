//! The permission preflight: an OAuth client restricted the way an admin would (a role
//! with chosen permission policies, granted in a division, through the real
//! `PUT /api/v2/oauth/clients/{id}`) gets a refusal before any write, or passes.

use serde_json::{Value, json};

use crate::support::{CLIENT_ID, Project};

const QUEUES: &str = "queues:\n  - name: Support\n  - name: Billing\n";

/// The policies an admin gives a role, from `domain:entity:action` strings.
fn policies(perms: &[&str]) -> Value {
    perms
        .iter()
        .map(|p| {
            let mut parts = p.splitn(3, ':');
            json!({"domain": parts.next(), "entityName": parts.next(),
                   "actionSet": [parts.next()]})
        })
        .collect()
}

/// Create a role with `perms` and make it the client's only grant, in `division`.
fn restrict(p: &Project, perms: &[&str], division: &str) {
    let (status, role) = p.call(
        "POST",
        "/api/v2/authorization/roles",
        Some(json!({"name": "Seeder", "permissionPolicies": policies(perms)})),
    );
    assert_eq!(status, 200, "{role}");
    let path = format!("/api/v2/oauth/clients/{CLIENT_ID}");
    let (status, mut client) = p.call("GET", &path, None);
    assert_eq!(status, 200, "{client}");
    client["roleDivisions"] = json!([{"roleId": role["id"], "divisionId": division}]);
    let (status, body) = p.call("PUT", &path, Some(client));
    assert_eq!(status, 200, "{body}");
    p.emulator.clear_requests();
}

/// The permissions to read one's own grants.
const READ_GRANTS: [&str; 2] = ["oauth:client:view", "authorization:role:view"];

fn home(p: &Project) -> String {
    let divisions = p.list("/api/v2/authorization/divisions");
    let home = divisions.iter().find(|d| d["homeDivision"] == json!(true));
    home.unwrap()["id"].as_str().unwrap().to_string()
}

#[test]
fn a_role_without_queue_creation_is_refused_before_any_write() {
    let p = Project::new(Default::default(), None);
    p.seed("org.yaml", &format!("skills:\n  - name: Sales\n{QUEUES}"));
    restrict(
        &p,
        &[READ_GRANTS[0], READ_GRANTS[1], "routing:skill:manage"],
        "*",
    );
    let run = p.run(&["plan", "--check-permissions"]).expect(1);
    for needle in [
        "lacks 1 permission the plan needs",
        "routing:queue:add (in division `Home`): queue/Billing, queue/Support",
        "`Seeder` in all divisions",
    ] {
        assert!(run.stderr.contains(needle), "{needle}\n{}", run.stderr);
    }
    let run = p.run(&["apply", "--auto-approve"]).expect(1);
    assert!(run.stderr.contains("routing:queue:add"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("routing:skill:manage"),
        "{}",
        run.stderr
    );
    assert_eq!(p.writes(), vec![], "nothing may be written");
    assert!(p.state().is_none_or(|s| s["resources"] == json!({})));

    // JSON: the error document lists the missing permissions.
    let run = p.run(&["plan", "--check-permissions", "--json"]).expect(1);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc["error"]["missingPermissions"],
        json!([{"anyOf": ["routing:queue:add"], "division": "Home",
                "objects": ["queue/Billing", "queue/Support"]}])
    );
}

#[test]
fn a_saved_plan_is_checked_before_its_first_write() {
    let p = Project::new(Default::default(), None);
    p.seed("org.yaml", QUEUES);
    let file = p.dir.path().join("plan.json");
    p.run(&["plan", "--out", file.to_str().unwrap()]).expect(0);
    restrict(&p, &READ_GRANTS, "*");
    let run = p.run(&["apply", file.to_str().unwrap()]).expect(1);
    assert!(
        run.stderr
            .contains("routing:queue:add (in division `Home`): queue/Billing, queue/Support"),
        "{}",
        run.stderr
    );
    assert_eq!(p.writes(), vec![]);
}

#[test]
fn a_role_with_every_permission_passes() {
    let p = Project::new(Default::default(), None);
    p.seed("org.yaml", QUEUES);
    restrict(&p, &["*:*:*"], &home(&p));
    p.run(&["plan", "--check-permissions"]).expect(0);
    let run = p.apply();
    assert!(run.stdout.contains("2 created"), "{}", run.stdout);
    assert_eq!(p.count("/api/v2/routing/queues", "name", "Support"), 1);
}

#[test]
fn a_client_that_cannot_read_its_grants_is_warned_and_goes_on() {
    let p = Project::new(Default::default(), None);
    p.seed("org.yaml", QUEUES);
    restrict(&p, &["routing:queue:add"], "*");
    let run = p
        .run(&["apply", "--auto-approve", "--require-permission-check"])
        .expect(1);
    assert!(
        run.stderr
            .contains("could not verify the OAuth client's permissions"),
        "{}",
        run.stderr
    );
    assert_eq!(p.writes(), vec![]);
    let run = p.apply();
    assert!(
        run.stderr
            .contains("warning: could not verify the OAuth client's permissions"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("oauth:client:view"), "{}", run.stderr);
    assert_eq!(p.count("/api/v2/routing/queues", "name", "Billing"), 1);
}

#[test]
fn a_grant_in_another_division_is_reported() {
    let p = Project::new(Default::default(), None);
    let (status, body) = p.call(
        "POST",
        "/api/v2/authorization/divisions",
        Some(json!({"name": "Sales", "description": "d"})),
    );
    assert_eq!(status, 200, "{body}");
    p.seed(
        "org.yaml",
        "divisions:\n  - name: Sales\n    description: d\nqueues:\n  - name: Support\n  - name: Deals\n    division: Sales\n",
    );
    let home = home(&p);
    restrict(
        &p,
        &[READ_GRANTS[0], READ_GRANTS[1], "routing:queue:add"],
        &home,
    );
    let run = p.run(&["apply", "--auto-approve"]).expect(1);
    assert!(
        run.stderr
            .contains("routing:queue:add (in division `Sales`): queue/Deals\n"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("queue/Support"), "{}", run.stderr);
    assert!(
        run.stderr.contains("`Seeder` in division `Home`"),
        "{}",
        run.stderr
    );
    assert_eq!(p.writes(), vec![]);
}

#[test]
fn the_emulator_refuses_a_write_the_roles_do_not_allow() {
    let p = Project::new(Default::default(), None);
    restrict(&p, &["routing:queue:view"], "*");
    let (status, body) = p.call(
        "POST",
        "/api/v2/routing/queues",
        Some(json!({"name": "Support"})),
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "missing.permissions");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("[routing:queue:add]"),
        "{body}"
    );
    // Reads the roles do not cover are not modelled (allowed).
    let (status, _) = p.call("GET", "/api/v2/routing/queues", None);
    assert_eq!(status, 200);
    // Its own grants need oauth:client:view.
    let (status, body) = p.call("GET", &format!("/api/v2/oauth/clients/{CLIENT_ID}"), None);
    assert_eq!(status, 403, "{body}");
    // tokens/me needs no permission and names the client.
    let (status, body) = p.call("GET", "/api/v2/tokens/me", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["OAuthClient"]["id"], CLIENT_ID);
    genseed::emulator::check_wire_model("TokenInfo", &body).unwrap();
}

#[test]
fn pruning_needs_the_delete_permission() {
    let p = Project::new(Default::default(), None);
    p.seed("org.yaml", QUEUES);
    p.apply();
    p.seed("org.yaml", "queues:\n  - name: Support\n");
    restrict(
        &p,
        &[
            READ_GRANTS[0],
            READ_GRANTS[1],
            "routing:queue:add",
            "routing:queue:edit",
        ],
        "*",
    );
    let run = p.run(&["apply", "--auto-approve", "--prune"]).expect(1);
    assert!(
        run.stderr
            .contains("routing:queue:delete (in division `Home`): queue/Billing\n"),
        "{}",
        run.stderr
    );
    assert_eq!(p.writes(), vec![]);
    // Without --prune nothing is deleted, so nothing more is needed.
    p.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(p.count("/api/v2/routing/queues", "name", "Billing"), 1);
}

#[test]
fn destroy_is_checked_before_its_first_delete() {
    let p = Project::new(Default::default(), None);
    p.seed("org.yaml", QUEUES);
    p.apply();
    restrict(&p, &READ_GRANTS, "*");
    let run = p.run(&["destroy", "--auto-approve"]).expect(1);
    assert!(
        run.stderr
            .contains("routing:queue:delete (in division `Home`): queue/Billing, queue/Support"),
        "{}",
        run.stderr
    );
    assert_eq!(p.writes(), vec![]);
}
