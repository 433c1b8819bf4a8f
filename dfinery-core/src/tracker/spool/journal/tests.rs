//! The journal's tests, on a file in memory that can fail or cut a write short and that keeps
//! what the last sync made durable (what a crash leaves), and one on a real file.

use std::io;

use proptest::prelude::*;

use super::replay::{Dropped, READ_CHUNK};
use super::*;

/// A file in memory: `data` is what reads see (the page cache), `durable` what the last
/// successful sync made durable; it fails the writes and syncs it is told to.
#[derive(Clone, Default)]
struct MemFile {
    data: Vec<u8>,
    durable: Vec<u8>,
    writes: usize,
    syncs: usize,
    /// The nth write (from 1) fails with ENOSPC after writing nothing.
    fail_write: Option<usize>,
    /// The nth write (from 1) writes only its first bytes, then fails with EIO.
    short_write: Option<(usize, usize)>,
    /// The nth sync (from 1) fails with EIO and makes nothing durable.
    fail_sync: Option<usize>,
}

impl MemFile {
    /// What a crash leaves: the bytes of the last sync.
    fn crashed(&self) -> MemFile {
        MemFile {
            data: self.durable.clone(),
            durable: self.durable.clone(),
            ..MemFile::default()
        }
    }

    /// The same bytes, opened again without faults.
    fn reopened(&self) -> MemFile {
        MemFile {
            data: self.data.clone(),
            durable: self.durable.clone(),
            ..MemFile::default()
        }
    }

    fn put(&mut self, buf: &[u8], offset: u64) {
        let offset = offset as usize;
        if self.data.len() < offset + buf.len() {
            self.data.resize(offset + buf.len(), 0);
        }
        self.data[offset..offset + buf.len()].copy_from_slice(buf);
    }
}

impl JournalFile for MemFile {
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.writes += 1;
        if self.fail_write == Some(self.writes) {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "no space left on device (injected)",
            ));
        }
        if let Some((nth, kept)) = self.short_write
            && nth == self.writes
        {
            self.put(&buf[..kept.min(buf.len())], offset);
            return Err(io::Error::other("input/output error (injected)"));
        }
        self.put(buf, offset);
        Ok(())
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let offset = offset as usize;
        let Some(bytes) = self.data.get(offset..offset + buf.len()) else {
            return Err(io::ErrorKind::UnexpectedEof.into());
        };
        buf.copy_from_slice(bytes);
        Ok(())
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.syncs += 1;
        if self.fail_sync == Some(self.syncs) {
            return Err(io::Error::other("input/output error (injected)"));
        }
        self.durable = self.data.clone();
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.data.len() as u64)
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.data.resize(len as usize, 0);
        Ok(())
    }
}

const CAPACITY: u64 = 64 * 1024;

fn new_journal() -> Journal<MemFile> {
    Journal::create(MemFile::default(), CAPACITY).unwrap()
}

/// The payload of entry `seq`: a few bytes that differ per entry.
fn payload(seq: u64, len: usize) -> Vec<u8> {
    (0..len).map(|i| (seq as usize * 31 + i) as u8).collect()
}

/// Appends one group of entries `seqs`, each in two parts, synced.
fn append(journal: &mut Journal<MemFile>, seqs: &[u64], len: usize) -> Range<u64> {
    let bytes: Vec<Vec<u8>> = seqs.iter().map(|&seq| payload(seq, len)).collect();
    let parts: Vec<[&[u8]; 2]> = bytes
        .iter()
        .map(|b| {
            let (a, c) = b.split_at(b.len() / 3);
            [a, c]
        })
        .collect();
    let group: Vec<Entry<'_>> = seqs
        .iter()
        .zip(&parts)
        .map(|(&seq, parts)| (seq, &parts[..]))
        .collect();
    journal.append(&group, true).unwrap()
}

