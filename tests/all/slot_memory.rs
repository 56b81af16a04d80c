//! A pool slot gives back the memory a large run left once the runs after it
//! stay small (`src/sandbox/trim.rs`), keeps it while large runs keep coming,
//! and every run sees a fresh interpreter either way.

use std::sync::Arc;

use sluice::{ExecutionPolicy, InProcessTools, JavaScript, RunControl, RunStatus, Runtime, RuntimeConfig};

use crate::support::stdout;

/// Allocates ~10 MB of interpreter heap, past the snapshot's break.
const LARGE: &str = "const a = []; for (let i = 0; i < 150000; i++) a.push({ i, s: 'item ' + i }); \
                     console.log(a.length, typeof globalThis.leftover); globalThis.leftover = a;";
/// Allocates next to nothing; would see a large run's leftovers if any survived.
const SMALL: &str = "console.log(typeof globalThis.leftover, [1, 2, 3].map(x => x * 2).join());";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_gives_back_a_large_runs_memory_once_small_runs_follow_and_keeps_it_between_large_runs() {
    let cache = tempfile::tempdir().unwrap();
    let mut config = RuntimeConfig::default().with_cache_dir(cache.path());
    // One slot: every run below lands in the same memory.
    config.max_concurrent_runs = 1;
    let runtime = Runtime::new(config).expect("the runtime starts");
    let js = JavaScript::load(&runtime).await.expect("the interpreter loads");
    let policy = ExecutionPolicy::default();
    let tools = Arc::new(InProcessTools::new());
    let run = |source: &'static str| {
        let (js, policy, tools) = (&js, &policy, tools.clone());
        async move {
            let outcome = js.run("slot.js", source, policy, tools, &RunControl::new()).await.expect("the run starts");
            assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
            stdout(&outcome)
        }
    };
    // Runs that alternate large and small (and the first runs of a slot not seen
    // before, which may hold anything) decide nothing below; start from a slot
    // that has settled on small runs.
    for _ in 0..40 {
        assert_eq!(run(SMALL).await, "undefined 2,4,6\n");
    }
    let settled = runtime.trimmed_bytes();

    // Large and small runs in turn: the large runs' pages stay for the next one.
    for _ in 0..12 {
        assert_eq!(run(LARGE).await, "150000 undefined\n");
        assert_eq!(run(SMALL).await, "undefined 2,4,6\n");
    }
    assert_eq!(runtime.trimmed_bytes(), settled, "a slot serving large runs keeps their pages");

    // Small runs only, from now on: the slot gives the memory back.
    for _ in 0..40 {
        assert_eq!(run(SMALL).await, "undefined 2,4,6\n");
    }
    let trimmed = runtime.trimmed_bytes() - settled;
    assert!(trimmed >= 16 << 20, "the whole memory is given back, once: {trimmed} bytes");
    assert!(trimmed < 32 << 20, "and only once while the runs stay small: {trimmed} bytes");

    // What was given back reads as the interpreter's snapshot again.
    assert_eq!(run(LARGE).await, "150000 undefined\n");
    assert_eq!(run(SMALL).await, "undefined 2,4,6\n");
}
