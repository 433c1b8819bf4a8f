//! [`ExportRow`]: one CSV row of an export, read by column name with typed getters.

use dfinery_schema::DataType;

use super::cell::Cell;
use super::error::ExportError;
use super::from_cell::FromCell;
use super::header::Header;
use super::meta::EventMeta;
use super::parse::Record;
use crate::value::{Date, Datetime, Value};

/// One row of an export, read by column name, never by position.
///
/// The getters return `Ok(None)` for an empty cell (a missing value), an error naming the
/// column when the export has no such column, and an error naming the row and column when the
/// text is not a value of the type asked for.
#[derive(Clone, Copy)]
pub struct ExportRow<'a> {
    header: &'a Header,
    record: &'a Record,
}

impl<'a> ExportRow<'a> {
    pub(crate) fn new(header: &'a Header, record: &'a Record) -> ExportRow<'a> {
        ExportRow { header, record }
    }

    /// The header row.
    pub fn header(&self) -> &'a Header {
        self.header
    }

    /// The data row's number, from 1 (the header row is not counted).
    #[inline]
    pub fn number(&self) -> u64 {
        self.record.row
    }

    /// The text of column `column` (`""` for an empty cell); `None` when there is no such
    /// column.
    pub fn get(&self, column: &str) -> Option<&'a str> {
        self.record.field(self.header.index(column)?)
    }

    /// The text of the cell at `index`.
    #[inline]
    pub fn at(&self, index: usize) -> Option<&'a str> {
        self.record.field(index)
    }

    /// The cell of column `column`: [`Cell::NoColumn`] when there is none.
    pub fn cell(&self, column: &str) -> Cell<'a> {
        self.cell_at(self.header.index(column))
    }

    /// The cell at `index`, if any.
    #[inline]
    pub fn cell_at(&self, index: Option<usize>) -> Cell<'a> {
        match index.and_then(|i| self.record.field(i)) {
            None => Cell::NoColumn,
            Some(text) => Cell::of(text),
        }
    }

    /// The text of every cell, in file order (`""` for an empty cell), borrowed from the row:
    /// the scanning path, which allocates nothing per row.
    ///
    /// ```
    /// use dfinery_core::export::ExportReader;
    ///
    /// let csv = "df_unified_id,df_name\r\nu1,\"Hong, Gildong\"\r\nu2,\r\n";
    /// let mut reader = ExportReader::new(csv.as_bytes())?;
    /// let mut names = 0;
    /// while let Some(row) = reader.next_row()? {
    ///     let fields: Vec<&str> = row.fields().collect();
    ///     names += usize::from(!fields[1].is_empty());
    /// }
    /// assert_eq!(names, 1);
    /// # Ok::<(), dfinery_core::export::ExportError>(())
    /// ```
    pub fn fields(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.record.fields()
    }

    /// The number of cells (the header's number of columns).
    pub fn len(&self) -> usize {
        self.record.len()
    }

    /// Whether the row has no cells (never, for a row of a valid export).
    pub fn is_empty(&self) -> bool {
        self.record.len() == 0
    }

    /// Every column name with its text, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let header = self.header;
        let record = self.record;
        header
            .names()
            .iter()
            .zip(record.fields())
            .map(|(name, text)| (name.as_str(), text))
    }

    /// The text of `column`, `None` when empty.
    ///
    /// # Errors
    ///
    /// [`ExportError::NoColumn`] when the export has no such column.
    pub fn text(&self, column: &str) -> Result<Option<&'a str>, ExportError> {
        let index = self.header.require(column)?;
        Ok(self.cell_at(Some(index)).text())
    }

    /// The value of `column` as the DFINERY type `ty`, `None` when empty.
    ///
    /// # Errors
    ///
    /// [`ExportError::NoColumn`], or [`ExportError::Cell`] when the text is not of type `ty`.
    pub fn value(&self, column: &str, ty: DataType) -> Result<Option<Value>, ExportError> {
        self.decode::<Option<Value>>(column, ty)
    }

    /// `column` decoded into `T` as the DFINERY type `ty`: any [`FromCell`] type, e.g.
    /// `row.decode::<Option<i64>>("rating", DataType::Long)`.
    ///
    /// # Errors
    ///
    /// [`ExportError::NoColumn`], or [`ExportError::Cell`] when the cell does not decode.
    pub fn decode<T: FromCell>(&self, column: &str, ty: DataType) -> Result<T, ExportError> {
        let index = self.header.require(column)?;
        T::from_cell(self.cell_at(Some(index)), ty).map_err(|error| ExportError::Cell {
            row: self.number(),
            column: column.to_owned(),
            error,
        })
    }

    /// `column` as a String.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn string(&self, column: &str) -> Result<Option<String>, ExportError> {
        self.decode(column, DataType::String)
    }

    /// `column` as a Long.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn long(&self, column: &str) -> Result<Option<i64>, ExportError> {
        self.decode(column, DataType::Long)
    }

    /// `column` as a Double.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn double(&self, column: &str) -> Result<Option<f64>, ExportError> {
        self.decode(column, DataType::Double)
    }

    /// `column` as a Boolean.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn boolean(&self, column: &str) -> Result<Option<bool>, ExportError> {
        self.decode(column, DataType::Boolean)
    }

    /// `column` as a Datetime.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn datetime(&self, column: &str) -> Result<Option<Datetime>, ExportError> {
        self.decode(column, DataType::Datetime)
    }

    /// `column` as a Date.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn date(&self, column: &str) -> Result<Option<Date>, ExportError> {
        self.decode(column, DataType::Date)
    }

    /// `column` as an Array of String.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn string_array(&self, column: &str) -> Result<Option<Vec<String>>, ExportError> {
        self.decode(column, DataType::StringArray)
    }

    /// `column` as an Array of Long.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn long_array(&self, column: &str) -> Result<Option<Vec<i64>>, ExportError> {
        self.decode(column, DataType::LongArray)
    }

    /// `column` as an Array of Double.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn double_array(&self, column: &str) -> Result<Option<Vec<f64>>, ExportError> {
        self.decode(column, DataType::DoubleArray)
    }

    /// The system columns of an event export.
    ///
    /// # Errors
    ///
    /// [`ExportError::MissingColumns`] when one of the five documented system columns is
    /// missing; [`ExportError::Cell`] when a datetime does not parse.
    pub fn event_meta(&self) -> Result<EventMeta, ExportError> {
        EventMeta::read(self)
    }

    /// The cell at `index` decoded into `T` as type `ty`; an error names `column`.
    pub(crate) fn decode_at<T: FromCell>(
        &self,
        index: Option<usize>,
        ty: DataType,
        column: &str,
    ) -> Result<T, ExportError> {
        T::from_cell(self.cell_at(index), ty).map_err(|error| ExportError::Cell {
            row: self.number(),
            column: column.to_owned(),
            error,
        })
    }
}

impl std::fmt::Debug for ExportRow<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
