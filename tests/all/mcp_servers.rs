//! Real MCP servers nobody here wrote, installed by `.ci/setup` under
//! `target/test-servers/` (see `tests/servers/README.md`), driven through
//! `McpTools` by JavaScript programs as an agent would write them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sluice::RunControl;
use sluice::config::SluiceConfig;
use sluice::mcp::{McpOptions, McpTools};
use sluice::{ExecutionPolicy, JavaScript, RunOutcome, RunStatus, ToolHost};

use crate::support::{root, runtime};

/// An installed test server's executable, under `$SLUICE_TEST_SERVERS` or
/// `target/test-servers`.
pub(crate) fn server_bin(relative: &str) -> String {
    let servers = std::env::var_os("SLUICE_TEST_SERVERS")
        .map_or_else(|| root().join("target/test-servers"), std::path::PathBuf::from);
    let path = servers.join(relative);
    assert!(path.exists(), "{} is missing: run `bash .ci/setup` (the README's test command does)", path.display());
    path.to_string_lossy().into_owned()
}

fn everything() -> Value {
    json!({ "command": server_bin("npm/node_modules/.bin/mcp-server-everything"), "args": ["stdio"] })
}

fn time() -> Value {
    json!({ "command": server_bin("venv/bin/mcp-server-time"), "args": ["--local-timezone", "UTC"] })
}

fn memory(dir: &std::path::Path) -> Value {
    json!({
        "command": server_bin("npm/node_modules/.bin/mcp-server-memory"),
        "env": { "MEMORY_FILE_PATH": dir.join("memory.jsonl").to_string_lossy() },
    })
}

fn filesystem(dir: &std::path::Path) -> Value {
    json!({
        "command": server_bin("npm/node_modules/.bin/mcp-server-filesystem"),
        "args": [dir.to_string_lossy()],
    })
}

pub(crate) fn tools_for(servers: Value) -> Arc<McpTools> {
    tools_with(servers, McpOptions::default())
}

pub(crate) fn tools_with(servers: Value, options: McpOptions) -> Arc<McpTools> {
    let config = SluiceConfig::parse(&json!({ "mcpServers": servers }).to_string(), "test config").unwrap();
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    Arc::new(McpTools::new(&config, options))
}

async fn javascript() -> &'static JavaScript {
    static JS: tokio::sync::OnceCell<JavaScript> = tokio::sync::OnceCell::const_new();
    JS.get_or_init(|| async { JavaScript::load(runtime()).await.expect("the interpreter loads") }).await
}

pub(crate) async fn run_js(source: &str, tools: &Arc<McpTools>) -> RunOutcome {
    run_js_with(source, tools, &ExecutionPolicy::default()).await
}

async fn run_js_with(source: &str, tools: &Arc<McpTools>, policy: &ExecutionPolicy) -> RunOutcome {
    let host: Arc<dyn ToolHost> = tools.clone();
    javascript().await.run("agent.js", source, policy, host, &RunControl::new()).await.expect("the run starts")
}

pub(crate) fn stdout(outcome: &RunOutcome) -> String {
    String::from_utf8_lossy(&outcome.stdout).into_owned()
}

pub(crate) fn assert_ok(outcome: &RunOutcome) {
    assert_eq!(outcome.status, RunStatus::Ok, "{}\n{}", stdout(outcome), String::from_utf8_lossy(&outcome.stderr));
}

