//! References between declared objects → a DAG → tiers.
//!
//! An object's tier is one more than the highest tier of anything it references, so
//! divisions come before users, users before their skills and before queue members,
//! and so on — the order comes from the references, not from a list kept by hand.
//! Missing references and cycles are reported, never guessed around. Pure: no I/O.

use std::collections::hash_map::Entry;

use foldhash::HashMap;
use foldhash::HashMapExt as _;

use crate::kinds::{Addr, Declared, Ref, kind};

/// A reference to an object no manifest declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MissingRef {
    /// Index of the referring object.
    pub from: usize,
    /// Which of its references (in the order its kind lists them).
    pub nth: usize,
}

/// The references of objects, as the keys an [`Index`] is looked up by
/// ([`Addr::id_key`]), all in one text: a large org's hundreds of thousands of
/// references cost a few bytes each rather than two allocations. A missing one is
/// named by its position, to be listed in full again where it is reported.
#[derive(Debug, Default)]
pub(crate) struct RefKeys {
    text: String,
    /// Where each key ends in `text`.
    ends: Vec<usize>,
    /// Where each object's keys end in `ends`.
    objects: Vec<usize>,
}

impl RefKeys {
    /// Adds the next object's references.
    pub(crate) fn push(&mut self, refs: &[Ref]) {
        for r in refs {
            r.target.push_id_key(&mut self.text);
            self.ends.push(self.text.len());
        }
        self.objects.push(self.ends.len());
    }

    /// Empty, with room for appending all of `parts`.
    pub(crate) fn with_room<'a>(parts: impl Iterator<Item = &'a RefKeys> + Clone) -> Self {
        let room = |size: fn(&RefKeys) -> usize| parts.clone().map(size).sum();
        Self {
            text: String::with_capacity(room(|k| k.text.len())),
            ends: Vec::with_capacity(room(|k| k.ends.len())),
            objects: Vec::with_capacity(room(|k| k.objects.len())),
        }
    }

    /// Adds the objects of `more` after those of `self`.
    pub(crate) fn append(&mut self, more: RefKeys) {
        let (text, keys) = (self.text.len(), self.ends.len());
        self.text.push_str(&more.text);
        self.ends.extend(more.ends.iter().map(|e| e + text));
        self.objects.extend(more.objects.iter().map(|o| o + keys));
    }

    /// How many objects there are.
    pub(crate) fn len(&self) -> usize {
        self.objects.len()
    }

    /// The key of object `i`'s `nth` reference.
    pub(crate) fn key(&self, i: usize, nth: usize) -> Option<&str> {
        self.of(i).nth(nth)
    }

    /// The keys of object `i`'s references.
    fn of(&self, i: usize) -> impl Iterator<Item = &str> {
        let first = i.checked_sub(1).map_or(0, |p| self.objects[p]);
        (first..self.objects[i]).map(move |k| {
            let start = k.checked_sub(1).map_or(0, |p| self.ends[p]);
            &self.text[start..self.ends[k]]
        })
    }
}

/// Why the objects cannot be ordered.
#[derive(Debug, Clone)]
pub(crate) enum GraphError {
    /// References to undeclared objects (all of them).
    Missing(Vec<MissingRef>),
    /// A reference cycle, as the addresses along it (first = last).
    Cycle(Vec<Addr>),
}

/// Where each declared object is, by [`Addr::id_key`]: the first object declared under
/// a key (a later one is a duplicate).
///
/// References name objects: a sub-resource has no key of its own (it is its parent's),
/// so the memberships and grants of a large org stay out of it. foldhash: a large org
/// looks keys up hundreds of thousands of times, which SipHash (the std default,
/// hardened for keys an attacker picks) made a tenth of validating.
pub(crate) struct Index(HashMap<String, usize>);

