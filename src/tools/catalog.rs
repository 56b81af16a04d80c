//! `ToolCatalog`: search (BM25 over names, titles, descriptions, parameters) and describe, over any [`ToolHost`].

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::declarations::tool_declaration;
use super::names;
use super::{ToolCall, ToolCallError, ToolDefinition, ToolHost, ToolResult};

/// Most results one search may ask for.
pub const MAX_SEARCH_LIMIT: u32 = 100;
const DEFAULT_SEARCH_LIMIT: u32 = 10;
/// Longest query accepted, in bytes.
const MAX_QUERY_BYTES: usize = 1024;

/// How much of each match a search returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    /// Server and tool names only.
    Name,
    /// Names and the first sentence of the description.
    #[default]
    Summary,
    /// Names and the whole definition.
    Full,
}

/// A search request, as a guest sends it to `search_start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words to look for.
    pub query: String,
    /// How many matches at most (1 to 100; default 10).
    #[serde(default)]
    pub limit: Option<u32>,
    /// How much of each match to return.
    #[serde(default)]
    pub detail: Detail,
}

/// One match, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The server.
    pub server: String,
    /// The tool's name on that server.
    pub tool: String,
    /// BM25 relevance; only the order is meaningful.
    pub score: f64,
    /// First sentence of the description (`summary` and `full`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The whole definition (`full`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<ToolDefinition>,
}

/// A tool's full definition together with its server and its TypeScript declaration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDescription {
    /// The server.
    pub server: String,
    /// The definition.
    #[serde(flatten)]
    pub definition: ToolDefinition,
    /// `declare namespace tools.<server> { function <tool>(args: ...): Promise<...>; }`,
    /// generated from the schemas, with the descriptions as doc comments.
    pub typescript: String,
}

/// Search and description over whatever tools a [`ToolHost`] offers.
#[derive(Clone)]
pub struct ToolCatalog {
    host: Arc<dyn ToolHost>,
}

impl ToolCatalog {
    /// A catalog of `host`'s tools.
    pub fn new(host: Arc<dyn ToolHost>) -> Self {
        ToolCatalog { host }
    }

    /// The servers on offer; loads no definitions.
    pub fn servers(&self) -> Vec<super::ServerInfo> {
        self.host.servers()
    }

    /// Ranks every tool of every server against `query`. Loads the definitions of
    /// all servers; servers that fail to list are left out (and logged) unless all fail.
    pub async fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>, ToolCallError> {
        let limit = query.limit.unwrap_or(DEFAULT_SEARCH_LIMIT);
        if limit == 0 || limit > MAX_SEARCH_LIMIT {
            return Err(invalid(format!("limit must be between 1 and {MAX_SEARCH_LIMIT}, not {limit}")));
        }
        if query.query.len() > MAX_QUERY_BYTES {
            return Err(invalid(format!("the query is over {MAX_QUERY_BYTES} bytes")));
        }
        let terms = tokenize(&query.query);
        if terms.is_empty() {
            return Err(invalid("the query has no words to search for".to_owned()));
        }

        let servers = self.host.servers();
        let mut tools = Vec::new();
        let mut first_error = None;
        for server in &servers {
            match self.host.list_tools(&server.name).await {
                Ok(definitions) => tools.extend(definitions.iter().map(|d| (server.name.clone(), d.clone()))),
                Err(error) => {
                    tracing::warn!(server = %server.name, %error, "search skips a server whose tools could not be listed");
                    first_error.get_or_insert(error);
                }
            }
        }
        if tools.is_empty()
            && let Some(error) = first_error
        {
            return Err(error);
        }

        let documents: Vec<WeightedDocument> =
            tools.iter().map(|(server, definition)| WeightedDocument::new(server, definition)).collect();
        let scores = bm25(&documents, &terms);
        let mut ranked: Vec<(f64, usize)> =
            scores.into_iter().enumerate().filter(|(_, s)| *s > 0.0).map(|(i, s)| (s, i)).collect();
        ranked.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| tools[a.1].0.cmp(&tools[b.1].0))
                .then_with(|| tools[a.1].1.name.cmp(&tools[b.1].1.name))
        });
        ranked.truncate(limit as usize);

        Ok(ranked
            .into_iter()
            .map(|(score, index)| {
                let (server, definition) = &tools[index];
                SearchHit {
                    server: server.clone(),
                    tool: definition.name.clone(),
                    score: (score * 1000.0).round() / 1000.0,
                    description: match query.detail {
                        Detail::Name => None,
                        Detail::Summary | Detail::Full => definition.description.as_deref().map(first_sentence),
                    },
                    definition: (query.detail == Detail::Full).then(|| definition.clone()),
                }
            })
            .collect())
    }

    /// The full definition of one tool. Names may be aliases (see [`super::names`]).
    pub async fn describe(&self, server: &str, tool: &str) -> Result<ToolDescription, ToolCallError> {
        let server = self.resolve_server(server)?;
        let (definitions, name) = self.resolve_tool(&server, tool).await?;
        let definition = definitions.iter().find(|d| d.name == name).cloned().expect("resolved among these");
        let typescript = tool_declaration(&server, &definition);
        Ok(ToolDescription { server, definition, typescript })
    }

    /// Calls a tool; the server and tool names may be aliases. The name is
    /// resolved against the server's tool list (which hosts cache), so the call
    /// goes out once, with its arguments moved, not copied.
    pub async fn call(&self, call: ToolCall) -> Result<ToolResult, ToolCallError> {
        let server = self.resolve_server(&call.server)?;
        let (_, tool) = self.resolve_tool(&server, &call.tool).await?;
        self.host.call_tool(ToolCall { server, tool, arguments: call.arguments }).await
    }

    /// The definitions of `server` and the exact name `wanted` resolves to. A
    /// name the (cached) list lacks is looked up once more in a fresh list: the
    /// server may have added the tool since.
    async fn resolve_tool(&self, server: &str, wanted: &str) -> Result<(Arc<[ToolDefinition]>, String), ToolCallError> {
        let definitions = self.host.list_tools(server).await?;
        if let Some(name) = names::resolve(wanted, definitions.iter().map(|d| d.name.as_str())) {
            return Ok((definitions.clone(), name.to_owned()));
        }
        let definitions = self.host.refresh_tools(server).await?;
        match names::resolve(wanted, definitions.iter().map(|d| d.name.as_str())) {
            Some(name) => Ok((definitions.clone(), name.to_owned())),
            None => Err(unknown_tool(server, wanted, &definitions)),
        }
    }

    fn resolve_server(&self, wanted: &str) -> Result<String, ToolCallError> {
        let servers = self.host.servers();
        names::resolve(wanted, servers.iter().map(|s| s.name.as_str()))
            .map(str::to_owned)
            .ok_or_else(|| ToolCallError::UnknownServer { server: wanted.to_owned() })
    }
}

