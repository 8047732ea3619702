//! Check-then-act: observe the org, plan one action per declared object, apply the
//! plan tier by tier.
//!
//! Observation lists each kind once (sub-resources once per existing parent) and
//! matches by natural key client-side. Apply runs the tiers in order with bounded
//! concurrency inside a tier; IDs resolved in a tier feed the next. Every completed
//! change is recorded in the state (a journal line) before it counts as done, so a run
//! killed at any moment loses nothing;
//! objects whose dependencies failed are skipped, not attempted. An interrupt stops
//! new changes from starting, lets in-flight ones finish, and reports.
//!
//! Knows kinds (through the trait), the client, the plan and the state; prints
//! nothing (progress goes through [`Progress`]).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::client::ApiClient;
use crate::kinds::FieldDiff;
use crate::kinds::{
    Addr, Ctx, Declared, KINDS, KindError, ObservedMap, Resolver, Target, diff, kind, str_field,
};
use crate::plan::{Action, Change, Plan, decide};
use crate::prune;
use crate::state::{self, Resource, ResourceOrigin, State, StatePaths};
use crate::validate::Loaded;

/// What observation found about the org: who it is, and every object of the kinds
/// the manifests use (sub-resources per existing parent), by kind and normalized key.
#[derive(Debug, Default)]
pub struct Observed {
    /// `GET /api/v2/organizations/me` → `id`.
    pub org_id: String,
    /// The org's name, for messages.
    pub org_name: String,
    /// Raw API objects, by kind name and normalized natural key.
    pub objects: HashMap<&'static str, ObservedMap>,
    /// IDs ↔ natural keys of everything observed (views map IDs to names with it).
    pub resolver: Arc<Resolver>,
}

/// Observe the org: who it is, its home division, and every kind the manifests use.
/// Registers every ID with the context's resolver and sets its home division.
pub(crate) async fn observe(ctx: &mut Ctx, declared: &[Declared]) -> Result<Observed, KindError> {
    observe_with(ctx, declared, &[]).await
}

/// [`observe`], also listing the kinds named in `also` (those the state records, so
/// that orphans are found even when no manifest declares their kind any more).
pub(crate) async fn observe_with(
    ctx: &mut Ctx,
    declared: &[Declared],
    also: &[String],
) -> Result<Observed, KindError> {
    let org = ctx.client.get("/api/v2/organizations/me", &[]).await?;
    let org_id = str_field(&org, "id")
        .ok_or_else(|| KindError::Other("the org answered without an id".into()))?
        .to_string();
    let org_name = str_field(&org, "name").unwrap_or_default().to_string();
    let home = ctx
        .client
        .get("/api/v2/authorization/divisions/home", &[])
        .await?;
    ctx.home_division = str_field(&home, "id").map(str::to_string);
    for k in KINDS {
        let mine: Vec<Declared> = declared
            .iter()
            .filter(|d| d.addr.kind == k.name())
            .cloned()
            .collect();
        if mine.is_empty() && !k.always_observed() && !also.iter().any(|a| a == k.name()) {
            continue;
        }
        let found = k.observe(ctx, &mine).await?;
        ctx.observed
            .write()
            .expect("observed lock")
            .insert(k.name(), found);
    }
    // Sub-kinds read their parents' listings while observing; afterwards the
    // observation is a value of its own.
    let objects = std::mem::take(&mut *ctx.observed.write().expect("observed lock"));
    Ok(Observed {
        org_id,
        org_name,
        objects,
        resolver: ctx.resolver.clone(),
    })
}

/// Build the plan from what is declared, what was observed and what the state knows,
/// managed sets additive unless they say otherwise. Pure: no I/O.
///
/// The plan takes what it needs out of `observed`: a change that acts owns its object,
/// and every declared object left in the observation is cut down to its `id`, `version`
/// and `state` (all that orphans and unmanaged objects are told by). So a plan of a
/// large org holds one copy of it, not two.
pub(crate) fn plan(desired: &Loaded, observed: &mut Observed, state: &State) -> Plan {
    plan_with(desired, observed, state, false)
}

