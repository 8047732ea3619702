//! Roles (`/api/v2/authorization/roles`, built-ins `employee` and `admin` pre-seeded) and
//! grants on subjects (`/api/v2/authorization/subjects/{id}`, `bulkadd`, `bulkremove`,
//! and one grant at `.../divisions/{divisionId}/roles/{roleId}`), and a role's holders
//! (`/api/v2/authorization/roles/{roleId}/subjectgrants`).

use serde_json::{Map, Value, json};

use super::{Reply, Rq, elements, live_user, retain_listed, strs};
use crate::emulator::collection::{Collection, Hooks, Rules, Update};
use crate::emulator::error::{ApiError, fail};
use crate::emulator::listing::Listing;
use crate::emulator::schema::{self, opt_str, req_str};
use crate::emulator::store::{Emu, GrantRec};
use crate::emulator::table::remove_where;

/// A role for reading, with its `userCount` (the subjects holding it): the default on
/// reads (`userCount=false` leaves it out); creates and updates always count.
fn render(st: &Emu, rq: &Rq, mut v: Value) -> Value {
    if rq.method != "GET" || rq.q.bool("userCount").ok().flatten() != Some(false) {
        let id = v["id"].as_str().unwrap_or_default();
        let holders = st.data.grants.values();
        let n = holders
            .filter(|gs| gs.iter().any(|g| g.role_id == id))
            .count();
        v["userCount"] = json!(n);
    }
    v
}

pub(crate) static ROLES: Collection = Collection {
    uri: "/api/v2/authorization/roles",
    word: "role",
    map: |d| &d.roles,
    map_mut: |d| &mut d.roles,
    rules: Rules {
        create: Some("DomainOrganizationRoleCreate"),
        update: Update::Put("DomainOrganizationRoleUpdate"),
        // `name` semantics unconfirmed: exact, case-insensitive (the default).
        read_model: "DomainOrganizationRole",
        list_model: "OrganizationRoleEntityListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        build,
        render: |st, rq, v, _| render(st, rq, v),
        validate: |_, b, old| match old {
            Some(old) if old["default"] == json!(true) && old["name"] != b["name"] => Err(
                ApiError::bad_request("The name of a built-in role cannot be changed"),
            ),
            _ => Ok(()),
        },
        can_delete: |st, id| {
            if st.data.roles[id]["default"] == json!(true) {
                fail!(bad_request, "A built-in role cannot be deleted");
            }
            Ok(())
        },
        deleted: |st, id| {
            st.data
                .grants
                .change_each(|gs| remove_where(gs, |g| g.role_id == id));
            // OAuth clients lose their grants of it too (unconfirmed; the safe reading).
            st.data.oauth_clients.change_each(|c| {
                let rds = c["roleDivisions"]
                    .as_array_mut()
                    .is_some_and(|rds| remove_where(rds, |rd| rd["roleId"] == id));
                let ids = c["roleIds"]
                    .as_array_mut()
                    .is_some_and(|ids| remove_where(ids, |r| r == id));
                rds || ids
            });
        },
        filter: |_, rq, items| {
            retain_listed(&rq.q, "defaultRoleId", "defaultRoleId", items);
            let perms = rq.q.list("permission");
            if !perms.is_empty() {
                items.retain(|v| strs(&v["permissions"]).any(|p| perms.iter().any(|x| x == p)));
            }
            rq.q.bool("userCount")?;
            Ok(())
        },
        ..Hooks::DEFAULT
    },
};

