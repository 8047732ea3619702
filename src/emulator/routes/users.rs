//! Users: `/api/v2/users` (create, list, get, PATCH with optimistic `version`, soft delete,
//! restore via PATCH `state`) and `POST /api/v2/users/search` (+ `GET ...?q64=`), which reads
//! the lagging search index kept in `store::Emu`.

use std::collections::BTreeSet;

use base64::Engine;
use serde_json::{Map, Value, json};

use super::user_routing::{LANGUAGES, SKILLS};
use super::{Reply, Rq, elements, filter_ids, find, known, strs, touch, without};
use crate::emulator::error::{ApiError, fail};
use crate::emulator::listing::{Listing, MAX_PAGE_SIZE, page, sort_by_name};
use crate::emulator::schema::{self, opt_str, req_str};
use crate::emulator::store::Emu;
use crate::emulator::table::remove_where;

/// Which `expand` values were asked for (query `expand=a,b` or a search body list).
fn expands(list: &[String]) -> (bool, bool) {
    let has = |k: &str| list.iter().any(|e| e.eq_ignore_ascii_case(k));
    (has("skills"), has("languages"))
}

/// A stored user for reading: division expanded, optional skills/languages.
pub(crate) fn render(st: &Emu, u: &Value, skills: bool, languages: bool) -> Value {
    let mut v = read_shape(st, u.clone());
    let id = u["id"].as_str().unwrap_or_default();
    if skills {
        v["skills"] = Value::Array(SKILLS.render_all(st, id));
    }
    if languages {
        v["languages"] = Value::Array(LANGUAGES.render_all(st, id));
    }
    v
}

/// A stored user as the API shows it: division expanded; `dateModified` is kept for the
/// org dump only (the SDK's `User` has no such field).
fn read_shape(st: &Emu, u: Value) -> Value {
    without(st.data.expand_division(u), &["dateModified"])
}

fn valid_email(e: &str) -> bool {
    let mut parts = e.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None) if !a.is_empty() && b.contains('.') && !e.contains(' '))
}

/// Whether a user other than `except` (deleted users included) has `email`, compared
/// without case. Reads the candidates of `Emu::emails` and checks each one's current
/// e-mail, so the index may keep entries of e-mails a user no longer has.
fn email_taken(st: &Emu, email: &str, except: Option<&str>) -> bool {
    let e = email.to_lowercase();
    let candidates = st.emails.get(&e).into_iter().flatten();
    candidates
        .filter(|id| except != Some(id.as_str()))
        .any(|id| {
            (st.data.users.get(id))
                .and_then(|u| u["email"].as_str())
                .is_some_and(|x| x.to_lowercase() == e)
        })
}

/// Normalise `addresses`: `display` is the address, else the extension.
fn normalise_addresses(addrs: &Value) -> Value {
    let with_display = |a: &Value| {
        let mut a = a.clone();
        let shown = [&a["address"], &a["extension"]]
            .into_iter()
            .find(|x| x.is_string());
        if let Some(d) = shown.cloned() {
            a["display"] = d;
        }
        a
    };
    Value::Array(elements(addrs).map(with_display).collect())
}

/// `primaryContactInfo`: the PRIMARY e-mail plus the first phone number.
fn primary_contact_info(email: &str, addresses: &Value) -> Value {
    let mut out =
        vec![json!({"address": email, "display": email, "mediaType": "EMAIL", "type": "PRIMARY"})];
    if let Some(p) =
        elements(addresses).find(|a| a["mediaType"] == "PHONE" && a["address"].is_string())
    {
        out.push(json!({"address": p["address"], "display": p["address"], "mediaType": "PHONE", "type": "PRIMARY"}));
    }
    Value::Array(out)
}

