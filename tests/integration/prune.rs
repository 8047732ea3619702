//! Removal: orphans listed by every plan, `--prune` deleting what genseed created and
//! forgetting what it adopted, exclusive and additive managed sets, the `adopt: never`
//! policy, `destroy`, and a failed delete finished by the next run.

use genseed::emulator::{EmulatorConfig, FaultRule};
use serde_json::{Value, json};

use crate::support::Project;

const SEED: &str = "\
skills:
  - name: Billing
  - name: Old Skill
users:
  - email: ann@example.com
    name: Ann
  - email: gone@example.com
    name: Gone User
queues:
  - name: Support
    members: [ann@example.com]
  - name: Old Queue
";

/// The seed without `Old Skill`, `Old Queue` and the user `gone@example.com`.
const TRIMMED: &str = "\
skills:
  - name: Billing
users:
  - email: ann@example.com
    name: Ann
queues:
  - name: Support
    members: [ann@example.com]
";

fn project_with(cfg: EmulatorConfig, env_extra: &str) -> Project {
    let p = Project::with_env(cfg, None, &format!("    rateLimit: 60000/min\n{env_extra}"));
    p.seed("main.yaml", SEED);
    p
}

fn project() -> Project {
    project_with(EmulatorConfig::default(), "")
}

/// The `field` of every listed object not soft-deleted, sorted.
fn names(p: &Project, path: &str, field: &str) -> Vec<String> {
    let mut v: Vec<String> = p
        .list(path)
        .iter()
        .filter(|o| o["state"] != "deleted")
        .filter_map(|o| o[field].as_str().map(str::to_string))
        .collect();
    v.sort();
    v
}

