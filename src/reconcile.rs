//! Check-then-act: observe the org, plan one action per declared object, apply the
//! plan tier by tier.
//!
//! Observation lists each kind once (sub-resources once per existing parent) and
//! matches by natural key client-side. Apply runs the tiers in order with bounded
//! concurrency inside a tier; IDs resolved in a tier feed the next. The state file is
//! written after every completed change, so a run killed at any moment loses nothing;
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
use crate::kinds::{
    Addr, Ctx, Declared, KINDS, KindError, ObservedMap, Resolver, Target, diff, kind,
};
use crate::plan::{Action, Change, Plan, decide};
use crate::state::{self, Resource, State, StatePaths};

/// What observation found about the org.
pub struct Observation {
    /// `GET /api/v2/organizations/me` → `id`.
    pub org_id: String,
    /// The org's name, for messages.
    pub org_name: String,
}

/// Observe the org: who it is, its home division, and every kind the manifests use.
/// Fills `ctx.observed` and the resolver.
pub async fn observe(ctx: &mut Ctx, declared: &[Declared]) -> Result<Observation, KindError> {
    let org = ctx.client.get("/api/v2/organizations/me", &[]).await?;
    let org_id = org
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| KindError::Other("the org answered without an id".into()))?
        .to_string();
    let org_name = org
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let home = ctx
        .client
        .get("/api/v2/authorization/divisions/home", &[])
        .await?;
    ctx.home_division = home.get("id").and_then(Value::as_str).map(str::to_string);
    for k in KINDS {
        let mine: Vec<Declared> = declared
            .iter()
            .filter(|d| d.addr.kind == k.name())
            .cloned()
            .collect();
        // Divisions are always listed: every view maps division IDs to names.
        if mine.is_empty() && k.name() != "division" {
            continue;
        }
        let found = k.observe(ctx, &mine).await?;
        ctx.observed
            .write()
            .expect("observed lock")
            .insert(k.name(), found);
    }
    Ok(Observation { org_id, org_name })
}

/// Build the plan from what is declared, what was observed and what the state knows.
pub fn plan(ctx: &Ctx, declared: &[Declared], tiers: &[usize], state: &State) -> Plan {
    let observed = ctx.observed.read().expect("observed lock");
    let empty = ObservedMap::new();
    let mut changes = Vec::with_capacity(declared.len());
    for (i, d) in declared.iter().enumerate() {
        let k = kind(d.addr.kind).expect("registered kind");
        let found = observed.get(k.name()).unwrap_or(&empty).get(&d.addr.norm());
        let desired = k.desired_view(&d.spec);
        let view = found.map(|o| k.observed_view(o, &ctx.resolver));
        let diffs = diff(&desired, view.as_ref().unwrap_or(&Value::Null));
        let id = if k.is_object() {
            found
                .and_then(|o| o.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string)
        } else {
            None
        };
        let in_state = match (&id, state.resources.get(&d.addr.id_key())) {
            (Some(id), Some(r)) => &r.id == id,
            _ => !k.is_object(),
        };
        let mut action = decide(found.is_some(), in_state, &diffs);
        if action == Action::Update
            && diffs.iter().any(|d| {
                k.replace_fields()
                    .iter()
                    .any(|f| d.path == *f || d.path.starts_with(&format!("{f}.")))
            })
        {
            action = Action::Replace;
        }
        changes.push(Change {
            addr: d.addr.clone(),
            action,
            tier: tiers[i],
            diffs: if action == Action::Create && k.is_object() {
                Vec::new()
            } else {
                diffs
            },
            adopting: found.is_some() && !in_state,
            declared: i,
            id,
            observed: found.cloned(),
            observed_view: view,
        });
    }
    let order: HashMap<&str, usize> = KINDS
        .iter()
        .enumerate()
        .map(|(i, k)| (k.name(), i))
        .collect();
    changes.sort_by(|a, b| {
        (a.tier, order[a.addr.kind], a.addr.norm()).cmp(&(
            b.tier,
            order[b.addr.kind],
            b.addr.norm(),
        ))
    });
    Plan { changes }
}

/// Keep only the changes of kinds `selectors` name (`--only`: a group such as
/// `integrations`, a kind name or a manifest key). Objects outside the selection that
/// selected ones reference must already exist in the org; the missing ones are returned.
pub fn select(
    plan: &mut Plan,
    declared: &[Declared],
    deps: &[Vec<usize>],
    selectors: &[String],
) -> Vec<String> {
    if selectors.is_empty() {
        return Vec::new();
    }
    let chosen = |name: &str| {
        kind(name).is_some_and(|k| selectors.iter().any(|s| crate::kinds::selected_by(k, s)))
    };
    let missing_parents: HashSet<usize> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Create && !chosen(c.addr.kind))
        .map(|c| c.declared)
        .collect();
    let mut missing = Vec::new();
    for c in plan.changes.iter().filter(|c| chosen(c.addr.kind)) {
        for d in &deps[c.declared] {
            if missing_parents.contains(d) {
                missing.push(format!(
                    "{} needs {}, which is not in the org yet",
                    c.addr, declared[*d].addr
                ));
            }
        }
    }
    plan.changes.retain(|c| chosen(c.addr.kind));
    missing
}

