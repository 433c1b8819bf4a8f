//! The writer thread's promises, seen through a storage backend that counts the file's syncs and
//! can make them fail: which commits are synced (group commit, lazy deletes, the periodic sync),
//! what `Spool::unsynced` counts, what a failed commit keeps, and that dropping the spool closes
//! the file.

use std::io;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

use super::super::Spool;
use super::{Done, LAZY_COMMITS_BEFORE_SYNC, Mode, Write};
use crate::tracker::error::SpoolError;

fn path(name: &str) -> PathBuf {
    crate::tracker::test_files::path(name)
}

/// What the disk under one spool did, and a switch that makes its syncs fail with `EIO`.
#[derive(Debug, Default)]
pub(crate) struct Disk {
    syncs: AtomicU64,
    fail_syncs: AtomicBool,
    /// Makes writes fail too (with `EIO`): a commit then leaves nothing of itself in the file.
    pub(crate) fail_writes: AtomicBool,
}

impl Disk {
    fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::SeqCst)
    }
}

/// The real file backend, counting successful syncs and failing them on demand.
#[derive(Debug)]
struct Counted {
    inner: FileBackend,
    disk: Arc<Disk>,
}

impl StorageBackend for Counted {
    fn len(&self) -> Result<u64, io::Error> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        if self.disk.fail_syncs.load(Ordering::SeqCst) {
            return Err(io::Error::from_raw_os_error(5));
        }
        self.inner.sync_data()?;
        self.disk.syncs.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        if self.disk.fail_writes.load(Ordering::SeqCst) {
            return Err(io::Error::from_raw_os_error(5));
        }
        self.inner.write(offset, data)
    }

    fn close(&self) -> Result<(), io::Error> {
        self.inner.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}

/// Opens the spool at `path` over a [`Counted`] backend (also when the writer reopens it).
pub(crate) fn open_counted(path: &Path) -> (Spool, Arc<Disk>) {
    let disk = Arc::new(Disk::default());
    let file = path.to_path_buf();
    let shared = Arc::clone(&disk);
    let spool = Spool::open_with_backend(path, move || {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&file)?;
        Ok(Counted {
            inner: FileBackend::new(file).map_err(io::Error::other)?,
            disk: Arc::clone(&shared),
        })
    })
    .unwrap();
    (spool, disk)
}

fn insert(seq: u64) -> Write {
    Write::Insert {
        seq,
        bytes: format!("entry {seq:03}").into_bytes().into(),
    }
}

/// Waits (real time, bounded) until `ready` holds; false when it never did.
fn eventually(ready: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    ready()
}

/// A [`Done`] that reports to `tx`.
fn report(tx: &mpsc::Sender<Result<(), SpoolError>>) -> Option<Done> {
    let tx = tx.clone();
    Some(Box::new(move |result| {
        let _ = tx.send(result);
    }))
}

/// The sequence numbers in the file, read afresh from disk by a new spool.
/// Message 2 (sent after 1, which is settled already) is delivered and its delete committed:
/// nothing is pending.
fn deliver_2(spool: &Spool) {
    spool.enqueue(vec![Write::Remove(2)], Mode::Lazy, None);
    spool.submit(Vec::new(), Mode::Wait).unwrap();
    assert_eq!(spool.pending_len(), 0, "both are delivered");
}

/// Once `spool` is closed, its file holds nothing the next process would send (1 after 2).
fn find_nothing_left(spool: Spool, path: &Path) {
    drop(spool);
    assert_eq!(
        on_disk(path),
        Vec::<u64>::new(),
        "1 would be sent again after 2"
    );
}

fn on_disk(path: &Path) -> Vec<u64> {
    let spool = Spool::open(path).unwrap();
    let rows = spool.read_pending(0, u64::MAX, usize::MAX).unwrap();
    rows.into_iter().map(|(seq, _)| seq).collect()
}