pub(crate) fn create(st: &mut Emu, rq: &Rq) -> Result<Reply, ApiError> {
    let b = schema::check("CreateUser", rq.body()?)?;
    let name = req_str(&b, "name")?.to_string();
    let email = req_str(&b, "email")?.trim().to_string();
    if !valid_email(&email) {
        return Err(invalid_email(&email));
    }
    // divisionId is REQ in the swagger, but omitted → home division (TF).
    let div = st.data.resolve_division(opt_str(&b, "divisionId"))?;
    // Duplicate e-mail → 409 general.conflict, also against deleted users (TF).
    if email_taken(st, &email, None) {
        return Err(email_conflict(&email));
    }
    // Omitted state ⇒ inactive: the SDK's CreateUser says "Active if invites are sent,
    // otherwise Inactive", and the emulator sends no invites.
    let state = opt_str(&b, "state").unwrap_or("inactive");
    if state == "deleted" {
        fail!(bad_request, "A user cannot be created in state [deleted]");
    }
    let id = st.new_id();
    let addresses = normalise_addresses(b.get("addresses").unwrap_or(&json!([])));
    let now = st.now_iso();
    let mut u = json!({
        "id": id,
        "name": name,
        "division": {"id": div},
        "chat": {"jabberId": format!("{}@genseed-local.orgspan.com", id.replace('-', ""))},
        "email": email,
        "primaryContactInfo": primary_contact_info(&email, &addresses),
        "addresses": addresses,
        "state": state,
        "username": email,
        "images": [],
        "version": 1,
        "acdAutoAnswer": false,
        "dateModified": now,
        "selfUri": format!("/api/v2/users/{id}"),
    });
    for k in ["title", "department"] {
        if let Some(s) = opt_str(&b, k) {
            u[k] = json!(s);
        }
    }
    // The password is accepted and not stored.
    st.data.users.insert(id.clone(), u.clone());
    st.note_email(&email, &id);
    st.note_created(&id, rq.now);
    st.index_user(&id, None, u.clone(), rq.now);
    Ok(Reply::json(render(st, &u, false, false)))
}

/// How deep the `state=inactive` listing can be paged: a page ending past this many
/// users answers 400, as the real API does (the CX as Code provider stops its export of
/// inactive users there, DEVTOOLING-862).
pub(crate) const MAX_INACTIVE_LISTED: usize = 10_000;

pub(crate) fn list(st: &mut Emu, rq: &Rq) -> Result<Reply, ApiError> {
    let p = page(&rq.q, MAX_PAGE_SIZE)?;
    let state = rq.q.get("state").unwrap_or("active");
    if !["active", "inactive", "deleted", "any"].contains(&state) {
        return Err(ApiError::bad_param("state", state));
    }
    if state == "inactive" && p.number.saturating_mul(p.size) > MAX_INACTIVE_LISTED {
        return Err(ApiError::bad_request(format!(
            "Only the first {MAX_INACTIVE_LISTED} inactive users can be listed"
        )));
    }
    let users = st.data.users.values();
    let mut items: Vec<&Value> = users
        .filter(|u| state == "any" || u["state"] == state)
        .collect();
    filter_ids(&rq.q, "id", &mut items);
    sort_by_name(&mut items);
    let (sk, la) = expands(&rq.q.list("expand"));
    Listing::SORTED_PAGE.reply(rq, items, |u| render(st, u, sk, la))
}

pub(crate) fn get(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    let u = find(st, &st.data.users, id, "User", rq.now)?;
    // A deleted user is only readable with `state=deleted`.
    let want_deleted = rq.q.get("state") == Some("deleted");
    if (u["state"] == "deleted") != want_deleted && rq.q.get("state") != Some("any") {
        return Err(not_found(id));
    }
    let (sk, la) = expands(&rq.q.list("expand"));
    Ok(Reply::json(render(st, u, sk, la)))
}

/// Soft-delete a user: state deleted, back to the home division, out of every queue.
fn soft_delete(st: &mut Emu, id: &str) {
    let home = st.data.home_division();
    let stamp = st.now_iso();
    if let Some(u) = st.data.users.get_mut(id) {
        u["state"] = json!("deleted");
        u["division"] = json!({"id": home});
        touch(u, &stamp);
    }
    // Membership removal on delete is unconfirmed; a restored user must be re-added.
    st.data
        .queue_members
        .change_each(|members| remove_where(members, |m| m.user_id == id));
}

pub(crate) fn delete(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    let before = match st.data.users.get(id) {
        Some(u) if u["state"] != "deleted" => u.clone(),
        // Code from the swagger (`user.not.found.on.delete`); the 404 status is unconfirmed.
        _ => {
            return Err(ApiError::new(
                404,
                "user.not.found.on.delete",
                format!("User [{id}] not found"),
            ));
        }
    };
    soft_delete(st, id);
    let after = st.data.users[id].clone();
    st.index_user(id, Some(before), after, rq.now);
    Ok(Reply::no_content())
}

