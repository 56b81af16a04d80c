//! The host side of the `sluice_v1` tool-call ABI (`guest-sdk/ABI.md`): operations, handles, results, logs.
//!
//! Every length a guest passes is checked against its cap before anything is
//! copied. Problems with a call are completions the guest reads (`FAILED`);
//! guest bugs (bad pointers, bad UTF-8) and limits trap.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};
use tokio::task::JoinSet;
use wasmtime::{Caller, Extern, Linker};

use super::RunState;
use super::hibernate::{Memory, while_waiting};
use super::limits::LimitExceeded;
use super::payload::{self, Payload};
use crate::ExecutionLimits;
use crate::control::{Counters, Requester};
use crate::outcome::{LimitKind, LogRecord};
use crate::terminal::escape_controls;
use crate::tools::{RunRecorder, SearchQuery, ToolCall, ToolCallError, ToolCatalog, ToolHost, ToolResult};

/// The import module a guest links against.
pub(crate) const MODULE: &str = "sluice_v1";

/// Every function of the ABI and its `(params, results)` count of `i32`s, as
/// `guest-sdk/ABI.md` lists them; a test checks the two agree.
pub(crate) const FUNCTIONS: [(&str, usize, usize); 13] = [
    ("call_start", 6, 1),
    ("servers_start", 0, 1),
    ("search_start", 2, 1),
    ("describe_start", 4, 1),
    ("strip_types_start", 4, 1),
    ("wait_any", 0, 1),
    ("wait_any_timeout", 1, 1),
    ("result_len", 1, 1),
    ("result_read", 3, 1),
    ("result_value_len", 1, 1),
    ("result_value_read", 3, 1),
    ("log", 3, 0),
    ("report_error", 2, 0),
];

/// Error codes (negative results).
const BUSY: i32 = -1;
const NOTHING_PENDING: i32 = -2;
const BAD_HANDLE: i32 = -3;
const NOT_READY: i32 = -4;
const BUFFER_TOO_SMALL: i32 = -5;
const TIMED_OUT: i32 = -6;
const NO_VALUE: i32 = -7;

/// Longest server or tool name, as in MCP.
const MAX_NAME_BYTES: u32 = 128;
/// Longest search request.
const MAX_SEARCH_REQUEST_BYTES: u32 = 4096;
/// Longest module name `strip_types_start` takes (a path inside the sandbox).
const MAX_MODULE_NAME_BYTES: u32 = 1024;
/// Largest TypeScript module `strip_types_start` strips: `sluice serve`'s cap on
/// a program's code (`ServeConfig::max_code_bytes`' default).
pub(crate) const MAX_MODULE_SOURCE_BYTES: u32 = 1 << 20;
/// TypeScript modules one run may have stripped, and their bytes in total: a
/// program cannot make the host parse without end.
pub(crate) const MAX_MODULES_STRIPPED: u64 = 256;
pub(crate) const MAX_STRIPPED_BYTES: u64 = 16 << 20;
/// Longest log line; the rest is cut.
const MAX_LOG_LINE_BYTES: u32 = 4096;
/// Bytes every completion held for the guest counts beyond its payload, so
/// many small results are not free (see [`UnreadBytes`]).
const COMPLETION_OVERHEAD: u64 = 64;

/// How an operation ended, as `result_read` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok = 0,
    ToolError = 1,
    Failed = 2,
}

#[derive(Debug)]
struct Completion {
    status: Status,
    payload: Payload,
    /// Bytes of the tool's result as it arrived, before any cap (0 for other operations).
    tool_bytes: u64,
}

/// Bytes of results that have arrived and the guest has not read, shared with
/// the tasks that produce them, so the check happens where the payload is made.
#[derive(Debug, Clone)]
struct UnreadBytes {
    held: Arc<AtomicU64>,
    cap: u64,
}

impl UnreadBytes {
    fn cost(completion: &Completion) -> u64 {
        completion.payload.len() as u64 + COMPLETION_OVERHEAD
    }

    /// Takes room for `completion`, or replaces it by a failure (which is small
    /// and always admitted) when the run already holds too much unread.
    fn admit(&self, completion: Completion) -> Completion {
        let cost = Self::cost(&completion);
        let admitted = self
            .held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                (held + cost <= self.cap || completion.status == Status::Failed).then_some(held + cost)
            })
            .is_ok();
        if admitted {
            return completion;
        }
        let size = completion.payload.len();
        let message = format!(
            "this {size} byte result would take the run's unread results past {} bytes; read results before starting more",
            self.cap
        );
        let mut failure = Completion::failure("result_too_large", message);
        failure.tool_bytes = completion.tool_bytes;
        discard(completion.payload, size);
        self.held.fetch_add(Self::cost(&failure), Ordering::AcqRel);
        failure
    }

    fn release(&self, completion: &Completion) {
        self.held.fetch_sub(Self::cost(completion), Ordering::AcqRel);
    }
}

impl Completion {
    fn failed(error: &ToolCallError) -> Self {
        Completion::failure(error.kind(), error.to_string())
    }

