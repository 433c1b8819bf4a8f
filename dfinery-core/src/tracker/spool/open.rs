//! [`Spool::open`]: opening (or creating) the file, checking its format, and counting what a
//! previous process left. A damaged file is an error, never a panic.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};

use redb::{Database, DatabaseError, Durability, ReadableTable, TableHandle};

use super::batch::{self, Index};
use super::commit::Writer;
use super::follow;
use super::journaled::{self, Cause, JournalSource};
use super::{
    BATCHES, DEAD_LETTERS, LEGACY_PENDING, META, REMOVED_UP_TO, Reopen, SPOOL_FORMAT, Spool, Store,
    UNREADABLE,
};
use crate::tracker::error::{SpoolError, StoreError};

impl Spool {
    /// Opens the spool at `path`, creating it (not its folder) when it does not exist, with its
    /// journal beside it, `<name>-journal`. On Unix a new file is made under a temporary name
    /// beside it (`<name>.new-<pid>-<n>`) and linked at `path` once whole, so a process that
    /// dies while making it leaves nothing at `path` that would block the next open. What a journal found there holds still pending (a
    /// crashed process's newest messages) is moved into the file as it opens, also when the
    /// file itself is new.
    ///
    /// An existing file is never silently started over: an empty one (a spool cut to nothing)
    /// is refused like any other damaged file, since the messages it held cannot be counted.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Path`] when `path` names a folder or something else than a regular file (a
    /// device, a pipe), is empty, its folder (or, for a symbolic link to nothing, its target's
    /// folder) does not exist, this process may not write the file or its folder, or the disk is too full to create the
    /// file or its journal (the error says to free space, not to move the file aside), or
    /// a folder (or anything else than a file) is at the journal's path;
    /// [`SpoolError::Open`] when the file is damaged, empty or not a spool (or the journal is
    /// not one: the error names the journal then), [`SpoolError::InUse`]
    /// when it is already open, [`SpoolError::Format`] when another version wrote it, and
    /// [`SpoolError::Storage`] when it cannot be read or written.
    ///
    /// It reads the file on the calling thread and starts the spool's writer thread.
    pub fn open(path: impl AsRef<Path>) -> Result<Spool, SpoolError> {
        let path = path.as_ref().to_path_buf();
        check_path(&path)?;
        // The store reports damage as errors; the guard keeps a panic on a file damaged in a way
        // it does not foresee from reaching the caller.
        // Opened again (after a failed write, or at the path after the file was deleted) by
        // its absolute path, so a change of the working folder does not move it.
        let file = absolute(&path);
        let journal = JournalSource::beside(&file);
        let reopen: Reopen = Arc::new(move || create_whole(&file));
        Spool::open_guarded(path, reopen, journal)
    }

    /// Opens the spool at `path` through a storage backend made by `backend` (called again
    /// each time the writer reopens the file after a failed write). For the fault-injection
    /// tests, which wrap the file backend to make writes, syncs and reads fail on demand; not
    /// part of the stable API.
    ///
    /// Such a spool writes every message into the store (format 3's journal is for files the
    /// spool opens itself): a journal found beside `path` is read into the store when it is
    /// opened, then removed.
    ///
    /// # Errors
    ///
    /// As [`open`](Spool::open).
    #[doc(hidden)]
    pub fn open_with_backend<B, F>(path: impl AsRef<Path>, backend: F) -> Result<Spool, SpoolError>
    where
        B: redb::StorageBackend,
        F: Fn() -> std::io::Result<B> + Send + Sync + 'static,
    {
        let path = path.as_ref().to_path_buf();
        let reopen: Reopen = Arc::new(move || {
            let backend = backend().map_err(|e| DatabaseError::Storage(e.into()))?;
            Database::builder().create_with_backend(backend)
        });
        let journal = JournalSource {
            open: None,
            ..JournalSource::beside(&absolute(&path))
        };
        Spool::open_guarded(path, reopen, journal)
    }

