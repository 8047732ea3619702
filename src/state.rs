//! The local state file: which org an environment points at and the ID each declared
//! object resolved to.
//!
//! `.genseed/state/<env>.json` holds a format version, a serial that grows with every
//! write, the org id, and one entry per address (`kind/natural key`, lower-cased as keys
//! are matched) with the kind, the key as declared and the resolved ID. It is a cache,
//! never the source of truth: deleting it makes the next run adopt everything.
//!
//! Writes are atomic (temp file in the same folder, fsync, rename), and so is keeping the
//! previous file as `<env>.json.backup`. During an apply, each completed change is not a
//! rewrite of the whole file but one line appended to a journal beside it
//! (`<env>.json.journal`, see [`Journal`]); reading the state replays the journal, and the
//! file is rewritten whole (compacted) at the end of a run and whenever the journal grows
//! past the size of the state, so the cost of recording stays linear in the changes. A lock file (`<env>.lock`, an OS file lock
//! released when the process dies) stops two applies on one environment; taking it
//! removes the temp files (`.<env>.json.tmp*`) a killed run left behind. Loading refuses
//! a file of another environment, or one that records objects without naming its org;
//! [`check_writable`] finds, before the first change, a state that could not be saved.
//!
//! This module knows files, not HTTP or plans.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The state format this build reads and writes.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// Errors of the state layer; each names the path involved.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StateError {
    /// Reading, writing or renaming failed.
    // The cause is part of the message and deliberately not the error's `source`, so an
    // error chain does not print it twice.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// The file was written for another environment.
    #[error(
        "{path}: this state belongs to environment `{found}`, not `{env}`\nhint: a state file is per environment; it may have been copied or renamed by mistake: move it away (existing objects are adopted, nothing is duplicated)"
    )]
    OtherEnv {
        /// The file.
        path: PathBuf,
        /// The environment it names.
        found: String,
        /// The environment of this run.
        env: String,
    },
    /// The file records objects but not the org they live in.
    #[error(
        "{path}: this state records objects but names no org (`orgId` is missing), so it cannot be checked against the org of this environment\nhint: move the file away and run again; existing objects are adopted by name, nothing is duplicated"
    )]
    NoOrg {
        /// The file.
        path: PathBuf,
    },
    /// The state folder cannot take a state write (read-only, not a folder, disk full).
    #[error(
        "the state cannot be written ({path}: {cause}), so nothing was changed\nhint: genseed records every object it creates in the state folder; make it writable, free some disk space and move away anything in the way of the state files, then apply again"
    )]
    NotWritable {
        /// The folder or file.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// The file is not valid state JSON.
    #[error(
        "{path}: not a genseed state file: {message}\nhint: the state is only a cache; move the file away and run again (existing objects are adopted, nothing is duplicated)"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The file was written by a newer genseed.
    #[error(
        "{path}: state format {found} is newer than this genseed understands ({FORMAT_VERSION})"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its format version.
        found: u32,
    },
    /// Another process holds the lock.
    #[error("{path}: another genseed run{} holds the lock for this environment\nhint: wait for it to finish (the lock is released when that process ends, even if it is killed)", holder_part(.holder))]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Who holds it, as it wrote into the lock file.
        holder: Option<LockHolder>,
    },
}

/// One resolved object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// Its kind (`queue`).
    #[serde(default)]
    pub kind: String,
    /// Its natural key as declared (a name, or an e-mail for users).
    #[serde(default)]
    pub key: String,
    /// The object's ID in the org.
    pub id: String,
    /// Whether genseed created the object or adopted one that already existed (which
    /// decides what pruning may do with it). State files written before this was
    /// recorded read as `adopted`: the safe side, never deleted without
    /// `--prune-adopted`.
    #[serde(default)]
    pub origin: ResourceOrigin,
}

/// How an object came under genseed's management.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceOrigin {
    /// genseed created it: `--prune` deletes it once it is no longer declared.
    Created,
    /// It existed in the org and genseed took it over: pruning only forgets it.
    #[default]
    Adopted,
}

impl Resource {
    /// An entry for `kind`/`key` with `id`, adopted.
    pub fn new(kind: &str, key: &str, id: &str) -> Self {
        Resource {
            kind: kind.into(),
            key: key.into(),
            id: id.into(),
            origin: ResourceOrigin::Adopted,
        }
    }

