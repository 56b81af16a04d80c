//! JavaScript programs: the embedded QuickJS interpreter module (built from `sandboxes/js`), pre-initialised once and run like any program.
//!
//! The interpreter reads the program's source on stdin and its name as
//! `argv[0]` (see `sandboxes/js/src/main.rs`); everything else (policy, limits,
//! tools, outcome) is the sandbox's.

use std::sync::Arc;

use crate::module_cache::EntryKind;
use crate::sandbox::ending::STACK_OVERFLOW;
use crate::sandbox::preinit::preinitialize;
use crate::{
    ExecutionPolicy, LoadError, Program, ProgramInput, RunControl, RunError, RunOutcome, RunStatus, Runtime, ToolHost,
    strip_types,
};

/// The interpreter module as built, before pre-initialisation.
const INTERPRETER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sluice-js.wasm"));
const INTERPRETER_NAME: &str = "sluice-js.wasm";
/// [`INTERPRETER`]'s SHA-256 in hex, computed by build.rs.
const INTERPRETER_SHA256: &str = include_str!(concat!(env!("OUT_DIR"), "/sluice-js.sha256"));

/// The JavaScript sandbox: runs ES-module programs in QuickJS, with `tools`,
/// `sluice` and `console` already set up. Load once, run many times.
#[derive(Debug, Clone)]
pub struct JavaScript {
    program: Program,
}

impl JavaScript {
    /// Prepares the interpreter on `runtime`: pre-initialised (read from the
    /// runtime's cache directory when an earlier process did it) and compiled.
    pub async fn load(runtime: &Runtime) -> Result<JavaScript, LoadError> {
        // Sealed to these names like every cache entry (`module_cache.rs`): a file
        // planted here is a miss, not a foreign interpreter.
        let hash = INTERPRETER_SHA256;
        // The compiled, pre-initialised interpreter, straight from the cache: a cold
        // start then reads and checks one entry, not the module it was compiled from too.
        let compiled = format!("js-{hash}");
        if let Some(program) = runtime.load_named(INTERPRETER_NAME, &compiled) {
            return Ok(JavaScript { program });
        }
        let entry = format!("{hash}.wasm");
        if let Some(bytes) = runtime.cache().read_entry(EntryKind::Interpreter, &entry) {
            match runtime.load_and_name(INTERPRETER_NAME, &bytes, &compiled) {
                Ok(program) => return Ok(JavaScript { program }),
                Err(error) => {
                    tracing::warn!(%error, "pre-initialising the interpreter again: the cached copy is unusable");
                }
            }
        }
        let initialized = preinitialize(runtime, INTERPRETER_NAME, INTERPRETER).await?;
        runtime.cache().write_entry(EntryKind::Interpreter, &entry, &initialized);
        let program = runtime.load_and_name(INTERPRETER_NAME, &initialized, &compiled)?;
        Ok(JavaScript { program })
    }

    /// The size in bytes of the interpreter module as built.
    pub fn interpreter_size() -> usize {
        INTERPRETER.len()
    }

    /// Runs `source`, TypeScript: its types are stripped first (lines and
    /// columns stay put). TypeScript that cannot be stripped ends the run as a
    /// program failure saying where and why.
    pub async fn run_typescript(
        &self,
        name: &str,
        source: &str,
        policy: &ExecutionPolicy,
        tools: Arc<dyn ToolHost>,
        control: &RunControl,
    ) -> Result<RunOutcome, RunError> {
        match strip_types(name, source) {
            Ok(javascript) => self.run(name, &javascript, policy, tools, control).await,
            Err(error) => {
                Ok(RunOutcome::failed_to_start(format!("SyntaxError: {error}"), self.program.compile_source()))
            }
        }
    }

    /// Runs `source`, an ES module named `name` (the name shows in stack traces).
    pub async fn run(
        &self,
        name: &str,
        source: &str,
        policy: &ExecutionPolicy,
        tools: Arc<dyn ToolHost>,
        control: &RunControl,
    ) -> Result<RunOutcome, RunError> {
        let mut outcome = self.program.run_with_input(policy, tools, &ProgramInput::new(name, source), control).await?;
        if let RunStatus::Failed { exit_code: None, message } = &mut outcome.status
            && message.starts_with(STACK_OVERFLOW)
        {
            *message = JS_STACK_OVERFLOW.to_owned();
        }
        Ok(outcome)
    }
}

/// What a JavaScript program that recursed past the engine's stack is told.
/// QuickJS checks no stack depth under WASI (its `update_stack_limit` sets no
/// limit there), so deep recursion ends on the wasm stack, which cannot be
/// caught; the wasm backtrace of the interpreter would tell a program nothing.
const JS_STACK_OVERFLOW: &str = "RangeError: Maximum call stack size exceeded: the program recursed too deeply \
     (about 10,000 nested JavaScript calls, or JSON nested about 30,000 levels), which ends the run in Sluice \
     instead of throwing; use a loop with an explicit stack instead of recursion";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interpreters_hash_from_the_build_is_its_hash() {
        assert_eq!(INTERPRETER_SHA256, crate::module_cache::sha256_hex(INTERPRETER));
    }

    /// The snapshot's memory is 16 MiB, room for a run's heap that the
    /// interpreter has not written (`sandboxes/js/src/heap.rs`): a word written
    /// near its end would make the compiled module's memory image 16 MiB, mostly
    /// zeros, to read and check at every cold start. (The 16 MiB is also in
    /// `ExecutionLimits::memory_bytes`'s docs and the limiter's message.)
    #[tokio::test]
    async fn the_snapshots_memory_has_room_it_has_not_written() {
        use wasmparser::{DataKind, Operator, Parser, Payload};
        let runtime = crate::Runtime::new(crate::RuntimeConfig::default()).unwrap();
        let snapshot = preinitialize(&runtime, INTERPRETER_NAME, INTERPRETER).await.unwrap();
        let (mut pages, mut written_to) = (0, 0);
        for payload in Parser::new(0).parse_all(&snapshot) {
            match payload.unwrap() {
                Payload::MemorySection(memories) => pages = memories.into_iter().next().unwrap().unwrap().initial,
                Payload::DataSection(segments) => {
                    for segment in segments {
                        let segment = segment.unwrap();
                        let DataKind::Active { offset_expr, .. } = segment.kind else { continue };
                        let Operator::I32Const { value } = offset_expr.get_operators_reader().read().unwrap() else {
                            panic!("a snapshot's data segments are at constant offsets")
                        };
                        written_to = written_to.max(value as u64 + segment.data.len() as u64);
                    }
                }
                _ => {}
            }
        }
        assert_eq!(pages * 65536, 16 << 20);
        assert!(written_to > 0 && written_to < 12 << 20, "the snapshot wrote up to {written_to}");
    }
}
