//! `sluice serve` with real clients: the official Python SDK (`tests/clients/mcp_client.py`) over stdio and
//! Streamable HTTP in both protocol eras, plain HTTP requests for the HTTP guards, and raw JSON-RPC lines
//! for what a client does to a pipe. Upstream servers are real: the PyPI time server and
//! `tests/servers/slow.py`, whose record file shows from outside when a call starts and is cancelled.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::mcp_servers::server_bin;
use crate::support::{root, wait_until};

/// How long any one step may take before the test fails instead of hanging.
const STEP: Duration = Duration::from_secs(90);

/// The two protocol eras a client may speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Era {
    /// 2025-11-25: `initialize`, tasks in the core protocol (SEP-1686).
    Legacy,
    /// 2026-07-28: `server/discover`, tasks as an extension (SEP-2663).
    Modern,
}

const BOTH_ERAS: [Era; 2] = [Era::Legacy, Era::Modern];
const TASKS_EXTENSION: &str = "io.modelcontextprotocol/tasks";

impl Era {
    fn driver_name(self) -> &'static str {
        match self {
            Era::Legacy => "2025",
            Era::Modern => "2026",
        }
    }

    fn version(self) -> &'static str {
        match self {
            Era::Legacy => "2025-11-25",
            Era::Modern => "2026-07-28",
        }
    }
}

/// The compiled-code cache every server in this module shares, so the interpreter is prepared once.
fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-cache")
}

