//! Everything resource-specific sits behind the [`Kind`] trait; the rest of genseed is
//! kind-agnostic.
//!
//! A kind knows: where its objects sit in the manifest, their natural key, which other
//! objects they reference (which gives the dependency graph), how to list them from
//! the org, how to compare a declared object with an observed one (both as a
//! "view": JSON whose references are natural keys, never IDs), and how to create or
//! update one. [`KINDS`] is the registry: adding a kind means one file here and one
//! line in that list.
//!
//! Sub-resources (a user's skills, a queue's members) are kinds of their own whose
//! declared objects are derived from their parent's manifest entry, so they get their
//! own address, tier and plan line.
//!
//! Kinds do no I/O of their own beyond the [`ApiClient`] handed to them.

mod access_hours;
mod data_action;
mod division;
mod export_view;
mod group;
mod integration;
pub(crate) mod interp;
mod language;
mod queue;
mod queue_links;
mod role;
mod schedule;
mod skill;
mod skill_group;
mod trigger;
mod user;
mod user_roles;
mod user_routing;
mod wrapup_code;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::ApiExt;
use crate::client::{ApiClient, ApiError, Idempotency, Method};
use crate::diag::{Diagnostic, Diagnostics, Location};

/// Locates a field (pointer relative to a declared entry) in its source file.
pub type At<'a> = &'a dyn Fn(&str) -> Option<Location>;

/// The cells of one CSV row, by column name (`""` when empty or absent).
pub type Cells<'r> = dyn Fn(&str) -> &'r str + 'r;

/// Turns one CSV row and its manifest entry into a manifest object; problems are
/// (column, message).
pub type CsvToSpec = for<'r> fn(&Cells<'r>, &Value) -> (Value, Vec<(&'static str, String)>);

/// The CSV column that holds a manifest field, if any.
pub type ColumnOf = fn(&str) -> Option<&'static str>;

/// How one CSV layout declares objects of a kind (`usersFromCsv` for users).
pub struct CsvSource {
    /// The manifest key that lists the CSV files (`usersFromCsv`).
    pub manifest_key: &'static str,
    /// The columns, in order.
    pub columns: &'static [&'static str],
    /// Turn one row (cells by column) and its manifest entry into a manifest object;
    /// problems are returned as (column, message).
    pub to_spec: CsvToSpec,
    /// The column that holds a field (first pointer segment of the entry), if any.
    pub column_of: ColumnOf,
    /// What the manifest key holds (the schema's description).
    pub doc: &'static str,
    /// The JSON Schema of one entry under the manifest key.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}

pub use integration::{SENSITIVE, secret_envs, wait_active};
pub use schemars::{Schema, SchemaGenerator};

/// A boxed future, so that [`Kind`] stays object-safe.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The registry of kinds, in a stable order (the order plans list objects within a tier).
pub static KINDS: &[&dyn Kind] = &[
    &division::Division,
    &skill::Skill,
    &language::Language,
    &wrapup_code::WrapupCode,
    &user::User,
    &user_routing::USER_SKILLS,
    &user_routing::USER_LANGUAGES,
    &queue::Queue,
    &queue_links::QUEUE_WRAPUP_CODES,
    &queue_links::QUEUE_MEMBERS,
    &role::Role,
    &user_roles::UserRoles,
    &skill_group::SkillGroup,
    &schedule::Schedule,
    &schedule::ScheduleGroup,
    &integration::Integration,
    &data_action::DataAction,
    &trigger::Trigger,
    &group::Group,
    &group::GROUP_MEMBERS,
];

pub use access_hours::{check_rrule, parse_local, valid_time_zone};
pub use export_view::{
    cased, exported_division, fit, fit_in_division, is_home_division, register_home_division,
};
pub use role::{BUILTIN_ROLE_IDS, is_builtin as is_builtin_role};
pub use schedule::local_time_view;
pub use user::{valid_e164, valid_email};

/// Find a kind by its name.
pub fn kind(name: &str) -> Option<&'static dyn Kind> {
    KINDS.iter().copied().find(|k| k.name() == name)
}

/// Errors a kind reports while observing or changing the org.
#[derive(Debug, thiserror::Error)]
pub enum KindError {
    /// The API refused or failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Anything else, already phrased for the user.
    #[error("{0}")]
    Other(String),
}

/// The address of a declared object: its kind and natural key, e.g. `queue/Support`.
/// In JSON: `{"address": "queue/Support", "kind": "queue", "key": "Support"}`; the
/// kind must be a registered one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Addr {
    /// Kind name, e.g. `queue`.
    pub kind: &'static str,
    /// Natural key as declared (name, or e-mail for users).
    pub key: String,
}

impl Addr {
    /// A new address.
    pub fn new(kind: &'static str, key: impl Into<String>) -> Self {
        Addr {
            kind,
            key: key.into(),
        }
    }

    /// The key as matched: names case-insensitively, e-mails lower-cased.
    pub fn norm(&self) -> String {
        norm_key(&self.key)
    }

