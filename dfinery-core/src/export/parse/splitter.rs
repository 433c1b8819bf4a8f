//! [`Splitter`]: `csv-core`'s incremental reader, which resumes a row split across chunks,
//! with output buffers that grow to fit the longest row.

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
}

impl Splitter {
    pub(crate) fn new() -> Splitter {
        Splitter {
            reader: Reader::new(),
            out: vec![0; 1 << 12],
            ends: vec![0; 64],
            out_len: 0,
            ends_len: 0,
        }
    }

    /// Reads `input` up to the end of the next row; returns what was found and the bytes used.
    /// An empty `input` means the data has ended.
    pub(crate) fn split(&mut self, input: &[u8]) -> (Split, usize) {
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

    /// Moves the row just split into `record`; `false` when it is not UTF-8.
    pub(crate) fn take(&mut self, record: &mut Record) -> bool {
        let ok = record.fill(&self.out[..self.out_len], &self.ends[..self.ends_len]);
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
                at += used;
                match found {
                    Split::Record => {
                        assert!(splitter.take(&mut record));
                        out.push(record.fields().map(str::to_owned).collect());
                    }
                    Split::NeedInput if piece.is_empty() => return out,
                    Split::NeedInput => break,
                    Split::End => return out,
                }
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

    #[test]
    fn a_long_row_grows_the_buffers() {
        let wide: Vec<String> = (0..200).map(|i| format!("{i:0>50}")).collect();
        let csv = format!("{}\n", wide.join(","));
        let out = rows(csv.as_bytes(), 100);
        assert_eq!(out, vec![wide]);
    }
}
