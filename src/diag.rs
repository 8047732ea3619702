//! Diagnostics: what went wrong in the user's input, where, and how to fix it.
//!
//! Owns [`Diagnostic`], [`Diagnostics`] (an accumulator, so the user sees every problem at
//! once), [`SourceCache`] and the plain-text [`render`]er. Pure apart from the cache reading
//! source files on demand. Must not know about kinds, HTTP, manifests' meaning or colour.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The input is wrong; nothing is done.
    Error,
    /// Worth knowing; does not stop the command.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A position in a source file; `line` and `col` are 1-based (col counts characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
}

impl Location {
    /// A location.
    pub fn new(file: impl Into<PathBuf>, line: usize, col: usize) -> Self {
        Location {
            file: file.into(),
            line,
            col,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// One problem found in the user's input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where, when known.
    pub location: Option<Location>,
    /// JSON pointer of the offending value within its document, when known.
    pub pointer: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            location: None,
            pointer: None,
            message: message.into(),
            hint: None,
        }
    }

    /// A warning.
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    /// Set the location.
    pub fn at(mut self, location: impl Into<Option<Location>>) -> Self {
        self.location = location.into();
        self
    }

    /// Set the JSON pointer of the value.
    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// Set the hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    fn sort_key(&self) -> impl Ord + '_ {
        (
            self.location.is_none(),
            self.location.as_ref().map(|l| (&l.file, l.line, l.col)),
            self.severity,
            &self.message,
            &self.pointer,
            &self.hint,
        )
    }
}

/// An ordered collection of diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// None yet.
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    /// Add one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Add several.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether any is an error.
    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// How many errors.
    pub fn error_count(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// How many warnings.
    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    /// Each, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Sorts by (file, line, col) — unlocated problems last — and drops exact duplicates.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.0.dedup();
    }

    /// `Ok(value)` when there is no error (warnings are dropped), else `Err(self)`.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(value)
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(v: Vec<Diagnostic>) -> Self {
        Diagnostics(v)
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Diagnostics(iter.into_iter().collect())
    }
}

/// Renders without source lines (no file access).
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(self, &SourceCache::empty()))
    }
}

impl std::error::Error for Diagnostics {}

/// File contents by path, read at most once. Files that cannot be read are remembered as such.
#[derive(Debug, Default)]
pub struct SourceCache {
    files: Mutex<HashMap<PathBuf, Option<Source>>>,
    read_disk: bool,
}

/// One cached file.
#[derive(Debug)]
struct Source {
    text: Arc<str>,
    /// Where each line starts (byte offsets after a byte-order mark), found on the first
    /// line asked for, so that showing many lines of a big file reads it once.
    line_starts: OnceLock<Vec<usize>>,
}

impl Source {
    fn new(text: Arc<str>) -> Self {
        Source {
            text,
            line_starts: OnceLock::new(),
        }
    }

    /// The 1-based `line`, without its line terminator.
    fn line(&self, line: usize) -> Option<String> {
        let text = self.text.strip_prefix('\u{feff}').unwrap_or(&self.text);
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let start = *starts.get(line.checked_sub(1)?)?;
        // Like `str::lines`, a line break at the very end starts no line.
        if start >= text.len() {
            return None;
        }
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        Some(text[start..end].trim_end_matches('\r').to_owned())
    }
}

impl SourceCache {
    /// A cache that reads files from disk on first use.
    pub fn new() -> Self {
        SourceCache {
            files: Mutex::default(),
            read_disk: true,
        }
    }

    /// A cache that never touches the disk; only [`SourceCache::insert`]ed texts are shown.
    pub fn empty() -> Self {
        SourceCache::default()
    }

    /// Registers text already in memory (saves a second read and works for virtual files).
    pub fn insert(&self, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) {
        self.lock()
            .insert(path.into(), Some(Source::new(text.into())));
    }

    /// The text of `path`, if cached.
    pub fn get(&self, path: &Path) -> Option<Arc<str>> {
        self.with_source(path, |s| Arc::clone(&s.text))
    }

    /// The 1-based `line` of `path`, without its line terminator.
    pub fn line(&self, path: &Path, line: usize) -> Option<String> {
        self.with_source(path, |s| s.line(line)).flatten()
    }

