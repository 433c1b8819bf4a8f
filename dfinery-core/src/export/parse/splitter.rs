//! [`Splitter`]: `csv-core`'s incremental reader, which resumes a row split across chunks,
//! with output buffers that grow to fit the longest row, and a fast path for the common row.
//!
//! Most rows of an export hold no quote and end in a line end within the chunk at hand. Such a
//! row's fields are exactly its bytes between commas, so it is split with `memchr` (a few
//! bytes per instruction) instead of `csv-core`'s byte-at-a-time state machine. Every other
//! row (a quote anywhere in it, a lone `\r`, a blank line, a row cut by the chunk's end) goes
//! to `csv-core`, which is reset after each fast row so that it starts the next one fresh.

use csv_core::{ReadRecordResult, Reader};

use super::Record;

/// What one call to [`Splitter::split`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// A whole row is ready to [`take`](Splitter::take).
    Record,
    /// The input was used up inside a row, or between rows.
    NeedInput,
    /// The input ended (an empty input was given) and every row was returned.
    End,
}

/// RFC 4180 rows out of bytes given in pieces.
pub(crate) struct Splitter {
    reader: Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    out_len: usize,
    ends_len: usize,
    /// Whether the next byte starts a row (`csv-core` holds no part of one).
    at_row_start: bool,
    /// The bytes between one field's end and the next one's start in `out`: 0 for `csv-core`'s
    /// rows, 1 (the comma) for the fast path's.
    gap: usize,
    /// The row the fast path split: where it starts in the input given to
    /// [`split`](Splitter::split), and its length. It is not copied here: [`take`](Splitter::take)
    /// copies it from that input straight into the record.
    plain: Option<(usize, usize)>,
    /// `csv-core` must be put at the start of a row before it reads again (a fast row or line
    /// ends were read since it last did).
    restart: bool,
}

/// Writes the position of every comma of `row` into `at` (long enough) and returns how many
/// there are. Eight bytes at a time: each comma becomes the high bit of its byte in a mask
/// (exactly: no carry crosses bytes), read off with `trailing_zeros`.
fn commas(row: &[u8], at: &mut [usize]) -> usize {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;
    let mut found = 0;
    let mut words = row.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(word);
        let x = u64::from_le_bytes(bytes) ^ COMMAS;
        // The high bit of each byte of `x` that is zero (a comma in `row`).
        let mut zero = !(((x & LOW7) + LOW7) | x) & HIGH;
        while zero != 0 {
            at[found] = base + (zero.trailing_zeros() / 8) as usize;
            found += 1;
            zero &= zero - 1;
        }
        base += 8;
    }
    for (i, &byte) in words.remainder().iter().enumerate() {
        if byte == b',' {
            at[found] = base + i;
            found += 1;
        }
    }
    found
}

impl Splitter {
    pub(crate) fn new() -> Splitter {
        Splitter {
            reader: Reader::new(),
            out: vec![0; 1 << 12],
            ends: vec![0; 64],
            out_len: 0,
            ends_len: 0,
            // The first row goes to `csv-core`, which drops a byte order mark there.
            at_row_start: false,
            gap: 0,
            plain: None,
            restart: false,
        }
    }

    /// Reads `input` up to the end of the next row; returns what was found and the bytes used.
    /// An empty `input` means the data has ended.
    pub(crate) fn split(&mut self, input: &[u8]) -> (Split, usize) {
        let mut skipped = 0;
        if self.at_row_start {
            // Line ends between rows: the `\n` of the `\r\n` that ended `csv-core`'s last row,
            // or blank lines, which `csv-core` skips too. Skipped here, so that the next row can
            // take the fast path; `csv-core` (holding no part of a row) starts afresh after them.
            skipped = input
                .iter()
                .position(|&b| b != b'\r' && b != b'\n')
                .unwrap_or(input.len());
            if skipped > 0 {
                self.restart = true;
                if skipped == input.len() {
                    return (Split::NeedInput, skipped);
                }
            }
            if let Some(used) = self.split_plain(&input[skipped..]) {
                if let Some((start, _)) = &mut self.plain {
                    *start = skipped;
                }
                return (Split::Record, skipped + used);
            }
        }
        let (split, used) = self.split_csv_core(&input[skipped..]);
        self.at_row_start = split == Split::Record;
        (split, skipped + used)
    }

