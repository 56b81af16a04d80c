//! A fake GitHub: deterministic data and the REST routes and GraphQL queries
//! the benchmark's scenarios make the real `github-mcp-server` send.

// TEMPORARY stub of the contract until the fake-github branch lands.
pub struct Data { pub now: i64, pub owner: String, pub repo: String, pub issues: Vec<Issue>, pub pulls: Vec<Pull>, pub commits: Vec<Commit>, pub tags: Vec<Tag> }
pub struct Issue { pub number: u64, pub title: String, pub state: IssueState, pub labels: Vec<String>, pub assignees: Vec<String>, pub comments: Vec<Comment>, pub updated_at: i64, pub created_at: i64 }
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum IssueState { Open, Closed }
pub struct Comment { pub id: u64 }
pub struct Pull { pub number: u64, pub state: String, pub labels: Vec<String>, pub merged_at: Option<i64>, pub merge_commit_sha: Option<String>, pub files: Vec<PullFile>, pub reviews: Vec<Review>, pub created_at: i64 }
pub struct PullFile { pub filename: String }
pub struct Review { pub state: String, pub submitted_at: i64, pub user: String }
pub struct Commit { pub sha: String, pub message: String, pub date: i64, pub parents: Vec<String> }
pub struct Tag { pub name: String, pub sha: String }
impl Data { pub fn issue(&self, n: u64) -> Option<&Issue> { self.issues.get(n as usize - 1) } }
pub fn rfc3339(_secs: i64) -> String { unimplemented!() }
impl Data { pub fn generate(_s: u64) -> Data { unimplemented!() } }
#[derive(Debug, thiserror::Error)] #[error("x")] pub struct StartError;
pub struct FakeGitHub;
impl FakeGitHub { pub async fn start(_d: std::sync::Arc<Data>) -> Result<FakeGitHub, StartError> { unimplemented!() } pub fn unserved(&self) -> Vec<String> { vec![] } pub fn served(&self) -> std::collections::BTreeMap<String, u64> { Default::default() } pub async fn stop(self) {} }
