//! [`Client::send_events`]: any mix of events, checked first, split into requests of at most
//! 100 events and 100 items, sent in order; what happens when request k of n fails ([`SendError`]).

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use dfinery_schema::names::counted;
use uuid::Uuid;

use super::Client;
use super::error::{Error, InvalidEvent};
use super::split::{item_count, split};
use crate::encode::identity::Identity;
use crate::encode::model::Event;
use crate::encode::property::Rule;
use crate::encode::record::{EventRecord, ValidationError};
use crate::encode::writer::Violation;
use crate::limits::MAX_ITEMS_PER_REQUEST;
use crate::wire::Endpoint;

/// Anything [`Client::send_events`] can send: an [`EventRecord`] (as it is, `event_log_id`
/// kept), or a typed event by reference (`&T` where `T: Event`, including `&dyn Event`),
/// checked and serialised on the way.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as an event",
    label = "not an event to send",
    note = "pass a typed event by reference (`&purchase`, or `(identity, &purchase)` in `track_many`), where its type derives `DfineryEvent`, or an `EventRecord`"
)]
pub trait IntoEventRecord {
    /// The record to send.
    ///
    /// # Errors
    ///
    /// The event's [`ValidationError`].
    fn into_event_record(self) -> Result<EventRecord, ValidationError>;
}

impl IntoEventRecord for EventRecord {
    fn into_event_record(self) -> Result<EventRecord, ValidationError> {
        Ok(self)
    }
}

impl IntoEventRecord for &EventRecord {
    fn into_event_record(self) -> Result<EventRecord, ValidationError> {
        Ok(self.clone())
    }
}

impl<T: Event + ?Sized> IntoEventRecord for &T {
    fn into_event_record(self) -> Result<EventRecord, ValidationError> {
        self.to_record()
    }
}

/// One request of a [`send_events`](Client::send_events) call that succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestReport {
    /// A client-side id of the request, the same on every attempt; it appears in the
    /// `dfinery.request` tracing span.
    pub request_id: Uuid,
    /// Events in the request.
    pub events: usize,
    /// Items in the request, all events together.
    pub items: usize,
    /// Attempts it took (1 without a retry).
    pub attempts: u32,
}

/// What a [`send_events`](Client::send_events) call delivered: one entry per request, in the
/// order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendReport {
    /// The requests that succeeded, in order.
    pub requests: Vec<RequestReport>,
    /// Events delivered: the `events` of every request.
    pub events: usize,
    /// Attempts made by the delivered requests, retries included.
    pub attempts: u32,
    /// Retries made by the delivered requests (attempts beyond the first of each).
    pub retries: u32,
}

impl SendReport {
    /// Adds a delivered request to the list and the totals.
    fn push(&mut self, request: RequestReport) {
        self.events += request.events;
        self.attempts += request.attempts;
        self.retries += request.attempts.saturating_sub(1);
        self.requests.push(request);
    }
}

/// A [`send_events`](Client::send_events) call that stopped: why, what was delivered before,
/// and what was not.
///
/// Requests go out one after another, in order. When request k of n fails (after its
/// retries), requests 1 to k−1 are delivered ([`delivered`](SendError::delivered)) and the
/// events of request k onwards are not sent again by this call: they are in
/// [`undelivered`](SendError::undelivered), in order, with their `event_log_id`s, so passing
/// them to `send_events` again later is safe (the server de-duplicates an event that request k
/// may have stored before its answer was lost).
///
/// When [`error`](SendError::error) is [`Error::InvalidEvents`], nothing was sent and
/// `undelivered` is empty: fix the events.
///
/// When it is an [`Error::Validation`] listing violations, their paths count the events of
/// the refused request, not the events given: `events[3]` is `undelivered[3]`, the event given
/// at index `delivered.events + 3`. Resending before the refused events are fixed (or left
/// out) is refused again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub struct SendError {
    /// Why the call stopped.
    #[source]
    pub error: Error,
    /// The requests delivered before it stopped.
    pub delivered: SendReport,
    /// The events not delivered, in order (the failed request's first).
    pub undelivered: Vec<EventRecord>,
}