    /// `kind/normalized key`: how state and look-ups index this object.
    pub fn id_key(&self) -> String {
        let mut id = String::with_capacity(self.kind.len() + 1 + self.key.len());
        self.push_id_key(&mut id);
        id
    }

    /// Appends [`Addr::id_key`] to `out` (to look many up with one buffer).
    pub fn push_id_key(&self, out: &mut String) {
        out.push_str(self.kind);
        out.push('/');
        push_norm(out, self.key.trim());
    }
}

#[derive(Serialize, Deserialize)]
struct AddrJson<'a> {
    #[serde(default)]
    address: std::borrow::Cow<'a, str>,
    kind: std::borrow::Cow<'a, str>,
    key: String,
}

impl Serialize for Addr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        AddrJson {
            address: self.to_string().into(),
            kind: self.kind.into(),
            key: self.key.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Addr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let a = AddrJson::deserialize(d)?;
        let k = kind(&a.kind)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown kind `{}`", a.kind)))?;
        Ok(Addr::new(k.name(), a.key))
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.key)
    }
}

/// How natural keys are compared: trimmed and lower-cased.
pub fn norm_key(key: &str) -> String {
    let key = key.trim();
    let mut norm = String::with_capacity(key.len());
    push_norm(&mut norm, key);
    norm
}

/// Appends the lower-cased (already trimmed) `key`; ASCII keys, the usual case, without
/// the Unicode tables.
fn push_norm(out: &mut String, key: &str) {
    if key.is_ascii() {
        let start = out.len();
        out.push_str(key);
        out[start..].make_ascii_lowercase();
    } else {
        out.push_str(&key.to_lowercase());
    }
}

/// Where a declared object came from, to point diagnostics at it.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The manifest or CSV file (shared by every object declared in it).
    pub file: Arc<Path>,
    /// JSON pointer of the object within the manifest (empty for CSV rows).
    pub pointer: String,
    /// 1-based line for CSV rows.
    pub csv_line: Option<usize>,
}

impl Default for Origin {
    /// Declared nowhere (an object built in code, such as a test's).
    fn default() -> Self {
        Origin {
            file: Arc::from(Path::new("")),
            pointer: String::new(),
            csv_line: None,
        }
    }
}

/// A reference from one declared object to another.
#[derive(Debug, Clone)]
pub struct Ref {
    /// The referenced object.
    pub target: Addr,
    /// Pointer (relative to the referring object) of the field that holds the reference.
    pub field: String,
}

/// One object the manifests declare.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Declared {
    /// Kind and key.
    #[serde(flatten)]
    pub addr: Addr,
    /// The manifest object (for sub-resources: the part of the parent they manage).
    /// Shared, not copied, between the loaded manifests and the plan's changes.
    pub spec: Arc<Value>,
    /// Where it was declared (not serialized: a saved plan points at no file).
    #[serde(skip)]
    pub origin: Origin,
}

/// Maps IDs of observed or created objects back to natural keys, and keys to IDs.
/// Shared by observation (views use names) and execution (bodies use IDs).
#[derive(Debug, Default)]
pub struct Resolver {
    ids: RwLock<HashMap<String, String>>,
    names: RwLock<HashMap<(String, String), String>>,
}

impl Resolver {
    /// Record that `addr` has `id` (and `name` is what the org calls it).
    pub fn insert(&self, kind: &str, key: &str, id: &str) {
        self.ids
            .write()
            .expect("resolver lock")
            .insert(format!("{kind}/{}", norm_key(key)), id.to_string());
        self.names
            .write()
            .expect("resolver lock")
            .insert((kind.to_string(), id.to_string()), key.to_string());
    }

    /// The ID of `kind/key`, if known.
    pub fn id(&self, kind: &str, key: &str) -> Option<String> {
        self.ids
            .read()
            .expect("resolver lock")
            .get(&format!("{kind}/{}", norm_key(key)))
            .cloned()
    }

    /// The ID of `kind/key`, or an error naming the missing object.
    pub fn require(&self, kind: &str, key: &str) -> Result<String, KindError> {
        self.id(kind, key)
            .ok_or_else(|| KindError::Other(format!("{kind} `{key}` has no ID yet")))
    }

    /// The natural keys of every known object of `kind` (for suggestions).
    pub fn names_of(&self, kind: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .names
            .read()
            .expect("resolver lock")
            .iter()
            .filter(|((k, _), _)| k == kind)
            .map(|(_, name)| name.clone())
            .collect();
        names.sort();
        names
    }

    /// The natural key of the object of `kind` with `id`, if observed.
    pub fn name(&self, kind: &str, id: &str) -> Option<String> {
        self.names
            .read()
            .expect("resolver lock")
            .get(&(kind.to_string(), id.to_string()))
            .cloned()
    }
    /// The ID of the division named `name`, if known.
    pub(crate) fn division_id(&self, name: &str) -> Option<String> {
        self.id(division::Division.name(), name)
    }

