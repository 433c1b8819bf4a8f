//! One row of the spool's `batches` table: the messages one commit added (or one group of the
//! journal, moved there by a checkpoint), each framed as a checksum (8 bytes: XXH3-64 of the
//! rest of the frame, seed 0), its sequence number (8 bytes), its length (4 bytes, all
//! little-endian) and its bytes (the envelope as JSON), one after the other in ascending
//! sequence order.
//!
//! A commit writes one row, whatever the number of messages in it, and a row is deleted whole
//! once every message in it is settled (or rewritten with the ones still pending when others
//! must stay): the store then handles one value per commit instead of one key per message.
//!
//! The checksum (spool format 3) makes a flipped byte anywhere in a message's frame damage
//! that is found and reported, where format 2's frames (no checksum, read with
//! [`Entries::unchecked`] when such a file is opened) could deliver a message with a byte
//! changed in its values.

use std::collections::{BTreeMap, HashMap};

use xxhash_rust::xxh3::xxh3_64;

/// Bytes of an entry's frame before its bytes: the checksum, the sequence number and the
/// length.
const FRAME: usize = 20;
/// Format 2's frame: the sequence number and the length.
const UNCHECKED_FRAME: usize = 12;

/// An entry's bytes in up to three parts, written one after another.
pub(super) type Pieces<'a> = [&'a [u8]; 3];

/// `bytes` as [`Pieces`].
pub(super) fn whole(bytes: &[u8]) -> Pieces<'_> {
    [bytes, &[], &[]]
}

/// The length of `pieces` put together.
pub(super) fn pieces_len(pieces: &Pieces<'_>) -> usize {
    pieces.iter().map(|piece| piece.len()).sum()
}

/// Appends `seq` and `bytes` to a batch being built.
pub(super) fn push(batch: &mut Vec<u8>, seq: u64, bytes: &[u8]) {
    let start = batch.len();
    batch.resize(start + size(1, bytes.len().min(u32::MAX as usize)), 0);
    put(&mut batch[start..], seq, &whole(bytes));
}

/// Writes `seq` and `bytes` framed, as [`push`] appends them, at the start of `out`, which
/// holds [`size`]`(1, bytes.len())` bytes at least, and returns the rest of `out`: a row is
/// written in place in the store's page, without a buffer of its own.
pub(super) fn put<'a>(out: &'a mut [u8], seq: u64, pieces: &Pieces<'_>) -> &'a mut [u8] {
    let len = u32::try_from(pieces_len(pieces)).unwrap_or(u32::MAX);
    let (frame, rest) = out.split_at_mut(FRAME + len as usize);
    frame[8..16].copy_from_slice(&seq.to_le_bytes());
    frame[16..FRAME].copy_from_slice(&len.to_le_bytes());
    let mut at = FRAME;
    for piece in pieces {
        let piece = &piece[..piece.len().min(frame.len() - at)];
        frame[at..at + piece.len()].copy_from_slice(piece);
        at += piece.len();
    }
    let sum = xxh3_64(&frame[8..]);
    frame[..8].copy_from_slice(&sum.to_le_bytes());
    rest
}

/// The bytes a batch of `entries` of `bytes` bytes in all takes.
pub(super) fn size(entries: usize, bytes: usize) -> usize {
    entries * FRAME + bytes
}

/// The entries of a batch in order; stops at the first frame that does not fit in what is
/// left or whose checksum does not match (a damaged row), whose offset
/// [`Entries::damaged_at`] gives.
pub(super) struct Entries<'a> {
    rest: &'a [u8],
    at: usize,
    damaged: bool,
    /// Format 2's frames, without a checksum.
    unchecked: bool,
}

