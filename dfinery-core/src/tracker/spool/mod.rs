//! [`Spool`]: the tracker's durable queue, a journal and a redb file. The journal
//! (`journal.rs`, used by `journaled.rs`) takes every accepted message as it comes, one group
//! per commit; the redb file's `batches` table holds what a checkpoint moved there, one row per
//! commit (see `batch.rs`); a `dead_letters` table holds the messages refused for good, keyed by
//! the message's sequence number. One thread per spool writes the files (see `commit.rs`);
//! callers hand it their writes and are answered through a channel.

mod batch;
mod commit;
mod follow;
mod journal;
mod journaled;
mod open;

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::dead_letter::DeadLetter;
use super::error::{SpoolError, StoreError};

#[cfg(test)]
pub(crate) use commit::tests::open_counted;
pub(crate) use commit::{Done, Mode, Part, Rows, Stored, Write};
use commit::{Job, Writer};

/// Messages waiting for DFINERY's confirmation: batch key → the messages one commit added,
/// each with its sequence number and its [`Envelope`] as JSON (see `batch.rs`).
///
/// [`Envelope`]: super::message::Envelope
const BATCHES: TableDefinition<u64, &[u8]> = TableDefinition::new("batches");
/// Format 1's table of pending messages, one row per message (sequence number → envelope);
/// moved into [`BATCHES`] when such a file is opened.
const LEGACY_PENDING: TableDefinition<u64, &[u8]> = TableDefinition::new("pending");
/// Messages refused for good: sequence number → [`DeadLetter`] as JSON.
const DEAD_LETTERS: TableDefinition<u64, &[u8]> = TableDefinition::new("dead_letters");
/// Pending entries that could not be decoded, moved aside as they were.
const UNREADABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("unreadable");
/// `format` → the spool format version; [`REMOVED_UP_TO`] → the highest sequence number of
/// a dead letter or unreadable entry a user removed.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// The key in [`META`] of the highest sequence number removed by
/// [`Spool::remove_dead_letters`], [`Spool::remove_unreadable`] or
/// [`Spool::clear_dead_letters`]: the numbers given after an open start above it, so a number
/// a user once read (and may remove again from a list kept) never names a newer entry. Written
/// with the removal, in its transaction; a file without it (written before, or by an older
/// version, which ignores it) counts from its entries as before.
const REMOVED_UP_TO: &str = "removed_up_to";

/// The spool format this version writes and reads: format 3 keeps the newest pending messages
/// in a journal beside the redb file (see `journaled.rs`), and checksums each message of a
/// batch. Files of format 2 (everything in redb, rows without checksums) have their rows
/// written again with checksums, and of format 1 (one row per pending message) are moved into
/// batches, when opened, and are format 3 from then on (see `open.rs`); a file of another
/// format is refused with [`SpoolError::Format`], which names both.
pub(crate) const SPOOL_FORMAT: u64 = 3;

/// Opens the spool's database again (the file, or a backend given to
/// [`Spool::open_with_backend`]).
pub(super) type Reopen = Arc<dyn Fn() -> Result<Database, redb::DatabaseError> + Send + Sync>;