/// Hooks for showing progress; the binary implements them with indicatif.
pub trait Progress: Send + Sync {
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
pub struct Silent;
impl Progress for Silent {}

/// The outcome of one apply.
#[derive(Debug, Default, Clone)]
pub struct Summary {
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
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && !self.interrupted
    }
}

/// The state, shared by the tasks of an apply and saved after every change.
pub struct StateWriter {
    paths: StatePaths,
    state: Mutex<State>,
}

impl StateWriter {
    /// Wrap a loaded state.
    pub fn new(paths: StatePaths, state: State) -> Self {
        StateWriter {
            paths,
            state: Mutex::new(state),
        }
    }

    /// Record an object's ID and write the file (atomically).
    pub fn record(&self, addr: &Addr, id: &str) -> Result<(), state::StateError> {
        let entry = Resource::new(addr.kind, &addr.key, id);
        let mut s = self.state.lock().expect("state lock");
        if s.resources.get(&addr.id_key()) == Some(&entry) {
            return Ok(());
        }
        s.resources.insert(addr.id_key(), entry);
        state::save(&self.paths, &mut s)
    }

    /// Set the org id and write the file.
    pub fn set_org(&self, org_id: &str) -> Result<(), state::StateError> {
        let mut s = self.state.lock().expect("state lock");
        if s.org_id.as_deref() == Some(org_id) {
            return Ok(());
        }
        s.org_id = Some(org_id.to_string());
        state::save(&self.paths, &mut s)
    }
}

/// Apply options.
pub struct ApplyOptions {
    /// Changes running at once within a tier.
    pub parallelism: usize,
    /// Set (e.g. by Ctrl-C) to stop starting new changes.
    pub interrupted: Arc<AtomicBool>,
}

/// Execute the plan. Never returns early on a failed change: every failure is
/// collected, and everything that does not depend on it still runs.
pub async fn apply(
    ctx: &Ctx,
    declared: Arc<Vec<Declared>>,
    deps: &[Vec<usize>],
    plan: &Plan,
    writer: Arc<StateWriter>,
    opts: &ApplyOptions,
    progress: Arc<dyn Progress>,
) -> Summary {
    let started = Instant::now();
    let mut summary = Summary::default();
    let mut failed: HashSet<usize> = HashSet::new();
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
            if let Some(&bad) = deps[change.declared].iter().find(|d| failed.contains(d)) {
                failed.insert(change.declared);
                summary.skipped.push((
                    change.addr.to_string(),
                    format!("depends on {}, which failed", declared[bad].addr),
                ));
                continue;
            }
            if change.action == Action::Noop {
                summary.unchanged += 1;
                continue;
            }
            if opts.interrupted.load(Ordering::SeqCst) {
                // Not a failure: what depends on it is not started either (the flag
                // stays set), and is counted the same way.
                summary.interrupted = true;
                summary.not_started.push(change.addr.to_string());
                continue;
            }
            let permit = semaphore
                .clone()
                .acquire_owned()
                .await
                .expect("open semaphore");
            let (ctx, declared, writer, progress, change) = (
                ctx.clone(),
                declared.clone(),
                writer.clone(),
                progress.clone(),
                change.clone(),
            );
            set.spawn(async move {
                let _permit = permit;
                progress.started(&change);
                let result = run_one(&ctx, &declared, &change, &writer).await;
                let shown = result.as_ref().map(|_| ()).map_err(|e| e.to_string());
                progress.finished(&change, &shown);
                (change, shown)
            });
        }
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
                    failed.insert(change.declared);
                    summary.failed.push((change.addr.to_string(), message));
                }
            }
        }
    }
    if opts.interrupted.load(Ordering::SeqCst) {
        summary.interrupted = true;
    }
    progress.end();
    summary.elapsed = started.elapsed();
    summary
}

/// Errors of one change.
#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error(transparent)]
    Kind(#[from] KindError),
    #[error("the change was made but the state could not be written: {0}")]
    State(#[from] state::StateError),
}

async fn run_one(
    ctx: &Ctx,
    declared: &[Declared],
    change: &Change,
    writer: &StateWriter,
) -> Result<(), RunError> {
    let d = &declared[change.declared];
    let k = kind(d.addr.kind).expect("registered kind");
    let target = Target {
        declared: d,
        observed: change.observed.as_ref(),
        observed_view: change.observed_view.as_ref(),
    };
    let id = match change.action {
        Action::Adopt => change.id.clone().unwrap_or_default(),
        Action::Replace => k.replace(ctx, target).await?,
        _ => k.apply(ctx, target).await?,
    };
    if k.is_object() {
        ctx.resolver.insert(k.name(), &d.addr.key, &id);
        writer.record(&d.addr, &id)?;
    }
    Ok(())
}

/// A fresh context for one run.
pub fn context(client: ApiClient) -> Ctx {
    Ctx {
        client,
        resolver: Arc::new(Resolver::default()),
        home_division: None,
        observed: Default::default(),
        secrets: Default::default(),
    }
}
