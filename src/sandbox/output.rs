//! `CappedOutput`: a guest's stdout or stderr, kept up to a cap: its head and its tail, with what was cut in between counted.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use crate::control::Counters;

/// How much a guest may write in one `fd_write` step.
const WRITE_BUDGET: usize = 64 << 10;

/// One output stream of one run. Clones share the buffer.
///
/// Up to `cap` bytes, everything is kept. Past it, the first half of the cap
/// (the head) and the last half (the tail, a bounded ring) are kept, and the
/// bytes between are dropped and counted: an agent sees how its output began
/// and the summary it printed last. Writing never fails and never stops the
/// program; a program that floods forever runs into its deadline, and the
/// host holds at most `cap` bytes of it.
#[derive(Debug, Clone)]
pub(crate) struct CappedOutput {
    inner: Arc<Mutex<CappedBuffer>>,
    /// Whether this is stdout, whose lines the run's live counters count.
    counts_lines: bool,
    /// The run's live counters: bytes written, and lines when this is stdout.
    progress: Arc<Counters>,
}

#[derive(Debug)]
struct CappedBuffer {
    /// Everything while nothing was cut; once something was, the first `cap - cap / 2` bytes.
    head: Vec<u8>,
    /// Once something was cut, the last bytes written, at most `cap / 2`.
    tail: VecDeque<u8>,
    cap: usize,
    written: u64,
    dropped: u64,
    dropped_lines: u64,
}

/// What a stream held at the end of a run.
#[derive(Debug, Default)]
pub(crate) struct CapturedOutput {
    /// The kept bytes; when some were cut, head, a marker line, then tail.
    pub bytes: Vec<u8>,
    /// Every byte the program wrote, kept or not.
    pub written: u64,
    /// Bytes cut between the head and the tail.
    pub dropped: u64,
}

impl CappedBuffer {
    fn tail_cap(&self) -> usize {
        self.cap / 2
    }

    fn push(&mut self, mut bytes: &[u8]) {
        self.written += bytes.len() as u64;
        if self.dropped == 0 && self.tail.is_empty() && bytes.len() <= self.cap - self.head.len().min(self.cap) {
            self.head.extend_from_slice(bytes);
            return;
        }
        let tail_cap = self.tail_cap();
        let head_cap = self.cap - tail_cap;
        // The first write past the cap: what the head held past its half becomes the tail.
        if self.head.len() > head_cap {
            let moved = self.head.split_off(head_cap);
            self.tail.extend(moved);
        }
        let room = head_cap.saturating_sub(self.head.len()).min(bytes.len());
        self.head.extend_from_slice(&bytes[..room]);
        bytes = &bytes[room..];
        if bytes.len() > tail_cap {
            let (gone, kept) = bytes.split_at(bytes.len() - tail_cap);
            self.count_dropped(gone.len(), gone.iter().filter(|&&b| b == b'\n').count());
            bytes = kept;
        }
        self.tail.extend(bytes);
        if self.tail.len() > tail_cap {
            let excess = self.tail.len() - tail_cap;
            let lines = self.tail.drain(..excess).filter(|&b| b == b'\n').count();
            self.count_dropped(excess, lines);
        }
    }

    fn count_dropped(&mut self, bytes: usize, lines: usize) {
        self.dropped += bytes as u64;
        self.dropped_lines += lines as u64;
    }

    /// Head, then (if anything was cut) a marker line and the tail.
    fn take(&mut self) -> CapturedOutput {
        let mut bytes = std::mem::take(&mut self.head);
        let mut tail: Vec<u8> = self.tail.drain(..).collect();
        if self.dropped > 0 {
            // The head ends and the tail starts at a whole character (a cut may fall inside one).
            let partial = tail.iter().take_while(|&&b| b & 0xc0 == 0x80).count().min(3);
            tail.drain(..partial);
            let unfinished = unfinished_character(&bytes);
            bytes.truncate(bytes.len() - unfinished);
            self.dropped += (partial + unfinished) as u64;
            let lines = self.dropped_lines;
            let newline = if bytes.last().is_some_and(|&b| b != b'\n') { "\n" } else { "" };
            bytes.extend_from_slice(
                format!(
                    "{newline}[sluice: {} bytes ({} line{}) of output cut here; the first and last {} bytes are kept]\n",
                    self.dropped,
                    lines,
                    if lines == 1 { "" } else { "s" },
                    self.tail_cap()
                )
                .as_bytes(),
            );
        }
        bytes.extend_from_slice(&tail);
        CapturedOutput { bytes, written: self.written, dropped: self.dropped }
    }
}

