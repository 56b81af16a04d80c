//! The fake GitHub's HTTP side: binding 127.0.0.2:80, the axum router, the record of
//! what was and was not served, GitHub's error bodies and its pagination (`page`,
//! `per_page`, `Link` headers).

use std::collections::BTreeMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, MatchedPath, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::data::Data;
use super::render::Store;
use super::{graphql, rest};

/// The address `github-mcp-server --gh-host http://127.0.0.2` calls (it always uses port 80).
pub const HOST: &str = "127.0.0.2";
/// The port `--gh-host` makes the server call.
pub const PORT: u16 = 80;
/// Where the REST routes live under the host (GitHub Enterprise's layout).
const REST_PREFIX: &str = "/api/v3";
/// How long [`FakeGitHub::stop`] lets open connections finish before dropping them.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Why the fake GitHub could not start listening.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Something else listens on the address.
    #[error(
        "{addr} is already in use, probably by another fake GitHub or a web server; the benchmark \
         needs it free because github-mcp-server --gh-host always calls port 80"
    )]
    AddrInUse {
        /// The address asked for.
        addr: SocketAddr,
        /// The bind error.
        #[source]
        source: io::Error,
    },
    /// The process may not listen on a privileged port.
    #[error(
        "not permitted to listen on {addr}: ports below 1024 need root or CAP_NET_BIND_SERVICE \
         (e.g. `sudo setcap cap_net_bind_service=+ep` on the benchmark binary)"
    )]
    NotPermitted {
        /// The address asked for.
        addr: SocketAddr,
        /// The bind error.
        #[source]
        source: io::Error,
    },
    /// The address does not exist on this machine.
    #[error("{addr} is not an address of this machine (on macOS, add it with `sudo ifconfig lo0 alias 127.0.0.2`)")]
    AddrNotAvailable {
        /// The address asked for.
        addr: SocketAddr,
        /// The bind error.
        #[source]
        source: io::Error,
    },
    /// Any other failure to listen.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The bind error.
        #[source]
        source: io::Error,
    },
}

impl StartError {
    fn from_bind(addr: SocketAddr, source: io::Error) -> StartError {
        match source.kind() {
            io::ErrorKind::AddrInUse => StartError::AddrInUse { addr, source },
            io::ErrorKind::PermissionDenied => StartError::NotPermitted { addr, source },
            io::ErrorKind::AddrNotAvailable => StartError::AddrNotAvailable { addr, source },
            _ => StartError::Bind { addr, source },
        }
    }
}

/// What the fake GitHub was asked, shared between the server and whoever started it.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    inner: Arc<Mutex<LogEntries>>,
}

#[derive(Debug, Default)]
struct LogEntries {
    unserved: Vec<String>,
    served: BTreeMap<String, u64>,
}

impl RequestLog {
    /// An empty log.
    pub fn new() -> RequestLog {
        RequestLog::default()
    }

    /// Requests that could not be served (`GET /api/v3/...?query`, with the reason in
    /// parentheses when there is one), in order.
    pub fn unserved(&self) -> Vec<String> {
        self.entries().unserved.clone()
    }

    /// Requests served, per route pattern (`GET /repos/{owner}/{repo}/pulls`) or GraphQL
    /// selection (`POST /graphql repository.issues`).
    pub fn served(&self) -> BTreeMap<String, u64> {
        self.entries().served.clone()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, LogEntries> {
        // A panic elsewhere cannot leave the log half-written: take it anyway.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record_served(&self, key: String) {
        *self.entries().served.entry(key).or_default() += 1;
    }

    fn record_unserved(&self, request: &str, reason: Option<&str>) {
        let line = match reason {
            Some(reason) => format!("{request} ({reason})"),
            None => request.to_string(),
        };
        tracing::warn!(request = %line, "the fake GitHub could not serve a request");
        self.entries().unserved.push(line);
    }
}

/// A running fake GitHub. Stops on [`FakeGitHub::stop`] or when dropped.
#[derive(Debug)]
pub struct FakeGitHub {
    addr: SocketAddr,
    log: RequestLog,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl FakeGitHub {
    /// Serves `data` on 127.0.0.2:80, where `github-mcp-server --gh-host http://127.0.0.2` calls.
    pub async fn start(data: Arc<Data>) -> Result<FakeGitHub, StartError> {
        FakeGitHub::start_on(data, SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), PORT))).await
    }

    /// Serves `data` on `addr` (port 0 picks a free port; see [`FakeGitHub::addr`]).
    pub async fn start_on(data: Arc<Data>, addr: SocketAddr) -> Result<FakeGitHub, StartError> {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| StartError::from_bind(addr, e))?;
        let bound = listener.local_addr().map_err(|e| StartError::from_bind(addr, e))?;
        let log = RequestLog::new();
        let app = router(data, log.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    // A dropped sender also ends the server.
                    let _ = stopped.await;
                })
                .await
        });
        Ok(FakeGitHub { addr: bound, log, shutdown: Some(shutdown), task: Some(task) })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests it could not serve, in order (see [`RequestLog::unserved`]).
    pub fn unserved(&self) -> Vec<String> {
        self.log.unserved()
    }

    /// Requests served per route pattern (see [`RequestLog::served`]).
    pub fn served(&self) -> BTreeMap<String, u64> {
        self.log.served()
    }

    /// Stops listening, lets open requests finish (a few seconds at most) and frees the port.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(STOP_GRACE, &mut task).await.is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Arc<Store>,
    pub(crate) log: RequestLog,
}

