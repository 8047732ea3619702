//! Architect schedules and schedule groups (`/api/v2/architect/schedules`,
//! `/api/v2/architect/schedulegroups`). Schedules carry an int `version` checked on PUT;
//! a schedule referenced by a group cannot be deleted (409). Deletes are hard.

use serde_json::{Map, Value, json};

use super::{Rq, elements, known};
use crate::emulator::collection::{
    Collection, Divisions, Hooks, Listing, Rules, Update, Versioning, body_division,
};
use crate::emulator::error::{ApiError, fail};
use crate::emulator::listing::MAX_PAGE_SIZE;
use crate::emulator::schema::req_str;
use crate::emulator::store::Emu;

const REFS: &[&str] = &["openSchedules", "closedSchedules", "holidaySchedules"];

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

/// What schedules and schedule groups share: an int `version`, a page listing with all
/// totals, divisions.
const RULES: Rules = Rules {
    versioning: Versioning::Int { required: true },
    listing: Listing::Page {
        max: MAX_PAGE_SIZE,
        sort_order: true,
        totals: true,
        total_entities: true,
    },
    // `name` semantics unconfirmed: exact, case-insensitive (the default).
    divisions: Divisions::Filtered,
    ..Rules::DEFAULT
};

pub(crate) static SCHEDULES: Collection = Collection {
    uri: "/api/v2/architect/schedules",
    word: "schedule",
    map: |d| &d.schedules,
    map_mut: |d| &mut d.schedules,
    rules: Rules {
        create: Some("Schedule"),
        update: Update::Put("Schedule"),
        read_model: "Schedule",
        list_model: "ScheduleEntityListing",
        ..RULES
    },
    hooks: Hooks {
        build: |st, b, old| build(st, Kind::Schedule, b, old),
        can_delete: schedule_unused,
        ..Hooks::DEFAULT
    },
};

pub(crate) static SCHEDULE_GROUPS: Collection = Collection {
    uri: "/api/v2/architect/schedulegroups",
    word: "schedule group",
    map: |d| &d.schedule_groups,
    map_mut: |d| &mut d.schedule_groups,
    rules: Rules {
        create: Some("ScheduleGroup"),
        update: Update::Put("ScheduleGroup"),
        // TF does not send `version` on group PUT: checked only when sent.
        versioning: Versioning::Int { required: false },
        read_model: "ScheduleGroup",
        list_model: "ScheduleGroupEntityListing",
        ..RULES
    },
    hooks: Hooks {
        build: |st, b, old| build(st, Kind::Group, b, old),
        filter: filter_by_schedules,
        ..Hooks::DEFAULT
    },
};

/// `scheduleIds`: groups referencing any of these schedules.
fn filter_by_schedules(_: &Emu, rq: &Rq, items: &mut Vec<&Value>) -> Result<(), ApiError> {
    let sids = rq.q.list("scheduleIds");
    if !sids.is_empty() {
        items.retain(|g| {
            REFS.iter()
                .any(|r| elements(&g[*r]).any(|s| sids.iter().any(|x| s["id"] == x.as_str())))
        });
    }
    Ok(())
}

/// A schedule referenced by a group cannot be deleted (409, TF).
fn schedule_unused(st: &Emu, id: &str) -> Result<(), ApiError> {
    let used = st
        .data
        .schedule_groups
        .values()
        .any(|g| REFS.iter().any(|r| elements(&g[*r]).any(|s| s["id"] == id)));
    if used {
        fail!(conflict, "Schedule [{id}] is in use by a schedule group");
    }
    Ok(())
}

/// The stored entity: name, `state: active`, dates, and the checked fields.
fn build(
    st: &Emu,
    kind: Kind,
    b: &Map<String, Value>,
    old: Option<&Value>,
) -> Result<Value, ApiError> {
    let now = st.now_iso();
    let created = old.map_or(json!(now), |o| o["dateCreated"].clone());
    let mut v = json!({"name": b["name"], "state": "active", "dateCreated": created,
                       "dateModified": now});
    for (k, x) in validated(st, kind, b)? {
        v[k] = x;
    }
    Ok(v)
}

/// The writable fields of a create/PUT body, checked: division resolved (omitted → home),
/// schedules need `start`/`end`, group references must exist.
fn validated(st: &Emu, kind: Kind, b: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    let div = body_division(st, b)?;
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
                if !crate::tz::is_iana(name) {
                    return Err(ApiError::invalid_value(format!(
                        "Value [{name}] is not a valid time zone for field [timeZone]"
                    )));
                }
                out.insert("timeZone".into(), tz.clone());
            }
            for r in REFS {
                let mut clean = Vec::new();
                for x in b.get(*r).and_then(Value::as_array).into_iter().flatten() {
                    let sid = x["id"].as_str().unwrap_or_default().to_lowercase();
                    let s = known(&st.data.schedules, &sid, "Schedule")?;
                    clean.push(json!({"id": sid, "name": s["name"], "selfUri": s["selfUri"]}));
                }
                out.insert((*r).into(), Value::Array(clean));
            }
        }
    }
    Ok(out)
}
