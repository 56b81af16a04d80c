//! JavaScript programs: the agent-facing API, errors as a developer expects them, and hostile scripts contained.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};
use sluice::RunControl;
use sluice::{ExecutionPolicy, JavaScript, LimitKind, RunOutcome, RunStatus, ToolDefinition, ToolHost, ToolResult};
use tokio::sync::OnceCell;

use crate::support::{ConcurrencyProbe, demo_tools, failure, root, runtime, stdout};

/// One interpreter per test process, as a server would keep one.
pub(crate) async fn javascript() -> &'static JavaScript {
    static JAVASCRIPT: OnceCell<JavaScript> = OnceCell::const_new();
    JAVASCRIPT.get_or_init(|| async { JavaScript::load(runtime()).await.expect("the interpreter loads") }).await
}

fn source(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/programs/js").join(name)).unwrap()
}

/// The demo server plus `shapes`, whose tools answer in each shape MCP allows.
fn tools(probe: Arc<ConcurrencyProbe>, expected: usize) -> Arc<dyn ToolHost> {
    let any = json!({ "type": "object" });
    Arc::new(
        demo_tools(probe, expected)
            .with_tool("shapes", ToolDefinition::new("json-text", "JSON as text.", any.clone()), |_| async {
                Ok(ToolResult::text(r#"{"parsed": true}"#))
            })
            .with_tool("shapes", ToolDefinition::new("plain-text", "Plain text.", any.clone()), |_| async {
                Ok(ToolResult::text("just words"))
            })
            .with_tool("shapes", ToolDefinition::new("image", "An image block.", any), |_| async {
                let mut result = ToolResult::text("");
                result.content = vec![json!({ "type": "image", "data": "AAAA", "mimeType": "image/png" })];
                Ok(result)
            }),
    )
}

fn policy() -> ExecutionPolicy {
    let mut policy = ExecutionPolicy::default();
    policy.limits.deadline = Duration::from_secs(20);
    policy
}

async fn run_with(name: &str, policy: &ExecutionPolicy, tools: Arc<dyn ToolHost>) -> RunOutcome {
    javascript().await.run(name, &source(name), policy, tools, &RunControl::new()).await.expect("the run starts")
}

/// Runs `source`, given inline, with no tools.
async fn run_inline(source: &str) -> RunOutcome {
    let control = RunControl::new();
    javascript().await.run("inline.js", source, &policy(), Arc::new(sluice::NoTools), &control).await.unwrap()
}

async fn run(name: &str) -> RunOutcome {
    run_with(name, &policy(), tools(Arc::new(ConcurrencyProbe::default()), 1)).await
}

fn stderr(outcome: &RunOutcome) -> String {
    String::from_utf8_lossy(&outcome.stderr).into_owned()
}

fn assert_ok(outcome: &RunOutcome) {
    assert_eq!(outcome.status, RunStatus::Ok, "{}\n{}", stdout(outcome), stderr(outcome));
}

fn assert_failed(outcome: &RunOutcome) {
    assert!(matches!(outcome.status, RunStatus::Failed { exit_code: Some(1), .. }), "{outcome:?}");
}

/// After anything hostile, the same interpreter runs a normal program correctly.
async fn assert_still_healthy() {
    let outcome = run("hello.js").await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "hello { n: 1 }\n");
}

#[tokio::test]
async fn console_prints_values_the_way_node_does() {
    let outcome = run("console_format.js").await;
    assert_ok(&outcome);
    assert_eq!(
        stdout(&outcome),
        "text 42 -0 1n true null undefined Symbol(s)\n\
         [ 1, 'a', [ 2, [ 3, [Array] ] ] ] { a: 1, 'needs quotes': 'x', nested: { deep: { deeper: {} } } }\n\
         Map(1) { 1 => { a: 1 } } Set(1) { 'x' } [Function: named] [Function (anonymous)]\n\
         Point { x: 1 } [Object: null prototype] {} 1970-01-01T00:00:00.000Z /re/g []\n\
         <ref *1> { name: 'a', self: [Circular *1], list: [ [Circular *1] ] }\n"
    );
    assert_eq!(stderr(&outcome), "to stderr { ok: false }\n");
}

#[tokio::test]
async fn tool_results_are_unwrapped_and_tool_errors_reject_with_a_tool_error() {
    let outcome = run("tool_results.js").await;
    assert_ok(&outcome);
    assert_eq!(
        stdout(&outcome),
        "structured { hello: 'world' }\n\
         json text { parsed: true }\n\
         plain text just words\n\
         alias just words\n\
         content [ { type: 'image', data: 'AAAA', mimeType: 'image/png' } ]\n\
         fail true ToolError tool_reported demo fail boom\n\
         unknown unknown_tool\n\
         bad args TypeError\n"
    );
}

/// A failed call's stack is kept as frames at the call and written out only
/// when it fails (`site.rs`): it must read as `new Error().stack` at the
/// same place would, less the prelude's frames.
#[tokio::test]
async fn a_failed_calls_stack_lists_the_frames_an_error_made_at_the_call_lists() {
    let source = "
        const lines = (stack) => stack.split('\\n').filter(Boolean).map((line) => line.replace(/:\\d+\\)$/, ')'));
        async function inner() {
          let failed; const made = new Error().stack; try { await tools.demo.fail({}); } catch (e) { failed = e.stack; }
          return [lines(made), lines(failed)];
        }
        const outer = () => inner();
        const [made, failed] = await [1].map(async () => await outer())[0];
        console.log(JSON.stringify(made) === JSON.stringify(failed) ? 'same' : JSON.stringify({ made, failed }));
        console.log(failed.length, failed[0]);
    ";
    let control = RunControl::new();
    let tools = tools(Arc::new(ConcurrencyProbe::default()), 1);
    let outcome = javascript().await.run("site.js", source, &policy(), tools, &control).await.unwrap();
    assert_ok(&outcome);
    // inner, outer, the arrow `map` calls, `map` itself (native), the module.
    assert_eq!(stdout(&outcome), "same\n5     at inner (site.js:4)\n");
}

