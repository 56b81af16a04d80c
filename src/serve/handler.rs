//! [`SluiceHandler`]: Sluice's tools behind rmcp's `ServerHandler`, and the
//! 2026-07-28 tasks extension (SEP-2663): when the client declares it, an
//! `execute` still running after `task_after` becomes a task.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use rmcp::handler::server::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams, CreateTaskResult, DetailedTask,
    ElicitRequestParams, ErrorCode, GetPromptRequestParams, GetPromptResponse, GetTaskParams, GetTaskResult,
    Implementation, JsonObject, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ProgressNotificationParam, ProtocolVersion, ReadResourceRequestParams,
    ReadResourceResponse, ResultType, ServerCapabilities, ServerConfig, Task, TaskPayload, TaskStatus, Tool,
    UpdateTaskParams,
};
use rmcp::service::{Peer, RequestContext};
use rmcp::{ErrorData as McpError, RoleServer};
use serde_json::Value;

use super::browse;
use super::definitions::{self, DESCRIBE_TOOL, EXECUTE, SEARCH_TOOLS};
use super::tasks::{Owner, TaskError, TaskRecord, TaskState};
use super::{BUSY, Refusal, Sluice, tool_error};
use crate::{Asker, LogSink, RunControl};

/// How often progress is reported at most.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// Sluice's MCP server side. Cheap to clone: one per connection or HTTP request,
/// all sharing one [`Sluice`].
#[derive(Clone)]
pub struct SluiceHandler {
    sluice: Arc<Sluice>,
    /// The owner of requests that carry none (stdio: the one client).
    default_owner: Owner,
    /// The level `logging/setLevel` chose on this connection (stdio), if any.
    log_level: Arc<std::sync::Mutex<Option<LogLevel>>>,
}

impl SluiceHandler {
    /// A handler for `sluice`; requests without an owner of their own (set by
    /// the HTTP layer from the auth token) belong to `default_owner`.
    pub fn new(sluice: Arc<Sluice>, default_owner: Owner) -> SluiceHandler {
        SluiceHandler { sluice, default_owner, log_level: Arc::default() }
    }

    fn owner(&self, context: &RequestContext<RoleServer>) -> Owner {
        context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Owner>())
            .unwrap_or(&self.default_owner)
            .clone()
    }

    async fn execute(
        &self,
        arguments: Value,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let owner = self.owner(&context);
        // The extension is of the 2026-07-28 era: a 2025-11-25 client that declares it anyway
        // (MCP Inspector 2.12 does) expects a plain result for a call it did not task-augment.
        let tasks_declared = context.protocol_version().is_some_and(|version| version >= ProtocolVersion::V_2026_07_28)
            && context.client_capabilities().is_some_and(|caps| caps.supports_tasks());
        let mut control = self.sluice.new_control();
        if let Some(asker) = ClientAsker::for_request(&context) {
            control = control.with_asker(Arc::new(asker));
        }
        let chosen = *self.log_level.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut log_sent = None;
        if let Some((sink, sent)) = ClientLog::for_request(&context, chosen) {
            control = control.with_log_sink(Arc::new(sink));
            log_sent = Some(sent);
        }
        let progress = progress_reporter(&context, control.clone());
        if !tasks_declared {
            let run = self.sluice.execute(&owner, &arguments, &control);
            let result = until_cancelled(run, &context, &control, progress).await.map_err(busy)?;
            // The run's log lines go out before its result: the sink closes with the last
            // control, and its sender finishes (a client that stopped reading gets a second).
            drop(control);
            if let Some(sent) = log_sent {
                let _ = tokio::time::timeout(Duration::from_secs(1), sent).await;
            }
            return Ok(CallToolResponse::Complete(call_result(result)?));
        }
        // The client takes tasks: run on our own task, and hand it over to a
        // task if it is still going after `task_after`.
        let admitted = match self.sluice.admit(&owner, &arguments) {
            Ok(admitted) => admitted,
            Err(Refusal::Invalid(message)) => return Ok(CallToolResponse::Complete(call_result(tool_error(message))?)),
            Err(Refusal::Busy(message)) => return Err(busy(message)),
        };
        let sluice = self.sluice.clone();
        let run_control = control.clone();
        let mut running = tokio::spawn(async move { sluice.run(admitted, &run_control).await });
        // If this request is dropped before the run ends or becomes a task, the run is cancelled,
        // not left running detached.
        let mut abandon = CancelOnDrop(Some(control.clone()));
        let threshold = tokio::time::sleep(self.sluice.config().task_after);
        tokio::pin!(progress);
        tokio::select! {
            joined = &mut running => Ok(CallToolResponse::Complete(call_result(joined.map_err(internal)?)?)),
            () = context.ct.cancelled() => {
                control.cancel();
                Ok(CallToolResponse::Complete(call_result(running.await.map_err(internal)?)?))
            }
            () = threshold => {
                abandon.0 = None;
                let task = self.sluice.adopt_task(&owner, running, control).await.map_err(task_error)?;
                Ok(CallToolResponse::Task(CreateTaskResult::new(wire_task(&task))))
            }
            () = &mut progress => unreachable!("the reporter never ends"),
        }
    }
}

