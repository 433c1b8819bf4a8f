//! [`PropertySpec`]: a registered property's definition as static data, and its [`Scope`].

use dfinery_schema::DataType;

/// Where a property lives on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A key of `events[].event_properties`.
    Event,
    /// A key of each `events[].event_items[]` object.
    Item,
    /// A key of `user_properties`.
    User,
}

/// A registered property as the run-time checks need it: built by generated code as a `static`
/// (every field is `'static` data), or by hand from [`PropertySpec::new`] with the fields that
/// differ set by struct-update syntax.
///
/// ```
/// use dfinery_core::{DataType, PropertySpec, Scope};
///
/// static PRICE: PropertySpec = PropertySpec {
///     required: true,
///     ..PropertySpec::new("df_price", DataType::Double, Scope::Item)
/// };
/// assert!(PRICE.required);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PropertySpec {
    /// The registered name, e.g. `df_price`.
    pub name: &'static str,
    /// The registered type.
    pub ty: DataType,
    /// Whether the property must be present (event and item properties only).
    pub required: bool,
    /// For String properties and Array of String elements: the most characters allowed.
    pub max_len: Option<usize>,
    /// For arrays: the most elements allowed, a rule of the service's own. DFINERY does not
    /// limit the number of values in an array, only the value's size (8 KB of JSON).
    pub max_items: Option<usize>,
    /// For String properties and Array of String elements: the only values allowed; empty
    /// means any value.
    pub enum_values: &'static [&'static str],
    /// Where the property lives on the wire.
    pub scope: Scope,
}

impl PropertySpec {
    /// An optional property of type `ty` with no extra limits.
    pub const fn new(name: &'static str, ty: DataType, scope: Scope) -> Self {
        PropertySpec {
            name,
            ty,
            required: false,
            max_len: None,
            max_items: None,
            enum_values: &[],
            scope,
        }
    }
}
