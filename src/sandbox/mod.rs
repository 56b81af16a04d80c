//! The sandbox: a shared [`Runtime`] (engine, linker, module cache, epoch ticker) and [`Program`]s run under an [`ExecutionPolicy`].

pub(crate) mod abi;
mod limits;
mod output;
pub(crate) mod preinit;
mod wasi;
mod workspace;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wasmtime::{
    Engine, InstancePre, Linker, Module, PoolingAllocationConfig, Store, Trap, UpdateDeadline, WasmBacktrace,
};
use wasmtime_wasi::I32Exit;
use wasmtime_wasi::p1::WasiP1Ctx;

pub use abi::LogRecord;
pub use limits::LimitKind;

use self::abi::Operations;
use self::limits::{LimitExceeded, SandboxLimiter};
use self::output::CappedOutput;
use self::workspace::{WorkspaceGuard, WorkspaceRules};
use crate::module_cache::{CompileSource, ModuleCache};
use crate::outcome::{RunOutcome, RunStats, RunStatus, ServerStats};
use crate::tools::{ServerActivity, ToolHost};
use crate::{ExecutionPolicy, LoadError, RunError, RuntimeError};

/// One run's dealings with each server a host reports, from the host's
/// activity before and after the run and the run's own per-server counts.
fn server_stats(
    before: &[ServerActivity],
    after: &[ServerActivity],
    calls: &std::collections::HashMap<String, (u64, u64)>,
) -> BTreeMap<String, ServerStats> {
    after
        .iter()
        .map(|server| {
            let starts_before = before.iter().find(|b| b.name == server.name).map_or(0, |b| b.starts);
            let (calls, bytes) = calls.get(&server.name).copied().unwrap_or_default();
            let stats = ServerStats {
                started: server.starts > starts_before,
                definitions: server.definitions,
                protocol: server.protocol.clone(),
                calls,
                bytes_from_tools: bytes,
            };
            (server.name.clone(), stats)
        })
        .collect()
}

/// How often the engine's epoch advances: the precision of deadlines, and how
/// often a busy program yields its thread to others.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Settings fixed for the life of a [`Runtime`] (they shape compiled code and the
/// instance pool). Per-run grants and limits are in [`ExecutionPolicy`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RuntimeConfig {
    /// Directory for compiled modules, so later processes skip compilation.
    /// Default: none (compiled modules are cached in memory only).
    pub cache_dir: Option<PathBuf>,
    /// Count fuel, so policies may set [`crate::ExecutionLimits::fuel`]. Costs
    /// some speed. Default: off.
    pub fuel_metering: bool,
    /// Programs that may run at once (the size of the instance pool). Default: 1,000.
    pub max_concurrent_runs: u32,
    /// The largest memory any policy may grant. Default: 4 GiB.
    pub max_memory_bytes: u64,
    /// The largest table any policy may grant. Default: 100,000 elements.
    pub max_table_elements: u64,
    /// WebAssembly stack per run; deeper recursion traps. Default: 8 MiB, which
    /// lets QuickJS's own stack check (a catchable `RangeError`) fire first.
    pub max_wasm_stack: usize,
    /// Memory a finished run's pool slot keeps mapped, zeroed in place for the
    /// next run instead of being returned to the kernel and faulted back in.
    /// Cuts a small JavaScript run from ~240 to ~140 µs (its interpreter's heap
    /// and stack are ~6 MiB). The price is resident memory: up to this much per
    /// slot that has ever held a run, so about peak concurrent runs × this.
    /// Default: 16 MiB; 0 returns all of a finished run's memory to the kernel.
    pub keep_resident_bytes: u64,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            cache_dir: None,
            fuel_metering: false,
            max_concurrent_runs: 1_000,
            max_memory_bytes: 4 << 30,
            max_table_elements: 100_000,
            max_wasm_stack: 8 << 20,
            keep_resident_bytes: 16 << 20,
        }
    }
}

impl RuntimeConfig {
    /// Caches compiled modules under `dir`.
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// The user's default cache directory: `$SLUICE_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/sluice`, else `$HOME/.cache/sluice`.
    pub fn default_cache_dir() -> Option<PathBuf> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        var("SLUICE_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("sluice")))
            .or_else(|| var("HOME").map(|d| d.join(".cache").join("sluice")))
    }
}

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

/// The state a running program's store holds.
pub(crate) struct RunState {
    wasi: WasiP1Ctx,
    limiter: SandboxLimiter,
    operations: Operations,
    workspace: WorkspaceGuard,
}