    /// A `FAILED` completion of `kind` (one of [`ToolCallError::kind`]'s names).
    fn failure(kind: &str, message: String) -> Self {
        #[derive(Serialize)]
        struct Failure<'a> {
            kind: &'a str,
            message: String,
        }
        let payload = serde_json::to_vec(&Failure { kind, message }).expect("a string pair serializes");
        Completion { status: Status::Failed, payload: Payload::Bytes(payload), tool_bytes: 0 }
    }

    fn json(value: &impl Serialize, result_cap: u64) -> Self {
        match serde_json::to_vec(value) {
            Ok(payload) if payload.len() as u64 > result_cap => {
                Completion::failed(&ToolCallError::ResultTooLarge { size: payload.len() as u64, limit: result_cap })
            }
            Ok(payload) => Completion { status: Status::Ok, payload: Payload::Bytes(payload), tool_bytes: 0 },
            Err(error) => Completion::failed(&ToolCallError::Server {
                server: "sluice".to_owned(),
                message: format!("the result could not be encoded as JSON: {error}"),
            }),
        }
    }

    fn tool_result(result: Result<ToolResult, ToolCallError>, result_cap: u64) -> Self {
        let mut result = match result {
            Ok(result) => result,
            Err(error) => return Completion::failed(&error),
        };
        let (payload, tool_bytes) = match guest_payload(&mut result) {
            Ok(encoded) => encoded,
            Err(error) => {
                return Completion::failed(&ToolCallError::Server {
                    server: "sluice".to_owned(),
                    message: format!("the result could not be encoded as JSON: {error}"),
                });
            }
        };
        if payload.len() as u64 > result_cap {
            let mut completion =
                Completion::failed(&ToolCallError::ResultTooLarge { size: payload.len() as u64, limit: result_cap });
            completion.tool_bytes = tool_bytes;
            let size = payload.len();
            discard(payload, size);
            discard(result, size);
            return completion;
        }
        let status = if result.is_error { Status::ToolError } else { Status::Ok };
        discard(result, payload.len());
        Completion { status, payload, tool_bytes }
    }

    /// The value `result_value_read` hands over: a tool call's successful
    /// result held as its value's text.
    fn value(&self) -> Option<(payload::ValueForm, &[u8])> {
        if self.status != Status::Ok {
            return None;
        }
        self.payload.value()
    }
}

/// Results at least this large (encoded) are freed off the program's path.
const FREE_IN_BACKGROUND: usize = 256 << 10;

/// Frees a tool result whose payload is already encoded. A large JSON tree takes
/// milliseconds to free (15,000 objects: ~7 ms), time the waiting program should
/// not spend, so large ones are freed on tokio's blocking pool.
fn discard(result: impl Send + 'static, encoded_len: usize) {
    match tokio::runtime::Handle::try_current() {
        Ok(tokio) if encoded_len >= FREE_IN_BACKGROUND => drop(tokio.spawn_blocking(move || drop(result))),
        _ => drop(result),
    }
}

/// Encodes a tool result for the guest: structured content as its JSON (text
/// blocks that only repeat it left out, `payload.rs`), a lone text block as its
/// text, anything else as the result's JSON. Returns the payload and the size of
/// the result as the tool sent it. What is taken out of `result` is moved, not copied.
fn guest_payload(result: &mut ToolResult) -> serde_json::Result<(Payload, u64)> {
    if let Some(structured) = result.structured_content.take() {
        let encoded = payload::structured_payload(result, &structured);
        // Put back, to be freed with the rest of the result (off the program's path when large).
        result.structured_content = Some(structured);
        return encoded;
    }
    if let Some(valued) = payload::text_value(result) {
        let payload = Payload::Valued(valued);
        let size = payload.len() as u64;
        return Ok((payload, size));
    }
    // Sized for the text blocks up front: a 3.6 MB text grown by doubling is copied twice over.
    let texts: usize = result.content.iter().filter_map(|block| block.get("text")?.as_str()).map(str::len).sum();
    let mut bytes = Vec::with_capacity(texts + texts / 8 + 256);
    serde_json::to_writer(&mut bytes, result)?;
    let size = bytes.len() as u64;
    Ok((Payload::Bytes(bytes), size))
}

/// Counters a run reports in its stats.
#[derive(Debug, Default, Clone)]
pub(crate) struct OperationStats {
    /// Calls and result bytes per server name the program called.
    pub per_server: HashMap<String, (u64, u64)>,
    pub tool_calls: u64,
    pub tool_errors: u64,
    pub failed_calls: u64,
    pub bytes_from_tools: u64,
    pub bytes_to_program: u64,
    pub logs_dropped: u64,
    pub discovery_operations: u64,
    /// TypeScript modules stripped for the program, and their bytes.
    pub modules_stripped: u64,
    pub stripped_bytes: u64,
}

/// The operations of one run: handles, tasks in flight, completed results, logs.
pub(crate) struct Operations {
    catalog: ToolCatalog,
    runtime: tokio::runtime::Handle,
    limits: ExecutionLimits,
    next_handle: i32,
    running: JoinSet<(i32, Completion)>,
    running_handles: HashSet<i32>,
    task_handles: HashMap<tokio::task::Id, i32>,
    /// Each running call, with the configured server it is for (if it names one).
    call_servers: HashMap<i32, Option<String>>,
    completed: HashMap<i32, Completion>,
    unreported: VecDeque<i32>,
    outstanding: u32,
    unread: UnreadBytes,
    /// The configured servers' names, read once (per-server stats are kept only
    /// for these, so a program cannot grow the table with made-up names).
    server_names: Option<Vec<String>>,
    /// Bytes (with per-line overhead) and lines of log the guest has offered, kept or not.
    log_bytes_offered: u64,
    log_records_offered: u64,
    log_bytes: u64,
    pub logs: Vec<LogRecord>,
    /// What the program said it fails with (`report_error`), cut at 4 KiB.
    pub reported_error: Option<String>,
    pub stats: OperationStats,
    /// Servers started for this run's operations (each runs in its scope).
    pub recorder: RunRecorder,
    /// The run's live counters, for whoever watches it.
    progress: Arc<Counters>,
}

impl Drop for Operations {
    /// The run is over: a server question still waiting on its asker gets no answer.
    fn drop(&mut self) {
        self.recorder.end();
    }
}

