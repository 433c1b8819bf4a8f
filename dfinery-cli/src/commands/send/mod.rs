//! `dfinery send FILE`: every line checked against the registry first (nothing is sent if one
//! is invalid, unless `--skip-invalid`), then every event handed to the Tracker with a spool in
//! `FILE.dfinery-send/`, with a progress bar and a summary. A reading thread checks the lines
//! and hands them over in chunks; each chunk goes to the Tracker in one call
//! ([`Tracker::send_many`]), which spools it in one commit. An interrupted send continues with
//! `--resume`; each line's `event_log_id` is derived from its number and text, so a line sent
//! twice is stored once.

mod event;
mod fleet;
mod input;
mod report;
mod state;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dfinery_core::Message;
use dfinery_core::ratelimit::RateBudget;
use dfinery_core::wire::TokenKind;
use dfinery_core::{Identity, ShutdownReport, Tracker, UnreadableKind};
use dfinery_schema::Registry;
use uuid::Uuid;

use crate::cli::{InputFormat, SendArgs};
use crate::exit::{CliError, Exit};
use crate::stop::StopSignals;
use crate::{client, progress, registry};
pub use fleet::Partition;
use report::{Failed, Invalid, REPEATED_SHOWN, Repeated, Summary};
use state::{IdsMark, Progress, StateDir};

/// Events handed to the Tracker in one call (one spool commit).
const CHUNK: usize = 1_000;
/// Chunks read ahead of the one being committed.
const READ_AHEAD: usize = 4;
/// Lines between two writes of `progress.json` (at least).
const CHECKPOINT_EVERY: u64 = 2_000;

