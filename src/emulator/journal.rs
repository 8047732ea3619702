//! The emulator's `--data` file kept as a journal: [`Journal`] appends one line per
//! successful mutating request to `<data>.journal` instead of rewriting the whole org, and
//! [`load`] reads the data file and replays that journal.
//!
//! A journal is JSON lines. The first line names the data file it continues, by the
//! SHA-256 of the file's bytes: `{"base":"<hex>"}`. Every later line is one request's
//! changes — the rows it set or removed (no `value`), the id counter, and the
//! organization if it changed:
//! `{"nextId":57,"changes":[{"table":"users","id":"…","value":{…}},{"table":"userSkills","id":"…"}]}`.
//! Table names are the data file's keys (see `OrgData::tables_mut`).
//!
//! Compaction writes the org whole (temp file, fsync, rename, fsync of the folder) and
//! removes the journal: at start (after replaying), at clean shutdown, and when the journal
//! grows past the size of the data file (at least [`MIN_BOUND`]), so the bytes written
//! stay proportional to the changes made. Records hold new values, never differences, so
//! replaying a journal over a file that already holds it changes nothing; and a journal
//! whose `base` is not the data file (killed between a compaction's rename and the
//! journal's removal, or the data file deleted or replaced) is ignored. A compaction killed
//! before its rename leaves a temp file (`.<data file name>.tmp…`) that the next start
//! removes.
//!
//! Durability: each record reaches the OS in one `write` before the request is answered,
//! so killing the emulator (SIGKILL included) loses no answered change; a line cut off by
//! a kill in mid-write is the last line and is ignored. The journal is synced to disk
//! within [`SYNC_INTERVAL`] of a write, by a background thread, so a crash of the machine
//! or a power loss can lose the changes answered in the last quarter second. A client
//! then finds those objects missing and creates them again; none is duplicated.
//!
//! Shares no code with the client's state journal (`src/state.rs`).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::EmulatorError;
use super::store::{OrgData, parse_data};
use super::table::Table;

/// How long after a write the journal is synced to disk, at most.
pub(super) const SYNC_INTERVAL: Duration = Duration::from_millis(250);

/// The journal is compacted once it is larger than the data file and this.
pub(super) const MIN_BOUND: u64 = 1 << 20;

/// `<data>.journal`, beside the data file.
pub(super) fn journal_path(data: &Path) -> PathBuf {
    let mut name = data.as_os_str().to_os_string();
    name.push(".journal");
    PathBuf::from(name)
}

/// The first line of a journal.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    /// SHA-256 (hex) of the data file this journal continues.
    base: String,
}

/// One row set (`value`) or removed (no `value`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Change {
    table: String,
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
}

/// One successful mutating request.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Record {
    /// The id counter after the request.
    next_id: u64,
    /// The organization, when the request changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    organization: Option<Value>,
    changes: Vec<Change>,
}

/// A table as the journal sees it: rows drained into changes, changes replayed.
pub(super) trait Rows {
    /// Append a change for every row touched since the last call.
    fn drain(&mut self, table: &str, out: &mut Vec<Change>);
    /// Forget the touched rows (the data file now holds them).
    fn forget(&mut self);
    /// Set or remove one row, as a journal line says.
    fn replay(&mut self, id: String, value: Option<Value>) -> Result<(), serde_json::Error>;
}

impl<V: Serialize + DeserializeOwned> Rows for Table<V> {
    fn drain(&mut self, table: &str, out: &mut Vec<Change>) {
        for id in self.take_touched() {
            let value = self
                .get(&id)
                .map(|v| serde_json::to_value(v).expect("a row serializes"));
            out.push(Change {
                table: table.to_string(),
                id,
                value,
            });
        }
    }

    fn forget(&mut self) {
        self.take_touched();
    }

    fn replay(&mut self, id: String, value: Option<Value>) -> Result<(), serde_json::Error> {
        let value = value.map(serde_json::from_value).transpose()?;
        self.restore(id, value);
        Ok(())
    }
}