/// The tracker's durable queue: a redb database file (an embedded, transactional store with
/// crash-safe commits) and a journal beside it, `<name>-journal`, where the newest messages are
/// appended, one write and one sync per group of callers. What stays pending longer than the
/// journal keeps it (when it is full), and everything pending when the spool is closed or
/// opened, is moved into the redb file, which also holds the dead letters. Copy, move or delete
/// the two files together.
///
/// A tracker opens it with [`TrackerBuilder::spool`](super::TrackerBuilder::spool); open it
/// yourself to read what a stopped tracker left: [`pending_len`](Spool::pending_len) messages
/// still to deliver (the next tracker on this file delivers them first) and the
/// [`dead_letters`](Spool::dead_letters). One file serves one tracker at a time: a second open,
/// in this process or another, fails with [`SpoolError::InUse`].
///
/// A damaged file (or one that is not a spool) makes [`open`](Spool::open) return
/// [`SpoolError::Open`], never a panic; move it aside to start again.
///
/// The spool follows its path: when the file is deleted while open, the writer creates a new
/// one at the path with everything the old one held (before its next commit, or within a
/// second while idle), so what is pending at shutdown is found by the next start; when the path
/// is replaced by another file, that file is moved aside to `<name>.foreign-<unix ms>`, never
/// written, and the spool starts afresh there the same way (or, while another spool has that
/// file open, spooling is refused with an error saying so). Each such move is logged and
/// counted in [`TrackerMetrics::spool_recreated`](super::TrackerMetrics::spool_recreated); see
/// `RELIABILITY.md`, "Faults at the edges".
///
/// Writes go through one writer thread per spool, which commits them in groups; the methods
/// here that touch the file ([`open`](Spool::open), [`dead_letters`](Spool::dead_letters),
/// [`clear_dead_letters`](Spool::clear_dead_letters), …) block their thread on the disk, so
/// call them from [`spawn_blocking`](tokio::task::spawn_blocking) in async code. Once built,
/// the tracker never calls them on a runtime thread; [`TrackerBuilder::build`](super::TrackerBuilder::build)
/// opens the spool on the thread that calls it (see there).
pub struct Spool {
    store: Arc<Store>,
    writer: Writer,
    last_seq: u64,
}

/// The file and its counters, shared by the spool's handle (for reads) and its writer thread.
pub(super) struct Store {
    /// The open file; `None` while the writer reopens it after a failed commit (see
    /// `commit.rs`), when a reopen failed, or after a write found the file gone.
    db: RwLock<Option<Database>>,
    /// Opens the file again: after a failed commit the store refuses every later operation,
    /// so the writer drops it and reads the file afresh (nothing it held in memory is trusted).
    reopen: Reopen,
    path: PathBuf,
    /// `path`, shared with the task that answers callers (see [`Store::answers`]).
    shared_path: Arc<Path>,
    /// `path` made absolute when opened: the file the writer follows (`follow.rs`), whatever
    /// the process's working folder becomes.
    watched: PathBuf,
    pending: AtomicU64,
    pending_bytes: AtomicU64,
    /// Where each pending message is in the file; changed by the writer thread after each
    /// commit, read for the recovery's pages.
    index: Mutex<batch::Index>,
    /// The next sequence number to hand out: the tracker numbers its messages from it, and the
    /// writer the damaged bytes it finds when it opens the file again, so no number is given
    /// twice.
    next_seq: AtomicU64,
    /// The Tokio tasks that call the callbacks of jobs handed over with
    /// [`Spool::enqueue_answered_in_runtime`], one per runtime (by its id), each started by
    /// the first such job from its runtime.
    answers: Mutex<
        Vec<(
            tokio::runtime::Id,
            tokio::sync::mpsc::UnboundedSender<commit::Answers>,
        )>,
    >,
    /// Entries handed over without waiting ([`Mode::Soon`] inserts, the `try_` calls) that no
    /// finished commit holds yet.
    unsynced: AtomicU64,
    /// The file the store has open (device and inode), to see it deleted or replaced (see
    /// `follow.rs`); `None` where the platform does not say.
    file_id: Mutex<Option<follow::FileId>>,
    /// Times the file (or its journal) was found deleted or replaced and a new one started
    /// at the path.
    recreated: AtomicU64,
    /// Where the journal is and how it is opened (see `journaled.rs`).
    journal_source: Option<journaled::JournalSource>,
    /// The journal the writer appends to; `None` for a spool that writes its messages into
    /// redb, or while the writer reopens the files after a failed write.
    journal: Mutex<Option<journaled::Journaled>>,
}

