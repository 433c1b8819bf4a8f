//! How a Rust value becomes a DFINERY property value: the [`PropertyValue`] trait, the marker
//! traits that say which Rust types may fill which DFINERY type, [`Patch`] for user properties,
//! [`PropertySpec`] (the registered definition, as static data) and the run-time [`Rule`]s.
//!
//! Values are written straight into a JSON byte buffer with no intermediate
//! `serde_json::Value`; the [`writer`](crate::encode::writer) module wraps that in objects and arrays.

mod arrays;
mod dynamic;
mod encode;
mod enums;
mod markers;
mod patch;
mod rule;
mod scalars;
mod spec;
mod times;
mod wrappers;

pub use arrays::{ArrayElement, ElementValue};
pub use enums::DfineryEnumValue;
pub use markers::{
    BooleanProperty, DateProperty, DatetimeProperty, DoubleArrayProperty, DoubleProperty,
    LongArrayProperty, LongProperty, StringArrayProperty, StringProperty,
};
pub use patch::Patch;
pub use rule::Rule;
pub use spec::{PropertySpec, Scope};

use crate::__private::TrustedJson;
use crate::encode::value::Value;

/// A Rust value that can be sent as a DFINERY property value.
///
/// Implemented for the Rust types listed on each marker trait ([`StringProperty`],
/// [`LongProperty`], …), for [`Value`], and forwarded through `&T`, `Box<T>`, `Arc<T>`, `Rc<T>`,
/// `Cow<T>`, `Option<T>` (absent when `None`) and [`Patch<T>`]. User enums get it from
/// `#[derive(DfineryEnum)]` (see [`DfineryEnumValue`]).
///
/// Every implementation checks the type (`spec.ty`) and the value rules of `spec` except the
/// size limit, which is the same for every type and checked once by the
/// [`ObjectWriter`](crate::ObjectWriter) that calls `write_wire`.
pub trait PropertyValue {
    /// `true` when nothing is to be sent (`None`, [`Patch::Keep`]).
    fn is_absent(&self) -> bool {
        false
    }

    /// Checks the run-time rules of `spec` and appends the wire JSON to `out`.
    ///
    /// On error `out` may be left holding part of the value; the writer truncates it.
    ///
    /// # Errors
    ///
    /// The first [`Rule`] the value breaks.
    fn write_wire(&self, spec: &PropertySpec, out: &mut Vec<u8>) -> Result<(), Rule>;

    /// Whether [`write_wire`](PropertyValue::write_wire), when it returns `Ok`, always appends
    /// exactly one well-formed JSON value. Default: `false`.
    ///
    /// A record whose values all say `true` is built without parsing its JSON again; when any
    /// value says `false`, the record re-parses what was written once and reports
    /// [`Rule::MalformedJson`] if it is broken. Crate-internal: the argument's type is hidden
    /// plumbing, so only this crate and the code its derives generate say `true`; any other
    /// implementation keeps the default and has its output checked, so a wrong impl cannot put
    /// malformed JSON on the wire.
    #[doc(hidden)]
    fn writes_valid_json(&self, _: TrustedJson) -> bool {
        false
    }

    /// The value as a dynamic [`Value`] (`None` when absent or `null`, or when it cannot be a
    /// `Value`, like a `time::OffsetDateTime` in the year 10000), for tests, dynamic use and the
    /// CLI. It does not check the rules of any spec.
    fn to_value(&self) -> Option<Value>;
}
