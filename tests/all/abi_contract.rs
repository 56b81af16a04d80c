//! `guest-sdk/ABI.md` is the single source of the ABI: the host and the SDK must match its tables, names and values.

use std::sync::Arc;
use std::time::Duration;

use sluice::{ExecutionPolicy, LimitKind, RunStatus};

use crate::support::{root, run, runtime};

/// The cells of each row of the first table after `heading` in ABI.md (the leading empty cell included).
fn table_rows(heading: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(root().join("guest-sdk/ABI.md")).expect("ABI.md exists");
    let section = text.split(heading).nth(1).unwrap_or_else(|| panic!("ABI.md has {heading}"));
    section
        .lines()
        .skip_while(|line| !line.starts_with("|---"))
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .map(|line| line.split('|').map(|cell| cell.trim().to_owned()).collect())
        .collect()
}

/// The rows of the function table in ABI.md: (name, params, results).
fn documented_functions() -> Vec<(String, usize, usize)> {
    table_rows("## Functions")
        .into_iter()
        .map(|cells| {
            let name = cells[1].trim_matches('`').to_owned();
            let params = if cells[2] == "—" { 0 } else { cells[2].split(',').count() };
            let results = if cells[3] == "—" { 0 } else { 1 };
            (name, params, results)
        })
        .collect()
}

#[test]
fn the_host_implements_exactly_the_documented_functions() {
    let documented = documented_functions();
    assert_eq!(documented.len(), 13, "{documented:?}");
    let host: Vec<(String, usize, usize)> =
        sluice::abi_functions().iter().map(|(n, p, r)| (n.to_string(), *p, *r)).collect();
    assert_eq!(host, documented);
}

#[test]
fn the_guest_sdk_declares_every_documented_function() {
    let sys = std::fs::read_to_string(root().join("guest-sdk/src/sys.rs")).expect("the SDK has src/sys.rs");
    for (name, _, _) in documented_functions() {
        assert!(sys.contains(&format!("fn {name}(")), "guest-sdk/src/sys.rs does not declare {name}");
    }
}

/// `(name, value)` rows of the table under `heading` in ABI.md.
fn documented_codes(heading: &str) -> Vec<(String, i32)> {
    table_rows(heading)
        .into_iter()
        .map(|cells| (cells[1].trim_matches('`').to_owned(), cells[2].parse().expect("a code is an integer")))
        .collect()
}

/// The value of `const {name}: i32 = ...;` in a Rust source file, if it defines one.
fn rust_constant(source: &str, name: &str) -> Option<i32> {
    let at = source.find(&format!("const {name}: i32 = "))?;
    let rest = &source[at..];
    rest[rest.find("= ")? + 2..rest.find(';')?].parse().ok()
}

#[test]
fn the_host_and_the_guest_sdk_use_the_documented_error_codes_and_statuses() {
    let host = std::fs::read_to_string(root().join("src/sandbox/abi.rs")).unwrap();
    let sdk = std::fs::read_to_string(root().join("guest-sdk/src/sys.rs")).unwrap();
    let codes = documented_codes("## Error codes");
    assert_eq!(codes.len(), 7, "{codes:?}");
    for (name, value) in codes {
        assert_eq!(rust_constant(&host, &name), Some(value), "src/sandbox/abi.rs: {name}");
        assert_eq!(rust_constant(&sdk, &name), Some(value), "guest-sdk/src/sys.rs: {name}");
    }
    let statuses = documented_codes("| status | value | payload |");
    assert_eq!(statuses.len(), 3, "{statuses:?}");
    for (name, value) in statuses {
        assert_eq!(rust_constant(&sdk, &format!("STATUS_{name}")), Some(value), "guest-sdk/src/sys.rs: STATUS_{name}");
    }
}

#[tokio::test]
async fn wait_any_timeout_sleeps_reports_completions_and_never_outlives_the_deadline() {
    // Every check that fails traps (`unreachable`); passing them all, the program
    // waits "forever" and the run ends at its deadline.
    let wat = r#"(module
      (import "sluice_v1" "wait_any_timeout" (func $wait (param i32) (result i32)))
      (import "sluice_v1" "servers_start" (func $servers (result i32)))
      (import "sluice_v1" "result_read" (func $read (param i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start") (local $handle i32)
        ;; nothing outstanding: it sleeps out the timeout, a negative one as 0
        (if (i32.ne (call $wait (i32.const 5)) (i32.const -6)) (then unreachable))
        (if (i32.ne (call $wait (i32.const -1)) (i32.const -6)) (then unreachable))
        ;; a completed operation is reported at once, however long the timeout
        (local.set $handle (call $servers))
        (if (i32.ne (call $wait (i32.const 2147483647)) (local.get $handle)) (then unreachable))
        (if (i32.ne (call $read (local.get $handle) (i32.const 0) (i32.const 1024)) (i32.const 0)) (then unreachable))
        ;; with nothing left, the longest wait ends with the run
        (drop (call $wait (i32.const 2147483647)))
        unreachable))"#;
    let program = runtime().load("wait.wat", wat.as_bytes()).expect("the module is valid");
    let mut policy = ExecutionPolicy::default();
    policy.limits.deadline = Duration::from_millis(300);
    let outcome = run(&program, &policy, Arc::new(sluice::NoTools)).await;
    assert!(matches!(outcome.status, RunStatus::Limit { kind: LimitKind::Timeout, .. }), "{outcome:?}");
}
