//! One attempt on the wire: pace, send with the right token header, read the answer within the
//! timeout, take in its rate-limit headers and classify it; and the retried call around it,
//! inside a `tracing` span that never records a token.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue};
use tracing::Instrument;
use uuid::Uuid;

use super::classify::classify;
use super::error::Error;
use super::retry::with_retries;
use super::{Client, Inner, TokenSource};
use crate::ratelimit::{RateLimitSnapshot, retry_after};
use crate::secret::Secret;
use crate::wire::{Endpoint, TokenKind};

/// The most bytes read from an Import answer (or an Export error); DFINERY's are tiny.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// The answer of one attempt: a CSV export still streaming, or a whole body already read.
pub(crate) enum Answer {
    /// An export's CSV: `head` (the bytes already read, often none), then the rest of
    /// `response`, not read yet.
    Stream {
        /// Read already.
        head: Bytes,
        /// The rest.
        response: reqwest::Response,
    },
    /// A body read in full and classified as a success.
    Body(Bytes),
}

impl Inner {
    /// The token `endpoint` takes, or [`Error::MissingToken`].
    fn token(&self, endpoint: Endpoint) -> Result<&Secret, Error> {
        let token = match endpoint.token() {
            TokenKind::Import => self.import_token.as_ref(),
            TokenKind::Export => self.export_token.as_ref(),
        };
        token.ok_or(Error::MissingToken { endpoint })
    }

    /// Where the `kind` token came from, when the client has one.
    pub(super) fn token_source(&self, kind: TokenKind) -> Option<&TokenSource> {
        let (token, source) = match kind {
            TokenKind::Import => (&self.import_token, &self.import_token_source),
            TokenKind::Export => (&self.export_token, &self.export_token_source),
        };
        token.as_ref().map(|_| source)
    }