    /// The name of the division with `id`, if observed.
    pub(crate) fn division_name(&self, id: &str) -> Option<String> {
        self.name(division::Division.name(), id)
    }
}

/// What observation found for one kind: objects by normalized natural key.
pub type ObservedMap = BTreeMap<String, Value>;

/// What kinds get while observing and executing.
#[derive(Clone)]
pub struct Ctx {
    /// The API.
    pub client: ApiClient,
    /// IDs and names known so far.
    pub resolver: Arc<Resolver>,
    /// The org's home division.
    pub home_division: Option<String>,
    /// What observation found so far, by kind (parents are observed before their
    /// sub-kinds, which may read fields of the parent's listing).
    pub observed: Arc<RwLock<HashMap<&'static str, ObservedMap>>>,
    /// Secrets named by the manifests, by environment-variable name (read by `settings`).
    pub secrets: Arc<BTreeMap<String, crate::client::Secret>>,
    /// Spacing of queue creates across all workers (`queueCreateIntervalMs`); None: none.
    pub queue_pacing: Option<Arc<crate::client::TokenBucket>>,
}

impl Ctx {
    /// Takes a field out of an observed object of `kind` with natural key `key`, if
    /// listed: for a sub-kind whose observation is that field (a user's skills), so that
    /// a large org's listing is not held twice. The parent's own views must not read it.
    pub fn take_observed_field(&self, kind: &str, key: &str, field: &str) -> Option<Value> {
        self.observed
            .write()
            .expect("observed lock")
            .get_mut(kind)?
            .get_mut(&norm_key(key))?
            .as_object_mut()?
            .remove(field)
    }

    /// A field of an observed object of `kind` with natural key `key`, if listed.
    pub fn observed_field(&self, kind: &str, key: &str, field: &str) -> Option<Value> {
        self.observed
            .read()
            .expect("observed lock")
            .get(kind)?
            .get(&norm_key(key))?
            .get(field)
            .cloned()
    }
}

/// Observed object of a declared one, when the org has it.
pub struct Target<'a> {
    /// The declared object.
    pub declared: &'a Declared,
    /// The observed object (raw API JSON), if it exists.
    pub observed: Option<&'a Value>,
    /// The observed object's view, if it exists.
    pub observed_view: Option<&'a Value>,
}

/// Resource-specific behaviour. See the module docs.
pub trait Kind: Send + Sync {
    /// Short name used in addresses and state (`queue`).
    fn name(&self) -> &'static str;

    /// The manifest's top-level key for this kind, or `None` for sub-resources.
    fn manifest_key(&self) -> Option<&'static str>;

