//! Comparison 2, the pipeline: events per second from `track()` until the emulator stored
//! them, over loopback HTTP: the Tracker (batches of up to 100 per user) in memory and with its
//! spool, against a naive client that sends one request per event. Then the same against an
//! emulator in sink mode (it counts and answers without validating or storing), with 256
//! tracking tasks on the 2-worker runtime, so the figures are the sending side's; and
//! `dfinery send` of a 200,000-line file to the sink. Peak memory and CPU of each.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dfinery::{Identifier, Identity, Tracker};

use crate::fixtures::fresh_purchase;
use crate::lab::{Lab, REGISTRY};
use crate::measure::{peak_rss, process_cpu_time, reset_peak_rss};
use crate::report::{Comparison, Figure, Goal, Ratio, number};

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
    /// CPU time the emulator (or sink) used during the run, when it ran in a child process.
    pub peer_cpu: Option<Duration>,
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

    /// Microseconds of the emulator's (or sink's) CPU time per event, when known.
    pub fn peer_cpu_us_per_event(&self) -> Option<f64> {
        self.peer_cpu
            .map(|cpu| cpu.as_secs_f64() * 1e6 / self.events.max(1) as f64)
    }

    /// The emulator's (or sink's) CPU time over the run's wall time: the share of one core it
    /// used, when known.
    pub fn peer_cores(&self) -> Option<f64> {
        self.peer_cpu
            .map(|cpu| cpu.as_secs_f64() / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE))
    }
}

/// The CPU time (user and system) the emulator child of `lab` used so far, from
/// `/proc/PID/stat`; `None` in process or off Linux.
fn peer_cpu(lab: &Lab) -> Option<Duration> {
    let pid = lab.child_pid()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces) end with `)`.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: `sysconf` reads a configuration value and has no other effect.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let per_second = u64::try_from(per_second).ok().filter(|&t| t > 0)?;
    Some(Duration::from_nanos(ticks * 1_000_000_000 / per_second))
}

/// The CPU time `lab`'s emulator child used since `before`.
fn peer_cpu_since(lab: &Lab, before: Option<Duration>) -> Option<Duration> {
    peer_cpu(lab)
        .zip(before)
        .map(|(now, before)| now.saturating_sub(before))
}

/// What a run started from: the time and the process's CPU time.
struct Start {
    at: Instant,
    cpu: Option<Duration>,
    /// Whether the peak RSS was reset at the start (else the peak is the process's lifetime
    /// one, which the run cannot be given).
    peak_reset: bool,
}

impl Start {
    fn now() -> Start {
        let peak_reset = reset_peak_rss();
        Start {
            cpu: process_cpu_time(),
            at: Instant::now(),
            peak_reset,
        }
    }

    /// The elapsed time, the CPU time used and the peak RSS since the start (`None` when it
    /// could not be reset at the start).
    fn end(&self) -> (Duration, Option<Duration>, Option<u64>) {
        let elapsed = self.at.elapsed();
        let cpu = process_cpu_time()
            .zip(self.cpu)
            .map(|(end, start)| end.saturating_sub(start));
        (elapsed, cpu, peak_rss().filter(|_| self.peak_reset))
    }
}