/// The fake GitHub as an axum router: REST under `/api/v3`, GraphQL at `/api/graphql`,
/// anything else a recorded 404. `log` receives what was and was not served.
pub fn router(data: Arc<Data>, log: RequestLog) -> Router {
    let state = AppState { store: Arc::new(Store::new(data)), log };
    let v3 = |path: &str| format!("{REST_PREFIX}{path}");
    Router::new()
        .route(&v3("/user"), get(rest::viewer))
        .route(&v3("/search/issues"), get(rest::search_issues))
        .route(&v3("/search/repositories"), get(rest::search_repositories))
        .route(&v3("/repos/{owner}/{repo}"), get(rest::repository))
        .route(&v3("/repos/{owner}/{repo}/issues/{number}"), get(rest::issue))
        .route(&v3("/repos/{owner}/{repo}/issues/{number}/comments"), get(rest::issue_comments))
        .route(&v3("/repos/{owner}/{repo}/pulls"), get(rest::pulls))
        .route(&v3("/repos/{owner}/{repo}/pulls/{number}"), get(rest::pull))
        .route(&v3("/repos/{owner}/{repo}/pulls/{number}/files"), get(rest::pull_files))
        .route(&v3("/repos/{owner}/{repo}/pulls/{number}/reviews"), get(rest::pull_reviews))
        .route(&v3("/repos/{owner}/{repo}/pulls/{number}/comments"), get(rest::pull_review_comments))
        .route(&v3("/repos/{owner}/{repo}/commits"), get(rest::commits))
        .route(&v3("/repos/{owner}/{repo}/commits/{reference}"), get(rest::commit))
        .route(&v3("/repos/{owner}/{repo}/commits/{reference}/status"), get(rest::combined_status))
        .route(&v3("/repos/{owner}/{repo}/branches"), get(rest::branches))
        .route(&v3("/repos/{owner}/{repo}/tags"), get(rest::tags))
        .route(&v3("/repos/{owner}/{repo}/git/ref/{*reference}"), get(rest::git_ref))
        .route(&v3("/repos/{owner}/{repo}/git/tags/{sha}"), get(rest::git_tag))
        .route(&v3("/repos/{owner}/{repo}/releases"), get(rest::releases))
        .route(&v3("/repos/{owner}/{repo}/releases/latest"), get(rest::latest_release))
        .route(&v3("/repos/{owner}/{repo}/releases/tags/{tag}"), get(rest::release_by_tag))
        .route("/api/graphql", post(graphql::handle))
        .route_layer(middleware::from_fn_with_state(state.clone(), record))
        .fallback(unrouted)
        .with_state(state)
}

/// Marks a response as a request the fake could not serve, with the reason.
#[derive(Debug, Clone)]
pub(crate) struct Unserved(pub(crate) String);

/// Names the response's entry in [`RequestLog::served`] (GraphQL: the selection served).
#[derive(Debug, Clone)]
pub(crate) struct ServedAs(pub(crate) String);

