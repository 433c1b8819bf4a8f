//! [`Emulator::builder`]: every setting with its default, checked once at
//! [`start`](EmulatorBuilder::start).

use std::collections::{BTreeSet, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use dfinery_schema::Registry;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::handle::EmulatorHandle;
use crate::secret::Token;
use crate::server::app::{App, Settings};
use crate::server::{router, serve};
use crate::{Api, Clock, ConfigError, FaultConfig, ItemLimit, RateLimit, RateLimits, StartError};

/// The service id used when neither the builder nor the registry's `[service] id` sets one.
pub const DEFAULT_SERVICE_ID: &str = "emulator";
/// The Import API token used unless [`EmulatorBuilder::import_token`] sets one.
pub const DEFAULT_IMPORT_TOKEN: &str = "import-token";
/// The Export API token used unless [`EmulatorBuilder::export_token`] sets one.
pub const DEFAULT_EXPORT_TOKEN: &str = "export-token";

/// A local DFINERY server. Start one with [`Emulator::start`] (all defaults) or configure it
/// with [`Emulator::builder`].
///
/// ```no_run
/// # async fn demo() -> Result<(), dfinery_emulator::StartError> {
/// use dfinery_emulator::Emulator;
///
/// let emulator = Emulator::builder().service_id("my-service").start().await?;
/// println!("DFINERY at {}", emulator.base_url());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Emulator;

impl Emulator {
    /// A builder with every default.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Starts an emulator with every default: the standard registry, service id `emulator`,
    /// tokens `import-token` / `export-token`, a free port on 127.0.0.1.
    ///
    /// # Errors
    ///
    /// See [`EmulatorBuilder::start`].
    pub async fn start() -> Result<EmulatorHandle, StartError> {
        Emulator::builder().start().await
    }
}

#[derive(Debug, Clone)]
enum RegistrySource {
    Standard,
    Given(Box<Registry>),
    Path(PathBuf),
}

/// The emulator's settings. Each method's documentation states its default.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    registry: RegistrySource,
    service_id: Option<String>,
    import_token: Token,
    export_token: Token,
    rate_limits: RateLimits,
    rate_limit_status_200: bool,
    item_limit: ItemLimit,
    faults: FaultConfig,
    inspection_http: bool,
    sink: bool,
    inspector: bool,
    inspector_capacity: usize,
    bind: SocketAddr,
    clock: Clock,
    clock_offset_ms: i64,
    audiences: HashMap<String, BTreeSet<String>>,
}

impl Default for EmulatorBuilder {
    fn default() -> EmulatorBuilder {
        EmulatorBuilder {
            registry: RegistrySource::Standard,
            service_id: None,
            import_token: Token::new(DEFAULT_IMPORT_TOKEN),
            export_token: Token::new(DEFAULT_EXPORT_TOKEN),
            rate_limits: RateLimits::default(),
            rate_limit_status_200: false,
            item_limit: ItemLimit::PerRequest,
            faults: FaultConfig::default(),
            inspection_http: false,
            sink: false,
            inspector: false,
            inspector_capacity: crate::inspector::DEFAULT_CAPACITY,
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            clock: Clock::default(),
            clock_offset_ms: 0,
            audiences: HashMap::new(),
        }
    }
}

