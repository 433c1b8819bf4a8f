//! [`EventRecordBuilder`] and [`ItemBuilder`]: events known only at run time.

use std::borrow::Cow;

use super::encode::{EventParts, finish_event};
use super::fields::{Entry, Fields};
use super::scratch::with_scratch;
use super::{EventRecord, ValidationError};
use crate::encode::property::Scope;
use crate::encode::value::Datetime;
use crate::encode::value::{Value, ValueError};
use crate::encode::writer::{ItemsWriter, ObjectPath, ObjectWriter};
use uuid::Uuid;

/// Builds an [`EventRecord`] for an event known only at run time; made by
/// [`EventRecord::builder`].
///
/// Values are anything that converts into a [`Value`] (`"text"`, `42`, `1.5`, `true`, a
/// [`Datetime`](crate::Datetime), `vec!["a", "b"]`, …); a failed conversion (a NaN, a `u64` above `i64::MAX`) is
/// reported by [`build`](EventRecordBuilder::build) together with every other problem. A later
/// value for the same key replaces the earlier one.
///
/// Only the value rules (finite doubles, array lengths, the 8 KB limit, at most 100 items) and
/// the naming rule of event and property names are checked: with no registry at hand, each
/// value's type is taken as its registered type.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct EventRecordBuilder {
    name: String,
    log_id: Option<Uuid>,
    datetime: Option<Datetime>,
    properties: Fields,
    items: Vec<Fields>,
}

impl EventRecordBuilder {
    pub(crate) fn new(name: String) -> Self {
        EventRecordBuilder {
            name,
            log_id: None,
            datetime: None,
            properties: Fields::default(),
            items: Vec::new(),
        }
    }

    /// When the event happened: an event read from a file or another system keeps its own
    /// time. Default: the time [`build`](Self::build) is called.
    ///
    /// ```
    /// use dfinery_core::{Datetime, EventRecord};
    ///
    /// let at: Datetime = "2024-06-24T06:01:48.501Z".parse().unwrap();
    /// let record = EventRecord::builder("df_login").event_datetime(at).build().unwrap();
    /// assert_eq!(record.event_datetime(), at);
    /// ```
    pub fn event_datetime(mut self, at: Datetime) -> Self {
        self.datetime = Some(at);
        self
    }

    /// The event's `event_log_id`, which DFINERY keeps one event per: an event sent again
    /// with the same id (by a backfill run twice, say) is stored once. Default: a new random
    /// UUID at [`build`](Self::build). The nil UUID is refused there
    /// ([`Rule::NilEventLogId`](crate::Rule::NilEventLogId)).
    pub fn event_log_id(mut self, id: Uuid) -> Self {
        self.log_id = Some(id);
        self
    }

    /// Adds (or replaces) an event property.
    pub fn property<V>(mut self, key: impl Into<String>, value: V) -> Self
    where
        V: TryInto<Value>,
        V::Error: Into<ValueError>,
    {
        self.properties.set(key.into(), Entry::from_value(value));
        self
    }

    /// Appends an item.
    pub fn item(mut self, item: ItemBuilder) -> Self {
        self.items.push(item.fields);
        self
    }

    /// Checks every value and builds the record.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] listing every broken rule, including an empty event name.
    pub fn build(self) -> Result<EventRecord, ValidationError> {
        with_scratch(|buf| {
            let mut violations = Vec::new();
            let mut w = ObjectWriter::new(buf, &mut violations, ObjectPath::EventProperties);
            self.properties.write(&mut w, Scope::Event);
            let properties_written = w.finish_written();
            let split = buf.len();
            let mut w = ItemsWriter::new(buf, &mut violations);
            for item in &self.items {
                w.object(|o| item.write(o, Scope::Item));
            }
            let items_written = w.finish_written();
            let (properties, items) = buf.split_at(split);
            finish_event(EventParts {
                name: Cow::Owned(self.name),
                log_id: self.log_id,
                datetime: self.datetime,
                properties,
                properties_written,
                items,
                items_written,
                violations,
            })
        })
    }
}

/// The properties of one item for [`EventRecordBuilder::item`].
///
/// ```
/// use dfinery_core::{EventRecord, ItemBuilder};
///
/// let record = EventRecord::builder("df_purchase")
///     .item(ItemBuilder::new().property("df_item_id", "SKU-001").property("df_quantity", 2))
///     .build()
///     .unwrap();
/// assert_eq!(record.event_items().unwrap().get(), r#"[{"df_item_id":"SKU-001","df_quantity":2}]"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct ItemBuilder {
    fields: Fields,
}

impl ItemBuilder {
    /// An item with no properties yet.
    pub fn new() -> Self {
        ItemBuilder::default()
    }

    /// Adds (or replaces) an item property.
    pub fn property<V>(mut self, key: impl Into<String>, value: V) -> Self
    where
        V: TryInto<Value>,
        V::Error: Into<ValueError>,
    {
        self.fields.set(key.into(), Entry::from_value(value));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::property::Rule;

    #[test]
    fn a_built_event_keeps_the_time_and_id_given_and_refuses_the_nil_id() {
        // A builder's record took the time of `build` and a new id: an event read from a file
        // could not keep when it happened, nor an id that makes sending it again harmless.
        let at: Datetime = "2024-06-24T06:01:48.501Z".parse().unwrap();
        let id = Uuid::from_u128(7);
        let record = EventRecord::builder("df_login")
            .event_datetime(at)
            .event_log_id(id)
            .build()
            .unwrap();
        assert_eq!((record.event_datetime(), record.event_log_id()), (at, id));
        let error = EventRecord::builder("df_login")
            .event_log_id(Uuid::nil())
            .build()
            .unwrap_err();
        assert!(
            error
                .violations
                .iter()
                .any(|v| v.rule == Rule::NilEventLogId),
            "{error}"
        );
    }
}
