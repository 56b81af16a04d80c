//! Embeds Sluice as a library: an in-process `issues` server with 10,000 records, and a program that filters them.
//!
//! The program, JavaScript (`examples/triage.js`) or a Rust guest
//! (`examples/guests/src/bin/triage.rs`), asks for every issue, keeps the open
//! bugs with more than ten comments and prints a few lines; the records
//! themselves never leave the sandbox. Run it with:
//!
//! ```text
//! cargo run --release --example embed -- examples/triage.js
//! ```
//!
//! or pass `target/guests/wasm32-wasip1/release/triage.wasm` to run the Rust guest.
//! `--dump-issues` prints the records instead, for checking the program's answer.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;

use serde_json::{Value, json};
use sluice::{
    ExecutionPolicy, InProcessTools, Launcher, RunControl, RunOutcome, RunStatus, Runtime, RuntimeConfig, Source,
    ToolDefinition, ToolResult, WorkspaceChoice,
};

const ISSUES: usize = 10_000;

#[tokio::main]
async fn main() -> ExitCode {
    let arg = std::env::args().nth(1).unwrap_or_default();
    if arg == "--dump-issues" {
        println!("{}", json!({ "issues": issues() }));
        return ExitCode::SUCCESS;
    }
    if arg.is_empty() {
        eprintln!("usage: embed PROGRAM.js | embed GUEST.wasm | embed --dump-issues");
        return ExitCode::from(2);
    }

    let tools = InProcessTools::new().with_server("issues", "A project's issue tracker").with_tool(
        "issues",
        ToolDefinition::new(
            "list_issues",
            "List the issues of the project, with title, state, labels, comment count and author.",
            json!({
                "type": "object",
                "properties": { "state": { "type": "string", "enum": ["open", "closed", "all"] } }
            }),
        ),
        |args| async move {
            let state = args.get("state").and_then(Value::as_str).unwrap_or("all").to_owned();
            let selected: Vec<Value> =
                issues().into_iter().filter(|issue| state == "all" || issue["state"] == state.as_str()).collect();
            Ok(ToolResult::structured(json!({ "issues": selected })))
        },
    );

    let mut config = RuntimeConfig::default();
    config.cache_dir = RuntimeConfig::default_cache_dir();
    let launcher = Launcher::new(Runtime::new(config).expect("the runtime starts"));
    let outcome = match run(&launcher, &arg, tools).await {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("embed: {error}");
            return ExitCode::from(2);
        }
    };

    print!("{}", String::from_utf8_lossy(&outcome.stdout));
    eprint!("{}", String::from_utf8_lossy(&outcome.stderr));
    for record in &outcome.logs {
        eprintln!("[{}] {}", record.level, record.message);
    }
    let stats = &outcome.stats;
    let returned = outcome.stdout.len() as u64;
    eprintln!(
        "{}\n{} bytes from tools stayed in the sandbox; {} bytes came out ({:.2}% less)",
        outcome.summary(),
        stats.bytes_from_tools,
        returned,
        100.0 * (1.0 - returned as f64 / stats.bytes_from_tools.max(1) as f64)
    );
    match outcome.status {
        RunStatus::Ok => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

/// Runs `path`: JavaScript or TypeScript by its extension, otherwise a WebAssembly guest.
async fn run(launcher: &Launcher, path: &str, tools: InProcessTools) -> Result<RunOutcome, Box<dyn std::error::Error>> {
    let source = Source::read(path.as_ref())?;
    let policy = ExecutionPolicy::default();
    let control = RunControl::new();
    Ok(launcher.run(&source, policy, &WorkspaceChoice::None, Arc::new(tools), &control).await?.outcome)
}

/// The same 10,000 issues every time (a fixed-seed generator).
fn issues() -> Vec<Value> {
    const SUBJECTS: [&str; 8] =
        ["parser", "scheduler", "cache", "CLI", "config loader", "HTTP client", "docs", "installer"];
    const PROBLEMS: [&str; 8] = [
        "crashes on empty input",
        "leaks memory under load",
        "is slow on large files",
        "ignores the timeout flag",
        "prints a confusing error",
        "deadlocks on shutdown",
        "rejects valid UTF-8",
        "loses data on restart",
    ];
    const LABELS: [&str; 5] = ["bug", "enhancement", "docs", "question", "performance"];
    const AUTHORS: [&str; 6] = ["ada", "grace", "linus", "barbara", "ken", "margaret"];

    let mut seed: u64 = 0x5eed_1e55;
    let mut next = move |bound: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % bound
    };
    (1..=ISSUES)
        .map(|number| {
            let labels: Vec<&str> = LABELS.iter().copied().filter(|_| next(3) == 0).collect();
            json!({
                "number": number,
                "title": format!("The {} {}", SUBJECTS[next(8) as usize], PROBLEMS[next(8) as usize]),
                "state": if next(5) < 2 { "open" } else { "closed" },
                "labels": labels,
                "comments": next(41),
                "author": AUTHORS[next(6) as usize],
            })
        })
        .collect()
}