impl RunState {
    fn new(
        wasi: WasiP1Ctx,
        workspace: Option<WorkspaceRules>,
        policy: &ExecutionPolicy,
        tools: Arc<dyn ToolHost>,
    ) -> Self {
        let limits = &policy.limits;
        RunState {
            wasi,
            limiter: SandboxLimiter::new(limits.memory_bytes, limits.table_elements),
            operations: Operations::new(tools, limits.clone(), tokio::runtime::Handle::current()),
            workspace: WorkspaceGuard::new(workspace),
        }
    }
}

/// Compiles and runs programs. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

struct RuntimeInner {
    engine: Engine,
    linker: Linker<RunState>,
    cache: ModuleCache,
    config: RuntimeConfig,
    _ticker: EpochTicker,
}

impl RuntimeInner {
    /// A store for one run: the state's limiter installed, `fuel` (or unlimited)
    /// when the runtime meters fuel, and a trap with [`LimitKind::Timeout`] once
    /// `allowed` has passed since `started`; until then a busy program yields its
    /// thread every tick.
    fn new_store(&self, state: RunState, fuel: Option<u64>, started: Instant, allowed: Duration) -> Store<RunState> {
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        if self.config.fuel_metering {
            store.set_fuel(fuel.unwrap_or(u64::MAX)).expect("fuel metering is on");
        }
        let deadline = started + allowed;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Err(wasmtime::Error::new(timeout(allowed)))
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }
}

impl Runtime {
    /// Builds the engine, the instance pool and the linker.
    pub fn new(config: RuntimeConfig) -> Result<Runtime, RuntimeError> {
        let mut pool = PoolingAllocationConfig::new();
        let runs = config.max_concurrent_runs;
        pool.total_core_instances(runs)
            .total_memories(runs)
            .total_tables(runs * 4)
            .total_stacks(runs)
            .max_memories_per_module(1)
            .linear_memory_keep_resident(usize::try_from(config.keep_resident_bytes).unwrap_or(usize::MAX))
            .max_tables_per_module(4)
            .max_memory_size(usize::try_from(config.max_memory_bytes).unwrap_or(usize::MAX))
            .table_elements(usize::try_from(config.max_table_elements).unwrap_or(usize::MAX));

        let mut engine_config = wasmtime::Config::new();
        engine_config
            .epoch_interruption(true)
            .consume_fuel(config.fuel_metering)
            .max_wasm_stack(config.max_wasm_stack)
            // A fiber's stack holds the wasm stack plus the host functions it calls.
            .async_stack_size(config.max_wasm_stack + (1 << 20))
            .allocation_strategy(pool);
        let engine = Engine::new(&engine_config).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_async(&mut linker, |state: &mut RunState| &mut state.wasi)
            .and_then(|()| workspace::add_to_linker(&mut linker))
            .map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        abi::add_to_linker(&mut linker).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;

        let cache = ModuleCache::new(&engine, config.cache_dir.as_deref());
        let ticker = EpochTicker::start(&engine);
        Ok(Runtime { inner: Arc::new(RuntimeInner { engine, linker, cache, config, _ticker: ticker }) })
    }

    /// The cache of compiled modules and other sealed entries (the interpreter).
    pub(crate) fn cache(&self) -> &ModuleCache {
        &self.inner.cache
    }

    /// Reads and prepares the program in `path`.
    pub fn load_file(&self, path: impl AsRef<Path>) -> Result<Program, LoadError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read { path: path.to_owned(), source })?;
        let name = path.file_name().map_or_else(|| "program".to_owned(), |n| n.to_string_lossy().into_owned());
        self.load(&name, &bytes)
    }

    /// Prepares a program from its bytes: a binary WebAssembly command module
    /// (`wasm32-wasip1`), or its text form. `name` becomes `argv[0]`.
    pub fn load(&self, name: &str, bytes: &[u8]) -> Result<Program, LoadError> {
        check_format(bytes)?;
        let engine = &self.inner.engine;
        let (module, compile_source) = self
            .inner
            .cache
            .get_or_compile(engine, bytes, || Module::new(engine, bytes))
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        if !module.exports().any(|e| e.name() == "_start" && e.ty().func().is_some()) {
            return Err(LoadError::NotACommand);
        }
        let pre = self.inner.linker.instantiate_pre(&module).map_err(|error| {
            match error.downcast_ref::<wasmtime::UnknownImportError>() {
                Some(unknown) => {
                    LoadError::UnknownImport { module: unknown.module().to_owned(), name: unknown.name().to_owned() }
                }
                None => LoadError::Invalid(format!("{error:#}")),
            }
        })?;
        Ok(Program { runtime: self.inner.clone(), pre, name: name.to_owned(), compile_source })
    }
}

