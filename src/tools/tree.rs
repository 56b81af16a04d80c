//! Tool declarations as a virtual tree of files an agent (or a person) can browse:
//!
//! ```text
//! servers/                      one directory per server (loads nothing)
//! servers/<server>/index.d.ts   the server's whole API: its summary, then every tool
//! servers/<server>/<tool>.d.ts  one tool's declaration (raw MCP name: `get-sum.d.ts`)
//! ```
//!
//! Listing `servers/` costs nothing; listing or reading inside a server loads
//! that server's definitions (which starts it, for upstream servers). Used by
//! `sluice tools` and by embedders; the declarations are those
//! `sluice.describe` returns.
//!
//! Everything here is safe to print: names and summaries in listings have their
//! control characters escaped and names are cut to [`text::MAX_NAME_CHARS`]
//! (a tool listed under a cut or escaped name is read by that shown name too),
//! and an `index.d.ts` is bounded by [`Budget::FILE`].

use std::fmt::Write as _;

use super::catalog::first_sentence;
use super::declarations::{Budget, tool_declaration, write_doc, write_function};
use super::names::alias;
use super::text;
use super::{ToolCallError, ToolDefinition, ToolHost};
use crate::suggest::did_you_mean;

/// The root directory of the tree.
pub const ROOT: &str = "servers";

/// Why a path of the tree cannot be listed or read. Messages speak to a person
/// at the command line: what exists and what to type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    /// The path is not in the tree.
    #[error(
        "{path:?} is not a path of the tool tree; try `servers/` (the servers), `<server>` (its tools), \
         `<server>/<tool>` (one tool's declaration) or `<server>/index.d.ts` (all of them)"
    )]
    NotFound {
        /// The path asked for.
        path: String,
    },
    /// No configured server has that name or alias.
    #[error("no server is named {server:?}{hint}; `sluice tools servers/` lists the configured servers")]
    UnknownServer {
        /// The name asked for.
        server: String,
        /// ` (did you mean …?)`, or nothing.
        hint: String,
    },
    /// The server has no tool of that name or alias.
    #[error("server {server:?} has no tool named {tool:?}{hint}; `sluice tools {server}` lists its tools")]
    UnknownTool {
        /// The server.
        server: String,
        /// The name asked for.
        tool: String,
        /// ` (did you mean …?)`, or nothing.
        hint: String,
    },
    /// The path is a directory, and was read as a file (or the reverse).
    #[error("{path:?} is a {actual}")]
    WrongKind {
        /// The path asked for.
        path: String,
        /// `directory` or `file`.
        actual: &'static str,
    },
    /// The server's definitions could not be loaded.
    #[error(transparent)]
    Tools(#[from] ToolCallError),
}

/// One entry of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry's name; directories end with `/`.
    pub name: String,
    /// A line about it: a server's summary, a tool's first line of description.
    pub about: String,
}

/// What a path names, once checked against the tree's shape.
enum Node<'a> {
    Root,
    Servers,
    Server(&'a str),
    Index(&'a str),
    Tool(&'a str, &'a str),
}

/// Reads a path: `servers/<server>/<tool>.d.ts` as the tree names it, or the
/// short forms a person types (`<server>`, `<server>/<tool>`, without
/// `servers/` or `.d.ts`).
fn parse(path: &str) -> Result<Node<'_>, TreeError> {
    let not_found = || TreeError::NotFound { path: path.to_owned() };
    let trimmed = path.trim_start_matches("./").trim_end_matches('/');
    if trimmed.is_empty() || trimmed == "." {
        return Ok(Node::Root);
    }
    let parts: Vec<&str> = trimmed.split('/').collect();
    let parts = if parts[0] == ROOT { &parts[1..] } else { &parts[..] };
    if parts.iter().any(|part| part.is_empty() || *part == "." || *part == "..") {
        return Err(not_found());
    }
    match parts {
        [] => Ok(Node::Servers),
        [server] => Ok(Node::Server(server)),
        [server, "index.d.ts" | "index"] => Ok(Node::Index(server)),
        [server, file] => Ok(Node::Tool(server, file.strip_suffix(".d.ts").unwrap_or(file))),
        _ => Err(not_found()),
    }
}

/// Whether `path` names a file (a declaration) rather than a directory.
pub fn is_file(path: &str) -> bool {
    matches!(parse(path), Ok(Node::Index(_) | Node::Tool(..)))
}