/// A program controls `Error.stackTraceLimit`: the kept frames stay capped
/// (64, the fixed buffer `JS_SluiceCaptureSite` fills) however high it is set
/// and however deep the call, and a limit whose `valueOf` throws keeps none.
#[tokio::test]
async fn a_call_sites_frames_are_capped_whatever_the_program_sets_the_stack_trace_limit_to() {
    let source = "
        const deep = async (n) => (n === 0 ? await tools.demo.fail({}) : await deep(n - 1));
        const frames = async () => { try { await deep(500); } catch (e) { return e.stack.split('\\n').filter(Boolean).length; } };
        Error.stackTraceLimit = 1e9;
        const many = await frames();
        Error.stackTraceLimit = { valueOf() { throw new Error('no'); } };
        const none = await frames();
        console.log(many, none);
    ";
    let control = RunControl::new();
    let tools = tools(Arc::new(ConcurrencyProbe::default()), 1);
    let outcome = javascript().await.run("limit.js", source, &policy(), tools, &control).await.unwrap();
    assert_ok(&outcome);
    // 64 frames kept (of 500 and more), less the prelude's four, which the text leaves out.
    assert_eq!(stdout(&outcome), "60 0\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promise_all_puts_every_call_in_flight_on_the_host_at_once() {
    let probe = Arc::new(ConcurrencyProbe::default());
    let outcome = run_with("concurrent.js", &policy(), tools(probe.clone(), 30)).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "ok 30\n");
    assert_eq!(probe.max.load(Ordering::SeqCst), 30);
}

#[tokio::test]
async fn discovery_lists_searches_and_describes_tools() {
    let outcome = run("discovery.js").await;
    assert_ok(&outcome);
    let lines: Vec<String> = stdout(&outcome).lines().map(str::to_owned).collect();
    let servers: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(servers.as_array().unwrap().len(), 2, "{servers}");
    assert!(lines[1].starts_with("demo.add"), "{}", lines[1]);
    assert_eq!(
        lines[2..7],
        [
            "declare namespace tools.demo {",
            "  /** Adds two numbers and returns their sum. */",
            "  function add(args: {",
            "    a?: number;",
            "    b?: number;",
        ]
    );
    assert_eq!(lines.last().unwrap(), "bad search invalid_request");
}

#[tokio::test]
async fn fetch_and_sockets_are_refused_with_a_pointer_to_tools() {
    let outcome = run("no_network.js").await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "TypeError true\nTypeError true\nTypeError true\n");
}

#[tokio::test]
async fn an_uncaught_error_shows_the_programs_own_file_and_lines() {
    let outcome = run("uncaught.js").await;
    assert_failed(&outcome);
    let printed = failure(&outcome);
    assert!(printed.starts_with("Uncaught Error: boom\n"), "{printed}");
    assert!(printed.contains("at inner (uncaught.js:2:"), "{printed}");
    assert!(printed.contains("at outer (uncaught.js:5:"), "{printed}");
}

#[tokio::test]
async fn a_syntax_error_points_at_line_and_column() {
    let outcome = run("syntax_error.js").await;
    assert_failed(&outcome);
    let printed = failure(&outcome);
    assert!(printed.contains("SyntaxError"), "{printed}");
    assert!(printed.contains("syntax_error.js:3:17"), "{printed}");
}

