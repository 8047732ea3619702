//! Skill groups (`/api/v2/routing/skillgroups`): cursor listing (`after`/`before`, `name` =
//! case-insensitive prefix), create, get, PATCH (fields sent replace the stored ones), delete.
//! `memberCount` is always 0 (the emulator evaluates no conditions) and `status` `Complete`.

use serde_json::{Map, Value, json};

use super::{Reply, Rq, duplicate, find, name_taken};
use crate::emulator::error::ApiError;
use crate::emulator::listing::{cursor_listing, sort_by_name};
use crate::emulator::schema::{self, req_str};
use crate::emulator::store::Emu;

/// Maximum page size of the cursor listing (unconfirmed).
pub const MAX_CURSOR_PAGE_SIZE: usize = 100;

pub fn handle(st: &mut Emu, rq: &Rq, rest: &[&str]) -> Result<Reply, ApiError> {
    match (rq.method.as_str(), rest) {
        ("GET", []) => list(st, rq),
        ("POST", []) => {
            let b = schema::check("SkillGroupWithMemberDivisions", rq.body()?)?;
            let name = req_str(&b, "name")?.to_string();
            if !b.contains_key("skillConditions") {
                return Err(ApiError::bad_request(
                    "The field 'skillConditions' is required",
                ));
            }
            if st.cfg.unique_names && name_taken(&st.data.skill_groups, &name, None, false) {
                return Err(duplicate("skill group", &name));
            }
            let div = division(st, &b)?;
            let id = st.new_id();
            let now = st.now_iso();
            let mut v = json!({
                "id": id, "name": name, "division": {"id": div}, "memberCount": 0,
                "dateCreated": now, "dateModified": now, "status": "Complete",
                "skillConditions": b["skillConditions"],
                "selfUri": format!("/api/v2/routing/skillgroups/{id}"),
            });
            for k in ["description", "memberDivisions"] {
                if let Some(x) = b.get(k) {
                    v[k] = x.clone();
                }
            }
            st.data.skill_groups.insert(id.clone(), v.clone());
            st.note_created(&id, rq.now);
            Ok(Reply::json(st.data.expand_division(v)))
        }
        ("GET", [id]) => {
            let mut v = find(st, &st.data.skill_groups, id, "Skill group", rq.now)?.clone();
            if let Some(o) = v.as_object_mut() {
                o.remove("memberDivisions");
            }
            Ok(Reply::json(st.data.expand_division(v)))
        }
        ("PATCH", [id]) => {
            let b = schema::check("SkillGroup", rq.body()?)?;
            if !st.data.skill_groups.contains_key(*id) {
                return Err(ApiError::not_found(format!("Skill group [{id}] not found")));
            }
            if let Some(n) = b.get("name").and_then(Value::as_str)
                && st.cfg.unique_names
                && name_taken(&st.data.skill_groups, n, Some(id), false)
            {
                return Err(duplicate("skill group", n));
            }
            let div = if b.contains_key("division") {
                Some(division(st, &b)?)
            } else {
                None
            };
            let stamp = st.now_iso();
            let v = st.data.skill_groups.get_mut(*id).expect("checked");
            for (k, x) in &b {
                if k != "division" {
                    v[k] = x.clone();
                }
            }
            if let Some(d) = div {
                v["division"] = json!({"id": d});
            }
            v["dateModified"] = json!(stamp);
            let mut v = v.clone();
            if let Some(o) = v.as_object_mut() {
                o.remove("memberDivisions");
            }
            Ok(Reply::json(st.data.expand_division(v)))
        }
        ("DELETE", [id]) => {
            if st.data.skill_groups.remove(*id).is_none() {
                return Err(ApiError::not_found(format!("Skill group [{id}] not found")));
            }
            Ok(Reply::no_content())
        }
        _ => Err(rq.no_route()),
    }
}

fn division(st: &Emu, b: &Map<String, Value>) -> Result<String, ApiError> {
    st.data.resolve_division(
        b.get("division")
            .and_then(|d| d.get("id"))
            .and_then(Value::as_str),
    )
}

fn list(st: &mut Emu, rq: &Rq) -> Result<Reply, ApiError> {
    let mut items: Vec<Value> = st.data.skill_groups.values().cloned().collect();
    if let Some(n) = rq.q.get("name") {
        let n = n.to_lowercase();
        items.retain(|v| {
            v["name"]
                .as_str()
                .is_some_and(|x| x.to_lowercase().starts_with(&n))
        });
    }
    sort_by_name(&mut items);
    let entities: Vec<Value> = items
        .into_iter()
        .map(|mut v| {
            // Listing entities are SkillGroupDefinition: no conditions.
            if let Some(o) = v.as_object_mut() {
                o.remove("skillConditions");
                o.remove("memberDivisions");
                o.remove("status");
            }
            st.data.expand_division(v)
        })
        .collect();
    let keep: Vec<(&str, String)> =
        rq.q.get("name")
            .map(|n| ("name", n.to_string()))
            .into_iter()
            .collect();
    let out = cursor_listing(&rq.path, &rq.q, entities, MAX_CURSOR_PAGE_SIZE, &keep)?;
    Ok(Reply::json(out))
}
