//! Everything genseed shows a person: the plan view, progress, the apply summary.
//!
//! Plans and summaries are data and go to stdout; progress, hints and diagnostics go
//! to stderr. Output is plain text, readable without colour, and deterministic (the
//! plan is already sorted). No secret ever reaches this module: views hold names and
//! declared values only.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use crate::client::ClientStats;
use crate::plan::{Action, Change, Plan};
use crate::reconcile::{Progress, Summary};

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Errors and the final line only.
    Quiet,
    /// The default.
    Normal,
    /// Also unchanged objects and each finished change.
    Verbose,
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        // The API may echo 4 as 4.0; show the number, not its encoding.
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn describe(change: &Change) -> String {
    let label = crate::kinds::kind(change.addr().kind).map_or(change.addr().kind, |k| k.label());
    format!("{label} {:?}", change.addr().key)
}

/// The plan as text.
pub fn render_plan(plan: &Plan, org: &str, env: &str, verbosity: Verbosity) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Org {org} (environment `{env}`)");
    if plan.has_changes() {
        let _ = writeln!(
            out,
            "Symbols: + create, ~ update, = adopt (exists, recorded in state),{} unchanged objects hidden{}\n",
            if plan.counts().replace > 0 {
                " -/+ replace (delete and create again),"
            } else {
                ""
            },
            if verbosity == Verbosity::Verbose {
                " (shown with -v)"
            } else {
                ""
            }
        );
    } else {
        out.push('\n');
    }
    for change in &plan.changes {
        if change.action == Action::Noop && verbosity != Verbosity::Verbose {
            continue;
        }
        let note = if change.action == Action::Update && change.adopting {
            " (adopting)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} {}{note}",
            change.action.symbol(),
            describe(change)
        );
        for d in &change.diffs {
            match (&d.before, &d.after) {
                (None, Value::Bool(true)) => {
                    let _ = writeln!(out, "      + {}", d.path);
                }
                (None, after) => {
                    let _ = writeln!(out, "      + {} = {}", d.path, show(after));
                }
                (Some(before), after) => {
                    let _ = writeln!(
                        out,
                        "      ~ {}: {} → {}",
                        d.path,
                        show(before),
                        show(after)
                    );
                }
            }
        }
    }
    let c = plan.counts();
    if plan.has_changes() {
        out.push('\n');
    }
    let replace = if c.replace > 0 {
        format!("{} to replace, ", c.replace)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "Plan: {} to create, {} to update, {replace}{} to adopt, {} unchanged.",
        c.create, c.update, c.adopt, c.unchanged
    );
    out
}

/// The plan as JSON: every change (unchanged ones included) with its address, action,
/// tier and field differences, and the counts. Values are the same views the text plan
/// shows, so secrets appear only as `(sensitive)`.
pub fn plan_json(plan: &Plan, org_id: &str, org_name: &str, env: &str) -> Value {
    serde_json::to_value(crate::plan::PlanDoc::new(plan, org_id, org_name, env))
        .expect("a plan serializes")
}

/// The apply summary as text.
pub fn render_summary(summary: &Summary, stats: &ClientStats) -> String {
    let mut out = String::new();
    let headline = if summary.interrupted {
        "Apply interrupted"
    } else if summary.ok() {
        "Apply complete"
    } else {
        "Apply finished with errors"
    };
    let _ = writeln!(
        out,
        "{headline}: {} created, {} updated, {}{} adopted, {} unchanged, {} failed, {} skipped ({:.1} s).",
        summary.created,
        summary.updated,
        if summary.replaced > 0 {
            format!("{} replaced, ", summary.replaced)
        } else {
            String::new()
        },
        summary.adopted,
        summary.unchanged,
        summary.failed.len(),
        summary.skipped.len(),
        summary.elapsed.as_secs_f64()
    );
    let _ = writeln!(out, "{}", render_stats(stats));
    for (addr, message) in &summary.failed {
        let _ = writeln!(out, "  failed: {addr}: {message}");
    }
    for (addr, why) in &summary.skipped {
        let _ = writeln!(out, "  skipped: {addr}: {why}");
    }
    out
}

/// One line of request statistics.
pub fn render_stats(stats: &ClientStats) -> String {
    format!(
        "Requests: {} sent, {} retried, {} rate-limited (429); {:.1} s spent waiting on rate limits (summed over concurrent requests).",
        stats.requests,
        stats.retries,
        stats.throttled,
        stats.rate_limit_wait.as_secs_f64()
    )
}

/// Progress on stderr: a bar on a terminal, lines with -v otherwise.
pub struct ConsoleProgress {
    bar: Option<ProgressBar>,
    verbosity: Verbosity,
    lines: Mutex<()>,
}

impl ConsoleProgress {
    /// Pick the style for this terminal and verbosity.
    pub fn new(verbosity: Verbosity) -> Self {
        let bar = (verbosity == Verbosity::Normal && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
                    .expect("valid template"),
            );
            bar
        });
        ConsoleProgress {
            bar,
            verbosity,
            lines: Mutex::new(()),
        }
    }
}

impl Progress for ConsoleProgress {
    fn begin(&self, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
        }
    }

    fn started(&self, change: &Change) {
        if let Some(bar) = &self.bar {
            bar.set_message(describe(change));
        }
    }

    fn finished(&self, change: &Change, result: &Result<(), String>) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if let Err(e) = result {
                bar.println(format!("error: {}: {e}", describe(change)));
            }
            return;
        }
        let _guard = self.lines.lock().expect("progress lock");
        match result {
            Err(e) if self.verbosity != Verbosity::Quiet => {
                eprintln!("error: {}: {e}", describe(change))
            }
            Ok(()) if self.verbosity == Verbosity::Verbose => {
                eprintln!("{} {} done", change.action.symbol(), describe(change))
            }
            _ => {}
        }
    }

    fn end(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_show_without_a_needless_fraction() {
        assert_eq!(show(&json!(5.0)), "5");
        assert_eq!(show(&json!(1.5)), "1.5");
        assert_eq!(show(&json!("x")), "\"x\"");
        assert_eq!(show(&json!([1, 2])), "[1,2]");
    }
}
