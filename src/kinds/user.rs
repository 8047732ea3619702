//! Users (`/api/v2/users`), keyed by e-mail (lower-cased).
//!
//! Observed by listing active and inactive users apart (with `expand=skills,languages`
//! so the skill and language sub-kinds need no extra calls); deleted users are looked
//! for only when a create conflicts. The inactive listing stops at 10,000 users: past
//! it, declared users not yet seen are searched by e-mail. Created with
//! `POST /api/v2/users` (`name, email, divisionId, title, department, addresses`);
//! updated with `PATCH` carrying the current `version` (re-read and retried once on a
//! version conflict). A deleted user is restored (`PATCH {state: active, version}`,
//! alone, as the API requires) and then updated. Moving a user to another division
//! goes through `POST /api/v2/authorization/divisions/{id}/objects/USER`.
//!
//! A create whose answer is lost, or that conflicts (409 `general.conflict`: the
//! e-mail exists, maybe deleted), never creates twice: genseed searches the user by
//! e-mail (including deleted ones) and adopts or restores it.

use super::user_roles::RoleGrantSpec;
use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

use crate::api::ApiExt;
use serde_json::{Map, Value, json};

use super::{
    At, BoxFut, Cells, CsvSource, Ctx, Declared, Kind, KindError, ObservedMap, PAGE_SIZE, Ref,
    Resolver, Schema, SchemaGenerator, Target, division_name, division_ref, id_of, norm_key,
    schema_of, str_field, typed, typed_value,
};
use crate::diag::{Diagnostic, Diagnostics};

/// A user, keyed by e-mail (compared lower-cased).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct UserSpec {
    /// E-mail address; also the user's login name.
    #[schemars(length(min = 3))]
    pub email: String,
    /// Full display name (the API has no first/last name fields).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Division by name; omitted: the org's home division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// `active` (the default) or `inactive`. Always sent on create: the API creates a
    /// user without `state` inactive unless invites are sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<UserState>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Phone numbers (E.164), sent to the API as `addresses`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phones: Option<Vec<PhoneSpec>>,
    /// Routing skills by name with a proficiency from 0 to 5. Additive: skills not
    /// listed here are left alone.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skills: BTreeMap<String, f64>,
    /// Routing languages by name with a proficiency from 0 to 5. Additive.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub languages: BTreeMap<String, f64>,
    /// `exclusive`: skills not listed are removed from the user; `additive` (default,
    /// unless genseed.yaml's `setsPolicy` says otherwise): they are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skills_policy: Option<super::SetPolicy>,
    /// `exclusive`: languages not listed are removed from the user; `additive`: kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages_policy: Option<super::SetPolicy>,
    /// `exclusive`: role grants not listed are removed from the user; `additive`
    /// (default, unless genseed.yaml's `setsPolicy` says otherwise): they are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_policy: Option<super::SetPolicy>,
    /// Roles granted to the user, each in a division. Additive unless `rolesPolicy`
    /// says `exclusive`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleGrantSpec>,
}

/// Whether a user may log in (`User.state`, without `deleted`, which genseed never asks for).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum UserState {
    /// The user can log in.
    #[default]
    Active,
    /// The user exists but cannot log in.
    Inactive,
}

impl UserState {
    /// The API's spelling (`CreateUser.state`, `UpdateUser.state`).
    pub(super) fn api_name(self) -> &'static str {
        match self {
            UserState::Active => "active",
            UserState::Inactive => "inactive",
        }
    }
}

/// A phone number of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PhoneSpec {
    /// The number in E.164 form, e.g. `+12025550101`.
    pub number: String,
    /// Kind of number (the API's Contact `type`).
    #[serde(default, rename = "type")]
    pub kind: PhoneType,
}

/// Contact types the API accepts for a phone (written in lower case here).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum PhoneType {
    /// WORK
    #[default]
    Work,
    /// WORK2
    Work2,
    /// WORK3
    Work3,
    /// WORK4
    Work4,
    /// HOME
    Home,
    /// MOBILE
    Mobile,
    /// MAIN
    Main,
    /// OTHER
    Other,
}