    /// The parent kind of a sub-resource (its objects share the parent's key).
    fn parent(&self) -> Option<&'static str> {
        None
    }

    /// Whether objects of this kind are created and adopted (true) or only changed
    /// additively on an existing parent (false: sub-resources).
    fn is_object(&self) -> bool {
        self.parent().is_none()
    }

    /// The natural key of a manifest entry (for sub-resources: their parent's key).
    fn key_of(&self, spec: &Value) -> String {
        let field = if self.parent().is_some() {
            "parent"
        } else {
            "name"
        };
        spec.get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// The declared object of this sub-resource kind derived from a parent entry. The
    /// fields it manages move out of the parent (see [`derive_sub`]).
    fn derive(&self, _parent: &mut Declared) -> Option<Declared> {
        None
    }

    /// References to other declared objects. Reads the raw entry, not the typed spec:
    /// it runs on entries that failed the schema too, so that one `validate` reports
    /// every problem (semantic checks in [`Kind::check`] do the same). Planning and
    /// API calls work on the typed spec ([`typed`]).
    fn references(&self, spec: &Value) -> Vec<Ref>;

    /// List what the org has (for sub-resources: for the parents that exist), keyed by
    /// normalized natural key. Registers every found object's ID with the resolver.
    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>>;

    /// The managed fields of a declared object, references as natural keys.
    fn desired_view(&self, spec: &Value) -> Value;

    /// The same fields of an observed object, references mapped back to natural keys.
    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value;

    /// Make the org match: create when `target.observed` is `None`, else update.
    /// Returns the object's ID.
    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>>;

    /// The stage of this kind: every object of stage 1 runs after every object of
    /// stage 0 (the integrations tier runs after queues and memberships).
    fn stage(&self) -> u8 {
        0
    }

    /// The group `--only` selects this kind by (besides its name and manifest key).
    fn group(&self) -> &'static str {
        "core"
    }

    /// View fields the API cannot change in place: a difference in one of them (or
    /// below it) plans a replace (delete + create) instead of an update.
    fn replace_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// How plans and messages name objects of this kind (`wrap-up code`,
    /// `members of queue`).
    fn label(&self) -> &'static str {
        self.name()
    }

    /// Pointer (relative to a manifest entry) of the field that holds the natural key.
    fn key_field(&self) -> &'static str {
        "/name"
    }

    /// How natural keys of this kind are compared, for the duplicate-key hint.
    fn key_rule(&self) -> &'static str {
        "names are compared case-insensitively; declare each object once"
    }

    /// Whether a manifest entry may name `*` (all divisions) as its division.
    fn allows_all_divisions(&self) -> bool {
        false
    }

    /// Semantic checks the schema cannot express, on one declared object of this kind.
    /// `at` locates a field (pointer relative to the entry) in its file.
    fn check(&self, _declared: &Declared, _at: At<'_>, _diags: &mut Diagnostics) {}

    /// An extra hint when a reference to an undeclared object of this kind is found
    /// (for roles: the built-in roles that need no declaration).
    fn missing_ref_hint(&self) -> Option<String> {
        None
    }

    /// Whether this kind is listed even when no manifest declares one (divisions:
    /// every view maps division IDs to names).
    fn always_observed(&self) -> bool {
        false
    }

    /// The environment variables a declared object reads its secrets from.
    fn secret_envs(&self, _spec: &Value) -> Vec<String> {
        Vec::new()
    }

    /// View fields that carry secrets: a change to one needs the secrets read.
    fn secret_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// A URL the declared object will make Genesys Cloud call, to probe before apply.
    fn preflight_url(&self, _spec: &Value) -> Option<String> {
        None
    }

    /// The permissions an operation on objects of this kind needs: all of them, each
    /// `a|b` when either suffices (see [`crate::permissions`]). Empty: none.
    fn permissions(&self, _op: crate::permissions::Op) -> &'static [&'static str] {
        &[]
    }

    /// Where those permissions are checked: in the object's division or anywhere.
    fn permission_scope(&self) -> crate::permissions::Scope {
        crate::permissions::Scope::Org
    }

    /// What the manifest's top-level key holds (the schema's description of it).
    fn manifest_doc(&self) -> &'static str {
        ""
    }

    /// The JSON Schema of one manifest entry (its typed spec), for kinds with a
    /// manifest key.
    fn spec_schema(&self, _generator: &mut SchemaGenerator) -> Option<Schema> {
        None
    }

    /// Where `usersFromCsv`-style CSV files declare objects of this kind.
    fn csv_source(&self) -> Option<&'static CsvSource> {
        None
    }

    /// The collection's API path (`/api/v2/routing/skills`), for deletes.
    fn api_path(&self) -> Option<&'static str> {
        None
    }

    /// Whether [`Kind::observe`] reads more than the listing for the declared objects
    /// (an integration's config): `export` then lists once, and observes again with
    /// every listed object declared.
    fn observes_details(&self) -> bool {
        false
    }

    /// Turn an observed object back into a manifest entry: references as natural keys,
    /// no org-generated fields, defaults left out. `None` for objects every org has
    /// (built-in and system objects), which are referenced, never declared. For
    /// sub-resources: the fields of the parent's entry they fill (`{"skills": …}`).
    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let view = self.observed_view(observed, resolver);
        Some(strip_defaults(view))
    }

    /// Delete the object with `id` from the org. Gone already (404) is success.
    fn delete<'a>(&'a self, ctx: &'a Ctx, id: &'a str) -> BoxFut<'a, Result<(), KindError>> {
        Box::pin(async move {
            let Some(path) = self.api_path() else {
                return Err(KindError::Other(format!(
                    "{} objects cannot be deleted through genseed",
                    self.label()
                )));
            };
            delete_path(ctx, &format!("{path}/{id}")).await
        })
    }

    /// For sub-resources (managed sets): whether [`Kind::remove_members`] is
    /// implemented, so that the set can be exclusive (`membersPolicy: exclusive`).
    fn removes_members(&self) -> bool {
        false
    }

    /// For sub-resources (managed sets): the members of the observed set (`observed`, its
    /// view `observed_view`) that `desired_view` does not declare, as the keys the plan
    /// shows and [`Kind::remove_members`] takes. By default the view's keys not declared.
    fn extra_members(
        &self,
        desired_view: &Value,
        observed_view: &Value,
        _observed: &Value,
        _resolver: &Resolver,
    ) -> Vec<String> {
        crate::prune::extra_members(desired_view, observed_view)
    }

    /// For sub-resources (managed sets): remove the members with natural keys `keys`
    /// from the parent `parent_key`. Kinds without members refuse.
    fn remove_members<'a>(
        &'a self,
        _ctx: &'a Ctx,
        parent_key: &'a str,
        _keys: &'a [String],
    ) -> BoxFut<'a, Result<(), KindError>> {
        Box::pin(async move {
            Err(KindError::Other(format!(
                "{} `{parent_key}`: members cannot be removed",
                self.label()
            )))
        })
    }

    /// Replace the observed object: delete it, then create the declared one.
    fn replace<'a>(
        &'a self,
        _ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            Err(KindError::Other(format!(
                "{} cannot be replaced",
                target.declared.addr
            )))
        })
    }
}

