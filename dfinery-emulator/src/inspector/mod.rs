//! The inspector: a live page at `/_emulator/` showing each request as it arrives (server-sent
//! events), the registry's coverage, the rate limits and the profiles. On only with
//! [`EmulatorBuilder::inspector`](crate::EmulatorBuilder::inspector).
//!
//! Every request to the six DFINERY endpoints passes [`http::observe`], which times it and turns
//! it into a record (JSON, built once) kept in a ring of the last N and broadcast to every open
//! page. The store is not touched: the ring and the counters here are the page's own, bounded
//! memory.

pub(crate) mod http;
mod record;
mod tally;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::Api;
use tally::Tally;

/// The default number of requests the page and the stream keep.
pub(crate) const DEFAULT_CAPACITY: usize = 500;

/// A record larger than this (serialized) keeps its summary but not its events.
const MAX_RECORD_BYTES: usize = 256 * 1024;

/// The longest identifier text a record over [`MAX_RECORD_BYTES`] keeps, in bytes.
const MAX_IDENTITY_TEXT: usize = 1_024;

/// An identity with each text cut to [`MAX_IDENTITY_TEXT`] bytes and anything but text
/// dropped (`null` when nothing is left).
fn short_identity(identity: Value) -> Value {
    let Value::Object(map) = identity else {
        return Value::Null;
    };
    let kept: serde_json::Map<String, Value> = map
        .into_iter()
        .filter(|(key, _)| key.len() <= MAX_IDENTITY_TEXT)
        .filter_map(|(key, value)| {
            let Value::String(mut text) = value else {
                return None;
            };
            if text.len() > MAX_IDENTITY_TEXT {
                text.truncate(text.floor_char_boundary(MAX_IDENTITY_TEXT));
                text.push('…');
            }
            Some((key, Value::String(text)))
        })
        .take(16)
        .collect();
    if kept.is_empty() {
        Value::Null
    } else {
        Value::Object(kept)
    }
}

/// The longest event name an event outline keeps, in bytes.
const MAX_OUTLINE_NAME: usize = 256;

/// An event of a record over [`MAX_RECORD_BYTES`]: its index, its name (cut to
/// [`MAX_OUTLINE_NAME`] bytes) and whether it is registered; no `properties` (the page shows
/// none, rather than "no properties").
fn event_outline(event: &Value) -> Value {
    let name = event["name"].as_str().map(|name| {
        if name.len() > MAX_OUTLINE_NAME {
            format!("{}…", &name[..name.floor_char_boundary(MAX_OUTLINE_NAME)])
        } else {
            name.to_owned()
        }
    });
    json!({
        "index": event["index"],
        "name": name,
        "registered": event["registered"],
    })
}

/// What an open page receives.
#[derive(Debug, Clone)]
pub(crate) enum Message {
    /// One request, as JSON.
    Record(Arc<str>),
    /// Everything was forgotten (`POST /_emulator/reset`): how many times since the start.
    Reset(u64),
    /// The emulator is stopping: streams end so the server need not wait for them.
    Closed,
}

/// One kept request.
#[derive(Debug)]
struct Entry {
    external_id: Option<String>,
    /// Whether the request wrote to a profile (identities, user-profile, delete).
    profile_write: bool,
    json: Arc<str>,
}

/// Where one API's limit stands, as last answered.
#[derive(Debug, Clone, Default)]
struct RateState {
    window: String,
    limit: u64,
    remaining: Option<u64>,
    reset_ms: Option<u64>,
    limited: u64,
    admitted: u64,
}

impl RateState {
    fn to_json(&self, api: Api) -> Value {
        json!({
            "api": api_name(api),
            "window": self.window,
            "limit": self.limit,
            "remaining": self.remaining,
            "reset_ms": self.reset_ms,
            "limited": self.limited,
            "admitted": self.admitted,
        })
    }
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    /// How many times everything was forgotten: in each snapshot, so a page that missed a
    /// `reset` (disconnected, or behind) sees that it did.
    resets: u64,
    ring: VecDeque<Entry>,
    tally: Tally,
    rates: [RateState; 4],
}

