//! The command line as clap reads it: every command, every flag and its `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::EXIT_CODES_HELP;

/// The `dfinery` command line.
#[derive(Debug, Parser)]
#[command(
    name = "dfinery",
    version,
    about = "Run a local DFINERY, check the registry file, backfill events and pull exports",
    long_about = "Run a local DFINERY, check the registry file (`dfinery.toml`) against the code, \
backfill offline data through the S2S API and pull exports.\n\n\
Results go to stdout, logs and progress bars to stderr (bars only when stderr is a terminal). \
Tokens are read from flags or environment variables and never printed.",
    after_help = EXIT_CODES_HELP,
    propagate_version = true
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print results as JSON on stdout (one object per command) for scripts
    #[arg(long, global = true)]
    pub json: bool,
    /// More logs on stderr: `-v` debug, `-vv` trace
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Fewer logs on stderr: warnings and errors only
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

/// `dfinery emulator --help`'s description.
const EMULATOR_LONG_ABOUT: &str = "Run a local DFINERY (the emulator) in the foreground: the same endpoints, tokens, \
validation against the registry, result codes and CSV export as DFINERY. Prints its base URL, \
service id and tokens (local test tokens, generated when not given) as environment variables \
for the other commands, and stops cleanly on Ctrl-C or SIGTERM.";

/// `dfinery check --help`'s description.
const CHECK_LONG_ABOUT: &str = "Check the registry file and report every problem with its line and column.\n\n\
With `--init`, write a starter file instead (the standard events and user properties listed, \
commented out). With `--coverage MANIFEST.json`, also compare the registry with the types of your \
code: the manifest is written by a test of yours calling `dfinery::coverage::Manifest` with the \
derived types (see the README).";

/// `dfinery send --help`'s description.
const SEND_LONG_ABOUT: &str = "Send the events of a file through the Tracker.\n\n\
Every line is checked against the registry first; if any is invalid, nothing is sent and every \
bad line is listed with its number (or pass `--skip-invalid` to send the others). Events go \
through a durable spool in `FILE.dfinery-send/`: an interrupted run continues where it stopped \
with `--resume`, and every event keeps its `event_log_id`, so nothing is stored twice. A line \
without one gets an id made from its line number and text only, not the file's name: the same \
line at the same number of two files is stored once (give such lines their own `event_log_id`). Ctrl-C or \
SIGTERM stops a send cleanly within about 2 s (exit 1), keeping what is undelivered for `--resume`; \
a second one quits at once.\n\n\
NDJSON, one event per line:\n  \
{\"identity\":{\"external_id\":\"u1\"},\"name\":\"df_purchase\",\"datetime\":\"2024-06-24T06:01:48.501Z\",\
\"properties\":{\"df_order_id\":\"O-1\",\"df_payment_method\":\"Card\",\"df_total_purchase_amount\":5000.0,\
\"df_delivery_charge\":0.0,\"df_discount\":0.0},\"items\":[{\"df_item_id\":\"SKU-1\",\"df_item_name\":\"Cracker\",\
\"df_price\":2500.0,\"df_quantity\":2,\"df_discount\":0.0}]}\n\
(`event_name`, `event_datetime`, `event_properties` and `event_items` are accepted instead, one \
name per field, and an optional `event_log_id`.)\n\n\
CSV: a header row with `name`, `datetime`, at least one of `external_id`, `phone_no`, `email`, \
`kakao_user_id`, `line_user_id`, optionally `event_log_id` and `items` (a JSON array); every \
other column is a property, its cells read as the registry's type (arrays as JSON).";

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a local DFINERY (the emulator) in the foreground until Ctrl-C or SIGTERM
    #[command(after_help = EXIT_CODES_HELP, long_about = EMULATOR_LONG_ABOUT)]
    Emulator(EmulatorArgs),
    /// Check the registry file, write a starter one, or compare it with the code's types
    #[command(after_help = EXIT_CODES_HELP, long_about = CHECK_LONG_ABOUT)]
    Check(CheckArgs),
    /// Send events from an NDJSON or CSV file, checked first, with a spool to resume from
    #[command(after_help = EXIT_CODES_HELP, long_about = SEND_LONG_ABOUT)]
    Send(SendArgs),
    /// Export events or user profiles to a CSV file, written atomically
    #[command(after_help = EXIT_CODES_HELP)]
    Export(ExportArgs),
}