impl EmulatorBuilder {
    /// The registry to enforce. Default: [`Registry::standard`], every standard event and user
    /// property enabled and nothing custom.
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = RegistrySource::Given(Box::new(registry));
        self
    }

    /// Reads the registry from a `dfinery.toml` at start; a file that cannot be read or parsed
    /// makes [`start`](Self::start) fail with [`StartError::Registry`].
    pub fn registry_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.registry = RegistrySource::Path(path.into());
        self
    }

    /// The service id requests must name in `?service_id=`. Default: the registry's
    /// `[service] id`, else [`DEFAULT_SERVICE_ID`] (`emulator`).
    pub fn service_id(mut self, id: impl Into<String>) -> Self {
        self.service_id = Some(id.into());
        self
    }

    /// The Import API token (`access_token` header). Default: [`DEFAULT_IMPORT_TOKEN`].
    pub fn import_token(mut self, token: impl Into<String>) -> Self {
        self.import_token = Token::new(token);
        self
    }

    /// The Export API token (`Authorization: Bearer`). Default: [`DEFAULT_EXPORT_TOKEN`].
    pub fn export_token(mut self, token: impl Into<String>) -> Self {
        self.export_token = Token::new(token);
        self
    }

    /// Every rate limit at once. Default: [`RateLimits::default`] (`docs/protocol.md` §7.1).
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    /// The rate limit of one API. Defaults: Event 1,000,000/`1m`, Identity 10,000/`1m`,
    /// Profile 10,000/`1m`, Export 100/`1H`.
    pub fn rate_limit(mut self, api: Api, limit: RateLimit) -> Self {
        self.rate_limits.set(api, limit);
        self
    }

    /// Exports allowed in flight at once. Default: 5. Must be at least 1 and at most
    /// [`Semaphore::MAX_PERMITS`](tokio::sync::Semaphore::MAX_PERMITS).
    pub fn export_concurrency(mut self, exports: usize) -> Self {
        self.rate_limits.export_concurrency = exports;
        self
    }

    /// Answer an exceeded Import rate limit with HTTP 200 + `40401` (the docs' table) instead
    /// of HTTP 429 + `40401` (the docs' example). Default: `false` (429). Exports always get 429.
    pub fn rate_limit_status_200(mut self, enabled: bool) -> Self {
        self.rate_limit_status_200 = enabled;
        self
    }

    /// How the 100-item limit is counted: per request, all events together (DFINERY's Open API
    /// guide), or per event (its SDK guides). Default: [`ItemLimit::PerRequest`].
    pub fn item_limit(mut self, limit: ItemLimit) -> Self {
        self.item_limit = limit;
        self
    }

    /// Faults to inject. Default: none. Change them later with
    /// [`EmulatorHandle::set_faults`].
    pub fn faults(mut self, faults: FaultConfig) -> Self {
        self.faults = faults;
        self
    }

    /// Serve `/_emulator/events`, `/profiles`, `/stats`, `/rejections` (GET) and `/reset`
    /// (POST). Default: `false` (those paths are 404).
    pub fn inspection_http(mut self, enabled: bool) -> Self {
        self.inspection_http = enabled;
        self
    }

    /// Sink mode, for load tests: the Import endpoints still check the service id, the token,
    /// the rate limits and the faults, then answer `20000` to any JSON object without
    /// validating it against the registry or storing it; they only count requests and events
    /// ([`Stats::sunk`](crate::Stats::sunk)). A body that is not JSON is still `40000`.
    /// Exports find nothing stored. Default: `false`.
    pub fn sink(mut self, enabled: bool) -> Self {
        self.sink = enabled;
        self
    }

    /// Serve the live inspector page at `/_emulator/` (see [`EmulatorHandle::inspector_url`]):
    /// each request as it arrives over server-sent events, with its events, typed properties
    /// and violations; the registry's coverage; the rate limits; a profile search. Turns
    /// [`inspection_http`](Self::inspection_http) on too (the page's "Clear" uses
    /// `/_emulator/reset`). Default: `false`.
    ///
    /// The page keeps its own copy of the last requests
    /// ([`inspector_capacity`](Self::inspector_capacity)); what the emulator stores is unchanged.
    pub fn inspector(mut self, enabled: bool) -> Self {
        self.inspector = enabled;
        self
    }

    /// How many requests the inspector page and its stream keep, the oldest forgotten first.
    /// Default: 500. Must be at least 1.
    pub fn inspector_capacity(mut self, requests: usize) -> Self {
        self.inspector_capacity = requests;
        self
    }

    /// The address to listen on. Default: `127.0.0.1:0` (a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Listen on 127.0.0.1 at `port` (0 picks a free one). Default: 0.
    pub fn port(mut self, port: u16) -> Self {
        self.bind = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        self
    }

    /// The clock for server datetimes, rate-limit windows and the export look-back.
    /// Default: the system clock ([`Clock::default`]); pass a
    /// [`ManualClock`](crate::ManualClock) in tests.
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }

    /// Shifts the emulator's clock by `offset_ms` milliseconds (negative: behind): its
    /// `x-ratelimit-reset` instants, `Date` headers and server datetimes then read as those of
    /// a DFINERY whose clock differs from the client's. Default: 0. Applies to the clock given
    /// to [`clock`](EmulatorBuilder::clock) too, whichever is called first, added to any
    /// [shift](Clock::offset_by_ms) that clock has already. An offset that puts the clock
    /// before 1970-01-01 or past the end of 9999 (9999-12-31T23:59:59.999Z, the latest
    /// instant DFINERY's datetimes and the `Date` header can hold) when the emulator starts is
    /// refused by [`start`](Self::start) with [`StartError::Config`], naming the greatest
    /// offset allowed.
    pub fn clock_offset_ms(mut self, offset_ms: i64) -> Self {
        self.clock_offset_ms = offset_ms;
        self
    }

    /// Defines an audience (segment) for the profile export's `audience` filter: its id and
    /// the `external_id`s of its members. Default: none (an unknown audience is
    /// `invalid_parameter`).
    pub fn audience<I, S>(mut self, id: impl Into<String>, external_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences.insert(
            id.into(),
            external_ids.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// Loads the registry, checks the settings, binds the address and starts serving on the
    /// current tokio runtime. The server stops when the handle is dropped or
    /// [shut down](EmulatorHandle::shutdown).
    ///
    /// # Errors
    ///
    /// [`StartError::Registry`] for an unreadable or invalid registry file,
    /// [`StartError::Config`] for an out-of-range setting, [`StartError::Bind`] when the
    /// address cannot be bound.
    pub async fn start(self) -> Result<EmulatorHandle, StartError> {
        let registry = match self.registry {
            RegistrySource::Standard => Registry::standard(),
            RegistrySource::Given(registry) => *registry,
            RegistrySource::Path(path) => Registry::load(path)?,
        };
        let service_id = self
            .service_id
            .or_else(|| registry.service_id.clone())
            .unwrap_or_else(|| DEFAULT_SERVICE_ID.to_owned());
        check(
            &service_id,
            &self.import_token,
            &self.export_token,
            &self.rate_limits,
            &self.faults,
        )?;
        if self.inspector && self.inspector_capacity == 0 {
            return Err(ConfigError(
                "`inspector_capacity` is 0; keep at least 1 request for the page".into(),
            )
            .into());
        }
        check_clock_offset(&self.clock, self.clock_offset_ms)?;
        let clock = self.clock.offset_by_ms(self.clock_offset_ms);
        let listener = TcpListener::bind(self.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: self.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: self.bind,
            source,
        })?;
        let settings = Settings {
            registry,
            service_id,
            import_token: self.import_token,
            export_token: self.export_token,
            rate_limits: self.rate_limits,
            rate_limit_status_200: self.rate_limit_status_200,
            item_limit: self.item_limit,
            inspection_http: self.inspection_http || self.inspector,
            inspector: self.inspector.then_some(self.inspector_capacity),
            sink: self.sink,
            loopback: addr.ip().is_loopback(),
        };
        let app = Arc::new(App::new(settings, clock, self.faults, self.audiences));
        let (shutdown, signal) = watch::channel(false);
        let task = tokio::spawn(serve::serve(
            listener,
            router::router(app.clone()),
            signal,
            serve::HEADER_READ_TIMEOUT,
        ));
        Ok(EmulatorHandle::new(app, addr, shutdown, task))
    }
}

