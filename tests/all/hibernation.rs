//! Parked programs' memory set aside (`RuntimeConfig::hibernate_after`): a program
//! woken after it wakes with every byte as it left it, whatever its guest language,
//! however its wait ends.
//!
//! The tools here answer only once the runtime reports the program set aside
//! (polled with a deadline), so nothing depends on how long a wait takes.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sluice::{
    ExecutionPolicy, Hibernated, InProcessTools, JavaScript, RunControl, RunStatus, Runtime, RuntimeConfig,
    ToolDefinition, ToolHost, ToolResult,
};
use tokio::sync::OnceCell;

use crate::support::{guest, stdout, wait_until};

/// A runtime of its own (its gauge counts only these tests' programs) that sets a
/// waiting program aside after 1 ms, with the interpreter mapped from a disk cache
/// as a server has it.
async fn setup() -> &'static (Runtime, JavaScript, tempfile::TempDir) {
    static SETUP: OnceCell<(Runtime, JavaScript, tempfile::TempDir)> = OnceCell::const_new();
    SETUP
        .get_or_init(|| async {
            let cache = tempfile::tempdir().unwrap();
            let mut config = RuntimeConfig::default().with_cache_dir(cache.path());
            config.max_concurrent_runs = 8;
            config.hibernate_after = Some(Duration::from_millis(1));
            let runtime = Runtime::new(config).expect("the runtime starts");
            let js = JavaScript::load(&runtime).await.expect("the interpreter loads");
            (runtime, js, cache)
        })
        .await
}

/// The tests share one runtime and its gauge: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `demo.echo`, which answers (its arguments) once `runtime` has a program set
/// aside, and first runs `then` (to cancel the run, say).
fn echo_when_set_aside(runtime: &Runtime, then: impl Fn() + Send + Sync + 'static) -> Arc<dyn ToolHost> {
    let (runtime, then) = (runtime.clone(), Arc::new(then));
    Arc::new(InProcessTools::new().with_server("demo", "Waits").with_tool(
        "demo",
        ToolDefinition::new("echo", "Returns its arguments once the caller is set aside.", json!({ "type": "object" })),
        move |args| {
            let (runtime, then) = (runtime.clone(), then.clone());
            async move {
                wait_until("the program to be set aside", Duration::from_secs(60), || {
                    runtime.hibernated().programs == 1
                })
                .await;
                then();
                Ok(ToolResult::structured(serde_json::Value::Object(args)))
            }
        },
    ))
}

/// Builds a few megabytes of state of every kind (objects, strings, a Map, a
/// closure, a typed array that grows the memory past the interpreter's image),
/// waits on `demo.echo`, then checks all of it.
const STATEFUL: &str = r#"
const records = [];
for (let i = 0; i < 20000; i++) records.push({ i, name: 'item-' + i, tags: [i % 7, i % 11] });
const byName = new Map(records.map(r => [r.name, r]));
const bytes = new Uint8Array(4 << 20);
for (let i = 0; i < bytes.length; i += 61) bytes[i] = (i * 31) & 255;
const counter = (() => { let n = 41; return () => ++n; })();
const checksum = () => records.reduce((a, r) => (a + r.i * 3 + r.tags[0] + r.tags[1] + r.name.length) % 1000003, 0)
  + bytes.reduce((a, b) => (a + b) % 1000003, 0);
const before = checksum();
const answer = await tools.demo.echo({ n: 7, text: 'é'.repeat(1000) });
console.log(answer.n, answer.text.length, checksum() === before, byName.get('item-19999').tags.join(), counter(), bytes[61 * 1000]);
"#;

#[tokio::test]
async fn a_javascript_program_set_aside_wakes_with_its_state_intact() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (runtime, js, _) = setup().await;
    for round in 0..2 {
        // Twice: the second run reuses the first one's pool slot.
        let tools = echo_when_set_aside(runtime, || {});
        let policy = ExecutionPolicy::default();
        let outcome = js.run("stateful.js", STATEFUL, &policy, tools, &RunControl::new()).await.unwrap();
        assert_eq!(outcome.status, RunStatus::Ok, "round {round}: {outcome:?}");
        assert_eq!(stdout(&outcome), "7 1000 true 0,1 42 184\n", "round {round}");
        assert_eq!(outcome.stats.hibernations, 1, "round {round}");
        assert_eq!(runtime.hibernated(), Hibernated::default(), "round {round}: woken, nothing is kept");
    }
}

