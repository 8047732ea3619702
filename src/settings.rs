//! CLI flags + `genseed.yaml` + environment variables → [`Settings`], resolved once.
//! The only module that reads environment variables.
//!
//! A project is a folder with an optional `genseed.yaml`:
//!
//! ```yaml
//! seeds: seeds/
//! environments:
//!   local:
//!     emulator: true
//!   dev:
//!     region: usw2.pure.cloud          # or apiUrl + loginUrl
//!     clientIdEnv: GENESYS_DEV_CLIENT_ID
//!     clientSecretEnv: GENESYS_DEV_CLIENT_SECRET
//!     rateLimit: 300/min
//! ```
//!
//! Without the file, `local` (the embedded emulator) exists by default.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::client::{RateLimit, Secret};

/// The environment that needs no credentials.
pub(crate) const LOCAL_ENV: &str = "local";

/// `genseed.yaml`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ProjectFile {
    /// The seeds folder, relative to the project (default `seeds/`).
    #[serde(default)]
    pub seeds: Option<String>,
    /// Environments by name.
    #[serde(default)]
    pub environments: BTreeMap<String, EnvFile>,
    /// The default policy of managed sets (queue members and wrap-up codes, group
    /// members) whose manifest entry names none: `additive` (default: members the
    /// org has beyond the declared ones are kept) or `exclusive` (they are removed).
    #[serde(default)]
    pub sets_policy: Option<crate::kinds::SetPolicy>,
}

/// What a run may do with an object that exists in the org but not in the state.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AdoptPolicy {
    /// Adopt it (record its ID) when its natural key matches a declared object.
    #[default]
    Always,
    /// Refuse the plan unless `--adopt` is given.
    Never,
}

/// One environment of `genseed.yaml`.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct EnvFile {
    /// Use the embedded emulator (no credentials).
    #[serde(default)]
    pub emulator: bool,
    /// Genesys Cloud domain, e.g. `usw2.pure.cloud`.
    #[serde(default)]
    pub region: Option<String>,
    /// API base URL (instead of `region`).
    #[serde(default)]
    pub api_url: Option<String>,
    /// Login base URL (instead of `region`).
    #[serde(default)]
    pub login_url: Option<String>,
    /// Name of the environment variable that holds the OAuth client id.
    #[serde(default)]
    pub client_id_env: Option<String>,
    /// Name of the environment variable that holds the OAuth client secret.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// Client-side request budget, e.g. `300/min`.
    #[serde(default)]
    pub rate_limit: Option<String>,
    /// Number of access tokens to spread requests over.
    #[serde(default)]
    pub tokens: Option<usize>,
    /// Seconds one request may spend on retries and waits before it fails.
    #[serde(default)]
    pub request_deadline_seconds: Option<u64>,
    /// Values of `${var.NAME}` in the manifests (per-environment URLs and the like).
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// Least time between two queue creates, in milliseconds (default 1000 for a real
    /// org, 0 for the embedded emulator). Creating many queues quickly is known to
    /// leave the service's edges with stale queue caches ("failed to find queue"
    /// errors: the CX as Code provider's issue #1955, where it delays each queue write
    /// by a random 0–7 s, `ROUTING_QUEUE_DELAY_MAX`). What rate is safe is unconfirmed.
    #[serde(default)]
    pub queue_create_interval_ms: Option<u64>,
    /// Delete objects that are no longer declared, as `--prune` does.
    #[serde(default)]
    pub prune: bool,
    /// `always` (default) or `never`: whether existing objects not in the state may be
    /// adopted without `--adopt`.
    #[serde(default)]
    pub adopt: AdoptPolicy,
    /// Refuse `genseed destroy` on this environment.
    #[serde(default)]
    pub protected: bool,
}

/// Errors resolving settings; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// `genseed.yaml` is not valid (located diagnostics, rendered by the caller).
    #[error("genseed.yaml is not valid")]
    Invalid(crate::diag::Diagnostics),
    /// `genseed.yaml` cannot be read.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong (with line and column when the parser gives them).
        message: String,
    },
    /// The environment is not defined.
    #[error("environment `{name}` is not defined{}", defined_list(.known))]
    UnknownEnv {
        /// Requested.
        name: String,
        /// Defined ones.
        known: Vec<String>,
    },
    /// The environment is incomplete or inconsistent.
    #[error("environment `{env}`: {message}")]
    Env {
        /// Environment name.
        env: String,
        /// What is wrong and what to do.
        message: String,
    },
}