fn expected(seqs: impl IntoIterator<Item = u64>, len: usize) -> Vec<(u64, Vec<u8>)> {
    seqs.into_iter()
        .map(|seq| (seq, payload(seq, len)))
        .collect()
}

fn open(file: MemFile) -> (Journal<MemFile>, Replay) {
    Journal::open(file).unwrap()
}

#[test]
fn groups_are_replayed_in_sequence_order_with_their_parts_joined() {
    let mut journal = new_journal();
    append(&mut journal, &[1, 2, 3], 50);
    append(&mut journal, &[5], 0);
    append(&mut journal, &[4, 6], 200);
    let end = journal.end();
    let (reopened, replay) = open(journal.file().crashed());
    let mut want = expected([1, 2, 3], 50);
    want.push((4, payload(4, 200)));
    want.push((5, Vec::new()));
    want.push((6, payload(6, 200)));
    assert_eq!(replay.entries, want);
    assert_eq!(replay.dropped, None);
    assert_eq!(replay.epoch, 1);
    assert_eq!(replay.end, end);
    assert_eq!(reopened.room(), journal.room());
}

#[test]
fn appending_after_a_reopen_continues_the_epoch() {
    let mut journal = new_journal();
    append(&mut journal, &[1, 2], 10);
    let (mut journal, _) = open(journal.file().crashed());
    append(&mut journal, &[3], 10);
    let (_, replay) = open(journal.file().crashed());
    assert_eq!(replay.entries, expected([1, 2, 3], 10));
    assert_eq!(replay.dropped, None);
}

#[test]
fn delivered_markers_drop_their_entries_and_name_the_others() {
    let mut journal = new_journal();
    append(&mut journal, &[1, 2, 3, 4], 10);
    journal.append_delivered(&[2, 4, 99]).unwrap();
    append(&mut journal, &[5], 10);
    journal.sync().unwrap();
    let (_, replay) = open(journal.file().crashed());
    assert_eq!(replay.entries, expected([1, 3, 5], 10));
    assert_eq!(replay.delivered_elsewhere, vec![99]);
}

#[test]
fn unsynced_delivered_markers_are_lost_in_a_crash_and_their_entries_replayed() {
    let mut journal = new_journal();
    append(&mut journal, &[1, 2], 10);
    journal.append_delivered(&[1]).unwrap();
    let (_, replay) = open(journal.file().crashed());
    assert_eq!(replay.entries, expected([1, 2], 10));
    let (_, replay) = open(journal.file().reopened());
    assert_eq!(replay.entries, expected([2], 10));
}

#[test]
fn a_group_that_does_not_fit_is_refused_whole_and_fits_after_a_checkpoint() {
    let mut journal = new_journal();
    let mut seq = 0;
    let err = loop {
        seq += 1;
        let bytes = payload(seq, 1000);
        let parts: [&[u8]; 1] = [&bytes];
        match journal.append(&[(seq, &parts)], false) {
            Ok(_) => {}
            Err(err) => break err,
        }
    };
    let room = journal.room();
    assert!(
        matches!(err, JournalError::Full { needed: 1040, room: r } if r == room),
        "{err}"
    );
    assert!(err.to_string().contains("checkpoint"), "{err}");
    let end = journal.end();
    journal.sync().unwrap();
    let (_, replay) = open(journal.file().crashed());
    assert_eq!(replay.entries.len() as u64, seq - 1);
    assert_eq!(replay.end, end);

    journal.checkpoint(2).unwrap();
    assert_eq!(journal.room(), CAPACITY - DATA_START);
    let bytes = payload(seq, 1000);
    let parts: [&[u8]; 1] = [&bytes];
    journal.append(&[(seq, &parts)], true).unwrap();
    let (_, replay) = open(journal.file().crashed());
    assert_eq!(replay.entries, expected([seq], 1000));
}

