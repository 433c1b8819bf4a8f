//! The first steps of every DFINERY request (`docs/protocol.md` §10 steps 1–3): service id, token,
//! rate limit; then the fault stage. A request that passes is [`Admitted`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::Query;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use tokio::sync::{Notify, OwnedSemaphorePermit};

use super::app::App;
use super::limiter::Snapshot;
use super::response;
use crate::model::{Rejection, ServerViolation};
use crate::state::Counters;
use crate::{Api, ExportFailure, ImportCode, ScriptedResponse};

/// Which API family a request belongs to: they differ in token header and error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Event, Identity and Profile: `access_token` header, JSON envelope.
    Import,
    /// Both exports: `Authorization: Bearer`, `{"result":"fail"}` bodies.
    Export,
}

/// A request that passed the gate.
#[derive(Debug)]
pub(crate) struct Admitted {
    /// The rate-limit window after counting this request.
    pub(crate) limits: Snapshot,
    /// The export concurrency slot, held until the CSV is fully sent.
    pub(crate) permit: Option<OwnedSemaphorePermit>,
    /// An export must cut its CSV after the header (a dropped-connection fault).
    pub(crate) drop_stream: bool,
}

/// Closes the connection a request arrived on, without an answer; put in each request's
/// extensions by the server loop.
#[derive(Debug, Clone)]
pub(crate) struct ConnControl(pub(crate) Arc<Notify>);

/// Set by the gate once the rate-limit window counted the request; put in each request's
/// extensions by the inspector, whose panel counts as admitted every request the window
/// counted (a fault's answer, which carries no code of its own, as well).
#[derive(Debug, Clone, Default)]
pub(crate) struct Counted(pub(crate) Arc<AtomicBool>);

impl Counted {
    /// Whether the window counted the request.
    pub(crate) fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Runs steps 1–3 and the fault stage; `Err` is the answer to send instead.
pub(crate) async fn admit(
    app: &App,
    api: Api,
    family: Family,
    parts: &Parts,
) -> Result<Admitted, Response> {
    Counters::add(&app.counters.requests, 1);
    let now = app.clock.now_ms();
    let peek = || Some(app.limiter(api).peek(now));
    let refuse = |reason: Refusal, limits: Option<Snapshot>| {
        record(app, parts, family, reason);
        reason.answer(family, limits)
    };

    let ids = service_ids(&parts.uri);
    match ids.as_slice() {
        [] => return Err(refuse(Refusal::MissingServiceId, peek())),
        [id] if id.is_empty() => return Err(refuse(Refusal::MissingServiceId, peek())),
        // Taken from its last occurrence, a request was accepted or not by the order of its
        // query; a server reading the parameter as one text (Spring) sees `a,b`.
        [_, _, ..] => {
            let sent: Vec<String> = ids
                .iter()
                .take(4)
                .map(|id| {
                    format!(
                        "`{}`",
                        id.chars().take(64).collect::<String>().escape_debug()
                    )
                })
                .collect();
            let violation = ServerViolation::new(
                "?service_id",
                "service_id",
                format!(
                    "the query parameter `service_id` once, with this emulator's service id \
                     `{}`; it was given {} times ({}{})",
                    app.settings.service_id.escape_debug(),
                    ids.len(),
                    sent.join(", "),
                    if ids.len() > sent.len() { ", …" } else { "" }
                ),
            );
            record_violation(app, parts, family, Refusal::UnknownServiceId, violation);
            return Err(Refusal::UnknownServiceId.answer(family, peek()));
        }
        [id] if *id != app.settings.service_id => {
            let sent: String = id.chars().take(64).collect();
            let violation = ServerViolation::new(
                "?service_id",
                "service_id",
                format!(
                    "this emulator's service id `{}`; `{}` was sent",
                    app.settings.service_id.escape_debug(),
                    sent.escape_debug()
                ),
            );
            record_violation(app, parts, family, Refusal::UnknownServiceId, violation);
            return Err(Refusal::UnknownServiceId.answer(family, peek()));
        }
        [_] => {}
    }
    if let Some(problem) = token_problem(app, family, &parts.headers) {
        record_violation(app, parts, family, Refusal::Token, problem);
        return Err(Refusal::Token.answer(family, peek()));
    }
    let limits = match app.limiter(api).acquire(now) {
        Ok(limits) => {
            if let Some(counted) = parts.extensions.get::<Counted>() {
                counted.0.store(true, Ordering::Relaxed);
            }
            limits
        }
        Err(limits) => {
            app.counters.limited(api);
            let status = if app.settings.rate_limit_status_200 {
                200
            } else {
                429
            };
            return Err(match family {
                Family::Import => response::import(
                    ImportCode::TooManyRequest,
                    status,
                    serde_json::Value::Null,
                    Some(limits),
                ),
                Family::Export => {
                    response::export_failure(ExportFailure::TooManyApiRequests, Some(limits))
                }
            });
        }
    };
    let permit = match family {
        Family::Import => None,
        Family::Export => match app.export_slots.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                app.counters.limited(api);
                return Err(response::export_failure(
                    ExportFailure::TooManyApiRequests,
                    Some(limits),
                ));
            }
        },
    };

    let decision = app.faults().decide();
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let Some(fault) = decision.fault else {
        return Ok(Admitted {
            limits,
            permit,
            drop_stream: false,
        });
    };
    Counters::add(&app.counters.faults_injected, 1);
    match (&fault, family) {
        (ScriptedResponse::Drop, Family::Export) => Ok(Admitted {
            limits,
            permit,
            drop_stream: true,
        }),
        (ScriptedResponse::Drop, Family::Import) => {
            if let Some(control) = parts.extensions.get::<ConnControl>() {
                control.0.notify_one();
                // The connection task drops this request with its connection.
                std::future::pending::<()>().await;
            }
            Err(response::import(
                ImportCode::InternalServerError,
                500,
                serde_json::Value::Null,
                Some(limits),
            ))
        }
        (ScriptedResponse::ServerError, Family::Import) => Err(response::import(
            ImportCode::InternalServerError,
            500,
            serde_json::Value::Null,
            Some(limits),
        )),
        (ScriptedResponse::ServerError, Family::Export) => Err(response::export_failure(
            ExportFailure::UnknownError,
            Some(limits),
        )),
        (other, _) => Err(response::scripted(other, limits).unwrap_or_else(|| {
            response::import(
                ImportCode::InternalServerError,
                500,
                serde_json::Value::Null,
                Some(limits),
            )
        })),
    }
}

