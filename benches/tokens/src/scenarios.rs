//! The built-in scenarios: for each, the task, the direct-mode call plan (what
//! a competent agent without code mode calls, deciding each next call from the
//! results it read), the code-mode discovery calls and program
//! (`scenarios/*.js`), and the answer computed independently from the data.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::github::Data;
use crate::github::data::{IssueState, Pull};
use crate::modes::{Direct, ModeError};
use crate::setup::{World, repo_dir, transcript_path};

const OWNER: &str = "acme";
const REPO: &str = "widgets";

/// How a scenario's direct mode is played.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Scenario 1: list the open bugs page by page, then fetch the top ten.
    Triage,
    /// The same question through GitHub's search, which filters on the server.
    TriageSearch,
    /// Scenario 2.
    PrDigest,
    /// Scenario 3.
    ReleaseNotes,
    /// Scenario 4.
    Stale,
    /// Scenario 5.
    Join,
    /// Scenario 7.
    Handoff,
    /// Scenario 8.
    LabelHistogram,
}

/// One code-mode discovery call: a Sluice tool, its arguments, and a word its
/// result must contain for the program that follows to be honest (the tool the
/// program then uses).
#[derive(Clone, Debug)]
pub struct Discovery {
    /// `search_tools` or `describe_tool`.
    pub tool: String,
    /// Its arguments.
    pub arguments: Value,
    /// What the result must mention.
    pub must_mention: String,
}

/// How direct mode is played.
#[derive(Clone, Debug)]
pub enum DirectPlan {
    /// A built-in plan, with its answer computed from the data.
    Builtin(Plan),
    /// A scenario file's fixed calls, and a JavaScript reducer that turns their
    /// result texts (`results`, an array of strings) into the printed answer.
    Calls {
        /// `(server, tool, arguments)`, in order.
        calls: Vec<(String, String, Value)>,
        /// The reducer's source.
        reduce: String,
    },
}

/// A scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Short name (`--scenario NAME`).
    pub name: String,
    /// One line for the table.
    pub title: String,
    /// The user's request, the same in both modes.
    pub task: String,
    /// The direct-mode plan.
    pub plan: DirectPlan,
    /// Code mode's discovery calls.
    pub discovery: Vec<Discovery>,
    /// Code mode's program.
    pub program: String,
    /// The right answer, when a scenario file gives it (built-ins compute it).
    pub expected: Option<Value>,
}

fn describe(server: &str, tool: &str) -> Discovery {
    Discovery {
        tool: "describe_tool".into(),
        arguments: json!({ "server": server, "tool": tool }),
        must_mention: tool.into(),
    }
}

fn search(query: &str, expect: &str) -> Discovery {
    Discovery { tool: "search_tools".into(), arguments: json!({ "query": query }), must_mention: expect.into() }
}

