//! rmcp's protocol types to Sluice's own ([`ToolDefinition`], [`ToolResult`],
//! [`ToolCallError`]), so no protocol crate leaks past this module.

use rmcp::ServiceError;
use rmcp::model::{CallToolResult, Tool};
use serde_json::Value;

use super::oversize::OVERSIZE_CODE;
use crate::tools::{ToolCallError, ToolDefinition, ToolResult};

/// A listed tool as Sluice describes it.
pub(super) fn definition(tool: Tool) -> ToolDefinition {
    ToolDefinition {
        name: tool.name.into_owned(),
        title: tool.title.or_else(|| tool.annotations.as_ref().and_then(|a| a.title.clone())),
        description: tool.description.map(|d| d.into_owned()),
        input_schema: Value::Object((*tool.input_schema).clone()),
        output_schema: tool.output_schema.map(|schema| Value::Object((*schema).clone())),
        annotations: tool.annotations.and_then(|annotations| serde_json::to_value(annotations).ok()),
    }
}

/// A call's result as the sandbox passes it on.
pub(super) fn result(result: CallToolResult) -> ToolResult {
    let content = result.content.iter().filter_map(|block| serde_json::to_value(block).ok()).collect();
    ToolResult { content, structured_content: result.structured_content, is_error: result.is_error.unwrap_or(false) }
}

/// What a failed request means for the program. `post_mortem` explains a
/// closed connection (exit status, stderr).
pub(super) fn request_error(server: &str, error: ServiceError, post_mortem: &str) -> ToolCallError {
    let message = match error {
        ServiceError::McpError(error) if error.code.0 == OVERSIZE_CODE => {
            let field = |name: &str| error.data.as_ref().and_then(|d| d.get(name)).and_then(Value::as_u64);
            if let (Some(size), Some(limit)) = (field("size"), field("limit")) {
                return ToolCallError::ResultTooLarge { size, limit };
            }
            error.message.into_owned()
        }
        ServiceError::McpError(error) => format!("it answered with error {}: {}", error.code.0, error.message),
        ServiceError::TransportClosed => format!("it stopped during the request: {post_mortem}"),
        ServiceError::TransportSend(error) => format!("the request could not be sent: {error}"),
        ServiceError::UnexpectedResponse => {
            "it answered with something other than a tool result (a task or a request for input, which \
             Sluice does not support)"
                .to_owned()
        }
        other => other.to_string(),
    };
    ToolCallError::Server { server: server.to_owned(), message }
}

#[cfg(test)]
mod tests {
    use rmcp::model::{ErrorCode, ErrorData};
    use serde_json::json;

    use super::*;

    #[test]
    fn an_oversized_answer_is_result_too_large() {
        let error = ErrorData::new(ErrorCode(OVERSIZE_CODE), "big", Some(json!({ "size": 20, "limit": 10 })));
        assert_eq!(
            request_error("s", ServiceError::McpError(error), ""),
            ToolCallError::ResultTooLarge { size: 20, limit: 10 }
        );
    }

    #[test]
    fn a_closed_connection_explains_itself() {
        let error = request_error("git", ServiceError::TransportClosed, "the process exited (signal 9)");
        assert_eq!(
            error.to_string(),
            r#"server "git" failed: it stopped during the request: the process exited (signal 9)"#
        );
    }

    #[test]
    fn tool_definitions_keep_schemas_and_annotations() {
        let tool: Tool = serde_json::from_value(json!({
            "name": "get-sum",
            "description": "Adds.",
            "inputSchema": { "type": "object", "properties": { "a": { "type": "number" } } },
            "outputSchema": { "type": "object" },
            "annotations": { "readOnlyHint": true, "title": "Sum" },
        }))
        .unwrap();
        let definition = definition(tool);
        assert_eq!(definition.name, "get-sum");
        assert_eq!(definition.title.as_deref(), Some("Sum"));
        assert_eq!(definition.input_schema["properties"]["a"]["type"], "number");
        assert_eq!(definition.output_schema, Some(json!({ "type": "object" })));
        assert_eq!(definition.annotations.unwrap()["readOnlyHint"], true);
    }
}
