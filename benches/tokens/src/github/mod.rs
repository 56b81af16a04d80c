//! A fake GitHub: deterministic data and the REST routes and GraphQL queries
//! the benchmark's scenarios make the real `github-mcp-server` send.

mod clock;
pub mod data;
mod rng;
mod text;
