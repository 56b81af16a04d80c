//! `InProcessTools`: a [`ToolHost`] of Rust closures, for tests, benchmarks and embedders.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{BoxFuture, ServerInfo, ToolCall, ToolCallError, ToolDefinition, ToolHost, ToolResult};

/// The function behind one in-process tool.
pub type ToolHandler =
    Arc<dyn Fn(Map<String, Value>) -> BoxFuture<'static, Result<ToolResult, ToolCallError>> + Send + Sync>;

/// Servers and tools implemented by closures in this process.
///
/// ```
/// use sluice::{InProcessTools, ToolDefinition, ToolResult};
/// use serde_json::json;
///
/// let tools = InProcessTools::new()
///     .with_server("math", "Arithmetic")
///     .with_tool("math", ToolDefinition::new("add", "Adds a and b.", json!({"type": "object"})), |args| async move {
///         let sum = args["a"].as_f64().unwrap_or(0.0) + args["b"].as_f64().unwrap_or(0.0);
///         Ok(ToolResult::structured(json!({ "sum": sum })))
///     });
/// # let _ = tools;
/// ```
#[derive(Clone, Default)]
pub struct InProcessTools {
    servers: BTreeMap<String, InProcessServer>,
}

#[derive(Clone, Default)]
struct InProcessServer {
    summary: String,
    definitions: Arc<[ToolDefinition]>,
    handlers: HashMap<String, ToolHandler>,
}

impl std::fmt::Debug for InProcessTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (name, server) in &self.servers {
            let tools: Vec<&str> = server.definitions.iter().map(|d| d.name.as_str()).collect();
            map.entry(name, &tools);
        }
        map.finish()
    }
}

impl InProcessTools {
    /// No servers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a server, or sets the summary of one that exists.
    pub fn with_server(mut self, name: impl Into<String>, summary: impl Into<String>) -> Self {
        self.servers.entry(name.into()).or_default().summary = summary.into();
        self
    }

    /// Adds a tool to `server` (creating the server if needed), replacing any tool
    /// of the same name.
    pub fn with_tool<F, Fut>(mut self, server: &str, definition: ToolDefinition, handler: F) -> Self
    where
        F: Fn(Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ToolResult, ToolCallError>> + Send + 'static,
    {
        let entry = self.servers.entry(server.to_owned()).or_default();
        let mut definitions: Vec<ToolDefinition> =
            entry.definitions.iter().filter(|d| d.name != definition.name).cloned().collect();
        let name = definition.name.clone();
        definitions.push(definition);
        entry.definitions = definitions.into();
        entry.handlers.insert(name, Arc::new(move |args| Box::pin(handler(args))));
        self
    }
}

impl ToolHost for InProcessTools {
    fn servers(&self) -> Vec<ServerInfo> {
        self.servers
            .iter()
            .map(|(name, server)| ServerInfo { name: name.clone(), summary: server.summary.clone() })
            .collect()
    }

    fn list_tools(&self, server: &str) -> BoxFuture<'static, Result<Arc<[ToolDefinition]>, ToolCallError>> {
        let found = match self.servers.get(server) {
            Some(entry) => Ok(entry.definitions.clone()),
            None => Err(ToolCallError::UnknownServer { server: server.to_owned() }),
        };
        Box::pin(async move { found })
    }

    fn call_tool(&self, call: ToolCall) -> BoxFuture<'static, Result<ToolResult, ToolCallError>> {
        let Some(server) = self.servers.get(&call.server) else {
            return Box::pin(async move { Err(ToolCallError::UnknownServer { server: call.server }) });
        };
        match server.handlers.get(&call.tool) {
            Some(handler) => handler(call.arguments),
            None => Box::pin(async move {
                Err(ToolCallError::UnknownTool { server: call.server, tool: call.tool, suggestion: String::new() })
            }),
        }
    }
}
