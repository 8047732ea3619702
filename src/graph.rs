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
#[derive(Debug, Clone)]
pub(crate) struct MissingRef {
    /// Index of the referring object.
    pub from: usize,
    /// The reference.
    pub reference: Ref,
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

/// The references of each declared object (`refs[i]`: those of object `i`, as its kind
/// lists them), resolved to indices through `index`.
pub(crate) fn edges(index: &Index, refs: Vec<Vec<Ref>>) -> Result<Vec<Vec<usize>>, GraphError> {
    let mut missing = Vec::new();
    let mut out = Vec::with_capacity(refs.len());
    // One buffer for every look-up.
    let mut id = String::new();
    for (i, refs) in refs.into_iter().enumerate() {
        let mut deps = Vec::new();
        for r in refs {
            id.clear();
            r.target.push_id_key(&mut id);
            match index.0.get(id.as_str()) {
                Some(&j) => deps.push(j),
                None => missing.push(MissingRef {
                    from: i,
                    reference: r,
                }),
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
