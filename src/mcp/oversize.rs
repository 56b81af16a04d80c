//! Answering an over-long stdio message with an error instead of silence.
//!
//! rmcp drops an incoming line longer than its cap (memory stays bounded), but
//! the request it answered would then wait for its timeout and end with a
//! misleading "no answer". [`CapLines`] sits between the child's stdout and
//! rmcp: it passes every byte through, finds each line's top-level JSON-RPC `id`
//! with a streaming scanner (servers put it first or last), and after a line
//! that rmcp will drop it adds a JSON-RPC error for that `id` with code
//! [`OVERSIZE_CODE`], which Sluice turns into `result_too_large`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};

/// The JSON-RPC error code of a message over the cap (in the implementation-defined server-error range).
pub(crate) const OVERSIZE_CODE: i32 = -32_070;

/// How much of a line that is not JSON is kept to show in an error.
const GARBAGE_SAMPLE: usize = 160;

/// The longest `id` kept (ids are numbers or short strings).
const MAX_ID_BYTES: usize = 256;

/// A reader that answers lines of `max` bytes or more (what rmcp drops) with an error line.
pub(crate) struct CapLines<R> {
    inner: R,
    max: usize,
    /// Gets the start of the first line that is not a JSON object or array (a
    /// server printing to stdout), so a handshake can fail fast on it.
    garbage: tokio::sync::watch::Sender<Option<String>>,
    line: Line,
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
}

impl<R> CapLines<R> {
    /// Wraps `inner`; lines of `max` bytes or more are answered.
    pub(crate) fn new(inner: R, max: usize) -> Self {
        let garbage = tokio::sync::watch::Sender::new(None);
        CapLines { inner, max, garbage, line: Line::default(), out: Vec::new(), out_pos: 0, eof: false }
    }

    /// Changes to `Some(start of the line)` once the server writes a line that is not JSON.
    pub(crate) fn garbage(&self) -> tokio::sync::watch::Receiver<Option<String>> {
        self.garbage.subscribe()
    }

    fn consume(&mut self, bytes: &[u8]) {
        self.out.clear();
        self.out_pos = 0;
        for &byte in bytes {
            self.out.push(byte);
            if byte == b'\n' {
                let line = std::mem::take(&mut self.line);
                if line.not_json && self.garbage.borrow().is_none() {
                    let sample = String::from_utf8_lossy(&line.sample).trim_end().to_owned();
                    self.garbage.send_replace(Some(sample));
                }
                if line.len >= self.max {
                    match line.scan.id {
                        Some(id) => self.out.extend_from_slice(&error_line(&id, line.len, self.max)),
                        None => tracing::warn!(
                            size = line.len,
                            limit = self.max,
                            "dropped an over-long message from a server that carried no request id"
                        ),
                    }
                }
            } else {
                self.line.len += 1;
                if self.line.sample.len() < GARBAGE_SAMPLE {
                    self.line.sample.push(byte);
                }
                if self.line.first.is_none() && !byte.is_ascii_whitespace() {
                    self.line.first = Some(byte);
                    self.line.not_json = !matches!(byte, b'{' | b'[');
                }
                self.line.scan.feed(byte);
            }
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for CapLines<R> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.out_pos < this.out.len() {
                let n = buf.remaining().min(this.out.len() - this.out_pos);
                buf.put_slice(&this.out[this.out_pos..this.out_pos + n]);
                this.out_pos += n;
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 16 * 1024];
            let mut read = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            let filled = read.filled().len();
            if filled == 0 {
                this.eof = true;
                continue;
            }
            this.consume(&chunk[..filled]);
        }
    }
}

fn error_line(id: &[u8], size: usize, limit: usize) -> Vec<u8> {
    let mut line = br#"{"jsonrpc":"2.0","id":"#.to_vec();
    line.extend_from_slice(id);
    line.extend_from_slice(
        format!(
            r#","error":{{"code":{OVERSIZE_CODE},"message":"the server's answer is {size} bytes, over the limit of {limit}","data":{{"size":{size},"limit":{limit}}}}}}}"#
        )
        .as_bytes(),
    );
    line.push(b'\n');
    line
}

/// One line so far: its length and what the scanner found.
#[derive(Default)]
struct Line {
    len: usize,
    /// The first byte that is not whitespace.
    first: Option<u8>,
    not_json: bool,
    /// The line's start.
    sample: Vec<u8>,
    scan: TopLevelId,
}

