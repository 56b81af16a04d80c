//! Keeps a pool slot's resident memory the size of the runs it serves, in few
//! enough ranges for the pool's reset to keep all of it: a slot where one run
//! filtered a large tool result gives those pages back once the runs after it
//! stay small, and the gaps between the ranges a slot's runs write are filled.
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
//! The reset keeps resident only the first 32 ranges of a slot's pages, in
//! address order, and gives back the rest after every run, to be faulted in
//! again by the next: a one-call JavaScript run writes ~41 ranges, mostly a
//! page or two apart, and took 7 faults a run and a TLB flush across cores.
//! A few runs after a slot is first seen or dropped, [`Tidy::Join`] reads
//! which of its pages are private (`/proc/self/pagemap`) and writes back a
//! byte of each page in the smallest gaps, making them the slot's own, until
//! 28 ranges remain (at most 64 pages, each a page's copy at every reset):
//! W1 went from 7 faults a run to 0.1–0.5, its minimum from ~0.135 to ~0.093
//! ms (`sluice-peer-bench w1`, interleaved).
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

/// Runs after a slot was first seen or dropped before its written pages are
/// joined into few ranges ([`Tidy::Join`]): by then its runs have written
/// what they write.
const JOIN_AFTER_RUNS: u32 = 4;

/// The most separate ranges of a slot's written pages the pool's reset keeps
/// resident (wasmtime's `MAX_REGIONS`): the pages past them are given back
/// after every run and faulted in again by the next.
const RESET_RANGES: usize = 32;

/// The ranges [`Tidy::Join`] aims at, a few below [`RESET_RANGES`] for runs
/// that write a little differently.
const JOINED_RANGES: usize = RESET_RANGES - 4;

/// The most pages [`Tidy::Join`] writes to join ranges: each costs a page's
/// copy at every reset of the slot (~0.1 µs), a fault past the reset's ranges ~2 µs.
const MOST_JOINING_PAGES: usize = 64;

/// The largest memory whose pages [`Tidy::Join`] reads: the pool's reset keeps
/// at most `keep_resident_bytes` (16 MiB by default) anyway, and a module that
/// grew its memory to gigabytes must not make the host read a page-table entry
/// for each of its pages (the JavaScript interpreter's memory is 16 MiB).
const MOST_JOINED_MEMORY: usize = 64 << 20;

/// What is known of the slots' memories, by their address.
#[derive(Debug, Default)]
pub(super) struct Slots {
    slots: Mutex<HashMap<usize, Slot>>,
    /// Bytes dropped so far, for [`crate::Runtime::trimmed_bytes`].
    trimmed: Arc<AtomicU64>,
}

/// What to do to a slot's memory before its store is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tidy {
    /// Drop all of it: the runs have stayed smaller than the slot's pages.
    Drop,
    /// Write to the pages in the smallest gaps between its written ranges, as
    /// many as it takes to bring them to [`JOINED_RANGES`] (at most
    /// [`MOST_JOINING_PAGES`]), so that the reset keeps all of them resident.
    /// A one-call JavaScript run writes ~41 ranges, mostly a page or two
    /// apart: the 9 past the 32nd took 7 faults a run, and a page-table walk
    /// and a TLB flush across cores to give them back.
    Join,
}

/// Work on a slot's memory before its store is dropped ([`Slots::after_run`]).
#[must_use = "the memory is tidied by `apply`"]
pub(super) struct Tidying {
    instance: Instance,
    tidy: Tidy,
    trimmed: Arc<AtomicU64>,
}

