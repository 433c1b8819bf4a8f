//! One marker trait per DFINERY type, naming the Rust types that may fill a property of that
//! type. The derives assert them on each field, so a mismatch is a compile error on the field's
//! type with a note saying which Rust types to use.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use super::{ArrayElement, Patch, PropertyValue};
use crate::__private::shape;
use crate::encode::value::{Date, Datetime};

/// Rust types that can fill a DFINERY String property: `String`, `&str`, `Box<str>`,
/// `Cow<str>`, `Arc<str>`, `Rc<str>`, enums with `#[derive(DfineryEnum)]`, and any of those
/// behind `&`, `Box`, `Arc`, `Rc`, `Cow`, `Option` or [`Patch`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot fill a DFINERY String property",
    label = "not a DFINERY String",
    note = "use `String`, `&str`, `Box<str>`, `Cow<str>` or `Arc<str>`, or an enum with `#[derive(DfineryEnum)]`; wrap it in `Option` if the property is optional"
)]
pub trait StringProperty: PropertyValue {
    /// How the type can be absent (`__private::shape`), for the derives' compile-time
    /// checks. Hidden plumbing: only the `Option`, `Patch` and pointer impls here set it.
    #[doc(hidden)]
    const SHAPE: u8 = 0;
    /// The only values the type can send (a `DfineryEnum`'s wire values), empty when any:
    /// for the coverage manifest ([`FieldDescription::values`](crate::FieldDescription::values)).
    /// Hidden plumbing: only the enum impls and the pointer, `Option` and `Patch` impls set it.
    #[doc(hidden)]
    const VALUES: &'static [&'static str] = &[];
}

/// Rust types that can fill a DFINERY Long property: `i8`, `i16`, `i32`, `i64`, `u8`, `u16`,
/// `u32`, and any of those behind `&`, `Box`, `Arc`, `Rc`, `Option` or [`Patch`].
///
/// `u64`, `usize` and `i128` are left out on purpose: they hold values a Long (an `i64`) cannot.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot fill a DFINERY Long property",
    label = "not a DFINERY Long",
    note = "use `i64` (or `i32`, `i16`, `i8`, `u32`, `u16`, `u8`); `u64`, `usize` and `i128` can hold values larger than a Long, so convert with `i64::try_from` first"
)]
pub trait LongProperty: PropertyValue {
    /// How the type can be absent (`__private::shape`), for the derives' compile-time
    /// checks. Hidden plumbing: only the `Option`, `Patch` and pointer impls here set it.
    #[doc(hidden)]
    const SHAPE: u8 = 0;
}

/// Rust types that can fill a DFINERY Double property: `f64`, `f32`, and either behind `&`,
/// `Box`, `Arc`, `Rc`, `Option` or [`Patch`]. Integers are left out so that a Double is always
/// sent as a JSON float: with a fraction (`5000.0`), or in exponent form for very large or
/// small magnitudes (`1e+16`, `1e-7`), as `serde_json` writes it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot fill a DFINERY Double property",
    label = "not a DFINERY Double",
    note = "use `f64` or `f32`; for an integer amount convert it with `f64::from` or `as f64`"
)]
pub trait DoubleProperty: PropertyValue {
    /// How the type can be absent (`__private::shape`), for the derives' compile-time
    /// checks. Hidden plumbing: only the `Option`, `Patch` and pointer impls here set it.
    #[doc(hidden)]
    const SHAPE: u8 = 0;
}

/// Rust types that can fill a DFINERY Boolean property: `bool`, behind `&`, `Box`, `Arc`,
/// `Rc`, `Option` or [`Patch`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot fill a DFINERY Boolean property",
    label = "not a DFINERY Boolean",
    note = "use `bool`"
)]
pub trait BooleanProperty: PropertyValue {
    /// How the type can be absent (`__private::shape`), for the derives' compile-time
    /// checks. Hidden plumbing: only the `Option`, `Patch` and pointer impls here set it.
    #[doc(hidden)]
    const SHAPE: u8 = 0;
}