#[test]
fn awaited_writes_are_synced_and_callers_waiting_together_share_one_sync() {
    let path = path("group");
    let (spool, disk) = open_counted(&path);
    let before = disk.syncs();
    spool.submit(vec![insert(1)], Mode::Wait).unwrap();
    let per_commit = disk.syncs() - before;
    assert!(per_commit > 0, "an awaited write returns only once synced");

    // Ten callers arrive while a commit is under way (the writer is held at the store's lock):
    // they are committed together, at most two commits for all eleven writes, not eleven.
    let (tx, rx) = mpsc::channel();
    let before = disk.syncs();
    {
        let _held = spool.store.db.write().unwrap();
        for seq in 2..=12 {
            spool.enqueue(vec![insert(seq)], Mode::Wait, report(&tx));
        }
    }
    for _ in 2..=12 {
        rx.recv_timeout(Duration::from_secs(20)).unwrap().unwrap();
    }
    let syncs = disk.syncs() - before;
    assert!(
        syncs <= 2 * per_commit,
        "11 waiting callers took {syncs} syncs ({per_commit} per commit)"
    );
    assert_eq!(spool.pending_len(), 12);
    drop(spool);
    assert_eq!(on_disk(&path), (1..=12).collect::<Vec<_>>());
}

#[test]
fn deletes_cost_no_sync_until_a_periodic_one_reclaims_their_pages() {
    let path = path("lazy");
    let (spool, disk) = open_counted(&path);
    let total = u64::from(LAZY_COMMITS_BEFORE_SYNC) + 5;
    let writes = (1..=total).map(insert).collect();
    spool.submit(writes, Mode::Wait).unwrap();
    let all_bytes = spool.pending_bytes();
    let before = disk.syncs();
    // One delete per commit (each awaited through the pending count it lowers).
    let remove = |seq: u64| {
        spool.submit(vec![Write::Remove(seq)], Mode::Lazy).unwrap();
        assert!(
            eventually(|| spool.pending_len() == total - seq),
            "the delete of {seq} was committed"
        );
    };
    for seq in 1..=u64::from(LAZY_COMMITS_BEFORE_SYNC) {
        remove(seq);
    }
    assert_eq!(
        disk.syncs(),
        before,
        "{LAZY_COMMITS_BEFORE_SYNC} deletes in a row are committed without a sync"
    );
    remove(u64::from(LAZY_COMMITS_BEFORE_SYNC) + 1);
    let synced = disk.syncs();
    assert!(synced > before, "the next one is synced");
    remove(u64::from(LAZY_COMMITS_BEFORE_SYNC) + 2);
    assert_eq!(disk.syncs(), synced, "and the count starts again");
    let left: u64 = (u64::from(LAZY_COMMITS_BEFORE_SYNC) + 3..=total)
        .map(|seq| format!("entry {seq:03}").len() as u64)
        .sum();
    assert_eq!(spool.pending_bytes(), left);
    assert!(left < all_bytes);

    // An awaited call after unsynced deletes syncs them too: once it returns, they are on disk.
    spool.submit(Vec::new(), Mode::Wait).unwrap();
    assert!(disk.syncs() > synced, "an awaited commit is synced");
    drop(spool);
    assert_eq!(
        on_disk(&path),
        (u64::from(LAZY_COMMITS_BEFORE_SYNC) + 3..=total).collect::<Vec<_>>()
    );
}

#[test]
fn unsynced_counts_the_handed_over_inserts_until_their_commit_ends() {
    let path = path("unsynced");
    let (spool, _disk) = open_counted(&path);
    {
        let _held = spool.store.db.write().unwrap();
        spool.enqueue(vec![insert(1), insert(2), insert(3)], Mode::Soon, None);
        spool.enqueue(vec![insert(4), insert(5)], Mode::Soon, None);
        assert_eq!(
            spool.unsynced(),
            5,
            "five inserts handed over, none committed"
        );
        // Awaited writes and deletes are never counted: the caller waits for them.
        spool.enqueue(vec![insert(6)], Mode::Wait, None);
        spool.enqueue(vec![Write::Remove(6)], Mode::Soon, None);
        assert_eq!(spool.unsynced(), 5);
    }
    assert!(
        eventually(|| spool.unsynced() == 0),
        "{} still unsynced after the commit",
        spool.unsynced()
    );
    spool.submit(Vec::new(), Mode::Wait).unwrap();
    assert_eq!(spool.pending_len(), 5);
}

