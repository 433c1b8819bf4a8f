//! Compile-time-checked derives for DFINERY events, items, user profiles and enum values. Use
//! them through the `dfinery` crate (feature `derive`, on by default): the generated code names
//! `::dfinery::__private` paths only, through the alias `__dfinery` its block declares (so a
//! type or a path of the user's that starts with `__dfinery` is refused with an error saying
//! how to write it instead). A crate that renames the `dfinery` dependency in its `Cargo.toml`
//! adds `extern crate <new name> as dfinery;` to its root (`docs/registry.md`).
//!
//! Each derive reads the registry file (`dfinery.toml`; see `registry.rs` for where it is
//! looked for) and checks the type against it: every error is a compile error on the narrowest
//! span, all errors of one derive reported together, each beside a stub impl so no follow-up
//! error hides them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ast;
mod attr;
mod case;
mod errors;
mod expand;
mod registry;
mod symbol;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `dfinery::Event` for a struct whose fields are an event's properties, checked
/// against the registry at compile time.
///
/// On the struct:
/// - `#[dfinery(event = "df_purchase")]`: the registered event (default: the struct's name in
///   snake case);
/// - `#[dfinery(rename_all = "camelCase")]`: how field names become property names (`lowercase`,
///   `UPPERCASE`, `PascalCase`, `camelCase`, `snake_case`, `SCREAMING_SNAKE_CASE`; default:
///   as written);
/// - `#[dfinery(registry = "path/dfinery.toml")]`: the registry file, relative to
///   `CARGO_MANIFEST_DIR`;
/// - `#[dfinery(decode)]`: the struct is also read back from event exports, so the derive
///   implements `dfinery::export::DecodeEvent` too. Every field's type must then be decodable
///   (`dfinery::export::FromCell`: owned types such as `String`, `i64`, `f64`, `Vec<T>`; items
///   through `FromItems`, with an item type that says `decode` as well; `#[dfinery(skip)]`
///   fields need `Default`).
///
/// On a field:
/// - `#[dfinery(rename = "df_order_id")]`: the property it fills;
/// - `#[dfinery(skip)]`: not sent;
/// - `#[dfinery(items)]`: the event's items (`Vec<T>`, `[T; N]`, `&[T]`, `Box<[T]>` or, when
///   the event does not require items, an `Option` of those, with `T: DfineryItem`), sent as
///   `event_items`;
/// - `#[dfinery(datetime)]`: supplies `event_datetime` (`Datetime` or `Option<Datetime>`;
///   default: the time of tracking);
/// - `#[dfinery(log_id)]`: supplies `event_log_id` (`Uuid` or `Option<Uuid>`; default: a fresh
///   UUIDv4 made once per event).
///
/// `Option<T>` fields are optional properties (`None` is not sent); a required property needs
/// a non-`Option` field, also through a type alias or a type parameter (checked for each type
/// the struct is used with).
///
/// A `#[repr(packed)]` struct (as `DfineryItem` and `DfineryProfile` ones) is read field by
/// field by copy, since a reference to one of its fields may be unaligned: each field sent must
/// then be `Copy` (`i64`, `&'static str`, `Option<f64>`, …), else one error on its type says so.
///
/// # Why decoding is opt-in
///
/// Like serde's `Serialize`/`Deserialize` split, a crate pays only for the direction it uses:
/// most crates only send, and type-checking a decode impl for every event was about a third of
/// the build time of a crate of derived events. Decoding a type that did not opt in is one
/// compile error naming the fix. It is an attribute rather than a second derive because the
/// decode impl reads the same fields and registered properties this derive has already parsed
/// and checked against the registry: a separate `DfineryDecode` derive would read and check
/// them a second time (the cost this split removes), and could not tell an event from a
/// profile, whose attributes may look alike.
#[proc_macro_derive(DfineryEvent, attributes(dfinery))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    // Each expand function returns the impl, or the combined errors beside a stub impl, so
    // there is no `Result` to unwrap here.
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive_struct(&input, ast::Kind::Event).into()
}

/// Derives `dfinery::Item` for one item (product) of an event's `event_items`, checked against
/// the item properties of every event it is used under.
///
/// On the struct:
/// - `#[dfinery(event = "df_purchase")]`, once per event the item is used under (at least
///   one): each field must be an item property of each of them, of one type, and is checked
///   by the strictest of their rules (required if one requires it, the smaller limits, the
///   values all of them allow, at least one); an event's `#[dfinery(items)]` field only
///   accepts items declared for it;
/// - `#[dfinery(rename_all = "...")]` and `#[dfinery(registry = "...")]`, as on `DfineryEvent`;
/// - `#[dfinery(decode)]`: also implements `dfinery::export::DecodeItem` (read back from the
///   `df_items_<name>` columns), on the same terms as `DfineryEvent`; an event that decodes its
///   items needs it on the item type.
///
/// On a field: `#[dfinery(rename = "...")]` and `#[dfinery(skip)]`.
#[proc_macro_derive(DfineryItem, attributes(dfinery))]
pub fn derive_item(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive_struct(&input, ast::Kind::Item).into()
}

/// Derives `dfinery::Profile` for a set of user properties, checked against the registered
/// user properties.
///
/// On the struct: `#[dfinery(rename_all = "...")]`, `#[dfinery(registry = "...")]`, and
/// `#[dfinery(decode)]`, which also implements `dfinery::export::DecodeProfile` on the same
/// terms as `DfineryEvent`. On a field: `#[dfinery(rename = "...")]` and `#[dfinery(skip)]`.
///
/// `Option<T>` fields are not sent when `None`; `Patch<T>` fields are left alone (`Keep`),
/// cleared (`Clear`, sent as `null`) or set (`Set`). An `Option` inside an `Option` or a
/// `Patch` (`Option<Option<T>>`, `Patch<Option<T>>`) is refused: its `None` would send nothing
/// rather than clear; `Patch<T>` says which.
///
/// A field mapped to a user property DFINERY's SDKs deprecate (`df_push_optin`, still
/// accepted) compiles with a `deprecated` warning on the field. `#[allow(deprecated)]` (or
/// another level of `deprecated` or `warnings`) on the field or the struct applies to it as to
/// the user's own code; `#[expect(deprecated)]` there cannot be fulfilled (the warning is in
/// the derive's code, beside the struct), so it is read as `allow` and the compiler reports the
/// expectation unfulfilled: write `allow`.
#[proc_macro_derive(DfineryProfile, attributes(dfinery))]
pub fn derive_profile(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive_struct(&input, ast::Kind::Profile).into()
}

/// Derives `dfinery::DfineryEnumValue` (and the property traits) for an enum of unit variants,
/// each sent as one string value; it can fill String and Array of String properties.
///
/// On the enum:
/// - `#[dfinery(user_property = "df_gender")]`, or `#[dfinery(event = "...", property = "...")]`,
///   or `#[dfinery(event = "...", item = "...")]`: a registered property the enum stands for
///   (repeat the attribute for several); each variant's value must be one of its registered
///   values. Without one, values are only checked at run time, against the property they are
///   sent as;
/// - `#[dfinery(rename_all = "...")]`: how variant names become values (any of the eight
///   serde styles, `kebab-case` included; default: as written);
/// - `#[dfinery(registry = "...")]`, as on `DfineryEvent`.
///
/// On a variant: `#[dfinery(rename = "NonBinary")]`.
///
/// The enum can also be decoded from exports (`FromCell`, `FromElement`): a value that is not
/// one of its variants is an error naming the values.
#[proc_macro_derive(DfineryEnum, attributes(dfinery))]
pub fn derive_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive_enum(&input).into()
}