#[tokio::test]
async fn a_program_waiting_on_promises_nothing_can_settle_ends_with_a_message() {
    let outcome = run("never_settles.js").await;
    assert_failed(&outcome);
    assert!(failure(&outcome).contains("nothing can settle"), "{}", failure(&outcome));
    assert!(!stdout(&outcome).contains("never printed"));
}

#[tokio::test]
async fn an_unhandled_rejection_fails_the_run() {
    let outcome = run("unhandled_rejection.js").await;
    assert_failed(&outcome);
    assert!(failure(&outcome).contains("Uncaught (in promise) Error: nobody caught me"), "{}", failure(&outcome));
}

#[tokio::test]
async fn programs_import_helpers_from_the_workspace_and_nothing_outside_it() {
    let workspace = root().join("tests/programs/js/workspace");
    let confined = policy().with_workspace(&workspace);
    let main = std::fs::read_to_string(workspace.join("main.js")).unwrap();
    let tools = tools(Arc::new(ConcurrencyProbe::default()), 1);
    let outcome = javascript().await.run("main.js", &main, &confined, tools.clone(), &RunControl::new()).await.unwrap();
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "42\n");

    for escape in ["import_parent.js", "import_absolute.js"] {
        let outcome = run_with(escape, &confined, tools.clone()).await;
        assert_failed(&outcome);
        assert!(failure(&outcome).contains("resolves outside /workspace"), "{escape}: {}", failure(&outcome));
    }

    let planted = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.js"), "console.log('escaped');").unwrap();
    std::os::unix::fs::symlink(outside.path(), planted.path().join("escape-link")).unwrap();
    let outcome = run_with("import_symlink.js", &policy().with_workspace(planted.path()), tools).await;
    assert_failed(&outcome);
    assert!(!stdout(&outcome).contains("escaped"));
    assert!(failure(&outcome).contains("escape-link/secret.js"), "{}", failure(&outcome));
    assert_still_healthy().await;
}

#[tokio::test]
async fn random_numbers_differ_between_runs_unless_the_seed_is_fixed() {
    let first = stdout(&run("random.js").await);
    let second = stdout(&run("random.js").await);
    assert_ne!(first, second, "a pre-initialised heap must not repeat its random numbers");
    let seeded = policy().with_random_seed(7);
    let tools = tools(Arc::new(ConcurrencyProbe::default()), 1);
    let a = stdout(&run_with("random.js", &seeded, tools.clone()).await);
    let b = stdout(&run_with("random.js", &seeded, tools).await);
    assert_eq!(a, b, "a fixed seed replays");
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_at_the_deadline() {
    let mut policy = policy();
    policy.limits.deadline = Duration::from_millis(300);
    let outcome = run_with("infinite_loop.js", &policy, tools(Arc::new(ConcurrencyProbe::default()), 1)).await;
    assert_eq!(outcome.limit(), Some(LimitKind::Timeout), "{outcome:?}");
    assert_still_healthy().await;
}

#[tokio::test]
async fn a_gigantic_string_fails_cleanly() {
    let outcome = run("huge_string.js").await;
    assert_failed(&outcome);
    assert!(failure(&outcome).contains("RangeError"), "{}", failure(&outcome));
    assert_still_healthy().await;
}

#[tokio::test]
async fn array_growth_is_stopped_at_the_memory_cap() {
    let mut policy = policy();
    policy.limits.memory_bytes = 64 << 20;
    let outcome = run_with("array_growth.js", &policy, tools(Arc::new(ConcurrencyProbe::default()), 1)).await;
    assert_eq!(outcome.limit(), Some(LimitKind::Memory), "{outcome:?}");
    assert_still_healthy().await;
}

#[tokio::test]
async fn runaway_recursion_ends_in_a_range_error_that_says_what_to_do_instead() {
    let outcome = run("runaway_recursion.js").await;
    let RunStatus::Failed { message, exit_code: None } = &outcome.status else { panic!("{outcome:?}") };
    assert!(message.starts_with("RangeError: Maximum call stack size exceeded"), "{message}");
    assert!(message.contains("use a loop") && !message.contains("wasm backtrace"), "{message}");
    // JSON nested deeper than the engine's stack ends the same way, not as a trap in the interpreter.
    let deep = "const n = 1e6; JSON.parse('['.repeat(n) + ']'.repeat(n));";
    let outcome = run_inline(deep).await;
    assert!(
        matches!(&outcome.status, RunStatus::Failed { message, .. } if message.starts_with("RangeError: Maximum call stack")),
        "{outcome:?}"
    );
    // Recursion as deep as Node's default stack allows for a small function still works.
    let deep_enough = "function down(n) { return n === 0 ? 0 : 1 + down(n - 1); }\nconsole.log(down(8000));";
    let outcome = run_inline(deep_enough).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "8000\n");
    assert_still_healthy().await;
}

