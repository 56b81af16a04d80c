//! MCP Inspector CLI 2.12.0 (npm `@modelcontextprotocol/inspector`, installed by `.ci/setup`)
//! drives `sluice serve` as a user would, over stdio and Streamable HTTP, pinned to each protocol
//! era: `--protocol-era legacy` (`initialize`, 2025-11-25) and `--protocol-era modern`
//! (`server/discover`, 2026-07-28, no fallback). It lists Sluice's three tools and calls `execute`
//! with a program that asks the real `time` server of `examples/servers.json`.
//!
//! Sluice runs with `--task-after 1ms`, so in the 2026-07-28 era every `execute` becomes a task
//! that the Inspector polls, while a 2025-11-25 client (which never task-augmented its call) must
//! still get the plain result. What the Inspector sent is recorded on the way (a `tee` in front of
//! stdin, a TCP relay in front of the HTTP port), so each test also shows which era was spoken.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::mcp_servers::server_bin;
use crate::support::root;

/// Noon UTC in Tokyo, as the `time` server converts it (Japan keeps no daylight saving time).
const PROGRAM: &str = r#"const r = await tools.time.convert_time({ source_timezone: "UTC", time: "12:00", target_timezone: "Asia/Tokyo" });
console.log(`${r.source.timezone} ${r.source.datetime.slice(11, 16)} is ${r.target.timezone} ${r.target.datetime.slice(11, 16)}`);
"#;
const PRINTED: &str = "UTC 12:00 is Asia/Tokyo 21:00\n";

#[derive(Debug, Clone, Copy)]
enum Era {
    /// 2025-11-25: `initialize`.
    Legacy,
    /// 2026-07-28: `server/discover`, the tasks extension.
    Modern,
}

