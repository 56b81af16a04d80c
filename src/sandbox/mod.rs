//! The sandbox: a shared [`Runtime`] (engine, linker, module cache, epoch ticker) and [`Program`]s run under an [`ExecutionPolicy`].
//!
//! `runtime.rs` builds the engine and loads modules; `program.rs` runs one;
//! `ending.rs` sorts how a run ended into a [`crate::RunStatus`].

pub(crate) mod abi;
pub(crate) mod ending;
mod hibernate;
mod limits;
mod output;
mod payload;
pub(crate) mod preinit;
mod program;
mod runtime;
mod trim;
mod wasi;
mod workspace;

use std::sync::Arc;

use wasmtime_wasi::p1::WasiP1Ctx;

pub use program::{Program, ProgramInput};
pub use runtime::{Hibernated, Runtime, RuntimeConfig};

use self::abi::Operations;
use self::hibernate::Hibernation;
use self::limits::SandboxLimiter;
use self::workspace::{WorkspaceGuard, WorkspaceRules};
use crate::ExecutionPolicy;
use crate::control::{Counters, Requester};
use crate::tools::ToolHost;

/// The state a running program's store holds.
pub(crate) struct RunState {
    wasi: WasiP1Ctx,
    limiter: SandboxLimiter,
    operations: Operations,
    workspace: WorkspaceGuard,
    hibernation: Hibernation,
}

impl RunState {
    fn new(
        wasi: WasiP1Ctx,
        workspace: Option<WorkspaceRules>,
        policy: &ExecutionPolicy,
        tools: Arc<dyn ToolHost>,
        progress: Arc<Counters>,
        requester: Requester,
        hibernation: Hibernation,
    ) -> Self {
        let limits = &policy.limits;
        RunState {
            wasi,
            limiter: SandboxLimiter::new(limits.memory_bytes, limits.table_elements),
            operations: Operations::new(tools, limits.clone(), tokio::runtime::Handle::current(), progress, requester),
            workspace: WorkspaceGuard::new(workspace),
            hibernation,
        }
    }
}