#[tokio::test]
async fn a_console_flood_keeps_the_head_and_tail_of_its_output_until_its_deadline() {
    let mut policy = policy();
    policy.limits.output_bytes = 4096;
    policy.limits.deadline = Duration::from_millis(500);
    let outcome = run_with("console_flood.js", &policy, tools(Arc::new(ConcurrencyProbe::default()), 1)).await;
    assert_eq!(outcome.limit(), Some(LimitKind::Timeout), "{:?}", outcome.status);
    let printed = stdout(&outcome);
    let marker = printed.find("\n[sluice: ").expect("a marker says what was cut");
    assert_eq!(marker, 2048, "the head is half the cap");
    assert!(printed.starts_with("flood flood flood flood\n"), "{printed}");
    assert!(printed.ends_with("flood flood flood flood\n"), "the tail ends with the last line written");
    assert!(printed.len() < 4096 + 200, "{} bytes held", printed.len());
    assert_still_healthy().await;
}

#[tokio::test]
async fn poisoning_the_globals_breaks_only_that_program() {
    let outcome = run("poison.js").await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "{ a: 1 }\n", "the call went out with the real arguments");
    assert_still_healthy().await;
}

#[tokio::test]
async fn a_hundred_thousand_concurrent_tool_calls_are_capped() {
    let outcome = run("call_flood.js").await;
    assert_eq!(outcome.limit(), Some(LimitKind::ToolCalls), "{outcome:?}");
    assert_eq!(outcome.stats.tool_calls, policy().limits.tool_calls);
    assert!(!stdout(&outcome).contains("FINISHED"));
    assert_still_healthy().await;
}

async fn run_typescript(name: &str) -> RunOutcome {
    let tools = tools(Arc::new(ConcurrencyProbe::default()), 1);
    javascript()
        .await
        .run_typescript(name, &source(name), &policy(), tools, &RunControl::new())
        .await
        .expect("the run starts")
}

#[tokio::test]
async fn typescript_runs_with_its_types_stripped_and_errors_on_its_own_lines() {
    let outcome = run_typescript("typed.ts").await;
    assert_failed(&outcome);
    assert_eq!(stdout(&outcome), "typed 7\n");
    let printed = failure(&outcome);
    assert!(printed.starts_with("Uncaught Error: from line 10\n"), "{printed}");
    assert!(printed.contains("at fail (typed.ts:7:"), "{printed}");
    assert!(printed.contains("(typed.ts:10:"), "{printed}");
}

#[tokio::test]
async fn typescript_that_needs_rewriting_is_refused_saying_where_and_why() {
    let outcome = run_typescript("enum.ts").await;
    assert_failed(&outcome);
    let message = outcome.error_message().unwrap();
    assert!(message.contains("enum.ts:2:1"), "{message}");
    assert!(message.contains("plain JavaScript"), "{message}");
}

#[tokio::test]
async fn deeply_nested_typescript_is_refused_saying_where_and_the_host_stays_up() {
    let outcome = run_typescript("deep_nesting.ts").await;
    assert_failed(&outcome);
    let message = outcome.error_message().unwrap();
    assert!(message.contains("deep_nesting.ts:2:"), "{message}");
    assert!(message.contains("nests too deeply"), "{message}");
    assert_still_healthy().await;
}

