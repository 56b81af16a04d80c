//! `sluice serve`: Sluice as an MCP server. A model sees three tools
//! (`execute`, `search_tools`, `describe_tool`, in `definitions.rs`) instead of
//! every upstream definition, writes a program, and gets back what it prints.
//!
//! - [`Sluice`] (this file) is the state every connection shares: the launcher,
//!   the upstream servers, the task store, the limits and the run slots.
//!   `execute` lives here, so every transport and era runs programs one way.
//! - `handler.rs` is the rmcp `ServerHandler`: tools, calls, and the 2026-07-28
//!   tasks extension (the server turns a slow `execute` into a task).
//! - `legacy.rs` handles the 2025-11-25 tasks (SEP-1686) that rmcp drops, on
//!   raw JSON-RPC before rmcp sees it; `stdio.rs` and `http.rs` put it in front.
//! - `tasks.rs` is the [`TaskStore`] trait all task state goes through.

mod browse;
pub mod definitions;
mod handler;
pub mod http;
mod legacy;
pub mod metrics;
pub mod stdio;
pub mod tasks;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use self::handler::SluiceHandler;
use self::metrics::Metrics;
use self::tasks::{Owner, SharedTaskStore, TaskEra, TaskError, TaskRecord, TaskState, status_for};
use crate::tools::{SearchQuery, ServerInfo, ToolCatalog, ToolHost};
use crate::{
    ExecutionLimits, ExecutionPolicy, Language, Launcher, LimitRequest, RunControl, RunOutcome, RunStatus, SkillsGrant,
    Source, WorkspaceChoice,
};

/// Where programs get their `/workspace`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorkspaceMode {
    /// A fresh scratch directory per program, removed after it.
    Scratch,
    /// This directory for every program (saved helpers persist).
    Shared(PathBuf),
    /// A subdirectory of this directory per client (auth token), so clients
    /// never see each other's files.
    PerClient(PathBuf),
}

/// How `sluice serve` runs programs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeConfig {
    /// Every request's limits, and the most a request may ask for.
    pub limits: ExecutionLimits,
    /// Where programs get their workspace.
    pub workspace: WorkspaceMode,
    /// In the 2026-07-28 tasks era, an `execute` still running after this
    /// becomes a task (when the client declared the extension). Default: 1 s.
    pub task_after: Duration,
    /// The TTL of a task when the client asks for none. Default: 10 minutes.
    pub default_task_ttl: Duration,
    /// The longest TTL granted; longer requests get this. Default: 1 hour.
    pub max_task_ttl: Duration,
    /// Programs one client (auth token) may run at once. Default: 16.
    pub max_runs_per_client: usize,
    /// Programs all clients together may run at once. Default: 256 (at most
    /// the runtime's instance pool).
    pub max_runs: usize,
    /// Tasks kept per client, running or finished and not yet expired. Default: 1,024.
    pub max_tasks_per_client: usize,
    /// The longest program source accepted. Default: 1 MiB.
    pub max_code_bytes: usize,
    /// The largest task result stored, in bytes of JSON; a larger one is
    /// replaced by an error saying so. Default: 4 MiB.
    pub max_task_result: usize,
    /// A directory of saved helpers every program sees as `/skills`. Default: none.
    pub skills: Option<SkillsGrant>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            limits: ExecutionLimits::default(),
            workspace: WorkspaceMode::Scratch,
            task_after: Duration::from_secs(1),
            default_task_ttl: Duration::from_secs(600),
            max_task_ttl: Duration::from_secs(3600),
            max_runs_per_client: 16,
            max_runs: 256,
            max_tasks_per_client: 1024,
            max_code_bytes: 1 << 20,
            max_task_result: 4 << 20,
            skills: None,
        }
    }
}

/// The state every connection and request shares.
pub struct Sluice {
    launcher: Arc<Launcher>,
    tools: Arc<dyn ToolHost>,
    catalog: ToolCatalog,
    servers: Vec<ServerInfo>,
    store: SharedTaskStore,
    config: ServeConfig,
    runs: Arc<Semaphore>,
    runs_per_client: Mutex<HashMap<Owner, Arc<Semaphore>>>,
    /// Cancelled at shutdown: every run's control is a child of it.
    shutdown: CancellationToken,
    /// The tasks that run programs and record their ends.
    followers: TaskTracker,
    metrics: Arc<Metrics>,
}

/// How long the end of a task is retried while the task store is unreachable.
const FINISH_RETRY: Duration = Duration::from_secs(120);

