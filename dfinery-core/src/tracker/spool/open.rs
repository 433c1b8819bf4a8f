//! [`Spool::open`]: opening (or creating) the file, checking its format, and counting what a
//! previous process left. A damaged file is an error, never a panic.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};

use redb::{Database, DatabaseError, Durability, ReadableTable, ReadableTableMetadata};

use super::commit::Writer;
use super::follow;
use super::{DEAD_LETTERS, META, PENDING, Reopen, SPOOL_FORMAT, Spool, Store, UNREADABLE};
use crate::tracker::error::{SpoolError, StoreError};

impl Spool {
    /// Opens the spool at `path`, creating it (not its folder) when it does not exist.
    ///
    /// An existing file is never silently started over: an empty one (a spool cut to nothing)
    /// is refused like any other damaged file, since the messages it held cannot be counted.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Open`] when the file is damaged, empty or not a spool, [`SpoolError::InUse`]
    /// when it is already open, [`SpoolError::Format`] when another version wrote it, and
    /// [`SpoolError::Storage`] when it cannot be read or written.
    ///
    /// It reads the file on the calling thread and starts the spool's writer thread.
    pub fn open(path: impl AsRef<Path>) -> Result<Spool, SpoolError> {
        let path = path.as_ref().to_path_buf();
        // The store reports damage as errors; the guard keeps a panic on a file damaged in a way
        // it does not foresee from reaching the caller.
        // Opened again (after a failed write, or at the path after the file was deleted) by
        // its absolute path, so a change of the working folder does not move it.
        let file = absolute(&path);
        let reopen: Reopen = Arc::new(move || Database::create(&file));
        Spool::open_guarded(path, reopen)
    }

    /// Opens the spool at `path` through a storage backend made by `backend` (called again
    /// each time the writer reopens the file after a failed write). For the fault-injection
    /// tests, which wrap the file backend to make writes, syncs and reads fail on demand; not
    /// part of the stable API.
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
        Spool::open_guarded(path, reopen)
    }

    fn open_guarded(path: PathBuf, reopen: Reopen) -> Result<Spool, SpoolError> {
        match panic::catch_unwind(AssertUnwindSafe(|| open_checked(&path, reopen))) {
            Ok(result) => result,
            Err(_) => Err(SpoolError::Open {
                path,
                source: StoreError::new("the store panicked while reading the file"),
            }),
        }
    }
}

fn open_checked(path: &Path, reopen: Reopen) -> Result<Spool, SpoolError> {
    refuse_empty_file(path)?;
    let db = reopen().map_err(|error| match error {
        DatabaseError::DatabaseAlreadyOpen => SpoolError::InUse {
            path: path.to_path_buf(),
        },
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
    let mut txn = db.begin_write().map_err(|e| storage(e.into()))?;
    txn.set_durability(Durability::Immediate)
        .map_err(|e| storage(e.into()))?;
    let (pending, pending_bytes, last_seq) = {
        let mut meta = txn.open_table(META).map_err(|e| storage(e.into()))?;
        let format = meta
            .get("format")
            .map_err(|e| storage(e.into()))?
            .map(|v| v.value());
        match format {
            Some(SPOOL_FORMAT) => {}
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
        let pending_table = txn.open_table(PENDING).map_err(|e| storage(e.into()))?;
        let dead = txn
            .open_table(DEAD_LETTERS)
            .map_err(|e| storage(e.into()))?;
        let unreadable = txn.open_table(UNREADABLE).map_err(|e| storage(e.into()))?;
        let mut bytes = 0_u64;
        for entry in pending_table.iter().map_err(|e| storage(e.into()))? {
            let (_, value) = entry.map_err(|e| storage(e.into()))?;
            bytes += value.value().len() as u64;
        }
        let mut last = 0;
        for table in [&pending_table, &dead, &unreadable] {
            if let Some((seq, _)) = table.last().map_err(|e| storage(e.into()))? {
                last = last.max(seq.value());
            }
        }
        (
            pending_table.len().map_err(|e| storage(e.into()))?,
            bytes,
            last,
        )
    };
    txn.commit().map_err(|e| storage(e.into()))?;
    // Read once the store has it open: the file the writer then watches the path for.
    let watched = absolute(path);
    let file_id = follow::file_id(&watched);
    let store = Arc::new(Store {
        db: RwLock::new(Some(db)),
        reopen,
        path: PathBuf::from(path),
        watched,
        pending: AtomicU64::new(pending),
        pending_bytes: AtomicU64::new(pending_bytes),
        unsynced: AtomicU64::new(0),
        file_id: Mutex::new(file_id),
        recreated: AtomicU64::new(0),
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
