//! [`Input`]: the bytes received and not parsed yet. It watches for a JSON error body written
//! into the CSV (`{"result":"fail","message":"client_connection_closed"}`) and counts quotes,
//! so a body that stops inside a quoted field is seen as cut off.
//!
//! In RFC 4180 CSV a `"` right after `{` (or after `{` and white space) cannot occur: a field
//! holding quotes is quoted as a whole and its quotes doubled. So `{"result"` marks the start of
//! an error body wherever it appears, even in the middle of a row.

use crate::code::ExportErrorCode;
use crate::wire::ExportErrorBody;

/// What marks an error body (after `{` and optional white space).
const MARK: &[u8] = b"\"result\"";
/// Bytes kept back from the parser, so an `{` at the end of one chunk is still there when
/// `"result"` arrives in the next.
const HOLD: usize = 32;
/// The most bytes of an error body kept.
const MAX_ERROR_BODY: usize = 1 << 16;

/// Received bytes, released to the parser once they are known not to start an error body.
#[derive(Debug, Default)]
pub(crate) struct Input {
    buf: Vec<u8>,
    /// The first byte not given to the parser yet.
    start: usize,
    /// The first byte of the row being parsed: the bytes from here to `start` are kept, so
    /// whether the data stops inside a quoted field is read from them alone at the end.
    row_start: usize,
    /// Bytes before this may be given to the parser.
    safe: usize,
    /// Searched for [`MARK`] up to here.
    scanned: usize,
    /// Where an error body starts (its `{`).
    error_at: Option<usize>,
    ended: bool,
}

impl Input {
    /// Takes in the next chunk.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        if let Some(at) = self.error_at {
            let room = MAX_ERROR_BODY.saturating_sub(self.buf.len() - at);
            self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            return;
        }
        let keep_from = self.row_start;
        if keep_from > 0 {
            self.buf.drain(..keep_from);
            self.start -= keep_from;
            self.safe -= keep_from;
            self.scanned = self.scanned.saturating_sub(keep_from);
            self.row_start = 0;
        }
        self.buf.extend_from_slice(chunk);
        self.scan();
    }

    /// The data has ended: everything left (up to an error body) may be parsed.
    pub(crate) fn end(&mut self) {
        self.ended = true;
        self.safe = self.error_at.unwrap_or(self.buf.len());
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

    /// The parser ended a row at the bytes used so far; a row ends only outside quotes, so
    /// the quotes before it need no counting.
    pub(crate) fn row_ended(&mut self) {
        self.row_start = self.start;
    }

    /// Whether the bytes parsed since the last row ended hold an odd number of quotes: the
    /// data stopped inside a quoted field. Only the row being read is counted, not every byte
    /// (counting every byte was a pass over the whole body of its own).
    pub(crate) fn odd_quotes(&self) -> bool {
        let row = &self.buf[self.row_start..self.start];
        memchr::memchr_iter(b'"', row).count() % 2 == 1
    }

    /// The code of the error body, once it is complete (or the data has ended); `None` when
    /// there is none or more of it is to come.
    pub(crate) fn error_code(&self) -> Option<ExportErrorCode> {
        let at = self.error_at?;
        let body = &self.buf[at..];
        if let Ok(parsed) = serde_json::from_slice::<ExportErrorBody>(body) {
            return Some(parsed.error_code());
        }
        if self.ended || body.len() >= MAX_ERROR_BODY {
            let text = String::from_utf8_lossy(body);
            return Some(ExportErrorCode::Unknown(super::super::error::shown(
                text.trim(),
            )));
        }
        None
    }

    /// Looks for an error body in what arrived since the last scan.
    fn scan(&mut self) {
        let from = self.scanned.saturating_sub(MARK.len() - 1).max(self.start);
        let hits: Vec<usize> = memchr::memmem::find_iter(&self.buf[from..], MARK)
            .map(|hit| from + hit)
            .collect();
        for at in hits {
            if let Some(open) = self.opening_brace(at) {
                self.error_at = Some(open);
                self.safe = open.max(self.start);
                return;
            }
        }
        self.scanned = self.buf.len();
        self.safe = self.buf.len().saturating_sub(HOLD).max(self.start);
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

#[cfg(test)]
mod tests {
    use super::*;

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
            Some(ExportErrorCode::ClientConnectionClosed)
        );
    }

    #[test]
    fn a_quoted_field_saying_result_is_not_an_error() {
        let mut input = Input::default();
        let csv = b"a,b\r\n\"{\"\"result\"\":1}\",\"result\"\r\n";
        input.push(csv);
        input.end();
        assert!(input.error_code().is_none());
        assert_eq!(fed(&mut input), csv);
        assert!(!input.odd_quotes());
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
        assert!(!input.odd_quotes());
        input.consume(input.ready().len());
        input.push(b",\"open");
        input.end();
        input.consume(input.ready().len());
        assert!(input.odd_quotes());
        // The ended row was dropped when more arrived; the open one is still all there.
        assert_eq!(input.buf.len(), 106);
    }

    #[test]
    fn quotes_are_counted() {
        let mut input = Input::default();
        input.push(b"a,\"b\nc");
        input.end();
        fed(&mut input);
        assert!(input.odd_quotes());
    }
}
