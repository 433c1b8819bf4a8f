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
    /// For array properties: the most elements allowed, a rule of the service's own (DFINERY
    /// itself does not limit the number of values, only their size).
    pub max_items: Option<usize>,
    /// `true` when the definition comes from the built-in standard catalog.
    pub standard: bool,
}

impl Registry {
    /// The registry of a service with every standard event and every standard user property
    /// enabled, and nothing custom: the emulator's default.
    pub fn standard() -> Registry {
        Registry {
            service_id: None,
            events: crate::catalog::standard_events()
                .map(|e| (e.name.clone(), e))
                .collect(),
            user_properties: crate::catalog::standard_user_properties()
                .map(|p| (p.name.clone(), p))
                .collect(),
        }
    }

    /// The registered event `name` (names are case-sensitive).
    pub fn event(&self, name: &str) -> Option<&EventDef> {
        self.events.get(name)
    }

    /// The registered user property `name`.
    pub fn user_property(&self, name: &str) -> Option<&PropertyDef> {
        self.user_properties.get(name)
    }

    /// The registered event most likely meant by the unknown name `name` ("did you mean").
    pub fn suggest_event(&self, name: &str) -> Option<&str> {
        crate::suggest(name, self.events.keys().map(String::as_str))
    }

    /// The registered user property most likely meant by the unknown name `name`.
    pub fn suggest_user_property(&self, name: &str) -> Option<&str> {
        crate::suggest(name, self.user_properties.keys().map(String::as_str))
    }
}

impl EventDef {
    /// The event property `name`.
    pub fn property(&self, name: &str) -> Option<&PropertyDef> {
        self.properties.get(name)
    }

    /// The item property `name`.
    pub fn item_property(&self, name: &str) -> Option<&PropertyDef> {
        self.items.get(name)
    }

    /// Whether the event takes items (it has at least one item property).
    pub fn takes_items(&self) -> bool {
        !self.items.is_empty()
    }

    /// The event properties that must be present, by name.
    pub fn required_properties(&self) -> impl Iterator<Item = &PropertyDef> {
        self.properties.values().filter(|p| p.required)
    }

    /// The item properties every item must carry, by name.
    pub fn required_items(&self) -> impl Iterator<Item = &PropertyDef> {
        self.items.values().filter(|p| p.required)
    }

    /// The event property most likely meant by the unknown name `name`.
    pub fn suggest_property(&self, name: &str) -> Option<&str> {
        crate::suggest(name, self.properties.keys().map(String::as_str))
    }

    /// The item property most likely meant by the unknown name `name`.
    pub fn suggest_item_property(&self, name: &str) -> Option<&str> {
        crate::suggest(name, self.items.keys().map(String::as_str))
    }
}

impl PropertyDef {
    /// A custom, optional property of type `ty` with no other rule.
    pub fn new(name: impl Into<String>, ty: DataType) -> PropertyDef {
        PropertyDef {
            name: name.into(),
            ty,
            required: false,
            enum_values: None,
            max_len: None,
            max_items: None,
            standard: false,
        }
    }
}
