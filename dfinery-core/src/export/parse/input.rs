//! [`Input`]: the bytes received and not parsed yet. It watches for a JSON error body written
//! into the CSV (`{"result":"fail","message":"client_connection_closed"}`) and keeps the row
//! being read, so a body that stops inside a quoted field is seen as cut off.
//!
//! In RFC 4180 CSV a `{` followed by a quoted key cannot occur: a field holding quotes is quoted
//! as a whole and its quotes doubled (`{""result""`). So `{"result"` or `{"message"` (the error
//! body's two keys, in either order) marks the start of an error body wherever it appears, even
//! in the middle of a row.

use crate::protocol::code::ExportErrorCode;
use crate::wire::ExportErrorBody;

/// What marks an error body (after `{` and optional white space): either of its keys, first.
const MARKS: [&[u8]; 2] = [b"\"result\"", b"\"message\""];
/// The longest of [`MARKS`].
const MARK_LEN: usize = 9;
/// Bytes kept back from the parser, so an `{` at the end of one chunk is still there when
/// `"result"` arrives in the next.
const HOLD: usize = 32;
/// The most bytes of an error body kept.
const MAX_ERROR_BODY: usize = 1 << 16;

/// Received bytes, released to the parser once they are known not to start an error body.
#[derive(Debug, Default)]
pub(crate) struct Input {
    /// The bytes received are `buf[..len]`; the rest is room, kept initialised so that a
    /// source can read straight into it ([`read_from`](Self::read_from)).
    buf: Vec<u8>,
    len: usize,
    /// The first byte not given to the parser yet.
    start: usize,
    /// The first byte of the row being parsed: the bytes from here to `start` are kept, so
    /// whether the data stops inside a quoted field is read from them alone at the end.
    row_start: usize,
    /// Bytes before this may be given to the parser.
    safe: usize,
    /// Searched for [`MARKS`] up to here.
    scanned: usize,
    /// Where an error body starts (its `{`).
    error_at: Option<usize>,
    ended: bool,
    /// Whether the body starts with a byte order mark is known (and a mark was skipped).
    bom_checked: bool,
}

