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
    /// Whether the field can be absent: its type holds an `Option` or a `Patch`, which sends
    /// nothing when `None` or `Keep`. The derives set it from the field's type. A type naming
    /// one of the struct's type or const parameters (`comment: T`) counts as possibly absent,
    /// as `T` may be an `Option` and one description serves every instantiation, unless its
    /// property was required at build time (the derive then refuses an `Option` for it wherever
    /// the type is sent). The coverage check (`dfinery check --coverage`) reads it to find a
    /// field that can be absent for a property the registry has made required since the build.
    pub absent: bool,
    /// The only values the field's type can send, empty when any: a `DfineryEnum`'s wire
    /// values, for a String (or Array of String) field of that enum, also behind an `Option`,
    /// a `Patch` or a pointer, or as the array's elements. The derives set it from the field's
    /// type (empty for a type naming one of the struct's type parameters, which no `static`
    /// can probe). The coverage check compares them with an `enum` rule the registry gained
    /// since the build.
    pub values: &'static [&'static str],
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
    pub item: fn() -> &'static PropertiesDescription,
}

/// A typed item or profile: the properties its Rust type can send (item properties, or user
/// properties).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PropertiesDescription {
    /// The Rust type's name, e.g. `LineItem` or `Member`.
    pub rust_name: &'static str,
    /// Every property, in field order.
    pub properties: &'static [FieldDescription],
}
