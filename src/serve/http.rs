//! `sluice serve --http ADDR`: Streamable HTTP, stateless, hardened.
//!
//! Every request passes the guards in order: `Host` (DNS rebinding), `Origin`
//! (403 unless allowed; none is fine for non-browser clients), bearer token
//! (401 with `WWW-Authenticate` pointing at the RFC 9728 metadata), and body
//! size (413). Then the 2025-11-25 task layer (`legacy.rs`) answers what rmcp
//! cannot, and rmcp's `StreamableHttpService` the rest, with no sessions: any
//! instance can take any request. The token's digest is the request's
//! [`Owner`]: it keys its tasks, run slots and per-client workspace.
//!
//! Discovery is public: the server card at `/mcp/server-card` and its two
//! well-known aliases, `/healthz`, and `/readyz` (503 until the interpreter is
//! ready).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use http_body_util::BodyExt;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::legacy::{Legacy, Patch, Route, patch};
use super::tasks::Owner;
use super::{Sluice, SluiceHandler, definitions};
use crate::module_cache::hex;

/// The MCP endpoint.
pub const ENDPOINT: &str = "/mcp";
/// The server card's media type.
pub const CARD_MEDIA_TYPE: &str = "application/mcp-server-card+json";
/// Protocol revisions offered over HTTP.
const PROTOCOL_VERSIONS: [&str; 2] = ["2025-11-25", "2026-07-28"];

/// How the HTTP server listens and whom it lets in.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpConfig {
    /// Where to listen. Default: 127.0.0.1:8931.
    pub addr: SocketAddr,
    /// Browser origins allowed (`https://app.example.com`, `http://localhost:*`);
    /// a request with any other `Origin` gets 403. Requests without one pass.
    pub allowed_origins: Vec<String>,
    /// Host names allowed in `Host` besides loopback and the bound address.
    pub allowed_hosts: Vec<String>,
    /// The bearer tokens clients may send (any one of them); none means no
    /// token is asked for. Each token is a client of its own: its tasks, run
    /// slots and (with `--workspace-per-token`) workspace are its own.
    pub auth_tokens: Vec<String>,
    /// The largest request body. Default: 4 MiB.
    pub max_body_bytes: usize,
    /// How long running programs may go on after a shutdown signal before they
    /// are cancelled. Default: 10 s.
    pub grace: Duration,
    /// Requests handled at once (a `tasks/result` waits, a program runs);
    /// past it a request gets 503 at once. Default: 4,096.
    pub max_requests: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8931)),
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            auth_tokens: Vec::new(),
            max_body_bytes: 4 << 20,
            grace: Duration::from_secs(10),
            max_requests: 4096,
        }
    }
}

/// Why the HTTP server could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("the HTTP server failed")]
    Serve(#[source] std::io::Error),
}

struct Shared {
    sluice: Arc<Sluice>,
    legacy: Legacy,
    config: HttpConfig,
    /// SHA-256 of each token, compared in constant time; empty when no token is asked for.
    token_digests: Vec<[u8; 32]>,
    hosts: Vec<String>,
    mcp: StreamableHttpService<SluiceHandler, NeverSessionManager>,
    in_flight: Arc<tokio::sync::Semaphore>,
}

/// Binds `config.addr` and serves until `shutdown` resolves; then stops
/// accepting, lets running programs finish for `config.grace`, cancels the
/// rest, and returns. `on_bound` learns the address (port 0 picks one).
pub async fn serve(
    sluice: Arc<Sluice>,
    config: HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_bound: impl FnOnce(SocketAddr),
) -> Result<(), HttpError> {
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| HttpError::Bind { addr: config.addr, source })?;
    let bound = listener.local_addr().map_err(HttpError::Serve)?;
    on_bound(bound);
    let stop_mcp = CancellationToken::new();
    let app = router(sluice.clone(), config.clone(), bound, stop_mcp.clone());
    let stopping = CancellationToken::new();
    let signal = stopping.clone();
    let grace = config.grace;
    let sluice_for_grace = sluice.clone();
    let graceful = async move {
        shutdown.await;
        signal.cancel();
        tracing::info!("shutting down: letting running programs finish for up to {grace:?}");
        let deadline = tokio::time::Instant::now() + grace;
        while sluice_for_grace.running() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        sluice_for_grace.cancel_all();
        stop_mcp.cancel();
    };
    axum::serve(listener, app).with_graceful_shutdown(graceful).await.map_err(HttpError::Serve)?;
    sluice.cancel_all();
    // Cancelled programs end at once; what is left is writing their ends to the task store.
    sluice.drain(Duration::from_secs(5)).await;
    Ok(())
}

