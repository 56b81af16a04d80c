//! Text Sluice prints for people: control characters escaped, so no program or server can drive the terminal.
//!
//! A program's log lines, error messages and a server's names and descriptions
//! end up on a terminal. Raw, they could move the cursor, rewrite earlier lines
//! (a forged `sluice: ok`), set the clipboard (OSC 52) or reorder text with
//! bidirectional overrides. Everything Sluice itself prints goes through here;
//! names a server chooses are also cut for display (`tools::text::display_name`).

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal or a comment as it is: ASCII and C1
/// control characters (tab excepted), line and paragraph separators, and the
/// invisible marks that reorder text (bidirectional overrides and isolates).
pub fn is_unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

fn escape(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let escaped = |c: char| is_unsafe_char(c) && !(keep_lines && c == '\n');
    if !text.contains(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escaped(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` as one line: every [unsafe character](is_unsafe_char), newlines
/// too, written as `\u{..}` (`\u{a}`, `\u{1b}`, `\u{202e}`).
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// `text` with its lines kept and every other [unsafe character](is_unsafe_char) escaped.
pub fn escape_controls_keep_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// A program's own output, for a terminal: lines and tabs kept, other control
/// characters escaped; bytes that are not UTF-8 shown as `\xNN`.
pub fn escape_output(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(&escape_controls_keep_lines(chunk.valid()));
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_commands_and_forged_lines_are_escaped() {
        let osc52 = "copy\x1b]52;c;ZXZpbA==\x07 me";
        assert_eq!(escape_controls(osc52), r"copy\u{1b}]52;c;ZXZpbA==\u{7} me");
        assert_eq!(escape_controls("done\r\nsluice: ok in 1 ms"), r"done\u{d}\u{a}sluice: ok in 1 ms");
        assert_eq!(escape_controls("abc\u{202e}fed\u{9b}\u{2028}"), r"abc\u{202e}fed\u{9b}\u{2028}");
        assert!(matches!(escape_controls("plain\ttext, ünïcode ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn multi_line_text_keeps_its_lines_but_nothing_else() {
        assert_eq!(escape_controls_keep_lines("a\n\tb\x1b[2J"), "a\n\tb\\u{1b}[2J");
        assert_eq!(escape_output(b"ok\n\x1b[31mred\xff\n"), "ok\n\\u{1b}[31mred\\xff\n");
    }
}