/// Records each routed request as served under its route pattern, or as unserved when
/// its handler marked it so (or when the route exists for another method only).
async fn record(State(state): State<AppState>, matched: MatchedPath, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let request = format!("{method} {}", req.uri());
    let mut response = next.run(req).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        state.log.record_unserved(&request, None);
        return ApiError::not_found().into_response();
    }
    if let Some(Unserved(reason)) = response.extensions_mut().remove::<Unserved>() {
        state.log.record_unserved(&request, Some(&reason));
    } else {
        let key = match response.extensions_mut().remove::<ServedAs>() {
            Some(ServedAs(key)) => key,
            None => {
                let pattern = matched.as_str();
                format!("{method} {}", pattern.strip_prefix(REST_PREFIX).unwrap_or(pattern))
            }
        };
        state.log.record_served(key);
    }
    response
}

async fn unrouted(State(state): State<AppState>, req: Request) -> Response {
    state.log.record_unserved(&format!("{} {}", req.method(), req.uri()), None);
    ApiError::not_found().into_response()
}

/// A REST error as GitHub sends it, possibly marked as a gap of the fake.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: Value,
    unserved: Option<String>,
}

impl ApiError {
    /// GitHub's 404.
    pub(crate) fn not_found() -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            body: json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
            unserved: None,
        }
    }

    /// GitHub's 422 "Validation Failed" with one error about `field` of `resource`.
    pub(crate) fn validation(resource: &str, field: &str, message: impl Into<String>) -> ApiError {
        let docs =
            if resource == "Search" { "https://docs.github.com/v3/search" } else { "https://docs.github.com/rest" };
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({
                "message": "Validation Failed",
                "errors": [{"message": message.into(), "resource": resource, "field": field, "code": "invalid"}],
                "documentation_url": docs,
                "status": "422",
            }),
            unserved: None,
        }
    }

    /// A 422 with only a message (e.g. "Only the first 1000 search results are available").
    pub(crate) fn unprocessable(message: impl Into<String>, docs: &str) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({"message": message.into(), "documentation_url": docs, "status": "422"}),
            unserved: None,
        }
    }

    /// Marks this error as a feature the fake lacks: it is recorded in `unserved()`.
    pub(crate) fn unserved(mut self, reason: impl Into<String>) -> ApiError {
        self.unserved = Some(reason.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, json_body(&self.body)).into_response();
        if let Some(reason) = self.unserved {
            response.extensions_mut().insert(Unserved(reason));
        }
        response
    }
}

fn json_body(value: &Value) -> ([(header::HeaderName, HeaderValue); 1], String) {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"))], value.to_string())
}

/// A 200 JSON answer, with a `Link` header when there is one.
pub(crate) fn json_response(value: &Value, link: Option<String>) -> Response {
    let mut response = (StatusCode::OK, json_body(value)).into_response();
    if let Some(link) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

/// The parts of a request the handlers need: path, query and host (for `Link`s).
#[derive(Debug, Clone)]
pub(crate) struct Req {
    path: String,
    raw_query: String,
    query: Vec<(String, String)>,
    host: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Req {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri).map(|q| q.0).unwrap_or_default();
        let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or(HOST).to_string();
        Ok(Req {
            path: parts.uri.path().to_string(),
            raw_query: parts.uri.query().unwrap_or_default().to_string(),
            query,
            host,
        })
    }
}

/// Which page of a list to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    /// 1-based page number.
    pub(crate) page: usize,
    /// Items per page (1 to 100).
    pub(crate) per_page: usize,
}

impl Page {
    /// The index range of this page in a list of `len` items.
    pub(crate) fn range(self, len: usize) -> std::ops::Range<usize> {
        let start = (self.page - 1).saturating_mul(self.per_page).min(len);
        start..(start + self.per_page).min(len)
    }

    /// The number of the last page of `len` items (at least 1).
    pub(crate) fn last(self, len: usize) -> usize {
        len.div_ceil(self.per_page).max(1)
    }
}

impl Req {
    #[cfg(test)]
    pub(crate) fn for_test(path_and_query: &str) -> Req {
        let uri: axum::http::Uri = path_and_query.parse().unwrap_or_default();
        Req {
            path: uri.path().to_string(),
            raw_query: uri.query().unwrap_or_default().to_string(),
            query: Query::<Vec<(String, String)>>::try_from_uri(&uri).map(|q| q.0).unwrap_or_default(),
            host: HOST.to_string(),
        }
    }

