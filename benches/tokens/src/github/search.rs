//! GitHub's search syntax for `GET /search/issues` and `GET /search/repositories`:
//! qualifiers (`label:"good first issue"`, `-label:bug`, `comments:>10`,
//! `updated:<2026-08-03`, `is:merged`, ...), free words and phrases, and the sort orders.
//!
//! Dates follow GitHub's day granularity: `updated:<D` is before D's midnight,
//! `updated:<=D` includes all of day D, `A..B` includes both days (UTC).

use super::data::{DAY, Data, Issue, Pull, Repo, combined_state, parse_timestamp};

/// An issue or a pull request, as search sees both.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Item<'a> {
    /// An issue.
    Issue(&'a Issue),
    /// A pull request.
    Pull(&'a Pull),
}

impl Item<'_> {
    pub(crate) fn number(&self) -> u64 {
        match self {
            Item::Issue(i) => i.number,
            Item::Pull(p) => p.number,
        }
    }

    /// The id GitHub reports for the issue side (used for reactions).
    pub(crate) fn issue_id(&self) -> u64 {
        match self {
            Item::Issue(i) => i.id,
            Item::Pull(p) => p.issue_id,
        }
    }

    fn is_pull(&self) -> bool {
        matches!(self, Item::Pull(_))
    }

    fn is_open(&self) -> bool {
        match self {
            Item::Issue(i) => i.is_open(),
            Item::Pull(p) => p.state == "open",
        }
    }

    fn title(&self) -> &str {
        match self {
            Item::Issue(i) => &i.title,
            Item::Pull(p) => &p.title,
        }
    }

    fn body(&self) -> &str {
        match self {
            Item::Issue(i) => &i.body,
            Item::Pull(p) => &p.body,
        }
    }

    fn author(&self) -> &str {
        match self {
            Item::Issue(i) => &i.user,
            Item::Pull(p) => &p.user,
        }
    }

    fn labels(&self) -> &[String] {
        match self {
            Item::Issue(i) => &i.labels,
            Item::Pull(p) => &p.labels,
        }
    }

    fn assignees(&self) -> &[String] {
        match self {
            Item::Issue(i) => &i.assignees,
            Item::Pull(p) => &p.assignees,
        }
    }

    fn comments(&self) -> &[super::data::Comment] {
        match self {
            Item::Issue(i) => &i.comments,
            Item::Pull(p) => &p.comments,
        }
    }

    pub(crate) fn comment_count(&self) -> u64 {
        self.comments().len() as u64
    }

    fn milestone(&self) -> Option<u64> {
        match self {
            Item::Issue(i) => i.milestone,
            Item::Pull(p) => p.milestone,
        }
    }

    pub(crate) fn created_at(&self) -> i64 {
        match self {
            Item::Issue(i) => i.created_at,
            Item::Pull(p) => p.created_at,
        }
    }

    pub(crate) fn updated_at(&self) -> i64 {
        match self {
            Item::Issue(i) => i.updated_at,
            Item::Pull(p) => p.updated_at,
        }
    }

    fn closed_at(&self) -> Option<i64> {
        match self {
            Item::Issue(i) => i.closed_at,
            Item::Pull(p) => p.closed_at,
        }
    }

    fn merged_at(&self) -> Option<i64> {
        match self {
            Item::Issue(_) => None,
            Item::Pull(p) => p.merged_at,
        }
    }

    fn locked(&self) -> bool {
        match self {
            Item::Issue(i) => i.locked,
            Item::Pull(_) => false,
        }
    }
}

/// Why a query cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SearchError {
    /// The query is wrong (GitHub answers 422 with this message).
    Invalid(String),
    /// The query names a repository or user that does not exist here (422).
    Inaccessible,
    /// The query is valid on GitHub but uses syntax the fake does not implement.
    Unsupported(String),
}

/// A half-open range `[lo, hi)` of numbers or unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    lo: i64,
    hi: i64,
}

impl Range {
    fn contains(self, x: i64) -> bool {
        self.lo <= x && x < self.hi
    }
}

