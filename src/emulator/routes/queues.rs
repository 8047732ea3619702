//! Queues: `/api/v2/routing/queues` (list, create, get, full-replacement PUT, delete), their
//! members (`/members`, listing without totals, bulk add/remove ≤ 100, `member_lag`) and their
//! wrap-up codes (`/wrapupcodes`).

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::{Reply, Rq, known, without};
use crate::emulator::collection::{
    Collection, Divisions, Hooks, Listing, NameFilter, Rules, Update, body_division,
};
use crate::emulator::error::ApiError;
use crate::emulator::listing::sort_by_name;
use crate::emulator::schema;
use crate::emulator::store::{Emu, MemberRec, OrgData};
use crate::emulator::table::Table;
use crate::emulator::util::is_uuid;

/// Maximum ids per members / wrap-up codes call.
pub(crate) const MAX_PER_CALL: usize = 100;
/// Maximum page size of the members listing.
pub(crate) const MAX_MEMBERS_PAGE_SIZE: usize = 100;

/// Fields the queue listing leaves out and `GET /routing/queues/{id}` carries. Which
/// fields the real listing omits is unconfirmed (the CX as Code provider reads every
/// queue by id before it writes); the emulator drops these flow and routing references
/// so that a client building its full-replacement PUT from a listing loses them, as it
/// would against a real org that omits anything.
pub(crate) const DETAIL_ONLY: &[&str] = &[
    "bullseye",
    "conditionalGroupRouting",
    "queueFlow",
    "emailInQueueFlow",
    "messageInQueueFlow",
    "whisperPrompt",
    "onHoldPrompt",
    "defaultScripts",
    "outboundEmailAddress",
    "outboundMessagingAddresses",
];

pub(crate) static QUEUES: Collection = Collection {
    uri: "/api/v2/routing/queues",
    word: "queue",
    map: |d| &d.queues,
    map_mut: |d| &mut d.queues,
    rules: Rules {
        create: Some("CreateQueueRequest"),
        // Full replacement: omitted settings are reset to the defaults.
        update: Update::Put("QueueRequest"),
        listing: Listing::SORTED_PAGE,
        // Exact (case-insensitive) unless a leading/trailing `*` wildcard is used.
        name_filter: NameFilter::Wildcard,
        divisions: Divisions::Filtered,
        // Unique case-insensitively; 409 `general.conflict` chosen (unconfirmed: could
        // be 400).
        read_model: "Queue",
        list_model: "QueueEntityListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        build,
        validate: |_, b, _| {
            // A third-party wiki says queue names may not contain `*` (unconfirmed; refused
            // so wildcard look-ups stay unambiguous).
            match b["name"].as_str() {
                Some(n) if n.contains('*') => Err(ApiError::invalid_value(format!(
                    "Queue name [{n}] may not contain '*'"
                ))),
                _ => Ok(()),
            }
        },
        render: |st, rq, v, listed| {
            let v = render(st, &v, rq.now);
            if listed { without(v, DETAIL_ONLY) } else { v }
        },
        deleted: |st, id| {
            st.data.queue_members.remove(id);
            st.data.queue_wrapup_codes.remove(id);
        },
        extra: |st, rq, rest| {
            Some(match (rq.method.as_str(), rest) {
                ("GET", [id, "members"]) => list_members(st, rq, id),
                ("POST", [id, "members"]) => post_members(st, rq, id),
                ("DELETE", [id, "members", user]) => unassign(
                    st,
                    id,
                    |d| &mut d.queue_members,
                    |m| m.user_id == *user,
                    format!("Member [{user}] not found in queue [{id}]"),
                ),
                ("GET", [id, "wrapupcodes"]) => list_wrapups(st, rq, id),
                ("POST", [id, "wrapupcodes"]) => post_wrapups(st, rq, id),
                ("DELETE", [id, "wrapupcodes", code]) => unassign(
                    st,
                    id,
                    |d| &mut d.queue_wrapup_codes,
                    |c| c == code,
                    format!("Wrap-up code [{code}] is not assigned to queue [{id}]"),
                ),
                _ => return None,
            })
        },
        ..Hooks::DEFAULT
    },
};

/// Take off the queue's list `of` what `matches`; nothing taken → 404 `missing`.
fn unassign<T>(
    st: &mut Emu,
    id: &str,
    of: fn(&mut OrgData) -> &mut Table<Vec<T>>,
    matches: impl Fn(&T) -> bool,
    missing: String,
) -> Result<Reply, ApiError> {
    QUEUES.writable(st, id)?;
    let list = of(&mut st.data).entry(id.to_string()).or_default();
    let before = list.len();
    list.retain(|x| !matches(x));
    if list.len() == before {
        return Err(ApiError::not_found(missing));
    }
    Ok(Reply::no_content())
}

