//! The table-driven part of the emulator: one [`Collection`] descriptor per collection
//! (path, natural key, request models, update verb, version style, delete style, listing
//! shape, name filter, division handling) and the generic handlers that serve it: list,
//! get, create, update, delete. What really differs per collection is a hook
//! ([`Hooks`]): the stored shape of a created or updated entity, its read shape, delete
//! rules and cascades, extra list filters and sub-resources. Collections are declared in
//! `routes/*`, listed in `routes::COLLECTIONS`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::error::ApiError;
pub(super) use super::listing::Listing;
use super::listing::sort_by_name;
use super::routes::{Reply, Rq, duplicate, filter_ids, find, name_taken};
use super::schema::{self, req_str};
use super::store::{Emu, OrgData};
use super::table::Table;
use super::util::{capitalized, ieq};

/// How an entity is changed after creation.
#[derive(Debug, Clone, Copy)]
pub(super) enum Update {
    /// No update endpoint.
    None,
    /// `PUT /{id}` with this model.
    Put(&'static str),
    /// `PATCH /{id}` with this model.
    Patch(&'static str),
}

/// The entity's `version` and what an update must send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Versioning {
    /// No version field.
    None,
    /// A string counter (`"1"`, `"2"`…) bumped by every change; never checked.
    Str,
    /// An int counter bumped by every change; an update sending another value gets 409.
    /// `required`: an update without `version` gets 400.
    Int { required: bool },
}

/// What `DELETE /{id}` does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Delete {
    /// No delete endpoint.
    None,
    /// Removed for good.
    Hard,
    /// `state: deleted`: still readable and listed, no longer writable (404).
    Soft,
}

/// What the list's `name` parameter means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum NameFilter {
    /// Not supported (ignored).
    None,
    /// Exact, case-insensitive.
    Exact,
    /// Case-insensitive prefix.
    Prefix,
    /// Exact (case-insensitive) unless a leading and/or trailing `*` makes it a suffix,
    /// prefix or substring match.
    Wildcard,
}

impl NameFilter {
    /// Does an entity named `name` pass the filter `n` (lower case)?
    fn keeps(self, name: Option<&str>, n: &str) -> bool {
        let lower = || name.unwrap_or_default().to_lowercase();
        match self {
            NameFilter::None => true,
            NameFilter::Exact => name.is_some_and(|x| ieq(x, n)),
            NameFilter::Prefix => name.is_some_and(|x| x.to_lowercase().starts_with(n)),
            NameFilter::Wildcard => {
                let core = n.trim_matches('*');
                match (n.starts_with('*'), n.ends_with('*') && n.len() > 1) {
                    (true, true) => lower().contains(core),
                    (true, false) => lower().ends_with(core),
                    (false, true) => lower().starts_with(core),
                    (false, false) => lower() == n,
                }
            }
        }
    }
}

/// How the collection's entities belong to divisions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Divisions {
    /// Not division-aware.
    None,
    /// `division: {id}` stored, expanded on read; the list filters by `divisionId`.
    Filtered,
    /// `division: {id}` stored and expanded on read, no list filter.
    Unfiltered,
}

/// A checked request body.
pub(super) type Body = Map<String, Value>;
/// [`Hooks::build`].
pub(super) type BuildFn = fn(&Emu, &Body, Option<&Value>) -> Result<Value, ApiError>;
/// [`Hooks::validate`].
pub(super) type ValidateFn = fn(&Emu, &Body, Option<&Value>) -> Result<(), ApiError>;
/// [`Hooks::extra`].
pub(super) type ExtraFn = fn(&mut Emu, &Rq, &[&str]) -> Option<Result<Reply, ApiError>>;

/// Per-collection behaviour behind the generic handlers.
#[derive(Clone, Copy)]
pub(super) struct Hooks {
    /// The stored entity from a checked body: `old` is None on create. The generic side
    /// adds `id`, `selfUri` and `version`.
    pub build: BuildFn,
    /// Extra checks before a create or an update is stored (references, rules).
    pub validate: ValidateFn,
    /// The read shape of a stored entity (`listed`: inside a listing).
    pub render: fn(&Emu, &Rq, Value, bool) -> Value,
    /// Refuse a delete (409 in use, built-ins…).
    pub can_delete: fn(&Emu, &str) -> Result<(), ApiError>,
    /// Cascades after a delete.
    pub deleted: fn(&mut Emu, &str),
    /// Extra list filters.
    pub filter: fn(&Emu, &Rq, &mut Vec<&Value>) -> Result<(), ApiError>,
    /// Sub-resources and other routes, tried first: `rest` is the path after the
    /// collection; None = not one of them.
    pub extra: ExtraFn,
}

impl Hooks {
    /// No special behaviour: the body's fields are the entity.
    pub(super) const DEFAULT: Hooks = Hooks {
        build: |_, b, _| Ok(Value::Object(b.clone())),
        validate: |_, _, _| Ok(()),
        render: |st, _, v, _| st.data.expand_division(v),
        can_delete: |_, _| Ok(()),
        deleted: |_, _| {},
        filter: |_, _, _| Ok(()),
        extra: |_, _, _| None,
    };
}