    /// Opens the spool at `path` with its journal opened by `journal` (called again each time
    /// the writer reads it afresh after a failed write) and created at `capacity` bytes: for the
    /// tests that make the journal's writes and syncs fail, or fill it quickly.
    #[cfg(test)]
    pub(crate) fn open_with_journal(
        path: impl AsRef<Path>,
        journal: journaled::OpenJournal,
        capacity: u64,
    ) -> Result<Spool, SpoolError> {
        let path = path.as_ref().to_path_buf();
        let file = absolute(&path);
        let source = JournalSource {
            open: Some(journal),
            capacity,
            ..JournalSource::beside(&file)
        };
        let reopen: Reopen = Arc::new(move || create_whole(&file));
        Spool::open_guarded(path, reopen, source)
    }

    fn open_guarded(
        path: PathBuf,
        reopen: Reopen,
        journal: JournalSource,
    ) -> Result<Spool, SpoolError> {
        match panic::catch_unwind(AssertUnwindSafe(|| open_checked(&path, reopen, journal))) {
            Ok(result) => result,
            Err(_) => Err(SpoolError::Open {
                path,
                source: StoreError::new("the store panicked while reading the file"),
            }),
        }
    }
}

fn open_checked(path: &Path, reopen: Reopen, source: JournalSource) -> Result<Spool, SpoolError> {
    refuse_empty_file(path)?;
    let db = reopen().map_err(|error| match error {
        DatabaseError::DatabaseAlreadyOpen => SpoolError::InUse {
            path: path.to_path_buf(),
        },
        // Not damage: the file is fine (or not there yet), this process may not write it.
        DatabaseError::Storage(redb::StorageError::Io(io))
            if Cause::of(&io) == Cause::NotWritable =>
        {
            SpoolError::Path {
                path: path.to_path_buf(),
                problem: format!(
                    "this process may not create or write the file ({io}); give a path in a \
                     folder it can write, or give it write access to the file and its folder"
                ),
            }
        }
        // Not damage either: moving the file aside, as that advice says, would lose it.
        DatabaseError::Storage(redb::StorageError::Io(io)) if Cause::of(&io) == Cause::DiskFull => {
            disk_full(path, &io)
        }
        other => SpoolError::Open {
            path: path.to_path_buf(),
            source: StoreError::new(other),
        },
    })?;
    let storage = |error: redb::Error| SpoolError::Store {
        path: path.to_path_buf(),
        operation: "opening it",
        source: StoreError::new(error),
    };
    // Rows of format 2, framed without checksums.
    let mut unchecked = false;
    {
        let mut txn = db.begin_write().map_err(|e| storage(e.into()))?;
        txn.set_durability(Durability::Immediate)
            .map_err(|e| storage(e.into()))?;
        // Another application's database holds tables but no spool's `meta`: refused before
        // anything is written into it (it was given the spool's tables and format).
        let tables: Vec<String> = txn
            .list_tables()
            .map_err(|e| storage(e.into()))?
            .map(|table| table.name().to_owned())
            .collect();
        if !tables.is_empty() && !tables.iter().any(|name| name == META.name()) {
            return Err(SpoolError::Path {
                path: path.to_path_buf(),
                problem: format!(
                    "it is a redb database of another application (tables {}), not a spool; give the spool a path of its own",
                    tables
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        let mut meta = txn.open_table(META).map_err(|e| storage(e.into()))?;
        let format = meta
            .get("format")
            .map_err(|e| storage(e.into()))?
            .map(|v| v.value());
        match format {
            // Format 1's rows are moved into batches by `load` below, in its transaction.
            Some(SPOOL_FORMAT | 1) => {}
            // Format 2's rows are written again with checksums by `load` below, in its
            // transaction; its journal is created then.
            Some(2) => unchecked = true,
            Some(found) => {
                return Err(SpoolError::Format {
                    path: path.to_path_buf(),
                    found,
                    expected: SPOOL_FORMAT,
                });
            }
            None => {
                meta.insert("format", SPOOL_FORMAT)
                    .map_err(|e| storage(e.into()))?;
            }
        }
        drop(meta);
        // Every table exists from the start, so a read never finds one missing.
        txn.open_table(BATCHES).map_err(|e| storage(e.into()))?;
        txn.open_table(DEAD_LETTERS)
            .map_err(|e| storage(e.into()))?;
        txn.open_table(UNREADABLE).map_err(|e| storage(e.into()))?;
        txn.commit().map_err(|e| storage(e.into()))?;
    }
    // The journal is read before the file's batches: the damaged bytes found there are
    // numbered after every message of both (nothing else numbers messages yet).
    // A journal that cannot be read is named itself: it is the file to move aside.
    let found = journaled::read(&source).map_err(|error| match error.cause {
        // Not damage: moving the journal aside, as that advice says, would lose its messages.
        Cause::NotWritable => SpoolError::Path {
            path: path.to_path_buf(),
            problem: format!(
                "this process may not write the spool's journal ({error}); give it write \
                 access to the file and its folder (the messages it holds are kept)"
            ),
        },
        Cause::DiskFull => disk_full(path, &error),
        Cause::InTheWay => SpoolError::Path {
            path: path.to_path_buf(),
            problem: error.reason,
        },
        Cause::Other => SpoolError::Open {
            path: source.path.clone(),
            source: StoreError::new(error.reason),
        },
    })?;
    let journal_last = found.last_seq();
    let mut loaded = load(&db, unchecked, |last, _| last.max(journal_last) + 1).map_err(storage)?;
    let journal = journaled::settle(&source, found, &db, &mut loaded.index).map_err(|reason| {
        SpoolError::Storage {
            path: path.to_path_buf(),
            reason,
        }
    })?;
    let (pending, pending_bytes) = loaded.index.totals();
    let last_seq = loaded.last_seq.max(loaded.index.last_seq());
    // Read once the store has it open: the file the writer then watches the path for.
    let watched = absolute(path);
    let file_id = follow::file_id(&watched);
    let store = Arc::new(Store {
        db: RwLock::new(Some(db)),
        reopen,
        path: PathBuf::from(path),
        shared_path: Arc::from(path),
        watched,
        pending: AtomicU64::new(pending),
        pending_bytes: AtomicU64::new(pending_bytes),
        index: Mutex::new(loaded.index),
        next_seq: AtomicU64::new(last_seq + 1),
        answers: Mutex::new(Vec::new()),
        unsynced: AtomicU64::new(0),
        file_id: Mutex::new(file_id),
        recreated: AtomicU64::new(0),
        journal_source: Some(source),
        journal: Mutex::new(journal),
    });
    let writer = Writer::start(Arc::clone(&store)).map_err(|e| SpoolError::Open {
        path: path.to_path_buf(),
        source: StoreError::new(format!("could not start its writer thread: {e}")),
    })?;
    Ok(Spool {
        store,
        writer,
        last_seq,
    })
}

/// Opens the store's file at `path`, creating it whole when there is none: on Unix, made
/// under a name of its own beside it (`<name>.new-<pid>-<n>`), synced, then linked at `path`,
/// which so never names a file cut short. A process that dies while the store writes a new
/// file's first pages leaves them under that name (removed by the next creation on Linux, once
/// that process is gone); at `path` they would be a damaged spool, refused by every later open.
/// Where the file system cannot link (FAT, exFAT) and elsewhere than on Unix, the file is made
/// at `path` itself.
fn create_whole(path: &Path) -> Result<Database, DatabaseError> {
    if cfg!(unix)
        && matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
        && let Some(db) = make_whole(path).map_err(|e| DatabaseError::Storage(e.into()))?
    {
        return Ok(db);
    }
    Database::create(path)
}

/// The new, empty store, linked at `path` (see [`create_whole`]). `None` when it could not be
/// linked there: a file appeared at `path` meanwhile (another process made the same spool; the
/// caller's open of `path` then meets its lock), or the file system has no links (the caller
/// makes the file at `path` itself).
///
/// # Errors
///
/// Why the store could not be made or synced (a full disk, permissions): not made in place
/// then, where it would be left cut short.
fn make_whole(path: &Path) -> std::io::Result<Option<Database>> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let prefix = temporary_prefix(path);
    remove_leftovers(path, &prefix);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = prefix;
    name.push(format!("{}-{n}", std::process::id()));
    let temporary = path.with_file_name(name);
    // Of this process and call alone: a file there is a leftover of a process whose id this
    // one now has.
    let file = match OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&temporary)
    {
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(&temporary)?;
            OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&temporary)?
        }
        other => other?,
    };
    let made = redb::backends::FileBackend::new(file)
        .and_then(|backend| Database::builder().create_with_backend(backend))
        .map_err(|error| match error {
            DatabaseError::Storage(redb::StorageError::Io(error)) => error,
            other => std::io::Error::other(other),
        })
        .and_then(|db| {
            std::fs::File::open(&temporary)?.sync_all()?;
            Ok(db)
        });
    let db = match made {
        Ok(db) => db,
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            return Err(error);
        }
    };
    let linked = std::fs::hard_link(&temporary, path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => journaled::sync_folder(path).map(|()| Some(db)),
        // Another process linked its spool first, or this file system has no links (FAT and
        // exFAT answer `EPERM`): the file made here is dropped.
        Err(_) => Ok(None),
    }
}

