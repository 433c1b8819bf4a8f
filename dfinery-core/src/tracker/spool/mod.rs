//! [`Spool`]: the tracker's durable queue in a redb file. A `pending` table holds every
//! accepted message until DFINERY confirms it, a `dead_letters` table the messages refused for
//! good, each keyed by the message's sequence number.

mod commit;
mod open;

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use super::dead_letter::DeadLetter;
use super::error::{SpoolError, StoreError};

use commit::Writer;
pub(crate) use commit::{Mode, Write};

/// Messages waiting for DFINERY's confirmation: sequence number → [`Envelope`] as JSON.
///
/// [`Envelope`]: super::message::Envelope
const PENDING: TableDefinition<u64, &[u8]> = TableDefinition::new("pending");
/// Messages refused for good: sequence number → [`DeadLetter`] as JSON.
const DEAD_LETTERS: TableDefinition<u64, &[u8]> = TableDefinition::new("dead_letters");
/// Pending entries that could not be decoded, moved aside as they were.
const UNREADABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("unreadable");
/// `format` → the spool format version.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// The spool format this version writes and reads.
pub const SPOOL_FORMAT: u64 = 1;

/// The tracker's durable queue: a redb database file (an embedded, transactional store with
/// checksummed pages and crash-safe commits).
///
/// A tracker opens it with [`TrackerBuilder::spool`](super::TrackerBuilder::spool); open it
/// yourself to read what a stopped tracker left: [`pending_len`](Spool::pending_len) messages
/// still to deliver (the next tracker on this file delivers them first) and the
/// [`dead_letters`](Spool::dead_letters). One file serves one tracker at a time: a second open,
/// in this process or another, fails with [`SpoolError::InUse`].
///
/// A damaged file (or one that is not a spool) makes [`open`](Spool::open) return
/// [`SpoolError::Open`], never a panic; move it aside to start again.
pub struct Spool {
    db: Database,
    path: PathBuf,
    writer: Writer,
    pending: AtomicU64,
    pending_bytes: AtomicU64,
    last_seq: u64,
}

impl Spool {
    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Messages waiting for delivery.
    pub fn pending_len(&self) -> u64 {
        self.pending.load(Ordering::Relaxed)
    }

    /// Bytes of the messages waiting for delivery.
    pub fn pending_bytes(&self) -> u64 {
        self.pending_bytes.load(Ordering::Relaxed)
    }

    /// The highest sequence number in the file when it was opened (0 for a new file).
    pub(crate) fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Every dead letter, oldest first.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Storage`] when the file cannot be read or an entry cannot be decoded.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, SpoolError> {
        self.guarded(|| {
            let store = |e: redb::Error| self.store("reading the dead letters", e);
            let txn = self.db.begin_read().map_err(|e| store(e.into()))?;
            let table = txn.open_table(DEAD_LETTERS).map_err(|e| store(e.into()))?;
            let mut letters = Vec::new();
            for entry in table.iter().map_err(|e| store(e.into()))? {
                let (seq, bytes) = entry.map_err(|e| store(e.into()))?;
                let letter = serde_json::from_slice(bytes.value()).map_err(|e| {
                    self.storage(format!(
                        "dead letter {} cannot be decoded: {e}",
                        seq.value()
                    ))
                })?;
                letters.push(letter);
            }
            Ok(letters)
        })
    }

    /// The number of dead letters.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Storage`] when the file cannot be read.
    pub fn dead_letter_count(&self) -> Result<u64, SpoolError> {
        self.guarded(|| {
            let store = |e: redb::Error| self.store("counting the dead letters", e);
            let txn = self.db.begin_read().map_err(|e| store(e.into()))?;
            let table = txn.open_table(DEAD_LETTERS).map_err(|e| store(e.into()))?;
            table.len().map_err(|e| store(e.into()))
        })
    }

    /// Deletes every dead letter (after you have handled them); returns how many there were.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Storage`] when the file cannot be written.
    pub fn clear_dead_letters(&self) -> Result<u64, SpoolError> {
        let count = self.dead_letter_count()?;
        self.submit(vec![Write::ClearDeadLetters], Mode::Wait)?;
        Ok(count)
    }

    /// Pending entries that could not be decoded when read back (e.g. written by another
    /// version), moved aside as raw bytes with their sequence numbers.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Storage`] when the file cannot be read.
    pub fn unreadable(&self) -> Result<Vec<(u64, Vec<u8>)>, SpoolError> {
        self.guarded(|| {
            let store = |e: redb::Error| self.store("reading the unreadable entries", e);
            let txn = self.db.begin_read().map_err(|e| store(e.into()))?;
            let table = txn.open_table(UNREADABLE).map_err(|e| store(e.into()))?;
            let mut rows = Vec::new();
            for entry in table.iter().map_err(|e| store(e.into()))? {
                let (seq, bytes) = entry.map_err(|e| store(e.into()))?;
                rows.push((seq.value(), bytes.value().to_vec()));
            }
            Ok(rows)
        })
    }

    /// Up to `limit` pending entries with sequence numbers in `after + 1 ..= upto`, in order.
    pub(crate) fn read_pending(
        &self,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, SpoolError> {
        self.guarded(|| {
            if after >= upto {
                return Ok(Vec::new());
            }
            let store = |e: redb::Error| self.store("reading the pending messages", e);
            let txn = self.db.begin_read().map_err(|e| store(e.into()))?;
            let table = txn.open_table(PENDING).map_err(|e| store(e.into()))?;
            let mut rows = Vec::new();
            for entry in table
                .range(after + 1..=upto)
                .map_err(|e| store(e.into()))?
                .take(limit)
            {
                let (seq, bytes) = entry.map_err(|e| store(e.into()))?;
                rows.push((seq.value(), bytes.value().to_vec()));
            }
            Ok(rows)
        })
    }

    /// Pending entries with sequence numbers up to `upto`.
    pub(crate) fn count_pending_upto(&self, upto: u64) -> Result<u64, SpoolError> {
        self.guarded(|| {
            let store = |e: redb::Error| self.store("counting the pending messages", e);
            let txn = self.db.begin_read().map_err(|e| store(e.into()))?;
            let table = txn.open_table(PENDING).map_err(|e| store(e.into()))?;
            let mut count = 0;
            for entry in table.range(..=upto).map_err(|e| store(e.into()))? {
                entry.map_err(|e| store(e.into()))?;
                count += 1;
            }
            Ok(count)
        })
    }

    /// Runs `read`, turning a panic inside the store (damage it does not foresee) into an
    /// error; with `panic = "abort"` there is nothing to catch.
    fn guarded<T>(&self, read: impl FnOnce() -> Result<T, SpoolError>) -> Result<T, SpoolError> {
        panic::catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|_| {
            Err(self.storage("the store failed while reading the file; it may be damaged"))
        })
    }

    /// A failure of the store under this file, kept as the error's source.
    fn store(&self, operation: &'static str, error: redb::Error) -> SpoolError {
        SpoolError::Store {
            path: self.path.clone(),
            operation,
            source: StoreError::new(error),
        }
    }

    /// A storage failure of this file known only by its description.
    fn storage(&self, error: impl fmt::Display) -> SpoolError {
        SpoolError::Storage {
            path: self.path.clone(),
            reason: error.to_string(),
        }
    }
}

impl fmt::Debug for Spool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spool")
            .field("path", &self.path)
            .field("pending", &self.pending_len())
            .field("pending_bytes", &self.pending_bytes())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