/// The inspector's state: the last N requests, counters for the registry view and rate limits,
/// and the broadcast to open pages.
#[derive(Debug)]
pub(crate) struct Inspector {
    capacity: usize,
    /// Tells this emulator's stream from another one's on the same address (a page left open
    /// across a restart, whose request ids start again from 1).
    instance: String,
    inner: Mutex<Inner>,
    sender: broadcast::Sender<Message>,
}

impl Inspector {
    /// An inspector keeping the last `capacity` requests (at least 1), with the configured
    /// limits as the rate panel's starting point.
    pub(crate) fn new(capacity: usize, limits: &crate::RateLimits) -> Inspector {
        let capacity = capacity.max(1);
        let (sender, _) = broadcast::channel(capacity.min(1024));
        let mut inner = Inner::default();
        for (state, api) in inner.rates.iter_mut().zip(Api::ALL) {
            let limit = limits.get(api);
            state.window = limit.window.to_string();
            state.limit = limit.limit;
        }
        Inspector {
            capacity,
            instance: uuid::Uuid::new_v4().simple().to_string(),
            inner: Mutex::new(inner),
            sender,
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `record` (dropping the oldest past the capacity) and sends it to every open page.
    /// `record` gets its `id` and the API's rate state here.
    pub(crate) fn push(&self, mut record: Value, observed: Observed) {
        let mut inner = self.inner();
        inner.next_id += 1;
        let id = inner.next_id;
        let index = observed.api.index();
        {
            let rate = &mut inner.rates[index];
            if observed.limited {
                rate.limited += 1;
            } else if observed.consumed {
                rate.admitted += 1;
            }
            if let Some(remaining) = observed.remaining {
                rate.remaining = Some(remaining);
            }
            if let Some(reset) = observed.reset_ms {
                rate.reset_ms = Some(reset);
            }
            if let Some(window) = observed.window {
                rate.window = window;
            }
        }
        record["id"] = json!(id);
        record["rate"] = inner.rates[index].to_json(observed.api);
        let mut text = record.to_string();
        if text.len() > MAX_RECORD_BYTES || observed.cut {
            let size = text.len();
            if let Some(Value::Array(list)) = record.get_mut("user_properties") {
                list.clear();
            }
            // Each event keeps its place and name (the row lists them, the event-name filter
            // reads them), without its properties, items and violations.
            if let Some(Value::Array(events)) = record.get_mut("events") {
                for event in events.iter_mut() {
                    *event = event_outline(event);
                }
            }
            // The identity is the body's own (a megabyte-long `external_id`, say): its texts
            // are cut, and anything else in it dropped.
            record["identity"] = short_identity(record["identity"].take());
            record["note"] = json!(if observed.cut {
                format!(
                    "details omitted: the record holds over {} properties, over the page's cap of {MAX_RECORD_BYTES} bytes",
                    record::MAX_PROPERTIES_BUILT
                )
            } else {
                format!(
                    "details omitted: the record is {size} bytes, over the page's cap of {MAX_RECORD_BYTES}"
                )
            });
            text = record.to_string();
            if text.len() > MAX_RECORD_BYTES {
                record["violations"] = json!([]);
                text = record.to_string();
            }
        }
        let json: Arc<str> = Arc::from(text);
        if inner.ring.len() == self.capacity {
            inner.ring.pop_front();
        }
        inner.ring.push_back(Entry {
            // A profile search compares whole ids: one too long to keep is not searched for.
            external_id: observed
                .external_id
                .filter(|id| id.len() <= MAX_IDENTITY_TEXT),
            profile_write: observed.profile_write,
            json: json.clone(),
        });
        // No page open is not an error.
        let _ = self.sender.send(Message::Record(json));
    }

    /// Shows `limit` as the rate limit of `api` from now on (the handle changed it).
    pub(crate) fn set_limit(&self, api: Api, limit: crate::RateLimit) {
        let mut inner = self.inner();
        let rate = &mut inner.rates[api.index()];
        rate.limit = limit.limit;
        rate.window = limit.window.to_string();
    }

    /// Counts the names of a body for the registry view: walked without the lock (a body may
    /// hold millions of item properties, and other requests' records wait for the lock),
    /// then merged under it.
    pub(crate) fn tally(&self, registry: &dfinery_schema::Registry, api: Api, body: &Value) {
        let mut counted = Tally::default();
        counted.count(registry, api, body);
        self.inner().tally.merge(counted);
    }

    /// The page's starting point (the kept requests, the rate panel, the capacity) and a
    /// receiver for what follows, taken together so nothing falls between them.
    pub(crate) fn subscribe(&self) -> (String, broadcast::Receiver<Message>) {
        let inner = self.inner();
        let receiver = self.sender.subscribe();
        (self.snapshot_of(&inner), receiver)
    }

    /// The kept requests and the rate panel, as the `snapshot` message.
    fn snapshot_of(&self, inner: &Inner) -> String {
        let records: Vec<&str> = inner.ring.iter().map(|e| &*e.json).collect();
        let rates: Vec<Value> = inner
            .rates
            .iter()
            .zip(Api::ALL)
            .map(|(r, api)| r.to_json(api))
            .collect();
        format!(
            "{{\"instance\":\"{}\",\"resets\":{},\"capacity\":{},\"rates\":{},\"records\":[{}]}}",
            self.instance,
            inner.resets,
            self.capacity,
            Value::Array(rates),
            records.join(",")
        )
    }

    /// The registry view: counts per registered name, coverage and unregistered attempts.
    pub(crate) fn registry_view(&self, registry: &dfinery_schema::Registry) -> Value {
        self.inner().tally.view(registry)
    }

    /// The kept profile writes (identities, user-profile, delete) of `external_id`, oldest
    /// first, as a JSON array.
    pub(crate) fn history(&self, external_id: &str) -> String {
        let inner = self.inner();
        let list: Vec<&str> = inner
            .ring
            .iter()
            .filter(|e| e.profile_write && e.external_id.as_deref() == Some(external_id))
            .map(|e| &*e.json)
            .collect();
        format!("[{}]", list.join(","))
    }

    /// Ends every open stream (the emulator is shutting down).
    pub(crate) fn close(&self) {
        let _ = self.sender.send(Message::Closed);
    }

    /// Forgets the kept requests and the counters, and tells every open page. Told while the
    /// state is still locked, as a record is, so that every page gets the messages in the
    /// order the state changed in (a record kept just after the reset reaches it after the
    /// `reset`, not before it to be forgotten there).
    pub(crate) fn reset(&self) {
        let mut inner = self.inner();
        inner.ring.clear();
        inner.tally = Tally::default();
        for rate in &mut inner.rates {
            rate.remaining = None;
            rate.reset_ms = None;
            rate.limited = 0;
            rate.admitted = 0;
        }
        inner.resets += 1;
        let _ = self.sender.send(Message::Reset(inner.resets));
    }
}

/// What the middleware learned about a request besides its record.
#[derive(Debug)]
pub(crate) struct Observed {
    pub(crate) api: Api,
    pub(crate) limited: bool,
    /// The rate-limit window counted the request (its body refused, or a fault answered it).
    pub(crate) consumed: bool,
    pub(crate) remaining: Option<u64>,
    pub(crate) reset_ms: Option<u64>,
    pub(crate) window: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) profile_write: bool,
    /// The record was built with some of its properties left out
    /// ([`record::MAX_PROPERTIES_BUILT`]): it is over the page's cap whatever its size.
    pub(crate) cut: bool,
}

/// The API's name on the page: the protocol's name capitalised, e.g. `Event`.
pub(crate) fn api_name(api: Api) -> String {
    let name = api.as_str();
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        let mut capitalised = String::with_capacity(name.len());
        capitalised.push(first.to_ascii_uppercase());
        capitalised.push_str(chars.as_str());
        capitalised
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RateLimits;

    fn observed(external_id: Option<String>) -> Observed {
        Observed {
            api: Api::Identity,
            limited: false,
            consumed: false,
            remaining: None,
            reset_ms: None,
            window: None,
            external_id,
            profile_write: true,
            cut: false,
        }
    }

    #[test]
    fn a_record_with_a_huge_identity_is_kept_within_the_cap() {
        let inspector = Inspector::new(3, &RateLimits::default());
        let huge = "x".repeat(4 * 1024 * 1024);
        let violations: Vec<Value> = (0..101)
            .map(|_| json!({"path": "y".repeat(1_100), "rule": "type", "expected": "z".repeat(1_100)}))
            .collect();
        for _ in 0..3 {
            let record = json!({
                "endpoint": "/api/v1/identities",
                "identity": {"external_id": huge, "email": "a@b.c", "nested": [huge]},
                "events": [{"index": 0, "name": huge, "registered": false, "properties": []}],
                "user_properties": [],
                "violations": violations,
                "violation_count": 101,
            });
            inspector.push(record, observed(Some(huge.clone())));
        }
        let (snapshot, _) = inspector.subscribe();
        assert!(
            snapshot.len() < 3 * MAX_RECORD_BYTES,
            "{} bytes kept for 3 records",
            snapshot.len()
        );
        let snapshot: Value = serde_json::from_str(&snapshot).unwrap();
        let record = &snapshot["records"][0];
        let kept = record["identity"]["external_id"].as_str().unwrap();
        assert!(
            kept.len() <= MAX_IDENTITY_TEXT + 3 && kept.ends_with('…'),
            "{kept}"
        );
        assert_eq!(record["identity"]["email"], "a@b.c");
        let outline = &record["events"][0];
        let name = outline["name"].as_str().unwrap();
        assert!(name.len() <= MAX_OUTLINE_NAME + 3 && name.ends_with('…'));
        assert!(outline.get("properties").is_none(), "{outline}");
        assert!(record["identity"].get("nested").is_none());
        assert!(
            record["note"]
                .as_str()
                .unwrap()
                .starts_with("details omitted")
        );
        assert_eq!(record["violation_count"], 101);
        let inner = inspector.inner();
        assert!(inner.ring.iter().all(|entry| entry.external_id.is_none()));
    }

    #[test]
    fn a_record_built_with_properties_left_out_is_kept_as_over_the_cap() {
        let inspector = Inspector::new(3, &RateLimits::default());
        let record = json!({
            "endpoint": "/api/v1/events",
            "identity": {"external_id": "u-1"},
            "events": [{"index": 0, "name": "df_login", "registered": true, "properties": [{"name": "p"}]}],
            "user_properties": [],
            "violations": [],
        });
        let mut cut = observed(None);
        cut.cut = true;
        inspector.push(record, cut);
        let (snapshot, _) = inspector.subscribe();
        let snapshot: Value = serde_json::from_str(&snapshot).unwrap();
        let record = &snapshot["records"][0];
        assert!(record["events"][0].get("properties").is_none(), "{record}");
        assert_eq!(record["events"][0]["name"], "df_login");
        let note = record["note"].as_str().unwrap();
        assert!(
            note.starts_with("details omitted: the record holds over 4096 properties"),
            "{note}"
        );
    }

    #[test]
    fn short_identities_are_unchanged() {
        let identity = json!({"external_id": "u-1", "email": "a@b.c"});
        assert_eq!(short_identity(identity.clone()), identity);
        assert_eq!(short_identity(json!("text")), Value::Null);
    }
}
