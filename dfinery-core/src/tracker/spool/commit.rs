//! The spool's writer thread: the only code that writes the file. Callers hand it [`Job`]s over
//! a channel and never wait on the disk or on a lock held across a disk write; the thread takes
//! every job queued while its last commit ran and commits them in one transaction (group
//! commit), then answers each through its callback (for an awaited call, a Tokio oneshot).
//!
//! Commits are synced when any job in the group asks for it ([`Mode::Wait`] or
//! [`Mode::Soon`]); a group of deletes alone ([`Mode::Lazy`]) is committed without a sync, and
//! every [`LAZY_COMMITS_BEFORE_SYNC`]th such commit is synced so the file's free pages are
//! reclaimed. A non-awaited write is therefore on disk once the commit after it ends: the
//! thread starts that commit as soon as the previous one is done, so the window a crash can
//! lose is the commit under way plus the one behind it (two disk syncs), as long as no more
//! than [`MAX_GROUP`] jobs queue behind it (the rest wait for the commits after); the store
//! counts those hand-overs ([`Spool::unsynced`](super::Spool::unsynced)) until their commit ends.
//!
//! The deletes of delivered messages nobody waits for are kept back up to
//! [`DEFER_DELETES_FOR`] and committed together (sooner behind a barrier such as `flush`, and
//! before the file is closed), so the batches of messages (one row per commit, see `batch.rs`)
//! are dropped whole rather than written again with the messages still in flight.

use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use redb::{Durability, ReadableTable};

use super::{
    BATCHES, DEAD_LETTERS, META, REMOVED_UP_TO, Store, UNREADABLE, batch, follow, journaled,
};
use crate::tracker::error::SpoolError;

/// One change to the spool.
#[derive(Debug)]
pub(crate) enum Write {
    /// Adds a pending entry.
    Insert {
        /// Its sequence number.
        seq: u64,
        /// The envelope as JSON (see [`Stored`]).
        bytes: Stored,
    },
    /// Deletes a pending entry (delivered).
    Remove(u64),
    /// Moves a pending entry to the dead letters.
    Bury {
        /// Its sequence number.
        seq: u64,
        /// The dead letter as JSON.
        letter: Vec<u8>,
    },
    /// Moves a pending entry that cannot be decoded aside, as it is.
    SetAside {
        /// Its sequence number.
        seq: u64,
        /// Its bytes.
        raw: Vec<u8>,
    },
    /// Deletes these dead letters (by sequence number), those that are there.
    RemoveDeadLetters(Vec<u64>),
    /// Deletes these pending entries set aside as unreadable (by sequence number), those that
    /// are there.
    RemoveUnreadable(Vec<u64>),
}

/// A message's spool entry: the envelope as JSON, in up to three parts written one after
/// another. An event's entry is the envelope's head (`{"identity":…,"message":{"event":`), the
/// record's own wire object (shared with the record, not copied) and `}}`: the same bytes
/// `serde_json` writes for the envelope, put together only where they are written (the
/// journal's frame, a batch's row). Other entries are whole (cut from a shared chunk, as
/// records are: see `encode/record/chunk.rs`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Stored {
    head: Bytes,
    body: Bytes,
    tail: &'static [u8],
}

impl Stored {
    /// An entry of `head`, then `body`, then `tail`.
    pub(crate) fn parts(head: Bytes, body: Bytes, tail: &'static [u8]) -> Stored {
        Stored { head, body, tail }
    }

    /// Its length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.head.len() + self.body.len() + self.tail.len()
    }

    /// Its parts, in order.
    pub(crate) fn pieces(&self) -> [&[u8]; 3] {
        [&self.head, &self.body, self.tail]
    }

    /// Its bytes, put together.
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.len());
        for piece in self.pieces() {
            bytes.extend_from_slice(piece);
        }
        bytes
    }
}

impl From<Bytes> for Stored {
    fn from(bytes: Bytes) -> Stored {
        Stored {
            head: bytes,
            body: Bytes::new(),
            tail: b"",
        }
    }
}

impl From<Vec<u8>> for Stored {
    fn from(bytes: Vec<u8>) -> Stored {
        Bytes::from(bytes).into()
    }
}

/// How a write is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Synced, and the caller is answered when it is (or when the commit failed).
    Wait,
    /// In the next commit, which is synced; nobody waits (errors are logged).
    Soon,
    /// In the next commit, synced or not; nobody waits (errors are logged). Lost when the
    /// process dies before a synced commit: only for deletes, which are then replayed as
    /// duplicates DFINERY drops by `event_log_id`.
    Lazy,
}

/// Called on the writer thread once a job's commit is done: `Ok` when synced (or committed,
/// for [`Mode::Lazy`]). It must not block.
pub(crate) type Done = Box<dyn FnOnce(Result<(), SpoolError>) + Send>;

/// Callbacks answered together on a Tokio task, with the result of their commit (the reason
/// it failed), the spool's path, and the commit's writes, dropped by that task.
///
/// Answered when dropped, wherever that is: by the task once it receives them, and also when
/// the task is gone with them still queued (its runtime shut down after the writer handed them
/// over but before the task ran), or when the hand-over fails, so no caller is left unanswered.
pub(crate) struct Answers {
    pub(crate) dones: Vec<Done>,
    pub(crate) result: Result<(), String>,
    pub(crate) path: Arc<std::path::Path>,
    pub(crate) spent: Writes,
}

impl Drop for Answers {
    fn drop(&mut self) {
        for done in std::mem::take(&mut self.dones) {
            done(answer(&self.path, &self.result));
        }
        // The writes after the answers, as before: their callers are not kept waiting for it.
        drop(std::mem::take(&mut self.spent));
    }
}