/// Polls `check` every 20 ms until it holds or `limit` passes.
pub(crate) async fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_joins_results_from_two_servers() {
    let dir = tempfile::tempdir().unwrap();
    for (name, amount) in [("north.txt", 17), ("south.txt", 25)] {
        std::fs::write(dir.path().join(name), format!("{amount}\n")).unwrap();
    }
    let root_dir = dir.path().canonicalize().unwrap();
    let tools = tools_for(json!({ "files": filesystem(&root_dir), "everything": everything() }));
    let source = format!(
        r#"
const listing = await tools.files.list_directory({{ path: {root:?} }});
const names = listing.content.split('\n').filter((l) => l.startsWith('[FILE]')).map((l) => l.slice(7).trim()).sort();
const amounts = await Promise.all(names.map(async (n) => Number((await tools.files.read_text_file({{ path: `${{{root:?}}}/${{n}}` }})).content.trim())));
const total = await tools.everything['get-sum']({{ a: amounts[0], b: amounts[1] }});
console.log(names.join(','), total);
"#,
        root = root_dir.to_string_lossy()
    );
    let outcome = run_js(&source, &tools).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "north.txt,south.txt The sum of 17 and 25 is 42.\n");
    let servers = &outcome.stats.servers;
    assert_eq!((servers["files"].calls, servers["everything"].calls), (3, 1));
    assert!(servers["files"].started && servers["everything"].started);
    tools.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_that_calls_one_of_three_servers_starts_only_that_one() {
    let dir = tempfile::tempdir().unwrap();
    let tools = tools_for(json!({ "everything": everything(), "time": time(), "memory": memory(dir.path()) }));
    let source = r#"
const servers = await sluice.servers();
const now = await tools.time.get_current_time({ timezone: 'UTC' });
console.log(servers.map((s) => s.name).join(','), now.timezone);
"#;
    let outcome = run_js(source, &tools).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "everything,memory,time UTC\n");
    let servers = &outcome.stats.servers;
    assert!(servers["time"].started, "{servers:?}");
    assert!(servers["time"].definitions.is_some_and(|n| n >= 2), "{servers:?}");
    for idle in ["everything", "memory"] {
        assert!(!servers[idle].started && servers[idle].definitions.is_none(), "{idle} was touched: {servers:?}");
    }
    let activity = tools.activity();
    assert_eq!(activity.iter().filter(|a| a.running).map(|a| a.name.as_str()).collect::<Vec<_>>(), ["time"]);
    tools.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_protocol_eras_are_negotiated() {
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git").args(args).current_dir(repo.path()).status().unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&[
        "-c",
        "user.name=Test",
        "-c",
        "user.email=test@example.com",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "First light",
    ]);
    let git_server = json!({
        "command": server_bin("venv/bin/mcp-server-git"),
        "args": ["--repository", repo.path()],
    });
    let tools = tools_for(json!({ "everything": everything(), "time": time(), "git": git_server }));
    let source = format!(
        r#"
await tools.everything.echo({{ message: 'hi' }});
await tools.time.get_current_time({{ timezone: 'UTC' }});
const log = await tools.git.git_log({{ repo_path: {repo:?}, max_count: 1 }});
console.log(JSON.stringify(log).includes('First light'));
"#,
        repo = repo.path().to_string_lossy()
    );
    let outcome = run_js(&source, &tools).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "true\n");
    let servers = &outcome.stats.servers;
    // The TypeScript SDK's servers speak 2025-11-25 (initialize); the Python SDK's answer server/discover.
    assert_eq!(servers["everything"].protocol.as_deref(), Some("2025-11-25"), "{servers:?}");
    assert_eq!(servers["time"].protocol.as_deref(), Some("2026-07-28"), "{servers:?}");
    assert_eq!(servers["git"].protocol.as_deref(), Some("2026-07-28"), "{servers:?}");
    tools.shutdown().await;
}

