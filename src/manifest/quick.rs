//! The quickest way to read a manifest: a scanner for the block-style subset that
//! manifests are written in, feeding the same [`Reader`] as the parser's events do.
//!
//! Owns [`read`]. It takes a document of block mappings and block sequences (compact
//! `- key: value` items and sequences at their key's indentation included) whose keys are
//! plain, whose values are plain or quoted scalars on one line, or flow collections
//! (`[a, b]`, `{k: v}`) closed on their line; `---` first, blank lines and comments
//! anywhere. On anything else — tabs, carriage returns, control characters, a BOM,
//! directives, anchors, tags, aliases, block scalars, multi-line scalars, escapes in
//! double quotes, quoted or complex keys, empty values, a second document — it gives up
//! (`None`), and the parser (`stream.rs`) reads the file. It gives up rather than guess:
//! whatever it reads, the parser reads alike, value and positions (the tests check).
//! Must not report problems itself.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use super::spans::Spans;
use super::stream::{Ev, Pos, Reader};

/// The deepest flow nesting taken here (the parser's limit is far above).
const MAX_FLOW_DEPTH: usize = 16;

/// Reads `text` with `reader`, or `None` when it is outside the subset.
pub(super) fn read(text: &str, reader: Reader) -> Option<(Value, Spans)> {
    if !printable(text) {
        return None;
    }
    let key_chars = reader.key_chars().min(1000);
    let mut scan = Scan {
        text,
        bytes: text.as_bytes(),
        line: 0,
        line_start: 0,
        line_end: 0,
        next_start: 0,
        pos: 0,
        indent: -1,
        key_chars,
        reader,
        root: None,
    };
    scan.next_line()?;
    if scan.rest().starts_with(b"---") && scan.indent == 0 {
        scan.pos += 3;
        scan.end_of_line()?;
    }
    if scan.indent != 0 {
        return None;
    }
    scan.block(0)?;
    // Everything was read: no second document, no text at a lesser indentation.
    if scan.indent >= 0 {
        return None;
    }
    let root = scan.root.take()?;
    Some((root, scan.reader.finish()))
}

/// Only the characters YAML allows, with `\n` as the only line break and no tab, `\r`
/// or byte order mark (all left to the parser).
fn printable(text: &str) -> bool {
    if text
        .bytes()
        .all(|b| b == b'\n' || (0x20..0x7f).contains(&b))
    {
        return true;
    }
    text.chars().all(|c| {
        matches!(c, '\n' | ' '..='~')
            || (c >= '\u{a0}'
                && !matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ))
    })
}

struct Scan<'t> {
    text: &'t str,
    bytes: &'t [u8],
    /// The current line (1-based), where it starts and ends (at its `\n` or the end).
    line: usize,
    line_start: usize,
    line_end: usize,
    /// Where the line after it starts.
    next_start: usize,
    /// The scanner's place on the current line.
    pos: usize,
    /// The current line's indentation; -1 past the last line.
    indent: isize,
    key_chars: usize,
    reader: Reader,
    root: Option<Value>,
}

impl<'t> Scan<'t> {
    /// The rest of the current line.
    fn rest(&self) -> &[u8] {
        &self.bytes[self.pos..self.line_end]
    }

    fn peek(&self) -> Option<u8> {
        self.rest().first().copied()
    }

