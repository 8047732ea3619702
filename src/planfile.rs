//! Saved plans (`plan --out FILE`, `apply FILE`, `show FILE`): a plan reviewed once and
//! applied later, unchanged, or refused when the world moved in between.
//!
//! A plan file is JSON (format [`FORMAT_VERSION`], documented in the README):
//! everything `plan --json` prints (`env`, `org`, `changes`, `counts`, `hasChanges`),
//! plus what binds it to the world it was computed from: a random `planId`, the genseed
//! version, when it was made, the state file's serial and lineage, a hash of the
//! manifests (and of every seed and CSV file), the names of the environment variables
//! holding the secrets it needs (never their values), and for each change the
//! observed object's `version` and a fingerprint (SHA-256 of its observed view) it was
//! computed from.
//!
//! This module is the format and its checks, all pure: the caller reads the world
//! (state, manifests, a fresh observation of the objects the plan changes) and asks
//! [`check_binding`] and [`reconcile_fresh`] whether the plan still holds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::kinds::{Addr, kind};
use crate::plan::{Action, Change, Counts, Plan};
use crate::state::State;
use crate::validate::Loaded;

/// The plan file format this build reads and writes.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// How old a saved plan may be by default before `apply FILE` refuses it.
pub(crate) const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// A saved plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PlanFile {
    /// [`FORMAT_VERSION`] at the time of writing.
    pub format_version: u32,
    /// A random id of this plan (an interrupted `apply FILE` records it in the state
    /// so that running the same file again resumes).
    pub plan_id: String,
    /// The genseed that made it.
    pub genseed_version: String,
    /// When it was made, RFC 3339 UTC (for people).
    pub created_at: String,
    /// When it was made, seconds since the Unix epoch (for the expiry check).
    pub created_at_unix: u64,
    /// The environment name.
    pub env: String,
    /// The org it was computed for.
    pub org: OrgInfo,
    /// The state file it was computed against.
    pub state: StateBinding,
    /// The manifests it was computed from.
    pub manifests: ManifestDigest,
    /// Environment variables apply reads the secrets from (names only).
    pub secret_envs: Vec<String>,
    /// Every change, unchanged ones included, with what it was computed from.
    pub changes: Vec<SavedChange>,
    /// Counts per action.
    pub counts: Counts,
    /// Whether applying would change anything.
    pub has_changes: bool,
}

/// An org's id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OrgInfo {
    /// The org id.
    pub id: String,
    /// The org name.
    pub name: String,
}

/// The state a plan was computed against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StateBinding {
    /// Its serial (0: no state file yet).
    pub serial: u64,
    /// Its lineage (none before its first save).
    #[serde(default)]
    pub lineage: Option<String>,
}

/// Hashes of the manifests: one over everything, and one per file (to name what
/// changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ManifestDigest {
    /// SHA-256 over every file and the declared objects as loaded (variables
    /// substituted), hex.
    pub hash: String,
    /// SHA-256 of each seed and CSV file, by path relative to the seeds folder.
    pub files: BTreeMap<String, String>,
}

/// One change of a saved plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SavedChange {
    /// The change, as `plan --json` shows it.
    #[serde(flatten)]
    pub change: Change,
    /// The observed object's `version`, when the API gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_version: Option<Value>,
    /// SHA-256 of the observed view the change was computed from; none when the
    /// object was not in the org.
    #[serde(default)]
    pub fingerprint: Option<String>,
}

/// Errors reading a plan file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanFileError {
    /// The file cannot be read.
    #[error("cannot read the plan file {path}: {cause}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// The file is not a plan file.
    #[error(
        "{path}: not a genseed plan file: {message}\nhint: make one with `genseed plan --out FILE`"
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line and column.
        message: String,
    },
    /// The file was written by a newer genseed.
    #[error(
        "{path}: plan format {found} is newer than this genseed understands ({FORMAT_VERSION})\nhint: apply it with the genseed version that made it ({made_by})"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its format version.
        found: u64,
        /// The genseed version that wrote it.
        made_by: String,
    },
}

