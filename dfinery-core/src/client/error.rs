//! [`Error`]: every way a call can fail, one variant per failure class, and what can be retried.

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use dfinery_schema::protocol::{MAX_CONCURRENT_EXPORTS, ServerViolation};

use crate::encode::record::ValidationError;
use crate::encode::value::Datetime;
use crate::protocol::code::{ExportErrorCode, ResultCode};
use crate::ratelimit::RateLimitSnapshot;
use crate::wire::{Endpoint, TokenKind};

use super::source::{kind_name, token_env};
use super::{ServiceIdSource, TokenSource};

/// The code a failed answer carried: the Import API's detailed code or the Export API's
/// message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServerCode {
    /// `code` of the Import envelope, e.g. `40001`.
    Import(ResultCode),
    /// `message` of the Export error body, e.g. `unauthorized_token`.
    Export(ExportErrorCode),
}

impl fmt::Display for ServerCode {
    /// `40001 VALIDATION_FAILURE` or `unauthorized_token`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerCode::Import(code) => code.fmt(f),
            ServerCode::Export(code) => code.fmt(f),
        }
    }
}

/// An event of a [`send_events`](super::Client::send_events) call that failed validation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct InvalidEvent {
    /// Its position in the events given (0-based).
    pub index: usize,
    /// Every rule it breaks.
    pub error: ValidationError,
}

