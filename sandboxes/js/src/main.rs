//! The JavaScript interpreter module: QuickJS, pre-initialised with Sluice's API, running one agent program per instance.
//!
//! Protocol with the host: the program's source arrives on stdin, its display
//! name as `argv[0]` and its arguments as the rest of `argv`; tool calls and
//! timers' waits go through `sluice_v1`; output goes to stdout and stderr.
//! `wizer.initialize` builds the engine and the API (`api/*.js`) once, before the
//! module is snapshotted, so a run starts with them already in memory. Exit
//! status: 0 success, 1 the program failed (uncaught error, syntax error,
//! promises nothing can settle), 2 the host gave no readable source; a program
//! may choose its own with `process.exit` or `process.exitCode`.

mod bindings;
mod fs;
mod heap;
mod json;
mod modules;
mod site;

use std::cell::OnceCell;
use std::io::Read;

use rquickjs::promise::PromiseState;
use rquickjs::{Context, Ctx, Function, Module, Object, Persistent, Promise, Runtime, Value};

/// The agent-facing API, one file per concern, evaluated in this order (each is
/// a function of the native bindings and an object the files share).
const API: [(&str, &str); 10] = [
    ("core.js", include_str!("api/core.js")),
    ("console.js", include_str!("api/console.js")),
    ("timers.js", include_str!("api/timers.js")),
    ("process.js", include_str!("api/process.js")),
    ("encoding.js", include_str!("api/encoding.js")),
    ("clone.js", include_str!("api/clone.js")),
    ("url.js", include_str!("api/url.js")),
    ("intl.js", include_str!("api/intl.js")),
    ("path.js", include_str!("api/path.js")),
    ("fs.js", include_str!("api/fs.js")),
];
/// QuickJS's own stack budget. Under WASI QuickJS ignores it (its
/// `update_stack_limit` sets no limit there), so deep recursion ends on the
/// host's wasm stack instead, which the host reports as a RangeError that ends
/// the run (`src/js.rs`); set anyway, for a QuickJS that checks.
const MAX_JS_STACK: usize = 512 * 1024;

struct Engine {
    runtime: Runtime,
    context: Context,
    hooks: Hooks,
}

/// The functions of the API the event loop calls.
struct Hooks {
    /// `begin(name, args)`: the run's program name and arguments.
    begin: Persistent<Function<'static>>,
    /// `settle(handle, status, payload, form)`: resolves or rejects an operation's
    /// promise; `form` (`json::Form`) says how the payload is given.
    settle: Persistent<Function<'static>>,
    /// `describeError(value)`: an uncaught error as text, with its stack.
    describe_error: Persistent<Function<'static>>,
    /// `runDue()`: runs one due timer or immediate; false if none is due.
    run_due: Persistent<Function<'static>>,
    /// `nextDelay(operationsPending)`: milliseconds until a timer is due, or -1.
    next_delay: Persistent<Function<'static>>,
    /// `exitCode()`: the status the program set with `process.exitCode`.
    exit_code: Persistent<Function<'static>>,
}

/// What the event loop does next.
enum Step {
    /// A timer ran: settle its promises, then look again.
    Ran,
    /// Wait for a completion; with a timer pending, at most this many milliseconds.
    Wait(Option<f64>),
    /// The program is over (its module rejected, or nothing is left to wait for).
    Finished,
    /// A callback threw: the program fails with this message.
    Uncaught(String),
}