    /// The fast path: when `input` starts with a whole row that holds no quote and ends in
    /// `\n` or `\r\n`, splits it at its commas and returns the bytes used (the line end
    /// included); `None` (nothing used) for any other row.
    fn split_plain(&mut self, input: &[u8]) -> Option<usize> {
        let stop = memchr::memchr3(b'"', b'\r', b'\n', input)?;
        let used = match input[stop] {
            b'\n' => stop + 1,
            b'\r' if input.get(stop + 1) == Some(&b'\n') => stop + 2,
            // A quote, or a `\r` alone or at the chunk's end.
            _ => return None,
        };
        let row = &input[..stop];
        // The row as it is, commas included (the record skips them: `gap` 1), left in the
        // input, and where each field ends: at each comma, and at the row's end.
        self.plain = Some((0, row.len()));
        // A row of n bytes has at most n commas.
        if self.ends.len() <= row.len() {
            self.ends.resize(row.len() + 1, 0);
        }
        let fields = commas(row, &mut self.ends);
        self.ends[fields] = row.len();
        self.ends_len = fields + 1;
        self.gap = 1;
        // `csv-core` may be waiting for the `\n` after a `\r` that ended its last row; this row
        // shows there was none.
        self.restart = true;
        Some(used)
    }

    /// Puts `csv-core` at the start of a row, as if it had read the rows before: after its
    /// `reset` it would take a `\u{feff}` starting the next row for a byte order mark and drop
    /// it, which it does only at the very start of the data; a blank line read at once marks
    /// it as under way (a blank line is skipped: nothing else changes).
    fn restart_csv_core(&mut self) {
        self.reader.reset();
        let (result, ..) = self.reader.read_record(b"\n", &mut [0; 1], &mut [0; 1]);
        debug_assert_eq!(result, ReadRecordResult::InputEmpty);
    }

