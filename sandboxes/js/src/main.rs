//! The JavaScript interpreter module: QuickJS, pre-initialised with Sluice's API, running one agent program per instance.
//!
//! Protocol with the host: the program's source arrives on stdin and its display
//! name as `argv[0]`; tool calls go through `sluice_v1`; output goes to stdout and
//! stderr. `wizer.initialize` builds the engine and the API once, before the
//! module is snapshotted, so a run starts with them already in memory. Exit
//! status: 0 success, 1 the program failed (uncaught error, syntax error,
//! promises nothing can settle), 2 the host gave no readable source.

mod bindings;
mod modules;

use std::cell::OnceCell;
use std::io::Read;

use rquickjs::promise::PromiseState;
use rquickjs::{Context, Ctx, Function, Module, Object, Persistent, Promise, Runtime, Value};

const PRELUDE: &str = include_str!("prelude.js");
/// QuickJS's own stack budget; it throws a catchable RangeError past it, well
/// before the 1 MiB wasm32 stack is exhausted.
const MAX_JS_STACK: usize = 512 * 1024;

struct Engine {
    runtime: Runtime,
    context: Context,
    settle: Persistent<Function<'static>>,
    describe_error: Persistent<Function<'static>>,
}

thread_local! {
    static ENGINE: OnceCell<Engine> = const { OnceCell::new() };
    /// Rejected promises no handler has claimed yet: (promise, reason).
    static UNHANDLED: std::cell::RefCell<Vec<(Persistent<Value<'static>>, Persistent<Value<'static>>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Called once by the pre-initialiser, before the module is snapshotted.
#[unsafe(export_name = "wizer.initialize")]
pub extern "C" fn wizer_initialize() {
    ENGINE.with(|engine| {
        engine.get_or_init(Engine::new);
    });
}

fn main() {
    let name = std::env::args().next().unwrap_or_else(|| "main.js".to_owned());
    let mut source = Vec::new();
    if let Err(error) = std::io::stdin().read_to_end(&mut source) {
        eprintln!("sluice-js: cannot read the program's source: {error}");
        std::process::exit(2);
    }
    bindings::reseed();
    let code = ENGINE.with(|engine| engine.get_or_init(Engine::new).run(&name, source));
    // Success returns normally: `exit(0)` would reach the host as an error value,
    // which costs a backtrace capture on every run.
    if code != 0 {
        std::process::exit(code);
    }
}

impl Engine {
    fn new() -> Engine {
        let runtime = Runtime::new().expect("QuickJS starts");
        runtime.set_max_stack_size(MAX_JS_STACK);
        runtime.set_loader(modules::WorkspaceResolver, modules::WorkspaceLoader);
        runtime.set_host_promise_rejection_tracker(Some(Box::new(track_rejection)));
        let context = Context::full(&runtime).expect("a QuickJS context");
        let (settle, describe_error) = context.with(|ctx| {
            let native = Object::new(ctx.clone()).expect("an object");
            native.set("start", Function::new(ctx.clone(), bindings::start)).expect("start");
            native.set("write", Function::new(ctx.clone(), bindings::write)).expect("write");
            native.set("random", Function::new(ctx.clone(), bindings::random)).expect("random");
            native.set("secureRandom32", Function::new(ctx.clone(), bindings::secure_random_32)).expect("random");
            let prelude: Function = ctx.eval(PRELUDE).expect("the prelude compiles");
            let hooks: Object = prelude.call((native,)).expect("the prelude runs");
            let settle: Function = hooks.get("settle").expect("settle");
            let describe_error: Function = hooks.get("describeError").expect("describeError");
            (Persistent::save(&ctx, settle), Persistent::save(&ctx, describe_error))
        });
        Engine { runtime, context, settle, describe_error }
    }

    /// Runs one program to completion and returns its exit status.
    fn run(&self, name: &str, source: Vec<u8>) -> i32 {
        let evaluation = self.context.with(|ctx| match Module::evaluate(ctx.clone(), name, source) {
            Ok(promise) => Ok(Persistent::save(&ctx, promise)),
            Err(_) => Err(self.describe(&ctx, ctx.catch())),
        });
        let evaluation = match evaluation {
            Ok(promise) => promise,
            Err(message) => {
                eprintln!("Uncaught {message}");
                return 1;
            }
        };

        loop {
            while self.runtime.is_job_pending() {
                // A job's exception surfaces through its promise and the rejection tracker.
                let _ = self.runtime.execute_pending_job();
            }
            let Some((handle, status, payload)) = bindings::next_completion() else { break };
            self.context.with(|ctx| {
                let settle = self.settle.clone().restore(&ctx).expect("settle is alive");
                let text = String::from_utf8(payload)
                    .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned());
                if settle.call::<_, ()>((handle, status, text)).is_err() {
                    eprintln!("sluice-js: settling operation {handle} failed: {}", self.describe(&ctx, ctx.catch()));
                }
            });
        }

        self.context.with(|ctx| {
            let promise: Promise = evaluation.restore(&ctx).expect("the program's promise is alive");
            match promise.state() {
                PromiseState::Rejected => {
                    let reason = promise
                        .result::<Value>()
                        .and_then(Result::err)
                        .map_or_else(|| Value::new_undefined(ctx.clone()), |_| ctx.catch());
                    eprintln!("Uncaught {}", self.describe(&ctx, reason));
                    1
                }
                PromiseState::Pending => {
                    eprintln!(
                        "sluice-js: the program finished while waiting on promises that nothing can settle \
                         (no tool call is pending); check for a missing resolve() or a forgotten await"
                    );
                    1
                }
                PromiseState::Resolved => match self.unhandled_rejection(&ctx) {
                    Some(message) => {
                        eprintln!("Uncaught (in promise) {message}");
                        1
                    }
                    None => 0,
                },
            }
        })
    }

    fn unhandled_rejection(&self, ctx: &Ctx<'_>) -> Option<String> {
        let first = UNHANDLED.with(|list| list.borrow_mut().drain(..).next())?;
        let reason = first.1.restore(ctx).ok()?;
        Some(self.describe(ctx, reason))
    }

    fn describe<'js>(&self, ctx: &Ctx<'js>, value: Value<'js>) -> String {
        let describe = self.describe_error.clone().restore(ctx).expect("describeError is alive");
        describe.call::<_, String>((value,)).unwrap_or_else(|_| "an error that cannot be described".to_owned())
    }
}

fn track_rejection<'js>(ctx: Ctx<'js>, promise: Value<'js>, reason: Value<'js>, is_handled: bool) {
    UNHANDLED.with(|list| {
        let mut list = list.borrow_mut();
        if is_handled {
            list.retain(|(tracked, _)| tracked.clone().restore(&ctx).map_or(true, |tracked| tracked != promise));
        } else {
            list.push((Persistent::save(&ctx, promise), Persistent::save(&ctx, reason)));
        }
    });
}
