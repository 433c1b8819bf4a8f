//! Comparison 2, the pipeline: events per second from `track()` until the emulator stored
//! them, over loopback HTTP: the Tracker (batches of up to 100 per user) in memory and with its
//! spool, against a naive client that sends one request per event. Peak memory of each.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dfinery::{Identity, Tracker};
use futures_util::future::try_join_all;

use crate::emulator::DFINERY_EVENT_REQUESTS_PER_SECOND;
use crate::fixtures::fresh_purchase;
use crate::lab::Lab;
use crate::measure::{peak_rss, process_cpu_time, reset_peak_rss};
use crate::report::{Comparison, Figure, Goal, Ratio};

/// One run: how many events got from the caller to the emulator, in how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    /// Events the callers handed over, all of them stored by the emulator.
    pub events: u64,
    /// Requests the emulator received.
    pub requests: u64,
    /// From the first call until the emulator stored the last event.
    pub elapsed: Duration,
    /// The process's peak resident set size during the run, in bytes, when known.
    pub peak_rss: Option<u64>,
    /// CPU time this process (the sending side) used during the run, when known.
    pub cpu: Option<Duration>,
}

impl Run {
    /// Events per second, end to end.
    pub fn per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// Microseconds of the sending process's CPU time per event, when known.
    pub fn cpu_us_per_event(&self) -> Option<f64> {
        self.cpu
            .map(|cpu| cpu.as_secs_f64() * 1e6 / self.events.max(1) as f64)
    }
}

/// What a run started from: the time and the process's CPU time.
struct Start {
    at: Instant,
    cpu: Option<Duration>,
}

impl Start {
    fn now() -> Start {
        reset_peak_rss();
        Start {
            cpu: process_cpu_time(),
            at: Instant::now(),
        }
    }

    /// The elapsed time, the CPU time used and the peak RSS since the start.
    fn end(&self) -> (Duration, Option<Duration>, Option<u64>) {
        let elapsed = self.at.elapsed();
        let cpu = process_cpu_time()
            .zip(self.cpu)
            .map(|(end, start)| end.saturating_sub(start));
        (elapsed, cpu, peak_rss())
    }
}

/// The identity of producer `i`.
fn user(i: usize) -> io::Result<Identity> {
    Identity::from_external_id(format!("bench-user-{i}")).map_err(io::Error::other)
}

/// `producers` tasks on the lab's runtime call `track(...).await` with a typed purchase (five
/// items, a fresh `event_log_id` each) for `window`, each as its own user; then the Tracker
/// flushes. With `spool`, every event is synced to a redb file there before the call returns.
///
/// # Errors
///
/// When the tracker cannot be built, a call fails, or the emulator did not store every event.
pub fn tracker(
    lab: &Lab,
    spool: Option<&Path>,
    producers: usize,
    window: Duration,
) -> io::Result<Run> {
    lab.reset()?;
    if let Some(path) = spool {
        remove_spool(path)?;
    }
    let tracker = {
        let _entered = lab.runtime().enter();
        let builder = Tracker::builder(lab.client()?);
        let builder = match spool {
            Some(path) => builder.spool(path),
            None => builder,
        };
        builder.build().map_err(io::Error::other)?
    };
    let purchase = fresh_purchase();
    let start = Start::now();
    let deadline = start.at + window;
    let producer = |i: usize| {
        let (tracker, purchase) = (&tracker, &purchase);
        async move {
            let who = user(i)?;
            let mut tracked = 0u64;
            while Instant::now() < deadline {
                tracker
                    .track(&who, purchase)
                    .await
                    .map_err(io::Error::other)?;
                tracked += 1;
            }
            Ok::<u64, io::Error>(tracked)
        }
    };
    let tracked: u64 = lab
        .runtime()
        .block_on(try_join_all((0..producers.max(1)).map(producer)))?
        .iter()
        .sum();
    let flushed = lab
        .runtime()
        .block_on(tracker.flush())
        .map_err(io::Error::other)?;
    let end = start.end();
    let _ = lab.runtime().block_on(tracker.shutdown());
    drop(tracker);
    if let Some(path) = spool {
        remove_spool(path)?;
    }
    if !flushed.is_complete() {
        return Err(io::Error::other(format!(
            "the flush was incomplete: {flushed:?}"
        )));
    }
    finish(lab, tracked, end)
}

