//! Upstream MCP servers as a [`ToolHost`]: the servers of a [`SluiceConfig`],
//! each connected through `rmcp` only when a program first needs it.
//!
//! Nothing is spawned or sent until a program calls one of a server's tools or
//! a search or describe needs its definitions ([`ToolHost::servers`] is free).
//! Then the server is started (stdio) or connected (Streamable HTTP), the
//! protocol era negotiated (`server/discover` for 2026-07-28 servers, falling
//! back to `initialize` for 2025-11-25 and older), and its tool list cached
//! until it sends `notifications/tools/list_changed`. With
//! [`McpOptions::tool_list_cache`], tool lists are also kept on disk between
//! processes (`list_cache.rs`), so a search or describe in a fresh process starts
//! no server whose list is cached; a call always starts its server.
//!
//! A server that fails to start, crashes, hangs or answers garbage fails the
//! call with a [`ToolCallError::Server`] or [`ToolCallError::Timeout`] naming the
//! server and what happened; a crashed server is restarted by the next call,
//! and one that keeps failing to start is retried with exponential backoff. A
//! call that times out is cancelled upstream (`notifications/cancelled`).
//! Errors name the server and the kind of failure; host details they quote
//! (stderr, HTTP errors) are redacted of the server's configured values first.
//!
//! A remote server that wants OAuth gets the token `sluice login` stored
//! ([`login`], [`McpOptions::credentials_dir`]), refreshed when it expires, or
//! one of its own by the client-credentials grant; a server that needs a sign-in
//! it does not have fails the call with an error naming `sluice login`.
//!
//! Child processes start with a clean environment ([`INHERITED_VARIABLES`] and
//! the configured `env`, nothing else of Sluice's) in their own process group,
//! which is killed, with every descendant, when the connection goes away (see
//! [`become_subreaper`]); their stderr goes to Sluice's log (target
//! `sluice::server`), never into a program's output.

mod convert;
mod elicit;
mod interview;
mod list_cache;
mod oauth;
mod oversize;
mod process_tree;
mod redact;
mod server_logs;
mod transport;
mod upstream;
mod validate;

pub use elicit::Elicitation;
pub use interview::TerminalAsker;
pub use oauth::{CredentialsError, LoginError, LoginOptions, default_credentials_dir, login, logout};
pub use process_tree::become_subreaper;
pub use transport::INHERITED_VARIABLES;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::SluiceConfig;
use crate::tools::{
    BoxFuture, ServerActivity, ServerInfo, ToolCall, ToolCallError, ToolDefinition, ToolHost, ToolResult,
};
use list_cache::ToolListCache;
use upstream::Upstream;

/// Settings of [`McpTools`] that are not per server.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct McpOptions {
    /// The largest message accepted from a server (a tool list or a result);
    /// a larger one fails its call with `result_too_large`. Default: 16 MiB, the
    /// default [`crate::ExecutionLimits::result_bytes`].
    pub max_message_bytes: usize,
    /// How long a server may take to start and finish the handshake, unless its
    /// configuration sets a `timeout`. Default: 30 s.
    pub startup_timeout: Duration,
    /// How long one call (or tool listing) may take when the server's
    /// configuration sets no `timeout`. Default: 60 s.
    pub call_timeout: Duration,
    /// The most tools one server's list may have; a longer list fails. Default: 10,000.
    pub max_tools: usize,
    /// The most bytes (as JSON) one server's tool list may take, over all its
    /// pages; a larger list fails. Default: 16 MiB.
    pub max_tool_list_bytes: usize,
    /// How often a program asking for a tool a server's cached list lacks may
    /// have the list read afresh; in between, it gets the cached list. A
    /// server's `notifications/tools/list_changed` renews the list regardless. Default: 5 s.
    pub refresh_interval: Duration,
    /// Where servers' tool lists are kept between processes (its `tools/`), so
    /// that a search starts no server whose list is cached; `None` keeps them in
    /// memory only. Default: `None`; the CLI uses Sluice's cache directory.
    pub tool_list_cache: Option<PathBuf>,
    /// How long a cached tool list is trusted without the server being asked again. Default: 24 h.
    pub tool_list_ttl: Duration,
    /// How a server's request for input during a call is answered when no one
    /// is asked (see `ask_runs`). Default: declined.
    pub elicitation: Elicitation,
    /// Where remote servers' OAuth tokens are (`sluice login` writes them; see
    /// [`default_credentials_dir`]); `None` uses no stored token. Default:
    /// `None`; the CLI uses the default directory.
    pub credentials_dir: Option<PathBuf>,
    /// Whether a server's request for input goes first to the [`crate::Asker`]
    /// of the run whose call it came during (when that run is the only one with
    /// calls in flight to the server), so servers are told Sluice takes forms
    /// and URLs. Default: `false`.
    pub ask_runs: bool,
}

