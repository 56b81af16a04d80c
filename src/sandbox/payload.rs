//! A completion's payload as the host holds it: JSON bytes, or a tool call's value kept as its own text, so that a guest can take it raw (`result_value_read`) and the JSON envelope is written only for a guest that reads it (`result_read`).
//!
//! A tool's text result of 3.6 MB used to be escaped into a JSON string on the
//! host (~2 ms), copied, and unescaped again in the guest. A [`Valued`] payload
//! keeps the text as the tool gave it; `result_value_read` copies it into guest
//! memory as it is, and `result_read` writes the envelope straight into guest
//! memory, byte for byte what serialising the whole result gives (a test holds
//! the two to each other).

use std::io::Write;

use serde_json::Value;

use crate::tools::ToolResult;

/// How a value read raw is to be read (`result_value_read`'s result, ABI.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueForm {
    /// The text of the result's one text block: the program's value is its
    /// JSON, or the text itself when it is not JSON.
    Text = 0,
    /// The compact JSON of the result's `structuredContent`.
    Json = 1,
}

/// What `result_read` hands over, and for a tool call's successful result, what
/// `result_value_read` does.
#[derive(Debug)]
pub(crate) enum Payload {
    /// The payload itself (JSON, or a stripped module's JavaScript).
    Bytes(Vec<u8>),
    /// A successful tool result whose value is one text.
    Valued(Valued),
}

/// A successful tool result held as its value's text: the envelope is
/// `prefix`, then `text` (as a JSON string when the form is [`ValueForm::Text`],
/// as it is when [`ValueForm::Json`]), then `suffix`.
#[derive(Debug)]
pub(crate) struct Valued {
    prefix: Vec<u8>,
    text: String,
    suffix: Vec<u8>,
    form: ValueForm,
    /// The envelope's length, counted once.
    envelope_len: usize,
}

impl Valued {
    fn new(prefix: Vec<u8>, text: String, suffix: Vec<u8>, form: ValueForm) -> Self {
        let middle = match form {
            ValueForm::Text => quoted_len(&text),
            ValueForm::Json => text.len(),
        };
        let envelope_len = prefix.len() + middle + suffix.len();
        Valued { prefix, text, suffix, form, envelope_len }
    }
}

impl Payload {
    /// The length `result_len` reports: the envelope's (or the bytes').
    pub(crate) fn len(&self) -> usize {
        match self {
            Payload::Bytes(bytes) => bytes.len(),
            Payload::Valued(valued) => valued.envelope_len,
        }
    }

    /// The value, for `result_value_read`, if the payload holds one.
    pub(crate) fn value(&self) -> Option<(ValueForm, &[u8])> {
        match self {
            Payload::Bytes(_) => None,
            Payload::Valued(valued) => Some((valued.form, valued.text.as_bytes())),
        }
    }

    /// Writes what `result_read` hands over into `target`, exactly [`len`](Self::len) bytes long.
    pub(crate) fn write_to(&self, target: &mut [u8]) {
        match self {
            Payload::Bytes(bytes) => target.copy_from_slice(bytes),
            Payload::Valued(valued) => {
                let (prefix, rest) = target.split_at_mut(valued.prefix.len());
                prefix.copy_from_slice(&valued.prefix);
                let (middle, suffix) = rest.split_at_mut(rest.len() - valued.suffix.len());
                match valued.form {
                    ValueForm::Text => {
                        let mut writer = &mut middle[..];
                        serde_json::to_writer(&mut writer, &valued.text).expect("the length was counted");
                        debug_assert!(writer.is_empty(), "the quoted length was counted exactly");
                    }
                    ValueForm::Json => middle.copy_from_slice(valued.text.as_bytes()),
                }
                suffix.copy_from_slice(&valued.suffix);
            }
        }
    }

    /// The payload's bytes, for a test or a small failure.
    #[cfg(test)]
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let mut bytes = vec![0; self.len()];
        self.write_to(&mut bytes);
        bytes
    }
}

