//! Typed guest bindings for one server's tools, for tool authors and agents who
//! save helpers: a TypeScript module of typed wrappers, or a Rust module for the
//! guest SDK (`sluice-guest`) with argument and result structs.
//!
//! Generation is a pure function of the server's name, summary and tool
//! definitions, and deterministic (tools sorted by name), so bindings can be
//! committed and diffed. `sluice bindings` writes them.
//!
//! Everything in the definitions comes from the server and is treated as
//! hostile: names, titles, descriptions, enum values, property names and
//! defaults reach the generated code only as escaped string literals, as
//! comments that no line break, comment terminator or (in Rust) Markdown code
//! block can leave, or as identifiers made of ASCII letters, digits and `_`
//! that cannot shadow what the generated code itself uses. Generation is bounded
//! by a [`Budget::FILE`](crate::tools::declarations::Budget::FILE) of schema nodes and bytes for the whole file (each tool
//! within [`Budget::DECLARATION`](crate::tools::declarations::Budget::DECLARATION)); past it, types become untyped JSON.

mod rust;
mod typescript;

use std::collections::{HashMap, HashSet};

use crate::tools::{ToolDefinition, names};

/// Longest identifier made from a name; the name itself stays in a string literal.
const MAX_IDENTIFIER: usize = 64;

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
/// (MCP names are ASCII; identifiers in generated code must be), and to about
/// [`MAX_IDENTIFIER`] characters in all.
fn words(name: &str) -> Vec<String> {
    let mut length = 0;
    names::words(name)
        .into_iter()
        .map(|word| word.chars().filter(char::is_ascii_alphanumeric).collect::<String>())
        .filter(|word| !word.is_empty())
        .take_while(|word| {
            length += word.len() + 1;
            length <= MAX_IDENTIFIER + 1
        })
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

/// The names used in one scope of generated code.
#[derive(Debug, Default)]
struct Scope {
    taken: HashSet<String>,
    /// The next counter to try for a name that was taken, so that many names
    /// made the same cost linear time, not quadratic.
    next: HashMap<String, u64>,
}

impl Scope {
    /// A scope in which `reserved` (names the generated code itself uses) are taken.
    fn reserving(reserved: &[&str]) -> Scope {
        Scope { taken: reserved.iter().map(|name| (*name).to_owned()).collect(), next: HashMap::new() }
    }

    /// `name`, or `name` with `separator` and `2`, `3`, … if it is taken.
    fn claim(&mut self, name: String, separator: &str) -> String {
        if self.taken.insert(name.clone()) {
            return name;
        }
        let counter = self.next.entry(name.clone()).or_insert(2);
        loop {
            let candidate = format!("{name}{separator}{counter}");
            *counter += 1;
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
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
        let mut scope = Scope::reserving(&["call"]);
        assert_eq!(scope.claim("a".into(), "_"), "a");
        assert_eq!(scope.claim("a".into(), "_"), "a_2");
        assert_eq!(scope.claim("a_3".into(), "_"), "a_3");
        assert_eq!(scope.claim("a".into(), "_"), "a_4");
        assert_eq!(scope.claim("call".into(), "_"), "call_2");
    }

    #[test]
    fn identifiers_made_from_long_names_are_cut() {
        let long = "word-".repeat(1000);
        assert!(snake_case(&long).len() <= MAX_IDENTIFIER, "{}", snake_case(&long));
        assert!(pascal_case(&long).len() <= MAX_IDENTIFIER);
    }
}
