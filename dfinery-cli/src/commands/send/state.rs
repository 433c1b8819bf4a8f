//! The state of a send kept beside the file (`FILE.dfinery-send/`): the Tracker's spool and
//! `progress.json`, which says which file it is (its size and modification time) and the line
//! up to which every event was handed to the spool. `--resume` continues from there.
//! `event-log-ids.bin` records the `event_log_id`s the file gives, so that a resumed send still
//! names a line that repeats the id of a line sent before the interruption. `send.lock` is held
//! (an OS lock on it) by the one send that uses the folder. `.dfinery-send-state` says the
//! folder holds a send's state (a folder given with `--state-dir` may hold other files, under
//! the same names too, which are never taken for a send's, nor deleted).

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::exit::CliError;

/// The progress of a send, as `progress.json` holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The file's size in bytes.
    pub len: u64,
    /// The file's modification time, in nanoseconds since the Unix epoch.
    pub modified_ns: u128,
    /// Every event on lines up to this one (from 1; 0 for none) is in the spool or delivered.
    pub queued_through_line: u64,
    /// The file sent (absolute): a `--state-dir` given to the sends of several files holds one
    /// send at a time. Absent in the progress of earlier versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// How much of the record of ids this checkpoint covers. Absent in the progress of earlier
    /// versions, which kept no record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<IdsMark>,
}

/// How much of the record of `event_log_id`s (`event-log-ids.bin`) a checkpoint covers.
///
/// The record holds one entry per line up to the checkpoint that gives its own `event_log_id`
/// (a line without one gets an id made from its number and text, which no other line has): the
/// 16 bytes of the id, then the line number (8 bytes, little-endian), in line order. Entries are
/// appended and synced to disk before the checkpoint that counts them is written, so a crash
/// can leave entries after the checkpoint's (dropped on resume), never fewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdsMark {
    /// Entries of the record the checkpoint covers (those of the lines up to
    /// `queued_through_line`).
    pub entries: u64,
    /// The record holds the lines after this one (0: every line). A send begun by an earlier
    /// version, which kept no record, and resumed after line N records from line N + 1 on.
    pub after_line: u64,
}

/// Bytes of one entry of the record of ids: the id, then the line number.
const ID_ENTRY: u64 = 24;

/// The lock file in the folder (see [`StateDir::lock`]).
const LOCK_FILE: &str = "send.lock";

/// How many times, 10 ms apart, a refused send reads the lock file again for the holder's id
/// when it finds it empty (the holder writes it just after it locks).
const BUSY_READS: usize = 20;

/// The file saying the folder holds a send's state (see [`StateDir::held`]): written before
/// the first checkpoint, deleted after the send's other files.
const MARKER: &str = ".dfinery-send-state";

/// What [`MARKER`] holds, for whoever opens it.
const MARKER_TEXT: &str = "This folder holds the state of a `dfinery send` (its spool and progress): `dfinery send FILE --resume` continues it, `--restart` discards it.\n";

/// What a state folder holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// None of the files a send writes.
    Nothing,
    /// A send's state: an interrupted send's, or a running one's.
    Send,
    /// This file, under one of the names a send writes, is not a send's: the folder was given
    /// with `--state-dir`, the send did not make it nor mark it, and it holds no `progress.json`
    /// of a send.
    Foreign(PathBuf),
}

/// A send's exclusive hold on its state folder, from [`StateDir::lock`]: the OS lock on
/// `send.lock`, released when this is dropped (or the process ends). Dropped while the folder
/// holds no send (the run stopped before its first checkpoint, or sent nothing), it deletes
/// the lock file, and the folder when the send made it; a complete send removes them with
/// [`StateLock::remove`].
#[derive(Debug)]
pub struct StateLock {
    state: StateDir,
    /// Locked; closing it releases the lock, after [`Drop::drop`] ran.
    file: std::fs::File,
    /// The folder was removed through this lock: it is no longer this send's.
    removed: bool,
}

