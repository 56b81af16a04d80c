//! `ExecutionPolicy`: every grant and limit of one run, denying everything by default.

use std::path::PathBuf;
use std::time::Duration;

/// Everything a run is allowed to do and use.
///
/// The default grants nothing: no workspace directory, no environment variables,
/// no arguments beyond the program name, no network, and bounded time, memory,
/// output and tool use. Each field documents its default.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ExecutionPolicy {
    /// The host directory preopened read-write as `/workspace`; with `skills`, the
    /// only host paths a guest can reach. Default: none, so (without `skills`)
    /// the guest sees no filesystem at all.
    pub workspace: Option<PathBuf>,
    /// A host directory of saved helpers, preopened as `/skills` (read-only
    /// unless the grant says writable); programs import from it. Default: none.
    pub skills: Option<SkillsGrant>,
    /// Arguments passed after the program name (`argv[1..]`). Default: none.
    pub args: Vec<String>,
    /// The seed of the guest's random number generators. Default: `None`, a fresh
    /// seed from the host's entropy on every run, so no two runs repeat.
    pub random_seed: Option<u64>,
    /// Limits that end or constrain the run.
    pub limits: ExecutionLimits,
}

/// The `/skills` grant: a persistent directory of helpers programs import, and
/// whether programs may write there (save new helpers).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SkillsGrant {
    /// The host directory.
    pub dir: PathBuf,
    /// Whether programs may create, change and delete files in it. Writes are
    /// metered by the same caps as the workspace's (`workspace_bytes`,
    /// `workspace_files`, `workspace_depth`, counted together).
    pub writable: bool,
}

impl SkillsGrant {
    /// `dir` as `/skills`, read-only unless `writable`.
    pub fn new(dir: impl Into<PathBuf>, writable: bool) -> Self {
        SkillsGrant { dir: dir.into(), writable }
    }
}

/// The hard limits of one run. A limit that is reached either stops the program
/// (a trap reported as [`crate::RunStatus::Limit`]) or is reported to the guest
/// as an error it can handle; each field says which.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExecutionLimits {
    /// Wall-clock time from the start of instantiation, including time spent
    /// waiting for tools. Stops the program. Default: 30 s.
    pub deadline: Duration,
    /// WebAssembly fuel (roughly, instructions). Stops the program. Needs a
    /// runtime built with [`crate::RuntimeConfig::fuel_metering`]. Default: none.
    pub fuel: Option<u64>,
    /// Linear memory in bytes, summed over the program's memories. Growing past it
    /// stops the program. A module's initial memory counts: the JavaScript
    /// interpreter starts with 16 MiB (mostly untouched room for a run's heap), so a
    /// JavaScript program needs a cap of at least that. Default: 256 MiB.
    pub memory_bytes: u64,
    /// Elements in any one table. Growing past it stops the program. Default: 100,000.
    pub table_elements: u64,
    /// Bytes of stdout, and separately of stderr, that are kept. Output past the
    /// cap is dropped and the outcome says it was truncated; a program that goes on
    /// writing until it has produced twice the cap is stopped. Default: 1 MiB.
    pub output_bytes: u64,
    /// Tool calls started in one run. The call past it stops the program.
    /// Default: 1,000.
    pub tool_calls: u64,
    /// Operations (tool calls, searches, descriptions) started and not yet read
    /// back. Past it, starting another returns `BUSY` to the guest. Default: 64.
    pub calls_in_flight: u32,
    /// Bytes of JSON arguments of one tool call. Past it, the call fails with an
    /// error the guest sees (`arguments_too_large`). Default: 1 MiB.
    pub argument_bytes: u64,
    /// Bytes of one tool result as the guest receives it. Past it, the call fails
    /// with an error the guest sees (`result_too_large`). Default: 16 MiB.
    pub result_bytes: u64,
    /// Bytes of log lines kept from the guest, each line counted with a fixed
    /// overhead of [`ExecutionLimits::LOG_RECORD_OVERHEAD`] bytes so empty lines are
    /// not free; lines past it are dropped and counted. A program that goes on
    /// logging until it has offered twice this (or twice `log_records`) is
    /// stopped, as an output flood is. Default: 64 KiB.
    pub log_bytes: u64,
    /// Log lines kept from the guest; as `log_bytes`, counted. Default: 1,000.
    pub log_records: u64,
    /// Discovery operations (`servers`, `search`, `describe`) started in one
    /// run. The one past it stops the program. Default: 1,000.
    pub discovery_operations: u64,
    /// Bytes of results that have arrived and the program has not read yet,
    /// summed over its operations (each counted with a small fixed overhead). A
    /// result that would go past it fails with `result_too_large`, an error the
    /// guest sees, so a program cannot make the host hold `calls_in_flight` full
    /// results at once. Default: 256 MiB, the default memory cap: a program could
    /// not take in more than that anyway.
    pub unread_result_bytes: u64,
    /// Bytes a program may put into its workspace in one run. Counted: every byte
    /// written to a file (overwriting counts too, and deleting or truncating gives
    /// nothing back) and every byte a file grows by past its end (writing past the
    /// end, `fd_filestat_set_size`, `fd_allocate`). Output on stdout and stderr is
    /// not counted. Past it, the write fails with `ENOSPC`, an error the program can
    /// handle, and [`crate::RunStats::workspace_refusals`] counts it. Default: 256 MiB.
    pub workspace_bytes: u64,
    /// Entries (files, directories, symbolic and hard links) a program may create
    /// in its workspace in one run. Past it, creating fails with `EDQUOT` and
    /// [`crate::RunStats::workspace_refusals`] counts it. Default: 10,000.
    pub workspace_files: u64,
    /// How deep below `/workspace` a program may create a directory
    /// (`/workspace/a` is depth 1). Past it, creating fails with `EDQUOT`. Depth is
    /// counted along the path the program names; since every directory is an entry,
    /// [`ExecutionLimits::workspace_files`] bounds the depth renames or links could
    /// reach. Default: 128.
    pub workspace_depth: u32,
}

