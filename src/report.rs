//! Everything genseed shows a person: the plan view, progress, the apply summary.
//!
//! The only writer to stdout and stderr besides `main.rs`. Plans, summaries and
//! `--json` documents are data and go to stdout; progress, hints and diagnostics go
//! to stderr. Text is readable without colour and the same with it (colour only wraps
//! it), and deterministic (the plan is already sorted). No secret ever reaches this
//! module: views hold names and declared values only.

pub(crate) mod json;
mod progress;

use std::fmt::Write as _;

use serde_json::Value;

pub(crate) use crate::cli::ColorChoice;
use crate::client::ClientStats;
use crate::plan::{Action, Change, Plan};
use crate::reconcile::Summary;
pub(crate) use progress::{ConsoleProgress, ProgressConfig};

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verbosity {
    /// Errors and the summary only.
    Quiet,
    /// The default.
    Normal,
    /// Also each finished change (and, through logging, every request).
    Verbose,
}

/// Whether to colour a stream: `--color`, then `NO_COLOR`, then `CLICOLOR_FORCE`, then
/// whether the stream is a terminal.
pub(crate) fn use_colour(choice: ColorChoice, no_color: bool, force: bool, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && (force || terminal),
    }
}

/// ANSI colour for one stream, or none. Colour only wraps text: the output without
/// it is the same, character for character.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Style {
    /// Emit colour codes.
    pub colour: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    fn red(self, text: &str) -> String {
        self.paint("31", text)
    }

    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Create green, update yellow, replace red, adopt cyan.
    fn action(self, action: Action, text: &str) -> String {
        match action {
            Action::Create => self.green(text),
            Action::Update => self.yellow(text),
            Action::Replace => self.red(text),
            Action::Adopt => self.paint("36", text),
            Action::Noop => text.to_string(),
        }
    }
}

/// How to show things for one run of the binary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ui {
    /// How much.
    pub verbosity: Verbosity,
    /// Colour on stdout.
    pub out: Style,
    /// Colour on stderr.
    pub err: Style,
    /// List unchanged objects in plans (`--show-unchanged`).
    pub show_unchanged: bool,
    /// Machine-readable output on stdout (`--json`).
    pub json: bool,
}

/// Data for a person or a pipeline: stdout.
pub(crate) fn out(text: &str) {
    write_to(std::io::stdout().lock(), text);
}

/// One JSON document on stdout.
pub(crate) fn out_json(doc: &Value) {
    let mut text = serde_json::to_string_pretty(doc).expect("a JSON value serializes");
    text.push('\n');
    out(&text);
}

/// Messages about the run: stderr.
pub(crate) fn err(text: &str) {
    write_to(std::io::stderr().lock(), text);
}

/// Write `text`; a reader that went away (`genseed plan --json | head`) is not an
/// error of genseed's: the rest is dropped instead of panicking as `print!` would.
fn write_to(mut stream: impl std::io::Write, text: &str) {
    let _ = stream
        .write_all(text.as_bytes())
        .and_then(|()| stream.flush());
}

/// An error, with its `hint:` lines, on stderr (or as JSON on stdout with `--json`).
pub(crate) fn error(ui: &Ui, message: &str) {
    if ui.json {
        out_json(&json::error(message));
        return;
    }
    let mut text = String::new();
    for (i, line) in message.lines().enumerate() {
        if i == 0 {
            let _ = writeln!(text, "{} {line}", ui.err.red("error:"));
        } else {
            let _ = writeln!(text, "{line}");
        }
    }
    err(&text);
}

