//! Token counting: what passes through a model's context, message by message.
//!
//! Claude's tokenizer is not public, so the counts use OpenAI's two public
//! encodings, `o200k_base` (GPT-4o and later) and `cl100k_base` (GPT-4), both
//! embedded in `tiktoken-rs`. Every message the model reads or writes is one
//! [`Entry`]: its text's tokens plus [`FRAMING`] tokens for the message
//! boundary and role, the same rule in both modes:
//!
//! - a tool definition: the compact JSON of `{name, description, inputSchema}`
//!   (plus `outputSchema` when the server sends one), as `tools/list` gives it;
//! - a tool call: the compact JSON of `{name, arguments}`;
//! - a tool result: the text of its content blocks, joined by newlines, as the
//!   server returned it (`structuredContent` is not counted: the MCP clients
//!   agents use hand the model the content, and every result here carries its
//!   text there too);
//! - the task and the final answer: their text.

use serde::Serialize;
use serde_json::{Value, json};
use tiktoken_rs::CoreBPE;

/// Tokens added to every message for its boundary and role: OpenAI's chat
/// format spends 3 on `<|start|>role<|message|>…<|end|>`, plus one for a name.
pub const FRAMING: u64 = 4;

/// The two encodings.
pub struct Counter {
    o200k: CoreBPE,
    cl100k: CoreBPE,
}

/// A token count in both encodings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tokens {
    /// `o200k_base`.
    pub o200k: u64,
    /// `cl100k_base`.
    pub cl100k: u64,
}

impl std::ops::Add for Tokens {
    type Output = Tokens;
    fn add(self, other: Tokens) -> Tokens {
        Tokens { o200k: self.o200k + other.o200k, cl100k: self.cl100k + other.cl100k }
    }
}

impl std::iter::Sum for Tokens {
    fn sum<I: Iterator<Item = Tokens>>(iter: I) -> Tokens {
        iter.fold(Tokens::default(), |a, b| a + b)
    }
}

impl Counter {
    /// Loads both encodings (embedded; nothing is downloaded).
    pub fn new() -> Counter {
        Counter {
            o200k: tiktoken_rs::o200k_base().expect("o200k_base is embedded in tiktoken-rs"),
            cl100k: tiktoken_rs::cl100k_base().expect("cl100k_base is embedded in tiktoken-rs"),
        }
    }

    /// `text`'s tokens, special-token look-alikes counted as ordinary text.
    pub fn count(&self, text: &str) -> Tokens {
        Tokens {
            o200k: self.o200k.encode_ordinary(text).len() as u64,
            cl100k: self.cl100k.encode_ordinary(text).len() as u64,
        }
    }

    /// One message holding `text`: its tokens plus [`FRAMING`].
    pub fn message(&self, text: &str) -> Tokens {
        let tokens = self.count(text);
        Tokens { o200k: tokens.o200k + FRAMING, cl100k: tokens.cl100k + FRAMING }
    }
}

impl Default for Counter {
    fn default() -> Self {
        Counter::new()
    }
}

/// What kind of message an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The user's task.
    Task,
    /// One tool definition from a `tools/list`.
    Definition,
    /// A tool call the model writes.
    Call,
    /// A tool's result the model reads.
    Result,
    /// The model's final answer.
    Answer,
}

/// One message through the context.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// What it is.
    pub kind: Kind,
    /// Which tool (`server.tool`) or what else, for the report.
    pub label: String,
    /// Its tokens, framing included.
    pub tokens: Tokens,
    /// Its text's length in bytes.
    pub bytes: u64,
}

/// Every message of one mode of one scenario, in order.
#[derive(Default, Debug, Serialize)]
pub struct Transcript {
    /// The messages.
    pub entries: Vec<Entry>,
}

impl Transcript {
    /// Adds a message of `kind` holding `text`.
    pub fn push(&mut self, counter: &Counter, kind: Kind, label: impl Into<String>, text: &str) {
        self.entries.push(Entry { kind, label: label.into(), tokens: counter.message(text), bytes: text.len() as u64 });
    }

