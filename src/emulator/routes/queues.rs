//! Queues: `/api/v2/routing/queues` (list, create, get, full-replacement PUT, delete), their
//! members (`/members`, listing without totals, bulk add/remove ≤ 100, `member_lag`) and their
//! wrap-up codes (`/wrapupcodes`).

use serde_json::{Map, Value, json};

use super::{Reply, Rq, live_user, without};
use crate::emulator::collection::{
    Collection, Divisions, Hooks, Listing, NameFilter, Rules, Update, body_division,
};
use crate::emulator::error::{ApiError, fail};
use crate::emulator::listing::{
    MAX_PAGE_SIZE, apply_sort_order, listing, listing_without_total, page, sort_by_name,
};
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
                let s = st.data.queues.get(src).ok_or_else(|| {
                    ApiError::bad_request(format!("Source queue [{src}] not found"))
                })?;
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

/// A stored queue for reading: division expanded, member counts (visible members only).
fn render(st: &Emu, q: &Value, now: std::time::Instant) -> Value {
    let mut v = st.data.expand_division(q.clone());
    let id = q["id"].as_str().unwrap_or_default();
    let members: Vec<&MemberRec> = st
        .data
        .queue_members
        .get(id)
        .into_iter()
        .flatten()
        .filter(|m| st.member_is_visible(id, &m.user_id, now))
        .collect();
    v["memberCount"] = json!(members.len());
    v["userMemberCount"] = json!(members.len());
    v["joinedMemberCount"] = json!(members.iter().filter(|m| m.joined).count());
    v
}

fn list_members(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    QUEUES.writable(st, id)?;
    let p = page(&rq.q, MAX_MEMBERS_PAGE_SIZE)?;
    let joined = rq.q.bool("joined")?;
    let name = rq.q.get("name").map(str::to_lowercase);
    let member_by = rq.q.get("memberBy");
    let mut items: Vec<Value> = Vec::new();
    for m in st.data.queue_members.get(id).into_iter().flatten() {
        if !st.member_is_visible(id, &m.user_id, rq.now) {
            continue;
        }
        let Some(u) = st.data.users.get(&m.user_id) else {
            continue;
        };
        if joined.is_some_and(|j| j != m.joined) || member_by.is_some_and(|b| b != "user") {
            continue;
        }
        let uname = u["name"].as_str().unwrap_or_default();
        if name
            .as_ref()
            .is_some_and(|n| !uname.to_lowercase().contains(n.as_str()))
        {
            continue;
        }
        let user = json!({
            "id": m.user_id, "name": uname, "division": st.data.division_ref(u["division"]["id"].as_str().unwrap_or_default()),
            "email": u["email"], "state": u["state"], "version": u["version"], "selfUri": u["selfUri"],
        });
        items.push(json!({
            "id": m.user_id, "name": uname, "user": user, "ringNumber": m.ring_number,
            "joined": m.joined, "memberBy": "user",
            "selfUri": format!("/api/v2/routing/queues/{id}/members/{}", m.user_id),
        }));
    }
    sort_by_name(&mut items);
    apply_sort_order(&rq.q, &mut items)?;
    Ok(Reply::json(listing_without_total(
        &rq.path, &rq.q, items, p,
    )))
}

fn post_members(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    QUEUES.writable(st, id)?;
    let delete = rq.q.bool("delete")?.unwrap_or(false);
    let items = schema::check_list("WritableEntity", rq.body()?)?;
    if items.is_empty() || items.len() > MAX_PER_CALL {
        return Err(ApiError::bad_request(format!(
            "The request must contain a valid number of queue members (1 to {MAX_PER_CALL}); got {}",
            items.len()
        )));
    }
    let mut ids = Vec::new();
    for i in &items {
        let uid = schema::req_str(i, "id")?.to_lowercase();
        if !is_uuid(&uid) {
            return Err(ApiError::new(
                400,
                "invalid.id",
                format!("[{uid}] is not a valid id"),
            ));
        }
        if !delete && live_user(st, &uid).is_none() {
            fail!(bad_request, "User [{uid}] not found");
        }
        ids.push(uid);
    }
    let lag = st.cfg.consistency.member_lag;
    let members = st.data.queue_members.entry(id.to_string()).or_default();
    let mut added = Vec::new();
    for uid in ids {
        if delete {
            members.retain(|m| m.user_id != uid);
        } else if !members.iter().any(|m| m.user_id == uid) {
            members.push(MemberRec {
                user_id: uid.clone(),
                ring_number: 1,
                // New members are joined (active) on the queue (unconfirmed default).
                joined: true,
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
    let p = page(&rq.q, MAX_PAGE_SIZE)?;
    let mut items: Vec<Value> = st
        .data
        .queue_wrapup_codes
        .get(id)
        .into_iter()
        .flatten()
        .filter_map(|c| st.data.wrapup_codes.get(c))
        .map(|v| st.data.expand_division(v.clone()))
        .collect();
    // `name`: trailing `*` = prefix, else exact (case-insensitive).
    if let Some(n) = rq.q.get("name") {
        let n = n.to_lowercase();
        items.retain(|v| {
            let x = v["name"].as_str().unwrap_or_default().to_lowercase();
            match n.strip_suffix('*') {
                Some(prefix) => x.starts_with(prefix),
                None => x == n,
            }
        });
    }
    sort_by_name(&mut items);
    Ok(Reply::json(listing(&rq.path, &rq.q, items, p)))
}

fn post_wrapups(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    QUEUES.writable(st, id)?;
    let items = schema::check_list("WrapUpCodeReference", rq.body()?)?;
    if items.is_empty() || items.len() > MAX_PER_CALL {
        return Err(ApiError::bad_request(format!(
            "Between 1 and {MAX_PER_CALL} wrap-up codes may be added per request; got {}",
            items.len()
        )));
    }
    let mut ids = Vec::new();
    for i in &items {
        let cid = schema::req_str(i, "id")?.to_lowercase();
        if !st.data.wrapup_codes.contains_key(&cid) {
            fail!(bad_request, "Wrap-up code [{cid}] not found");
        }
        ids.push(cid);
    }
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
    let out: Vec<Value> = ids
        .iter()
        .map(|c| st.data.expand_division(st.data.wrapup_codes[c].clone()))
        .collect();
    Ok(Reply::json(Value::Array(out)))
}