/// One qualifier's test.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    Nothing,
    Pull(bool),
    Open(bool),
    Merged(bool),
    Locked(bool),
    Draft(bool),
    Reason(String),
    Label(Vec<String>),
    NoLabel,
    NoAssignee,
    NoMilestone,
    Assignee(String),
    Author(String),
    Commenter(String),
    Mentions(String),
    Involves(String),
    /// Milestone numbers whose title matched.
    Milestone(Vec<u64>),
    Comments(Range),
    Created(Range),
    Updated(Range),
    Closed(Range),
    MergedAt(Range),
    Review(String),
    ReviewedBy(String),
    ReviewRequested(String),
    Base(String),
    Head(String),
    Status(String),
    Text(String),
}

/// A sort order for issue search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IssueSort {
    /// Best match; the fake ranks newest first.
    BestMatch,
    Comments,
    Created,
    Updated,
    /// Reactions of one kind (index into GitHub's eight), or all of them.
    Reactions(Option<usize>),
    /// Comments plus reactions.
    Interactions,
}

/// A parsed issue search.
#[derive(Debug, Clone)]
pub(crate) struct IssueQuery {
    tests: Vec<(bool, Test)>,
    in_title: bool,
    in_body: bool,
    in_comments: bool,
    /// A `sort:` qualifier inside the query, which overrides the `sort` parameter.
    pub(crate) sort: Option<(IssueSort, bool)>,
}

/// The words of a query: `(negated, key, value)`, `key` empty for free text.
fn tokens(q: &str) -> Vec<(bool, String, String)> {
    let mut out = Vec::new();
    let mut chars = q.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let mut raw = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if c == '"' {
                quoted = !quoted;
            } else if c.is_whitespace() && !quoted {
                break;
            }
            raw.push(c);
            chars.next();
        }
        let (negated, body) = match raw.strip_prefix('-') {
            Some(rest) if first == '-' && !rest.is_empty() => (true, rest),
            _ => (false, raw.as_str()),
        };
        let unquote = |s: &str| s.replace('"', "");
        match body.split_once(':') {
            Some((key, value)) if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-') => {
                out.push((negated, key.to_ascii_lowercase(), unquote(value)));
            }
            _ => out.push((negated, String::new(), unquote(body))),
        }
    }
    out
}

/// Qualifiers GitHub has that the fake does not implement.
const UNIMPLEMENTED: [&str; 9] = [
    "project",
    "team",
    "team-review-requested",
    "user-review-requested",
    "linked",
    "language",
    "parent-issue",
    "has",
    "reactions",
];

