//! The token-savings benchmark: the same agent tasks on GitHub's real MCP server,
//! done by direct tool calling and by a program run through `sluice serve`,
//! with every token that passes through the model's context counted.
//!
//! - [`github`]: a fake GitHub (REST and GraphQL on 127.0.0.2:80) serving
//!   deterministic data, which the real `github-mcp-server --gh-host` calls.

#![forbid(unsafe_code)]

pub mod count;
pub mod custom;
pub mod github;
pub mod modes;
pub mod report;
pub mod run;
pub mod scenarios;
pub mod setup;