/// `dfinery emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// The registry to enforce [default: `dfinery.toml` in the working folder, else in its
    /// crate's folder or its workspace's root, as the derives find it; with none, every
    /// standard event and user property]
    #[arg(long, env = "DFINERY_REGISTRY", value_name = "PATH", value_parser = registry_path)]
    pub registry: Option<PathBuf>,
    /// The port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The service id requests must name [default: the registry's `[service] id`, else `emulator`]
    #[arg(long, value_name = "ID")]
    pub service_id: Option<String>,
    /// The Import API token to accept [default: a generated one]
    #[arg(long, value_name = "TOKEN")]
    pub import_token: Option<String>,
    /// The Export API token to accept [default: a generated one]
    #[arg(long, value_name = "TOKEN")]
    pub export_token: Option<String>,
    /// Also serve the live inspector page at `/_emulator/` (its URL is printed at start) and
    /// `/_emulator/events`, `/profiles`, `/stats`, `/rejections` and `/reset`
    #[arg(long)]
    pub inspect: bool,
    /// Sink mode for load tests: check the service id and token, then answer `20000` to any
    /// well-formed JSON body without validating or storing it, counting requests and events
    /// (see `/_emulator/stats` with `--inspect`)
    #[arg(long)]
    pub sink: bool,

    /// How many requests the inspector page keeps, the oldest forgotten first (with `--inspect`)
    #[arg(long, value_name = "N", default_value_t = 500, requires = "inspect", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub inspect_keep: u64,

    /// How to count the 100 items DFINERY takes: per request, all events together (DFINERY's
    /// Open API guide), or per event (its SDK guides)
    #[arg(long, value_enum, default_value_t = ItemLimitArg::PerRequest)]
    pub item_limit: ItemLimitArg,

    /// Scale a rate limit, e.g. `event=50/1s` (APIs: event, identity, profile, export; windows
    /// `<n>s`, `<n>m`, `<n>H`, `<n>d`); repeat for several APIs [default: DFINERY's limits]
    #[arg(long = "rate-limit", value_name = "API=N/PERIOD", value_parser = parse_api_rate_limit)]
    pub rate_limits: Vec<(dfinery_emulator::Api, dfinery_emulator::RateLimit)>,

    /// Shift the emulator's clock by this many seconds (negative: behind; at most back to
    /// 1970-01-01 and ahead to the end of 9999), to test clients whose clock differs from
    /// DFINERY's: its rate-limit resets, `Date` headers and server datetimes follow the shifted
    /// clock, e.g. `--clock-offset=-300`
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 0,
        allow_hyphen_values = true,
        value_parser = clock_offset_secs
    )]
    pub clock_offset: i64,
}

/// `--item-limit` of `dfinery emulator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ItemLimitArg {
    /// At most 100 items in one request, all events together
    PerRequest,
    /// At most 100 items in each event
    PerEvent,
}

/// Parses `--rate-limit API=N/PERIOD`.
fn parse_api_rate_limit(
    text: &str,
) -> Result<(dfinery_emulator::Api, dfinery_emulator::RateLimit), String> {
    use dfinery_core::wire::Endpoint;
    use dfinery_emulator::Api;
    let (api, limit) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not API=N/PERIOD; write e.g. `event=50/1s`"))?;
    let name = api.trim().to_ascii_lowercase();
    // An API by its protocol name (`event`), or by the first segment of one of its endpoints'
    // paths (`events`, `identities`, `user-profile`, `export`).
    let segment = |endpoint: &Endpoint| {
        let path = endpoint.path().trim_start_matches("/api/v1/");
        path.split('/').next().unwrap_or(path).to_owned()
    };
    let api = Api::ALL
        .into_iter()
        .find(|api| api.as_str() == name)
        .or_else(|| {
            Endpoint::ALL
                .iter()
                .find(|endpoint| segment(endpoint) == name)
                .map(|endpoint| endpoint.api())
        })
        .ok_or_else(|| {
            let names: Vec<&str> = Api::ALL.iter().map(|api| api.as_str()).collect();
            format!("unknown API `{name}`; write one of {}", names.join(", "))
        })?;
    let limit = limit.trim().parse().map_err(|e| format!("{e}"))?;
    Ok((api, limit))
}

