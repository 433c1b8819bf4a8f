//! Where records' wire objects (and the tracker's spool entries) live: cut from a per-thread
//! chunk of memory that the records made on a thread share, so a record's wire object (up to
//! 4 KiB) costs no allocation of its own (only each chunk's, once for about a dozen records) and
//! dropping one costs a reference count. A record kept alive keeps its whole chunk alive.
//!
//! A record's wire object is 0.3-2 KiB (a purchase of five items is 1.1 KiB): past 1 KiB
//! glibc's `malloc` leaves its per-thread caches for its arenas, and a record is made on the
//! thread that tracks it and dropped on the worker's, so each record paid that slow path
//! twice. `BENCHMARKS.md` ("The record's memory") has the measurements.

use std::cell::RefCell;

use bytes::{Bytes, BytesMut};

thread_local! {
    static CURRENT: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// The size of a chunk: about 14 purchases of five items. A chunk is freed when the last
/// record cut from it is dropped and its thread has moved on to another chunk (or ended), so a
/// record kept long keeps at most this much alive, and so does each thread that has made
/// records.
const CHUNK: usize = 16 * 1024;

/// A wire object longer than this gets an allocation of its own rather than a chunk's room.
const ALONE_ABOVE: usize = 4 * 1024;

/// The bytes `write` writes, cut from this thread's chunk (a new chunk when the room left is
/// less than `len`). `len` is the most `write` writes: writing more is correct but costs a
/// copy.
pub(crate) fn cut(len: usize, mut write: impl FnMut(&mut BytesMut)) -> Bytes {
    if len <= ALONE_ABOVE {
        let cut = CURRENT.try_with(|chunk| {
            // Borrowed already only while `write` makes a record itself: that one goes alone.
            let mut chunk = chunk.try_borrow_mut().ok()?;
            // Empty unless a `write` panicked part way: its bytes are not the next record's.
            chunk.clear();
            if chunk.capacity() < len {
                *chunk = BytesMut::with_capacity(CHUNK);
            }
            write(&mut chunk);
            Some(chunk.split().freeze())
        });
        if let Ok(Some(bytes)) = cut {
            return bytes;
        }
    }
    // Too large for a chunk, or no chunk on this thread (it is exiting, or the chunk is in use).
    alone(len, write)
}

/// `len` bytes written by `write` in an allocation of their own.
fn alone(len: usize, mut write: impl FnMut(&mut BytesMut)) -> Bytes {
    let mut bytes = BytesMut::with_capacity(len);
    write(&mut bytes);
    bytes.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `f` on a thread of its own, whose chunk is new.
    fn on_a_new_thread(f: impl FnOnce() + Send + 'static) {
        std::thread::spawn(f).join().unwrap();
    }

    #[test]
    fn records_cut_one_after_another_share_a_chunk_and_keep_their_bytes() {
        on_a_new_thread(|| {
            let first = cut(5, |b| b.extend_from_slice(b"hello"));
            let second = cut(5, |b| b.extend_from_slice(b"world"));
            let third = cut(5, |b| b.extend_from_slice(b"again"));
            assert_eq!(second.as_ptr(), first.as_ptr().wrapping_add(5));
            assert_eq!(third.as_ptr(), second.as_ptr().wrapping_add(5));
            drop(first);
            assert_eq!(&second[..], b"world");
            drop(third);
            assert_eq!(&second[..], b"world");
        });
    }

    #[test]
    fn a_full_chunk_is_replaced_and_the_old_records_stay_readable() {
        let fill = vec![b'x'; ALONE_ABOVE];
        let kept: Vec<Bytes> = (0..(CHUNK / ALONE_ABOVE) * 2 + 1)
            .map(|_| cut(fill.len(), |b| b.extend_from_slice(&fill)))
            .collect();
        assert!(kept.iter().all(|bytes| bytes[..] == fill[..]));
    }

    #[test]
    fn a_large_record_and_a_record_made_while_writing_one_go_alone() {
        let large = vec![b'y'; ALONE_ABOVE + 1];
        assert_eq!(
            &cut(large.len(), |b| b.extend_from_slice(&large))[..],
            &large[..]
        );
        let outer = cut(5, |b| {
            let inner = cut(5, |b| b.extend_from_slice(b"inner"));
            assert_eq!(&inner[..], b"inner");
            b.extend_from_slice(b"outer");
        });
        assert_eq!(&outer[..], b"outer");
    }

    #[test]
    fn what_a_write_that_panicked_left_is_not_part_of_the_next_record() {
        on_a_new_thread(|| {
            let panicked = std::panic::catch_unwind(|| {
                cut(10, |b| {
                    b.extend_from_slice(b"half");
                    panic!("a write that fails part way");
                })
            });
            assert!(panicked.is_err());
            assert_eq!(&cut(5, |b| b.extend_from_slice(b"whole"))[..], b"whole");
        });
    }

    #[test]
    fn writing_more_than_announced_still_keeps_every_byte() {
        let bytes = cut(2, |b| b.extend_from_slice(b"longer than two"));
        assert_eq!(&bytes[..], b"longer than two");
    }
}
