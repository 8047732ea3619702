//! Routing skills, languages and wrap-up codes (`/api/v2/routing/{skills,languages,
//! wrapupcodes}`). Skills and languages are soft-deleted (read back with `state: deleted`);
//! wrap-up codes are deleted for good.

use serde_json::{Value, json};

use super::{Reply, Rq, duplicate, filter_ids, find, name_taken};
use crate::emulator::error::ApiError;
use crate::emulator::listing::{MAX_PAGE_SIZE, apply_sort_order, listing, page, sort_by_name};
use crate::emulator::schema::{self, opt_str, req_str};
use crate::emulator::store::Emu;
use crate::emulator::util::ieq;

// ------------------------------------------------------------------------- skills

pub fn skills(st: &mut Emu, rq: &Rq, rest: &[&str]) -> Result<Reply, ApiError> {
    match (rq.method.as_str(), rest) {
        ("GET", []) => {
            let p = page(&rq.q, MAX_PAGE_SIZE)?;
            // Listings include soft-deleted skills (`state: deleted`): the TF exporter filters
            // them out of listings, so the real API returns them. Clients must filter.
            let mut items: Vec<Value> = st.data.skills.values().cloned().collect();
            // `name` = prefix ("results that start with this value"); case-insensitive here
            // (case handling unconfirmed).
            if let Some(n) = rq.q.get("name") {
                let n = n.to_lowercase();
                items.retain(|v| {
                    v["name"]
                        .as_str()
                        .is_some_and(|x| x.to_lowercase().starts_with(&n))
                });
            }
            filter_ids(&rq.q, "id", &mut items);
            sort_by_name(&mut items);
            let items = items
                .into_iter()
                .map(|v| st.data.expand_division(v))
                .collect();
            Ok(Reply::json(listing(&rq.path, &rq.q, items, p)))
        }
        ("POST", []) => {
            let b = schema::check("CreateRoutingSkill", rq.body()?)?;
            let name = req_str(&b, "name")?.to_string();
            let div = st.data.resolve_division(opt_str(&b, "divisionId"))?;
            if st.cfg.unique_names && name_taken(&st.data.skills, &name, None, true) {
                return Err(duplicate("skill", &name));
            }
            let id = st.new_id();
            let v = json!({
                "id": id, "name": name, "division": {"id": div}, "dateModified": st.now_iso(),
                "state": "active", "version": "1", "selfUri": format!("/api/v2/routing/skills/{id}"),
            });
            st.data.skills.insert(id.clone(), v.clone());
            st.note_created(&id, rq.now);
            Ok(Reply::json(st.data.expand_division(v)))
        }
        ("GET", [id]) => {
            let v = find(st, &st.data.skills, id, "Skill", rq.now)?.clone();
            Ok(Reply::json(st.data.expand_division(v)))
        }
        ("PATCH", [id]) => {
            let b = schema::check("UpdateSkillDivisionRequest", rq.body()?)?;
            let div = st.data.resolve_division(Some(req_str(&b, "divisionId")?))?;
            let stamp = st.now_iso();
            let v = live(&mut st.data.skills, id, "Skill")?;
            v["division"] = json!({"id": div});
            bump_str_version(v, &stamp);
            let v = v.clone();
            Ok(Reply::json(st.data.expand_division(v)))
        }
        ("DELETE", [id]) => {
            let stamp = st.now_iso();
            let v = live(&mut st.data.skills, id, "Skill")?;
            v["state"] = json!("deleted");
            bump_str_version(v, &stamp);
            Ok(Reply::no_content())
        }
        _ => Err(rq.no_route()),
    }
}

/// A non-deleted entity for writing; deleted or absent → 404.
fn live<'a>(
    map: &'a mut std::collections::BTreeMap<String, Value>,
    id: &str,
    what: &str,
) -> Result<&'a mut Value, ApiError> {
    match map.get_mut(id) {
        Some(v) if v["state"] != "deleted" => Ok(v),
        _ => Err(ApiError::not_found(format!("{what} [{id}] not found"))),
    }
}

fn bump_str_version(v: &mut Value, stamp: &str) {
    let n = v["version"]
        .as_str()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(1);
    v["version"] = json!((n + 1).to_string());
    v["dateModified"] = json!(stamp);
}

// ------------------------------------------------------------------------- languages

pub fn languages(st: &mut Emu, rq: &Rq, rest: &[&str]) -> Result<Reply, ApiError> {
    match (rq.method.as_str(), rest) {
        ("GET", []) => {
            let p = page(&rq.q, MAX_PAGE_SIZE)?;
            // Soft-deleted languages are listed too (see skills).
            let mut items: Vec<Value> = st.data.languages.values().cloned().collect();
            // `name` semantics unconfirmed: exact, case-insensitive.
            if let Some(n) = rq.q.get("name") {
                items.retain(|v| v["name"].as_str().is_some_and(|x| ieq(x, n)));
            }
            filter_ids(&rq.q, "id", &mut items);
            sort_by_name(&mut items);
            apply_sort_order(&rq.q, &mut items)?;
            Ok(Reply::json(listing(&rq.path, &rq.q, items, p)))
        }
        ("POST", []) => {
            let b = schema::check("Language", rq.body()?)?;
            let name = req_str(&b, "name")?.to_string();
            if st.cfg.unique_names && name_taken(&st.data.languages, &name, None, true) {
                return Err(duplicate("language", &name));
            }
            let id = st.new_id();
            let v = json!({
                "id": id, "name": name, "dateModified": st.now_iso(), "state": "active",
                "version": "1", "selfUri": format!("/api/v2/routing/languages/{id}"),
            });
            st.data.languages.insert(id.clone(), v.clone());
            st.note_created(&id, rq.now);
            Ok(Reply::json(v))
        }
        ("GET", [id]) => Ok(Reply::json(
            find(st, &st.data.languages, id, "Language", rq.now)?.clone(),
        )),
        ("DELETE", [id]) => {
            let stamp = st.now_iso();
            let v = live(&mut st.data.languages, id, "Language")?;
            v["state"] = json!("deleted");
            bump_str_version(v, &stamp);
            Ok(Reply::no_content())
        }
        _ => Err(rq.no_route()),
    }
}

