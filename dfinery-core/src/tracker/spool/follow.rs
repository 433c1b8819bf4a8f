//! Following the spool's path: the file deleted or replaced while the spool has it open.
//!
//! On Unix an open file outlives its name: after `rm` (or a `mv` of another file over it) the
//! store keeps writing into a file that no later process can open, so whatever is still pending
//! at shutdown would be lost at the next start. The writer thread therefore compares, before
//! each commit and once a second while idle, the file its path names now with the one it opened
//! (device and inode, read when it opened it), and when they differ:
//!
//! - **deleted**: it creates a new spool at the path and copies into it, in one synced commit,
//!   everything the open (unlinked) file still holds: the pending messages, the dead letters,
//!   the unreadable entries. Then it closes the old file and goes on in the new one;
//! - **replaced** by another file: that file is not this spool's, so it is neither written nor
//!   deleted: it is renamed to `<name>.foreign-<unix ms>` beside it, and the spool starts afresh
//!   at the path as for a deletion. If it cannot be moved aside, or another spool has it open
//!   (its store's lock is held: it is neither moved nor written then), nothing more is spooled
//!   (the commits fail, so `track` is refused with an error saying why) until it can be.
//!
//! Each move is logged once (`tracing::error!`, with the path) and counted
//! ([`TrackerMetrics::spool_recreated`](crate::tracker::TrackerMetrics::spool_recreated)).
//! Elsewhere than on Unix only a deletion is seen (a missing path); an open file there cannot
//! usually be deleted or renamed over.

use std::fs::Metadata;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use redb::{Database, Durability, ReadableDatabase, ReadableTable};

use super::{BATCHES, DEAD_LETTERS, META, SPOOL_FORMAT, Store, UNREADABLE, batch};

/// Which file a path names: its device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(unix), allow(dead_code))]
pub(super) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity of the file `ino` on device `dev`.
    #[cfg(all(test, unix))]
    pub(super) fn new(dev: u64, ino: u64) -> FileId {
        FileId { dev, ino }
    }
}

/// The identity of the file at `path` now: `Ok(None)` where the platform does not give one.
///
/// On Linux it asks `statx` for the inode alone (the device comes with every answer). Asking
/// for the times, as [`std::fs::metadata`] does, is not free there: on file systems with
/// fine-grained timestamps (ext4, XFS, btrfs, tmpfs since Linux 6.13) a read of a file's change
/// time makes the next write to it take a new, exact one, so the inode is dirtied and written by
/// the following `sync_data`: one more disk write per commit for the journal, whose path the
/// writer looks at before each commit (measured on ext4: 70 µs more per write and sync, of
/// which 30 µs CPU). See `BENCHMARKS.md`, "The journal's own timestamps".
pub(super) fn identify(path: &Path) -> std::io::Result<Option<FileId>> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{AtFlags, CWD, StatxFlags, makedev, statx};
        match statx(CWD, path, AtFlags::empty(), StatxFlags::INO) {
            Ok(found) if found.stx_mask & StatxFlags::INO.bits() != 0 => {
                return Ok(Some(FileId {
                    dev: makedev(found.stx_dev_major, found.stx_dev_minor),
                    ino: found.stx_ino,
                }));
            }
            // No `statx` (a kernel before 4.11, or a sandbox refusing it), or no inode number
            // in its answer: the standard library's call below.
            Ok(_) => {}
            Err(errno) if errno == rustix::io::Errno::NOSYS || errno == rustix::io::Errno::PERM => {
            }
            Err(errno) => return Err(errno.into()),
        }
    }
    std::fs::metadata(path).map(|meta| id_of(&meta))
}

/// The identity of the file `meta` describes; `None` where the platform does not give one.
#[cfg(unix)]
fn id_of(meta: &Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some(FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

#[cfg(not(unix))]
fn id_of(_meta: &Metadata) -> Option<FileId> {
    None
}

/// The identity of the file at `path` now, if it can be read.
pub(super) fn file_id(path: &Path) -> Option<FileId> {
    identify(path).ok().flatten()
}

/// What the spool's path names now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// The file the spool has open (or it cannot be told: the folder cannot be read).
    Ours,
    /// Nothing: the file was deleted (or renamed away).
    Gone,
    /// Another file.
    Other,
}

impl Found {
    fn what(self) -> &'static str {
        match self {
            Found::Ours => "kept",
            Found::Gone => "deleted",
            Found::Other => "replaced by another file",
        }
    }
}

