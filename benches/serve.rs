//! `sluice serve` under load: `execute` round trips over Streamable HTTP (one client, and 32 at once) against the same program run through the library, and 1,000 task-augmented programs parked on a slow tool at once.
//!
//! Run with `cargo bench --bench serve`. Prints a table and writes it to
//! `target/bench/serve.md`. The server runs in this process, assembled as
//! `sluice serve --http 127.0.0.1:0` assembles it (`Sluice` over a `Launcher`,
//! `serve::http::serve`), with an in-process `bench` server for tools. Clients
//! are keep-alive HTTP/1.1 connections sending stateless JSON-RPC POSTs of the
//! 2025-11-25 era after one `initialize`. The run slots are raised to 1,100 so
//! that neither 32 anonymous clients (one owner) nor 1,000 tasks are refused.

#![forbid(unsafe_code)]

mod common;
#[path = "common/mcp_client.rs"]
mod mcp_client;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Samples, measure_sequential};
use futures::StreamExt as _;
use mcp_client::Client;
use serde_json::{Value, json};
use sluice::serve::http::HttpConfig;
use sluice::serve::tasks::MemoryTaskStore;
use sluice::serve::{ServeConfig, Sluice};
use sluice::{
    ExecutionPolicy, InProcessTools, Language, Launcher, RunControl, RunStatus, Runtime, RuntimeConfig, Source,
    ToolDefinition, ToolHost, ToolResult, WorkspaceChoice,
};

const TRIVIAL_JS: &str = "console.log(1)";
/// How long the slow tool keeps every parked program waiting.
const SLOW_TOOL: Duration = Duration::from_secs(2);
const PARKED: usize = 1_000;
const CONCURRENT_CLIENTS: usize = 32;

/// Checks an `execute` result: the program ran and printed `expected`.
fn assert_printed(result: &Value, expected: &str) {
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(result["content"][0]["text"], expected, "{result}");
}

