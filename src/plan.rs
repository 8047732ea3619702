//! The plan: one action per declared object, grouped in tiers, and the orphans (objects
//! the state knows that the manifests no longer declare). A value, built from
//! what the manifests declare and what observation found; printing it is `report`'s
//! job and executing it is `reconcile`'s. Pure: no I/O.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kinds::{Addr, Declared, FieldDiff};
use crate::state::ResourceOrigin;

/// What apply will do with one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Not in the org: create it.
    Create,
    /// In the org but different: change the listed fields.
    Update,
    /// In the org, as declared, but not yet in the state file: record its ID.
    Adopt,
    /// In the org and in the state, as declared.
    Noop,
    /// In the org, but a field differs that the API cannot change in place: delete and
    /// create again (needs `--allow-replace`).
    Replace,
}

impl Action {
    /// The plan's symbol for it.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Adopt => "=",
            Action::Noop => " ",
            Action::Replace => "-/+",
        }
    }
}

/// One planned change. It owns everything apply needs: the declared object (address,
/// spec, origin), what was observed, and the addresses it depends on. Serialized as
/// the JSON plan's `changes[]` entries (the raw observed object is not written).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The declared object: `address`, `kind`, `key` and `spec` in JSON.
    #[serde(flatten)]
    pub declared: Declared,
    /// What happens to it.
    pub action: Action,
    /// Dependency tier (0 first).
    pub tier: usize,
    /// True when the object exists in the org but not in the state file.
    pub adopting: bool,
    /// The ID observed in the org, when it exists.
    pub id: Option<String>,
    /// Field differences (for `Update`, and for `Create` of sub-resources: what is added).
    pub diffs: Vec<FieldDiff>,
    /// The declared objects this one references (they are applied first).
    pub depends_on: Vec<Addr>,
    /// For additive managed sets: members the org has that the manifests do not
    /// declare (shown with `plan -v`, never removed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmanaged: Vec<String>,
    /// The raw observed object (boxed, as the view: most changes of a large plan are
    /// no-ops, and a plan holds one change per declared object).
    #[serde(skip)]
    pub observed: Option<Box<Value>>,
    /// The observed object's view, when the change acts on the object (a no-op keeps
    /// only its fingerprint: a plan of a large org that matches holds no copy of it).
    #[serde(skip)]
    pub observed_view: Option<Box<Value>>,
    /// SHA-256 of the observed view (what a saved plan compares to find drift); none
    /// when the object was not found.
    #[serde(skip)]
    pub fingerprint: Option<String>,
}

impl Change {
    /// The object's address.
    pub fn addr(&self) -> &Addr {
        &self.declared.addr
    }
}

/// Counts per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// To create.
    pub create: usize,
    /// To update.
    pub update: usize,
    /// To adopt.
    pub adopt: usize,
    /// Unchanged.
    pub unchanged: usize,
    /// To replace (delete + create).
    pub replace: usize,
    /// Orphans: in the state, no longer declared (whatever happens to them).
    #[serde(default)]
    pub orphans: usize,
    /// Orphans to delete from the org (`--prune`).
    #[serde(default)]
    pub delete: usize,
    /// Orphans to forget (removed from the state, left in the org).
    #[serde(default)]
    pub forget: usize,
}

/// What apply does with an orphan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrphanAction {
    /// Listed only (no `--prune`): it stays in the org and in the state.
    Keep,
    /// Deleted from the org, then removed from the state.
    Delete,
    /// Removed from the state, left in the org (adopted objects, or ones already gone).
    Forget,
}

impl OrphanAction {
    /// The plan's symbol for it.
    pub fn symbol(self) -> &'static str {
        match self {
            OrphanAction::Keep => "-",
            OrphanAction::Delete => "-",
            OrphanAction::Forget => "~",
        }
    }
}

