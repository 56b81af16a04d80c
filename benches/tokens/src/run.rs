//! Plays every scenario in both modes, checks both answers against the
//! independent one, and gathers the measurements.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use sluice::{ExecutionPolicy, InProcessTools, Language, Launcher, RunControl, RunStatus, Source, WorkspaceChoice};

use crate::count::{Counter, Kind, Tokens, Transcript};
use crate::github::{Data, FakeGitHub, StartError};
use crate::modes::{CodeMode, Direct, ModeError, Upstream};
use crate::scenarios::{self, DirectPlan, Scenario};
use crate::setup::{SetupError, World};

/// The data's seed: change it and every count changes.
pub const SEED: u64 = 2026;

/// How long a program may run in code mode (the whole export reads 10,000 issues).
const PROGRAM_DEADLINE: Duration = Duration::from_secs(300);

/// Why the benchmark could not run at all (a scenario failing is a result, not this).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The fake GitHub could not start.
    #[error(transparent)]
    GitHub(#[from] StartError),
    /// The world could not be prepared.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// A mode could not start.
    #[error(transparent)]
    Mode(#[from] ModeError),
    /// `--scenario` named nothing.
    #[error("no scenario is named {0:?}; the scenarios are: {1}")]
    UnknownScenario(String, String),
}

/// One mode's measurements in one scenario.
#[derive(Debug, Serialize)]
pub struct ModeReport {
    /// Every token through the context.
    pub tokens: Tokens,
    /// Tokens by kind of message (`definition`, `call`, `result`, ...).
    pub by_kind: BTreeMap<String, Tokens>,
    /// Tool calls the model made.
    pub model_calls: usize,
    /// Calls that reached an upstream server.
    pub upstream_calls: u64,
    /// Bytes through the context (every message's text).
    pub bytes_in_context: u64,
    /// Bytes the upstream servers returned.
    pub bytes_from_tools: u64,
    /// Wall time of the mode's calls, in milliseconds.
    pub wall_ms: f64,
    /// The answer it reached, if it reached one.
    pub answer: Option<Value>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// Every message, in order.
    pub transcript: Transcript,
}

impl ModeReport {
    fn new(
        transcript: Transcript,
        answer: Result<Value, String>,
        bytes_from_tools: u64,
        upstream_calls: u64,
        wall: Duration,
    ) -> Self {
        let mut by_kind = BTreeMap::new();
        for kind in [Kind::Definition, Kind::Task, Kind::Call, Kind::Result, Kind::Answer] {
            let name = serde_json::to_value(kind).ok().and_then(|k| k.as_str().map(str::to_owned)).unwrap_or_default();
            by_kind.insert(name, transcript.of(kind));
        }
        let (answer, error) = match answer {
            Ok(answer) => (Some(answer), None),
            Err(error) => (None, Some(error)),
        };
        ModeReport {
            tokens: transcript.total(),
            by_kind,
            model_calls: transcript.calls(),
            upstream_calls,
            bytes_in_context: transcript.entries.iter().map(|e| e.bytes).sum(),
            bytes_from_tools,
            wall_ms: wall.as_secs_f64() * 1000.0,
            answer,
            error,
            transcript,
        }
    }
}

/// One scenario's result.
#[derive(Debug, Serialize)]
pub struct ScenarioReport {
    /// Its name.
    pub name: String,
    /// Its one-line title.
    pub title: String,
    /// The independent answer.
    pub expected: Value,
    /// Direct tool calling.
    pub direct: ModeReport,
    /// Code mode.
    pub code: ModeReport,
    /// Both answers equal the independent one.
    pub verified: bool,
}

impl ScenarioReport {
    /// Code mode's saving, as a fraction of direct mode's o200k tokens.
    pub fn reduction(&self) -> f64 {
        reduction(self.direct.tokens.o200k, self.code.tokens.o200k)
    }
}

/// `1 - code / direct`.
pub fn reduction(direct: u64, code: u64) -> f64 {
    if direct == 0 { 0.0 } else { 1.0 - code as f64 / direct as f64 }
}

/// The whole run.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The data's seed.
    pub seed: u64,
    /// How tokens were counted.
    pub method: &'static str,
    /// Per scenario.
    pub scenarios: Vec<ScenarioReport>,
    /// Requests the fake GitHub could not serve (should be none).
    pub unserved: Vec<String>,
    /// Requests it served, per route.
    pub served: BTreeMap<String, u64>,
}

impl Report {
    /// Both modes' totals over the suite.
    pub fn totals(&self) -> (Tokens, Tokens) {
        (self.scenarios.iter().map(|s| s.direct.tokens).sum(), self.scenarios.iter().map(|s| s.code.tokens).sum())
    }

    /// Every scenario verified, and the fake served every request.
    pub fn passed(&self) -> bool {
        self.scenarios.iter().all(|s| s.verified) && self.unserved.is_empty()
    }
}

/// The method, for the report.
pub const METHOD: &str = "Tokens of every message through the model's context, counted with tiktoken o200k_base \
(and cl100k_base); each message adds 4 tokens of framing. Direct mode: every configured server's tools/list \
(name, description, schemas as compact JSON), the task, each call's name and arguments, each result's text content \
as the server returned it, and the final answer. Code mode: Sluice's own tools/list, the task, the discovery calls \
and their results, the execute call with the program, its result, and the final answer. Claude's tokenizer is not \
public.";