    /// `csv-core`'s path: any row, resumed across calls.
    fn split_csv_core(&mut self, input: &[u8]) -> (Split, usize) {
        if std::mem::take(&mut self.restart) {
            self.restart_csv_core();
        }
        self.gap = 0;
        let mut used = 0;
        loop {
            let (result, read, written, ended) = self.reader.read_record(
                &input[used..],
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            used += read;
            self.out_len += written;
            self.ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty => return (Split::NeedInput, used),
                ReadRecordResult::OutputFull => {
                    let len = self.out.len() * 2;
                    self.out.resize(len, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                ReadRecordResult::Record => return (Split::Record, used),
                ReadRecordResult::End => return (Split::End, used),
            }
        }
    }

    /// Moves the row just split into `record`; `false` when it is not UTF-8. `input` is what
    /// was given to the [`split`](Self::split) that found the row.
    pub(crate) fn take(&mut self, record: &mut Record, input: &[u8]) -> bool {
        let bytes = match self.plain.take() {
            Some((start, len)) => &input[start..start + len],
            None => &self.out[..self.out_len],
        };
        let ok = record.fill(bytes, &self.ends[..self.ends_len], self.gap);
        self.out_len = 0;
        self.ends_len = 0;
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of `csv` fed in pieces of `size` bytes.
    fn rows(csv: &[u8], size: usize) -> Vec<Vec<String>> {
        let mut splitter = Splitter::new();
        let mut record = Record::default();
        let mut out = Vec::new();
        let mut pieces: Vec<&[u8]> = csv.chunks(size).collect();
        pieces.push(&[]);
        for piece in pieces {
            let mut at = 0;
            loop {
                // An empty input means the end of the data: only give one at the end.
                if at == piece.len() && !piece.is_empty() {
                    break;
                }
                let (found, used) = splitter.split(&piece[at..]);
                match found {
                    Split::Record => {
                        assert!(splitter.take(&mut record, &piece[at..]));
                        out.push(record.fields().map(str::to_owned).collect());
                    }
                    Split::NeedInput if piece.is_empty() => return out,
                    Split::NeedInput => break,
                    Split::End => return out,
                }
                at += used;
            }
        }
        out
    }

    #[test]
    fn rows_come_out_whole_whatever_the_piece_size() {
        let csv = b"a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n,,\r\nlast,row,here";
        let expected = vec![
            vec!["a", "b", "c"],
            vec!["x,1", "say \"hi\"", "two\nlines"],
            vec!["", "", ""],
            vec!["last", "row", "here"],
        ];
        for size in [1, 2, 3, 7, 64, 1 << 16] {
            assert_eq!(rows(csv, size), expected, "pieces of {size} bytes");
        }
    }

    /// Every row of `csv` in pieces of `size` bytes, by `csv-core` alone.
    fn rows_by_csv_core(csv: &[u8], size: usize) -> Vec<Vec<String>> {
        let mut reader = csv_core::Reader::new();
        let (mut out, mut ends) = (vec![0u8; 1 << 16], vec![0usize; 1 << 10]);
        let (mut out_len, mut ends_len) = (0, 0);
        let mut rows = Vec::new();
        let mut pieces: Vec<&[u8]> = csv.chunks(size).collect();
        pieces.push(&[]);
        for piece in pieces {
            let mut at = 0;
            loop {
                // An empty input means the end of the data: only give one at the end.
                if at == piece.len() && !piece.is_empty() {
                    break;
                }
                let (result, read, written, ended) =
                    reader.read_record(&piece[at..], &mut out[out_len..], &mut ends[ends_len..]);
                at += read;
                out_len += written;
                ends_len += ended;
                match result {
                    ReadRecordResult::Record => {
                        let mut start = 0;
                        rows.push(
                            ends[..ends_len]
                                .iter()
                                .map(|&end| {
                                    let field =
                                        String::from_utf8(out[start..end].to_vec()).unwrap();
                                    start = end;
                                    field
                                })
                                .collect(),
                        );
                        (out_len, ends_len) = (0, 0);
                    }
                    ReadRecordResult::End => return rows,
                    ReadRecordResult::InputEmpty => break,
                    full => panic!("{full:?}"),
                }
            }
        }
        rows
    }

    proptest::proptest! {
        /// The fast path splits exactly as `csv-core` does: rows of plain and quoted fields
        /// (quotes, commas, line ends and `\u{feff}` inside, a byte order mark at the start), `\n`, `\r\n` and lone `\r` line ends, blank
        /// lines, a last row with or without its line end, fed in pieces of any size.
        #[test]
        fn the_fast_path_splits_as_csv_core_does(
            table in proptest::collection::vec(
                proptest::collection::vec("[a-z0-9 \",\r\n\u{feff}]{0,6}", 1..5),
                0..12,
            ),
            ends in proptest::collection::vec(0..4usize, 12),
            last_end in proptest::bool::ANY,
            size in 1..80usize,
        ) {
            let mut csv = String::new();
            for (n, row) in table.iter().enumerate() {
                let fields: Vec<String> = row
                    .iter()
                    .map(|f| {
                        if f.contains(['"', ',', '\r', '\n']) {
                            format!("\"{}\"", f.replace('"', "\"\""))
                        } else {
                            f.clone()
                        }
                    })
                    .collect();
                csv.push_str(&fields.join(","));
                if n + 1 < table.len() || last_end {
                    csv.push_str(["\n", "\r\n", "\r", "\n\n"][ends[n]]);
                }
            }
            proptest::prop_assert_eq!(
                rows(csv.as_bytes(), size),
                rows_by_csv_core(csv.as_bytes(), size),
                "{:?}",
                csv
            );
        }
    }

    #[test]
    fn commas_are_found_in_every_position_of_a_word() {
        for len in 0..40 {
            for comma in 0..len {
                let mut row = vec![b'x'; len];
                row[comma] = b',';
                if comma + 9 < len {
                    row[comma + 9] = b',';
                }
                // Bytes one above and one below a comma must not count.
                if comma > 0 {
                    row[comma - 1] = b'-';
                }
                let expected: Vec<usize> = (0..len).filter(|&i| row[i] == b',').collect();
                let mut at = vec![0; len + 1];
                let found = commas(&row, &mut at);
                assert_eq!(
                    &at[..found],
                    expected,
                    "{:?}",
                    String::from_utf8_lossy(&row)
                );
            }
        }
        let mut at = vec![0; 17];
        assert_eq!(commas(b",,,,,,,,,,,,,,,,", &mut at), 16);
        assert_eq!(at[..16], (0..16).collect::<Vec<_>>()[..]);
    }

    #[test]
    fn a_long_row_grows_the_buffers() {
        let wide: Vec<String> = (0..200).map(|i| format!("{i:0>50}")).collect();
        let csv = format!("{}\n", wide.join(","));
        let out = rows(csv.as_bytes(), 100);
        assert_eq!(out, vec![wide]);
    }
}