/// Policies as the role holds them: one per domain and entity (actions of repeated
/// entries merged), with the read fields of the SDK's `DomainPermissionPolicy`
/// (`allowConditions`, `namedResources`). Whether the real API merges repeated entries
/// is unconfirmed; merging is the harder case for a client that compares lists.
fn stored_policies(given: Option<&Value>) -> Value {
    let mut out: Vec<Value> = Vec::new();
    for p in given.and_then(Value::as_array).into_iter().flatten() {
        let actions = p["actionSet"].as_array().cloned().unwrap_or_default();
        match out
            .iter_mut()
            .find(|o| o["domain"] == p["domain"] && o["entityName"] == p["entityName"])
        {
            Some(o) => {
                let set = o["actionSet"].as_array_mut().expect("array");
                for a in actions {
                    if !set.contains(&a) {
                        set.push(a);
                    }
                }
            }
            None => out.push(json!({
                "domain": p["domain"], "entityName": p["entityName"], "actionSet": actions,
                "allowConditions": p.get("allowConditions").cloned().unwrap_or(json!(false)),
                "namedResources": p.get("namedResources").cloned().unwrap_or(json!([])),
            })),
        }
    }
    Value::Array(out)
}

fn build(_: &Emu, b: &Map<String, Value>, old: Option<&Value>) -> Result<Value, ApiError> {
    let mut v = json!({
        "name": b["name"], "description": opt_str(b, "description").unwrap_or(""),
        "permissions": b.get("permissions").cloned().unwrap_or(json!([])),
        "permissionPolicies": stored_policies(b.get("permissionPolicies")),
    });
    match old {
        // `defaultRoleId` is reserved for built-in roles; ignored on create (unconfirmed).
        None => {
            v["default"] = json!(false);
            v["base"] = json!(false);
        }
        Some(old) => {
            for k in ["defaultRoleId", "default", "base"] {
                if let Some(x) = old.get(k) {
                    v[k] = x.clone();
                }
            }
        }
    }
    Ok(v)
}

pub(crate) fn subjects(st: &mut Emu, rq: &Rq, rest: &[&str]) -> Result<Reply, ApiError> {
    match (rq.method.as_str(), rest) {
        ("GET", [id]) => {
            let name = subject_name(st, rq, id)?;
            let grants: Vec<Value> = st
                .data
                .grants
                .get(*id)
                .into_iter()
                .flatten()
                .map(|g| {
                    let role = &st.data.roles[&g.role_id];
                    let division = if g.division_id == "*" {
                        st.data.division_ref("*")
                    } else {
                        st.data.divisions[&g.division_id].clone()
                    };
                    json!({
                        "subjectId": id, "division": division,
                        "role": {"id": role["id"], "name": role["name"], "description": role["description"],
                                 "default": role["default"], "selfUri": role["selfUri"]},
                        "grantMadeAt": g.grant_made_at,
                    })
                })
                .collect();
            Ok(Reply::json(json!({
                "id": id, "name": name, "grants": grants, "version": 1,
                "selfUri": format!("/api/v2/authorization/subjects/{id}"),
            })))
        }
        ("POST", [id, op @ ("bulkadd" | "bulkremove")]) => {
            subject_name(st, rq, id)?;
            let b = schema::check("RoleDivisionGrants", rq.body()?)?;
            let mut parsed = Vec::new();
            for p in elements(b.get("grants")) {
                let m = p.as_object().cloned().unwrap_or_default();
                let (role, div) = (req_str(&m, "roleId")?, req_str(&m, "divisionId")?);
                parsed.push(grant_pair(st, rq, role, div)?);
            }
            if parsed.is_empty() {
                return Err(ApiError::bad_request(
                    "The field 'grants' is required and may not be empty",
                ));
            }
            for (role, div) in parsed {
                change_grant(st, id, role, div, *op == "bulkadd");
            }
            Ok(Reply::no_content())
        }
        // One grant: add, or remove (404 when the subject does not have it).
        (m @ ("POST" | "DELETE"), [id, "divisions", div, "roles", role]) => {
            subject_name(st, rq, id)?;
            let (role, div) = grant_pair(st, rq, role, div)?;
            if !change_grant(st, id, role.clone(), div.clone(), m == "POST") && m == "DELETE" {
                return Err(ApiError::not_found(format!(
                    "Subject [{id}] has no grant of role [{role}] in division [{div}]"
                )));
            }
            Ok(Reply::no_content())
        }
        _ => Err(rq.no_route()),
    }
}