/// An entry of the spool that cannot be decoded, as [`Spool::unreadable`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unreadable {
    /// Its sequence number: give it to [`Spool::remove_unreadable`] to remove the entry.
    pub seq: u64,
    /// What the entry was: a message still to deliver, or a dead letter.
    pub kind: UnreadableKind,
    /// Its bytes, as they are in the file (JSON when undamaged).
    pub bytes: Vec<u8>,
}

/// What an [`Unreadable`] entry was before it could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnreadableKind {
    /// A message waiting for delivery: the tracker could not decode it when it read it back,
    /// so it was set aside, never sent (and counted as dead-lettered). Its bytes are the
    /// message's envelope (user and message as JSON), or damaged bytes the spool found in its
    /// file and numbered as an entry of their own.
    Pending,
    /// A dead letter (a message DFINERY refused for good) that cannot be decoded: left out
    /// of [`Spool::dead_letters`]. Its bytes are the [`DeadLetter`] as JSON, damaged or
    /// written by another version.
    DeadLetter,
}

impl Spool {
    /// The file.
    pub fn path(&self) -> &Path {
        &self.store.path
    }

    /// Messages waiting for delivery.
    pub fn pending_len(&self) -> u64 {
        self.store.pending.load(Ordering::Relaxed)
    }

    /// Bytes of the messages waiting for delivery (the tracker reports them as
    /// [`TrackerMetrics::spooled_bytes`](super::TrackerMetrics::spooled_bytes)).
    pub(crate) fn pending_bytes(&self) -> u64 {
        self.store.pending_bytes.load(Ordering::Relaxed)
    }

    /// Messages handed over by `try_` calls ([`Tracker::try_track`](super::Tracker::try_track)
    /// and the like) that no synced commit holds yet: what a crash at this moment can lose.
    /// They are those of the commit under way and those handed over while it runs (which go
    /// into the next one); it drops to 0 once the writer has caught up. Awaited calls are
    /// never counted: they return only once synced.
    pub fn unsynced(&self) -> u64 {
        self.store.unsynced.load(Ordering::SeqCst)
    }

    /// Times the writer found its file deleted or replaced while open and started a new spool
    /// at the path with everything the old file held (see `follow.rs`).
    pub(crate) fn recreated(&self) -> u64 {
        self.store.recreated.load(Ordering::Relaxed)
    }

    /// The highest sequence number in the file when it was opened (0 for a new file).
    pub(crate) fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// A new sequence number, above every number in the file and every number given before.
    pub(crate) fn next_seq(&self) -> u64 {
        self.store.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Every dead letter, oldest first.
    ///
    /// A dead letter that cannot be decoded (damage, or a file written by another version) is
    /// left out, with a warning logged naming its number: it is listed, as its bytes, by
    /// [`unreadable`](Spool::unreadable), and removed by
    /// [`remove_dead_letters`](Spool::remove_dead_letters) with its number, so one such letter
    /// never hides the others.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Storage`] or [`SpoolError::Store`] when the file cannot be read.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, SpoolError> {
        let mut letters = Vec::new();
        self.each_dead_letter(|seq, bytes| match serde_json::from_slice(bytes) {
            Ok(letter) => letters.push(letter),
            Err(error) => tracing::warn!(
                seq,
                %error,
                spool = %self.path().display(),
                "a dead letter of the spool cannot be decoded; it is left out of \
                 `Spool::dead_letters` and listed by `Spool::unreadable`"
            ),
        })?;
        Ok(letters)
    }

