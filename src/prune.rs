//! Removal: orphans, the delete phase, exclusive sets and the adoption policy.
//!
//! An *orphan* is an object the state records that the manifests no longer declare.
//! Every plan lists them; apply does something with them only when pruning is on
//! (`--prune`, or `prune: true` on the environment): an object genseed *created* is
//! deleted from the org, one it *adopted* is only forgotten (removed from the state,
//! left in the org) unless `--prune-adopted`, and one already gone from the org is
//! forgotten. Deletes run after every create and update, in reverse dependency order
//! (the reverse of the kind registry: queues before the skills and divisions they use),
//! one at a time, each re-read just before it is deleted. A delete that fails leaves
//! the object in the state, so the next run tries again.
//!
//! A *managed set* (a queue's members or wrap-up codes, a group's members, a user's
//! skills, languages or role grants) is additive by default: members the org has beyond
//! the declared ones are listed as unmanaged and never removed. Declared exclusive
//! (`membersPolicy: exclusive`, `rolesPolicy: exclusive`… on the entry, or
//! `setsPolicy: exclusive` in genseed.yaml), the plan shows the extra members (as the
//! kind's [`crate::kinds::Kind::extra_members`] finds them) as removals and apply
//! removes them.
//!
//! Knows kinds (through the trait), the plan and the state; prints nothing.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::kinds::{Addr, Ctx, KINDS, KindError, kind, norm_key, str_field};
use crate::plan::{Orphan, OrphanAction, Plan};
use crate::reconcile::{Observed, StateWriter, Summary};
use crate::state::{ResourceOrigin, State};
use crate::validate::Loaded;

/// What pruning may do, from the command line and the environment's settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PruneOptions {
    /// Delete orphans genseed created (and forget the adopted ones).
    pub prune: bool,
    /// Delete adopted orphans too.
    pub prune_adopted: bool,
}

/// The spec field of a derived sub-resource that carries its set's policy.
pub(crate) const POLICY_FIELD: &str = "policy";
/// The policy that makes a managed set exclusive.
pub(crate) const EXCLUSIVE: &str = "exclusive";

/// The orphans of `state` (entries no declared object has), in delete order, all
/// with [`OrphanAction::Keep`] (see [`set_actions`]). Pure.
pub(crate) fn orphans(desired: &Loaded, observed: &Observed, state: &State) -> Vec<Orphan> {
    let declared: HashSet<String> = desired.declared.iter().map(|d| d.addr.id_key()).collect();
    let order: HashMap<&str, (u8, usize)> = KINDS
        .iter()
        .enumerate()
        .map(|(i, k)| (k.name(), (k.stage(), i)))
        .collect();
    let mut out: Vec<Orphan> = state
        .resources
        .iter()
        .filter(|(id_key, _)| !declared.contains(*id_key))
        .filter_map(|(_, r)| {
            let k = kind(&r.kind).filter(|k| k.is_object())?;
            // Looked up by ID, so an object renamed in the org is still found. A kind
            // that was not listed is assumed present (its delete treats 404 as done).
            let exists = observed.objects.get(k.name()).is_none_or(|found| {
                found.values().any(|o| {
                    str_field(o, "id") == Some(r.id.as_str())
                        && str_field(o, "state") != Some("deleted")
                })
            });
            Some(Orphan {
                addr: Addr::new(k.name(), r.key.clone()),
                id: r.id.clone(),
                origin: r.origin,
                exists,
                action: OrphanAction::Keep,
            })
        })
        .collect();
    out.sort_by_cached_key(|o| (Reverse(order[o.addr.kind]), o.addr.norm()));
    out
}

/// Decide what apply does with each orphan.
pub(crate) fn set_actions(plan: &mut Plan, opts: PruneOptions) {
    for o in &mut plan.orphans {
        o.action = if !opts.prune {
            OrphanAction::Keep
        } else if !o.exists {
            OrphanAction::Forget
        } else if o.origin == ResourceOrigin::Created || opts.prune_adopted {
            OrphanAction::Delete
        } else {
            OrphanAction::Forget
        };
    }
}

/// With the adoption policy `never`: one message per object the plan would adopt
/// (exists in the org, not in the state).
pub(crate) fn adoption_refusals(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|c| c.adopting && kind(c.addr().kind).is_some_and(|k| k.is_object()))
        .map(|c| {
            format!(
                "{}: exists in the org but not in the state; adopt it with --adopt, or rename it in the manifests",
                c.addr()
            )
        })
        .collect()
}

/// Whether the managed set declared by `spec` (a derived sub-resource) is exclusive:
/// its own policy, else the project default.
pub(crate) fn is_exclusive(spec: &Value, default_exclusive: bool) -> bool {
    match str_field(spec, POLICY_FIELD) {
        Some(p) => p == EXCLUSIVE,
        None => default_exclusive,
    }
}