/// Whether `selector` (`--only`) names kind `k`: its group, name or manifest key.
pub fn selected_by(k: &dyn Kind, selector: &str) -> bool {
    let s = selector.trim().to_lowercase();
    k.group() == s || k.name() == s || k.manifest_key().is_some_and(|m| m.to_lowercase() == s)
}

/// One difference between a declared and an observed view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// Dotted path of the field (`mediaSettings.call.alertingTimeoutSeconds`).
    pub path: String,
    /// The observed value (`None`: absent).
    pub before: Option<Value>,
    /// The declared value.
    pub after: Value,
}

/// Compare a desired view with an observed one: every field the desired view sets
/// must be equal in the observed view; fields it does not set are not managed.
/// Numbers compare by value (4 == 4.0).
pub fn diff(desired: &Value, observed: &Value) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    diff_into("", desired, Some(observed), &mut out);
    out
}

fn diff_into(path: &str, desired: &Value, observed: Option<&Value>, out: &mut Vec<FieldDiff>) {
    match (desired, observed) {
        (Value::Object(want), Some(Value::Object(have))) => {
            for (k, v) in want {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                // Natural keys used as map keys (a user's skills, a queue's members)
                // match case-insensitively; API field names match exactly first.
                let found = have.get(k).or_else(|| {
                    have.iter()
                        .find(|(hk, _)| norm_key(hk) == norm_key(k))
                        .map(|(_, v)| v)
                });
                diff_into(&p, v, found, out);
            }
        }
        (Value::Object(want), None | Some(Value::Null)) => {
            for (k, v) in want {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                diff_into(&p, v, None, out);
            }
        }
        (want, have) => {
            if !same(want, have.unwrap_or(&Value::Null)) {
                out.push(FieldDiff {
                    path: path.to_string(),
                    before: have.filter(|v| !v.is_null()).cloned(),
                    after: want.clone(),
                });
            }
        }
    }
}

/// Value equality with numbers compared as f64.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Keep only the keys of `obj` named in `keys`.
pub fn pick(obj: &Value, keys: &[&str]) -> Value {
    let mut m = Map::new();
    if let Some(o) = obj.as_object() {
        for k in keys {
            if let Some(v) = o.get(*k).filter(|v| !v.is_null()) {
                m.insert((*k).to_string(), v.clone());
            }
        }
    }
    Value::Object(m)
}

/// The string at `key` of a JSON object.
pub fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The `id` of an API object, or an error naming what was missing.
pub fn id_of(v: &Value, what: &str) -> Result<String, KindError> {
    str_field(v, "id")
        .map(str::to_string)
        .ok_or_else(|| KindError::Other(format!("the API answered {what} without an `id`")))
}

/// `object` with only its top-level `fields` (what a kind reads of a listed object it
/// keeps for the plan), at its exact size: the rest of a large listing is not held in
/// memory.
pub fn keep_fields(mut object: Value, fields: &[&str]) -> Value {
    let Some(map) = object.as_object_mut() else {
        return object;
    };
    let mut kept = serde_json::Map::with_capacity(fields.len().min(map.len()));
    for field in fields {
        if let Some(v) = map.remove(*field) {
            kept.insert((*field).to_string(), compact(v));
        }
    }
    Value::Object(kept)
}

/// `value` with every map and list at its exact size. A parsed response grows its maps
/// as it reads them and keeps the spare room (often as much again); what observation
/// holds of a large org for the whole run is worth rebuilding once.
pub fn compact(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut exact = serde_json::Map::with_capacity(map.len());
            for (k, v) in map {
                exact.insert(k, compact(v));
            }
            Value::Object(exact)
        }
        Value::Array(items) => {
            let mut exact = Vec::with_capacity(items.len());
            exact.extend(items.into_iter().map(compact));
            Value::Array(exact)
        }
        other => other,
    }
}

/// Index listed objects by normalized `name` and register them with the resolver.
/// Objects whose `state` is `deleted` are skipped (they cannot be adopted).
pub fn index_by_name(kind: &str, objects: Vec<Value>, resolver: &Resolver) -> ObservedMap {
    let mut out = ObservedMap::new();
    for o in objects {
        if str_field(&o, "state") == Some("deleted") {
            continue;
        }
        let (Some(name), Some(id)) = (str_field(&o, "name"), str_field(&o, "id")) else {
            continue;
        };
        resolver.insert(kind, name, id);
        let key = norm_key(name);
        out.insert(key, o);
    }
    out
}

/// The declared object of a sub-resource: the parent entry's `field` (when present and
/// not empty) as `items`, keyed and located like the parent: `{parent, items}`.
///
/// The field (and its `{field}Policy`) moves out of the parent's entry rather than being
/// copied: the parent's kind never reads the fields its sub-kinds manage, and a large org
/// would otherwise hold every membership and grant twice. Call it after the checks that
/// read the whole entry.
pub fn derive_sub(kind: &'static str, parent: &mut Declared, field: &str) -> Option<Declared> {
    derive_sub_with(kind, parent, field, None)
}

