//! The peers' workloads (W1, W2, cold, parked memory) run on Sluice's library, printing `RESULT {json}` lines as the peers' harnesses do.
//!
//! Built and run by `benches/peers/run.sh` (`make bench-peers`), which hands it to
//! the shared harness (`../shared/peers`, see its README) as `sluice-peer-bench`.
//! Modes, as the harness calls them:
//! - none: W1 (one tool call, log the result; 20 warm-up, 2,000 timed) and W2 (the
//!   10,000 issues as 3.6 MB of JSON text, parsed and filtered; 5 warm-up, 50 timed);
//! - `structured`: the same with W2's result as MCP `structuredContent`;
//! - `once`: one W1, for the harness's whole-process cold start;
//! - `w1`: W1 only (for profiling a run); `w2`: W2 alone (one W1 run after the warm-up), for profiling it;
//! - `w1-after-w2`: W1 timed after five W2 runs, in pool slots that held them, as
//!   in a server whose programs are mostly small (`benches/peers/run.sh` prints it
//!   under the table); its result carries `trimmed_mib`, the slot memory given back
//!   (`Runtime::trimmed_bytes`);
//! - `throughput`: W1 with 32 runs in flight on the 2 workers, 20,000 runs after
//!   1,000 untimed; runs per second, as a server under load sees them;
//! - `park K`: K programs parked on a tool that has not answered, their memory set
//!   aside (`RuntimeConfig::hibernate_after`; `SLUICE_HIBERNATE=off` keeps it resident); RSS per program.
//!
//! W1 and W2 results carry `faults_per_run`, the minor page faults per timed run,
//! the whole process's: memory given back to the kernel and faulted in again at
//! every run (by the pool's reset, which keeps at most 32 written ranges of an
//! instance resident, or by the host's allocator, which returns large freed
//! buffers) shows here before it shows in the times.
//!
//! A multi-thread tokio runtime (2 workers), as a server embeds it, W1 and W2 timed
//! inside a task on it as a server's request handler runs them; `SLUICE_RT=current`
//! for a current-thread one. The data set is the harness's: `$PEERS_TMP` (default
//! `/tmp/peers`)`/data/issues.json` and `expected_w2.json`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sluice::{
    ExecutionPolicy, InProcessTools, JavaScript, RunControl, RunStatus, Runtime, RuntimeConfig, ToolDefinition,
    ToolHost, ToolResult,
};

/// The allocator the `sluice` binary uses (Cargo.toml's `jemalloc` feature says why).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const W1: &str = "const r = await tools.demo.echo({a:1}); console.log(JSON.stringify(r));";
const W2: &str = "const issues = await tools.demo.list_issues({});\
 const m = issues.filter(i => i.state === 'open' && i.labels.includes('bug') && i.comments > 10);\
 console.log(JSON.stringify({count: m.length, titles: m.slice(0, 5).map(i => i.title)}));";
const PARK: &str = "const r = await tools.demo.slow({}); console.log(r);";

/// Runs in flight at once in `throughput` mode, and how many are timed.
const IN_FLIGHT: usize = 32;
const THROUGHPUT_RUNS: usize = 20_000;

/// Median, p99 and friends of millisecond timings, as the harness's table reads them.
fn stats(mut xs: Vec<f64>) -> Value {
    xs.sort_by(f64::total_cmp);
    let q = |p: f64| xs[((p * xs.len() as f64).ceil() as usize).clamp(1, xs.len()) - 1];
    json!({"n": xs.len(), "median": q(0.5), "p99": q(0.99), "min": xs[0], "max": xs[xs.len() - 1],
           "mean": xs.iter().sum::<f64>() / xs.len() as f64})
}

/// The process's resident set and its peak, in MiB.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux's /proc");
    let field = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The process's minor page faults so far (all threads): a run whose memory
/// the pool's reset gave back to the kernel faults it in again.
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux's /proc");
    // Fields after the command's closing parenthesis; minflt is the 10th field in all, the 8th after it.
    let after = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
    after.split_whitespace().nth(7).and_then(|field| field.parse().ok()).unwrap_or(0)
}

