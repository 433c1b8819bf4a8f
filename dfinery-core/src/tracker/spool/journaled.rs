//! The spool's journal in use (spool format 3): the writer thread appends the messages it is
//! handed to a journal file beside the redb file (`<name>-journal`, format in `journal.rs`),
//! one group per commit in one write and one `sync_data`, and names the messages delivered in
//! unsynced markers there. The redb file is written only for what must outlive the journal:
//! the dead letters and unreadable entries, and the messages still pending when the journal
//! is full, when the spool is closed, or when its journal file was deleted or replaced; they
//! are moved into redb batches in one synced transaction, and the journal then starts a new
//! epoch from its front (a checkpoint).
//!
//! Opening the spool (and opening it again after a failed write) reads the journal and moves
//! what it holds still pending into redb the same way, leaving out a message redb holds
//! already (moved there by a checkpoint that ended before the journal's new epoch was
//! written), dead-lettered or set aside; so after an open everything pending is in redb, as
//! format 2 kept it, and the recovery reads it from there.
//!
//! Why: a commit of a group of awaited messages into redb costs the store's own work (about
//! 235 µs of CPU per 100 messages, measured) besides the disk's sync, and that bound the
//! spool at about half the in-memory tracker's rate; appending to a preallocated file costs
//! one write and one sync (BENCHMARKS.md, "The ceiling of a log-structured spool, measured a
//! third time").

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use redb::{Database, Durability, ReadableDatabase};

use super::batch::{self, Index, Pieces};
use super::follow::{self, FileId};
use super::journal::{self, FRAME_HEAD, Journal, JournalError, JournalFile, frame_size};
use super::{BATCHES, DEAD_LETTERS, Store, UNREADABLE};

/// The size of a new journal: small, so a spool that sees little traffic takes little room.
/// A journal that fills again within [`GROW_WITHIN`] of its last checkpoint is replaced by a
/// larger one at that checkpoint, up to [`MAX_JOURNAL_CAPACITY`].
pub(super) const JOURNAL_CAPACITY: u64 = 1 << 20;

/// The largest journal: room for about 70,000 purchases of 900 bytes between checkpoints, so
/// at 200,000 events a second a checkpoint comes about every third of a second and moves only
/// the messages in flight then (at most the queue's cap, 10,000 by default) into redb.
pub(super) const MAX_JOURNAL_CAPACITY: u64 = 64 << 20;

/// How long after a failure to grow the journal (no room for the larger file, say) it is not
/// tried again.
const GROW_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// A journal full again this soon after its last checkpoint grows (see [`JOURNAL_CAPACITY`]).
const GROW_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// Opens the journal file at a path for reading and writing (it exists).
pub(super) type OpenJournal =
    Arc<dyn Fn(&Path) -> io::Result<Box<dyn JournalFile + Send>> + Send + Sync>;

/// How a spool uses its journal.
pub(crate) struct JournalSource {
    /// The journal file: `<spool>-journal`, absolute.
    pub(super) path: PathBuf,
    /// Opens it. `None` for the spools opened on a storage backend
    /// ([`Spool::open_with_backend`](super::Spool::open_with_backend)): they write their
    /// messages into redb, and a journal found at open is read into redb, then removed.
    pub(super) open: Option<OpenJournal>,
    /// The size of a journal created.
    pub(super) capacity: u64,
}

impl JournalSource {
    /// The journal of the spool at `spool` (absolute), opened as a plain file.
    pub(super) fn beside(spool: &Path) -> JournalSource {
        JournalSource {
            path: journal_path(spool),
            open: Some(Arc::new(|path: &Path| {
                let file = OpenOptions::new().read(true).write(true).open(path)?;
                Ok(Box::new(file) as Box<dyn JournalFile + Send>)
            })),
            capacity: JOURNAL_CAPACITY,
        }
    }
}

/// `<name>-journal` beside the spool file `<name>`.
pub(crate) fn journal_path(spool: &Path) -> PathBuf {
    let mut name = spool.file_name().unwrap_or_default().to_os_string();
    name.push("-journal");
    spool.with_file_name(name)
}

/// A map keyed by sequence number, hashed with one multiplication: the writer looks one up
/// per message it settles, and the numbers are consecutive, chosen by no adversary.
type SeqMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<SeqHasher>>;

