//! [`TerminalAsker`]: a server's question (MCP elicitation) put to the person
//! at the terminal that ran `sluice run`.
//!
//! Everything the server wrote (its message, field names, titles, choices, a
//! URL) is shown with control characters escaped and cut, so a server cannot
//! drive the terminal; a form of more than [`MAX_FIELDS`] fields is not put to
//! anyone; each answer line is read up to [`MAX_LINE_BYTES`]. An answer that
//! does not fit its field is asked again, at most [`TRIES`] times. End of input
//! gives no answer (the policy answers instead).

use std::io::{BufRead, Read, Write};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use serde_json::{Map, Value, json};

use crate::Asker;
use crate::terminal::escape_controls;
use crate::tools::text::truncate_chars;

/// Most fields of a form put to a person; a longer form is left to the policy.
pub const MAX_FIELDS: usize = 32;
/// Most bytes of one answer line read.
const MAX_LINE_BYTES: u64 = 4 << 10;
/// Most characters of a server's text shown at once.
const MAX_SHOWN_CHARS: usize = 1000;
/// How often one field is asked before the form is given up (cancelled).
const TRIES: usize = 3;

/// Puts servers' questions to the person at a terminal: prompts on one stream,
/// answers from another (stderr and stdin for `sluice run`).
pub struct TerminalAsker {
    io: Arc<Mutex<Terminal>>,
}

/// Where answers are read from, and where prompts are written.
type Terminal = (Box<dyn BufRead + Send>, Box<dyn Write + Send>);

impl TerminalAsker {
    /// Asks on `prompts`, reads answers from `answers`.
    pub fn new(answers: impl BufRead + Send + 'static, prompts: impl Write + Send + 'static) -> TerminalAsker {
        TerminalAsker { io: Arc::new(Mutex::new((Box::new(answers), Box::new(prompts)))) }
    }

    /// The terminal of this process (answers on stdin, prompts on stderr).
    pub fn stdio() -> TerminalAsker {
        TerminalAsker::new(std::io::BufReader::new(std::io::stdin()), std::io::stderr())
    }
}

impl Asker for TerminalAsker {
    fn ask(&self, server: &str, request: Value) -> BoxFuture<'static, Option<Value>> {
        let io = self.io.clone();
        let server = server.to_owned();
        Box::pin(async move {
            // Reading a terminal blocks; a question nobody answers holds one blocking thread until the process ends.
            let asked = tokio::task::spawn_blocking(move || {
                let mut io = io.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let (answers, prompts) = &mut *io;
                interview(&server, &request, answers, prompts)
            });
            asked.await.ok().flatten()
        })
    }
}

/// Puts `request` to the person; their `ElicitResult`, or `None` if it cannot
/// be put (an unknown mode, too many fields) or the input ended.
fn interview(server: &str, request: &Value, answers: &mut dyn BufRead, prompts: &mut dyn Write) -> Option<Value> {
    let message = shown(request.get("message").and_then(Value::as_str).unwrap_or(""));
    let server = shown(server);
    match request.get("mode").and_then(Value::as_str).unwrap_or("form") {
        "url" => {
            let url = shown(request.get("url").and_then(Value::as_str)?);
            let _ = writeln!(prompts, "\nsluice: server {server} asks you to open a page:\n  {message}\n  {url}");
            let done = choose(answers, prompts, "Open it yourself; done? [y]es / [n]o (decline) / [c]ancel: ")?;
            Some(json!({ "action": done }))
        }
        "form" => {
            let properties = request.pointer("/requestedSchema/properties").and_then(Value::as_object);
            let properties = properties.map(|p| p.iter().collect::<Vec<_>>()).unwrap_or_default();
            if properties.len() > MAX_FIELDS {
                return None;
            }
            let required = request.pointer("/requestedSchema/required").and_then(Value::as_array);
            let required = |name: &str| required.is_some_and(|list| list.iter().any(|r| r == name));
            let _ = writeln!(prompts, "\nsluice: server {server} asks: {message}");
            let _ = writeln!(prompts, "  (the program does not see your answers; an empty line keeps [the default])");
            let mut content = Map::new();
            for (name, schema) in properties {
                let field = Field::of(name, schema, required(name));
                if let Some(value) = field.ask(answers, prompts)? {
                    content.insert(name.clone(), value);
                }
            }
            match choose(answers, prompts, "Send these answers? [y]es / [n]o (decline) / [c]ancel: ")? {
                "accept" => Some(json!({ "action": "accept", "content": content })),
                other => Some(json!({ "action": other })),
            }
        }
        _ => None,
    }
}

/// A server's text as shown: escaped, and cut to [`MAX_SHOWN_CHARS`].
fn shown(text: &str) -> String {
    escape_controls(&truncate_chars(text, MAX_SHOWN_CHARS)).into_owned()
}

