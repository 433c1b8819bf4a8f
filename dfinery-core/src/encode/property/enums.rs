//! [`DfineryEnumValue`]: Rust enums whose variants are the allowed values of a String property.

/// A Rust enum whose variants stand for the allowed values of a DFINERY String property, e.g.
/// `df_gender` (`Male`, `Female`, `NonBinary`, `Other`).
///
/// `#[derive(DfineryEnum)]` implements it, plus [`PropertyValue`](crate::PropertyValue),
/// [`StringProperty`](crate::encode::property::StringProperty) and
/// [`ArrayElement`](crate::encode::property::ArrayElement) through the hidden
/// `__impl_enum_property!` macro. (A blanket `impl<T: DfineryEnumValue> PropertyValue for T`
/// would be simpler, but coherence rejects it next to `impl PropertyValue for &T`: a downstream
/// crate could implement `DfineryEnumValue` for a `&Local` type.)
pub trait DfineryEnumValue {
    /// Every value, in declaration order.
    const VALUES: &'static [&'static str];

    /// The value this variant is sent as.
    fn as_str(&self) -> &'static str;

    /// The variant sent as `value`, if any: what an export cell decodes into.
    fn from_value(value: &str) -> Option<Self>
    where
        Self: Sized;
}

/// Implements `PropertyValue`, `StringProperty` and `ArrayElement` for a type that implements
/// `DfineryEnumValue`. Used by `#[derive(DfineryEnum)]`; not a stable API.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_enum_property {
    ($ty:ty) => {
        impl $crate::__private::PropertyValue for $ty {
            fn write_wire(
                &self,
                spec: &$crate::__private::PropertySpec,
                out: &mut ::std::vec::Vec<u8>,
            ) -> ::core::result::Result<(), $crate::__private::Rule> {
                <str as $crate::__private::PropertyValue>::write_wire(
                    <$ty as $crate::__private::DfineryEnumValue>::as_str(self),
                    spec,
                    out,
                )
            }

            fn writes_valid_json(&self, _: $crate::__private::TrustedJson) -> bool {
                true
            }

            fn to_value(&self) -> ::core::option::Option<$crate::__private::Value> {
                ::core::option::Option::Some($crate::__private::Value::String(
                    ::std::borrow::ToOwned::to_owned(
                        <$ty as $crate::__private::DfineryEnumValue>::as_str(self),
                    ),
                ))
            }
        }

        impl $crate::__private::StringProperty for $ty {
            const VALUES: &'static [&'static str] =
                <$ty as $crate::__private::DfineryEnumValue>::VALUES;
        }

        impl $crate::__private::ArrayElement for $ty {
            const ELEMENT_TYPE: $crate::__private::DataType = $crate::__private::DataType::String;

            fn element(&self) -> $crate::__private::ElementValue<'_> {
                $crate::__private::ElementValue::String(
                    <$ty as $crate::__private::DfineryEnumValue>::as_str(self),
                )
            }
        }
    };
}