fn defined_list(names: &[String]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!(" (defined: {})", names.join(", "))
    }
}

/// Where the org is.
#[derive(Debug, Clone)]
pub enum Target {
    /// The embedded emulator, persisted in `data_file`.
    Emulator {
        /// The org's JSON file.
        data_file: PathBuf,
    },
    /// A real (or externally emulated) org.
    Remote {
        /// API base URL.
        api_url: String,
        /// Login base URL.
        login_url: String,
        /// Where the client id comes from (`$NAME`).
        client_id_env: String,
        /// Where the secret comes from (`$NAME`).
        client_secret_env: String,
    },
}

/// Everything a command needs, resolved once.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The project folder.
    pub project: PathBuf,
    /// The seeds folder.
    pub seeds: PathBuf,
    /// The environment name.
    pub env: String,
    /// Where the org is.
    pub target: Target,
    /// `.genseed/state`.
    pub state_dir: PathBuf,
    /// Client-side rate limit.
    pub rate_limit: Option<RateLimit>,
    /// Access tokens to use.
    pub tokens: usize,
    /// Seconds one request may spend on retries and waits.
    pub request_deadline: Option<u64>,
    /// `${var.NAME}` values of this environment.
    pub vars: BTreeMap<String, String>,
    /// Least time between two queue creates (zero: no pacing).
    pub queue_create_interval: std::time::Duration,
    /// `prune: true`: apply deletes orphans without `--prune`.
    pub prune: bool,
    /// The adoption policy.
    pub adopt: AdoptPolicy,
    /// `protected: true`: destroy is refused.
    pub protected: bool,
    /// Managed sets without a policy of their own are exclusive.
    pub sets_exclusive: bool,
}

/// Default [`Settings::queue_create_interval`] for a real org, in milliseconds.
pub(crate) const DEFAULT_QUEUE_CREATE_INTERVAL_MS: u64 = 1000;

/// Credentials read from the environment.
pub struct Credentials {
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: Secret,
}

impl Settings {
    /// Resolve settings for `env` in `project`.
    pub fn load(
        project: &Path,
        env: &str,
        rate_limit_flag: Option<RateLimit>,
    ) -> Result<Settings, SettingsError> {
        let file = read_project_file(&project.join("genseed.yaml"))?;
        let seeds = project.join(file.seeds.as_deref().unwrap_or("seeds"));
        let dot = project.join(".genseed");
        let env_file = select_env(&file, env)?;
        let bad = |message: String| SettingsError::Env {
            env: env.into(),
            message,
        };
        let rate_limit = match (rate_limit_flag, &env_file.rate_limit) {
            (Some(r), _) => Some(r),
            (None, Some(s)) => Some(
                s.parse()
                    .map_err(|e| bad(format!("rateLimit `{s}`: {e}")))?,
            ),
            (None, None) => Some(RateLimit::default()),
        };
        let target = if env_file.emulator {
            if env_file.region.is_some() || env_file.api_url.is_some() {
                return Err(bad(
                    "`emulator: true` cannot be combined with `region` or `apiUrl`".into(),
                ));
            }
            Target::Emulator {
                data_file: dot.join("emulator").join(format!("{env}.json")),
            }
        } else {
            remote_target(&env_file).map_err(bad)?
        };
        Ok(Settings {
            project: project.to_path_buf(),
            seeds,
            env: env.into(),
            target,
            state_dir: dot.join("state"),
            rate_limit,
            tokens: env_file.tokens.unwrap_or(1).max(1),
            request_deadline: env_file.request_deadline_seconds,
            vars: env_file.vars.clone(),
            queue_create_interval: std::time::Duration::from_millis(
                env_file
                    .queue_create_interval_ms
                    .unwrap_or(if env_file.emulator {
                        0
                    } else {
                        DEFAULT_QUEUE_CREATE_INTERVAL_MS
                    }),
            ),
            prune: env_file.prune,
            adopt: env_file.adopt,
            protected: env_file.protected,
            sets_exclusive: file.sets_policy == Some(crate::kinds::SetPolicy::Exclusive),
        })
    }