impl PlanFile {
    /// The saved form of `plan`, computed for `org` of environment `env` against
    /// `state` and the manifests digested in `manifests`, at `now` (Unix seconds).
    pub(crate) fn new(
        plan: &Plan,
        env: &str,
        org: OrgInfo,
        state: &State,
        manifests: ManifestDigest,
        now: u64,
    ) -> Self {
        let mut secret_envs: Vec<String> = plan
            .changes
            .iter()
            .filter_map(|c| Some(kind(c.addr().kind)?.secret_envs(&c.declared.spec)))
            .flatten()
            .collect();
        secret_envs.sort();
        secret_envs.dedup();
        PlanFile {
            format_version: FORMAT_VERSION,
            plan_id: format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
            genseed_version: env!("CARGO_PKG_VERSION").to_string(),
            created_at: rfc3339(now),
            created_at_unix: now,
            env: env.to_string(),
            org,
            state: StateBinding {
                serial: state.serial,
                lineage: state.lineage.clone(),
            },
            manifests,
            secret_envs,
            changes: plan
                .changes
                .iter()
                .map(|c| SavedChange {
                    change: c.clone(),
                    observed_version: observed_version(c),
                    fingerprint: c.fingerprint.clone(),
                })
                .collect(),
            counts: plan.counts(),
            has_changes: plan.has_changes(),
        }
    }

    /// The plan it holds (the observed objects are not saved: apply reads them again).
    pub(crate) fn plan(&self) -> Plan {
        Plan {
            changes: self.changes.iter().map(|s| s.change.clone()).collect(),
            ..Plan::default()
        }
    }

    /// The JSON text of the file.
    pub(crate) fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a plan file serializes");
        text.push('\n');
        text
    }

    /// Read and parse a plan file.
    pub(crate) fn read(path: &Path) -> Result<PlanFile, PlanFileError> {
        let text = std::fs::read_to_string(path).map_err(|cause| PlanFileError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        let invalid = |e: serde_json::Error| PlanFileError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let probe: Value = serde_json::from_str(&text).map_err(invalid)?;
        let found = probe.get("formatVersion").and_then(Value::as_u64);
        match found {
            None => {
                return Err(PlanFileError::Invalid {
                    path: path.to_path_buf(),
                    message: "`formatVersion` is missing".into(),
                });
            }
            Some(v) if v > u64::from(FORMAT_VERSION) => {
                return Err(PlanFileError::TooNew {
                    path: path.to_path_buf(),
                    found: v,
                    made_by: probe["genseedVersion"]
                        .as_str()
                        .unwrap_or("unknown")
                        .to_string(),
                });
            }
            Some(_) => {}
        }
        serde_json::from_str(&text).map_err(invalid)
    }
}

/// The observed object's `version` field, if any.
fn observed_version(c: &Change) -> Option<Value> {
    c.observed
        .as_ref()
        .and_then(|o| o.get("version"))
        .filter(|v| !v.is_null())
        .cloned()
}

/// SHA-256 (hex) of a value in canonical form (object keys sorted), or none.
pub(crate) fn fingerprint(view: Option<&Value>) -> Option<String> {
    view.map(|v| {
        let mut text = String::new();
        canonical(v, &mut text);
        hex(&Sha256::digest(text.as_bytes()))
    })
}