/// Settings the server fills in when a create/PUT omits them (values modelled on the UI
/// defaults; exact server defaults unconfirmed). A PUT resets omitted settings to these.
pub(crate) fn queue_defaults() -> Value {
    let media = |timeout: i64, sl_ms: i64| {
        json!({"enableAutoAnswer": false, "alertingTimeoutSeconds": timeout,
               "serviceLevel": {"percentage": 0.8, "durationMs": sl_ms},
               "autoAnswerAlertToneSeconds": 0.0, "manualAnswerAlertToneSeconds": 0.0})
    };
    json!({
        "mediaSettings": {
            "call": media(8, 20_000),
            "callback": media(30, 20_000),
            "chat": media(30, 20_000),
            "email": media(300, 86_400_000),
            "message": media(30, 20_000),
        },
        "acwSettings": {"wrapupPrompt": "OPTIONAL"},
        "skillEvaluationMethod": "ALL",
        "scoringMethod": "TimestampAndPriority",
        "lastAgentRoutingMode": "Disabled",
        "memberGroups": [],
        "autoAnswerOnly": false,
        "enableTranscription": false,
        "enableAudioMonitoring": false,
        "enableManualAssignment": false,
        "suppressInQueueCallRecording": false,
    })
}

/// Deep-merge `over` into `base` (objects merge, everything else replaces).
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// What is not a setting in a body or a stored queue.
const NOT_SETTINGS: &[&str] = &[
    "id",
    "name",
    "division",
    "description",
    "dateCreated",
    "dateModified",
    "createdBy",
    "modifiedBy",
    "memberCount",
    "userMemberCount",
    "joinedMemberCount",
    "selfUri",
    "sourceQueueId",
];

/// The stored queue: name, division, description, audit fields, then every setting
/// (defaults, overlaid by the source queue's on a create with `sourceQueueId`, overlaid by
/// the body). A PUT keeps the division: whether the server honours `division` there is
/// unconfirmed, and TF moves queues with `POST /authorization/divisions/{id}/objects/QUEUE`.
fn build(st: &Emu, b: &Map<String, Value>, old: Option<&Value>) -> Result<Value, ApiError> {
    let mut base = queue_defaults();
    let now = st.now_iso();
    let mut v = match old {
        None => {
            let div = body_division(st, b)?;
            if let Some(src) = b.get("sourceQueueId").and_then(Value::as_str) {
                let s = known(&st.data.queues, src, "Source queue")?;
                merge(&mut base, &without(s.clone(), NOT_SETTINGS));
            }
            json!({"name": b["name"], "division": {"id": div}, "description": b.get("description"),
                   "dateCreated": now, "dateModified": now, "createdBy": "genseed-emulator",
                   "modifiedBy": "genseed-emulator"})
        }
        Some(old) => json!({
            "name": b["name"], "division": old["division"], "description": b.get("description"),
            "dateCreated": old["dateCreated"], "dateModified": now, "createdBy": old["createdBy"],
            "modifiedBy": "genseed-emulator",
        }),
    };
    if v["description"].is_null() {
        v.as_object_mut().expect("object").remove("description");
    }
    merge(&mut base, &without(Value::Object(b.clone()), NOT_SETTINGS));
    merge(&mut v, &base);
    Ok(v)
}

/// The queue's members the members listing shows now (`member_lag`).
fn visible_members<'a>(
    st: &'a Emu,
    id: &'a str,
    now: Instant,
) -> impl Iterator<Item = &'a MemberRec> {
    let members = st.data.queue_members.get(id).into_iter().flatten();
    members.filter(move |m| st.member_is_visible(id, &m.user_id, now))
}

/// A stored queue for reading: division expanded, member counts (visible members only).
fn render(st: &Emu, q: &Value, now: Instant) -> Value {
    let mut v = st.data.expand_division(q.clone());
    let id = q["id"].as_str().unwrap_or_default();
    let members: Vec<&MemberRec> = visible_members(st, id, now).collect();
    v["memberCount"] = json!(members.len());
    v["userMemberCount"] = json!(members.len());
    v["joinedMemberCount"] = json!(members.iter().filter(|m| m.joined).count());
    v
}