/// Why the gate refused a request before the rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    MissingServiceId,
    UnknownServiceId,
    Token,
}

impl Refusal {
    fn answer(self, family: Family, limits: Option<Snapshot>) -> Response {
        match (family, self) {
            (Family::Import, Refusal::MissingServiceId) => {
                response::import_failure(ImportCode::BadRequest, &[self.violation()], 1, limits)
            }
            (Family::Import, Refusal::UnknownServiceId) => {
                response::import_failure(ImportCode::InvalidServiceId, &[], 0, limits)
            }
            (Family::Import, Refusal::Token) => {
                response::import_failure(ImportCode::InvalidToken, &[], 0, limits)
            }
            (Family::Export, Refusal::MissingServiceId) => {
                response::export_failure(ExportFailure::InvalidParameter, limits)
            }
            (Family::Export, _) => {
                response::export_failure(ExportFailure::UnauthorizedToken, limits)
            }
        }
    }

    fn code(self, family: Family) -> &'static str {
        match (family, self) {
            (Family::Import, Refusal::MissingServiceId) => ImportCode::BadRequest.code(),
            (Family::Import, Refusal::UnknownServiceId) => ImportCode::InvalidServiceId.code(),
            (Family::Import, Refusal::Token) => ImportCode::InvalidToken.code(),
            (Family::Export, Refusal::MissingServiceId) => {
                ExportFailure::InvalidParameter.message()
            }
            (Family::Export, _) => ExportFailure::UnauthorizedToken.message(),
        }
    }

    fn violation(self) -> ServerViolation {
        match self {
            Refusal::MissingServiceId => ServerViolation::new(
                "?service_id",
                "required",
                "the query parameter `service_id`",
            ),
            Refusal::UnknownServiceId => {
                ServerViolation::new("?service_id", "service_id", "the emulator's service id")
            }
            Refusal::Token => {
                ServerViolation::new("token", "token", "the API token of the right kind")
            }
        }
    }
}

/// Keeps a gate refusal for inspection; the token itself is never recorded.
fn record(app: &App, parts: &Parts, family: Family, reason: Refusal) {
    record_violation(app, parts, family, reason, reason.violation());
}

/// Keeps a gate refusal with its violation.
fn record_violation(
    app: &App,
    parts: &Parts,
    family: Family,
    reason: Refusal,
    violation: ServerViolation,
) {
    app.store().reject(Rejection {
        endpoint: parts.uri.path().to_owned(),
        code: reason.code(family).to_owned(),
        violations: vec![violation],
    });
}

