//! Settling messages: a send's outcome (delivered, put back for a retry, isolated after a
//! refusal of the whole batch, or dead-lettered), the shutdown deadline, and the final report.

use crate::ErrorChain;
use crate::client::Error;
use crate::encode::identity::Identity;
use crate::encode::value::Datetime;
use crate::tracker::dead_letter::DeadLetter;
use crate::tracker::metrics::{Counters, TrackerMetrics};
use crate::tracker::report::ShutdownReport;
use crate::tracker::spool::{Mode, Write};

use super::send::Outcome;
use super::{Batch, Drain, IdKey, Queued, Worker};

/// The [`DeadLetter::kind`] of a message undelivered at the shutdown deadline, without a
/// spool.
const SHUTDOWN_DEADLINE: &str = "shutdown_deadline";

/// How a message left the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    Delivered,
    DeadLettered,
    LeftInSpool,
}

impl Worker {
    /// Settles the batch `id` after its send.
    pub(super) fn complete(&mut self, id: u64, outcome: Outcome) {
        let Some(Batch {
            user,
            identity,
            mut ops,
            ..
        }) = self.batches.remove(&id)
        else {
            return;
        };
        let counters = &self.core.counters;
        Counters::sub(&counters.in_flight, ops.len() as u64);
        Counters::add(&counters.retried, outcome.resent);
        let failed = ops.split_off(outcome.delivered.min(ops.len()));
        self.delivered(ops);
        if !self.users.contains_key(&user) {
            // Not reached: a user's queue stays while a batch of it is on the wire. Were it
            // gone, the rest of the batch could be neither retried nor counted: it is
            // dead-lettered, so a change that breaks this never loses messages silently.
            if !failed.is_empty() {
                let reason = "the tracker's worker no longer had a queue for this user when \
                    its request ended (a bug of dfinery's); not sent again";
                tracing::error!(
                    messages = failed.len(),
                    reason,
                    "dead-lettered the rest of a batch whose user's queue was gone"
                );
                for op in failed {
                    self.bury(&identity, op, reason.to_owned(), "unexpected");
                }
            }
            return;
        }
        if failed.is_empty() {
            self.backoff.succeeded();
        } else {
            match outcome.error {
                Some(error) if error.is_retryable() => self.retry_later(user, failed, &error),
                Some(error) if refused_as_a_whole(&error) && failed.len() > 1 => {
                    self.isolate(user, failed);
                }
                Some(error) => {
                    let reason = ErrorChain(&error).to_string();
                    self.log_buried(&failed, error.kind(), &reason);
                    for op in failed {
                        self.bury(&identity, op, reason.clone(), error.kind());
                    }
                }
                None => {
                    let reason = "the client confirmed fewer messages than sent, without an error";
                    self.log_buried(&failed, "unexpected", reason);
                    for op in failed {
                        self.bury(&identity, op, reason.to_owned(), "unexpected");
                    }
                }
            }
        }
        let forcing = self.forcing();
        let limits = self.limits;
        if let Some(queue) = self.users.get_mut(&user) {
            queue.busy = false;
            if queue.is_empty() {
                if let Some(queue) = self.users.remove(&user) {
                    self.ids.remove(&IdKey(queue.identity));
                }
            } else if forcing || queue.is_full(limits) || self.recovery.is_some() {
                self.schedule(user);
            }
        }
    }

    /// Counts delivered messages and deletes them from the spool.
    fn delivered(&mut self, ops: Vec<Queued>) {
        if ops.is_empty() {
            return;
        }
        Counters::add(&self.core.counters.delivered, ops.len() as u64);
        self.last_buried_logged = None;
        self.settled_all(&ops, Fate::Delivered);
        if let Some(spool) = &self.core.spool {
            // A delete lost in a crash only means the message is sent again and de-duplicated.
            let removes = ops.iter().map(|op| Write::Remove(op.seq)).collect();
            let _ = spool.submit(removes, Mode::Lazy);
        }
    }

