//! [`EventGroup`]: the rows of one exported event (one per item, or one), gathered back
//! together.

use super::decode::{Columns, DecodeEvent};
use super::error::ExportError;
use super::header::Header;
use super::meta::EVENT_NAME;
use super::parse::Record;
use super::row::ExportRow;

/// The rows of one event. An event export has one row per item (the event's columns repeated)
/// and one row for an event without items; consecutive rows of the same event are gathered
/// here: rows with the same `event_log_id` when the export has that column, otherwise rows
/// that hold an item and agree on every other column.
#[derive(Clone, Copy)]
pub struct EventGroup<'a> {
    header: &'a Header,
    first: &'a Record,
    rest: &'a [Record],
}

impl<'a> EventGroup<'a> {
    /// The group of `records`; `None` when there are none.
    pub(crate) fn new(header: &'a Header, records: &'a [Record]) -> Option<EventGroup<'a>> {
        let (first, rest) = records.split_first()?;
        Some(EventGroup {
            header,
            first,
            rest,
        })
    }

    /// The event's first row (its event columns are the same in every row).
    pub fn first(&self) -> ExportRow<'a> {
        ExportRow::new(self.header, self.first)
    }

    /// Every row, in file order.
    pub fn rows(&self) -> impl Iterator<Item = ExportRow<'a>> + 'a {
        let header = self.header;
        std::iter::once(self.first)
            .chain(self.rest)
            .map(move |record| ExportRow::new(header, record))
    }

    /// The rows that hold an item (an event without items has none).
    pub fn item_rows(&self) -> impl Iterator<Item = ExportRow<'a>> + 'a {
        let header = self.header;
        std::iter::once(self.first)
            .chain(self.rest)
            .filter(move |record| header.has_item(record))
            .map(move |record| ExportRow::new(header, record))
    }

    /// The number of rows (at least one).
    pub(crate) fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// The `event_name` column (`""` when the export has none).
    pub fn event_name(&self) -> &'a str {
        self.first().get(EVENT_NAME).unwrap_or_default()
    }

    /// The event decoded into `T`, whatever its `event_name` (columns are looked up on each
    /// call; [`ExportRows::events`](super::ExportRows::events) looks them up once). Its system
    /// columns are [`first().event_meta()`](ExportRow::event_meta).
    ///
    /// # Errors
    ///
    /// [`ExportError::MissingColumns`] or [`ExportError::Cell`].
    pub fn decode<T: DecodeEvent>(&self) -> Result<T, ExportError> {
        let columns = Columns::resolve(self.header, T::description().rust_name, T::FIELDS)?;
        T::from_export_rows(self, &columns)
    }
}

impl std::fmt::Debug for EventGroup<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.rows()).finish()
    }
}
