//! Divisions: `/api/v2/authorization/divisions` (list, create, get, home, update, delete)
//! and moving objects between divisions (`POST .../{id}/objects/{objectType}`).

use serde_json::{Map, Value, json};

use super::{Reply, Rq, duplicate, filter_ids, find, name_taken};
use crate::emulator::error::ApiError;
use crate::emulator::listing::{MAX_PAGE_SIZE, cursor_listing, listing, page, sort_by_name};
use crate::emulator::schema::{self, opt_str, req_str};
use crate::emulator::store::{Emu, OrgData};
use crate::emulator::util::ieq;

pub fn handle(st: &mut Emu, rq: &Rq, rest: &[&str]) -> Result<Reply, ApiError> {
    match (rq.method.as_str(), rest) {
        ("GET", []) => list(st, rq),
        ("GET", ["query"]) => query(st, rq),
        ("POST", []) => create(st, rq),
        ("GET", ["home"]) => {
            let home = st.data.home_division();
            Ok(Reply::json(st.data.divisions[&home].clone()))
        }
        ("GET", [id]) => {
            let d = find(st, &st.data.divisions, id, "Division", rq.now)?.clone();
            Ok(Reply::json(render(
                &st.data,
                d,
                rq.q.bool("objectCount")?.unwrap_or(false),
            )))
        }
        ("PUT", [id]) => update(st, rq, id),
        ("DELETE", [id]) => delete(st, id),
        ("POST", [id, "objects", object_type]) => move_objects(st, rq, id, object_type),
        _ => Err(rq.no_route()),
    }
}

/// Object counts per type for a division (non-deleted objects only).
fn object_counts(d: &OrgData, id: &str) -> Map<String, Value> {
    let count = |m: &std::collections::BTreeMap<String, Value>| {
        m.values()
            .filter(|v| v["division"]["id"] == id && v["state"] != "deleted")
            .count()
    };
    let mut m = Map::new();
    for (k, n) in [
        ("USER", count(&d.users)),
        ("QUEUE", count(&d.queues)),
        ("SKILL", count(&d.skills)),
        ("WRAPUPCODE", count(&d.wrapup_codes)),
        ("SCHEDULE", count(&d.schedules)),
        ("SCHEDULEGROUP", count(&d.schedule_groups)),
        ("SKILLGROUP", count(&d.skill_groups)),
    ] {
        m.insert(k.to_string(), json!(n));
    }
    m
}

fn render(d: &OrgData, mut v: Value, counts: bool) -> Value {
    if counts {
        let id = v["id"].as_str().unwrap_or_default().to_string();
        v["objectCounts"] = Value::Object(object_counts(d, &id));
    }
    v
}

fn list(st: &mut Emu, rq: &Rq) -> Result<Reply, ApiError> {
    let p = page(&rq.q, MAX_PAGE_SIZE)?;
    let counts = rq.q.bool("objectCount")?.unwrap_or(false);
    let mut items: Vec<Value> = st.data.divisions.values().cloned().collect();
    // `name` is a "search term" (semantics unconfirmed): exact, case-insensitive here.
    if let Some(n) = rq.q.get("name") {
        items.retain(|v| v["name"].as_str().is_some_and(|x| ieq(x, n)));
    }
    filter_ids(&rq.q, "id", &mut items);
    sort_by_name(&mut items);
    let items = items
        .into_iter()
        .map(|v| render(&st.data, v, counts))
        .collect();
    Ok(Reply::json(listing(&rq.path, &rq.q, items, p)))
}

/// `GET /authorization/divisions/query`: the cursor form of the listing (max 200).
fn query(st: &mut Emu, rq: &Rq) -> Result<Reply, ApiError> {
    let mut items: Vec<Value> = st.data.divisions.values().cloned().collect();
    let keep: Vec<(&str, String)> =
        rq.q.get("name")
            .map(|n| ("name", n.to_string()))
            .into_iter()
            .collect();
    if let Some(n) = rq.q.get("name") {
        items.retain(|v| v["name"].as_str().is_some_and(|x| ieq(x, n)));
    }
    filter_ids(&rq.q, "id", &mut items);
    sort_by_name(&mut items);
    let items = items
        .into_iter()
        .map(|v| render(&st.data, v, false))
        .collect();
    Ok(Reply::json(cursor_listing(
        &rq.path, &rq.q, items, 200, &keep,
    )?))
}

