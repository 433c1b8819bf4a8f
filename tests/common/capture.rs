//! Captured logs for the tests that read what was logged. Shared by the test binaries that
//! include it with `#[path]`.
//!
//! One global subscriber per test binary, installed on first use, routes each event to the
//! captures that asked for it: [`this_thread`] keeps the events of the calling thread (the
//! thread of a current-thread runtime, where the code under test runs), [`every_thread`]
//! keeps every event of the process. A subscriber per test (`set_default`) would be simpler,
//! but `tracing` caches whether a callsite is enabled across threads, and a test running
//! beside another could find its events dropped by a cache computed without its subscriber.

use std::cell::RefCell;
use std::io;
use std::sync::{Arc, Mutex, Once, OnceLock, PoisonError};

use tracing::{Level, Metadata};
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// Collects everything written to it.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

thread_local! {
    /// The capture of this thread's events and the most verbose level it keeps.
    static THIS_THREAD: RefCell<Option<(Capture, Level)>> = const { RefCell::new(None) };
}

/// The capture of every thread's events, once a test asked for it.
static EVERY_THREAD: OnceLock<Capture> = OnceLock::new();

/// Where an event goes: the captures of [`THIS_THREAD`] and [`EVERY_THREAD`] that keep it.
fn targets(meta: &Metadata<'_>) -> Vec<Capture> {
    let mut targets: Vec<Capture> = EVERY_THREAD.get().cloned().into_iter().collect();
    // `try_with`: an event logged while the thread's locals are being destroyed goes nowhere.
    let _ = THIS_THREAD.try_with(|slot| {
        if let Some((capture, max)) = slot.borrow().as_ref()
            && meta.level() <= max
        {
            targets.push(capture.clone());
        }
    });
    targets
}

/// The global subscriber's writer: each event to its [`targets`].
struct Router;

/// One event's writer, copying to each of its targets.
struct Tee(Vec<Capture>);

impl io::Write for Tee {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for capture in &mut self.0 {
            capture.write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Router {
    type Writer = Tee;

    fn make_writer(&'a self) -> Tee {
        Tee(Vec::new())
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Tee {
        Tee(targets(meta))
    }
}

/// Installs the global subscriber, once per process. Its filter asks for each event whether a
/// capture wants it (a dynamic filter: `filter_fn` would cache its first answer per callsite),
/// so no callsite's interest is cached as "never".
fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(Router)
            .with_filter(dynamic_filter_fn(|meta, _| !targets(meta).is_empty()));
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
            .expect("the only global subscriber of this test binary");
        // A callsite reached before the subscriber was set keeps the interest computed
        // without it: computed again now, with it.
        tracing::callsite::rebuild_interest_cache();
    });
}

#[allow(
    dead_code,
    reason = "not every test binary including this file reads one thread's logs"
)]
/// Keeps this thread's events up to `max` (`Level::INFO` keeps INFO, WARN and ERROR) until
/// the returned guard is dropped.
pub fn this_thread(max: Level) -> ThreadCapture {
    install();
    let capture = Capture::default();
    THIS_THREAD.with(|slot| *slot.borrow_mut() = Some((capture.clone(), max)));
    ThreadCapture(capture)
}

/// The capture of this thread's events; they stop being kept when it is dropped.
pub struct ThreadCapture(Capture);

impl ThreadCapture {
    /// Everything logged on this thread since the capture began, as text.
    pub fn text(&self) -> String {
        self.0.text()
    }
}

impl Drop for ThreadCapture {
    fn drop(&mut self) {
        let _ = THIS_THREAD.try_with(|slot| slot.borrow_mut().take());
    }
}

#[allow(
    dead_code,
    reason = "not every test binary including this file reads other threads' logs"
)]
/// Keeps every event of every thread at every level from now on, for the tests that read what
/// other threads (a multi-thread runtime's workers, the spool's writer) log.
pub fn every_thread() -> &'static Capture {
    let capture = EVERY_THREAD.get_or_init(Capture::default);
    install();
    capture
}