impl Input {
    /// Takes in the next chunk.
    #[cfg(any(feature = "client", test))]
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        if let Some(at) = self.error_at {
            let room = MAX_ERROR_BODY.saturating_sub(self.len - at);
            let chunk = &chunk[..chunk.len().min(room)];
            self.room(chunk.len())[..chunk.len()].copy_from_slice(chunk);
            self.len += chunk.len();
            return;
        }
        self.drop_ended_rows();
        self.room(chunk.len())[..chunk.len()].copy_from_slice(chunk);
        self.len += chunk.len();
        self.scan();
    }

    /// Reads the next chunk, of up to `max` bytes, from `source` straight into the buffer
    /// (one copy fewer than reading into a buffer of one's own and [`push`](Self::push)ing
    /// it); returns the bytes read, 0 at the end of the source.
    ///
    /// # Errors
    ///
    /// The source's, with nothing taken in.
    pub(crate) fn read_from(
        &mut self,
        source: &mut impl std::io::Read,
        max: usize,
    ) -> std::io::Result<usize> {
        let max = match self.error_at {
            Some(at) => max.min(MAX_ERROR_BODY.saturating_sub(self.len - at)),
            None => {
                self.drop_ended_rows();
                max
            }
        };
        if max == 0 {
            // An error body already at its size limit: the rest is read and dropped.
            return source.read(&mut [0; 512]);
        }
        let n = source.read(&mut self.room(max)[..max])?;
        self.len += n.min(max);
        if self.error_at.is_none() {
            self.scan();
        }
        Ok(n)
    }

    /// At least `n` bytes of room after the bytes received.
    fn room(&mut self, n: usize) -> &mut [u8] {
        if self.buf.len() < self.len + n {
            self.buf.resize((self.len + n).next_power_of_two(), 0);
        }
        &mut self.buf[self.len..]
    }

    /// Drops the bytes of the rows already ended, moving the rest to the front.
    fn drop_ended_rows(&mut self) {
        let keep_from = self.row_start;
        if keep_from > 0 {
            self.buf.copy_within(keep_from..self.len, 0);
            self.len -= keep_from;
            self.start -= keep_from;
            self.safe -= keep_from;
            self.scanned = self.scanned.saturating_sub(keep_from);
            self.row_start = 0;
        }
    }

    /// The data has ended: everything left (up to an error body) may be parsed.
    pub(crate) fn end(&mut self) {
        self.ended = true;
        self.safe = self.error_at.unwrap_or(self.len);
    }

    /// The body broke off (a connection cut): no more bytes will come, so the bytes held back
    /// in case they start an error body are released to the parser, up to a `{` that may be
    /// the start of an error body cut short (only white space and the first bytes of
    /// `"result"` or `"message"` after it). Such a `{` is never read as data: a cut error body
    /// must not become a row. (A row whose last field ends in `{` right where the body broke
    /// off is dropped with it, as a row cut in two is.)
    #[cfg(feature = "client")]
    pub(crate) fn release_after_cut(&mut self) {
        if self.error_at.is_some() || !self.bom_checked {
            // An error body was found (nothing after its `{` is data), or the body is too
            // short to hold a row.
            return;
        }
        let held = self.safe.max(self.start)..self.len;
        let stop = held
            .clone()
            .find(|&at| self.buf[at] == b'{' && may_open_error(&self.buf[at + 1..self.len]))
            .unwrap_or(held.end);
        self.safe = stop;
    }

    /// Whether the data has ended.
    pub(crate) fn is_ended(&self) -> bool {
        self.ended
    }

    /// The bytes the parser may read now.
    pub(crate) fn ready(&self) -> &[u8] {
        &self.buf[self.start..self.safe]
    }

    /// The parser used `n` bytes of [`ready`](Self::ready).
    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n;
    }

    /// The bytes of the row being parsed given to the parser so far.
    pub(crate) fn row_len(&self) -> usize {
        self.start - self.row_start
    }

    /// The parser ended a row at the bytes used so far; a row ends only outside quotes, so
    /// the quotes before it need no counting.
    pub(crate) fn row_ended(&mut self) {
        self.row_start = self.start;
    }

    /// Whether the bytes parsed since the last row ended stop inside a quoted field: the data
    /// stopped there. Only the row being read is looked at, not every byte (a pass over the
    /// whole body of its own), and its quotes are read as the parser reads them: a quote that
    /// opens a field opens a quoted field, `""` inside one is a quote, and a quote inside an
    /// unquoted field (or after a quoted field closed) is text. Counting quotes took a last
    /// row with a quote in an unquoted field for cut, and missed a cut inside a quoted field
    /// after such a quote.
    pub(crate) fn inside_quotes(&self) -> bool {
        #[derive(Clone, Copy, PartialEq)]
        enum At {
            /// Line ends between rows, then the row's first field.
            RowStart,
            FieldStart,
            Unquoted,
            Quoted,
            /// A quote inside a quoted field: its end, or the first of `""`.
            QuoteInQuoted,
        }
        let row = &self.buf[self.row_start..self.start];
        let mut at = At::RowStart;
        for &byte in row {
            at = match (at, byte) {
                (At::RowStart, b'\r' | b'\n') => At::RowStart,
                (At::RowStart | At::FieldStart, b'"') => At::Quoted,
                (At::Quoted, b'"') => At::QuoteInQuoted,
                (At::Quoted, _) | (At::QuoteInQuoted, b'"') => At::Quoted,
                (_, b',') => At::FieldStart,
                _ => At::Unquoted,
            };
        }
        at == At::Quoted
    }

    /// The code of the error body, once it is complete (or the data has ended); `None` when
    /// there is none or more of it is to come.
    pub(crate) fn error_code(&self) -> Option<ExportErrorCode> {
        let at = self.error_at?;
        let body = &self.buf[at..self.len];
        if let Ok(parsed) = serde_json::from_slice::<ExportErrorBody>(body) {
            return Some(parsed.error_code());
        }
        if self.ended || body.len() >= MAX_ERROR_BODY {
            let text = String::from_utf8_lossy(body);
            return Some(ExportErrorCode::Unknown(super::super::error::cut(
                text.trim(),
            )));
        }
        None
    }

    /// Looks for an error body in what arrived since the last scan.
    fn scan(&mut self) {
        if !self.skip_bom() {
            return;
        }
        let from = self.scanned.saturating_sub(MARK_LEN - 1).max(self.start);
        let mut hits: Vec<usize> = MARKS
            .iter()
            .flat_map(|mark| memchr::memmem::find_iter(&self.buf[from..self.len], mark))
            .map(|hit| from + hit)
            .collect();
        hits.sort_unstable();
        for at in hits {
            if let Some(open) = self.opening_brace(at) {
                self.error_at = Some(open);
                self.safe = open.max(self.start);
                return;
            }
        }
        self.scanned = self.len;
        self.safe = self.len.saturating_sub(HOLD).max(self.start);
    }

    /// Skips a byte order mark at the start of the body, so the parser never sees one (it
    /// drops a mark only when its first bytes hold all three: given one or two, read a byte
    /// at a time, the mark was the first field's text, a quoted name's quotes with it).
    /// `false` while the body's first bytes may still be a mark's: nothing is released then.
    fn skip_bom(&mut self) -> bool {
        const BOM: &[u8] = b"\xef\xbb\xbf";
        if self.bom_checked {
            return true;
        }
        let head = &self.buf[self.start..self.len];
        if head.len() < BOM.len() && BOM.starts_with(head) && !self.ended {
            self.safe = self.start;
            return false;
        }
        if head.starts_with(BOM) {
            self.start += BOM.len();
            self.row_start = self.start;
            self.scanned = self.scanned.max(self.start);
        }
        self.bom_checked = true;
        true
    }

    /// The `{` before `at`, with only white space between.
    fn opening_brace(&self, at: usize) -> Option<usize> {
        let mut i = at;
        while i > self.start {
            i -= 1;
            match self.buf[i] {
                b' ' | b'\t' | b'\r' | b'\n' => {}
                b'{' => return Some(i),
                _ => return None,
            }
        }
        None
    }
}

