//! The fake GitHub against the real `github-mcp-server` (the binary `.ci/setup`
//! installs): every served shape decoded by go-github. It binds 127.0.0.2:80, so it
//! runs as root, and it is this test binary's only user of that port (the
//! benchmark's own test is another binary, and cargo runs binaries one by one).

use std::path::PathBuf;
use std::sync::Arc;

use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::{ConfigureCommandExt as _, TokioChildProcess};
use serde_json::{Value, json};

use super::{Data, FakeGitHub};

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-servers/venv/bin/github-mcp-server")
}

/// The tools the scenarios use, with arguments a scenario would give them.
fn calls(data: &Data) -> Vec<(&'static str, Value)> {
    let recent_pull = data.pulls.last().map_or(0, |p| p.number);
    let open_pull = data.pulls.iter().rev().find(|p| p.state == "open").map_or(0, |p| p.number);
    let repo = |extra: Value| {
        let mut args = json!({"owner": "acme", "repo": "widgets"});
        if let (Some(map), Value::Object(extra)) = (args.as_object_mut(), extra) {
            map.extend(extra);
        }
        args
    };
    vec![
        (
            "list_issues",
            repo(
                json!({"state": "OPEN", "labels": ["bug"], "orderBy": "COMMENTS", "direction": "DESC", "perPage": 100}),
            ),
        ),
        ("list_issues", repo(json!({"since": "2026-01-01T00:00:00Z", "perPage": 100}))),
        (
            "search_issues",
            repo(
                json!({"query": "label:bug state:open comments:>10", "sort": "comments", "order": "desc", "perPage": 100}),
            ),
        ),
        ("search_issues", repo(json!({"query": "is:open updated:<2026-08-03", "perPage": 100, "page": 2}))),
        ("search_pull_requests", repo(json!({"query": "is:merged merged:2026-01-01..2026-03-01", "perPage": 50}))),
        ("get_issue", repo(json!({"issue_number": 42}))),
        (
            "get_issue_comments",
            repo(
                json!({"issue_number": data.issues.iter().max_by_key(|i| i.comments.len()).map_or(1, |i| i.number), "perPage": 100}),
            ),
        ),
        ("list_pull_requests", repo(json!({"state": "all", "sort": "created", "direction": "desc", "perPage": 50}))),
        ("get_pull_request", repo(json!({"pullNumber": open_pull}))),
        ("get_pull_request_files", repo(json!({"pullNumber": recent_pull}))),
        ("get_pull_request_reviews", repo(json!({"pullNumber": open_pull}))),
        ("get_pull_request_comments", repo(json!({"pullNumber": open_pull}))),
        ("get_pull_request_status", repo(json!({"pullNumber": open_pull}))),
        ("list_commits", repo(json!({"sha": "v1.3.0", "perPage": 100, "page": 2}))),
        ("get_commit", repo(json!({"sha": data.tags[3].sha}))),
        ("list_tags", repo(json!({}))),
        ("get_tag", repo(json!({"tag": "v1.3.0"}))),
        ("list_releases", repo(json!({}))),
        ("get_latest_release", repo(json!({}))),
        ("list_branches", repo(json!({}))),
        ("get_me", json!({})),
        ("search_repositories", json!({"query": "org:acme"})),
    ]
}

#[tokio::test]
async fn real_github_mcp_server_decodes_every_served_shape() {
    let bin = binary();
    if !bin.exists() {
        eprintln!("skipped: {} is missing (run .ci/setup)", bin.display());
        return;
    }
    let data = Arc::new(Data::generate(1));
    let fake = FakeGitHub::start(data.clone()).await.expect("fake GitHub on 127.0.0.2:80");
    let transport = TokioChildProcess::new(tokio::process::Command::new(&bin).configure(|cmd| {
        cmd.args(["stdio", "--toolsets", "all", "--gh-host", "http://127.0.0.2"])
            .env("GITHUB_PERSONAL_ACCESS_TOKEN", "not-a-real-token");
    }))
    .expect("spawn github-mcp-server");
    let client = ().serve(transport).await.expect("MCP handshake");
    let mut failures = Vec::new();
    for (tool, args) in calls(&data) {
        let params = CallToolRequestParams::new(tool).with_arguments(args.as_object().cloned().unwrap_or_default());
        match client.call_tool(params).await {
            Ok(result) => {
                let text: String = result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.as_str()).collect();
                let is_error = result.is_error.unwrap_or(false);
                println!("{tool:28} {:>9} bytes{}", text.len(), if is_error { "  ERROR" } else { "" });
                if is_error {
                    failures.push(format!("{tool}: {}", &text[..text.len().min(300)]));
                }
            }
            Err(e) => failures.push(format!("{tool}: {e}")),
        }
    }
    let _ = client.cancel().await;
    println!("served: {:#?}", fake.served());
    let unserved = fake.unserved();
    fake.stop().await;
    assert!(failures.is_empty(), "tool errors: {failures:#?}");
    assert!(unserved.is_empty(), "unserved: {unserved:#?}");
}

/// Serves the fake GitHub on 127.0.0.2:80 while the shell command in
/// `FAKE_GITHUB_COMMAND` runs (e.g. a script driving github-mcp-server by hand), then
/// prints what was served and not served.
#[tokio::test]
#[ignore = "binds 127.0.0.2:80; a tool for looking at the fake by hand"]
async fn serve_while_a_command_runs() {
    let Ok(command) = std::env::var("FAKE_GITHUB_COMMAND") else {
        eprintln!("skipped: set FAKE_GITHUB_COMMAND to the shell command to run");
        return;
    };
    let seed = std::env::var("FAKE_GITHUB_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let fake = FakeGitHub::start(Arc::new(Data::generate(seed))).await.expect("fake GitHub on 127.0.0.2:80");
    let status = tokio::process::Command::new("sh").arg("-c").arg(&command).status().await;
    println!("served: {:#?}\nunserved: {:#?}", fake.served(), fake.unserved());
    fake.stop().await;
    assert!(status.is_ok_and(|s| s.success()), "{command} failed");
}
