//! Pre-initialisation (wasmtime-wizer): run a module's `wizer.initialize` once and snapshot its memory and globals into a new module.

use std::sync::Arc;

use wasmtime::{Instance, Store, Val};
use wasmtime_wizer::{InstanceState, SnapshotVal, Wizer};

use super::hibernate::Hibernation;
use super::output::CappedOutput;
use super::{RunState, Runtime, wasi};
use crate::{ExecutionPolicy, LoadError, NoTools, ProgramInput};

/// Returns `wasm` with its `wizer.initialize` export already run: every instance
/// of the result starts from the state that function left. The initializer runs
/// under the default policy (no files, no tools, bounded time and memory).
pub(crate) async fn preinitialize(runtime: &Runtime, name: &str, wasm: &[u8]) -> Result<Vec<u8>, LoadError> {
    let invalid =
        |what: &str, error: wasmtime::Error| LoadError::Invalid(format!("pre-initialising {name}: {what}: {error:#}"));
    let wizer = Wizer::new();
    let (context, instrumented) = wizer.instrument(wasm).map_err(|e| invalid("instrumenting", e))?;
    let program = runtime.load(name, &instrumented)?;

    let policy = ExecutionPolicy::default();
    let plan = wasi::wasi_plan(&policy, name, &ProgramInput::default(), || 0);
    let output = CappedOutput::new("initializer output", policy.limits.output_bytes, Default::default());
    let wasi = wasi::build_wasi(&plan, output.clone(), output.clone())
        .map_err(|e| LoadError::Invalid(format!("pre-initialising {name}: {e}")))?;
    let state = RunState::new(
        wasi,
        plan.workspace,
        &policy,
        Arc::new(NoTools),
        Default::default(),
        Default::default(),
        Hibernation::new(None, Default::default()),
    );
    let mut store = runtime.inner.new_store(state, None, std::time::Instant::now(), policy.limits.deadline);

    let instance = program.pre.instantiate_async(&mut store).await.map_err(|e| invalid("instantiating", e))?;
    let initialize = instance
        .get_typed_func::<(), ()>(&mut store, "wizer.initialize")
        .map_err(|e| invalid("finding `wizer.initialize`", e))?;
    initialize.call_async(&mut store, ()).await.map_err(|e| {
        let printed = String::from_utf8_lossy(&output.take().bytes).into_owned();
        invalid(&format!("running `wizer.initialize` (it printed {printed:?})"), e)
    })?;
    wizer
        .snapshot(&context, &mut Snapshot { store: &mut store, instance })
        .await
        .map_err(|e| invalid("snapshotting", e))
}

/// What the snapshot reads from a live instance.
struct Snapshot<'a> {
    store: &'a mut Store<RunState>,
    instance: Instance,
}

impl InstanceState for Snapshot<'_> {
    async fn global_get(&mut self, name: &str, _: wasmparser::ValType) -> SnapshotVal {
        let global = self.instance.get_global(&mut *self.store, name).expect("wizer asks only for globals it exported");
        match global.get(&mut *self.store) {
            Val::I32(x) => SnapshotVal::I32(x),
            Val::I64(x) => SnapshotVal::I64(x),
            Val::F32(bits) => SnapshotVal::F32(bits),
            Val::F64(bits) => SnapshotVal::F64(bits),
            Val::V128(x) => SnapshotVal::V128(x.as_u128()),
            other => panic!("wizer snapshots only numeric globals, not {other:?}"),
        }
    }

    async fn memory_contents(&mut self, name: &str, contents: impl FnOnce(&[u8]) + Send) {
        let memory =
            self.instance.get_memory(&mut *self.store, name).expect("wizer asks only for memories it exported");
        contents(memory.data(&*self.store));
    }
}
