//! `dfinery export events|profiles`: the export's CSV streamed into a file, atomically, with a
//! progress bar in bytes and rows.

use std::path::Path;
use std::time::Duration;

use dfinery_core::ByteStream;
use dfinery_core::export::{EventQuery, ExportError, ExportFile, ProfileQuery, QueryError};
use dfinery_core::{Date, Datetime, ErrorChain};
use indicatif::ProgressBar;
use serde_json::json;

use crate::cli::{EventExportArgs, ProfileExportArgs};
use crate::exit::{CliError, Exit, client_error};
use crate::stop::stop_signal;
use crate::{client, output, progress, registry};

/// Runs `dfinery export events`.
///
/// # Errors
///
/// A usage error for bad dates or filters, a configuration error for missing settings or an
/// unwritable file, a network error when the export fails.
pub async fn events(args: &EventExportArgs, json: bool) -> Result<Exit, CliError> {
    // Listened for before anything is printed (see `stop_signal`).
    let stop = stop_signal();
    let query = event_query(args)?;
    let request = query
        .to_request()
        .map_err(|e| CliError::usage(dates_error(&e, args)))?;
    check_output(&args.output)?;
    if let Some(path) = registry::given_or_default(args.registry.as_deref()) {
        for warning in unknown_events(&path, args) {
            tracing::warn!("{warning}");
        }
    }
    let client = client::build_export(&args.client, Duration::from_secs(args.timeout))?;
    tracing::info!(
        "exporting events from {} to {} into `{}`",
        request.from_date,
        request.to_date,
        args.output.display()
    );
    let bar = progress::download();
    let written = interruptible(&args.output, stop, async {
        match client.export_events(&request).await {
            Ok(body) => save(body, &args.output, &bar).await,
            Err(err) => Err(request_error(&err, args.timeout)),
        }
    })
    .await;
    bar.finish_and_clear();
    report(written?, json)
}

/// Runs `dfinery export profiles`.
///
/// # Errors
///
/// As [`events`].
pub async fn profiles(args: &ProfileExportArgs, json: bool) -> Result<Exit, CliError> {
    // Listened for before anything is printed (see `stop_signal`).
    let stop = stop_signal();
    let query = profile_query(args)?;
    let request = query
        .to_request()
        .map_err(|e| CliError::usage(e.to_string()))?;
    check_output(&args.output)?;
    let client = client::build_export(&args.client, Duration::from_secs(args.timeout))?;
    tracing::info!("exporting user profiles into `{}`", args.output.display());
    let bar = progress::download();
    let written = interruptible(&args.output, stop, async {
        match client.export_profiles(&request).await {
            Ok(body) => save(body, &args.output, &bar).await,
            Err(err) => Err(request_error(&err, args.timeout)),
        }
    })
    .await;
    bar.finish_and_clear();
    report(written?, json)
}

/// Runs the export `work` until it ends or `stop` (Ctrl-C or SIGTERM) stops it. Stopped, it is
/// dropped, which deletes its partial file: killed by the signal, the process left it beside
/// `output`.
///
/// A stop that lands once the file was renamed into place (while its folder is synced) says
/// so: the file at `output` then holds the whole export, not what was there before.
async fn interruptible(
    output: &Path,
    stop: impl Future<Output = ()>,
    work: impl Future<Output = Result<ExportFile, CliError>>,
) -> Result<ExportFile, CliError> {
    let before = identity(output);
    tokio::select! {
        written = work => written,
        () = stop => Err(CliError::failures(if identity(output) == before {
            format!("interrupted; nothing was written to `{}`", output.display())
        } else {
            format!(
                "interrupted as the export was finished: `{}` already holds the whole export",
                output.display()
            )
        })),
    }
}

/// What tells the file at `path` from one renamed over it: its device and inode (Unix), or its
/// length and modification time; `None` when there is none.
fn identity(path: &Path) -> Option<(u64, u64, Option<std::time::SystemTime>)> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino(), None))
    }
    #[cfg(not(unix))]
    {
        Some((meta.len(), 0, meta.modified().ok()))
    }
}

