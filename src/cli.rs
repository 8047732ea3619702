//! Command-line arguments (clap types only; no behaviour).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::client::RateLimit;

/// Bootstrap a Genesys Cloud CX org from YAML seed manifests, idempotently.
#[derive(Debug, Parser)]
#[command(name = "genseed", version, about, long_about = None)]
pub struct Cli {
    /// Project folder (holds genseed.yaml and the seeds folder).
    #[arg(short = 'C', long = "project", global = true, default_value = ".")]
    pub project: PathBuf,
    /// Environment from genseed.yaml (`local` = the embedded emulator).
    #[arg(long, global = true, default_value = "local", env = "GENSEED_ENV")]
    pub env: String,
    /// More output (-v: every request, retry and rate-limit wait; -vv: also the HTTP stack).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Less output: only errors and the final summary.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour in plans, diffs and summaries: `auto` (on a terminal, unless `NO_COLOR`
    /// is set), `always` or `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// `NO_COLOR` (https://no-color.org): any non-empty value turns `auto` colour off.
    #[arg(long, hide = true, env = "NO_COLOR", global = true)]
    pub no_color_env: Option<String>,
    /// `CLICOLOR_FORCE`: a value other than `0` turns `auto` colour on off a terminal.
    #[arg(long, hide = true, env = "CLICOLOR_FORCE", global = true)]
    pub clicolor_force_env: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load and check the manifests; contact nothing.
    Validate(ValidateArgs),
    /// Observe the org and print what apply would do.
    Plan(PlanArgs),
    /// Plan, confirm, execute, and print a summary (`apply FILE`: a saved plan).
    Apply(ApplyArgs),
    /// Print a saved plan (`plan --out FILE`) as `plan` would.
    Show(ShowArgs),
    /// Delete everything the state says genseed created (test orgs and the emulator).
    Destroy(DestroyArgs),
    /// Serve the embedded Genesys Cloud emulator over HTTP until stopped.
    Emulate(EmulateArgs),
    /// Print the manifest JSON Schema (`schema project`: that of genseed.yaml).
    Schema(SchemaArgs),
    /// Start a project: genseed.yaml and an example seeds folder that applies as is.
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
    /// Read the org back as manifests that `apply` reads (references by name, no IDs).
    Export(ExportArgs),
    /// Compare two environments' orgs object by object (by natural key).
    Diff(DiffArgs),
}

/// `genseed export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Folder to write the manifests to (default: the project's seeds folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Only these kinds: a group, a kind name or a manifest key (as `plan --only`).
    #[arg(long, value_name = "SELECTOR", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Overwrite manifests that already exist in the folder.
    #[arg(long)]
    pub force: bool,
    /// Write the users a CSV row holds (name, e-mail, one work phone, division) to CSV
    /// files with `usersFromCsv` entries; users with more stay in users.yaml.
    #[arg(long)]
    pub users_csv: bool,
}

/// `genseed diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The environment compared with `--env` (B in "A → B").
    #[arg(long, value_name = "ENV")]
    pub against: String,
    /// Only these kinds: a group, a kind name or a manifest key (as `plan --only`).
    #[arg(long, value_name = "SELECTOR", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Every kind genseed knows, not only those the project's manifests declare.
    #[arg(long)]
    pub all: bool,
    /// Print the differences as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 when the orgs are the same, 2 when they differ, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `genseed validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Print the result and every diagnostic as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `genseed schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which file's schema: the seed manifests' or genseed.yaml's (`project`).
    #[arg(value_enum, default_value_t = SchemaOf::Manifest)]
    pub of: SchemaOf,
}

/// The files genseed has a schema for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaOf {
    /// The seed manifests.
    Manifest,
    /// `genseed.yaml`.
    Project,
}

/// `genseed init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to create the project in (default: the project folder, `-C`).
    pub dir: Option<PathBuf>,
}

/// `genseed completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Options shared by plan and apply.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Client-side request budget per token, e.g. `300/min`, `5/s` (default: the
    /// environment's `rateLimit`, else 300/min).
    #[arg(long, value_name = "N/UNIT")]
    pub rate_limit: Option<RateLimit>,
    /// Turn the client-side rate limiter off (rely on the server's 429s alone).
    #[arg(long)]
    pub no_rate_limit: bool,
    /// Give up on one request after this many seconds of retries and waits
    /// (including the server's Retry-After; default 600).
    #[arg(long, value_name = "SECS")]
    pub request_deadline: Option<u64>,
    /// Only these kinds: a group (`integrations`), a kind name or a manifest key;
    /// repeatable or comma-separated. Objects they reference must already exist.
    #[arg(long, value_name = "SELECTOR", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Do not probe the data actions' target URLs (seed placeholders on purpose).
    #[arg(long)]
    pub skip_url_check: bool,
    /// List unchanged objects in the plan too.
    #[arg(long)]
    pub show_unchanged: bool,
    /// Delete objects that are no longer declared if genseed created them (adopted
    /// ones are only forgotten: removed from the state, left in the org).
    #[arg(long)]
    pub prune: bool,
    /// With pruning: delete adopted objects that are no longer declared too.
    #[arg(long)]
    pub prune_adopted: bool,
    /// Allow adopting existing objects on an environment with `adopt: never`.
    #[arg(long)]
    pub adopt: bool,
    /// List objects of the declared kinds that the org has but neither the manifests
    /// nor the state know (drift made in the UI).
    #[arg(long)]
    pub show_unmanaged: bool,
    /// Refuse to go on when the OAuth client's permissions cannot be verified (it
    /// cannot read its own grants); without it, genseed warns and goes on.
    #[arg(long)]
    pub require_permission_check: bool,
}

