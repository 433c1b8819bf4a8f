//! A small driver of the Tracker's hot path for profilers: `TASKS` tasks on a 2-worker
//! runtime each call `track(...).await` `EVENTS` times with a typed purchase (five items),
//! then the Tracker flushes, against the emulator in sink mode in a child process (so a
//! profiler of this process sees the sending side only). A fixed count, not a time window,
//! so instruction counts compare across builds.
//!
//! ```text
//! cargo build --release -p dfinery-bench --bins --examples
//! valgrind --tool=callgrind target/release/examples/hotpath [TASKS] [EVENTS] [MAX_IN_FLIGHT] [SPOOL]
//! ```
//!
//! With a `SPOOL` path (a redb file, removed first with its journal `SPOOL-journal`), every awaited `track` returns once its
//! event is synced there, as in the report's spool run. With `HOTPATH_WINDOW_MS` set, each
//! task tracks for that long instead of `EVENTS` times, as the report's pipeline does (tasks
//! that keep tracking past the queue's cap, which a fixed count below it never reaches).
//! With `HOTPATH_TRACKERS=N`, the tasks are dealt among N trackers, each with its own spool
//! (`SPOOL` with the extension `0`, `1`, ...): N commits in flight at once instead of one, to
//! see whether the disk takes syncs of several files better than one (on the 2-core host of
//! BENCHMARKS.md it does not).
//! With `HOTPATH_MANY=N`, each task tracks `N` events per awaited `track_many` call (one
//! commit each with a spool) instead of one per `track`: the bulk form's cost.
//! With `HOTPATH_PARK` set (and no `SPOOL`), each in-memory `track` is followed by a park
//! that does no work, to measure what parking a task once per event costs by itself, the floor
//! of any awaited durable call: `yield` (the task yields and is polled again), `task` (it
//! awaits an answer that one answering task on the runtime sends to every caller waiting), or
//! `thread` (the same answer from an OS thread, as the spool's writer thread hands it).
//! With `HOTPATH_QUEUE_CAP` set (a message count above `TASKS` × `EVENTS`), no call waits
//! for room: the cost without backpressure, with every request full (so the request count,
//! and with it the instruction count, is the same on every run).
//!
//! It prints the events sent, the wall time, the process's CPU time per event and the
//! process's allocations per event (every thread's: the tracking tasks, the worker, reqwest
//! and hyper), then that CPU time split into user and system time, with the minor page faults
//! and context switches per request (the kernel's share, which an instruction count under
//! callgrind does not see), and the CPU time per event of each kind of thread (Tokio's
//! workers, the spool's writer), which compares the writer's share across builds even where
//! the host's speed drifts between runs.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use dfinery::Tracker;
use dfinery::{Identifier, Identity};
use dfinery_bench::alloc::allocated;
use dfinery_bench::fixtures::fresh_purchase;
use dfinery_bench::lab::Lab;
use dfinery_bench::measure::{process_cpu_time, process_usage, thread_cpu_times};

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let mut next = |default: usize| args.next().transpose().map(|a| a.unwrap_or(default));
    let tasks = next(256).map_err(io::Error::other)?;
    let events = next(200).map_err(io::Error::other)?;
    let in_flight = next(0).map_err(io::Error::other)?;
    let spool = std::env::args().nth(4).map(PathBuf::from);
    let count: usize =
        match std::env::var("HOTPATH_TRACKERS") {
            Ok(n) => n.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                io::Error::other("HOTPATH_TRACKERS: a number of trackers, 1 or more")
            })?,
            Err(_) => 1,
        };
    // One spool file per tracker: `SPOOL` itself for one.
    let spools: Vec<Option<PathBuf>> = (0..count)
        .map(|n| match &spool {
            Some(path) if count > 1 => Some(path.with_extension(n.to_string())),
            other => other.clone(),
        })
        .collect();
    for path in spools.iter().flatten() {
        for file in [path.clone(), journal_of(path)] {
            match std::fs::remove_file(file) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
        }
    }
    // The report's binary serves the sink; it sits next to this example's directory.
    let exe: PathBuf = std::env::current_exe()?
        .parent()
        .and_then(|examples| examples.parent())
        .map(|dir| dir.join("dfinery-bench"))
        .ok_or_else(|| io::Error::other("no target directory"))?;
    let lab = Lab::child_sink(&exe)?;
    let build = |spool: &Option<PathBuf>| -> io::Result<Tracker> {
        let _entered = lab.runtime().enter();
        let builder = Tracker::builder(lab.client()?);
        let builder = if in_flight > 0 {
            builder.max_in_flight(in_flight)
        } else {
            builder
        };
        // `HOTPATH_QUEUE_CAP`: a queue cap (in messages; 1 GiB of bytes) above the events
        // tracked, so that no call waits for room: the per-event cost without backpressure,
        // and a fixed request count (every request full), so builds compare exactly.
        let builder = match std::env::var("HOTPATH_QUEUE_CAP")
            .ok()
            .and_then(|cap| cap.parse().ok())
        {
            Some(cap) => builder.queue_cap(cap, 1 << 30),
            None => builder,
        };
        let builder = match spool {
            Some(path) => builder.spool(path),
            None => builder,
        };
        builder.build().map_err(io::Error::other)
    };
    let trackers = spools.iter().map(build).collect::<io::Result<Vec<_>>>()?;
    let purchase = Arc::new(fresh_purchase());
    let cpu = process_cpu_time();
    let usage = process_usage();
    let threads = thread_cpu_times();
    let allocs = allocated();
    let start = Instant::now();
    // `HOTPATH_WINDOW_MS`: track for that long instead of `EVENTS` calls, as the report does.
    let deadline = std::env::var("HOTPATH_WINDOW_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(|ms| start + std::time::Duration::from_millis(ms));
    let many: usize = std::env::var("HOTPATH_MANY")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let park = Park::from_env(&lab)?;
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            let (tracker, purchase) = (trackers[i % count].clone(), Arc::clone(&purchase));
            let park = park.clone();
            lab.runtime().spawn(async move {
                let who = Identity::new(Identifier::ExternalId, format!("hotpath-{i}"))
                    .map_err(io::Error::other)?;
                let mut tracked = 0;
                loop {
                    let done = match deadline {
                        Some(deadline) => Instant::now() >= deadline,
                        None => tracked >= events,
                    };
                    if done {
                        break;
                    }
                    if many > 1 {
                        // `HOTPATH_MANY`: that many events per awaited `track_many` call.
                        tracker
                            .track_many((0..many).map(|_| (who.clone(), &*purchase)))
                            .await
                            .map_err(io::Error::other)?;
                        tracked += many;
                        continue;
                    }
                    tracker
                        .track(&who, &*purchase)
                        .await
                        .map_err(io::Error::other)?;
                    park.park().await;
                    tracked += 1;
                }
                Ok::<usize, io::Error>(tracked)
            })
        })
        .collect();
    let mut sent = 0;
    lab.runtime().block_on(async {
        for handle in handles {
            sent += handle.await.map_err(io::Error::other)??;
        }
        for tracker in &trackers {
            tracker.flush().await.map_err(io::Error::other)?;
        }
        Ok::<(), io::Error>(())
    })?;
    let elapsed = start.elapsed();
    let allocs = allocated() - allocs;
    let cpu = process_cpu_time()
        .zip(cpu)
        .map_or(0.0, |(end, start)| end.saturating_sub(start).as_secs_f64());
    let usage = process_usage()
        .zip(usage)
        .map(|(end, start)| end - start)
        .unwrap_or_default();
    let per_event = sent.max(1) as f64;
    let threads: Vec<String> = thread_cpu_times()
        .into_iter()
        .map(|(name, end)| {
            let start = threads
                .iter()
                .find(|(of, _)| *of == name)
                .map_or(std::time::Duration::ZERO, |(_, t)| *t);
            let spent = end.saturating_sub(start).as_secs_f64();
            format!("{name} {:.2} µs", spent * 1e6 / per_event)
        })
        .collect();
    let counts = lab.counts()?;
    println!(
        "{} events ({} counted by the sink, in {} requests) in {:.3} s: {:.0} events/s, {:.2} µs CPU per event, {:.1} allocations ({:.0} bytes) per event",
        sent,
        counts.stored,
        counts.requests,
        elapsed.as_secs_f64(),
        per_event / elapsed.as_secs_f64(),
        cpu * 1e6 / per_event,
        allocs.allocations as f64 / per_event,
        allocs.bytes as f64 / per_event
    );
    // Where the CPU time goes besides user-mode instructions: the kernel's share, and the
    // page faults and context switches per request that make most of it.
    let per_request = counts.requests.max(1) as f64;
    println!(
        "user {:.2} µs + system {:.2} µs per event; per request: {:.2} minor page faults, {:.2} voluntary and {:.2} involuntary context switches",
        usage.user.as_secs_f64() * 1e6 / per_event,
        usage.system.as_secs_f64() * 1e6 / per_event,
        usage.minor_faults as f64 / per_request,
        usage.voluntary_switches as f64 / per_request,
        usage.involuntary_switches as f64 / per_request
    );
    println!("CPU per event by thread: {}", threads.join(", "));
    for tracker in trackers {
        let _ = lab.runtime().block_on(tracker.shutdown());
    }
    for path in spools.iter().flatten() {
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(journal_of(path));
    }
    Ok(())
}