/// Why a call failed. Nothing here ever contains a token.
///
/// Success is HTTP 2xx **and** code `20000` (`docs/protocol.md` §6.1); every other answer is one
/// of these variants, chosen by one classifier over (endpoint, status, body). [`is_retryable`](Error::is_retryable)
/// says which ones the client retries.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server refused the request as malformed or invalid: `40000 BAD_REQUEST`,
    /// `40001 VALIDATION_FAILURE`, HTTP 400, or the export's `invalid_parameter` /
    /// `exceed_date_range_limit`. Not retryable.
    #[error("`{endpoint}` refused the request as invalid ({}){}", answer(*status, code.as_ref()), list_and_fix(code.as_ref(), violations))]
    #[non_exhaustive]
    Validation {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// The code, when the body had one.
        code: Option<ServerCode>,
        /// The broken rules the server listed, if it listed any.
        violations: Vec<ServerViolation>,
    },
    /// The token was refused: `40201 INVALID_TOKEN`, HTTP 401/403, or the export's
    /// `unauthorized_token`. Not retryable. The message names where the token came from, with
    /// the fix there (`given_by`).
    #[error("`{endpoint}` refused the token{} ({}); {}", refused_token_from(*endpoint, given_by.as_ref()), answer(*status, code.as_ref()), refused_token_fix(*endpoint, given_by.as_ref()))]
    #[non_exhaustive]
    Auth {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// The code, when the body had one.
        code: Option<ServerCode>,
        /// Where the client's token for the endpoint came from
        /// ([`Client::token_source`](crate::Client::token_source)): always `Some` from a
        /// [`Client`](crate::Client) call (`None` only from the answer classifier used on its
        /// own, which knows no client).
        given_by: Option<TokenSource>,
    },
    /// The service id was refused: `40101 INVALID_SERVICE_ID`. Not retryable. The message
    /// names where the id came from, with the fix there (`given_by`).
    #[error("`{endpoint}` refused the service id{} ({}); {}", refused_id_from(given_by.as_ref()), answer(*status, code.as_ref()), refused_id_fix(given_by.as_ref()))]
    #[non_exhaustive]
    ServiceId {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// The code, when the body had one.
        code: Option<ServerCode>,
        /// Where the client's service id came from
        /// ([`Client::service_id_source`](crate::Client::service_id_source)): always `Some`
        /// from a [`Client`](crate::Client) call (`None` only from the answer classifier used
        /// on its own, which knows no client).
        given_by: Option<ServiceIdSource>,
    },
    /// The rate limit is exceeded: HTTP 429, `40401 TOO_MANY_REQUEST` (with any status) or the
    /// export's `too_many_api_requests`. Retryable: after the reset when the window is spent
    /// (or, when the answer sent no reset, after its `Retry-After`); when its headers show
    /// calls left, on the backoff alone, and the message names the likely cause (for an export,
    /// DFINERY's limit of 5 exports at once) instead of the reset.
    ///
    /// Not built outside this crate (`#[non_exhaustive]`): match it with `..`.
    #[error("{}", rate_limited_text(*endpoint, *status, code.as_ref(), rate_limit.as_deref(), *retry_after))]
    #[non_exhaustive]
    RateLimited {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// The code, when the body had one.
        code: Option<ServerCode>,
        /// The rate-limit headers of the answer, with the reset time when sent (boxed: it is
        /// the largest part of any variant, and every `Result` of the client carries an
        /// `Error`'s size; [`Error::rate_limit`] reads it).
        rate_limit: Option<Box<RateLimitSnapshot>>,
        /// The wait the answer's `Retry-After` header asked for, when it sent a readable one
        /// (see [`Error::retry_after`]).
        retry_after: Option<Duration>,
    },
    /// More than 100 events in one request: `40402 TOO_MANY_EVENTS` (or `40403
    /// TOO_MANY_USER_PROFILES`). Not retryable; the client splits batches so it never sends one.
    /// An Identity or Profile request holds one user and cannot be split: refused so, its
    /// message says that, not "send fewer events".
    #[error("`{endpoint}` refused the request as too large ({}); {}", answer(*status, code.as_ref()), too_large_fix(*endpoint, *base_url_given_by))]
    #[non_exhaustive]
    TooManyEvents {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// The code, when the body had one.
        code: Option<ServerCode>,
        /// Where the client's base URL was given, named by the message of an Identity or
        /// Profile request refused so (as [`Unexpected`](Self::Unexpected)'s).
        base_url_given_by: Option<&'static str>,
    },
    /// The server failed: HTTP 5xx, `50000 INTERNAL_SERVER_ERROR`, the export's
    /// `unknown_error`, `query_error` or `client_connection_closed`, or a proxy's HTTP 408
    /// (the request did not reach the server whole). Retryable, no sooner than its
    /// `Retry-After` when it sent one, up to the retry policy's
    /// [`max_backoff`](crate::RetryPolicy::max_backoff).
    ///
    /// Not built outside this crate (`#[non_exhaustive]`): match it with `..`.
    #[error("`{endpoint}` failed on the server ({}){}; retry {}", answer(*status, code.as_ref()), snippet(body), retry_when(*retry_after))]
    #[non_exhaustive]
    Server {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// The code, when the body had one.
        code: Option<ServerCode>,
        /// The body as received (e.g. a proxy's error page).
        body: Bytes,
        /// The wait the answer's `Retry-After` header asked for, when it sent a readable one
        /// (see [`Error::retry_after`]).
        retry_after: Option<Duration>,
    },
    /// The request or the answer did not get through (connection refused or dropped, TLS,
    /// a body cut off). Retryable. What failed is the [`source`](std::error::Error::source).
    #[error("could not reach `{endpoint}`; check the network and {base_url_given_by}")]
    #[non_exhaustive]
    Transport {
        /// The endpoint called.
        endpoint: Endpoint,
        /// What failed.
        #[source]
        source: reqwest::Error,
        /// Where the base URL was given, as the message names it: `` `base_url` `` (the
        /// builder's [`base_url`](crate::ClientBuilder::base_url), or the default) or
        /// `` `DFINERY_BASE_URL` `` (read by [`from_env`](crate::ClientBuilder::from_env)).
        base_url_given_by: &'static str,
    },
    /// No answer in time. Retryable, but the client does not retry an export that did not start
    /// within its `timeout` ([`RetryPolicy`](crate::RetryPolicy)): each try spends one of
    /// DFINERY's 100 exports an hour. The one variant built outside this crate too (a stream
    /// of its own given to [`ExportFile::save`](crate::export::ExportFile::save), cut by a timeout), so
    /// it is not `#[non_exhaustive]`, unlike the others with fields.
    #[error("`{endpoint}` did not answer within {after:?}; retry, or raise the client's {}", timeout_setting(*endpoint))]
    Timeout {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The time allowed.
        after: Duration,
    },
    /// A 2xx answer whose body is not the documented JSON. Not retryable.
    #[error(
        "could not read the answer of `{endpoint}` (HTTP {status}): {reason}; the raw body is kept in `body`"
    )]
    #[non_exhaustive]
    Decode {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        reason: String,
        /// The body as received.
        body: Bytes,
    },
    /// An answer the documentation does not describe: an undocumented code, or a status such
    /// as 404 without a known code. Not retryable.
    #[error("`{endpoint}` gave an undocumented answer ({}){}; check {} and report it if it persists", answer(*status, code.as_ref()), snippet(body), base_url_given_by.unwrap_or("`base_url`"))]
    #[non_exhaustive]
    Unexpected {
        /// The endpoint called.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// The code, when the body had one.
        code: Option<ServerCode>,
        /// The body as received.
        body: Bytes,
        /// Where the client's base URL was given, as the message names it (as
        /// [`Transport`](Self::Transport)'s): always `Some` from a [`Client`](crate::Client)
        /// call (`None` only from the answer classifier used on its own, which knows no
        /// client; the message then says `` `base_url` ``).
        base_url_given_by: Option<&'static str>,
    },
    /// Events failed validation before anything was sent (nothing was sent).
    #[error("{} of the events given {} invalid, nothing was sent: {}", events.len(), if events.len() == 1 { "is" } else { "are" }, invalid_list(events))]
    #[non_exhaustive]
    InvalidEvents {
        /// Every invalid event.
        events: Vec<InvalidEvent>,
    },
    /// User properties failed validation before anything was sent. Its message is the
    /// validation error's, which names the property and the rule.
    #[error(transparent)]
    InvalidProfile(ValidationError),
    /// The request body could not be written (a bug: please report it).
    #[error("could not write the request body of `{endpoint}`; this is a bug, please report it")]
    #[non_exhaustive]
    Encode {
        /// The endpoint called.
        endpoint: Endpoint,
        /// What failed.
        #[source]
        source: serde_json::Error,
    },
    /// The call needs a token the client was built without.
    #[error("`{endpoint}` needs the {} token, which is not set; give it with `ClientBuilder::{}_token` or `{}`", token_name(*endpoint), token_name(*endpoint), token_env(endpoint.token()))]
    #[non_exhaustive]
    MissingToken {
        /// The endpoint called.
        endpoint: Endpoint,
    },
}