/// A warning on stderr (not with `-q`, which prints only errors and the summary).
pub(crate) fn warning(ui: &Ui, message: &str) {
    if ui.verbosity == Verbosity::Quiet {
        return;
    }
    err(&format!("{} {message}\n", ui.err.yellow("warning:")));
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
pub(crate) fn render_plan(plan: &Plan, org: &str, env: &str, ui: &Ui) -> String {
    let st = ui.out;
    let mut out = String::new();
    let _ = writeln!(out, "Org {org} (environment `{env}`)");
    if plan.has_changes() {
        let _ = writeln!(
            out,
            "Symbols: {} create, {} update, {} adopt (exists, recorded in state),{}{}\n",
            st.green("+"),
            st.yellow("~"),
            st.action(Action::Adopt, "="),
            if plan.counts().replace > 0 {
                format!(" {} replace (delete and create again),", st.red("-/+"))
            } else {
                String::new()
            },
            if ui.show_unchanged {
                " unchanged objects listed without a symbol"
            } else {
                " unchanged objects hidden (--show-unchanged lists them)"
            }
        );
    } else {
        out.push('\n');
    }
    for change in &plan.changes {
        render_change(&mut out, change, ui);
    }
    render_orphans(&mut out, plan, st);
    render_totals(&mut out, plan, st);
    out
}

/// One change of the plan: its line, its diffs and (with `-v`) its unmanaged members.
fn render_change(out: &mut String, change: &Change, ui: &Ui) {
    let st = ui.out;
    // `-v` also lists unchanged sets that have unmanaged members.
    let unmanaged = ui.verbosity == Verbosity::Verbose && !change.unmanaged.is_empty();
    if change.action == Action::Noop && !ui.show_unchanged && !unmanaged {
        return;
    }
    let note = if change.action == Action::Update && change.adopting {
        " (adopting)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "  {} {}{note}",
        st.action(change.action, change.action.symbol()),
        describe(change)
    );
    for d in &change.diffs {
        let line = match (&d.before, &d.after) {
            (None, Value::Bool(true)) => st.green(&format!("+ {}", d.path)),
            // A member of an exclusive set the manifest does not list.
            (Some(_), Value::Null) => st.red(&format!("- {}", d.path)),
            (None, after) => st.green(&format!("+ {} = {}", d.path, show(after))),
            (Some(before), after) => format!(
                "{} {}: {} → {}",
                st.yellow("~"),
                d.path,
                st.red(&show(before)),
                st.green(&show(after))
            ),
        };
        let _ = writeln!(out, "      {line}");
    }
    if unmanaged {
        for m in &change.unmanaged {
            let _ = writeln!(out, "      {m} (unmanaged: in the org, not declared; kept)");
        }
    }
}

/// The plan's totals line and what is unmanaged or no longer declared.
fn render_totals(out: &mut String, plan: &Plan, st: Style) {
    let c = plan.counts();
    if plan.has_changes() {
        out.push('\n');
    }
    let replace = if c.replace > 0 {
        format!("{}, ", st.red(&format!("{} to replace", c.replace)))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{} {}, {}, {replace}{}, {} unchanged.",
        st.bold("Plan:"),
        st.green(&format!("{} to create", c.create)),
        st.yellow(&format!("{} to update", c.update)),
        st.action(Action::Adopt, &format!("{} to adopt", c.adopt)),
        c.unchanged
    );
    if !plan.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "{} unmanaged (left alone; declare them to manage them).",
            plan.unmanaged.len()
        );
    }
    if c.orphans > 0 {
        let _ = writeln!(
            out,
            "{} no longer declared: {}, {} to forget, {} kept (--prune).",
            c.orphans,
            st.red(&format!("{} to delete", c.delete)),
            c.forget,
            c.orphans - c.delete - c.forget
        );
    }
}

/// The orphans' lines: what is no longer declared and what apply does with it.
fn render_orphans(out: &mut String, plan: &Plan, st: Style) {
    use crate::plan::OrphanAction;
    use crate::state::ResourceOrigin;
    for o in &plan.orphans {
        let label = crate::kinds::kind(o.addr.kind).map_or(o.addr.kind, |k| k.label());
        let what = format!("{label} {:?}", o.addr.key);
        let why = match (o.action, o.origin, o.exists) {
            (_, _, false) => "no longer declared, already gone from the org: forget it",
            (OrphanAction::Keep, ResourceOrigin::Created, _) => {
                "no longer declared; run with --prune to delete"
            }
            (OrphanAction::Keep, ResourceOrigin::Adopted, _) => {
                "no longer declared, adopted; --prune forgets it, --prune-adopted deletes it"
            }
            (OrphanAction::Delete, _, _) => "no longer declared: delete",
            (OrphanAction::Forget, _, _) => {
                "no longer declared, adopted: forget it (left in the org)"
            }
        };
        let symbol = match o.action {
            OrphanAction::Delete => st.red("-"),
            _ => o.action.symbol().to_string(),
        };
        let _ = writeln!(out, "  {symbol} {what} ({why})");
    }
    for a in &plan.unmanaged {
        let label = crate::kinds::kind(a.kind).map_or(a.kind, |k| k.label());
        let _ = writeln!(
            out,
            "  ? {label} {:?} (unmanaged: in the org, not in the manifests or the state)",
            a.key
        );
    }
}