    /// Calls `each` with the number and bytes of every dead letter, oldest first.
    fn each_dead_letter(&self, mut each: impl FnMut(u64, &[u8])) -> Result<(), SpoolError> {
        let store = &*self.store;
        // Read whole before `each` sees any: a read that fails part-way is read again from
        // the start (see `reading`), and `each` must not see its first letters twice.
        let rows = self.reading(|| {
            let txn = store.begin_read("reading the dead letters")?;
            let table = txn
                .open_table(DEAD_LETTERS)
                .map_err(|e| store.store("reading the dead letters", e))?;
            let mut rows = Vec::new();
            for entry in table
                .iter()
                .map_err(|e| store.store("reading the dead letters", e))?
            {
                let (seq, bytes) = entry.map_err(|e| store.store("reading the dead letters", e))?;
                rows.push((seq.value(), bytes.value().to_vec()));
            }
            Ok(rows)
        })?;
        for (seq, bytes) in rows {
            each(seq, &bytes);
        }
        Ok(())
    }

    /// Runs `read` (guarded, see [`Store::guarded`]); when the store refused it because a
    /// write failed before (the file is closed, or the store refuses every call after an I/O
    /// error), has the writer open the file again (it does so before it answers a caller
    /// waiting behind what came before), and runs `read` once more.
    fn reading<T>(&self, mut read: impl FnMut() -> Result<T, SpoolError>) -> Result<T, SpoolError> {
        match self.store.guarded(&mut read) {
            Err(error) if self.store.after_failed_write(&error) => {
                // Its own failure says nothing more: the read's error says what failed.
                let _ = self.submit(Vec::new(), Mode::Wait);
                self.store.guarded(read)
            }
            other => other,
        }
    }

    /// The number of dead letters, without decoding them.
    #[cfg(test)]
    pub(crate) fn dead_letter_count(&self) -> Result<u64, SpoolError> {
        Ok(self.dead_letter_keys()?.len() as u64)
    }

    /// The sequence numbers of the dead letters there now, without decoding them.
    fn dead_letter_keys(&self) -> Result<Vec<u64>, SpoolError> {
        let store = &*self.store;
        self.reading(|| {
            let txn = store.begin_read("reading the dead letters")?;
            let table = txn
                .open_table(DEAD_LETTERS)
                .map_err(|e| store.store("reading the dead letters", e))?;
            let mut keys = Vec::new();
            for entry in table
                .iter()
                .map_err(|e| store.store("reading the dead letters", e))?
            {
                let (seq, _) = entry.map_err(|e| store.store("reading the dead letters", e))?;
                keys.push(seq.value());
            }
            Ok(keys)
        })
    }

    /// Deletes the dead letters whose [`seq`](DeadLetter::seq) is given (those you read with
    /// [`dead_letters`](Spool::dead_letters) and handled), once synced; returns how many of
    /// them were there. A number that names no dead letter (removed already) is passed over.
    ///
    /// Use it rather than [`clear_dead_letters`](Spool::clear_dead_letters) while a tracker
    /// runs on the spool: a message it dead-letters between your read and this call is kept
    /// for your next read, not deleted unseen.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Storage`] or [`SpoolError::Store`] when the file cannot be read or
    /// written; the letters may still be there then: call it again once the disk is fine.
    pub fn remove_dead_letters(
        &self,
        seqs: impl IntoIterator<Item = u64>,
    ) -> Result<u64, SpoolError> {
        let seqs: std::collections::BTreeSet<u64> = seqs.into_iter().collect();
        let there: Vec<u64> = self
            .dead_letter_keys()?
            .into_iter()
            .filter(|seq| seqs.contains(seq))
            .collect();
        if there.is_empty() {
            return Ok(0);
        }
        let count = there.len() as u64;
        self.remove_letters(there)?;
        Ok(count)
    }

    /// Removes the dead letters `seqs` in a synced commit; a failure says the letters may not be
    /// removed (not that a message was not made durable, as a refused `track` is told).
    fn remove_letters(&self, seqs: Vec<u64>) -> Result<(), SpoolError> {
        self.remove(vec![Write::RemoveDeadLetters(seqs)], "the dead letters")
    }

