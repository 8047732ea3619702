//! YAML → `serde_json::Value` plus the (line, col) of every value and key ([`Spans`]).
//!
//! Owns the serde-saphyr options (strict booleans, leading-zero numbers as strings,
//! duplicate keys as errors, raised budgets), the file-size cap, and [`LocatedDoc`].
//! Must not know about kinds, schemas or HTTP.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

use super::pointer;
pub use super::spans::Spans;
use super::spans::SpansBuilder;
use crate::diag::{Diagnostic, Diagnostics, Location, excerpt};

/// Files larger than this are refused before being read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// One YAML file as a JSON value, with where each value (and each mapping key) came from.
#[derive(Debug, Clone)]
pub struct LocatedDoc {
    /// The file.
    pub file: PathBuf,
    /// The document as JSON.
    pub value: Value,
    /// Position of every value and of every mapping key; see [`LocatedDoc::spans`].
    spans: OnceLock<Spans>,
    /// The file's text, for showing the lines diagnostics point at.
    pub text: Arc<str>,
}

impl PartialEq for LocatedDoc {
    fn eq(&self, other: &Self) -> bool {
        self.file == other.file
            && self.value == other.value
            && self.text == other.text
            && self.spans() == other.spans()
    }
}

/// Anything that can turn a JSON pointer into a source location.
pub trait Locate {
    /// Location of the value at `pointer`, or of its nearest ancestor that has one.
    fn locate(&self, pointer: &str) -> Option<Location>;
    /// Location of the mapping key introducing `pointer`, falling back to [`Locate::locate`].
    fn locate_key(&self, pointer: &str) -> Option<Location>;
    /// The pointer to record in a diagnostic for `pointer` (identity for whole documents;
    /// merged items prefix their position in the original file).
    fn pointer(&self, pointer: &str) -> String {
        pointer.to_owned()
    }
}

impl Locate for LocatedDoc {
    fn locate(&self, pointer: &str) -> Option<Location> {
        let (line, col) = self.spans().locate(pointer)?;
        Some(Location::new(&self.file, line, col))
    }
    fn locate_key(&self, pointer: &str) -> Option<Location> {
        match self.spans().key(pointer) {
            Some((line, col)) => Some(Location::new(&self.file, line, col)),
            None => Locate::locate(self, pointer),
        }
    }
}

impl LocatedDoc {
    /// Location of the value at `pointer` (or its nearest located ancestor).
    pub fn locate(&self, pointer: &str) -> Option<Location> {
        Locate::locate(self, pointer)
    }

    /// Location of the key introducing `pointer` (falls back to the value's location).
    pub fn locate_key(&self, pointer: &str) -> Option<Location> {
        Locate::locate_key(self, pointer)
    }

    /// The value at `pointer`, if any.
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        self.value.pointer(pointer)
    }

    /// Position of every value and of every mapping key (the key of `/users/0/email` is
    /// the one introducing that value). A plain manifest is read without them, since
    /// only a diagnostic needs one (a valid org of 60,000 users would hold ~75 MB of
    /// them): they are found by reading its text again, the same way, the first time
    /// one is asked for.
    pub fn spans(&self) -> &Spans {
        self.spans.get_or_init(|| {
            let options = yaml_options();
            match super::stream::read(&self.text, &options, true) {
                Some((_, spans)) => spans,
                // Not reached: the text was read this way before. Still, the thorough
                // reader has positions for any document.
                None => parse_thoroughly(&self.file, Arc::clone(&self.text), options)
                    .map(|doc| doc.spans().clone())
                    .unwrap_or_default(),
            }
        })
    }
}

/// serde-saphyr options used for every manifest.
pub fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_reader_input_bytes = Some(MAX_FILE_BYTES as usize);
    budget.max_nodes = 5_000_000;
    budget.max_events = 20_000_000;
    budget.max_depth = 64;
    budget.max_aliases = 5_000;
    budget.max_anchors = 5_000;
    budget.max_total_scalar_bytes = MAX_FILE_BYTES as usize;
    // Alias replay is where bombs cost time; a manifest anchoring a few shared blocks
    // stays far below these.
    budget.max_recorded_anchor_events = 250_000;
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = 1_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits = alias_limits;
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    options
}

