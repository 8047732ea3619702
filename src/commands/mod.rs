//! The commands: each wires the stages (load → observe → plan → apply) together.
//! The only place, with `main.rs`, that uses `anyhow`.

mod apply;
mod destroy;
mod diff;
mod emulate;
mod export;
mod init;
mod integrations;
mod permissions;
mod plan;
mod saved;
mod schema;
mod show;
mod validate;

use std::process::ExitCode;

use anyhow::{Context as _, anyhow};

use crate::cli::{Cli, Command, RunArgs};
use crate::client::{ApiClient, ClientConfig, Secret};
use crate::diag::{Diagnostics, SourceCache, render};
use crate::emulator::{self, EmulatorConfig, EmulatorHandle};
use crate::kinds::Ctx;
use crate::reconcile::{self, Observed};
use crate::report::{self, Style, Ui, Verbosity};
use crate::settings::{Settings, SettingsError, Target};
use crate::state::{self, State, StatePaths};
use crate::validate::{self as checks, Loaded};

/// Run the parsed command line; the exit code follows the README. Errors are shown
/// here (as JSON on stdout with `--json`), so `main` only maps them to an exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ui = ui(&cli);
    match dispatch(&cli, &ui) {
        Err(e) if !e.is::<Reported>() => {
            report::error(&ui, &format!("{e:#}"));
            Err(anyhow!(Reported))
        }
        other => other,
    }
}

/// How to show things, from the global flags.
fn ui(cli: &Cli) -> Ui {
    use std::io::IsTerminal;
    let verbosity = if cli.quiet {
        Verbosity::Quiet
    } else if cli.verbose > 0 {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let set = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty() && v != "0");
    let no_color = cli.no_color_env.as_deref().is_some_and(|v| !v.is_empty());
    let force = set(&cli.clicolor_force_env);
    let style = |terminal: bool| Style {
        colour: report::use_colour(cli.color, no_color, force, terminal),
    };
    let (show_unchanged, json) = match &cli.command {
        Command::Plan(a) => (a.run.show_unchanged, a.json),
        Command::Apply(a) => (a.run.show_unchanged, a.json),
        Command::Destroy(a) => (false, a.json),
        Command::Validate(a) => (false, a.json),
        Command::Show(a) => (a.show_unchanged, a.json),
        Command::Diff(a) => (false, a.json),
        _ => (false, false),
    };
    Ui {
        verbosity,
        out: style(std::io::stdout().is_terminal()),
        err: style(std::io::stderr().is_terminal()),
        show_unchanged,
        json,
    }
}

