//! Architect schedules and schedule groups (`/api/v2/architect/schedules`,
//! `/api/v2/architect/schedulegroups`). Schedules carry an int `version` checked on PUT;
//! a schedule referenced by a group cannot be deleted (409). Deletes are hard.

use serde_json::{Map, Value, json};

use super::{Reply, Rq, duplicate, filter_ids, find, name_taken};
use crate::emulator::error::ApiError;
use crate::emulator::listing::{MAX_PAGE_SIZE, apply_sort_order, listing, page, sort_by_name};
use crate::emulator::schema::{self, req_str};
use crate::emulator::store::Emu;
use crate::emulator::util::ieq;

const REFS: &[&str] = &["openSchedules", "closedSchedules", "holidaySchedules"];
/// IANA time zone names accepted in `timeZone`.
const TIME_ZONES: &str = include_str!("../../../assets/iana-time-zones.txt");

/// `yyyy-MM-ddTHH:mm:ss` with an optional fraction of up to 9 digits, no zone.
fn local_date_time(s: &str) -> bool {
    let (main, frac) = s.split_once('.').unwrap_or((s, ""));
    let b = main.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
        && frac.len() <= 9
        && frac.bytes().all(|c| c.is_ascii_digit())
        && !(s.contains('.') && frac.is_empty())
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Schedule,
    Group,
}

impl Kind {
    fn model(self) -> &'static str {
        match self {
            Kind::Schedule => "Schedule",
            Kind::Group => "ScheduleGroup",
        }
    }
    fn word(self) -> &'static str {
        match self {
            Kind::Schedule => "schedule",
            Kind::Group => "schedule group",
        }
    }
    fn path(self) -> &'static str {
        match self {
            Kind::Schedule => "schedules",
            Kind::Group => "schedulegroups",
        }
    }
    fn map(self, st: &Emu) -> &std::collections::BTreeMap<String, Value> {
        match self {
            Kind::Schedule => &st.data.schedules,
            Kind::Group => &st.data.schedule_groups,
        }
    }
    fn map_mut(self, st: &mut Emu) -> &mut std::collections::BTreeMap<String, Value> {
        match self {
            Kind::Schedule => &mut st.data.schedules,
            Kind::Group => &mut st.data.schedule_groups,
        }
    }
}

pub fn schedules(st: &mut Emu, rq: &Rq, rest: &[&str]) -> Result<Reply, ApiError> {
    handle(st, rq, rest, Kind::Schedule)
}

pub fn groups(st: &mut Emu, rq: &Rq, rest: &[&str]) -> Result<Reply, ApiError> {
    handle(st, rq, rest, Kind::Group)
}