/// [`plan`], with managed sets that declare no policy exclusive when
/// `sets_exclusive` (the project default, `setsPolicy` in genseed.yaml).
pub(crate) fn plan_with(
    desired: &Loaded,
    observed: &mut Observed,
    state: &State,
    sets_exclusive: bool,
) -> Plan {
    let mut changes = Vec::with_capacity(desired.declared.len());
    for (i, d) in desired.declared.iter().enumerate() {
        let k = kind(d.addr.kind).expect("registered kind");
        let mut slot = observed
            .objects
            .get_mut(k.name())
            .and_then(|found| found.get_mut(&d.addr.norm()));
        let found = slot.as_deref();
        let desired_view = k.desired_view(&d.spec);
        let view = found.map(|o| k.observed_view(o, &observed.resolver));
        let mut diffs = diff(&desired_view, view.as_ref().unwrap_or(&Value::Null));
        // Managed sets: what the org has beyond the declared members is removed
        // (exclusive) or only shown (additive).
        let mut unmanaged = Vec::new();
        if let (true, Some(view), Some(o)) = (k.removes_members(), &view, found) {
            let extra = k.extra_members(&desired_view, view, o, &observed.resolver);
            if prune::is_exclusive(&d.spec, sets_exclusive) {
                diffs.extend(extra.into_iter().map(|m| FieldDiff {
                    path: m,
                    before: Some(Value::Bool(true)),
                    after: Value::Null,
                }));
            } else {
                unmanaged = extra;
            }
        }
        let id = if k.is_object() {
            found.and_then(|o| str_field(o, "id")).map(str::to_string)
        } else {
            None
        };
        let in_state = match (&id, state.resources.get(&d.addr.id_key())) {
            (Some(id), Some(r)) => &r.id == id,
            _ => !k.is_object(),
        };
        let mut action = decide(found.is_some(), in_state, &diffs);
        if action == Action::Update && diffs.iter().any(|d| under_any(&d.path, k.replace_fields()))
        {
            action = Action::Replace;
        }
        changes.push(Change {
            // Where it was declared matters to validation only; a plan of a large org
            // does not keep a copy of every file name and pointer.
            declared: Declared {
                addr: d.addr.clone(),
                spec: Arc::clone(&d.spec),
                origin: Default::default(),
            },
            action,
            tier: desired.tiers[i],
            diffs: if action == Action::Create && k.is_object() {
                Vec::new()
            } else {
                diffs
            },
            adopting: found.is_some() && !in_state,
            id,
            depends_on: desired.deps[i]
                .iter()
                .map(|&j| desired.declared[j].addr.clone())
                .collect(),
            unmanaged,
            observed: slot.as_mut().map(|o| Box::new(take_kept(o, action))),
            fingerprint: crate::planfile::fingerprint(view.as_ref()),
            observed_view: view.filter(|_| action != Action::Noop).map(Box::new),
        });
    }
    let order: HashMap<&str, usize> = KINDS
        .iter()
        .enumerate()
        .map(|(i, k)| (k.name(), i))
        .collect();
    changes.sort_by_cached_key(|c| (c.tier, order[c.addr().kind], c.addr().norm()));
    Plan {
        changes,
        // The stubs left in the observation are what orphans are told by.
        orphans: prune::orphans(desired, observed, state),
        ..Plan::default()
    }
}

/// What a change keeps of the observed object in `slot`: all of it when the change
/// acts on the object; for a no-op only its `id`, `version` and `state` (what a saved
/// plan records). The slot is left with that stub either way.
fn take_kept(slot: &mut Value, action: Action) -> Value {
    let mut stub = serde_json::Map::new();
    for field in ["id", "version", "state"] {
        if let Some(v) = slot.get(field) {
            stub.insert(field.into(), v.clone());
        }
    }
    let stub = Value::Object(stub);
    if action == Action::Noop {
        *slot = stub.clone();
        stub
    } else {
        std::mem::replace(slot, stub)
    }
}

/// Whether the dotted `path` is one of `fields` or below one.
pub(crate) fn under_any(path: &str, fields: &[&str]) -> bool {
    fields.iter().any(|f| {
        path.strip_prefix(f)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    })
}

/// Keep only the changes of kinds `selectors` name (`--only`: a group such as
/// `integrations`, a kind name or a manifest key). Objects outside the selection that
/// selected ones reference must already exist in the org; the missing ones are returned.
pub(crate) fn select(plan: &mut Plan, selectors: &[String]) -> Vec<String> {
    if selectors.is_empty() {
        return Vec::new();
    }
    let chosen = |name: &str| {
        kind(name).is_some_and(|k| selectors.iter().any(|s| crate::kinds::selected_by(k, s)))
    };
    let missing_parents: HashSet<&Addr> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Create && !chosen(c.addr().kind))
        .map(Change::addr)
        .collect();
    let mut missing = Vec::new();
    for c in plan.changes.iter().filter(|c| chosen(c.addr().kind)) {
        for d in c.depends_on.iter().filter(|d| missing_parents.contains(d)) {
            missing.push(format!(
                "{} needs {d}, which is not in the org yet",
                c.addr()
            ));
        }
    }
    plan.changes.retain(|c| chosen(c.addr().kind));
    plan.orphans.retain(|o| chosen(o.addr.kind));
    missing
}