/// One collection of the API.
pub(super) struct Collection {
    /// URI prefix of its entities, e.g. `/api/v2/routing/skills`.
    pub uri: &'static str,
    /// Its name in messages (`skill`, `wrap-up code`).
    pub word: &'static str,
    pub map: fn(&OrgData) -> &BTreeMap<String, Value>,
    pub map_mut: fn(&mut OrgData) -> &mut Table<Value>,
    pub rules: Rules,
    pub hooks: Hooks,
}

/// How a collection's generic handlers behave.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rules {
    /// Model of `POST` bodies (None: no create).
    pub create: Option<&'static str>,
    pub update: Update,
    /// Must an update carry the (non-empty) `name`?
    pub name_on_update: bool,
    pub versioning: Versioning,
    pub delete: Delete,
    pub listing: Listing,
    pub name_filter: NameFilter,
    /// The list parameter filtering by id (`id`, `ids`), if any.
    pub id_filter: Option<&'static str>,
    pub divisions: Divisions,
    /// Names are unique (case-insensitively, unless `--allow-duplicate-names`).
    pub unique_names: bool,
    /// List order: by name (then id), or by id.
    pub sort_by_id: bool,
    /// Put before the generated UUID of new entities (data actions: `custom_-_`).
    pub id_prefix: &'static str,
    /// The SDK models of a read (`GET /{id}`) and of the listing; a test checks the
    /// emulator's answers against them (`emulator::collections`).
    pub read_model: &'static str,
    pub list_model: &'static str,
}

impl Rules {
    /// No create or update, hard delete, page listing without `sortOrder`, exact name
    /// filter, `id` filter, not division-aware, unique names sorted by name.
    pub(super) const DEFAULT: Rules = Rules {
        create: None,
        update: Update::None,
        name_on_update: true,
        versioning: Versioning::None,
        delete: Delete::Hard,
        listing: Listing::PAGE,
        name_filter: NameFilter::Exact,
        id_filter: Some("id"),
        divisions: Divisions::None,
        unique_names: true,
        sort_by_id: false,
        id_prefix: "",
        read_model: "",
        list_model: "",
    };
}

impl Collection {
    /// Serve `rest` (the path after the collection's own segments).
    pub(super) fn handle(&self, st: &mut Emu, rq: &Rq, rest: &[&str]) -> Result<Reply, ApiError> {
        if let Some(r) = (self.hooks.extra)(st, rq, rest) {
            return r;
        }
        match (rq.method.as_str(), rest, self.rules.update) {
            ("GET", [], _) => self.list_as(st, rq, self.rules.listing),
            ("POST", [], _) if self.rules.create.is_some() => self.create(st, rq),
            ("GET", [id], _) => {
                let v = find(st, (self.map)(&st.data), id, &self.title(), rq.now)?.clone();
                Ok(Reply::json((self.hooks.render)(st, rq, v, false)))
            }
            ("PUT", [id], Update::Put(m)) | ("PATCH", [id], Update::Patch(m)) => {
                self.update(st, rq, id, m)
            }
            ("DELETE", [id], _) if self.rules.delete != Delete::None => self.delete(st, id),
            _ => Err(rq.no_route()),
        }
    }

    fn title(&self) -> String {
        capitalized(self.word)
    }

    /// 404 for an unknown id.
    pub(super) fn not_found(&self, id: &str) -> ApiError {
        ApiError::not_found(format!("{} [{id}] not found", self.title()))
    }

    /// The listing in `shape`: its own, or another (a collection with a page and a
    /// cursor form).
    pub(super) fn list_as(&self, st: &Emu, rq: &Rq, shape: Listing) -> Result<Reply, ApiError> {
        let mut items: Vec<&Value> = (self.map)(&st.data).values().collect();
        if let Some(n) = rq.q.get("name") {
            let n = n.to_lowercase();
            items.retain(|v| self.rules.name_filter.keeps(v["name"].as_str(), &n));
        }
        if let Some(key) = self.rules.id_filter {
            filter_ids(&rq.q, key, &mut items);
        }
        let divs = rq.q.list("divisionId");
        if self.rules.divisions == Divisions::Filtered && !divs.is_empty() {
            items.retain(|v| divs.iter().any(|d| v["division"]["id"] == d.as_str()));
        }
        if self.rules.sort_by_id {
            items.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        } else {
            sort_by_name(&mut items);
        }
        // After sorting: a filter may also re-order (`sortBy`).
        (self.hooks.filter)(st, rq, &mut items)?;
        shape.reply(rq, items, |v| (self.hooks.render)(st, rq, v.clone(), true))
    }

    fn check_name(
        &self,
        st: &Emu,
        b: &Map<String, Value>,
        except: Option<&str>,
        required: bool,
    ) -> Result<(), ApiError> {
        let name = match b.get("name").and_then(Value::as_str) {
            Some(n) if !required => n,
            _ if !required => return Ok(()),
            _ => req_str(b, "name")?,
        };
        let skip_deleted = self.rules.delete == Delete::Soft;
        if self.rules.unique_names
            && st.cfg.unique_names
            && name_taken((self.map)(&st.data), name, except, skip_deleted)
        {
            return Err(duplicate(self.word, name));
        }
        Ok(())
    }

