//! A [`Program`]: one compiled, linked module, and the run loop that turns a run into a [`RunOutcome`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::InstancePre;

use super::RunState;
use super::ending::{Failure, classify, find_limit, timeout};
use super::hibernate::Hibernation;
use super::output::CappedOutput;
use super::runtime::{RuntimeConfig, RuntimeInner};
use super::wasi;
use crate::control::RunControl;
use crate::module_cache::CompileSource;
use crate::outcome::{RunOutcome, RunStats, RunStatus, ServerStats};
use crate::tools::{RunRecorder, ServerActivity, ToolHost};
use crate::{ExecutionPolicy, RunError};

/// What one run hands its program besides the policy's grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgramInput {
    /// `argv[0]`; by default the program's file name.
    pub name: Option<String>,
    /// The bytes the program reads on stdin; by default none (stdin is closed).
    pub stdin: Vec<u8>,
}

impl ProgramInput {
    /// Input of `stdin` under the name `name`.
    pub fn new(name: impl Into<String>, stdin: impl Into<Vec<u8>>) -> Self {
        ProgramInput { name: Some(name.into()), stdin: stdin.into() }
    }
}

/// A compiled, linked program, ready to run any number of times.
#[derive(Clone)]
pub struct Program {
    pub(super) runtime: Arc<RuntimeInner>,
    pub(super) pre: InstancePre<RunState>,
    pub(super) name: String,
    pub(super) compile_source: CompileSource,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program").field("name", &self.name).field("compile_source", &self.compile_source).finish()
    }
}

impl Program {
    /// Where this program's compiled code came from.
    pub fn compile_source(&self) -> CompileSource {
        self.compile_source
    }

    /// Runs the program once in a fresh instance, under `policy`, with `tools`
    /// behind the ABI, until it ends or `control` cancels it. `Err` is for the
    /// embedder's problems (a bad policy, a missing workspace, a full instance
    /// pool); whatever the program does, including failing, hitting a limit or
    /// being cancelled, is an `Ok` outcome.
    pub async fn run(
        &self,
        policy: &ExecutionPolicy,
        tools: Arc<dyn ToolHost>,
        control: &RunControl,
    ) -> Result<RunOutcome, RunError> {
        self.run_with_input(policy, tools, &ProgramInput::default(), control).await
    }