    /// The request of one attempt, with the token header marked sensitive.
    fn request(&self, endpoint: Endpoint, token: &Secret, body: Bytes) -> reqwest::RequestBuilder {
        let (name, value) = match endpoint.token() {
            TokenKind::Import => ("access_token", HeaderValue::from_str(token.expose())),
            TokenKind::Export => (
                AUTHORIZATION.as_str(),
                HeaderValue::from_str(&format!("Bearer {}", token.expose())),
            ),
        };
        let request = match self.events_url(endpoint) {
            // The hot endpoint: its URL is parsed once, not formatted and parsed per request.
            Some(url) => self.http.post(url.clone()),
            None => self
                .http
                .post(format!("{}{}", self.base_url, endpoint.path()))
                .query(&[("service_id", self.service_id.as_str())]),
        };
        let mut request = request
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body);
        // A token that is not a valid header value is sent without it: the server answers
        // with an auth error rather than the client showing the token in a message.
        if let Ok(mut value) = value {
            value.set_sensitive(true);
            request = request.header(name, value);
        }
        request
    }

    /// The parsed URL of `endpoint` with its `service_id`, for [`Endpoint::Events`]: the same
    /// URL as `post(base + path).query(service_id)` builds, made once.
    fn events_url(&self, endpoint: Endpoint) -> Option<&reqwest::Url> {
        if endpoint != Endpoint::Events {
            return None;
        }
        self.events_url
            .get_or_init(|| {
                let mut url =
                    reqwest::Url::parse(&format!("{}{}", self.base_url, endpoint.path())).ok()?;
                url.query_pairs_mut()
                    .append_pair("service_id", &self.service_id);
                Some(url)
            })
            .as_ref()
    }

    /// One attempt: pace, send, read (a whole body, or an export's head), classify. A rate limit
    /// or a server error carries the wait its answer's `Retry-After` asked for
    /// ([`Error::retry_after`]), for the retry policy and the caller.
    async fn attempt(
        &self,
        endpoint: Endpoint,
        token: &Secret,
        body: Bytes,
    ) -> Result<Answer, Error> {
        let api = endpoint.api();
        let mut flight = self.pacer.acquire(api).await;
        // One deadline for the head and the body: `timeout` bounds the whole attempt.
        let deadline = tokio::time::Instant::now() + self.timeout;
        let send = self.request(endpoint, token, body).send();
        let response = match tokio::time::timeout_at(deadline, send).await {
            Err(_) => return Err(self.timed_out(endpoint)),
            Ok(Err(error)) => return Err(self.transport(endpoint, error)),
            Ok(Ok(response)) => response,
        };
        let mut response = response;
        let status = response.status().as_u16();
        if let Some(snapshot) = RateLimitSnapshot::from_headers(response.headers()) {
            flight.observe(snapshot);
        }
        let unreadable = response
            .status()
            .is_success()
            .then(|| unreadable(endpoint, response.headers(), self.base_url_given_by))
            .flatten();
        let mut start = BytesMut::new();
        if endpoint.token() == TokenKind::Export
            && response.status().is_success()
            && unreadable.is_none()
            && !is_json(response.headers())
        {
            // A CSV starts with its header row, never with `{`: an error body under another
            // type than JSON (a gateway's `text/plain`, say) is read and classified below, so
            // the retry policy sees it, rather than streamed as if it were the CSV.
            match tokio::time::timeout_at(deadline, read_start(&mut response)).await {
                Err(_) => return Err(self.timed_out(endpoint)),
                Ok(Err(error)) => return Err(self.transport(endpoint, error)),
                Ok(Ok(read)) if read.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => {
                    start.extend_from_slice(&read);
                }
                Ok(Ok(read)) => {
                    return Ok(Answer::Stream {
                        head: read,
                        response,
                    });
                }
            }
        }
        let (body, more) =
            match tokio::time::timeout_at(deadline, read_limited(&mut response, start)).await {
                Err(_) => return Err(self.timed_out(endpoint)),
                Ok(Err(error)) => return Err(self.transport(endpoint, error)),
                Ok(Ok(read)) => read,
            };
        if let Some(reason) = unreadable {
            return Err(Error::Decode {
                endpoint,
                status,
                reason,
                body: redact(body, token),
            });
        }
        let mut outcome = classify(endpoint, status, response.headers(), &body);
        if outcome.is_err() {
            // A proxy's error page may echo the request, token and all; an error keeps its
            // body and is shown and logged.
            let redacted = redact(body.clone(), token);
            if redacted != body {
                outcome = classify(endpoint, status, response.headers(), &redacted);
            }
        }
        tracing::debug!(status, outcome = outcome_name(&outcome), "answer");
        match outcome {
            // A CSV under a JSON type, longer than an error body is read: the rest follows.
            Ok(()) if more && endpoint.token() == TokenKind::Export => Ok(Answer::Stream {
                head: body,
                response,
            }),
            Ok(()) => Ok(Answer::Body(body)),
            Err(mut error) => {
                match &mut error {
                    // The message names where this client's id came from, to be fixed there.
                    Error::ServiceId { given_by, .. } => {
                        *given_by = Some(self.service_id_source.clone());
                    }
                    // And where its token came from.
                    Error::Auth { given_by, .. } => {
                        *given_by = self.token_source(endpoint.token()).cloned();
                    }
                    // And where its base URL came from, for an answer no DFINERY gives.
                    Error::Unexpected {
                        base_url_given_by, ..
                    }
                    | Error::TooManyEvents {
                        base_url_given_by, ..
                    } => *base_url_given_by = Some(self.base_url_given_by),
                    // A `Retry-After` is honoured by the retry policy after a rate limit or a
                    // server error, and kept for the caller (the Tracker's pause) once the
                    // retries end.
                    Error::RateLimited {
                        retry_after: wait, ..
                    } => {
                        *wait = retry_after(response.headers(), self.clock.now());
                        // The shared budget holds every instance back as long, when no reset
                        // came.
                        flight.rate_limited(*wait);
                    }
                    Error::Server {
                        retry_after: wait, ..
                    } => *wait = retry_after(response.headers(), self.clock.now()),
                    _ => {}
                }
                Err(error)
            }
        }
    }

    fn timed_out(&self, endpoint: Endpoint) -> Error {
        Error::Timeout {
            endpoint,
            after: self.timeout,
        }
    }

    fn transport(&self, endpoint: Endpoint, error: reqwest::Error) -> Error {
        // A connection not made in time is a transport failure, not a request unanswered: it
        // never reached DFINERY (so an export that failed so spent nothing, and is retried).
        if error.is_timeout() && !error.is_connect() {
            self.timed_out(endpoint)
        } else {
            Error::Transport {
                endpoint,
                source: error,
                base_url_given_by: self.base_url_given_by,
            }
        }
    }
}

