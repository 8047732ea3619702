//! The fast way to read a manifest: the JSON value and its [`Spans`] built in one pass
//! by a [`Reader`] of node events, with no intermediate tree. The events come from the
//! quick scanner (`quick.rs`) when the file keeps to its block-style subset, else from
//! the YAML parser's event stream.
//!
//! Owns [`read`]. It covers the plain manifest — one document whose root is a mapping,
//! string keys, strings, `null`, `true`/`false` and numbers written as plain decimal
//! digits with at most a fraction — and gives up (returns `None`) on anything else: a syntax error, a tag, an
//! anchor or alias, a merge key, a key that is not a string, a repeated key, any other
//! number spelling, a second document, or a document near a resource limit. The caller
//! then reads the file the thorough way (`yaml.rs`), which produces the same value and
//! positions for what this module covers and owns every diagnostic. Must not report
//! problems itself.

use granit_parser::{Event, Parser, ScalarStyle, Span, StrInput};
use serde_json::{Map, Value};

use super::spans::{Spans, SpansBuilder};

/// A (line, col) as the thorough reader records it.
pub(super) type Pos = (usize, usize);

/// Stop (and leave the file to the thorough reader) well before its resource limits, so
/// that a file this module accepts is never one the limits would refuse.
const MARGIN: usize = 16;

/// One collection being filled.
struct Frame {
    /// The value's record in the positions.
    handle: usize,
    /// What the collection holds so far.
    body: Body,
    /// The mapping key introducing this collection (none for the root and items).
    key: Option<String>,
}

/// Where a collection's members wait until it ends, on the reader's shared stacks
/// ([`Reader::items`], [`Reader::entries`]): everything from `start` on is the innermost
/// open collection's, as collections end in the reverse order they start. Each is then
/// built at its exact size, in one allocation, and a large manifest held in memory
/// carries no spare room in its maps and lists.
enum Body {
    /// A sequence, its items from `start` in `items`.
    Seq { start: usize },
    /// A mapping, its entries from `start` in `entries`, and, once its key has been
    /// read, the key of the entry being read.
    Map {
        start: usize,
        key: Option<(String, Pos)>,
    },
}

/// The resource limits of `options`, counted as the thorough reader counts them.
#[derive(Clone, Copy)]
struct Limits {
    events: usize,
    nodes: usize,
    depth: usize,
    scalar_bytes: usize,
    /// How far the parser looks for the `:` of an implicit key.
    key_chars: usize,
}

/// One node event of a plain manifest, as [`Reader`] takes it.
pub(super) enum Ev<'t> {
    /// A scalar: its text (unescaped) and whether it was written plain (unquoted).
    Scalar(&'t str, bool),
    /// A mapping starts.
    MapStart,
    /// A sequence starts.
    SeqStart,
    /// The innermost mapping or sequence ends.
    End,
}

/// Reads `text` as a plain manifest, or `None` when it is not one (see the module docs):
/// with the quick scanner (`quick.rs`) when the file keeps to its subset, else from the
/// parser's events.
/// `spans`: whether to record positions (empty ones otherwise).
pub(crate) fn read(
    text: &str,
    options: &serde_saphyr::Options,
    spans: bool,
) -> Option<(Value, Spans)> {
    if let Some(read) = super::quick::read(text, reader(options, spans)) {
        return Some(read);
    }
    read_events(text, options, spans)
}

/// A reader within the resource limits of `options`, recording positions when `spans`.
pub(super) fn reader(options: &serde_saphyr::Options, spans: bool) -> Reader {
    let budget = options.budget.clone().unwrap_or_default();
    let limits = Limits {
        events: budget.max_events.saturating_sub(MARGIN),
        nodes: budget.max_nodes.saturating_sub(MARGIN),
        depth: budget.max_depth.saturating_sub(MARGIN).max(1),
        scalar_bytes: budget.max_total_scalar_bytes.saturating_sub(MARGIN),
        key_chars: budget.simple_key_max_lookahead.saturating_sub(MARGIN),
    };
    let mut reader = Reader::new(limits);
    if !spans {
        reader.spans = SpansBuilder::off();
    }
    reader
}

