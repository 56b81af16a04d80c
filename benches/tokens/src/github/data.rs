//! The fake GitHub's data set: one repository (`acme/widgets`) with 10,000 issues,
//! 300 pull requests, 2,000 commits, ten tags and their releases, generated from a
//! seed by [`Data::generate`], the same forever.
//!
//! The benchmark's scenarios compute their expected answers from these structures
//! directly, so every count a scenario relies on is a plain field here; the server
//! ([`super::router`]) only renders them in GitHub's JSON shapes.
//!
//! **Invariants** (checked by the tests below): `issues[i].number == i + 1`;
//! `pulls[i].number == 10_001 + i`; `commits` is one linear history, oldest first,
//! dates strictly increasing; every merged pull's `merge_commit_sha` is a commit
//! dated exactly `merged_at`; an issue's `updated_at` is at or after its creation, its
//! last comment and its closing; no open issue was last updated between 92 and 88
//! days before [`Data::now`], so "stale for 90 days" has one answer however a date
//! qualifier is read; the top twenty comment counts among open `bug` issues are
//! distinct.

use super::rng::SplitMix64;
use super::text::{self, Kind};

pub use super::clock::{BadTimestamp, DAY, date, parse_timestamp, rfc3339};

/// The fixed "now" of the data set: 2026-11-01T00:00:00Z (never the wall clock).
pub const NOW: i64 = super::clock::days_from_civil(2026, 11, 1) * DAY;

/// Number of issues in `acme/widgets`.
pub const ISSUE_COUNT: usize = 10_000;
/// Number of pull requests, numbered after the issues.
pub const PULL_COUNT: usize = 300;
/// The first pull request's number.
pub const FIRST_PULL: u64 = 10_001;
/// Number of commits on `main`.
pub const COMMIT_COUNT: usize = 2_000;
/// Number of release tags (v1.0.0 to v1.9.0).
pub const TAG_COUNT: usize = 10;

const REPO_CREATED: i64 = NOW - 3 * 365 * DAY - 20 * DAY;
const ISSUES_START: i64 = NOW - 3 * 365 * DAY;
const ISSUES_END: i64 = NOW - 2 * DAY;
const PULLS_START: i64 = NOW - 1_080 * DAY;
const PULLS_END: i64 = NOW - DAY;
const COMMITS_START: i64 = REPO_CREATED + DAY;
const COMMITS_END: i64 = NOW - 3 * 3600;
/// Open issues last touched before this are stale; after [`FRESH_FROM`] they are not.
const STALE_BEFORE: i64 = NOW - 92 * DAY;
const FRESH_FROM: i64 = NOW - 88 * DAY;
/// The share of old open issues nobody touched in the last three months.
const P_STALE: f64 = 0.16;

// Independent random streams, one per kind of item.
const S_USERS: u64 = 1;
const S_LABELS: u64 = 2;
const S_ISSUES: u64 = 3;
const S_COMMENTS: u64 = 4;
const S_PULLS: u64 = 5;
const S_COMMITS: u64 = 6;
const S_TAGS: u64 = 7;
const S_IDS: u64 = 8;

/// The whole data set. All fields are public: scenarios compute answers from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Data {
    /// The data set's "now", unix seconds ([`NOW`]).
    pub now: i64,
    /// The organisation owning every repository: `acme`.
    pub owner: String,
    /// The repository holding the issues, pulls and commits: `widgets`.
    pub repo: String,
    /// `acme/widgets` itself (description, stars, dates).
    pub repo_info: Repo,
    /// Everyone who appears in the data, maintainers first.
    pub users: Vec<User>,
    /// The repository's labels.
    pub labels: Vec<Label>,
    /// The repository's milestones.
    pub milestones: Vec<Milestone>,
    /// Issues 1 to 10,000 (`issues[i].number == i + 1`).
    pub issues: Vec<Issue>,
    /// Pull requests 10,001 to 10,300 in creation order.
    pub pulls: Vec<Pull>,
    /// `main`'s history, oldest first.
    pub commits: Vec<Commit>,
    /// Release tags, oldest first.
    pub tags: Vec<Tag>,
    /// One release per tag, oldest first.
    pub releases: Vec<Release>,
    /// acme's other repositories.
    pub other_repos: Vec<Repo>,
    /// The login of the authenticated user (`GET /user`).
    pub viewer: String,
}

/// A GitHub account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login, e.g. `mara-lindqvist`.
    pub login: String,
    /// Account id.
    pub id: u64,
    /// Display name, used as the git author name.
    pub name: String,
    /// Whether this user is a maintainer (member of `acme`).
    pub maintainer: bool,
    /// When the account was created.
    pub created_at: i64,
}

/// A repository label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Label id.
    pub id: u64,
    /// Name, e.g. `good first issue`.
    pub name: String,
    /// Colour as six hex digits, no `#`.
    pub color: String,
    /// Description.
    pub description: String,
    /// Whether GitHub creates this label in every new repository.
    pub default: bool,
}

/// A milestone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// Milestone number (1-based).
    pub number: u64,
    /// Milestone id.
    pub id: u64,
    /// Title, e.g. `v2.0`.
    pub title: String,
    /// Description.
    pub description: String,
    /// `open` or `closed`.
    pub state: String,
    /// Who created it.
    pub creator: String,
    /// When it was created.
    pub created_at: i64,
    /// When it was last changed.
    pub updated_at: i64,
    /// Due date, if any.
    pub due_on: Option<i64>,
    /// When it was closed, if it is.
    pub closed_at: Option<i64>,
}

/// Whether an issue is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueState {
    /// Open.
    Open,
    /// Closed.
    Closed,
}

impl IssueState {
    /// GitHub's REST spelling: `open` or `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueState::Open => "open",
            IssueState::Closed => "closed",
        }
    }
}

/// An issue (not a pull request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Issue number.
    pub number: u64,
    /// Issue id (GraphQL `databaseId`).
    pub id: u64,
    /// Title.
    pub title: String,
    /// Body (Markdown).
    pub body: String,
    /// Open or closed.
    pub state: IssueState,
    /// `completed`, `not_planned` or `reopened`, as GitHub reports it.
    pub state_reason: Option<String>,
    /// Author's login.
    pub user: String,
    /// Assignees' logins.
    pub assignees: Vec<String>,
    /// Label names.
    pub labels: Vec<String>,
    /// Milestone number.
    pub milestone: Option<u64>,
    /// When it was opened.
    pub created_at: i64,
    /// Last activity (a comment, a label, closing).
    pub updated_at: i64,
    /// When it was closed.
    pub closed_at: Option<i64>,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// Comments, oldest first; the comment count is `comments.len()`.
    pub comments: Vec<Comment>,
    /// Whether the conversation is locked.
    pub locked: bool,
}

impl Issue {
    /// Whether the issue is open.
    pub fn is_open(&self) -> bool {
        self.state == IssueState::Open
    }

    /// Whether the issue carries the label `name`.
    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|l| l == name)
    }
}

/// A comment on an issue or on a pull request's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Comment id.
    pub id: u64,
    /// Author's login.
    pub user: String,
    /// Body (Markdown).
    pub body: String,
    /// When it was posted.
    pub created_at: i64,
    /// When it was last edited (equal to `created_at` if never).
    pub updated_at: i64,
}