    /// Commits the removals `writes` in a synced commit; a failure says `what` may not be
    /// removed (not that a message was not made durable, as a refused `track` is told).
    fn remove(&self, writes: Vec<Write>, what: &str) -> Result<(), SpoolError> {
        self.submit(writes, Mode::Wait)
            .map_err(|error| match error {
                SpoolError::Storage { path, reason } => SpoolError::Storage {
                    reason: format!(
                        "{}; {what} may not be removed: call it again",
                        reason.strip_suffix(commit::NOT_DURABLE).unwrap_or(&reason)
                    ),
                    path,
                },
                other => other,
            })
    }

    /// Deletes the unreadable entries whose [`seq`](Unreadable::seq) is given (those you read
    /// with [`unreadable`](Spool::unreadable) and handled), of either kind, once synced;
    /// returns how many of them were there. A number that names no unreadable entry (removed
    /// already, or a dead letter that decodes) is passed over.
    ///
    /// While a tracker runs on the spool, an entry it sets aside after your read is kept for
    /// your next read, not deleted unseen: only the numbers given are removed.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Storage`] or [`SpoolError::Store`] when the file cannot be read or
    /// written; the entries may still be there then: call it again once the disk is fine.
    pub fn remove_unreadable(
        &self,
        seqs: impl IntoIterator<Item = u64>,
    ) -> Result<u64, SpoolError> {
        let seqs: std::collections::BTreeSet<u64> = seqs.into_iter().collect();
        let pending: Vec<u64> = self
            .unreadable_pending()?
            .into_iter()
            .map(|(seq, _)| seq)
            .filter(|seq| seqs.contains(seq))
            .collect();
        let mut letters = Vec::new();
        self.each_dead_letter(|seq, bytes| {
            if seqs.contains(&seq) && serde_json::from_slice::<DeadLetter>(bytes).is_err() {
                letters.push(seq);
            }
        })?;
        let count = (pending.len() + letters.len()) as u64;
        let mut writes = Vec::new();
        if !pending.is_empty() {
            writes.push(Write::RemoveUnreadable(pending));
        }
        if !letters.is_empty() {
            writes.push(Write::RemoveDeadLetters(letters));
        }
        if writes.is_empty() {
            return Ok(0);
        }
        self.remove(writes, "the unreadable entries")?;
        Ok(count)
    }

    /// Deletes every dead letter there is now; returns how many it deleted.
    ///
    /// While a tracker runs on the spool, a message may be dead-lettered after you read the
    /// letters and before this call: this deletes it too, unseen. Remove those you read with
    /// [`remove_dead_letters`](Spool::remove_dead_letters) instead; this is for a spool no
    /// tracker has open, or letters you do not mean to read.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Storage`] or [`SpoolError::Store`] when the file cannot be read or
    /// written; the letters may still be there then: call it again once the disk is fine.
    pub fn clear_dead_letters(&self) -> Result<u64, SpoolError> {
        let there = self.dead_letter_keys()?;
        if there.is_empty() {
            return Ok(0);
        }
        let count = there.len() as u64;
        self.remove_letters(there)?;
        Ok(count)
    }

    /// The spool's entries that cannot be decoded, each with its [`kind`](Unreadable::kind):
    /// first the pending messages that could not be decoded when read back (damaged bytes, or
    /// written by another version), moved aside as they were and never delivered
    /// ([`UnreadableKind::Pending`]); then the dead letters that cannot be decoded, left out of
    /// [`dead_letters`](Spool::dead_letters) ([`UnreadableKind::DeadLetter`]). Each in order
    /// of its sequence number. Remove those you handled with
    /// [`remove_unreadable`](Spool::remove_unreadable).
    ///
    /// # Errors
    ///
    /// [`SpoolError::Storage`] or [`SpoolError::Store`] when the file cannot be read.
    pub fn unreadable(&self) -> Result<Vec<Unreadable>, SpoolError> {
        let mut rows: Vec<Unreadable> = self
            .unreadable_pending()?
            .into_iter()
            .map(|(seq, bytes)| Unreadable {
                seq,
                kind: UnreadableKind::Pending,
                bytes,
            })
            .collect();
        self.each_dead_letter(|seq, bytes| {
            if serde_json::from_slice::<DeadLetter>(bytes).is_err() {
                rows.push(Unreadable {
                    seq,
                    kind: UnreadableKind::DeadLetter,
                    bytes: bytes.to_vec(),
                });
            }
        })?;
        Ok(rows)
    }