#[test]
fn frames_across_the_replays_read_chunks_and_larger_than_one_are_read_whole() {
    let capacity = 3 * READ_CHUNK as u64 + 4096;
    let mut journal = Journal::create(MemFile::default(), capacity).unwrap();
    let big = payload(1, READ_CHUNK + READ_CHUNK / 2);
    let parts: [&[u8]; 1] = [&big];
    journal.append(&[(1, &parts)], false).unwrap();
    let mut want = vec![(1, big.clone())];
    let mut seq = 1;
    loop {
        seq += 1;
        let bytes = payload(seq, 1000 + (seq as usize * 37) % 4000);
        let parts: [&[u8]; 1] = [&bytes];
        match journal.append(&[(seq, &parts)], false) {
            Ok(_) => want.push((seq, bytes)),
            Err(JournalError::Full { .. }) => break,
            Err(err) => panic!("{err}"),
        }
    }
    journal.sync().unwrap();
    let (_, replay) = open(journal.file().crashed());
    assert!(want.len() > 300, "{}", want.len());
    assert_eq!(replay.entries, want);
    assert_eq!(replay.dropped, None);
}

#[test]
fn epochs_reusing_the_file_over_frames_of_other_sizes_replay_cleanly() {
    let mut journal = new_journal();
    let mut seq = 0;
    for epoch in 1..8u64 {
        if epoch > 1 {
            journal.checkpoint(epoch).unwrap();
        }
        let mut want = Vec::new();
        // Each epoch its own entry size, so its frames end inside the older ones.
        let len = 13 + epoch as usize * 29;
        while journal.room() > 4096 {
            seq += 1;
            want.push((seq, payload(seq, len)));
            append(&mut journal, &[seq], len);
        }
        let (_, replay) = open(journal.file().crashed());
        assert_eq!(replay.epoch, epoch);
        assert_eq!(replay.entries, want, "epoch {epoch}");
        assert_eq!(replay.dropped, None, "epoch {epoch}");
    }
}

#[test]
fn a_checkpoint_drops_the_old_epochs_entries() {
    let mut journal = new_journal();
    append(&mut journal, &[1, 2, 3], 300);
    append(&mut journal, &[4, 5], 300);
    journal.checkpoint(2).unwrap();
    let (_, replay) = open(journal.file().crashed());
    assert_eq!((replay.epoch, replay.entries.len()), (2, 0));
    assert_eq!(replay.dropped, None);

    // The new epoch's frames overwrite the front; the old ones after them are not replayed.
    append(&mut journal, &[6], 10);
    journal.append_delivered(&[3]).unwrap();
    journal.sync().unwrap();
    let (mut journal, replay) = open(journal.file().crashed());
    assert_eq!(replay.entries, expected([6], 10));
    assert_eq!(replay.delivered_elsewhere, vec![3]);
    assert_eq!(replay.dropped, None);

    // Epoch 3 goes in the first header slot again; the epoch only moves forward.
    journal.checkpoint(3).unwrap();
    let err = journal.checkpoint(3).unwrap_err();
    assert!(
        matches!(
            err,
            JournalError::EpochNotAfter {
                current: 3,
                asked: 3
            }
        ),
        "{err}"
    );
    let (_, replay) = open(journal.file().crashed());
    assert_eq!((replay.epoch, replay.entries.len()), (3, 0));
}

#[test]
fn a_new_epoch_reads_as_empty_over_a_torn_first_frame_of_the_old() {
    let mut file = new_journal().file().reopened();
    file.short_write = Some((1, 20));
    let (mut journal, _) = open(file);
    let parts: [&[u8]; 1] = [b"torn"];
    assert!(journal.append(&[(1, &parts)], true).is_err());
    journal.checkpoint(2).unwrap();
    let (_, replay) = open(journal.file().reopened());
    assert_eq!((replay.epoch, replay.entries.len()), (2, 0));
    assert_eq!(replay.dropped, None);
}