impl PhoneType {
    /// The API's spelling (`Contact.type`).
    pub(super) fn api_name(self) -> &'static str {
        match self {
            PhoneType::Work => "WORK",
            PhoneType::Work2 => "WORK2",
            PhoneType::Work3 => "WORK3",
            PhoneType::Work4 => "WORK4",
            PhoneType::Home => "HOME",
            PhoneType::Mobile => "MOBILE",
            PhoneType::Main => "MAIN",
            PhoneType::Other => "OTHER",
        }
    }
}

/// A CSV file of users, relative to the seed file that names it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct UsersFromCsv {
    /// Path of the CSV file, relative to the folder of the manifest that names it.
    /// Header row required; columns `first_name,last_name,email,phone_number,division`.
    #[schemars(length(min = 1))]
    pub file: String,
    /// Division for rows whose `division` cell is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Title given to every user of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Department given to every user of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
}

const PATH: &str = "/api/v2/users";

/// See the module docs.
pub(super) struct User;

/// `usersFromCsv`: CSV files of users, one row each.
static USERS_FROM_CSV: CsvSource = CsvSource {
    manifest_key: "usersFromCsv",
    columns: &[
        "first_name",
        "last_name",
        "email",
        "phone_number",
        "division",
    ],
    to_spec: csv_row,
    column_of: |field| match field {
        "email" => Some("email"),
        "phones" => Some("phone_number"),
        "division" => Some("division"),
        "name" => Some("first_name"),
        _ => None,
    },
    doc: "Users read from CSV files (columns `first_name,last_name,email,phone_number,division`).",
    schema: |generator| generator.subschema_for::<UsersFromCsv>(),
};

/// One CSV row and its `usersFromCsv` entry (defaults for division, title,
/// department) → a user entry.
fn csv_row(cell: &Cells<'_>, entry: &Value) -> (Value, Vec<(&'static str, String)>) {
    let mut problems = Vec::new();
    let name = format!("{} {}", cell("first_name"), cell("last_name"))
        .trim()
        .to_string();
    if name.is_empty() {
        problems.push((
            "first_name",
            "the user has no name: both first_name and last_name are empty".to_string(),
        ));
    }
    let mut spec = json!({"email": cell("email"), "name": name});
    let division = Some(cell("division"))
        .filter(|d| !d.is_empty())
        .or_else(|| str_field(entry, "division"));
    if let Some(d) = division {
        spec["division"] = json!(d);
    }
    for k in ["title", "department"] {
        if let Some(v) = str_field(entry, k) {
            spec[k] = json!(v);
        }
    }
    if !cell("phone_number").is_empty() {
        spec["phones"] = json!([{"number": cell("phone_number"), "type": "work"}]);
    }
    (spec, problems)
}

/// E-mail syntax, E.164 phones, proficiencies 0–5.
fn check_user(d: &Declared, at: At<'_>, diags: &mut Diagnostics) {
    if !valid_email(&d.addr.key) {
        diags.push(
            Diagnostic::error(format!("`{}` is not a valid e-mail address", d.addr.key))
                .at(at("/email"))
                .with_hint("users are keyed by e-mail, e.g. jane.doe@example.com"),
        );
    }
    for (i, phone) in d
        .spec
        .get("phones")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let number = str_field(phone, "number").unwrap_or_default();
        if !valid_e164(number) {
            diags.push(
                Diagnostic::error(format!("phone `{number}` is not in E.164 form"))
                    .at(at(&format!("/phones/{i}/number")))
                    .with_hint("write + country code and number without spaces, e.g. +12025550101"),
            );
        }
    }
    for field in ["skills", "languages"] {
        for (name, p) in d
            .spec
            .get(field)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let ok = p.as_f64().is_some_and(|p| (0.0..=5.0).contains(&p));
            if !ok {
                let pointer = crate::manifest::pointer::push(&["/", field].concat(), name);
                diags.push(
                    Diagnostic::error(format!("proficiency {p} of `{name}` is outside 0–5"))
                        .at(at(&pointer))
                        .with_hint("proficiency is a number from 0 to 5"),
                );
            }
        }
    }
}

/// A pragmatic e-mail check: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// E.164: `+`, a non-zero digit, then 1 to 14 more digits.
pub fn valid_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

