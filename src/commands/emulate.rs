//! `genseed emulate`: serve the embedded emulator over HTTP until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow};

use crate::cli::EmulateArgs;
use crate::emulator::{Consistency, EmulatorConfig, EmulatorHandle, load_faults};

/// Run it.
pub(super) async fn run(args: &EmulateArgs) -> anyhow::Result<ExitCode> {
    let faults = match &args.faults {
        Some(path) => load_faults(path).map_err(|e| anyhow!("{}: {e}", path.display()))?,
        None => Vec::new(),
    };
    let rate_limit = if args.no_rate_limit {
        None
    } else {
        Some(
            args.rate_limit
                .parse()
                .map_err(|e| anyhow!("--rate-limit {}: {e}", args.rate_limit))?,
        )
    };
    let cfg = EmulatorConfig {
        client_id: args.client_id.clone(),
        client_secret: args.client_secret.clone(),
        token_ttl: Duration::from_secs(args.token_ttl),
        rate_limit,
        latency: Duration::from_millis(args.latency_ms),
        faults,
        seed: args.seed,
        data_file: args.data.clone(),
        consistency: Consistency {
            search_lag: Duration::from_millis(args.search_lag_ms),
            get_after_create_404: Duration::from_millis(args.read_lag_ms),
            member_lag: Duration::from_millis(args.member_lag_ms),
            grant_lag: Duration::from_millis(args.grant_lag_ms),
        },
        unique_names: !args.allow_duplicate_names,
        ..EmulatorConfig::default()
    };
    let handle = EmulatorHandle::start(cfg, args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    // The first line of stdout is the URL, so scripts can read it.
    crate::report::out(&format!("{}\n", handle.base_url()));
    crate::report::err(&format!(
        "genseed emulator listening on {} (client id {:?}); Ctrl-C to stop\n",
        handle.base_url(),
        args.client_id
    ));
    handle.run_until_ctrl_c().await?;
    Ok(ExitCode::SUCCESS)
}
