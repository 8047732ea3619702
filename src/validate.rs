//! Manifests → declared objects, or every problem at once.
//!
//! Steps: read every seed file with source locations (`manifest`), check each against
//! the JSON Schema generated from `spec` (types, enums, unknown keys), expand
//! `usersFromCsv`, then the semantic checks the schema cannot express: duplicate
//! natural keys across files and CSV (names case-insensitively, e-mails lower-cased),
//! e-mail and E.164 phone syntax, proficiencies 0–5, references to undeclared objects,
//! and reference cycles. Each problem is a [`Diagnostic`] at `file:line:col`.
//!
//! Contacts nothing and writes nothing.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::diag::{Diagnostic, Diagnostics, Location, SourceCache};
use crate::graph::{self, GraphError};
use crate::kinds::{Addr, Declared, KINDS, Origin, kind};
use crate::manifest::{self, CsvRow, LocatedDoc};
use crate::spec::COMMITTED_SCHEMA;

mod access_hours;
pub use access_hours::{check_rrule, parse_local, valid_time_zone};

/// CSV columns of `usersFromCsv` files.
pub const CSV_COLUMNS: &[&str] = &[
    "first_name",
    "last_name",
    "email",
    "phone_number",
    "division",
];

/// What a successful load yields.
pub struct Loaded {
    /// Objects in declaration order (sub-resources after all objects).
    pub declared: Vec<Declared>,
    /// For each object, the indices of the objects it references.
    pub deps: Vec<Vec<usize>>,
    /// For each object, its tier.
    pub tiers: Vec<usize>,
    /// The seed files read.
    pub files: Vec<PathBuf>,
}

/// Locates fields of declared objects in their files.
#[derive(Default)]
struct Locator {
    docs: HashMap<PathBuf, LocatedDoc>,
    csv: HashMap<(PathBuf, usize), CsvRow>,
}

impl Locator {
    /// Where `field` (a pointer relative to the object, "" = the object) of `d` is.
    fn at(&self, origin: &Origin, field: &str) -> Option<Location> {
        if let Some(line) = origin.csv_line {
            let row = self.csv.get(&(origin.file.clone(), line))?;
            let column = match field.trim_start_matches('/').split('/').next() {
                Some("email") => "email",
                Some("phones") => "phone_number",
                Some("division") => "division",
                Some("name") => "first_name",
                _ => return Some(Location::new(&origin.file, line, 1)),
            };
            return Some(row.location(column));
        }
        self.docs
            .get(&origin.file)?
            .locate(&format!("{}{}", origin.pointer, field))
    }
}

/// Load and check the manifests in `seeds`. `sources` receives the files' text so
/// diagnostics can show the offending line.
pub fn load(seeds: &Path, sources: &SourceCache) -> Result<Loaded, Diagnostics> {
    load_with_vars(seeds, sources, &BTreeMap::new())
}

