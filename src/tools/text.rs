//! Text from servers made safe to print or to put in generated code: control characters escaped, names capped.
//!
//! Tool names, titles, descriptions, enum values and property names are chosen
//! by whoever runs a server. Before Sluice shows them on a terminal (`sluice
//! tools`) or writes them into comments of generated code (declarations,
//! bindings), every character that could end a line, move the cursor, start a
//! terminal escape sequence or reorder what a reader sees is written as a
//! visible escape (`\u{1b}`), and names are cut to [`MAX_NAME_CHARS`].

use std::borrow::Cow;

/// Longest name (of a tool, a server, a property) shown in full in listings
/// and comments; longer names are cut there, with `…`. Tool calls accept names
/// of at most 128 bytes, so a longer name cannot be called anyway.
pub const MAX_NAME_CHARS: usize = 128;

/// Longest tool or server name a program can call (the ABI's cap on names);
/// generated code declares no function for a tool with a longer name.
pub const MAX_NAME_BYTES: usize = 128;

pub use crate::terminal::{escape_controls, is_unsafe_char};

/// At most `max` characters of `text`, ending in `…` when cut.
pub fn truncate_chars(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
        None => Cow::Borrowed(text),
    }
}

/// A name as listings and comments show it: cut to [`MAX_NAME_CHARS`], then escaped.
pub fn display_name(name: &str) -> Cow<'_, str> {
    match truncate_chars(name, MAX_NAME_CHARS) {
        Cow::Borrowed(name) => escape_controls(name),
        Cow::Owned(cut) => Cow::Owned(escape_controls(&cut).into_owned()),
    }
}

/// The lines of `text`, split at every line terminator a reader or a language
/// might honour (LF, CR, CRLF, NEL, VT, FF, U+2028, U+2029), with the rest of
/// the control characters escaped and trailing blanks trimmed. Each line is
/// safe to put after `//`, `///` or ` * `.
pub fn lines(text: &str) -> impl Iterator<Item = String> + '_ {
    let is_break = |c| matches!(c, '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        let (line, next) = match text.find(is_break) {
            Some(at) if text[at..].starts_with("\r\n") => (&text[..at], Some(&text[at + 2..])),
            Some(at) => {
                let width = text[at..].chars().next().map_or(1, char::len_utf8);
                (&text[..at], Some(&text[at + width..]))
            }
            None => (text, None),
        };
        rest = next;
        Some(escape_controls(line.trim_end()).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_written_as_visible_escapes() {
        assert_eq!(escape_controls("plain text"), "plain text");
        assert!(matches!(escape_controls("plain"), Cow::Borrowed(_)));
        assert_eq!(escape_controls("a\u{1b}]52;c;x\u{7}b"), "a\\u{1b}]52;c;x\\u{7}b");
        assert_eq!(escape_controls("one\ntwo\r\u{2028}\u{202e}\u{9b}"), "one\\u{a}two\\u{d}\\u{2028}\\u{202e}\\u{9b}");
        assert_eq!(escape_controls("tab\tstays"), "tab\tstays");
    }

    #[test]
    fn long_names_are_cut_for_display() {
        let long = "n".repeat(1000);
        let shown = display_name(&long);
        assert_eq!(shown.chars().count(), MAX_NAME_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(display_name("get-sum"), "get-sum");
        assert_eq!(display_name("evil\u{1b}[2J"), "evil\\u{1b}[2J");
    }

    #[test]
    fn lines_split_at_every_line_terminator() {
        let split: Vec<String> = lines("a\nb\r\nc\rd\u{2028}e\u{2029}f\u{85}g  \u{b}h\u{1b}").collect();
        assert_eq!(split, ["a", "b", "c", "d", "e", "f", "g", "h\\u{1b}"]);
    }
}