/// [`derive_sub`], with one more entry in the sub-resource's spec (say, the parent's
/// division, which the items default to).
pub fn derive_sub_with(
    kind: &'static str,
    parent: &mut Declared,
    field: &str,
    extra: Option<(&str, Value)>,
) -> Option<Declared> {
    let empty = match parent.spec.get(field)? {
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => true,
    };
    if empty {
        return None;
    }
    let entry = Arc::make_mut(&mut parent.spec).as_object_mut()?;
    let items = entry.shift_remove(field)?;
    // Its `{field}Policy`, found without building that key: a large org derives a set
    // for nearly every user, and few of them declare a policy.
    let is_policy = |k: &str| k.strip_prefix(field) == Some("Policy");
    let policy = match entry.keys().find(|k| is_policy(k)).cloned() {
        Some(key) => entry.shift_remove(&key),
        None => None,
    };
    let origin = Origin {
        file: Arc::clone(&parent.origin.file),
        pointer: [parent.origin.pointer.as_str(), "/", field].concat(),
        csv_line: parent.origin.csv_line,
    };
    let room = 2 + usize::from(policy.is_some()) + usize::from(extra.is_some());
    let mut spec = serde_json::Map::with_capacity(room);
    spec.insert("parent".to_owned(), Value::String(parent.addr.key.clone()));
    spec.insert("items".to_owned(), items);
    // The set's policy (`membersPolicy: exclusive`), when the entry declares one.
    if let Some(policy) = policy {
        spec.insert(crate::prune::POLICY_FIELD.to_owned(), policy);
    }
    if let Some((key, value)) = extra {
        spec.insert(key.to_owned(), value);
    }
    Some(Declared {
        addr: Addr::new(kind, parent.addr.key.clone()),
        spec: Arc::new(Value::Object(spec)),
        origin,
    })
}

/// The reference every sub-resource has: to its parent object of `parent_kind`.
pub fn parent_ref(parent_kind: &'static str, spec: &Value) -> Ref {
    Ref {
        target: Addr::new(parent_kind, str_field(spec, "parent").unwrap_or_default()),
        field: String::new(),
    }
}

/// The references of a sub-resource whose `items` list natural keys of `target_kind`
/// (a queue's members, a group's members): its parent, then each item at `/{index}`.
/// Reads the raw spec, so a malformed item is skipped, not fatal.
pub fn list_refs(parent_kind: &'static str, target_kind: &'static str, spec: &Value) -> Vec<Ref> {
    let items = spec.get("items").and_then(Value::as_array);
    let mut refs = Vec::with_capacity(1 + items.map_or(0, Vec::len));
    refs.push(parent_ref(parent_kind, spec));
    for (i, item) in items.into_iter().flatten().enumerate() {
        if let Some(key) = item.as_str() {
            refs.push(Ref {
                target: Addr::new(target_kind, key),
                field: format!("/{i}"),
            });
        }
    }
    refs
}

/// The reference to the division a manifest entry names, if any (`*`, all
/// divisions, is not a reference).
pub fn division_ref(division: Option<&str>) -> Vec<Ref> {
    division
        .filter(|d| *d != "*")
        .map(|d| Ref {
            target: Addr::new("division", d),
            field: "/division".into(),
        })
        .into_iter()
        .collect()
}

/// The name of an observed object's division (`division.id`), as the resolver knows
/// it; an unknown ID is shown as is, `*` stays `*`.
pub fn division_name(observed: &Value, resolver: &Resolver) -> Option<String> {
    let id = observed.pointer("/division/id").and_then(Value::as_str)?;
    if id == "*" {
        return Some("*".into());
    }
    Some(
        resolver
            .name("division", id)
            .unwrap_or_else(|| id.to_string()),
    )
}

/// Observe a named collection: list it once and index it by name.
pub fn observe_named<'a>(
    ctx: &'a Ctx,
    kind: &'static str,
    path: &'static str,
    page_size: u32,
) -> BoxFut<'a, Result<ObservedMap, KindError>> {
    observe_named_with(ctx, kind, path, &[], page_size)
}

/// [`observe_named`] with extra query parameters.
pub fn observe_named_with<'a>(
    ctx: &'a Ctx,
    kind: &'static str,
    path: &'static str,
    query: &'a [(&'static str, &'static str)],
    page_size: u32,
) -> BoxFut<'a, Result<ObservedMap, KindError>> {
    Box::pin(async move {
        let query: Vec<(&str, String)> = query.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let all = ctx.client.list_pages(path, &query, page_size).await?;
        Ok(index_by_name(kind, all, &ctx.resolver))
    })
}

/// The `division: {id}` a write sends: the declared division (`*` for all), else
/// the observed one kept as it is; `None` when neither exists (the API decides).
pub fn division_body(
    ctx: &Ctx,
    division: Option<&str>,
    observed: Option<&Value>,
) -> Result<Option<Value>, KindError> {
    Ok(match division {
        Some("*") => Some(serde_json::json!({"id": "*"})),
        Some(d) => Some(serde_json::json!({"id": ctx.resolver.require("division", d)?})),
        None => observed
            .and_then(|o| o.pointer("/division/id"))
            .map(|id| serde_json::json!({"id": id})),
    })
}

