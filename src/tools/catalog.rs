//! `ToolCatalog`: search (BM25F over names, titles, descriptions, parameters; see [`super::analysis`]) and describe, over any [`ToolHost`].
//!
//! A server's search index is built once per version of its tool list (hosts
//! hand out each version as one `Arc<[ToolDefinition]>`, replaced when the list
//! is fetched again) and shared by every catalog in the process, so repeated
//! searches cost only the lookups of their terms. One search is bounded: at
//! most [`MAX_QUERY_TERMS`] distinct words, [`MAX_SEARCH_LIMIT`] results.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use serde::{Deserialize, Serialize};

use super::analysis::{self, AnalysedQuery, Intent};
use super::declarations::tool_declaration;
use super::names;
use super::{ToolCall, ToolCallError, ToolDefinition, ToolHost, ToolResult};

/// Most results one search may ask for.
pub const MAX_SEARCH_LIMIT: u32 = 100;
const DEFAULT_SEARCH_LIMIT: u32 = 10;
/// Longest query accepted, in bytes.
const MAX_QUERY_BYTES: usize = 1024;
/// Most distinct words one query may search for.
pub const MAX_QUERY_TERMS: usize = 32;
/// Most server indexes kept for the process (one per live tool-list version).
const MAX_CACHED_INDEXES: usize = 256;

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
    /// The tool's `readOnlyHint` annotation: `true` if it changes nothing.
    #[serde(default, rename = "readOnly", skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// The tool's `destructiveHint` annotation: `true` if it may destroy data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destructive: Option<bool>,
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
    /// How many server indexes this catalog (and its clones) built.
    index_builds: Arc<AtomicU64>,
}

