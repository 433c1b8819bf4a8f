//! [`Header`]: the header row of an export, for finding columns by name.

use std::collections::HashMap;

use super::error::{ColumnHint, ExportError};
use super::meta::{DF_UNIFIED_ID, EVENT_LOG_ID, EVENT_NAME, EVENT_ONLY_COLUMNS, ExportKind};
use super::parse::Record;
use super::query::ITEM_PREFIX;

/// The header row of an export: its column names, found by name, never by position.
#[derive(Debug, Clone, Default)]
pub struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
    /// The `df_items_…` columns.
    items: Vec<usize>,
    /// Every other column.
    others: Vec<usize>,
    /// The `event_log_id` column.
    log_id: Option<usize>,
}

impl Header {
    /// A header of `names`.
    ///
    /// # Errors
    ///
    /// [`ExportError::Header`] when it is empty or names a column twice (columns without a
    /// name are no repeat).
    pub(crate) fn new<I, S>(names: I) -> Result<Header, ExportError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut names: Vec<String> = names.into_iter().map(Into::into).collect();
        // A byte order mark before the first name: the CSV reader drops it only when its first
        // read holds the mark whole, which a body arriving a byte or two at a time does not.
        if let Some(first) = names.first_mut()
            && let Some(rest) = first.strip_prefix('\u{feff}')
        {
            *first = rest.to_owned();
        }
        if names.is_empty() || names.iter().all(|n| n.trim().is_empty()) {
            return Err(ExportError::Header {
                reason: "is empty; an export starts with a row of column names".to_owned(),
            });
        }
        let mut index = HashMap::with_capacity(names.len());
        let (mut items, mut others) = (Vec::new(), Vec::new());
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                // A column without a name (a spreadsheet ends its header row in several,
                // `…,df_name,,`) is read by no name: several are no repeat. `""` finds the
                // first.
                index.entry(String::new()).or_insert(i);
                others.push(i);
                continue;
            }
            if index.insert(name.clone(), i).is_some() {
                return Err(ExportError::Header {
                    reason: format!(
                        "names column `{name}` twice, so it cannot be read by name; export it once"
                    ),
                });
            }
            if name.starts_with(ITEM_PREFIX) {
                items.push(i);
            } else {
                others.push(i);
            }
        }
        let log_id = index.get(EVENT_LOG_ID).copied();
        Ok(Header {
            names,
            index,
            items,
            others,
            log_id,
        })
    }

    pub(crate) fn from_record(record: &Record) -> Result<Header, ExportError> {
        Header::new(record.fields())
    }

    /// The column names, in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Which export this header starts: [`ExportKind::Events`] when it has an event export's
    /// system columns (`df_server_datetime`, `df_correction_datetime` or `df_api_version`),
    /// [`ExportKind::Profiles`] when it has `df_unified_id` and none of them (nor
    /// `event_name`), `None` when it is neither (a CSV made by hand).
    pub fn kind(&self) -> Option<ExportKind> {
        if EVENT_ONLY_COLUMNS
            .iter()
            .any(|c| self.index.contains_key(*c))
        {
            Some(ExportKind::Events)
        } else if self.index.contains_key(DF_UNIFIED_ID) && !self.index.contains_key(EVENT_NAME) {
            Some(ExportKind::Profiles)
        } else {
            None
        }
    }

    /// [`ExportError::WrongKind`] when this header starts the other kind of export than
    /// `rust_type` decodes (`asked`).
    pub(crate) fn require_kind(
        &self,
        asked: ExportKind,
        rust_type: &'static str,
    ) -> Result<(), ExportError> {
        match self.kind() {
            Some(found) if found != asked => Err(ExportError::WrongKind {
                rust_type,
                found,
                asked,
            }),
            _ => Ok(()),
        }
    }

    /// The number of columns.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// The position of column `name`.
    pub(crate) fn index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The position of column `name`, or [`ExportError::NoColumn`] with a "did you mean".
    pub(crate) fn require(&self, name: &str) -> Result<usize, ExportError> {
        self.index(name).ok_or_else(|| ExportError::NoColumn {
            column: name.to_owned(),
            hint: ColumnHint(name, &self.names).to_string(),
        })
    }

    /// Whether `row` holds an item: some item column is not empty.
    pub(crate) fn has_item(&self, row: &Record) -> bool {
        self.items
            .iter()
            .any(|&i| row.field(i).is_some_and(|v| !v.is_empty()))
    }

    /// Whether `b` is another item row of the event whose first row is `a`: the same
    /// `event_log_id` when the export has one; otherwise every column but the items' is equal,
    /// and `a` holds an item or the export has no item column. An event has one row per item
    /// whichever item columns were exported: so with none exported, its rows are identical,
    /// and an item whose exported cells are all empty still follows its event's first item
    /// (both were taken for events of their own). An event without items stands alone.
    pub(crate) fn same_event(&self, a: &Record, b: &Record) -> bool {
        match self.log_id {
            Some(i) => a.field(i).is_some_and(|id| !id.is_empty()) && a.field(i) == b.field(i),
            None => {
                (self.items.is_empty() || self.has_item(a))
                    && self.others.iter().all(|&i| a.field(i) == b.field(i))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> Record {
        let mut text = String::new();
        let mut ends = Vec::new();
        for f in fields {
            text.push_str(f);
            ends.push(text.len());
        }
        let mut r = Record::default();
        assert!(r.fill(text.as_bytes(), &ends, 0));
        r
    }

    #[test]
    fn duplicate_and_empty_headers_are_refused() {
        let error = Header::new(["a", "b", "a"]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the header row names column `a` twice, so it cannot be read by name; export it once"
        );
        assert!(Header::new([""]).is_err());
    }

    #[test]
    fn several_columns_without_a_name_are_no_repeat() {
        // A spreadsheet saves a header row ending in empty columns (`…,df_name,,`): an export
        // saved again from one was refused, "names column `` twice … export it once".
        let header = Header::new(["df_unified_id", "df_name", "", ""]).unwrap();
        assert_eq!(header.index("df_name"), Some(1));
        assert_eq!(header.index(""), Some(2));
        let csv = "df_unified_id,df_name,,\r\nu1,Kim,,\r\n";
        let mut rows = crate::export::ExportRows::new(csv.as_bytes()).unwrap();
        assert_eq!(
            rows.next_row().unwrap().unwrap().get("df_name"),
            Some("Kim")
        );
        assert!(
            Header::new(["a", " ", " "]).is_err(),
            "a name of white space is a name"
        );
    }

    #[test]
    fn a_missing_column_suggests_the_closest() {
        let header = Header::new(["df_order_id", "event_name"]).unwrap();
        assert_eq!(
            header.require("df_oder_id").unwrap_err().to_string(),
            "the export has no column `df_oder_id`; did you mean `df_order_id`?"
        );
    }

    #[test]
    fn item_rows_of_one_event_share_every_other_column() {
        let header = Header::new(["event_name", "df_order_id", "df_items_df_price"]).unwrap();
        let a = record(&["df_purchase", "o1", "5.0"]);
        let b = record(&["df_purchase", "o1", "6.0"]);
        let c = record(&["df_purchase", "o2", "6.0"]);
        let none = record(&["df_purchase", "o1", ""]);
        assert!(header.same_event(&a, &b));
        assert!(!header.same_event(&a, &c));
        assert!(!header.same_event(&none, &none));
        // An item whose exported cells are empty, after its event's first item.
        assert!(header.same_event(&a, &none));
        // No item column exported: an event's rows, one per item, are identical.
        let header = Header::new(["event_name", "df_order_id"]).unwrap();
        let row = record(&["df_purchase", "o1"]);
        assert!(header.same_event(&row, &row));
        assert!(!header.same_event(&row, &record(&["df_purchase", "o2"])));
    }

    #[test]
    fn the_kind_of_export_is_told_by_its_system_columns() {
        let kind = |names: &[&str]| Header::new(names.iter().copied()).unwrap().kind();
        let events = [
            "df_unified_id",
            "df_api_version",
            "event_name",
            "df_server_datetime",
        ];
        assert_eq!(kind(&events), Some(ExportKind::Events));
        assert_eq!(
            kind(&["df_unified_id", "df_name", "df_external_id"]),
            Some(ExportKind::Profiles)
        );
        // A user property may be named `event_name`; a CSV made by hand may be neither.
        assert_eq!(kind(&["df_unified_id", "event_name"]), None);
        assert_eq!(kind(&["a", "b"]), None);
    }

    #[test]
    fn the_log_id_decides_when_present() {
        let header = Header::new(["event_log_id", "df_items_df_price"]).unwrap();
        assert!(header.same_event(&record(&["x", "1"]), &record(&["x", "2"])));
        assert!(!header.same_event(&record(&["x", "1"]), &record(&["y", "1"])));
        assert!(!header.same_event(&record(&["", "1"]), &record(&["", "1"])));
    }
}
