//! The integration suite: one test binary, a module per area, each test named for what a user observes.

mod abi_contract;
mod cli;
mod guest_build;
mod guests;
mod hostile;
mod hostile_tool_lists;
mod javascript;
mod mcp_servers;
mod style;
mod support;
