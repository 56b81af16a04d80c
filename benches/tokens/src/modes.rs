//! The two ways an agent does a task, each a real MCP client session:
//! [`Direct`] calls the upstream servers' tools one at a time and reads every
//! result; [`CodeMode`] talks to an in-process `sluice serve` and sends one
//! program. Both record what passes through the model's context.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::RoleClient;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RunningService};
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use sluice::config::SluiceConfig;
use sluice::mcp::{McpOptions, McpTools};
use sluice::serve::tasks::MemoryTaskStore;
use sluice::serve::{ServeConfig, Sluice};
use sluice::{Launcher, Runtime, RuntimeConfig};

use crate::count::{Counter, Kind, Transcript, result_text};
use crate::setup::{ServerSpec, World};

/// Why a mode could not do its part.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModeError {
    /// A server could not be started or listed.
    #[error("cannot start the {server} server: {message}")]
    Start {
        /// Which.
        server: String,
        /// Why.
        message: String,
    },
    /// A call failed at the protocol level or returned `isError`.
    #[error("{server}.{tool} failed: {message}")]
    Call {
        /// The server.
        server: String,
        /// The tool.
        tool: String,
        /// Why (the tool's error text, shortened).
        message: String,
    },
    /// A result was not what the plan expected.
    #[error("{0}")]
    Plan(String),
}

fn lifecycle() -> ClientLifecycleMode {
    // What Sluice itself does upstream: the newest era, falling back to 2025-11-25.
    ClientLifecycleMode::Auto {
        preferred_versions: vec![rmcp::model::ProtocolVersion::V_2026_07_28],
        legacy_version: Some(rmcp::model::ProtocolVersion::V_2025_11_25),
    }
}

fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(400).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// The upstream servers, connected directly, with their tool lists.
pub struct Upstream {
    clients: BTreeMap<String, RunningService<RoleClient, ()>>,
    /// Every server's `tools/list`, as JSON, in configuration order.
    pub tools: Vec<(String, Vec<Value>)>,
}

impl Upstream {
    /// Starts and lists every server of `servers`.
    pub async fn connect(servers: &[ServerSpec]) -> Result<Upstream, ModeError> {
        let mut clients = BTreeMap::new();
        let mut tools = Vec::new();
        for server in servers {
            let start = |message: String| ModeError::Start { server: server.name.to_owned(), message };
            let mut command = tokio::process::Command::new(&server.command);
            command.args(&server.args).envs(server.env.iter().cloned());
            let transport = TokioChildProcess::builder(command)
                .stderr(std::process::Stdio::null())
                .spawn()
                .map(|(transport, _)| transport)
                .map_err(|error| start(error.to_string()))?;
            let client = ().serve_with_lifecycle(transport, lifecycle()).await.map_err(|e| start(e.to_string()))?;
            let listed = client.list_all_tools().await.map_err(|error| start(error.to_string()))?;
            let listed = listed.iter().map(|tool| serde_json::to_value(tool).unwrap_or(Value::Null)).collect();
            tools.push((server.name.to_owned(), listed));
            clients.insert(server.name.to_owned(), client);
        }
        Ok(Upstream { clients, tools })
    }

    /// Stops every server.
    pub async fn shutdown(self) {
        for (_, client) in self.clients {
            let _ = client.cancel().await;
        }
    }
}

/// One scenario done by direct tool calling: every definition, call and
/// result goes through the context.
pub struct Direct<'a> {
    upstream: &'a Upstream,
    counter: &'a Counter,
    /// What the model read and wrote.
    pub transcript: Transcript,
}

impl<'a> Direct<'a> {
    /// A session that starts with `task` and every server's definitions.
    pub fn new(upstream: &'a Upstream, counter: &'a Counter, task: &str) -> Direct<'a> {
        let mut transcript = Transcript::default();
        for (server, tools) in &upstream.tools {
            for tool in tools {
                transcript.definition(counter, server, tool);
            }
        }
        transcript.push(counter, Kind::Task, "task", task);
        Direct { upstream, counter, transcript }
    }

    /// Calls `server.tool` and returns its result's text.
    pub async fn call(&mut self, server: &str, tool: &str, arguments: Value) -> Result<String, ModeError> {
        let client = self.upstream.clients.get(server).ok_or_else(|| ModeError::Call {
            server: server.to_owned(),
            tool: tool.to_owned(),
            message: "no such server".into(),
        })?;
        let (text, _) = recorded_call(client, self.counter, &mut self.transcript, server, tool, arguments).await?;
        Ok(text)
    }

    /// Bytes of the tool results returned, every one of which the model read.
    pub fn bytes_from_tools(&self) -> u64 {
        self.transcript.entries.iter().filter(|entry| entry.kind == Kind::Result).map(|entry| entry.bytes).sum()
    }

    /// Calls `server.tool` and parses its result as JSON.
    pub async fn json(&mut self, server: &str, tool: &str, arguments: Value) -> Result<Value, ModeError> {
        let text = self.call(server, tool, arguments).await?;
        serde_json::from_str(&text).map_err(|error| {
            ModeError::Plan(format!("{server}.{tool} did not return JSON ({error}): {}", shorten(&text)))
        })
    }

    /// Ends with the model's final answer.
    pub fn answer(&mut self, answer: &Value) {
        self.transcript.push(self.counter, Kind::Answer, "answer", &answer.to_string());
    }
}

