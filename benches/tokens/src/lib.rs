//! The token-savings benchmark: the same agent tasks on GitHub's real MCP server,
//! done by direct tool calling and by a program run through `sluice serve`,
//! with every token that passes through the model's context counted.
//!
//! - [`github`]: a fake GitHub (REST and GraphQL on 127.0.0.2:80) serving
//!   deterministic data, which the real `github-mcp-server --gh-host` calls.
//! - [`setup`]: the other servers and files the scenarios use, in a fixed place.
//! - [`modes`]: the two real MCP clients, direct and through `sluice serve`.
//! - [`scenarios`]: the built-in tasks, their plans, programs and independent
//!   answers; [`custom`]: a user's scenario file.
//! - [`count`]: the counting rule, the same for both modes.
//! - [`run`]: plays and verifies; [`report`]: the table and the chart.

#![forbid(unsafe_code)]

pub mod count;
pub mod custom;
pub mod github;
pub mod modes;
pub mod report;
pub mod run;
pub mod scenarios;
pub mod setup;
