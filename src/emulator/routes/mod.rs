//! Route dispatch for `/api/v2/*` and the helpers every route module shares: the parsed
//! request [`Rq`], the response [`Reply`], body access, GET-by-id with the GET-after-create
//! window, name uniqueness. Most collections are a [`Collection`] descriptor (listed in
//! [`COLLECTIONS`]) served by generic handlers, with hooks for what really differs (queue
//! and group members, integration config and activation, 409 rules, cascades); users
//! (search, soft delete, restore), their routing skills and languages (an `Assignments`
//! descriptor each), grants, the organization and integration types are hand-written.
//! Adding a collection = a descriptor in a module here, a line in [`COLLECTIONS`], its map
//! in `store::OrgData` and, if the SDK model is new, a line in
//! `scripts/gen-emulator-models.py`.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Map, Value};

use super::collection::Collection;
use super::error::ApiError;
use super::store::Emu;
use super::util::Query;

pub(super) mod divisions;
pub(super) mod groups;
pub(super) mod integrations;
pub(super) mod oauth;
pub(super) mod queues;
pub(super) mod roles;
pub(super) mod routing;
pub(super) mod schedules;
pub(super) mod skillgroups;
pub(super) mod tasks;
pub(super) mod user_routing;
pub(super) mod users;

/// A parsed API request.
#[derive(Debug)]
pub(super) struct Rq {
    /// Upper-case method.
    pub method: String,
    /// Path as sent (trailing `/` removed); used for paging URIs.
    pub path: String,
    /// Lower-cased, percent-decoded segments after `/api/v2`.
    pub segs: Vec<String>,
    pub q: Query,
    pub body: Option<Value>,
    pub now: Instant,
}

impl Rq {
    /// The JSON body; absent → 400.
    pub(super) fn body(&self) -> Result<&Value, ApiError> {
        self.body
            .as_ref()
            .ok_or_else(|| ApiError::bad_request("A request body is required."))
    }

    /// Does this request change the org (persist afterwards)?
    pub(super) fn is_mutation(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE")
            && !(self.segs.len() == 2 && self.segs[0] == "users" && self.segs[1] == "search")
    }

    /// 404 for a method/path the API does not have.
    pub(super) fn no_route(&self) -> ApiError {
        no_route(&self.method, &self.path)
    }
}

/// 404 for a method/path the emulator does not serve.
pub(super) fn no_route(method: &str, path: &str) -> ApiError {
    ApiError::not_found(format!("Resource not found: {method} {path}"))
}

/// A response before it becomes HTTP.
#[derive(Debug, Clone)]
pub(super) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(super) fn json(v: Value) -> Self {
        Self::with_status(200, v)
    }
    pub(super) fn with_status(status: u16, v: Value) -> Self {
        Reply {
            status,
            body: Some(v),
            headers: Vec::new(),
        }
    }
    /// Empty-bodied success (DELETEs, member changes).
    pub(super) fn no_content() -> Self {
        Reply {
            status: 204,
            body: None,
            headers: Vec::new(),
        }
    }
    /// The error body (§2.3) with `Retry-After` on 429.
    pub(super) fn error(e: &ApiError, cid: &str) -> Self {
        let mut r = Self::with_status(e.status, e.body(cid));
        if let Some(s) = e.retry_after {
            r.headers.push(("Retry-After", s.to_string()));
        }
        r
    }
}

/// Every collection served by the generic handlers of `collection.rs`.
pub(super) static COLLECTIONS: &[&Collection] = &[
    &divisions::DIVISIONS,
    &roles::ROLES,
    &routing::SKILLS,
    &routing::LANGUAGES,
    &routing::WRAPUP_CODES,
    &skillgroups::SKILL_GROUPS,
    &schedules::SCHEDULES,
    &schedules::SCHEDULE_GROUPS,
    &queues::QUEUES,
    &integrations::TRIGGERS,
    &integrations::ACTIONS,
    &integrations::CREDENTIALS,
    &integrations::FLOWS,
    &integrations::INTEGRATIONS,
    &groups::GROUPS,
    &oauth::OAUTH_CLIENTS,
];

