//! One configured server: its connection state machine, its cached tool list,
//! and calls with timeouts.
//!
//! States: never started → up → (crashed: the next use restarts at once) or
//! (failed to start: uses fail fast until a backoff delay has passed, doubling
//! from 1 s to 60 s, then the next use tries again).
//!
//! What a server controls is capped: a tool list by pages, tools and bytes; a
//! re-listing asked for by a program (a name the cached list lacks) happens at
//! most once per [`McpOptions::refresh_interval`] unless the server said its list
//! changed; its log notifications by rate and size. Host details quoted in
//! errors go through the server's [`Redactor`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

// Logging (deprecated by SEP-2577 in 2026-07-28) is what 2025-11-25 servers still send.
#[allow(deprecated)]
use rmcp::model::LoggingLevel;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, Implementation,
    PaginatedRequestParams, ProtocolVersion,
};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, NotificationContext, RequestContext, RunningService};
use rmcp::{ClientHandler, RoleClient};
use serde_json::{Map, Value};

use super::McpOptions;
use super::convert;
use super::list_cache::CachedList;
use super::redact::Redactor;
use super::server_logs::{LogTap, Lost, ServerLogs};
use super::transport::{self, Child, Opened};
use super::validate::{ArgumentSchema, MAX_SIGNATURE_CHARS};
use crate::config::ServerConfig;
use crate::terminal::escape_controls;
use crate::tools::declarations::signature_line;
use crate::tools::{RunRecorder, ServerActivity, ToolCallError, ToolDefinition, ToolResult};

/// The first backoff after a failed start; it doubles per consecutive failure.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest backoff.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long a handshake may go on after the server wrote something that is not JSON.
const GARBAGE_GRACE: Duration = Duration::from_secs(2);
/// How long a stdio server gets to exit after its stdin closes, at shutdown.
const EXIT_GRACE: Duration = Duration::from_secs(2);
/// The most pages of `tools/list` read for one listing.
const MAX_TOOL_LIST_PAGES: usize = 1_000;
pub(super) struct Upstream {
    name: String,
    config: ServerConfig,
    options: Arc<McpOptions>,
    state: tokio::sync::Mutex<State>,
    /// Hides the configuration's values in host details quoted to programs.
    redactor: Redactor,
    /// When a program's miss last made the tool list be read afresh.
    last_refresh: std::sync::Mutex<Option<Instant>>,
    /// The server's log notifications, over all its connections, and the runs they may go to.
    logs: Arc<ServerLogs>,
    /// Whether the last connection came up with `initialize`: the next one
    /// then starts with it, not with a `server/discover` probe.
    initialize_first: AtomicBool,
    starts: AtomicU64,
    in_flight: AtomicU64,
    /// Set by the state machine; read by `summary` and `activity` without waiting.
    snapshot: std::sync::Mutex<Snapshot>,
    /// This server's entry in the disk cache of tool lists, if there is one.
    disk: Option<CachedList>,
    /// The list read from the disk cache, once, while no connection is up.
    from_disk: std::sync::Mutex<Option<Arc<ToolSet>>>,
}

#[derive(Default, Clone)]
struct Snapshot {
    running: bool,
    definitions: Option<usize>,
    protocol: Option<String>,
    /// The server's own description of itself, once connected.
    described: Option<String>,
    /// The tools its last list had that the configuration hides, with the rule that hides each.
    denied: Arc<HashMap<String, String>>,
}

enum State {
    Idle,
    Up(Arc<Connection>),
    Down { failures: u32, retry_at: Instant, error: String },
}

/// How a connection's lifecycle begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Era {
    /// `server/discover` first (2026-07-28), falling back to `initialize`
    /// within the same connection when the server says it is legacy.
    Probe,
    /// `initialize` only (2025-11-25 and before).
    Initialize,
}

/// A failed connection attempt: what to tell the program, and whether a
/// `server/discover` probe failed in a way `initialize` may get past.
struct Failure {
    message: String,
    retry_legacy: bool,
}

struct Connection {
    service: RunningService<RoleClient, Handler>,
    /// The process, for stdio servers; dropping it kills its process group.
    child: Option<Child>,
    tools: tokio::sync::Mutex<Option<Arc<ToolSet>>>,
    /// Set when the server says its tool list changed.
    stale: Arc<AtomicBool>,
    /// The 2026-07-28 listen stream for list changes, if opened.
    listener: Option<tokio::task::AbortHandle>,
    /// Why the transport tap ended the connection, if it did.
    lost: Arc<Lost>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(listener) = &self.listener {
            listener.abort();
        }
    }
}

