//! The integration suite: one test binary, a module per area, each test named for what a user observes.

#![forbid(unsafe_code)]

mod abi_contract;
mod cli;
mod files;
mod guest_build;
mod guests;
mod hardening;
mod hibernation;
mod hostile;
mod hostile_servers;
mod hostile_tool_lists;
mod inspector;
mod javascript;
mod mcp_servers;
mod oauth;
mod properties;
mod redis_server;
mod retrieval_queries;
mod run_output;
mod serve;
mod slot_memory;
mod style;
mod support;
mod tool_list_cache;
mod tool_results;
mod workspace;
