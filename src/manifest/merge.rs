//! A folder of manifests: reading every `*.yaml`/`*.yml` in it, and merging the files'
//! top-level lists while each item remembers the file and pointer it came from.
//!
//! Owns [`load_dir`], [`merge`], [`Merged`] and [`Item`]. Must not know what the top-level
//! keys mean (kinds), nor validate item contents.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::pointer;
use super::yaml::{Locate, LocatedDoc, Spans, load_file, locate_in, locate_key_in};
use crate::diag::{Diagnostic, Diagnostics, Location};

/// Reads every `*.yaml` / `*.yml` file directly in `dir` (not recursive), sorted by file
/// name. Problems of all files are reported together. A folder without any is an error,
/// and so is an entry named like a manifest that is not a regular file (a folder, a broken
/// symbolic link, a FIFO that would block the read, a device): it is never skipped silently.
pub fn load_dir(dir: &Path) -> Result<Vec<LocatedDoc>, Diagnostics> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Diagnostics::from(Diagnostic::error(format!(
            "cannot read folder {}: {e}",
            dir.display()
        )))
    })?;
    let mut diags = Diagnostics::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = match entry {
            Ok(entry) => entry.path(),
            Err(e) => {
                diags.push(Diagnostic::error(format!(
                    "cannot read folder {}: {e}",
                    dir.display()
                )));
                continue;
            }
        };
        let is_manifest = path
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml"));
        if !is_manifest {
            continue;
        }
        // A manifest linked in from elsewhere (say /proc/self/environ) would have its
        // lines shown under any error: only files inside the seeds folder are read.
        let outside = || {
            super::files::leads_outside(&path, dir)
                .then_some("is a symbolic link leading outside the seeds folder")
        };
        match not_a_regular_file(&path).or_else(outside) {
            None => paths.push(path),
            Some(what) => diags.push(
                // No location: showing a source line would read the entry (and hang on a FIFO).
                Diagnostic::error(format!("{} {what}", path.display()))
                    .with_hint("every *.yaml / *.yml entry of the seeds folder must be an ordinary manifest file; rename or remove this one"),
            ),
        }
    }
    paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    if paths.is_empty() && !diags.has_errors() {
        return Err(Diagnostic::error(format!(
            "no manifest files (*.yaml, *.yml) in {}",
            dir.display()
        ))
        .with_hint("add a manifest such as seeds/main.yaml (the README shows the format), or point `seeds:` in genseed.yaml at the right folder")
        .into());
    }
    let mut docs = Vec::with_capacity(paths.len());
    for path in paths {
        match load_file(&path) {
            Ok(doc) => docs.push(doc),
            Err(d) => diags.extend(d),
        }
    }
    diags.into_result(docs)
}

/// Why `path` is not a regular file (following symbolic links), or `None` if it is one.
fn not_a_regular_file(path: &Path) -> Option<&'static str> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => None,
        Ok(meta) if meta.is_dir() => Some("is a folder, not a manifest file"),
        Ok(_) => Some("is not a regular file (a FIFO, socket or device)"),
        Err(_) if std::fs::symlink_metadata(path).is_ok() => {
            Some("is a symbolic link to a file that does not exist")
        }
        Err(_) => Some("cannot be read"),
    }
}

/// Where one file's values came from; shared by all items of that file.
#[derive(Debug, PartialEq)]
pub struct SourceMap {
    pub file: PathBuf,
    pub spans: Spans,
    pub key_spans: Spans,
}

/// One element of a top-level list (or a top-level non-list value), with its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// File the item was read from.
    pub file: PathBuf,
    /// Pointer of the item in that file, e.g. `/users/3`.
    pub pointer: String,
    pub value: Value,
    source: Arc<SourceMap>,
}

impl Item {
    /// Location of `inner` (a pointer relative to the item, `""` = the item itself, e.g.
    /// `/email`), falling back to the nearest located ancestor.
    pub fn locate(&self, inner: &str) -> Option<Location> {
        Locate::locate(self, inner)
    }

