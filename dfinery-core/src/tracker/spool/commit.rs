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
//! lose is the commit under way plus the one behind it (two disk syncs); the store counts
//! those hand-overs ([`Spool::unsynced`](super::Spool::unsynced)) until their commit ends.
//!
//! The deletes of delivered messages nobody waits for are kept back up to
//! [`DEFER_DELETES_FOR`] and committed together (sooner behind a barrier such as `flush`, and
//! before the file is closed), so the file's leaves are dropped whole rather than rewritten.

use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use redb::Durability;

use super::{DEAD_LETTERS, PENDING, Store, UNREADABLE, follow};
use crate::tracker::error::SpoolError;

/// One change to the spool.
#[derive(Debug)]
pub(crate) enum Write {
    /// Adds a pending entry.
    Insert {
        /// Its sequence number.
        seq: u64,
        /// The envelope as JSON.
        bytes: Vec<u8>,
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
    /// Deletes every dead letter.
    ClearDeadLetters,
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

/// Pending entries read for the recovery: sequence number and bytes.
pub(crate) type Rows = Vec<(u64, Vec<u8>)>;

/// What the writer thread is asked to do.
pub(crate) enum Job {
    /// Commit these writes.
    Write {
        writes: Vec<Write>,
        mode: Mode,
        done: Option<Done>,
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
    let mut lazy_commits = 0_u32;
    let mut broken = false;
    // Sequence numbers a failed commit tried to insert: removed once the file is open again.
    let mut not_durable: Vec<u64> = Vec::new();
    // Inserts of accepted messages (the `Soon` ones) a failed commit did not make durable:
    // written again in the next commit. Each is also counted in `Store::unsynced`.
    let mut rewrite: Vec<Write> = Vec::new();
    // The last failure to follow the path while idle, logged once.
    let mut idle_error: Option<String> = None;
    // Deletes of delivered messages not yet committed, and when the first of them came.
    let mut deferred: Vec<u64> = Vec::new();
    let mut deferred_since: Option<Instant> = None;
    loop {
        let wait = deferred_since.map_or(FOLLOW_EVERY, |since| {
            DEFER_DELETES_FOR
                .saturating_sub(since.elapsed())
                .min(FOLLOW_EVERY)
        });
        let mut group = Vec::new();
        // The last turn: every sender is gone, and the deferred deletes are committed first.
        let mut closing = false;
        match rx.recv_timeout(wait) {
            Ok(job) => group.push(job),
            // With deferred deletes, the wait ended at their deadline: they are committed now.
            Err(mpsc::RecvTimeoutError::Timeout) if !deferred.is_empty() => {}
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if !broken {
                    follow_idle(store, &mut idle_error);
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) if !deferred.is_empty() => closing = true,
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
        let mut reads = Vec::new();
        let mut group_writes: Vec<Write> = Vec::new();
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
                    group_writes.extend(w);
                    dones.extend(done);
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
        let settled: HashSet<u64> = group_writes
            .iter()
            .filter_map(|w| match w {
                Write::Remove(seq) | Write::Bury { seq, .. } => Some(*seq),
                _ => None,
            })
            .chain(
                if carried.is_empty() {
                    &[][..]
                } else {
                    &deferred[..]
                }
                .iter()
                .copied(),
            )
            .collect();
        if !carried.is_empty() && !settled.is_empty() {
            let before = carried.len();
            carried.retain(|w| !matches!(w, Write::Insert { seq, .. } if settled.contains(seq)));
            // Settled: no crash can lose them any more.
            let dropped = (before - carried.len()) as u64;
            store.unsynced.fetch_sub(dropped, Ordering::SeqCst);
        }
        let carried_count = carried.len() as u64;
        soon.extend(carried.iter().filter_map(|w| match w {
            Write::Insert { seq, .. } => Some(*seq),
            _ => None,
        }));
        let mut writes = carried;
        writes.append(&mut group_writes);
        if !deferred.is_empty()
            && (barrier
                || deferred.len() >= DEFER_DELETES_MAX
                || deferred_since.is_some_and(|since| since.elapsed() >= DEFER_DELETES_FOR))
        {
            // Their time has come: last in the commit, after every insert. A message may be
            // delivered before the commit of its insert (a `try_` call does not wait for it),
            // so its insert can be in this very group: the delete must come after it.
            writes.extend(deferred.drain(..).map(Write::Remove));
            deferred_since = None;
            // The last commit before the file is closed is synced.
            sync |= closing;
        }
        if !not_durable.is_empty() {
            // Remove what a failed commit may have left of refused messages, first.
            let mut all: Vec<Write> = not_durable.iter().map(|&s| Write::Remove(s)).collect();
            all.append(&mut writes);
            writes = all;
            sync = true;
        }
        let result = if broken {
            reopen(store).inspect(|()| broken = false)
        } else if writes.is_empty() && !sync {
            Ok(())
        } else {
            // The path must still name the file written: follow it when it was deleted or
            // replaced (a failure leaves the open file as it was, not broken).
            follow::follow(store, false).map(|_| ())
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
            Err(reason) => Err(reason),
        };
        match &result {
            Ok(()) => {
                if sync {
                    lazy_commits = 0;
                } else if !writes.is_empty() {
                    // Only a commit counts (a turn with nothing to write commits nothing).
                    lazy_commits += 1;
                }
                not_durable.clear();
                // Synced: neither these hand-overs nor the rewritten ones can be lost now.
                store
                    .unsynced
                    .fetch_sub(handed_over + carried_count, Ordering::SeqCst);
            }
            Err(reason) => {
                not_durable.extend(waited);
                // The accepted messages nobody waits for are written again next time (and stay
                // counted as unsynced until then); the deletes are dropped (a delivered message
                // left in the file is sent again later and dropped by DFINERY as a duplicate).
                rewrite = writes
                    .into_iter()
                    .filter(|w| {
                        matches!(w, Write::Insert { seq, .. }
                            if soon.contains(seq) && !settled.contains(seq))
                    })
                    .collect();
                // Those settled in this very group are not kept, and no longer unsynced.
                let kept = rewrite.len() as u64;
                store.unsynced.fetch_sub(
                    (handed_over + carried_count).saturating_sub(kept),
                    Ordering::SeqCst,
                );
                tracing::error!(
                    path = %store.path.display(),
                    %reason,
                    "spool commit failed: nothing in it is taken as durable; \
                     it is tried again before the next commit"
                );
            }
        }
        for done in dones {
            done(result.clone().map_err(|reason| {
                store.storage(format!("{reason}; the message was not made durable"))
            }));
        }
        for (after, upto, limit, reply) in reads {
            let _ = reply.send(store.read_pending(after, upto, limit));
        }
        if closing {
            break;
        }
    }
    // A deletion after the last commit: what the file holds is moved to the path before it is
    // closed.
    if !broken {
        follow_idle(store, &mut None);
    }
}

/// How often the writer checks its path while no job comes.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// How long the deletes of delivered messages (handed over [`Mode::Lazy`], nobody waiting) are
/// kept back before they are committed, at most; sooner when [`DEFER_DELETES_MAX`] of them
/// wait, when a caller waits behind them (a barrier such as `flush`), and before the file is
/// closed.
///
/// The spool is a queue: each commit appends the newest messages and deletes delivered ones,
/// which were spread over the table's leaves between messages still in flight, so a delete
/// per commit rewrote a leaf that a later commit rewrote again for its neighbours. Kept back a
/// little, the deletes of a leaf mostly come together and the leaf is dropped whole. Measured
/// with `hotpath` (256 awaited callers, purchases of about 900 bytes, 3 s windows, quiet machine,
/// two rounds): deletes with each group 66,348-67,570 events/s at 14.4-15.5 µs CPU per event;
/// kept back up to 30 ms 101,039-106,554; 100 ms 115,838-117,635; 250 ms 118,068-129,205 (10.6-11.2
/// µs); 500 ms and 1 s no better (114,845-120,458).
///
/// A crash loses what is kept back, as it could lose an unsynced delete before: those messages
/// are sent again after the restart and DFINERY drops them by `event_log_id`.
const DEFER_DELETES_FOR: Duration = Duration::from_millis(250);

/// Deletes kept back at most before they are committed (see [`DEFER_DELETES_FOR`]).
const DEFER_DELETES_MAX: usize = 100_000;

/// Follows the path outside a commit; a failure is logged once (until it changes) and tried
/// again at the next check or commit.
fn follow_idle(store: &Store, last_error: &mut Option<String>) {
    match follow::follow(store, false) {
        Ok(_) => *last_error = None,
        Err(reason) => {
            if last_error.as_deref() != Some(reason.as_str()) {
                tracing::error!(path = %store.path.display(), %reason, "the spool cannot follow its path");
            }
            *last_error = Some(reason);
        }
    }
}

/// Drops the store (which refuses everything after a failed I/O call) and opens the file
/// again, recounting its pending entries from what is on disk.
fn reopen(store: &Store) -> Result<(), String> {
    if follow::look(store) != follow::Found::Ours {
        // Deleted or replaced meanwhile: the file at the path is not the one that failed.
        return follow::follow(store, true).map(|_| ());
    }
    let mut db = store.db.write().unwrap_or_else(|e| e.into_inner());
    // The old store must be closed first: it holds the file's lock.
    drop(db.take());
    let opened = panic::catch_unwind(AssertUnwindSafe(|| (store.reopen)()))
        .map_err(|_| "the store panicked while opening the file again".to_owned())?
        .map_err(|e| format!("the file could not be opened again after a failed write: {e}"))?;
    let (entries, bytes) = count_pending(&opened)
        .map_err(|e| format!("the file could not be read after a failed write: {e}"))?;
    store.pending.store(entries, Ordering::Relaxed);
    store.pending_bytes.store(bytes, Ordering::Relaxed);
    *db = Some(opened);
    *store.file_id.lock().unwrap_or_else(|e| e.into_inner()) = follow::file_id(&store.watched);
    tracing::warn!(path = %store.path.display(), "spool opened again after a failed write");
    Ok(())
}

/// The pending entries of `db` and their bytes.
fn count_pending(db: &redb::Database) -> Result<(u64, u64), redb::Error> {
    use redb::{ReadableDatabase, ReadableTable};
    let txn = db.begin_read()?;
    let table = txn.open_table(PENDING)?;
    let mut entries = 0;
    let mut bytes = 0;
    for entry in table.iter()? {
        let (_, value) = entry?;
        entries += 1;
        bytes += value.value().len() as u64;
    }
    Ok((entries, bytes))
}

/// What one commit changed in the pending table.
#[derive(Debug, Default)]
struct Delta {
    entries: i64,
    bytes: i64,
}

/// One transaction with every write, synced or not; the counters follow on success.
fn commit(store: &Store, writes: &[Write], sync: bool) -> Result<(), String> {
    let db = store.db.read().unwrap_or_else(|e| e.into_inner());
    let Some(db) = db.as_ref() else {
        return Err("the file is closed after a failed write".to_owned());
    };
    let mut txn = db.begin_write().map_err(|e| e.to_string())?;
    let durability = if sync {
        Durability::Immediate
    } else {
        Durability::None
    };
    txn.set_durability(durability).map_err(|e| e.to_string())?;
    let mut delta = Delta::default();
    if writes
        .iter()
        .all(|w| matches!(w, Write::Insert { .. } | Write::Remove(_)))
    {
        let mut pending = txn.open_table(PENDING).map_err(|e| e.to_string())?;
        bulk(&mut pending, writes, &mut delta).map_err(|e| e.to_string())?;
    } else {
        let mut pending = txn.open_table(PENDING).map_err(|e| e.to_string())?;
        let mut dead = txn.open_table(DEAD_LETTERS).map_err(|e| e.to_string())?;
        let mut aside = txn.open_table(UNREADABLE).map_err(|e| e.to_string())?;
        for write in writes {
            let removed = match write {
                Write::Insert { seq, bytes } => {
                    let old = pending
                        .insert(seq, bytes.as_slice())
                        .map_err(|e| e.to_string())?;
                    delta.entries += 1;
                    delta.bytes += bytes.len() as i64;
                    old.map(|old| old.value().len())
                }
                Write::Remove(seq) => pending
                    .remove(seq)
                    .map_err(|e| e.to_string())?
                    .map(|old| old.value().len()),
                Write::Bury { seq, letter } => {
                    dead.insert(seq, letter.as_slice())
                        .map_err(|e| e.to_string())?;
                    pending
                        .remove(seq)
                        .map_err(|e| e.to_string())?
                        .map(|old| old.value().len())
                }
                Write::SetAside { seq, raw } => {
                    aside
                        .insert(seq, raw.as_slice())
                        .map_err(|e| e.to_string())?;
                    pending
                        .remove(seq)
                        .map_err(|e| e.to_string())?
                        .map(|old| old.value().len())
                }
                Write::ClearDeadLetters => {
                    dead.retain(|_, _| false).map_err(|e| e.to_string())?;
                    None
                }
            };
            if let Some(len) = removed {
                delta.entries -= 1;
                delta.bytes -= len as i64;
            }
        }
    }
    txn.commit().map_err(|e| e.to_string())?;
    apply(&store.pending, delta.entries);
    apply(&store.pending_bytes, delta.bytes);
    Ok(())
}

/// Appended keys in one commit from which they go through one cursor rather than one by one.
const APPEND_RUN: usize = 16;

/// The inserts and deletes of one commit, applied in bulk with the same result as one by one
/// in order (for each sequence number the last write wins): the deletes close together in one
/// ordered scan of the keys they span (the store rewrites each leaf once, not the tree path
/// once per key), then the inserts in ascending order, those above the greatest key through
/// one cursor at the end of the table (appended leaf by leaf) when there are at least
/// [`APPEND_RUN`] of them. A spool's writes are mostly that: each commit inserts the newest
/// messages and deletes delivered ones. Measured with callgrind (256 awaited callers,
/// purchases of about 900 bytes): the writer thread's instructions per message fell from
/// about 48,700 one by one to about 24,400.
fn bulk(
    pending: &mut redb::Table<'_, u64, &'static [u8]>,
    writes: &[Write],
    delta: &mut Delta,
) -> Result<(), redb::Error> {
    use std::collections::BTreeMap;
    use std::ops::Bound;

    use redb::ReadableTable;

    // The last write of each sequence number: `Some(bytes)` to insert, `None` to delete.
    let mut last: BTreeMap<u64, Option<&[u8]>> = BTreeMap::new();
    // Every number with a delete, also when an insert follows it (the insert overwrites).
    let mut removes: Vec<u64> = Vec::new();
    for write in writes {
        match write {
            Write::Insert { seq, bytes } => {
                last.insert(*seq, Some(bytes.as_slice()));
            }
            Write::Remove(seq) => {
                last.insert(*seq, None);
                removes.push(*seq);
            }
            // The caller sends the other writes one by one.
            Write::Bury { .. } | Write::SetAside { .. } | Write::ClearDeadLetters => {}
        }
    }
    removes.sort_unstable();
    removes.dedup();
    let (mut gone_entries, mut gone_bytes) = (0_i64, 0_i64);
    // Runs of deletes close together are deleted in one ordered scan of the keys between
    // them; a delete far from the others alone. A scan visits every entry in its span (at most
    // its width), each visit a fraction of a delete on its own, so a run is cut where two
    // deletes are more than `GAP` apart.
    const GAP: u64 = 16;
    let mut rest = removes.as_slice();
    while let Some(&first) = rest.first() {
        let len = 1 + rest
            .windows(2)
            .take_while(|pair| pair[1] - pair[0] <= GAP)
            .count();
        let (run, after) = rest.split_at(len);
        rest = after;
        if let [seq] = run {
            if let Some(old) = pending.remove(*seq)? {
                gone_entries += 1;
                gone_bytes += old.value().len() as i64;
            }
            continue;
        }
        let last = run[run.len() - 1];
        // The scan goes in ascending order, as `run` is: one pointer finds each key.
        let mut next = 0;
        pending.retain_in(first..=last, |seq, value| {
            while next < run.len() && run[next] < seq {
                next += 1;
            }
            let gone = run.get(next) == Some(&seq);
            if gone {
                gone_entries += 1;
                gone_bytes += value.len() as i64;
            }
            !gone
        })?;
    }
    delta.entries -= gone_entries;
    delta.bytes -= gone_bytes;
    let inserts = last
        .into_iter()
        .filter_map(|(seq, bytes)| bytes.map(|b| (seq, b)));
    let greatest = pending.last()?.map(|(key, _)| key.value());
    let mut appended = Vec::new();
    for (seq, bytes) in inserts {
        delta.entries += 1;
        delta.bytes += bytes.len() as i64;
        if greatest.is_none_or(|g| seq > g) {
            appended.push((seq, bytes));
        } else if let Some(old) = pending.insert(seq, bytes)? {
            // Overwritten (deleted above when a delete came first, so not found then).
            delta.entries -= 1;
            delta.bytes -= old.value().len() as i64;
        }
    }
    if appended.len() < APPEND_RUN {
        // A few: inserted one by one, which lays the file out as it always was.
        for (seq, bytes) in appended {
            pending.insert(seq, bytes)?;
        }
    } else {
        let mut cursor = pending.upper_bound_mut(Bound::<u64>::Unbounded)?;
        for (seq, bytes) in appended {
            cursor.insert_before(seq, bytes)?;
        }
        cursor.close()?;
    }
    Ok(())
}

fn apply(counter: &AtomicU64, delta: i64) {
    let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
        Some(v.saturating_add_signed(delta))
    });
}

#[cfg(test)]
mod tests;