/// The entries of the directory at `path` (`""`, `servers`, `servers/<server>`).
pub async fn list(host: &dyn ToolHost, path: &str) -> Result<Vec<Entry>, TreeError> {
    match parse(path)? {
        Node::Root => Ok(vec![Entry { name: format!("{ROOT}/"), about: "one directory per server".to_owned() }]),
        Node::Servers => Ok(host
            .servers()
            .into_iter()
            .map(|server| Entry {
                name: format!("{}/", text::display_name(&server.name)),
                about: text::escape_controls(&server.summary).into_owned(),
            })
            .collect()),
        Node::Server(server) => {
            let (_, _, definitions) = load(host, server).await?;
            let index = Entry { name: "index.d.ts".to_owned(), about: "every tool of the server".to_owned() };
            let tools = definitions
                .iter()
                .map(|tool| Entry { name: format!("{}.d.ts", text::display_name(&tool.name)), about: about(tool) });
            Ok(std::iter::once(index).chain(tools).collect())
        }
        Node::Index(_) | Node::Tool(..) => Err(TreeError::WrongKind { path: path.to_owned(), actual: "file" }),
    }
}

/// The text of the file at `path`.
pub async fn read(host: &dyn ToolHost, path: &str) -> Result<String, TreeError> {
    match parse(path)? {
        Node::Index(server) => {
            let (server, summary, definitions) = load(host, server).await?;
            Ok(index(&server, &summary, &definitions))
        }
        Node::Tool(server, tool) => {
            let (server, _, definitions) = load(host, server).await?;
            let definition = definitions
                .iter()
                .find(|d| d.name == tool)
                .or_else(|| definitions.iter().find(|d| text::display_name(&d.name) == tool))
                .or_else(|| definitions.iter().find(|d| alias(&d.name) == tool))
                .ok_or_else(|| TreeError::UnknownTool {
                    server: server.clone(),
                    tool: text::display_name(tool).into_owned(),
                    hint: did_you_mean(tool, definitions.iter().map(|d| d.name.as_str())),
                })?;
            Ok(tool_declaration(&server, definition))
        }
        Node::Root | Node::Servers | Node::Server(_) => {
            Err(TreeError::WrongKind { path: path.to_owned(), actual: "directory" })
        }
    }
}

/// The name, summary and definitions (sorted by name) of `server`, a name or
/// its alias.
async fn load(host: &dyn ToolHost, server: &str) -> Result<(String, String, Vec<ToolDefinition>), TreeError> {
    let servers = host.servers();
    let found = servers.iter().find(|s| s.name == server).or_else(|| servers.iter().find(|s| alias(&s.name) == server));
    let Some(found) = found else {
        let hint = did_you_mean(server, servers.iter().map(|s| s.name.as_str()));
        return Err(TreeError::UnknownServer { server: text::display_name(server).into_owned(), hint });
    };
    let mut definitions = host.list_tools(&found.name).await?.to_vec();
    definitions.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((found.name.clone(), found.summary.clone(), definitions))
}

/// A server's `index.d.ts`: its summary and every tool, in one namespace,
/// within [`Budget::FILE`] (each tool within [`Budget::DECLARATION`]); tools
/// past the file's budget are counted, not declared.
pub fn index(server: &str, summary: &str, definitions: &[ToolDefinition]) -> String {
    let mut out = String::new();
    let shown = text::display_name(server);
    write_doc(
        &mut out,
        "",
        &[
            summary.to_owned(),
            String::new(),
            format!("{} tools; each is also in servers/{shown}/<tool>.d.ts.", definitions.len()),
            format!("Call them as `await tools.{}.<tool>(args)`.", alias(server)),
        ],
    );
    let _ = writeln!(out, "declare namespace tools.{} {{", alias(server));
    let mut budget = Budget::FILE.clone();
    for (i, tool) in definitions.iter().enumerate() {
        if budget.is_exhausted() {
            let left = definitions.len() - i;
            let _ = writeln!(
                out,
                "\n  // {left} more tools are left out: this file reached its size limit. \
                 Read servers/{shown}/<tool>.d.ts for each."
            );
            break;
        }
        if i > 0 {
            out.push('\n');
        }
        let mut part = budget.split(&Budget::DECLARATION);
        write_function(&mut out, tool, 1, &mut part);
        budget.rejoin(part);
    }
    out.push_str("}\n");
    out
}

