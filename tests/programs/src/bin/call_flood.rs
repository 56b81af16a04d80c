//! Hostile: makes 100,000 tool calls one after another, proving the host's `tool_calls` cap stops a program before it prints `FINISHED`.

use serde_json::json;

fn main() {
    let args = json!({});
    for _ in 0..100_000 {
        let _ = sluice_guest::call("demo", "echo", &args);
    }
    println!("FINISHED");
}