/// Why `wanted` names no tool of `server`: no such name, or an alias shared by several.
fn unknown_tool(server: &str, wanted: &str, definitions: &[ToolDefinition]) -> ToolCallError {
    let sharing: Vec<&str> =
        definitions.iter().map(|d| d.name.as_str()).filter(|name| names::alias(name) == wanted).collect();
    if sharing.len() > 1 {
        return ToolCallError::InvalidRequest {
            message: format!(
                "{wanted:?} is the alias of several tools of {server:?} ({}); use the exact name in brackets, \
                 as in tools[{server:?}][{:?}]",
                sharing.join(", "),
                sharing[0]
            ),
        };
    }
    ToolCallError::UnknownTool { server: server.to_owned(), tool: wanted.to_owned() }
}

fn invalid(message: String) -> ToolCallError {
    ToolCallError::InvalidRequest { message: format!("search: {message}") }
}

/// The first sentence of a description, at most 200 characters: a tool's
/// summary in search results and in the declaration tree's listings.
pub(super) fn first_sentence(text: &str) -> String {
    let text = text.trim();
    let end = text.find(". ").map(|i| i + 1).into_iter().chain(text.find('\n')).min().unwrap_or(text.len());
    let sentence = text[..end].trim();
    match sentence.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &sentence[..cut]),
        None => sentence.to_owned(),
    }
}

/// Field weights: a word in a tool's name says more than one in its description.
const NAME_WEIGHT: f64 = 3.0;
const TITLE_WEIGHT: f64 = 2.0;
const PARAMETER_WEIGHT: f64 = 1.5;
const SERVER_WEIGHT: f64 = 1.0;
const DESCRIPTION_WEIGHT: f64 = 1.0;

/// A tool as a bag of weighted terms (BM25F with the fields folded together).
struct WeightedDocument {
    term_weights: HashMap<String, f64>,
    length: f64,
}

impl WeightedDocument {
    fn new(server: &str, definition: &ToolDefinition) -> Self {
        let mut document = WeightedDocument { term_weights: HashMap::new(), length: 0.0 };
        document.add(&definition.name, NAME_WEIGHT);
        document.add(server, SERVER_WEIGHT);
        if let Some(title) = &definition.title {
            document.add(title, TITLE_WEIGHT);
        }
        if let Some(description) = &definition.description {
            document.add(description, DESCRIPTION_WEIGHT);
        }
        if let Some(properties) = definition.input_schema.get("properties").and_then(|p| p.as_object()) {
            for (name, schema) in properties {
                document.add(name, PARAMETER_WEIGHT);
                if let Some(text) = schema.get("description").and_then(|d| d.as_str()) {
                    document.add(text, DESCRIPTION_WEIGHT / 2.0);
                }
            }
        }
        document
    }

    fn add(&mut self, text: &str, weight: f64) {
        for term in tokenize(text) {
            *self.term_weights.entry(term).or_default() += weight;
            self.length += weight;
        }
    }
}

