//! Rate-limit windows that pass in Tokio's paused time: an emulator limiting the Event API (or
//! another) per minute on a manual clock that follows Tokio's, for tests that span several windows without
//! a real sleep (included by path in the test binaries that use it).

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use dfinery::clock::Clock;
use dfinery_emulator::{
    Api, Emulator, EmulatorHandle, ManualClock, RateLimit, StoredEvent, Window,
};

/// The registry the derives and the emulator share.
const REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dfinery.toml");

/// The length of a window.
pub const MINUTE: Duration = Duration::from_secs(60);

/// Where the clock starts: 40 s into a minute, so the first window has 20 s left (a client
/// starts in the middle of a window), the same in every run.
const START: &str = "2026-01-05T09:00:40Z";

/// The steps in which the emulator's clock follows Tokio's: it lags by less than this, well
/// under the 20 ms the client waits past a reset, so a call made for a new window reaches the
/// emulator in that window.
const STEP: Duration = Duration::from_millis(5);

/// An emulator allowing a number of Event API calls a minute, its clock moved with Tokio's
/// paused time until dropped.
pub struct Windowed {
    pub emulator: EmulatorHandle,
    pub clock: ManualClock,
    ticker: tokio::task::JoinHandle<()>,
}

impl Windowed {
    /// Starts the emulator with `calls` Event API calls a minute (windows aligned to the
    /// minute, as the emulator's are) and the ticker moving its clock.
    pub async fn start(calls: u64) -> Windowed {
        Windowed::start_for(Api::Event, calls).await
    }

    /// Starts the emulator with `calls` calls a minute to `api` (every other API at its
    /// default limit) and the ticker moving its clock.
    pub async fn start_for(api: Api, calls: u64) -> Windowed {
        let clock = ManualClock::at(START).expect("a valid instant");
        let emulator = Emulator::builder()
            .registry_path(REGISTRY)
            .clock(clock.clone())
            .rate_limit(api, RateLimit::new(calls, Window::minutes(1)))
            .start()
            .await
            .expect("the emulator starts");
        let ticking = clock.clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(STEP).await;
                ticking.advance(STEP);
            }
        });
        Windowed {
            emulator,
            clock,
            ticker,
        }
    }

    /// The emulator's clock as the client's: one clock on both sides, so that a reset is
    /// waited for as long as the emulator takes to reach it.
    pub fn client_clock(&self) -> Clock {
        let clock = self.clock.clone();
        Clock::new(move || clock.now())
    }

    /// How many events were stored in each window (by the minute of their server time), in
    /// the order of the windows.
    pub fn stored_per_window(&self) -> Vec<(u64, usize)> {
        let mut windows = BTreeMap::new();
        for event in self.emulator.events() {
            *windows.entry(window_of(&event)).or_insert(0) += 1;
        }
        windows.into_iter().collect()
    }
}

impl Drop for Windowed {
    fn drop(&mut self) {
        self.ticker.abort();
    }
}

/// The minute (since the epoch) in which `event` was stored.
pub fn window_of(event: &StoredEvent) -> u64 {
    event
        .server_datetime
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        / MINUTE.as_secs()
}
