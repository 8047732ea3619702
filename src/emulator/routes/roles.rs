//! Roles (`/api/v2/authorization/roles`, built-ins `employee` and `admin` pre-seeded) and
//! grants on subjects (`/api/v2/authorization/subjects/{id}`, `bulkadd`, `bulkremove`).

use serde_json::{Value, json};

use super::{Reply, Rq, duplicate, filter_ids, find, name_taken};
use crate::emulator::error::ApiError;
use crate::emulator::listing::{MAX_PAGE_SIZE, listing, page, sort_by_name};
use crate::emulator::schema::{self, opt_str, req_str};
use crate::emulator::store::{Emu, GrantRec};
use crate::emulator::util::ieq;

fn user_count(st: &Emu, role: &str) -> usize {
    st.data
        .grants
        .values()
        .filter(|gs| gs.iter().any(|g| g.role_id == role))
        .count()
}

fn render(st: &Emu, v: &Value, with_count: bool) -> Value {
    let mut v = v.clone();
    if with_count {
        v["userCount"] = json!(user_count(st, v["id"].as_str().unwrap_or_default()));
    }
    v
}

pub fn roles(st: &mut Emu, rq: &Rq, rest: &[&str]) -> Result<Reply, ApiError> {
    match (rq.method.as_str(), rest) {
        ("GET", []) => {
            let p = page(&rq.q, MAX_PAGE_SIZE)?;
            let mut items: Vec<Value> = st.data.roles.values().cloned().collect();
            // `name` semantics unconfirmed: exact, case-insensitive.
            if let Some(n) = rq.q.get("name") {
                items.retain(|v| v["name"].as_str().is_some_and(|x| ieq(x, n)));
            }
            let defaults = rq.q.list("defaultRoleId");
            if !defaults.is_empty() {
                items.retain(|v| defaults.iter().any(|d| v["defaultRoleId"] == d.as_str()));
            }
            let perms = rq.q.list("permission");
            if !perms.is_empty() {
                items.retain(|v| {
                    v["permissions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|p| perms.iter().any(|x| p == x.as_str()))
                });
            }
            filter_ids(&rq.q, "id", &mut items);
            sort_by_name(&mut items);
            let with_count = rq.q.bool("userCount")?.unwrap_or(true);
            let items = items.iter().map(|v| render(st, v, with_count)).collect();
            Ok(Reply::json(listing(&rq.path, &rq.q, items, p)))
        }
        ("POST", []) => {
            let b = schema::check("DomainOrganizationRoleCreate", rq.body()?)?;
            let name = req_str(&b, "name")?.to_string();
            if st.cfg.unique_names && name_taken(&st.data.roles, &name, None, false) {
                return Err(duplicate("role", &name));
            }
            let id = st.new_id();
            // `defaultRoleId` is reserved for built-in roles; ignored on create (unconfirmed).
            let v = json!({
                "id": id, "name": name, "description": opt_str(&b, "description").unwrap_or(""),
                "permissions": b.get("permissions").cloned().unwrap_or(json!([])),
                "permissionPolicies": b.get("permissionPolicies").cloned().unwrap_or(json!([])),
                "default": false, "base": false,
                "selfUri": format!("/api/v2/authorization/roles/{id}"),
            });
            st.data.roles.insert(id.clone(), v.clone());
            st.note_created(&id, rq.now);
            Ok(Reply::json(render(st, &v, true)))
        }
        ("GET", [id]) => {
            let v = find(st, &st.data.roles, id, "Role", rq.now)?.clone();
            let with_count = rq.q.bool("userCount")?.unwrap_or(true);
            Ok(Reply::json(render(st, &v, with_count)))
        }
        ("PUT", [id]) => {
            let b = schema::check("DomainOrganizationRoleUpdate", rq.body()?)?;
            let old = st
                .data
                .roles
                .get(*id)
                .cloned()
                .ok_or_else(|| ApiError::not_found(format!("Role [{id}] not found")))?;
            let name = req_str(&b, "name")?.to_string();
            if old["default"] == json!(true) && old["name"] != name.as_str() {
                return Err(ApiError::bad_request(
                    "The name of a built-in role cannot be changed",
                ));
            }
            if st.cfg.unique_names && name_taken(&st.data.roles, &name, Some(id), false) {
                return Err(duplicate("role", &name));
            }
            let v = st.data.roles.get_mut(*id).expect("checked");
            v["name"] = json!(name);
            v["description"] = json!(opt_str(&b, "description").unwrap_or(""));
            v["permissions"] = b.get("permissions").cloned().unwrap_or(json!([]));
            v["permissionPolicies"] = b.get("permissionPolicies").cloned().unwrap_or(json!([]));
            let v = v.clone();
            Ok(Reply::json(render(st, &v, true)))
        }
        ("DELETE", [id]) => {
            let v = st
                .data
                .roles
                .get(*id)
                .ok_or_else(|| ApiError::not_found(format!("Role [{id}] not found")))?;
            if v["default"] == json!(true) {
                return Err(ApiError::bad_request("A built-in role cannot be deleted"));
            }
            st.data.roles.remove(*id);
            for gs in st.data.grants.values_mut() {
                gs.retain(|g| g.role_id != *id);
            }
            Ok(Reply::no_content())
        }
        _ => Err(rq.no_route()),
    }
}

pub fn subjects(st: &mut Emu, rq: &Rq, rest: &[&str]) -> Result<Reply, ApiError> {
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
            let pairs = b
                .get("grants")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if pairs.is_empty() {
                return Err(ApiError::bad_request(
                    "The field 'grants' is required and may not be empty",
                ));
            }
            let mut parsed = Vec::new();
            for p in &pairs {
                let m = p.as_object().cloned().unwrap_or_default();
                let role = req_str(&m, "roleId")?.to_lowercase();
                let div = req_str(&m, "divisionId")?.to_lowercase();
                // Unknown role/division → 404 (TF retries bulkadd on 404 for fresh ones).
                if !st.data.roles.contains_key(&role) || st.hidden_from_grants(&role, rq.now) {
                    return Err(ApiError::not_found(format!("Role [{role}] not found")));
                }
                if div != "*"
                    && (!st.data.divisions.contains_key(&div)
                        || st.hidden_from_grants(&div, rq.now))
                {
                    return Err(ApiError::not_found(format!("Division [{div}] not found")));
                }
                parsed.push((role, div));
            }
            let stamp = st.now_iso();
            let grants = st.data.grants.entry(id.to_string()).or_default();
            for (role, div) in parsed {
                let exists = grants
                    .iter()
                    .position(|g| g.role_id == role && g.division_id == div);
                match (*op, exists) {
                    ("bulkadd", None) => grants.push(GrantRec {
                        role_id: role,
                        division_id: div,
                        grant_made_at: stamp.clone(),
                    }),
                    ("bulkremove", Some(i)) => {
                        grants.remove(i);
                    }
                    _ => {}
                }
            }
            Ok(Reply::no_content())
        }
        _ => Err(rq.no_route()),
    }
}

/// Name of a subject; users must exist (other subject types are taken on trust).
fn subject_name(st: &Emu, rq: &Rq, id: &str) -> Result<Value, ApiError> {
    let subject_type = rq.q.get("subjectType").unwrap_or("PC_USER");
    if !["PC_USER", "PC_GROUP", "PC_OAUTH_CLIENT"].contains(&subject_type) {
        return Err(ApiError::invalid_query(format!(
            "Value [{subject_type}] is not valid for query parameter [subjectType]"
        )));
    }
    match st.data.users.get(id) {
        Some(u) if u["state"] != "deleted" => Ok(u["name"].clone()),
        _ if subject_type != "PC_USER" || st.data.grants.contains_key(id) => Ok(Value::Null),
        _ => Err(ApiError::not_found(format!("Subject [{id}] not found"))),
    }
}