/// The application: routes and guards (exposed for tests and embedders).
pub fn router(sluice: Arc<Sluice>, config: HttpConfig, bound: SocketAddr, stop: CancellationToken) -> Router {
    let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    if !bound.ip().is_unspecified() {
        hosts.push(bound.ip().to_string());
    }
    hosts.extend(config.allowed_hosts.iter().map(|h| h.to_ascii_lowercase()));
    let factory_sluice = sluice.clone();
    let mut mcp_config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(Some(Duration::from_secs(15)))
        .with_cancellation_token(stop)
        .with_max_request_body_bytes(config.max_body_bytes)
        // The guards below check Host and Origin for every route, this one included.
        .disable_allowed_hosts()
        .disable_allowed_origins();
    mcp_config.sse_retry = None;
    let mcp = StreamableHttpService::new(
        move || Ok(SluiceHandler::new(factory_sluice.clone(), Owner::anonymous())),
        Arc::new(NeverSessionManager::default()),
        mcp_config,
    );
    let shared = Arc::new(Shared {
        legacy: Legacy::new(sluice.clone()),
        sluice,
        token_digests: config.auth_tokens.iter().map(|token| Sha256::digest(token.as_bytes()).into()).collect(),
        in_flight: Arc::new(tokio::sync::Semaphore::new(config.max_requests)),
        config,
        hosts,
        mcp,
    });
    let card = get(server_card);
    Router::new()
        .route(ENDPOINT, any(mcp_endpoint))
        .route("/mcp/server-card", card.clone())
        .route("/.well-known/mcp/server-card.json", card.clone())
        .route("/.well-known/mcp.json", card)
        .route("/.well-known/oauth-protected-resource", get(protected_resource))
        .route("/.well-known/oauth-protected-resource/mcp", get(protected_resource))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

impl Owner {
    /// The owner of requests when no auth token is configured.
    pub fn anonymous() -> Owner {
        Owner("anonymous".to_owned())
    }
}

/// Host, Origin and (for the MCP endpoint) the bearer token.
async fn guard(State(shared): State<Arc<Shared>>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    if !host_allowed(headers, &shared.hosts) {
        return plain(StatusCode::FORBIDDEN, "forbidden: this Host is not served here (DNS rebinding protection)");
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        // The server's own origin (the one its allowed `Host` names) is not cross-site.
        let host = headers.get(header::HOST).and_then(|host| host.to_str().ok());
        let allowed = origin.to_str().is_ok_and(|origin| {
            host.is_some_and(|host| same_origin(origin, host)) || origin_allowed(origin, &shared.config.allowed_origins)
        });
        if !allowed {
            return plain(StatusCode::FORBIDDEN, "forbidden: this Origin is not allowed (--allowed-origin)");
        }
    }
    if request.uri().path() == ENDPOINT {
        let owner = if shared.token_digests.is_empty() {
            Owner::anonymous()
        } else {
            let presented: Option<[u8; 32]> =
                bearer(request.headers()).map(|token| Sha256::digest(token.as_bytes()).into());
            // Every digest is compared, so the time taken says nothing about which token nearly matched.
            let known = presented.is_some_and(|digest| {
                shared.token_digests.iter().fold(false, |found, expected| found | constant_time_eq(&digest, expected))
            });
            match presented {
                Some(digest) if known => Owner(format!("token:{}", hex(&digest[..16]))),
                _ => return unauthorized(&shared, request.headers()),
            }
        };
        request.extensions_mut().insert(owner);
    }
    let Ok(_permit) = shared.in_flight.clone().try_acquire_owned() else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "too many requests in flight; try again shortly");
    };
    next.run(request).await
}

/// The MCP endpoint: body cap, the 2025-11-25 task layer, then rmcp.
async fn mcp_endpoint(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    if parts.method != Method::POST {
        return forward(&shared, http::Request::from_parts(parts, Body::empty()), None).await;
    }
    let limit = shared.config.max_body_bytes;
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let bytes = match read_capped(body, limit, declared).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    let owner = parts.extensions.get::<Owner>().cloned().unwrap_or_else(Owner::anonymous);
    let Ok(message) = serde_json::from_slice::<Value>(&bytes) else {
        return forward(&shared, http::Request::from_parts(parts, Body::from(bytes)), None).await;
    };
    let protocol = parts.headers.get("mcp-protocol-version").and_then(|v| v.to_str().ok()).map(str::to_owned);
    match shared.legacy.route(&message, &owner, protocol.as_deref()) {
        Route::Answer(answer) => {
            let answer = answer.await;
            json_response(StatusCode::OK, &answer.response)
        }
        Route::Forward(kind) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            forward(&shared, http::Request::from_parts(parts, Body::from(bytes)), kind).await
        }
    }
}