/// What a callback is told of its commit's `result`.
pub(crate) fn answer(
    path: &std::path::Path,
    result: &Result<(), String>,
) -> Result<(), SpoolError> {
    result.clone().map_err(|reason| SpoolError::Storage {
        path: path.to_path_buf(),
        reason: format!("{reason}{NOT_DURABLE}"),
    })
}

/// What [`answer`] adds to the reason of a failed commit: most callers hand it messages.
pub(super) const NOT_DURABLE: &str = "; the message was not made durable";

/// The writes of one job: one write held inline (an awaited call's insert, no list to
/// allocate and free), or a list.
pub(crate) enum Part {
    /// One write.
    One([Write; 1]),
    /// Any number of writes.
    Many(Vec<Write>),
}

impl std::ops::Deref for Part {
    type Target = [Write];

    fn deref(&self) -> &[Write] {
        match self {
            Part::One(one) => one,
            Part::Many(many) => many,
        }
    }
}

impl From<Vec<Write>> for Part {
    fn from(writes: Vec<Write>) -> Part {
        Part::Many(writes)
    }
}

impl From<Write> for Part {
    fn from(write: Write) -> Part {
        Part::One([write])
    }
}

impl IntoIterator for Part {
    type Item = Write;
    type IntoIter = PartIter;

    fn into_iter(self) -> PartIter {
        match self {
            Part::One(one) => PartIter::One(one.into_iter()),
            Part::Many(many) => PartIter::Many(many.into_iter()),
        }
    }
}

/// The writes of a [`Part`], taken.
pub(crate) enum PartIter {
    One(std::array::IntoIter<Write, 1>),
    Many(std::vec::IntoIter<Write>),
}

impl Iterator for PartIter {
    type Item = Write;

    fn next(&mut self) -> Option<Write> {
        match self {
            PartIter::One(one) => one.next(),
            PartIter::Many(many) => many.next(),
        }
    }
}

/// The writes of one commit, in order, as the jobs handed them over: each job's part is kept
/// whole rather than moved into one list, so the writer neither copies the writes nor frees the
/// lists' memory, which the callers allocated (they are freed with the answers, on the runtime
/// that allocated them, or here when there is none).
#[derive(Default)]
pub(crate) struct Writes(Vec<Part>);

impl Writes {
    /// Adds `part` after the writes already there.
    fn push(&mut self, part: impl Into<Part>) {
        let part = part.into();
        if !part.is_empty() {
            self.0.push(part);
        }
    }

    /// Adds `part` before the writes already there.
    fn prepend(&mut self, part: Vec<Write>) {
        if !part.is_empty() {
            self.0.insert(0, Part::Many(part));
        }
    }

    /// Adds every write of `other` after these.
    fn append(&mut self, other: Writes) {
        self.0.extend(other.0);
    }

    /// Every write, in order.
    fn iter(&self) -> impl Iterator<Item = &Write> {
        self.0.iter().flat_map(|part| part.iter())
    }

    /// Every write, in order, taken.
    fn into_writes(self) -> impl Iterator<Item = Write> {
        self.0.into_iter().flatten()
    }

    /// Whether there is no write at all.
    fn is_empty(&self) -> bool {
        self.0.iter().all(|part| part.is_empty())
    }
}

/// Pending entries read for the recovery: sequence number and bytes.
pub(crate) type Rows = Vec<(u64, Vec<u8>)>;

/// What the writer thread is asked to do.
pub(crate) enum Job {
    /// Commit these writes.
    Write {
        writes: Part,
        mode: Mode,
        done: Option<Done>,
        /// `done` is called on the Tokio task of [`Store::answers`] for this runtime rather than
        /// on the writer thread (see
        /// [`Spool::enqueue_answered_in_runtime`](super::Spool::enqueue_answered_in_runtime)).
        in_runtime: Option<tokio::runtime::Id>,
    },
    /// Read up to `limit` pending entries in `after + 1 ..= upto`, after the writes before it.
    Read {
        after: u64,
        upto: u64,
        limit: usize,
        reply: tokio::sync::oneshot::Sender<Result<Rows, SpoolError>>,
    },
}

/// Unsynced commits allowed in a row before one is synced, so the file's free pages are
/// reclaimed (the store frees pages only on synced commits).
const LAZY_COMMITS_BEFORE_SYNC: u32 = 64;

/// Jobs taken into one group at most, so one huge burst does not make one huge transaction.
const MAX_GROUP: usize = 4096;

/// The distinct reasons of one run of failed commits logged, each once: a new fault is logged
/// beside the first, and a reason that varies (a number in it) cannot flood the log.
const FAILURE_REASONS_LOGGED: usize = 4;