    /// Read the OAuth credentials of a remote environment from its variables.
    pub fn credentials(&self) -> Result<Option<Credentials>, SettingsError> {
        let Target::Remote {
            client_id_env,
            client_secret_env,
            ..
        } = &self.target
        else {
            return Ok(None);
        };
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| SettingsError::Env {
                    env: self.env.clone(),
                    message: format!("environment variable `{name}` is not set (it should hold the OAuth client {})", if name == client_id_env { "id" } else { "secret" }),
                })
        };
        Ok(Some(Credentials {
            client_id: read(client_id_env)?,
            client_secret: Secret::new(read(client_secret_env)?),
        }))
    }
}

/// Read the secrets named by the manifests (e.g. a data-action integration's basic-auth
/// password) from environment variables: the values found, and the names of the unset
/// or empty variables.
pub(crate) fn read_secrets<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> (BTreeMap<String, Secret>, Vec<String>) {
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    for name in names {
        match std::env::var(name) {
            Ok(v) if !v.is_empty() => {
                found.insert(name.to_string(), Secret::new(v));
            }
            _ => {
                if !missing.iter().any(|m| m == name) {
                    missing.push(name.to_string());
                }
            }
        }
    }
    (found, missing)
}

/// Read `genseed.yaml`; a missing file is an empty project. Anything but a regular file
/// (a folder, or a FIFO that would block the read forever) is refused.
fn read_project_file(path: &Path) -> Result<ProjectFile, SettingsError> {
    let fail = |message: String| SettingsError::File {
        path: path.to_path_buf(),
        message,
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ProjectFile::default()),
        Err(e) => return Err(fail(e.to_string())),
        Ok(meta) if meta.is_dir() => return Err(fail("is a folder, not a file".into())),
        Ok(meta) if !meta.is_file() => {
            return Err(fail(
                "is not a regular file (a FIFO, socket or device); genseed.yaml must be an ordinary file".into(),
            ));
        }
        Ok(meta) if meta.len() > crate::manifest::yaml::MAX_FILE_BYTES => {
            return Err(fail(format!("is too large ({} bytes)", meta.len())));
        }
        Ok(_) => {}
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    parse_project_file(path, &text)
}

/// The environment `env` of the project file; `local` exists without being declared.
fn select_env(file: &ProjectFile, env: &str) -> Result<EnvFile, SettingsError> {
    match file.environments.get(env) {
        Some(e) => Ok(e.clone()),
        None if env == LOCAL_ENV => Ok(EnvFile {
            emulator: true,
            ..EnvFile::default()
        }),
        None => {
            let mut names: Vec<String> = file.environments.keys().cloned().collect();
            if !names.iter().any(|n| n == LOCAL_ENV) {
                names.insert(0, LOCAL_ENV.into());
            }
            Err(SettingsError::UnknownEnv {
                name: env.into(),
                known: names,
            })
        }
    }
}

/// The org of a non-emulator environment: its URLs (from `region`, or `apiUrl` with
/// `loginUrl`) and the variables holding its credentials. Errors say what to set.
fn remote_target(env_file: &EnvFile) -> Result<Target, String> {
    let (api_url, login_url) = match (&env_file.region, &env_file.api_url, &env_file.login_url) {
        (Some(r), None, None) => {
            let r = r.trim().trim_start_matches("api.").trim_end_matches('/');
            (format!("https://api.{r}"), format!("https://login.{r}"))
        }
        (None, Some(a), Some(l)) => (a.clone(), l.clone()),
        (None, Some(_), None) | (None, None, Some(_)) => {
            return Err("set both `apiUrl` and `loginUrl`, or `region` alone".into());
        }
        (Some(_), _, _) => {
            return Err("set either `region` or `apiUrl`/`loginUrl`, not both".into());
        }
        (None, None, None) => {
            return Err(
                "no org: set `region` (e.g. usw2.pure.cloud), `apiUrl`/`loginUrl`, or `emulator: true`".into(),
            );
        }
    };
    check_url(&api_url).map_err(|m| format!("apiUrl: {m}"))?;
    check_url(&login_url).map_err(|m| format!("loginUrl: {m}"))?;
    let (Some(id_env), Some(secret_env)) = (
        env_file.client_id_env.clone(),
        env_file.client_secret_env.clone(),
    ) else {
        return Err(
            "set `clientIdEnv` and `clientSecretEnv` to the names of the environment variables that hold the OAuth client credentials".into(),
        );
    };
    Ok(Target::Remote {
        api_url,
        login_url,
        client_id_env: id_env,
        client_secret_env: secret_env,
    })
}

