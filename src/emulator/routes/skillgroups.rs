//! Skill groups (`/api/v2/routing/skillgroups`): cursor listing (`after`/`before`, `name` =
//! case-insensitive prefix), create, get, PATCH (fields sent replace the stored ones), delete.
//! `memberCount` is always 0 (the emulator evaluates no conditions) and `status` `Complete`.

use serde_json::{Map, Value, json};

use crate::emulator::collection::{
    Collection, Divisions, Hooks, Listing, NameFilter, Rules, Update, body_division,
};
use crate::emulator::error::ApiError;
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
        render: |st, _, mut v, listed| {
            if let Some(o) = v.as_object_mut() {
                o.remove("memberDivisions");
                // Listing entities are SkillGroupDefinition: no conditions.
                if listed {
                    o.remove("skillConditions");
                    o.remove("status");
                }
            }
            st.data.expand_division(v)
        },
        ..Hooks::DEFAULT
    },
};

fn build(st: &Emu, b: &Map<String, Value>, old: Option<&Value>) -> Result<Value, ApiError> {
    let Some(old) = old else {
        if !b.contains_key("skillConditions") {
            return Err(ApiError::bad_request(
                "The field 'skillConditions' is required",
            ));
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
    let mut v = old.clone();
    for (k, x) in b {
        v[k] = x.clone();
    }
    if b.contains_key("division") {
        v["division"] = json!({"id": body_division(st, b)?});
    }
    v["dateModified"] = json!(st.now_iso());
    Ok(v)
}
