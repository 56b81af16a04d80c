//! Run latency of a small Rust guest making one in-process tool call: p50, p99, runs per second, cold start.
//!
//! Run with `make bench` (or `cargo bench --bench run_latency`). Prints a table
//! and writes it to `target/bench/run_latency.md`. Each run gets a fresh store and
//! instance from the pre-instantiated, cached module, as a server would.

#[path = "../tests/all/guest_build.rs"]
mod guest_build;

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sluice::{
    ExecutionPolicy, InProcessTools, RunStatus, Runtime, RuntimeConfig, ToolDefinition, ToolHost, ToolResult,
};

const WARMUP: usize = 200;
const RUNS: usize = 5_000;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guests = guest_build::build_guest_crate(root, "tests/programs/Cargo.toml").unwrap_or_else(|e| panic!("{e}"));
    let wasm = std::fs::read(guests.join("one_call.wasm")).expect("one_call.wasm was built");
    let tools: Arc<dyn ToolHost> = Arc::new(InProcessTools::new().with_tool(
        "demo",
        ToolDefinition::new("echo", "Returns its arguments.", json!({ "type": "object" })),
        |args| async move { Ok(ToolResult::structured(Value::Object(args))) },
    ));
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();

    // Cold: a new runtime with an empty disk cache compiles; a second one loads from disk.
    let cache = tempfile::tempdir().unwrap();
    let config = RuntimeConfig::default().with_cache_dir(cache.path());
    let started = Instant::now();
    let cold_runtime = Runtime::new(config.clone()).unwrap();
    let program = cold_runtime.load("one_call.wasm", &wasm).unwrap();
    let first = tokio.block_on(program.run(&ExecutionPolicy::default(), tools.clone())).unwrap();
    assert_eq!(first.status, RunStatus::Ok, "{first:?}");
    let cold_compile = started.elapsed();
    let started = Instant::now();
    let warm_runtime = Runtime::new(config).unwrap();
    let program = warm_runtime.load("one_call.wasm", &wasm).unwrap();
    tokio.block_on(program.run(&ExecutionPolicy::default(), tools.clone())).unwrap();
    let cold_from_disk = started.elapsed();

    // Hot: repeated runs of the loaded program.
    let policy = ExecutionPolicy::default();
    let mut samples = Vec::with_capacity(RUNS);
    let total = Instant::now();
    for i in 0..WARMUP + RUNS {
        let started = Instant::now();
        let outcome = tokio.block_on(program.run(&policy, tools.clone())).unwrap();
        let elapsed = started.elapsed();
        assert_eq!(outcome.status, RunStatus::Ok);
        if i >= WARMUP {
            samples.push(elapsed);
        }
    }
    let wall = total.elapsed();
    samples.sort();
    let percentile = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    let micros = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6);

    let mut table = String::new();
    writeln!(table, "| measure (one_call.wasm, {} bytes; {RUNS} runs) | value |", wasm.len()).unwrap();
    writeln!(table, "|---|---|").unwrap();
    writeln!(table, "| p50 run (fresh store + instance, one tool call) | {} |", micros(percentile(0.50))).unwrap();
    writeln!(table, "| p99 run | {} |", micros(percentile(0.99))).unwrap();
    writeln!(table, "| runs per second (one thread) | {:.0} |", (WARMUP + RUNS) as f64 / wall.as_secs_f64()).unwrap();
    writeln!(table, "| cold: new runtime, compile, first run | {:.1} ms |", cold_compile.as_secs_f64() * 1e3).unwrap();
    writeln!(table, "| cold: new runtime, disk cache, first run | {:.1} ms |", cold_from_disk.as_secs_f64() * 1e3)
        .unwrap();
    print!("{table}");
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("run_latency.md"), table).unwrap();
}
