//! [`ClientBuilder`]: every setting of a [`Client`] with its default, checked once in
//! [`build`](ClientBuilder::build).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use dfinery_schema::protocol::{Endpoint, MAX_CONCURRENT_EXPORTS};
use reqwest::Url;
use tokio::sync::Semaphore;

use super::source::kind_name;
use super::{Client, Inner, RetryPolicy, ServiceIdSource, TokenSource};
use crate::clock::{Clock, LONGEST};
use crate::limits::MAX_EVENTS_PER_REQUEST;
use crate::ratelimit::{Pacer, Pacing, RateBudget};
use crate::secret::Secret;
use crate::wire::TokenKind;

/// The documented base URL (`docs/protocol.md` §1.3).
pub(crate) const DEFAULT_BASE_URL: &str = "https://openapi.dfinery.ai";
/// The connect timeout of the HTTP client built when none is given.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The `User-Agent` of the HTTP client built when none is given.
const DEFAULT_USER_AGENT: &str = concat!("dfinery-rust/", env!("CARGO_PKG_VERSION"));
/// The environment variable [`ClientBuilder::from_env`] reads the service id from.
pub(crate) const ENV_SERVICE_ID: &str = "DFINERY_SERVICE_ID";
/// The environment variable [`ClientBuilder::from_env`] reads the Import token from.
pub(crate) const ENV_IMPORT_TOKEN: &str = "DFINERY_IMPORT_TOKEN";
/// The environment variable [`ClientBuilder::from_env`] reads the Export token from.
pub(crate) const ENV_EXPORT_TOKEN: &str = "DFINERY_EXPORT_TOKEN";
/// The environment variable [`ClientBuilder::from_env`] reads the base URL from.
pub(crate) const ENV_BASE_URL: &str = "DFINERY_BASE_URL";

/// Why a [`Client`] could not be built. It never shows a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientBuildError {
    /// No service id was given, or an empty one to
    /// [`ClientBuilder::service_id`] (an empty one from elsewhere is
    /// [`InvalidServiceId`](Self::InvalidServiceId), naming where).
    #[error("no service id; give one with `ClientBuilder::service_id` or `DFINERY_SERVICE_ID`")]
    MissingServiceId,
    /// A service id that cannot be sent (empty, or holding white space or a control
    /// character), named by where it came from, with the fix there.
    #[error("the service id from {given_by} {reason}; {}", given_by.fix())]
    InvalidServiceId {
        /// Where it came from.
        given_by: ServiceIdSource,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Neither token was given.
    #[error(
        "no token; give the import token (`ClientBuilder::import_token` or `DFINERY_IMPORT_TOKEN`), the export token (`ClientBuilder::export_token` or `DFINERY_EXPORT_TOKEN`), or both"
    )]
    MissingToken,
    /// A token that is empty or only white space, given to
    /// [`ClientBuilder::import_token`] or [`ClientBuilder::export_token`] (an empty one from
    /// elsewhere is [`InvalidToken`](Self::InvalidToken), naming where).
    #[error("the {} token is empty; give the token shown in the DFINERY console", kind_name(*.0))]
    BlankToken(TokenKind),
    /// A token that cannot be sent or that no DFINERY token looks like (empty, holding white
    /// space, a control or non-ASCII character, or starting with `Bearer `), named by where it
    /// came from, with the fix there. The token itself is never shown.
    #[error("the {} token from {} {reason}; {}", kind_name(*kind), given_by.name(*kind), given_by.fix(*kind))]
    InvalidToken {
        /// Which token.
        kind: TokenKind,
        /// Where it came from.
        given_by: TokenSource,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A base URL that cannot be used.
    #[error("invalid {given_by} `{url}`: {reason}")]
    #[non_exhaustive]
    InvalidBaseUrl {
        /// The URL, without credentials, query or fragment (which may carry a token).
        url: String,
        /// What is wrong, with the fix.
        reason: String,
        /// Where it was given, as messages name it: `` `base_url` `` (the builder's
        /// [`base_url`](ClientBuilder::base_url)) or `` `DFINERY_BASE_URL` `` (read by
        /// [`from_env`](ClientBuilder::from_env)).
        given_by: &'static str,
    },
    /// A plain `http://` base URL to a host that is not loopback.
    #[error(
        "{given_by} `{url}` sends tokens unencrypted; use `https://`, or call `allow_insecure_http(true)` for a trusted network"
    )]
    #[non_exhaustive]
    InsecureBaseUrl {
        /// The URL.
        url: String,
        /// Where it was given, as [`InvalidBaseUrl`](Self::InvalidBaseUrl)'s `given_by`.
        given_by: &'static str,
    },
    /// A setting out of range.
    #[error("`{setting}` {reason}")]
    InvalidSetting {
        /// The setting, e.g. `max_attempts`.
        setting: &'static str,
        /// What is wrong, with the fix.
        reason: &'static str,
    },
    /// The HTTP client could not be built; reqwest's error is the
    /// [`source`](std::error::Error::source).
    #[error("could not build the HTTP client")]
    Http(#[source] reqwest::Error),
}

/// Settings of a [`Client`]. Each method's documentation states its default.
///
/// ```
/// use std::time::Duration;
/// use dfinery_core::{Client, RetryPolicy};
///
/// let mut retry = RetryPolicy::default();
/// retry.max_attempts = 3;
/// let client = Client::builder()
///     .service_id("my-service")
///     .import_token("import-token")
///     .base_url("http://127.0.0.1:8080") // loopback may be plain http
///     .timeout(Duration::from_secs(5))
///     .retry(retry)
///     .build()?;
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
/// assert!(!format!("{client:?}").contains("import-token"));
/// # Ok::<(), dfinery_core::ClientBuildError>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    service_id: Option<(String, ServiceIdSource)>,
    import_token: Option<Secret>,
    export_token: Option<Secret>,
    /// Where `import_token` came from.
    import_token_source: TokenSource,
    /// Where `export_token` came from.
    export_token_source: TokenSource,
    /// The base URL, and where it was given (see [`ClientBuildError::InvalidBaseUrl`]).
    base_url: Option<(String, &'static str)>,
    allow_insecure_http: bool,
    http_client: Option<reqwest::Client>,
    timeout: Duration,
    export_read_timeout: Duration,
    retry: RetryPolicy,
    pacing: Pacing,
    rate_budget: Option<Arc<dyn RateBudget>>,
    export_concurrency: usize,
    max_events_per_request: usize,
    clock: Clock,
    /// The variables [`from_env`](Self::from_env) found set but not UTF-8, whose setting was
    /// not made later: each is an error at build (ignored, it was "no service id" or "no
    /// token" for a variable the user did set).
    env_unreadable: Vec<&'static str>,
}

