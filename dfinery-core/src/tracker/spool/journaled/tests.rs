//! The spool with its journal: writes and syncs of the journal that fail, a journal that fills,
//! one deleted while open, one damaged, the files as a killed process leaves them, and a file of
//! format 2 moved to format 3.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata};

use super::super::tests::bury;
use super::super::{BATCHES, META, SPOOL_FORMAT, Spool, batch};
use super::{JournalFile, OpenJournal, journal_path};
use crate::Identifier;
use crate::encode::identity::Identity;
use crate::encode::value::Datetime;
use crate::tracker::message::{Envelope, Message};
use crate::tracker::spool::{Mode, Write};

fn path(name: &str) -> PathBuf {
    crate::tracker::test_files::path(name)
}

/// An envelope of `len` bytes or a little more, for user `u`.
fn entry(len: usize) -> Vec<u8> {
    serde_json::to_vec(&Envelope {
        identity: Identity::new(Identifier::ExternalId, "u".repeat(len.max(1))).unwrap(),
        message: Message::Identify {
            request_datetime: Datetime::from_unix_millis(0).unwrap(),
        },
    })
    .unwrap()
}

fn insert(seq: u64, len: usize) -> Write {
    Write::Insert {
        seq,
        bytes: entry(len).into(),
    }
}

fn pending(spool: &Spool) -> Vec<u64> {
    spool
        .read_pending(0, u64::MAX, usize::MAX)
        .unwrap()
        .iter()
        .map(|(seq, _)| *seq)
        .collect()
}

/// The batches in the redb file.
fn rows(spool: &Spool) -> u64 {
    let db = spool.store.db.read().unwrap();
    let txn = db.as_ref().unwrap().begin_read().unwrap();
    txn.open_table(BATCHES).unwrap().len().unwrap()
}

/// Faults a test turns on: the journal's writes, or its syncs, fail while set.
#[derive(Default)]
struct Faults {
    writes: AtomicBool,
    syncs: AtomicBool,
}

/// The journal file, failing as [`Faults`] says.
struct Faulty {
    file: File,
    faults: Arc<Faults>,
}

impl JournalFile for Faulty {
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        if self.faults.writes.load(Ordering::SeqCst) {
            return Err(io::Error::other("injected: the write failed"));
        }
        self.file.write_all_at(buf, offset)
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        JournalFile::read_exact_at(&self.file, buf, offset)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        if self.faults.syncs.load(Ordering::SeqCst) {
            return Err(io::Error::other("injected: the sync failed"));
        }
        JournalFile::sync_data(&mut self.file)
    }

    fn len(&self) -> io::Result<u64> {
        JournalFile::len(&self.file)
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        JournalFile::set_len(&mut self.file, len)
    }
}

fn faulty(faults: &Arc<Faults>) -> OpenJournal {
    let faults = Arc::clone(faults);
    Arc::new(move |path: &Path| {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        Ok(Box::new(Faulty {
            file,
            faults: Arc::clone(&faults),
        }) as Box<dyn JournalFile + Send>)
    })
}

#[test]
fn a_message_whose_journal_write_failed_is_refused_and_never_found_later() {
    let path = path("write-fails");
    let faults = Arc::new(Faults::default());
    let spool = Spool::open_with_journal(&path, faulty(&faults), 1 << 20).unwrap();
    spool.submit(vec![insert(1, 10)], Mode::Wait).unwrap();
    faults.writes.store(true, Ordering::SeqCst);
    let error = spool
        .submit(vec![insert(2, 10)], Mode::Wait)
        .unwrap_err()
        .to_string();
    assert!(error.contains("injected: the write failed"), "{error}");
    assert!(error.contains("not made durable"), "{error}");
    faults.writes.store(false, Ordering::SeqCst);
    // The next commit reads the files afresh first, then goes on.
    spool.submit(vec![insert(3, 10)], Mode::Wait).unwrap();
    assert_eq!(pending(&spool), [1, 3]);
    assert_eq!(spool.pending_len(), 2);
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    assert_eq!(
        pending(&spool),
        [1, 3],
        "2 was refused: never delivered later"
    );
}

