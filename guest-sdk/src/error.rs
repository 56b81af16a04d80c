//! [`ToolError`]: why an operation gave no usable result, as the program sees it (never a trap).

use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::operations::{Completion, Status};

/// What kind of failure a [`ToolError`] is.
///
/// Besides [`ToolReported`](ErrorKind::ToolReported), there is one variant per
/// `FAILED` kind of `guest-sdk/ABI.md`; kinds added to the ABI later arrive as
/// [`Other`](ErrorKind::Other).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The tool ran and reported an error (`isError`, status `TOOL_ERROR`).
    ToolReported {
        /// The tool's MCP content blocks, as it sent them.
        content: Vec<Value>,
    },
    /// `unknown_server`: no server has that name.
    UnknownServer,
    /// `unknown_tool`: the server has no tool of that name, or Sluice's configuration hides it.
    UnknownTool,
    /// `invalid_arguments`: the arguments are not a JSON object, or the tool rejected them.
    InvalidArguments,
    /// `arguments_too_large`: the arguments are over the run's `argument_bytes` limit.
    ArgumentsTooLarge,
    /// `result_too_large`: the result is over the run's `result_bytes` limit.
    ResultTooLarge,
    /// `server_error`: the server (or the host) failed. The SDK also uses this
    /// kind when the host does not keep its side of the ABI, or is absent (a
    /// program built for something other than wasm32).
    ServerError,
    /// `timeout`: the call took too long.
    Timeout,
    /// `invalid_request`: the request itself was malformed (a name over 128 bytes, a bad search request).
    InvalidRequest,
    /// A `FAILED` kind this version of the SDK does not know, by its name.
    Other(String),
}

impl ErrorKind {
    /// The kind for a `FAILED` payload's `kind` string.
    fn from_name(name: &str) -> Self {
        match name {
            "unknown_server" => ErrorKind::UnknownServer,
            "unknown_tool" => ErrorKind::UnknownTool,
            "invalid_arguments" => ErrorKind::InvalidArguments,
            "arguments_too_large" => ErrorKind::ArgumentsTooLarge,
            "result_too_large" => ErrorKind::ResultTooLarge,
            "server_error" => ErrorKind::ServerError,
            "timeout" => ErrorKind::Timeout,
            "invalid_request" => ErrorKind::InvalidRequest,
            other => ErrorKind::Other(other.to_owned()),
        }
    }

    /// The kind's snake_case name: the ABI's `FAILED` kind (`unknown_tool`, …),
    /// the name carried by [`Other`](ErrorKind::Other), or `tool_reported`.
    pub fn name(&self) -> &str {
        match self {
            ErrorKind::ToolReported { .. } => "tool_reported",
            ErrorKind::UnknownServer => "unknown_server",
            ErrorKind::UnknownTool => "unknown_tool",
            ErrorKind::InvalidArguments => "invalid_arguments",
            ErrorKind::ArgumentsTooLarge => "arguments_too_large",
            ErrorKind::ResultTooLarge => "result_too_large",
            ErrorKind::ServerError => "server_error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Other(name) => name,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An operation's failure, naming the server and tool it concerned.
///
/// For discovery operations that concern no single tool, `server` is `sluice`
/// and `tool` is the operation: `servers` or `search`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolError {
    /// The server called.
    pub server: String,
    /// The tool called.
    pub tool: String,
    /// What kind of failure.
    pub kind: ErrorKind,
    /// What happened, in words. For [`ErrorKind::ToolReported`], the text blocks
    /// of the tool's content joined with newlines.
    pub message: String,
}

impl ToolError {
    fn new(server: &str, tool: &str, kind: ErrorKind, message: String) -> Self {
        ToolError { server: server.to_owned(), tool: tool.to_owned(), kind, message }
    }

    /// The error for a result that is not the JSON the ABI promises.
    pub(crate) fn unreadable(server: &str, tool: &str, problem: impl fmt::Display) -> Self {
        ToolError::new(server, tool, ErrorKind::ServerError, format!("the host's result could not be read: {problem}"))
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{} failed ({}): {}", self.server, self.tool, self.kind, self.message)
    }
}

impl std::error::Error for ToolError {}

/// The payload of a successful operation, or the [`ToolError`] its status and payload describe.
pub(crate) fn into_result(server: &str, tool: &str, completion: Completion) -> Result<Vec<u8>, ToolError> {
    let Completion { status, payload } = completion;
    match status {
        Status::Ok => Ok(payload),
        Status::ToolError => {
            #[derive(Deserialize)]
            struct ReportedError {
                #[serde(default)]
                content: Vec<Value>,
            }
            let reported: ReportedError = parse(server, tool, &payload)?;
            let message = reported
                .content
                .iter()
                .filter_map(|block| block.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n");
            Err(ToolError::new(server, tool, ErrorKind::ToolReported { content: reported.content }, message))
        }
        Status::Failed => {
            #[derive(Deserialize)]
            struct Failure {
                kind: String,
                #[serde(default)]
                message: String,
            }
            let failure: Failure = parse(server, tool, &payload)?;
            Err(ToolError::new(server, tool, ErrorKind::from_name(&failure.kind), failure.message))
        }
        Status::Unknown(code) => Err(ToolError::new(
            server,
            tool,
            ErrorKind::Other(format!("status_{code}")),
            format!("the host answered with status {code}, which this SDK does not know"),
        )),
    }
}

/// Parses a JSON payload, or explains why it could not be read.
pub(crate) fn parse<T: DeserializeOwned>(server: &str, tool: &str, payload: &[u8]) -> Result<T, ToolError> {
    serde_json::from_slice(payload).map_err(|error| ToolError::unreadable(server, tool, error))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn completion(status: Status, payload: Value) -> Completion {
        Completion { status, payload: payload.to_string().into_bytes() }
    }

    #[test]
    fn a_tool_reported_error_keeps_its_content_and_joins_its_text() {
        let content = json!([{ "type": "text", "text": "boom" }, { "type": "text", "text": "again" }]);
        let reported = completion(Status::ToolError, json!({ "content": content, "isError": true }));
        let error = into_result("demo", "fail", reported).unwrap_err();
        assert_eq!(error.message, "boom\nagain");
        assert_eq!(error.kind.name(), "tool_reported");
        assert!(matches!(error.kind, ErrorKind::ToolReported { content } if content.len() == 2));
    }

    #[test]
    fn every_failed_kind_maps_to_its_variant_and_back_to_its_name() {
        let kinds = [
            "unknown_server",
            "unknown_tool",
            "invalid_arguments",
            "arguments_too_large",
            "result_too_large",
            "server_error",
            "timeout",
            "invalid_request",
            "rate_limited",
        ];
        for kind in kinds {
            let failed = completion(Status::Failed, json!({ "kind": kind, "message": "why" }));
            let error = into_result("demo", "echo", failed).unwrap_err();
            assert_eq!(error.kind.name(), kind);
            assert_eq!(error.to_string(), format!("demo.echo failed ({kind}): why"));
        }
        let unknown = into_result("demo", "echo", completion(Status::Failed, json!({ "kind": "rate_limited" })));
        assert_eq!(unknown.unwrap_err().kind, ErrorKind::Other("rate_limited".to_owned()));
    }

    #[test]
    fn a_payload_that_is_not_json_is_a_server_error() {
        let garbled = Completion { status: Status::Failed, payload: b"{oops".to_vec() };
        assert_eq!(into_result("demo", "echo", garbled).unwrap_err().kind, ErrorKind::ServerError);
    }
}
