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
//!
//! A server's question (MCP elicitation) goes to a run's [`Asker`] by the same
//! rule ([`RunRecorder::ask`]): at most [`MAX_QUESTIONS`] per run, one at a
//! time, and none once the run has ended.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::control::{Asker, LogSink, Requester};
use crate::outcome::LogRecord;

/// Most server log lines one run keeps.
pub const MAX_SERVER_LOGS: usize = 64;
/// Most bytes of server log lines one run keeps.
pub const MAX_SERVER_LOG_BYTES: usize = 32 << 10;
/// Most server questions put to one run's asker; past it, the host's policy answers.
pub const MAX_QUESTIONS: usize = 8;

tokio::task_local! {
    static CURRENT: RunRecorder;
}

/// One run's record of servers started for it. Clones share the record.
#[derive(Debug, Clone, Default)]
pub struct RunRecorder {
    started: Arc<Mutex<BTreeSet<String>>>,
    server_logs: Arc<Mutex<ServerLogs>>,
    questions: Option<Arc<Questions>>,
    log_sink: Option<Sink>,
}

/// A run's [`LogSink`], shown by presence only.
#[derive(Clone)]
struct Sink(Arc<dyn LogSink>);

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogSink")
    }
}

/// Whom a run's servers' questions go to, and how many have gone.
struct Questions {
    asker: Arc<dyn Asker>,
    asked: AtomicUsize,
    /// Held while one question waits for its answer.
    turn: tokio::sync::Mutex<()>,
    /// Cancelled when the run ends: no answer is waited for after it.
    ended: CancellationToken,
}

impl std::fmt::Debug for Questions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Questions").field("asked", &self.asked).finish_non_exhaustive()
    }
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

    /// An empty record of a run whose servers' questions go to `caller`'s
    /// asker and whose kept log lines also go to its sink.
    pub(crate) fn for_requester(requester: Requester) -> RunRecorder {
        let questions = requester.asker.map(|asker| {
            Arc::new(Questions {
                asker,
                asked: AtomicUsize::new(0),
                turn: tokio::sync::Mutex::new(()),
                ended: CancellationToken::new(),
            })
        });
        RunRecorder { questions, log_sink: requester.log_sink.map(Sink), ..RunRecorder::default() }
    }

    /// Hands a kept log line to the run's sink, if it has one.
    pub fn forward_log(&self, level: &'static str, server: Option<&str>, message: &str) {
        if let Some(Sink(sink)) = &self.log_sink {
            sink.log(level, server, message);
        }
    }

    /// Puts a server's question (`elicitation/create` params) to this run's
    /// asker and returns the answer (an `ElicitResult`), or `None` if the run
    /// has no asker, has asked [`MAX_QUESTIONS`] already, ends before the answer
    /// comes, or the asker gives none. Questions wait for each other.
    pub async fn ask(&self, server: &str, request: Value) -> Option<Value> {
        let questions = self.questions.as_ref()?;
        if questions.ended.is_cancelled() || questions.asked.fetch_add(1, Ordering::Relaxed) >= MAX_QUESTIONS {
            return None;
        }
        tokio::select! {
            answer = async {
                let _turn = questions.turn.lock().await;
                questions.asker.ask(server, request).await
            } => answer,
            () = questions.ended.cancelled() => None,
        }
    }

    /// Notes that the run has ended: a question still waiting gets no answer.
    pub fn end(&self) {
        if let Some(questions) = &self.questions {
            questions.ended.cancel();
        }
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
        self.forward_log(level, Some(server), message);
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

    /// Answers every question with its own `message`, or never if it says "wait".
    struct Echo;

    impl Asker for Echo {
        fn ask(&self, _server: &str, request: Value) -> futures::future::BoxFuture<'static, Option<Value>> {
            Box::pin(async move {
                if request["message"] == "wait" {
                    std::future::pending::<()>().await;
                }
                Some(request["message"].clone())
            })
        }
    }

    #[tokio::test]
    async fn questions_go_to_the_asker_up_to_the_cap_and_none_once_the_run_has_ended() {
        let ask = |n: usize| serde_json::json!({ "message": format!("q{n}") });
        assert_eq!(RunRecorder::new().ask("s", ask(0)).await, None, "no asker: the policy answers");
        let run = RunRecorder::for_requester(Requester { asker: Some(Arc::new(Echo)), log_sink: None });
        for n in 0..MAX_QUESTIONS {
            assert_eq!(run.ask("s", ask(n)).await, Some(Value::from(format!("q{n}"))));
        }
        assert_eq!(run.ask("s", ask(99)).await, None, "past the cap");

        let run = RunRecorder::for_requester(Requester { asker: Some(Arc::new(Echo)), log_sink: None });
        let waiting = tokio::spawn({
            let run = run.clone();
            async move { run.ask("s", serde_json::json!({ "message": "wait" })).await }
        });
        tokio::task::yield_now().await;
        run.end();
        assert_eq!(waiting.await.unwrap(), None, "the run ended while its question waited");
        assert_eq!(run.ask("s", ask(1)).await, None, "and no question is put after");
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