#[test]
fn a_failed_sync_keeps_every_accepted_insert_and_recounts_the_file() {
    let path = path("failed");
    let (spool, disk) = open_counted(&path);
    spool
        .submit(vec![insert(1), insert(2)], Mode::Wait)
        .unwrap();
    disk.fail_syncs.store(true, Ordering::SeqCst);
    let (tx, rx) = mpsc::channel();
    // Two handed-over inserts whose commit fails, then one more that fails with them.
    spool.enqueue(vec![insert(3), insert(4)], Mode::Soon, report(&tx));
    let first = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(first.is_err(), "the failed commit is reported");
    spool.enqueue(vec![insert(5)], Mode::Soon, report(&tx));
    let second = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(second.is_err(), "the file still fails");
    // An awaited insert in a failed commit is refused: it must never turn up later.
    let refused = spool.submit(vec![insert(6)], Mode::Wait).unwrap_err();
    assert!(
        refused.to_string().contains("not made durable"),
        "{refused}"
    );
    assert_eq!(
        spool.unsynced(),
        3,
        "three accepted inserts not yet durable"
    );

    disk.fail_syncs.store(false, Ordering::SeqCst);
    spool.submit(vec![insert(7)], Mode::Wait).unwrap();
    assert_eq!(spool.unsynced(), 0, "all of them are durable now");
    let rows = spool.read_pending(0, u64::MAX, usize::MAX).unwrap();
    let seqs: Vec<u64> = rows.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 7]);
    let bytes: u64 = rows.iter().map(|(_, b)| b.len() as u64).sum();
    assert_eq!(
        (spool.pending_len(), spool.pending_bytes()),
        (6, bytes),
        "the counters follow the file read again after the failure"
    );
    drop(spool);
    assert_eq!(on_disk(&path), [1, 2, 3, 4, 5, 7]);
}

#[test]
fn dropping_the_spool_waits_for_its_writer_and_closes_the_file() {
    let path = path("drop");
    let spool = Spool::open(&path).unwrap();
    // The writer is still busy (its callback takes a while) when the spool is dropped.
    spool.enqueue(
        vec![insert(1)],
        Mode::Soon,
        Some(Box::new(|_| std::thread::sleep(Duration::from_millis(300)))),
    );
    drop(spool);
    let again = Spool::open(&path).expect("the file is closed once the spool is dropped");
    assert_eq!(again.pending_len(), 1, "and what was handed over is in it");
}

#[test]
fn a_message_settled_while_the_disk_fails_is_no_longer_counted_as_at_risk() {
    let path = path("settled");
    let (spool, disk) = open_counted(&path);
    spool.submit(vec![insert(1)], Mode::Wait).unwrap();
    disk.fail_syncs.store(true, Ordering::SeqCst);
    let (tx, rx) = mpsc::channel();
    spool.enqueue(vec![insert(2), insert(3)], Mode::Soon, report(&tx));
    assert!(rx.recv_timeout(Duration::from_secs(20)).unwrap().is_err());
    assert_eq!(
        spool.unsynced(),
        2,
        "both accepted inserts wait to be written again"
    );
    // While the disk still fails, 2 is delivered (its delete comes), and 5 is handed over and
    // delivered in the same turn: both are settled, and only 3 is left to write again.
    spool.enqueue(
        vec![Write::Remove(2), insert(5), Write::Remove(5)],
        Mode::Soon,
        report(&tx),
    );
    assert!(rx.recv_timeout(Duration::from_secs(20)).unwrap().is_err());
    assert_eq!(spool.unsynced(), 1, "only 3 can still be lost");

    disk.fail_syncs.store(false, Ordering::SeqCst);
    spool.submit(vec![insert(4)], Mode::Wait).unwrap();
    assert_eq!(spool.unsynced(), 0);
    drop(spool);
    // The failed commits may have left 2 in the file (only their syncs failed), and the delete
    // that failed with them is committed again (kept back, then committed as the file is
    // closed): every accepted message is there, the delivered one is not.
    assert_eq!(on_disk(&path), [1, 3, 4]);
}

