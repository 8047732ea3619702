//! Roles and grants, skill groups, schedules and schedule groups (issue 5): create,
//! adopt, drift back, no-op second runs, cache lag on grants, version conflicts, and
//! validation errors with locations.

use std::time::Duration;

use genseed::emulator::{Consistency, EmulatorConfig, FaultRule};
use serde_json::{Value, json};

use crate::support::Project;

const SEED: &str = "\
divisions:
  - name: Ops
skills:
  - name: Billing
languages:
  - name: Spanish
roles:
  - name: Ops Agent
    description: Agents of Ops
    permissionPolicies:
      - {domain: routing, entityName: queue, actionSet: [view]}
users:
  - email: agent@example.com
    name: Agent
    division: Ops
    roles:
      - {role: Ops Agent}
      - {role: employee, division: \"*\"}
skillGroups:
  - name: Billing Experts
    division: Ops
    skillConditions:
      - routingSkillConditions:
          - {routingSkill: Billing, comparator: GreaterThanOrEqualTo, proficiency: 3}
        languageSkillConditions:
          - {languageSkill: Spanish, comparator: EqualTo, proficiency: 5}
        operation: And
schedules:
  - name: Weekdays
    division: Ops
    start: \"2026-01-05T08:00:00.000\"
    end: \"2026-01-05T17:00:00.000\"
    rrule: FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR
  - name: Christmas
    start: \"2026-12-25T00:00:00.000\"
    end: \"2026-12-26T00:00:00.000\"
    rrule: FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25
scheduleGroups:
  - name: Hours
    division: Ops
    timeZone: America/New_York
    openSchedules: [Weekdays]
    holidaySchedules: [Christmas]
";

fn project(cfg: EmulatorConfig) -> Project {
    let p = Project::new(cfg, None);
    p.seed("main.yaml", SEED);
    p
}

fn one(p: &Project, path: &str, name: &str) -> Value {
    let found: Vec<Value> = p
        .list(path)
        .into_iter()
        .filter(|o| {
            o["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .collect();
    assert_eq!(found.len(), 1, "{path} {name}: {found:?}");
    found[0].clone()
}

fn user_id(p: &Project) -> String {
    let u = p
        .list("/api/v2/users")
        .into_iter()
        .find(|u| u["email"] == "agent@example.com")
        .expect("user");
    u["id"].as_str().unwrap().to_string()
}

fn grants(p: &Project) -> Vec<(String, String)> {
    let (s, subject) = p.call(
        "GET",
        &format!("/api/v2/authorization/subjects/{}", user_id(p)),
        None,
    );
    assert_eq!(s, 200);
    let mut out: Vec<(String, String)> = subject["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["role"]["name"].as_str().unwrap().to_string(),
                g["division"]["name"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn assert_no_op(p: &Project) {
    p.run(&["plan", "--detailed-exitcode"]).expect(0);
    p.emulator.clear_requests();
    let again = p.apply();
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    assert!(
        p.writes().is_empty(),
        "second apply wrote: {:?}",
        p.writes()
    );
}

#[test]
fn every_kind_is_created_and_a_second_run_is_a_no_op() {
    let p = project(EmulatorConfig::default());
    let first = p.apply();
    assert!(
        first.stdout.contains("Apply complete: 10 created"),
        "{}",
        first.stdout
    );

    let role = one(&p, "/api/v2/authorization/roles", "Ops Agent");
    assert_eq!(role["description"], "Agents of Ops");
    assert_eq!(role["permissionPolicies"][0]["entityName"], "queue");
    assert_eq!(
        grants(&p),
        vec![
            ("Ops Agent".to_string(), "Ops".to_string()),
            ("employee".to_string(), "*".to_string()),
        ]
    );

    let listed = one(
        &p,
        "/api/v2/routing/skillgroups?name=billing",
        "Billing Experts",
    );
    let (_, group) = p.call(
        "GET",
        &format!(
            "/api/v2/routing/skillgroups/{}",
            listed["id"].as_str().unwrap()
        ),
        None,
    );
    assert_eq!(group["division"]["name"], "Ops");
    let cond = &group["skillConditions"][0];
    assert_eq!(cond["routingSkillConditions"][0]["routingSkill"], "Billing");
    assert_eq!(
        cond["languageSkillConditions"][0]["languageSkill"],
        "Spanish"
    );
    assert_eq!(cond["operation"], "And");

    let weekdays = one(&p, "/api/v2/architect/schedules", "Weekdays");
    assert_eq!(weekdays["rrule"], "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
    assert_eq!(weekdays["start"], "2026-01-05T08:00:00.000");
    assert_eq!(weekdays["division"]["name"], "Ops");
    let hours = one(&p, "/api/v2/architect/schedulegroups", "Hours");
    assert_eq!(hours["timeZone"], "America/New_York");
    assert_eq!(hours["openSchedules"][0]["id"], weekdays["id"]);
    assert_eq!(hours["holidaySchedules"][0]["name"], "Christmas");

    // Tiers follow references: roles and schedules before grants and groups.
    let order: Vec<String> = p
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path)
        .collect();
    let pos = |suffix: &str| {
        order
            .iter()
            .position(|x| x.ends_with(suffix))
            .unwrap_or_else(|| panic!("no POST {suffix} in {order:?}"))
    };
    assert!(pos("/authorization/roles") < pos("/bulkadd"));
    assert!(pos("/architect/schedules") < pos("/architect/schedulegroups"));
    assert!(pos("/routing/skills") < pos("/routing/skillgroups"));

    // The schedule still used by the group cannot be deleted.
    let (s, _) = p.call(
        "DELETE",
        &format!(
            "/api/v2/architect/schedules/{}",
            weekdays["id"].as_str().unwrap()
        ),
        None,
    );
    assert_eq!(s, 409);

    assert_no_op(&p);
}

#[test]
fn existing_objects_are_adopted() {
    let p = project(EmulatorConfig::default());
    // Another tool made some of them, exactly as declared, before genseed ran.
    let (s, _) = p.call(
        "POST",
        "/api/v2/authorization/roles",
        Some(json!({"name": "Ops Agent", "description": "Agents of Ops",
                    "permissionPolicies": [{"domain": "routing", "entityName": "queue", "actionSet": ["view"]}]})),
    );
    assert_eq!(s, 200);
    let (s, _) = p.call(
        "POST",
        "/api/v2/architect/schedules",
        Some(json!({"name": "Christmas", "start": "2026-12-25T00:00:00.000",
                    "end": "2026-12-26T00:00:00.000", "rrule": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"})),
    );
    assert_eq!(s, 200);
    let plan = p.run(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains("= role \"Ops Agent\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("= schedule \"Christmas\""),
        "{}",
        plan.stdout
    );
    p.apply();
    assert_eq!(
        p.count("/api/v2/authorization/roles", "name", "ops agent"),
        1
    );
    assert_eq!(
        p.count("/api/v2/architect/schedules", "name", "Christmas"),
        1
    );

    // Lose the state: everything is adopted, nothing written.
    std::fs::remove_file(p.dir.path().join(".genseed/state/emu.json")).unwrap();
    p.emulator.clear_requests();
    let plan = p.run(&["plan"]).expect(0);
    assert!(
        plan.stdout
            .contains("Plan: 0 to create, 0 to update, 9 to adopt"),
        "{}",
        plan.stdout
    );
    p.apply();
    assert!(p.writes().is_empty(), "{:?}", p.writes());
}

/// Someone edits the org by hand: a role, a schedule, a schedule group and a skill group
/// (whose id is returned).
fn edit_by_hand(p: &Project) -> String {
    let role = one(p, "/api/v2/authorization/roles", "Ops Agent");
    let rid = role["id"].as_str().unwrap();
    let (s, _) = p.call(
        "PUT",
        &format!("/api/v2/authorization/roles/{rid}"),
        Some(json!({"name": "Ops Agent", "description": "changed", "permissionPolicies": []})),
    );
    assert_eq!(s, 200);
    let sched = one(p, "/api/v2/architect/schedules", "Weekdays");
    let sid = sched["id"].as_str().unwrap();
    let mut edited = sched.clone();
    edited["rrule"] = json!("FREQ=DAILY");
    edited["end"] = json!("2026-01-05T18:00:00.000");
    let (s, _) = p.call(
        "PUT",
        &format!("/api/v2/architect/schedules/{sid}"),
        Some(edited),
    );
    assert_eq!(s, 200);
    let group = one(p, "/api/v2/architect/schedulegroups", "Hours");
    let gid = group["id"].as_str().unwrap();
    let (s, _) = p.call(
        "PUT",
        &format!("/api/v2/architect/schedulegroups/{gid}"),
        Some(json!({"name": "Hours", "timeZone": "Europe/Berlin",
                    "openSchedules": [], "holidaySchedules": group["holidaySchedules"]})),
    );
    assert_eq!(s, 200, "group PUT");
    let sg = one(p, "/api/v2/routing/skillgroups", "Billing Experts");
    let sgid = sg["id"].as_str().unwrap();
    let (s, _) = p.call(
        "PATCH",
        &format!("/api/v2/routing/skillgroups/{sgid}"),
        Some(json!({"name": "Billing Experts", "skillConditions": [{
            "routingSkillConditions": [{"routingSkill": "Billing", "comparator": "EqualTo", "proficiency": 1, "childConditions": []}],
            "languageSkillConditions": [], "operation": "Or"}]})),
    );
    assert_eq!(s, 200);
    sgid.to_string()
}

#[test]
fn drift_is_put_back() {
    let p = project(EmulatorConfig::default());
    p.apply();
    let sgid = edit_by_hand(&p);

    let plan = p.run(&["plan", "--detailed-exitcode"]).expect(2);
    for expected in [
        "~ role \"Ops Agent\"",
        "~ schedule \"Weekdays\"",
        "~ schedule group \"Hours\"",
        "~ skill group \"Billing Experts\"",
    ] {
        assert!(
            plan.stdout.contains(expected),
            "{expected}\n{}",
            plan.stdout
        );
    }
    assert!(
        plan.stdout.contains("Plan: 0 to create, 4 to update"),
        "{}",
        plan.stdout
    );
    p.apply();

    let role = one(&p, "/api/v2/authorization/roles", "Ops Agent");
    assert_eq!(role["description"], "Agents of Ops");
    assert_eq!(role["permissionPolicies"].as_array().unwrap().len(), 1);
    let sched = one(&p, "/api/v2/architect/schedules", "Weekdays");
    assert_eq!(sched["rrule"], "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
    assert_eq!(sched["end"], "2026-01-05T17:00:00.000");
    assert_eq!(sched["version"], 3);
    let group = one(&p, "/api/v2/architect/schedulegroups", "Hours");
    assert_eq!(group["timeZone"], "America/New_York");
    assert_eq!(group["openSchedules"][0]["name"], "Weekdays");
    let (_, sg) = p.call("GET", &format!("/api/v2/routing/skillgroups/{sgid}"), None);
    assert_eq!(sg["skillConditions"][0]["operation"], "And");

    // A grant removed by hand is added back; grants made by hand stay (additive).
    let uid = user_id(&p);
    let (s, subject) = p.call(
        "GET",
        &format!("/api/v2/authorization/subjects/{uid}"),
        None,
    );
    assert_eq!(s, 200);
    let ops_grant = subject["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["role"]["name"] == "Ops Agent")
        .unwrap()
        .clone();
    let admin = one(&p, "/api/v2/authorization/roles", "admin");
    let (s, _) = p.call(
        "POST",
        &format!("/api/v2/authorization/subjects/{uid}/bulkremove?subjectType=PC_USER"),
        Some(json!({"grants": [{"roleId": ops_grant["role"]["id"], "divisionId": ops_grant["division"]["id"]}]})),
    );
    assert_eq!(s, 204);
    let (s, _) = p.call(
        "POST",
        &format!("/api/v2/authorization/subjects/{uid}/bulkadd?subjectType=PC_USER"),
        Some(json!({"grants": [{"roleId": admin["id"], "divisionId": "*"}]})),
    );
    assert_eq!(s, 204);
    let plan = p.run(&["plan"]).expect(0);
    assert!(
        plan.stdout
            .contains("~ roles of user \"agent@example.com\""),
        "{}",
        plan.stdout
    );
    p.apply();
    assert_eq!(grants(&p).len(), 3);
    assert_no_op(&p);
}

#[test]
fn grants_of_fresh_roles_are_retried_until_the_caches_catch_up() {
    let p = project(EmulatorConfig {
        consistency: Consistency {
            grant_lag: Duration::from_millis(1500),
            ..Default::default()
        },
        ..Default::default()
    });
    p.apply();
    let bulkadds: Vec<u16> = p
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/bulkadd"))
        .map(|r| r.status)
        .collect();
    assert!(bulkadds.contains(&404), "{bulkadds:?}");
    assert_eq!(bulkadds.last(), Some(&204), "{bulkadds:?}");
    assert_eq!(grants(&p).len(), 2);
    assert_no_op(&p);
}

#[test]
fn a_version_conflict_on_a_schedule_is_re_read_and_retried() {
    let cfg = EmulatorConfig {
        faults: vec![FaultRule {
            times: Some(1),
            ..FaultRule::status(Some("PUT"), "/api/v2/architect/schedules/*", 409)
        }],
        ..Default::default()
    };
    let p = project(cfg);
    p.apply();
    // The manifest changes; genseed's PUT meets a (scripted) version conflict.
    p.seed(
        "main.yaml",
        &SEED.replace("BYDAY=MO,TU,WE,TH,FR", "BYDAY=MO,TU"),
    );
    p.emulator.clear_requests();
    p.apply();
    let log: Vec<(String, u16)> = p
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/architect/schedules/"))
        .map(|r| (r.method, r.status))
        .collect();
    assert_eq!(
        log,
        vec![
            ("PUT".into(), 409),
            ("GET".into(), 200),
            ("PUT".into(), 200)
        ],
        "{log:?}"
    );
    let sched = one(&p, "/api/v2/architect/schedules", "Weekdays");
    assert_eq!(sched["rrule"], "FREQ=WEEKLY;BYDAY=MO,TU");
    assert_eq!(sched["version"], 2);
    assert_no_op(&p);
}

const BAD: &str = "\
divisions:
  - name: Ops
roles:
  - name: employee
users:
  - email: agent@example.com
    name: Agent
    roles:
      - {role: Ghost Role}
      - {role: employee, division: Nowhere}
schedules:
  - name: Broken
    start: \"2026-01-05 08:00\"
    end: \"2026-01-05T17:00:00.000\"
    rrule: FREQ=weekly;INTERVAL=01
  - name: Tuesday only
    start: \"2026-01-05T08:00:00.000\"
    end: \"2026-01-05T17:00:00.000\"
    rrule: FREQ=WEEKLY;BYDAY=TU
  - name: Holidays
    start: \"2026-12-25T00:00:00.000\"
    end: \"2026-12-26T00:00:00.000\"
    rrule: FREQ=YEARLY;BYMONTH=13;BYMONTHDAY=32
scheduleGroups:
  - name: Hours
    timeZone: America/Springfield
    openSchedules: [Broken, Missing]
skillGroups:
  - name: Experts
    skillConditions:
      - routingSkillConditions:
          - {routingSkill: Nonexistent, comparator: Roughly, proficiency: 9}
        languageSkillConditions: []
        operation: And
";

#[test]
fn bad_rrules_zones_and_grants_are_located() {
    let p = Project::new(EmulatorConfig::default(), None);
    p.seed("main.yaml", BAD);
    let run = p.run(&["plan"]).expect(1);
    let err = &run.stderr;
    let f = "main.yaml";
    for expected in [
        format!("{f}:4:11: error: role `employee` has the name of a built-in role"),
        format!("{f}:9:16: error: role `Ghost Role` is not declared"),
        format!("{f}:10:36: error: division `Nowhere` is not declared"),
        format!("{f}:13:12: error: start `2026-01-05 08:00` is not a local date-time"),
        format!("{f}:15:12: error: invalid rrule: FREQ `weekly`"),
        format!("{f}:15:12: error: invalid rrule: INTERVAL `01`"),
        format!("{f}:19:12: error: invalid rrule: start falls on MO, which BYDAY (TU)"),
        format!("{f}:23:12: error: invalid rrule: BYMONTH `13` is outside 1..12"),
        format!("{f}:23:12: error: invalid rrule: BYMONTHDAY `32` is outside"),
        format!("{f}:26:15: error: `America/Springfield` is not an IANA time zone name"),
        format!("{f}:27:29: error: schedule `Missing` is not declared"),
        format!("{f}:32:28: error: skill `Nonexistent` is not declared"),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }
    assert!(
        err.contains(&format!("{f}:32:53: error: `Roughly` is not one of")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{f}:32:75: error: 9 is greater than the maximum of 5"
        )),
        "{err}"
    );
    assert!(
        err.contains("or grant a built-in role by its defaultRoleId"),
        "{err}"
    );
    assert!(
        p.emulator.requests().is_empty(),
        "{:?}",
        p.emulator.requests()
    );
}