/// A pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    /// Number (10,001 and up).
    pub number: u64,
    /// Pull request id.
    pub id: u64,
    /// Issue id of the pull request's issue side.
    pub issue_id: u64,
    /// Title.
    pub title: String,
    /// Description.
    pub body: String,
    /// Author's login.
    pub user: String,
    /// `open` or `closed` (merged pulls are closed).
    pub state: String,
    /// Whether it is a draft.
    pub draft: bool,
    /// Label names.
    pub labels: Vec<String>,
    /// Assignees' logins.
    pub assignees: Vec<String>,
    /// Milestone number.
    pub milestone: Option<u64>,
    /// When it was opened.
    pub created_at: i64,
    /// Last activity.
    pub updated_at: i64,
    /// When it was closed or merged.
    pub closed_at: Option<i64>,
    /// When it was merged.
    pub merged_at: Option<i64>,
    /// The merge commit on `main`, for merged pulls.
    pub merge_commit_sha: Option<String>,
    /// Who merged it.
    pub merged_by: Option<String>,
    /// Head branch (in `acme/widgets`).
    pub head_ref: String,
    /// Head commit.
    pub head_sha: String,
    /// Base branch: `main`.
    pub base_ref: String,
    /// `main`'s commit when the pull was opened.
    pub base_sha: String,
    /// Number of commits on the head branch.
    pub commit_count: u64,
    /// Files changed.
    pub files: Vec<PullFile>,
    /// Reviews, oldest first.
    pub reviews: Vec<Review>,
    /// Inline review comments, oldest first.
    pub review_comments: Vec<ReviewComment>,
    /// Commit statuses of the head commit.
    pub statuses: Vec<Status>,
    /// Logins of reviewers asked for a review who have not given one.
    pub requested_reviewers: Vec<String>,
    /// Conversation comments.
    pub comments: Vec<Comment>,
}

impl Pull {
    /// Whether it was merged.
    pub fn is_merged(&self) -> bool {
        self.merged_at.is_some()
    }

    /// The most recent review, if any.
    pub fn latest_review(&self) -> Option<&Review> {
        self.reviews.iter().max_by_key(|r| r.submitted_at)
    }
}

/// A file changed by a pull request or a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullFile {
    /// Blob id of the new version.
    pub sha: String,
    /// Path.
    pub filename: String,
    /// `added`, `modified` or `removed`.
    pub status: String,
    /// Lines added.
    pub additions: u64,
    /// Lines removed.
    pub deletions: u64,
    /// `additions + deletions`.
    pub changes: u64,
    /// Unified diff hunks.
    pub patch: String,
}

/// A pull request review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// Review id.
    pub id: u64,
    /// Reviewer's login.
    pub user: String,
    /// `APPROVED`, `CHANGES_REQUESTED` or `COMMENTED`.
    pub state: String,
    /// Review summary (may be empty).
    pub body: String,
    /// When it was submitted.
    pub submitted_at: i64,
    /// The commit reviewed.
    pub commit_id: String,
}

/// An inline comment on a pull request's diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewComment {
    /// Comment id.
    pub id: u64,
    /// The review it belongs to.
    pub review_id: u64,
    /// Author's login.
    pub user: String,
    /// Body.
    pub body: String,
    /// File commented on.
    pub path: String,
    /// Line in the new version of the file.
    pub line: u64,
    /// Index of the line in the file's patch (1 = first line after the first `@@`).
    pub position: u64,
    /// The patch from its hunk header to the commented line.
    pub diff_hunk: String,
    /// The commit commented on.
    pub commit_id: String,
    /// When it was posted.
    pub created_at: i64,
    /// When it was last edited.
    pub updated_at: i64,
}

/// A commit status (a CI context's result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Status id.
    pub id: u64,
    /// Context, e.g. `ci/test`.
    pub context: String,
    /// `success`, `failure` or `pending`.
    pub state: String,
    /// Short description.
    pub description: String,
    /// Link to the CI run.
    pub target_url: String,
    /// When it was reported.
    pub created_at: i64,
}

/// GitHub's combined state of a commit's statuses: `failure` if any failed or errored,
/// `pending` if there are none or any is pending, else `success`.
pub fn combined_state(statuses: &[Status]) -> &'static str {
    if statuses.iter().any(|s| matches!(s.state.as_str(), "failure" | "error")) {
        "failure"
    } else if statuses.is_empty() || statuses.iter().any(|s| s.state == "pending") {
        "pending"
    } else {
        "success"
    }
}

/// A commit on `main`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// Commit id (40 hex digits).
    pub sha: String,
    /// Tree id.
    pub tree_sha: String,
    /// Full message (subject, blank line, body).
    pub message: String,
    /// Author's login.
    pub author: String,
    /// Committer's login; `None` for merges made on GitHub (committed by `web-flow`).
    pub committer: Option<String>,
    /// Author and commit date.
    pub date: i64,
    /// Parent commits (one, or none for the root).
    pub parents: Vec<String>,
    /// Files changed.
    pub files: Vec<PullFile>,
    /// The pull request this commit merged, if it is a merge commit.
    pub pull: Option<u64>,
}

/// An annotated release tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Tag name, e.g. `v1.3.0`.
    pub name: String,
    /// The tagged commit.
    pub sha: String,
    /// The annotated tag object's id.
    pub object_sha: String,
    /// Tag message.
    pub message: String,
    /// Tagger's login.
    pub tagger: String,
    /// When it was tagged.
    pub date: i64,
}

/// A GitHub release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Release id.
    pub id: u64,
    /// Its tag.
    pub tag_name: String,
    /// Title.
    pub name: String,
    /// Release notes (GitHub's generated "What's Changed" list).
    pub body: String,
    /// Whether it is a draft.
    pub draft: bool,
    /// Whether it is a pre-release.
    pub prerelease: bool,
    /// Who published it.
    pub author: String,
    /// The tagged commit's date.
    pub created_at: i64,
    /// When it was published.
    pub published_at: i64,
}

/// A repository of `acme`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// Repository id.
    pub id: u64,
    /// Name, e.g. `widgets`.
    pub name: String,
    /// Description.
    pub description: String,
    /// Main language, if any.
    pub language: Option<String>,
    /// Topics.
    pub topics: Vec<String>,
    /// Homepage, if any.
    pub homepage: Option<String>,
    /// Stars.
    pub stargazers_count: u64,
    /// Forks.
    pub forks_count: u64,
    /// Open issues plus open pull requests.
    pub open_issues_count: u64,
    /// Size in KB.
    pub size: u64,
    /// SPDX id of the license, if any.
    pub license: Option<String>,
    /// When it was created.
    pub created_at: i64,
    /// Last change to the repository's settings or metadata.
    pub updated_at: i64,
    /// Last push.
    pub pushed_at: i64,
    /// Default branch.
    pub default_branch: String,
}

impl Data {
    /// Generates the data set for `seed`; the same seed always gives the same data.
    pub fn generate(seed: u64) -> Data {
        let users = gen_users(seed);
        let labels = gen_labels(seed);
        let milestones = gen_milestones(&users);
        let (mut issues, issue_topics) = gen_issues(seed, &users);
        let (mut pulls, pull_topics) = gen_pulls(seed, &users, &issues);
        gen_comments(seed, &users, (&mut issues, &issue_topics), (&mut pulls, &pull_topics));
        let mut commits = gen_commits(seed, &users, &issues, &mut pulls);
        let tags = gen_tags(seed, &users, &mut commits);
        let releases = gen_releases(seed, &tags, &commits, &pulls);
        let open_count =
            issues.iter().filter(|i| i.is_open()).count() + pulls.iter().filter(|p| p.state == "open").count();
        let last_push = commits.last().map_or(NOW, |c| c.date);
        let repo_info = Repo {
            id: 512_873_664,
            name: "widgets".into(),
            description: "A cross-platform GUI toolkit for Rust: widgets, layout, theming and accessibility".into(),
            language: Some("Rust".into()),
            topics: ["accessibility", "gui", "rust", "ui", "wgpu", "widgets"].map(String::from).to_vec(),
            homepage: Some("https://widgets.acme.dev".into()),
            stargazers_count: 14_203,
            forks_count: 1_187,
            open_issues_count: open_count as u64,
            size: 48_391,
            license: Some("MIT".into()),
            created_at: REPO_CREATED,
            updated_at: NOW - 5 * 3600,
            pushed_at: last_push,
            default_branch: "main".into(),
        };
        Data {
            now: NOW,
            owner: "acme".into(),
            repo: "widgets".into(),
            repo_info,
            viewer: users[0].login.clone(),
            other_repos: other_repos(),
            users,
            labels,
            milestones,
            issues,
            pulls,
            commits,
            tags,
            releases,
        }
    }