/// Parses `--rate-limit API=N/PERIOD` of `dfinery send`: as the emulator's, but at least 1 (a
/// shared budget of 0 would let nothing through; the emulator's refuses every request).
fn parse_budget_rate_limit(
    text: &str,
) -> Result<(dfinery_emulator::Api, dfinery_emulator::RateLimit), String> {
    let (api, limit) = parse_api_rate_limit(text)?;
    if limit.limit == 0 {
        return Err(format!(
            "`{text}` lets nothing through; give a limit of at least 1, e.g. `{}=50/1s`",
            api.as_str()
        ));
    }
    Ok((api, limit))
}

/// Parses `--registry` (or `DFINERY_REGISTRY`). An empty value is most often the variable
/// set to nothing, which clap reported as "a value is required for '--registry'" to a command
/// line that has no `--registry`.
fn registry_path(text: &str) -> Result<PathBuf, String> {
    if text.is_empty() {
        return Err(
            "the registry path is empty; give `--registry PATH`, or set `DFINERY_REGISTRY` to the registry file (or unset it)"
                .to_owned(),
        );
    }
    Ok(PathBuf::from(text))
}

/// The last second of year 9999 (UTC), in seconds since 1970: the latest date-time the
/// emulator writes (DFINERY's datetimes have four-digit years).
const END_OF_9999_SECS: i64 = 253_402_300_799;

/// `--clock-offset`: whole seconds, not so far behind that the emulator's clock would read
/// before 1970-01-01 (DFINERY's times are milliseconds since then: its rate windows would never
/// reset), nor so far ahead that it would read past the end of 9999 (every date it writes
/// would stop there: each event stored at the same instant, every export's "today" the same
/// day). A bad value of the command line, so a usage error (exit 2) as any other; it was
/// found only when the emulator started, and exited 3.
fn clock_offset_secs(text: &str) -> Result<i64, String> {
    let example = "e.g. `--clock-offset=-300` for 5 minutes behind";
    // Wider than the range, so that a value past `i64` is named as out of range rather than
    // as no number.
    let offset: i128 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number of seconds; {example}"))?;
    let since_1970 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let since_1970 = i64::try_from(since_1970).unwrap_or(END_OF_9999_SECS);
    let earliest = -since_1970;
    let latest = END_OF_9999_SECS.saturating_sub(since_1970);
    if offset > i128::from(latest) {
        return Err(format!(
            "{offset} seconds puts the emulator's clock past the end of 9999 (the latest \
             date-time it writes: its dates would stop there); give an offset of {latest} or \
             less (the seconds from now to 9999-12-31T23:59:59Z on this machine's clock), {example}"
        ));
    }
    if offset < i128::from(earliest) {
        return Err(format!(
            "{offset} seconds puts the emulator's clock before 1970-01-01 (DFINERY's times are \
             milliseconds since then, so its rate windows would never reset); give an offset of \
             {earliest} or more (the seconds from now back to 1970-01-01 on this machine's clock), {example}"
        ));
    }
    // Within `earliest..=latest`, so within `i64`.
    i64::try_from(offset).map_err(|_| format!("`{text}` is out of range; {example}"))
}

/// `--timeout`: whole seconds, 1 or more. 0 would stop delivering before anything is
/// delivered, leaving every event in the spool (and the send exited 4, as if DFINERY were
/// unreachable).
fn timeout_secs(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err(format!(
            "0 seconds would stop delivering before anything is delivered, leaving every event in the spool; give 1 or more (the default is {SEND_TIMEOUT_SECS})"
        )),
        Ok(secs) => Ok(secs),
        Err(_) => Err(format!(
            "`{text}` is not a whole number of seconds; give 1 or more (the default is {SEND_TIMEOUT_SECS})"
        )),
    }
}

/// `dfinery send --request-timeout`: whole seconds, 1 or more. 0 would give up every request
/// before it is answered.
fn request_timeout_secs(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err(format!(
            "0 seconds would give up every request before DFINERY answers it; give 1 or more (the default is {REQUEST_TIMEOUT_SECS})"
        )),
        Ok(secs) => Ok(secs),
        Err(_) => Err(format!(
            "`{text}` is not a whole number of seconds; give 1 or more (the default is {REQUEST_TIMEOUT_SECS})"
        )),
    }
}

/// How long `dfinery send` waits for DFINERY to answer a request, by default (the client's
/// own default).
pub const REQUEST_TIMEOUT_SECS: u64 = 30;

/// `dfinery send --timeout`'s default: how long a send waits while nothing is delivered.
pub const SEND_TIMEOUT_SECS: u64 = 300;