/// The everything server over Streamable HTTP on `port`, once it listens.
async fn everything_http(port: u16) -> tokio::process::Child {
    let server = tokio::process::Command::new(server_bin("npm/node_modules/.bin/mcp-server-everything"))
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let address = format!("127.0.0.1:{port}");
    wait_for("the HTTP server to listen", Duration::from_secs(30), || std::net::TcpStream::connect(&address).is_ok())
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_over_streamable_http_and_again_after_its_session_is_gone() {
    let port = free_port();
    let mut server = everything_http(port).await;
    let tools =
        tools_for(json!({ "remote": { "url": format!("http://127.0.0.1:{port}/mcp"), "headers": { "X-Test": "1" } } }));
    let program = "console.log(await tools.remote['get-sum']({ a: 40, b: 2 }));";
    let outcome = run_js(program, &tools).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "The sum of 40 and 2 is 42.\n");
    // A 2025-era server keeps a session (Mcp-Session-Id); one that restarted knows none. The spec's
    // answer to an unknown session is 404, after which rmcp starts a new session by itself; this
    // server answers 400 with an error that names no request, which no call can be matched to. The
    // call in flight fails at once (not at its timeout) saying so, and the next call reconnects.
    server.kill().await.unwrap();
    let _ = server.wait().await;
    let mut server = everything_http(port).await;
    let outcome = run_js(program, &tools).await;
    let RunStatus::Failed { message, .. } = &outcome.status else { panic!("{:?}", outcome.status) };
    assert!(message.contains("No valid session ID provided") && message.contains("connects afresh"), "{message}");
    let outcome = run_js(program, &tools).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "The sum of 40 and 2 is 42.\n");
    tools.shutdown().await;
    server.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_2025_session_is_replaced_by_a_new_one_and_the_call_goes_through() {
    // `tests/servers/sessions.py` keeps 2025-era sessions and, once asked, forgets them: the next
    // request gets 404, as after a restart or an idle timeout. The client starts a new session
    // (a second `initialize`) and sends the request again; the program never notices.
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record");
    let mut server = tokio::process::Command::new(server_bin("venv/bin/python"))
        .arg(root().join("tests/servers/sessions.py"))
        .arg(&record)
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let events = || std::fs::read_to_string(&record).unwrap_or_default();
    wait_for("the sessions server to listen", Duration::from_secs(30), || events().contains("port ")).await;
    let port = events().lines().find_map(|line| line.strip_prefix("port ")?.parse::<u16>().ok()).unwrap();
    let tools = tools_for(json!({ "s": { "url": format!("http://127.0.0.1:{port}/mcp") } }));
    let program = "console.log((await tools.s.add({ a: 1, b: 2 })).result);\n\
                   await tools.s.forget_sessions({});\n\
                   console.log((await tools.s.add({ a: 3, b: 4 })).result);";
    let outcome = run_js(program, &tools).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "3\n7\n");
    assert_eq!(outcome.stats.servers["s"].protocol.as_deref(), Some("2025-11-25"), "a session-ful era");
    assert_eq!(events().lines().filter(|line| line.starts_with("session ")).count(), 2, "{}", events());
    tools.shutdown().await;
    server.kill().await.unwrap();
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_call_fails_that_call_and_the_next_call_restarts_it() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let script = format!(
        "echo $$ > {}; exec {} stdio",
        pid_file.display(),
        server_bin("npm/node_modules/.bin/mcp-server-everything")
    );
    let tools = tools_for(json!({ "everything": { "command": "/bin/sh", "args": ["-c", script] } }));
    let source = r#"