/// An object the state records that the manifests no longer declare. Serialized as
/// the JSON plan's `orphans[]` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Orphan {
    /// `address`, `kind` and `key` in JSON.
    #[serde(flatten)]
    pub addr: Addr,
    /// Its ID, as the state records it.
    pub id: String,
    /// Whether genseed created or adopted it.
    pub origin: ResourceOrigin,
    /// Whether the org still has it (false: deleted outside genseed).
    pub exists: bool,
    /// What happens to it.
    pub action: OrphanAction,
}

/// All changes, sorted by tier, then kind order, then key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Plan {
    /// The changes.
    pub changes: Vec<Change>,
    /// Objects in the state the manifests no longer declare, in the order they are
    /// deleted (reverse dependency order: a queue before the skills it uses).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orphans: Vec<Orphan>,
    /// With `--show-unmanaged`: objects of the declared kinds that the org has but
    /// neither the manifests nor the state know. Listed only; nothing happens to them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmanaged: Vec<Addr>,
}

impl Plan {
    /// Counts per action.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for ch in &self.changes {
            match ch.action {
                Action::Create => c.create += 1,
                Action::Update => c.update += 1,
                Action::Adopt => c.adopt += 1,
                Action::Noop => c.unchanged += 1,
                Action::Replace => c.replace += 1,
            }
        }
        for o in &self.orphans {
            c.orphans += 1;
            match o.action {
                OrphanAction::Keep => {}
                OrphanAction::Delete => c.delete += 1,
                OrphanAction::Forget => c.forget += 1,
            }
        }
        c
    }

    /// Whether applying would change anything in the org or the state.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::Noop)
            || self.orphans.iter().any(|o| o.action != OrphanAction::Keep)
    }

    /// The tiers present, in order.
    pub fn tiers(&self) -> Vec<usize> {
        let mut t: Vec<usize> = self.changes.iter().map(|c| c.tier).collect();
        t.sort_unstable();
        t.dedup();
        t
    }
}

/// The JSON plan document (`plan --json`, format version 1): the environment and org
/// it was computed for, every change, and the counts.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PlanDoc<'a> {
    /// The format's version; bumped when a field changes meaning.
    pub format_version: u32,
    /// The environment name.
    pub env: &'a str,
    /// The org: `{id, name}`.
    pub org: OrgRef<'a>,
    /// `changes`: every change, unchanged ones included.
    #[serde(flatten)]
    pub plan: &'a Plan,
    /// Counts per action.
    pub counts: Counts,
    /// Whether applying would change anything.
    pub has_changes: bool,
}

/// An org's ID and name.
#[derive(Debug, Serialize)]
pub(crate) struct OrgRef<'a> {
    /// The org ID.
    pub id: &'a str,
    /// The org name.
    pub name: &'a str,
}

impl<'a> PlanDoc<'a> {
    /// The document of `plan`, computed for org `org_id` of environment `env`.
    pub(crate) fn new(plan: &'a Plan, org_id: &'a str, org_name: &'a str, env: &'a str) -> Self {
        PlanDoc {
            format_version: 1,
            env,
            org: OrgRef {
                id: org_id,
                name: org_name,
            },
            plan,
            counts: plan.counts(),
            has_changes: plan.has_changes(),
        }
    }
}

/// Decide the action for one object.
pub(crate) fn decide(observed_exists: bool, in_state: bool, diffs: &[FieldDiff]) -> Action {
    match (observed_exists, diffs.is_empty(), in_state) {
        (false, _, _) => Action::Create,
        (true, false, _) => Action::Update,
        (true, true, false) => Action::Adopt,
        (true, true, true) => Action::Noop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn actions() {
        let d = vec![FieldDiff {
            path: "x".into(),
            before: None,
            after: json!(1),
        }];
        assert_eq!(decide(false, false, &[]), Action::Create);
        assert_eq!(decide(true, true, &d), Action::Update);
        assert_eq!(decide(true, false, &[]), Action::Adopt);
        assert_eq!(decide(true, true, &[]), Action::Noop);
    }
}