    /// Adds a tool definition as the model sees it.
    pub fn definition(&mut self, counter: &Counter, server: &str, tool: &Value) {
        let name = tool["name"].as_str().unwrap_or_default();
        self.push(counter, Kind::Definition, format!("{server}.{name}"), &definition_text(tool));
    }

    /// Adds a tool call as the model writes it.
    pub fn call(&mut self, counter: &Counter, server: &str, tool: &str, arguments: &Value) {
        let text = json!({ "name": tool, "arguments": arguments }).to_string();
        self.push(counter, Kind::Call, format!("{server}.{tool}"), &text);
    }

    /// All tokens.
    pub fn total(&self) -> Tokens {
        self.entries.iter().map(|entry| entry.tokens).sum()
    }

    /// Tokens of entries of `kind`.
    pub fn of(&self, kind: Kind) -> Tokens {
        self.entries.iter().filter(|entry| entry.kind == kind).map(|entry| entry.tokens).sum()
    }

    /// Tool calls made.
    pub fn calls(&self) -> usize {
        self.entries.iter().filter(|entry| entry.kind == Kind::Call).count()
    }
}

/// The part of a `tools/list` entry a model is given: name, description and
/// schemas, in compact JSON (titles and annotations are for clients).
pub fn definition_text(tool: &Value) -> String {
    let mut shown = serde_json::Map::new();
    for key in ["name", "description", "inputSchema", "outputSchema"] {
        if let Some(value) = tool.get(key) {
            shown.insert(key.to_owned(), value.clone());
        }
    }
    Value::Object(shown).to_string()
}

/// The text of a `CallToolResult`'s content blocks, joined by newlines; a
/// non-text block is shown as its JSON.
pub fn result_text(result: &Value) -> String {
    let blocks = result["content"].as_array().map(Vec::as_slice).unwrap_or_default();
    blocks
        .iter()
        .map(|block| match block["text"].as_str() {
            Some(text) if block["type"] == "text" => text.to_owned(),
            _ => block.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_costs_its_text_plus_the_framing_in_both_encodings() {
        let counter = Counter::new();
        let text = "Open issues labelled bug with more than ten comments";
        let bare = counter.count(text);
        assert!(bare.o200k > 5 && bare.cl100k > 5, "{bare:?}");
        assert_eq!(counter.message(text), Tokens { o200k: bare.o200k + FRAMING, cl100k: bare.cl100k + FRAMING });
        assert_eq!(counter.count(""), Tokens::default());
    }

    #[test]
    fn special_token_lookalikes_are_counted_as_text_not_refused() {
        let counter = Counter::new();
        assert!(counter.count("<|endoftext|>").o200k > 1);
    }

    #[test]
    fn a_definition_is_counted_without_annotations_and_a_result_by_its_text_blocks() {
        let tool = json!({"name": "t", "title": "T", "description": "d", "inputSchema": {"type": "object"},
                          "annotations": {"readOnlyHint": true}});
        assert_eq!(definition_text(&tool), r#"{"name":"t","description":"d","inputSchema":{"type":"object"}}"#);
        let result = json!({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                            "structuredContent": {"big": "ignored"}});
        assert_eq!(result_text(&result), "a\nb");
    }

    #[test]
    fn a_transcript_sums_its_messages_by_kind() {
        let counter = Counter::new();
        let mut transcript = Transcript::default();
        transcript.push(&counter, Kind::Task, "task", "Count the bugs.");
        transcript.call(&counter, "github", "list_issues", &json!({"owner": "acme"}));
        transcript.push(&counter, Kind::Result, "github.list_issues", "[]");
        assert_eq!(transcript.calls(), 1);
        assert_eq!(transcript.total(), transcript.entries.iter().map(|e| e.tokens).sum());
        assert_eq!(transcript.of(Kind::Result), counter.message("[]"));
    }
}