/// `<name>.new-`: how the temporary files of new spool files at `path` begin.
fn temporary_prefix(path: &Path) -> std::ffi::OsString {
    let mut prefix = path.file_name().unwrap_or_default().to_os_string();
    prefix.push(".new-");
    prefix
}

/// Removes what creations cut short left beside `path` (see [`make_whole`]): the temporary
/// files of processes that are gone. Only where a process's presence can be read (Linux's
/// `/proc`); a file of a live process (creating the same spool now) is left alone.
fn remove_leftovers(path: &Path, prefix: &std::ffi::OsStr) {
    if !cfg!(target_os = "linux") || !Path::new("/proc/self").exists() {
        return;
    }
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let prefix = prefix.to_string_lossy();
    for entry in entries.flatten() {
        let name = entry.file_name();
        // Exactly `<prefix><pid>-<n>`, as `make_whole` names them: a file of the user's whose
        // name only begins so (`….new-2024-12-07.bak`) is not one.
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(&*prefix))
            .and_then(|rest| rest.split_once('-'))
            .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Refuses a path that cannot name a spool file before the store is asked to open it, whose
/// error for these ("is a directory", "no such file") would come with the advice for a damaged
/// file.
fn check_path(path: &Path) -> Result<(), SpoolError> {
    let refuse = |problem: String| {
        Err(SpoolError::Path {
            path: path.to_path_buf(),
            problem,
        })
    };
    if path.as_os_str().is_empty() {
        return refuse(
            "the path is empty; give the path of a file, e.g. `dfinery.spool`".to_owned(),
        );
    }
    if path.is_dir() {
        return refuse(format!(
            "it is a folder; give the path of a file in it, e.g. `{}`",
            path.join("dfinery.spool").display()
        ));
    }
    match std::fs::metadata(path) {
        // A device (`/dev/null`), a pipe or a socket: the store cannot keep a file there.
        Ok(meta) if !meta.is_file() => {
            return refuse(
                "it is not a regular file (a device, a pipe or a socket); give the path of a \
                 file, e.g. `dfinery.spool`, or build the tracker without `.spool(…)` to keep \
                 messages in memory only"
                    .to_owned(),
            );
        }
        // A symbolic link to nothing: its target is created, unless its folder is missing (a
        // disk not mounted, say), which the store would report as "no such file".
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if let Ok(target) = std::fs::read_link(path) {
                let target = path
                    .parent()
                    .map_or_else(|| target.clone(), |folder| folder.join(&target));
                if let Some(folder) = target.parent().filter(|f| !f.as_os_str().is_empty())
                    && matches!(std::fs::metadata(folder), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
                {
                    return refuse(format!(
                        "it is a symbolic link to `{}`, whose folder `{}` does not exist; create \
                         it (or mount the disk it is on), or give another path",
                        target.display(),
                        folder.display()
                    ));
                }
            }
        }
        _ => {}
    }
    let Some(folder) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    else {
        return Ok(());
    };
    // Only what is known for sure: a folder that cannot be looked at for another reason
    // (permissions) is left to the store's attempt to create the file (`open_checked`).
    match std::fs::metadata(folder) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => refuse(format!(
            "its folder `{}` does not exist; create it first (the spool creates its file, not \
             its folder)",
            folder.display()
        )),
        Ok(meta) if !meta.is_dir() => refuse(format!(
            "`{}` is a file, not a folder; give a path in a folder",
            folder.display()
        )),
        _ => Ok(()),
    }
}