impl IssueQuery {
    /// Parses `q` for a search over `data`.
    pub(crate) fn parse(q: &str, data: &Data) -> Result<IssueQuery, SearchError> {
        let mut query =
            IssueQuery { tests: Vec::new(), in_title: false, in_body: false, in_comments: false, sort: None };
        for (negated, key, value) in tokens(q) {
            let invalid = |what: &str| SearchError::Invalid(format!("The value {value:?} is not valid for {what}."));
            let test = match key.as_str() {
                "" if value == "OR" || value == "(" || value == ")" => {
                    return Err(SearchError::Unsupported("OR and parentheses".into()));
                }
                "" if value == "AND" => continue,
                "" if value == "NOT" => return Err(SearchError::Unsupported("NOT".into())),
                "" => Test::Text(value.to_lowercase()),
                "repo" => match value.split_once('/') {
                    Some((o, r)) if o.eq_ignore_ascii_case(&data.owner) && r.eq_ignore_ascii_case(&data.repo) => {
                        continue;
                    }
                    Some((o, r))
                        if o.eq_ignore_ascii_case(&data.owner)
                            && data.other_repos.iter().any(|x| x.name.eq_ignore_ascii_case(r)) =>
                    {
                        Test::Nothing
                    }
                    _ => return Err(SearchError::Inaccessible),
                },
                "org" | "user" | "owner" if value.eq_ignore_ascii_case(&data.owner) => continue,
                "org" | "user" | "owner" => return Err(SearchError::Inaccessible),
                "is" => match value.to_ascii_lowercase().as_str() {
                    "issue" => Test::Pull(false),
                    "pr" | "pull-request" => Test::Pull(true),
                    "open" => Test::Open(true),
                    "closed" => Test::Open(false),
                    "merged" => Test::Merged(true),
                    "unmerged" => Test::Merged(false),
                    "locked" => Test::Locked(true),
                    "unlocked" => Test::Locked(false),
                    "draft" => Test::Draft(true),
                    "public" => continue,
                    "private" => Test::Nothing,
                    "blocked" | "blocking" | "queued" => return Err(SearchError::Unsupported(format!("is:{value}"))),
                    _ => return Err(invalid("is")),
                },
                "type" => match value.to_ascii_lowercase().as_str() {
                    "issue" => Test::Pull(false),
                    "pr" => Test::Pull(true),
                    _ => return Err(SearchError::Unsupported(format!("type:{value} (issue types)"))),
                },
                "state" => match value.to_ascii_lowercase().as_str() {
                    "open" => Test::Open(true),
                    "closed" => Test::Open(false),
                    _ => return Err(invalid("state")),
                },
                "reason" => match value.to_ascii_lowercase().replace(' ', "_").as_str() {
                    r @ ("completed" | "not_planned" | "reopened") => Test::Reason(r.to_string()),
                    _ => return Err(invalid("reason")),
                },
                "label" => Test::Label(value.split(',').map(|l| l.trim().to_lowercase()).collect()),
                "no" => match value.to_ascii_lowercase().as_str() {
                    "label" => Test::NoLabel,
                    "assignee" => Test::NoAssignee,
                    "milestone" => Test::NoMilestone,
                    "project" => continue,
                    _ => return Err(invalid("no")),
                },
                "assignee" => Test::Assignee(value.to_lowercase()),
                "author" => Test::Author(value.to_lowercase()),
                "commenter" => Test::Commenter(value.to_lowercase()),
                "mentions" => Test::Mentions(value.to_lowercase()),
                "involves" => Test::Involves(value.to_lowercase()),
                "milestone" => Test::Milestone(
                    data.milestones.iter().filter(|m| m.title.eq_ignore_ascii_case(&value)).map(|m| m.number).collect(),
                ),
                "comments" | "interactions" => Test::Comments(number_range(&value).ok_or_else(|| invalid(&key))?),
                "created" => Test::Created(date_range(&value).ok_or_else(|| invalid(&key))?),
                "updated" => Test::Updated(date_range(&value).ok_or_else(|| invalid(&key))?),
                "closed" => Test::Closed(date_range(&value).ok_or_else(|| invalid(&key))?),
                "merged" => Test::MergedAt(date_range(&value).ok_or_else(|| invalid(&key))?),
                "review" => match value.to_ascii_lowercase().as_str() {
                    r @ ("none" | "required" | "approved" | "changes_requested") => Test::Review(r.to_string()),
                    _ => return Err(invalid("review")),
                },
                "reviewed-by" => Test::ReviewedBy(value.to_lowercase()),
                "review-requested" => Test::ReviewRequested(value.to_lowercase()),
                "draft" => match value.as_str() {
                    "true" => Test::Draft(true),
                    "false" => Test::Draft(false),
                    _ => return Err(invalid("draft")),
                },
                "base" => Test::Base(value.clone()),
                "head" => Test::Head(value.clone()),
                "status" => match value.as_str() {
                    s @ ("success" | "failure" | "pending") => Test::Status(s.to_string()),
                    _ => return Err(invalid("status")),
                },
                "archived" => match value.as_str() {
                    "false" => continue,
                    "true" => Test::Nothing,
                    _ => return Err(invalid("archived")),
                },
                "in" => {
                    for field in value.split(',') {
                        match field {
                            "title" => query.in_title = true,
                            "body" => query.in_body = true,
                            "comments" => query.in_comments = true,
                            _ => return Err(invalid("in")),
                        }
                    }
                    continue;
                }
                "sort" => {
                    let (field, dir) = match value.rsplit_once('-') {
                        Some((f, d @ ("asc" | "desc"))) => (f, d),
                        _ => (value.as_str(), "desc"),
                    };
                    let sort = IssueSort::parse(field).ok_or_else(|| invalid("sort"))?;
                    query.sort = Some((sort, dir == "desc"));
                    continue;
                }
                k if UNIMPLEMENTED.contains(&k) => return Err(SearchError::Unsupported(format!("the {k}: qualifier"))),
                _ => return Err(SearchError::Invalid(format!("{key:?} is not a recognized search qualifier."))),
            };
            query.tests.push((negated, test));
        }
        if !(query.in_title || query.in_body || query.in_comments) {
            query.in_title = true;
            query.in_body = true;
        }
        Ok(query)
    }

    /// Whether `item` matches every qualifier and word.
    pub(crate) fn matches(&self, item: &Item) -> bool {
        self.tests.iter().all(|(negated, test)| self.test(item, test) != *negated)
    }