#[test]
fn a_deleted_file_is_recreated_before_a_lazy_delete_or_an_awaited_call_commits() {
    let path = path("follow");
    let spool = Spool::open(&path).unwrap();
    spool
        .submit((1..=3).map(insert).collect(), Mode::Wait)
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    // A delete of a delivered message, not synced: it still goes into the file at the path.
    spool.submit(vec![Write::Remove(1)], Mode::Lazy).unwrap();
    assert!(eventually(|| spool.pending_len() == 2));
    assert!(path.exists(), "the file is recreated before the delete");
    std::fs::remove_file(&path).unwrap();
    // An awaited call with nothing to write: once it returns, the path holds the spool.
    spool.submit(Vec::new(), Mode::Wait).unwrap();
    assert!(
        path.exists(),
        "the file is recreated before the awaited commit"
    );
    // Deleted after the last commit: closing the spool puts what it holds back at the path.
    std::fs::remove_file(&path).unwrap();
    drop(spool);
    assert_eq!(on_disk(&path), [2, 3]);
}

/// A commit of inserts and deletes (one new batch, the batches it settles dropped or written
/// again) leaves the file and the counters as
/// applying the writes one by one in order would: checked against a model over many random
/// groups mixing appends, overwrites, deletes dense and sparse, deletes of absent keys, and a
/// key inserted then deleted (or deleted then inserted) in the same commit.
#[test]
fn bulk_commits_match_writing_one_by_one() {
    use std::collections::BTreeMap;

    let path = path("bulk");
    let spool = Spool::open(&path).unwrap();
    let mut model: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut random = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let mut next_seq = 1_u64;
    for round in 0..200 {
        let mut writes = Vec::new();
        for _ in 0..random(60) {
            let write = match random(10) {
                // Appends: new keys above every other.
                0..=3 => {
                    next_seq += 1 + random(3);
                    Write::Insert {
                        seq: next_seq,
                        bytes: format!("r{round}-{next_seq}-{}", "x".repeat(random(900) as usize))
                            .into_bytes()
                            .into(),
                    }
                }
                // An overwrite, or an insert below the greatest key.
                4 => {
                    let seq = 1 + random(next_seq);
                    Write::Insert {
                        seq,
                        bytes: format!("again r{round}-{seq}").into_bytes().into(),
                    }
                }
                // Deletes: near the newest keys (dense), anywhere (sparse), or absent.
                5..=7 => Write::Remove(next_seq.saturating_sub(random(40))),
                _ => Write::Remove(1 + random(next_seq + 10)),
            };
            writes.push(write);
        }
        for write in &writes {
            match write {
                Write::Insert { seq, bytes } => {
                    model.insert(*seq, bytes.to_vec());
                }
                Write::Remove(seq) => {
                    model.remove(seq);
                }
                _ => unreachable!(),
            }
        }
        spool.submit(writes, Mode::Wait).unwrap();
        assert_eq!(spool.pending_len(), model.len() as u64, "round {round}");
        let bytes: usize = model.values().map(Vec::len).sum();
        assert_eq!(spool.pending_bytes(), bytes as u64, "round {round}");
    }
    let rows = spool.read_pending(0, u64::MAX, usize::MAX).unwrap();
    let expected: Vec<(u64, Vec<u8>)> = model.into_iter().collect();
    assert_eq!(rows, expected);
    drop(spool);
    let reopened = Spool::open(&path).unwrap();
    assert_eq!(
        reopened.read_pending(0, u64::MAX, usize::MAX).unwrap(),
        expected
    );
}

