//! The fake GitHub's REST handlers: which objects each route sends, with GitHub's
//! parameters (`state`, `sort`, `direction`, `sha`, `since`, ...) and errors.
//! Shapes come from [`super::render`]; paging and errors from [`super::server`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::Response;
use serde_json::{Value, json};

use super::data::{Commit, Pull, Release, parse_timestamp};
use super::render::{IssueView, PullView, RepoView, Store};
use super::search::{IssueQuery, IssueSort, Item, RepoQuery, SearchError, sort_items, sort_repos};
use super::server::{ApiError, AppState, Req, json_response};

type Result<T = Response> = std::result::Result<T, ApiError>;

/// GitHub's cap on search results reachable by paging.
const SEARCH_CAP: usize = 1_000;

/// The data set's repository, when the route's `{owner}/{repo}` names it (anything
/// else is a 404), with the route's other parameters: every repository route takes
/// this, so none can forget the check.
pub(crate) struct MainRepo {
    pub(crate) store: Arc<Store>,
    params: HashMap<String, String>,
}

impl FromRequestParts<AppState> for MainRepo {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found())?;
        let d = &state.store.data;
        let named = |key: &str, want: &str| params.get(key).is_some_and(|v| v.eq_ignore_ascii_case(want));
        if named("owner", &d.owner) && named("repo", &d.repo) {
            Ok(MainRepo { store: state.store.clone(), params })
        } else {
            Err(ApiError::not_found())
        }
    }
}

impl MainRepo {
    /// A route parameter (`reference`, `sha`, `tag`), empty if the route has none.
    fn param(&self, name: &str) -> &str {
        self.params.get(name).map_or("", String::as_str)
    }

    /// The route's `{number}`; a number that is not one is a 404, as on GitHub.
    fn number(&self) -> Result<u64> {
        self.param("number").parse().map_err(|_| ApiError::not_found())
    }

    /// The pull request the route's `{number}` names.
    fn pull(&self) -> Result<&Pull> {
        self.store.data.pull(self.number()?).ok_or_else(ApiError::not_found)
    }
}

/// One of `allowed` for parameter `name`, or its default; anything else is GitHub's 422.
fn choice<'a>(req: &'a Req, name: &str, allowed: &[&str], default: &'a str) -> Result<&'a str> {
    match req.param(name) {
        None => Ok(default),
        Some(v) if allowed.contains(&v) => Ok(v),
        Some(v) => Err(ApiError::validation("Issue", name, format!("{v:?} is not a valid value for {name}"))),
    }
}

/// `GET /user`: the authenticated user.
pub(crate) async fn viewer(State(app): State<AppState>) -> Response {
    json_response(&app.store.viewer(), None)
}

/// `GET /repos/{owner}/{repo}`: any of `acme`'s repositories.
pub(crate) async fn repository(State(app): State<AppState>, Path((owner, repo)): Path<(String, String)>) -> Result {
    let d = &app.store.data;
    if !owner.eq_ignore_ascii_case(&d.owner) {
        return Err(ApiError::not_found());
    }
    let found = std::iter::once(&d.repo_info).chain(&d.other_repos).find(|r| r.name.eq_ignore_ascii_case(&repo));
    let repo = found.ok_or_else(ApiError::not_found)?;
    Ok(json_response(&app.store.repo(repo, RepoView::Full), None))
}

/// `GET /repos/{o}/{r}/issues/{n}`: an issue, or a pull request as an issue.
pub(crate) async fn issue(repo: MainRepo) -> Result {
    let store = &repo.store;
    let n = repo.number()?;
    if let Some(issue) = store.data.issue(n) {
        return Ok(json_response(&store.issue(issue, IssueView::Single), None));
    }
    let pull = store.data.pull(n).ok_or_else(ApiError::not_found)?;
    Ok(json_response(&store.pull_as_issue(pull, IssueView::Single), None))
}

/// `GET /repos/{o}/{r}/issues/{n}/comments`: oldest first, `since` filters by update time.
pub(crate) async fn issue_comments(repo: MainRepo, req: Req) -> Result {
    let store = &repo.store;
    let n = repo.number()?;
    let comments = match (store.data.issue(n), store.data.pull(n)) {
        (Some(issue), _) => &issue.comments,
        (None, Some(pull)) => &pull.comments,
        (None, None) => return Err(ApiError::not_found()),
    };
    let since = since_param(&req, "since")?;
    let comments: Vec<_> = comments.iter().filter(|c| since.is_none_or(|t| c.updated_at >= t)).collect();
    Ok(req.paged(&comments, 30, |c| store.comment(n, c)))
}

fn since_param(req: &Req, name: &str) -> Result<Option<i64>> {
    req.param(name)
        .map(|v| parse_timestamp(v).map_err(|e| ApiError::validation("Issue", name, e.to_string())))
        .transpose()
}

/// `GET /repos/{o}/{r}/pulls`: `state`, `head`, `base`, `sort`, `direction`.
pub(crate) async fn pulls(repo: MainRepo, req: Req) -> Result {
    let store = &repo.store;
    let state = choice(&req, "state", &["open", "closed", "all"], "open")?;
    let sort = choice(&req, "sort", &["created", "updated", "popularity", "long-running"], "created")?;
    let default_direction = if sort == "created" { "desc" } else { "asc" };
    let descending = choice(&req, "direction", &["asc", "desc"], default_direction)? == "desc";
    let head = req.param("head").map(|h| h.split_once(':').map_or(h, |(_, branch)| branch));
    let base = req.param("base");
    let mut pulls: Vec<_> = store
        .data
        .pulls
        .iter()
        .filter(|p| state == "all" || p.state == state)
        .filter(|p| head.is_none_or(|h| p.head_ref == h))
        .filter(|p| base.is_none_or(|b| p.base_ref == b))
        .collect();
    pulls.sort_by(|a, b| {
        let order = match sort {
            "updated" => a.updated_at.cmp(&b.updated_at),
            "popularity" => a.comments.len().cmp(&b.comments.len()),
            // Long-running: open the longest, i.e. created earliest, first when descending.
            "long-running" => b.created_at.cmp(&a.created_at),
            _ => a.created_at.cmp(&b.created_at),
        }
        .then(a.number.cmp(&b.number));
        if descending { order.reverse() } else { order }
    });
    Ok(req.paged(&pulls, 30, |p| store.pull(p, PullView::List)))
}

