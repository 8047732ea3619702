//! Log setup: `tracing` to stderr, at warn by default; -v adds genseed's debug lines (every request, retry and
//! wait), -vv everything
//! (`GENSEED_LOG` overrides with an env-filter directive). The client logs requests
//! without headers, so no token or secret reaches the log.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Install the subscriber once.
pub fn init(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "genseed=debug",
        (false, _) => "debug",
    };
    let filter = EnvFilter::try_from_env("GENSEED_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}
