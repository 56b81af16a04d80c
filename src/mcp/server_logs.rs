//! A server's log notifications: into Sluice's log at a bounded rate and, while
//! exactly one run has calls in flight to the server, into that run's `logs`.
//!
//! The lines are taken off the transport ([`LogTap`]) as they arrive, in the
//! order the server sent them, before rmcp sees what follows them. rmcp hands
//! each notification to the client handler in a task of its own, so a line a
//! server logs just before it answers a call could be handled after the call
//! ended and miss the run it belongs to; on the transport, it cannot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use rmcp::RoleClient;
#[allow(deprecated)] // Logging (deprecated by SEP-2577 in 2026-07-28) is what servers still send.
use rmcp::model::{JsonRpcError, JsonRpcMessage, LoggingLevel, LoggingMessageNotificationParam, ServerNotification};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::Value;

use crate::terminal::escape_controls;
use crate::tools::RunRecorder;
use crate::tools::text::truncate_chars;

/// Log notifications a server may send at once before the rate applies.
const LOG_BURST: f64 = 50.0;
/// Log notifications per second a server may send, on average; the rest are counted and dropped.
const LOG_PER_SECOND: f64 = 10.0;
/// The most bytes of one server log notification that reach a log.
const LOG_MESSAGE_BYTES: usize = 4 * 1024;

/// One server's log lines: the budget they are let through by, over all its
/// connections, and the runs with calls in flight to it.
pub(super) struct ServerLogs {
    server: Arc<str>,
    budget: Mutex<LogBudget>,
    /// Each call in flight, under its id, with the run that made it.
    listening: Mutex<Vec<(u64, RunRecorder)>>,
}

impl ServerLogs {
    pub(super) fn new(server: &str) -> Arc<ServerLogs> {
        Arc::new(ServerLogs { server: server.into(), budget: Mutex::default(), listening: Mutex::default() })
    }

    /// Registers a call of `run` in flight until the returned guard is dropped.
    pub(super) fn listen(self: &Arc<Self>, run: RunRecorder) -> Listening {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        self.listeners().push((id, run));
        Listening { logs: self.clone(), id }
    }

    /// The run whose calls are all that is in flight to this server, if there
    /// is one: the only run a server's message without a request id can be for.
    pub(super) fn sole_run(&self) -> Option<RunRecorder> {
        sole_listener(&self.listeners()).cloned()
    }

    fn listeners(&self) -> MutexGuard<'_, Vec<(u64, RunRecorder)>> {
        self.listening.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes in one log notification: within the budget, to Sluice's log and
    /// to the run whose calls are all that is in flight, if there is one.
    #[allow(deprecated)]
    fn record(&self, params: &LoggingMessageNotificationParam) {
        let server = &*self.server;
        let Some(dropped) = self.budget.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take() else {
            return;
        };
        if dropped > 0 {
            tracing::warn!(target: "sluice::server", server, "dropped {dropped} log messages: the server sent too many");
        }
        let data = log_text(&params.data);
        let level = match params.level {
            LoggingLevel::Debug => "debug",
            LoggingLevel::Info | LoggingLevel::Notice => "info",
            LoggingLevel::Warning => "warn",
            _ => "error",
        };
        // With calls of two runs in flight the line could be either's, and one
        // client must never read what another's call made a server say.
        if let Some(run) = sole_listener(&self.listeners()) {
            run.note_log(server, level, &data);
        }
        match params.level {
            LoggingLevel::Debug => tracing::debug!(target: "sluice::server", server, "{data}"),
            LoggingLevel::Info | LoggingLevel::Notice => tracing::info!(target: "sluice::server", server, "{data}"),
            LoggingLevel::Warning => tracing::warn!(target: "sluice::server", server, "{data}"),
            _ => tracing::error!(target: "sluice::server", server, "{data}"),
        }
    }
}

/// The run every listener belongs to, if there are listeners and they are all one run's calls.
fn sole_listener(listeners: &[(u64, RunRecorder)]) -> Option<&RunRecorder> {
    let (_, run) = listeners.first()?;
    listeners.iter().all(|(_, other)| other.same_run(run)).then_some(run)
}

/// One call's place among a server's listeners, given up when the call ends.
pub(super) struct Listening {
    logs: Arc<ServerLogs>,
    id: u64,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.logs.listeners().retain(|(id, _)| *id != self.id);
    }
}

/// A client transport that hands each log notification to [`ServerLogs`] as it
/// is received, before the messages after it, and ends the connection on an
/// error that answers no request ([`Lost`]); everything else passes through unchanged.
pub(super) struct LogTap<T> {
    inner: T,
    logs: Arc<ServerLogs>,
    lost: Arc<Lost>,
}

impl<T> LogTap<T> {
    pub(super) fn new(inner: T, logs: Arc<ServerLogs>, lost: Arc<Lost>) -> LogTap<T> {
        LogTap { inner, logs, lost }
    }
}