impl EmulatorBuilder {
    /// Like [`start`](Self::start), for code without a tokio runtime (a plain `#[test]`, a
    /// build script): the emulator runs on a runtime of its own, on one background thread,
    /// stopped when the handle is dropped. Called inside a runtime, it works too (it waits
    /// for the start on a thread of its own, not the runtime's), though
    /// [`start`](Self::start) is the way there.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start); [`StartError::Config`] also when the runtime cannot be
    /// created.
    pub fn start_blocking(self) -> Result<EmulatorHandle, StartError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("dfinery-emulator")
            .enable_all()
            .build()
            .map_err(|err| ConfigError(format!("cannot create the emulator's runtime: {err}")))?;
        let start = || runtime.block_on(self.start());
        // `block_on` panics on a thread that drives a runtime already.
        let handle = if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|scope| scope.spawn(start).join())
                .map_err(|_| ConfigError("the emulator's start panicked".into()))??
        } else {
            start()?
        };
        Ok(handle.with_runtime(runtime))
    }
}

/// The least and greatest clock: 1970-01-01 (DFINERY's times are milliseconds since then) and
/// the end of 9999 (its datetimes and the `Date` header have four-digit years).
///
/// `clock` shifted by `offset_ms` (added to any shift it has) must read within them at start.
fn check_clock_offset(clock: &Clock, offset_ms: i64) -> Result<(), ConfigError> {
    use std::time::UNIX_EPOCH;
    // Where the clock is before this offset, in milliseconds since 1970 (negative before).
    let base = clock.now();
    let base_ms = match base.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_millis()).unwrap_or(i128::MAX),
        Err(before) => i128::try_from(before.duration().as_millis()).map_or(i128::MIN, |ms| -ms),
    };
    let latest_ms = i128::try_from(
        crate::clock::latest()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
    )
    .unwrap_or(i128::MAX);
    let shifted = clock.clone().offset_by_ms(offset_ms);
    // `None`: past what the system's time holds, on the side of the (summed) shift.
    let now = shifted.shifted_now();
    let before_1970 = now.map_or(shifted.offset_ms() < 0, |now| now < UNIX_EPOCH);
    let past_9999 = now.map_or(shifted.offset_ms() > 0, |now| now > crate::clock::latest());
    if before_1970 {
        // Its milliseconds since 1970 would stay 0: the rate windows would never reset.
        return Err(ConfigError(format!(
            "the clock offset of {offset_ms} ms ({} s) puts the emulator's clock before 1970-01-01 \
             (DFINERY's times are milliseconds since then, so its rate windows would never \
             reset); give an offset of at most {} s behind",
            offset_ms / 1000,
            base_ms.max(0) / 1000
        )));
    }
    if past_9999 {
        // Every date it writes would stop at the end of 9999 (or, past what the system's time
        // holds, the shift would be left out): each event stored at the same instant, every
        // export's "today" the same day.
        let greatest = (latest_ms - base_ms).max(0);
        return Err(ConfigError(format!(
            "the clock offset of {offset_ms} ms ({} s) puts the emulator's clock past the end of \
             9999 (DFINERY's datetimes and the `Date` header have four-digit years, so its dates \
             would stop there); give an offset of at most {greatest} ms ({} s) ahead, to \
             9999-12-31T23:59:59.999Z",
            offset_ms / 1000,
            greatest / 1000
        )));
    }
    Ok(())
}