impl Error {
    /// Whether sending the same request again can succeed: transport failures, timeouts,
    /// server errors (5xx, `50000`, a proxy's 408) and rate limits (the client still does not
    /// retry an export's timeout: see [`RetryPolicy`](crate::RetryPolicy)). Never validation, auth, service id,
    /// too-many-events, decode or undocumented answers.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Transport { .. }
                | Error::Timeout { .. }
                | Error::Server { .. }
                | Error::RateLimited { .. }
        )
    }

    /// The endpoint the error came from (`None` for client-side validation).
    pub fn endpoint(&self) -> Option<Endpoint> {
        match self {
            Error::Validation { endpoint, .. }
            | Error::Auth { endpoint, .. }
            | Error::ServiceId { endpoint, .. }
            | Error::RateLimited { endpoint, .. }
            | Error::TooManyEvents { endpoint, .. }
            | Error::Server { endpoint, .. }
            | Error::Transport { endpoint, .. }
            | Error::Timeout { endpoint, .. }
            | Error::Decode { endpoint, .. }
            | Error::Unexpected { endpoint, .. }
            | Error::Encode { endpoint, .. }
            | Error::MissingToken { endpoint } => Some(*endpoint),
            Error::InvalidEvents { .. } | Error::InvalidProfile(_) => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Validation { status, .. }
            | Error::Auth { status, .. }
            | Error::ServiceId { status, .. }
            | Error::RateLimited { status, .. }
            | Error::TooManyEvents { status, .. }
            | Error::Server { status, .. }
            | Error::Decode { status, .. }
            | Error::Unexpected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The code of the answer, when its body had one.
    pub fn code(&self) -> Option<&ServerCode> {
        match self {
            Error::Validation { code, .. }
            | Error::Auth { code, .. }
            | Error::ServiceId { code, .. }
            | Error::RateLimited { code, .. }
            | Error::TooManyEvents { code, .. }
            | Error::Server { code, .. }
            | Error::Unexpected { code, .. } => code.as_ref(),
            _ => None,
        }
    }

    /// A short name of the variant, for logs and metrics: `validation`, `auth`, `service_id`,
    /// `rate_limited`, `too_many_events`, `server`, `transport`, `timeout`, `decode`,
    /// `unexpected`, `invalid_events`, `invalid_profile`, `encode` or `missing_token`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Validation { .. } => "validation",
            Error::Auth { .. } => "auth",
            Error::ServiceId { .. } => "service_id",
            Error::RateLimited { .. } => "rate_limited",
            Error::TooManyEvents { .. } => "too_many_events",
            Error::Server { .. } => "server",
            Error::Transport { .. } => "transport",
            Error::Timeout { .. } => "timeout",
            Error::Decode { .. } => "decode",
            Error::Unexpected { .. } => "unexpected",
            Error::InvalidEvents { .. } => "invalid_events",
            Error::InvalidProfile(_) => "invalid_profile",
            Error::Encode { .. } => "encode",
            Error::MissingToken { .. } => "missing_token",
        }
    }

    /// The rate-limit headers of a [`RateLimited`](Error::RateLimited) answer.
    pub fn rate_limit(&self) -> Option<&RateLimitSnapshot> {
        match self {
            Error::RateLimited { rate_limit, .. } => rate_limit.as_deref(),
            _ => None,
        }
    }

    /// How long the answer of this error asked to wait before the next call, seen at `now`:
    /// until the reset of a spent rate-limit window when a readable `x-ratelimit-reset` came
    /// (none when the window still has calls left), otherwise its `Retry-After`
    /// ([`retry_after`](Error::retry_after)). The client's retries and the Tracker's pause take
    /// it as a floor, each with its own cap.
    pub(crate) fn wait_asked(&self, now: SystemTime) -> Option<Duration> {
        match self.rate_limit() {
            // `x-ratelimit-reset` (DFINERY's) first; `Retry-After` only when no reset was read.
            Some(rate_limit) if rate_limit.reset.is_some() => {
                if rate_limit.has_room() {
                    None
                } else {
                    rate_limit.reset_after(now)
                }
            }
            _ => self.retry_after(),
        }
    }

    /// The wait the answer's `Retry-After` header asked for, after a
    /// [`RateLimited`](Error::RateLimited) or [`Server`](Error::Server) answer that sent a
    /// readable one: its delta-seconds, or its HTTP-date less the time the answer came (by the
    /// client's clock, or the answer's `Date` when that clock is off from it; zero for a date
    /// passed). Measured when the answer came, so it is the wait left only right after the
    /// call returned.
    ///
    /// DFINERY documents no `Retry-After` (a proxy or gateway in front of it may send one) and
    /// its own `x-ratelimit-reset` comes first: only when no readable reset came does the
    /// client retry no sooner than this (a server error's wait is capped at
    /// [`RetryPolicy::max_backoff`](crate::RetryPolicy::max_backoff); a rate limit's further
    /// than [`max_rate_limit_wait`](crate::RetryPolicy::max_rate_limit_wait) is not retried)
    /// and a `Tracker` pause its sends at least this long (up to the longest of its
    /// `redelivery_backoff`). `None` for every other variant, and from the answer classifier
    /// used on its own, which knows no clock (a [`Client`](crate::Client) call fills it in).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } | Error::Server { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }
}