    /// The value of query parameter `name` (the last one if repeated).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The page asked for: `page` (default 1) and `per_page` (default as given, at most
    /// 100, as GitHub caps it).
    pub(crate) fn page(&self, default_per_page: usize) -> Page {
        let number = |name: &str| self.param(name).and_then(|v| v.trim().parse::<usize>().ok());
        Page {
            page: number("page").unwrap_or(1).max(1),
            per_page: number("per_page").unwrap_or(default_per_page).clamp(1, 100),
        }
    }

    /// GitHub's `Link` header for `page` of `last` pages: `prev`, `next`, `last` and
    /// `first` as apply, none when everything fits on one page.
    pub(crate) fn link(&self, page: Page, last: usize) -> Option<String> {
        if last <= 1 && page.page <= 1 {
            return None;
        }
        let mut rels = Vec::new();
        if page.page > 1 {
            rels.push((page.page - 1, "prev"));
        }
        if page.page < last {
            rels.push((page.page + 1, "next"));
            rels.push((last, "last"));
        }
        if page.page > 1 {
            rels.push((1, "first"));
        }
        let links: Vec<String> =
            rels.iter().map(|&(n, rel)| format!("<{}>; rel=\"{rel}\"", self.url_with_page(n))).collect();
        Some(links.join(", "))
    }

    fn url_with_page(&self, page: usize) -> String {
        let mut pairs: Vec<String> = Vec::new();
        let mut replaced = false;
        for pair in self.raw_query.split('&').filter(|p| !p.is_empty()) {
            if pair == "page" || pair.starts_with("page=") {
                pairs.push(format!("page={page}"));
                replaced = true;
            } else {
                pairs.push(pair.to_string());
            }
        }
        if !replaced {
            pairs.push(format!("page={page}"));
        }
        format!("http://{}{}?{}", self.host, self.path, pairs.join("&"))
    }