impl Kind for User {
    /// From the CX as Code provider's docs (genesys-api.md §17); not in the SDK operation
    /// docs. Moving a user to another division (`.../objects/USER`) needs no permission of
    /// its own (SDK operation docs).
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["directory:user:add"],
            Op::Update => &["directory:user:edit"],
            Op::Delete => &["directory:user:delete"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Division
    }
    fn name(&self) -> &'static str {
        "user"
    }

    fn manifest_doc(&self) -> &'static str {
        "Users, by e-mail."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<UserSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(PATH)
    }

    /// Soft delete (`DELETE /api/v2/users/{id}`), after taking the user out of every
    /// queue: whether the API drops a deleted user's queue memberships is unconfirmed,
    /// so genseed does not rely on it.
    fn delete<'a>(&'a self, ctx: &'a Ctx, id: &'a str) -> BoxFut<'a, Result<(), KindError>> {
        Box::pin(async move {
            super::queue_links::remove_user_from_every_queue(ctx, id).await?;
            super::delete_path(ctx, &format!("{PATH}/{id}")).await
        })
    }

    fn key_field(&self) -> &'static str {
        "/email"
    }

    fn key_rule(&self) -> &'static str {
        "e-mail addresses are compared lower-cased; declare each user once"
    }

    fn check(&self, d: &Declared, at: At<'_>, diags: &mut Diagnostics) {
        check_user(d, at, diags);
    }

    fn csv_source(&self) -> Option<&'static CsvSource> {
        Some(&USERS_FROM_CSV)
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("users")
    }

    fn key_of(&self, spec: &Value) -> String {
        str_field(spec, "email").unwrap_or_default().to_string()
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        division_ref(str_field(spec, "division"))
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        Box::pin(async move {
            let active = list_state(ctx, "active").await?;
            let inactive = list_state(ctx, "inactive").await?;
            let complete = active.complete && inactive.complete;
            let mut found = active.users;
            found.extend(inactive.users);
            let mut out = ObservedMap::new();
            for u in found {
                let (Some(email), Some(id)) = (str_field(&u, "email"), str_field(&u, "id")) else {
                    continue;
                };
                ctx.resolver.insert(self.name(), email, id);
                out.insert(norm_key(email), u);
            }
            if !complete {
                let missing: Vec<&str> = declared
                    .iter()
                    .map(|d| d.addr.key.as_str())
                    .filter(|e| !out.contains_key(&norm_key(e)))
                    .collect();
                for u in search_unlisted(ctx, &missing).await? {
                    if let (Some(email), Some(id)) = (str_field(&u, "email"), str_field(&u, "id")) {
                        ctx.resolver.insert(self.name(), email, id);
                        out.insert(norm_key(email), u);
                    }
                }
            }
            Ok(out)
        })
    }

    fn desired_view(&self, spec: &Value) -> Value {
        typed_value::<UserSpec>(spec).map_or(Value::Null, |s| desired_view(&s))
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        if str_field(observed, "state") == Some("deleted") {
            return None;
        }
        let mut view = self.observed_view(observed, resolver);
        view["email"] = observed.get("email").cloned().unwrap_or(Value::Null);
        Some(super::fit_in_division::<UserSpec>(view, observed, resolver))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        let division = division_name(observed, resolver);
        let phones: Vec<Value> = observed
            .get("addresses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|a| str_field(a, "mediaType") == Some("PHONE"))
            .map(|a| {
                json!({
                    "number": a.get("address").cloned().unwrap_or(Value::Null),
                    "type": str_field(a, "type").unwrap_or("WORK").to_lowercase(),
                })
            })
            .collect();
        json!({
            "name": observed.get("name"),
            "division": division,
            "title": observed.get("title"),
            "department": observed.get("department"),
            "phones": phones,
            "state": observed.get("state"),
            "deleted": str_field(observed, "state") == Some("deleted"),
        })
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec: UserSpec = typed(target.declared)?;
            let spec = &spec;
            let email = target.declared.addr.key.as_str();
            let division = match spec.division.as_deref() {
                Some(d) => Some(ctx.resolver.require("division", d)?),
                None => ctx.home_division.clone(),
            };
            let existing = match target.observed {
                Some(o) => o.clone(),
                None => match create(ctx, spec, email, division.as_deref()).await? {
                    Created::New(id) => return Ok(id),
                    Created::Existing(found) => found,
                },
            };
            update(ctx, spec, &existing, division.as_deref()).await
        })
    }
}

/// The users of one state, and whether that is all of them.
struct Listed {
    users: Vec<Value>,
    complete: bool,
}