/// The process's proportional set size in MiB: shared pages (the interpreter's
/// memory image, mapped into every pool slot) counted once in all, not once per mapping as in RSS.
fn pss_mib() -> f64 {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    rollup
        .lines()
        .find_map(|line| line.strip_prefix("Pss:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// `echo`, `list_issues` (text or structured) and `slow`, which answers once `gate` has a permit.
/// The data set is read and parsed only for W2 (`w2`): parsing 3.6 MB of JSON is no
/// part of a cold start.
fn tools(
    data: &str,
    w2: bool,
    structured: bool,
    gate: Arc<tokio::sync::Semaphore>,
    waiting: Arc<AtomicUsize>,
) -> Arc<dyn ToolHost> {
    let text =
        if w2 { std::fs::read_to_string(format!("{data}/issues.json")).unwrap_or_default() } else { String::new() };
    // The peers' host hands over the one value it holds, with no copy per call;
    // a ToolResult owns its text or value, so copies are made ahead, off the
    // timed path, each as if it had just arrived.
    let (ready, results) = tokio::sync::mpsc::channel::<ToolResult>(2);
    if w2 {
        std::thread::spawn(move || {
            if structured {
                let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                while ready.blocking_send(ToolResult::structured(parsed.clone())).is_ok() {}
            } else {
                while ready.blocking_send(ToolResult::text(text.clone())).is_ok() {}
            }
        });
    }
    let results = Arc::new(tokio::sync::Mutex::new(results));
    let object = || json!({"type": "object"});
    Arc::new(
        InProcessTools::new()
            .with_tool("demo", ToolDefinition::new("echo", "Echo.", object()), |args| async move {
                Ok(ToolResult::structured(Value::Object(args)))
            })
            .with_tool("demo", ToolDefinition::new("list_issues", "Issues.", object()), move |_| {
                let results = results.clone();
                async move { Ok(results.lock().await.recv().await.expect("results are made while W2 runs")) }
            })
            .with_tool("demo", ToolDefinition::new("slow", "Waits.", object()), move |_| {
                let (gate, waiting) = (gate.clone(), waiting.clone());
                async move {
                    waiting.fetch_add(1, Ordering::SeqCst);
                    gate.acquire().await.expect("the gate is never closed").forget();
                    Ok(ToolResult::text("done"))
                }
            }),
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let current_thread = std::env::var("SLUICE_RT").as_deref() == Ok("current");
    let rt = if current_thread {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
    }
    .expect("a tokio runtime");
    let peers = std::env::var("PEERS_TMP").unwrap_or_else(|_| "/tmp/peers".into());
    let data = format!("{peers}/data");
    let cache = std::env::var("SLUICE_CACHE_DIR").unwrap_or_else(|_| format!("{peers}/cache/sluice"));
    let parked: usize = args.next().and_then(|k| k.parse().ok()).unwrap_or(1000);
    let mut config = RuntimeConfig::default().with_cache_dir(&cache);
    if mode == "park" {
        config.max_concurrent_runs = u32::try_from(parked + 100).expect("a pool size");
    } else if mode == "throughput" {
        config.max_concurrent_runs = IN_FLIGHT as u32;
    } else if mode == "once" {
        // One program in a fresh process, as `sluice run` sizes it.
        config.max_concurrent_runs = 1;
    }
    // `SLUICE_HIBERNATE=off`: waiting programs stay resident, for comparison.
    if std::env::var("SLUICE_HIBERNATE").as_deref() == Ok("off") {
        config.hibernate_after = None;
    }
    let config_hibernates = config.hibernate_after.is_some();
    let runtime = Runtime::new(config).expect("the runtime starts");
    let js = Arc::new(rt.block_on(JavaScript::load(&runtime)).expect("the interpreter loads"));
    let policy = ExecutionPolicy::default();
    // Parked programs wait on a semaphore with no permits; adding k permits wakes them all.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let waiting = Arc::new(AtomicUsize::new(0));
    let w2 = !matches!(mode.as_str(), "once" | "park" | "w1" | "throughput");
    let w2_loops = if matches!(mode.as_str(), "w1" | "w1-after-w2") { 0 } else { 55 };
    let host = tools(&data, w2, mode == "structured", gate.clone(), waiting.clone());
    let expected_w2 = std::fs::read_to_string(format!("{data}/expected_w2.json")).unwrap_or_default();
    let control = RunControl::new();
    let run = |source: &'static str| {
        let outcome = rt.block_on(js.run("bench.js", source, &policy, host.clone(), &control)).expect("the run starts");
        assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
        String::from_utf8_lossy(&outcome.stdout).trim().to_owned()
    };
    match mode.as_str() {
        "once" => println!("{}", run(W1)),
        "throughput" => {
            let (js, policy, host) = (js.clone(), policy.clone(), host.clone());
            let timed = async move {
                let runs = |count: usize| {
                    let next = Arc::new(AtomicUsize::new(0));
                    let started = Instant::now();
                    let workers: Vec<_> = (0..IN_FLIGHT)
                        .map(|_| {
                            let (js, policy, host, next) = (js.clone(), policy.clone(), host.clone(), next.clone());
                            tokio::spawn(async move {
                                while next.fetch_add(1, Ordering::Relaxed) < count {
                                    let outcome =
                                        js.run("bench.js", W1, &policy, host.clone(), &RunControl::new()).await;
                                    let outcome = outcome.expect("the run starts");
                                    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
                                }
                            })
                        })
                        .collect();
                    async move {
                        for worker in workers {
                            worker.await.expect("a worker finishes");
                        }
                        started.elapsed().as_secs_f64()
                    }
                };
                runs(1_000).await;
                let seconds = runs(THROUGHPUT_RUNS).await;
                json!({"runs": THROUGHPUT_RUNS, "in_flight": IN_FLIGHT, "seconds": seconds,
                    "runs_per_second": THROUGHPUT_RUNS as f64 / seconds})
            };
            let throughput = rt.block_on(rt.spawn(timed)).expect("the timed runs finish");
            println!("RESULT {}", json!({"peer": "sluice", "throughput": throughput}));
        }
        "park" => {
            let (before, pss_before) = (rss_mib().0, pss_mib());
            let started = Instant::now();
            let handles: Vec<_> = (0..parked)
                .map(|_| {
                    let (js, policy, host) = (js.clone(), policy.clone(), host.clone());
                    rt.spawn(async move { js.run("park.js", PARK, &policy, host, &RunControl::new()).await })
                })
                .collect();
            // Every program has made its call once the tool has counted it (polled, with a deadline).
            let deadline = Instant::now() + Duration::from_secs(120);
            while waiting.load(Ordering::SeqCst) < parked && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            // And, unless that is off, every one has had its memory set aside.
            while config_hibernates && (runtime.hibernated().programs as usize) < parked && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let hibernated = runtime.hibernated();
            let (rss_parked, pss_parked) = (rss_mib().0, pss_mib());
            // Where the parked programs' memory is, for a closer look (`PARK_SMAPS=file`).
            if let Ok(path) = std::env::var("PARK_SMAPS") {
                std::fs::copy("/proc/self/smaps", path).expect("smaps is copied");
            }
            let seconds = started.elapsed().as_secs_f64();
            let parked_count = waiting.load(Ordering::SeqCst);
            gate.add_permits(parked);
            let ok = handles
                .into_iter()
                .map(|handle| rt.block_on(handle))
                .filter(|joined| matches!(joined, Ok(Ok(outcome)) if outcome.status == RunStatus::Ok))
                .count();
            let park = json!({"k": parked, "ok": ok, "parked": parked_count,
                "mib_per_parked": (rss_parked - before) / parked as f64, "rss_parked_mib": rss_parked, "seconds": seconds,
                "pss_mib_per_parked": (pss_parked - pss_before) / parked as f64, "pss_parked_mib": pss_parked,
                "hibernated": hibernated.programs, "hibernated_kib_per_parked": hibernated.bytes as f64 / 1024.0 / parked as f64});
            println!("RESULT {}", json!({"peer": "sluice", "park": park}));
        }
        _ => {
            // Timed inside a task on the runtime, where a server's request
            // handler runs its programs (on a worker, so a tool call's task and
            // the run need no wake-up across threads to reach each other).
            let (js, policy, host, mode) = (js.clone(), policy.clone(), host.clone(), mode.clone());
            let trims = runtime.clone();
            let timed = async move {
                let run = |source: &'static str| {
                    let (js, policy, host) = (js.clone(), policy.clone(), host.clone());
                    async move {
                        let outcome = js.run("bench.js", source, &policy, host, &RunControl::new()).await;
                        let outcome = outcome.expect("the run starts");
                        assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
                        String::from_utf8_lossy(&outcome.stdout).trim().to_owned()
                    }
                };
                for _ in 0..20 {
                    assert_eq!(run(W1).await, "{\"a\":1}");
                }
                if mode == "w1-after-w2" {
                    for _ in 0..5 {
                        assert_eq!(run(W2).await, expected_w2.trim());
                    }
                }
                let w1_runs = if mode == "w2" { 1 } else { 2000 };
                let mut w1 = Vec::with_capacity(w1_runs);
                let faults = minor_faults();
                for _ in 0..w1_runs {
                    let sent = Instant::now();
                    let out = run(W1).await;
                    w1.push(sent.elapsed().as_secs_f64() * 1e3);
                    assert_eq!(out, "{\"a\":1}");
                }
                let w1_faults = (minor_faults() - faults) as f64 / w1_runs as f64;
                let mut w2 = Vec::with_capacity(50);
                let mut faults = 0;
                for i in 0..w2_loops {
                    if i == 5 {
                        faults = minor_faults();
                    }
                    let sent = Instant::now();
                    let out = run(W2).await;
                    if i >= 5 {
                        w2.push(sent.elapsed().as_secs_f64() * 1e3);
                    }
                    assert_eq!(out, expected_w2.trim());
                }
                let mut label = if mode == "structured" { "sluice (structuredContent)" } else { "sluice" }.to_owned();
                if current_thread {
                    label.push_str(" [current-thread rt]");
                }
                let w2_faults = (!w2.is_empty()).then(|| (minor_faults() - faults) as f64 / w2.len() as f64);
                let w2 = if w2.is_empty() { Value::Null } else { stats(w2) };
                json!({"peer": label, "version": "checkout", "w1": stats(w1), "w2": w2,
                    "proc_peak_rss_mib": rss_mib().1, "faults_per_run": {"w1": w1_faults, "w2": w2_faults},
                    "trimmed_mib": trims.trimmed_bytes() as f64 / (1 << 20) as f64})
            };
            let result = rt.block_on(rt.spawn(timed)).expect("the timed runs finish");
            println!("RESULT {result}");
        }
    }
}