impl<'a> Entries<'a> {
    pub(super) fn new(batch: &'a [u8]) -> Entries<'a> {
        Entries {
            rest: batch,
            at: 0,
            damaged: false,
            unchecked: false,
        }
    }

    /// The entries of a row written by spool format 2 (no checksums), read when such a file
    /// is opened and its rows are written again in this format.
    pub(super) fn unchecked(batch: &'a [u8]) -> Entries<'a> {
        Entries {
            unchecked: true,
            ..Entries::new(batch)
        }
    }

    /// Where the row stopped making sense, once the iteration ended there; `None` when every
    /// byte was read as whole entries.
    pub(super) fn damaged_at(&self) -> Option<usize> {
        self.damaged.then_some(self.at)
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = (u64, &'a [u8]);

    fn next(&mut self) -> Option<(u64, &'a [u8])> {
        if self.rest.is_empty() || self.damaged {
            return None;
        }
        let head = if self.unchecked {
            UNCHECKED_FRAME
        } else {
            FRAME
        };
        let parsed = self.rest.get(..head).and_then(|frame| {
            let fields = &frame[head - 12..];
            let seq = u64::from_le_bytes(fields[..8].try_into().ok()?);
            let len = u32::from_le_bytes(fields[8..12].try_into().ok()?) as usize;
            let whole = self.rest.get(..head.checked_add(len)?)?;
            if !self.unchecked {
                let sum = u64::from_le_bytes(frame[..8].try_into().ok()?);
                if xxh3_64(&whole[8..]) != sum {
                    return None;
                }
            }
            Some((seq, &whole[head..]))
        });
        match parsed {
            Some((seq, bytes)) => {
                self.rest = &self.rest[head + bytes.len()..];
                self.at += head + bytes.len();
                Some((seq, bytes))
            }
            None => {
                self.damaged = true;
                None
            }
        }
    }
}

/// Where a pending message is: its batch and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Loc {
    pub(super) batch: u64,
    pub(super) len: u32,
}

/// The writer's map of the file: each pending message's batch, and how many messages each
/// batch still holds. Built from the file when it is opened (or opened again) and changed
/// only after a commit succeeded, so it always describes what the file holds.
#[derive(Debug, Default)]
pub(super) struct Index {
    /// Pending messages by sequence number.
    pub(super) entries: BTreeMap<u64, Loc>,
    /// Batches by key: the messages each still holds.
    pub(super) live: HashMap<u64, u32>,
    /// The key the next batch gets.
    pub(super) next_batch: u64,
}

impl Index {
    /// Adds `entries` to batch `key` (the file holds them).
    pub(super) fn add(&mut self, key: u64, entries: impl IntoIterator<Item = (u64, u32)>) {
        let mut count = 0;
        for (seq, len) in entries {
            self.entries.insert(seq, Loc { batch: key, len });
            count += 1;
        }
        if count > 0 {
            *self.live.entry(key).or_insert(0) += count;
        }
        self.next_batch = self.next_batch.max(key + 1);
    }

    /// The greatest sequence number pending.
    pub(super) fn last_seq(&self) -> u64 {
        self.entries.last_key_value().map_or(0, |(seq, _)| *seq)
    }

    /// Pending messages and their bytes.
    pub(super) fn totals(&self) -> (u64, u64) {
        let bytes = self.entries.values().map(|loc| u64::from(loc.len)).sum();
        (self.entries.len() as u64, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_as_pushed_and_a_cut_row_says_where() {
        let mut batch = Vec::new();
        push(&mut batch, 7, b"{\"a\":1}");
        push(&mut batch, 9, b"");
        push(&mut batch, 12, &[b'x'; 300]);
        assert_eq!(batch.len(), size(3, 7 + 300));
        let read: Vec<(u64, usize)> = Entries::new(&batch).map(|(s, b)| (s, b.len())).collect();
        assert_eq!(read, [(7, 7), (9, 0), (12, 300)]);
        let mut entries = Entries::new(&batch);
        assert_eq!(entries.by_ref().count(), 3);
        assert_eq!(entries.damaged_at(), None);

        let cut = &batch[..batch.len() - 1];
        let mut entries = Entries::new(cut);
        assert_eq!(entries.by_ref().count(), 2);
        assert_eq!(entries.damaged_at(), Some(size(2, 7)));

        // Written in place, the same bytes.
        let mut placed = vec![0_u8; batch.len()];
        let rest = put(&mut placed, 7, &[b"{\"a\"", b":1", b"}"]);
        let rest = put(rest, 9, &whole(b""));
        assert!(put(rest, 12, &whole(&[b'x'; 300])).is_empty());
        assert_eq!(placed, batch);

        // A length flipped to something huge stops the reading there, without a panic.
        let mut flipped = batch.clone();
        flipped[16 + 3] = 0xff;
        let mut entries = Entries::new(&flipped);
        assert_eq!(entries.by_ref().count(), 0);
        assert_eq!(entries.damaged_at(), Some(0));
    }

    #[test]
    fn a_byte_flipped_anywhere_in_a_frame_stops_the_reading_at_that_frame() {
        let mut batch = Vec::new();
        push(&mut batch, 7, b"{\"id\":\"a\"}");
        push(&mut batch, 8, b"{\"id\":\"b\"}");
        let second = size(1, br#"{"id":"a"}"#.len());
        for at in 0..batch.len() {
            let mut flipped = batch.clone();
            flipped[at] ^= 0x04;
            let mut entries = Entries::new(&flipped);
            let read = entries.by_ref().count();
            let expected = if at < second { (0, 0) } else { (1, second) };
            assert_eq!(
                (read, entries.damaged_at()),
                (expected.0, Some(expected.1)),
                "byte {at}"
            );
        }
    }

    #[test]
    fn format_2_rows_are_read_without_checksums() {
        let mut row = Vec::new();
        for (seq, bytes) in [(3_u64, &b"{}"[..]), (4, b"[1]")] {
            row.extend_from_slice(&seq.to_le_bytes());
            row.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            row.extend_from_slice(bytes);
        }
        let mut entries = Entries::unchecked(&row);
        let read: Vec<(u64, &[u8])> = entries.by_ref().collect();
        assert_eq!(read, [(3, &b"{}"[..]), (4, &b"[1]"[..])]);
        assert_eq!(entries.damaged_at(), None);
        // Read as format 3, the same bytes are damage.
        let mut checked = Entries::new(&row);
        assert_eq!(checked.by_ref().count(), 0);
        assert_eq!(checked.damaged_at(), Some(0));
    }
}