    /// Puts a batch that failed for a reason worth retrying back in front of its user's queue,
    /// or dead-letters the messages that used up `give_up_after`; pauses sending.
    fn retry_later(&mut self, user: u64, failed: Vec<Queued>, error: &Error) {
        // What comes back next may take a while: the room held for callers goes back now.
        self.core.capacity.release_held();
        let reason = ErrorChain(error).to_string();
        self.last_error = Some(reason.clone());
        self.note_failure(&reason);
        let limit = self.settings.give_up_after;
        let (spent, again): (Vec<_>, Vec<_>) = failed
            .into_iter()
            .map(|mut op| {
                op.failures += 1;
                op
            })
            .partition(|op| limit.is_some_and(|limit| op.failures >= limit));
        if !spent.is_empty()
            && let Some(identity) = self.users.get(&user).map(|q| q.identity.clone())
        {
            let why = format!(
                "gave up after {} failed sends: {reason}",
                limit.unwrap_or_default()
            );
            self.log_buried(&spent, "retry_limit", &why);
            for op in spent {
                let why = format!("gave up after {} failed sends: {reason}", op.failures);
                self.bury(&identity, op, why, "retry_limit");
            }
        }
        self.put_back(user, again);
        self.backoff.failed(
            error,
            self.client.clock(),
            (self.settings.initial_backoff, self.settings.max_backoff),
            self.drain.as_ref().map(|drain| drain.deadline),
        );
    }

    /// A batch refused as a whole: each of its events is sent alone next, so that only the bad
    /// ones are dead-lettered.
    fn isolate(&mut self, user: u64, mut failed: Vec<Queued>) {
        for op in &mut failed {
            op.alone = true;
        }
        self.put_back(user, failed);
    }

    fn put_back(&mut self, user: u64, ops: Vec<Queued>) {
        if ops.is_empty() {
            return;
        }
        // Counted in `retried` once sent again (see `dispatch`), not now: the shutdown's
        // deadline may dead-letter them first.
        Counters::add(&self.core.counters.queued, ops.len() as u64);
        if let Some(queue) = self.users.get_mut(&user) {
            super::count_updates(&mut self.updates_queued, &ops, true);
            queue.put_back(ops);
        }
    }

    /// Dead-letters `op`: into the spool's dead-letter table, to the callback, or (with
    /// neither) to the log, in full. The caller logs the group once ([`log_buried`]; at the
    /// deadline, the shutdown's last line).
    pub(super) fn bury(&mut self, identity: &Identity, op: Queued, reason: String, kind: &str) {
        let letter = DeadLetter {
            seq: op.seq,
            identity: identity.clone(),
            // Its own copy: a letter the callback keeps must not keep the block of records
            // its wire object was cut from alive.
            message: op.message.detached(),
            reason,
            kind: kind.to_owned(),
            attempts: op.attempts,
            at: Datetime::now(),
        };
        self.note_dead_letter(op.arrival, letter.reason.clone());
        if let Some(spool) = &self.core.spool {
            match serde_json::to_vec(&letter) {
                Ok(bytes) => {
                    let _ = spool.submit(
                        vec![Write::Bury {
                            seq: op.seq,
                            letter: bytes,
                        }],
                        Mode::Soon,
                    );
                }
                Err(error) => {
                    tracing::error!(seq = op.seq, %error, "could not encode a dead letter; it stays pending in the spool")
                }
            }
        }
        match &self.settings.on_dead_letter {
            Some(hook) => hook.call(letter),
            None if self.core.spool.is_none() => {
                let message = serde_json::to_string(&letter).unwrap_or_default();
                tracing::error!(dead_letter = %message, "dead letter (set `on_dead_letter` or a spool to keep them)");
            }
            None => {}
        }
        Counters::add(&self.core.counters.dead_lettered, 1);
        self.settled(&op, Fate::DeadLettered);
    }

    /// Bookkeeping for a message that left the worker.
    pub(super) fn settled(&mut self, op: &Queued, fate: Fate) {
        self.settled_all(std::slice::from_ref(op), fate);
    }

    /// Bookkeeping for messages that left the worker together: their room is given back in
    /// one go (one wake-up of the callers waiting for room, not one per message).
    fn settled_all(&mut self, ops: &[Queued], fate: Fate) {
        let (mut held, mut bytes) = (0, 0);
        for op in ops {
            self.live = self.live.saturating_sub(1);
            if op.held {
                held += 1;
                bytes += op.weight;
            }
            if op.recovered()
                && let Some(recovery) = &mut self.recovery
            {
                recovery.loaded = recovery.loaded.saturating_sub(1);
            }
            self.count_settled(op.arrival, fate);
        }
        if held > 0 {
            self.core.capacity.give_back_settled(held, bytes);
            Counters::sub(&self.core.counters.queued_bytes, bytes as u64);
        }
    }

