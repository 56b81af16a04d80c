//! A parked run's memory, set aside: a program that has waited on its operations for
//! longer than [`crate::RuntimeConfig::hibernate_after`] keeps, on the host, only the
//! bytes in which its linear memory differs from what the kernel maps there anyway
//! (the compiled module's memory image, or zeros), and gives every page of that
//! memory back to the kernel until its wait ends.
//!
//! Why it pays: a JavaScript run writes a few dozen of its interpreter snapshot's
//! pages (reference counts, list links), each a private 4 KiB copy that differs from
//! the image in a handful of words, and maps a few hundred more for reading, each
//! counted in the process's resident set once per instance. Parked on a tool call,
//! such a program held ~1.1 MiB of RSS (~0.4 MiB PSS); set aside it holds the words
//! it changed (~15 KB).
//!
//! How: `/proc/self/pagemap` names the pages the run has written (present and
//! private, or swapped out); they are copied out, the whole memory is dropped with
//! `MADV_DONTNEED` (a private mapping's pages then read as the image again), each
//! copy is compared with what the page now reads, the differing words are kept,
//! and the pages read for the comparison are dropped again. Waking writes the kept
//! words back. Where that cannot be done (no `/proc`, no exported memory, a shared
//! memory, more written pages than [`MAX_WRITTEN_PAGES`]; pages mapped to the
//! kernel's zero page count as written, harmlessly) the program simply stays
//! resident.
//!
//! Invariant: between [`freeze`] and the [`Frozen`]'s drop the memory is neither
//! read nor written by anyone: the guest is suspended inside the host call that
//! froze it, and that call holds the store (its `Caller`) for the whole wait. The
//! memory cannot grow or move while the guest does not run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::Duration;

/// The most written pages a program may have for its memory to be set aside
/// (16 MiB of 4 KiB pages; a parked JavaScript program has ~90). Setting aside
/// and waking copy them twice and compare them once, ~10 ms of host CPU at this
/// cap, at most once per `hibernate_after` of waiting: a program sleeping on
/// timers in a loop costs the host at most ~2% of a core. Larger ones stay resident.
pub(crate) const MAX_WRITTEN_PAGES: usize = 4 << 10;

/// Programs whose memory is set aside right now, and the bytes kept for them.
#[derive(Debug, Default)]
pub(crate) struct Gauge {
    programs: AtomicU64,
    bytes: AtomicU64,
}

impl Gauge {
    pub(crate) fn read(&self) -> super::Hibernated {
        super::Hibernated { programs: self.programs.load(Ordering::Relaxed), bytes: self.bytes.load(Ordering::Relaxed) }
    }
}

/// One run's setting and count: what its waits consult.
pub(crate) struct Hibernation {
    /// Waits longer than this set the memory aside; `None`: never.
    pub after: Option<Duration>,
    pub gauge: Arc<Gauge>,
    /// Times this run's memory was set aside.
    pub count: u64,
}

impl Hibernation {
    pub(crate) fn new(after: Option<Duration>, gauge: Arc<Gauge>) -> Self {
        Hibernation { after, gauge, count: 0 }
    }
}

/// An instance's linear memory: where the host has it mapped, and its length.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Memory {
    base: usize,
    len: usize,
}

impl Memory {
    /// The exported `memory` of the instance calling, if it has one that can be
    /// set aside (not shared, page-aligned, at most 4 GiB).
    pub(crate) fn of<T>(caller: &mut wasmtime::Caller<'_, T>) -> Option<Memory> {
        let memory = caller.get_export("memory")?.into_memory()?;
        let memory = Memory { base: memory.data_ptr(&*caller) as usize, len: memory.data_size(&*caller) };
        let page = sys::page_size();
        (memory.base.is_multiple_of(page) && memory.len.is_multiple_of(page) && memory.len as u64 <= 1 << 32)
            .then_some(memory)
    }
}

/// Awaits `wait`; if it has not finished within `hibernation.after`, sets
/// `memory` aside until it does (or until the wait is dropped, as when the run
/// is stopped).
///
/// `memory` must be the linear memory of the instance whose host call this is,
/// and the caller must hold that instance's store for as long as this future
/// lives (see the module's invariant).
pub(crate) async fn while_waiting<F: Future>(
    wait: F,
    memory: Option<Memory>,
    hibernation: &mut Hibernation,
) -> F::Output {
    let mut wait = std::pin::pin!(wait);
    let (Some(after), Some(memory)) = (hibernation.after, memory) else {
        return wait.await;
    };
    // Most waits are short (an in-process tool, a timer): no timer for them.
    if let Poll::Ready(output) = futures::poll!(wait.as_mut()) {
        return output;
    }
    if let Ok(output) = tokio::time::timeout(after, wait.as_mut()).await {
        return output;
    }
    let frozen = freeze(memory, &hibernation.gauge);
    hibernation.count += u64::from(frozen.is_some());
    let output = wait.await;
    drop(frozen);
    output
}

