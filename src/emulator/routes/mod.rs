//! Route dispatch for `/api/v2/*` and the helpers every route module shares: the parsed
//! request [`Rq`], the response [`Reply`], body access, GET-by-id with the GET-after-create
//! window, name uniqueness. One module per resource family; adding a kind = one module here
//! plus its models in `schema.rs` and its map in `store::OrgData`.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::Value;

use super::error::ApiError;
use super::store::Emu;
use super::util::Query;

pub mod divisions;
pub mod integrations;
pub mod org;
pub mod queues;
pub mod roles;
pub mod routing;
pub mod schedules;
pub mod skillgroups;
pub mod tasks;
pub mod user_routing;
pub mod users;

/// A parsed API request.
#[derive(Debug)]
pub struct Rq {
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
    pub fn body(&self) -> Result<&Value, ApiError> {
        self.body
            .as_ref()
            .ok_or_else(|| ApiError::bad_request("A request body is required."))
    }

    /// Does this request change the org (persist afterwards)?
    pub fn is_mutation(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE")
            && !(self.segs.len() == 2 && self.segs[0] == "users" && self.segs[1] == "search")
    }

    /// 404 for a method/path the API does not have.
    pub fn no_route(&self) -> ApiError {
        ApiError::not_found(format!("Resource not found: {} {}", self.method, self.path))
    }
}

/// A response before it becomes HTTP.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn json(v: Value) -> Self {
        Self::with_status(200, v)
    }
    pub fn with_status(status: u16, v: Value) -> Self {
        Reply {
            status,
            body: Some(v),
            headers: Vec::new(),
        }
    }
    /// Empty-bodied success (DELETEs, member changes).
    pub fn no_content() -> Self {
        Reply {
            status: 204,
            body: None,
            headers: Vec::new(),
        }
    }
    /// The error body (§2.3) with `Retry-After` on 429.
    pub fn error(e: &ApiError, cid: &str) -> Self {
        let mut r = Self::with_status(e.status, e.body(cid));
        if let Some(s) = e.retry_after {
            r.headers.push(("Retry-After", s.to_string()));
        }
        r
    }
}

/// Route `/api/v2/...`.
pub fn dispatch(st: &mut Emu, rq: &Rq) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = rq.segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["organizations", "me"] => org::handle(st, rq),
        ["authorization", "divisions", rest @ ..] => divisions::handle(st, rq, rest),
        ["authorization", "roles", rest @ ..] => roles::roles(st, rq, rest),
        ["authorization", "subjects", rest @ ..] => roles::subjects(st, rq, rest),
        ["routing", "skills", rest @ ..] => routing::skills(st, rq, rest),
        ["routing", "languages", rest @ ..] => routing::languages(st, rq, rest),
        ["routing", "wrapupcodes", rest @ ..] => routing::wrapup_codes(st, rq, rest),
        ["routing", "skillgroups", rest @ ..] => skillgroups::handle(st, rq, rest),
        ["routing", "queues", rest @ ..] => queues::handle(st, rq, rest),
        ["users", "search"] => users::search(st, rq),
        ["users", _, "routingskills" | "routinglanguages", ..] => {
            user_routing::handle(st, rq, &segs[1..])
        }
        ["users", rest @ ..] => users::handle(st, rq, rest),
        ["architect", "schedules", rest @ ..] => schedules::schedules(st, rq, rest),
        ["architect", "schedulegroups", rest @ ..] => schedules::groups(st, rq, rest),
        ["emulator", "tasks", id] => tasks::get(st, rq, id),
        ["integrations", "actions", rest @ ..] => integrations::actions(st, rq, rest),
        ["integrations", "credentials", rest @ ..] => integrations::credentials(st, rq, rest),
        ["integrations", "types", rest @ ..] => integrations::types(rq, rest),
        ["integrations", rest @ ..] => integrations::integrations(st, rq, rest),
        ["processautomation", "triggers", rest @ ..] => integrations::triggers(st, rq, rest),
        ["flows", rest @ ..] => integrations::flows(st, rq, rest),
        _ => Err(rq.no_route()),
    }
}

/// Look up an entity for GET-by-id, honouring the GET-after-create 404 window.
pub fn find<'a>(
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
pub fn name_taken(
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
pub fn duplicate(what: &str, name: &str) -> ApiError {
    ApiError::conflict(format!("A {what} with the name [{name}] already exists"))
}

/// Filter by the `id` list parameter (both `id=a,b` and `id=a&id=b`).
pub fn filter_ids(q: &Query, key: &str, items: &mut Vec<Value>) {
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
