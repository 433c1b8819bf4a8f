//! A local DFINERY: a real HTTP server that behaves as the DFINERY Open API does, for tests,
//! examples, benchmarks and laptops without a network.
//!
//! It serves the six endpoints of `docs/protocol.md` §1.5 with the same authentication
//! (`access_token` for Import, `Authorization: Bearer` for Export, the wrong kind refused),
//! the same validation against the same registry (`dfinery.toml`, via `dfinery-schema`), the
//! same result codes, the `x-ratelimit-*` headers and the CSV export. It keeps what it accepts
//! (events de-duplicated on `event_log_id`, unified profiles, user properties) so a test can
//! read it back, and it can inject faults (scripted answers, server errors, dropped
//! connections, latency) from a seed so that a failing test replays.
//!
//! ```no_run
//! use dfinery_emulator::Emulator;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start().await?;
//! let response = reqwest::Client::new()
//!     .post(emulator.url("/api/v1/identities"))
//!     .header("access_token", emulator.import_token())
//!     .json(&serde_json::json!({
//!         "identity": {"external_id": "dfn-user-123"},
//!         "request_datetime": "2024-06-24T06:01:48.501Z"
//!     }))
//!     .send()
//!     .await?;
//! assert_eq!(response.status(), 200);
//! assert!(emulator.profile("dfn-user-123").is_some());
//! # Ok(()) }
//! ```
//!
//! # Validation order (`docs/protocol.md` §10)
//!
//! 1. `service_id` missing: HTTP 400 `40000` (Export: 400 `invalid_parameter`); another
//!    service's id, or the parameter given twice: `40101` (Export: 401 `unauthorized_token`).
//! 2. Token missing, wrong or of the other kind: `40201` (Export: 401 `unauthorized_token`).
//! 3. Rate limit: HTTP 429 `40401` (or 200 + `40401`, see
//!    [`EmulatorBuilder::rate_limit_status_200`]); Export: 429 `too_many_api_requests`, also
//!    when 5 exports are already in flight (then with the hourly window's real
//!    `x-ratelimit-remaining`, not 0: the refused call is counted, the window is not spent).
//! 4. Faults ([`FaultConfig`]).
//! 5. Body: not `Content-Type: application/json`, compressed (`Content-Encoding`), over 16 MB
//!    or not sent in full within 30 s, not JSON, or the wrong top-level shape (missing or
//!    unknown top-level fields): HTTP 400 `40000` (Export: `invalid_parameter`).
//! 6. Counts: more than 100 events is `40402`; several profiles in one `/user-profile` body
//!    (a JSON array of profiles, or `user_properties` given as an array) is `40403`.
//! 7. Identity and values: `40001` with `data` listing every [`ServerViolation`] (JSON path, rule,
//!    what was expected), the first 100 of them and then one `truncated` entry counting the
//!    rest; texts over 1 KB are cut. A bad event rejects the whole request.
//!
//! Export failures other than those are answered only through faults: `client_connection_closed`,
//! `unknown_error` and `query_error` via [`ScriptedResponse::export`] or
//! [`ScriptedResponse::ServerError`].
//!
//! # The inspector page
//!
//! With [`EmulatorBuilder::inspector`] (`dfinery emulator --inspect`), `/_emulator/` serves a
//! page compiled into the crate that shows each request live (server-sent events): its events
//! with typed properties and the violations on the property they concern, registry coverage,
//! rate limits with their 429s, and a profile search. It keeps its own bounded copy of the last
//! [`inspector_capacity`](EmulatorBuilder::inspector_capacity) requests.
//!
//! Every answer of the six endpoints carries `x-ratelimit-limit` (the window, e.g. `1m`),
//! `x-ratelimit-remaining` and `x-ratelimit-reset` (epoch milliseconds). Tokens are compared in
//! constant time and never logged or printed.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod builder;
mod clock;
mod codes;
mod config;
mod error;
mod export;
mod handle;
mod inspector;
mod model;
mod secret;
mod server;
mod state;
mod validate;

pub use builder::{
    DEFAULT_EXPORT_TOKEN, DEFAULT_IMPORT_TOKEN, DEFAULT_SERVICE_ID, Emulator, EmulatorBuilder,
};
pub use clock::{Clock, InvalidInstant, ManualClock};
pub use codes::{ExportFailure, ImportCode};
pub use config::faults::{FaultConfig, Latency, ScriptedResponse};
pub use config::item_limit::{ItemLimit, UnknownItemLimit};
pub use config::rate_limit::{RateLimit, RateLimitParseError, RateLimits, Window};
pub use dfinery_schema::Registry;
pub use dfinery_schema::protocol::Api;
pub use error::{ConfigError, StartError};
pub use handle::EmulatorHandle;
pub use model::{
    PerApi, Rejection, ServerViolation, Stats, StoredEvent, StoredIdentity, StoredProfile,
};
