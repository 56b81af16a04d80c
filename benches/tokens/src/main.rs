//! `sluice-bench-tokens`: runs the token-savings scenarios on GitHub's real MCP
//! server in both modes, prints the table, and writes JSON and SVG on request.
//!
//! ```text
//! cargo run --release -p sluice-bench-tokens -- [--scenario NAME] [--scenario-file FILE]... [--json FILE] [--svg FILE]
//! ```
//!
//! It binds 127.0.0.2:80 for the fake GitHub, so it needs root (or
//! CAP_NET_BIND_SERVICE) and one run at a time.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use sluice_bench_tokens::run::{self, Report, reduction};
use sluice_bench_tokens::{custom, report, scenarios};

/// Measures the tokens an agent spends on GitHub's real MCP server with direct
/// tool calls and with Sluice's code mode.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Run only this built-in scenario (or scenario file's `name`).
    #[arg(long)]
    scenario: Option<String>,
    /// Also run the scenario in this file (repeatable; see scenarios/example.json).
    #[arg(long = "scenario-file", value_name = "FILE")]
    scenario_files: Vec<PathBuf>,
    /// Run only the scenario files, not the built-ins.
    #[arg(long)]
    only_files: bool,
    /// Write the full report (every message's tokens) as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write the bar chart here.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Write the Markdown table (without wall times: every figure in it repeats exactly) here.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Where the test servers are installed (`bash .ci/setup` puts them in target/test-servers).
    #[arg(long, value_name = "DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/test-servers"))]
    servers: PathBuf,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,rmcp=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match try_main() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("sluice-bench-tokens: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn try_main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let mut chosen = if args.only_files { Vec::new() } else { scenarios::all() };
    for file in &args.scenario_files {
        chosen.push(custom::load(file)?);
    }
    let chosen = run::select(chosen, args.scenario.as_deref())?;
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start tokio")?;
    let report = tokio.block_on(run::run(&args.servers, chosen, |done| {
        eprintln!(
            "{:>16}: {} direct, {} code-mode tokens {}",
            done.name,
            done.direct.tokens.o200k,
            done.code.tokens.o200k,
            if done.verified { "(answers verified)" } else { "(ANSWERS DIFFER)" }
        );
    }))?;

    println!("{}", report::table(&report, true));
    print_targets(&report);
    for path in [&args.json, &args.svg, &args.markdown].into_iter().flatten() {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report).context("cannot serialise the report")?;
        std::fs::write(path, json + "\n").with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, report::svg(&report)?).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, report::table(&report, false))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let problems = report::problems(&report);
    for problem in &problems {
        eprintln!("sluice-bench-tokens: {problem}");
    }
    Ok(if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The issue's targets, measured: triage at least 99% fewer tokens and at most
/// 2,000 in code mode; the suite at least 95% fewer.
fn print_targets(report: &Report) {
    if let Some(triage) = report.scenarios.iter().find(|s| s.name == "triage") {
        let (saving, code) = (triage.reduction(), triage.code.tokens.o200k);
        let met = saving >= 0.99 && code <= 2000;
        println!(
            "target, triage: {:.1}% fewer (>= 99%), {code} tokens in code mode (<= 2,000): {}",
            saving * 100.0,
            if met { "met" } else { "NOT met" }
        );
    }
    let (direct, code) = report.totals();
    let saving = reduction(direct.o200k, code.o200k);
    println!(
        "target, suite: {:.1}% fewer (>= 95%): {}",
        saving * 100.0,
        if saving >= 0.95 { "met" } else { "NOT met" }
    );
}
