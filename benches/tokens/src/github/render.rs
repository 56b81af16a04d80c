//! GitHub's JSON shapes for the fake GitHub's objects: users, labels, milestones,
//! issues, comments, pull requests, reviews, commits, statuses, tags, releases and
//! repositories, field for field and in GitHub's order, as api.github.com sends them.
//!
//! **Boundary:** only this module knows how an object looks on the wire; the REST and
//! GraphQL handlers pick *which* objects to send. URLs inside bodies are github.com's
//! (`https://api.github.com/...`, `https://github.com/...`), as a github.com user's
//! server would return them, so that a body's size is the size a model would see.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::data::{
    Comment, Commit, Data, Issue, Label, Milestone, Pull, PullFile, Release, Repo, Review, Tag, rfc3339,
};
use super::data::{ReviewComment, Status, combined_state};
use super::rng::{SplitMix64, mix};

/// Where GitHub's REST API lives, as written inside response bodies.
pub(crate) const API: &str = "https://api.github.com";
/// GitHub's web site, as written inside response bodies.
pub(crate) const WEB: &str = "https://github.com";

/// The organisation that owns every repository.
const ORG_ID: u64 = 91_827_364;
/// GitHub's own account that commits merges made on the web.
const WEB_FLOW: (&str, u64) = ("web-flow", 19_864_447);

/// The data set with lookup indexes; renders its objects as GitHub does.
pub(crate) struct Store {
    /// The data set.
    pub(crate) data: Arc<Data>,
    users: HashMap<String, usize>,
    commits: HashMap<String, usize>,
    heads: HashMap<String, usize>,
    contributors: HashSet<String>,
    milestone_counts: HashMap<u64, (u64, u64)>,
}

/// How much of an issue to render: the single-issue endpoint adds `closed_by`;
/// search results add `score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IssueView {
    /// `GET /repos/{o}/{r}/issues/{n}`.
    Single,
    /// An item of `GET /search/issues`.
    Search,
}

/// A pull request from the list endpoint or the single one (which adds merge and size fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PullView {
    /// An item of `GET /repos/{o}/{r}/pulls`.
    List,
    /// `GET /repos/{o}/{r}/pulls/{n}`.
    Single,
}

/// What an issue and a pull request seen as an issue have in common.
struct IssueLike<'a> {
    number: u64,
    id: u64,
    node_id: String,
    html_url: String,
    title: &'a str,
    user: &'a str,
    labels: &'a [String],
    state: &'a str,
    locked: bool,
    assignees: &'a [String],
    milestone: Option<u64>,
    comments: usize,
    created_at: i64,
    updated_at: i64,
    closed_at: Option<i64>,
    closed_by: Option<&'a str>,
    body: &'a str,
    state_reason: Option<&'a str>,
    /// Set for a pull request: adds `draft` and `pull_request`.
    pull: Option<&'a Pull>,
}

/// How much of a repository to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RepoView {
    /// Identity and URLs only (inside a combined status).
    Minimal,
    /// Adds dates, counts and settings (inside pull requests, search results).
    Nested,
    /// `GET /repos/{o}/{r}`: adds permissions, merge settings and the organisation.
    Full,
}

impl Store {
    /// Indexes `data` for lookups by login, sha and branch.
    pub(crate) fn new(data: Arc<Data>) -> Store {
        let users = data.users.iter().enumerate().map(|(i, u)| (u.login.clone(), i)).collect();
        let commits = data.commits.iter().enumerate().map(|(i, c)| (c.sha.clone(), i)).collect();
        let heads = data.pulls.iter().enumerate().map(|(i, p)| (p.head_sha.clone(), i)).collect();
        let contributors = data.commits.iter().map(|c| c.author.clone()).collect();
        let mut milestone_counts: HashMap<u64, (u64, u64)> = HashMap::new();
        for (milestone, open) in data
            .issues
            .iter()
            .map(|i| (i.milestone, i.is_open()))
            .chain(data.pulls.iter().map(|p| (p.milestone, p.state == "open")))
        {
            if let Some(m) = milestone {
                let counts = milestone_counts.entry(m).or_default();
                if open {
                    counts.0 += 1;
                } else {
                    counts.1 += 1;
                }
            }
        }
        Store { data, users, commits, heads, contributors, milestone_counts }
    }

    /// `https://api.github.com/repos/acme/widgets`.
    pub(crate) fn repo_api(&self) -> String {
        format!("{API}/repos/{}/{}", self.data.owner, self.data.repo)
    }

    /// `https://github.com/acme/widgets`.
    pub(crate) fn repo_web(&self) -> String {
        format!("{WEB}/{}/{}", self.data.owner, self.data.repo)
    }

    /// The index of a commit on `main` by full sha.
    pub(crate) fn commit_index(&self, sha: &str) -> Option<usize> {
        self.commits.get(sha).copied()
    }

    /// The pull request whose head commit is `sha`.
    pub(crate) fn pull_by_head(&self, sha: &str) -> Option<&Pull> {
        self.heads.get(sha).map(|&i| &self.data.pulls[i])
    }

    fn user_id(&self, login: &str) -> u64 {
        if login == WEB_FLOW.0 {
            return WEB_FLOW.1;
        }
        self.users.get(login).map_or(0, |&i| self.data.users[i].id)
    }

    fn user_name<'a>(&'a self, login: &'a str) -> &'a str {
        self.users.get(login).map_or(login, |&i| &self.data.users[i].name)
    }