/// `execute`'s arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecuteArgs {
    code: String,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    timeout: Option<f64>,
    #[serde(default)]
    max_tool_calls: Option<u64>,
}

/// Why `execute` was not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The arguments are wrong: a tool error the model can act on.
    Invalid(String),
    /// Every run slot (the client's or the server's) is taken: a JSON-RPC
    /// error ([`BUSY`]) at once, never a request left waiting.
    Busy(String),
}

/// The JSON-RPC error code for a server at its concurrency cap.
pub(crate) const BUSY: i32 = -32000;

/// A program accepted for running: its source, policy and run slots.
pub(crate) struct Admitted {
    source: Source,
    policy: ExecutionPolicy,
    workspace: WorkspaceChoice,
    _permits: (OwnedSemaphorePermit, OwnedSemaphorePermit),
}

impl Sluice {
    /// Shared state for a server offering `tools` (not started: nothing is
    /// until a program, search or description needs it).
    pub fn new(launcher: Arc<Launcher>, tools: Arc<dyn ToolHost>, store: SharedTaskStore, config: ServeConfig) -> Self {
        let servers = tools.servers();
        let metrics = Arc::new(Metrics::new());
        let store = metrics.counting(store);
        Sluice {
            launcher,
            catalog: ToolCatalog::new(tools.clone()),
            tools,
            servers,
            store,
            runs: Arc::new(Semaphore::new(config.max_runs)),
            runs_per_client: Mutex::default(),
            config,
            shutdown: CancellationToken::new(),
            followers: TaskTracker::new(),
            metrics,
        }
    }

    /// The tools programs call (for browsing their declarations as resources).
    pub(crate) fn tools(&self) -> &dyn ToolHost {
        &*self.tools
    }

    /// The configured servers, as `execute`'s description lists them.
    pub fn servers(&self) -> &[ServerInfo] {
        &self.servers
    }

    /// The launcher (readiness: whether the interpreter is prepared).
    pub fn launcher(&self) -> &Launcher {
        &self.launcher
    }

    /// This instance's metrics (`/metrics`).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The task store.
    pub fn store(&self) -> &SharedTaskStore {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &ServeConfig {
        &self.config
    }

    /// Programs running now.
    pub fn running(&self) -> usize {
        self.config.max_runs - self.runs.available_permits()
    }

    /// Cancels every running program (after the shutdown grace period).
    pub fn cancel_all(&self) {
        self.shutdown.cancel();
    }

    /// A control for one run, cancelled by [`Sluice::cancel_all`] too.
    pub fn new_control(&self) -> RunControl {
        RunControl::child_of(&self.shutdown)
    }

    /// Checks `execute`'s arguments and takes run slots: `Err` is the tool
    /// error to answer with (a model can act on it).
    pub(crate) fn admit(&self, owner: &Owner, arguments: &Value) -> Result<Admitted, Refusal> {
        self.check(owner, arguments).map_err(Refusal::Invalid).and_then(|checked| self.take_slots(owner, checked))
    }

    fn check(&self, owner: &Owner, arguments: &Value) -> Result<(Source, ExecutionPolicy, WorkspaceChoice), String> {
        let args: ExecuteArgs =
            serde_json::from_value(arguments.clone()).map_err(|error| format!("invalid execute arguments: {error}"))?;
        if args.code.len() > self.config.max_code_bytes {
            return Err(format!("the program is over {} bytes", self.config.max_code_bytes));
        }
        let language = match args.language.as_deref() {
            None => Language::JavaScript,
            Some(name) => match Language::from_name(name) {
                Some(language @ (Language::JavaScript | Language::TypeScript)) => language,
                _ => return Err(format!("language must be \"javascript\" or \"typescript\", not {name:?}")),
            },
        };
        let mut request = LimitRequest::default();
        if let Some(seconds) = args.timeout {
            if !(seconds.is_finite() && seconds > 0.0) {
                return Err(format!("timeout must be a positive number of seconds, not {seconds}"));
            }
            request.deadline = Some(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX));
        }
        request.tool_calls = args.max_tool_calls;
        let limits = request.lowered(&self.config.limits).map_err(|error| error.to_string())?;

        let workspace = match &self.config.workspace {
            WorkspaceMode::Scratch => WorkspaceChoice::Scratch,
            WorkspaceMode::Shared(dir) => WorkspaceChoice::Directory(dir.clone()),
            WorkspaceMode::PerClient(root) => {
                let dir = root.join(owner.directory_name());
                create_private_dir(&dir).map_err(|error| format!("cannot prepare the workspace: {error}"))?;
                WorkspaceChoice::Directory(dir)
            }
        };
        let source = Source::text(
            match language {
                Language::TypeScript => "main.ts",
                _ => "main.js",
            },
            language,
            args.code,
        );
        let mut policy = ExecutionPolicy::default().with_limits(limits);
        policy.skills = self.config.skills.clone();
        Ok((source, policy, workspace))
    }