#[test]
fn the_cli_runs_javascript_with_the_same_contract() {
    let cache = tempfile::tempdir().unwrap();
    let run = |program: &str, flags: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
            .arg("run")
            .arg(root().join("tests/programs/js").join(program))
            .args(flags)
            .env("SLUICE_CACHE_DIR", cache.path())
            .output()
            .unwrap()
    };
    let ok = run("no_network.js", &["--json"]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let report: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(report["status"], "ok");
    assert_eq!(report["stdout"], "TypeError true\nTypeError true\nTypeError true\n");
    assert_eq!(run("uncaught.js", &[]).status.code(), Some(1));
    assert_eq!(run("infinite_loop.js", &["--timeout", "300ms"]).status.code(), Some(3));
    let refused = run("enum.ts", &["--json"]);
    assert_eq!(refused.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert!(report["error"].as_str().unwrap().contains("enum.ts:2:1"), "{report}");
}

/// Runs `tests/programs/js/<name>.js` and checks it prints what Node 20 printed
/// for the same program (`tests/programs/js/node/<name>.txt`, written by
/// `node tests/programs/js/<name>.js > tests/programs/js/node/<name>.txt`).
async fn assert_prints_what_node_printed(name: &str) {
    let outcome = run(&format!("{name}.js")).await;
    assert_ok(&outcome);
    let expected = std::fs::read_to_string(root().join("tests/programs/js/node").join(format!("{name}.txt"))).unwrap();
    let printed = stdout(&outcome);
    let first_difference = printed.lines().zip(expected.lines()).position(|(a, b)| a != b);
    assert_eq!(printed, expected, "{name}: first different line: {first_difference:?}");
}

#[tokio::test]
async fn structured_clone_copies_data_with_its_cycles_and_refuses_the_rest_as_node_does() {
    assert_prints_what_node_printed("structured_clone").await;
}

#[tokio::test]
async fn text_encoder_and_decoder_speak_utf8_as_node_does() {
    assert_prints_what_node_printed("text_encoding").await;
}

#[tokio::test]
async fn urls_parse_resolve_and_serialize_as_node_does_even_huge_ones() {
    assert_prints_what_node_printed("url").await;
}

#[tokio::test]
async fn intl_formats_numbers_plurals_lists_and_relative_times_as_node_does() {
    assert_prints_what_node_printed("intl_numbers").await;
}

#[tokio::test]
async fn intl_formats_dates_in_utc_and_fixed_offsets_as_node_does() {
    assert_prints_what_node_printed("intl_dates").await;
}

#[tokio::test]
async fn locale_compare_and_collators_sort_latin_text_as_node_does() {
    assert_prints_what_node_printed("collation").await;
}

#[tokio::test]
async fn console_table_and_the_other_console_methods_print_as_node_does() {
    assert_prints_what_node_printed("console_table").await;
}

#[tokio::test]
async fn what_sluice_cannot_format_is_refused_loudly_not_formatted_differently() {
    let source = r#"
        for (const attempt of [
          () => new Date(0).toLocaleString('en-US', { timeZone: 'America/New_York' }),
          () => new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Paris' }),
          () => (1234.5).toLocaleString('de-DE'),
          () => 'a'.localeCompare('b', 'sv'),
          () => new Intl.NumberFormat('en-US', { style: 'unit', unit: 'byte' }),
        ]) {
          try { console.log('formatted', attempt()); } catch (error) { console.log(error.name, error.message); }
        }
        console.log(new Date(0).toLocaleString('en-US', { timeZone: '+05:30', timeZoneName: 'short' }));"#;
    let tools = tools(Arc::new(ConcurrencyProbe::default()), 1);
    let outcome = javascript().await.run("main.js", source, &policy(), tools, &RunControl::new()).await.unwrap();
    assert_ok(&outcome);
    let printed = stdout(&outcome);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 6, "{printed}");
    for zone in &lines[..2] {
        assert!(zone.starts_with("RangeError Sluice has no time zone database"), "{zone}");
        assert!(zone.contains("\"UTC\"") && zone.contains("convert_time"), "{zone}");
    }
    assert!(lines[2].starts_with("RangeError") && lines[2].contains("\"de-DE\""), "{}", lines[2]);
    assert!(lines[3].starts_with("RangeError") && lines[3].contains("\"sv\""), "{}", lines[3]);
    assert!(lines[4].starts_with("RangeError") && lines[4].contains("\"unit\""), "{}", lines[4]);
    assert_eq!(lines[5], "1/1/1970, 5:30:00 AM GMT+5:30");
}

#[tokio::test]
async fn program_arguments_reach_sluice_args_and_process_argv_and_process_exit_sets_the_status() {
    let policy = policy().with_args(["one", "two words"]);
    let outcome = run_with("process_and_args.js", &policy, tools(Arc::new(ConcurrencyProbe::default()), 1)).await;
    assert!(matches!(outcome.status, RunStatus::Failed { exit_code: Some(4), .. }), "{outcome:?}");
    assert_eq!(
        stdout(&outcome),
        "[\"one\",\"two words\"] [\"sluice\",\"process_and_args.js\",\"one\",\"two words\"] one+two words\n\
         true true\n\
         TypeError true\n\
         no newline, bytes too\n\
         exit now\n"
    );
}

