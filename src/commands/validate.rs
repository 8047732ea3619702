//! `genseed validate`: load and check the manifests; contact nothing.

use std::process::ExitCode;

use crate::cli::Cli;
use crate::report::Verbosity;

/// Run it.
pub fn run(cli: &Cli, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    let settings = super::settings(cli, None)?;
    let loaded = super::load(&settings.seeds, &settings.vars)?;
    if verbosity != Verbosity::Quiet {
        let objects = loaded
            .declared
            .iter()
            .filter(|d| crate::kinds::kind(d.addr.kind).is_some_and(|k| k.is_object()))
            .count();
        println!(
            "Valid: {} file{}, {objects} object{}, {} tier{}.",
            loaded.files.len(),
            if loaded.files.len() == 1 { "" } else { "s" },
            if objects == 1 { "" } else { "s" },
            loaded.tiers.iter().max().map_or(0, |t| t + 1),
            if loaded.tiers.iter().max() == Some(&0) {
                ""
            } else {
                "s"
            },
        );
    }
    Ok(ExitCode::SUCCESS)
}