/// [`load`], substituting `${var.NAME}` from `vars` (the environment's `vars:`); an
/// undefined variable is an error at its string.
pub fn load_with_vars(
    seeds: &Path,
    sources: &SourceCache,
    vars: &BTreeMap<String, String>,
) -> Result<Loaded, Diagnostics> {
    let mut diags = Diagnostics::new();
    if !seeds.is_dir() {
        diags.push(
            Diagnostic::error(format!("seeds folder `{}` not found", seeds.display())).with_hint(
                "create it with your *.yaml manifests, or point `seeds:` in genseed.yaml (or -C) at the right folder",
            ),
        );
        return Err(diags);
    }
    let docs = match manifest::load_dir(seeds) {
        Ok(docs) => docs,
        Err(d) => {
            register_sources(seeds, sources);
            return Err(d);
        }
    };
    let schema: Value =
        serde_json::from_str(COMMITTED_SCHEMA).expect("the committed schema is JSON");
    let mut locator = Locator::default();
    let mut declared = Vec::new();
    let mut files = Vec::new();
    for doc in docs {
        if let Ok(text) = std::fs::read_to_string(&doc.file) {
            sources.insert(doc.file.clone(), text);
        }
        files.push(doc.file.clone());
        // Semantic checks run on every item too, so one pass reports everything.
        diags.extend(manifest::validate_against(&schema, &doc).0);
        collect(&doc, &mut declared, &mut locator, sources, &mut diags);
        locator.docs.insert(doc.file.clone(), doc);
    }
    for d in &mut declared {
        for (pointer, name) in crate::interp::substitute_vars(&mut d.spec, vars) {
            diags.push(
                Diagnostic::error(format!("variable `{name}` is not defined"))
                    .at(locator.at(&d.origin, &pointer))
                    .with_hint(format!(
                        "add `{name}` under `vars:` of this environment in genseed.yaml"
                    )),
            );
        }
    }
    for d in &declared {
        let resolved = kind(d.addr.kind)
            .map(|k| k.references(&d.spec))
            .unwrap_or_default();
        for (pointer, text) in crate::interp::uninterpolated(&d.spec, &resolved) {
            diags.push(
                Diagnostic::error(format!("`{}` is not resolved in this field", crate::diag::excerpt(&text)))
                    .at(locator.at(&d.origin, &pointer))
                    .with_hint("only some fields (such as a data action's config and contract) turn `${kind:name}` into an ID; write the value itself here"),
            );
        }
    }
    check_objects(&declared, &locator, &mut diags);
    // Sub-resources come from their parents' entries.
    let parents = declared.len();
    for k in KINDS.iter().filter(|k| k.parent().is_some()) {
        for i in 0..parents {
            if declared[i].addr.kind == k.parent().unwrap_or_default()
                && let Some(sub) = k.derive(&declared[i])
            {
                declared.push(sub);
            }
        }
    }
    let mut result = None;
    {
        match graph::edges(&declared) {
            Err(GraphError::Missing(missing)) => {
                for m in missing {
                    let d = &declared[m.from];
                    let target = &m.reference.target;
                    let section = kind(target.kind)
                        .and_then(|k| k.manifest_key())
                        .unwrap_or(target.kind);
                    diags.push(
                        Diagnostic::error(format!(
                            "{} `{}` is not declared in any manifest",
                            target.kind, target.key
                        ))
                        .at(locator.at(&d.origin, &m.reference.field))
                        .with_hint(format!(
                            "declare it under `{section}:` (names are matched case-insensitively), or fix the spelling{}",
                            if target.kind == "role" {
                                format!(
                                    "; or grant a built-in role by its defaultRoleId ({})",
                                    crate::kinds::BUILTIN_ROLE_IDS.join(", ")
                                )
                            } else {
                                String::new()
                            }
                        )),
                    );
                }
            }
            Err(GraphError::Cycle(_)) => unreachable!("edges reports only missing references"),
            Ok(_) if diags.has_errors() => {}
            Ok(deps) => match graph::tiers(&declared) {
                Ok(tiers) => result = Some((deps, staged(&declared, tiers))),
                Err(GraphError::Cycle(cycle)) => {
                    let names: Vec<String> = cycle.iter().map(ToString::to_string).collect();
                    let first = declared.iter().find(|d| d.addr == cycle[0]);
                    diags.push(
                        Diagnostic::error(format!("reference cycle: {}", names.join(" → ")))
                            .at(first.and_then(|d| locator.at(&d.origin, "")))
                            .with_hint("break the cycle: an object cannot depend on itself"),
                    );
                }
                Err(GraphError::Missing(_)) => unreachable!("edges succeeded"),
            },
        }
    }
    diags.sort();
    if diags.has_errors() {
        return Err(diags);
    }
    let (deps, tiers) = result.expect("no errors means the graph was built");
    Ok(Loaded {
        declared,
        deps,
        tiers,
        files,
    })
}

