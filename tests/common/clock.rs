//! A clock for tests that must stay inside one of the emulator's hour-long windows (included by
//! path in the test binaries that use it).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dfinery_emulator::ManualClock;

/// A clock stopped one second into the next hour: the emulator's hourly windows are aligned to
/// the clock's hours, so every call a test makes falls in one window and that window's reset is
/// an hour away, whenever the test runs (on the system clock, two calls once straddled 10:00:00).
pub fn one_second_into_the_next_hour() -> ManualClock {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the system clock is after 1970")
        .as_secs();
    let next_hour = now / 3600 * 3600 + 3600;
    ManualClock::new(UNIX_EPOCH + Duration::from_secs(next_hour + 1))
}
