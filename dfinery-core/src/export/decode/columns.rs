//! [`Columns`]: where each field of a typed struct finds its column, built once per header by
//! [`ColumnsBuilder`] (which the derives call) so that a missing column is one error naming
//! every column missing.

use dfinery_schema::DataType;

use super::{DecodeItem, FromItems};
use crate::encode::property::PropertySpec;
use crate::export::error::ExportError;
use crate::export::from_cell::FromCell;
use crate::export::group::EventGroup;
use crate::export::header::Header;
use crate::export::meta::{DF_CORRECTION_DATETIME, EVENT_DATETIME, EVENT_LOG_ID};
use crate::export::query::item_column;
use crate::export::row::ExportRow;

/// The columns of one typed struct in one header: one per property field, in field order,
/// plus the items and the event's datetime and log id.
#[derive(Debug, Clone)]
pub struct Columns {
    rust_type: &'static str,
    item: bool,
    properties: Vec<Option<usize>>,
    items: Option<Box<Columns>>,
    datetime: Option<usize>,
    datetime_name: &'static str,
    log_id: Option<usize>,
}

impl Columns {
    /// The column name of `spec` (`df_items_<name>` for an item).
    fn column_name(&self, spec: &PropertySpec) -> String {
        if self.item {
            item_column(spec.name)
        } else {
            spec.name.to_owned()
        }
    }

    /// Property field `index` (its place among the property fields) of `row`, described by
    /// `spec`.
    ///
    /// # Errors
    ///
    /// [`ExportError::Cell`] naming the row and column.
    #[inline(always)]
    pub fn property<T: FromCell>(
        &self,
        row: &ExportRow<'_>,
        index: usize,
        spec: &PropertySpec,
    ) -> Result<T, ExportError> {
        let column = self.properties.get(index).copied().flatten();
        T::from_cell(row.cell_at(column), spec.ty).map_err(
            #[cold]
            |error| ExportError::Cell {
                row: row.number(),
                column: self.column_name(spec),
                error,
            },
        )
    }

    /// The items of the event in `rows`: one per row that holds an item.
    ///
    /// # Errors
    ///
    /// [`ExportError::Cell`] for the first item cell that does not decode.
    pub fn items<L: FromItems>(&self, rows: &EventGroup<'_>) -> Result<L, ExportError> {
        let Some(columns) = self.items.as_deref() else {
            return Err(ExportError::MissingColumns {
                rust_type: self.rust_type,
                columns: vec![format!("{}*", crate::export::query::ITEM_PREFIX)],
            });
        };
        // Sized once, for every row of the event, at the first item (`collect` through a
        // filter would grow it from nothing, one allocation per doubling); an event without
        // items allocates nothing.
        let mut items = Vec::new();
        for row in rows.item_rows() {
            if items.is_empty() {
                items.reserve_exact(rows.len());
            }
            items.push(L::Item::from_export_row(&row, columns)?);
        }
        Ok(L::from_items(items))
    }

    /// The `#[dfinery(datetime)]` field: `event_datetime`, or `df_correction_datetime`.
    ///
    /// # Errors
    ///
    /// [`ExportError::Cell`].
    pub fn datetime<T: FromCell>(&self, row: &ExportRow<'_>) -> Result<T, ExportError> {
        row.decode_at(self.datetime, DataType::Datetime, self.datetime_name)
    }

    /// The `#[dfinery(log_id)]` field: `event_log_id`.
    ///
    /// # Errors
    ///
    /// [`ExportError::Cell`].
    pub fn log_id<T: FromCell>(&self, row: &ExportRow<'_>) -> Result<T, ExportError> {
        row.decode_at(self.log_id, DataType::String, EVENT_LOG_ID)
    }
}

/// Finds a typed struct's columns in a header, collecting every column missing.
#[derive(Debug)]
pub struct ColumnsBuilder<'h> {
    header: &'h Header,
    columns: Columns,
    missing: Vec<String>,
}

impl<'h> ColumnsBuilder<'h> {
    fn with(header: &'h Header, rust_type: &'static str, item: bool) -> Self {
        ColumnsBuilder {
            header,
            columns: Columns {
                rust_type,
                item,
                properties: Vec::new(),
                items: None,
                datetime: None,
                datetime_name: EVENT_DATETIME,
                log_id: None,
            },
            missing: Vec::new(),
        }
    }

    /// For an event or a profile: properties are columns of their own name.
    pub fn new(header: &'h Header, rust_type: &'static str) -> Self {
        ColumnsBuilder::with(header, rust_type, false)
    }

    /// For an item: properties are `df_items_<name>` columns.
    pub fn item(header: &'h Header, rust_type: &'static str) -> Self {
        ColumnsBuilder::with(header, rust_type, true)
    }

    /// The next property field; a missing column is an error unless the field is `optional`.
    pub fn property(&mut self, spec: &PropertySpec, optional: bool) {
        let name = self.columns.column_name(spec);
        let index = self.header.index(&name);
        if index.is_none() && !optional {
            self.missing.push(name);
        }
        self.columns.properties.push(index);
    }

    /// The items field, of type `L`.
    pub fn items<L: FromItems>(&mut self) {
        match <L::Item as DecodeItem>::export_columns(self.header) {
            Ok(columns) => self.columns.items = Some(Box::new(columns)),
            Err(ExportError::MissingColumns { columns, .. }) => self.missing.extend(columns),
            Err(_) => {}
        }
    }

    /// The `#[dfinery(datetime)]` field.
    pub fn datetime(&mut self, optional: bool) {
        let (index, name) = match self.header.index(EVENT_DATETIME) {
            Some(index) => (Some(index), EVENT_DATETIME),
            None => (
                self.header.index(DF_CORRECTION_DATETIME),
                DF_CORRECTION_DATETIME,
            ),
        };
        if index.is_none() && !optional {
            self.missing.push(EVENT_DATETIME.to_owned());
        }
        self.columns.datetime = index;
        self.columns.datetime_name = name;
    }

    /// The `#[dfinery(log_id)]` field.
    pub fn log_id(&mut self, optional: bool) {
        let index = self.header.index(EVENT_LOG_ID);
        if index.is_none() && !optional {
            self.missing.push(EVENT_LOG_ID.to_owned());
        }
        self.columns.log_id = index;
    }

    /// The columns found.
    ///
    /// # Errors
    ///
    /// [`ExportError::MissingColumns`] naming every column missing.
    pub fn finish(self) -> Result<Columns, ExportError> {
        if self.missing.is_empty() {
            Ok(self.columns)
        } else {
            Err(ExportError::MissingColumns {
                rust_type: self.columns.rust_type,
                columns: self.missing,
            })
        }
    }
}