/// An export's `--timeout`: whole seconds, 1 or more.
fn export_timeout_secs(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err(format!(
            "0 seconds would end every export before it starts; give 1 or more (the default is {EXPORT_TIMEOUT_SECS})"
        )),
        Ok(secs) => Ok(secs),
        Err(_) => Err(format!(
            "`{text}` is not a whole number of seconds; give 1 or more (the default is {EXPORT_TIMEOUT_SECS})"
        )),
    }
}

/// How long `dfinery export` waits for DFINERY to start sending the CSV, by default.
pub const EXPORT_TIMEOUT_SECS: u64 = 120;

/// `dfinery check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The registry file [default: `dfinery.toml` in the working folder, else in its crate's
    /// folder or its workspace's root, as the derives find it; for `--init`, in the working
    /// folder]
    #[arg(long, env = "DFINERY_REGISTRY", value_name = "PATH", value_parser = registry_path)]
    pub registry: Option<PathBuf>,
    /// Write a starter registry file at `--registry` instead of checking one
    #[arg(long, conflicts_with = "coverage")]
    pub init: bool,
    /// With `--init`: replace an existing file
    #[arg(long, requires = "init")]
    pub force: bool,
    /// Compare the registry with the derived types listed in this manifest (JSON)
    #[arg(long, value_name = "MANIFEST")]
    pub coverage: Option<PathBuf>,
}

/// Where DFINERY is and how to authenticate; flags first, then environment variables.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// The DFINERY base URL, e.g. the emulator's [default: `https://openapi.dfinery.ai`]
    #[arg(long, env = "DFINERY_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// The service id [default for `send`: the registry's `[service] id`]
    #[arg(long, env = "DFINERY_SERVICE_ID", value_name = "ID")]
    pub service_id: Option<String>,
    /// The Import API token (prefer the environment variable: flags show in `ps`)
    #[arg(
        long,
        env = "DFINERY_IMPORT_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub import_token: Option<String>,
    /// The Export API token (prefer the environment variable: flags show in `ps`)
    #[arg(
        long,
        env = "DFINERY_EXPORT_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub export_token: Option<String>,
    /// Which of these settings their environment variable filled rather than a flag (clap's
    /// [`ValueSource`](clap::parser::ValueSource)), so that an error names where the value
    /// came from; filled by [`parse`].
    #[arg(skip)]
    pub from_env: FromEnv,
}

/// The arguments of one command line that clap filled from their environment variable (e.g.
/// `DFINERY_IMPORT_TOKEN`), not from a flag typed on it, by their ids (the field names:
/// `import_token`). Told by clap itself ([`ArgMatches::value_source`](clap::ArgMatches)), not
/// by comparing a value with the variable's: a flag given the same text as its variable is
/// still the flag. Empty by default: every value given counts as a flag's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FromEnv(std::collections::BTreeSet<String>);

impl FromEnv {
    /// The arguments of `matches` (those of one command, not of its subcommands) whose value
    /// came from their environment variable.
    pub fn of(matches: &clap::ArgMatches) -> FromEnv {
        FromEnv(
            matches
                .ids()
                .filter(|id| {
                    matches.value_source(id.as_str())
                        == Some(clap::parser::ValueSource::EnvVariable)
                })
                .map(|id| id.as_str().to_owned())
                .collect(),
        )
    }

    /// Whether the argument `id` (a field name, e.g. `service_id`) came from its variable.
    pub fn has(&self, id: &str) -> bool {
        self.0.contains(id)
    }

    /// Marks `id` as filled from its variable (for tests).
    #[cfg(test)]
    pub fn with(mut self, id: &str) -> FromEnv {
        self.0.insert(id.to_owned());
        self
    }
}

/// The input formats of `dfinery send`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// By the file's extension: `.csv` is CSV, anything else NDJSON
    Auto,
    /// One JSON event per line
    Ndjson,
    /// A header row, then one event per row
    Csv,
}