fn list_members(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    QUEUES.writable(st, id)?;
    let joined = rq.q.bool("joined")?;
    let name = rq.q.get("name").map(str::to_lowercase).unwrap_or_default();
    let by_user = rq.q.get("memberBy").is_none_or(|b| b == "user");
    let mut items: Vec<Value> = Vec::new();
    for m in visible_members(st, id, rq.now) {
        let Some(u) = st.data.users.get(&m.user_id) else {
            continue;
        };
        let uname = u["name"].as_str().unwrap_or_default();
        if joined.is_some_and(|j| j != m.joined)
            || !by_user
            || !uname.to_lowercase().contains(&name)
        {
            continue;
        }
        let division = st
            .data
            .division_ref(u["division"]["id"].as_str().unwrap_or_default());
        let user = json!({
            "id": m.user_id, "name": uname, "division": division, "email": u["email"],
            "state": u["state"], "version": u["version"], "selfUri": u["selfUri"],
        });
        items.push(json!({
            "id": m.user_id, "name": uname, "user": user, "ringNumber": m.ring_number,
            "joined": m.joined, "memberBy": "user",
            "selfUri": format!("/api/v2/routing/queues/{id}/members/{}", m.user_id),
        }));
    }
    sort_by_name(&mut items);
    let shape = Listing::Page {
        max: MAX_MEMBERS_PAGE_SIZE,
        sort_order: true,
        totals: false,
        total_entities: false,
    };
    shape.reply(rq, items, |v| v)
}

/// The lower-cased `id`s of a JSON array body of `model` items, each passing `check`:
/// 1 to [`MAX_PER_CALL`] of them, else 400 with the message `count_error(n)`.
fn body_ids(
    rq: &Rq,
    model: &str,
    count_error: fn(usize) -> String,
    check: impl Fn(&str) -> Result<(), ApiError>,
) -> Result<Vec<String>, ApiError> {
    let items = schema::check_list(model, rq.body()?)?;
    if items.is_empty() || items.len() > MAX_PER_CALL {
        return Err(ApiError::bad_request(count_error(items.len())));
    }
    let id = |i: &Map<String, Value>| {
        let id = schema::req_str(i, "id")?.to_lowercase();
        check(&id).map(|_| id)
    };
    items.iter().map(id).collect()
}

fn post_members(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    QUEUES.writable(st, id)?;
    let delete = rq.q.bool("delete")?.unwrap_or(false);
    let count_error = |n| {
        format!(
            "The request must contain a valid number of queue members (1 to {MAX_PER_CALL}); got {n}"
        )
    };
    let ids = body_ids(rq, "WritableEntity", count_error, |uid| {
        if !is_uuid(uid) {
            return Err(ApiError::new(
                400,
                "invalid.id",
                format!("[{uid}] is not a valid id"),
            ));
        }
        if !delete {
            known(&st.data.users, uid, "User")?;
        }
        Ok(())
    })?;
    let lag = st.cfg.consistency.member_lag;
    let members = st.data.queue_members.entry(id.to_string()).or_default();
    let mut added = Vec::new();
    for uid in ids {
        if delete {
            members.retain(|m| m.user_id != uid);
        } else if !members.iter().any(|m| m.user_id == uid) {
            // New members are joined (active) on the queue (unconfirmed default).
            let joined = true;
            members.push(MemberRec {
                user_id: uid.clone(),
                ring_number: 1,
                joined,
            });
            added.push(uid);
        }
    }
    if !lag.is_zero() {
        for uid in added {
            st.member_visible
                .insert((id.to_string(), uid), rq.now + lag);
        }
    }
    Ok(Reply::no_content())
}

fn list_wrapups(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    QUEUES.writable(st, id)?;
    let codes = st.data.queue_wrapup_codes.get(id).into_iter().flatten();
    let mut items: Vec<Value> = codes
        .filter_map(|c| st.data.wrapup_codes.get(c))
        .map(|v| st.data.expand_division(v.clone()))
        .collect();
    // `name`: trailing `*` = prefix, else exact (case-insensitive).
    if let Some(n) = rq.q.get("name").map(str::to_lowercase) {
        items.retain(|v| {
            let x = v["name"].as_str().unwrap_or_default().to_lowercase();
            n.strip_suffix('*')
                .map_or(x == n, |prefix| x.starts_with(prefix))
        });
    }
    sort_by_name(&mut items);
    Listing::PAGE.reply(rq, items, |v| v)
}

fn post_wrapups(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    QUEUES.writable(st, id)?;
    let count_error =
        |n| format!("Between 1 and {MAX_PER_CALL} wrap-up codes may be added per request; got {n}");
    let ids = body_ids(rq, "WrapUpCodeReference", count_error, |cid| {
        known(&st.data.wrapup_codes, cid, "Wrap-up code").map(drop)
    })?;
    let codes = st
        .data
        .queue_wrapup_codes
        .entry(id.to_string())
        .or_default();
    for c in &ids {
        if !codes.contains(c) {
            codes.push(c.clone());
        }
    }
    let code = |c: &String| st.data.expand_division(st.data.wrapup_codes[c].clone());
    Ok(Reply::json(Value::Array(ids.iter().map(code).collect())))
}
