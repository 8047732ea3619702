//! A user's routing skills and languages: `/api/v2/users/{id}/routingskills[/bulk|/{skillId}]`
//! and `/api/v2/users/{id}/routinglanguages[/bulk|/{languageId}]`. Assignments do not touch
//! the user's `version`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Reply, Rq, live_user};
use crate::emulator::error::{ApiError, fail};
use crate::emulator::listing::{
    MAX_PAGE_SIZE, Page, apply_sort_order, listing, page, sort_by_name,
};
use crate::emulator::schema;
use crate::emulator::store::Emu;

/// Maximum items of one bulk call (TF chunks skills by 50; languages documented 50).
pub(crate) const MAX_BULK: usize = 50;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Skill,
    Language,
}

impl Kind {
    fn model(self) -> &'static str {
        match self {
            Kind::Skill => "UserRoutingSkillPost",
            Kind::Language => "UserRoutingLanguagePost",
        }
    }
    fn word(self) -> &'static str {
        match self {
            Kind::Skill => "Skill",
            Kind::Language => "Language",
        }
    }
    fn catalogue(self, st: &Emu) -> &BTreeMap<String, Value> {
        match self {
            Kind::Skill => &st.data.skills,
            Kind::Language => &st.data.languages,
        }
    }
    fn assignments(self, st: &mut Emu) -> &mut BTreeMap<String, BTreeMap<String, f64>> {
        match self {
            Kind::Skill => &mut st.data.user_skills,
            Kind::Language => &mut st.data.user_languages,
        }
    }
}

fn render_one(st: &Emu, kind: Kind, user: &str, id: &str, proficiency: f64) -> Value {
    let entity = kind.catalogue(st).get(id);
    let (coll, seg, uri_key) = match kind {
        Kind::Skill => ("skills", "routingskills", "skillUri"),
        Kind::Language => ("languages", "routinglanguages", "languageUri"),
    };
    json!({
        "id": id,
        "name": entity.map(|e| e["name"].clone()).unwrap_or(Value::Null),
        "proficiency": proficiency,
        "state": entity.map(|e| e["state"].clone()).unwrap_or(json!("deleted")),
        uri_key: format!("/api/v2/routing/{coll}/{id}"),
        "selfUri": format!("/api/v2/users/{user}/{seg}/{id}"),
    })
}

fn render_all(st: &Emu, kind: Kind, user: &str) -> Vec<Value> {
    let map = match kind {
        Kind::Skill => st.data.user_skills.get(user),
        Kind::Language => st.data.user_languages.get(user),
    };
    let mut items: Vec<Value> = map
        .into_iter()
        .flatten()
        .map(|(id, p)| render_one(st, kind, user, id, *p))
        .collect();
    sort_by_name(&mut items);
    items
}

/// The user's skills as `UserRoutingSkill` objects (for `expand=skills`).
pub(crate) fn render_skills(st: &Emu, user: &str) -> Vec<Value> {
    render_all(st, Kind::Skill, user)
}

/// The user's languages as `UserRoutingLanguage` objects (for `expand=languages`).
pub(crate) fn render_languages(st: &Emu, user: &str) -> Vec<Value> {
    render_all(st, Kind::Language, user)
}

/// `segs` = `[userId, routingskills|routinglanguages, ...]`.
pub(crate) fn handle(st: &mut Emu, rq: &Rq, segs: &[&str]) -> Result<Reply, ApiError> {
    let user = segs[0];
    let kind = if segs[1] == "routingskills" {
        Kind::Skill
    } else {
        Kind::Language
    };
    if live_user(st, user).is_none() {
        fail!(not_found, "User [{user}] not found");
    }
    match (rq.method.as_str(), &segs[2..]) {
        ("GET", []) => {
            let p = page(&rq.q, MAX_PAGE_SIZE)?;
            let mut items = render_all(st, kind, user);
            apply_sort_order(&rq.q, &mut items)?;
            Ok(Reply::json(listing(&rq.path, &rq.q, items, p)))
        }
        (m @ ("PATCH" | "PUT"), ["bulk"]) => {
            let items = schema::check_list(kind.model(), rq.body()?)?;
            if items.len() > MAX_BULK {
                return Err(ApiError::bad_request(format!(
                    "At most {MAX_BULK} items may be sent per request; got {}",
                    items.len()
                )));
            }
            let parsed = items
                .iter()
                .map(|i| parse_item(st, kind, i))
                .collect::<Result<Vec<_>, _>>()?;
            let assignments = kind.assignments(st).entry(user.to_string()).or_default();
            if m == "PUT" {
                assignments.clear();
            }
            for (id, p) in parsed {
                assignments.insert(id, p);
            }
            Ok(Reply::json(full_listing(st, kind, rq, user)))
        }
        ("POST", []) => {
            let item = schema::check(kind.model(), rq.body()?)?;
            let (id, p) = parse_item(st, kind, &item)?;
            kind.assignments(st)
                .entry(user.to_string())
                .or_default()
                .insert(id.clone(), p);
            Ok(Reply::json(render_one(st, kind, user, &id, p)))
        }
        ("DELETE", [id]) => {
            let removed = kind
                .assignments(st)
                .get_mut(user)
                .and_then(|m| m.remove(*id))
                .is_some();
            if !removed {
                return Err(ApiError::not_found(format!(
                    "{} [{id}] is not assigned to user [{user}]",
                    kind.word()
                )));
            }
            Ok(Reply::no_content())
        }
        _ => Err(rq.no_route()),
    }
}

fn full_listing(st: &Emu, kind: Kind, rq: &Rq, user: &str) -> Value {
    let items = render_all(st, kind, user);
    let size = items.len().max(25);
    listing(
        &rq.path,
        &Default::default(),
        items,
        Page { size, number: 1 },
    )
}

/// Validate one `{id, proficiency}`: both required, proficiency 0..=5, target must exist and
/// not be deleted (400 `bad.request`; real code for an unknown id unconfirmed).
fn parse_item(
    st: &Emu,
    kind: Kind,
    item: &serde_json::Map<String, Value>,
) -> Result<(String, f64), ApiError> {
    let id = schema::req_str(item, "id")?.to_lowercase();
    let p = item
        .get("proficiency")
        .and_then(Value::as_f64)
        .ok_or_else(|| ApiError::bad_request("The field 'proficiency' is required"))?;
    if !(0.0..=5.0).contains(&p) {
        return Err(ApiError::invalid_value(format!(
            "Value [{p}] is not valid for field [proficiency]; it must be between 0 and 5"
        )));
    }
    if kind
        .catalogue(st)
        .get(&id)
        .is_none_or(|e| e["state"] == "deleted")
    {
        fail!(bad_request, "{} [{id}] not found", kind.word());
    }
    Ok((id, p))
}
