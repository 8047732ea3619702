//! Reading an org back as manifests (`genseed export`).
//!
//! Every kind is listed once (sub-resources once per parent found), exactly as
//! `plan` observes it, and each object is turned into a manifest entry by its kind's
//! [`Kind::to_manifest`]: references as natural keys, no org-generated fields, no
//! defaults, built-in objects left out. Sub-resources (a user's skills, a queue's
//! members) come back as fields of their parent's entry. The result is rendered as
//! YAML deterministically: entries sorted by natural key, fields in the kind's order,
//! no timestamp, so the same org always exports byte-identical files.
//!
//! Knows kinds (through the trait) and the client; prints nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::kinds::{
    Addr, Ctx, Declared, KINDS, Kind, KindError, ObservedMap, Origin, norm_key, selected_by,
    str_field,
};

/// What an export found: manifest entries by manifest key, sorted by natural key.
#[derive(Debug, Default)]
pub(crate) struct Exported {
    /// The org's name (for the files' header comment).
    pub org_name: String,
    /// Entries by manifest key (`divisions`, `users`, …), each list sorted by key.
    pub entries: BTreeMap<&'static str, Vec<Value>>,
    /// CSV files (name → content) the `usersFromCsv` entries name ([`users_to_csv`]).
    pub csv_files: BTreeMap<String, String>,
    /// Users written to those CSV files.
    pub csv_users: usize,
}

/// The kinds an export covers: all, or those `selectors` (as `plan --only`) name;
/// a selected sub-resource brings its parent, a selected parent its sub-resources.
pub(crate) fn kinds_for(selectors: &[String]) -> Vec<&'static dyn Kind> {
    if selectors.is_empty() {
        return KINDS.to_vec();
    }
    let picked = |k: &dyn Kind| selectors.iter().any(|s| selected_by(k, s));
    KINDS
        .iter()
        .copied()
        .filter(|k| {
            picked(*k)
                || k.parent().and_then(crate::kinds::kind).is_some_and(&picked)
                || KINDS
                    .iter()
                    .any(|sub| sub.parent() == Some(k.name()) && picked(*sub))
        })
        .collect()
}

/// Selectors that name no kind, for a clear error.
pub(crate) fn unknown_selectors(selectors: &[String]) -> Vec<String> {
    selectors
        .iter()
        .filter(|s| !KINDS.iter().any(|k| selected_by(*k, s)))
        .cloned()
        .collect()
}

/// An address-only declared object: what a sub-kind's observation needs to know
/// which parents to read.
fn placeholder(kind: &'static str, key: &str) -> Declared {
    Declared {
        addr: Addr::new(kind, key),
        spec: Arc::new(json!({"parent": key, "name": key})),
        origin: Origin::default(),
    }
}