/// `v` as compact JSON with every object's keys sorted.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Digest the loaded manifests: every seed file and every CSV file they pull rows from
/// (paths relative to `seeds`), and the declared objects as loaded, so that a changed
/// variable counts too.
pub(crate) fn digest(loaded: &Loaded, seeds: &Path) -> ManifestDigest {
    let mut paths: Vec<&Path> = loaded
        .files
        .iter()
        .map(PathBuf::as_path)
        .chain(loaded.declared.iter().map(|d| &*d.origin.file))
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    paths.sort();
    paths.dedup();
    let mut files = BTreeMap::new();
    for p in paths {
        let name = p
            .strip_prefix(seeds)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned();
        let hash = match std::fs::read(p) {
            Ok(bytes) => hex(&Sha256::digest(&bytes)),
            Err(_) => "unreadable".to_string(),
        };
        files.insert(name, hash);
    }
    let mut all = Sha256::new();
    for (name, hash) in &files {
        all.update(format!("{name}\0{hash}\n").as_bytes());
    }
    for d in &loaded.declared {
        let mut spec = String::new();
        canonical(&d.spec, &mut spec);
        all.update(format!("{}\0{spec}\n", d.addr).as_bytes());
    }
    ManifestDigest {
        hash: hex(&all.finalize()),
        files,
    }
}

/// What `apply FILE` checks before contacting the org.
pub(crate) struct Binding<'a> {
    /// The environment of this run.
    pub env: &'a str,
    /// The state as loaded now.
    pub state: &'a State,
    /// The manifests as loaded now; none with `--ignore-manifest-changes`.
    pub manifests: Option<&'a ManifestDigest>,
    /// Now, in seconds since the Unix epoch.
    pub now: u64,
    /// The longest age accepted.
    pub max_age: Duration,
}

/// Whether running the file again resumes an interrupted `apply FILE` of it.
pub(crate) fn resuming(file: &PlanFile, state: &State) -> bool {
    state.plan_id.as_deref() == Some(file.plan_id.as_str())
        && (file.state.lineage.is_none() || file.state.lineage == state.lineage)
}

/// Everything that moved since the plan was made (empty: it still holds), short of
/// the org's objects, which [`reconcile_fresh`] checks.
pub(crate) fn check_binding(file: &PlanFile, now: &Binding) -> Vec<String> {
    let mut moved = Vec::new();
    if file.env != now.env {
        moved.push(format!(
            "the plan was made for environment `{}`, not `{}`",
            file.env, now.env
        ));
        // Nothing else compares between environments.
        return moved;
    }
    if let Some(known) = &now.state.org_id
        && known != &file.org.id
    {
        moved.push(format!(
            "the state file belongs to org {known}, the plan to org {}",
            file.org.id
        ));
    }
    if file.state.lineage.is_some() && file.state.lineage != now.state.lineage {
        moved.push(
            "the state file is not the one the plan was made against (its lineage differs)"
                .to_string(),
        );
    } else if now.state.serial != file.state.serial && !resuming(file, now.state) {
        moved.push(format!(
            "the state moved: serial {} when the plan was made, {} now (another apply ran since)",
            file.state.serial, now.state.serial
        ));
    }
    if let Some(m) = now.manifests
        && m.hash != file.manifests.hash
    {
        let mut names: Vec<String> = Vec::new();
        for (name, hash) in &m.files {
            match file.manifests.files.get(name) {
                None => names.push(format!("{name} (new)")),
                Some(h) if h != hash => names.push(name.clone()),
                Some(_) => {}
            }
        }
        for name in file.manifests.files.keys() {
            if !m.files.contains_key(name) {
                names.push(format!("{name} (removed)"));
            }
        }
        moved.push(if names.is_empty() {
            "the manifests load differently than when the plan was made (a variable changed?)"
                .to_string()
        } else {
            format!(
                "the manifests changed since the plan was made: {}",
                names.join(", ")
            )
        });
    }
    let age = now.now.saturating_sub(file.created_at_unix);
    if age > now.max_age.as_secs() {
        moved.push(format!(
            "the plan expired: made {} ago ({}), the limit is {}",
            human(age),
            file.created_at,
            human(now.max_age.as_secs())
        ));
    }
    moved
}