/// The members of an observed set view (`{key: true}`) that the desired view does not
/// declare, compared as natural keys.
pub(crate) fn extra_members(desired_view: &Value, observed_view: &Value) -> Vec<String> {
    let want: HashSet<String> = desired_view
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| norm_key(k))
        .collect();
    observed_view
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .filter(|k| !want.contains(&norm_key(k)))
        .cloned()
        .collect()
}

/// Objects of the declared kinds that the org has but neither the manifests nor the
/// state know (made in the UI, say), sorted by kind and key; built-in and system objects
/// (those [`crate::kinds::Kind::to_manifest`] leaves out) and soft-deleted ones are not
/// listed. Pure.
pub(crate) fn unmanaged_objects(desired: &Loaded, observed: &Observed, state: &State) -> Vec<Addr> {
    let declared: HashSet<String> = desired.declared.iter().map(|d| d.addr.id_key()).collect();
    let known_ids: HashSet<(&str, &str)> = state
        .resources
        .values()
        .map(|r| (r.kind.as_str(), r.id.as_str()))
        .collect();
    let mut out = Vec::new();
    for k in KINDS.iter().filter(|k| k.is_object()) {
        if !desired.declared.iter().any(|d| d.addr.kind == k.name()) {
            continue;
        }
        for (key, o) in observed.objects.get(k.name()).into_iter().flatten() {
            let addr_key = o
                .pointer(k.key_field())
                .and_then(Value::as_str)
                .unwrap_or(key);
            let id = str_field(o, "id").unwrap_or_default();
            let unknown = !declared.contains(&format!("{}/{key}", k.name()))
                && !known_ids.contains(&(k.name(), id))
                && str_field(o, "state") != Some("deleted")
                && k.to_manifest(o, &observed.resolver).is_some();
            if unknown {
                out.push(Addr::new(k.name(), addr_key));
            }
        }
    }
    out
}

/// Run the orphans' actions after the changes: sequentially, in the plan's (reverse
/// dependency) order. Nothing is deleted when a change failed or the run was
/// interrupted (they are counted as skipped or not started).
pub(crate) async fn run_orphans(
    ctx: &Ctx,
    plan: &Plan,
    writer: &StateWriter,
    interrupted: &AtomicBool,
    summary: &mut Summary,
) {
    let blocked = !summary.failed.is_empty() || !summary.skipped.is_empty();
    for o in plan
        .orphans
        .iter()
        .filter(|o| o.action != OrphanAction::Keep)
    {
        if interrupted.load(Ordering::SeqCst) {
            summary.interrupted = true;
            summary.not_started.push(o.addr.to_string());
            continue;
        }
        if blocked || writer.broken() {
            summary.skipped.push((
                o.addr.to_string(),
                "not deleted: an earlier change failed (orphans are removed only after every change succeeded)".into(),
            ));
            continue;
        }
        let result = match o.action {
            OrphanAction::Delete => delete_one(ctx, o).await,
            _ => Ok(()),
        };
        let result = result
            .map_err(|e| e.to_string())
            .and_then(|()| writer.forget(&o.addr).map_err(|e| e.to_string()));
        match (result, o.action) {
            (Ok(()), OrphanAction::Delete) => summary.deleted += 1,
            (Ok(()), _) => summary.forgotten += 1,
            (Err(message), _) => summary.failed.push((o.addr.to_string(), message)),
        }
    }
}