/// Reads `path` (refusing files over [`MAX_FILE_BYTES`] or not UTF-8) and parses it.
pub fn load_file(path: &Path) -> Result<LocatedDoc, Diagnostics> {
    let io_err = |e: std::io::Error| {
        Diagnostics::from(Diagnostic::error(format!(
            "cannot read {}: {e}",
            path.display()
        )))
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if !meta.is_file() {
        // Reading a FIFO would block; a device could be endless.
        return Err(Diagnostic::error(format!("{} is not a regular file", path.display())).into());
    }
    let len = meta.len();
    if len > MAX_FILE_BYTES {
        return Err(Diagnostic::error(format!(
            "{} is too large ({len} bytes; the limit is {MAX_FILE_BYTES})",
            path.display()
        ))
        .at(Location::new(path, 1, 1))
        .with_hint("split the manifest into several files in the same folder")
        .into());
    }
    let bytes = std::fs::read(path).map_err(io_err)?;
    let text = utf8(path, bytes)?;
    parse(path, Arc::from(text))
}

/// Decodes UTF-8, reporting the line and column of the first invalid byte.
pub(crate) fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, Diagnostics> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let valid = std::str::from_utf8(valid).unwrap_or_default();
        let line = valid.matches('\n').count() + 1;
        let col = valid.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        Diagnostic::error("invalid UTF-8")
            .at(Location::new(path, line, col))
            .with_hint("save the file as UTF-8")
            .into()
    })
}

/// Parses YAML `text` (read from `path`) into a [`LocatedDoc`].
///
/// An empty file (or one with only comments) is an empty mapping. Syntax errors, duplicate
/// keys, budget breaches, non-string keys and non-finite numbers become diagnostics.
pub fn load_yaml(path: &Path, text: &str) -> Result<LocatedDoc, Diagnostics> {
    parse(path, Arc::from(text))
}

/// [`load_yaml`] always the thorough way (serde-saphyr, every YAML construct), for
/// comparing readers; [`load_yaml`] gives the same result.
pub fn load_yaml_thoroughly(path: &Path, text: &str) -> Result<LocatedDoc, Diagnostics> {
    parse_thoroughly(path, Arc::from(text), yaml_options())
}

/// [`load_yaml`] on text the document keeps: the plain manifest straight from the
/// parser's events (see `stream.rs`), anything else the thorough way.
fn parse(path: &Path, text: Arc<str>) -> Result<LocatedDoc, Diagnostics> {
    let options = yaml_options();
    match super::stream::read(&text, &options, false) {
        Some((value, _)) => Ok(LocatedDoc {
            file: path.to_path_buf(),
            value,
            spans: OnceLock::new(),
            text,
        }),
        None => parse_thoroughly(path, text, options),
    }
}

/// Reads any YAML through serde-saphyr, with every diagnostic; for what `stream.rs`
/// covers it gives the same value and positions.
pub(super) fn parse_thoroughly(
    path: &Path,
    text: Arc<str>,
    options: serde_saphyr::Options,
) -> Result<LocatedDoc, Diagnostics> {
    let parsed: Result<Option<Spanned<Node>>, _> =
        serde_saphyr::from_str_with_options(&text, options);
    let root = match parsed {
        Ok(root) => root,
        Err(err) => return Err(yaml_error(path, &err).into()),
    };
    let mut spans = SpansBuilder::default();
    let Some(root) = root else {
        let handle = spans.open(Some((1, 1)), None);
        spans.close(handle);
        return Ok(LocatedDoc {
            file: path.to_path_buf(),
            value: Value::Object(Map::new()),
            spans: OnceLock::from(spans.finish()),
            text,
        });
    };
    let mut diags = Diagnostics::new();
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut builder = Builder {
        file: path,
        lines: body.split('\n').collect(),
        spans,
        pointer: String::new(),
        diags: &mut diags,
    };
    let value = builder.convert(None, root);
    let spans = builder.spans.finish();
    let value = if value.is_null() {
        Value::Object(Map::new())
    } else {
        value
    };
    diags.into_result(LocatedDoc {
        file: path.to_path_buf(),
        value,
        spans: OnceLock::from(spans),
        text,
    })
}