#[test]
fn a_torn_checkpoint_header_falls_back_to_the_epoch_before() {
    let mut journal = new_journal();
    append(&mut journal, &[1], 10);
    let mut file = journal.file().crashed();
    // Epoch 2's header, torn: its first 20 bytes only.
    file.put(&encode_header(2, CAPACITY)[..20], slot_of(2));
    let (_, replay) = open(file);
    assert_eq!(replay.epoch, 1);
    assert_eq!(replay.entries, expected([1], 10));
}

#[test]
fn a_file_that_is_not_a_journal_is_refused() {
    let file = MemFile {
        data: vec![7; CAPACITY as usize],
        ..MemFile::default()
    };
    let err = Journal::open(file).err().unwrap();
    assert!(matches!(err, JournalError::NotAJournal { .. }), "{err}");
    let err = Journal::open(MemFile::default()).err().unwrap();
    assert!(matches!(err, JournalError::NotAJournal { .. }), "{err}");

    let mut file = new_journal().file().crashed();
    let mut header = encode_header(1, CAPACITY);
    header[8..12].copy_from_slice(&9u32.to_le_bytes());
    let sum = xxh3_64_with_seed(&header[..32], 0);
    header[32..40].copy_from_slice(&sum.to_le_bytes());
    file.put(&header, slot_of(1));
    let err = Journal::open(file).err().unwrap();
    assert!(
        matches!(
            err,
            JournalError::Format {
                found: 9,
                expected: 1
            }
        ),
        "{err}"
    );
    let err = Journal::create(MemFile::default(), 100).err().unwrap();
    assert!(matches!(err, JournalError::TooSmall { .. }), "{err}");
}

/// Five synced groups of two entries each; the ranges they lie in.
fn five_groups() -> (Journal<MemFile>, Vec<Range<u64>>) {
    let mut journal = new_journal();
    let ranges = (0..5u64)
        .map(|g| append(&mut journal, &[2 * g + 1, 2 * g + 2], 100))
        .collect();
    (journal, ranges)
}

#[test]
fn a_flipped_bit_in_the_middle_stops_the_replay_there_and_is_reported() {
    let (journal, ranges) = five_groups();
    let mut file = journal.file().crashed();
    // A bit of the second entry of the third group.
    let second = ranges[2].start + frame_size(100);
    file.data[second as usize + 60] ^= 0x10;
    let (_, replay) = open(file);
    assert_eq!(replay.entries, expected(1..=4, 100));
    let dropped = replay.dropped.unwrap();
    assert_eq!(dropped.offset, second);
    assert_eq!(dropped.unfinished, 1);
    assert!(dropped.frames_after);
    assert!(dropped.reason.contains("checksum"), "{}", dropped.reason);
    assert_eq!(replay.end, ranges[2].start);
}

#[test]
fn zeroes_or_garbage_in_the_middle_stop_the_replay_there_and_are_reported() {
    let (journal, ranges) = five_groups();
    let mut zeroed = journal.file().crashed();
    let at = ranges[1].start as usize;
    zeroed.data[at..at + 64].fill(0);
    let (_, replay) = open(zeroed);
    assert_eq!(replay.entries, expected(1..=2, 100));
    let dropped = replay.dropped.unwrap();
    assert_eq!(
        (dropped.offset, dropped.frames_after),
        (ranges[1].start, true)
    );

    let mut garbage = journal.file().crashed();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for byte in &mut garbage.data[at..at + 100] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = state as u8;
    }
    let (_, replay) = open(garbage);
    assert_eq!(replay.entries, expected(1..=2, 100));
    let dropped = replay.dropped.unwrap();
    assert_eq!(dropped.offset, ranges[1].start);
}