/// SHA-256 of `bytes`, in hex.
fn digest(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Read the org of the data file at `data` with the changes its journal records.
pub(super) fn load(data: &Path) -> Result<OrgData, EmulatorError> {
    let bytes = std::fs::read(data).map_err(|e| EmulatorError::DataFile {
        path: data.display().to_string(),
        message: e.to_string(),
    })?;
    let mut org = parse_data(data, &bytes)?;
    replay(&journal_path(data), &digest(&bytes), &mut org)?;
    remove_leftover_temps(data);
    Ok(org)
}

/// Temp files of compactions of `data` start with this (`.<data file name>.tmp`), so a
/// compaction killed before its rename leaves a file that the next start recognises.
fn temp_prefix(data: &Path) -> String {
    let name = data.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.tmp")
}

/// Remove the temp files a killed compaction of `data` left behind; best effort (one that
/// cannot be removed is only wasted space). One emulator serves a data file at a time, so
/// no temp file found at start is still being written.
fn remove_leftover_temps(data: &Path) {
    let prefix = temp_prefix(data);
    let Ok(entries) = std::fs::read_dir(folder(data)) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Apply the journal at `path` to `org` (just read from the data file whose digest is
/// `base`). A last line cut off in mid-write is ignored; any other line that is not a
/// record is an error naming the line.
fn replay(path: &Path, base: &str, org: &mut OrgData) -> Result<(), EmulatorError> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(file_error(path, e.to_string())),
    };
    // After the last newline: empty, or a line cut off by a kill.
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    let torn = lines.len() - 1;
    let bad = |n: usize, message: String| file_error(path, format!("line {}: {message}", n + 1));
    for (n, line) in lines.iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        if n == 0 {
            match serde_json::from_slice::<Header>(line) {
                Ok(h) if h.base == base => continue,
                // Not this data file's journal: its records are in the file or void.
                Ok(_) => return Ok(()),
                Err(_) if n == torn => return Ok(()),
                Err(e) => return Err(bad(n, format!("not a journal header: {e}"))),
            }
        }
        match serde_json::from_slice::<Record>(line) {
            Ok(record) => apply(org, record).map_err(|m| bad(n, m))?,
            Err(_) if n == torn => break,
            Err(e) => return Err(bad(n, format!("not a journal record: {e}"))),
        }
    }
    Ok(())
}

fn file_error(path: &Path, message: String) -> EmulatorError {
    EmulatorError::DataFile {
        path: path.display().to_string(),
        message,
    }
}

/// Apply one record to `org`.
fn apply(org: &mut OrgData, record: Record) -> Result<(), String> {
    org.next_id = record.next_id;
    if let Some(o) = record.organization {
        org.organization = o;
    }
    for Change { table, id, value } in record.changes {
        let mut tables = org.tables_mut();
        let Some((_, rows)) = tables.iter_mut().find(|(name, _)| *name == table) else {
            return Err(format!("unknown table {table:?}"));
        };
        let what = format!("{table} {id:?}");
        rows.replay(id, value).map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

/// Write `bytes` to `path` atomically: a temp file in the same folder, fsync, rename,
/// fsync of the folder.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = folder(path);
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    sync_folder(dir);
    Ok(())
}

/// The folder holding `path` (`.` for a bare file name).
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Sync a folder, so a rename or a new file in it survives a crash; best effort.
fn sync_folder(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes the journal of one data file and compacts it.
pub(super) struct Journal {
    data: PathBuf,
    path: PathBuf,
    /// The journal, once this process has started one since the last compaction.
    file: Option<Arc<File>>,
    /// Bytes in the journal.
    written: u64,
    /// Past this many bytes the journal is compacted.
    bound: u64,
    /// Digest of the data file as last written.
    base: String,
    /// The id counter and organization as last recorded.
    next_id: u64,
    organization: Value,
    /// A record could not be written: compact at the next request, which writes
    /// everything in memory.
    stale: bool,
    syncer: Syncer,
}

impl Journal {
    /// The journal of the data file at `data`; nothing is written until
    /// [`Journal::compact`] or [`Journal::record`].
    pub(super) fn new(data: &Path) -> Journal {
        Journal {
            data: data.to_path_buf(),
            path: journal_path(data),
            file: None,
            written: 0,
            bound: MIN_BOUND,
            base: String::new(),
            next_id: 0,
            organization: Value::Null,
            stale: true,
            syncer: Syncer::new(folder(data)),
        }
    }

    /// Is there anything a compaction would fold into the data file?
    pub(super) fn pending(&self) -> bool {
        self.stale || self.written > 0
    }

    /// Write `org` whole as the data file and remove the journal.
    pub(super) fn compact(&mut self, org: &mut OrgData) -> Result<(), String> {
        for (_, rows) in org.tables_mut().iter_mut() {
            rows.forget();
        }
        let mut bytes =
            serde_json::to_vec(org).map_err(|e| format!("{}: {e}", self.data.display()))?;
        bytes.push(b'\n');
        self.stale = true;
        write_atomic(&self.data, &bytes)?;
        // Killed before this, the journal names the previous file and is ignored.
        self.file = None;
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", self.path.display())),
        }
        self.base = digest(&bytes);
        self.written = 0;
        self.bound = MIN_BOUND.max(bytes.len() as u64);
        self.next_id = org.next_id;
        self.organization = org.organization.clone();
        self.stale = false;
        Ok(())
    }

    /// Record what changed in `org` since the last record (or compaction): one line
    /// appended, or the whole org written when the journal is past its bound.
    pub(super) fn record(&mut self, org: &mut OrgData) -> Result<(), String> {
        if self.stale {
            return self.compact(org);
        }
        let mut changes = Vec::new();
        for (name, rows) in org.tables_mut().iter_mut() {
            rows.drain(name, &mut changes);
        }
        let organization =
            (org.organization != self.organization).then(|| org.organization.clone());
        if changes.is_empty() && organization.is_none() && org.next_id == self.next_id {
            return Ok(());
        }
        let record = Record {
            next_id: org.next_id,
            organization,
            changes,
        };
        let mut line = serde_json::to_vec(&record).expect("a record serializes");
        line.push(b'\n');
        if self.written + line.len() as u64 > self.bound {
            return self.compact(org);
        }
        if let Err(e) = self.append(&line) {
            self.stale = true;
            return Err(format!("{}: {e}", self.path.display()));
        }
        self.next_id = record.next_id;
        if let Some(o) = record.organization {
            self.organization = o;
        }
        Ok(())
    }

    /// Append `line` in one `write` (after the header, for a new journal).
    fn append(&mut self, line: &[u8]) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        if self.file.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                // Readable by its owner only, as the data file (a temp file renamed).
                .mode(0o600)
                .open(&self.path)?;
            self.file = Some(Arc::new(f));
            let header = Header {
                base: self.base.clone(),
            };
            bytes = serde_json::to_vec(&header).expect("a header serializes");
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(line);
        let file = self.file.clone().expect("opened above");
        (&*file).write_all(&bytes)?;
        self.written += bytes.len() as u64;
        self.syncer.written(&file);
        Ok(())
    }
}