fn create(st: &mut Emu, rq: &Rq) -> Result<Reply, ApiError> {
    let b = schema::check("AuthzDivision", rq.body()?)?;
    let name = req_str(&b, "name")?.to_string();
    // `description` is REQ in the swagger but over-marked (wire-models.md): optional here.
    if st.cfg.unique_names && name_taken(&st.data.divisions, &name, None, false) {
        return Err(duplicate("division", &name));
    }
    let id = st.new_id();
    let v = json!({
        "id": id, "name": name, "description": opt_str(&b, "description").unwrap_or(""),
        "homeDivision": false, "selfUri": format!("/api/v2/authorization/divisions/{id}"),
    });
    st.data.divisions.insert(id.clone(), v.clone());
    st.note_created(&id, rq.now);
    Ok(Reply::json(v))
}

fn update(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    let b = schema::check("AuthzDivision", rq.body()?)?;
    if !st.data.divisions.contains_key(id) {
        return Err(ApiError::not_found(format!("Division [{id}] not found")));
    }
    let name = req_str(&b, "name")?.to_string();
    if st.cfg.unique_names && name_taken(&st.data.divisions, &name, Some(id), false) {
        return Err(duplicate("division", &name));
    }
    let d = st.data.divisions.get_mut(id).expect("checked");
    d["name"] = json!(name);
    d["description"] = json!(opt_str(&b, "description").unwrap_or(""));
    Ok(Reply::json(d.clone()))
}

fn delete(st: &mut Emu, id: &str) -> Result<Reply, ApiError> {
    let d = st
        .data
        .divisions
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("Division [{id}] not found")))?;
    if d["homeDivision"] == json!(true) {
        return Err(ApiError::bad_request(
            "The home division cannot be deleted.",
        ));
    }
    let counts = object_counts(&st.data, id);
    if counts.values().any(|n| n.as_u64().unwrap_or(0) > 0) {
        return Err(ApiError::bad_request(format!(
            "Division [{id}] cannot be deleted while it contains objects: {}",
            Value::Object(counts)
        )));
    }
    st.data.divisions.remove(id);
    Ok(Reply::no_content())
}

const OBJECT_TYPES: &[&str] = &[
    "CAMPAIGN",
    "MANAGEMENTUNIT",
    "FLOW",
    "QUEUE",
    "DATATABLES",
    "USER",
];

fn move_objects(st: &mut Emu, rq: &Rq, id: &str, object_type: &str) -> Result<Reply, ApiError> {
    let ot = object_type.to_ascii_uppercase();
    if !OBJECT_TYPES.contains(&ot.as_str()) {
        return Err(ApiError::invalid_value(format!(
            "Value [{object_type}] is not valid for field type [objectType]. Allowable values are: {}",
            OBJECT_TYPES.join(", ")
        )));
    }
    if !st.data.divisions.contains_key(id) {
        return Err(ApiError::not_found(format!("Division [{id}] not found")));
    }
    let ids: Vec<String> = rq
        .body()?
        .as_array()
        .and_then(|a| {
            a.iter()
                .map(|v| v.as_str().map(str::to_lowercase))
                .collect()
        })
        .ok_or_else(|| {
            ApiError::bad_request("The request body must be a JSON array of object ids.")
        })?;
    let now = rq.now;
    let stamp = st.now_iso();
    match ot.as_str() {
        "USER" => {
            for uid in &ids {
                if st
                    .data
                    .users
                    .get(uid)
                    .is_none_or(|u| u["state"] == "deleted")
                {
                    return Err(ApiError::bad_request(format!("User [{uid}] not found")));
                }
            }
            for uid in &ids {
                let before = st.data.users[uid].clone();
                let u = st.data.users.get_mut(uid).expect("checked");
                if u["division"]["id"] != id {
                    u["division"] = json!({"id": id});
                    u["version"] = json!(u["version"].as_i64().unwrap_or(1) + 1);
                    u["dateModified"] = json!(stamp);
                }
                let after = u.clone();
                st.index_user(uid, Some(before), after, now);
            }
        }
        "QUEUE" => {
            for qid in &ids {
                if !st.data.queues.contains_key(qid) {
                    return Err(ApiError::bad_request(format!("Queue [{qid}] not found")));
                }
            }
            for qid in &ids {
                let q = st.data.queues.get_mut(qid).expect("checked");
                q["division"] = json!({"id": id});
                q["dateModified"] = json!(stamp);
            }
        }
        _ => {
            return Err(ApiError::bad_request(format!(
                "Object type [{ot}] is not supported by the emulator"
            )));
        }
    }
    Ok(Reply::no_content())
}