/// A spool at a new path (named from `name`) with 1 and 2 synced, then its journal's syncs
/// failing (still on): the error that refused 3.
fn after_a_failed_sync(name: &str) -> (PathBuf, Arc<Faults>, Spool, String) {
    let path = path(name);
    let faults = Arc::new(Faults::default());
    let spool = Spool::open_with_journal(&path, faulty(&faults), 1 << 20).unwrap();
    spool
        .submit(vec![insert(1, 10), insert(2, 10)], Mode::Wait)
        .unwrap();
    faults.syncs.store(true, Ordering::SeqCst);
    let error = spool
        .submit(vec![insert(3, 10)], Mode::Wait)
        .unwrap_err()
        .to_string();
    (path, faults, spool, error)
}

#[test]
fn a_failed_sync_keeps_what_earlier_syncs_made_durable_and_refuses_the_rest() {
    let (path, faults, spool, error) = after_a_failed_sync("sync-fails");
    assert!(error.contains("injected: the sync failed"), "{error}");
    // While the disk fails, every awaited write is refused (the journal is read afresh before
    // each, and that needs a sync too).
    assert!(spool.submit(vec![insert(4, 10)], Mode::Wait).is_err());
    faults.syncs.store(false, Ordering::SeqCst);
    spool
        .submit(vec![insert(5, 10), Write::Remove(1)], Mode::Wait)
        .unwrap();
    assert_eq!(pending(&spool), [2, 5]);
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    assert_eq!(pending(&spool), [2, 5]);
}

#[test]
fn a_full_journal_moves_what_is_pending_into_the_file_and_nothing_is_lost_or_doubled() {
    let path = path("full");
    let spool = Spool::open(&path).unwrap();
    // About 1 KiB each in a journal of 1 MiB: it fills every ~1,000 messages. In commits of
    // 500, so that it fills within two syncs: well inside the second after its last
    // checkpoint that makes it grow, even on a loaded machine (a sync per message took longer).
    // Each commit delivers the messages of the one before, but for every tenth (a message
    // inserted and delivered in one commit would not be written at all).
    let mut expected = std::collections::BTreeSet::new();
    let seqs: Vec<u64> = (1..=3_000).collect();
    let mut before: &[u64] = &[];
    for group in seqs.chunks(500) {
        let mut writes: Vec<Write> = group.iter().map(|&seq| insert(seq, 1000)).collect();
        expected.extend(group.iter().copied());
        for &seq in before.iter().filter(|&&seq| seq % 10 != 0) {
            writes.push(Write::Remove(seq));
            expected.remove(&seq);
        }
        spool.submit(writes, Mode::Wait).unwrap();
        before = group;
    }
    assert!(rows(&spool) > 0, "checkpoints moved messages into the file");
    let expected: Vec<u64> = expected.into_iter().collect();
    assert_eq!(pending(&spool), expected);
    assert_eq!(spool.pending_len(), expected.len() as u64);
    // A delete of a message moved into the file: a marker, the row settled at the next
    // checkpoint (here, the close).
    spool.submit(vec![Write::Remove(10)], Mode::Wait).unwrap();
    let expected: Vec<u64> = expected.into_iter().filter(|&s| s != 10).collect();
    assert_eq!(pending(&spool), expected);
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    assert_eq!(pending(&spool), expected);
    assert_eq!(spool.pending_len(), expected.len() as u64);
    let capacity = std::fs::metadata(journal_path(&path)).unwrap().len();
    assert!(
        capacity > (1 << 20) + 4096,
        "a journal filled within a second of its last checkpoint grew: {capacity} bytes"
    );
}

#[test]
fn the_files_as_a_killed_process_leaves_them_hold_every_synced_message_once() {
    let path = path("killed");
    let spool = Spool::open(&path).unwrap();
    for seq in 1..=2_000_u64 {
        let mut writes = vec![insert(seq, 600)];
        if seq > 3 && seq % 7 != 0 {
            writes.push(Write::Remove(seq - 3));
        }
        spool.submit(writes, Mode::Wait).unwrap();
    }
    let expected = pending(&spool);
    // What the disk holds now, the tracker still running: no close moved the journal.
    let reopened = crash_copy(&path);
    assert_eq!(pending(&reopened), expected);
    assert_eq!(reopened.last_seq(), 2_000);
    drop(spool);
}