fn bm25(documents: &[WeightedDocument], terms: &[String]) -> Vec<f64> {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let count = documents.len() as f64;
    let average_length = documents.iter().map(|d| d.length).sum::<f64>() / count.max(1.0);
    let mut scores = vec![0.0; documents.len()];
    for term in terms {
        let frequency = documents.iter().filter(|d| d.term_weights.contains_key(term)).count() as f64;
        if frequency == 0.0 {
            continue;
        }
        let idf = (1.0 + (count - frequency + 0.5) / (frequency + 0.5)).ln();
        for (document, score) in documents.iter().zip(&mut scores) {
            if let Some(&tf) = document.term_weights.get(term) {
                let norm = K1 * (1.0 - B + B * document.length / average_length.max(f64::EPSILON));
                *score += idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
    }
    scores
}

/// The words of `text` (see [`names::words`]), with a plural `s` removed.
fn tokenize(text: &str) -> Vec<String> {
    let mut words = names::words(text);
    for word in &mut words {
        if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
            word.pop();
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{InProcessTools, ToolResult};
    use serde_json::json;

    fn catalog() -> ToolCatalog {
        let tool = |name: &str, description: &str, params: serde_json::Value| {
            ToolDefinition::new(name, description, json!({ "type": "object", "properties": params }))
        };
        let host = InProcessTools::new()
            .with_server("github", "GitHub")
            .with_tool("github", tool("list_issues", "List issues in a repository.", json!({"repo": {}})), |_| async {
                Ok(ToolResult::text(""))
            })
            .with_tool("github", tool("create_pull_request", "Open a pull request.", json!({"title": {}})), |_| async {
                Ok(ToolResult::text(""))
            })
            .with_tool("math", tool("get-sum", "Adds two numbers together.", json!({"a": {}, "b": {}})), |_| async {
                Ok(ToolResult::text(""))
            });
        ToolCatalog::new(Arc::new(host))
    }

    fn query(text: &str, detail: Detail) -> SearchQuery {
        SearchQuery { query: text.to_owned(), limit: None, detail }
    }

    #[test]
    fn words_split_at_case_and_punctuation_boundaries() {
        assert_eq!(
            tokenize("listIssues get-sum create_pull_request"),
            ["list", "issue", "get", "sum", "create", "pull", "request"]
        );
    }

    #[tokio::test]
    async fn search_ranks_the_tool_whose_name_matches_first() {
        let hits = catalog().search(&query("list issues", Detail::Name)).await.unwrap();
        assert_eq!(hits[0].tool, "list_issues");
        assert!(hits[0].description.is_none());
        let hits = catalog().search(&query("add numbers", Detail::Full)).await.unwrap();
        assert_eq!((hits[0].server.as_str(), hits[0].tool.as_str()), ("math", "get-sum"));
        assert_eq!(hits[0].description.as_deref(), Some("Adds two numbers together."));
        assert!(hits[0].definition.is_some());
    }

    #[tokio::test]
    async fn search_returns_nothing_for_unrelated_words_and_rejects_bad_requests() {
        assert!(catalog().search(&query("kubernetes", Detail::Name)).await.unwrap().is_empty());
        assert_eq!(catalog().search(&query("  ", Detail::Name)).await.unwrap_err().kind(), "invalid_request");
        let too_many = SearchQuery { limit: Some(1000), ..query("sum", Detail::Name) };
        assert_eq!(catalog().search(&too_many).await.unwrap_err().kind(), "invalid_request");
    }

    #[tokio::test]
    async fn calls_and_descriptions_accept_identifier_aliases() {
        let described = catalog().describe("math", "get_sum").await.unwrap();
        assert_eq!(described.definition.name, "get-sum");
        assert!(described.typescript.contains("function get_sum(args: {"), "{}", described.typescript);
        let call = ToolCall { server: "math".to_owned(), tool: "get_sum".to_owned(), arguments: Default::default() };
        assert!(catalog().call(call).await.is_ok());
        let call = ToolCall { server: "math".to_owned(), tool: "get_nope".to_owned(), arguments: Default::default() };
        assert_eq!(catalog().call(call).await.unwrap_err().kind(), "unknown_tool");
    }

    #[tokio::test]
    async fn describe_names_unknown_tools() {
        let described = catalog().describe("math", "get-sum").await.unwrap();
        assert_eq!(described.definition.name, "get-sum");
        assert_eq!(catalog().describe("math", "nope").await.unwrap_err().kind(), "unknown_tool");
        assert_eq!(catalog().describe("nope", "x").await.unwrap_err().kind(), "unknown_server");
    }

    #[test]
    fn first_sentences_are_cut_at_the_period() {
        assert_eq!(first_sentence("Adds numbers. Then more."), "Adds numbers.");
        assert_eq!(first_sentence("One line\nsecond"), "One line");
    }
}