/// rmcp's answer, with this era's fields added back when `kind` says so.
async fn forward(shared: &Shared, request: http::Request<Body>, kind: Option<Patch>) -> Response {
    use tower::ServiceExt as _;
    let response = match shared.mcp.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let Some(kind) = kind else { return response.map(Body::new) };
    let (mut parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    let is_sse =
        parts.headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let patched = if is_sse { patch_sse(&bytes, kind) } else { patch_json(&bytes, kind) };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(patched))
}

fn patch_json(bytes: &Bytes, kind: Patch) -> Bytes {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut message) => {
            patch(kind, &mut message);
            Bytes::from(message.to_string())
        }
        Err(_) => bytes.clone(),
    }
}

/// Patches the JSON-RPC response among an SSE body's `data:` lines.
fn patch_sse(bytes: &Bytes, kind: Patch) -> Bytes {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len() + 128);
    for line in text.split_inclusive('\n') {
        let data = line.strip_prefix("data:").map(|rest| rest.trim());
        match data.and_then(|data| serde_json::from_str::<Value>(data).ok()) {
            Some(mut message) if message.get("result").is_some() => {
                patch(kind, &mut message);
                out.push_str("data: ");
                out.push_str(&message.to_string());
                out.push('\n');
            }
            _ => out.push_str(line),
        }
    }
    Bytes::from(out)
}

/// The server card (the experimental shape of the MCP server-card proposal).
async fn server_card(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let base = base_url(&headers, &shared);
    let tools: Vec<Value> = definitions::tools(&[])
        .into_iter()
        .map(|tool| {
            let description = tool["description"].as_str().unwrap_or_default();
            let summary = description.lines().next().unwrap_or_default().to_owned();
            json!({ "name": tool["name"], "description": summary })
        })
        .collect();
    let card = json!({
        "$schema": "https://static.modelcontextprotocol.io/schemas/mcp-server-card/v1.json",
        "name": "io.github.sluice/sluice",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Runs programs that call MCP tools, in a deny-by-default sandbox; returns only what they print.",
        "title": "Sluice",
        "remotes": [{
            "type": "streamable-http",
            "url": format!("{base}{ENDPOINT}"),
            "supportedProtocolVersions": PROTOCOL_VERSIONS,
        }],
        "capabilities": { "tools": {}, "extensions": { "io.modelcontextprotocol/tasks": {} } },
        "tools": tools,
        "authentication": { "required": !shared.token_digests.is_empty(), "schemes": ["bearer"] },
    });
    let mut response = json_response(StatusCode::OK, &card);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CARD_MEDIA_TYPE));
    response
}

/// RFC 9728 protected resource metadata.
async fn protected_resource(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if shared.token_digests.is_empty() {
        return plain(StatusCode::NOT_FOUND, "this server takes no credentials");
    }
    let base = base_url(&headers, &shared);
    json_response(
        StatusCode::OK,
        &json!({
            "resource": format!("{base}{ENDPOINT}"),
            "bearer_methods_supported": ["header"],
            "resource_name": "Sluice",
        }),
    )
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    let text = shared.sluice.metrics().render(shared.sluice.launcher().runtime().hibernated());
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], text).into_response()
}

async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    if !shared.sluice.launcher().is_ready() {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "starting: the JavaScript interpreter is being prepared");
    }
    match shared.sluice.store().check().await {
        Ok(()) => plain(StatusCode::OK, "ready"),
        Err(error) => plain(StatusCode::SERVICE_UNAVAILABLE, &error.to_string()),
    }
}

fn unauthorized(shared: &Shared, headers: &HeaderMap) -> Response {
    let metadata = format!("{}/.well-known/oauth-protected-resource", base_url(headers, shared));
    let challenge = format!("Bearer realm=\"sluice\", resource_metadata=\"{metadata}\"");
    let mut response = plain(StatusCode::UNAUTHORIZED, "unauthorized: send Authorization: Bearer <token>");
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// `http://<host>` as the client addressed us (the Host header already passed the guard).
fn base_url(headers: &HeaderMap, shared: &Shared) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| shared.config.addr.to_string(), str::to_owned);
    format!("http://{host}")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn host_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let host = host.trim().to_ascii_lowercase();
    // Strip the port: `[::1]:8931`, `localhost:8931`.
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default().to_owned(),
        None => host.rsplit_once(':').map_or(host.clone(), |(name, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) { name.to_owned() } else { host.clone() }
        }),
    };
    allowed.contains(&name)
}