/// Writes a configuration with `servers` into `dir` and returns its path.
fn config(dir: &Path, servers: Value) -> String {
    let path = dir.join("servers.json");
    std::fs::write(&path, json!({ "mcpServers": servers }).to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

/// The `time` server of `examples/servers.json`.
fn time_server() -> Value {
    json!({
        "command": server_bin("venv/bin/mcp-server-time"),
        "args": ["--local-timezone", "UTC"],
        "description": "The current time, and time-zone conversion.",
    })
}

/// `tests/servers/slow.py`, recording what it lives through in `record`.
fn slow_server(record: &Path) -> Value {
    json!({
        "command": server_bin("venv/bin/python"),
        "args": [root().join("tests/servers/slow.py"), record],
        "description": "A tool that takes its time.",
    })
}

/// A configured server that leaves `marker` behind the moment anything starts it (and then fails its
/// handshake, which a search skips).
fn marking_server(marker: &Path) -> Value {
    let script = format!("touch '{}'; exit 3", marker.display());
    json!({ "command": "/bin/sh", "args": ["-c", script], "description": "Started only when needed." })
}

/// The events `slow.py` recorded so far.
fn events(record: &Path) -> Vec<String> {
    std::fs::read_to_string(record).unwrap_or_default().lines().map(str::to_owned).collect()
}

/// Waits until `slow.py` has recorded `event` at least `count` times.
async fn wait_for_events(record: &Path, event: &str, count: usize) {
    wait_until(&format!("the slow server to record {event:?} {count} times"), Duration::from_secs(30), || {
        events(record).iter().filter(|e| *e == event).count() >= count
    })
    .await;
}

/// The arguments of `sluice serve` for `config` and `extra` flags.
fn serve_args(config: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["serve".to_owned(), "--config".to_owned(), config.to_owned()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// The text of a `CallToolResult`'s first content block.
fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_else(|| panic!("no text content: {result}"))
}

/// A real MCP client: the Python SDK steered by `tests/clients/mcp_client.py`. One driver process
/// can connect, disconnect and connect again (to another server, in another era).
struct Client {
    driver: Child,
    /// `None` once finished.
    commands: Option<ChildStdin>,
    replies: Lines<BufReader<ChildStdout>>,
    /// The driver's stderr (and that of a stdio server it spawned), shown when a test fails.
    stderr: Arc<Mutex<String>>,
    /// What the last handshake (`initialize` or `server/discover`) gave the SDK.
    handshake: Value,
}

/// Where a client connects.
#[derive(Debug, Clone)]
enum Transport {
    /// Spawns `sluice serve` with these arguments and talks to it on its stdin and stdout.
    Stdio(Vec<String>),
    /// Streamable HTTP at this URL, with these headers.
    Http(String, Value),
}

/// Keeps what `stream` prints in `into`, so a child never blocks on a full pipe.
fn collect(stream: impl tokio::io::AsyncRead + Unpin + Send + 'static, into: Arc<Mutex<String>>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            into.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
}

impl Client {
    /// Starts the client, not yet connected.
    async fn start() -> Client {
        let mut driver = Command::new(server_bin("venv/bin/python"))
            .arg(root().join("tests/clients/mcp_client.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the Python client starts");
        let commands = driver.stdin.take();
        let replies = BufReader::new(driver.stdout.take().unwrap()).lines();
        let stderr = Arc::default();
        collect(driver.stderr.take().unwrap(), Arc::clone(&stderr));
        Client { driver, commands, replies, stderr, handshake: Value::Null }
    }

    /// A client connected in `era` over `transport`.
    async fn connected(era: Era, transport: &Transport) -> Client {
        let mut client = Client::start().await;
        client.connect(era, transport).await;
        client
    }

    async fn connect(&mut self, era: Era, transport: &Transport) {
        self.connect_with(era, transport, Value::Null).await;
    }

    /// Connects declaring client `extensions` (sent with every request in the 2026-07-28 era).
    async fn connect_with(&mut self, era: Era, transport: &Transport, extensions: Value) {
        let mut connect = match transport {
            Transport::Stdio(args) => json!({
                "transport": "stdio",
                "command": env!("CARGO_BIN_EXE_sluice"),
                "args": args,
                "env": { "SLUICE_CACHE_DIR": cache_dir() },
            }),
            Transport::Http(url, headers) => json!({ "transport": "http", "url": url, "headers": headers }),
        };
        connect["op"] = "connect".into();
        connect["era"] = era.driver_name().into();
        if !extensions.is_null() {
            connect["extensions"] = extensions;
        }
        let reply = self.send(connect).await;
        assert!(reply.get("error").is_none() && reply.get("exception").is_none(), "{era:?} connect failed: {reply}");
        assert_eq!(reply["protocolVersion"], era.version(), "{reply}");
        self.handshake = reply;
    }

    /// Ends the session (a stdio server sees its stdin close).
    async fn disconnect(&mut self) {
        assert_eq!(self.send(json!({ "op": "close" })).await, json!({ "closed": true }));
    }

    /// Disconnects and checks the client exits cleanly.
    async fn finish(mut self) {
        self.disconnect().await;
        self.finish_disconnected().await;
    }

    /// Checks a disconnected client exits cleanly.
    async fn finish_disconnected(mut self) {
        self.commands = None;
        let exited = tokio::time::timeout(STEP, self.driver.wait()).await;
        let clean = exited.is_ok_and(|status| status.is_ok_and(|s| s.success()));
        assert!(clean, "the client did not exit cleanly: {}", self.stderr.lock().unwrap());
    }

    /// Sends one command to the driver and returns its answer.
    async fn send(&mut self, command: Value) -> Value {
        let mut line = command.to_string();
        line.push('\n');
        let commands = self.commands.as_mut().expect("the client is running");
        commands.write_all(line.as_bytes()).await.expect("the client takes commands");
        let reply = tokio::time::timeout(STEP, self.replies.next_line()).await;
        let reply = reply.unwrap_or_else(|_| panic!("the client did not answer {command}"));
        let reply = reply.unwrap().unwrap_or_else(|| panic!("the client exited on {command}"));
        serde_json::from_str(&reply).unwrap_or_else(|e| panic!("the client answered garbage ({e}): {reply}"))
    }

    /// `tools/list`: the tools as the SDK parsed them.
    async fn list_tools(&mut self) -> Vec<Value> {
        let reply = self.send(json!({ "op": "list_tools" })).await;
        reply["tools"].as_array().unwrap_or_else(|| panic!("tools/list failed: {reply}")).clone()
    }

    /// `tools/call` through `ClientSession.call_tool`: the `CallToolResult`.
    async fn call(&mut self, name: &str, arguments: Value) -> Value {
        let reply = self.send(json!({ "op": "call_tool", "name": name, "arguments": arguments })).await;
        reply.get("result").unwrap_or_else(|| panic!("{name} failed: {reply}")).clone()
    }

    /// A request through `ClientSession.send_request` (the SDK checks the result against its schema).
    async fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.request_command(json!({ "op": "request", "method": method, "params": params })).await
    }

    /// A request the SDK would refuse to parse (a `CreateTaskResult` to `tools/call`), stamped as the
    /// session stamps every request.
    async fn raw(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.request_command(json!({ "op": "request", "method": method, "params": params, "raw": true })).await
    }

    /// [`Client::request`], and the result must also parse as the SDK's `mcp.types` model `model`.
    async fn request_as(&mut self, method: &str, params: Value, model: &str) -> Result<Value, Value> {
        self.request_command(json!({ "op": "request", "method": method, "params": params, "validate": model })).await
    }

    async fn request_command(&mut self, command: Value) -> Result<Value, Value> {
        let reply = self.send(command.clone()).await;
        match (reply.get("result"), reply.get("error")) {
            (Some(result), None) => Ok(result.clone()),
            (None, Some(error)) => Err(error.clone()),
            _ => panic!("{command} failed in the client: {reply}"),
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- the client's stderr ---\n{}", self.stderr.lock().unwrap());
        }
    }
}

/// `sluice serve --http 127.0.0.1:0`, started by the test and stopped (SIGTERM) at its end.
struct HttpServer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    base: String,
    /// Everything the server printed on stderr, for failure messages.
    stderr: Arc<Mutex<String>>,
}

impl HttpServer {
    async fn start(config: &str, flags: &[&str], env: &[(&str, &str)]) -> HttpServer {
        let mut args = serve_args(config, &["--http", "127.0.0.1:0", "--grace", "1s"]);
        args.extend(flags.iter().map(|s| s.to_string()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(&args)
            .env("SLUICE_CACHE_DIR", cache_dir())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("sluice serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        collect(child.stderr.take().unwrap(), Arc::clone(&stderr));
        let mut base = None;
        wait_until("sluice serve to say where it listens", STEP, || {
            let printed = stderr.lock().unwrap();
            base = printed.lines().find_map(|line| line.strip_prefix("sluice: serving MCP on ")).map(str::to_owned);
            base.is_some() || child.try_wait().unwrap().is_some()
        })
        .await;
        let base = base.unwrap_or_else(|| panic!("sluice serve did not start: {}", stderr.lock().unwrap()));
        let base = base.strip_suffix("/mcp").expect("the endpoint is /mcp").to_owned();
        HttpServer { child, base, stderr }
    }

    fn url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    fn transport(&self) -> Transport {
        Transport::Http(self.url(), json!({}))
    }

    fn transport_with_token(&self, token: &str) -> Transport {
        Transport::Http(self.url(), json!({ "Authorization": format!("Bearer {token}") }))
    }

    /// Stops the server as an operator would (SIGTERM) and checks it exits cleanly.
    async fn stop(mut self) {
        let pid = self.child.id().expect("still running").to_string();
        let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let status = tokio::time::timeout(STEP, self.child.wait()).await.expect("sluice serve stops on SIGTERM");
        assert!(status.unwrap().success(), "sluice serve failed: {}", self.stderr.lock().unwrap());
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- the server's stderr ---\n{}", self.stderr.lock().unwrap());
        }
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A JSON-RPC request body.
fn jsonrpc(method: &str, params: Value) -> String {
    json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string()
}

/// POSTs `body` to the MCP endpoint as a Streamable HTTP client would, plus `headers`.
async fn post(server: &HttpServer, body: String, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = http()
        .post(server.url())
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body).send().await.expect("the server answers")
}

// --- 1. Sluice's tools, over every transport and era ---------------------------------------------------

/// The scenario every client starts with: three tools, a program calling a real server, search, describe,
/// and a failing program reported so a model can fix it. `marker` is left by a configured server the moment
/// it starts: listing tools and running a program that needs only `time` must not start it.
async fn three_tools_call_a_real_server(client: &mut Client, marker: &Path) {
    let tools = client.list_tools().await;
    let names: Vec<&str> = tools.iter().map(|tool| tool["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["execute", "search_tools", "describe_tool"]);
    assert_eq!(client.handshake["serverInfo"]["name"], "sluice", "{}", client.handshake);
    let description = tools[0]["description"].as_str().unwrap();
    assert!(description.contains("\n- time: The current time, and time-zone conversion."), "{description}");
    assert!(!description.contains("get_current_time"), "no upstream definition in execute: {description}");
    assert!(!marker.exists(), "tools/list started an upstream server");
    // What is served is what the token budget counts, plus one line per configured server.
    let fixed = |tool: &Value| tool["description"].as_str().unwrap().split("\nServers:").next().unwrap().to_owned();
    for (served, own) in tools.iter().zip(sluice::serve::definitions::tools(&[])) {
        assert_eq!(fixed(served), fixed(&own));
        assert_eq!((&served["inputSchema"], &served["outputSchema"]), (&own["inputSchema"], &own["outputSchema"]));
    }

    let result = client
        .call(
            "execute",
            json!({ "code": "const now = await tools.time.get_current_time({ timezone: 'UTC' });\n\
                             console.log(now.timezone, /^\\d{4}-\\d\\d-\\d\\dT/.test(now.datetime));" }),
        )
        .await;
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(text(&result), "UTC true\n");
    let outcome = &result["structuredContent"];
    assert_eq!(
        (&outcome["status"], &outcome["stdout"], &outcome["exit_code"]),
        (&json!("ok"), &json!("UTC true\n"), &json!(0))
    );
    assert_eq!(outcome["stats"]["tool_calls"], 1, "{outcome}");
    assert!(!marker.exists(), "a program that calls only `time` started another server");

    let found = client.call("search_tools", json!({ "query": "current time in a timezone" })).await;
    let best = &found["structuredContent"]["results"][0];
    assert_eq!((&best["server"], &best["tool"]), (&json!("time"), &json!("get_current_time")), "{found}");
    // The server's own annotations come with each hit.
    assert_eq!((&best["readOnly"], &best["destructive"]), (&json!(true), &json!(false)), "{found}");
    // Searching reads every server's definitions, so now the other server has started: the marker works.
    assert!(marker.exists(), "search_tools did not start the marking server: the marker proves nothing");

    let described = client.call("describe_tool", json!({ "server": "time", "tool": "convert_time" })).await;
    assert_eq!(described["isError"], false, "{described}");
    assert!(text(&described).contains("function convert_time("), "{described}");

    let failed = client
        .call("execute", json!({ "code": "const city = 'Atlantis';\nthrow new Error(`no time zone for ${city}`);" }))
        .await;
    assert_eq!(failed["isError"], true, "{failed}");
    let message = text(&failed);
    assert!(message.contains("Error: no time zone for Atlantis"), "{message}");
    assert!(message.contains("main.js:2"), "the error names the file and line: {message}");
    assert_eq!(failed["structuredContent"]["status"], "error", "{failed}");
}

/// A configuration with the `time` server and one that marks when it is started.
fn time_and_marking_servers(dir: &Path) -> (String, PathBuf) {
    let marker = dir.join("started");
    (config(dir, json!({ "time": time_server(), "lazy": marking_server(&marker) })), marker)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_stdio_both_eras_see_three_tools_and_run_search_and_describe_against_a_real_server() {
    let mut client = Client::start().await;
    for era in BOTH_ERAS {
        let dir = tempfile::tempdir().unwrap();
        let (config, marker) = time_and_marking_servers(dir.path());
        client.connect(era, &Transport::Stdio(serve_args(&config, &[]))).await;
        three_tools_call_a_real_server(&mut client, &marker).await;
        client.disconnect().await;
    }
    client.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_both_eras_see_three_tools_and_run_search_and_describe_against_a_real_server() {
    let mut client = Client::start().await;
    for era in BOTH_ERAS {
        let dir = tempfile::tempdir().unwrap();
        let (config, marker) = time_and_marking_servers(dir.path());
        let server = HttpServer::start(&config, &[], &[]).await;
        client.connect(era, &server.transport()).await;
        three_tools_call_a_real_server(&mut client, &marker).await;
        client.disconnect().await;
        server.stop().await;
    }
    client.finish().await;
}

/// `tests/servers/asking.py`, whose tools ask for input while they run.
fn asking_server() -> Value {
    json!({
        "command": server_bin("venv/bin/python"),
        "args": [root().join("tests/servers/asking.py")],
        "description": "Books flights, asking which seat.",
    })
}

const BOOK: &str = "console.log((await tools.asking.book({ flight: 'BA1' })).result);";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_stdio_a_servers_question_goes_to_the_client_that_submitted_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), json!({ "asking": asking_server() }));
    let stdio = Transport::Stdio(serve_args(&config, &[]));

    // A client that takes elicitations answers the server's form; the program sees only the result.
    let mut client = Client::start().await;
    let answer = json!({ "action": "accept", "content": { "seat": "12A", "meal": "fish" } });
    let mut connect = json!({
        "op": "connect", "era": "2025", "transport": "stdio", "command": env!("CARGO_BIN_EXE_sluice"),
        "args": serve_args(&config, &[]), "env": { "SLUICE_CACHE_DIR": cache_dir() }, "elicitation": answer,
    });
    let reply = client.send(connect.clone()).await;
    assert_eq!(reply["protocolVersion"], "2025-11-25", "{reply}");
    let result = client.call("execute", json!({ "code": BOOK })).await;
    assert_eq!(text(&result), "accept seat=12A meal=fish\n", "{result}");
    let asked = client.send(json!({ "op": "elicited" })).await;
    let requests = asked["requests"].as_array().unwrap_or_else(|| panic!("{asked}"));
    assert_eq!(requests.len(), 1, "{asked}");
    assert_eq!(requests[0]["message"], "asking asks: Booking BA1: which seat?", "{asked}");
    assert!(requests[0]["requestedSchema"]["required"].as_array().unwrap().contains(&json!("seat")), "{asked}");

    // A decline from the person is the server's answer too.
    client.disconnect().await;
    connect["elicitation"] = json!({ "action": "decline" });
    client.send(connect).await;
    let result = client.call("execute", json!({ "code": BOOK })).await;
    assert_eq!(text(&result), "decline\n", "{result}");
    client.disconnect().await;

    // A client that does not take elicitations leaves the answer to the policy: declined by default.
    client.connect(Era::Legacy, &stdio).await;
    let result = client.call("execute", json!({ "code": BOOK })).await;
    assert_eq!(text(&result), "decline\n", "{result}");
    client.disconnect().await;
    // `--elicitation` names the policy and asks no one: defaults where the form has them all.
    client.connect(Era::Legacy, &Transport::Stdio(serve_args(&config, &["--elicitation", "accept-defaults"]))).await;
    let confirm = "console.log((await tools.asking.confirm({ what: 'it' })).result);";
    let result = client.call("execute", json!({ "code": confirm })).await;
    assert_eq!(text(&result), "accept ok=True\n", "{result}");
    client.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_stdio_a_client_that_sets_a_log_level_gets_the_runs_log_lines_at_or_above_it_before_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let chatty = json!({
        "command": server_bin("venv/bin/python"),
        "args": [root().join("tests/servers/chatty.py")],
        "description": "Logs while it echoes.",
    });
    let config = config(dir.path(), json!({ "chatty": chatty }));
    let mut client = Client::connected(Era::Legacy, &Transport::Stdio(serve_args(&config, &[]))).await;
    assert!(client.handshake["capabilities"]["logging"].is_object(), "{}", client.handshake);
    let program = "for (const text of ['a', 'b']) console.log((await tools.chatty.echo({ text })).result);";
    // No level chosen, no log notifications: the lines are in the result's `logs` only.
    let result = client.call("execute", json!({ "code": program })).await;
    assert_eq!(text(&result), "a\nb\n", "{result}");
    assert_eq!(result["structuredContent"]["logs"].as_array().map(Vec::len), Some(4), "{result}");
    assert_eq!(client.send(json!({ "op": "logged" })).await["messages"], json!([]));

    assert_eq!(client.request("logging/setLevel", json!({ "level": "warning" })).await, Ok(json!({})));
    let result = client.call("execute", json!({ "code": program })).await;
    assert_eq!(text(&result), "a\nb\n", "{result}");
    let logged = client.send(json!({ "op": "logged" })).await;
    let expected = ["a", "b"]
        .map(|text| json!({ "level": "warning", "logger": "server chatty", "data": format!("{text} was echoed") }));
    assert_eq!(logged["messages"], json!(expected), "only warnings, in order, before the result");
    client.finish().await;
}

// --- 2. 2025-11-25 tasks (SEP-1686) ---------------------------------------------------------------------

/// Polls `tasks/get` (in `era`'s shape) until the task is no longer working; returns the last answer.
async fn poll_until_over(client: &mut Client, era: Era, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let task = match era {
            Era::Legacy => client.request_as("tasks/get", json!({ "taskId": id }), "GetTaskResult").await,
            Era::Modern => client.raw("tasks/get", json!({ "taskId": id })).await,
        };
        let task = task.expect("tasks/get answers");
        if task["status"] != "working" {
            return task;
        }
        assert!(Instant::now() < deadline, "task {id} never ended: {task}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Creates a 2025-11-25 task running `code`; returns the `task` of the `CreateTaskResult`.
async fn create_task(client: &mut Client, code: &str, ttl: u64) -> Value {
    let params = json!({ "name": "execute", "arguments": { "code": code }, "task": { "ttl": ttl } });
    let command = json!({ "op": "request", "method": "tools/call", "params": params, "raw": true, "validate": "CreateTaskResult" });
    let created = client.request_command(command).await.expect("a task-augmented execute is accepted");
    let task = created["task"].clone();
    assert_eq!(task["status"], "working", "the task is answered at once, before the program ends: {created}");
    assert_eq!(task["ttl"], ttl, "{created}");
    let id = task["taskId"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4, "task ids are random v4 UUIDs: {id}");
    task
}

fn assert_invalid_params(answer: Result<Value, Value>, what: &str) {
    let error = answer.expect_err(&format!("{what} must be refused"));
    assert_eq!(error["code"], -32602, "{what}: {error}");
}

async fn legacy_tasks_run_execute(client: &mut Client) {
    assert_eq!(
        client.handshake["capabilities"]["tasks"],
        json!({ "list": {}, "cancel": {}, "requests": { "tools": { "call": {} } } }),
        "{}",
        client.handshake
    );
    let tools = client.list_tools().await;
    let support: Vec<&Value> = tools.iter().map(|tool| &tool["execution"]["taskSupport"]).collect();
    assert_eq!(support, [&json!("optional"), &Value::Null, &Value::Null], "only execute takes tasks: {tools:?}");

    let task = create_task(client, "console.log(6 * 7);", 60_000).await;
    let id = task["taskId"].as_str().unwrap();
    let done = poll_until_over(client, Era::Legacy, id).await;
    assert_eq!((&done["taskId"], &done["status"]), (&json!(id), &json!("completed")), "{done}");
    let result = client.request_as("tasks/result", json!({ "taskId": id }), "CallToolResult").await;
    let result = result.expect("tasks/result answers");
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(text(&result), "42\n");
    assert_eq!(result["structuredContent"]["status"], "ok");
    assert_eq!(result["_meta"]["io.modelcontextprotocol/related-task"]["taskId"], id, "{result}");
    let listed = client.request_as("tasks/list", json!({}), "ListTasksResult").await.expect("tasks/list answers");
    let listed: Vec<&Value> = listed["tasks"].as_array().unwrap().iter().map(|task| &task["taskId"]).collect();
    assert!(listed.contains(&&json!(id)), "{listed:?}");
    assert_invalid_params(client.request("tasks/cancel", json!({ "taskId": id })).await, "cancelling a finished task");

    // A program that fails ends its task as failed; the result says why.
    let failing = create_task(client, "null.property;", 60_000).await;
    let failing = failing["taskId"].as_str().unwrap();
    assert_eq!(poll_until_over(client, Era::Legacy, failing).await["status"], "failed");
    let result = client.request("tasks/result", json!({ "taskId": failing })).await.unwrap();
    assert_eq!(result["isError"], true, "{result}");
    assert!(text(&result).contains("TypeError"), "{result}");

    let unknown = uuid::Uuid::new_v4().to_string();
    for method in ["tasks/get", "tasks/result", "tasks/cancel"] {
        assert_invalid_params(client.request(method, json!({ "taskId": unknown })).await, method);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_tasks_over_stdio_and_http_are_created_at_once_polled_fetched_listed_and_refused_when_over() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), json!({}));
    let server = HttpServer::start(&config, &[], &[]).await;
    let mut client = Client::start().await;
    for transport in [Transport::Stdio(serve_args(&config, &[])), server.transport()] {
        client.connect(Era::Legacy, &transport).await;
        legacy_tasks_run_execute(&mut client).await;
        client.disconnect().await;
    }
    client.finish().await;
    server.stop().await;
}

// --- 3. Cancelling a task stops the program and its upstream call ---------------------------------------

/// Starts a program stuck on the slow tool as a task, in `era`'s way; returns the task id.
async fn start_stuck_task(client: &mut Client, era: Era) -> String {
    let code = "console.log(await tools.slow.wait({ seconds: 3600 }));";
    match era {
        Era::Legacy => create_task(client, code, 60_000).await["taskId"].as_str().unwrap().to_owned(),
        Era::Modern => {
            let answer = client.raw("tools/call", json!({ "name": "execute", "arguments": { "code": code } })).await;
            let task = answer.expect("execute is accepted");
            assert_eq!((&task["resultType"], &task["status"]), (&json!("task"), &json!("working")), "{task}");
            task["taskId"].as_str().unwrap().to_owned()
        }
    }
}

/// The `n`th stuck program of this server: started, cancelled by `tasks/cancel`, seen cancelled upstream.
async fn cancel_a_stuck_task(client: &mut Client, era: Era, record: &Path, n: usize) {
    let id = start_stuck_task(client, era).await;
    wait_for_events(record, "started", n).await;
    let answer = match era {
        Era::Legacy => client.request_as("tasks/cancel", json!({ "taskId": id }), "CancelTaskResult").await,
        Era::Modern => client.raw("tasks/cancel", json!({ "taskId": id })).await,
    };
    answer.unwrap_or_else(|error| panic!("tasks/cancel of a working task is accepted: {error}"));
    let over = poll_until_over(client, era, &id).await;
    assert_eq!(over["status"], "cancelled", "{over}");
    if era == Era::Legacy {
        let result = client.request_as("tasks/result", json!({ "taskId": id }), "CallToolResult").await.unwrap();
        assert_eq!((&result["isError"], &result["structuredContent"]["status"]), (&json!(true), &json!("cancelled")));
    }
    // The upstream server's handler was cancelled too (notifications/cancelled), not left running.
    wait_for_events(record, "cancelled", n).await;
    assert!(!events(record).contains(&"finished".to_owned()), "{:?}", events(record));
    let again = client.raw("tasks/cancel", json!({ "taskId": id })).await;
    match era {
        Era::Legacy => assert_invalid_params(again, "cancelling a cancelled task"),
        // SEP-2663's cancel is a request: acknowledged, and the task stays as it ended.
        Era::Modern => {
            again.unwrap_or_else(|error| panic!("a second cancel is acknowledged: {error}"));
            assert_eq!(poll_until_over(client, era, &id).await["status"], "cancelled");
        }
    }
}

fn tasks_extension() -> Value {
    json!({ TASKS_EXTENSION: {} })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_task_stuck_on_a_slow_upstream_tool_ends_it_cancelled_and_cancels_the_upstream_call() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record");
    let config = config(dir.path(), json!({ "slow": slow_server(&record) }));
    let stdio = Transport::Stdio(serve_args(&config, &["--task-after", "200ms"]));
    let server = HttpServer::start(&config, &["--task-after", "200ms"], &[]).await;
    let mut client = Client::start().await;
    let mut cancelled = 0;
    for transport in [stdio, server.transport()] {
        for era in BOTH_ERAS {
            // The extension is what a 2026-07-28 client needs for tasks; a 2025-11-25 one ignores it.
            client.connect_with(era, &transport, tasks_extension()).await;
            cancelled += 1;
            cancel_a_stuck_task(&mut client, era, &record, cancelled).await;
            client.disconnect().await;
        }
    }
    client.finish().await;
    server.stop().await;
}

// --- 4. The 2026-07-28 tasks extension: the server turns a slow execute into a task ---------------------

const HALF_SECOND_PROGRAM: &str = "const waited = await tools.slow.wait({ seconds: 0.5 }); console.log(waited.result);";

async fn a_slow_execute_becomes_a_task(client: &mut Client) {
    let extensions = &client.handshake["capabilities"]["extensions"];
    assert!(extensions.get(TASKS_EXTENSION).is_some(), "server/discover offers the tasks extension: {extensions}");
    let answer = client.raw("tools/call", json!({ "name": "execute", "arguments": { "code": HALF_SECOND_PROGRAM } }));
    let task = answer.await.expect("execute is accepted");
    assert_eq!((&task["resultType"], &task["status"]), (&json!("task"), &json!("working")), "{task}");
    let id = task["taskId"].as_str().unwrap();
    let over = poll_until_over(client, Era::Modern, id).await;
    assert_eq!(over["status"], "completed", "{over}");
    let result = &over["result"];
    assert_eq!((&result["isError"], text(result)), (&json!(false), "waited 0.5 s\n"), "{over}");
    assert_eq!(result["structuredContent"]["status"], "ok");
}

async fn without_the_extension_a_slow_execute_just_completes(client: &mut Client) {
    let answer = client.raw("tools/call", json!({ "name": "execute", "arguments": { "code": HALF_SECOND_PROGRAM } }));
    let result = answer.await.expect("execute is accepted");
    assert_eq!(result["resultType"], "complete", "{result}");
    assert_eq!((&result["isError"], text(&result)), (&json!(false), "waited 0.5 s\n"), "{result}");
    // And through the SDK's own call_tool, which knows no tasks.
    let result = client.call("execute", json!({ "code": HALF_SECOND_PROGRAM })).await;
    assert_eq!(text(&result), "waited 0.5 s\n", "{result}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modern_client_declaring_tasks_gets_a_slow_execute_as_a_task_and_one_that_does_not_just_waits() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record");
    let config = config(dir.path(), json!({ "slow": slow_server(&record) }));
    let stdio = Transport::Stdio(serve_args(&config, &["--task-after", "200ms"]));
    let server = HttpServer::start(&config, &["--task-after", "200ms"], &[]).await;
    let mut client = Client::start().await;
    for transport in [stdio, server.transport()] {
        client.connect_with(Era::Modern, &transport, tasks_extension()).await;
        a_slow_execute_becomes_a_task(&mut client).await;
        client.disconnect().await;
        client.connect(Era::Modern, &transport).await;
        without_the_extension_a_slow_execute_just_completes(&mut client).await;
        client.disconnect().await;
    }
    client.finish().await;
    server.stop().await;
}

// --- 5. The HTTP guards, the server card and health --------------------------------------------------

const TOKEN_VARIABLE: &str = "SLUICE_TEST_SERVE_TOKEN";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_answers_403_to_a_bad_origin_and_lets_allowed_and_originless_clients_in() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        HttpServer::start(&config(dir.path(), json!({})), &["--allowed-origin", "http://localhost:3000"], &[]).await;
    let ping = || jsonrpc("ping", json!({}));
    let evil = post(&server, ping(), &[("origin", "https://evil.example")]).await;
    assert_eq!(evil.status(), 403);
    let other_port = post(&server, ping(), &[("origin", "http://localhost:4000")]).await;
    assert_eq!(other_port.status(), 403);
    let allowed = post(&server, ping(), &[("origin", "http://localhost:3000")]).await;
    assert_eq!(allowed.status(), 200, "{:?}", allowed.text().await);
    let no_origin = post(&server, ping(), &[]).await;
    assert_eq!(no_origin.status(), 200);
    let body: Value = serde_json::from_str(&no_origin.text().await.unwrap()).unwrap();
    assert_eq!(body["result"], json!({}), "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_with_a_token_answers_401_to_a_missing_or_wrong_one_pointing_at_its_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--auth-token-env", TOKEN_VARIABLE];
    let server = HttpServer::start(&config(dir.path(), json!({})), &flags, &[(TOKEN_VARIABLE, "right-token")]).await;
    let metadata_url = format!("{}/.well-known/oauth-protected-resource", server.base);
    for headers in [&[][..], &[("authorization", "Bearer wrong-token")], &[("authorization", "right-token")]] {
        let refused = post(&server, jsonrpc("ping", json!({})), headers).await;
        assert_eq!(refused.status(), 401, "{headers:?}");
        let challenge = refused.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        assert!(challenge.contains(&format!("resource_metadata=\"{metadata_url}\"")), "{challenge}");
    }
    let accepted = post(&server, jsonrpc("ping", json!({})), &[("authorization", "Bearer right-token")]).await;
    assert_eq!(accepted.status(), 200);

    let metadata = http().get(&metadata_url).send().await.unwrap();
    assert_eq!(metadata.status(), 200);
    let metadata: Value = serde_json::from_str(&metadata.text().await.unwrap()).unwrap();
    assert_eq!(metadata["resource"], server.url(), "{metadata}");
    assert_eq!(metadata["bearer_methods_supported"], json!(["header"]), "{metadata}");

    // A real client with the token gets in.
    let mut client = Client::connected(Era::Modern, &server.transport_with_token("right-token")).await;
    assert_eq!(client.list_tools().await.len(), 3);
    client.finish().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_with_two_tokens_lets_both_in_and_keeps_each_ones_tasks_from_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--auth-token-env", TOKEN_VARIABLE, "--auth-token-env", "SLUICE_TEST_SERVE_TOKEN_2"];
    let tokens = [(TOKEN_VARIABLE, "alice-token"), ("SLUICE_TEST_SERVE_TOKEN_2", "bob-token")];
    let server = HttpServer::start(&config(dir.path(), json!({})), &flags, &tokens).await;
    let (alice, bob) = (&[("authorization", "Bearer alice-token")][..], &[("authorization", "Bearer bob-token")][..]);
    let task = json!({ "name": "execute", "arguments": { "code": "console.log('mine')" }, "task": { "ttl": 60000 } });
    let created = post(&server, jsonrpc("tools/call", task), alice).await;
    assert_eq!(created.status(), 200);
    let created: Value = serde_json::from_str(&created.text().await.unwrap()).unwrap();
    let id = created["result"]["task"]["taskId"].as_str().expect("a task").to_owned();

    let theirs = post(&server, jsonrpc("tasks/get", json!({ "taskId": id })), bob).await;
    let theirs: Value = serde_json::from_str(&theirs.text().await.unwrap()).unwrap();
    assert_eq!(theirs["error"]["code"], -32602, "{theirs}");
    let listed = post(&server, jsonrpc("tasks/list", json!({})), bob).await;
    let listed: Value = serde_json::from_str(&listed.text().await.unwrap()).unwrap();
    assert_eq!(listed["result"]["tasks"], json!([]), "{listed}");

    let mine = post(&server, jsonrpc("tasks/result", json!({ "taskId": id })), alice).await;
    let mine: Value = serde_json::from_str(&mine.text().await.unwrap()).unwrap();
    assert_eq!(mine["result"]["content"][0]["text"], "mine\n", "{mine}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_answers_413_to_a_body_over_the_cap_announced_or_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let server = HttpServer::start(&config(dir.path(), json!({})), &[], &[]).await;
    let code = "x".repeat(5 << 20);
    let body = jsonrpc("tools/call", json!({ "name": "execute", "arguments": { "code": code } }));
    // With a Content-Length over the cap: the client, still sending, reads the 413.
    assert_eq!(post(&server, body.clone(), &[]).await.status(), 413);

    // Streamed in chunks with no length: the cap is found while reading.
    let mut stream = tokio::net::TcpStream::connect(server.base.trim_start_matches("http://")).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.base.trim_start_matches("http://")
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.as_bytes().chunks(64 << 10) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0; 64];
    let read = tokio::io::AsyncReadExt::read(&mut stream, &mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Nothing was run, and the server still serves.
    assert_eq!(post(&server, jsonrpc("ping", json!({})), &[]).await.status(), 200);
    server.stop().await;
}

/// `sluice serve --http` as an embedder builds it: `http::router` over a shared [`Sluice`]. Two routers
/// with different tokens over one `Sluice` are two instances sharing one task store, as instances behind
/// a load balancer will share one.
struct InProcessHttp {
    base: String,
    stop: tokio_util::sync::CancellationToken,
}

impl InProcessHttp {
    async fn start(sluice: Arc<sluice::serve::Sluice>, token: &str) -> InProcessHttp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let bound = listener.local_addr().unwrap();
        let mut config = sluice::serve::http::HttpConfig::default();
        config.auth_tokens = vec![token.to_owned()];
        let stop = tokio_util::sync::CancellationToken::new();
        let app = sluice::serve::http::router(sluice, config, bound, stop.clone());
        let stopped = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, app).with_graceful_shutdown(stopped.cancelled_owned()).await.unwrap();
        });
        InProcessHttp { base: format!("http://{bound}"), stop }
    }

    fn transport(&self, token: &str) -> Transport {
        Transport::Http(format!("{}/mcp", self.base), json!({ "Authorization": format!("Bearer {token}") }))
    }
}

impl Drop for InProcessHttp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_created_with_one_token_is_not_found_with_another() {
    use sluice::serve::tasks::MemoryTaskStore;
    use sluice::serve::{ServeConfig, Sluice};
    // Alice's program waits at a gate the test opens, so her task is still working while bob tries it.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let opened = gate.clone();
    let tools = sluice::InProcessTools::new().with_server("gate", "Waits until the test opens it.").with_tool(
        "gate",
        sluice::ToolDefinition::new("pass", "Returns once the gate opens.", json!({ "type": "object" })),
        move |_| {
            let gate = opened.clone();
            async move {
                gate.acquire().await.unwrap().forget();
                Ok(sluice::ToolResult::text("through"))
            }
        },
    );
    let mut runtime = sluice::RuntimeConfig::default();
    runtime.cache_dir = Some(cache_dir());
    runtime.max_concurrent_runs = 8;
    let launcher = Arc::new(sluice::Launcher::new(sluice::Runtime::new(runtime).unwrap()));
    let store = Arc::new(MemoryTaskStore::new(64));
    let shared = Arc::new(Sluice::new(launcher, Arc::new(tools), store, ServeConfig::default()));
    let for_alice = InProcessHttp::start(shared.clone(), "token-of-alice").await;
    let for_bob = InProcessHttp::start(shared, "token-of-bob").await;

    let mut alice = Client::connected(Era::Legacy, &for_alice.transport("token-of-alice")).await;
    let code = "await tools.gate.pass({}); console.log('for alice only');";
    let task = create_task(&mut alice, code, 60_000).await;
    let id = task["taskId"].as_str().unwrap();

    let mut bob = Client::start().await;
    for era in BOTH_ERAS {
        bob.connect_with(era, &for_bob.transport("token-of-bob"), tasks_extension()).await;
        let methods: &[&str] = match era {
            Era::Legacy => &["tasks/get", "tasks/cancel", "tasks/result"],
            Era::Modern => &["tasks/get", "tasks/cancel"],
        };
        for method in methods {
            let what = format!("{era:?} {method} of alice's task by bob");
            assert_invalid_params(bob.raw(method, json!({ "taskId": id })).await, &what);
        }
        bob.disconnect().await;
    }
    bob.connect(Era::Legacy, &for_bob.transport("token-of-bob")).await;
    let listed = bob.request_as("tasks/list", json!({}), "ListTasksResult").await.unwrap();
    assert_eq!(listed["tasks"], json!([]), "bob lists none of alice's tasks");
    bob.finish().await;

    // Bob's cancel did nothing: alice's task still runs, and ends when the gate opens.
    let still = alice.request_as("tasks/get", json!({ "taskId": id }), "GetTaskResult").await.unwrap();
    assert_eq!(still["status"], "working", "{still}");
    gate.add_permits(1);
    let result = alice.request_as("tasks/result", json!({ "taskId": id }), "CallToolResult").await.unwrap();
    assert_eq!(text(&result), "for alice only\n");
    alice.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_card_is_served_at_three_paths_and_health_and_readiness_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = HttpServer::start(&config(dir.path(), json!({})), &[], &[]).await;
    let get = |path: &str| http().get(format!("{}{path}", server.base)).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = get("/readyz").await.unwrap().status();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "not ready yet is 503");
        assert!(Instant::now() < deadline, "the server never became ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut cards = Vec::new();
    for path in ["/mcp/server-card", "/.well-known/mcp/server-card.json", "/.well-known/mcp.json"] {
        let response = get(path).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], "application/mcp-server-card+json", "{path}");
        cards.push(serde_json::from_str::<Value>(&response.text().await.unwrap()).unwrap());
    }
    let card = &cards[0];
    assert!(cards.iter().all(|other| other == card), "the same card at every path: {cards:?}");
    assert!(card["$schema"].as_str().is_some_and(|schema| schema.starts_with("https://")), "{card}");
    assert_eq!(card["version"], env!("CARGO_PKG_VERSION"));
    for field in ["name", "description"] {
        assert!(card[field].as_str().is_some_and(|text| !text.is_empty()), "{field}: {card}");
    }
    let remote = &card["remotes"][0];
    assert_eq!(remote["type"], "streamable-http", "{card}");
    assert_eq!(remote["url"], server.url(), "{card}");
    assert_eq!(remote["supportedProtocolVersions"], json!(["2025-11-25", "2026-07-28"]), "{card}");
    server.stop().await;
}

// --- 6. What a model sees costs little and starts nothing ---------------------------------------------

#[test]
fn sluices_own_definitions_stay_within_600_o200k_tokens_without_the_server_list() {
    let o200k = tiktoken_rs::o200k_base().unwrap();
    let tools = sluice::serve::definitions::tools(&[]);
    let mut tokens = 0;
    for tool in &tools {
        // The server list (one line per configured server) is the only part that grows with the
        // configuration; everything else a model sees of a tool is counted, annotations included.
        let mut tool = tool.clone();
        let description = tool["description"].as_str().unwrap();
        let fixed = match description.split_once("\nServers:") {
            Some((teaching, _)) => format!("{teaching}\nServers:"),
            None => description.to_owned(),
        };
        tool["description"] = fixed.into();
        tokens += o200k.encode_ordinary(&tool.to_string()).len();
    }
    assert_eq!(tools.len(), 3);
    assert!(tokens <= 600, "Sluice's own definitions take {tokens} o200k tokens, over the 600 budget");
}

// --- 7. Concurrency, progress, and a client that goes away -------------------------------------------

const STUCK_PROGRAM: &str = "console.log(await tools.slow.wait({ seconds: 3600 }));";

/// With `--max-runs-per-client 1`: while one program runs, a second is refused at once with -32000. When
/// the client abandons the first (notifications/cancelled on stdio; on HTTP its request's connection is
/// dropped), the program stops, its upstream call is cancelled, and its slot is free again.
async fn a_second_program_is_refused_while_the_first_runs(client: &mut Client, record: &Path, n: usize) {
    let first =
        json!({ "op": "call_tool", "name": "execute", "arguments": { "code": STUCK_PROGRAM }, "background": "first" });
    assert_eq!(client.send(first).await, json!({ "started": "first" }));
    wait_for_events(record, "started", n).await;
    let quick = json!({ "op": "call_tool", "name": "execute", "arguments": { "code": "console.log('quick');" } });
    let refused = client.send(quick.clone()).await;
    let error = refused.get("error").unwrap_or_else(|| panic!("the second program must be refused: {refused}"));
    assert_eq!(error["code"], -32000, "{error}");
    assert!(error["message"].as_str().unwrap().contains("already runs 1 program"), "{error}");
    // The refusal did not wait for the first program, which is still stuck upstream.
    assert_eq!(events(record).iter().filter(|e| *e == "cancelled").count(), n - 1, "{:?}", events(record));

    assert_eq!(client.send(json!({ "op": "cancel", "name": "first" })).await, json!({ "cancelled": true }));
    wait_for_events(record, "cancelled", n).await;
    // The slot is released once the program has stopped; a client retrying gets in.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = client.send(quick.clone()).await;
        if let Some(result) = reply.get("result") {
            assert_eq!(text(result), "quick\n", "{reply}");
            break;
        }
        assert_eq!(reply["error"]["code"], -32000, "{reply}");
        assert!(Instant::now() < deadline, "the cancelled program never gave its slot back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_max_runs_per_client_a_second_execute_is_refused_at_once_and_an_abandoned_one_is_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record");
    let config = config(dir.path(), json!({ "slow": slow_server(&record) }));
    let flags = ["--max-runs-per-client", "1"];
    let server = HttpServer::start(&config, &flags, &[]).await;
    let mut client = Client::start().await;
    for (n, (era, transport)) in
        [(Era::Legacy, Transport::Stdio(serve_args(&config, &flags))), (Era::Modern, server.transport())]
            .into_iter()
            .enumerate()
    {
        client.connect(era, &transport).await;
        a_second_program_is_refused_while_the_first_runs(&mut client, &record, n + 1).await;
        client.disconnect().await;
    }
    client.finish_disconnected().await;
    server.stop().await;
}

/// A program that makes calls and prints, run with a progress token, reports its calls while they run.
/// Its stderr line, written while a call still runs, changes nothing progress counts (calls and lines of
/// output): progress must still only grow, as MCP requires of every notification.
async fn a_printing_program_reports_progress(client: &mut Client) {
    let code = "const short = tools.slow.wait({ seconds: 0.3 });\n\
                const long = tools.slow.wait({ seconds: 1 });\n\
                const first = (await short).result;\n\
                console.error('halfway');\n\
                const second = (await long).result;\n\
                console.log(first);\n\
                console.log(second);";
    let call = json!({ "op": "call_tool", "name": "execute", "arguments": { "code": code }, "progress": true });
    let reply = client.send(call).await;
    assert_eq!(text(&reply["result"]), "waited 0.3 s\nwaited 1.0 s\n", "{reply}");
    let progress = reply["progress"].as_array().unwrap();
    let values: Vec<f64> = progress.iter().map(|p| p["progress"].as_f64().unwrap()).collect();
    assert!(values.windows(2).all(|pair| pair[0] < pair[1]), "progress must increase with each notification: {reply}");
    let messages: Vec<&str> = progress.iter().map(|p| p["message"].as_str().unwrap()).collect();
    assert!(messages.contains(&"2 tool calls, 0 lines of output"), "calls are reported while they run: {reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_with_a_progress_token_gets_progress_while_its_program_calls_tools_and_prints() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record");
    let config = config(dir.path(), json!({ "slow": slow_server(&record) }));
    let server = HttpServer::start(&config, &[], &[]).await;
    let mut client = Client::start().await;
    for (era, transport) in
        [(Era::Legacy, Transport::Stdio(serve_args(&config, &[]))), (Era::Modern, server.transport())]
    {
        client.connect(era, &transport).await;
        a_printing_program_reports_progress(&mut client).await;
        client.disconnect().await;
    }
    client.finish_disconnected().await;
    server.stop().await;
}

/// Whether process `pid` is gone (or a zombie nobody has reaped yet, which runs nothing).
fn process_gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// `sluice serve` on stdio driven by raw JSON-RPC lines, as a pipe (not an SDK) would: a 2025-11-25
/// client that has initialized.
struct RawStdio {
    sluice: Child,
    stdin: Option<ChildStdin>,
    output: Arc<Mutex<String>>,
    errors: Arc<Mutex<String>>,
}

impl RawStdio {
    async fn start(config: &str) -> RawStdio {
        let mut sluice = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(serve_args(config, &[]))
            .env("SLUICE_CACHE_DIR", cache_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let (output, errors) = (Arc::default(), Arc::default());
        collect(sluice.stdout.take().unwrap(), Arc::clone(&output));
        collect(sluice.stderr.take().unwrap(), Arc::clone(&errors));
        let stdin = sluice.stdin.take();
        let mut raw = RawStdio { sluice, stdin, output, errors };
        let client_info = json!({ "name": "a pipe", "version": "1" });
        raw.send(json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                         "params": { "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": client_info } }))
            .await;
        raw.send(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await;
        raw
    }

    async fn send(&mut self, message: Value) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(format!("{message}\n").as_bytes()).await.unwrap();
    }

    /// Every JSON line the server has written so far.
    fn lines(&self) -> Vec<Value> {
        self.output.lock().unwrap().lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
    }

    /// The response to request `id`, once it has come.
    async fn answer(&self, id: i64) -> Value {
        wait_until(&format!("the answer to request {id}"), Duration::from_secs(30), || {
            self.lines().iter().any(|m| m["id"] == id)
        })
        .await;
        self.lines().into_iter().find(|m| m["id"] == id).unwrap()
    }

    fn errors(&self) -> String {
        self.errors.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_stdin_while_a_program_runs_ends_the_server_and_leaves_no_upstream_process() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record");
    let config = config(dir.path(), json!({ "slow": slow_server(&record) }));
    let mut raw = RawStdio::start(&config).await;
    raw.send(json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call",
                     "params": { "name": "execute", "arguments": { "code": STUCK_PROGRAM } } }))
        .await;
    wait_for_events(&record, "started", 1).await;
    let upstream = events(&record).iter().find_map(|e| e.strip_prefix("pid ").map(str::to_owned)).unwrap();
    assert!(!process_gone(&upstream), "the upstream server runs");

    raw.stdin = None;
    let exited = tokio::time::timeout(Duration::from_secs(30), raw.sluice.wait()).await;
    let status = exited.unwrap_or_else(|_| panic!("sluice serve kept running after stdin closed: {}", raw.errors()));
    assert!(status.unwrap().success(), "{}", raw.errors());
    wait_until("the upstream server to be gone", Duration::from_secs(10), || process_gone(&upstream)).await;
    assert!(raw.output.lock().unwrap().contains("\"id\":1"), "it answered initialize: {}", raw.output.lock().unwrap());
}

