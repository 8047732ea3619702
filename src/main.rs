//! The `genseed` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = genseed::cli::Cli::parse();
    genseed::logging::init(cli.verbose, cli.quiet);
    match genseed::commands::run(cli) {
        Ok(code) => code,
        Err(e) if e.is::<genseed::commands::Reported>() => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