/// Hooks for showing progress; the binary implements them with indicatif.
pub(crate) trait Progress: Send + Sync {
    /// Apply is about to run `total` changes.
    fn begin(&self, _total: usize) {}
    /// One change started.
    fn started(&self, _change: &Change) {}
    /// One change ended (`Err` with the message when it failed).
    fn finished(&self, _change: &Change, _result: &Result<(), String>) {}
    /// Apply ended.
    fn end(&self) {}
}

/// No progress output.
pub(crate) struct Silent;
impl Progress for Silent {}

/// The outcome of one apply.
#[derive(Debug, Default, Clone)]
pub(crate) struct Summary {
    /// Created objects (addresses).
    pub created: usize,
    /// Updated objects.
    pub updated: usize,
    /// Adopted objects.
    pub adopted: usize,
    /// Unchanged objects.
    pub unchanged: usize,
    /// Replaced objects (deleted and created again).
    pub replaced: usize,
    /// Orphans deleted from the org (and the state).
    pub deleted: usize,
    /// Orphans forgotten (removed from the state, left in the org).
    pub forgotten: usize,
    /// Failed changes: address and message.
    pub failed: Vec<(String, String)>,
    /// Changes not attempted because something they depend on failed.
    pub skipped: Vec<(String, String)>,
    /// Changes not started because the run was interrupted (addresses).
    pub not_started: Vec<String>,
    /// The run was interrupted.
    pub interrupted: bool,
    /// Wall time.
    pub elapsed: std::time::Duration,
}

impl Summary {
    /// Whether the run reached its goal.
    pub(crate) fn ok(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && !self.interrupted
    }
}

/// The state, shared by the tasks of an apply and recorded after every change (a line
/// in the state's journal; the file is compacted by [`StateWriter::finish`]).
pub(crate) struct StateWriter {
    inner: Mutex<(State, state::Journal)>,
    /// A save failed: changes made from now on could not be recorded either.
    broken: AtomicBool,
}

impl StateWriter {
    /// Wrap a loaded state.
    pub(crate) fn new(paths: StatePaths, state: State) -> Self {
        StateWriter {
            inner: Mutex::new((state, state::Journal::new(paths))),
            broken: AtomicBool::new(false),
        }
    }

    /// Whether a save has failed (apply then starts no further change).
    pub(crate) fn broken(&self) -> bool {
        self.broken.load(Ordering::SeqCst)
    }

    /// Record an object's ID (one journal line). `created`: genseed made it; otherwise
    /// an entry with the same ID keeps its origin and a new one is adopted.
    pub(crate) fn record(
        &self,
        addr: &Addr,
        id: &str,
        created: bool,
    ) -> Result<(), state::StateError> {
        let mut guard = self.inner.lock().expect("state lock");
        let (s, journal) = &mut *guard;
        let origin = match s.resources.get(&addr.id_key()) {
            _ if created => ResourceOrigin::Created,
            Some(r) if r.id == id => r.origin,
            _ => ResourceOrigin::Adopted,
        };
        let entry = Resource::new(addr.kind, &addr.key, id).with_origin(origin);
        if s.resources.get(&addr.id_key()) == Some(&entry) {
            return Ok(());
        }
        let saved = journal.change(s, &addr.id_key(), Some(entry));
        if saved.is_err() {
            self.broken.store(true, Ordering::SeqCst);
        }
        saved
    }

    /// Remove an object from the state (one journal line).
    pub(crate) fn forget(&self, addr: &Addr) -> Result<(), state::StateError> {
        let mut guard = self.inner.lock().expect("state lock");
        let (s, journal) = &mut *guard;
        if !s.resources.contains_key(&addr.id_key()) {
            return Ok(());
        }
        let saved = journal.change(s, &addr.id_key(), None);
        if saved.is_err() {
            self.broken.store(true, Ordering::SeqCst);
        }
        saved
    }

    /// Set the org id and write the file.
    pub(crate) fn set_org(&self, org_id: &str) -> Result<(), state::StateError> {
        let mut guard = self.inner.lock().expect("state lock");
        let (s, journal) = &mut *guard;
        if s.org_id.as_deref() == Some(org_id) {
            return Ok(());
        }
        s.org_id = Some(org_id.to_string());
        journal.save(s)
    }