    /// The issue with this number (not a pull request).
    pub fn issue(&self, number: u64) -> Option<&Issue> {
        let i = usize::try_from(number.checked_sub(1)?).ok()?;
        self.issues.get(i).filter(|issue| issue.number == number)
    }

    /// The pull request with this number.
    pub fn pull(&self, number: u64) -> Option<&Pull> {
        let i = usize::try_from(number.checked_sub(FIRST_PULL)?).ok()?;
        self.pulls.get(i).filter(|pull| pull.number == number)
    }

    /// The commit on `main` with this full sha.
    pub fn commit(&self, sha: &str) -> Option<&Commit> {
        self.commits.iter().find(|c| c.sha == sha)
    }

    /// The tag with this name.
    pub fn tag(&self, name: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.name == name)
    }

    /// The user with this login.
    pub fn user(&self, login: &str) -> Option<&User> {
        self.users.iter().find(|u| u.login == login)
    }

    /// The label with this name.
    pub fn label(&self, name: &str) -> Option<&Label> {
        self.labels.iter().find(|l| l.name == name)
    }

    /// The milestone with this number.
    pub fn milestone(&self, number: u64) -> Option<&Milestone> {
        self.milestones.iter().find(|m| m.number == number)
    }
}

fn gen_users(seed: u64) -> Vec<User> {
    let mut rng = SplitMix64::derive(seed, S_USERS, 0);
    let mut users: Vec<User> = Vec::with_capacity(text::PEOPLE.len());
    for (i, &(login, name)) in text::PEOPLE.iter().enumerate() {
        let mut id = rng.range(1_000_000, 160_000_000);
        while users.iter().any(|u| u.id == id) {
            id += 1;
        }
        users.push(User {
            login: login.into(),
            id,
            name: name.into(),
            maintainer: i < text::MAINTAINERS,
            created_at: super::clock::days_from_civil(2011, 1, 1) * DAY + rng.range_i64(0, 12 * 365 * DAY),
        });
    }
    users
}

fn gen_labels(seed: u64) -> Vec<Label> {
    let mut rng = SplitMix64::derive(seed, S_LABELS, 0);
    let mut id = 5_012_000_000;
    text::LABELS
        .iter()
        .map(|&(name, color, description, default)| {
            id += rng.range(1, 90_000);
            Label { id, name: name.into(), color: color.into(), description: description.into(), default }
        })
        .collect()
}

/// Milestones: two closed releases, two open ones, a backlog and a theme.
fn gen_milestones(users: &[User]) -> Vec<Milestone> {
    let milestone =
        |number: u64, title: &str, description: &str, created_at: i64, due_on, closed_at: Option<i64>| Milestone {
            number,
            id: 9_871_204 + number * 104_729,
            title: title.into(),
            description: description.into(),
            state: if closed_at.is_some() { "closed" } else { "open" }.into(),
            creator: users[number as usize % 4].login.clone(),
            created_at,
            updated_at: closed_at.unwrap_or(created_at + 30 * DAY),
            due_on,
            closed_at,
        };
    vec![
        milestone(
            1,
            "v1.8",
            "Layout cache and HiDPI fixes",
            NOW - 400 * DAY,
            Some(NOW - 200 * DAY),
            Some(NOW - 195 * DAY),
        ),
        milestone(
            2,
            "v1.9",
            "Accessibility tree and Wayland clipboard",
            NOW - 250 * DAY,
            Some(NOW - 60 * DAY),
            Some(NOW - 58 * DAY),
        ),
        milestone(3, "v1.10", "Next minor release", NOW - 100 * DAY, Some(NOW + 45 * DAY), None),
        milestone(
            4,
            "v2.0",
            "Breaking changes: new event model and theme format",
            NOW - 300 * DAY,
            Some(NOW + 150 * DAY),
            None,
        ),
        milestone(5, "Backlog", "Accepted, not scheduled", REPO_CREATED + 10 * DAY, None, None),
        milestone(
            6,
            "Accessibility audit",
            "Findings from the external accessibility audit",
            NOW - 500 * DAY,
            None,
            None,
        ),
    ]
}

fn maintainer(rng: &mut SplitMix64, users: &[User]) -> String {
    users[rng.below(text::MAINTAINERS as u64) as usize].login.clone()
}

fn maintainer_other_than(rng: &mut SplitMix64, users: &[User], not: &str) -> String {
    loop {
        let m = maintainer(rng, users);
        if m != not {
            return m;
        }
    }
}

fn anyone(rng: &mut SplitMix64, users: &[User]) -> String {
    users[rng.below(users.len() as u64) as usize].login.clone()
}

fn contributor(rng: &mut SplitMix64, users: &[User]) -> String {
    users[text::MAINTAINERS + rng.below((users.len() - text::MAINTAINERS) as u64) as usize].login.clone()
}

/// `start + wait`, or a time between a minute after `start` and `latest` when that
/// would be later (`start` is well before `latest`).
fn until(rng: &mut SplitMix64, start: i64, wait: i64, latest: i64) -> i64 {
    if start + wait <= latest { start + wait } else { rng.range_i64((start + 60).min(latest), latest) }
}

/// A duration skewed towards short: `lo + (hi - lo) * x^3` for uniform `x`.
fn skewed(rng: &mut SplitMix64, lo: i64, hi: i64) -> i64 {
    let x = rng.unit();
    lo + ((hi - lo) as f64 * x * x * x) as i64
}

const ISSUE_KINDS: [Kind; 9] = [
    Kind::Bug,
    Kind::Enhancement,
    Kind::Docs,
    Kind::Question,
    Kind::Performance,
    Kind::Ci,
    Kind::Security,
    Kind::Refactor,
    Kind::Dependencies,
];
const ISSUE_KIND_WEIGHTS: [u32; 9] = [30, 25, 10, 10, 7, 5, 3, 5, 5];