fn dispatch(cli: &Cli, ui: &Ui) -> anyhow::Result<ExitCode> {
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")
    };
    match &cli.command {
        Command::Validate(_) => validate::run(cli, ui),
        Command::Plan(args) => runtime()?.block_on(plan::run(cli, args, ui)),
        Command::Export(args) => runtime()?.block_on(export::run(cli, args, ui)),
        Command::Diff(args) => runtime()?.block_on(diff::run(cli, args, ui)),
        Command::Apply(args) => runtime()?.block_on(apply::run(cli, args, ui)),
        Command::Show(args) => show::run(args, ui),
        Command::Destroy(args) => runtime()?.block_on(destroy::run(cli, args, ui)),
        Command::Emulate(args) => runtime()?.block_on(emulate::run(args)),
        Command::Schema(args) => {
            report::out_json(&if args.of == crate::cli::SchemaOf::Project {
                schema::project_schema()
            } else {
                crate::spec::manifest_schema()
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Init(args) => init::run(args.dir.as_deref().unwrap_or(&cli.project)),
        Command::Completions(args) => {
            let mut out = Vec::new();
            clap_complete::generate(
                args.shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "genseed",
                &mut out,
            );
            report::out(&String::from_utf8_lossy(&out));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Load settings for the command line's environment.
fn settings(cli: &Cli, run: Option<&RunArgs>, ui: &Ui) -> anyhow::Result<Settings> {
    settings_for(cli, &cli.env, run, ui)
}

/// Load settings for environment `env` (`diff` reads two).
fn settings_for(cli: &Cli, env: &str, run: Option<&RunArgs>, ui: &Ui) -> anyhow::Result<Settings> {
    let flag = run.and_then(|r| r.rate_limit);
    let mut s = match Settings::load(&cli.project, env, flag) {
        Ok(s) => s,
        Err(SettingsError::Invalid(diags)) => {
            show_invalid(ui, "genseed.yaml is not valid", &diags, &SourceCache::new());
            return Err(anyhow!(Reported));
        }
        Err(e @ SettingsError::UnknownEnv { .. }) => {
            let SettingsError::UnknownEnv { name, known } = &e else {
                unreachable!("matched above")
            };
            let names = known
                .iter()
                .map(String::as_str)
                .chain([crate::settings::LOCAL_ENV]);
            return Err(match crate::suggest::hint(name, names) {
                Some(h) => anyhow!("{e}\nhint: {h}"),
                None => anyhow!("{e}\nhint: environments are defined in genseed.yaml"),
            });
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

/// Show diagnostics: rendered on stderr, or as a JSON document on stdout.
fn show_invalid(ui: &Ui, what: &str, diags: &Diagnostics, sources: &SourceCache) {
    if ui.json {
        report::out_json(&report::json::invalid(what, diags));
    } else {
        report::err(&render(diags, sources));
    }
}

/// Load and check the manifests; print every problem and fail when there is one.
fn load(settings: &Settings, ui: &Ui) -> anyhow::Result<Loaded> {
    let sources = SourceCache::new();
    match checks::load_with_vars(&settings.seeds, &sources, &settings.vars) {
        Ok(loaded) => Ok(loaded),
        Err(diags) => {
            show_invalid(ui, "the manifests are not valid", &diags, &sources);
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
    ui: &Ui,
) -> anyhow::Result<(Prepared, Option<state::StateLock>)> {
    let loaded = load(&settings, ui)?;
    let state_paths = StatePaths::new(&settings.state_dir, &settings.env);
    let guard = if lock {
        Some(state::lock(&state_paths)?)
    } else {
        None
    };
    let state = state::load(&state_paths, &settings.env)?;
    let conn = connect(&settings).await?;
    let mut ctx = reconcile::context(conn.client.clone());
    if !settings.queue_create_interval.is_zero() {
        ctx.queue_pacing = Some(std::sync::Arc::new(crate::client::TokenBucket::new(
            settings.queue_create_interval,
            1,
        )));
    }
    // Kinds the state records are listed too, to find orphans.
    let recorded: Vec<String> = state.resources.values().map(|r| r.kind.clone()).collect();
    let mut observation = reconcile::observe_with(&mut ctx, &loaded.declared, &recorded)
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
    let plan = reconcile::plan_with(&loaded, &mut observation, &state, settings.sets_exclusive);
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

/// Apply the pruning and adoption policies of the flags and the environment to the
/// plan: what happens to orphans, and the refusal of objects `adopt: never` keeps out.
fn policies(p: &mut Prepared, run: &RunArgs) -> anyhow::Result<()> {
    let opts = crate::prune::PruneOptions {
        prune: run.prune || run.prune_adopted || p.settings.prune,
        prune_adopted: run.prune_adopted,
    };
    crate::prune::set_actions(&mut p.plan, opts);
    if run.show_unmanaged {
        p.plan.unmanaged = crate::prune::unmanaged_objects(&p.loaded, &p.observation, &p.state);
    }
    if p.settings.adopt == crate::settings::AdoptPolicy::Never && !run.adopt {
        let refused = crate::prune::adoption_refusals(&p.plan);
        if !refused.is_empty() {
            return Err(anyhow!(
                "environment `{}` adopts nothing (`adopt: never`), but:\n  {}\nhint: review each object; run with --adopt to take them over, or rename them in the manifests",
                p.settings.env,
                refused.join("\n  ")
            ));
        }
    }
    Ok(())
}

fn org(p: &Prepared) -> report::json::Org<'_> {
    report::json::Org {
        id: &p.observation.org_id,
        name: &p.observation.org_name,
        env: &p.settings.env,
    }
}

fn org_label(p: &Prepared) -> String {
    if p.observation.org_name.is_empty() {
        p.observation.org_id.clone()
    } else {
        format!("{:?} ({})", p.observation.org_name, p.observation.org_id)
    }
}