    /// At the end of a run: fold the journal into the state file. Failing, nothing is
    /// lost (the journal still holds every change, and the next read replays it).
    pub(crate) fn finish(&self) -> Result<(), state::StateError> {
        let mut guard = self.inner.lock().expect("state lock");
        let (s, journal) = &mut *guard;
        journal.compact(s)
    }
}

/// Apply options.
pub(crate) struct ApplyOptions {
    /// Changes running at once within a tier.
    pub parallelism: usize,
    /// Set (e.g. by Ctrl-C) to stop starting new changes.
    pub interrupted: Arc<AtomicBool>,
}

/// Execute the plan. Never returns early on a failed change: every failure is
/// collected, and everything that does not depend on it still runs.
pub(crate) async fn apply(
    ctx: &Ctx,
    plan: &Plan,
    writer: Arc<StateWriter>,
    opts: &ApplyOptions,
    progress: Arc<dyn Progress>,
) -> Summary {
    let started = Instant::now();
    let mut summary = Summary::default();
    let mut failed: HashSet<Addr> = HashSet::new();
    let semaphore = Arc::new(Semaphore::new(opts.parallelism.max(1)));
    progress.begin(
        plan.changes
            .iter()
            .filter(|c| c.action != Action::Noop)
            .count(),
    );
    for tier in plan.tiers() {
        let mut set = JoinSet::new();
        for change in plan.changes.iter().filter(|c| c.tier == tier) {
            if let Some(bad) = change.depends_on.iter().find(|d| failed.contains(*d)) {
                failed.insert(change.addr().clone());
                summary.skipped.push((
                    change.addr().to_string(),
                    format!("depends on {bad}, which failed"),
                ));
                continue;
            }
            if change.action == Action::Noop {
                summary.unchanged += 1;
                continue;
            }
            let permit = semaphore
                .clone()
                .acquire_owned()
                .await
                .expect("open semaphore");
            // Checked once a slot is free, so nothing starts after the flag is set.
            if opts.interrupted.load(Ordering::SeqCst) {
                // Not a failure: what depends on it is not started either (the flag
                // stays set), and is counted the same way.
                summary.interrupted = true;
                summary.not_started.push(change.addr().to_string());
                continue;
            }
            if writer.broken() {
                failed.insert(change.addr().clone());
                summary.skipped.push((
                    change.addr().to_string(),
                    "not started: the state file could not be written".into(),
                ));
                continue;
            }
            let (ctx, writer, progress, change) = (
                ctx.clone(),
                writer.clone(),
                progress.clone(),
                change.clone(),
            );
            set.spawn(async move {
                let _permit = permit;
                progress.started(&change);
                let result = run_one(&ctx, &change, &writer).await;
                let shown = result.as_ref().map(|_| ()).map_err(|e| e.to_string());
                progress.finished(&change, &shown);
                (change, shown)
            });
        }
        collect_tier(&mut set, &mut summary, &mut failed).await;
    }
    // Deletes after every create and update.
    prune::run_orphans(ctx, plan, &writer, &opts.interrupted, &mut summary).await;
    if let Err(e) = writer.finish() {
        tracing::warn!("the state journal was not compacted ({e}); the next run reads it");
    }
    if opts.interrupted.load(Ordering::SeqCst) {
        summary.interrupted = true;
    }
    progress.end();
    summary.elapsed = started.elapsed();
    summary
}

/// The outcome of one change, as a tier's task reports it.
type Outcome = (Change, Result<(), String>);

/// Wait for every change of a tier and count its outcome; a failed change's address
/// goes into `failed`, so what depends on it is skipped.
async fn collect_tier(
    set: &mut JoinSet<Outcome>,
    summary: &mut Summary,
    failed: &mut HashSet<Addr>,
) {
    while let Some(joined) = set.join_next().await {
        let (change, result) = match joined {
            Ok(r) => r,
            Err(e) => {
                summary.failed.push(("(task)".into(), e.to_string()));
                continue;
            }
        };
        match result {
            Ok(()) => match change.action {
                Action::Create => summary.created += 1,
                Action::Update => summary.updated += 1,
                Action::Adopt => summary.adopted += 1,
                Action::Noop => summary.unchanged += 1,
                Action::Replace => summary.replaced += 1,
            },
            Err(message) => {
                failed.insert(change.addr().clone());
                summary.failed.push((change.addr().to_string(), message));
            }
        }
    }
}