/// ` from `DFINERY_SERVICE_ID`` (empty when where the id came from is not known).
fn refused_id_from(given_by: Option<&ServiceIdSource>) -> String {
    given_by.map_or_else(String::new, |source| format!(" from {source}"))
}

/// How to give DFINERY a service id it knows.
fn refused_id_fix(given_by: Option<&ServiceIdSource>) -> String {
    match given_by {
        Some(source) => source.fix(),
        None => "give the client the service id the DFINERY console shows (`ClientBuilder::service_id` or `DFINERY_SERVICE_ID`)".to_owned(),
    }
}

/// `` from `DFINERY_IMPORT_TOKEN` `` (empty when where the token came from is not known).
fn refused_token_from(endpoint: Endpoint, given_by: Option<&TokenSource>) -> String {
    given_by.map_or_else(String::new, |source| {
        format!(" from {}", source.name(endpoint.token()))
    })
}

/// How to give DFINERY a token it accepts.
fn refused_token_fix(endpoint: Endpoint, given_by: Option<&TokenSource>) -> String {
    let kind = endpoint.token();
    match given_by {
        Some(source) => source.fix(kind),
        None => format!(
            "give the client the {name} token the DFINERY console shows (`ClientBuilder::{name}_token` or `{}`)",
            token_env(kind),
            name = kind_name(kind)
        ),
    }
}

