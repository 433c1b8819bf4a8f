//! A counting global allocator: every allocation is counted, for the whole process and for
//! the thread that made it, so a comparison can report allocations (and bytes) per event
//! beside its time.
//!
//! Each thread counts into counters of its own, which only it writes: counting costs no
//! atomic read-modify-write on memory shared between cores, so a multi-threaded measurement
//! (the pipeline's tracking tasks on two workers) does not pay for the counting in cache
//! traffic between its cores. The process's count is the sum over every thread that ever
//! allocated (the counters of a thread that exited are kept).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ops::Sub;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

/// One thread's counts, written by that thread only, in a list of every thread's that is
/// never freed.
struct ThreadCounts {
    allocations: AtomicU64,
    bytes: AtomicU64,
    next: *mut ThreadCounts,
}

/// The most recently registered thread's counts, the head of the list.
static THREADS: AtomicPtr<ThreadCounts> = AtomicPtr::new(ptr::null_mut());

/// Allocations made where a thread's counters could not be reached (while it exits).
static ORPHAN_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ORPHAN_BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // A constant initialiser and no destructor: touching it never allocates.
    static MINE: Cell<*mut ThreadCounts> = const { Cell::new(ptr::null_mut()) };
}

/// The system allocator, counting each allocation and its size (a `realloc` counts as one
/// allocation of the new size). Installed as the global allocator of everything that links
/// this crate: the report binary, the criterion benches and the tests.
pub struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only
// this thread's counters (allocated once from the system allocator, never freed) or atomics.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn count(bytes: usize) {
    let counted = mine().map(|counts| {
        // Only this thread writes its counters: a plain load and store, no locked add.
        let add = |counter: &AtomicU64, n: u64| {
            counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
        };
        add(&counts.allocations, 1);
        add(&counts.bytes, bytes as u64);
    });
    if counted.is_none() {
        ORPHAN_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ORPHAN_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

/// This thread's counters, registered on first use; `None` when they cannot be reached.
fn mine() -> Option<&'static ThreadCounts> {
    let slot = MINE.try_with(|slot| {
        if slot.get().is_null() {
            slot.set(register());
        }
        slot.get()
    });
    // SAFETY: a registered `ThreadCounts` is initialised and never freed.
    slot.ok().and_then(|counts| unsafe { counts.as_ref() })
}

/// Allocates (from the system allocator, so counting does not recurse) and links a new
/// thread's counters; null when the system allocator fails.
fn register() -> *mut ThreadCounts {
    // SAFETY: `ThreadCounts` has a non-zero size.
    let node = unsafe { System.alloc(Layout::new::<ThreadCounts>()) }.cast::<ThreadCounts>();
    if node.is_null() {
        return node;
    }
    let mut head = THREADS.load(Ordering::Acquire);
    // SAFETY: `node` is a fresh, suitably aligned allocation of one `ThreadCounts`.
    unsafe {
        node.write(ThreadCounts {
            allocations: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            next: head,
        });
    }
    loop {
        match THREADS.compare_exchange_weak(head, node, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return node,
            Err(now) => {
                head = now;
                // SAFETY: `node` is not shared yet; only this thread writes it.
                unsafe { (*node).next = head };
            }
        }
    }
}

/// Allocations made up to a point (by the process or by one thread); subtract two to get what
/// happened in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AllocCount {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
    pub allocations: u64,
    /// Bytes requested by those calls.
    pub bytes: u64,
}

impl Sub for AllocCount {
    type Output = AllocCount;

    fn sub(self, earlier: AllocCount) -> AllocCount {
        AllocCount {
            allocations: self.allocations.saturating_sub(earlier.allocations),
            bytes: self.bytes.saturating_sub(earlier.bytes),
        }
    }
}

/// The process's allocations so far: every thread's, those of threads that exited included.
/// Another thread's latest allocations may not be seen yet unless something (joining it,
/// a channel, a lock) ordered them before this call.
pub fn allocated() -> AllocCount {
    let mut total = AllocCount {
        allocations: ORPHAN_ALLOCATIONS.load(Ordering::Relaxed),
        bytes: ORPHAN_BYTES.load(Ordering::Relaxed),
    };
    let mut node = THREADS.load(Ordering::Acquire);
    // SAFETY: every node in the list is initialised before it is linked and never freed.
    while let Some(counts) = unsafe { node.as_ref() } {
        total.allocations += counts.allocations.load(Ordering::Relaxed);
        total.bytes += counts.bytes.load(Ordering::Relaxed);
        node = counts.next;
    }
    total
}

/// The allocations this thread made so far (not those of other threads, which a
/// single-threaded measurement must not count).
pub fn allocated_by_this_thread() -> AllocCount {
    mine().map_or_else(AllocCount::default, |counts| AllocCount {
        allocations: counts.allocations.load(Ordering::Relaxed),
        bytes: counts.bytes.load(Ordering::Relaxed),
    })
}
