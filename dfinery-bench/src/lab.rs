//! The emulator the comparisons send to: the bench registry, rate limits out of the way, the
//! inspection endpoints on; run in this process (criterion benches, tests) or in a child
//! process (the report), so the report's peak memory is the SDK's, not the stored events'.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitCode, Stdio};
use std::time::Duration;

use dfinery::Client;
use dfinery::RetryPolicy;
use dfinery_emulator::{
    Api, DEFAULT_EXPORT_TOKEN, DEFAULT_IMPORT_TOKEN, DEFAULT_SERVICE_ID, Emulator, EmulatorBuilder,
    EmulatorHandle, RateLimit, Window,
};
use tokio::runtime::Runtime;

/// The registry every comparison's events are checked against.
pub const REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/dfinery.toml");

/// The flag that makes the report binary serve an emulator for its parent (see
/// [`serve_emulator`]).
pub const SERVE_FLAG: &str = "--serve-emulator";

/// The flag, after [`SERVE_FLAG`], that makes the child emulator a sink
/// ([`EmulatorBuilder::sink`]).
pub const SINK_FLAG: &str = "--sink";

/// The line a child emulator prints first: this prefix and its base URL.
const READY: &str = "dfinery-bench emulator at ";

/// The emulator's settings: the bench registry, an Event API limit no benchmark reaches
/// (DFINERY's default is 1,000,000 a minute), and the `/_emulator/…` endpoints.
pub fn emulator_builder() -> EmulatorBuilder {
    Emulator::builder()
        .registry_path(REGISTRY)
        .rate_limit(
            Api::Event,
            RateLimit::new(1_000_000_000, Window::minutes(1)),
        )
        .rate_limit(Api::Export, RateLimit::new(1_000_000, Window::hours(1)))
        .inspection_http(true)
}

/// A runtime with two worker threads, as on the two-core machine the figures come from.
///
/// # Errors
///
/// When the runtime cannot start.
pub fn runtime() -> io::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// Environment variables that send HTTP through a proxy: removed from the environment of every
/// process the report starts (see [`without_proxies`]).
pub const PROXY_VARIABLES: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The HTTP client every request of the report goes through, the SDK's included: dfinery's
/// default settings (rustls, a 10 s connect timeout, its `User-Agent`, no redirects followed)
/// and no proxy, so a proxy set in the environment (`HTTP_PROXY`, `ALL_PROXY`) never takes the
/// loopback traffic to the emulator off the machine.
///
/// # Errors
///
/// When the client cannot be built.
pub fn http_client() -> io::Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("dfinery-rust/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(io::Error::other)
}

/// Removes the [`PROXY_VARIABLES`] from `command`'s environment, so a process the report
/// starts (`dfinery send`) sends to the emulator over loopback, as [`http_client`] does.
pub fn without_proxies(command: &mut Command) -> &mut Command {
    for name in PROXY_VARIABLES {
        command.env_remove(name);
    }
    command
}

/// What the emulator counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Requests received.
    pub requests: u64,
    /// Events stored (or, from a sink, counted).
    pub stored: u64,
    /// Events not stored because one with the same `event_log_id` was stored since the last
    /// reset.
    pub duplicates: u64,
}

/// An emulator to send to, and a runtime to send from.
pub struct Lab {
    runtime: Runtime,
    base_url: String,
    http: reqwest::Client,
    in_process: Option<EmulatorHandle>,
    child: Option<Child>,
}

impl Lab {
    /// Starts the emulator in this process, on `runtime`'s threads.
    ///
    /// # Errors
    ///
    /// When the runtime or the emulator cannot start.
    pub fn in_process() -> io::Result<Lab> {
        let runtime = runtime()?;
        let emulator = runtime
            .block_on(emulator_builder().start())
            .map_err(io::Error::other)?;
        Ok(Lab {
            base_url: emulator.base_url().to_owned(),
            runtime,
            http: http_client()?,
            in_process: Some(emulator),
            child: None,
        })
    }

    /// Starts `exe SERVE_FLAG` (this binary) and sends to the emulator it serves. The child
    /// stops when this `Lab` is dropped, or when this process ends however it ends.
    ///
    /// # Errors
    ///
    /// When the child cannot start or does not say where it listens.
    pub fn child_process(exe: &Path) -> io::Result<Lab> {
        Lab::child(exe, false)
    }

