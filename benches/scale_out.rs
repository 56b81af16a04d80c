//! Several `sluice serve` instances on one Redis: 1,000 task-augmented programs spread over three instances and each polled through another, against one instance with in-memory state.
//!
//! Run with `make bench` (or `cargo bench --bench scale_out`). Prints a table
//! and writes it to `target/bench/scale_out.md`. The instances run in this
//! process, each assembled as `sluice serve --http 127.0.0.1:0 --state
//! redis+unix://...` assembles it (its own `Sluice`, HTTP listener and Redis
//! connections; one shared interpreter runtime, as the process has one pool).
//! Redis is the benchmark's own `redis-server` on a Unix socket. Every program
//! waits on an in-process tool that takes 200 ms, so the figures are the cost
//! of the task machinery around a known wait.

#![forbid(unsafe_code)]

// Modules shared with the other benches; each uses a part.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "common/mcp_client.rs"]
mod mcp_client;

#[path = "../tests/all/redis_server.rs"]
mod redis_server;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Samples;
use futures::StreamExt as _;
use mcp_client::Client;
use redis_server::RedisServer;
use serde_json::{Value, json};
use sluice::serve::http::HttpConfig;
use sluice::serve::tasks::{MemoryTaskStore, RedisConfig, RedisTaskStore, SharedTaskStore};
use sluice::serve::{ServeConfig, Sluice};
use sluice::{InProcessTools, Launcher, Runtime, RuntimeConfig, ToolDefinition, ToolHost, ToolResult};

const TASKS: usize = 1_000;
const INSTANCES: usize = 3;
/// How long the slow tool keeps every program waiting.
const SLOW_TOOL: Duration = Duration::from_millis(200);