/// `GET /repos/{o}/{r}/pulls/{n}`.
pub(crate) async fn pull(repo: MainRepo) -> Result {
    let pull = repo.pull()?;
    Ok(json_response(&repo.store.pull(pull, PullView::Single), None))
}

/// `GET /repos/{o}/{r}/pulls/{n}/files`.
pub(crate) async fn pull_files(repo: MainRepo, req: Req) -> Result {
    let pull = repo.pull()?;
    Ok(req.paged(&pull.files, 30, |f| repo.store.file(&pull.head_sha, f)))
}

/// `GET /repos/{o}/{r}/pulls/{n}/reviews`: oldest first.
pub(crate) async fn pull_reviews(repo: MainRepo, req: Req) -> Result {
    let pull = repo.pull()?;
    Ok(req.paged(&pull.reviews, 30, |r| repo.store.review(pull, r)))
}

/// `GET /repos/{o}/{r}/pulls/{n}/comments`: inline review comments, oldest first.
pub(crate) async fn pull_review_comments(repo: MainRepo, req: Req) -> Result {
    let pull = repo.pull()?;
    let since = since_param(&req, "since")?;
    let comments: Vec<_> = pull.review_comments.iter().filter(|c| since.is_none_or(|t| c.updated_at >= t)).collect();
    Ok(req.paged(&comments, 30, |c| repo.store.review_comment(pull, c)))
}

/// The commit on `main` a ref names: `main`, a tag, a full sha or an unambiguous prefix
/// of at least seven digits (with or without `refs/heads/` / `refs/tags/`).
fn resolve(store: &Store, reference: &str) -> Option<usize> {
    let commits = &store.data.commits;
    let name = reference
        .strip_prefix("refs/")
        .map_or(reference, |r| r.strip_prefix("heads/").or_else(|| r.strip_prefix("tags/")).unwrap_or(r));
    if name.is_empty() || name == store.data.repo_info.default_branch || name == "HEAD" {
        return commits.len().checked_sub(1);
    }
    if let Some(tag) = store.data.tag(name) {
        return store.commit_index(&tag.sha);
    }
    if let Some(i) = store.commit_index(name) {
        return Some(i);
    }
    if name.len() >= 7 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut matching = commits.iter().enumerate().filter(|(_, c)| c.sha.starts_with(name));
        if let (Some((i, _)), None) = (matching.next(), matching.next()) {
            return Some(i);
        }
    }
    None
}

fn no_commit(reference: &str) -> ApiError {
    ApiError::unprocessable(
        format!("No commit found for SHA: {reference}"),
        "https://docs.github.com/rest/commits/commits#get-a-commit",
    )
}

/// `GET /repos/{o}/{r}/commits`: history from `sha` (default `main`) backwards, newest
/// first, filtered by `since`, `until`, `author`, `committer` and `path`.
pub(crate) async fn commits(repo: MainRepo, req: Req) -> Result {
    let store = &repo.store;
    let reference = req.param("sha").unwrap_or_default();
    let head = resolve(store, reference).ok_or_else(ApiError::not_found)?;
    let since = since_param(&req, "since")?;
    let until = since_param(&req, "until")?;
    let person = |param: &str, login: &str| {
        req.param(param).is_none_or(|want| {
            let user = store.data.user(login);
            want.eq_ignore_ascii_case(login)
                || user.is_some_and(|u| {
                    want.eq_ignore_ascii_case(&u.name)
                        || want.eq_ignore_ascii_case(&format!("{}+{}@users.noreply.github.com", u.id, u.login))
                })
        })
    };
    let path = req.param("path").map(|p| p.trim_matches('/'));
    let commits: Vec<&Commit> = store.data.commits[..=head]
        .iter()
        .rev()
        .filter(|c| since.is_none_or(|t| c.date >= t) && until.is_none_or(|t| c.date <= t))
        .filter(|c| person("author", &c.author))
        .filter(|c| person("committer", c.committer.as_deref().unwrap_or("web-flow")))
        .filter(|c| {
            path.is_none_or(|p| {
                c.files
                    .iter()
                    .any(|f| f.filename == p || f.filename.strip_prefix(p).is_some_and(|r| r.starts_with('/')))
            })
        })
        .collect();
    Ok(req.paged(&commits, 30, |c| store.commit(c, false)))
}

/// `GET /repos/{o}/{r}/commits/{ref}`: one commit with `stats` and a page of `files`.
pub(crate) async fn commit(repo: MainRepo, req: Req) -> Result {
    let store = &repo.store;
    let reference = repo.param("reference");
    let commit = &store.data.commits[resolve(store, reference).ok_or_else(|| no_commit(reference))?];
    let page = req.page(300);
    let files: Vec<Value> =
        commit.files[page.range(commit.files.len())].iter().map(|f| store.file(&commit.sha, f)).collect();
    let mut value = store.commit(commit, true);
    if let Some(map) = value.as_object_mut() {
        map.insert("files".into(), Value::Array(files));
    }
    Ok(json_response(&value, req.link(page, page.last(commit.files.len()))))
}

/// `GET /repos/{o}/{r}/commits/{ref}/status`: the combined status of a pull request's
/// head (by sha or branch) or of a commit on `main` (which has no statuses).
pub(crate) async fn combined_status(repo: MainRepo) -> Result {
    let store = &repo.store;
    let reference = repo.param("reference");
    let head = store
        .pull_by_head(reference)
        .or_else(|| store.data.pulls.iter().find(|p| p.head_ref == reference && p.state == "open"));
    if let Some(pull) = head {
        return Ok(json_response(&store.combined_status(&pull.head_sha, &pull.statuses), None));
    }
    let commit = &store.data.commits[resolve(store, reference).ok_or_else(|| no_commit(reference))?];
    Ok(json_response(&store.combined_status(&commit.sha, &[]), None))
}

/// `GET /repos/{o}/{r}/branches`: `main` and the open pull requests' branches, by name.
pub(crate) async fn branches(repo: MainRepo, req: Req) -> Result {
    let store = &repo.store;
    let main = store.data.commits.last().map(|c| c.sha.as_str()).unwrap_or_default();
    let mut branches: Vec<(&str, &str, bool)> = vec![(store.data.repo_info.default_branch.as_str(), main, true)];
    branches.extend(
        store
            .data
            .pulls
            .iter()
            .filter(|p| p.state == "open")
            .map(|p| (p.head_ref.as_str(), p.head_sha.as_str(), false)),
    );
    branches.sort_unstable();
    Ok(req.paged(&branches, 30, |&(name, sha, protected)| store.branch(name, sha, protected)))
}