/// Issues without their comments (pass 1) and what each is about; comment counts
/// are kept in `comments` as placeholders and filled by [`gen_comments`].
fn gen_issues(seed: u64, users: &[User]) -> (Vec<Issue>, Vec<text::Topic>) {
    let slot = (ISSUES_END - ISSUES_START) / ISSUE_COUNT as i64;
    let mut ids = SplitMix64::derive(seed, S_IDS, 1);
    let mut id = 1_512_000_000u64;
    let mut issues = Vec::with_capacity(ISSUE_COUNT);
    let mut topics = Vec::with_capacity(ISSUE_COUNT);
    for i in 0..ISSUE_COUNT {
        let mut rng = SplitMix64::derive(seed, S_ISSUES, i as u64);
        id += ids.range(50_000, 250_000);
        let number = i as u64 + 1;
        let created_at = ISSUES_START + i as i64 * slot + rng.below(slot as u64) as i64;
        let kind = ISSUE_KINDS[rng.weighted(&ISSUE_KIND_WEIGHTS)];
        let frac = i as f64 / ISSUE_COUNT as f64;
        let open = rng.chance(0.25 + 0.30 * frac);
        let user = if rng.chance(0.2) { maintainer(&mut rng, users) } else { contributor(&mut rng, users) };

        let tail = if kind == Kind::Bug { 0.13 } else { 0.06 };
        let comment_count = if rng.chance(tail) {
            // x^6: most of the tail just above ten, a few threads far longer.
            let x = rng.unit();
            let x3 = x * x * x;
            11 + (49.0 * x3 * x3) as u64
        } else {
            rng.weighted(&[22, 20, 16, 13, 10, 8, 6, 2, 1, 1, 1]) as u64
        };

        let (updated_at, closed_at, state_reason) = if open {
            let updated = if created_at < STALE_BEFORE - DAY && rng.chance(P_STALE) {
                created_at + rng.below((STALE_BEFORE - created_at) as u64) as i64
            } else {
                rng.range_i64(created_at.max(FRESH_FROM), NOW - 3600)
            };
            (updated, None, if rng.chance(0.02) { Some("reopened".to_string()) } else { None })
        } else {
            let wait = skewed(&mut rng, 3600, 400 * DAY);
            let closed = until(&mut rng, created_at, wait, NOW - 3600);
            let later = if rng.chance(0.15) { rng.range_i64(0, 30 * DAY) } else { rng.range_i64(0, 600) };
            let not_planned = rng.chance(if kind == Kind::Question { 0.5 } else { 0.12 });
            let reason = if not_planned { "not_planned" } else { "completed" };
            ((closed + later).min(NOW - 60), Some(closed), Some(reason.to_string()))
        };

        let mut labels: Vec<String> = Vec::new();
        if kind == Kind::Bug || rng.chance(0.8) {
            labels.push(kind.label().to_string());
        }
        let extras: &[&str] = if open {
            &["good first issue", "needs triage", "performance", "security", "documentation"]
        } else if state_reason.as_deref() == Some("not_planned") {
            &["duplicate", "wontfix", "question"]
        } else {
            &["good first issue", "performance", "security", "documentation", "refactor"]
        };
        for _ in 0..rng.weighted(&[55, 30, 15]) {
            let extra = rng.pick(extras);
            if !labels.iter().any(|l| l == extra) && labels.len() < 3 {
                labels.push(extra.to_string());
            }
        }

        let mut assignees = Vec::new();
        for _ in 0..rng.weighted(&[35, 50, 15]) {
            let m = maintainer(&mut rng, users);
            if !assignees.contains(&m) {
                assignees.push(m);
            }
        }

        let milestone = if open {
            if rng.chance(0.3) { Some([3, 4, 5, 6][rng.weighted(&[3, 3, 5, 2])]) } else { None }
        } else {
            let closed = closed_at.unwrap_or(created_at);
            if closed > NOW - 400 * DAY && closed <= NOW - 195 * DAY && rng.chance(0.5) {
                Some(1)
            } else if closed > NOW - 250 * DAY && closed <= NOW - 58 * DAY && rng.chance(0.5) {
                Some(2)
            } else {
                None
            }
        };

        let topic = text::topic(&mut rng);
        topics.push(topic);
        let title = text::issue_title(&mut rng, kind, topic);
        let body = text::issue_body(&mut rng, kind, &title, topic);
        let closed_by = closed_at.map(|_| if rng.chance(0.8) { maintainer(&mut rng, users) } else { user.clone() });
        let locked = !open && rng.chance(0.01);
        issues.push(Issue {
            number,
            id,
            title,
            body,
            state: if open { IssueState::Open } else { IssueState::Closed },
            state_reason,
            user,
            assignees,
            labels,
            milestone,
            created_at,
            updated_at,
            closed_at,
            closed_by,
            comments: placeholder_comments(comment_count),
            locked,
        });
    }
    make_top_open_bug_counts_distinct(&mut issues);
    (issues, topics)
}

fn placeholder_comments(n: u64) -> Vec<Comment> {
    let empty = Comment { id: 0, user: String::new(), body: String::new(), created_at: 0, updated_at: 0 };
    vec![empty; n as usize]
}

/// Lowers tied counts so that the twenty most-commented open bugs have distinct
/// counts and the twenty-first has fewer than the twentieth: "the ten most
/// commented" then has exactly one answer.
fn make_top_open_bug_counts_distinct(issues: &mut [Issue]) {
    let mut open_bugs: Vec<usize> =
        (0..issues.len()).filter(|&i| issues[i].is_open() && issues[i].has_label("bug")).collect();
    open_bugs.sort_by_key(|&i| (std::cmp::Reverse(issues[i].comments.len()), i));
    let mut ceiling = usize::MAX;
    for (rank, &i) in open_bugs.iter().enumerate() {
        let count = issues[i].comments.len();
        if rank < 20 {
            let count = count.min(ceiling);
            issues[i].comments.truncate(count);
            ceiling = count.saturating_sub(1);
        } else if count > ceiling {
            issues[i].comments.truncate(ceiling);
        } else {
            break;
        }
    }
}

const PULL_KINDS: [Kind; 8] = [
    Kind::Bug,
    Kind::Enhancement,
    Kind::Docs,
    Kind::Performance,
    Kind::Refactor,
    Kind::Ci,
    Kind::Dependencies,
    Kind::Security,
];
const PULL_KIND_WEIGHTS: [u32; 8] = [35, 22, 10, 8, 8, 6, 8, 3];