/// Tiers with stages applied: every object of a later stage (the integrations tier)
/// comes after every object of an earlier one.
fn staged(declared: &[Declared], mut tiers: Vec<usize>) -> Vec<usize> {
    let stage = |i: usize| kind(declared[i].addr.kind).map_or(0, |k| k.stage());
    let mut offset = 0;
    let mut stages: Vec<u8> = (0..declared.len()).map(stage).collect();
    stages.sort_unstable();
    stages.dedup();
    for s in stages {
        let members: Vec<usize> = (0..declared.len()).filter(|&i| stage(i) == s).collect();
        let mut top = 0;
        for &i in &members {
            tiers[i] += offset;
            top = top.max(tiers[i] + 1);
        }
        offset = top;
    }
    tiers
}

/// Put every seed file's text into the cache (for rendering parse errors).
fn register_sources(seeds: &Path, sources: &SourceCache) {
    if let Ok(entries) = std::fs::read_dir(seeds) {
        // Regular files only: reading a FIFO would block.
        for e in entries.flatten().filter(|e| e.path().is_file()) {
            if let Ok(text) = std::fs::read_to_string(e.path()) {
                sources.insert(e.path(), text);
            }
        }
    }
}

/// Turn one schema-valid document into declared objects (CSV rows included).
fn collect(
    doc: &LocatedDoc,
    declared: &mut Vec<Declared>,
    locator: &mut Locator,
    sources: &SourceCache,
    diags: &mut Diagnostics,
) {
    for k in KINDS {
        let Some(key) = k.manifest_key() else {
            continue;
        };
        for (i, item) in doc
            .value
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            declared.push(Declared {
                addr: Addr::new(k.name(), k.key_of(item)),
                spec: item.clone(),
                origin: Origin {
                    file: doc.file.clone(),
                    pointer: format!("/{key}/{i}"),
                    csv_line: None,
                },
            });
        }
    }
    for (i, entry) in doc
        .value
        .get("usersFromCsv")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let file = entry["file"].as_str().unwrap_or_default();
        let at = doc.locate(&format!("/usersFromCsv/{i}/file"));
        let path = match manifest::resolve_referenced(&doc.file, file, "CSV file", at) {
            Ok(path) => path,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        if let Ok(text) = std::fs::read_to_string(&path) {
            sources.insert(path.clone(), text);
        }
        // Bad rows are reported; the good ones are still checked.
        let (rows, problems) = manifest::read_csv_all(&path, CSV_COLUMNS);
        diags.extend(problems.0);
        for row in rows {
            let cell = |c: &str| row.fields.get(c).map(String::as_str).unwrap_or("");
            let name = format!("{} {}", cell("first_name"), cell("last_name"))
                .trim()
                .to_string();
            let mut spec = json!({"email": cell("email"), "name": name});
            let division = Some(cell("division"))
                .filter(|d| !d.is_empty())
                .or_else(|| entry.get("division").and_then(Value::as_str));
            if let Some(d) = division {
                spec["division"] = json!(d);
            }
            for k in ["title", "department"] {
                if let Some(v) = entry.get(k).and_then(Value::as_str) {
                    spec[k] = json!(v);
                }
            }
            if !cell("phone_number").is_empty() {
                spec["phones"] = json!([{"number": cell("phone_number"), "type": "work"}]);
            }
            if name.is_empty() {
                diags.push(
                    Diagnostic::error(
                        "the user has no name: both first_name and last_name are empty",
                    )
                    .at(row.location("first_name")),
                );
            }
            let line = row.line;
            declared.push(Declared {
                addr: Addr::new("user", cell("email")),
                spec,
                origin: Origin {
                    file: path.clone(),
                    pointer: String::new(),
                    csv_line: Some(line),
                },
            });
            locator.csv.insert((path.clone(), line), row);
        }
    }
}