/// Whether `context`'s request came over HTTP: stateless, answered by one
/// JSON response, so nothing can be sent to the client while it runs.
fn over_http(context: &RequestContext<RoleServer>) -> bool {
    context.extensions.get::<http::request::Parts>().is_some()
}

/// The client that submitted a program, asked a server's question on its
/// behalf (`elicitation/create`), so that the person behind the client answers.
struct ClientAsker {
    peer: Peer<RoleServer>,
    form: bool,
    url: bool,
}

impl ClientAsker {
    /// An asker for the client of `context`, if it takes elicitations and can be
    /// sent a request: over stdio, not over stateless HTTP (no channel back).
    fn for_request(context: &RequestContext<RoleServer>) -> Option<ClientAsker> {
        if over_http(context) {
            return None;
        }
        let capabilities = context.client_capabilities()?;
        let capability = capabilities.elicitation.as_ref()?;
        // A bare `elicitation: {}` (2025-06-18) means forms.
        let bare = capability.form.is_none() && capability.url.is_none();
        Some(ClientAsker {
            peer: context.peer.clone(),
            form: bare || capability.form.is_some(),
            url: capability.url.is_some(),
        })
    }
}

impl Asker for ClientAsker {
    fn ask(&self, server: &str, mut request: Value) -> BoxFuture<'static, Option<Value>> {
        let peer = self.peer.clone();
        // The person answers Sluice, so they are told which of its servers asks.
        if let Some(message) = request.get_mut("message")
            && let Some(text) = message.as_str()
        {
            *message = Value::String(format!("{server} asks: {text}"));
        }
        let takes = |request: &ElicitRequestParams| match request {
            ElicitRequestParams::FormElicitationParams { .. } => self.form,
            ElicitRequestParams::UrlElicitationParams { .. } => self.url,
            _ => false,
        };
        let request = serde_json::from_value::<ElicitRequestParams>(request).ok().filter(takes);
        Box::pin(async move {
            let answer = peer.create_elicitation(request?).await;
            answer
                .inspect_err(|error| tracing::info!("the client did not answer a server's question: {error}"))
                .ok()
                .and_then(|answer| serde_json::to_value(answer).ok())
        })
    }
}

/// A log level, as `logging/setLevel` or a request's `_meta` names it (rmcp's
/// type is deprecated with logging itself, by SEP-2577, in 2026-07-28).
#[allow(deprecated)]
type LogLevel = rmcp::model::LoggingLevel;

/// Log lines queued for a client; past it, lines are dropped (they stay in the run's `logs`).
const CLIENT_LOG_QUEUE: usize = 64;

/// A run's kept log lines, sent as they come to the client that submitted
/// the program (`notifications/message`), at or above the level it chose.
struct ClientLog {
    lines: tokio::sync::mpsc::Sender<(LogLevel, String, String)>,
    threshold: u8,
}

impl ClientLog {
    /// A sink for the client of `context`, if it chose a level (the request's
    /// `_meta`, else `logging/setLevel` on this connection) and can be sent a
    /// notification during a request: over stdio, not over JSON-response HTTP;
    /// with the task sending its lines, which ends once the sink is dropped.
    #[allow(deprecated)]
    fn for_request(
        context: &RequestContext<RoleServer>,
        chosen: Option<LogLevel>,
    ) -> Option<(ClientLog, tokio::task::JoinHandle<()>)> {
        if over_http(context) {
            return None;
        }
        let level = context.meta.log_level().or(chosen)?;
        let (lines, mut queued) = tokio::sync::mpsc::channel(CLIENT_LOG_QUEUE);
        let peer = context.peer.clone();
        let sender = tokio::spawn(async move {
            while let Some((level, logger, message)) = queued.recv().await {
                let line = rmcp::model::LoggingMessageNotificationParam::new(level, Value::String(message))
                    .with_logger(logger);
                if peer.notify_logging_message(line).await.is_err() {
                    break;
                }
            }
        });
        Some((ClientLog { lines, threshold: level as u8 }, sender))
    }
}

