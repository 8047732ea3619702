//! Routing skills, languages and wrap-up codes (`/api/v2/routing/{skills,languages,
//! wrapupcodes}`). Skills and languages are soft-deleted (read back and listed with
//! `state: deleted`: the TF exporter filters them out of listings, so the real API returns
//! them); wrap-up codes are deleted for good.

use serde_json::{Map, Value, json};

use crate::emulator::collection::{
    Collection, Delete, Divisions, Hooks, Listing, NameFilter, Rules, Update, Versioning,
};
use crate::emulator::error::ApiError;
use crate::emulator::schema::{opt_str, req_str};
use crate::emulator::store::Emu;
use crate::emulator::table::remove_where;

pub(crate) static SKILLS: Collection = Collection {
    uri: "/api/v2/routing/skills",
    word: "skill",
    map: |d| &d.skills,
    map_mut: |d| &mut d.skills,
    rules: Rules {
        create: Some("CreateRoutingSkill"),
        // There is no rename: the only update moves the skill to another division.
        update: Update::Patch("UpdateSkillDivisionRequest"),
        name_on_update: false,
        versioning: Versioning::Str,
        delete: Delete::Soft,
        // `name` = prefix ("results that start with this value"); case-insensitive here
        // (case handling unconfirmed).
        name_filter: NameFilter::Prefix,
        divisions: Divisions::Unfiltered,
        read_model: "RoutingSkill",
        list_model: "SkillEntityListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        build: build_skill,
        // A deleted skill is taken off every user (issue 16: "deleting a skill removes it
        // from users").
        deleted: |st, id| {
            st.data
                .user_skills
                .change_each(|skills| skills.remove(id).is_some());
        },
        ..Hooks::DEFAULT
    },
};

fn build_skill(st: &Emu, b: &Map<String, Value>, old: Option<&Value>) -> Result<Value, ApiError> {
    let stamp = st.now_iso();
    match old {
        None => {
            let div = st.data.resolve_division(opt_str(b, "divisionId"))?;
            Ok(
                json!({"name": b["name"], "division": {"id": div}, "dateModified": stamp,
                      "state": "active"}),
            )
        }
        Some(old) => {
            let div = st.data.resolve_division(Some(req_str(b, "divisionId")?))?;
            let mut v = old.clone();
            v["division"] = json!({"id": div});
            v["dateModified"] = json!(stamp);
            Ok(v)
        }
    }
}

pub(crate) static LANGUAGES: Collection = Collection {
    uri: "/api/v2/routing/languages",
    word: "language",
    map: |d| &d.languages,
    map_mut: |d| &mut d.languages,
    rules: Rules {
        create: Some("Language"),
        versioning: Versioning::Str,
        delete: Delete::Soft,
        listing: Listing::SORTED_PAGE,
        // `name` semantics unconfirmed: exact, case-insensitive (the default).
        read_model: "Language",
        list_model: "LanguageEntityListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        build: |st, b, _| {
            Ok(json!({"name": b["name"], "dateModified": st.now_iso(), "state": "active"}))
        },
        // Like skills: a deleted language is taken off every user (unconfirmed).
        deleted: |st, id| {
            st.data
                .user_languages
                .change_each(|languages| languages.remove(id).is_some());
        },
        ..Hooks::DEFAULT
    },
};

pub(crate) static WRAPUP_CODES: Collection = Collection {
    uri: "/api/v2/routing/wrapupcodes",
    word: "wrap-up code",
    map: |d| &d.wrapup_codes,
    map_mut: |d| &mut d.wrapup_codes,
    rules: Rules {
        create: Some("WrapupCodeRequest"),
        // Full replacement: an omitted description is cleared.
        update: Update::Put("WrapupCodeRequest"),
        listing: Listing::SORTED_PAGE,
        // `name` semantics unconfirmed: exact, case-insensitive (the default).
        divisions: Divisions::Filtered,
        read_model: "WrapupCode",
        list_model: "WrapupCodeEntityListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        build: build_wrapup,
        filter: |_, rq, items| match rq.q.get("sortBy") {
            // Sorted by name already.
            None | Some("name") => Ok(()),
            Some("id") => {
                items.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
                Ok(())
            }
            Some(v) => Err(ApiError::bad_param("sortBy", v)),
        },
        deleted: |st, id| {
            st.data
                .queue_wrapup_codes
                .change_each(|codes| remove_where(codes, |c| c == id));
        },
        ..Hooks::DEFAULT
    },
};

fn build_wrapup(st: &Emu, b: &Map<String, Value>, old: Option<&Value>) -> Result<Value, ApiError> {
    // Omitted division ⇒ "*" (all divisions) (TF schema description).
    let div = match b
        .get("division")
        .and_then(|d| d.get("id"))
        .and_then(Value::as_str)
    {
        None | Some("*") => "*".to_string(),
        Some(id) => st.data.resolve_division(Some(id))?,
    };
    let now = st.now_iso();
    let mut v = json!({"name": b["name"], "division": {"id": div}});
    match old {
        None => {
            v["dateCreated"] = json!(now);
            v["dateModified"] = json!(now);
            v["createdBy"] = json!("genseed-emulator");
            v["modifiedBy"] = json!("genseed-emulator");
        }
        Some(old) => {
            for k in ["dateCreated", "createdBy", "modifiedBy"] {
                v[k] = old[k].clone();
            }
            v["dateModified"] = json!(now);
        }
    }
    if let Some(d) = opt_str(b, "description") {
        v["description"] = json!(d);
    }
    Ok(v)
}
