//! Write Sluice guest programs in Rust: call MCP tools (one at a time or many concurrently), discover them, and log.
//!
//! A Sluice guest is a `wasm32-wasip1` program that the host runs in a sandbox.
//! Its only way out is a set of tools, reached through the `sluice_v1` ABI
//! (`guest-sdk/ABI.md`); this crate is the safe Rust face of that ABI.
//!
//! ```no_run
//! use serde_json::json;
//! use sluice_guest::{Detail, Level, SearchOptions, ToolError};
//!
//! fn main() -> Result<(), ToolError> {
//!     // Discovery: find a tool, then read its full definition.
//!     let hits = sluice_guest::search("add numbers", SearchOptions { limit: Some(3), detail: Detail::Name })?;
//!     let add = sluice_guest::describe(&hits[0].server, &hits[0].tool)?;
//!     sluice_guest::log(Level::Info, &format!("using {}.{}", add.server, add.name));
//!
//!     // One call: `value()` is the structured content, or the parsed text.
//!     let sum = sluice_guest::call("demo", "add", &json!({ "a": 2, "b": 40 }))?.value();
//!     println!("{}", sum["sum"]);
//!
//!     // Errors a tool reports are values to handle, not crashes.
//!     if let Err(error) = sluice_guest::call("demo", "fail", &json!({})) {
//!         println!("{} failed: {}", error.tool, error.message);
//!     }
//!
//!     // Many calls at once; the results come back in the order asked.
//!     let echoes = sluice_guest::call_all((1..=5).map(|n| ("demo", "echo", json!({ "n": n }))));
//!     let ok = echoes.iter().filter(|result| result.is_ok()).count();
//!
//!     // Or start a call now and collect it later.
//!     let pending = sluice_guest::start("demo", "echo", &json!({ "later": true }));
//!     let later = pending.wait()?.value();
//!     println!("{ok} echoes, then {later}");
//!     Ok(())
//! }
//! ```
//!
//! Every operation starts without blocking, and the program parks in the host
//! only when it needs a result. When the run's `calls_in_flight` limit is
//! reached, starting another call first collects a finished one (keeping its
//! result for whoever waits on it), so a program may start any number of calls.
//!
//! The crate builds for other targets too, so `cargo check` and doc tests work
//! on the machine that builds the guest; there, no host is present and every
//! operation fails with [`ErrorKind::ServerError`].

#![warn(missing_docs)]

mod calls;
mod discovery;
mod error;
mod logging;
mod operations;
pub mod raw;
mod sys;

pub use calls::{PendingCall, ToolOutput, call, call_all, start};
pub use discovery::{Detail, SearchHit, SearchOptions, ServerSummary, ToolDescription, describe, search, servers};
pub use error::{ErrorKind, ToolError};
pub use logging::{Level, log};
