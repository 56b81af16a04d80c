//! The tool declaration tree (`servers/<server>/<tool>.d.ts`, as `sluice tools`
//! shows it) as MCP resources, and the `code-mode` prompt, so a client can browse
//! the API as files and hand its model the primer.
//!
//! Listing is free, like `tools/list`: it names each server's `index.d.ts` and
//! the template of one tool's file, and starts no upstream server. Reading a file
//! loads that server's definitions (which starts it, unless its list is cached).

use rmcp::model::{
    GetPromptResult, Prompt, PromptMessage, ReadResourceResult, Resource, ResourceContents, ResourceTemplate, Role,
};

use crate::tools::{ServerInfo, ToolHost, tree};

/// Every resource's URI starts with this, followed by a path of the tree.
pub const URI_PREFIX: &str = "sluice:///";
/// The prompt's name.
pub const PROMPT: &str = "code-mode";
/// The MIME type of a declaration file.
const TYPESCRIPT: &str = "text/typescript";

/// The primer the prompt gives: how to use Sluice's three tools.
const PRIMER: &str = "You can call the tools of the MCP servers listed in the execute tool's description by \
writing a JavaScript or TypeScript program and running it with execute. In the program, each server is \
`tools.<server>` and each of its tools an async function taking one object of arguments: \
`const issues = await tools.github.list_issues({ owner: 'o', repo: 'r' });`. The program runs in a \
sandbox with no network and returns only what it prints (console.log), so filter, join and count the \
results inside the program and print just the answer. Find tools first: search_tools ranks tools for a \
query, describe_tool gives one tool's TypeScript declaration (the resources `sluice:///servers/<server>/\
index.d.ts` and `sluice:///servers/<server>/<tool>.d.ts` hold the same declarations). A failed call \
throws a ToolError naming the server, the tool and what went wrong.";

/// The resources: each server's `index.d.ts` (listing starts no server).
pub fn resources(servers: &[ServerInfo]) -> Vec<Resource> {
    servers
        .iter()
        .map(|server| {
            let path = format!("{}/{}/index.d.ts", tree::ROOT, server.name);
            Resource::new(format!("{URI_PREFIX}{path}"), path)
                .with_title(format!("{}: every tool", server.name))
                .with_description(server.summary.clone())
                .with_mime_type(TYPESCRIPT)
        })
        .collect()
}

/// The template of one tool's declaration file.
pub fn templates() -> Vec<ResourceTemplate> {
    let mut template =
        ResourceTemplate::new(format!("{URI_PREFIX}{}/{{server}}/{{tool}}.d.ts", tree::ROOT), "tool declaration");
    template.description = Some("One tool's TypeScript declaration, as describe_tool gives it.".to_owned());
    template.mime_type = Some(TYPESCRIPT.to_owned());
    vec![template]
}

/// Why a resource cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum BrowseError {
    /// The URI is not one of Sluice's.
    #[error("{0:?} is not a resource of Sluice's: they start with {URI_PREFIX}servers/")]
    NotOurs(String),
    /// The path is not a file of the tree, or its server or tool does not exist.
    #[error(transparent)]
    Tree(#[from] tree::TreeError),
}

/// The file a resource URI names.
pub async fn read(host: &dyn ToolHost, uri: &str) -> Result<ReadResourceResult, BrowseError> {
    let path = uri.strip_prefix(URI_PREFIX).filter(|path| path.starts_with(tree::ROOT) && tree::is_file(path));
    let Some(path) = path else { return Err(BrowseError::NotOurs(uri.to_owned())) };
    let text = tree::read(host, path).await?;
    Ok(ReadResourceResult::new(vec![ResourceContents::text(text, uri).with_mime_type(TYPESCRIPT)]))
}

/// The prompts: `code-mode`.
pub fn prompts() -> Vec<Prompt> {
    vec![Prompt::new(PROMPT, Some("How to answer with a program that calls tools through Sluice (code mode)."), None)]
}

/// The `code-mode` prompt, or `None` for any other name.
pub fn prompt(name: &str) -> Option<GetPromptResult> {
    (name == PROMPT).then(|| {
        GetPromptResult::new(vec![PromptMessage::new_text(Role::User, PRIMER)])
            .with_description("How to use Sluice's execute, search_tools and describe_tool.")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{InProcessTools, ToolDefinition, ToolResult};

    fn host() -> InProcessTools {
        InProcessTools::new().with_tool(
            "demo",
            ToolDefinition::new("add", "Adds two numbers.", serde_json::json!({ "type": "object" })),
            |_| async { Ok(ToolResult::text("3")) },
        )
    }

    #[tokio::test]
    async fn a_tool_file_reads_as_its_declaration_and_anything_else_is_refused() {
        let host = host();
        let read = read(&host, "sluice:///servers/demo/add.d.ts").await.unwrap();
        let text = serde_json::to_value(&read.contents[0]).unwrap()["text"].as_str().unwrap().to_owned();
        assert!(text.contains("function add("), "{text}");
        assert!(matches!(super::read(&host, "sluice:///servers/demo/").await, Err(BrowseError::NotOurs(_))));
        assert!(matches!(super::read(&host, "file:///etc/passwd").await, Err(BrowseError::NotOurs(_))));
        assert!(matches!(super::read(&host, "sluice:///servers/nope/index.d.ts").await, Err(BrowseError::Tree(_))));
        assert!(prompt(PROMPT).is_some() && prompt("other").is_none());
    }
}