impl<T: Transport<RoleClient>> Transport<RoleClient> for LogTap<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        let message = self.inner.receive().await;
        match &message {
            Some(JsonRpcMessage::Notification(notification)) => {
                if let ServerNotification::LoggingMessageNotification(logged) = &notification.notification {
                    self.logs.record(&logged.params);
                }
            }
            Some(JsonRpcMessage::Error(JsonRpcError { id: None, error, .. })) if self.lost.armed() => {
                let why = format!("error {}: {}", error.code.0, truncate_chars(&error.message, LOST_MESSAGE_CHARS));
                tracing::warn!(
                    target: "sluice::server",
                    server = %self.logs.server,
                    "the server answered a request it could not read ({}): reconnecting",
                    escape_controls(&why)
                );
                self.lost.note(why);
                return None;
            }
            _ => {}
        }
        message
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}

/// The most characters of a server's error message kept to explain a lost connection.
const LOST_MESSAGE_CHARS: usize = 300;

/// Why a connection's tap ended it, once its handshake is done.
///
/// An error without an id answers a request the server could not read: over
/// Streamable HTTP, a POST it refused (a session it no longer knows, answered 400
/// instead of the 404 rmcp recovers from). rmcp can route it to no call, so that
/// call would wait out its timeout. Ending the connection fails the calls in
/// flight at once, with this reason, and the next call connects afresh. (During
/// the handshake rmcp itself decides; a refused `server/discover` falls back.)
#[derive(Default)]
pub(super) struct Lost {
    armed: std::sync::atomic::AtomicBool,
    why: Mutex<Option<String>>,
}

impl Lost {
    /// From now on, an id-less error ends the connection.
    pub(super) fn arm(&self) {
        self.armed.store(true, Ordering::Release);
    }

    fn armed(&self) -> bool {
        self.armed.load(Ordering::Acquire)
    }

    fn note(&self, why: String) {
        *self.why.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(why);
    }

    /// The error that ended the connection, if one did.
    pub(super) fn why(&self) -> Option<String> {
        self.why.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

/// A token bucket for a server's log notifications: [`LOG_BURST`] at once,
/// [`LOG_PER_SECOND`] on average; what is over is counted and dropped.
pub(super) struct LogBudget {
    tokens: f64,
    refilled: Instant,
    dropped: u64,
}

impl Default for LogBudget {
    fn default() -> Self {
        LogBudget { tokens: LOG_BURST, refilled: Instant::now(), dropped: 0 }
    }
}

impl LogBudget {
    /// `Some(messages dropped since the last one let through)` if one may be logged now.
    pub(super) fn take(&mut self) -> Option<u64> {
        let now = Instant::now();
        let earned = now.duration_since(self.refilled).as_secs_f64() * LOG_PER_SECOND;
        self.tokens = (self.tokens + earned).min(LOG_BURST);
        self.refilled = now;
        if self.tokens < 1.0 {
            self.dropped += 1;
            return None;
        }
        self.tokens -= 1.0;
        Some(std::mem::take(&mut self.dropped))
    }
}

/// The text of a server's log notification for Sluice's log: a string as it
/// is, anything else as JSON; cut at [`LOG_MESSAGE_BYTES`], control characters escaped.
fn log_text(data: &Value) -> String {
    /// Keeps up to its capacity, then refuses, which stops the serializer.
    struct Capped(Vec<u8>);
    impl std::io::Write for Capped {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let room = LOG_MESSAGE_BYTES + 1 - self.0.len();
            self.0.extend_from_slice(&bytes[..bytes.len().min(room)]);
            if bytes.len() > room { Err(std::io::ErrorKind::WriteZero.into()) } else { Ok(bytes.len()) }
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut bytes = match data {
        Value::String(text) => text.as_bytes()[..text.len().min(LOG_MESSAGE_BYTES + 1)].to_vec(),
        _ => {
            let mut capped = Capped(Vec::new());
            let _ = serde_json::to_writer(&mut capped, data);
            capped.0
        }
    };
    let cut = bytes.len() > LOG_MESSAGE_BYTES;
    bytes.truncate(LOG_MESSAGE_BYTES);
    let mut text = escape_controls(&String::from_utf8_lossy(&bytes)).into_owned();
    if cut {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_log_line_goes_to_a_run_only_when_every_call_in_flight_is_that_runs() {
        let (one, other) = (RunRecorder::new(), RunRecorder::new());
        assert!(sole_listener(&[]).is_none(), "no calls in flight: no run");
        let same = [(1, one.clone()), (2, one.clone())];
        assert!(sole_listener(&same).is_some_and(|run| run.same_run(&one)), "two calls of one run: that run");
        let mixed = [(1, one.clone()), (2, other.clone())];
        assert!(sole_listener(&mixed).is_none(), "calls of two runs: the line could be either's");
    }

    #[test]
    fn a_call_stops_listening_when_its_guard_drops() {
        let logs = ServerLogs::new("s");
        let run = RunRecorder::new();
        let first = logs.listen(run.clone());
        let second = logs.listen(run);
        assert_eq!(logs.listeners().len(), 2);
        drop(first);
        assert_eq!(logs.listeners().len(), 1);
        drop(second);
        assert!(logs.listeners().is_empty());
    }
}
