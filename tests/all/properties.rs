//! Property tests: generated hostile input at the ABI's entry points and at the host's processing of server JSON and schemas.
//!
//! These are the suite's fuzzers: bounded (`PROPTEST_CASES`, default below) so
//! they run in every CI build, with failures shrunk to a minimal case and saved
//! by proptest for replay. The properties are the promises of `SECURITY.md`: no
//! input makes the host panic, fail as the embedder, or do unbounded work, and
//! the same process still runs a normal program afterwards.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use sluice::RunControl;
use sluice::tools::{Detail, SearchQuery, ToolCatalog, declarations, tree};
use sluice::{ExecutionPolicy, InProcessTools, RunStatus, ToolDefinition, ToolResult, bindings};

use crate::support::{self, ConcurrencyProbe, demo_tools};

/// Cases per property unless `PROPTEST_CASES` says otherwise: enough to cover
/// every operation many times, small enough for a 2-core CI run.
const DEFAULT_CASES: u32 = 64;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// One call of a `sluice_v1` function with the given `i32` arguments.
#[derive(Debug, Clone)]
struct AbiCall {
    function: &'static str,
    args: Vec<i32>,
}

/// Values a hostile guest passes: in its data, at the edges of its memory, far
/// out, negative, and the lengths and handles that matter.
fn abi_value() -> impl Strategy<Value = i32> {
    prop_oneof![
        4 => 0..256i32,
        2 => 0..16i32,
        1 => Just(-1),
        1 => Just(i32::MAX),
        1 => Just(i32::MIN),
        1 => Just(65_536 - 8),
        1 => Just(65_536),
        1 => any::<i32>(),
    ]
}

fn abi_call() -> impl Strategy<Value = AbiCall> {
    let functions = sluice::abi_functions().to_vec();
    (0..functions.len(), prop::collection::vec(abi_value(), 6)).prop_map(move |(index, values)| {
        let (function, params, _) = functions[index];
        let mut args = values[..params].to_vec();
        if function == "wait_any_timeout" {
            // A long wait is allowed (it ends with the run); here it would only run out the deadline.
            args[0] = args[0].min(50);
        }
        AbiCall { function, args }
    })
}

/// The guest's data: random bytes, with valid requests at fixed places so
/// that some calls get through (a server and tool name, arguments, a search).
fn guest_data() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..128).prop_map(|mut random| {
        let mut data = b"demo echo {\"a\":1} {\"query\":\"echo\"} add".to_vec();
        data.resize(64, b' ');
        data.append(&mut random);
        data
    })
}

/// A module whose `_start` makes `calls` in order, with `data` at address 0.
fn program(data: &[u8], calls: &[AbiCall]) -> String {
    let mut wat = String::from("(module\n");
    for (name, params, results) in sluice::abi_functions() {
        let params = " i32".repeat(*params);
        let results = if *results == 0 { String::new() } else { " (result i32)".repeat(*results) };
        let _ = writeln!(wat, "  (import \"sluice_v1\" \"{name}\" (func ${name} (param{params}){results}))");
    }
    wat.push_str("  (memory (export \"memory\") 1)\n  (data (i32.const 0) \"");
    for byte in data {
        let _ = write!(wat, "\\{byte:02x}");
    }
    wat.push_str("\")\n  (func (export \"_start\")\n");
    for call in calls {
        let args: String = call.args.iter().map(|a| format!(" (i32.const {a})")).collect();
        let returns = sluice::abi_functions().iter().any(|(name, _, results)| *name == call.function && *results > 0);
        if returns {
            let _ = writeln!(wat, "    (drop (call ${}{args}))", call.function);
        } else {
            let _ = writeln!(wat, "    (call ${}{args})", call.function);
        }
    }
    wat.push_str("  ))\n");
    wat
}

#[test]
fn no_sequence_of_abi_calls_makes_the_host_fail_or_panic() {
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let mut policy = ExecutionPolicy::default();
    policy.limits.deadline = Duration::from_secs(5);
    policy.limits.calls_in_flight = 4;
    policy.limits.log_records = 8;
    proptest!(config(), |(data in guest_data(), calls in prop::collection::vec(abi_call(), 1..40))| {
        let wat = program(&data, &calls);
        let program = support::runtime().load("fuzz.wat", wat.as_bytes()).expect("generated modules are valid");
        let tools = Arc::new(demo_tools(Arc::new(ConcurrencyProbe::default()), 1));
        let outcome = tokio.block_on(program.run(&policy, tools, &RunControl::new()));
        let outcome = outcome.expect("whatever a program does is an outcome, not an embedder error");
        if let RunStatus::Failed { message, .. } = &outcome.status {
            prop_assert!(!message.contains("panicked"), "{message}");
        }
        prop_assert!(outcome.logs.len() <= 8, "{} log records kept", outcome.logs.len());
        prop_assert!(outcome.limit() != Some(sluice::LimitKind::Timeout), "a few ABI calls ran out the deadline: {outcome:?}");
    });
    tokio.block_on(support::assert_still_healthy());
}

