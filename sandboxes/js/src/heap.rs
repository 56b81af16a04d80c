//! Fills the heap's free holes before the snapshot, so a run's allocations come from one fresh region.
//!
//! Building the API leaves free chunks scattered among its live objects (the
//! parser's buffers, temporaries). A run's allocations would land in those
//! holes, writing to pages all over the snapshot, and every page a run writes
//! costs the host a fault during the run and a reset after it. Taking every
//! hole at initialisation (memory that is never freed) makes a run allocate
//! past the end of the snapshot's heap instead, on pages of its own. With the
//! whole API this took a one-call run from about 205 to 160 µs
//! (`benches/run_latency.rs`; the prelude before the Web APIs ran in 95 µs).

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
