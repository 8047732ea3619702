//! What plan and apply do for the integrations tier before any write: refuse replaces
//! without `--allow-replace`, probe the data actions' target URLs, and read the secrets
//! the planned credential changes need.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;

use super::Prepared;
use crate::client::Secret;
use crate::kinds::kind;
use crate::plan::Action;
use crate::preflight;
use crate::report::{self, Ui};
use crate::settings::{Target, read_secrets};

/// How long one URL probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The placeholder secret the embedded emulator gets when a variable is unset.
pub(super) const LOCAL_PLACEHOLDER: &str = "genseed-local-placeholder";

/// Refuse a plan with replaces unless they are allowed; names them all.
pub(super) fn check_replaces(prepared: &Prepared, allow: bool) -> anyhow::Result<()> {
    let replaces: Vec<String> = prepared
        .plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Replace)
        .map(|c| {
            let fields: Vec<&str> = c.diffs.iter().map(|d| d.path.as_str()).collect();
            format!(
                "  {} ({} cannot change in place)",
                c.addr(),
                fields.join(", ")
            )
        })
        .collect();
    if replaces.is_empty() || allow {
        return Ok(());
    }
    Err(anyhow!(
        "the plan replaces {} object{} (deletes and creates again), and --allow-replace was not given; nothing was changed:\n{}\nhint: replacing gives the object a new ID (flows, triggers or other tools that hold the old ID must be updated); run again with --allow-replace if that is what you want",
        replaces.len(),
        if replaces.len() == 1 { "" } else { "s" },
        replaces.join("\n")
    ))
}

/// Probe the target URLs of the data actions in scope. The embedded emulator never
/// calls them, so its environments skip the check.
pub(super) async fn check_urls(prepared: &Prepared, skip: bool, ui: &Ui) -> anyhow::Result<()> {
    if skip || matches!(prepared.settings.target, Target::Emulator { .. }) {
        return Ok(());
    }
    let targets: Vec<(String, String)> = prepared
        .plan
        .changes
        .iter()
        .map(|c| &c.declared)
        .filter_map(|d| {
            let url = kind(d.addr.kind)?.preflight_url(&d.spec)?;
            Some((d.addr.to_string(), url))
        })
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    let failures = preflight::check(&targets, PROBE_TIMEOUT).await;
    if failures.is_empty() {
        return Ok(());
    }
    report::error(ui, &preflight::render(&failures));
    Err(anyhow!(super::Reported))
}

/// Read the secrets of the integrations whose credentials the plan sets. A remote
/// environment with unset variables is an error naming them all; the embedded
/// emulator gets a placeholder and a warning.
pub(super) fn load_secrets(prepared: &mut Prepared, ui: &Ui) -> anyhow::Result<()> {
    let mut names = Vec::new();
    for c in &prepared.plan.changes {
        let Some(k) = kind(c.addr().kind) else {
            continue;
        };
        let secret_field = |path: &str| {
            k.secret_fields()
                .iter()
                .any(|f| path == *f || path.starts_with(&format!("{f}.")))
        };
        let needs = match c.action {
            Action::Create | Action::Replace => true,
            Action::Update => c.diffs.iter().any(|d| secret_field(&d.path)),
            Action::Adopt | Action::Noop => false,
        };
        if needs {
            names.extend(k.secret_envs(&c.declared.spec));
        }
    }
    let (mut found, missing) = read_secrets(names.iter().map(String::as_str));
    if !missing.is_empty() {
        match prepared.settings.target {
            Target::Emulator { .. } => {
                report::warning(
                    ui,
                    &format!(
                        "{} not set: the embedded emulator gets placeholder credentials",
                        missing.join(", ")
                    ),
                );
                for m in missing {
                    found.insert(m, Secret::new(LOCAL_PLACEHOLDER));
                }
            }
            Target::Remote { .. } => {
                return Err(anyhow!(
                    "environment variable{} {} not set; the integrations' credentials are read from them; nothing was changed",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", ")
                ));
            }
        }
    }
    prepared.ctx.secrets = Arc::new(found);
    Ok(())
}

/// Apply `--only` to the plan; fail when a selected object needs one outside the
/// selection that is not in the org yet.
pub(super) fn select(prepared: &mut Prepared, only: &[String]) -> anyhow::Result<()> {
    for s in only {
        if !crate::kinds::KINDS
            .iter()
            .any(|k| crate::kinds::selected_by(*k, s))
        {
            let mut groups: Vec<&str> = crate::kinds::KINDS.iter().map(|k| k.group()).collect();
            groups.dedup();
            let kinds: Vec<&str> = crate::kinds::KINDS
                .iter()
                .filter_map(|k| k.manifest_key().map(|_| k.name()))
                .collect();
            let known = crate::kinds::KINDS
                .iter()
                .flat_map(|k| [Some(k.group()), Some(k.name()), k.manifest_key()])
                .flatten();
            let hint = crate::suggest::hint(s, known)
                .map(|h| format!("\nhint: {h}"))
                .unwrap_or_default();
            return Err(anyhow!(
                "--only {s}: no such group or kind (groups: {}; kinds: {}){hint}",
                groups.join(", "),
                kinds.join(", ")
            ));
        }
    }
    let missing = crate::reconcile::select(&mut prepared.plan, only);
    if !missing.is_empty() {
        return Err(anyhow!(
            "--only {}: {}\nhint: apply the rest first (without --only)",
            only.join(","),
            missing.join("; ")
        ));
    }
    Ok(())
}