impl Client {
    /// Sends `body` to `endpoint` under the retry policy, in a `dfinery.request` span
    /// (endpoint, events, request id, attempts, outcome); returns the answer and the attempts
    /// made (0 when nothing was sent).
    pub(crate) async fn call(
        &self,
        endpoint: Endpoint,
        body: Bytes,
        events: usize,
        request_id: Uuid,
    ) -> (Result<Answer, Error>, u32) {
        let inner = &*self.inner;
        let token = match inner.token(endpoint) {
            Ok(token) => token,
            Err(error) => return (Err(error), 0),
        };
        let span = tracing::info_span!(
            "dfinery.request",
            endpoint = %endpoint,
            events,
            request_id = %request_id,
            attempts = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        async {
            let (result, attempts) = with_retries(&inner.retry, &inner.clock, |attempt| {
                tracing::debug!(attempt, "sending");
                inner.attempt(endpoint, token, body.clone())
            })
            .await;
            let span = tracing::Span::current();
            span.record("attempts", attempts);
            span.record("outcome", outcome_name(&result));
            match &result {
                Ok(_) => tracing::debug!(attempts, "call succeeded"),
                // Returned to the caller either way. A refusal (a bad event, a refused token)
                // is the caller's to report (the Tracker logs its dead letters once per
                // refusal), so a DEBUG here: a WARN per request flooded the log when a refused
                // token failed a backfill user after user. Anything else is a WARN: an outage
                // (retries spent), or an answer the client cannot read (a proxy's maintenance
                // page, an API change), which is no refusal.
                Err(error) if refused(error) => tracing::debug!(
                    attempts,
                    error = %crate::ErrorChain(error),
                    "call refused"
                ),
                Err(error) => {
                    tracing::warn!(attempts, error = %crate::ErrorChain(error), "call failed")
                }
            }
            (result, attempts)
        }
        .instrument(span)
        .await
    }

    /// The read timeout of export streams.
    pub(crate) fn export_read_timeout(&self) -> Duration {
        self.inner.export_read_timeout
    }
}

/// `ok`, or the error's kind.
fn outcome_name<T>(result: &Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(error) => error.kind(),
    }
}

/// Whether the answer says it is JSON.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
}

/// `body` with every copy of `token` replaced by `***`.
fn redact(body: Bytes, token: &Secret) -> Bytes {
    let token = token.expose().as_bytes();
    if token.is_empty() || memchr::memmem::find(&body, token).is_none() {
        return body;
    }
    let mut out = Vec::with_capacity(body.len());
    let mut rest = &body[..];
    while let Some(at) = memchr::memmem::find(rest, token) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(b"***");
        rest = &rest[at + token.len()..];
    }
    out.extend_from_slice(rest);
    Bytes::from(out)
}

/// Why a 2xx answer cannot be what `endpoint` documents, whatever its body: a
/// `Content-Encoding` the client never asked for (it sends no `Accept-Encoding`, so the bytes
/// would be read as if plain), or an export answered with an HTML page instead of CSV (its fix
/// names where the base URL was given, `base_url_given_by`).
fn unreadable(
    endpoint: Endpoint,
    headers: &HeaderMap,
    base_url_given_by: &'static str,
) -> Option<String> {
    // Read in place: every answer passes here, and a copy per header would be an allocation
    // per request on the tracker's path.
    let value = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(encoding) =
        value(CONTENT_ENCODING).filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"))
    {
        let encoding = encoding.to_ascii_lowercase();
        return Some(format!(
            "it came `{encoding}`-encoded, though the client sends no `Accept-Encoding`; \
             a proxy between you and DFINERY is compressing it: turn that off"
        ));
    }
    let html = value(CONTENT_TYPE).is_some_and(|t| {
        t.get(..9)
            .is_some_and(|start| start.eq_ignore_ascii_case("text/html"))
    });
    (endpoint.token() == TokenKind::Export && html).then(|| {
        format!(
            "it is `text/html`, not CSV: a proxy or a login page answered instead of DFINERY; \
             check {base_url_given_by}"
        )
    })
}

