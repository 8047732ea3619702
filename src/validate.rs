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
use std::sync::Arc;

use serde_json::Value;

use crate::diag::{Diagnostic, Diagnostics, Location, SourceCache};
use crate::graph::{self, GraphError};
use crate::kinds::{Addr, ColumnOf, Declared, KINDS, Origin, kind};
use crate::manifest::{self, CsvRow, LocatedDoc, SchemaValidator};
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
    /// The rows of each CSV file (in line order) and where its kind's fields are.
    csv: HashMap<PathBuf, (Vec<CsvRow>, ColumnOf)>,
}

impl Locator {
    /// Where `field` (a pointer relative to the object, "" = the object) of `d` is.
    fn at(&self, origin: &Origin, field: &str) -> Option<Location> {
        if let Some(line) = origin.csv_line {
            let (rows, column_of) = self.csv.get(&*origin.file)?;
            let row = &rows[rows.binary_search_by_key(&line, |r| r.line).ok()?];
            let field = field
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("");
            return Some(match column_of(field) {
                Some(column) => row.location(column),
                None => Location::new(&*origin.file, line, 1),
            });
        }
        self.docs
            .get(&*origin.file)?
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
    // Semantic checks run on every item too, so one pass reports everything.
    for problems in check_schema(&docs) {
        diags.extend(problems);
    }
    let csv = read_csv_files(&docs, &mut diags);
    let mut locator = Locator::default();
    let mut declared = Vec::new();
    let mut files = Vec::new();
    for (mut doc, tables) in docs.into_iter().zip(csv) {
        sources.insert(doc.file.clone(), Arc::clone(&doc.text));
        files.push(doc.file.clone());
        collect(&mut doc, &mut declared);
        for table in tables {
            add_csv(table, &mut declared, &mut locator, sources, &mut diags);
        }
        locator.docs.insert(doc.file.clone(), doc);
    }
    check_interpolation(&mut declared, vars, &locator, &mut diags);
    check_objects(&declared, &locator, &mut diags);
    derive_sub_resources(&mut declared);
    let result = build_graph(&declared, &locator, &mut diags);
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

/// The dependency graph and tiers, or the diagnostics of missing references and cycles.
fn build_graph(
    declared: &[Declared],
    locator: &Locator,
    diags: &mut Diagnostics,
) -> Option<(Vec<Vec<usize>>, Vec<usize>)> {
    match graph::edges(declared) {
        Err(GraphError::Missing(missing)) => {
            report_missing(declared, missing, locator, diags);
            None
        }
        Err(GraphError::Cycle(_)) => unreachable!("edges reports only missing references"),
        Ok(_) if diags.has_errors() => None,
        Ok(deps) => match graph::tiers(declared, &deps) {
            Ok(tiers) => Some((deps, staged(declared, tiers))),
            Err(GraphError::Cycle(cycle)) => {
                let names: Vec<String> = cycle.iter().map(ToString::to_string).collect();
                let first = declared.iter().find(|d| d.addr == cycle[0]);
                diags.push(
                    Diagnostic::error(format!("reference cycle: {}", names.join(" → ")))
                        .at(first.and_then(|d| locator.at(&d.origin, "")))
                        .with_hint("break the cycle: an object cannot depend on itself"),
                );
                None
            }
            Err(GraphError::Missing(_)) => unreachable!("edges succeeded"),
        },
    }
}

/// Report each reference to an undeclared object, with the closest declared key of
/// its kind when one is near.
fn report_missing(
    declared: &[Declared],
    missing: Vec<graph::MissingRef>,
    locator: &Locator,
    diags: &mut Diagnostics,
) {
    // Declared keys by kind, for "did you mean".
    let mut keys: HashMap<&str, Vec<&str>> = HashMap::new();
    for d in declared {
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
        let near = keys
            .get(target.kind)
            .and_then(|known| crate::suggest::did_you_mean(&target.key, known.iter().copied()));
        let hint = match near {
            Some(near) => {
                format!("did you mean `{near}`? Otherwise declare it under `{section}:`{extra}")
            }
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

/// `${var.NAME}` substituted from `vars` (an undefined one is an error at its string),
/// and `${kind:key}` in fields that do not interpolate reported.
fn check_interpolation(
    declared: &mut [Declared],
    vars: &BTreeMap<String, String>,
    locator: &Locator,
    diags: &mut Diagnostics,
) {
    use crate::kinds::interp::any_string_contains;
    for d in declared.iter_mut() {
        if !any_string_contains(&d.spec, "${var.") {
            continue;
        }
        for (pointer, name) in
            crate::kinds::interp::substitute_vars(Arc::make_mut(&mut d.spec), vars)
        {
            diags.push(
                Diagnostic::error(format!("variable `{name}` is not defined"))
                    .at(locator.at(&d.origin, &pointer))
                    .with_hint(format!(
                        "add `{name}` under `vars:` of this environment in genseed.yaml"
                    )),
            );
        }
    }
    for d in declared
        .iter()
        .filter(|d| any_string_contains(&d.spec, "${"))
    {
        let resolved = kind(d.addr.kind)
            .map(|k| k.references(&d.spec))
            .unwrap_or_default();
        for (pointer, text) in crate::kinds::interp::uninterpolated(&d.spec, &resolved) {
            diags.push(
                Diagnostic::error(format!("`{}` is not resolved in this field", crate::diag::excerpt(&text)))
                    .at(locator.at(&d.origin, &pointer))
                    .with_hint("only some fields (such as a data action's config and contract) turn `${kind:name}` into an ID; write the value itself here"),
            );
        }
    }
}

/// Sub-resources (memberships, grants) come from their parents' entries.
fn derive_sub_resources(declared: &mut Vec<Declared>) {
    let parents = declared.len();
    // Room for a sub-resource of every parent (what a large org of users has): the list
    // is not copied while it grows, and room left unused is never touched.
    let room: usize = KINDS
        .iter()
        .filter_map(|k| k.parent())
        .map(|parent| declared.iter().filter(|d| d.addr.kind == parent).count())
        .sum();
    declared.reserve(room);
    for k in KINDS.iter().filter(|k| k.parent().is_some()) {
        for i in 0..parents {
            if declared[i].addr.kind == k.parent().unwrap_or_default()
                && let Some(sub) = k.derive(&mut declared[i])
            {
                declared.push(sub);
            }
        }
    }
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

/// Each document's schema problems, documents checked in parallel against the committed
/// schema compiled once.
fn check_schema(docs: &[LocatedDoc]) -> Vec<Diagnostics> {
    let schema: Value =
        serde_json::from_str(COMMITTED_SCHEMA).expect("the committed schema is JSON");
    match SchemaValidator::new(&schema) {
        Ok(validator) => manifest::parallel::map(docs, |doc| validator.validate(doc)),
        Err(problems) => vec![problems],
    }
}

/// Move the entries of one document into declared objects (the document keeps what is
/// left: its positions and the entries of no kind, such as `usersFromCsv`).
fn collect(doc: &mut LocatedDoc, declared: &mut Vec<Declared>) {
    for k in KINDS {
        let Some(key) = k.manifest_key() else {
            continue;
        };
        let Some(Value::Array(items)) = doc.value.get_mut(key).map(Value::take) else {
            continue;
        };
        let file: Arc<Path> = Arc::from(doc.file.as_path());
        for (i, item) in items.into_iter().enumerate() {
            declared.push(Declared {
                addr: Addr::new(k.name(), k.key_of(&item)),
                spec: Arc::new(item),
                origin: Origin {
                    file: Arc::clone(&file),
                    pointer: format!("/{key}/{i}"),
                    csv_line: None,
                },
            });
        }
    }
}

/// One CSV file listed by a document, read and turned into declared objects.
struct CsvTable {
    path: PathBuf,
    column_of: ColumnOf,
    /// The file's text, when it is UTF-8 (for showing lines under diagnostics).
    text: Option<Arc<str>>,
    rows: Vec<CsvRow>,
    declared: Vec<Declared>,
    problems: Diagnostics,
}

/// A CSV file a document lists for kind `kind` under `entry`.
struct CsvJob<'d> {
    doc: usize,
    kind: &'static dyn crate::kinds::Kind,
    source: &'static crate::kinds::CsvSource,
    entry: &'d Value,
    path: PathBuf,
}

/// For each document, the CSV files it lists under a kind's CSV key (`usersFromCsv`),
/// read in parallel; a path that cannot be used is reported.
fn read_csv_files(docs: &[LocatedDoc], diags: &mut Diagnostics) -> Vec<Vec<CsvTable>> {
    let mut jobs = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        for k in KINDS {
            let Some(source) = k.csv_source() else {
                continue;
            };
            let key = source.manifest_key;
            let entries = doc.value.get(key).and_then(Value::as_array);
            for (i, entry) in entries.into_iter().flatten().enumerate() {
                let file = entry["file"].as_str().unwrap_or_default();
                let at = doc.locate(&format!("/{key}/{i}/file"));
                match manifest::resolve_referenced(&doc.file, file, "CSV file", at) {
                    Ok(path) => jobs.push(CsvJob {
                        doc: d,
                        kind: *k,
                        source,
                        entry,
                        path,
                    }),
                    Err(problem) => diags.push(problem),
                }
            }
        }
    }
    let mut tables: Vec<Vec<CsvTable>> = docs.iter().map(|_| Vec::new()).collect();
    let read = manifest::parallel::map(&jobs, read_csv_job);
    for (job, table) in jobs.iter().zip(read) {
        tables[job.doc].push(table);
    }
    tables
}

/// Read one CSV file and turn its rows into declared objects; bad rows are reported,
/// the good ones are still checked.
fn read_csv_job(job: &CsvJob<'_>) -> CsvTable {
    let (rows, mut problems, text) = manifest::csv::read_csv_text(&job.path, job.source.columns);
    let mut declared = Vec::with_capacity(rows.len());
    let file: Arc<Path> = Arc::from(job.path.as_path());
    for row in &rows {
        let cell = |c: &str| row.cell(c);
        let (spec, row_problems) = (job.source.to_spec)(&cell, job.entry);
        for (column, message) in row_problems {
            problems.push(Diagnostic::error(message).at(row.location(column)));
        }
        declared.push(Declared {
            addr: Addr::new(job.kind.name(), job.kind.key_of(&spec)),
            spec: Arc::new(spec),
            origin: Origin {
                file: Arc::clone(&file),
                pointer: String::new(),
                csv_line: Some(row.line),
            },
        });
    }
    CsvTable {
        path: job.path.clone(),
        column_of: job.source.column_of,
        text,
        rows,
        declared,
        problems,
    }
}

/// Add a read CSV file's objects, problems, rows (for locating) and text.
fn add_csv(
    table: CsvTable,
    declared: &mut Vec<Declared>,
    locator: &mut Locator,
    sources: &SourceCache,
    diags: &mut Diagnostics,
) {
    if let Some(text) = table.text {
        sources.insert(table.path.clone(), text);
    }
    diags.extend(table.problems);
    declared.extend(table.declared);
    locator
        .csv
        .entry(table.path)
        .or_insert((table.rows, table.column_of));
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