    /// The shutdown deadline passed: stop sending; what is left stays in the spool or, without
    /// one, is dead-lettered. The channel is closed and every message in it received before
    /// (see [`receive_the_rest`](Worker::receive_the_rest)).
    pub(super) fn expire(&mut self) {
        if let Some(drain) = &mut self.drain {
            drain.timed_out = true;
        }
        let unsent = match &self.last_error {
            Some(error) => {
                format!("not delivered before the shutdown deadline; last error: {error}")
            }
            None => "not delivered before the shutdown deadline".to_owned(),
        };
        let unanswered = "its request was under way at the shutdown deadline (sent and not \
            answered, or waiting for a rate-limit permit or a retry): DFINERY may have stored \
            it (an event sent again with its event_log_id is dropped as a duplicate)";
        let lost = self.give_up(SHUTDOWN_DEADLINE, &unsent, unanswered);
        if let Some(drain) = &mut self.drain {
            drain.lost_at_deadline += lost;
        }
    }

    /// Stops sending: what is queued or in flight stays in the spool or, without one, is
    /// dead-lettered with `kind`, for `unsent` or, when its request was under way (maybe
    /// stored by DFINERY), for `unanswered`. Returns how many were dead-lettered.
    pub(super) fn give_up(&mut self, kind: &str, unsent: &str, unanswered: &str) -> u64 {
        self.sending.clear();
        let counters = &self.core.counters;
        // The messages whose request was under way: maybe sent and not answered, so maybe
        // stored. A batch here may also still wait for a rate-limit permit or a retry: the
        // client does not say which, so the reason names all three.
        let mut under_way = std::collections::HashSet::new();
        // Batches whose user's queue is gone (not reached: see `complete`), settled as well.
        let mut orphans = Vec::new();
        for (_, batch) in std::mem::take(&mut self.batches) {
            under_way.extend(batch.ops.iter().map(|op| op.seq));
            Counters::sub(&counters.in_flight, batch.ops.len() as u64);
            Counters::add(&counters.queued, batch.ops.len() as u64);
            match self.users.get_mut(&batch.user) {
                Some(queue) => queue.put_back(batch.ops),
                None => orphans.push((batch.identity, batch.ops)),
            }
        }
        let mut users: Vec<(Identity, Vec<Queued>)> = self
            .users
            .drain()
            .map(|(_, mut queue)| {
                let ops = queue.drain();
                (queue.identity, ops)
            })
            .collect();
        users.extend(orphans);
        self.ids.clear();
        self.ready.clear();
        self.held_back = 0;
        let mut lost = 0;
        for (identity, ops) in users {
            for op in ops {
                Counters::sub(&self.core.counters.queued, 1);
                if self.core.spool.is_some() {
                    Counters::add(&self.core.counters.left_in_spool, 1);
                    self.settled(&op, Fate::LeftInSpool);
                } else {
                    let reason = if under_way.contains(&op.seq) {
                        unanswered
                    } else {
                        unsent
                    };
                    self.bury(&identity, op, reason.to_owned(), kind);
                    lost += 1;
                }
            }
        }
        self.leave_on_disk();
        lost
    }

    /// Syncs the spool, lets go of it (so the file can be opened again as soon as the last
    /// handle is dropped) and answers the flushes and the shutdown still waiting.
    pub(super) async fn finish(mut self) {
        self.finished = true;
        // Why the last commit failed, if it did: what was not on disk by then is lost.
        let mut last_commit_failed = None;
        if let Some(spool) = &self.core.spool
            && let Err(error) = spool.commit(Vec::new()).await
        {
            tracing::error!(%error, "could not sync the spool at shutdown; delivered messages may be sent again");
            last_commit_failed = Some(error.to_string());
        }
        // Awaited calls whose commit ends now hand their messages over to a worker that no
        // longer takes them: they stay in the spool, counted in `left_in_spool` (see
        // `Entries::Synced`). Waited for, so that the report counts them.
        if self.core.spool.is_some() {
            self.core.commits_ended().await;
        }
        self.answer_all_waiters();
        let Some(drain) = self.drain.take() else {
            return;
        };
        let metrics = self.core.metrics();
        self.log_what_is_left(&drain, &metrics, last_commit_failed.as_deref());
        let report = ShutdownReport {
            delivered: metrics.delivered,
            dead_lettered: metrics.dead_lettered,
            left_in_spool: metrics.left_in_spool,
            timed_out: drain.timed_out,
            last_error: self.last_error.take(),
            last_dead_letter: self.last_dead_letter.take(),
            spool_error: last_commit_failed,
            metrics,
        };
        drop(self);
        for reply in drain.replies {
            let _ = reply.send(report.clone());
        }
    }
}

