//! [`RunRecorder`]: which servers a host started on behalf of one run, and what they logged while its calls ran.
//!
//! Many runs share one host (`sluice serve` gives every request the same
//! [`crate::mcp::McpTools`]), so a server's global start count cannot say which
//! run started it. Instead each run's tool operations execute inside the run's
//! recorder scope, and a host that starts a server for an operation notes it
//! with [`RunRecorder::note_started`]: the start is credited to the run whose
//! call, search or describe caused it, and to no other.
//!
//! A server's log notifications carry no request id, so a host hands one to a
//! run ([`RunRecorder::note_log`]) only when that run is the only one with
//! calls in flight to the server: a line that could be another run's (another
//! client's, under `sluice serve`) goes to no run. A run keeps at most
//! [`MAX_SERVER_LOGS`] lines, [`MAX_SERVER_LOG_BYTES`] in all, and counts the
//! rest as dropped.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

use crate::outcome::LogRecord;

/// Most server log lines one run keeps.
pub const MAX_SERVER_LOGS: usize = 64;
/// Most bytes of server log lines one run keeps.
pub const MAX_SERVER_LOG_BYTES: usize = 32 << 10;

tokio::task_local! {
    static CURRENT: RunRecorder;
}

/// One run's record of servers started for it. Clones share the record.
#[derive(Debug, Clone, Default)]
pub struct RunRecorder {
    started: Arc<Mutex<BTreeSet<String>>>,
    server_logs: Arc<Mutex<ServerLogs>>,
}

/// Server log lines kept for one run.
#[derive(Debug, Default)]
struct ServerLogs {
    records: Vec<LogRecord>,
    bytes: usize,
    dropped: u64,
}

impl RunRecorder {
    /// An empty record.
    pub fn new() -> RunRecorder {
        RunRecorder::default()
    }

    /// Runs `work` as one of this run's operations: starts noted during it are this run's.
    pub async fn scope<F: Future>(&self, work: F) -> F::Output {
        CURRENT.scope(self.clone(), work).await
    }

    /// [`RunRecorder::scope`], owning the recorder, for futures that outlive a borrow.
    pub fn scope_owned<F: Future>(self, work: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self, work)
    }

    /// Notes that `server` was started (or restarted) for the operation now
    /// running, if it runs in a recorder's scope; otherwise does nothing.
    /// Hosts call this with the names of configured servers only, so a record
    /// holds at most one entry per configured server.
    pub fn note_started(server: &str) {
        let _ = CURRENT.try_with(|recorder| {
            let mut started = recorder.started.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if !started.contains(server) {
                started.insert(server.to_owned());
            }
        });
    }

    /// The recorder of the operation now running, if it runs in one's scope.
    pub fn current() -> Option<RunRecorder> {
        CURRENT.try_with(RunRecorder::clone).ok()
    }

    /// Keeps one log line `server` sent while this run had a call to it in
    /// flight (`message` already cut and escaped by the host), within the caps.
    pub fn note_log(&self, server: &str, level: &'static str, message: &str) {
        let mut logs = self.server_logs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let line = format!("{server}: {message}");
        if logs.records.len() >= MAX_SERVER_LOGS || logs.bytes + line.len() > MAX_SERVER_LOG_BYTES {
            logs.dropped += 1;
            return;
        }
        logs.bytes += line.len();
        logs.records.push(LogRecord { level, message: line });
    }

    /// The server log lines kept for this run, and how many were dropped at the caps.
    pub fn take_server_logs(&self) -> (Vec<LogRecord>, u64) {
        let mut logs = self.server_logs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let dropped = std::mem::take(&mut logs.dropped);
        (std::mem::take(&mut logs.records), dropped)
    }

    /// Whether `self` and `other` record the same run.
    pub fn same_run(&self, other: &RunRecorder) -> bool {
        Arc::ptr_eq(&self.started, &other.started)
    }

    /// Whether `server` was started for this run.
    pub fn started(&self, server: &str) -> bool {
        self.started.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).contains(server)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn starts_are_credited_only_to_the_run_whose_operation_caused_them() {
        let (first, second) = (RunRecorder::new(), RunRecorder::new());
        first.scope(async { RunRecorder::note_started("github") }).await;
        second.scope(async { RunRecorder::note_started("time") }).await;
        RunRecorder::note_started("memory");
        assert!(first.started("github") && !first.started("time") && !first.started("memory"));
        assert!(second.started("time") && !second.started("github"));
    }

    #[test]
    fn server_logs_are_kept_up_to_the_caps_and_the_rest_counted() {
        let run = RunRecorder::new();
        for n in 0..MAX_SERVER_LOGS + 5 {
            run.note_log("git", "info", &format!("line {n}"));
        }
        let (kept, dropped) = run.take_server_logs();
        assert_eq!((kept.len(), dropped), (MAX_SERVER_LOGS, 5));
        assert_eq!(kept[0], LogRecord { level: "info", message: "git: line 0".to_owned() });
        run.note_log("git", "warn", &"x".repeat(MAX_SERVER_LOG_BYTES));
        assert_eq!(run.take_server_logs(), (Vec::new(), 1), "one line over the byte cap is dropped");
    }
}
