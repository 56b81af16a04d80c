//! [`RunControl`]: what the caller of a run holds while it goes on, to stop it,
//! to watch it (counters, and a [`LogSink`] for log lines as they come), and
//! (through an [`Asker`]) to answer a server's questions.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::BoxFuture;
use serde_json::Value;
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
    requester: Requester,
}

/// Someone a server's question can be put to while one of a run's calls waits
/// on it (MCP elicitation): the person behind the MCP client that submitted the
/// program (`sluice serve`), or at the terminal (`sluice run`).
///
/// The program never sees the question or the answer, only the tool's result.
/// The host puts at most a few questions per run to an asker, one at a time, and
/// only while the run goes on ([`crate::tools::RunRecorder::ask`]).
pub trait Asker: Send + Sync {
    /// Puts `request` (the params of an MCP `elicitation/create` request from
    /// the configured server `server`) to them and resolves to their answer (an
    /// `ElicitResult`), or to `None` if this asker cannot ask it (a mode it does
    /// not take) or no answer came.
    fn ask(&self, server: &str, request: Value) -> BoxFuture<'static, Option<Value>>;
}

/// Where a run's log lines go as they are kept, besides its outcome's `logs`
/// (`sluice serve` sends them to a client that set a log level).
pub trait LogSink: Send + Sync {
    /// One kept line: `level` is `trace`, `debug`, `info`, `warn` or `error`;
    /// `server` names the configured server that logged it, `None` for the
    /// program's own lines. Called on the run's thread: must not block.
    fn log(&self, level: &'static str, server: Option<&str>, message: &str);
}

/// Who is behind a run: whom to ask, where its log lines go.
#[derive(Clone, Default)]
pub(crate) struct Requester {
    pub asker: Option<Arc<dyn Asker>>,
    pub log_sink: Option<Arc<dyn LogSink>>,
}

impl fmt::Debug for Requester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Requester")
            .field("asker", &self.asker.is_some())
            .field("log_sink", &self.log_sink.is_some())
            .finish()
    }
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
        RunControl { cancel: token.child_token(), progress: Arc::default(), requester: Requester::default() }
    }

    /// This control, with `asker` to put the servers' questions to (without
    /// one, the host's [`crate::mcp::Elicitation`] policy answers them).
    pub fn with_asker(mut self, asker: Arc<dyn Asker>) -> RunControl {
        self.requester.asker = Some(asker);
        self
    }

    /// This control, with `sink` to hand each kept log line to as it comes.
    pub fn with_log_sink(mut self, sink: Arc<dyn LogSink>) -> RunControl {
        self.requester.log_sink = Some(sink);
        self
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

    pub(crate) fn requester(&self) -> Requester {
        self.requester.clone()
    }
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}
