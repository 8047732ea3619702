//! Skill groups (`/api/v2/routing/skillgroups`): cursor listing (`after`/`before`, `name` =
//! case-insensitive prefix), create, get, PATCH (fields sent replace the stored ones), delete.
//! `memberCount` is always 0 (the emulator evaluates no conditions) and `status` `Complete`.

use serde_json::{Map, Value, json};

use super::{Reply, Rq, known, overlay, strs, without};
use crate::emulator::collection::{
    Collection, Divisions, Hooks, Listing, NameFilter, Rules, Update, body_division,
};
use crate::emulator::error::{ApiError, fail};
use crate::emulator::schema;
use crate::emulator::store::Emu;

/// Maximum page size of the cursor listing (unconfirmed).
pub(crate) const MAX_CURSOR_PAGE_SIZE: usize = 100;

pub(crate) static SKILL_GROUPS: Collection = Collection {
    uri: "/api/v2/routing/skillgroups",
    word: "skill group",
    map: |d| &d.skill_groups,
    map_mut: |d| &mut d.skill_groups,
    rules: Rules {
        create: Some("SkillGroupWithMemberDivisions"),
        update: Update::Patch("SkillGroup"),
        name_on_update: false,
        listing: Listing::Cursor {
            max: MAX_CURSOR_PAGE_SIZE,
            keep: &["name"],
        },
        name_filter: NameFilter::Prefix,
        id_filter: None,
        divisions: Divisions::Unfiltered,
        read_model: "SkillGroup",
        list_model: "SkillGroupEntityListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        build,
        render: |st, _, v, listed| {
            // Listing entities are SkillGroupDefinition: no conditions.
            let listing_only: &[&str] = if listed {
                &["skillConditions", "status"]
            } else {
                &[]
            };
            let v = without(without(v, &["memberDivisions"]), listing_only);
            st.data.expand_division(v)
        },
        extra: |st, rq, rest| match (rq.method.as_str(), rest) {
            ("GET", [id, "members", "divisions"]) => Some(member_divisions(st, id)),
            ("POST", [id, "members", "divisions"]) => Some(change_member_divisions(st, rq, id)),
            _ => None,
        },
        ..Hooks::DEFAULT
    },
};

/// `GET .../{id}/members/divisions` → `SkillGroupMemberDivisionList`. A group created
/// without `memberDivisions` has none here: which agents such a group covers on a real
/// org is unconfirmed (likely only its own division's), so clients must set them.
fn member_divisions(st: &Emu, id: &str) -> Result<Reply, ApiError> {
    let g = (SKILL_GROUPS.map)(&st.data)
        .get(id)
        .ok_or_else(|| SKILL_GROUPS.not_found(id))?;
    let entities: Vec<Value> = strs(&g["memberDivisions"])
        .map(|d| {
            let name = st.data.divisions.get(d).map(|x| x["name"].clone());
            json!({"id": d, "name": name, "selfUri": format!("/api/v2/authorization/divisions/{d}")})
        })
        .collect();
    Ok(Reply::json(json!({"entities": entities})))
}

/// `POST .../{id}/members/divisions` with `SkillGroupMemberDivisions {addDivisionIds,
/// removeDivisionIds}`; unknown divisions → 400. Answers 204 (the SDK returns nothing;
/// the exact status is unconfirmed).
fn change_member_divisions(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    let b = schema::check("SkillGroupMemberDivisions", rq.body()?)?;
    let ids = |k: &str| -> Vec<String> { strs(b.get(k)).map(str::to_string).collect() };
    let (add, remove) = (ids("addDivisionIds"), ids("removeDivisionIds"));
    SKILL_GROUPS.writable(st, id)?;
    for d in &add {
        known(&st.data.divisions, d, "Division")?;
    }
    let g = st.data.skill_groups.get_mut(id).expect("exists");
    let mut have: Vec<String> = strs(&g["memberDivisions"]).map(str::to_string).collect();
    have.retain(|d| !remove.contains(d));
    for d in add {
        if !have.contains(&d) {
            have.push(d);
        }
    }
    g["memberDivisions"] = json!(have);
    Ok(Reply::no_content())
}

fn build(st: &Emu, b: &Map<String, Value>, old: Option<&Value>) -> Result<Value, ApiError> {
    let Some(old) = old else {
        if !b.contains_key("skillConditions") {
            fail!(bad_request, "The field 'skillConditions' is required");
        }
        let now = st.now_iso();
        let mut v = json!({
            "name": b["name"], "division": {"id": body_division(st, b)?}, "memberCount": 0,
            "dateCreated": now, "dateModified": now, "status": "Complete",
            "skillConditions": b["skillConditions"],
        });
        for k in ["description", "memberDivisions"] {
            if let Some(x) = b.get(k) {
                v[k] = x.clone();
            }
        }
        return Ok(v);
    };
    let mut v = overlay(old, b, &[]);
    if b.contains_key("division") {
        v["division"] = json!({"id": body_division(st, b)?});
    }
    v["dateModified"] = json!(st.now_iso());
    Ok(v)
}