/// The handle on the writer thread: its channel, and the thread to join when the spool is
/// dropped (so the file is closed when the spool is).
#[derive(Debug)]
pub(super) struct Writer {
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread of `store`.
    pub(super) fn start(store: Arc<Store>) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("dfinery-spool".to_owned())
            .spawn(move || run(&store, &rx))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Hands `job` to the thread; never blocks. Gives the job back when the thread is gone.
    pub(super) fn send(&self, job: Job) -> Result<(), Job> {
        match &self.tx {
            Some(tx) => tx.send(job).map_err(|e| e.0),
            None => Err(job),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // The thread commits what is queued, sees the channel closed, and ends.
        drop(self.tx.take());
        if let Some(thread) = self.thread.take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

/// The entries of `writes` that count as unsynced hand-overs ([`Store::unsynced`]): the inserts
/// of a [`Mode::Soon`] job.
pub(super) fn unsynced(writes: &[Write], mode: Mode) -> u64 {
    if mode != Mode::Soon {
        return 0;
    }
    writes
        .iter()
        .filter(|w| matches!(w, Write::Insert { .. }))
        .count() as u64
}

/// The thread's loop: a group per turn, until every sender is gone.
///
/// After a failed commit the writer trusts nothing about that commit: the store refuses every
/// later operation once an I/O call failed, and a failed sync may have left pages that were
/// written but will never reach the disk (PostgreSQL's "fsyncgate"), so syncing again and
/// reporting success would be a lie. Its callers are answered with the error, and before the
/// next group the writer drops the store and opens the file afresh, reading only what an
/// earlier, successful commit made durable. The entries the failed commit tried to insert are
/// then removed in the next synced commit, in case part of it did land: a caller refused with
/// an error never finds its message delivered later from the file. While the file cannot be
/// opened again, every group fails with an error saying so (and is retried on the next one).
///
/// The inserts of `Soon` callers (nobody waits) a failed commit did not make durable are kept
/// to be written again. That list is bounded by the tracker's queue: an entry leaves it when its
/// message is delivered (its `Remove` cancels it, so nothing is written) or dead-lettered (its
/// `Bury` cancels it), so it only ever holds messages still queued or in flight, each holding
/// room in the queue (at most its cap, in messages and bytes).
///
/// Before each commit, and every [`FOLLOW_EVERY`] while idle, the writer checks that its path
/// still names the file it has open, and follows it when it was deleted or replaced (see
/// `follow.rs`).
fn run(store: &Store, rx: &mpsc::Receiver<Job>) {
    // With a journal, the deletes kept back go with the next commit of other writes: they are
    // markers written with its group (a row of redb they settle is deleted at the next
    // checkpoint), so nothing is gained by keeping them longer, and the messages they settle
    // are not moved into redb by a checkpoint meanwhile.
    let with_journal = store
        .journal_source
        .as_ref()
        .is_some_and(|source| source.open.is_some());
    let mut lazy_commits = 0_u32;
    let mut broken = false;
    // Sequence numbers a failed commit tried to insert: removed once the file is open again.
    let mut not_durable: Vec<u64> = Vec::new();
    // Inserts of accepted messages (the `Soon` ones) a failed commit did not make durable:
    // written again in the next commit. Each is also counted in `Store::unsynced`.
    let mut rewrite: Vec<Write> = Vec::new();
    // Deletes committed without a sync since the last synced commit: opening the file again
    // after a failure reads only what synced commits hold, so they are committed again then.
    let mut unsynced_removes: Vec<u64> = Vec::new();
    // The last failure to follow the path while idle, logged once.
    let mut idle_error: Option<String> = None;
    // Deletes of delivered messages not yet committed, and when the first of them came.
    let mut deferred: Vec<u64> = Vec::new();
    let mut deferred_since: Option<Instant> = None;
    // The last failure and how many commits failed in a row: a full disk fails every commit
    // (one per group of callers), logged when it starts and when it ends, not each time.
    let mut failing: Option<(String, u64)> = None;
    // The reasons of this run of failures already logged: a new one (the disk full, then the
    // file damaged) is logged too, up to `FAILURE_REASONS_LOGGED`.
    let mut reasons_logged: Vec<String> = Vec::new();
    loop {
        let wait = deferred_since.map_or(FOLLOW_EVERY, |since| {
            DEFER_DELETES_FOR
                .saturating_sub(since.elapsed())
                .min(FOLLOW_EVERY)
        });
        let mut group = Vec::new();
        // The last turn: every sender is gone, and the deferred deletes are committed first.
        let mut closing = false;
        // After a failed commit, what it did not make durable (accepted messages, the deletes
        // of refused ones) is written again, and the file opened again, every `FOLLOW_EVERY`
        // while no job comes, and once more when every sender is gone: not only with the next
        // job, which may not come for as long as DFINERY is away.
        let owed = broken || !rewrite.is_empty() || !not_durable.is_empty();
        match rx.recv_timeout(wait) {
            Ok(job) => group.push(job),
            // With deferred deletes, the wait ended at their deadline: they are committed now.
            Err(mpsc::RecvTimeoutError::Timeout) if !deferred.is_empty() || owed => {}
            Err(mpsc::RecvTimeoutError::Timeout) => {
                follow_idle(store, &mut idle_error);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) if !deferred.is_empty() || owed => {
                closing = true;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        while !group.is_empty() && group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        // The inserts of this group that were written again after a failure or whose callers
        // do not wait (`Soon`: re-written if this commit fails), and the sequence numbers of
        // those whose callers wait (`Wait`: refused and removed if it fails).
        let mut carried: Vec<Write> = std::mem::take(&mut rewrite);
        let mut soon: HashSet<u64> = HashSet::new();
        let mut waited: Vec<u64> = Vec::new();
        let mut dones = Vec::new();
        // Answered on a Tokio task: one hand-over per commit instead of a wake per caller.
        // The callbacks answered on a runtime's task, by runtime (most often one).
        let mut runtime_dones: Vec<(tokio::runtime::Id, Vec<Done>)> = Vec::new();
        let mut reads = Vec::new();
        let mut group_writes = Writes::default();
        let mut sync = lazy_commits >= LAZY_COMMITS_BEFORE_SYNC || !carried.is_empty();
        let mut handed_over = 0;
        // A caller waits behind everything queued before it (a barrier, as `flush` sends):
        // the deferred deletes go into this commit, so the file shows them once it is answered.
        let mut barrier = closing;
        for job in group {
            match job {
                Job::Write {
                    writes: w,
                    mode: Mode::Lazy,
                    done: None,
                    ..
                } if w.iter().all(|w| matches!(w, Write::Remove(_))) => {
                    // Deletes of delivered messages nobody waits for: deferred (see
                    // `DEFER_DELETES_FOR`).
                    if deferred.is_empty() && !w.is_empty() {
                        deferred_since = Some(Instant::now());
                    }
                    deferred.extend(w.iter().filter_map(|w| match w {
                        Write::Remove(seq) => Some(*seq),
                        _ => None,
                    }));
                }
                Job::Write {
                    writes: w,
                    mode,
                    done,
                    in_runtime,
                } => {
                    barrier |= w.is_empty() && done.is_some();
                    sync |= mode != Mode::Lazy;
                    handed_over += unsynced(&w, mode);
                    let inserts = w.iter().filter_map(|w| match w {
                        Write::Insert { seq, .. } => Some(*seq),
                        _ => None,
                    });
                    match mode {
                        Mode::Soon => soon.extend(inserts),
                        Mode::Wait => waited.extend(inserts),
                        Mode::Lazy => {}
                    }
                    group_writes.push(w);
                    match (in_runtime, done) {
                        (Some(id), Some(done)) => {
                            match runtime_dones.iter_mut().find(|(of, _)| *of == id) {
                                Some((_, of_runtime)) => of_runtime.push(done),
                                None => runtime_dones.push((id, vec![done])),
                            }
                        }
                        (None, done) => dones.extend(done),
                        (Some(_), None) => {}
                    }
                }
                Job::Read {
                    after,
                    upto,
                    limit,
                    reply,
                } => reads.push((after, upto, limit, reply)),
            }
        }
        // Messages delivered (`Remove`) or dead-lettered (`Bury`) by now: a carried insert of
        // one is not written at all, so the list keeps only messages the tracker still holds.
        // (Only looked up when there are some: a group of awaited calls has none.)
        let settled: HashSet<u64> = if carried.is_empty() {
            HashSet::new()
        } else {
            settled_by(group_writes.iter())
                .chain(deferred.iter().copied())
                .collect()
        };
        if !carried.is_empty() && !settled.is_empty() {
            let before = carried.len();
            carried.retain(|w| !matches!(w, Write::Insert { seq, .. } if settled.contains(seq)));
            // Settled: no crash can lose them any more.
            let dropped = (before - carried.len()) as u64;
            store.unsynced.fetch_sub(dropped, Ordering::SeqCst);
        }
        // The carried inserts (a carried `Bury` is not a hand-over counted as unsynced).
        let carried_count = carried
            .iter()
            .filter(|w| matches!(w, Write::Insert { .. }))
            .count() as u64;
        soon.extend(carried.iter().filter_map(|w| match w {
            Write::Insert { seq, .. } => Some(*seq),
            _ => None,
        }));
        let mut writes = Writes::default();
        writes.push(carried);
        writes.append(group_writes);
        if !deferred.is_empty()
            && (barrier
                || (with_journal && !writes.is_empty())
                || deferred.len() >= DEFER_DELETES_MAX
                || deferred_since.is_some_and(|since| since.elapsed() >= DEFER_DELETES_FOR))
        {
            // Their time has come: last in the commit, after every insert. A message may be
            // delivered before the commit of its insert (a `try_` call does not wait for it),
            // so its insert can be in this very group: the delete must come after it.
            writes.push(deferred.drain(..).map(Write::Remove).collect::<Vec<_>>());
            deferred_since = None;
            // The last commit before the file is closed is synced.
            sync |= closing;
        }
        // The deletes of refused messages put first (kept in `not_durable` until they land).
        let prepended = not_durable.len();
        if !not_durable.is_empty() {
            // Remove what a failed commit may have left of refused messages, first.
            writes.prepend(not_durable.iter().map(|&s| Write::Remove(s)).collect());
            sync = true;
        }
        let result = if broken {
            reopen(store).inspect(|()| broken = false)
        } else if writes.is_empty() && !sync {
            Ok(())
        } else {
            // The paths must still name the files written: follow them when they were deleted
            // or replaced (a failure leaves the open files as they were, not broken).
            follow::follow(store, false)
                .and_then(|_| journaled::follow_journal(store))
                .map(|_| ())
        };
        let result = match result {
            Ok(()) if writes.is_empty() && !sync => {
                // Only callers waiting behind what came before: nothing to commit.
                Ok(())
            }
            Ok(()) => panic::catch_unwind(AssertUnwindSafe(|| commit(store, &writes, sync)))
                .unwrap_or_else(|_| {
                    Err("the store failed while writing; the file may be damaged".to_owned())
                })
                .inspect_err(|_| broken = true),
            Err(reason) => {
                // A follow that failed part-way (the journal's checkpoint did not sync) leaves
                // the journal broken: following again would reach it again, so the files are
                // opened again instead, as after a failed commit.
                broken |= journal_broken(store);
                Err(reason)
            }
        };
        // The writes a successful commit is done with: freed on the runtime with the answers
        // when there are some (the bytes were allocated there, and freeing them on the thread
        // that allocated them is the allocator's fast path), here otherwise.
        let mut spent = Writes::default();
        match &result {
            Ok(()) => {
                if (sync || !writes.is_empty())
                    && let Some((reason, failed)) = failing.take()
                {
                    tracing::info!(
                        path = %store.path.display(),
                        failed_commits = failed,
                        last_reason = %reason,
                        "spool commits succeed again after {failed} failed"
                    );
                }
                if sync {
                    lazy_commits = 0;
                    unsynced_removes.clear();
                } else if !writes.is_empty() {
                    // Only a commit counts (a turn with nothing to write commits nothing).
                    lazy_commits += 1;
                    unsynced_removes.extend(writes.iter().filter_map(|w| match w {
                        Write::Remove(seq) => Some(*seq),
                        _ => None,
                    }));
                }
                spent = std::mem::take(&mut writes);
                not_durable.clear();
                // Synced: neither these hand-overs nor the rewritten ones can be lost now.
                store
                    .unsynced
                    .fetch_sub(handed_over + carried_count, Ordering::SeqCst);
            }
            Err(reason) => {
                // The messages this commit settled: an insert of one is not written again.
                let settled: HashSet<u64> = settled
                    .into_iter()
                    .chain(settled_by(writes.iter()))
                    .collect();
                not_durable.extend(waited);
                // The settled messages must stay a prefix of each user's: a delete or a dead
                // letter of this commit left out while a later message's lands would have the
                // next process send the earlier message again after the later one (a profile
                // update, which DFINERY does not de-duplicate, would be reverted). So the
                // deletes of this commit, and those of the unsynced commits before it (which
                // opening the file again loses), are kept back again, ahead of any later one,
                // and the dead letters are written again with the next commit.
                let mut again: Vec<u64> = std::mem::take(&mut unsynced_removes);
                again.extend(writes.iter().skip(prepended).filter_map(|w| match w {
                    Write::Remove(seq) => Some(*seq),
                    _ => None,
                }));
                if !again.is_empty() {
                    again.append(&mut deferred);
                    deferred = again;
                    deferred_since.get_or_insert_with(Instant::now);
                }
                // The accepted messages nobody waits for are written again next time (and stay
                // counted as unsynced until then).
                rewrite = writes
                    .into_writes()
                    .filter(|w| match w {
                        Write::Insert { seq, .. } => soon.contains(seq) && !settled.contains(seq),
                        Write::Bury { .. } | Write::SetAside { .. } => true,
                        _ => false,
                    })
                    .collect();
                // Those settled in this very group are not kept, and no longer unsynced.
                let kept = rewrite
                    .iter()
                    .filter(|w| matches!(w, Write::Insert { .. }))
                    .count() as u64;
                store.unsynced.fetch_sub(
                    (handed_over + carried_count).saturating_sub(kept),
                    Ordering::SeqCst,
                );
                match &mut failing {
                    Some((last, failed)) => {
                        last.clone_from(reason);
                        *failed += 1;
                    }
                    None => {
                        reasons_logged.clear();
                        failing = Some((reason.clone(), 1));
                    }
                }
                // Each reason once per run of failures: the same one again is only counted,
                // a new one (another fault) is not hidden behind the first.
                if reasons_logged.len() < FAILURE_REASONS_LOGGED
                    && !reasons_logged
                        .iter()
                        .any(|logged| fault(logged) == fault(reason))
                {
                    tracing::error!(
                        path = %store.path.display(),
                        %reason,
                        "spool commit failed: nothing in it is taken as durable; \
                         it is tried again before the next commit (the next failures for \
                         this reason are counted, not logged, until one succeeds)"
                    );
                    reasons_logged.push(reason.clone());
                }
            }
        }
        for (id, dones) in runtime_dones {
            // Each runtime's task answers them in commit order; when it is gone (its runtime
            // shut down), they are answered here, as the hand-over given back is dropped.
            let answers = Answers {
                dones,
                result: result.clone(),
                path: Arc::clone(&store.shared_path),
                spent: std::mem::take(&mut spent),
            };
            let back = match store
                .answers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .find(|(of, _)| *of == id)
            {
                Some((_, task)) => task.send(answers).err().map(|back| back.0),
                None => Some(answers),
            };
            // Outside the lock: a callback may hand the spool another job.
            drop(back);
        }
        for done in dones {
            done(answer(&store.path, &result));
        }
        // A read needs the file open: after a failed commit or reopen the store refuses it,
        // so the file is opened again first (the disk may be fine by now), not only before
        // the next commit.
        if broken && !reads.is_empty() && reopen(store).is_ok() {
            broken = false;
        }
        for (after, upto, limit, reply) in reads {
            let _ = reply.send(store.read_pending(after, upto, limit));
        }
        if closing {
            break;
        }
    }
    // A deletion after the last commit: what the file holds is moved to the path before it is
    // closed; and what the journal holds is moved into the file.
    if !broken {
        follow_idle(store, &mut None);
        journaled::close(store);
    }
}

/// The messages `writes` deliver or dead-letter.
fn settled_by<'a>(writes: impl Iterator<Item = &'a Write>) -> impl Iterator<Item = u64> {
    writes.filter_map(|w| match w {
        Write::Remove(seq) | Write::Bury { seq, .. } => Some(*seq),
        _ => None,
    })
}

/// How often the writer checks its path while no job comes.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// How long the deletes of delivered messages (handed over [`Mode::Lazy`], nobody waiting) are
/// kept back before they are committed, at most; sooner when [`DEFER_DELETES_MAX`] of them
/// wait, when a caller waits behind them (a barrier such as `flush`), and before the file is
/// closed.
///
/// The spool is a queue: each commit adds a batch of the newest messages, and the deletes of
/// delivered ones settle messages of earlier batches. A batch settled only in part is written
/// again with the messages it still holds, so deletes committed with each group rewrote most
/// batches several times. Kept back a little, the deletes of a batch mostly come together and
/// the batch is dropped whole. Measured with format 1 (one row per message, where a delete per
/// commit rewrote leaves the same way) with `hotpath` (256 awaited callers, purchases of about
/// 900 bytes, 3 s windows, quiet machine, two rounds): deletes with each group 66,348-67,570
/// events/s at 14.4-15.5 µs CPU per event; kept back up to 30 ms 101,039-106,554; 100 ms
/// 115,838-117,635; 250 ms 118,068-129,205 (10.6-11.2 µs); 500 ms and 1 s no better
/// (114,845-120,458).
///
/// A crash loses what is kept back, as it could lose an unsynced delete before: those messages
/// are sent again after the restart and DFINERY drops them by `event_log_id`.
const DEFER_DELETES_FOR: Duration = Duration::from_millis(250);

/// Deletes kept back at most before they are committed (see [`DEFER_DELETES_FOR`]).
const DEFER_DELETES_MAX: usize = 100_000;

/// Follows the path outside a commit; a failure is logged once (until it changes) and tried
/// again at the next check or commit.
fn follow_idle(store: &Store, last_error: &mut Option<String>) {
    match follow::follow(store, false).and_then(|_| journaled::follow_journal(store)) {
        Ok(_) => *last_error = None,
        Err(reason) => {
            if last_error.as_deref() != Some(reason.as_str()) {
                tracing::error!(path = %store.path.display(), %reason, "the spool cannot follow its path");
            }
            *last_error = Some(reason);
        }
    }
}

/// What a failed reopen's reason starts with, before the store's error.
const REOPEN_FAILED: &str = "the file could not be opened again after a failed write: ";
/// What a failed read of the reopened file's reason starts with, before the store's error.
const REREAD_FAILED: &str = "the file could not be read after a failed write: ";

/// The fault a failed commit's `reason` names: without the words a failed reopen adds, so that
/// a full disk failing the commit and then the reopen is one fault, logged once.
fn fault(reason: &str) -> &str {
    reason
        .strip_prefix(REOPEN_FAILED)
        .or_else(|| reason.strip_prefix(REREAD_FAILED))
        .unwrap_or(reason)
}

/// Whether the spool's journal is open and broken.
fn journal_broken(store: &Store) -> bool {
    store
        .journal
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .is_some_and(journaled::Journaled::is_broken)
}

/// Drops the store (which refuses everything after a failed I/O call) and opens the file
/// again, reading its pending messages from what is on disk.
fn reopen(store: &Store) -> Result<(), String> {
    if follow::look(store) != follow::Found::Ours {
        // Deleted or replaced meanwhile: what the file that failed holds is copied into a new
        // one at the path. That new file, and the journal, are then read afresh below as after
        // any failed commit: the failure may have been the journal's (a failed sync leaves it
        // refusing every call until it is read again), and following the path does not mend it.
        follow::follow(store, true)?;
    }
    let mut db = store.db.write().unwrap_or_else(|e| e.into_inner());
    // The old store must be closed first: it holds the file's lock.
    drop(db.take());
    let opened = panic::catch_unwind(AssertUnwindSafe(|| (store.reopen)()))
        .map_err(|_| "the store panicked while opening the file again".to_owned())?
        .map_err(|e| format!("{REOPEN_FAILED}{e}"))?;
    // Damaged bytes found now are numbered from the counter the tracker takes its numbers
    // from: a number above the file's may already belong to a message on its way here.
    let number = |last: u64, count: u64| {
        store.next_seq.fetch_max(last + 1, Ordering::Relaxed);
        store.next_seq.fetch_add(count, Ordering::Relaxed)
    };
    let loaded = panic::catch_unwind(AssertUnwindSafe(|| {
        super::open::load(&opened, false, number)
    }))
    .map_err(|_| "the store panicked while reading the file again".to_owned())?
    .map_err(|e| format!("{REREAD_FAILED}{e}"))?;
    let mut fresh_index = loaded.index;
    let mut index = store.index.lock().unwrap_or_else(|e| e.into_inner());
    // Batch keys go on rising: none is used twice in one process.
    fresh_index.next_batch = index.next_batch.max(fresh_index.next_batch);
    // The journal is read afresh too, and what it holds pending moved into the file.
    let mut journal = store.journal.lock().unwrap_or_else(|e| e.into_inner());
    drop(journal.take());
    if let Some(source) = &store.journal_source {
        let found = journaled::read(source).map_err(|e| format!("{REREAD_FAILED}{e}"))?;
        *journal = journaled::settle(source, found, &opened, &mut fresh_index)
            .map_err(|e| format!("{REREAD_FAILED}{e}"))?;
    }
    drop(journal);
    let (entries, bytes) = fresh_index.totals();
    *index = fresh_index;
    drop(index);
    store.pending.store(entries, Ordering::Relaxed);
    store.pending_bytes.store(bytes, Ordering::Relaxed);
    *db = Some(opened);
    *store.file_id.lock().unwrap_or_else(|e| e.into_inner()) = follow::file_id(&store.watched);
    tracing::debug!(path = %store.path.display(), "spool opened again after a failed write");
    Ok(())
}

/// Bytes of one row of the `batches` table, about, at most: a commit inserting more (a bulk
/// call) writes several rows, so a row settled only in part is never large to write again.
const ROW_BYTES: usize = 1 << 20;

/// What one commit changed in the pending messages.
#[derive(Debug, Default)]
struct Delta {
    entries: i64,
    bytes: i64,
}

/// One commit of every write, synced or not; the index and the counters follow on success.
///
/// The messages the writes insert (for each sequence number the last write wins: an insert
/// deleted later in the same writes is not written at all) are appended to the journal in one
/// group (see `journaled.rs`), or, without a journal, go into one new batch of the redb file.
/// The messages they settle (delivered, dead-lettered, set aside) are named by a delivered
/// marker in the journal when they are there; those in redb are taken out of their batches: a
/// batch left with none is deleted, one left with some is written again with those alone. So a
/// commit touches one row per batch it changes, not one key per message, and with a journal
/// the redb file is not written at all while the messages are delivered before the journal
/// fills.
///
/// With a journal every redb transaction is synced, before the journal is written: a dead
/// letter (or a delete of an older message) is durable before the journal's marker of it, so a
/// crash never finds a message in neither place, nor a later message settled while an earlier
/// one is not. A commit that dead-letters or sets aside a message first moves what the journal
/// holds into redb (a checkpoint) and settles all its messages in redb, in one transaction: a
/// delete of an earlier message as a journal marker could otherwise be lost in a crash while
/// the later message's dead letter is durable.
fn commit(store: &Store, writes: &Writes, sync: bool) -> Result<(), String> {
    use std::collections::{BTreeMap, HashMap};

    let db = store.db.read().unwrap_or_else(|e| e.into_inner());
    let Some(db) = db.as_ref() else {
        return Err("the file is closed after a failed write".to_owned());
    };
    let mut index = store.index.lock().unwrap_or_else(|e| e.into_inner());
    let mut journal = store.journal.lock().unwrap_or_else(|e| e.into_inner());
    // A commit that dead-letters or sets aside a message writes redb, and a crash can come
    // between that transaction and the journal's markers (or find earlier markers unsynced):
    // a dead letter durable while the delete of an earlier message of its user is not would
    // have the next process send that earlier message after the later one was settled. So
    // such a commit first moves what the journal holds into redb (a checkpoint, which also
    // takes out the messages its markers settled), and then settles every message of the
    // commit in one redb transaction. Dead letters are rare; this costs a checkpoint each.
    let in_redb = journal.is_some()
        && writes
            .iter()
            .any(|w| matches!(w, Write::Bury { .. } | Write::SetAside { .. }));
    if in_redb
        && let Some(journal) = journal.as_mut()
        && !journal.is_clean()
    {
        journal.move_to_redb(db, &mut index, &[])?;
    }
    // The last write of each sequence number inserting in this commit: `Some(bytes)` to
    // insert, `None` when a later write settled it.
    let mut inserted: BTreeMap<u64, Option<&Stored>> = BTreeMap::new();
    // Messages in the file this commit settles (or replaces), by batch: each with its length.
    let mut settled: HashMap<u64, Vec<(u64, u32)>> = HashMap::new();
    // Messages it settles by a delivered marker in the journal, with their lengths: those in
    // the journal, and those in redb delivered (deleted from redb at the next checkpoint).
    let mut settled_journal: Vec<(u64, u32)> = Vec::new();
    let settle = |seq: u64,
                  delivered: bool,
                  settled: &mut HashMap<u64, Vec<(u64, u32)>>,
                  settled_journal: &mut Vec<(u64, u32)>| {
        if let Some(loc) = index.entries.get(&seq) {
            if delivered && journal.is_some() && !in_redb {
                settled_journal.push((seq, loc.len));
            } else {
                settled.entry(loc.batch).or_default().push((seq, loc.len));
            }
        } else if let Some(len) = journal.as_ref().and_then(|j| j.len_of(seq)) {
            settled_journal.push((seq, len));
        }
    };
    let mut others = false;
    // No message above the last one pending is in the file: a new insert is not looked up.
    let last = index
        .last_seq()
        .max(journal.as_ref().map_or(0, |j| j.last_seq()));
    for write in writes.iter() {
        match write {
            Write::Insert { seq, bytes } => {
                inserted.insert(*seq, Some(bytes));
                // Written again (after a failed commit that may have landed): one copy only.
                if *seq <= last {
                    settle(*seq, false, &mut settled, &mut settled_journal);
                }
            }
            Write::Remove(seq) | Write::Bury { seq, .. } | Write::SetAside { seq, .. } => {
                if let Some(slot) = inserted.get_mut(seq) {
                    *slot = None;
                }
                let delivered = matches!(write, Write::Remove(_));
                settle(*seq, delivered, &mut settled, &mut settled_journal);
                others |= !delivered;
            }
            Write::RemoveDeadLetters(_) | Write::RemoveUnreadable(_) => others = true,
        }
    }
    // Sorted, each number once (a message may be settled twice in one commit).
    for seqs in settled.values_mut() {
        seqs.sort_unstable();
        seqs.dedup();
    }
    settled_journal.sort_unstable();
    settled_journal.dedup();
    // The inserts, in sequence order.
    let fresh: Vec<(u64, batch::Pieces<'_>)> = inserted
        .iter()
        .filter_map(|(seq, bytes)| bytes.map(|bytes| (*seq, bytes.pieces())))
        .collect();
    let mut delta = Delta::default();
    for (_, pieces) in &fresh {
        delta.entries += 1;
        delta.bytes += batch::pieces_len(pieces) as i64;
    }
    for (_, len) in &settled_journal {
        delta.entries -= 1;
        delta.bytes -= i64::from(*len);
    }
    let journaled = journal.is_some();
    if !settled.is_empty() || others || (!journaled && (sync || !fresh.is_empty())) {
        let to_redb: &[(u64, batch::Pieces<'_>)] = if journaled { &[] } else { &fresh };
        commit_redb(
            db,
            &mut index,
            writes,
            &settled,
            others,
            to_redb,
            sync || journaled,
            &mut delta,
        )?;
    }
    if let Some(journal) = journal.as_mut() {
        journal.append(db, &mut index, &fresh, &settled_journal, sync)?;
    }
    drop(journal);
    drop(index);
    apply(&store.pending, delta.entries);
    apply(&store.pending_bytes, delta.bytes);
    Ok(())
}

/// The redb part of a [`commit`]: the batches of `settled` taken out or written again, `fresh`
/// inserted as new batches, and the dead letters and unreadable entries of `writes` when
/// `others`, in one transaction (synced when `sync`); the index follows once it is committed.
#[allow(clippy::too_many_arguments)]
fn commit_redb(
    db: &redb::Database,
    index: &mut batch::Index,
    writes: &Writes,
    settled: &std::collections::HashMap<u64, Vec<(u64, u32)>>,
    others: bool,
    fresh: &[(u64, batch::Pieces<'_>)],
    sync: bool,
    delta: &mut Delta,
) -> Result<(), String> {
    let mut txn = db.begin_write().map_err(|e| e.to_string())?;
    let durability = if sync {
        Durability::Immediate
    } else {
        Durability::None
    };
    txn.set_durability(durability).map_err(|e| e.to_string())?;
    // The new rows: their keys from `next_batch` on, and the entries of each.
    let new_rows;
    let dropped;
    {
        let mut batches = txn.open_table(BATCHES).map_err(|e| e.to_string())?;
        for seqs in settled.values() {
            for (_, len) in seqs {
                delta.entries -= 1;
                delta.bytes -= i64::from(*len);
            }
        }
        dropped = drop_from_rows(&mut batches, index, settled).map_err(|e| e.to_string())?;
        new_rows = insert_rows(&mut batches, index.next_batch, fresh).map_err(|e| e.to_string())?;
    }
    if others {
        // The highest number a user removes: numbers given after an open start above it.
        let removed = writes
            .iter()
            .filter_map(|write| match write {
                Write::RemoveDeadLetters(seqs) | Write::RemoveUnreadable(seqs) => {
                    seqs.iter().max().copied()
                }
                _ => None,
            })
            .max();
        if let Some(removed) = removed {
            let mut meta = txn.open_table(META).map_err(|e| e.to_string())?;
            let before = meta
                .get(REMOVED_UP_TO)
                .map_err(|e| e.to_string())?
                .map_or(0, |value| value.value());
            if removed > before {
                meta.insert(REMOVED_UP_TO, removed)
                    .map_err(|e| e.to_string())?;
            }
        }
        let mut dead = txn.open_table(DEAD_LETTERS).map_err(|e| e.to_string())?;
        let mut aside = txn.open_table(UNREADABLE).map_err(|e| e.to_string())?;
        for write in writes.iter() {
            match write {
                Write::Bury { seq, letter } => {
                    dead.insert(seq, letter.as_slice())
                        .map_err(|e| e.to_string())?;
                }
                Write::SetAside { seq, raw } => {
                    aside
                        .insert(seq, raw.as_slice())
                        .map_err(|e| e.to_string())?;
                }
                Write::RemoveDeadLetters(seqs) => {
                    for seq in seqs {
                        dead.remove(seq).map_err(|e| e.to_string())?;
                    }
                }
                Write::RemoveUnreadable(seqs) => {
                    for seq in seqs {
                        aside.remove(seq).map_err(|e| e.to_string())?;
                    }
                }
                Write::Insert { .. } | Write::Remove(_) => {}
            }
        }
    }
    txn.commit().map_err(|e| e.to_string())?;
    // Committed: the index follows the file.
    dropped.apply(index, settled);
    for (key, entries) in new_rows {
        index.add(key, entries);
    }
    Ok(())
}

/// What [`drop_from_rows`] changed: the batches emptied (deleted), and those written again
/// with the number of entries they keep.
#[derive(Debug, Default)]
pub(super) struct Dropped {
    emptied: Vec<u64>,
    shrunk: Vec<(u64, u32)>,
}

impl Dropped {
    /// The index follows, once the transaction is committed: the entries of `settled` are no
    /// longer in it, and the batches hold what is left.
    pub(super) fn apply(
        self,
        index: &mut batch::Index,
        settled: &std::collections::HashMap<u64, Vec<(u64, u32)>>,
    ) {
        for seqs in settled.values() {
            for (seq, _) in seqs {
                index.entries.remove(seq);
            }
        }
        for batch_key in self.emptied {
            index.live.remove(&batch_key);
        }
        for (batch_key, left) in self.shrunk {
            index.live.insert(batch_key, left);
        }
    }
}

/// Takes the entries of `settled` (sequence numbers and lengths, by batch, each list sorted)
/// out of their rows of `batches`: a row left with none is deleted, one left with some is
/// written again with those alone (and only those the index still places in it).
pub(super) fn drop_from_rows(
    batches: &mut redb::Table<u64, &[u8]>,
    index: &batch::Index,
    settled: &std::collections::HashMap<u64, Vec<(u64, u32)>>,
) -> Result<Dropped, redb::Error> {
    let mut dropped = Dropped::default();
    for (&batch_key, seqs) in settled {
        let live = index.live.get(&batch_key).copied().unwrap_or(0);
        let left = live.saturating_sub(seqs.len() as u32);
        if left == 0 {
            batches.remove(batch_key)?;
            dropped.emptied.push(batch_key);
            continue;
        }
        let old = batches
            .get(batch_key)?
            .map(|row| row.value().to_vec())
            .unwrap_or_default();
        let mut row = Vec::with_capacity(old.len());
        for (seq, bytes) in batch::Entries::new(&old) {
            let ours = index
                .entries
                .get(&seq)
                .is_some_and(|l| l.batch == batch_key);
            if ours && seqs.binary_search_by_key(&seq, |(s, _)| *s).is_err() {
                batch::push(&mut row, seq, bytes);
            }
        }
        batches.insert(batch_key, row.as_slice())?;
        dropped.shrunk.push((batch_key, left));
    }
    Ok(dropped)
}

/// New rows of the `batches` table: each row's key, and its entries (sequence number and
/// length).
pub(super) type NewRows = Vec<(u64, Vec<(u64, u32)>)>;

/// Writes `fresh` (in sequence order) as new rows of `batches`, keys from `first_key` on, cut
/// into rows of about [`ROW_BYTES`] at most, each written in place in the store's page; returns
/// each row's key and entries (sequence number and length), for the index once committed.
pub(super) fn insert_rows(
    batches: &mut redb::Table<u64, &[u8]>,
    first_key: u64,
    fresh: &[(u64, batch::Pieces<'_>)],
) -> Result<NewRows, redb::Error> {
    let mut new_rows = Vec::new();
    let mut key = first_key;
    let mut start = 0;
    while start < fresh.len() {
        let (mut end, mut len) = (start, 0);
        while let Some((_, pieces)) = fresh.get(end) {
            let size = batch::size(1, batch::pieces_len(pieces));
            if end > start && len + size > ROW_BYTES {
                break;
            }
            len += size;
            end += 1;
        }
        let row = &fresh[start..end];
        {
            let mut place = batches.insert_reserve(key, len)?;
            let mut out: &mut [u8] = place.as_mut();
            for (seq, pieces) in row {
                out = batch::put(out, *seq, pieces);
            }
        }
        new_rows.push((
            key,
            row.iter()
                .map(|(seq, pieces)| (*seq, batch::pieces_len(pieces) as u32))
                .collect(),
        ));
        key += 1;
        start = end;
    }
    Ok(new_rows)
}

fn apply(counter: &AtomicU64, delta: i64) {
    let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
        Some(v.saturating_add_signed(delta))
    });
}

#[cfg(test)]
pub(super) mod tests;
