//! `RunOutcome`: what a run produced and how it ended, the limits that can end
//! it, and its one serialised shape (`sluice run --json`, `execute`, task results).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::module_cache::CompileSource;
use crate::units::Bytes;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunStatus {
    /// The program finished with exit status 0.
    Ok,
    /// The program failed on its own: a trap, an uncaught error, a non-zero exit.
    Failed {
        /// The program's exit status, when it exited rather than trapped.
        exit_code: Option<i32>,
        /// What happened.
        message: String,
    },
    /// A limit of the policy stopped the program.
    Limit {
        /// Which limit.
        kind: LimitKind,
        /// What happened.
        message: String,
    },
    /// The run's [`crate::RunControl`] was cancelled before the program ended.
    Cancelled,
}

impl RunStatus {
    /// The stable name in serialised outcomes: `ok`, `error`, `limit` or `cancelled`.
    pub fn name(&self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed { .. } => "error",
            RunStatus::Limit { .. } => "limit",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

/// How a status serialises inside an outcome: flattened into four fields.
#[derive(Serialize)]
struct StatusFields<'a> {
    status: &'static str,
    limit: Option<LimitKind>,
    exit_code: Option<i32>,
    error: Option<&'a str>,
}

impl Serialize for RunStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (limit, exit_code, error) = match self {
            RunStatus::Ok => (None, Some(0), None),
            RunStatus::Failed { exit_code, message } => (None, *exit_code, Some(message.as_str())),
            RunStatus::Limit { kind, message } => (Some(*kind), None, Some(message.as_str())),
            RunStatus::Cancelled => (None, None, Some("the run was cancelled")),
        };
        StatusFields { status: self.name(), limit, exit_code, error }.serialize(serializer)
    }
}

/// Measurements of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RunStats {
    /// Wall-clock time from the start of the run to its end, in milliseconds.
    pub wall_ms: f64,
    /// Where the compiled code came from.
    pub compile: CompileSource,
    /// Tool calls started.
    pub tool_calls: u64,
    /// Tool calls that got no result from a tool: unknown server or tool,
    /// invalid or too large arguments, a server that failed or timed out, a
    /// result over the cap. (A tool that ran and said `isError` is a tool error.)
    pub failed_tool_calls: u64,
    /// Tool calls whose tool ran and reported an error (`isError`).
    pub tool_errors: u64,
    /// Discovery operations started: `servers`, `search`, `describe`.
    pub discovery_operations: u64,
    /// Bytes of tool results as the tools returned them.
    pub bytes_from_tools: u64,
    /// Bytes of results the program read.
    pub bytes_to_program: u64,
    /// Bytes the program wrote to stdout, kept or not.
    pub stdout_bytes: u64,
    /// Bytes the program wrote to stderr, kept or not.
    pub stderr_bytes: u64,
    /// Bytes of output cut between the head and the tail kept at the caps.
    pub output_bytes_dropped: u64,
    /// Log lines dropped at the cap.
    pub logs_dropped: u64,
    /// The largest the program's memory grew, in bytes.
    pub peak_memory_bytes: u64,
    /// Bytes charged against the workspace byte cap: written to files, or added
    /// to a file's size (see [`crate::ExecutionLimits::workspace_bytes`]).
    pub workspace_bytes: u64,
    /// Files, directories and links the program created in its workspace.
    pub workspace_entries: u64,
    /// Workspace operations refused because a cap (bytes, entries, depth) was
    /// reached; the program saw `ENOSPC` or `EDQUOT`. Non-zero means a cap was hit.
    pub workspace_refusals: u64,
    /// Workspace operations denied as unsafe: opening a FIFO, socket or device,
    /// a symbolic link leading out, a hard link to a symbolic link.
    pub workspace_denials: u64,
    /// Fuel used, when the runtime meters fuel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel_consumed: Option<u64>,
    /// Times the program's memory was set aside while it waited
    /// ([`crate::RuntimeConfig::hibernate_after`]).
    pub hibernations: u64,
    /// Per configured server (for hosts that start servers): whether this run
    /// started it, its definitions loaded, and this run's calls to it.
    pub servers: BTreeMap<String, ServerStats>,
}

/// What one run did with one server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ServerStats {
    /// Whether the run started (or restarted) the server, and it came up.
    pub started: bool,
    /// Tool definitions loaded from it, if its list is loaded.
    pub definitions: Option<usize>,
    /// The MCP protocol revision negotiated with it, if it is connected.
    pub protocol: Option<String>,
    /// Tool calls the run made to it.
    pub calls: u64,
    /// Bytes of its results, as it sent them.
    pub bytes_from_tools: u64,
}

/// Everything a run produced.
///
/// Serialises as one JSON object, the shape of `sluice run --json`, of
/// `execute`'s `structuredContent` and of task results: `status` (`ok`,
/// `error`, `limit`, `cancelled`), `limit`, `exit_code`, `error`, `stdout`,
/// `stderr` (output that is not UTF-8 is shown lossily), `truncated`, `logs`
/// and `stats`. Its JSON Schema is `docs/run-output.schema.json`: a field
/// added here must be added there (a test validates real outcomes against it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RunOutcome {
    /// How it ended.
    #[serde(flatten)]
    pub status: RunStatus,
    /// What the program wrote to stdout: all of it up to the output cap; past
    /// it, the first half of the cap, a line saying how many bytes and lines
    /// were cut, and the last half.
    #[serde(serialize_with = "lossy_text")]
    pub stdout: Vec<u8>,
    /// What the program wrote to stderr, kept as stdout is.
    #[serde(serialize_with = "lossy_text")]
    pub stderr: Vec<u8>,
    /// Whether output was cut at a cap (the run went on; its status is unchanged).
    pub truncated: bool,
    /// The program's log lines, up to the cap.
    pub logs: Vec<LogRecord>,
    /// Measurements.
    pub stats: RunStats,
}