/// Syncs the journal to disk [`SYNC_INTERVAL`] after a write, on a thread of its own, so
/// requests do not wait for the disk. The thread ends when the journal is dropped.
struct Syncer {
    dir: PathBuf,
    /// A sync is coming: writes since then need no new request.
    due: Arc<AtomicBool>,
    to_thread: Option<mpsc::Sender<Arc<File>>>,
}

impl Syncer {
    fn new(dir: &Path) -> Syncer {
        Syncer {
            dir: dir.to_path_buf(),
            due: Arc::new(AtomicBool::new(false)),
            to_thread: None,
        }
    }

    /// `file` was written to: make sure a sync follows.
    fn written(&mut self, file: &Arc<File>) {
        if self.due.swap(true, Ordering::SeqCst) {
            return;
        }
        if self.to_thread.is_none() {
            self.to_thread = self.spawn();
        }
        let sent = self
            .to_thread
            .as_ref()
            .is_some_and(|tx| tx.send(file.clone()).is_ok());
        if !sent {
            // No thread: sync here and now.
            self.due.store(false, Ordering::SeqCst);
            let _ = file.sync_data();
            sync_folder(&self.dir);
        }
    }

    fn spawn(&self) -> Option<mpsc::Sender<Arc<File>>> {
        let (tx, rx) = mpsc::channel::<Arc<File>>();
        let due = self.due.clone();
        let dir = self.dir.clone();
        std::thread::Builder::new()
            .name("genseed-emulator-journal".into())
            .spawn(move || {
                while let Ok(file) = rx.recv() {
                    std::thread::sleep(SYNC_INTERVAL);
                    // Writes from here on ask for the next sync; earlier ones are in this one.
                    due.store(false, Ordering::SeqCst);
                    let _ = file.sync_data();
                    sync_folder(&dir);
                }
            })
            .ok()?;
        Some(tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A data file of a fresh org in a temp folder, with its journal.
    fn started() -> (tempfile::TempDir, PathBuf, OrgData, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("org.json");
        let mut org = OrgData::fresh(7);
        let mut journal = Journal::new(&data);
        journal.compact(&mut org).unwrap();
        (dir, data, org, journal)
    }

    fn same(a: &OrgData, b: &OrgData) {
        assert_eq!(
            serde_json::to_value(a).unwrap(),
            serde_json::to_value(b).unwrap()
        );
    }

    /// Two requests: a user with a skill created, then a skill removed.
    fn two_requests(org: &mut OrgData, journal: &mut Journal) {
        let id = org.new_id(7);
        org.users
            .insert(id.clone(), json!({"id": id, "name": "Ann"}));
        org.user_skills
            .entry(id.clone())
            .or_default()
            .insert("s1".into(), 3.0);
        journal.record(org).unwrap();
        org.user_skills.remove(&id);
        journal.record(org).unwrap();
    }

    #[test]
    fn each_request_is_one_line_and_loading_replays_them() {
        let (_dir, data, mut org, mut journal) = started();
        let file_before = std::fs::read(&data).unwrap();
        two_requests(&mut org, &mut journal);
        journal.record(&mut org).unwrap();
        let text = std::fs::read_to_string(journal_path(&data)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "a header and two records: {text}");
        assert!(lines[0].starts_with(r#"{"base":""#), "{}", lines[0]);
        assert!(lines[1].contains(r#""table":"userSkills""#), "{}", lines[1]);
        assert!(
            lines[2].contains(r#""table":"userSkills""#) && !lines[2].contains("value"),
            "a removal has no value: {}",
            lines[2]
        );
        assert_eq!(
            std::fs::read(&data).unwrap(),
            file_before,
            "the data file is untouched"
        );
        same(&load(&data).unwrap(), &org);
        journal.compact(&mut org).unwrap();
        assert!(!journal_path(&data).exists());
        same(&load(&data).unwrap(), &org);
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_a_damaged_one_before_it_is_an_error() {
        let (_dir, data, mut org, mut journal) = started();
        two_requests(&mut org, &mut journal);
        let path = journal_path(&data);
        let whole = std::fs::read_to_string(&path).unwrap();
        // Killed in mid-write: the last line is cut off and has no newline.
        let last = whole.trim_end().rfind('\n').unwrap() + 1;
        std::fs::write(&path, &whole[..last + 20]).unwrap();
        let replayed = load(&data).unwrap();
        assert_eq!(replayed.user_skills.len(), 1, "the first record only");
        assert_eq!(replayed.next_id, org.next_id);
        // A damaged line that is not the last is not a kill: it is an error.
        let (head, tail) = whole.split_at(last);
        std::fs::write(&path, format!("{head}{{\"nextId\":\n{tail}")).unwrap();
        let e = load(&data).unwrap_err().to_string();
        assert!(
            e.contains("org.json.journal: line 3: not a journal record"),
            "{e}"
        );
    }

    #[test]
    fn a_journal_of_another_data_file_is_ignored() {
        let (_dir, data, mut org, mut journal) = started();
        two_requests(&mut org, &mut journal);
        let path = journal_path(&data);
        let old = std::fs::read(&path).unwrap();
        // Killed after a compaction's rename, before the journal was removed.
        journal.compact(&mut org).unwrap();
        std::fs::write(&path, &old).unwrap();
        same(&load(&data).unwrap(), &org);
        // The data file replaced by another org: the old journal does not apply to it.
        let mut fresh = OrgData::fresh(8);
        Journal::new(&data).compact(&mut fresh).unwrap();
        std::fs::write(&path, &old).unwrap();
        same(&load(&data).unwrap(), &fresh);
    }

    #[test]
    fn a_compaction_killed_before_its_rename_leaves_no_file_behind_the_next_start() {
        let (dir, data, org, _journal) = started();
        // What a compaction killed between writing its temp file and the rename leaves.
        let leftover = dir.path().join(format!("{}abc123", temp_prefix(&data)));
        std::fs::write(&leftover, b"{\"partial").unwrap();
        let other = dir.path().join(".other.json.tmpabc123");
        std::fs::write(&other, b"not ours").unwrap();
        same(&load(&data).unwrap(), &org);
        assert!(
            !leftover.exists(),
            "the killed compaction's temp file is removed"
        );
        assert!(other.exists(), "another file's temp file is left alone");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !names.iter().any(|n| n.starts_with(".tmp")),
            "compactions name their temp files after the data file: {names:?}"
        );
    }

    #[test]
    fn the_org_is_written_whole_when_the_journal_passes_its_bound() {
        let (_dir, data, mut org, mut journal) = started();
        let big = "x".repeat(10_000);
        let mut compactions = 0;
        for i in 0..300 {
            org.users
                .insert(format!("u{i}"), json!({"id": i, "note": big}));
            journal.record(&mut org).unwrap();
            if !journal_path(&data).exists() {
                compactions += 1;
            }
            let size = std::fs::metadata(journal_path(&data)).map_or(0, |m| m.len());
            assert!(size <= journal.bound, "{size} > {}", journal.bound);
        }
        assert!(compactions >= 1, "3 MB of records passed the 1 MiB bound");
        same(&load(&data).unwrap(), &org);
    }

    #[test]
    fn every_collection_of_the_data_file_is_a_journaled_table() {
        let mut org = OrgData::fresh(1);
        let keys: Vec<String> = serde_json::to_value(&org)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !["formatVersion", "nextId", "organization"].contains(&k.as_str()))
            .cloned()
            .collect();
        let names: Vec<String> = org
            .tables_mut()
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        assert_eq!(names, keys);
    }
}