// ------------------------------------------------------------------------- wrap-up codes

/// A wrap-up code for reading (division expanded, `*` = all divisions).
pub fn render_wrapup(st: &Emu, v: &Value) -> Value {
    st.data.expand_division(v.clone())
}

fn wrapup_division(st: &Emu, b: &serde_json::Map<String, Value>) -> Result<String, ApiError> {
    match b
        .get("division")
        .and_then(|d| d.get("id"))
        .and_then(Value::as_str)
    {
        // Omitted division ⇒ "*" (all divisions) (TF schema description).
        None | Some("*") => Ok("*".to_string()),
        Some(id) => st.data.resolve_division(Some(id)),
    }
}

pub fn wrapup_codes(st: &mut Emu, rq: &Rq, rest: &[&str]) -> Result<Reply, ApiError> {
    match (rq.method.as_str(), rest) {
        ("GET", []) => {
            let p = page(&rq.q, MAX_PAGE_SIZE)?;
            let mut items: Vec<Value> = st.data.wrapup_codes.values().cloned().collect();
            // `name` semantics unconfirmed: exact, case-insensitive.
            if let Some(n) = rq.q.get("name") {
                items.retain(|v| v["name"].as_str().is_some_and(|x| ieq(x, n)));
            }
            filter_ids(&rq.q, "id", &mut items);
            let divs = rq.q.list("divisionId");
            if !divs.is_empty() {
                items.retain(|v| divs.iter().any(|d| v["division"]["id"] == d.as_str()));
            }
            match rq.q.get("sortBy") {
                None | Some("name") => sort_by_name(&mut items),
                Some("id") => items.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str())),
                Some(v) => {
                    return Err(ApiError::invalid_query(format!(
                        "Value [{v}] is not valid for query parameter [sortBy]"
                    )));
                }
            }
            apply_sort_order(&rq.q, &mut items)?;
            let items = items.iter().map(|v| render_wrapup(st, v)).collect();
            Ok(Reply::json(listing(&rq.path, &rq.q, items, p)))
        }
        ("POST", []) => {
            let b = schema::check("WrapupCodeRequest", rq.body()?)?;
            let name = req_str(&b, "name")?.to_string();
            let div = wrapup_division(st, &b)?;
            if st.cfg.unique_names && name_taken(&st.data.wrapup_codes, &name, None, false) {
                return Err(duplicate("wrap-up code", &name));
            }
            let id = st.new_id();
            let now = st.now_iso();
            let mut v = json!({
                "id": id, "name": name, "division": {"id": div}, "dateCreated": now,
                "dateModified": now, "createdBy": "genseed-emulator", "modifiedBy": "genseed-emulator",
                "selfUri": format!("/api/v2/routing/wrapupcodes/{id}"),
            });
            if let Some(d) = opt_str(&b, "description") {
                v["description"] = json!(d);
            }
            st.data.wrapup_codes.insert(id.clone(), v.clone());
            st.note_created(&id, rq.now);
            Ok(Reply::json(render_wrapup(st, &v)))
        }
        ("GET", [id]) => {
            let v = find(st, &st.data.wrapup_codes, id, "Wrap-up code", rq.now)?.clone();
            Ok(Reply::json(render_wrapup(st, &v)))
        }
        ("PUT", [id]) => {
            let b = schema::check("WrapupCodeRequest", rq.body()?)?;
            if !st.data.wrapup_codes.contains_key(*id) {
                return Err(ApiError::not_found(format!(
                    "Wrap-up code [{id}] not found"
                )));
            }
            let name = req_str(&b, "name")?.to_string();
            let div = wrapup_division(st, &b)?;
            if st.cfg.unique_names && name_taken(&st.data.wrapup_codes, &name, Some(id), false) {
                return Err(duplicate("wrap-up code", &name));
            }
            let stamp = st.now_iso();
            let v = st.data.wrapup_codes.get_mut(*id).expect("checked");
            // Full replacement: an omitted description is cleared.
            v["name"] = json!(name);
            v["division"] = json!({"id": div});
            match opt_str(&b, "description") {
                Some(d) => v["description"] = json!(d),
                None => {
                    v.as_object_mut().expect("object").remove("description");
                }
            }
            v["dateModified"] = json!(stamp);
            let v = v.clone();
            Ok(Reply::json(render_wrapup(st, &v)))
        }
        ("DELETE", [id]) => {
            if st.data.wrapup_codes.remove(*id).is_none() {
                return Err(ApiError::not_found(format!(
                    "Wrap-up code [{id}] not found"
                )));
            }
            for codes in st.data.queue_wrapup_codes.values_mut() {
                codes.retain(|c| c != id);
            }
            Ok(Reply::no_content())
        }
        _ => Err(rq.no_route()),
    }
}