/// Rejects what is plainly not a core WebAssembly module, with a reason.
fn check_format(bytes: &[u8]) -> Result<(), LoadError> {
    const MAGIC: &[u8] = b"\0asm";
    if bytes.is_empty() {
        return Err(LoadError::NotWasm("the file is empty".to_owned()));
    }
    if let Some(version) = bytes.strip_prefix(MAGIC) {
        return match version.get(..4) {
            Some([1, 0, 0, 0]) => Ok(()),
            Some([_, _, 1, 0]) => Err(LoadError::NotWasm(
                "it is a WebAssembly component; Sluice runs core modules built for wasm32-wasip1".to_owned(),
            )),
            _ => Err(LoadError::Invalid("the header is cut short or has an unknown version".to_owned())),
        };
    }
    if std::str::from_utf8(bytes).is_ok_and(|text| skip_wat_comments(text).starts_with('(')) {
        return Ok(());
    }
    Err(LoadError::NotWasm(
        "it does not start with the WebAssembly magic bytes (\\0asm) and is not WebAssembly text".to_owned(),
    ))
}

/// `text` without the blanks and comments (`;; line`, `(; block ;)`) it starts with.
fn skip_wat_comments(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix(";;") {
            text = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(rest) = text.strip_prefix("(;") {
            text = rest.split_once(";)").map_or("", |(_, after)| after);
        } else {
            return text;
        }
    }
}

/// A compiled, linked program, ready to run any number of times.
#[derive(Clone)]
pub struct Program {
    runtime: Arc<RuntimeInner>,
    pre: InstancePre<RunState>,
    name: String,
    compile_source: CompileSource,
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
    /// behind the ABI. `Err` is for the embedder's problems (a bad policy, a
    /// missing workspace, a full instance pool); whatever the program does,
    /// including failing or hitting a limit, is an `Ok` outcome.
    pub async fn run(&self, policy: &ExecutionPolicy, tools: Arc<dyn ToolHost>) -> Result<RunOutcome, RunError> {
        self.run_with_input(policy, tools, &ProgramInput::default()).await
    }

    /// Like [`Program::run`], with `input` on stdin and as `argv[0]`.
    pub async fn run_with_input(
        &self,
        policy: &ExecutionPolicy,
        tools: Arc<dyn ToolHost>,
        input: &ProgramInput,
    ) -> Result<RunOutcome, RunError> {
        let started = Instant::now();
        let runtime = &self.runtime;
        check_policy(policy, &runtime.config)?;
        let limits = &policy.limits;

        let stdout = CappedOutput::new("stdout", limits.output_bytes);
        let stderr = CappedOutput::new("stderr", limits.output_bytes);
        let plan = wasi::wasi_plan(policy, &self.name, input, || wasmtime_wasi::thread_rng().next_u64());
        let wasi = wasi::build_wasi(&plan, stdout.clone(), stderr.clone())
            .map_err(|e| RunError::Workspace { path: e.path, source: e.source })?;
        let activity_before = tools.activity();
        let state = RunState::new(wasi, plan.workspace, policy, tools.clone());

        let deadline = started + limits.deadline;
        let mut store = runtime.new_store(state, limits.fuel, started, limits.deadline);

        let execution = async {
            let instance = self.pre.instantiate_async(&mut store).await.map_err(Failure::Instantiate)?;
            let start = instance.get_typed_func::<(), ()>(&mut store, "_start").map_err(Failure::Instantiate)?;
            start.call_async(&mut store, ()).await.map_err(Failure::Program)
        };
        let result = match tokio::time::timeout_at(deadline.into(), execution).await {
            Ok(result) => result,
            Err(_elapsed) => Err(Failure::Program(wasmtime::Error::new(timeout(limits.deadline)))),
        };
        let status = match result {
            Ok(()) => RunStatus::Ok,
            Err(Failure::Program(error)) => classify(error),
            Err(Failure::Instantiate(error)) => match find_limit(&error) {
                Some(limit) => RunStatus::Limit { kind: limit.kind, message: limit.to_string() },
                None => return Err(RunError::Instantiate(format!("{error:#}"))),
            },
        };

        let fuel_consumed = match (runtime.config.fuel_metering, store.get_fuel()) {
            (true, Ok(left)) => Some(limits.fuel.unwrap_or(u64::MAX) - left),
            _ => None,
        };
        let state = store.into_data();
        let stdout = stdout.take();
        let stderr = stderr.take();
        let ops = state.operations.stats;
        let workspace = state.workspace.stats;
        let servers = server_stats(&activity_before, &tools.activity(), &ops.per_server);
        let stats = RunStats {
            wall_ms: started.elapsed().as_secs_f64() * 1000.0,
            compile: self.compile_source,
            tool_calls: ops.tool_calls,
            failed_tool_calls: ops.failed_calls,
            tool_errors: ops.tool_errors,
            discovery_operations: ops.discovery_operations,
            bytes_from_tools: ops.bytes_from_tools,
            bytes_to_program: ops.bytes_to_program,
            stdout_bytes: stdout.bytes.len() as u64 + stdout.dropped,
            stderr_bytes: stderr.bytes.len() as u64 + stderr.dropped,
            output_bytes_dropped: stdout.dropped + stderr.dropped,
            logs_dropped: ops.logs_dropped,
            peak_memory_bytes: state.limiter.peak_memory_bytes,
            workspace_bytes: workspace.bytes,
            workspace_entries: workspace.entries,
            workspace_refusals: workspace.refusals,
            workspace_denials: workspace.denials,
            fuel_consumed,
            servers,
        };
        Ok(RunOutcome {
            status,
            truncated: stdout.dropped > 0 || stderr.dropped > 0,
            stdout: stdout.bytes,
            stderr: stderr.bytes,
            logs: state.operations.logs,
            stats,
        })
    }
}

