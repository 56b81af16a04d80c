//! A keep-alive JSON-RPC client of `sluice serve`'s MCP endpoint, for the benchmarks that drive it over HTTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sluice::serve::http::ENDPOINT;

/// The protocol revision the benchmarks speak: stateless POSTs after one `initialize`.
pub const PROTOCOL: &str = "2025-11-25";

/// Stateless JSON-RPC POSTs to one server, on pooled keep-alive connections.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    ids: Arc<AtomicU64>,
}

impl Client {
    /// A client of the server at `address`, keeping up to `connections` idle connections.
    pub fn new(address: SocketAddr, connections: usize) -> Client {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .timeout(Duration::from_secs(120))
            .build()
            .expect("an HTTP client");
        Client { http, url: format!("http://{address}{ENDPOINT}"), ids: Arc::default() }
    }

    /// `initialize`, checking the server speaks [`PROTOCOL`].
    pub async fn initialize(&self, name: &str) {
        let params =
            json!({ "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": { "name": name, "version": "1" } });
        let initialized = self.call("initialize", params).await;
        assert_eq!(initialized["protocolVersion"], PROTOCOL, "{initialized}");
    }

    /// Sends one request and returns its `result` (panics on an error: a benchmark of failures measures nothing).
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", PROTOCOL)
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_else(|e| panic!("{method}: {e}"));
        assert!(status.is_success(), "{method}: HTTP {status}: {}", String::from_utf8_lossy(&bytes));
        let mut answer: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{method}: {e}: {}", String::from_utf8_lossy(&bytes)));
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        answer["result"].take()
    }

    /// `execute` of `code`, to its end.
    pub async fn execute(&self, code: &str) -> Value {
        self.call("tools/call", json!({ "name": "execute", "arguments": { "code": code } })).await
    }
}