/// Rust types that can fill a DFINERY Datetime property: [`Datetime`],
/// `time::OffsetDateTime`, `time::UtcDateTime`, `std::time::SystemTime`,
/// `chrono::DateTime<Tz>` (feature `chrono`), behind `&`, `Box`, `Arc`, `Rc`, `Option` or
/// [`Patch`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot fill a DFINERY Datetime property",
    label = "not a DFINERY Datetime",
    note = "use `dfinery::Datetime`, `time::OffsetDateTime`, `time::UtcDateTime`, `std::time::SystemTime` or (with feature `chrono`) `chrono::DateTime<Tz>`"
)]
pub trait DatetimeProperty: PropertyValue {
    /// How the type can be absent (`__private::shape`), for the derives' compile-time
    /// checks. Hidden plumbing: only the `Option`, `Patch` and pointer impls here set it.
    #[doc(hidden)]
    const SHAPE: u8 = 0;
}

/// Rust types that can fill a DFINERY Date property: [`Date`], `time::Date`,
/// `chrono::NaiveDate` (feature `chrono`), behind `&`, `Box`, `Arc`, `Rc`, `Option` or
/// [`Patch`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot fill a DFINERY Date property",
    label = "not a DFINERY Date",
    note = "use `dfinery::Date`, `time::Date` or (with feature `chrono`) `chrono::NaiveDate`"
)]
pub trait DateProperty: PropertyValue {
    /// How the type can be absent (`__private::shape`), for the derives' compile-time
    /// checks. Hidden plumbing: only the `Option`, `Patch` and pointer impls here set it.
    #[doc(hidden)]
    const SHAPE: u8 = 0;
}

/// Rust types that can fill a DFINERY Array of String property: `Vec<T>`, `[T; N]`, `[T]`
/// (so `&[T]` and `Box<[T]>`) of string types `T` (those of [`StringProperty`], not wrapped in
/// `Option`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot fill a DFINERY Array of String property",
    label = "not a DFINERY Array of String",
    note = "use `Vec<String>`, `Vec<&str>`, `&[String]` or `[&str; N]` (elements may also be `DfineryEnum` enums)"
)]
pub trait StringArrayProperty: PropertyValue {
    /// How the type can be absent (`__private::shape`), for the derives' compile-time
    /// checks. Hidden plumbing: only the `Option`, `Patch` and pointer impls here set it.
    #[doc(hidden)]
    const SHAPE: u8 = 0;
    /// The only values the type can send (a `DfineryEnum`'s wire values), empty when any:
    /// for the coverage manifest ([`FieldDescription::values`](crate::FieldDescription::values)).
    /// Hidden plumbing: only the enum impls and the pointer, `Option` and `Patch` impls set it.
    #[doc(hidden)]
    const VALUES: &'static [&'static str] = &[];
}

/// Rust types that can fill a DFINERY Array of Long property: `Vec<T>`, `[T; N]`, `[T]` of the
/// integer types of [`LongProperty`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot fill a DFINERY Array of Long property",
    label = "not a DFINERY Array of Long",
    note = "use `Vec<i64>`, `&[i64]` or `[i64; N]` (or `i32`, `i16`, `i8`, `u32`, `u16`, `u8` elements)"
)]
pub trait LongArrayProperty: PropertyValue {
    /// How the type can be absent (`__private::shape`), for the derives' compile-time
    /// checks. Hidden plumbing: only the `Option`, `Patch` and pointer impls here set it.
    #[doc(hidden)]
    const SHAPE: u8 = 0;
}

/// Rust types that can fill a DFINERY Array of Double property: `Vec<T>`, `[T; N]`, `[T]` of
/// `f64` or `f32`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot fill a DFINERY Array of Double property",
    label = "not a DFINERY Array of Double",
    note = "use `Vec<f64>`, `&[f64]` or `[f64; N]` (or `f32` elements)"
)]
pub trait DoubleArrayProperty: PropertyValue {
    /// How the type can be absent (`__private::shape`), for the derives' compile-time
    /// checks. Hidden plumbing: only the `Option`, `Patch` and pointer impls here set it.
    #[doc(hidden)]
    const SHAPE: u8 = 0;
}