    /// The same entry with `origin`.
    pub fn with_origin(mut self, origin: ResourceOrigin) -> Self {
        self.origin = origin;
        self
    }
}

/// The content of a state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// [`FORMAT_VERSION`] at the time of writing.
    pub format_version: u32,
    /// Grows by one with every write.
    pub serial: u64,
    /// The environment name.
    pub env: String,
    /// The org this state belongs to (`GET /api/v2/organizations/me`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// Resolved objects by address (`kind/key`), sorted.
    #[serde(default)]
    pub resources: BTreeMap<String, Resource>,
    /// A random id given to this state's history on its first save and kept by every
    /// later one; a saved plan records it, so a state file swapped for another one
    /// (with the same serial) is noticed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineage: Option<String>,
    /// The saved plan (`planId` of a plan file) the last `apply FILE` was running;
    /// running that file again resumes it. A plain `apply` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
}

impl State {
    /// An empty state for `env`.
    pub fn new(env: &str) -> Self {
        State {
            format_version: FORMAT_VERSION,
            serial: 0,
            env: env.to_string(),
            org_id: None,
            resources: BTreeMap::new(),
            lineage: None,
            plan_id: None,
        }
    }
}

/// Where an environment's state lives.
#[derive(Debug, Clone)]
pub struct StatePaths {
    /// `<dir>/<env>.json`
    pub file: PathBuf,
    /// `<dir>/<env>.json.backup`
    pub backup: PathBuf,
    /// `<dir>/<env>.lock`
    pub lock: PathBuf,
    /// `<dir>/<env>.json.journal`: changes recorded since the file was last written whole.
    pub journal: PathBuf,
}

impl StatePaths {
    /// The paths for `env` inside `dir` (usually `<project>/.genseed/state`).
    pub fn new(dir: &Path, env: &str) -> Self {
        StatePaths {
            file: dir.join(format!("{env}.json")),
            backup: dir.join(format!("{env}.json.backup")),
            lock: dir.join(format!("{env}.lock")),
            journal: dir.join(format!("{env}.json.journal")),
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |cause| StateError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

/// Read the state of an environment, with the changes its journal records since it was
/// last written whole; a missing file is an empty state.
pub(crate) fn load(paths: &StatePaths, env: &str) -> Result<State, StateError> {
    let mut state = load_file(paths, env)?;
    replay(paths, &mut state)?;
    if state.org_id.is_none() && !state.resources.is_empty() {
        return Err(StateError::NoOrg {
            path: paths.file.clone(),
        });
    }
    Ok(state)
}

/// The state file alone, checked (format, environment).
fn load_file(paths: &StatePaths, env: &str) -> Result<State, StateError> {
    let text = match fs::read_to_string(&paths.file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::new(env)),
        Err(e) => return Err(io(&paths.file)(e)),
    };
    let probe: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| StateError::Corrupt {
            path: paths.file.clone(),
            message: e.to_string(),
        })?;
    let found = probe
        .get("formatVersion")
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as u32;
    if found > FORMAT_VERSION {
        return Err(StateError::TooNew {
            path: paths.file.clone(),
            found,
        });
    }
    let state: State = serde_json::from_value(probe).map_err(|e| StateError::Corrupt {
        path: paths.file.clone(),
        message: e.to_string(),
    })?;
    if state.env != env {
        return Err(StateError::OtherEnv {
            path: paths.file.clone(),
            found: state.env,
            env: env.to_string(),
        });
    }
    Ok(state)
}

/// Checks, before anything is changed in the org, that `state` can be saved: the folder
/// exists or can be made, and a file of about the state's size can be written, synced and
/// renamed there (so a read-only folder, a path taken by a file, or a full disk is found
/// before the first change, not after it). Leaves nothing behind.
///
/// Any other file a run writes as it goes (such as a journal) should be checked the same
/// way, with [`check_folder_writable`] on its folder.
pub(crate) fn check_writable(paths: &StatePaths, state: &State) -> Result<(), StateError> {
    let dir = paths.file.parent().unwrap_or(Path::new("."));
    let size = serde_json::to_vec_pretty(state).map_or(0, |j| j.len());
    // Room for the state and its backup as they grow during the run.
    check_folder_writable(dir, &temp_prefix(paths), 2 * size + 64 * 1024)?;
    for target in [&paths.file, &paths.backup, &paths.journal] {
        if target.is_dir() {
            return Err(StateError::NotWritable {
                path: target.clone(),
                cause: std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a folder"),
            });
        }
    }
    Ok(())
}

/// Writes `bytes` bytes to a temp file (named `prefix…`) in `dir`, syncs it, renames it
/// once and removes it: what every atomic write there will need.
pub(crate) fn check_folder_writable(
    dir: &Path,
    prefix: &str,
    bytes: usize,
) -> Result<(), StateError> {
    let not_writable = |path: &Path| {
        let path = path.to_path_buf();
        move |cause| StateError::NotWritable { path, cause }
    };
    fs::create_dir_all(dir).map_err(not_writable(dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(prefix)
        .tempfile_in(dir)
        .map_err(not_writable(dir))?;
    let chunk = vec![b' '; bytes.min(1 << 20)];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len());
        tmp.write_all(&chunk[..n]).map_err(not_writable(dir))?;
        left -= n;
    }
    tmp.as_file().sync_all().map_err(not_writable(dir))?;
    let probe = dir.join(format!("{prefix}probe"));
    let moved = tmp
        .persist(&probe)
        .map_err(|e| not_writable(dir)(e.error))?;
    drop(moved);
    fs::remove_file(&probe).map_err(not_writable(&probe))
}

/// Temp files of `paths`' state start with this (`.<env>.json.tmp`).
fn temp_prefix(paths: &StatePaths) -> String {
    let name = paths.file.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.tmp")
}

/// Writes `bytes` to `target` atomically: a temp file in the same folder, fsync, rename.
fn write_atomic(paths: &StatePaths, target: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(paths))
        .tempfile_in(dir)
        .map_err(io(dir))?;
    tmp.write_all(bytes).map_err(io(tmp.path()))?;
    tmp.as_file().sync_all().map_err(io(target))?;
    tmp.persist(target).map_err(|e| io(target)(e.error))?;
    Ok(())
}