thread_local! {
    static ENGINE: OnceCell<Engine> = const { OnceCell::new() };
    /// Rejected promises no handler has claimed yet: (promise, reason).
    static UNHANDLED: std::cell::RefCell<Vec<(Persistent<Value<'static>>, Persistent<Value<'static>>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Called once by the pre-initialiser, before the module is snapshotted.
// The pre-initialiser finds this function by its exported name.
#[allow(unsafe_code)]
#[unsafe(export_name = "wizer.initialize")]
pub extern "C" fn wizer_initialize() {
    ENGINE.with(|engine| {
        engine.get_or_init(Engine::new);
    });
}

fn main() {
    let mut argv = std::env::args();
    let name = argv.next().unwrap_or_else(|| "main.js".to_owned());
    let args: Vec<String> = argv.collect();
    let mut source = Vec::new();
    if let Err(error) = std::io::stdin().read_to_end(&mut source) {
        eprintln!("sluice-js: cannot read the program's source: {error}");
        std::process::exit(2);
    }
    bindings::reseed();
    let code = ENGINE.with(|engine| engine.get_or_init(Engine::new).run(&name, args, source));
    // Success returns normally: `exit(0)` would reach the host as an error value,
    // which costs a backtrace capture on every run.
    if code != 0 {
        bindings::exit(code);
    }
}

impl Engine {
    fn new() -> Engine {
        // Below everything the engine allocates (`heap.rs`).
        let room = heap::reserve_room();
        let runtime = Runtime::new().expect("QuickJS starts");
        runtime.set_max_stack_size(MAX_JS_STACK);
        runtime.set_loader(modules::WorkspaceResolver, modules::WorkspaceLoader);
        runtime.set_host_promise_rejection_tracker(Some(Box::new(track_rejection)));
        let context = Context::full(&runtime).expect("a QuickJS context");
        let hooks = context.with(|ctx| {
            let native = Object::new(ctx.clone()).expect("an object");
            native.set("start", Function::new(ctx.clone(), bindings::start)).expect("start");
            native.set("write", Function::new(ctx.clone(), bindings::write)).expect("write");
            native.set("now", Function::new(ctx.clone(), bindings::now)).expect("now");
            native.set("exit", Function::new(ctx.clone(), bindings::exit)).expect("exit");
            native.set("encodeUtf8", Function::new(ctx.clone(), bindings::encode_utf8)).expect("encodeUtf8");
            native.set("decodeUtf8", Function::new(ctx.clone(), bindings::decode_utf8)).expect("decodeUtf8");
            native.set("random", Function::new(ctx.clone(), bindings::random)).expect("random");
            native.set("secureRandom32", Function::new(ctx.clone(), bindings::secure_random_32)).expect("random");
            native.set("captureSite", Function::new(ctx.clone(), site::capture_site)).expect("captureSite");
            native.set("formatSite", Function::new(ctx.clone(), site::format_site)).expect("formatSite");
            for (name, function) in [
                ("fsRoot", Function::new(ctx.clone(), fs::root)),
                ("fsReadBytes", Function::new(ctx.clone(), fs::read_bytes)),
                ("fsReadText", Function::new(ctx.clone(), fs::read_text)),
                ("fsWrite", Function::new(ctx.clone(), fs::write)),
                ("fsReaddir", Function::new(ctx.clone(), fs::readdir)),
                ("fsStat", Function::new(ctx.clone(), fs::stat)),
                ("fsMkdir", Function::new(ctx.clone(), fs::mkdir)),
                ("fsRemove", Function::new(ctx.clone(), fs::remove)),
                ("fsRename", Function::new(ctx.clone(), fs::rename)),
                ("fsCopy", Function::new(ctx.clone(), fs::copy)),
            ] {
                native.set(name, function.expect(name)).expect(name);
            }
            let lib = Object::new(ctx.clone()).expect("an object");
            for (file, source) in API {
                let api: Function =
                    ctx.eval(source).unwrap_or_else(|_| panic!("api/{file} compiles: {:?}", ctx.catch()));
                api.call::<_, ()>((native.clone(), lib.clone()))
                    .unwrap_or_else(|_| panic!("api/{file} runs: {:?}", ctx.catch()));
            }
            let builtins: Object = lib.get("builtins").expect("the API defines lib.builtins");
            modules::set_builtins(&ctx, builtins);
            let hook = |name: &str| -> Persistent<Function<'static>> {
                let function: Function = lib.get(name).unwrap_or_else(|_| panic!("the API defines lib.{name}"));
                Persistent::save(&ctx, function)
            };
            Hooks {
                begin: hook("begin"),
                settle: hook("settle"),
                describe_error: hook("describeError"),
                run_due: hook("runDue"),
                next_delay: hook("nextDelay"),
                exit_code: hook("exitCode"),
            }
        });
        // The snapshot keeps no garbage, and a run starts with the engine's usual
        // headroom (half the heap again) before its first collection, which
        // would walk, and so dirty, every page of the API's objects.
        runtime.run_gc();
        let used = runtime.memory_usage().malloc_size.max(0) as usize;
        runtime.set_gc_threshold(used + used / 2);
        context.with(|ctx| heap::fill_arenas(&ctx));
        heap::plug_holes();
        // Now the one free chunk below the top: a run's allocations come from it.
        drop(room);
        context.with(|ctx| heap::prime_arenas(&ctx));
        heap::leave_headroom();
        Engine { runtime, context, hooks }
    }

    /// Runs one program to completion and returns its exit status.
    fn run(&self, name: &str, args: Vec<String>, source: Vec<u8>) -> i32 {
        let evaluation = self.context.with(|ctx| {
            let begin = self.hooks.begin.clone().restore(&ctx).expect("begin is alive");
            if begin.call::<_, ()>((name, args)).is_err() {
                return Err(self.describe(&ctx, ctx.catch()));
            }
            match Module::evaluate(ctx.clone(), name, source) {
                Ok(promise) => Ok(Persistent::save(&ctx, promise)),
                Err(_) => Err(self.describe(&ctx, ctx.catch())),
            }
        });
        let evaluation = match evaluation {
            Ok(promise) => promise,
            Err(message) => return fail(&format!("Uncaught {message}")),
        };

        // The event loop: settle promises, run due timers one at a time, and
        // wait (for a completion, or until the next timer) while anything is
        // pending. A program whose module rejected is over, as in Node.
        loop {
            while self.runtime.is_job_pending() {
                // A job's exception surfaces through its promise and the rejection tracker.
                let _ = self.runtime.execute_pending_job();
            }
            let step = self.context.with(|ctx| {
                let promise: Promise = evaluation.clone().restore(&ctx).expect("the program's promise is alive");
                if promise.state() == PromiseState::Rejected {
                    return Step::Finished;
                }
                let run_due = self.hooks.run_due.clone().restore(&ctx).expect("runDue is alive");
                match run_due.call::<_, bool>(()) {
                    Ok(true) => return Step::Ran,
                    Ok(false) => {}
                    Err(_) => return Step::Uncaught(self.describe(&ctx, ctx.catch())),
                }
                let next_delay = self.hooks.next_delay.clone().restore(&ctx).expect("nextDelay is alive");
                let pending = bindings::operations_pending();
                match next_delay.call::<_, f64>((pending,)) {
                    Ok(delay) if delay >= 0.0 => Step::Wait(Some(delay)),
                    _ if pending => Step::Wait(None),
                    _ => Step::Finished,
                }
            });
            let completion = match step {
                Step::Ran => continue,
                Step::Finished => break,
                Step::Uncaught(message) => return fail(&format!("Uncaught {message}")),
                Step::Wait(None) => match bindings::next_completion() {
                    Some(completion) => completion,
                    None => break,
                },
                // Whole milliseconds, rounded up, so a timer is due when the wait ends.
                Step::Wait(Some(delay)) => {
                    match bindings::next_completion_within(delay.ceil().min(f64::from(i32::MAX)) as i32) {
                        Some(completion) => completion,
                        None => continue,
                    }
                }
            };
            let bindings::Completion { handle, status, payload, value } = completion;
            self.context.with(|ctx| {
                let settle = self.hooks.settle.clone().restore(&ctx).expect("settle is alive");
                let tool_call = bindings::take_call(handle) && status == sluice_guest::raw::STATUS_OK;
                let (payload, form) = match value {
                    Some(form) => json::settle_value(&ctx, payload, form == sluice_guest::raw::VALUE_JSON),
                    None => json::settle_payload(&ctx, payload, tool_call),
                };
                if settle.call::<_, ()>((handle, status, payload, form as i32)).is_err() {
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
                    fail(&format!("Uncaught {}", self.describe(&ctx, reason)))
                }
                PromiseState::Pending => fail(
                    "the program finished while waiting on promises that nothing can settle \
                     (no tool call or timer is pending); check for a missing resolve() or a forgotten await",
                ),
                PromiseState::Resolved => match self.unhandled_rejection(&ctx) {
                    Some(message) => fail(&format!("Uncaught (in promise) {message}")),
                    None => {
                        let exit_code = self.hooks.exit_code.clone().restore(&ctx).expect("exitCode is alive");
                        exit_code.call::<_, i32>(()).unwrap_or(1)
                    }
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
        let describe = self.hooks.describe_error.clone().restore(ctx).expect("describeError is alive");
        describe.call::<_, String>((value,)).unwrap_or_else(|_| "an error that cannot be described".to_owned())
    }
}

/// Ends the program as failed with `message`: the host makes it the run's
/// error (`report_error`), so it is said once, not also printed to stderr.
fn fail(message: &str) -> i32 {
    sluice_guest::raw::report_error(message);
    1
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
