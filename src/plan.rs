//! The plan: one action per declared object, grouped in tiers. A value, built from
//! what the manifests declare and what observation found; printing it is `report`'s
//! job and executing it is `reconcile`'s. Pure: no I/O.

use serde::Serialize;
use serde_json::Value;

use crate::kinds::{Addr, FieldDiff};

/// What apply will do with one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// One planned change.
#[derive(Debug, Clone)]
pub struct Change {
    /// The object.
    pub addr: Addr,
    /// What happens to it.
    pub action: Action,
    /// Dependency tier (0 first).
    pub tier: usize,
    /// Field differences (for `Update`, and for `Create` of sub-resources: what is added).
    pub diffs: Vec<FieldDiff>,
    /// True when the object exists in the org but not in the state file.
    pub adopting: bool,
    /// Index into the declared objects.
    pub declared: usize,
    /// The ID observed in the org, when it exists.
    pub id: Option<String>,
    /// The raw observed object.
    pub observed: Option<Value>,
    /// The observed object's view.
    pub observed_view: Option<Value>,
}

/// Counts per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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
}

/// All changes, sorted by tier, then kind order, then key.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The changes.
    pub changes: Vec<Change>,
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
        c
    }

    /// Whether applying would change anything in the org or the state.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::Noop)
    }

    /// The tiers present, in order.
    pub fn tiers(&self) -> Vec<usize> {
        let mut t: Vec<usize> = self.changes.iter().map(|c| c.tier).collect();
        t.sort_unstable();
        t.dedup();
        t
    }
}

/// Decide the action for one object.
pub fn decide(observed_exists: bool, in_state: bool, diffs: &[FieldDiff]) -> Action {
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