/// Removes the temp files a killed run left behind in the state folder. Call only while
/// holding the environment's lock (no other run is writing).
fn remove_stale_temp_files(paths: &StatePaths) {
    let dir = paths.file.parent().unwrap_or(Path::new("."));
    let prefix = temp_prefix(paths);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry.file_name().to_string_lossy().starts_with(&prefix)
            && entry.file_type().is_ok_and(|t| t.is_file());
        if stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Write `state` atomically: bump the serial, keep the previous file as a backup, write
/// a temp file in the same folder, fsync it, rename it over the state file, and fsync
/// the folder so the rename survives a crash. `state` must include what the journal
/// records (as [`load`] returns it): the journal is removed once the file is written.
pub(crate) fn save(paths: &StatePaths, state: &mut State) -> Result<(), StateError> {
    state.serial += 1;
    write_whole(paths, state)
}

/// [`save`] without bumping the serial: the content is what `state` already is (the
/// state file and its journal, compacted into one file).
fn write_whole(paths: &StatePaths, state: &mut State) -> Result<(), StateError> {
    let dir = paths.file.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io(dir))?;
    state.format_version = FORMAT_VERSION;
    if state.lineage.is_none() {
        state.lineage = Some(new_lineage());
    }
    let mut json = serde_json::to_vec_pretty(state).expect("state serializes");
    json.push(b'\n');
    match fs::read(&paths.file) {
        // The backup is replaced atomically too: a kill never leaves it empty.
        Ok(previous) => write_atomic(paths, &paths.backup, &previous)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&paths.file)(e)),
    }
    write_atomic(paths, &paths.file, &json)?;
    sync_folder(dir);
    // Killed before this, the journal's records are all at or below the file's serial
    // and are skipped when it is read.
    match fs::remove_file(&paths.journal) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(&paths.journal)(e)),
    }
}