impl ToolCatalog {
    /// A catalog of `host`'s tools.
    pub fn new(host: Arc<dyn ToolHost>) -> Self {
        ToolCatalog { host, index_builds: Arc::default() }
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
        let analysed = analysis::analyse_query(&query.query);
        if analysed.words > MAX_QUERY_TERMS {
            return Err(invalid(format!(
                "the query has {} distinct words; at most {MAX_QUERY_TERMS} are searched for",
                analysed.words
            )));
        }
        if analysed.terms.is_empty() {
            return Err(invalid("the query has no words to search for".to_owned()));
        }

        let servers = self.host.servers();
        let mut indexes = Vec::new();
        let mut first_error = None;
        for server in &servers {
            match self.host.list_tools(&server.name).await {
                Ok(definitions) => {
                    let index = cached_index(&server.name, &definitions, &self.index_builds);
                    indexes.push((server.name.as_str(), definitions, index));
                }
                Err(error) => {
                    tracing::warn!(server = %server.name, %error, "search skips a server whose tools could not be listed");
                    first_error.get_or_insert(error);
                }
            }
        }
        if indexes.is_empty()
            && let Some(error) = first_error
        {
            return Err(error);
        }

        let parts: Vec<&ServerIndex> =
            indexes.iter().map(|(_, _, index)| index.get().expect("cached_index initialises it")).collect();
        let mut ranked = bm25(&parts, &analysed);
        let order = |a: &(f64, usize, usize), b: &(f64, usize, usize)| {
            b.0.total_cmp(&a.0)
                .then_with(|| indexes[a.1].0.cmp(indexes[b.1].0))
                .then_with(|| indexes[a.1].1[a.2].name.cmp(&indexes[b.1].1[b.2].name))
        };
        let limit = limit as usize;
        if ranked.len() > limit {
            ranked.select_nth_unstable_by(limit, order);
            ranked.truncate(limit);
        }
        ranked.sort_by(order);

        Ok(ranked
            .into_iter()
            .map(|(score, server, tool)| {
                let definition = &indexes[server].1[tool];
                SearchHit {
                    server: indexes[server].0.to_owned(),
                    tool: definition.name.clone(),
                    score: (score * 1000.0).round() / 1000.0,
                    read_only: read_only_hint(definition),
                    destructive: annotation(definition, "destructiveHint"),
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
            None => Err(match self.host.refusal(server, wanted) {
                Some(rule) => ToolCallError::DeniedTool { server: server.to_owned(), tool: wanted.to_owned(), rule },
                None => unknown_tool(server, wanted, &definitions),
            }),
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
    let suggestion = crate::suggest::did_you_mean(wanted, definitions.iter().map(|d| d.name.as_str()));
    ToolCallError::UnknownTool { server: server.to_owned(), tool: wanted.to_owned(), suggestion }
}

fn invalid(message: String) -> ToolCallError {
    ToolCallError::InvalidRequest { message: format!("search: {message}") }
}

/// The first sentence of a description, at most 200 characters: a tool's
/// summary in search results and in the declaration tree's listings.
pub(super) fn first_sentence(text: &str) -> String {
    let sentence = split_first_sentence(text).0;
    match sentence.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &sentence[..cut]),
        None => sentence.to_owned(),
    }
}

/// A description's first sentence (up to `. ` or a line break) and the rest, both trimmed.
fn split_first_sentence(text: &str) -> (&str, &str) {
    let text = text.trim();
    let end = text.find(". ").map(|i| i + 1).into_iter().chain(text.find('\n')).min().unwrap_or(text.len());
    (text[..end].trim(), text[end..].trim())
}

/// Field weights: a word in a tool's name says more than one in its summary,
/// which says more than one in the rest of its description or its parameters.
const NAME_WEIGHT: f64 = 3.0;
const TITLE_WEIGHT: f64 = 2.0;
const SUMMARY_WEIGHT: f64 = 1.5;
const SERVER_WEIGHT: f64 = 1.0;
const DESCRIPTION_WEIGHT: f64 = 0.5;
const PARAMETER_WEIGHT: f64 = 0.75;
const PARAMETER_DESCRIPTION_WEIGHT: f64 = 0.25;
/// How much a tool's score grows when its `readOnlyHint` agrees with the query's intent.
const INTENT_BOOST: f64 = 1.25;

/// One server's tools as BM25F postings (the fields folded together with weights).
struct ServerIndex {
    /// Term → (tool, weight of the term in that tool).
    postings: HashMap<String, Vec<(u32, f64)>>,
    /// Each tool's weighted length.
    lengths: Vec<f64>,
    /// Each tool's `readOnlyHint`, if it has one.
    read_only: Vec<Option<bool>>,
}

impl ServerIndex {
    fn new(server: &str, definitions: &[ToolDefinition]) -> Self {
        let mut index = ServerIndex {
            postings: HashMap::new(),
            lengths: Vec::with_capacity(definitions.len()),
            read_only: Vec::with_capacity(definitions.len()),
        };
        for (i, definition) in definitions.iter().enumerate() {
            let mut terms: HashMap<String, f64> = HashMap::new();
            let mut length = 0.0;
            let mut add = |text: &str, weight: f64| {
                for term in analysis::stems(text) {
                    *terms.entry(term).or_default() += weight;
                    length += weight;
                }
            };
            add(&definition.name, NAME_WEIGHT);
            add(server, SERVER_WEIGHT);
            if let Some(title) = &definition.title {
                add(title, TITLE_WEIGHT);
            }
            if let Some(description) = &definition.description {
                let (summary, rest) = split_first_sentence(description);
                add(summary, SUMMARY_WEIGHT);
                add(rest, DESCRIPTION_WEIGHT);
            }
            if let Some(properties) = definition.input_schema.get("properties").and_then(|p| p.as_object()) {
                for (name, schema) in properties {
                    add(name, PARAMETER_WEIGHT);
                    if let Some(text) = schema.get("description").and_then(|d| d.as_str()) {
                        add(text, PARAMETER_DESCRIPTION_WEIGHT);
                    }
                }
            }
            index.read_only.push(read_only_hint(definition));
            let tool = u32::try_from(i).unwrap_or(u32::MAX);
            for (term, weight) in terms {
                index.postings.entry(term).or_default().push((tool, weight));
            }
            index.lengths.push(length);
        }
        index
    }
}

/// A built index and the tool-list version it was built from.
struct CachedIndex {
    server: String,
    /// Weak, so a list that is replaced is freed; while this lives its address
    /// cannot be reused, so comparing addresses is sound.
    definitions: Weak<[ToolDefinition]>,
    index: Arc<OnceLock<ServerIndex>>,
}

/// The indexes of the tool-list versions in use, for every catalog in the process.
static INDEXES: Mutex<Vec<CachedIndex>> = Mutex::new(Vec::new());

/// An index, built once: searches of a new list version wait for one build
/// rather than each making its own.
type SharedIndex = Arc<OnceLock<ServerIndex>>;

/// The index of `server`'s `definitions`, built (and counted in `builds`) only
/// if this version of the list has none yet.
fn cached_index(server: &str, definitions: &Arc<[ToolDefinition]>, builds: &AtomicU64) -> SharedIndex {
    let cell = {
        let mut cache = INDEXES.lock().unwrap_or_else(|p| p.into_inner());
        let found = cache.iter().find(|cached| {
            cached.server == server && std::ptr::addr_eq(cached.definitions.as_ptr(), Arc::as_ptr(definitions))
        });
        match found {
            Some(cached) => cached.index.clone(),
            None => {
                cache.retain(|cached| cached.definitions.strong_count() > 0);
                if cache.len() >= MAX_CACHED_INDEXES {
                    cache.remove(0);
                }
                let index = SharedIndex::default();
                let definitions = Arc::downgrade(definitions);
                cache.push(CachedIndex { server: server.to_owned(), definitions, index: index.clone() });
                index
            }
        }
    };
    cell.get_or_init(|| {
        builds.fetch_add(1, Ordering::Relaxed);
        ServerIndex::new(server, definitions)
    });
    cell
}

/// A tool's `readOnlyHint` annotation, if it has one.
fn read_only_hint(definition: &ToolDefinition) -> Option<bool> {
    annotation(definition, "readOnlyHint")
}

/// A tool's boolean annotation `name`, if it has one.
fn annotation(definition: &ToolDefinition, name: &str) -> Option<bool> {
    definition.annotations.as_ref()?.get(name)?.as_bool()
}

/// BM25 scores of the tools of `indexes` (one per server) that match any of
/// the query's terms (each counted at its weight), as (score, server, tool);
/// the statistics span all servers. A tool whose `readOnlyHint` agrees with
/// the query's intent gets [`INTENT_BOOST`].
fn bm25(indexes: &[&ServerIndex], query: &AnalysedQuery) -> Vec<(f64, usize, usize)> {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let count = indexes.iter().map(|index| index.lengths.len()).sum::<usize>() as f64;
    let total_length = indexes.iter().flat_map(|index| &index.lengths).sum::<f64>();
    let average_length = (total_length / count.max(1.0)).max(f64::EPSILON);
    let mut scores: HashMap<(usize, u32), f64> = HashMap::new();
    for (term, weight) in &query.terms {
        let postings: Vec<(usize, &Vec<(u32, f64)>)> = indexes
            .iter()
            .enumerate()
            .filter_map(|(server, index)| Some((server, index.postings.get(term)?)))
            .collect();
        let frequency = postings.iter().map(|(_, list)| list.len()).sum::<usize>() as f64;
        if frequency == 0.0 {
            continue;
        }
        let idf = (1.0 + (count - frequency + 0.5) / (frequency + 0.5)).ln();
        for (server, list) in postings {
            for &(tool, tf) in list {
                let length = indexes[server].lengths[tool as usize];
                let norm = K1 * (1.0 - B + B * length / average_length);
                *scores.entry((server, tool)).or_default() += weight * idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
    }
    scores
        .into_iter()
        .filter(|(_, score)| *score > 0.0)
        .map(|((server, tool), score)| {
            let agrees = matches!(
                (query.intent, indexes[server].read_only[tool as usize]),
                (Intent::Read, Some(true)) | (Intent::Write, Some(false))
            );
            (if agrees { score * INTENT_BOOST } else { score }, server, tool as usize)
        })
        .collect()
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

    /// A host of two GitHub-like tools that differ in their annotations only.
    fn annotated() -> ToolCatalog {
        let tool = |name: &str, read_only: bool| {
            let mut definition = ToolDefinition::new(name, "Issues in a repository.", json!({ "type": "object" }));
            definition.annotations = Some(json!({ "readOnlyHint": read_only, "destructiveHint": !read_only }));
            definition
        };
        let host = InProcessTools::new()
            .with_tool("github", tool("issue_read", true), |_| async { Ok(ToolResult::text("")) })
            .with_tool("github", tool("issue_write", false), |_| async { Ok(ToolResult::text("")) });
        ToolCatalog::new(Arc::new(host))
    }

    #[tokio::test]
    async fn hits_carry_the_read_only_and_destructive_annotations() {
        let hits = annotated().search(&query("issue", Detail::Name)).await.unwrap();
        let hit = |tool: &str| hits.iter().find(|hit| hit.tool == tool).unwrap();
        assert_eq!((hit("issue_read").read_only, hit("issue_read").destructive), (Some(true), Some(false)));
        assert_eq!((hit("issue_write").read_only, hit("issue_write").destructive), (Some(false), Some(true)));
        let text = serde_json::to_value(hit("issue_read")).unwrap();
        assert_eq!((text["readOnly"].clone(), text["destructive"].clone()), (json!(true), json!(false)));
        let plain = catalog().search(&query("list issues", Detail::Name)).await.unwrap();
        assert!(!serde_json::to_string(&plain[0]).unwrap().contains("readOnly"), "no annotation, no field");
    }

    #[tokio::test]
    async fn reading_words_favour_read_only_tools_and_writing_words_the_others() {
        let catalog = annotated();
        let hits = catalog.search(&query("show the issues", Detail::Name)).await.unwrap();
        assert_eq!(hits[0].tool, "issue_read");
        assert!(hits[0].score > hits[1].score, "{hits:?}");
        let hits = catalog.search(&query("update the issues", Detail::Name)).await.unwrap();
        assert_eq!(hits[0].tool, "issue_write");
        assert!(hits[0].score > hits[1].score, "{hits:?}");
    }

    #[tokio::test]
    async fn the_words_agents_use_find_the_tools_named_otherwise() {
        let hits = catalog().search(&query("open bugs in the repo", Detail::Name)).await.unwrap();
        assert_eq!(hits[0].tool, "list_issues");
        let hits = catalog().search(&query("open a PR", Detail::Name)).await.unwrap();
        assert_eq!(hits[0].tool, "create_pull_request");
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

    /// A host of one server whose tool list is replaced by `refresh_tools`, as
    /// an upstream server's is when it is fetched again.
    struct Refetching(std::sync::Mutex<Arc<[ToolDefinition]>>);

    impl ToolHost for Refetching {
        fn servers(&self) -> Vec<crate::tools::ServerInfo> {
            vec![crate::tools::ServerInfo { name: "math".to_owned(), summary: String::new() }]
        }

        fn list_tools(
            &self,
            _: &str,
        ) -> crate::tools::BoxFuture<'static, Result<Arc<[ToolDefinition]>, ToolCallError>> {
            let list = self.0.lock().unwrap().clone();
            Box::pin(async move { Ok(list) })
        }

        fn refresh_tools(
            &self,
            _: &str,
        ) -> crate::tools::BoxFuture<'static, Result<Arc<[ToolDefinition]>, ToolCallError>> {
            let mut list = self.0.lock().unwrap();
            *list = list.iter().cloned().collect();
            let list = list.clone();
            Box::pin(async move { Ok(list) })
        }

        fn call_tool(&self, _: ToolCall) -> crate::tools::BoxFuture<'static, Result<ToolResult, ToolCallError>> {
            Box::pin(async { Ok(ToolResult::text("")) })
        }
    }

    #[tokio::test]
    async fn repeated_searches_index_each_tool_list_once_in_the_whole_process() {
        let catalog = catalog();
        for _ in 0..5 {
            catalog.search(&query("list issues", Detail::Name)).await.unwrap();
        }
        assert_eq!(catalog.index_builds.load(Ordering::Relaxed), 2, "one index per server");
        // Another run's catalog over the same host finds the indexes built.
        let again = ToolCatalog::new(catalog.host.clone());
        again.search(&query("add numbers", Detail::Name)).await.unwrap();
        assert_eq!(again.index_builds.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn a_tool_list_fetched_again_is_indexed_again() {
        let tool = ToolDefinition::new("get-sum", "Adds two numbers.", json!({ "type": "object" }));
        let host = Arc::new(Refetching(std::sync::Mutex::new(vec![tool].into())));
        let catalog = ToolCatalog::new(host.clone());
        catalog.search(&query("sum", Detail::Name)).await.unwrap();
        catalog.search(&query("sum", Detail::Name)).await.unwrap();
        assert_eq!(catalog.index_builds.load(Ordering::Relaxed), 1);
        host.refresh_tools("math").await.unwrap();
        let hits = catalog.search(&query("sum", Detail::Name)).await.unwrap();
        assert_eq!(hits[0].tool, "get-sum");
        assert_eq!(catalog.index_builds.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn a_query_of_too_many_words_is_refused() {
        let words: Vec<String> = (0..=MAX_QUERY_TERMS).map(|i| format!("word{i}")).collect();
        let error = catalog().search(&query(&words.join(" "), Detail::Name)).await.unwrap_err();
        assert_eq!(error.kind(), "invalid_request");
        assert!(error.to_string().contains(&format!("at most {MAX_QUERY_TERMS}")), "{error}");
        // Repeated words count once.
        let repeated = vec!["sum"; 200].join(" ");
        assert!(catalog().search(&query(&repeated, Detail::Name)).await.is_ok());
    }

    #[test]
    fn first_sentences_are_cut_at_the_period() {
        assert_eq!(first_sentence("Adds numbers. Then more."), "Adds numbers.");
        assert_eq!(first_sentence("One line\nsecond"), "One line");
    }
}