/// Every setting, the tokens as `***` and the base URL as an error shows it: without what
/// could be credentials (`user:password@`) or a token in its query, which `build` refuses.
impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("service_id", &self.service_id)
            .field("import_token", &self.import_token)
            .field("export_token", &self.export_token)
            .field("import_token_source", &self.import_token_source)
            .field("export_token_source", &self.export_token_source)
            .field(
                "base_url",
                &self.base_url.as_ref().map(|(url, _)| shown_url(url)),
            )
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("http_client", &self.http_client)
            .field("timeout", &self.timeout)
            .field("export_read_timeout", &self.export_read_timeout)
            .field("retry", &self.retry)
            .field("pacing", &self.pacing)
            .field("rate_budget", &self.rate_budget)
            .field("export_concurrency", &self.export_concurrency)
            .field("max_events_per_request", &self.max_events_per_request)
            .field("clock", &self.clock)
            .field("env_unreadable", &self.env_unreadable)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder {
            service_id: None,
            import_token: None,
            export_token: None,
            import_token_source: TokenSource::Builder,
            export_token_source: TokenSource::Builder,
            base_url: None,
            allow_insecure_http: false,
            http_client: None,
            timeout: Duration::from_secs(30),
            export_read_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            pacing: Pacing::default(),
            rate_budget: None,
            export_concurrency: MAX_CONCURRENT_EXPORTS,
            max_events_per_request: MAX_EVENTS_PER_REQUEST,
            clock: Clock::default(),
            env_unreadable: Vec::new(),
        }
    }
}

impl ClientBuilder {
    /// The service id, sent as `?service_id=` on every call. Required (default: none, unless
    /// [`from_env`](Self::from_env) finds `DFINERY_SERVICE_ID`).
    pub fn service_id(self, service_id: impl Into<String>) -> Self {
        self.service_id_from(service_id, ServiceIdSource::Builder)
    }

    /// [`service_id`](Self::service_id), with where the id came from (your code's own
    /// setting, a registry file's `[service] id`, a command-line flag): an error about the id
    /// names that place and the fix there, rather than `ClientBuilder::service_id`.
    pub fn service_id_from(
        mut self,
        service_id: impl Into<String>,
        source: ServiceIdSource,
    ) -> Self {
        self.service_id = Some((service_id.into(), source));
        self.env_unreadable.retain(|name| *name != ENV_SERVICE_ID);
        self
    }

    /// The Import API token (events, identities, profiles), sent as the `access_token` header.
    /// Default: none; the import calls then fail with
    /// [`Error::MissingToken`](super::Error::MissingToken). At least one token is required.
    pub fn import_token(self, token: impl Into<Secret>) -> Self {
        self.import_token_from(token, TokenSource::Builder)
    }

    /// [`import_token`](Self::import_token), with where the token came from (a command-line
    /// flag, say): an error about the token names that place and the fix there, rather than
    /// `ClientBuilder::import_token`.
    pub fn import_token_from(mut self, token: impl Into<Secret>, source: TokenSource) -> Self {
        self.import_token = Some(token.into());
        self.import_token_source = source;
        self.env_unreadable.retain(|name| *name != ENV_IMPORT_TOKEN);
        self
    }

    /// The Export API token, sent as `Authorization: Bearer`. Default: none; the exports then
    /// fail with [`Error::MissingToken`](super::Error::MissingToken).
    pub fn export_token(self, token: impl Into<Secret>) -> Self {
        self.export_token_from(token, TokenSource::Builder)
    }

    /// [`export_token`](Self::export_token), with where the token came from, as
    /// [`import_token_from`](Self::import_token_from).
    pub fn export_token_from(mut self, token: impl Into<Secret>, source: TokenSource) -> Self {
        self.export_token = Some(token.into());
        self.export_token_source = source;
        self.env_unreadable.retain(|name| *name != ENV_EXPORT_TOKEN);
        self
    }