impl RunOutcome {
    /// The outcome of a program that failed before it could start (for example,
    /// TypeScript that does not parse): exit status 1, with `message` as the error.
    pub(crate) fn failed_to_start(message: String, compile: CompileSource) -> Self {
        RunOutcome {
            status: RunStatus::Failed { exit_code: Some(1), message },
            stdout: Vec::new(),
            truncated: false,
            logs: Vec::new(),
            stats: RunStats {
                wall_ms: 0.0,
                compile,
                tool_calls: 0,
                failed_tool_calls: 0,
                tool_errors: 0,
                discovery_operations: 0,
                bytes_from_tools: 0,
                bytes_to_program: 0,
                stdout_bytes: 0,
                stderr_bytes: 0,
                output_bytes_dropped: 0,
                logs_dropped: 0,
                peak_memory_bytes: 0,
                workspace_bytes: 0,
                workspace_entries: 0,
                workspace_refusals: 0,
                workspace_denials: 0,
                fuel_consumed: None,
                hibernations: 0,
                servers: BTreeMap::new(),
            },
            stderr: Vec::new(),
        }
    }

    /// The program's exit status: 0 on success, its own status when it exited,
    /// `None` when it trapped or a limit stopped it.
    pub fn exit_code(&self) -> Option<i32> {
        match &self.status {
            RunStatus::Ok => Some(0),
            RunStatus::Failed { exit_code, .. } => *exit_code,
            RunStatus::Limit { .. } | RunStatus::Cancelled => None,
        }
    }

    /// The limit that stopped the program, if one did.
    pub fn limit(&self) -> Option<LimitKind> {
        match &self.status {
            RunStatus::Limit { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// Says why the program did not succeed, if it did not.
    pub fn error_message(&self) -> Option<&str> {
        match &self.status {
            RunStatus::Ok => None,
            RunStatus::Failed { message, .. } | RunStatus::Limit { message, .. } => Some(message),
            RunStatus::Cancelled => Some("the run was cancelled"),
        }
    }

    /// One line for people: how it ended, time, tool calls, output.
    pub fn summary(&self) -> String {
        let ended = match &self.status {
            RunStatus::Ok => "ok".to_owned(),
            RunStatus::Failed { exit_code: Some(code), .. } => format!("failed (exit {code})"),
            RunStatus::Failed { exit_code: None, .. } => "failed".to_owned(),
            RunStatus::Limit { kind, .. } => format!("stopped by the {kind} limit"),
            RunStatus::Cancelled => "cancelled".to_owned(),
        };
        let stats = &self.stats;
        let output = Bytes(stats.stdout_bytes + stats.stderr_bytes);
        let truncated = if self.truncated { ", truncated" } else { "" };
        let started: Vec<&str> =
            stats.servers.iter().filter(|(_, server)| server.started).map(|(name, _)| name.as_str()).collect();
        let started = if started.is_empty() { String::new() } else { format!(", started {}", started.join(", ")) };
        let received = if stats.tool_calls > 0 {
            format!(" ({} from tools)", Bytes(stats.bytes_from_tools))
        } else {
            String::new()
        };
        let workspace = match stats.workspace_refusals {
            0 => String::new(),
            n => format!(", {n} workspace write{} refused at a cap", if n == 1 { "" } else { "s" }),
        };
        format!(
            "sluice: {ended} in {:.1} ms, {} tool call{}{received}{started}, {output} of output{truncated}{workspace}",
            stats.wall_ms,
            stats.tool_calls,
            if stats.tool_calls == 1 { "" } else { "s" },
        )
    }
}

/// Which limit stopped a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LimitKind {
    /// The wall-clock deadline passed.
    Timeout,
    /// The fuel ran out.
    Fuel,
    /// Linear memory would have grown past its cap.
    Memory,
    /// A table would have grown past its cap.
    Table,
    /// The program kept logging far past its log caps. (Output past its cap
    /// does not stop a program: its head and tail are kept.)
    Output,
    /// The program started more tool calls than allowed.
    ToolCalls,
    /// The program started more discovery operations (servers, search, describe) than allowed.
    Discovery,
}

impl LimitKind {
    /// The stable snake_case name used in `--json` output.
    pub fn name(self) -> &'static str {
        match self {
            LimitKind::Timeout => "timeout",
            LimitKind::Fuel => "fuel",
            LimitKind::Memory => "memory",
            LimitKind::Table => "table",
            LimitKind::Output => "output",
            LimitKind::ToolCalls => "tool_calls",
            LimitKind::Discovery => "discovery",
        }
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One guest log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogRecord {
    /// `trace`, `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// The line (invalid UTF-8 replaced, cut at 4 KiB).
    pub message: String,
}

fn lossy_text<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&String::from_utf8_lossy(bytes))
}
