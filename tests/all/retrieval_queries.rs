//! The retrieval benchmark's queries (`benches/retrieval/queries.json`) stay honest: well-formed, and every
//! expected answer a tool the real servers of `benches/retrieval/servers.json` list today.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;
use sluice::ToolHost;
use sluice::config::SluiceConfig;
use sluice::mcp::{McpOptions, McpTools};

use crate::support::root;

fn queries() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("benches/retrieval/queries.json")).unwrap();
    let file: Value = serde_json::from_str(&text).expect("queries.json is JSON");
    file["queries"].as_array().expect("a \"queries\" array").clone()
}

#[test]
fn the_benchmark_has_sixty_distinct_queries_with_answers_and_a_held_out_part_of_twenty() {
    let queries = queries();
    assert!(queries.len() >= 60, "{} queries", queries.len());
    let mut seen = BTreeSet::new();
    for query in &queries {
        let object = query.as_object().unwrap();
        let keys: BTreeSet<&str> = object.keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["expected", "part", "query"]), "{query}");
        let text = query["query"].as_str().unwrap();
        assert!(!text.trim().is_empty() && seen.insert(text.to_lowercase()), "empty or repeated: {query}");
        assert!(matches!(query["part"].as_str(), Some("tuning" | "held_out")), "{query}");
        let expected = query["expected"].as_array().unwrap();
        assert!(!expected.is_empty(), "{query}");
        for answer in expected {
            let answer = answer.as_str().unwrap();
            assert!(answer.split_once('.').is_some_and(|(s, t)| !s.is_empty() && !t.is_empty()), "{query}");
        }
    }
    let held_out = queries.iter().filter(|q| q["part"] == "held_out").count();
    assert!(held_out >= 20, "only {held_out} held-out queries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_expected_answer_is_a_tool_the_real_servers_list() {
    let work = tempfile::tempdir().unwrap();
    let git = std::process::Command::new("git").arg("init").arg("-q").arg(work.path()).status().unwrap();
    assert!(git.success());
    let servers = std::env::var_os("SLUICE_TEST_SERVERS")
        .map_or_else(|| root().join("target/test-servers"), std::path::PathBuf::from);
    let text = std::fs::read_to_string(root().join("benches/retrieval/servers.json")).unwrap();
    let text = text.replace("{servers}", &servers.to_string_lossy()).replace("{work}", &work.path().to_string_lossy());
    let servers: Value = serde_json::from_str(&text).unwrap();
    let config =
        SluiceConfig::parse(&serde_json::json!({ "mcpServers": servers }).to_string(), "servers.json").unwrap();
    let tools = Arc::new(McpTools::new(&config, McpOptions::default()));
    let mut listed = BTreeSet::new();
    for server in tools.servers() {
        let definitions = tools.list_tools(&server.name).await.unwrap_or_else(|e| panic!("{}: {e}", server.name));
        listed.extend(definitions.iter().map(|tool| format!("{}.{}", server.name, tool.name)));
    }
    tools.shutdown().await;
    assert!(listed.len() > 100, "GitHub's server lists every toolset: {} tools", listed.len());
    let missing: Vec<String> = queries()
        .iter()
        .flat_map(|q| q["expected"].as_array().unwrap().clone())
        .map(|answer| answer.as_str().unwrap().to_owned())
        .filter(|answer| !listed.contains(answer))
        .collect();
    assert!(missing.is_empty(), "answers no server lists: {missing:?}");
}
