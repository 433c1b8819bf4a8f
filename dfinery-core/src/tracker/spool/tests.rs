//! The spool on its own: writes from many threads, removal, dead letters, reopening, and a
//! format from another version.

use std::path::PathBuf;

use redb::ReadableTableMetadata;

use super::*;
use crate::Identifier;
use crate::encode::identity::Identity;
use crate::encode::record::EventRecord;
use crate::encode::value::Datetime;
use crate::tracker::message::{Envelope, Message};

fn path(name: &str) -> PathBuf {
    crate::tracker::test_files::path(name)
}

/// Reads of pending entries to refuse, by spool path (see [`fail_reads`]).
static FAILED_READS: std::sync::Mutex<Vec<(PathBuf, u32)>> = std::sync::Mutex::new(Vec::new());

/// Makes the next `count` reads of pending entries of the spool at `path` fail, as a read does
/// while the writer opens the file again after a failed commit.
pub(crate) fn fail_reads(path: &std::path::Path, count: u32) {
    FAILED_READS
        .lock()
        .unwrap()
        .push((path.to_path_buf(), count));
}

/// Whether this read of the spool at `path` is to fail (one of those [`fail_reads`] asked for).
pub(super) fn take_failed_read(path: &std::path::Path) -> bool {
    let mut failing = FAILED_READS.lock().unwrap_or_else(|e| e.into_inner());
    match failing
        .iter_mut()
        .find(|(of, left)| of == path && *left > 0)
    {
        Some((_, left)) => {
            *left -= 1;
            true
        }
        None => false,
    }
}

fn envelope(user: &str) -> Vec<u8> {
    serde_json::to_vec(&Envelope {
        identity: Identity::new(Identifier::ExternalId, user).unwrap(),
        message: Message::Event(EventRecord::builder("df_login").build().unwrap()),
    })
    .unwrap()
}

/// The sequence numbers pending in `spool`, in order.
fn pending_seqs(spool: &Spool) -> Vec<u64> {
    let rows = spool.read_pending(0, u64::MAX, usize::MAX).unwrap();
    rows.iter().map(|(seq, _)| *seq).collect()
}

/// A dead letter for `seq` (an identity update of user `u`, refused): for the tests of the
/// spool's modules.
pub(super) fn bury(seq: u64) -> Write {
    let letter = crate::tracker::dead_letter::DeadLetter {
        seq,
        identity: Identity::new(Identifier::ExternalId, "u").unwrap(),
        message: Message::Identify {
            request_datetime: Datetime::from_unix_millis(0).unwrap(),
        },
        reason: "refused".into(),
        kind: "validation".into(),
        attempts: 1,
        at: Datetime::from_unix_millis(0).unwrap(),
    };
    Write::Bury {
        seq,
        letter: serde_json::to_vec(&letter).unwrap(),
    }
}

fn insert(seq: u64, user: &str) -> Write {
    Write::Insert {
        seq,
        bytes: envelope(user).into(),
    }
}