/// Every value of the `service_id` query parameter, in order (empty ones included).
fn service_ids(uri: &axum::http::Uri) -> Vec<String> {
    Query::<Vec<(String, String)>>::try_from_uri(uri).map_or_else(
        |_| Vec::new(),
        |Query(pairs)| {
            pairs
                .into_iter()
                .filter(|(key, _)| key == "service_id")
                .map(|(_, value)| value)
                .collect()
        },
    )
}

/// Why the request does not carry this family's token (`access_token: <import token>` for
/// Import, `Authorization: Bearer <export token>` for Export), as the violation kept for it:
/// the header missing or misspelt, the other kind of token, or a token that is not this
/// emulator's. `None` when it does. The tokens themselves are never written.
fn token_problem(app: &App, family: Family, headers: &HeaderMap) -> Option<ServerViolation> {
    let settings = &app.settings;
    let (path, expected) = match family {
        Family::Import => match headers.get("access_token").map(|v| v.as_bytes()) {
            Some(token) if settings.import_token.matches(token) => return None,
            Some(token) if token.trim_ascii().is_empty() => (
                "access_token",
                "the header `access_token` with the Import API token; the one sent is empty (an \
                 empty variable?)",
            ),
            Some(token) if settings.export_token.matches(token) => (
                "access_token",
                "the Import API token; this is the Export API token, which goes in \
                 `Authorization: Bearer …` to the two exports",
            ),
            Some(_) => (
                "access_token",
                "the Import API token of this service; the token sent is not it",
            ),
            None if headers.contains_key("access-token") => (
                "access_token",
                "the header `access_token`, with an underscore; `access-token` was sent",
            ),
            None if headers.contains_key(header::AUTHORIZATION) => (
                "access_token",
                "the Import API token in the header `access_token`; the Import API reads no \
                 `Authorization` header",
            ),
            None => (
                "access_token",
                "the header `access_token` with the Import API token",
            ),
        },
        Family::Export => match headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()) {
            // `Bearer $TOKEN` with the variable unset: "does not start with `Bearer `" was
            // said of it, which it does.
            Some(value) if value.trim_ascii().eq_ignore_ascii_case(b"bearer") => (
                "Authorization",
                "`Authorization: Bearer <Export API token>`; the value sent has no token after \
                 `Bearer` (an empty variable?)",
            ),
            Some(value) => match bearer(value) {
                Some(token) if settings.export_token.matches(token) => return None,
                Some(token) if settings.import_token.matches(token) => (
                    "Authorization",
                    "the Export API token; this is the Import API token, which goes in \
                     `access_token` to the Import API",
                ),
                Some(_) => (
                    "Authorization",
                    "the Export API token of this service; the token sent is not it",
                ),
                None => (
                    "Authorization",
                    "`Authorization: Bearer <Export API token>`; the value sent does not start \
                     with `Bearer `",
                ),
            },
            None if headers.contains_key("access_token") => (
                "Authorization",
                "the Export API token in `Authorization: Bearer …`; the exports read no \
                 `access_token` header",
            ),
            None => (
                "Authorization",
                "the header `Authorization: Bearer <Export API token>`",
            ),
        },
    };
    Some(ServerViolation::new(path, "token", expected))
}

/// The token of `Bearer <token>` (scheme case-insensitive).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, token) = value.split_at_checked(7)?;
    scheme.eq_ignore_ascii_case(b"bearer ").then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_need_the_scheme() {
        assert_eq!(bearer(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"Basic abc"), None);
        assert_eq!(bearer(b"abc"), None);
    }

    #[test]
    fn service_id_comes_from_the_query() {
        let uri: axum::http::Uri = "/api/v1/events?service_id=my%20svc&x=1".parse().unwrap();
        assert_eq!(service_ids(&uri), ["my svc"]);
        let uri: axum::http::Uri = "/api/v1/events?service_id=".parse().unwrap();
        assert_eq!(service_ids(&uri), [""]);
        let uri: axum::http::Uri = "/api/v1/events".parse().unwrap();
        assert!(service_ids(&uri).is_empty());
        let uri: axum::http::Uri = "/api/v1/events?service_id=a&x=1&service_id=b"
            .parse()
            .unwrap();
        assert_eq!(service_ids(&uri), ["a", "b"]);
    }
}