/// Every built-in scenario, in report order.
pub fn all() -> Vec<Scenario> {
    let triage_task = "In acme/widgets on GitHub, how many open issues labelled bug have more than 10 comments? \
        List the ten most commented with their titles and assignees.";
    vec![
        Scenario {
            name: "triage".into(),
            title: "Triage: open bugs with >10 comments".into(),
            task: triage_task.into(),
            plan: DirectPlan::Builtin(Plan::Triage),
            discovery: vec![describe("github", "list_issues"), describe("github", "get_issue")],
            program: include_str!("../scenarios/triage.js").into(),
            expected: None,
        },
        Scenario {
            name: "pr-digest".into(),
            title: "PR review digest (50 most recent)".into(),
            task:
                "For the 50 most recent pull requests in acme/widgets, give the number of files each changes and its \
                latest review state, and list those approved but not merged."
                    .into(),
            plan: DirectPlan::Builtin(Plan::PrDigest),
            discovery: vec![
                describe("github", "list_pull_requests"),
                describe("github", "get_pull_request_files"),
                describe("github", "get_pull_request_reviews"),
            ],
            program: include_str!("../scenarios/pr-digest.js").into(),
            expected: None,
        },
        Scenario {
            name: "release-notes".into(),
            title: "Release notes v1.4.0..v1.5.0".into(),
            task: "Write release notes data for acme/widgets v1.5.0: how many commits since v1.4.0, and the pull \
                requests merged in them grouped by label."
                .into(),
            plan: DirectPlan::Builtin(Plan::ReleaseNotes),
            discovery: vec![
                describe("github", "list_tags"),
                describe("github", "list_commits"),
                describe("github", "search_pull_requests"),
            ],
            program: include_str!("../scenarios/release-notes.js").into(),
            expected: None,
        },
        Scenario {
            name: "stale".into(),
            title: "Stale issues by assignee (90 days)".into(),
            task:
                "Today is 2026-11-01. Which open issues in acme/widgets have had no activity for 90 days? Count them \
                per assignee."
                    .into(),
            plan: DirectPlan::Builtin(Plan::Stale),
            discovery: vec![describe("github", "search_issues")],
            program: include_str!("../scenarios/stale.js").into(),
            expected: None,
        },
        Scenario {
            name: "join".into(),
            title: "Local commits joined to the issues they fix".into(),
            task: "Which commits in the local clone of acme/widgets (/tmp/sluice-bench-tokens/repo) close a GitHub \
                issue (\"fixes #N\")? Give each issue's number, title and state with the commit's subject."
                .into(),
            plan: DirectPlan::Builtin(Plan::Join),
            discovery: vec![describe("git", "git_log"), describe("github", "get_issue")],
            program: include_str!("../scenarios/join.js").into(),
            expected: None,
        },
        Scenario {
            name: "discovery".into(),
            title: "Triage, finding the tools from nothing".into(),
            task: triage_task.into(),
            plan: DirectPlan::Builtin(Plan::Triage),
            discovery: vec![
                search("list issues in a repository by label", "list_issues"),
                describe("github", "list_issues"),
                describe("github", "get_issue"),
            ],
            program: include_str!("../scenarios/triage.js").into(),
            expected: None,
        },
        Scenario {
            name: "handoff".into(),
            title: "2-hour transcript: files → memory".into(),
            task: "Save the transcript of the 2026-10-28 planning meeting \
                (/tmp/sluice-bench-tokens/docs/planning-meeting-2026-10-28.txt) in the knowledge graph as an entity \
                named \"Planning meeting 2026-10-28\" of type meeting, the transcript as its observation. Say how many \
                characters were stored."
                .into(),
            plan: DirectPlan::Builtin(Plan::Handoff),
            discovery: vec![describe("files", "read_text_file"), describe("memory", "create_entities")],
            program: include_str!("../scenarios/handoff.js").into(),
            expected: None,
        },
        Scenario {
            name: "label-histogram".into(),
            title: "Paginated export: labels of all 10,000 issues".into(),
            task: "Count the labels over every issue (open and closed) in acme/widgets: a histogram, the number of \
                issues, and how many have no label."
                .into(),
            plan: DirectPlan::Builtin(Plan::LabelHistogram),
            discovery: vec![describe("github", "list_issues")],
            program: include_str!("../scenarios/label-histogram.js").into(),
            expected: None,
        },
        Scenario {
            name: "triage-search".into(),
            title: "Triage through server-side search".into(),
            task: triage_task.into(),
            plan: DirectPlan::Builtin(Plan::TriageSearch),
            discovery: vec![describe("github", "search_issues")],
            program: include_str!("../scenarios/triage-search.js").into(),
            expected: None,
        },
    ]
}