/// Syncs a folder, so that a rename or a new file in it survives a crash; best effort.
fn sync_folder(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// How often, at most, the journal is synced to disk (`fdatasync`).
///
/// Every record is handed to the OS in one `write` before the change counts as recorded,
/// so a killed process (`kill -9`, a crash of genseed) loses nothing: the OS has the bytes.
/// Only a crash of the machine itself can lose what was written since the last sync, at
/// most this long: those objects exist in the org but not in the state, and the next run
/// adopts them by their natural key (no duplicates; `--prune` then treats them as
/// adopted, the safe side). Syncing every record would cost a disk flush per change.
const JOURNAL_SYNC_INTERVAL: Duration = Duration::from_millis(250);

/// Records past which the state is written whole and the journal emptied (at least this
/// many, and at least as many as the state has entries, so rewriting stays linear).
const JOURNAL_MIN_BOUND: usize = 4096;

/// One line of the journal: an entry set (`resource`) or removed (no `resource`), and the
/// serial the state has after it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JournalRecord {
    /// The state's serial once this change is applied.
    serial: u64,
    /// The lineage of the state this journal continues.
    lineage: String,
    /// The entry's address (`kind/key`, as in `resources`).
    addr: String,
    /// The new entry; absent when the entry is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource: Option<Resource>,
}

/// Applies the journal's records to `state` (just read from the state file).
///
/// Skipped: records at or below the file's serial (already written whole: a run killed
/// between the rewrite and removing the journal), records of another lineage (the state
/// file was deleted or replaced; its journal no longer applies), and a last line cut off
/// by a kill in mid-write. A record that skips serials, or a damaged line that is not the
/// last, is an error: the journal does not continue this file.
fn replay(paths: &StatePaths, state: &mut State) -> Result<(), StateError> {
    let text = match fs::read(&paths.journal) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(&paths.journal)(e)),
    };
    let corrupt = |n: usize, message: String| StateError::Corrupt {
        path: paths.journal.clone(),
        message: format!("line {}: {message}", n + 1),
    };
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    for (n, line) in lines.iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        let record: JournalRecord = match serde_json::from_slice(line) {
            Ok(r) => r,
            // Only the last line can be torn (it then has no newline after it).
            Err(_) if n + 1 == lines.len() => break,
            Err(e) => return Err(corrupt(n, e.to_string())),
        };
        if state.lineage.as_deref() != Some(record.lineage.as_str())
            || record.serial <= state.serial
        {
            continue;
        }
        if record.serial != state.serial + 1 {
            return Err(corrupt(
                n,
                format!(
                    "serial {} does not follow the state file's {}",
                    record.serial, state.serial
                ),
            ));
        }
        state.serial = record.serial;
        match record.resource {
            Some(r) => state.resources.insert(record.addr, r),
            None => state.resources.remove(&record.addr),
        };
    }
    Ok(())
}

/// Records the changes of one run: each as a line appended to the journal, the state
/// written whole for the first change (which gives a new state its lineage and folds in
/// what an earlier, killed run left in the journal), whenever the journal passes its
/// bound, and by [`Journal::compact`] at the end.
#[derive(Debug)]
pub(crate) struct Journal {
    paths: StatePaths,
    /// Records appended since the state was last written whole; `None` before that first
    /// write of this run.
    pending: Option<usize>,
    /// When the journal was last synced to disk.
    synced: Instant,
}

impl Journal {
    /// The journal of the state at `paths`.
    pub(crate) fn new(paths: StatePaths) -> Self {
        Journal {
            paths,
            pending: None,
            synced: Instant::now(),
        }
    }

    /// Sets (`Some`) or removes (`None`) the entry at `addr` in `state` and records it.
    pub(crate) fn change(
        &mut self,
        state: &mut State,
        addr: &str,
        resource: Option<Resource>,
    ) -> Result<(), StateError> {
        match &resource {
            Some(r) => state.resources.insert(addr.to_string(), r.clone()),
            None => state.resources.remove(addr),
        };
        let bound = JOURNAL_MIN_BOUND.max(state.resources.len());
        let lineage = match (&state.lineage, self.pending) {
            (Some(lineage), Some(pending)) if pending < bound => lineage.clone(),
            _ => return self.save(state),
        };
        state.serial += 1;
        let record = JournalRecord {
            serial: state.serial,
            lineage,
            addr: addr.to_string(),
            resource,
        };
        let mut line = serde_json::to_vec(&record).expect("a journal record serializes");
        line.push(b'\n');
        self.append(&line)?;
        self.pending = self.pending.map(|p| p + 1);
        Ok(())
    }

    /// Writes `state` whole ([`save`]: the serial grows) and empties the journal.
    pub(crate) fn save(&mut self, state: &mut State) -> Result<(), StateError> {
        save(&self.paths, state)?;
        self.pending = Some(0);
        Ok(())
    }

