//! Proves the guest SDK works end to end against the host's `demo` server: discovery, calls, each kind of error, and concurrent calls.
//!
//! Prints one `<key> <compact JSON>` line per check, which the host test parses.

use serde_json::{Value, json};
use sluice_guest::{Detail, SearchOptions, ToolError, ToolOutput};

fn print(key: &str, value: &Value) {
    println!("{key} {value}");
}

/// The error's kind (and, if `with_message`, its message); a call that
/// unexpectedly succeeded shows as kind `null` with its value, so the test's
/// failure says what happened.
fn error_report(result: Result<ToolOutput, ToolError>, with_message: bool) -> Value {
    match result {
        Err(error) if with_message => json!({ "kind": error.kind.name(), "message": error.message }),
        Err(error) => json!({ "kind": error.kind.name() }),
        Ok(output) => json!({ "kind": null, "value": output.value() }),
    }
}

fn main() {
    let servers = sluice_guest::servers().expect("servers() answers");
    print("servers", &serde_json::to_value(servers).expect("server summaries serialize"));

    let options = SearchOptions { limit: Some(3), detail: Detail::Name };
    let hits = sluice_guest::search("add numbers", options).expect("search() answers");
    print("search", &hits.iter().map(|hit| format!("{}.{}", hit.server, hit.tool)).collect());

    let add = sluice_guest::describe("demo", "add").expect("describe() answers");
    print("describe", &add.input_schema);

    let echo = sluice_guest::call("demo", "echo", &json!({ "hello": "world" })).expect("demo.echo answers");
    print("echo", &echo.value());

    let sum = sluice_guest::call("demo", "add", &json!({ "a": 2, "b": 40 })).expect("demo.add answers");
    print("sum", &sum.value()["sum"]);

    print("fail", &error_report(sluice_guest::call("demo", "fail", &json!({})), true));
    print("unknown", &error_report(sluice_guest::call("demo", "nope", &json!({})), false));
    let blob = "x".repeat(2 * 1024 * 1024);
    print("oversized", &error_report(sluice_guest::call("demo", "echo", &json!({ "blob": blob })), false));

    let results = sluice_guest::call_all((0..20).map(|_| ("demo", "probe-concurrency", json!({}))));
    print("concurrent", &json!(results.iter().filter(|result| result.is_ok()).count()));
}
