//! `genseed apply`: plan (or read a saved plan and check it still holds), confirm,
//! execute tier by tier, summarize.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::anyhow;

use crate::cli::{ApplyArgs, Cli};
use crate::reconcile::{self, ApplyOptions, Progress, StateWriter, Summary};
use crate::report::{
    self, ConsoleProgress, ProgressConfig, Ui, Verbosity, render_plan, render_summary,
};

/// Run it.
pub(super) async fn run(cli: &Cli, args: &ApplyArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    // A saved plan is applied as it was reviewed; otherwise plan now.
    let (mut prepared, _lock, plan_id) = match &args.plan_file {
        Some(path) => {
            let (prepared, lock, id) = super::saved::prepare(cli, args, path, ui).await?;
            (prepared, Some(lock), Some(id))
        }
        None => {
            let settings = super::settings(cli, Some(&args.run), ui)?;
            let (mut prepared, lock) = super::prepare(settings, true, ui).await?;
            super::integrations::select(&mut prepared, &args.run.only)?;
            super::policies(&mut prepared, &args.run)?;
            (prepared, lock, None)
        }
    };
    let label = super::org_label(&prepared);
    let plan_text = || render_plan(&prepared.plan, &label, &prepared.settings.env, ui);
    if ui.json {
        // stdout carries only the JSON document; whoever confirms sees the plan.
        if !args.auto_approve {
            report::err(&plan_text());
        }
    } else if ui.verbosity != Verbosity::Quiet {
        report::out(&plan_text());
    }
    // Nothing is written (org or state) before these checks pass.
    super::integrations::check_replaces(&prepared, args.allow_replace)?;
    super::integrations::check_urls(&prepared, args.run.skip_url_check, ui).await?;
    super::permissions::check(&prepared, args.run.require_permission_check, ui).await?;
    super::integrations::load_secrets(&mut prepared, ui)?;
    // Before the first change: a state that cannot be saved would leave objects created
    // but not recorded.
    crate::state::check_writable(&prepared.state_paths, &prepared.state)?;
    // Which saved plan is running, so that running its file again after an
    // interruption resumes it (a plain apply clears the mark).
    if prepared.plan.has_changes() && prepared.state.plan_id != plan_id {
        prepared.state.plan_id = plan_id.clone();
        crate::state::save(&prepared.state_paths, &mut prepared.state)?;
    }
    let writer = Arc::new(StateWriter::new(
        prepared.state_paths.clone(),
        prepared.state.clone(),
    ));
    writer.set_org(&prepared.observation.org_id)?;
    if !prepared.plan.has_changes() {
        report_nothing_to_do(&prepared, ui);
        return Ok(ExitCode::SUCCESS);
    }
    // A saved plan was reviewed when it was made (as Terraform's saved plans are).
    if !args.auto_approve && plan_id.is_none() {
        confirm(&prepared.settings.env)?;
    }
    let interrupted = watch_stop_signals();
    let client = prepared.conn.client.clone();
    let progress: Arc<dyn Progress> = Arc::new(ConsoleProgress::new(
        &prepared.plan,
        ProgressConfig {
            verbosity: ui.verbosity,
            terminal: std::io::stderr().is_terminal(),
            interval: Duration::from_millis(args.progress_interval_ms.max(1)),
            style: ui.err,
        },
        Box::new(move || client.stats()),
    ));
    let opts = ApplyOptions {
        parallelism: args.parallelism as usize,
        interrupted,
    };
    let summary = reconcile::apply(&prepared.ctx, &prepared.plan, writer, &opts, progress).await;
    show_outcome(&prepared, &summary, ui);
    if summary.ok() {
        Ok(ExitCode::SUCCESS)
    } else {
        if !summary.failed.is_empty() && !ui.json {
            report::err(
                "hint: fix the causes above and run apply again; completed changes are kept and will not be repeated\n",
            );
        }
        Ok(ExitCode::FAILURE)
    }
}

/// The outcome of a run: the JSON document (`--json`) or the summary.
pub(super) fn show_outcome(prepared: &super::Prepared, summary: &Summary, ui: &Ui) {
    let stats = prepared.conn.client.stats();
    if ui.json {
        report::out_json(&report::json::apply(
            &prepared.plan,
            summary,
            &stats,
            &super::org(prepared),
        ));
    } else {
        report::out(&render_summary(summary, &stats, ui));
    }
}

/// The first SIGINT or SIGTERM sets the returned flag (no new changes start; the ones
/// in flight finish); a second one exits at once.
fn watch_stop_signals() -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    let mut signals = StopSignals::new();
    tokio::spawn(async move {
        let first = signals.next().await;
        flag.store(true, Ordering::SeqCst);
        report::err(&format!(
            "{first}: starting no new changes; waiting for the ones in flight (again to abort)\n"
        ));
        let second = signals.next().await;
        report::err(
            "aborted: the state file holds every change completed so far; run apply again to converge\n",
        );
        std::process::exit(second.exit_code());
    });
    interrupted
}

/// A plan without changes: say so (as text or as the apply JSON document).
fn report_nothing_to_do(prepared: &super::Prepared, ui: &Ui) {
    if ui.json {
        let summary = Summary {
            unchanged: prepared.plan.changes.len(),
            ..Summary::default()
        };
        report::out_json(&report::json::apply(
            &prepared.plan,
            &summary,
            &prepared.conn.client.stats(),
            &super::org(prepared),
        ));
    } else if prepared.plan.orphans.is_empty() {
        report::out("No changes. The org matches the manifests.\n");
    } else {
        let n = prepared.plan.orphans.len();
        report::out(&format!(
            "No changes to apply. The org has what the manifests declare; {n} object{} no longer declared {} kept (run with --prune to delete {}).\n",
            if n == 1 { "" } else { "s" },
            if n == 1 { "is" } else { "are" },
            if n == 1 { "it" } else { "them" },
        ));
    }
}

fn confirm(env: &str) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(anyhow!(
            "refusing to apply without confirmation: standard input is not a terminal\nhint: review the plan above, then run again with --auto-approve (as in CI)"
        ));
    }
    report::err(&format!(
        "Apply these changes to environment `{env}`? Only 'yes' is accepted: "
    ));
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        return Err(anyhow!("apply cancelled; nothing was changed"));
    }
    Ok(())
}

/// A signal asking genseed to stop.
#[derive(Debug, Clone, Copy)]
enum StopSignal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (CI cancellation, `timeout`, systemd, Kubernetes).
    Terminate,
}

impl StopSignal {
    /// The conventional exit code of a process ended by this signal.
    fn exit_code(self) -> i32 {
        match self {
            StopSignal::Interrupt => 130,
            StopSignal::Terminate => 143,
        }
    }
}

impl std::fmt::Display for StopSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StopSignal::Interrupt => "interrupt",
            StopSignal::Terminate => "terminate (SIGTERM)",
        })
    }
}

/// SIGINT and SIGTERM, both handled the same way from the moment this is created.
struct StopSignals {
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn new() -> Self {
        let kind = tokio::signal::unix::SignalKind::terminate();
        StopSignals {
            terminate: tokio::signal::unix::signal(kind).ok(),
        }
    }

    /// The next stop signal.
    async fn next(&mut self) -> StopSignal {
        let terminate = async {
            match self.terminate.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            Ok(()) = tokio::signal::ctrl_c() => StopSignal::Interrupt,
            () = terminate => StopSignal::Terminate,
        }
    }
}