impl ExecutionLimits {
    /// Bytes each kept log line costs beyond its text (see `log_bytes`).
    pub const LOG_RECORD_OVERHEAD: u64 = 32;
}

impl Default for ExecutionLimits {
    fn default() -> Self {
        ExecutionLimits {
            deadline: Duration::from_secs(30),
            fuel: None,
            memory_bytes: 256 << 20,
            table_elements: 100_000,
            output_bytes: 1 << 20,
            tool_calls: 1_000,
            calls_in_flight: 64,
            argument_bytes: 1 << 20,
            result_bytes: 16 << 20,
            log_bytes: 64 << 10,
            log_records: 1_000,
            discovery_operations: 1_000,
            unread_result_bytes: 256 << 20,
            workspace_bytes: 256 << 20,
            workspace_files: 10_000,
            workspace_depth: 128,
        }
    }
}

impl ExecutionPolicy {
    /// Grants `dir` as the program's read-write `/workspace`.
    pub fn with_workspace(mut self, dir: impl Into<PathBuf>) -> Self {
        self.workspace = Some(dir.into());
        self
    }

    /// Grants `dir` as `/skills`, read-only unless `writable`.
    pub fn with_skills(mut self, dir: impl Into<PathBuf>, writable: bool) -> Self {
        self.skills = Some(SkillsGrant::new(dir, writable));
        self
    }

    /// Replaces the limits.
    pub fn with_limits(mut self, limits: ExecutionLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Fixes the seed of the guest's random number generators (for replay).
    pub fn with_random_seed(mut self, seed: u64) -> Self {
        self.random_seed = Some(seed);
        self
    }

    /// Sets the arguments after the program name.
    pub fn with_args(mut self, args: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }
}

/// Limits a caller asks for, each optional: what the flags of `sluice run` and
/// `sluice serve` set, and what an `execute` request may lower.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimitRequest {
    /// [`ExecutionLimits::deadline`].
    pub deadline: Option<Duration>,
    /// [`ExecutionLimits::memory_bytes`].
    pub memory_bytes: Option<u64>,
    /// [`ExecutionLimits::output_bytes`].
    pub output_bytes: Option<u64>,
    /// [`ExecutionLimits::tool_calls`].
    pub tool_calls: Option<u64>,
    /// [`ExecutionLimits::fuel`].
    pub fuel: Option<u64>,
    /// [`ExecutionLimits::workspace_bytes`].
    pub workspace_bytes: Option<u64>,
    /// [`ExecutionLimits::workspace_files`].
    pub workspace_files: Option<u64>,
}