/// Whether `origin` is `http://` plus `host` exactly: the page would be this
/// server's own (the `Host` it names has passed the host check already).
fn same_origin(origin: &str, host: &str) -> bool {
    origin.strip_prefix("http://").is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

/// `origin` matches an allowed entry by scheme, host and port (`:*` any port;
/// no port means the scheme's default).
fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    let parse = |text: &str| -> Option<(String, String, Option<String>)> {
        let (scheme, rest) = text.split_once("://")?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => {
                (host.to_owned(), Some(port.to_owned()))
            }
            _ => (rest.to_owned(), None),
        };
        let default = match scheme {
            "https" => "443",
            "http" => "80",
            _ => "",
        };
        let port = port.or_else(|| (!default.is_empty()).then(|| default.to_owned()));
        Some((scheme.to_ascii_lowercase(), host.to_ascii_lowercase(), port))
    };
    let Some((scheme, host, port)) = parse(origin) else { return false };
    allowed.iter().any(|entry| match parse(entry) {
        Some((s, h, p)) => s == scheme && h == host && (p.as_deref() == Some("*") || p == port),
        None => false,
    })
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn plain(status: StatusCode, text: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{text}\n")).into_response()
}

/// How much of a body over the cap is read and dropped before the 413, and for how long at most.
const DRAIN_BYTES: usize = 16 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// The body, if it is at most `limit` bytes (`declared` is its `Content-Length`). Past the cap, what the
/// client is still sending is read and dropped (up to [`DRAIN_BYTES`], within [`DRAIN_TIME`]) before
/// the 413: a server that answers and closes with unread bytes pending resets the connection, and the
/// client, still writing its body, sees a broken pipe instead of the 413.
async fn read_capped(mut body: Body, limit: usize, declared: Option<usize>) -> Result<Bytes, Response> {
    let mut kept = Vec::new();
    if declared.is_none_or(|length| length <= limit) {
        loop {
            match body.frame().await {
                None => return Ok(Bytes::from(kept)),
                Some(Err(_)) => return Err(plain(StatusCode::BAD_REQUEST, "the request body could not be read")),
                Some(Ok(frame)) => {
                    let Some(data) = frame.data_ref() else { continue };
                    if kept.len() + data.len() > limit {
                        break;
                    }
                    kept.extend_from_slice(data);
                }
            }
        }
    }
    drop(kept);
    let drain = async {
        let mut dropped = 0;
        while dropped < DRAIN_BYTES {
            match body.frame().await {
                Some(Ok(frame)) => dropped += frame.data_ref().map_or(0, Bytes::len),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    Err(too_large(limit))
}

fn too_large(limit: usize) -> Response {
    let message = format!("the request body is over {limit} bytes\n");
    (StatusCode::PAYLOAD_TOO_LARGE, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_by_scheme_host_and_port() {
        let allowed = vec!["https://app.example.com".to_owned(), "http://localhost:*".to_owned()];
        assert!(origin_allowed("https://app.example.com", &allowed));
        assert!(origin_allowed("https://app.example.com:443", &allowed));
        assert!(!origin_allowed("https://app.example.com:8443", &allowed));
        assert!(!origin_allowed("http://app.example.com", &allowed));
        assert!(origin_allowed("http://localhost:3000", &allowed));
        assert!(!origin_allowed("https://evil.example", &allowed));
        assert!(!origin_allowed("null", &allowed));
        assert!(same_origin("http://localhost:8931", "localhost:8931"));
        assert!(!same_origin("http://localhost:8931", "localhost:8932"));
        assert!(!same_origin("http://evil.example:8931", "localhost:8931"));
        assert!(!same_origin("https://localhost:8931", "localhost:8931"));
    }

    #[test]
    fn hosts_match_without_their_port() {
        let allowed = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
        let headers = |host: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
            headers
        };
        assert!(host_allowed(&headers("localhost:8931"), &allowed));
        assert!(host_allowed(&headers("[::1]:8931"), &allowed));
        assert!(host_allowed(&headers("127.0.0.1"), &allowed));
        assert!(!host_allowed(&headers("attacker.example:8931"), &allowed));
        assert!(!host_allowed(&HeaderMap::new(), &allowed));
    }
}
