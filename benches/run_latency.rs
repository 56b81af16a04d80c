//! Run latency: a small Rust guest and JavaScript programs, each a fresh instance per run; p50, p99, runs per second, cold starts.
//!
//! Run with `make bench` (or `cargo bench --bench run_latency`). Prints a table
//! and writes it to `target/bench/run_latency.md`. Each run gets a fresh store and
//! instance from the pre-instantiated, cached module, as a server would: on a
//! current-thread runtime one after another, then on a multi-thread one (a task
//! per run, as `sluice serve` runs them) one at a time and many at once.

#![forbid(unsafe_code)]

mod common;

#[path = "../tests/all/guest_build.rs"]
mod guest_build;

use std::fmt::Write as _;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Samples, measure_sequential};
use futures::StreamExt as _;
use serde_json::{Value, json};
use sluice::{
    ExecutionPolicy, InProcessTools, JavaScript, RunControl, RunOutcome, RunStatus, Runtime, RuntimeConfig,
    ToolDefinition, ToolHost, ToolResult,
};

const TRIVIAL_JS: &str = "const { n } = await tools.demo.echo({ n: 1 });\nconsole.log(n);\n";
const FILTER_JS: &str = r#"const { issues } = await tools.demo.issues({});
const hot = issues.filter((i) => i.state === 'open' && i.labels.includes('bug') && i.comments > 10);
console.log(hot.length);
for (const issue of hot.slice(0, 5)) console.log(issue.title);
"#;

/// Worker threads of the multi-thread runtime: the reference machine's cores.
const WORKERS: usize = 2;
/// Runs timed by the concurrent measurement, and how many are in flight at once.
const CONCURRENT_RUNS: usize = 10_000;
const IN_FLIGHT: usize = 32;

/// Runs `runs` of `run` on `tokio`, `in_flight` at a time, after a warm-up of as
/// many; each run's time is from its start to its end.
fn measure_concurrent<F: Future<Output = RunOutcome> + Send + 'static>(
    tokio: &tokio::runtime::Runtime,
    runs: usize,
    in_flight: usize,
    run: impl Fn() -> F,
) -> Samples {
    let timed = |count: usize| {
        let stream = futures::stream::iter(0..count).map(|_| {
            let run = run();
            async move {
                let started = Instant::now();
                let outcome = run.await;
                assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
                started.elapsed()
            }
        });
        tokio.block_on(stream.buffer_unordered(in_flight).collect::<Vec<Duration>>())
    };
    timed(in_flight);
    let started = Instant::now();
    let timings = timed(runs);
    Samples::new(timings, started.elapsed())
}

/// Times `run` (see [`measure_sequential`]); every run must succeed.
fn measure<F: Future<Output = RunOutcome>>(
    tokio: &tokio::runtime::Runtime,
    warmup: usize,
    runs: usize,
    run: impl FnMut() -> F,
) -> Samples {
    measure_sequential(tokio, warmup, runs, run, |outcome| assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}"))
}