/// A one-second timer against a 1 ms `hibernate_after`: only a host stalled for
/// the whole second could wake it before it is set aside.
#[tokio::test]
async fn a_program_sleeping_on_a_timer_is_set_aside_too() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (runtime, js, _) = setup().await;
    let program = "const s = 'x'.repeat(100000) + 'y'; const o = { deep: { list: [1, 2, 3] } };
        await new Promise(resolve => setTimeout(resolve, 1000));
        console.log(s.length, s.endsWith('xy'), JSON.stringify(o));";
    let policy = ExecutionPolicy::default();
    let outcome = js.run("sleep.js", program, &policy, Arc::new(sluice::NoTools), &RunControl::new()).await.unwrap();
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
    assert_eq!(stdout(&outcome), "100001 true {\"deep\":{\"list\":[1,2,3]}}\n");
    assert!(outcome.stats.hibernations >= 1, "{:?}", outcome.stats);
    assert_eq!(runtime.hibernated(), Hibernated::default());
}

#[tokio::test]
async fn a_program_stopped_while_set_aside_ends_cleanly_and_its_slot_runs_the_next() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (runtime, js, _) = setup().await;
    let control = RunControl::new();
    let cancel = control.clone();
    let tools = echo_when_set_aside(runtime, move || cancel.cancel());
    let policy = ExecutionPolicy::default();
    let outcome = js.run("stateful.js", STATEFUL, &policy, tools, &control).await.unwrap();
    assert_eq!(outcome.status, RunStatus::Cancelled, "{outcome:?}");
    assert_eq!(runtime.hibernated(), Hibernated::default(), "the stopped run's kept bytes are gone");
    // Every slot the pool has, so one of them is the stopped run's.
    for _ in 0..8 {
        let tools = echo_when_set_aside(runtime, || {});
        let outcome = js.run("stateful.js", STATEFUL, &policy, tools, &RunControl::new()).await.unwrap();
        assert_eq!(stdout(&outcome), "7 1000 true 0,1 42 184\n", "{outcome:?}");
    }
}

#[tokio::test]
async fn a_rust_guest_set_aside_wakes_with_its_state_intact() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (runtime, _, _) = setup().await;
    let program = runtime.load_file(guest("tests/programs/Cargo.toml", "one_call")).unwrap();
    let tools = echo_when_set_aside(runtime, || {});
    let outcome = program.run(&ExecutionPolicy::default(), tools, &RunControl::new()).await.unwrap();
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
    assert_eq!(stdout(&outcome), "1\n");
    assert_eq!(outcome.stats.hibernations, 1);
    assert_eq!(runtime.hibernated(), Hibernated::default());
}

/// A program that has written more than the cap (16 MiB) stays resident: setting it
/// aside would copy all of it twice, at every wait, on the host's time.
#[tokio::test]
async fn a_program_with_more_written_than_the_cap_stays_resident() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (runtime, js, _) = setup().await;
    let program = "const big = new Uint8Array(24 << 20);
        for (let i = 0; i < big.length; i += 4096) big[i] = (i >> 12) & 255;
        await new Promise(resolve => setTimeout(resolve, 300));
        let sum = 0; for (let i = 0; i < big.length; i += 4096) sum += big[i];
        console.log(sum);";
    let policy = ExecutionPolicy::default();
    let outcome = js.run("big.js", program, &policy, Arc::new(sluice::NoTools), &RunControl::new()).await.unwrap();
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
    // 6,144 pages, each holding (its index & 255): 24 rounds of 0..=255.
    assert_eq!(stdout(&outcome), format!("{}\n", 24 * (255 * 256 / 2)));
    assert_eq!(outcome.stats.hibernations, 0, "{:?}", outcome.stats);
    assert_eq!(runtime.hibernated(), Hibernated::default());
}