/// Refuses an output path the export could not be written to before the export is asked for:
/// DFINERY allows 100 exports an hour, and a large one takes minutes to download.
fn check_output(path: &Path) -> Result<(), CliError> {
    if path.as_os_str() == "-" {
        return Err(CliError::usage(
            "`-o -`: the export is written to a file, not standard output (whole, or not at all); give a file name",
        ));
    }
    if path.is_dir() {
        return Err(CliError::config(format!(
            "`{}` is a folder; give `-o` a file, e.g. `{}`",
            path.display(),
            path.join("export.csv").display()
        )));
    }
    // `out/` that does not exist (or names a file): the rename at the end would fail, after
    // the whole download.
    if path.as_os_str().as_encoded_bytes().ends_with(b"/")
        || path
            .as_os_str()
            .as_encoded_bytes()
            .ends_with(std::path::MAIN_SEPARATOR_STR.as_bytes())
    {
        return Err(CliError::config(format!(
            "`-o {}` ends in a path separator, so it names a folder; give `-o` a file, e.g. `{}`",
            path.display(),
            path.join("export.csv").display()
        )));
    }
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !folder.is_dir() {
        let what = if folder.exists() {
            "is not a folder"
        } else {
            "does not exist; create it first"
        };
        return Err(CliError::config(format!(
            "the folder `{}` of `-o {}` {what}",
            folder.display(),
            path.display()
        )));
    }
    // A device, a FIFO or a socket: the export's file would be renamed over it.
    if path.exists() && !path.is_file() {
        return Err(CliError::config(format!(
            "`-o {}` is not a regular file; give the path of a file to write, e.g. `export.csv`",
            path.display()
        )));
    }
    probe_folder(path, folder)
}

/// Creates and removes an empty file beside `path`, as the export's temporary file will be:
/// a folder that exists but refuses new files (`/proc`, read-only, no permission) is found
/// here, not after the request.
fn probe_folder(path: &Path, folder: &Path) -> Result<(), CliError> {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or(path.as_os_str()));
    // As long as the temporary file's name (`.<name>.<pid>-<nanoseconds>.partial`, the
    // nanoseconds 19 digits until 2286): a name the folder takes but that one too long for it
    // failed only after the export was asked for.
    name.push(format!(
        ".{}-{}.partial",
        std::process::id(),
        "0".repeat(19)
    ));
    let probe = folder.join(name);
    if let Err(err) = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        return Err(CliError::config(format!(
            "cannot create a file in the folder `{}` of `-o {}` ({err}); give `-o` a path in a folder you can write to",
            folder.display(),
            path.display()
        )));
    }
    if let Err(err) = std::fs::remove_file(&probe) {
        tracing::warn!(
            "could not remove the empty file `{}` made to check that `-o` can be written ({err}); delete it",
            probe.display()
        );
    }
    Ok(())
}

/// What the registry at `path` says of the event names `args` filters on: one warning per
/// name it lacks (with the registered name most likely meant), or one saying why the names
/// could not be checked. Only warnings: the registry may lag behind the console, and the
/// export is DFINERY's to answer.
fn unknown_events(path: &Path, args: &EventExportArgs) -> Vec<String> {
    // No name to check: the registry is not read, nor a problem of it warned of.
    if args.events.is_empty() && args.exclude_events.is_empty() {
        return Vec::new();
    }
    let registry = match registry::read(path).map(|loaded| loaded.result) {
        Ok(Ok(registry)) => registry,
        Ok(Err(err)) => {
            return vec![format!(
                "the event names are not checked: the registry `{}` has {}; run `{}`",
                path.display(),
                registry::problems(err.diagnostics.len()),
                registry::check_command(path)
            )];
        }
        Err(err) => return vec![format!("the event names are not checked: {err}")],
    };
    let flagged = (args.events.iter().map(|name| ("--event", name))).chain(
        args.exclude_events
            .iter()
            .map(|name| ("--exclude-event", name)),
    );
    flagged
        .filter(|(_, name)| registry.event(name.trim()).is_none())
        .map(|(flag, name)| {
            let meant = registry
                .suggest_event(name.trim())
                .map(|meant| format!(" (did you mean `{meant}`?)"))
                .unwrap_or_default();
            format!(
                "`{flag} {name}`: no event of that name in `{}`{meant}; DFINERY exports no rows of an event it does not know",
                path.display()
            )
        })
        .collect()
}

/// Refuses an empty name in the list `flag` gives (`--event ,` or `--property a,,b`): it
/// would ask for a name nothing has, and export nothing without a word.
fn names<'a>(flag: &str, names: &'a [String]) -> Result<&'a [String], CliError> {
    if names.iter().any(|name| name.trim().is_empty()) {
        return Err(CliError::usage(format!(
            "`{flag}` has an empty name; give names separated by commas, e.g. `{flag} a,b`"
        )));
    }
    Ok(names)
}

/// Streams `body` into `path` atomically ([`ExportFile::save`]: nothing is left at `path` unless
/// the whole body arrived intact), with `bar` showing the bytes (its position) and the rows (its
/// message).
async fn save(body: ByteStream, path: &Path, bar: &ProgressBar) -> Result<ExportFile, CliError> {
    let mut rows_shown = None;
    ExportFile::save(body, path, |so_far| {
        bar.set_position(so_far.bytes);
        if rows_shown != Some(so_far.rows) {
            rows_shown = Some(so_far.rows);
            bar.set_message(dfinery_schema::names::counted(so_far.rows, "row", "rows"));
        }
    })
    .await
    .map_err(export_error)
}