/// `HOTPATH_PARK`: what each task does after each `track`, to measure a park's own cost.
#[derive(Clone)]
enum Park {
    /// Nothing: the report's in-memory run.
    None,
    /// `tokio::task::yield_now`.
    Yield,
    /// An answer through a oneshot channel, sent by whoever drains `asks`: an answering task
    /// on the runtime, or an OS thread.
    Answer(tokio::sync::mpsc::UnboundedSender<tokio::sync::oneshot::Sender<()>>),
}

impl Park {
    fn from_env(lab: &Lab) -> io::Result<Self> {
        let kind = std::env::var("HOTPATH_PARK").unwrap_or_default();
        let answerer = || {
            let (asks, rx) = tokio::sync::mpsc::unbounded_channel();
            (Self::Answer(asks), rx)
        };
        Ok(match kind.as_str() {
            "" => Self::None,
            "yield" => Self::Yield,
            "task" => {
                let (park, mut rx) = answerer();
                lab.runtime().spawn(async move {
                    let mut batch = Vec::with_capacity(1024);
                    while rx.recv_many(&mut batch, 1024).await > 0 {
                        for ask in batch.drain(..) {
                            let _ = ask.send(());
                        }
                    }
                });
                park
            }
            "thread" => {
                let (park, mut rx) = answerer();
                std::thread::spawn(move || {
                    let mut batch = Vec::with_capacity(1024);
                    while let Some(ask) = rx.blocking_recv() {
                        batch.push(ask);
                        while let Ok(ask) = rx.try_recv() {
                            batch.push(ask);
                        }
                        for ask in batch.drain(..) {
                            let _ = ask.send(());
                        }
                    }
                });
                park
            }
            other => {
                return Err(io::Error::other(format!(
                    "HOTPATH_PARK: `yield`, `task` or `thread`, not `{other}`"
                )));
            }
        })
    }

    async fn park(&self) {
        match self {
            Self::None => {}
            Self::Yield => tokio::task::yield_now().await,
            Self::Answer(asks) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                if asks.send(tx).is_ok() {
                    let _ = rx.await;
                }
            }
        }
    }
}

/// The journal beside the spool file at `path`: `<name>-journal`.
fn journal_of(path: &std::path::Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-journal");
    PathBuf::from(name)
}
