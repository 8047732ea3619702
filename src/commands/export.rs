//! `genseed export`: read the org back as manifests. Only reads the org; writes the
//! files at the end, all at once (a failed run writes nothing).

use std::process::ExitCode;

use anyhow::{Context as _, anyhow};

use crate::cli::{Cli, ExportArgs};
use crate::export;
use crate::reconcile;
use crate::report::{self, Ui, Verbosity};

/// Run it.
pub(super) async fn run(cli: &Cli, args: &ExportArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let settings = super::settings(cli, None, ui)?;
    let unknown = export::unknown_selectors(&args.only);
    if !unknown.is_empty() {
        return Err(anyhow!(
            "--only {}: no such kind, manifest key or group\nhint: `genseed schema` lists the manifest keys",
            unknown.join(", ")
        ));
    }
    let dir = args.out.clone().unwrap_or_else(|| settings.seeds.clone());
    if dir.exists() && !dir.is_dir() {
        return Err(export::WriteError::NotADir(dir).into());
    }
    let conn = super::connect(&settings).await?;
    let mut ctx = reconcile::context(conn.client.clone());
    let kinds = export::kinds_for(&args.only);
    let started = std::time::Instant::now();
    let quiet = ui.verbosity == Verbosity::Quiet;
    let progress = |label: &str| {
        if !quiet {
            report::err(&format!("Reading {label}…\n"));
        }
    };
    let (org_name, observed) = export::observe_all(&mut ctx, &kinds, &progress)
        .await
        .with_context(|| format!("cannot read the org ({})", conn.describe))?;
    let mut exported = export::entries(org_name, &observed, &kinds, &ctx.resolver);
    export::unresolve_vars(&mut exported, &settings.vars);
    if args.users_csv {
        export::users_to_csv(&mut exported);
    }
    let files = export::render(&exported);
    let stub = settings.project.join("genseed.yaml");
    export::write_files(&dir, &files, args.force)?;
    if !stub.exists() {
        std::fs::write(&stub, export::PROJECT_STUB)
            .with_context(|| format!("cannot write {}", stub.display()))?;
    }
    // A `usersFromCsv` entry is no object; the users of its file are.
    let objects: usize = exported
        .entries
        .iter()
        .filter(|(k, _)| **k != "usersFromCsv")
        .map(|(_, v)| v.len())
        .sum::<usize>()
        + exported.csv_users;
    let stats = conn.client.stats();
    report::err(&format!(
        "Exported {objects} object(s) into {} file(s) in {} ({} requests, {:.1} s).\n",
        files.len(),
        dir.display(),
        stats.requests,
        started.elapsed().as_secs_f64()
    ));
    Ok(ExitCode::SUCCESS)
}