/// One instance serving until `stop` is dropped.
struct Instance {
    client: Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn start(
    tokio: &tokio::runtime::Runtime,
    launcher: &Arc<Launcher>,
    tools: &Arc<dyn ToolHost>,
    store: SharedTaskStore,
) -> Instance {
    let mut config = ServeConfig::default();
    config.max_runs = TASKS + 100;
    config.max_runs_per_client = TASKS + 100;
    config.max_tasks_per_client = 4 * TASKS;
    let sluice = Arc::new(Sluice::new(launcher.clone(), tools.clone(), store, config));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (bound_tx, bound_rx) = std::sync::mpsc::channel();
    let mut http = HttpConfig::default();
    http.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    tokio.spawn(sluice::serve::http::serve(
        sluice,
        http,
        async move {
            let _ = stopped.await;
        },
        move |address| bound_tx.send(address).expect("the benchmark waits for the address"),
    ));
    let address = bound_rx.recv_timeout(Duration::from_secs(30)).expect("the instance binds");
    let client = Client::new(address, TASKS + 64);
    tokio.block_on(client.initialize("scale-bench"));
    Instance { client, _stop: stop }
}

/// What one round of [`TASKS`] programs measured.
struct Round {
    /// From each task's `tools/call` to its result in hand.
    latency: Samples,
}

/// Creates [`TASKS`] programs as 2025-11-25 tasks, task `n` through instance
/// `n % len`, then waits for each one's result through the next instance
/// (`tasks/result`) and checks its state through the one after
/// (`tasks/get`). Panics if any task is lost, failed or answered with another's output.
async fn round(instances: &[Client]) -> Round {
    let started = Instant::now();
    let timings: Vec<(usize, Duration)> = futures::stream::iter(0..TASKS)
        .map(|n| {
            let create = instances[n % instances.len()].clone();
            let fetch = instances[(n + 1) % instances.len()].clone();
            let check = instances[(n + 2) % instances.len()].clone();
            async move {
                let sent = Instant::now();
                let code = format!("const {{ n }} = await tools.bench.slow({{ n: {n} }});\nconsole.log(n);\n");
                let params = json!({ "name": "execute", "arguments": { "code": code }, "task": { "ttl": 600_000 } });
                let created = create.call("tools/call", params).await;
                assert_eq!(created["task"]["status"], "working", "{created}");
                let id = created["task"]["taskId"].as_str().expect("a task id").to_owned();
                let result = fetch.call("tasks/result", json!({ "taskId": id })).await;
                let took = sent.elapsed();
                assert_eq!(result["content"][0]["text"], format!("{n}\n"), "{result}");
                let task = check.call("tasks/get", json!({ "taskId": id })).await;
                assert_eq!(task["status"], "completed", "{task}");
                (n, took)
            }
        })
        .buffer_unordered(TASKS)
        .collect()
        .await;
    let total = started.elapsed();
    let mut seen = vec![false; TASKS];
    for (n, _) in &timings {
        assert!(!std::mem::replace(&mut seen[*n], true), "task {n} answered twice");
    }
    assert!(seen.iter().all(|&s| s), "every task completed");
    Round { latency: Samples::new(timings.into_iter().map(|(_, took)| took).collect(), total) }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut runtime_config = RuntimeConfig::default().with_cache_dir(cache.path());
    runtime_config.max_concurrent_runs = (TASKS + 100) as u32;
    let launcher = Arc::new(Launcher::new(Runtime::new(runtime_config).expect("the runtime starts")));
    tokio.block_on(launcher.javascript()).expect("the interpreter is prepared");
    let tools: Arc<dyn ToolHost> = Arc::new(InProcessTools::new().with_server("bench", "Benchmark tools").with_tool(
        "bench",
        ToolDefinition::new("slow", "Answers its arguments after a while.", json!({ "type": "object" })),
        |args| async move {
            tokio::time::sleep(SLOW_TOOL).await;
            Ok(ToolResult::structured(Value::Object(args)))
        },
    ));

    let redis = RedisServer::start();
    let shared: Vec<Instance> = (0..INSTANCES)
        .map(|_| {
            let mut config = RedisConfig::new(redis.url());
            config.max_per_owner = 4 * TASKS;
            let store = {
                let _entered = tokio.enter();
                Arc::new(RedisTaskStore::new(config).expect("a Redis store"))
            };
            start(&tokio, &launcher, &tools, store)
        })
        .collect();
    let clients: Vec<Client> = shared.iter().map(|instance| instance.client.clone()).collect();
    // A warm-up round, so connections and pools exist; then Redis's memory is read before the measured round.
    tokio.block_on(round(&clients));
    let before = redis.used_memory();
    let on_redis = tokio.block_on(round(&clients));
    let per_task = redis.used_memory().saturating_sub(before) as f64 / TASKS as f64;
    drop(shared);

    let one = start(&tokio, &launcher, &tools, Arc::new(MemoryTaskStore::new(4 * TASKS)));
    let single = [one.client.clone()];
    tokio.block_on(round(&single));
    let in_memory = tokio.block_on(round(&single));

    let millis = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    let mut table = format!(
        "{TASKS} task-augmented programs, each waiting {} ms on a tool, all at once; each created through one \
         instance, its result awaited through another and its state read through a third.\n\n\
         | state | instances | tasks per second | p50 submit → result | p99 submit → result | Redis memory per finished task |\n\
         |---|---|---|---|---|---|\n",
        SLOW_TOOL.as_millis()
    );
    let mut row = |state: &str, instances: usize, round: &Round, memory: String| {
        writeln!(
            table,
            "| {state} | {instances} | {:.0} | {} | {} | {memory} |",
            round.latency.per_second(),
            millis(round.latency.percentile(0.5)),
            millis(round.latency.percentile(0.99)),
        )
        .unwrap();
    };
    row("redis", INSTANCES, &on_redis, format!("{:.0} bytes", per_task));
    row("memory", 1, &in_memory, "–".to_owned());
    print!("{table}");
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("scale_out.md"), table).unwrap();
}
