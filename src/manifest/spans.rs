//! Where each value of a YAML document came from, in a compact form.
//!
//! Owns [`Spans`]: one small record per value, in document order (a value, then
//! everything inside it), instead of a map from JSON-pointer strings. A lookup walks the
//! pointer down the records, so it costs a step per token (and per preceding sibling), and
//! only when a diagnostic needs a position. Must not know about files, kinds or schemas.

use foldhash::HashMap;

/// A 1-based (line, col); `line == 0` means unknown.
type Pos = (u32, u32);

/// Marks a record that no mapping key introduces (the root and sequence items).
const NO_KEY: u32 = u32::MAX;

/// One value of the document.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Record {
    /// Where the value is.
    at: Pos,
    /// Where the mapping key introducing it is.
    key_at: Pos,
    /// The key introducing it (an index into [`Spans::keys`]), or [`NO_KEY`].
    key: u32,
    /// The index of the first record after this value and everything inside it.
    end: u32,
}

/// The position of every value of a document (and of every mapping key), by its place
/// in the document. Built by the YAML reader; asked with JSON pointers (`""` = the root,
/// `"/users/0/email"`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spans {
    records: Vec<Record>,
    /// Each distinct mapping key once.
    keys: Vec<Box<str>>,
}

impl Spans {
    /// The (line, col) of the value at `pointer`, or of its nearest ancestor that has one.
    pub fn locate(&self, pointer: &str) -> Option<(usize, usize)> {
        let path = self.walk(pointer)?;
        path.iter()
            .rev()
            .map(|&i| self.records[i].at)
            .find(|at| at.0 > 0)
            .map(widen)
    }

    /// The (line, col) of the mapping key introducing exactly `pointer`, if it has one.
    pub fn key(&self, pointer: &str) -> Option<(usize, usize)> {
        let path = self.walk(pointer)?;
        let &last = path.last()?;
        let found_all = path.len() == tokens(pointer).count() + 1;
        let at = self.records[last].key_at;
        (found_all && at.0 > 0).then_some(widen(at))
    }

    /// The (line, col) of exactly the value at `pointer`, if it has one.
    pub fn get(&self, pointer: &str) -> Option<(usize, usize)> {
        let path = self.walk(pointer)?;
        let at = self.records[*path.last()?].at;
        let found_all = path.len() == tokens(pointer).count() + 1;
        (found_all && at.0 > 0).then_some(widen(at))
    }

    /// The records from the root down along `pointer`, as far as the document has them
    /// (`None` for an empty document or a pointer that does not start with `/`).
    fn walk(&self, pointer: &str) -> Option<Vec<usize>> {
        if self.records.is_empty() || !(pointer.is_empty() || pointer.starts_with('/')) {
            return None;
        }
        let mut path = vec![0];
        for token in tokens(pointer) {
            match self.child(path[path.len() - 1], &token) {
                Some(child) => path.push(child),
                None => break,
            }
        }
        Some(path)
    }

    /// The child of record `parent` named by the (unescaped) pointer `token`: the entry
    /// under that key of a mapping (the last one, as the value map keeps the last), the
    /// item at that index of a sequence.
    fn child(&self, parent: usize, token: &str) -> Option<usize> {
        let end = self.records[parent].end as usize;
        let first = parent + 1;
        if first >= end {
            return None;
        }
        let mut children = std::iter::successors(Some(first), |&i| {
            Some(self.records[i].end as usize).filter(|&next| next < end)
        });
        if self.records[first].key == NO_KEY {
            return children.nth(array_index(token)?);
        }
        let named = |i: &usize| {
            self.keys
                .get(self.records[*i].key as usize)
                .map(AsRef::as_ref)
                == Some(token)
        };
        children.filter(named).last()
    }
}

fn widen((line, col): Pos) -> (usize, usize) {
    (line as usize, col as usize)
}

/// The unescaped reference tokens of a pointer (none for the root).
fn tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer.split('/').skip(1).map(super::pointer::unescape)
}