#[test]
fn a_delete_kept_back_lands_after_its_insert_when_both_are_in_one_commit() {
    // A `try_` call's message can be delivered before its insert is committed: its insert and
    // its delete then reach the writer together, and a barrier behind them commits both.
    let path = path("insert-then-delete");
    let (spool, _disk) = open_counted(&path);
    let (tx, rx) = mpsc::channel();
    {
        let _held = spool.store.db.write().unwrap();
        spool.enqueue(vec![insert(100)], Mode::Wait, report(&tx));
        // The writer takes that one alone and waits at the store's lock.
        std::thread::sleep(Duration::from_millis(50));
        spool.enqueue(vec![insert(1)], Mode::Soon, None);
        spool.enqueue(vec![Write::Remove(1)], Mode::Lazy, None);
        spool.enqueue(Vec::new(), Mode::Wait, report(&tx));
    }
    for _ in 0..2 {
        rx.recv_timeout(Duration::from_secs(20)).unwrap().unwrap();
    }
    assert_eq!(spool.pending_len(), 1, "the delivered message is gone");
    drop(spool);
    assert_eq!(on_disk(&path), vec![100]);
}

/// Per user, the messages the file no longer holds must be a prefix of those accepted: were a
/// delivered message left in the file while a later one is gone, the next process would send
/// the earlier one again after the later one (a profile update, which DFINERY does not
/// de-duplicate, would then be reverted). A delete in a commit whose sync failed therefore
/// lands with a later commit, not never.
#[test]
fn a_delete_in_a_failed_commit_lands_later_so_the_settled_messages_stay_a_prefix() {
    let path = path("failed-delete");
    let (spool, disk) = open_counted(&path);
    spool
        .submit(vec![insert(1), insert(2)], Mode::Wait)
        .unwrap();
    disk.fail_writes.store(true, Ordering::SeqCst);
    // 1 is delivered: its delete is kept back, then committed behind an awaited barrier (a
    // flush), whose sync fails.
    spool.enqueue(vec![Write::Remove(1)], Mode::Lazy, None);
    assert!(spool.submit(Vec::new(), Mode::Wait).is_err());
    disk.fail_writes.store(false, Ordering::SeqCst);
    // 2, sent after 1, is delivered and its delete committed.
    deliver_2(&spool);
    find_nothing_left(spool, &path);
}

/// As above, for a delete committed without a sync (the file's other deletes): opening the file
/// again after a failed write reads only what synced commits made durable, so the deletes of
/// the unsynced commits before it must be committed again.
#[test]
fn an_unsynced_delete_lost_when_the_file_is_opened_again_is_committed_again() {
    let path = path("lazy-lost");
    let (spool, disk) = open_counted(&path);
    spool
        .submit(vec![insert(1), insert(2)], Mode::Wait)
        .unwrap();
    // 1 is delivered; its delete is committed without a sync, behind a barrier nobody syncs
    // for (as a flush's answer is).
    let (tx, rx) = mpsc::channel();
    spool.enqueue(vec![Write::Remove(1)], Mode::Lazy, None);
    spool.enqueue(Vec::new(), Mode::Lazy, report(&tx));
    rx.recv_timeout(Duration::from_secs(20)).unwrap().unwrap();
    assert_eq!(spool.pending_len(), 1);
    // A sync fails: the writer opens the file again.
    disk.fail_writes.store(true, Ordering::SeqCst);
    assert!(spool.submit(vec![insert(3)], Mode::Wait).is_err());
    disk.fail_writes.store(false, Ordering::SeqCst);
    // 2, sent after 1, is delivered and its delete committed.
    deliver_2(&spool);
    find_nothing_left(spool, &path);
}

/// As above, for a dead letter: a message dead-lettered in a commit that failed (e.g. after its
/// retries ran out) must not be sent again by the next process after a later message of its
/// user was delivered.
#[test]
fn a_dead_letter_in_a_failed_commit_is_written_with_a_later_commit() {
    let path = path("failed-bury");
    let (spool, disk) = open_counted(&path);
    spool
        .submit(vec![insert(1), insert(2)], Mode::Wait)
        .unwrap();
    disk.fail_writes.store(true, Ordering::SeqCst);
    let (tx, rx) = mpsc::channel();
    let letter = Write::Bury {
        seq: 1,
        letter: b"{}".to_vec(),
    };
    spool.enqueue(vec![letter], Mode::Soon, report(&tx));
    assert!(rx.recv_timeout(Duration::from_secs(20)).unwrap().is_err());
    disk.fail_writes.store(false, Ordering::SeqCst);
    deliver_2(&spool);
    assert_eq!(spool.dead_letter_count().unwrap(), 1);
    find_nothing_left(spool, &path);
}

