//! Keeps a pool slot's resident memory the size of the runs it serves: a slot
//! where one run filtered a large tool result gives those pages back once the
//! runs after it stay small.
//!
//! Why: the pool's reset (wasmtime's, with `PAGEMAP_SCAN`) cannot tell the
//! pages a run wrote from those an earlier run in the slot wrote and the reset
//! put back; it treats every private page of the slot as written, copies each
//! back from the memory image after every run, and keeps it resident (up to
//! `keep_resident_bytes`, in at most 32 ranges). So after one run took in 3.6 MB
//! of JSON (~10 MB of interpreter heap), every later run in that slot copied
//! those megabytes back too: a one-call run took ~0.5 ms instead of ~0.19
//! (`sluice-peer-bench w1-after-w2`).
//!
//! How: the JavaScript interpreter exports the address of its allocator's
//! break (the global `sluice_heap_break`, `sandboxes/js/src/heap.rs`); a run
//! writes nothing past its break. After each run, [`Slots::after_run`]
//! compares the run's break with the highest break of the slot's runs since it
//! was last trimmed, and once [`TRIM_AFTER_RUNS`] runs in a row stayed at least
//! [`MIN_TRIM_BYTES`] below it, drops all of the slot's memory
//! (`MADV_DONTNEED`: every page reads as the image again, which is what the
//! reset would have made it), so the reset finds only what the next runs
//! write. All of it, not only what lies past the break: the large run also
//! wrote pages below it that small runs leave alone (its garbage collection
//! marked every object of the interpreter's snapshot), and with those kept a
//! one-call run still copied back ~1 MB. The next run faults its own pages in
//! once (~80 for a one-call run). Trimming after the first smaller run would
//! make a slot that alternates large and small runs fault the large run's
//! pages in again every time (~2,500 faults, some milliseconds, against ~0.3
//! ms of copying per small run); a few small runs' copying costs about one
//! re-fault.
//!
//! Slots are told apart by their memory's address, which the pool keeps for
//! each slot. What is known of a slot is a hint: another module's runs may
//! have written past the break, and a slot first seen is taken to hold pages
//! up to its memory's end. Dropping pages of a memory about to be reset never
//! changes what a later run sees, only what it costs; a module that exports a
//! wrong break only loses the benefit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use wasmtime::{AsContextMut, Instance, Store, Val};

use super::hibernate::sys;

/// The export naming the address of the allocator's break (a 32-bit word).
const BREAK_EXPORT: &str = "sluice_heap_break";

/// Smaller runs in a row before a slot's memory is dropped.
const TRIM_AFTER_RUNS: u32 = 16;

/// A run counts as smaller when its break is this far below the slot's: less
/// is ~10 µs of copying per run, not worth a fault per page for the next large run.
const MIN_TRIM_BYTES: usize = 256 << 10;

/// What is known of the slots' memories, by their address.
#[derive(Debug, Default)]
pub(super) struct Slots {
    slots: Mutex<HashMap<usize, Slot>>,
    /// Bytes dropped so far, for [`crate::Runtime::trimmed_bytes`].
    trimmed: Arc<AtomicU64>,
}

/// A slot's memory to drop before its store is ([`Slots::after_run`]).
#[must_use = "the memory is dropped by `apply`"]
pub(super) struct Trim {
    instance: Instance,
    trimmed: Arc<AtomicU64>,
}

impl Trim {
    /// Drops the memory of the instance `Slots::after_run` saw, in `store`:
    /// every page reads as the module's image (or zeros) again. Panics if
    /// `store` is not that instance's.
    pub(super) fn apply<T>(self, store: &mut Store<T>) {
        let Some(memory) = self.instance.get_memory(&mut *store, "memory") else { return };
        let (base, len) = (memory.data_ptr(&*store) as usize, memory.data_size(&*store));
        // SAFETY: `base..base + len` is the instance's linear memory, mapped
        // while `store` lives, whole wasm pages from a page-aligned base. No one
        // reads or writes it or refers into it during the call: the store is
        // borrowed mutably here, so no guest code runs in it and no host view
        // of its memory is alive (those borrow the store too), and its run is
        // over (`Slots::after_run`'s caller).
        #[allow(unsafe_code)]
        if unsafe { sys::drop_pages(base, len) } {
            self.trimmed.fetch_add(len as u64, Ordering::Relaxed);
        }
    }
}