/// The body (after `body`, the part of it read already), read until it ends or holds
/// [`MAX_ANSWER_BYTES`] (and at most the rest of the chunk that reached it); `true` when it
/// stopped there, the rest left in `response`.
async fn read_limited(
    response: &mut reqwest::Response,
    mut body: BytesMut,
) -> Result<(Bytes, bool), reqwest::Error> {
    if body.len() >= MAX_ANSWER_BYTES {
        return Ok((body.freeze(), true));
    }
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ANSWER_BYTES {
            return Ok((body.freeze(), true));
        }
    }
    Ok((body.freeze(), false))
}

/// The body up to its first byte that is not white space (or all of it, when there is none):
/// what tells an export's CSV from an error body. Its leading white space is kept (it is part
/// of the CSV, or skipped by the JSON parser).
async fn read_start(response: &mut reqwest::Response) -> Result<Bytes, reqwest::Error> {
    let mut start = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        start.extend_from_slice(&chunk);
        if !start.iter().all(u8::is_ascii_whitespace) || start.len() >= MAX_ANSWER_BYTES {
            break;
        }
    }
    Ok(start.freeze())
}

/// Whether DFINERY refused the call for what it sent (a bad event or request, a refused token
/// or service id): logged at `DEBUG` by the client, as the caller reports it.
fn refused(error: &Error) -> bool {
    matches!(
        error,
        Error::Validation { .. }
            | Error::Auth { .. }
            | Error::ServiceId { .. }
            | Error::TooManyEvents { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Client;

    fn client() -> Client {
        Client::builder()
            .service_id("svc")
            .import_token("import-secret-1")
            .export_token("export-secret-2")
            .base_url("http://127.0.0.1:1")
            .build()
            .unwrap()
    }

    /// The request of one attempt for `endpoint`, as reqwest will send it.
    fn built(client: &Client, endpoint: Endpoint) -> reqwest::Request {
        let inner = &*client.inner;
        let token = inner.token(endpoint).unwrap();
        inner
            .request(endpoint, token, Bytes::from_static(b"{}"))
            .build()
            .unwrap()
    }

    #[test]
    fn the_events_url_made_once_is_the_one_every_endpoint_gets_built() {
        // A service id that needs escaping, and a base URL with a path.
        let client = Client::builder()
            .service_id("svc+id&x=1/é")
            .import_token("t")
            .base_url("http://127.0.0.1:1/prefix")
            .build()
            .unwrap();
        let reqwest = reqwest::Client::new();
        for endpoint in [
            Endpoint::Events,
            Endpoint::Identities,
            Endpoint::UserProfile,
        ] {
            let expected = reqwest
                .post(format!("http://127.0.0.1:1/prefix{}", endpoint.path()))
                .query(&[("service_id", "svc+id&x=1/é")])
                .build()
                .unwrap();
            // Twice: the first request makes the cached URL, the second reuses it.
            for _ in 0..2 {
                assert_eq!(built(&client, endpoint).url(), expected.url(), "{endpoint}");
            }
        }
    }

    #[test]
    fn tokens_go_on_the_wire_only_as_sensitive_header_values() {
        let client = client();
        for endpoint in [
            Endpoint::Events,
            Endpoint::Identities,
            Endpoint::DeleteIdentity,
            Endpoint::UserProfile,
        ] {
            let request = built(&client, endpoint);
            let header = request
                .headers()
                .get("access_token")
                .expect("the token header");
            assert_eq!(header, "import-secret-1", "{endpoint}");
            assert!(
                header.is_sensitive(),
                "{endpoint}: the import token is not sensitive"
            );
            assert!(request.headers().get(AUTHORIZATION).is_none());
            assert!(
                !request.url().as_str().contains("secret"),
                "{}",
                request.url()
            );
        }
        for endpoint in [Endpoint::ExportEvent, Endpoint::ExportUserProfile] {
            let request = built(&client, endpoint);
            let header = request
                .headers()
                .get(AUTHORIZATION)
                .expect("the token header");
            assert_eq!(header, "Bearer export-secret-2", "{endpoint}");
            assert!(
                header.is_sensitive(),
                "{endpoint}: the export token is not sensitive"
            );
            assert!(request.headers().get("access_token").is_none());
            assert!(
                !request.url().as_str().contains("secret"),
                "{}",
                request.url()
            );
        }
        // Only the token is sensitive: the other headers stay visible to logs and proxies.
        let request = built(&client, Endpoint::Events);
        let content_type = request.headers().get(CONTENT_TYPE).unwrap();
        assert!(!content_type.is_sensitive());
    }
}
