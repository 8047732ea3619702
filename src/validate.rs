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

use serde_json::Value;

use crate::diag::{Diagnostic, Diagnostics, Location, SourceCache};
use crate::graph::{self, GraphError};
use crate::kinds::{Addr, ColumnOf, Declared, KINDS, Origin, kind};
use crate::manifest::{self, CsvRow, LocatedDoc};
use crate::spec::COMMITTED_SCHEMA;

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
    csv: HashMap<(PathBuf, usize), (CsvRow, ColumnOf)>,
}

impl Locator {
    /// Where `field` (a pointer relative to the object, "" = the object) of `d` is.
    fn at(&self, origin: &Origin, field: &str) -> Option<Location> {
        if let Some(line) = origin.csv_line {
            let (row, column_of) = self.csv.get(&(origin.file.clone(), line))?;
            let field = field
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("");
            return Some(match column_of(field) {
                Some(column) => row.location(column),
                None => Location::new(&origin.file, line, 1),
            });
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
                // Declared keys by kind, for "did you mean".
                let mut keys: HashMap<&str, Vec<&str>> = HashMap::new();
                for d in &declared {
                    keys.entry(d.addr.kind).or_default().push(&d.addr.key);
                }
                for m in missing {
                    let d = &declared[m.from];
                    let target = &m.reference.target;
                    let target_kind = kind(target.kind);
                    let section = target_kind
                        .and_then(|k| k.manifest_key())
                        .unwrap_or(target.kind);
                    let extra = target_kind
                        .and_then(|k| k.missing_ref_hint())
                        .map(|h| format!("; {h}"))
                        .unwrap_or_default();
                    let near = keys.get(target.kind).and_then(|known| {
                        crate::suggest::did_you_mean(&target.key, known.iter().copied())
                    });
                    let hint = match near {
                        Some(near) => format!(
                            "did you mean `{near}`? Otherwise declare it under `{section}:`{extra}"
                        ),
                        None => format!(
                            "declare it under `{section}:` (names are matched case-insensitively), or fix the spelling{extra}"
                        ),
                    };
                    diags.push(
                        Diagnostic::error(format!(
                            "{} `{}` is not declared in any manifest",
                            target.kind, target.key
                        ))
                        .at(locator.at(&d.origin, &m.reference.field))
                        .with_hint(hint),
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
    for k in KINDS {
        if let Some(csv) = k.csv_source() {
            collect_csv(doc, *k, csv, declared, locator, sources, diags);
        }
    }
}

/// Expand the CSV files a document lists under `csv.manifest_key` into declared
/// objects of kind `k`; bad rows are reported, the good ones are still checked.
fn collect_csv(
    doc: &LocatedDoc,
    k: &dyn crate::kinds::Kind,
    csv: &crate::kinds::CsvSource,
    declared: &mut Vec<Declared>,
    locator: &mut Locator,
    sources: &SourceCache,
    diags: &mut Diagnostics,
) {
    let key = csv.manifest_key;
    for (i, entry) in doc
        .value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let file = entry["file"].as_str().unwrap_or_default();
        let at = doc.locate(&format!("/{key}/{i}/file"));
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
        let (rows, problems) = manifest::read_csv_all(&path, csv.columns);
        diags.extend(problems.0);
        for row in rows {
            let fields = &row.fields;
            let cell = |c: &str| fields.get(c).map(String::as_str).unwrap_or("");
            let (spec, problems) = (csv.to_spec)(&cell, entry);
            for (column, message) in problems {
                diags.push(Diagnostic::error(message).at(row.location(column)));
            }
            let line = row.line;
            declared.push(Declared {
                addr: Addr::new(k.name(), k.key_of(&spec)),
                spec,
                origin: Origin {
                    file: path.clone(),
                    pointer: String::new(),
                    csv_line: Some(line),
                },
            });
            locator
                .csv
                .insert((path.clone(), line), (row, csv.column_of));
        }
    }
}

/// Checks on objects the schema cannot express.
fn check_objects(declared: &[Declared], locator: &Locator, diags: &mut Diagnostics) {
    let mut seen: HashMap<String, &Declared> = HashMap::new();
    for d in declared {
        let k = kind(d.addr.kind).expect("registered kind");
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
            diags.push(
                Diagnostic::error(format!(
                    "duplicate {} `{}`{where_first}",
                    k.label(),
                    d.addr.key
                ))
                .at(at(k.key_field()))
                .with_hint(k.key_rule()),
            );
        } else {
            seen.insert(d.addr.id_key(), d);
        }
        k.check(d, &at, diags);
        if !k.allows_all_divisions() && d.spec.get("division").and_then(Value::as_str) == Some("*")
        {
            diags.push(
                Diagnostic::error(format!("a {} cannot be in all divisions (`*`)", k.label()))
                    .at(at("/division"))
                    .with_hint(format!(
                        "only {} accept `*`; name a division",
                        all_division_kinds()
                    )),
            );
        }
        if d.addr.key.trim().is_empty() {
            diags.push(Diagnostic::error(format!("{} without a name", k.label())).at(at("")));
        }
    }
}

/// The kinds whose objects may be in all divisions, for the hint.
fn all_division_kinds() -> String {
    let labels: Vec<String> = KINDS
        .iter()
        .filter(|k| k.allows_all_divisions())
        .map(|k| format!("{}s", k.label()))
        .collect();
    labels.join(" and ")
}