impl Connection {
    fn alive(&self) -> bool {
        !self.service.peer().is_transport_closed()
    }

    async fn post_mortem(&self, redactor: &Redactor) -> String {
        if let Some(why) = self.lost.why() {
            return format!(
                "it refused a request without saying which ({why}), so Sluice closed the connection; \
                 the next call connects afresh"
            );
        }
        match &self.child {
            Some(child) => child.post_mortem(redactor).await,
            None => "the connection closed".to_owned(),
        }
    }

    /// `error` for the program, explaining a closed connection; host details through `redactor`.
    async fn request_error(&self, server: &str, error: rmcp::ServiceError, redactor: &Redactor) -> ToolCallError {
        let post_mortem = match error {
            rmcp::ServiceError::TransportClosed => self.post_mortem(redactor).await,
            _ => String::new(),
        };
        convert::request_error(server, error, &post_mortem, redactor)
    }
}

/// A server's tools, as listed and filtered by its configuration.
pub(super) struct ToolSet {
    pub(super) definitions: Arc<[ToolDefinition]>,
    /// Compiled `inputSchema`s, built on first use of each tool.
    schemas: HashMap<String, OnceLock<Option<ArgumentSchema>>>,
}

impl Upstream {
    pub(super) fn new(
        name: &str,
        config: ServerConfig,
        options: Arc<McpOptions>,
        disk: Option<CachedList>,
    ) -> Upstream {
        let redactor = Redactor::for_server(&config, |name| std::env::var(name).ok());
        Upstream {
            name: name.to_owned(),
            config,
            options,
            state: tokio::sync::Mutex::new(State::Idle),
            redactor,
            last_refresh: std::sync::Mutex::new(None),
            logs: ServerLogs::new(name),
            initialize_first: AtomicBool::new(false),
            starts: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            snapshot: std::sync::Mutex::new(Snapshot::default()),
            disk,
            from_disk: std::sync::Mutex::new(None),
        }
    }

    /// The configured description, else what the server said of itself once
    /// started, else a hint.
    pub(super) fn summary(&self) -> String {
        if let Some(description) = &self.config.description {
            return description.clone();
        }
        let snapshot = self.snapshot.lock().expect("snapshot lock").clone();
        // Never the command, its arguments or the URL: programs see names and descriptions only.
        snapshot.described.unwrap_or_else(|| {
            "an MCP server with no description; sluice.search or sluice.describe lists its tools".to_owned()
        })
    }

    pub(super) fn activity(&self) -> ServerActivity {
        let snapshot = self.snapshot.lock().expect("snapshot lock").clone();
        ServerActivity::new(&self.name, self.starts.load(Ordering::Relaxed), snapshot.running, snapshot.definitions)
            .with_protocol(snapshot.protocol)
            .with_calls_in_flight(self.in_flight.load(Ordering::Relaxed))
    }

    fn server_error(&self, message: impl Into<String>) -> ToolCallError {
        ToolCallError::Server { server: self.name.clone(), message: message.into() }
    }

    fn call_timeout(&self) -> Duration {
        self.config.timeout.unwrap_or(self.options.call_timeout)
    }