    /// Moves to the next line with content (neither blank nor only a comment) and sets
    /// `indent`; past the end, `indent` is -1.
    fn next_line(&mut self) -> Option<()> {
        loop {
            if self.next_start >= self.bytes.len() {
                self.indent = -1;
                self.pos = self.bytes.len();
                self.line_start = self.pos;
                self.line_end = self.pos;
                return Some(());
            }
            self.line += 1;
            self.line_start = self.next_start;
            self.line_end = self.bytes[self.line_start..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(self.bytes.len(), |n| self.line_start + n);
            self.next_start = self.line_end + 1;
            let spaces = self.bytes[self.line_start..self.line_end]
                .iter()
                .take_while(|&&b| b == b' ')
                .count();
            self.pos = self.line_start + spaces;
            match self.peek() {
                None | Some(b'#') => continue,
                _ => {}
            }
            // Document markers and directives start a line; none is taken here.
            let line = &self.bytes[self.line_start..self.line_end];
            let marker = (line.starts_with(b"---") || line.starts_with(b"..."))
                && matches!(line.get(3), None | Some(b' '));
            if self.line > 1 && spaces == 0 && (marker || line[0] == b'%') {
                return None;
            }
            self.indent = isize::try_from(spaces).ok()?;
            return Some(());
        }
    }

    /// Skips spaces; true when a comment or the end of the line follows.
    fn at_line_end(&mut self) -> bool {
        self.skip_spaces();
        match self.peek() {
            None => true,
            // A comment follows a space.
            Some(b'#') => self.pos > self.line_start && self.bytes[self.pos - 1] == b' ',
            _ => false,
        }
    }

    /// The line must end here (or with a comment); then moves to the next line.
    fn end_of_line(&mut self) -> Option<()> {
        if !self.at_line_end() {
            return None;
        }
        self.next_line()
    }

    /// Where `at` is, as the parser counts it: 1-based line and column in characters.
    fn at(&self, at: usize) -> Pos {
        let before = &self.text[self.line_start..at];
        let col = if before.is_ascii() {
            before.len()
        } else {
            before.chars().count()
        };
        (self.line, col + 1)
    }

    fn emit(&mut self, ev: Ev<'_>, at: usize) -> Option<()> {
        let at = self.at(at);
        if let Some(root) = self.reader.event(ev, at)? {
            self.root = Some(root);
        }
        Some(())
    }

    /// Whether a block sequence entry (`-` then a space or the line's end) is here.
    fn at_dash(&self) -> bool {
        let rest = self.rest();
        rest.first() == Some(&b'-') && matches!(rest.get(1), None | Some(b' '))
    }

    /// The block node at the current place, whose first line is indented `indent`.
    fn block(&mut self, indent: usize) -> Option<()> {
        if self.at_dash() {
            self.sequence(indent, false)
        } else {
            self.mapping(indent)
        }
    }

    /// A block mapping whose keys are at column `indent` (0-based), the first one here.
    fn mapping(&mut self, indent: usize) -> Option<()> {
        self.emit(Ev::MapStart, self.pos)?;
        loop {
            self.entry(indent)?;
            match self.indent.cmp(&(indent as isize)) {
                Ordering::Equal => {}
                Ordering::Less => break,
                Ordering::Greater => return None,
            }
        }
        self.emit(Ev::End, self.pos)
    }

    /// One `key: value` entry of a mapping at `indent`; ends on the next content line.
    fn entry(&mut self, indent: usize) -> Option<()> {
        let start = self.pos;
        let end = self.key_end()?;
        let key = self.text[start..end].trim_end_matches(' ');
        if key.is_empty() || key.len() > self.key_chars {
            return None;
        }
        self.emit(Ev::Scalar(key, true), start)?;
        self.pos = end + 1;
        if self.at_line_end() {
            self.next_line()?;
            let here = indent as isize;
            if self.indent > here {
                let nested = usize::try_from(self.indent).ok()?;
                return self.block(nested);
            }
            if self.indent == here && self.at_dash() {
                return self.sequence(indent, true);
            }
            // An empty value (null): left to the parser.
            return None;
        }
        self.inline_value()?;
        self.end_of_line()
    }

    /// The end of the plain key starting here (the place of its `:`), or `None` when no
    /// plain key starts here.
    fn key_end(&self) -> Option<usize> {
        let rest = self.rest();
        if !plain_start(rest) {
            return None;
        }
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                b':' if matches!(rest.get(i + 1), None | Some(b' ')) => return Some(self.pos + i),
                b'#' if i > 0 && rest[i - 1] == b' ' => return None,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// A block sequence whose `-` are at column `indent`, the first one here.
    /// `indentless`: at the indentation of the key it is the value of, where the parser
    /// places the sequence at its first entry's content rather than at the `-`.
    fn sequence(&mut self, indent: usize, indentless: bool) -> Option<()> {
        let mut at = self.pos;
        if indentless {
            at += 1 + self.rest()[1..].iter().take_while(|&&b| b == b' ').count();
        }
        self.emit(Ev::SeqStart, at)?;
        loop {
            self.pos += 1;
            if self.at_line_end() {
                // An entry on the following lines, or empty: left to the parser.
                return None;
            }
            let column = self.pos - self.line_start;
            if self.at_dash() {
                return None;
            }
            if self.key_end().is_some() {
                self.mapping(column)?;
            } else {
                self.inline_value()?;
                self.end_of_line()?;
            }
            match self.indent.cmp(&(indent as isize)) {
                // A continuation of the entry: left to the parser.
                Ordering::Greater => return None,
                Ordering::Equal if self.at_dash() => {}
                // The enclosing mapping's next key (after a sequence at its key's
                // indentation), or the end of the sequence.
                Ordering::Equal | Ordering::Less => break,
            }
        }
        self.emit(Ev::End, self.pos)
    }

    /// A value on the rest of the line: a flow collection, a quoted or a plain scalar.
    fn inline_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'[' | b'{' => self.flow(0),
            b'"' | b'\'' => {
                let start = self.pos;
                let text = self.quoted()?;
                self.emit(Ev::Scalar(&text, false), start)?;
                // A quoted key: left to the parser.
                (self.peek() != Some(b':')).then_some(())
            }
            _ => {
                let rest = self.rest();
                if !plain_start(rest) {
                    return None;
                }
                let mut end = rest.len();
                for i in 1..rest.len() {
                    match rest[i] {
                        // A key where a value must be.
                        b':' if matches!(rest.get(i + 1), None | Some(b' ')) => return None,
                        b'#' if rest[i - 1] == b' ' => {
                            end = i;
                            break;
                        }
                        _ => {}
                    }
                }
                let start = self.pos;
                let text = self.text[start..start + end].trim_end_matches(' ');
                self.pos = start + end;
                self.emit(Ev::Scalar(text, true), start)
            }
        }
    }

