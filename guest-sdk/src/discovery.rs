//! Finding tools: [`servers`] on offer, [`search`] across them, and [`describe`] one tool in full.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{self, ToolError};
use crate::operations;

/// A server on offer, from [`servers`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerSummary {
    /// Its name, as used in calls.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub summary: String,
}

/// Lists the servers on offer. The host loads no tool definitions for this.
pub fn servers() -> Result<Vec<ServerSummary>, ToolError> {
    let completion = operations::start_servers().wait();
    let payload = error::into_result("sluice", "servers", completion)?;
    error::parse("sluice", "servers", &payload)
}

/// How much of each match [`search`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    /// Server, tool and score only.
    Name,
    /// Also the first sentence of the tool's description.
    #[default]
    Summary,
    /// Also the tool's whole definition.
    Full,
}

/// Options of [`search`]; the default asks for the host's default number of
/// matches (10) with [`Detail::Summary`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SearchOptions {
    /// At most this many matches (the host allows at most 100).
    pub limit: Option<u32>,
    /// How much of each match.
    pub detail: Detail,
}

/// One match of [`search`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SearchHit {
    /// The server.
    pub server: String,
    /// The tool.
    pub tool: String,
    /// Relevance; higher is better, and only the order means anything.
    pub score: f64,
    /// The tool's `readOnlyHint` annotation: `true` if it changes nothing.
    #[serde(default, rename = "readOnly", skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// The tool's `destructiveHint` annotation: `true` if it may destroy data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destructive: Option<bool>,
    /// The first sentence of the tool's description ([`Detail::Summary`] and [`Detail::Full`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The tool's whole definition ([`Detail::Full`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<ToolDescription>,
}

/// Finds tools across all servers for `query`, best match first.
pub fn search(query: &str, options: SearchOptions) -> Result<Vec<SearchHit>, ToolError> {
    #[derive(Serialize)]
    struct SearchRequest<'a> {
        query: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
        detail: Detail,
    }
    let request = SearchRequest { query, limit: options.limit, detail: options.detail };
    let request = serde_json::to_vec(&request).expect("a search request always serializes");
    let completion = operations::start_search(&request).wait();
    let payload = error::into_result("sluice", "search", completion)?;
    let mut hits: Vec<SearchHit> = error::parse("sluice", "search", &payload)?;
    // A hit's definition is a description without its `server`; fill it in.
    for hit in &mut hits {
        if let Some(definition) = &mut hit.definition
            && definition.server.is_empty()
        {
            definition.server.clone_from(&hit.server);
        }
    }
    Ok(hits)
}

/// A tool's full definition, from [`describe`] (or a [`Detail::Full`] search).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolDescription {
    /// The server that offers the tool.
    #[serde(default)]
    pub server: String,
    /// The tool's name, as used in calls.
    pub name: String,
    /// A human-readable title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the tool does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON Schema of its arguments.
    pub input_schema: Value,
    /// The JSON Schema of its `structuredContent`, when it declares one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    /// MCP tool annotations (hints such as `readOnlyHint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Value>,
    /// The tool's TypeScript declaration, generated from its schemas (empty
    /// inside a search hit's `definition`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub typescript: String,
}

/// Reads the full definition of `server`'s `tool`: its description and schemas.
pub fn describe(server: &str, tool: &str) -> Result<ToolDescription, ToolError> {
    let completion = operations::start_describe(server, tool).wait();
    let payload = error::into_result(server, tool, completion)?;
    error::parse(server, tool, &payload)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn descriptions_read_camel_case_and_tolerate_unknown_fields() {
        let description: ToolDescription = serde_json::from_value(json!({
            "server": "demo",
            "name": "add",
            "inputSchema": { "type": "object" },
            "outputSchema": { "type": "object" },
            "icons": []
        }))
        .unwrap();
        assert_eq!(description.input_schema, json!({ "type": "object" }));
        assert_eq!(description.output_schema, Some(json!({ "type": "object" })));
    }

    #[test]
    fn detail_is_sent_in_lowercase() {
        assert_eq!(serde_json::to_value(Detail::Name).unwrap(), json!("name"));
        assert_eq!(serde_json::to_value(Detail::default()).unwrap(), json!("summary"));
    }
}