/// `dfinery send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The file of events: a regular file (not `-`, a pipe or a device: a resumable send
    /// reads it again)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The registry the events are checked against [default: `dfinery.toml` in the working
    /// folder, else in its crate's folder or its workspace's root, as the derives find it]
    #[arg(long, env = "DFINERY_REGISTRY", value_name = "PATH", value_parser = registry_path)]
    pub registry: Option<PathBuf>,
    /// The file's format
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub format: InputFormat,
    /// Send the valid lines even when some are invalid (those are listed and skipped)
    #[arg(long)]
    pub skip_invalid: bool,
    /// Continue an interrupted send of this file from its spool
    #[arg(long, conflicts_with = "restart")]
    pub resume: bool,
    /// Discard an interrupted send of this file and start again from the first line
    #[arg(long)]
    pub restart: bool,
    /// Where the spool and the progress of this send are kept (with `--partition K/N`, in
    /// `DIR/part-K-of-N`); a folder holding another program's `progress.json` or `spool.redb` is
    /// refused, never written [default: `FILE.dfinery-send`]
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Only check the file against the registry; send nothing
    #[arg(long)]
    pub check_only: bool,
    /// Seconds (1 or more) to keep delivering after the last line is queued, and to wait for
    /// room in a full queue while nothing is delivered; what is left then stays in the spool
    /// for `--resume` (exit 4)
    #[arg(long, value_name = "SECS", default_value_t = SEND_TIMEOUT_SECS, value_parser = timeout_secs)]
    pub timeout: u64,
    /// Seconds (1 or more) DFINERY has to answer each request before it is given up and tried
    /// again (five tries in all, then later while `--timeout` lasts); raise it for a slow
    /// DFINERY or network
    #[arg(long, value_name = "SECS", default_value_t = REQUEST_TIMEOUT_SECS, value_parser = request_timeout_secs)]
    pub request_timeout: u64,
    /// Share the service's rate budget with every other sender through this Redis, e.g.
    /// `redis://127.0.0.1:6379/0`, or `rediss://…` for TLS (see "Running a fleet" in the
    /// README); not empty (unset DFINERY_REDIS_URL to send without it)
    // The URL may hold a password: `--help` names the variable, never its value.
    #[arg(
        long,
        env = "DFINERY_REDIS_URL",
        hide_env_values = true,
        value_name = "URL",
        value_parser = redis_url
    )]
    pub redis_url: Option<String>,
    /// Send only the users whose stable hash falls in partition K of N (from 1), e.g. `2/4`;
    /// each partition keeps its own state for `--resume` (`FILE.dfinery-send.part-K-of-N`, or
    /// `DIR/part-K-of-N` with `--state-dir DIR`)
    #[arg(long, value_name = "K/N", value_parser = crate::commands::send::Partition::parse)]
    pub partition: Option<crate::commands::send::Partition>,
    /// The service's limit for the shared budget, e.g. `event=1000000/1m`; repeat for several
    /// APIs [default: DFINERY's limits]
    #[arg(long = "rate-limit", value_name = "API=N/PERIOD", value_parser = parse_budget_rate_limit, requires = "redis_url")]
    pub rate_limits: Vec<(dfinery_emulator::Api, dfinery_emulator::RateLimit)>,
    /// Senders sharing the budget; while Redis is unreachable each sends at the limit divided
    /// by this [default: N of `--partition`, else 1]
    #[arg(long, value_name = "N", requires = "redis_url", value_parser = clap::value_parser!(u32).range(1..))]
    pub expected_instances: Option<u32>,
    /// Where DFINERY is and how to authenticate
    #[command(flatten)]
    pub client: ClientArgs,
    /// Which of this command's settings (`registry`, `redis_url`) their environment variable
    /// filled rather than a flag; filled by [`parse`].
    #[arg(skip)]
    pub from_env: FromEnv,
}

/// `dfinery export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export
    #[command(subcommand)]
    pub what: ExportWhat,
}

/// The two exports.
#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// Export events (at most the last 30 days) as CSV
    #[command(after_help = EXIT_CODES_HELP)]
    Events(EventExportArgs),
    /// Export user profiles as CSV
    #[command(after_help = EXIT_CODES_HELP)]
    Profiles(ProfileExportArgs),
}