/// What was delivered and what to resend, after the cause when the cause is something to fix
/// first (a refused token or service id, a missing token, events DFINERY refused: resending
/// before the fix is refused again), before it otherwise (an outage: resending later is the
/// fix).
///
/// The paths of a refusal's violations (`events[3]…`) count the events of the refused
/// request, which is `undelivered`'s start, not the events given: past the first request, the
/// message says so, with the index of the events given they start at.
impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tally = || {
            format!(
                "{} not delivered; {} delivered in {}",
                counted(self.undelivered.len() as u64, "event", "events"),
                self.delivered.events,
                counted(self.delivered.requests.len() as u64, "request", "requests")
            )
        };
        match &self.error {
            Error::InvalidEvents { .. } => self.error.fmt(f),
            error @ Error::Validation { violations, .. } => {
                // The request refused is the first of `undelivered`; its events' paths count
                // from it, not from the events given (which they do for the first request).
                let offset = self.delivered.events;
                if violations.is_empty() || offset == 0 {
                    write!(f, "{error} ({}, in `undelivered`)", tally())
                } else {
                    write!(
                        f,
                        "{error}; these paths count the events of the refused request: \
                         `events[i]` is `undelivered[i]`, the event given at index {offset} + i \
                         ({}, in `undelivered`)",
                        tally()
                    )
                }
            }
            error @ (Error::Auth { .. }
            | Error::ServiceId { .. }
            | Error::MissingToken { .. }
            | Error::TooManyEvents { .. }) => {
                write!(f, "{error}; then resend `undelivered` ({})", tally())
            }
            error => write!(
                f,
                "{} delivered in {}, {} not delivered (resend `undelivered`): {error}",
                counted(self.delivered.events as u64, "event", "events"),
                counted(self.delivered.requests.len() as u64, "request", "requests"),
                self.undelivered.len()
            ),
        }
    }
}

impl From<SendError> for Error {
    /// The cause alone (what was delivered is dropped).
    fn from(error: SendError) -> Error {
        error.error
    }
}

impl Client {
    /// Sends events of one user: typed events (`&purchase`, `&coupon as &dyn Event`) and
    /// [`EventRecord`]s, in any mix.
    ///
    /// Every event is checked first: if any is invalid, nothing is sent and the error lists
    /// every invalid event ([`Error::InvalidEvents`]; an event with more than 100 items is one,
    /// as no request may carry more). The events are then split into requests of at most 100
    /// events (see [`ClientBuilder::max_events_per_request`]) and at most 100 items, all events
    /// together, sent one after another in the order given,
    /// each retried under the retry policy with the same `event_log_id`s. No events, no
    /// request.
    ///
    /// # Errors
    ///
    /// A [`SendError`]: the cause, the requests delivered, and the events not delivered.
    ///
    /// [`ClientBuilder::max_events_per_request`]: super::ClientBuilder::max_events_per_request
    pub async fn send_events<I>(
        &self,
        identity: &Identity,
        events: I,
    ) -> Result<SendReport, SendError>
    where
        I: IntoIterator,
        I::Item: IntoEventRecord,
    {
        let records = collect(events).map_err(|error| SendError {
            error,
            delivered: SendReport::default(),
            undelivered: Vec::new(),
        })?;
        self.send_records(identity, records).await
    }