    /// The pending entries moved aside as unreadable.
    fn unreadable_pending(&self) -> Result<Vec<(u64, Vec<u8>)>, SpoolError> {
        let store = &*self.store;
        self.reading(|| {
            let txn = store.begin_read("reading the unreadable entries")?;
            let table = txn
                .open_table(UNREADABLE)
                .map_err(|e| store.store("reading the unreadable entries", e))?;
            let mut rows = Vec::new();
            for entry in table
                .iter()
                .map_err(|e| store.store("reading the unreadable entries", e))?
            {
                let (seq, bytes) =
                    entry.map_err(|e| store.store("reading the unreadable entries", e))?;
                rows.push((seq.value(), bytes.value().to_vec()));
            }
            Ok(rows)
        })
    }

    /// Hands `writes` to the writer thread under `mode`, never blocking; `done` is called on
    /// that thread once they are committed (or failed).
    pub(crate) fn enqueue(&self, writes: impl Into<Part>, mode: Mode, done: Option<Done>) {
        self.send_write(writes.into(), mode, done, None);
    }

    /// As [`enqueue`](Spool::enqueue), with `done` called on a task of the calling thread's
    /// Tokio runtime instead of on the writer thread. The writer hands that task every such
    /// callback of a commit at once, in commit order: one wake-up per commit instead of one per
    /// caller, and the callers' tasks are then woken from inside the runtime. For the tracker's
    /// awaited calls, whose callbacks queue the messages and wake the callers.
    ///
    /// Only a multi-threaded runtime is used: its workers run its tasks whoever drives it,
    /// while a current-thread runtime runs them only inside its `block_on`, which another
    /// runtime's caller could be waiting on forever. Each runtime has its own task, so a caller
    /// never waits on another runtime's workers. Without one (and once the task's runtime has
    /// shut down), `done` is called on the writer thread, as by [`enqueue`](Spool::enqueue).
    pub(crate) fn enqueue_answered_in_runtime(
        &self,
        writes: impl Into<Part>,
        mode: Mode,
        done: Done,
    ) {
        let multi_thread = tokio::runtime::Handle::try_current()
            .ok()
            .filter(|runtime| {
                runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
            });
        let in_runtime = multi_thread.map(|runtime| {
            let id = runtime.id();
            let mut answers = self.store.answers.lock().unwrap_or_else(|e| e.into_inner());
            // The tasks of runtimes shut down are forgotten.
            answers.retain(|(_, task)| !task.is_closed());
            if !answers.iter().any(|(of, _)| *of == id) {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<commit::Answers>();
                runtime.spawn(async move {
                    // Each is answered as it is dropped (see `commit::Answers`).
                    while let Some(answers) = rx.recv().await {
                        drop(answers);
                    }
                });
                answers.push((id, tx));
            }
            id
        });
        self.send_write(writes.into(), mode, Some(done), in_runtime);
    }

    /// Hands a write job to the writer thread; a job it cannot take is answered with an error.
    fn send_write(
        &self,
        writes: Part,
        mode: Mode,
        done: Option<Done>,
        in_runtime: Option<tokio::runtime::Id>,
    ) {
        let unsynced = commit::unsynced(&writes, mode);
        self.store.unsynced.fetch_add(unsynced, Ordering::SeqCst);
        let job = Job::Write {
            writes,
            mode,
            done,
            in_runtime,
        };
        if let Err(job) = self.writer.send(job) {
            self.store.unsynced.fetch_sub(unsynced, Ordering::SeqCst);
            if let Job::Write {
                done: Some(done), ..
            } = job
            {
                done(Err(self
                    .store
                    .storage("the spool's writer thread has stopped")));
            }
        }
    }