/// [`read`] from the parser's events.
fn read_events(text: &str, options: &serde_saphyr::Options, spans: bool) -> Option<(Value, Spans)> {
    let budget = options.budget.clone().unwrap_or_default();
    let mut parser_options = granit_parser::Options::default();
    parser_options.strict_indentation = options.strict_indentation;
    parser_options.bom_inside_document_as_content = options.bom_inside_document_as_content;
    parser_options.simple_key_max_lookahead = budget.simple_key_max_lookahead;
    parser_options.flow_nesting_limit = budget.flow_nesting_limit;
    parser_options.block_nesting_limit = parser_options
        .block_nesting_limit
        .max(budget.max_depth.saturating_add(1));
    parser_options.emit_comments = false;
    let mut events = Parser::with_options(StrInput::new(text), parser_options);
    let mut next = || events.next()?.ok();
    if !matches!(next()?.0, Event::StreamStart) {
        return None;
    }
    if !matches!(next()?.0, Event::DocumentStart(_, None)) {
        return None;
    }
    let mut reader = reader(options, spans);
    let root = loop {
        let (event, span) = next()?;
        let ev = match &event {
            Event::Scalar(text, style, 0, None) => Ev::Scalar(text, *style == ScalarStyle::Plain),
            Event::MappingStart(_, 0, None) => Ev::MapStart,
            Event::SequenceStart(_, 0, None) => Ev::SeqStart,
            Event::MappingEnd | Event::SequenceEnd => Ev::End,
            _ => return None,
        };
        if let Some(root) = reader.event(ev, position(&span))? {
            break root;
        }
    };
    let ends = [next()?.0, next()?.0];
    if !matches!(ends, [Event::DocumentEnd, Event::StreamEnd]) || next().is_some() {
        return None;
    }
    Some((root, reader.finish()))
}

/// Builds the value and its positions from node events, within the resource limits.
pub(super) struct Reader {
    spans: SpansBuilder,
    stack: Vec<Frame>,
    /// The items of the open sequences, innermost last (see [`Body`]).
    items: Vec<Value>,
    /// The entries of the open mappings, innermost last.
    entries: Vec<(String, Value)>,
    limits: Limits,
    events: usize,
    nodes: usize,
    scalar_bytes: usize,
}

impl Reader {
    fn new(limits: Limits) -> Reader {
        Reader {
            spans: SpansBuilder::default(),
            stack: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            limits,
            // The stream and document starts.
            events: 2,
            nodes: 0,
            scalar_bytes: 0,
        }
    }

    /// The longest implicit key, in characters, that the parser would look through.
    pub(super) fn key_chars(&self) -> usize {
        self.limits.key_chars
    }

    /// The positions of the finished document.
    pub(super) fn finish(self) -> Spans {
        self.spans.finish()
    }

    /// Takes one event starting at `at`: `Some(Some(root))` when it ends the root
    /// mapping, `None` when the document is not a plain manifest.
    pub(super) fn event(&mut self, ev: Ev<'_>, at: Pos) -> Option<Option<Value>> {
        self.events += 1;
        if self.events > self.limits.events {
            return None;
        }
        match ev {
            Ev::Scalar(text, plain) => self.scalar(text, plain, at),
            Ev::MapStart => {
                let start = self.entries.len();
                self.start(at, Body::Map { start, key: None })
            }
            // The root must be a mapping.
            Ev::SeqStart if self.stack.is_empty() => None,
            Ev::SeqStart => {
                let start = self.items.len();
                self.start(at, Body::Seq { start })
            }
            Ev::End => self.end(),
        }
    }

    /// Counts a node against the limits.
    fn node(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= self.limits.nodes).then_some(())
    }

    /// The key introducing the next value: taken from the mapping being filled (where it
    /// must have been read), none in a sequence.
    fn take_key(&mut self) -> Option<Option<(String, Pos)>> {
        match self.stack.last_mut().map(|f| &mut f.body) {
            Some(Body::Map { key, .. }) => Some(Some(key.take()?)),
            Some(Body::Seq { .. }) => Some(None),
            None => Some(None),
        }
    }

    /// Whether the next scalar is a mapping key.
    fn expects_key(&self) -> bool {
        matches!(
            self.stack.last().map(|f| &f.body),
            Some(Body::Map { key: None, .. })
        )
    }

    fn scalar(&mut self, text: &str, plain: bool, at: Pos) -> Option<Option<Value>> {
        self.node()?;
        self.scalar_bytes += text.len();
        if self.scalar_bytes > self.limits.scalar_bytes || self.stack.is_empty() {
            return None;
        }
        let value = resolve(text, plain)?;
        if self.expects_key() {
            let Value::String(name) = value else {
                return None;
            };
            if name == "<<" {
                return None;
            }
            if let Some(Frame {
                body: Body::Map { key, .. },
                ..
            }) = self.stack.last_mut()
            {
                *key = Some((name, at));
            }
            return Some(None);
        }
        let key = self.take_key()?;
        let handle = self
            .spans
            .open(Some(at), key.as_ref().map(|(k, p)| (k.as_str(), Some(*p))));
        self.spans.close(handle);
        self.attach(key.map(|(k, _)| k), value)?;
        Some(None)
    }

    fn start(&mut self, at: Pos, body: Body) -> Option<Option<Value>> {
        self.node()?;
        if self.expects_key() || self.stack.len() >= self.limits.depth {
            return None;
        }
        let key = self.take_key()?;
        let handle = self
            .spans
            .open(Some(at), key.as_ref().map(|(k, p)| (k.as_str(), Some(*p))));
        self.stack.push(Frame {
            handle,
            body,
            key: key.map(|(k, _)| k),
        });
        Some(None)
    }

    /// Ends the innermost collection; the root when it is the last one.
    fn end(&mut self) -> Option<Option<Value>> {
        let frame = self.stack.pop()?;
        self.spans.close(frame.handle);
        let value = match frame.body {
            Body::Seq { start } => Value::Array(self.items.drain(start..).collect()),
            Body::Map { start, key: None } => {
                let mut map = Map::with_capacity(self.entries.len() - start);
                for (key, value) in self.entries.drain(start..) {
                    // A repeated key: left to the thorough reader.
                    if map.insert(key, value).is_some() {
                        return None;
                    }
                }
                Value::Object(map)
            }
            Body::Map { key: Some(_), .. } => return None,
        };
        if self.stack.is_empty() {
            return Some(Some(value));
        }
        self.attach(frame.key, value)?;
        Some(None)
    }

    /// Adds a finished value to the collection being filled.
    fn attach(&mut self, key: Option<String>, value: Value) -> Option<()> {
        match (&self.stack.last()?.body, key) {
            (Body::Seq { .. }, None) => self.items.push(value),
            (Body::Map { .. }, Some(key)) => self.entries.push((key, value)),
            _ => return None,
        }
        Some(())
    }
}