/// A memory set aside: the words it differed in from what it now reads. Dropping
/// it writes them back.
pub(crate) struct Frozen {
    memory: Memory,
    /// Each kept run of bytes: its offset in the memory and its length.
    runs: Vec<(u32, u32)>,
    bytes: Vec<u8>,
    gauge: Arc<Gauge>,
}

impl Frozen {
    fn held(&self) -> u64 {
        (self.bytes.capacity() + self.runs.capacity() * size_of::<(u32, u32)>()) as u64
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let mut at = 0;
        for &(offset, len) in &self.runs {
            let (offset, len) = (offset as usize, len as usize);
            // SAFETY: every run lies inside the memory (`freeze` made it from a
            // page inside `0..memory.len`), which is still mapped and still this
            // long: the store holding it is held by the host call that froze it
            // (module invariant), and nothing else reads or writes it meanwhile.
            #[allow(unsafe_code)]
            unsafe {
                std::ptr::copy_nonoverlapping(self.bytes.as_ptr().add(at), (self.memory.base + offset) as *mut u8, len);
            }
            at += len;
        }
        self.gauge.programs.fetch_sub(1, Ordering::Relaxed);
        self.gauge.bytes.fetch_sub(self.held(), Ordering::Relaxed);
    }
}

/// Sets `memory` aside (module docs), or leaves it as it is and returns `None`.
fn freeze(memory: Memory, gauge: &Arc<Gauge>) -> Option<Frozen> {
    let started = std::time::Instant::now();
    let page = sys::page_size();
    let written = sys::written_pages(memory.base, memory.len, MAX_WRITTEN_PAGES)?;
    #[allow(unsafe_code)]
    let view = |index: usize| {
        // SAFETY: `memory` is the calling instance's linear memory, mapped and
        // `memory.len` long, and neither read nor written by anyone else while
        // this host call holds its store (module invariant); `index` is one of
        // `written`, a page inside it; each view is dropped before the memory
        // changes again (by `drop_pages`, below).
        unsafe { std::slice::from_raw_parts((memory.base + index * page) as *const u8, page) }
    };
    let mut copies = Vec::with_capacity(written.len() * page);
    for &index in &written {
        copies.extend_from_slice(view(index));
    }
    gauge.programs.fetch_add(1, Ordering::Relaxed);
    let mut frozen = Frozen { memory, runs: Vec::new(), bytes: Vec::new(), gauge: gauge.clone() };
    // SAFETY: `memory` is the calling instance's linear memory, neither read nor
    // written by anyone else while this host call holds its store (module
    // invariant), and no view of it is alive.
    #[allow(unsafe_code)]
    if !unsafe { sys::drop_pages(memory.base, memory.len) } {
        // The memory may be partly dropped: put back every copied page whole.
        for (copy, &index) in copies.chunks_exact(page).zip(&written) {
            frozen.runs.push(((index * page) as u32, page as u32));
            frozen.bytes.extend_from_slice(copy);
        }
        tracing::debug!("a parked run's memory could not be dropped; it stays resident");
        frozen.runs.shrink_to_fit();
        gauge.bytes.fetch_add(frozen.held(), Ordering::Relaxed);
        return Some(frozen);
    }
    for (copy, &index) in copies.chunks_exact(page).zip(&written) {
        keep_differences(copy, view(index), index * page, &mut frozen);
    }
    drop(copies);
    // The comparison read the pages back in; give them back again.
    // SAFETY: as above; the views are gone.
    #[allow(unsafe_code)]
    unsafe {
        sys::drop_pages(memory.base, memory.len);
    }
    frozen.runs.shrink_to_fit();
    frozen.bytes.shrink_to_fit();
    gauge.bytes.fetch_add(frozen.held(), Ordering::Relaxed);
    tracing::trace!(
        pages = written.len(),
        kept = frozen.bytes.len(),
        runs = frozen.runs.len(),
        micros = started.elapsed().as_micros() as u64,
        "a parked run's memory is set aside"
    );
    Some(frozen)
}

/// Adds to `frozen` the runs of 8-byte words in which `now` (a page's content
/// before it was dropped) differs from `was` (what it reads since). At worst
/// (every other word differs) a page costs its own size in words and records.
fn keep_differences(now: &[u8], was: &[u8], offset: usize, frozen: &mut Frozen) {
    const WORD: usize = 8;
    let differs = |word: usize| now[word * WORD..][..WORD] != was[word * WORD..][..WORD];
    let words = now.len() / WORD;
    let mut word = 0;
    while word < words {
        if !differs(word) {
            word += 1;
            continue;
        }
        let start = word;
        while word < words && differs(word) {
            word += 1;
        }
        frozen.runs.push(((offset + start * WORD) as u32, ((word - start) * WORD) as u32));
        frozen.bytes.extend_from_slice(&now[start * WORD..word * WORD]);
    }
}

#[cfg(target_os = "linux")]
pub(super) mod sys {
    use std::fs::File;
    use std::os::unix::fs::FileExt;
    use std::sync::OnceLock;

