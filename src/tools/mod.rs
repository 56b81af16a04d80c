//! What a guest can call: the [`ToolHost`] trait behind the ABI, and the types it speaks.
//!
//! The sandbox knows tools only through this trait. Tests and embedders drive it
//! with [`InProcessTools`]; later, upstream MCP servers implement it. Types here are
//! Sluice's own and serialize to the MCP wire shapes (`inputSchema`,
//! `structuredContent`, `isError`), so no protocol crate leaks into the sandbox.

mod analysis;
mod catalog;
pub mod declarations;
mod in_process;
pub mod names;
mod recorder;
pub mod text;
pub mod tree;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use catalog::{Detail, SearchHit, SearchQuery, ToolCatalog, ToolDescription};
pub use in_process::{InProcessTools, ToolHandler};
pub use recorder::RunRecorder;

/// A boxed, sendable future, as returned by [`ToolHost`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A source of tools: servers, their definitions, and calls.
///
/// Implementations must be cheap to call concurrently: the sandbox runs every
/// guest call as its own task.
pub trait ToolHost: Send + Sync + 'static {
    /// The servers on offer, with a one-line summary each. Must not load tool
    /// definitions or contact a server.
    fn servers(&self) -> Vec<ServerInfo>;

    /// The tool definitions of `server`, loading them if needed.
    fn list_tools(&self, server: &str) -> BoxFuture<'static, Result<Arc<[ToolDefinition]>, ToolCallError>>;

    /// The tool definitions of `server`, listed afresh rather than from a cache:
    /// a program asked for a tool the cached list lacks. By default, [`list_tools`](ToolHost::list_tools).
    fn refresh_tools(&self, server: &str) -> BoxFuture<'static, Result<Arc<[ToolDefinition]>, ToolCallError>> {
        self.list_tools(server)
    }

    /// Calls a tool. A tool that ran and failed returns `Ok` with
    /// [`ToolResult::is_error`] set; `Err` means no tool result was produced.
    fn call_tool(&self, call: ToolCall) -> BoxFuture<'static, Result<ToolResult, ToolCallError>>;

    /// Why `tool`, which `server` has but the host does not expose, is hidden
    /// (the configuration rule, as spelt there), or `None` for a tool that is
    /// exposed or unknown. Looks only at lists already loaded. By default, `None`.
    fn refusal(&self, server: &str, tool: &str) -> Option<String> {
        let _ = (server, tool);
        None
    }

    /// What the host has done so far, per server, for run statistics. Hosts
    /// with nothing to start (in-process tools) report nothing.
    fn activity(&self) -> Vec<ServerActivity> {
        Vec::new()
    }
}

/// What a host has done with one server, cumulatively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ServerActivity {
    /// The server's name.
    pub name: String,
    /// How many times it was started (spawned or connected, and came up), counting restarts.
    pub starts: u64,
    /// Whether a connection is up now.
    pub running: bool,
    /// How many tool definitions are loaded, if its list is.
    pub definitions: Option<usize>,
    /// The MCP protocol revision negotiated with it, once connected.
    pub protocol: Option<String>,
    /// Calls sent to it and not yet answered.
    pub calls_in_flight: u64,
}

impl ServerActivity {
    /// Activity of `name`.
    pub fn new(name: impl Into<String>, starts: u64, running: bool, definitions: Option<usize>) -> Self {
        ServerActivity { name: name.into(), starts, running, definitions, protocol: None, calls_in_flight: 0 }
    }

    /// The same, with `calls` in flight.
    pub fn with_calls_in_flight(mut self, calls: u64) -> Self {
        self.calls_in_flight = calls;
        self
    }

    /// The same, with the negotiated protocol revision.
    pub fn with_protocol(mut self, protocol: Option<String>) -> Self {
        self.protocol = protocol;
        self
    }
}

/// A host with no tools at all: every call fails with `unknown_server`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTools;

impl ToolHost for NoTools {
    fn servers(&self) -> Vec<ServerInfo> {
        Vec::new()
    }

    fn list_tools(&self, server: &str) -> BoxFuture<'static, Result<Arc<[ToolDefinition]>, ToolCallError>> {
        let server = server.to_owned();
        Box::pin(async move { Err(ToolCallError::UnknownServer { server }) })
    }

    fn call_tool(&self, call: ToolCall) -> BoxFuture<'static, Result<ToolResult, ToolCallError>> {
        Box::pin(async move { Err(ToolCallError::UnknownServer { server: call.server }) })
    }
}

/// A server as listed to a guest, before any definition is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The name programs use: `tools.<name>` and `server` in the ABI.
    pub name: String,
    /// One line saying what the server is for.
    pub summary: String,
}

/// One tool's definition, in the shape MCP's `tools/list` uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolDefinition {
    /// The tool's name on its server.
    pub name: String,
    /// A human-readable title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the tool does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the arguments object.
    pub input_schema: Value,
    /// JSON Schema of `structuredContent`, when the tool declares one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    /// MCP tool annotations (`readOnlyHint` and the like).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Value>,
}

