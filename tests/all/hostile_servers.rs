//! MCP servers that misbehave on purpose (`tests/servers/hostile.py`, shell
//! servers that die, loopback HTTP endpoints that refuse): what they can reach of
//! the host, what a program sees of their failures, and that Sluice stays bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sluice::ToolHost;
use sluice::mcp::McpOptions;

use crate::mcp_servers::{assert_ok, free_port, run_js, server_bin, stdout, tools_for, tools_with, wait_for};
use crate::support::root;

/// `tests/servers/hostile.py` with `args`.
fn hostile(args: &[&str]) -> Value {
    let mut argv = vec![root().join("tests/servers/hostile.py").to_string_lossy().into_owned()];
    argv.extend(args.iter().map(|arg| arg.to_string()));
    json!({ "command": server_bin("venv/bin/python"), "args": argv })
}

/// Runs `sluice run --json agent.js` in a fresh directory holding `config` and
/// `source`, with `env` added to its environment. Returns what the program
/// produced (the JSON result) and Sluice's own log (its stderr).
fn run_cli(config: &Value, source: &str, env: &[(&str, &str)]) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sluice.json"), config.to_string()).unwrap();
    std::fs::write(dir.path().join("agent.js"), source).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"));
    command.args(["run", "--json", "agent.js"]).current_dir(dir.path()).env("SLUICE_CACHE_DIR", cache_dir());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    let result = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{log}", String::from_utf8_lossy(&output.stdout)));
    (result, log)
}

/// One compile cache for these CLI runs, so the interpreter is compiled once.
fn cache_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// What the program printed, what it was told on stderr and what it failed with: everything of a run it could see or pass on.
fn program_visible(result: &Value) -> String {
    let error = result["error"].as_str().unwrap_or_default();
    format!("{}\n{}\n{error}", result["stdout"].as_str().unwrap(), result["stderr"].as_str().unwrap())
}

#[test]
fn a_server_sees_only_the_default_environment_and_its_configured_variables() {
    let mut server = hostile(&[]);
    server["env"] = json!({ "GREETING": "hello", "FORWARDED": "${env:SLUICE_TEST_FORWARDED}" });
    let (result, log) = run_cli(
        &json!({ "mcpServers": { "hostile": server } }),
        "console.log(JSON.stringify(await tools.hostile.environment({})));",
        &[
            ("AWS_SECRET_ACCESS_KEY", "aws-secret-value-123456"),
            ("SLUICE_TEST_SECRET", "sluice-secret-value-7890"),
            ("SLUICE_TEST_FORWARDED", "forwarded-value"),
        ],
    );
    assert_eq!(result["status"], "ok", "{result}\n{log}");
    let env: serde_json::Map<String, Value> = serde_json::from_str(result["stdout"].as_str().unwrap()).unwrap();
    assert_eq!(env["GREETING"], "hello");
    assert_eq!(env["FORWARDED"], "forwarded-value", "a configured ${{env:...}} is passed");
    assert!(env.contains_key("PATH"), "{env:?}");
    for name in env.keys() {
        assert!(
            sluice::mcp::INHERITED_VARIABLES.contains(&name.as_str())
                || ["GREETING", "FORWARDED"].contains(&name.as_str()),
            "the server inherited {name} from Sluice's environment: {env:?}"
        );
    }
    let shown = result["stdout"].as_str().unwrap();
    for secret in ["aws-secret-value-123456", "sluice-secret-value-7890", env!("CARGO_MANIFEST_DIR")] {
        assert!(!shown.contains(secret), "{secret} reached the server: {shown}");
    }
}