#[test]
fn the_cli_passes_the_arguments_after_two_dashes_to_the_program() {
    let cache = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("run")
        .arg(root().join("tests/programs/js/process_and_args.js"))
        .args(["--json", "--", "one", "two words"])
        .env("SLUICE_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let printed = report["stdout"].as_str().unwrap();
    assert!(
        printed.starts_with("[\"one\",\"two words\"] [\"sluice\",\"process_and_args.js\",\"one\",\"two words\"]"),
        "{report}"
    );
    assert_eq!(report["exit_code"], 4, "{report}");
}

#[tokio::test]
async fn a_missing_node_or_browser_global_says_what_to_use_instead() {
    for (global, advice) in [
        ("require", "use `import { x } from \"./file.js\"`"),
        ("Buffer", "TextEncoder/TextDecoder"),
        ("window", "globalThis"),
        ("document", "no DOM"),
        ("__dirname", "/workspace"),
        ("localStorage", "keep data in variables"),
        ("module", "`export`"),
    ] {
        let policy = policy().with_args([global]);
        let outcome = run_with("missing_globals.js", &policy, tools(Arc::new(ConcurrencyProbe::default()), 1)).await;
        assert_failed(&outcome);
        assert_eq!(stdout(&outcome), "undefined\n", "{global}: typeof still says it does not exist");
        let printed = failure(&outcome);
        assert!(printed.starts_with(&format!("Uncaught ReferenceError: {global} is not defined (")), "{printed}");
        assert!(printed.contains(advice), "{global}: {printed}");
    }
}

/// The globals of standard JavaScript (ECMAScript 2025, as QuickJS has them), plus
/// QuickJS's own `InternalError`. Every other global a program finds is Sluice's
/// API (the prelude's, or a Web API the engine provides) and is declared in
/// `guest-sdk/sluice.d.ts`.
const ECMASCRIPT_GLOBALS: &[&str] = &[
    "globalThis",
    "Infinity",
    "NaN",
    "undefined",
    "eval",
    "isFinite",
    "isNaN",
    "parseFloat",
    "parseInt",
    "decodeURI",
    "decodeURIComponent",
    "encodeURI",
    "encodeURIComponent",
    "escape",
    "unescape",
    "Object",
    "Function",
    "Boolean",
    "Symbol",
    "Error",
    "AggregateError",
    "EvalError",
    "RangeError",
    "ReferenceError",
    "SyntaxError",
    "TypeError",
    "URIError",
    "SuppressedError",
    "InternalError",
    "Number",
    "BigInt",
    "Math",
    "Date",
    "String",
    "RegExp",
    "Array",
    "Int8Array",
    "Uint8Array",
    "Uint8ClampedArray",
    "Int16Array",
    "Uint16Array",
    "Int32Array",
    "Uint32Array",
    "BigInt64Array",
    "BigUint64Array",
    "Float16Array",
    "Float32Array",
    "Float64Array",
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
    "ArrayBuffer",
    "SharedArrayBuffer",
    "DataView",
    "JSON",
    "Promise",
    "Reflect",
    "Proxy",
    "WeakRef",
    "FinalizationRegistry",
    "Iterator",
    "DisposableStack",
    "AsyncDisposableStack",
];

/// The global names a program finds at run time.
async fn globals_at_run_time() -> Vec<String> {
    let source = "console.log(Object.getOwnPropertyNames(globalThis).join(' '))";
    let tools = tools(Arc::new(ConcurrencyProbe::default()), 1);
    let outcome = javascript().await.run("globals.js", source, &policy(), tools, &RunControl::new()).await.unwrap();
    assert_ok(&outcome);
    stdout(&outcome).split_whitespace().map(str::to_owned).collect()
}

/// The names `guest-sdk/sluice.d.ts` declares at its top level.
fn declared_globals() -> Vec<String> {
    let declarations = std::fs::read_to_string(root().join("guest-sdk/sluice.d.ts")).unwrap();
    declarations
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("declare ")?;
            let (_, rest) = rest.split_once(' ')?;
            let name: String =
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$').collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

#[tokio::test]
async fn the_declaration_file_documents_every_global_a_program_finds() {
    let declared = declared_globals();
    let found = globals_at_run_time().await;
    assert!(found.len() > ECMASCRIPT_GLOBALS.len(), "{found:?}");
    for name in found.iter().filter(|name| !ECMASCRIPT_GLOBALS.contains(&name.as_str())) {
        assert!(declared.contains(name), "guest-sdk/sluice.d.ts does not declare `{name}`, which programs find");
    }
}

#[tokio::test]
async fn every_global_the_declaration_file_declares_exists_at_run_time() {
    let declared = declared_globals();
    assert!(declared.len() >= 20, "{declared:?}");
    let found = globals_at_run_time().await;
    for name in &declared {
        assert!(found.contains(name), "guest-sdk/sluice.d.ts declares `{name}`, which programs do not find");
    }
}

#[tokio::test]
async fn timers_run_as_in_node_and_the_program_waits_for_them() {
    let outcome = run("timers.js").await;
    assert_ok(&outcome);
    assert_eq!(
        stdout(&outcome),
        "microtask\n\
         immediate I\n\
         first\n\
         clamped NaN\n\
         clamped -5\n\
         clamped undefined\n\
         clamped 2147483648\n\
         string delay 50\n\
         timeout A B this-is-the-timer=true\n\
         slept\n\
         ticks 1,2,3\n"
    );
    assert_eq!(
        stderr(&outcome),
        "TimeoutOverflowWarning: 2147483648 does not fit into a 32-bit signed integer.\nTimeout duration was set to 1.\n"
    );
}

#[tokio::test]
async fn a_timer_races_a_slow_tool_call_and_the_call_still_completes() {
    let slow: Arc<dyn ToolHost> = Arc::new(sluice::InProcessTools::new().with_server("demo", "Slow").with_tool(
        "demo",
        ToolDefinition::new("slow", "Answers after half a second.", json!({ "type": "object" })),
        |_| async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            Ok(ToolResult::structured(json!({ "done": true })))
        },
    ));
    let outcome = run_with("timers_race_calls.js", &policy(), slow).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "winner timer\ncall done true\n");
}

