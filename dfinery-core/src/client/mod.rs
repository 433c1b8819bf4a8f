//! [`Client`]: calls every DFINERY endpoint, with typed errors, retries that never duplicate an
//! event, and pacing against the rate-limit headers. The user-facing documentation is on
//! [`Client`] (this module is private: its types are re-exported at the crate root).

mod builder;
mod classify;
mod error;
mod events;
mod export;
mod import;
mod retry;
mod source;
pub(crate) mod split;
mod transport;

pub use builder::{ClientBuildError, ClientBuilder};
pub use classify::classify;
pub use error::{Error, InvalidEvent, ServerCode};
#[cfg(feature = "tracker")]
pub(crate) use events::unsendable;
pub use events::{IntoEventRecord, RequestReport, SendError, SendReport};
pub use export::ByteStream;
pub use import::IntoUserProperties;
pub use retry::RetryPolicy;
pub use source::{ServiceIdSource, TokenSource};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::ratelimit::{Api, Pacer, PacingStats, RateLimitSnapshot};
use crate::secret::Secret;

/// A DFINERY client. Build one with [`Client::builder`]; clones are cheap and share the
/// connection pool, the rate-limit state and the export slots.
///
/// ```no_run
/// use dfinery_core::{Client, EventRecord, Identifier, Identity};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder().from_env().build()?; // DFINERY_SERVICE_ID, DFINERY_IMPORT_TOKEN, …
/// let user = Identity::new(Identifier::ExternalId, "dfn-user-123")?;
/// client.identify(&user).await?;
/// let login = EventRecord::builder("df_login").build()?;
/// let report = client.send_events(&user, [login]).await?;
/// assert_eq!(report.events, 1);
/// # Ok(()) }
/// ```
///
/// Success is HTTP 2xx **and** code `20000`; everything else is an [`Error`]. Retryable
/// failures are retried under the [`RetryPolicy`]; calls are paced under [`Pacing`].
///
/// [`Pacing`]: crate::ratelimit::Pacing
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    service_id: String,
    /// Where `service_id` came from, named in the errors about it.
    service_id_source: ServiceIdSource,
    import_token: Option<Secret>,
    export_token: Option<Secret>,
    /// Where `import_token` came from, named in the errors about it.
    import_token_source: TokenSource,
    /// Where `export_token` came from, named in the errors about it.
    export_token_source: TokenSource,
    /// Without a trailing slash.
    base_url: String,
    /// Where `base_url` was given, as messages name it (`` `base_url` `` or
    /// `` `DFINERY_BASE_URL` ``), for [`Error::Transport`](crate::Error::Transport) and
    /// [`Error::Unexpected`](crate::Error::Unexpected).
    base_url_given_by: &'static str,
    http: reqwest::Client,
    timeout: Duration,
    export_read_timeout: Duration,
    retry: RetryPolicy,
    pacer: Pacer,
    clock: Clock,
    export_slots: Arc<Semaphore>,
    max_events_per_request: usize,
    /// The URL of `POST /api/v1/events` with its `service_id`, parsed on first use and cloned
    /// for every request after (`None` when it does not parse: each request then reports it).
    events_url: std::sync::OnceLock<Option<reqwest::Url>>,
}

impl Client {
    /// A builder with every default; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The service id sent as `?service_id=`.
    pub fn service_id(&self) -> &str {
        &self.inner.service_id
    }

    /// Where the service id came from ([`ClientBuilder::service_id_from`]; by default
    /// [`ServiceIdSource::Builder`], or [`ServiceIdSource::Env`] from
    /// [`from_env`](ClientBuilder::from_env)).
    pub fn service_id_source(&self) -> &ServiceIdSource {
        &self.inner.service_id_source
    }

    /// Where the `kind` token came from ([`ClientBuilder::import_token_from`] and
    /// [`export_token_from`](ClientBuilder::export_token_from); by default
    /// [`TokenSource::Builder`], or [`TokenSource::Env`] from
    /// [`from_env`](ClientBuilder::from_env)); `None` when the client has no such token.
    pub fn token_source(&self, kind: crate::wire::TokenKind) -> Option<&TokenSource> {
        self.inner.token_source(kind)
    }

    /// The base URL, without a trailing slash, e.g. `https://openapi.dfinery.ai`.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Whether the client has an Import API token (the tracker needs one).
    #[cfg(feature = "tracker")]
    pub(crate) fn has_import_token(&self) -> bool {
        self.inner.import_token.is_some()
    }

    /// The retry policy in force (for the builder's tests).
    #[cfg(test)]
    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The clock rate-limit waits are measured against (see [`ClientBuilder::clock`]); the
    /// Tracker's backoff and the typed exports' date checks read it.
    pub(crate) fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// When pacing lets the next call to `api` go, as seen at `now` (see [`Pacer::gate`]).
    #[cfg(feature = "tracker")]
    pub(crate) fn pacing_gate(
        &self,
        api: Api,
        now: tokio::time::Instant,
    ) -> crate::ratelimit::Gate {
        self.inner.pacer.gate(api, now)
    }

    /// The rate-limit headers of the latest answer from `api`; `None` before the first one.
    pub fn rate_limit(&self, api: Api) -> Option<RateLimitSnapshot> {
        self.inner.pacer.snapshot(api)
    }

    /// What pacing did so far: calls that waited, for how long in all, and how many answers
    /// said the rate limit was exceeded.
    pub fn pacing_stats(&self) -> PacingStats {
        self.inner.pacer.stats()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Client")
            .field("service_id", &inner.service_id)
            .field("base_url", &inner.base_url)
            .field("import_token", &inner.import_token)
            .field("export_token", &inner.export_token)
            .field("timeout", &inner.timeout)
            .field("retry", &inner.retry)
            .field("max_events_per_request", &inner.max_events_per_request)
            .finish_non_exhaustive()
    }
}
