//! The spool's journal: pending messages appended to a preallocated file reused in a circle,
//! each group of writes in one positioned write and made durable with one `sync_data`: where
//! the spool's writer thread puts the messages it is handed (spool format 3, see
//! `journaled.rs`).
//!
//! # Format (journal format 1, all integers little-endian)
//!
//! | bytes | what |
//! |---|---|
//! | 0..40 | header slot A (used by even epochs) |
//! | 2048..2088 | header slot B (used by odd epochs) |
//! | 4096.. | frames of the current epoch, one after another, then zeroes or older frames |
//!
//! A header slot:
//!
//! | bytes | what |
//! |---|---|
//! | 0..8 | magic `DFJOURNL` |
//! | 8..12 | journal format (1) |
//! | 12..16 | zero |
//! | 16..24 | epoch |
//! | 24..32 | capacity: the file's length when it was created |
//! | 32..40 | XXH3-64 of bytes 0..32 (seed 0) |
//!
//! The header in use is the valid slot with the higher epoch; a checkpoint writes the other
//! slot, so a torn header write leaves the previous one readable.
//!
//! Each append writes its frames and, when they fit before the end of the file, 40 zero bytes
//! after them (overwritten by the next append): the epoch's frames end in zeroes (or in a frame
//! of an earlier epoch, at the front after a checkpoint, or at the end of the file), so
//! anything else where they stop is a torn or damaged write, reported as such.
//!
//! A frame (40 bytes, then the payload, then zeroes to a multiple of 8 bytes):
//!
//! | bytes | what |
//! |---|---|
//! | 0..8 | XXH3-64 of bytes 8..40+len, seeded with the epoch |
//! | 8..16 | the checksum of the frame before it in this epoch (0 for the first) |
//! | 16..20 | len: the payload's length |
//! | 20 | kind: 1 an entry, 2 delivered markers |
//! | 21 | flags: bit 0, the last frame of its group |
//! | 22..24 | zero |
//! | 24..32 | the entry's sequence number (0 for delivered markers) |
//! | 32..40 | epoch |
//! | 40.. | payload: the entry's bytes, or the delivered sequence numbers, 8 bytes each |
//!
//! # Crash guarantees
//!
//! - A group appended with `sync` (or followed by [`Journal::sync`]) whose call returned `Ok`
//!   is replayed after a crash, whole, unless a later [`Journal::checkpoint`] dropped it.
//! - A group is replayed whole or not at all: its entries count once its last frame (flag
//!   bit 0) is read, and a replay stops at the first frame that is not valid (zeroes, a torn
//!   or damaged frame, a frame of another epoch, one not chained to the frame before it, or
//!   one naming a sequence number above 2^62, which no tracker gives).
//!   A group whose append failed or was not synced may be replayed or not, but never in part.
//! - Frames left behind by a failed or torn write are never replayed after appending resumes
//!   over them: the next append zeroes past what the failed write may have reached (after a
//!   reopen, 64 KiB past where the replay stopped), and each frame names the checksum of the
//!   one before it, so a frame left further on does not follow the new ones either.
//! - Delivered markers are appended unsynced: a crash may lose them, and the entries they
//!   name are then replayed (sent again; DFINERY drops a duplicate by `event_log_id`).
//! - A damaged frame stops the replay there: what follows is dropped and reported in
//!   [`Replay::dropped`] with its offset, never a panic. A torn tail is the normal end of a
//!   crash; [`Dropped::frames_after`](replay::Dropped::frames_after) says whether valid
//!   frames of the epoch follow the stop (within 64 KiB), which a torn tail never has: damage
//!   to synced data, or an unsynced write that reached the disk out of order. Damage to a
//!   frame's length field hides what follows it, and is reported as a torn tail.
//! - After a failed `sync_data` the page cache may hold what the disk does not (or may have
//!   dropped it), so the journal refuses every further call ([`JournalError::Broken`]); open
//!   the file again to replay what it holds.
//!
//! # How the spool uses it
//!
//! See `journaled.rs`: one group per commit of the writer thread, delivered markers for the
//! messages settled while in the journal, and a checkpoint (what is pending moved into redb
//! first) when the journal is full, when the spool is closed, and after every open.