/// An in-process tool that panics, at once (polled where the call starts) or after
/// waiting (in its task), fails its call; the program and the process go on.
#[tokio::test]
async fn a_tool_host_that_panics_fails_the_call_not_the_run() {
    fn broken(message: &'static str) -> Result<ToolResult, sluice::ToolCallError> {
        if !message.is_empty() {
            panic!("{message}");
        }
        Ok(ToolResult::text(""))
    }
    let any = json!({ "type": "object" });
    let tools: Arc<dyn ToolHost> = Arc::new(
        sluice::InProcessTools::new()
            .with_server("demo", "Broken")
            .with_tool("demo", ToolDefinition::new("at_once", "Panics.", any.clone()), |_| async {
                broken("broke at once")
            })
            .with_tool("demo", ToolDefinition::new("later", "Panics after a wait.", any), |_| async {
                tokio::time::sleep(Duration::from_millis(5)).await;
                broken("broke later")
            }),
    );
    let program = "for (const name of ['at_once', 'later']) {
        try { await tools.demo[name]({}); } catch (e) { console.log(name, e.message); }
    }";
    let outcome = javascript().await.run("broken.js", program, &policy(), tools, &RunControl::new()).await.unwrap();
    assert_ok(&outcome);
    let printed = stdout(&outcome);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 2, "{printed}");
    assert!(lines[0].starts_with("at_once ") && lines[0].contains("panicked") && lines[0].contains("broke at once"));
    assert!(lines[1].starts_with("later ") && lines[1].contains("panicked") && lines[1].contains("broke later"));
    assert_eq!((outcome.stats.tool_calls, outcome.stats.failed_tool_calls), (2, 2));
}

#[tokio::test]
async fn a_million_timers_are_refused_past_the_cap_and_clearing_makes_room() {
    let outcome = run("timer_flood.js").await;
    assert_ok(&outcome);
    assert_eq!(
        stdout(&outcome),
        "10000 RangeError too many pending timers: a program may have at most 10000 timers and immediates pending \
         at once (clear the ones it no longer needs)\nroom again\n"
    );
    assert_still_healthy().await;
}

#[tokio::test]
async fn a_program_waiting_on_a_timer_past_its_deadline_ends_at_the_deadline() {
    let mut policy = policy();
    policy.limits.deadline = Duration::from_millis(300);
    for (program, printed) in [("timer_past_deadline.js", "waiting\n"), ("interval_forever.js", "ticking\n")] {
        let outcome = run_with(program, &policy, tools(Arc::new(ConcurrencyProbe::default()), 1)).await;
        assert_eq!(outcome.limit(), Some(LimitKind::Timeout), "{program}: {outcome:?}");
        assert_eq!(stdout(&outcome), printed, "{program}");
    }
    assert_still_healthy().await;
}

#[tokio::test]
async fn an_error_in_a_timer_callback_fails_the_run_like_any_uncaught_error() {
    let outcome = run("timer_throws.js").await;
    assert_failed(&outcome);
    let printed = failure(&outcome);
    assert!(printed.starts_with("Uncaught Error: boom in a timer\n"), "{printed}");
    assert!(printed.contains("at explode (timer_throws.js:4:"), "{printed}");
    assert!(!stdout(&outcome).contains("never printed"));

    let outcome = run("timer_rejects.js").await;
    assert_failed(&outcome);
    assert!(failure(&outcome).starts_with("Uncaught TypeError: async boom\n"), "{}", failure(&outcome));
    assert!(!stdout(&outcome).contains("never printed"));
}