/// Reads one line, without its end; `None` at the end of input.
fn read_answer(answers: &mut dyn BufRead) -> Option<String> {
    let mut line = Vec::new();
    let read = answers.take(MAX_LINE_BYTES).read_until(b'\n', &mut line).ok()?;
    if read == 0 {
        return None;
    }
    if !line.ends_with(b"\n") {
        // The rest of an over-long line is not the next answer.
        answers.skip_until(b'\n').ok()?;
    }
    Some(String::from_utf8_lossy(&line).trim().to_owned())
}

/// Asks "yes / no / cancel" until answered: `accept`, `decline` or `cancel`.
fn choose(answers: &mut dyn BufRead, prompts: &mut dyn Write, question: &str) -> Option<&'static str> {
    for _ in 0..TRIES {
        let _ = write!(prompts, "{question}");
        let _ = prompts.flush();
        match read_answer(answers)?.to_lowercase().as_str() {
            "" | "y" | "yes" => return Some("accept"),
            "n" | "no" => return Some("decline"),
            "c" | "cancel" => return Some("cancel"),
            _ => {}
        }
    }
    Some("cancel")
}

/// One field of a form, as asked.
struct Field<'a> {
    name: &'a str,
    schema: &'a Value,
    required: bool,
    kind: Kind,
}

enum Kind {
    Boolean,
    Number {
        integer: bool,
    },
    /// One of these values (`const`s, shown with their titles).
    OneOf(Vec<(Value, String)>),
    /// Any of these values, comma-separated.
    AnyOf(Vec<(Value, String)>),
    Text,
}

impl<'a> Field<'a> {
    fn of(name: &'a str, schema: &'a Value, required: bool) -> Field<'a> {
        let kind = match schema.get("type").and_then(Value::as_str) {
            Some("boolean") => Kind::Boolean,
            Some("number") => Kind::Number { integer: false },
            Some("integer") => Kind::Number { integer: true },
            Some("array") => Kind::AnyOf(choices(schema.get("items").unwrap_or(&Value::Null))),
            _ => match choices(schema) {
                list if list.is_empty() => Kind::Text,
                list => Kind::OneOf(list),
            },
        };
        Field { name, schema, required, kind }
    }

    /// The field's value, `Ok(None)` if left empty; `None` if the input ended
    /// or the person gave up ([`TRIES`] wrong answers end the form).
    fn ask(&self, answers: &mut dyn BufRead, prompts: &mut dyn Write) -> Option<Option<Value>> {
        let default = self.schema.get("default");
        let title = self.schema.get("title").and_then(Value::as_str).map(shown);
        let description = self.schema.get("description").and_then(Value::as_str).map(shown);
        let mut line = format!("  {}", shown(self.name));
        if let Some(title) = title.filter(|title| title != self.name) {
            line += &format!(" ({title})");
        }
        if let Some(description) = description {
            line += &format!(" — {description}");
        }
        let hint = match &self.kind {
            Kind::Boolean => "yes/no".to_owned(),
            Kind::Number { integer: true } => "a whole number".to_owned(),
            Kind::Number { integer: false } => "a number".to_owned(),
            Kind::OneOf(list) => {
                format!("one of: {}", list.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(", "))
            }
            Kind::AnyOf(list) => {
                format!(
                    "any of, comma-separated: {}",
                    list.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(", ")
                )
            }
            Kind::Text => "text".to_owned(),
        };
        line += &format!(" [{hint}{}]", if self.required { ", required" } else { "" });
        if let Some(default) = default {
            line += &format!(" [{}]", shown(&default.to_string()));
        }
        for _ in 0..TRIES {
            let _ = write!(prompts, "{line}: ");
            let _ = prompts.flush();
            let answer = read_answer(answers)?;
            if answer.is_empty() {
                match default {
                    Some(default) => return Some(Some(default.clone())),
                    None if !self.required => return Some(None),
                    None => {
                        let _ = writeln!(prompts, "    this field is required");
                        continue;
                    }
                }
            }
            match self.parse(&answer) {
                Some(value) => return Some(Some(value)),
                None => {
                    let _ = writeln!(prompts, "    that is not {hint}");
                }
            }
        }
        None
    }

    fn parse(&self, answer: &str) -> Option<Value> {
        let pick = |list: &[(Value, String)], word: &str| {
            list.iter()
                .find(|(value, title)| title == word || value.as_str() == Some(word))
                .map(|(value, _)| value.clone())
        };
        match &self.kind {
            Kind::Boolean => match answer.to_lowercase().as_str() {
                "y" | "yes" | "true" => Some(Value::Bool(true)),
                "n" | "no" | "false" => Some(Value::Bool(false)),
                _ => None,
            },
            Kind::Number { integer } => {
                let number: serde_json::Number = answer.parse().ok()?;
                let value = if *integer { Value::from(number.as_i64()?) } else { Value::Number(number) };
                let n = value.as_f64()?;
                let within = |key: &str, ok: fn(f64, f64) -> bool| {
                    self.schema.get(key).and_then(Value::as_f64).is_none_or(|bound| ok(n, bound))
                };
                (within("minimum", |n, b| n >= b) && within("maximum", |n, b| n <= b)).then_some(value)
            }
            Kind::OneOf(list) => pick(list, answer),
            Kind::AnyOf(list) => {
                answer.split(',').map(|word| pick(list, word.trim())).collect::<Option<Vec<_>>>().map(Value::Array)
            }
            Kind::Text => Some(Value::String(answer.to_owned())),
        }
    }
}