/// Pull requests and what each is about (pass 1: no conversation comments yet, no
/// base sha, merge shas filled in by [`gen_commits`]).
fn gen_pulls(seed: u64, users: &[User], issues: &[Issue]) -> (Vec<Pull>, Vec<text::Topic>) {
    let slot = (PULLS_END - PULLS_START) / PULL_COUNT as i64;
    let mut ids = SplitMix64::derive(seed, S_IDS, 2);
    let (mut pull_id, mut issue_id, mut review_id, mut comment_id, mut status_id) =
        (1_731_000_000u64, 2_400_000_000u64, 1_960_000_000u64, 1_540_000_000u64, 31_000_000_000u64);
    let mut used_merge_times = std::collections::BTreeSet::new();
    let mut pulls = Vec::with_capacity(PULL_COUNT);
    let mut topics = Vec::with_capacity(PULL_COUNT);
    for i in 0..PULL_COUNT {
        let mut rng = SplitMix64::derive(seed, S_PULLS, i as u64);
        pull_id += ids.range(400_000, 9_000_000);
        issue_id += ids.range(400_000, 9_000_000);
        let number = FIRST_PULL + i as u64;
        let created_at = PULLS_START + i as i64 * slot + rng.below(slot as u64) as i64;
        let kind = PULL_KINDS[rng.weighted(&PULL_KIND_WEIGHTS)];
        let x = i as f64 / (PULL_COUNT - 1) as f64;
        let p_open = 0.05 + 0.45 * x * x;
        let roll = rng.unit();
        let (open, merged) = (roll < p_open, roll >= p_open + 0.10);
        let user = if rng.chance(0.5) { maintainer(&mut rng, users) } else { contributor(&mut rng, users) };
        let topic = text::topic(&mut rng);
        topics.push(topic);
        let title = text::pull_title(&mut rng, kind, topic);
        let fixes = if kind == Kind::Bug && rng.chance(0.7) { fixed_issue(&mut rng, issues, created_at) } else { None };
        let body = text::pull_body(&mut rng, kind, &title, fixes);
        let mut labels = Vec::new();
        match rng.weighted(&[85, 10, 5]) {
            0 => labels.push(kind.label().to_string()),
            1 => {
                labels.push(kind.label().to_string());
                let second =
                    rng.pick(&["performance", "security", "refactor", "documentation", "ci", "good first issue"]);
                if second != kind.label() {
                    labels.push(second.to_string());
                }
            }
            _ => {}
        }
        let head_ref = text::branch_name(kind, &title, number);
        let head_sha = rng.hex(40);

        let mut files: Vec<PullFile> = Vec::new();
        let file_count = 1 + (14.0 * rng.unit() * rng.unit()) as usize;
        for _ in 0..file_count * 3 {
            if files.len() == file_count {
                break;
            }
            let path = text::changed_path(&mut rng, kind, topic, files.is_empty());
            if files.iter().any(|f| f.filename == path) {
                continue;
            }
            files.push(pull_file(&mut rng, path, topic));
        }

        let (closed_at, merged_at) = if open {
            (None, None)
        } else if merged {
            let wait = skewed(&mut rng, 1800, 20 * DAY);
            let mut t = until(&mut rng, created_at, wait, NOW - 7200) & !1;
            while !used_merge_times.insert(t) {
                t += 2;
            }
            (Some(t), Some(t))
        } else {
            let wait = skewed(&mut rng, 3600, 60 * DAY);
            (Some(until(&mut rng, created_at, wait, NOW - 3600)), None)
        };
        let end = closed_at.unwrap_or(NOW - 3600);
        let draft = open && rng.chance(0.15);

        // Reviews: merged pulls end approved (most of them); open ones vary.
        let outcome = if merged {
            if rng.chance(0.9) { Some("APPROVED") } else { None }
        } else if draft {
            if rng.chance(0.3) { Some("COMMENTED") } else { None }
        } else if open {
            [None, Some("APPROVED"), Some("CHANGES_REQUESTED"), Some("COMMENTED")][rng.weighted(&[30, 30, 20, 20])]
        } else {
            [None, Some("APPROVED"), Some("CHANGES_REQUESTED")][rng.weighted(&[50, 20, 30])]
        };
        let mut reviews = Vec::new();
        let mut review_comments = Vec::new();
        if let Some(last_state) = outcome {
            let n = rng.range(1, 3) as i64;
            let span = (end - created_at).max(n + 1);
            for k in 0..n {
                review_id += ids.range(100_000, 3_000_000);
                let state = if k == n - 1 {
                    last_state
                } else if rng.chance(0.5) {
                    "CHANGES_REQUESTED"
                } else {
                    "COMMENTED"
                };
                let submitted_at = created_at + span * (k + 1) / (n + 1);
                let reviewer = maintainer_other_than(&mut rng, users, &user);
                if state != "APPROVED" && rng.chance(0.7) {
                    let commentable: Vec<&PullFile> = files.iter().filter(|f| f.status != "removed").collect();
                    for _ in 0..rng.range(1, 3) {
                        if commentable.is_empty() {
                            break;
                        }
                        let file = commentable[rng.below(commentable.len() as u64) as usize];
                        comment_id += ids.range(50_000, 2_000_000);
                        let (line, position, diff_hunk) = comment_anchor(&mut rng, &file.patch);
                        review_comments.push(ReviewComment {
                            id: comment_id,
                            review_id,
                            user: reviewer.clone(),
                            body: text::review_comment_body(&mut rng),
                            path: file.filename.clone(),
                            line,
                            position,
                            diff_hunk,
                            commit_id: head_sha.clone(),
                            created_at: submitted_at,
                            updated_at: submitted_at,
                        });
                    }
                }
                reviews.push(Review {
                    id: review_id,
                    body: text::review_body(&mut rng, state),
                    user: reviewer,
                    state: state.to_string(),
                    submitted_at,
                    commit_id: head_sha.clone(),
                });
            }
        }

        let mut statuses = Vec::new();
        let mut contexts = vec!["ci/build", "ci/test", "ci/lint"];
        if rng.chance(0.5) {
            contexts.push("codecov/patch");
        }
        let outcome_roll = if merged { 0 } else { rng.weighted(&[70, 18, 12]) };
        let odd_one = rng.below(contexts.len() as u64) as usize;
        let checks_at = (created_at + rng.range_i64(300, 1800)).min(end);
        for (k, context) in contexts.iter().enumerate() {
            status_id += ids.range(1_000, 900_000);
            let state = match (outcome_roll, k == odd_one) {
                (1, true) => "failure",
                (2, true) => "pending",
                _ => "success",
            };
            statuses.push(Status {
                id: status_id,
                context: context.to_string(),
                state: state.to_string(),
                description: status_description(&mut rng, context, state),
                target_url: format!("https://ci.acme.dev/widgets/builds/{}", 40_000 + i * 7 + k),
                created_at: checks_at + k as i64 * 47,
            });
        }

        let requested_reviewers = if open && !draft && reviews.is_empty() {
            let mut r = vec![maintainer_other_than(&mut rng, users, &user)];
            if rng.chance(0.4) {
                let second = maintainer_other_than(&mut rng, users, &user);
                if second != r[0] {
                    r.push(second);
                }
            }
            r
        } else {
            Vec::new()
        };
        let assignees = if rng.chance(0.5) {
            vec![if users.iter().any(|u| u.login == user && u.maintainer) {
                user.clone()
            } else {
                maintainer(&mut rng, users)
            }]
        } else {
            Vec::new()
        };
        let milestone = if open && rng.chance(0.25) { Some(if rng.chance(0.6) { 3 } else { 4 }) } else { None };
        let merged_by = merged.then(|| maintainer(&mut rng, users));
        let last_activity = reviews
            .iter()
            .map(|r| r.submitted_at)
            .chain(statuses.iter().map(|s| s.created_at))
            .max()
            .unwrap_or(created_at);
        let updated_at = match closed_at {
            Some(c) => (c + rng.range_i64(0, 300)).min(NOW - 60),
            None => last_activity.max(created_at + rng.range_i64(0, (NOW - 3600 - created_at).min(3 * DAY))),
        };
        pulls.push(Pull {
            number,
            id: pull_id,
            issue_id,
            title,
            body,
            user,
            state: if open { "open" } else { "closed" }.into(),
            draft,
            labels,
            assignees,
            milestone,
            created_at,
            updated_at,
            closed_at,
            merged_at,
            merge_commit_sha: None,
            merged_by,
            head_ref,
            head_sha,
            base_ref: "main".into(),
            base_sha: String::new(),
            commit_count: rng.range(1, 8),
            files,
            reviews,
            review_comments,
            statuses,
            requested_reviewers,
            comments: placeholder_comments(rng.weighted(&[40, 30, 15, 10, 5]) as u64),
        });
    }
    (pulls, topics)
}

fn pull_file(rng: &mut SplitMix64, path: &str, topic: text::Topic) -> PullFile {
    let (status, additions, deletions, patch) = text::patch(rng, path, topic);
    PullFile {
        sha: rng.hex(40),
        filename: path.to_string(),
        status: status.to_string(),
        additions,
        deletions,
        changes: additions + deletions,
        patch,
    }
}

/// A closed bug created before `before` (a plausible "Fixes #N").
fn fixed_issue(rng: &mut SplitMix64, issues: &[Issue], before: i64) -> Option<u64> {
    let candidates = issues.partition_point(|i| i.created_at < before);
    if candidates == 0 {
        return None;
    }
    let start = rng.below(candidates as u64) as usize;
    issues[..=start].iter().rev().find(|i| !i.is_open() && i.has_label("bug")).map(|i| i.number)
}