/// A reopen after a failed commit reads the file afresh; damaged bytes it finds then are
/// numbered from the counter the tracker numbers its messages from, so they never take a
/// number already handed to a message that has not reached the writer yet (which would then
/// replace them, losing the report of the damage, or be replaced by them).
#[test]
fn damaged_bytes_found_on_a_reopen_take_no_number_already_handed_out() {
    let path = path("renumber");
    let disk = Arc::new(Disk::default());
    // Set: the next reopen finds a damaged row (written while the store is closed).
    let damage = Arc::new(AtomicBool::new(false));
    let garbage = vec![0xA5_u8; 7];
    let (file, shared, damaged, row) = (
        path.clone(),
        Arc::clone(&disk),
        Arc::clone(&damage),
        garbage.clone(),
    );
    let spool = Spool::open_with_backend(&path, move || {
        let open = || {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&file)
        };
        if damaged.swap(false, Ordering::SeqCst) {
            let db = redb::Database::builder()
                .create_with_backend(FileBackend::new(open()?).map_err(io::Error::other)?)
                .map_err(io::Error::other)?;
            let txn = db.begin_write().map_err(io::Error::other)?;
            txn.open_table(super::super::BATCHES)
                .map_err(io::Error::other)?
                .insert(1_000, row.as_slice())
                .map_err(io::Error::other)?;
            txn.commit().map_err(io::Error::other)?;
        }
        Ok(Counted {
            inner: FileBackend::new(open()?).map_err(io::Error::other)?,
            disk: Arc::clone(&shared),
        })
    })
    .unwrap();
    // The tracker's numbers: 1 is synced; 2 and 4 are handed out but not written yet, and 3
    // goes to a commit whose sync fails.
    let numbers: Vec<u64> = (0..4).map(|_| spool.next_seq()).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    spool.submit(vec![insert(1)], Mode::Wait).unwrap();
    damage.store(true, Ordering::SeqCst);
    disk.fail_syncs.store(true, Ordering::SeqCst);
    let (tx, rx) = mpsc::channel();
    spool.enqueue(vec![insert(3)], Mode::Soon, report(&tx));
    let failed = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(failed.is_err(), "the failed commit is reported");
    // The writer opens the file again before its next commit, which holds 2 and 4.
    disk.fail_syncs.store(false, Ordering::SeqCst);
    spool
        .submit(vec![insert(2), insert(4)], Mode::Wait)
        .unwrap();
    assert!(!damage.load(Ordering::SeqCst), "the file was opened again");

    let rows = spool.read_pending(0, u64::MAX, usize::MAX).unwrap();
    let seqs: Vec<u64> = rows.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5], "the damaged bytes are numbered 5");
    assert_eq!(rows[4].1, garbage, "kept, to be set aside as unreadable");
    for (seq, bytes) in &rows[..4] {
        assert_eq!(*bytes, format!("entry {seq:03}").into_bytes());
    }
    assert_eq!(spool.next_seq(), 6, "the next number is above them");
    drop(spool);
    assert_eq!(on_disk(&path), [1, 2, 3, 4, 5]);
}

