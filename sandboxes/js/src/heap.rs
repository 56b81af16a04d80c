//! Lays out the heap before the snapshot so that a run writes as few separate ranges of pages as it can, its own allocations sit below the engine's objects, and it seldom grows the memory.
//!
//! Every page a run writes costs the host a fault during the run and a reset
//! after it, and the pool's reset keeps the written pages of the slot (its
//! earlier runs' too: the host gives a large run's back once small runs
//! follow, `src/sandbox/trim.rs`) resident only for the first 32 separate
//! ranges of them, in address order: the pages past those are returned to the
//! kernel and faulted in again by the next run.
//! Done as `Engine::new` (`main.rs`) makes the engine:
//! - [`reserve_room`] takes a block before the engine exists, so it lies below
//!   all of the engine's objects, and gives it back last: it is then the one
//!   free chunk below the heap's top, and a run's allocations come from it, in
//!   the first ranges the reset sees. At the top of the heap they came after
//!   the ranges a run's writes to the engine's objects make (more than 32 in a
//!   one-call run): a one-call run took 0.167 ms with 18 faults, and 0.127 ms
//!   with 5 with the room and the arenas below (`sluice-peer-bench w1`,
//!   interleaved; ~0.107 ms and 1 fault with QuickJS's arenas made lazily).
//! - [`plug_holes`] takes every other free chunk (memory never freed):
//!   building the API leaves holes among its live objects (the parser's
//!   buffers, temporaries), and a run's allocations landed in them, all over
//!   the snapshot. With the whole API this took a one-call run from about 205
//!   to 160 µs (`benches/run_latency.rs`).
//! - [`fill_arenas`] does the same for QuickJS's small-block arenas: their
//!   free blocks, in a partly used 4 KB arena per size class scattered through
//!   the heap, would each be a range of their own; and [`prime_arenas`] makes a
//!   fresh arena per size class in the room once it is free. (A fresh arena
//!   once wrote a free list through all its blocks: a page of writes per size
//!   class that every parked program kept, 29 KiB against 11 KiB with the
//!   arenas made in the snapshot; the vendored QuickJS now hands out a new
//!   arena's blocks in order instead, `VENDORED.md`. Without the primed
//!   arenas a one-call run still takes 4 faults instead of 1, ~5% slower.)
//! - [`leave_headroom`] grows the memory, untouched, to [`SNAPSHOT_MEMORY`], last: a
//!   run that needs more heap grows the memory, and the host makes each new
//!   page accessible (an `mprotect`) and, at the reset, inaccessible again,
//!   walking every page's table entry both times, every run. A page of the
//!   snapshot's memory that a run does not write costs nothing. The allocator
//!   is handed that memory a piece at a time by this module's [`sbrk`] (in
//!   place of wasi-libc's), as it asks: `malloc` marks the end of the memory
//!   it has with a word, and a word at 16 MiB made the compiled module's
//!   memory image 16 MiB, mostly zeros (the cached entry 6.2 -> 15.4 MB, a cold
//!   process ~1.5 ms slower reading and checking it).

#![allow(unsafe_code)]

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

use core::arch::wasm32::{memory_grow, memory_size};
use rquickjs::{Ctx, qjs};

unsafe extern "C" {
    /// Takes every free block of QuickJS's small-block arenas, for good
    /// (`vendor/rquickjs-sys/quickjs/quickjs-sluice.c`); returns how many.
    fn JS_SluiceFillArenas(rt: *mut qjs::JSRuntime) -> usize;
    /// Makes an empty arena for every size class with no free block; returns
    /// how many (-1: out of memory).
    fn JS_SluicePrimeArenas(rt: *mut qjs::JSRuntime) -> std::ffi::c_int;
}

/// The room kept below the engine's objects for a run's allocations
/// ([`reserve_room`]); a one-call run takes about 60 KiB of it. Untouched, it
/// costs a run nothing (it is the snapshot's, not yet written).
const ROOM: usize = 256 << 10;

/// A block to take before anything else is allocated, and to drop after
/// [`plug_holes`]: the room for a run's allocations.
pub fn reserve_room() -> Vec<u8> {
    Vec::with_capacity(ROOM)
}

/// Takes the free blocks of the arenas QuickJS carves its small objects
/// from, so that a run's come from arenas in the room ([`prime_arenas`]).
pub fn fill_arenas(ctx: &Ctx<'_>) {
    // SAFETY: a live context's runtime, on the thread that owns it; the call
    // only allocates from the runtime's arenas.
    unsafe { JS_SluiceFillArenas(qjs::JS_GetRuntime(ctx.as_raw().as_ptr())) };
}