/// JSON Schema-shaped values: objects with the keywords the generators read,
/// nested, with hostile strings, and references among themselves.
fn schema() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        Just(String::new()),
        "[a-z_]{1,8}",
        Just("*/\n// evil\ninclude_str!(\"/etc/passwd\")".to_owned()),
        Just("\"quoted\" \\ back\u{2028}\u{1b}[2J".to_owned()),
        any::<String>(),
    ];
    let leaf = prop_oneof![
        Just(json!({})),
        Just(json!(true)),
        prop_oneof![Just("string"), Just("integer"), Just("number"), Just("boolean"), Just("null"), Just("object")]
            .prop_map(|t| json!({ "type": t })),
        prop::collection::vec(text.clone(), 0..4).prop_map(|values| json!({ "enum": values })),
        Just(json!({ "$ref": "#/$defs/node" })),
        Just(json!({ "$ref": "#/definitions/missing" })),
        Just(json!({ "$ref": "https://example.com/remote" })),
        text.clone().prop_map(|t| json!({ "const": t, "description": t })),
    ];
    leaf.prop_recursive(6, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::btree_map(text.clone(), inner.clone(), 0..5).prop_map(|properties| {
                json!({ "type": "object", "properties": properties, "required": properties.keys().collect::<Vec<_>>() })
            }),
            inner.clone().prop_map(|items| json!({ "type": "array", "items": items })),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|any_of| json!({ "anyOf": any_of })),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|all_of| json!({ "allOf": all_of })),
            (inner.clone(), inner.clone()).prop_map(|(node, root)| {
                let mut root = match root {
                    Value::Object(map) => map,
                    other => Map::from_iter([("items".to_owned(), other)]),
                };
                root.insert("$defs".to_owned(), json!({ "node": node }));
                Value::Object(root)
            }),
            inner.prop_map(|extra| json!({ "type": "object", "additionalProperties": extra })),
        ]
    })
}

fn tool_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_-]{0,12}",
        any::<String>(),
        Just("x\n/// \n#[doc=include_str!(\"/etc/passwd\")]".to_owned())
    ]
}

/// Generated output must stay within this many bytes per tool, however the
/// schema is shaped (the generators' own budgets are well inside it).
const MAX_GENERATED_BYTES_PER_TOOL: usize = 4 << 20;

#[test]
fn no_server_schema_makes_declarations_bindings_or_search_panic_or_blow_up() {
    let tokio = tokio::runtime::Runtime::new().unwrap();
    proptest!(config(), |(
        name in tool_name(),
        title in tool_name(),
        input in schema(),
        output in prop::option::of(schema()),
        query in any::<String>(),
    )| {
        let mut definition = ToolDefinition::new(name.clone(), title.clone(), input);
        if let Some(output) = output {
            definition = definition.with_output_schema(output);
        }
        let declaration = declarations::tool_declaration("server", &definition);
        prop_assert!(declaration.len() < MAX_GENERATED_BYTES_PER_TOOL, "{} bytes of declaration", declaration.len());
        let index = tree::index("server", &title, std::slice::from_ref(&definition));
        prop_assert!(index.len() < MAX_GENERATED_BYTES_PER_TOOL);
        for language in [bindings::Language::Rust, bindings::Language::TypeScript] {
            for file in bindings::generate("server", &title, std::slice::from_ref(&definition), language) {
                prop_assert!(file.contents.len() < MAX_GENERATED_BYTES_PER_TOOL, "{} bytes", file.contents.len());
            }
        }
        let host = InProcessTools::new().with_server("server", "s").with_tool("server", definition, |_| async {
            Ok(ToolResult::text("ok"))
        });
        let catalog = ToolCatalog::new(Arc::new(host));
        let search = SearchQuery { query, limit: None, detail: Detail::Full };
        let _ = tokio.block_on(catalog.search(&search));
        let _ = tokio.block_on(catalog.describe("server", &name));
    });
}