/// The hasher of [`SeqMap`]: a sequence number times an odd constant (Fibonacci hashing), whose
/// high bits the map uses.
#[derive(Debug, Default, Clone, Copy)]
struct SeqHasher(u64);

impl std::hash::Hasher for SeqHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Where a message pending in the journal is.
#[derive(Debug, Clone, Copy)]
struct Live {
    /// Its bytes' offset in the file.
    at: u64,
    /// Their length.
    len: u32,
    /// The group (commit) that appended it: a checkpoint moves each group into a batch of its
    /// own, as format 2 wrote one per commit, so damage to one batch reaches one commit's
    /// messages only.
    group: u64,
}

/// The writer's journal: the file, and where each message pending in it is.
pub(super) struct Journaled {
    journal: Journal<Box<dyn JournalFile + Send>>,
    /// Messages pending in the journal: sequence number → where its bytes are, and their
    /// length.
    live: SeqMap<Live>,
    /// The greatest sequence number appended since the journal was opened (0 before).
    last_appended: u64,
    /// The number of the next group appended.
    next_group: u64,
    /// Messages of redb delivered (named by a marker here), by batch, with their lengths: no
    /// longer in the index, deleted from their rows by the next checkpoint.
    redb_settled: HashMap<u64, Vec<(u64, u32)>>,
    /// The file opened (device and inode), to see it deleted or replaced.
    file_id: Option<FileId>,
    /// Where the file is and how it is opened, to replace it by a larger one.
    path: PathBuf,
    open: OpenJournal,
    /// When the journal last started a new epoch.
    last_checkpoint: std::time::Instant,
    /// When growing it last failed (see [`GROW_RETRY_AFTER`]).
    grow_failed: Option<std::time::Instant>,
}

impl Journaled {
    /// The length of message `seq` when it is pending in the journal.
    pub(super) fn len_of(&self, seq: u64) -> Option<u32> {
        self.live.get(&seq).map(|live| live.len)
    }

    /// Messages pending in the journal, and their bytes.
    pub(super) fn totals(&self) -> (u64, u64) {
        let bytes = self.live.values().map(|live| u64::from(live.len)).sum();
        (self.live.len() as u64, bytes)
    }

