//! The state shared by every request: settings, clock, limiters, faults, store and counters.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use dfinery_schema::Registry;
use tokio::sync::Semaphore;

use super::faults::FaultState;
use super::limiter::Limiter;
use crate::inspector::Inspector;
use crate::secret::Token;
use crate::state::{Counters, Store};
use crate::{Api, Clock, FaultConfig, RateLimits};

/// What the builder decided, fixed for the emulator's life.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) registry: Registry,
    pub(crate) service_id: String,
    pub(crate) import_token: Token,
    pub(crate) export_token: Token,
    pub(crate) rate_limits: RateLimits,
    pub(crate) rate_limit_status_200: bool,
    pub(crate) item_limit: crate::ItemLimit,
    pub(crate) inspection_http: bool,
    pub(crate) sink: bool,
    /// The live page and how many requests it keeps; `None` when off.
    pub(crate) inspector: Option<usize>,
    /// Bound to a loopback address: `/_emulator/…` then answers only requests that name a
    /// loopback host and come from no other site's page (see `router::local_only`).
    pub(crate) loopback: bool,
}

/// Everything a request handler reads or changes.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) settings: Settings,
    pub(crate) clock: Clock,
    limiters: [Limiter; 4],
    pub(crate) export_slots: Arc<Semaphore>,
    faults: Mutex<FaultState>,
    store: Mutex<Store>,
    pub(crate) counters: Counters,
    audiences: Mutex<HashMap<String, BTreeSet<String>>>,
    /// The live page's state, when it is on.
    pub(crate) inspector: Option<Inspector>,
}

impl App {
    pub(crate) fn new(
        settings: Settings,
        clock: Clock,
        faults: FaultConfig,
        audiences: HashMap<String, BTreeSet<String>>,
    ) -> App {
        let limits = settings.rate_limits;
        App {
            limiters: Api::ALL.map(|api| Limiter::new(limits.get(api))),
            export_slots: Arc::new(Semaphore::new(limits.export_concurrency)),
            faults: Mutex::new(FaultState::new(faults)),
            store: Mutex::new(Store::default()),
            counters: Counters::default(),
            audiences: Mutex::new(audiences),
            inspector: settings
                .inspector
                .map(|capacity| Inspector::new(capacity, &limits)),
            settings,
            clock,
        }
    }

    /// The rate limiter of `api`.
    pub(crate) fn limiter(&self, api: Api) -> &Limiter {
        &self.limiters[api.index()]
    }

    /// The stored data, locked; never held across an `.await`.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The fault state, locked.
    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the fault configuration (and restarts its script and random draws).
    pub(crate) fn set_faults(&self, config: FaultConfig) {
        *self.faults() = FaultState::new(config);
    }

    /// The external ids of an audience, `None` when no such audience exists.
    pub(crate) fn audience(&self, id: &str) -> Option<BTreeSet<String>> {
        self.audiences
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// Defines (or replaces) an audience.
    pub(crate) fn set_audience(&self, id: String, external_ids: BTreeSet<String>) {
        self.audiences
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, external_ids);
    }

    /// A new `df_unified_id`.
    pub(crate) fn new_unified_id() -> String {
        uuid::Uuid::new_v4().to_string()
    }

    /// Forgets stored data, counters and rate-limit windows; faults and audiences stay.
    pub(crate) fn reset(&self) {
        *self.store() = Store::default();
        self.counters.reset();
        for limiter in &self.limiters {
            limiter.reset();
        }
        if let Some(inspector) = &self.inspector {
            inspector.reset();
        }
    }
}
