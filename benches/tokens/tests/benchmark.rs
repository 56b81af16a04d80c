//! The token benchmark end to end: the real github-mcp-server and four more
//! real servers against the fake GitHub, both modes of every scenario, every
//! answer checked against the one computed from the data, and the counts
//! compared with the published report (docs/token-savings.json) and the README's
//! table, so both stay true.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sluice_bench_tokens::github::Data;
use sluice_bench_tokens::run::{self, Report};
use sluice_bench_tokens::{custom, report, scenarios};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn published() -> Value {
    let path = root().join("docs/token-savings.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}; run `make bench-tokens`", path.display()));
    serde_json::from_str(&text).expect("docs/token-savings.json is JSON")
}

fn counts(report: &Value) -> Vec<(String, Value, Value)> {
    report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_owned(), s["direct"]["tokens"].clone(), s["code"]["tokens"].clone()))
        .collect()
}

#[test]
fn every_scenario_gives_the_independent_answer_in_both_modes_with_the_published_token_counts() {
    let servers = root().join("target/test-servers");
    assert!(servers.join("stamp").exists(), "the test servers are not installed: run `bash .ci/setup`");
    let mut chosen = scenarios::all();
    let example = custom::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/example.json")).unwrap();
    // The shipped scenario file's answer is right for the data (a user's file is its own authority).
    let data = Data::generate(run::SEED);
    let open_bugs = data.issues.iter().filter(|i| i.is_open() && i.has_label("bug")).count();
    assert_eq!(example.expected, Some(json!({ "open_bugs": open_bugs })));
    chosen.push(example);
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let report: Report = tokio.block_on(run::run(&servers, chosen, |_| {})).unwrap_or_else(|error| panic!("{error}"));

    let problems = report::problems(&report);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(report.passed());
    // Every scenario really went through its servers.
    for scenario in &report.scenarios {
        assert!(scenario.direct.upstream_calls > 0 && scenario.code.upstream_calls > 0, "{}", scenario.name);
    }

    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let table = report::table(&report, false);
    assert!(
        readme.contains(&table),
        "the README's token table is not the measured one: run `make bench-tokens` and paste target/bench/tokens.md \
         into the README:\n{table}"
    );

    let measured = serde_json::to_value(&report).unwrap();
    let (measured, published) = (counts(&measured), counts(&published()));
    assert_eq!(
        measured, published,
        "the token counts differ from docs/token-savings.json: if the change is meant, run `make bench-tokens` \
         and update the README's table"
    );
}