    /// A user as GitHub embeds one (`simple-user`).
    pub(crate) fn user(&self, login: &str) -> Value {
        account(login, self.user_id(login), "User")
    }

    fn org(&self) -> Value {
        account(&self.data.owner, ORG_ID, "Organization")
    }

    /// `MEMBER` for maintainers, `CONTRIBUTOR` for anyone with a commit, else `NONE`.
    fn association(&self, login: &str) -> &'static str {
        match self.users.get(login).map(|&i| &self.data.users[i]) {
            Some(u) if u.maintainer => "MEMBER",
            _ if self.contributors.contains(login) => "CONTRIBUTOR",
            _ => "NONE",
        }
    }

    /// The authenticated user, as `GET /user` returns it (with private fields).
    pub(crate) fn viewer(&self) -> Value {
        let login = &self.data.viewer;
        let user = self.data.user(login);
        let mut value = self.user(login);
        let extra = json!({
            "name": self.user_name(login),
            "company": "@acme",
            "blog": "https://widgets.acme.dev",
            "location": "Stockholm, Sweden",
            "email": null,
            "hireable": null,
            "bio": "Maintainer of widgets, a GUI toolkit for Rust.",
            "twitter_username": null,
            "notification_email": null,
            "public_repos": 23,
            "public_gists": 4,
            "followers": 318,
            "following": 41,
            "created_at": rfc3339(user.map_or(0, |u| u.created_at)),
            "updated_at": rfc3339(self.data.now - 3 * 86_400),
            "private_gists": 2,
            "total_private_repos": 3,
            "owned_private_repos": 3,
            "disk_usage": 182_304,
            "collaborators": 0,
            "two_factor_authentication": true,
            "plan": {"name": "pro", "space": 976_562_499, "collaborators": 0, "private_repos": 9_999},
        });
        if let (Some(map), Value::Object(extra)) = (value.as_object_mut(), extra) {
            map.insert("user_view_type".into(), "private".into());
            map.extend(extra);
        }
        value
    }

    /// The node id of an object of this repository (`LA_`, `I_`, `IC_`, ...).
    pub(crate) fn node_id(&self, prefix: &str, id: u64) -> String {
        node_id(prefix, &[Part::Int(0), Part::Int(self.data.repo_info.id), Part::Int(id)])
    }

    /// A label.
    pub(crate) fn label(&self, label: &Label) -> Value {
        json!({
            "id": label.id,
            "node_id": self.node_id("LA", label.id),
            "url": format!("{}/labels/{}", self.repo_api(), escape_segment(&label.name)),
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        })
    }

    fn labels(&self, names: &[String]) -> Value {
        Value::Array(names.iter().filter_map(|n| self.data.label(n)).map(|l| self.label(l)).collect())
    }

    /// A milestone, with its open and closed issue counts.
    pub(crate) fn milestone(&self, m: &Milestone) -> Value {
        let (open, closed) = self.milestone_counts.get(&m.number).copied().unwrap_or_default();
        let url = format!("{}/milestones/{}", self.repo_api(), m.number);
        json!({
            "url": url,
            "html_url": format!("{}/milestone/{}", self.repo_web(), m.number),
            "labels_url": format!("{url}/labels"),
            "id": m.id,
            "node_id": self.node_id("MI", m.id),
            "number": m.number,
            "title": m.title,
            "description": m.description,
            "creator": self.user(&m.creator),
            "open_issues": open,
            "closed_issues": closed,
            "state": m.state,
            "created_at": rfc3339(m.created_at),
            "updated_at": rfc3339(m.updated_at),
            "due_on": m.due_on.map(rfc3339),
            "closed_at": m.closed_at.map(rfc3339),
        })
    }

    fn milestone_of(&self, number: Option<u64>) -> Value {
        number.and_then(|n| self.data.milestone(n)).map_or(Value::Null, |m| self.milestone(m))
    }

    fn users(&self, logins: &[String]) -> Value {
        Value::Array(logins.iter().map(|l| self.user(l)).collect())
    }

    /// An issue as the issues and search endpoints return it.
    pub(crate) fn issue(&self, issue: &Issue, view: IssueView) -> Value {
        self.issue_shape(
            IssueLike {
                number: issue.number,
                id: issue.id,
                node_id: self.node_id("I", issue.id),
                html_url: format!("{}/issues/{}", self.repo_web(), issue.number),
                title: &issue.title,
                user: &issue.user,
                labels: &issue.labels,
                state: issue.state.as_str(),
                locked: issue.locked,
                assignees: &issue.assignees,
                milestone: issue.milestone,
                comments: issue.comments.len(),
                created_at: issue.created_at,
                updated_at: issue.updated_at,
                closed_at: issue.closed_at,
                closed_by: issue.closed_by.as_deref(),
                body: &issue.body,
                state_reason: issue.state_reason.as_deref(),
                pull: None,
            },
            view,
        )
    }

    /// A pull request as the issues and search endpoints return it (an issue with a
    /// `pull_request` object).
    pub(crate) fn pull_as_issue(&self, pull: &Pull, view: IssueView) -> Value {
        self.issue_shape(
            IssueLike {
                number: pull.number,
                id: pull.issue_id,
                node_id: self.node_id("PR", pull.id),
                html_url: format!("{}/pull/{}", self.repo_web(), pull.number),
                title: &pull.title,
                user: &pull.user,
                labels: &pull.labels,
                state: &pull.state,
                locked: false,
                assignees: &pull.assignees,
                milestone: pull.milestone,
                comments: pull.comments.len(),
                created_at: pull.created_at,
                updated_at: pull.updated_at,
                closed_at: pull.closed_at,
                closed_by: pull.merged_by.as_deref(),
                body: &pull.body,
                state_reason: None,
                pull: Some(pull),
            },
            view,
        )
    }

    fn issue_shape(&self, it: IssueLike, view: IssueView) -> Value {
        let url = format!("{}/issues/{}", self.repo_api(), it.number);
        let mut map = serde_json::Map::new();
        let mut put = |k: &str, v: Value| {
            map.insert(k.to_string(), v);
        };
        put("url", url.clone().into());
        put("repository_url", self.repo_api().into());
        put("labels_url", format!("{url}/labels{{/name}}").into());
        put("comments_url", format!("{url}/comments").into());
        put("events_url", format!("{url}/events").into());
        put("html_url", it.html_url.clone().into());
        put("id", it.id.into());
        put("node_id", it.node_id.into());
        put("number", it.number.into());
        put("title", it.title.into());
        put("user", self.user(it.user));
        put("labels", self.labels(it.labels));
        put("state", it.state.into());
        put("locked", it.locked.into());
        put("assignee", it.assignees.first().map_or(Value::Null, |a| self.user(a)));
        put("assignees", self.users(it.assignees));
        put("milestone", self.milestone_of(it.milestone));
        put("comments", it.comments.into());
        put("created_at", rfc3339(it.created_at).into());
        put("updated_at", rfc3339(it.updated_at).into());
        put("closed_at", it.closed_at.map(rfc3339).into());
        put("author_association", self.association(it.user).into());
        put("type", Value::Null);
        put("active_lock_reason", if it.locked { "resolved".into() } else { Value::Null });
        if let Some(pull) = it.pull {
            put("draft", pull.draft.into());
            put(
                "pull_request",
                json!({
                    "url": format!("{}/pulls/{}", self.repo_api(), pull.number),
                    "html_url": it.html_url,
                    "diff_url": format!("{}.diff", it.html_url),
                    "patch_url": format!("{}.patch", it.html_url),
                    "merged_at": pull.merged_at.map(rfc3339),
                }),
            );
        } else {
            put("sub_issues_summary", json!({"total": 0, "completed": 0, "percent_completed": 0}));
            put(
                "issue_dependencies_summary",
                json!({"blocked_by": 0, "total_blocked_by": 0, "blocking": 0, "total_blocking": 0}),
            );
        }
        put("body", it.body.into());
        if view == IssueView::Single {
            put("closed_by", it.closed_by.map_or(Value::Null, |l| self.user(l)));
        }
        put("reactions", reactions(&url, it.id, it.comments));
        put("timeline_url", format!("{url}/timeline").into());
        put("performed_via_github_app", Value::Null);
        put("state_reason", it.state_reason.into());
        if view == IssueView::Search {
            put("score", 1.0.into());
        }
        Value::Object(map)
    }

    /// A comment on issue or pull request `number`.
    pub(crate) fn comment(&self, number: u64, comment: &Comment) -> Value {
        let url = format!("{}/issues/comments/{}", self.repo_api(), comment.id);
        let page = if number >= super::data::FIRST_PULL { "pull" } else { "issues" };
        json!({
            "url": url,
            "html_url": format!("{}/{page}/{number}#issuecomment-{}", self.repo_web(), comment.id),
            "issue_url": format!("{}/issues/{number}", self.repo_api()),
            "id": comment.id,
            "node_id": self.node_id("IC", comment.id),
            "user": self.user(&comment.user),
            "created_at": rfc3339(comment.created_at),
            "updated_at": rfc3339(comment.updated_at),
            "author_association": self.association(&comment.user),
            "body": comment.body,
            "reactions": reactions(&url, comment.id, comment.body.len() / 200),
            "performed_via_github_app": null,
        })
    }

    /// A repository of `acme`.
    pub(crate) fn repo(&self, repo: &Repo, view: RepoView) -> Value {
        let full_name = format!("{}/{}", self.data.owner, repo.name);
        let api = format!("{API}/repos/{full_name}");
        let web = format!("{WEB}/{full_name}");
        let mut map = serde_json::Map::new();
        let mut put = |k: &str, v: Value| {
            map.insert(k.to_string(), v);
        };
        put("id", repo.id.into());
        put("node_id", node_id("R", &[Part::Int(0), Part::Int(repo.id)]).into());
        put("name", repo.name.clone().into());
        put("full_name", full_name.clone().into());
        put("private", false.into());
        put("owner", self.org());
        put("html_url", web.clone().into());
        put("description", repo.description.clone().into());
        put("fork", false.into());
        put("url", api.clone().into());
        for (key, path) in [
            ("forks_url", "/forks"),
            ("keys_url", "/keys{/key_id}"),
            ("collaborators_url", "/collaborators{/collaborator}"),
            ("teams_url", "/teams"),
            ("hooks_url", "/hooks"),
            ("issue_events_url", "/issues/events{/number}"),
            ("events_url", "/events"),
            ("assignees_url", "/assignees{/user}"),
            ("branches_url", "/branches{/branch}"),
            ("tags_url", "/tags"),
            ("blobs_url", "/git/blobs{/sha}"),
            ("git_tags_url", "/git/tags{/sha}"),
            ("git_refs_url", "/git/refs{/sha}"),
            ("trees_url", "/git/trees{/sha}"),
            ("statuses_url", "/statuses/{sha}"),
            ("languages_url", "/languages"),
            ("stargazers_url", "/stargazers"),
            ("contributors_url", "/contributors"),
            ("subscribers_url", "/subscribers"),
            ("subscription_url", "/subscription"),
            ("commits_url", "/commits{/sha}"),
            ("git_commits_url", "/git/commits{/sha}"),
            ("comments_url", "/comments{/number}"),
            ("issue_comment_url", "/issues/comments{/number}"),
            ("contents_url", "/contents/{+path}"),
            ("compare_url", "/compare/{base}...{head}"),
            ("merges_url", "/merges"),
            ("archive_url", "/{archive_format}{/ref}"),
            ("downloads_url", "/downloads"),
            ("issues_url", "/issues{/number}"),
            ("pulls_url", "/pulls{/number}"),
            ("milestones_url", "/milestones{/number}"),
            ("notifications_url", "/notifications{?since,all,participating}"),
            ("labels_url", "/labels{/name}"),
            ("releases_url", "/releases{/id}"),
            ("deployments_url", "/deployments"),
        ] {
            put(key, format!("{api}{path}").into());
        }
        if view == RepoView::Minimal {
            return Value::Object(map);
        }
        put("created_at", rfc3339(repo.created_at).into());
        put("updated_at", rfc3339(repo.updated_at).into());
        put("pushed_at", rfc3339(repo.pushed_at).into());
        put("git_url", format!("git://github.com/{full_name}.git").into());
        put("ssh_url", format!("git@github.com:{full_name}.git").into());
        put("clone_url", format!("{web}.git").into());
        put("svn_url", web.into());
        put("homepage", repo.homepage.clone().into());
        put("size", repo.size.into());
        put("stargazers_count", repo.stargazers_count.into());
        put("watchers_count", repo.stargazers_count.into());
        put("language", repo.language.clone().into());
        put("has_issues", true.into());
        put("has_projects", true.into());
        put("has_downloads", true.into());
        put("has_wiki", false.into());
        put("has_pages", repo.homepage.is_some().into());
        put("has_discussions", (repo.name == self.data.repo).into());
        put("forks_count", repo.forks_count.into());
        put("mirror_url", Value::Null);
        put("archived", false.into());
        put("disabled", false.into());
        put("open_issues_count", repo.open_issues_count.into());
        put(
            "license",
            repo.license.as_deref().map_or(Value::Null, |spdx| {
                json!({
                    "key": spdx.to_lowercase(),
                    "name": format!("{spdx} License"),
                    "spdx_id": spdx,
                    "url": format!("{API}/licenses/{}", spdx.to_lowercase()),
                    "node_id": "MDc6TGljZW5zZTEz",
                })
            }),
        );
        put("allow_forking", true.into());
        put("is_template", false.into());
        put("web_commit_signoff_required", false.into());
        put("topics", repo.topics.clone().into());
        put("visibility", "public".into());
        put("forks", repo.forks_count.into());
        put("open_issues", repo.open_issues_count.into());
        put("watchers", repo.stargazers_count.into());
        put("default_branch", repo.default_branch.clone().into());
        if view == RepoView::Full {
            put("permissions", json!({"admin": true, "maintain": true, "push": true, "triage": true, "pull": true}));
            put("temp_clone_token", "".into());
            put("allow_squash_merge", true.into());
            put("allow_merge_commit", true.into());
            put("allow_rebase_merge", false.into());
            put("allow_auto_merge", true.into());
            put("delete_branch_on_merge", true.into());
            put("allow_update_branch", true.into());
            put("use_squash_pr_title_as_default", false.into());
            put("squash_merge_commit_message", "COMMIT_MESSAGES".into());
            put("squash_merge_commit_title", "COMMIT_OR_PR_TITLE".into());
            put("merge_commit_message", "PR_TITLE".into());
            put("merge_commit_title", "MERGE_MESSAGE".into());
            put("custom_properties", json!({}));
            put("organization", self.org());
            put(
                "security_and_analysis",
                json!({
                    "secret_scanning": {"status": "enabled"},
                    "secret_scanning_push_protection": {"status": "enabled"},
                    "dependabot_security_updates": {"status": "enabled"},
                    "secret_scanning_non_provider_patterns": {"status": "disabled"},
                    "secret_scanning_validity_checks": {"status": "disabled"},
                }),
            );
            put("network_count", repo.forks_count.into());
            put("subscribers_count", (repo.stargazers_count / 45).into());
        }
        Value::Object(map)
    }

    /// A pull request from the pulls endpoints.
    pub(crate) fn pull(&self, pull: &Pull, view: PullView) -> Value {
        let api = self.repo_api();
        let url = format!("{api}/pulls/{}", pull.number);
        let html = format!("{}/pull/{}", self.repo_web(), pull.number);
        let issue_url = format!("{api}/issues/{}", pull.number);
        let statuses_url = format!("{api}/statuses/{}", pull.head_sha);
        let repo = self.repo(&self.data.repo_info, RepoView::Nested);
        let owner = &self.data.owner;
        let mut map = serde_json::Map::new();
        let mut put = |k: &str, v: Value| {
            map.insert(k.to_string(), v);
        };
        put("url", url.clone().into());
        put("id", pull.id.into());
        put("node_id", self.node_id("PR", pull.id).into());
        put("html_url", html.clone().into());
        put("diff_url", format!("{html}.diff").into());
        put("patch_url", format!("{html}.patch").into());
        put("issue_url", issue_url.clone().into());
        put("number", pull.number.into());
        put("state", pull.state.clone().into());
        put("locked", false.into());
        put("title", pull.title.clone().into());
        put("user", self.user(&pull.user));
        put("body", pull.body.clone().into());
        put("created_at", rfc3339(pull.created_at).into());
        put("updated_at", rfc3339(pull.updated_at).into());
        put("closed_at", pull.closed_at.map(rfc3339).into());
        put("merged_at", pull.merged_at.map(rfc3339).into());
        // GitHub reports a test-merge commit for pulls that are not merged.
        put("merge_commit_sha", pull.merge_commit_sha.clone().unwrap_or_else(|| test_merge_sha(&pull.head_sha)).into());
        put("assignee", pull.assignees.first().map_or(Value::Null, |a| self.user(a)));
        put("assignees", self.users(&pull.assignees));
        put("requested_reviewers", self.users(&pull.requested_reviewers));
        put("requested_teams", json!([]));
        put("labels", self.labels(&pull.labels));
        put("milestone", self.milestone_of(pull.milestone));
        put("draft", pull.draft.into());
        put("commits_url", format!("{url}/commits").into());
        put("review_comments_url", format!("{url}/comments").into());
        put("review_comment_url", format!("{api}/pulls/comments{{/number}}").into());
        put("comments_url", format!("{issue_url}/comments").into());
        put("statuses_url", statuses_url.clone().into());
        put(
            "head",
            json!({
                "label": format!("{owner}:{}", pull.head_ref),
                "ref": pull.head_ref,
                "sha": pull.head_sha,
                "user": self.org(),
                "repo": repo,
            }),
        );
        put(
            "base",
            json!({
                "label": format!("{owner}:{}", pull.base_ref),
                "ref": pull.base_ref,
                "sha": pull.base_sha,
                "user": self.org(),
                "repo": repo,
            }),
        );
        put(
            "_links",
            json!({
                "self": {"href": url},
                "html": {"href": html},
                "issue": {"href": issue_url},
                "comments": {"href": format!("{issue_url}/comments")},
                "review_comments": {"href": format!("{url}/comments")},
                "review_comment": {"href": format!("{api}/pulls/comments{{/number}}")},
                "commits": {"href": format!("{url}/commits")},
                "statuses": {"href": statuses_url},
            }),
        );
        put("author_association", self.association(&pull.user).into());
        put("auto_merge", Value::Null);
        put("active_lock_reason", Value::Null);
        if view == PullView::Single {
            let open = pull.state == "open";
            let conflicted = open && mix(pull.id).is_multiple_of(10);
            let state = if !open {
                "unknown"
            } else if conflicted {
                "dirty"
            } else if pull.draft {
                "draft"
            } else if pull.statuses.iter().any(|s| s.state != "success") {
                "unstable"
            } else if pull.latest_review().is_some_and(|r| r.state == "APPROVED") {
                "clean"
            } else {
                "blocked"
            };
            put("merged", pull.is_merged().into());
            put("mergeable", if open { (!conflicted).into() } else { Value::Null });
            put("rebaseable", if open { (!conflicted).into() } else { Value::Null });
            put("mergeable_state", state.into());
            put("merged_by", pull.merged_by.as_deref().map_or(Value::Null, |l| self.user(l)));
            put("comments", pull.comments.len().into());
            put("review_comments", pull.review_comments.len().into());
            put("maintainer_can_modify", false.into());
            put("commits", pull.commit_count.into());
            put("additions", pull.files.iter().map(|f| f.additions).sum::<u64>().into());
            put("deletions", pull.files.iter().map(|f| f.deletions).sum::<u64>().into());
            put("changed_files", pull.files.len().into());
        }
        Value::Object(map)
    }

    /// A changed file of a commit or pull request whose new version is `commit`.
    pub(crate) fn file(&self, commit: &str, file: &PullFile) -> Value {
        let path = escape_path(&file.filename);
        json!({
            "sha": file.sha,
            "filename": file.filename,
            "status": file.status,
            "additions": file.additions,
            "deletions": file.deletions,
            "changes": file.changes,
            "blob_url": format!("{}/blob/{commit}/{path}", self.repo_web()),
            "raw_url": format!("{}/raw/{commit}/{path}", self.repo_web()),
            "contents_url": format!("{}/contents/{path}?ref={commit}", self.repo_api()),
            "patch": file.patch,
        })
    }

    /// A pull request review.
    pub(crate) fn review(&self, pull: &Pull, review: &Review) -> Value {
        let html = format!("{}/pull/{}#pullrequestreview-{}", self.repo_web(), pull.number, review.id);
        let pull_url = format!("{}/pulls/{}", self.repo_api(), pull.number);
        json!({
            "id": review.id,
            "node_id": self.node_id("PRR", review.id),
            "user": self.user(&review.user),
            "body": review.body,
            "state": review.state,
            "html_url": html,
            "pull_request_url": pull_url,
            "author_association": self.association(&review.user),
            "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
            "submitted_at": rfc3339(review.submitted_at),
            "commit_id": review.commit_id,
        })
    }

    /// An inline review comment.
    pub(crate) fn review_comment(&self, pull: &Pull, c: &ReviewComment) -> Value {
        let url = format!("{}/pulls/comments/{}", self.repo_api(), c.id);
        let html = format!("{}/pull/{}#discussion_r{}", self.repo_web(), pull.number, c.id);
        let pull_url = format!("{}/pulls/{}", self.repo_api(), pull.number);
        json!({
            "url": url,
            "pull_request_review_id": c.review_id,
            "id": c.id,
            "node_id": self.node_id("PRRC", c.id),
            "diff_hunk": c.diff_hunk,
            "path": c.path,
            "commit_id": c.commit_id,
            "original_commit_id": c.commit_id,
            "user": self.user(&c.user),
            "body": c.body,
            "created_at": rfc3339(c.created_at),
            "updated_at": rfc3339(c.updated_at),
            "html_url": html,
            "pull_request_url": pull_url,
            "author_association": self.association(&c.user),
            "_links": {"self": {"href": url}, "html": {"href": html}, "pull_request": {"href": pull_url}},
            "reactions": reactions(&url, c.id, 0),
            "start_line": null,
            "original_start_line": null,
            "start_side": null,
            "line": c.line,
            "original_line": c.line,
            "side": "RIGHT",
            "original_position": c.position,
            "position": c.position,
            "subject_type": "line",
        })
    }

    /// The combined status of `sha` with these statuses.
    pub(crate) fn combined_status(&self, sha: &str, statuses: &[Status]) -> Value {
        let state = combined_state(statuses);
        let api = self.repo_api();
        let items: Vec<Value> = statuses
            .iter()
            .map(|s| {
                json!({
                    "url": format!("{api}/statuses/{sha}"),
                    "avatar_url": "https://avatars.githubusercontent.com/oa/4808451?v=4",
                    "id": s.id,
                    "node_id": self.node_id("SC", s.id),
                    "state": s.state,
                    "description": s.description,
                    "target_url": s.target_url,
                    "context": s.context,
                    "created_at": rfc3339(s.created_at),
                    "updated_at": rfc3339(s.created_at),
                })
            })
            .collect();
        json!({
            "state": state,
            "statuses": items,
            "sha": sha,
            "total_count": statuses.len(),
            "repository": self.repo(&self.data.repo_info, RepoView::Minimal),
            "commit_url": format!("{api}/commits/{sha}"),
            "url": format!("{api}/commits/{sha}/status"),
        })
    }

    /// A commit on `main`, as listed (`detailed` adds `stats` and `files`).
    pub(crate) fn commit(&self, commit: &Commit, detailed: bool) -> Value {
        let api = self.repo_api();
        let sha = &commit.sha;
        let person = |login: &str| {
            let id = self.user_id(login);
            json!({
                "name": self.user_name(login),
                "email": format!("{id}+{login}@users.noreply.github.com"),
                "date": rfc3339(commit.date),
            })
        };
        let (committer, committer_login) = match &commit.committer {
            Some(login) => (person(login), login.as_str()),
            None => {
                (json!({"name": "GitHub", "email": "noreply@github.com", "date": rfc3339(commit.date)}), WEB_FLOW.0)
            }
        };
        let verification = match &commit.committer {
            None => {
                let payload = format!(
                    "tree {}\n{}author {} <{}+{}@users.noreply.github.com> {} +0000\ncommitter GitHub <noreply@github.com> {} +0000\n\n{}",
                    commit.tree_sha,
                    commit.parents.iter().map(|p| format!("parent {p}\n")).collect::<String>(),
                    self.user_name(&commit.author),
                    self.user_id(&commit.author),
                    commit.author,
                    commit.date,
                    commit.date,
                    commit.message
                );
                json!({
                    "verified": true,
                    "reason": "valid",
                    "signature": pgp_signature(sha),
                    "payload": payload,
                    "verified_at": rfc3339(commit.date),
                })
            }
            Some(_) => {
                json!({"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null})
            }
        };
        let mut value = json!({
            "sha": sha,
            "node_id": node_id("C", &[Part::Int(0), Part::Int(self.data.repo_info.id), Part::Str(sha)]),
            "commit": {
                "author": person(&commit.author),
                "committer": committer,
                "message": commit.message,
                "tree": {"sha": commit.tree_sha, "url": format!("{api}/git/trees/{}", commit.tree_sha)},
                "url": format!("{api}/git/commits/{sha}"),
                "comment_count": 0,
                "verification": verification,
            },
            "url": format!("{api}/commits/{sha}"),
            "html_url": format!("{}/commit/{sha}", self.repo_web()),
            "comments_url": format!("{api}/commits/{sha}/comments"),
            "author": self.user(&commit.author),
            "committer": account(committer_login, self.user_id(committer_login), "User"),
            "parents": commit.parents.iter().map(|p| json!({
                "sha": p,
                "url": format!("{api}/commits/{p}"),
                "html_url": format!("{}/commit/{p}", self.repo_web()),
            })).collect::<Vec<_>>(),
        });
        if detailed && let Some(map) = value.as_object_mut() {
            let additions: u64 = commit.files.iter().map(|f| f.additions).sum();
            let deletions: u64 = commit.files.iter().map(|f| f.deletions).sum();
            map.insert(
                "stats".into(),
                json!({"total": additions + deletions, "additions": additions, "deletions": deletions}),
            );
        }
        value
    }

    /// A tag as `GET /repos/{o}/{r}/tags` lists it.
    pub(crate) fn tag(&self, tag: &Tag) -> Value {
        json!({
            "name": tag.name,
            "zipball_url": format!("{}/zipball/refs/tags/{}", self.repo_api(), tag.name),
            "tarball_url": format!("{}/tarball/refs/tags/{}", self.repo_api(), tag.name),
            "commit": {"sha": tag.sha, "url": format!("{}/commits/{}", self.repo_api(), tag.sha)},
            "node_id": node_id("REF", &[Part::Int(0), Part::Int(self.data.repo_info.id), Part::Str(&format!("refs/tags/{}", tag.name))]),
        })
    }

    /// A git reference to a tag (annotated: it points at the tag object).
    pub(crate) fn tag_ref(&self, tag: &Tag) -> Value {
        let name = format!("refs/tags/{}", tag.name);
        json!({
            "ref": name,
            "node_id": node_id("REF", &[Part::Int(0), Part::Int(self.data.repo_info.id), Part::Str(&name)]),
            "url": format!("{}/git/{name}", self.repo_api()),
            "object": {"sha": tag.object_sha, "type": "tag", "url": format!("{}/git/tags/{}", self.repo_api(), tag.object_sha)},
        })
    }

    /// A git reference to a branch head.
    pub(crate) fn branch_ref(&self, branch: &str, sha: &str) -> Value {
        let name = format!("refs/heads/{branch}");
        json!({
            "ref": name,
            "node_id": node_id("REF", &[Part::Int(0), Part::Int(self.data.repo_info.id), Part::Str(&name)]),
            "url": format!("{}/git/{name}", self.repo_api()),
            "object": {"sha": sha, "type": "commit", "url": format!("{}/git/commits/{sha}", self.repo_api())},
        })
    }

    /// An annotated tag object.
    pub(crate) fn tag_object(&self, tag: &Tag) -> Value {
        let tagger = self.data.user(&tag.tagger);
        json!({
            "node_id": node_id("TAG", &[Part::Int(0), Part::Int(self.data.repo_info.id), Part::Str(&tag.object_sha)]),
            "sha": tag.object_sha,
            "url": format!("{}/git/tags/{}", self.repo_api(), tag.object_sha),
            "tagger": {
                "name": self.user_name(&tag.tagger),
                "email": format!("{}+{}@users.noreply.github.com", tagger.map_or(0, |u| u.id), tag.tagger),
                "date": rfc3339(tag.date),
            },
            "object": {"sha": tag.sha, "type": "commit", "url": format!("{}/git/commits/{}", self.repo_api(), tag.sha)},
            "tag": tag.name,
            "message": format!("{}\n", tag.message),
            "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
        })
    }

    /// A branch as `GET /repos/{o}/{r}/branches` lists it.
    pub(crate) fn branch(&self, name: &str, sha: &str, protected: bool) -> Value {
        json!({
            "name": name,
            "commit": {"sha": sha, "url": format!("{}/commits/{sha}", self.repo_api())},
            "protected": protected,
        })
    }

    /// A release.
    pub(crate) fn release(&self, r: &Release) -> Value {
        let url = format!("{}/releases/{}", self.repo_api(), r.id);
        let mentions = r.body.matches("by @").count() + r.body.matches("* @").count();
        let mut value = json!({
            "url": url,
            "assets_url": format!("{url}/assets"),
            "upload_url": format!("https://uploads.github.com/repos/{}/{}/releases/{}/assets{{?name,label}}", self.data.owner, self.data.repo, r.id),
            "html_url": format!("{}/releases/tag/{}", self.repo_web(), r.tag_name),
            "id": r.id,
            "author": self.user(&r.author),
            "node_id": self.node_id("RE", r.id),
            "tag_name": r.tag_name,
            "target_commitish": "main",
            "name": r.name,
            "draft": r.draft,
            "immutable": false,
            "prerelease": r.prerelease,
            "created_at": rfc3339(r.created_at),
            "updated_at": rfc3339(r.published_at),
            "published_at": rfc3339(r.published_at),
            "assets": [],
            "tarball_url": format!("{}/tarball/{}", self.repo_api(), r.tag_name),
            "zipball_url": format!("{}/zipball/{}", self.repo_api(), r.tag_name),
            "body": r.body,
        });
        if let Some(map) = value.as_object_mut() {
            map.insert("reactions".into(), reactions(&url, r.id, 30));
            if mentions > 0 {
                map.insert("mentions_count".into(), mentions.into());
            }
        }
        value
    }
}

/// A `simple-user` object: a user or an organisation.
fn account(login: &str, id: u64, kind: &str) -> Value {
    let url = format!("{API}/users/{login}");
    let legacy = if kind == "Organization" { format!("012:Organization{id}") } else { format!("04:User{id}") };
    json!({
        "login": login,
        "id": id,
        "node_id": STANDARD.encode(legacy),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "",
        "url": url,
        "html_url": format!("{WEB}/{login}"),
        "followers_url": format!("{url}/followers"),
        "following_url": format!("{url}/following{{/other_user}}"),
        "gists_url": format!("{url}/gists{{/gist_id}}"),
        "starred_url": format!("{url}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{url}/subscriptions"),
        "organizations_url": format!("{url}/orgs"),
        "repos_url": format!("{url}/repos"),
        "events_url": format!("{url}/events{{/privacy}}"),
        "received_events_url": format!("{url}/received_events"),
        "type": kind,
        "user_view_type": "public",
        "site_admin": false,
    })
}

/// Reaction counts (`+1`, `-1`, laugh, hooray, confused, heart, rocket, eyes) derived
/// from an object's id: mostly none, more on busy threads.
pub(crate) fn reaction_counts(id: u64, activity: usize) -> [u64; 8] {
    let mut rng = SplitMix64::new(mix(id));
    let busy = activity as u64 / 4;
    let mut count = |p: f64, max: u64| if rng.chance(p) { rng.range(1, max.max(1)) } else { 0 };
    [
        count(0.25 + 0.05 * busy as f64, 2 + busy * 2),
        count(0.02, 1),
        count(0.03, 2),
        count(0.04, 2),
        count(0.04, 1),
        count(0.08, 2 + busy),
        count(0.05, 2),
        count(0.08, 1 + busy),
    ]
}

/// GitHub's `reactions` summary object.
fn reactions(url: &str, id: u64, activity: usize) -> Value {
    let counts = reaction_counts(id, activity);
    json!({
        "url": format!("{url}/reactions"),
        "total_count": counts.iter().sum::<u64>(),
        "+1": counts[0],
        "-1": counts[1],
        "laugh": counts[2],
        "hooray": counts[3],
        "confused": counts[4],
        "heart": counts[5],
        "rocket": counts[6],
        "eyes": counts[7],
    })
}

/// One element of a node id's MessagePack payload.
enum Part<'a> {
    Int(u64),
    Str(&'a str),
}

/// A GitHub node id in its current format: a type prefix, `_`, and the URL-safe
/// base64 of a MessagePack array (`[0, repository id, object id]` for most objects).
fn node_id(prefix: &str, parts: &[Part]) -> String {
    let mut bytes = vec![0x90 | parts.len() as u8];
    for part in parts {
        match part {
            Part::Int(n) if *n < 128 => bytes.push(*n as u8),
            Part::Int(n) if *n <= u64::from(u32::MAX) => {
                bytes.push(0xce);
                bytes.extend_from_slice(&(*n as u32).to_be_bytes());
            }
            Part::Int(n) => {
                bytes.push(0xcf);
                bytes.extend_from_slice(&n.to_be_bytes());
            }
            Part::Str(s) => {
                if s.len() < 32 {
                    bytes.push(0xa0 | s.len() as u8);
                } else {
                    bytes.push(0xda);
                    bytes.extend_from_slice(&(s.len() as u16).to_be_bytes());
                }
                bytes.extend_from_slice(s.as_bytes());
            }
        }
    }
    format!("{prefix}_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The sha GitHub reports as `merge_commit_sha` of an unmerged pull (its test merge).
fn test_merge_sha(head: &str) -> String {
    SplitMix64::new(mix(head.bytes().fold(7, |h, b| mix(h ^ u64::from(b))))).hex(40)
}

/// A GPG signature block of GitHub's web-flow key, shaped like the real ones.
fn pgp_signature(sha: &str) -> String {
    let mut rng = SplitMix64::new(sha.bytes().fold(11, |h, b| mix(h ^ u64::from(b))));
    let bytes: Vec<u8> = (0..280).map(|_| rng.below(256) as u8).collect();
    let body = STANDARD.encode(&bytes);
    let mut out = String::from("-----BEGIN PGP SIGNATURE-----\n\nwsFcBAABCAAQBQJ");
    for (i, chunk) in body.as_bytes().chunks(64).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    out.push_str("\n=");
    out.push_str(&STANDARD.encode(rng.hex(3))[..4]);
    out.push_str("\n-----END PGP SIGNATURE-----\n");
    out
}

/// Percent-encodes one URL path segment (a label name).
pub(crate) fn escape_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a file path, keeping its slashes.
fn escape_path(s: &str) -> String {
    s.split('/').map(escape_segment).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_are_a_prefix_and_url_safe_base64_messagepack_like_githubs() {
        let id = node_id("I", &[Part::Int(0), Part::Int(512_873_664), Part::Int(1_512_345_678)]);
        assert!(id.starts_with("I_kwDO"), "{id}: 0x93 0x00 0xce encode as kwDO");
        let bytes = URL_SAFE_NO_PAD.decode(&id[2..]).expect("base64");
        assert_eq!(bytes[..3], [0x93, 0x00, 0xce]);
        assert_eq!(u32::from_be_bytes([bytes[3], bytes[4], bytes[5], bytes[6]]), 512_873_664);
        assert_eq!(bytes.len(), 12);
        let big = node_id("LA", &[Part::Int(0), Part::Int(1), Part::Int(5_012_000_001)]);
        assert_eq!(URL_SAFE_NO_PAD.decode(&big[3..]).expect("base64")[3], 0xcf, "ids past u32 use uint64");
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let commit = node_id("C", &[Part::Int(0), Part::Str(sha)]);
        assert!(URL_SAFE_NO_PAD.decode(&commit[2..]).expect("base64").ends_with(sha.as_bytes()));
    }

    #[test]
    fn label_names_are_percent_encoded_in_urls() {
        assert_eq!(escape_segment("good first issue"), "good%20first%20issue");
        assert_eq!(escape_path("src/widgets/a b.rs"), "src/widgets/a%20b.rs");
    }

    #[test]
    fn legacy_user_node_ids_are_base64_of_the_type_and_id() {
        let user = account("octocat", 1, "User");
        assert_eq!(user["node_id"], "MDQ6VXNlcjE=");
        assert_eq!(user["following_url"], "https://api.github.com/users/octocat/following{/other_user}");
    }
}