    fn test(&self, item: &Item, test: &Test) -> bool {
        let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        let pull = match item {
            Item::Pull(p) => Some(*p),
            Item::Issue(_) => None,
        };
        match test {
            Test::Nothing => false,
            Test::Pull(want) => item.is_pull() == *want,
            Test::Open(want) => item.is_open() == *want,
            Test::Merged(want) => pull.is_some_and(|p| p.is_merged() == *want && p.state == "closed"),
            Test::Locked(want) => item.locked() == *want,
            Test::Draft(want) => pull.is_some_and(|p| p.draft == *want),
            Test::Reason(r) => matches!(item, Item::Issue(i) if i.state_reason.as_deref() == Some(r.as_str())),
            Test::Label(any) => item.labels().iter().any(|l| any.iter().any(|a| eq(l, a))),
            Test::NoLabel => item.labels().is_empty(),
            Test::NoAssignee => item.assignees().is_empty(),
            Test::NoMilestone => item.milestone().is_none(),
            Test::Assignee(login) => {
                if login == "*" {
                    !item.assignees().is_empty()
                } else {
                    item.assignees().iter().any(|a| eq(a, login))
                }
            }
            Test::Author(login) => eq(item.author(), login),
            Test::Commenter(login) => item.comments().iter().any(|c| eq(&c.user, login)),
            Test::Mentions(login) => mentions(item.body(), login),
            Test::Involves(login) => {
                eq(item.author(), login)
                    || item.assignees().iter().any(|a| eq(a, login))
                    || item.comments().iter().any(|c| eq(&c.user, login))
                    || mentions(item.body(), login)
            }
            Test::Milestone(numbers) => item.milestone().is_some_and(|m| numbers.contains(&m)),
            Test::Comments(r) => r.contains(item.comment_count() as i64),
            Test::Created(r) => r.contains(item.created_at()),
            Test::Updated(r) => r.contains(item.updated_at()),
            Test::Closed(r) => item.closed_at().is_some_and(|t| r.contains(t)),
            Test::MergedAt(r) => item.merged_at().is_some_and(|t| r.contains(t)),
            Test::Review(state) => pull.is_some_and(|p| {
                let latest = p.latest_review().map(|r| r.state.as_str());
                match state.as_str() {
                    "none" => p.reviews.is_empty(),
                    "approved" => latest == Some("APPROVED"),
                    "changes_requested" => latest == Some("CHANGES_REQUESTED"),
                    _ => latest != Some("APPROVED"),
                }
            }),
            Test::ReviewedBy(login) => pull.is_some_and(|p| p.reviews.iter().any(|r| eq(&r.user, login))),
            Test::ReviewRequested(login) => pull.is_some_and(|p| p.requested_reviewers.iter().any(|r| eq(r, login))),
            Test::Base(b) => pull.is_some_and(|p| p.base_ref == *b),
            Test::Head(h) => pull.is_some_and(|p| p.head_ref == *h),
            Test::Status(s) => pull.is_some_and(|p| combined_state(&p.statuses) == s),
            Test::Text(word) => {
                let found = |text: &str| contains_ci(text, word);
                (self.in_title && found(item.title()))
                    || (self.in_body && found(item.body()))
                    || (self.in_comments && item.comments().iter().any(|c| found(&c.body)))
            }
        }
    }
}

fn mentions(body: &str, login: &str) -> bool {
    contains_ci(body, &format!("@{login}"))
}

/// Case-insensitive substring test; `needle` is already lowercase.
fn contains_ci(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        haystack.to_lowercase().contains(needle)
    }
}

/// `>N`, `>=N`, `<N`, `<=N`, `N..M`, `N..*`, `*..M` or `N`.
fn number_range(v: &str) -> Option<Range> {
    let n = |s: &str| s.trim().parse::<i64>().ok();
    range(v, |s| n(s).map(|x| (x, x + 1)))
}

/// Like [`number_range`] over dates (`2026-08-03`, a whole UTC day) and timestamps
/// (`2026-08-03T12:00:00Z`, one second).
fn date_range(v: &str) -> Option<Range> {
    range(v, |s| {
        let t = parse_timestamp(s).ok()?;
        Some((t, if s.trim().len() == 10 { t + DAY } else { t + 1 }))
    })
}