impl LogSink for ClientLog {
    fn log(&self, level: &'static str, server: Option<&str>, message: &str) {
        #[allow(deprecated)]
        let level = match level {
            "trace" | "debug" => LogLevel::Debug,
            "info" => LogLevel::Info,
            "warn" => LogLevel::Warning,
            _ => LogLevel::Error,
        };
        if (level as u8) < self.threshold {
            return;
        }
        let logger = server.map_or_else(|| "program".to_owned(), |server| format!("server {server}"));
        // A client that does not keep up loses lines here, never the run its time.
        let _ = self.lines.try_send((level, logger, message.to_owned()));
    }
}

/// Cancels a run when dropped, unless disarmed (`.0 = None`).
struct CancelOnDrop(Option<RunControl>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(control) = self.0.take() {
            control.cancel();
        }
    }
}

/// Runs `run` to its end, cancelling it if the request is cancelled
/// (`notifications/cancelled`, a dropped HTTP connection), with `progress` alongside.
async fn until_cancelled<T>(
    run: impl Future<Output = T>,
    context: &RequestContext<RoleServer>,
    control: &RunControl,
    progress: impl Future<Output = ()>,
) -> T {
    tokio::pin!(run, progress);
    tokio::select! {
        result = &mut run => result,
        () = context.ct.cancelled() => {
            control.cancel();
            run.await
        }
        () = &mut progress => unreachable!("the reporter never ends"),
    }
}

/// Sends `notifications/progress` for a request that asked for it (a
/// `progressToken`), at most every [`PROGRESS_INTERVAL`], only when its value
/// (calls plus lines) grew; never ends.
fn progress_reporter(context: &RequestContext<RoleServer>, control: RunControl) -> impl Future<Output = ()> + use<> {
    let token = context.meta.get_progress_token();
    let peer = context.peer.clone();
    async move {
        let Some(token) = token else { return std::future::pending().await };
        let mut reported = None;
        let mut ticks = tokio::time::interval(PROGRESS_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let now = control.progress();
            // MCP requires progress to increase with every notification, so only what the value
            // counts (calls and lines) is a change; bytes alone (stderr, a partial line) are not.
            let value = now.tool_calls + now.output_lines;
            if reported.is_some_and(|last| value <= last) {
                continue;
            }
            reported = Some(value);
            let mut param = ProgressNotificationParam::new(token.clone(), value as f64);
            param.message = Some(format!(
                "{} tool call{}, {} line{} of output",
                now.tool_calls,
                if now.tool_calls == 1 { "" } else { "s" },
                now.output_lines,
                if now.output_lines == 1 { "" } else { "s" },
            ));
            if peer.notify_progress(param).await.is_err() {
                return std::future::pending().await;
            }
        }
    }
}