impl Worker {
    /// One line at the end of a shutdown that did not deliver everything: what is left, where
    /// it is kept (or that it is lost) and the last error, so that an operator reading the logs
    /// of a stopped process knows without the `ShutdownReport`. When the spool's last commit
    /// failed (`spool_error`), the messages not written before it (those a `try_` call accepted
    /// while its writes failed) are in memory only: the line says they may be lost.
    fn log_what_is_left(&self, drain: &Drain, metrics: &TrackerMetrics, spool_error: Option<&str>) {
        let last_error = self.last_error.as_deref().unwrap_or("none");
        let left = dfinery_schema::names::counted(metrics.left_in_spool, "message", "messages");
        match &self.core.spool {
            Some(spool) if metrics.left_in_spool > 0 && spool_error.is_some() => tracing::error!(
                left_in_spool = metrics.left_in_spool,
                spool = %spool.path().display(),
                timed_out = drain.timed_out,
                last_error,
                spool_error,
                "shut down with {left} undelivered, and the spool `{}` failed its last \
                 commit: those written to it before its writes failed are delivered by the next \
                 tracker opened on it; the others (`not_durable` counts the `try_` calls \
                 accepted while they failed) are in memory only and may be lost",
                spool.path().display()
            ),
            Some(spool) if metrics.left_in_spool > 0 => tracing::warn!(
                left_in_spool = metrics.left_in_spool,
                spool = %spool.path().display(),
                timed_out = drain.timed_out,
                last_error,
                "shut down with {left} undelivered; they stay in the spool `{}` and the next \
                 tracker opened on it delivers them first",
                spool.path().display()
            ),
            None if drain.lost_at_deadline > 0 => tracing::error!(
                dead_lettered = drain.lost_at_deadline,
                last_error,
                "the shutdown deadline passed with {} undelivered; without a spool they \
                 were dead-lettered (kept only where `on_dead_letter` keeps them): give the \
                 tracker a spool, or a longer `shutdown_timeout`",
                dfinery_schema::names::counted(drain.lost_at_deadline, "message", "messages")
            ),
            _ => {}
        }
    }
}

impl Worker {
    /// One line for messages dead-lettered together (a batch refused for good, or out of
    /// retries): a line per message flooded the log when a refused token dead-lettered
    /// thousands. The same kind and reason again, with no delivery since (a refused token,
    /// batch after batch, user after user), is not logged again: `dead_lettered` counts it.
    /// A refused token or service id is an `ERROR` (every message fails until the setting is
    /// fixed); any other refusal a `WARN`.
    fn log_buried(&mut self, ops: &[Queued], kind: &'static str, reason: &str) {
        let (Some(first), Some(last)) = (ops.first(), ops.last()) else {
            return;
        };
        if let Some((k, r)) = &self.last_buried_logged
            && *k == kind
            && r == reason
        {
            return;
        }
        self.last_buried_logged = Some((kind, reason.to_owned()));
        let messages = ops.len();
        let counted = dfinery_schema::names::counted(messages as u64, "message", "messages");
        if matches!(kind, "auth" | "service_id" | "missing_token") {
            tracing::error!(
                messages,
                kind,
                first_seq = first.seq,
                last_seq = last.seq,
                reason,
                "DFINERY refused the token or service id: dead-lettered {counted}; \
                 every message fails until the setting is fixed (the next refusals are counted \
                 in `dead_lettered`, not logged, until a message is delivered)"
            );
        } else {
            tracing::warn!(
                messages,
                kind,
                first_seq = first.seq,
                last_seq = last.seq,
                reason,
                "dead-lettered {counted} (the same refusal again is counted in \
                 `dead_lettered`, not logged, until a message is delivered)"
            );
        }
    }
}