/// `producers` tasks each send one request per event (`Client::send_events` with one typed
/// purchase, awaited before the next) for `window`.
///
/// # Errors
///
/// When a send fails or the emulator did not store every event.
pub fn naive(lab: &Lab, producers: usize, window: Duration) -> io::Result<Run> {
    lab.reset()?;
    let client = lab.client()?;
    let purchase = fresh_purchase();
    let start = Start::now();
    let deadline = start.at + window;
    let producer = |i: usize| {
        let (client, purchase) = (&client, &purchase);
        async move {
            let who = user(i)?;
            let mut sent = 0u64;
            while Instant::now() < deadline {
                client
                    .send_events(&who, [purchase])
                    .await
                    .map_err(io::Error::other)?;
                sent += 1;
            }
            Ok::<u64, io::Error>(sent)
        }
    };
    let sent: u64 = lab
        .runtime()
        .block_on(try_join_all((0..producers.max(1)).map(producer)))?
        .iter()
        .sum();
    finish(lab, sent, start.end())
}

/// Checks that the emulator stored every event, then forgets them.
fn finish(
    lab: &Lab,
    events: u64,
    (elapsed, cpu, peak_rss): (Duration, Option<Duration>, Option<u64>),
) -> io::Result<Run> {
    let counts = lab.counts()?;
    lab.reset()?;
    if counts.stored != events {
        return Err(io::Error::other(format!(
            "the emulator stored {} of the {events} events sent",
            counts.stored
        )));
    }
    Ok(Run {
        events,
        requests: counts.requests,
        elapsed,
        peak_rss,
        cpu,
    })
}

/// Removes a spool file left by an earlier run.
fn remove_spool(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// Where the spool goes: the folder of the generated crates, on the same disk as the build.
pub fn spool_path(dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    Ok(dir.join("pipeline-spool.redb"))
}

/// The three runs of comparison 2.
#[derive(Debug, Clone, Copy)]
pub struct PipelineRuns {
    /// The Tracker, in memory.
    pub tracker: Run,
    /// The Tracker with its spool.
    pub tracker_spool: Run,
    /// One request per event.
    pub naive: Run,
    /// Callers (threads or tasks) sending at once.
    pub producers: usize,
}

/// Runs the three, `window` each.
///
/// # Errors
///
/// As [`tracker`] and [`naive`].
pub fn measure(
    lab: &Lab,
    spool: &Path,
    producers: usize,
    window: Duration,
) -> io::Result<PipelineRuns> {
    Ok(PipelineRuns {
        tracker: tracker(lab, None, producers, window)?,
        tracker_spool: tracker(lab, Some(spool), producers, window)?,
        naive: naive(lab, producers, window)?,
        producers,
    })
}

/// The report's rows for comparison 2; `emulator_in_child` says whether the emulator ran in
/// another process (so the peak RSS is the sending side's alone).
pub fn comparison(r: &PipelineRuns, emulator_in_child: bool) -> Comparison {
    let figure = |label: &str, run: &Run| {
        let mut figure = Figure::new(label, run.per_second(), "events/s").with_extra(format!(
            "{} events in {} requests",
            run.events, run.requests
        ));
        if let Some(bytes) = run.peak_rss {
            figure = figure.with_extra(format!("peak RSS {:.0} MiB", bytes as f64 / 1048576.0));
        }
        if let Some(us) = run.cpu_us_per_event() {
            figure = figure.with_extra(format!("{us:.1} µs CPU per event, sending side"));
        }
        figure
    };
    let naive = r.naive.per_second();
    Comparison {
        title: format!(
            "2. pipeline: `track()` to stored in the emulator over loopback, {} callers",
            r.producers
        ),
        figures: vec![
            figure("Tracker, batches of 100, in memory", &r.tracker),
            figure(
                "Tracker, batches of 100, spool (synced per call)",
                &r.tracker_spool,
            ),
            figure(
                "naive: Client::send_events, one request per event",
                &r.naive,
            ),
        ],
        ratios: vec![
            Ratio::new(
                "Tracker / naive",
                r.tracker.per_second() / naive,
                Goal::None,
            ),
            Ratio::new(
                "Tracker with spool / naive",
                r.tracker_spool.per_second() / naive,
                Goal::None,
            ),
            Ratio::new(
                "Tracker events/s / DFINERY's limit if it counted events (16,667/s)",
                r.tracker.per_second() / DFINERY_EVENT_REQUESTS_PER_SECOND,
                Goal::AtLeast(1.0),
            ),
        ],
        notes: vec![
            if emulator_in_child {
                "the emulator ran in a child process: the peak RSS is the sending side's (SDK, \
             queue, runtime), not the stored events'"
            } else {
                "the emulator ran in this process: the peak RSS includes the events it stored"
            }
            .to_owned(),
        ],
    }
}