/// The error for a spool that could not be opened because its disk is full (`error` says so):
/// a problem of the path, not damage, whose fix is room on the disk.
fn disk_full(path: &Path, error: &dyn std::fmt::Display) -> SpoolError {
    SpoolError::Path {
        path: path.to_path_buf(),
        problem: format!(
            "its disk is full ({error}); free space on it (the spool needs about {} MiB for its \
             journal beside the file, up to {} MiB when busy), or give a path on another disk; \
             the messages a spool there holds are kept",
            journaled::JOURNAL_CAPACITY >> 20,
            journaled::MAX_JOURNAL_CAPACITY >> 20,
        ),
    }
}

/// `path` made absolute against the working folder now (as given when that fails).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// An existing file of zero bytes is not a spool: the store writes its header when it creates
/// the file, so an empty one was cut short, and opening it would start a new, empty spool in
/// place of what it held, losing that silently. It is refused with the file named instead.
fn refuse_empty_file(path: &Path) -> Result<(), SpoolError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == 0 => Err(SpoolError::Open {
            path: path.to_path_buf(),
            source: StoreError::new(
                "the file is empty, so whatever it held was cut off (a spool is never empty once created)",
            ),
        }),
        _ => Ok(()),
    }
}

/// What [`load`] read from a file.
#[derive(Debug)]
pub(super) struct Loaded {
    /// Where each pending message is.
    pub(super) index: Index,
    /// The highest sequence number in the file (pending, dead-lettered or set aside).
    pub(super) last_seq: u64,
}

