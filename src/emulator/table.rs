//! [`Table`]: the map behind every collection of the org (`OrgData`'s fields), which
//! remembers the rows changed since the journal last recorded them.
//!
//! It reads like a `BTreeMap<String, V>` (it dereferences to one) and its mutating methods
//! have the same names and signatures as `BTreeMap`'s (`get_mut`, `insert`, `remove`,
//! `entry`), so the routes change rows as they would change a map; a sweep over all rows
//! is [`Table::change_each`]. There is no `DerefMut`: every way to change a row goes through a method here, which notes
//! the row's key. `journal.rs` drains those keys into one record per request. The serde
//! shape is the map's (`transparent`), so the data file does not know about tables.
//!
//! Owns no I/O and knows nothing of the journal's format.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// A map of rows by id that notes which rows were changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Table<V> {
    rows: BTreeMap<String, V>,
    /// Keys of the rows set, changed or removed since [`Table::take_touched`].
    #[serde(skip)]
    touched: BTreeSet<String>,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table {
            rows: BTreeMap::new(),
            touched: BTreeSet::new(),
        }
    }
}

impl<V> Deref for Table<V> {
    type Target = BTreeMap<String, V>;

    fn deref(&self) -> &Self::Target {
        &self.rows
    }
}

impl<'a, V> IntoIterator for &'a Table<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = std::collections::btree_map::Iter<'a, String, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

impl<V> FromIterator<(String, V)> for Table<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        Table {
            rows: iter.into_iter().collect(),
            touched: BTreeSet::new(),
        }
    }
}

impl<V> Table<V> {
    /// The row at `key` to change in place (the row counts as changed).
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let row = self.rows.get_mut(key)?;
        if !self.touched.contains(key) {
            self.touched.insert(key.to_string());
        }
        Some(row)
    }

    /// Set the row at `key`; the previous row, if any.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        self.touched.insert(key.clone());
        self.rows.insert(key, value)
    }

    /// Remove the row at `key`; the row, if there was one.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let row = self.rows.remove(key)?;
        self.touched.insert(key.to_string());
        Some(row)
    }

    /// The entry at `key` (the row counts as changed, whatever is done with it).
    pub fn entry(&mut self, key: String) -> Entry<'_, String, V> {
        self.touched.insert(key.clone());
        self.rows.entry(key)
    }

    /// Change rows in place: `change` sees every row and answers whether it changed it.
    /// Only the rows it changed count as changed, so a sweep over a whole table (a
    /// deleted skill taken off every user) records the rows it changed, not the table.
    pub fn change_each(&mut self, mut change: impl FnMut(&mut V) -> bool) {
        for (key, row) in self.rows.iter_mut() {
            if change(row) && !self.touched.contains(key) {
                self.touched.insert(key.clone());
            }
        }
    }

    /// The keys changed since the last call (the rows at them are the new values; a key
    /// with no row was removed), and forget them.
    pub fn take_touched(&mut self) -> BTreeSet<String> {
        std::mem::take(&mut self.touched)
    }

    /// Set (`Some`) or remove (`None`) a row without noting it: for replaying what the
    /// journal already holds.
    pub fn restore(&mut self, key: String, value: Option<V>) {
        match value {
            Some(v) => self.rows.insert(key, v),
            None => self.rows.remove(&key),
        };
    }
}

/// Remove the items of `list` that `gone` picks; whether any was removed (what a
/// [`Table::change_each`] sweep answers).
pub(super) fn remove_where<T>(list: &mut Vec<T>, mut gone: impl FnMut(&T) -> bool) -> bool {
    let before = list.len();
    list.retain(|x| !gone(x));
    list.len() != before
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table<u32> {
        [("a".to_string(), 1), ("b".to_string(), 2)]
            .into_iter()
            .collect()
    }

    #[test]
    fn every_mutating_method_notes_the_keys_it_touches() {
        let mut t = table();
        assert!(t.take_touched().is_empty());
        *t.get_mut("a").unwrap() += 1;
        assert!(t.get_mut("missing").is_none());
        t.insert("c".into(), 3);
        t.remove("b");
        t.remove("never");
        *t.entry("d".into()).or_default() += 4;
        assert_eq!(
            t.take_touched().into_iter().collect::<Vec<_>>(),
            ["a", "b", "c", "d"]
        );
        assert!(t.take_touched().is_empty(), "taken once");
        // a = 2, c = 3, d = 4: the sweep raises the rows above 2.
        t.change_each(|v| {
            let raise = *v > 2;
            if raise {
                *v += 1;
            }
            raise
        });
        assert_eq!(
            t.take_touched().into_iter().collect::<Vec<_>>(),
            ["c", "d"],
            "only the rows the sweep changed"
        );
        assert_eq!(t.values().copied().collect::<Vec<_>>(), [2, 4, 5]);
        assert_eq!(t.keys().collect::<Vec<_>>(), ["a", "c", "d"]);
    }

    #[test]
    fn serializes_as_the_map_and_restoring_notes_nothing() {
        let mut t = table();
        t.insert("c".into(), 3);
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"a":1,"b":2,"c":3}"#);
        let mut back: Table<u32> = serde_json::from_str(r#"{"a":1}"#).unwrap();
        back.restore("b".into(), Some(2));
        back.restore("a".into(), None);
        assert_eq!(back.keys().collect::<Vec<_>>(), ["b"]);
        assert!(back.take_touched().is_empty());
    }
}