/// Compares the file at the spool's path with the one it opened.
pub(super) fn look(store: &Store) -> Found {
    match identify(&store.watched) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Found::Gone,
        Err(_) => Found::Ours,
        Ok(now) => {
            let ours = *store.file_id.lock().unwrap_or_else(|e| e.into_inner());
            match (ours, now) {
                (Some(ours), Some(now)) if ours != now => Found::Other,
                _ => Found::Ours,
            }
        }
    }
}

/// Makes sure the spool writes into the file its path names: when that is no longer the file
/// it opened, moves a foreign file aside, creates a fresh spool at the path and copies into it
/// what the open file holds (see the module). `Ok(true)` when it moved.
///
/// `broken`: the open file failed an I/O call (or was closed after one). The copy is still
/// tried (the store reads what its synced commits hold); when it cannot be read, the new spool
/// starts empty and the loss is logged with its count (the messages of this process are still
/// in memory and delivered while DFINERY is reachable).
///
/// # Errors
///
/// Why the spool cannot go on at its path: a foreign file that cannot be moved aside or that
/// another spool has open, a new file that cannot be created, or (not broken) an open file
/// that cannot be read.
pub(super) fn follow(store: &Store, broken: bool) -> Result<bool, String> {
    let found = look(store);
    if found == Found::Ours {
        return Ok(false);
    }
    let path = &store.watched;
    let aside = if found == Found::Other {
        if in_use(path) {
            return Err(
                "the spool file was replaced by another file, which another spool \
                 (in this or another process) has open; it is neither written nor moved, and \
                 nothing is spooled here until it is closed: give each tracker its own spool file"
                    .to_owned(),
            );
        }
        let aside = aside_path(path);
        std::fs::rename(path, &aside).map_err(|e| {
            format!(
                "the spool file was replaced by another file, which is not this spool's and is \
                 not written; it could not be moved aside to `{}`: {e}; nothing is spooled until \
                 it is moved away",
                aside.display()
            )
        })?;
        Some(aside)
    } else {
        None
    };
    let fresh = panic::catch_unwind(AssertUnwindSafe(|| (store.reopen)()))
        .map_err(|_| "the store panicked while creating the file".to_owned())
        .and_then(|r| r.map_err(|e| e.to_string()))
        .map_err(|e| {
            format!(
                "the spool file was {} while open and a new one could not be created at its path: {e}",
                found.what()
            )
        })?;
    let fresh_id = file_id(path);
    let copied = {
        let db = store.db.read().unwrap_or_else(|e| e.into_inner());
        match db.as_ref() {
            // After a failed I/O call the store refuses to read it: the copy then fails.
            Some(old) => copy(Some(old), &fresh),
            None => Err("the old file was closed after a failed write".to_owned()),
        }
    };
    let (counts, lost) = match copied {
        Ok(counts) => (counts, None),
        Err(reason) if broken => (copy(None, &fresh)?, Some(reason)),
        Err(reason) => {
            // The new file is ours and empty: remove it, so the next try does not take it for
            // a foreign one.
            drop(fresh);
            if fresh_id.is_some() && file_id(path) == fresh_id {
                let _ = std::fs::remove_file(path);
            }
            return Err(format!(
                "the spool file was {} while open and what it holds could not be copied into a \
                 new one: {reason}",
                found.what()
            ));
        }
    };
    let lost_count = lost.as_ref().map(|_| store.pending.load(Ordering::Relaxed));
    {
        let mut db = store.db.write().unwrap_or_else(|e| e.into_inner());
        let old = db.replace(fresh);
        *store.file_id.lock().unwrap_or_else(|e| e.into_inner()) = fresh_id;
        let mut index = store.index.lock().unwrap_or_else(|e| e.into_inner());
        if lost.is_some() {
            // The new file starts empty: nothing is pending in it.
            index.entries.clear();
            index.live.clear();
        }
        // What is pending in the file is what the index holds: the rows copied may still hold
        // messages the journal names delivered (taken out of them at its next checkpoint).
        let (file_pending, file_bytes) = index.totals();
        drop(index);
        // The messages in the journal stay there (it is another file).
        let (journal_pending, journal_bytes) = store
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or((0, 0), |journal| journal.totals());
        store
            .pending
            .store(file_pending + journal_pending, Ordering::Relaxed);
        store
            .pending_bytes
            .store(file_bytes + journal_bytes, Ordering::Relaxed);
        // Closes the old file: its space is freed once nobody has it open.
        drop(old);
    }
    store.recreated.fetch_add(1, Ordering::Relaxed);
    let aside = aside.map(|a| a.display().to_string()).unwrap_or_default();
    match (lost, lost_count) {
        (Some(reason), Some(count)) => tracing::error!(
            path = %path.display(),
            moved_aside = %aside,
            lost_from_the_file = count,
            %reason,
            "the spool file was {} while open, after a failed write: a new spool is started at \
             the path, but what the old file held could not be copied",
            found.what()
        ),
        _ => tracing::error!(
            path = %path.display(),
            moved_aside = %aside,
            pending = counts.pending,
            dead_letters = counts.dead,
            "the spool file was {} while open: a new spool is started at the path with \
             everything the old one held",
            found.what()
        ),
    }
    Ok(true)
}

