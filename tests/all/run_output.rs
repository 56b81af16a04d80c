//! What `sluice run` tells an agent when something goes wrong: the `--json` outcome against its published schema, uncaught tool errors, server start-up, configuration and `sluice tools` messages.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use serde_json::{Value, json};
use sluice::{ExecutionPolicy, NoTools, RunControl, RunStatus};

use crate::mcp_servers::server_bin;
use crate::support::{load_wat, root, wat};

/// Runs `sluice` with `args` in `dir`, with its own cache there.
fn sluice_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .current_dir(dir)
        .env("SLUICE_CACHE_DIR", dir.join("cache"))
        .env_remove("SLUICE_LOG")
        .output()
        .expect("sluice runs")
}

/// A directory holding `sluice.json` with `servers` and `agent.js` with `program`.
fn project(servers: Value, program: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sluice.json"), json!({ "mcpServers": servers }).to_string()).unwrap();
    std::fs::write(dir.path().join("agent.js"), program).unwrap();
    dir
}

fn report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    })
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("docs/run-output.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).expect("the schema compiles")
}

fn assert_matches_schema(what: &str, report: &Value) {
    let problems: Vec<String> = schema().iter_errors(report).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(problems.is_empty(), "{what}: {problems:#?}\n{report:#}");
}

#[test]
fn every_kind_of_run_prints_an_outcome_the_published_schema_accepts() {
    let dir = project(json!({}), "const answer = 42;\nawait tools.nowhere.lookup({ answer });\n");
    let wat_run = |name: &str, flags: &[&str]| {
        let mut args = vec!["run", "--json", "--config", "sluice.json"];
        let program = wat(name);
        args.push(program.to_str().unwrap());
        args.extend_from_slice(flags);
        report(&sluice_in(dir.path(), &args))
    };
    let runs = [
        ("ok", wat_run("hello.wat", &[])),
        ("trapped", wat_run("unreachable.wat", &[])),
        ("exited", wat_run("exit_7.wat", &[])),
        ("timed out", wat_run("infinite_loop.wat", &["--timeout", "200ms"])),
        ("truncated", wat_run("output_over_cap.wat", &["--max-output", "1KiB"])),
        ("uncaught", report(&sluice_in(dir.path(), &["run", "--json", "--config", "sluice.json", "agent.js"]))),
    ];
    let statuses: Vec<&str> = runs.iter().map(|(_, report)| report["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["ok", "error", "error", "limit", "ok", "error"]);
    for (what, report) in &runs {
        assert_matches_schema(what, report);
    }
}

#[tokio::test]
async fn a_cancelled_run_matches_the_published_schema_too() {
    let control = RunControl::new();
    control.cancel();
    let program = load_wat("infinite_loop.wat");
    let outcome = program.run(&ExecutionPolicy::default(), Arc::new(NoTools), &control).await.expect("the run starts");
    assert_eq!(outcome.status, RunStatus::Cancelled);
    assert_matches_schema("cancelled", &serde_json::to_value(&outcome).unwrap());
}

#[test]
fn the_schema_refuses_fields_it_does_not_name_so_a_new_field_must_be_added_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let program = wat("hello.wat");
    let ok = report(&sluice_in(dir.path(), &["run", "--json", program.to_str().unwrap()]));
    assert_matches_schema("ok", &ok);
    for pointer in ["", "/stats", "/stats/servers/x"] {
        let mut extended = ok.clone();
        extended["stats"]["servers"]["x"] =
            json!({ "started": false, "definitions": null, "protocol": null, "calls": 0, "bytes_from_tools": 0 });
        extended.pointer_mut(pointer).unwrap()["added_field"] = json!(1);
        assert!(!schema().is_valid(&extended), "an unnamed field at {pointer:?} was accepted");
    }
}

#[test]
fn an_uncaught_tool_error_is_the_runs_error_naming_the_tool_the_reason_and_the_programs_line() {
    let dir = project(json!({}), "const answer = 42;\n\nawait tools.nowhere.lookup({ answer });\n");
    let output = sluice_in(dir.path(), &["run", "--json", "--config", "sluice.json", "agent.js"]);
    assert_eq!(output.status.code(), Some(1));
    let report = report(&output);
    let error = report["error"].as_str().unwrap();
    assert!(error.starts_with("Uncaught ToolError: nowhere.lookup: there is no server named \"nowhere\""), "{error}");
    assert!(error.contains("(agent.js:3:"), "the program's own line of the call: {error}");
    assert!(!error.contains("eval_script"), "no frames of the prelude: {error}");
    assert_eq!(report["stderr"], "", "said once, as the error");
    assert_eq!(report["stats"]["failed_tool_calls"], 1);
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));

    let plain = sluice_in(dir.path(), &["run", "--config", "sluice.json", "agent.js"]);
    let printed = stderr(&plain);
    assert_eq!(printed.matches("there is no server named").count(), 1, "printed once: {printed}");
    assert!(printed.contains("sluice: Uncaught ToolError: nowhere.lookup"), "{printed}");
}