    /// Sends records already checked, as [`send_events`](Client::send_events) does (which
    /// users call with the records: an `EventRecord` is an [`IntoEventRecord`]); the tracker's
    /// worker calls this directly.
    ///
    /// A record read back from JSON (e.g. a spool) was not checked again; one with more than
    /// 100 items could never be sent, so it makes the whole call fail before anything is sent,
    /// as [`Error::InvalidEvents`].
    ///
    /// # Errors
    ///
    /// A [`SendError`]: the cause, the requests delivered, and the events not delivered.
    pub(crate) async fn send_records(
        &self,
        identity: &Identity,
        records: Vec<EventRecord>,
    ) -> Result<SendReport, SendError> {
        let items: Vec<usize> = records.iter().map(item_count).collect();
        let oversized = unsendable_records(&records, &items);
        if !oversized.is_empty() {
            return Err(SendError {
                error: Error::InvalidEvents { events: oversized },
                delivered: SendReport::default(),
                undelivered: Vec::new(),
            });
        }
        let ranges = split(&items, self.inner.max_events_per_request);
        let mut report = SendReport::default();
        for range in ranges {
            let batch = &records[range.clone()];
            let events = batch.len();
            let request_id = Uuid::new_v4();
            let outcome = match encode(identity, batch) {
                Ok(body) => self.call(Endpoint::Events, body, events, request_id).await,
                Err(error) => (Err(error), 0),
            };
            match outcome {
                (Ok(_), attempts) => report.push(RequestReport {
                    request_id,
                    events,
                    items: items[range].iter().sum(),
                    attempts,
                }),
                (Err(error), _) => {
                    return Err(SendError {
                        error,
                        delivered: report,
                        undelivered: records[range.start..].to_vec(),
                    });
                }
            }
        }
        Ok(report)
    }
}

/// The records that cannot be sent as they are (see [`unsendable`]), as invalid events.
fn unsendable_records(records: &[EventRecord], items: &[usize]) -> Vec<InvalidEvent> {
    records
        .iter()
        .zip(items)
        .enumerate()
        .filter_map(|(index, (record, &len))| {
            Some(InvalidEvent {
                index,
                error: unsendable(record, len)?,
            })
        })
        .collect()
}

/// The error of an event that cannot be sent as it is: with `len` items, more than one request
/// carries, or with the nil UUID as its `event_log_id` (given by
/// [`EventRecord::with_event_log_id`]); `None` when it can be sent. (The derives and the
/// builder refuse both; a record changed or made from JSON parts is refused here and by the
/// tracker.)
pub(crate) fn unsendable(record: &EventRecord, len: usize) -> Option<ValidationError> {
    let mut violations = Vec::new();
    if record.event_log_id().is_nil() {
        violations.push(crate::encode::record::nil_event_log_id());
    }
    if len > MAX_ITEMS_PER_REQUEST {
        violations.push(Violation {
            path: "event_items".to_owned(),
            property: Cow::Borrowed("event_items"),
            rule: Rule::TooManyItems {
                len,
                max: MAX_ITEMS_PER_REQUEST,
            },
        });
    }
    (!violations.is_empty()).then(|| ValidationError {
        subject: format!("event `{}`", record.event_name()),
        violations,
    })
}

/// Every record, or every invalid event.
fn collect<I>(events: I) -> Result<Vec<EventRecord>, Error>
where
    I: IntoIterator,
    I::Item: IntoEventRecord,
{
    let mut records = Vec::new();
    let mut invalid = Vec::new();
    for (index, event) in events.into_iter().enumerate() {
        match event.into_event_record() {
            Ok(record) => records.push(record),
            Err(error) => invalid.push(InvalidEvent { index, error }),
        }
    }
    if invalid.is_empty() {
        Ok(records)
    } else {
        Err(Error::InvalidEvents { events: invalid })
    }
}

/// The JSON body of one request (1 to 100 events, which `split` guarantees).
fn encode(identity: &Identity, batch: &[EventRecord]) -> Result<Bytes, Error> {
    // `{"common":{"identity":…},"events":[…]}` as serde writes [`EventBatchRequest`](crate::wire::EventBatchRequest),
    // assembled in one buffer: the identity written into it by serde (as `Common` writes it,
    // without a copy of the identity or a buffer of its own), then each record's wire object
    // copied once.
    const HEAD: &[u8] = br#"{"common":{"identity":"#;
    const EVENTS: &[u8] = br#"},"events":["#;
    let records = batch.iter().map(|r| r.encoded_len() + 1).sum::<usize>();
    let mut body =
        Vec::with_capacity(HEAD.len() + identity_len(identity) + EVENTS.len() + records + 2);
    body.extend_from_slice(HEAD);
    serde_json::to_writer(&mut body, identity).map_err(|source| Error::Encode {
        endpoint: Endpoint::Events,
        source,
    })?;
    body.extend_from_slice(EVENTS);
    for (i, record) in batch.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(record.json_bytes());
    }
    body.extend_from_slice(b"]}");
    Ok(Bytes::from(body))
}