    /// The live connection, starting the server if needed.
    async fn connection(&self) -> Result<Arc<Connection>, ToolCallError> {
        let mut state = self.state.lock().await;
        let mut failures = 0;
        match &*state {
            State::Up(connection) if connection.alive() => return Ok(connection.clone()),
            State::Up(connection) => {
                tracing::warn!(server = %self.name, "restarting: {}", connection.post_mortem(&Redactor::default()).await);
            }
            State::Down { failures: count, retry_at, error } => {
                let now = Instant::now();
                if now < *retry_at {
                    return Err(self.server_error(format!(
                        "{error} (it failed to start {count} time{} in a row; the next try is in {:.1} s)",
                        if *count == 1 { "" } else { "s" },
                        (*retry_at - now).as_secs_f64()
                    )));
                }
                failures = *count;
            }
            State::Idle => {}
        }
        *state = State::Idle;
        self.set_snapshot(|s| {
            s.running = false;
            s.definitions = None;
        });

        let started = Instant::now();
        // The server's own `timeout` bounds its start as it bounds its calls.
        let startup_timeout = self.config.timeout.unwrap_or(self.options.startup_timeout);
        let outcome = match tokio::time::timeout(startup_timeout, self.connect()).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!(
                "it did not finish starting (the MCP handshake) within {}",
                humantime::format_duration(startup_timeout)
            )),
        };
        match outcome {
            Ok(connection) => {
                // Only a server that came up counts as started.
                self.starts.fetch_add(1, Ordering::Relaxed);
                RunRecorder::note_started(&self.name);
                tracing::info!(server = %self.name, elapsed = ?started.elapsed(), "started");
                let connection = Arc::new(connection);
                *state = State::Up(connection.clone());
                let described = connection.service.peer().peer_info().and_then(|info| {
                    let implementation = info.server_info.as_ref()?;
                    implementation.description.clone().or_else(|| implementation.title.clone())
                });
                let protocol = connection.service.peer().peer_info().map(|info| info.protocol_version.to_string());
                self.set_snapshot(|s| {
                    s.running = true;
                    s.protocol = protocol;
                    s.described = described.or(s.described.take());
                });
                Ok(connection)
            }
            Err(error) => {
                let failures = failures + 1;
                let backoff = FIRST_BACKOFF.saturating_mul(1 << (failures - 1).min(6)).min(MAX_BACKOFF);
                // Whoever needed the server gets this error; a warning too would say it twice.
                tracing::info!(server = %self.name, failures, "failed to start: {error}");
                *state = State::Down { failures, retry_at: Instant::now() + backoff, error: error.clone() };
                Err(self.server_error(error))
            }
        }
    }

    /// Opens the transport and runs the handshake in the era that worked last
    /// time, or, the first time, probing with `server/discover` (2026-07-28).
    /// Anything but a valid discover answer (an error, an empty or malformed
    /// result, an HTTP 4xx) gets a second try with `initialize` on a fresh
    /// transport, unless the server died on the way or wants credentials; what
    /// worked is remembered for the next connection, and forgotten when it
    /// fails. `Err` says what went wrong.
    async fn connect(&self) -> Result<Connection, String> {
        let era = if self.initialize_first.load(Ordering::Acquire) { Era::Initialize } else { Era::Probe };
        let connection = match self.connect_in(era).await {
            Ok(connection) => connection,
            Err(Failure { retry_legacy: true, message }) => {
                tracing::info!(server = %self.name, "server/discover failed ({message}); trying initialize");
                self.connect_in(Era::Initialize).await.map_err(|failure| failure.message)?
            }
            Err(failure) => {
                // The era that worked before may be what fails now (the server was
                // upgraded or replaced): the next connection probes afresh.
                self.initialize_first.store(false, Ordering::Release);
                return Err(failure.message);
            }
        };
        let modern = connection.service.peer().peer_info().is_some_and(|info| !info.protocol_version.has_initialize());
        self.initialize_first.store(!modern, Ordering::Release);
        Ok(connection)
    }

    /// Opens the transport and runs the handshake of `era`.
    async fn connect_in(&self, era: Era) -> Result<Connection, Failure> {
        let fail = |message: String| Failure { message, retry_legacy: false };
        let stale = Arc::new(AtomicBool::new(false));
        let lost = Arc::new(Lost::default());
        // `initialize` offers 2025-11-25, the newest era that has it.
        let (protocol, lifecycle) = match era {
            Era::Probe => (
                ProtocolVersion::V_2026_07_28,
                ClientLifecycleMode::Auto {
                    preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                    legacy_version: Some(ProtocolVersion::V_2025_11_25),
                },
            ),
            Era::Initialize => (ProtocolVersion::V_2025_11_25, ClientLifecycleMode::Initialize),
        };
        let handler = Handler {
            server: self.name.clone().into(),
            stale: stale.clone(),
            disk: self.disk.clone(),
            protocol,
            elicitation: self.options.elicitation,
            ask_runs: self.options.ask_runs,
            logs: self.logs.clone(),
        };
        // What a failed probe may retry with `initialize`: not a server that
        // died, not one that failed `initialize` after the probe already, not
        // one that wants credentials first.
        let retry_legacy = |error: &rmcp::service::ClientInitializeError| {
            era == Era::Probe
                && !convert::needs_credentials(error)
                && !matches!(
                    error,
                    rmcp::service::ClientInitializeError::LegacyFallbackFailed { .. }
                        | rmcp::service::ClientInitializeError::Cancelled
                )
        };
        let credentials = self.options.credentials_dir.as_deref();
        let max_message = self.options.max_message_bytes;
        let opened = transport::open(&self.name, &self.config.transport, max_message, credentials, &self.redactor)
            .map_err(|error| match error {
                transport::OpenError::Header { .. } => self.redactor.redact(&error.to_string()),
                _ => error.to_string(),
            })
            .map_err(fail)?;
        let (service, child) = match opened {
            Opened::Stdio(transport, child, mut garbage) => {
                let handshake =
                    handler.serve_with_lifecycle(LogTap::new(transport, self.logs.clone(), lost.clone()), lifecycle);
                // MCP forbids anything but messages on stdout; a server that prints a
                // banner anyway still gets a moment to finish the handshake.
                let not_json = async {
                    let line = garbage.wait_for(Option::is_some).await.ok().and_then(|line| line.clone());
                    tokio::time::sleep(GARBAGE_GRACE).await;
                    line
                };
                tokio::select! {
                    result = handshake => match result {
                        Ok(service) => (service, Some(child)),
                        Err(error) => {
                            let details = escape_controls(&error.to_string()).into_owned();
                            tracing::warn!(server = %self.name, "the MCP handshake failed: {details}");
                            let post_mortem = child.post_mortem(&self.redactor).await;
                            return Err(if child.exited() {
                                fail(format!("it stopped during the MCP handshake: {post_mortem}"))
                            } else {
                                Failure {
                                    message: format!(
                                        "the MCP handshake failed: {}; {post_mortem}",
                                        convert::handshake_error(&self.name, &error, &self.redactor)
                                    ),
                                    retry_legacy: retry_legacy(&error),
                                }
                            });
                        }
                    },
                    Some(line) = not_json => {
                        return Err(fail(format!(
                            "it wrote something other than JSON-RPC on stdout ({:?}); is it an MCP stdio server?",
                            self.redactor.redact(&line)
                        )));
                    }
                }
            }
            Opened::Http(transport) => {
                match handler
                    .serve_with_lifecycle(LogTap::new(transport, self.logs.clone(), lost.clone()), lifecycle)
                    .await
                {
                    Ok(service) => (service, None),
                    Err(error) => {
                        // The URL and what the server answered go to the log; the program gets them redacted.
                        let details = escape_controls(&error.to_string()).into_owned();
                        tracing::warn!(server = %self.name, "the MCP handshake failed: {details}");
                        return Err(Failure {
                            message: format!(
                                "the MCP handshake failed: {}",
                                convert::handshake_error(&self.name, &error, &self.redactor)
                            ),
                            retry_legacy: retry_legacy(&error),
                        });
                    }
                }
            }
        };
        lost.arm();
        let listener = listen_for_list_changes(&self.name, &service, &stale, self.disk.clone());
        Ok(Connection { service, child, tools: tokio::sync::Mutex::new(None), stale, listener, lost })
    }

    /// The server's tools: the live connection's list (listed if not cached),
    /// or, while no connection is up, the disk cache's list if it has one.
    pub(super) async fn tools(&self) -> Result<Arc<ToolSet>, ToolCallError> {
        if let Some(tools) = self.tools_from_disk().await {
            return Ok(tools);
        }
        self.tools_and_connection().await.map(|(tools, _)| tools)
    }

    /// The disk cache's list, read once, unless a connection is up (its own list is fresher).
    async fn tools_from_disk(&self) -> Option<Arc<ToolSet>> {
        let disk = self.disk.as_ref()?;
        if matches!(&*self.state.lock().await, State::Up(_)) {
            return None;
        }
        let mut memo = self.from_disk.lock().expect("disk list lock");
        if let Some(tools) = &*memo {
            return Some(tools.clone());
        }
        let listed = disk.load(self.options.max_tools, self.options.max_tool_list_bytes)?;
        tracing::debug!(server = %self.name, tools = listed.len(), "tool list read from the disk cache");
        let tools = self.tool_set(listed);
        *memo = Some(tools.clone());
        Some(tools)
    }

    /// The server's tools, listed afresh by the server itself (a program asked
    /// for one the cached list lacks), at most once per
    /// [`McpOptions::refresh_interval`]; in between, the cached list (which a
    /// list-changed notification still renews).
    pub(super) async fn refresh_tools(&self) -> Result<Arc<ToolSet>, ToolCallError> {
        if !self.may_refresh() {
            return self.tools().await;
        }
        if let State::Up(connection) = &*self.state.lock().await {
            connection.stale.store(true, Ordering::Release);
        }
        self.tools_and_connection().await.map(|(tools, _)| tools)
    }

    /// `listed` (as the server gave it) filtered by the configuration; notes what the filters hide.
    fn tool_set(&self, listed: Vec<ToolDefinition>) -> Arc<ToolSet> {
        let mut denied = HashMap::new();
        let definitions: Vec<ToolDefinition> = listed
            .into_iter()
            .filter(|tool| match self.config.tools.refusal(&tool.name, tool.annotations.as_ref()) {
                Some(rule) => {
                    denied.insert(tool.name.clone(), rule);
                    false
                }
                None => true,
            })
            .collect();
        let schemas = definitions.iter().map(|tool| (tool.name.clone(), OnceLock::new())).collect();
        let tools = Arc::new(ToolSet { definitions: definitions.into(), schemas });
        self.set_snapshot(|s| {
            s.denied = Arc::new(denied);
            s.definitions = Some(tools.definitions.len());
        });
        tools
    }

    /// Whether a program's miss may have the list read afresh now (and if so, notes that it was).
    fn may_refresh(&self) -> bool {
        let mut last = self.last_refresh.lock().expect("refresh lock");
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < self.options.refresh_interval) {
            tracing::debug!(server = %self.name, "not listing tools afresh: the last refresh was too recent");
            return false;
        }
        *last = Some(now);
        true
    }

    async fn tools_and_connection(&self) -> Result<(Arc<ToolSet>, Arc<Connection>), ToolCallError> {
        let connection = self.connection().await?;
        let mut cached = connection.tools.lock().await;
        if connection.stale.swap(false, Ordering::AcqRel) {
            *cached = None;
        }
        if let Some(tools) = &*cached {
            return Ok((tools.clone(), connection.clone()));
        }
        let listed = match tokio::time::timeout(self.call_timeout(), self.list_all_tools(&connection)).await {
            Ok(Ok(listed)) => listed,
            Ok(Err(ListError::Request(error))) => {
                return Err(connection.request_error(&self.name, error, &self.redactor).await);
            }
            Ok(Err(ListError::OverCap(why))) => {
                tracing::warn!(server = %self.name, "refused its tool list: {why}");
                return Err(self.server_error(why));
            }
            Err(_) => {
                let after = humantime::format_duration(self.call_timeout());
                return Err(self.server_error(format!("it did not list its tools within {after}")));
            }
        };
        let listed: Vec<ToolDefinition> = listed.into_iter().map(convert::definition).collect();
        if let Some(disk) = &self.disk {
            disk.store(&listed);
        }
        *self.from_disk.lock().expect("disk list lock") = None;
        let tools = self.tool_set(listed);
        *cached = Some(tools.clone());
        Ok((tools, connection.clone()))
    }

    /// Reads every page of the server's tool list, within the caps on pages,
    /// tools and bytes ([`McpOptions::max_tools`], [`McpOptions::max_tool_list_bytes`]).
    async fn list_all_tools(&self, connection: &Connection) -> Result<Vec<rmcp::model::Tool>, ListError> {
        let peer = connection.service.peer();
        let (max_tools, max_bytes) = (self.options.max_tools, self.options.max_tool_list_bytes);
        let mut tools = Vec::new();
        let mut bytes = 0usize;
        let mut cursor = None;
        for _ in 0..MAX_TOOL_LIST_PAGES {
            let page = peer.list_tools(Some(PaginatedRequestParams::default().with_cursor(cursor))).await?;
            for tool in page.tools {
                bytes = bytes.saturating_add(json_size(&tool));
                if tools.len() == max_tools {
                    return Err(ListError::OverCap(format!("its tool list has more than {max_tools} tools")));
                }
                if bytes > max_bytes {
                    return Err(ListError::OverCap(format!("its tool list is over the limit of {max_bytes} bytes")));
                }
                tools.push(tool);
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(tools),
            }
        }
        Err(ListError::OverCap(format!("its tool list goes on for more than {MAX_TOOL_LIST_PAGES} pages")))
    }

    /// Calls `tool` after checking it is exposed and its arguments match its schema.
    pub(super) async fn call(&self, tool: String, arguments: Map<String, Value>) -> Result<ToolResult, ToolCallError> {
        let (tools, connection) = self.tools_and_connection().await?;
        let Some(definition) = tools.definitions.iter().find(|d| d.name == tool) else {
            if let Some(rule) = self.refusal(&tool) {
                return Err(ToolCallError::DeniedTool { server: self.name.clone(), tool, rule });
            }
            let suggestion = crate::suggest::did_you_mean(&tool, tools.definitions.iter().map(|d| d.name.as_str()));
            return Err(ToolCallError::UnknownTool { server: self.name.clone(), tool, suggestion });
        };
        let schema = tools.schemas[&tool].get_or_init(|| match ArgumentSchema::compile(&definition.input_schema) {
            Ok(schema) => Some(schema),
            Err(error) => {
                let (tool, error) = (escape_controls(&tool), escape_controls(&error.to_string()).into_owned());
                tracing::warn!(server = %self.name, tool = %tool, "arguments go unchecked: the inputSchema does not compile: {error}");
                None
            }
        });
        let arguments = Value::Object(arguments);
        if let Some(schema) = schema {
            schema.check(&arguments).map_err(|problems| {
                let signature = signature_line(&self.name, definition, MAX_SIGNATURE_CHARS);
                ToolCallError::InvalidArguments { message: format!("{problems}. Expected: {signature}") }
            })?;
        }
        let Value::Object(arguments) = arguments else { unreachable!("built as an object above") };

        let mut params = CallToolRequestParams::new(tool.clone()).with_arguments(arguments);
        params.meta = Some(asking_for_logs());
        let _in_flight = InFlight::enter(&self.in_flight);
        let _listening = RunRecorder::current().map(|run| self.logs.listen(run));
        // Dropping the request on timeout sends `notifications/cancelled` upstream.
        match tokio::time::timeout(self.call_timeout(), connection.service.call_tool(params)).await {
            Ok(Ok(result)) => Ok(convert::result(result)),
            Ok(Err(error)) => Err(connection.request_error(&self.name, error, &self.redactor).await),
            Err(_) => Err(ToolCallError::Timeout { server: self.name.clone(), tool, after: self.call_timeout() }),
        }
    }

    /// Closes the connection, if any: the transport closes (a stdio server sees
    /// its stdin end), the server gets a moment to exit, then its process group
    /// is killed.
    pub(super) async fn shutdown(&self) {
        let mut state = self.state.lock().await;
        let State::Up(connection) = std::mem::replace(&mut *state, State::Idle) else { return };
        self.set_snapshot(|s| s.running = false);
        // Before its stdin closes: once the server exits, what it spawned is no longer below it.
        if let Some(child) = &connection.child {
            child.note_descendants();
        }
        connection.service.cancellation_token().cancel();
        if let Some(child) = &connection.child {
            child.wait_or_kill(EXIT_GRACE).await;
        }
    }

    /// The configuration rule that hides `tool` (a name or its alias) of the last list read, if one does.
    pub(super) fn refusal(&self, tool: &str) -> Option<String> {
        let denied = self.snapshot.lock().expect("snapshot lock").denied.clone();
        let name = crate::tools::names::resolve(tool, denied.keys().map(String::as_str))?;
        denied.get(name).cloned()
    }

    fn set_snapshot(&self, update: impl FnOnce(&mut Snapshot)) {
        update(&mut self.snapshot.lock().expect("snapshot lock"));
    }
}

