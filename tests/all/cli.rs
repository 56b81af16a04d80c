//! The `sluice run` contract: output, the summary line, `--json`, exit codes, messages, the module cache.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::wat;

fn sluice(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice")).args(args).env("SLUICE_CACHE_DIR", cache).output().expect("sluice runs")
}

fn run_wat(name: &str, flags: &[&str]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    let program = wat(name);
    let mut args = vec!["run", program.to_str().unwrap()];
    args.extend_from_slice(flags);
    sluice(&args, cache.path())
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON object ({e}): {}", String::from_utf8_lossy(&output.stdout)))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_program_prints_its_output_then_a_summary_line_and_exits_zero() {
    let output = run_wat("hello.wat", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "hello, sluice\n");
    let summary = stderr(&output);
    let last = summary.lines().last().unwrap();
    assert!(
        last.starts_with("sluice: ok in ") && last.contains("0 tool calls") && last.contains("14 B of output"),
        "{last}"
    );
}

#[test]
fn json_reports_status_exit_code_output_and_stats() {
    let output = run_wat("hello.wat", &["--json"]);
    assert_eq!(output.status.code(), Some(0));
    let report = json(&output);
    assert_eq!(report["status"], "ok");
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["limit"], Value::Null);
    assert_eq!(report["stdout"], "hello, sluice\n");
    assert_eq!(report["truncated"], false);
    assert!(report["stats"]["wall_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(report["stats"]["tool_calls"], 0);
    assert!(output.stderr.is_empty(), "--json prints nothing else: {}", stderr(&output));
}

#[test]
fn a_program_that_fails_on_its_own_exits_one() {
    let trapped = run_wat("unreachable.wat", &["--json"]);
    assert_eq!(trapped.status.code(), Some(1));
    let report = json(&trapped);
    assert_eq!(report["status"], "error");
    assert_eq!(report["exit_code"], Value::Null);
    assert!(report["error"].as_str().unwrap().contains("unreachable"), "{report}");

    let exited = run_wat("exit_7.wat", &["--json"]);
    assert_eq!(exited.status.code(), Some(1));
    assert_eq!(json(&exited)["exit_code"], 7);
}

#[test]
fn a_limit_exits_three_and_names_the_limit() {
    let timed_out = run_wat("infinite_loop.wat", &["--timeout", "200ms", "--json"]);
    assert_eq!(timed_out.status.code(), Some(3));
    assert_eq!(json(&timed_out)["status"], "limit");
    assert_eq!(json(&timed_out)["limit"], "timeout");

    let grown = run_wat("memory_growth.wat", &["--memory", "16MiB"]);
    assert_eq!(grown.status.code(), Some(3));
    assert!(stderr(&grown).contains("memory limit reached"), "{}", stderr(&grown));

    // A flood is not stopped for its output: its deadline stops it, with the head and tail kept.
    let flooded = run_wat("output_flood.wat", &["--max-output", "1KiB", "--timeout", "300ms", "--json"]);
    assert_eq!(flooded.status.code(), Some(3));
    let report = json(&flooded);
    assert_eq!(report["limit"], "timeout");
    assert_eq!(report["truncated"], true);
    let stdout = report["stdout"].as_str().unwrap();
    assert!(stdout.starts_with(&format!("{}\n[sluice: ", "x".repeat(512))), "{stdout}");
    assert!(stdout.ends_with(&format!("the first and last 512 bytes are kept]\n{}", "x".repeat(512))), "{stdout}");
}

#[test]
fn invalid_modules_and_bad_usage_exit_two_with_a_message_saying_what_to_do() {
    let cases = [
        ("garbage.wasm", vec![], "not a WebAssembly module"),
        ("truncated.wasm", vec![], "invalid WebAssembly module"),
        ("unknown_import.wat", vec![], "env::launch_missiles"),
        ("hello.wat", vec!["--timeout", "30"], "has no unit"),
        ("hello.wat", vec!["--memory", "lots"], "64MiB"),
        ("hello.wat", vec!["--workspace", "/no/such/dir"], "/no/such/dir"),
        ("missing.wasm", vec![], "cannot read the program"),
    ];
    for (program, flags, expected) in cases {
        let output = run_wat(program, &flags);
        assert_eq!(output.status.code(), Some(2), "{program} {flags:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{program} {flags:?}: {}", stderr(&output));
    }
}

#[test]
fn a_second_process_loads_the_compiled_module_from_the_disk_cache() {
    let cache = tempfile::tempdir().unwrap();
    let program = wat("hello.wat");
    let args = ["run", program.to_str().unwrap(), "--json"];
    assert_eq!(json(&sluice(&args, cache.path()))["stats"]["compile"], "compiled");
    assert_eq!(json(&sluice(&args, cache.path()))["stats"]["compile"], "disk_cache");
}

#[test]
fn the_workspace_flag_grants_a_directory_the_program_can_write() {
    let workspace = tempfile::tempdir().unwrap();
    let program = crate::support::guest("tests/programs/Cargo.toml", "fs_escape");
    let cache = tempfile::tempdir().unwrap();
    let output =
        sluice(&["run", program.to_str().unwrap(), "--workspace", workspace.path().to_str().unwrap()], cache.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(workspace.path().join("inside.txt")).unwrap(), "hello");
}

/// A configuration with `tests/servers/asking.py`, whose tools ask for input while they run, and a program
/// printing what `book` answered.
fn asking_run(dir: &Path) -> (String, String) {
    let config = dir.join("servers.json");
    let server = serde_json::json!({ "mcpServers": { "asking": {
        "command": crate::mcp_servers::server_bin("venv/bin/python"),
        "args": [crate::support::root().join("tests/servers/asking.py")],
    } } });
    std::fs::write(&config, server.to_string()).unwrap();
    let program = dir.join("book.js");
    std::fs::write(&program, "console.log((await tools.asking.book({ flight: 'BA1' })).result);\n").unwrap();
    (config.to_string_lossy().into_owned(), program.to_string_lossy().into_owned())
}

#[test]
fn a_servers_question_is_asked_at_the_terminal_and_only_the_tools_result_reaches_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let (config, program) = asking_run(dir.path());
    // The person types a seat, keeps the default meal, and sends.
    let driver = Command::new(crate::mcp_servers::server_bin("venv/bin/python"))
        .arg(crate::support::root().join("tests/clients/at_a_terminal.py"))
        .arg(r#"["14C", "", "y"]"#)
        .args([env!("CARGO_BIN_EXE_sluice"), "run", "--config", &config, &program])
        .env("SLUICE_CACHE_DIR", dir.path().join("cache"))
        .output()
        .expect("the terminal driver runs");
    let seen: Value = serde_json::from_slice(&driver.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", String::from_utf8_lossy(&driver.stdout), stderr(&driver)));
    assert_eq!(seen["stdout"], "accept seat=14C meal=vegetarian\n", "{seen}");
    let terminal = seen["terminal"].as_str().unwrap();
    assert!(terminal.contains("server asking asks: Booking BA1: which seat?"), "{terminal}");
    assert!(terminal.contains("seat") && terminal.contains("required"), "{terminal}");
    assert_eq!(seen["code"], 0, "{seen}");

    // Without a terminal, or with a policy named, no one is asked.
    let cache = dir.path().join("cache");
    let declined = sluice(&["run", "--config", &config, &program], &cache);
    assert_eq!(String::from_utf8_lossy(&declined.stdout), "decline\n", "{}", stderr(&declined));
    let defaults = sluice(&["run", "--config", &config, "--elicitation", "accept-defaults", &program], &cache);
    assert_eq!(
        String::from_utf8_lossy(&defaults.stdout),
        "decline\n",
        "the seat has no default: {}",
        stderr(&defaults)
    );
}