/// The scenario's answer, from the data alone.
pub fn expected(plan: Plan, data: &Data, world: &World) -> Value {
    match plan {
        Plan::Triage | Plan::TriageSearch => {
            let mut hot: Vec<_> = data
                .issues
                .iter()
                .filter(|i| i.state == IssueState::Open && i.labels.iter().any(|l| l == "bug") && i.comments.len() > 10)
                .collect();
            hot.sort_by(|a, b| b.comments.len().cmp(&a.comments.len()).then(a.number.cmp(&b.number)));
            let top: Vec<Value> =
                hot.iter().take(10).map(|i| json!([i.number, i.comments.len(), i.title, i.assignees])).collect();
            json!({ "count": hot.len(), "top": top })
        }
        Plan::PrDigest => {
            let mut recent: Vec<_> = data.pulls.iter().collect();
            recent.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.number.cmp(&a.number)));
            let recent = &recent[..50.min(recent.len())];
            let review = |pr: &Pull| {
                pr.reviews.iter().max_by_key(|r| r.submitted_at).map_or("NONE".to_owned(), |r| r.state.clone())
            };
            let prs: Vec<Value> = recent.iter().map(|pr| json!([pr.number, pr.files.len(), review(pr)])).collect();
            let approved: Vec<u64> = recent
                .iter()
                .filter(|pr| review(pr) == "APPROVED" && pr.merged_at.is_none())
                .map(|pr| pr.number)
                .collect();
            json!({ "prs": prs, "approved_not_merged": approved })
        }
        Plan::ReleaseNotes => {
            let at = |tag: &str| {
                let sha = &data.tags.iter().find(|t| t.name == tag).expect("the data has the tag").sha;
                data.commits.iter().position(|c| &c.sha == sha).expect("a tag points at a commit")
            };
            let range: BTreeSet<&str> = data.commits[at("v1.4.0") + 1..=at("v1.5.0")].iter().map(|c| &*c.sha).collect();
            let merged: Vec<_> = data
                .pulls
                .iter()
                .filter(|pr| pr.merge_commit_sha.as_deref().is_some_and(|sha| range.contains(sha)))
                .collect();
            let mut by_label: BTreeMap<String, Vec<u64>> = BTreeMap::new();
            for pr in &merged {
                if pr.labels.is_empty() {
                    by_label.entry("unlabelled".into()).or_default().push(pr.number);
                }
                for label in &pr.labels {
                    by_label.entry(label.clone()).or_default().push(pr.number);
                }
            }
            by_label.values_mut().for_each(|numbers| numbers.sort());
            json!({ "commits": range.len(), "prs": merged.len(), "by_label": by_label })
        }
        Plan::Stale => {
            let cutoff = data.now - 90 * 86_400;
            let mut by_assignee: BTreeMap<String, u64> = BTreeMap::new();
            let mut stale = 0;
            for issue in data.issues.iter().filter(|i| i.state == IssueState::Open && i.updated_at < cutoff) {
                stale += 1;
                if issue.assignees.is_empty() {
                    *by_assignee.entry("(unassigned)".into()).or_default() += 1;
                }
                for who in &issue.assignees {
                    *by_assignee.entry(who.clone()).or_default() += 1;
                }
            }
            json!({ "stale": stale, "by_assignee": by_assignee })
        }
        Plan::Join => {
            let mut rows: Vec<(u64, String)> = world
                .local_commits
                .iter()
                .filter_map(|(subject, fixes)| fixes.map(|number| (number, subject.clone())))
                .collect();
            rows.sort();
            let rows: Vec<Value> = rows
                .iter()
                .map(|(number, subject)| {
                    let issue = data.issue(*number).expect("a fixed issue exists");
                    let state = if issue.state == IssueState::Open { "open" } else { "closed" };
                    json!([number, issue.title, state, subject])
                })
                .collect();
            json!({ "fixes": rows })
        }
        Plan::Handoff => {
            json!({ "entity": HANDOFF_ENTITY, "characters": world.transcript.chars().count() })
        }
        Plan::LabelHistogram => {
            let mut labels: BTreeMap<&str, u64> = BTreeMap::new();
            for label in data.issues.iter().flat_map(|i| &i.labels) {
                *labels.entry(label).or_default() += 1;
            }
            let unlabelled = data.issues.iter().filter(|i| i.labels.is_empty()).count();
            json!({ "issues": data.issues.len(), "labels": labels, "unlabelled": unlabelled })
        }
    }
}

const HANDOFF_ENTITY: &str = "Planning meeting 2026-10-28";

fn repo() -> Value {
    json!({ "owner": OWNER, "repo": REPO })
}

fn with(base: Value, extra: Value) -> Value {
    let mut merged = base;
    if let (Value::Object(merged), Value::Object(extra)) = (&mut merged, extra) {
        merged.extend(extra);
    }
    merged
}

fn plan_error(message: impl Into<String>) -> ModeError {
    ModeError::Plan(message.into())
}

fn logins(users: &Value) -> Vec<String> {
    users.as_array().into_iter().flatten().filter_map(|u| u["login"].as_str().map(str::to_owned)).collect()
}

fn number(value: &Value) -> Result<u64, ModeError> {
    value.as_u64().ok_or_else(|| plan_error(format!("expected a number, got {value}")))
}

/// Every issue `list_issues` returns for `filter`, 100 a page, following
/// `pageInfo.endCursor` while `hasNextPage`.
async fn every_listed_issue(agent: &mut Direct<'_>, filter: Value) -> Result<Vec<Value>, ModeError> {
    let mut issues = Vec::new();
    let mut after = Value::Null;
    loop {
        let mut args = with(with(repo(), filter.clone()), json!({ "perPage": 100 }));
        if !after.is_null() {
            args["after"] = after.clone();
        }
        let mut page = agent.json("github", "list_issues", args).await?;
        if let Value::Array(found) = page["issues"].take() {
            issues.extend(found);
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return Ok(issues);
        }
        after = page["pageInfo"]["endCursor"].take();
    }
}