    fn take_slots(
        &self,
        owner: &Owner,
        (source, policy, workspace): (Source, ExecutionPolicy, WorkspaceChoice),
    ) -> Result<Admitted, Refusal> {
        let per_client = {
            let mut clients = self.runs_per_client.lock().unwrap_or_else(|p| p.into_inner());
            // Entries of idle clients are dropped so the map stays as small as the clients running now.
            clients.retain(|_, slots| slots.available_permits() < self.config.max_runs_per_client);
            clients
                .entry(owner.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(self.config.max_runs_per_client)))
                .clone()
        };
        let client_permit = per_client.try_acquire_owned().map_err(|_| {
            Refusal::Busy(format!(
                "this client already runs {} programs, the most allowed at once; wait for one to finish",
                self.config.max_runs_per_client
            ))
        })?;
        let permit = self.runs.clone().try_acquire_owned().map_err(|_| {
            Refusal::Busy(format!(
                "the server runs {} programs, the most it allows at once; try again shortly",
                self.config.max_runs
            ))
        })?;
        Ok(Admitted { source, policy, workspace, _permits: (client_permit, permit) })
    }

    /// Runs an admitted program to its end under `control`; the result is a
    /// `CallToolResult` as JSON.
    pub(crate) async fn run(&self, admitted: Admitted, control: &RunControl) -> Value {
        let Admitted { source, policy, workspace, _permits } = admitted;
        let _in_flight = self.metrics.running();
        match self.launcher.run(&source, policy, &workspace, self.tools.clone(), control).await {
            Ok(launched) => {
                if let Some(error) = launched.cleanup {
                    tracing::warn!("{}", crate::chain(&error));
                }
                self.metrics.ran(&launched.outcome);
                outcome_result(&launched.outcome)
            }
            Err(error) => {
                self.metrics.not_started();
                tool_error(format!("the program could not start: {}", crate::chain(&error)))
            }
        }
    }

    /// Runs `execute` to its end (no task): the `CallToolResult` as JSON.
    pub(crate) async fn execute(
        &self,
        owner: &Owner,
        arguments: &Value,
        control: &RunControl,
    ) -> Result<Value, String> {
        match self.admit(owner, arguments) {
            Ok(admitted) => Ok(self.run(admitted, control).await),
            Err(Refusal::Invalid(message)) => Ok(tool_error(message)),
            Err(Refusal::Busy(message)) => Err(message),
        }
    }

    /// Starts `execute` as a task of `owner` at once: the task is in the store
    /// before this returns, and the program runs on; its end finishes the
    /// task, and a cancel request for the task cancels the program.
    pub(crate) async fn start_task(
        self: &Arc<Self>,
        owner: &Owner,
        era: TaskEra,
        ttl: Option<Duration>,
        arguments: &Value,
    ) -> Result<Result<TaskRecord, TaskError>, String> {
        let ttl = ttl.unwrap_or(self.config.default_task_ttl).min(self.config.max_task_ttl);
        let admitted = match self.admit(owner, arguments) {
            Err(Refusal::Busy(message)) => return Err(message),
            Err(Refusal::Invalid(message)) => Err(message),
            Ok(admitted) => Ok(admitted),
        };
        let task = match self.store.create(owner, era, ttl).await {
            Ok(task) => task,
            Err(error) => return Ok(Err(error)),
        };
        let control = self.new_control();
        let (this, run_control) = (self.clone(), control.clone());
        let run = async move {
            match admitted {
                Ok(admitted) => this.run(admitted, &run_control).await,
                Err(message) => tool_error(message),
            }
        };
        self.follow(task.id.clone(), era, run, control);
        Ok(Ok(task))
    }

    /// Hands an `execute` already running (as `running`) over to a new task
    /// of `owner`: the task finishes when the run does.
    pub(crate) async fn adopt_task(
        self: &Arc<Self>,
        owner: &Owner,
        running: tokio::task::JoinHandle<Value>,
        control: RunControl,
    ) -> Result<TaskRecord, TaskError> {
        let task = match self.store.create(owner, TaskEra::Extension, self.config.default_task_ttl).await {
            Ok(task) => task,
            Err(error) => {
                // No task to hand it to: the run must not go on unowned.
                control.cancel();
                return Err(error);
            }
        };
        let run = async move {
            running.await.unwrap_or_else(|error| tool_error(format!("the program's task failed: {error}")))
        };
        self.follow(task.id.clone(), TaskEra::Extension, run, control);
        Ok(task)
    }

    /// Finishes task `id` with what `run` (its program) returns, cancelling the
    /// program through `control` when a cancel is requested for the task or
    /// the task expires.
    fn follow(
        self: &Arc<Self>,
        id: String,
        era: TaskEra,
        run: impl Future<Output = Value> + Send + 'static,
        control: RunControl,
    ) {
        let this = self.clone();
        self.followers.spawn(async move {
            let cancel_when_asked = async {
                this.store.cancel_requested(&id).await;
                control.cancel();
                std::future::pending::<()>().await;
            };
            let (state, status, result) = tokio::select! {
                result = run => this.storable(era, result),
                () = cancel_when_asked => unreachable!("pending"),
                () = this.store.hold(&id) => unreachable!("pending"),
            };
            // The claim is kept while the result is written, so no other
            // instance takes the task for lost while Redis is briefly away.
            tokio::select! {
                () = this.record(&id, state, &status, result) => {}
                () = this.store.hold(&id) => unreachable!("pending"),
            }
        });
    }

    /// The state, status message and result to store for a finished run: a
    /// result over `max_task_result` is replaced by an error saying so.
    fn storable(&self, era: TaskEra, result: Value) -> (TaskState, String, Value) {
        let size = serde_json::to_vec(&result).map_or(usize::MAX, |bytes| bytes.len());
        if size > self.config.max_task_result {
            let message = format!(
                "the program's result is {size} bytes, over this server's task result cap of {} bytes \
                 (--max-task-result); print less, or write the full result to the workspace",
                self.config.max_task_result
            );
            return (TaskState::Failed, message.clone(), tool_error(message));
        }
        let state = task_state(era, &result);
        let status = if state == TaskState::Cancelled && self.shutdown.is_cancelled() {
            "the Sluice instance running this program shut down before it finished".to_owned()
        } else {
            status_for(state).to_owned()
        };
        (state, status, result)
    }

    /// Writes a task's end, retrying (with a growing pause, for [`FINISH_RETRY`])
    /// while the store is unreachable; after that the task is left to be
    /// reported failed as lost.
    async fn record(&self, id: &str, state: TaskState, status: &str, result: Value) {
        let give_up = tokio::time::Instant::now() + FINISH_RETRY;
        let mut pause = Duration::from_millis(100);
        loop {
            match self.store.finish(id, state, status, result.clone()).await {
                Ok(()) => {
                    self.metrics.task_ended(state);
                    return;
                }
                Err(error) if tokio::time::Instant::now() + pause < give_up => {
                    tracing::warn!(task = %id, "cannot record the task's end yet: {error}; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
                Err(error) => {
                    tracing::error!(
                        task = %id,
                        "cannot record the task's end: {error}; it will be reported failed once its lease lapses"
                    );
                    return;
                }
            }
        }
    }

    /// Waits (at most `limit`) for every task's end to be written; for shutdown,
    /// after [`Sluice::cancel_all`].
    pub async fn drain(&self, limit: Duration) {
        self.followers.close();
        if tokio::time::timeout(limit, self.followers.wait()).await.is_err() {
            tracing::warn!("{} tasks' ends were not recorded before shutdown", self.followers.len());
        }
    }

    /// `search_tools`: a `CallToolResult` as JSON.
    pub(crate) async fn search(&self, arguments: &Value) -> Value {
        let query: SearchQuery = match serde_json::from_value(arguments.clone()) {
            Ok(query) => query,
            Err(error) => return tool_error(format!("invalid search_tools arguments: {error}")),
        };
        match self.catalog.search(&query).await {
            Ok(hits) => structured_result(json!({ "results": hits })),
            Err(error) => tool_error(error.to_string()),
        }
    }

    /// `describe_tool`: a `CallToolResult` as JSON.
    pub(crate) async fn describe(&self, arguments: &Value) -> Value {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Args {
            server: String,
            tool: String,
        }
        let args: Args = match serde_json::from_value(arguments.clone()) {
            Ok(args) => args,
            Err(error) => return tool_error(format!("invalid describe_tool arguments: {error}")),
        };
        match self.catalog.describe(&args.server, &args.tool).await {
            Ok(description) => {
                let text = description.typescript.clone();
                let mut result = structured_result(serde_json::to_value(&description).unwrap_or(Value::Null));
                result["content"] = json!([{ "type": "text", "text": text }]);
                result
            }
            Err(error) => tool_error(error.to_string()),
        }
    }
}

impl Owner {
    /// A directory name for this owner's workspace: a digest, never the token.
    fn directory_name(&self) -> String {
        let mut name = crate::module_cache::sha256_hex(self.0.as_bytes());
        name.truncate(32);
        name
    }
}

fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => Err(error),
        _ => Ok(()),
    }
}