    /// [`child_process`](Lab::child_process) with the emulator in sink mode: it checks the
    /// token, counts and answers `20000` without validating or storing, so the figures measured
    /// against it are the sending side's.
    ///
    /// # Errors
    ///
    /// As [`child_process`](Lab::child_process).
    pub fn child_sink(exe: &Path) -> io::Result<Lab> {
        Lab::child(exe, true)
    }

    fn child(exe: &Path, sink: bool) -> io::Result<Lab> {
        let mut command = Command::new(exe);
        command.arg(SERVE_FLAG);
        if sink {
            command.arg(SINK_FLAG);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let base_url = match read_ready_line(stdout) {
            Ok(url) => url,
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(error);
            }
        };
        Ok(Lab {
            runtime: runtime()?,
            base_url,
            http: http_client()?,
            in_process: None,
            child: Some(child),
        })
    }

    /// The runtime to send from.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The emulator's base URL, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The emulator's process id, when it runs in a child process.
    pub fn child_pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A client for the emulator: default settings except a short retry schedule, and no
    /// proxy ([`http_client`]).
    ///
    /// # Errors
    ///
    /// When the client cannot be built.
    pub fn client(&self) -> io::Result<Client> {
        let mut retry = RetryPolicy::default();
        retry.max_attempts = 5;
        retry.initial_backoff = Duration::from_millis(5);
        retry.max_backoff = Duration::from_millis(50);
        retry.max_rate_limit_wait = Duration::from_secs(1);
        Client::builder()
            .service_id(DEFAULT_SERVICE_ID)
            .import_token(DEFAULT_IMPORT_TOKEN)
            .export_token(DEFAULT_EXPORT_TOKEN)
            .base_url(&self.base_url)
            .http_client(http_client()?)
            .retry(retry)
            .build()
            .map_err(io::Error::other)
    }

    /// The import token, for raw requests.
    pub fn import_token(&self) -> &str {
        DEFAULT_IMPORT_TOKEN
    }

    /// `url` under the emulator, e.g. `/api/v1/events?service_id=emulator`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// What the emulator counted since it started or was last reset.
    ///
    /// # Errors
    ///
    /// When the inspection endpoint does not answer with its counters.
    pub fn counts(&self) -> io::Result<Counts> {
        let stats: serde_json::Value = self
            .runtime
            .block_on(async {
                self.http
                    .get(self.url("/_emulator/stats"))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await
            })
            .map_err(io::Error::other)?;
        let count = |name: &str| {
            stats[name]
                .as_u64()
                .ok_or_else(|| io::Error::other(format!("no `{name}` count in {stats}")))
        };
        Ok(Counts {
            requests: count("requests")?,
            stored: count("accepted")? + stats["sunk"].as_u64().unwrap_or(0),
            duplicates: stats["duplicates"].as_u64().unwrap_or(0),
        })
    }

    /// Forgets everything the emulator stored, so memory stays flat between comparisons.
    ///
    /// # Errors
    ///
    /// When the inspection endpoint does not answer.
    pub fn reset(&self) -> io::Result<()> {
        self.runtime.block_on(self.reset_async())
    }

    /// [`reset`](Lab::reset), from async code on the lab's runtime.
    ///
    /// # Errors
    ///
    /// As [`reset`](Lab::reset).
    pub async fn reset_async(&self) -> io::Result<()> {
        if let Some(emulator) = &self.in_process {
            emulator.reset();
            return Ok(());
        }
        self.http
            .post(self.url("/_emulator/reset"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map(drop)
            .map_err(io::Error::other)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads the child's first line and takes the base URL from it.
fn read_ready_line(stdout: ChildStdout) -> io::Result<String> {
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    line.trim()
        .strip_prefix(READY)
        .map(str::to_owned)
        .ok_or_else(|| {
            io::Error::other(format!(
                "the emulator child process did not start; it said `{}`",
                line.trim()
            ))
        })
}

/// Serves an emulator for a parent process ([`Lab::child_process`]): prints where it listens,
/// then serves until its standard input closes (the parent dropped the `Lab` or ended).
pub fn serve_emulator(sink: bool) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            println!("cannot start a runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let emulator = match runtime.block_on(emulator_builder().sink(sink).start()) {
        Ok(emulator) => emulator,
        Err(error) => {
            println!("cannot start the emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{READY}{}", emulator.base_url());
    let mut sink = Vec::new();
    let _ = io::stdin().lock().read_to_end(&mut sink);
    runtime.block_on(emulator.shutdown());
    ExitCode::SUCCESS
}
