//! Permission enforcement: a request the token's OAuth client may not make answers 403
//! `missing.permissions`, as Genesys Cloud does. The client's grants are its
//! `roleDivisions` (see `routes/oauth.rs`); a role's permission policies allow
//! `domain:entity:action` with `*` wildcards in any part.
//!
//! [`RULES`] maps each write route (and the reads of roles and OAuth clients, which
//! the permission preflight depends on) to the permission it needs, from the SDK
//! operation docs and the CX as Code provider's docs (genesys-api.md §17). Routes not
//! listed are allowed: the real API checks view permissions on most reads, which the
//! emulator does not model. For objects in a division (queues, users, wrap-up codes,
//! skill groups, schedules and their groups) the grant must be in that division or in
//! all divisions (`*`); an object in all divisions, and a kind that is not
//! division-aware, needs the permission in any division (the server's rule there is
//! unconfirmed; the lenient reading is taken).

use serde_json::{Value, json};

use super::error::ApiError;
use super::routes::{Rq, elements};
use super::store::{Emu, OrgData};

/// Which division a request's permission is checked in.
#[derive(Clone, Copy)]
enum In {
    /// Any division (not division-aware).
    Any,
    /// The body's division (`division.id` or `divisionId`); omitted: home.
    Body,
    /// As `Body`, but omitted means all divisions (wrap-up codes).
    BodyOrAll,
    /// The stored object's division; its id is the first `*` of the pattern.
    Stored(fn(&OrgData) -> &std::collections::BTreeMap<String, Value>),
}