/// `dfinery export events`.
#[derive(Debug, Args)]
pub struct EventExportArgs {
    /// The CSV file to write (atomically, through a temporary file: if the export fails or
    /// Ctrl-C or SIGTERM stops it, the temporary file is removed and a file already at this
    /// path is kept as it was)
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// The first day, `YYYY-MM-DD` (UTC) [default: the `--to` day (today without it), or `--days` back from today]
    #[arg(long, value_name = "DATE", conflicts_with = "days")]
    pub from: Option<String>,
    /// The last day, inclusive, `YYYY-MM-DD` (UTC) [default: today]
    #[arg(long, value_name = "DATE", conflicts_with = "days")]
    pub to: Option<String>,
    /// The last N days up to today, today included
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub days: Option<u32>,
    /// Only these events (repeat the flag or separate with commas)
    #[arg(long = "event", value_name = "NAME", value_delimiter = ',')]
    pub events: Vec<String>,
    /// Every event except these
    #[arg(long = "exclude-event", value_name = "NAME", value_delimiter = ',')]
    pub exclude_events: Vec<String>,
    /// The registry the `--event` and `--exclude-event` names are checked against: a name it
    /// lacks gets a warning (DFINERY exports no rows of an event it does not know), and the
    /// export goes ahead [default: `dfinery.toml` in the working folder, else in its crate's
    /// folder or its workspace's root; none when there is none]
    #[arg(long, env = "DFINERY_REGISTRY", value_name = "PATH", value_parser = registry_path)]
    pub registry: Option<PathBuf>,
    /// Only these properties (the system columns always come)
    #[arg(long = "property", value_name = "NAME", value_delimiter = ',')]
    pub properties: Vec<String>,
    /// Every property except these
    #[arg(long = "exclude-property", value_name = "NAME", value_delimiter = ',')]
    pub exclude_properties: Vec<String>,
    /// Only these item properties (exported as `df_items_<NAME>`), besides the properties of
    /// `--property`: with this flag the export holds only the properties named
    #[arg(long = "item-property", value_name = "NAME", value_delimiter = ',')]
    pub item_properties: Vec<String>,
    /// Seconds (1 or more) to wait for DFINERY to start sending the CSV. An export that has
    /// not started by then fails and is not tried again: each try spends one of DFINERY's 100
    /// exports an hour
    #[arg(long, value_name = "SECS", default_value_t = EXPORT_TIMEOUT_SECS, value_parser = export_timeout_secs)]
    pub timeout: u64,
    /// Where DFINERY is and how to authenticate
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dfinery export profiles`.
#[derive(Debug, Args)]
pub struct ProfileExportArgs {
    /// The CSV file to write (atomically, through a temporary file: if the export fails or
    /// Ctrl-C or SIGTERM stops it, the temporary file is removed and a file already at this
    /// path is kept as it was)
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Only these user properties (repeat the flag or separate with commas)
    #[arg(long = "property", value_name = "NAME", value_delimiter = ',')]
    pub properties: Vec<String>,
    /// Every user property except these
    #[arg(long = "exclude-property", value_name = "NAME", value_delimiter = ',')]
    pub exclude_properties: Vec<String>,
    /// Only the users of this audience (segment) id
    #[arg(long, value_name = "ID")]
    pub audience: Option<String>,
    /// Also export the external id (`df_external_id`)
    #[arg(long)]
    pub external_id: bool,
    /// Seconds (1 or more) to wait for DFINERY to start sending the CSV. An export that has
    /// not started by then fails and is not tried again: each try spends one of DFINERY's 100
    /// exports an hour
    #[arg(long, value_name = "SECS", default_value_t = EXPORT_TIMEOUT_SECS, value_parser = export_timeout_secs)]
    pub timeout: u64,
    /// Where DFINERY is and how to authenticate
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Parses the command line, exiting with clap's message on a usage error (exit 2).
///
/// When a required argument is missing, or two arguments conflict, clap's usage line repeats
/// the arguments already given, including those its `DFINERY_*` environment variables filled,
/// so `DFINERY_IMPORT_TOKEN` in the environment showed
/// `Usage: dfinery send --import-token <TOKEN> <FILE>`, as if the flag were required (or typed).
/// The command line is then parsed again without the environment, and the error keeps its own
/// message with that parse's usage line, which names only what was typed (and what it
/// requires). (The other errors, an invalid value, an unknown flag or subcommand, are found
/// before clap reads the environment: their usage line never names what it filled.)
pub fn parse() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => usage_without_env(err, &args).exit(),
    }
}

/// `Cli::try_parse_from(args)`, with each command's [`FromEnv`] filled from clap's matches.
pub(crate) fn parse_from<A>(args: &[A]) -> Result<Cli, clap::Error>
where
    A: Into<std::ffi::OsString> + Clone,
{
    use clap::{CommandFactory as _, FromArgMatches as _};
    let matches = Cli::command().try_get_matches_from(args.iter().cloned())?;
    // Not `from_arg_matches_mut`, which takes the values (and their sources) out of `matches`.
    let mut cli = Cli::from_arg_matches(&matches).map_err(|err| err.format(&mut Cli::command()))?;
    cli.note_env(&matches);
    Ok(cli)
}

impl Cli {
    /// Records in each command's arguments which of them their environment variable filled
    /// (`matches` being this command line's).
    fn note_env(&mut self, matches: &clap::ArgMatches) {
        let Some((_, command)) = matches.subcommand() else {
            return;
        };
        match &mut self.command {
            Command::Send(args) => {
                args.from_env = FromEnv::of(command);
                args.client.from_env = FromEnv::of(command);
            }
            Command::Export(args) => {
                let Some((_, export)) = command.subcommand() else {
                    return;
                };
                match &mut args.what {
                    ExportWhat::Events(args) => args.client.from_env = FromEnv::of(export),
                    ExportWhat::Profiles(args) => args.client.from_env = FromEnv::of(export),
                }
            }
            // No setting of theirs is named by where it came from.
            Command::Emulator(_) | Command::Check(_) => {}
        }
    }
}

/// A `--redis-url` (or `DFINERY_REDIS_URL`): not empty. An empty one (a variable set to
/// nothing, as `DFINERY_REDIS_URL=${REDIS_URL:-}` gives) met what `--rate-limit` and
/// `--expected-instances` require and then turned the shared budget off without a word.
fn redis_url(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err(
            "the Redis URL is empty (DFINERY_REDIS_URL set to nothing, or `--redis-url \"\"`); \
                    give one, e.g. redis://127.0.0.1:6379/0, or unset DFINERY_REDIS_URL to send \
                    without a shared rate budget"
                .to_owned(),
        );
    }
    Ok(text.to_owned())
}