/// The identity of producer `i`.
fn user(i: usize) -> io::Result<Identity> {
    Identity::new(Identifier::ExternalId, format!("bench-user-{i}")).map_err(io::Error::other)
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
        // Requests on the wire at once: enough that the round trip, not the count, bounds
        // the sink runs (the default, 4, suits one DFINERY rate budget).
        let builder = Tracker::builder(lab.client()?).max_in_flight(MAX_IN_FLIGHT);
        let builder = match spool {
            Some(path) => builder.spool(path),
            None => builder,
        };
        builder.build().map_err(io::Error::other)?
    };
    let purchase = Arc::new(fresh_purchase());
    let peer = peer_cpu(lab);
    let start = Start::now();
    let deadline = start.at + window;
    let tracked = spawned(lab, producers, |i| {
        let (tracker, purchase) = (tracker.clone(), Arc::clone(&purchase));
        async move {
            let who = user(i)?;
            let mut tracked = 0u64;
            while Instant::now() < deadline {
                tracker
                    .track(&who, &*purchase)
                    .await
                    .map_err(io::Error::other)?;
                tracked += 1;
            }
            Ok(tracked)
        }
    })?;
    let flushed = lab
        .runtime()
        .block_on(tracker.flush())
        .map_err(io::Error::other)?;
    let end = start.end();
    let peer = peer_cpu_since(lab, peer);
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
    finish(lab, tracked, end, peer)
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
    let purchase = Arc::new(fresh_purchase());
    let peer = peer_cpu(lab);
    let start = Start::now();
    let deadline = start.at + window;
    let sent = spawned(lab, producers, |i| {
        let (client, purchase) = (client.clone(), Arc::clone(&purchase));
        async move {
            let who = user(i)?;
            let mut sent = 0u64;
            while Instant::now() < deadline {
                client
                    .send_events(&who, [&*purchase])
                    .await
                    .map_err(io::Error::other)?;
                sent += 1;
            }
            Ok(sent)
        }
    })?;
    let end = start.end();
    finish(lab, sent, end, peer_cpu_since(lab, peer))
}

/// Runs `producer(i)` for each of `producers` tasks on the runtime's workers and returns the
/// sum of their counts. Spawned, not joined in `block_on`, so every side of a comparison runs
/// on both workers (joined, the tasks would all run on the calling thread).
fn spawned<F, Fut>(lab: &Lab, producers: usize, producer: F) -> io::Result<u64>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = io::Result<u64>> + Send + 'static,
{
    let tasks: Vec<_> = (0..producers.max(1))
        .map(|i| lab.runtime().spawn(producer(i)))
        .collect();
    lab.runtime().block_on(async {
        let mut events = 0;
        for task in tasks {
            events += task.await.map_err(io::Error::other)??;
        }
        Ok(events)
    })
}

/// Checks that the emulator stored every event, then forgets them.
fn finish(
    lab: &Lab,
    events: u64,
    (elapsed, cpu, peak_rss): (Duration, Option<Duration>, Option<u64>),
    peer_cpu: Option<Duration>,
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
        peer_cpu,
    })
}