/// List every object of `kinds` from the org. `progress` is told each kind as it
/// starts (for the command's progress line).
pub(crate) async fn observe_all(
    ctx: &mut Ctx,
    kinds: &[&'static dyn Kind],
    progress: &dyn Fn(&str),
) -> Result<(String, BTreeMap<&'static str, ObservedMap>), KindError> {
    let org = ctx.client.get("/api/v2/organizations/me", &[]).await?;
    let org_name = str_field(&org, "name").unwrap_or_default().to_string();
    let home = ctx
        .client
        .get("/api/v2/authorization/divisions/home", &[])
        .await?;
    ctx.home_division = str_field(&home, "id").map(str::to_string);
    if let Some(id) = &ctx.home_division {
        crate::kinds::register_home_division(&ctx.resolver, id);
    }
    // Views map division IDs to names: divisions are always listed.
    let mut order: Vec<&'static dyn Kind> = KINDS
        .iter()
        .copied()
        .filter(|k| k.always_observed() || kinds.iter().any(|s| s.name() == k.name()))
        .collect();
    order.dedup_by_key(|k| k.name());
    let mut out = BTreeMap::new();
    for k in order {
        progress(k.label());
        let found = match k.parent() {
            None => {
                let listed = k.observe(ctx, &[]).await?;
                // Nothing listed, no details to read.
                if k.observes_details() && !listed.is_empty() {
                    let all: Vec<Declared> = listed
                        .keys()
                        .map(|key| placeholder(k.name(), key))
                        .collect();
                    k.observe(ctx, &all).await?
                } else {
                    listed
                }
            }
            Some(parent) => {
                let parents: Vec<Declared> = out
                    .get(parent)
                    .map(|m: &ObservedMap| m.keys().map(|key| placeholder(k.name(), key)).collect())
                    .unwrap_or_default();
                k.observe(ctx, &parents).await?
            }
        };
        ctx.observed
            .write()
            .expect("observed lock")
            .insert(k.name(), found.clone());
        out.insert(k.name(), found);
    }
    Ok((org_name, out))
}

/// Turn observed objects into manifest entries, for the kinds in `kinds`.
pub(crate) fn entries(
    org_name: String,
    observed: &BTreeMap<&'static str, ObservedMap>,
    kinds: &[&'static dyn Kind],
    resolver: &crate::kinds::Resolver,
) -> Exported {
    let mut by_parent: BTreeMap<(&str, String), Map<String, Value>> = BTreeMap::new();
    for k in kinds.iter().filter(|k| k.parent().is_some()) {
        let parent = k.parent().expect("a sub-kind");
        for (key, o) in observed.get(k.name()).into_iter().flatten() {
            if let Some(Value::Object(fields)) = k.to_manifest(o, resolver) {
                by_parent
                    .entry((parent, key.clone()))
                    .or_default()
                    .extend(fields);
            }
        }
    }
    let mut entries = BTreeMap::new();
    for k in kinds.iter().filter(|k| k.parent().is_none()) {
        let Some(manifest_key) = k.manifest_key() else {
            continue;
        };
        let mut list: Vec<(String, Value)> = Vec::new();
        for (key, o) in observed.get(k.name()).into_iter().flatten() {
            let Some(mut entry) = k.to_manifest(o, resolver) else {
                continue;
            };
            if let (Some(fields), Some(sub)) = (
                entry.as_object_mut(),
                by_parent.remove(&(k.name(), key.clone())),
            ) {
                fields.extend(sub);
            }
            let entry = crate::kinds::strip_defaults(entry);
            list.push((norm_key(&k.key_of(&entry)), entry));
        }
        list.sort_by(|a, b| a.0.cmp(&b.0));
        if !list.is_empty() {
            entries.insert(manifest_key, list.into_iter().map(|(_, v)| v).collect());
        }
    }
    Exported {
        org_name,
        entries,
        ..Exported::default()
    }
}

/// The user fields a `usersFromCsv` row holds (title and department through its entry;
/// `state` only as `active`, what a CSV user is created with).
const CSV_FIELDS: &[&str] = &[
    "email",
    "name",
    "division",
    "title",
    "department",
    "phones",
    "state",
];
/// At most this many CSV files: users of further (title, department) pairs stay YAML.
const MAX_CSV_FILES: usize = 10;

/// `export --users-csv`: the users a CSV row holds exactly (name, e-mail, one work
/// phone, division; no skills, languages, roles or other fields) move to CSV files in
/// the `usersFromCsv` layout, one file per (title, department) pair, which its
/// `usersFromCsv` entry sets; the users with more stay whole in `users.yaml` (a user is
/// declared once, so its skills or roles cannot live apart from it).
pub(crate) fn users_to_csv(exported: &mut Exported) {
    // (title, department) → the users with their rows.
    type Group = (Option<String>, Option<String>);
    type Members = Vec<(Value, [String; 5])>;
    let Some(users) = exported.entries.remove("users") else {
        return;
    };
    let mut groups: BTreeMap<Group, Members> = BTreeMap::new();
    let mut rest = Vec::new();
    for u in users {
        match csv_row(&u) {
            Some(row) => {
                let key = (
                    str_field(&u, "title").map(str::to_string),
                    str_field(&u, "department").map(str::to_string),
                );
                groups.entry(key).or_default().push((u, row));
            }
            None => rest.push(u),
        }
    }
    // The largest groups get files (ties by title and department); the rest stay YAML.
    let mut ranked: Vec<(Group, Members)> = groups.into_iter().collect();
    ranked.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    for (_, members) in ranked.split_off(ranked.len().min(MAX_CSV_FILES)) {
        rest.extend(members.into_iter().map(|(u, _)| u));
    }
    ranked.sort_by(|a, b| a.0.cmp(&b.0));
    let single = ranked.len() == 1;
    let mut sources = Vec::new();
    for (n, ((title, department), members)) in ranked.into_iter().enumerate() {
        let file = if single {
            "users.csv".to_string()
        } else {
            format!("users-{:02}.csv", n + 1)
        };
        let mut entry = json!({ "file": file });
        for (k, v) in [("title", title), ("department", department)] {
            if let Some(v) = v {
                entry[k] = json!(v);
            }
        }
        sources.push(entry);
        exported.csv_users += members.len();
        let rows: Vec<[String; 5]> = members.into_iter().map(|(_, r)| r).collect();
        exported.csv_files.insert(file, csv_text(&rows));
    }
    if !sources.is_empty() {
        exported.entries.insert("usersFromCsv", sources);
    }
    if !rest.is_empty() {
        rest.sort_by_cached_key(|u| norm_key(str_field(u, "email").unwrap_or_default()));
        exported.entries.insert("users", rest);
    }
}

/// The CSV row (`first_name,last_name,email,phone_number,division`) that reads back as
/// exactly the user entry `u`, if there is one. Cells are read trimmed, and a row's
/// name is `first_name last_name`: the name is split at its first space.
fn csv_row(u: &Value) -> Option<[String; 5]> {
    let m = u.as_object()?;
    if m.keys().any(|k| !CSV_FIELDS.contains(&k.as_str()))
        || m.get("state").is_some_and(|s| s != "active")
    {
        return None;
    }
    let cell = |k: &str| -> Option<String> {
        match m.get(k) {
            None => Some(String::new()),
            Some(Value::String(s)) if s.trim() == s => Some(s.clone()),
            Some(_) => None,
        }
    };
    let (email, name, division) = (cell("email")?, cell("name")?, cell("division")?);
    let (first, last) = name.split_once(' ').unwrap_or((&name, ""));
    if name.is_empty() || email.is_empty() || format!("{first} {}", last.trim()).trim() != name {
        return None;
    }
    let phone = match m.get("phones").and_then(Value::as_array).map(Vec::as_slice) {
        None => String::new(),
        Some([p]) if str_field(p, "type").is_none_or(|t| t == "work") => {
            let number = str_field(p, "number")?;
            (number.trim() == number && p.as_object()?.len() <= 2).then(|| number.to_string())?
        }
        Some(_) => return None,
    };
    Some([
        first.to_string(),
        last.trim().to_string(),
        email,
        phone,
        division,
    ])
}

/// CSV text: the header of the `usersFromCsv` layout, then `rows`.
fn csv_text(rows: &[[String; 5]]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let header = [
        "first_name",
        "last_name",
        "email",
        "phone_number",
        "division",
    ];
    // Writing into memory cannot fail.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Write configured values back as variables: in the integrations tier's entries
/// (URLs, account ids), a string holding the value of one of the environment's
/// `vars:` gets `${var.NAME}` in its place, so the export applies to other
/// environments with their own values. Longer values are replaced first.
pub(crate) fn unresolve_vars(exported: &mut Exported, vars: &BTreeMap<String, String>) {
    let mut by_len: Vec<(&String, &String)> = vars.iter().filter(|(_, v)| !v.is_empty()).collect();
    by_len.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    if by_len.is_empty() {
        return;
    }
    for k in KINDS.iter().filter(|k| k.group() == "integrations") {
        let Some(key) = k.manifest_key() else {
            continue;
        };
        for entry in exported.entries.get_mut(key).into_iter().flatten() {
            replace_strings(entry, &by_len);
        }
    }
}

fn replace_strings(v: &mut Value, vars: &[(&String, &String)]) {
    match v {
        Value::String(s) => {
            for (name, value) in vars {
                if s.contains(value.as_str()) {
                    *s = s.replace(value.as_str(), &format!("${{var.{name}}}"));
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| replace_strings(x, vars)),
        Value::Object(m) => m.values_mut().for_each(|x| replace_strings(x, vars)),
        _ => {}
    }
}

/// The files of an export: name → content.
pub(crate) fn render(exported: &Exported) -> BTreeMap<String, String> {
    let header = format!(
        "# Exported from org {} by genseed {}.\n# References are natural keys; apply these files to any org.\n",
        yaml_scalar(&Value::String(exported.org_name.clone())),
        env!("CARGO_PKG_VERSION")
    );
    let mut files: BTreeMap<String, String> = exported
        .entries
        .iter()
        .map(|(key, list)| {
            let mut text = header.clone();
            text.push_str(key);
            text.push_str(":\n");
            for entry in list {
                write_item(&mut text, entry, 1);
            }
            (format!("{key}.yaml"), text)
        })
        .collect();
    files.extend(exported.csv_files.clone());
    files
}

/// The stub environment file an export writes when the project has none.
pub(crate) const PROJECT_STUB: &str = "# genseed project: environments the manifests in seeds/ are applied to.\n# `local` (the embedded emulator) needs no entry; add your orgs here, e.g.\n# environments:\n#   dev:\n#     region: mypurecloud.com\n#     clientIdEnv: GENESYS_DEV_CLIENT_ID\n#     clientSecretEnv: GENESYS_DEV_CLIENT_SECRET\nenvironments: {}\n";

/// Why files could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    /// The output path exists and is not a folder.
    #[error("{0} is a file, not a folder")]
    NotADir(PathBuf),
    /// Files would be overwritten.
    #[error("{} already holds {}\nhint: pass --force to overwrite them, or --out to export elsewhere", .dir.display(), .files.join(", "))]
    Exists {
        /// The folder.
        dir: PathBuf,
        /// The files that exist.
        files: Vec<String>,
    },
    /// I/O failed.
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Check that `files` can be written into `dir` (nothing is written).
pub(crate) fn check_target(
    dir: &Path,
    files: &BTreeMap<String, String>,
    force: bool,
) -> Result<(), WriteError> {
    if dir.exists() && !dir.is_dir() {
        return Err(WriteError::NotADir(dir.to_path_buf()));
    }
    let existing: Vec<String> = files
        .keys()
        .filter(|f| dir.join(f).exists())
        .cloned()
        .collect();
    if !force && !existing.is_empty() {
        return Err(WriteError::Exists {
            dir: dir.to_path_buf(),
            files: existing,
        });
    }
    Ok(())
}

/// Write `files` into `dir`: first into a temporary folder beside it, then each file
/// renamed into place, so a failure leaves no half-written file.
pub(crate) fn write_files(
    dir: &Path,
    files: &BTreeMap<String, String>,
    force: bool,
) -> Result<(), WriteError> {
    check_target(dir, files, force)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let tmp = tempfile::Builder::new()
        .prefix(".genseed-export-")
        .tempdir_in(dir)
        .map_err(io(dir))?;
    for (name, text) in files {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).map_err(io(&p))?;
    }
    for name in files.keys() {
        let to = dir.join(name);
        std::fs::rename(tmp.path().join(name), &to).map_err(io(&to))?;
    }
    Ok(())
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// One list item at `level`: `- ` then the value (maps continue on the same line).
fn write_item(out: &mut String, v: &Value, level: usize) {
    indent(out, level);
    out.push_str("- ");
    match v {
        Value::Object(m) if !m.is_empty() => write_map(out, m, level + 1, true),
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            for item in a {
                write_item(out, item, level + 1);
            }
        }
        other => {
            out.push_str(&yaml_scalar(other));
            out.push('\n');
        }
    }
}

/// A block mapping at `level`; `inline_first`: the first key follows a `- `.
fn write_map(out: &mut String, m: &Map<String, Value>, level: usize, inline_first: bool) {
    for (i, (k, v)) in m.iter().enumerate() {
        if !(inline_first && i == 0) {
            indent(out, level);
        }
        out.push_str(&yaml_key(k));
        out.push(':');
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(out, inner, level + 1, false);
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                for item in a {
                    write_item(out, item, level);
                }
            }
            other => {
                out.push(' ');
                out.push_str(&yaml_scalar(other));
                if let (true, Some(name)) = (k.ends_with("Env"), other.as_str()) {
                    out.push_str(&env_comment(name));
                }
                out.push('\n');
            }
        }
    }
}

/// The comment beside a `…Env:` placeholder (a secret the export cannot read back).
fn env_comment(name: &str) -> String {
    format!("  # secret: set the environment variable {name} before applying")
}

fn yaml_key(k: &str) -> String {
    yaml_scalar(&Value::String(k.to_string()))
}

/// A scalar as YAML: numbers and booleans as they are, strings plain when that reads
/// back as the same string, else double-quoted (JSON escapes are valid YAML).
fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::String(s) if plain_ok(s) => s.clone(),
        Value::Number(n)
            if n.as_f64()
                .is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15)
                && !n.is_i64()
                && !n.is_u64() =>
        {
            format!("{}", n.as_f64().unwrap_or_default() as i64)
        }
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

/// Whether `s` can be written unquoted and read back as the same string.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let reserved = [
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~",
    ];
    if reserved.contains(&s.to_lowercase().as_str())
        || s.parse::<f64>().is_ok()
        || s.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '+' || c == '-')
    {
        return false;
    }
    (first.is_alphabetic() || first == '_' || first == '/')
        && s.chars()
            .all(|c| c.is_alphanumeric() || " _-./@()".contains(c))
        && !s.ends_with(' ')
        && !s.contains(" #")
        && !s.contains(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_yaml_would_read_differently_are_quoted() {
        for s in [
            "yes", "No", "12", "1.5", "", " x", "a: b", "x #y", "-a", "null", "${var.X}",
        ] {
            assert!(yaml_scalar(&json!(s)).starts_with('"'), "{s}");
        }
        assert_eq!(
            yaml_scalar(&json!("Seed Support Queue")),
            "Seed Support Queue"
        );
        assert_eq!(yaml_scalar(&json!("a@example.com")), "a@example.com");
    }

    #[test]
    fn secret_placeholders_carry_a_comment_naming_their_variable() {
        let exported = Exported {
            org_name: "Org".into(),
            entries: BTreeMap::from([(
                "integrations",
                vec![
                    json!({"name": "I", "credentials": {"basicAuth": {"userNameEnv": "I_U", "passwordEnv": "I_P"}}}),
                ],
            )]),
            ..Exported::default()
        };
        let text = &render(&exported)["integrations.yaml"];
        assert!(
            text.contains("        userNameEnv: I_U  # secret: set the environment variable I_U before applying\n"),
            "{text}"
        );
        assert!(text.contains(
            "passwordEnv: I_P  # secret: set the environment variable I_P before applying\n"
        ));
        assert!(!text.contains("name: I  #"));
    }

    #[test]
    fn users_a_csv_row_holds_go_to_csv_files_per_title_and_department() {
        let u = |email: &str, extra: Value| {
            let mut v = json!({"email": email, "name": "Ann Lee  Jr", "state": "active"});
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            v
        };
        let users = vec![
            u(
                "a@x.com",
                json!({"title": "Agent", "phones": [{"number": "+1202", "type": "work"}]}),
            ),
            u(
                "b@x.com",
                json!({"title": "Agent", "division": "Sales, East"}),
            ),
            u("c@x.com", json!({"skills": {"S": 1}})),
            u(
                "d@x.com",
                json!({"phones": [{"number": "+1202", "type": "mobile"}]}),
            ),
            u("e@x.com", json!({"state": "inactive"})),
            u("f@x.com", json!({"name": " Padded"})),
            u("g@x.com", json!({})),
        ];
        let mut exported = Exported {
            entries: BTreeMap::from([("users", users)]),
            ..Exported::default()
        };
        users_to_csv(&mut exported);
        let kept: Vec<&str> = exported.entries["users"]
            .iter()
            .map(|u| u["email"].as_str().unwrap())
            .collect();
        assert_eq!(kept, ["c@x.com", "d@x.com", "e@x.com", "f@x.com"]);
        assert_eq!(
            exported.entries["usersFromCsv"],
            [
                json!({"file": "users-01.csv"}),
                json!({"file": "users-02.csv", "title": "Agent"})
            ]
        );
        assert_eq!(exported.csv_users, 3);
        assert_eq!(
            exported.csv_files["users-02.csv"],
            "first_name,last_name,email,phone_number,division\nAnn,Lee  Jr,a@x.com,+1202,\nAnn,Lee  Jr,b@x.com,,\"Sales, East\"\n"
        );
        assert!(render(&exported).contains_key("users-01.csv"));
    }

    #[test]
    fn entries_render_as_block_yaml() {
        let exported = Exported {
            org_name: "Org".into(),
            entries: BTreeMap::from([(
                "queues",
                vec![
                    json!({"name": "Q", "members": ["a@x.com"], "mediaSettings": {"call": {"alertingTimeoutSeconds": 8}}, "perms": [{"domain": "d", "actionSet": ["view"]}]}),
                ],
            )]),
            ..Exported::default()
        };
        let files = render(&exported);
        let text = &files["queues.yaml"];
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            body,
            "queues:\n  - name: Q\n    members:\n    - a@x.com\n    mediaSettings:\n      call:\n        alertingTimeoutSeconds: 8\n    perms:\n    - domain: d\n      actionSet:\n      - view\n"
        );
    }
}
