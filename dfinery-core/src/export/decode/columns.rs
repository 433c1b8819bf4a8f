//! [`Columns`]: where each field of a typed struct finds its column, resolved once per header
//! from the struct's [`Field`]s (the `FIELDS` of its decode impl), so that a missing column is
//! one error naming every column missing.

use std::borrow::Cow;

use dfinery_schema::DataType;

use super::{DecodeItem, FromItems};
use crate::encode::property::{PropertySpec, Scope};
use crate::export::error::ExportError;
use crate::export::from_cell::FromCell;
use crate::export::group::EventGroup;
use crate::export::header::Header;
use crate::export::meta::{DF_CORRECTION_DATETIME, EVENT_DATETIME, EVENT_LOG_ID};
use crate::export::query::item_column;
use crate::export::row::ExportRow;

/// One field of a decoded struct that reads the export: a decode impl's `FIELDS` lists them in
/// field order (`#[dfinery(skip)]` fields read nothing and have none). `optional` is whether
/// the field's type can stand for a missing value ([`FromCell::OPTIONAL`]), so its column may
/// be missing from the export.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    /// A property field: its spec and `optional`. An item's property is read from its
    /// `df_items_<name>` column.
    Property(&'static PropertySpec, bool),
    /// The `#[dfinery(datetime)]` field and `optional`: `event_datetime`, or, when the export
    /// has no such column, `df_correction_datetime`.
    Datetime(bool),
    /// The `#[dfinery(log_id)]` field and `optional`: `event_log_id`.
    LogId(bool),
    /// The items field: its item type's [`DecodeItem::FIELDS`], and `optional`
    /// ([`FromItems::OPTIONAL`]): whether the item columns may be missing from the export.
    Items(&'static [Field], bool),
}

/// Where one field reads its cell.
#[derive(Debug, Clone)]
struct Column {
    /// Its place in the header; `None` when the export has no such column.
    index: Option<usize>,
    /// Its name, for errors.
    name: Cow<'static, str>,
    /// The registered type the cell holds.
    ty: DataType,
}

/// The columns of one typed struct in one header: one per field that reads a cell
/// (properties, datetime, log id), in field order, plus the items' columns.
#[derive(Debug, Clone)]
pub struct Columns {
    rust_type: &'static str,
    cells: Vec<Column>,
    items: Option<Box<Columns>>,
}

impl Columns {
    /// Finds the columns of `fields` (every field of the struct `rust_type` that reads the
    /// export, in field order) in `header`.
    ///
    /// # Errors
    ///
    /// [`ExportError::MissingColumns`] naming, in field order, every column missing that a
    /// field needs (one whose type is not optional), the items' columns included.
    pub(crate) fn resolve(
        header: &Header,
        rust_type: &'static str,
        fields: &[Field],
    ) -> Result<Columns, ExportError> {
        let mut missing = Vec::new();
        let columns = Columns::find(header, rust_type, fields, &mut missing);
        if missing.is_empty() {
            Ok(columns)
        } else {
            Err(ExportError::MissingColumns {
                rust_type,
                columns: missing,
            })
        }
    }

    /// [`resolve`](Columns::resolve), pushing each column missing to `missing`.
    fn find(
        header: &Header,
        rust_type: &'static str,
        fields: &[Field],
        missing: &mut Vec<String>,
    ) -> Columns {
        let mut columns = Columns {
            rust_type,
            cells: Vec::with_capacity(fields.len()),
            items: None,
        };
        for field in fields {
            let (column, optional) = match *field {
                Field::Property(spec, optional) => {
                    let name = if spec.scope == Scope::Item {
                        Cow::Owned(item_column(spec.name))
                    } else {
                        Cow::Borrowed(spec.name)
                    };
                    let column = Column {
                        index: header.index(&name),
                        name,
                        ty: spec.ty,
                    };
                    (column, optional)
                }
                Field::Datetime(optional) => {
                    let column = match header.index(EVENT_DATETIME) {
                        Some(index) => (Some(index), EVENT_DATETIME),
                        None => (header.index(DF_CORRECTION_DATETIME), DF_CORRECTION_DATETIME),
                    };
                    if column.0.is_none() && !optional {
                        missing.push(EVENT_DATETIME.to_owned());
                    }
                    columns.cells.push(Column {
                        index: column.0,
                        name: Cow::Borrowed(column.1),
                        ty: DataType::Datetime,
                    });
                    continue;
                }
                Field::LogId(optional) => {
                    let column = Column {
                        index: header.index(EVENT_LOG_ID),
                        name: Cow::Borrowed(EVENT_LOG_ID),
                        ty: DataType::String,
                    };
                    (column, optional)
                }
                Field::Items(fields, optional) => {
                    // An `Option` of items needs none of their columns when the export has
                    // no item column at all (filtered to some properties, say): it holds no
                    // item rows. With some item columns, those its items need must be there.
                    let mut needed = Vec::new();
                    let items = Columns::find(header, rust_type, fields, &mut needed);
                    let no_item_columns = !header
                        .names()
                        .iter()
                        .any(|name| name.starts_with(crate::export::query::ITEM_PREFIX));
                    if !(optional && no_item_columns) {
                        missing.append(&mut needed);
                    }
                    columns.items = Some(Box::new(items));
                    continue;
                }
            };
            if column.index.is_none() && !optional {
                missing.push(column.name.clone().into_owned());
            }
            columns.cells.push(column);
        }
        columns
    }

    /// Decodes, from `row`, the cell of the field at `index` among the `FIELDS` that read a
    /// cell (property, datetime and log id fields; not the items). An `index` past those reads
    /// as a missing column.
    ///
    /// # Errors
    ///
    /// [`ExportError::Cell`] naming the row and column.
    #[inline(always)]
    pub fn read<T: FromCell>(&self, row: &ExportRow<'_>, index: usize) -> Result<T, ExportError> {
        match self.cells.get(index) {
            Some(column) => row.decode_at(column.index, column.ty, &column.name),
            None => row.decode_at(None, DataType::String, ""),
        }
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
}