/// A line of `/proc/self/status`, in bytes (`VmRSS`, `VmHWM`).
fn memory(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux)");
    let line = status.lines().find(|line| line.starts_with(field)).unwrap_or_else(|| panic!("no {field}"));
    let kib: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a size in kB");
    kib * 1024
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut runtime_config = RuntimeConfig::default().with_cache_dir(cache.path());
    runtime_config.max_concurrent_runs = (PARKED + 100) as u32;
    let launcher = Arc::new(Launcher::new(Runtime::new(runtime_config).expect("the runtime starts")));
    let tools: Arc<dyn ToolHost> = Arc::new(InProcessTools::new().with_server("bench", "Benchmark tools").with_tool(
        "bench",
        ToolDefinition::new("slow", "Answers its arguments after a while.", json!({ "type": "object" })),
        |args| async move {
            tokio::time::sleep(SLOW_TOOL).await;
            Ok(ToolResult::structured(serde_json::Value::Object(args)))
        },
    ));
    let mut config = ServeConfig::default();
    config.max_runs = PARKED + 100;
    config.max_runs_per_client = PARKED + 100;
    config.max_tasks_per_client = 4 * PARKED;
    let store = Arc::new(MemoryTaskStore::new(config.max_tasks_per_client));
    let sluice = Arc::new(Sluice::new(launcher.clone(), tools.clone(), store, config.clone()));

    // Serve on a free loopback port until the end of the benchmark.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (bound_tx, bound_rx) = std::sync::mpsc::channel();
    let mut http = HttpConfig::default();
    http.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let server = tokio.spawn(sluice::serve::http::serve(
        sluice,
        http,
        async move {
            let _ = stopped.await;
        },
        move |address| bound_tx.send(address).expect("the benchmark waits for the address"),
    ));
    let address = bound_rx.recv_timeout(Duration::from_secs(30)).expect("the server binds");
    let started = Instant::now();
    tokio.block_on(launcher.javascript()).expect("the interpreter is prepared");
    let prepare = started.elapsed();

    let client = Client::new(address, PARKED + 64);
    tokio.block_on(client.initialize("serve-bench"));

    let micros = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6);
    let millis = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    let mebibytes = |bytes: u64| format!("{:.0} MiB", bytes as f64 / f64::from(1 << 20));
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |measure: String, value: String| rows.push((measure, value));

    // The same program through the library: bare, then as `execute` runs it (its policy, a scratch workspace).
    let source = Source::text("main.js", Language::JavaScript, TRIVIAL_JS);
    let policy = ExecutionPolicy::default().with_limits(config.limits);
    let library_run = |workspace: WorkspaceChoice| {
        let (launcher, source, policy, tools) = (launcher.clone(), source.clone(), policy.clone(), tools.clone());
        async move {
            let launched =
                launcher.run(&source, policy, &workspace, tools, &RunControl::new()).await.expect("the run starts");
            assert_eq!(launched.outcome.status, RunStatus::Ok, "{:?}", launched.outcome);
        }
    };
    let bare = measure_sequential(&tokio, 200, 2_000, || library_run(WorkspaceChoice::None), drop);
    let library = measure_sequential(&tokio, 200, 2_000, || library_run(WorkspaceChoice::Scratch), drop);

    // One client, one connection, one request at a time.
    let one = measure_sequential(
        &tokio,
        200,
        2_000,
        || {
            let client = client.clone();
            async move { client.execute(TRIVIAL_JS).await }
        },
        |result| assert_printed(&result, "1\n"),
    );

    // 32 clients at once, each one request at a time on its own connection.
    let per_client = 200;
    let concurrent = tokio.block_on(async {
        let warm = (0..CONCURRENT_CLIENTS).map(|_| client.execute(TRIVIAL_JS));
        futures::future::join_all(warm).await;
        let started = Instant::now();
        let clients = (0..CONCURRENT_CLIENTS).map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut timings = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let sent = Instant::now();
                    let result = client.execute(TRIVIAL_JS).await;
                    timings.push(sent.elapsed());
                    assert_printed(&result, "1\n");
                }
                timings
            })
        });
        let timings: Vec<Duration> =
            futures::future::join_all(clients).await.into_iter().flat_map(|joined| joined.unwrap()).collect();
        Samples::new(timings, started.elapsed())
    });

    row(format!("library: `Launcher::run` of `{TRIVIAL_JS}`, no workspace: p50"), micros(bare.percentile(0.5)));
    row("library: the same, no workspace: p99".into(), micros(bare.percentile(0.99)));
    row(
        "library: the same with a scratch workspace, as `execute` runs it: p50".into(),
        micros(library.percentile(0.5)),
    );
    row("library: the same with a scratch workspace: p99".into(), micros(library.percentile(0.99)));
    row("HTTP `execute`, one client: p50".into(), micros(one.percentile(0.5)));
    row("HTTP `execute`, one client: p99".into(), micros(one.percentile(0.99)));
    row(
        "HTTP overhead above the library run with a scratch workspace: p50".into(),
        micros(one.percentile(0.5).saturating_sub(library.percentile(0.5))),
    );
    row("HTTP `execute`, one client: requests per second".into(), format!("{:.0}", one.per_second()));
    row(format!("HTTP `execute`, {CONCURRENT_CLIENTS} clients at once: p50"), micros(concurrent.percentile(0.5)));
    row(format!("HTTP `execute`, {CONCURRENT_CLIENTS} clients at once: p99"), micros(concurrent.percentile(0.99)));
    row(
        format!("HTTP `execute`, {CONCURRENT_CLIENTS} clients at once: requests per second"),
        format!("{:.0}", concurrent.per_second()),
    );

    // 1,000 task-augmented programs, each parked on the slow tool, all at once.
    let before = memory("VmRSS:");
    // Resets the peak (VmHWM) to the current size, so the peak below is this part's alone.
    std::fs::write("/proc/self/clear_refs", "5").expect("the peak RSS can be reset (Linux)");
    let (created_all, completed_all) = tokio.block_on(park(&client));
    let peak = memory("VmHWM:");
    let parked = format!("{PARKED} task-augmented programs parked on a {} s tool", SLOW_TOOL.as_secs());
    row(format!("{parked}: all created (CreateTaskResult)"), millis(created_all));
    row(format!("{parked}: all completed, none lost (from the first request)"), millis(completed_all));
    row(format!("{parked}: peak RSS of the process (server and clients)"), mebibytes(peak));
    row(
        format!("{parked}: peak RSS above the server before them, per program"),
        format!("{:.0} KiB", peak.saturating_sub(before) as f64 / 1024.0 / PARKED as f64),
    );
    let library_parked = tokio.block_on(park_in_library(&launcher, &tools, &policy));
    row(
        format!("library: the same {PARKED} programs through `Launcher::run` at once: all completed"),
        millis(library_parked),
    );
    row("interpreter prepared (pre-initialise, compile) at start".into(), millis(prepare));

    let mut table = String::from("| measure | value |\n|---|---|\n");
    for (measure, value) in &rows {
        writeln!(table, "| {measure} | {value} |").unwrap();
    }

    let _ = stop.send(());
    tokio.block_on(server).unwrap().expect("the server shuts down cleanly");
    print!("{table}");
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("serve.md"), table).unwrap();
}