/// Re-read the orphan, then delete it; gone already is success.
async fn delete_one(ctx: &Ctx, o: &Orphan) -> Result<(), KindError> {
    let k = kind(o.addr.kind).expect("registered kind");
    if let Some(path) = k.api_path() {
        match ctx.client.get(&format!("{path}/{}", o.id), &[]).await {
            Ok(now) if str_field(&now, "state") == Some("deleted") => return Ok(()),
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    k.delete(ctx, &o.id)
        .await
        .map_err(|e| KindError::Other(format!("{} {:?}: {e}", k.label(), o.addr.key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::for_tests::{division, queue, skill};
    use crate::kinds::{Declared, ObservedMap, Origin};
    use crate::state::Resource;
    use serde_json::json;

    fn observed(objects: &[(&'static str, &str, &str)]) -> Observed {
        let mut map: HashMap<&'static str, ObservedMap> = HashMap::new();
        for (k, name, id) in objects {
            map.entry(*k)
                .or_default()
                .insert(norm_key(name), json!({"id": id, "name": name}));
        }
        Observed {
            objects: map,
            ..Observed::default()
        }
    }

    fn state(entries: &[(&str, &str, &str, ResourceOrigin)]) -> State {
        let mut s = State::new("t");
        for (k, key, id, origin) in entries {
            s.resources.insert(
                format!("{k}/{}", norm_key(key)),
                Resource::new(k, key, id).with_origin(*origin),
            );
        }
        s
    }

    fn loaded(declared: &[(&'static str, &str)]) -> Loaded {
        Loaded {
            declared: declared
                .iter()
                .map(|(k, name)| Declared {
                    addr: Addr::new(k, *name),
                    spec: std::sync::Arc::new(json!({"name": name})),
                    origin: Origin::default(),
                })
                .collect(),
            deps: vec![vec![]; declared.len()],
            tiers: vec![0; declared.len()],
            files: Vec::new(),
        }
    }

    use ResourceOrigin::{Adopted, Created};

    #[test]
    fn orphans_are_state_entries_no_longer_declared_in_reverse_dependency_order() {
        let st = state(&[
            (skill(), "Old", "s1", Created),
            (skill(), "Kept", "s2", Created),
            (queue(), "Q", "q1", Created),
            (division(), "D", "d1", Adopted),
        ]);
        let obs = observed(&[
            (skill(), "Old", "s1"),
            (skill(), "Kept", "s2"),
            (queue(), "Renamed Q", "q1"),
        ]);
        let found = orphans(&loaded(&[(skill(), "kept")]), &obs, &st);
        let addrs: Vec<String> = found.iter().map(|o| o.addr.to_string()).collect();
        assert_eq!(
            addrs,
            [
                format!("{}/Q", queue()),
                format!("{}/Old", skill()),
                format!("{}/D", division())
            ]
        );
        // Found by ID after a rename; a kind not listed is assumed present.
        assert!(found.iter().all(|o| o.exists));
        assert!(found.iter().all(|o| o.action == OrphanAction::Keep));
    }

    #[test]
    fn prune_deletes_created_forgets_adopted_and_gone() {
        let st = state(&[
            (skill(), "Made", "s1", Created),
            (skill(), "Taken", "s2", Adopted),
            (skill(), "Gone", "s3", Created),
        ]);
        let obs = observed(&[(skill(), "Made", "s1"), (skill(), "Taken", "s2")]);
        let mut plan = Plan {
            orphans: orphans(&loaded(&[]), &obs, &st),
            ..Plan::default()
        };
        assert!(!plan.has_changes(), "listing orphans changes nothing");
        let action = |p: &Plan, key: &str| {
            p.orphans
                .iter()
                .find(|o| o.addr.key == key)
                .map(|o| o.action)
                .unwrap()
        };
        set_actions(
            &mut plan,
            PruneOptions {
                prune: true,
                prune_adopted: false,
            },
        );
        assert_eq!(action(&plan, "Made"), OrphanAction::Delete);
        assert_eq!(action(&plan, "Taken"), OrphanAction::Forget);
        assert_eq!(action(&plan, "Gone"), OrphanAction::Forget);
        assert!(plan.has_changes());
        let c = plan.counts();
        assert_eq!((c.orphans, c.delete, c.forget), (3, 1, 2));
        set_actions(
            &mut plan,
            PruneOptions {
                prune: true,
                prune_adopted: true,
            },
        );
        assert_eq!(action(&plan, "Taken"), OrphanAction::Delete);
        assert_eq!(action(&plan, "Gone"), OrphanAction::Forget);
        let text = serde_json::to_string(&plan).unwrap();
        let back: Plan = serde_json::from_str(&text).unwrap();
        assert_eq!(back.orphans, plan.orphans);
    }

    #[test]
    fn unmanaged_objects_are_those_of_declared_kinds_nobody_knows() {
        let st = state(&[(skill(), "Recorded", "s2", Created)]);
        let obs = observed(&[
            (skill(), "Declared", "s1"),
            (skill(), "Recorded", "s2"),
            (skill(), "Hand Made", "s3"),
            (queue(), "Not A Declared Kind", "q1"),
        ]);
        let found = unmanaged_objects(&loaded(&[(skill(), "Declared")]), &obs, &st);
        assert_eq!(found, [Addr::new(skill(), "Hand Made")]);
    }

    #[test]
    fn set_policy_and_extra_members() {
        assert!(is_exclusive(&json!({"policy": "exclusive"}), false));
        assert!(!is_exclusive(&json!({"policy": "additive"}), true));
        assert!(is_exclusive(&json!({}), true));
        assert!(!is_exclusive(&json!({}), false));
        let extra = extra_members(
            &json!({"A@x.com": true}),
            &json!({"a@x.com": true, "b@x.com": true}),
        );
        assert_eq!(extra, ["b@x.com"]);
    }
}
