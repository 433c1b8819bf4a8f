//! The checks against the registry: every user error is recorded, and what passes becomes the
//! checked model that [`expand`](crate::expand) turns into code.

mod enums;
mod event;
mod field;
mod item;
mod names;
mod profile;
#[cfg(test)]
mod tests_checks;
mod types;

pub use enums::check_enum;
pub use event::{CheckedEvent, check_event};
pub use item::{CheckedItem, check_item};
pub use profile::{CheckedProfile, check_profile};

use dfinery_schema::{DataType, PropertyDef};

use crate::ast::Field;

/// Where a property lives on the wire (mirrors `dfinery_core::Scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `event_properties`.
    Event,
    /// An `event_items[]` object.
    Item,
    /// `user_properties`.
    User,
}

/// A registered property as the generated `PropertySpec` states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The registered name.
    pub name: String,
    /// The registered type.
    pub ty: DataType,
    /// Whether it must be present.
    pub required: bool,
    /// The longest string, in characters.
    pub max_len: Option<usize>,
    /// The most array elements.
    pub max_items: Option<usize>,
    /// The allowed values (empty: any).
    pub enum_values: Vec<String>,
    /// Where it lives.
    pub scope: Scope,
}

impl Spec {
    /// The spec of `def` in `scope`.
    pub fn from_def(def: &PropertyDef, scope: Scope) -> Spec {
        Spec {
            name: def.name.clone(),
            ty: def.ty,
            required: def.required,
            max_len: def.max_len,
            max_items: def.max_items,
            enum_values: def.enum_values.clone().unwrap_or_default(),
            scope,
        }
    }

    /// The strictest of two definitions of the same item property under two events (same
    /// type): required if either is, the smaller limits, the values both allow.
    pub fn merge(&mut self, other: &Spec) {
        self.required |= other.required;
        self.max_len = min_option(self.max_len, other.max_len);
        self.max_items = min_option(self.max_items, other.max_items);
        if self.enum_values.is_empty() {
            self.enum_values = other.enum_values.clone();
        } else if !other.enum_values.is_empty() {
            self.enum_values.retain(|v| other.enum_values.contains(v));
        }
    }
}

fn min_option(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A field that fills a registered property.
pub struct Property<'f, 'a> {
    /// The field.
    pub field: &'f Field<'a>,
    /// The property it fills.
    pub spec: Spec,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_the_strictest_rules() {
        let mut a = Spec {
            name: "sku".into(),
            ty: DataType::String,
            required: false,
            max_len: Some(10),
            max_items: None,
            enum_values: vec!["a".into(), "b".into()],
            scope: Scope::Item,
        };
        let b = Spec {
            required: true,
            max_len: Some(20),
            enum_values: vec!["b".into(), "c".into()],
            ..a.clone()
        };
        a.merge(&b);
        assert!(a.required);
        assert_eq!(a.max_len, Some(10));
        assert_eq!(a.enum_values, vec!["b".to_owned()]);
    }
}