    /// A quoted scalar here, closed on this line: its text. A double-quoted one with an
    /// escape is left to the parser.
    fn quoted(&mut self) -> Option<Cow<'t, str>> {
        let all: &'t str = self.text;
        let quote = self.peek()?;
        let start = self.pos + 1;
        let rest = &self.bytes[start..self.line_end];
        if quote == b'"' {
            let len = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
            if rest[len] == b'\\' {
                return None;
            }
            self.pos = start + len + 1;
            return Some(Cow::Borrowed(&all[start..start + len]));
        }
        let mut i = 0;
        let mut doubled = false;
        loop {
            let at = i + rest[i..].iter().position(|&b| b == b'\'')?;
            if rest.get(at + 1) == Some(&b'\'') {
                doubled = true;
                i = at + 2;
                continue;
            }
            self.pos = start + at + 1;
            let text = &all[start..start + at];
            return Some(if doubled {
                Cow::Owned(text.replace("''", "'"))
            } else {
                Cow::Borrowed(text)
            });
        }
    }

    /// A flow collection starting here and closed on this line.
    fn flow(&mut self, depth: usize) -> Option<()> {
        if depth >= MAX_FLOW_DEPTH {
            return None;
        }
        let open = self.peek()?;
        let map = open == b'{';
        self.emit(if map { Ev::MapStart } else { Ev::SeqStart }, self.pos)?;
        self.pos += 1;
        let close = if map { b'}' } else { b']' };
        loop {
            self.skip_spaces();
            if self.peek()? == close {
                break;
            }
            if map {
                let start = self.pos;
                let text = self.flow_plain()?;
                self.emit(Ev::Scalar(text, true), start)?;
                if self.peek()? != b':' || self.rest().get(1) != Some(&b' ') {
                    return None;
                }
                self.pos += 1;
                self.skip_spaces();
            }
            self.flow_node(depth)?;
            self.skip_spaces();
            match self.peek()? {
                b',' => self.pos += 1,
                b if b == close => break,
                _ => return None,
            }
        }
        let end = self.pos;
        self.pos += 1;
        self.emit(Ev::End, end)
    }

    /// A value inside a flow collection.
    fn flow_node(&mut self, depth: usize) -> Option<()> {
        let start = self.pos;
        match self.peek()? {
            b'[' | b'{' => self.flow(depth + 1),
            b'"' | b'\'' => {
                let text = self.quoted()?;
                self.emit(Ev::Scalar(&text, false), start)?;
                // A quoted key (a pair in a sequence, or a mapping key): left to the parser.
                (self.peek() != Some(b':')).then_some(())
            }
            _ => {
                let text = self.flow_plain()?;
                self.emit(Ev::Scalar(text, true), start)
            }
        }
    }

    /// A plain scalar inside a flow collection, up to a `,`, a closing bracket or a `:`.
    /// One holding a `:`, an opening bracket or a comment is left to the parser.
    fn flow_plain(&mut self) -> Option<&'t str> {
        let all: &'t str = self.text;
        let rest = self.rest();
        if !plain_start(rest) {
            return None;
        }
        let mut end = rest.len();
        for (i, &b) in rest.iter().enumerate() {
            match b {
                b',' | b']' | b'}' | b':' => {
                    end = i;
                    break;
                }
                b'[' | b'{' => return None,
                b'#' if i > 0 && rest[i - 1] == b' ' => return None,
                _ => {}
            }
        }
        if end == rest.len() {
            // Not closed on this line.
            return None;
        }
        let start = self.pos;
        self.pos = start + end;
        let text = all[start..start + end].trim_end_matches(' ');
        (!text.is_empty()).then_some(text)
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }
}