impl McpOptions {
    /// Options for runs whose results are capped at `result_bytes`: a message may
    /// be twice that (a result's `structuredContent` and its text copy) plus the
    /// envelope, as the cap itself is enforced on what the program receives.
    pub fn for_result_cap(result_bytes: u64) -> McpOptions {
        let max_message_bytes =
            usize::try_from(result_bytes.saturating_mul(2).saturating_add(64 << 10)).unwrap_or(usize::MAX);
        McpOptions { max_message_bytes, ..McpOptions::default() }
    }
}

impl Default for McpOptions {
    fn default() -> Self {
        McpOptions {
            max_message_bytes: 16 << 20,
            startup_timeout: Duration::from_secs(30),
            call_timeout: Duration::from_secs(60),
            max_tools: 10_000,
            max_tool_list_bytes: 16 << 20,
            refresh_interval: Duration::from_secs(5),
            tool_list_cache: None,
            tool_list_ttl: Duration::from_secs(24 * 60 * 60),
            elicitation: Elicitation::Decline,
            credentials_dir: None,
            ask_runs: false,
        }
    }
}

/// The servers of a configuration, behind the [`ToolHost`] trait.
///
/// Dropping it kills every server process it started, and their descendants;
/// [`McpTools::shutdown`] first asks them to exit (closing their stdin, as MCP's
/// stdio shutdown says).
pub struct McpTools {
    servers: BTreeMap<String, Arc<Upstream>>,
}

impl Drop for McpTools {
    fn drop(&mut self) {
        process_tree::kill_adopted();
    }
}

impl McpTools {
    /// Servers for every entry of `config`. Starts nothing.
    pub fn new(config: &SluiceConfig, options: McpOptions) -> McpTools {
        let cache = options.tool_list_cache.as_deref().and_then(|dir| ToolListCache::open(dir, options.tool_list_ttl));
        let options = Arc::new(options);
        let servers = config
            .servers
            .iter()
            .map(|(name, server)| {
                let disk = cache.as_ref().map(|cache| cache.entry(server));
                (name.clone(), Arc::new(Upstream::new(name, server.clone(), options.clone(), disk)))
            })
            .collect();
        McpTools { servers }
    }

    /// Closes every connection: stdio servers get their stdin closed and a
    /// moment to exit, then their process group and descendants are killed;
    /// after [`become_subreaper`], so are the processes they left behind.
    pub async fn shutdown(&self) {
        futures::future::join_all(self.servers.values().map(|server| server.shutdown())).await;
        process_tree::kill_adopted();
    }

    fn server(&self, name: &str) -> Result<&Arc<Upstream>, ToolCallError> {
        self.servers.get(name).ok_or_else(|| ToolCallError::UnknownServer { server: name.to_owned() })
    }
}

impl ToolHost for McpTools {
    fn servers(&self) -> Vec<ServerInfo> {
        self.servers.iter().map(|(name, server)| ServerInfo { name: name.clone(), summary: server.summary() }).collect()
    }

    fn list_tools(&self, server: &str) -> BoxFuture<'static, Result<Arc<[ToolDefinition]>, ToolCallError>> {
        let server = self.server(server).cloned();
        Box::pin(async move { Ok(server?.tools().await?.definitions.clone()) })
    }

    fn refresh_tools(&self, server: &str) -> BoxFuture<'static, Result<Arc<[ToolDefinition]>, ToolCallError>> {
        let server = self.server(server).cloned();
        Box::pin(async move { Ok(server?.refresh_tools().await?.definitions.clone()) })
    }

    fn call_tool(&self, call: ToolCall) -> BoxFuture<'static, Result<ToolResult, ToolCallError>> {
        let server = self.server(&call.server).cloned();
        Box::pin(async move { server?.call(call.tool, call.arguments).await })
    }

    fn refusal(&self, server: &str, tool: &str) -> Option<String> {
        self.servers.get(server)?.refusal(tool)
    }

    fn activity(&self) -> Vec<ServerActivity> {
        self.servers.values().map(|server| server.activity()).collect()
    }
}
