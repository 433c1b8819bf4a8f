//! Reading a journal back: the frames of the current epoch from the front to the first that
//! is not valid, the entries of its whole groups minus those delivered, and what was dropped.

use std::collections::{BTreeMap, BTreeSet};

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::super::open::MAX_SEQ;
use super::{
    DATA_START, FLAG_GROUP_END, FRAME_HEAD, JournalError, JournalFile, KIND_DELIVERED, KIND_ENTRY,
    frame_size,
};

/// How far past a stop the replay looks for valid frames of the epoch
/// ([`Dropped::frames_after`]).
pub(super) const PROBE_WINDOW: u64 = 64 * 1024;
/// The bytes read from the file at a time.
pub(super) const READ_CHUNK: usize = 1 << 20;

/// What [`Journal::open`](super::Journal::open) found.
#[derive(Debug)]
pub(crate) struct Replay {
    /// The current epoch.
    // Read by the tests: the spool takes the epoch from the journal itself.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) epoch: u64,
    /// The entries still pending, in sequence order: (sequence number, bytes).
    pub(crate) entries: Vec<(u64, Vec<u8>)>,
    /// Delivered markers naming entries not in this epoch's frames (kept elsewhere, e.g.
    /// moved to redb by a checkpoint), in order.
    pub(crate) delivered_elsewhere: Vec<u64>,
    /// Where appending resumes: after the last whole group.
    pub(crate) end: u64,
    /// What the replay stopped on, when it was not the clean end of the epoch (zeroes, a
    /// frame of an earlier epoch, or the end of the file, after a whole group).
    pub(crate) dropped: Option<Dropped>,
}

/// A replay that stopped on something other than the clean end of the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dropped {
    /// The offset of the frame it stopped on.
    pub(crate) offset: u64,
    /// What was wrong with it.
    pub(crate) reason: String,
    /// The entries of the unfinished group before it (read whole, dropped with their group).
    pub(crate) unfinished: usize,
    /// Whether a valid frame of the epoch lies within 64 KiB after it: damage to what was
    /// written before (or an unsynced write that reached the disk out of order), not the
    /// torn tail a crash leaves.
    pub(crate) frames_after: bool,
}

/// What one position holds.
enum Look {
    /// A valid frame chained to the one before it.
    Frame(Head, Vec<u8>),
    /// A zero frame header: the end of what was written.
    Zero,
    /// No room for a frame header before the end of the file.
    End,
    /// A frame of an earlier epoch: the end of this epoch's frames.
    Older(u64),
    /// Not a valid frame.
    Bad(String),
}

/// A frame's header, decoded.
#[derive(Clone, Copy)]
struct Head {
    sum: u64,
    prev: u64,
    len: u32,
    kind: u8,
    flags: u8,
    reserved: [u8; 2],
    seq: u64,
    epoch: u64,
}

impl Head {
    fn decode(bytes: &[u8]) -> Self {
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
        Self {
            sum: word(0),
            prev: word(8),
            len: u32::from_le_bytes(bytes[16..20].try_into().unwrap_or([0; 4])),
            kind: bytes[20],
            flags: bytes[21],
            reserved: [bytes[22], bytes[23]],
            seq: word(24),
            epoch: word(32),
        }
    }
}

/// Reads the file a chunk at a time, up to `limit`.
struct Reader<'a, F> {
    file: &'a F,
    limit: u64,
    start: u64,
    buf: Vec<u8>,
}