/// Where an event starts, as the thorough reader counts it (1-based line and column).
fn position(span: &Span) -> Pos {
    (span.start.line(), span.start.col() + 1)
}

/// The value of a scalar as the thorough reader resolves it, or `None` for a spelling this
/// module leaves to it (every number other than plain decimal digits with at most a
/// fraction: `1e3`, `0x10`, `+5`, `007`, `1.`, `.inf`, …).
fn resolve(text: &str, plain: bool) -> Option<Value> {
    if !plain {
        return Some(Value::String(text.to_owned()));
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return Some(Value::String(text.to_owned()));
    }
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (whole.starts_with('0') && whole != "0") {
        return None;
    }
    match fraction {
        // `0.8`: a float, as YAML reads it.
        Some(fraction) if digits(fraction) => {
            serde_json::Number::from_f64(text.parse().ok()?).map(Value::Number)
        }
        Some(_) => None,
        None if text == "-0" => None,
        None if text.starts_with('-') => text.parse::<i64>().ok().map(Value::from),
        None => text.parse::<u64>().ok().map(Value::from),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::manifest::yaml::{parse_thoroughly, yaml_options};

    /// What `read` makes of `text`, checked against the thorough reader: whenever it
    /// reads a file, the thorough reader reads the same value and positions.
    pub(in crate::manifest) fn agrees(
        text: &str,
        read: impl FnOnce(&str) -> Option<(Value, Spans)>,
    ) -> Result<bool, String> {
        let Some((value, spans)) = read(text) else {
            return Ok(false);
        };
        let doc = parse_thoroughly(Path::new("m.yaml"), Arc::from(text), yaml_options())
            .map_err(|d| format!("read here, refused there: {d}\n{text}"))?;
        if doc.value != value {
            return Err(format!("{text}\nhere {value}\nthere {}", doc.value));
        }
        if doc.spans() != &spans {
            return Err(format!("{text}\nhere {spans:?}\nthere {:?}", doc.spans()));
        }
        Ok(true)
    }

    fn same_as_thorough(text: &str) -> Result<bool, String> {
        agrees(text, |t| read(t, &yaml_options(), true))
    }

    fn taken(text: &str) -> bool {
        same_as_thorough(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn plain_manifests_are_read_here_and_agree() {
        for text in [
            "users:\n  - email: a@example.com\n    name: A B\n    phones:\n      - number: \"+12025550100\"\n        type: work\n    skills:\n      Skill 1: 3\n    roles:\n      - {role: R, division: D}\n",
            "\u{feff}a: 1\nb: [x, 'y', \"z\\n\"]\n",
            "---\na: ~\nb:\nc: null\nd: True\ne: -12\nf: 18446744073709551615\ng: [0.8, -1.0, 0.25]\n",
            "a: |\n  text\n  more\nb: >\n  folded\n  line\n# comment\nc: plain\n  continued\n",
            "\"a/b\":\n  \"c~d\": {}\n  e: []\n",
            "a: 1\n...\n",
            "? a\n: 1\n",
        ] {
            assert!(taken(text), "{text}");
        }
        for seeds in ["seeds/bootstrap.yaml", "seeds/access_and_hours.yaml"] {
            let text = std::fs::read_to_string(seeds).unwrap();
            assert!(taken(&text), "{seeds}");
        }
    }

    #[test]
    fn everything_else_is_left_to_the_thorough_reader() {
        for text in [
            "",
            "# only a comment\n",
            "a: 1\n---\nb: 2\n",
            "- a\n",
            "scalar\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "base: &b {x: 1}\nother:\n  <<: *b\n",
            "a: 1\na: 2\n",
            "1: x\n",
            "? [a]\n: x\n",
            "a: 0x10\n",
            "a: 1e3\n",
            "a: 1.\n",
            "a: +5\n",
            "a: 007\n",
            "a: -0\n",
            "a: .inf\n",
            "a: 99999999999999999999\n",
            "a: [1, 2\n",
            "%YAML 1.2\n---\na: 1\n",
        ] {
            assert!(read(text, &yaml_options(), true).is_none(), "{text:?}");
        }
    }

    /// A scalar as a manifest author might write it.
    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => "[a-zA-Z][a-zA-Z0-9 _@.-]{0,10}",
            4 => "-?[0-9]{1,21}(\\.[0-9]{1,3})?",
            1 => "(0x|0o|\\+|-|\\.)?[0-9_]{1,5}(e[0-9]|\\.[0-9])?",
            1 => Just("~".to_owned()),
            1 => Just(String::new()),
            1 => Just("null".to_owned()),
            1 => Just("TRUE".to_owned()),
            1 => Just("no".to_owned()),
            1 => Just("-".to_owned()),
            1 => Just(".inf".to_owned()),
            1 => Just("\"quoted \\u00e9\"".to_owned()),
            1 => Just("'it''s'".to_owned()),
            1 => Just("'0755'".to_owned()),
            1 => Just("a # comment".to_owned()),
            1 => Just("é ü".to_owned()),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            24 => "[a-z]{1,3}",
            1 => Just("\"a/b~c\"".to_owned()),
            1 => Just("'k'".to_owned()),
            1 => Just("<<".to_owned()),
            1 => Just("1".to_owned()),
            1 => Just("~".to_owned()),
        ]
    }

    #[derive(Debug, Clone)]
    enum Tree {
        Scalar(String),
        Seq(Vec<Tree>),
        Map(Vec<(String, Tree)>),
    }

    fn tree() -> impl Strategy<Value = Tree> {
        scalar()
            .prop_map(Tree::Scalar)
            .prop_recursive(4, 24, 4, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..4).prop_map(Tree::Seq),
                    proptest::collection::vec((key(), inner), 0..4).prop_map(Tree::Map),
                ]
            })
    }

    /// `tree` in block style at `indent`, nested collections in flow style when `flow`.
    fn render(tree: &Tree, indent: usize, flow: bool, out: &mut String) {
        let pad = " ".repeat(indent);
        match tree {
            Tree::Scalar(s) => {
                out.push(' ');
                out.push_str(s);
                out.push('\n');
            }
            Tree::Seq(items) if flow || items.is_empty() => {
                out.push_str(" [");
                for item in items {
                    match item {
                        Tree::Scalar(s) => out.push_str(s.split(" #").next().unwrap_or("")),
                        _ => out.push_str("[]"),
                    }
                    out.push_str(", ");
                }
                out.push_str("]\n");
            }
            Tree::Map(entries) if flow || entries.is_empty() => {
                out.push_str(" {");
                for (k, v) in entries {
                    out.push_str(k);
                    out.push_str(": ");
                    match v {
                        Tree::Scalar(s) => out.push_str(s.split(" #").next().unwrap_or("")),
                        _ => out.push_str("{}"),
                    }
                    out.push_str(", ");
                }
                out.push_str("}\n");
            }
            Tree::Seq(items) => {
                out.push('\n');
                for item in items {
                    out.push_str(&pad);
                    out.push('-');
                    render(item, indent + 2, false, out);
                }
            }
            Tree::Map(entries) => {
                out.push('\n');
                for (k, v) in entries {
                    out.push_str(&pad);
                    out.push_str(k);
                    out.push(':');
                    render(v, indent + 2, false, out);
                }
            }
        }
    }

    /// 256 cases in CI; `PROPTEST_CASES=20000` for a longer hunt.
    pub(in crate::manifest) fn config() -> ProptestConfig {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256);
        ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// Whatever this module reads, the thorough reader reads alike.
        #[test]
        fn agrees_with_the_thorough_reader(
            entries in proptest::collection::vec((key(), tree(), any::<bool>()), 1..6),
            header in any::<bool>(),
        ) {
            let mut text = String::from(if header { "---\n" } else { "" });
            for (k, v, flow) in &entries {
                text.push_str(k);
                text.push(':');
                render(v, 2, *flow, &mut text);
            }
            // About two cases in five are plain manifests this module reads.
            same_as_thorough(&text).map_err(TestCaseError::fail)?;
        }
    }
}
