//! Issue 8's holes in the run loop and the CLI, each shown closed: log and discovery floods, alias stats, workspace code, terminal escapes.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sluice::RunControl;
use sluice::config::SluiceConfig;
use sluice::mcp::{McpOptions, McpTools};
use sluice::{ExecutionPolicy, LimitKind, ToolHost};

use crate::mcp_servers::server_bin;
use crate::support::{ConcurrencyProbe, assert_still_healthy, demo_tools, load_wat, run, runtime, wat};

fn policy() -> ExecutionPolicy {
    let mut policy = ExecutionPolicy::default();
    policy.limits.deadline = Duration::from_secs(20);
    policy
}

#[tokio::test]
async fn a_flood_of_empty_log_lines_is_capped_by_count_and_stopped() {
    let outcome = run(&load_wat("log_flood.wat"), &policy(), Arc::new(sluice::NoTools)).await;
    assert_eq!(outcome.limit(), Some(LimitKind::Output), "{:?}", outcome.status);
    let limits = &policy().limits;
    assert_eq!(outcome.logs.len() as u64, limits.log_records.min(limits.log_bytes / 32));
    assert!(outcome.stats.logs_dropped > 0);
    assert!(outcome.error_message().unwrap().contains("kept logging"), "{:?}", outcome.status);
    assert_still_healthy().await;
}