#[test]
fn a_server_that_hangs_at_start_fails_at_its_own_timeout_and_is_not_reported_as_started() {
    let dir = project(
        json!({ "hang": { "command": "/bin/sleep", "args": ["60"], "timeout": "300ms" } }),
        "await tools.hang.anything({});\n",
    );
    let output = sluice_in(dir.path(), &["run", "--json", "--timeout", "60s", "--config", "sluice.json", "agent.js"]);
    let report = report(&output);
    assert_eq!(report["status"], "error", "the server's timeout, not the run's deadline: {report}");
    let error = report["error"].as_str().unwrap();
    assert!(error.contains("did not finish starting (the MCP handshake) within 300ms"), "{error}");
    assert_eq!(report["stats"]["servers"]["hang"]["started"], false, "{report}");

    let plain = sluice_in(dir.path(), &["run", "--timeout", "60s", "--config", "sluice.json", "agent.js"]);
    let summary = stderr(&plain);
    assert!(!summary.contains("started hang"), "{summary}");
    assert_eq!(summary.matches("did not finish starting").count(), 1, "said once: {summary}");
}

#[test]
fn a_misspelt_config_key_gets_the_key_it_resembles_once_and_no_colour_reaches_a_pipe() {
    let dir = project(json!({ "broken": { "command": "/nonexistent/server", "readonly": true } }), "1;\n");
    let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
    command.args(["run", "--config", "sluice.json", "agent.js"]).current_dir(dir.path());
    // Sluice's own log at its most talkative, to a pipe: plain text.
    let output = command.env("SLUICE_CACHE_DIR", dir.path().join("cache")).env("SLUICE_LOG", "debug").output().unwrap();
    let printed = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{printed}");
    assert_eq!(printed.matches("\"readonly\" (did you mean `readOnly`?)").count(), 1, "{printed}");
    assert!(printed.contains("DEBUG"), "the log is on: {printed}");
    assert!(!printed.contains('\u{1b}'), "no terminal escapes on a pipe: {printed:?}");
}

#[test]
fn a_missing_file_names_the_operating_systems_reason_once() {
    let dir = project(json!({}), "1;\n");
    for args in [&["run", "missing.js"][..], &["run", "--config", "missing.json", "agent.js"]] {
        let output = sluice_in(dir.path(), args);
        assert_eq!(output.status.code(), Some(2));
        let printed = stderr(&output);
        assert_eq!(printed.matches("No such file or directory").count(), 1, "{printed}");
        assert!(printed.contains("missing."), "{printed}");
    }
}

#[test]
fn sluice_tools_takes_aliases_and_short_paths_and_says_what_to_type_when_a_name_is_wrong() {
    let everything = json!({ "command": server_bin("npm/node_modules/.bin/mcp-server-everything"), "args": ["stdio"] });
    let dir = project(json!({ "every-thing": everything }), "");
    let tools = |path: &str| sluice_in(dir.path(), &["tools", "--config", "sluice.json", path]);
    let text = |output: &Output| String::from_utf8_lossy(&output.stdout).into_owned();

    let full = tools("servers/every-thing/get-sum.d.ts");
    assert_eq!(full.status.code(), Some(0), "{}", stderr(&full));
    assert!(text(&full).contains("function get_sum("), "{}", text(&full));
    for short in ["every_thing/get_sum", "every-thing/get-sum", "servers/every_thing/get_sum"] {
        let output = tools(short);
        assert_eq!(text(&output), text(&full), "{short}: {}", stderr(&output));
    }
    let listing = tools("every_thing");
    assert!(text(&listing).contains("get-sum.d.ts"), "{}", stderr(&listing));

    let typo = tools("every_thing/get_sun");
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains(
            "server \"every-thing\" has no tool named \"get_sun\" (did you mean `get-sum`?); `sluice tools every-thing` lists its tools"
        ),
        "{}",
        stderr(&typo)
    );
    let unknown = tools("evrything");
    assert!(
        stderr(&unknown).contains(
            "no server is named \"evrything\" (did you mean `every-thing`?); `sluice tools servers/` lists the configured servers"
        ),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn what_a_server_logs_during_the_programs_call_lands_in_the_runs_logs() {
    let chatty = json!({
        "command": server_bin("venv/bin/python"),
        "args": [root().join("tests/servers/chatty.py")],
    });
    // The server logs and answers at once, twenty times: every line sent
    // before a result must be in the run's logs, in the order it was sent.
    let program = "for (let i = 0; i < 20; i++) {\n  const said = await tools.chatty.echo({ text: `hello ${i}` });\n  console.log(said.result ?? said);\n}\n";
    let dir = project(json!({ "chatty": chatty }), program);
    let output = sluice_in(dir.path(), &["run", "--json", "--config", "sluice.json", "agent.js"]);
    let report = report(&output);
    assert_eq!(report["status"], "ok", "{report:#}");
    let stdout: String = (0..20).map(|i| format!("hello {i}\n")).collect();
    assert_eq!(report["stdout"], stdout, "{report:#}");
    let logs: Vec<Value> = (0..20)
        .flat_map(|i| {
            [
                json!({ "level": "info", "message": format!("chatty: echoing hello {i}") }),
                json!({ "level": "warn", "message": format!("chatty: hello {i} was echoed") }),
            ]
        })
        .collect();
    assert_eq!(report["logs"], Value::Array(logs), "{report:#}");
    assert_matches_schema("a run with server logs", &report);
}