/// The length of `text` as serde_json writes it as a JSON string, quotes
/// included: `"` and `\` and the controls with a short escape (`\b \t \n \f \r`)
/// take two bytes, the other controls six (`\u001f`). Counted in runs of 128
/// bytes with byte-wide counters, which vectorises (0.19 ms for 3.6 MB, where a
/// per-byte sum of `u32`s took 1.7 ms); only a run holding a control is looked
/// at again for the long escapes.
pub(crate) fn quoted_len(text: &str) -> usize {
    let mut extra = 0;
    for run in text.as_bytes().chunks(128) {
        let (mut escaped, mut controls) = (0u8, 0u8);
        for &byte in run {
            escaped += u8::from(byte == b'"' || byte == b'\\' || byte < 0x20);
            controls |= u8::from(byte < 0x20);
        }
        extra += usize::from(escaped);
        if controls != 0 {
            extra += 4 * run
                .iter()
                .filter(|&&byte| byte < 0x20 && !matches!(byte, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d))
                .count();
        }
    }
    text.len() + 2 + extra
}

/// The text of `block` when it is exactly `{"type": "text", "text": <string>}`
/// (in either order), and whether `type` comes first.
fn bare_text(block: &Value) -> Option<(&str, bool)> {
    let fields = block.as_object()?;
    if fields.len() != 2 || fields.get("type")?.as_str()? != "text" {
        return None;
    }
    let text = fields.get("text")?.as_str()?;
    Some((text, fields.keys().next().map(String::as_str) == Some("type")))
}

