//! Group commit: writes from many threads go into one transaction. The first caller to find no
//! commit running leads: it takes every write queued so far and commits them at once, while the
//! others wait for its answer (or lead the next group). A caller tracking from 32 threads pays
//! one disk sync per group, not one per message.

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use redb::Durability;

use super::{DEAD_LETTERS, PENDING, Spool, UNREADABLE};
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
    /// On disk (synced) before the call returns; its error is returned.
    Wait,
    /// In the next commit, which is synced; the call does not wait (errors are logged).
    Soon,
    /// In the next commit, synced or not; the call does not wait (errors are logged). Lost
    /// when the process dies before a synced commit: only for deletes, which are then replayed
    /// as duplicates DFINERY drops by `event_log_id`.
    Lazy,
}

/// Unsynced commits allowed in a row before one is synced, so the file's free pages are
/// reclaimed (the store frees pages only on synced commits).
const LAZY_COMMITS_BEFORE_SYNC: u32 = 64;

/// The queue of writes and who is committing.
#[derive(Debug, Default)]
pub(super) struct Writer {
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct State {
    queue: Vec<Write>,
    /// Tickets of the callers waiting for the writes queued.
    tickets: Vec<u64>,
    /// Whether the queued writes must be synced.
    sync: bool,
    leading: bool,
    next_ticket: u64,
    results: HashMap<u64, Result<(), String>>,
    lazy_commits: u32,
}

impl Writer {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What one commit changed in the pending table.
#[derive(Debug, Default)]
struct Delta {
    entries: i64,
    bytes: i64,
}

impl Spool {
    /// Applies `writes` under `mode`.
    ///
    /// # Errors
    ///
    /// [`SpoolError::Storage`] when the commit holding them failed (only with [`Mode::Wait`]).
    pub(crate) fn submit(&self, writes: Vec<Write>, mode: Mode) -> Result<(), SpoolError> {
        let writer = &self.writer;
        let mut state = writer.lock();
        state.queue.extend(writes);
        state.sync |= mode != Mode::Lazy;
        let ticket = (mode == Mode::Wait).then(|| {
            let ticket = state.next_ticket;
            state.next_ticket += 1;
            state.tickets.push(ticket);
            ticket
        });
        loop {
            if let Some(result) = ticket.and_then(|t| state.results.remove(&t)) {
                return result.map_err(|reason| SpoolError::Storage {
                    path: self.path.clone(),
                    reason,
                });
            }
            if !state.leading {
                if ticket.is_none() && state.queue.is_empty() && !state.sync {
                    return Ok(());
                }
                state = self.lead(state);
                if ticket.is_none() {
                    return Ok(());
                }
                continue;
            }
            if ticket.is_none() {
                // The running commit's leader commits these next, or hands over to a waiter.
                return Ok(());
            }
            state = writer
                .done
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Commits groups until nothing is queued or a waiter can take over; returns the lock.
    fn lead<'a>(&'a self, mut state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        state.leading = true;
        loop {
            let queue = std::mem::take(&mut state.queue);
            let tickets = std::mem::take(&mut state.tickets);
            let sync =
                std::mem::take(&mut state.sync) || state.lazy_commits >= LAZY_COMMITS_BEFORE_SYNC;
            drop(state);
            let result = panic::catch_unwind(AssertUnwindSafe(|| self.commit(queue, sync)))
                .unwrap_or_else(|_| {
                    Err("the store failed while writing; the file may be damaged".to_owned())
                });
            if let Err(reason) = &result {
                tracing::error!(path = %self.path.display(), %reason, "spool commit failed");
            }
            state = self.writer.lock();
            state.lazy_commits = if sync { 0 } else { state.lazy_commits + 1 };
            for ticket in tickets {
                state.results.insert(ticket, result.clone());
            }
            let idle = state.queue.is_empty() && !state.sync;
            if idle || !state.tickets.is_empty() {
                break;
            }
        }
        state.leading = false;
        self.writer.done.notify_all();
        state
    }

    /// One transaction with every write, synced or not; the counters follow on success.
    fn commit(&self, writes: Vec<Write>, sync: bool) -> Result<(), String> {
        let mut txn = self.db.begin_write().map_err(|e| e.to_string())?;
        let durability = if sync {
            Durability::Immediate
        } else {
            Durability::None
        };
        txn.set_durability(durability).map_err(|e| e.to_string())?;
        let mut delta = Delta::default();
        {
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
        apply(&self.pending, delta.entries);
        apply(&self.pending_bytes, delta.bytes);
        Ok(())
    }
}

fn apply(counter: &std::sync::atomic::AtomicU64, delta: i64) {
    let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
        Some(v.saturating_add_signed(delta))
    });
}