/// How a finished run shows as a task: in the 2025-11-25 era a program error or
/// limit is `failed`; in the extension era (as for any tool) a result is
/// `completed`, its `isError` saying how it went. A cancelled run is `cancelled`.
fn task_state(era: TaskEra, result: &Value) -> TaskState {
    let status = result["structuredContent"]["status"].as_str();
    match (status, era) {
        (Some("cancelled"), _) => TaskState::Cancelled,
        (_, TaskEra::Legacy) if result["isError"] == true => TaskState::Failed,
        _ => TaskState::Completed,
    }
}

/// The `CallToolResult` of a finished program: what it printed (and, when it
/// did not succeed, its stderr and one line saying how it ended) as text, the
/// outcome as `structuredContent`.
pub fn outcome_result(outcome: &RunOutcome) -> Value {
    let mut text = String::from_utf8_lossy(&outcome.stdout).into_owned();
    let ok = outcome.status == RunStatus::Ok;
    if !ok {
        let stderr = String::from_utf8_lossy(&outcome.stderr);
        if !stderr.is_empty() {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&stderr);
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&status_line(outcome));
    }
    if outcome.truncated {
        text.push_str("\n[output truncated at the server's cap]");
    }
    json!({
        "content": [{ "type": "text", "text": text }],
        "structuredContent": serde_json::to_value(outcome).unwrap_or(Value::Null),
        "isError": !ok,
    })
}

