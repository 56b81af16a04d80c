//! Text analysis for tool search: words to stemmed terms, the stop words left out, and the synonyms agents use.
//!
//! Both a tool's text and a query go through [`stems`]: words split at
//! punctuation and case boundaries ([`names::words`]), lower-cased, stop words
//! and bare numbers left out, each word stemmed (Snowball English, so
//! `commits`, `committed` and `commit` are one term). A query is then expanded
//! ([`analyse_query`]): abbreviations are rewritten at full weight (`pr` →
//! `pull request`), and the words agents use for what tools call otherwise gain
//! the tools' words at [`SYNONYM_WEIGHT`] (`history` → `log`, `bug` → `issue`).
//! A query also has an [`Intent`]: reading words (`list`, `show`, `who`...)
//! favour read-only tools, writing words (`create`, `save`...) the others.

use std::collections::HashMap;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

use super::names;

/// The weight of a term a query gains through a synonym, against 1 for its own words.
pub(super) const SYNONYM_WEIGHT: f64 = 0.5;

/// Most terms one query word may gain through synonyms.
const MAX_SYNONYMS: usize = 4;

/// Words that say nothing about which tool is meant.
const STOP_WORDS: &[&str] = &[
    "a", "about", "all", "am", "an", "and", "any", "are", "as", "at", "be", "by", "can", "could", "did", "do", "does",
    "for", "from", "how", "i", "in", "into", "is", "it", "its", "m", "me", "my", "of", "on", "or", "our", "please",
    "s", "should", "some", "t", "that", "the", "their", "them", "there", "these", "this", "those", "to", "up", "using",
    "via", "was", "we", "were", "what", "when", "where", "which", "who", "whose", "why", "will", "with", "would",
    "you", "your",
];

/// Abbreviations, replaced by what they stand for at full weight.
const REWRITES: &[(&str, &[&str])] = &[
    ("pr", &["pull", "request"]),
    ("prs", &["pull", "request"]),
    ("mr", &["pull", "request"]),
    ("repo", &["repository"]),
    ("repos", &["repository"]),
    ("dir", &["directory"]),
    ("dirs", &["directory"]),
    ("gh", &["github"]),
    ("env", &["environment"]),
    ("logged", &["authenticated"]),
    ("login", &["authenticated"]),
    ("whoami", &["authenticated", "me"]),
    ("ci", &["ci", "workflow"]),
];

/// The words agents use, and the words tools use for the same thing.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("history", &["log", "commit"]),
    ("commit", &["log"]),
    ("bug", &["issue"]),
    ("ticket", &["issue"]),
    ("report", &["issue", "create"]),
    ("folder", &["directory"]),
    ("ci", &["action"]),
    ("build", &["workflow", "job"]),
    ("pipeline", &["workflow"]),
    ("action", &["workflow"]),
    ("fail", &["log", "job"]),
    ("error", &["log"]),
    ("approve", &["review", "submit"]),
    ("note", &["observation", "entity"]),
    ("fact", &["observation", "entity"]),
    ("remember", &["observation", "entity", "create"]),
    ("save", &["create", "write", "add"]),
    ("store", &["create", "write"]),
    ("forget", &["delete"]),
    ("remove", &["delete"]),
    ("erase", &["delete"]),
    ("rename", &["move"]),
    ("switch", &["checkout"]),
    ("undo", &["reset"]),
    ("unstage", &["reset"]),
    ("stage", &["add"]),
    ("uncommitted", &["status", "unstaged", "diff"]),
    ("person", &["entity"]),
    ("people", &["entity", "user"]),
    ("recall", &["search", "open"]),
    ("look", &["search"]),
    ("find", &["search"]),
    ("fetch", &["get"]),
    ("show", &["get"]),
    ("view", &["get"]),
    ("date", &["time", "current"]),
    ("today", &["current", "time"]),
    ("now", &["current", "time"]),
    ("clock", &["time"]),
    ("size", &["info", "metadata"]),
    ("modified", &["info", "metadata"]),
    ("stat", &["info", "metadata"]),
    ("whole", &["entire"]),
    ("dump", &["read", "entire"]),
    ("vulnerability", &["alert", "dependabot", "scanning"]),
    ("security", &["alert", "scanning"]),
    ("leak", &["secret", "scanning"]),
    ("version", &["release", "tag"]),
    ("profile", &["me", "authenticated"]),
    ("open", &["state"]),
    ("closed", &["state"]),
    ("close", &["update", "state"]),
    ("reopen", &["update", "state"]),
    ("edit", &["update"]),
    ("modify", &["edit", "update"]),
    ("make", &["create"]),
    ("new", &["create"]),
    ("download", &["get"]),
    ("glob", &["pattern", "search"]),
    ("plus", &["sum"]),
    ("total", &["sum"]),
    ("add", &["sum"]),
];

/// Words that ask to read: they favour tools annotated `readOnlyHint`.
const READING: &[&str] = &[
    "check", "count", "current", "display", "fetch", "find", "get", "latest", "list", "look", "read", "recent",
    "search", "see", "show", "status", "view", "what", "which", "who", "whose",
];

/// Words that ask to change something: they favour tools not annotated `readOnlyHint`.
const WRITING: &[&str] = &[
    "add", "approve", "assign", "cancel", "close", "create", "delete", "edit", "fork", "forget", "make", "merge",
    "modify", "move", "new", "post", "push", "remember", "remove", "rename", "reopen", "rerun", "reset", "save", "set",
    "stage", "store", "submit", "switch", "trigger", "undo", "update", "write",
];

