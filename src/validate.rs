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
use crate::graph::{self, GraphError, MissingRef, RefKeys};
use crate::kinds::{Addr, ColumnOf, Declared, KINDS, Origin, Ref, kind};
use crate::manifest::{self, CsvRow, LocatedDoc, SchemaValidator};
use crate::spec::COMMITTED_SCHEMA;

/// What a successful load yields.
#[derive(Debug)]
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

/// How much of each declared object a load keeps once it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The whole entry: planning compares it with the org.
    Specs,
    /// Kind, key, origin and the dependency order, with every spec `null`: all that
    /// `genseed validate` reports. Each file's entries are dropped as soon as that file
    /// is checked, so a large org is never held whole (its entries are most of what a
    /// load holds: for 60,000 users, about 200 MB).
    Outline,
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
    load_keeping(seeds, sources, vars, Keep::Specs)
}

/// [`load_with_vars`], keeping what `keep` says of each object.
///
/// Every file is read and checked on its own, several at once: parsed, checked against
/// the schema, its CSV files read, its entries checked one by one, their sub-resources
/// derived and their references listed. Then what needs every file: duplicate keys,
/// references to undeclared objects, cycles and tiers. If any file cannot be parsed,
/// only the parse problems are reported.
pub fn load_keeping(
    seeds: &Path,
    sources: &SourceCache,
    vars: &BTreeMap<String, String>,
    keep: Keep,
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
    let (paths, mut unreadable) = match manifest::merge::manifest_paths(seeds) {
        Ok(found) => found,
        Err(d) => {
            register_sources(seeds, sources);
            return Err(d);
        }
    };
    let schema: Value =
        serde_json::from_str(COMMITTED_SCHEMA).expect("the committed schema is JSON");
    let validator = SchemaValidator::new(&schema)
        .map_err(|problems| diags.extend(problems))
        .ok();
    let null = Arc::new(Value::Null);
    let job = FileJob {
        validator: validator.as_ref(),
        vars,
        outline: (keep == Keep::Outline).then_some(&null),
    };
    let mut checked = Vec::with_capacity(paths.len());
    for file in manifest::parallel::map(&paths, |path| job.check(path)) {
        match file {
            Ok(file) => checked.push(file),
            Err(problems) => unreadable.extend(problems),
        }
    }
    if unreadable.has_errors() {
        register_sources(seeds, sources);
        return Err(unreadable);
    }
    let Merged {
        declared,
        refs,
        listed_in,
        files,
        locator,
    } = merge(checked, sources, &mut diags);
    let index = check_duplicates(&declared, &locator, &mut diags);
    let relist =
        |missing: &[MissingRef]| job.relist(&declared, (&files, &listed_in, &refs), missing);
    let result = build_graph(&declared, &index, &refs, relist, &locator, &mut diags);
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

/// The checked files, put together.
struct Merged {
    /// Every file's objects, in order; then their sub-resources, kind by kind, each kind
    /// in the order of the files.
    declared: Vec<Declared>,
    /// The keys of their references.
    refs: RefKeys,
    /// For each object, the index in `files` of the manifest it comes from (its
    /// references are listed again from there when one is missing).
    listed_in: Vec<usize>,
    files: Vec<PathBuf>,
    locator: Locator,
}

/// Put the checked files together; their problems go to `diags`, their texts to
/// `sources`.
fn merge(checked: Vec<CheckedFile>, sources: &SourceCache, diags: &mut Diagnostics) -> Merged {
    // Everything at its final size: a large org's lists are not copied as they grow.
    let parts = || {
        checked
            .iter()
            .flat_map(|f| std::iter::once(&f.objects).chain(&f.subs))
    };
    let objects = parts().map(|(objects, _)| objects.len()).sum();
    let mut merged = Merged {
        declared: Vec::with_capacity(objects),
        refs: RefKeys::with_room(parts().map(|(_, keys)| keys)),
        listed_in: Vec::with_capacity(objects),
        files: Vec::with_capacity(checked.len()),
        locator: Locator::default(),
    };
    let mut add = |f: usize, (objects, keys): WithRefs| {
        merged
            .listed_in
            .extend(std::iter::repeat_n(f, objects.len()));
        merged.declared.extend(objects);
        merged.refs.append(keys);
    };
    let mut subs = Vec::with_capacity(checked.len());
    for (f, file) in checked.into_iter().enumerate() {
        merged.files.push(file.path);
        diags.extend(file.diags);
        add(f, file.objects);
        for (path, text) in file.texts {
            sources.insert(path, text);
        }
        merged.locator.docs.extend(file.locator.docs);
        for (path, rows) in file.locator.csv {
            merged.locator.csv.entry(path).or_insert(rows);
        }
        subs.push(file.subs);
    }
    for k in 0..SubKinds::count() {
        for (f, file_subs) in subs.iter_mut().enumerate() {
            add(f, std::mem::take(&mut file_subs[k]));
        }
    }
    merged
}

/// Objects (or sub-resources) and the keys of their references.
type WithRefs = (Vec<Declared>, RefKeys);

/// What is the same for every file of a load.
struct FileJob<'a> {
    validator: Option<&'a SchemaValidator>,
    vars: &'a BTreeMap<String, String>,
    /// The `null` every spec is replaced with, when only the outline is kept.
    outline: Option<&'a Arc<Value>>,
}

