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
pub use event::{const_param_in, type_param_in};
pub use types::{peeled as peeled_type, plain_text, plain_value, text as type_text, wrappers};

use dfinery_schema::{DataType, PropertyDef};

use crate::ast::{Field, Kind, Role, Struct};
use crate::errors::Errors;
use crate::registry::Loaded;

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

/// A struct that passed every check: all the code generation reads.
pub struct Checked<'f, 'a> {
    /// The struct as parsed.
    pub input: &'f Struct<'a>,
    /// Every field, in declaration order, with what it fills.
    pub fields: Vec<CheckedField<'f, 'a>>,
    /// What only one of the derives has.
    pub kind: CheckedKind,
    /// The registry file.
    pub registry: Loaded,
}

/// What a checked event, item or profile has that the others do not.
pub enum CheckedKind {
    /// An event.
    Event {
        /// The registered event name.
        name: String,
    },
    /// An item.
    Item {
        /// The events it was checked against.
        events: Vec<String>,
    },
    /// A profile.
    Profile,
}

/// One field of a checked struct.
pub struct CheckedField<'f, 'a> {
    /// The field.
    pub field: &'f Field<'a>,
    /// What it fills.
    pub fills: Fills,
}

/// What a checked field fills.
pub enum Fills {
    /// A registered property (for an item: the strictest rules of its events).
    Property(Spec),
    /// The event's items; whether the event requires them.
    Items {
        /// Whether the event requires items.
        required: bool,
    },
    /// `event_datetime`.
    Datetime,
    /// `event_log_id`.
    LogId,
    /// Nothing: a `skip` field.
    Nothing,
}

impl<'f, 'a> Checked<'f, 'a> {
    /// The property fields in order, each with its spec: the `i`-th is spec constant `i`.
    pub fn properties(&self) -> impl Iterator<Item = (&'f Field<'a>, &Spec)> {
        self.fields.iter().filter_map(|f| match &f.fills {
            Fills::Property(spec) => Some((f.field, spec)),
            _ => None,
        })
    }

    /// The `#[dfinery(items)]` field and whether the event requires items.
    pub fn items(&self) -> Option<(&'f Field<'a>, bool)> {
        self.fields.iter().find_map(|f| match f.fills {
            Fills::Items { required } => Some((f.field, required)),
            _ => None,
        })
    }

    /// The `#[dfinery(datetime)]` field.
    pub fn datetime(&self) -> Option<&'f Field<'a>> {
        self.find(|fills| matches!(fills, Fills::Datetime))
    }

    /// The `#[dfinery(log_id)]` field.
    pub fn log_id(&self) -> Option<&'f Field<'a>> {
        self.find(|fills| matches!(fills, Fills::LogId))
    }

    fn find(&self, what: impl Fn(&Fills) -> bool) -> Option<&'f Field<'a>> {
        self.fields.iter().find(|f| what(&f.fills)).map(|f| f.field)
    }
}

/// Runs the checks of `input`'s derive. `None` when they could not run to the end (errors are
/// recorded); a `Some` beside recorded errors is not to be expanded.
pub fn check_struct<'f, 'a>(input: &'f Struct<'a>, errors: &mut Errors) -> Option<Checked<'f, 'a>> {
    match input.kind {
        Kind::Event => event::check_event(input, errors),
        Kind::Item => item::check_item(input, errors),
        Kind::Profile => profile::check_profile(input, errors),
    }
}

/// The checked fields of `input`: `specs` holds, aligned with the fields, the spec each
/// property field resolved to; the other fields fill what their role says. `items_required`:
/// whether the event requires items.
fn checked_fields<'f, 'a>(
    input: &'f Struct<'a>,
    specs: Vec<Option<Spec>>,
    items_required: bool,
) -> Vec<CheckedField<'f, 'a>> {
    input
        .fields
        .iter()
        .zip(specs)
        .map(|(field, spec)| {
            let fills = match (spec, &field.role) {
                (Some(spec), _) => Fills::Property(spec),
                (None, Role::Items) => Fills::Items {
                    required: items_required,
                },
                (None, Role::Datetime) => Fills::Datetime,
                (None, Role::LogId) => Fills::LogId,
                // A property that did not resolve, or a field with attribute errors, has been
                // reported: the struct is not expanded.
                (None, Role::Skip | Role::Property { .. } | Role::Invalid) => Fills::Nothing,
            };
            CheckedField { field, fills }
        })
        .collect()
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