/// One line a model can act on: which limit and its message, or the error.
fn status_line(outcome: &RunOutcome) -> String {
    match &outcome.status {
        RunStatus::Ok => "ok".to_owned(),
        RunStatus::Failed { message, .. } => format!("error: {message}"),
        RunStatus::Limit { kind, message } => format!("stopped by the {kind} limit: {message}"),
        RunStatus::Cancelled => "cancelled before it finished".to_owned(),
    }
}

/// A tool error a model reads: `isError` with the message as text.
pub(crate) fn tool_error(message: String) -> Value {
    json!({ "content": [{ "type": "text", "text": message }], "isError": true })
}

fn structured_result(value: Value) -> Value {
    json!({
        "content": [{ "type": "text", "text": value.to_string() }],
        "structuredContent": value,
        "isError": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CompileSource;

    #[test]
    fn a_result_is_the_output_alone_when_ok_and_says_how_it_ended_otherwise() {
        let mut ok = RunOutcome::failed_to_start(String::new(), CompileSource::MemoryCache);
        ok.status = RunStatus::Ok;
        ok.stdout = b"42\n".to_vec();
        let result = outcome_result(&ok);
        assert_eq!((result["content"][0]["text"].as_str(), result["isError"].as_bool()), (Some("42\n"), Some(false)));
        assert_eq!(result["structuredContent"]["status"], "ok");

        let mut failed =
            RunOutcome::failed_to_start("Error: boom\n    at main.js:3:7".into(), CompileSource::MemoryCache);
        failed.stdout = b"partial".to_vec();
        failed.stderr = b"warning\n".to_vec();
        let result = outcome_result(&failed);
        assert_eq!(result["isError"], true);
        assert_eq!(result["content"][0]["text"], "partial\nwarning\nerror: Error: boom\n    at main.js:3:7");
        assert_eq!(result["structuredContent"]["error"], "Error: boom\n    at main.js:3:7");
    }

    #[test]
    fn tasks_end_failed_only_in_the_older_era_and_cancelled_in_both() {
        let failed = json!({ "isError": true, "structuredContent": { "status": "limit" } });
        let cancelled = json!({ "isError": true, "structuredContent": { "status": "cancelled" } });
        assert_eq!(task_state(TaskEra::Legacy, &failed), TaskState::Failed);
        assert_eq!(task_state(TaskEra::Extension, &failed), TaskState::Completed);
        assert_eq!(task_state(TaskEra::Extension, &cancelled), TaskState::Cancelled);
        assert_eq!(task_state(TaskEra::Legacy, &tool_error("bad arguments".into())), TaskState::Failed);
    }
}
