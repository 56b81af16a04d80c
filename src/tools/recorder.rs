//! [`RunRecorder`]: which servers a host started on behalf of one run.
//!
//! Many runs share one host (`sluice serve` gives every request the same
//! [`crate::mcp::McpTools`]), so a server's global start count cannot say which
//! run started it. Instead each run's tool operations execute inside the run's
//! recorder scope, and a host that starts a server for an operation notes it
//! with [`RunRecorder::note_started`]: the start is credited to the run whose
//! call, search or describe caused it, and to no other.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

tokio::task_local! {
    static CURRENT: RunRecorder;
}

/// One run's record of servers started for it. Clones share the record.
#[derive(Debug, Clone, Default)]
pub struct RunRecorder {
    started: Arc<Mutex<BTreeSet<String>>>,
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
}
