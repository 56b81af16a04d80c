//! `RunOutcome`: what a run produced and how it ended, and its `--json` form.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::module_cache::CompileSource;
use crate::sandbox::{LimitKind, LogRecord};
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
    /// Tool calls that failed before reaching a tool (unknown tool, bad arguments).
    pub failed_tool_calls: u64,
    /// Tool calls whose tool reported an error (`isError`).
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
    /// Bytes of output dropped at the caps.
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
    /// Per configured server (for hosts that start servers): whether this run
    /// started it, its definitions loaded, and this run's calls to it.
    pub servers: BTreeMap<String, ServerStats>,
}

/// What one run did with one server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ServerStats {
    /// Whether the server was started (or restarted) while the run went on.
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
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RunOutcome {
    /// How it ended.
    pub status: RunStatus,
    /// What the program wrote to stdout, up to the cap.
    pub stdout: Vec<u8>,
    /// What the program wrote to stderr, up to the cap.
    pub stderr: Vec<u8>,
    /// Whether output was dropped at a cap.
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
            RunStatus::Limit { .. } => None,
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
        }
    }

    /// The outcome as the CLI's `--json` object: `status` (`ok`, `error` or
    /// `limit`), `limit`, `exit_code`, `error`, `stdout`, `stderr`, `truncated`,
    /// `logs` and `stats`. Output that is not UTF-8 is shown lossily.
    pub fn to_json(&self) -> Value {
        let status = match self.status {
            RunStatus::Ok => "ok",
            RunStatus::Failed { .. } => "error",
            RunStatus::Limit { .. } => "limit",
        };
        json!({
            "status": status,
            "limit": self.limit().map(LimitKind::name),
            "exit_code": self.exit_code(),
            "error": self.error_message(),
            "stdout": String::from_utf8_lossy(&self.stdout),
            "stderr": String::from_utf8_lossy(&self.stderr),
            "truncated": self.truncated,
            "logs": self.logs,
            "stats": self.stats,
        })
    }

    /// One line for people: how it ended, time, tool calls, output.
    pub fn summary(&self) -> String {
        let ended = match &self.status {
            RunStatus::Ok => "ok".to_owned(),
            RunStatus::Failed { exit_code: Some(code), .. } => format!("failed (exit {code})"),
            RunStatus::Failed { exit_code: None, .. } => "failed".to_owned(),
            RunStatus::Limit { kind, .. } => format!("stopped by the {kind} limit"),
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