/// Errors of one change.
#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error(transparent)]
    Kind(#[from] KindError),
    #[error(
        "done in the org but not recorded in the state ({0}); no further change was started: make the state writable and run apply again, which adopts it by its name"
    )]
    State(#[from] state::StateError),
}

async fn run_one(ctx: &Ctx, change: &Change, writer: &StateWriter) -> Result<(), RunError> {
    let d = &change.declared;
    let k = kind(d.addr.kind).expect("registered kind");
    let target = Target {
        declared: d,
        observed: change.observed.as_deref(),
        observed_view: change.observed_view.as_deref(),
    };
    let id = match change.action {
        Action::Adopt => change.id.clone().unwrap_or_default(),
        Action::Replace => k.replace(ctx, target).await?,
        _ => k.apply(ctx, target).await?,
    };
    // Exclusive managed sets: the members planned for removal.
    let removed: Vec<String> = change
        .diffs
        .iter()
        .filter(|f| f.after.is_null() && f.before.is_some())
        .map(|f| f.path.clone())
        .collect();
    if !k.is_object() && !removed.is_empty() {
        k.remove_members(ctx, &d.addr.key, &removed).await?;
    }
    if k.is_object() {
        ctx.resolver.insert(k.name(), &d.addr.key, &id);
        let created = matches!(change.action, Action::Create | Action::Replace);
        writer.record(&d.addr, &id, created)?;
    }
    Ok(())
}