/// A damaged batch to write again: its key, the entries kept (sequence number and bytes), and
/// the bytes that become entries of their own.
type Repair = (u64, Vec<(u64, Vec<u8>)>, Vec<Vec<u8>>);

/// The greatest sequence number taken as real when a file is read: a tracker numbers its messages
/// from 1 up, one by one, so a number above this one (2^62) is damage, and counting it would make
/// the numbers given after it run out.
pub(super) const MAX_SEQ: u64 = 1 << 62;

/// Pending messages at most in one batch when format 1's rows are moved into batches.
const MIGRATED_PER_BATCH: usize = 1000;

/// Reads the pending messages of `db` into an [`Index`], in one synced transaction that first
/// puts the file in order:
///
/// - format 1's table of one row per message, when present, is moved into batches (of
///   [`MIGRATED_PER_BATCH`], in sequence order) and dropped, and the format set to 3;
/// - format 2's rows (`unchecked`: framed without checksums) are written again with them, and
///   the format set to 3;
/// - a batch whose frames stop making sense (damaged bytes) keeps the messages read before the
///   damage; the bytes from there on become one pending message of their own under a new
///   sequence number, which the tracker then fails to decode and sets aside as unreadable
///   (counted as dead-lettered), so the loss is reported, never silent;
/// - a message found in two batches (a damaged sequence number) is kept once, the other copy
///   given a new number the same way; a copy with the same bytes too (a row copied by damage)
///   is dropped instead, as it holds nothing new (numbered again, the message would be sent a
///   second time, after every later message of its user).
///
/// Called when the spool is opened, and by the writer when it opens the file again after a
/// failed write (nothing it held in memory is trusted then). `number(last, count)` gives the
/// first of `count` new sequence numbers for the damaged bytes found, `last` being the highest
/// number in the file: at open that is `last + 1`; on a reopen the numbers come from the
/// spool's counter, so they never clash with a number already handed to a message on its way
/// to the writer.
pub(super) fn load(
    db: &Database,
    unchecked: bool,
    number: impl FnOnce(u64, u64) -> u64,
) -> Result<Loaded, redb::Error> {
    fn entries_of(row: &[u8], unchecked: bool) -> batch::Entries<'_> {
        if unchecked {
            batch::Entries::unchecked(row)
        } else {
            batch::Entries::new(row)
        }
    }
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate)?;
    let mut changed = false;
    let mut index = Index::default();
    let mut last_seq = 0;
    {
        let legacy = txn
            .list_tables()?
            .any(|table| table.name() == LEGACY_PENDING.name());
        let mut batches = txn.open_table(BATCHES)?;
        if legacy {
            let mut next = batches.last()?.map_or(1, |(key, _)| key.value() + 1);
            let old = txn.open_table(LEGACY_PENDING)?;
            let mut rows = Vec::new();
            let mut batch = Vec::new();
            for entry in old.iter()? {
                let (seq, bytes) = entry?;
                batch::push(&mut batch, seq.value(), bytes.value());
                rows.push(());
                if rows.len() == MIGRATED_PER_BATCH {
                    batches.insert(next, batch.as_slice())?;
                    (next, rows, batch) = (next + 1, Vec::new(), Vec::new());
                }
            }
            if !rows.is_empty() {
                batches.insert(next, batch.as_slice())?;
            }
            drop(old);
            txn.delete_table(LEGACY_PENDING)?;
            txn.open_table(META)?.insert("format", SPOOL_FORMAT)?;
            changed = true;
        }
        for table in [txn.open_table(DEAD_LETTERS)?, txn.open_table(UNREADABLE)?] {
            // The greatest plausible key: a damaged one far above is not counted, so the
            // numbers given after it cannot run out.
            for entry in table.range(..=MAX_SEQ)?.rev().take(1) {
                last_seq = u64::max(last_seq, entry?.0.value());
            }
        }
        // Numbers a user removed are not given again (a list read before may name them).
        if let Some(removed) = txn.open_table(META)?.get(REMOVED_UP_TO)? {
            last_seq = last_seq.max(removed.value().min(MAX_SEQ));
        }
        // Rows to put in order once read.
        let mut repairs: Vec<Repair> = Vec::new();
        for row in batches.iter()? {
            let (key, value) = row?;
            let key = key.value();
            let bytes = value.value();
            let mut entries = entries_of(bytes, unchecked);
            let mut kept: Vec<(u64, &[u8])> = Vec::new();
            let mut orphans: Vec<Vec<u8>> = Vec::new();
            let mut seen = HashSet::new();
            // Copies of a message kept already (same number, same bytes): dropped from the row.
            let mut copies = 0;
            for (seq, entry) in entries.by_ref() {
                let earlier = match index.entries.get(&seq) {
                    Some(loc) => Some(batches.get(loc.batch)?.is_some_and(|row| {
                        entries_of(row.value(), unchecked).any(|(s, e)| s == seq && e == entry)
                    })),
                    // Far above any number given out: damaged, renumbered like a clash.
                    None if seq > MAX_SEQ => Some(false),
                    None if !seen.insert(seq) => {
                        Some(kept.iter().any(|(s, e)| *s == seq && *e == entry))
                    }
                    None => None,
                };
                match earlier {
                    Some(true) => copies += 1,
                    Some(false) => orphans.push(entry.to_vec()),
                    None => kept.push((seq, entry)),
                }
            }
            if let Some(at) = entries.damaged_at() {
                orphans.push(bytes[at..].to_vec());
            }
            last_seq = kept.iter().fold(last_seq, |m, (seq, _)| m.max(*seq));
            index.add(key, kept.iter().map(|(seq, e)| (*seq, e.len() as u32)));
            if !orphans.is_empty() || copies > 0 || unchecked {
                let kept = kept.iter().map(|(seq, e)| (*seq, e.to_vec())).collect();
                repairs.push((key, kept, orphans));
            }
        }
        // Every sequence number read is known now: the orphans are numbered above them.
        let orphans: usize = repairs.iter().map(|(_, _, orphans)| orphans.len()).sum();
        let mut next = if orphans > 0 {
            number(last_seq.max(index.last_seq()), orphans as u64)
        } else {
            0
        };
        for (key, kept, orphans) in repairs {
            let mut row = Vec::new();
            for (seq, bytes) in &kept {
                batch::push(&mut row, *seq, bytes);
            }
            let mut added = Vec::new();
            for orphan in &orphans {
                batch::push(&mut row, next, orphan);
                added.push((next, orphan.len() as u32));
                last_seq = last_seq.max(next);
                next += 1;
            }
            if !orphans.is_empty() {
                tracing::error!(
                    batch = key,
                    kept = kept.len(),
                    damaged = orphans.len(),
                    "a batch of the spool is damaged: the messages read before the damage are \
                     kept, the rest is set aside as unreadable when the tracker reads it"
                );
            }
            if row.is_empty() {
                // Nothing but copies of messages kept in other rows.
                batches.remove(key)?;
            } else {
                batches.insert(key, row.as_slice())?;
            }
            index.add(key, added);
            changed = true;
        }
        last_seq = last_seq.max(index.last_seq());
        if unchecked {
            txn.open_table(META)?.insert("format", SPOOL_FORMAT)?;
            changed = true;
        }
    }
    if changed {
        txn.commit()?;
    } else {
        txn.abort()?;
    }
    Ok(Loaded { index, last_seq })
}