mod file;
mod replay;
#[cfg(test)]
mod tests;

use std::io;
use std::ops::Range;

use xxhash_rust::xxh3::xxh3_64_with_seed;

pub(crate) use file::JournalFile;
pub(crate) use replay::Replay;

/// The first bytes of a header slot.
const MAGIC: [u8; 8] = *b"DFJOURNL";
/// The journal format this version writes and reads.
pub(crate) const JOURNAL_FORMAT: u32 = 1;
/// Where the two header slots start: an even epoch in the first, an odd one in the second.
const HEADER_SLOTS: [u64; 2] = [0, 2048];
/// A header slot's length.
const HEADER_LEN: usize = 40;
/// Where the frames start.
pub(crate) const DATA_START: u64 = 4096;
/// A frame's header length.
pub(crate) const FRAME_HEAD: usize = 40;
/// A frame holding one entry.
const KIND_ENTRY: u8 = 1;
/// A frame holding delivered sequence numbers.
const KIND_DELIVERED: u8 = 2;
/// The last frame of its group.
const FLAG_GROUP_END: u8 = 1;
/// The smallest capacity [`Journal::create`] accepts.
pub(crate) const MIN_CAPACITY: u64 = DATA_START + 4096;
/// The zeroes written at a time by [`Journal::create`].
const ZERO_CHUNK: usize = 1 << 20;

/// A failure of the journal.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JournalError {
    /// The file failed.
    #[error("could not {op} the spool journal at byte {offset}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// Where in the file.
        offset: u64,
        /// The file's error.
        #[source]
        source: io::Error,
    },
    /// The group does not fit in the room left before the end of the file. Nothing was
    /// written: move what is pending elsewhere, [`Journal::checkpoint`], and append again.
    #[error(
        "the group needs {needed} bytes and the spool journal has {room} left; checkpoint it (move what is pending elsewhere, then start a new epoch) and append the group again"
    )]
    Full {
        /// The group's size in the file.
        needed: u64,
        /// The room left.
        room: u64,
    },
    /// One entry (or list of delivered markers) is larger than a frame holds.
    #[error("an entry of {len} bytes is larger than a spool journal frame holds (4 GiB - 1)")]
    TooLarge {
        /// Its length.
        len: usize,
    },
    /// [`Journal::create`] was asked for a file too small to hold anything.
    #[error("a spool journal needs at least {min} bytes; {capacity} were asked")]
    TooSmall {
        /// What was asked.
        capacity: u64,
        /// The least it takes.
        min: u64,
    },
    /// The file has no valid header.
    #[error("the file is not a spool journal ({reason}); move it aside to start again")]
    NotAJournal {
        /// What was wrong.
        reason: String,
    },
    /// The file is a journal of another format.
    #[error(
        "the spool journal is of format {found} and this version reads format {expected}; open it with the version that wrote it, or move it aside"
    )]
    Format {
        /// The file's format.
        found: u32,
        /// This version's.
        expected: u32,
    },
    /// [`Journal::checkpoint`] was asked for an epoch that is not after the current one.
    #[error(
        "cannot checkpoint the spool journal to epoch {asked}: it is at epoch {current}, and the epoch only moves forward"
    )]
    EpochNotAfter {
        /// The current epoch.
        current: u64,
        /// The epoch asked for.
        asked: u64,
    },
    /// A frame read back does not match its checksum.
    #[error(
        "the spool journal's frame at byte {offset} does not match its checksum: the disk gave back other bytes than were written; the journal is read again when the spool is opened, and what cannot be read is reported"
    )]
    Damaged {
        /// Where the frame starts.
        offset: u64,
    },
    /// An earlier sync or checkpoint failed; what is on disk is unknown.
    #[error(
        "the spool journal failed earlier ({reason}) and what is on disk is unknown; open the file again to replay what it holds"
    )]
    Broken {
        /// The earlier failure.
        reason: String,
    },
}