/// Where an inline comment sits in a patch: `(line in the new file, position in the
/// patch, diff hunk up to that line)`, on an added or context line of the first hunk.
fn comment_anchor(rng: &mut SplitMix64, patch: &str) -> (u64, u64, String) {
    let mut lines = patch.lines();
    let header = lines.next().unwrap_or("@@ -1,1 +1,1 @@");
    let new_start: u64 = header
        .split(' ')
        .find_map(|part| part.strip_prefix('+'))
        .and_then(|range| range.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .max(1);
    let body: Vec<&str> = lines.take_while(|l| !l.starts_with("@@")).collect();
    let anchors: Vec<usize> = (0..body.len()).filter(|&k| !body[k].starts_with('-')).collect();
    let k = if anchors.is_empty() { 0 } else { anchors[rng.below(anchors.len() as u64) as usize] };
    let line = new_start + body[..k].iter().filter(|l| !l.starts_with('-')).count() as u64;
    let mut hunk = header.to_string();
    for l in body.iter().take(k + 1) {
        hunk.push('\n');
        hunk.push_str(l);
    }
    (line, k as u64 + 1, hunk)
}

fn status_description(rng: &mut SplitMix64, context: &str, state: &str) -> String {
    match (context, state) {
        (_, "pending") => "Waiting for a runner".into(),
        ("ci/build", "success") => format!("Build succeeded in {}m {}s", rng.range(3, 9), rng.below(60)),
        ("ci/build", _) => "Build failed".into(),
        ("ci/test", "success") => format!("All {} tests passed", rng.range(1_200, 1_450)),
        ("ci/test", _) => format!("{} tests failed", rng.range(1, 6)),
        ("ci/lint", "success") => "No clippy warnings".into(),
        ("ci/lint", _) => format!("clippy found {} warnings", rng.range(1, 9)),
        (_, "success") => {
            format!("{}.{:02}% (+0.{:02}%) compared to main", rng.range(81, 88), rng.below(100), rng.below(100))
        }
        _ => format!("{}.{:02}% (-1.{:02}%) compared to main", rng.range(78, 84), rng.below(100), rng.below(100)),
    }
}

/// Fills in comments on issues and pull requests (pass 2), once every count is final.
fn gen_comments(
    seed: u64,
    users: &[User],
    (issues, issue_topics): (&mut [Issue], &[text::Topic]),
    (pulls, pull_topics): (&mut [Pull], &[text::Topic]),
) {
    // Bodies and times first; ids afterwards, increasing with time across the repository.
    let mut all: Vec<(i64, usize, usize)> = Vec::new();
    let last_pull = pulls.last().map_or(FIRST_PULL, |p| p.number);
    for (i, issue) in issues.iter_mut().enumerate() {
        let mut rng = SplitMix64::derive(seed, S_COMMENTS, issue.number);
        let lo = (issue.created_at + 60).min(issue.updated_at);
        let thread = Thread { topic: issue_topics[i], author: &issue.user, number: issue.number, pull: last_pull };
        fill_comments(&mut rng, users, &mut issue.comments, &thread, lo, issue.updated_at);
        all.extend(issue.comments.iter().enumerate().map(|(k, c)| (c.created_at, i, k)));
    }
    for (p, pull) in pulls.iter_mut().enumerate() {
        let mut rng = SplitMix64::derive(seed, S_COMMENTS, pull.number);
        let lo = (pull.created_at + 60).min(pull.updated_at);
        let thread = Thread { topic: pull_topics[p], author: &pull.user, number: pull.number, pull: pull.number };
        fill_comments(&mut rng, users, &mut pull.comments, &thread, lo, pull.updated_at);
        all.extend(pull.comments.iter().enumerate().map(|(k, c)| (c.created_at, issues.len() + p, k)));
    }
    all.sort_unstable();
    let mut ids = SplitMix64::derive(seed, S_IDS, 3);
    let mut id = 1_850_000_000u64;
    for (_, owner, k) in all {
        id += ids.range(1_000, 60_000);
        if owner < issues.len() {
            issues[owner].comments[k].id = id;
        } else {
            pulls[owner - issues.len()].comments[k].id = id;
        }
    }
}

/// What the comments of one issue or pull request are about.
struct Thread<'a> {
    topic: text::Topic,
    author: &'a str,
    number: u64,
    /// A pull request a comment may point at as the fix.
    pull: u64,
}

/// Writes `comments` (already sized) at times between `lo` and `hi`, the last often at `hi`.
fn fill_comments(rng: &mut SplitMix64, users: &[User], comments: &mut [Comment], thread: &Thread, lo: i64, hi: i64) {
    let author = thread.author;
    let n = comments.len();
    if n == 0 {
        return;
    }
    let mut times: Vec<i64> = (0..n).map(|_| rng.range_i64(lo, hi)).collect();
    times.sort_unstable();
    if rng.chance(0.7) {
        times[n - 1] = hi;
    }
    for (k, comment) in comments.iter_mut().enumerate() {
        let user = match rng.weighted(&[40, 15, 45]) {
            0 => maintainer(rng, users),
            1 => author.to_string(),
            _ => anyone(rng, users),
        };
        let other = if user == author { maintainer(rng, users) } else { author.to_string() };
        let created_at = times[k];
        let updated_at = if rng.chance(0.1) { (created_at + rng.range_i64(30, 3600)).min(hi) } else { created_at };
        *comment = Comment {
            id: 0,
            body: text::comment_body(rng, thread.topic, &other, thread.number, thread.pull),
            user,
            created_at,
            updated_at,
        };
    }
}

/// `main`'s history: ordinary commits at odd seconds, merge commits exactly at their
/// pulls' (even) `merged_at`, so the two never collide.
fn gen_commits(seed: u64, users: &[User], issues: &[Issue], pulls: &mut [Pull]) -> Vec<Commit> {
    let merges: Vec<(i64, usize)> =
        pulls.iter().enumerate().filter_map(|(p, pull)| pull.merged_at.map(|t| (t, p))).collect();
    let ordinary = COMMIT_COUNT - merges.len();
    let slot = (COMMITS_END - COMMITS_START) / ordinary as i64;
    let mut times = SplitMix64::derive(seed, S_COMMITS, u64::MAX);
    let mut timeline: Vec<(i64, Option<usize>)> = (0..ordinary)
        .map(|k| ((COMMITS_START + k as i64 * slot + times.below(slot as u64 - 2) as i64) | 1, None))
        .chain(merges.iter().map(|&(t, p)| (t, Some(p))))
        .collect();
    timeline.sort_unstable();

    let mut commits: Vec<Commit> = Vec::with_capacity(COMMIT_COUNT);
    for (index, &(date, merged)) in timeline.iter().enumerate() {
        let mut rng = SplitMix64::derive(seed, S_COMMITS, index as u64);
        let sha = rng.hex(40);
        let tree_sha = rng.hex(40);
        let parents = commits.last().map(|c: &Commit| vec![c.sha.clone()]).unwrap_or_default();
        let commit = match merged {
            Some(p) => {
                let pull = &mut pulls[p];
                pull.merge_commit_sha = Some(sha.clone());
                Commit {
                    sha,
                    tree_sha,
                    message: format!(
                        "Merge pull request #{} from acme/{}\n\n{}",
                        pull.number, pull.head_ref, pull.title
                    ),
                    author: pull.merged_by.clone().unwrap_or_else(|| pull.user.clone()),
                    committer: None,
                    date,
                    parents,
                    files: pull.files.clone(),
                    pull: Some(pull.number),
                }
            }
            None => {
                let topic = text::topic(&mut rng);
                let mut message = text::commit_message(&mut rng, topic);
                if rng.chance(0.1)
                    && let Some(n) = fixed_issue(&mut rng, issues, date)
                {
                    message.push_str(&format!("\n\nfixes #{n}"));
                }
                let author = if rng.chance(0.6) { maintainer(&mut rng, users) } else { contributor(&mut rng, users) };
                let mut files: Vec<PullFile> = Vec::new();
                for _ in 0..rng.range(1, 4) {
                    let path = text::changed_path(&mut rng, Kind::Bug, topic, files.is_empty());
                    if !files.iter().any(|f| f.filename == path) {
                        files.push(pull_file(&mut rng, path, topic));
                    }
                }
                Commit {
                    sha,
                    tree_sha,
                    message,
                    committer: Some(author.clone()),
                    author,
                    date,
                    parents,
                    files,
                    pull: None,
                }
            }
        };
        commits.push(commit);
    }
    for pull in pulls.iter_mut() {
        let base = commits.partition_point(|c| c.date < pull.created_at).max(1) - 1;
        pull.base_sha = commits[base].sha.clone();
    }
    commits
}