fn state_keys(p: &Project) -> Vec<String> {
    p.state().unwrap()["resources"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn id_of(p: &Project, path: &str, field: &str, value: &str) -> String {
    p.list(path)
        .iter()
        .find(|o| o[field] == value)
        .and_then(|o| o["id"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("{value} not found at {path}"))
}

#[test]
fn removed_objects_are_orphans_listed_by_plan_and_deleted_only_with_prune() {
    let p = project();
    p.apply();
    let state = p.state().unwrap();
    assert_eq!(
        state["resources"]["skill/old skill"]["origin"], "created",
        "{state}"
    );
    p.seed("main.yaml", TRIMMED);
    p.emulator.clear_requests();
    let plan = p.run(&["plan"]).expect(0);
    for line in [
        "- skill \"Old Skill\" (no longer declared; run with --prune to delete)",
        "- queue \"Old Queue\" (no longer declared; run with --prune to delete)",
        "- user \"gone@example.com\" (no longer declared; run with --prune to delete)",
        "3 no longer declared",
    ] {
        assert!(plan.stdout.contains(line), "{line}\n{}", plan.stdout);
    }
    // Without --prune, apply deletes nothing and keeps them in the state, and says so.
    let kept = p.apply();
    assert!(
        kept.stdout
            .contains("3 objects no longer declared are kept (run with --prune to delete them)"),
        "{}",
        kept.stdout
    );
    assert!(p.writes().is_empty(), "{:?}", p.writes());
    assert!(state_keys(&p).contains(&"skill/old skill".to_string()));
    let json = p.run(&["plan", "--json", "--prune"]).expect(0);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["counts"]["orphans"], 3, "{doc}");
    assert_eq!(doc["counts"]["delete"], 3, "{doc}");
    assert_eq!(doc["orphans"][0]["address"], "queue/Old Queue", "{doc}");

    let pruned = p.run(&["apply", "--auto-approve", "--prune"]).expect(0);
    assert!(
        pruned.stdout.contains("3 deleted, 0 forgotten"),
        "{}",
        pruned.stdout
    );
    assert_eq!(names(&p, "/api/v2/routing/skills", "name"), ["Billing"]);
    assert_eq!(names(&p, "/api/v2/routing/queues", "name"), ["Support"]);
    assert_eq!(names(&p, "/api/v2/users", "email"), ["ann@example.com"]);
    // Users are soft-deleted; the queue went before the skills (reverse order).
    let deleted = p.list("/api/v2/users?state=deleted");
    assert_eq!(deleted[0]["email"], "gone@example.com");
    let deletes: Vec<String> = p
        .writes()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(deletes.len(), 3, "{deletes:?}");
    assert!(
        deletes[0].starts_with("/api/v2/routing/queues/"),
        "{deletes:?}"
    );
    assert!(!state_keys(&p).contains(&"skill/old skill".to_string()));

    p.emulator.clear_requests();
    let again = p.run(&["plan", "--prune", "--detailed-exitcode"]).expect(0);
    assert!(
        !again.stdout.contains("no longer declared"),
        "{}",
        again.stdout
    );
    p.run(&["apply", "--auto-approve", "--prune"]).expect(0);
    assert!(p.writes().is_empty(), "{:?}", p.writes());
}

#[test]
fn an_adopted_object_removed_from_the_manifests_is_forgotten_not_deleted() {
    let p = project();
    let (status, _) = p.call(
        "POST",
        "/api/v2/routing/skills",
        Some(json!({"name": "Old Skill"})),
    );
    assert_eq!(status, 200);
    p.apply();
    assert_eq!(
        p.state().unwrap()["resources"]["skill/old skill"]["origin"],
        "adopted"
    );
    p.seed("main.yaml", &SEED.replace("  - name: Old Skill\n", ""));
    let plan = p.run(&["plan", "--prune"]).expect(0);
    assert!(
        plan.stdout
            .contains("~ skill \"Old Skill\" (no longer declared, adopted: forget it"),
        "{}",
        plan.stdout
    );
    p.emulator.clear_requests();
    let run = p.run(&["apply", "--auto-approve", "--prune"]).expect(0);
    assert!(
        run.stdout.contains("0 deleted, 1 forgotten"),
        "{}",
        run.stdout
    );
    assert!(p.writes().is_empty(), "{:?}", p.writes());
    assert!(names(&p, "/api/v2/routing/skills", "name").contains(&"Old Skill".to_string()));
    assert!(!state_keys(&p).contains(&"skill/old skill".to_string()));
}

#[test]
fn an_exclusive_queue_removes_members_added_in_the_org_an_additive_one_only_shows_them() {
    let seed = "\
users:
  - email: ann@example.com
    name: Ann
queues:
  - name: Strict
    members: [ann@example.com]
    membersPolicy: exclusive
  - name: Loose
    members: [ann@example.com]
";
    let p = project();
    p.seed("main.yaml", seed);
    p.apply();
    let (status, extra) = p.call(
        "POST",
        "/api/v2/users",
        Some(json!({"name": "Hand Made", "email": "hand@example.com"})),
    );
    assert_eq!(status, 200, "{extra}");
    let user = extra["id"].as_str().unwrap();
    for q in ["Strict", "Loose"] {
        let qid = id_of(&p, "/api/v2/routing/queues", "name", q);
        let (status, body) = p.call(
            "POST",
            &format!("/api/v2/routing/queues/{qid}/members"),
            Some(json!([{"id": user}])),
        );
        assert!(status < 300, "{status} {body}");
    }
    let plan = p.run(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains("~ members of queue \"Strict\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("- hand@example.com"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("unmanaged"), "{}", plan.stdout);
    let verbose = p.run(&["-v", "plan"]).expect(0);
    assert!(
        verbose
            .stdout
            .contains("hand@example.com (unmanaged: in the org, not declared; kept)"),
        "{}",
        verbose.stdout
    );
    p.apply();
    let members = |q: &str| {
        let qid = id_of(&p, "/api/v2/routing/queues", "name", q);
        let mut m: Vec<String> = p
            .list(&format!("/api/v2/routing/queues/{qid}/members"))
            .iter()
            .filter_map(|m| m["id"].as_str().map(str::to_string))
            .collect();
        m.sort();
        m
    };
    assert_eq!(members("Strict").len(), 1);
    assert!(!members("Strict").contains(&user.to_string()));
    assert_eq!(members("Loose").len(), 2);
    p.emulator.clear_requests();
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn adopt_never_refuses_a_pre_existing_object_unless_adopt_is_given() {
    let p = project_with(EmulatorConfig::default(), "    adopt: never\n");
    p.call(
        "POST",
        "/api/v2/routing/skills",
        Some(json!({"name": "Billing"})),
    );
    let refused = p.run(&["plan"]).expect(1);
    assert!(
        refused.stderr.contains(
            "skill/Billing: exists in the org but not in the state; adopt it with --adopt"
        ),
        "{}",
        refused.stderr
    );
    p.emulator.clear_requests();
    p.run(&["apply", "--auto-approve"]).expect(1);
    assert!(p.writes().is_empty(), "{:?}", p.writes());
    p.run(&["apply", "--auto-approve", "--adopt"]).expect(0);
    // Once in the state it is no longer adopted: later runs pass.
    p.run(&["plan"]).expect(0);
}

#[test]
fn destroy_leaves_the_org_as_it_was_before_the_first_apply() {
    let p = project_with(EmulatorConfig::default(), "");
    // Something that existed before: adopted, so kept.
    p.call(
        "POST",
        "/api/v2/routing/skills",
        Some(json!({"name": "Billing"})),
    );
    let before = (
        names(&p, "/api/v2/routing/skills", "name"),
        names(&p, "/api/v2/routing/queues", "name"),
        names(&p, "/api/v2/users", "email"),
    );
    p.apply();
    p.run(&["destroy"]).expect(1);
    let run = p.run(&["destroy", "--auto-approve"]).expect(0);
    assert!(
        run.stdout.contains("- queue \"Old Queue\""),
        "{}",
        run.stdout
    );
    let after = (
        names(&p, "/api/v2/routing/skills", "name"),
        names(&p, "/api/v2/routing/queues", "name"),
        names(&p, "/api/v2/users", "email"),
    );
    assert_eq!(before, after);
    assert!(state_keys(&p).is_empty(), "{:?}", p.state());
}

#[test]
fn destroy_is_refused_on_a_protected_environment() {
    let p = project_with(EmulatorConfig::default(), "    protected: true\n");
    p.apply();
    p.emulator.clear_requests();
    let run = p.run(&["destroy", "--auto-approve"]).expect(1);
    assert!(run.stderr.contains("is protected"), "{}", run.stderr);
    assert!(p.writes().is_empty(), "{:?}", p.writes());
}

#[test]
fn a_delete_that_fails_keeps_the_object_in_state_and_the_next_run_finishes_it() {
    let cfg = EmulatorConfig {
        faults: vec![FaultRule {
            times: Some(1),
            ..FaultRule::status(Some("DELETE"), "/api/v2/routing/skills/*", 400)
        }],
        ..Default::default()
    };
    let p = project_with(cfg, "    prune: true\n");
    p.apply();
    p.seed("main.yaml", &SEED.replace("  - name: Old Skill\n", ""));
    let failed = p.run(&["apply", "--auto-approve"]).expect(1);
    assert!(
        failed.stdout.contains("skill/Old Skill"),
        "{}",
        failed.stdout
    );
    assert!(state_keys(&p).contains(&"skill/old skill".to_string()));
    p.apply();
    assert!(!state_keys(&p).contains(&"skill/old skill".to_string()));
    assert_eq!(names(&p, "/api/v2/routing/skills", "name"), ["Billing"]);
}

#[test]
fn show_unmanaged_lists_objects_nobody_declared_or_recorded() {
    let p = project();
    p.apply();
    p.call(
        "POST",
        "/api/v2/routing/skills",
        Some(json!({"name": "Made In The UI"})),
    );
    let plain = p.run(&["plan"]).expect(0);
    assert!(!plain.stdout.contains("Made In The UI"), "{}", plain.stdout);
    let shown = p.run(&["plan", "--show-unmanaged"]).expect(0);
    assert!(
        shown.stdout.contains(
            "? skill \"Made In The UI\" (unmanaged: in the org, not in the manifests or the state)"
        ),
        "{}",
        shown.stdout
    );
    assert!(
        !shown.stdout.contains("\"Billing\" (unmanaged"),
        "{}",
        shown.stdout
    );
    assert!(shown.stdout.contains("1 unmanaged"), "{}", shown.stdout);
}

#[test]
fn an_exclusive_group_removes_members_it_does_not_declare() {
    let seed = "\
users:
  - email: ann@example.com
    name: Ann
  - email: bo@example.com
    name: Bo
groups:
  - name: Team
    members: [ann@example.com, bo@example.com]
";
    let p = project();
    p.seed("main.yaml", seed);
    p.apply();
    p.seed(
        "main.yaml",
        &seed.replace(
            "[ann@example.com, bo@example.com]",
            "[ann@example.com]\n    membersPolicy: exclusive",
        ),
    );
    let plan = p.run(&["plan"]).expect(0);
    assert!(plan.stdout.contains("- bo@example.com"), "{}", plan.stdout);
    p.apply();
    let gid = id_of(&p, "/api/v2/groups", "name", "Team");
    let members = names(&p, &format!("/api/v2/groups/{gid}/members"), "email");
    assert_eq!(members, ["ann@example.com"]);
    p.emulator.clear_requests();
    p.run(&["apply", "--auto-approve"]).expect(0);
    assert!(p.writes().is_empty(), "{:?}", p.writes());
}

#[test]
fn exclusive_user_skills_are_removed_additive_languages_kept() {
    let seed = "\
skills:
  - name: Billing
  - name: Sales
languages:
  - name: Spanish
  - name: French
users:
  - email: ann@example.com
    name: Ann
    skills: {Billing: 3, Sales: 2}
    languages: {Spanish: 4, French: 1}
";
    let p = project();
    p.seed("main.yaml", seed);
    p.apply();
    p.seed(
        "main.yaml",
        &seed
            .replace(
                "{Billing: 3, Sales: 2}",
                "{Billing: 3}\n    skillsPolicy: exclusive",
            )
            .replace("{Spanish: 4, French: 1}", "{Spanish: 4}"),
    );
    let plan = p.run(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains("~ skills of user \"ann@example.com\""),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("- sales"), "{}", plan.stdout);
    p.apply();
    let uid = id_of(&p, "/api/v2/users", "email", "ann@example.com");
    let skills = names(&p, &format!("/api/v2/users/{uid}/routingskills"), "name");
    assert_eq!(skills, ["Billing"]);
    let languages = names(&p, &format!("/api/v2/users/{uid}/routinglanguages"), "name");
    assert_eq!(languages, ["French", "Spanish"]);
    p.emulator.clear_requests();
    p.run(&["apply", "--auto-approve"]).expect(0);
    assert!(p.writes().is_empty(), "{:?}", p.writes());
}

#[test]
fn destroy_removes_every_kind_of_the_example_in_reverse_order() {
    let p = Project::with_example();
    let listed = |p: &Project| {
        [
            "/api/v2/authorization/divisions",
            "/api/v2/routing/queues",
            "/api/v2/routing/skills",
            "/api/v2/authorization/roles",
            "/api/v2/architect/schedulegroups",
            "/api/v2/groups",
        ]
        .map(|path| names(p, path, "name"))
    };
    let before = listed(&p);
    p.apply();
    let run = p.run(&["destroy", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(listed(&p), before);
    assert!(state_keys(&p).is_empty(), "{:?}", p.state());
}

#[test]
fn a_pruned_user_is_taken_out_of_its_queues_before_it_is_deleted() {
    let p = project();
    p.seed(
        "main.yaml",
        &SEED.replace("[ann@example.com]", "[ann@example.com, gone@example.com]"),
    );
    p.apply();
    p.seed(
        "main.yaml",
        &SEED.replace("  - email: gone@example.com\n    name: Gone User\n", ""),
    );
    p.emulator.clear_requests();
    p.run(&["apply", "--auto-approve", "--prune"]).expect(0);
    let uid = p
        .list("/api/v2/users?state=deleted")
        .iter()
        .find(|u| u["email"] == "gone@example.com")
        .and_then(|u| u["id"].as_str().map(str::to_string))
        .unwrap();
    let steps: Vec<String> = p
        .writes()
        .iter()
        .filter(|r| r.body.to_string().contains(&uid) || r.path.ends_with(&uid))
        .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
        .collect();
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert!(
        steps[0].starts_with("POST /api/v2/routing/queues/"),
        "{steps:?}"
    );
    assert!(steps[0].ends_with("/members?delete=true"), "{steps:?}");
    assert!(steps[1].starts_with("DELETE /api/v2/users/"), "{steps:?}");
}

#[test]
fn a_division_that_still_holds_objects_is_kept_and_the_error_names_them() {
    let p = project();
    p.seed(
        "main.yaml",
        "divisions:\n  - name: Ops\n    description: d\nskills:\n  - name: Billing\n",
    );
    p.apply();
    let div = id_of(&p, "/api/v2/authorization/divisions", "name", "Ops");
    let (status, queue) = p.call(
        "POST",
        "/api/v2/routing/queues",
        Some(json!({"name": "Hand Queue", "division": {"id": div}})),
    );
    assert_eq!(status, 200, "{queue}");
    p.seed("main.yaml", "skills:\n  - name: Billing\n");
    let failed = p.run(&["apply", "--auto-approve", "--prune"]).expect(1);
    assert!(failed.stdout.contains("division/Ops"), "{}", failed.stdout);
    assert!(failed.stdout.contains("Hand Queue"), "{}", failed.stdout);
    assert!(state_keys(&p).contains(&"division/ops".to_string()));
    let qid = queue["id"].as_str().unwrap();
    p.call("DELETE", &format!("/api/v2/routing/queues/{qid}"), None);
    p.run(&["apply", "--auto-approve", "--prune"]).expect(0);
    assert!(!state_keys(&p).contains(&"division/ops".to_string()));
}

/// The grants of user `uid` as `role name in division name`, sorted.
fn grants_of(p: &Project, uid: &str) -> Vec<String> {
    let (status, subject) = p.call(
        "GET",
        &format!("/api/v2/authorization/subjects/{uid}"),
        None,
    );
    assert_eq!(status, 200, "{subject}");
    let mut v: Vec<String> = subject["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| format!("{} in {}", g["role"]["name"], g["division"]["name"]))
        .map(|s| s.replace('"', ""))
        .collect();
    v.sort();
    v
}

#[test]
fn exclusive_role_grants_remove_grants_added_in_the_org_additive_ones_only_show_them() {
    // Two users: grants are read one subject at a time.
    exclusive_role_grants(0, "/api/v2/authorization/subjects/");
}

#[test]
fn exclusive_role_grants_work_the_same_when_read_from_each_roles_holders() {
    // More users than roles: grants are read from each role's list pages.
    exclusive_role_grants(6, "/subjectgrants");
}

/// Ann's grants are exclusive, Bob's additive; `others` more users hold Agent Role.
/// `read_by`: part of the path the plan reads grants with.
fn exclusive_role_grants(others: usize, read_by: &str) {
    let mut seed = String::from(
        "\
divisions:
  - name: Sales
roles:
  - name: Agent Role
  - name: Extra Role
users:
  - email: ann@example.com
    name: Ann
    rolesPolicy: exclusive
    roles:
      - {role: Agent Role, division: Sales}
      - {role: employee}
  - email: bob@example.com
    name: Bob
    roles:
      - {role: Agent Role, division: Sales}
",
    );
    for i in 0..others {
        seed.push_str(&format!(
            "  - email: other{i}@example.com\n    name: Other {i}\n    roles: [{{role: Agent Role}}]\n"
        ));
    }
    let seed = seed.as_str();
    let p = project();
    p.seed("main.yaml", seed);
    p.apply();
    let home = id_of(&p, "/api/v2/authorization/divisions", "name", "Home");
    let extra = id_of(&p, "/api/v2/authorization/roles", "name", "Extra Role");
    let uids: Vec<String> = ["ann@example.com", "bob@example.com"]
        .iter()
        .map(|e| id_of(&p, "/api/v2/users", "email", e))
        .collect();
    for uid in &uids {
        let one = format!("/api/v2/authorization/subjects/{uid}/divisions/{home}/roles/{extra}");
        let (status, body) = p.call("POST", &one, None);
        assert!(status < 300, "{status} {body}");
    }
    p.emulator.clear_requests();
    let plan = p.run(&["plan"]).expect(0);
    let reads: Vec<String> = p
        .emulator
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|r| r.contains("/subjects/") || r.ends_with("/subjectgrants"))
        .collect();
    assert!(
        !reads.is_empty() && reads.iter().all(|r| r.contains(read_by)),
        "{reads:?}"
    );
    assert!(
        plan.stdout.contains("~ roles of user \"ann@example.com\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("- Extra Role in Home"),
        "{}",
        plan.stdout
    );
    // Ann's employee grant in the home division is declared (no division): kept.
    assert!(!plan.stdout.contains("employee in"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("bob@example.com"), "{}", plan.stdout);
    apply_removes_only_anns_extra_grant(&p, &uids, &home, &extra);
    p.emulator.clear_requests();
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
    p.run(&["apply", "--auto-approve"]).expect(0);
    assert!(p.writes().is_empty(), "{:?}", p.writes());
}

/// `-v` shows Bob's extra grant as kept; apply deletes only Ann's (exclusive) one.
fn apply_removes_only_anns_extra_grant(p: &Project, uids: &[String], home: &str, extra: &str) {
    let verbose = p.run(&["-v", "plan"]).expect(0);
    assert!(
        verbose
            .stdout
            .contains("Extra Role in Home (unmanaged: in the org, not declared; kept)"),
        "{}",
        verbose.stdout
    );
    p.emulator.clear_requests();
    p.apply();
    let deletes: Vec<String> = p
        .writes()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(
        deletes,
        [format!(
            "/api/v2/authorization/subjects/{}/divisions/{home}/roles/{extra}",
            uids[0]
        )]
    );
    assert_eq!(
        grants_of(p, &uids[0]),
        ["Agent Role in Sales", "employee in Home"]
    );
    assert_eq!(
        grants_of(p, &uids[1]),
        ["Agent Role in Sales", "Extra Role in Home"]
    );
}