/// On a 2026-07-28 connection, list changes arrive only on a listen stream the
/// client opens (`subscriptions/listen`); older servers send them unasked, to
/// [`Handler::on_tool_list_changed`]. Opens the stream when the server offers
/// tool list changes; each one marks the cached list stale.
fn listen_for_list_changes(
    server: &str,
    service: &RunningService<RoleClient, Handler>,
    stale: &Arc<AtomicBool>,
    disk: Option<CachedList>,
) -> Option<tokio::task::AbortHandle> {
    let info = service.peer().peer_info()?;
    let offered = info.capabilities.tools.as_ref().and_then(|tools| tools.list_changed) == Some(true);
    if info.protocol_version.has_initialize() || !offered {
        return None;
    }
    let (peer, stale, server) = (service.peer().clone(), stale.clone(), server.to_owned());
    let task = tokio::spawn(async move {
        let filter = rmcp::model::SubscriptionFilter::builder().tools_list_changed().build();
        let mut subscription = match peer.listen(filter).await {
            Ok(subscription) => subscription,
            Err(error) => {
                let error = escape_controls(&error.to_string()).into_owned();
                tracing::debug!(server = %server, "no listen stream for tool list changes: {error}");
                return;
            }
        };
        while let Ok(Some(notification)) = subscription.next().await {
            if matches!(notification, rmcp::model::ServerNotification::ToolListChangedNotification(_)) {
                tracing::debug!(server = %server, "tool list changed");
                stale.store(true, Ordering::Release);
                if let Some(disk) = &disk {
                    disk.invalidate();
                }
            }
        }
    });
    Some(task.abort_handle())
}