/// What a copy wrote.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    pending: u64,
    bytes: u64,
    dead: u64,
}

/// Copies every table of `old` (nothing but the format without it) into `fresh` in one synced
/// commit.
fn copy(old: Option<&Database>, fresh: &Database) -> Result<Counts, String> {
    let run = || -> Result<Counts, redb::Error> {
        let read = old.map(|db| db.begin_read()).transpose()?;
        let mut txn = fresh.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let mut counts = Counts::default();
        {
            txn.open_table(META)?.insert("format", SPOOL_FORMAT)?;
            let mut pending = txn.open_table(BATCHES)?;
            let mut dead = txn.open_table(DEAD_LETTERS)?;
            let mut aside = txn.open_table(UNREADABLE)?;
            if let Some(read) = &read {
                for row in read.open_table(BATCHES)?.iter()? {
                    let (key, bytes) = row?;
                    pending.insert(key.value(), bytes.value())?;
                    for (_, entry) in batch::Entries::new(bytes.value()) {
                        counts.pending += 1;
                        counts.bytes += entry.len() as u64;
                    }
                }
                for entry in read.open_table(DEAD_LETTERS)?.iter()? {
                    let (seq, bytes) = entry?;
                    dead.insert(seq.value(), bytes.value())?;
                    counts.dead += 1;
                }
                for entry in read.open_table(UNREADABLE)?.iter()? {
                    let (seq, bytes) = entry?;
                    aside.insert(seq.value(), bytes.value())?;
                }
            }
        }
        txn.commit()?;
        Ok(counts)
    };
    panic::catch_unwind(AssertUnwindSafe(run))
        .map_err(|_| "the store panicked while copying the spool".to_owned())?
        .map_err(|e| e.to_string())
}

/// Whether the store of another spool (or any program locking it as the store does) has the
/// file at `path` open; `false` when that cannot be told.
fn in_use(path: &Path) -> bool {
    use std::ops::Bound;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(backend) = redb::backends::FileBackend::new(file) else {
        return false;
    };
    redb::StorageBackend::query_lock_range(&backend, Bound::Unbounded, Bound::Unbounded)
        .unwrap_or(false)
}