impl StateLock {
    /// Deletes the send's files, its lock file and the folder it made (see
    /// [`StateDir::remove`]): the send is complete. The lock is released then, and the folder
    /// is left to whichever send takes it next.
    ///
    /// # Errors
    ///
    /// A configuration error when a file of the send cannot be deleted.
    pub fn remove(mut self) -> Result<(), CliError> {
        self.removed = true;
        self.state.remove()
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Only while `send.lock` is still the file this holds locked: once it was deleted (the
        // send completed), the folder may already be another send's, lock file and all.
        if !self.removed && is_current(&self.file, &self.state.lock_path()) && !self.state.exists()
        {
            let _ = self.state.remove();
        }
    }
}

/// Whether `path` still names the file `file` is open on (not deleted, nor replaced by
/// another). Elsewhere than Unix: assumed.
fn is_current(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(open), Ok(named)) => (open.dev(), open.ino()) == (named.dev(), named.ino()),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

/// Whether `text` is what a send writes in `send.lock`: its process id on the first line (then
/// the file it sends), or nothing yet.
fn is_lock_text(text: &[u8]) -> bool {
    let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
    text.is_empty() || std::str::from_utf8(first).is_ok_and(|pid| pid.trim().parse::<u32>().is_ok())
}

/// Syncs the folder `path` to disk (its entries: a file renamed or made in it), on Unix. A
/// file system that cannot sync a folder (it answers `EINVAL`) is taken as synced, as is any
/// folder elsewhere than Unix.
fn sync_folder(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        match std::fs::File::open(path).and_then(|folder| folder.sync_all()) {
            Err(err) if err.kind() == std::io::ErrorKind::InvalidInput => Ok(()),
            other => other,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// The folder of one file's send.
#[derive(Debug, Clone)]
pub struct StateDir {
    path: PathBuf,
    /// The file sent, as an absolute path (written in `send.lock` for a send it refuses).
    file: PathBuf,
    /// The folder is, or is in, one given with `--state-dir`: it may hold the user's files.
    given: bool,
}

impl StateDir {
    /// `dir` (given with `--state-dir`), or `FILE.dfinery-send` beside `file`.
    pub fn new(file: &Path, dir: Option<&Path>) -> StateDir {
        let path = dir.map_or_else(
            || {
                let mut name = file.file_name().unwrap_or_default().to_owned();
                name.push(".dfinery-send");
                file.with_file_name(name)
            },
            Path::to_owned,
        );
        StateDir::at(file, path, dir.is_some())
    }

    /// The folder `path` for the send of `file`; `given` when it is, or is in, a folder given
    /// with `--state-dir` (one named after the file is the send's own).
    pub fn at(file: &Path, path: PathBuf, given: bool) -> StateDir {
        let file = std::path::absolute(file).unwrap_or_else(|_| file.to_owned());
        StateDir { path, file, given }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The Tracker's spool file.
    pub fn spool(&self) -> PathBuf {
        self.path.join("spool.redb")
    }

    fn progress_path(&self) -> PathBuf {
        self.path.join("progress.json")
    }

    /// The record of the `event_log_id`s the file gives (see [`IdsMark`]).
    fn ids_path(&self) -> PathBuf {
        self.path.join("event-log-ids.bin")
    }

    /// The file whose OS lock the one send using the folder holds (see [`lock`](Self::lock)).
    pub fn lock_path(&self) -> PathBuf {
        self.path.join(LOCK_FILE)
    }

    /// The file saying the folder holds a send's state.
    fn marker(&self) -> PathBuf {
        self.path.join(MARKER)
    }

    /// Makes the folder (and the folders above it that are missing) unless it exists, and the
    /// marker saying the send made it.
    ///
    /// # Errors
    ///
    /// A configuration error when the path is not a folder or the folder cannot be made.
    fn make_folder(&self) -> Result<(), CliError> {
        if self.path.exists() && !self.path.is_dir() {
            return Err(CliError::config(format!(
                "the send state `{}` is not a folder; give `--state-dir` a folder (it is created when missing)",
                self.path.display()
            )));
        }
        if !self.path.exists() {
            // The folders above it that are made with it, removed with it when left empty.
            let parents = self
                .path
                .ancestors()
                .skip(1)
                .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
                .count();
            std::fs::create_dir_all(&self.path).map_err(|err| self.error("create", &err))?;
            std::fs::write(self.made_here(), parents.to_string())
                .map_err(|err| self.error("write", &err))?;
        }
        Ok(())
    }

    /// Takes the folder for this process: an exclusive OS lock on `send.lock` in it (made, with
    /// the folder, when missing), held until the [`StateLock`] is dropped, i.e. for the send's
    /// life. A second `dfinery send` on the same folder is refused at once, before it reads or
    /// writes any of the send's files. The OS releases the lock when its process ends, killed
    /// or not, so a `send.lock` left behind blocks nothing.
    ///
    /// # Errors
    ///
    /// A configuration error when another process holds the lock, or the folder or the lock
    /// file cannot be made or locked.
    pub fn lock(&self) -> Result<StateLock, CliError> {
        use std::fs::TryLockError;
        use std::io::Write;
        let path = self.lock_path();
        // One that is not a send's lock (which holds a process id, or nothing yet) is the
        // user's: not written over.
        if std::fs::read(&path).is_ok_and(|text| !is_lock_text(&text)) {
            return Err(self.foreign(&path));
        }
        // A send that completes deletes `send.lock` (and its folder) while it holds the lock: a
        // process that opened the file before that, and locked it after, holds a lock on a
        // deleted file, which no later process sees. It tries again on the file the path names.
        for _ in 0..10 {
            self.make_folder()?;
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|err| self.lock_error("open", &path, &err))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Err(self.busy(&path)),
                Err(TryLockError::Error(err)) => return Err(self.lock_error("lock", &path, &err)),
            }
            if !is_current(&file, &path) {
                continue;
            }
            // Which process holds it, sending which file, for the message of a send refused;
            // not needed to lock. One write, so that a reader sees all of it or nothing.
            let holder = format!("{}\n{}\n", std::process::id(), self.file.display());
            let _ = file
                .set_len(0)
                .and_then(|()| file.write_all(holder.as_bytes()));
            return Ok(StateLock {
                state: self.clone(),
                file,
                removed: false,
            });
        }
        Err(CliError::config(format!(
            "cannot lock `{}`: it was deleted each time it was locked; another `dfinery send` is starting and ending sends in `{}` over and over; wait for it to finish",
            path.display(),
            self.path.display()
        )))
    }

    /// The error of a send refused because another holds `lock` (the process's id and the file
    /// it sends are written in it, when they can be read). Only a send of the same file is
    /// told to take over with `--resume`: the folder would refuse another file's.
    fn busy(&self, lock: &Path) -> CliError {
        // The holder writes its id just after it locks: a send refused in between finds the
        // file empty, and waits a little for the id rather than leave it out (a fifth of the
        // sends started at the same instant did).
        let mut text = std::fs::read_to_string(lock).unwrap_or_default();
        for _ in 0..BUSY_READS {
            if !text.trim().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
            text = std::fs::read_to_string(lock).unwrap_or_default();
        }
        let (pid, sending) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        let holder = pid
            .trim()
            .parse::<u32>()
            .map_or_else(|_| String::new(), |pid| format!(" (process {pid})"));
        // An earlier lock file holds the id alone: taken for the same file's.
        let sending = sending.strip_suffix('\n').unwrap_or(sending);
        let (other, fix) = if sending.is_empty() || sending == self.file.display().to_string() {
            (
                String::new(),
                "wait for it to finish (or stop it with Ctrl-C or SIGTERM, then run this send with `--resume`)",
            )
        } else {
            (format!(", sending `{sending}`"), "wait for it to finish")
        };
        CliError::config(format!(
            "another `dfinery send`{holder} is using the send state `{}`: it holds `{}` locked{other}; {fix}, or give this send another `--state-dir`",
            self.path.display(),
            lock.display()
        ))
    }

    fn lock_error(&self, what: &str, lock: &Path, err: &std::io::Error) -> CliError {
        CliError::config(format!(
            "cannot {what} `{}`, the lock of the send state: {err}; give `--state-dir` a folder this user can write, on a file system that takes locks",
            lock.display()
        ))
    }

    /// Cuts the record of ids to the `entries` a checkpoint counts, dropping what a crash left
    /// after it. False when it holds fewer (it was deleted or cut): the ids of the lines before
    /// the resume point are not known then.
    ///
    /// # Errors
    ///
    /// A configuration error when the record cannot be cut.
    pub fn cut_ids(&self, entries: u64) -> Result<bool, CliError> {
        // No folder yet (or not a folder, which the progress's write then reports): no record.
        if !self.path.is_dir() {
            return Ok(entries == 0);
        }
        let path = self.ids_path();
        let file = match std::fs::OpenOptions::new().write(true).open(&path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(entries == 0),
            Err(err) => return Err(self.ids_error("write", &err)),
        };
        let len = file
            .metadata()
            .map_err(|err| self.ids_error("read", &err))?
            .len();
        let keep = entries.saturating_mul(ID_ENTRY);
        if len < keep {
            file.set_len(0)
                .map_err(|err| self.ids_error("write", &err))?;
            return Ok(false);
        }
        file.set_len(keep)
            .map_err(|err| self.ids_error("write", &err))?;
        Ok(true)
    }

    /// Appends `ids` (each id with its line) to the record and syncs it to disk, before the
    /// checkpoint that counts them is written.
    ///
    /// # Errors
    ///
    /// A configuration error when the record cannot be written.
    pub fn append_ids(&self, ids: &[(uuid::Uuid, u64)]) -> Result<(), CliError> {
        use std::io::Write;
        if ids.is_empty() {
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(ids.len() * ID_ENTRY as usize);
        for (id, line) in ids {
            bytes.extend_from_slice(id.as_bytes());
            bytes.extend_from_slice(&line.to_le_bytes());
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.ids_path())
            .map_err(|err| self.ids_error("write", &err))?;
        // Synced once per checkpoint, before the checkpoint is written; the file's entry in the
        // folder (when this made it) is synced with the folder after the checkpoint's rename.
        file.write_all(&bytes)
            .map_err(|err| self.ids_error("write", &err))?;
        file.sync_data()
            .map_err(|err| self.ids_error("sync to disk", &err))
    }

    /// The first `entries` entries of the record of ids: each id with its line.
    ///
    /// # Errors
    ///
    /// A configuration error when the record cannot be read or holds fewer entries.
    pub fn read_ids(&self, entries: u64) -> Result<Vec<(uuid::Uuid, u64)>, CliError> {
        use std::io::Read;
        if entries == 0 {
            return Ok(Vec::new());
        }
        let file =
            std::fs::File::open(self.ids_path()).map_err(|err| self.ids_error("read", &err))?;
        let mut bytes = Vec::new();
        file.take(entries.saturating_mul(ID_ENTRY))
            .read_to_end(&mut bytes)
            .map_err(|err| self.ids_error("read", &err))?;
        if (bytes.len() as u64) < entries.saturating_mul(ID_ENTRY) {
            return Err(CliError::config(format!(
                "`{}` holds {} ids, not the {entries} its progress counts",
                self.ids_path().display(),
                bytes.len() as u64 / ID_ENTRY
            )));
        }
        Ok(bytes
            .chunks_exact(ID_ENTRY as usize)
            .map(|entry| {
                let (id, line) = entry.split_at(16);
                let id: [u8; 16] = id.try_into().unwrap_or_default();
                let line: [u8; 8] = line.try_into().unwrap_or_default();
                (uuid::Uuid::from_bytes(id), u64::from_le_bytes(line))
            })
            .collect())
    }

    /// An empty file saying the send made this folder (it did not exist before), so
    /// [`remove`](Self::remove) deletes the folder too; a folder that was there first (given
    /// with `--state-dir`) is the user's and is kept, empty or not.
    fn made_here(&self) -> PathBuf {
        self.path.join(".made-by-dfinery-send")
    }

    /// The files a send writes in the folder: what [`remove`](Self::remove) deletes, with the
    /// marker and the lock file. The spool is two files: its journal is `<spool>-journal` (made under
    /// `<spool>-journal.new` first).
    fn files(&self) -> [PathBuf; 6] {
        [
            self.spool(),
            self.path.join("spool.redb-journal"),
            self.path.join("spool.redb-journal.new"),
            self.progress_path(),
            self.path.join("progress.json.tmp"),
            self.ids_path(),
        ]
    }

    /// Whether a send left its state here: the folder holds its spool or its progress (a
    /// folder of other files, given with `--state-dir`, holds no send).
    pub fn exists(&self) -> bool {
        self.held() == Held::Send
    }

    /// What the folder holds: a send's state only when one of the files a send writes is
    /// there and is known to be a send's. In the send's own folder (named after the file, or
    /// made by the send), or one marked by a send ([`MARKER`]), every such file is; in a folder
    /// given with `--state-dir` that was there first, a `progress.json` that reads as a send's
    /// progress is (a send of an earlier version marked none). Any other file under those names
    /// is the user's: [`Held::Foreign`], which no send resumes, writes or deletes.
    pub fn held(&self) -> Held {
        let Some(first) = self.files().into_iter().find(|file| file.exists()) else {
            return Held::Nothing;
        };
        if !self.given || self.marker().is_file() || self.made_here().is_file() {
            return Held::Send;
        }
        match std::fs::read(self.progress_path()) {
            Ok(bytes) if serde_json::from_slice::<Progress>(&bytes).is_ok() => Held::Send,
            // Named first when it is there: what the user most likely put there.
            Ok(_) => Held::Foreign(self.progress_path()),
            Err(_) => Held::Foreign(first),
        }
    }

    /// The error for `file`, in the folder under a name a send writes, which is not a send's:
    /// the folder is refused as it is, and nothing in it changed.
    pub fn foreign(&self, file: &Path) -> CliError {
        CliError::config(format!(
            "`{}` is not a file of `dfinery send`, though a send keeps its state under that name: `{}` holds files of its own; give `--state-dir` an empty folder, or another one without such files (nothing in `{}` was changed)",
            file.display(),
            self.path.display(),
            self.path.display()
        ))
    }

    /// Whether another process holds the spool open: a send of the same file (or partition)
    /// that is still running. Its state is not an interrupted send's, and must not be resumed
    /// or removed from under it.
    pub fn in_use(&self) -> bool {
        // A probe: opened and closed again at once (dropping it joins its writer thread), so
        // it does not itself hold the file when the send goes on to open it.
        self.spool().is_file()
            && matches!(
                dfinery_core::Spool::open(self.spool()),
                Err(dfinery_core::SpoolError::InUse { .. })
            )
    }

    /// The progress written last, if any.
    ///
    /// # Errors
    ///
    /// A configuration error when the file cannot be read or decoded.
    pub fn read(&self) -> Result<Option<Progress>, CliError> {
        let path = self.progress_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(self.error("read", &err)),
        };
        serde_json::from_str(&text).map(Some).map_err(|err| {
            CliError::config(format!(
                "`{}` is damaged ({err}); pass `--restart` to send the file again from the first line",
                path.display()
            ))
        })
    }

    /// Creates the folder and writes `progress` atomically and durably: a temporary file in the
    /// folder, synced to disk, renamed over `progress.json`, then the folder synced, so that
    /// after a crash or a power loss `progress.json` is the previous checkpoint or this one,
    /// whole (never empty or cut).
    ///
    /// # Errors
    ///
    /// A configuration error naming the file and the step (create, write, sync, rename) that
    /// failed, when the folder or the file cannot be written.
    pub fn write(&self, progress: &Progress) -> Result<(), CliError> {
        use std::io::Write;
        self.make_folder()?;
        // Marked first: from the first checkpoint on, the folder holds a send's state, also
        // when it holds other files (see `held`). Its entry is synced with the folder below.
        if !self.marker().is_file() {
            std::fs::write(self.marker(), MARKER_TEXT).map_err(|err| self.error("write", &err))?;
        }
        let tmp = self.path.join("progress.json.tmp");
        let path = self.progress_path();
        let text = serde_json::to_vec(progress)
            .map_err(|err| CliError::config(format!("cannot encode the progress: {err}")))?;
        let failed = |what: &str, file: &Path, err: std::io::Error| {
            CliError::config(format!(
                "cannot {what} `{}`, the progress of the send: {err}; give `--state-dir` a folder this user can write, on a disk with room",
                file.display()
            ))
        };
        let mut file = std::fs::File::create(&tmp).map_err(|err| failed("create", &tmp, err))?;
        file.write_all(&text)
            .map_err(|err| failed("write", &tmp, err))?;
        file.sync_all()
            .map_err(|err| failed("sync to disk", &tmp, err))?;
        drop(file);
        std::fs::rename(&tmp, &path).map_err(|err| {
            CliError::config(format!(
                "cannot rename `{}` to `{}`, the progress of the send: {err}; give `--state-dir` a folder this user can write",
                tmp.display(),
                path.display()
            ))
        })?;
        // The rename is durable once the folder is (as is the record of ids, made in it).
        sync_folder(&self.path).map_err(|err| {
            CliError::config(format!(
                "cannot sync the folder `{}` to disk after renaming `{}` into it: {err}; give `--state-dir` a folder on a local disk",
                self.path.display(),
                path.display()
            ))
        })
    }

    /// Waits (up to 5 s) until nothing holds the spool file open: the Tracker's writer thread
    /// ends shortly after its last handle is dropped, and while it runs it recreates a deleted
    /// spool file, which [`remove`](Self::remove) would then leave in a folder it keeps.
    pub async fn closed(&self) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while tokio::time::Instant::now() < deadline {
            match dfinery_core::Spool::open(self.spool()) {
                Err(dfinery_core::SpoolError::InUse { .. }) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                // Opened, then closed again as it drops; or not openable: nothing holds it.
                _ => return,
            }
        }
    }

    /// Deletes the send's files, keeping the folder, its lock and the marker saying whether the
    /// send made it: `--restart` discards an interrupted send and goes on in the same folder,
    /// still holding its lock.
    ///
    /// # Errors
    ///
    /// A configuration error when a file of the send cannot be deleted.
    pub fn discard(&self) -> Result<(), CliError> {
        if let Held::Foreign(file) = self.held() {
            return Err(self.foreign(&file));
        }
        // In the order that leaves, after any failure (or a crash) part-way, a state that loses
        // and duplicates nothing: the progress first, so no `--resume` skips lines whose
        // events the spool held; the record of ids after the spool, so lines sent again get
        // the ids of the events the spool still holds. The marker last: until then, what is
        // left is known to be the send's.
        let order = [
            self.progress_path(),
            self.path.join("progress.json.tmp"),
            self.spool(),
            self.path.join("spool.redb-journal"),
            self.path.join("spool.redb-journal.new"),
            self.ids_path(),
            self.marker(),
        ];
        debug_assert!(self.files().iter().all(|file| order.contains(file)));
        for file in order {
            match std::fs::remove_file(&file) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                    return Err(self.error("remove", &err));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Deletes the send's files and its lock file, then the folder when the send made it and it
    /// holds nothing else (a folder given with `--state-dir` that was there first is the
    /// user's and is kept): the send is complete, or discarded. The caller may still hold the
    /// lock: a process that opened the lock file before it was deleted sees so when it locks
    /// it (see [`lock`](Self::lock)).
    ///
    /// # Errors
    ///
    /// A configuration error when a file of the send cannot be deleted.
    pub fn remove(&self) -> Result<(), CliError> {
        let made_here = self.made_here().is_file();
        // How many folders above it the send made too (an empty marker, of earlier versions: 0).
        let parents: usize = std::fs::read_to_string(self.made_here())
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0);
        // Files of the user's under a send's names are left as they are.
        if !matches!(self.held(), Held::Foreign(_)) {
            self.discard()?;
        }
        // Held by this process if by any (one left by a process that ended holds no lock).
        let _ = std::fs::remove_file(self.lock_path());
        if made_here {
            let _ = std::fs::remove_file(self.made_here());
            // Each fails, and is left with those above it, when it holds anything else.
            for folder in self.path.ancestors().take(parents + 1) {
                if std::fs::remove_dir(folder).is_err() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// An error of the record of ids, naming it.
    fn ids_error(&self, what: &str, err: &std::io::Error) -> CliError {
        let fix = match what {
            "read" => "",
            _ => "; give `--state-dir` a folder this user can write, on a disk with room",
        };
        CliError::config(format!(
            "cannot {what} `{}`, the record of the send's ids: {err}{fix}",
            self.ids_path().display()
        ))
    }

    fn error(&self, what: &str, err: &std::io::Error) -> CliError {
        let fix = match what {
            "create" | "write" => "; give `--state-dir` a folder this user can write",
            _ => "",
        };
        CliError::config(format!(
            "cannot {what} the send state `{}`: {err}{fix}",
            self.path.display()
        ))
    }
}

/// The size and modification time of `file`, to tell whether it changed since a send began.
///
/// # Errors
///
/// A configuration error when the file cannot be read.
pub fn fingerprint(file: &Path) -> Result<(u64, u128), CliError> {
    let meta = std::fs::metadata(file)
        .map_err(|err| CliError::config(format!("cannot read `{}`: {err}", file.display())))?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Ok((meta.len(), modified))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_round_trips_and_the_folder_sits_beside_the_file() {
        let dir = std::env::temp_dir().join(format!("dfinery-state-{}", std::process::id()));
        let state = StateDir::new(&dir.join("events.ndjson"), None);
        assert_eq!(state.path(), dir.join("events.ndjson.dfinery-send"));
        assert_eq!(state.read().unwrap(), None);
        let progress = Progress {
            len: 10,
            modified_ns: 20,
            queued_through_line: 30,
            file: Some(dir.join("events.ndjson")),
            ids: Some(IdsMark {
                entries: 2,
                after_line: 0,
            }),
        };
        state.write(&progress).unwrap();
        assert!(state.exists());
        assert_eq!(state.read().unwrap(), Some(progress));
        // Written by an earlier version: no file.
        std::fs::write(
            state.path().join("progress.json"),
            r#"{"len":1,"modified_ns":2,"queued_through_line":3}"#,
        )
        .unwrap();
        let old = state.read().unwrap().unwrap();
        assert_eq!((old.file, old.ids), (None, None));
        std::fs::write(state.path().join("progress.json"), "{").unwrap();
        assert!(state.read().unwrap_err().message.contains("--restart"));
        state.remove().unwrap();
        assert!(!state.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_discard_that_fails_part_way_leaves_no_progress_past_the_spool_and_keeps_the_ids() {
        // The spool was deleted first: a failure (or a crash) before `progress.json` went left
        // a progress past lines whose events only the spool held, and `--resume` skipped them.
        let dir = std::env::temp_dir().join(format!("dfinery-discard-{}", std::process::id()));
        let state = StateDir::new(&dir.join("events.ndjson"), None);
        state
            .write(&Progress {
                len: 10,
                modified_ns: 20,
                queued_through_line: 30,
                file: None,
                ids: None,
            })
            .unwrap();
        std::fs::write(state.path().join("event-log-ids.bin"), b"ids").unwrap();
        // A spool that cannot be removed as a file: the discard fails there.
        std::fs::create_dir_all(state.spool().join("x")).unwrap();
        assert!(state.discard().is_err());
        assert!(!state.path().join("progress.json").exists());
        assert!(state.path().join("event-log-ids.bin").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_given_folder_holds_a_send_only_by_its_marker_or_a_progress_of_a_send() {
        let dir = std::env::temp_dir().join(format!("dfinery-held-{}", std::process::id()));
        let folder = dir.join("given");
        std::fs::create_dir_all(&folder).unwrap();
        let state = StateDir::new(&dir.join("events.ndjson"), Some(&folder));
        assert_eq!(state.held(), Held::Nothing);
        // The user's, under a send's name: never a send's, nor deleted.
        std::fs::write(state.progress_path(), r#"{"x":1}"#).unwrap();
        assert_eq!(state.held(), Held::Foreign(state.progress_path()));
        assert!(!state.exists());
        assert!(state.discard().is_err());
        state.remove().unwrap();
        assert_eq!(std::fs::read(state.progress_path()).unwrap(), br#"{"x":1}"#);
        // Written by an earlier version, which marked nothing: a send's.
        std::fs::write(
            state.progress_path(),
            r#"{"len":1,"modified_ns":2,"queued_through_line":3}"#,
        )
        .unwrap();
        assert_eq!(state.held(), Held::Send);
        // Marked, a damaged progress is the send's: `--restart` may delete it.
        state.write(&state.read().unwrap().unwrap()).unwrap();
        std::fs::write(state.progress_path(), "{").unwrap();
        assert_eq!(state.held(), Held::Send);
        state.remove().unwrap();
        assert_eq!(state.held(), Held::Nothing);
        assert!(!state.marker().exists());
        assert!(folder.is_dir(), "a folder given is kept");
        // The folder named after the file is the send's own.
        let own = StateDir::new(&dir.join("events.ndjson"), None);
        std::fs::create_dir_all(own.path()).unwrap();
        std::fs::write(own.spool(), "x").unwrap();
        assert_eq!(own.held(), Held::Send);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_record_of_ids_is_cut_to_its_checkpoint_and_read_back() {
        let dir = std::env::temp_dir().join(format!("dfinery-ids-{}", std::process::id()));
        let state = StateDir::new(&dir.join("events.ndjson"), None);
        std::fs::create_dir_all(state.path()).unwrap();
        assert!(state.cut_ids(0).unwrap(), "no record, none counted");
        assert!(!state.cut_ids(1).unwrap(), "no record, one counted");
        let ids: Vec<_> = (1..=3)
            .map(|n| (uuid::Uuid::from_u128(n), n as u64 * 10))
            .collect();
        state.append_ids(&ids[..2]).unwrap();
        state.append_ids(&ids[2..]).unwrap();
        assert_eq!(state.read_ids(3).unwrap(), ids);
        // A crash after the third was appended and before its checkpoint: cut back to two.
        assert!(state.cut_ids(2).unwrap());
        assert_eq!(state.read_ids(2).unwrap(), &ids[..2]);
        assert!(state.read_ids(3).is_err());
        // Half an entry, as a crash mid-write leaves it.
        std::fs::OpenOptions::new()
            .append(true)
            .open(state.ids_path())
            .and_then(|mut f| std::io::Write::write_all(&mut f, &[1; 5]))
            .unwrap();
        assert!(state.cut_ids(2).unwrap());
        assert_eq!(state.read_ids(2).unwrap(), &ids[..2]);
        assert!(!state.cut_ids(3).unwrap(), "fewer than counted: not known");
        state.remove().unwrap();
        assert!(!state.ids_path().exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn each_checkpoint_leaves_progress_json_whole_and_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("dfinery-checkpoints-{}", std::process::id()));
        let state = StateDir::new(&dir.join("events.ndjson"), None);
        // Long, then shorter: a write that kept the bytes of the one before would leave them.
        for (line, file) in [
            (2_000, "a".repeat(300)),
            (4_000, "b".to_owned()),
            (5_000, String::new()),
        ] {
            let progress = Progress {
                len: 10,
                modified_ns: 20,
                queued_through_line: line,
                file: (!file.is_empty()).then(|| dir.join(file)),
                ids: None,
            };
            state.write(&progress).unwrap();
            let text = std::fs::read(state.progress_path()).unwrap();
            assert_eq!(text, serde_json::to_vec(&progress).unwrap(), "line {line}");
            assert_eq!(state.read().unwrap(), Some(progress));
            assert!(!state.path().join("progress.json.tmp").exists());
        }
        state.remove().unwrap();
        assert!(!dir.join("events.ndjson.dfinery-send").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_second_lock_on_the_folder_is_refused_naming_the_lock_file() {
        let dir = std::env::temp_dir().join(format!("dfinery-lock-{}", std::process::id()));
        let state = StateDir::new(&dir.join("events.ndjson"), None);
        let held = state.lock().unwrap();
        let err = state.lock().unwrap_err();
        assert_eq!(err.exit, crate::exit::Exit::Config);
        assert!(
            err.message.starts_with(&format!(
                "another `dfinery send` (process {}) is using the send state `{}`: it holds `{}` locked; wait for it to finish",
                std::process::id(),
                state.path().display(),
                state.lock_path().display()
            )),
            "{err}"
        );
        assert!(err.message.contains("another `--state-dir`"), "{err}");
        // Dropped with no send in the folder: the lock file and the folder it made go.
        drop(held);
        assert!(!state.path().exists());
        // A lock file whose process ended blocks nothing.
        std::fs::create_dir_all(state.path()).unwrap();
        std::fs::write(state.lock_path(), "4294967295\n").unwrap();
        let again = state.lock().unwrap();
        drop(again);
        assert!(!state.lock_path().exists());
        assert!(state.path().is_dir(), "a folder it did not make is kept");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_send_refused_by_the_send_of_another_file_is_not_told_to_resume() {
        // One `--state-dir` given to the sends of two files: the refused one was told to stop
        // the other and run itself with `--resume`, which then refuses it because the folder
        // holds the other file's send.
        let dir = std::env::temp_dir().join(format!("dfinery-lock-other-{}", std::process::id()));
        let folder = dir.join("state");
        let first = StateDir::new(&dir.join("a.ndjson"), Some(&folder));
        let second = StateDir::new(&dir.join("b.ndjson"), Some(&folder));
        let held = first.lock().unwrap();
        let err = second.lock().unwrap_err();
        assert_eq!(err.exit, crate::exit::Exit::Config);
        assert!(
            err.message.starts_with(&format!(
                "another `dfinery send` (process {}) is using the send state `{}`: it holds `{}` locked, sending `{}`; wait for it to finish, or give this send another `--state-dir`",
                std::process::id(),
                folder.display(),
                folder.join("send.lock").display(),
                dir.join("a.ndjson").display()
            )),
            "{err}"
        );
        assert!(!err.message.contains("--resume"), "{err}");
        // The same file's second send is told how to take over.
        let err = first.lock().unwrap_err();
        assert!(
            err.message.contains(
                "(or stop it with Ctrl-C or SIGTERM, then run this send with `--resume`)"
            ),
            "{err}"
        );
        drop(held);
        let _ = std::fs::remove_dir_all(&dir);
    }

    // Deleting a file held open, and telling it from the one its path names now, is Unix's.
    #[cfg(unix)]
    #[test]
    fn the_lock_of_a_completed_send_dropped_late_leaves_the_next_sends_folder_alone() {
        // A complete send removes its folder (lock file included), then prints its report
        // (which can block on a full pipe) before its lock is dropped. A send started
        // meanwhile made the folder again and holds its new lock; the first one's drop, finding
        // no send in the folder, deleted that lock file and the folder, and a third send got
        // in beside the second.
        let dir = std::env::temp_dir().join(format!("dfinery-late-drop-{}", std::process::id()));
        let state = StateDir::new(&dir.join("events.ndjson"), None);
        let first = state.lock().unwrap();
        state.remove().unwrap();
        let second = state.lock().unwrap();
        drop(first);
        assert!(state.lock_path().is_file(), "the second send's lock file");
        let err = state.lock().unwrap_err();
        assert!(
            err.message.starts_with(&format!(
                "another `dfinery send` (process {}) is using the send state",
                std::process::id()
            )),
            "{err}"
        );
        // Removed through its lock, as a complete send does: the folder goes, and the lock
        // with it.
        second.remove().unwrap();
        assert!(!state.path().exists());
        drop(state.lock().unwrap());
        assert!(!state.path().exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    // Deleting a file held open, and telling it from the one its path names now, is Unix's.
    #[cfg(unix)]
    #[test]
    fn a_lock_taken_on_a_lock_file_deleted_meanwhile_is_not_the_folders() {
        // A complete send deletes `send.lock` and its folder while it holds the lock; a send
        // that opened the file just before, and locks it just after, holds a lock nobody sees.
        let dir = std::env::temp_dir().join(format!("dfinery-relock-{}", std::process::id()));
        let state = StateDir::new(&dir.join("events.ndjson"), None);
        let first = state.lock().unwrap();
        let opened = std::fs::File::open(state.lock_path()).unwrap();
        assert!(is_current(&opened, &state.lock_path()));
        state.remove().unwrap();
        drop(first);
        opened.try_lock().unwrap();
        assert!(!is_current(&opened, &state.lock_path()), "deleted");
        // The folder's lock is the file its path names now, and it is free.
        let second = state.lock().unwrap();
        assert!(!is_current(&opened, &state.lock_path()), "replaced");
        drop((opened, second));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