/// One manifest file, checked on its own.
struct CheckedFile {
    path: PathBuf,
    /// Its problems (and those of its CSV files) found without the other files.
    diags: Diagnostics,
    /// Its objects: its entries, then the rows of its CSV files.
    objects: WithRefs,
    /// Their sub-resources, per sub-resource kind (in registry order).
    subs: Vec<WithRefs>,
    /// Where its objects' fields are.
    locator: Locator,
    /// The text of the file and of its CSV files, for showing lines.
    texts: Vec<(PathBuf, Arc<str>)>,
}

/// Where [`FileJob::read`] hands the objects of a manifest.
trait Sink {
    /// The file's objects, before any is handed over: make room for them and their
    /// sub-resources.
    fn room(&mut self, _objects: &[Declared]) {}
    /// One checked object (`None`) or sub-resource (`Some(k)`, `k` its kind's place in
    /// [`SubKinds`]).
    fn take(&mut self, sub: Option<usize>, d: Declared);
}

/// Every object and sub-resource, as read.
impl Sink for Vec<Declared> {
    fn take(&mut self, _: Option<usize>, d: Declared) {
        self.push(d);
    }
}

/// A checked file's objects and sub-resources, each list with its references' keys.
struct Lists<'a> {
    objects: WithRefs,
    subs: Vec<WithRefs>,
    /// See [`FileJob::outline`].
    outline: Option<&'a Arc<Value>>,
}

impl Sink for Lists<'_> {
    fn room(&mut self, objects: &[Declared]) {
        self.objects.0.reserve_exact(objects.len());
        for (k, (list, _)) in SubKinds::all().zip(&mut self.subs) {
            let parents = objects.iter().filter(|d| k.parent() == Some(d.addr.kind));
            list.reserve_exact(parents.count());
        }
    }

    fn take(&mut self, sub: Option<usize>, mut d: Declared) {
        let (list, keys) = match sub {
            None => &mut self.objects,
            Some(k) => &mut self.subs[k],
        };
        keys.push(&references(&d));
        if let Some(null) = self.outline {
            d.spec = Arc::clone(null);
        }
        list.push(d);
    }
}

/// What reading one manifest leaves besides its objects.
struct ReadFile {
    diags: Diagnostics,
    locator: Locator,
    texts: Vec<(PathBuf, Arc<str>)>,
}

/// The kinds whose objects are sub-resources of another kind's, in registry order.
struct SubKinds;

impl SubKinds {
    fn all() -> impl Iterator<Item = &'static dyn crate::kinds::Kind> {
        KINDS.iter().copied().filter(|k| k.parent().is_some())
    }

    fn count() -> usize {
        Self::all().count()
    }
}

/// The references of `d`, as its kind lists them.
fn references(d: &Declared) -> Vec<Ref> {
    kind(d.addr.kind)
        .expect("declared objects have registered kinds")
        .references(&d.spec)
}

