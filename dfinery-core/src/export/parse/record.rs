//! [`Record`]: one parsed CSV row, its fields unescaped and checked to be UTF-8.

/// One row: the fields laid in `text`, with each field's end offset; each field starts `gap`
/// bytes after the one before ended (0: end to end, as `csv-core` writes them; 1: separated by
/// the commas of a row taken as it is).
#[derive(Debug, Clone, Default)]
pub(crate) struct Record {
    text: String,
    ends: Vec<usize>,
    gap: usize,
    /// The data row number, from 1 (0 for the header).
    pub(crate) row: u64,
}

impl Record {
    /// Fills the record from unescaped `bytes` and field `ends`, each field starting `gap` bytes
    /// after the one before ended; `false` when the bytes are not UTF-8 or a field boundary
    /// splits a character.
    pub(crate) fn fill(&mut self, bytes: &[u8], ends: &[usize], gap: usize) -> bool {
        self.text.clear();
        self.ends.clear();
        self.gap = gap;
        // One pass over the bytes (`from_utf8`); the boundaries are checked per field, not
        // per byte.
        // A field that ends at a comma (`gap` 1) or at the end ends on a character boundary.
        match std::str::from_utf8(bytes) {
            Ok(text) if gap == 1 || ends.iter().all(|&e| text.is_char_boundary(e)) => {
                self.text.push_str(text);
                self.ends.extend_from_slice(ends);
                true
            }
            _ => false,
        }
    }

    /// The number of fields.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `index`; `None` past the last.
    #[inline]
    pub(crate) fn field(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index {
            0 => 0,
            _ => self.ends.get(index - 1).map_or(0, |end| end + self.gap),
        };
        self.text.get(start..end)
    }

    /// Every field in order, each sliced from where the one before ended.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let field = self.text.get(start..end).unwrap_or_default();
            start = end + self.gap;
            field
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Record;

    #[test]
    fn fields_are_sliced_by_their_ends() {
        let mut record = Record::default();
        assert!(record.fill("abcdé".as_bytes(), &[1, 1, 3, 6], 0));
        let fields: Vec<&str> = record.fields().collect();
        assert_eq!(fields, ["a", "", "bc", "dé"]);
        assert_eq!(record.field(4), None);
        // The same fields separated by commas.
        assert!(record.fill("a,,bc,dé".as_bytes(), &[1, 2, 5, 9], 1));
        let fields: Vec<&str> = record.fields().collect();
        assert_eq!(fields, ["a", "", "bc", "dé"]);
        assert_eq!(record.field(2), Some("bc"));
        assert_eq!(record.field(3), Some("dé"));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused() {
        let mut record = Record::default();
        assert!(!record.fill(b"a\xff", &[2], 0));
        // Valid as a whole, but the boundary splits `é` in two.
        assert!(!record.fill("é".as_bytes(), &[1, 2], 0));
    }
}