/// `HTTP 200, 40001 VALIDATION_FAILURE` or `HTTP 503`.
fn answer(status: u16, code: Option<&ServerCode>) -> String {
    match code {
        Some(code) => format!("HTTP {status}, {code}"),
        None => format!("HTTP {status}"),
    }
}

/// What to do about a request `endpoint` refused as too large: only an events request can
/// be split; the others hold one user, as documented (`docs/protocol.md` §3.3–3.5).
fn too_large_fix(endpoint: Endpoint, base_url_given_by: Option<&'static str>) -> String {
    match endpoint {
        Endpoint::Events => "send at most 100 events per request".to_owned(),
        _ => format!(
            "the request holds one user, as DFINERY documents, so it cannot be split: check {} \
             and report it if it persists",
            base_url_given_by.unwrap_or("`base_url`")
        ),
    }
}

/// `: a; b` for a non-empty list.
fn list(violations: &[ServerViolation]) -> String {
    let mut out = String::new();
    for (i, v) in violations.iter().enumerate() {
        out.push_str(if i == 0 { ": " } else { "; " });
        out.push_str(&v.to_string());
    }
    out
}

/// The listed violations and the fix, or, when the answer lists none (an export's failures
/// never do), what its code means or where to look, instead of "fix what is listed".
fn list_and_fix(code: Option<&ServerCode>, violations: &[ServerViolation]) -> String {
    use dfinery_schema::protocol::ExportFailure;
    if !violations.is_empty() {
        return format!("{}; fix what is listed and send it again", list(violations));
    }
    match code {
        Some(ServerCode::Export(ExportErrorCode::Documented(
            ExportFailure::ExceedDateRangeLimit,
        ))) => "; the start date is outside DFINERY's 30-day look-back by its own clock: start \
                later (near midnight UTC its date may not be yours)"
            .to_owned(),
        _ => "; the answer names no reason: check each value the request sends (for an export, \
              its dates, names and audience id) and send it again"
            .to_owned(),
    }
}

fn invalid_list(events: &[InvalidEvent]) -> String {
    let parts: Vec<String> = events
        .iter()
        .map(|e| format!("[{}] {}", e.index, e.error))
        .collect();
    parts.join("; ")
}

/// What a rate limit means: a spent window (wait for its reset), or, when the headers show calls
/// left in the window, not the window: for an export, most likely DFINERY's limit of exports
/// at once, which other processes using the service count towards too.
fn rate_limited_text(
    endpoint: Endpoint,
    status: u16,
    code: Option<&ServerCode>,
    rate_limit: Option<&RateLimitSnapshot>,
    retry_after: Option<Duration>,
) -> String {
    let answer = answer(status, code);
    let Some((left, window)) = rate_limit
        .filter(|r| r.has_room())
        .map(|r| (r.remaining.unwrap_or_default(), r.window.as_deref()))
    else {
        return format!(
            "`{endpoint}` is rate limited ({answer}){}; wait for the reset or ask DFINERY for a \
             higher limit",
            reset_text(rate_limit, retry_after)
        );
    };
    let window = window.map(|w| format!(" (`{w}`)")).unwrap_or_default();
    match endpoint.token() {
        TokenKind::Export => format!(
            "`{endpoint}` refused the export ({answer}) though its rate-limit window{window} has \
             {left} calls left: most likely too many exports at once (DFINERY runs at most \
             {MAX_CONCURRENT_EXPORTS} per service, counting those of every other process or tool \
             using it); let one finish and export again"
        ),
        TokenKind::Import => format!(
            "`{endpoint}` is rate limited ({answer}) though its rate-limit window{window} has \
             {left} calls left; retry later"
        ),
    }
}