pub(crate) fn patch(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    let b = schema::check("UpdateUser", rq.body()?)?;
    let Some(version) = b.get("version") else {
        fail!(bad_request, "The field 'version' is required");
    };
    let version = version.as_i64().unwrap_or(-1);
    let before = st
        .data
        .users
        .get(id)
        .cloned()
        .ok_or_else(|| not_found(id))?;
    let new_state = opt_str(&b, "state").map(str::to_string);
    if before["state"] == "deleted" && new_state.is_none() {
        return Err(not_found(id));
    }
    let current = before["version"].as_i64().unwrap_or(1);
    if version != current {
        // 409 (TF also accepts 400 with this message); exact code unconfirmed.
        return Err(ApiError::conflict(format!(
            "The version supplied [{version}] does not match the current version [{current}] of user [{id}]"
        )));
    }
    match new_state {
        Some(state) => change_state(st, &b, id, &state)?,
        None => {
            let u = patched(st, &b, id, &before)?;
            if let Some(email) = u["email"].as_str() {
                st.note_email(email, id);
            }
            st.data.users.insert(id.to_string(), u);
        }
    }
    let after = st.data.users[id].clone();
    st.index_user(id, Some(before), after.clone(), rq.now);
    Ok(Reply::json(render(st, &after, false, false)))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("User [{id}] not found"))
}

/// A PATCH of `state` (restore, deactivate, delete), which may change nothing else.
fn change_state(
    st: &mut Emu,
    b: &Map<String, Value>,
    id: &str,
    state: &str,
) -> Result<(), ApiError> {
    if b.keys().any(|k| k != "state" && k != "version") {
        return Err(ApiError::bad_request(
            "A request that changes 'state' may not change any other field",
        ));
    }
    if state == "deleted" {
        soft_delete(st, id);
    } else {
        let stamp = st.now_iso();
        let u = st.data.users.get_mut(id).expect("exists");
        u["state"] = json!(state);
        touch(u, &stamp);
    }
    Ok(())
}

/// The user `before` with the fields of a PATCH body applied, checked.
fn patched(st: &Emu, b: &Map<String, Value>, id: &str, before: &Value) -> Result<Value, ApiError> {
    let mut u: Map<String, Value> = before.as_object().cloned().unwrap_or_default();
    for (k, v) in b {
        match k.as_str() {
            "version" => {}
            "name" if v.as_str().unwrap_or_default().trim().is_empty() => {
                fail!(bad_request, "The field 'name' may not be empty");
            }
            "email" => {
                let e = v.as_str().unwrap_or_default().trim().to_string();
                if !valid_email(&e) {
                    return Err(invalid_email(&e));
                }
                if email_taken(st, &e, Some(id)) {
                    return Err(email_conflict(&e));
                }
                u.insert("email".into(), json!(e));
                u.insert("username".into(), json!(e));
            }
            "addresses" => {
                u.insert(k.clone(), normalise_addresses(v));
            }
            "manager" => match v.as_str().unwrap_or_default() {
                "" => {
                    u.remove("manager");
                }
                m => {
                    known(&st.data.users, m, "Manager")?;
                    let r = json!({"id": m, "selfUri": format!("/api/v2/users/{m}")});
                    u.insert("manager".into(), r);
                }
            },
            _ => {
                u.insert(k.clone(), v.clone());
            }
        }
    }
    let email = u["email"].as_str().unwrap_or_default().to_string();
    let pci = primary_contact_info(&email, u.get("addresses").unwrap_or(&json!([])));
    u.insert("primaryContactInfo".into(), pci);
    let mut u = Value::Object(u);
    touch(&mut u, &st.now_iso());
    Ok(u)
}

fn invalid_email(e: &str) -> ApiError {
    ApiError::bad_request(format!("The email address [{e}] is not valid"))
}

fn email_conflict(e: &str) -> ApiError {
    ApiError::conflict(format!(
        "A user with the email address [{e}] already exists"
    ))
}

// ------------------------------------------------------------------------- search

