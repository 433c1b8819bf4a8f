//! Flushes in progress: each covers the messages received before it (and those recovered from
//! the spool) and is answered once they are all settled, or once a send failed and none of
//! them is on the wire any more. With a spool, the answer goes out once the spool's writer has
//! committed every change queued before it (the deletes of the delivered messages, the dead
//! letters), so what a flush reports is what the spool holds.

use tokio::sync::oneshot;

use crate::tracker::report::FlushReport;
use crate::tracker::spool::{Mode, Spool};

use super::Worker;
use super::finish::Fate;

/// One flush waiting for its answer.
#[derive(Debug)]
pub(super) struct Waiter {
    /// Messages with an arrival number up to this one are covered.
    mark: u64,
    /// Covered messages not settled yet.
    remaining: u64,
    /// Covered messages settled by leaving them in the spool (a shutdown's deadline, a read
    /// of the spool that failed): undelivered, so pending in the report.
    left_in_spool: u64,
    report: FlushReport,
    reply: Option<oneshot::Sender<FlushReport>>,
}

impl Worker {
    /// Starts a flush: everything is due now, and a pause after a failure is cut short.
    pub(super) fn start_flush(&mut self, reply: oneshot::Sender<FlushReport>) {
        self.backoff.until = None;
        self.waiters.push(Waiter {
            mark: self.arrivals,
            remaining: self.live,
            left_in_spool: 0,
            report: FlushReport::default(),
            reply: Some(reply),
        });
        self.schedule_all();
    }

    /// A message with arrival number `arrival` was settled.
    pub(super) fn count_settled(&mut self, arrival: u64, fate: Fate) {
        for waiter in &mut self.waiters {
            if arrival > waiter.mark {
                continue;
            }
            waiter.remaining = waiter.remaining.saturating_sub(1);
            match fate {
                Fate::Delivered => waiter.report.delivered += 1,
                Fate::DeadLettered => waiter.report.dead_lettered += 1,
                Fate::LeftInSpool => waiter.left_in_spool += 1,
            }
        }
    }

    /// The message with arrival number `arrival` was dead-lettered for `reason`: the flushes
    /// waiting for it and the shutdown's report say so.
    pub(super) fn note_dead_letter(&mut self, arrival: u64, reason: String) {
        for waiter in &mut self.waiters {
            if arrival <= waiter.mark {
                waiter.report.last_dead_letter = Some(reason.clone());
            }
        }
        self.last_dead_letter = Some(reason);
    }

    /// A send failed with an error worth retrying: every flush in progress returns once its
    /// messages are off the wire.
    pub(super) fn note_failure(&mut self, reason: &str) {
        for waiter in &mut self.waiters {
            waiter.report.error = Some(reason.to_owned());
        }
    }

    /// Answers the flushes that are done.
    pub(super) fn settle_waiters(&mut self) {
        if self.waiters.is_empty() {
            return;
        }
        let on_wire = self
            .batches
            .values()
            .flat_map(|b| b.ops.iter().map(|op| op.arrival))
            .min();
        let mut waiters = std::mem::take(&mut self.waiters);
        waiters.retain_mut(|waiter| {
            let failed_and_idle =
                waiter.report.error.is_some() && on_wire.is_none_or(|a| a > waiter.mark);
            if waiter.remaining > 0 && !failed_and_idle {
                return true;
            }
            answer(waiter, self.core.spool.as_deref());
            false
        });
        self.waiters = waiters;
    }

    /// Answers every flush with what it has (at shutdown).
    pub(super) fn answer_all_waiters(&mut self) {
        for mut waiter in std::mem::take(&mut self.waiters) {
            answer(&mut waiter, self.core.spool.as_deref());
        }
    }
}

fn answer(waiter: &mut Waiter, spool: Option<&Spool>) {
    waiter.report.pending = waiter.remaining + waiter.left_in_spool;
    let Some(reply) = waiter.reply.take() else {
        return;
    };
    let report = std::mem::take(&mut waiter.report);
    match spool {
        // Behind every write queued so far: answered once they are committed.
        Some(spool) => spool.enqueue(
            Vec::new(),
            Mode::Lazy,
            Some(Box::new(move |_| {
                let _ = reply.send(report);
            })),
        ),
        None => {
            let _ = reply.send(report);
        }
    }
}