#[test]
fn a_dying_server_that_quotes_its_arguments_and_variables_shows_programs_none_of_them() {
    // It prints an argument, a variable, the secret inside a variable, a piece of
    // that secret and a literal value, with a terminal escape, then dies.
    let script = r#"
pw=${DATABASE_URL#*//*:}; pw=${pw%@*}
echo "started with $1" >&2
echo "DATABASE_URL=$DATABASE_URL" >&2
echo "bad password $pw; it begins $(printf %s "$pw" | cut -c1-12)" >&2
echo "mode $MODE" >&2
printf 'copy \033]52;c;aGk=\007 done\n' >&2
exit 3"#;
    let dir = tempfile::tempdir().unwrap();
    let script_file = dir.path().join("server.sh");
    std::fs::write(&script_file, script).unwrap();
    let config = json!({ "mcpServers": { "dies": {
        "command": "/bin/sh",
        "args": [script_file, "--api-key=ak-live-4f9a8b7c6d"],
        "env": {
            "DATABASE_URL": "postgres://app:${env:SLUICE_TEST_DB_PASSWORD}@db.internal/prod",
            "MODE": "literal-mode-secret-77",
        },
    }}});
    let source = "try { await tools.dies.anything({}); } catch (e) { console.log(e.kind, '|', e.message); }";
    let password = "pg-Pa55w0rd-from-env-31337";
    let (result, log) = run_cli(&config, source, &[("SLUICE_TEST_DB_PASSWORD", password)]);
    assert_eq!(result["status"], "ok", "{result}\n{log}");
    let seen = program_visible(&result);
    assert!(
        seen.starts_with(r#"server_error | dies.anything: server "dies" failed: it stopped during the MCP handshake: the process exited (exit status: 3); its stderr ended with: "#),
        "{seen}"
    );
    assert!(seen.contains("[redacted]"), "{seen}");
    for secret in ["ak-live-4f9a8b7c6d", password, &password[..12], "literal-mode-secret-77"] {
        assert!(!seen.contains(secret), "{secret} reached the program: {seen}");
    }
    assert!(!seen.contains('\u{1b}') && !seen.contains('\u{7}'), "a terminal escape reached the program: {seen:?}");
    assert!(seen.contains(r"copy \u{1b}]52;c;aGk=\u{7} done"), "{seen}");
}

/// A loopback HTTP endpoint that answers every request with `status` and a
/// body echoing the request's head (its URL and headers), as some proxies do.
fn echoing_endpoint(status: &'static str) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let echo = format!("request refused; you sent:\n{head}");
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{echo}",
                echo.len()
            );
            let _ = reader.get_mut().write_all(response.as_bytes());
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_servers_that_fail_show_programs_no_url_token_query_or_header() {
    let closed = free_port();
    let unauthorized = echoing_endpoint("401 Unauthorized");
    let broken = echoing_endpoint("500 Internal Server Error");
    let path = "mcp/tok-in-path-4821?api_key=qk-in-query-9313";
    let headers = json!({ "Authorization": "Bearer hdr-token-5150", "X-Api-Key": "xkey-2718-2818" });
    let tools = tools_for(json!({
        "closed": { "url": format!("http://user:pa55-in-userinfo@127.0.0.1:{closed}/{path}"), "headers": headers },
        "unauthorized": { "url": format!("http://127.0.0.1:{unauthorized}/{path}"), "headers": headers },
        "broken": { "url": format!("http://127.0.0.1:{broken}/{path}"), "headers": headers },
    }));
    let source = r#"
for (const server of ['closed', 'unauthorized', 'broken']) {
  try { await tools[server].anything({}); } catch (e) { console.log(e.kind, '|', e.message); }
}
"#;
    let outcome = run_js(source, &tools).await;
    assert_ok(&outcome);
    let out = stdout(&outcome);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    // The kind of failure; the URL, headers and the body that echoes them go to the log only.
    for (line, (server, kind)) in lines.iter().zip([
        ("closed", "it could not be reached"),
        ("unauthorized", "it answered HTTP 401"),
        ("broken", "it answered HTTP 500"),
    ]) {
        assert_eq!(
            *line,
            format!(r#"server_error | {server}.anything: server "{server}" failed: the MCP handshake failed: {kind}"#)
        );
    }
    for secret in ["pa55-in-userinfo", "tok-in-path-4821", "qk-in-query-9313", "hdr-token-5150", "xkey-2718-2818"] {
        assert!(!out.contains(secret), "{secret} reached the program: {out}");
    }
    tools.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_list_that_never_ends_fails_with_a_clear_error() {
    let mut endless = hostile(&["--endless-pages"]);
    endless["timeout"] = json!("60s");
    // Each page has five tools: the page cap, then the tool and byte caps, end the listing.
    let options = |change: fn(&mut McpOptions)| {
        let mut options = McpOptions::default();
        change(&mut options);
        options
    };
    for (options, expected) in [
        (options(|_| {}), "its tool list goes on for more than 1000 pages"),
        (options(|o| o.max_tools = 12), "its tool list has more than 12 tools"),
        (options(|o| o.max_tool_list_bytes = 4000), "its tool list is over the limit of 4000 bytes"),
    ] {
        let tools = tools_with(json!({ "endless": endless }), options);
        let host: Arc<dyn ToolHost> = tools.clone();
        let error = host.list_tools("endless").await.unwrap_err();
        assert_eq!(error.to_string(), format!(r#"server "endless" failed: {expected}"#));
        tools.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_again_and_again_for_a_missing_tool_lists_the_tools_afresh_at_most_once_per_interval() {
    let mut options = McpOptions::default();
    options.refresh_interval = Duration::from_secs(3600);
    let tools = tools_with(json!({ "hostile": hostile(&[]) }), options);
    let source = r#"
let misses = 0;
for (let i = 0; i < 200; i++) {
  try { await sluice.describe('hostile', 'missing'); } catch (e) { misses++; }
  try { await tools.hostile.missing({}); } catch (e) { misses++; }
}
console.log(misses, JSON.stringify(await tools.hostile.list_requests({})));
"#;
    let outcome = run_js(source, &tools).await;
    assert_ok(&outcome);
    // The first listing, then one fresh listing for the first miss; the other 399 misses use the cache.
    assert_eq!(stdout(&outcome), "400 {\"result\":2}\n");
    tools.shutdown().await;
}

#[test]
fn a_server_flooding_log_notifications_is_rate_limited_cut_and_escaped() {
    let source = r#"
await tools.hostile.flood_log({ count: 1, size: 100000 });
await tools.hostile.flood_log({ count: 2000, size: 10 });
"#;
    let started = Instant::now();
    let (result, log) = run_cli(
        &json!({ "mcpServers": { "hostile": hostile(&[]) } }),
        source,
        &[("SLUICE_LOG", "sluice::server=info")],
    );
    let elapsed = started.elapsed();
    assert_eq!(result["status"], "ok", "{result}\n{log}");
    let floods: Vec<&str> = log.lines().filter(|line| line.contains("flood ")).collect();
    assert!(!floods.is_empty(), "server log notifications reach the log: {log}");
    // A burst of 50, then 10 a second: a bound that holds however long the run took.
    let allowed = 50 + 10 * (elapsed.as_secs() as usize + 1);
    assert!(floods.len() <= allowed, "{} of 2001 log notifications were logged (at most {allowed})", floods.len());
    assert!(log.contains("log messages: the server sent too many"), "the drop is reported: {log}");
    assert!(floods.iter().all(|line| line.len() < 4096 + 256), "a log line was not cut");
    assert!(floods[0].contains('…'), "{}", floods[0]);
    assert!(!log.contains("\u{1b}]52") && !log.contains('\u{7}'), "a terminal escape reached the log");
}

/// Whether `pid` is a live process (not gone, not a zombie).
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_a_server_started_in_a_session_of_its_own_ends_with_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let tools = tools_for(json!({ "hostile": hostile(&[]) }));
    let source =
        format!("console.log(JSON.stringify(await tools.hostile.leave_process({{ pid_file: {:?} }})));", pid_file);
    let outcome = run_js(&source, &tools).await;
    assert_ok(&outcome);
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(alive(&pid), "the left-behind process runs while the server does");
    tools.shutdown().await;
    wait_for("the process the server left behind to end", Duration::from_secs(10), || !alive(&pid)).await;
}

#[test]
fn a_daemon_a_server_left_behind_ends_with_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("daemon.pid");
    // The subshell starts the daemon in a session of its own and exits at once, so
    // the daemon is no longer below the server: only a subreaper can find it.
    let script = format!(
        "(setsid sleep 300 & echo $! > {}); exec {} {}",
        pid_file.display(),
        server_bin("venv/bin/python"),
        root().join("tests/servers/hostile.py").display()
    );
    let config = json!({ "mcpServers": { "hostile": { "command": "/bin/sh", "args": ["-c", script] } } });
    let (result, log) = run_cli(&config, "await tools.hostile.list_requests({});", &[]);
    assert_eq!(result["status"], "ok", "{result}\n{log}");
    let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(&pid) {
        assert!(Instant::now() < deadline, "the daemon {pid} outlived sluice");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_nested_deeper_than_the_parser_allows_fails_at_once_saying_why() {
    // The same server over stdio and over Streamable HTTP.
    let port = free_port();
    let mut web = tokio::process::Command::new(server_bin("venv/bin/python"))
        .arg(root().join("tests/servers/hostile.py"))
        .args(["--http", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let address = format!("127.0.0.1:{port}");
    wait_for("the HTTP server to listen", Duration::from_secs(30), || std::net::TcpStream::connect(&address).is_ok())
        .await;
    let mut stdio = hostile(&[]);
    stdio["timeout"] = json!("30s");
    let http = json!({ "url": format!("http://{address}/mcp"), "timeout": "30s" });
    let tools = tools_for(json!({ "stdio": stdio, "http": http }));
    let source = r#"
for (const server of ['stdio', 'http']) {
  try { await tools[server].nested({ depth: 200 }); } catch (e) { console.log(e.kind, '|', e.message); }
  console.log(JSON.stringify(await tools[server].nested({ depth: 3 })));
}
"#;
    let outcome = run_js(source, &tools).await;
    assert_ok(&outcome);
    let why = "its answer is nested deeper than 127 levels of arrays and objects, which Sluice does not read";
    assert_eq!(
        stdout(&outcome),
        format!(
            "server_error | stdio.nested: server \"stdio\" failed: {why}\n{{\"value\":[[[0]]]}}\n\
             server_error | http.nested: server \"http\" failed: {why}\n{{\"value\":[[[0]]]}}\n"
        )
    );
    assert!(tools.activity().iter().all(|server| server.starts == 1), "the servers keep serving");
    tools.shutdown().await;
    web.kill().await.unwrap();
}