/// How many bytes at the end of `bytes` begin a UTF-8 character they do not finish.
fn unfinished_character(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let byte = bytes[bytes.len() - back];
        if byte < 0x80 {
            return 0;
        }
        if byte >= 0xc0 {
            let length = if byte >= 0xf0 {
                4
            } else if byte >= 0xe0 {
                3
            } else {
                2
            };
            return if back < length { back } else { 0 };
        }
    }
    0
}

impl CappedOutput {
    pub fn new(name: &'static str, cap: u64, progress: Arc<Counters>) -> Self {
        let cap = usize::try_from(cap).unwrap_or(usize::MAX);
        let buffer =
            CappedBuffer { head: Vec::new(), tail: VecDeque::new(), cap, written: 0, dropped: 0, dropped_lines: 0 };
        CappedOutput { inner: Arc::new(Mutex::new(buffer)), counts_lines: name == "stdout", progress }
    }

    pub fn take(&self) -> CapturedOutput {
        self.lock().take()
    }

    fn lock(&self) -> MutexGuard<'_, CappedBuffer> {
        // A poisoned lock only means a writer panicked mid-append; the bytes are still valid.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps what the head and tail hold, and counts the rest.
    fn append(&self, bytes: &[u8]) {
        Counters::add(&self.progress.output_bytes, bytes.len() as u64);
        if self.counts_lines {
            Counters::add(&self.progress.output_lines, bytes.iter().filter(|&&b| b == b'\n').count() as u64);
        }
        self.lock().push(bytes);
    }
}

impl IsTerminal for CappedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for CappedOutput {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_BUDGET)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CappedOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CappedOutput {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(cap: u64, writes: &[&[u8]]) -> CapturedOutput {
        let output = CappedOutput::new("stdout", cap, Default::default());
        for bytes in writes {
            output.append(bytes);
        }
        output.take()
    }

    #[test]
    fn output_within_the_cap_is_kept_whole() {
        let captured = written(8, &[b"abc", b"defgh"]);
        assert_eq!(captured.bytes, b"abcdefgh");
        assert_eq!((captured.written, captured.dropped), (8, 0));
    }

    #[test]
    fn output_past_the_cap_keeps_its_head_and_tail_and_says_what_was_cut() {
        let captured = written(8, &[b"abc", b"defg", b"hij\n", b"klmn", b"op"]);
        let text = String::from_utf8(captured.bytes).unwrap();
        assert_eq!(
            text,
            "abcd\n[sluice: 9 bytes (1 line) of output cut here; the first and last 4 bytes are kept]\nmnop"
        );
        assert_eq!((captured.written, captured.dropped), (17, 9));
    }

    #[test]
    fn one_large_write_is_cut_the_same_way() {
        let captured = written(4, &[b"0123456789"]);
        let text = String::from_utf8(captured.bytes).unwrap();
        assert!(text.starts_with("01\n[sluice: 6 bytes (0 lines)") && text.ends_with("]\n89"), "{text}");
    }

    #[test]
    fn a_flood_holds_no_more_than_the_cap() {
        let output = CappedOutput::new("stdout", 1024, Default::default());
        for _ in 0..10_000 {
            output.append(&[b'x'; 1000]);
            let buffer = output.lock();
            assert!(buffer.head.len() + buffer.tail.len() <= 1024);
        }
        assert_eq!(output.take().dropped, 10_000_000 - 1024);
    }

    #[test]
    fn the_tail_starts_at_a_whole_character() {
        let captured = written(6, &["aaéé€".as_bytes()]);
        assert!(String::from_utf8(captured.bytes).is_ok());
    }
}
