//! What a model sees of Sluice: its three tools and the instructions, written
//! to teach the API in a few lines. Upstream tool definitions never appear here;
//! the configured servers appear by name and one-line summary only.
//!
//! All of it (names, descriptions, schemas, without the server lines) stays
//! within 600 o200k tokens; `tests/all/serve.rs` counts them.

use serde_json::{Value, json};

use crate::terminal::escape_controls;
use crate::tools::ServerInfo;
use crate::tools::text::{display_name, truncate_chars};

/// The tool that runs a program.
pub const EXECUTE: &str = "execute";
/// The tool that searches upstream tools.
pub const SEARCH_TOOLS: &str = "search_tools";
/// The tool that describes one upstream tool.
pub const DESCRIBE_TOOL: &str = "describe_tool";

const EXECUTE_DESCRIPTION: &str = "\
Run a JavaScript or TypeScript program (an ES module; top-level await works) in a sandbox and get back what it prints.
Each MCP server below is an object of async functions: `const r = await tools.<server>.<tool>({...args})`. \
Results come parsed (structured content, else JSON text, else text); a failed call throws a ToolError.
Only console.log output comes back to you, so filter, join and summarise inside the program and print just the answer.
Find tools with `await sluice.search(\"words\")` (or search_tools); `await sluice.describe(server, tool)` gives its TypeScript signature.
No network or environment; /workspace is a scratch directory.
Servers:";

/// The longest server summary shown in `execute`'s description.
const SUMMARY_CHARS: usize = 160;

/// The description of `execute`, listing `servers` one per line.
pub fn execute_description(servers: &[ServerInfo]) -> String {
    let mut text = EXECUTE_DESCRIPTION.to_owned();
    if servers.is_empty() {
        text.push_str("\n(none configured)");
    }
    for server in servers {
        let summary = escape_controls(&truncate_chars(&server.summary, SUMMARY_CHARS)).into_owned();
        text.push_str(&format!("\n- {}: {}", display_name(&server.name), summary));
    }
    text
}

/// `execute`'s arguments.
pub fn execute_input_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "The program."},
            "language": {"type": "string", "enum": ["javascript", "typescript"], "default": "javascript"},
            "timeout": {"type": "number", "description": "Seconds; at most the server's limit."},
            "max_tool_calls": {"type": "integer", "minimum": 0}
        },
        "required": ["code"],
        "additionalProperties": false
    })
}

/// `execute`'s `structuredContent`: the outcome of `sluice run --json`.
pub fn execute_output_schema() -> Value {
    let text_or_null = json!({"type": ["string", "null"]});
    json!({
        "type": "object",
        "properties": {
            "status": {"enum": ["ok", "error", "limit", "cancelled"]},
            "limit": text_or_null,
            "exit_code": {"type": ["integer", "null"]},
            "error": text_or_null,
            "stdout": {"type": "string"},
            "stderr": {"type": "string"},
            "truncated": {"type": "boolean"},
            "logs": {"type": "array"},
            "stats": {"type": "object"}
        },
        "required": ["status", "stdout", "stderr"]
    })
}

const SEARCH_DESCRIPTION: &str = "Search the configured servers' tools by words; best matches first.";

/// `search_tools`' arguments.
pub fn search_input_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
            "detail": {"enum": ["name", "summary", "full"], "default": "summary"}
        },
        "required": ["query"],
        "additionalProperties": false
    })
}

const DESCRIBE_DESCRIPTION: &str = "One tool's definition and its TypeScript signature, as called from execute.";

/// `describe_tool`'s arguments.
pub fn describe_input_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"server": {"type": "string"}, "tool": {"type": "string"}},
        "required": ["server", "tool"],
        "additionalProperties": false
    })
}

/// The three tools as MCP `Tool` objects (JSON). `execute` may run as a task.
pub fn tools(servers: &[ServerInfo]) -> Vec<Value> {
    vec![
        json!({
            "name": EXECUTE,
            "description": execute_description(servers),
            "inputSchema": execute_input_schema(),
            "outputSchema": execute_output_schema(),
            "annotations": {"readOnlyHint": false, "openWorldHint": true},
        }),
        json!({
            "name": SEARCH_TOOLS,
            "description": SEARCH_DESCRIPTION,
            "inputSchema": search_input_schema(),
            "annotations": {"readOnlyHint": true},
        }),
        json!({
            "name": DESCRIBE_TOOL,
            "description": DESCRIBE_DESCRIPTION,
            "inputSchema": describe_input_schema(),
            "annotations": {"readOnlyHint": true},
        }),
    ]
}

/// The server's `instructions`: one line pointing at `execute`.
pub const INSTRUCTIONS: &str = "Write a program and run it with execute: it calls the listed MCP servers' tools \
as functions and returns only what it prints. Use search_tools and describe_tool to find the tools first.";