/// Plays `scenarios` in both modes, reporting each through `progress` as it
/// ends, with the servers installed in `test_servers`.
pub async fn run(
    test_servers: &Path,
    scenarios: Vec<Scenario>,
    mut progress: impl FnMut(&ScenarioReport),
) -> Result<Report, BenchError> {
    let data = Arc::new(Data::generate(SEED));
    let github = FakeGitHub::start(data.clone()).await?;
    let world = World::prepare(test_servers, &data)?;
    let counter = Counter::new();

    let upstream = Upstream::connect(&world.servers_for("direct")).await?;
    let code = CodeMode::start(&world.servers_for("code"), PROGRAM_DEADLINE).await?;
    let mut reports = Vec::new();
    for scenario in &scenarios {
        let report = play(scenario, &data, &world, &counter, &upstream, &code).await;
        progress(&report);
        reports.push(report);
    }
    upstream.shutdown().await;
    code.shutdown().await;
    let unserved = github.unserved();
    let served = github.served();
    github.stop().await;
    Ok(Report { seed: SEED, method: METHOD, scenarios: reports, unserved, served })
}

/// Picks the scenarios `only` names (all when `None`).
pub fn select(mut scenarios: Vec<Scenario>, only: Option<&str>) -> Result<Vec<Scenario>, BenchError> {
    if let Some(name) = only {
        let names = scenarios.iter().map(|s| s.name.clone()).collect::<Vec<_>>().join(", ");
        scenarios.retain(|s| s.name == name);
        if scenarios.is_empty() {
            return Err(BenchError::UnknownScenario(name.to_owned(), names));
        }
    }
    Ok(scenarios)
}

async fn play(
    scenario: &Scenario,
    data: &Data,
    world: &World,
    counter: &Counter,
    upstream: &Upstream,
    code: &CodeMode,
) -> ScenarioReport {
    let expected = match (&scenario.expected, &scenario.plan) {
        (Some(expected), _) => expected.clone(),
        (None, DirectPlan::Builtin(plan)) => scenarios::expected(*plan, data, world),
        (None, DirectPlan::Calls { .. }) => Value::Null,
    };

    // Direct tool calling.
    let started = Instant::now();
    let mut agent = Direct::new(upstream, counter, &scenario.task);
    let answer = match &scenario.plan {
        DirectPlan::Builtin(plan) => scenarios::direct(*plan, &mut agent).await,
        DirectPlan::Calls { calls, reduce } => fixed_calls(&mut agent, calls, reduce, code.launcher()).await,
    };
    if let Ok(answer) = &answer {
        agent.answer(answer);
    }
    let (calls, bytes) = (agent.transcript.calls() as u64, agent.bytes_from_tools());
    let direct = ModeReport::new(agent.transcript, answer.map_err(|e| e.to_string()), bytes, calls, started.elapsed());

    // Code mode.
    let started = Instant::now();
    let mut session = code.session(counter, &scenario.task);
    let mut upstream_calls = 0;
    let answer = async {
        for step in &scenario.discovery {
            let (text, _) = session.call(&step.tool, step.arguments.clone()).await?;
            if !text.contains(&step.must_mention) {
                return Err(ModeError::Plan(format!(
                    "{} {} did not mention {}, which the program then uses",
                    step.tool, step.arguments, step.must_mention
                )));
            }
        }
        let executed = session.execute(&scenario.program).await?;
        upstream_calls = executed.stats["tool_calls"].as_u64().unwrap_or(0);
        serde_json::from_str::<Value>(executed.output.trim()).map_err(|error| {
            ModeError::Plan(format!("the program's output is not JSON ({error}): {}", executed.output))
        })
    }
    .await;
    if let Ok(answer) = &answer {
        session.answer(answer);
    }
    let bytes = session.bytes_from_tools;
    let code = ModeReport::new(
        session.transcript,
        answer.map_err(|e| e.to_string()),
        bytes,
        upstream_calls,
        started.elapsed(),
    );

    let verified =
        !expected.is_null() && direct.answer.as_ref() == Some(&expected) && code.answer.as_ref() == Some(&expected);
    ScenarioReport { name: scenario.name.clone(), title: scenario.title.clone(), expected, direct, code, verified }
}

/// A scenario file's direct mode: its calls in order, then its reducer over
/// their result texts, run in a Sluice sandbox with no tools.
async fn fixed_calls(
    agent: &mut Direct<'_>,
    calls: &[(String, String, Value)],
    reduce: &str,
    launcher: &Launcher,
) -> Result<Value, ModeError> {
    let mut results = Vec::new();
    for (server, tool, arguments) in calls {
        results.push(Value::String(agent.call(server, tool, arguments.clone()).await?));
    }
    let source = format!("const results = {};\n{reduce}", Value::Array(results));
    let source = Source::text("reduce.js", Language::JavaScript, source);
    let mut policy = ExecutionPolicy::default();
    policy.limits.deadline = PROGRAM_DEADLINE;
    let launched = launcher
        .run(&source, policy, &WorkspaceChoice::None, Arc::new(InProcessTools::new()), &RunControl::new())
        .await
        .map_err(|error| ModeError::Plan(format!("cannot run the reducer: {error}")))?;
    let outcome = launched.outcome;
    let stdout = String::from_utf8_lossy(&outcome.stdout);
    if outcome.status != RunStatus::Ok {
        return Err(ModeError::Plan(format!(
            "the reducer failed: {}{}",
            String::from_utf8_lossy(&outcome.stderr),
            outcome.error_message().unwrap_or_default()
        )));
    }
    serde_json::from_str(stdout.trim())
        .map_err(|error| ModeError::Plan(format!("the reducer's output is not JSON ({error}): {stdout}")))
}