#[test]
fn a_failed_write_leaves_the_journal_usable() {
    let mut journal = new_journal();
    append(&mut journal, &[1], 10);
    let mut file = journal.file().reopened();
    file.fail_write = Some(1);
    let (mut journal, _) = open(file);
    let bytes = payload(2, 10);
    let parts: [&[u8]; 1] = [&bytes];
    let err = journal.append(&[(2, &parts)], true).unwrap_err();
    assert!(
        matches!(&err, JournalError::Io { op: "write", source, .. } if source.kind() == io::ErrorKind::StorageFull),
        "{err}"
    );
    assert!(!journal.is_broken());
    append(&mut journal, &[3], 10);
    let (_, replay) = open(journal.file().crashed());
    assert_eq!(replay.entries, expected([1, 3], 10));
}

#[test]
fn a_write_cut_short_is_never_replayed_in_part_even_after_appending_over_it() {
    let mut journal = new_journal();
    append(&mut journal, &[1], 10);
    let mut file = journal.file().reopened();
    // The group of three entries is cut inside its third frame.
    file.short_write = Some((1, 2 * frame_size(100) as usize + 50));
    let (mut journal, _) = open(file);
    let start = journal.end();
    let bytes: Vec<Vec<u8>> = (2..5).map(|seq| payload(seq, 100)).collect();
    let parts: Vec<[&[u8]; 1]> = bytes.iter().map(|b| [&b[..]]).collect();
    let group: Vec<Entry<'_>> = (2..5).zip(&parts).map(|(seq, p)| (seq, &p[..])).collect();
    let err = journal.append(&group, true).unwrap_err();
    assert!(matches!(err, JournalError::Io { op: "write", .. }), "{err}");
    assert_eq!(journal.end(), start);

    // Read as it is (the process died before trying again): the torn group is dropped whole.
    let (mut reopened, replay) = open(journal.file().reopened());
    assert_eq!(replay.entries, expected([1], 10));
    let dropped = replay.dropped.unwrap();
    assert_eq!((dropped.unfinished, dropped.frames_after), (2, false));
    assert_eq!(replay.end, start);

    // A smaller group over it, with the same first entry: the old frames after it, still
    // valid by their own checksums, are not replayed.
    for journal in [&mut journal, &mut reopened] {
        let part: [&[u8]; 1] = [&bytes[0]];
        journal.append(&[(2, &part)], true).unwrap();
        let (_, replay) = open(journal.file().crashed());
        assert_eq!(
            replay.entries,
            vec![(1, payload(1, 10)), (2, payload(2, 100))]
        );
        assert_eq!(replay.dropped, None);
    }
}

#[test]
fn a_smaller_group_over_a_failed_one_leaves_no_frame_of_it_behind() {
    let mut journal = new_journal();
    append(&mut journal, &[1], 10);
    let mut file = journal.file().reopened();
    // The whole group reaches the file, but the write reports a failure.
    file.short_write = Some((1, usize::MAX));
    let (mut journal, _) = open(file);
    let bytes: Vec<Vec<u8>> = (2..6).map(|seq| payload(seq, 100)).collect();
    let parts: Vec<[&[u8]; 1]> = bytes.iter().map(|b| [&b[..]]).collect();
    let group: Vec<Entry<'_>> = (2..6).zip(&parts).map(|(seq, p)| (seq, &p[..])).collect();
    assert!(journal.append(&group, true).is_err());
    let part: [&[u8]; 1] = [&bytes[0]];
    journal.append(&[(2, &part)], true).unwrap();
    let (_, replay) = open(journal.file().crashed());
    assert_eq!(
        replay.entries,
        vec![(1, payload(1, 10)), (2, payload(2, 100))]
    );
    // The failed group's later frames were zeroed: nothing valid follows the end.
    assert_eq!(replay.dropped, None);
}

#[test]
fn a_frame_not_chained_to_the_one_before_is_not_replayed() {
    let mut journal = new_journal();
    let ranges: Vec<Range<u64>> = (1..4).map(|seq| append(&mut journal, &[seq], 10)).collect();
    let mut file = journal.file().crashed();
    // The third group's frame (valid by its own checksum) in place of the second's.
    let third = file.data[ranges[2].start as usize..ranges[2].end as usize].to_vec();
    file.put(&third, ranges[1].start);
    let (_, replay) = open(file);
    assert_eq!(replay.entries, expected([1], 10));
    let dropped = replay.dropped.unwrap();
    assert_eq!(dropped.offset, ranges[1].start);
    assert!(
        dropped.reason.contains("does not follow"),
        "{}",
        dropped.reason
    );
}

