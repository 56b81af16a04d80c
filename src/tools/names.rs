//! Identifier-safe aliases for server and tool names, by one documented rule.
//!
//! MCP names may contain `-` and `.` (`server-everything`, `get-sum`), which are
//! not JavaScript identifiers. The rule:
//!
//! 1. A name that is already an identifier (`[A-Za-z_$][A-Za-z0-9_$]*`) is its own alias.
//! 2. Otherwise every character outside `[A-Za-z0-9_$]` becomes `_`, and a name
//!    that starts with a digit gets a leading `_`: `get-sum` → `get_sum`,
//!    `v2.list` → `v2_list`, `3d-print` → `_3d_print`.
//!
//! An alias is resolved back against the actual names: an exact name always wins,
//! and otherwise the alias names the one tool (or server) it was made from. When
//! two names would share an alias (`get-sum` beside `get_sum`), the alias means
//! the one that is already an identifier and the other is reachable only by its
//! raw name (`tools.demo["get-sum"]`); an alias shared by several non-identifier
//! names resolves to none of them.

use std::borrow::Cow;

/// Whether `name` can be written as a JavaScript property access (`a.name`).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The identifier-safe alias of `name` (see the module docs).
pub fn alias(name: &str) -> Cow<'_, str> {
    if is_identifier(name) {
        return Cow::Borrowed(name);
    }
    let mut alias: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '$' { c } else { '_' }).collect();
    if alias.is_empty() || alias.starts_with(|c: char| c.is_ascii_digit()) {
        alias.insert(0, '_');
    }
    Cow::Owned(alias)
}

/// Lower-case words of `text`, split at punctuation, `snake_case`, `kebab-case`
/// and `camelCase` boundaries: `getSum-total.v2` → `get`, `sum`, `total`, `v2`.
/// Used by search (ranking) and by generated bindings (names).
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Resolves `wanted` among `names`: the exact name if present, else the single
/// name whose alias it is.
pub fn resolve<'a>(wanted: &str, names: impl IntoIterator<Item = &'a str> + Clone) -> Option<&'a str> {
    if let Some(exact) = names.clone().into_iter().find(|name| *name == wanted) {
        return Some(exact);
    }
    let mut matches = names.into_iter().filter(|name| alias(name) == wanted);
    let first = matches.next()?;
    matches.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_follow_the_documented_rule() {
        assert_eq!(alias("list_issues"), "list_issues");
        assert_eq!(alias("get-sum"), "get_sum");
        assert_eq!(alias("server-everything"), "server_everything");
        assert_eq!(alias("v2.list"), "v2_list");
        assert_eq!(alias("3d-print"), "_3d_print");
        assert!(matches!(alias("ok"), Cow::Borrowed(_)));
    }

    #[test]
    fn aliases_resolve_back_and_exact_names_win() {
        let names = ["get-sum", "echo", "get_total", "get-total"];
        assert_eq!(resolve("get_sum", names), Some("get-sum"));
        assert_eq!(resolve("get-sum", names), Some("get-sum"));
        assert_eq!(resolve("get_total", names), Some("get_total"), "the identifier itself wins");
        assert_eq!(resolve("nope", names), None);
    }

    #[test]
    fn an_alias_shared_by_several_names_resolves_to_none() {
        assert_eq!(resolve("a_b", ["a-b", "a.b"]), None);
    }
}