/// Decide what to apply from a saved plan and a fresh plan of the objects it changes
/// (computed from the same declared objects, against a fresh read of the org). Each
/// change the saved plan makes must find its object as it was when the plan was made
/// (same `version`, same fingerprint); otherwise it is named in the error.
///
/// When `resume` (this file's apply was interrupted), changes already done are
/// skipped (the object now matches the manifests) or only recorded (created, but
/// the kill came before the state write), and objects the plan creates may be found
/// half made (created, members not all added yet); an object the plan updates that
/// differs from both the plan's starting point and the manifests is still refused.
pub(crate) fn reconcile_fresh(
    saved: &PlanFile,
    fresh: &Plan,
    resume: bool,
) -> Result<Plan, Vec<String>> {
    let by_addr: BTreeMap<&Addr, &Change> = fresh.changes.iter().map(|c| (c.addr(), c)).collect();
    let mut moved = Vec::new();
    let mut changes = Vec::with_capacity(saved.changes.len());
    for s in &saved.changes {
        let planned = &s.change;
        if planned.action == Action::Noop {
            // Read again only when a change references it: it must still exist.
            if let Some(now) = by_addr.get(planned.addr())
                && planned.id.is_some()
                && now.id.is_none()
            {
                moved.push(format!(
                    "{}: the plan's changes reference it, but it was deleted from the org since",
                    planned.addr()
                ));
            }
            changes.push(planned.clone());
            continue;
        }
        let Some(now) = by_addr.get(planned.addr()) else {
            moved.push(format!(
                "{}: not read again (internal error)",
                planned.addr()
            ));
            continue;
        };
        let done = now.action == Action::Noop
            || (now.action == Action::Adopt && planned.action != Action::Adopt);
        let same = now.fingerprint == s.fingerprint && observed_version(now) == s.observed_version;
        // Resuming, what this file's first run already did shows as done, or as an
        // object it created (or deleted to replace) that is not finished yet: act on
        // it as it is now; it is never created a second time.
        let ours = planned.action == Action::Create
            || (planned.action == Action::Replace && now.action == Action::Create);
        if resume && (done || ours) {
            changes.push(Change {
                tier: planned.tier,
                ..(*now).clone()
            });
            continue;
        }
        if same {
            changes.push(Change {
                // The reviewed action; the fresh object to act on.
                action: planned.action,
                diffs: planned.diffs.clone(),
                tier: planned.tier,
                ..(*now).clone()
            });
            continue;
        }
        moved.push(match (&s.fingerprint, &now.fingerprint) {
            (None, Some(_)) => format!(
                "{}: the plan creates it, but it exists in the org now",
                planned.addr()
            ),
            (Some(_), None) => format!(
                "{}: it was deleted from the org since the plan was made",
                planned.addr()
            ),
            _ => format!(
                "{}: it was changed in the org since the plan was made",
                planned.addr()
            ),
        });
    }
    if moved.is_empty() {
        Ok(Plan {
            changes,
            ..Plan::default()
        })
    } else {
        Err(moved)
    }
}

/// Parse a duration such as `24h`, `90m`, `30s`, `2d` (a bare number is seconds).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 24h, 90m, 30s, 2d)"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use s, m, h or d)"
            ));
        }
    };
    Ok(Duration::from_secs(n.saturating_mul(factor)))
}