impl Operations {
    pub fn new(
        tools: Arc<dyn ToolHost>,
        limits: ExecutionLimits,
        runtime: tokio::runtime::Handle,
        progress: Arc<Counters>,
        requester: Requester,
    ) -> Self {
        let unread = UnreadBytes { held: Arc::default(), cap: limits.unread_result_bytes };
        Operations {
            catalog: ToolCatalog::new(tools),
            runtime,
            limits,
            next_handle: 0,
            running: JoinSet::new(),
            running_handles: HashSet::new(),
            task_handles: HashMap::new(),
            call_servers: HashMap::new(),
            completed: HashMap::new(),
            unreported: VecDeque::new(),
            outstanding: 0,
            unread,
            server_names: None,
            log_bytes_offered: 0,
            log_records_offered: 0,
            log_bytes: 0,
            logs: Vec::new(),
            reported_error: None,
            stats: OperationStats::default(),
            recorder: RunRecorder::for_requester(requester),
            progress,
        }
    }

    fn is_busy(&self) -> bool {
        self.outstanding >= self.limits.calls_in_flight
    }

    /// A fresh handle. Handles are never reused within a run (ABI.md); the
    /// 2^31st operation of one run is refused as a guest fault rather than wrapping.
    fn new_handle(&mut self) -> wasmtime::Result<i32> {
        let handle = self.next_handle;
        self.next_handle = handle
            .checked_add(1)
            .ok_or_else(|| fault("*_start", "the run started 2^31 operations; handles are never reused"))?;
        self.outstanding += 1;
        Ok(handle)
    }

    /// An operation that completed as soon as it started.
    fn complete_now(&mut self, completion: Completion) -> wasmtime::Result<i32> {
        let handle = self.new_handle()?;
        let completion = self.unread.admit(completion);
        self.completed.insert(handle, completion);
        self.unreported.push_back(handle);
        Ok(handle)
    }

    /// Starts `work`, a tool call to `server` (`Some`: a configured server's
    /// name, or `None` for a name that is none) or another operation (`None`).
    ///
    /// It is polled once here first: what is ready at once (an in-process tool,
    /// a refusal) completes without a task, so the run also needs no wake-up
    /// from another worker (a multi-thread runtime wakes an idle worker for
    /// every task spawned, and the finished task wakes the run in turn).
    fn spawn(
        &mut self,
        server: Option<Option<String>>,
        work: impl Future<Output = Completion> + Send + 'static,
    ) -> wasmtime::Result<i32> {
        let handle = self.new_handle()?;
        if let Some(server) = server {
            self.call_servers.insert(handle, server);
        }
        let mut work = Box::pin(self.recorder.clone().scope_owned(work));
        // A waker that does nothing is enough: a future left pending is polled
        // again by its task, with that task's waker, as soon as it is spawned.
        // A tool host that panics fails the operation, as it does in its task.
        let first =
            std::panic::catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(&mut Context::from_waker(Waker::noop()))));
        let ready = match first {
            Ok(Poll::Pending) => None,
            Ok(Poll::Ready(completion)) => Some(completion),
            Err(panic) => {
                let why = panic.downcast_ref::<&str>().copied().or(panic.downcast_ref::<String>().map(String::as_str));
                Some(host_failed(format_args!("it panicked: {}", why.unwrap_or("(no message)"))))
            }
        };
        if let Some(completion) = ready {
            let completion = self.unread.admit(completion);
            self.file(handle, completion);
            self.unreported.push_back(handle);
            return Ok(handle);
        }
        let unread = self.unread.clone();
        let task = self.running.spawn_on(async move { (handle, unread.admit(work.await)) }, &self.runtime);
        self.task_handles.insert(task.id(), handle);
        self.running_handles.insert(handle);
        Ok(handle)
    }

    async fn wait_any(&mut self) -> i32 {
        if let Some(handle) = self.unreported.pop_front() {
            return handle;
        }
        match self.running.join_next_with_id().await {
            Some(joined) => self.file_completion(joined),
            None => NOTHING_PENDING,
        }
    }

    /// Like [`Operations::wait_any`], but gives up after `timeout` with
    /// `TIMED_OUT`; with nothing running it sleeps the whole `timeout`. A guest
    /// may wait for as long as it likes: the run's deadline ends the wait with
    /// the run, as it does any other.
    async fn wait_any_timeout(&mut self, timeout: Duration) -> i32 {
        if let Some(handle) = self.unreported.pop_front() {
            return handle;
        }
        if self.running.is_empty() {
            tokio::time::sleep(timeout).await;
            return TIMED_OUT;
        }
        // `join_next_with_id` is cancel-safe: a task that completes as the
        // timeout fires stays in the set for the next wait.
        match tokio::time::timeout(timeout, self.running.join_next_with_id()).await {
            Ok(Some(joined)) => self.file_completion(joined),
            Ok(None) | Err(_) => TIMED_OUT,
        }
    }

    /// Records a finished task's completion (or its failure) and returns its handle.
    fn file_completion(&mut self, joined: Result<(tokio::task::Id, (i32, Completion)), tokio::task::JoinError>) -> i32 {
        let (id, handle, completion) = match joined {
            Ok((id, (handle, completion))) => (id, handle, completion),
            Err(error) => {
                let id = error.id();
                let handle = self.task_handles[&id];
                (id, handle, self.unread.admit(host_failed(&error)))
            }
        };
        self.task_handles.remove(&id);
        self.running_handles.remove(&handle);
        self.file(handle, completion);
        handle
    }

    /// Counts a finished operation's completion in the run's stats and keeps it for the guest.
    fn file(&mut self, handle: i32, completion: Completion) {
        self.stats.bytes_from_tools += completion.tool_bytes;
        if let Some(server) = self.call_servers.remove(&handle) {
            // A call that got no result (unknown tool, invalid arguments, a server
            // error or timeout) failed; one whose tool said `isError` is a tool error.
            self.stats.failed_calls += u64::from(completion.status == Status::Failed);
            if let Some(server) = server {
                self.stats.per_server.entry(server).or_default().1 += completion.tool_bytes;
            }
        }
        self.stats.tool_errors += u64::from(completion.status == Status::ToolError);
        self.completed.insert(handle, completion);
    }

    /// Keeps a log line if it fits both caps (bytes, with each line's overhead,
    /// and lines), else counts it dropped; traps once the program has offered
    /// twice either cap, as an output flood does. Only kept lines reach the host's
    /// own log, so a flood cannot become unbounded host output either.
    fn record_log(&mut self, level: i32, message: String) -> wasmtime::Result<()> {
        let level = match level {
            0 => "trace",
            1 => "debug",
            3 => "warn",
            4 => "error",
            _ => "info",
        };
        let limits = &self.limits;
        let size = message.len() as u64 + ExecutionLimits::LOG_RECORD_OVERHEAD;
        self.log_bytes_offered = self.log_bytes_offered.saturating_add(size);
        self.log_records_offered += 1;
        if self.log_bytes_offered > limits.log_bytes.saturating_mul(2)
            || self.log_records_offered > limits.log_records.saturating_mul(2)
        {
            return Err(wasmtime::Error::new(LimitExceeded::new(
                LimitKind::Output,
                format!(
                    "the program kept logging far past its log cap ({} lines or {} bytes, each line counted with {} bytes of overhead)",
                    limits.log_records,
                    limits.log_bytes,
                    ExecutionLimits::LOG_RECORD_OVERHEAD
                ),
            )));
        }
        if self.log_bytes + size > limits.log_bytes || self.logs.len() as u64 >= limits.log_records {
            if self.stats.logs_dropped == 0 {
                tracing::info!(target: "sluice::guest", "the program's log is full; dropping further lines");
            }
            self.stats.logs_dropped += 1;
            return Ok(());
        }
        tracing::info!(target: "sluice::guest", level, "{}", escape_controls(&message));
        self.log_bytes += size;
        self.recorder.forward_log(level, None, &message);
        self.logs.push(LogRecord { level, message });
        Ok(())
    }

    /// Counts a discovery operation against its budget; the one past it traps.
    fn count_discovery(&mut self) -> wasmtime::Result<()> {
        if self.stats.discovery_operations >= self.limits.discovery_operations {
            return Err(wasmtime::Error::new(LimitExceeded::new(
                LimitKind::Discovery,
                format!(
                    "the program tried to start more than {} discovery operations (servers, search, describe)",
                    self.limits.discovery_operations
                ),
            )));
        }
        self.stats.discovery_operations += 1;
        Ok(())
    }

    /// The configured server `name` means (resolving an identifier alias), if any.
    fn configured_server(&mut self, name: &str) -> Option<String> {
        let names = self
            .server_names
            .get_or_insert_with(|| self.catalog.servers().into_iter().map(|server| server.name).collect());
        crate::tools::names::resolve(name, names.iter().map(String::as_str)).map(str::to_owned)
    }
}