/// Starts [`PARKED`] programs as 2025-11-25 tasks, each calling the slow tool
/// with its own number and printing it, then fetches every result with
/// `tasks/result` (which waits for the end). Returns how long creating all of
/// them took and how long until the last result came back, both from the
/// first request; panics if any task is lost, failed, or printed another's number.
async fn park(client: &Client) -> (Duration, Duration) {
    let started = Instant::now();
    let ids: Vec<(usize, String)> = futures::stream::iter(0..PARKED)
        .map(|n| {
            let client = client.clone();
            async move {
                let params =
                    json!({ "name": "execute", "arguments": { "code": parked_program(n) }, "task": { "ttl": 600_000 } });
                let created = client.call("tools/call", params).await;
                assert_eq!(created["task"]["status"], "working", "{created}");
                (n, created["task"]["taskId"].as_str().expect("a task id").to_owned())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let created_all = started.elapsed();
    assert_eq!(ids.len(), PARKED);

    let finished: Vec<usize> = futures::stream::iter(ids)
        .map(|(n, id)| {
            let client = client.clone();
            async move {
                let result = client.call("tasks/result", json!({ "taskId": id })).await;
                assert_printed(&result, &format!("{n}\n"));
                assert_eq!(result["_meta"]["io.modelcontextprotocol/related-task"]["taskId"], id.as_str(), "{result}");
                let task = client.call("tasks/get", json!({ "taskId": id })).await;
                assert_eq!(task["status"], "completed", "{task}");
                n
            }
        })
        .buffer_unordered(PARKED)
        .collect()
        .await;
    let completed_all = started.elapsed();
    let mut seen = vec![false; PARKED];
    for n in finished {
        assert!(!std::mem::replace(&mut seen[n], true), "task {n} answered twice");
    }
    assert!(seen.iter().all(|&s| s), "every task completed");
    (created_all, completed_all)
}

/// The program a parked run is: it calls the slow tool with its number and prints it.
fn parked_program(n: usize) -> String {
    format!("const {{ n }} = await tools.bench.slow({{ n: {n} }});\nconsole.log(n);\n")
}

/// Runs [`PARKED`] parked programs through the library at once, each with a
/// scratch workspace as `execute` gives it; returns how long until all ended.
async fn park_in_library(launcher: &Arc<Launcher>, tools: &Arc<dyn ToolHost>, policy: &ExecutionPolicy) -> Duration {
    let started = Instant::now();
    let runs = (0..PARKED).map(|n| {
        let (launcher, tools, policy) = (launcher.clone(), tools.clone(), policy.clone());
        tokio::spawn(async move {
            let source = Source::text("main.js", Language::JavaScript, parked_program(n));
            let launched = launcher
                .run(&source, policy, &WorkspaceChoice::Scratch, tools, &RunControl::new())
                .await
                .expect("the run starts");
            assert_eq!(String::from_utf8_lossy(&launched.outcome.stdout), format!("{n}\n"), "{:?}", launched.outcome);
        })
    });
    for joined in futures::future::join_all(runs).await {
        joined.expect("every run ends");
    }
    started.elapsed()
}