impl Tidying {
    /// Tidies the memory of the instance `Slots::after_run` saw, in `store`;
    /// what any later run reads there stays the same. Panics if `store` is
    /// not that instance's.
    pub(super) fn apply<T>(self, store: &mut Store<T>) {
        let Some(memory) = self.instance.get_memory(&mut *store, "memory") else { return };
        let (base, len) = (memory.data_ptr(&*store) as usize, memory.data_size(&*store));
        // Below, `base..base + len` is the instance's linear memory, mapped
        // while `store` lives, whole wasm pages from a page-aligned base. No one
        // reads or writes it or refers into it during the call: the store is
        // borrowed mutably here, so no guest code runs in it and no host view
        // of its memory is alive (those borrow the store too), and its run is
        // over (`Slots::after_run`'s caller).
        match self.tidy {
            Tidy::Drop => {
                // SAFETY: the memory as above, whole, and no one else touches it.
                #[allow(unsafe_code)]
                if unsafe { sys::drop_pages(base, len) } {
                    self.trimmed.fetch_add(len as u64, Ordering::Relaxed);
                }
            }
            Tidy::Join => {
                let page = sys::page_size();
                let Some(written) = sys::written_pages(base, len, len / page) else { return };
                for index in joining_pages(&written) {
                    let at = (base + index * page) as *mut u8;
                    // SAFETY: `at` is the first byte of page `index`, one of the
                    // memory's pages (`written_pages` counts within it), and no
                    // one else touches the memory; writing back what it reads
                    // changes nothing but makes the page the slot's own.
                    #[allow(unsafe_code)]
                    unsafe {
                        at.write_volatile(at.read_volatile());
                    }
                }
            }
        }
    }
}

/// The pages to write to join the ranges of `written` (sorted page indices)
/// into at most [`JOINED_RANGES`], filling the smallest gaps first and at
/// most [`MOST_JOINING_PAGES`] in all; none if that is enough already.
fn joining_pages(written: &[usize]) -> Vec<usize> {
    let mut gaps: Vec<std::ops::Range<usize>> =
        written.windows(2).filter(|pair| pair[1] > pair[0] + 1).map(|pair| pair[0] + 1..pair[1]).collect();
    let mut ranges = gaps.len() + usize::from(!written.is_empty());
    gaps.sort_by_key(|gap| (gap.len(), gap.start));
    let mut pages = Vec::new();
    for gap in gaps {
        if ranges <= JOINED_RANGES || pages.len() + gap.len() > MOST_JOINING_PAGES {
            break;
        }
        pages.extend(gap);
        ranges -= 1;
    }
    pages
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
    /// Runs since the slot was first seen or last dropped.
    runs: u32,
}

impl Slot {
    /// A slot first seen, with a memory `len` long: taken to hold pages up to its end.
    fn new(len: usize) -> Self {
        Slot { high: len, smaller_runs: 0, smaller_high: 0, runs: 0 }
    }

    /// Counts a run whose break was `brk` in a memory `len` long; returns what
    /// to do to the slot's memory, if anything.
    fn after_run(&mut self, brk: usize, len: usize) -> Option<Tidy> {
        self.runs = self.runs.saturating_add(1);
        if brk.saturating_add(MIN_TRIM_BYTES) > self.high {
            (self.high, self.smaller_runs, self.smaller_high) = (self.high.max(brk), 0, 0);
        } else {
            self.smaller_runs += 1;
            self.smaller_high = self.smaller_high.max(brk);
            if self.smaller_runs == TRIM_AFTER_RUNS {
                *self = Slot { high: self.smaller_high, ..Slot::new(0) };
                return Some(Tidy::Drop);
            }
        }
        (self.runs == JOIN_AFTER_RUNS && len <= MOST_JOINED_MEMORY).then_some(Tidy::Join)
    }
}

