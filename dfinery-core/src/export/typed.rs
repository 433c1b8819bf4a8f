//! [`EventDecoder`] and [`ProfileDecoder`]: a typed struct's columns found once in a header,
//! then each event or profile decoded with its system columns.

use std::marker::PhantomData;

use super::decode::{Columns, DecodeEvent, DecodeProfile};
use super::error::ExportError;
use super::group::EventGroup;
use super::header::Header;
use super::meta::{ExportKind, ExportedEvent, ExportedProfile, MetaColumns, ProfileIdColumns};
use super::row::ExportRow;

/// A type's columns (`columns`, found by its derive) beside the system columns found for it
/// (`system`, `None` when some are missing, named in `missing`): both, or one
/// [`ExportError::MissingColumns`] naming every column missing of either.
fn beside<S>(
    rust_type: &'static str,
    system: Option<S>,
    mut missing: Vec<String>,
    columns: Result<Columns, ExportError>,
) -> Result<(S, Columns), ExportError> {
    let columns = match columns {
        Ok(columns) => Some(columns),
        Err(ExportError::MissingColumns { columns, .. }) => {
            missing.extend(columns);
            None
        }
        Err(other) => return Err(other),
    };
    match (system, columns) {
        (Some(system), Some(columns)) if missing.is_empty() => Ok((system, columns)),
        _ => Err(ExportError::MissingColumns {
            rust_type,
            columns: missing,
        }),
    }
}

/// Decodes the events of one type, with their system columns, from the groups of one export.
pub(crate) struct EventDecoder<T> {
    columns: Columns,
    meta: MetaColumns,
    _type: PhantomData<fn() -> T>,
}

impl<T: DecodeEvent> EventDecoder<T> {
    /// Finds `T`'s columns and the system columns in `header`.
    ///
    /// # Errors
    ///
    /// [`ExportError::WrongKind`] for a user-profile export, then
    /// [`ExportError::MissingColumns`] naming every column missing, system columns included.
    pub(crate) fn new(header: &Header) -> Result<Self, ExportError> {
        header.require_kind(ExportKind::Events, T::description().rust_name)?;
        let mut missing = Vec::new();
        let meta = MetaColumns::find(header, &mut missing);
        let (meta, columns) = beside(
            T::description().rust_name,
            meta,
            missing,
            Columns::resolve(header, T::description().rust_name, T::FIELDS),
        )?;
        Ok(EventDecoder {
            columns,
            meta,
            _type: PhantomData,
        })
    }

    /// The event name `T` stands for.
    pub(crate) fn event_name(&self) -> &'static str {
        T::description().name
    }

    /// The event in `group`, with its system columns; `None` when it is another event.
    ///
    /// # Errors
    ///
    /// [`ExportError::Cell`] for the first cell that does not decode.
    pub(crate) fn decode(
        &self,
        group: &EventGroup<'_>,
    ) -> Result<Option<ExportedEvent<T>>, ExportError> {
        let first = group.first();
        if self.meta.event_name(&first) != self.event_name() {
            return Ok(None);
        }
        Ok(Some(ExportedEvent {
            meta: self.meta.read(&first)?,
            event: T::from_export_rows(group, &self.columns)?,
        }))
    }
}

/// Decodes user profiles of one type, with their ids, from the rows of one export.
pub(crate) struct ProfileDecoder<T> {
    columns: Columns,
    ids: ProfileIdColumns,
    _type: PhantomData<fn() -> T>,
}

impl<T: DecodeProfile> ProfileDecoder<T> {
    /// Finds `T`'s columns and `df_unified_id` in `header`.
    ///
    /// # Errors
    ///
    /// [`ExportError::WrongKind`] for an event export, then [`ExportError::MissingColumns`]
    /// naming every column missing.
    pub(crate) fn new(header: &Header) -> Result<Self, ExportError> {
        header.require_kind(ExportKind::Profiles, T::description().rust_name)?;
        let mut missing = Vec::new();
        let ids = ProfileIdColumns::find(header, &mut missing);
        let (ids, columns) = beside(
            T::description().rust_name,
            ids,
            missing,
            Columns::resolve(header, T::description().rust_name, T::FIELDS),
        )?;
        Ok(ProfileDecoder {
            columns,
            ids,
            _type: PhantomData,
        })
    }

    /// The profile in `row`, with its ids.
    ///
    /// # Errors
    ///
    /// [`ExportError::Cell`] for the first cell that does not decode.
    pub(crate) fn decode(&self, row: &ExportRow<'_>) -> Result<ExportedProfile<T>, ExportError> {
        let (unified_id, external_id) = self.ids.read(row);
        Ok(ExportedProfile {
            unified_id,
            external_id,
            profile: T::from_export_row(row, &self.columns)?,
        })
    }
}

impl<T> std::fmt::Debug for EventDecoder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventDecoder")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

impl<T> std::fmt::Debug for ProfileDecoder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileDecoder")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}