impl FileJob<'_> {
    /// Read and check one manifest; `Err` holds why it cannot be parsed.
    fn check(&self, path: &Path) -> Result<CheckedFile, Diagnostics> {
        let mut lists = Lists {
            objects: WithRefs::default(),
            subs: SubKinds::all().map(|_| WithRefs::default()).collect(),
            outline: self.outline,
        };
        let read = self.read(path, &mut lists)?;
        Ok(CheckedFile {
            path: path.to_path_buf(),
            diags: read.diags,
            objects: lists.objects,
            subs: lists.subs,
            locator: read.locator,
            texts: read.texts,
        })
    }

    /// Read one manifest and check its objects, one after another: each is handed to
    /// `sink` once checked, with its sub-resources after it. An object is done with
    /// before the next is looked at, so that what it held is reused for the next, while
    /// still in the cache.
    fn read(&self, path: &Path, sink: &mut dyn Sink) -> Result<ReadFile, Diagnostics> {
        let mut doc = manifest::load_file(path)?;
        let mut diags = self.validator.map(|v| v.validate(&doc)).unwrap_or_default();
        let tables = read_csv_files(&doc, &mut diags);
        let mut objects = Vec::new();
        collect(&mut doc, &mut objects);
        let mut locator = Locator::default();
        let mut texts = vec![(doc.file.clone(), Arc::clone(&doc.text))];
        // A CSV file that is not UTF-8 has no text to search for placeholders.
        let mut unsearched = false;
        for table in tables {
            match table.text {
                Some(text) => texts.push((table.path.clone(), text)),
                None => unsearched = true,
            }
            diags.extend(table.problems);
            objects.extend(table.declared);
            locator
                .csv
                .entry(table.path)
                .or_insert((table.rows, table.column_of));
        }
        locator.docs.insert(doc.file.clone(), doc);
        sink.room(&objects);
        // A placeholder's `${` is in the text of its file, or is written with an escape
        // (`"\x24{"` in a double-quoted scalar): without either, no string of the file's
        // objects holds one, and none needs searching.
        let interpolates = unsearched
            || texts
                .iter()
                .any(|(_, text)| text.contains("${") || text.contains('\\'));
        for mut d in objects {
            if interpolates {
                check_interpolation(&mut d, self.vars, &locator, &mut diags);
            }
            check_object(&d, &locator, &mut diags);
            let subs: Vec<(usize, Declared)> = SubKinds::all()
                .enumerate()
                .filter(|(_, k)| k.parent() == Some(d.addr.kind))
                .filter_map(|(i, k)| Some((i, k.derive(&mut d)?)))
                .collect();
            sink.take(None, d);
            for (k, sub) in subs {
                sink.take(Some(k), sub);
            }
        }
        Ok(ReadFile {
            diags,
            locator,
            texts,
        })
    }

    /// The `missing` references in full, listed again from the manifests their objects
    /// come from (`listed_in[i]`: the index in `files` of object `i`'s manifest). One
    /// whose file changed since is named by its key alone (`refs` has it), at its object.
    fn relist(
        &self,
        declared: &[Declared],
        (files, listed_in, refs): (&[PathBuf], &[usize], &RefKeys),
        missing: &[MissingRef],
    ) -> Vec<(usize, Ref)> {
        let mut by_file: BTreeMap<usize, Vec<MissingRef>> = BTreeMap::new();
        for m in missing {
            by_file.entry(listed_in[m.from]).or_default().push(*m);
        }
        let by_key = |m: &MissingRef| {
            let (kind_name, key) = refs.key(m.from, m.nth)?.split_once('/')?;
            Some(Ref {
                target: Addr::new(kind(kind_name)?.name(), key),
                field: String::new(),
            })
        };
        let mut out = Vec::with_capacity(missing.len());
        for (f, missing) in by_file {
            let mut read: Vec<Declared> = Vec::new();
            // A file that cannot be read any more lists nothing.
            let _ = self.read(&files[f], &mut read);
            let again: HashMap<_, &Declared> = read.iter().map(|d| (place(d), d)).collect();
            for m in missing {
                let found = again.get(&place(&declared[m.from]));
                let listed = found.and_then(|d| references(d).into_iter().nth(m.nth));
                out.extend(listed.or_else(|| by_key(&m)).map(|r| (m.from, r)));
            }
        }
        out
    }
}

/// What tells one declared object from every other of its manifest.
fn place(d: &Declared) -> (&str, &str, &Path, &str, Option<usize>) {
    let o = &d.origin;
    (d.addr.kind, &d.addr.key, &o.file, &o.pointer, o.csv_line)
}