impl ServerHandler for SluiceHandler {
    #[allow(deprecated)] // enable_logging: logging is what 2025-11-25 clients ask for.
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tasks()
            .enable_resources()
            .enable_prompts()
            .enable_logging()
            .build();
        let mut info = ServerConfig::new(capabilities);
        info.server_info = Implementation::new("sluice", env!("CARGO_PKG_VERSION"))
            .with_title("Sluice")
            .with_description("Runs programs that call MCP tools, in a deny-by-default sandbox");
        info.instructions = Some(definitions::INSTRUCTIONS.to_owned());
        info
    }

    #[allow(deprecated)]
    async fn set_level(
        &self,
        request: rmcp::model::SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        *self.log_level.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(request.level);
        Ok(())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(browse::resources(self.sluice.servers())))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(browse::templates()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        match browse::read(self.sluice.tools(), &request.uri).await {
            Ok(result) => Ok(result.into()),
            Err(error) => Err(McpError::resource_not_found(error.to_string(), None)),
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::with_all_items(browse::prompts()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        match browse::prompt(&request.name) {
            Some(prompt) => Ok(prompt.into()),
            None => Err(McpError::invalid_params(
                format!("there is no prompt {:?}; the one prompt is {:?}", request.name, browse::PROMPT),
                None,
            )),
        }
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        // Names and summaries only: listing starts no upstream server.
        let tools: Vec<Tool> = definitions::tools(self.sluice.servers())
            .into_iter()
            .map(serde_json::from_value)
            .collect::<Result<_, _>>()
            .map_err(internal)?;
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        let result = match request.name.as_ref() {
            EXECUTE => return self.execute(arguments, context).await,
            SEARCH_TOOLS => self.sluice.search(&arguments).await,
            DESCRIBE_TOOL => self.sluice.describe(&arguments).await,
            other => {
                return Err(McpError::invalid_params(
                    format!("unknown tool {other:?}; Sluice's tools are {EXECUTE}, {SEARCH_TOOLS} and {DESCRIBE_TOOL}"),
                    None,
                ));
            }
        };
        Ok(CallToolResponse::Complete(call_result(result)?))
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, McpError> {
        let task = self.sluice.store().get(&self.owner(&context), &request.task_id).await.map_err(task_error)?;
        Ok(GetTaskResult::new(detailed_task(&task)))
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        // Programs ask no input of clients: responses are acknowledged and ignored, as for unknown keys.
        self.sluice.store().get(&self.owner(&context), &request.task_id).await.map_err(task_error)?;
        Ok(())
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        // SEP-2663 cancellation is a request, acknowledged even when the task
        // has already finished (its status stays what it ended as).
        match self.sluice.store().cancel(&self.owner(&context), &request.task_id).await {
            Ok(_) | Err(TaskError::AlreadyTerminal { .. }) => Ok(()),
            Err(error) => Err(task_error(error)),
        }
    }
}

/// rmcp's `CallToolResult` from Sluice's JSON. It is marked complete
/// (`resultType`, required from 2026-07-28; rmcp strips it for older peers).
fn call_result(value: Value) -> Result<CallToolResult, McpError> {
    let mut result: CallToolResult = serde_json::from_value(value).map_err(internal)?;
    result.result_type = Some(ResultType::COMPLETE);
    Ok(result)
}

fn busy(message: String) -> McpError {
    McpError::new(ErrorCode(BUSY), message, None)
}

fn internal(error: impl std::fmt::Display) -> McpError {
    McpError::internal_error(error.to_string(), None)
}

/// Task errors as JSON-RPC errors: unknown, expired, another client's, or
/// already finished are all `-32602` (invalid params), as both task eras say.
pub(crate) fn task_error(error: TaskError) -> McpError {
    match error {
        TaskError::Unavailable(_) => McpError::internal_error(error.to_string(), None),
        _ => McpError::invalid_params(error.to_string(), None),
    }
}

/// RFC 3339 with milliseconds, UTC.
pub(crate) fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

fn wire_task(record: &TaskRecord) -> Task {
    let status = match record.state {
        TaskState::Working => TaskStatus::Working,
        TaskState::Completed => TaskStatus::Completed,
        TaskState::Failed => TaskStatus::Failed,
        TaskState::Cancelled => TaskStatus::Cancelled,
    };
    let mut task = Task::new(&record.id, status, timestamp(record.created_at), timestamp(record.updated_at))
        .with_ttl_ms(record.ttl.as_millis() as u64)
        .with_poll_interval_ms(record.poll_interval.as_millis() as u64);
    task.status_message = record.status_message.clone();
    task
}

fn detailed_task(record: &TaskRecord) -> DetailedTask {
    let object = |value: &Option<Value>| match value {
        Some(Value::Object(object)) => object.clone(),
        _ => JsonObject::new(),
    };
    let payload = match record.state {
        TaskState::Working => TaskPayload::Working,
        TaskState::Completed => TaskPayload::Completed { result: object(&record.result) },
        TaskState::Cancelled => TaskPayload::Cancelled,
        TaskState::Failed => {
            let message = record.result.as_ref().and_then(|r| r["content"][0]["text"].as_str()).unwrap_or("failed");
            let mut error = JsonObject::new();
            error.insert("code".into(), (-32603).into());
            error.insert("message".into(), message.into());
            TaskPayload::Failed { error }
        }
    };
    DetailedTask::new(wire_task(record), payload)
}