/// How many users of a state the listing can reach: the `state=inactive` listing
/// answers 400 past 10,000 results (the CX as Code provider meets this in its export,
/// DEVTOOLING-862, and stops there). genseed assumes the same cap for `active`, where
/// it is unconfirmed but harmless (it only stops early and falls back to a search).
const LISTABLE: u32 = 10_000;

/// `GET /api/v2/users?state=…&expand=skills,languages`, page by page, never asking for a
/// page past [`LISTABLE`]. Active and inactive are listed apart, as the provider does:
/// `state=any` would also walk every deleted user an org ever had. A 400 past the first
/// page is taken as the cap, reached earlier than expected.
async fn list_state(ctx: &Ctx, state: &str) -> Result<Listed, KindError> {
    let mut users = Vec::new();
    let last_page = LISTABLE / PAGE_SIZE;
    for page in 1..=last_page {
        let query = [
            ("state", state.to_string()),
            ("expand", "skills,languages".to_string()),
            ("pageSize", PAGE_SIZE.to_string()),
            ("pageNumber", page.to_string()),
        ];
        let mut body = match ctx.client.get(PATH, &query).await {
            Ok(b) => b,
            Err(e) if page > 1 && e.status() == Some(400) => {
                return Ok(Listed {
                    users,
                    complete: false,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let items = match body.get_mut("entities").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let full = items.len() == PAGE_SIZE as usize;
        users.extend(items.into_iter().map(lean_user));
        let page_count = body.get("pageCount").and_then(Value::as_u64);
        if !full || page_count.is_some_and(|n| u64::from(page) >= n) {
            return Ok(Listed {
                users,
                complete: true,
            });
        }
    }
    Ok(Listed {
        users,
        complete: false,
    })
}

/// What is kept of a listed user: the fields its views, its update and its routing
/// sub-kinds read (the rest of a large org's listing is not held in memory).
const KEPT_USER_FIELDS: &[&str] = &[
    "id",
    "name",
    "email",
    "division",
    "title",
    "department",
    "addresses",
    "state",
    "version",
    "skills",
    "languages",
];

/// A listed user with only [`KEPT_USER_FIELDS`]: its division as its `id`, its skills
/// and languages as `id`, `name`, `proficiency` and `state`.
fn lean_user(user: Value) -> Value {
    let mut user = super::keep_fields(user, KEPT_USER_FIELDS);
    let Some(map) = user.as_object_mut() else {
        return user;
    };
    if let Some(division) = map.get_mut("division") {
        *division = super::keep_fields(division.take(), &["id"]);
    }
    for list in ["skills", "languages"] {
        if let Some(Value::Array(items)) = map.get_mut(list) {
            for item in items.iter_mut() {
                *item = super::keep_fields(item.take(), &["id", "name", "proficiency", "state"]);
            }
        }
    }
    user
}

/// Declared users the listings could not reach (an org with more users of a state than
/// the listing shows), searched by e-mail, 100 at a time (active and inactive: the
/// search leaves deleted users out unless asked); each kept as [`lean_user`] keeps a
/// listed one.
async fn search_unlisted(ctx: &Ctx, emails: &[&str]) -> Result<Vec<Value>, KindError> {
    let mut out = Vec::new();
    for chunk in emails.chunks(super::SMALL_PAGE_SIZE as usize) {
        let body = json!({
            "pageSize": super::SMALL_PAGE_SIZE,
            "pageNumber": 1,
            "expand": ["skills", "languages"],
            "query": [
                {"type": "EXACT", "fields": ["email"], "values": chunk},
            ],
        });
        let mut found = ctx.client.post_safe("/api/v2/users/search", &body).await?;
        // Kept as lean as a listed user: most users of a large org are found here.
        if let Some(Value::Array(results)) = found.get_mut("results").map(Value::take) {
            out.extend(results.into_iter().map(lean_user));
        }
    }
    Ok(out)
}

enum Created {
    New(String),
    Existing(Value),
}

fn addresses(spec: &UserSpec) -> Option<Value> {
    let phones = spec.phones.as_ref()?;
    Some(Value::Array(
        phones
            .iter()
            .map(|p| json!({"address": p.number, "mediaType": "PHONE", "type": p.kind.api_name()}))
            .collect(),
    ))
}

/// The managed fields of a declared user: name, division, title, department, phones
/// (type defaulted to work), and that it is not deleted.
fn desired_view(spec: &UserSpec) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(spec.name));
    for (k, v) in [
        ("division", &spec.division),
        ("title", &spec.title),
        ("department", &spec.department),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    }
    if let Some(phones) = &spec.phones {
        let list: Vec<Value> = phones
            .iter()
            .map(|p| json!({"number": p.number, "type": p.kind}))
            .collect();
        m.insert("phones".into(), Value::Array(list));
    }
    m.insert(
        "state".into(),
        json!(spec.state.unwrap_or_default().api_name()),
    );
    m.insert("deleted".into(), json!(false));
    Value::Object(m)
}

/// POST the user; on a lost answer or a conflict, find the existing user instead.
async fn create(
    ctx: &Ctx,
    spec: &UserSpec,
    email: &str,
    division: Option<&str>,
) -> Result<Created, KindError> {
    // `state` is always sent: without it the API creates the user inactive unless
    // invites are sent (SDK CreateUser.state; the CX as Code provider always sends it).
    let mut body = json!({"name": spec.name, "email": email,
        "state": spec.state.unwrap_or_default().api_name()});
    if let Some(d) = division {
        body["divisionId"] = json!(d);
    }
    for (k, v) in [("title", &spec.title), ("department", &spec.department)] {
        if let Some(v) = v {
            body[k] = json!(v);
        }
    }
    if let Some(a) = addresses(spec) {
        body["addresses"] = a;
    }
    // A lost answer (5xx, timeout) may or may not have committed. Look once; if the
    // user is not visible, POST again: a committed earlier attempt now answers 409,
    // which means "it exists" for sure, and the search is then given time to catch up.
    const ATTEMPTS: usize = 5;
    let mut last = None;
    for _ in 0..ATTEMPTS {
        match ctx.client.create(PATH, &body).await {
            Ok(created) => return Ok(Created::New(id_of(&created, "POST /api/v2/users")?)),
            Err(e) if e.status() == Some(409) => {
                return match find_by_email(ctx, email, Duration::from_secs(60)).await? {
                    Some(found) => Ok(Created::Existing(found)),
                    None => Err(KindError::Other(format!(
                        "user `{email}`: the org says the e-mail is taken but no user with it was found within 60 s: {e}"
                    ))),
                };
            }
            Err(e) if e.is_ambiguous() => {
                if let Some(found) = find_by_email(ctx, email, Duration::ZERO).await? {
                    return Ok(Created::Existing(found));
                }
                last = Some(e);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(KindError::Other(format!(
        "user `{email}`: {ATTEMPTS} creates ended without an answer ({}); run apply again to converge",
        last.map(|e| e.to_string()).unwrap_or_default()
    )))
}

/// Search a user by e-mail, active or deleted, retrying while the index catches up.
pub(super) async fn find_by_email(
    ctx: &Ctx,
    email: &str,
    patience: Duration,
) -> Result<Option<Value>, KindError> {
    let started = tokio::time::Instant::now();
    loop {
        for state in [None, Some("deleted")] {
            let mut query = vec![json!({"type": "EXACT", "fields": ["email"], "value": email})];
            if let Some(s) = state {
                query.push(json!({"type": "EXACT", "fields": ["state"], "values": [s]}));
            }
            let body = json!({"pageSize": 25, "pageNumber": 1, "query": query});
            let found = ctx.client.post_safe("/api/v2/users/search", &body).await?;
            let hit = found
                .get("results")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|u| str_field(u, "email").map(norm_key) == Some(norm_key(email)));
            if let Some(u) = hit {
                // Search results may be stale: read the user itself for its version.
                let id = id_of(u, "a user search result")?;
                let state = if str_field(u, "state") == Some("deleted") {
                    "deleted"
                } else {
                    "active"
                };
                let fresh = ctx
                    .client
                    .get_existing(&format!("{PATH}/{id}"), &[("state", state.to_string())])
                    .await?;
                return Ok(Some(fresh));
            }
        }
        if started.elapsed() >= patience {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn version_of(user: &Value) -> Value {
    // Search results may carry the version as a string; the API wants an integer.
    match user.get("version") {
        Some(Value::String(s)) => s.parse::<i64>().map(Value::from).unwrap_or(json!(s)),
        Some(v) => v.clone(),
        None => json!(1),
    }
}

/// Bring an existing user in line: restore, move division, then PATCH the fields.
async fn update(
    ctx: &Ctx,
    spec: &UserSpec,
    existing: &Value,
    division: Option<&str>,
) -> Result<String, KindError> {
    let id = id_of(existing, "a user")?;
    let path = format!("{PATH}/{id}");
    let mut current = existing.clone();
    if str_field(&current, "state") == Some("deleted") {
        let body = json!({"state": "active", "version": version_of(&current)});
        ctx.client.patch(&path, &body).await?;
        current = ctx.client.get_existing(&path, &[]).await?;
    }
    // A change of state must be a PATCH of its own (with the version), like a restore.
    let state = spec.state.unwrap_or_default().api_name();
    if str_field(&current, "state") != Some(state) {
        let body = json!({"state": state, "version": version_of(&current)});
        ctx.client.patch(&path, &body).await?;
        current = ctx.client.get_existing(&path, &[]).await?;
    }
    if let Some(d) = division
        && current.pointer("/division/id").and_then(Value::as_str) != Some(d)
    {
        ctx.client
            .post_safe(
                &format!("/api/v2/authorization/divisions/{d}/objects/USER"),
                &json!([id]),
            )
            .await?;
    }
    let mut fields = Map::new();
    for (k, v) in [
        ("name", Some(&spec.name)),
        ("title", spec.title.as_ref()),
        ("department", spec.department.as_ref()),
    ] {
        if let Some(v) = v
            && str_field(&current, k) != Some(v.as_str())
        {
            fields.insert(k.into(), json!(v));
        }
    }
    if let Some(a) = addresses(spec) {
        let have = User.observed_view(&current, &ctx.resolver)["phones"].clone();
        let want = desired_view(spec)["phones"].clone();
        if !super::same(&have, &want) {
            fields.insert("addresses".into(), a);
        }
    }
    if fields.is_empty() {
        return Ok(id);
    }
    for attempt in 0..3 {
        let mut body = Value::Object(fields.clone());
        body["version"] = version_of(&current);
        match ctx.client.patch(&path, &body).await {
            Ok(_) => return Ok(id),
            Err(e) if e.is_version_mismatch() && attempt < 2 => {
                current = ctx.client.get_existing(&path, &[]).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the loop returns on its last attempt")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{Addr, Origin};

    #[test]
    fn e164() {
        assert!(valid_e164("+12025550101"));
        assert!(!valid_e164("12025550101"));
        assert!(!valid_e164("+1 202 555"));
        assert!(!valid_e164("+0123"));
        assert!(!valid_e164("+1234567890123456"));
    }

    #[test]
    fn email() {
        assert!(valid_email("seed.agent.one@example.com"));
        assert!(!valid_email("no-at-sign"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a b@example.com"));
        assert!(!valid_email("@example.com"));
    }

    #[test]
    fn check_reports_every_problem_at_its_field() {
        let d = Declared {
            addr: Addr::new("user", "not-an-email"),
            spec: std::sync::Arc::new(json!({"email": "not-an-email", "name": "X",
                "phones": [{"number": "555"}], "skills": {"Billing": 7}})),
            origin: Origin::default(),
        };
        let mut diags = Diagnostics::new();
        let seen = std::sync::Mutex::new(Vec::new());
        let at = |p: &str| {
            seen.lock().unwrap().push(p.to_string());
            None
        };
        User.check(&d, &at, &mut diags);
        assert_eq!(diags.0.len(), 3);
        assert_eq!(
            *seen.lock().unwrap(),
            ["/email", "/phones/0/number", "/skills/Billing"]
        );
    }

    #[test]
    fn csv_rows_take_defaults_from_their_entry() {
        let cells = |c: &str| match c {
            "first_name" => "Ada",
            "email" => "ada@example.com",
            "phone_number" => "+12025550101",
            _ => "",
        };
        let (spec, problems) = csv_row(&cells, &json!({"division": "D", "title": "Agent"}));
        assert!(problems.is_empty());
        assert_eq!(
            spec,
            json!({"email": "ada@example.com", "name": "Ada", "division": "D", "title": "Agent",
                "phones": [{"number": "+12025550101", "type": "work"}]})
        );
        let (_, problems) = csv_row(&|_: &str| "", &json!({}));
        assert_eq!(problems[0].0, "first_name");
    }
}
