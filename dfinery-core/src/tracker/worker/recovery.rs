//! Delivering first what a previous process left in the spool: the entries up to the highest
//! sequence number found at start are read a page at a time, put before every message queued
//! in this process, and sent before any of those. Pages are read by the spool's writer thread
//! and arrive through a channel, so the worker never reads the disk itself.

use std::time::Duration;

use tokio::time::Instant;

use crate::report::ErrorChain;
use crate::tracker::error::SpoolError;
use crate::tracker::message::Envelope;
use crate::tracker::metrics::Counters;
use crate::tracker::spool::{Mode, Rows, Write};

use super::finish::Fate;
use super::{Queued, Worker};

/// Entries read from the spool at once, at least and at most; the next page is read when half
/// are settled. Within these, a page holds about [`PAGE_BYTES`] of the spool's entries.
///
/// Pages of many users' entries hand each user few: a page of 1,000 entries of 500 users made
/// requests of about 2 events, which a rate limit of a few calls a second makes ten times
/// slower to deliver than full ones (a resumed `dfinery send` under `event=5/1s`: 2.4 events
/// a request with pages of 1,000, 21 with pages of 10,000).
const PAGE: std::ops::RangeInclusive<u64> = 1_000..=10_000;

/// The bytes of entries a recovery page aims at (the memory a page takes).
const PAGE_BYTES: u64 = 16 << 20;

/// Reads of a page that may fail in a row before the recovery stops (what is left stays in
/// the spool for the next start), counting only the reads that failed themselves (an I/O
/// error reading the file, a damaged page): such a page is not read by the next start either,
/// and waiting on it for good would stop every delivery of this process. The next start sends
/// what is left then, after the newer messages this process delivered (their order is lost,
/// and an error line says how many messages were left unread and why).
///
/// A read refused because a write failed before and the file is not open again yet (the
/// writer opens it again when the disk lets it: a full disk, say) does not count: it is tried
/// again for as long as it takes, every [`READ_AGAIN_MAX`] at most, and the newer messages
/// wait behind the older ones, so the order of each user's messages holds (the shutdown's
/// deadline leaves what is unread in the spool, as always).
pub(super) const READ_TRIES: u32 = 5;

/// The wait before a failed read is tried again, doubled after each failure (1, 2, 4 and
/// 8 s: about a quarter of a minute in all), up to [`READ_AGAIN_MAX`].
const READ_AGAIN_AFTER: Duration = if cfg!(test) {
    // The unit tests that make reads fail do not wait seconds for each.
    Duration::from_millis(20)
} else {
    Duration::from_secs(1)
};

/// The longest wait before a failed read is tried again.
const READ_AGAIN_MAX: Duration = Duration::from_secs(8);

/// The spool entries of a previous process still to deliver.
#[derive(Debug)]
pub(super) struct Recovery {
    /// The last sequence number read.
    after: u64,
    /// The highest sequence number a previous process may have written.
    upto: u64,
    /// Entries not read yet.
    on_disk: u64,
    /// Entries read and not settled yet.
    pub(super) loaded: u64,
    /// Entries read at once (see [`PAGE`]).
    page: u64,
    /// Reads that failed in a row, those refused while the file is closed after a failed
    /// write left out (see [`READ_TRIES`]).
    failed_reads: u32,
    /// Reads that failed in a row, all of them: how long to wait before the next.
    retries: u32,
    /// When to read again after a failed read.
    pub(super) read_again_at: Option<Instant>,
}