/// The dependency graph and tiers, or the diagnostics of missing references and cycles.
/// `refs` holds the references of each of `declared`, `index` its objects; `relist`
/// lists missing ones in full.
fn build_graph(
    declared: &[Declared],
    index: &graph::Index,
    refs: &RefKeys,
    relist: impl FnOnce(&[MissingRef]) -> Vec<(usize, Ref)>,
    locator: &Locator,
    diags: &mut Diagnostics,
) -> Option<(Vec<Vec<usize>>, Vec<usize>)> {
    match graph::edges(index, refs) {
        Err(GraphError::Missing(missing)) => {
            report_missing(declared, relist(&missing), locator, diags);
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
    missing: Vec<(usize, Ref)>,
    locator: &Locator,
    diags: &mut Diagnostics,
) {
    // Declared keys by kind, for "did you mean".
    let mut keys: HashMap<&str, Vec<&str>> = HashMap::new();
    for d in declared {
        keys.entry(d.addr.kind).or_default().push(&d.addr.key);
    }
    for (from, reference) in missing {
        let d = &declared[from];
        let target = &reference.target;
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
            .at(locator.at(&d.origin, &reference.field))
            .with_hint(hint),
        );
    }
}

/// `${var.NAME}` substituted from `vars` (an undefined one is an error at its string),
/// and `${kind:key}` in fields that do not interpolate reported.
fn check_interpolation(
    d: &mut Declared,
    vars: &BTreeMap<String, String>,
    locator: &Locator,
    diags: &mut Diagnostics,
) {
    use crate::kinds::interp::any_string_contains;
    if any_string_contains(&d.spec, "${var.") {
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
    if any_string_contains(&d.spec, "${") {
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
    kind: &'static dyn crate::kinds::Kind,
    source: &'static crate::kinds::CsvSource,
    entry: &'d Value,
    path: PathBuf,
}

/// The CSV files `doc` lists under a kind's CSV key (`usersFromCsv`), read; a path that
/// cannot be used is reported.
fn read_csv_files(doc: &LocatedDoc, diags: &mut Diagnostics) -> Vec<CsvTable> {
    let mut tables = Vec::new();
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
                Ok(path) => tables.push(read_csv_job(&CsvJob {
                    kind: *k,
                    source,
                    entry,
                    path,
                })),
                Err(problem) => diags.push(problem),
            }
        }
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

/// The index of the objects, with each natural key declared twice (across all files
/// and CSV tables) reported.
fn check_duplicates(
    declared: &[Declared],
    locator: &Locator,
    diags: &mut Diagnostics,
) -> graph::Index {
    graph::Index::of(declared, |first, again| {
        let (first, d) = (&declared[first], &declared[again]);
        let k = kind(d.addr.kind).expect("registered kind");
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
            .at(locator.at(&d.origin, k.key_field()))
            .with_hint(k.key_rule()),
        );
    })
}

/// Checks on one object the schema cannot express: its kind's, and those every kind's
/// objects get.
fn check_object(d: &Declared, locator: &Locator, diags: &mut Diagnostics) {
    let k = kind(d.addr.kind).expect("registered kind");
    let at = |field: &str| locator.at(&d.origin, field);
    k.check(d, &at, diags);
    crate::kinds::check_common(k, d, &at, diags);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest that changed (here: vanished) between reading it and reporting its
    /// missing reference still gets the reference reported, named by its key.
    #[test]
    fn a_missing_reference_whose_file_is_gone_is_named_by_its_key() {
        let vars = BTreeMap::new();
        let job = FileJob {
            validator: None,
            vars: &vars,
            outline: None,
        };
        // Any two kinds of object will do.
        let mut objects = KINDS.iter().filter(|k| k.is_object()).map(|k| k.name());
        let (from, to) = (objects.next().unwrap(), objects.next().unwrap());
        let declared = [Declared {
            addr: Addr::new(from, "a@example.com"),
            spec: Arc::new(Value::Null),
            origin: Origin::default(),
        }];
        let mut refs = RefKeys::default();
        refs.push(&[Ref {
            target: Addr::new(to, "Nowhere"),
            field: "/division".to_owned(),
        }]);
        let gone = [PathBuf::from("/nonexistent/seeds/gone.yaml")];
        let missing = [MissingRef { from: 0, nth: 0 }];
        let listed = job.relist(&declared, (&gone, &[0], &refs), &missing);
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].0, 0);
        assert_eq!(listed[0].1.target, Addr::new(to, "nowhere"));
        assert_eq!(listed[0].1.field, "");
    }
}