/// Read `genseed.yaml` like a manifest: YAML with locations, checked against the
/// schema of [`ProjectFile`], so every problem comes out as `file:line:col`.
fn parse_project_file(path: &Path, text: &str) -> Result<ProjectFile, SettingsError> {
    let doc = crate::manifest::load_yaml(path, text).map_err(SettingsError::Invalid)?;
    let schema = serde_json::to_value(schemars::schema_for!(ProjectFile)).expect("schema");
    let problems = crate::manifest::validate_against(&schema, &doc);
    if problems.has_errors() {
        return Err(SettingsError::Invalid(problems));
    }
    serde_json::from_value(doc.value).map_err(|e| SettingsError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// `https://` anywhere; plain `http://` only to loopback addresses.
fn check_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => {
            let host = parsed.host_str().unwrap_or_default();
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(())
            } else {
                Err(format!(
                    "`{url}` uses plain http; only https is allowed, except to loopback addresses"
                ))
            }
        }
        other => Err(format!(
            "`{url}`: scheme `{other}` is not supported; use https"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(yaml: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("genseed.yaml"), yaml).unwrap();
        dir
    }

    #[test]
    fn a_project_file_that_is_a_fifo_or_folder_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("genseed.yaml");
        std::fs::create_dir(&path).unwrap();
        let err = Settings::load(dir.path(), "local", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("genseed.yaml: is a folder, not a file"),
            "{err}"
        );
        std::fs::remove_dir(&path).unwrap();
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        if made.is_ok_and(|s| s.success()) {
            let err = Settings::load(dir.path(), "local", None)
                .unwrap_err()
                .to_string();
            assert!(err.contains("is not a regular file"), "{err}");
        }
    }

    #[test]
    fn local_exists_without_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::load(dir.path(), "local", None).unwrap();
        assert!(matches!(s.target, Target::Emulator { .. }));
        assert!(s.seeds.ends_with("seeds"));
        assert!(Settings::load(dir.path(), "dev", None).is_err());
    }

    #[test]
    fn region_gives_api_and_login_hosts() {
        let dir = project(
            "environments:\n  dev:\n    region: usw2.pure.cloud\n    clientIdEnv: A\n    clientSecretEnv: B\n",
        );
        let s = Settings::load(dir.path(), "dev", None).unwrap();
        let Target::Remote {
            api_url, login_url, ..
        } = s.target
        else {
            panic!("remote expected")
        };
        assert_eq!(api_url, "https://api.usw2.pure.cloud");
        assert_eq!(login_url, "https://login.usw2.pure.cloud");
    }

    #[test]
    fn queue_creates_are_paced_on_real_orgs_only_unless_configured() {
        let dir = project(
            "environments:\n  dev:\n    region: usw2.pure.cloud\n    clientIdEnv: A\n    clientSecretEnv: B\n  fast:\n    region: usw2.pure.cloud\n    clientIdEnv: A\n    clientSecretEnv: B\n    queueCreateIntervalMs: 250\n  local:\n    emulator: true\n",
        );
        let ms = |env: &str| {
            Settings::load(dir.path(), env, None)
                .unwrap()
                .queue_create_interval
                .as_millis()
        };
        assert_eq!(ms("dev"), u128::from(DEFAULT_QUEUE_CREATE_INTERVAL_MS));
        assert_eq!(ms("fast"), 250);
        assert_eq!(ms("local"), 0);
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let ok = project(
            "environments:\n  e:\n    apiUrl: http://127.0.0.1:9\n    loginUrl: http://localhost:9\n    clientIdEnv: A\n    clientSecretEnv: B\n",
        );
        Settings::load(ok.path(), "e", None).unwrap();
        let bad = project(
            "environments:\n  e:\n    apiUrl: http://example.com\n    loginUrl: http://example.com\n    clientIdEnv: A\n    clientSecretEnv: B\n",
        );
        let err = Settings::load(bad.path(), "e", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("plain http"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused_with_location() {
        let dir = project("environments:\n  dev:\n    regoin: x\n");
        let Err(SettingsError::Invalid(diags)) = Settings::load(dir.path(), "dev", None) else {
            panic!("located diagnostics expected")
        };
        let d = diags.iter().next().unwrap();
        assert!(d.message.contains("regoin"), "{}", d.message);
        let at = d.location.as_ref().unwrap();
        assert!(at.file.ends_with("genseed.yaml"));
        assert_eq!((at.line, at.col), (3, 5));
    }
}