/// Removes a spool left by an earlier run: its file and its journal (`<name>-journal`), so
/// each run starts as a new deployment does, the journal at its first size.
fn remove_spool(path: &Path) -> io::Result<()> {
    let mut journal = path.as_os_str().to_owned();
    journal.push("-journal");
    for file in [path, Path::new(&journal)] {
        match std::fs::remove_file(file) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                return Err(io::Error::other(format!(
                    "cannot remove `{}`, a spool left by an earlier run: {error}",
                    file.display()
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Where the spool goes: the folder of the generated crates, on the same disk as the build.
///
/// # Errors
///
/// When the folder cannot be created: the error names it.
pub fn spool_path(dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|error| {
        io::Error::other(format!(
            "cannot create `{}`, the folder of the pipeline's spool and of the file `dfinery \
             send` sends: {error} (it goes under $CARGO_TARGET_DIR, or the workspace's \
             `target`: make that writable or point CARGO_TARGET_DIR elsewhere)",
            dir.display()
        ))
    })?;
    Ok(dir.join("pipeline-spool.redb"))
}

/// Says where the spool was and on what file system (from `/proc/self/mounts`): on a memory
/// file system (`tmpfs`, `ramfs`) its syncs cost nothing, and the spool's figures are not a
/// disk's.
pub fn spool_disk_note(spool: &Path) -> String {
    let folder = spool.parent().unwrap_or(spool);
    let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    let fs = std::fs::read_to_string("/proc/self/mounts")
        .ok()
        .and_then(|mounts| {
            mounts
                .lines()
                .filter_map(|line| {
                    let mut fields = line.split(' ');
                    let (_, at, fs) = (fields.next()?, fields.next()?, fields.next()?);
                    folder.starts_with(at).then(|| (at.len(), fs.to_owned()))
                })
                .max_by_key(|(len, _)| *len)
                .map(|(_, fs)| fs)
        });
    match fs.as_deref() {
        Some(memory @ ("tmpfs" | "ramfs")) => format!(
            "the spool was in `{}`, on {memory}, a memory file system: its syncs cost nothing, \
             so the spool's figures are not a disk's",
            folder.display()
        ),
        Some(fs) => format!(
            "the spool was in `{}`, on {fs}; every awaited `track` waited for its `fdatasync`",
            folder.display()
        ),
        None => format!(
            "the spool was in `{}` (its file system could not be read)",
            folder.display()
        ),
    }
}

/// Tracking tasks against the sink, as a busy web server has.
pub const SINK_TASKS: usize = 256;

/// Requests each Tracker of the report keeps on the wire at once.
const MAX_IN_FLIGHT: usize = 16;

/// Lines of the file `dfinery send` sends to the sink.
pub const SEND_LINES: usize = 200_000;

/// The goals of the sink runs.
const GOAL_SINK_EVENTS_PER_S: f64 = 200_000.0;
const GOAL_SDK_CPU_US: f64 = 3.0;
const GOAL_SEND_EVENTS_PER_S: f64 = 100_000.0;

/// The runs of comparison 2.
#[derive(Debug, Clone)]
pub struct PipelineRuns {
    /// The Tracker, in memory, to the emulator.
    pub tracker: Run,
    /// The Tracker with its spool, to the emulator.
    pub tracker_spool: Run,
    /// One request per event, to the emulator.
    pub naive: Run,
    /// Callers sending at once to the emulator.
    pub producers: usize,
    /// The Tracker, in memory, to the sink ([`SINK_TASKS`] tasks): of these runs, the one of
    /// median speed.
    pub sink: Run,
    /// The Tracker with its spool (awaited durability), to the sink: of these runs, the one of
    /// median speed.
    pub sink_spool: Run,
    /// Every round of the two sink runs, in the order run: (in memory, with the spool).
    pub sink_rounds: Vec<(Run, Run)>,
    /// One request per event, to the sink.
    pub sink_naive: Run,
    /// `dfinery send` to the sink, when measured: of these runs, the one of median speed.
    pub send: Option<Run>,
    /// Every round of `dfinery send`, in the order run.
    pub send_rounds: Vec<Run>,
}

impl PipelineRuns {
    /// The spool run over the in-memory run, the median of the rounds' ratios: each round runs
    /// the two back to back, so a ratio compares runs a few seconds apart, on a machine whose
    /// speed may drift between rounds.
    pub fn spool_over_memory(&self) -> f64 {
        median(self.round_ratios())
    }

    /// Each round's spool run over its in-memory run, in the order run.
    pub fn round_ratios(&self) -> Vec<f64> {
        self.sink_rounds
            .iter()
            .map(|(memory, spool)| spool.per_second() / memory.per_second())
            .collect()
    }
}

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The run of median speed among `runs` (the slower of the middle two for an even count).
fn median_run(runs: impl IntoIterator<Item = Run>) -> Option<Run> {
    let mut runs: Vec<Run> = runs.into_iter().collect();
    runs.sort_by(|a, b| a.per_second().total_cmp(&b.per_second()));
    let middle = runs.len().checked_sub(1)? / 2;
    runs.get(middle).copied()
}

/// Runs the three against the emulator `lab` (`producers` callers), `window` each; then
/// `rounds` rounds (at least one) against `sink` ([`SINK_TASKS`] callers) of the Tracker in
/// memory, the Tracker with its spool and, when `send_lines` is given, `dfinery send` of that
/// many lines, back to back; then the naive client against `sink`.
///
/// # Errors
///
/// As [`tracker`], [`naive`] and [`send`].
pub fn measure(
    lab: &Lab,
    sink: &Lab,
    spool: &Path,
    producers: usize,
    window: Duration,
    send_lines: Option<usize>,
    rounds: usize,
) -> io::Result<PipelineRuns> {
    let dir = spool.parent().unwrap_or(Path::new("."));
    let tracker_run = tracker(lab, None, producers, window)?;
    let tracker_spool = tracker(lab, Some(spool), producers, window)?;
    let naive_run = naive(lab, producers, window)?;
    let mut sink_rounds = Vec::new();
    let mut send_rounds = Vec::new();
    for _ in 0..rounds.max(1) {
        let memory = tracker(sink, None, SINK_TASKS, window)?;
        let spooled = tracker(sink, Some(spool), SINK_TASKS, window)?;
        sink_rounds.push((memory, spooled));
        if let Some(lines) = send_lines {
            send_rounds.push(send(sink, dir, lines)?);
        }
    }
    let sink_naive = naive(sink, SINK_TASKS, window)?;
    let sink_memory = median_run(sink_rounds.iter().map(|(memory, _)| *memory));
    let sink_spool = median_run(sink_rounds.iter().map(|(_, spool)| *spool));
    let (Some(sink_memory), Some(sink_spool)) = (sink_memory, sink_spool) else {
        return Err(io::Error::other("no sink round ran"));
    };
    Ok(PipelineRuns {
        tracker: tracker_run,
        tracker_spool,
        naive: naive_run,
        producers,
        sink: sink_memory,
        sink_spool,
        sink_rounds,
        sink_naive,
        send: median_run(send_rounds.iter().copied()),
        send_rounds,
    })
}

/// Writes `lines` purchases of one item each as NDJSON (1,000 users) to `dir`, then runs the release
/// `dfinery send` on them against `lab` (building the binary first when it is not next to
/// this one), and checks every event arrived.
///
/// # Errors
///
/// When the file cannot be written, the binary cannot be built or run, it fails, or the
/// emulator did not count every event.
pub fn send(lab: &Lab, dir: &Path, lines: usize) -> io::Result<Run> {
    lab.reset()?;
    std::fs::create_dir_all(dir)?;
    let file = dir.join("send.ndjson");
    let state = dir.join("send.ndjson.dfinery-send");
    let _ = std::fs::remove_dir_all(&state);
    {
        let at = dfinery::Datetime::now();
        let cannot_write = |error: io::Error| {
            io::Error::other(format!(
                "cannot write `{}`, the file `dfinery send` sends: {error}",
                file.display()
            ))
        };
        let mut out = BufWriter::new(std::fs::File::create(&file).map_err(cannot_write)?);
        for n in 0..lines {
            writeln!(
                out,
                r#"{{"identity":{{"external_id":"send-user-{}"}},"name":"df_purchase","datetime":"{at}","properties":{{"df_order_id":"o-{n}","df_payment_method":"card","df_total_purchase_amount":59000.0,"df_delivery_charge":3000.0,"df_discount":0.0}},"items":[{{"df_item_id":"i-1","df_item_name":"shoe","df_price":28000.0,"df_quantity":2,"df_discount":0.0}}]}}"#,
                n % 1000
            )
            .map_err(cannot_write)?;
        }
        out.flush().map_err(cannot_write)?;
    }
    let exe = dfinery_binary()?;
    let children_before = children_cpu();
    let peer = peer_cpu(lab);
    let start = Start::now();
    let output = send_command(&exe, &file, lab).output()?;
    let (elapsed, _, _) = start.end();
    let _ = std::fs::remove_file(&file);
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "`dfinery send` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let cpu = children_cpu()
        .zip(children_before)
        .map(|(end, start)| end.saturating_sub(start));
    let peer = peer_cpu_since(lab, peer);
    finish(lab, lines as u64, (elapsed, cpu, None), peer)
}

/// The command that runs `dfinery` (at `exe`) `send` of `file` to `lab`'s emulator, with the
/// bench registry. It gets no `DFINERY_*` variable of this process's environment (a fleet's
/// `DFINERY_REDIS_URL` would send it through Redis, which the Tracker runs do not use; a
/// `DFINERY_REGISTRY` would be overridden anyway) and no proxy, only the emulator's URL,
/// service and token.
pub fn send_command(exe: &Path, file: &Path, lab: &Lab) -> Command {
    let mut command = Command::new(exe);
    let inherited = std::env::vars_os()
        .map(|(name, _)| name)
        .filter(|name| name.to_string_lossy().starts_with("DFINERY_"));
    for name in [
        "DFINERY_REDIS_URL",
        "DFINERY_REGISTRY",
        "DFINERY_EXPORT_TOKEN",
    ]
    .map(std::ffi::OsString::from)
    .into_iter()
    .chain(inherited)
    {
        command.env_remove(name);
    }
    crate::lab::without_proxies(&mut command)
        .arg("send")
        .arg(file)
        .arg("--registry")
        .arg(REGISTRY)
        .env("DFINERY_BASE_URL", lab.base_url())
        .env("DFINERY_SERVICE_ID", dfinery_emulator::DEFAULT_SERVICE_ID)
        .env("DFINERY_IMPORT_TOKEN", lab.import_token());
    command
}

/// The CPU time (user and system) of the child processes this process waited for so far
/// (`getrusage(RUSAGE_CHILDREN)`): around one `dfinery send`, that run's.
fn children_cpu() -> Option<Duration> {
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage`; the call writes nothing else.
    let status = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let time = |t: libc::timeval| {
        Duration::new(
            u64::try_from(t.tv_sec).unwrap_or(0),
            u32::try_from(t.tv_usec).unwrap_or(0) * 1000,
        )
    };
    (status == 0).then(|| time(usage.ru_utime) + time(usage.ru_stime))
}

/// The release `dfinery` binary next to this one, built first: `dfinery send` must run the code
/// being measured, and a binary left by an earlier build would run older code (cargo does
/// nothing when it is up to date). Built with this process's environment, so with the same
/// profile settings as the report (`CARGO_PROFILE_RELEASE_*`). Built once per process: the
/// rounds of `dfinery send` after the first reuse it.
fn dfinery_binary() -> io::Result<PathBuf> {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    if let Some(path) = BUILT.get() {
        return Ok(path.clone());
    }
    let path = build_dfinery()?;
    Ok(BUILT.get_or_init(|| path).clone())
}

/// Builds the release `dfinery` binary next to this one (see [`dfinery_binary`]).
fn build_dfinery() -> io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe
        .parent()
        .ok_or_else(|| io::Error::other("the bench binary has no folder"))?
        .join("dfinery");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args([
            "build",
            "--release",
            "-p",
            "dfinery-cli",
            "--bin",
            "dfinery",
        ])
        .current_dir(crate::compile::workspace_root())
        .status();
    match status {
        Ok(status) if status.success() && path.exists() => Ok(path),
        Ok(status) if status.success() => Err(io::Error::other(format!(
            "`dfinery` was built but is not at {} (is CARGO_TARGET_DIR the one this binary \
             was built in?)",
            path.display()
        ))),
        Ok(status) => Err(io::Error::other(format!(
            "could not build `dfinery` (cargo build --release -p dfinery-cli): {status}"
        ))),
        Err(error) => Err(io::Error::other(format!(
            "could not run cargo to build `dfinery` (cargo build --release -p dfinery-cli): {error}"
        ))),
    }
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
        if let (Some(us), Some(cores)) = (run.peer_cpu_us_per_event(), run.peer_cores()) {
            figure = figure.with_extra(format!(
                "emulator {us:.1} µs CPU per event ({cores:.2} of a core)"
            ));
        }
        figure
    };
    let naive = r.naive.per_second();
    let sdk_cpu = r.sink.cpu_us_per_event().unwrap_or(f64::NAN);
    Comparison {
        title: format!(
            "2. pipeline: `track()` to the emulator over loopback ({} callers), and to a sink ({SINK_TASKS} tasks on 2 workers)",
            r.producers
        ),
        figures: vec![
            figure("emulator: Tracker, in memory", &r.tracker),
            figure(
                "emulator: Tracker, spool (track().await, synced)",
                &r.tracker_spool,
            ),
            figure(
                "emulator: naive Client::send_events, one request per event",
                &r.naive,
            ),
            figure("sink: Tracker, in memory", &r.sink),
            figure(
                "sink: Tracker, spool (track().await, synced)",
                &r.sink_spool,
            ),
            figure("sink: naive, one request per event", &r.sink_naive),
        ]
        .into_iter()
        .chain(r.send.as_ref().map(|send| {
            figure(
                &format!(
                    "sink: dfinery send, {} lines of 1-item purchases (release)",
                    send.events
                ),
                send,
            )
        }))
        .collect(),
        ratios: vec![
            Ratio::new(
                "emulator: Tracker / naive",
                r.tracker.per_second() / naive,
                Goal::None,
            ),
            Ratio::new(
                "emulator: Tracker with spool / naive",
                r.tracker_spool.per_second() / naive,
                Goal::None,
            ),
            Ratio::new(
                "sink: Tracker in memory events/s / 200,000",
                r.sink.per_second() / GOAL_SINK_EVENTS_PER_S,
                Goal::AtLeast(1.0),
            ),
            Ratio::new(
                "sink: SDK CPU µs per event / 3 µs",
                sdk_cpu / GOAL_SDK_CPU_US,
                Goal::AtMost(1.0),
            ),
            Ratio::new(
                "sink: Tracker with spool / in memory",
                r.spool_over_memory(),
                Goal::AtLeast(0.8),
            ),
            Ratio::new(
                "sink: Tracker in memory / naive",
                r.sink.per_second() / r.sink_naive.per_second(),
                Goal::None,
            ),
        ]
        .into_iter()
        .chain(r.send.as_ref().map(|send| {
            Ratio::new(
                "sink: dfinery send events/s / 100,000",
                send.per_second() / GOAL_SEND_EVENTS_PER_S,
                Goal::AtLeast(1.0),
            )
        }))
        .collect(),
        notes: vec![
            if emulator_in_child {
                "the emulators ran in child processes: the peak RSS and CPU are the sending \
                 side's (SDK, queue, runtime), not the stored events'; the peak RSS is the \
                 process's during the run, memory the allocator kept from the runs before it \
                 included"
            } else {
                "the emulator ran in this process: the peak RSS includes the events it stored"
            }
            .to_owned(),
            "against the emulator the figures are bounded by the emulator (it validates and \
             stores every event); against the sink they are the SDK's own"
                .to_owned(),
            rounds_note(r),
        ],
    }
}

/// How the sink's goal figures were taken, with every round's.
fn rounds_note(r: &PipelineRuns) -> String {
    let rounds: Vec<String> = r
        .sink_rounds
        .iter()
        .zip(r.round_ratios())
        .enumerate()
        .map(|(i, ((memory, spool), ratio))| {
            let send = r
                .send_rounds
                .get(i)
                .map(|send| format!(" / {}", number(send.per_second())))
                .unwrap_or_default();
            format!(
                "{}: {} / {}{send} ({ratio:.2})",
                i + 1,
                number(memory.per_second()),
                number(spool.per_second()),
            )
        })
        .collect();
    let (runs, columns) = if r.send_rounds.is_empty() {
        ("", "in memory / spool")
    } else {
        (" and `dfinery send`", "in memory / spool / `dfinery send`")
    };
    format!(
        "each sink figure is, of its kind, the run of median speed of {} rounds (so two rows \
         may come from different rounds), each round running the Tracker in memory, with its \
         spool{runs} back to back; spool / in memory is the median of the rounds' ratios. \
         Rounds, events/s ({columns}; spool / in memory): {}",
        r.sink_rounds.len(),
        rounds.join("; "),
    )
}

/// The figures of comparison 2 as `pipeline.*` keys of the JSON report.
pub fn keys(r: &PipelineRuns) -> Vec<(String, f64)> {
    let mut keys = vec![
        ("pipeline.emulator_events_per_s", r.tracker.per_second()),
        (
            "pipeline.emulator_spool_events_per_s",
            r.tracker_spool.per_second(),
        ),
        ("pipeline.emulator_naive_events_per_s", r.naive.per_second()),
        ("pipeline.sink_events_per_s", r.sink.per_second()),
        (
            "pipeline.sink_spool_events_per_s",
            r.sink_spool.per_second(),
        ),
        (
            "pipeline.sink_naive_events_per_s",
            r.sink_naive.per_second(),
        ),
        ("pipeline.spool_over_memory", r.spool_over_memory()),
        ("pipeline.rounds", r.sink_rounds.len() as f64),
        (
            "pipeline.tracker_over_naive",
            r.sink.per_second() / r.sink_naive.per_second(),
        ),
    ];
    let spread = |values: Vec<f64>| {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (min, max)
    };
    let (min, max) = spread(r.sink_rounds.iter().map(|(m, _)| m.per_second()).collect());
    keys.push(("pipeline.sink_events_per_s_min", min));
    keys.push(("pipeline.sink_events_per_s_max", max));
    let (min, max) = spread(r.round_ratios());
    keys.push(("pipeline.spool_over_memory_min", min));
    keys.push(("pipeline.spool_over_memory_max", max));
    if !r.send_rounds.is_empty() {
        let (min, max) = spread(r.send_rounds.iter().map(Run::per_second).collect());
        keys.push(("pipeline.send_events_per_s_min", min));
        keys.push(("pipeline.send_events_per_s_max", max));
    }
    if let Some(send) = &r.send {
        keys.push(("pipeline.send_events_per_s", send.per_second()));
        if let Some(us) = send.cpu_us_per_event() {
            keys.push(("pipeline.send_cpu_us_per_event", us));
        }
    }
    if let Some(us) = r.sink.peer_cpu_us_per_event() {
        keys.push(("pipeline.sink_side_cpu_us_per_event", us));
    }
    if let Some(us) = r.sink.cpu_us_per_event() {
        keys.push(("pipeline.sdk_cpu_us_per_event", us));
    }
    if let Some(us) = r.sink_spool.cpu_us_per_event() {
        keys.push(("pipeline.sdk_spool_cpu_us_per_event", us));
    }
    keys.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(events: u64) -> Run {
        Run {
            events,
            requests: 1,
            elapsed: Duration::from_secs(1),
            peak_rss: None,
            cpu: None,
            peer_cpu: None,
        }
    }

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(vec![0.7]), 0.7);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn the_median_run_is_the_middle_one_by_speed_and_none_without_runs() {
        assert_eq!(median_run([run(300), run(100), run(200)]), Some(run(200)));
        assert_eq!(median_run([run(300), run(100)]), Some(run(100)));
        assert_eq!(median_run([]), None);
    }

    #[test]
    fn spool_over_memory_is_the_median_of_the_rounds_ratios() {
        let runs = PipelineRuns {
            tracker: run(1),
            tracker_spool: run(1),
            naive: run(1),
            producers: 1,
            sink: run(200),
            sink_spool: run(120),
            // Ratios 0.5, 0.6 and 0.9: the median is 0.6, where the medians' ratio would be
            // 120 / 200 = 0.6 by chance only.
            sink_rounds: vec![
                (run(100), run(50)),
                (run(200), run(120)),
                (run(300), run(270)),
            ],
            sink_naive: run(1),
            send: None,
            send_rounds: Vec::new(),
        };
        assert!((runs.spool_over_memory() - 0.6).abs() < 1e-12);
        let keys = keys(&runs);
        let key = |name: &str| keys.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
        assert_eq!(key("pipeline.rounds"), Some(3.0));
        assert_eq!(key("pipeline.spool_over_memory_min"), Some(0.5));
        assert_eq!(key("pipeline.spool_over_memory_max"), Some(0.9));
        assert_eq!(key("pipeline.sink_events_per_s_max"), Some(300.0));
        assert_eq!(key("pipeline.send_events_per_s_min"), None);
        let note = rounds_note(&runs);
        assert!(note.contains("median speed of 3 rounds"), "{note}");
        assert!(
            note.contains("1: 100 / 50.0 (0.50); 2: 200 / 120 (0.60)"),
            "{note}"
        );
    }

    /// The note names the spool's file system, and says so when it is a memory one.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_spool_s_file_system_is_named_and_a_memory_one_is_called_so() {
        let here = std::env::current_dir().unwrap().join("spool.redb");
        let note = super::spool_disk_note(&here);
        assert!(note.contains(", on "), "{note}");
        let shm = std::path::Path::new("/dev/shm");
        if std::fs::read_to_string("/proc/self/mounts")
            .unwrap()
            .lines()
            .any(|line| line.split(' ').nth(1) == Some("/dev/shm") && line.contains(" tmpfs "))
        {
            let note = super::spool_disk_note(&shm.join("spool.redb"));
            assert!(note.contains("memory file system"), "{note}");
        }
    }
}