/// Maximum `pageSize` of user search (unconfirmed; larger → 400).
pub(crate) const MAX_SEARCH_PAGE_SIZE: i64 = 100;

fn field_value<'a>(u: &'a Value, field: &str) -> Option<&'a Value> {
    field.split('.').try_fold(u, |v, k| v.get(k))
}

/// One search criterion, read once per request.
enum Criterion {
    All,
    Match {
        /// `EXACT`, `STARTS_WITH` or `CONTAINS`.
        ty: String,
        fields: Vec<String>,
        /// Lower case.
        values: Vec<String>,
        not: bool,
    },
}

impl Criterion {
    fn parse(c: &Value) -> Result<Criterion, ApiError> {
        let ty = c["type"].as_str().unwrap_or_default();
        if ty == "MATCH_ALL" {
            return Ok(Criterion::All);
        }
        if !["EXACT", "STARTS_WITH", "CONTAINS"].contains(&ty) {
            return Err(ApiError::bad_request(format!(
                "Search criteria type [{ty}] is not supported by the emulator"
            )));
        }
        if c.get("group").is_some_and(|g| !g.is_null()) {
            return Err(ApiError::bad_request(
                "Grouped search criteria are not supported by the emulator",
            ));
        }
        let fields: Vec<String> = strs(&c["fields"]).map(str::to_string).collect();
        if fields.is_empty() {
            fail!(bad_request, "Search criteria need 'fields'");
        }
        let mut values: Vec<String> = strs(&c["values"]).map(str::to_lowercase).collect();
        values.extend(c["value"].as_str().map(str::to_lowercase));
        if values.is_empty() {
            fail!(bad_request, "Search criteria need 'value' or 'values'");
        }
        Ok(Criterion::Match {
            ty: ty.to_string(),
            fields,
            values,
            not: c["operator"] == "NOT",
        })
    }