enum Failure {
    Instantiate(wasmtime::Error),
    Program(wasmtime::Error),
}

fn timeout(deadline: Duration) -> LimitExceeded {
    let deadline = humantime::format_duration(deadline);
    LimitExceeded::new(LimitKind::Timeout, format!("the program ran past its {deadline} deadline"))
}

fn find_limit(error: &wasmtime::Error) -> Option<&LimitExceeded> {
    error.chain().find_map(|cause| cause.downcast_ref::<LimitExceeded>())
}

/// Sorts how a program's `_start` ended into the three outcomes.
fn classify(error: wasmtime::Error) -> RunStatus {
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return match exit.0 {
            0 => RunStatus::Ok,
            code => {
                RunStatus::Failed { exit_code: Some(code), message: format!("the program exited with status {code}") }
            }
        };
    }
    if let Some(limit) = find_limit(&error) {
        return RunStatus::Limit { kind: limit.kind, message: limit.to_string() };
    }
    let headline = match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => {
            return RunStatus::Limit { kind: LimitKind::Fuel, message: "the program used up its fuel".to_owned() };
        }
        Some(Trap::StackOverflow) => "the program overflowed its stack (runaway recursion?)".to_owned(),
        Some(trap) => format!("the program trapped: {trap}"),
        None => error.root_cause().to_string(),
    };
    let message = match error.downcast_ref::<WasmBacktrace>() {
        Some(backtrace) => format!("{headline}\n{}", describe_backtrace(backtrace)),
        None => headline,
    };
    RunStatus::Failed { exit_code: None, message }
}

/// A short wasm backtrace: function names, repeated frames folded, at most 10 lines.
fn describe_backtrace(backtrace: &WasmBacktrace) -> String {
    const MAX_LINES: usize = 10;
    let mut lines: Vec<(String, usize)> = Vec::new();
    for frame in backtrace.frames() {
        let name = match frame.func_name() {
            Some(name) => name.to_owned(),
            None => format!("<function {}>", frame.func_index()),
        };
        match lines.last_mut() {
            Some((last, count)) if *last == name => *count += 1,
            _ => lines.push((name, 1)),
        }
    }
    let mut text = String::from("wasm backtrace:");
    for (name, count) in lines.iter().take(MAX_LINES) {
        text.push_str("\n  at ");
        text.push_str(name);
        if *count > 1 {
            text.push_str(&format!(" (\u{d7}{count})"));
        }
    }
    if lines.len() > MAX_LINES {
        text.push_str(&format!("\n  … {} more", lines.len() - MAX_LINES));
    }
    text
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
    } else if let (Some(workspace), Some(cache)) = (&policy.workspace, &config.cache_dir)
        && crate::trust::overlaps(workspace, cache)
    {
        // The cache holds its sealing key: a program that could read or write it
        // could plant native code for the next run.
        Some(format!(
            "the workspace {} overlaps the compiled-code cache {}; a program could plant code there",
            workspace.display(),
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

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let engine = engine.weak();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("sluice-epoch".to_owned())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .expect("the epoch thread starts");
        EpochTicker { stop, thread: Some(thread) }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_components_are_named_for_what_they_are() {
        assert!(matches!(check_format(b""), Err(LoadError::NotWasm(m)) if m.contains("empty")));
        assert!(matches!(check_format(b"\x7fELF\x02\x01"), Err(LoadError::NotWasm(m)) if m.contains("magic")));
        assert!(matches!(check_format(b"\0asm\x0d\0\x01\0"), Err(LoadError::NotWasm(m)) if m.contains("component")));
        assert!(matches!(check_format(b"\0as"), Err(LoadError::NotWasm(_))));
        assert!(check_format(b"\0asm\x01\0\0\0").is_ok());
        assert!(check_format(b"  (module)").is_ok());
        assert!(check_format(b";; a comment\n(; block ;) (module)").is_ok());
        assert!(matches!(check_format(b";; only a comment"), Err(LoadError::NotWasm(_))));
    }

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
}