/// A streaming scanner for the `id` member of a top-level JSON object.
#[derive(Default)]
struct TopLevelId {
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// The string being read at depth 1 (a possible key), cut short.
    string: Vec<u8>,
    /// A depth-1 string just closed: a key if `:` follows.
    key: Option<Vec<u8>>,
    /// The raw text of the `id` value being captured.
    capture: Option<Vec<u8>>,
    /// The raw text of the `id` value, once complete.
    id: Option<Vec<u8>>,
}

impl TopLevelId {
    /// Inside a string: whether `byte` is its closing quote.
    fn closes_string(&mut self, byte: u8) -> bool {
        if self.escaped {
            self.escaped = false;
        } else if byte == b'\\' {
            self.escaped = true;
        } else if byte == b'"' {
            self.in_string = false;
            return true;
        }
        false
    }

    fn feed(&mut self, byte: u8) {
        if self.capture.is_some() && self.in_string {
            let closes = self.closes_string(byte);
            let capture = self.capture.as_mut().expect("capturing");
            capture.push(byte);
            if closes {
                self.id = self.capture.take();
            } else if capture.len() > MAX_ID_BYTES {
                self.capture = None;
            }
            return;
        }
        if let Some(capture) = &mut self.capture {
            match byte {
                b' ' | b'\t' | b'\r' if capture.is_empty() => return,
                b'"' if capture.is_empty() => {
                    capture.push(byte);
                    self.in_string = true;
                    return;
                }
                b',' | b'}' | b' ' | b'\t' | b'\r' => {
                    self.id = self.capture.take().filter(|c| !c.is_empty());
                }
                b'{' | b'[' => self.capture = None,
                _ => {
                    capture.push(byte);
                    if capture.len() > MAX_ID_BYTES {
                        self.capture = None;
                    }
                    return;
                }
            }
        }
        if self.in_string {
            if self.closes_string(byte) {
                if self.depth == 1 {
                    self.key = Some(std::mem::take(&mut self.string));
                }
                return;
            }
            if self.depth == 1 && self.string.len() <= 8 {
                self.string.push(byte);
            }
            return;
        }
        match byte {
            b'"' => {
                self.in_string = true;
                self.string.clear();
                self.key = None;
            }
            b'{' | b'[' => {
                self.depth += 1;
                self.key = None;
            }
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                self.key = None;
            }
            b':' => {
                if self.depth == 1 && self.key.as_deref() == Some(b"id") {
                    self.capture = Some(Vec::new());
                }
                self.key = None;
            }
            b' ' | b'\t' | b'\r' => {}
            _ => self.key = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    fn id_of(line: &str) -> Option<String> {
        let mut scan = TopLevelId::default();
        line.bytes().for_each(|b| scan.feed(b));
        scan.id.map(|id| String::from_utf8(id).unwrap())
    }

    #[test]
    fn finds_the_top_level_id_wherever_it_is() {
        assert_eq!(id_of(r#"{"jsonrpc":"2.0","id":7,"result":{"id":99}}"#).as_deref(), Some("7"));
        assert_eq!(
            id_of(r#"{"result":{"content":[{"id":1}],"x":"\"id\":5"},"jsonrpc":"2.0","id":12}"#).as_deref(),
            Some("12")
        );
        assert_eq!(id_of(r#"{ "id" : "a\"b" , "result": {}}"#).as_deref(), Some(r#""a\"b""#));
        assert_eq!(id_of(r#"{"result":{"id":3}}"#), None);
        assert_eq!(id_of(r#"{"method":"notifications/x","params":{"id":3}}"#), None);
    }

    #[tokio::test]
    async fn answers_an_over_long_line_and_passes_the_rest() {
        let big = format!(r#"{{"result":{{"text":"{}"}},"jsonrpc":"2.0","id":4}}"#, "x".repeat(100));
        let input = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{{}}}}\n{big}\n{{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{{}}}}\n"
        );
        let mut reader = CapLines::new(input.as_bytes(), 64);
        let mut out = String::new();
        reader.read_to_string(&mut out).await.unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert_eq!(lines[0], r#"{"jsonrpc":"2.0","id":3,"result":{}}"#);
        assert_eq!(lines[1], big);
        let error: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(error["id"], 4);
        assert_eq!(error["error"]["code"], OVERSIZE_CODE);
        assert_eq!(error["error"]["data"]["limit"], 64);
        assert_eq!(error["error"]["data"]["size"], big.len());
        assert_eq!(lines[3], r#"{"jsonrpc":"2.0","id":5,"result":{}}"#);
    }
}