/// A sequence index as RFC 6901 writes it: digits, no leading zero.
fn array_index(token: &str) -> Option<usize> {
    let canonical = token == "0" || (!token.starts_with('0') && !token.is_empty());
    if canonical && token.bytes().all(|b| b.is_ascii_digit()) {
        token.parse().ok()
    } else {
        None
    }
}

/// Records values in document order while a reader walks the document.
#[derive(Debug, Default)]
pub(crate) struct SpansBuilder {
    spans: Spans,
    key_ids: HashMap<Box<str>, u32>,
    /// Records nothing (a first read that needs only the value).
    off: bool,
}

/// Clamps a position to the record's width (a file under the size cap never needs more).
fn narrow(pos: Option<(usize, usize)>) -> Pos {
    pos.map_or((0, 0), |(line, col)| {
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(col).unwrap_or(u32::MAX),
        )
    })
}

impl SpansBuilder {
    /// A builder that records nothing: [`SpansBuilder::finish`] gives empty positions.
    pub(crate) fn off() -> Self {
        SpansBuilder {
            off: true,
            ..SpansBuilder::default()
        }
    }

    /// Starts a value at `at`, introduced by the mapping key `key` at `key_at` (`None`
    /// for the root and sequence items). Returns a handle for [`SpansBuilder::close`],
    /// to be called once everything inside the value has been opened and closed.
    pub(crate) fn open(
        &mut self,
        at: Option<(usize, usize)>,
        key: Option<(&str, Option<(usize, usize)>)>,
    ) -> usize {
        if self.off {
            return 0;
        }
        let (key, key_at) = match key {
            Some((name, key_at)) => (self.intern(name), narrow(key_at)),
            None => (NO_KEY, (0, 0)),
        };
        self.spans.records.push(Record {
            at: narrow(at),
            key_at,
            key,
            end: 0,
        });
        self.spans.records.len() - 1
    }

    /// Ends the value opened as `handle`.
    pub(crate) fn close(&mut self, handle: usize) {
        if self.off {
            return;
        }
        let end = u32::try_from(self.spans.records.len()).unwrap_or(u32::MAX);
        self.spans.records[handle].end = end;
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.key_ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.spans.keys.len()).unwrap_or(NO_KEY - 1);
        self.spans.keys.push(name.into());
        self.key_ids.insert(name.into(), id);
        id
    }

    /// The finished positions.
    pub(crate) fn finish(mut self) -> Spans {
        self.spans.records.shrink_to_fit();
        self.spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `{a: [x, {b: y}], "c/d": {}}` with made-up positions.
    fn sample() -> Spans {
        let mut b = SpansBuilder::default();
        let root = b.open(Some((1, 1)), None);
        let a = b.open(Some((1, 4)), Some(("a", Some((1, 1)))));
        let x = b.open(Some((2, 3)), None);
        b.close(x);
        let item = b.open(None, None);
        let y = b.open(Some((3, 6)), Some(("b", Some((3, 3)))));
        b.close(y);
        b.close(item);
        b.close(a);
        let c = b.open(Some((4, 6)), Some(("c/d", Some((4, 1)))));
        b.close(c);
        b.close(root);
        b.finish()
    }

    #[test]
    fn finds_values_keys_and_nearest_ancestors() {
        let s = sample();
        assert_eq!(s.get(""), Some((1, 1)));
        assert_eq!(s.get("/a/0"), Some((2, 3)));
        assert_eq!(s.get("/a/1/b"), Some((3, 6)));
        assert_eq!(s.key("/a/1/b"), Some((3, 3)));
        assert_eq!(s.get("/c~1d"), Some((4, 6)));
        // An item without a position of its own falls back to its sequence.
        assert_eq!(s.get("/a/1"), None);
        assert_eq!(s.locate("/a/1"), Some((1, 4)));
        assert_eq!(s.locate("/a/2"), Some((1, 4)));
        assert_eq!(s.locate("/a/01"), Some((1, 4)));
        assert_eq!(s.locate("/a/1/b/deeper"), Some((3, 6)));
        assert_eq!(s.key("/a/1/b/deeper"), None);
        assert_eq!(s.locate("/nope"), Some((1, 1)));
        assert_eq!(s.locate("no-slash"), None);
        assert_eq!(Spans::default().locate(""), None);
    }
}
