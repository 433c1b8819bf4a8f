//! The inspector over HTTP: the middleware that records each DFINERY request, the page and its
//! assets, the server-sent-event stream, the registry view and the profile search.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use dfinery_schema::protocol::{Endpoint, RateLimitHeader};
use futures_util::StreamExt;
use futures_util::stream;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::{Message, Observed, api_name, record};
use crate::Api;
use crate::codes::{ExportFailure, ImportCode};
use crate::server::app::App;
use crate::server::body::read_bytes;
use crate::server::gate::Counted;
use crate::server::response::{BodyRead, Sunk, Violations};

const PAGE: &str = include_str!("assets/index.html");
const STYLE: &str = include_str!("assets/inspector.css");
const SCRIPT: &str = include_str!("assets/inspector.js");

/// Only the emulator's own origin: the page loads and connects nowhere else.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Most profiles a search answers.
const MAX_MATCHES: usize = 20;

/// The API an endpoint path belongs to.
fn api_of(path: &str) -> Option<Api> {
    Endpoint::from_path(path).map(Endpoint::api)
}

/// Times a DFINERY request and records it for the page. The body is read here (with the
/// handler's own cap and time limit) and handed on unchanged; one that cannot be read is handed on as a body
/// that fails, so the handler answers exactly as it would have.
pub(crate) async fn observe(
    State(app): State<Arc<App>>,
    mut request: Request,
    next: Next,
) -> Response {
    let (Some(inspector), Some(api)) = (app.inspector.as_ref(), api_of(request.uri().path()))
    else {
        return next.run(request).await;
    };
    let started = Instant::now();
    let at_ms = system_ms();
    let endpoint = request.uri().path().to_owned();
    let method = request.method().to_string();
    let counted = Counted::default();
    request.extensions_mut().insert(counted.clone());
    // A sink's Import bodies are neither read nor shown here: the sink answers without looking
    // into them, and reading, parsing and recording each one for the page cost the emulator
    // about 25 times the sink's own work (`dfinery send` of 100,000 events: 0.2 s of the
    // emulator's CPU, 4.7-5.5 s with `--inspect`), which a load test does not want to pay to
    // watch its counters. The record says what the sink counted instead.
    let sink = app.settings.sink && api != Api::Export;
    let (response, read) = if sink {
        (next.run(request).await, None)
    } else {
        let (parts, body) = request.into_parts();
        let read = read_bytes(body).await;
        let forwarded = match &read {
            Some(bytes) => Body::from(bytes.clone()),
            None => Body::from_stream(stream::once(async {
                Err::<Bytes, _>(std::io::Error::other("the body could not be read"))
            })),
        };
        (next.run(Request::from_parts(parts, forwarded)).await, read)
    };
    let latency = started.elapsed();

    let status = response.status().as_u16();
    let extensions = response.extensions();
    let sunk = extensions.get::<Sunk>().copied();
    let (violations, found) = extensions
        .get::<Violations>()
        .map(|v| (v.listed.as_slice(), v.found))
        .unwrap_or_default();
    let (code, ok, limited, body_read) = if let Some(code) = extensions.get::<ImportCode>() {
        let read = !matches!(
            code,
            ImportCode::InvalidServiceId
                | ImportCode::InvalidToken
                | ImportCode::TooManyRequest
                | ImportCode::InternalServerError
        ) && !violations.iter().any(|v| v.path == "?service_id");
        (
            code.code().to_owned(),
            *code == ImportCode::Ok,
            *code == ImportCode::TooManyRequest,
            read,
        )
    } else if let Some(failure) = extensions.get::<ExportFailure>() {
        let limited = *failure == ExportFailure::TooManyApiRequests;
        // Refused after the gate admitted it and its body was read (a parameter, the date
        // range, an unknown audience): counted by the window, shown with its violations.
        let read = extensions.get::<BodyRead>().is_some();
        (failure.message().to_owned(), false, limited, read)
    } else if api == Api::Export && status == 200 {
        ("csv".to_owned(), true, false, true)
    } else {
        // A scripted answer: only its status is known.
        (status.to_string(), status < 400, status == 429, false)
    };

    // Only a body the handler read (past the service id, the token and the rate limit) is
    // shown in detail: any other is refused unread, and reading it here would let a request
    // nobody authorised make the inspector build a copy of it many times its size.
    let body: Option<Value> = read
        .filter(|_| body_read)
        .and_then(|b| serde_json::from_slice(&b).ok());
    let registry = &app.settings.registry;
    let (events, user_properties, rest, cut) = match (&body, api) {
        (Some(body), Api::Event) => {
            let (events, rest, cut) = record::events(registry, body, violations);
            (events, Vec::new(), rest, cut)
        }
        (Some(body), Api::Profile) => {
            let (props, rest, cut) = record::user_properties(registry, body, violations);
            (Vec::new(), props, rest, cut)
        }
        _ => (
            Vec::new(),
            Vec::new(),
            violations.iter().map(record::violation).collect(),
            false,
        ),
    };
    if body_read && let Some(body) = &body {
        inspector.tally(registry, api, body);
    }
    let identity = body.as_ref().map_or(Value::Null, record::identity);
    let observed = Observed {
        api,
        limited,
        // Every request the window counted: one refused for its body, a fault's answer too.
        consumed: counted.get(),
        remaining: header_u64(response.headers(), RateLimitHeader::Remaining.name()),
        // The page compares a window's reset with its own clock, the system's: moved by the
        // emulator clock's shift from it (`--clock-offset`, a manual clock), the reset says
        // when the window ends from the page's side, instead of a time a shift puts in the
        // past (a spent window shown as full) or far ahead (a new one shown as spent).
        // Both clocks are read now: from `at_ms`, taken before the request was handled, the
        // shift took in its duration and the reset came early by it.
        reset_ms: header_u64(response.headers(), RateLimitHeader::Reset.name()).map(|reset| {
            let shift = i128::from(app.clock.now_ms()) - i128::from(system_ms());
            u64::try_from((i128::from(reset) - shift).max(0)).unwrap_or(u64::MAX)
        }),
        window: response
            .headers()
            .get(RateLimitHeader::Limit.name())
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        external_id: record::external_id(&identity),
        profile_write: matches!(api, Api::Identity | Api::Profile),
        cut,
    };
    let mut record = json!({
        "at": at_ms,
        "method": method,
        "endpoint": endpoint,
        "api": api_name(api),
        "status": status,
        "code": code,
        "ok": ok,
        "limited": limited,
        "latency_ms": (latency.as_secs_f64() * 10_000.0).round() / 10.0,
        "identity": identity,
        // An export's `events` lists event names to keep, not events sent. A sink's count,
        // when it answered.
        "event_count": sunk.map_or_else(
            || body.as_ref().filter(|_| api == Api::Event).map_or(0, record::event_count),
            |Sunk(events)| usize::try_from(events).unwrap_or(usize::MAX),
        ),
        // All found, not the 100 listed and the `truncated` entry.
        "violation_count": found,
    });
    if sunk.is_some() {
        record["sunk"] = Value::Bool(true);
        record["note"] = json!(
            "Answered by the sink (`--sink`): its events were counted, not read, checked or kept."
        );
    }
    // Moved in, not copied as `json!` would.
    if let Value::Object(fields) = &mut record {
        fields.insert("events".to_owned(), Value::Array(events));
        fields.insert("user_properties".to_owned(), Value::Array(user_properties));
        fields.insert("violations".to_owned(), Value::Array(rest));
    }
    inspector.push(record, observed);
    response
}