/// Whether a plain scalar may start `rest`: not with an indicator (a `-` followed by
/// something other than a space is taken: `-12`, `-x`).
fn plain_start(rest: &[u8]) -> bool {
    match rest.first() {
        None => false,
        Some(b'-') => !matches!(rest.get(1), None | Some(b' ')),
        Some(b) => !b"?:,[]{}#&*!|>'\"%@`".contains(b),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::manifest::stream::reader;
    use crate::manifest::stream::tests::{agrees, config};
    use crate::manifest::yaml::yaml_options;

    /// Whether the scanner reads `text`; when it does, the thorough reader must read the
    /// same value and positions.
    fn same_as_thorough(text: &str) -> Result<bool, String> {
        agrees(text, |t| read(t, reader(&yaml_options(), true)))
    }

    fn taken(text: &str) -> bool {
        same_as_thorough(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn manifests_as_written_are_read_here_and_agree() {
        for text in [
            "users:\n  - email: a@example.com\n    name: A B\n    phones:\n      - number: \"+12025550100\"\n        type: work\n    skills:\n      Skill 1: 3\n    roles:\n      - {role: R, division: D}\n",
            "---\n# comment\na: 1 # trailing\n\nb:\n- x\n- 'it''s'\n-   \"y # not a comment\"\nc: [x, 'y', \"z\", [1, 0.5], {}, {k: v, l: [a]}, ]\n",
            "a:\n  b:\n    c: -12\n    d: 18446744073709551615\n  e: True\nf: ~\ng: null\n",
            "url: http://example.com/a:b\nname: a, b [c] {d}\nx: é ü #c\n\u{e9}t\u{e9}: ok\n",
            "items:\n  -   k: v\n      l: w\n  - m\n",
            "a:   \n    - b\n    - c\n  # indented comment\nd: e\n",
        ] {
            assert!(taken(text), "{text}");
        }
        for seeds in [
            "seeds/bootstrap.yaml",
            "seeds/access_and_hours.yaml",
            "examples/integrations.yaml",
            "examples/routing.yaml",
        ] {
            if let Ok(text) = std::fs::read_to_string(seeds) {
                same_as_thorough(&text).unwrap_or_else(|e| panic!("{seeds}: {e}"));
            }
        }
    }

    #[test]
    fn everything_else_is_left_to_the_parser() {
        for text in [
            "",
            "# only a comment\n",
            "\u{feff}a: 1\n",
            "a: 1\r\nb: 2\r\n",
            "a:\t1\n",
            "a: 1\n---\nb: 2\n",
            "a: 1\n...\n",
            "%YAML 1.2\n---\na: 1\n",
            "- a\n",
            "  a: 1\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: >\n  text\n",
            "a: plain\n  continued\n",
            "a: plain\n\n  continued\n",
            "a: \"two\n  lines\"\n",
            "a: \"esc\\n\"\n",
            "\"a\": 1\n",
            "a:\n  'b': 1\n",
            "? a\n: 1\n",
            "a:\nb: 1\n",
            "a:\n  -\n  - b\n",
            "a:\n  - - b\n",
            "a: b: c\n",
            "a: [1, 2\n",
            "a: [x: y]\n",
            "a: {x}\n",
            "a: {x:y}\n",
            "a: [http://x]\n",
            "a: [x, , y]\n",
            "a: 1\n b: 2\n",
            "a:\n    b: 1\n  c: 2\n",
            "a:\n  - b\n   - c\n",
            "a: 1\na: 2\n",
            "1: x\n",
            "a: 0x10\n",
            "a: -\n",
            "a: @x\n",
            "a: `x`\n",
            "a: x\u{85}y\n",
        ] {
            assert!(
                read(text, reader(&yaml_options(), true)).is_none(),
                "taken here: {text:?}"
            );
        }
    }

    /// Text a manifest author might write where a value goes (on one line).
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => "[a-zA-Z][a-zA-Z0-9 _@.,:/-]{0,10}",
            3 => "-?[0-9]{1,21}(\\.[0-9]{1,3})?",
            1 => "[a-z]{1,3} #[ a-z#:]{0,4}",
            1 => "\"[a-z #:'{}\\[\\],é-]{0,6}\"",
            1 => "'[a-z #:\"{}\\[\\],-]{0,3}('')?[a-z]{0,2}'",
            1 => "\\[[a-z0-9, ]{0,8}\\]",
            1 => "\\{([a-z]{1,2}: [a-z0-9]{1,2}, ){0,2}\\}",
            1 => Just("~".to_owned()),
            1 => Just("null".to_owned()),
            1 => Just("TRUE".to_owned()),
            1 => Just("no".to_owned()),
            1 => Just("- x".to_owned()),
            1 => Just("&a x".to_owned()),
            1 => Just("é ü".to_owned()),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            20 => "[a-z]{1,3}",
            2 => "[A-Z][a-z]{0,3} [a-z0-9]{1,2}",
            1 => Just("\"q\"".to_owned()),
            1 => Just("1".to_owned()),
            1 => Just("a:b".to_owned()),
        ]
    }

    #[derive(Debug, Clone)]
    enum Tree {
        Value(String),
        Seq(Vec<Tree>),
        Map(Vec<(String, Tree)>),
    }

    fn tree() -> impl Strategy<Value = Tree> {
        value()
            .prop_map(Tree::Value)
            .prop_recursive(4, 24, 4, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 1..4).prop_map(Tree::Seq),
                    proptest::collection::vec((key(), inner), 1..4).prop_map(Tree::Map),
                ]
            })
    }

    /// Layout choices: extra indentation, sequences at their key's indentation, comments
    /// and blank lines between entries.
    #[derive(Debug, Clone, Copy)]
    struct Style {
        step: usize,
        indentless: bool,
        comments: bool,
    }

    /// `tree` as the value after a key or a `- ` whose line is indented `indent`.
    fn render(tree: &Tree, indent: usize, style: Style, out: &mut String) {
        match tree {
            Tree::Value(v) => {
                out.push(' ');
                out.push_str(v);
                out.push('\n');
            }
            Tree::Seq(items) => {
                out.push('\n');
                let inner = if style.indentless {
                    indent
                } else {
                    indent + style.step
                };
                for item in items {
                    if style.comments {
                        out.push_str(&" ".repeat(inner + 1));
                        out.push_str("# note\n\n");
                    }
                    out.push_str(&" ".repeat(inner));
                    out.push('-');
                    match item {
                        Tree::Map(entries) => {
                            // The compact form: the first key on the dash's line.
                            for (n, (k, v)) in entries.iter().enumerate() {
                                if n > 0 {
                                    out.push_str(&" ".repeat(inner + 2));
                                } else {
                                    out.push(' ');
                                }
                                out.push_str(k);
                                out.push(':');
                                render(v, inner + 2, style, out);
                            }
                        }
                        _ => render(item, inner, style, out),
                    }
                }
            }
            Tree::Map(entries) => {
                out.push('\n');
                let inner = indent + style.step;
                for (k, v) in entries {
                    out.push_str(&" ".repeat(inner));
                    out.push_str(k);
                    out.push(':');
                    render(v, inner, style, out);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// Whatever the scanner reads, the thorough reader reads alike.
        #[test]
        fn agrees_with_the_thorough_reader(
            entries in proptest::collection::vec((key(), tree()), 1..5),
            step in 1..4usize,
            indentless in any::<bool>(),
            comments in any::<bool>(),
        ) {
            let style = Style { step, indentless, comments };
            let mut text = String::new();
            for (k, v) in &entries {
                text.push_str(k);
                text.push(':');
                render(v, 0, style, &mut text);
            }
            same_as_thorough(&text).map_err(TestCaseError::fail)?;
        }
    }
}