    /// Location of the key introducing `inner` (e.g. for "unknown field" errors).
    pub fn locate_key(&self, inner: &str) -> Option<Location> {
        Locate::locate_key(self, inner)
    }

    /// Pointer of `inner` in the original file (`/users/3` + `/email`).
    pub fn file_pointer(&self, inner: &str) -> String {
        pointer::join(&self.pointer, inner)
    }

    /// A diagnostic about `inner`, located and carrying the file pointer.
    pub fn error(&self, inner: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(message)
            .at(self.locate(inner))
            .with_pointer(self.file_pointer(inner))
    }
}

impl Locate for Item {
    fn locate(&self, inner: &str) -> Option<Location> {
        locate_in(
            &self.source.file,
            &self.source.spans,
            &self.file_pointer(inner),
        )
    }
    fn locate_key(&self, inner: &str) -> Option<Location> {
        let ptr = self.file_pointer(inner);
        locate_key_in(
            &self.source.file,
            &self.source.spans,
            &self.source.key_spans,
            &ptr,
        )
    }
    fn pointer(&self, inner: &str) -> String {
        self.file_pointer(inner)
    }
}

/// All files' items, grouped by top-level key (sorted); within a group, in file-name order
/// and then document order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Merged {
    pub groups: BTreeMap<String, Vec<Item>>,
}

impl Merged {
    /// Items under a top-level key; empty if no file has it.
    pub fn items(&self, key: &str) -> &[Item] {
        self.groups.get(key).map(Vec::as_slice).unwrap_or_default()
    }
}

