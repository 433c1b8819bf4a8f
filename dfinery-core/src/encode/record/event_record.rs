//! [`EventRecord`]: one validated event, serialised once, exactly as it goes on the wire.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use uuid::Uuid;

use bytes::Bytes;

use super::ValidationError;
use super::builder::EventRecordBuilder;
use super::chunk;
use crate::encode::json;
use crate::encode::property::Rule;
use crate::encode::value::Datetime;
use crate::encode::writer::Violation;

/// One validated event, its properties and items already serialised: an element of the
/// `events` array of `POST /api/v1/events` (`docs/protocol.md` §3.2).
///
/// Made by [`Event::to_record`](crate::Event::to_record) or [`EventRecord::builder`]; both
/// check every value first, so a record never holds an invalid value. Cloning is cheap (a
/// reference count). The wire objects of records made one after another on a thread share
/// blocks of 16 KiB (one over 4 KiB gets its own), so writing one costs no allocation of its
/// own; a block is freed with the last record cut from it, so a record kept long keeps its
/// block alive (a dead letter's event is a copy of its own, so keeping letters does not). It serialises to exactly the wire event object:
///
/// ```json
/// {"event_log_id":"…","event_name":"df_purchase","event_datetime":"2024-06-24T06:01:48.501Z",
///  "event_items":[{…}],"event_properties":{…}}
/// ```
///
/// `event_items` is left out when the event has no items, and `event_properties` when it has
/// no property to send (every optional property absent): the API marks both optional
/// (`docs/protocol.md` §11 Q2). It deserialises from the same object, so records can be spooled
/// and read back; deserialising checks the shape (an array of items, an object of properties)
/// but not the values, which were checked when the record was made.
#[derive(Clone)]
pub struct EventRecord(Arc<Inner>);

/// The record: its fields, and the whole wire object written once from them, so sending it
/// is a copy (no field is formatted again) and its length is known.
struct Inner {
    event_log_id: Uuid,
    /// Borrowed for a typed event, whose name is `'static`: one allocation less per record.
    event_name: Cow<'static, str>,
    event_datetime: Datetime,
    /// `{"event_log_id":…,"event_name":…,"event_datetime":…,"event_items":…,"event_properties":…}`,
    /// exactly as `serde_json` writes such a struct: UTF-8, written from `&str`s only, in
    /// memory shared with the records made just before and after it on the same thread
    /// (`chunk.rs`).
    json: Bytes,
    /// Where the `event_items` array is in `json`.
    items: Option<Range<usize>>,
    /// How many items `event_items` holds (0 without it), counted once when the record is
    /// made, so batching never parses the items again.
    item_count: usize,
    /// Where the `event_properties` object is in `json`.
    properties: Option<Range<usize>>,
}

/// The fields of the wire object, for reading a record back.
#[derive(Deserialize)]
struct Wire {
    event_log_id: Uuid,
    event_name: String,
    event_datetime: Datetime,
    #[serde(default)]
    event_items: Option<Box<RawValue>>,
    #[serde(default)]
    event_properties: Option<Box<RawValue>>,
}

impl EventRecord {
    /// A builder for an event known only at run time, e.g. read from NDJSON. It checks the
    /// value rules only; checking names and types against the registry is the caller's job.
    ///
    /// ```
    /// use dfinery_core::EventRecord;
    ///
    /// let record = EventRecord::builder("coupon_used")
    ///     .property("coupon_code", "WELCOME")
    ///     .property("amount", 1500.0)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(
    ///     record.event_properties().unwrap().get(),
    ///     r#"{"coupon_code":"WELCOME","amount":1500.0}"#
    /// );
    /// ```
    pub fn builder(event_name: impl Into<String>) -> EventRecordBuilder {
        EventRecordBuilder::new(event_name.into())
    }

