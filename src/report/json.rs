//! The JSON documents genseed prints on stdout with `--json` (one per run). Each has
//! a `formatVersion` (1); the README documents every field. Values are the same views
//! the text shows, so secrets appear only as `(sensitive)`.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::client::ClientStats;
use crate::diag::Diagnostics;
use crate::plan::{Action, Change, Plan};
use crate::reconcile::Summary;

/// The version of every document below; raised when a field changes meaning or goes.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// An error: its first line is the message, `hint:` lines become hints.
pub(crate) fn error(message: &str) -> Value {
    let mut lines = message.lines();
    let first = lines.next().unwrap_or_default().to_string();
    let (hints, rest): (Vec<&str>, Vec<&str>) =
        lines.partition(|l| l.trim_start().starts_with("hint:"));
    let mut text = first;
    for line in rest {
        text.push('\n');
        text.push_str(line);
    }
    let hints: Vec<String> = hints
        .iter()
        .map(|h| {
            h.trim_start()
                .trim_start_matches("hint:")
                .trim()
                .to_string()
        })
        .collect();
    json!({
        "formatVersion": FORMAT_VERSION,
        "error": {"message": text, "hints": hints},
    })
}

/// Located problems in manifests or `genseed.yaml`.
pub(crate) fn diagnostics(diags: &Diagnostics) -> Vec<Value> {
    diags
        .iter()
        .map(|d| {
            json!({
                "severity": d.severity.to_string(),
                "file": d.location.as_ref().map(|l| l.file.display().to_string()),
                "line": d.location.as_ref().map(|l| l.line),
                "column": d.location.as_ref().map(|l| l.col),
                "pointer": d.pointer,
                "message": d.message,
                "hint": d.hint,
            })
        })
        .collect()
}

/// Input that failed its checks, for commands other than `validate`.
pub(crate) fn invalid(what: &str, diags: &Diagnostics) -> Value {
    json!({
        "formatVersion": FORMAT_VERSION,
        "error": {
            "message": format!("{what}: {}", crate::diag::summary(diags)),
            "hints": [],
        },
        "diagnostics": diagnostics(diags),
    })
}

/// What `validate` read and counted.
pub(crate) struct Validated<'a> {
    /// Manifest files.
    pub files: &'a [PathBuf],
    /// CSV files the manifests named.
    pub csv_files: &'a [PathBuf],
    /// Objects (what has an ID in the org).
    pub objects: usize,
    /// Everything plan counts: objects and their managed sets.
    pub declared: usize,
    /// Dependency tiers.
    pub tiers: usize,
}

/// `validate --json`: valid or not, what was read, and every diagnostic.
pub(crate) fn validate(read: Option<&Validated>, diags: &Diagnostics) -> Value {
    let paths =
        |p: &[PathBuf]| -> Vec<String> { p.iter().map(|f| f.display().to_string()).collect() };
    json!({
        "formatVersion": FORMAT_VERSION,
        "valid": !diags.has_errors(),
        "files": read.map(|r| paths(r.files)).unwrap_or_default(),
        "csvFiles": read.map(|r| paths(r.csv_files)).unwrap_or_default(),
        "counts": read.map(|r| json!({
            "objects": r.objects,
            "declared": r.declared,
            "tiers": r.tiers,
        })),
        "diagnostics": diagnostics(diags),
    })
}

fn change_fields(c: &Change) -> serde_json::Map<String, Value> {
    let v = json!({
        "address": c.addr().to_string(),
        "kind": c.addr().kind,
        "key": c.addr().key,
        "action": c.action,
        "tier": c.tier,
        "adopting": c.adopting,
        "id": c.id,
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!("an object literal"),
    }
}

/// The org a document is about.
pub(crate) struct Org<'a> {
    /// Its ID.
    pub id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// The environment that points at it.
    pub env: &'a str,
}

/// `plan --json`: every change (unchanged ones included) with its address, action,
/// tier, field differences, declared spec and dependencies, and the counts: the
/// serialized [`crate::plan::PlanDoc`].
pub(crate) fn plan(plan: &Plan, org: &Org) -> Value {
    serde_json::to_value(crate::plan::PlanDoc::new(plan, org.id, org.name, org.env))
        .expect("a plan serializes")
}

/// Seconds, to the millisecond.
fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

/// `apply --json`: the outcome of every planned change, the counts, wall time, the
/// time held back by the rate limit and the request statistics.
pub(crate) fn apply(plan: &Plan, summary: &Summary, stats: &ClientStats, org: &Org) -> Value {
    let mut outcomes: HashMap<&str, (&str, Option<&str>)> = HashMap::new();
    for (addr, message) in &summary.failed {
        outcomes.insert(addr, ("failed", Some(message)));
    }
    for (addr, why) in &summary.skipped {
        outcomes.insert(addr, ("skipped", Some(why)));
    }
    for addr in &summary.not_started {
        outcomes.insert(addr, ("notStarted", None));
    }
    let changes: Vec<Value> =
        plan.changes
            .iter()
            .map(|c| {
                let address = c.addr().to_string();
                let (outcome, message) = outcomes.get(address.as_str()).copied().unwrap_or(match c
                    .action
                {
                    Action::Create => ("created", None),
                    Action::Update => ("updated", None),
                    Action::Adopt => ("adopted", None),
                    Action::Replace => ("replaced", None),
                    Action::Noop => ("unchanged", None),
                });
                let mut m = change_fields(c);
                m.insert("outcome".into(), outcome.into());
                m.insert("message".into(), message.into());
                Value::Object(m)
            })
            .collect();
    json!({
        "formatVersion": FORMAT_VERSION,
        "env": org.env,
        "org": {"id": org.id, "name": org.name},
        "result": if summary.interrupted {
            "interrupted"
        } else if summary.ok() {
            "complete"
        } else {
            "errors"
        },
        "counts": {
            "created": summary.created,
            "updated": summary.updated,
            "replaced": summary.replaced,
            "adopted": summary.adopted,
            "unchanged": summary.unchanged,
            "deleted": summary.deleted,
            "forgotten": summary.forgotten,
            "failed": summary.failed.len(),
            "skipped": summary.skipped.len(),
            "notStarted": summary.not_started.len(),
        },
        "wallSeconds": millis(summary.elapsed),
        "rateLimitHeldSeconds": millis(stats.rate_limit_held.min(summary.elapsed)),
        "requests": {
            "sent": stats.requests,
            "retried": stats.retries,
            "throttled": stats.throttled,
            "rateLimitWaitSummedSeconds": millis(stats.rate_limit_wait),
        },
        "changes": changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_split_from_the_message() {
        let doc = error("cannot do it\n  detail one\nhint: try this\nhint: or that");
        assert_eq!(doc["formatVersion"], 1);
        assert_eq!(doc["error"]["message"], "cannot do it\n  detail one");
        assert_eq!(doc["error"]["hints"], json!(["try this", "or that"]));
    }
}