/// Errors that refuse a whole request for what some of its events hold.
fn refused_as_a_whole(error: &Error) -> bool {
    // `InvalidEvents`: the client refused one record of the batch before sending (one that
    // holds a nil `event_log_id` or more than 100 items, found in a spool an older version
    // wrote), and the whole call with it.
    matches!(
        error,
        Error::Validation { .. } | Error::TooManyEvents { .. } | Error::InvalidEvents { .. }
    )
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    /// A batch the client refused because of one of its records (the whole call fails before
    /// sending) is split and sent again one message at a time, so only that record is
    /// dead-lettered, not the up to 99 others of its batch.
    #[test]
    fn a_batch_refused_for_one_invalid_record_is_split_not_buried() {
        let invalid = crate::Error::InvalidEvents { events: Vec::new() };
        assert!(super::refused_as_a_whole(&invalid));
        let timeout = crate::Error::Timeout {
            endpoint: crate::wire::Endpoint::Events,
            after: std::time::Duration::from_secs(1),
        };
        assert!(!super::refused_as_a_whole(&timeout));
    }

    use crate::{EventRecord, Identifier, Identity, Message, Tracker};

    /// A page of the recovery whose read failed (the store closed while the writer opens the
    /// file again after a failed commit) is read again: the messages a previous process left
    /// are still sent in this process, before the newer ones. Before, one failed read ended
    /// the recovery, and the next start sent them after the newer messages of their users.
    // In real time: the pages come from the writer thread, and a paused clock would jump to
    // the shutdown deadline while the runtime waits for them.
    #[tokio::test]
    async fn a_failed_read_of_the_recovery_is_tried_again() {
        use crate::tracker::message::Envelope;
        use crate::tracker::spool::{Mode, Spool, Write};
        let path = crate::tracker::test_files::path("recovery-read-fails");
        let user = Identity::new(Identifier::ExternalId, "u1").unwrap();
        let records: Vec<EventRecord> = (0..3)
            .map(|_| EventRecord::builder("coupon_used").build().unwrap())
            .collect();
        {
            let spool = Spool::open(&path).unwrap();
            let writes = records
                .iter()
                .enumerate()
                .map(|(n, record)| Write::Insert {
                    seq: n as u64 + 1,
                    bytes: serde_json::to_vec(&Envelope {
                        identity: user.clone(),
                        message: Message::Event(record.clone()),
                    })
                    .unwrap()
                    .into(),
                })
                .collect();
            spool.submit(writes, Mode::Wait).unwrap();
        }
        let spool = Spool::open(&path).unwrap();
        assert_eq!(spool.pending_len(), 3);
        crate::tracker::spool::tests::fail_reads(&path, 1);
        let kept = Arc::new(Mutex::new(Vec::new()));
        // Nothing listens: each message fails once and is dead-lettered, so the letters show
        // which messages this process read and tried.
        let tracker = Tracker::builder(crate::tracker::client_to_nowhere())
            .spool_opened(spool)
            .give_up_after(1)
            .shutdown_timeout(std::time::Duration::from_secs(60))
            .on_dead_letter({
                let kept = Arc::clone(&kept);
                move |letter| kept.lock().unwrap().push(letter)
            })
            .build()
            .unwrap();
        let report = tracker.shutdown().await.unwrap();
        assert_eq!(
            (report.dead_lettered, report.left_in_spool),
            (3, 0),
            "{report:?}"
        );
        let tried: Vec<uuid::Uuid> = kept
            .lock()
            .unwrap()
            .iter()
            .map(|letter| match &letter.message {
                Message::Event(record) => record.event_log_id(),
                other => panic!("{other:?}"),
            })
            .collect();
        let expected: Vec<uuid::Uuid> = records.iter().map(EventRecord::event_log_id).collect();
        assert_eq!(tried, expected, "all three, in order");
    }

    /// Three messages of one user left in a spool, read by a recovery whose first
    /// `READ_TRIES + 2` reads fail (as the store closed after a failed write when `closed`, as
    /// a damaged page otherwise), and one newer message of that user tracked meanwhile. Nothing
    /// listens: each message sent fails once and is dead-lettered, so the letters show the
    /// order the messages were sent in. Returns the shutdown's report, the ids of the messages
    /// sent in that order, and the ids of the three old ones then the newer one.
    async fn recover_through_failed_reads(
        closed: bool,
    ) -> (crate::ShutdownReport, Vec<uuid::Uuid>, Vec<uuid::Uuid>) {
        use crate::tracker::message::Envelope;
        use crate::tracker::spool::{Mode, Spool, Write};
        let path = crate::tracker::test_files::path("recovery-reads-fail");
        let user = Identity::new(Identifier::ExternalId, "u1").unwrap();
        let mut records: Vec<EventRecord> = (0..3)
            .map(|_| EventRecord::builder("coupon_used").build().unwrap())
            .collect();
        {
            let spool = Spool::open(&path).unwrap();
            let writes = records
                .iter()
                .enumerate()
                .map(|(n, record)| Write::Insert {
                    seq: n as u64 + 1,
                    bytes: serde_json::to_vec(&Envelope {
                        identity: user.clone(),
                        message: Message::Event(record.clone()),
                    })
                    .unwrap()
                    .into(),
                })
                .collect();
            spool.submit(writes, Mode::Wait).unwrap();
        }
        let spool = Spool::open(&path).unwrap();
        let failures = super::super::recovery::READ_TRIES + 2;
        if closed {
            crate::tracker::spool::tests::close_for_reads(&path, failures);
        } else {
            crate::tracker::spool::tests::fail_reads(&path, failures);
        }
        let kept = Arc::new(Mutex::new(Vec::new()));
        let tracker = Tracker::builder(crate::tracker::client_to_nowhere())
            .spool_opened(spool)
            .give_up_after(1)
            .shutdown_timeout(std::time::Duration::from_secs(60))
            .on_dead_letter({
                let kept = Arc::clone(&kept);
                move |letter| kept.lock().unwrap().push(letter)
            })
            .build()
            .unwrap();
        let newer = EventRecord::builder("coupon_used").build().unwrap();
        records.push(newer.clone());
        tracker.track(&user, newer).await.unwrap();
        let report = tracker.shutdown().await.unwrap();
        let sent: Vec<uuid::Uuid> = kept
            .lock()
            .unwrap()
            .iter()
            .map(|letter| match &letter.message {
                Message::Event(record) => record.event_log_id(),
                other => panic!("{other:?}"),
            })
            .collect();
        let ids = records.iter().map(EventRecord::event_log_id).collect();
        (report, sent, ids)
    }

    /// A recovery whose reads are refused more than `READ_TRIES` times in a row because the
    /// writer cannot open the file again after a failed write (a full disk, say) keeps trying:
    /// the messages a previous process left still go before the newer ones of their users.
    /// Before, the recovery stopped after five such reads (about 15 s), this process sent its
    /// new messages, and the next start sent the old ones after them.
    #[tokio::test]
    async fn a_recovery_waits_for_a_file_closed_after_a_failed_write_so_order_holds() {
        let (report, sent, ids) = recover_through_failed_reads(true).await;
        assert_eq!(
            (report.dead_lettered, report.left_in_spool),
            (4, 0),
            "{report:?}"
        );
        assert_eq!(sent, ids, "the three left before, then the newer one");
    }

    /// A page whose read fails itself (a damaged page) is given up after `READ_TRIES`, as
    /// documented: waiting on it for good would stop every delivery. What is left stays in
    /// the spool, and the newer message goes.
    #[tokio::test]
    async fn a_recovery_gives_up_a_page_whose_read_fails_itself_after_its_tries() {
        let (report, sent, ids) = recover_through_failed_reads(false).await;
        assert_eq!(
            (report.dead_lettered, report.left_in_spool),
            (1, 3),
            "{report:?}"
        );
        assert_eq!(sent, ids[3..], "only the newer one");
    }

    /// A flush while the recovery's reads are refused because the spool cannot open its file
    /// again after a failed write (a full disk): the recovery waits for the disk, and the newer
    /// message with it, but the flush returns with the reason, as after a send that failed with
    /// an error worth retrying. Since the recovery waits for such a disk for as long as it
    /// takes, `flush().await` hung as long (before, it returned once the recovery gave up,
    /// about 15 s).
    #[tokio::test]
    async fn a_flush_returns_while_the_recovery_waits_for_the_disk() {
        use crate::tracker::message::Envelope;
        use crate::tracker::spool::{Mode, Spool, Write};
        let path = crate::tracker::test_files::path("flush-while-recovery-waits");
        let user = Identity::new(Identifier::ExternalId, "u1").unwrap();
        {
            let spool = Spool::open(&path).unwrap();
            let bytes = serde_json::to_vec(&Envelope {
                identity: user.clone(),
                message: Message::Event(EventRecord::builder("coupon_used").build().unwrap()),
            })
            .unwrap();
            spool
                .submit(
                    vec![Write::Insert {
                        seq: 1,
                        bytes: bytes.into(),
                    }],
                    Mode::Wait,
                )
                .unwrap();
        }
        let spool = Spool::open(&path).unwrap();
        crate::tracker::spool::tests::close_for_reads(&path, 1_000);
        let tracker = Tracker::builder(crate::tracker::client_to_nowhere())
            .spool_opened(spool)
            .give_up_after(1)
            .shutdown_timeout(std::time::Duration::from_millis(500))
            .build()
            .unwrap();
        tracker
            .track(&user, EventRecord::builder("coupon_used").build().unwrap())
            .await
            .unwrap();
        let report = tokio::time::timeout(std::time::Duration::from_secs(10), tracker.flush())
            .await
            .expect("the flush returns while the recovery waits for the disk")
            .unwrap();
        assert!(
            report
                .error
                .as_deref()
                .is_some_and(|e| e.contains("closed after a failed write")),
            "{report:?}"
        );
        // The old message unread, and the newer one waiting behind it.
        assert_eq!(report.pending, 2, "{report:?}");
        let report = tracker.shutdown().await.unwrap();
        assert_eq!(report.left_in_spool, 2, "{report:?}");
    }

    /// A worker without a spool, its dead letters kept in `letters`, and the handle of its
    /// channel.
    fn worker(
        letters: &Arc<Mutex<Vec<crate::DeadLetter>>>,
    ) -> (
        super::Worker,
        tokio::sync::mpsc::UnboundedSender<crate::tracker::worker::Command>,
    ) {
        use crate::tracker::Core;
        use crate::tracker::builder::Settings;
        use crate::tracker::capacity::Capacity;
        use crate::tracker::dead_letter::DeadLetterHook;
        use std::time::Duration;
        let letters = Arc::clone(letters);
        let hook = DeadLetterHook(Arc::new(move |letter| letters.lock().unwrap().push(letter)));
        let settings = Settings {
            max_batch_events: 100,
            max_batch_bytes: 1 << 20,
            flush_interval: Duration::from_secs(1),
            max_in_flight: 4,
            shutdown_timeout: Duration::from_secs(1),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            give_up_after: None,
            on_dead_letter: Some(hook.clone()),
        };
        let core = Arc::new(Core::new(Capacity::new(100, 1 << 20), None, Some(hook)));
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let worker = super::Worker::new(crate::tracker::client_to_nowhere(), settings, core, rx, 0);
        (worker, tx)
    }

    /// Two messages of one user, taken by `worker` for a request; returns the batch's id.
    fn on_the_wire(worker: &mut super::Worker, user: &Identity) -> u64 {
        use crate::tracker::metrics::Counters;
        for seq in 1..=2 {
            let message = Message::Event(EventRecord::builder("coupon_used").build().unwrap());
            let weight = message.weight();
            worker.core.capacity.try_take(weight).unwrap();
            Counters::add(&worker.core.counters.accepted, 1);
            Counters::add(&worker.core.counters.queued, 1);
            Counters::add(&worker.core.counters.queued_bytes, weight as u64);
            worker.receive(crate::tracker::worker::Incoming {
                seq,
                identity: user.clone(),
                message,
                weight,
            });
        }
        worker.schedule_all();
        worker.dispatch();
        assert_eq!(worker.core.metrics().in_flight, 2);
        *worker.batches.keys().next().expect("a batch on the wire")
    }

    /// A batch that comes back for a user whose queue is gone (no code path removes it while
    /// a batch is on the wire: this guards a change that would) is dead-lettered rather than
    /// dropped. Before, `complete` returned without settling it: nothing delivered, nothing
    /// dead-lettered, the counters no longer balanced and a shutdown waited for it in vain.
    #[tokio::test]
    async fn a_batch_whose_users_queue_is_gone_is_dead_lettered_never_dropped() {
        let letters = Arc::new(Mutex::new(Vec::new()));
        let (mut worker, _tx) = worker(&letters);
        let user = Identity::new(Identifier::ExternalId, "u1").unwrap();
        let id = on_the_wire(&mut worker, &user);
        worker.users.clear();
        worker.ids.clear();
        let failed = crate::Error::Timeout {
            endpoint: crate::wire::Endpoint::Events,
            after: std::time::Duration::from_secs(1),
        };
        worker.complete(
            id,
            super::Outcome {
                delivered: 0,
                resent: 0,
                error: Some(failed),
            },
        );
        both_dead_lettered(&worker, &letters, "unexpected");
        assert_eq!(worker.live, 0);
        assert!(letters.lock().unwrap().iter().all(|l| l.identity == user));
    }

    /// The same at the shutdown's deadline: a batch on the wire whose user's queue is gone is
    /// dead-lettered with the rest (before, it was left counted as queued).
    #[tokio::test]
    async fn a_batch_whose_users_queue_is_gone_is_dead_lettered_at_the_deadline() {
        let letters = Arc::new(Mutex::new(Vec::new()));
        let (mut worker, _tx) = worker(&letters);
        let user = Identity::new(Identifier::ExternalId, "u1").unwrap();
        on_the_wire(&mut worker, &user);
        worker.users.clear();
        worker.ids.clear();
        worker.expire();
        both_dead_lettered(&worker, &letters, "shutdown_deadline");
    }

    /// The two messages of the batch [`on_the_wire`] put out are dead-lettered with `kind`,
    /// and nothing of them is left queued or in flight.
    fn both_dead_lettered(
        worker: &super::Worker,
        letters: &Mutex<Vec<crate::DeadLetter>>,
        kind: &str,
    ) {
        let metrics = worker.core.metrics();
        assert_eq!(
            (metrics.dead_lettered, metrics.queued, metrics.in_flight),
            (2, 0, 0),
            "{metrics:?}"
        );
        assert!(metrics.balanced(), "{metrics:?}");
        let letters = letters.lock().unwrap();
        assert_eq!(letters.len(), 2, "{letters:?}");
        assert!(letters.iter().all(|l| l.kind == kind), "{letters:?}");
    }

    /// A dead letter's event is a copy of its own: a callback that keeps letters keeps no
    /// 16 KiB block of other records alive.
    #[tokio::test(start_paused = true)]
    async fn a_dead_letters_event_shares_no_block_with_other_records() {
        // Nothing listens there: the one send fails and `give_up_after(1)` dead-letters it.
        let client = crate::tracker::client_to_nowhere();
        let kept = Arc::new(Mutex::new(Vec::new()));
        let tracker = Tracker::builder(client)
            .give_up_after(1)
            .on_dead_letter({
                let kept = Arc::clone(&kept);
                move |letter| kept.lock().unwrap().push(letter)
            })
            .build()
            .unwrap();
        let record = EventRecord::builder("coupon_used").build().unwrap();
        assert!(!record.is_alone(), "cut from the thread's block");
        let user = Identity::new(Identifier::ExternalId, "u1").unwrap();
        tracker.try_track(&user, record.clone()).unwrap();
        let report = tracker.shutdown().await.unwrap();
        assert_eq!(report.dead_lettered, 1, "{report:?}");
        let kept = kept.lock().unwrap();
        let Message::Event(letter) = &kept[0].message else {
            panic!("{:?}", kept[0].message);
        };
        assert_eq!(*letter, record);
        assert!(letter.is_alone(), "a copy of its own");
    }

    /// While the Event and Identity APIs hold their batches (each probing its limit with one
    /// request on the wire) and no profile update is queued, no user behind the first held
    /// back could go: the worker stops there rather than walk the ready list. It counted the
    /// updates queued of both APIs together, so an identity update waiting made it look past
    /// every user for a profile update there was none of (all 60 passed over, on every turn,
    /// before the fix; 2 now). The users passed over keep their order, each listed once.
    #[tokio::test]
    async fn no_user_is_looked_past_when_no_api_with_room_has_anything_queued() {
        use crate::encode::value::Datetime;
        use crate::tracker::metrics::Counters;
        let letters = Arc::new(Mutex::new(Vec::new()));
        let (mut worker, _tx) = worker(&letters);
        let mut order = Vec::new();
        let users = (0..2)
            .map(|n| {
                let message = Message::Identify {
                    request_datetime: Datetime::now(),
                };
                (format!("identified-{n}"), message)
            })
            .chain((0..60).map(|n| {
                let message = Message::Event(EventRecord::builder("coupon_used").build().unwrap());
                (format!("tracking-{n}"), message)
            }));
        for (seq, (name, message)) in (1..).zip(users) {
            let identity = Identity::new(Identifier::ExternalId, &name).unwrap();
            let weight = message.weight();
            worker.core.capacity.try_take(weight).unwrap();
            Counters::add(&worker.core.counters.accepted, 1);
            Counters::add(&worker.core.counters.queued, 1);
            Counters::add(&worker.core.counters.queued_bytes, weight as u64);
            let user = worker.user_of(identity.clone());
            worker.receive(crate::tracker::worker::Incoming {
                seq,
                identity,
                message,
                weight,
            });
            worker.schedule(user);
            order.push(user);
        }
        worker.dispatch();
        // The first identity update and the first events probe their APIs.
        assert_eq!(worker.batches.len(), 2);
        assert_eq!(worker.held_back, 2);
        let left: Vec<u64> = worker.ready.iter().copied().collect();
        let expected: Vec<u64> = order
            .iter()
            .copied()
            .filter(|&user| user != order[0] && user != order[2])
            .collect();
        assert_eq!(left, expected);
        // Asked again, the same.
        worker.dispatch();
        assert_eq!(worker.held_back, 2);
        assert_eq!(worker.ready.iter().copied().collect::<Vec<_>>(), expected);
    }
}
