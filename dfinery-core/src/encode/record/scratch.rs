//! A per-thread buffer that records are written into before their parts are copied out at
//! their exact size: one allocation per part instead of a growing buffer per record.

use std::cell::Cell;

thread_local! {
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// A buffer larger than this after use is freed rather than kept for the thread's next record.
const KEEP_AT_MOST: usize = 64 * 1024;

/// Runs `f` with an empty buffer: the thread's own when it is free, a new one otherwise (a
/// record built while another is being written on the same thread, or during thread exit).
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut buf = SCRATCH.try_with(Cell::take).unwrap_or_default();
    buf.clear();
    let result = f(&mut buf);
    if buf.capacity() <= KEEP_AT_MOST {
        buf.clear();
        let _ = SCRATCH.try_with(|slot| slot.set(buf));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_is_reused_and_always_starts_empty() {
        let first = with_scratch(|buf| {
            buf.extend_from_slice(b"hello");
            buf.as_ptr() as usize
        });
        let second = with_scratch(|buf| {
            assert!(buf.is_empty());
            assert!(buf.capacity() >= 5);
            buf.as_ptr() as usize
        });
        assert_eq!(first, second);
    }

    #[test]
    fn a_nested_use_gets_its_own_buffer() {
        with_scratch(|outer| {
            outer.extend_from_slice(b"outer");
            with_scratch(|inner| {
                assert!(inner.is_empty());
                inner.extend_from_slice(b"inner");
            });
            assert_eq!(outer, b"outer");
        });
    }

    #[test]
    fn a_large_buffer_is_not_kept() {
        with_scratch(|buf| buf.resize(KEEP_AT_MOST + 1, 0));
        with_scratch(|buf| assert!(buf.capacity() <= KEEP_AT_MOST));
    }
}