fn handle(st: &mut Emu, rq: &Rq, rest: &[&str], kind: Kind) -> Result<Reply, ApiError> {
    match (rq.method.as_str(), rest) {
        ("GET", []) => {
            let p = page(&rq.q, MAX_PAGE_SIZE)?;
            let mut items: Vec<Value> = kind.map(st).values().cloned().collect();
            if let Some(n) = rq.q.get("name") {
                items.retain(|v| v["name"].as_str().is_some_and(|x| ieq(x, n)));
            }
            filter_ids(&rq.q, "id", &mut items);
            let divs = rq.q.list("divisionId");
            if !divs.is_empty() {
                items.retain(|v| divs.iter().any(|d| v["division"]["id"] == d.as_str()));
            }
            let sids = rq.q.list("scheduleIds");
            if kind == Kind::Group && !sids.is_empty() {
                items.retain(|g| {
                    REFS.iter().any(|r| {
                        g[*r]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|s| sids.iter().any(|x| s["id"] == x.as_str()))
                    })
                });
            }
            sort_by_name(&mut items);
            apply_sort_order(&rq.q, &mut items)?;
            let total = items.len();
            let items = items
                .into_iter()
                .map(|v| st.data.expand_division(v))
                .collect();
            let mut l = listing(&rq.path, &rq.q, items, p);
            l["totalNumberOfEntities"] = json!(total);
            Ok(Reply::json(l))
        }
        ("POST", []) => {
            let b = schema::check(kind.model(), rq.body()?)?;
            let name = req_str(&b, "name")?.to_string();
            if st.cfg.unique_names && name_taken(kind.map(st), &name, None, false) {
                return Err(duplicate(kind.word(), &name));
            }
            let body = validated(st, kind, &b)?;
            let id = st.new_id();
            let now = st.now_iso();
            let mut v = json!({"id": id, "name": name, "version": 1, "state": "active",
                               "dateCreated": now, "dateModified": now,
                               "selfUri": format!("/api/v2/architect/{}/{id}", kind.path())});
            for (k, x) in body {
                v[k] = x;
            }
            kind.map_mut(st).insert(id.clone(), v.clone());
            st.note_created(&id, rq.now);
            Ok(Reply::json(st.data.expand_division(v)))
        }
        ("GET", [id]) => {
            let v = find(st, kind.map(st), id, kind.word(), rq.now)?.clone();
            Ok(Reply::json(st.data.expand_division(v)))
        }
        ("PUT", [id]) => {
            let b = schema::check(kind.model(), rq.body()?)?;
            let old =
                kind.map(st).get(*id).cloned().ok_or_else(|| {
                    ApiError::not_found(format!("{} [{id}] not found", kind.word()))
                })?;
            let current = old["version"].as_i64().unwrap_or(1);
            match (kind, b.get("version").and_then(Value::as_i64)) {
                (Kind::Schedule, None) => {
                    return Err(ApiError::bad_request("The field 'version' is required"));
                }
                (_, Some(v)) if v != current => {
                    return Err(ApiError::conflict(format!(
                        "The version supplied [{v}] does not match the current version [{current}]"
                    )));
                }
                _ => {}
            }
            let name = req_str(&b, "name")?.to_string();
            if st.cfg.unique_names && name_taken(kind.map(st), &name, Some(id), false) {
                return Err(duplicate(kind.word(), &name));
            }
            let body = validated(st, kind, &b)?;
            let mut v = json!({"id": id, "name": name, "version": current + 1, "state": "active",
                               "dateCreated": old["dateCreated"], "dateModified": st.now_iso(),
                               "selfUri": old["selfUri"]});
            for (k, x) in body {
                v[k] = x;
            }
            kind.map_mut(st).insert(id.to_string(), v.clone());
            Ok(Reply::json(st.data.expand_division(v)))
        }
        ("DELETE", [id]) => {
            if !kind.map(st).contains_key(*id) {
                return Err(ApiError::not_found(format!(
                    "{} [{id}] not found",
                    kind.word()
                )));
            }
            if kind == Kind::Schedule {
                let used = st.data.schedule_groups.values().any(|g| {
                    REFS.iter().any(|r| {
                        g[*r]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|s| s["id"] == *id)
                    })
                });
                if used {
                    return Err(ApiError::conflict(format!(
                        "Schedule [{id}] is in use by a schedule group"
                    )));
                }
            }
            kind.map_mut(st).remove(*id);
            Ok(Reply::no_content())
        }
        _ => Err(rq.no_route()),
    }
}

/// The writable fields of a create/PUT body, checked: division resolved (omitted → home),
/// schedules need `start`/`end`, group references must exist.
fn validated(st: &Emu, kind: Kind, b: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    let div = st.data.resolve_division(
        b.get("division")
            .and_then(|d| d.get("id"))
            .and_then(Value::as_str),
    )?;
    out.insert("division".into(), json!({"id": div}));
    if let Some(d) = b.get("description") {
        out.insert("description".into(), d.clone());
    }
    match kind {
        Kind::Schedule => {
            for k in ["start", "end"] {
                let v = req_str(b, k)?;
                if !local_date_time(v) {
                    return Err(ApiError::new(
                        400,
                        "invalid.date",
                        format!(
                            "The field '{k}' must be a local date-time yyyy-MM-ddTHH:mm:ss.SSS, not [{v}]"
                        ),
                    ));
                }
                out.insert(k.into(), json!(v));
            }
            if let Some(r) = b.get("rrule") {
                out.insert("rrule".into(), r.clone());
            }
        }
        Kind::Group => {
            if let Some(tz) = b.get("timeZone") {
                let name = tz.as_str().unwrap_or_default();
                if !TIME_ZONES.lines().any(|l| !l.starts_with('#') && l == name) {
                    return Err(ApiError::invalid_value(format!(
                        "Value [{name}] is not a valid time zone for field [timeZone]"
                    )));
                }
                out.insert("timeZone".into(), tz.clone());
            }
            for r in REFS {
                let refs = b
                    .get(*r)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut clean = Vec::new();
                for x in refs {
                    let sid = x["id"].as_str().unwrap_or_default().to_lowercase();
                    let s = st.data.schedules.get(&sid).ok_or_else(|| {
                        ApiError::bad_request(format!("Schedule [{sid}] not found"))
                    })?;
                    clean.push(json!({"id": sid, "name": s["name"], "selfUri": s["selfUri"]}));
                }
                out.insert((*r).into(), Value::Array(clean));
            }
        }
    }
    Ok(out)
}