    /// Up to `limit` messages pending in the journal with sequence numbers in `range`, in
    /// order, read back from the file.
    pub(super) fn read_range(
        &self,
        range: std::ops::RangeInclusive<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, String> {
        let mut wanted: Vec<(u64, Live)> = self
            .live
            .iter()
            .filter(|(seq, _)| range.contains(seq))
            .map(|(seq, live)| (*seq, *live))
            .collect();
        wanted.sort_unstable_by_key(|(seq, _)| *seq);
        wanted
            .into_iter()
            .take(limit)
            .map(|(seq, live)| {
                self.journal
                    .read_at(live.at, live.len)
                    .map(|bytes| (seq, bytes))
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    /// A sequence number at or above every message pending in the journal (0 when none was
    /// appended).
    pub(super) fn last_seq(&self) -> u64 {
        self.last_appended
    }

    /// The journal's part of a commit: `fresh` appended as one group, the messages of
    /// `settled` named delivered, and a sync when `sync`. When the journal is full, everything
    /// pending in it and `fresh` are moved into redb instead and the journal starts afresh.
    pub(super) fn append(
        &mut self,
        db: &Database,
        index: &mut Index,
        fresh: &[(u64, Pieces<'_>)],
        settled: &[(u64, u32)],
        sync: bool,
    ) -> Result<(), String> {
        for (seq, _) in settled {
            if self.live.remove(seq).is_none()
                && let Some(loc) = index.entries.remove(seq)
            {
                self.redb_settled
                    .entry(loc.batch)
                    .or_default()
                    .push((*seq, loc.len));
            }
        }
        let mut written = false;
        // Where this commit's group starts: zeroed if its write or sync fails.
        let start = self.journal.end();
        let result = (|| {
            // The markers first, in the same write: a message written again after a failed
            // commit is named by a marker (its earlier copy) and appended anew in the same
            // commit, and the replay takes the frames in order.
            let seqs: Vec<u64> = settled.iter().map(|(seq, _)| *seq).collect();
            if !fresh.is_empty() {
                let group: Vec<journal::Entry<'_>> = fresh
                    .iter()
                    .map(|(seq, pieces)| (*seq, &pieces[..]))
                    .collect();
                let range = self.journal.append_after_delivered(&seqs, &group, false)?;
                let mut at = range.start;
                let group = self.next_group;
                self.next_group += 1;
                for (seq, pieces) in fresh {
                    let len = batch::pieces_len(pieces) as u32;
                    let live = Live {
                        at: at + FRAME_HEAD as u64,
                        len,
                        group,
                    };
                    self.live.insert(*seq, live);
                    self.last_appended = self.last_appended.max(*seq);
                    at += frame_size(len);
                }
                written = true;
            } else if !seqs.is_empty() {
                self.journal.append_delivered(&seqs)?;
            }
            if sync && (!fresh.is_empty() || !settled.is_empty()) {
                self.journal.sync()?;
            }
            Ok::<(), JournalError>(())
        })();
        match result {
            Ok(()) => Ok(()),
            Err(JournalError::Full { .. }) => {
                let extra = if written { &[][..] } else { fresh };
                let filled_in = self.last_checkpoint.elapsed();
                let grow =
                    filled_in < GROW_WITHIN && self.journal.capacity() < MAX_JOURNAL_CAPACITY;
                self.move_to_redb(db, index, extra)?;
                if grow {
                    self.grow(filled_in)?;
                }
                Ok(())
            }
            Err(error) => {
                // The messages of a failed group are refused (or written again): a replay must
                // not find them.
                if matches!(error, JournalError::Io { .. }) {
                    self.journal.unwrite(start);
                }
                Err(error.to_string())
            }
        }
    }

    /// Whether a failed sync or checkpoint broke the journal: only opening the files again
    /// mends it.
    pub(super) fn is_broken(&self) -> bool {
        self.journal.is_broken()
    }

    /// Whether the journal holds anything since its last checkpoint.
    pub(super) fn is_clean(&self) -> bool {
        self.live.is_empty()
            && self.redb_settled.is_empty()
            && self.journal.end() == journal::DATA_START
    }

    /// A checkpoint: every message pending in the journal, and `extra` (not in it), moved into
    /// redb batches, and the messages of redb delivered deleted from theirs, in one synced
    /// transaction; then the journal's next epoch, empty.
    pub(super) fn move_to_redb(
        &mut self,
        db: &Database,
        index: &mut Index,
        extra: &[(u64, Pieces<'_>)],
    ) -> Result<(), String> {
        // By group, each in sequence order; `extra` last, as a group of its own.
        let mut groups: BTreeMap<u64, Vec<(u64, Vec<u8>)>> = BTreeMap::new();
        for (seq, live) in &self.live {
            let bytes = self
                .journal
                .read_at(live.at, live.len)
                .map_err(|e| e.to_string())?;
            groups.entry(live.group).or_default().push((*seq, bytes));
        }
        for group in groups.values_mut() {
            group.sort_unstable_by_key(|(seq, _)| *seq);
        }
        let mut batches: Vec<Vec<(u64, Pieces<'_>)>> = groups
            .values()
            .map(|group| {
                group
                    .iter()
                    .map(|(seq, bytes)| (*seq, batch::whole(bytes)))
                    .collect()
            })
            .collect();
        batches.push(extra.to_vec());
        for seqs in self.redb_settled.values_mut() {
            seqs.sort_unstable();
        }
        write_batches(db, index, &self.redb_settled, &batches).map_err(|e| e.to_string())?;
        self.live.clear();
        self.redb_settled.clear();
        let epoch = self.journal.epoch() + 1;
        self.last_checkpoint = std::time::Instant::now();
        self.journal.checkpoint(epoch).map_err(|e| e.to_string())
    }

    /// Replaces the journal, just checkpointed (nothing in it counts), by a larger one renamed
    /// over it: large enough to fill in [`GROW_WITHIN`] at the rate it filled in `filled_in`
    /// (a power of two, at least twice its size and at least [`JOURNAL_CAPACITY`], at most
    /// [`MAX_JOURNAL_CAPACITY`]), so a busy spool grows in one step rather than in a checkpoint
    /// per doubling, and a journal found cut short (too short to hold a frame, whose double
    /// would still be) is replaced by one of the usual size.
    fn grow(&mut self, filled_in: std::time::Duration) -> Result<(), String> {
        let factor = (GROW_WITHIN.as_secs_f64() / filled_in.as_secs_f64().max(1e-6))
            .ceil()
            .clamp(2.0, 1024.0) as u64;
        let capacity = (self.journal.capacity() * factor)
            .next_power_of_two()
            .clamp(JOURNAL_CAPACITY, MAX_JOURNAL_CAPACITY)
            + journal::DATA_START;
        if self
            .grow_failed
            .is_some_and(|at| at.elapsed() < GROW_RETRY_AFTER)
        {
            return Ok(());
        }
        match create(&self.path, capacity) {
            Ok(()) => {}
            Err(NotCreated::Aside { reason, .. }) => {
                // The journal at the path is still the one open (the new one is made aside and
                // renamed only when whole): it goes on at its size.
                tracing::warn!(
                    path = %self.path.display(),
                    %reason,
                    "the spool's journal could not grow; it goes on at its size (tried again in a minute)"
                );
                self.grow_failed = Some(std::time::Instant::now());
                return Ok(());
            }
            // Renamed over the old one, but a power loss may undo that: the commit fails, and
            // the writer reads the files afresh before the next.
            Err(NotCreated::NotDurable(reason)) => return Err(reason),
        }
        // Renamed over the old one: from here the new file is the journal, so a failure to
        // open it fails the commit, and the writer reads the files afresh before the next.
        let file = (self.open)(&self.path).map_err(|e| {
            format!(
                "the journal `{}` could not be opened: {e}",
                self.path.display()
            )
        })?;
        let (journal, _) = Journal::open(file)
            .map_err(|e| format!("the journal `{}` cannot be read: {e}", self.path.display()))?;
        self.journal = journal;
        self.file_id = follow::file_id(&self.path);
        tracing::debug!(path = %self.path.display(), capacity, "the spool's journal grew");
        Ok(())
    }
}

/// Takes the messages of `settled` (by batch) out of their redb rows and writes each list of
/// `groups` (each in sequence order) into new batches of its own, in one synced transaction;
/// the index follows.
fn write_batches(
    db: &Database,
    index: &mut Index,
    settled: &HashMap<u64, Vec<(u64, u32)>>,
    groups: &[Vec<(u64, Pieces<'_>)>],
) -> Result<(), redb::Error> {
    if settled.is_empty() && groups.iter().all(Vec::is_empty) {
        return Ok(());
    }
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate)?;
    let mut rows = Vec::new();
    let dropped;
    {
        let mut batches = txn.open_table(BATCHES)?;
        dropped = super::commit::drop_from_rows(&mut batches, index, settled)?;
        let mut key = index.next_batch;
        for group in groups {
            let added = super::commit::insert_rows(&mut batches, key, group)?;
            key += added.len() as u64;
            rows.extend(added);
        }
    }
    txn.commit()?;
    dropped.apply(index, settled);
    for (key, entries) in rows {
        index.add(key, entries);
    }
    Ok(())
}

/// What a journal read at open held.
pub(super) struct Found {
    /// The journal, open for appending (`None` without one, or for the spools that do not
    /// use it).
    journal: Option<Journal<Box<dyn JournalFile + Send>>>,
    /// Whether a journal file was there to read.
    existed: bool,
    /// The messages it holds still pending, in sequence order.
    pub(super) entries: Vec<(u64, Vec<u8>)>,
    /// The messages it names delivered that it does not hold (they are in redb).
    delivered: Vec<u64>,
}

impl Found {
    /// The greatest sequence number read, pending or named delivered (0 when none): the
    /// damaged bytes found in redb at open are numbered after it, so none takes the number of a
    /// message the journal names delivered (a checkpoint cut short may have taken that message
    /// out of redb already, and [`settle`] would take the damaged bytes out in its place).
    pub(super) fn last_seq(&self) -> u64 {
        let pending = self.entries.last().map_or(0, |(seq, _)| *seq);
        let delivered = self.delivered.iter().copied().max().unwrap_or(0);
        pending.max(delivered)
    }
}

/// Why a journal could not be read: the reason, naming the file, and what kind of failure it
/// was (this process may not write it, or the disk is full: no damage).
#[derive(Debug)]
pub(super) struct ReadError {
    pub(super) reason: String,
    pub(super) cause: Cause,
}

/// What kind of failure a file's error is, for the advice given with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cause {
    /// Anything else: the file may be damaged.
    Other,
    /// This process may not write the file or its folder (permissions, a read-only file
    /// system).
    NotWritable,
    /// The disk (or the user's quota on it) is full.
    DiskFull,
    /// Something else than a file is at the journal's path (a folder, a device, a pipe): it is
    /// in the way, not damaged.
    InTheWay,
}

impl Cause {
    /// The kind of `error`.
    pub(super) fn of(error: &io::Error) -> Cause {
        match error.kind() {
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                Cause::NotWritable
            }
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Cause::DiskFull,
            _ => Cause::Other,
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl From<String> for ReadError {
    fn from(reason: String) -> Self {
        ReadError {
            reason,
            cause: Cause::Other,
        }
    }
}

impl From<ReadError> for String {
    fn from(error: ReadError) -> String {
        error.reason
    }
}

/// Opens (or creates) the journal of `source` and reads what it holds.
///
/// # Errors
///
/// Why it cannot be read or created, naming the file.
pub(super) fn read(source: &JournalSource) -> Result<Found, ReadError> {
    let path = &source.path;
    remove_half_made(path);
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a device, a pipe or a socket)"
        };
        return Err(ReadError {
            reason: format!(
                "its journal's path `{}` is {what}, which is in the way: the spool keeps its \
                 journal in a file of that name beside it; move it elsewhere (or give the \
                 spool another path)",
                path.display()
            ),
            cause: Cause::InTheWay,
        });
    }
    let existed = path.exists();
    let file: Box<dyn JournalFile + Send> =
        match &source.open {
            Some(open) => {
                if !existed {
                    create(path, source.capacity).map_err(|error| match error {
                        NotCreated::Aside { reason, cause } => ReadError { reason, cause },
                        other => ReadError::from(String::from(other)),
                    })?;
                }
                open(path).map_err(|e| ReadError {
                    reason: format!("the journal `{}` could not be opened: {e}", path.display()),
                    cause: Cause::of(&e),
                })?
            }
            None if existed => Box::new(File::open(path).map_err(|e| {
                format!("the journal `{}` could not be opened: {e}", path.display())
            })?),
            None => {
                return Ok(Found {
                    journal: None,
                    existed,
                    entries: Vec::new(),
                    delivered: Vec::new(),
                });
            }
        };
    let (journal, replay) = Journal::open(file)
        .map_err(|e| format!("the journal `{}` cannot be read: {e}", path.display()))?;
    if let Some(dropped) = &replay.dropped {
        if dropped.frames_after {
            tracing::error!(
                path = %path.display(),
                offset = dropped.offset,
                reason = %dropped.reason,
                unfinished = dropped.unfinished,
                "the spool's journal is damaged: what follows the damage is not read"
            );
        } else {
            tracing::debug!(
                path = %path.display(),
                offset = dropped.offset,
                reason = %dropped.reason,
                unfinished = dropped.unfinished,
                "the spool's journal ends in a write cut short (a crash): that group is left out"
            );
        }
    }
    Ok(Found {
        journal: source.open.is_some().then_some(journal),
        existed,
        entries: replay.entries,
        delivered: replay.delivered_elsewhere,
    })
}

/// Moves what `found` holds still pending into redb (leaving out what redb holds already,
/// dead-lettered or set aside) and starts the journal's next epoch, empty; or, for a spool that
/// does not use its journal, removes the file once read. Returns the journal to append to.
///
/// # Errors
///
/// Why the messages could not be moved or the journal started afresh.
pub(super) fn settle(
    source: &JournalSource,
    found: Found,
    db: &Database,
    index: &mut Index,
) -> Result<Option<Journaled>, String> {
    let fail = |e: &dyn std::fmt::Display| {
        format!(
            "the messages of the journal `{}` could not be moved into the spool: {e}",
            source.path.display()
        )
    };
    // The messages of redb it names delivered are deleted from their rows.
    let mut settled: HashMap<u64, Vec<(u64, u32)>> = HashMap::new();
    for seq in &found.delivered {
        if let Some(loc) = index.entries.get(seq) {
            settled.entry(loc.batch).or_default().push((*seq, loc.len));
        }
    }
    for seqs in settled.values_mut() {
        seqs.sort_unstable();
        seqs.dedup();
    }
    let mut moved: Vec<(u64, Pieces<'_>)> = Vec::new();
    if !found.entries.is_empty() {
        let known = {
            let txn = db.begin_read().map_err(|e| fail(&e))?;
            let dead = txn.open_table(DEAD_LETTERS).map_err(|e| fail(&e))?;
            let aside = txn.open_table(UNREADABLE).map_err(|e| fail(&e))?;
            let mut known = Vec::new();
            for (seq, _) in &found.entries {
                if index.entries.contains_key(seq)
                    || dead.get(seq).map_err(|e| fail(&e))?.is_some()
                    || aside.get(seq).map_err(|e| fail(&e))?.is_some()
                {
                    known.push(*seq);
                }
            }
            known
        };
        moved = found
            .entries
            .iter()
            .filter(|(seq, _)| known.binary_search(seq).is_err())
            .map(|(seq, bytes)| (*seq, batch::whole(bytes)))
            .collect();
    }
    write_batches(db, index, &settled, &[moved]).map_err(|e| fail(&e))?;
    let Some(mut journal) = found.journal else {
        if found.existed {
            std::fs::remove_file(&source.path).map_err(|e| fail(&e))?;
        }
        return Ok(None);
    };
    // A new epoch, written and synced, even over an empty one: the header read may be one
    // whose sync failed (a checkpoint's, before this open), which reads back from the page
    // cache though the disk never got it; groups appended under it would not be replayed
    // after a power loss. One header write and one sync per open.
    let epoch = journal.epoch() + 1;
    journal.checkpoint(epoch).map_err(|e| fail(&e))?;
    let Some(open) = source.open.clone() else {
        return Ok(None);
    };
    Ok(Some(Journaled {
        journal,
        live: SeqMap::default(),
        last_appended: 0,
        next_group: 0,
        redb_settled: HashMap::new(),
        file_id: follow::file_id(&source.path),
        path: source.path.clone(),
        open,
        last_checkpoint: std::time::Instant::now(),
        grow_failed: None,
    }))
}

/// Why [`create`] did not make a journal, naming the file.
enum NotCreated {
    /// Nothing was renamed: the path names what it named before. `cause`: what kind of
    /// failure it was (the folder or the files may not be written, the disk is full, …).
    Aside { reason: String, cause: Cause },
    /// The new journal is at the path, but its folder could not be synced: a power loss may
    /// undo the rename.
    NotDurable(String),
}

impl From<NotCreated> for String {
    fn from(error: NotCreated) -> String {
        match error {
            NotCreated::Aside { reason, .. } | NotCreated::NotDurable(reason) => reason,
        }
    }
}

/// `<journal>.new`: where [`create`] makes a journal before renaming it to `path`.
fn temporary_of(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    path.with_file_name(name)
}

/// Removes a journal [`create`] left under its temporary name: the process making it (a
/// larger one, say, up to [`MAX_JOURNAL_CAPACITY`]) died before renaming it, so it holds
/// nothing, and it would keep its disk space until the journal grew again. Called while the
/// spool's file is open, whose lock keeps any other process from making one now.
fn remove_half_made(path: &Path) {
    let temporary = temporary_of(path);
    if std::fs::symlink_metadata(&temporary).is_ok_and(|meta| meta.is_file())
        && std::fs::remove_file(&temporary).is_ok()
    {
        tracing::debug!(
            path = %temporary.display(),
            "removed a spool journal left half made (a process died while making it)"
        );
    }
}

/// Creates an empty journal at `path`: written whole under a temporary name, then renamed, so
/// the path never names a journal cut short.
fn create(path: &Path, capacity: u64) -> Result<(), NotCreated> {
    let temporary = temporary_of(path);
    let fail = |e: &dyn std::fmt::Display| {
        format!("the journal `{}` could not be created: {e}", path.display())
    };
    let made = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temporary)
        .map_err(|e| (fail(&e), Cause::of(&e)))
        .and_then(|file| {
            Journal::create(file, capacity).map_err(|e| {
                let cause = match &e {
                    JournalError::Io { source, .. } => Cause::of(source),
                    _ => Cause::Other,
                };
                (fail(&e), cause)
            })
        })
        .and_then(|_| std::fs::rename(&temporary, path).map_err(|e| (fail(&e), Cause::of(&e))));
    if let Err((reason, cause)) = made {
        // Nothing is left half made (a file cut short by a full disk, say).
        let _ = std::fs::remove_file(&temporary);
        return Err(NotCreated::Aside { reason, cause });
    }
    // Until the folder is synced, a power loss may undo the rename: the groups synced into
    // the new journal would then be lost with it.
    sync_folder(path)
        .map_err(|e| NotCreated::NotDurable(fail(&format!("its folder could not be synced: {e}"))))
}

/// Syncs the folder of `path`, so a rename (or link) into it is durable. A folder that cannot
/// be opened for it (a platform or file system without the call) is let be, with a warning.
pub(super) fn sync_folder(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        match File::open(folder) {
            Ok(folder) => folder.sync_all()?,
            Err(error) => tracing::warn!(
                folder = %folder.display(),
                %error,
                "cannot open the spool's folder to sync it: a power loss right after a \
                 spool file or journal was made may undo it"
            ),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Follows the journal's path, as `follow.rs` does the spool file's: when the journal was
/// deleted or replaced while open, what it holds pending is moved into redb, a foreign file at
/// its path is moved aside, and a new journal is created there. `Ok(true)` when it moved.
///
/// # Errors
///
/// Why the journal could not be followed; the open one is kept.
pub(super) fn follow_journal(store: &Store) -> Result<bool, String> {
    let Some(source) = &store.journal_source else {
        return Ok(false);
    };
    let db = store.db.read().unwrap_or_else(|e| e.into_inner());
    let Some(db) = db.as_ref() else {
        return Ok(false);
    };
    let mut index = store.index.lock().unwrap_or_else(|e| e.into_inner());
    let mut journal = store.journal.lock().unwrap_or_else(|e| e.into_inner());
    let Some(current) = journal.as_mut() else {
        return Ok(false);
    };
    let path = &source.path;
    let (found, aside) = match follow::identify(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => ("deleted", None),
        Err(_) => return Ok(false),
        Ok(now) => match (current.file_id, now) {
            (Some(ours), Some(now)) if ours != now => {
                let aside = follow::aside_path(path);
                std::fs::rename(path, &aside).map_err(|e| {
                    format!(
                        "the spool's journal was replaced by another file, which could not be \
                         moved aside to `{}`: {e}",
                        aside.display()
                    )
                })?;
                ("replaced", Some(aside))
            }
            _ => return Ok(false),
        },
    };
    let pending = current.live.len();
    // What it holds goes into redb; the old file (no longer at the path) is not written again.
    current.move_to_redb(db, &mut index, &[])?;
    let found_new = read(source)?;
    *journal = settle(source, found_new, db, &mut index)?;
    store.recreated.fetch_add(1, Ordering::Relaxed);
    tracing::error!(
        path = %path.display(),
        moved_aside = %aside.map(|a| a.display().to_string()).unwrap_or_default(),
        pending,
        "the spool's journal was {found} while open: what it held pending is moved into the \
         spool file, and a new journal is started at its path"
    );
    Ok(true)
}

/// Moves what the journal holds pending into redb before the file is closed, so a stopped
/// spool keeps every pending message in its redb file.
pub(super) fn close(store: &Store) {
    let db = store.db.read().unwrap_or_else(|e| e.into_inner());
    let Some(db) = db.as_ref() else {
        return;
    };
    let mut index = store.index.lock().unwrap_or_else(|e| e.into_inner());
    let mut journal = store.journal.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(current) = journal.as_mut()
        && !current.is_clean()
        && let Err(reason) = current.move_to_redb(db, &mut index, &[])
    {
        // The journal still holds them: the next open reads them from it.
        tracing::error!(
            path = %store.path.display(),
            %reason,
            "the spool's journal could not be moved into the spool file at close; the next \
             open reads it"
        );
    }
}

#[cfg(test)]
mod tests;
