//! How well `sluice.search` finds the right tool: recall@1/3/5 and MRR of natural-language queries over real servers.
//!
//! Run with `cargo bench --bench retrieval` (or `make bench-search`). The
//! servers of `benches/retrieval/servers.json` (GitHub's `github-mcp-server` with
//! every toolset, and the git, filesystem, memory, time and everything test
//! servers, installed by `.ci/setup` under `target/test-servers`) are started
//! through Sluice's own host, lazily, as a run would, and every query of
//! `benches/retrieval/queries.json` goes through `ToolCatalog::search`, the
//! search programs use. Prints a table (overall, the tuning part and the
//! held-out part) and every miss, and writes them to `target/bench/search.md`.
//!
//! `cargo bench --bench retrieval -- --dump` prints every tool instead (server,
//! name, annotations, first sentence), to write queries against.

#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use sluice::ToolHost;
use sluice::config::SluiceConfig;
use sluice::mcp::{McpOptions, McpTools};
use sluice::tools::{Detail, SearchQuery, ToolCatalog};

/// Hits asked for per query: recall is measured up to rank 5, MRR over these.
const DEPTH: u32 = 10;

/// One query of `queries.json`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Query {
    query: String,
    /// `tuning` or `held_out`.
    part: String,
    /// Acceptable answers, as `server.tool`.
    expected: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryFile {
    queries: Vec<Query>,
}

/// Recall at 1, 3 and 5 and the mean reciprocal rank of one set of queries.
#[derive(Default)]
struct Scores {
    queries: usize,
    at1: usize,
    at3: usize,
    at5: usize,
    reciprocal_ranks: f64,
}

impl Scores {
    fn add(&mut self, rank: Option<usize>) {
        self.queries += 1;
        if let Some(rank) = rank {
            self.at1 += usize::from(rank == 1);
            self.at3 += usize::from(rank <= 3);
            self.at5 += usize::from(rank <= 5);
            self.reciprocal_ranks += 1.0 / rank as f64;
        }
    }

    fn row(&self, name: &str) -> String {
        let n = self.queries.max(1) as f64;
        format!(
            "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.3} |",
            self.queries,
            self.at1 as f64 / n,
            self.at3 as f64 / n,
            self.at5 as f64 / n,
            self.reciprocal_ranks / n
        )
    }
}

fn main() {
    let dump = std::env::args().any(|arg| arg == "--dump");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().expect("a temporary directory");
    let git = std::process::Command::new("git").arg("init").arg("-q").arg(work.path()).status();
    assert!(git.is_ok_and(|status| status.success()), "git init failed");
    let config = retrieval_config(root, work.path());
    let tools = Arc::new(McpTools::new(&config, McpOptions::default()));
    let catalog = ToolCatalog::new(tools.clone());
    let tokio = tokio::runtime::Runtime::new().expect("a tokio runtime");

    if dump {
        tokio.block_on(async {
            for server in tools.servers() {
                for tool in tools.list_tools(&server.name).await.expect("the server lists its tools").iter() {
                    let summary = tool.description.as_deref().unwrap_or("").lines().next().unwrap_or("");
                    let annotations = tool.annotations.as_ref().map(|a| a.to_string()).unwrap_or_default();
                    println!("{}.{}\t{annotations}\t{summary}", server.name, tool.name);
                }
            }
        });
        tokio.block_on(tools.shutdown());
        return;
    }

    let text = std::fs::read_to_string(root.join("benches/retrieval/queries.json")).expect("queries.json");
    let file: QueryFile = serde_json::from_str(&text).expect("queries.json is well-formed");
    let (mut overall, mut tuning, mut held_out) = (Scores::default(), Scores::default(), Scores::default());
    let mut misses = String::new();
    let mut timings = Vec::new();
    // The first search starts every server and lists its tools; that is not what is timed.
    let warm = SearchQuery { query: "list".to_owned(), limit: Some(1), detail: Detail::Name };
    tokio.block_on(catalog.search(&warm)).expect("the servers start and list their tools");
    for query in &file.queries {
        let request = SearchQuery { query: query.query.clone(), limit: Some(DEPTH), detail: Detail::Name };
        let started = Instant::now();
        let hits = tokio.block_on(catalog.search(&request)).unwrap_or_default();
        timings.push(started.elapsed());
        let names: Vec<String> = hits.iter().map(|hit| format!("{}.{}", hit.server, hit.tool)).collect();
        let rank = names.iter().position(|name| query.expected.contains(name)).map(|i| i + 1);
        overall.add(rank);
        match query.part.as_str() {
            "tuning" => tuning.add(rank),
            _ => held_out.add(rank),
        }
        if rank.is_none_or(|rank| rank > 1) {
            let top: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
            writeln!(
                misses,
                "| {} | {} | {} | {} | {} |",
                query.query,
                query.part,
                query.expected.join(", "),
                rank.map_or("—".to_owned(), |r| r.to_string()),
                top.join(", ")
            )
            .unwrap();
        }
    }
    tokio.block_on(tools.shutdown());

    let mut report =
        String::from("| queries | n | recall@1 | recall@3 | recall@5 | MRR |\n|---|---|---|---|---|---|\n");
    for (name, scores) in [("all", &overall), ("tuning", &tuning), ("held out", &held_out)] {
        writeln!(report, "{}", scores.row(name)).unwrap();
    }
    timings.sort();
    let millis = |d: Duration| d.as_secs_f64() * 1000.0;
    writeln!(
        report,
        "\nOne search over {} servers (indexes built): median {:.2} ms, slowest {:.2} ms.",
        tools.servers().len(),
        millis(timings[timings.len() / 2]),
        millis(timings[timings.len() - 1])
    )
    .unwrap();
    writeln!(report, "\nNot first:\n\n| query | part | expected | rank | first three |\n|---|---|---|---|---|")
        .unwrap();
    report.push_str(&misses);
    print!("{report}");
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("search.md"), report).unwrap();
}

/// The servers of `benches/retrieval/servers.json`, with `{servers}` standing for
/// `target/test-servers` (or `$SLUICE_TEST_SERVERS`) and `{work}` for a scratch git repository.
fn retrieval_config(root: &Path, work: &Path) -> SluiceConfig {
    let servers = std::env::var_os("SLUICE_TEST_SERVERS")
        .map_or_else(|| root.join("target/test-servers"), std::path::PathBuf::from);
    let text = std::fs::read_to_string(root.join("benches/retrieval/servers.json")).expect("servers.json");
    let text = text.replace("{servers}", &servers.to_string_lossy()).replace("{work}", &work.to_string_lossy());
    let servers: serde_json::Value = serde_json::from_str(&text).expect("servers.json is JSON");
    let config = serde_json::json!({ "mcpServers": servers }).to_string();
    SluiceConfig::parse(&config, "benches/retrieval/servers.json").expect("servers.json is a valid configuration")
}