/// Makes an empty arena per size class, in the room (called once the room is
/// free), so that a run's first objects of each size find one in place.
pub fn prime_arenas(ctx: &Ctx<'_>) {
    // Out of memory (-1) leaves runs to make their arenas themselves, as before.
    // SAFETY: as in `fill_arenas`; the call allocates arenas from the heap.
    unsafe { JS_SluicePrimeArenas(qjs::JS_GetRuntime(ctx.as_raw().as_ptr())) };
}

/// The memory's size in the snapshot. Sized to the pool's default
/// `keep_resident_bytes` (`src/sandbox/runtime.rs`), the memory whose pages
/// the reset keeps: growing past that costs faults anyway. Filtering 3.6 MB
/// of tool result (W2 in `benches/peers`) needs ~15 MB; it grew by 8.9 MB
/// a run, and spent ~5% of its time in the two `mprotect`s. A run's memory cap
/// (`ExecutionLimits::memory_bytes`) now can't be below it.
pub const SNAPSHOT_MEMORY: usize = 16 << 20;

/// A wasm page.
const PAGE: usize = 65536;

/// Where [`sbrk`] hands out memory next: 0 (the memory's end, as wasi-libc's
/// own `sbrk`) until [`leave_headroom`] grows the memory past it.
///
/// Its address is exported (the global `sluice_heap_break`, `build.rs`): the
/// host reads it after a run to know that the pages past it were not written,
/// and drops those a larger run left in the pool slot (`src/sandbox/trim.rs`).
// SAFETY: a name no other symbol of the module has.
#[unsafe(export_name = "sluice_heap_break")]
static BREAK: AtomicUsize = AtomicUsize::new(0);

/// Grows the memory to [`SNAPSHOT_MEMORY`], leaving the allocator's break
/// where it was: the pages past it stay untouched, handed out by [`sbrk`].
pub fn leave_headroom() {
    let end = memory_size::<0>() * PAGE;
    if end < SNAPSHOT_MEMORY && memory_grow::<0>((SNAPSHOT_MEMORY - end) / PAGE) != usize::MAX {
        BREAK.store(end, Ordering::Relaxed);
    }
}

/// The allocator's `sbrk` (wasi-libc's `malloc` calls it for more memory, in
/// whole pages; it never shrinks the heap): hands out the memory past the
/// break, growing the memory only when the break passes its end. Defined
/// here, it is linked in place of wasi-libc's (`sbrk.c`), which knows only the
/// memory's end. Returns the old break, or `(void *)-1` for a size it cannot
/// give (negative, not whole pages, or past the memory's limit).
// SAFETY: the one `sbrk` in the module: wasi-libc's lives alone in its archive
// member (`sbrk.c`), linked only if nothing else defines the symbol; this one
// keeps its contract (whole pages, no shrinking, -1 on failure).
#[unsafe(no_mangle)]
pub extern "C" fn sbrk(increment: isize) -> *mut c_void {
    let failed = std::ptr::with_exposed_provenance_mut(usize::MAX);
    let end = memory_size::<0>() * PAGE;
    let brk = match BREAK.load(Ordering::Relaxed) {
        0 => end,
        brk => brk,
    };
    let Ok(increment) = usize::try_from(increment) else { return failed };
    if increment % PAGE != 0 {
        return failed;
    }
    let Some(new) = brk.checked_add(increment) else { return failed };
    if new > end && memory_grow::<0>((new - end) / PAGE) == usize::MAX {
        return failed;
    }
    if increment > 0 {
        BREAK.store(new, Ordering::Relaxed);
    }
    std::ptr::with_exposed_provenance_mut(brk)
}

/// The largest hole size tried; larger holes (rare) are taken in several pieces.
const LARGEST: usize = 64 << 10;

/// Allocates (and keeps) every free chunk below the heap's top.
pub fn plug_holes() {
    // A block this large comes from the top of the heap: everything below its
    // address is holes or live data.
    let probe: Vec<u8> = Vec::with_capacity(1 << 20);
    let top = probe.as_ptr() as usize;
    drop(probe);
    let mut size = LARGEST;
    while size >= 8 {
        loop {
            let block: Vec<u8> = Vec::with_capacity(size);
            if block.as_ptr() as usize >= top {
                break; // no hole this large is left; the block goes back to the top
            }
            std::mem::forget(block);
        }
        size = if size > 256 { size / 2 } else { size - 8 };
    }
}