/// A fresh context for one run.
pub(crate) fn context(client: ApiClient) -> Ctx {
    Ctx {
        client,
        resolver: Arc::new(Resolver::default()),
        home_division: None,
        observed: Default::default(),
        secrets: Default::default(),
        queue_pacing: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::for_tests::{division, queue, skill, trigger};
    use crate::kinds::{Addr, Origin};
    use serde_json::json;

    fn declared(kind: &'static str, spec: Value) -> Declared {
        let key = spec["name"].as_str().unwrap().to_string();
        Declared {
            addr: Addr::new(kind, key),
            spec: Arc::new(spec),
            origin: Origin::default(),
        }
    }

    /// Two skills and a queue that references a division, as validate would load them.
    fn desired() -> Loaded {
        let declared = vec![
            declared(division(), json!({"name": "Ops", "description": "d"})),
            declared(skill(), json!({"name": "Billing"})),
            declared(skill(), json!({"name": "Sales"})),
            declared(
                queue(),
                json!({"name": "Q", "division": "Ops", "description": "new"}),
            ),
        ];
        Loaded {
            declared,
            deps: vec![vec![], vec![], vec![], vec![0]],
            tiers: vec![0, 1, 1, 1],
            files: Vec::new(),
        }
    }

    fn observed() -> Observed {
        let resolver = Arc::new(Resolver::default());
        resolver.insert(division(), "Ops", "div-1");
        let mut objects: HashMap<&'static str, ObservedMap> = HashMap::new();
        objects.insert(
            division(),
            [(
                "ops".to_string(),
                json!({"id": "div-1", "name": "Ops", "description": "d"}),
            )]
            .into(),
        );
        objects.insert(
            skill(),
            [(
                "billing".to_string(),
                json!({"id": "sk-1", "name": "Billing"}),
            )]
            .into(),
        );
        objects.insert(
            queue(),
            [(
                "q".to_string(),
                json!({"id": "q-1", "name": "Q", "division": {"id": "div-1"}, "description": "old"}),
            )]
            .into(),
        );
        Observed {
            org_id: "org".into(),
            org_name: "Org".into(),
            objects,
            resolver,
        }
    }

    fn action_of(plan: &Plan, key: &str) -> Action {
        plan.changes
            .iter()
            .find(|c| c.addr().key == key)
            .map(|c| c.action)
            .unwrap()
    }

    #[test]
    fn plan_decides_create_adopt_update_and_noop() {
        let mut state = State::new("t");
        state.resources.insert(
            format!("{}/ops", division()),
            crate::state::Resource::new(division(), "Ops", "div-1"),
        );
        let plan = plan(&desired(), &mut observed(), &state);
        assert_eq!(action_of(&plan, "Ops"), Action::Noop);
        assert_eq!(action_of(&plan, "Billing"), Action::Adopt);
        assert_eq!(action_of(&plan, "Sales"), Action::Create);
        assert_eq!(action_of(&plan, "Q"), Action::Update);
        let q = plan.changes.iter().find(|c| c.addr().key == "Q").unwrap();
        assert_eq!(q.diffs.len(), 1);
        assert_eq!(q.diffs[0].path, "description");
        assert_eq!(q.depends_on, vec![Addr::new(division(), "Ops")]);
        assert_eq!(q.id.as_deref(), Some("q-1"));
        // Tier, then registry order (skills before queues), then key.
        let order: Vec<&str> = plan.changes.iter().map(|c| c.addr().key.as_str()).collect();
        assert_eq!(order, ["Ops", "Billing", "Sales", "Q"]);
    }

    #[test]
    fn the_plan_takes_the_objects_it_acts_on_and_leaves_stubs() {
        let mut state = State::new("t");
        state.resources.insert(
            format!("{}/ops", division()),
            crate::state::Resource::new(division(), "Ops", "div-1"),
        );
        let mut observation = observed();
        let plan = plan(&desired(), &mut observation, &state);
        let q = plan.changes.iter().find(|c| c.addr().key == "Q").unwrap();
        // The update owns the whole object and its view.
        assert_eq!(q.observed.as_ref().unwrap()["description"], "old");
        assert!(q.observed_view.is_some());
        // The no-op keeps the fingerprint of its view, not the view.
        let ops = plan.changes.iter().find(|c| c.addr().key == "Ops").unwrap();
        assert!(ops.observed_view.is_none());
        assert_eq!(
            ops.fingerprint,
            crate::planfile::fingerprint(Some(&kind(division()).unwrap().observed_view(
                &observed().objects[division()]["ops"],
                &observation.resolver
            )))
        );
        // What is left in the observation is what orphans are told by.
        assert_eq!(observation.objects[queue()]["q"], json!({"id": "q-1"}));
        assert_eq!(
            observation.objects[division()]["ops"],
            json!({"id": "div-1"})
        );
        let nothing = Loaded {
            declared: Vec::new(),
            deps: Vec::new(),
            tiers: Vec::new(),
            files: Vec::new(),
        };
        let orphans = prune::orphans(&nothing, &observation, &state);
        assert_eq!(orphans.len(), 1);
        assert!(orphans[0].exists);
    }

    #[test]
    fn a_state_entry_with_another_id_is_adopted_again() {
        let mut state = State::new("t");
        state.resources.insert(
            format!("{}/billing", skill()),
            crate::state::Resource::new(skill(), "Billing", "old"),
        );
        let plan = plan(&desired(), &mut observed(), &state);
        assert_eq!(action_of(&plan, "Billing"), Action::Adopt);
    }

    #[test]
    fn plans_round_trip_through_json() {
        let plan = plan(&desired(), &mut observed(), &State::new("t"));
        let text = serde_json::to_string(&plan).unwrap();
        let back: Plan = serde_json::from_str(&text).unwrap();
        assert_eq!(back.changes.len(), plan.changes.len());
        for (a, b) in plan.changes.iter().zip(&back.changes) {
            assert_eq!(a.addr(), b.addr());
            assert_eq!(a.action, b.action);
            assert_eq!(a.diffs, b.diffs);
            assert_eq!(a.depends_on, b.depends_on);
            assert_eq!(a.declared.spec, b.declared.spec);
        }
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["changes"][3]["address"], format!("{}/Q", queue()));
        assert_eq!(
            doc["changes"][3]["dependsOn"][0]["address"],
            format!("{}/Ops", division())
        );
        assert!(doc["changes"][3].get("observed").is_none());
        let bad = text.replace(&format!("\"kind\":\"{}\"", queue()), "\"kind\":\"nope\"");
        assert!(serde_json::from_str::<Plan>(&bad).is_err());
    }

    #[test]
    fn select_reports_references_outside_the_selection_that_do_not_exist() {
        let mut d = desired();
        d.declared.push(declared(trigger(), json!({"name": "T"})));
        d.deps.push(vec![2]);
        d.tiers.push(2);
        let mut plan = plan(&d, &mut observed(), &State::new("t"));
        let missing = select(&mut plan, &[trigger().to_string()]);
        assert_eq!(
            missing,
            [format!(
                "{}/T needs {}/Sales, which is not in the org yet",
                trigger(),
                skill()
            )]
        );
        assert_eq!(plan.changes.len(), 1);
    }

    #[test]
    fn replace_fields_match_whole_path_segments() {
        assert!(under_any("contract", &["contract"]));
        assert!(under_any("contract.input", &["contract"]));
        assert!(!under_any("contractor", &["contract"]));
    }
}