/// `sluice serve` in this process, with an MCP client connected to it over a
/// pipe: exactly what an agent framework sees of it.
pub struct CodeMode {
    client: RunningService<RoleClient, ()>,
    launcher: Arc<Launcher>,
    tools: Arc<McpTools>,
    /// Sluice's `tools/list`, as JSON.
    pub definitions: Vec<Value>,
}

/// A program's run through `execute`.
pub struct Executed {
    /// What it printed (the result's text).
    pub output: String,
    /// The outcome's `stats` (tool calls, bytes from tools, ...).
    pub stats: Value,
}

impl CodeMode {
    /// Starts `sluice serve` on `servers`, with programs allowed `deadline`.
    pub async fn start(servers: &[ServerSpec], deadline: Duration) -> Result<CodeMode, ModeError> {
        let start = |message: String| ModeError::Start { server: "sluice".into(), message };
        let config = SluiceConfig::parse(&World::sluice_config(servers).to_string(), "the benchmark")
            .map_err(|error| start(error.to_string()))?;
        let mut serve = ServeConfig::default();
        serve.limits.deadline = deadline;
        let tools = Arc::new(McpTools::new(&config, McpOptions::for_result_cap(serve.limits.result_bytes)));
        let mut runtime = RuntimeConfig::default();
        runtime.cache_dir = RuntimeConfig::default_cache_dir();
        let launcher = Arc::new(Launcher::new(Runtime::new(runtime).map_err(|error| start(error.to_string()))?));
        let store = Arc::new(MemoryTaskStore::new(serve.max_tasks_per_client));
        let sluice = Arc::new(Sluice::new(launcher.clone(), tools.clone(), store, serve));

        let (client_side, server_side) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_side);
        tokio::spawn(async move {
            if let Err(error) = sluice::serve::stdio::serve(sluice, server_read, server_write).await {
                tracing::error!("sluice serve stopped: {error}");
            }
        });
        let (client_read, client_write) = tokio::io::split(client_side);
        let client =
            ().serve_with_lifecycle((client_read, client_write), lifecycle())
                .await
                .map_err(|e| start(e.to_string()))?;
        let definitions = client.list_all_tools().await.map_err(|error| start(error.to_string()))?;
        let definitions = definitions.iter().map(|tool| serde_json::to_value(tool).unwrap_or(Value::Null)).collect();
        Ok(CodeMode { client, launcher, tools, definitions })
    }

    /// A session that starts with `task` and Sluice's definitions.
    pub fn session<'a>(&'a self, counter: &'a Counter, task: &str) -> CodeSession<'a> {
        let mut transcript = Transcript::default();
        for tool in &self.definitions {
            transcript.definition(counter, "sluice", tool);
        }
        transcript.push(counter, Kind::Task, "task", task);
        CodeSession { mode: self, counter, transcript, bytes_from_tools: 0 }
    }

    /// The launcher `sluice serve` runs programs with.
    pub fn launcher(&self) -> &Launcher {
        &self.launcher
    }

    /// Stops Sluice's upstream servers and the session.
    pub async fn shutdown(self) {
        let _ = self.client.cancel().await;
        self.tools.shutdown().await;
    }
}

/// One scenario done in code mode.
pub struct CodeSession<'a> {
    mode: &'a CodeMode,
    counter: &'a Counter,
    /// What the model read and wrote.
    pub transcript: Transcript,
    /// Bytes the upstream tools returned inside the sandbox.
    pub bytes_from_tools: u64,
}

impl CodeSession<'_> {
    /// Calls one of Sluice's tools; returns the result's text and the whole result.
    pub async fn call(&mut self, tool: &str, arguments: Value) -> Result<(String, Value), ModeError> {
        recorded_call(&self.mode.client, self.counter, &mut self.transcript, "sluice", tool, arguments).await
    }

    /// Runs `code` through `execute`.
    pub async fn execute(&mut self, code: &str) -> Result<Executed, ModeError> {
        let (output, result) = self.call("execute", json!({ "code": code })).await?;
        let stats = result["structuredContent"]["stats"].clone();
        self.bytes_from_tools += stats["bytes_from_tools"].as_u64().unwrap_or(0);
        Ok(Executed { output, stats })
    }

    /// Ends with the model's final answer.
    pub fn answer(&mut self, answer: &Value) {
        self.transcript.push(self.counter, Kind::Answer, "answer", &answer.to_string());
    }
}

/// Calls `server.tool` through `client`, recording the call and its result's
/// text in `transcript`; returns the text and the whole result, or the error a
/// failed call or an `isError` result means.
async fn recorded_call(
    client: &RunningService<RoleClient, ()>,
    counter: &Counter,
    transcript: &mut Transcript,
    server: &str,
    tool: &str,
    arguments: Value,
) -> Result<(String, Value), ModeError> {
    let failed = |message: String| ModeError::Call { server: server.to_owned(), tool: tool.to_owned(), message };
    transcript.call(counter, server, tool, &arguments);
    let Value::Object(arguments) = arguments else {
        return Err(failed("arguments must be an object".into()));
    };
    let result = client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
        .map_err(|error| failed(error.to_string()))?;
    let result = serde_json::to_value(&result).unwrap_or(Value::Null);
    let text = result_text(&result);
    transcript.push(counter, Kind::Result, format!("{server}.{tool}"), &text);
    if result["isError"] == true {
        return Err(failed(shorten(&text)));
    }
    Ok((text, result))
}