/// Seconds as `1d 2h`, `3h 5m`, `4m 10s` or `12s`.
fn human(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// Unix seconds as RFC 3339 UTC (`2026-01-31T12:00:00Z`).
pub(crate) fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Now, in seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::for_tests::skill;
    use crate::kinds::{Declared, FieldDiff, Origin};
    use serde_json::json;

    fn change(key: &str, action: Action, observed: Option<Value>) -> Change {
        Change {
            declared: Declared {
                addr: Addr::new(skill(), key),
                spec: std::sync::Arc::new(json!({"name": key})),
                origin: Origin::default(),
            },
            action,
            tier: 0,
            adopting: false,
            unmanaged: Vec::new(),
            id: observed.as_ref().map(|_| format!("id-{key}")),
            diffs: if action == Action::Update {
                vec![FieldDiff {
                    path: "description".into(),
                    before: None,
                    after: json!("x"),
                }]
            } else {
                Vec::new()
            },
            depends_on: Vec::new(),
            fingerprint: fingerprint(observed.as_ref()),
            observed_view: observed.clone().map(Box::new),
            observed: observed.map(Box::new),
        }
    }

    fn digest_of(hash: &str, files: &[(&str, &str)]) -> ManifestDigest {
        ManifestDigest {
            hash: hash.into(),
            files: files
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    }

    fn saved(changes: Vec<Change>) -> PlanFile {
        let mut state = State::new("dev");
        state.serial = 3;
        state.lineage = Some("L".into());
        PlanFile::new(
            &Plan {
                changes,
                ..Plan::default()
            },
            "dev",
            OrgInfo {
                id: "org".into(),
                name: "Org".into(),
            },
            &state,
            digest_of("h", &[("a.yaml", "1"), ("b.yaml", "2")]),
            1_000_000,
        )
    }

    fn binding<'a>(state: &'a State, m: Option<&'a ManifestDigest>, now: u64) -> Binding<'a> {
        Binding {
            env: "dev",
            state,
            manifests: m,
            now,
            max_age: DEFAULT_MAX_AGE,
        }
    }

    fn state(serial: u64) -> State {
        let mut s = State::new("dev");
        s.serial = serial;
        s.lineage = Some("L".into());
        s
    }

    #[test]
    fn a_plan_that_still_holds_passes_and_each_move_is_named() {
        let f = saved(vec![change("A", Action::Create, None)]);
        let m = f.manifests.clone();
        assert!(check_binding(&f, &binding(&state(3), Some(&m), 1_000_010)).is_empty());
        let moved = check_binding(&f, &binding(&state(4), Some(&m), 1_000_010));
        assert!(
            moved[0].contains("serial 3 when the plan was made, 4 now"),
            "{moved:?}"
        );
        let edited = digest_of("h2", &[("a.yaml", "1"), ("b.yaml", "9"), ("c.csv", "3")]);
        let moved = check_binding(&f, &binding(&state(3), Some(&edited), 1_000_010));
        assert_eq!(
            moved,
            ["the manifests changed since the plan was made: b.yaml, c.csv (new)"]
        );
        let late = 1_000_000 + 24 * 3600 + 1;
        let moved = check_binding(&f, &binding(&state(3), None, late));
        assert!(
            moved[0].starts_with("the plan expired: made 1d 0h ago"),
            "{moved:?}"
        );
        let s3 = state(3);
        let mut b = binding(&s3, None, 1_000_010);
        b.env = "prod";
        assert_eq!(
            check_binding(&f, &b),
            ["the plan was made for environment `dev`, not `prod`"]
        );
        let mut other = state(3);
        other.lineage = Some("M".into());
        assert!(check_binding(&f, &binding(&other, None, 1_000_010))[0].contains("lineage"));
    }

    #[test]
    fn a_moved_serial_is_accepted_when_resuming_this_plan() {
        let f = saved(vec![change("A", Action::Create, None)]);
        let mut s = state(7);
        s.plan_id = Some(f.plan_id.clone());
        assert!(resuming(&f, &s));
        assert!(check_binding(&f, &binding(&s, None, 1_000_010)).is_empty());
        s.plan_id = Some("another".into());
        assert!(!check_binding(&f, &binding(&s, None, 1_000_010)).is_empty());
    }

    #[test]
    fn objects_changed_in_the_org_are_refused_by_name() {
        let plan_of = |changes: Vec<Change>| Plan {
            changes,
            ..Plan::default()
        };
        let before = json!({"name": "B", "description": "old", "version": 1});
        let f = saved(vec![
            change("A", Action::Create, None),
            change("B", Action::Update, Some(before.clone())),
            change("C", Action::Noop, Some(json!({"name": "C"}))),
        ]);
        // Unchanged org: the reviewed actions, on the fresh objects.
        let fresh = plan_of(vec![
            change("A", Action::Create, None),
            change("B", Action::Update, Some(before.clone())),
        ]);
        let plan = reconcile_fresh(&f, &fresh, false).unwrap();
        let actions: Vec<Action> = plan.changes.iter().map(|c| c.action).collect();
        assert_eq!(actions, [Action::Create, Action::Update, Action::Noop]);
        // Key order does not matter; a new version or content does.
        let reordered = json!({"version": 1, "description": "old", "name": "B"});
        let fresh2 = plan_of(vec![
            change("A", Action::Create, None),
            change("B", Action::Update, Some(reordered)),
        ]);
        assert!(reconcile_fresh(&f, &fresh2, false).is_ok());
        let edited = json!({"name": "B", "description": "other", "version": 2});
        let fresh3 = plan_of(vec![
            change("A", Action::Adopt, Some(json!({"name": "A"}))),
            change("B", Action::Update, Some(edited)),
        ]);
        let moved = reconcile_fresh(&f, &fresh3, false).unwrap_err();
        assert_eq!(
            moved,
            [
                "skill/A: the plan creates it, but it exists in the org now",
                "skill/B: it was changed in the org since the plan was made"
            ]
        );
        // Resuming: A was created (not recorded), B already updated.
        let fresh4 = plan_of(vec![
            change("A", Action::Adopt, Some(json!({"name": "A"}))),
            change("B", Action::Noop, Some(json!({"name": "B"}))),
        ]);
        let plan = reconcile_fresh(&f, &fresh4, true).unwrap();
        let actions: Vec<Action> = plan.changes.iter().map(|c| c.action).collect();
        assert_eq!(actions, [Action::Adopt, Action::Noop, Action::Noop]);
        // An unchanged object that a change references must still exist.
        let gone = plan_of(vec![
            change("A", Action::Create, None),
            change("B", Action::Update, Some(before.clone())),
            change("C", Action::Create, None),
        ]);
        assert_eq!(
            reconcile_fresh(&f, &gone, false).unwrap_err(),
            ["skill/C: the plan's changes reference it, but it was deleted from the org since"]
        );
        // Resuming, a half-made object the plan creates is finished, never created
        // again; one it updates that someone else changed is still refused.
        let fresh5 = plan_of(vec![
            change("A", Action::Update, Some(json!({"name": "A"}))),
            change(
                "B",
                Action::Update,
                Some(json!({"name": "B", "version": 9})),
            ),
        ]);
        assert_eq!(
            reconcile_fresh(&f, &fresh5, true).unwrap_err(),
            ["skill/B: it was changed in the org since the plan was made"]
        );
        let fresh6 = plan_of(vec![
            change("A", Action::Update, Some(json!({"name": "A"}))),
            change("B", Action::Noop, Some(json!({"name": "B"}))),
        ]);
        let plan = reconcile_fresh(&f, &fresh6, true).unwrap();
        assert_eq!(plan.changes[0].action, Action::Update);
        assert!(plan.changes[0].observed.is_some());
    }

    #[test]
    fn the_file_round_trips_and_newer_formats_are_refused() {
        let f = saved(vec![change(
            "B",
            Action::Update,
            Some(json!({"name": "B", "version": 4})),
        )]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        std::fs::write(&path, f.to_json()).unwrap();
        let back = PlanFile::read(&path).unwrap();
        assert_eq!(back.plan_id, f.plan_id);
        assert_eq!(back.changes[0].observed_version, Some(json!(4)));
        assert_eq!(back.changes[0].fingerprint, f.changes[0].fingerprint);
        assert_eq!(back.plan().changes[0].action, Action::Update);
        std::fs::write(
            &path,
            f.to_json()
                .replace("\"formatVersion\": 1", "\"formatVersion\": 9"),
        )
        .unwrap();
        assert!(matches!(
            PlanFile::read(&path),
            Err(PlanFileError::TooNew { found: 9, .. })
        ));
        std::fs::write(&path, "{\"formatVersion\": 1}").unwrap();
        assert!(matches!(
            PlanFile::read(&path),
            Err(PlanFileError::Invalid { .. })
        ));
    }

    #[test]
    fn durations_and_dates() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("15"), Ok(Duration::from_secs(15)));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600 + 3661), "2026-01-01T01:01:01Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