/// `GET /authorization/roles/{roleId}/subjectgrants` (SDK `SubjectDivisionGrantsEntityListing`):
/// each subject holding the role, with the divisions it holds it in, ordered by subject
/// id and paged like other page-number listings (the maximum page size of this listing
/// is unconfirmed; the common 500 is assumed). Deleted users are left out, as
/// `GET /authorization/subjects/{id}` answers 404 for them (unconfirmed for this listing).
pub(crate) fn subject_grants(st: &Emu, rq: &Rq, role: &str) -> Result<Reply, ApiError> {
    let role = role.to_lowercase();
    if !st.data.roles.contains_key(&role) {
        return Err(ApiError::not_found(format!("Role [{role}] not found")));
    }
    let live = |id: &String| (st.data.users.get(id)).is_none_or(|u| u["state"] != "deleted");
    let holds = |gs: &[GrantRec]| gs.iter().any(|g| g.role_id == role);
    let items = st
        .data
        .grants
        .iter()
        .filter(|(id, gs)| live(id) && holds(gs));
    // Only the subjects of the page asked for are rendered.
    Listing::PAGE.reply(rq, items.collect(), |(id, gs)| {
        let divisions: Vec<Value> = gs
            .iter()
            .filter(|g| g.role_id == role)
            .map(|g| st.data.division_ref(&g.division_id))
            .collect();
        let (name, kind) = match (st.data.users.get(id), st.data.groups.get(id)) {
            (Some(u), _) => (u["name"].clone(), "PC_USER"),
            (None, Some(g)) => (g["name"].clone(), "PC_GROUP"),
            _ => (Value::Null, "UNKNOWN"),
        };
        json!({"id": id, "name": name, "divisions": divisions, "type": kind,
               "selfUri": format!("/api/v2/authorization/subjects/{id}")})
    })
}

/// A checked (role, division) pair: unknown or too fresh → 404 (TF retries bulkadd on
/// 404 for fresh ones); division `*` = all divisions.
fn grant_pair(st: &Emu, rq: &Rq, role: &str, div: &str) -> Result<(String, String), ApiError> {
    let (role, div) = (role.to_lowercase(), div.to_lowercase());
    if !st.data.roles.contains_key(&role) || st.hidden_from_grants(&role, rq.now) {
        fail!(not_found, "Role [{role}] not found");
    }
    if div != "*" && (!st.data.divisions.contains_key(&div) || st.hidden_from_grants(&div, rq.now))
    {
        fail!(not_found, "Division [{div}] not found");
    }
    Ok((role, div))
}

/// Add or remove one grant of subject `id`; returns whether anything changed.
fn change_grant(st: &mut Emu, id: &str, role: String, div: String, add: bool) -> bool {
    let stamp = st.now_iso();
    let grants = st.data.grants.entry(id.to_string()).or_default();
    let at = grants
        .iter()
        .position(|g| g.role_id == role && g.division_id == div);
    match (add, at) {
        (true, None) => grants.push(GrantRec {
            role_id: role,
            division_id: div,
            grant_made_at: stamp,
        }),
        (false, Some(i)) => {
            grants.remove(i);
        }
        _ => return false,
    }
    true
}

/// Name of a subject; users must exist (other subject types are taken on trust).
fn subject_name(st: &Emu, rq: &Rq, id: &str) -> Result<Value, ApiError> {
    let subject_type = rq.q.get("subjectType").unwrap_or("PC_USER");
    if !["PC_USER", "PC_GROUP", "PC_OAUTH_CLIENT"].contains(&subject_type) {
        return Err(ApiError::bad_param("subjectType", subject_type));
    }
    match live_user(st, id) {
        Some(u) => Ok(u["name"].clone()),
        _ if subject_type != "PC_USER" || st.data.grants.contains_key(id) => Ok(Value::Null),
        _ => Err(ApiError::not_found(format!("Subject [{id}] not found"))),
    }
}
