//! The [`Runtime`]: engine, instance pool, linker, module cache and epoch ticker, shared by every run.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wasmtime::{Engine, Linker, Module, PoolingAllocationConfig, Store, UpdateDeadline};

use super::ending::timeout;
use super::program::Program;
use super::trim::Tidying;
use super::{RunState, abi, hibernate, workspace};
use crate::module_cache::{CompileSource, ModuleCache};
use crate::{LoadError, RuntimeError};

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
    /// Larger pools (10,000 is measured: `benches/peers`, `park` mode) reserve address
    /// space, not memory: a slot costs only the pages its run touches, ~1.1 MiB of
    /// RSS for a JavaScript program waiting on a tool call, ~70 KB once its memory
    /// is set aside ([`RuntimeConfig::hibernate_after`]).
    pub max_concurrent_runs: u32,
    /// The largest memory any policy may grant. Default: 4 GiB.
    pub max_memory_bytes: u64,
    /// The largest table any policy may grant. Default: 100,000 elements.
    pub max_table_elements: u64,
    /// WebAssembly stack per run; deeper recursion traps. Default: 8 MiB, which
    /// lets QuickJS's own stack check (a catchable `RangeError`) fire first.
    pub max_wasm_stack: usize,
    /// Memory a finished run's pool slot keeps mapped, reset in place for the
    /// next run instead of being returned to the kernel and faulted back in.
    /// Where Linux has `PAGEMAP_SCAN` (6.7 and later) only the pages the
    /// slot's runs wrote are reset and kept (all of them, after every run: the
    /// kernel cannot tell this run's from an earlier one's, so a JavaScript
    /// slot gives back what a large run left once small runs follow,
    /// [`Runtime::trimmed_bytes`]); elsewhere the lowest this many bytes of the
    /// slot are, touched or not (a JavaScript run's interpreter heap is ~4.4
    /// MiB). The price is resident memory: up to this much per slot that has
    /// ever held a run, so at most peak concurrent runs × this.
    /// Default: 16 MiB; 0 returns all of a finished run's memory to the kernel.
    pub keep_resident_bytes: u64,
    /// A program waiting on its operations (tool calls, timers) for longer than
    /// this sets its memory aside until the wait ends: the host keeps only the
    /// bytes in which it differs from the module's memory image, and the pages
    /// go back to the kernel (`src/sandbox/hibernate.rs`; Linux, with
    /// `/proc/self/pagemap`). A parked JavaScript program then holds ~70 KB
    /// of RSS (11 KB of it the kept bytes) instead of ~1.1 MiB; setting aside
    /// and waking cost ~0.5 ms of CPU together. Default: 500 ms; `None`: never.
    pub hibernate_after: Option<Duration>,
}

/// Programs whose memory is set aside right now ([`RuntimeConfig::hibernate_after`]):
/// [`Runtime::hibernated`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hibernated {
    /// Programs waiting with their memory set aside.
    pub programs: u64,
    /// Host bytes kept for them.
    pub bytes: u64,
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
            hibernate_after: Some(Duration::from_millis(500)),
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

/// Compiles and runs programs. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Runtime {
    pub(super) inner: Arc<RuntimeInner>,
}

pub(super) struct RuntimeInner {
    pub(super) engine: Engine,
    pub(super) linker: Linker<RunState>,
    pub(super) cache: ModuleCache,
    pub(super) config: RuntimeConfig,
    pub(super) hibernated: Arc<hibernate::Gauge>,
    pub(super) draining: Arc<Draining>,
    /// What is known of the pool slots' memories, to give back what a large run left (`trim.rs`).
    pub(super) slots: super::trim::Slots,
    _ticker: EpochTicker,
}

/// Stores of finished runs being dropped off the path that hands back their
/// outcome ([`Draining::drop_store`]): each still holds its pool slot until
/// its memory is reset, so a run that finds the pool full waits for them
/// ([`Draining::wait_for_slot`]) rather than failing.
#[derive(Default)]
pub(super) struct Draining {
    stores: AtomicUsize,
    /// Runs between [`Draining::wait_for_slot`] and the end of their
    /// instantiation: counted against the pool with its live instances, so two
    /// runs cannot both take the one slot a drained store left.
    starting: AtomicUsize,
    done: tokio::sync::Notify,
}

/// A run's claim on a pool slot, from [`Draining::wait_for_slot`] until it is
/// dropped, once its instance exists (or its instantiation failed).
pub(super) struct SlotClaim(Arc<Draining>);

impl Drop for SlotClaim {
    fn drop(&mut self) {
        self.0.starting.fetch_sub(1, Ordering::AcqRel);
        self.0.done.notify_waiters();
    }
}

/// A store dropped on a blocking thread; the count goes down once it is gone
/// (fields drop in order), also if the task never runs (the runtime is shutting down).
struct DrainingStore {
    store: Store<RunState>,
    _counted: Counted,
}

struct Counted(Arc<Draining>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.stores.fetch_sub(1, Ordering::AcqRel);
        self.0.done.notify_waiters();
    }
}