/// Over stdio a 2025-11-25 client is told when its task ends (`notifications/tasks/status`); a task whose
/// TTL passes while it works is dropped (its id then unknown) and its program cancelled, upstream call and all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_stdio_a_task_reports_its_end_and_one_past_its_ttl_is_dropped_and_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record");
    let config = config(dir.path(), json!({ "slow": slow_server(&record) }));
    let mut raw = RawStdio::start(&config).await;
    raw.send(json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call",
                     "params": { "name": "execute", "arguments": { "code": "console.log('done')" }, "task": { "ttl": 60000 } } }))
        .await;
    raw.send(json!({ "jsonrpc": "2.0", "id": 3, "method": "tools/call",
                     "params": { "name": "execute", "arguments": { "code": STUCK_PROGRAM }, "task": { "ttl": 500 } } }))
        .await;
    let quick = raw.answer(2).await["result"]["task"]["taskId"].as_str().unwrap().to_owned();
    let stuck = raw.answer(3).await["result"]["task"]["taskId"].as_str().unwrap().to_owned();

    wait_until("the quick task's status notification", Duration::from_secs(30), || {
        raw.lines().iter().any(|m| {
            m["method"] == "notifications/tasks/status"
                && m["params"]["taskId"] == quick.as_str()
                && m["params"]["status"] == "completed"
        })
    })
    .await;

    // Past its TTL the stuck task is dropped and its program cancelled, and so is its call upstream.
    wait_for_events(&record, "started", 1).await;
    wait_for_events(&record, "cancelled", 1).await;
    raw.send(json!({ "jsonrpc": "2.0", "id": 4, "method": "tasks/get", "params": { "taskId": stuck } })).await;
    assert_eq!(raw.answer(4).await["error"]["code"], -32602, "{}", raw.errors());
    raw.stdin = None;
    let _ = tokio::time::timeout(Duration::from_secs(30), raw.sluice.wait()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_gives_every_program_the_skills_directory_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let skills = dir.path().join("skills");
    std::fs::create_dir(&skills).unwrap();
    std::fs::write(skills.join("greet.js"), "// Greets.\nexport const greet = (name) => `hi ${name}`;\n").unwrap();
    let config = config(dir.path(), json!({}));
    let mut client = Client::start().await;
    client.connect(Era::Legacy, &Transport::Stdio(serve_args(&config, &["--skills", skills.to_str().unwrap()]))).await;
    let code = "import { greet } from '/skills/greet.js';\n\
                const [skill] = await sluice.skills();\n\
                const saved = await sluice.fs.writeFile('/skills/mine.js', '').then(() => 'saved', (e) => e.code);\n\
                console.log(greet('ada'), skill.description, saved);";
    let result = client.call("execute", json!({ "code": code })).await;
    assert_eq!(text(&result), "hi ada Greets. EPERM\n", "{result}");
    client.finish().await;
}

#[test]
fn writable_skills_shared_by_clients_with_their_own_workspaces_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().to_str().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--http", "127.0.0.1:0", "--workspace", dir, "--workspace-per-token"])
        .args(["--skills", dir, "--skills-writable"])
        .env("SLUICE_CACHE_DIR", cache_dir())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("one client could change the helpers another imports"), "{message}");
}

mod scale_out;