let first;
try {
  await tools.everything['trigger-long-running-operation']({ duration: 30, steps: 30 });
  first = 'it finished';
} catch (e) {
  first = `${e.kind}: ${e.message}`;
}
const again = await tools.everything.echo({ message: 'again' });
console.log(first);
console.log(JSON.stringify(again));
"#;
    let run = tokio::spawn({
        let tools = tools.clone();
        async move { run_js(source, &tools).await }
    });
    wait_for("the long call to be in flight", Duration::from_secs(30), || tools.activity()[0].calls_in_flight == 1)
        .await;
    let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_owned();
    assert!(std::process::Command::new("kill").args(["-9", &pid]).status().unwrap().success());
    let outcome = run.await.unwrap();
    assert_ok(&outcome);
    let out = stdout(&outcome);
    let mut lines = out.lines();
    let first = lines.next().unwrap();
    assert!(first.starts_with("server_error: "), "{out}");
    assert!(first.contains(r#"server "everything""#) && first.contains("stopped during the request"), "{out}");
    assert!(first.contains("signal: 9") || first.contains("SIGKILL"), "{out}");
    assert!(lines.next().unwrap().contains("again"), "{out}");
    assert_eq!(tools.activity()[0].starts, 2);
    tools.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_call_ends_at_the_server_timeout_and_the_server_keeps_serving() {
    let mut server = everything();
    // The timeout bounds the server's start too: room for Node to start on a
    // busy machine (3 s was once too little with the whole suite running).
    server["timeout"] = json!("8s");
    let tools = tools_for(json!({ "everything": server }));
    let source = r#"
try {
  await tools.everything['trigger-long-running-operation']({ duration: 60, steps: 2 });
} catch (e) {
  console.log(e.kind, e.message);
}
console.log(await tools.everything.get_sum({ a: 1, b: 2 }));
"#;
    let outcome = run_js(source, &tools).await;
    assert_ok(&outcome);
    let out = stdout(&outcome);
    assert!(out.starts_with("timeout everything.trigger-long-running-operation: no answer from everything.trigger-long-running-operation within 8s; the call was cancelled\n"), "{out}");
    assert!(out.ends_with("The sum of 1 and 2 is 3.\n"), "{out}");
    assert_eq!(tools.activity()[0].starts, 1, "a timeout does not restart the server");
    tools.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_are_checked_against_the_input_schema_before_they_leave_the_host() {
    let tools = tools_for(json!({ "everything": everything() }));
    let source = r#"
try { await tools.everything.get_sum({ a: 'one' }); } catch (e) { console.log(e.kind, '|', e.message); }
try { await tools.everything.get_sum({ a: 1, bb: 2 }); } catch (e) { console.log(e.kind, '|', e.message); }
"#;
    let outcome = run_js(source, &tools).await;
    assert_ok(&outcome);
    let out = stdout(&outcome);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("invalid_arguments |"), "{out}");
    assert!(lines[0].contains("`/a`: \"one\" is not of type \"number\""), "the value and the type expected: {out}");
    assert!(lines[0].contains("\"b\" is a required property"), "{out}");
    assert!(lines[1].contains("`bb` (did you mean `b`?) is not a property of this tool"), "{out}");
    let signature = ". Expected: tools.everything.get_sum(args: { a: number; b: number; }): Promise<unknown>";
    assert!(lines.iter().all(|line| line.ends_with(signature)), "each message ends with the signature: {out}");
    assert_eq!(outcome.stats.servers["everything"].bytes_from_tools, 0);
    assert_eq!((outcome.stats.tool_calls, outcome.stats.failed_tool_calls), (2, 2), "{:?}", outcome.stats);
    tools.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_over_the_caps_fail_with_result_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let root_dir = dir.path().canonicalize().unwrap();
    std::fs::write(root_dir.join("big.txt"), "x".repeat(200_000)).unwrap();
    std::fs::write(root_dir.join("medium.txt"), "y".repeat(30_000)).unwrap();
    // Messages over 64 KiB are stopped at the transport; results over 20 KB at the sandbox.
    let mut options = McpOptions::default();
    options.max_message_bytes = 64 << 10;
    let tools = tools_with(json!({ "files": filesystem(&root_dir) }), options);
    let mut policy = ExecutionPolicy::default();
    policy.limits.result_bytes = 20_000;
    let source = format!(
        r#"
for (const name of ['big.txt', 'medium.txt']) {{
  try {{ await tools.files.read_text_file({{ path: `${{{root:?}}}/${{name}}` }}); console.log(name, 'read'); }}
  catch (e) {{ console.log(name, e.kind, e.message); }}
}}
console.log(JSON.stringify(await tools.files.list_allowed_directories({{}})).length > 0);
"#,
        root = root_dir.to_string_lossy()
    );
    let outcome = run_js_with(&source, &tools, &policy).await;
    assert_ok(&outcome);
    let out = stdout(&outcome);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("big.txt result_too_large") && lines[0].contains("65536"), "{out}");
    assert!(lines[1].starts_with("medium.txt result_too_large") && lines[1].contains("20000"), "{out}");
    assert_eq!(lines[2], "true", "the server still answers: {out}");
    assert_eq!(tools.activity()[0].starts, 1);
    tools.shutdown().await;
}

#[test]
fn the_cli_reads_the_config_keeps_secrets_on_the_host_and_names_a_server_that_cannot_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = everything();
    server["env"] = json!({ "API_TOKEN": "${env:SLUICE_TEST_TOKEN}" });
    server["description"] = json!("The MCP test server with every feature.");
    let config = json!({ "mcpServers": {
        "everything": server,
        "broken": { "command": "/nonexistent/mcp-server", "args": ["--flag"] },
        "later": { "command": "/bin/false", "someFutureKey": 1 },
    }});
    std::fs::write(dir.path().join("sluice.json"), config.to_string()).unwrap();
    std::fs::write(
        dir.path().join("agent.js"),
        r#"
console.log(JSON.stringify(await sluice.servers()));
console.log(await sluice.describe('everything', 'echo'));
console.log(await tools.everything.echo({ message: 'hi' }));
await tools.broken.anything({});
"#,
    )
    .unwrap();
    let secret = "s3cr3t-value-8271";
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["run", "--json", "agent.js"])
        .current_dir(dir.path())
        .env("SLUICE_CACHE_DIR", dir.path().join("cache"))
        .env("SLUICE_TEST_TOKEN", secret)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let result: Value = serde_json::from_str(&stdout).unwrap();
    let error = result["error"].as_str().unwrap();
    assert!(
        error.starts_with(
            r#"Uncaught ToolError: broken.anything: server "broken" failed: cannot start "/nonexistent/mcp-server": "#
        ),
        "{error}"
    );
    let printed = result["stdout"].as_str().unwrap();
    assert!(printed.contains("The MCP test server with every feature."), "{printed}");
    assert!(printed.contains("function echo("), "{printed}");
    assert!(printed.contains("Echo: hi"), "{printed}");
    assert!(stderr.contains("someFutureKey"), "unknown keys are warned about: {stderr}");
    for text in [&*stdout, &*stderr] {
        assert!(!text.contains(secret) && !text.contains("SLUICE_TEST_TOKEN"), "a secret leaked: {text}");
    }
    assert_eq!(result["stats"]["servers"]["later"]["started"], false);
    assert_eq!(result["stats"]["servers"]["everything"]["started"], true);
}

