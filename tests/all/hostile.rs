//! Hostile programs: each is stopped or contained, and the same process then runs a normal program correctly.

use std::sync::Arc;
use std::time::Duration;

use sluice::RunControl;
use sluice::{ExecutionPolicy, LimitKind, LoadError, NoTools, RunStatus, Runtime, RuntimeConfig};

use crate::support::{
    self, ConcurrencyProbe, assert_still_healthy, demo_tools, load_wat, run, runtime, stdout, test_program,
};

fn policy() -> ExecutionPolicy {
    let mut policy = ExecutionPolicy::default();
    policy.limits.deadline = Duration::from_secs(10);
    policy
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_at_the_deadline() {
    let mut policy = policy();
    policy.limits.deadline = Duration::from_millis(200);
    let outcome = run(&load_wat("infinite_loop.wat"), &policy, Arc::new(NoTools)).await;
    assert_eq!(outcome.limit(), Some(LimitKind::Timeout), "{outcome:?}");
    assert_still_healthy().await;
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_when_its_fuel_runs_out() {
    let mut config = RuntimeConfig::default();
    config.fuel_metering = true;
    config.max_concurrent_runs = 4;
    let metered = Runtime::new(config).unwrap();
    let program = metered.load_file(support::wat("infinite_loop.wat")).unwrap();
    let mut policy = policy();
    policy.limits.fuel = Some(1_000_000);
    let outcome = program.run(&policy, Arc::new(NoTools), &RunControl::new()).await.unwrap();
    assert_eq!(outcome.limit(), Some(LimitKind::Fuel), "{outcome:?}");
    assert!(outcome.stats.fuel_consumed.unwrap() >= 1_000_000);
}

#[tokio::test]
async fn unbounded_memory_growth_is_stopped_at_the_cap() {
    let mut policy = policy();
    policy.limits.memory_bytes = 32 << 20;
    let outcome = run(&load_wat("memory_growth.wat"), &policy, Arc::new(NoTools)).await;
    assert_eq!(outcome.limit(), Some(LimitKind::Memory), "{outcome:?}");
    assert!(outcome.stats.peak_memory_bytes <= 32 << 20);
    assert_still_healthy().await;
}

#[tokio::test]
async fn a_run_never_sees_what_the_run_before_it_left_in_the_same_memory() {
    // One pool slot, so every run gets the memory of the one before, reset; with memory kept
    // resident between runs (the default) and without.
    for keep_resident_bytes in [RuntimeConfig::default().keep_resident_bytes, 0] {
        let mut config = RuntimeConfig::default();
        config.max_concurrent_runs = 1;
        config.keep_resident_bytes = keep_resident_bytes;
        let program = Runtime::new(config).unwrap().load_file(support::wat("memory_residue.wat")).unwrap();
        for round in 0..3 {
            let outcome = program.run(&policy(), Arc::new(NoTools), &RunControl::new()).await.unwrap();
            assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
            // What it found, then its own marks.
            assert_eq!(stdout(&outcome), "clean\ndirty\n", "run {round}, keeping {keep_resident_bytes} bytes");
        }
    }
}

#[tokio::test]
async fn runs_back_to_back_on_one_slot_wait_for_the_last_ones_memory_to_be_reset() {
    // A run that wrote this much memory hands back its outcome before its slot
    // is reset; the next one, finding the only slot still taken, waits for it.
    let mut config = RuntimeConfig::default();
    config.max_concurrent_runs = 1;
    let program = Runtime::new(config).unwrap().load_file(support::wat("dirty_memory.wat")).unwrap();
    let mut policy = policy();
    policy.limits.memory_bytes = 128 << 20;
    for round in 0..5 {
        let outcome = program.run(&policy, Arc::new(NoTools), &RunControl::new()).await;
        let outcome = outcome.unwrap_or_else(|e| panic!("run {round} starts: {e}"));
        assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
        assert_eq!(outcome.stats.peak_memory_bytes, 96 << 20);
    }
}

/// As many runs in flight as the pool has slots, each leaving its slot to be
/// reset in the background: a run that ends frees its caller to start the next
/// while that slot is still held, and two waiting runs must not both take the
/// one slot the first reset frees (the second failed to start with "maximum
/// concurrent limit reached").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pool_whose_slots_are_being_reset_starts_every_run() {
    const SLOTS: usize = 2;
    let mut config = RuntimeConfig::default();
    config.max_concurrent_runs = SLOTS as u32;
    let program = Arc::new(Runtime::new(config).unwrap().load_file(support::wat("dirty_memory.wat")).unwrap());
    let mut policy = policy();
    policy.limits.memory_bytes = 128 << 20;
    let callers: Vec<_> = (0..SLOTS)
        .map(|caller| {
            let (program, policy) = (program.clone(), policy.clone());
            tokio::spawn(async move {
                for round in 0..80 {
                    let outcome = program.run(&policy, Arc::new(NoTools), &RunControl::new()).await;
                    let outcome = outcome.unwrap_or_else(|e| panic!("caller {caller}, run {round} starts: {e}"));
                    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.unwrap();
    }
}

#[tokio::test]
async fn an_output_flood_keeps_its_head_and_tail_in_bounded_memory_until_its_deadline() {
    let mut policy = policy();
    policy.limits.output_bytes = 4096;
    policy.limits.deadline = Duration::from_millis(300);
    let outcome = run(&load_wat("output_flood.wat"), &policy, Arc::new(NoTools)).await;
    assert_eq!(outcome.limit(), Some(LimitKind::Timeout), "{:?}", outcome.status);
    assert!(outcome.truncated);
    let (head, rest) = outcome.stdout.split_at(2048);
    assert!(head.iter().all(|b| *b == b'x'));
    let marker = format!(
        "\n[sluice: {} bytes (0 lines) of output cut here; the first and last 2048 bytes are kept]\n",
        outcome.stats.output_bytes_dropped
    );
    assert!(rest.starts_with(marker.as_bytes()), "{}", String::from_utf8_lossy(&rest[..200]));
    assert_eq!(rest.len(), marker.len() + 2048, "only the head, the marker and the tail are held");
    assert!(outcome.stats.stdout_bytes > 100 * 4096, "the flood went on: {:?}", outcome.stats);
    assert_eq!(outcome.stats.output_bytes_dropped, outcome.stats.stdout_bytes - 4096);
    assert_still_healthy().await;
}

#[tokio::test]
async fn output_over_the_cap_keeps_its_head_and_tail_and_a_program_that_finishes_succeeds() {
    let mut policy = policy();
    policy.limits.output_bytes = 2048;
    let outcome = run(&load_wat("output_over_cap.wat"), &policy, Arc::new(NoTools)).await;
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
    assert!(outcome.truncated);
    let text = String::from_utf8(outcome.stdout.clone()).unwrap();
    let marker = "\n[sluice: 952 bytes (0 lines) of output cut here; the first and last 1024 bytes are kept]\n";
    assert_eq!(text, format!("{}{marker}{}", "y".repeat(1024), "y".repeat(1024)));
    assert_eq!(outcome.stats.stdout_bytes, 3000);
    assert_eq!(outcome.stats.output_bytes_dropped, 952);
}

#[tokio::test]
async fn deep_recursion_ends_in_a_clean_trap() {
    let outcome = run(&load_wat("deep_recursion.wat"), &policy(), Arc::new(NoTools)).await;
    match &outcome.status {
        RunStatus::Failed { exit_code: None, message } => {
            assert!(message.contains("overflowed its stack"), "{message}");
            assert!(message.contains("down"), "the backtrace names the function: {message}");
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_still_healthy().await;
}

#[tokio::test]
async fn a_pointer_outside_guest_memory_is_a_guest_fault() {
    let outcome = run(&load_wat("abi_bad_pointer.wat"), &policy(), Arc::new(NoTools)).await;
    let message = outcome.error_message().unwrap_or_default();
    assert!(matches!(outcome.status, RunStatus::Failed { .. }), "{outcome:?}");
    assert!(message.contains("outside its memory"), "{message}");
    assert_eq!(outcome.stats.tool_calls, 0);
    assert_still_healthy().await;
}

#[tokio::test]
async fn garbage_bytes_are_refused_as_not_webassembly() {
    let error = runtime().load_file(support::wat("garbage.wasm")).unwrap_err();
    assert!(matches!(error, LoadError::NotWasm(_)), "{error}");
    assert_still_healthy().await;
}

#[tokio::test]
async fn a_truncated_module_is_refused_as_invalid() {
    let error = runtime().load_file(support::wat("truncated.wasm")).unwrap_err();
    assert!(matches!(error, LoadError::Invalid(_)), "{error}");
    assert!(error.to_string().contains("end-of-file"), "{error}");
    assert_still_healthy().await;
}

#[tokio::test]
async fn a_module_importing_an_unknown_function_is_refused_naming_it() {
    let error = runtime().load_file(support::wat("unknown_import.wat")).unwrap_err();
    assert!(
        matches!(&error, LoadError::UnknownImport { module, name } if module == "env" && name == "launch_missiles"),
        "{error}"
    );
    assert!(error.to_string().contains("env::launch_missiles"));
    assert_still_healthy().await;
}

#[tokio::test]
async fn a_module_without_start_is_refused_as_not_a_command() {
    let error = runtime().load_file(support::wat("no_start.wat")).unwrap_err();
    assert!(matches!(error, LoadError::NotACommand), "{error}");
}

#[tokio::test]
async fn a_hundred_thousand_tool_calls_are_capped() {
    let tools = Arc::new(demo_tools(Arc::new(ConcurrencyProbe::default()), 1));
    let mut policy = policy();
    policy.limits.tool_calls = 500;
    let outcome = run(&test_program("call_flood"), &policy, tools).await;
    assert_eq!(outcome.limit(), Some(LimitKind::ToolCalls), "{outcome:?}");
    assert_eq!(outcome.stats.tool_calls, 500);
    assert!(!stdout(&outcome).contains("FINISHED"));
    assert_still_healthy().await;
}

#[tokio::test]
async fn the_workspace_is_the_only_reachable_host_path_even_through_a_planted_symlink() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), workspace.path().join("escape-link")).unwrap();
    let parent_secret = workspace.path().parent().unwrap().join("secret.txt");
    let planted_parent = !parent_secret.exists();
    if planted_parent {
        std::fs::write(&parent_secret, "secret").unwrap();
    }

    let policy = policy().with_workspace(workspace.path());
    let outcome = run(&test_program("fs_escape"), &policy, Arc::new(NoTools)).await;
    if planted_parent {
        std::fs::remove_file(&parent_secret).unwrap();
    }
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
    let output = stdout(&outcome);
    for label in
        ["parent-read", "dotdot-dir", "abs-etc-passwd", "abs-tmp-write", "symlink-read", "symlink-write", "root-list"]
    {
        assert!(output.contains(&format!("DENIED {label}\n")), "{label} was not denied:\n{output}");
    }
    assert!(!output.contains("ALLOWED"), "{output}");
    assert!(output.contains("WORKSPACE ok"), "{output}");
    assert_eq!(std::fs::read_to_string(workspace.path().join("inside.txt")).unwrap(), "hello");
    assert!(!outside.path().join("planted.txt").exists());
    assert_still_healthy().await;
}

#[tokio::test]
async fn the_environment_is_empty_and_no_socket_can_be_opened() {
    let policy = policy().with_args(["--flag"]);
    let outcome = run(&test_program("env_probe"), &policy, Arc::new(NoTools)).await;
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
    let output = stdout(&outcome);
    assert!(output.contains("ENV 0\n"), "{output}");
    assert!(output.contains(r#"ARGS ["env_probe.wasm","--flag"]"#), "{output}");
    assert!(output.contains("TCP denied"), "{output}");
    assert!(output.contains("UDP denied"), "{output}");
}

/// Guests waiting on slow tools park their fibers instead of holding threads:
/// two worker threads carry two hundred programs whose calls are all in flight
/// at once (the tool only answers once every caller has arrived).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_programs_wait_on_slow_tools_at_once_on_two_threads() {
    const PROGRAMS: usize = 200;
    let probe = Arc::new(ConcurrencyProbe::default());
    let tools: Arc<dyn sluice::ToolHost> = Arc::new(demo_tools(probe.clone(), PROGRAMS).with_tool(
        "demo",
        sluice::ToolDefinition::new("echo", "Waits for every caller.", serde_json::json!({"type": "object"})),
        {
            let probe = probe.clone();
            move |args| {
                let probe = probe.clone();
                async move {
                    probe.visit(PROGRAMS).await;
                    Ok(sluice::ToolResult::structured(serde_json::Value::Object(args)))
                }
            }
        },
    ));
    let program = test_program("one_call");
    let runs = (0..PROGRAMS).map(|_| {
        let program = program.clone();
        let tools = tools.clone();
        tokio::spawn(async move { program.run(&policy(), tools, &RunControl::new()).await.unwrap() })
    });
    for run in runs.collect::<Vec<_>>() {
        let outcome = run.await.unwrap();
        assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
        assert_eq!(stdout(&outcome).trim(), "1");
    }
    assert_eq!(probe.max.load(std::sync::atomic::Ordering::SeqCst), PROGRAMS);
}
