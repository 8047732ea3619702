//! A folder of manifests: reading every `*.yaml`/`*.yml` in it, each file a located
//! document of its own (validation walks the documents; nothing is merged into one).
//!
//! Owns [`load_dir`]. Must not know what the top-level keys mean (kinds), nor validate
//! item contents.

use std::path::{Path, PathBuf};

use super::yaml::{LocatedDoc, load_file};
use crate::diag::{Diagnostic, Diagnostics};

/// Reads every `*.yaml` / `*.yml` file directly in `dir` (not recursive), several at once,
/// sorted by file name. Problems of all files are reported together. A folder without any
/// is an error, and so is an entry named like a manifest that is not a regular file (a
/// folder, a broken symbolic link, a FIFO that would block the read, a device): it is
/// never skipped silently.
pub fn load_dir(dir: &Path) -> Result<Vec<LocatedDoc>, Diagnostics> {
    let (paths, mut diags) = manifest_paths(dir)?;
    let mut docs = Vec::with_capacity(paths.len());
    for loaded in super::parallel::map(&paths, |path| load_file(path)) {
        match loaded {
            Ok(doc) => docs.push(doc),
            Err(d) => diags.extend(d),
        }
    }
    diags.into_result(docs)
}

/// The manifest files of `dir` that [`load_dir`] reads, sorted by file name, and the
/// problems of the entries it refuses (reported with the files' own problems). `Err`
/// when there is nothing to read: the folder cannot be listed, or holds no manifest.
pub fn manifest_paths(dir: &Path) -> Result<(Vec<PathBuf>, Diagnostics), Diagnostics> {
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
    Ok((paths, diags))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
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
}