#[test]
fn a_missing_secret_is_named_without_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = everything();
    server["env"] = json!({ "API_TOKEN": "${env:SLUICE_TEST_UNSET_TOKEN}" });
    std::fs::write(dir.path().join("sluice.json"), json!({ "mcpServers": { "everything": server } }).to_string())
        .unwrap();
    std::fs::write(dir.path().join("agent.js"), "await tools.everything.echo({ message: 'hi' });").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["run", "agent.js"])
        .current_dir(dir.path())
        .env("SLUICE_CACHE_DIR", dir.path().join("cache"))
        .env_remove("SLUICE_TEST_UNSET_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the environment variable SLUICE_TEST_UNSET_TOKEN is not set"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_names_with_dots_and_dashes_work_by_exact_name_and_by_alias() {
    let script = root().join("tests/servers/dotted.py");
    let tools = tools_for(json!({ "shop": { "command": server_bin("venv/bin/python"), "args": [script] } }));
    let source = r#"
console.log(JSON.stringify(await tools.shop['inventory.count-items']({ kind: 'apple' })));
console.log(JSON.stringify(await tools['shop']['inventory.count_items']({ kind: 'pear' })));
try { await tools.shop.inventory_count_items({ kind: 'fig' }); } catch (e) { console.log(e.kind, e.message); }
console.log(JSON.stringify(await tools.shop.stock_check_up({ sku: 'a-1' })));
console.log((await sluice.search('count items', { limit: 2 })).map((h) => h.tool).sort().join(' '));
"#;
    let outcome = run_js(source, &tools).await;
    assert_ok(&outcome);
    let out = stdout(&outcome);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], r#"{"kind":"apple","count":5}"#, "{out}");
    assert_eq!(lines[1], r#"{"result":"exact"}"#, "{out}");
    assert!(
        lines[2].starts_with("invalid_request") && lines[2].contains(r#"tools["shop"]["inventory.count-items"]"#),
        "{out}"
    );
    assert_eq!(lines[3], r#"{"sku":"a-1","in_stock":true}"#, "{out}");
    assert_eq!(lines[4], "inventory.count-items inventory.count_items", "{out}");
    tools.shutdown().await;
}

fn github() -> Value {
    json!({
        "command": server_bin("venv/bin/github-mcp-server"),
        "args": ["stdio", "--toolsets", "all"],
        // Listing needs no real token; nothing here reaches GitHub.
        "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "unused-for-listing" },
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn githubs_official_server_is_searched_and_described_without_loading_it_into_the_program() {
    let tools = tools_for(json!({ "github": github() }));
    let source = r#"
const hits = await sluice.search('list the issues of a repository', { limit: 3, detail: 'name' });
console.log(hits.map((h) => h.tool).join(' '));
const signature = await sluice.describe('github', 'list_issues');
console.log(signature.includes('function list_issues(') && signature.includes('owner: string'));
"#;
    let outcome = run_js(source, &tools).await;
    assert_ok(&outcome);
    let out = stdout(&outcome);
    assert!(out.lines().next().unwrap().split(' ').any(|t| t == "list_issues"), "{out}");
    assert!(out.ends_with("true\n"), "{out}");
    let github = &outcome.stats.servers["github"];
    assert!(github.definitions.is_some_and(|n| n >= 80), "{github:?}");
    // The program received a few hits and one declaration, not 85 definitions.
    assert!(outcome.stats.bytes_to_program < 8_000, "{:?}", outcome.stats);
    tools.shutdown().await;
}

#[test]
fn sluice_tools_browses_declarations_as_files_and_lists_servers_without_starting_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = json!({ "mcpServers": {
        "github": github(),
        "never": { "command": "/nonexistent/never-started", "description": "Not started by listing." },
    }});
    std::fs::write(dir.path().join("servers.json"), config.to_string()).unwrap();
    let tools = |path: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["tools", "--config", "servers.json", path])
            .current_dir(dir.path())
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, servers, _) = tools("servers/");
    assert_eq!(code, Some(0));
    assert!(servers.contains("never/") && servers.contains("Not started by listing."), "{servers}");
    let (code, files, _) = tools("servers/github/");
    assert_eq!(code, Some(0));
    assert_eq!(files.lines().next().unwrap().split_whitespace().next(), Some("index.d.ts"));
    assert!(files.lines().count() >= 81, "{files}");
    assert!(files.lines().any(|l| l.starts_with("list_issues.d.ts ")), "{files}");
    let (code, one, _) = tools("servers/github/list_issues.d.ts");
    assert_eq!(code, Some(0));
    assert!(one.starts_with("declare namespace tools.github {") && one.contains("function list_issues("), "{one}");
    let (code, index, _) = tools("servers/github/index.d.ts");
    assert_eq!(code, Some(0));
    assert!(index.matches("  function ").count() >= 80, "{index}");
    let (code, _, error) = tools("servers/github/../../etc/passwd");
    assert_eq!(code, Some(2));
    assert!(error.contains("is not a path of the tool tree; try `servers/`"), "{error}");
}

#[test]
fn bindings_for_githubs_server_compile_for_wasm32_wasip1_and_strip_as_typescript() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("servers.json"), json!({ "mcpServers": { "github": github() } }).to_string())
        .unwrap();
    for lang in ["rust", "ts"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["bindings", "--config", "servers.json", "--server", "github", "--lang", lang, "--out", "out"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let rust = std::fs::read_to_string(dir.path().join("out/github.rs")).unwrap();
    assert!(rust.matches("\npub fn ").count() >= 80, "one function per tool");
    assert!(rust.contains("pub fn list_issues(args: &ListIssuesArgs)"), "{rust}");

    // A guest crate that uses them, built offline against the guest SDK's lockfile.
    let krate = dir.path().join("crate");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    std::fs::write(
        krate.join("Cargo.toml"),
        format!(
            "[package]\nname = \"github-bindings\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nsluice-guest = {{ path = {:?} }}\nserde = {{ version = \"1\", features = [\"derive\"] }}\n\
             serde_json = \"1\"\n\n[workspace]\n",
            root().join("guest-sdk")
        ),
    )
    .unwrap();
    std::fs::copy(root().join("guest-sdk/Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    std::fs::copy(dir.path().join("out/github.rs"), krate.join("src/github.rs")).unwrap();
    std::fs::write(krate.join("src/lib.rs"), "pub mod github;\n").unwrap();
    let build = std::process::Command::new(env!("CARGO"))
        .args(["build", "--offline", "--target", "wasm32-wasip1", "--target-dir"])
        .arg(root().join("target/bindings-check"))
        .current_dir(&krate)
        .env("RUSTFLAGS", "-D warnings")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .unwrap();
    assert!(build.status.success(), "the bindings do not compile:\n{}", String::from_utf8_lossy(&build.stderr));

    let typescript = std::fs::read_to_string(dir.path().join("out/github.ts")).unwrap();
    assert!(typescript.contains("export function listIssues(args: ListIssuesArgs): Promise<ListIssuesResult> {"));
    let javascript = sluice::strip_types("github.ts", &typescript).unwrap();
    assert!(javascript.contains(r#"return tools["github"]["list_issues"](args)"#), "{javascript}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_answers_garbage_or_dies_at_start_is_named_with_what_happened() {
    // Scripts in files: what a server prints of its own arguments is redacted.
    let dir = tempfile::tempdir().unwrap();
    let script = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap();
        dir.path().join(name)
    };
    let tools = tools_for(json!({
        "garbage": { "command": "/bin/sh", "args": [script("garbage.sh", "while read line; do echo 'this is not JSON-RPC'; done")] },
        "dies": {
            "command": "/bin/sh",
            "args": [script("dies.sh", "echo missing credentials, token $TOKEN >&2; exit 3")],
            // Any variable of the test's environment stands in for a secret.
            "env": { "TOKEN": "${env:CARGO_MANIFEST_DIR}" },
        },
    }));
    let source = r#"
for (const server of ['garbage', 'dies']) {
  try { await tools[server].anything({}); } catch (e) { console.log(e.kind, '|', e.message); }
}
"#;
    let outcome = run_js(source, &tools).await;
    assert_ok(&outcome);
    let out = stdout(&outcome);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with(r#"server_error | garbage.anything: server "garbage" failed: it wrote something other than JSON-RPC on stdout ("this is not JSON-RPC")"#), "{out}");
    assert!(
        lines[1].contains(
            r#"server "dies" failed: it stopped during the MCP handshake: the process exited (exit status: 3)"#
        ),
        "{out}"
    );
    assert!(lines[1].contains("missing credentials, token [redacted]"), "the server's stderr explains it: {out}");
    assert!(!out.contains(env!("CARGO_MANIFEST_DIR")), "an expanded secret reached the program: {out}");
    tools.shutdown().await;
}

#[test]
fn no_server_process_outlives_the_cli_even_one_its_command_spawned() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    // `sh` stays the parent (no exec), as `npx` does: the server is its child, and a
    // `sleep` it left behind ignores the end of stdin; only killing the group ends it.
    let script = format!(
        "echo $$ > {}; sleep 300 & {} stdio; true",
        pid_file.display(),
        server_bin("npm/node_modules/.bin/mcp-server-everything")
    );
    let config = json!({ "mcpServers": { "everything": { "command": "/bin/sh", "args": ["-c", script] } } });
    std::fs::write(dir.path().join("sluice.json"), config.to_string()).unwrap();
    std::fs::write(dir.path().join("agent.js"), "console.log(await tools.everything.echo({ message: 'hi' }));")
        .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["run", "agent.js"])
        .current_dir(dir.path())
        .env("SLUICE_CACHE_DIR", dir.path().join("cache"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let group = std::fs::read_to_string(&pid_file).unwrap().trim().to_owned();
    let members_of = |group: &str| {
        let listed = std::process::Command::new("ps").args(["-e", "-o", "pgid=,stat="]).output().unwrap();
        // Zombies are dead, only not yet reaped by init.
        String::from_utf8_lossy(&listed.stdout)
            .lines()
            .filter_map(|line| line.trim().split_once(char::is_whitespace).map(|(pgid, stat)| (pgid, stat.trim())))
            .filter(|(pgid, stat)| *pgid == group && !stat.starts_with('Z'))
            .count()
    };
    let own = std::process::Command::new("ps").args(["-o", "pgid=", "-p", &std::process::id().to_string()]).output();
    let own = String::from_utf8_lossy(&own.unwrap().stdout).trim().to_owned();
    assert!(members_of(&own) > 0, "ps lists the members of a live group");
    let members = || members_of(&group);
    let deadline = Instant::now() + Duration::from_secs(10);
    while members() > 0 {
        assert!(Instant::now() < deadline, "the server's process group {group} outlived sluice");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_its_timeout_is_cancelled_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("cancelled");
    let script = root().join("tests/servers/dotted.py");
    let tools =
        // The timeout bounds the server's start too: room for Python to start on a busy machine.
        tools_for(json!({ "shop": { "command": server_bin("venv/bin/python"), "args": [script], "timeout": "5s" } }));
    let source = format!(
        "try {{ await tools.shop['wait.forever']({{ marker: {:?} }}); }} catch (e) {{ console.log(e.kind); }}",
        marker.to_string_lossy()
    );
    let outcome = run_js(&source, &tools).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "timeout\n");
    // The server learns of it through notifications/cancelled and stops the work.
    wait_for("the server to see the cancellation", Duration::from_secs(10), || marker.exists()).await;
    tools.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_list_change_reaches_the_cached_list_and_new_tools_are_callable() {
    let script = root().join("tests/servers/dotted.py");
    let tools = tools_for(json!({ "shop": { "command": server_bin("venv/bin/python"), "args": [script] } }));
    let host: Arc<dyn ToolHost> = tools.clone();
    let names = |list: &[sluice::ToolDefinition]| list.iter().map(|d| d.name.clone()).collect::<Vec<_>>();
    assert!(!names(&host.list_tools("shop").await.unwrap()).contains(&"fresh.one".to_owned()));
    let mut arguments = serde_json::Map::new();
    arguments.insert("name".into(), json!("fresh.one"));
    let call = sluice::ToolCall { server: "shop".into(), tool: "stock.add-tool".into(), arguments };
    assert!(!host.call_tool(call).await.unwrap().is_error);
    // notifications/tools/list_changed (on a 2026-07-28 listen stream) marks the cache stale.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !names(&host.list_tools("shop").await.unwrap()).contains(&"fresh.one".to_owned()) {
        assert!(Instant::now() < deadline, "the cached list never changed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A program calling a tool its cached list lacks gets it too (the list is re-read once).
    let outcome = run_js(
        "await tools.shop['stock.add-tool']({ name: 'fresh.two' }); console.log(JSON.stringify(await tools.shop.fresh_two({})));",
        &tools,
    )
    .await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "{\"result\":\"fresh.two works\"}\n");
    tools.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_tool_gets_the_closest_names_and_a_denied_one_names_the_rule_that_hides_it() {
    let dir = tempfile::tempdir().unwrap();
    let root_dir = dir.path().canonicalize().unwrap();
    let mut files = filesystem(&root_dir);
    files["deny"] = json!(["write_*"]);
    let tools = tools_for(json!({ "files": files }));
    let source = r#"
for (const attempt of [
  () => tools.files.read_text_fil({ path: '/' }),
  () => tools.files.write_file({ path: '/x', content: '' }),
  () => sluice.describe('files', 'write_file'),
  () => tools.files.teleport({}),
]) {
  try { await attempt(); console.log('no error'); } catch (e) { console.log(e.kind + ': ' + e.message); }
}
"#;
    let outcome = run_js(source, &tools).await;
    assert_ok(&outcome);
    let lines: Vec<String> = stdout(&outcome).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[0].starts_with("unknown_tool: ") && lines[0].contains("(did you mean `read_text_file`"),
        "{}",
        lines[0]
    );
    for denied in &lines[1..3] {
        assert!(
            denied.contains(
                r#"tool "write_file" of server "files" is denied by Sluice's configuration ("deny": ["write_*"])"#
            ),
            "{denied}"
        );
        assert!(!denied.contains("has no tool"), "{denied}");
    }
    assert!(lines[3].contains("has no tool named \"teleport\"; sluice.search()"), "nothing is close: {}", lines[3]);
    tools.shutdown().await;
}