impl ToolDefinition {
    /// A definition with a name, a description and an input schema.
    pub fn new(name: impl Into<String>, description: impl Into<String>, input_schema: Value) -> Self {
        ToolDefinition {
            name: name.into(),
            title: None,
            description: Some(description.into()),
            input_schema,
            output_schema: None,
            annotations: None,
        }
    }

    /// Adds an output schema.
    pub fn with_output_schema(mut self, schema: Value) -> Self {
        self.output_schema = Some(schema);
        self
    }
}

/// A call as the guest made it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The server's name.
    pub server: String,
    /// The tool's name on that server.
    pub tool: String,
    /// The arguments object.
    pub arguments: Map<String, Value>,
}

/// What a tool returned: MCP's `CallToolResult`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResult {
    /// Content blocks (`{"type": "text", "text": ...}` and the like).
    #[serde(default)]
    pub content: Vec<Value>,
    /// Structured result, when the tool gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
    /// Whether the tool reports that it failed.
    #[serde(default)]
    pub is_error: bool,
}

impl ToolResult {
    /// A successful result carrying `value` as structured content, with the
    /// customary text copy.
    pub fn structured(value: Value) -> Self {
        ToolResult { content: vec![text_block(value.to_string())], structured_content: Some(value), is_error: false }
    }

    /// A successful plain-text result.
    pub fn text(text: impl Into<String>) -> Self {
        ToolResult { content: vec![text_block(text.into())], structured_content: None, is_error: false }
    }

    /// A result in which the tool reports an error.
    pub fn error(text: impl Into<String>) -> Self {
        ToolResult { content: vec![text_block(text.into())], structured_content: None, is_error: true }
    }
}

/// `{"type": "text", "text": text}`, the text moved in (`json!` would copy it).
pub(crate) fn text_block(text: String) -> Value {
    let mut block = Map::with_capacity(2);
    block.insert("type".to_owned(), Value::String("text".to_owned()));
    block.insert("text".to_owned(), Value::String(text));
    Value::Object(block)
}

/// Why an operation produced no tool result. Each variant is an error the guest
/// sees (status `FAILED` in the ABI, with [`ToolCallError::kind`] as its kind).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ToolCallError {
    /// No server of that name is configured.
    #[error("there is no server named {server:?}; sluice.servers() lists the servers on offer")]
    UnknownServer {
        /// The name the guest asked for.
        server: String,
    },
    /// The server has no tool of that name.
    #[error("server {server:?} has no tool named {tool:?}{suggestion}; sluice.search() finds tools")]
    UnknownTool {
        /// The server.
        server: String,
        /// The name the guest asked for.
        tool: String,
        /// `" (did you mean `x`?)"` naming the closest tools, or empty ([`crate::suggest::did_you_mean`]).
        suggestion: String,
    },
    /// The server has the tool, but Sluice's configuration hides it (`deny`,
    /// `allow`, `readOnly`). Its kind is `unknown_tool`: for the program the tool is not there.
    #[error("tool {tool:?} of server {server:?} is denied by Sluice's configuration ({rule}); it cannot be called")]
    DeniedTool {
        /// The server.
        server: String,
        /// The tool's name.
        tool: String,
        /// The configuration rule that hides it, as the configuration spells it.
        rule: String,
    },
    /// The arguments are malformed or do not match the tool's schema.
    #[error("invalid arguments: {message}")]
    InvalidArguments {
        /// Which field and why.
        message: String,
    },
    /// The arguments are larger than the run's `argument_bytes` limit.
    #[error("the arguments are {size} bytes, over this run's limit of {limit} bytes")]
    ArgumentsTooLarge {
        /// Their size in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The result is larger than the run's `result_bytes` limit.
    #[error("the result is {size} bytes, over this run's limit of {limit} bytes; ask the tool for less")]
    ResultTooLarge {
        /// Its size in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The server failed (would not start, crashed, answered garbage).
    #[error("server {server:?} failed: {message}")]
    Server {
        /// The server.
        server: String,
        /// What happened.
        message: String,
    },
    /// The call did not finish in time.
    #[error("no answer from {server}.{tool} within {after:?}; the call was cancelled")]
    Timeout {
        /// The server.
        server: String,
        /// The tool.
        tool: String,
        /// How long it was given.
        after: Duration,
    },
    /// The request itself is malformed (a name too long, a bad search request).
    #[error("invalid request: {message}")]
    InvalidRequest {
        /// What is wrong.
        message: String,
    },
}

impl ToolCallError {
    /// The stable, snake_case name of this error's kind, as the guest sees it.
    pub fn kind(&self) -> &'static str {
        match self {
            ToolCallError::UnknownServer { .. } => "unknown_server",
            ToolCallError::UnknownTool { .. } | ToolCallError::DeniedTool { .. } => "unknown_tool",
            ToolCallError::InvalidArguments { .. } => "invalid_arguments",
            ToolCallError::ArgumentsTooLarge { .. } => "arguments_too_large",
            ToolCallError::ResultTooLarge { .. } => "result_too_large",
            ToolCallError::Server { .. } => "server_error",
            ToolCallError::Timeout { .. } => "timeout",
            ToolCallError::InvalidRequest { .. } => "invalid_request",
        }
    }
}