    /// Folds the journal into the state file (at the end of a run): the same content and
    /// serial in one file.
    pub(crate) fn compact(&mut self, state: &mut State) -> Result<(), StateError> {
        if self.pending.is_some_and(|p| p > 0) {
            write_whole(&self.paths, state)?;
            self.pending = Some(0);
        }
        Ok(())
    }

    /// Appends one line in one `write`; opened per record, so a state folder moved or
    /// removed mid-run is noticed at the next change rather than written past.
    fn append(&mut self, line: &[u8]) -> Result<(), StateError> {
        let path = &self.paths.journal;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            // Readable by its owner only, as the state file (a temp file renamed) is.
            .mode(0o600)
            .open(path)
            .map_err(io(path))?;
        file.write_all(line).map_err(io(path))?;
        if self.synced.elapsed() >= JOURNAL_SYNC_INTERVAL {
            file.sync_data().map_err(io(path))?;
            sync_folder(path.parent().unwrap_or(Path::new(".")));
            self.synced = Instant::now();
        }
        Ok(())
    }
}

/// A fresh lineage id: 128 random bits in hex.
fn new_lineage() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// The process holding a lock, as written into the lock file (`pid N since UNIX-SECS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LockHolder {
    /// Its process id.
    pub pid: u32,
    /// When it took the lock, in seconds since the Unix epoch.
    pub since: u64,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl LockHolder {
    fn parse(text: &str) -> Option<LockHolder> {
        let rest = text.trim().strip_prefix("pid ")?;
        let (pid, since) = rest.split_once(" since ")?;
        Some(LockHolder {
            pid: pid.parse().ok()?,
            since: since.parse().ok()?,
        })
    }
}

/// ` (process 1234, for 2 min 5 s)` when the holder is known.
fn holder_part(holder: &Option<LockHolder>) -> String {
    let Some(h) = holder else {
        return String::new();
    };
    let secs = unix_now().saturating_sub(h.since);
    let age = match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs / 60 % 60),
    };
    format!(" (process {}, holding it for {age})", h.pid)
}

/// An exclusive lock on an environment, held until dropped (or the process dies).
#[derive(Debug)]
pub(crate) struct StateLock {
    _file: File,
}