    /// Where DFINERY is. Default: `https://openapi.dfinery.ai`. A path
    /// prefix is kept (`https://proxy.example/dfinery`); a plain `http://` URL is refused unless
    /// its host is loopback (`localhost`, `127.0.0.0/8`, `::1`) or
    /// [`allow_insecure_http`](Self::allow_insecure_http) is set. Each call adds its own path
    /// (`/api/v1/events`, ...), so `build` refuses a base that ends with an endpoint's path, a
    /// path on DFINERY's own host (`https://openapi.dfinery.ai/api/v1`: it has no prefix), and
    /// the legacy Open API's host `openapi.dfinery.io` (another product).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some((url.into(), BUILDER_BASE_URL));
        self.env_unreadable.retain(|name| *name != ENV_BASE_URL);
        self
    }

    /// Allow a plain `http://` base URL to a host that is not loopback. Default: `false`.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The `reqwest` client to send with: its connection pool, proxy, TLS, connect timeout and
    /// `User-Agent` are used as they are (set them on its `reqwest::ClientBuilder`). Default:
    /// one built with rustls, a 10 s connect timeout, `User-Agent: dfinery-rust/<version>` and
    /// no redirects followed (DFINERY documents none; a redirect is
    /// [`Error::Unexpected`](crate::Error::Unexpected)).
    ///
    /// A client given here follows redirects as its policy says (reqwest's default: up to 10),
    /// and reqwest drops only `Authorization` on the way to another host, never the Import
    /// token's `access_token` header: build it with
    /// `.redirect(reqwest::redirect::Policy::none())` unless you trust every host it may be sent to.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The time one attempt of an import call may take, answer included; an export's time to
    /// its first byte. Default: 30 s. At most about 100 years (a longer one, such as
    /// `Duration::MAX`, is taken as that); 0 is refused at [`build`](Self::build).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.min(LONGEST);
        self
    }

    /// The longest an export stream may wait for its next chunk. Default: 60 s. At most about
    /// 100 years (as [`timeout`](Self::timeout)); 0 is refused at [`build`](Self::build).
    pub fn export_read_timeout(mut self, timeout: Duration) -> Self {
        self.export_read_timeout = timeout.min(LONGEST);
        self
    }

    /// When and how often failed calls are retried. Default: [`RetryPolicy::default`]
    /// (5 attempts, 200 ms doubling up to 10 s with full jitter, rate-limit resets waited for
    /// up to 60 s). Its durations are at most about 100 years each (a longer one, such as
    /// `Duration::MAX`, is taken as that).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = RetryPolicy {
            initial_backoff: policy.initial_backoff.min(LONGEST),
            max_backoff: policy.max_backoff.min(LONGEST),
            max_rate_limit_wait: policy.max_rate_limit_wait.min(LONGEST),
            ..policy
        };
        self
    }

    /// The clock rate-limit resets are measured against: retries, pacing and the tracker's
    /// redelivery pause all wait until the server's announced reset *by this clock*.
    /// The typed exports ([`Client::export_event_rows`](crate::Client::export_event_rows) and
    /// the like) check their dates against today *by this clock* too.
    /// Default: the system clock ([`Clock::default`]). Tests against a server with a manual
    /// clock pass the same clock here, so both sides agree on when a window resets and which
    /// days an export reaches. (Events keep the time they are stamped with: give a pinned
    /// test's events their `event_datetime`.)
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// How calls are paced against the rate-limit headers. Default: [`Pacing::default`]
    /// (on; spread the last 10 calls of a window until its reset; waits up to 60 s).
    pub fn pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    /// A rate budget consulted before every call, on top of [`pacing`](Self::pacing): e.g. a
    /// `ratelimit::RedisBudget` (feature `redis`) shared by every instance
    /// of a service. Default: none, each client paces itself from its own answers' headers.
    /// A [`Tracker`](crate::Tracker) built on the client uses it too.
    pub fn rate_budget(mut self, budget: Arc<dyn RateBudget>) -> Self {
        self.rate_budget = Some(budget);
        self
    }

    /// Exports allowed in flight at once; further exports wait for a slot. Default: 5, DFINERY's
    /// limit per service; give more only when DFINERY raised your service's limit. 0 is
    /// refused at [`build`](Self::build).
    pub fn export_concurrency(mut self, exports: usize) -> Self {
        self.export_concurrency = exports;
        self
    }

    /// The most events [`send_events`](Client::send_events) puts in one request, 1 to 100.
    /// Default: 100 (the documented maximum). Items are always limited to 100 per request, all
    /// events together (DFINERY's Open API guide), whatever this says.
    pub fn max_events_per_request(mut self, events: usize) -> Self {
        self.max_events_per_request = events;
        self
    }

    /// Takes the settings found in the environment: `DFINERY_SERVICE_ID`,
    /// `DFINERY_IMPORT_TOKEN`, `DFINERY_EXPORT_TOKEN` and `DFINERY_BASE_URL`. A variable that is
    /// unset or empty leaves the setting as it was; settings made later override it. One set
    /// to text that is not UTF-8 is an error at [`build`](Self::build) naming it, unless its
    /// setting is made later. A service id or token read here is named by its variable in the
    /// errors about it ([`ServiceIdSource::Env`], [`TokenSource::Env`]).
    pub fn from_env(self) -> Self {
        self.apply_env(|name| std::env::var(name))
    }

    /// [`from_env`](Self::from_env) with the variables read through `var`.
    pub(crate) fn apply_env(
        mut self,
        var: impl Fn(&str) -> Result<String, std::env::VarError>,
    ) -> Self {
        let mut unreadable = Vec::new();
        let mut var = |name: &'static str| match var(name) {
            Ok(value) => {
                unreadable.push((name, false));
                Some(value).filter(|v| !v.trim().is_empty())
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                unreadable.push((name, true));
                None
            }
            Err(std::env::VarError::NotPresent) => None,
        };
        if let Some(id) = var(ENV_SERVICE_ID) {
            self.service_id = Some((id.trim().to_owned(), ServiceIdSource::Env));
        }
        if let Some(token) = var(ENV_IMPORT_TOKEN) {
            self.import_token = Some(Secret::new(token.trim()));
            self.import_token_source = TokenSource::Env;
        }
        if let Some(token) = var(ENV_EXPORT_TOKEN) {
            self.export_token = Some(Secret::new(token.trim()));
            self.export_token_source = TokenSource::Env;
        }
        if let Some(url) = var(ENV_BASE_URL) {
            self.base_url = Some((url.trim().to_owned(), "`DFINERY_BASE_URL`"));
        }
        // A variable read now settles its setting, readable or not.
        for (name, bad) in unreadable {
            self.env_unreadable.retain(|n| *n != name);
            if bad {
                self.env_unreadable.push(name);
            }
        }
        self
    }

    /// Checks every setting and builds the client.
    ///
    /// # Errors
    ///
    /// A [`ClientBuildError`] for a missing service id or one holding white space, no token, a
    /// blank token or one holding what no token has (white space, a control or non-ASCII
    /// character, a `Bearer ` prefix), an unusable or insecure base URL, an out-of-range
    /// setting, or an HTTP client that cannot be built.
    pub fn build(self) -> Result<Client, ClientBuildError> {
        if let Some(name) = self.env_unreadable.first() {
            return Err(ClientBuildError::InvalidSetting {
                setting: name,
                reason: "is set but is not valid UTF-8, so it cannot be read; set it to the value the DFINERY console shows",
            });
        }
        let (service_id, service_id_source) = match self.service_id {
            Some((id, source)) if !id.trim().is_empty() => (id, source),
            Some((_, ServiceIdSource::Builder)) | None => {
                return Err(ClientBuildError::MissingServiceId);
            }
            Some((_, given_by)) => {
                return Err(ClientBuildError::InvalidServiceId {
                    given_by,
                    reason: "is empty",
                });
            }
        };
        // Sent in the query of every call: `" svc "` or `"svc\n"` would name another service,
        // and every call would be refused as for an unknown one.
        if service_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ClientBuildError::InvalidServiceId {
                given_by: service_id_source,
                reason: "holds white space or a control character",
            });
        }
        if self.import_token.is_none() && self.export_token.is_none() {
            return Err(ClientBuildError::MissingToken);
        }
        for (token, kind, source) in [
            (
                &self.import_token,
                TokenKind::Import,
                &self.import_token_source,
            ),
            (
                &self.export_token,
                TokenKind::Export,
                &self.export_token_source,
            ),
        ] {
            let Some(token) = token.as_ref() else {
                continue;
            };
            let invalid = |reason| ClientBuildError::InvalidToken {
                kind,
                given_by: source.clone(),
                reason,
            };
            if token.is_blank() {
                return Err(match source {
                    TokenSource::Builder => ClientBuildError::BlankToken(kind),
                    _ => invalid("is empty"),
                });
            }
            let text = token.expose();
            // The export token is sent after `Bearer `: given with it, DFINERY would read
            // `Bearer Bearer …` and call the token invalid.
            if text
                .get(..7)
                .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
            {
                return Err(invalid(
                    "starts with `Bearer `, which the client adds itself",
                ));
            }
            // Sent as a header value (`access_token: …`, `Authorization: Bearer …`): a control
            // character cannot be (the token would go without its header), and white space or
            // a non-ASCII character can but is no part of a DFINERY token (a pasted space or
            // line end), so DFINERY would call the token invalid on every call.
            if !text.chars().all(|c| c.is_ascii_graphic()) {
                return Err(invalid(
                    "holds a character no DFINERY token has (white space, a line break or another control character, or a non-ASCII character)",
                ));
            }
        }
        let (base_url, given_by) = self
            .base_url
            .as_ref()
            .map_or((DEFAULT_BASE_URL, BUILDER_BASE_URL), |(url, by)| {
                (url.as_str(), *by)
            });
        let base_url = check_base_url(base_url, given_by, self.allow_insecure_http)?;
        let base_url_given_by = given_by;
        check_settings(
            &self.retry,
            self.export_concurrency,
            self.max_events_per_request,
            self.timeout,
            self.export_read_timeout,
        )?;
        let http = match self.http_client {
            Some(client) => client,
            None => reqwest::Client::builder()
                .use_rustls_tls()
                .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
                .user_agent(DEFAULT_USER_AGENT)
                // A redirect would take the `access_token` header (which reqwest does not
                // strip, unlike `Authorization`) to whatever host it names.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(ClientBuildError::Http)?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                service_id,
                service_id_source,
                import_token: self.import_token,
                export_token: self.export_token,
                import_token_source: self.import_token_source,
                export_token_source: self.export_token_source,
                base_url,
                base_url_given_by,
                http,
                timeout: self.timeout,
                export_read_timeout: self.export_read_timeout,
                retry: self.retry,
                pacer: Pacer::new(self.pacing, self.clock.clone()).with_budget(self.rate_budget),
                clock: self.clock,
                export_slots: Arc::new(Semaphore::new(self.export_concurrency)),
                max_events_per_request: self.max_events_per_request,
                events_url: std::sync::OnceLock::new(),
            }),
        })
    }
}