/// A tool's summary, as search gives it (else its title), safe to print.
fn about(tool: &ToolDefinition) -> String {
    let summary = first_sentence(tool.description.as_deref().or(tool.title.as_deref()).unwrap_or(""));
    text::escape_controls(&summary).into_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tools::{InProcessTools, ToolResult};

    fn host() -> InProcessTools {
        let tool = |name: &str, description: &str| {
            ToolDefinition::new(
                name,
                description,
                json!({ "type": "object", "properties": { "a": { "type": "number" } } }),
            )
        };
        let ok = |_| async { Ok(ToolResult::text("ok")) };
        InProcessTools::new()
            .with_server("everything", "Every feature")
            .with_tool("everything", tool("get-sum", "Adds two numbers.\nMore."), ok)
            .with_tool("everything", tool("echo", "Echoes."), ok)
    }

    #[tokio::test]
    async fn directories_list_servers_then_files() {
        let host = host();
        let root = list(&host, "").await.unwrap();
        assert_eq!(root[0].name, "servers/");
        let servers = list(&host, "servers/").await.unwrap();
        assert_eq!(servers, [Entry { name: "everything/".into(), about: "Every feature".into() }]);
        let files: Vec<String> = list(&host, "servers/everything").await.unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(files, ["index.d.ts", "echo.d.ts", "get-sum.d.ts"]);
        let about = list(&host, "servers/everything/").await.unwrap()[2].about.clone();
        assert_eq!(about, "Adds two numbers.");
    }

    #[tokio::test]
    async fn files_hold_declarations() {
        let host = host();
        let one = read(&host, "servers/everything/get-sum.d.ts").await.unwrap();
        assert!(one.starts_with("declare namespace tools.everything {") && one.contains("function get_sum("), "{one}");
        let index = read(&host, "servers/everything/index.d.ts").await.unwrap();
        assert!(index.starts_with("/**\n * Every feature\n"), "{index}");
        assert!(index.contains("function echo(") && index.contains("function get_sum("), "{index}");
    }

    #[tokio::test]
    async fn listings_escape_control_characters_and_cut_long_names() {
        let hostile = |name: &str| {
            ToolDefinition::new(name, "Sets the clipboard \u{1b}]52;c;aGk=\u{7} and clears \u{1b}[2J.", json!({}))
        };
        let long = "n".repeat(1000);
        let host = InProcessTools::new()
            .with_server("evil\u{1b}[31m", "A server \u{9b}31m summary\nsecond line")
            .with_tool("evil\u{1b}[31m", hostile("paste\u{1b}]52;c;aGk=\u{7}"), |_| async { Ok(ToolResult::text("")) })
            .with_tool("evil\u{1b}[31m", hostile(&long), |_| async { Ok(ToolResult::text("")) });
        let servers = list(&host, "servers/").await.unwrap();
        assert_eq!(servers[0].name, "evil\\u{1b}[31m/");
        assert_eq!(servers[0].about, "A server \\u{9b}31m summary\\u{a}second line");
        let files = list(&host, "servers/evil\u{1b}[31m/").await.unwrap();
        for entry in &files {
            assert!(!entry.name.contains(char::is_control) && !entry.about.contains(char::is_control), "{entry:?}");
            assert!(entry.name.chars().count() <= text::MAX_NAME_CHARS + ".d.ts".len() + 1, "{entry:?}");
        }
        assert_eq!(files[2].name, "paste\\u{1b}]52;c;aGk=\\u{7}.d.ts");
        // A file is read by the name its listing shows.
        let shown = format!("servers/evil\u{1b}[31m/{}", files[1].name);
        assert!(read(&host, &shown).await.unwrap().contains("Not callable"), "{shown}");
        let shown = format!("servers/evil\u{1b}[31m/{}", files[2].name);
        let declaration = read(&host, &shown).await.unwrap();
        assert!(declaration.contains("function paste_"), "{declaration}");
    }

    #[tokio::test]
    async fn bad_paths_are_refused() {
        let host = host();
        for path in ["servers/../etc/passwd", "/etc/passwd", "servers/everything/x/y", "a/b/c/d"] {
            assert!(matches!(read(&host, path).await, Err(TreeError::NotFound { .. })), "{path}");
        }
        for path in ["servers/everything/nope.d.ts", "servers/everything/echo.js"] {
            assert!(matches!(read(&host, path).await, Err(TreeError::UnknownTool { .. })), "{path}");
        }
        assert!(matches!(read(&host, "servers/nobody/index.d.ts").await, Err(TreeError::UnknownServer { .. })));
        assert!(matches!(read(&host, "servers/everything").await, Err(TreeError::WrongKind { .. })));
        assert!(matches!(list(&host, "servers/everything/echo.d.ts").await, Err(TreeError::WrongKind { .. })));
    }
}