/// Why a tool list could not be read.
enum ListError {
    Request(rmcp::ServiceError),
    /// Over a cap; says which.
    OverCap(String),
}

impl From<rmcp::ServiceError> for ListError {
    fn from(error: rmcp::ServiceError) -> Self {
        ListError::Request(error)
    }
}

/// The size of `value` as JSON, counted without building the text.
fn json_size(value: &impl serde::Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// Counts a call in flight until dropped.
struct InFlight<'a>(&'a AtomicU64);

impl<'a> InFlight<'a> {
    fn enter(counter: &'a AtomicU64) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        InFlight(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A request's `_meta` asking for the server's log lines at `info` and up:
/// 2026-07-28 servers log only to a request that asks (SEP-2575); older ones
/// log anyway. Logging is deprecated (SEP-2577) but still how servers say
/// what happened, and the lines reach the run's `logs`.
#[allow(deprecated)]
fn asking_for_logs() -> rmcp::model::RequestMetaObject {
    let mut meta = rmcp::model::RequestMetaObject::new();
    meta.set_log_level(LoggingLevel::Info);
    meta
}

/// The client side of one connection: notes list changes. (Log lines are
/// taken off the transport by [`LogTap`], in order, before rmcp sees them.)
#[derive(Clone)]
struct Handler {
    server: Arc<str>,
    stale: Arc<AtomicBool>,
    /// The server's disk-cache entry, forgotten when its list changes.
    disk: Option<CachedList>,
    /// The protocol version `initialize` asks for.
    protocol: ProtocolVersion,
    /// How the server's requests for input are answered when no run's asker is.
    elicitation: super::Elicitation,
    /// Whether a request for input goes first to the asker of the run it came during.
    ask_runs: bool,
    /// The calls in flight to the server, by run.
    logs: Arc<ServerLogs>,
}

impl ClientHandler for Handler {
    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation = self.elicitation.capability(self.ask_runs);
        ClientConfig::new(capabilities, Implementation::new("sluice", env!("CARGO_PKG_VERSION")))
            .with_protocol_version(self.protocol.clone())
    }

    fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> impl Future<Output = Result<ElicitResult, rmcp::ErrorData>> + Send + '_ {
        // Like a log line, the request names no call: it can only be put to
        // the run whose calls are all that is in flight to this server.
        let run = self.ask_runs.then(|| self.logs.sole_run()).flatten();
        async move {
            let asked = match (run, serde_json::to_value(&request)) {
                (Some(run), Ok(question)) => run.ask(&self.server, question).await,
                _ => None,
            };
            let (answer, by) = match asked.map(serde_json::from_value::<ElicitResult>) {
                Some(Ok(answer)) => (answer, "the run's caller"),
                Some(Err(error)) => {
                    tracing::warn!(server = %self.server, "the caller's answer is not an ElicitResult: {error}");
                    (self.elicitation.answer(&request), "policy")
                }
                None => (self.elicitation.answer(&request), "policy"),
            };
            tracing::info!(server = %self.server, action = ?answer.action, by, "answered the server's request for input");
            Ok(answer)
        }
    }

    fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) -> impl Future<Output = ()> + Send + '_ {
        tracing::debug!(server = %self.server, "tool list changed");
        self.stale.store(true, Ordering::Release);
        if let Some(disk) = &self.disk {
            disk.invalidate();
        }
        std::future::ready(())
    }
}
