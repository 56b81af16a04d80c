//! Lays out the heap before the snapshot so that a run writes as few separate ranges of pages as it can, and its own allocations sit below the engine's objects.
//!
//! Every page a run writes costs the host a fault during the run and a reset
//! after it, and the pool's reset keeps a run's written pages resident only
//! for the first 32 separate ranges of them, in address order: the pages past
//! those are returned to the kernel and faulted in again by the next run.
//! Three things, done as `Engine::new` (`main.rs`) makes the engine:
//! - [`reserve_room`] takes a block before the engine exists, so it lies below
//!   all of the engine's objects, and gives it back last: it is then the one
//!   free chunk below the heap's top, and a run's allocations come from it, in
//!   the first ranges the reset sees. At the top of the heap they came after
//!   the ranges a run's writes to the engine's objects make (more than 32 in a
//!   one-call run): a one-call run took 0.167 ms with 18 faults, and 0.127 ms
//!   with 6 with the room (`sluice-peer-bench w1`, interleaved).
//! - [`plug_holes`] takes every other free chunk (memory never freed):
//!   building the API leaves holes among its live objects (the parser's
//!   buffers, temporaries), and a run's allocations landed in them, all over
//!   the snapshot. With the whole API this took a one-call run from about 205
//!   to 160 µs (`benches/run_latency.rs`).
//! - [`fill_arenas`] does the same for QuickJS's small-block arenas: their
//!   free blocks, in a partly used 4 KB arena per size class scattered through
//!   the heap, would each be a range of their own.

#![allow(unsafe_code)]

use rquickjs::{Ctx, qjs};

unsafe extern "C" {
    /// Takes every free block of QuickJS's small-block arenas, for good
    /// (`vendor/rquickjs-sys/quickjs/quickjs-sluice.c`); returns how many.
    fn JS_SluiceFillArenas(rt: *mut qjs::JSRuntime) -> usize;
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
/// from, so that a run makes arenas of its own (from the room).
pub fn fill_arenas(ctx: &Ctx<'_>) {
    // SAFETY: a live context's runtime, on the thread that owns it; the call
    // only allocates from the runtime's arenas.
    unsafe { JS_SluiceFillArenas(qjs::JS_GetRuntime(ctx.as_raw().as_ptr())) };
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