impl Slots {
    /// Called when a run in `instance` has ended (no guest code runs in its
    /// store again): counts the run against its slot, and returns the slot's
    /// memory to drop before the store is, when it is time (module docs).
    pub(super) fn after_run(&self, mut store: impl AsContextMut, instance: Instance) -> Option<Tidying> {
        let (base, len, brk) = heap_break(store.as_context_mut(), instance)?;
        let mut slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let tidy = slots.entry(base).or_insert_with(|| Slot::new(len)).after_run(brk, len)?;
        Some(Tidying { instance, tidy, trimmed: self.trimmed.clone() })
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

    /// Whether the run drops the slot's memory.
    fn drops(slot: &mut Slot, brk: usize) -> bool {
        slot.after_run(brk, 16 * MIB) == Some(Tidy::Drop)
    }

    #[test]
    fn a_slot_is_dropped_after_enough_smaller_runs_in_a_row() {
        let mut slot = Slot::new(16 * MIB);
        for _ in 1..TRIM_AFTER_RUNS {
            assert!(!drops(&mut slot, 5 * MIB));
        }
        assert!(drops(&mut slot, 6 * MIB));
        // The highest of them is the slot's now: runs like them drop nothing more.
        assert_eq!(slot, Slot { high: 6 * MIB, ..Slot::new(0) });
        for _ in 0..TRIM_AFTER_RUNS * 2 {
            assert!(!drops(&mut slot, 6 * MIB - MIN_TRIM_BYTES / 2));
        }
    }

    #[test]
    fn a_large_run_among_small_ones_starts_the_count_again() {
        let mut slot = Slot::new(5 * MIB);
        assert!(!drops(&mut slot, 15 * MIB));
        assert_eq!(slot.high, 15 * MIB);
        for _ in 1..TRIM_AFTER_RUNS {
            assert!(!drops(&mut slot, 5 * MIB));
        }
        // Alternating: the large run's pages stay.
        assert!(!drops(&mut slot, 15 * MIB));
        for _ in 1..TRIM_AFTER_RUNS {
            assert!(!drops(&mut slot, 5 * MIB));
        }
        assert!(drops(&mut slot, 5 * MIB));
        assert_eq!(slot.high, 5 * MIB);
    }

    #[test]
    fn runs_barely_below_the_slots_high_do_not_count() {
        let mut slot = Slot::new(5 * MIB);
        for _ in 0..TRIM_AFTER_RUNS * 2 {
            assert!(!drops(&mut slot, 5 * MIB - MIN_TRIM_BYTES + 4096));
        }
        assert_eq!(slot.high, 5 * MIB);
    }

    #[test]
    fn ranges_are_joined_once_a_few_runs_after_a_slot_is_first_seen_and_after_each_drop() {
        let mut slot = Slot::new(16 * MIB);
        let tidies: Vec<_> =
            (1..=TRIM_AFTER_RUNS + JOIN_AFTER_RUNS + 20).map(|_| slot.after_run(5 * MIB, 16 * MIB)).collect();
        let at = |tidy| -> Vec<u32> {
            tidies.iter().enumerate().filter(|(_, t)| **t == Some(tidy)).map(|(i, _)| i as u32 + 1).collect()
        };
        assert_eq!(at(Tidy::Join), [JOIN_AFTER_RUNS, TRIM_AFTER_RUNS + JOIN_AFTER_RUNS]);
        assert_eq!(at(Tidy::Drop), [TRIM_AFTER_RUNS]);
        // A memory grown past what the reset keeps is never read page by page.
        let mut grown = Slot::new(4 << 30);
        assert!((1..=JOIN_AFTER_RUNS * 2).all(|_| grown.after_run(5 * MIB, 4 << 30) != Some(Tidy::Join)));
    }

    #[test]
    fn the_smallest_gaps_are_filled_until_few_enough_ranges_remain() {
        // Few enough ranges already: nothing to write.
        let few: Vec<usize> = (0..JOINED_RANGES).map(|i| i * 3).collect();
        assert!(joining_pages(&few).is_empty());
        // Ranges one page apart, and every tenth gap three pages wide.
        let mut written = Vec::new();
        let mut at = 0;
        for i in 0..JOINED_RANGES + 10 {
            written.push(at);
            at += if i % 10 == 9 { 4 } else { 2 };
        }
        let pages = joining_pages(&written);
        let ranges = |pages: &[usize]| {
            let mut all: Vec<usize> = written.iter().chain(pages).copied().collect();
            all.sort_unstable();
            1 + all.windows(2).filter(|pair| pair[1] > pair[0] + 1).count()
        };
        assert_eq!(ranges(&pages), JOINED_RANGES);
        assert_eq!(pages.len(), 10, "ten one-page gaps, no wide one: {pages:?}");
        // Past the cap on pages written, the rest stay apart.
        let spread: Vec<usize> = (0..200).map(|i| i * 10).collect();
        let pages = joining_pages(&spread);
        assert!(pages.len() <= MOST_JOINING_PAGES && pages.len() > MOST_JOINING_PAGES - 9, "{}", pages.len());
    }
}