/// Takes the text out of `result`'s one bare text block, when that text is
/// the whole of a successful result: `{"content": [<the block>], "isError": false}`.
/// The envelope is then written only if a guest reads it.
pub(crate) fn text_value(result: &mut ToolResult) -> Option<Valued> {
    if result.is_error || result.structured_content.is_some() || result.content.len() != 1 {
        return None;
    }
    let (_, type_first) = bare_text(&result.content[0])?;
    let Some(Value::String(text)) = result.content[0].get_mut("text") else { return None };
    let text = std::mem::take(text);
    let (prefix, suffix): (&[u8], &[u8]) = if type_first {
        (br#"{"content":[{"type":"text","text":"#, br#"}],"isError":false}"#)
    } else {
        (br#"{"content":[{"text":"#, br#","type":"text"}],"isError":false}"#)
    };
    Some(Valued::new(prefix.to_vec(), text, suffix.to_vec(), ValueForm::Text))
}

/// Encodes a tool result for the guest, leaving out text blocks that only
/// repeat `structuredContent` as JSON (servers send both, as MCP recommends; the
/// guest would parse the same data twice). The structured content is serialised
/// once: to check a text block against it (without allocating), and when one
/// is a copy its text *is* the JSON the guest gets. Returns the payload and the
/// size of the result as the tool sent it.
pub(crate) fn structured_payload(result: &mut ToolResult, structured: &Value) -> serde_json::Result<(Payload, u64)> {
    let copy_of = |text: &str| {
        let mut compare = Compare { expected: text.as_bytes(), at: 0 };
        serde_json::to_writer(&mut compare, structured).is_ok() && compare.at == text.len()
    };
    let first_copy = result.content.iter().position(|block| bare_text(block).is_some_and(|(text, _)| copy_of(text)));
    let structured_json = match first_copy {
        Some(index) => match result.content[index].get_mut("text") {
            Some(Value::String(text)) => std::mem::take(text),
            _ => unreachable!("a bare text block has a string text"),
        },
        None => serde_json::to_string(structured)?,
    };
    // The block taken from is a copy; any other is one if its text is the same.
    let is_copy = |index: usize, block: &Value| {
        Some(index) == first_copy || bare_text(block).is_some_and(|(text, _)| text == structured_json)
    };
    let kept: Vec<&Value> =
        result.content.iter().enumerate().filter(|(index, block)| !is_copy(*index, block)).map(|(_, b)| b).collect();
    let copies = (result.content.len() - kept.len()) as u64;

    let mut prefix = Vec::with_capacity(64);
    prefix.extend_from_slice(br#"{"content":"#);
    serde_json::to_writer(&mut prefix, &kept)?;
    prefix.extend_from_slice(br#","structuredContent":"#);
    let is_error = result.is_error;
    let suffix: &[u8] = if is_error { br#","isError":true}"# } else { br#","isError":false}"# };

    // What was left out still counts as received: each copy is
    // `{"type":"text","text":"<escaped>"}` plus a separating comma.
    let copy_size = r#"{"type":"text","text":}"#.len() as u64 + quoted_len(&structured_json) as u64;
    let separators = if kept.is_empty() { copies.saturating_sub(1) } else { copies };
    let sent = (prefix.len() + structured_json.len() + suffix.len()) as u64;
    let size = sent + copies * copy_size + separators;
    let payload = if is_error {
        // A tool error is read whole (its content is the message), never raw.
        let mut bytes = prefix;
        bytes.extend_from_slice(structured_json.as_bytes());
        bytes.extend_from_slice(suffix);
        Payload::Bytes(bytes)
    } else {
        Payload::Valued(Valued::new(prefix, structured_json, suffix.to_vec(), ValueForm::Json))
    };
    Ok((payload, size))
}

/// A writer that only checks that what is written is `expected`, failing at the first difference.
struct Compare<'a> {
    expected: &'a [u8],
    at: usize,
}

impl Write for Compare<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self.expected.get(self.at..self.at + bytes.len()) {
            Some(expected) if expected == bytes => {
                self.at += bytes.len();
                Ok(bytes.len())
            }
            _ => Err(std::io::ErrorKind::InvalidData.into()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quoted_length_is_serde_jsons() {
        let mut every_byte = String::new();
        for byte in 0u8..0x80 {
            every_byte.push(char::from(byte));
        }
        for text in [&every_byte[..], "", "plain", "é ☃ 😀 \u{7f}\u{2028}", "\"\\\"", &"ab\n\u{1}".repeat(3000)] {
            assert_eq!(quoted_len(text), serde_json::to_string(text).unwrap().len(), "{text:?}");
        }
    }

    #[test]
    fn a_text_result_held_as_its_text_writes_the_envelope_serialising_it_gives() {
        for text in ["[1,2]", "not json \" \\ \n \u{1} é 😀", ""] {
            let mut result = ToolResult::text(text);
            let whole = serde_json::to_vec(&result).unwrap();
            let valued = text_value(&mut result).expect("one bare text block");
            assert_eq!(valued.text, text);
            assert_eq!(Payload::Valued(valued).to_vec(), whole);
        }
        // `text` before `type`: the envelope keeps the block's own order.
        let block = serde_json::from_str::<Value>(r#"{"text":"a\"b","type":"text"}"#).unwrap();
        let mut result = ToolResult { content: vec![block], structured_content: None, is_error: false };
        let whole = serde_json::to_vec(&result).unwrap();
        assert_eq!(Payload::Valued(text_value(&mut result).unwrap()).to_vec(), whole);
    }

    #[test]
    fn only_a_successful_lone_bare_text_block_is_held_as_its_text() {
        let mut error = ToolResult::error("boom");
        assert!(text_value(&mut error).is_none());
        let mut two = ToolResult::text("a");
        two.content.push(two.content[0].clone());
        assert!(text_value(&mut two).is_none());
        let annotated = serde_json::json!({"type": "text", "text": "a", "annotations": {"priority": 1}});
        let mut annotated = ToolResult { content: vec![annotated], structured_content: None, is_error: false };
        assert!(text_value(&mut annotated).is_none());
        assert_eq!(annotated.content[0]["text"], "a", "nothing is taken from a block that is not held");
    }
}
