//! `genseed diff --env A --against B`: observe two orgs and compare them object by
//! object, by natural key (IDs differ between orgs and never count). Only reads.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::cli::{Cli, DiffArgs};
use crate::export::{self, Exported};
use crate::kinds::{KINDS, Kind, norm_key, same};
use crate::reconcile;
use crate::report::{self, Ui};
use crate::settings::Settings;

/// One object that differs between the two orgs.
struct Difference {
    address: String,
    /// `Some("A")` / `Some("B")`: the object exists in that org only.
    only_in: Option<&'static str>,
    /// Field path, A's value, B's value (`None`: absent).
    fields: Vec<(String, Option<Value>, Option<Value>)>,
}

/// Run it.
pub(super) async fn run(cli: &Cli, args: &DiffArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let settings_a = super::settings(cli, None, ui)?;
    let settings_b = super::settings_for(cli, &args.against, None, ui)?;
    let unknown = export::unknown_selectors(&args.only);
    if !unknown.is_empty() {
        anyhow::bail!(
            "--only {}: no such kind, manifest key or group",
            unknown.join(", ")
        );
    }
    let kinds: Vec<&'static dyn Kind> = if !args.only.is_empty() {
        export::kinds_for(&args.only)
    } else if args.all {
        KINDS.to_vec()
    } else {
        // The kinds the project's manifests declare (with their sub-resources).
        let loaded = super::load(&settings_a, ui)?;
        let used: BTreeSet<&str> = loaded.declared.iter().map(|d| d.addr.kind).collect();
        let names: Vec<String> = used.iter().map(|s| s.to_string()).collect();
        export::kinds_for(&names)
    };
    let a = read(&settings_a, &kinds).await?;
    let b = read(&settings_b, &kinds).await?;
    let diffs = compare(&a, &b, &kinds);
    if args.json {
        report::out_json(&json!({
            "a": settings_a.env,
            "b": settings_b.env,
            "same": diffs.is_empty(),
            "differences": diffs.iter().map(|d| json!({
                "address": d.address,
                "onlyIn": d.only_in,
                "fields": d.fields.iter().map(|(p, x, y)| json!({"path": p, "a": x, "b": y})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }));
    } else {
        report::out(&render(&diffs, &settings_a.env, &settings_b.env));
    }
    if args.detailed_exitcode && !diffs.is_empty() {
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// Observe one org as manifest entries.
async fn read(settings: &Settings, kinds: &[&'static dyn Kind]) -> anyhow::Result<Exported> {
    let conn = super::connect(settings).await?;
    let mut ctx = reconcile::context(conn.client.clone());
    let (org, observed) = export::observe_all(&mut ctx, kinds, &|_| {})
        .await
        .with_context(|| {
            format!(
                "cannot read the org of `{}` ({})",
                settings.env, conn.describe
            )
        })?;
    Ok(export::entries(org, &observed, kinds, &ctx.resolver))
}

fn compare(a: &Exported, b: &Exported, kinds: &[&'static dyn Kind]) -> Vec<Difference> {
    let mut out = Vec::new();
    for k in kinds {
        let Some(key) = k.manifest_key() else {
            continue;
        };
        let index = |e: &Exported| -> BTreeMap<String, Value> {
            e.entries
                .get(key)
                .into_iter()
                .flatten()
                .map(|v| (norm_key(&k.key_of(v)), v.clone()))
                .collect()
        };
        let (ia, ib) = (index(a), index(b));
        let keys: BTreeSet<&String> = ia.keys().chain(ib.keys()).collect();
        for n in keys {
            let (x, y) = (ia.get(n), ib.get(n));
            let name = x.or(y).map(|v| k.key_of(v)).unwrap_or_default();
            let address = format!("{}/{name}", k.name());
            match (x, y) {
                (Some(_), None) => out.push(Difference {
                    address,
                    only_in: Some("A"),
                    fields: Vec::new(),
                }),
                (None, Some(_)) => out.push(Difference {
                    address,
                    only_in: Some("B"),
                    fields: Vec::new(),
                }),
                (Some(x), Some(y)) => {
                    let mut fields = Vec::new();
                    field_diffs("", x, y, &mut fields);
                    if !fields.is_empty() {
                        out.push(Difference {
                            address,
                            only_in: None,
                            fields,
                        });
                    }
                }
                (None, None) => {}
            }
        }
    }
    out
}

/// Fields that differ: objects field by field, anything else as a whole.
fn field_diffs(
    path: &str,
    a: &Value,
    b: &Value,
    out: &mut Vec<(String, Option<Value>, Option<Value>)>,
) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => field_diffs(&p, v, w, out),
                    (v, w) => out.push((p, v.cloned(), w.cloned())),
                }
            }
        }
        _ if same(a, b) => {}
        _ => out.push((path.to_string(), Some(a.clone()), Some(b.clone()))),
    }
}

fn show(v: &Option<Value>) -> String {
    v.as_ref().map_or("(absent)".into(), Value::to_string)
}

fn render(diffs: &[Difference], a: &str, b: &str) -> String {
    if diffs.is_empty() {
        return format!("No differences between `{a}` and `{b}`.\n");
    }
    let mut s = format!("Differences between `{a}` (A) and `{b}` (B):\n");
    for d in diffs {
        match d.only_in {
            Some(side) => s.push_str(&format!("  {}: only in {side}\n", d.address)),
            None => {
                s.push_str(&format!("  {}:\n", d.address));
                for (p, x, y) in &d.fields {
                    s.push_str(&format!("      {p}: {} → {}\n", show(x), show(y)));
                }
            }
        }
    }
    s.push_str(&format!("{} object(s) differ.\n", diffs.len()));
    s
}