fn check_settings(
    retry: &RetryPolicy,
    export_concurrency: usize,
    max_events: usize,
    timeout: Duration,
    export_read_timeout: Duration,
) -> Result<(), ClientBuildError> {
    let invalid = |setting, reason| Err(ClientBuildError::InvalidSetting { setting, reason });
    if retry.max_attempts == 0 {
        return invalid(
            "max_attempts",
            "is 0; give at least 1 (1 turns retries off)",
        );
    }
    if retry.initial_backoff > retry.max_backoff {
        return invalid(
            "initial_backoff",
            "is above `max_backoff`; make it smaller or raise `max_backoff`",
        );
    }
    if export_concurrency == 0 {
        return invalid(
            "export_concurrency",
            "is 0; give at least 1 (DFINERY allows 5 at once unless your service's limit was raised)",
        );
    }
    if export_concurrency > Semaphore::MAX_PERMITS {
        return invalid(
            "export_concurrency",
            "is too large; give the exports DFINERY lets your service run at once (5 unless raised)",
        );
    }
    if !(1..=MAX_EVENTS_PER_REQUEST).contains(&max_events) {
        return invalid("max_events_per_request", "is out of range; give 1 to 100");
    }
    if timeout.is_zero() {
        return invalid(
            "timeout",
            "is zero; give the time one attempt may take, e.g. 30 s",
        );
    }
    if export_read_timeout.is_zero() {
        return invalid(
            "export_read_timeout",
            "is zero; give the longest wait for an export's next chunk, e.g. 60 s",
        );
    }
    Ok(())
}