/// An error that ends the program because it misused the ABI.
#[derive(Debug, thiserror::Error)]
#[error("the program misused the sluice_v1 ABI in {function}: {problem}")]
pub(crate) struct GuestFault {
    function: &'static str,
    problem: String,
}

fn fault(function: &'static str, problem: impl Into<String>) -> wasmtime::Error {
    wasmtime::Error::new(GuestFault { function, problem: problem.into() })
}

fn memory(caller: &mut Caller<'_, RunState>, function: &'static str) -> wasmtime::Result<wasmtime::Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => Ok(memory),
        _ => Err(fault(function, "the program exports no memory named `memory`")),
    }
}

fn read_bytes(memory: &[u8], function: &'static str, ptr: i32, len: i32) -> wasmtime::Result<Vec<u8>> {
    let range = (ptr as u32 as usize)..(ptr as u32 as usize).saturating_add(len as u32 as usize);
    memory
        .get(range)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| fault(function, format!("{len} bytes at {ptr:#x} are outside its memory")))
}

fn read_str(memory: &[u8], function: &'static str, ptr: i32, len: i32) -> wasmtime::Result<String> {
    String::from_utf8(read_bytes(memory, function, ptr, len)?).map_err(|_| fault(function, "a name is not UTF-8"))
}

/// Reads a server or tool name, or says why the request is invalid.
fn read_name(
    memory: &[u8],
    function: &'static str,
    what: &str,
    (ptr, len): (i32, i32),
) -> wasmtime::Result<Result<String, ToolCallError>> {
    if len as u32 > MAX_NAME_BYTES {
        return Ok(Err(ToolCallError::InvalidRequest {
            message: format!("the {what} name is {} bytes; names are at most {MAX_NAME_BYTES}", len as u32),
        }));
    }
    Ok(Ok(read_str(memory, function, ptr, len)?))
}