/// One entry of a group: its sequence number and its bytes, in parts written one after another
/// (an identity's bytes and a record's, say, without joining them first).
pub(crate) type Entry<'a> = (u64, &'a [&'a [u8]]);

/// A journal file open for appending (see the module's documentation for the format).
pub(crate) struct Journal<F: JournalFile> {
    file: F,
    /// The capacity written in the header.
    header_capacity: u64,
    /// Where frames must end: the header's capacity, or the file's length if shorter.
    limit: u64,
    epoch: u64,
    /// Where the next frame goes.
    end: u64,
    /// The checksum of the last frame of this epoch (0 before the first).
    prev: u64,
    /// A group's frames, built here and written at once.
    buf: Vec<u8>,
    /// Why the journal refuses every call, once a sync or checkpoint failed.
    broken: Option<String>,
    /// How far the next write zeroes after its frames: past what a failed write may have left,
    /// or past the torn or damaged frames [`open`](Self::open) stopped on.
    dirty_until: u64,
}

impl<F: JournalFile> Journal<F> {
    /// Makes `file` an empty journal of `capacity` bytes (rounded down to a multiple of 8) at
    /// epoch 1: writes zeroes over all of it (so the file's blocks are allocated now, not on
    /// the appends), cuts anything beyond, writes the header and syncs.
    pub(crate) fn create(mut file: F, capacity: u64) -> Result<Self, JournalError> {
        let capacity = capacity & !7;
        if capacity < MIN_CAPACITY {
            return Err(JournalError::TooSmall {
                capacity,
                min: MIN_CAPACITY,
            });
        }
        let zeroes = vec![0u8; ZERO_CHUNK];
        let mut at = 0;
        while at < capacity {
            let n = (capacity - at).min(ZERO_CHUNK as u64) as usize;
            file.write_all_at(&zeroes[..n], at)
                .map_err(io_at("write", at))?;
            at += n as u64;
        }
        file.set_len(capacity).map_err(io_at("resize", capacity))?;
        let epoch = 1;
        let slot = slot_of(epoch);
        file.write_all_at(&encode_header(epoch, capacity), slot)
            .map_err(io_at("write the header of", slot))?;
        file.sync_data().map_err(io_at("sync", 0))?;
        Ok(Self {
            file,
            header_capacity: capacity,
            limit: capacity,
            epoch,
            end: DATA_START,
            prev: 0,
            buf: Vec::new(),
            broken: None,
            dirty_until: 0,
        })
    }

    /// Opens the journal in `file` and replays it: the entries of the current epoch still
    /// pending, and what was dropped. Appending resumes after the last whole group.
    ///
    /// A file shorter than its header says is read to its end, and appends stop there.
    pub(crate) fn open(file: F) -> Result<(Self, Replay), JournalError> {
        let (epoch, header_capacity) = read_header(&file)?;
        let len = file.len().map_err(io_at("read the length of", 0))?;
        let limit = header_capacity.min(len) & !7;
        let (replay, prev) = replay::scan(&file, epoch, limit)?;
        // Frames after a stop, within the window the replay looks at, are zeroed by the first
        // append, so they are not taken for damage by the next replay.
        let dirty_until = match &replay.dropped {
            Some(dropped) => (dropped.offset + replay::PROBE_WINDOW).min(limit),
            None => 0,
        };
        let journal = Self {
            file,
            header_capacity,
            limit,
            epoch,
            end: replay.end,
            prev,
            buf: Vec::new(),
            broken: None,
            dirty_until,
        };
        Ok((journal, replay))
    }

    /// Appends a group in one positioned write, then syncs it if `sync`; returns where the
    /// group lies in the file. An empty group writes nothing.
    ///
    /// When the group does not fit, nothing is written and [`JournalError::Full`] says so. When
    /// the write fails the journal stays usable: the next append goes where this one went. When
    /// the sync fails the journal is broken (see [`JournalError::Broken`]).
    #[cfg(test)]
    pub(crate) fn append(
        &mut self,
        group: &[Entry<'_>],
        sync: bool,
    ) -> Result<Range<u64>, JournalError> {
        self.append_after_delivered(&[], group, sync)
    }

    /// As [`append`](Self::append), with a frame of delivered markers for `delivered` (as
    /// [`append_delivered`](Self::append_delivered) writes) before the group, in the same
    /// write; the range returned starts at the group's first frame.
    pub(crate) fn append_after_delivered(
        &mut self,
        delivered: &[u64],
        group: &[Entry<'_>],
        sync: bool,
    ) -> Result<Range<u64>, JournalError> {
        self.usable()?;
        if group.is_empty() && delivered.is_empty() {
            return Ok(self.end..self.end);
        }
        let payload: Vec<u8> = delivered.iter().flat_map(|seq| seq.to_le_bytes()).collect();
        let mut needed = if delivered.is_empty() {
            0
        } else {
            frame_size(checked_len(payload.len())?)
        };
        for (_, parts) in group {
            let len = parts.iter().map(|part| part.len()).sum::<usize>();
            needed += frame_size(checked_len(len)?);
        }
        self.fits(needed)?;
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let mut prev = self.prev;
        if !delivered.is_empty() {
            prev = push_frame(
                &mut buf,
                self.epoch,
                prev,
                KIND_DELIVERED,
                FLAG_GROUP_END,
                0,
                &[&payload],
            );
        }
        let markers = buf.len() as u64;
        for (i, (seq, parts)) in group.iter().enumerate() {
            let flags = if i + 1 == group.len() {
                FLAG_GROUP_END
            } else {
                0
            };
            prev = push_frame(&mut buf, self.epoch, prev, KIND_ENTRY, flags, *seq, parts);
        }
        let written = self.write(&mut buf, prev);
        self.buf = buf;
        let range = written?;
        if sync {
            self.sync()?;
        }
        Ok(range.start + markers..range.end)
    }

    /// Appends one frame naming entries delivered (removed from what is pending), without a
    /// sync: a crash may lose it, and the entries are then replayed again.
    pub(crate) fn append_delivered(&mut self, seqs: &[u64]) -> Result<(), JournalError> {
        self.usable()?;
        if seqs.is_empty() {
            return Ok(());
        }
        let payload: Vec<u8> = seqs.iter().flat_map(|seq| seq.to_le_bytes()).collect();
        self.fits(frame_size(checked_len(payload.len())?))?;
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let prev = push_frame(
            &mut buf,
            self.epoch,
            self.prev,
            KIND_DELIVERED,
            FLAG_GROUP_END,
            0,
            &[&payload],
        );
        let written = self.write(&mut buf, prev);
        self.buf = buf;
        written.map(|_| ())
    }

    /// Best effort after a failed append or sync: writes zeroes over this epoch from `from`
    /// (where the failed group starts) to as far as that group reached, and syncs, so no replay
    /// (this process's when it reads the file again, or the next process's) finds a group the
    /// caller was told was not made durable. Failures are ignored: the disk is failing already,
    /// and a group whose bytes did not reach the file is not replayed anyway.
    pub(crate) fn unwrite(&mut self, from: u64) {
        let to = self.end.max(self.dirty_until).min(self.limit);
        if from < DATA_START || to <= from {
            return;
        }
        let zeroes = vec![0u8; (to - from) as usize];
        if self.file.write_all_at(&zeroes, from).is_ok() {
            let _ = self.file.sync_data();
        }
    }

    /// Makes every append so far durable with one `sync_data`. On failure the journal is
    /// broken (see [`JournalError::Broken`]).
    pub(crate) fn sync(&mut self) -> Result<(), JournalError> {
        self.usable()?;
        if let Err(source) = self.file.sync_data() {
            self.broken = Some(format!("a sync failed: {source}"));
            return Err(JournalError::Io {
                op: "sync",
                offset: self.end,
                source,
            });
        }
        Ok(())
    }

    /// Starts epoch `epoch` (after the current one): writes and syncs the header, and appends
    /// again from the front. Everything appended before is dropped from the replay, so move
    /// what is still pending elsewhere first. On failure the journal is broken (the header on
    /// disk may name either epoch).
    pub(crate) fn checkpoint(&mut self, epoch: u64) -> Result<(), JournalError> {
        self.usable()?;
        if epoch <= self.epoch {
            return Err(JournalError::EpochNotAfter {
                current: self.epoch,
                asked: epoch,
            });
        }
        let slot = slot_of(epoch);
        // The header, synced; then a zero frame header at the front (unsynced: a frame of an
        // earlier epoch there ends the replay as well), so the new epoch reads as empty even
        // when the old one's first frame was torn.
        let result = self
            .file
            .write_all_at(&encode_header(epoch, self.header_capacity), slot)
            .map_err(io_at("write the header of", slot))
            .and_then(|()| self.file.sync_data().map_err(io_at("sync", slot)))
            .and_then(|()| {
                self.file
                    .write_all_at(&[0; FRAME_HEAD], DATA_START)
                    .map_err(io_at("write", DATA_START))
            });
        if let Err(err) = result {
            self.broken = Some(format!("a checkpoint to epoch {epoch} failed: {err}"));
            return Err(err);
        }
        self.epoch = epoch;
        self.end = DATA_START;
        self.prev = 0;
        self.dirty_until = 0;
        Ok(())
    }

    /// The bytes frames may take in all: the file's capacity.
    pub(crate) fn capacity(&self) -> u64 {
        self.limit.saturating_sub(DATA_START)
    }

    /// The bytes left for frames before the end of the file.
    pub(crate) fn room(&self) -> u64 {
        self.limit.saturating_sub(self.end)
    }

    /// The current epoch.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Where the next frame goes.
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// The file.
    #[cfg(test)]
    pub(crate) fn file(&self) -> &F {
        &self.file
    }

    /// The `len` bytes of a payload of this epoch at `offset` (as an append placed them), read
    /// back with its frame and checked against the frame's checksum: bytes changed since the
    /// append (the disk gave back others) are an error, never taken as the message (a
    /// checkpoint would write them into redb under a new checksum).
    pub(crate) fn read_at(&self, offset: u64, len: u32) -> Result<Vec<u8>, JournalError> {
        let start = offset.saturating_sub(FRAME_HEAD as u64);
        let mut frame = vec![0; FRAME_HEAD + len as usize];
        self.file
            .read_exact_at(&mut frame, start)
            .map_err(io_at("read", start))?;
        let sum = u64::from_le_bytes(frame[..8].try_into().unwrap_or([0; 8]));
        if offset < DATA_START + FRAME_HEAD as u64
            || xxh3_64_with_seed(&frame[8..], self.epoch) != sum
        {
            return Err(JournalError::Damaged { offset: start });
        }
        frame.drain(..FRAME_HEAD);
        Ok(frame)
    }

    /// Whether an earlier failure makes the journal refuse every call.
    pub(crate) fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    fn usable(&self) -> Result<(), JournalError> {
        match &self.broken {
            Some(reason) => Err(JournalError::Broken {
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    fn fits(&self, needed: u64) -> Result<(), JournalError> {
        let room = self.room();
        if needed > room {
            return Err(JournalError::Full { needed, room });
        }
        Ok(())
    }

    /// Writes the frames in `buf` at the end, followed by zeroes: a zero frame header (so the
    /// epoch's frames end in zeroes even over older frames: anything else there is a torn or
    /// damaged write), and up to [`dirty_until`](Self::dirty_until) (so no frame left by a
    /// failed or torn write lies after them). On success the end moves past the frames and
    /// `prev` is the checksum of the last.
    fn write(&mut self, buf: &mut Vec<u8>, prev: u64) -> Result<Range<u64>, JournalError> {
        let start = self.end;
        let len = buf.len() as u64;
        let clear_to = (start + len + FRAME_HEAD as u64)
            .max(self.dirty_until)
            .min(self.limit);
        if clear_to > start + len {
            buf.resize((clear_to - start) as usize, 0);
        }
        if let Err(source) = self.file.write_all_at(buf, start) {
            self.dirty_until = self.dirty_until.max(start + buf.len() as u64);
            return Err(JournalError::Io {
                op: "write",
                offset: start,
                source,
            });
        }
        self.dirty_until = 0;
        self.end = start + len;
        self.prev = prev;
        Ok(start..self.end)
    }
}

/// Maps an I/O error to [`JournalError::Io`].
fn io_at(op: &'static str, offset: u64) -> impl FnOnce(io::Error) -> JournalError {
    move |source| JournalError::Io { op, offset, source }
}

/// A payload's length, refused when a frame cannot hold it.
fn checked_len(len: usize) -> Result<u32, JournalError> {
    u32::try_from(len).map_err(|_| JournalError::TooLarge { len })
}

/// A frame's size in the file.
pub(crate) fn frame_size(len: u32) -> u64 {
    FRAME_HEAD as u64 + u64::from(len).div_ceil(8) * 8
}

/// The header slot of `epoch`.
fn slot_of(epoch: u64) -> u64 {
    HEADER_SLOTS[(epoch % 2) as usize]
}

/// Appends a frame to `buf`; returns its checksum. The payload's length was checked.
fn push_frame(
    buf: &mut Vec<u8>,
    epoch: u64,
    prev: u64,
    kind: u8,
    flags: u8,
    seq: u64,
    parts: &[&[u8]],
) -> u64 {
    let start = buf.len();
    let len = parts.iter().map(|part| part.len()).sum::<usize>();
    buf.extend_from_slice(&[0; 8]);
    buf.extend_from_slice(&prev.to_le_bytes());
    buf.extend_from_slice(&(len as u32).to_le_bytes());
    buf.extend_from_slice(&[kind, flags, 0, 0]);
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend_from_slice(&epoch.to_le_bytes());
    for part in parts {
        buf.extend_from_slice(part);
    }
    let sum = xxh3_64_with_seed(&buf[start + 8..], epoch);
    buf[start..start + 8].copy_from_slice(&sum.to_le_bytes());
    buf.resize(start + frame_size(len as u32) as usize, 0);
    sum
}

/// A header slot for `epoch`.
fn encode_header(epoch: u64, capacity: u64) -> [u8; HEADER_LEN] {
    let mut header = [0u8; HEADER_LEN];
    header[0..8].copy_from_slice(&MAGIC);
    header[8..12].copy_from_slice(&JOURNAL_FORMAT.to_le_bytes());
    header[16..24].copy_from_slice(&epoch.to_le_bytes());
    header[24..32].copy_from_slice(&capacity.to_le_bytes());
    let sum = xxh3_64_with_seed(&header[..32], 0);
    header[32..40].copy_from_slice(&sum.to_le_bytes());
    header
}

/// What a header slot holds.
enum Slot {
    /// A header: its epoch and capacity.
    Valid { epoch: u64, capacity: u64 },
    /// A header of another format.
    Format(u32),
    /// The magic, and a checksum that does not match.
    Damaged,
    /// No magic.
    Empty,
}

fn decode_header(header: &[u8; HEADER_LEN]) -> Slot {
    if header[0..8] != MAGIC {
        return Slot::Empty;
    }
    let word = |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().unwrap_or([0; 8]));
    if xxh3_64_with_seed(&header[..32], 0) != word(32) {
        return Slot::Damaged;
    }
    let format = u32::from_le_bytes(header[8..12].try_into().unwrap_or([0; 4]));
    if format != JOURNAL_FORMAT {
        return Slot::Format(format);
    }
    Slot::Valid {
        epoch: word(16),
        capacity: word(24),
    }
}

/// The epoch and capacity of the valid header slot with the higher epoch.
fn read_header<F: JournalFile>(file: &F) -> Result<(u64, u64), JournalError> {
    let mut best: Option<(u64, u64)> = None;
    let mut format = None;
    let mut damaged = false;
    for slot in HEADER_SLOTS {
        let mut header = [0u8; HEADER_LEN];
        if let Err(source) = file.read_exact_at(&mut header, slot) {
            if source.kind() == io::ErrorKind::UnexpectedEof {
                return Err(JournalError::NotAJournal {
                    reason: "it is shorter than a journal's header".into(),
                });
            }
            return Err(JournalError::Io {
                op: "read the header of",
                offset: slot,
                source,
            });
        }
        match decode_header(&header) {
            Slot::Valid { epoch, capacity } => {
                if best.is_none_or(|(best_epoch, _)| epoch > best_epoch) {
                    best = Some((epoch, capacity));
                }
            }
            Slot::Format(found) => format = Some(found),
            Slot::Damaged => damaged = true,
            Slot::Empty => {}
        }
    }
    match (best, format) {
        (Some(found), _) => Ok(found),
        (None, Some(found)) => Err(JournalError::Format {
            found,
            expected: JOURNAL_FORMAT,
        }),
        (None, None) if damaged => Err(JournalError::NotAJournal {
            reason: "both header slots are damaged".into(),
        }),
        (None, None) => Err(JournalError::NotAJournal {
            reason: "no header slot has the journal's magic".into(),
        }),
    }
}