/// Route `/api/v2/...`: a hand-written family, else a collection of [`COLLECTIONS`]
/// (the first whose path prefixes the request's).
pub(super) fn dispatch(st: &mut Emu, rq: &Rq) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = rq.segs.iter().map(String::as_str).collect();
    match (rq.method.as_str(), segs.as_slice()) {
        ("GET", ["organizations", "me"]) => Ok(Reply::json(st.data.organization.clone())),
        ("GET", ["tokens", "me"]) => Ok(oauth::token_info(st)),
        (_, ["authorization", "subjects", rest @ ..]) => roles::subjects(st, rq, rest),
        ("GET", ["authorization", "roles", role, "subjectgrants"]) => {
            roles::subject_grants(st, rq, role)
        }
        (_, ["users", "search"]) => users::search(st, rq),
        (_, ["users", _, "routingskills" | "routinglanguages", ..]) => {
            user_routing::handle(st, rq, &segs[1..])
        }
        ("GET", ["users"]) => users::list(st, rq),
        ("POST", ["users"]) => users::create(st, rq),
        ("GET", ["users", id]) => users::get(st, rq, id),
        ("PATCH", ["users", id]) => users::patch(st, rq, id),
        ("DELETE", ["users", id]) => users::delete(st, rq, id),
        (_, ["users", ..]) => Err(rq.no_route()),
        ("GET", ["emulator", "tasks", id]) => tasks::get(st, id),
        ("GET", ["integrations", "types"]) => integrations::types(rq),
        ("GET", ["integrations", "types", id]) => integrations::integration_type(id),
        (_, ["integrations", "types", ..]) => Err(rq.no_route()),
        _ => {
            for c in COLLECTIONS {
                let own: Vec<&str> = c.uri.trim_start_matches("/api/v2/").split('/').collect();
                if segs.len() >= own.len() && segs[..own.len()] == own[..] {
                    return c.handle(st, rq, &segs[own.len()..]);
                }
            }
            Err(rq.no_route())
        }
    }
}

/// Look up an entity for GET-by-id, honouring the GET-after-create 404 window.
pub(super) fn find<'a>(
    st: &'a Emu,
    map: &'a BTreeMap<String, Value>,
    id: &str,
    what: &str,
    now: Instant,
) -> Result<&'a Value, ApiError> {
    match map.get(id) {
        Some(v) if !st.hidden_after_create(id, now) => Ok(v),
        _ => Err(ApiError::not_found(format!("{what} [{id}] not found"))),
    }
}

/// Is `name` used (case-insensitively) by another entity of `map`? Entities with
/// `state: deleted` are ignored when `skip_deleted`.
pub(super) fn name_taken(
    map: &BTreeMap<String, Value>,
    name: &str,
    except: Option<&str>,
    skip_deleted: bool,
) -> bool {
    let lname = name.to_lowercase();
    map.values().any(|v| {
        v["name"]
            .as_str()
            .is_some_and(|n| n.to_lowercase() == lname)
            && except != v["id"].as_str()
            && !(skip_deleted && v["state"] == "deleted")
    })
}

/// 409 for a duplicate name (the real code for duplicates is unconfirmed; §16.8).
pub(super) fn duplicate(what: &str, name: &str) -> ApiError {
    ApiError::conflict(format!("A {what} with the name [{name}] already exists"))
}

/// Filter by the `id` list parameter (both `id=a,b` and `id=a&id=b`).
pub(super) fn filter_ids(q: &Query, key: &str, items: &mut Vec<&Value>) {
    let ids = q.list(key);
    if !ids.is_empty() {
        let ids: Vec<String> = ids.iter().map(|s| s.to_lowercase()).collect();
        items.retain(|v| {
            v["id"]
                .as_str()
                .is_some_and(|id| ids.contains(&id.to_lowercase()))
        });
    }
}