/// Ten annotated tags v1.0.0 to v1.9.0, each on a release commit, 155 to 233
/// commits apart, the last about 100 commits before `main`'s head.
fn gen_tags(seed: u64, users: &[User], commits: &mut [Commit]) -> Vec<Tag> {
    let mut rng = SplitMix64::derive(seed, S_TAGS, 0);
    let first = 200 + rng.below(50) as usize;
    let weights: Vec<usize> = (1..TAG_COUNT).map(|_| 100 + rng.below(51) as usize).collect();
    let total: usize = weights.iter().sum();
    let extra = 1_900 - first - 100 * (TAG_COUNT - 1);
    let mut positions = vec![first];
    for w in &weights {
        let last = *positions.last().unwrap_or(&first);
        positions.push(last + 100 + extra * w / total);
    }
    let mut tags = Vec::with_capacity(TAG_COUNT);
    for (k, &pos) in positions.iter().enumerate() {
        // Tag a release commit: the first ordinary commit at or after the position.
        let pos = (pos..commits.len()).find(|&p| commits[p].pull.is_none()).unwrap_or(pos);
        let name = format!("v1.{k}.0");
        let tagger = maintainer(&mut rng, users);
        let commit = &mut commits[pos];
        commit.message = format!("Release {name}\n\nUpdate CHANGELOG.md and bump the version.");
        commit.author = tagger.clone();
        commit.committer = Some(tagger.clone());
        let topic = text::topic(&mut rng);
        commit.files = ["CHANGELOG.md", "Cargo.toml"].iter().map(|path| pull_file(&mut rng, path, topic)).collect();
        tags.push(Tag {
            message: format!("widgets {name}"),
            sha: commit.sha.clone(),
            object_sha: rng.hex(40),
            date: commit.date + rng.range_i64(60, 600),
            tagger,
            name,
        });
    }
    tags
}

/// One release per tag, with GitHub's generated notes listing the merged pulls
/// since the previous tag.
fn gen_releases(seed: u64, tags: &[Tag], commits: &[Commit], pulls: &[Pull]) -> Vec<Release> {
    let mut rng = SplitMix64::derive(seed, S_TAGS, 1);
    let mut id = 183_204_117u64;
    let mut seen_authors: Vec<&str> = Vec::new();
    let mut releases = Vec::with_capacity(tags.len());
    let mut from = 0;
    for (k, tag) in tags.iter().enumerate() {
        id += rng.range(2_000_000, 7_000_000);
        let to = commits.iter().position(|c| c.sha == tag.sha).unwrap_or(0);
        let mut body = format!("{}\n\n## What's Changed\n", text::release_intro(&mut rng));
        let mut newcomers = Vec::new();
        for commit in &commits[from..=to] {
            let Some(pull) = commit.pull.and_then(|n| pulls.get((n - FIRST_PULL) as usize)) else { continue };
            body.push_str(&format!(
                "* {} by @{} in https://github.com/acme/widgets/pull/{}\n",
                pull.title, pull.user, pull.number
            ));
            if !seen_authors.contains(&pull.user.as_str()) {
                seen_authors.push(&pull.user);
                newcomers.push((pull.user.as_str(), pull.number));
            }
        }
        if !newcomers.is_empty() && k > 0 {
            body.push_str("\n## New Contributors\n");
            for (login, number) in newcomers {
                body.push_str(&format!(
                    "* @{login} made their first contribution in https://github.com/acme/widgets/pull/{number}\n"
                ));
            }
        }
        body.push_str(&match k {
            0 => format!("\n**Full Changelog**: https://github.com/acme/widgets/commits/{}", tag.name),
            _ => format!(
                "\n**Full Changelog**: https://github.com/acme/widgets/compare/{}...{}",
                tags[k - 1].name,
                tag.name
            ),
        });
        releases.push(Release {
            id,
            tag_name: tag.name.clone(),
            name: tag.name.clone(),
            body,
            draft: false,
            prerelease: false,
            author: tag.tagger.clone(),
            created_at: commits[to].date,
            published_at: tag.date + rng.range_i64(120, 1800),
        });
        from = to + 1;
    }
    releases
}