    /// Like [`Program::run`], with `input` on stdin and as `argv[0]`.
    pub async fn run_with_input(
        &self,
        policy: &ExecutionPolicy,
        tools: Arc<dyn ToolHost>,
        input: &ProgramInput,
        control: &RunControl,
    ) -> Result<RunOutcome, RunError> {
        let started = Instant::now();
        let runtime = &self.runtime;
        check_policy(policy, &runtime.config)?;
        let limits = &policy.limits;

        let stdout = CappedOutput::new("stdout", limits.output_bytes, control.counters());
        let stderr = CappedOutput::new("stderr", limits.output_bytes, control.counters());
        let plan = wasi::wasi_plan(policy, &self.name, input, || wasmtime_wasi::thread_rng().next_u64());
        let wasi = wasi::build_wasi(&plan, stdout.clone(), stderr.clone()).map_err(|e| match e.guest {
            wasi::SKILLS_GUEST_PATH => RunError::Skills { path: e.path, source: e.source },
            _ => RunError::Workspace { path: e.path, source: e.source },
        })?;
        let hibernation = Hibernation::new(runtime.config.hibernate_after, runtime.hibernated.clone());
        let state = RunState::new(
            wasi,
            plan.workspace,
            policy,
            tools.clone(),
            control.counters(),
            control.requester(),
            hibernation,
        );

        let deadline = started + limits.deadline;
        let mut store = runtime.new_store(state, limits.fuel, started, limits.deadline);

        // Once made, for the slot's bookkeeping when the run has ended.
        let mut made = None;
        let execution = async {
            // Runs that have ended may still hold slots while their memory is reset.
            let claim = runtime.draining.wait_for_slot(&runtime.engine, runtime.config.max_concurrent_runs).await;
            let instance = self.pre.instantiate_async(&mut store).await.map_err(Failure::Instantiate);
            drop(claim);
            let instance = instance?;
            made = Some(instance);
            let start = instance.get_typed_func::<(), ()>(&mut store, "_start").map_err(Failure::Instantiate)?;
            start.call_async(&mut store, ()).await.map_err(Failure::Program)
        };
        // Dropping `execution` (at the deadline, or when cancelled) stops the
        // program wherever it is: a busy one yields at every epoch tick, a parked
        // one is waiting on a future. Its tool calls are dropped with the store.
        let result = tokio::select! {
            biased;
            () = control.cancelled() => Err(Failure::Cancelled),
            result = tokio::time::timeout_at(deadline.into(), execution) => match result {
                Ok(result) => result,
                Err(_elapsed) => Err(Failure::Program(wasmtime::Error::new(timeout(limits.deadline)))),
            },
        };
        let status = match result {
            Err(Failure::Cancelled) => RunStatus::Cancelled,
            Ok(()) => RunStatus::Ok,
            Err(Failure::Program(error)) => classify(error),
            Err(Failure::Instantiate(error)) => match find_limit(&error) {
                Some(limit) => RunStatus::Limit { kind: limit.kind, message: limit.to_string() },
                None => return Err(RunError::Instantiate(format!("{error:#}"))),
            },
        };

        // Asked only when fuel is metered: otherwise the answer is an error, and an
        // error captures a backtrace when RUST_BACKTRACE is set (~8% of a one-call run).
        let fuel_consumed = if runtime.config.fuel_metering {
            store.get_fuel().ok().map(|left| limits.fuel.unwrap_or(u64::MAX) - left)
        } else {
            None
        };
        let state = store.data_mut();
        // A program that said why it fails (the JavaScript sandbox's uncaught
        // exception) and then exited non-zero fails with that message.
        let status = match (status, state.operations.reported_error.take()) {
            (RunStatus::Failed { exit_code: Some(code), .. }, Some(message)) if code != 0 => {
                RunStatus::Failed { exit_code: Some(code), message }
            }
            (status, _) => status,
        };
        let stdout = stdout.take();
        let stderr = stderr.take();
        let ops = std::mem::take(&mut state.operations.stats);
        let workspace = state.workspace.stats;
        let servers = server_stats(&tools.activity(), &state.operations.recorder, &ops.per_server);
        // The program's own log lines first, then what its servers logged during its calls.
        let (server_logs, server_logs_dropped) = state.operations.recorder.take_server_logs();
        let mut logs = std::mem::take(&mut state.operations.logs);
        logs.extend(server_logs);
        let stats = RunStats {
            wall_ms: started.elapsed().as_secs_f64() * 1000.0,
            compile: self.compile_source,
            tool_calls: ops.tool_calls,
            failed_tool_calls: ops.failed_calls,
            tool_errors: ops.tool_errors,
            discovery_operations: ops.discovery_operations,
            bytes_from_tools: ops.bytes_from_tools,
            bytes_to_program: ops.bytes_to_program,
            stdout_bytes: stdout.written,
            stderr_bytes: stderr.written,
            output_bytes_dropped: stdout.dropped + stderr.dropped,
            logs_dropped: ops.logs_dropped + server_logs_dropped,
            peak_memory_bytes: state.limiter.peak_memory_bytes,
            workspace_bytes: workspace.bytes,
            workspace_entries: workspace.entries,
            workspace_refusals: workspace.refusals,
            workspace_denials: workspace.denials,
            fuel_consumed,
            hibernations: state.hibernation.count,
            servers,
        };
        // The outcome does not wait for a large run's memory to be reset.
        state.operations.recorder.end();
        let heavy = stats.bytes_to_program >= HEAVY_INPUT_BYTES || stats.peak_memory_bytes >= HEAVY_MEMORY_BYTES;
        let tidying = made.and_then(|instance| runtime.slots.after_run(&mut store, instance));
        runtime.draining.drop_store(store, heavy, tidying);
        Ok(RunOutcome {
            status,
            truncated: stdout.dropped > 0 || stderr.dropped > 0,
            stdout: stdout.bytes,
            stderr: stderr.bytes,
            logs,
            stats,
        })
    }
}

/// A run handed this much (tool results, file reads) has written enough memory
/// that its store is dropped in the background ([`Draining::drop_store`](super::runtime::Draining::drop_store)).
const HEAVY_INPUT_BYTES: u64 = 1 << 20;
/// Likewise a run whose memory grew this large.
const HEAVY_MEMORY_BYTES: u64 = 64 << 20;

/// One run's dealings with each server a host reports: the host's state after
/// the run, which servers were started for this run, and the run's own calls.
fn server_stats(
    after: &[ServerActivity],
    recorder: &RunRecorder,
    calls: &std::collections::HashMap<String, (u64, u64)>,
) -> BTreeMap<String, ServerStats> {
    after
        .iter()
        .map(|server| {
            let (calls, bytes) = calls.get(&server.name).copied().unwrap_or_default();
            let stats = ServerStats {
                started: recorder.started(&server.name),
                definitions: server.definitions,
                protocol: server.protocol.clone(),
                calls,
                bytes_from_tools: bytes,
            };
            (server.name.clone(), stats)
        })
        .collect()
}