/// Merges documents: a top-level list contributes one item per element (pointer
/// `/key/<index>`); any other top-level value contributes one item (pointer `/key`) and may
/// appear in only one file. A document whose root is not a mapping is an error.
pub fn merge(docs: Vec<LocatedDoc>) -> Result<Merged, Diagnostics> {
    let mut merged = Merged::default();
    let mut diags = Diagnostics::new();
    let mut single_owner: BTreeMap<String, PathBuf> = BTreeMap::new();
    for doc in docs {
        let source = Arc::new(SourceMap {
            file: doc.file.clone(),
            spans: doc.spans,
            key_spans: doc.key_spans,
        });
        let Value::Object(root) = doc.value else {
            diags.push(
                Diagnostic::error("the top level of a manifest must be a mapping")
                    .at(locate_in(&source.file, &source.spans, ""))
                    .with_pointer(""),
            );
            continue;
        };
        for (key, value) in root {
            let key_ptr = pointer::push("", &key);
            let group = merged.groups.entry(key.clone()).or_default();
            match value {
                Value::Array(elements) => {
                    for (i, value) in elements.into_iter().enumerate() {
                        group.push(Item {
                            file: source.file.clone(),
                            pointer: format!("{key_ptr}/{i}"),
                            value,
                            source: Arc::clone(&source),
                        });
                    }
                }
                value => {
                    if let Some(first) = single_owner.get(&key) {
                        diags.push(
                            Diagnostic::error(format!(
                                "`{}` is defined in several files",
                                crate::diag::excerpt(&key)
                            ))
                            .at(locate_key_in(
                                &source.file,
                                &source.spans,
                                &source.key_spans,
                                &key_ptr,
                            ))
                            .with_pointer(key_ptr.clone())
                            .with_hint(format!(
                                "it is also defined in {}; keep one",
                                first.display()
                            )),
                        );
                        continue;
                    }
                    single_owner.insert(key.clone(), source.file.clone());
                    group.push(Item {
                        file: source.file.clone(),
                        pointer: key_ptr,
                        value,
                        source: Arc::clone(&source),
                    });
                }
            }
        }
    }
    diags.into_result(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn merges_files_in_name_order_keeping_origins() {
        let dir = tempfile::tempdir().unwrap();
        let b = write(
            dir.path(),
            "b.yml",
            "users:\n  - name: Cid\n    email: c@x.io\n",
        );
        let a = write(
            dir.path(),
            "a.yaml",
            "org: {name: acme}\nusers:\n  - name: Ann\n  - name: Bob\n    email: b@x.io\n",
        );
        write(dir.path(), "notes.txt", "not yaml: [");
        let docs = load_dir(dir.path()).unwrap();
        assert_eq!(docs.len(), 2);
        let merged = merge(docs).unwrap();
        let users = merged.items("users");
        let names: Vec<_> = users.iter().map(|i| i.value["name"].clone()).collect();
        assert_eq!(names, [json!("Ann"), json!("Bob"), json!("Cid")]);
        assert_eq!(
            (users[1].file.as_path(), users[1].pointer.as_str()),
            (a.as_path(), "/users/1")
        );
        assert_eq!(
            (users[2].file.as_path(), users[2].pointer.as_str()),
            (b.as_path(), "/users/0")
        );
        // Pointers inside an item resolve in its own file.
        assert_eq!(users[1].locate("/email"), Some(Location::new(&a, 5, 12)));
        assert_eq!(users[2].locate("/email"), Some(Location::new(&b, 3, 12)));
        assert_eq!(users[2].locate_key("/email"), Some(Location::new(&b, 3, 5)));
        assert_eq!(
            users[2].locate("/missing/deep"),
            Some(Location::new(&b, 2, 5))
        );
        assert_eq!(users[2].file_pointer("/email"), "/users/0/email");
        let d = users[2].error("/email", "taken");
        assert_eq!(d.pointer.as_deref(), Some("/users/0/email"));
        assert_eq!(merged.items("org")[0].pointer, "/org");
        assert!(merged.items("queues").is_empty());
    }

    #[test]
    fn odd_entries_named_like_manifests_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "a.yaml", "skills: []\n");
        std::fs::create_dir(d.join("dir.yaml")).unwrap();
        std::os::unix::fs::symlink(d.join("gone"), d.join("broken.yml")).unwrap();
        std::fs::create_dir(d.join("notes")).unwrap();
        std::os::unix::fs::symlink("/proc/self/environ", d.join("env.yaml")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(d.join("p.yaml"))
            .status();
        let diags = load_dir(d).unwrap_err();
        let mut msgs: Vec<String> = diags
            .iter()
            .map(|x| x.message.replace(&d.display().to_string(), ""))
            .collect();
        msgs.sort();
        let mut expected = vec![
            "/broken.yml is a symbolic link to a file that does not exist",
            "/dir.yaml is a folder, not a manifest file",
            "/env.yaml is a symbolic link leading outside the seeds folder",
        ];
        if fifo.is_ok_and(|s| s.success()) {
            expected.push("/p.yaml is not a regular file (a FIFO, socket or device)");
        }
        assert_eq!(msgs, expected);
    }

    #[test]
    fn all_files_problems_are_reported_together() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.yaml", "a: [1\n");
        write(dir.path(), "b.yaml", "x: 1\nx: 2\n");
        let diags = load_dir(dir.path()).unwrap_err();
        let files: Vec<_> = diags
            .iter()
            .map(|d| {
                d.location
                    .as_ref()
                    .unwrap()
                    .file
                    .file_name()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(files, ["a.yaml", "b.yaml"]);
        assert!(load_dir(&dir.path().join("nope")).is_err());
        let empty = tempfile::tempdir().unwrap();
        assert!(
            load_dir(empty.path()).unwrap_err().0[0]
                .message
                .contains("no manifest files")
        );
    }

    #[test]
    fn non_list_values_may_not_repeat_and_root_must_be_mapping() {
        let p = |s: &str| PathBuf::from(s);
        let docs = vec![
            super::super::yaml::load_yaml(&p("a.yaml"), "org: {name: a}\n").unwrap(),
            super::super::yaml::load_yaml(&p("b.yaml"), "\norg: {name: b}\n").unwrap(),
            super::super::yaml::load_yaml(&p("c.yaml"), "- 1\n").unwrap(),
        ];
        let diags = merge(docs).unwrap_err();
        assert_eq!(diags.len(), 2);
        assert_eq!(diags.0[0].location, Some(Location::new("b.yaml", 2, 1)));
        assert!(diags.0[0].hint.as_deref().unwrap().contains("a.yaml"));
        assert_eq!(diags.0[1].location, Some(Location::new("c.yaml", 1, 1)));
    }
}