fn other_repos() -> Vec<Repo> {
    let repo =
        |id: u64, name: &str, description: &str, language: Option<&str>, stars: u64, created_days_ago: i64| Repo {
            id,
            name: name.into(),
            description: description.into(),
            language: language.map(String::from),
            topics: Vec::new(),
            homepage: None,
            stargazers_count: stars,
            forks_count: stars / 9,
            open_issues_count: stars / 40,
            size: 1_000 + stars * 3,
            license: language.map(|_| "MIT".to_string()),
            created_at: NOW - created_days_ago * DAY,
            updated_at: NOW - (created_days_ago % 40 + 2) * DAY,
            pushed_at: NOW - (created_days_ago % 30 + 1) * DAY,
            default_branch: "main".into(),
        };
    vec![
        repo(538_104_221, "gadgets", "Small, reusable gadgets built on top of widgets", Some("Rust"), 812, 900),
        repo(559_870_431, "widgets-examples", "Example applications built with widgets", Some("Rust"), 231, 820),
        repo(601_332_587, "widgets-docs", "Source of the widgets documentation site", Some("TypeScript"), 64, 700),
        repo(512_880_102, ".github", "Default community health files for acme", None, 5, 1_110),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// One generated data set shared by the tests (generation takes a moment in debug).
    pub(crate) fn data() -> &'static Data {
        static DATA: OnceLock<Data> = OnceLock::new();
        DATA.get_or_init(|| Data::generate(42))
    }

    fn open_bugs(d: &Data) -> Vec<&Issue> {
        d.issues.iter().filter(|i| i.is_open() && i.has_label("bug")).collect()
    }

    #[test]
    fn generating_twice_from_one_seed_gives_identical_data_and_another_seed_differs() {
        let again = Data::generate(42);
        assert!(again == *data(), "two generate(42) differ");
        let other = Data::generate(43);
        assert_ne!(other.issues[0].title, data().issues[0].title);
    }

    #[test]
    fn the_fingerprint_of_open_bugs_with_more_than_ten_comments_agrees_two_ways() {
        let d = data();
        let by_filter = open_bugs(d).iter().filter(|i| i.comments.len() > 10).count();
        let mut by_sort: Vec<usize> = open_bugs(d).iter().map(|i| i.comments.len()).collect();
        by_sort.sort_unstable_by(|a, b| b.cmp(a));
        let by_sort = by_sort.iter().take_while(|&&c| c > 10).count();
        assert_eq!(by_filter, by_sort);
        assert!((100..=250).contains(&by_filter), "{by_filter} open bugs with >10 comments");
    }

    #[test]
    fn the_guarantees_scenarios_rely_on_hold_for_other_seeds_too() {
        for seed in [0, 1, 7] {
            let d = Data::generate(seed);
            let mut counts: Vec<usize> = open_bugs(&d).iter().map(|i| i.comments.len()).collect();
            counts.sort_unstable_by(|a, b| b.cmp(a));
            assert!((0..20).all(|k| counts[k] > counts[k + 1]), "seed {seed}: {:?}", &counts[..21]);
            let over_ten = counts.iter().filter(|&&c| c > 10).count();
            assert!((100..=250).contains(&over_ten), "seed {seed}: {over_ten}");
            let stale = d.issues.iter().filter(|i| i.is_open() && i.updated_at < NOW - 90 * DAY).count();
            assert!((400..=900).contains(&stale), "seed {seed}: {stale} stale");
            assert!(!d.issues.iter().any(|i| i.is_open() && (STALE_BEFORE..FRESH_FROM).contains(&i.updated_at)));
        }
    }

    #[test]
    fn the_twenty_most_commented_open_bugs_have_distinct_counts_above_the_rest() {
        let mut counts: Vec<usize> = open_bugs(data()).iter().map(|i| i.comments.len()).collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        for k in 0..20 {
            assert!(counts[k] > counts[k + 1], "tie at rank {k}: {:?}", &counts[..21]);
        }
        assert!(counts[19] > 10);
    }

    #[test]
    fn issues_are_numbered_in_creation_order_with_realistic_shares() {
        let d = data();
        assert_eq!(d.issues.len(), ISSUE_COUNT);
        for (i, issue) in d.issues.iter().enumerate() {
            assert_eq!(issue.number, i as u64 + 1);
            assert!(issue.created_at >= NOW - 3 * 365 * DAY - DAY && issue.created_at < NOW);
            assert!(issue.labels.len() <= 3 && issue.assignees.len() <= 2);
            assert!((200..=1500).contains(&issue.body.len()) || !issue.has_label("bug"));
        }
        assert!(d.issues.windows(2).all(|w| w[0].created_at < w[1].created_at && w[0].id < w[1].id));
        let share = |f: &dyn Fn(&Issue) -> bool| d.issues.iter().filter(|i| f(i)).count() as f64 / ISSUE_COUNT as f64;
        let open = share(&|i| i.is_open());
        let bug = share(&|i| i.has_label("bug"));
        let unassigned = share(&|i| i.assignees.is_empty());
        assert!((0.35..0.45).contains(&open), "open {open}");
        assert!((0.27..0.33).contains(&bug), "bug {bug}");
        assert!((0.28..0.40).contains(&unassigned), "unassigned {unassigned}");
        let max_comments = d.issues.iter().map(|i| i.comments.len()).max().unwrap_or(0);
        assert!((40..=60).contains(&max_comments), "max comments {max_comments}");
    }

    #[test]
    fn activity_times_are_consistent() {
        let d = data();
        for issue in &d.issues {
            assert!(issue.updated_at >= issue.created_at && issue.updated_at < NOW, "#{}", issue.number);
            assert!(
                issue.comments.iter().all(|c| c.created_at >= issue.created_at && c.updated_at <= issue.updated_at)
            );
            assert!(issue.comments.windows(2).all(|w| w[0].created_at <= w[1].created_at));
            match issue.state {
                IssueState::Open => assert!(issue.closed_at.is_none() && issue.closed_by.is_none()),
                IssueState::Closed => {
                    let closed = issue.closed_at.expect("closed issues have closed_at");
                    assert!(closed > issue.created_at && closed <= issue.updated_at);
                    assert!(issue.state_reason.is_some() && issue.closed_by.is_some());
                }
            }
        }
    }

    #[test]
    fn stale_open_issues_are_fewer_than_search_can_return_and_none_sit_near_the_cutoff() {
        let d = data();
        let cutoff = NOW - 90 * DAY;
        let stale = d.issues.iter().filter(|i| i.is_open() && i.updated_at < cutoff).count();
        assert!((400..=900).contains(&stale), "{stale} stale open issues");
        let near =
            d.issues.iter().filter(|i| i.is_open() && (STALE_BEFORE..FRESH_FROM).contains(&i.updated_at)).count();
        assert_eq!(near, 0);
    }

    #[test]
    fn comment_ids_increase_with_time_and_are_unique() {
        let d = data();
        let mut all: Vec<(i64, u64)> = d
            .issues
            .iter()
            .flat_map(|i| i.comments.iter())
            .chain(d.pulls.iter().flat_map(|p| p.comments.iter()))
            .map(|c| (c.created_at, c.id))
            .collect();
        all.sort_unstable();
        assert!(all.windows(2).all(|w| w[0].1 < w[1].1));
        assert!(all.iter().all(|&(_, id)| id > 0));
    }

    #[test]
    fn pulls_have_the_asked_states_and_approved_but_unmerged_ones_among_the_recent() {
        let d = data();
        assert_eq!(d.pulls.len(), PULL_COUNT);
        assert!(d.pulls.iter().enumerate().all(|(i, p)| p.number == FIRST_PULL + i as u64));
        assert!(d.pulls.windows(2).all(|w| w[0].created_at < w[1].created_at));
        let merged = d.pulls.iter().filter(|p| p.is_merged()).count();
        let open = d.pulls.iter().filter(|p| p.state == "open").count();
        assert!((190..=230).contains(&merged), "{merged} merged");
        assert!((45..=80).contains(&open), "{open} open");
        let recent_approved_unmerged = d.pulls[PULL_COUNT - 50..]
            .iter()
            .filter(|p| !p.is_merged() && p.latest_review().is_some_and(|r| r.state == "APPROVED"))
            .count();
        assert!((3..=15).contains(&recent_approved_unmerged), "{recent_approved_unmerged}");
        for p in &d.pulls {
            assert!((1..=15).contains(&p.files.len()) && p.reviews.len() <= 4);
            assert!(p.reviews.windows(2).all(|w| w[0].submitted_at < w[1].submitted_at));
            assert!(p.files.iter().all(|f| f.changes == f.additions + f.deletions));
            assert!(p.review_comments.iter().all(|c| p.files.iter().any(|f| f.filename == c.path)));
            assert!(p.review_comments.iter().all(|c| p.reviews.iter().any(|r| r.id == c.review_id)));
            assert_eq!(p.merged_at.is_some(), p.merge_commit_sha.is_some());
            assert!(p.updated_at >= p.created_at && p.comments.iter().all(|c| c.updated_at <= p.updated_at));
        }
    }

    #[test]
    fn history_is_linear_dated_in_order_and_holds_every_merge_commit() {
        let d = data();
        assert_eq!(d.commits.len(), COMMIT_COUNT);
        assert!(d.commits[0].parents.is_empty());
        for w in d.commits.windows(2) {
            assert_eq!(w[1].parents, vec![w[0].sha.clone()]);
            assert!(w[0].date < w[1].date);
        }
        let mut shas: Vec<&str> = d.commits.iter().map(|c| c.sha.as_str()).collect();
        shas.sort_unstable();
        shas.dedup();
        assert_eq!(shas.len(), COMMIT_COUNT);
        for p in d.pulls.iter().filter(|p| p.is_merged()) {
            let sha = p.merge_commit_sha.as_deref().unwrap_or_default();
            let commit = d.commit(sha).expect("merge commit on main");
            assert_eq!(Some(commit.date), p.merged_at);
            assert_eq!(
                commit.message,
                format!("Merge pull request #{} from acme/{}\n\n{}", p.number, p.head_ref, p.title)
            );
        }
        let fixes = d.commits.iter().filter(|c| c.message.contains("fixes #")).count();
        assert!((50..=300).contains(&fixes), "{fixes} commits fix an issue");
    }

    #[test]
    fn tag_intervals_hold_100_to_250_commits_and_several_merged_pulls() {
        let d = data();
        assert_eq!(
            d.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            (0..10).map(|k| format!("v1.{k}.0")).collect::<Vec<_>>()
        );
        let pos: Vec<usize> =
            d.tags.iter().map(|t| d.commits.iter().position(|c| c.sha == t.sha).expect("tagged commit")).collect();
        for w in pos.windows(2) {
            let interval = &d.commits[w[0] + 1..=w[1]];
            assert!((100..=250).contains(&interval.len()), "{} commits", interval.len());
            let merged = interval.iter().filter(|c| c.pull.is_some()).count();
            assert!(merged >= 5, "{merged} merged pulls");
        }
        assert_eq!(d.releases.len(), d.tags.len());
        assert!(d.releases.iter().zip(&d.tags).all(|(r, t)| r.tag_name == t.name && r.published_at > r.created_at));
    }

    #[test]
    fn lookups_find_what_they_should() {
        let d = data();
        assert_eq!(d.issue(1).map(|i| i.number), Some(1));
        assert_eq!(d.issue(10_000).map(|i| i.number), Some(10_000));
        assert!(d.issue(0).is_none() && d.issue(10_001).is_none());
        assert_eq!(d.pull(10_001).map(|p| p.number), Some(10_001));
        assert!(d.pull(10_000).is_none() && d.pull(10_301).is_none());
        assert_eq!(d.commit(&d.commits[5].sha).map(|c| c.date), Some(d.commits[5].date));
        assert_eq!(rfc3339(d.now), "2026-11-01T00:00:00Z");
        assert_eq!(d.labels.len(), 13);
        assert!(
            [
                "bug",
                "enhancement",
                "documentation",
                "performance",
                "security",
                "good first issue",
                "question",
                "ci",
                "dependencies",
                "refactor"
            ]
            .iter()
            .all(|n| d.label(n).is_some())
        );
    }
}
