//! `genseed validate`: load and check the manifests; contact nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;

use crate::cli::Cli;
use crate::diag::{Diagnostics, SourceCache, render};
use crate::report::{self, Ui, Verbosity, json::Validated};

/// Run it.
pub(super) fn run(cli: &Cli, ui: &Ui) -> anyhow::Result<ExitCode> {
    let settings = super::settings(cli, None, ui)?;
    let sources = SourceCache::new();
    // Validating reports no spec, so none is kept (a large org is never held whole).
    let keep = crate::validate::Keep::Outline;
    let loaded =
        match crate::validate::load_keeping(&settings.seeds, &sources, &settings.vars, keep) {
            Ok(loaded) => loaded,
            Err(diags) => {
                if ui.json {
                    report::out_json(&report::json::validate(None, &diags));
                } else {
                    report::err(&render(&diags, &sources));
                }
                return Err(anyhow!(super::Reported));
            }
        };
    let mut csv_files: Vec<PathBuf> = loaded
        .declared
        .iter()
        .filter(|d| d.origin.csv_line.is_some())
        .map(|d| d.origin.file.to_path_buf())
        .collect();
    csv_files.sort();
    csv_files.dedup();
    let counted = Validated {
        files: &loaded.files,
        csv_files: &csv_files,
        objects: loaded
            .declared
            .iter()
            .filter(|d| crate::kinds::kind(d.addr.kind).is_some_and(|k| k.is_object()))
            .count(),
        declared: loaded.declared.len(),
        tiers: loaded.tiers.iter().max().map_or(0, |t| t + 1),
    };
    if ui.json {
        report::out_json(&report::json::validate(Some(&counted), &Diagnostics::new()));
    } else if ui.verbosity != Verbosity::Quiet {
        report::out(&report::render_validated(&counted));
    }
    // The process ends here: freeing a large org's objects one by one would cost about
    // a tenth of the run, for nothing.
    std::mem::forget(loaded);
    Ok(ExitCode::SUCCESS)
}