/// Parses a comparison over values whose `point` is `[start, end)`.
fn range(v: &str, point: impl Fn(&str) -> Option<(i64, i64)>) -> Option<Range> {
    const ALL: Range = Range { lo: i64::MIN, hi: i64::MAX };
    if let Some(rest) = v.strip_prefix(">=") {
        return Some(Range { lo: point(rest)?.0, ..ALL });
    }
    if let Some(rest) = v.strip_prefix('>') {
        return Some(Range { lo: point(rest)?.1, ..ALL });
    }
    if let Some(rest) = v.strip_prefix("<=") {
        return Some(Range { hi: point(rest)?.1, ..ALL });
    }
    if let Some(rest) = v.strip_prefix('<') {
        return Some(Range { hi: point(rest)?.0, ..ALL });
    }
    if let Some((a, b)) = v.split_once("..") {
        let lo = if a == "*" { i64::MIN } else { point(a)?.0 };
        let hi = if b == "*" { i64::MAX } else { point(b)?.1 };
        return Some(Range { lo, hi });
    }
    let (lo, hi) = point(v)?;
    Some(Range { lo, hi })
}

impl IssueSort {
    /// GitHub's `sort` parameter values; `None` for an unknown one.
    pub(crate) fn parse(sort: &str) -> Option<IssueSort> {
        const REACTIONS: [&str; 8] = ["+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"];
        Some(match sort {
            "" | "best-match" => IssueSort::BestMatch,
            "comments" => IssueSort::Comments,
            "created" => IssueSort::Created,
            "updated" => IssueSort::Updated,
            "reactions" => IssueSort::Reactions(None),
            "interactions" => IssueSort::Interactions,
            other => {
                let kind = other.strip_prefix("reactions-")?;
                let emoji = match kind {
                    "thinking_face" => "confused",
                    "smile" => "laugh",
                    "tada" => "hooray",
                    k => k,
                };
                IssueSort::Reactions(Some(REACTIONS.iter().position(|r| *r == emoji)?))
            }
        })
    }
}

/// Sorts search results; ties go by number in the same direction.
pub(crate) fn sort_items(items: &mut [Item], sort: IssueSort, descending: bool, reactions: impl Fn(&Item) -> [u64; 8]) {
    let key = |item: &Item| -> i64 {
        match sort {
            IssueSort::BestMatch | IssueSort::Created => item.created_at(),
            IssueSort::Updated => item.updated_at(),
            IssueSort::Comments => item.comment_count() as i64,
            IssueSort::Reactions(None) => reactions(item).iter().sum::<u64>() as i64,
            IssueSort::Reactions(Some(k)) => reactions(item)[k] as i64,
            IssueSort::Interactions => (item.comment_count() + reactions(item).iter().sum::<u64>()) as i64,
        }
    };
    let descending = descending || sort == IssueSort::BestMatch;
    let mut keyed: Vec<(i64, u64, Item)> = items.iter().map(|i| (key(i), i.number(), *i)).collect();
    keyed.sort_by(|a, b| {
        let order = a.0.cmp(&b.0).then(a.1.cmp(&b.1));
        if descending { order.reverse() } else { order }
    });
    for (slot, (_, _, item)) in items.iter_mut().zip(keyed) {
        *slot = item;
    }
}

/// A parsed repository search.
#[derive(Debug, Clone)]
pub(crate) struct RepoQuery {
    words: Vec<String>,
    language: Option<String>,
    topic: Option<String>,
    stars: Option<Range>,
    names_only: Option<String>,
}

impl RepoQuery {
    /// Parses `q` for a search over `data`'s repositories.
    pub(crate) fn parse(q: &str, data: &Data) -> Result<RepoQuery, SearchError> {
        let mut query = RepoQuery { words: Vec::new(), language: None, topic: None, stars: None, names_only: None };
        for (negated, key, value) in tokens(q) {
            if negated {
                return Err(SearchError::Unsupported("negated repository qualifiers".into()));
            }
            match key.as_str() {
                "" => query.words.push(value.to_lowercase()),
                "org" | "user" if value.eq_ignore_ascii_case(&data.owner) => {}
                "org" | "user" => return Err(SearchError::Inaccessible),
                "repo" => match value.split_once('/') {
                    Some((o, r)) if o.eq_ignore_ascii_case(&data.owner) => query.names_only = Some(r.to_lowercase()),
                    _ => return Err(SearchError::Inaccessible),
                },
                "language" => query.language = Some(value.to_lowercase()),
                "topic" => query.topic = Some(value.to_lowercase()),
                "stars" => {
                    query.stars =
                        Some(number_range(&value).ok_or_else(|| {
                            SearchError::Invalid(format!("The value {value:?} is not valid for stars."))
                        })?)
                }
                "in" | "is" | "fork" | "archived" => {}
                other => return Err(SearchError::Unsupported(format!("the {other}: qualifier"))),
            }
        }
        Ok(query)
    }