/// Every item the search tool `tool` finds for `query`, 100 a page, until
/// `total_count` are read or a page comes back empty.
async fn every_found(agent: &mut Direct<'_>, tool: &str, query: &str) -> Result<Vec<Value>, ModeError> {
    let mut items = Vec::new();
    let mut total = 1;
    for page in 1.. {
        if items.len() as u64 >= total {
            break;
        }
        let args = with(repo(), json!({ "query": query, "perPage": 100, "page": page }));
        let mut found = agent.json("github", tool, args).await?;
        total = number(&found["total_count"])?;
        match found["items"].take() {
            Value::Array(batch) if !batch.is_empty() => items.extend(batch),
            _ => break,
        }
    }
    Ok(items)
}

/// Plays `plan` as a direct-mode agent; the answer comes from the results read.
pub async fn direct(plan: Plan, agent: &mut Direct<'_>) -> Result<Value, ModeError> {
    match plan {
        Plan::Triage => {
            let mut hot = Vec::new();
            for issue in every_listed_issue(agent, json!({ "state": "OPEN", "labels": ["bug"] })).await? {
                let comments = number(&issue["comments"])?;
                if comments > 10 {
                    hot.push((comments, number(&issue["number"])?, issue["title"].clone()));
                }
            }
            hot.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut top = Vec::new();
            for (comments, issue_number, title) in hot.iter().take(10) {
                let issue =
                    agent.json("github", "get_issue", with(repo(), json!({ "issue_number": issue_number }))).await?;
                top.push(json!([issue_number, comments, title, logins(&issue["assignees"])]));
            }
            Ok(json!({ "count": hot.len(), "top": top }))
        }
        Plan::TriageSearch => {
            let args = with(
                repo(),
                json!({ "query": "is:open label:bug comments:>10", "sort": "comments", "order": "desc", "perPage": 10 }),
            );
            let found = agent.json("github", "search_issues", args).await?;
            let top: Vec<Value> = found["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| json!([i["number"], i["comments"], i["title"], logins(&i["assignees"])]))
                .collect();
            Ok(json!({ "count": found["total_count"], "top": top }))
        }
        Plan::PrDigest => {
            let args = with(repo(), json!({ "state": "all", "sort": "created", "direction": "desc", "perPage": 50 }));
            let pulls = agent.json("github", "list_pull_requests", args).await?;
            let mut prs = Vec::new();
            let mut approved = Vec::new();
            for pr in pulls.as_array().into_iter().flatten() {
                let pr_number = number(&pr["number"])?;
                let files = agent
                    .json(
                        "github",
                        "get_pull_request_files",
                        with(repo(), json!({ "pullNumber": pr_number, "perPage": 100 })),
                    )
                    .await?;
                let reviews = agent
                    .json("github", "get_pull_request_reviews", with(repo(), json!({ "pullNumber": pr_number })))
                    .await?;
                let review = reviews.as_array().and_then(|r| r.last()).map_or(json!("NONE"), |r| r["state"].clone());
                if review == "APPROVED" && pr["merged_at"].is_null() {
                    approved.push(pr_number);
                }
                prs.push(json!([pr_number, files.as_array().map_or(0, Vec::len), review]));
            }
            Ok(json!({ "prs": prs, "approved_not_merged": approved }))
        }
        Plan::ReleaseNotes => {
            let tags = agent.json("github", "list_tags", with(repo(), json!({ "perPage": 100 }))).await?;
            let from = tags
                .as_array()
                .into_iter()
                .flatten()
                .find(|t| t["name"] == "v1.4.0")
                .map(|t| t["commit"]["sha"].clone())
                .ok_or_else(|| plan_error("no tag v1.4.0"))?;
            let mut commits = Vec::new();
            for page in 1.. {
                let args = with(repo(), json!({ "sha": "v1.5.0", "perPage": 100, "page": page }));
                let batch = agent.json("github", "list_commits", args).await?;
                let batch = batch.as_array().cloned().unwrap_or_default();
                let end = batch.iter().position(|c| c["sha"] == from);
                let full = batch.len() == 100;
                commits.extend(batch.into_iter().take(end.unwrap_or(usize::MAX)));
                if end.is_some() || !full {
                    break;
                }
            }
            let merged: BTreeSet<u64> = commits
                .iter()
                .filter_map(|c| c["commit"]["message"].as_str())
                .filter_map(|m| m.strip_prefix("Merge pull request #"))
                .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
                .collect();
            let day = |c: Option<&Value>| {
                c.and_then(|c| c["commit"]["committer"]["date"].as_str()).map(|d| d[..10].to_owned())
            };
            let (Some(first), Some(last)) = (day(commits.last()), day(commits.first())) else {
                return Err(plan_error("no commits between the tags"));
            };
            let query = format!("is:merged merged:{first}..{last}");
            let mut by_label: BTreeMap<String, Vec<u64>> = BTreeMap::new();
            for pr in every_found(agent, "search_pull_requests", &query).await? {
                let pr_number = number(&pr["number"])?;
                if !merged.contains(&pr_number) {
                    continue;
                }
                let names: Vec<String> = pr["labels"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l["name"].as_str().map(str::to_owned))
                    .collect();
                for label in if names.is_empty() { vec!["unlabelled".to_owned()] } else { names } {
                    by_label.entry(label).or_default().push(pr_number);
                }
            }
            by_label.values_mut().for_each(|numbers| numbers.sort());
            Ok(json!({ "commits": commits.len(), "prs": merged.len(), "by_label": by_label }))
        }
        Plan::Stale => {
            let mut by_assignee: BTreeMap<String, u64> = BTreeMap::new();
            let stale = every_found(agent, "search_issues", "is:open updated:<2026-08-03").await?;
            for issue in &stale {
                let who = logins(&issue["assignees"]);
                for login in if who.is_empty() { vec!["(unassigned)".to_owned()] } else { who } {
                    *by_assignee.entry(login).or_default() += 1;
                }
            }
            Ok(json!({ "stale": stale.len(), "by_assignee": by_assignee }))
        }
        Plan::Join => {
            let args = json!({ "repo_path": repo_dir(), "max_count": 1000 });
            let log = agent.call("git", "git_log", args).await?;
            let mut fixes = Vec::new();
            for line in log.lines() {
                let Some(subject) = line.strip_prefix("Message: ") else { continue };
                if let Some(rest) = subject.split("fixes #").nth(1) {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    fixes.push((
                        digits.parse::<u64>().map_err(|_| plan_error(format!("bad reference in {subject}")))?,
                        subject.to_owned(),
                    ));
                }
            }
            fixes.sort();
            let mut rows = Vec::new();
            for (issue_number, subject) in fixes {
                let issue =
                    agent.json("github", "get_issue", with(repo(), json!({ "issue_number": issue_number }))).await?;
                rows.push(json!([issue_number, issue["title"], issue["state"], subject]));
            }
            Ok(json!({ "fixes": rows }))
        }
        Plan::Handoff => {
            let transcript = agent.call("files", "read_text_file", json!({ "path": transcript_path() })).await?;
            let entity = json!({ "name": HANDOFF_ENTITY, "entityType": "meeting", "observations": [transcript] });
            let created = agent.json("memory", "create_entities", json!({ "entities": [entity] })).await?;
            let stored = created
                .as_array()
                .or_else(|| created["entities"].as_array())
                .and_then(|entities| entities.iter().find(|e| e["name"] == HANDOFF_ENTITY))
                .and_then(|e| e["observations"][0].as_str())
                .ok_or_else(|| plan_error("create_entities did not return the entity"))?;
            Ok(json!({ "entity": HANDOFF_ENTITY, "characters": stored.chars().count() }))
        }
        Plan::LabelHistogram => {
            let mut labels: BTreeMap<String, u64> = BTreeMap::new();
            let mut unlabelled = 0u64;
            let issues = every_listed_issue(agent, json!({})).await?;
            for issue in &issues {
                let names: Vec<&str> =
                    issue["labels"].as_array().into_iter().flatten().filter_map(|l| l["name"].as_str()).collect();
                if names.is_empty() {
                    unlabelled += 1;
                }
                for name in names {
                    *labels.entry(name.to_owned()).or_default() += 1;
                }
            }
            Ok(json!({ "issues": issues.len(), "labels": labels, "unlabelled": unlabelled }))
        }
    }
}