fn report(written: ExportFile, json: bool) -> Result<Exit, CliError> {
    if json {
        output::json(&json!({
            "path": written.path.display().to_string(),
            "rows": written.rows,
            "bytes": written.bytes,
        }));
    } else {
        output::line(format!(
            "wrote {} ({} bytes) to `{}`",
            dfinery_schema::names::counted(written.rows, "row", "rows"),
            written.bytes,
            written.path.display()
        ));
    }
    Ok(Exit::Ok)
}

/// Why the event query was refused, in the command's own words: the dates are named by the
/// flags that gave them (`--from`, `--to`, `--days`), not by the API's `from_date`.
fn dates_error(error: &QueryError, args: &EventExportArgs) -> String {
    match (error, args.days) {
        // `--from` alone ends today: there is no `--to` to swap it with.
        (QueryError::DatesReversed { from, to }, _) if args.to.is_none() => {
            format!("`--from` {from} is after today ({to}, UTC); give a date on or before it")
        }
        (QueryError::DatesReversed { from, to }, _) => {
            format!("`--from` {from} is after `--to` {to}; swap them")
        }
        (
            QueryError::BeyondLookBack {
                from,
                earliest,
                today,
                days,
            },
            Some(asked),
        ) => format!(
            "`--days {asked}` starts on {from}, more than {days} days before today ({today}, UTC); DFINERY exports reach back to {earliest}: give fewer days, or `--from {earliest}`"
        ),
        (
            QueryError::BeyondLookBack {
                from,
                earliest,
                today,
                days,
            },
            None,
        ) => match &args.from {
            // `--to` alone starts the range on that day: it is the date too early.
            None => format!(
                "`--to` {from} is more than {days} days before today ({today}, UTC), and the export starts on it when `--from` is not given; DFINERY exports reach back to {earliest}, so give a later date"
            ),
            Some(_) => format!(
                "`--from` {from} is more than {days} days before today ({today}, UTC); DFINERY exports reach back to {earliest}, so start on or after it"
            ),
        },
        (other, _) => other.to_string(),
    }
}

/// The query the flags ask for; dates are checked against the look-back when it is sent.
fn event_query(args: &EventExportArgs) -> Result<EventQuery, CliError> {
    let mut query = match (args.days, &args.from, &args.to) {
        (Some(days), _, _) => EventQuery::last_days(days),
        (None, from, to) => {
            let to = match to {
                Some(text) => date(text, "--to")?,
                None => Datetime::now().date(),
            };
            let from = match from {
                Some(text) => date(text, "--from")?,
                None => to,
            };
            EventQuery::new(from, to)
        }
    };
    let events = names("--event", &args.events)?;
    if !events.is_empty() {
        query = query.include_events(events.iter().cloned());
    }
    let exclude_events = names("--exclude-event", &args.exclude_events)?;
    if !exclude_events.is_empty() {
        query = query.exclude_events(exclude_events.iter().cloned());
    }
    let properties = names("--property", &args.properties)?;
    if !properties.is_empty() {
        query = query.include_properties(properties.iter().cloned());
    }
    let exclude_properties = names("--exclude-property", &args.exclude_properties)?;
    if !exclude_properties.is_empty() {
        query = query.exclude_properties(exclude_properties.iter().cloned());
    }
    let item_properties = names("--item-property", &args.item_properties)?;
    if !item_properties.is_empty() && !exclude_properties.is_empty() {
        return Err(CliError::usage(
            "`--item-property` names properties to include (as `df_items_<NAME>`), and DFINERY's property filter either includes or excludes: exclude item properties with `--exclude-property df_items_<NAME>`, or list every property wanted with `--property` and `--item-property`",
        ));
    }
    for name in item_properties {
        query = query.item_property(name);
    }
    Ok(query)
}

fn profile_query(args: &ProfileExportArgs) -> Result<ProfileQuery, CliError> {
    let mut query = ProfileQuery::new();
    let properties = names("--property", &args.properties)?;
    if !properties.is_empty() {
        query = query.include_properties(properties.iter().cloned());
    }
    let exclude_properties = names("--exclude-property", &args.exclude_properties)?;
    if !exclude_properties.is_empty() {
        query = query.exclude_properties(exclude_properties.iter().cloned());
    }
    if let Some(audience) = &args.audience {
        query = query.audience(audience.clone());
    }
    if args.external_id {
        query = query.with_external_id();
    }
    Ok(query)
}

fn date(text: &str, flag: &str) -> Result<Date, CliError> {
    text.parse()
        .map_err(|_| CliError::usage(format!("`{flag} {text}` is not a date; give `YYYY-MM-DD`")))
}