fn parse_arguments(bytes: &[u8]) -> Result<Map<String, Value>, ToolCallError> {
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ToolCallError::InvalidArguments {
            message: format!("arguments must be a JSON object, not {}", json_type(&other)),
        }),
        Err(error) => {
            Err(ToolCallError::InvalidArguments { message: format!("arguments are not valid JSON: {error}") })
        }
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `call_start(server_ptr, server_len, tool_ptr, tool_len, args_ptr, args_len) -> handle | BUSY`
fn call_start(
    mut caller: Caller<'_, RunState>,
    (server_ptr, server_len, tool_ptr, tool_len, args_ptr, args_len): (i32, i32, i32, i32, i32, i32),
) -> wasmtime::Result<i32> {
    const NAME: &str = "call_start";
    let memory = memory(&mut caller, NAME)?;
    let (bytes, state) = memory.data_and_store_mut(&mut caller);
    let ops = &mut state.operations;
    if ops.is_busy() {
        return Ok(BUSY);
    }
    if ops.stats.tool_calls >= ops.limits.tool_calls {
        return Err(wasmtime::Error::new(LimitExceeded::new(
            LimitKind::ToolCalls,
            format!("the program tried to start more than {} tool calls", ops.limits.tool_calls),
        )));
    }
    let request = (|| {
        let server = read_name(bytes, NAME, "server", (server_ptr, server_len))?;
        let tool = read_name(bytes, NAME, "tool", (tool_ptr, tool_len))?;
        let size = args_len as u32 as u64;
        if size > ops.limits.argument_bytes {
            return Ok(Err(ToolCallError::ArgumentsTooLarge { size, limit: ops.limits.argument_bytes }));
        }
        let arguments = parse_arguments(&read_bytes(bytes, NAME, args_ptr, args_len)?);
        Ok::<_, wasmtime::Error>(server.and_then(|server| {
            let tool = tool?;
            Ok(ToolCall { server, tool, arguments: arguments? })
        }))
    })()?;
    ops.stats.tool_calls += 1;
    Counters::add(&ops.progress.tool_calls, 1);
    let call = match request {
        Ok(call) => call,
        Err(error) => {
            ops.stats.failed_calls += 1;
            return ops.complete_now(Completion::failed(&error));
        }
    };
    let result_cap = ops.limits.result_bytes;
    let catalog = ops.catalog.clone();
    // Stats are kept per configured server, under its own name even when the
    // program used an alias; a name that is no server gets no entry.
    let server = ops.configured_server(&call.server);
    if let Some(server) = &server {
        ops.stats.per_server.entry(server.clone()).or_default().0 += 1;
    }
    ops.spawn(Some(server), async move { Completion::tool_result(catalog.call(call).await, result_cap) })
}

/// The completion of an operation whose tool host failed (panicked, or its task
/// was lost), saying `why`.
fn host_failed(why: impl std::fmt::Display) -> Completion {
    Completion::failed(&ToolCallError::Server {
        server: "sluice".to_owned(),
        message: format!("the tool host failed while running this operation: {why}"),
    })
}

/// `servers_start() -> handle | BUSY`
fn servers_start(mut caller: Caller<'_, RunState>, (): ()) -> wasmtime::Result<i32> {
    let ops = &mut caller.data_mut().operations;
    if ops.is_busy() {
        return Ok(BUSY);
    }
    ops.count_discovery()?;
    let servers = ops.catalog.servers();
    let completion = Completion::json(&servers, ops.limits.result_bytes);
    ops.complete_now(completion)
}

/// `search_start(request_ptr, request_len) -> handle | BUSY`
fn search_start(mut caller: Caller<'_, RunState>, (ptr, len): (i32, i32)) -> wasmtime::Result<i32> {
    const NAME: &str = "search_start";
    let memory = memory(&mut caller, NAME)?;
    let (bytes, state) = memory.data_and_store_mut(&mut caller);
    let ops = &mut state.operations;
    if ops.is_busy() {
        return Ok(BUSY);
    }
    ops.count_discovery()?;
    if len as u32 > MAX_SEARCH_REQUEST_BYTES {
        let error = ToolCallError::InvalidRequest {
            message: format!("the search request is over {MAX_SEARCH_REQUEST_BYTES} bytes"),
        };
        return ops.complete_now(Completion::failed(&error));
    }
    let query: SearchQuery = match serde_json::from_slice(&read_bytes(bytes, NAME, ptr, len)?) {
        Ok(query) => query,
        Err(error) => {
            let error = ToolCallError::InvalidRequest { message: format!("bad search request: {error}") };
            return ops.complete_now(Completion::failed(&error));
        }
    };
    let catalog = ops.catalog.clone();
    let result_cap = ops.limits.result_bytes;
    ops.spawn(None, async move {
        match catalog.search(&query).await {
            Ok(hits) => Completion::json(&hits, result_cap),
            Err(error) => Completion::failed(&error),
        }
    })
}

/// `describe_start(server_ptr, server_len, tool_ptr, tool_len) -> handle | BUSY`
fn describe_start(
    mut caller: Caller<'_, RunState>,
    (server_ptr, server_len, tool_ptr, tool_len): (i32, i32, i32, i32),
) -> wasmtime::Result<i32> {
    const NAME: &str = "describe_start";
    let memory = memory(&mut caller, NAME)?;
    let (bytes, state) = memory.data_and_store_mut(&mut caller);
    let ops = &mut state.operations;
    if ops.is_busy() {
        return Ok(BUSY);
    }
    ops.count_discovery()?;
    let server = read_name(bytes, NAME, "server", (server_ptr, server_len))?;
    let tool = read_name(bytes, NAME, "tool", (tool_ptr, tool_len))?;
    let (server, tool) = match server.and_then(|server| Ok((server, tool?))) {
        Ok(names) => names,
        Err(error) => return ops.complete_now(Completion::failed(&error)),
    };
    let catalog = ops.catalog.clone();
    let result_cap = ops.limits.result_bytes;
    ops.spawn(None, async move {
        match catalog.describe(&server, &tool).await {
            Ok(description) => Completion::json(&description, result_cap),
            Err(error) => Completion::failed(&error),
        }
    })
}