/// Checks on objects the schema cannot express.
fn check_objects(declared: &[Declared], locator: &Locator, diags: &mut Diagnostics) {
    let mut seen: HashMap<String, &Declared> = HashMap::new();
    for d in declared {
        let at = |field: &str| locator.at(&d.origin, field);
        if let Some(first) = seen.get(&d.addr.id_key()) {
            let where_first = locator
                .at(&first.origin, "")
                .map(|l| {
                    format!(
                        " (first declared at {}:{}:{})",
                        l.file.display(),
                        l.line,
                        l.col
                    )
                })
                .unwrap_or_default();
            let field = if d.addr.kind == "user" {
                "/email"
            } else {
                "/name"
            };
            diags.push(
                Diagnostic::error(format!(
                    "duplicate {} `{}`{where_first}",
                    d.addr.kind, d.addr.key
                ))
                .at(at(field))
                .with_hint(if d.addr.kind == "user" {
                    "e-mail addresses are compared lower-cased; declare each user once"
                } else {
                    "names are compared case-insensitively; declare each object once"
                }),
            );
        } else {
            seen.insert(d.addr.id_key(), d);
        }
        match d.addr.kind {
            "user" => check_user(d, &at, diags),
            "schedule" | "schedulegroup" | "role" => access_hours::check(d, &at, diags),
            "queue" if d.addr.key.contains('*') => diags.push(
                Diagnostic::error(format!("queue name `{}` contains `*`", d.addr.key))
                    .at(at("/name"))
                    .with_hint(
                        "the API treats `*` in queue names as a wildcard; choose another name",
                    ),
            ),
            _ => {}
        }
        if d.addr.kind != "wrapupcode"
            && d.spec.get("division").and_then(Value::as_str) == Some("*")
        {
            diags.push(
                Diagnostic::error(format!(
                    "a {} cannot be in all divisions (`*`)",
                    d.addr.kind
                ))
                .at(at("/division"))
                .with_hint("only wrap-up codes accept `*`; name a division"),
            );
        }
        if d.addr.key.trim().is_empty() {
            diags.push(Diagnostic::error(format!("{} without a name", d.addr.kind)).at(at("")));
        }
    }
}

fn check_user(d: &Declared, at: &dyn Fn(&str) -> Option<Location>, diags: &mut Diagnostics) {
    if !valid_email(&d.addr.key) {
        diags.push(
            Diagnostic::error(format!("`{}` is not a valid e-mail address", d.addr.key))
                .at(at("/email"))
                .with_hint("users are keyed by e-mail, e.g. jane.doe@example.com"),
        );
    }
    for (i, phone) in d
        .spec
        .get("phones")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let number = phone
            .get("number")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !valid_e164(number) {
            diags.push(
                Diagnostic::error(format!("phone `{number}` is not in E.164 form"))
                    .at(at(&format!("/phones/{i}/number")))
                    .with_hint("write + country code and number without spaces, e.g. +12025550101"),
            );
        }
    }
    for field in ["skills", "languages"] {
        for (name, p) in d
            .spec
            .get(field)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let ok = p.as_f64().is_some_and(|p| (0.0..=5.0).contains(&p));
            if !ok {
                let pointer = format!("/{field}/{}", name.replace('~', "~0").replace('/', "~1"));
                diags.push(
                    Diagnostic::error(format!("proficiency {p} of `{name}` is outside 0–5"))
                        .at(at(&pointer))
                        .with_hint("proficiency is a number from 0 to 5"),
                );
            }
        }
    }
}

/// A pragmatic e-mail check: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// E.164: `+`, a non-zero digit, then 1 to 14 more digits.
pub fn valid_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164() {
        assert!(valid_e164("+12025550101"));
        assert!(!valid_e164("12025550101"));
        assert!(!valid_e164("+1 202 555"));
        assert!(!valid_e164("+0123"));
        assert!(!valid_e164("+1234567890123456"));
    }

    #[test]
    fn email() {
        assert!(valid_email("seed.agent.one@example.com"));
        assert!(!valid_email("no-at-sign"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a b@example.com"));
        assert!(!valid_email("@example.com"));
    }
}
