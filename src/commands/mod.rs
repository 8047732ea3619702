//! The commands: each wires the stages (load → observe → plan → apply) together.
//! The only place, with `main.rs`, that uses `anyhow`.

mod apply;
mod emulate;
mod integrations;
mod plan;
mod validate;

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};

use crate::cli::{Cli, Command, RunArgs};
use crate::client::{ApiClient, ClientConfig, Secret};
use crate::diag::{SourceCache, render};
use crate::emulator::{self, EmulatorConfig, EmulatorHandle};
use crate::kinds::Ctx;
use crate::reconcile::{self, Observed};
use crate::report::Verbosity;
use crate::settings::{Settings, Target};
use crate::state::{self, State, StatePaths};
use crate::validate::{self as checks, Loaded};

/// Run the parsed command line; the exit code follows the README.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let verbosity = if cli.quiet {
        Verbosity::Quiet
    } else if cli.verbose > 0 {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match &cli.command {
        Command::Validate => validate::run(&cli, verbosity),
        Command::Plan(args) => runtime.block_on(plan::run(&cli, args, verbosity)),
        Command::Apply(args) => runtime.block_on(apply::run(&cli, args, verbosity)),
        Command::Emulate(args) => runtime.block_on(emulate::run(args)),
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::spec::manifest_schema())?
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Load settings for the command line's environment.
fn settings(cli: &Cli, run: Option<&RunArgs>) -> anyhow::Result<Settings> {
    let flag = run.and_then(|r| r.rate_limit);
    let mut s = match Settings::load(&cli.project, &cli.env, flag) {
        Ok(s) => s,
        Err(crate::settings::SettingsError::Invalid(diags)) => {
            eprint!("{}", render(&diags, &SourceCache::new()));
            return Err(anyhow!(Reported));
        }
        Err(e) => return Err(e.into()),
    };
    if run.is_some_and(|r| r.no_rate_limit) {
        s.rate_limit = None;
    }
    if let Some(secs) = run.and_then(|r| r.request_deadline) {
        s.request_deadline = Some(secs);
    }
    Ok(s)
}

/// Load and check the manifests; print every problem and fail when there is one.
fn load(seeds: &Path, vars: &std::collections::BTreeMap<String, String>) -> anyhow::Result<Loaded> {
    let sources = SourceCache::new();
    match checks::load_with_vars(seeds, &sources, vars) {
        Ok(loaded) => Ok(loaded),
        Err(diags) => {
            eprint!("{}", render(&diags, &sources));
            Err(anyhow!(Reported))
        }
    }
}

/// An error already shown to the user; `main` only sets the exit code.
#[derive(Debug)]
pub struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("errors reported above")
    }
}

impl std::error::Error for Reported {}

/// A connection to the environment's org (the embedded emulator is started here and
/// stopped when this is dropped).
pub struct Connection {
    /// The API client.
    pub client: ApiClient,
    /// Keeps the embedded emulator running.
    _emulator: Option<EmulatorHandle>,
    /// How to name the org in messages.
    pub describe: String,
}

async fn connect(settings: &Settings) -> anyhow::Result<Connection> {
    let (api, login, id, secret, emulator, describe) = match &settings.target {
        Target::Emulator { data_file } => {
            if let Some(dir) = data_file.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let cfg = EmulatorConfig {
                data_file: Some(data_file.clone()),
                ..EmulatorConfig::default()
            };
            let handle = EmulatorHandle::start(cfg, "127.0.0.1:0".parse().expect("an address"))
                .await
                .with_context(|| {
                    format!(
                        "cannot start the embedded emulator ({})",
                        data_file.display()
                    )
                })?;
            let base = handle.base_url();
            (
                base.clone(),
                base,
                emulator::DEFAULT_CLIENT_ID.to_string(),
                Secret::new(emulator::DEFAULT_CLIENT_SECRET),
                Some(handle),
                format!("embedded emulator, data in {}", data_file.display()),
            )
        }
        Target::Remote {
            api_url, login_url, ..
        } => {
            let creds = settings
                .credentials()?
                .expect("remote targets have credentials");
            (
                api_url.clone(),
                login_url.clone(),
                creds.client_id,
                creds.client_secret,
                None,
                api_url.clone(),
            )
        }
    };
    let mut cfg = ClientConfig::new(api, login, id, secret.expose());
    cfg.rate_limit = settings.rate_limit;
    cfg.tokens = settings.tokens;
    if let Some(secs) = settings.request_deadline {
        cfg.request_deadline = std::time::Duration::from_secs(secs.max(1));
    }
    let client = ApiClient::new(cfg)?;
    Ok(Connection {
        client,
        _emulator: emulator,
        describe,
    })
}

/// Everything plan and apply share: manifests loaded, org observed, plan built.
pub struct Prepared {
    /// Settings.
    pub settings: Settings,
    /// Declared objects and their graph.
    pub loaded: Loaded,
    /// The connection.
    pub conn: Connection,
    /// Observation context (resolver, observed objects).
    pub ctx: Ctx,
    /// Who the org is.
    pub observation: Observed,
    /// The state file's paths and content.
    pub state_paths: StatePaths,
    /// The state as loaded.
    pub state: State,
    /// The plan.
    pub plan: crate::plan::Plan,
}

async fn prepare(
    settings: Settings,
    lock: bool,
) -> anyhow::Result<(Prepared, Option<state::StateLock>)> {
    let loaded = load(&settings.seeds, &settings.vars)?;
    let state_paths = StatePaths::new(&settings.state_dir, &settings.env);
    let guard = if lock {
        Some(state::lock(&state_paths)?)
    } else {
        None
    };
    let state = state::load(&state_paths, &settings.env)?;
    let conn = connect(&settings).await?;
    let mut ctx = reconcile::context(conn.client.clone());
    let observation = reconcile::observe(&mut ctx, &loaded.declared)
        .await
        .with_context(|| format!("cannot read the org ({})", conn.describe))?;
    if let Some(known) = &state.org_id
        && known != &observation.org_id
    {
        return Err(anyhow!(
            "the state file {} belongs to org {known}, but environment `{}` now points at org {}\nhint: check the environment's region and credentials; if the org really changed, delete the state file (it is only a cache) and run again",
            state_paths.file.display(),
            settings.env,
            observation.org_id
        ));
    }
    let plan = reconcile::plan(&loaded, &observation, &state);
    Ok((
        Prepared {
            settings,
            loaded,
            conn,
            ctx,
            observation,
            state_paths,
            state,
            plan,
        },
        guard,
    ))
}

fn org_label(p: &Prepared) -> String {
    if p.observation.org_name.is_empty() {
        p.observation.org_id.clone()
    } else {
        format!("{:?} ({})", p.observation.org_name, p.observation.org_id)
    }
}