/// `err`, with the usage line of the same command line parsed without the environment when it
/// is a missing-argument or conflict error.
///
/// The parse without the environment fails too (it has fewer arguments, none of which
/// conflicts with another or is required by one: the environment fills settings only), with
/// the same error or, when the environment met a requirement of what was typed (`--rate-limit`
/// requires `--redis-url`, which `DFINERY_REDIS_URL` fills), with that requirement missing
/// as well. Its message would then be wrong, so only its usage line is taken: the typed
/// arguments and what they require. (Taking its whole error only when it was the same one left
/// the second case with every environment-filled flag in the usage line.)
fn usage_without_env(mut err: clap::Error, args: &[std::ffi::OsString]) -> clap::Error {
    use clap::CommandFactory as _;
    use clap::error::{ContextKind, ErrorKind};
    if !matches!(
        err.kind(),
        ErrorKind::MissingRequiredArgument | ErrorKind::ArgumentConflict
    ) {
        return err;
    }
    if let Err(again) = without_env(Cli::command()).try_get_matches_from(args)
        && let Some(usage) = again.get(ContextKind::Usage)
    {
        err.insert(ContextKind::Usage, usage.clone());
    }
    err
}

/// `command` and its subcommands with no argument read from the environment.
fn without_env(command: clap::Command) -> clap::Command {
    command
        .mut_args(|arg| arg.env(None))
        .mut_subcommands(without_env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn rate_limits_name_an_api_by_its_name_or_its_endpoints_path() {
        use dfinery_emulator::Api;
        for (text, api) in [
            ("event=50/1s", Api::Event),
            ("Events=50/1s", Api::Event),
            ("identity=5/1s", Api::Identity),
            ("identities=5/1s", Api::Identity),
            ("profile=5/1s", Api::Profile),
            ("user-profile=5/1s", Api::Profile),
            ("export=1/1H", Api::Export),
        ] {
            assert_eq!(parse_api_rate_limit(text).unwrap().0, api, "{text}");
        }
        assert_eq!(
            parse_api_rate_limit("segments=1/1s").unwrap_err(),
            "unknown API `segments`; write one of event, identity, profile, export"
        );
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_and_flag_has_help() {
        fn walk(command: &clap::Command, path: &str) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(arg.get_help().is_some(), "`{path} --{id}` has no help");
            }
            for sub in command.get_subcommands() {
                assert!(
                    sub.get_about().is_some(),
                    "`{path} {}` has no help",
                    sub.get_name()
                );
                walk(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        walk(&Cli::command(), "dfinery");
    }
}
