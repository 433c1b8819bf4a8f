//! Lock-free request counters behind [`Stats`](crate::Stats).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::Stats;

/// The counters, updated from every request task.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) faults_injected: AtomicU64,
    pub(crate) exports: AtomicU64,
    pub(crate) sunk: AtomicU64,
}

impl Counters {
    /// Adds `n` to one counter.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// A snapshot of every counter.
    pub(crate) fn snapshot(&self) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            requests: get(&self.requests),
            accepted: get(&self.accepted),
            rejected: get(&self.rejected),
            duplicates: get(&self.duplicates),
            rate_limited: get(&self.rate_limited),
            faults_injected: get(&self.faults_injected),
            exports: get(&self.exports),
            sunk: get(&self.sunk),
        }
    }

    /// Sets every counter back to zero.
    pub(crate) fn reset(&self) {
        for counter in [
            &self.requests,
            &self.accepted,
            &self.rejected,
            &self.duplicates,
            &self.rate_limited,
            &self.faults_injected,
            &self.exports,
            &self.sunk,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}