/// Implements a marker for the listed types.
macro_rules! mark {
    ($marker:ident: $($ty:ty),* $(,)?) => {$(
        impl $marker for $ty {}
    )*};
}

mark!(StringProperty: str, String);
mark!(LongProperty: i8, i16, i32, i64, u8, u16, u32);
mark!(DoubleProperty: f32, f64);
mark!(BooleanProperty: bool);
mark!(DatetimeProperty: Datetime, time::OffsetDateTime, time::UtcDateTime, std::time::SystemTime);
mark!(DateProperty: Date, time::Date);

#[cfg(feature = "chrono")]
impl<Tz: chrono::TimeZone> DatetimeProperty for chrono::DateTime<Tz> {}
#[cfg(feature = "chrono")]
impl DateProperty for chrono::NaiveDate {}

/// Implements an array marker for `[T]`, `Vec<T>` and `[T; N]` whose elements carry `$element`.
macro_rules! mark_array {
    ($marker:ident: $element:ident) => {
        impl<T: $element + ArrayElement> $marker for [T] {}
        impl<T: $element + ArrayElement> $marker for Vec<T> {}
        impl<T: $element + ArrayElement, const N: usize> $marker for [T; N] {}
    };
}

impl<T: StringProperty + ArrayElement> StringArrayProperty for [T] {
    const VALUES: &'static [&'static str] = T::VALUES;
}
impl<T: StringProperty + ArrayElement> StringArrayProperty for Vec<T> {
    const VALUES: &'static [&'static str] = T::VALUES;
}
impl<T: StringProperty + ArrayElement, const N: usize> StringArrayProperty for [T; N] {
    const VALUES: &'static [&'static str] = T::VALUES;
}
mark_array!(LongArrayProperty: LongProperty);
mark_array!(DoubleArrayProperty: DoubleProperty);

/// Forwards a marker through references, smart pointers, `Option` and `Patch`, each saying how
/// it can be absent (`SHAPE`); for the markers listed after `values:`, also the values the type
/// can send (`VALUES`).
macro_rules! forward {
    ($($marker:ident),* ; values: $($valued:ident),*) => {
        $(forward!(@impls $marker {});)*
        $(forward!(@impls $valued { const VALUES: &'static [&'static str] = T::VALUES; });)*
    };
    (@impls $marker:ident { $($values:tt)* }) => {
        impl<T: $marker + ?Sized> $marker for &T {
            const SHAPE: u8 = T::SHAPE;
            $($values)*
        }
        impl<T: $marker + ?Sized> $marker for Box<T> {
            const SHAPE: u8 = T::SHAPE;
            $($values)*
        }
        impl<T: $marker + ?Sized> $marker for Arc<T> {
            const SHAPE: u8 = T::SHAPE;
            $($values)*
        }
        impl<T: $marker + ?Sized> $marker for Rc<T> {
            const SHAPE: u8 = T::SHAPE;
            $($values)*
        }
        impl<T: $marker + ToOwned + ?Sized> $marker for Cow<'_, T> {
            const SHAPE: u8 = T::SHAPE;
            $($values)*
        }
        impl<T: $marker> $marker for Option<T> {
            const SHAPE: u8 = shape::option(T::SHAPE);
            $($values)*
        }
        impl<T: $marker> $marker for Patch<T> {
            const SHAPE: u8 = shape::patch(T::SHAPE);
            $($values)*
        }
    };
}

forward!(
    LongProperty,
    DoubleProperty,
    BooleanProperty,
    DatetimeProperty,
    DateProperty,
    LongArrayProperty,
    DoubleArrayProperty;
    values: StringProperty, StringArrayProperty
);