/// What `validate` found, as text: files, objects, what plan will count, tiers, and
/// the CSV files the manifests named.
pub(crate) fn render_validated(v: &json::Validated) -> String {
    let n =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    let mut out = format!(
        "Valid: {}, {} ({} with their memberships and grants, as plan counts them), {}.\n",
        n(v.files.len(), "file"),
        n(v.objects, "object"),
        v.declared,
        n(v.tiers, "tier"),
    );
    if !v.csv_files.is_empty() {
        let names: Vec<String> = v
            .csv_files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        let _ = writeln!(
            out,
            "Read {}: {}",
            n(v.csv_files.len(), "CSV file"),
            names.join(", ")
        );
    }
    out
}

/// How many entries of a long list the summary shows without `-v`.
const EXAMPLES: usize = 5;

/// The apply summary as text. Failures are listed in full; changes skipped because of
/// a failure and changes an interrupt kept from starting are counted, with a few
/// examples (all of them with `-v`).
pub(crate) fn render_summary(summary: &Summary, stats: &ClientStats, ui: &Ui) -> String {
    let st = ui.out;
    let mut out = String::new();
    let headline = if summary.interrupted {
        st.yellow("Apply interrupted")
    } else if summary.ok() {
        st.green("Apply complete")
    } else {
        st.red("Apply finished with errors")
    };
    let failed = format!("{} failed", summary.failed.len());
    let not_started = if summary.not_started.is_empty() {
        String::new()
    } else {
        format!(", {} not started (interrupted)", summary.not_started.len())
    };
    let _ = writeln!(
        out,
        "{headline}: {}, {}, {}{} adopted, {} unchanged, {}, {} skipped{not_started} ({:.1} s).",
        st.green(&format!("{} created", summary.created)),
        st.yellow(&format!("{} updated", summary.updated)),
        if summary.replaced > 0 {
            format!("{}, ", st.red(&format!("{} replaced", summary.replaced)))
        } else {
            String::new()
        },
        summary.adopted,
        summary.unchanged,
        if summary.failed.is_empty() {
            failed
        } else {
            st.red(&failed)
        },
        summary.skipped.len(),
        summary.elapsed.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "Wall time {:.1} s, of which {:.1} s held back by the rate limit.",
        summary.elapsed.as_secs_f64(),
        stats
            .rate_limit_held
            .as_secs_f64()
            .min(summary.elapsed.as_secs_f64())
    );
    let _ = writeln!(out, "{}", render_stats(stats));
    for (addr, message) in &summary.failed {
        let _ = writeln!(out, "  {} {addr}: {message}", st.red("failed:"));
    }
    let all = ui.verbosity == Verbosity::Verbose;
    let skipped: Vec<String> = summary
        .skipped
        .iter()
        .map(|(addr, why)| format!("{addr}: {why}"))
        .collect();
    if summary.deleted + summary.forgotten > 0 {
        let _ = writeln!(
            out,
            "No longer declared: {} deleted, {} forgotten (left in the org).",
            summary.deleted, summary.forgotten
        );
    }
    list_bounded(&mut out, "skipped", &skipped, all);
    list_bounded(&mut out, "not started", &summary.not_started, all);
    out
}

/// `label: item` lines, at most [`EXAMPLES`] unless `all`, then how many were left out.
fn list_bounded(out: &mut String, label: &str, items: &[String], all: bool) {
    let shown = if all {
        items.len()
    } else {
        items.len().min(EXAMPLES)
    };
    for item in &items[..shown] {
        let _ = writeln!(out, "  {label}: {item}");
    }
    if shown < items.len() {
        let _ = writeln!(
            out,
            "  … and {} more {label} (-v lists them all)",
            items.len() - shown
        );
    }
}

/// One line of request statistics.
pub(crate) fn render_stats(stats: &ClientStats) -> String {
    format!(
        "Requests: {} sent, {} retried, {} rate-limited (429); {:.1} s spent waiting on rate limits by all requests together.",
        stats.requests,
        stats.retries,
        stats.throttled,
        stats.rate_limit_wait.as_secs_f64()
    )
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