/// A user that exists and is not deleted.
pub(super) fn live_user<'a>(st: &'a Emu, id: &str) -> Option<&'a Value> {
    st.data.users.get(id).filter(|u| u["state"] != "deleted")
}

/// The entity a request refers to: one of `map` that is not deleted, else 400 `{what}
/// [{id}] not found` (what the emulator answers for every unknown reference in a body).
pub(super) fn known<'a>(
    map: &'a BTreeMap<String, Value>,
    id: &str,
    what: &str,
) -> Result<&'a Value, ApiError> {
    match map.get(id) {
        Some(v) if v["state"] != "deleted" => Ok(v),
        _ => Err(ApiError::bad_request(format!("{what} [{id}] not found"))),
    }
}

/// Keep the items whose `field` equals one of the values of list parameter `key` (none
/// given: all).
pub(super) fn retain_listed(q: &Query, key: &str, field: &str, items: &mut Vec<&Value>) {
    let wanted = q.list(key);
    if !wanted.is_empty() {
        items.retain(|v| wanted.iter().any(|w| v[field] == w.as_str()));
    }
}

/// `v` without the fields `keys`.
pub(super) fn without(mut v: Value, keys: &[&str]) -> Value {
    if let Some(o) = v.as_object_mut() {
        for k in keys {
            o.remove(*k);
        }
    }
    v
}

/// A change of an entity with an int `version`: bump it and stamp `dateModified`.
pub(super) fn touch(v: &mut Value, stamp: &str) {
    v["version"] = (v["version"].as_i64().unwrap_or(1) + 1).into();
    v["dateModified"] = stamp.into();
}

/// `old` with the fields of body `b` (but `skip`) written over it.
pub(super) fn overlay(old: &Value, b: &Map<String, Value>, skip: &[&str]) -> Value {
    let mut v = old.clone();
    for (k, x) in b.iter().filter(|(k, _)| !skip.contains(&k.as_str())) {
        v[k] = x.clone();
    }
    v
}

/// The items of a JSON array (not an array, or absent: none).
pub(super) fn elements<'a>(v: impl Into<Option<&'a Value>>) -> impl Iterator<Item = &'a Value> {
    v.into().and_then(Value::as_array).into_iter().flatten()
}

/// The strings of a JSON array (other items skipped; not an array: none).
pub(super) fn strs<'a>(v: impl Into<Option<&'a Value>>) -> impl Iterator<Item = &'a str> {
    elements(v).filter_map(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::collection::Update;
    use crate::emulator::schema::MODELS;

    /// Model names in the route sources: passed to `check("…")` / `check_list("…")` or
    /// to `body_ids`, or held in a `…model: "…"` field (collection rules, user routing
    /// assignments).
    fn models_in_sources() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/emulator/routes");
        let mut out = Vec::new();
        for f in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
            for call in ["check(\"", "check_list(\"", "body_ids(rq, \"", "model: \""] {
                for part in text.split(call).skip(1) {
                    let name = part.split('"').next().unwrap_or_default();
                    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()) {
                        out.push(name.to_string());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn served_models_exist() {
        let mut names = models_in_sources();
        for seen in ["CreateUser", "UserRoutingSkillPost", "WrapUpCodeReference"] {
            assert!(
                names.iter().any(|n| n == seen),
                "{seen} not found in {names:?}"
            );
        }
        for c in COLLECTIONS {
            names.extend(c.rules.create.map(str::to_string));
            names.push(c.rules.read_model.to_string());
            names.push(c.rules.list_model.to_string());
            if let Update::Put(m) | Update::Patch(m) = c.rules.update {
                names.push(m.to_string());
            }
        }
        let missing: Vec<&String> = names.iter().filter(|n| MODELS.get(n).is_none()).collect();
        assert!(
            missing.is_empty(),
            "emulator-models.json lacks {missing:?}: add them to ROOTS in scripts/gen-emulator-models.py"
        );
    }
}
