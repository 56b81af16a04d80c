//! rmcp's protocol types to Sluice's own ([`ToolDefinition`], [`ToolResult`],
//! [`ToolCallError`]), so no protocol crate leaks past this module.

use rmcp::ServiceError;
use rmcp::model::{CallToolResult, ContentBlock, TextContent, Tool};
use rmcp::service::ClientInitializeError;
use rmcp::transport::DynamicTransportError;
use rmcp::transport::auth::AuthError;
use rmcp::transport::streamable_http_client::StreamableHttpError;
use serde_json::Value;

use super::oversize::{MAX_JSON_DEPTH, OVERSIZE_CODE, TOO_DEEP_CODE};
use super::redact::Redactor;
use crate::terminal::escape_controls;
use crate::tools::{ToolCallError, ToolDefinition, ToolResult, text_block};

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
    let content = result.content.into_iter().filter_map(content_block).collect();
    ToolResult { content, structured_content: result.structured_content, is_error: result.is_error.unwrap_or(false) }
}

/// A content block as its JSON. A plain text block's text is moved, not
/// serialised: it is most often the whole result (a 3.6 MB text was copied
/// here once more on its way to the program). Anything else is serialised,
/// with the same keys in the same order either way.
fn content_block(block: ContentBlock) -> Option<Value> {
    match block {
        ContentBlock::Text(TextContent { text, meta: None, annotations: None, .. }) => Some(text_block(text)),
        block => serde_json::to_value(&block).ok(),
    }
}

/// What a failed request means for the program. `post_mortem` explains a
/// closed connection (exit status, stderr). What the server or the transport
/// said is quoted only through `redactor`.
pub(super) fn request_error(
    server: &str,
    error: ServiceError,
    post_mortem: &str,
    redactor: &Redactor,
) -> ToolCallError {
    let message = match error {
        ServiceError::McpError(error) if error.code.0 == OVERSIZE_CODE => {
            let field = |name: &str| error.data.as_ref().and_then(|d| d.get(name)).and_then(Value::as_u64);
            if let (Some(size), Some(limit)) = (field("size"), field("limit")) {
                return ToolCallError::ResultTooLarge { size, limit };
            }
            redactor.redact(&error.message)
        }
        ServiceError::McpError(error) if error.code.0 == TOO_DEEP_CODE => too_deep(),
        ServiceError::McpError(error) => {
            format!("it answered with error {}: {}", error.code.0, redactor.redact(&error.message))
        }
        ServiceError::TransportClosed => format!("it stopped during the request: {}", redactor.redact(post_mortem)),
        ServiceError::TransportSend(error) => {
            tracing::warn!(server, "a request failed in the transport: {}", escape_controls(&error.to_string()));
            transport_failure(server, &error, redactor)
        }
        ServiceError::UnexpectedResponse => {
            "it answered with something other than a tool result (a task or a request for input, which \
             Sluice does not support)"
                .to_owned()
        }
        other => {
            tracing::warn!(server, "a request failed: {}", escape_controls(&other.to_string()));
            redactor.redact(&other.to_string())
        }
    };
    ToolCallError::Server { server: server.to_owned(), message }
}

/// Why the MCP handshake failed, for the program: the kind of failure, with
/// what the server said redacted; the full error (URL, HTTP body) is for the log.
pub(super) fn handshake_error(server: &str, error: &ClientInitializeError, redactor: &Redactor) -> String {
    match error {
        ClientInitializeError::TransportError { error, .. } => transport_failure(server, error, redactor),
        ClientInitializeError::JsonRpcError(error) => {
            format!("it answered with error {}: {}", error.code.0, redactor.redact(&error.message))
        }
        ClientInitializeError::ConnectionClosed(_) => "the connection closed".to_owned(),
        ClientInitializeError::LegacyFallbackFailed { fallback, .. } => handshake_error(server, fallback, redactor),
        other => redactor.redact(&other.to_string()),
    }
}

/// Why an answer nested too deep failed.
fn too_deep() -> String {
    format!(
        "its answer is nested deeper than {MAX_JSON_DEPTH} levels of arrays and objects, which Sluice does not read"
    )
}

/// Whether a handshake failed because the server wants credentials (HTTP 401
/// or 403 for scope) or Sluice's OAuth could not provide them: no other
/// handshake gets further without them.
pub(super) fn needs_credentials(error: &ClientInitializeError) -> bool {
    let ClientInitializeError::TransportError { error, .. } = error else { return false };
    matches!(
        error.error.downcast_ref::<StreamableHttpError<reqwest::Error>>(),
        Some(
            StreamableHttpError::AuthRequired(_)
                | StreamableHttpError::InsufficientScope(_)
                | StreamableHttpError::Auth(_)
        )
    )
}

