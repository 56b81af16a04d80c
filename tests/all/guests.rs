//! Rust guests built with the guest SDK: tool calls, errors the guest handles, concurrency, discovery, the example.

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use sluice::{ExecutionPolicy, RunStatus};

use crate::support::{ConcurrencyProbe, demo_tools, guest, run, stdout, test_program};

/// Parses the `<key> <json>` lines `tool_client` prints.
fn report(output: &str) -> HashMap<String, Value> {
    output
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(key, value)| {
            let value = serde_json::from_str(value).unwrap_or_else(|e| panic!("{key}: {value:?} is not JSON: {e}"));
            (key.to_owned(), value)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_calls_tools_handles_their_errors_and_discovers_them() {
    const CONCURRENT: usize = 20;
    let probe = Arc::new(ConcurrencyProbe::default());
    let tools = Arc::new(demo_tools(probe.clone(), CONCURRENT));
    let outcome = run(&test_program("tool_client"), &ExecutionPolicy::default(), tools).await;
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}\n{}", String::from_utf8_lossy(&outcome.stderr));
    let lines = report(&stdout(&outcome));

    assert_eq!(lines["servers"], json!([{ "name": "demo", "summary": "Tools for testing the sandbox" }]));
    assert_eq!(lines["search"][0], "demo.add", "{}", lines["search"]);
    assert_eq!(lines["describe"]["properties"]["a"]["type"], "number");
    assert_eq!(lines["echo"], json!({ "hello": "world" }));
    assert_eq!(lines["sum"], json!(42.0));
    assert_eq!(lines["fail"], json!({ "kind": "tool_reported", "message": "boom" }));
    assert_eq!(lines["unknown"]["kind"], "unknown_tool");
    assert_eq!(lines["oversized"]["kind"], "arguments_too_large");
    assert_eq!(lines["concurrent"], json!(CONCURRENT));
    assert_eq!(probe.max.load(Ordering::SeqCst), CONCURRENT, "all calls were in flight on the host at once");

    let stats = &outcome.stats;
    assert_eq!(stats.tool_errors, 1);
    assert!(stats.failed_tool_calls >= 1, "the oversized call failed before reaching a tool");
}

#[test]
fn the_embedding_example_filters_ten_thousand_records_inside_the_sandbox() {
    let guest = guest("examples/guests/Cargo.toml", "triage");
    let example = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("examples/embed");
    assert!(example.exists(), "cargo test builds examples; {} is missing", example.display());
    let output = Command::new(&example).arg(&guest).output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    let logged = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{printed}\n{logged}");
    assert!(printed.contains("found issues.list_issues"), "{printed}");
    assert!(printed.contains(&format!("{} open bugs with more than 10 comments", expected_open_bugs())), "{printed}");
    assert!(logged.contains("bytes from tools"), "the example reports what stayed in the sandbox: {logged}");
}

#[test]
fn the_readme_example_is_a_javascript_program_with_the_same_answer() {
    let example = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("examples/embed");
    let cache = tempfile::tempdir().unwrap();
    let output = Command::new(&example)
        .arg(crate::support::root().join("examples/triage.js"))
        .env("SLUICE_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{printed}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(printed.contains("found issues.list_issues"), "{printed}");
    assert!(printed.contains(&format!("{} open bugs with more than 10 comments", expected_open_bugs())), "{printed}");
    assert_eq!(printed.lines().count(), 7, "{printed}");
}

/// Computed independently of the guest from the example's deterministic data.
fn expected_open_bugs() -> usize {
    let text =
        Command::new(std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("examples/embed"))
            .arg("--dump-issues")
            .output()
            .unwrap()
            .stdout;
    let issues: Value = serde_json::from_slice(&text).expect("--dump-issues prints the records as JSON");
    issues["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|issue| {
            issue["state"] == "open"
                && issue["labels"].as_array().unwrap().iter().any(|l| l == "bug")
                && issue["comments"].as_u64().unwrap() > 10
        })
        .count()
}
