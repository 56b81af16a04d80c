//! Opening a connection to one server: a stdio child in its own process group, with
//! a clean environment, or a Streamable HTTP endpoint (with the server's OAuth token,
//! `oauth/`, when it has one); both with message-size caps.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use process_wrap::tokio::{ChildWrapper, CommandWrap, ProcessGroup};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use super::oauth::{self, HttpClient};
use super::oversize::CapLines;
use super::process_tree::{self, Process};
use super::redact::Redactor;
use crate::config::Transport;
use crate::terminal::escape_controls;

/// Lines of a server's stderr kept for error messages.
const STDERR_TAIL_LINES: usize = 12;
/// The longest stderr line kept or logged; the rest of a longer line is read and dropped.
const STDERR_LINE_BYTES: usize = 1024;

/// The variables a stdio server inherits from Sluice's environment: the set the
/// official MCP SDKs' stdio clients pass (TypeScript's and Python's
/// `DEFAULT_INHERITED_ENV_VARS`, after `sudo`'s), plus where temporary files go
/// (macOS gives each user a `TMPDIR` of their own) and the locale (how the
/// server decodes file names and text). A server gets any other variable only
/// through its configuration's `env`; values that are shell functions (`()
/// {...}`) are never passed, as in the SDKs.
#[cfg(not(windows))]
pub const INHERITED_VARIABLES: &[&str] =
    &["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "TMPDIR", "LANG", "LC_ALL", "LC_CTYPE"];

/// The variables a stdio server inherits from Sluice's environment: the set the
/// official MCP SDKs' stdio clients pass on Windows. A server gets any other
/// variable only through its configuration's `env`.
#[cfg(windows)]
pub const INHERITED_VARIABLES: &[&str] = &[
    "APPDATA",
    "HOMEDRIVE",
    "HOMEPATH",
    "LOCALAPPDATA",
    "PATH",
    "PATHEXT",
    "PROCESSOR_ARCHITECTURE",
    "SYSTEMDRIVE",
    "SYSTEMROOT",
    "TEMP",
    "USERNAME",
    "USERPROFILE",
    "PROGRAMFILES",
];

/// An opened transport, ready for the MCP handshake.
#[allow(clippy::large_enum_variant)] // Built once per server start, then taken apart.
pub(super) enum Opened {
    /// A child process; its stdout is capped per message.
    Stdio(
        AsyncRwTransport<rmcp::RoleClient, CapLines<tokio::process::ChildStdout>, tokio::process::ChildStdin>,
        Child,
        tokio::sync::watch::Receiver<Option<String>>,
    ),
    /// A Streamable HTTP endpoint (with its OAuth token, if it has one).
    Http(StreamableHttpClientTransport<HttpClient>),
}

/// A server's child process, its process group and its descendants. Dropping it
/// kills the group and every descendant (also one that left the group with
/// `setsid()`), so no server (nor anything it spawned, such as `npx`'s node)
/// outlives Sluice.
pub(super) struct Child {
    process: Mutex<Box<dyn ChildWrapper>>,
    pid: Option<u32>,
    /// Descendants seen before the server was asked to exit, which may have
    /// lost their parent (and so their place in the tree) by the time it is killed.
    descendants: Mutex<Vec<Process>>,
    stderr: StderrTail,
}

impl Child {
    /// How the process ended (waiting up to a second for it to, as its output
    /// may close just before it exits), with the last lines of its stderr
    /// through `redactor`.
    pub(super) async fn post_mortem(&self, redactor: &Redactor) -> String {
        let mut status = None;
        for _ in 0..50 {
            status = self.process.lock().expect("child lock").try_wait().ok().flatten();
            if status.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // Its last words may still be in the pipe.
        for _ in 0..10 {
            if status.is_none() || self.stderr.closed() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mut text = match status {
            Some(status) => format!("the process exited ({status})"),
            None => "it closed its output but is still running".to_owned(),
        };
        let tail = self.stderr.text();
        if !tail.is_empty() {
            text.push_str("; its stderr ended with: ");
            text.push_str(&redactor.redact(&tail));
        }
        text
    }

    /// Whether the process has exited.
    pub(super) fn exited(&self) -> bool {
        self.process.lock().expect("child lock").try_wait().ok().flatten().is_some()
    }

    /// Notes the server's descendants now, before it is asked to exit: once it
    /// has, they are no longer below it in the process tree.
    pub(super) fn note_descendants(&self) {
        if let Some(pid) = self.pid {
            let found = process_tree::descendants(pid);
            let mut noted = self.descendants.lock().expect("descendants lock");
            for process in found {
                if !noted.contains(&process) {
                    noted.push(process);
                }
            }
        }
    }

    /// Waits up to `grace` for the process to exit (its stdin is closed), then
    /// kills the whole group and every descendant, which also ends anything it left behind.
    pub(super) async fn wait_or_kill(&self, grace: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline {
            if self.process.lock().expect("child lock").try_wait().ok().flatten().is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        self.kill();
    }

    /// Kills the whole process group and every descendant now.
    pub(super) fn kill(&self) {
        // The tree is walked before the server dies, while its children are still its own.
        self.note_descendants();
        let _ = self.process.lock().expect("child lock").start_kill();
        process_tree::kill(&self.descendants.lock().expect("descendants lock"));
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill();
        if let Some(pid) = self.pid {
            process_tree::unregister_server(pid);
        }
    }
}

/// The last lines a server wrote to stderr (each capped, control characters
/// escaped), and whether it has closed. Quoted in error messages only through
/// the server's redactor.
#[derive(Clone, Default)]
struct StderrTail(Arc<Mutex<VecDeque<String>>>, Arc<std::sync::atomic::AtomicBool>);

impl StderrTail {
    fn push(&self, line: String) {
        let mut lines = self.0.lock().expect("stderr lock");
        if lines.len() == STDERR_TAIL_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    fn close(&self) {
        self.1.store(true, std::sync::atomic::Ordering::Release);
    }

    fn closed(&self) -> bool {
        self.1.load(std::sync::atomic::Ordering::Acquire)
    }

    fn text(&self) -> String {
        self.0.lock().expect("stderr lock").iter().cloned().collect::<Vec<_>>().join(" | ")
    }
}

/// Why a transport could not be opened.
#[derive(Debug, thiserror::Error)]
pub(super) enum OpenError {
    #[error("{0}")]
    Variable(#[from] crate::config::MissingVariable),
    #[error("cannot start {command:?}: {source}")]
    Spawn { command: String, source: std::io::Error },
    #[error("header {name:?}: {message}")]
    Header { name: String, message: String },
    /// The details (paths) are in Sluice's log, not in what a program sees.
    #[error("its OAuth sign-in cannot be used ({reason}); Sluice's log says why")]
    OAuth { reason: &'static str },
}

/// Opens `transport` for server `server`. `max_message` caps one incoming
/// message; `credentials` is where OAuth tokens are stored, if anywhere, and
/// `redactor` learns each token the connection uses.
pub(super) fn open(
    server: &str,
    transport: &Transport,
    max_message: usize,
    credentials: Option<&std::path::Path>,
    redactor: &Redactor,
) -> Result<Opened, OpenError> {
    let lookup = |name: &str| std::env::var(name).ok();
    match transport {
        Transport::Stdio { command, args, env, cwd } => {
            let mut cmd = tokio::process::Command::new(command);
            cmd.args(args)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            // A clean environment: a few variables every program needs, then the configured ones.
            cmd.env_clear();
            for name in INHERITED_VARIABLES {
                if let Some(value) = std::env::var_os(name).filter(|value| !value.as_encoded_bytes().starts_with(b"()"))
                {
                    cmd.env(name, value);
                }
            }
            for (name, value) in env {
                cmd.env(name, value.expand(lookup)?);
            }
            if let Some(cwd) = cwd {
                cmd.current_dir(cwd);
            }
            let mut wrap = CommandWrap::from(cmd);
            wrap.wrap(ProcessGroup::leader());
            let mut process = wrap.spawn().map_err(|source| OpenError::Spawn { command: command.clone(), source })?;
            process_tree::note_server_started();
            let stdin = process.stdin().take().expect("stdin is piped");
            let stdout = process.stdout().take().expect("stdout is piped");
            let stderr = process.stderr().take().expect("stderr is piped");
            let pid = process.id();
            if let Some(pid) = pid {
                process_tree::register_server(pid);
            }
            let tail = StderrTail::default();
            tokio::spawn(log_stderr(stderr, tail.clone(), log_server_line(server.to_owned())));
            // rmcp drops lines of `max_message` bytes or more; CapLines answers them.
            let stdout = CapLines::new(stdout, max_message);
            let garbage = stdout.garbage();
            let transport = AsyncRwTransport::new_client(stdout, stdin).with_max_line_length(max_message);
            let child = Child { process: Mutex::new(process), pid, descendants: Mutex::default(), stderr: tail };
            Ok(Opened::Stdio(transport, child, garbage))
        }
        Transport::Http { url, headers, oauth: settings } => {
            let mut custom = HashMap::new();
            for (name, value) in headers {
                let header = |message: String| OpenError::Header { name: name.clone(), message };
                let header_name =
                    reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|e| header(e.to_string()))?;
                let header_value = reqwest::header::HeaderValue::from_str(&value.expand(lookup)?)
                    .map_err(|e| header(e.to_string()))?;
                custom.insert(header_name, header_value);
            }
            let config = StreamableHttpClientTransportConfig::with_uri(url.as_str())
                .custom_headers(custom)
                .max_json_response_size(max_message)
                .max_sse_event_size(max_message);
            // A static Authorization header is the server's credential: no OAuth then.
            let client = if headers.keys().any(|name| name.eq_ignore_ascii_case("authorization")) {
                HttpClient::plain()
            } else {
                oauth::http_client(url, settings.as_ref(), credentials, lookup, redactor).map_err(|error| {
                    tracing::warn!(server, "{}", crate::error::chain(&error));
                    match error {
                        oauth::SetupError::Variable(missing) => OpenError::Variable(missing),
                        oauth::SetupError::Credentials(_) => {
                            OpenError::OAuth { reason: "its credentials file is refused" }
                        }
                        oauth::SetupError::Key { .. } => OpenError::OAuth { reason: "its private key cannot be read" },
                    }
                })?
            };
            Ok(Opened::Http(StreamableHttpClientTransport::with_client(client, config)))
        }
    }
}

/// Forwards a server's stderr to `log` (Sluice's log: [`log_server_line`]),
/// one call per line the rate budget lets through with the count dropped
/// before it, and keeps the last lines for error messages. Never into the
/// program's output.
///
/// Reads in bounded chunks: a line longer than [`STDERR_LINE_BYTES`] is logged
/// (cut, ending in `…`) as soon as it reaches the cap, and the rest of it is
/// read and dropped, so a server cannot make Sluice buffer an endless line.
async fn log_stderr(stderr: impl AsyncRead + Unpin, tail: StderrTail, mut log: impl FnMut(&str, u64)) {
    let mut reader = BufReader::with_capacity(16 * 1024, stderr);
    let mut line = Vec::with_capacity(STDERR_LINE_BYTES);
    // Dropping the rest of a line that was cut.
    let mut dropping = false;
    // Lines reach Sluice's log at the rate log notifications do; the tail keeps them all.
    let mut budget = super::server_logs::LogBudget::default();
    let mut emit = |line: &[u8], cut: bool| {
        let mut text = escape_controls(String::from_utf8_lossy(line).trim_end()).into_owned();
        if text.is_empty() {
            return;
        }
        if cut {
            text.push('…');
        }
        if let Some(dropped) = budget.take() {
            log(&text, dropped);
        }
        tail.push(text);
    };
    loop {
        let chunk = match reader.fill_buf().await {
            Ok([]) | Err(_) => break,
            Ok(chunk) => chunk,
        };
        let newline = chunk.iter().position(|&b| b == b'\n');
        let (content, used) = match newline {
            Some(at) => (&chunk[..at], at + 1),
            None => (chunk, chunk.len()),
        };
        if !dropping {
            let room = STDERR_LINE_BYTES - line.len();
            line.extend_from_slice(&content[..content.len().min(room)]);
            if content.len() > room || (newline.is_none() && line.len() == STDERR_LINE_BYTES) {
                emit(&line, true);
                line.clear();
                dropping = true;
            } else if newline.is_some() {
                emit(&line, false);
                line.clear();
            }
        }
        if newline.is_some() {
            dropping = false;
        }
        reader.consume(used);
    }
    if !dropping {
        emit(&line, false);
    }
    tail.close();
}

/// `log_stderr`'s sink in Sluice: one `sluice::server` event per line let
/// through, saying how many were dropped before it.
fn log_server_line(server: String) -> impl FnMut(&str, u64) {
    move |text, dropped| match dropped {
        0 => tracing::info!(target: "sluice::server", server = %server, "{text}"),
        dropped => tracing::info!(
            target: "sluice::server", server = %server, "{text} (after {dropped} stderr lines dropped: too many)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use tokio::io::AsyncWriteExt;

    use super::*;

    /// Polls `check` every 10 ms until it holds or 10 s pass.
    async fn eventually(what: &str, check: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !check() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn an_endless_stderr_line_is_logged_cut_and_never_buffered_whole() {
        let (mut server, stderr) = tokio::io::duplex(64 * 1024);
        let tail = StderrTail::default();
        tokio::spawn(log_stderr(stderr, tail.clone(), |_, _| {}));
        server.write_all(b"first\n").await.unwrap();
        // 8 MiB with no end of line in sight: the reader must keep draining it.
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..128 {
            server.write_all(&chunk).await.unwrap();
        }
        eventually("the cut line", || tail.text().contains('…')).await;
        let text = tail.text();
        let (first, cut) = text.split_once(" | ").unwrap();
        assert_eq!(first, "first");
        assert_eq!(cut, format!("{}…", "x".repeat(STDERR_LINE_BYTES)));
        // The rest of the long line is dropped; the next line is kept whole.
        server.write_all(b"xxxx\nlast words\n").await.unwrap();
        drop(server);
        eventually("the end of stderr", || tail.closed()).await;
        assert!(tail.text().ends_with(" | last words"), "{}", tail.text());
        assert_eq!(tail.0.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_stderr_flood_reaches_the_log_at_a_bounded_rate_while_the_tail_keeps_the_last_lines() {
        let flood: String = (0..5_000).map(|i| format!("line {i}\n")).collect();
        let tail = StderrTail::default();
        let mut logged = Vec::new();
        let started = Instant::now();
        log_stderr(flood.as_bytes(), tail.clone(), |text, dropped| logged.push((text.to_owned(), dropped))).await;
        // The burst, and what the refill allows in the time the flood took to read.
        let allowed = 50 + (started.elapsed().as_secs_f64() * 10.0).ceil() as usize;
        assert!(
            (50..=allowed).contains(&logged.len()),
            "{} stderr lines reached the log; at most {allowed} may",
            logged.len()
        );
        // The burst goes through whole; every line after it says what it follows.
        assert!(
            logged[..50].iter().enumerate().all(|(i, (text, dropped))| *text == format!("line {i}") && *dropped == 0)
        );
        let counted: u64 = logged.iter().map(|(_, dropped)| dropped).sum();
        let after_last = 4_999 - logged.last().unwrap().0["line ".len()..].parse::<u64>().unwrap();
        assert_eq!(counted + logged.len() as u64 + after_last, 5_000);
        assert!(tail.text().ends_with("line 4999"), "{}", tail.text());
    }

    #[tokio::test]
    async fn terminal_escapes_in_stderr_are_escaped() {
        let tail = StderrTail::default();
        log_stderr(&b"copy \x1b]52;c;aGk=\x07 me\rover\n"[..], tail.clone(), |_, _| {}).await;
        assert_eq!(tail.text(), r"copy \u{1b}]52;c;aGk=\u{7} me\u{d}over");
    }
}
