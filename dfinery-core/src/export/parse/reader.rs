//! [`RowReader`]: the header, then rows one at a time or grouped by event, out of bytes pushed
//! in pieces. It never waits itself: it says when it needs more input.

use super::Record;
use super::input::Input;
use super::splitter::{Split, Splitter};
use crate::export::error::ExportError;
use crate::export::group::EventGroup;
use crate::export::header::Header;
use crate::export::row::ExportRow;

/// The most rows one event may span; DFINERY allows 100 items per event (or per request).
pub(crate) const MAX_EVENT_ROWS: usize = 10_000;

/// The most bytes one row may take (16 MiB), so that a body that is not CSV, or a quote never
/// closed, is an error rather than held in memory until it ends.
pub const MAX_ROW_BYTES: usize = 16 << 20;

/// What an `advance_…` call reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// A row (or an event's rows) is ready.
    Ready,
    /// Push more input (or end it) and call again.
    NeedInput,
    /// Every row was read.
    Done,
}

/// Rows out of CSV bytes, with every check an export needs: a header row, the same number of
/// fields in every row, UTF-8, no error body, no end inside a quoted field.
pub(crate) struct RowReader {
    input: Input,
    splitter: Splitter,
    header: Header,
    has_header: bool,
    /// Row slots: the current group in `..group_len`, then a row read ahead.
    records: Vec<Record>,
    group_len: usize,
    /// `records[group_len]` holds the first row of the next group.
    lookahead: bool,
    /// The current group was handed out; the next call starts a new one.
    handed_out: bool,
    rows: u64,
    done: bool,
    /// The body broke off with this error ([`break_off`](Self::break_off)): the rows
    /// received are read, then the read that needs more input returns it.
    #[cfg(feature = "client")]
    broken: Option<crate::client::Error>,
}

impl RowReader {
    pub(crate) fn new() -> RowReader {
        RowReader {
            input: Input::default(),
            splitter: Splitter::new(),
            header: Header::default(),
            has_header: false,
            records: Vec::new(),
            group_len: 0,
            lookahead: false,
            handed_out: false,
            rows: 0,
            done: false,
            #[cfg(feature = "client")]
            broken: None,
        }
    }