/// What a transport failure means, for the program: for Streamable HTTP, the
/// kind of failure and the status code, never the URL, headers, body or an
/// OAuth detail (the log has those); a server that wants a sign-in names the
/// command that gives it one.
fn transport_failure(server: &str, error: &DynamicTransportError, redactor: &Redactor) -> String {
    let Some(http) = error.error.downcast_ref::<StreamableHttpError<reqwest::Error>>() else {
        return format!("the request could not be sent: {}", redactor.redact(&error.error.to_string()));
    };
    // serde_json's words for an answer nested deeper than it parses.
    let too_deep_for_json = |text: &str| text.contains("recursion limit exceeded");
    match http {
        StreamableHttpError::Client(error) if error.is_connect() => "it could not be reached".to_owned(),
        StreamableHttpError::Client(error) if error.is_timeout() => "its HTTP answer did not come in time".to_owned(),
        StreamableHttpError::Client(error) => match error.status() {
            Some(status) => format!("it answered HTTP {}", status.as_u16()),
            None => "the HTTP request failed".to_owned(),
        },
        StreamableHttpError::HttpStatus(error) => format!("it answered HTTP {}", error.status),
        StreamableHttpError::AuthRequired(_) => {
            format!("it answered HTTP 401: it requires authorization; sign in with `sluice login {server}`")
        }
        StreamableHttpError::InsufficientScope(_) => format!(
            "it answered HTTP 403: the sign-in's scope is too narrow; sign in again with `sluice login {server}`, \
             which asks for the scope it wants"
        ),
        StreamableHttpError::Auth(error) => {
            tracing::warn!(server, "OAuth failed: {}", escape_controls(&crate::error::chain(error)));
            match error {
                AuthError::AuthorizationRequired | AuthError::TokenRefreshRejected(_) => {
                    format!("its sign-in has expired or was revoked; sign in again with `sluice login {server}`")
                }
                AuthError::TokenRefreshFailed(_) => {
                    "its token could not be refreshed (the authorization server did not answer as expected)".to_owned()
                }
                AuthError::ClientCredentialsError(_) | AuthError::TokenExchangeFailed(_) => {
                    "the authorization server did not give Sluice a token for its client credentials".to_owned()
                }
                _ => "its OAuth authorization failed (Sluice's log says why)".to_owned(),
            }
        }
        // `HTTP <status>: <body>`, or what was wrong with a body that is not JSON-RPC.
        StreamableHttpError::UnexpectedServerResponse(text) => {
            match text.strip_prefix("HTTP ").and_then(|t| t.get(..3)) {
                Some(status) if status.bytes().all(|b| b.is_ascii_digit()) => format!("it answered HTTP {status}"),
                _ if too_deep_for_json(text) => too_deep(),
                _ => "it answered with something other than MCP".to_owned(),
            }
        }
        StreamableHttpError::Deserialize(error) if too_deep_for_json(&error.to_string()) => too_deep(),
        StreamableHttpError::ResponseBodyTooLarge { max_size } => {
            format!("its HTTP answer is over the limit of {max_size} bytes")
        }
        StreamableHttpError::UnexpectedContentType(_) | StreamableHttpError::Deserialize(_) => {
            "it answered with something other than MCP".to_owned()
        }
        StreamableHttpError::SessionExpired => "its session expired".to_owned(),
        StreamableHttpError::Io(_) | StreamableHttpError::UnexpectedEndOfStream => "the connection broke".to_owned(),
        _ => "the Streamable HTTP transport failed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use rmcp::model::{ErrorCode, ErrorData};
    use serde_json::json;

    use super::*;

    #[test]
    fn content_blocks_are_what_serialising_them_gives_key_order_included() {
        let blocks: Vec<ContentBlock> = serde_json::from_value(json!([
            { "type": "text", "text": "plain \"q\" é" },
            { "type": "text", "text": "", "annotations": { "priority": 0.5 } },
            { "type": "text", "text": "t", "_meta": { "k": 1 } },
            { "type": "image", "data": "AA==", "mimeType": "image/png" },
        ]))
        .unwrap();
        for block in blocks {
            let serialised = serde_json::to_string(&serde_json::to_value(&block).unwrap()).unwrap();
            let converted = serde_json::to_string(&content_block(block).unwrap()).unwrap();
            assert_eq!(converted, serialised);
        }
    }

    #[test]
    fn an_oversized_answer_is_result_too_large() {
        let error = ErrorData::new(ErrorCode(OVERSIZE_CODE), "big", Some(json!({ "size": 20, "limit": 10 })));
        assert_eq!(
            request_error("s", ServiceError::McpError(error), "", &Redactor::default()),
            ToolCallError::ResultTooLarge { size: 20, limit: 10 }
        );
    }

    #[test]
    fn a_closed_connection_explains_itself() {
        let error =
            request_error("git", ServiceError::TransportClosed, "the process exited (signal 9)", &Redactor::default());
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