    /// `f` of the cached file `path`, reading it first if this cache reads the disk.
    fn with_source<R>(&self, path: &Path, f: impl FnOnce(&Source) -> R) -> Option<R> {
        let mut files = self.lock();
        if !files.contains_key(path) {
            if !self.read_disk {
                return None;
            }
            // Regular files only: a FIFO or device named in a diagnostic must not block
            // or flood the rendering.
            let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
            let text = regular
                .then(|| std::fs::read(path).ok())
                .flatten()
                .map(|bytes| Arc::<str>::from(String::from_utf8_lossy(&bytes).as_ref()));
            files.insert(path.to_path_buf(), text.map(Source::new));
        }
        files.get(path)?.as_ref().map(f)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Option<Source>>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// At most this many characters of an input value are echoed in a message.
pub const EXCERPT_CHARS: usize = 40;

/// A short, printable excerpt of an input value for a message: control characters
/// (newlines, NULs, escapes) are shown as `\u{..}` and anything past [`EXCERPT_CHARS`]
/// characters becomes `…`, so no error can replay a whole line of a file (which may be
/// something like a process environment full of secrets).
pub fn excerpt(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == EXCERPT_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// At most this many characters of a source line are shown under a diagnostic.
pub const SOURCE_LINE_CHARS: usize = 120;

/// The part of source line `src` shown under a diagnostic at 1-based `col`: control
/// characters other than tabs become spaces, and a long line is cut to a window of
/// [`SOURCE_LINE_CHARS`] characters around the column (marked with `…`). Returns the
/// shown text and the caret's 1-based column in it.
fn source_window(src: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = src
        .chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect();
    if chars.len() <= SOURCE_LINE_CHARS {
        return (chars.into_iter().collect(), col);
    }
    let half = SOURCE_LINE_CHARS / 2;
    let start = col
        .saturating_sub(1)
        .saturating_sub(half)
        .min(chars.len() - SOURCE_LINE_CHARS);
    let end = start + SOURCE_LINE_CHARS;
    let mut shown = String::new();
    let mut caret = col - start;
    if start > 0 {
        shown.push('…');
        caret += 1;
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    (shown, caret)
}

/// Renders every diagnostic as a block, then a summary line (`1 error`, `3 errors, 1 warning`).
/// Plain text, no colour. Empty input renders as an empty string.
pub fn render(diags: &Diagnostics, sources: &SourceCache) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match (&d.location, &d.pointer) {
            (Some(loc), _) => {
                let _ = writeln!(out, "{loc}: {}: {}", d.severity, d.message);
            }
            (None, Some(ptr)) => {
                let _ = writeln!(out, "{}: at `{ptr}`: {}", d.severity, d.message);
            }
            (None, None) => {
                let _ = writeln!(out, "{}: {}", d.severity, d.message);
            }
        }
        if let Some(loc) = &d.location
            && let Some(src) = sources.line(&loc.file, loc.line)
        {
            let (src, col) = source_window(&src, loc.col.max(1));
            let gutter = loc.line.to_string().len().max(4) + 1;
            let _ = writeln!(out, "{:>gutter$} | {src}", loc.line);
            // Keep tabs so the caret lines up with the source line.
            let pad: String = src
                .chars()
                .take(col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "{:>gutter$} | {pad}^", "");
        }
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "  hint: {hint}");
        }
    }
    if !diags.is_empty() {
        let _ = writeln!(out, "{}", summary(diags));
    }
    out
}

