//! [`RunControl`]: what the caller of a run holds while it goes on, to stop it and to watch it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio_util::sync::CancellationToken;

/// Stops a run from outside and shows how far it has got.
///
/// Every run takes one. Cancelling it ends the program promptly, whether it is
/// computing (the engine's epoch ticks give the run loop a turn every few
/// milliseconds) or parked on tools (their calls are dropped, which cancels them
/// upstream), and the outcome is [`crate::RunStatus::Cancelled`]. Clones share the
/// same token and counters.
#[derive(Debug, Clone, Default)]
pub struct RunControl {
    cancel: CancellationToken,
    progress: Arc<Counters>,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub tool_calls: AtomicU64,
    pub output_lines: AtomicU64,
    pub output_bytes: AtomicU64,
}

/// How far a run has got, as [`RunControl::progress`] reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Tool calls started.
    pub tool_calls: u64,
    /// Lines written to stdout.
    pub output_lines: u64,
    /// Bytes written to stdout and stderr, kept or not.
    pub output_bytes: u64,
}

impl RunControl {
    /// A control that nothing has cancelled yet.
    pub fn new() -> RunControl {
        RunControl::default()
    }

    /// A control cancelled when `token` is (a child token: cancelling this
    /// control does not cancel `token`).
    pub fn child_of(token: &CancellationToken) -> RunControl {
        RunControl { cancel: token.child_token(), progress: Arc::default() }
    }

    /// Asks the run to stop. Idempotent; a finished run is not affected.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Whether [`RunControl::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Resolves once the run is asked to stop.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await;
    }

    /// The counters as they stand now.
    pub fn progress(&self) -> Progress {
        let counters = &self.progress;
        Progress {
            tool_calls: counters.tool_calls.load(Ordering::Relaxed),
            output_lines: counters.output_lines.load(Ordering::Relaxed),
            output_bytes: counters.output_bytes.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn counters(&self) -> Arc<Counters> {
        self.progress.clone()
    }
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}