    /// Commits `writes` in the next synced commit and waits for it by awaiting, never by
    /// blocking the thread.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Storage`] when that commit failed.
    pub(crate) async fn commit(&self, writes: Vec<Write>) -> Result<(), SpoolError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.enqueue(
            writes,
            Mode::Wait,
            Some(Box::new(move |result| {
                let _ = tx.send(result);
            })),
        );
        rx.await
            .unwrap_or_else(|_| Err(self.store.storage("the spool's writer thread has stopped")))
    }

    /// Applies `writes` under `mode` from a thread that may block: with [`Mode::Wait`], returns
    /// once they are synced.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Storage`] when the commit holding them failed (only with [`Mode::Wait`]).
    pub(crate) fn submit(&self, writes: Vec<Write>, mode: Mode) -> Result<(), SpoolError> {
        if mode != Mode::Wait {
            self.enqueue(writes, mode, None);
            return Ok(());
        }
        let (tx, rx) = std::sync::mpsc::channel();
        self.enqueue(
            writes,
            mode,
            Some(Box::new(move |result| {
                let _ = tx.send(result);
            })),
        );
        rx.recv()
            .unwrap_or_else(|_| Err(self.store.storage("the spool's writer thread has stopped")))
    }

    /// Asks the writer thread for up to `limit` pending entries in `after + 1 ..= upto`; the
    /// answer comes through the receiver.
    pub(crate) fn read_later(
        &self,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> tokio::sync::oneshot::Receiver<Result<Rows, SpoolError>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job::Read {
            after,
            upto,
            limit,
            reply,
        };
        if let Err(Job::Read { reply, .. }) = self.writer.send(job) {
            let _ = reply.send(Err(self
                .store
                .storage("the spool's writer thread has stopped")));
        }
        answer
    }

    /// [`read_later`](Spool::read_later), read on this thread.
    #[cfg(test)]
    pub(crate) fn read_pending(
        &self,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Rows, SpoolError> {
        self.store.read_pending(after, upto, limit)
    }
}

