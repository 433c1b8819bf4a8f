//! The registry model: what the DFINERY console has registered for one service.

use std::collections::BTreeMap;

use crate::DataType;

/// Everything a service has registered: events (standard and custom) with their properties and
/// item properties, and user properties.
///
/// Built by parsing `dfinery.toml` ([`Registry::parse`](crate::Registry::parse)) or from the
/// built-in catalog ([`Registry::standard`](crate::Registry::standard)).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Registry {
    /// The default service id from `[service] id`, if the file sets one.
    pub service_id: Option<String>,
    /// Registered events by name: enabled standard events (with the catalog's properties plus
    /// any custom properties the file adds) and custom events.
    pub events: BTreeMap<String, EventDef>,
    /// Registered user properties by name: the five consent flags (always), enabled standard
    /// user properties and custom user properties.
    pub user_properties: BTreeMap<String, PropertyDef>,
}

/// One registered event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDef {
    /// The event name as registered, e.g. `df_purchase` or `coupon_used`.
    pub name: String,
    /// `true` for a standard `df_` event from the built-in catalog.
    pub standard: bool,
    /// Event-level properties by name (sent in `event_properties`).
    pub properties: BTreeMap<String, PropertyDef>,
    /// Item sub-properties by name (the keys of each `event_items[]` object). Empty when the
    /// event takes no items.
    pub items: BTreeMap<String, PropertyDef>,
    /// Whether at least one item is required (standard events whose `df_items` is required).
    pub items_required: bool,
}

/// One registered property: an event property, an item property or a user property.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyDef {
    /// The property name as registered, e.g. `df_price`.
    pub name: String,
    /// Its DFINERY type.
    pub ty: DataType,
    /// Whether the property must be present. Always `false` for user properties.
    pub required: bool,
    /// For `string` properties: the only values allowed (`enum = [...]`), e.g. `df_gender`.
    pub enum_values: Option<Vec<String>>,
    /// For `string` properties (and `array<string>` elements): the longest value allowed, in
    /// characters.
    pub max_len: Option<usize>,
    /// For array properties: the most elements allowed (never more than the DFINERY limit).
    pub max_items: Option<usize>,
    /// `true` when the definition comes from the built-in standard catalog.
    pub standard: bool,
}