    /// Takes in the next piece of the body.
    #[cfg(any(feature = "client", test))]
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.input.push(chunk);
    }

    /// Reads the next piece of the body, up to `max` bytes, from `source`; returns the bytes
    /// read, 0 at its end (then call [`end`](Self::end)).
    ///
    /// # Errors
    ///
    /// The source's.
    pub(crate) fn read_from(
        &mut self,
        source: &mut impl std::io::Read,
        max: usize,
    ) -> std::io::Result<usize> {
        self.input.read_from(source, max)
    }

    /// The body has ended.
    pub(crate) fn end(&mut self) {
        self.input.end();
    }

    /// Whether the body has ended.
    pub(crate) fn is_ended(&self) -> bool {
        self.input.is_ended()
    }

    /// The body failed from outside (a broken connection): no more rows, and the event being
    /// gathered is dropped, never handed out short.
    pub(crate) fn fail(&mut self) {
        self.done = true;
        self.group_len = 0;
        self.lookahead = false;
    }

    /// The body broke off with `source` (a connection cut, no data in time): the bytes held
    /// back in case they started an error body are released, so every complete row received
    /// is still read (and handed out); the read after the last of them returns
    /// [`ExportError::Interrupted`] counting them all, and drops the event being gathered,
    /// which is never handed out short.
    #[cfg(feature = "client")]
    pub(crate) fn break_off(&mut self, source: crate::client::Error) {
        self.input.release_after_cut();
        self.broken = Some(source);
    }

    /// [`break_off`](Self::break_off) for a reader that hands no row out (a file being
    /// saved): reads every complete row received, then returns the
    /// [`ExportError::Interrupted`] counting them.
    #[cfg(feature = "client")]
    pub(crate) fn interrupted(&mut self, source: crate::client::Error) -> ExportError {
        self.input.release_after_cut();
        while !self.done && matches!(self.read_inner(0, false), Ok(Progress::Ready)) {}
        self.fail();
        ExportError::Interrupted {
            rows: self.rows,
            source,
        }
    }

    /// The header (empty until read).
    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    /// The complete data rows read so far.
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// The row handed out last.
    pub(crate) fn row(&self) -> Option<ExportRow<'_>> {
        let record = self.records.first().filter(|_| self.group_len > 0)?;
        Some(ExportRow::new(&self.header, record))
    }

    /// The event handed out last.
    pub(crate) fn group(&self) -> Option<EventGroup<'_>> {
        EventGroup::new(&self.header, self.records.get(..self.group_len)?)
    }

    /// Reads up to the end of the header row.
    pub(crate) fn advance_header(&mut self) -> Result<Progress, ExportError> {
        if self.has_header {
            return Ok(Progress::Ready);
        }
        self.read(self.group_len, true)
    }

    /// Reads the next row.
    pub(crate) fn advance_row(&mut self) -> Result<Progress, ExportError> {
        if self.handed_out {
            self.start_group();
            if self.group_len == 1 {
                self.handed_out = true;
                return Ok(Progress::Ready);
            }
        }
        let progress = self.read(0, false)?;
        if progress == Progress::Ready {
            self.group_len = 1;
            self.handed_out = true;
        }
        Ok(progress)
    }

    /// Reads the rows of the next event: consecutive rows of one event (one per item).
    pub(crate) fn advance_event(&mut self) -> Result<Progress, ExportError> {
        if self.handed_out {
            self.start_group();
        }
        loop {
            match self.read(self.group_len, false)? {
                Progress::NeedInput => return Ok(Progress::NeedInput),
                Progress::Done if self.group_len > 0 => {
                    self.handed_out = true;
                    return Ok(Progress::Ready);
                }
                Progress::Done => return Ok(Progress::Done),
                Progress::Ready => {
                    let n = self.group_len;
                    if n == 0 || self.header.same_event(&self.records[0], &self.records[n]) {
                        if n == MAX_EVENT_ROWS {
                            let row = self.records[n].row;
                            self.fail();
                            return Err(ExportError::EventTooLong {
                                row,
                                limit: MAX_EVENT_ROWS,
                            });
                        }
                        self.group_len += 1;
                    } else {
                        self.lookahead = true;
                        self.handed_out = true;
                        return Ok(Progress::Ready);
                    }
                }
            }
        }
    }

    /// Moves a row read ahead to the front, or empties the group.
    fn start_group(&mut self) {
        self.handed_out = false;
        if self.lookahead {
            self.records.swap(0, self.group_len);
            self.lookahead = false;
            self.group_len = 1;
        } else {
            self.group_len = 0;
        }
    }

    /// Reads the next data row into `slot` (the header first, when not read yet); with
    /// `header_only`, stops after the header.
    fn read(&mut self, slot: usize, header_only: bool) -> Result<Progress, ExportError> {
        if self.done {
            return Ok(Progress::Done);
        }
        #[cfg_attr(not(feature = "client"), expect(unused_mut))]
        let mut result = self.read_inner(slot, header_only);
        #[cfg(feature = "client")]
        if matches!(result, Ok(Progress::NeedInput) | Err(_))
            && let Some(source) = self.broken.take()
        {
            // The body broke off and every complete row received was read: what is left is
            // the cut (a row or an error body cut short), never a row or an error of its own.
            result = Err(ExportError::Interrupted {
                rows: self.rows,
                source,
            });
        }
        match result {
            Ok(Progress::Done) => self.done = true,
            Err(_) => self.fail(),
            _ => {}
        }
        result
    }

    fn read_inner(&mut self, slot: usize, header_only: bool) -> Result<Progress, ExportError> {
        while self.records.len() <= slot {
            self.records.push(Record::default());
        }
        loop {
            let ready = self.input.ready();
            let at_end = ready.is_empty();
            if at_end && !self.input.is_ended() {
                if let Some(code) = self.input.error_code() {
                    return Err(ExportError::Aborted {
                        rows: self.rows,
                        code,
                    });
                }
                return Ok(Progress::NeedInput);
            }
            let (split, used) = self.splitter.split(ready);
            // A row is taken before `ready` is consumed: the fast path leaves it there.
            let utf8 = split == Split::Record && self.splitter.take(&mut self.records[slot], ready);
            self.input.consume(used);
            match split {
                Split::NeedInput if at_end => return self.finish(),
                Split::NeedInput if self.input.row_len() > MAX_ROW_BYTES => {
                    return Err(ExportError::RowTooLong {
                        row: if self.has_header { self.rows + 1 } else { 0 },
                        limit: MAX_ROW_BYTES,
                    });
                }
                Split::NeedInput => {}
                Split::End => return self.finish(),
                Split::Record => {
                    if at_end {
                        self.check_end()?;
                    }
                    self.input.row_ended();
                    let row = if self.has_header { self.rows + 1 } else { 0 };
                    let record = &mut self.records[slot];
                    if !utf8 {
                        return Err(ExportError::NotUtf8 { row });
                    }
                    if !self.has_header {
                        if at_end {
                            // A header row always ends in a line end: one the body stops in
                            // was cut, and its last name may be half a name.
                            return Err(ExportError::Truncated {
                                rows: 0,
                                reason: "it stops inside its header row, before the row's line end"
                                    .to_owned(),
                            });
                        }
                        self.header = Header::from_record(record)?;
                        self.has_header = true;
                        if header_only {
                            return Ok(Progress::Ready);
                        }
                        continue;
                    }
                    if record.len() != self.header.len() {
                        // A cut shortens the last row; one with more fields than the header
                        // is malformed wherever it stands (retrying would read it again).
                        if at_end && record.len() < self.header.len() {
                            return Err(ExportError::Truncated {
                                rows: self.rows,
                                reason: format!(
                                    "it stops in row {row}, which has {} of the header's {} fields",
                                    record.len(),
                                    self.header.len()
                                ),
                            });
                        }
                        return Err(ExportError::Malformed {
                            row,
                            found: record.len(),
                            expected: self.header.len(),
                        });
                    }
                    record.row = row;
                    self.rows = row;
                    return Ok(Progress::Ready);
                }
            }
        }
    }

    /// The checks at the very end of the body.
    fn finish(&mut self) -> Result<Progress, ExportError> {
        self.check_end()?;
        if !self.has_header {
            return Err(ExportError::Truncated {
                rows: 0,
                reason: "it stops before the end of its header row".to_owned(),
            });
        }
        Ok(Progress::Done)
    }

    /// No error body, and not inside a quoted field.
    fn check_end(&self) -> Result<(), ExportError> {
        if let Some(code) = self.input.error_code() {
            return Err(ExportError::Aborted {
                rows: self.rows,
                code,
            });
        }
        if self.input.inside_quotes() {
            return Err(ExportError::Truncated {
                rows: self.rows,
                reason: "it stops inside a quoted field".to_owned(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads every event of `csv`, fed in one piece; the sizes of the events.
    fn events(csv: &[u8]) -> Result<Vec<usize>, ExportError> {
        let mut reader = RowReader::new();
        reader.push(csv);
        reader.end();
        let mut sizes = Vec::new();
        while reader.advance_event()? == Progress::Ready {
            sizes.push(reader.group().map_or(0, |g| g.len()));
        }
        Ok(sizes)
    }

    #[test]
    fn rows_are_gathered_by_log_id() {
        let csv = b"event_log_id,df_items_x\r\na,1\r\na,2\r\nb,\r\nc,1\r\n";
        assert_eq!(events(csv).unwrap(), [2, 1, 1]);
    }

    #[test]
    fn an_event_spanning_too_many_rows_is_refused() {
        let mut csv = b"event_log_id,df_items_x\r\n".to_vec();
        for _ in 0..=MAX_EVENT_ROWS {
            csv.extend_from_slice(b"same,1\r\n");
        }
        let error = events(&csv).unwrap_err();
        assert!(matches!(
            error,
            ExportError::EventTooLong { row, limit: MAX_EVENT_ROWS } if row == MAX_EVENT_ROWS as u64 + 1
        ));
    }

    /// The rows of `body` until the body breaks off after its last byte: the row values
    /// handed out, and the error.
    #[cfg(feature = "client")]
    fn read_until_cut(body: &[u8]) -> (Vec<String>, ExportError) {
        let mut reader = RowReader::new();
        reader.push(body);
        reader.break_off(crate::client::Error::Timeout {
            endpoint: crate::wire::Endpoint::ExportUserProfile,
            after: std::time::Duration::from_secs(1),
        });
        let mut seen = Vec::new();
        loop {
            match reader.advance_row() {
                Ok(Progress::Ready) => seen.push(
                    reader
                        .row()
                        .map(|row| {
                            let cells = (0..row.header().len()).filter_map(|i| row.at(i));
                            cells.collect::<Vec<_>>().join(",")
                        })
                        .unwrap_or_default(),
                ),
                Ok(other) => panic!("{other:?} before the break was returned"),
                Err(error) => return (seen, error),
            }
        }
    }

    /// A body cut right after a row hands that row out and counts it, but never reads a cut
    /// error body (`{` and the start of its first key) as a row, even a one-column export's,
    /// where `{` alone would have the header's number of fields.
    #[cfg(feature = "client")]
    #[test]
    fn a_cut_hands_out_the_rows_held_back_but_not_an_error_body_cut_short() {
        for (body, rows) in [
            (&b"df_unified_id\r\nu1\r\n"[..], vec!["u1"]),
            (b"df_unified_id\r\nu1\r\nu2\r", vec!["u1", "u2"]),
            (b"df_unified_id\r\nu1\r\n{\r\n", vec!["u1"]),
            (b"df_unified_id\r\nu1\r\n{ \n\"res", vec!["u1"]),
            (b"df_unified_id\r\nu1\r\n{\r\n\"message", vec!["u1"]),
            // Not an error body's start: data.
            (b"df_unified_id\r\nu1\r\n{x}\r\n", vec!["u1", "{x}"]),
            // The header itself held back.
            (b"a,b\r\n1,2\r\n", vec!["1,2"]),
            (b"a,b\r\n1,2\r\n3", vec!["1,2"]),
        ] {
            let (seen, error) = read_until_cut(body);
            let context = String::from_utf8_lossy(body);
            assert_eq!(seen, rows, "{context:?}");
            assert!(
                matches!(error, ExportError::Interrupted { rows: n, .. } if n == rows.len() as u64),
                "{context:?}: {error:?}"
            );
        }
    }

    /// Every row of `csv`, read in one piece, or the error.
    fn all_rows(csv: &[u8]) -> Result<Vec<String>, ExportError> {
        let mut reader = RowReader::new();
        reader.push(csv);
        reader.end();
        let mut rows = Vec::new();
        while reader.advance_row()? == Progress::Ready {
            let row = reader.row().expect("a row");
            let cells: Vec<&str> = (0..row.header().len()).filter_map(|i| row.at(i)).collect();
            rows.push(cells.join("|"));
        }
        Ok(rows)
    }

    /// Whether a body stops inside a quoted field is read as the parser reads quotes: one that
    /// opens a field opens a quoted field, one inside an unquoted field is text. Quotes were
    /// counted, so a last row with a quote in an unquoted field was taken for cut (though the
    /// same row with its line end was read whole), and a body cut inside a quoted field after
    /// such a quote was taken for whole.
    #[test]
    fn a_body_stops_inside_a_quoted_field_only_where_the_parser_is_inside_one() {
        assert_eq!(all_rows(b"a,b\r\n1,x\"y\r\n").unwrap(), ["1|x\"y"]);
        assert_eq!(all_rows(b"a,b\r\n1,x\"y").unwrap(), ["1|x\"y"]);
        assert_eq!(
            all_rows(b"a,b\r\n1,\"x\"\"y\"\r\n2,\"z\"").unwrap(),
            ["1|x\"y", "2|z"]
        );
        for cut in [
            &b"a,b\r\nx\"y,\"abc"[..],
            b"a,b\r\n1,\"x\"\"y",
            b"a,b\r\n1,\"x\"\"\"\"",
            b"a,b\r\n\r\n\"1,x",
            b"a,b\r\n1,\"a\nb",
        ] {
            let context = String::from_utf8_lossy(cut);
            match all_rows(cut) {
                Err(ExportError::Truncated { rows: 0, reason }) => {
                    assert_eq!(reason, "it stops inside a quoted field", "{context:?}");
                }
                other => panic!("{context:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn rows_and_events_can_be_mixed() {
        let mut reader = RowReader::new();
        reader.push(b"event_log_id,df_items_x\r\na,1\r\na,2\r\nb,1\r\n");
        reader.end();
        assert_eq!(reader.advance_event().unwrap(), Progress::Ready);
        assert_eq!(reader.group().map(|g| g.len()), Some(2));
        // The row read ahead (`b`) comes next as a row.
        assert_eq!(reader.advance_row().unwrap(), Progress::Ready);
        assert_eq!(reader.row().and_then(|r| r.get("event_log_id")), Some("b"));
        assert_eq!(reader.advance_row().unwrap(), Progress::Done);
        assert_eq!(reader.rows(), 3);
    }
}