/// `, the limit resets at 2024-06-24T06:01:00.000Z` when the reset is known, else
/// `` , it asked for a wait of 5 s (`Retry-After`) `` when the answer asked for one.
fn reset_text(rate_limit: Option<&RateLimitSnapshot>, retry_after: Option<Duration>) -> String {
    let reset = rate_limit
        .and_then(|r| r.reset)
        .and_then(|reset| Datetime::try_from(reset).ok());
    match (reset, retry_after) {
        (Some(reset), _) => format!(", the limit resets at {reset}"),
        (None, Some(wait)) => format!(
            ", it asked for a wait of {} (`Retry-After`)",
            whole_seconds(wait)
        ),
        (None, None) => String::new(),
    }
}

/// `later`, or `` in 5 s, as its `Retry-After` asked `` when the answer asked for a wait.
fn retry_when(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(
        || "later".to_owned(),
        |wait| format!("in {}, as its `Retry-After` asked", whole_seconds(wait)),
    )
}

/// `5 s`, a part of a second counted as a whole one (`0 s` only for no wait at all).
fn whole_seconds(wait: Duration) -> String {
    let secs = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0));
    format!("{secs} s")
}

/// `: <the first 200 characters of the body>` for a non-empty body.
fn snippet(body: &Bytes) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let cut: String = text.chars().take(200).collect();
    let more = if cut.len() < text.len() { "…" } else { "" };
    format!(": {cut}{more}")
}

/// The settings that bound waiting for `endpoint`: an export also waits for each chunk.
fn timeout_setting(endpoint: Endpoint) -> &'static str {
    match endpoint.token() {
        TokenKind::Import => "`timeout`",
        TokenKind::Export => {
            "`timeout` (until the CSV starts) or `export_read_timeout` (between its chunks)"
        }
    }
}

