//! Typed guest bindings for one server's tools, for tool authors and agents who
//! save helpers: a TypeScript module of typed wrappers, or a Rust module for the
//! guest SDK (`sluice-guest`) with argument and result structs.
//!
//! Generation is a pure function of the server's name, summary and tool
//! definitions, and deterministic (tools sorted by name), so bindings can be
//! committed and diffed. `sluice bindings` writes them.

mod rust;
mod typescript;

use crate::tools::{ToolDefinition, names};

/// The language of generated bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Language {
    /// A TypeScript module: `<server>.ts`.
    TypeScript,
    /// A Rust module for `sluice-guest`: `<server>.rs`.
    Rust,
}

impl std::str::FromStr for Language {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "ts" | "typescript" => Ok(Language::TypeScript),
            "rust" | "rs" => Ok(Language::Rust),
            other => Err(format!("{other:?} is not a bindings language: use ts or rust")),
        }
    }
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Its path relative to the output directory.
    pub path: String,
    /// Its text.
    pub contents: String,
}

/// Bindings for `server`'s `tools` in `language`.
pub fn generate(server: &str, summary: &str, tools: &[ToolDefinition], language: Language) -> Vec<GeneratedFile> {
    let mut tools: Vec<&ToolDefinition> = tools.iter().collect();
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    let stem = file_stem(server);
    match language {
        Language::TypeScript => {
            vec![GeneratedFile { path: format!("{stem}.ts"), contents: typescript::module(server, summary, &tools) }]
        }
        Language::Rust => {
            vec![GeneratedFile { path: format!("{stem}.rs"), contents: rust::module(server, summary, &tools) }]
        }
    }
}

/// A file name for `server`: lowercase, with anything but letters, digits and `_` as `_`.
fn file_stem(server: &str) -> String {
    let stem: String =
        server.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if stem.starts_with(|c: char| c.is_ascii_digit()) || stem.is_empty() { format!("_{stem}") } else { stem }
}

/// The words of a name, as search splits them, kept to ASCII letters and digits
/// (MCP names are ASCII; identifiers in generated code must be).
fn words(name: &str) -> Vec<String> {
    names::words(name)
        .into_iter()
        .map(|word| word.chars().filter(char::is_ascii_alphanumeric).collect::<String>())
        .filter(|word| !word.is_empty())
        .collect()
}

/// `UpperCamelCase` of a name; empty names become `Unnamed`, leading digits get a `_`.
fn pascal_case(name: &str) -> String {
    let joined: String = words(name)
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    match joined.chars().next() {
        None => "Unnamed".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("_{joined}"),
        Some(_) => joined,
    }
}

/// `lowerCamelCase` of a name.
fn camel_case(name: &str) -> String {
    let pascal = pascal_case(name);
    match pascal.strip_prefix('_') {
        Some(rest) => format!("_{rest}"),
        None => {
            let mut chars = pascal.chars();
            chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
        }
    }
}

/// `snake_case` of a name; empty names become `unnamed`, leading digits get a `_`.
fn snake_case(name: &str) -> String {
    let joined = words(name).join("_");
    match joined.chars().next() {
        None => "unnamed".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("_{joined}"),
        Some(_) => joined,
    }
}

/// Makes `name` unique among `taken` by appending `2`, `3`, … (with `separator`).
fn unique(name: String, taken: &mut std::collections::HashSet<String>, separator: &str) -> String {
    if taken.insert(name.clone()) {
        return name;
    }
    (2..).map(|n| format!("{name}{separator}{n}")).find(|candidate| taken.insert(candidate.clone())).expect("unbounded")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_converted_by_words() {
        assert_eq!(words("getSum-total.v2"), ["get", "sum", "total", "v2"]);
        assert_eq!(pascal_case("list_issues"), "ListIssues");
        assert_eq!(pascal_case("3d-print"), "_3dPrint");
        assert_eq!(camel_case("get-sum"), "getSum");
        assert_eq!(snake_case("perPage"), "per_page");
        assert_eq!(snake_case("--"), "unnamed");
        assert_eq!(file_stem("server-everything"), "server_everything");
    }

    #[test]
    fn unique_names_get_a_counter() {
        let mut taken = std::collections::HashSet::new();
        assert_eq!(unique("a".into(), &mut taken, "_"), "a");
        assert_eq!(unique("a".into(), &mut taken, "_"), "a_2");
        assert_eq!(unique("a".into(), &mut taken, "_"), "a_3");
    }
}