/// A string field as declared, else as the org has it (full-replacement writes must
/// not reset what the manifest does not manage).
pub fn declared_or_observed<'a>(
    declared: Option<&'a str>,
    observed: Option<&'a Value>,
    key: &str,
) -> Option<&'a str> {
    declared.or_else(|| observed.and_then(|o| str_field(o, key)))
}

/// The desired view of a typed spec: every field the entry sets, as the manifest
/// names it (absent optional fields are not managed).
pub fn view_of<T: Serialize>(spec: &T) -> Value {
    serde_json::to_value(spec).unwrap_or(Value::Null)
}

/// The schema of `T`, for [`Kind::spec_schema`].
pub fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Option<Schema> {
    Some(generator.subschema_for::<T>())
}

/// Checks every kind's objects get beyond their kind's own [`Kind::check`]: a name, and
/// `*` (all divisions) only where the kind allows it.
pub(crate) fn check_common(k: &dyn Kind, d: &Declared, at: At<'_>, diags: &mut Diagnostics) {
    if !k.allows_all_divisions() && d.spec.get("division").and_then(Value::as_str) == Some("*") {
        let labels: Vec<String> = KINDS
            .iter()
            .filter(|other| other.allows_all_divisions())
            .map(|other| format!("{}s", other.label()))
            .collect();
        diags.push(
            Diagnostic::error(format!("a {} cannot be in all divisions (`*`)", k.label()))
                .at(at("/division"))
                .with_hint(format!(
                    "only {} accept `*`; name a division",
                    labels.join(" and ")
                )),
        );
    }
    if d.addr.key.trim().is_empty() {
        diags.push(Diagnostic::error(format!("{} without a name", k.label())).at(at("")));
    }
}

/// A declared entry as the kind's typed spec. Validation has checked the entry
/// against the schema generated from `T`, so this fails only on a defect, reported
/// with the object's address.
pub fn typed<T: DeserializeOwned>(d: &Declared) -> Result<T, KindError> {
    T::deserialize(&*d.spec)
        .map_err(|e| KindError::Other(format!("{}: unexpected manifest entry: {e}", d.addr)))
}