/// `<path>.foreign-<unix ms>` (with `-2`, `-3`, … when taken): where a foreign file found at
/// the spool's path is moved.
pub(super) fn aside_path(path: &Path) -> PathBuf {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".foreign-{ms}"));
    let first = path.with_file_name(&name);
    let mut candidate = first.clone();
    let mut n = 2;
    while candidate.exists() {
        let mut numbered = name.clone();
        numbered.push(format!("-{n}"));
        candidate = path.with_file_name(numbered);
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::super::tests::bury;
    use super::super::{Mode, Spool, Unreadable, UnreadableKind, Write};
    use crate::Identifier;
    use crate::encode::identity::Identity;
    use crate::encode::value::Datetime;
    use crate::tracker::message::{Envelope, Message};

    fn path(name: &str) -> std::path::PathBuf {
        crate::tracker::test_files::path(name)
    }

    fn insert(seq: u64) -> Write {
        let bytes = serde_json::to_vec(&Envelope {
            identity: Identity::new(Identifier::ExternalId, "u").unwrap(),
            message: Message::Identify {
                request_datetime: Datetime::from_unix_millis(0).unwrap(),
            },
        })
        .unwrap();
        Write::Insert {
            seq,
            bytes: bytes.into(),
        }
    }

    /// A spool with 10 pending entries, 2 dead letters and 1 unreadable entry.
    fn filled(path: &std::path::Path) -> Spool {
        let spool = Spool::open(path).unwrap();
        spool
            .submit((1..=13).map(insert).collect(), Mode::Wait)
            .unwrap();
        spool
            .submit(
                vec![
                    bury(11),
                    bury(12),
                    Write::SetAside {
                        seq: 13,
                        raw: b"raw".to_vec(),
                    },
                ],
                Mode::Wait,
            )
            .unwrap();
        assert_eq!(spool.pending_len(), 10);
        spool
    }

    #[test]
    fn a_deleted_file_is_recreated_with_everything_it_held_before_the_next_commit() {
        let path = path("deleted");
        let spool = filled(&path);
        std::fs::remove_file(&path).unwrap();
        spool.submit(vec![insert(14)], Mode::Wait).unwrap();
        assert!(path.exists(), "a new file is created at the path");
        assert_eq!(spool.store.recreated.load(Ordering::Relaxed), 1);
        assert_eq!(spool.pending_len(), 11);
        spool.submit(vec![Write::Remove(1)], Mode::Wait).unwrap();
        assert_eq!(spool.store.recreated.load(Ordering::Relaxed), 1, "once");
        drop(spool);
        let spool = Spool::open(&path).unwrap();
        assert_eq!(spool.pending_len(), 10, "2..=10 and 14");
        let seqs: Vec<u64> = spool
            .read_pending(0, u64::MAX, 100)
            .unwrap()
            .iter()
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(seqs, [2, 3, 4, 5, 6, 7, 8, 9, 10, 14]);
        let dead: Vec<u64> = spool
            .dead_letters()
            .unwrap()
            .iter()
            .map(|d| d.seq)
            .collect();
        assert_eq!(dead, [11, 12]);
        assert_eq!(
            spool.unreadable().unwrap(),
            [Unreadable {
                seq: 13,
                kind: UnreadableKind::Pending,
                bytes: b"raw".to_vec()
            }]
        );
        assert_eq!(spool.last_seq(), 14);
    }

    #[test]
    fn a_deleted_file_is_recreated_while_idle() {
        let path = path("idle");
        let spool = filled(&path);
        std::fs::remove_file(&path).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !path.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(path.exists(), "recreated without any write");
        // Reads now see the new file, with what the old one held.
        assert_eq!(spool.dead_letter_count().unwrap(), 2);
        drop(spool);
        assert_eq!(Spool::open(&path).unwrap().pending_len(), 10);
    }

    #[test]
    fn a_foreign_file_at_the_path_is_moved_aside_untouched() {
        let path = path("replaced");
        let spool = filled(&path);
        let other = path.with_extension("other");
        std::fs::write(&other, b"not a spool, not ours").unwrap();
        std::fs::rename(&other, &path).unwrap();
        spool.submit(vec![insert(14)], Mode::Wait).unwrap();
        let folder = path.parent().unwrap();
        let prefix = format!("{}.foreign-", path.file_name().unwrap().to_string_lossy());
        let aside: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&prefix)
            })
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(std::fs::read(&aside[0]).unwrap(), b"not a spool, not ours");
        drop(spool);
        let spool = Spool::open(&path).unwrap();
        assert_eq!(spool.pending_len(), 11);
        assert_eq!(spool.dead_letter_count().unwrap(), 2);
    }

    #[test]
    fn a_foreign_spool_in_use_at_the_path_is_left_alone_until_it_is_closed() {
        let path = path("in-use");
        let spool = filled(&path);
        let other = path.with_extension("theirs");
        let theirs = Spool::open(&other).unwrap();
        theirs.submit(vec![insert(100)], Mode::Wait).unwrap();
        std::fs::rename(&other, &path).unwrap();
        let error = spool
            .submit(vec![insert(14)], Mode::Wait)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("another spool") && error.contains("not made durable"),
            "{error}"
        );
        assert_eq!(spool.store.recreated.load(Ordering::Relaxed), 0);
        // Theirs is untouched and goes on at the path.
        theirs.submit(vec![insert(101)], Mode::Wait).unwrap();
        drop(theirs);
        // Closed: the next commit moves it aside and goes on with everything of ours.
        spool.submit(vec![insert(15)], Mode::Wait).unwrap();
        assert_eq!(spool.store.recreated.load(Ordering::Relaxed), 1);
        drop(spool);
        let ours = Spool::open(&path).unwrap();
        let seqs: Vec<u64> = ours
            .read_pending(0, u64::MAX, 100)
            .unwrap()
            .iter()
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15], "14 was refused");
        let folder = path.parent().unwrap();
        let prefix = format!("{}.foreign-", path.file_name().unwrap().to_string_lossy());
        let aside: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&prefix)
            })
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        // Theirs had lost its own path (renamed over ours), so it followed it too: the file
        // moved aside is the one it left, empty (its messages were in its journal, which
        // stayed at its path), and its path holds both of its entries.
        assert_eq!(Spool::open(&aside[0]).unwrap().pending_len(), 0);
        assert_eq!(Spool::open(&other).unwrap().pending_len(), 2);
    }
}
