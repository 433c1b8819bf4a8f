//! Decoding typed structs from export rows: the traits the derives implement
//! ([`DecodeEvent`], [`DecodeItem`], [`DecodeProfile`]) and the column lookup they share
//! ([`Columns`]), built once per header so each row is read by position afterwards.

mod columns;

pub use columns::{Columns, Field};

use super::error::ExportError;
use super::group::EventGroup;
use super::row::ExportRow;
use crate::encode::model::{Event, Item, Profile};

/// An event that can be read back from an event export: `#[derive(DfineryEvent)]` implements
/// it when the struct opts in with `#[dfinery(decode)]` (a struct that is only sent pays
/// nothing for decoding); every field's type must then be decodable
/// ([`FromCell`](super::FromCell), items through [`FromItems`], `#[dfinery(skip)]` fields
/// through `Default`).
///
/// The event's properties come from its first row; its items from every row of the event
/// (one row per item); a `#[dfinery(datetime)]` field from `event_datetime` (or, when the
/// export has no such column, `df_correction_datetime`); a `#[dfinery(log_id)]` field from
/// `event_log_id`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded from an event export; add `decode` to its `#[dfinery(...)]`",
    label = "not decodable from an export",
    note = "decoding is opt-in: add `decode` to its `#[dfinery(...)]` attribute, e.g. `#[dfinery(decode)]` beside `#[derive(DfineryEvent)]`"
)]
pub trait DecodeEvent: Event + Sized {
    /// The fields that read the export, in field order: what each reads, and whether its
    /// column may be missing. Every column a field needs (one that cannot be `None`) that a
    /// header lacks is named in one [`ExportError::MissingColumns`].
    const FIELDS: &'static [Field];

    /// Decodes one event from its rows.
    ///
    /// # Errors
    ///
    /// [`ExportError::Cell`] for the first cell that does not decode.
    fn from_export_rows(rows: &EventGroup<'_>, columns: &Columns) -> Result<Self, ExportError>;
}

/// An item that can be read back from the `df_items_<name>` columns of an event export:
/// `#[derive(DfineryItem)]` implements it when the struct opts in with `#[dfinery(decode)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded from the item columns of an export; add `decode` to its `#[dfinery(...)]`",
    label = "not decodable from an export",
    note = "decoding is opt-in: add `decode` to its `#[dfinery(...)]` attribute, e.g. `#[dfinery(event = \"df_purchase\", decode)]` beside `#[derive(DfineryItem)]`"
)]
pub trait DecodeItem: Item + Sized {
    /// The fields that read the export (from `df_items_<name>` columns), as
    /// [`DecodeEvent::FIELDS`].
    const FIELDS: &'static [Field];

    /// Decodes one item from its row.
    ///
    /// # Errors
    ///
    /// [`ExportError::Cell`] for the first cell that does not decode.
    fn from_export_row(row: &ExportRow<'_>, columns: &Columns) -> Result<Self, ExportError>;
}

/// User properties that can be read back from a user-profile export:
/// `#[derive(DfineryProfile)]` implements it when the struct opts in with `#[dfinery(decode)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded from a user-profile export; add `decode` to its `#[dfinery(...)]`",
    label = "not decodable from an export",
    note = "decoding is opt-in: add `decode` to its `#[dfinery(...)]` attribute, e.g. `#[dfinery(decode)]` beside `#[derive(DfineryProfile)]`"
)]
pub trait DecodeProfile: Profile + Sized {
    /// The fields that read the export, as [`DecodeEvent::FIELDS`].
    const FIELDS: &'static [Field];

    /// Decodes one profile from its row.
    ///
    /// # Errors
    ///
    /// [`ExportError::Cell`] for the first cell that does not decode.
    fn from_export_row(row: &ExportRow<'_>, columns: &Columns) -> Result<Self, ExportError>;
}

/// A field type that holds an event's decoded items: `Vec<I>`, `Box<[I]>`, or an `Option` of
/// those (`None` when the event has no items).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold the items of a decoded event",
    label = "not decodable from an export",
    note = "use `Vec<I>`, `Box<[I]>` or an `Option` of those, where `I` derives `DfineryItem`"
)]
pub trait FromItems: Sized {
    /// The item type.
    type Item: DecodeItem;

    /// Whether the field stands for an event without items (`Option`): the item columns are
    /// then not needed, and an export without them decodes every event's items as absent.
    const OPTIONAL: bool = false;

    /// The field's value for `items`, in row order.
    fn from_items(items: Vec<Self::Item>) -> Self;
}

impl<I: DecodeItem> FromItems for Vec<I> {
    type Item = I;

    fn from_items(items: Vec<I>) -> Self {
        items
    }
}

impl<I: DecodeItem> FromItems for Box<[I]> {
    type Item = I;

    fn from_items(items: Vec<I>) -> Self {
        items.into_boxed_slice()
    }
}

/// `None` for an event without items.
impl<L: FromItems> FromItems for Option<L> {
    type Item = L::Item;
    const OPTIONAL: bool = true;

    fn from_items(items: Vec<L::Item>) -> Self {
        if items.is_empty() {
            None
        } else {
            Some(L::from_items(items))
        }
    }
}