impl Worker {
    /// Counts what a previous process left (sequence numbers up to `last_seq`): every pending
    /// entry, as the tracker starts right after opening the spool.
    pub(super) fn start_recovery(&mut self, last_seq: u64) {
        let Some(spool) = &self.core.spool else {
            return;
        };
        let on_disk = spool.pending_len();
        if on_disk == 0 {
            return;
        }
        let average = (spool.pending_bytes() / on_disk).max(1);
        let page = (PAGE_BYTES / average).clamp(*PAGE.start(), *PAGE.end());
        tracing::info!(
            messages = on_disk,
            "delivering first what a previous process left in the spool"
        );
        let counters = &self.core.counters;
        Counters::add(&counters.recovered, on_disk);
        Counters::add(&counters.queued, on_disk);
        self.live += on_disk;
        self.recovery = Some(Recovery {
            after: 0,
            upto: last_seq,
            on_disk,
            loaded: 0,
            page,
            failed_reads: 0,
            retries: 0,
            read_again_at: None,
        });
    }

    /// Asks for the next page when the last one is half settled; ends the recovery when all
    /// is.
    pub(super) fn load_recovered(&mut self) {
        if self.reading.is_some() {
            return;
        }
        let Some(recovery) = &self.recovery else {
            return;
        };
        if recovery.on_disk == 0 {
            if recovery.loaded == 0 {
                self.recovery = None;
                self.schedule_all();
            }
            return;
        }
        if recovery.loaded >= recovery.page / 2
            || recovery.read_again_at.is_some_and(|at| Instant::now() < at)
        {
            return;
        }
        let (after, upto, want) = (
            recovery.after,
            recovery.upto,
            recovery.page - recovery.loaded,
        );
        let Some(spool) = &self.core.spool else {
            return;
        };
        self.reading = Some(spool.read_later(after, upto, want as usize));
    }

    /// A page read for the recovery arrived.
    pub(super) fn on_recovered(&mut self, page: Result<Rows, SpoolError>) {
        self.reading = None;
        let Some(spool) = self.core.spool.clone() else {
            return;
        };
        let rows = match page {
            Ok(rows) if !rows.is_empty() => {
                if let Some(recovery) = &mut self.recovery {
                    recovery.failed_reads = 0;
                    recovery.retries = 0;
                    recovery.read_again_at = None;
                }
                rows
            }
            Err(error)
                if error.is_closed_after_failed_write()
                    || self
                        .recovery
                        .as_ref()
                        .is_some_and(|r| r.failed_reads + 1 < READ_TRIES) =>
            {
                let Some(recovery) = &mut self.recovery else {
                    return;
                };
                if !error.is_closed_after_failed_write() {
                    recovery.failed_reads += 1;
                }
                recovery.retries = recovery.retries.saturating_add(1);
                let wait = (READ_AGAIN_AFTER * 2_u32.pow((recovery.retries - 1).min(8)))
                    .min(READ_AGAIN_MAX);
                recovery.read_again_at = Some(Instant::now() + wait);
                tracing::warn!(
                    reason = %ErrorChain(&error),
                    messages = recovery.on_disk,
                    "could not read the spool's next messages left by a previous process; \
                     reading them again in {wait:?} (newer messages wait behind them)"
                );
                // The flushes in progress return with the reason, as after a send that failed
                // with an error worth retrying: the recovery may wait for the disk for as long
                // as it takes, and the newer messages with it.
                let reason = format!(
                    "could not read the spool's messages left by a previous process (newer \
                     messages wait behind them; read again in {wait:?}): {}",
                    ErrorChain(&error)
                );
                self.note_failure(&reason);
                return;
            }
            result => {
                // The shutdown's report says why those messages were left in the spool: a
                // damaged page is not read by the next tracker either.
                let left = self.recovery.as_ref().map_or(0, |r| r.on_disk);
                let reason = match result {
                    Err(error) => Some(ErrorChain(&error).to_string()),
                    // Counted at start but not found by the read: the file's index is damaged.
                    Ok(_) if left > 0 => Some(
                        "the file counted them but reading found none (it may be damaged)"
                            .to_owned(),
                    ),
                    Ok(_) => None,
                };
                if let Some(reason) = reason {
                    tracing::error!(%reason, messages = left, "could not read the spool; what is left stays in it");
                    self.last_error = Some(format!(
                        "{} left by a previous process {} in the spool, unread: {reason}",
                        dfinery_schema::names::counted(left, "message", "messages"),
                        if left == 1 { "stays" } else { "stay" }
                    ));
                }
                self.leave_on_disk();
                return;
            }
        };
        for (seq, bytes) in rows {
            if let Some(recovery) = &mut self.recovery {
                recovery.after = seq;
                recovery.on_disk = recovery.on_disk.saturating_sub(1);
            }
            match serde_json::from_slice::<Envelope>(&bytes) {
                Ok(envelope) => {
                    if let Some(recovery) = &mut self.recovery {
                        recovery.loaded += 1;
                    }
                    let op = Queued {
                        seq,
                        arrival: 0,
                        items: envelope.message.item_count(),
                        message: envelope.message,
                        weight: bytes.len(),
                        held: false,
                        attempts: 0,
                        failures: 0,
                        alone: false,
                    };
                    let user = self.user_of(envelope.identity);
                    if let Some(queue) = self.users.get_mut(&user) {
                        super::count_updates(
                            &mut self.updates_queued,
                            std::slice::from_ref(&op),
                            true,
                        );
                        queue.push_recovered(op);
                    }
                    self.schedule(user);
                }
                Err(error) => {
                    tracing::error!(seq, %error, "a spool entry cannot be decoded; it is set aside (see `Spool::unreadable`)");
                    // Counted as dead-lettered: the reports say why, as for any dead letter.
                    let reason = format!(
                        "spool entry {seq} cannot be decoded ({error}); it is set aside (see `Spool::unreadable`)"
                    );
                    self.note_dead_letter(0, reason);
                    let _ = spool.submit(vec![Write::SetAside { seq, raw: bytes }], Mode::Soon);
                    let counters = &self.core.counters;
                    Counters::sub(&counters.queued, 1);
                    Counters::add(&counters.dead_lettered, 1);
                    self.live = self.live.saturating_sub(1);
                    self.count_settled(0, Fate::DeadLettered);
                }
            }
        }
    }

