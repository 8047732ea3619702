//! The `genseed` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

// The last resort for an error nothing else reported; all other output goes through
// the report layer.
#[allow(clippy::print_stderr)]
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
