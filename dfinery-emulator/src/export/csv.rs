//! Rendering rows as RFC 4180 CSV: datetimes `YYYY-MM-DDTHH:MM:SS.mmmZ`, booleans
//! `true`/`false`, arrays as JSON text, an empty field for a missing value.

use dfinery_schema::DataType;
use serde_json::Value;

/// Writes rows into a buffer with CRLF line ends and quoting where needed.
pub(crate) struct CsvBuffer(csv::Writer<Vec<u8>>);

impl CsvBuffer {
    pub(crate) fn new() -> CsvBuffer {
        CsvBuffer(writer())
    }

    /// Appends one row.
    pub(crate) fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        // Writing into a Vec cannot fail.
        let _ = self.0.write_record(cells);
    }

    /// The bytes written so far, leaving the buffer empty.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        std::mem::replace(&mut self.0, writer())
            .into_inner()
            .unwrap_or_default()
    }
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

/// One cell: `value` as text, guided by the property's registered type.
pub(crate) fn cell(value: Option<&Value>, ty: Option<DataType>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if ty == Some(DataType::Datetime) => datetime(s),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => other.to_string(),
    }
}

/// A wire Datetime with its milliseconds spelled out (`…:00Z` becomes `…:00.000Z`); any other
/// text as it is.
pub(crate) fn datetime(s: &str) -> String {
    dfinery_schema::protocol::WireDatetime::parse(s)
        .map_or_else(|| s.to_owned(), |at| at.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cells_render_each_json_kind() {
        assert_eq!(cell(None, None), "");
        assert_eq!(cell(Some(&Value::Null), None), "");
        assert_eq!(cell(Some(&json!(true)), None), "true");
        assert_eq!(cell(Some(&json!(5000.0)), None), "5000.0");
        assert_eq!(cell(Some(&json!(2)), None), "2");
        assert_eq!(cell(Some(&json!(["a", "b"])), None), r#"["a","b"]"#);
        assert_eq!(
            cell(
                Some(&json!("2023-08-15T12:30:00Z")),
                Some(DataType::Datetime)
            ),
            "2023-08-15T12:30:00.000Z"
        );
        assert_eq!(
            cell(Some(&json!("2023-08-15T12:30:00Z")), Some(DataType::String)),
            "2023-08-15T12:30:00Z"
        );
    }

    #[test]
    fn rows_follow_rfc_4180() {
        let mut csv = CsvBuffer::new();
        csv.row(["a", "b,c", "say \"hi\"", "two\nlines", ""]);
        csv.row(["1", "2", "3", "4", "5"]);
        assert_eq!(
            String::from_utf8(csv.take()).unwrap(),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n1,2,3,4,5\r\n"
        );
        assert!(csv.take().is_empty());
    }
}