/// A base URL as an error shows it, parsed or not: without what could be credentials
/// (`user:password@`) or a query or fragment (`?access_token=…`), each written `…`.
fn shown_url(text: &str) -> String {
    let text = text.trim();
    let (scheme, rest) = match text.find("://") {
        Some(at) => text.split_at(at + 3),
        None => ("", text),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let path = match path.find(['?', '#']) {
        Some(at) => format!("{}?…", &path[..at]),
        None => path.to_owned(),
    };
    format!("{scheme}{host}{path}")
}

/// The base URL without a trailing slash, when it is https, or http to loopback (or allowed).
/// How messages name a base URL given to [`ClientBuilder::base_url`].
const BUILDER_BASE_URL: &str = "`base_url`";

/// `text`, given by `given_by` (as messages name it), checked as a base URL.
fn check_base_url(
    text: &str,
    given_by: &'static str,
    allow_insecure_http: bool,
) -> Result<String, ClientBuildError> {
    let invalid = |url: &str, reason: &str| ClientBuildError::InvalidBaseUrl {
        url: shown_url(url),
        reason: reason.to_owned(),
        given_by,
    };
    let url = Url::parse(text.trim()).map_err(|e| {
        invalid(
            text,
            &format!("{e}; write a full URL such as `https://openapi.dfinery.ai`"),
        )
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(invalid(
            shown.as_str(),
            "it holds credentials; remove them, tokens are sent as headers",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            url.as_str(),
            "it has a query or a fragment; give the base only, `?service_id=` is added per call",
        ));
    }
    // Each call adds its endpoint's path (`/api/v1/events`, ...) to the base: a base that
    // already ends with one (the endpoint's URL given for the base) would be answered 404 on
    // every call. A shorter part (`/api`) may be a proxy's prefix, and is left alone.
    let path = url.path().trim_end_matches('/');
    let endpoint_part = Endpoint::ALL
        .into_iter()
        .map(Endpoint::path)
        .find(|endpoint| path.ends_with(endpoint));
    if let Some(part) = endpoint_part {
        return Err(invalid(
            url.as_str(),
            &format!(
                "it ends with `{part}`, an endpoint's path, which the client adds to the base \
                 itself; give the base only, e.g. `{DEFAULT_BASE_URL}`"
            ),
        ));
    }
    // DFINERY's own host serves the API at its root: a path there (`/api/v1` copied from the
    // guide's curl examples) would double each call's path and be answered 404 on every call.
    // (Elsewhere a path may be a proxy's prefix.) The legacy Open API's host is another product.
    let host = url.host_str().unwrap_or_default();
    if host.eq_ignore_ascii_case("openapi.dfinery.ai") && !path.is_empty() {
        return Err(invalid(
            url.as_str(),
            &format!(
                "DFINERY serves its API at the host's root, and each call adds its own path \
                 (`/api/v1/events`, ...) to the base; give the host alone, `{DEFAULT_BASE_URL}`"
            ),
        ));
    }
    if host.eq_ignore_ascii_case("openapi.dfinery.io") {
        return Err(invalid(
            url.as_str(),
            &format!(
                "`openapi.dfinery.io` is the legacy DFINERY Open API, another product with \
                 other endpoints and payloads; this client speaks the API of `{DEFAULT_BASE_URL}`"
            ),
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(ClientBuildError::InsecureBaseUrl {
                url: url.as_str().trim_end_matches('/').to_owned(),
                given_by,
            });
        }
        _ => {
            return Err(invalid(
                url.as_str(),
                "the scheme is neither `https` nor `http`; use `https://`",
            ));
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> ClientBuilder {
        ClientBuilder::default()
            .service_id("svc")
            .import_token("import-secret")
    }

    #[test]
    fn defaults_build_against_the_documented_url() {
        let client = base().build().unwrap();
        assert_eq!(client.base_url(), "https://openapi.dfinery.ai");
        assert_eq!(client.service_id(), "svc");
        assert_eq!(*client.retry_policy(), RetryPolicy::default());
    }

    #[test]
    fn https_and_loopback_http_are_accepted_and_trailing_slashes_dropped() {
        for (given, kept) in [
            ("https://example.com/", "https://example.com"),
            (
                "https://proxy.example/dfinery/",
                "https://proxy.example/dfinery",
            ),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("http://127.1.2.3", "http://127.1.2.3"),
            ("http://localhost:9", "http://localhost:9"),
            ("http://[::1]:9", "http://[::1]:9"),
        ] {
            let client = base().base_url(given).build().unwrap();
            assert_eq!(client.base_url(), kept, "{given}");
        }
    }

    #[test]
    fn a_base_url_naming_an_endpoint_is_refused() {
        // Accepted, then every call went to `/api/v1/events/api/v1/events` and was answered 404.
        for (given, part) in [
            ("https://openapi.dfinery.ai/api/v1/events", "/api/v1/events"),
            (
                "https://openapi.dfinery.ai/api/v1/user-profile/",
                "/api/v1/user-profile",
            ),
            (
                "https://x.example/p/api/v1/export/event/",
                "/api/v1/export/event",
            ),
            (
                "http://127.0.0.1:9/api/v1/identities/delete",
                "/api/v1/identities/delete",
            ),
        ] {
            let error = base().base_url(given).build().unwrap_err();
            assert!(
                matches!(error, ClientBuildError::InvalidBaseUrl { .. }),
                "{given}: {error}"
            );
            assert!(
                error.to_string().contains(&format!(
                    ": it ends with `{part}`, an endpoint's path, which the client adds to the \
                     base itself; give the base only, e.g. `https://openapi.dfinery.ai`"
                )),
                "{given}: {error}"
            );
        }
        for fine in [
            "https://x.example/api",
            "https://x.example/api/v1",
            "https://x.example/api/v1/eventsx",
            "https://openapi.dfinery.ai/",
            "https://OpenAPI.dfinery.ai",
        ] {
            assert!(base().base_url(fine).build().is_ok(), "{fine}");
        }
    }

    /// `https://openapi.dfinery.ai/api/v1`, copied from the guide's curl examples, was
    /// accepted (a path may be a proxy's prefix), and every call then went to
    /// `/api/v1/api/v1/events` and was answered 404. DFINERY's own host has no prefix, so a path
    /// there is refused at build; the legacy Open API's host is another product.
    #[test]
    fn a_path_on_dfinery_s_own_host_and_the_legacy_host_are_refused() {
        for given in [
            "https://openapi.dfinery.ai/api/v1",
            "https://openapi.dfinery.ai/api/v1/",
            "https://openapi.dfinery.ai/api",
            "https://OPENAPI.dfinery.ai/v1",
        ] {
            let error = base().base_url(given).build().unwrap_err();
            assert!(
                matches!(error, ClientBuildError::InvalidBaseUrl { .. }),
                "{given}: {error}"
            );
            let message = error.to_string();
            assert!(
                message.contains("give the host alone, `https://openapi.dfinery.ai`"),
                "{given}: {message}"
            );
        }
        let error = base()
            .base_url("https://openapi.dfinery.io")
            .build()
            .unwrap_err();
        assert!(
            error.to_string().contains("the legacy DFINERY Open API"),
            "{error}"
        );
    }

    #[test]
    fn plain_http_elsewhere_is_refused_unless_allowed() {
        let error = base().base_url("http://example.com").build().unwrap_err();
        assert!(matches!(error, ClientBuildError::InsecureBaseUrl { .. }));
        assert!(
            error.to_string().contains("allow_insecure_http(true)"),
            "{error}"
        );
        assert!(
            base()
                .base_url("http://10.0.0.5")
                .allow_insecure_http(true)
                .build()
                .is_ok()
        );
    }

    #[test]
    fn bad_urls_are_refused_without_showing_credentials() {
        for bad in [
            "openapi.dfinery.ai",
            "ftp://x.example",
            "https://x.example/?a=1",
            "",
        ] {
            assert!(
                matches!(
                    base().base_url(bad).build(),
                    Err(ClientBuildError::InvalidBaseUrl { .. })
                ),
                "{bad}"
            );
        }
        let error = base()
            .base_url("https://user:hunter2@x.example")
            .build()
            .unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(matches!(error, ClientBuildError::InvalidBaseUrl { .. }));
        // Nor when the URL does not parse (a bad port), nor a query's token.
        for (bad, shown) in [
            (
                "https://user:hunter2@x.example:99999/p?k=v",
                "`https://x.example:99999/p?…`",
            ),
            (
                "https://x.example/?access_token=hunter2",
                "`https://x.example/?…`",
            ),
            ("user:hunter2@x.example:99999", "`x.example:99999`"),
        ] {
            let error = base().base_url(bad).build().unwrap_err();
            let text = error.to_string();
            assert!(!text.contains("hunter2"), "{text}");
            assert!(text.contains(shown), "{text}");
        }
    }

    #[test]
    fn service_id_and_a_token_are_required_and_tokens_must_not_be_blank() {
        assert!(matches!(
            ClientBuilder::default().import_token("t").build(),
            Err(ClientBuildError::MissingServiceId)
        ));
        assert!(matches!(
            ClientBuilder::default()
                .service_id(" ")
                .import_token("t")
                .build(),
            Err(ClientBuildError::MissingServiceId)
        ));
        assert!(matches!(
            ClientBuilder::default().service_id("s").build(),
            Err(ClientBuildError::MissingToken)
        ));
        assert!(matches!(
            base().export_token("  ").build(),
            Err(ClientBuildError::BlankToken(TokenKind::Export))
        ));
        assert!(
            ClientBuilder::default()
                .service_id("s")
                .export_token("e")
                .build()
                .is_ok()
        );
    }

    #[test]
    fn a_service_id_or_token_dfinery_would_refuse_is_refused_at_build_naming_it() {
        // Each was accepted, then every call was refused as an unknown service or an invalid
        // token.
        let refused = |builder: ClientBuilder, kind: TokenKind, words: &str| {
            let error = builder.build().unwrap_err();
            let text = error.to_string();
            assert!(
                matches!(&error, ClientBuildError::InvalidToken { kind: k, given_by: TokenSource::Builder, .. } if *k == kind),
                "{text}"
            );
            assert!(text.contains(words), "{text}");
            assert!(!text.contains("SECRET"), "{text}");
        };
        for token in [" SECRET", "SECRET\n", "SEC RET", "SECRÉT", "SECRET\u{a0}"] {
            refused(
                base().import_token(token),
                TokenKind::Import,
                "holds a character no DFINERY token has",
            );
            refused(
                base().export_token(token),
                TokenKind::Export,
                "holds a character no DFINERY token has",
            );
        }
        refused(
            base().export_token("Bearer SECRET"),
            TokenKind::Export,
            "starts with `Bearer `, which the client adds itself",
        );
        assert!(base().service_id("my-service_1.x").build().is_ok());
        assert!(base().export_token("bearer-SECRET").build().is_ok());
    }

    /// A token that cannot be sent is named by where it came from, with the fix there: one
    /// read from `DFINERY_IMPORT_TOKEN` was called `import_token`, the builder's setting, and
    /// a user looked for it in code that never set it.
    #[test]
    fn a_token_that_cannot_be_sent_names_where_it_came_from() {
        let refused = |builder: ClientBuilder, expected: &str| {
            let error = builder.service_id("svc").build().unwrap_err();
            assert!(
                matches!(error, ClientBuildError::InvalidToken { .. }),
                "{error:?}"
            );
            assert_eq!(error.to_string(), expected);
            assert!(!format!("{error:?}").contains("SECRET"), "{error:?}");
        };
        refused(
            ClientBuilder::default().import_token("SEC RET"),
            "the import token from `ClientBuilder::import_token` holds a character no DFINERY token has (white space, a line break or another control character, or a non-ASCII character); give `ClientBuilder::import_token` the import token the DFINERY console shows",
        );
        // The environment is trimmed; white space inside stays.
        let env = |name: &str| match name {
            ENV_IMPORT_TOKEN => Ok(" SEC RET ".to_owned()),
            ENV_EXPORT_TOKEN => Ok("Bearer SECRET".to_owned()),
            _ => Err(std::env::VarError::NotPresent),
        };
        refused(
            ClientBuilder::default().apply_env(env),
            "the import token from `DFINERY_IMPORT_TOKEN` holds a character no DFINERY token has (white space, a line break or another control character, or a non-ASCII character); set `DFINERY_IMPORT_TOKEN` to the import token the DFINERY console shows",
        );
        refused(
            ClientBuilder::default()
                .apply_env(env)
                .import_token("SECRET"),
            "the export token from `DFINERY_EXPORT_TOKEN` starts with `Bearer `, which the client adds itself; set `DFINERY_EXPORT_TOKEN` to the export token the DFINERY console shows",
        );
        refused(
            ClientBuilder::default()
                .export_token_from(" ", TokenSource::Flag("--export-token".to_owned())),
            "the export token from `--export-token` is empty; pass `--export-token` the export token the DFINERY console shows",
        );
        // A later setting replaces the token and where it came from.
        let client = ClientBuilder::default()
            .service_id("svc")
            .apply_env(env)
            .import_token("SECRET")
            .export_token_from("SECRET", TokenSource::Flag("--export-token".to_owned()))
            .build()
            .unwrap();
        assert_eq!(
            client.token_source(TokenKind::Import),
            Some(&TokenSource::Builder)
        );
        assert_eq!(
            client.token_source(TokenKind::Export),
            Some(&TokenSource::Flag("--export-token".to_owned()))
        );
        let client = ClientBuilder::default()
            .service_id("svc")
            .import_token("SECRET")
            .apply_env(|name| match name {
                ENV_IMPORT_TOKEN => Ok("ENV-SECRET".to_owned()),
                _ => Err(std::env::VarError::NotPresent),
            })
            .build()
            .unwrap();
        assert_eq!(
            client.token_source(TokenKind::Import),
            Some(&TokenSource::Env)
        );
        // No token of that kind, no source.
        assert_eq!(client.token_source(TokenKind::Export), None);
    }

    /// A service id that cannot be sent is named by where it came from, with the fix there:
    /// one read from `DFINERY_SERVICE_ID` was called `service_id`, the builder's setting,
    /// and a user looked for it in code that never set it.
    #[test]
    fn a_service_id_that_cannot_be_sent_names_where_it_came_from() {
        let refused = |builder: ClientBuilder, expected: &str| {
            let error = builder.import_token("t").build().unwrap_err();
            assert!(
                matches!(error, ClientBuildError::InvalidServiceId { .. }),
                "{error:?}"
            );
            assert_eq!(error.to_string(), expected);
        };
        for id in [" svc", "svc ", "svc\n", "s vc", "svc\u{3000}"] {
            refused(
                ClientBuilder::default().service_id(id),
                "the service id from `ClientBuilder::service_id` holds white space or a control character; give `ClientBuilder::service_id` the service id the DFINERY console shows",
            );
        }
        // The environment is trimmed; white space inside stays.
        let env = |name: &str| match name {
            ENV_SERVICE_ID => Ok("my shop".to_owned()),
            _ => Err(std::env::VarError::NotPresent),
        };
        refused(
            ClientBuilder::default().apply_env(env),
            "the service id from `DFINERY_SERVICE_ID` holds white space or a control character; set `DFINERY_SERVICE_ID` to the service id the DFINERY console shows",
        );
        refused(
            ClientBuilder::default().service_id_from(
                "my\tshop",
                ServiceIdSource::Registry("conf/dfinery.toml".into()),
            ),
            "the service id from `id` of `[service]` in `conf/dfinery.toml` holds white space or a control character; set `id` of `[service]` in `conf/dfinery.toml` to the service id the DFINERY console shows",
        );
        refused(
            ClientBuilder::default()
                .service_id_from(" ", ServiceIdSource::Flag("--service-id".to_owned())),
            "the service id from `--service-id` is empty; pass `--service-id` the service id the DFINERY console shows",
        );
        // A later setting replaces the id and where it came from.
        let client = ClientBuilder::default()
            .apply_env(env)
            .service_id("shop")
            .import_token("t")
            .build()
            .unwrap();
        assert_eq!(client.service_id_source(), &ServiceIdSource::Builder);
        let client = ClientBuilder::default()
            .service_id("shop")
            .apply_env(|name| match name {
                ENV_SERVICE_ID => Ok("env-shop".to_owned()),
                _ => Err(std::env::VarError::NotPresent),
            })
            .import_token("t")
            .build()
            .unwrap();
        assert_eq!(
            (client.service_id(), client.service_id_source()),
            ("env-shop", &ServiceIdSource::Env)
        );
    }

    #[test]
    fn out_of_range_settings_are_refused() {
        let cases = [
            base().retry(RetryPolicy {
                max_attempts: 0,
                ..RetryPolicy::default()
            }),
            base().retry(RetryPolicy {
                initial_backoff: Duration::from_secs(60),
                ..RetryPolicy::default()
            }),
            base().export_concurrency(0),
            base().export_concurrency(usize::MAX),
            base().max_events_per_request(0),
            base().max_events_per_request(101),
            base().timeout(Duration::ZERO),
            base().export_read_timeout(Duration::ZERO),
        ];
        for builder in cases {
            let error = builder.build().unwrap_err();
            assert!(
                matches!(error, ClientBuildError::InvalidSetting { .. }),
                "{error}"
            );
        }
    }

    #[test]
    fn the_environment_fills_what_it_has() {
        let env = |name: &str| match name {
            ENV_SERVICE_ID => Ok(" env-svc ".to_owned()),
            ENV_IMPORT_TOKEN => Ok("env-import".to_owned()),
            ENV_EXPORT_TOKEN => Ok(String::new()),
            ENV_BASE_URL => Ok("http://127.0.0.1:1".to_owned()),
            _ => Err(std::env::VarError::NotPresent),
        };
        let builder = ClientBuilder::default().export_token("kept").apply_env(env);
        assert_eq!(
            builder.service_id,
            Some(("env-svc".to_owned(), ServiceIdSource::Env))
        );
        assert_eq!(
            builder.import_token.as_ref().unwrap().expose(),
            "env-import"
        );
        // Empty is unset: the earlier value stays.
        assert_eq!(builder.export_token.as_ref().unwrap().expose(), "kept");
        let client = builder.build().unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:1");
        let nothing = ClientBuilder::default().apply_env(|_| Err(std::env::VarError::NotPresent));
        assert!(matches!(
            nothing.build(),
            Err(ClientBuildError::MissingServiceId)
        ));
    }

    #[test]
    fn a_base_url_from_the_environment_is_named_by_its_variable() {
        // It was named `base_url`, the builder's method, which a user who set only
        // `DFINERY_BASE_URL` never called.
        let env = |bad: &'static str| {
            move |name: &str| match name {
                ENV_SERVICE_ID => Ok("svc".to_owned()),
                ENV_IMPORT_TOKEN => Ok("token".to_owned()),
                ENV_BASE_URL => Ok(bad.to_owned()),
                _ => Err(std::env::VarError::NotPresent),
            }
        };
        let invalid = ClientBuilder::default()
            .apply_env(env("nonsense"))
            .build()
            .unwrap_err();
        assert!(
            matches!(
                invalid,
                ClientBuildError::InvalidBaseUrl {
                    given_by: "`DFINERY_BASE_URL`",
                    ..
                }
            ),
            "{invalid:?}"
        );
        assert!(
            invalid
                .to_string()
                .starts_with("invalid `DFINERY_BASE_URL` `nonsense`: "),
            "{invalid}"
        );
        let insecure = ClientBuilder::default()
            .apply_env(env("http://example.com"))
            .build()
            .unwrap_err();
        assert!(
            insecure
                .to_string()
                .starts_with("`DFINERY_BASE_URL` `http://example.com` sends tokens unencrypted"),
            "{insecure}"
        );
        // Given in code afterwards, it is the builder's setting again.
        let later = ClientBuilder::default()
            .apply_env(env("http://example.com"))
            .base_url("nonsense")
            .build()
            .unwrap_err();
        assert!(
            later
                .to_string()
                .starts_with("invalid `base_url` `nonsense`"),
            "{later}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_base_url_from_the_environment_is_named_by_its_variable() {
        // The build errors named `DFINERY_BASE_URL`, but a request that could not reach the
        // URL read from it said "check the network and `base_url`", the builder's method the
        // user never called.
        let env = |name: &str| match name {
            ENV_SERVICE_ID => Ok("svc".to_owned()),
            ENV_IMPORT_TOKEN => Ok("token".to_owned()),
            ENV_BASE_URL => Ok("http://127.0.0.1:1".to_owned()),
            _ => Err(std::env::VarError::NotPresent),
        };
        let once = crate::RetryPolicy {
            max_attempts: 1,
            ..crate::RetryPolicy::default()
        };
        let from_env = ClientBuilder::default()
            .apply_env(env)
            .retry(once)
            .build()
            .unwrap();
        let error = from_env
            .identify(&crate::Identity::new(crate::Identifier::ExternalId, "u1").unwrap())
            .await
            .unwrap_err();
        assert!(matches!(error, crate::Error::Transport { .. }), "{error:?}");
        assert!(
            error
                .to_string()
                .ends_with("check the network and `DFINERY_BASE_URL`"),
            "{error}"
        );
        let in_code = ClientBuilder::default()
            .apply_env(env)
            .base_url("http://127.0.0.1:1")
            .retry(once)
            .build()
            .unwrap();
        let error = in_code
            .identify(&crate::Identity::new(crate::Identifier::ExternalId, "u1").unwrap())
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("check the network and `base_url`"),
            "{error}"
        );
    }

    /// A server on loopback answering each request (its first bytes, up to 64 KiB) with what
    /// `answer` gives; its base URL.
    async fn raw_server(answer: fn(&[u8]) -> Vec<u8>) -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let mut request = vec![0; 64 * 1024];
                let read = socket.read(&mut request).await.unwrap_or(0);
                let _ = socket.write_all(&answer(&request[..read])).await;
            }
        });
        url
    }

    /// A client of `url`, given through `DFINERY_BASE_URL` (`from_env`) or `base_url`, with
    /// how its messages name that setting.
    fn client_given(url: &str, from_env: bool) -> (crate::Client, &'static str) {
        let env = |name: &str| match name {
            ENV_SERVICE_ID => Ok("svc".to_owned()),
            ENV_IMPORT_TOKEN => Ok("token".to_owned()),
            ENV_BASE_URL if from_env => Ok(url.to_owned()),
            _ => Err(std::env::VarError::NotPresent),
        };
        let mut builder = ClientBuilder::default()
            .apply_env(env)
            .export_token("export");
        if !from_env {
            builder = builder.base_url(url);
        }
        let named = if from_env {
            "`DFINERY_BASE_URL`"
        } else {
            "`base_url`"
        };
        (builder.build().unwrap(), named)
    }

    /// An export error body the server wrote into the CSV after it had started, with a message
    /// DFINERY does not document: `collect_bytes` gives `Error::Unexpected`, whose fix names
    /// where the base URL came from, as the same answer before the CSV does. It said "check
    /// `base_url`" to a user of `DFINERY_BASE_URL`, its `base_url_given_by` being `None`
    /// though the error came from a `Client` call.
    #[tokio::test]
    async fn an_undocumented_error_inside_the_csv_names_where_the_base_url_came_from() {
        let url = raw_server(|_| {
            let body = "a,b\r\n1,2\r\n{\"result\":\"fail\",\"message\":\"strange_error\"}";
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .await;
        for from_env in [true, false] {
            let (client, named) = client_given(&url, from_env);
            let today = crate::export::EventQuery::last_days(1)
                .to_request()
                .unwrap();
            let stream = client.export_events(&today).await.unwrap();
            let error = stream.collect_bytes().await.unwrap_err();
            assert!(
                matches!(error, crate::Error::Unexpected { status: 200, .. }),
                "{error:?}"
            );
            assert!(
                error.to_string().contains(&format!("check {named}")),
                "{error}"
            );
        }
    }

    /// A base URL read from `DFINERY_BASE_URL` that answers 404 (a proxy's prefix left out,
    /// another server on the port): the undocumented answer's fix names the variable, as the
    /// build and transport errors do; so do a profile update refused as too large (it holds
    /// one user) and an export answered with an HTML page. Before, each said "check
    /// `base_url`", a builder method the user never called.
    #[tokio::test]
    async fn an_undocumented_answer_names_where_the_base_url_came_from() {
        let url = raw_server(|request| {
            let answer: &[u8] = if request.starts_with(b"POST /api/v1/export/") {
                b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 6\r\nconnection: close\r\n\r\n<html>"
            } else if request.starts_with(b"POST /api/v1/user-profile") {
                b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 78\r\nconnection: close\r\n\r\n{\"status\":false,\"code\":\"40403\",\"message\":\"TOO_MANY_USER_PROFILES\",\"data\":null}"
            } else {
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot found"
            };
            answer.to_vec()
        })
        .await;
        let user = crate::Identity::new(crate::Identifier::ExternalId, "u1").unwrap();
        for from_env in [true, false] {
            let (client, named) = client_given(&url, from_env);
            let error = client.identify(&user).await.unwrap_err();
            assert!(
                matches!(error, crate::Error::Unexpected { status: 404, .. }),
                "{error:?}"
            );
            assert!(
                error.to_string().contains(&format!("check {named}")),
                "{error}"
            );
            // A profile update refused as too large, which holds one user: the same fix.
            let profile = crate::UserProperties::builder()
                .property("df_gender", "Female")
                .build()
                .unwrap();
            let error = client.update_profile(&user, profile).await.unwrap_err();
            assert!(
                matches!(error, crate::Error::TooManyEvents { .. }),
                "{error:?}"
            );
            assert!(
                error.to_string().contains(&format!("check {named}")),
                "{error}"
            );
            // An export answered with a login page: the same fix.
            let today = crate::export::EventQuery::last_days(1)
                .to_request()
                .unwrap();
            let Err(error) = client.export_events(&today).await else {
                panic!("an HTML page is no export");
            };
            assert!(
                matches!(error, crate::Error::Decode { status: 200, .. }),
                "{error:?}"
            );
            assert!(
                error.to_string().contains(&format!("check {named}")),
                "{error}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_variable_that_is_not_utf8_is_named_unless_its_setting_is_made_later() {
        // It was skipped as if unset: "no service id; give one with ... `DFINERY_SERVICE_ID`"
        // to a user who had set it.
        use std::os::unix::ffi::OsStringExt as _;
        let not_utf8 = || std::env::VarError::NotUnicode(std::ffi::OsString::from_vec(vec![0xFF]));
        for bad in [
            ENV_SERVICE_ID,
            ENV_IMPORT_TOKEN,
            ENV_EXPORT_TOKEN,
            ENV_BASE_URL,
        ] {
            let env = |name: &str| {
                if name == bad {
                    Err(not_utf8())
                } else {
                    Err(std::env::VarError::NotPresent)
                }
            };
            let error = base().apply_env(env).build().unwrap_err();
            assert!(
                matches!(error, ClientBuildError::InvalidSetting { setting, .. } if setting == bad),
                "{error}"
            );
            assert_eq!(
                error.to_string(),
                format!(
                    "`{bad}` is set but is not valid UTF-8, so it cannot be read; set it to the value the DFINERY console shows"
                )
            );
        }
        // A setting made later wins, as over any variable.
        let env = |_: &str| Err(not_utf8());
        let later = ClientBuilder::default()
            .apply_env(env)
            .service_id("svc")
            .import_token("t")
            .export_token("e")
            .base_url("https://x.example");
        assert!(later.build().is_ok());
        // So does the variable read again, once readable.
        let fixed = base()
            .apply_env(|name| {
                if name == ENV_SERVICE_ID {
                    Err(not_utf8())
                } else {
                    Err(std::env::VarError::NotPresent)
                }
            })
            .apply_env(|name| {
                if name == ENV_SERVICE_ID {
                    Ok("svc2".to_owned())
                } else {
                    Err(std::env::VarError::NotPresent)
                }
            });
        assert_eq!(fixed.build().unwrap().service_id(), "svc2");
    }

    /// A base URL holding credentials or a token in its query is refused at build, and the
    /// error never shows them; the builder's `Debug` (derived) showed them as given.
    #[test]
    fn the_builders_debug_shows_no_credentials_or_query_of_the_base_url() {
        for url in [
            "https://user:SECRET-PW@proxy.example/dfinery",
            "https://proxy.example/dfinery?access_token=SECRET-Q",
            "https://proxy.example/dfinery#SECRET-F",
            "not a url user:SECRET-PW@x?SECRET-Q",
        ] {
            let builder = base().base_url(url);
            for shown in [format!("{builder:?}"), format!("{builder:#?}")] {
                assert!(!shown.contains("SECRET"), "{shown}");
                assert!(
                    shown.contains("proxy.example/dfinery") || shown.contains("x?…"),
                    "{shown}"
                );
            }
            let error = builder.build().unwrap_err();
            assert!(
                !format!("{error} {error:?}").contains("SECRET"),
                "{error:?}"
            );
        }
    }

    #[test]
    fn debug_never_shows_a_token() {
        let builder = base().export_token("export-secret");
        let client = builder.clone().build().unwrap();
        for shown in [
            format!("{builder:?}"),
            format!("{client:?}"),
            format!("{client:#?}"),
        ] {
            assert!(!shown.contains("import-secret"), "{shown}");
            assert!(!shown.contains("export-secret"), "{shown}");
        }
        let error = base().export_token("").build().unwrap_err();
        assert!(!format!("{error} {error:?}").contains("import-secret"));
    }
}