/// Where an export error body written into `body`, a whole export body, starts (its `{`), as
/// the row readers find one: `{` and white space before either key, wherever it stands (a
/// body cut inside it included); `None` when there is none.
#[cfg(feature = "client")]
pub(crate) fn error_body_at(body: &[u8]) -> Option<usize> {
    let mut input = Input::default();
    input.push(body);
    // Pushed whole into an empty buffer: its offsets are the body's.
    input.error_at
}

/// Whether `rest`, the bytes after a `{` at the end of the body, may be an error body cut
/// short: white space, then the first bytes of one of [`MARKS`] (or nothing yet).
#[cfg(feature = "client")]
fn may_open_error(rest: &[u8]) -> bool {
    let text = match rest
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    {
        Some(at) => &rest[at..],
        None => &[],
    };
    MARKS.iter().any(|mark| mark.starts_with(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::code::ExportFailure;

    fn fed(input: &mut Input) -> Vec<u8> {
        let out = input.ready().to_vec();
        input.consume(out.len());
        out
    }

    #[test]
    fn plain_csv_is_released_after_a_short_hold() {
        let mut input = Input::default();
        input.push(&[b'a'; 100]);
        assert_eq!(fed(&mut input).len(), 100 - HOLD);
        input.end();
        assert_eq!(fed(&mut input).len(), HOLD);
        assert!(input.error_code().is_none());
    }

    #[test]
    fn an_error_body_split_across_chunks_is_found() {
        let mut input = Input::default();
        input.push(b"a,b\r\n1,2\r\n{ ");
        input.push(b"\"resu");
        input.push(b"lt\":\"fail\",\"message\":\"client_connection_closed\"}");
        let csv = fed(&mut input);
        assert_eq!(csv, b"a,b\r\n1,2\r\n");
        assert_eq!(
            input.error_code(),
            Some(ExportErrorCode::Documented(
                ExportFailure::ClientConnectionClosed
            ))
        );
    }

    #[test]
    fn an_error_body_with_its_message_first_is_found_too() {
        // Only `{"result"` was looked for: an error body whose keys came the other way round
        // was parsed as CSV (a row of two fields in a two-column export, the export cut short
        // without a word).
        let mut input = Input::default();
        input.push(b"df_unified_id,df_name\r\nu1,Kim\r\n{\"message\":\"client_connection_closed\",\"result\":\"fail\"}");
        input.end();
        assert_eq!(fed(&mut input), b"df_unified_id,df_name\r\nu1,Kim\r\n");
        assert_eq!(
            input.error_code(),
            Some(ExportErrorCode::Documented(
                ExportFailure::ClientConnectionClosed
            ))
        );
        // Quoted in a field, it is data.
        let mut input = Input::default();
        let csv = b"a,b\r\n\"{\"\"message\"\":1}\",x\r\n";
        input.push(csv);
        input.end();
        assert!(input.error_code().is_none());
        assert_eq!(fed(&mut input), csv);
    }

    #[test]
    fn a_quoted_field_saying_result_is_not_an_error() {
        let mut input = Input::default();
        let csv = b"a,b\r\n\"{\"\"result\"\":1}\",\"result\"\r\n";
        input.push(csv);
        input.end();
        assert!(input.error_code().is_none());
        assert_eq!(fed(&mut input), csv);
        assert!(!input.inside_quotes());
    }

    #[test]
    fn an_unfinished_error_body_waits_then_is_kept_as_text() {
        let mut input = Input::default();
        input.push(b"h\r\n{\"result\":\"fa");
        assert!(input.error_code().is_none());
        input.end();
        assert_eq!(
            input.error_code(),
            Some(ExportErrorCode::Unknown("{\"result\":\"fa".to_owned()))
        );
    }

    #[test]
    fn only_the_row_being_read_is_counted_and_kept() {
        let mut input = Input::default();
        // A row with one quote too many in a field, ended (as the parser saw it), then a row
        // that opens a quote and stops.
        input.push(&[&b"\"a\"\"\",b\r\n"[..], &[b'x'; 100]].concat());
        input.consume(9);
        input.row_ended();
        assert!(!input.inside_quotes());
        input.consume(input.ready().len());
        input.push(b",\"open");
        input.end();
        input.consume(input.ready().len());
        assert!(input.inside_quotes());
        // The ended row was dropped when more arrived; the open one is still all there.
        assert_eq!(input.len, 106);
    }

    /// A source that gives at most `piece` bytes a read.
    struct Pieces<'a> {
        data: &'a [u8],
        piece: usize,
    }

    impl std::io::Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.piece.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn reading_from_a_source_is_pushing_what_it_gives() {
        let body =
            b"a,b\r\n1,2\r\n3,4\r\n{ \"result\":\"fail\",\"message\":\"client_connection_closed\"}";
        for piece in [1, 2, 5, 16, 1 << 16] {
            for max in [1, 3, 64] {
                // The parser takes what is ready after each piece, and ends its rows.
                let mut read = Input::default();
                let mut source = Pieces { data: body, piece };
                let mut from_read = Vec::new();
                while read.read_from(&mut source, max).unwrap() > 0 {
                    from_read.extend(fed(&mut read));
                    read.row_ended();
                }
                read.end();
                from_read.extend(fed(&mut read));
                let mut pushed = Input::default();
                let mut from_push = Vec::new();
                for chunk in body.chunks(piece.min(max)) {
                    pushed.push(chunk);
                    from_push.extend(fed(&mut pushed));
                    pushed.row_ended();
                }
                pushed.end();
                from_push.extend(fed(&mut pushed));
                let context = format!("pieces of {piece}, reads of {max}");
                assert_eq!(from_read, b"a,b\r\n1,2\r\n3,4\r\n", "{context}");
                assert_eq!(from_read, from_push, "{context}");
                assert_eq!(
                    read.error_code(),
                    Some(ExportErrorCode::Documented(
                        ExportFailure::ClientConnectionClosed
                    )),
                    "{context}"
                );
            }
        }
    }

    #[test]
    fn ended_rows_are_dropped_before_a_read_so_the_buffer_stays_small() {
        let row = b"0123456789,abcdefghij\r\n";
        let body = row.repeat(10_000);
        let mut input = Input::default();
        let mut source = Pieces {
            data: &body,
            piece: 4096,
        };
        let mut parsed = 0;
        while input.read_from(&mut source, 4096).unwrap() > 0 {
            parsed += fed(&mut input).len();
            input.row_ended();
        }
        input.end();
        parsed += fed(&mut input).len();
        assert_eq!(parsed, body.len());
        assert!(input.buf.len() <= 2 * 4096 + HOLD, "{}", input.buf.len());
    }

    #[test]
    fn an_error_body_past_its_limit_is_read_to_the_end_and_cut() {
        let mut body = b"h\r\n{\"result\":\"".to_vec();
        body.resize(3 * MAX_ERROR_BODY, b'x');
        let mut input = Input::default();
        let mut source = Pieces {
            data: &body,
            piece: 1000,
        };
        while input.read_from(&mut source, 4096).unwrap() > 0 {}
        input.end();
        assert!(source.data.is_empty());
        assert_eq!(fed(&mut input), b"h\r\n");
        match input.error_code() {
            Some(ExportErrorCode::Unknown(_)) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(input.len - 3, MAX_ERROR_BODY);
    }

    #[test]
    fn a_stop_inside_a_quoted_field_is_seen() {
        for (data, inside) in [
            (&b"a,\"b\nc"[..], true),
            (b"\r\n\"a\"\"", true),
            (b"a,\"b\"\"\"", false),
            (b"a\"b,c", false),
            (b"a\"b,\"c", true),
            (b"\"a\"b\"", false),
        ] {
            let mut input = Input::default();
            input.push(data);
            input.end();
            fed(&mut input);
            assert_eq!(
                input.inside_quotes(),
                inside,
                "{:?}",
                String::from_utf8_lossy(data)
            );
        }
    }
}
