//! `dfinery emulator`: a local DFINERY in the foreground. It prints where it listens and the
//! tokens it accepts (local test tokens, generated unless given), then serves until Ctrl-C or
//! SIGTERM and stops cleanly.

use dfinery_emulator::{Emulator, ItemLimit, StartError};
use serde_json::json;
use uuid::Uuid;

use crate::cli::{EmulatorArgs, ItemLimitArg};
use crate::exit::{CliError, Exit};
use crate::stop::stop_signal;
use crate::{output, registry};

/// Runs the emulator until Ctrl-C or SIGTERM.
///
/// # Errors
///
/// A configuration error for a registry with problems, a port that cannot be bound or a
/// setting out of range.
pub async fn run(args: EmulatorArgs, json: bool) -> Result<Exit, CliError> {
    let registry_path = registry::given_or_default(args.registry.as_deref());
    check_flags(&args)?;
    let item_limit = match args.item_limit {
        ItemLimitArg::PerRequest => ItemLimit::PerRequest,
        ItemLimitArg::PerEvent => ItemLimit::PerEvent,
    };
    let mut builder = Emulator::builder()
        .port(args.port)
        .inspection_http(args.inspect)
        .item_limit(item_limit)
        .sink(args.sink)
        .inspector(args.inspect)
        .inspector_capacity(usize::try_from(args.inspect_keep).unwrap_or(usize::MAX))
        .import_token(args.import_token.unwrap_or_else(|| generated("import")))
        .export_token(args.export_token.unwrap_or_else(|| generated("export")));
    if let Some(path) = &registry_path {
        builder = builder.registry(registry::load(path)?);
    }
    // `--clock-offset` is bounded to 1970 to 9999 (about ±2.5e11 s), so this never saturates.
    builder = builder.clock_offset_ms(args.clock_offset.saturating_mul(1000));
    for (api, limit) in &args.rate_limits {
        builder = builder.rate_limit(*api, *limit);
    }
    if let Some(id) = args.service_id {
        builder = builder.service_id(id);
    }
    let emulator = builder.start().await.map_err(|err| match err {
        StartError::Registry(err) => CliError::config(err.to_string()),
        other => CliError::config(dfinery_core::ErrorChain(&other).to_string()),
    })?;
    // Listened for before the settings are printed, so that a script that reads them and stops
    // the emulator at once gets a clean stop (see `stop_signal`).
    let stop = stop_signal();
    let registry_name = registry_path.as_deref().map_or_else(
        || "the standard catalog".to_owned(),
        |p| format!("`{}`", p.display()),
    );
    if json {
        output::json(&json!({
            "base_url": emulator.base_url(),
            "service_id": emulator.service_id(),
            "import_token": emulator.import_token(),
            "export_token": emulator.export_token(),
            "registry": registry_path.as_deref().map(|p| p.display().to_string()),
            "inspect": args.inspect,
            "sink": args.sink,
            "item_limit": item_limit.as_str(),
            "inspector_url": emulator.inspector_url(),
        }));
    } else {
        output::line(format!(
            "# DFINERY emulator at {} enforcing {registry_name}; local test tokens:",
            emulator.base_url()
        ));
        for (name, value) in [
            ("DFINERY_BASE_URL", emulator.base_url()),
            ("DFINERY_SERVICE_ID", emulator.service_id()),
            ("DFINERY_IMPORT_TOKEN", emulator.import_token()),
            ("DFINERY_EXPORT_TOKEN", emulator.export_token()),
        ] {
            output::line(format!("export {name}={}", shell_word(value)));
        }
        if let Some(url) = emulator.inspector_url() {
            output::line(format!("# inspector: open {url} in a browser"));
        }
    }
    tracing::info!("listening on {}; press Ctrl-C to stop", emulator.base_url());
    stop.await;
    tracing::info!("stopping");
    // The counters after the stop's grace: a request still in flight at Ctrl-C is in them.
    let stats = emulator.shutdown().await;
    let requests = if stats.requests == 1 {
        "request"
    } else {
        "requests"
    };
    // A sink stores nothing: "0 events stored" after a load test read as if none arrived.
    let (events, kept) = if args.sink {
        (stats.sunk, "counted by the sink (`--sink`: none stored)")
    } else {
        (stats.accepted, "stored")
    };
    let noun = if events == 1 { "event" } else { "events" };
    tracing::info!(
        "stopped after {} {requests}; {events} {noun} {kept}",
        stats.requests
    );
    Ok(Exit::Ok)
}

/// `value` as one word of a POSIX shell: as it is when it holds only characters no shell reads
/// as syntax, else in single quotes (a `'` in it written `'\''`), so that `source`-ing the
/// lines sets exactly the values given (a token may hold `$`, `;` or a backtick).
fn shell_word(value: &str) -> std::borrow::Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.:/@%+=,".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        return value.into();
    }
    format!("'{}'", value.replace('\'', "'\\''")).into()
}

/// Refuses an empty `--service-id` or token, or a token with white space, naming the flag (the
/// emulator's own messages name its builder's methods). A token is never shown.
fn check_flags(args: &EmulatorArgs) -> Result<(), CliError> {
    if args.service_id.as_deref() == Some("") {
        return Err(CliError::config(
            "`--service-id` is empty; give the service id, or leave the flag out for the registry's `[service] id`",
        ));
    }
    for (flag, token) in [
        ("--import-token", &args.import_token),
        ("--export-token", &args.export_token),
    ] {
        let Some(token) = token.as_deref() else {
            continue;
        };
        if token.is_empty() {
            return Err(CliError::config(format!(
                "`{flag}` is empty; give a token, or leave the flag out for a generated one"
            )));
        }
        if !token.chars().all(|c| c.is_ascii_graphic()) {
            return Err(CliError::config(format!(
                "`{flag}`: a token holds white space, a control or a non-ASCII character; give one of visible ASCII characters"
            )));
        }
    }
    Ok(())
}

/// A fresh local test token, e.g. `import-3f2a…`.
fn generated(kind: &str) -> String {
    format!("{kind}-{}", Uuid::new_v4().simple())
}
