//! "Did you mean": the closest known names to one a user or a program got wrong, for error messages.
//!
//! One ranking for every place that suggests (unknown tools, servers, config
//! keys, tool arguments), so the same typo gets the same answer everywhere.
//! Comparison ignores ASCII case and the separators `_`, `-` and `.`, which is
//! how `readonly` finds `readOnly` and `list-issues` finds `list_issues`.

/// Most candidates compared for one suggestion; the rest are ignored, so a
/// hostile list of a million names costs no more than this many comparisons.
const MAX_CANDIDATES: usize = 10_000;
/// Longest name compared, in bytes; longer names are never suggested.
const MAX_NAME_BYTES: usize = 256;

/// Up to `limit` candidates close enough to `wanted` to be what was meant, closest first.
///
/// Close enough: after folding case and separators, the edit distance is at
/// most a third of the longer name (at least 1), or one name contains the other.
pub fn closest<'a, I>(wanted: &str, candidates: I, limit: usize) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    if wanted.len() > MAX_NAME_BYTES || limit == 0 {
        return Vec::new();
    }
    let folded = fold(wanted);
    if folded.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(usize, &'a str)> = candidates
        .into_iter()
        .take(MAX_CANDIDATES)
        .filter(|candidate| candidate.len() <= MAX_NAME_BYTES && *candidate != wanted)
        .filter_map(|candidate| {
            let other = fold(candidate);
            if other.is_empty() {
                return None;
            }
            let distance = strsim::damerau_levenshtein(&folded, &other);
            let bound = (folded.chars().count().max(other.chars().count()) / 3).max(1);
            let contains = folded.len() >= 3 && (other.contains(&folded) || folded.contains(&other));
            (distance <= bound || contains).then_some((distance, candidate))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(limit).map(|(_, name)| name).collect()
}

/// `" (did you mean `a` or `b`?)"`, or nothing when no name is close: to append to an error message.
pub fn did_you_mean<'a, I>(wanted: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    match closest(wanted, candidates, 3).as_slice() {
        [] => String::new(),
        [one] => format!(" (did you mean `{one}`?)"),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|name| format!("`{name}`")).collect();
            format!(" (did you mean {} or `{last}`?)", init.join(", "))
        }
    }
}

fn fold(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, '_' | '-' | '.')).map(|c| c.to_ascii_lowercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_separators_do_not_count_as_typos() {
        assert_eq!(closest("readonly", ["readOnly", "deny", "env"], 3), ["readOnly"]);
        assert_eq!(closest("list-issues", ["list_issues", "get_issue"], 3), ["list_issues"]);
    }

    #[test]
    fn the_closest_names_come_first_and_unrelated_names_not_at_all() {
        let tools = ["list_issues", "list_issue_types", "get_issue", "create_branch"];
        assert_eq!(closest("list_isues", tools, 3), ["list_issues"]);
        assert_eq!(closest("issue", tools, 3), ["get_issue", "list_issues", "list_issue_types"]);
        assert!(closest("weather", tools, 3).is_empty());
    }

    #[test]
    fn the_message_names_up_to_three_and_is_empty_when_nothing_is_close() {
        assert_eq!(did_you_mean("tmeout", ["timeout", "env"]), " (did you mean `timeout`?)");
        assert_eq!(did_you_mean("zzz", ["timeout"]), "");
        assert_eq!(
            did_you_mean("issue", ["issues", "issue_read", "get_issue", "x"]),
            " (did you mean `issues`, `get_issue` or `issue_read`?)"
        );
    }

    #[test]
    fn huge_or_empty_input_suggests_nothing() {
        assert!(closest(&"a".repeat(300), ["a"], 3).is_empty());
        assert!(closest("__", ["a"], 3).is_empty());
        assert!(closest("a", ["a_"], 0).is_empty());
    }
}