#[test]
fn a_failed_sync_breaks_the_journal_and_a_reopen_replays_the_synced_groups() {
    let mut journal = new_journal();
    append(&mut journal, &[1, 2], 10);
    let mut file = journal.file().reopened();
    file.fail_sync = Some(2);
    let (mut journal, _) = open(file);
    append(&mut journal, &[3], 10);
    let bytes = payload(4, 10);
    let parts: [&[u8]; 1] = [&bytes];
    let err = journal.append(&[(4, &parts)], true).unwrap_err();
    assert!(matches!(err, JournalError::Io { op: "sync", .. }), "{err}");
    assert!(journal.is_broken());
    for err in [
        journal.append(&[(5, &parts)], true).unwrap_err(),
        journal.append_delivered(&[1]).unwrap_err(),
        journal.sync().unwrap_err(),
        journal.checkpoint(2).unwrap_err(),
    ] {
        assert!(matches!(err, JournalError::Broken { .. }), "{err}");
        assert!(err.to_string().contains("open the file again"), "{err}");
    }
    // After a crash: what was synced. Reopened as it is: the failed group whole, or not at all.
    let (_, replay) = open(journal.file().crashed());
    assert_eq!(replay.entries, expected([1, 2, 3], 10));
    let (_, replay) = open(journal.file().reopened());
    assert_eq!(replay.entries, expected([1, 2, 3, 4], 10));
}

#[test]
fn a_failed_checkpoint_breaks_the_journal() {
    let mut journal = new_journal();
    append(&mut journal, &[1], 10);
    let mut file = journal.file().reopened();
    file.fail_write = Some(1);
    let (mut journal, _) = open(file);
    assert!(journal.checkpoint(2).is_err());
    assert!(journal.is_broken());
    let (_, replay) = open(journal.file().crashed());
    assert_eq!(
        (replay.epoch, replay.entries.clone()),
        (1, expected([1], 10))
    );
}

#[test]
fn a_real_file_round_trips() {
    let path = crate::tracker::test_files::path("journal");
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    let mut journal = Journal::create(file, CAPACITY).unwrap();
    let parts: [&[u8]; 2] = [b"identity,", b"record"];
    journal.append(&[(7, &parts), (8, &parts)], true).unwrap();
    journal.append_delivered(&[7]).unwrap();
    journal.sync().unwrap();
    drop(journal);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    assert_eq!(file.metadata().unwrap().len(), CAPACITY);
    let (_, replay) = Journal::open(file).unwrap();
    assert_eq!(replay.entries, vec![(8, b"identity,record".to_vec())]);
    let _ = std::fs::remove_file(&path);
}

/// A group of entries for the property tests: (seq, parts) per entry.
type Group = Vec<(u64, Vec<Vec<u8>>)>;

/// One to seven groups of one to three entries, each in one or two parts, sequence numbers
/// rising from 1.
fn groups() -> impl Strategy<Value = Vec<Group>> {
    let entry = prop::collection::vec(prop::collection::vec(any::<u8>(), 0..60), 1..3);
    prop::collection::vec(prop::collection::vec(entry, 1..4), 1..8).prop_map(|groups| {
        let mut seq = 0;
        groups
            .into_iter()
            .map(|group| {
                group
                    .into_iter()
                    .map(|parts| {
                        seq += 1;
                        (seq, parts)
                    })
                    .collect()
            })
            .collect()
    })
}

