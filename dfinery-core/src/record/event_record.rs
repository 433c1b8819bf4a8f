//! [`EventRecord`]: one validated event, serialised once, exactly as it goes on the wire.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use uuid::Uuid;

use super::builder::EventRecordBuilder;
use crate::value::Datetime;

/// One validated event, its properties and items already serialised: an element of the
/// `events` array of `POST /api/v1/events` (`dfinery-api.md` §3.2).
///
/// Made by [`Event::to_record`](crate::Event::to_record) or [`EventRecord::builder`]; both
/// check every value first, so a record never holds an invalid value. Cloning is cheap (a
/// reference count). It serialises to exactly the wire event object:
///
/// ```json
/// {"event_log_id":"…","event_name":"df_purchase","event_datetime":"2024-06-24T06:01:48.501Z",
///  "event_items":[{…}],"event_properties":{…}}
/// ```
///
/// `event_items` is left out when the event has no items, and `event_properties` when it has
/// no property to send (every optional property absent): the API marks both optional
/// (`dfinery-api.md` §11 Q2). It deserialises from the same object, so records can be spooled
/// and read back; deserialising checks the shape (an array of items, an object of properties)
/// but not the values, which were checked when the record was made.
#[derive(Clone)]
pub struct EventRecord(Arc<Inner>);

#[derive(Clone, Serialize, Deserialize)]
struct Inner {
    event_log_id: Uuid,
    /// Borrowed for a typed event, whose name is `'static`: one allocation less per record.
    event_name: Cow<'static, str>,
    event_datetime: Datetime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event_items: Option<Box<RawValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

    pub(crate) fn from_parts(
        event_log_id: Uuid,
        event_name: Cow<'static, str>,
        event_datetime: Datetime,
        event_items: Option<Box<RawValue>>,
        event_properties: Option<Box<RawValue>>,
    ) -> Self {
        EventRecord(Arc::new(Inner {
            event_log_id,
            event_name,
            event_datetime,
            event_items,
            event_properties,
        }))
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
        self.0.event_items.as_deref()
    }

    /// The `event_properties` object as JSON, `None` when there is no property to send.
    pub fn event_properties(&self) -> Option<&RawValue> {
        self.0.event_properties.as_deref()
    }

    /// The same record with another `event_log_id`.
    pub fn with_event_log_id(mut self, event_log_id: Uuid) -> Self {
        Arc::make_mut(&mut self.0).event_log_id = event_log_id;
        self
    }

    /// The same record with another `event_datetime`.
    pub fn with_event_datetime(mut self, event_datetime: Datetime) -> Self {
        Arc::make_mut(&mut self.0).event_datetime = event_datetime;
        self
    }

    /// The exact length in bytes of the record's JSON (as written by `serde_json::to_vec`),
    /// computed without serialising; for batching by size.
    pub fn encoded_len(&self) -> usize {
        const FIXED: usize = r#"{"event_log_id":"00000000-0000-0000-0000-000000000000","event_name":,"event_datetime":"2024-06-24T06:01:48.501Z"}"#.len();
        let inner = &*self.0;
        let items = inner
            .event_items
            .as_ref()
            .map_or(0, |raw| r#","event_items":"#.len() + raw.get().len());
        let properties = inner
            .event_properties
            .as_ref()
            .map_or(0, |raw| r#","event_properties":"#.len() + raw.get().len());
        FIXED + crate::json::escaped_len(&inner.event_name) + items + properties
    }
}

impl Serialize for EventRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for EventRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let inner = Inner::deserialize(deserializer)?;
        if inner.event_name.is_empty() {
            return Err(D::Error::custom(
                "`event_name` is empty; give the registered event name",
            ));
        }
        if !starts_with(inner.event_items.as_deref(), '[') {
            return Err(D::Error::custom(
                "`event_items` is not a JSON array of item objects",
            ));
        }
        if !starts_with(inner.event_properties.as_deref(), '{') {
            return Err(D::Error::custom("`event_properties` is not a JSON object"));
        }
        Ok(EventRecord(Arc::new(inner)))
    }
}

/// Whether `raw` (when present) starts with `c`.
fn starts_with(raw: Option<&RawValue>, c: char) -> bool {
    raw.is_none_or(|raw| raw.get().trim_start().starts_with(c))
}

impl PartialEq for EventRecord {
    /// Equal when every field is equal, the JSON parts compared as text.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&*self.0, &*other.0);
        let text = |raw: &Option<Box<RawValue>>| raw.as_ref().map(|r| r.get().to_owned());
        a.event_log_id == b.event_log_id
            && a.event_name == b.event_name
            && a.event_datetime == b.event_datetime
            && text(&a.event_items) == text(&b.event_items)
            && text(&a.event_properties) == text(&b.event_properties)
    }
}

impl fmt::Debug for EventRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.0;
        f.debug_struct("EventRecord")
            .field("event_log_id", &inner.event_log_id)
            .field("event_name", &inner.event_name)
            .field("event_datetime", &inner.event_datetime)
            .field(
                "event_items",
                &inner.event_items.as_deref().map(RawValue::get),
            )
            .field(
                "event_properties",
                &inner.event_properties.as_deref().map(RawValue::get),
            )
            .finish()
    }
}
