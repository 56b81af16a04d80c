//! Servers' tool lists cached on disk between processes: a search in a fresh `sluice run` starts no server
//! whose list is cached, a call still does, and a forged or outdated entry is never trusted.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sluice::ToolHost;
use sluice::mcp::McpOptions;

use crate::mcp_servers::{server_bin, tools_with, wait_for};
use crate::support::root;

/// A directory with a wrapper around the time server that appends a line to `starts` each time it is started.
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("time-server.sh");
        let body = format!(
            "#!/bin/sh\necho started >> '{}'\nexec '{}' --local-timezone UTC\n",
            dir.path().join("starts").display(),
            server_bin("venv/bin/mcp-server-time")
        );
        std::fs::write(&script, body).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let config = json!({ "mcpServers": { "time": { "command": script } } });
        std::fs::write(dir.path().join("sluice.json"), config.to_string()).unwrap();
        World { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn starts(&self) -> usize {
        std::fs::read_to_string(self.path("starts")).map_or(0, |text| text.lines().count())
    }

    /// Runs `source` in a fresh `sluice run` process; returns its stdout.
    fn run(&self, source: &str) -> String {
        std::fs::write(self.path("program.js"), source).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["run", "--config"])
            .arg(self.path("sluice.json"))
            .arg(self.path("program.js"))
            .env("SLUICE_CACHE_DIR", self.path("cache"))
            .output()
            .expect("sluice runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The cache's tool-list entries.
    fn entries(&self) -> Vec<PathBuf> {
        entries(&self.path("cache"))
    }
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(cache.join("tools")) {
        Ok(dir) => dir.map(|entry| entry.unwrap().path()).filter(|p| p.extension() == Some("json".as_ref())).collect(),
        Err(_) => Vec::new(),
    }
}

const SEARCH: &str = "const [hit] = await sluice.search('current time in a timezone'); \
                      console.log(hit.server + '.' + hit.tool, hit.readOnly);";

#[test]
fn a_search_in_a_fresh_process_answers_from_the_cache_and_only_a_call_starts_the_server() {
    let world = World::new();
    assert_eq!(world.run(SEARCH), "time.get_current_time true\n");
    assert_eq!(world.starts(), 1, "the first search lists the server's tools");
    assert_eq!(world.entries().len(), 1);

    assert_eq!(world.run(SEARCH), "time.get_current_time true\n");
    assert_eq!(world.starts(), 1, "a second process's search answered from the cache");

    let call = "const now = await tools.time.get_current_time({ timezone: 'UTC' }); console.log(now.timezone);";
    assert_eq!(world.run(call), "UTC\n");
    assert_eq!(world.starts(), 2, "a call starts the server");
}

#[test]
fn a_tampered_cache_entry_is_ignored_and_the_server_asked_again() {
    let world = World::new();
    assert_eq!(world.run(SEARCH), "time.get_current_time true\n");
    let [entry] = world.entries().try_into().unwrap();
    // A forged list, the same length, in place of the real one: its seal no longer matches.
    let mut forged = std::fs::read(&entry).unwrap();
    let at = forged.windows(16).position(|w| w == b"get_current_time").expect("the entry holds the list");
    forged[at + 15] = b'a';
    std::fs::write(&entry, &forged).unwrap();
    assert_eq!(world.run(SEARCH), "time.get_current_time true\n", "the forged name never reaches the program");
    assert_eq!(world.starts(), 2, "the server was started to list its tools again");
    let replaced = std::fs::read(&entry).unwrap();
    assert!(!replaced.windows(16).any(|w| w == b"get_current_tima"), "the entry was replaced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_list_change_removes_the_servers_cache_entry() {
    let cache = tempfile::tempdir().unwrap();
    let mut options = McpOptions::default();
    options.tool_list_cache = Some(cache.path().to_owned());
    let script = root().join("tests/servers/dotted.py");
    let tools = tools_with(json!({ "shop": { "command": server_bin("venv/bin/python"), "args": [script] } }), options);
    let host: Arc<dyn ToolHost> = tools.clone();
    host.list_tools("shop").await.unwrap();
    assert_eq!(entries(cache.path()).len(), 1, "listing the tools cached them");
    let mut arguments = serde_json::Map::new();
    arguments.insert("name".into(), json!("fresh.one"));
    let call = sluice::ToolCall { server: "shop".into(), tool: "stock.add-tool".into(), arguments };
    assert!(!host.call_tool(call).await.unwrap().is_error);
    wait_for("the list change to remove the entry", Duration::from_secs(10), || entries(cache.path()).is_empty()).await;
    tools.shutdown().await;
}
