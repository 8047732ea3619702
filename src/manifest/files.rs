//! Files a manifest refers to (such as the CSV of `usersFromCsv`), resolved safely.
//!
//! A manifest is often reviewed less carefully than code, and its plan output may land in
//! a public CI log. So a referenced file must stay inside the manifest's own folder: no
//! absolute path, no `..`, no symbolic link leading out of the folder, and only a regular
//! file (a folder, a FIFO that would block the run, or a device is refused). Every refusal
//! is a located [`Diagnostic`] that names the path as written, never the file's content.

use std::path::{Component, Path, PathBuf};

use crate::diag::{Diagnostic, Location};

/// Resolves `reference` (as written in the manifest at `manifest`) to a path inside the
/// manifest's folder. `what` names the file in messages (`CSV file`); `at` is where the
/// reference is written.
pub fn resolve_referenced(
    manifest: &Path,
    reference: &str,
    what: &str,
    at: Option<Location>,
) -> Result<PathBuf, Diagnostic> {
    let shown = crate::diag::excerpt(reference);
    let refuse = |message: String, hint: &str| {
        Err(Diagnostic::error(message).at(at.clone()).with_hint(hint))
    };
    const RELATIVE: &str =
        "give a path relative to the folder of this manifest, to a file inside that folder";
    if reference.trim().is_empty() {
        return refuse(format!("{what} path is empty"), RELATIVE);
    }
    let rel = Path::new(reference);
    if rel.has_root()
        || rel.is_absolute()
        || matches!(rel.components().next(), Some(Component::Prefix(_)))
    {
        return refuse(format!("{what} `{shown}` is an absolute path"), RELATIVE);
    }
    if rel.components().any(|c| c == Component::ParentDir) {
        return refuse(
            format!("{what} `{shown}` uses `..` to leave the manifest's folder"),
            RELATIVE,
        );
    }
    let base = manifest.parent().unwrap_or(Path::new("."));
    let base = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    let path = base.join(rel);
    let meta = match std::fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let broken = std::fs::symlink_metadata(&path).is_ok();
            return refuse(
                if broken {
                    format!("{what} `{shown}` is a symbolic link to a file that does not exist")
                } else {
                    format!("{what} `{shown}` not found")
                },
                "the path is relative to the folder of this manifest",
            );
        }
        Err(e) => return refuse(format!("cannot read {what} `{shown}`: {}", e), RELATIVE),
    };
    if leads_outside(&path, base) {
        return refuse(
            format!(
                "{what} `{shown}` leads outside the manifest's folder (through a symbolic link)"
            ),
            RELATIVE,
        );
    }
    if meta.is_dir() {
        return refuse(
            format!("{what} `{shown}` is a folder, not a file"),
            "name the file itself",
        );
    }
    if !meta.is_file() {
        return refuse(
            format!("{what} `{shown}` is not a regular file (a FIFO, socket or device)"),
            "point at an ordinary file",
        );
    }
    Ok(path)
}

/// Whether `path` really (after every symbolic link on the way) lies outside `folder`;
/// also true when either cannot be resolved.
pub(crate) fn leads_outside(path: &Path, folder: &Path) -> bool {
    match (std::fs::canonicalize(path), std::fs::canonicalize(folder)) {
        (Ok(real), Ok(folder)) => !real.starts_with(folder),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(dir: &Path, reference: &str) -> Result<PathBuf, String> {
        resolve_referenced(&dir.join("main.yaml"), reference, "CSV file", None)
            .map_err(|d| d.message)
    }

    #[test]
    fn accepts_files_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/u.csv"), "a\n").unwrap();
        std::fs::write(dir.path().join("v.csv"), "a\n").unwrap();
        assert_eq!(
            check(dir.path(), "data/u.csv").unwrap(),
            dir.path().join("data/u.csv")
        );
        assert!(check(dir.path(), "./v.csv").is_ok());
    }

    #[test]
    fn refuses_escapes_and_odd_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("sub.csv")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", d.join("out.csv")).unwrap();
        std::os::unix::fs::symlink(d.join("gone"), d.join("broken.csv")).unwrap();
        let cases = [
            ("/proc/self/environ", "is an absolute path"),
            ("../x.csv", "uses `..`"),
            ("a/../../x.csv", "uses `..`"),
            ("out.csv", "leads outside"),
            ("broken.csv", "symbolic link to a file that does not exist"),
            ("none.csv", "`none.csv` not found"),
            ("sub.csv", "is a folder"),
            ("", "path is empty"),
        ];
        for (reference, expected) in cases {
            let err = check(d, reference).unwrap_err();
            assert!(err.contains(expected), "{reference}: {err}");
        }
    }

    #[test]
    fn refuses_a_fifo_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("p.csv");
        let ok = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !ok.is_ok_and(|s| s.success()) {
            return; // no mkfifo on this system
        }
        assert!(
            check(dir.path(), "p.csv")
                .unwrap_err()
                .contains("not a regular file")
        );
    }
}