    /// Entries not read yet stay in the spool (a read failed, or the shutdown deadline passed).
    pub(super) fn leave_on_disk(&mut self) {
        let Some(recovery) = &mut self.recovery else {
            return;
        };
        let left = std::mem::take(&mut recovery.on_disk);
        let counters = &self.core.counters;
        Counters::sub(&counters.queued, left);
        Counters::add(&counters.left_in_spool, left);
        self.live = self.live.saturating_sub(left);
        for _ in 0..left {
            self.count_settled(0, Fate::LeftInSpool);
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::Tracker;
    use crate::tracker::spool::{Mode, Spool, Write};

    /// An entry a previous process left that cannot be decoded is counted as dead-lettered:
    /// the reports say why, as they do for a message DFINERY refused.
    #[tokio::test]
    async fn an_entry_that_cannot_be_decoded_is_the_reports_last_dead_letter() {
        let path = crate::tracker::test_files::path("undecodable");
        {
            let spool = Spool::open(&path).unwrap();
            spool
                .submit(
                    vec![Write::Insert {
                        seq: 1,
                        bytes: Bytes::from_static(b"not json").into(),
                    }],
                    Mode::Wait,
                )
                .unwrap();
        }
        // Nothing listens there: nothing is sent, the entry is settled on reading.
        let client = crate::tracker::client_to_nowhere();
        let tracker = Tracker::builder(client).spool(&path).build().unwrap();
        let flushed = tracker.flush().await.unwrap();
        assert_eq!(flushed.dead_lettered, 1, "{flushed:?}");
        let reason = flushed.last_dead_letter.expect("the flush says why");
        assert!(
            reason.contains("spool entry 1 cannot be decoded"),
            "{reason}"
        );
        let report = tracker.shutdown().await.unwrap();
        assert_eq!(report.dead_lettered, 1, "{report:?}");
        assert_eq!(report.last_dead_letter.as_deref(), Some(reason.as_str()));
        drop(tracker);
        let _ = std::fs::remove_file(&path);
    }
}
