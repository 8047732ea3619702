//! A user's routing skills and languages: `/api/v2/users/{id}/routingskills[/bulk|/{skillId}]`
//! and `/api/v2/users/{id}/routinglanguages[/bulk|/{languageId}]`. Assignments do not touch
//! the user's `version`. One [`Assignments`] descriptor each, served by the same handlers.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Reply, Rq, known, live_user};
use crate::emulator::error::{ApiError, fail};
use crate::emulator::listing::{Listing, Page, paged, sort_by_name};
use crate::emulator::schema;
use crate::emulator::store::{Emu, OrgData};
use crate::emulator::table::Table;

/// Maximum items of one bulk call (TF chunks skills by 50; languages documented 50).
pub(crate) const MAX_BULK: usize = 50;

/// Proficiencies by user id, then by catalogue entity id.
type ByUser = Table<BTreeMap<String, f64>>;

/// What a user is assigned from one catalogue (skills or languages).
pub(crate) struct Assignments {
    /// Model of one item of a POST or bulk body.
    model: &'static str,
    /// The catalogue's entity in messages.
    word: &'static str,
    /// The catalogue's collection under `/api/v2/routing`, the user's sub-resource and
    /// the item field holding the entity's URI.
    paths: (&'static str, &'static str, &'static str),
    catalogue: fn(&OrgData) -> &BTreeMap<String, Value>,
    of: fn(&OrgData) -> &ByUser,
    of_mut: fn(&mut OrgData) -> &mut ByUser,
}

/// A user's skills (`UserRoutingSkill`, also for `expand=skills`).
pub(crate) const SKILLS: Assignments = Assignments {
    model: "UserRoutingSkillPost",
    word: "Skill",
    paths: ("skills", "routingskills", "skillUri"),
    catalogue: |d| &d.skills,
    of: |d| &d.user_skills,
    of_mut: |d| &mut d.user_skills,
};

/// A user's languages (`UserRoutingLanguage`, also for `expand=languages`).
pub(crate) const LANGUAGES: Assignments = Assignments {
    model: "UserRoutingLanguagePost",
    word: "Language",
    paths: ("languages", "routinglanguages", "languageUri"),
    catalogue: |d| &d.languages,
    of: |d| &d.user_languages,
    of_mut: |d| &mut d.user_languages,
};

impl Assignments {
    fn render_one(&self, st: &Emu, user: &str, id: &str, proficiency: f64) -> Value {
        let entity = (self.catalogue)(&st.data).get(id);
        let (coll, seg, uri_key) = self.paths;
        json!({
            "id": id,
            "name": entity.map(|e| e["name"].clone()).unwrap_or(Value::Null),
            "proficiency": proficiency,
            "state": entity.map(|e| e["state"].clone()).unwrap_or(json!("deleted")),
            uri_key: format!("/api/v2/routing/{coll}/{id}"),
            "selfUri": format!("/api/v2/users/{user}/{seg}/{id}"),
        })
    }

    /// The user's assignments, sorted by name.
    pub(crate) fn render_all(&self, st: &Emu, user: &str) -> Vec<Value> {
        let mut items: Vec<Value> = (self.of)(&st.data)
            .get(user)
            .into_iter()
            .flatten()
            .map(|(id, p)| self.render_one(st, user, id, *p))
            .collect();
        sort_by_name(&mut items);
        items
    }

    /// Validate one `{id, proficiency}`: both required, proficiency 0..=5, target must
    /// exist and not be deleted (400 `bad.request`; real code for an unknown id
    /// unconfirmed).
    fn parse_item(&self, st: &Emu, item: &Map<String, Value>) -> Result<(String, f64), ApiError> {
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
        known((self.catalogue)(&st.data), &id, self.word)?;
        Ok((id, p))
    }
}

/// `segs` = `[userId, routingskills|routinglanguages, ...]`.
pub(crate) fn handle(st: &mut Emu, rq: &Rq, segs: &[&str]) -> Result<Reply, ApiError> {
    let user = segs[0];
    let a = if segs[1] == "routingskills" {
        &SKILLS
    } else {
        &LANGUAGES
    };
    if live_user(st, user).is_none() {
        fail!(not_found, "User [{user}] not found");
    }
    match (rq.method.as_str(), &segs[2..]) {
        ("GET", []) => Listing::SORTED_PAGE.reply(rq, a.render_all(st, user), |v| v),
        (m @ ("PATCH" | "PUT"), ["bulk"]) => bulk(st, a, rq, user, m == "PUT"),
        ("POST", []) => {
            let item = schema::check(a.model, rq.body()?)?;
            let (id, p) = a.parse_item(st, &item)?;
            let assigned = (a.of_mut)(&mut st.data)
                .entry(user.to_string())
                .or_default();
            assigned.insert(id.clone(), p);
            Ok(Reply::json(a.render_one(st, user, &id, p)))
        }
        ("DELETE", [id]) => {
            let assigned = (a.of_mut)(&mut st.data).get_mut(user);
            if assigned.and_then(|m| m.remove(*id)).is_none() {
                fail!(
                    not_found,
                    "{} [{id}] is not assigned to user [{user}]",
                    a.word
                );
            }
            Ok(Reply::no_content())
        }
        _ => Err(rq.no_route()),
    }
}

/// `PATCH .../bulk` adds to the user's assignments, `PUT .../bulk` (`replace`) replaces
/// them; the answer lists them all on one page.
fn bulk(
    st: &mut Emu,
    a: &Assignments,
    rq: &Rq,
    user: &str,
    replace: bool,
) -> Result<Reply, ApiError> {
    let items = schema::check_list(a.model, rq.body()?)?;
    if items.len() > MAX_BULK {
        return Err(ApiError::bad_request(format!(
            "At most {MAX_BULK} items may be sent per request; got {}",
            items.len()
        )));
    }
    let parsed = items
        .iter()
        .map(|i| a.parse_item(st, i))
        .collect::<Result<Vec<_>, _>>()?;
    let assigned = (a.of_mut)(&mut st.data)
        .entry(user.to_string())
        .or_default();
    if replace {
        assigned.clear();
    }
    assigned.extend(parsed);
    let items = a.render_all(st, user);
    let size = items.len().max(25);
    let l = paged(
        &rq.path,
        &Default::default(),
        items,
        Page { size, number: 1 },
        true,
        |v| v,
    );
    Ok(Reply::json(l))
}
