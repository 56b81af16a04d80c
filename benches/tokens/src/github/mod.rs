//! A fake GitHub: deterministic data and the REST routes and GraphQL queries
//! the benchmark's scenarios make the real `github-mcp-server` send.
//!
//! `github-mcp-server stdio --toolsets all --gh-host http://127.0.0.2` calls
//! `http://127.0.0.2/api/v3/...` (REST) and `POST http://127.0.0.2/api/graphql`, always
//! on port 80. [`FakeGitHub::start`] serves [`Data`] there; [`router`] is the same
//! service for in-process tests.
//!
//! - [`data`]: the data set, generated from a seed ([`Data::generate`]); scenarios
//!   compute their expected answers from it directly.
//! - `render`: GitHub's JSON shapes, every field GitHub sends, in its order. Bodies
//!   carry github.com's URLs (`https://api.github.com/...`), as a github.com user's
//!   server would return them, so token counts are github.com's; only `Link` headers
//!   point at the fake's own host, since clients follow them.
//! - `rest`, `search`, `graphql`: which objects each route and query sends.
//! - `server`: binding, routing, the request log ([`FakeGitHub::unserved`],
//!   [`FakeGitHub::served`]), GitHub's error bodies and pagination.
//!
//! **Invariant:** a request the fake cannot answer faithfully is never answered
//! approximately: it gets GitHub's 404 (REST), 422 (unsupported search syntax) or
//! error shape (GraphQL), and is recorded in `unserved()`.

mod clock;
pub mod data;
mod graphql;
#[cfg(test)]
mod live_tests;
mod render;
mod rest;
mod rng;
mod search;
mod server;
mod text;

pub use data::Data;
pub use server::{FakeGitHub, HOST, PORT, RequestLog, StartError, router};
#[cfg(test)]
mod testing;