/// `GET /repos/{o}/{r}/tags`: newest version first.
pub(crate) async fn tags(repo: MainRepo, req: Req) -> Result {
    let store = &repo.store;
    let tags: Vec<_> = store.data.tags.iter().rev().collect();
    Ok(req.paged(&tags, 30, |t| store.tag(t)))
}

/// `GET /repos/{o}/{r}/git/ref/{ref}`: `tags/<name>` or `heads/<branch>`.
pub(crate) async fn git_ref(repo: MainRepo) -> Result {
    let store = &repo.store;
    let reference = repo.param("reference");
    if let Some(tag) = reference.strip_prefix("tags/").and_then(|name| store.data.tag(name)) {
        return Ok(json_response(&store.tag_ref(tag), None));
    }
    let branch = reference.strip_prefix("heads/").ok_or_else(ApiError::not_found)?;
    let sha = if branch == store.data.repo_info.default_branch {
        store.data.commits.last().map(|c| c.sha.as_str())
    } else {
        store.data.pulls.iter().find(|p| p.state == "open" && p.head_ref == branch).map(|p| p.head_sha.as_str())
    };
    let sha = sha.ok_or_else(ApiError::not_found)?;
    Ok(json_response(&store.branch_ref(branch, sha), None))
}

/// `GET /repos/{o}/{r}/git/tags/{sha}`: an annotated tag object.
pub(crate) async fn git_tag(repo: MainRepo) -> Result {
    let store = &repo.store;
    let sha = repo.param("sha");
    let tag = store.data.tags.iter().find(|t| t.object_sha == sha).ok_or_else(ApiError::not_found)?;
    Ok(json_response(&store.tag_object(tag), None))
}

/// `GET /repos/{o}/{r}/releases`: newest first.
pub(crate) async fn releases(repo: MainRepo, req: Req) -> Result {
    let store = &repo.store;
    let mut releases: Vec<&Release> = store.data.releases.iter().collect();
    releases.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(req.paged(&releases, 30, |r| store.release(r)))
}

/// `GET /repos/{o}/{r}/releases/latest`: the newest published, non-prerelease release.
pub(crate) async fn latest_release(repo: MainRepo) -> Result {
    let store = &repo.store;
    let latest = store.data.releases.iter().filter(|r| !r.draft && !r.prerelease).max_by_key(|r| (r.created_at, r.id));
    Ok(json_response(&store.release(latest.ok_or_else(ApiError::not_found)?), None))
}

/// `GET /repos/{o}/{r}/releases/tags/{tag}`.
pub(crate) async fn release_by_tag(repo: MainRepo) -> Result {
    let store = &repo.store;
    let tag = repo.param("tag");
    let release = store.data.releases.iter().find(|r| r.tag_name == tag).ok_or_else(ApiError::not_found)?;
    Ok(json_response(&store.release(release), None))
}

fn search_error(e: SearchError) -> ApiError {
    match e {
        SearchError::Invalid(message) => ApiError::validation("Search", "q", message),
        SearchError::Inaccessible => ApiError::validation(
            "Search",
            "q",
            "The listed users and repositories cannot be searched either because the resources do not exist or you do not have permission to view them.",
        ),
        SearchError::Unsupported(what) => {
            ApiError::validation("Search", "q", format!("{what} is not supported by this fake GitHub"))
                .unserved(format!("search syntax not implemented: {what}"))
        }
    }
}

fn query_param(req: &Req) -> Result<&str> {
    req.param("q")
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::validation("Search", "q", "The q parameter is required."))
}

/// A search result page: `{"total_count", "incomplete_results", "items"}`, with only
/// the first 1,000 results reachable, as on GitHub.
fn search_page<T>(req: &Req, all: &[T], render: impl Fn(&T) -> Value) -> Result {
    let page = req.page(30);
    let reachable = all.len().min(SEARCH_CAP);
    if (page.page - 1) * page.per_page >= SEARCH_CAP {
        return Err(ApiError::unprocessable(
            "Only the first 1000 search results are available",
            "https://docs.github.com/v3/search/",
        ));
    }
    let items: Vec<Value> = all[page.range(reachable)].iter().map(render).collect();
    let body = json!({"total_count": all.len(), "incomplete_results": false, "items": items});
    Ok(json_response(&body, req.link(page, page.last(reachable))))
}

/// `GET /search/issues`: GitHub's issue and pull request search (see [`super::search`]).
pub(crate) async fn search_issues(State(app): State<AppState>, req: Req) -> Result {
    let store = &app.store;
    let query = IssueQuery::parse(query_param(&req)?, &store.data).map_err(search_error)?;
    let param_sort = req.param("sort").unwrap_or_default();
    let sort = IssueSort::parse(param_sort)
        .ok_or_else(|| ApiError::validation("Search", "sort", format!("{param_sort:?} is not a valid sort")))?;
    let descending = choice(&req, "order", &["asc", "desc"], "desc")? == "desc";
    let (sort, descending) = query.sort.unwrap_or((sort, descending));
    let mut items: Vec<Item> = store
        .data
        .issues
        .iter()
        .map(Item::Issue)
        .chain(store.data.pulls.iter().map(Item::Pull))
        .filter(|item| query.matches(item))
        .collect();
    sort_items(&mut items, sort, descending, |item| {
        super::render::reaction_counts(item.issue_id(), item.comment_count() as usize)
    });
    search_page(&req, &items, |item| match item {
        Item::Issue(issue) => store.issue(issue, IssueView::Search),
        Item::Pull(pull) => store.pull_as_issue(pull, IssueView::Search),
    })
}