impl<F: JournalFile> Reader<'_, F> {
    /// `len` bytes at `offset`, or `None` when they run past the limit.
    fn get(&mut self, offset: u64, len: usize) -> Result<Option<&[u8]>, JournalError> {
        let Some(stop) = offset.checked_add(len as u64) else {
            return Ok(None);
        };
        if stop > self.limit {
            return Ok(None);
        }
        if offset < self.start || stop > self.start + self.buf.len() as u64 {
            let want = (len.max(READ_CHUNK) as u64).min(self.limit - offset) as usize;
            self.buf.resize(want, 0);
            self.file
                .read_exact_at(&mut self.buf, offset)
                .map_err(|source| JournalError::Io {
                    op: "read",
                    offset,
                    source,
                })?;
            self.start = offset;
        }
        let at = (offset - self.start) as usize;
        Ok(Some(&self.buf[at..at + len]))
    }

    /// What lies at `offset`, for a frame of `epoch` following one whose checksum is `prev`.
    fn look(&mut self, offset: u64, epoch: u64, prev: u64) -> Result<Look, JournalError> {
        let Some(bytes) = self.get(offset, FRAME_HEAD)? else {
            return Ok(Look::End);
        };
        if bytes.iter().all(|&byte| byte == 0) {
            return Ok(Look::Zero);
        }
        let head = Head::decode(bytes);
        if head.epoch < epoch {
            if self.valid(offset, &head)? {
                return Ok(Look::Older(head.epoch));
            }
            return Ok(Look::Bad(
                "neither a frame of this epoch nor a valid one of an earlier epoch".into(),
            ));
        }
        if head.epoch > epoch {
            return Ok(Look::Bad(format!(
                "a frame of epoch {}, after the journal's {epoch}",
                head.epoch
            )));
        }
        let size = frame_size(head.len);
        if offset.saturating_add(size) > self.limit {
            return Ok(Look::Bad(format!(
                "its length ({} bytes) runs past the end of the file",
                head.len
            )));
        }
        let Some(body) = self.get(offset + 8, FRAME_HEAD - 8 + head.len as usize)? else {
            return Ok(Look::Bad("it runs past the end of the file".into()));
        };
        if xxh3_64_with_seed(body, epoch) != head.sum {
            return Ok(Look::Bad("its checksum does not match".into()));
        }
        let payload = body[FRAME_HEAD - 8..].to_vec();
        if head.reserved != [0, 0] || head.flags & !FLAG_GROUP_END != 0 {
            return Ok(Look::Bad("it has unknown flags".into()));
        }
        match head.kind {
            KIND_ENTRY => {}
            KIND_DELIVERED if head.len.is_multiple_of(8) && head.flags & FLAG_GROUP_END != 0 => {}
            KIND_DELIVERED => return Ok(Look::Bad("a malformed delivered frame".into())),
            kind => return Ok(Look::Bad(format!("an unknown kind of frame ({kind})"))),
        }
        if head.prev != prev {
            return Ok(Look::Bad(
                "it does not follow the frame before it (left by an earlier write)".into(),
            ));
        }
        // A number no tracker gives (as the redb file's rows are checked, `open.rs`): a frame
        // whole but not written by a spool. Taken, it would push the spool's next number past
        // the end of its range.
        let numbers_given = match head.kind {
            KIND_ENTRY => head.seq <= MAX_SEQ,
            _ => payload
                .chunks_exact(8)
                .all(|seq| u64::from_le_bytes(seq.try_into().unwrap_or([0; 8])) <= MAX_SEQ),
        };
        if !numbers_given {
            return Ok(Look::Bad(format!(
                "it names a sequence number above {MAX_SEQ}, which no tracker gives"
            )));
        }
        Ok(Look::Frame(head, payload))
    }

    /// Whether a frame of `epoch` with a valid checksum starts within [`PROBE_WINDOW`] after
    /// `offset` (at a multiple of 8, as frames do).
    fn probe(&mut self, offset: u64, epoch: u64) -> Result<bool, JournalError> {
        let stop = offset.saturating_add(PROBE_WINDOW).min(self.limit);
        let mut at = offset + 8;
        while at + FRAME_HEAD as u64 <= stop {
            let Some(bytes) = self.get(at, FRAME_HEAD)? else {
                break;
            };
            let head = Head::decode(bytes);
            let plausible = head.epoch == epoch
                && head.reserved == [0, 0]
                && (head.kind == KIND_ENTRY || head.kind == KIND_DELIVERED);
            if plausible && self.valid(at, &head)? {
                return Ok(true);
            }
            at += 8;
        }
        Ok(false)
    }

    /// Whether the frame whose header `head` was read at `offset` has its checksum, under its
    /// own epoch.
    fn valid(&mut self, offset: u64, head: &Head) -> Result<bool, JournalError> {
        if offset.saturating_add(frame_size(head.len)) > self.limit {
            return Ok(false);
        }
        let Some(body) = self.get(offset + 8, FRAME_HEAD - 8 + head.len as usize)? else {
            return Ok(false);
        };
        Ok(xxh3_64_with_seed(body, head.epoch) == head.sum)
    }
}

/// One frame of a group not yet ended.
enum Item {
    Entry(u64, Vec<u8>),
    Delivered(Vec<u64>),
}

/// Replays the frames of `epoch` in `file` up to `limit`; returns the replay and the checksum
/// of the last frame of its last whole group (0 if none), where appending resumes.
pub(super) fn scan<F: JournalFile>(
    file: &F,
    epoch: u64,
    limit: u64,
) -> Result<(Replay, u64), JournalError> {
    let mut reader = Reader {
        file,
        limit,
        start: 0,
        buf: Vec::new(),
    };
    let mut pending: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut elsewhere: BTreeSet<u64> = BTreeSet::new();
    let mut group: Vec<Item> = Vec::new();
    let mut offset = DATA_START;
    let mut prev = 0;
    // Where the group under way began, and the checksum before it.
    let (mut group_start, mut group_prev) = (offset, prev);
    let dropped = loop {
        let reason = match reader.look(offset, epoch, prev)? {
            Look::Frame(head, payload) => {
                group.push(match head.kind {
                    KIND_DELIVERED => Item::Delivered(
                        payload
                            .chunks_exact(8)
                            .map(|seq| u64::from_le_bytes(seq.try_into().unwrap_or([0; 8])))
                            .collect(),
                    ),
                    _ => Item::Entry(head.seq, payload),
                });
                prev = head.sum;
                offset += frame_size(head.len);
                if head.flags & FLAG_GROUP_END != 0 {
                    for item in group.drain(..) {
                        match item {
                            Item::Entry(seq, bytes) => {
                                pending.insert(seq, bytes);
                                elsewhere.remove(&seq);
                            }
                            Item::Delivered(seqs) => {
                                for seq in seqs {
                                    if pending.remove(&seq).is_none() {
                                        elsewhere.insert(seq);
                                    }
                                }
                            }
                        }
                    }
                    (group_start, group_prev) = (offset, prev);
                }
                continue;
            }
            Look::End if group.is_empty() => break None,
            Look::Zero | Look::Older(_) if group.is_empty() => {
                if reader.probe(offset, epoch)? {
                    "the epoch's frames stop here, and valid frames follow".to_string()
                } else {
                    break None;
                }
            }
            Look::End => "the file ends inside a group".to_string(),
            Look::Zero => "zeroes where the rest of a group should be".to_string(),
            Look::Older(older) => format!("a frame of epoch {older} inside a group"),
            Look::Bad(reason) => reason,
        };
        let frames_after = reader.probe(offset, epoch)?;
        break Some(Dropped {
            offset,
            reason,
            unfinished: group
                .iter()
                .filter(|item| matches!(item, Item::Entry(..)))
                .count(),
            frames_after,
        });
    };
    let replay = Replay {
        epoch,
        entries: pending.into_iter().collect(),
        delivered_elsewhere: elsewhere.into_iter().collect(),
        end: group_start,
        dropped,
    };
    Ok((replay, group_prev))
}
