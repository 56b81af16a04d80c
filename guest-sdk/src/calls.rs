//! Tool calls: [`call`] one and wait, [`start`] one and wait later, or [`call_all`] many at once; and [`ToolOutput`], what a tool returns.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{self, ToolError};
use crate::operations::{self, Operation};

/// What a tool returned: the MCP `CallToolResult` of a call that succeeded.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolOutput {
    /// The MCP content blocks (`{"type": "text", "text": ...}` and others).
    #[serde(default)]
    pub content: Vec<Value>,
    /// The structured result, when the tool gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
}

impl ToolOutput {
    /// The result as one JSON value:
    ///
    /// 1. `structuredContent`, when present;
    /// 2. otherwise, when `content` is exactly one block of type `text`, that
    ///    text parsed as JSON, or the text as a JSON string if it does not parse;
    /// 3. otherwise the `content` array.
    pub fn value(&self) -> Value {
        if let Some(structured) = &self.structured_content {
            return structured.clone();
        }
        match self.single_text() {
            Some(text) => parse_text(text),
            None => Value::Array(self.content.clone()),
        }
    }

    /// Like [`value`](ToolOutput::value), but takes the output apart instead of copying it.
    pub fn into_value(self) -> Value {
        if let Some(structured) = self.structured_content {
            return structured;
        }
        match self.single_text() {
            Some(text) => parse_text(text),
            None => Value::Array(self.content),
        }
    }

    /// The text of the only content block, when there is exactly one and it is of type `text`.
    fn single_text(&self) -> Option<&str> {
        match self.content.as_slice() {
            [block] if block.get("type").and_then(Value::as_str) == Some("text") => {
                block.get("text").and_then(Value::as_str)
            }
            _ => None,
        }
    }
}

fn parse_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// A tool call in flight on the host, from [`start`].
///
/// Dropping it without calling [`wait`](PendingCall::wait) lets the call run to
/// completion on the host; its result is discarded when it arrives.
#[derive(Debug)]
#[must_use = "a call's result is only seen through `wait`"]
pub struct PendingCall {
    operation: Operation,
    server: String,
    tool: String,
}

impl PendingCall {
    /// The server called.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The tool called.
    pub fn tool(&self) -> &str {
        &self.tool
    }

    /// Blocks until the call has completed and returns its result. Other calls
    /// that complete meanwhile are read and kept for their own `wait`.
    pub fn wait(self) -> Result<ToolOutput, ToolError> {
        let payload = error::into_result(&self.server, &self.tool, self.operation.wait())?;
        error::parse(&self.server, &self.tool, &payload)
    }
}

/// Starts a call of `server`'s `tool` with `args` (a JSON object) and returns at
/// once, without waiting for the result.
///
/// When the host already has as many operations in flight as the run allows
/// (`calls_in_flight`), this first waits for one of them to complete and keeps
/// its result for its own [`PendingCall::wait`].
pub fn start(server: &str, tool: &str, args: &Value) -> PendingCall {
    let args = serde_json::to_vec(args).expect("a serde_json::Value always serializes");
    PendingCall {
        operation: operations::start_call(server, tool, &args),
        server: server.to_owned(),
        tool: tool.to_owned(),
    }
}

/// Calls `server`'s `tool` with `args` (a JSON object) and waits for its result.
///
/// A tool that reports an error (`isError`) and a call the host could not make
/// (unknown tool, arguments too large, …) both come back as a [`ToolError`].
pub fn call(server: &str, tool: &str, args: &Value) -> Result<ToolOutput, ToolError> {
    start(server, tool, args).wait()
}

/// Runs every call in `calls`, each a `(server, tool, args)` triple, concurrently
/// (as many in flight at once as the host allows), and returns their results in
/// the order of `calls`.
pub fn call_all<I, S, T>(calls: I) -> Vec<Result<ToolOutput, ToolError>>
where
    I: IntoIterator<Item = (S, T, Value)>,
    S: AsRef<str>,
    T: AsRef<str>,
{
    let pending: Vec<PendingCall> =
        calls.into_iter().map(|(server, tool, args)| start(server.as_ref(), tool.as_ref(), &args)).collect();
    pending.into_iter().map(PendingCall::wait).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn output(content: Value, structured: Option<Value>) -> ToolOutput {
        ToolOutput { content: serde_json::from_value(content).unwrap(), structured_content: structured }
    }

    #[test]
    fn the_value_is_the_structured_content_when_there_is_one() {
        let out = output(json!([{ "type": "text", "text": "ignored" }]), Some(json!({ "sum": 42 })));
        assert_eq!(out.value(), json!({ "sum": 42 }));
        assert_eq!(out.into_value(), json!({ "sum": 42 }));
    }

    #[test]
    fn a_single_text_block_is_parsed_as_json_or_kept_as_a_string() {
        assert_eq!(output(json!([{ "type": "text", "text": "[1, 2]" }]), None).value(), json!([1, 2]));
        assert_eq!(output(json!([{ "type": "text", "text": "hello" }]), None).value(), json!("hello"));
        assert_eq!(output(json!([{ "type": "text", "text": "hello" }]), None).into_value(), json!("hello"));
    }

    #[test]
    fn anything_else_is_the_content_array() {
        let two = json!([{ "type": "text", "text": "1" }, { "type": "text", "text": "2" }]);
        assert_eq!(output(two.clone(), None).value(), two);
        let image = json!([{ "type": "image", "data": "AAAA", "mimeType": "image/png" }]);
        assert_eq!(output(image.clone(), None).into_value(), image);
        assert_eq!(output(json!([]), None).value(), json!([]));
    }

    #[test]
    fn a_call_result_deserializes_from_its_mcp_shape() {
        let out: ToolOutput =
            serde_json::from_str(r#"{"content":[],"structuredContent":{"a":1},"isError":false,"_meta":{}}"#).unwrap();
        assert_eq!(out.structured_content, Some(json!({ "a": 1 })));
    }
}