impl Era {
    fn flag(self) -> &'static str {
        match self {
            Era::Legacy => "legacy",
            Era::Modern => "modern",
        }
    }

    /// Checks that the requests the Inspector sent are this era's: the handshake, and whether
    /// `execute` came back as a task it had to poll.
    fn assert_spoken_in(self, sent: &str) {
        let has = |method: &str| sent.contains(&format!(r#""method":"{method}""#));
        match self {
            Era::Legacy => {
                assert!(has("initialize") && sent.contains(r#""protocolVersion":"2025-11-25""#), "{sent}");
                assert!(!has("server/discover") && !has("tasks/get"), "{sent}");
            }
            Era::Modern => {
                assert!(has("server/discover") && !has("initialize"), "{sent}");
                assert!(has("tasks/get"), "execute became a task the Inspector polled: {sent}");
            }
        }
    }
}

/// A configuration with the `time` server exactly as `examples/servers.json` has it, its
/// command found where the test servers are installed.
fn time_config(dir: &Path) -> PathBuf {
    let example: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("examples/servers.json")).unwrap()).unwrap();
    let mut time = example["mcpServers"]["time"].clone();
    let command = time["command"].as_str().unwrap().strip_prefix("target/test-servers/").unwrap().to_owned();
    time["command"] = server_bin(&command).into();
    let path = dir.join("servers.json");
    std::fs::write(&path, json!({ "mcpServers": { "time": time } }).to_string()).unwrap();
    path
}

/// Runs the Inspector CLI with `args` (after `--cli --format json`) and returns its `result`.
async fn inspector(home: &Path, args: &[&str]) -> Value {
    let mut command = tokio::process::Command::new(server_bin("npm/node_modules/.bin/mcp-inspector"));
    command
        .args(["--cli", "--format", "json"])
        .args(args)
        // Its catalog and client settings go to a directory of the test's, not the user's.
        .env("HOME", home)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("the Inspector finishes (a hang guard, not a speed check)")
        .expect("the Inspector starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the Inspector failed: {stdout}\n{stderr}");
    let answer: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    answer.get("result").cloned().unwrap_or_else(|| panic!("no result: {stdout}\n{stderr}"))
}

/// Lists the tools and calls `execute` through the Inspector; `target` says how it reaches
/// Sluice (`--server-url URL`, or `-- COMMAND...`).
async fn list_and_execute(home: &Path, era: Era, target: &[&str]) {
    let mut args = vec!["--protocol-era", era.flag(), "--method", "tools/list"];
    args.extend_from_slice(target);
    let listed = inspector(home, &args).await;
    let names: Vec<&str> = listed["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["execute", "search_tools", "describe_tool"], "{era:?}");

    let code = format!("code={PROGRAM}");
    let mut args = vec!["--protocol-era", era.flag(), "--method", "tools/call", "--tool-name", "execute"];
    args.extend_from_slice(&["--tool-arg", &code]);
    args.extend_from_slice(target);
    let result = inspector(home, &args).await;
    assert_eq!(result["isError"], false, "{era:?}: {result:#}");
    assert_eq!(result["content"][0]["text"], PRINTED, "{era:?}: {result:#}");
    assert_eq!(result["structuredContent"]["status"], "ok", "{era:?}: {result:#}");
    assert_eq!(result["structuredContent"]["stdout"], PRINTED, "{era:?}: {result:#}");
    assert_eq!(result["structuredContent"]["stats"]["servers"]["time"]["calls"], 1, "{era:?}: {result:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_lists_sluices_tools_and_runs_a_program_over_stdio_in_both_eras() {
    let dir = tempfile::tempdir().unwrap();
    let config = time_config(dir.path());
    let cache = format!("SLUICE_CACHE_DIR={}", dir.path().join("cache").display());
    let config = config.to_str().unwrap();
    for era in [Era::Legacy, Era::Modern] {
        let recording = dir.path().join(format!("{}.jsonl", era.flag()));
        // `tee` keeps what the Inspector writes to Sluice's stdin; Sluice reads the rest of the pipe.
        let target = [
            "-e",
            &cache,
            "--",
            "sh",
            "-c",
            r#"tee -a "$0" | "$@""#,
            recording.to_str().unwrap(),
            env!("CARGO_BIN_EXE_sluice"),
            "serve",
            "--config",
            config,
            "--task-after",
            "1ms",
        ];
        list_and_execute(dir.path(), era, &target).await;
        era.assert_spoken_in(&std::fs::read_to_string(&recording).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_lists_sluices_tools_and_runs_a_program_over_http_in_both_eras() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--http", "127.0.0.1:0", "--task-after", "1ms", "--config"])
        .arg(time_config(dir.path()))
        .env("SLUICE_CACHE_DIR", dir.path().join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("sluice starts");
    let (address, log) = serving_address(server.stderr.take().unwrap()).await;
    // One server answers both eras, each through a relay of its own that records what was sent.
    for era in [Era::Legacy, Era::Modern] {
        let relay = Relay::to(address).await;
        let url = format!("http://{}/mcp", relay.address);
        list_and_execute(dir.path(), era, &["--transport", "http", "--server-url", &url]).await;
        era.assert_spoken_in(&relay.sent());
    }
    assert!(server.try_wait().unwrap().is_none(), "sluice kept serving: {}", log.lock().unwrap());
    server.kill().await.unwrap();
}

/// Reads `sluice serve`'s stderr until it names its address (with a deadline), then keeps
/// reading it into the returned log, so the server never blocks on a full pipe.
async fn serving_address(stderr: tokio::process::ChildStderr) -> (SocketAddr, Arc<Mutex<String>>) {
    const PREFIX: &str = "sluice: serving MCP on http://";
    let mut lines = BufReader::new(stderr).lines();
    let log = Arc::new(Mutex::new(String::new()));
    let deadline = Instant::now() + Duration::from_secs(60);
    let address = loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let line = tokio::time::timeout(remaining, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("sluice did not say where it serves: {}", log.lock().unwrap()))
            .unwrap()
            .unwrap_or_else(|| panic!("sluice exited: {}", log.lock().unwrap()));
        log.lock().unwrap().push_str(&format!("{line}\n"));
        if let Some(rest) = line.strip_prefix(PREFIX) {
            break rest.strip_suffix("/mcp").unwrap().parse::<SocketAddr>().unwrap();
        }
    };
    let rest = log.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            rest.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
    (address, log)
}

/// A loopback TCP relay to a server that keeps every byte clients send through it.
struct Relay {
    address: SocketAddr,
    sent: Arc<Mutex<Vec<u8>>>,
    accepting: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn to(server: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let sent: Arc<Mutex<Vec<u8>>> = Arc::default();
        let kept = sent.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let Ok(upstream) = TcpStream::connect(server).await else { return };
                    let (mut from_client, mut to_client) = client.into_split();
                    let (mut from_server, mut to_server) = upstream.into_split();
                    let requests = async {
                        let mut buffer = vec![0; 16 * 1024];
                        while let Ok(read @ 1..) = from_client.read(&mut buffer).await {
                            kept.lock().unwrap().extend_from_slice(&buffer[..read]);
                            if to_server.write_all(&buffer[..read]).await.is_err() {
                                break;
                            }
                        }
                        let _ = to_server.shutdown().await;
                    };
                    let responses = async {
                        let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                        let _ = to_client.shutdown().await;
                    };
                    tokio::join!(requests, responses);
                });
            }
        });
        Relay { address, sent, accepting }
    }

    /// Everything clients have sent so far, as text.
    fn sent(&self) -> String {
        String::from_utf8_lossy(&self.sent.lock().unwrap()).into_owned()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}