impl Draining {
    /// Drops `store` on tokio's blocking pool when `heavy` (resetting a
    /// memory a large run wrote takes ~0.7 ms for a 3.6 MB tool result's
    /// ~9 MB of heap: memset, the kernel's page scan, and returning what is
    /// not kept) or when its slot's memory is to be tidied first (`tidying`:
    /// given back or its gaps joined, up to a few hundred microseconds, once
    /// in a while; `trim.rs`), here otherwise: for a small run the hand-off
    /// costs more than the reset.
    pub(super) fn drop_store(self: &Arc<Self>, store: Store<RunState>, heavy: bool, tidying: Option<Tidying>) {
        let tokio = (heavy || tidying.is_some()).then(tokio::runtime::Handle::try_current).and_then(Result::ok);
        let give_back = |mut store: Store<RunState>, tidying: Option<Tidying>| {
            if let Some(tidying) = tidying {
                tidying.apply(&mut store);
            }
            drop(store);
        };
        let Some(tokio) = tokio else {
            give_back(store, tidying);
            return;
        };
        self.stores.fetch_add(1, Ordering::AcqRel);
        let draining = DrainingStore { store, _counted: Counted(self.clone()) };
        drop(tokio.spawn_blocking(move || {
            let DrainingStore { store, _counted } = draining;
            give_back(store, tidying);
        }));
    }

    /// Waits while every one of the pool's `slots` is taken or claimed and
    /// some are held by stores being dropped, until one of those is gone; the
    /// claim it returns is to be dropped once the run's instance exists.
    /// Returns at once when no store is being dropped: a pool full of running
    /// programs fails the instantiation as before. (A failed instantiation
    /// cannot be retried: it counts against the store's one instance.)
    pub(super) async fn wait_for_slot(self: &Arc<Self>, engine: &Engine, slots: u32) -> SlotClaim {
        loop {
            let notified = self.done.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the counts are read, so a change in between still wakes it.
            notified.as_mut().enable();
            // Claimed first, so a run checking at the same time counts this one.
            let starting = self.starting.fetch_add(1, Ordering::AcqRel) + 1;
            if self.stores.load(Ordering::Acquire) == 0 {
                return SlotClaim(self.clone());
            }
            // A run that has made its instance may still hold its claim: counted
            // twice for a moment, which only makes this wait for it to let go.
            let live = engine.pooling_allocator_metrics().map_or(0, |pool| pool.core_instances());
            if live + starting as u64 <= u64::from(slots) {
                return SlotClaim(self.clone());
            }
            // Withdrawn without waking anyone (which would wake this run too, and
            // spin it): a run this claim made wait is waiting, as this one is, for
            // a store being dropped, and each one's end wakes them all.
            self.starting.fetch_sub(1, Ordering::AcqRel);
            notified.await;
        }
    }
}

impl RuntimeInner {
    /// A store for one run: the state's limiter installed, `fuel` (or unlimited)
    /// when the runtime meters fuel, and a trap with [`LimitKind::Timeout`] once
    /// `allowed` has passed since `started`; until then a busy program yields its
    /// thread every tick.
    pub(super) fn new_store(
        &self,
        state: RunState,
        fuel: Option<u64>,
        started: Instant,
        allowed: Duration,
    ) -> Store<RunState> {
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
            // Tables likewise: a run fills the interpreter's function table lazily, and a
            // table returned to the kernel is faulted back in (read, then written) every run.
            .table_keep_resident(usize::try_from(config.keep_resident_bytes).unwrap_or(usize::MAX))
            // Reset only the pages a run wrote, not the whole kept range: 1,000 programs
            // parked at once otherwise fault in and zero ~4.4 MiB each as they end (benches/serve.rs).
            .pagemap_scan(wasmtime::Enabled::Auto)
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
        Ok(Runtime {
            inner: Arc::new(RuntimeInner {
                engine,
                linker,
                cache,
                config,
                hibernated: Default::default(),
                draining: Default::default(),
                slots: Default::default(),
                _ticker: ticker,
            }),
        })
    }

    /// Programs of this runtime whose memory is set aside right now, and the
    /// host bytes kept for them ([`RuntimeConfig::hibernate_after`]).
    pub fn hibernated(&self) -> Hibernated {
        self.inner.hibernated.read()
    }

    /// Bytes of pool slots' memory given back to the kernel so far because
    /// the runs after a large one stayed small: the pool's reset copies back
    /// every page a slot keeps after every run, so a slot where one run took in
    /// a large result would otherwise make each later run there pay for it.
    pub fn trimmed_bytes(&self) -> u64 {
        self.inner.slots.trimmed_bytes()
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
        self.program(name, module, compile_source)
    }

    /// Compiles `bytes` and keeps the compiled module under `cache_name` only,
    /// for [`Runtime::load_named`]: not also under the hash of `bytes` as
    /// [`Runtime::load`] would, which for the interpreter was a second 5 MiB
    /// entry that nothing read.
    pub(crate) fn load_and_name(&self, name: &str, bytes: &[u8], cache_name: &str) -> Result<Program, LoadError> {
        check_format(bytes)?;
        let module = Module::new(&self.inner.engine, bytes).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        self.inner.cache.put_named(cache_name, &module);
        self.program(name, module, CompileSource::Compiled)
    }

    /// The program compiled earlier under `cache_name` ([`Runtime::load_and_name`]),
    /// from this process or the disk cache, without its WebAssembly; `None` if
    /// neither has it (or it no longer links).
    pub(crate) fn load_named(&self, name: &str, cache_name: &str) -> Option<Program> {
        let (module, compile_source) = self.inner.cache.get_named(&self.inner.engine, cache_name)?;
        self.program(name, module, compile_source).ok()
    }

    /// A compiled module as a runnable program: a command (`_start`), linked.
    fn program(&self, name: &str, module: Module, compile_source: CompileSource) -> Result<Program, LoadError> {
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

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
struct EpochTicker {
    /// Dropping it wakes the thread at once to stop (a sleep would hold up the
    /// drop, and so a `sluice run`'s exit, by up to a tick).
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: &Engine) -> Self {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let engine = engine.weak();
        let thread = std::thread::Builder::new()
            .name("sluice-epoch".to_owned())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EPOCH_TICK) {
                    match engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .expect("the epoch thread starts");
        EpochTicker { stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        drop(self.stop.take());
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
}