fn check_policy(policy: &ExecutionPolicy, config: &RuntimeConfig) -> Result<(), RunError> {
    let limits = &policy.limits;
    let problem = if limits.memory_bytes > config.max_memory_bytes {
        Some(format!(
            "the memory limit of {} bytes is over this runtime's maximum of {} bytes",
            limits.memory_bytes, config.max_memory_bytes
        ))
    } else if limits.table_elements > config.max_table_elements {
        Some(format!(
            "the table limit of {} elements is over this runtime's maximum of {}",
            limits.table_elements, config.max_table_elements
        ))
    } else if limits.fuel.is_some() && !config.fuel_metering {
        Some("the policy sets fuel but the runtime was built without fuel metering".to_owned())
    } else if limits.result_bytes > i32::MAX as u64 {
        Some("the result limit must be below 2 GiB".to_owned())
    } else if limits.calls_in_flight == 0 {
        Some("calls_in_flight must be at least 1".to_owned())
    } else if let Some((what, dir, cache)) = overlapping_cache(policy, config) {
        // The cache holds its sealing key: a program that could read or write it
        // could plant native code for the next run.
        Some(format!(
            "the {what} {} overlaps the compiled-code cache {}; a program could plant code there",
            dir.display(),
            cache.display()
        ))
    } else {
        None
    };
    match problem {
        Some(message) => Err(RunError::Policy(message)),
        None => Ok(()),
    }
}

/// A granted directory (the workspace, or skills) that overlaps the cache, named.
fn overlapping_cache<'a>(
    policy: &'a ExecutionPolicy,
    config: &'a RuntimeConfig,
) -> Option<(&'static str, &'a std::path::Path, &'a std::path::Path)> {
    let cache = config.cache_dir.as_deref()?;
    let granted = [
        ("workspace", policy.workspace.as_deref()),
        ("skills directory", policy.skills.as_ref().map(|s| s.dir.as_path())),
    ];
    granted
        .into_iter()
        .find_map(|(what, dir)| dir.filter(|dir| crate::trust::overlaps(dir, cache)).map(|dir| (what, dir, cache)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RuntimeConfig;

    #[test]
    fn policies_beyond_the_runtime_are_refused() {
        let config = RuntimeConfig::default();
        let mut policy = ExecutionPolicy::default();
        policy.limits.memory_bytes = config.max_memory_bytes + 1;
        assert!(matches!(check_policy(&policy, &config), Err(RunError::Policy(m)) if m.contains("memory")));
        let mut policy = ExecutionPolicy::default();
        policy.limits.fuel = Some(10);
        assert!(matches!(check_policy(&policy, &config), Err(RunError::Policy(m)) if m.contains("fuel")));
        assert!(check_policy(&ExecutionPolicy::default(), &config).is_ok());
    }

    #[test]
    fn a_workspace_overlapping_the_module_cache_is_refused() {
        let home = tempfile::tempdir().unwrap();
        let config = RuntimeConfig::default().with_cache_dir(home.path().join(".cache/sluice"));
        for workspace in
            [home.path().to_owned(), home.path().join(".cache/sluice"), home.path().join(".cache/sluice/js")]
        {
            let policy = ExecutionPolicy::default().with_workspace(&workspace);
            let refused = check_policy(&policy, &config);
            assert!(
                matches!(&refused, Err(RunError::Policy(m)) if m.contains("plant code")),
                "{workspace:?}: {refused:?}"
            );
        }
        let elsewhere = ExecutionPolicy::default().with_workspace(home.path().join("project"));
        assert!(check_policy(&elsewhere, &config).is_ok());
    }

    #[test]
    fn a_skills_directory_overlapping_the_module_cache_is_refused_even_read_only() {
        let home = tempfile::tempdir().unwrap();
        let config = RuntimeConfig::default().with_cache_dir(home.path().join(".cache/sluice"));
        for writable in [false, true] {
            let policy = ExecutionPolicy::default().with_skills(home.path().join(".cache"), writable);
            let refused = check_policy(&policy, &config);
            assert!(
                matches!(&refused, Err(RunError::Policy(m)) if m.contains("skills directory") && m.contains("plant code")),
                "{refused:?}"
            );
        }
        let elsewhere = ExecutionPolicy::default().with_skills(home.path().join("skills"), true);
        assert!(check_policy(&elsewhere, &config).is_ok());
    }
}
