//! What [`Tracker::flush`](super::Tracker::flush) and [`Tracker::shutdown`](super::Tracker::shutdown)
//! report.

use super::metrics::TrackerMetrics;

/// The outcome of a [`flush`](super::Tracker::flush) for the messages queued before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlushReport {
    /// Messages DFINERY confirmed during the flush.
    pub delivered: u64,
    /// Messages refused for good during the flush (see the dead letters).
    pub dead_lettered: u64,
    /// Messages still undelivered when the flush returned: a send failed with an error worth
    /// retrying, and the tracker retries them later; or, with a spool, the tracker left them
    /// in it (a shutdown's deadline passed, or reading them back from the spool failed), for
    /// the next tracker on it.
    pub pending: u64,
    /// The error of the failed send, when there was one.
    pub error: Option<String>,
    /// Why the last message dead-lettered during the flush was refused, when one was (every
    /// dead letter carries its own reason: see the spool's dead letters or
    /// [`on_dead_letter`](super::TrackerBuilder::on_dead_letter)).
    pub last_dead_letter: Option<String>,
}

impl FlushReport {
    /// Whether everything queued before the flush was delivered.
    pub fn is_complete(&self) -> bool {
        self.pending == 0 && self.dead_lettered == 0
    }
}

/// The outcome of a [`shutdown`](super::Tracker::shutdown): the totals since the tracker
/// started, and what is left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Messages DFINERY confirmed since the start.
    pub delivered: u64,
    /// Messages dead-lettered since the start (without a spool, those still undelivered at
    /// the deadline are among them).
    pub dead_lettered: u64,
    /// Messages still undelivered at the deadline, kept in the spool: the next tracker on the
    /// same spool delivers them first. Those a `try_` call accepted while the spool's writes
    /// failed ([`TrackerMetrics::not_durable`]) are counted here too, but are on disk only if a
    /// later commit wrote them: when the spool's last commit failed, they may be lost
    /// ([`spool_error`](ShutdownReport::spool_error) says so, as does the shutdown's log line).
    pub left_in_spool: u64,
    /// Whether the deadline passed before everything was delivered.
    pub timed_out: bool,
    /// The error of the last failed send, or why messages a previous process left could not be
    /// read from the spool (they stay in it, counted in `left_in_spool`), if any.
    pub last_error: Option<String>,
    /// Why the last message dead-lettered since the start was refused, if one was (every dead
    /// letter carries its own reason: see the spool's dead letters or
    /// [`on_dead_letter`](super::TrackerBuilder::on_dead_letter)).
    pub last_dead_letter: Option<String>,
    /// Why the spool's last commit, which syncs it before the shutdown returns, failed (the
    /// error names the file), if it did: the messages a `try_` call accepted while the spool's
    /// writes failed ([`TrackerMetrics::not_durable`]) are then in memory only, and lost with
    /// the process, though counted in `left_in_spool`. `None` without a spool, or when it
    /// synced.
    pub spool_error: Option<String>,
    /// Every counter at the end.
    pub metrics: TrackerMetrics,
}