/// `strip_types_start(name_ptr, name_len, source_ptr, source_len) -> handle | BUSY`:
/// the types of a TypeScript module blanked out, as `sluice run` does for the
/// main program (the same nesting cap; a size cap; a per-run budget).
fn strip_types_start(
    mut caller: Caller<'_, RunState>,
    (name_ptr, name_len, source_ptr, source_len): (i32, i32, i32, i32),
) -> wasmtime::Result<i32> {
    const NAME: &str = "strip_types_start";
    let memory = memory(&mut caller, NAME)?;
    let (bytes, state) = memory.data_and_store_mut(&mut caller);
    let ops = &mut state.operations;
    if ops.is_busy() {
        return Ok(BUSY);
    }
    let size = source_len as u32;
    let refusal = if name_len as u32 > MAX_MODULE_NAME_BYTES {
        Some(format!("the module name is over {MAX_MODULE_NAME_BYTES} bytes"))
    } else if size > MAX_MODULE_SOURCE_BYTES {
        Some(format!("the module is {size} bytes; TypeScript modules are stripped up to {MAX_MODULE_SOURCE_BYTES}"))
    } else if ops.stats.modules_stripped >= MAX_MODULES_STRIPPED
        || ops.stats.stripped_bytes + u64::from(size) > MAX_STRIPPED_BYTES
    {
        Some(format!(
            "the run has had {} TypeScript modules ({} bytes) stripped; one run may have at most \
             {MAX_MODULES_STRIPPED} ({MAX_STRIPPED_BYTES} bytes)",
            ops.stats.modules_stripped, ops.stats.stripped_bytes
        ))
    } else {
        None
    };
    if let Some(message) = refusal {
        return ops.complete_now(Completion::failed(&ToolCallError::InvalidRequest { message }));
    }
    let name = String::from_utf8_lossy(&read_bytes(bytes, NAME, name_ptr, name_len)?).into_owned();
    let source = read_bytes(bytes, NAME, source_ptr, source_len)?;
    ops.stats.modules_stripped += 1;
    ops.stats.stripped_bytes += u64::from(size);
    let Ok(source) = String::from_utf8(source) else {
        let message = format!("{name} is not UTF-8 text");
        return ops.complete_now(Completion::failed(&ToolCallError::InvalidRequest { message }));
    };
    ops.spawn(None, async move {
        // swc is CPU work (bounded by the size cap); it runs off the async workers.
        let stripped = tokio::task::spawn_blocking(move || crate::strip_types(&name, &source)).await;
        match stripped {
            Ok(Ok(javascript)) => {
                Completion { status: Status::Ok, payload: Payload::Bytes(javascript.into_bytes()), tool_bytes: 0 }
            }
            Ok(Err(error)) => Completion::failed(&ToolCallError::InvalidRequest { message: error.to_string() }),
            Err(error) => Completion::failed(&ToolCallError::InvalidRequest {
                message: format!("the TypeScript stripper failed: {error}"),
            }),
        }
    })
}

/// `result_len(handle) -> length | BAD_HANDLE | NOT_READY`
fn result_len(caller: Caller<'_, RunState>, handle: i32) -> i32 {
    let ops = &caller.data().operations;
    match ops.completed.get(&handle) {
        Some(completion) => completion.payload.len() as i32,
        None if ops.running_handles.contains(&handle) => NOT_READY,
        None => BAD_HANDLE,
    }
}

/// `result_read(handle, buf_ptr, buf_len) -> status | BAD_HANDLE | NOT_READY | BUFFER_TOO_SMALL`
fn result_read(caller: Caller<'_, RunState>, (handle, ptr, len): (i32, i32, i32)) -> wasmtime::Result<i32> {
    read_completion(caller, "result_read", (handle, ptr, len), false)
}

/// `result_value_len(handle) -> length | NO_VALUE | BAD_HANDLE | NOT_READY`
fn result_value_len(caller: Caller<'_, RunState>, handle: i32) -> i32 {
    let ops = &caller.data().operations;
    match ops.completed.get(&handle) {
        Some(completion) => completion.value().map_or(NO_VALUE, |(_, value)| value.len() as i32),
        None if ops.running_handles.contains(&handle) => NOT_READY,
        None => BAD_HANDLE,
    }
}

/// `result_value_read(handle, buf_ptr, buf_len) -> form | NO_VALUE | BAD_HANDLE | NOT_READY | BUFFER_TOO_SMALL`
fn result_value_read(caller: Caller<'_, RunState>, (handle, ptr, len): (i32, i32, i32)) -> wasmtime::Result<i32> {
    read_completion(caller, "result_value_read", (handle, ptr, len), true)
}

/// Copies a completion into guest memory and consumes its handle: its payload
/// (`result_read`, answering the status) or its value (`result_value_read`,
/// answering the value's form).
fn read_completion(
    mut caller: Caller<'_, RunState>,
    name: &'static str,
    (handle, ptr, len): (i32, i32, i32),
    value: bool,
) -> wasmtime::Result<i32> {
    let memory = memory(&mut caller, name)?;
    let (bytes, state) = memory.data_and_store_mut(&mut caller);
    let ops = &mut state.operations;
    let Some(completion) = ops.completed.get(&handle) else {
        return Ok(if ops.running_handles.contains(&handle) { NOT_READY } else { BAD_HANDLE });
    };
    let size = match (value, completion.value()) {
        (false, _) => completion.payload.len(),
        (true, Some((_, value))) => value.len(),
        (true, None) => return Ok(NO_VALUE),
    };
    if (len as u32 as usize) < size {
        return Ok(BUFFER_TOO_SMALL);
    }
    let start = ptr as u32 as usize;
    let target = bytes
        .get_mut(start..start.saturating_add(size))
        .ok_or_else(|| fault(name, format!("a {size} byte buffer at {ptr:#x} is outside its memory")))?;
    let completion = ops.completed.remove(&handle).expect("looked up above");
    ops.unread.release(&completion);
    let answer = match completion.value() {
        Some((form, text)) if value => {
            target.copy_from_slice(text);
            form as i32
        }
        _ => {
            completion.payload.write_to(target);
            completion.status as i32
        }
    };
    ops.unreported.retain(|h| *h != handle);
    ops.outstanding -= 1;
    ops.stats.bytes_to_program += size as u64;
    Ok(answer)
}