#[tokio::test]
async fn describing_a_missing_tool_forever_is_stopped_by_the_discovery_budget() {
    let tools = Arc::new(demo_tools(Arc::new(ConcurrencyProbe::default()), 1));
    let mut policy = policy();
    policy.limits.discovery_operations = 200;
    let outcome = run(&load_wat("discovery_flood.wat"), &policy, tools).await;
    assert_eq!(outcome.limit(), Some(LimitKind::Discovery), "{:?}", outcome.status);
    assert_eq!(outcome.stats.discovery_operations, 200);
    assert_still_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_through_a_server_alias_count_for_that_server_and_made_up_names_for_none() {
    let servers = json!({ "mcpServers": {
        "time-server": { "command": server_bin("venv/bin/mcp-server-time"), "args": ["--local-timezone", "UTC"] },
    }});
    let config = SluiceConfig::parse(&servers.to_string(), "test").unwrap();
    let tools = Arc::new(McpTools::new(&config, McpOptions::default()));
    let javascript = sluice::JavaScript::load(runtime()).await.unwrap();
    let source = r#"
await tools.time_server.get_current_time({ timezone: 'UTC' });
await tools['time-server'].get_current_time({ timezone: 'UTC' });
for (let i = 0; i < 50; i++) {
  try { await tools[`made-up-${i}`].anything({}); } catch {}
}
"#;
    let host: Arc<dyn ToolHost> = tools.clone();
    let outcome =
        javascript.run("agent.js", source, &ExecutionPolicy::default(), host, &RunControl::new()).await.unwrap();
    assert_eq!(outcome.status, sluice::RunStatus::Ok, "{}", String::from_utf8_lossy(&outcome.stderr));
    let stats = &outcome.stats.servers;
    assert_eq!(stats.keys().collect::<Vec<_>>(), ["time-server"], "{stats:?}");
    assert_eq!(stats["time-server"].calls, 2);
    assert!(stats["time-server"].bytes_from_tools > 0);
    tools.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_sharing_servers_are_credited_only_with_starts_they_caused() {
    let servers = json!({ "mcpServers": {
        "time-server": { "command": server_bin("venv/bin/mcp-server-time"), "args": ["--local-timezone", "UTC"] },
    }});
    let config = SluiceConfig::parse(&servers.to_string(), "test").unwrap();
    let tools = Arc::new(McpTools::new(&config, McpOptions::default()));
    let javascript = sluice::JavaScript::load(runtime()).await.unwrap();
    let host: Arc<dyn ToolHost> = tools.clone();
    let policy = ExecutionPolicy::default();
    // A bystander run that calls nothing is going on while another run starts
    // the server: diffing global counters around it would credit it with the start.
    let (starter_control, bystander_control) = (RunControl::new(), RunControl::new());
    let bystander = javascript.run(
        "bystander.js",
        "console.log('running'); const t = Date.now(); while (Date.now() - t < 4000) {}",
        &policy,
        host.clone(),
        &bystander_control,
    );
    let starter = async {
        crate::support::wait_until("the bystander to get underway", std::time::Duration::from_secs(20), || {
            bystander_control.progress().output_lines > 0
        })
        .await;
        let source = "await tools.time_server.get_current_time({ timezone: 'UTC' });";
        javascript.run("starter.js", source, &policy, host.clone(), &starter_control).await
    };
    let (starter, bystander) = tokio::join!(starter, bystander);
    let (starter, bystander) = (starter.unwrap(), bystander.unwrap());
    assert!(starter.stats.servers["time-server"].started, "{:?}", starter.stats.servers);
    assert!(!bystander.stats.servers["time-server"].started, "{:?}", bystander.stats.servers);
    tools.shutdown().await;
}

fn sluice_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .current_dir(dir)
        .env("SLUICE_CACHE_DIR", dir.join(".cache"))
        .env_remove("SLUICE_LOG")
        .output()
        .expect("sluice runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_default_configuration_in_the_workspace_is_not_read() {
    let workspace = tempfile::tempdir().unwrap();
    let planted = workspace.path().join("trap");
    let config = json!({ "mcpServers": { "evil": { "command": "/bin/sh", "args": ["-c", format!("touch {}", planted.display())] } }});
    std::fs::write(workspace.path().join("sluice.json"), config.to_string()).unwrap();
    std::fs::write(workspace.path().join("agent.js"), "console.log(JSON.stringify(await sluice.servers()));").unwrap();

    let output = sluice_in(workspace.path(), &["run", "--workspace", ".", "agent.js"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(text(&output.stdout), "[]\n", "the program must see no servers from the workspace's config");
    assert!(stderr.contains("not reading sluice.json") && stderr.contains("--config"), "{stderr}");

    // Without a workspace grant the same file is the project's configuration.
    let output = sluice_in(workspace.path(), &["run", "agent.js"]);
    assert!(text(&output.stdout).contains("evil"), "{}", text(&output.stderr));
    assert!(!planted.exists(), "listing servers starts none");
}

#[test]
fn a_server_whose_script_is_in_the_workspace_is_refused_unless_allowed() {
    let home = tempfile::tempdir().unwrap();
    let workspace = home.path().join("workspace");
    std::fs::create_dir(&workspace).unwrap();
    std::fs::write(workspace.join("server.py"), "raise SystemExit(0)\n").unwrap();
    let config = json!({ "mcpServers": { "local": { "command": "python3", "args": [workspace.join("server.py")] } }});
    std::fs::write(home.path().join("servers.json"), config.to_string()).unwrap();
    let program = wat("hello.wat");
    let program = program.to_str().unwrap();

    let refused = sluice_in(home.path(), &["run", "--config", "servers.json", "--workspace", "workspace", program]);
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("server \"local\"")
            && stderr.contains("inside the workspace")
            && stderr.contains("--allow-workspace-code"),
        "{stderr}"
    );
    assert!(refused.stdout.is_empty(), "the program must not run");

    let allowed = sluice_in(
        home.path(),
        &["run", "--config", "servers.json", "--workspace", "workspace", "--allow-workspace-code", program],
    );
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stderr));
    assert_eq!(text(&allowed.stdout), "hello, sluice\n");

    // A configuration file inside the workspace is refused even when named.
    std::fs::write(workspace.join("sluice.json"), json!({ "mcpServers": {} }).to_string()).unwrap();
    let named =
        sluice_in(home.path(), &["run", "--config", "workspace/sluice.json", "--workspace", "workspace", program]);
    assert_eq!(named.status.code(), Some(2), "{}", text(&named.stderr));
    assert!(text(&named.stderr).contains("could rewrite it"), "{}", text(&named.stderr));
}

#[test]
fn sluices_own_lines_carry_no_terminal_commands_and_cannot_be_forged() {
    let dir = tempfile::tempdir().unwrap();
    let program = wat("log_escapes.wat");
    let output = sluice_in(dir.path(), &["run", program.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains('\x1b') && !stderr.contains('\x07'), "raw control characters: {stderr:?}");
    assert!(stderr.contains(r"[info] copy\u{1b}]52;c;ZXZpbA==\u{7}\u{a}sluice: ok in 1.0 ms"), "{stderr:?}");
    let forged = stderr.lines().filter(|line| line.starts_with("sluice: ok")).count();
    assert_eq!(forged, 1, "only the real summary line starts a line: {stderr:?}");

    // An error message's lines are indented under Sluice's own.
    std::fs::write(dir.path().join("bad.ts"), "let x: = 1;\n").unwrap();
    let output = sluice_in(dir.path(), &["run", "bad.ts"]);
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().filter(|line| line.starts_with("sluice: ")).count(), 2, "{stderr}");
}

/// On a terminal, a program's own output is escaped too (a pipe gets it as it is,
/// which the other tests see). `script` gives the command a pseudo-terminal.
#[test]
fn a_programs_output_cannot_drive_the_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed, so no pseudo-terminal");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agent.js"), r#"console.log("copy\x1b]52;c;ZXZpbA==\x07 done");"#).unwrap();
    let command = format!("{} run agent.js", env!("CARGO_BIN_EXE_sluice"));
    let output = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .current_dir(dir.path())
        .env("SLUICE_CACHE_DIR", dir.path().join(".cache"))
        .output()
        .unwrap();
    let shown = text(&output.stdout);
    assert!(shown.contains(r"copy\u{1b}]52;c;ZXZpbA==\u{7} done"), "{shown:?}");
    assert!(!shown.contains('\x1b'), "{shown:?}");

    let piped = sluice_in(dir.path(), &["run", "agent.js"]);
    assert_eq!(text(&piped.stdout), "copy\x1b]52;c;ZXZpbA==\x07 done\n", "a pipe gets the bytes as they are");
}

#[test]
fn a_workspace_holding_the_compiled_code_cache_runs_without_it() {
    let home = tempfile::tempdir().unwrap();
    let program = wat("hello.wat");
    let output = sluice_in(home.path(), &["run", "--workspace", ".", program.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("not caching compiled code") && stderr.contains("overlaps the workspace"), "{stderr}");
    assert!(
        !home.path().join(".cache").exists(),
        "nothing, least of all the cache key, is written where the program can reach"
    );
}