impl Index {
    /// The objects of `declared`; `duplicate(first, again)` is called for each object
    /// whose key an earlier one has.
    pub(crate) fn of(declared: &[Declared], mut duplicate: impl FnMut(usize, usize)) -> Self {
        let mut index = HashMap::with_capacity(declared.len());
        for (i, d) in declared.iter().enumerate() {
            if !kind(d.addr.kind).is_some_and(|k| k.is_object()) {
                continue;
            }
            match index.entry(d.addr.id_key()) {
                Entry::Occupied(first) => duplicate(*first.get(), i),
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
        }
        Self(index)
    }
}

/// The references of each object (`refs` lists them object by object), resolved to
/// indices through `index`.
pub(crate) fn edges(index: &Index, refs: &RefKeys) -> Result<Vec<Vec<usize>>, GraphError> {
    let mut missing = Vec::new();
    let mut out = Vec::with_capacity(refs.len());
    for i in 0..refs.len() {
        let mut deps = Vec::new();
        for (nth, key) in refs.of(i).enumerate() {
            match index.0.get(key) {
                Some(&j) => deps.push(j),
                None => missing.push(MissingRef { from: i, nth }),
            }
        }
        deps.sort_unstable();
        deps.dedup();
        out.push(deps);
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(GraphError::Missing(missing))
    }
}

/// Tier of every object (0 = depends on nothing) from its references `deps` (as
/// [`edges`] gives them), or the first cycle found.
pub(crate) fn tiers(declared: &[Declared], deps: &[Vec<usize>]) -> Result<Vec<usize>, GraphError> {
    tiers_of(deps).map_err(|cycle| {
        GraphError::Cycle(
            cycle
                .into_iter()
                .map(|i| declared[i].addr.clone())
                .collect(),
        )
    })
}

/// Tiers from an adjacency list; `Err` carries a cycle as indices (first = last).
pub(crate) fn tiers_of(deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let n = deps.len();
    let mut mark = vec![Mark::New; n];
    let mut tier = vec![0usize; n];
    for start in 0..n {
        if mark[start] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next dependency to visit).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&dep) = deps[node].get(*next) {
                *next += 1;
                match mark[dep] {
                    Mark::New => {
                        mark[dep] = Mark::Active;
                        stack.push((dep, 0));
                    }
                    Mark::Active => {
                        let pos = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut cycle: Vec<usize> = stack[pos..].iter().map(|(n, _)| *n).collect();
                        cycle.push(dep);
                        return Err(cycle);
                    }
                    Mark::Done => {}
                }
            } else {
                tier[node] = deps[node].iter().map(|&d| tier[d] + 1).max().unwrap_or(0);
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    Ok(tier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_by_key_or_are_named_missing() {
        // Any kind of object will do.
        let kind = crate::kinds::KINDS
            .iter()
            .find(|k| k.is_object())
            .expect("a kind of object")
            .name();
        let declared: Vec<Declared> = ["A", "B"]
            .into_iter()
            .map(|key| Declared {
                addr: Addr::new(kind, key),
                spec: std::sync::Arc::new(serde_json::Value::Null),
                origin: crate::kinds::Origin::default(),
            })
            .collect();
        let to = |key: &str| Ref {
            target: Addr::new(kind, key),
            field: String::new(),
        };
        let mut refs = RefKeys::default();
        refs.push(&[to("b")]);
        refs.push(&[]);
        let mut more = RefKeys::default();
        more.push(&[to(" a "), to("Nope"), to("B")]);
        refs.append(more);
        let index = Index::of(&declared, |_, _| panic!("no duplicates"));
        let GraphError::Missing(missing) = edges(&index, &refs).unwrap_err() else {
            panic!("a missing reference");
        };
        assert_eq!(missing, [MissingRef { from: 2, nth: 1 }]);
        refs = RefKeys::default();
        refs.push(&[to("b")]);
        refs.push(&[to("A"), to("b"), to("a")]);
        assert_eq!(edges(&index, &refs).unwrap(), [vec![1], vec![0, 1]]);
    }

    #[test]
    fn tiers_follow_references() {
        // 0 <- 1 <- 2, 0 <- 3
        let deps = vec![vec![], vec![0], vec![1], vec![0]];
        assert_eq!(tiers_of(&deps).unwrap(), vec![0, 1, 2, 1]);
    }

    #[test]
    fn cycle_is_named() {
        let deps = vec![vec![1], vec![2], vec![0], vec![]];
        let cycle = tiers_of(&deps).unwrap_err();
        assert_eq!(cycle.first(), cycle.last());
        assert_eq!(cycle.len(), 4);
    }

    #[test]
    fn self_reference_is_a_cycle() {
        assert_eq!(tiers_of(&[vec![0]]).unwrap_err(), vec![0, 0]);
    }
}