fn yaml_error(path: &Path, err: &serde_saphyr::Error) -> Diagnostic {
    let loc = err
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| Location::new(path, l.line() as usize, (l.column() as usize).max(1)));
    let mut inner = err;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = inner
    {
        inner = error;
    }
    let (message, hint) = match inner {
        serde_saphyr::Error::DuplicateMappingKey { key, .. } => (
            match key {
                Some(k) => format!("duplicate key `{}`", excerpt(k)),
                None => "duplicate key".to_owned(),
            },
            Some("each key may appear only once in a mapping; remove or merge the repeats"),
        ),
        serde_saphyr::Error::MultipleDocuments { .. } => (
            "a manifest holds one YAML document, but a `---` starts another".to_owned(),
            Some(
                "remove the `---` line, or put the second document in a file of its own in the same folder",
            ),
        ),
        serde_saphyr::Error::Budget { breach, .. } => (
            format!("YAML resource limit exceeded: {breach:?}"),
            Some(
                "the file has too many nodes, aliases or nesting levels; split it or avoid alias chains",
            ),
        ),
        other => {
            let text = other
                .render_with_options(serde_saphyr::render_options! {
                    snippets: serde_saphyr::SnippetMode::Off
                })
                .trim()
                .to_owned();
            (format!("invalid YAML: {}", strip_position(&text)), None)
        }
    };
    let d = Diagnostic::error(message).at(loc);
    match hint {
        Some(h) => d.with_hint(h),
        None => d,
    }
}

/// Drops a trailing " at line X, column Y" (we print the location ourselves).
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i)
            if message[i + 9..]
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == ' ' || "column".contains(c)) =>
        {
            message[..i].trim_end()
        }
        _ => message,
    }
}