/// Callers on two runtimes are each answered by a task of their own runtime: a caller on `b`
/// is answered while every worker of `a` (whose task answered first) is busy.
#[test]
fn callers_on_two_runtimes_are_each_answered_on_their_own() {
    let path = path("runtimes");
    let spool = Arc::new(Spool::open(&path).unwrap());
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    };
    let (a, b) = (runtime(), runtime());
    let awaited = |spool: &Spool, seq: u64| {
        let (tx, rx) = tokio::sync::oneshot::channel();
        spool.enqueue_answered_in_runtime(
            vec![insert(seq)],
            Mode::Wait,
            Box::new(move |result| {
                let _ = tx.send(result);
            }),
        );
        rx
    };
    // `a` answers first: its task exists.
    a.block_on(async { awaited(&spool, 1).await.unwrap().unwrap() });
    // Its only worker is then held until the end of the test.
    let (release, held) = mpsc::channel::<()>();
    let (busy, started) = mpsc::channel::<()>();
    a.spawn(async move {
        busy.send(()).unwrap();
        let _ = held.recv();
    });
    started.recv_timeout(Duration::from_secs(20)).unwrap();
    let answered = b.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), awaited(&spool, 2)).await
    });
    release.send(()).unwrap();
    let answer = answered.expect("answered while the other runtime's workers are busy");
    answer.unwrap().unwrap();
    assert_eq!(spool.pending_len(), 2);
    drop((a, b));
}

/// The reads after a failed commit: the store is closed while the writer cannot open the file
/// again, and it tries again only before its next commit or after a second idle. A user's read
/// of the dead letters failed then (`the file is closed after a failed write and could not be
/// opened again`) though the disk was fine again; it now has the writer open the file first.
#[test]
fn the_dead_letters_read_after_a_failed_reopen_are_read_once_the_disk_is_fine() {
    let path = path("read-after-failure");
    let (spool, disk) = open_counted(&path);
    spool
        .submit(vec![insert(1), insert(2)], Mode::Wait)
        .unwrap();
    spool
        .submit(vec![super::super::tests::bury(1)], Mode::Wait)
        .unwrap();
    disk.fail_writes.store(true, Ordering::SeqCst);
    assert!(spool.submit(vec![insert(3)], Mode::Wait).is_err());
    // The next turn opens the file again, which fails too while the disk does.
    let failed = spool.submit(vec![insert(4)], Mode::Wait).unwrap_err();
    assert!(
        failed.to_string().contains("could not be opened again"),
        "{failed}"
    );
    disk.fail_writes.store(false, Ordering::SeqCst);
    let letters = spool.dead_letters().expect("read once the disk is fine");
    assert_eq!(letters.iter().map(|l| l.seq).collect::<Vec<_>>(), [1]);
    assert!(spool.unreadable().unwrap().is_empty());
    assert_eq!(spool.remove_dead_letters([1]).unwrap(), 1);
}

/// As above, for a page of the recovery read in the turn where the writer failed to open the
/// file again: it was refused (`the file is closed after a failed write and could not be opened
/// again`) though the disk was fine by then, and the recovery waited a second or more for it.
#[test]
fn a_page_read_in_the_turn_of_a_failed_reopen_is_read_once_the_disk_is_fine() {
    let path = path("page-after-failure");
    let (spool, disk) = open_counted(&path);
    spool
        .submit(vec![insert(1), insert(2)], Mode::Wait)
        .unwrap();
    disk.fail_writes.store(true, Ordering::SeqCst);
    assert!(spool.submit(vec![insert(3)], Mode::Wait).is_err());
    // The writer is held in a callback while a write and the read queue behind it: both are
    // taken in its next turn, whose reopen fails.
    let (release, held) = mpsc::channel::<()>();
    spool.enqueue(
        Vec::new(),
        Mode::Lazy,
        Some(Box::new(move |_| {
            let _ = held.recv();
        })),
    );
    let healed = Arc::clone(&disk);
    spool.enqueue(
        vec![insert(4)],
        Mode::Wait,
        Some(Box::new(move |result| {
            assert!(result.is_err(), "the reopen fails");
            // The disk is fine again before the read is answered.
            healed.fail_writes.store(false, Ordering::SeqCst);
        })),
    );
    let page = spool.read_later(0, 2, 10);
    release.send(()).unwrap();
    let rows = page.blocking_recv().unwrap().expect("the page is read");
    assert_eq!(rows.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), [1, 2]);
}