    /// A page of `items` rendered by `render`, with its `Link` header.
    pub(crate) fn paged<T>(&self, items: &[T], default_per_page: usize, render: impl Fn(&T) -> Value) -> Response {
        let page = self.page(default_per_page);
        let values: Vec<Value> = items[page.range(items.len())].iter().map(render).collect();
        json_response(&Value::Array(values), self.link(page, page.last(items.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::testing::{Fake, data};
    use axum::body::Body;
    use axum::http::Method;

    #[test]
    fn a_page_in_the_middle_links_prev_next_last_and_first_like_github() {
        let req = Req::for_test("/api/v3/repos/acme/widgets/pulls?state=all&page=2&per_page=50");
        let page = req.page(30);
        assert_eq!(page, Page { page: 2, per_page: 50 });
        let base = "http://127.0.0.2/api/v3/repos/acme/widgets/pulls?state=all";
        assert_eq!(
            req.link(page, 6).as_deref(),
            Some(
                format!(
                    "<{base}&page=1&per_page=50>; rel=\"prev\", <{base}&page=3&per_page=50>; rel=\"next\", \
                     <{base}&page=6&per_page=50>; rel=\"last\", <{base}&page=1&per_page=50>; rel=\"first\""
                )
                .as_str()
            )
        );
    }

    #[test]
    fn the_first_page_links_next_and_last_and_the_last_page_prev_and_first() {
        let req = Req::for_test("/api/v3/repos/acme/widgets/tags");
        let first = req.link(req.page(30), 3).unwrap_or_default();
        assert!(first.contains("tags?page=2>; rel=\"next\"") && first.contains("tags?page=3>; rel=\"last\""));
        assert!(!first.contains("prev") && !first.contains("first"));
        let req = Req::for_test("/api/v3/repos/acme/widgets/tags?page=3");
        let last = req.link(req.page(30), 3).unwrap_or_default();
        assert!(last.contains("page=2>; rel=\"prev\"") && last.contains("page=1>; rel=\"first\""));
        assert!(!last.contains("next") && !last.contains("last"));
    }

    #[test]
    fn a_list_that_fits_on_one_page_has_no_link_header() {
        let req = Req::for_test("/api/v3/repos/acme/widgets/releases");
        assert_eq!(req.link(req.page(30), 1), None);
    }

    #[test]
    fn per_page_is_capped_at_100_and_nonsense_falls_back_to_the_defaults() {
        assert_eq!(Req::for_test("/x?per_page=500").page(30), Page { page: 1, per_page: 100 });
        assert_eq!(Req::for_test("/x?per_page=abc&page=0").page(30), Page { page: 1, per_page: 30 });
        assert_eq!(Page { page: 3, per_page: 100 }.range(250), 200..250);
        assert_eq!(Page { page: 4, per_page: 100 }.range(250), 250..250);
        assert_eq!(Page { page: 1, per_page: 30 }.last(0), 1);
    }

    #[tokio::test]
    async fn starting_twice_on_one_address_fails_with_the_port_taken_message() {
        let first =
            FakeGitHub::start_on(data().clone(), SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("first start");
        let addr = first.addr();
        let second = FakeGitHub::start_on(data().clone(), addr).await;
        let Err(error) = second else { panic!("a second server bound {addr}") };
        assert!(matches!(error, StartError::AddrInUse { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains(&addr.to_string()) && message.contains("already in use"), "{message}");
        assert!(message.contains("another fake GitHub") && message.contains("needs it free"), "{message}");
        first.stop().await;
        let again = FakeGitHub::start_on(data().clone(), addr).await.expect("the port is free after stop()");
        again.stop().await;
    }

    #[test]
    fn bind_errors_explain_privileged_ports_and_missing_addresses() {
        let addr = SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), PORT));
        let denied = StartError::from_bind(addr, io::Error::from(io::ErrorKind::PermissionDenied)).to_string();
        assert!(denied.contains("127.0.0.2:80") && denied.contains("CAP_NET_BIND_SERVICE") && denied.contains("root"));
        let missing = StartError::from_bind(addr, io::Error::from(io::ErrorKind::AddrNotAvailable)).to_string();
        assert!(missing.contains("ifconfig lo0 alias 127.0.0.2"), "{missing}");
    }

    #[tokio::test]
    async fn a_running_server_answers_over_tcp_and_counts_what_it_served() {
        let fake = FakeGitHub::start_on(data().clone(), SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("start");
        let mut stream = tokio::net::TcpStream::connect(fake.addr()).await.expect("connect");
        let request =
            "GET /api/v3/repos/acme/widgets/releases/latest HTTP/1.1\r\nHost: 127.0.0.2\r\nConnection: close\r\n\r\n";
        tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes()).await.expect("send");
        let mut response = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut response).await.expect("read");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains("\"tag_name\":\"v1.9.0\""));
        assert_eq!(fake.served().get("GET /repos/{owner}/{repo}/releases/latest"), Some(&1));
        fake.stop().await;
    }

    #[tokio::test]
    async fn an_unknown_route_gets_githubs_404_and_is_recorded_as_unserved() {
        let fake = Fake::new();
        let reply = fake.get("/api/v3/repos/acme/widgets/actions/runs?per_page=5").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(
            reply.body,
            json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
        );
        assert_eq!(fake.log.unserved(), vec!["GET /api/v3/repos/acme/widgets/actions/runs?per_page=5".to_string()]);
        assert!(fake.log.served().is_empty());
    }

    #[tokio::test]
    async fn a_known_route_called_with_another_method_is_an_unserved_404() {
        let fake = Fake::new();
        let reply = fake.request(Method::POST, "/api/v3/repos/acme/widgets/pulls", Body::from("{}")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.body["message"], "Not Found");
        assert_eq!(fake.log.unserved(), vec!["POST /api/v3/repos/acme/widgets/pulls".to_string()]);
    }

    #[tokio::test]
    async fn another_owner_or_repository_gets_404() {
        let fake = Fake::new();
        for uri in [
            "/api/v3/repos/octo/widgets/issues/1",
            "/api/v3/repos/acme/gadgets/pulls",
            "/api/v3/repos/acme/nope",
            "/api/v3/repos/acme/widgets/issues/99999",
            "/api/v3/repos/acme/widgets/pulls/5",
        ] {
            let reply = fake.get(uri).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(reply.body["status"], "404", "{uri}");
        }
    }

    #[tokio::test]
    async fn served_counts_requests_per_route_pattern() {
        let fake = Fake::new();
        fake.get("/api/v3/repos/acme/widgets/pulls/10001").await;
        fake.get("/api/v3/repos/acme/widgets/pulls/10002").await;
        fake.get("/api/v3/user").await;
        let served = fake.log.served();
        assert_eq!(served.get("GET /repos/{owner}/{repo}/pulls/{number}"), Some(&2));
        assert_eq!(served.get("GET /user"), Some(&1));
        assert!(fake.log.unserved().is_empty());
    }
}
