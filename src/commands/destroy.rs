//! `genseed destroy`: delete everything the state says genseed created, in reverse
//! dependency order, after showing the plan and having the org's name typed (or
//! `--auto-approve`). Adopted objects are forgotten, never deleted. Refused on
//! environments marked `protected: true`. Meant for test orgs and the emulator.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::anyhow;

use crate::cli::{Cli, DestroyArgs};
use crate::plan::Plan;
use crate::prune::{self, PruneOptions};
use crate::reconcile::{self, ApplyOptions, Silent, StateWriter};
use crate::report::{self, Ui, Verbosity, render_plan};
use crate::validate::Loaded;

/// Run it.
pub(super) async fn run(cli: &Cli, args: &DestroyArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let settings = super::settings(cli, Some(&args.run), ui)?;
    if settings.protected {
        return Err(anyhow!(
            "environment `{}` is protected (`protected: true` in genseed.yaml): destroy is refused, nothing was changed\nhint: to remove single objects, delete them from the manifests and apply with --prune",
            settings.env
        ));
    }
    let (mut prepared, _lock) = super::prepare(settings, true, ui).await?;
    // Nothing is declared any more: every object of the state is an orphan.
    let nothing = Loaded {
        declared: Vec::new(),
        deps: Vec::new(),
        tiers: Vec::new(),
        files: Vec::new(),
    };
    prepared.plan = Plan {
        orphans: prune::orphans(&nothing, &prepared.observation, &prepared.state),
        ..Plan::default()
    };
    prune::set_actions(
        &mut prepared.plan,
        PruneOptions {
            prune: true,
            prune_adopted: false,
        },
    );
    super::integrations::select(&mut prepared, &args.run.only)?;
    let label = super::org_label(&prepared);
    let plan_text = render_plan(&prepared.plan, &label, &prepared.settings.env, ui);
    if ui.json {
        if !args.auto_approve {
            report::err(&plan_text);
        }
    } else if ui.verbosity != Verbosity::Quiet {
        report::out(&plan_text);
    }
    if !prepared.plan.has_changes() {
        if !ui.json {
            report::out("Nothing to destroy: the state records no object.\n");
        }
        return Ok(ExitCode::SUCCESS);
    }
    super::permissions::check(&prepared, args.run.require_permission_check, ui).await?;
    if !args.auto_approve {
        confirm(&prepared.observation.org_name, &prepared.settings.env)?;
    }
    crate::state::check_writable(&prepared.state_paths, &prepared.state)?;
    let writer = Arc::new(StateWriter::new(
        prepared.state_paths.clone(),
        prepared.state.clone(),
    ));
    writer.set_org(&prepared.observation.org_id)?;
    let opts = ApplyOptions {
        parallelism: 1,
        interrupted: Arc::new(AtomicBool::new(false)),
    };
    let summary = reconcile::apply(
        &prepared.ctx,
        &prepared.plan,
        writer,
        &opts,
        Arc::new(Silent),
    )
    .await;
    super::apply::show_outcome(&prepared, &summary, ui);
    Ok(if summary.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Have the org's name typed on a terminal.
fn confirm(org_name: &str, env: &str) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(anyhow!(
            "refusing to destroy without confirmation: standard input is not a terminal\nhint: review the plan above, then run again with --auto-approve"
        ));
    }
    report::err(&format!(
        "Delete the objects above from environment `{env}`? Type the org's name ({org_name}) to confirm: "
    ));
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != org_name || org_name.is_empty() {
        return Err(anyhow!("destroy cancelled; nothing was changed"));
    }
    Ok(())
}