fn token_name(endpoint: Endpoint) -> &'static str {
    kind_name(endpoint.token())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfinery_schema::protocol::ExportFailure;

    fn refused(endpoint: Endpoint, remaining: Option<u64>) -> Error {
        Error::RateLimited {
            endpoint,
            status: 429,
            code: Some(ServerCode::Export(ExportErrorCode::Documented(
                ExportFailure::TooManyApiRequests,
            ))),
            rate_limit: Some(Box::new(RateLimitSnapshot::new(
                Some("1H"),
                remaining,
                None,
            ))),
            retry_after: None,
        }
    }

    /// A refused token is named by where it came from, with the fix there: the message said
    /// "check the import token (`DFINERY_IMPORT_TOKEN`)" whatever the source, so a user who
    /// gave it to the builder (or a command line's flag) looked for a variable never set.
    #[test]
    fn a_refused_token_names_where_it_came_from() {
        let refused = |endpoint, given_by| {
            Error::Auth {
                endpoint,
                status: 200,
                code: Some(ServerCode::Import(ResultCode::Documented(
                    crate::protocol::code::ImportCode::InvalidToken,
                ))),
                given_by,
            }
            .to_string()
        };
        assert_eq!(
            refused(Endpoint::Events, Some(TokenSource::Builder)),
            "`POST /api/v1/events` refused the token from `ClientBuilder::import_token` (HTTP 200, 40201 INVALID_TOKEN); give `ClientBuilder::import_token` the import token the DFINERY console shows"
        );
        assert_eq!(
            refused(Endpoint::Events, Some(TokenSource::Env)),
            "`POST /api/v1/events` refused the token from `DFINERY_IMPORT_TOKEN` (HTTP 200, 40201 INVALID_TOKEN); set `DFINERY_IMPORT_TOKEN` to the import token the DFINERY console shows"
        );
        assert_eq!(
            refused(
                Endpoint::ExportEvent,
                Some(TokenSource::Flag("--export-token".to_owned()))
            ),
            "`POST /api/v1/export/event` refused the token from `--export-token` (HTTP 200, 40201 INVALID_TOKEN); pass `--export-token` the export token the DFINERY console shows"
        );
        assert_eq!(
            refused(Endpoint::ExportEvent, Some(TokenSource::Builder)),
            "`POST /api/v1/export/event` refused the token from `ClientBuilder::export_token` (HTTP 200, 40201 INVALID_TOKEN); give `ClientBuilder::export_token` the export token the DFINERY console shows"
        );
        // Unknown (the classifier on its own): both places.
        assert_eq!(
            refused(Endpoint::Events, None),
            "`POST /api/v1/events` refused the token (HTTP 200, 40201 INVALID_TOKEN); give the client the import token the DFINERY console shows (`ClientBuilder::import_token` or `DFINERY_IMPORT_TOKEN`)"
        );
    }

    #[test]
    fn a_rate_limit_with_room_left_names_the_concurrency_limit_not_the_reset() {
        let message = refused(Endpoint::ExportEvent, Some(94)).to_string();
        assert_eq!(
            message,
            "`POST /api/v1/export/event` refused the export (HTTP 429, too_many_api_requests) though \
             its rate-limit window (`1H`) has 94 calls left: most likely too many exports at \
             once (DFINERY runs at most 5 per service, counting those of every other process or \
             tool using it); let one finish and export again"
        );
        // A spent window, or one whose count was not sent: the reset, as before.
        for spent in [Some(0), None] {
            let message = refused(Endpoint::ExportEvent, spent).to_string();
            assert!(message.contains("wait for the reset"), "{message}");
            assert!(!message.contains("at once"), "{message}");
        }
    }

    /// The wait an answer's `Retry-After` asked for is in the message when no reset names
    /// one: "retry later" or "wait for the reset" alone left the user to guess how long.
    #[test]
    fn a_retry_after_is_named_when_no_reset_is() {
        let server = |retry_after| {
            Error::Server {
                endpoint: Endpoint::Events,
                status: 503,
                code: None,
                body: Bytes::new(),
                retry_after,
            }
            .to_string()
        };
        assert_eq!(
            server(Some(Duration::from_millis(4_200))),
            "`POST /api/v1/events` failed on the server (HTTP 503); retry in 5 s, as its \
             `Retry-After` asked"
        );
        assert_eq!(
            server(None),
            "`POST /api/v1/events` failed on the server (HTTP 503); retry later"
        );
        let limited = |rate_limit: Option<RateLimitSnapshot>| {
            Error::RateLimited {
                endpoint: Endpoint::Events,
                status: 429,
                code: None,
                rate_limit: rate_limit.map(Box::new),
                retry_after: Some(Duration::from_secs(30)),
            }
            .to_string()
        };
        assert_eq!(
            limited(None),
            "`POST /api/v1/events` is rate limited (HTTP 429), it asked for a wait of 30 s \
             (`Retry-After`); wait for the reset or ask DFINERY for a higher limit"
        );
        // A reset is named first, as the client waits for it first.
        let reset = SystemTime::UNIX_EPOCH + Duration::from_secs(1_719_208_860);
        let message = limited(Some(RateLimitSnapshot::new(None, Some(0), Some(reset))));
        assert!(
            message.contains("the limit resets at 2024-06-24T06:01:00.000Z"),
            "{message}"
        );
        assert!(!message.contains("Retry-After"), "{message}");
    }

    /// The message of an error whose `Retry-After` field holds the longest wait (the field is
    /// public, and an error can be changed after the client returned it) is written, not a
    /// panic: rounding a part of a second up overflowed the seconds.
    #[test]
    fn the_longest_retry_after_is_written_without_overflow() {
        let mut error = Error::Server {
            endpoint: Endpoint::Events,
            status: 503,
            code: None,
            body: Bytes::new(),
            retry_after: None,
        };
        if let Error::Server { retry_after, .. } = &mut error {
            *retry_after = Some(Duration::MAX);
        }
        let message = error.to_string();
        assert!(
            message.ends_with(&format!(
                "retry in {} s, as its `Retry-After` asked",
                u64::MAX
            )),
            "{message}"
        );
    }
}
