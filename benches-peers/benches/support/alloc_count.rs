//! A counting global allocator for the peers bench (issue 18, target 2): heap allocations
//! and bytes asked for per call, client side only.
//!
//! Why `unsafe` here: `GlobalAlloc` is an `unsafe trait`, so any allocator wrapper needs an
//! `unsafe impl` (crates such as `stats_alloc` hide the same `unsafe impl` inside). This file
//! is in the bench crate only, its own workspace outside the product, where the library
//! crates' `#![forbid(unsafe_code)]` does not reach; each method only forwards to `System`.
//! A ready-made counter would count every thread of the process, and the bench's server runs
//! in this process: here the server's thread marks itself excluded, so what is counted is the
//! client's work (its runtime thread, and the worker threads of the blocking clients).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// `System`, counting allocations (including reallocations) and the bytes they ask for.
pub struct Counting;

/// Off outside a counting pass, so the timed rounds pay one relaxed load per allocation.
static ON: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // `const` and without a destructor: reading it never allocates, so it is safe to read
    // from inside the allocator.
    static EXCLUDED: Cell<bool> = const { Cell::new(false) };
}

fn note(size: usize) {
    if ON.load(Ordering::Relaxed) && !EXCLUDED.try_with(Cell::get).unwrap_or(true) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(size as u64, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counting touches only atomics and a const thread-local, and
// never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Called on the server's thread: its allocations are not the client's.
pub fn exclude_this_thread() {
    EXCLUDED.with(|e| e.set(true));
}

/// Counts what `f` (and every thread not excluded, while it runs) allocates: (allocations,
/// bytes).
pub fn count<R>(f: impl FnOnce() -> R) -> (R, u64, u64) {
    ALLOCS.store(0, Ordering::SeqCst);
    BYTES.store(0, Ordering::SeqCst);
    ON.store(true, Ordering::SeqCst);
    let r = f();
    ON.store(false, Ordering::SeqCst);
    (
        r,
        ALLOCS.load(Ordering::SeqCst),
        BYTES.load(Ordering::SeqCst),
    )
}
