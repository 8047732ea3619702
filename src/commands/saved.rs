//! Saved plans on the command line: `plan --out FILE` writes one; `apply FILE` reads it
//! back, checks that the world it was computed from still holds, and prepares exactly
//! its changes (nothing is planned again).
//!
//! The fresh read before apply lists only the kinds of the objects the plan changes
//! and of the objects those reference (whose IDs the changes need); kinds the plan
//! leaves alone are not read.

use std::path::Path;

use anyhow::{Context as _, anyhow};

use super::Prepared;
use crate::cli::{ApplyArgs, Cli};
use crate::kinds::kind;
use crate::plan::Action;
use crate::planfile::{self, Binding, OrgInfo, PlanFile};
use crate::reconcile;
use crate::report::Ui;
use crate::state::{self, StatePaths};
use crate::validate::Loaded;

/// Save the plan of `prepared` to `path`.
pub(super) fn write(prepared: &Prepared, path: &Path) -> anyhow::Result<()> {
    let file = PlanFile::new(
        &prepared.plan,
        &prepared.settings.env,
        OrgInfo {
            id: prepared.observation.org_id.clone(),
            name: prepared.observation.org_name.clone(),
        },
        &prepared.state,
        planfile::digest(&prepared.loaded, &prepared.settings.seeds),
        planfile::unix_now(),
    );
    std::fs::write(path, file.to_json())
        .with_context(|| format!("cannot write the plan file {}", path.display()))
}

/// The refusal naming everything that moved.
fn refuse(path: &Path, moved: &[String]) -> anyhow::Error {
    let lines: Vec<String> = moved.iter().map(|m| format!("  - {m}")).collect();
    anyhow!(
        "the saved plan {} no longer matches the world it was made in, so nothing was changed:\n{}\nhint: make a new plan (`genseed plan --out FILE`), review it and apply that one",
        path.display(),
        lines.join("\n")
    )
}

/// Read the plan file at `path`, check it still holds, and prepare its changes. Also
/// returns the lock on the state and the plan's id.
pub(super) async fn prepare(
    cli: &Cli,
    args: &ApplyArgs,
    path: &Path,
    ui: &Ui,
) -> anyhow::Result<(Prepared, state::StateLock, String)> {
    let file = PlanFile::read(path)?;
    let settings = super::settings(cli, Some(&args.run), ui)?;
    let manifests = if args.ignore_manifest_changes || file.env != settings.env {
        None
    } else {
        let now = super::load(&settings, ui)?;
        Some(planfile::digest(&now, &settings.seeds))
    };
    let state_paths = StatePaths::new(&settings.state_dir, &settings.env);
    let guard = state::lock(&state_paths)?;
    let state = state::load(&state_paths, &settings.env)?;
    let moved = planfile::check_binding(
        &file,
        &Binding {
            env: &settings.env,
            state: &state,
            manifests: manifests.as_ref(),
            now: planfile::unix_now(),
            max_age: args.max_age.unwrap_or(planfile::DEFAULT_MAX_AGE),
        },
    );
    if !moved.is_empty() {
        let mut e = refuse(path, &moved);
        if manifests.is_some_and(|m| m.hash != file.manifests.hash) {
            e = anyhow!(
                "{e}\nhint: to apply this plan as it was reviewed anyway, add --ignore-manifest-changes"
            );
        }
        return Err(e);
    }
    let conn = super::connect(&settings).await?;
    let mut ctx = reconcile::context(conn.client.clone());
    // The IDs known when the plan was made: views name what they reference as then.
    for c in &file.changes {
        if let (Some(id), Some(k)) = (&c.change.id, kind(c.change.addr().kind)) {
            ctx.resolver.insert(k.name(), &c.change.addr().key, id);
        }
    }
    let all = loaded_of(&file);
    let touched = touched(&file, &all);
    let mut observation = reconcile::observe(&mut ctx, &touched.declared)
        .await
        .with_context(|| format!("cannot read the org ({})", conn.describe))?;
    if observation.org_id != file.org.id {
        return Err(refuse(
            path,
            &[format!(
                "the plan was made for org {}, but environment `{}` now points at org {}",
                file.org.id, settings.env, observation.org_id
            )],
        ));
    }
    let fresh = reconcile::plan(&touched, &mut observation, &state);
    let resume = planfile::resuming(&file, &state);
    let plan = planfile::reconcile_fresh(&file, &fresh, resume).map_err(|m| refuse(path, &m))?;
    Ok((
        Prepared {
            settings,
            loaded: all,
            conn,
            ctx,
            observation,
            state_paths,
            state,
            plan,
        },
        guard,
        file.plan_id,
    ))
}

/// The declared objects of a saved plan, with their tiers and dependencies.
fn loaded_of(file: &PlanFile) -> Loaded {
    let declared: Vec<_> = file
        .changes
        .iter()
        .map(|c| c.change.declared.clone())
        .collect();
    let index: std::collections::HashMap<_, _> = declared
        .iter()
        .enumerate()
        .map(|(i, d)| (d.addr.clone(), i))
        .collect();
    Loaded {
        deps: file
            .changes
            .iter()
            .map(|c| {
                c.change
                    .depends_on
                    .iter()
                    .filter_map(|a| index.get(a).copied())
                    .collect()
            })
            .collect(),
        tiers: file.changes.iter().map(|c| c.change.tier).collect(),
        declared,
        files: Vec::new(),
    }
}

/// The objects the plan changes and those they reference (`all` is `file`'s
/// objects in the same order), re-indexed.
fn touched(file: &PlanFile, all: &Loaded) -> Loaded {
    let mut keep = vec![false; all.declared.len()];
    for (i, c) in file.changes.iter().enumerate() {
        if c.change.action != Action::Noop {
            keep[i] = true;
            for &j in &all.deps[i] {
                keep[j] = true;
            }
        }
    }
    let mut new_index = vec![usize::MAX; keep.len()];
    let mut out = Loaded {
        declared: Vec::new(),
        deps: Vec::new(),
        tiers: Vec::new(),
        files: Vec::new(),
    };
    for i in (0..keep.len()).filter(|&i| keep[i]) {
        new_index[i] = out.declared.len();
        out.declared.push(all.declared[i].clone());
        out.tiers.push(all.tiers[i]);
    }
    for i in (0..keep.len()).filter(|&i| keep[i]) {
        out.deps.push(
            all.deps[i]
                .iter()
                .filter(|&&j| keep[j])
                .map(|&j| new_index[j])
                .collect(),
        );
    }
    out
}
