//! Shared fixtures: one runtime per test process, the demo tool server, program paths, guest builds, polling with a deadline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use sluice::RunControl;
use sluice::{
    ExecutionPolicy, InProcessTools, Program, RunOutcome, RunStatus, Runtime, RuntimeConfig, ToolDefinition, ToolHost,
    ToolResult,
};

/// Polls `check` every 20 ms until it holds, failing the test after `limit`.
pub async fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !check() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One runtime shared by every test, as a long-lived process would share it.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let mut config = RuntimeConfig::default();
        config.max_concurrent_runs = 400;
        config.max_memory_bytes = 1 << 30;
        Runtime::new(config).expect("the test runtime starts")
    })
}

/// A program from `tests/programs/wat/`.
pub fn wat(name: &str) -> PathBuf {
    root().join("tests/programs/wat").join(name)
}

pub fn load_wat(name: &str) -> Program {
    runtime().load_file(wat(name)).unwrap_or_else(|e| panic!("{name} loads: {e}"))
}

pub async fn run(program: &Program, policy: &ExecutionPolicy, tools: Arc<dyn ToolHost>) -> RunOutcome {
    program.run(policy, tools, &RunControl::new()).await.expect("the run starts")
}

/// What the run failed with (for the JavaScript sandbox, the uncaught exception and its stack).
pub fn failure(outcome: &RunOutcome) -> String {
    outcome.error_message().unwrap_or_default().to_owned()
}

pub fn stdout(outcome: &RunOutcome) -> String {
    String::from_utf8_lossy(&outcome.stdout).into_owned()
}

/// After anything hostile, the same process still runs a normal program correctly.
pub async fn assert_still_healthy() {
    let outcome = run(&load_wat("hello.wat"), &ExecutionPolicy::default(), Arc::new(sluice::NoTools)).await;
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
    assert_eq!(stdout(&outcome), "hello, sluice\n");
}

/// Records how many calls of a tool were in flight at once.
#[derive(Debug, Default)]
pub struct ConcurrencyProbe {
    current: AtomicUsize,
    pub max: AtomicUsize,
    pub arrived: AtomicUsize,
    changed: tokio::sync::Notify,
}

impl ConcurrencyProbe {
    /// Enters, waits until `expected` calls have arrived (or a generous bound
    /// passes, so a broken guest fails the assertion instead of hanging), leaves.
    pub async fn visit(&self, expected: usize) {
        let now = self.current.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        self.arrived.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
        let all_arrived = async {
            loop {
                let notified = self.changed.notified();
                if self.arrived.load(Ordering::SeqCst) >= expected {
                    break;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(20), all_arrived).await;
        self.current.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The `demo` server the guest programs in `tests/programs` expect: `echo`,
/// `add`, `fail`, and `probe-concurrency`, which waits for `expected` callers.
pub fn demo_tools(probe: Arc<ConcurrencyProbe>, expected: usize) -> InProcessTools {
    let object = |properties: Value| json!({ "type": "object", "properties": properties });
    InProcessTools::new()
        .with_server("demo", "Tools for testing the sandbox")
        .with_tool(
            "demo",
            ToolDefinition::new("echo", "Returns its arguments.", object(json!({}))),
            |args| async move { Ok(ToolResult::structured(Value::Object(args))) },
        )
        .with_tool(
            "demo",
            ToolDefinition::new(
                "add",
                "Adds two numbers and returns their sum.",
                object(json!({ "a": { "type": "number" }, "b": { "type": "number" } })),
            ),
            |args| async move {
                let sum = args["a"].as_f64().unwrap_or(0.0) + args["b"].as_f64().unwrap_or(0.0);
                Ok(ToolResult::structured(json!({ "sum": sum })))
            },
        )
        .with_tool("demo", ToolDefinition::new("fail", "Always fails.", object(json!({}))), |_| async {
            Ok(ToolResult::error("boom"))
        })
        .with_tool(
            "demo",
            ToolDefinition::new("probe-concurrency", "Records concurrency.", object(json!({}))),
            move |_| {
                let probe = probe.clone();
                async move {
                    probe.visit(expected).await;
                    Ok(ToolResult::structured(json!({ "ok": true })))
                }
            },
        )
}

/// Builds the guest crate at `manifest` (relative to the root) once per test
/// process and returns the path of its program `bin`.
pub fn guest(manifest: &str, bin: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, Result<PathBuf, String>>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    let result = built
        .get_or_insert_with(HashMap::new)
        .entry(manifest.to_owned())
        .or_insert_with(|| crate::guest_build::build_guest_crate(root(), manifest));
    match result {
        Ok(dir) => dir.join(format!("{bin}.wasm")),
        Err(message) => panic!("{message}"),
    }
}

/// A program from `tests/programs` (Rust, built on first use).
pub fn test_program(bin: &str) -> Program {
    let path = guest("tests/programs/Cargo.toml", bin);
    runtime().load_file(&path).unwrap_or_else(|e| panic!("{bin} loads: {e}"))
}