impl Store {
    /// Up to `limit` pending entries with sequence numbers in `after + 1 ..= upto`, in order.
    pub(super) fn read_pending(
        &self,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Rows, SpoolError> {
        #[cfg(test)]
        if tests::take_failed_read(&self.path) {
            return Err(self.storage("injected: the read failed".to_owned()));
        }
        self.guarded(|| {
            if after >= upto {
                return Ok(Vec::new());
            }
            let from_file = self.read_batches(after, upto, limit)?;
            // The journal's messages are numbered after those of the file but for a few
            // written again after a failed write: both read, merged in order.
            let journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
            let Some(journal) = journal.as_ref() else {
                return Ok(from_file);
            };
            let from_journal = journal
                .read_range(after + 1..=upto, limit)
                .map_err(|reason| self.storage(reason))?;
            if from_journal.is_empty() {
                return Ok(from_file);
            }
            let mut rows = from_file;
            rows.extend(from_journal);
            rows.sort_unstable_by_key(|(seq, _)| *seq);
            rows.truncate(limit);
            Ok(rows)
        })
    }

    /// Up to `limit` pending entries of the redb file with sequence numbers in
    /// `after + 1 ..= upto`, in order.
    fn read_batches(&self, after: u64, upto: u64, limit: usize) -> Result<Rows, SpoolError> {
        {
            let index = self.index.lock().unwrap_or_else(|e| e.into_inner());
            let wanted: Vec<(u64, u64)> = index
                .entries
                .range(after + 1..=upto)
                .take(limit)
                .map(|(seq, loc)| (*seq, loc.batch))
                .collect();
            if wanted.is_empty() {
                return Ok(Vec::new());
            }
            let txn = self.begin_read("reading the pending messages")?;
            let table = txn
                .open_table(BATCHES)
                .map_err(|e| self.store("reading the pending messages", e))?;
            // Each batch read once: the entries wanted from it, by sequence number.
            let mut found: std::collections::HashMap<u64, Vec<u8>> =
                std::collections::HashMap::with_capacity(wanted.len());
            let mut keys: Vec<u64> = wanted.iter().map(|(_, key)| *key).collect();
            keys.sort_unstable();
            keys.dedup();
            // Read in key order rather than looked up one by one: a walk over the rows does
            // not depend on the keys the store keeps to find one (a damaged one sends a lookup
            // astray), so a batch the index knows is found whenever its row is readable.
            let (first, last) = (keys[0], keys[keys.len() - 1]);
            let take =
                |found: &mut std::collections::HashMap<u64, Vec<u8>>, key: u64, row: &[u8]| {
                    if keys.binary_search(&key).is_ok() {
                        for (seq, bytes) in batch::Entries::new(row) {
                            if index.entries.get(&seq).is_some_and(|loc| loc.batch == key) {
                                found.insert(seq, bytes.to_vec());
                            }
                        }
                    }
                };
            for row in table
                .range(first..=last)
                .map_err(|e| self.store("reading the pending messages", e))?
            {
                let (key, value) =
                    row.map_err(|e| self.store("reading the pending messages", e))?;
                take(&mut found, key.value(), value.value());
            }
            if found.len() < wanted.len() {
                // Not all found between their keys: the whole table, walked from its start.
                for row in table
                    .iter()
                    .map_err(|e| self.store("reading the pending messages", e))?
                {
                    let (key, value) =
                        row.map_err(|e| self.store("reading the pending messages", e))?;
                    take(&mut found, key.value(), value.value());
                }
            }
            wanted
                .into_iter()
                .map(|(seq, key)| {
                    found.remove(&seq).map(|bytes| (seq, bytes)).ok_or_else(|| {
                        self.storage(format!(
                            "pending message {seq} is missing from its batch {key}"
                        ))
                    })
                })
                .collect()
        }
    }

    /// Runs `read`, turning a panic inside the store (damage it does not foresee) into an
    /// error; with `panic = "abort"` there is nothing to catch.
    fn guarded<T>(&self, read: impl FnOnce() -> Result<T, SpoolError>) -> Result<T, SpoolError> {
        panic::catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|_| {
            Err(self.storage("the store failed while reading the file; it may be damaged"))
        })
    }

    /// Whether `error` is a read refused because a write failed before: the file is closed
    /// until the writer opens it again, or the store refuses every call after an I/O error.
    fn after_failed_write(&self, error: &SpoolError) -> bool {
        match error {
            SpoolError::Store { source, .. } => source.is_previous_io(),
            SpoolError::Storage { .. } => {
                self.db.read().unwrap_or_else(|e| e.into_inner()).is_none()
            }
            _ => false,
        }
    }

    /// A read transaction on the open file.
    fn begin_read(&self, operation: &'static str) -> Result<redb::ReadTransaction, SpoolError> {
        let db = self.db.read().unwrap_or_else(|e| e.into_inner());
        match db.as_ref() {
            Some(db) => db.begin_read().map_err(|e| self.store(operation, e)),
            None => Err(self.storage(format!(
                "{operation}: the file is closed after a failed write and could not be opened \
                 again; the spool opens it again before its next write and every second while \
                 idle: call it again once the disk is fine"
            ))),
        }
    }

    /// A failure of the store under this file, kept as the error's source.
    fn store(&self, operation: &'static str, error: impl Into<redb::Error>) -> SpoolError {
        SpoolError::Store {
            path: self.path.clone(),
            operation,
            source: StoreError::new(error.into()),
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
            .field("path", &self.store.path)
            .field("pending", &self.pending_len())
            .field("pending_bytes", &self.pending_bytes())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
pub(crate) mod tests;