/// The values a schema allows, with what to show for each: `enum` (titled by
/// `enumNames` if given), or `oneOf`/`anyOf` of `{const, title}` (SEP-1330).
fn choices(schema: &Value) -> Vec<(Value, String)> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let names = schema.get("enumNames").and_then(Value::as_array);
        return values
            .iter()
            .enumerate()
            .take(MAX_FIELDS * 8)
            .map(|(i, value)| {
                let name = names.and_then(|names| names.get(i)).and_then(Value::as_str);
                (value.clone(), shown(name.or(value.as_str()).unwrap_or(&value.to_string())))
            })
            .collect();
    }
    let titled = schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array);
    titled
        .into_iter()
        .flatten()
        .take(MAX_FIELDS * 8)
        .filter_map(|option| {
            let value = option.get("const")?;
            let title = option.get("title").and_then(Value::as_str).or(value.as_str());
            Some((value.clone(), shown(title.unwrap_or(&value.to_string()))))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(request: Value, typed: &str) -> (Option<Value>, String) {
        let mut answers = std::io::Cursor::new(typed.as_bytes().to_vec());
        let mut prompts = Vec::new();
        let answer = interview("github", &request, &mut answers, &mut prompts);
        (answer, String::from_utf8(prompts).unwrap())
    }

    fn form() -> Value {
        json!({
            "mode": "form",
            "message": "Confirm the booking\u{1b}[2J",
            "requestedSchema": {
                "type": "object",
                "properties": {
                    "name": { "type": "string", "default": "Ada" },
                    "seats": { "type": "integer", "minimum": 1, "maximum": 4 },
                    "confirm": { "type": "boolean" },
                    "meal": { "type": "string", "oneOf": [{ "const": "v", "title": "Vegetarian" }, { "const": "m", "title": "Meat" }] },
                    "extras": { "type": "array", "items": { "anyOf": [{ "const": "wifi", "title": "Wi-Fi" }, { "const": "bag" }] } },
                    "note": { "type": "string" },
                },
                "required": ["seats", "confirm"],
            },
        })
    }

    #[test]
    fn a_form_is_asked_field_by_field_with_defaults_choices_and_retries() {
        let typed = "\n9\n2\nyes\nVegetarian\nWi-Fi, bag\n\ny\n";
        let (answer, shown) = put(form(), typed);
        let content = json!({ "name": "Ada", "seats": 2, "confirm": true, "meal": "v", "extras": ["wifi", "bag"] });
        assert_eq!(answer, Some(json!({ "action": "accept", "content": content })), "{shown}");
        assert!(shown.contains("that is not a whole number"), "9 is over the maximum: {shown}");
        assert!(!shown.contains('\u{1b}'), "the server's escape is shown escaped: {shown}");
        assert!(shown.contains("server github asks"));
    }

    #[test]
    fn a_person_may_decline_or_cancel_and_the_end_of_input_gives_no_answer() {
        assert_eq!(put(form(), "\n1\nno\n\n\n\nn\n").0, Some(json!({ "action": "decline" })));
        assert_eq!(put(form(), "\n1\nno\n\n\n\nc\n").0, Some(json!({ "action": "cancel" })));
        assert_eq!(put(form(), "\n1\n").0, None, "input ended mid-form");
        assert_eq!(put(form(), "\n\n\n\n").0, None, "a required field left empty three times gives up");
        let url = json!({ "mode": "url", "message": "Sign in", "url": "https://example.com/x", "elicitationId": "1" });
        let (answer, shown) = put(url, "y\n");
        assert_eq!(answer, Some(json!({ "action": "accept" })));
        assert!(shown.contains("https://example.com/x"));
    }

    #[test]
    fn a_form_too_long_to_put_to_a_person_is_left_to_the_policy() {
        let properties: Map<String, Value> =
            (0..=MAX_FIELDS).map(|n| (format!("f{n}"), json!({ "type": "string" }))).collect();
        let request = json!({ "mode": "form", "message": "?", "requestedSchema": { "type": "object", "properties": properties } });
        assert_eq!(put(request, &"x\n".repeat(64)).0, None);
    }
}