fn issues() -> Value {
    let records: Vec<Value> = (0..10_000u64)
        .map(|n| {
            json!({
                "number": n,
                "title": format!("Issue number {n} about the parser"),
                "state": if n % 3 == 0 { "open" } else { "closed" },
                "labels": if n % 2 == 0 { vec!["bug"] } else { vec!["enhancement", "docs"] },
                "comments": n % 23,
                "author": "someone",
            })
        })
        .collect();
    json!({ "issues": records })
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guests = guest_build::build_guest_crate(root, "tests/programs/Cargo.toml").unwrap_or_else(|e| panic!("{e}"));
    let wasm = std::fs::read(guests.join("one_call.wasm")).expect("one_call.wasm was built");
    let records = Arc::new(issues());
    let tools: Arc<dyn ToolHost> = Arc::new(
        InProcessTools::new()
            .with_tool(
                "demo",
                ToolDefinition::new("echo", "Returns its arguments.", json!({ "type": "object" })),
                |args| async move { Ok(ToolResult::structured(Value::Object(args))) },
            )
            .with_tool(
                "demo",
                ToolDefinition::new("issues", "10,000 issues.", json!({ "type": "object" })),
                move |_| {
                    let records = records.clone();
                    async move { Ok(ToolResult::structured((*records).clone())) }
                },
            ),
    );
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let policy = ExecutionPolicy::default();
    let control = RunControl::new();
    let micros = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6);
    let millis = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    let mut table = String::new();
    writeln!(table, "| measure | value |\n|---|---|").unwrap();

    // Rust guest, cold then hot.
    let cache = tempfile::tempdir().unwrap();
    let config = RuntimeConfig::default().with_cache_dir(cache.path());
    let started = Instant::now();
    let program = Runtime::new(config.clone()).unwrap().load("one_call.wasm", &wasm).unwrap();
    tokio.block_on(program.run(&policy, tools.clone(), &control)).unwrap();
    let rust_cold = started.elapsed();
    let started = Instant::now();
    let runtime = Runtime::new(config).unwrap();
    let program = runtime.load("one_call.wasm", &wasm).unwrap();
    tokio.block_on(program.run(&policy, tools.clone(), &control)).unwrap();
    let rust_from_disk = started.elapsed();
    let rust = measure(&tokio, 200, 5_000, || program.run(&policy, tools.clone(), &control).map_ok());
    writeln!(table, "| Rust guest ({} bytes), one tool call: p50 | {} |", wasm.len(), micros(rust.percentile(0.5)))
        .unwrap();
    writeln!(table, "| Rust guest, one tool call: p99 | {} |", micros(rust.percentile(0.99))).unwrap();
    writeln!(table, "| Rust guest, one tool call: runs per second (one thread) | {:.0} |", rust.per_second()).unwrap();
    writeln!(table, "| Rust guest, cold: new runtime, compile, first run | {} |", millis(rust_cold)).unwrap();
    writeln!(table, "| Rust guest, cold: new runtime, disk cache, first run | {} |", millis(rust_from_disk)).unwrap();

    // JavaScript, cold (pre-initialise and compile the interpreter) then hot.
    let js_cache = tempfile::tempdir().unwrap();
    let js_runtime = Runtime::new(RuntimeConfig::default().with_cache_dir(js_cache.path())).unwrap();
    let started = Instant::now();
    let javascript = tokio.block_on(JavaScript::load(&js_runtime)).unwrap();
    tokio.block_on(javascript.run("trivial.js", TRIVIAL_JS, &policy, tools.clone(), &control)).unwrap();
    let js_cold = started.elapsed();
    let started = Instant::now();
    let warm_runtime = Runtime::new(RuntimeConfig::default().with_cache_dir(js_cache.path())).unwrap();
    let warm = tokio.block_on(JavaScript::load(&warm_runtime)).unwrap();
    tokio.block_on(warm.run("trivial.js", TRIVIAL_JS, &policy, tools.clone(), &control)).unwrap();
    let js_from_disk = started.elapsed();
    let trivial = measure(&tokio, 100, 2_000, || {
        javascript.run("trivial.js", TRIVIAL_JS, &policy, tools.clone(), &control).map_ok()
    });
    let filter =
        measure(&tokio, 5, 60, || javascript.run("filter.js", FILTER_JS, &policy, tools.clone(), &control).map_ok());
    let interpreter = JavaScript::interpreter_size();
    writeln!(
        table,
        "| JavaScript ({interpreter} byte interpreter), one tool call: p50 | {} |",
        micros(trivial.percentile(0.5))
    )
    .unwrap();
    writeln!(table, "| JavaScript, one tool call: p99 | {} |", micros(trivial.percentile(0.99))).unwrap();
    writeln!(table, "| JavaScript, one tool call: runs per second (one thread) | {:.0} |", trivial.per_second())
        .unwrap();
    writeln!(table, "| JavaScript, filter 10,000 records from one call: p50 | {} |", millis(filter.percentile(0.5)))
        .unwrap();
    writeln!(table, "| JavaScript, cold (first ever): pre-initialise, compile, first run | {} |", millis(js_cold))
        .unwrap();
    writeln!(table, "| JavaScript, cold: new runtime, disk cache, first run | {} |", millis(js_from_disk)).unwrap();

    // The same one-call program in the runtime a server uses: multi-thread tokio, each
    // run a task on a worker; first one at a time, then many at once over both cores.
    let server = tokio::runtime::Builder::new_multi_thread().worker_threads(WORKERS).enable_all().build().unwrap();
    let javascript = Arc::new(javascript);
    let spawned = || {
        let (javascript, policy, tools) = (javascript.clone(), policy.clone(), tools.clone());
        async move {
            let run = async move { javascript.run("trivial.js", TRIVIAL_JS, &policy, tools, &RunControl::new()).await };
            tokio::spawn(run).await.expect("the run's task ends").expect("the run starts")
        }
    };
    let spawned_one_by_one = measure(&server, 100, 2_000, spawned);
    writeln!(
        table,
        "| JavaScript, one tool call, multi-thread tokio ({WORKERS} workers), one at a time: p50 | {} |",
        micros(spawned_one_by_one.percentile(0.5))
    )
    .unwrap();
    writeln!(table, "| the same: p99 | {} |", micros(spawned_one_by_one.percentile(0.99))).unwrap();
    let concurrent = measure_concurrent(&server, CONCURRENT_RUNS, IN_FLIGHT, spawned);
    writeln!(
        table,
        "| JavaScript, one tool call, multi-thread tokio, {IN_FLIGHT} at once: runs per second | {:.0} |",
        concurrent.per_second()
    )
    .unwrap();
    writeln!(table, "| the same: p50 latency of a run | {} |", micros(concurrent.percentile(0.5))).unwrap();

    print!("{table}");
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("run_latency.md"), table).unwrap();
}

/// Unwraps a run's `Result`, which a benchmark has no use for.
trait MapOk {
    fn map_ok(self) -> impl Future<Output = RunOutcome>;
}

impl<F: Future<Output = Result<RunOutcome, sluice::RunError>>> MapOk for F {
    async fn map_ok(self) -> RunOutcome {
        self.await.expect("the run starts")
    }
}