#[tokio::test]
async fn a_damaged_cached_interpreter_is_rebuilt_not_trusted() {
    let cache = tempfile::tempdir().unwrap();
    let config = sluice::RuntimeConfig::default().with_cache_dir(cache.path());
    let first = sluice::Runtime::new(config.clone()).unwrap();
    JavaScript::load(&first).await.unwrap();
    // Both forms the interpreter is cached in: pre-initialised (js/), and compiled
    // under its own name (js-<hash>.cwasm beside the compiled programs), which a start reads first.
    let pre_initialised = std::fs::read_dir(cache.path().join("js")).unwrap().next().unwrap().unwrap().path();
    let compiled = std::fs::read_dir(cache.path())
        .unwrap()
        .flat_map(|dir| std::fs::read_dir(dir.unwrap().path()).into_iter().flatten())
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("js-") && name.ends_with(".cwasm")
        })
        .expect("the compiled interpreter is cached under its own name");
    // And only under it: no second copy of the same compiled module (the same
    // length) named by the pre-initialised module's hash.
    let length = std::fs::metadata(&compiled).unwrap().len();
    let copies: Vec<_> = std::fs::read_dir(compiled.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path != &compiled && path.extension().is_some_and(|extension| extension == "cwasm"))
        .filter(|path| std::fs::metadata(path).unwrap().len() == length)
        .collect();
    assert!(copies.is_empty(), "the compiled interpreter is cached twice: {copies:?}");
    for cached in [&pre_initialised, &compiled] {
        std::fs::write(cached, b"\0asm damaged").unwrap();
    }

    let second = sluice::Runtime::new(config).unwrap();
    let javascript = JavaScript::load(&second).await.expect("a damaged cache entry is replaced");
    let tools = tools(Arc::new(ConcurrencyProbe::default()), 1);
    let outcome = javascript.run("hello.js", &source("hello.js"), &policy(), tools, &RunControl::new()).await.unwrap();
    assert_ok(&outcome);
    for cached in [&pre_initialised, &compiled] {
        assert_ne!(std::fs::read(cached).unwrap(), b"\0asm damaged", "{}", cached.display());
    }
}

/// A tool that never answers: a program calling it is parked until its run ends.
struct Hang(Arc<std::sync::atomic::AtomicBool>);

impl Drop for Hang {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn cancelling_a_run_stops_a_busy_program_and_a_parked_one_and_drops_its_calls() {
    let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = dropped.clone();
    let hanging: Arc<dyn ToolHost> =
        Arc::new(sluice::InProcessTools::new().with_server("slow", "Never answers").with_tool(
            "slow",
            ToolDefinition::new("wait", "Waits forever.", json!({ "type": "object" })),
            move |_| {
                let guard = Hang(flag.clone());
                async move {
                    let _guard = guard;
                    std::future::pending::<Result<ToolResult, sluice::ToolCallError>>().await
                }
            },
        ));
    // Each program prints a line once it is underway; it is cancelled as soon as that shows, busy or parked.
    for source in ["console.log('spinning'); while (true) {}", "console.log('before'); await tools.slow.wait({});"] {
        let control = RunControl::new();
        let cancel = control.clone();
        let policy = policy();
        let run = javascript().await.run("main.js", source, &policy, hanging.clone(), &control);
        let canceller = async {
            let what = format!("{source}: the program to get underway");
            crate::support::wait_until(&what, Duration::from_secs(10), || cancel.progress().output_lines > 0).await;
            cancel.cancel();
        };
        let started = std::time::Instant::now();
        let (outcome, ()) = tokio::join!(run, canceller);
        let outcome = outcome.unwrap();
        assert_eq!(outcome.status, RunStatus::Cancelled, "{source}: {outcome:?}");
        assert!(started.elapsed() < Duration::from_secs(10), "{source}: cancelled promptly, not at the deadline");
        let json = serde_json::to_value(&outcome).unwrap();
        assert_eq!((json["status"].as_str(), json["exit_code"].as_i64()), (Some("cancelled"), None));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !dropped.load(Ordering::SeqCst) {
        assert!(std::time::Instant::now() < deadline, "the parked tool call is dropped with the run");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_run_reports_its_progress_while_it_goes() {
    let control = RunControl::new();
    let source = "for (let i = 0; i < 3; i++) { console.log(i); await tools.demo.add({ a: i, b: 1 }); }";
    let outcome = javascript()
        .await
        .run("main.js", source, &policy(), tools(Arc::new(ConcurrencyProbe::default()), 1), &control)
        .await
        .unwrap();
    assert_eq!(outcome.status, RunStatus::Ok);
    let progress = control.progress();
    assert_eq!((progress.tool_calls, progress.output_lines), (3, 3));
}