/// Whether a query asks to read or to change something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Intent {
    /// More reading words than writing ones.
    Read,
    /// More writing words than reading ones.
    Write,
    /// Neither, or as many of each.
    Neutral,
}

/// A query as searched: weighted terms and an intent.
#[derive(Debug)]
pub(super) struct AnalysedQuery {
    /// Distinct terms with their weights (1 for the query's own words).
    pub terms: Vec<(String, f64)>,
    /// How many distinct words the query itself has (before stop words and synonyms).
    pub words: usize,
    /// What the query asks for.
    pub intent: Intent,
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

fn stem(word: &str) -> String {
    stemmer().stem(word).into_owned()
}

fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok() || word.bytes().all(|b| b.is_ascii_digit())
}

/// The stemmed terms of `text`, stop words and numbers left out: what is indexed of a tool.
pub(super) fn stems(text: &str) -> Vec<String> {
    names::words(text).into_iter().filter(|word| !is_stop_word(word)).map(|word| stem(&word)).collect()
}

/// Table words stemmed, as queries are.
type Table = HashMap<String, Vec<String>>;

fn stemmed_table(entries: &[(&str, &[&str])]) -> Table {
    entries.iter().map(|(word, terms)| (stem(word), terms.iter().map(|term| stem(term)).collect())).collect()
}

fn synonyms() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| stemmed_table(SYNONYMS))
}

fn verbs() -> &'static (Vec<String>, Vec<String>) {
    static VERBS: OnceLock<(Vec<String>, Vec<String>)> = OnceLock::new();
    VERBS.get_or_init(|| (READING.iter().map(|w| stem(w)).collect(), WRITING.iter().map(|w| stem(w)).collect()))
}

/// `text` as searched: its words rewritten, stemmed and expanded with synonyms, and its intent.
pub(super) fn analyse_query(text: &str) -> AnalysedQuery {
    let words = names::words(text);
    let (mut reading, mut writing) = (0, 0);
    let (read_verbs, write_verbs) = verbs();
    let mut weights: Vec<(String, f64)> = Vec::new();
    let mut add = |term: String, weight: f64| match weights.iter_mut().find(|(t, _)| *t == term) {
        Some((_, w)) => *w = w.max(weight),
        None => weights.push((term, weight)),
    };
    let mut distinct = Vec::new();
    for word in &words {
        if !distinct.contains(word) {
            distinct.push(word.clone());
        }
    }
    for word in &distinct {
        let stemmed = stem(word);
        reading += usize::from(read_verbs.contains(&stemmed) || READING.contains(&word.as_str()));
        writing += usize::from(write_verbs.contains(&stemmed));
        if let Some((_, rewrite)) = REWRITES.iter().find(|(abbreviation, _)| abbreviation == word) {
            for term in *rewrite {
                let term = stem(term);
                expand(&term, &mut add);
                add(term, 1.0);
            }
            continue;
        }
        if is_stop_word(word) {
            continue;
        }
        expand(&stemmed, &mut add);
        add(stemmed, 1.0);
    }
    let intent = match reading.cmp(&writing) {
        std::cmp::Ordering::Greater => Intent::Read,
        std::cmp::Ordering::Less => Intent::Write,
        std::cmp::Ordering::Equal => Intent::Neutral,
    };
    AnalysedQuery { terms: weights, words: distinct.len(), intent }
}

/// Adds the synonyms of `term`, at [`SYNONYM_WEIGHT`].
fn expand(term: &str, add: &mut impl FnMut(String, f64)) {
    if let Some(synonyms) = synonyms().get(term) {
        for synonym in synonyms.iter().take(MAX_SYNONYMS) {
            add(synonym.clone(), SYNONYM_WEIGHT);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stop_word_list_is_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn tool_text_is_split_stemmed_and_cleared_of_stop_words() {
        assert_eq!(
            stems("listIssues of the get-sum create_pull_requests 42"),
            ["list", "issu", "get", "sum", "creat", "pull", "request"]
        );
        assert_eq!(stems("commits"), stems("committed"));
    }

    #[test]
    fn queries_gain_synonyms_at_a_lower_weight_and_abbreviations_at_full_weight() {
        let query = analyse_query("commit history of a PR");
        let weight = |word: &str| query.terms.iter().find(|(t, _)| *t == stem(word)).map(|(_, w)| *w);
        assert_eq!(weight("commit"), Some(1.0), "the literal wins over its synonym");
        assert_eq!(weight("history"), Some(1.0));
        assert_eq!(weight("log"), Some(SYNONYM_WEIGHT));
        assert_eq!((weight("pull"), weight("request")), (Some(1.0), Some(1.0)));
        assert_eq!(weight("pr"), None);
        assert_eq!(weight("of"), None);
        assert_eq!(query.words, 5);
    }

    #[test]
    fn reading_and_writing_words_set_the_intent() {
        assert_eq!(analyse_query("list open issues").intent, Intent::Read);
        assert_eq!(analyse_query("who reviewed it").intent, Intent::Read);
        assert_eq!(analyse_query("create an issue").intent, Intent::Write);
        assert_eq!(analyse_query("issue").intent, Intent::Neutral);
    }
}
