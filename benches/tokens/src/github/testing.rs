//! Helpers for the fake GitHub's tests: one shared data set, and requests sent to the
//! router in process (no network) with their status, headers and JSON body.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use super::{Data, RequestLog, router};

/// The data set the tests share (seed 42), generated once.
pub(crate) fn data() -> &'static Arc<Data> {
    static DATA: OnceLock<Arc<Data>> = OnceLock::new();
    DATA.get_or_init(|| Arc::new(Data::generate(42)))
}

/// A router over [`data`] with its own request log.
pub(crate) struct Fake {
    router: Router,
    pub(crate) log: RequestLog,
}

/// An answer: status, headers and the body as JSON (`Null` if it is not JSON).
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Reply {
    /// The `Link` header, if any.
    pub(crate) fn link(&self) -> Option<&str> {
        self.headers.get(header::LINK).and_then(|l| l.to_str().ok())
    }

    /// The `page` number of the `Link` header's `rel` (`next`, `last`, ...).
    pub(crate) fn link_page(&self, rel: &str) -> Option<usize> {
        let link = self.link()?;
        let entry = link.split(", ").find(|e| e.ends_with(&format!("rel=\"{rel}\"")))?;
        let url = entry.strip_prefix('<')?.split('>').next()?;
        let query = url.split_once('?')?.1;
        query.split('&').find_map(|pair| pair.strip_prefix("page=")).and_then(|n| n.parse().ok())
    }

    /// The body's array (or search `items`) length.
    pub(crate) fn len(&self) -> usize {
        self.body.as_array().or_else(|| self.body["items"].as_array()).map_or(0, Vec::len)
    }
}

impl Fake {
    pub(crate) fn new() -> Fake {
        let log = RequestLog::new();
        Fake { router: router(data().clone(), log.clone()), log }
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        Reply { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
    }

    /// `GET uri` (a path under the host, e.g. `/api/v3/user`).
    pub(crate) async fn get(&self, uri: &str) -> Reply {
        self.request(Method::GET, uri, Body::empty()).await
    }

    pub(crate) async fn request(&self, method: Method, uri: &str, body: Body) -> Reply {
        let request = Request::builder().method(method).uri(uri).header(header::HOST, "127.0.0.2").body(body);
        self.send(request.expect("a valid request")).await
    }

    /// `POST /api/graphql` with `query` and `variables`.
    pub(crate) async fn graphql(&self, query: &str, variables: Value) -> Reply {
        let body = json!({"query": query, "variables": variables}).to_string();
        self.request(Method::POST, "/api/graphql", Body::from(body)).await
    }
}

/// The keys go-github's `User` reads from a simple user, all of which GitHub sends.
pub(crate) const USER_KEYS: [&str; 18] = [
    "login",
    "id",
    "node_id",
    "avatar_url",
    "gravatar_id",
    "url",
    "html_url",
    "followers_url",
    "following_url",
    "gists_url",
    "starred_url",
    "subscriptions_url",
    "organizations_url",
    "repos_url",
    "events_url",
    "received_events_url",
    "type",
    "site_admin",
];

/// Asserts that `value` is an object holding every key in `keys`.
#[track_caller]
pub(crate) fn assert_keys(value: &Value, keys: &[&str]) {
    let object = value.as_object().unwrap_or_else(|| panic!("not an object: {value}"));
    let missing: Vec<&&str> = keys.iter().filter(|k| !object.contains_key(**k)).collect();
    assert!(missing.is_empty(), "missing {missing:?} in {value}");
}

/// Asserts that `value` is a user object for `login`.
#[track_caller]
pub(crate) fn assert_user(value: &Value, login: &str) {
    assert_keys(value, &USER_KEYS);
    assert_eq!(value["login"], login);
    assert!(value["id"].as_u64().is_some_and(|id| id > 0), "{value}");
}
