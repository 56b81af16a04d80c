//! Text Sluice prints for people: control characters escaped and quoted names capped, so no program or server can drive the terminal.
//!
//! A program's log lines, error messages and a server's names and descriptions
//! end up on a terminal. Raw, they could move the cursor, rewrite earlier lines
//! (a forged `sluice: ok`), set the clipboard (OSC 52) or reorder text with
//! bidirectional overrides. Everything Sluice itself prints goes through here.

use std::borrow::Cow;
use std::fmt::Write;

/// The longest name (server, tool, file) quoted in a message, in characters.
pub const MAX_QUOTED_NAME_CHARS: usize = 128;

/// Whether `c` must not reach a terminal raw: C0 and C1 controls, DEL, and the
/// bidirectional embeddings, overrides and isolates.
fn is_hazard(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn escape(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let keep = |c: char| keep_lines && (c == '\n' || c == '\t');
    if !text.chars().any(|c| is_hazard(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            c if keep(c) || !is_hazard(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// `text` as one line: every control character (newlines too) and bidi
/// control escaped as `\n`, `\x1b`, `\u{202e}`.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// `text` with its lines and tabs kept and every other control character escaped.
pub fn escape_controls_keep_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// A name fit to quote: escaped, and cut to [`MAX_QUOTED_NAME_CHARS`] with `…`.
pub fn quote_name(name: &str) -> String {
    let escaped = escape_controls(name);
    match escaped.char_indices().nth(MAX_QUOTED_NAME_CHARS) {
        Some((cut, _)) => format!("{}…", &escaped[..cut]),
        None => escaped.into_owned(),
    }
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
        assert_eq!(escape_controls(osc52), "copy\\x1b]52;c;ZXZpbA==\\x07 me");
        assert_eq!(escape_controls("done\r\nsluice: ok in 1 ms"), "done\\r\\nsluice: ok in 1 ms");
        assert_eq!(escape_controls("abc\u{202e}fed\u{9b}"), "abc\\u{202e}fed\\x9b");
        assert!(matches!(escape_controls("plain text, ünïcode ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn multi_line_text_keeps_its_lines_but_nothing_else() {
        assert_eq!(escape_controls_keep_lines("a\n\tb\x1b[2J"), "a\n\tb\\x1b[2J");
        assert_eq!(escape_output(b"ok\n\x1b[31mred\xff\n"), "ok\n\\x1b[31mred\\xff\n");
    }

    #[test]
    fn quoted_names_are_capped() {
        let long = "n".repeat(1000);
        let quoted = quote_name(&long);
        assert_eq!(quoted.chars().count(), MAX_QUOTED_NAME_CHARS + 1);
        assert!(quoted.ends_with('…'));
        assert_eq!(quote_name("get\nsum"), "get\\nsum");
    }
}