/// `1 error`, `2 errors`, `2 errors, 1 warning`, `1 warning`.
pub fn summary(diags: &Diagnostics) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let (e, w) = (diags.error_count(), diags.warning_count());
    match (e, w) {
        (_, 0) => plural(e, "error"),
        (0, _) => plural(w, "warning"),
        _ => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_block_with_source_line_caret_and_hint() {
        let cache = SourceCache::empty();
        cache.insert("seeds/main.yaml", "a\n".repeat(11) + "      skils:\n");
        let diags: Diagnostics = Diagnostic::error("unknown field `skils`")
            .at(Location::new("seeds/main.yaml", 12, 7))
            .with_hint("check the spelling")
            .into();
        let out = render(&diags, &cache);
        let expected = "seeds/main.yaml:12:7: error: unknown field `skils`\n   \
                        12 |       skils:\n      |       ^\n  hint: check the spelling\n1 error\n";
        assert_eq!(out, expected);
    }

    #[test]
    fn renders_without_source_and_counts() {
        let mut diags = Diagnostics::new();
        diags.push(Diagnostic::error("boom").with_pointer("/users/0"));
        diags.push(Diagnostic::warning("meh"));
        diags.push(Diagnostic::error("bad").at(Location::new("missing.yaml", 3, 1)));
        let out = render(&diags, &SourceCache::new());
        assert_eq!(
            out,
            "error: at `/users/0`: boom\n\nwarning: meh\n\nmissing.yaml:3:1: error: bad\n\
             2 errors, 1 warning\n"
        );
        assert!(diags.has_errors());
        assert_eq!(render(&Diagnostics::new(), &SourceCache::empty()), "");
    }

    #[test]
    fn sort_orders_by_location_and_dedups() {
        let mut diags = Diagnostics::new();
        let at = |l, c| Location::new("b.yaml", l, c);
        diags.push(Diagnostic::error("x").at(at(10, 1)));
        diags.push(Diagnostic::error("unlocated"));
        diags.push(Diagnostic::error("y").at(at(2, 5)));
        diags.push(Diagnostic::error("z").at(Location::new("a.yaml", 99, 1)));
        diags.push(Diagnostic::error("y").at(at(2, 5)));
        diags.push(Diagnostic::error("w").at(at(2, 3)));
        diags.sort();
        let msgs: Vec<_> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(msgs, ["z", "w", "y", "x", "unlocated"]);
    }

    #[test]
    fn excerpts_are_short_and_printable() {
        assert_eq!(excerpt("name"), "name");
        assert_eq!(excerpt("a\nb\0"), "a\\u{a}b\\u{0}");
        let long = "SECRET=".repeat(20);
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
    }

    #[test]
    fn long_source_lines_show_a_window_around_the_caret() {
        let cache = SourceCache::empty();
        let line = format!("{}X{}\u{0}", "a".repeat(300), "b".repeat(300));
        cache.insert("t.csv", line);
        let diags: Diagnostics = Diagnostic::error("m")
            .at(Location::new("t.csv", 1, 301))
            .into();
        let out = render(&diags, &cache);
        let shown = out.lines().nth(1).unwrap();
        let caret = out.lines().nth(2).unwrap();
        assert!(shown.chars().count() < SOURCE_LINE_CHARS + 12, "{out}");
        assert!(!out.contains('\u{0}'));
        let x = shown.chars().position(|c| c == 'X').unwrap();
        assert_eq!(caret.chars().position(|c| c == '^').unwrap(), x, "{out}");
    }

    #[test]
    fn lines_are_those_of_str_lines() {
        let texts = [
            "",
            "a",
            "a\n",
            "a\n\n",
            "a\r\nb\r\n",
            "\u{feff}x\ny",
            "\n\nz",
            "a\r\r\nb",
        ];
        for text in texts {
            let cache = SourceCache::empty();
            cache.insert("t.yaml", text);
            let body = text.strip_prefix('\u{feff}').unwrap_or(text);
            let expected: Vec<String> = body
                .lines()
                .map(|l| l.trim_end_matches('\r').to_owned())
                .collect();
            let got: Vec<String> = (1..)
                .map_while(|n| cache.line(Path::new("t.yaml"), n))
                .collect();
            assert_eq!(got, expected, "{text:?}");
            assert_eq!(cache.line(Path::new("t.yaml"), 0), None);
            assert_eq!(cache.line(Path::new("t.yaml"), expected.len() + 1), None);
        }
    }

    #[test]
    fn caret_keeps_tabs() {
        let cache = SourceCache::empty();
        cache.insert("t.yaml", "\tkey: v\n");
        let diags: Diagnostics = Diagnostic::error("m")
            .at(Location::new("t.yaml", 1, 7))
            .into();
        let out = render(&diags, &cache);
        assert!(
            out.contains("    1 | \tkey: v\n      | \t     ^\n"),
            "{out}"
        );
    }
}
