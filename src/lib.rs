//! Sluice runs small untrusted programs that call MCP tools, in a deny-by-default WebAssembly sandbox.
//!
//! A [`Runtime`] compiles and caches programs; a [`Program`] runs under an
//! [`ExecutionPolicy`] with a [`ToolHost`] behind the tool-call ABI
//! (`guest-sdk/ABI.md`), and every run ends in a [`RunOutcome`]. See
//! `docs/ARCHITECTURE.md` for the code map and its invariants.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use sluice::{ExecutionPolicy, NoTools, RunControl, Runtime, RuntimeConfig};
//!
//! let runtime = Runtime::new(RuntimeConfig::default())?;
//! let program = runtime.load_file("program.wasm")?;
//! let outcome = program.run(&ExecutionPolicy::default(), Arc::new(NoTools), &RunControl::new()).await?;
//! println!("{}", String::from_utf8_lossy(&outcome.stdout));
//! eprintln!("{}", outcome.summary());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod bindings;
pub mod config;
mod control;
mod error;
mod js;
mod launch;
pub mod mcp;
mod module_cache;
mod outcome;
mod policy;
mod sandbox;
mod scratch;
pub mod serve;
pub mod suggest;
pub mod terminal;
pub mod tools;
pub mod trust;
mod typescript;
pub mod units;

pub use control::{Asker, LogSink, Progress, RunControl};
pub use error::{LaunchError, LoadError, RunError, RuntimeError, chain};
pub use js::JavaScript;
pub use launch::{Language, Launched, Launcher, Source, WorkspaceChoice};
pub use module_cache::CompileSource;
pub use outcome::{LimitKind, LogRecord, RunOutcome, RunStats, RunStatus, ServerStats};
pub use policy::{ExecutionLimits, ExecutionPolicy, LimitAboveCeiling, LimitRequest, SkillsGrant};
pub use sandbox::{Hibernated, Program, ProgramInput, Runtime, RuntimeConfig};
pub use scratch::{CleanupError, ScratchWorkspace};
pub use tools::{
    InProcessTools, NoTools, ServerActivity, ServerInfo, ToolCall, ToolCallError, ToolDefinition, ToolHost, ToolResult,
};
pub use typescript::{TypeScriptError, strip_types};

/// The `sluice_v1` ABI's function table, for tests that check it against `guest-sdk/ABI.md`.
#[doc(hidden)]
pub fn abi_functions() -> &'static [(&'static str, usize, usize)] {
    &sandbox::abi::FUNCTIONS
}
