//! `CappedOutput`: a guest's stdout or stderr, kept up to a cap, with a flood stopping the program.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

use super::limits::LimitExceeded;
use crate::control::Counters;
use crate::outcome::LimitKind;

/// How much a guest may write in one `fd_write` step.
const WRITE_BUDGET: usize = 64 << 10;

/// One output stream of one run. Clones share the buffer.
///
/// The first `cap` bytes are kept; later bytes are dropped and counted. Once the
/// dropped bytes exceed the cap too (the program wrote twice its cap), the next
/// write traps with [`LimitKind::Output`]: a flood is stopped, not run to its deadline.
#[derive(Debug, Clone)]
pub(crate) struct CappedOutput {
    name: &'static str,
    inner: Arc<Mutex<CappedBuffer>>,
    /// The run's live counters: bytes written, and lines when this is stdout.
    progress: Arc<Counters>,
}

#[derive(Debug)]
struct CappedBuffer {
    kept: Vec<u8>,
    cap: usize,
    dropped: u64,
}

/// What a stream held at the end of a run.
#[derive(Debug, Default)]
pub(crate) struct CapturedOutput {
    pub bytes: Vec<u8>,
    pub dropped: u64,
}

impl CappedOutput {
    pub fn new(name: &'static str, cap: u64, progress: Arc<Counters>) -> Self {
        let cap = usize::try_from(cap).unwrap_or(usize::MAX);
        let inner = Arc::new(Mutex::new(CappedBuffer { kept: Vec::new(), cap, dropped: 0 }));
        CappedOutput { name, inner, progress }
    }

    pub fn take(&self) -> CapturedOutput {
        let mut buffer = self.lock();
        CapturedOutput { bytes: std::mem::take(&mut buffer.kept), dropped: buffer.dropped }
    }

    fn lock(&self) -> MutexGuard<'_, CappedBuffer> {
        // A poisoned lock only means a writer panicked mid-append; the bytes are still valid.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends what fits and counts the rest; `Err` once the program floods.
    fn append(&self, bytes: &[u8]) -> Result<(), LimitExceeded> {
        Counters::add(&self.progress.output_bytes, bytes.len() as u64);
        if self.name == "stdout" {
            Counters::add(&self.progress.output_lines, bytes.iter().filter(|&&b| b == b'\n').count() as u64);
        }
        let mut buffer = self.lock();
        let room = buffer.cap.saturating_sub(buffer.kept.len());
        let kept = bytes.len().min(room);
        buffer.kept.extend_from_slice(&bytes[..kept]);
        buffer.dropped += (bytes.len() - kept) as u64;
        if buffer.dropped > buffer.cap as u64 {
            return Err(LimitExceeded::new(
                LimitKind::Output,
                format!(
                    "the program wrote more than twice the {} byte cap to {}; the first {} bytes are kept",
                    buffer.cap, self.name, buffer.cap
                ),
            ));
        }
        Ok(())
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
        self.append(&bytes).map_err(|limit| StreamError::Trap(wasmtime::Error::new(limit)))
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
        Poll::Ready(self.append(buf).map(|()| buf.len()).map_err(io::Error::other))
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

    #[test]
    fn output_past_the_cap_is_dropped_and_counted() {
        let output = CappedOutput::new("stdout", 4, Default::default());
        output.append(b"abc").unwrap();
        output.append(b"defg").unwrap();
        let captured = output.take();
        assert_eq!(captured.bytes, b"abcd");
        assert_eq!(captured.dropped, 3);
    }

    #[test]
    fn writing_twice_the_cap_is_a_flood() {
        let output = CappedOutput::new("stdout", 4, Default::default());
        output.append(b"abcdefgh").unwrap();
        let error = output.append(b"i").unwrap_err();
        assert_eq!(error.kind, LimitKind::Output);
    }
}