/// The exit code and message for an export that did not start; one that did not start within
/// `--timeout` (`timeout` seconds) says which flag gives it longer.
fn request_error(error: &dfinery_core::Error, timeout: u64) -> CliError {
    match error {
        dfinery_core::Error::Timeout { endpoint, .. } => CliError::network(format!(
            "`{endpoint}` did not start the export within {timeout} s (`--timeout`); it was not tried again, as each try spends one of DFINERY's 100 exports an hour; run it again later, or with a larger `--timeout`"
        )),
        other => client_error(other),
    }
}

/// The exit code for an export that failed after it started.
fn export_error(error: ExportError) -> CliError {
    match error {
        ExportError::Request(error) => client_error(&error),
        ExportError::Query(error) => CliError::usage(error.to_string()),
        ExportError::File { .. } => CliError::config(ErrorChain(&error).to_string()),
        other => CliError::network(client::in_cli_words(&ErrorChain(&other).to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::ClientArgs;

    fn args() -> EventExportArgs {
        EventExportArgs {
            output: "out.csv".into(),
            from: None,
            to: None,
            days: None,
            events: Vec::new(),
            exclude_events: Vec::new(),
            registry: None,
            properties: Vec::new(),
            exclude_properties: Vec::new(),
            item_properties: Vec::new(),
            timeout: crate::cli::EXPORT_TIMEOUT_SECS,
            client: ClientArgs {
                base_url: None,
                service_id: None,
                import_token: None,
                export_token: None,
                from_env: crate::cli::FromEnv::default(),
            },
        }
    }

    #[tokio::test]
    async fn a_stop_after_the_export_replaced_the_file_says_so_not_that_nothing_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("events.csv");
        std::fs::write(&output, "old\n").unwrap();
        let partial = dir.path().join(".events.csv.partial");
        std::fs::write(&partial, "df_name\nAlice\n").unwrap();
        // The work renames its file into place, then waits (as for the folder's sync) while
        // the stop lands.
        let (renamed, stop) = tokio::sync::oneshot::channel::<()>();
        let work = async {
            std::fs::rename(&partial, &output).unwrap();
            renamed.send(()).unwrap();
            std::future::pending::<Result<ExportFile, CliError>>().await
        };
        let stop = async {
            stop.await.unwrap();
        };
        let err = interruptible(&output, stop, work).await.unwrap_err();
        assert!(
            err.message.contains("already holds the whole export")
                && !err.message.contains("nothing was written"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&output).unwrap(),
            "df_name\nAlice\n"
        );

        // Stopped before the rename: nothing was written, and the file is as it was.
        std::fs::write(&output, "old\n").unwrap();
        let work = std::future::pending::<Result<ExportFile, CliError>>();
        let err = interruptible(&output, std::future::ready(()), work)
            .await
            .unwrap_err();
        assert!(
            err.message.contains("interrupted; nothing was written"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&output).unwrap(), "old\n");
    }

    #[test]
    fn a_broken_registry_is_warned_of_only_when_there_are_names_to_check() {
        // Every `dfinery export events` without `--event` warned "the event names are not
        // checked" when `dfinery.toml` had a problem, though it named no event.
        let dir = tempfile::tempdir().unwrap();
        let broken = dir.path().join("dfinery.toml");
        std::fs::write(
            &broken,
            "[events.coupon_used]\nproperties.code = \"strng\"\n",
        )
        .unwrap();
        assert_eq!(unknown_events(&broken, &args()), Vec::<String>::new());
        let mut named = args();
        named.exclude_events = vec!["coupon_used".into()];
        let warnings = unknown_events(&broken, &named);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("the event names are not checked"),
            "{warnings:?}"
        );
    }

    #[test]
    fn the_flags_become_the_query() {
        let mut a = args();
        a.from = Some("2024-06-01".into());
        a.to = Some("2024-06-30".into());
        a.events = vec!["df_purchase".into()];
        a.item_properties = vec!["df_price".into()];
        let query = event_query(&a).unwrap();
        let (from, to) = ("2024-06-01".parse().unwrap(), "2024-06-30".parse().unwrap());
        let expected = EventQuery::new(from, to)
            .include_events(["df_purchase"])
            .include_properties(["df_items_df_price"]);
        assert_eq!(query, expected);
    }

    #[test]
    fn a_bad_date_names_the_flag_and_the_form() {
        let mut a = args();
        a.to = Some("2024/06/30".into());
        let err = event_query(&a).unwrap_err();
        assert_eq!(
            err.message,
            "`--to 2024/06/30` is not a date; give `YYYY-MM-DD`"
        );
        assert_eq!(err.exit, Exit::Usage);
    }

    #[test]
    fn only_to_means_that_one_day() {
        let mut a = args();
        a.to = Some("2024-06-30".into());
        let query = event_query(&a).unwrap();
        let day = "2024-06-30".parse().unwrap();
        assert_eq!(query, EventQuery::new(day, day));
    }
}