/// `genseed plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Exit 0 when there is nothing to do, 2 when changes are pending, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Do not probe target URLs (the plan still reads the org).
    #[arg(long)]
    pub offline: bool,
    /// Print the plan as JSON on stdout (for pipelines and review tools).
    #[arg(long)]
    pub json: bool,
    /// Also save the plan to FILE, for `genseed apply FILE` (format in the README).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Check that the OAuth client's roles allow every change of the plan (apply
    /// and destroy always do, before their first write).
    #[arg(long)]
    pub check_permissions: bool,
    #[command(flatten)]
    /// Options every org-touching command shares.
    pub run: RunArgs,
}

/// `genseed show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The saved plan (`plan --out FILE`).
    pub file: PathBuf,
    /// Print it as JSON on stdout (the plan file's own format).
    #[arg(long)]
    pub json: bool,
    /// List unchanged objects too.
    #[arg(long)]
    pub show_unchanged: bool,
}

/// `genseed apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Apply this saved plan (`plan --out FILE`) exactly, instead of planning again;
    /// refused when the org, the state or the manifests moved since.
    #[arg(value_name = "FILE", conflicts_with = "only")]
    pub plan_file: Option<PathBuf>,
    /// With FILE: apply it even though the manifests changed since it was made.
    #[arg(long, requires = "plan_file")]
    pub ignore_manifest_changes: bool,
    /// With FILE: refuse a plan older than this (`24h`, `90m`, `2d`).
    #[arg(long, value_name = "AGE", requires = "plan_file", value_parser = crate::planfile::parse_duration)]
    pub max_age: Option<std::time::Duration>,
    /// Do not ask for confirmation (required when there is no terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Changes run at once within a tier.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// Allow replacing (deleting and creating again) objects whose changed fields the API
    /// cannot update in place (`-/+` in the plan).
    #[arg(long)]
    pub allow_replace: bool,
    /// Print the outcome of every change and the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Least milliseconds between two progress lines when stderr is not a terminal.
    #[arg(
        long,
        hide = true,
        env = "GENSEED_PROGRESS_INTERVAL_MS",
        default_value_t = 10_000
    )]
    pub progress_interval_ms: u64,
    #[command(flatten)]
    /// Options every org-touching command shares.
    pub run: RunArgs,
}

/// `genseed destroy`.
#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Do not ask for the org's name (required when there is no terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Print the outcome as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    /// Options every org-touching command shares.
    pub run: RunArgs,
}

/// `genseed emulate`.
#[derive(Debug, Args)]
pub struct EmulateArgs {
    /// Address to listen on (port 0 picks a free port; the URL is printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Load the org from this JSON file and save it there after every change.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// OAuth client id the emulator accepts.
    #[arg(long, default_value = crate::emulator::DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// OAuth client secret the emulator accepts.
    #[arg(long, default_value = crate::emulator::DEFAULT_CLIENT_SECRET)]
    pub client_secret: String,
    /// Requests allowed per token, e.g. `300/min` (the real default) or `5/s`.
    #[arg(long, value_name = "N/UNIT", default_value = "300/min")]
    pub rate_limit: String,
    /// Turn the server-side rate limit off.
    #[arg(long)]
    pub no_rate_limit: bool,
    /// Token lifetime in seconds.
    #[arg(long, default_value_t = 86_400)]
    pub token_ttl: u64,
    /// Scripted faults (YAML list of rules; see the README).
    #[arg(long, value_name = "FILE")]
    pub faults: Option<PathBuf>,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Seed of all randomness (IDs, fault probabilities), for replayable runs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// User search sees creates and updates only after this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub search_lag_ms: u64,
    /// GET of a just-created object answers 404 for this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub read_lag_ms: u64,
    /// Accept a second object with an existing name (the real API's behaviour is
    /// unconfirmed for most kinds; the default refuses with 409 general.conflict).
    #[arg(long)]
    pub allow_duplicate_names: bool,
    /// Added queue members become visible after this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub member_lag_ms: u64,
    /// New roles and divisions can be granted only after this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub grant_lag_ms: u64,
}