    fn create(&self, st: &mut Emu, rq: &Rq) -> Result<Reply, ApiError> {
        let b = schema::check(self.rules.create.expect("has create"), rq.body()?)?;
        self.check_name(st, &b, None, true)?;
        (self.hooks.validate)(st, &b, None)?;
        let built = (self.hooks.build)(st, &b, None)?;
        let id = format!("{}{}", self.rules.id_prefix, st.new_id());
        let version = match self.rules.versioning {
            Versioning::None => Value::Null,
            Versioning::Str => json!("1"),
            Versioning::Int { .. } => json!(1),
        };
        st.note_created(&id, rq.now);
        Ok(self.store(st, rq, &id, built, version))
    }

    /// Store entity `id` as `built` with its `version` (null: none) and `selfUri`, and
    /// answer its read shape.
    fn store(&self, st: &mut Emu, rq: &Rq, id: &str, built: Value, version: Value) -> Reply {
        let mut v = json!({"id": id});
        merge_into(&mut v, built);
        if !version.is_null() {
            v["version"] = version;
        }
        v["selfUri"] = json!(format!("{}/{id}", self.uri));
        (self.map_mut)(&mut st.data).insert(id.to_string(), v.clone());
        Reply::json((self.hooks.render)(st, rq, v, false))
    }

    /// A stored entity that may be written: absent or soft-deleted → 404.
    pub(super) fn writable(&self, st: &Emu, id: &str) -> Result<Value, ApiError> {
        match (self.map)(&st.data).get(id) {
            Some(v) if !(self.rules.delete == Delete::Soft && v["state"] == "deleted") => {
                Ok(v.clone())
            }
            _ => Err(self.not_found(id)),
        }
    }

    /// Check an update's `version` against the stored one; returns the next version.
    pub(super) fn next_version(
        &self,
        b: &Map<String, Value>,
        old: &Value,
    ) -> Result<Value, ApiError> {
        match self.rules.versioning {
            Versioning::None => Ok(Value::Null),
            Versioning::Str => Ok(bump_str(&old["version"])),
            Versioning::Int { required } => {
                let current = old["version"].as_i64().unwrap_or(1);
                match b.get("version").and_then(Value::as_i64) {
                    None if required => {
                        Err(ApiError::bad_request("The field 'version' is required"))
                    }
                    // 409 for a stale version (TF also accepts 400 with this message);
                    // the exact code is unconfirmed.
                    Some(v) if v != current => Err(ApiError::conflict(format!(
                        "The version supplied [{v}] does not match the current version [{current}]"
                    ))),
                    _ => Ok(json!(current + 1)),
                }
            }
        }
    }

    fn update(&self, st: &mut Emu, rq: &Rq, id: &str, model: &str) -> Result<Reply, ApiError> {
        let b = schema::check(model, rq.body()?)?;
        let old = self.writable(st, id)?;
        let version = self.next_version(&b, &old)?;
        self.check_name(st, &b, Some(id), self.rules.name_on_update)?;
        (self.hooks.validate)(st, &b, Some(&old))?;
        let built = (self.hooks.build)(st, &b, Some(&old))?;
        Ok(self.store(st, rq, id, built, version))
    }

    fn delete(&self, st: &mut Emu, id: &str) -> Result<Reply, ApiError> {
        let old = self.writable(st, id)?;
        (self.hooks.can_delete)(st, id)?;
        match self.rules.delete {
            Delete::Soft => {
                let stamp = st.now_iso();
                let v = (self.map_mut)(&mut st.data).get_mut(id).expect("checked");
                v["state"] = json!("deleted");
                if self.rules.versioning == Versioning::Str {
                    v["version"] = bump_str(&old["version"]);
                }
                v["dateModified"] = json!(stamp);
            }
            _ => {
                (self.map_mut)(&mut st.data).remove(id);
            }
        }
        (self.hooks.deleted)(st, id);
        Ok(Reply::no_content())
    }
}

/// `"n"` → `"n+1"`.
fn bump_str(v: &Value) -> Value {
    let n = v.as_str().and_then(|s| s.parse::<i64>().ok()).unwrap_or(1);
    json!((n + 1).to_string())
}

/// Copy the fields of `from` (an object) into `into`.
fn merge_into(into: &mut Value, from: Value) {
    if let (Some(i), Value::Object(f)) = (into.as_object_mut(), from) {
        for (k, v) in f {
            if k != "id" {
                i.insert(k, v);
            }
        }
    }
}

/// The division a body names in `division.id`: omitted → home; unknown → 400.
pub(super) fn body_division(st: &Emu, b: &Map<String, Value>) -> Result<String, ApiError> {
    st.data.resolve_division(
        b.get("division")
            .and_then(|d| d.get("id"))
            .and_then(Value::as_str),
    )
}