/// One slot: where its private pages may reach, and the smaller runs since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    /// The highest break of the runs since the slot was last trimmed (its
    /// memory's end when first seen).
    high: usize,
    /// Runs in a row whose break stayed [`MIN_TRIM_BYTES`] below `high`.
    smaller_runs: u32,
    /// The highest break among those runs.
    smaller_high: usize,
}

impl Slot {
    /// Counts a run whose break was `brk`; returns whether it is time to drop the slot's memory.
    fn after_run(&mut self, brk: usize) -> bool {
        if brk.saturating_add(MIN_TRIM_BYTES) > self.high {
            *self = Slot { high: self.high.max(brk), smaller_runs: 0, smaller_high: 0 };
            return false;
        }
        self.smaller_runs += 1;
        self.smaller_high = self.smaller_high.max(brk);
        if self.smaller_runs < TRIM_AFTER_RUNS {
            return false;
        }
        *self = Slot { high: self.smaller_high, smaller_runs: 0, smaller_high: 0 };
        true
    }
}

impl Slots {
    /// Called when a run in `instance` has ended (no guest code runs in its
    /// store again): counts the run against its slot, and returns the slot's
    /// memory to drop before the store is, when it is time (module docs).
    pub(super) fn after_run(&self, mut store: impl AsContextMut, instance: Instance) -> Option<Trim> {
        let (base, len, brk) = heap_break(store.as_context_mut(), instance)?;
        let mut slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let slot = slots.entry(base).or_insert(Slot { high: len, smaller_runs: 0, smaller_high: 0 });
        slot.after_run(brk).then(|| Trim { instance, trimmed: self.trimmed.clone() })
    }

    /// Bytes of slots' memories dropped so far.
    pub(super) fn trimmed_bytes(&self) -> u64 {
        self.trimmed.load(Ordering::Relaxed)
    }
}

/// The instance's memory (its address and length) and the break its
/// allocator exports, or `None` if it exports none that can be read.
fn heap_break(mut store: impl AsContextMut, instance: Instance) -> Option<(usize, usize, usize)> {
    let global = instance.get_global(&mut store, BREAK_EXPORT)?;
    let Val::I32(address) = global.get(&mut store) else { return None };
    let memory = instance.get_memory(&mut store, "memory")?;
    let data = memory.data(&store);
    let word = data.get(address as u32 as usize..)?.get(..4)?;
    let brk = u32::from_le_bytes(word.try_into().expect("4 bytes")) as usize;
    // 0: the allocator's break is the memory's end.
    let brk = if brk == 0 { data.len() } else { brk.min(data.len()) };
    Some((data.as_ptr() as usize, data.len(), brk))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;

    #[test]
    fn a_slot_is_trimmed_after_enough_smaller_runs_in_a_row() {
        let mut slot = Slot { high: 16 * MIB, smaller_runs: 0, smaller_high: 0 };
        for _ in 1..TRIM_AFTER_RUNS {
            assert!(!slot.after_run(5 * MIB));
        }
        assert!(slot.after_run(6 * MIB));
        // The highest of them is the slot's now: runs like them drop nothing more.
        assert_eq!(slot, Slot { high: 6 * MIB, smaller_runs: 0, smaller_high: 0 });
        for _ in 0..TRIM_AFTER_RUNS * 2 {
            assert!(!slot.after_run(6 * MIB - MIN_TRIM_BYTES / 2));
        }
    }

    #[test]
    fn a_large_run_among_small_ones_starts_the_count_again() {
        let mut slot = Slot { high: 5 * MIB, smaller_runs: 0, smaller_high: 0 };
        assert!(!slot.after_run(15 * MIB));
        assert_eq!(slot.high, 15 * MIB);
        for _ in 1..TRIM_AFTER_RUNS {
            assert!(!slot.after_run(5 * MIB));
        }
        // Alternating: the large run's pages stay.
        assert!(!slot.after_run(15 * MIB));
        for _ in 1..TRIM_AFTER_RUNS {
            assert!(!slot.after_run(5 * MIB));
        }
        assert!(slot.after_run(5 * MIB));
        assert_eq!(slot.high, 5 * MIB);
    }

    #[test]
    fn runs_barely_below_the_slots_high_do_not_count() {
        let mut slot = Slot { high: 5 * MIB, smaller_runs: 0, smaller_high: 0 };
        for _ in 0..TRIM_AFTER_RUNS * 2 {
            assert!(!slot.after_run(5 * MIB - MIN_TRIM_BYTES + 4096));
        }
        assert_eq!(slot.high, 5 * MIB);
    }
}
