//! The spool on its own: writes from many threads, removal, dead letters, reopening, and a
//! format from another version.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use crate::encode::identity::Identity;
use crate::encode::record::EventRecord;
use crate::encode::value::Datetime;
use crate::tracker::message::{Envelope, Message};

fn path(name: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join("dfinery-spool-unit");
    std::fs::create_dir_all(&dir).unwrap();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!("{name}-{}-{n}.redb", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn envelope(user: &str) -> Vec<u8> {
    serde_json::to_vec(&Envelope {
        identity: Identity::from_external_id(user).unwrap(),
        message: Message::Event(EventRecord::builder("df_login").build().unwrap()),
    })
    .unwrap()
}

fn insert(seq: u64, user: &str) -> Write {
    Write::Insert {
        seq,
        bytes: envelope(user),
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
        let letter = DeadLetter {
            seq: 3,
            identity: Identity::from_external_id("u").unwrap(),
            message: Message::Identify {
                request_datetime: Datetime::from_unix_millis(0).unwrap(),
            },
            reason: "refused".into(),
            kind: "validation".into(),
            attempts: 1,
            at: Datetime::from_unix_millis(0).unwrap(),
        };
        let letter = serde_json::to_vec(&letter).unwrap();
        spool
            .submit(vec![Write::Bury { seq: 3, letter }], Mode::Soon)
            .unwrap();
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
    assert_eq!(spool.unreadable().unwrap(), [(4, b"not json".to_vec())]);
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
fn a_missing_folder_is_an_open_error() {
    let path = std::env::temp_dir().join("dfinery-no-such-folder/x/spool.redb");
    let error = Spool::open(&path).unwrap_err();
    assert!(matches!(error, SpoolError::Open { .. }), "{error:?}");
}