/// `GET /search/repositories`: `acme`'s repositories.
pub(crate) async fn search_repositories(State(app): State<AppState>, req: Req) -> Result {
    let store = &app.store;
    let query = RepoQuery::parse(query_param(&req)?, &store.data).map_err(search_error)?;
    let descending = choice(&req, "order", &["asc", "desc"], "desc")? == "desc";
    let mut repos: Vec<_> =
        std::iter::once(&store.data.repo_info).chain(&store.data.other_repos).filter(|r| query.matches(r)).collect();
    sort_repos(&mut repos, req.param("sort").unwrap_or("stars"), descending);
    search_page(&req, &repos, |r| {
        let mut value = store.repo(r, RepoView::Nested);
        if let Some(map) = value.as_object_mut() {
            map.insert("score".into(), 1.0.into());
        }
        value
    })
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use crate::github::data::{DAY, IssueState, rfc3339};
    use crate::github::testing::{Fake, assert_keys, assert_user, data};

    const REPO: &str = "/api/v3/repos/acme/widgets";

    /// The keys GitHub sends (and go-github reads) on every issue.
    const ISSUE_KEYS: [&str; 29] = [
        "url",
        "repository_url",
        "labels_url",
        "comments_url",
        "events_url",
        "html_url",
        "id",
        "node_id",
        "number",
        "title",
        "user",
        "labels",
        "state",
        "locked",
        "assignee",
        "assignees",
        "milestone",
        "comments",
        "created_at",
        "updated_at",
        "closed_at",
        "author_association",
        "active_lock_reason",
        "body",
        "reactions",
        "timeline_url",
        "performed_via_github_app",
        "state_reason",
        "type",
    ];

    #[tokio::test]
    async fn get_user_returns_the_authenticated_user_with_private_fields() {
        let reply = Fake::new().get("/api/v3/user").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_user(&reply.body, &data().viewer);
        assert_keys(
            &reply.body,
            &["name", "company", "public_repos", "followers", "created_at", "plan", "two_factor_authentication"],
        );
    }

    #[tokio::test]
    async fn get_repository_returns_the_full_repository_and_the_other_repositories_too() {
        let fake = Fake::new();
        let reply = fake.get(REPO).await;
        let open = data().issues.iter().filter(|i| i.is_open()).count()
            + data().pulls.iter().filter(|p| p.state == "open").count();
        assert_eq!(reply.body["full_name"], "acme/widgets");
        assert_eq!(reply.body["open_issues_count"], open);
        assert_eq!(reply.body["owner"]["type"], "Organization");
        assert_keys(
            &reply.body,
            &[
                "node_id",
                "clone_url",
                "license",
                "topics",
                "permissions",
                "organization",
                "default_branch",
                "pulls_url",
            ],
        );
        let gadgets = fake.get("/api/v3/repos/acme/gadgets").await;
        assert_eq!(gadgets.body["name"], "gadgets");
    }

    #[tokio::test]
    async fn get_issue_sends_every_field_github_sends_with_full_label_milestone_and_user_objects() {
        let d = data();
        let issue = d
            .issues
            .iter()
            .find(|i| i.milestone.is_some() && !i.labels.is_empty() && !i.assignees.is_empty() && !i.is_open())
            .expect("a closed issue with milestone, labels and assignees");
        let reply = Fake::new().get(&format!("{REPO}/issues/{}", issue.number)).await;
        let body = &reply.body;
        assert_keys(body, &ISSUE_KEYS);
        assert_keys(body, &["closed_by", "sub_issues_summary"]);
        assert_eq!(body["number"], issue.number);
        assert_eq!(body["title"], issue.title.as_str());
        assert_eq!(body["state"], "closed");
        assert_eq!(body["comments"], issue.comments.len());
        assert_eq!(body["created_at"], rfc3339(issue.created_at));
        assert_user(&body["user"], &issue.user);
        assert_user(&body["assignee"], &issue.assignees[0]);
        assert_user(&body["closed_by"], issue.closed_by.as_deref().unwrap_or_default());
        let labels = body["labels"].as_array().expect("labels");
        assert_eq!(labels.iter().map(|l| l["name"].as_str().unwrap_or_default()).collect::<Vec<_>>(), issue.labels);
        for label in labels {
            assert_keys(label, &["id", "node_id", "url", "name", "color", "default", "description"]);
            assert!(label["node_id"].as_str().is_some_and(|n| n.starts_with("LA_kwDO")));
        }
        assert_keys(
            &body["milestone"],
            &[
                "url",
                "html_url",
                "id",
                "node_id",
                "number",
                "title",
                "creator",
                "open_issues",
                "closed_issues",
                "state",
                "due_on",
            ],
        );
        assert_user(
            &body["milestone"]["creator"],
            &d.milestone(issue.milestone.unwrap_or_default()).map(|m| m.creator.clone()).unwrap_or_default(),
        );
        assert_keys(
            &body["reactions"],
            &["url", "total_count", "+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"],
        );
        assert!(body["node_id"].as_str().is_some_and(|n| n.starts_with("I_kwDO")));
    }

    #[tokio::test]
    async fn get_issue_with_a_pull_request_number_returns_the_pull_as_an_issue() {
        let pull = &data().pulls[7];
        let reply = Fake::new().get(&format!("{REPO}/issues/{}", pull.number)).await;
        assert_eq!(reply.body["number"], pull.number);
        assert_keys(&reply.body["pull_request"], &["url", "html_url", "diff_url", "patch_url", "merged_at"]);
        assert_eq!(reply.body["draft"], pull.draft);
    }

    #[tokio::test]
    async fn issue_comments_come_oldest_first_in_pages_with_links() {
        let d = data();
        let issue = d.issues.iter().max_by_key(|i| i.comments.len()).expect("issues");
        let fake = Fake::new();
        let all = fake.get(&format!("{REPO}/issues/{}/comments?page=1&per_page=100", issue.number)).await;
        assert_eq!(all.len(), issue.comments.len());
        assert_eq!(all.link(), None);
        let first = &all.body[0];
        assert_keys(
            first,
            &[
                "url",
                "html_url",
                "issue_url",
                "id",
                "node_id",
                "user",
                "created_at",
                "updated_at",
                "author_association",
                "body",
                "reactions",
            ],
        );
        assert_eq!(first["id"], issue.comments[0].id);
        assert_eq!(first["body"], issue.comments[0].body.as_str());
        let page2 = fake.get(&format!("{REPO}/issues/{}/comments?page=2&per_page=10", issue.number)).await;
        assert_eq!(page2.len(), 10);
        assert_eq!(page2.body[0]["id"], issue.comments[10].id);
        assert_eq!(
            (page2.link_page("prev"), page2.link_page("next"), page2.link_page("first")),
            (Some(1), Some(3), Some(1))
        );
        assert_eq!(page2.link_page("last"), Some(issue.comments.len().div_ceil(10)));
    }

    #[tokio::test]
    async fn list_pulls_sorts_filters_and_pages_like_github() {
        let d = data();
        let fake = Fake::new();
        let recent = fake.get(&format!("{REPO}/pulls?direction=desc&page=1&per_page=50&sort=created&state=all")).await;
        assert_eq!(recent.len(), 50);
        let numbers: Vec<u64> =
            recent.body.as_array().into_iter().flatten().filter_map(|p| p["number"].as_u64()).collect();
        assert_eq!(numbers, (10_251..=10_300).rev().collect::<Vec<u64>>());
        assert_eq!((recent.link_page("next"), recent.link_page("last")), (Some(2), Some(6)));
        assert!(recent.link().is_some_and(|l| l.starts_with("<http://127.0.0.2/api/v3/repos/acme/widgets/pulls?direction=desc&page=2&per_page=50&sort=created&state=all>")));
        let pull = &recent.body[0];
        assert_keys(
            pull,
            &[
                "url",
                "id",
                "node_id",
                "html_url",
                "number",
                "state",
                "title",
                "user",
                "body",
                "labels",
                "milestone",
                "draft",
                "head",
                "base",
                "_links",
                "author_association",
                "merge_commit_sha",
                "requested_reviewers",
            ],
        );
        assert_keys(
            &pull["head"]["repo"],
            &["full_name", "owner", "clone_url", "stargazers_count", "topics", "license", "default_branch"],
        );
        assert_eq!(pull["base"]["ref"], "main");
        assert!(pull.get("mergeable_state").is_none(), "list items carry no merge fields");

        let open = fake.get(&format!("{REPO}/pulls?per_page=100")).await;
        assert_eq!(open.len(), d.pulls.iter().filter(|p| p.state == "open").count());
        assert!(open.body.as_array().into_iter().flatten().all(|p| p["state"] == "open"));
        let target = &d.pulls[12];
        let by_head = fake.get(&format!("{REPO}/pulls?state=all&head=acme:{}", target.head_ref)).await;
        assert_eq!(by_head.len(), 1);
        assert_eq!(by_head.body[0]["number"], target.number);
        let oldest = fake.get(&format!("{REPO}/pulls?state=all&direction=asc&per_page=1")).await;
        assert_eq!(oldest.body[0]["number"], 10_001);
        let bad = fake.get(&format!("{REPO}/pulls?state=merged")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["message"], "Validation Failed");
    }

    #[tokio::test]
    async fn get_pull_adds_merge_and_size_fields() {
        let d = data();
        let merged = d.pulls.iter().find(|p| p.is_merged()).expect("a merged pull");
        let reply = Fake::new().get(&format!("{REPO}/pulls/{}", merged.number)).await;
        let body = &reply.body;
        assert_keys(
            body,
            &[
                "merged",
                "mergeable",
                "mergeable_state",
                "merged_by",
                "comments",
                "review_comments",
                "commits",
                "additions",
                "deletions",
                "changed_files",
            ],
        );
        assert_eq!(body["merged"], true);
        assert_eq!(body["merge_commit_sha"], merged.merge_commit_sha.as_deref().unwrap_or_default());
        assert_eq!(body["changed_files"], merged.files.len());
        assert_eq!(body["additions"], merged.files.iter().map(|f| f.additions).sum::<u64>());
        assert_user(&body["merged_by"], merged.merged_by.as_deref().unwrap_or_default());
        assert_eq!(body["head"]["sha"], merged.head_sha.as_str());
        assert_eq!(body["base"]["sha"], merged.base_sha.as_str());
    }

    #[tokio::test]
    async fn pull_files_reviews_and_review_comments_match_the_data() {
        let d = data();
        let pull =
            d.pulls.iter().find(|p| p.review_comments.len() >= 2 && p.files.len() >= 3).expect("a reviewed pull");
        let fake = Fake::new();
        let files = fake.get(&format!("{REPO}/pulls/{}/files?page=1&per_page=100", pull.number)).await;
        assert_eq!(files.len(), pull.files.len());
        assert_keys(
            &files.body[0],
            &[
                "sha",
                "filename",
                "status",
                "additions",
                "deletions",
                "changes",
                "blob_url",
                "raw_url",
                "contents_url",
                "patch",
            ],
        );
        assert_eq!(files.body[0]["patch"], pull.files[0].patch.as_str());
        let reviews = fake.get(&format!("{REPO}/pulls/{}/reviews", pull.number)).await;
        let states: Vec<&str> =
            reviews.body.as_array().into_iter().flatten().filter_map(|r| r["state"].as_str()).collect();
        assert_eq!(states, pull.reviews.iter().map(|r| r.state.as_str()).collect::<Vec<_>>());
        assert_keys(
            &reviews.body[0],
            &[
                "id",
                "node_id",
                "user",
                "body",
                "state",
                "html_url",
                "pull_request_url",
                "author_association",
                "_links",
                "submitted_at",
                "commit_id",
            ],
        );
        let comments = fake.get(&format!("{REPO}/pulls/{}/comments?per_page=100", pull.number)).await;
        assert_eq!(comments.len(), pull.review_comments.len());
        let first = &comments.body[0];
        assert_keys(
            first,
            &[
                "url",
                "pull_request_review_id",
                "id",
                "node_id",
                "diff_hunk",
                "path",
                "commit_id",
                "user",
                "body",
                "line",
                "side",
                "position",
                "reactions",
                "_links",
            ],
        );
        assert_eq!(first["path"], pull.review_comments[0].path.as_str());
        assert!(first["diff_hunk"].as_str().is_some_and(|h| h.starts_with("@@")));
    }

    #[tokio::test]
    async fn the_combined_status_of_a_pull_head_follows_githubs_rules() {
        let d = data();
        let fake = Fake::new();
        let failing = d.pulls.iter().find(|p| p.statuses.iter().any(|s| s.state == "failure")).expect("a failing pull");
        let reply = fake.get(&format!("{REPO}/commits/{}/status", failing.head_sha)).await;
        assert_eq!(reply.body["state"], "failure");
        assert_eq!(reply.body["total_count"], failing.statuses.len());
        assert_keys(
            &reply.body["statuses"][0],
            &[
                "url",
                "avatar_url",
                "id",
                "node_id",
                "state",
                "description",
                "target_url",
                "context",
                "created_at",
                "updated_at",
            ],
        );
        assert_keys(&reply.body["repository"], &["id", "full_name", "owner", "url", "statuses_url"]);
        let green = d.pulls.iter().find(|p| p.statuses.iter().all(|s| s.state == "success")).expect("a green pull");
        assert_eq!(fake.get(&format!("{REPO}/commits/{}/status", green.head_sha)).await.body["state"], "success");
        let main = fake.get(&format!("{REPO}/commits/main/status")).await;
        assert_eq!((main.body["state"].as_str(), main.body["total_count"].as_u64()), (Some("pending"), Some(0)));
    }

    #[tokio::test]
    async fn list_commits_walks_back_from_a_tag_newest_first() {
        let d = data();
        let tag = d.tag("v1.2.0").expect("v1.2.0");
        let at = d.commits.iter().position(|c| c.sha == tag.sha).expect("tagged commit");
        let fake = Fake::new();
        let first = fake.get(&format!("{REPO}/commits?page=1&per_page=100&sha=v1.2.0")).await;
        assert_eq!(first.body[0]["sha"], tag.sha.as_str());
        assert_eq!(first.body[1]["sha"], d.commits[at - 1].sha.as_str());
        assert_eq!(first.body[0]["parents"][0]["sha"], d.commits[at - 1].sha.as_str());
        assert_keys(
            &first.body[0],
            &["sha", "node_id", "commit", "url", "html_url", "comments_url", "author", "committer", "parents"],
        );
        assert_keys(
            &first.body[0]["commit"],
            &["author", "committer", "message", "tree", "url", "comment_count", "verification"],
        );
        assert_eq!(first.link_page("last"), Some((at + 1).div_ceil(100)));
        let page3 = fake.get(&format!("{REPO}/commits?page=3&per_page=100&sha=v1.2.0")).await;
        assert_eq!(page3.body[0]["sha"], d.commits[at - 200].sha.as_str());
        let head = fake.get(&format!("{REPO}/commits?per_page=1")).await;
        assert_eq!(head.body[0]["sha"], d.commits.last().map(|c| c.sha.as_str()).unwrap_or_default());
        let unknown = fake.get(&format!("{REPO}/commits?sha=no-such-branch")).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn list_commits_filters_by_author_date_and_path() {
        let d = data();
        let fake = Fake::new();
        let author = &d.commits[1000].author;
        let reply = fake.get(&format!("{REPO}/commits?author={author}&per_page=100")).await;
        let expected = d.commits.iter().filter(|c| &c.author == author).count();
        assert_eq!(reply.len(), expected.min(100));
        assert!(reply.body.as_array().into_iter().flatten().all(|c| c["author"]["login"] == author.as_str()));
        let (since, until) = (d.now - 30 * DAY, d.now - 10 * DAY);
        let window =
            fake.get(&format!("{REPO}/commits?since={}&until={}&per_page=100", rfc3339(since), rfc3339(until))).await;
        assert_eq!(window.len(), d.commits.iter().filter(|c| c.date >= since && c.date <= until).count());
        let path = fake.get(&format!("{REPO}/commits?path=CHANGELOG.md&per_page=100")).await;
        assert!(path.len() >= d.tags.len());
    }

    #[tokio::test]
    async fn get_commit_returns_stats_and_files_by_sha_short_sha_or_tag() {
        let d = data();
        let merge = d.commits.iter().find(|c| c.pull.is_some()).expect("a merge commit");
        let fake = Fake::new();
        let reply = fake.get(&format!("{REPO}/commits/{}?page=1&per_page=30", &merge.sha[..10])).await;
        assert_eq!(reply.body["sha"], merge.sha.as_str());
        assert_eq!(reply.body["files"].as_array().map(Vec::len), Some(merge.files.len()));
        let additions: u64 = merge.files.iter().map(|f| f.additions).sum();
        assert_eq!(reply.body["stats"]["additions"], additions);
        assert_eq!(reply.body["commit"]["verification"]["verified"], true, "web merges are signed by GitHub");
        assert_eq!(reply.body["committer"]["login"], "web-flow");
        let tagged = fake.get(&format!("{REPO}/commits/v1.0.0")).await;
        assert_eq!(tagged.body["sha"], d.tags[0].sha.as_str());
        let unknown = fake.get(&format!("{REPO}/commits/deadbeef00")).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(unknown.body["message"], "No commit found for SHA: deadbeef00");
    }

    #[tokio::test]
    async fn branches_list_main_and_the_open_pull_branches_by_name() {
        let d = data();
        let reply = Fake::new().get(&format!("{REPO}/branches?per_page=100")).await;
        assert_eq!(reply.len(), 1 + d.pulls.iter().filter(|p| p.state == "open").count());
        let names: Vec<&str> = reply.body.as_array().into_iter().flatten().filter_map(|b| b["name"].as_str()).collect();
        assert!(names.windows(2).all(|w| w[0] <= w[1]));
        let main = reply.body.as_array().into_iter().flatten().find(|b| b["name"] == "main").expect("main");
        assert_eq!(main["protected"], true);
        assert_eq!(main["commit"]["sha"], d.commits.last().map(|c| c.sha.as_str()).unwrap_or_default());
    }

    #[tokio::test]
    async fn tags_refs_and_tag_objects_point_at_the_tagged_commits() {
        let d = data();
        let fake = Fake::new();
        let tags = fake.get(&format!("{REPO}/tags?page=1&per_page=30")).await;
        assert_eq!(tags.len(), 10);
        assert_eq!(tags.body[0]["name"], "v1.9.0");
        assert_eq!(tags.body[9]["commit"]["sha"], d.tags[0].sha.as_str());
        assert_keys(&tags.body[0], &["name", "zipball_url", "tarball_url", "commit", "node_id"]);
        let tag = d.tag("v1.2.0").expect("v1.2.0");
        let reference = fake.get(&format!("{REPO}/git/ref/tags/v1.2.0")).await;
        assert_eq!(reference.body["ref"], "refs/tags/v1.2.0");
        assert_eq!(
            (reference.body["object"]["type"].as_str(), reference.body["object"]["sha"].as_str()),
            (Some("tag"), Some(tag.object_sha.as_str()))
        );
        let object = fake.get(&format!("{REPO}/git/tags/{}", tag.object_sha)).await;
        assert_eq!(object.body["object"]["sha"], tag.sha.as_str());
        assert_eq!(object.body["tag"], "v1.2.0");
        assert_keys(&object.body, &["node_id", "sha", "url", "tagger", "object", "tag", "message", "verification"]);
        let head = fake.get(&format!("{REPO}/git/ref/heads/main")).await;
        assert_eq!(head.body["object"]["type"], "commit");
        assert_eq!(fake.get(&format!("{REPO}/git/ref/tags/v9.9.9")).await.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn releases_come_newest_first_and_latest_and_by_tag_find_them() {
        let fake = Fake::new();
        let list = fake.get(&format!("{REPO}/releases?page=1&per_page=30")).await;
        assert_eq!(list.len(), 10);
        assert_eq!(list.body[0]["tag_name"], "v1.9.0");
        assert_keys(
            &list.body[0],
            &[
                "url",
                "assets_url",
                "upload_url",
                "html_url",
                "id",
                "author",
                "node_id",
                "tag_name",
                "target_commitish",
                "name",
                "draft",
                "prerelease",
                "created_at",
                "published_at",
                "assets",
                "tarball_url",
                "zipball_url",
                "body",
            ],
        );
        let latest = fake.get(&format!("{REPO}/releases/latest")).await;
        assert_eq!(latest.body["tag_name"], "v1.9.0");
        let by_tag = fake.get(&format!("{REPO}/releases/tags/v1.4.0")).await;
        assert_eq!(by_tag.body["name"], "v1.4.0");
        assert!(by_tag.body["body"].as_str().is_some_and(|b| b.contains("compare/v1.3.0...v1.4.0")));
    }

    fn total(reply: &crate::github::testing::Reply) -> u64 {
        reply.body["total_count"].as_u64().unwrap_or(u64::MAX)
    }

    fn search(q: &str) -> String {
        let q: String =
            q.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b == b'-' { char::from(b).to_string() } else { format!("%{b:02X}") }
                })
                .collect();
        format!("/api/v3/search/issues?q={q}")
    }

    #[tokio::test]
    async fn search_finds_open_bugs_with_many_comments_sorted_by_comments() {
        let d = data();
        let expected: Vec<u64> = {
            let mut v: Vec<_> =
                d.issues.iter().filter(|i| i.is_open() && i.has_label("bug") && i.comments.len() > 10).collect();
            v.sort_by(|a, b| b.comments.len().cmp(&a.comments.len()).then(b.number.cmp(&a.number)));
            v.iter().map(|i| i.number).collect()
        };
        let fake = Fake::new();
        let uri = format!(
            "{}&sort=comments&order=desc&per_page=100&page=1",
            search("repo:acme/widgets is:issue label:bug state:open comments:>10")
        );
        let reply = fake.get(&uri).await;
        assert_eq!(total(&reply), expected.len() as u64);
        assert_eq!(reply.body["incomplete_results"], false);
        let numbers: Vec<u64> =
            reply.body["items"].as_array().into_iter().flatten().filter_map(|i| i["number"].as_u64()).collect();
        assert_eq!(numbers, expected[..expected.len().min(100)]);
        let item = &reply.body["items"][0];
        assert_keys(item, &ISSUE_KEYS);
        assert_eq!(item["score"], 1.0);
        assert!(item.get("pull_request").is_none());
    }

    #[tokio::test]
    async fn search_qualifiers_filter_as_github_does() {
        let d = data();
        let fake = Fake::new();
        let count = |f: &dyn Fn(&crate::github::data::Issue) -> bool| d.issues.iter().filter(|i| f(i)).count() as u64;
        let cases: Vec<(&str, u64)> = vec![
            ("repo:acme/widgets is:issue label:bug", count(&|i| i.has_label("bug"))),
            ("is:issue -label:bug", count(&|i| !i.has_label("bug"))),
            ("is:issue label:bug label:security", count(&|i| i.has_label("bug") && i.has_label("security"))),
            ("is:issue label:bug,security", count(&|i| i.has_label("bug") || i.has_label("security"))),
            ("is:issue label:\"good first issue\" is:open", count(&|i| i.has_label("good first issue") && i.is_open())),
            ("is:issue no:assignee is:open", count(&|i| i.assignees.is_empty() && i.is_open())),
            ("is:issue no:label", count(&|i| i.labels.is_empty())),
            (
                "is:issue state:closed reason:\"not planned\"",
                count(&|i| i.state_reason.as_deref() == Some("not_planned")),
            ),
            ("is:issue comments:5..7", count(&|i| (5..=7).contains(&i.comments.len()))),
            ("is:issue comments:>=40", count(&|i| i.comments.len() >= 40)),
            ("is:issue milestone:v2.0", count(&|i| i.milestone == Some(4))),
        ];
        for (q, expected) in cases {
            let reply = fake.get(&search(q)).await;
            assert_eq!(reply.status, StatusCode::OK, "{q}: {}", reply.body);
            assert_eq!(total(&reply), expected, "{q}");
        }
        let someone = &d.issues[100];
        let mine = fake.get(&search(&format!("is:issue author:{} is:open", someone.user))).await;
        assert_eq!(total(&mine), count(&|i| i.user == someone.user && i.is_open()));
        let login = "priya-raman";
        let assigned = fake.get(&search(&format!("is:issue assignee:{login}"))).await;
        assert_eq!(total(&assigned), count(&|i| i.assignees.iter().any(|a| a == login)));
    }

    #[tokio::test]
    async fn search_date_qualifiers_read_plain_dates_as_whole_days() {
        let d = data();
        let fake = Fake::new();
        let cutoff = d.now - 90 * DAY;
        let day = &rfc3339(cutoff)[..10];
        let stale = d.issues.iter().filter(|i| i.is_open() && i.updated_at < cutoff).count() as u64;
        assert_eq!(total(&fake.get(&search(&format!("is:issue is:open updated:<{day}"))).await), stale);
        let before_end_of_day = d.issues.iter().filter(|i| i.is_open() && i.updated_at < cutoff + DAY).count() as u64;
        assert_eq!(total(&fake.get(&search(&format!("is:issue is:open updated:<={day}"))).await), before_end_of_day);
        let in_january =
            d.issues.iter().filter(|i| (1_704_067_200..1_706_745_600).contains(&i.created_at)).count() as u64;
        assert_eq!(total(&fake.get(&search("is:issue created:2024-01-01..2024-01-31")).await), in_january);
        let exact = rfc3339(d.issues[10].created_at);
        assert_eq!(
            total(&fake.get(&search(&format!("is:issue created:>={exact}"))).await),
            (d.issues.len() - 10) as u64
        );
        let merged = d.pulls.iter().filter(|p| p.merged_at.is_some_and(|t| t >= 1_767_225_600)).count() as u64;
        assert_eq!(total(&fake.get(&search("is:pr is:merged merged:>=2026-01-01")).await), merged);
    }

    #[tokio::test]
    async fn search_pull_requests_returns_pulls_as_issues_with_review_and_state_filters() {
        let d = data();
        let fake = Fake::new();
        let merged = fake.get(&format!("{}&per_page=100", search("repo:acme/widgets is:pr is:merged"))).await;
        assert_eq!(total(&merged), d.pulls.iter().filter(|p| p.is_merged()).count() as u64);
        assert!(merged.body["items"][0]["pull_request"]["merged_at"].is_string());
        let approved_open = d
            .pulls
            .iter()
            .filter(|p| p.state == "open" && p.latest_review().is_some_and(|r| r.state == "APPROVED"))
            .count();
        assert_eq!(total(&fake.get(&search("is:pr is:open review:approved")).await), approved_open as u64);
        let drafts = d.pulls.iter().filter(|p| p.draft).count();
        assert_eq!(total(&fake.get(&search("is:pr draft:true")).await), drafts as u64);
        let unmerged = d.pulls.iter().filter(|p| p.state == "closed" && !p.is_merged()).count();
        assert_eq!(total(&fake.get(&search("is:pr is:unmerged")).await), unmerged as u64);
    }

    #[tokio::test]
    async fn search_free_words_match_titles_and_bodies() {
        let d = data();
        let fake = Fake::new();
        let expected = d
            .issues
            .iter()
            .filter(|i| i.title.to_lowercase().contains("wayland") || i.body.to_lowercase().contains("wayland"))
            .count();
        assert_eq!(total(&fake.get(&search("is:issue wayland")).await), expected as u64);
        let in_title = d.issues.iter().filter(|i| i.title.to_lowercase().contains("wayland")).count();
        assert_eq!(total(&fake.get(&search("is:issue wayland in:title")).await), in_title as u64);
        let phrase = d.issues.iter().filter(|i| i.title.contains("renders blank")).count();
        assert_eq!(total(&fake.get(&search("is:issue \"renders blank\" in:title")).await), phrase as u64);
    }

    #[tokio::test]
    async fn search_sorts_by_created_ascending_and_defaults_to_newest_first() {
        let fake = Fake::new();
        let oldest = fake.get(&format!("{}&sort=created&order=asc&per_page=3", search("is:issue"))).await;
        let numbers: Vec<u64> =
            oldest.body["items"].as_array().into_iter().flatten().filter_map(|i| i["number"].as_u64()).collect();
        assert_eq!(numbers, vec![1, 2, 3]);
        let newest = fake.get(&format!("{}&per_page=1", search("is:issue"))).await;
        assert_eq!(newest.body["items"][0]["number"], 10_000);
        let updated = fake.get(&format!("{}&sort=updated&per_page=100", search("is:issue is:open"))).await;
        let times: Vec<&str> =
            updated.body["items"].as_array().into_iter().flatten().filter_map(|i| i["updated_at"].as_str()).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]));
    }

    #[tokio::test]
    async fn search_pages_stop_at_the_thousandth_result_like_github() {
        let fake = Fake::new();
        let reply = fake.get(&format!("{}&per_page=100&page=2", search("is:issue"))).await;
        assert_eq!(total(&reply), data().issues.len() as u64);
        assert_eq!(reply.link_page("last"), Some(10), "{:?}", reply.link());
        let last = fake.get(&format!("{}&per_page=100&page=10", search("is:issue"))).await;
        assert_eq!(last.len(), 100);
        let beyond = fake.get(&format!("{}&per_page=100&page=11", search("is:issue"))).await;
        assert_eq!(beyond.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(beyond.body["message"], "Only the first 1000 search results are available");
    }

    #[tokio::test]
    async fn bad_search_queries_get_githubs_422() {
        let fake = Fake::new();
        for q in ["is:issue frobnicate:yes", "is:issue is:sideways", "repo:octo/cat is:issue", "comments:lots"] {
            let reply = fake.get(&search(q)).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
            assert_eq!(reply.body["message"], "Validation Failed", "{q}");
            assert_eq!(reply.body["errors"][0]["field"], "q", "{q}");
        }
        let missing = fake.get("/api/v3/search/issues?per_page=5").await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(fake.log.unserved().is_empty(), "client errors are not gaps of the fake");
    }

    #[tokio::test]
    async fn search_syntax_the_fake_lacks_is_a_422_recorded_as_unserved() {
        let fake = Fake::new();
        let reply = fake.get(&search("is:issue label:bug OR label:security")).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        let unserved = fake.log.unserved();
        assert_eq!(unserved.len(), 1);
        assert!(unserved[0].starts_with("GET /api/v3/search/issues?q=") && unserved[0].contains("OR"), "{unserved:?}");
    }

    #[tokio::test]
    async fn search_repositories_lists_the_organisations_repositories_by_stars() {
        let reply = Fake::new().get("/api/v3/search/repositories?page=1&per_page=30&q=org%3Aacme").await;
        assert_eq!(total(&reply), 1 + data().other_repos.len() as u64);
        assert_eq!(reply.body["items"][0]["full_name"], "acme/widgets");
        assert_keys(&reply.body["items"][1], &["id", "full_name", "description", "stargazers_count", "score"]);
        let rust = Fake::new().get("/api/v3/search/repositories?q=org%3Aacme+language%3ARust").await;
        assert_eq!(total(&rust), 3);
    }

    #[test]
    fn issue_states_name_themselves_as_github_does() {
        assert_eq!((IssueState::Open.as_str(), IssueState::Closed.as_str()), ("open", "closed"));
    }
}