/// Drop empty strings, empty lists and empty objects from an exported entry
/// (what the manifests leave out rather than write down).
pub fn strip_defaults(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, strip_defaults(v)))
                .filter(|(_, v)| !is_empty_value(v))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_defaults).collect()),
        other => other,
    }
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// `DELETE path`; an object already gone (404) counts as deleted.
pub async fn delete_path(ctx: &Ctx, path: &str) -> Result<(), KindError> {
    match ctx
        .client
        .send(Method::DELETE, path, &[], None, Idempotency::Safe)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A spec value (as the trait's pure hooks receive it) as the kind's typed spec;
/// `None` only for an entry validation would have refused.
pub fn typed_value<T: DeserializeOwned>(spec: &Value) -> Option<T> {
    T::deserialize(spec).ok()
}

/// A sub-resource's spec: the parent's natural key and the part of the parent's entry
/// the sub-kind manages (see [`derive_sub`]).
#[derive(Debug, Clone, Deserialize)]
pub struct SubSpec<T> {
    /// The parent object's natural key.
    pub parent: String,
    /// The managed items (a list of keys, or a map of key → value).
    pub items: T,
}

/// Whether a managed set (a queue's members, a group's members) is exactly what the
/// manifest lists (`exclusive`: others are removed) or at least it (`additive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SetPolicy {
    /// Members the manifest does not list are kept.
    Additive,
    /// Members the manifest does not list are removed.
    Exclusive,
}

/// The largest page size genseed asks for in page-number listings.
pub const PAGE_SIZE: u32 = 500;
/// The largest page size for the smaller collections (divisions, languages, wrap-up codes).
pub const SMALL_PAGE_SIZE: u32 = 100;

/// Create an object by natural key, safely: POST once; when the answer is lost (the
/// server may or may not have committed) or a conflict says it exists, look it up by
/// name and adopt it; only create again when the look-up proves it absent.
pub async fn create_by_name(
    ctx: &Ctx,
    kind: &str,
    path: &str,
    name: &str,
    body: &Value,
) -> Result<String, KindError> {
    const ATTEMPTS: usize = 4;
    let mut last = None;
    for _ in 0..ATTEMPTS {
        match ctx.client.create(path, body).await {
            Ok(created) => return id_of(&created, &format!("POST {path}")),
            Err(e) if e.is_ambiguous() || e.status() == Some(409) => {
                if let Some(found) = find_by_name(ctx, path, name).await? {
                    return id_of(&found, &format!("GET {path}"));
                }
                if e.status() == Some(409) {
                    return Err(KindError::Other(format!(
                        "{kind} `{name}`: the org refused it as a duplicate, but no {kind} of that name is visible: {e}"
                    )));
                }
                last = Some(e);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last
        .map(KindError::from)
        .unwrap_or_else(|| KindError::Other(format!("{kind} `{name}`: could not be created"))))
}

/// Look one object up by name with the collection's `name` filter, comparing the
/// name client-side (server filters are prefix, exact or search terms depending on
/// the collection).
pub async fn find_by_name(ctx: &Ctx, path: &str, name: &str) -> Result<Option<Value>, KindError> {
    let listed = ctx
        .client
        .list_pages(path, &[("name", name.to_string())], SMALL_PAGE_SIZE)
        .await?;
    Ok(listed.into_iter().find(|o| {
        str_field(o, "state") != Some("deleted")
            && str_field(o, "name").map(norm_key) == Some(norm_key(name))
    }))
}

/// Kinds that unit tests elsewhere need for what they are (a division, a queue that
/// references one…), named here so that no code outside `src/kinds/` spells a kind.
#[cfg(test)]
pub(crate) mod for_tests {
    use super::Kind;

    pub(crate) fn division() -> &'static str {
        super::division::Division.name()
    }
    pub(crate) fn skill() -> &'static str {
        super::skill::Skill.name()
    }
    pub(crate) fn queue() -> &'static str {
        super::queue::Queue.name()
    }
    pub(crate) fn trigger() -> &'static str {
        super::trigger::Trigger.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_reports_only_managed_fields() {
        let want =
            json!({"description": "new", "mediaSettings": {"call": {"alertingTimeoutSeconds": 8}}});
        let have = json!({"description": "old", "other": 1, "mediaSettings": {"call": {"alertingTimeoutSeconds": 8.0, "x": 1}}});
        let d = diff(&want, &have);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, "description");
        assert_eq!(d[0].before, Some(json!("old")));
    }

    #[test]
    fn diff_reports_absent_nested_fields() {
        let want = json!({"acwSettings": {"wrapupPrompt": "OPTIONAL"}});
        let d = diff(&want, &json!({}));
        assert_eq!(d[0].path, "acwSettings.wrapupPrompt");
        assert_eq!(d[0].before, None);
    }

    #[test]
    fn map_keys_that_are_natural_keys_match_case_insensitively() {
        let want = json!({"Technical Support": 2, "Billing": 4});
        let have = json!({"technical support": 2, "billing": 3});
        let d = diff(&want, &have);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, "Billing");
        assert_eq!(d[0].before, Some(json!(3)));
    }

    #[test]
    fn registry_names_are_unique_and_parents_exist() {
        let mut names: Vec<_> = KINDS.iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), KINDS.len());
        for k in KINDS {
            if let Some(p) = k.parent() {
                assert!(kind(p).is_some(), "{} has unknown parent {p}", k.name());
                assert!(k.manifest_key().is_none());
            }
        }
    }

    /// The problems [`check_common`] finds in an object of `k` keyed `key` with `spec`.
    fn common_problems(k: &dyn Kind, key: &str, spec: Value) -> Vec<String> {
        let d = Declared {
            addr: Addr::new(k.name(), key),
            spec: Arc::new(spec),
            origin: Origin::default(),
        };
        let mut diags = Diagnostics::default();
        check_common(k, &d, &|_| None, &mut diags);
        diags.iter().map(|p| p.message.clone()).collect()
    }

    #[test]
    fn only_kinds_that_allow_it_may_be_in_all_divisions() {
        let everywhere = json!({"name": "A", "division": "*"});
        let (allowed, refused): (Vec<&dyn Kind>, Vec<&dyn Kind>) =
            KINDS.iter().partition(|k| k.allows_all_divisions());
        assert!(!allowed.is_empty() && !refused.is_empty());
        for k in allowed {
            assert_eq!(
                common_problems(k, "A", everywhere.clone()),
                Vec::<String>::new()
            );
        }
        for k in refused {
            let problems = common_problems(k, "A", everywhere.clone());
            assert_eq!(
                problems,
                [format!("a {} cannot be in all divisions (`*`)", k.label())]
            );
            let named = json!({"name": "A", "division": "Ops"});
            assert!(common_problems(k, "A", named).is_empty());
        }
    }

    #[test]
    fn an_object_needs_a_key_that_is_not_blank() {
        for k in KINDS {
            let problems = common_problems(*k, "  ", json!({}));
            assert_eq!(problems, [format!("{} without a name", k.label())]);
            assert!(common_problems(*k, "A", json!({})).is_empty());
        }
    }

    #[test]
    fn resolver_matches_keys_case_insensitively() {
        let r = Resolver::default();
        r.insert("skill", "Billing", "id-1");
        assert_eq!(r.id("skill", "billing").as_deref(), Some("id-1"));
        assert_eq!(r.name("skill", "id-1").as_deref(), Some("Billing"));
        assert!(r.require("skill", "Sales").is_err());
    }
}
