//! [`ExportRow`]: one CSV row of an export, read by column name: its text ([`ExportRow::get`])
//! or a typed value ([`ExportRow::decode`]).

use dfinery_schema::DataType;

use super::cell::Cell;
use super::error::ExportError;
use super::from_cell::FromCell;
use super::header::Header;
use super::meta::EventMeta;
use super::parse::Record;

/// One row of an export, read by column name, never by position.
///
/// Two ways to read a cell: [`get`](Self::get), its text borrowed from the row, and
/// [`decode`](Self::decode), a typed value (`Ok(None)` for an empty cell into an `Option`, an
/// error naming the column when the export has no such column, and an error naming the row and
/// column when the text is not a value of the type asked for).
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
    pub(crate) fn header(&self) -> &'a Header {
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

    /// The text of the cell at `index` (the system columns, found once per header).
    #[inline]
    pub(crate) fn at(&self, index: usize) -> Option<&'a str> {
        self.record.field(index)
    }

    /// The cell at `index`, if any.
    #[inline]
    pub(crate) fn cell_at(&self, index: Option<usize>) -> Cell<'a> {
        match index.and_then(|i| self.record.field(i)) {
            None => Cell::NoColumn,
            Some(text) => Cell::of(text),
        }
    }

    /// Every column name with its text (`""` for an empty cell), in file order, borrowed from
    /// the row: the scanning path, which allocates nothing per row.
    ///
    /// ```
    /// use dfinery_core::export::ExportRows;
    ///
    /// let csv = "df_unified_id,df_name\r\nu1,\"Hong, Gildong\"\r\nu2,\r\n";
    /// let mut rows = ExportRows::new(csv.as_bytes())?;
    /// let mut names = 0;
    /// while let Some(row) = rows.next_row()? {
    ///     names += row.iter().filter(|(column, text)| *column == "df_name" && !text.is_empty()).count();
    /// }
    /// assert_eq!(names, 1);
    /// # Ok::<(), dfinery_core::export::ExportError>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let header = self.header;
        let record = self.record;
        header
            .names()
            .iter()
            .zip(record.fields())
            .map(|(name, text)| (name.as_str(), text))
    }

    /// `column` decoded into `T` as the DFINERY type `ty`: any [`FromCell`] type, e.g.
    /// `row.decode::<Option<i64>>("rating", DataType::Long)` (`None` for an empty cell), or
    /// `Option<Value>` for whatever `ty` is.
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
    #[inline(always)]
    pub(crate) fn decode_at<T: FromCell>(
        &self,
        index: Option<usize>,
        ty: DataType,
        column: &str,
    ) -> Result<T, ExportError> {
        T::from_cell(self.cell_at(index), ty).map_err(
            #[cold]
            |error| ExportError::Cell {
                row: self.number(),
                column: column.to_owned(),
                error,
            },
        )
    }
}

impl std::fmt::Debug for ExportRow<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
