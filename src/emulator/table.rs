//! [`Table`]: the map behind every collection of the org (`OrgData`'s fields), which
//! remembers the rows changed since the journal last recorded them.
//!
//! It reads like a `BTreeMap<String, V>` (it dereferences to one) and its mutating methods
//! have the same names and signatures as `BTreeMap`'s (`get_mut`, `insert`, `remove`,
//! `entry`, `values_mut`, …), so the routes change rows as they would change a map. There
//! is no `DerefMut`: every way to change a row goes through a method here, which notes
//! the row's key. `journal.rs` drains those keys into one record per request. The serde
//! shape is the map's (`transparent`), so the data file does not know about tables.
//!
//! Owns no I/O and knows nothing of the journal's format.

use std::collections::btree_map::{Entry, IterMut, ValuesMut};
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

    /// Every row, to change in place (all rows count as changed).
    pub fn values_mut(&mut self) -> ValuesMut<'_, String, V> {
        self.touch_all();
        self.rows.values_mut()
    }

    /// Every key and row, to change rows in place (all rows count as changed).
    pub fn iter_mut(&mut self) -> IterMut<'_, String, V> {
        self.touch_all();
        self.rows.iter_mut()
    }

    /// Keep the rows for which `keep` answers true (all rows count as changed: `keep`
    /// may change the rows it keeps).
    pub fn retain(&mut self, keep: impl FnMut(&String, &mut V) -> bool) {
        self.touch_all();
        self.rows.retain(keep);
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

    fn touch_all(&mut self) {
        if self.touched.len() < self.rows.len() {
            self.touched.extend(self.rows.keys().cloned());
        }
    }
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
        for v in t.values_mut() {
            *v += 1;
        }
        assert_eq!(t.take_touched().len(), 3);
        t.retain(|k, _| k != "a");
        assert_eq!(
            t.take_touched().len(),
            3,
            "the removed key and the kept ones"
        );
        assert_eq!(t.keys().collect::<Vec<_>>(), ["c", "d"]);
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