/// Take the environment's lock without waiting.
pub(crate) fn lock(paths: &StatePaths) -> Result<StateLock, StateError> {
    let dir = paths.lock.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io(dir))?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&paths.lock)
        .map_err(io(&paths.lock))?;
    match file.try_lock() {
        Ok(()) => {
            // Who holds it, for the message another run shows; best effort.
            let mut file = file;
            let _ = file
                .set_len(0)
                .and_then(|()| writeln!(file, "pid {} since {}", std::process::id(), unix_now()));
            remove_stale_temp_files(paths);
            Ok(StateLock { _file: file })
        }
        Err(fs::TryLockError::WouldBlock) => Err(StateError::Locked {
            path: paths.lock.clone(),
            holder: fs::read_to_string(&paths.lock)
                .ok()
                .and_then(|t| LockHolder::parse(&t)),
        }),
        Err(fs::TryLockError::Error(e)) => Err(io(&paths.lock)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::for_tests::skill as skill_kind;

    fn saved_state(paths: &StatePaths) -> State {
        let mut s = State::new("dev");
        s.org_id = Some("org".into());
        save(paths, &mut s).unwrap();
        s
    }

    fn skill(key: &str, id: &str) -> Resource {
        Resource::new(skill_kind(), key, id).with_origin(ResourceOrigin::Created)
    }

    #[test]
    fn changes_go_to_the_journal_and_are_read_back_then_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(dir.path(), "dev");
        let mut s = saved_state(&paths);
        let mut journal = Journal::new(paths.clone());
        // The first change of a run writes the file whole; the next ones are appended.
        journal
            .change(&mut s, "skill/a", Some(skill("A", "1")))
            .unwrap();
        assert!(!paths.journal.exists());
        journal
            .change(&mut s, "skill/b", Some(skill("B", "2")))
            .unwrap();
        journal.change(&mut s, "skill/a", None).unwrap();
        let lines = fs::read_to_string(&paths.journal).unwrap();
        assert_eq!(lines.lines().count(), 2, "{lines}");
        let on_file: State =
            serde_json::from_str(&fs::read_to_string(&paths.file).unwrap()).unwrap();
        assert_eq!(
            on_file.resources.len(),
            1,
            "the file alone has only skill/a"
        );
        let back = load(&paths, "dev").unwrap();
        assert_eq!(back, s);
        assert_eq!(back.serial, 4);
        journal.compact(&mut s).unwrap();
        assert!(!paths.journal.exists());
        assert_eq!(
            load(&paths, "dev").unwrap(),
            s,
            "compaction keeps the serial"
        );
        let on_file: State =
            serde_json::from_str(&fs::read_to_string(&paths.file).unwrap()).unwrap();
        assert_eq!(on_file, s);
    }

    /// A saved state with two skills recorded by a journal: the first written whole, the
    /// second as the journal's one line.
    fn two_changes(paths: &StatePaths) -> State {
        let mut s = saved_state(paths);
        let mut journal = Journal::new(paths.clone());
        journal
            .change(&mut s, "skill/a", Some(skill("A", "1")))
            .unwrap();
        journal
            .change(&mut s, "skill/b", Some(skill("B", "2")))
            .unwrap();
        s
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_a_damaged_one_before_it_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(dir.path(), "dev");
        let s = two_changes(&paths);
        let whole = fs::read_to_string(&paths.journal).unwrap();
        // Killed in mid-write: the second line is cut off.
        let mut file = OpenOptions::new()
            .append(true)
            .open(&paths.journal)
            .unwrap();
        file.write_all(br#"{"serial":9,"lineage":"#).unwrap();
        assert_eq!(load(&paths, "dev").unwrap(), s);
        // The same damage followed by a complete line is not a torn write.
        fs::write(&paths.journal, format!("{{\"serial\":\n{whole}")).unwrap();
        let err = load(&paths, "dev").unwrap_err();
        assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
        let shown = err.to_string();
        assert!(
            shown.contains("dev.json.journal: not a genseed state file: line 1:"),
            "{shown}"
        );
    }

    #[test]
    fn records_already_compacted_or_of_another_state_are_skipped_and_a_gap_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(dir.path(), "dev");
        let s = two_changes(&paths);
        let lines = fs::read_to_string(&paths.journal).unwrap();
        // Killed after the compacting rewrite, before the journal was removed.
        let mut s = s;
        write_whole(&paths, &mut s).unwrap();
        fs::write(&paths.journal, &lines).unwrap();
        assert_eq!(load(&paths, "dev").unwrap(), s);
        // The state file deleted (the documented way to start over): its journal is void.
        fs::remove_file(&paths.file).unwrap();
        assert!(load(&paths, "dev").unwrap().resources.is_empty());
        // A journal that skips serials does not continue this file.
        let mut old = State::new("dev");
        old.org_id = Some("org".into());
        old.lineage = s.lineage.clone();
        old.serial = 1;
        let json = serde_json::to_string(&old).unwrap();
        fs::write(&paths.file, json).unwrap();
        fs::write(&paths.journal, &lines).unwrap();
        let err = load(&paths, "dev").unwrap_err();
        assert!(err.to_string().contains("does not follow"), "{err}");
    }

    #[test]
    fn the_state_is_written_whole_when_the_journal_passes_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(dir.path(), "dev");
        let mut s = saved_state(&paths);
        let mut journal = Journal::new(paths.clone());
        // The same entry set and removed: the state stays small, the journal grows.
        for i in 0..JOURNAL_MIN_BOUND + 3 {
            let entry = (i % 2 == 0).then(|| skill("A", "1"));
            journal.change(&mut s, "skill/a", entry).unwrap();
        }
        // One whole write, the bound's worth of lines, one whole write, one line.
        let lines = fs::read_to_string(&paths.journal).unwrap().lines().count();
        assert_eq!(lines, 1);
        assert_eq!(load(&paths, "dev").unwrap(), s);
    }

    #[test]
    fn missing_file_is_empty_state() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(dir.path(), "dev");
        let s = load(&paths, "dev").unwrap();
        assert_eq!(s.serial, 0);
        assert!(s.resources.is_empty());
    }

    #[test]
    fn save_round_trips_bumps_serial_and_keeps_backup() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(&dir.path().join("state"), "dev");
        let mut s = State::new("dev");
        s.org_id = Some("org".into());
        s.resources.insert(
            format!("{}/billing", skill_kind()),
            Resource::new(skill_kind(), "Billing", "a"),
        );
        save(&paths, &mut s).unwrap();
        s.resources.insert(
            format!("{}/sales", skill_kind()),
            Resource::new(skill_kind(), "Sales", "b"),
        );
        save(&paths, &mut s).unwrap();
        let back = load(&paths, "dev").unwrap();
        assert_eq!(back.serial, 2);
        assert_eq!(back.resources.len(), 2);
        let backup: State =
            serde_json::from_str(&fs::read_to_string(&paths.backup).unwrap()).unwrap();
        assert_eq!(backup.serial, 1);
        assert_eq!(backup.resources.len(), 1);
    }

    #[test]
    fn the_first_save_gives_a_lineage_that_later_saves_keep() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(dir.path(), "dev");
        let mut s = State::new("dev");
        assert_eq!(s.lineage, None);
        save(&paths, &mut s).unwrap();
        let first = load(&paths, "dev").unwrap().lineage.expect("a lineage");
        assert_eq!(first.len(), 32);
        save(&paths, &mut s).unwrap();
        assert_eq!(load(&paths, "dev").unwrap().lineage, Some(first.clone()));
        let mut other = State::new("dev");
        save(&StatePaths::new(&dir.path().join("b"), "dev"), &mut other).unwrap();
        assert_ne!(other.lineage, Some(first));
    }

    #[test]
    fn origin_is_recorded_and_old_entries_read_as_adopted() {
        let old: Resource =
            serde_json::from_str(r#"{"kind": "skill", "key": "A", "id": "1"}"#).unwrap();
        assert_eq!(old.origin, ResourceOrigin::Adopted);
        let created = Resource::new(skill_kind(), "A", "1").with_origin(ResourceOrigin::Created);
        let text = serde_json::to_string(&created).unwrap();
        assert!(text.contains(r#""origin":"created""#), "{text}");
        assert_eq!(serde_json::from_str::<Resource>(&text).unwrap(), created);
    }

    #[test]
    fn newer_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(dir.path(), "dev");
        fs::write(
            &paths.file,
            r#"{"formatVersion": 99, "serial": 1, "env": "dev"}"#,
        )
        .unwrap();
        assert!(matches!(
            load(&paths, "dev"),
            Err(StateError::TooNew { .. })
        ));
        fs::write(&paths.file, "not json").unwrap();
        assert!(matches!(
            load(&paths, "dev"),
            Err(StateError::Corrupt { .. })
        ));
    }

    #[test]
    fn another_environment_or_a_missing_org_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(dir.path(), "dev");
        fs::write(
            &paths.file,
            r#"{"formatVersion": 1, "serial": 1, "env": "prod", "orgId": "o"}"#,
        )
        .unwrap();
        let err = load(&paths, "dev").unwrap_err();
        assert!(matches!(err, StateError::OtherEnv { .. }), "{err}");
        assert!(err.to_string().contains("hint: "), "{err}");
        let no_org = r#"{"formatVersion": 1, "serial": 1, "env": "dev",
            "resources": {"skill/a": {"kind": "skill", "key": "A", "id": "1"}}}"#;
        fs::write(&paths.file, no_org).unwrap();
        assert!(matches!(load(&paths, "dev"), Err(StateError::NoOrg { .. })));
        // Without objects there is nothing to trust wrongly.
        fs::write(
            &paths.file,
            r#"{"formatVersion": 1, "serial": 1, "env": "dev"}"#,
        )
        .unwrap();
        assert!(load(&paths, "dev").is_ok());
    }

    #[test]
    fn writability_is_checked_without_leaving_anything_behind() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(&dir.path().join("state"), "dev");
        check_writable(&paths, &State::new("dev")).unwrap();
        assert_eq!(fs::read_dir(dir.path().join("state")).unwrap().count(), 0);
        // A file where the folder should be (root bypasses permissions, not this).
        let blocked = tempfile::tempdir().unwrap();
        fs::write(blocked.path().join("state"), "").unwrap();
        let paths = StatePaths::new(&blocked.path().join("state"), "dev");
        let err = check_writable(&paths, &State::new("dev")).unwrap_err();
        assert!(matches!(err, StateError::NotWritable { .. }), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(dir.path(), "dev");
        fs::create_dir(&paths.file).unwrap();
        assert!(check_writable(&paths, &State::new("dev")).is_err());
    }

    /// A tiny tmpfs mounted for one test, unmounted when dropped.
    struct TinyDisk(tempfile::TempDir);

    impl TinyDisk {
        /// `None` where mounting is not allowed (not root, no tmpfs).
        fn mount() -> Option<TinyDisk> {
            let dir = tempfile::tempdir().ok()?;
            let mounted = std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
                .arg(dir.path())
                .stderr(std::process::Stdio::null())
                .status();
            mounted.is_ok_and(|s| s.success()).then_some(TinyDisk(dir))
        }
    }

    impl Drop for TinyDisk {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg(self.0.path())
                .status();
        }
    }

    #[test]
    fn a_full_disk_is_found_before_the_first_change() {
        let Some(disk) = TinyDisk::mount() else {
            return; // cannot mount here; the other writability checks still run
        };
        let paths = StatePaths::new(&disk.0.path().join("state"), "dev");
        let mut s = State::new("dev");
        s.org_id = Some("org".into());
        save(&paths, &mut s).unwrap();
        let filler = vec![b'x'; 40 * 1024];
        fs::write(disk.0.path().join("filler"), filler).unwrap();
        let err = check_writable(&paths, &s).unwrap_err();
        assert!(matches!(err, StateError::NotWritable { .. }), "{err}");
        // Nothing left behind, the state intact.
        assert_eq!(
            fs::read_dir(disk.0.path().join("state")).unwrap().count(),
            1
        );
        assert_eq!(load(&paths, "dev").unwrap(), s);
    }

    #[test]
    fn io_errors_name_their_cause_once_in_a_chain() {
        let err = anyhow::Error::from(io(Path::new("x.json"))(std::io::Error::from_raw_os_error(
            13,
        )));
        let shown = format!("{err:#}");
        assert_eq!(shown.matches("os error 13").count(), 1, "{shown}");
    }

    #[test]
    fn the_backup_is_replaced_atomically_and_stale_temp_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(dir.path(), "dev");
        let mut s = State::new("dev");
        save(&paths, &mut s).unwrap();
        // The backup is replaced, never written in place: a file it shares its inode
        // with (a hard link here; an in-place write is also what a kill can leave empty)
        // keeps its content.
        let other = dir.path().join("other");
        fs::write(&other, "unrelated").unwrap();
        fs::remove_file(&paths.backup).ok();
        fs::hard_link(&other, &paths.backup).unwrap();
        save(&paths, &mut s).unwrap();
        assert_eq!(fs::read_to_string(&other).unwrap(), "unrelated");
        let backup: State =
            serde_json::from_str(&fs::read_to_string(&paths.backup).unwrap()).unwrap();
        assert_eq!(backup.serial, 1);
        let stale = dir.path().join(".dev.json.tmpAbC123");
        fs::write(&stale, "half").unwrap();
        let theirs = dir.path().join(".prod.json.tmpAbC123");
        fs::write(&theirs, "theirs").unwrap();
        let _lock = lock(&paths).unwrap();
        assert!(!stale.exists());
        assert!(theirs.exists());
    }

    #[test]
    fn second_lock_is_refused_until_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(dir.path(), "dev");
        let first = lock(&paths).unwrap();
        assert!(matches!(lock(&paths), Err(StateError::Locked { .. })));
        drop(first);
        lock(&paths).unwrap();
    }

    #[test]
    fn the_lock_error_names_the_holder_and_since_when() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths::new(dir.path(), "dev");
        let _first = lock(&paths).unwrap();
        let err = lock(&paths).unwrap_err();
        let StateError::Locked { holder, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(holder.map(|h| h.pid), Some(std::process::id()));
        let shown = err.to_string();
        assert!(
            shown.contains(&format!("(process {}, holding it for ", std::process::id())),
            "{shown}"
        );
        assert!(shown.contains("hint: wait for it to finish"), "{shown}");
        assert_eq!(
            LockHolder::parse("pid 42 since 1700000000\n"),
            Some(LockHolder {
                pid: 42,
                since: 1_700_000_000
            })
        );
        assert_eq!(LockHolder::parse("garbage"), None);
    }
}
