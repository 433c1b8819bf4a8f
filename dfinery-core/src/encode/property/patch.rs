//! [`Patch`]: a user-property field that can be left alone, cleared, or set.

use super::encode::write_null;
use super::{PropertySpec, PropertyValue, Rule};
use crate::__private::TrustedJson;
use crate::encode::value::Value;

/// A change to one user property: leave it as it is, clear it, or set it.
///
/// | variant | on the wire |
/// |---|---|
/// | [`Patch::Keep`] (the default) | the key is left out |
/// | [`Patch::Clear`] | `null`, which clears the property (`docs/design.md`: null clears) |
/// | [`Patch::Set`] | the value |
///
/// `Clear` is only valid for user properties: in an event or item it breaks
/// [`Rule::NullOutsideUserProperties`].
///
/// ```
/// use dfinery_core::Patch;
///
/// let tier: Patch<&str> = Patch::Set("gold");
/// if let Patch::Set(value) = tier {
///     assert_eq!(value, "gold");
/// }
/// assert_eq!(Patch::<String>::default(), Patch::Keep);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Patch<T> {
    /// Leave the property as it is: nothing is sent.
    #[default]
    Keep,
    /// Clear the property: `null` is sent.
    Clear,
    /// Set the property to this value.
    Set(T),
}

impl<T> From<T> for Patch<T> {
    /// [`Patch::Set`].
    fn from(value: T) -> Self {
        Patch::Set(value)
    }
}

impl<T: PropertyValue> PropertyValue for Patch<T> {
    /// [`Patch::Keep`] is absent (and so is a `Set` of an absent value).
    fn is_absent(&self) -> bool {
        match self {
            Patch::Keep => true,
            Patch::Clear => false,
            Patch::Set(value) => value.is_absent(),
        }
    }

    /// Writes the value of `Set`, or `null` for `Clear`. Writers skip `Keep`; written directly
    /// it is `null` too.
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule> {
        match self {
            Patch::Set(value) => value.write_wire(spec, out),
            Patch::Keep | Patch::Clear => write_null(spec, out),
        }
    }

    /// `Keep` and `Clear` write `null`.
    fn writes_valid_json(&self, trusted: TrustedJson) -> bool {
        match self {
            Patch::Set(value) => value.writes_valid_json(trusted),
            Patch::Keep | Patch::Clear => true,
        }
    }

    /// `None` for `Keep` and `Clear` (`null` has no `Value`).
    fn to_value(&self) -> Option<Value> {
        match self {
            Patch::Set(value) => value.to_value(),
            Patch::Keep | Patch::Clear => None,
        }
    }
}