/// Runs `dfinery send`.
///
/// # Errors
///
/// A configuration error for a bad registry, file, state or setting; a network error when the
/// events cannot be delivered.
pub async fn run(args: SendArgs, json: bool) -> Result<Exit, CliError> {
    let started = Instant::now();
    input::check_path(&args.file)?;
    let registry_path = registry::given_or_found(args.registry.as_deref());
    let registry = Arc::new(registry::load(&registry_path)?);
    let format = input::resolve(args.format, &args.file);
    let (len, modified_ns) = state::fingerprint(&args.file)?;
    let state = match args.partition {
        Some(p) => StateDir::at(
            &args.file,
            p.state_dir(&args.file, args.state_dir.as_deref()),
            args.state_dir.is_some(),
        ),
        None => StateDir::new(&args.file, args.state_dir.as_deref()),
    };
    let partition = args.partition;
    // Held to the end of the run: a second send on the same folder is refused here, before it
    // reads or writes any of its files (`--check-only` touches none).
    let lock = if args.check_only {
        None
    } else {
        Some(state.lock()?)
    };
    let (resume_after, resumed) = if args.check_only {
        (0, None)
    } else {
        resume_point(&args, &state, len, modified_ns)?
    };

    let checked = {
        let registry = Arc::clone(&registry);
        let file = args.file.clone();
        tokio::task::spawn_blocking(move || {
            check_file(&file, len, format, &registry, resume_after, partition)
        })
        .await
        .map_err(|e| CliError::config(format!("the check stopped: {e}")))??
    };
    let mut summary = Summary {
        file: args.file.clone(),
        events: checked.events,
        invalid: checked.invalid,
        other_partitions: checked.other_partitions,
        resumed_after_line: resume_after,
        ..Summary::default()
    };
    // `--skip-invalid` with no valid line would send nothing and say "sent 0" with exit 0.
    let all_invalid = summary.events > 0 && summary.invalid.len() as u64 == summary.events;
    if args.check_only || (!summary.invalid.is_empty() && (!args.skip_invalid || all_invalid)) {
        summary.sent_nothing = true;
        summary.elapsed = started.elapsed();
        summary.print(json, args.check_only);
        return Ok(if summary.invalid.is_empty() {
            Exit::Ok
        } else {
            Exit::Failures
        });
    }

    // Listened for from here on, before the send writes its progress or draws its bar: Ctrl-C
    // and SIGTERM both stop it cleanly, and a second one quits at once (see `StopSignals`).
    // During the check nothing is sent yet, and either ends the process at once.
    let mut signals = StopSignals::listen();
    // The shared budget, kept to say at the end whether it was shared all along.
    let mut shared = None;
    let client = client::build_with(
        &args.client,
        registry
            .service_id
            .as_deref()
            .map(|id| (id, registry_path.as_path())),
        TokenKind::Import,
        Duration::from_secs(args.request_timeout),
        |service_id| {
            shared = fleet::budget(&args, service_id)?;
            Ok(shared.clone().map(|budget| budget as Arc<dyn RateBudget>))
        },
    )?;
    let ids = ids_mark(&state, resumed.as_ref(), resume_after)?;
    summary.repeated_unknown_through_line = ids.after_line;
    state.write(&Progress {
        len,
        modified_ns,
        queued_through_line: resume_after,
        file: recorded(&args.file),
        ids: Some(ids),
    })?;
    // Named when DFINERY refuses the id or the token: where each came from is where to fix it.
    let service_id_source = client.service_id_source().clone();
    let token_source = client.token_source(TokenKind::Import).map_or_else(
        || "`DFINERY_IMPORT_TOKEN` (or `--import-token`)".to_owned(),
        |source| source.name(TokenKind::Import),
    );
    let tracker = Tracker::builder(client)
        .spool(state.spool())
        .queue_cap(50_000, 256 << 20)
        .flush_interval(Duration::from_secs(2))
        .max_in_flight(8)
        .shutdown_timeout(Duration::from_secs(args.timeout))
        .build()
        .map_err(|err| tracker_error(&err, &args.file, &send_command(&args, "--resume")))?;
    let recovered = tracker.spool().map_or(0, |s| s.pending_len());
    let bar = progress::events(checked.to_send + recovered);
    let ticker = {
        let tracker = tracker.clone();
        let bar = bar.clone();
        tokio::spawn(async move {
            loop {
                let m = tracker.metrics();
                bar.set_position(m.delivered + m.dead_lettered);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    // The stop, for the reading thread (`stop`) and for the tasks that wait (`stopped`).
    let stop = Arc::new(AtomicBool::new(false));
    let (stop_tx, stopped) = tokio::sync::watch::channel(false);
    let watcher = {
        let (stop, bar) = (Arc::clone(&stop), bar.clone());
        let resume = send_command(&args, "--resume");
        tokio::spawn(async move {
            signals.recv().await;
            stop.store(true, Ordering::SeqCst);
            let _ = stop_tx.send(true);
            // Not `eprintln!`, which panics when stderr is closed (a Ctrl-C also ends a `| tee`
            // reading it), and would end this task before the second signal.
            bar.suspend(|| {
                crate::error_line(
                    "stopping: what is not delivered within 2 s stays in the spool for `--resume`; Ctrl-C or SIGTERM again quits at once",
                );
            });
            signals.recv().await;
            // As a kill would: the spool and the last checkpoint hold everything handed over.
            bar.suspend(|| {
                crate::error_line(&format!("quit at once; run `{resume}` to continue"));
            });
            std::process::exit(Exit::Failures as i32);
        })
    };

    let queued = queue(
        QueueJob {
            file: args.file.clone(),
            len,
            format,
            registry: Arc::clone(&registry),
            resume_after,
            stop: Arc::clone(&stop),
            partition,
            skip_invalid: args.skip_invalid,
            restart: send_command(&args, "--restart"),
        },
        &tracker,
        Duration::from_secs(args.timeout),
        stopped.clone(),
        state.clone(),
        Progress {
            len,
            modified_ns,
            queued_through_line: resume_after,
            file: recorded(&args.file),
            ids: Some(ids),
        },
    )
    .await;
    let stalled = queued.as_ref().is_ok_and(|queued| queued.stalled);
    let (shutdown, interrupted) = if stop.load(Ordering::SeqCst) {
        (
            tracker.shutdown_within(Duration::from_secs(2)).await.ok(),
            true,
        )
    } else if stalled {
        // As on a stop: what is queued gets 2 s more, then stays in the spool.
        (
            tracker.shutdown_within(Duration::from_secs(2)).await.ok(),
            false,
        )
    } else {
        drain(&tracker, stopped).await
    };
    watcher.abort();
    ticker.abort();
    let _ = ticker.await; // it holds a handle of the tracker
    let metrics = shutdown
        .as_ref()
        .map_or_else(|| tracker.metrics(), |r| r.metrics);
    bar.set_position(metrics.delivered + metrics.dead_lettered);
    bar.finish_and_clear();
    let queued = queued?;
    let last_error = shutdown
        .and_then(|r| r.last_error)
        .map(|e| client::in_cli_words(&e).into_owned());
    if let Some(budget) = &shared {
        fleet::warn_if_unshared(budget);
    }

    let set_aside;
    (summary.failed, set_aside) = failed(&tracker, &queued.lines);
    // The lines before the resume point that give an id, then this run's.
    let mut by_id = earlier_ids(&state, ids.entries).await.unwrap_or_else(|| {
        summary.repeated_unknown_through_line = resume_after;
        Vec::new()
    });
    by_id.extend(queued.lines);
    (summary.repeated, summary.repeated_count) = repeated(by_id);
    summary.sent = metrics.delivered;
    summary.left_in_spool = tracker.spool().map_or(metrics.left_in_spool, |s| {
        s.pending_len().max(metrics.left_in_spool)
    });
    summary.interrupted = interrupted;
    summary.elapsed = started.elapsed();
    summary.state = Some(state.path().to_owned());
    // Entries set aside as unreadable keep the folder, which holds their bytes; a send that
    // stopped waiting for room has lines it never read.
    let complete = !interrupted && !stalled && summary.left_in_spool == 0 && set_aside == 0;
    drop(tracker);
    if complete {
        state.closed().await;
        // Through the lock, which then leaves the folder alone when it is dropped: by then
        // another send may have made it again and hold it.
        match lock {
            Some(lock) => lock.remove()?,
            None => state.remove()?,
        }
        summary.state = None;
    }
    if state::fingerprint(&args.file).ok() != Some((len, modified_ns)) {
        tracing::warn!(
            "`{}` changed while it was sent: only what it held when the send began ({len} bytes) was read; send it again for the rest (events already stored are not stored twice)",
            args.file.display()
        );
    }
    let refused_settings = summary.failed.iter().filter(|f| f.refused_settings).count();
    // `1 event was`, `2 events were`: the events left in the spool, then those refused.
    let events_were = |n: u64| match n {
        1 => "1 event was".to_owned(),
        n => format!("{n} events were"),
    };
    let error = if interrupted {
        Some(CliError::failures(format!(
            "interrupted; run `{}` to continue",
            send_command(&args, "--resume")
        )))
    } else if stalled {
        Some(CliError::network(format!(
            "nothing was delivered for {} s (`--timeout`) while the send waited for room in its queue{}, so it stopped before the end of `{}`; the events not confirmed ({}) are kept in `{}`: run `{}` to deliver them and send the rest",
            args.timeout,
            last_error.map_or_else(String::new, |e| format!(" (last error: {e})")),
            args.file.display(),
            summary.left_in_spool,
            state.path().display(),
            send_command(&args, "--resume")
        )))
    } else if summary.left_in_spool > 0 {
        Some(CliError::network(format!(
            "{} not confirmed{}; {} kept in `{}`: run `{}` to deliver {}",
            events_were(summary.left_in_spool),
            last_error.map_or_else(String::new, |e| format!(" (last error: {e})")),
            if summary.left_in_spool == 1 {
                "it is"
            } else {
                "they are"
            },
            state.path().display(),
            send_command(&args, "--resume"),
            if summary.left_in_spool == 1 {
                "it"
            } else {
                "them"
            }
        )))
    } else if refused_settings > 0 {
        Some(CliError::config(format!(
            "DFINERY refused the token or the service id, so {} not stored; check the import token from {token_source} and the service id from {service_id_source}, then send `{}` again (events already stored are not stored twice)",
            events_were(refused_settings as u64),
            args.file.display()
        )))
    } else {
        None
    };
    // The report carries the error too, so that `--json` holds it beside the counts.
    summary.error = error.as_ref().map(|e| e.message.clone());
    summary.print(json, false);
    if let Some(error) = error {
        return Err(error);
    }
    Ok(if summary.failed.is_empty() {
        Exit::Ok
    } else {
        Exit::Failures
    })
}

/// Why the Tracker could not be built for the send of `file`, with the command's fix: a spool
/// that cannot be read is discarded with `--restart` (every line is sent again; what DFINERY
/// already stored is not stored twice).
fn tracker_error(
    error: &dfinery_core::TrackerBuildError,
    file: &std::path::Path,
    resume: &str,
) -> CliError {
    use dfinery_core::{SpoolError, TrackerBuildError};
    let restart = format!(
        "pass `--restart` to send `{}` again from the first line (events already stored are not stored twice)",
        file.display()
    );
    match error {
        TrackerBuildError::Spool(SpoolError::Open { path, source }) => CliError::config(format!(
            "cannot open the spool `{}` ({source}); it is damaged or not a spool: {restart}",
            path.display()
        )),
        TrackerBuildError::Spool(SpoolError::Format { .. }) => {
            CliError::config(format!("{error}; or {restart}"))
        }
        // A send of an earlier version (which takes no lock on the folder) that started at the
        // same moment: one already running is found before the send begins, and one of this
        // version by the folder's lock.
        TrackerBuildError::Spool(SpoolError::InUse { path }) => running(file, path, resume),
        other => CliError::config(dfinery_core::ErrorChain(other).to_string()),
    }
}

/// Another send of `file` is running: it holds the spool at `spool` open. `resume` is the
/// command that takes over once it is stopped.
fn running(file: &std::path::Path, spool: &std::path::Path, resume: &str) -> CliError {
    CliError::config(format!(
        "a send of `{}` is running: its spool `{}` is open in another process; wait for it to finish, or stop it (Ctrl-C or SIGTERM) and run `{resume}`",
        file.display(),
        spool.display(),
    ))
}

/// The command that goes on with this send, ending in `then` (`--resume`, `--restart`):
/// `dfinery send FILE` with the flags that find its state (`--state-dir`, `--partition`) and
/// those that read and check its lines as this run did (`--registry` when given as a flag,
/// `--format`, `--skip-invalid`), each path quoted for a POSIX shell when it needs to be, and
/// those given as flags that say where the events go and what budget they share
/// (`--base-url`, `--service-id`, `--rate-limit`, `--expected-instances`, and `--redis-url URL`
/// for the URL, which may hold a password, to be given again). Without the first two, the
/// command printed found no state where the send keeps it, and sent the whole file again from
/// its first line.
fn send_command(args: &SendArgs, then: &str) -> String {
    send_command_as(args, args.partition, then)
}

/// [`send_command`] with `partition` for the one given.
fn send_command_as(args: &SendArgs, partition: Option<Partition>, then: &str) -> String {
    use crate::registry::shell_quoted;
    let mut words = vec!["dfinery send".to_owned(), shell_quoted(&args.file)];
    // One `DFINERY_REGISTRY` named is read again without the flag.
    if let Some(registry) = &args.registry
        && !args.from_env.has("registry")
    {
        words.push(format!("--registry {}", shell_quoted(registry)));
    }
    if let Some(format) = clap::ValueEnum::to_possible_value(&args.format)
        .filter(|_| args.format != InputFormat::Auto)
    {
        words.push(format!("--format {}", format.get_name()));
    }
    if args.skip_invalid {
        words.push("--skip-invalid".to_owned());
    }
    if let Some(dir) = &args.state_dir {
        words.push(format!("--state-dir {}", shell_quoted(dir)));
    }
    if let Some(p) = partition {
        words.push(format!("--partition {}/{}", p.index, p.count));
    }
    // Where the events go, and the budget they share: followed without them, the command
    // would send to DFINERY's default URL (a send to a staging URL, its spooled events
    // refused there for good) or pace alone. Those set by the environment are read again; a
    // Redis URL given as a flag may hold a password, which is not printed: the command names
    // the flag for it to be given again.
    let flag = |name: &str, id: &str, value: Option<&String>| {
        value
            .filter(|_| !args.client.from_env.has(id))
            .map(|value| format!("{name} {}", shell_quoted(std::path::Path::new(value))))
    };
    words.extend(flag(
        "--base-url",
        "base_url",
        args.client.base_url.as_ref(),
    ));
    words.extend(flag(
        "--service-id",
        "service_id",
        args.client.service_id.as_ref(),
    ));
    if args.redis_url.is_some() && !args.from_env.has("redis_url") {
        words.push("--redis-url URL".to_owned());
    }
    for (api, limit) in &args.rate_limits {
        words.push(format!("--rate-limit {}={limit}", api.as_str()));
    }
    if let Some(n) = args.expected_instances {
        words.push(format!("--expected-instances {n}"));
    }
    // How long to wait, when raised or lowered: a send that needed a longer wait for a slow
    // DFINERY needs it again to go on.
    if args.timeout != crate::cli::SEND_TIMEOUT_SECS {
        words.push(format!("--timeout {}", args.timeout));
    }
    if args.request_timeout != crate::cli::REQUEST_TIMEOUT_SECS {
        words.push(format!("--request-timeout {}", args.request_timeout));
    }
    words.push(then.to_owned());
    words.join(" ")
}

/// Waits while `tracker` delivers what is queued (up to `--timeout`). A Ctrl-C or SIGTERM
/// meanwhile ends the wait 2 s later instead of when `--timeout` runs out: what is undelivered
/// then stays in the spool for `--resume`. The report, when one came; whether the signal ended the wait before
/// everything was delivered.
async fn drain(
    tracker: &Tracker,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> (Option<ShutdownReport>, bool) {
    let shutdown = tracker.shutdown();
    tokio::pin!(shutdown);
    tokio::select! {
        report = &mut shutdown => (report.ok(), false),
        Ok(_) = stopped.wait_for(|stopped| *stopped) => {
            // The same shutdown, its deadline brought forward to 2 s from now: the worker
            // stops sending then, and the report comes once the spool holds exactly what is
            // left. (Only waiting 2 s for it left the worker sending while the summary was
            // read and the process ended: deliveries confirmed meanwhile were counted twice,
            // as sent and as left, and their deletes never reached the spool, so `--resume`
            // sent them again.) Delivered within those 2 s: the send is complete after all.
            let report = match tracker.shutdown_within(Duration::from_secs(2)).await {
                Ok(report) => Ok(report),
                // Ending already, so no longer taking calls: its own report comes at once.
                Err(_) => (&mut shutdown).await,
            };
            match report {
                Ok(report) => {
                    let interrupted = report.timed_out;
                    (Some(report), interrupted)
                }
                Err(_) => (None, true),
            }
        }
    }
}

/// Where the record of ids stands when this run begins, the record cut to it: empty for a new
/// send; for a resumed one, what its last checkpoint counts. A send begun by an earlier version
/// (its progress counts no record), or whose record lost entries, records from the resume point
/// on: the ids of the lines before it are not known.
fn ids_mark(
    state: &StateDir,
    resumed: Option<&Progress>,
    resume_after: u64,
) -> Result<IdsMark, CliError> {
    let mark = resumed.and_then(|p| p.ids);
    let entries = mark.map_or(0, |m| m.entries);
    if state.cut_ids(entries)? && (mark.is_some() || resume_after == 0) {
        return Ok(mark.unwrap_or(IdsMark {
            entries: 0,
            after_line: 0,
        }));
    }
    state.cut_ids(0)?;
    if mark.is_some() {
        tracing::warn!(
            "`{}` lost part of its record of `event_log_id`s; a line repeating the id of a line up to {resume_after} is not reported",
            state.path().display()
        );
    }
    Ok(IdsMark {
        entries: 0,
        after_line: resume_after,
    })
}

/// The ids (with their lines) that the lines before the resume point give, from the record:
/// its first `entries`. `None` when it cannot be read (the report then says those ids are not
/// known).
async fn earlier_ids(state: &StateDir, entries: u64) -> Option<Vec<(Uuid, u64)>> {
    let state = state.clone();
    match tokio::task::spawn_blocking(move || state.read_ids(entries)).await {
        Ok(Ok(ids)) => Some(ids),
        Ok(Err(err)) => {
            tracing::warn!("{}", err.message);
            None
        }
        Err(err) => {
            tracing::warn!("reading the record of `event_log_id`s stopped: {err}");
            None
        }
    }
}

/// The line after which this send starts: 0, or where an interrupted one stopped; and the
/// progress of that one.
fn resume_point(
    args: &SendArgs,
    state: &StateDir,
    len: u64,
    modified_ns: u128,
) -> Result<(u64, Option<Progress>), CliError> {
    match state.held() {
        // Another program's files: never resumed, written over or deleted.
        state::Held::Foreign(file) => return Err(state.foreign(&file)),
        state::Held::Send => {}
        state::Held::Nothing => {
            if let Some(former) = former_partition_state(args)
                && !args.restart
            {
                return Err(former);
            }
            if args.resume
                && let Some(other) = split_otherwise(args, state)
            {
                return Err(other);
            }
            if args.resume {
                tracing::info!(
                    "no interrupted send of `{}` to resume; sending from the first line",
                    args.file.display()
                );
            }
            return Ok((0, None));
        }
    }
    // Checked first: `--restart` would delete a running send's spool and progress, and
    // `--resume` would fail on a spool "already open" with no word of the other send. A send of
    // this version is refused by the folder's lock before this; one of an earlier version,
    // which takes no lock, is found here.
    if state.in_use() {
        return Err(running(
            &args.file,
            &state.spool(),
            &send_command(args, "--resume"),
        ));
    }
    // A `--state-dir` given to the sends of several files: the send kept there is another
    // file's, whose undelivered events `--restart` would discard.
    if let Some(progress) = state.read().ok().flatten()
        && let Some(other) = &progress.file
    {
        match which_file(other, &args.file) {
            Recorded::This => {}
            Recorded::Other => {
                // Its command: this folder for its state (a partition's, through the folder
                // it is in).
                let quoted = crate::registry::shell_quoted;
                let command = match (args.partition, &args.state_dir) {
                    (None, _) => Some(format!(
                        "dfinery send {} --state-dir {} --resume",
                        quoted(other),
                        quoted(state.path())
                    )),
                    (Some(p), Some(dir)) => Some(format!(
                        "dfinery send {} --state-dir {} --partition {}/{} --resume",
                        quoted(other),
                        quoted(dir),
                        p.index,
                        p.count
                    )),
                    (Some(_), None) => None,
                };
                return Err(CliError::config(format!(
                    "`{}` holds the interrupted send of `{}`, not of `{}`; finish that one first{}, or give this file another `--state-dir`",
                    state.path().display(),
                    other.display(),
                    args.file.display(),
                    command.map_or_else(String::new, |c| format!(" (`{c}`)"))
                )));
            }
            // Moved, with its state (or mounted at another path): the file that is there is
            // the one recorded when it is as it was. `--restart` discards the state anyway.
            // `--restart` discards it: in the folder named after this file (its state, moved
            // with it), or when the file is the one moved. Not in a folder given with
            // `--state-dir`, where another file's undelivered events may be all that is left.
            Recorded::Gone
                if (progress.len, progress.modified_ns) == (len, modified_ns)
                    || (args.restart && args.state_dir.is_none()) => {}
            Recorded::Gone if args.restart => {
                return Err(CliError::config(format!(
                    "`{}` holds the interrupted send of `{}`, which is no longer there, and `{}` is not that file moved (its size or modification time differ); its spool may hold events of `{}` not yet delivered, so `--restart` does not discard them: give this file another `--state-dir`, or delete `{}` if those events are not wanted",
                    state.path().display(),
                    other.display(),
                    args.file.display(),
                    other.display(),
                    state.path().display()
                )));
            }
            Recorded::Gone => {
                return Err(CliError::config(format!(
                    "`{}` holds the interrupted send of `{}`, which is no longer there, and `{}` is not that file moved (its size or modification time differ); if it is, changed since, pass `--restart` to send it again from the first line (events already stored are not stored twice); else give this file another `--state-dir`",
                    state.path().display(),
                    other.display(),
                    args.file.display()
                )));
            }
        }
    }
    if args.restart {
        tracing::info!(
            "discarding the interrupted send in `{}`",
            state.path().display()
        );
        state.discard()?;
        return Ok((0, None));
    }
    if !args.resume {
        return Err(CliError::config(format!(
            "an interrupted send of `{}` is kept in `{}`; pass `--resume` to finish it, or `--restart` to send the file again from the first line (events already stored are not stored twice)",
            args.file.display(),
            state.path().display()
        )));
    }
    match state.read()? {
        Some(p) if (p.len, p.modified_ns) == (len, modified_ns) => {
            tracing::info!(
                "resuming after line {} of `{}`",
                p.queued_through_line,
                args.file.display()
            );
            Ok((p.queued_through_line, Some(p)))
        }
        Some(_) => Err(CliError::config(format!(
            "`{}` changed since the interrupted send began; pass `--restart` to send it again from the first line (events already stored are not stored twice)",
            args.file.display()
        ))),
        None => Ok((0, None)),
    }
}

/// `file` as an absolute path (not resolving links), to tell one file's send from another's.
fn absolute(file: &std::path::Path) -> PathBuf {
    std::path::absolute(file).unwrap_or_else(|_| file.to_owned())
}

/// The path a progress records for `file`: absolute, and only when it is UTF-8, which the
/// progress's JSON can hold (a path that is not, a folder named in EUC-KR say, failed every
/// send; without it, the check that a shared `--state-dir` holds this file's send is skipped,
/// as for the progress of earlier versions).
fn recorded(file: &std::path::Path) -> Option<PathBuf> {
    let path = absolute(file);
    path.to_str().is_some().then_some(path)
}

/// Which file the path a progress `recorded` names, next to `file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recorded {
    /// `file`, by whatever path it was given (`../data/e.ndjson`, `e.ndjson` from `data`, a
    /// link).
    This,
    /// Another file, which is there.
    Other,
    /// No file is there any more: `file` may be it, moved with its state.
    Gone,
}

/// Which file the path a progress `recorded` names: compared resolved, or as absolute paths
/// when either cannot be resolved.
fn which_file(recorded: &std::path::Path, file: &std::path::Path) -> Recorded {
    if recorded == absolute(file) {
        return Recorded::This;
    }
    match (std::fs::canonicalize(recorded), std::fs::canonicalize(file)) {
        (Ok(a), Ok(b)) if a == b => Recorded::This,
        _ if recorded.try_exists().is_ok_and(|there| !there) => Recorded::Gone,
        _ => Recorded::Other,
    }
}

/// The refusal of a partition's send whose state an earlier version kept where this one no
/// longer looks: beside the `--state-dir` given (`DIR.part-K-of-N`), not in it. Followed
/// as it was, the send would start again from the first line.
fn former_partition_state(args: &SendArgs) -> Option<CliError> {
    let (partition, dir) = (args.partition?, args.state_dir.as_deref()?);
    let former = partition.former_state_dir(dir);
    if !StateDir::new(&args.file, Some(&former)).exists() {
        return None;
    }
    let now = partition.state_dir(&args.file, Some(dir));
    Some(CliError::config(format!(
        "the interrupted send of partition {}/{} is kept in `{}`, where earlier versions of dfinery kept it; this version keeps it inside the `--state-dir` given: move it to `{}` (`mv {} {}`), then run `{}`, or pass `--restart` to send the partition again from the first line",
        partition.index,
        partition.count,
        former.display(),
        now.display(),
        crate::registry::shell_quoted(&former),
        crate::registry::shell_quoted(&now),
        send_command(args, "--resume")
    )))
}

/// The refusal of a `--resume` that finds no state in its own folder while the interrupted send
/// of the same file is kept split another way: with another `--partition` (`K/M`, M not this
/// send's N), or with none when this one has one, or the other way round. Followed as it was,
/// the resume sent this split from the first line, and the spools of the other left their
/// events for no command to deliver.
fn split_otherwise(args: &SendArgs, state: &StateDir) -> Option<CliError> {
    let file = &args.file;
    // The folders a send of this file keeps its state in, with the `--partition` of each.
    let (parent, prefix, plain) = match &args.state_dir {
        Some(dir) => (dir.clone(), "part-".to_owned(), dir.clone()),
        None => {
            let plain = StateDir::new(file, None).path().to_owned();
            let parent = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => PathBuf::from("."),
            };
            let mut prefix = plain.file_name().unwrap_or_default().to_owned();
            prefix.push(".part-");
            (parent, prefix.to_string_lossy().into_owned(), plain)
        }
    };
    let mut found: Vec<(Option<Partition>, PathBuf)> = vec![(None, plain)];
    for entry in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(split) = name.to_str().and_then(|n| n.strip_prefix(prefix.as_str())) else {
            continue;
        };
        let Some(p) = split
            .split_once("-of-")
            .and_then(|(k, n)| Partition::parse(&format!("{k}/{n}")).ok())
            .filter(|p| format!("{}-of-{}", p.index, p.count) == split)
        else {
            continue;
        };
        found.push((Some(p), entry.path()));
    }
    found.retain(|(partition, path)| {
        let other = StateDir::at(file, path.clone(), args.state_dir.is_some());
        // The other partitions of the same split are theirs to resume.
        partition.map(|p| p.count) != args.partition.map(|p| p.count)
            && path != state.path()
            && other.exists()
            // Of this file (a `--state-dir` may hold another file's).
            && other.read().ok().flatten().is_some_and(|progress| {
                progress
                    .file
                    .is_none_or(|recorded| which_file(&recorded, file) == Recorded::This)
            })
    });
    found.sort_by_key(|(p, _)| p.map(|p| (p.count, p.index)));
    let (first, _) = found.first()?;
    let named = |p: &Option<Partition>| {
        p.map_or_else(
            || "no `--partition`".to_owned(),
            |p| format!("`--partition {}/{}`", p.index, p.count),
        )
    };
    let folders: Vec<String> = found
        .iter()
        .map(|(p, path)| format!("`{}` ({})", path.display(), named(p)))
        .collect();
    Some(CliError::config(format!(
        "no interrupted send of `{}` with {} to resume, but the file's interrupted send is kept split another way, in {}; resume it as it was split (`{}`{}), or run without `--resume` to send {} from the first line (events already stored are not stored twice; {} kept)",
        file.display(),
        named(&args.partition),
        folders.join(", "),
        send_command_as(args, *first, "--resume"),
        if found.len() > 1 {
            ", then each other folder's partition"
        } else {
            ""
        },
        if args.partition.is_some() {
            "this partition"
        } else {
            "the whole file"
        },
        if found.len() > 1 {
            "those folders are"
        } else {
            "that folder is"
        }
    )))
}

/// What the check of the whole file found.
struct FileCheck {
    /// Events in the file.
    events: u64,
    /// Valid events after the resume point.
    to_send: u64,
    /// Valid events of the users of the other partitions (`--partition`), whatever their line.
    other_partitions: u64,
    /// The invalid lines.
    invalid: Vec<Invalid>,
}

/// Checks every line of `file` against `registry`.
fn check_file(
    file: &std::path::Path,
    len: u64,
    format: InputFormat,
    registry: &Registry,
    resume_after: u64,
    partition: Option<Partition>,
) -> Result<FileCheck, CliError> {
    let bar = progress::spinner("checking lines");
    let mut result = FileCheck {
        events: 0,
        to_send: 0,
        other_partitions: 0,
        invalid: Vec::new(),
    };
    if input::resolve(format, file) == InputFormat::Ndjson {
        check_ndjson(
            file,
            len,
            registry,
            resume_after,
            partition,
            &bar,
            &mut result,
        )?;
    } else {
        for line in input::open(file, len, format, registry)? {
            let line = line?;
            let event = (line.number, line.event.as_deref().map_err(|e| e.clone()));
            result.record(registry, event, resume_after, partition);
            if result.events.is_multiple_of(1024) {
                bar.set_position(result.events);
            }
        }
    }
    bar.finish_and_clear();
    Ok(result)
}

impl FileCheck {
    /// Counts line `number` (its event's text, or why it holds none), checked against
    /// `registry`.
    fn record(
        &mut self,
        registry: &Registry,
        (number, event): (u64, Result<&str, String>),
        resume_after: u64,
        partition: Option<Partition>,
    ) {
        self.events += 1;
        let outcome = event
            .map_err(|e| vec![e])
            .and_then(|text| event::validate(registry, text));
        match outcome {
            Ok(identity) if partition.is_some_and(|p| !p.contains(&identity)) => {
                self.other_partitions += 1;
            }
            Ok(_) if number > resume_after => self.to_send += 1,
            Ok(_) => {}
            Err(problems) => self.invalid.push(Invalid {
                line: number,
                problems,
            }),
        }
    }
}

/// Bytes of NDJSON read at a time by [`check_ndjson`] and checked by one thread.
const CHECK_BLOCK: usize = 1 << 20;

/// [`check_file`] for NDJSON, on every core: this thread reads the file in blocks of whole
/// lines, numbering them, and the checking threads parse and check the blocks' lines. Each line
/// is checked exactly as the sequential path does; only the order in which the invalid lines
/// are found differs, and they are sorted by line at the end.
fn check_ndjson(
    file: &std::path::Path,
    len: u64,
    registry: &Registry,
    resume_after: u64,
    partition: Option<Partition>,
    bar: &indicatif::ProgressBar,
    result: &mut FileCheck,
) -> Result<(), CliError> {
    use std::io::Read;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicU64;

    let read_error =
        |err: std::io::Error| CliError::config(format!("cannot read `{}`: {err}", file.display()));
    // The file's size when the send began: what is appended meanwhile is not read.
    let mut reader = std::fs::File::open(file).map_err(read_error)?.take(len);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    // (the number of the block's first line, the block: whole lines)
    let (blocks, queue) = std::sync::mpsc::sync_channel::<(u64, Vec<u8>)>(threads * 2);
    let queue = Mutex::new(queue);
    let checked = AtomicU64::new(0);
    let read: Result<(), CliError> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut part = FileCheck {
                        events: 0,
                        to_send: 0,
                        other_partitions: 0,
                        invalid: Vec::new(),
                    };
                    loop {
                        let next = queue.lock().map(|q| q.recv());
                        let Ok(Ok((first, block))) = next else {
                            return part;
                        };
                        let before = part.events;
                        for (n, text) in lines(&block).enumerate() {
                            let number = first + n as u64;
                            if let Some(event) = input::ndjson_text(text) {
                                part.record(registry, (number, event), resume_after, partition);
                            }
                        }
                        checked.fetch_add(part.events - before, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let mut next_line = 1u64;
        let mut carry: Vec<u8> = Vec::new();
        let outcome = loop {
            let mut block = std::mem::take(&mut carry);
            let start = block.len();
            block.resize(start + CHECK_BLOCK, 0);
            let got = match reader.read(&mut block[start..]) {
                Ok(got) => got,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {
                    block.truncate(start);
                    carry = block;
                    continue;
                }
                Err(err) => break Err(read_error(err)),
            };
            block.truncate(start + got);
            let end = if got == 0 {
                block.len()
            } else {
                match memchr::memrchr(b'\n', &block) {
                    Some(last) => last + 1,
                    None => {
                        carry = block;
                        continue;
                    }
                }
            };
            carry = block.split_off(end);
            if block.is_empty() {
                break Ok(());
            }
            let lines = lines(&block).count() as u64;
            if blocks.send((next_line, block)).is_err() {
                break Ok(());
            }
            next_line += lines;
            bar.set_position(checked.load(Ordering::Relaxed));
        };
        drop(blocks);
        for worker in workers {
            match worker.join() {
                Ok(part) => {
                    result.events += part.events;
                    result.to_send += part.to_send;
                    result.other_partitions += part.other_partitions;
                    result.invalid.extend(part.invalid);
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        outcome
    });
    read?;
    result.invalid.sort_by_key(|invalid| invalid.line);
    Ok(())
}

/// The lines of `block`, each with its line end (as `split_inclusive` on `\n`, found with
/// `memchr`).
fn lines(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', block);
    std::iter::from_fn(move || {
        if start >= block.len() {
            return None;
        }
        let end = ends.next().map_or(block.len(), |i| i + 1);
        let line = block.get(start..end)?;
        start = end;
        Some(line)
    })
}

/// The reading pass, run on a blocking thread: reads and checks the lines after the resume
/// point and hands the valid events over in chunks.
struct QueueJob {
    file: PathBuf,
    /// The file's size when the send began (what the check read).
    len: u64,
    format: InputFormat,
    registry: Arc<Registry>,
    resume_after: u64,
    stop: Arc<AtomicBool>,
    /// Only the users of this partition are sent.
    partition: Option<Partition>,
    /// `--skip-invalid`: the lines the check found invalid are passed over here.
    skip_invalid: bool,
    /// The command that sends the file again from its first line (see [`send_command`]).
    restart: String,
}

/// Events of consecutive lines, ending at `last_line`.
struct Chunk {
    events: Vec<(Identity, Message)>,
    last_line: u64,
    /// The ids the chunk's lines give (not made from the line), with their lines: what the
    /// record of ids keeps.
    given_ids: Vec<(Uuid, u64)>,
}

/// What the queuing pass did.
struct Queued {
    /// The `event_log_id` and line of each event queued, in line order (a map is made from
    /// them only when DFINERY refused events for good).
    lines: Vec<(Uuid, u64)>,
    /// It stopped before the end of the file: nothing was delivered for `--timeout` while it
    /// waited for room in the queue.
    stalled: bool,
}

impl QueueJob {
    /// Reads the file and sends a [`Chunk`] every [`CHUNK`] events (and one at the end); stops
    /// early when the receiver is gone or on Ctrl-C or SIGTERM.
    fn run(self, chunks: tokio::sync::mpsc::Sender<Chunk>) -> Result<Queued, CliError> {
        let mut lines = Vec::new();
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut given_ids = Vec::new();
        let mut last = self.resume_after;
        for line in input::open(&self.file, self.len, self.format, &self.registry)? {
            let line = line?;
            if line.number <= self.resume_after {
                continue;
            }
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let checked = line
                .event
                .map_err(|e| vec![e])
                .and_then(|text| event::check(&self.registry, &text, line.fingerprint));
            let checked = match checked {
                Ok(checked) => Some(checked),
                // Reported by the check as skipped.
                Err(_) if self.skip_invalid => None,
                // Every line passed the check; one that fails now was changed since (the
                // file's length and time are compared, not its bytes): stop, not skip it.
                // `--resume` refuses a file changed since its send began, as the fixed file
                // is: it is sent again from the first line.
                Err(problems) => {
                    return Err(CliError::config(format!(
                        "line {} of `{}` no longer passes the check it passed before sending ({}); \
                         was the file changed while it was sent? Fix the line, then run `{}` to \
                         send the file again from the first line (events already stored are not \
                         stored twice; add `--skip-invalid` to send the other lines without it)",
                        line.number,
                        self.file.display(),
                        problems.join("; "),
                        self.restart
                    )));
                }
            };
            if let Some(checked) = checked
                && self.partition.is_none_or(|p| p.contains(&checked.identity))
            {
                let id = checked.record.event_log_id();
                lines.push((id, line.number));
                if id != event::log_id_from(line.fingerprint) {
                    given_ids.push((id, line.number));
                }
                chunk.push((checked.identity, Message::Event(checked.record)));
            }
            last = line.number;
            if chunk.len() == CHUNK {
                let events = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                let full = Chunk {
                    events,
                    last_line: last,
                    given_ids: std::mem::take(&mut given_ids),
                };
                if chunks.blocking_send(full).is_err() {
                    return Ok(Queued {
                        lines,
                        stalled: false,
                    });
                }
            }
        }
        let _ = chunks.blocking_send(Chunk {
            events: chunk,
            last_line: last,
            given_ids,
        });
        Ok(Queued {
            lines,
            stalled: false,
        })
    }
}

/// Hands the chunks `job` reads to `tracker`, one [`Tracker::send_many`] each (so each is on
/// disk in the spool when it returns), and records the last line handed over in `progress`
/// every [`CHECKPOINT_EVERY`] lines and at the end, after the ids those lines give. Ends
/// early, without waiting for room in the queue, once `stopped` turns `true`, or once
/// `tracker` delivered nothing for `patience` (`--timeout`) while a chunk waits
/// ([`Queued::stalled`]).
async fn queue(
    job: QueueJob,
    tracker: &Tracker,
    patience: Duration,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    state: StateDir,
    mut progress: Progress,
) -> Result<Queued, CliError> {
    let refused = |e: String| CliError::config(format!("the tracker refused an event: {e}"));
    let (tx, mut rx) = tokio::sync::mpsc::channel(READ_AHEAD);
    let reader = tokio::task::spawn_blocking(move || job.run(tx));
    let mut checkpointed = progress.queued_through_line;
    let mut failure = None;
    let mut stalled = false;
    // The ids handed over since the last checkpoint.
    let mut given_ids = Vec::new();
    loop {
        // A stop ends the wait for a chunk, and for room in the queue: with the queue full and
        // DFINERY not taking events, room would come back only once it does. A chunk stopped
        // part-way is not counted as handed over: `--resume` reads it again, and its events
        // already spooled are stored once (the same `event_log_id`).
        let chunk = tokio::select! {
            biased;
            Ok(_) = stopped.wait_for(|stopped| *stopped) => break,
            chunk = rx.recv() => match chunk {
                Some(chunk) => chunk,
                None => break,
            },
        };
        // With the queue full, room comes back only as DFINERY takes events: one unreachable
        // for `--timeout` ends the send as it ends the wait for the last events.
        let handed_over = tokio::select! {
            biased;
            Ok(_) = stopped.wait_for(|stopped| *stopped) => break,
            handed_over = tracker.send_many(chunk.events) => handed_over,
            () = no_progress(tracker, patience) => {
                stalled = true;
                break;
            }
        };
        if let Err(error) = handed_over {
            failure = Some(refused(error.to_string()));
            break;
        }
        progress.queued_through_line = chunk.last_line;
        given_ids.extend(chunk.given_ids);
        if chunk.last_line - checkpointed >= CHECKPOINT_EVERY {
            write_progress(&state, &mut progress, std::mem::take(&mut given_ids)).await?;
            checkpointed = chunk.last_line;
        }
    }
    // Stops the reader if it is still going (a refusal).
    drop(rx);
    let mut queued = reader
        .await
        .map_err(|e| CliError::config(format!("reading the file stopped: {e}")))??;
    if let Some(failure) = failure {
        return Err(failure);
    }
    write_progress(&state, &mut progress, given_ids).await?;
    queued.stalled = stalled;
    Ok(queued)
}

/// Returns once `tracker` has delivered or dead-lettered nothing for `patience`: its
/// counters, read a few times a second, have not moved for that long.
async fn no_progress(tracker: &Tracker, patience: Duration) {
    let settled = || {
        let metrics = tracker.metrics();
        metrics.delivered + metrics.dead_lettered
    };
    let mut last = settled();
    let mut since = tokio::time::Instant::now();
    loop {
        let left = patience.saturating_sub(since.elapsed());
        if left.is_zero() {
            return;
        }
        tokio::time::sleep(left.min(Duration::from_millis(200))).await;
        let now = settled();
        if now != last {
            (last, since) = (now, tokio::time::Instant::now());
        }
    }
}

/// On a blocking thread, appends `given_ids` to the record of ids and syncs it, then writes
/// `progress.json` counting them: a crash between the two leaves the record ahead of the
/// checkpoint (cut back on resume), never behind it.
async fn write_progress(
    state: &StateDir,
    progress: &mut Progress,
    given_ids: Vec<(Uuid, u64)>,
) -> Result<(), CliError> {
    if let Some(mark) = &mut progress.ids {
        mark.entries += given_ids.len() as u64;
    }
    let (state, progress) = (state.clone(), progress.clone());
    tokio::task::spawn_blocking(move || {
        state.append_ids(&given_ids)?;
        state.write(&progress)
    })
    .await
    .map_err(|e| CliError::config(format!("writing the progress stopped: {e}")))?
}

/// The lines of `by_id` (ids and line numbers) whose id an earlier line has: the first
/// [`REPEATED_SHOWN`] in line order, and how many there are. Only ids given in the file can
/// repeat: one made from a line is made from its number and text.
fn repeated(mut by_id: Vec<(Uuid, u64)>) -> (Vec<Repeated>, u64) {
    // By id, then line: each run of one id starts with its first line.
    by_id.sort_unstable();
    let mut found = Vec::new();
    let mut count = 0;
    for pair in by_id.chunk_by(|a, b| a.0 == b.0) {
        let (event_log_id, first_line) = pair[0];
        for &(_, line) in &pair[1..] {
            count += 1;
            found.push(Repeated {
                line,
                first_line,
                event_log_id,
            });
        }
    }
    found.sort_unstable_by_key(|r| r.line);
    found.truncate(REPEATED_SHOWN);
    (found, count)
}

/// The events DFINERY refused for good, with their lines where known, and the spool's entries
/// it could not read back (first in the list; how many is the second value).
fn failed(tracker: &Tracker, lines: &[(Uuid, u64)]) -> (Vec<Failed>, usize) {
    let Some(spool) = tracker.spool() else {
        return (Vec::new(), 0);
    };
    // Entries the spool could not read back (a damaged file): set aside, never delivered, and
    // not among the dead letters. Counted as failed, so the send does not end as complete
    // and its folder, which keeps their bytes, is not removed.
    let unreadable = match spool.unreadable() {
        Ok(entries) => entries,
        Err(err) => {
            tracing::warn!("cannot read the spool's unreadable entries: {err}");
            Vec::new()
        }
    };
    let set_aside = unreadable.len();
    let path = spool.path().display().to_string();
    let unreadable = unreadable.into_iter().map(move |entry| Failed {
        line: None,
        reason: match entry.kind {
            UnreadableKind::DeadLetter => format!(
                "the record of an event DFINERY refused (entry {} of `{path}`) could not be read back, so its line and reason are unknown; its bytes stay in that folder (`Spool::unreadable` reads them)",
                entry.seq
            ),
            _ => format!(
                "entry {} of `{path}` (one event or more) could not be read back, so it is not delivered; its bytes stay in that folder (`Spool::unreadable` reads them); to send every line again, run with `--restart` (events already stored are not stored twice)",
                entry.seq
            ),
        },
        refused_settings: false,
    });
    let letters = match spool.dead_letters() {
        Ok(letters) => letters,
        Err(err) => {
            tracing::warn!("cannot read the refused events: {err}");
            return (unreadable.collect(), set_aside);
        }
    };
    let lines: HashMap<Uuid, u64> = lines.iter().copied().collect();
    let mut failed: Vec<Failed> = unreadable.collect();
    failed.extend(letters.into_iter().map(|letter| {
        let line = match &letter.message {
            Message::Event(record) => lines.get(&record.event_log_id()).copied(),
            _ => None,
        };
        Failed {
            line,
            reason: client::in_cli_words(&letter.reason).into_owned(),
            refused_settings: matches!(letter.kind.as_str(), "auth" | "service_id"),
        }
    }));
    (failed, set_aside)
}

#[cfg(test)]
mod tests {
    use super::{REPEATED_SHOWN, lines, repeated, send_command, tracker_error};
    use uuid::Uuid;

    #[test]
    fn the_command_to_go_on_carries_the_flags_that_find_the_state_quoted_for_a_shell() {
        let parse = |words: &[&str]| match crate::cli::parse_from(words) {
            Ok(crate::cli::Cli {
                command: crate::cli::Command::Send(args),
                ..
            }) => args,
            other => panic!("{other:?}"),
        };
        let plain = parse(&["dfinery", "send", "e.ndjson"]);
        assert_eq!(
            send_command(&plain, "--resume"),
            "dfinery send e.ndjson --resume"
        );
        // Waits set to other than their defaults are kept: the run needed them.
        let patient = parse(&[
            "dfinery",
            "send",
            "e.ndjson",
            "--timeout",
            "900",
            "--request-timeout",
            "120",
        ]);
        assert_eq!(
            send_command(&patient, "--resume"),
            "dfinery send e.ndjson --timeout 900 --request-timeout 120 --resume"
        );
        let defaults = parse(&["dfinery", "send", "e.ndjson", "--timeout", "300"]);
        assert_eq!(
            send_command(&defaults, "--resume"),
            "dfinery send e.ndjson --resume"
        );
        let given = parse(&[
            "dfinery",
            "send",
            "my events.txt",
            "--format",
            "csv",
            "--skip-invalid",
            "--state-dir",
            "/mnt/it's",
            "--partition",
            "2/4",
        ]);
        assert_eq!(
            send_command(&given, "--restart"),
            r"dfinery send 'my events.txt' --format csv --skip-invalid --state-dir '/mnt/it'\''s' --partition 2/4 --restart"
        );
        // Where the events go and the budget they share: followed without them, a send to a
        // staging URL resumed against DFINERY's own, or a fleet's partition paced alone. The
        // Redis URL, which may hold a password, is left for the user to give again.
        let fleet = parse(&[
            "dfinery",
            "send",
            "e.ndjson",
            "--base-url",
            "https://staging.example.com",
            "--service-id",
            "shop",
            "--redis-url",
            "redis://:secret@10.0.0.5:6379/0",
            "--rate-limit",
            "event=1000/1m",
            "--expected-instances",
            "4",
            "--import-token",
            "t0ken",
        ]);
        let command = send_command(&fleet, "--resume");
        assert_eq!(
            command,
            "dfinery send e.ndjson --base-url https://staging.example.com --service-id shop --redis-url URL --rate-limit event=1000/1m --expected-instances 4 --resume"
        );
        assert!(!command.contains("secret") && !command.contains("t0ken"));
    }

    #[test]
    fn repeated_ids_are_found_with_their_first_line_in_line_order() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let lines = [
            (b, 1),
            (a, 2),
            (b, 3),
            (Uuid::from_u128(3), 4),
            (a, 5),
            (b, 6),
        ];
        let (found, count) = repeated(lines.to_vec());
        assert_eq!(count, 3);
        let found: Vec<_> = found.iter().map(|r| (r.line, r.first_line)).collect();
        assert_eq!(found, [(3, 1), (5, 2), (6, 1)]);
        assert_eq!(repeated(vec![(a, 1), (b, 2)]), (Vec::new(), 0));
        let many: Vec<_> = (1..=30).map(|line| (a, line)).collect();
        let (found, count) = repeated(many);
        assert_eq!((found.len(), count), (REPEATED_SHOWN, 29));
        assert_eq!(found[0].line, 2);
    }

    #[test]
    fn a_spool_in_use_is_a_send_running_not_a_library_setting() {
        use dfinery_core::{SpoolError, TrackerBuildError};
        let error = TrackerBuildError::Spool(SpoolError::InUse {
            path: "e.ndjson.dfinery-send/spool.redb".into(),
        });
        let err = tracker_error(
            &error,
            std::path::Path::new("e.ndjson"),
            "dfinery send e.ndjson --resume",
        );
        assert_eq!(err.exit, crate::exit::Exit::Config);
        assert!(
            err.message.starts_with("a send of `e.ndjson` is running"),
            "{err}"
        );
        assert!(!err.message.contains("give each tracker"), "{err}");
    }

    #[test]
    fn lines_split_as_split_inclusive_does() {
        for block in [
            &b""[..],
            b"\n",
            b"a",
            b"a\n",
            b"a\nb",
            b"a\r\n\nb\n\n",
            b"{\"x\":1}\n{\"y\":2}",
        ] {
            let expected: Vec<&[u8]> = block.split_inclusive(|&b| b == b'\n').collect();
            assert_eq!(lines(block).collect::<Vec<_>>(), expected, "{block:?}");
        }
    }
}