/// Untyped YAML node whose children carry their own spans.
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::I64(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::U64(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or(Node::F64(v as f64), Node::I64))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(u64::try_from(v).map_or(Node::F64(v as f64), Node::U64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::F64(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Node>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

fn span_of<T>(s: &Spanned<T>) -> Option<(usize, usize)> {
    let l = s.referenced;
    (l.line() > 0).then(|| (l.line() as usize, (l.column() as usize).max(1)))
}

/// Turns the parsed nodes into a JSON value, recording where each value is.
struct Builder<'a> {
    file: &'a Path,
    /// The source, to see how a number was written.
    lines: Vec<&'a str>,
    spans: SpansBuilder,
    /// The JSON pointer of the value being converted (grown and cut back in place).
    pointer: String,
    diags: &'a mut Diagnostics,
}

impl<'a> Builder<'a> {
    fn loc(&self, span: Option<(usize, usize)>) -> Option<Location> {
        span.map(|(l, c)| Location::new(self.file, l, c))
    }

    /// The plain scalar written at `span`, if the source there is one (not an alias,
    /// anchor or tag).
    fn token(&self, span: Option<(usize, usize)>) -> Option<&'a str> {
        let (line, col) = span?;
        let text = *self.lines.get(line.checked_sub(1)?)?;
        let start = text
            .char_indices()
            .nth(col.checked_sub(1)?)
            .map(|(i, _)| i)?;
        let rest = &text[start..];
        let end = rest
            .find(|c: char| c.is_whitespace() || ",]}#".contains(c))
            .unwrap_or(rest.len());
        let token = &rest[..end];
        (!token.is_empty() && !token.starts_with(['*', '&', '!'])).then_some(token)
    }

    /// A number the API would not take as written stays the string it was written as, so
    /// that the schema refuses it in number fields (with its location) and string fields
    /// keep the text the author typed: `0x10`, `0o17`, `1_000` and `+5` (YAML reads them
    /// as 16, 15, 1000 and 5), and integers too large for 64 bits (YAML makes them floats).
    fn number(&self, span: Option<(usize, usize)>, value: Value) -> Value {
        let Some(token) = self.token(span) else {
            return value;
        };
        let plain_integer = |t: &str| {
            let digits = t.strip_prefix('-').unwrap_or(t);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        };
        let starts_like_a_number = token
            .strip_prefix(['-', '+'])
            .unwrap_or(token)
            .starts_with(|c: char| c.is_ascii_digit());
        match &value {
            Value::Number(n) if !n.is_f64() && starts_like_a_number && !plain_integer(token) => {
                Value::String(token.to_owned())
            }
            Value::Number(n)
                if n.is_f64() && token.strip_prefix('+').is_some_and(plain_integer) =>
            {
                Value::String(token.to_owned())
            }
            Value::Number(n) if n.is_f64() && plain_integer(token) => {
                Value::String(token.to_owned())
            }
            _ => value,
        }
    }

    /// Converts `node`, the value at `self.pointer` introduced by `key` (its name and
    /// position), and records where it and everything inside it are.
    fn convert(
        &mut self,
        key: Option<(&str, Option<(usize, usize)>)>,
        node: Spanned<Node>,
    ) -> Value {
        let span = span_of(&node);
        let handle = self.spans.open(span, key);
        let value = match node.value {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::I64(i) => self.number(span, Value::from(i)),
            Node::U64(u) => self.number(span, Value::from(u)),
            Node::F64(f) => match Number::from_f64(f) {
                Some(n) => self.number(span, Value::Number(n)),
                None => {
                    let d = Diagnostic::error(format!("`{f}` is not a finite number"))
                        .at(self.loc(span))
                        .with_pointer(self.pointer.clone())
                        .with_hint("quote it if you meant a string");
                    self.diags.push(d);
                    Value::Null
                }
            },
            Node::Str(s) => Value::String(s),
            Node::Seq(items) => self.seq(items),
            Node::Map(entries) => self.map(entries),
        };
        self.spans.close(handle);
        value
    }

    fn seq(&mut self, items: Vec<Spanned<Node>>) -> Value {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let len = self.pointer.len();
            let _ = write!(self.pointer, "/{i}");
            out.push(self.convert(None, item));
            self.pointer.truncate(len);
        }
        Value::Array(out)
    }

    fn map(&mut self, entries: Vec<(Spanned<Node>, Spanned<Node>)>) -> Value {
        let mut map = Map::with_capacity(entries.len());
        for (key, value) in entries {
            let key_span = span_of(&key);
            let name = match key.value {
                Node::Str(s) => s,
                other => {
                    let d = Diagnostic::error(format!(
                        "mapping keys must be strings, found {}",
                        describe(&other)
                    ))
                    .at(self.loc(key_span))
                    .with_pointer(self.pointer.clone())
                    .with_hint("quote the key");
                    self.diags.push(d);
                    continue;
                }
            };
            let len = self.pointer.len();
            self.pointer.push('/');
            pointer::escape_into(&mut self.pointer, &name);
            let v = self.convert(Some((&name, key_span)), value);
            self.pointer.truncate(len);
            map.insert(name, v);
        }
        Value::Object(map)
    }
}

fn describe(node: &Node) -> String {
    match node {
        Node::Null => "null".into(),
        Node::Bool(b) => format!("the boolean `{b}`"),
        Node::I64(i) => format!("the number `{i}`"),
        Node::U64(u) => format!("the number `{u}`"),
        Node::F64(f) => format!("the number `{f}`"),
        Node::Str(s) => format!("`{}`", excerpt(s)),
        Node::Seq(_) => "a sequence".into(),
        Node::Map(_) => "a mapping".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load(text: &str) -> Result<LocatedDoc, Diagnostics> {
        load_yaml(Path::new("t.yaml"), text)
    }

    fn err(text: &str) -> Diagnostic {
        let diags = load(text).expect_err("should fail");
        assert_eq!(diags.len(), 1, "{diags:?}");
        diags.0.into_iter().next().unwrap()
    }

    fn at(d: &Diagnostic) -> (usize, usize) {
        let l = d.location.as_ref().expect("located");
        assert_eq!(l.file, Path::new("t.yaml"));
        (l.line, l.col)
    }

    #[test]
    fn positions_found_later_are_the_ones_a_thorough_read_records() {
        let text =
            "users:\n  - email: a@example.com\n    skills:\n      S: 3\n    roles: [{role: R}]\n";
        let quick = load_yaml(Path::new("m.yaml"), text).unwrap();
        let thorough = load_yaml_thoroughly(Path::new("m.yaml"), text).unwrap();
        // Not recorded by the first read of a plain manifest.
        assert!(quick.spans.get().is_none());
        assert!(thorough.spans.get().is_some());
        assert_eq!(quick.spans().get("/users/0/roles/0/role"), Some((5, 20)));
        assert_eq!(quick.spans().key("/users/0/roles/0/role"), Some((5, 14)));
        assert_eq!(quick, thorough);
    }

    #[test]
    fn spans_of_nested_values_and_keys() {
        let text = "users:\n  - name: Ann\n    email: ann@x.io\n    skills: [a, \"b/c\"]\n  - name: Bob\nroot: {k: 1}\n";
        let doc = load(text).unwrap();
        assert_eq!(doc.value["users"][0]["email"], json!("ann@x.io"));
        assert_eq!(doc.spans().get("/users/0/email"), Some((3, 12)));
        assert_eq!(doc.spans().key("/users/0/email"), Some((3, 5)));
        assert_eq!(doc.spans().get("/users/0/skills/1"), Some((4, 17)));
        assert_eq!(doc.spans().get("/users/1/name"), Some((5, 11)));
        assert_eq!(doc.spans().get("/root/k"), Some((6, 11)));
        assert_eq!(doc.spans().key("/root"), Some((6, 1)));
        let loc = doc.locate("/users/0/email").unwrap();
        assert_eq!((loc.line, loc.col), (3, 12));
        // Nearest ancestor for pointers that do not exist.
        let loc = doc.locate("/users/1/nope/deeper").unwrap();
        assert_eq!(loc, doc.locate("/users/1").unwrap());
        let key = doc.locate_key("/users/0/skills").unwrap();
        assert_eq!((key.line, key.col), (4, 5));
    }

    #[test]
    fn keys_with_slash_and_tilde_are_escaped() {
        let doc = load("\"a/b\":\n  \"c~d\": 1\n").unwrap();
        assert_eq!(doc.value.pointer("/a~1b/c~0d"), Some(&json!(1)));
        assert_eq!(doc.spans().get("/a~1b/c~0d"), Some((2, 10)));
    }

    #[test]
    fn malformed_yaml_is_located() {
        let d = err("a:\n  b: 1\n c: 2\n");
        assert_eq!(at(&d), (3, 2));
        assert!(d.message.starts_with("invalid YAML: "), "{}", d.message);
        assert!(!d.message.contains("at line"), "{}", d.message);
        let d = err("a: [1, 2\n");
        assert!(d.location.is_some());
    }

    #[test]
    fn a_second_document_is_explained_without_library_names() {
        let d = err("a: 1\n---\nb: 2\n");
        assert!(d.message.contains("one YAML document"), "{}", d.message);
        assert!(!d.message.contains("from_str"), "{}", d.message);
        assert!(d.location.is_some());
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let d = err("users:\n  - name: a\n    name: b\n");
        assert_eq!(d.message, "duplicate key `name`");
        assert_eq!(at(&d), (3, 5));
    }

    #[test]
    fn yaml11_booleans_and_leading_zeros_stay_strings() {
        let doc = load("a: NO\nb: yes\nc: 0755\nd: true\ne: 12\nf: 1.5\ng: ~\nh: on\n").unwrap();
        assert_eq!(
            doc.value,
            json!({"a": "NO", "b": "yes", "c": "0755", "d": true, "e": 12, "f": 1.5, "g": null, "h": "on"})
        );
    }

    #[test]
    fn numbers_the_api_would_not_take_as_written_stay_strings() {
        let doc = load(
            "a: 0x10\nb: 0o17\nc: 1_000\nd: 99999999999999999999\ne: +5\nf: 1e3\ng: -7\nh: [0x1F, 2]\ni: 18446744073709551615\nj: 1.5\n",
        )
        .unwrap();
        assert_eq!(
            doc.value,
            json!({"a": "0x10", "b": "0o17", "c": "1_000", "d": "99999999999999999999", "e": "+5",
                   "f": 1000.0, "g": -7, "h": ["0x1F", 2], "i": 18446744073709551615u64, "j": 1.5})
        );
        assert_eq!(doc.spans().get("/h/0"), Some((8, 5)));
    }

    #[test]
    fn bom_does_not_shift_columns() {
        let doc = load("\u{feff}a: 1\nb: 2\n").unwrap();
        assert_eq!(doc.value, json!({"a": 1, "b": 2}));
        assert_eq!(doc.spans().get("/b"), Some((2, 4)));
        assert_eq!(doc.spans().key("/a"), Some((1, 1)));
    }

    #[test]
    fn empty_file_is_empty_mapping() {
        assert_eq!(load("").unwrap().value, json!({}));
        assert_eq!(load("# only a comment\n").unwrap().value, json!({}));
    }

    #[test]
    fn non_string_keys_are_reported_all_at_once() {
        let diags = load("1: x\nok: 2\n[a]: y\n").unwrap_err();
        assert_eq!(diags.len(), 2);
        assert_eq!(at(&diags.0[0]), (1, 1));
        assert_eq!(at(&diags.0[1]), (3, 1));
        assert!(diags.0[0].message.contains("must be strings"));
    }

    #[test]
    fn alias_bomb_hits_the_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            let list = [prev.as_str(); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{list}]\n"));
        }
        let d = err(&text);
        assert!(
            d.message.starts_with("YAML resource limit exceeded: "),
            "{}",
            d.message
        );
        assert!(d.hint.as_deref().unwrap().contains("alias"), "{d:?}");
    }

    #[test]
    fn aliases_resolve_and_point_at_use_site() {
        let doc = load("base: &b {x: 1}\nother: *b\n").unwrap();
        assert_eq!(doc.value["other"], json!({"x": 1}));
        assert_eq!(doc.spans().get("/other").unwrap().0, 2);
    }

    #[test]
    fn merged_keys_are_located_where_their_value_comes_from() {
        let doc = load("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 3\n").unwrap();
        assert_eq!(doc.value["other"]["x"], json!(3));
        assert_eq!(doc.value["other"]["y"], json!(2));
        assert_eq!(doc.spans().get("/other/x"), Some((4, 6)));
    }

    #[test]
    fn file_loading_checks_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.yaml");
        std::fs::write(&p, b"a: 1\nb: \xff\n").unwrap();
        let diags = load_file(&p).unwrap_err();
        let l = diags.0[0].location.as_ref().unwrap();
        assert_eq!((l.line, l.col), (2, 4));
        assert!(load_file(&dir.path().join("missing.yaml")).is_err());
        let d = load_file(dir.path()).unwrap_err();
        assert!(d.0[0].message.ends_with("is not a regular file"), "{d:?}");
    }
}