/// The length of `identity`'s JSON when no identifier needs escaping (a longer one only
/// grows the body's buffer once): each identifier with its key (at most 13 bytes), quotes,
/// colon and comma, and the braces.
fn identity_len(identity: &Identity) -> usize {
    identity.present().map(|id| id.len() + 19).sum::<usize>() + 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Identifier;
    use crate::wire::{Common, EventBatchRequest};

    /// A send stopped by a refused token put "resend `undelivered`" first and the token's fix
    /// last: resending first is refused again. The fix comes first; an outage keeps the resend
    /// (its fix) first.
    #[test]
    fn a_refused_token_puts_its_fix_before_the_resend() {
        let stopped = |error| SendError {
            error,
            delivered: SendReport {
                events: 100,
                requests: vec![RequestReport {
                    request_id: Uuid::nil(),
                    events: 100,
                    items: 0,
                    attempts: 1,
                }],
                ..SendReport::default()
            },
            undelivered: vec![EventRecord::builder("df_login").build().unwrap(); 50],
        };
        let refused = stopped(Error::Auth {
            endpoint: Endpoint::Events,
            status: 200,
            code: None,
            given_by: Some(super::super::TokenSource::Env),
        });
        assert_eq!(
            refused.to_string(),
            "`POST /api/v1/events` refused the token from `DFINERY_IMPORT_TOKEN` (HTTP 200); set `DFINERY_IMPORT_TOKEN` to the import token the DFINERY console shows; then resend `undelivered` (50 events not delivered; 100 delivered in 1 request)"
        );
        let refused = stopped(Error::ServiceId {
            endpoint: Endpoint::Events,
            status: 200,
            code: None,
            given_by: Some(super::super::ServiceIdSource::Env),
        })
        .to_string();
        assert!(
            refused.starts_with("`POST /api/v1/events` refused the service id from"),
            "{refused}"
        );
        let outage = stopped(Error::Server {
            endpoint: Endpoint::Events,
            status: 503,
            code: None,
            body: bytes::Bytes::new(),
            retry_after: None,
        });
        assert_eq!(
            outage.to_string(),
            "100 events delivered in 1 request, 50 not delivered (resend `undelivered`): `POST /api/v1/events` failed on the server (HTTP 503); retry later"
        );
    }

    #[test]
    fn the_assembled_body_is_what_serde_writes_for_the_batch() {
        let identity = Identity::new(Identifier::ExternalId, "u-\"1\"").unwrap();
        let records: Vec<EventRecord> = (0..3)
            .map(|i| {
                EventRecord::builder("df_login")
                    .property("n", i64::from(i))
                    .build()
                    .unwrap()
            })
            .collect();
        let body = encode(&identity, &records).unwrap();
        let expected = serde_json::to_vec(&EventBatchRequest {
            common: Common {
                identity: identity.clone(),
            },
            events: records.clone(),
        })
        .unwrap();
        assert_eq!(&body[..], &expected[..]);
    }

    #[test]
    fn every_identifier_and_no_escaping_make_the_body_serde_writes_in_a_buffer_of_its_size() {
        let identity = Identity::new(Identifier::ExternalId, "user-123")
            .unwrap()
            .with(Identifier::PhoneNo, "821012345678")
            .unwrap()
            .with(Identifier::Email, "user@example.com")
            .unwrap()
            .with(Identifier::KakaoUserId, "kakao-1")
            .unwrap()
            .with(Identifier::LineUserId, "line-1")
            .unwrap();
        let records = vec![EventRecord::builder("df_login").build().unwrap()];
        let body = encode(&identity, &records).unwrap();
        let expected = serde_json::to_vec(&EventBatchRequest {
            common: Common {
                identity: identity.clone(),
            },
            events: records,
        })
        .unwrap();
        assert_eq!(&body[..], &expected[..]);
        // The identity's length is not under-estimated when nothing needs escaping.
        let identity_json = serde_json::to_vec(&identity).unwrap();
        assert!(identity_len(&identity) >= identity_json.len());
    }
}
