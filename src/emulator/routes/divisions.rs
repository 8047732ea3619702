//! Divisions: `/api/v2/authorization/divisions` (list, create, get, home, update, delete)
//! and moving objects between divisions (`POST .../{id}/objects/{objectType}`).

use serde_json::{Value, json};

use super::{Reply, Rq, known, touch};
use crate::emulator::collection::{Collection, Hooks, Listing, Rules, Update};
use crate::emulator::error::{ApiError, fail};
use crate::emulator::schema::opt_str;
use crate::emulator::store::{Emu, OrgData};

const QUERY: Listing = Listing::Cursor {
    max: 200,
    keep: &["name"],
};

pub(crate) static DIVISIONS: Collection = Collection {
    uri: "/api/v2/authorization/divisions",
    word: "division",
    map: |d| &d.divisions,
    map_mut: |d| &mut d.divisions,
    rules: Rules {
        create: Some("AuthzDivision"),
        update: Update::Put("AuthzDivision"),
        // `name` is a "search term" (semantics unconfirmed): exact, case-insensitive here.
        read_model: "AuthzDivision",
        list_model: "AuthzDivisionEntityListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        // `description` is REQ in the swagger but over-marked (wire-models.md): optional.
        build: |_, b, old| {
            Ok(
                json!({"name": b["name"], "description": opt_str(b, "description").unwrap_or(""),
                      "homeDivision": old.is_some_and(|o| o["homeDivision"] == json!(true))}),
            )
        },
        render: |st, rq, mut v, _| {
            if rq.method == "GET" && rq.q.bool("objectCount").ok().flatten() == Some(true) {
                let id = v["id"].as_str().unwrap_or_default().to_string();
                let counts = objects_in(&st.data, &id).into_iter();
                let counts = counts.map(|(k, names)| (k.to_string(), json!(names.len())));
                v["objectCounts"] = Value::Object(counts.collect());
            }
            v
        },
        filter: |_, rq, _| rq.q.bool("objectCount").map(|_| ()),
        can_delete,
        extra: |st, rq, rest| match (rq.method.as_str(), rest) {
            // The cursor form of the listing (max 200).
            ("GET", ["query"]) => Some(DIVISIONS.list_as(st, rq, QUERY)),
            ("GET", ["home"]) => {
                let home = st.data.home_division();
                Some(Ok(Reply::json(st.data.divisions[&home].clone())))
            }
            ("POST", [id, "objects", object_type]) => Some(move_objects(st, rq, id, object_type)),
            _ => None,
        },
        ..Hooks::DEFAULT
    },
};

/// The names of a division's objects (non-deleted) per object type.
fn objects_in(d: &OrgData, id: &str) -> Vec<(&'static str, Vec<String>)> {
    let names = |m: &std::collections::BTreeMap<String, Value>| {
        m.values()
            .filter(|v| v["division"]["id"] == id && v["state"] != "deleted")
            .map(|v| v["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    vec![
        ("USER", names(&d.users)),
        ("QUEUE", names(&d.queues)),
        ("SKILL", names(&d.skills)),
        ("WRAPUPCODE", names(&d.wrapup_codes)),
        ("SCHEDULE", names(&d.schedules)),
        ("SCHEDULEGROUP", names(&d.schedule_groups)),
        ("SKILLGROUP", names(&d.skill_groups)),
    ]
}

fn can_delete(st: &Emu, id: &str) -> Result<(), ApiError> {
    if st.data.divisions[id]["homeDivision"] == json!(true) {
        fail!(bad_request, "The home division cannot be deleted.");
    }
    // 400 while objects are in it (TF retries the delete while it answers 400); the
    // message names them (the real wording is unconfirmed).
    let held: Vec<String> = objects_in(&st.data, id)
        .into_iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(k, names)| format!("{k} {}", names.join(", ")))
        .collect();
    if !held.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Division [{id}] cannot be deleted while it contains objects: {}",
            held.join("; ")
        )));
    }
    Ok(())
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
        fail!(not_found, "Division [{id}] not found");
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
                known(&st.data.users, uid, "User")?;
            }
            for uid in &ids {
                let before = st.data.users[uid].clone();
                let u = st.data.users.get_mut(uid).expect("checked");
                if u["division"]["id"] != id {
                    u["division"] = json!({"id": id});
                    touch(u, &stamp);
                }
                let after = u.clone();
                st.index_user(uid, Some(before), after, now);
            }
        }
        "QUEUE" => {
            for qid in &ids {
                known(&st.data.queues, qid, "Queue")?;
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
