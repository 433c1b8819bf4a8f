//! Lock-free request counters behind [`Stats`](crate::Stats).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::Api;
use crate::model::{PerApi, Stats};

/// The counters, updated from every request task.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    /// `rate_limited` per API, in the order of [`Counters::limited`].
    rate_limited_by_api: [AtomicU64; 4],
    pub(crate) faults_injected: AtomicU64,
    pub(crate) exports: AtomicU64,
    pub(crate) sunk: AtomicU64,
}

impl Counters {
    /// Adds `n` to one counter.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one request of `api` refused by its rate limit (or the export concurrency).
    pub(crate) fn limited(&self, api: Api) {
        Counters::add(&self.rate_limited, 1);
        Counters::add(&self.rate_limited_by_api[api.index()], 1);
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
            rate_limited_by_api: PerApi {
                event: get(&self.rate_limited_by_api[0]),
                identity: get(&self.rate_limited_by_api[1]),
                profile: get(&self.rate_limited_by_api[2]),
                export: get(&self.rate_limited_by_api[3]),
            },
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
        ]
        .into_iter()
        .chain(&self.rate_limited_by_api)
        {
            counter.store(0, Ordering::Relaxed);
        }
    }
}