/// `(method (`*`: any but GET), path after /api/v2 with `*` for one segment and `**`
/// for the rest (none or more), permission (`a|b`: either), where)`. First match wins.
type Rule = (&'static str, &'static str, &'static str, In);

const QUEUES: In = In::Stored(|d| &d.queues);
const USERS: In = In::Stored(|d| &d.users);
const CODES: In = In::Stored(|d| &d.wrapup_codes);
const SKILL_GROUPS: In = In::Stored(|d| &d.skill_groups);
const SCHEDULES: In = In::Stored(|d| &d.schedules);
const SCHEDULE_GROUPS: In = In::Stored(|d| &d.schedule_groups);

#[rustfmt::skip]
static RULES: &[Rule] = &[
    ("POST", "authorization/divisions", "authorization:division:add", In::Any),
    ("PUT", "authorization/divisions/*", "authorization:division:edit", In::Any),
    ("DELETE", "authorization/divisions/*", "authorization:division:delete", In::Any),
    ("GET", "authorization/roles/**", "authorization:role:view", In::Any),
    ("POST", "authorization/roles", "authorization:role:add", In::Any),
    ("PUT", "authorization/roles/*", "authorization:role:edit", In::Any),
    ("DELETE", "authorization/roles/*", "authorization:role:delete", In::Any),
    ("POST", "authorization/subjects/*/bulkadd", "authorization:grant:add", In::Any),
    ("POST", "authorization/subjects/*/bulkremove", "authorization:grant:delete", In::Any),
    ("POST", "authorization/subjects/**", "authorization:grant:add", In::Any),
    ("DELETE", "authorization/subjects/**", "authorization:grant:delete", In::Any),
    ("POST", "routing/skills", "routing:skill:manage", In::Any),
    ("PATCH", "routing/skills/*", "routing:skill:manage", In::Any),
    ("DELETE", "routing/skills/*", "routing:skill:manage", In::Any),
    ("POST", "routing/languages", "routing:skill:manage", In::Any),
    ("DELETE", "routing/languages/*", "routing:skill:manage", In::Any),
    ("POST", "routing/wrapupcodes", "routing:wrapupCode:add", In::BodyOrAll),
    ("PUT", "routing/wrapupcodes/*", "routing:wrapupCode:edit", CODES),
    ("DELETE", "routing/wrapupcodes/*", "routing:wrapupCode:delete", CODES),
    ("POST", "routing/queues", "routing:queue:add", In::Body),
    ("PUT", "routing/queues/*", "routing:queue:edit", QUEUES),
    ("DELETE", "routing/queues/*", "routing:queue:delete", QUEUES),
    ("POST", "routing/queues/*/members", "routing:queue:edit|routing:queueMember:manage", QUEUES),
    ("*", "routing/queues/*/wrapupcodes/**", "routing:queue:edit", QUEUES),
    ("POST", "routing/skillgroups", "routing:skillGroup:add", In::Body),
    ("PATCH", "routing/skillgroups/*", "routing:skillGroup:edit", SKILL_GROUPS),
    ("DELETE", "routing/skillgroups/*", "routing:skillGroup:delete", SKILL_GROUPS),
    ("*", "routing/skillgroups/*/**", "routing:skillGroup:edit", SKILL_GROUPS),
    ("POST", "users", "directory:user:add", In::Body),
    ("*", "users/*/routingskills/**", "routing:skill:assign", In::Any),
    ("*", "users/*/routinglanguages/**", "routing:language:assign", In::Any),
    ("PATCH", "users/*", "directory:user:edit", USERS),
    ("DELETE", "users/*", "directory:user:delete", USERS),
    ("POST", "architect/schedules", "routing:schedule:add", In::Body),
    ("PUT", "architect/schedules/*", "routing:schedule:edit", SCHEDULES),
    ("DELETE", "architect/schedules/*", "routing:schedule:delete", SCHEDULES),
    ("POST", "architect/schedulegroups", "routing:scheduleGroup:add", In::Body),
    ("PUT", "architect/schedulegroups/*", "routing:scheduleGroup:edit", SCHEDULE_GROUPS),
    ("DELETE", "architect/schedulegroups/*", "routing:scheduleGroup:delete", SCHEDULE_GROUPS),
    ("POST", "integrations/actions", "integrations:action:add", In::Any),
    ("PATCH", "integrations/actions/*", "integrations:action:edit", In::Any),
    ("DELETE", "integrations/actions/*", "integrations:action:delete", In::Any),
    ("POST", "processautomation/triggers", "processautomation:trigger:add", In::Any),
    ("PUT", "processautomation/triggers/*", "processautomation:trigger:edit", In::Any),
    ("DELETE", "processautomation/triggers/*", "processautomation:trigger:delete", In::Any),
    // Credentials (`integrations/credentials`) are not listed: their permission is
    // unconfirmed.
    ("POST", "integrations", "integrations:integration:add", In::Any),
    ("PATCH", "integrations/*", "integrations:integration:edit", In::Any),
    ("PUT", "integrations/*/config/current", "integrations:integration:edit", In::Any),
    ("DELETE", "integrations/*", "integrations:integration:delete", In::Any),
    ("POST", "groups", "directory:group:add", In::Any),
    ("PUT", "groups/*", "directory:group:edit", In::Any),
    ("DELETE", "groups/*", "directory:group:delete", In::Any),
    ("*", "groups/*/members", "directory:group:edit", In::Any),
    ("GET", "oauth/clients/**", "oauth:client:view", In::Any),
    ("POST", "oauth/clients", "oauth:client:add", In::Any),
    ("PUT", "oauth/clients/*", "oauth:client:edit", In::Any),
];

/// Give the configured OAuth client its record on first start (and on a data file
/// written before clients were kept): the built-in admin role in all divisions. The
/// built-in roles get their permission policies (`*:*:*` for admin) when a data file
/// has none.
pub(super) fn seed(st: &mut Emu) {
    st.data.roles.change_each(|role| {
        let policy = match role["defaultRoleId"].as_str() {
            Some("admin") => json!({"domain": "*", "entityName": "*", "actionSet": ["*"]}),
            Some("employee") => {
                json!({"domain": "directory", "entityName": "user", "actionSet": ["view"]})
            }
            _ => return false,
        };
        let missing = role["permissionPolicies"]
            .as_array()
            .is_none_or(Vec::is_empty);
        if missing {
            policy_defaults(&mut role["permissionPolicies"], policy);
        }
        missing
    });
    let id = st.cfg.client_id.clone();
    if st.data.oauth_clients.contains_key(&id.to_lowercase()) {
        return;
    }
    let admin = st
        .data
        .roles
        .values()
        .find(|r| r["defaultRoleId"] == "admin")
        .map(|r| r["id"].clone())
        .unwrap_or(Value::Null);
    let client = json!({
        "id": id, "name": id, "description": "The emulator's OAuth client",
        "accessTokenValiditySeconds": st.cfg.token_ttl.as_secs(),
        "authorizedGrantType": "CLIENT-CREDENTIALS", "scope": [], "state": "active",
        "roleIds": [admin], "roleDivisions": [{"roleId": admin, "divisionId": "*"}],
        "dateCreated": st.now_iso(),
        "selfUri": format!("/api/v2/oauth/clients/{id}"),
    });
    st.data.oauth_clients.insert(id.to_lowercase(), client);
}

fn policy_defaults(slot: &mut Value, mut policy: Value) {
    policy["allowConditions"] = json!(false);
    policy["namedResources"] = json!([]);
    *slot = json!([policy]);
}

/// The configured OAuth client's record.
pub(super) fn client(st: &Emu) -> Value {
    st.data
        .oauth_clients
        .get(&st.cfg.client_id.to_lowercase())
        .cloned()
        .unwrap_or(Value::Null)
}

/// Refuse the request (403) when the client's grants do not allow it.
pub(super) fn check(st: &Emu, rq: &Rq) -> Result<(), ApiError> {
    let segs: Vec<&str> = rq.segs.iter().map(String::as_str).collect();
    let Some((_, pattern, permission, scope)) = RULES.iter().find(|(m, p, _, _)| {
        (*m == rq.method || (*m == "*" && rq.method != "GET")) && matches(p, &segs)
    }) else {
        return Ok(());
    };
    let division = match *scope {
        In::Any => None,
        In::Body | In::BodyOrAll => Some(
            rq.body
                .as_ref()
                .and_then(|b| b.pointer("/division/id").or_else(|| b.get("divisionId")))
                .and_then(Value::as_str)
                .map(str::to_lowercase)
                .unwrap_or_else(|| match scope {
                    In::BodyOrAll => "*".into(),
                    _ => st.data.home_division(),
                }),
        ),
        In::Stored(map) => {
            let at = pattern.split('/').position(|s| s == "*").unwrap_or(0);
            segs.get(at)
                .and_then(|id| map(&st.data).get(*id))
                .and_then(|o| o.pointer("/division/id"))
                .and_then(Value::as_str)
                .map(str::to_string)
        }
    };
    if allowed(st, permission, division.as_deref()) {
        return Ok(());
    }
    let list = permission.replace('|', ", ");
    let (code, what) = if permission.contains('|') {
        ("missing.any.permissions", "at least one of the following")
    } else {
        ("missing.permissions", "the following")
    };
    // The wording follows reports of the real message (exact text unconfirmed).
    Err(ApiError::new(
        403,
        code,
        format!(
            "Unable to perform the requested action. You are missing {what} permission(s): [{list}]"
        ),
    ))
}

/// Whether a path matches a pattern (`*` one segment, `**` one or more at the end).
fn matches(pattern: &str, segs: &[&str]) -> bool {
    let parts: Vec<&str> = pattern.split('/').collect();
    for (i, p) in parts.iter().enumerate() {
        match *p {
            "**" => return segs.len() >= i,
            "*" if i < segs.len() => {}
            p if segs.get(i) == Some(&p.to_ascii_lowercase().as_str()) => {}
            _ => return false,
        }
    }
    segs.len() == parts.len()
}

/// Whether some grant of the client allows `permission` (`a|b`: either) in
/// `division` (`None` or `*`: any grant will do).
fn allowed(st: &Emu, permission: &str, division: Option<&str>) -> bool {
    let client = client(st);
    let grants = client["roleDivisions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    grants.iter().any(|g| {
        let granted = g["divisionId"].as_str().unwrap_or_default();
        let in_scope = match division {
            None | Some("*") => true,
            Some(d) => granted == "*" || granted.eq_ignore_ascii_case(d),
        };
        let role = g["roleId"].as_str().unwrap_or_default().to_lowercase();
        let policies = st.data.roles.get(&role).map(|r| &r["permissionPolicies"]);
        in_scope
            && permission
                .split('|')
                .any(|p| elements(policies).any(|pol| policy_allows(pol, p)))
    })
}

fn policy_allows(policy: &Value, permission: &str) -> bool {
    let mut want = permission.splitn(3, ':');
    let part = |have: &Value, want: Option<&str>| {
        have.as_str().is_some_and(|h| h == "*" || Some(h) == want)
    };
    let (d, e, a) = (want.next(), want.next(), want.next());
    part(&policy["domain"], d)
        && part(&policy["entityName"], e)
        && policy["actionSet"]
            .as_array()
            .is_some_and(|set| set.iter().any(|x| part(x, a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_names_a_permission() {
        for (method, pattern, permission, _) in RULES {
            assert!(["GET", "POST", "PUT", "PATCH", "DELETE", "*"].contains(method));
            assert!(!pattern.starts_with('/'), "{pattern}");
            for p in permission.split('|') {
                assert_eq!(p.split(':').count(), 3, "{pattern}: {p}");
            }
        }
    }
}