    /// A page-table entry in `/proc/self/pagemap`: present, swapped, file-backed
    /// (or shared); see the kernel's `admin-guide/mm/pagemap`.
    const PRESENT: u64 = 1 << 63;
    const SWAPPED: u64 = 1 << 62;
    const FILE_OR_SHARED: u64 = 1 << 61;

    /// Entries read at a time.
    const CHUNK: usize = 4096;

    pub(in crate::sandbox) fn page_size() -> usize {
        rustix::param::page_size()
    }

    fn pagemap() -> Option<&'static File> {
        static PAGEMAP: OnceLock<Option<File>> = OnceLock::new();
        PAGEMAP
            .get_or_init(|| match File::open("/proc/self/pagemap") {
                Ok(file) => Some(file),
                Err(error) => {
                    tracing::debug!(%error, "no /proc/self/pagemap: parked runs stay resident");
                    None
                }
            })
            .as_ref()
    }

    /// The indices of the pages of `base..base + len` that hold something other
    /// than their mapping's own content (present and private, or swapped out),
    /// or `None` if they cannot be told or there are more than `most`.
    pub(in crate::sandbox) fn written_pages(base: usize, len: usize, most: usize) -> Option<Vec<usize>> {
        let pagemap = pagemap()?;
        let page = page_size();
        let (first, pages) = (base / page, len / page);
        let mut written = Vec::new();
        let mut entries = vec![0u8; CHUNK.min(pages) * 8];
        let mut done = 0;
        while done < pages {
            let n = CHUNK.min(pages - done);
            let chunk = &mut entries[..n * 8];
            pagemap.read_exact_at(chunk, ((first + done) * 8) as u64).ok()?;
            for (i, entry) in chunk.chunks_exact(8).enumerate() {
                let entry = u64::from_ne_bytes(entry.try_into().expect("8 bytes"));
                if entry & SWAPPED != 0 || (entry & PRESENT != 0 && entry & FILE_OR_SHARED == 0) {
                    if written.len() == most {
                        return None;
                    }
                    written.push(done + i);
                }
            }
            done += n;
        }
        Some(written)
    }

    /// Drops every page of `base..base + len`: each reads as its mapping's
    /// content again (the module's memory image, or zeros). `false` if the
    /// kernel refused.
    ///
    /// # Safety
    ///
    /// The range lies in one instance's linear memory, page-aligned, and no one
    /// reads or writes it during the call, nor holds a reference into it.
    #[allow(unsafe_code)]
    pub(in crate::sandbox) unsafe fn drop_pages(base: usize, len: usize) -> bool {
        // SAFETY: a linear memory's mappings are private (wasmtime maps the
        // memory image copy-on-write, the rest anonymously), so `MADV_DONTNEED`
        // changes only this memory's contents, back to what they were at
        // instantiation; no one reads, writes or refers to it meanwhile (the
        // caller's contract). Whoever needs the old contents kept them.
        let dropped = unsafe { rustix::mm::madvise(base as *mut _, len, rustix::mm::Advice::LinuxDontNeed) };
        dropped.is_ok()
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) mod sys {
    pub(in crate::sandbox) fn page_size() -> usize {
        4096
    }

    /// Elsewhere the written pages cannot be told: parked runs stay resident.
    pub(in crate::sandbox) fn written_pages(_: usize, _: usize, _: usize) -> Option<Vec<usize>> {
        None
    }

    /// Elsewhere pages are not dropped.
    ///
    /// # Safety
    ///
    /// The same contract as on Linux, so that callers are written once.
    // SAFETY: unsafe only in name: it does nothing.
    #[allow(unsafe_code)]
    pub(in crate::sandbox) unsafe fn drop_pages(_: usize, _: usize) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_differing_words_and_writes_them_back() {
        let was = vec![7u8; 4096];
        let mut now = was.clone();
        now[3] = 1; // word 0
        now[8 * 10] = 2; // words 10 and 11
        now[8 * 11 + 7] = 3;
        now[4095] = 4; // the last word
        // A stand-in for the memory: two pages, the second reading as `was`.
        let mut memory = vec![0u8; 8192];
        memory[4096..].copy_from_slice(&was);
        let gauge = Arc::new(Gauge::default());
        gauge.programs.fetch_add(1, Ordering::Relaxed);
        let memory_at = Memory { base: memory.as_mut_ptr() as usize, len: memory.len() };
        let mut frozen = Frozen { memory: memory_at, runs: Vec::new(), bytes: Vec::new(), gauge: gauge.clone() };
        keep_differences(&now, &was, 4096, &mut frozen);
        assert_eq!(frozen.runs, [(4096, 8), (4096 + 80, 16), (4096 + 4088, 8)]);
        assert_eq!(frozen.bytes, [&now[0..8], &now[80..96], &now[4088..4096]].concat());
        gauge.bytes.fetch_add(frozen.held(), Ordering::Relaxed);
        drop(frozen);
        assert_eq!(&memory[4096..], &now[..], "woken, the page is as it was before");
        assert_eq!(gauge.read(), super::super::Hibernated::default());
    }
}
