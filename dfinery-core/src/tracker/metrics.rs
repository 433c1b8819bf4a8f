//! [`TrackerMetrics`]: what the tracker did so far, read with
//! [`Tracker::metrics`](super::Tracker::metrics), and the atomic counters behind it.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the tracker's counters. "Message" means an event, an identity update or a
/// profile update: each counts once.
///
/// Every message accepted (or recovered from the spool) ends as exactly one of delivered,
/// dead-lettered, or left in the spool at shutdown; until then it is queued or in flight:
///
/// `accepted + recovered = delivered + dead_lettered + left_in_spool + queued + in_flight`
///
/// `rejected` counts calls that returned an error; those messages were never accepted.
///
/// For a dashboard: `queued`, `queued_bytes`, `in_flight`, `spooled` and `spooled_bytes` are
/// gauges (the state now); every other field is a counter, counted from 0 when the tracker is
/// built, only ever growing and never reset (a new tracker, as in a restarted process, starts
/// again from 0, so graph their rate). One exception: a call racing the worker's stop (after
/// `shutdown`) takes its messages back out of `accepted` and returns `Closed`. (An awaited
/// call with a spool whose commit began before the stop is not taken back: its messages are
/// on disk, and are counted accepted and left in the spool.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrackerMetrics {
    /// Messages accepted by any call form: `track`, `identify`, `update_profile`, `send` and
    /// their `try_` forms, `track_many`, `send_many`.
    pub accepted: u64,
    /// Messages a previous process left in the spool, found at start.
    pub recovered: u64,
    /// Calls refused with an error: queue full, too large, invalid, closed, spool failure.
    pub rejected: u64,
    /// Messages waiting to be sent: in memory, or in the spool from a previous process.
    pub queued: u64,
    /// The bytes of the messages held in memory, queued or in flight (what the byte cap
    /// limits).
    pub queued_bytes: u64,
    /// Messages in a request on the wire now.
    pub in_flight: u64,
    /// Messages DFINERY confirmed.
    pub delivered: u64,
    /// Messages sent again after a failure: each resend counts once, the client's retries of
    /// a request that then succeeded included.
    pub retried: u64,
    /// Messages DFINERY refused for good (or that, without a spool, could not be delivered
    /// before the shutdown deadline or before the runtime running the tracker stopped): kept in
    /// the spool's dead-letter table or handed to the dead-letter callback, never retried again.
    pub dead_lettered: u64,
    /// Messages kept in the spool for the next start: still undelivered at the shutdown
    /// deadline or when the runtime running the tracker stopped, or synced by the commit of an
    /// awaited call that ended after the tracker had stopped (a shutdown meanwhile, or its
    /// runtime stopping).
    pub left_in_spool: u64,
    /// Messages accepted by a `try_` form whose spool write then failed (a full or failing
    /// disk): they stay in memory and are delivered, but are not on disk, so a crash before
    /// their delivery loses them. The first of a run of such failures is logged with
    /// `tracing::error!` (the next ones only counted, until a spool write succeeds); each is
    /// told to the dead-letter callback as a notice of kind `not_durable` (never counted in
    /// `dead_lettered`: the message is still delivered). The awaited forms never count here:
    /// they return the spool error instead and accept nothing.
    pub not_durable: u64,
    /// Messages the spool holds for delivery (0 without a spool).
    pub spooled: u64,
    /// Times the spool's file was found deleted, or replaced by another file, while open, and
    /// a new spool was started at its path holding everything the old file held (a foreign
    /// file found there is moved aside to `<name>.foreign-<unix ms>`, never written); and times
    /// its journal (`<name>-journal`) was, what it held moved into the spool's file and a new
    /// journal started. Each time is also logged with `tracing::error!`. See `RELIABILITY.md`,
    /// "Faults at the edges".
    pub spool_recreated: u64,
    /// Bytes of the messages the spool holds for delivery.
    pub spooled_bytes: u64,
}

/// The live counters, shared by the callers and the worker.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) accepted: AtomicU64,
    pub(crate) recovered: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) queued: AtomicU64,
    pub(crate) queued_bytes: AtomicU64,
    pub(crate) in_flight: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) dead_lettered: AtomicU64,
    pub(crate) left_in_spool: AtomicU64,
    pub(crate) not_durable: AtomicU64,
}

impl Counters {
    /// Adds `n` to `counter`.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Takes `n` from `counter`, stopping at zero.
    pub(crate) fn sub(counter: &AtomicU64, n: u64) {
        let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
            Some(v.saturating_sub(n))
        });
    }

    /// The counters now, with the spool's size.
    pub(crate) fn snapshot(
        &self,
        spooled: u64,
        spooled_bytes: u64,
        spool_recreated: u64,
    ) -> TrackerMetrics {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        TrackerMetrics {
            accepted: get(&self.accepted),
            recovered: get(&self.recovered),
            rejected: get(&self.rejected),
            queued: get(&self.queued),
            queued_bytes: get(&self.queued_bytes),
            in_flight: get(&self.in_flight),
            delivered: get(&self.delivered),
            retried: get(&self.retried),
            dead_lettered: get(&self.dead_lettered),
            left_in_spool: get(&self.left_in_spool),
            not_durable: get(&self.not_durable),
            spooled,
            spool_recreated,
            spooled_bytes,
        }
    }
}

impl TrackerMetrics {
    /// Whether the counters add up: every message accepted or recovered is delivered,
    /// dead-lettered, left in the spool, queued or in flight. Exact at rest (after a flush or
    /// the shutdown); a snapshot taken while messages move may be off by those in motion.
    pub fn balanced(&self) -> bool {
        self.accepted + self.recovered
            == self.delivered
                + self.dead_lettered
                + self.left_in_spool
                + self.queued
                + self.in_flight
    }
}