#[test]
fn writes_from_many_threads_all_land_in_order_of_their_keys() {
    let path = path("threads");
    let spool = Spool::open(&path).unwrap();
    assert_eq!((spool.pending_len(), spool.last_seq()), (0, 0));
    std::thread::scope(|scope| {
        for t in 0..8_u64 {
            let spool = &spool;
            scope.spawn(move || {
                for i in 0..50 {
                    let seq = 1 + t * 50 + i;
                    spool
                        .submit(vec![insert(seq, &format!("u{t}"))], Mode::Wait)
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(spool.pending_len(), 400);
    let rows = spool.read_pending(0, u64::MAX, 1000).unwrap();
    let seqs: Vec<u64> = rows.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, (1..=400).collect::<Vec<_>>());
    let bytes: u64 = rows.iter().map(|(_, b)| b.len() as u64).sum();
    assert_eq!(spool.pending_bytes(), bytes);
    // Paging: after 100, up to 250, at most 20.
    let page = spool.read_pending(100, 250, 20).unwrap();
    assert_eq!(page.first().unwrap().0, 101);
    assert_eq!(page.len(), 20);
}

/// The dead letters read and handled are removed, and only those: one buried between the read
/// and the removal (a tracker still running) is kept for the next read, never deleted unseen.
#[test]
fn a_dead_letter_buried_after_the_read_is_kept_when_those_read_are_removed() {
    let path = path("dead-letters-read");
    let spool = Spool::open(&path).unwrap();
    let writes = (1..=3).map(|seq| insert(seq, "u")).collect();
    spool.submit(writes, Mode::Wait).unwrap();
    spool.submit(vec![bury(1)], Mode::Wait).unwrap();
    let read = spool.dead_letters().unwrap();
    assert_eq!(read.iter().map(|l| l.seq).collect::<Vec<_>>(), [1]);
    // The tracker dead-letters another message while the first is handled.
    spool.submit(vec![bury(2)], Mode::Wait).unwrap();
    let removed = spool
        .remove_dead_letters(read.iter().map(|letter| letter.seq))
        .unwrap();
    assert_eq!(removed, 1);
    let left: Vec<u64> = spool
        .dead_letters()
        .unwrap()
        .iter()
        .map(|l| l.seq)
        .collect();
    assert_eq!(left, [2], "the letter buried after the read is kept");
    // Removing them again removes nothing; clearing removes the rest and counts it.
    assert_eq!(spool.remove_dead_letters([1]).unwrap(), 0);
    assert_eq!(spool.clear_dead_letters().unwrap(), 1);
    assert!(spool.dead_letters().unwrap().is_empty());
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    assert!(
        spool.dead_letters().unwrap().is_empty(),
        "the removals are durable"
    );
    assert_eq!(spool.pending_len(), 1);
}

/// Numbers a user removed are not given again after a reopen: the next open took its first
/// number from the highest entry left, so once the highest dead letters were removed the same
/// numbers named new messages, and a list of numbers read before (removed again from a list
/// kept) removed a newer dead letter unseen.
#[test]
fn numbers_removed_are_not_given_again_after_a_reopen() {
    let path = path("removed-numbers");
    let spool = Spool::open(&path).unwrap();
    let writes = (1..=3).map(|seq| insert(seq, "u")).collect();
    spool.submit(writes, Mode::Wait).unwrap();
    spool
        .submit(vec![bury(1), bury(2), bury(3)], Mode::Wait)
        .unwrap();
    let read: Vec<u64> = spool
        .dead_letters()
        .unwrap()
        .iter()
        .map(|l| l.seq)
        .collect();
    assert_eq!(read, [1, 2, 3]);
    assert_eq!(spool.remove_dead_letters(read.clone()).unwrap(), 3);
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    let next = spool.next_seq();
    assert_eq!(next, 4, "the numbers removed are given again");
    spool.submit(vec![insert(next, "u")], Mode::Wait).unwrap();
    spool.submit(vec![bury(next)], Mode::Wait).unwrap();
    // The list read before names no newer letter.
    assert_eq!(spool.remove_dead_letters(read).unwrap(), 0);
    assert_eq!(spool.dead_letters().unwrap().len(), 1);
    // The same for the unreadable entries removed, and over a second reopen.
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    assert_eq!(spool.clear_dead_letters().unwrap(), 1);
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    assert_eq!(spool.next_seq(), 5);
}

/// A removal of dead letters whose commit fails says so, naming the file and to call it again:
/// not that "the message was not made durable", which is what a refused `track` is told.
#[test]
fn a_failed_removal_of_dead_letters_says_so_not_that_a_message_was_not_durable() {
    use std::sync::atomic::Ordering::SeqCst;
    let path = path("dead-letters-failed");
    let (spool, disk) = open_counted(&path);
    let writes = (1..=2).map(|seq| insert(seq, "u")).collect();
    spool.submit(writes, Mode::Wait).unwrap();
    spool.submit(vec![bury(1), bury(2)], Mode::Wait).unwrap();
    // Each with the file open and whole when called: the letters are read, their commit fails.
    type Removal = fn(&Spool) -> Result<u64, SpoolError>;
    let removals: [Removal; 2] = [
        |spool| spool.clear_dead_letters(),
        |spool| spool.remove_dead_letters([1]),
    ];
    for remove in removals {
        disk.fail_writes.store(true, SeqCst);
        let text = remove(&spool).unwrap_err().to_string();
        assert!(text.contains(&*path.to_string_lossy()), "{text}");
        assert!(
            text.contains("the dead letters may not be removed: call it again"),
            "{text}"
        );
        assert!(!text.contains("message was not made durable"), "{text}");
        disk.fail_writes.store(false, SeqCst);
        // The writer opens the file again (reads wait for it).
        spool.submit(Vec::new(), Mode::Wait).unwrap();
    }
    assert_eq!(spool.dead_letter_count().unwrap(), 2, "none was removed");
    assert_eq!(spool.remove_dead_letters([1]).unwrap(), 1);
    assert_eq!(spool.clear_dead_letters().unwrap(), 1);
}

#[test]
fn removals_and_dead_letters_survive_a_reopen_once_synced() {
    let path = path("reopen");
    {
        let spool = Spool::open(&path).unwrap();
        let writes = (1..=5).map(|seq| insert(seq, "u")).collect();
        spool.submit(writes, Mode::Wait).unwrap();
        spool
            .submit(vec![Write::Remove(1), Write::Remove(2)], Mode::Lazy)
            .unwrap();
        spool.submit(vec![bury(3)], Mode::Soon).unwrap();
        spool
            .submit(
                vec![Write::SetAside {
                    seq: 4,
                    raw: b"not json".to_vec(),
                }],
                Mode::Soon,
            )
            .unwrap();
        spool.submit(Vec::new(), Mode::Wait).unwrap();
        assert_eq!(spool.pending_len(), 1);
    }
    let spool = Spool::open(&path).unwrap();
    assert_eq!(spool.pending_len(), 1);
    assert_eq!(
        spool.last_seq(),
        5,
        "dead letters and set-aside entries keep their keys"
    );
    let letters = spool.dead_letters().unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!((letters[0].seq, letters[0].reason.as_str()), (3, "refused"));
    assert_eq!(
        spool.unreadable().unwrap(),
        [Unreadable {
            seq: 4,
            kind: UnreadableKind::Pending,
            bytes: b"not json".to_vec()
        }]
    );
    assert_eq!(spool.clear_dead_letters().unwrap(), 1);
    assert_eq!(spool.dead_letter_count().unwrap(), 0);
}

#[test]
fn a_spool_of_another_format_is_refused() {
    let path = path("format");
    {
        let spool = Spool::open(&path).unwrap();
        let txn = spool
            .store
            .db
            .read()
            .unwrap()
            .as_ref()
            .unwrap()
            .begin_write()
            .unwrap();
        txn.open_table(META)
            .unwrap()
            .insert("format", SPOOL_FORMAT + 1)
            .unwrap();
        txn.commit().unwrap();
    }
    let error = Spool::open(&path).unwrap_err();
    assert!(
        matches!(error, SpoolError::Format { found, expected, .. } if found == SPOOL_FORMAT + 1 && expected == SPOOL_FORMAT),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("open it with the dfinery version that wrote it")
    );
}

#[test]
fn a_missing_folder_is_named_with_the_fix() {
    let path = std::env::temp_dir().join("dfinery-no-such-folder/x/spool.redb");
    let error = Spool::open(&path).unwrap_err();
    assert!(matches!(error, SpoolError::Path { .. }), "{error:?}");
    let text = error.to_string();
    let folder = path.parent().unwrap().display().to_string();
    assert!(
        text.contains(&format!(
            "its folder `{folder}` does not exist; create it first"
        )),
        "{text}"
    );
    // Nothing was created on the way.
    assert!(!path.parent().unwrap().exists());
}

#[test]
fn a_folder_or_an_empty_path_is_refused_with_the_fix_not_the_damaged_file_advice() {
    let dir = path("folder-as-spool");
    std::fs::create_dir(&dir).unwrap();
    let error = Spool::open(&dir).unwrap_err();
    assert!(matches!(error, SpoolError::Path { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("it is a folder; give the path of a file in it"),
        "{text}"
    );
    assert!(!text.contains("move it aside"), "{text}");
    // The folder is left as it was.
    assert!(dir.is_dir());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let _ = std::fs::remove_dir(&dir);
    let error = Spool::open("").unwrap_err();
    assert!(error.to_string().contains("the path is empty"), "{error}");
    let file = path("file-as-folder");
    std::fs::write(&file, b"notes").unwrap();
    let error = Spool::open(file.join("spool.redb")).unwrap_err();
    assert!(
        error.to_string().contains("is a file, not a folder"),
        "{error}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"notes");
    let _ = std::fs::remove_file(&file);
}

/// A folder at the journal's path (`<name>-journal`) is in the way, not a damaged journal:
/// the error said "could not open the spool …; if the file is damaged, move it aside and start
/// again (the messages in it are lost)", with `Is a directory` from the journal's open.
#[test]
fn a_folder_at_the_journals_path_is_named_as_a_folder_in_the_way() {
    let spool = path("journal-folder");
    let journal = journaled::journal_path(&spool);
    std::fs::create_dir(&journal).unwrap();
    std::fs::write(journal.join("notes.txt"), b"kept").unwrap();
    let error = Spool::open(&spool).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, SpoolError::Path { .. }), "{error:?}");
    assert!(text.contains("is a folder"), "{text}");
    assert!(
        text.contains(&journal.display().to_string()),
        "names the folder: {text}"
    );
    assert!(!text.contains("move it aside and start"), "{text}");
    // The folder and what it holds are left as they were.
    assert_eq!(std::fs::read(journal.join("notes.txt")).unwrap(), b"kept");
    let _ = std::fs::remove_dir_all(&journal);
    let _ = std::fs::remove_file(&spool);
}

/// A symbolic link into a folder that is not there (a disk not mounted) and a path that is no
/// regular file (`/dev/null`, a pipe) are refused as paths, with the fix, not as damaged
/// spools whose messages would be lost by moving them aside.
#[cfg(unix)]
#[test]
fn a_link_into_a_missing_folder_or_a_device_is_a_path_problem_not_a_damaged_file() {
    let link = path("link-into-nowhere");
    let target = path("not-mounted").join("dfinery.spool");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let error = Spool::open(&link).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, SpoolError::Path { .. }), "{error:?}");
    assert!(
        text.contains("symbolic link") && text.contains(&*target.to_string_lossy()),
        "the error names the link's target: {text}"
    );
    assert!(text.contains("does not exist"), "{text}");
    assert!(!text.contains("move it aside"), "{text}");
    let _ = std::fs::remove_file(&link);
    let error = Spool::open("/dev/null").unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, SpoolError::Path { .. }), "{error:?}");
    assert!(text.contains("not a regular file"), "{text}");
    assert!(!text.contains("move it aside"), "{text}");
}

#[test]
fn a_dead_letter_that_cannot_be_decoded_hides_none_of_the_others() {
    // `dead_letters()` failed whole at the first letter it could not decode ("dead letter 5
    // cannot be decoded …; check the disk"), so none of the others could be read.
    let path = path("dead-letter-undecodable");
    let spool = Spool::open(&path).unwrap();
    let writes = (1..=3).map(|seq| insert(seq, "u")).collect();
    spool.submit(writes, Mode::Wait).unwrap();
    spool.submit(vec![bury(1), bury(3)], Mode::Wait).unwrap();
    drop(spool);
    {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(DEAD_LETTERS)
            .unwrap()
            .insert(2, b"not a letter".as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let spool = Spool::open(&path).unwrap();
    let seqs: Vec<u64> = spool
        .dead_letters()
        .unwrap()
        .iter()
        .map(|l| l.seq)
        .collect();
    assert_eq!(seqs, [1, 3]);
    assert_eq!(
        spool.unreadable().unwrap(),
        [Unreadable {
            seq: 2,
            kind: UnreadableKind::DeadLetter,
            bytes: b"not a letter".to_vec()
        }]
    );
    // Removed by its number, as the others.
    assert_eq!(spool.remove_dead_letters([2]).unwrap(), 1);
    assert_eq!(spool.unreadable().unwrap(), []);
    assert_eq!(spool.dead_letters().unwrap().len(), 2);
}

/// A spool with a pending entry set aside (4) and a dead letter that cannot be decoded (2),
/// beside a dead letter (1) and a pending message (3) that read fine.
fn spool_with_both_unreadable_kinds(name: &str) -> (PathBuf, Spool) {
    let path = path(name);
    let spool = Spool::open(&path).unwrap();
    let writes = (1..=4).map(|seq| insert(seq, "u")).collect();
    spool.submit(writes, Mode::Wait).unwrap();
    spool.submit(vec![bury(1), bury(2)], Mode::Wait).unwrap();
    spool
        .submit(
            vec![Write::SetAside {
                seq: 4,
                raw: b"not json".to_vec(),
            }],
            Mode::Wait,
        )
        .unwrap();
    drop(spool);
    {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(DEAD_LETTERS)
            .unwrap()
            .insert(2, b"not a letter".as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let spool = Spool::open(&path).unwrap();
    (path, spool)
}

#[test]
fn each_unreadable_entry_says_whether_it_was_a_pending_message_or_a_dead_letter() {
    // `unreadable()` listed both as `(seq, bytes)`: the caller could not tell a message never
    // delivered from a letter DFINERY refused.
    let (_path, spool) = spool_with_both_unreadable_kinds("unreadable-kinds");
    assert_eq!(
        spool.unreadable().unwrap(),
        [
            Unreadable {
                seq: 4,
                kind: UnreadableKind::Pending,
                bytes: b"not json".to_vec(),
            },
            Unreadable {
                seq: 2,
                kind: UnreadableKind::DeadLetter,
                bytes: b"not a letter".to_vec(),
            },
        ]
    );
}

#[test]
fn unreadable_entries_read_are_removed_by_their_numbers_durably_and_only_those() {
    // A pending entry set aside could never be removed: `remove_dead_letters` passes over it,
    // and nothing else deletes from the spool's table of unreadable entries.
    let (path, spool) = spool_with_both_unreadable_kinds("unreadable-removed");
    let read: Vec<u64> = spool.unreadable().unwrap().iter().map(|u| u.seq).collect();
    assert_eq!(read, [4, 2]);
    // The tracker sets another entry aside after the read: it is kept for the next one.
    spool
        .submit(
            vec![Write::SetAside {
                seq: 3,
                raw: b"also not json".to_vec(),
            }],
            Mode::Wait,
        )
        .unwrap();
    // A number that names no unreadable entry (1 is a dead letter that reads fine) is passed
    // over.
    assert_eq!(
        spool
            .remove_unreadable(read.iter().copied().chain([1]))
            .unwrap(),
        2
    );
    let left: Vec<u64> = spool.unreadable().unwrap().iter().map(|u| u.seq).collect();
    assert_eq!(left, [3], "the entry set aside after the read is kept");
    assert_eq!(spool.remove_unreadable([4, 2]).unwrap(), 0);
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    let left: Vec<u64> = spool.unreadable().unwrap().iter().map(|u| u.seq).collect();
    assert_eq!(left, [3], "the removal is durable");
    let letters: Vec<u64> = spool
        .dead_letters()
        .unwrap()
        .iter()
        .map(|l| l.seq)
        .collect();
    assert_eq!(letters, [1], "a dead letter that reads fine is not removed");
}

/// A file of format 1 (one row per pending message), as the previous version left it.
fn format_1_file(path: &std::path::Path, pending: std::ops::RangeInclusive<u64>) -> Vec<Vec<u8>> {
    let db = Database::create(path).unwrap();
    let txn = db.begin_write().unwrap();
    let mut written = Vec::new();
    {
        txn.open_table(META).unwrap().insert("format", 1).unwrap();
        let mut table = txn.open_table(LEGACY_PENDING).unwrap();
        for seq in pending {
            let bytes = envelope(&format!("u{}", seq % 7));
            table.insert(seq, bytes.as_slice()).unwrap();
            written.push(bytes);
        }
        txn.open_table(DEAD_LETTERS)
            .unwrap()
            .insert(9_000, b"{}".as_slice())
            .unwrap();
        txn.open_table(UNREADABLE).unwrap();
    }
    txn.commit().unwrap();
    written
}

#[test]
fn a_format_1_spool_is_moved_to_batches_when_opened_with_every_message_kept() {
    let path = path("format-1");
    let written = format_1_file(&path, 1..=2500);
    let spool = Spool::open(&path).unwrap();
    assert_eq!(spool.pending_len(), 2500);
    let bytes: usize = written.iter().map(Vec::len).sum();
    assert_eq!(spool.pending_bytes(), bytes as u64);
    assert_eq!(spool.last_seq(), 9_000, "the dead letter's number counts");
    let rows = spool.read_pending(0, u64::MAX, usize::MAX).unwrap();
    let expected: Vec<(u64, Vec<u8>)> = (1..=2500).zip(written).collect();
    assert_eq!(rows, expected);
    // Delivered messages leave it as before.
    spool
        .submit((1..=1500).map(Write::Remove).collect(), Mode::Wait)
        .unwrap();
    assert_eq!(spool.pending_len(), 1000);
    drop(spool);

    // Written in format 2 now: the old table is gone, and the file opens as it is.
    {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let format = txn.open_table(META).unwrap().get("format").unwrap();
        assert_eq!(format.map(|v| v.value()), Some(SPOOL_FORMAT));
        let tables: Vec<String> = txn
            .list_tables()
            .unwrap()
            .map(|t| redb::TableHandle::name(&t).to_owned())
            .collect();
        assert!(!tables.iter().any(|t| t == "pending"), "{tables:?}");
        assert_eq!(txn.open_table(BATCHES).unwrap().len().unwrap(), 2);
    }
    let spool = Spool::open(&path).unwrap();
    assert_eq!(spool.pending_len(), 1000);
    assert_eq!(
        spool.read_pending(0, u64::MAX, usize::MAX).unwrap(),
        expected[1500..]
    );
    assert_eq!(spool.dead_letter_count().unwrap(), 1);
}

#[test]
fn a_batch_damaged_on_disk_keeps_what_precedes_the_damage_and_numbers_the_rest() {
    let path = path("damaged-batch");
    {
        let spool = Spool::open(&path).unwrap();
        spool
            .submit((1..=4).map(|seq| insert(seq, "u")).collect(), Mode::Wait)
            .unwrap();
        spool
            .submit((5..=6).map(|seq| insert(seq, "v")).collect(), Mode::Wait)
            .unwrap();
    }
    // The third message's length made larger than the row: its frame no longer fits.
    let third = {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        let third;
        {
            let mut table = txn.open_table(BATCHES).unwrap();
            let (key, mut row) = {
                let first = table.first().unwrap().unwrap();
                (first.0.value(), first.1.value().to_vec())
            };
            let at: usize = batch::Entries::new(&row)
                .take(2)
                .map(|(_, b)| 20 + b.len())
                .sum();
            third = row[at + 20..].to_vec();
            row[at + 16..at + 20].copy_from_slice(&u32::MAX.to_le_bytes());
            table.insert(key, row.as_slice()).unwrap();
        }
        txn.commit().unwrap();
        third
    };
    let spool = Spool::open(&path).unwrap();
    assert_eq!(spool.pending_len(), 5, "1, 2, the damaged rest, 5 and 6");
    let rows = spool.read_pending(0, u64::MAX, usize::MAX).unwrap();
    let seqs: Vec<u64> = rows.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        [1, 2, 5, 6, 7],
        "the rest is numbered after every other"
    );
    // The rest holds the damaged frame's first bytes and everything after it, for the
    // tracker to set aside as unreadable.
    let rest = &rows[4].1;
    assert!(rest.ends_with(&third), "{} bytes", rest.len());
    assert!(serde_json::from_slice::<Envelope>(rest).is_err());
    assert_eq!(spool.last_seq(), 7);
}

#[test]
fn a_large_commit_is_cut_into_rows_of_about_a_mebibyte() {
    let path = path("large-commit");
    let spool = Spool::open(&path).unwrap();
    let entry = |seq: u64| format!("{seq:08}{}", "x".repeat(992)).into_bytes();
    let writes = (1..=3000)
        .map(|seq| Write::Insert {
            seq,
            bytes: entry(seq).into(),
        })
        .collect();
    spool.submit(writes, Mode::Wait).unwrap();
    assert_eq!(
        (spool.pending_len(), spool.pending_bytes()),
        (3000, 3_000_000)
    );
    let rows = |spool: &Spool| {
        let db = spool.store.db.read().unwrap();
        let txn = db.as_ref().unwrap().begin_read().unwrap();
        txn.open_table(BATCHES).unwrap().len().unwrap()
    };
    // Larger than the journal (or moved there when closed): in the file's batches.
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    assert_eq!(rows(&spool), 3, "3 MB in rows of at most 1 MiB");
    // The first row settled whole, the second in part (named delivered in the journal, taken
    // out of the rows at the next checkpoint: here, when the spool is closed).
    spool
        .submit((1..=1500).map(Write::Remove).collect(), Mode::Wait)
        .unwrap();
    assert_eq!(spool.pending_len(), 1500);
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    assert_eq!(rows(&spool), 2);
    let read = spool.read_pending(0, u64::MAX, usize::MAX).unwrap();
    let expected: Vec<(u64, Vec<u8>)> = (1501..=3000).map(|seq| (seq, entry(seq))).collect();
    assert_eq!(read, expected);
}

#[test]
fn callbacks_answered_in_a_runtime_come_in_commit_order_and_still_come_once_it_is_gone() {
    let path = path("answers");
    let spool = Spool::open(&path).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let on_thread = |seq: u64, tx: &std::sync::mpsc::Sender<(u64, String)>| -> Done {
        let tx = tx.clone();
        Box::new(move |result| {
            assert!(result.is_ok(), "{result:?}");
            let thread = std::thread::current().name().unwrap_or("").to_owned();
            let _ = tx.send((seq, thread));
        })
    };
    let multi_thread = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("answers-runtime")
            .build()
            .unwrap()
    };
    let runtime = multi_thread();
    runtime.block_on(async {
        for seq in 1..=50 {
            spool.enqueue_answered_in_runtime(
                vec![insert(seq, "u")],
                Mode::Wait,
                on_thread(seq, &tx),
            );
        }
        let (done, answered) = tokio::sync::oneshot::channel();
        spool.enqueue_answered_in_runtime(
            Vec::new(),
            Mode::Wait,
            Box::new(move |_| {
                let _ = done.send(());
            }),
        );
        answered.await.unwrap();
    });
    let answered: Vec<(u64, String)> = rx.try_iter().collect();
    assert_eq!(
        answered.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        (1..=50).collect::<Vec<_>>(),
        "in the order of their commits"
    );
    assert!(
        answered
            .iter()
            .all(|(_, thread)| thread == "answers-runtime"),
        "on the runtime, not on the writer thread: {answered:?}"
    );
    drop(runtime);

    // Handed over in a runtime that is gone before the commit: answered on the writer thread.
    let held = spool.store.db.write().unwrap();
    let runtime = multi_thread();
    runtime.block_on(async {
        spool.enqueue_answered_in_runtime(vec![insert(51, "u")], Mode::Wait, on_thread(51, &tx));
    });
    drop(runtime);
    drop(held);
    let (seq, thread) = rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
    assert_eq!((seq, thread.as_str()), (51, "dfinery-spool"));

    // A current-thread runtime runs its tasks only while driven: answered on the writer thread,
    // so a caller driving another runtime is never left waiting.
    let idle = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    idle.block_on(async {
        spool.enqueue_answered_in_runtime(vec![insert(52, "u")], Mode::Wait, on_thread(52, &tx));
    });
    let (seq, thread) = rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
    assert_eq!((seq, thread.as_str()), (52, "dfinery-spool"));
    assert_eq!(spool.pending_len(), 52);
}

/// The task answering the callbacks can be dropped with answers still queued to it: its
/// runtime shut down after the writer handed them over but before the task ran. Those callers
/// must still be answered (the tracker's callback queues the committed messages and gives back
/// their room in the queue; dropped uncalled, the messages wait in the file for the next
/// process and their room is lost for good).
#[test]
fn answers_queued_to_a_task_that_is_dropped_before_it_runs_are_still_given() {
    let path = path("answers-dropped");
    let spool = Spool::open(&path).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    // The task, as the first such call starts it; its receiving end is held here instead, to
    // be dropped as the runtime's shutdown drops the task.
    let (task, queued) = tokio::sync::mpsc::unbounded_channel();
    *spool.store.answers.lock().unwrap() = vec![(runtime.handle().id(), task)];
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let _in_runtime = runtime.enter();
        spool.enqueue_answered_in_runtime(
            vec![insert(1, "u")],
            Mode::Wait,
            Box::new(move |result| {
                let _ = tx.send(result.is_ok());
            }),
        );
    }
    // Answered on the writer thread once the commit before it has been handed to the task.
    spool.submit(Vec::new(), Mode::Wait).unwrap();
    drop(queued);
    let answered = rx.recv_timeout(std::time::Duration::from_secs(30));
    assert_eq!(
        answered,
        Ok(true),
        "the caller is told its message is durable"
    );
    drop(runtime);
}

/// Recovery reads pages in sequence order whatever rows the messages are in: rows whose
/// sequence numbers interleave (a commit of 1, 5 and 9, then one of 2, 3 and 6, one message of
/// each settled) are paged as one ordered list, before and after the file is opened again.
#[test]
fn pages_follow_sequence_order_across_rows_whose_numbers_interleave() {
    let path = path("interleaved");
    let spool = Spool::open(&path).unwrap();
    spool
        .submit(
            vec![insert(1, "u"), insert(5, "u"), insert(9, "v")],
            Mode::Wait,
        )
        .unwrap();
    spool
        .submit(
            vec![insert(2, "v"), insert(3, "u"), insert(6, "u")],
            Mode::Wait,
        )
        .unwrap();
    spool
        .submit(vec![Write::Remove(5), Write::Remove(2)], Mode::Wait)
        .unwrap();
    let pages = |spool: &Spool| {
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let page = spool.read_pending(after, 9, 2).unwrap();
            if page.is_empty() {
                return seen;
            }
            assert!(page.len() <= 2);
            after = page.last().unwrap().0;
            seen.push(page.iter().map(|(seq, _)| *seq).collect::<Vec<_>>());
        }
    };
    assert_eq!(pages(&spool), [vec![1, 3], vec![6, 9]]);
    drop(spool);
    let spool = Spool::open(&path).unwrap();
    assert_eq!(pages(&spool), [vec![1, 3], vec![6, 9]]);
    assert_eq!(spool.read_pending(3, 6, 10).unwrap().len(), 1, "only 6");
}

/// A row found twice in the file (the same messages under two keys: a copy made by damage)
/// holds nothing new: each message is kept once, not a second time under a new number, which
/// would send it again after every later message of its user.
#[test]
fn a_message_found_twice_with_the_same_bytes_is_kept_once() {
    let path = path("twice");
    {
        let spool = Spool::open(&path).unwrap();
        spool
            .submit(vec![insert(1, "u"), insert(2, "u")], Mode::Wait)
            .unwrap();
        spool.submit(vec![insert(3, "u")], Mode::Wait).unwrap();
    }
    {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(BATCHES).unwrap();
            let first = table.first().unwrap().unwrap().1.value().to_vec();
            table.insert(1000, first.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let spool = Spool::open(&path).unwrap();
    let seqs = pending_seqs(&spool);
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(spool.pending_len(), 3);
    assert_eq!(spool.last_seq(), 3);
}

#[test]
fn a_number_far_above_any_given_out_is_damage_renumbered_without_running_out() {
    let path = path("huge-seq");
    {
        let spool = Spool::open(&path).unwrap();
        let writes = vec![insert(1, "u"), insert(2, "u"), insert(u64::MAX, "v")];
        spool.submit(writes, Mode::Wait).unwrap();
        let letter = serde_json::to_vec(&serde_json::json!({"damaged": true})).unwrap();
        spool
            .submit(
                vec![Write::Bury {
                    seq: u64::MAX - 1,
                    letter,
                }],
                Mode::Wait,
            )
            .unwrap();
    }
    let spool = Spool::open(&path).unwrap();
    let seqs = pending_seqs(&spool);
    assert_eq!(seqs, [1, 2, 3], "the huge number is given the next one");
    assert_eq!(spool.last_seq(), 3, "the numbers after it do not run out");
}

#[test]
fn a_file_this_process_may_not_write_is_a_path_problem_not_the_damaged_file_advice() {
    // The error opening a file in a read-only folder (or a read-only file) gives; injected,
    // since a test running as root may write anywhere.
    for kind in [
        std::io::ErrorKind::PermissionDenied,
        std::io::ErrorKind::ReadOnlyFilesystem,
    ] {
        let path = path("not-writable");
        let error = Spool::open_with_backend(&path, move || {
            Err::<redb::backends::FileBackend, _>(std::io::Error::from(kind))
        })
        .unwrap_err();
        assert!(matches!(error, SpoolError::Path { .. }), "{error:?}");
        let text = error.to_string();
        assert!(
            text.contains("this process may not create or write the file"),
            "{text}"
        );
        assert!(
            text.contains("give a path in a folder it can write"),
            "{text}"
        );
        assert!(!text.contains("move it aside"), "{text}");
        assert!(!path.exists());
    }
}

/// The writer's identity check (`follow::identify`, a `statx` of the inode alone on Linux)
/// names a file as the standard library's metadata does, tells two files apart, and says a
/// missing path is missing: what the checks for a deleted or replaced spool compare.
#[test]
fn a_file_is_identified_by_its_device_and_inode_as_the_standard_library_reads_them() {
    let first = path("identify-first");
    let second = path("identify-second");
    std::fs::write(&first, b"one").unwrap();
    std::fs::write(&second, b"two").unwrap();
    let id = follow::identify(&first).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(&first).unwrap();
        assert_eq!(
            id,
            Some(follow::FileId::new(meta.dev(), meta.ino())),
            "the device and inode of {}",
            first.display()
        );
        assert_ne!(id, follow::identify(&second).unwrap());
    }
    assert_eq!(follow::identify(&first).unwrap(), id, "asked twice");
    std::fs::remove_file(&first).unwrap();
    let missing = follow::identify(&first).unwrap_err();
    assert_eq!(missing.kind(), std::io::ErrorKind::NotFound, "{missing}");
    assert_eq!(follow::file_id(&first), None);
}

/// The temporary files beside a spool file at `path`: `<name>.new-…`.
#[cfg(unix)]
fn temporaries(path: &std::path::Path) -> Vec<String> {
    let prefix = format!("{}.new-", path.file_name().unwrap().to_string_lossy());
    std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(&prefix))
        .collect()
}

/// A new spool file is made under a temporary name and linked at its path once whole (see
/// `open.rs`, `create_whole`): nothing is left under a temporary name, and on Linux what a
/// creation cut short left (in a process that is gone) is removed.
#[cfg(unix)]
#[test]
fn a_new_spool_file_is_made_aside_and_what_a_creation_cut_short_left_is_removed() {
    let fresh = path("whole-fresh");
    // A process id above Linux's highest (2^22): no such process runs.
    let leftover = fresh.with_file_name(format!(
        "{}.new-4999999-0",
        fresh.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&leftover, b"redb\x1a\x0a\xa9 torn").unwrap();
    // A file of the user's whose name only begins like one (a copy of the spool, say) is
    // not one: it is left alone.
    let users = fresh.with_file_name(format!(
        "{}.new-4999999-copy",
        fresh.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&users, b"the user's").unwrap();
    let spool = Spool::open(&fresh).unwrap();
    spool.submit(vec![insert(1, "u")], Mode::Wait).unwrap();
    drop(spool);
    let users_name = users.file_name().unwrap().to_string_lossy().into_owned();
    if cfg!(target_os = "linux") {
        assert_eq!(temporaries(&fresh), [users_name]);
    } else {
        let left = leftover.file_name().unwrap().to_string_lossy().into_owned();
        let mut expected = vec![left, users_name];
        expected.sort();
        let mut found = temporaries(&fresh);
        found.sort();
        assert_eq!(found, expected);
    }
    assert_eq!(std::fs::read(&users).unwrap(), b"the user's");
    let _ = std::fs::remove_file(&users);
    assert_eq!(Spool::open(&fresh).unwrap().pending_len(), 1);
}

/// Two opens racing to create the same new spool file: one has it, the other is told it is in
/// use, every round; neither writes into a file no longer at the path (with one temporary name
/// for both, the second could take the first's file and both "open" it).
#[cfg(unix)]
#[test]
fn two_opens_racing_to_create_one_spool_file_give_it_to_one_of_them() {
    for round in 0..20 {
        let fresh = path(&format!("whole-race-{round}"));
        let barrier = std::sync::Barrier::new(2);
        let results: Vec<Result<Spool, SpoolError>> = std::thread::scope(|scope| {
            let open = || {
                barrier.wait();
                Spool::open(&fresh)
            };
            let first = scope.spawn(open);
            let second = scope.spawn(open);
            vec![first.join().unwrap(), second.join().unwrap()]
        });
        let opened = results.iter().filter(|r| r.is_ok()).count();
        let in_use = results
            .iter()
            .filter(|r| matches!(r, Err(SpoolError::InUse { .. })))
            .count();
        assert_eq!((opened, in_use), (1, 1), "round {round}: {results:?}");
        let spool = results.into_iter().find_map(Result::ok).unwrap();
        spool.submit(vec![insert(1, "u")], Mode::Wait).unwrap();
        drop(spool);
        assert_eq!(
            Spool::open(&fresh).unwrap().pending_len(),
            1,
            "round {round}"
        );
        assert_eq!(temporaries(&fresh), Vec::<String>::new(), "round {round}");
    }
}
