//! Static descriptions of events, items and profiles: `'static` data a proc macro emits as
//! `static` items, for introspection (the CLI's coverage check lists them).

use crate::encode::property::PropertySpec;

/// One Rust field and the property it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldDescription {
    /// The Rust field name, e.g. `price`.
    pub rust_field: &'static str,
    /// The registered property it fills.
    pub spec: PropertySpec,
}

/// A typed event: its registered name and the properties its Rust type can send.
#[derive(Debug, Clone, Copy)]
pub struct EventDescription {
    /// The registered event name, e.g. `df_purchase`.
    pub name: &'static str,
    /// The Rust type's name, e.g. `Purchase`.
    pub rust_name: &'static str,
    /// Every event property, in field order.
    pub properties: &'static [FieldDescription],
    /// The field holding the items, if the event has one.
    pub items: Option<ItemsDescription>,
}

/// The field of an event that holds its items.
#[derive(Debug, Clone, Copy)]
pub struct ItemsDescription {
    /// The Rust field name, e.g. `items`.
    pub rust_field: &'static str,
    /// Whether the registry requires at least one item.
    pub required: bool,
    /// The item type's description (a function, so a `static` can name another type's
    /// description: `<LineItem as Item>::description`).
    pub item: fn() -> &'static ItemDescription,
}

/// A typed item: the item properties its Rust type can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemDescription {
    /// The Rust type's name, e.g. `LineItem`.
    pub rust_name: &'static str,
    /// Every item property, in field order.
    pub properties: &'static [FieldDescription],
}

/// A typed profile: the user properties its Rust type can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProfileDescription {
    /// The Rust type's name, e.g. `Member`.
    pub rust_name: &'static str,
    /// Every user property, in field order.
    pub properties: &'static [FieldDescription],
}
