//! Shows the point of Sluice: a program reads 10,000 issue records from a tool, filters them inside the sandbox, and only a few lines of report leave it.
//!
//! It first finds the tool with `search` (printing `found issues.list_issues`),
//! calls it with `{"state": "all"}`, keeps the open issues labelled `bug` with
//! more than 10 comments, and prints how many there are and the five most
//! discussed. Run it from the repository root with:
//!
//! ```text
//! make example
//! ```
//!
//! which builds this guest and runs it through
//! `cargo run --release --example embed -- target/guests/wasm32-wasip1/release/triage.wasm`
//! (`examples/embed.rs` provides the `issues` server).

use std::process::ExitCode;

use serde::Deserialize;
use serde_json::json;
use sluice_guest::{Detail, Level, SearchOptions};

/// Keep issues with more than this many comments.
const MIN_COMMENTS: u64 = 10;
/// How many titles the report lists.
const SHOWN: usize = 5;

/// What `issues.list_issues` returns as structured content.
#[derive(Deserialize)]
struct IssueList {
    issues: Vec<Issue>,
}

/// One issue record (fields the report does not use are skipped).
#[derive(Deserialize)]
struct Issue {
    number: u64,
    title: String,
    state: String,
    labels: Vec<String>,
    comments: u64,
}

impl Issue {
    fn is_discussed_open_bug(&self) -> bool {
        self.state == "open" && self.labels.iter().any(|label| label == "bug") && self.comments > MIN_COMMENTS
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("triage: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // Discovery: the program does not need to know where the tool lives.
    let hits = sluice_guest::search("list issues", SearchOptions { limit: Some(1), detail: Detail::Name })?;
    let tool = hits.first().ok_or("no tool matches \"list issues\"")?;
    println!("found {}.{}", tool.server, tool.tool);

    // All 10,000 records arrive here, inside the sandbox, and stay here.
    let output = sluice_guest::call(&tool.server, &tool.tool, &json!({ "state": "all" }))?;
    let IssueList { issues } = serde_json::from_value(output.into_value())
        .map_err(|error| format!("{}.{} returned no issue list: {error}", tool.server, tool.tool))?;

    let mut bugs: Vec<&Issue> = issues.iter().filter(|issue| issue.is_discussed_open_bug()).collect();
    bugs.sort_by(|a, b| b.comments.cmp(&a.comments).then(a.number.cmp(&b.number)));
    sluice_guest::log(Level::Info, &format!("triage read {} issues and kept {}", issues.len(), bugs.len()));

    println!(
        "{} open bugs with more than {MIN_COMMENTS} comments (of {} issues); the most discussed:",
        bugs.len(),
        issues.len()
    );
    for issue in bugs.iter().take(SHOWN) {
        println!("  #{:<5} {:>2} comments  {}", issue.number, issue.comments, issue.title);
    }
    Ok(())
}