/// Appends `groups` (synced); returns the journal and where each group ends.
fn write_groups(groups: &[Group]) -> (Journal<MemFile>, Vec<u64>) {
    let mut journal = new_journal();
    let ends = groups
        .iter()
        .map(|group| {
            let parts: Vec<Vec<&[u8]>> = group
                .iter()
                .map(|(_, parts)| parts.iter().map(Vec::as_slice).collect())
                .collect();
            let entries: Vec<Entry<'_>> = group
                .iter()
                .zip(&parts)
                .map(|((seq, _), parts)| (*seq, &parts[..]))
                .collect();
            journal.append(&entries, true).unwrap().end
        })
        .collect();
    (journal, ends)
}

/// The entries of the first `n` groups, as a replay gives them.
fn entries_of(groups: &[Group], n: usize) -> Vec<(u64, Vec<u8>)> {
    groups[..n]
        .iter()
        .flatten()
        .map(|(seq, parts)| (*seq, parts.concat()))
        .collect()
}

proptest! {
    /// A cut anywhere (zeroes from there, or the file truncated there) leaves exactly the
    /// groups wholly before it, never part of one.
    #[test]
    fn a_cut_file_replays_exactly_the_groups_before_the_cut(
        groups in groups(),
        at in 0.0f64..=1.0,
        truncate in any::<bool>(),
    ) {
        let (journal, ends) = write_groups(&groups);
        let end = journal.end();
        let cut = DATA_START + ((end - DATA_START) as f64 * at) as u64;
        let mut file = journal.file().crashed();
        // Where the replay can read to, and where each group's last byte that counts ends (the
        // zeroes padding its last frame are zeroes either way).
        let (readable, group_ends): (u64, Vec<u64>) = if truncate {
            file.data.truncate(cut as usize);
            (cut / 8 * 8, ends.clone())
        } else {
            // Each group's last byte that is not zero: zeroes after it (the padding of its
            // last frame, or a payload or an epoch ending in zeroes) read the same cut or not.
            let nonzero = ends
                .iter()
                .map(|&end| {
                    let mut last = end;
                    while last > DATA_START && file.data[last as usize - 1] == 0 {
                        last -= 1;
                    }
                    last
                })
                .collect();
            file.data[cut as usize..].fill(0);
            (cut, nonzero)
        };
        let (_, replay) = Journal::open(file).unwrap();
        let whole = group_ends.iter().filter(|&&e| e <= readable).count();
        prop_assert_eq!(&replay.entries, &entries_of(&groups, whole));
        let resume = if whole == 0 { DATA_START } else { ends[whole - 1] };
        prop_assert_eq!(replay.end, resume);
        let clean = if truncate { readable < resume + FRAME_HEAD as u64 } else { cut <= resume };
        match replay.dropped {
            Some(Dropped { frames_after, offset, .. }) => {
                prop_assert!(!clean);
                prop_assert!(!frames_after);
                // At most past the zeroes padding the frame the cut fell in.
                prop_assert!(offset >= resume && offset <= readable.div_ceil(8) * 8);
            }
            None => prop_assert!(clean),
        }
    }

    /// Garbage written anywhere after the header never panics and leaves a prefix of the
    /// groups, the rest reported.
    #[test]
    fn garbage_anywhere_leaves_a_prefix_of_the_groups(
        groups in groups(),
        at in 0.0f64..1.0,
        garbage in prop::collection::vec(any::<u8>(), 1..80),
    ) {
        let (journal, ends) = write_groups(&groups);
        let end = journal.end();
        let at = DATA_START + ((end - DATA_START) as f64 * at) as u64;
        let mut file = journal.file().crashed();
        file.put(&garbage, at);
        let (_, replay) = Journal::open(file).unwrap();
        let whole = ends.iter().filter(|&&e| e <= at).count();
        let n = (whole..=groups.len())
            .find(|&n| replay.entries == entries_of(&groups, n));
        prop_assert!(n.is_some(), "not a prefix of the groups: {:?}", replay.entries);
        if n != Some(groups.len()) {
            prop_assert!(replay.dropped.is_some());
        }
    }
}