    /// A record of an event whose properties and items the caller has written as JSON and
    /// checked against the registry (as `dfinery send` checks a line with
    /// `dfinery_schema::check_event`): `event_items` an array of item objects and
    /// `event_properties` an object, used as they are, so nothing is formatted twice. Only what
    /// reading a record back checks is checked here; the values' rules are the caller's.
    ///
    /// ```
    /// use dfinery_core::{Datetime, EventRecord};
    /// use serde_json::value::RawValue;
    ///
    /// let properties: &RawValue = serde_json::from_str(r#"{"coupon_code":"WELCOME"}"#).unwrap();
    /// let at = Datetime::parse_wire("2024-06-24T06:01:48.501Z").unwrap();
    /// let record = EventRecord::from_json_parts(
    ///     uuid::Uuid::new_v4(), "coupon_used", at, None, Some(properties),
    /// )
    /// .unwrap();
    /// assert_eq!(record.event_properties().unwrap().get(), r#"{"coupon_code":"WELCOME"}"#);
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] when the id is the nil UUID ([`Rule::NilEventLogId`]), the name
    /// is empty, the items are not an array or the properties are not an object.
    pub fn from_json_parts(
        event_log_id: Uuid,
        event_name: impl Into<String>,
        event_datetime: Datetime,
        event_items: Option<&RawValue>,
        event_properties: Option<&RawValue>,
    ) -> Result<Self, ValidationError> {
        let event_name: String = event_name.into();
        let mut violations = Vec::new();
        if event_log_id.is_nil() {
            violations.push(super::encode::nil_event_log_id());
        }
        if event_name.is_empty() {
            violations.push(Violation {
                path: "event_name".to_owned(),
                property: Cow::Borrowed("event_name"),
                rule: Rule::Missing,
            });
        }
        for (path, part, open) in [
            ("event_items", event_items, '['),
            ("event_properties", event_properties, '{'),
        ] {
            if !starts_with(part, open) {
                violations.push(Violation {
                    path: path.to_owned(),
                    property: Cow::Borrowed(path),
                    rule: Rule::MalformedJson {
                        reason: if open == '[' {
                            "not a JSON array of item objects".to_owned()
                        } else {
                            "not a JSON object".to_owned()
                        },
                    },
                });
            }
        }
        if !violations.is_empty() {
            return Err(ValidationError {
                subject: format!("event `{}`", dfinery_schema::names::shown(&event_name)),
                violations,
            });
        }
        Ok(EventRecord::from_parts(
            event_log_id,
            Cow::Owned(event_name),
            event_datetime,
            event_items.map(RawValue::get),
            event_properties.map(RawValue::get),
            None,
        ))
    }

    /// A record of these parts; `event_items` and `event_properties` are well-formed JSON
    /// (an array and an object), already checked. `item_count` is the number of items when the
    /// caller knows it; otherwise `event_items` is counted here (one parse).
    pub(crate) fn from_parts(
        event_log_id: Uuid,
        event_name: Cow<'static, str>,
        event_datetime: Datetime,
        event_items: Option<&str>,
        event_properties: Option<&str>,
        item_count: Option<usize>,
    ) -> Self {
        let item_count = item_count.unwrap_or_else(|| {
            event_items.map_or(0, |raw| {
                serde_json::from_str::<Vec<serde::de::IgnoredAny>>(raw).map_or(0, |v| v.len())
            })
        });
        const ITEMS: &str = r#","event_items":"#;
        const PROPERTIES: &str = r#","event_properties":"#;
        // A name needs escaping only when it is not a registered name (the builder's).
        let escaped = json::needs_escape(event_name.as_bytes()).then(|| {
            let mut name = Vec::with_capacity(event_name.len() + 8);
            json::push_str(&mut name, &event_name);
            String::from_utf8_lossy(&name).into_owned()
        });
        let len = r#"{"event_log_id":"00000000-0000-0000-0000-000000000000","event_name":,"event_datetime":"2024-06-24T06:01:48.501Z"}"#.len()
            + escaped.as_ref().map_or(event_name.len() + 2, String::len)
            + event_items.map_or(0, |raw| ITEMS.len() + raw.len())
            + event_properties.map_or(0, |raw| PROPERTIES.len() + raw.len());
        let mut ranges = (None, None);
        let json = chunk::cut(len, |out| {
            out.extend_from_slice(br#"{"event_log_id":""#);
            out.extend_from_slice(
                event_log_id
                    .hyphenated()
                    .encode_lower(&mut Uuid::encode_buffer())
                    .as_bytes(),
            );
            out.extend_from_slice(br#"","event_name":"#);
            match &escaped {
                Some(name) => out.extend_from_slice(name.as_bytes()),
                None => {
                    out.extend_from_slice(b"\"");
                    out.extend_from_slice(event_name.as_bytes());
                    out.extend_from_slice(b"\"");
                }
            }
            // Writing to a `BytesMut` cannot fail.
            let _ = write!(out, r#","event_datetime":"{event_datetime}""#);
            let mut place = |key: &str, raw: Option<&str>| {
                raw.map(|raw| {
                    out.extend_from_slice(key.as_bytes());
                    let start = out.len();
                    out.extend_from_slice(raw.as_bytes());
                    start..out.len()
                })
            };
            ranges = (
                place(ITEMS, event_items),
                place(PROPERTIES, event_properties),
            );
            out.extend_from_slice(b"}");
        });
        debug_assert_eq!(json.len(), len);
        let (items, properties) = ranges;
        EventRecord(Arc::new(Inner {
            event_log_id,
            event_name,
            event_datetime,
            json,
            items,
            item_count,
            properties,
        }))
    }

    /// The part of the wire object at `range`.
    fn part(&self, range: &Option<Range<usize>>) -> Option<&RawValue> {
        json::raw_ref(self.text(range.clone()?)?)
    }

    /// The wire object's bytes at `range` as text (always UTF-8, see [`Inner::json`]).
    fn text(&self, range: Range<usize>) -> Option<&str> {
        std::str::from_utf8(self.0.json.get(range)?).ok()
    }

    /// The event's id (UUID), kept on every retry so the server can de-duplicate.
    pub fn event_log_id(&self) -> Uuid {
        self.0.event_log_id
    }

    /// The registered event name.
    pub fn event_name(&self) -> &str {
        &self.0.event_name
    }

    /// When the event happened.
    pub fn event_datetime(&self) -> Datetime {
        self.0.event_datetime
    }

    /// The `event_items` array as JSON, `None` when the event has no items.
    pub fn event_items(&self) -> Option<&RawValue> {
        self.part(&self.0.items)
    }

    /// The `event_properties` object as JSON, `None` when there is no property to send.
    pub fn event_properties(&self) -> Option<&RawValue> {
        self.part(&self.0.properties)
    }

    /// The same record with another `event_log_id`. Give each event its own: DFINERY keeps
    /// one event per id. A nil id is refused when the record is sent or tracked
    /// ([`Rule::NilEventLogId`]).
    pub fn with_event_log_id(self, event_log_id: Uuid) -> Self {
        self.rebuilt(event_log_id, self.0.event_datetime)
    }

    /// The same record with another `event_datetime` (for the tests that restamp a record).
    #[cfg(test)]
    pub(crate) fn with_event_datetime(self, event_datetime: Datetime) -> Self {
        self.rebuilt(self.0.event_log_id, event_datetime)
    }

    /// The same record with another id and datetime, its wire object written again.
    fn rebuilt(&self, event_log_id: Uuid, event_datetime: Datetime) -> Self {
        let text = |range: &Option<Range<usize>>| range.clone().and_then(|r| self.text(r));
        EventRecord::from_parts(
            event_log_id,
            self.0.event_name.clone(),
            event_datetime,
            text(&self.0.items),
            text(&self.0.properties),
            Some(self.0.item_count),
        )
    }

    /// The same record with its wire object in an allocation of its own, not sharing a block
    /// with other records: for a record handed over to be kept (a dead letter), so that it
    /// keeps 16 KiB alive no longer than the records made beside it.
    #[cfg(feature = "tracker")]
    pub(crate) fn detached(&self) -> EventRecord {
        EventRecord(Arc::new(Inner {
            event_log_id: self.0.event_log_id,
            event_name: self.0.event_name.clone(),
            event_datetime: self.0.event_datetime,
            json: Bytes::copy_from_slice(&self.0.json),
            items: self.0.items.clone(),
            item_count: self.0.item_count,
            properties: self.0.properties.clone(),
        }))
    }

    /// Whether the record's wire object is in an allocation of its own (see
    /// [`detached`](EventRecord::detached)); for tests.
    #[cfg(all(test, feature = "tracker"))]
    pub(crate) fn is_alone(&self) -> bool {
        self.0.json.is_unique()
    }

    /// The number of items in `event_items` (0 without it), counted when the record was made.
    #[cfg(feature = "client")]
    pub(crate) fn item_count(&self) -> usize {
        self.0.item_count
    }

    /// The wire object as JSON text, exactly as it is sent.
    #[cfg(test)]
    pub(crate) fn as_json(&self) -> &str {
        self.text(0..self.0.json.len()).unwrap_or_default()
    }

    /// The wire object's bytes (UTF-8 JSON), exactly as they are sent.
    #[cfg(feature = "client")]
    pub(crate) fn json_bytes(&self) -> &[u8] {
        &self.0.json
    }

    /// The exact length in bytes of the record's JSON (as written by `serde_json::to_vec`),
    /// for batching by size.
    #[cfg(any(test, feature = "client"))]
    pub(crate) fn encoded_len(&self) -> usize {
        self.0.json.len()
    }
}

#[cfg(feature = "tracker")]
impl EventRecord {
    /// The wire object's bytes, shared (what [`Serialize`] writes, as a reference count): the
    /// middle of the event's spool entry.
    pub(crate) fn wire(&self) -> Bytes {
        self.0.json.clone()
    }
}

impl Serialize for EventRecord {
    /// Writes the wire object as it was written when the record was made.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        self.text(0..self.0.json.len())
            .and_then(json::raw_ref)
            .ok_or_else(|| S::Error::custom("the record's JSON is broken"))?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for EventRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let wire = Wire::deserialize(deserializer)?;
        if wire.event_name.is_empty() {
            return Err(D::Error::custom(
                "`event_name` is empty; give the registered event name",
            ));
        }
        if !starts_with(wire.event_items.as_deref(), '[') {
            return Err(D::Error::custom(
                "`event_items` is not a JSON array of item objects",
            ));
        }
        if !starts_with(wire.event_properties.as_deref(), '{') {
            return Err(D::Error::custom("`event_properties` is not a JSON object"));
        }
        Ok(EventRecord::from_parts(
            wire.event_log_id,
            Cow::Owned(wire.event_name),
            wire.event_datetime,
            wire.event_items.as_deref().map(RawValue::get),
            wire.event_properties.as_deref().map(RawValue::get),
            None,
        ))
    }
}

/// Whether `raw` (when present) starts with `c`.
fn starts_with(raw: Option<&RawValue>, c: char) -> bool {
    raw.is_none_or(|raw| raw.get().trim_start().starts_with(c))
}

impl PartialEq for EventRecord {
    /// Equal when every field is equal, the JSON parts compared as text (the wire object is
    /// written from the fields, so comparing it compares them all).
    fn eq(&self, other: &Self) -> bool {
        self.0.json == other.0.json
    }
}

impl fmt::Debug for EventRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.0;
        f.debug_struct("EventRecord")
            .field("event_log_id", &inner.event_log_id)
            .field("event_name", &inner.event_name)
            .field("event_datetime", &inner.event_datetime)
            .field("event_items", &self.event_items().map(RawValue::get))
            .field(
                "event_properties",
                &self.event_properties().map(RawValue::get),
            )
            .finish()
    }
}