    /// Whether `repo` matches.
    pub(crate) fn matches(&self, repo: &Repo) -> bool {
        let text = format!("{} {} {}", repo.name, repo.description, repo.topics.join(" ")).to_lowercase();
        self.words.iter().all(|w| text.contains(w.as_str()))
            && self.language.as_ref().is_none_or(|l| repo.language.as_ref().is_some_and(|x| x.to_lowercase() == *l))
            && self.topic.as_ref().is_none_or(|t| repo.topics.iter().any(|x| x == t))
            && self.stars.is_none_or(|r| r.contains(repo.stargazers_count as i64))
            && self.names_only.as_ref().is_none_or(|n| repo.name.to_lowercase() == *n)
    }
}

/// Orders repositories for a `sort` value (`stars`, `forks`, `updated`; default stars).
pub(crate) fn sort_repos(repos: &mut [&Repo], sort: &str, descending: bool) {
    repos.sort_by(|a, b| {
        let order = match sort {
            "forks" => a.forks_count.cmp(&b.forks_count),
            "updated" => a.updated_at.cmp(&b.updated_at),
            _ => a.stargazers_count.cmp(&b.stargazers_count),
        }
        .then_with(|| a.name.cmp(&b.name));
        if descending { order.reverse() } else { order }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::data::NOW;
    use crate::github::testing::data;

    #[test]
    fn tokens_keep_quoted_values_together_and_mark_negation() {
        assert_eq!(
            tokens(r#"repo:acme/widgets -label:"good first issue" "renders blank" state:open"#),
            vec![
                (false, "repo".to_string(), "acme/widgets".to_string()),
                (true, "label".to_string(), "good first issue".to_string()),
                (false, String::new(), "renders blank".to_string()),
                (false, "state".to_string(), "open".to_string()),
            ]
        );
        assert_eq!(
            tokens("-wontfix a:b:c"),
            vec![(true, String::new(), "wontfix".to_string()), (false, "a".to_string(), "b:c".to_string())]
        );
    }

    #[test]
    fn plain_dates_cover_whole_days_and_timestamps_single_seconds() {
        let day = NOW;
        let r = date_range("<2026-11-01").expect("range");
        assert!(r.contains(day - 1) && !r.contains(day));
        let r = date_range("<=2026-11-01").expect("range");
        assert!(r.contains(day + DAY - 1) && !r.contains(day + DAY));
        let r = date_range(">2026-11-01").expect("range");
        assert!(!r.contains(day + DAY - 1) && r.contains(day + DAY));
        let r = date_range("2026-10-01..2026-10-31").expect("range");
        assert!(r.contains(day - 31 * DAY) && r.contains(day - 1) && !r.contains(day));
        let r = date_range(">=2026-11-01T00:00:00Z").expect("range");
        assert!(r.contains(day) && !r.contains(day - 1));
        assert_eq!(date_range("last tuesday"), None);
    }

    #[test]
    fn number_ranges_follow_github_comparisons() {
        let r = number_range(">10").expect("range");
        assert!(!r.contains(10) && r.contains(11));
        let r = number_range("10..*").expect("range");
        assert!(r.contains(10) && r.contains(1_000));
        let r = number_range("3").expect("range");
        assert!(r.contains(3) && !r.contains(4));
        assert_eq!(number_range(">ten"), None);
    }

    #[test]
    fn unimplemented_github_qualifiers_are_unsupported_and_unknown_ones_invalid() {
        assert!(matches!(IssueQuery::parse("linked:pr", data()), Err(SearchError::Unsupported(_))));
        assert!(matches!(IssueQuery::parse("colour:red", data()), Err(SearchError::Invalid(_))));
        assert!(matches!(IssueQuery::parse("repo:acme/missing", data()), Err(SearchError::Inaccessible)));
        let q = IssueQuery::parse("sort:comments-asc is:issue", data()).expect("query");
        assert_eq!(q.sort, Some((IssueSort::Comments, false)));
    }
}