#[test]
fn a_journal_deleted_while_open_is_started_again_with_nothing_lost() {
    let path = path("journal-deleted");
    let spool = Spool::open(&path).unwrap();
    spool
        .submit((1..=5).map(|seq| insert(seq, 50)).collect(), Mode::Wait)
        .unwrap();
    std::fs::remove_file(journal_path(&path)).unwrap();
    spool.submit(vec![insert(6, 50)], Mode::Wait).unwrap();
    assert!(journal_path(&path).exists(), "a new journal at the path");
    assert_eq!(spool.recreated(), 1);
    assert_eq!(pending(&spool), [1, 2, 3, 4, 5, 6]);
    // A copy now (as a crash would leave it) holds all six: 1-5 moved into the file, 6 in
    // the new journal.
    assert_eq!(pending(&crash_copy(&path)), [1, 2, 3, 4, 5, 6]);
    drop(spool);
    assert_eq!(pending(&Spool::open(&path).unwrap()), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn a_damaged_journal_is_refused_with_its_path_never_started_over() {
    let path = path("journal-damaged");
    drop(Spool::open(&path).unwrap());
    std::fs::write(journal_path(&path), vec![0x5a; 8192]).unwrap();
    let error = Spool::open(&path).unwrap_err().to_string();
    assert!(
        error.contains(&*journal_path(&path).to_string_lossy()),
        "{error}"
    );
    assert!(error.contains("move it aside"), "{error}");
}

#[test]
fn a_spool_of_format_2_is_moved_to_format_3_with_every_message() {
    let path = path("format-2");
    {
        // Format 2: batches framed without checksums, and no journal.
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META).unwrap().insert("format", 2).unwrap();
        {
            let mut batches = txn.open_table(BATCHES).unwrap();
            for (key, seqs) in [(1_u64, 1..=3_u64), (2, 4..=5)] {
                let mut row = Vec::new();
                for seq in seqs {
                    let bytes = entry(seq as usize);
                    row.extend_from_slice(&seq.to_le_bytes());
                    row.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                    row.extend_from_slice(&bytes);
                }
                batches.insert(key, row.as_slice()).unwrap();
            }
        }
        txn.commit().unwrap();
    }
    let spool = Spool::open(&path).unwrap();
    let rows = spool.read_pending(0, u64::MAX, usize::MAX).unwrap();
    let expected: Vec<(u64, Vec<u8>)> = (1..=5).map(|seq| (seq, entry(seq as usize))).collect();
    assert_eq!(rows, expected);
    assert_eq!(spool.unreadable().unwrap(), []);
    {
        let db = spool.store.db.read().unwrap();
        let txn = db.as_ref().unwrap().begin_read().unwrap();
        let format = txn
            .open_table(META)
            .unwrap()
            .get("format")
            .unwrap()
            .unwrap()
            .value();
        assert_eq!(format, SPOOL_FORMAT);
        // Every row now framed with checksums.
        for row in txn.open_table(BATCHES).unwrap().iter().unwrap() {
            let (_, value) = row.unwrap();
            let mut entries = batch::Entries::new(value.value());
            assert!(entries.by_ref().count() > 0);
            assert_eq!(entries.damaged_at(), None);
        }
    }
    drop(spool);
    assert_eq!(pending(&Spool::open(&path).unwrap()), [1, 2, 3, 4, 5]);
}

/// A journal that fills fast but cannot grow (here a folder stands where its larger
/// replacement is made) goes on at its size: no commit fails, nothing is lost, and the file at
/// its path stays the journal in use.
#[test]
fn a_journal_that_cannot_grow_goes_on_at_its_size_with_nothing_lost() {
    let path = path("cannot-grow");
    let spool = Spool::open(&path).unwrap();
    let mut aside = journal_path(&path).into_os_string();
    aside.push(".new");
    std::fs::create_dir(&aside).unwrap();
    // In commits of 500 (the journal of 1 MiB fills every ~1,000 messages of ~1 KiB, so within
    // two syncs): it fills well inside the second that makes it try to grow, even on a loaded
    // machine. A sync per message could take longer than that second, and the journal then
    // never tried to grow: the test passed without reaching the failure it is about. Each
    // commit delivers the messages of the one before.
    let seqs: Vec<u64> = (1..=2_000).collect();
    let mut before: &[u64] = &[];
    for group in seqs.chunks(500) {
        let mut writes: Vec<Write> = group.iter().map(|&seq| insert(seq, 1000)).collect();
        writes.extend(before.iter().map(|&seq| Write::Remove(seq)));
        spool.submit(writes, Mode::Wait).unwrap();
        before = group;
    }
    let last: Vec<u64> = (1_501..=2_000).collect();
    assert_eq!(pending(&spool), last);
    assert_eq!(
        std::fs::metadata(journal_path(&path)).unwrap().len(),
        1 << 20,
        "still the first journal"
    );
    // The files as a crash would leave them hold what is pending.
    assert_eq!(pending(&crash_copy(&path)), last);
    drop(spool);
    assert_eq!(pending(&Spool::open(&path).unwrap()), last);
    std::fs::remove_dir(&aside).unwrap();
}

/// The files as a process killed now leaves them, opened as a copy.
fn crash_copy(path: &Path) -> Spool {
    let copy = path.with_extension("copy");
    let _ = std::fs::remove_file(journal_path(&copy));
    std::fs::copy(path, &copy).unwrap();
    std::fs::copy(journal_path(path), journal_path(&copy)).unwrap();
    Spool::open(&copy).unwrap()
}

#[test]
fn an_earlier_message_delivered_with_a_later_one_dead_lettered_is_never_pending_after_a_crash() {
    // Message 1 delivered (a journal marker), message 2 of the same user dead-lettered (a row of
    // redb), in one commit; the process dies after the redb transaction, before the journal's
    // marker is on disk (here: its write fails, and the files are copied then). Both messages
    // in the journal, then both moved into redb (by a reopen).
    for in_redb in [false, true] {
        let path = path("prefix");
        let faults = Arc::new(Faults::default());
        let mut spool = Spool::open_with_journal(&path, faulty(&faults), 1 << 20).unwrap();
        spool
            .submit(vec![insert(1, 10), insert(2, 10)], Mode::Wait)
            .unwrap();
        if in_redb {
            drop(spool);
            spool = Spool::open_with_journal(&path, faulty(&faults), 1 << 20).unwrap();
        }
        faults.writes.store(true, Ordering::SeqCst);
        let _ = spool.submit(vec![Write::Remove(1), bury(2)], Mode::Wait);
        let copy = crash_copy(&path);
        let dead: Vec<u64> = copy.dead_letters().unwrap().iter().map(|d| d.seq).collect();
        let pending = pending(&copy);
        assert!(
            !(pending.contains(&1) && dead.contains(&2)),
            "message 1 pending after message 2 was dead-lettered (in redb: {in_redb}): \
             pending {pending:?}, dead {dead:?}"
        );
    }
}

#[test]
fn damaged_bytes_are_never_numbered_as_a_message_the_journal_names_delivered() {
    // Messages 1-4 and 5-6 moved into redb (two rows) by a close; then 6 delivered, named by a
    // marker in the journal; the process dies in a checkpoint, after the redb transaction that
    // took 6 out of its row, before the journal's next epoch. And the first row is damaged.
    let path = path("numbered");
    {
        let spool = Spool::open(&path).unwrap();
        spool
            .submit((1..=4).map(|seq| insert(seq, 10)).collect(), Mode::Wait)
            .unwrap();
        spool
            .submit((5..=6).map(|seq| insert(seq, 10)).collect(), Mode::Wait)
            .unwrap();
    }
    let spool = Spool::open(&path).unwrap();
    spool.submit(vec![Write::Remove(6)], Mode::Wait).unwrap();
    let copy = path.with_extension("copy");
    let _ = std::fs::remove_file(journal_path(&copy));
    std::fs::copy(&path, &copy).unwrap();
    std::fs::copy(journal_path(&path), journal_path(&copy)).unwrap();
    drop(spool);
    {
        let db = Database::create(&copy).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(BATCHES).unwrap();
            let rows: Vec<(u64, Vec<u8>)> = table
                .iter()
                .unwrap()
                .map(|row| {
                    let (key, value) = row.unwrap();
                    (key.value(), value.value().to_vec())
                })
                .collect();
            assert_eq!(rows.len(), 2);
            // 6 taken out of the second row.
            let mut second = Vec::new();
            for (seq, bytes) in batch::Entries::new(&rows[1].1) {
                if seq != 6 {
                    batch::push(&mut second, seq, bytes);
                }
            }
            table.insert(rows[1].0, second.as_slice()).unwrap();
            // The third message's length in the first row made larger than the row.
            let mut first = rows[0].1.clone();
            let at: usize = batch::Entries::new(&first)
                .take(2)
                .map(|(_, b)| 20 + b.len())
                .sum();
            first[at + 16..at + 20].copy_from_slice(&u32::MAX.to_le_bytes());
            table.insert(rows[0].0, first.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let reopened = Spool::open(&copy).unwrap();
    // 1, 2, the damaged rest (for the tracker to set aside as unreadable), and 5.
    assert_eq!(reopened.pending_len(), 4, "{:?}", pending(&reopened));
    assert!(
        pending(&reopened).iter().all(|&seq| seq != 6),
        "the damaged rest is not numbered 6, the message the journal names delivered"
    );
}

#[test]
fn a_spool_file_deleted_while_open_counts_no_message_the_journal_names_delivered() {
    let path = path("file-deleted-count");
    drop(Spool::open(&path).unwrap());
    let spool = Spool::open(&path).unwrap();
    spool
        .submit((1..=3).map(|seq| insert(seq, 10)).collect(), Mode::Wait)
        .unwrap();
    // Moved into redb by a reopen; 1 delivered then, a marker in the journal.
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    spool.submit(vec![Write::Remove(1)], Mode::Wait).unwrap();
    assert_eq!(spool.pending_len(), 2);
    std::fs::remove_file(&path).unwrap();
    spool.submit(vec![insert(4, 10)], Mode::Wait).unwrap();
    assert_eq!(spool.recreated(), 1);
    assert_eq!(pending(&spool), [2, 3, 4]);
    assert_eq!(spool.pending_len(), 3, "1 was delivered");
    let bytes: u64 = spool
        .read_pending(0, u64::MAX, usize::MAX)
        .unwrap()
        .iter()
        .map(|(_, bytes)| bytes.len() as u64)
        .sum();
    assert_eq!(spool.pending_bytes(), bytes);
}

#[test]
fn a_message_whose_journal_sync_failed_is_not_found_by_the_next_process() {
    // The sync fails, the process stops right after (the refused caller's error its last
    // word); the write itself reached the file (the page cache), so a plain replay would find
    // the message and deliver it.
    let (path, faults, spool, error) = after_a_failed_sync("sync-fails-then-stops");
    assert!(error.contains("not made durable"), "{error}");
    faults.syncs.store(false, Ordering::SeqCst);
    drop(spool);
    assert_eq!(pending(&Spool::open(&path).unwrap()), [1, 2]);
}

#[test]
fn a_message_damaged_in_the_journal_is_never_moved_into_the_file_as_whole() {
    // A byte of the message flipped in the journal (the disk gave back other bytes) before the
    // checkpoint that moves it into redb, where a new checksum would cover the damage.
    let path = path("damaged-before-checkpoint");
    let spool = Spool::open(&path).unwrap();
    spool.submit(vec![insert(1, 10)], Mode::Wait).unwrap();
    {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(journal_path(&path))
            .unwrap();
        let at = super::journal::DATA_START + super::FRAME_HEAD as u64 + 5;
        let mut byte = [0u8];
        std::os::unix::fs::FileExt::read_exact_at(&file, &mut byte, at).unwrap();
        std::os::unix::fs::FileExt::write_all_at(&file, &[byte[0] ^ 0x20], at).unwrap();
    }
    // The close's checkpoint.
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    for (seq, bytes) in spool.read_pending(0, u64::MAX, usize::MAX).unwrap() {
        assert_eq!(
            bytes,
            entry(10),
            "message {seq} delivered with a byte changed"
        );
    }
}

/// What the disk under a journal file holds, as Linux treats a sync that fails: the pages the
/// failed write-back did not write are marked clean, so a later sync does not write them
/// again, and a power loss loses them, though reads see them until then.
#[derive(Default)]
struct Disk {
    /// The file's bytes on the disk: what the syncs that succeeded wrote.
    image: Vec<u8>,
    /// Writes since the last sync: (offset, bytes).
    unsynced: Vec<(u64, Vec<u8>)>,
    /// Whether one of them wrote a header (the first 4 KiB).
    header_unsynced: bool,
    /// The next sync after a header write fails (once).
    fail_header_sync: bool,
}

/// The journal file over a [`Disk`].
struct OnDisk {
    file: File,
    disk: Arc<std::sync::Mutex<Disk>>,
}

impl JournalFile for OnDisk {
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.file.write_all_at(buf, offset)?;
        let mut disk = self.disk.lock().unwrap();
        disk.unsynced.push((offset, buf.to_vec()));
        disk.header_unsynced |= offset < super::journal::DATA_START;
        Ok(())
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        JournalFile::read_exact_at(&self.file, buf, offset)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        let mut disk = self.disk.lock().unwrap();
        let unsynced = std::mem::take(&mut disk.unsynced);
        if std::mem::take(&mut disk.header_unsynced) && std::mem::take(&mut disk.fail_header_sync) {
            return Err(io::Error::other("injected: the sync of a header failed"));
        }
        for (offset, bytes) in unsynced {
            let (start, end) = (offset as usize, offset as usize + bytes.len());
            if disk.image.len() < end {
                disk.image.resize(end, 0);
            }
            disk.image[start..end].copy_from_slice(&bytes);
        }
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        JournalFile::len(&self.file)
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        JournalFile::set_len(&mut self.file, len)
    }
}

fn on_disk(disk: &Arc<std::sync::Mutex<Disk>>) -> OpenJournal {
    let disk = Arc::clone(disk);
    Arc::new(move |path: &Path| {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        let mut state = disk.lock().unwrap();
        if state.image.is_empty() {
            // A new journal is written and synced whole before it is opened here.
            state.image = std::fs::read(path)?;
        }
        drop(state);
        Ok(Box::new(OnDisk {
            file,
            disk: Arc::clone(&disk),
        }) as Box<dyn JournalFile + Send>)
    })
}

#[test]
fn messages_synced_after_a_checkpoint_whose_sync_failed_outlive_a_power_loss() {
    // The checkpoint's header reached the page cache but not the disk. Opened again, the
    // journal read that header and found its epoch empty, so it wrote none: the next groups
    // went into that epoch, synced and answered, while the disk still held the header before
    // it, and after a power loss they were not replayed.
    let path = path("checkpoint-sync-fails");
    let disk = Arc::new(std::sync::Mutex::new(Disk::default()));
    let spool = Spool::open_with_journal(&path, on_disk(&disk), 1 << 20).unwrap();
    // The journal cannot grow (its new file's name is taken): a full one starts a new epoch.
    let mut aside = journal_path(&path).into_os_string();
    aside.push(".new");
    std::fs::create_dir(&aside).unwrap();
    disk.lock().unwrap().fail_header_sync = true;
    // About 50 messages of 20 KiB fill the journal of 1 MiB.
    let mut synced = Vec::new();
    for seq in 1..=200 {
        match spool.submit(vec![insert(seq, 20_000)], Mode::Wait) {
            Ok(()) => synced.push(seq),
            Err(error) => {
                let error = error.to_string();
                assert!(error.contains("the sync of a header failed"), "{error}");
                break;
            }
        }
    }
    assert!(
        !disk.lock().unwrap().fail_header_sync,
        "a full journal's checkpoint failed to sync"
    );
    // Opened again (the next commit does it), the journal goes on.
    for seq in [1_000, 1_001] {
        spool.submit(vec![insert(seq, 10)], Mode::Wait).unwrap();
        synced.push(seq);
    }
    assert_eq!(pending(&spool), synced);
    // A power loss: the journal as its disk holds it, the redb file as it is (its commits
    // synced for real).
    let copy = path.with_extension("copy");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::write(journal_path(&copy), &disk.lock().unwrap().image).unwrap();
    assert_eq!(pending(&Spool::open(&copy).unwrap()), synced);
    drop(spool);
    std::fs::remove_dir(&aside).unwrap();
}

#[test]
fn a_journal_deleted_while_its_syncs_fail_is_started_again_once_they_succeed() {
    // What the deleted journal held went into the spool file, then its checkpoint failed to
    // sync and left it broken; each later commit followed the deleted path again, reached the
    // broken journal and failed, until the process restarted.
    let path = path("deleted-sync-fails");
    let faults = Arc::new(Faults::default());
    let spool = Spool::open_with_journal(&path, faulty(&faults), 1 << 20).unwrap();
    spool.submit(vec![insert(1, 10)], Mode::Wait).unwrap();
    std::fs::remove_file(journal_path(&path)).unwrap();
    faults.syncs.store(true, Ordering::SeqCst);
    assert!(spool.submit(vec![insert(2, 10)], Mode::Wait).is_err());
    faults.syncs.store(false, Ordering::SeqCst);
    spool
        .submit(vec![insert(3, 10)], Mode::Wait)
        .expect("the disk works again, and so does the spool");
    assert_eq!(pending(&spool), [1, 3]);
    drop(spool);
    assert_eq!(pending(&Spool::open(&path).unwrap()), [1, 3]);
}

/// A journal this process may not write is no damage: the open is refused with
/// [`SpoolError::Path`], which says to give write access, not with the advice for a damaged
/// file (move it aside), which would lose the messages it holds.
#[test]
fn a_journal_this_process_may_not_write_is_refused_as_a_path_not_as_damage() {
    let path = path("journal-not-writable");
    let denied: OpenJournal =
        Arc::new(|_: &Path| Err(io::Error::from(io::ErrorKind::PermissionDenied)));
    let error = match Spool::open_with_journal(&path, denied, 1 << 20) {
        Ok(_) => panic!("a journal that cannot be opened for writing is refused"),
        Err(error) => error,
    };
    let text = error.to_string();
    assert!(
        matches!(error, crate::tracker::SpoolError::Path { .. }),
        "{error:?}"
    );
    assert!(text.contains("-journal`"), "names the journal: {text}");
    assert!(text.contains("give it write access"), "{text}");
    assert!(!text.contains("move it aside"), "{text}");
}

/// A message handed over without waiting (`try_track`) whose commit failed is written again
/// once the disk recovers, while no other job comes (the writer retries every second when
/// idle): before, it waited for the next job, which does not come while DFINERY is away, and a
/// crash meanwhile lost it though the disk had been fine for minutes.
#[test]
fn an_accepted_message_a_failed_commit_left_out_is_written_again_while_idle() {
    let path = path("rewrite-idle");
    let faults = Arc::new(Faults::default());
    let spool = Spool::open_with_journal(&path, faulty(&faults), 1 << 20).unwrap();
    faults.writes.store(true, Ordering::SeqCst);
    spool.enqueue(vec![insert(1, 10)], Mode::Soon, None);
    // Behind it: its commit failed once this is refused.
    assert!(spool.submit(Vec::new(), Mode::Wait).is_err());
    assert_eq!(spool.unsynced(), 1);
    faults.writes.store(false, Ordering::SeqCst);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while spool.unsynced() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the message was not written again within 20 s of the disk's recovery"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(spool);
    assert_eq!(pending(&Spool::open(&path).unwrap()), [1]);
}

/// The spool file deleted while the journal is broken (a sync of it failed): the writer
/// follows the path to a new file before its next commit, and reads the journal afresh then
/// too. Before, following the path was all it did: the next commit reached the broken journal
/// and was refused though the disk worked again.
#[test]
fn the_spool_file_deleted_while_the_journal_is_broken_is_followed_and_the_journal_read_again() {
    let (path, faults, spool, error) = after_a_failed_sync("file-deleted-journal-broken");
    assert!(error.contains("injected: the sync failed"), "{error}");
    faults.syncs.store(false, Ordering::SeqCst);
    std::fs::remove_file(&path).unwrap();
    spool
        .submit(vec![insert(4, 10)], Mode::Wait)
        .expect("the disk works again, and so does the spool");
    assert_eq!(spool.recreated(), 1);
    assert_eq!(pending(&spool), [1, 2, 4]);
    assert_eq!(pending(&crash_copy(&path)), [1, 2, 4]);
    drop(spool);
    assert_eq!(pending(&Spool::open(&path).unwrap()), [1, 2, 4]);
}

/// A larger journal made aside (`<journal>.new`) by a process that died before renaming it
/// is removed by the next open: it held nothing, and it kept up to 64 MiB of disk until the
/// journal happened to grow again.
#[test]
fn a_larger_journal_left_half_made_by_a_crash_is_removed_at_open() {
    let path = path("grow-leftover");
    {
        let spool = Spool::open(&path).unwrap();
        spool.submit(vec![insert(1, 10)], Mode::Wait).unwrap();
    }
    let mut leftover = journal_path(&path).into_os_string();
    leftover.push(".new");
    std::fs::write(&leftover, vec![0u8; 256 * 1024]).unwrap();
    let spool = Spool::open(&path).unwrap();
    assert!(
        !Path::new(&leftover).exists(),
        "the half-made journal is still there"
    );
    assert_eq!(pending(&spool), [1]);
}

/// A journal cut too short to hold a frame (a copy cut off, say) opens, and the first time
/// it fills it is replaced by one of the usual size. Before, it could never grow (twice
/// nothing is nothing: the larger file asked for was refused as too small), so every commit
/// went into the redb file with a checkpoint, and a warning came every minute, for good.
#[test]
fn a_journal_cut_too_short_to_hold_a_frame_grows_back_to_its_size() {
    let path = path("journal-cut-short");
    {
        let spool = Spool::open(&path).unwrap();
        spool.submit(vec![insert(1, 10)], Mode::Wait).unwrap();
    }
    let journal = journal_path(&path);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&journal)
        .unwrap()
        .set_len(3000)
        .unwrap();
    let spool = Spool::open(&path).unwrap();
    // The journal grows when it fills within a second of its last checkpoint: each commit
    // here fills it, so one of them (the next after a checkpoint) comes within the second
    // even on a loaded machine.
    let mut seq = 2;
    while std::fs::metadata(&journal).unwrap().len() < super::JOURNAL_CAPACITY {
        assert!(seq < 200, "the journal never grew back from 3,000 bytes");
        spool.submit(vec![insert(seq, 10)], Mode::Wait).unwrap();
        seq += 1;
    }
    spool.submit(vec![insert(seq, 10)], Mode::Wait).unwrap();
    let expected: Vec<u64> = (1..=seq).collect();
    assert_eq!(pending(&spool), expected);
    assert_eq!(pending(&crash_copy(&path)), expected);
    drop(spool);
    assert_eq!(pending(&Spool::open(&path).unwrap()), expected);
}

/// A journal whose frames are whole but name a sequence number no tracker gives (2^62 and
/// above, as the redb file's rows are checked: a journal made by another program, say) is
/// read up to that frame, as up to any damage. Before, the number was taken: the spool's
/// next number was one past it, which overflowed (a panic in a debug build, turned into a
/// refused open; a wrap to 0 in a release build, where new messages then took the numbers of
/// pending ones and replaced them).
#[test]
fn a_journal_frame_naming_a_number_no_tracker_gives_is_not_taken() {
    for named in ["an entry", "a delivered marker"] {
        let path = path("journal-huge-seq");
        {
            let spool = Spool::open(&path).unwrap();
            spool
                .submit(vec![insert(1, 10), insert(2, 10)], Mode::Wait)
                .unwrap();
        }
        // Made anew by another program: a group of message 3, then the frame with the number.
        let journal = journal_path(&path);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&journal)
            .unwrap();
        let mut made = super::Journal::create(file, 1 << 20).unwrap();
        let bytes = entry(10);
        made.append(&[(3, &[bytes.as_slice()][..])], true).unwrap();
        match named {
            "an entry" => {
                made.append(&[(u64::MAX, &[bytes.as_slice()][..])], true)
                    .unwrap();
            }
            _ => {
                made.append_delivered(&[u64::MAX]).unwrap();
                made.sync().unwrap();
            }
        }
        drop(made);
        let spool = match Spool::open(&path) {
            Ok(spool) => spool,
            Err(error) => panic!("{named}: the spool did not open: {error}"),
        };
        assert_eq!(pending(&spool), [1, 2, 3], "{named}");
        assert_eq!(spool.last_seq(), 3, "{named}");
        let next = spool.next_seq();
        assert!(next > 3 && next < 1 << 62, "{named}: next number {next}");
    }
}