/// `log(level, msg_ptr, msg_len)`
fn log(mut caller: Caller<'_, RunState>, (level, ptr, len): (i32, i32, i32)) -> wasmtime::Result<()> {
    const NAME: &str = "log";
    let memory = memory(&mut caller, NAME)?;
    let (bytes, state) = memory.data_and_store_mut(&mut caller);
    let kept = (len as u32).min(MAX_LOG_LINE_BYTES) as i32;
    let message = String::from_utf8_lossy(&read_bytes(bytes, NAME, ptr, kept)?).into_owned();
    state.operations.record_log(level, message)
}

/// `report_error(msg_ptr, msg_len)`: what the program fails with, for the outcome.
fn report_error(mut caller: Caller<'_, RunState>, (ptr, len): (i32, i32)) -> wasmtime::Result<()> {
    const NAME: &str = "report_error";
    let memory = memory(&mut caller, NAME)?;
    let (bytes, state) = memory.data_and_store_mut(&mut caller);
    let kept = (len as u32).min(MAX_LOG_LINE_BYTES) as i32;
    let mut message = String::from_utf8_lossy(&read_bytes(bytes, NAME, ptr, kept)?).into_owned();
    if len as u32 > MAX_LOG_LINE_BYTES {
        message.push('…');
    }
    state.operations.reported_error = Some(message);
    Ok(())
}

/// `wait_any` (no `timeout`) and `wait_any_timeout`: a wait that outlasts
/// [`crate::RuntimeConfig::hibernate_after`] sets the program's memory aside
/// until it ends (`hibernate.rs`). The memory is the caller's own, and the
/// `caller` borrow is held for the whole wait, as `while_waiting` requires.
async fn wait(caller: &mut Caller<'_, RunState>, timeout: Option<Duration>) -> i32 {
    let memory = if caller.data().hibernation.after.is_some() { Memory::of(caller) } else { None };
    let RunState { operations, hibernation, .. } = caller.data_mut();
    let wait = async {
        match timeout {
            None => operations.wait_any().await,
            Some(timeout) => operations.wait_any_timeout(timeout).await,
        }
    };
    while_waiting(wait, memory, hibernation).await
}

