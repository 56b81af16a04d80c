//! Answering a stdio message rmcp would drop in silence (too long, or nested
//! too deep to parse) with an error instead.
//!
//! rmcp drops an incoming line longer than its cap (memory stays bounded) and a
//! line its JSON parser refuses, such as one nested deeper than
//! [`MAX_JSON_DEPTH`] (serde_json's recursion limit), but the request it
//! answered would then wait for its timeout and end with a misleading "no
//! answer". [`CapLines`] sits between the child's stdout and rmcp: it passes
//! every byte through, finds each line's top-level JSON-RPC `id` (and whether it
//! is a request, with a `method`) with a streaming scanner (servers put the `id`
//! first or last), and after a response that rmcp will drop it adds a JSON-RPC
//! error for that `id`: code [`OVERSIZE_CODE`], which Sluice turns into
//! `result_too_large`, or [`TOO_DEEP_CODE`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};

/// The JSON-RPC error code of a message over the cap (in the implementation-defined server-error range).
pub(crate) const OVERSIZE_CODE: i32 = -32_070;

/// The JSON-RPC error code of a message nested deeper than [`MAX_JSON_DEPTH`].
pub(crate) const TOO_DEEP_CODE: i32 = -32_071;

/// The deepest nesting of arrays and objects serde_json parses (its recursion
/// limit is 128: the 128th level fails); rmcp drops a deeper message.
pub(crate) const MAX_JSON_DEPTH: u32 = 127;

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
                let problem = if line.len >= self.max {
                    Some(oversize_error(line.len, self.max))
                } else if line.scan.deepest > MAX_JSON_DEPTH {
                    Some(too_deep_error(line.scan.deepest))
                } else {
                    None
                };
                if let Some(error) = problem {
                    match line.scan.id {
                        // A request from the server has an id of the server's own: answering it would be taken
                        // for the answer to one of ours.
                        Some(id) if !line.scan.request => self.out.extend_from_slice(&error_line(&id, &error)),
                        _ => tracing::warn!(
                            size = line.len,
                            depth = line.scan.deepest,
                            "dropped a message from a server that rmcp cannot read and that answers no request: {error}"
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

/// The `error` member for a message of `size` bytes, over `limit`.
fn oversize_error(size: usize, limit: usize) -> String {
    format!(
        r#"{{"code":{OVERSIZE_CODE},"message":"the server's answer is {size} bytes, over the limit of {limit}","data":{{"size":{size},"limit":{limit}}}}}"#
    )
}

/// The `error` member for a message nested `depth` levels deep.
fn too_deep_error(depth: u32) -> String {
    format!(
        r#"{{"code":{TOO_DEEP_CODE},"message":"the server's answer is nested {depth} levels deep, over the limit of {MAX_JSON_DEPTH}","data":{{"depth":{depth},"limit":{MAX_JSON_DEPTH}}}}}"#
    )
}

fn error_line(id: &[u8], error: &str) -> Vec<u8> {
    let mut line = br#"{"jsonrpc":"2.0","id":"#.to_vec();
    line.extend_from_slice(id);
    line.extend_from_slice(br#","error":"#);
    line.extend_from_slice(error.as_bytes());
    line.extend_from_slice(b"}\n");
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

/// A streaming scanner for the `id` member of a top-level JSON object, whether
/// it has a `method` (a request or notification, not a response), and how deep
/// the line nests.
#[derive(Default)]
struct TopLevelId {
    depth: u32,
    /// The deepest nesting seen.
    deepest: u32,
    /// A top-level `method` key was seen.
    request: bool,
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
                self.depth = self.depth.saturating_add(1);
                self.deepest = self.deepest.max(self.depth);
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
                if self.depth == 1 && self.key.as_deref() == Some(b"method") {
                    self.request = true;
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

    fn nested(depth: usize) -> String {
        format!("{}0{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn the_depth_limit_is_serde_jsons() {
        let at_limit = format!(r#"{{"v":{}}}"#, nested(MAX_JSON_DEPTH as usize - 1));
        assert!(serde_json::from_str::<serde_json::Value>(&at_limit).is_ok());
        let over = format!(r#"{{"v":{}}}"#, nested(MAX_JSON_DEPTH as usize));
        let error = serde_json::from_str::<serde_json::Value>(&over).unwrap_err();
        assert!(error.to_string().contains("recursion limit"), "{error}");
    }

    #[tokio::test]
    async fn answers_a_line_nested_too_deep_but_not_a_request_from_the_server() {
        let deep = format!(r#"{{"jsonrpc":"2.0","id":"a-1","result":{{"structuredContent":{}}}}}"#, nested(200));
        let request =
            format!(r#"{{"jsonrpc":"2.0","id":9,"method":"sampling/createMessage","params":{}}}"#, nested(200));
        let shallow = format!(r#"{{"jsonrpc":"2.0","id":6,"result":{}}}"#, nested(100));
        let input = format!("{deep}\n{request}\n{shallow}\n");
        let mut reader = CapLines::new(input.as_bytes(), 1 << 20);
        let mut out = String::new();
        reader.read_to_string(&mut out).await.unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert_eq!((lines[0], lines[2], lines[3]), (deep.as_str(), request.as_str(), shallow.as_str()));
        let error: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(error["id"], "a-1");
        assert_eq!(error["error"]["code"], TOO_DEEP_CODE);
        assert_eq!(error["error"]["data"]["depth"], 202);
    }
}