fn check(
    service_id: &str,
    import_token: &Token,
    export_token: &Token,
    limits: &RateLimits,
    faults: &FaultConfig,
) -> Result<(), ConfigError> {
    if service_id.is_empty() {
        return Err(ConfigError(
            "the service id is empty; give one with `service_id`".into(),
        ));
    }
    // Both are printed as `export NAME=value` lines for a shell, and sent in a query and in
    // headers: white space or a control character would break all three.
    let spaced = |text: &str| text.chars().any(|c| c.is_whitespace() || c.is_control());
    if spaced(service_id) {
        return Err(ConfigError(format!(
            "the service id `{}` holds white space or a control character; give it as the DFINERY console shows it",
            service_id.escape_debug()
        )));
    }
    if import_token.expose().is_empty() || export_token.expose().is_empty() {
        return Err(ConfigError(
            "a token is empty; give one with `import_token` / `export_token`".into(),
        ));
    }
    // The client refuses a token of anything but visible ASCII (`ClientBuildError::InvalidToken`),
    // and no HTTP client sends one in a header: no client could reach this emulator.
    let unusable = |text: &str| !text.chars().all(|c| c.is_ascii_graphic());
    if unusable(import_token.expose()) || unusable(export_token.expose()) {
        return Err(ConfigError(
            "a token holds white space, a control or a non-ASCII character; give one of visible ASCII characters with `import_token` / `export_token`".into(),
        ));
    }
    if import_token == export_token {
        return Err(ConfigError(
            "the import and export tokens are equal; give them different values so the wrong kind is refused".into(),
        ));
    }
    if limits.export_concurrency == 0 {
        return Err(ConfigError(
            "`export_concurrency` is 0; allow at least 1 export at a time".into(),
        ));
    }
    // The exports in flight are counted by a semaphore, which panics above its maximum.
    if limits.export_concurrency > tokio::sync::Semaphore::MAX_PERMITS {
        return Err(ConfigError(format!(
            "`export_concurrency` is {}, above the most the emulator can count ({}); give a smaller number (DFINERY allows 5)",
            limits.export_concurrency,
            tokio::sync::Semaphore::MAX_PERMITS
        )));
    }
    faults.validate().map_err(ConfigError)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Window;

    #[tokio::test]
    async fn bad_settings_fail_to_start_with_the_fix() {
        let err = Emulator::builder()
            .export_concurrency(0)
            .start()
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid emulator setting: `export_concurrency` is 0; allow at least 1 export at a time"
        );
        // A non-ASCII token was accepted, though the client refuses one at build.
        for token in ["tök", "tok\u{a0}en"] {
            let err = Emulator::builder()
                .import_token(token)
                .start()
                .await
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                "invalid emulator setting: a token holds white space, a control or a non-ASCII \
                 character; give one of visible ASCII characters with `import_token` / \
                 `export_token`"
            );
        }
        let err = Emulator::builder()
            .import_token("same")
            .export_token("same")
            .start()
            .await
            .unwrap_err();
        assert!(matches!(err, StartError::Config(_)));
        let err = Emulator::builder()
            // A folder this test never creates (a fixed path may exist on some machine).
            .registry_path(
                std::env::temp_dir()
                    .join(format!("dfinery-emulator-no-such-{}", std::process::id()))
                    .join("dfinery.toml"),
            )
            .start()
            .await
            .unwrap_err();
        assert!(matches!(err, StartError::Registry(_)), "{err}");
    }

    #[tokio::test]
    async fn an_export_concurrency_past_the_semaphore_is_refused_not_a_panic() {
        let err = Emulator::builder()
            .export_concurrency(usize::MAX)
            .start()
            .await
            .unwrap_err();
        assert!(matches!(err, StartError::Config(_)), "{err}");
        assert!(
            err.to_string()
                .contains("`export_concurrency` is 18446744073709551615"),
            "{err}"
        );
        let most = Emulator::builder()
            .export_concurrency(tokio::sync::Semaphore::MAX_PERMITS)
            .start()
            .await;
        assert!(most.is_ok(), "{most:?}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_registry_path_to_an_endless_device_is_refused_not_read_forever() {
        // `/dev/zero` was read until memory ran out.
        let err = Emulator::builder()
            .registry_path("/dev/zero")
            .start()
            .await
            .unwrap_err();
        assert!(matches!(err, StartError::Registry(_)), "{err}");
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert!(cause.contains("/dev/zero"), "{cause}");
        // Refused from its metadata, before it is opened (a device holds no registry).
        assert!(
            cause.contains("is a device, and the registry is read"),
            "{cause}"
        );
    }

    #[tokio::test]
    async fn a_taken_port_is_a_bind_error() {
        let first = Emulator::start().await.unwrap();
        let err = Emulator::builder()
            .bind(first.addr())
            .start()
            .await
            .unwrap_err();
        assert!(matches!(err, StartError::Bind { .. }), "{err}");
    }

    #[test]
    fn start_blocking_serves_without_a_caller_runtime() {
        use std::io::{Read, Write};

        let emulator = Emulator::builder().start_blocking().unwrap();
        let mut stream = std::net::TcpStream::connect(emulator.addr()).unwrap();
        stream
            .write_all(b"POST /api/v1/identities HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(answer.contains("\"40000\""), "{answer}");
        drop(emulator);
    }

    #[tokio::test]
    async fn start_blocking_inside_a_runtime_starts_instead_of_panicking() {
        // It panicked: "Cannot start a runtime from within a runtime".
        let emulator = Emulator::builder().start_blocking().unwrap();
        let answer = reqwest::Client::new()
            .post(emulator.url("/api/v1/identities"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert!(answer.text().await.unwrap().contains("\"40201\""));
        emulator.shutdown().await;
        let emulator = Emulator::builder().start_blocking().unwrap();
        drop(emulator);
    }

    #[test]
    fn builder_debug_never_shows_tokens() {
        let builder = Emulator::builder()
            .import_token("secret-import")
            .export_token("secret-export")
            .rate_limit(Api::Export, RateLimit::new(1, Window::seconds(1)));
        let debug = format!("{builder:?}");
        assert!(!debug.contains("secret-"), "{debug}");
    }
}
