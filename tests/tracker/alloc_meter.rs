//! A global allocator that counts, per thread, the bytes allocated and not yet freed, so a
//! test on a current-thread runtime can see how much memory its own work holds.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static NET: Cell<i64> = const { Cell::new(0) };
}

struct Meter;

// SAFETY: every call is forwarded to the system allocator unchanged; the counter is a
// thread-local `Cell` with a constant initialiser and no destructor, so touching it never
// allocates.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as i64);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as i64));
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as i64);
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as i64 - layout.size() as i64);
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn add(bytes: i64) {
    // `try_with`: the slot may be gone while the thread exits.
    let _ = NET.try_with(|net| net.set(net.get() + bytes));
}

#[global_allocator]
static METER: Meter = Meter;

/// Bytes this thread allocated and did not free (negative when it freed others' memory).
pub fn net_bytes() -> i64 {
    NET.try_with(Cell::get).unwrap_or(0)
}
