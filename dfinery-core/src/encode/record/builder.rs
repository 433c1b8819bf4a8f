//! [`EventRecordBuilder`] and [`ItemBuilder`]: events known only at run time.

use std::borrow::Cow;

use super::encode::{EventParts, finish_event};
use super::fields::{Entry, Fields};
use super::scratch::with_scratch;
use super::{EventRecord, ValidationError};
use crate::encode::property::Scope;
use crate::encode::value::{Value, ValueError};
use crate::encode::writer::{ItemsWriter, ObjectPath, ObjectWriter};

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
    properties: Fields,
    items: Vec<Fields>,
}

impl EventRecordBuilder {
    pub(crate) fn new(name: String) -> Self {
        EventRecordBuilder {
            name,
            properties: Fields::default(),
            items: Vec::new(),
        }
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
                log_id: None,
                datetime: None,
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