/// Adds the `sluice_v1` functions to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<RunState>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "call_start", |caller: Caller<'_, RunState>, a, b, c, d, e, f| {
        call_start(caller, (a, b, c, d, e, f))
    })?;
    linker.func_wrap(MODULE, "servers_start", |caller: Caller<'_, RunState>| servers_start(caller, ()))?;
    linker
        .func_wrap(MODULE, "search_start", |caller: Caller<'_, RunState>, ptr, len| search_start(caller, (ptr, len)))?;
    linker.func_wrap(MODULE, "describe_start", |caller: Caller<'_, RunState>, a, b, c, d| {
        describe_start(caller, (a, b, c, d))
    })?;
    linker.func_wrap(MODULE, "strip_types_start", |caller: Caller<'_, RunState>, a, b, c, d| {
        strip_types_start(caller, (a, b, c, d))
    })?;
    linker.func_wrap_async(MODULE, "wait_any", |mut caller: Caller<'_, RunState>, (): ()| {
        Box::new(async move { Ok::<i32, wasmtime::Error>(wait(&mut caller, None).await) })
    })?;
    linker.func_wrap_async(MODULE, "wait_any_timeout", |mut caller: Caller<'_, RunState>, (timeout_ms,): (i32,)| {
        // A negative timeout means none: report only what has completed already.
        let timeout = Duration::from_millis(timeout_ms.max(0) as u64);
        Box::new(async move { Ok::<i32, wasmtime::Error>(wait(&mut caller, Some(timeout)).await) })
    })?;
    linker.func_wrap(MODULE, "result_len", result_len)?;
    linker.func_wrap(MODULE, "result_read", |caller: Caller<'_, RunState>, handle, ptr, len| {
        result_read(caller, (handle, ptr, len))
    })?;
    linker.func_wrap(MODULE, "result_value_len", result_value_len)?;
    linker.func_wrap(MODULE, "result_value_read", |caller: Caller<'_, RunState>, handle, ptr, len| {
        result_value_read(caller, (handle, ptr, len))
    })?;
    linker.func_wrap(MODULE, "log", |caller: Caller<'_, RunState>, level, ptr, len| log(caller, (level, ptr, len)))?;
    linker
        .func_wrap(MODULE, "report_error", |caller: Caller<'_, RunState>, ptr, len| report_error(caller, (ptr, len)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_must_be_a_json_object() {
        assert_eq!(parse_arguments(b"").unwrap(), Map::new());
        assert_eq!(parse_arguments(b"{\"a\":1}").unwrap()["a"], 1);
        let error = parse_arguments(b"[1]").unwrap_err();
        assert!(error.to_string().contains("not an array"), "{error}");
        assert_eq!(parse_arguments(b"{").unwrap_err().kind(), "invalid_arguments");
    }

    #[test]
    fn oversized_results_fail_with_their_size() {
        let completion = Completion::tool_result(Ok(ToolResult::text("x".repeat(100))), 50);
        assert_eq!(completion.status, Status::Failed);
        let failure: Value = serde_json::from_slice(&completion.payload.to_vec()).unwrap();
        assert_eq!(failure["kind"], "result_too_large");
    }

    #[test]
    fn text_that_only_repeats_structured_content_is_left_out_but_counted() {
        let result = ToolResult::structured(serde_json::json!({ "rows": [1, 2, 3] }));
        let full = serde_json::to_vec(&result).unwrap().len() as u64;
        let completion = Completion::tool_result(Ok(result), 1 << 20);
        assert_eq!(completion.status, Status::Ok);
        let sent: Value = serde_json::from_slice(&completion.payload.to_vec()).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({ "content": [], "structuredContent": { "rows": [1, 2, 3] }, "isError": false })
        );
        assert_eq!(completion.tool_bytes, full);

        // Escapes inside the copy, and a block that is kept beside it: the count stays exact.
        let mut mixed = ToolResult::structured(serde_json::json!({ "s": "quote \" slash \\ line \n end" }));
        mixed.content.push(serde_json::json!({ "type": "text", "text": "a summary" }));
        let full = serde_json::to_vec(&mixed).unwrap().len() as u64;
        let completion = Completion::tool_result(Ok(mixed), 1 << 20);
        let sent: Value = serde_json::from_slice(&completion.payload.to_vec()).unwrap();
        assert_eq!(sent["content"], serde_json::json!([{ "type": "text", "text": "a summary" }]));
        assert_eq!(completion.tool_bytes, full);

        let mut different = ToolResult::structured(serde_json::json!({ "a": 1 }));
        different.content.push(serde_json::json!({ "type": "text", "text": "a summary" }));
        different.content[0]["text"] = Value::from("{ \"a\": 1 }");
        let sent: Value =
            serde_json::from_slice(&Completion::tool_result(Ok(different), 1 << 20).payload.to_vec()).unwrap();
        assert_eq!(sent["content"].as_array().unwrap().len(), 2, "text that differs in any way is kept: {sent}");
    }

    #[test]
    fn a_lone_text_or_structured_content_can_be_read_raw_and_nothing_else_can() {
        let text = Completion::tool_result(Ok(ToolResult::text("[1, \"two\"]")), 1 << 20);
        assert_eq!(text.value(), Some((payload::ValueForm::Text, &b"[1, \"two\"]"[..])));
        assert_eq!(text.payload.to_vec(), serde_json::to_vec(&ToolResult::text("[1, \"two\"]")).unwrap());

        let structured = Completion::tool_result(Ok(ToolResult::structured(serde_json::json!({ "a": [1] }))), 1 << 20);
        assert_eq!(structured.value(), Some((payload::ValueForm::Json, &br#"{"a":[1]}"#[..])));

        let mut two = ToolResult::text("a");
        two.content.push(serde_json::json!({ "type": "text", "text": "b" }));
        for result in [two, ToolResult::error("boom")] {
            let completion = Completion::tool_result(Ok(result), 1 << 20);
            assert_eq!(completion.value(), None, "{:?}", completion.payload);
        }
        let mut structured_error = ToolResult::structured(serde_json::json!({ "a": 1 }));
        structured_error.is_error = true;
        assert_eq!(Completion::tool_result(Ok(structured_error), 1 << 20).value(), None);
        let discovery = Completion::json(&serde_json::json!(["x"]), 1 << 20);
        assert_eq!(discovery.value(), None);
    }

    #[test]
    fn a_text_result_over_the_cap_is_measured_as_its_escaped_envelope() {
        let text = "\"".repeat(40);
        let envelope = serde_json::to_vec(&ToolResult::text(text.clone())).unwrap().len() as u64;
        assert_eq!(Completion::tool_result(Ok(ToolResult::text(text.clone())), envelope).status, Status::Ok);
        let over = Completion::tool_result(Ok(ToolResult::text(text)), envelope - 1);
        assert_eq!(over.status, Status::Failed);
        assert_eq!(over.tool_bytes, envelope);
    }

    #[test]
    fn results_past_the_unread_cap_fail_until_the_program_reads() {
        let unread = UnreadBytes { held: Arc::default(), cap: 1000 };
        let result = || Completion { status: Status::Ok, payload: Payload::Bytes(vec![b'x'; 600]), tool_bytes: 600 };
        let first = unread.admit(result());
        assert_eq!(first.status, Status::Ok);
        let second = unread.admit(result());
        assert_eq!(second.status, Status::Failed);
        let failure: Value = serde_json::from_slice(&second.payload.to_vec()).unwrap();
        assert_eq!(failure["kind"], "result_too_large");
        assert!(failure["message"].as_str().unwrap().contains("read results before starting more"), "{failure}");
        assert_eq!(second.tool_bytes, 600, "what the tool sent still counts as received");
        unread.release(&first);
        unread.release(&second);
        assert_eq!(unread.admit(result()).status, Status::Ok, "reading made room");
    }

    #[test]
    fn a_tool_reported_error_keeps_its_content() {
        let completion = Completion::tool_result(Ok(ToolResult::error("boom")), 1 << 20);
        assert_eq!(completion.status, Status::ToolError);
        let result: Value = serde_json::from_slice(&completion.payload.to_vec()).unwrap();
        assert_eq!(result["isError"], true);
        assert_eq!(result["content"][0]["text"], "boom");
    }
}