    fn matches(&self, u: &Value) -> bool {
        let Criterion::Match {
            ty,
            fields,
            values,
            not,
        } = self
        else {
            return true;
        };
        // Matching is case-insensitive (index analysers; unconfirmed for EXACT).
        let hit = fields.iter().any(|f| {
            let got = match field_value(u, f) {
                Some(Value::String(s)) => s.to_lowercase(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return false,
            };
            values.iter().any(|v| match ty.as_str() {
                "EXACT" => got == *v,
                "STARTS_WITH" => got.starts_with(v.as_str()),
                _ => got.contains(v.as_str()),
            })
        });
        hit != *not
    }
}

fn asks_for_deleted(query: &[Value]) -> bool {
    query.iter().any(|c| {
        strs(&c["fields"]).any(|f| f == "state")
            && (c["value"] == "deleted" || strs(&c["values"]).any(|v| v == "deleted"))
    })
}

/// The search request: the body of a POST, or the base64 `q64` parameter of a GET.
fn search_body(rq: &Rq) -> Result<Value, ApiError> {
    match rq.method.as_str() {
        "POST" => Ok(rq.body()?.clone()),
        "GET" => {
            let q64 =
                rq.q.get("q64")
                    .ok_or_else(|| ApiError::invalid_query("q64 is required"))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(q64)
                .map_err(|_| ApiError::invalid_query("q64 is not valid base64"))?;
            serde_json::from_slice(&bytes)
                .map_err(|_| ApiError::invalid_query("q64 is not a search request"))
        }
        _ => Err(rq.no_route()),
    }
}

/// The users the search index shows now that match every criterion, in their read
/// shape, sorted by `sortBy` (then id) in `sortOrder`.
fn search_hits(st: &Emu, rq: &Rq, b: &Map<String, Value>) -> Result<Vec<Value>, ApiError> {
    let query: Vec<Value> = b
        .get("query")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let with_deleted = asks_for_deleted(&query);
    // The first criterion that does not match (or is not a valid one) decides: a bad
    // criterion is an error once a user reaches it.
    let criteria: Vec<Result<Criterion, ApiError>> = query.iter().map(Criterion::parse).collect();
    let decide = |u: &Value| {
        criteria
            .iter()
            .map(|c| c.as_ref().map(|c| c.matches(u)).map_err(Clone::clone))
            .find(|r| r != &Ok(true))
    };
    // Criteria on fields the read shape leaves as stored are decided on the stored user,
    // and only the users they keep are rendered: a search by e-mail of a large org then
    // copies a few users, not all of them.
    let on_stored = query
        .iter()
        .flat_map(|c| strs(&c["fields"]))
        .all(|f| f != "dateModified" && f.split('.').next() != Some("division"));
    // A search whose first criterion matches e-mails exactly reads only the users the
    // e-mail index names (every e-mail each user has had, so a lagging snapshot's too):
    // any other user fails that criterion. So a look-up by e-mail does not scan a large
    // org whole, as it would not in the real search index.
    let by_email: Option<BTreeSet<&String>> = match criteria.first() {
        Some(Ok(Criterion::Match {
            ty,
            fields,
            values,
            not: false,
        })) if ty == "EXACT" && fields == &["email"] => Some(
            values
                .iter()
                .flat_map(|v| st.emails.get(v).into_iter().flatten())
                .collect(),
        ),
        _ => None,
    };
    let users: Box<dyn Iterator<Item = (&String, &Value)>> = match by_email {
        Some(ids) => Box::new(
            ids.into_iter()
                .filter_map(|id| st.data.users.get(id).map(|u| (id, u))),
        ),
        None => Box::new(st.data.users.iter()),
    };
    let mut hits = Vec::new();
    for (id, live) in users {
        let Some(snap) = st.indexed_user(id, live, rq.now) else {
            continue;
        };
        if snap["state"] == "deleted" && !with_deleted {
            continue;
        }
        let rendered = (!on_stored).then(|| read_shape(st, snap.clone()));
        match decide(rendered.as_ref().unwrap_or(snap)) {
            None => hits.push(rendered.unwrap_or_else(|| read_shape(st, snap.clone()))),
            Some(Err(e)) => return Err(e),
            Some(Ok(_)) => {}
        }
    }
    let sort_by = b.get("sortBy").and_then(Value::as_str).unwrap_or("name");
    hits.sort_by_key(|v| {
        (
            field_value(v, sort_by)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_lowercase(),
            v["id"].as_str().unwrap_or_default().to_string(),
        )
    });
    if b.get("sortOrder").and_then(Value::as_str) == Some("DESC") {
        hits.reverse();
    }
    Ok(hits)
}

pub(crate) fn search(st: &mut Emu, rq: &Rq) -> Result<Reply, ApiError> {
    let body = search_body(rq)?;
    let b = schema::check("UserSearchRequest", &body)?;
    let size = b.get("pageSize").and_then(Value::as_i64).unwrap_or(25);
    let number = b.get("pageNumber").and_then(Value::as_i64).unwrap_or(1);
    if !(1..=MAX_SEARCH_PAGE_SIZE).contains(&size) {
        return Err(ApiError::bad_request(format!(
            "pageSize must be between 1 and {MAX_SEARCH_PAGE_SIZE}"
        )));
    }
    if number < 1 {
        fail!(bad_request, "pageNumber must be at least 1");
    }
    let hits = search_hits(st, rq, &b)?;
    let total = hits.len() as i64;
    let page_count = (total + size - 1) / size;
    let expand: Vec<String> = strs(b.get("expand")).map(str::to_string).collect();
    let (sk, la) = expands(&expand);
    let results: Vec<Value> = hits
        .into_iter()
        .skip(((number - 1) * size) as usize)
        .take(size as usize)
        .map(|u| render(st, &u, sk, la))
        .collect();
    let page_uri = |n: i64| {
        let mut req = body.clone();
        req["pageNumber"] = json!(n);
        let enc = base64::engine::general_purpose::STANDARD.encode(req.to_string());
        format!(
            "/api/v2/users/search?q64={}",
            crate::emulator::util::encode(&enc)
        )
    };
    let mut resp = json!({
        "total": total,
        "pageCount": page_count,
        "pageSize": size,
        "pageNumber": number,
        "currentPage": page_uri(number),
        "types": ["users"],
        "results": results,
    });
    if number < page_count {
        resp["nextPage"] = json!(page_uri(number + 1));
    }
    if number > 1 {
        resp["previousPage"] = json!(page_uri(number - 1));
    }
    Ok(Reply::json(resp))
}