/// A request asked for more than the ceiling allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} {asked} is above this server's maximum of {allowed}; ask for {allowed} or less")]
pub struct LimitAboveCeiling {
    /// The limit, as the request names it (`timeout`, `memory`, ...).
    pub name: &'static str,
    /// What was asked, for people.
    pub asked: String,
    /// The most allowed, for people.
    pub allowed: String,
}

impl LimitRequest {
    /// `limits` with every requested value set.
    pub fn applied_to(&self, mut limits: ExecutionLimits) -> ExecutionLimits {
        let set = |target: &mut u64, value: Option<u64>| *target = value.unwrap_or(*target);
        limits.deadline = self.deadline.unwrap_or(limits.deadline);
        set(&mut limits.memory_bytes, self.memory_bytes);
        set(&mut limits.output_bytes, self.output_bytes);
        set(&mut limits.tool_calls, self.tool_calls);
        set(&mut limits.workspace_bytes, self.workspace_bytes);
        set(&mut limits.workspace_files, self.workspace_files);
        limits.fuel = self.fuel.or(limits.fuel);
        limits
    }

    /// `ceiling` lowered by this request: a requested value may be at most the
    /// ceiling's (a request lowers limits, never raises them). Fuel may be asked
    /// for only when the ceiling meters it.
    pub fn lowered(&self, ceiling: &ExecutionLimits) -> Result<ExecutionLimits, LimitAboveCeiling> {
        use crate::units::Bytes;
        let above = |name, asked: String, allowed: String| Err(LimitAboveCeiling { name, asked, allowed });
        if let Some(deadline) = self.deadline
            && deadline > ceiling.deadline
        {
            let show = |d| humantime::format_duration(d).to_string();
            return above("timeout", show(deadline), show(ceiling.deadline));
        }
        for (name, asked, allowed, bytes) in [
            ("memory", self.memory_bytes, ceiling.memory_bytes, true),
            ("max_output", self.output_bytes, ceiling.output_bytes, true),
            ("max_tool_calls", self.tool_calls, ceiling.tool_calls, false),
            ("max_workspace", self.workspace_bytes, ceiling.workspace_bytes, true),
            ("max_workspace_files", self.workspace_files, ceiling.workspace_files, false),
        ] {
            if let Some(asked) = asked
                && asked > allowed
            {
                let show = |n: u64| if bytes { Bytes(n).to_string() } else { n.to_string() };
                return above(name, show(asked), show(allowed));
            }
        }
        if let Some(fuel) = self.fuel {
            match ceiling.fuel {
                Some(allowed) if fuel > allowed => return above("fuel", fuel.to_string(), allowed.to_string()),
                None => return above("fuel", fuel.to_string(), "none (this server does not meter fuel)".to_owned()),
                Some(_) => {}
            }
        }
        Ok(self.applied_to(ceiling.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_lowers_limits_and_never_raises_them() {
        let ceiling = ExecutionLimits::default();
        let lower = LimitRequest { deadline: Some(Duration::from_secs(5)), tool_calls: Some(3), ..Default::default() };
        let limits = lower.lowered(&ceiling).unwrap();
        assert_eq!((limits.deadline, limits.tool_calls), (Duration::from_secs(5), 3));
        assert_eq!(limits.memory_bytes, ceiling.memory_bytes);

        let higher = LimitRequest { memory_bytes: Some(ceiling.memory_bytes + 1), ..Default::default() };
        let error = higher.lowered(&ceiling).unwrap_err();
        assert_eq!(error.name, "memory");
        assert!(error.to_string().contains("above this server's maximum of 256"), "{error}");
        let longer = LimitRequest { deadline: Some(Duration::from_secs(31)), ..Default::default() };
        assert_eq!(longer.lowered(&ceiling).unwrap_err().name, "timeout");
        let fuel = LimitRequest { fuel: Some(1), ..Default::default() };
        assert_eq!(fuel.lowered(&ceiling).unwrap_err().name, "fuel");
    }
}