/// The system clock, in milliseconds since the Unix epoch.
fn system_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.parse().ok()
}

fn asset(content_type: &'static str, text: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /_emulator/`: the page.
pub(crate) async fn page() -> Response {
    asset("text/html; charset=utf-8", PAGE)
}

/// `GET /_emulator/…` (the page, its assets and its endpoints) when the inspector is off: 404
/// saying how to turn it on.
pub(crate) async fn off() -> Response {
    let mut response = Response::new(Body::from(
        "the inspector page is off: start the emulator with `dfinery emulator --inspect`, \
         or `.inspector(true)` on its builder\n",
    ));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `GET /_emulator`: the page's URL ends with `/` (its assets are relative to it).
pub(crate) async fn to_page() -> Redirect {
    Redirect::permanent("/_emulator/")
}

/// `GET /_emulator/inspector.css`.
pub(crate) async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

/// `GET /_emulator/inspector.js`.
pub(crate) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /_emulator/inspector/stream`: server-sent events. First `snapshot` (the kept requests
/// and the rate panel), then one `request` per request, `reset` when everything was forgotten;
/// a page that fell behind gets a fresh `snapshot`.
pub(crate) async fn stream(State(app): State<Arc<App>>) -> Response {
    let Some(inspector) = app.inspector.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (snapshot, receiver) = inspector.subscribe();
    let first = Event::default().event("snapshot").data(snapshot);
    let rest = stream::unfold((receiver, app.clone()), |(mut receiver, app)| async move {
        let event = match receiver.recv().await {
            Ok(Message::Record(json)) => Event::default().event("request").data(&*json),
            Ok(Message::Reset(resets)) => Event::default()
                .event("reset")
                .data(format!("{{\"resets\":{resets}}}")),
            Ok(Message::Closed) => return None,
            // What is still queued for it is older than a snapshot taken now (requests it
            // holds, a reset before it): a new receiver, taken with the snapshot, follows on
            // from exactly there.
            Err(RecvError::Lagged(_)) => {
                let (snapshot, fresh) = app.inspector.as_ref()?.subscribe();
                receiver = fresh;
                Event::default().event("snapshot").data(snapshot)
            }
            Err(RecvError::Closed) => return None,
        };
        Some((Ok::<_, Infallible>(event), (receiver, app)))
    });
    let events = stream::once(async { Ok::<_, Infallible>(first) }).chain(rest);
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /_emulator/inspector/registry`: counts per registered name, coverage, unregistered
/// names attempted.
pub(crate) async fn registry(State(app): State<Arc<App>>) -> Response {
    match app.inspector.as_ref() {
        Some(inspector) => {
            axum::Json(inspector.registry_view(&app.settings.registry)).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /_emulator/inspector/profiles?q=…`: profiles whose `external_id` contains `q`
/// (case-insensitive; an exact match first), each with its current properties, the JSON text
/// of those that are numbers or arrays (`texts`: parsed by the page's script, a Long past 2^53
/// lost digits and a Double `1.0` became `1`, as in request records) and the kept requests
/// that wrote to it.
pub(crate) async fn profiles(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(inspector) = app.inspector.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let needle = query.get("q").map(|q| q.trim()).unwrap_or_default();
    if needle.is_empty() {
        return json_text("{\"matches\":[],\"more\":false}".to_owned());
    }
    let (found, more) = app.store().profiles.search_external_id(needle, MAX_MATCHES);
    let matches: Vec<String> = found
        .iter()
        .map(|p| {
            let id = p.identity.external_id.as_deref().unwrap_or_default();
            let texts: serde_json::Map<String, Value> = p
                .properties
                .iter()
                .filter(|(_, v)| matches!(v, Value::Number(_) | Value::Array(_)))
                .map(|(name, v)| (name.clone(), Value::String(v.to_string())))
                .collect();
            format!(
                "{{\"profile\":{},\"texts\":{},\"history\":{}}}",
                serde_json::to_string(p).unwrap_or_else(|_| "null".to_owned()),
                Value::Object(texts),
                inspector.history(id)
            )
        })
        .collect();
    json_text(format!(
        "{{\"matches\":[{}],\"more\":{more}}}",
        matches.join(",")
    ))
}

fn json_text(text: String) -> Response {
    let mut response = Response::new(Body::from(text));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
