//! Opening a connection to one server: a stdio child in its own process group, or
//! a Streamable HTTP endpoint; both with message-size caps.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use process_wrap::tokio::{ChildWrapper, CommandWrap, ProcessGroup};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::oversize::CapLines;
use crate::config::Transport;

/// Lines of a server's stderr kept for error messages.
const STDERR_TAIL_LINES: usize = 12;
/// The longest stderr line kept or logged.
const STDERR_LINE_BYTES: usize = 1024;

/// An opened transport, ready for the MCP handshake.
#[allow(clippy::large_enum_variant)] // Built once per server start, then taken apart.
pub(super) enum Opened {
    /// A child process; its stdout is capped per message.
    Stdio(
        AsyncRwTransport<rmcp::RoleClient, CapLines<tokio::process::ChildStdout>, tokio::process::ChildStdin>,
        Child,
        tokio::sync::watch::Receiver<Option<String>>,
    ),
    /// A Streamable HTTP endpoint.
    Http(StreamableHttpClientTransport<reqwest::Client>),
}

/// A server's child process and its process group. Dropping it kills the group,
/// so no server (nor anything it spawned, such as `npx`'s node) outlives Sluice.
pub(super) struct Child {
    process: Mutex<Box<dyn ChildWrapper>>,
    stderr: StderrTail,
}

impl Child {
    /// How the process ended (waiting up to a second for it to, as its output
    /// may close just before it exits), with the last lines of its stderr.
    pub(super) async fn post_mortem(&self) -> String {
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
            text.push_str(&tail);
        }
        text
    }

    /// Whether the process has exited.
    pub(super) fn exited(&self) -> bool {
        self.process.lock().expect("child lock").try_wait().ok().flatten().is_some()
    }

    /// Waits up to `grace` for the process to exit (its stdin is closed), then
    /// kills the whole group, which also ends anything it left behind.
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

    /// Kills the whole process group now.
    pub(super) fn kill(&self) {
        let _ = self.process.lock().expect("child lock").start_kill();
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The last lines a server wrote to stderr, whether it has closed, and the
/// values expanded from `${env:...}` for it, which are redacted from the lines
/// (they may reach a program in an error message).
#[derive(Clone, Default)]
struct StderrTail(Arc<Mutex<VecDeque<String>>>, Arc<std::sync::atomic::AtomicBool>, Arc<Vec<String>>);

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
        let mut text = self.0.lock().expect("stderr lock").iter().cloned().collect::<Vec<_>>().join(" | ");
        for secret in self.2.iter() {
            text = text.replace(secret.as_str(), "[redacted]");
        }
        text
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
}

/// Opens `transport` for server `server`. `max_message` caps one incoming message.
pub(super) fn open(server: &str, transport: &Transport, max_message: usize) -> Result<Opened, OpenError> {
    let lookup = |name: &str| std::env::var(name).ok();
    match transport {
        Transport::Stdio { command, args, env, cwd } => {
            let mut cmd = tokio::process::Command::new(command);
            cmd.args(args)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let mut secrets = Vec::new();
            for (name, value) in env {
                let expanded = value.expand(lookup)?;
                if value.expand(|_| Some(String::new()))? != expanded && !expanded.is_empty() {
                    secrets.push(expanded.clone());
                }
                cmd.env(name, expanded);
            }
            if let Some(cwd) = cwd {
                cmd.current_dir(cwd);
            }
            let mut wrap = CommandWrap::from(cmd);
            wrap.wrap(ProcessGroup::leader());
            let mut process = wrap.spawn().map_err(|source| OpenError::Spawn { command: command.clone(), source })?;
            let stdin = process.stdin().take().expect("stdin is piped");
            let stdout = process.stdout().take().expect("stdout is piped");
            let stderr = process.stderr().take().expect("stderr is piped");
            let tail = StderrTail(Arc::default(), Arc::default(), Arc::new(secrets));
            tokio::spawn(log_stderr(server.to_owned(), stderr, tail.clone()));
            // rmcp drops lines of `max_message` bytes or more; CapLines answers them.
            let stdout = CapLines::new(stdout, max_message);
            let garbage = stdout.garbage();
            let transport = AsyncRwTransport::new_client(stdout, stdin).with_max_line_length(max_message);
            Ok(Opened::Stdio(transport, Child { process: Mutex::new(process), stderr: tail }, garbage))
        }
        Transport::Http { url, headers } => {
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
            Ok(Opened::Http(StreamableHttpClientTransport::from_config(config)))
        }
    }
}

/// Forwards a server's stderr to Sluice's log, one event per line, and keeps
/// the last lines for error messages. Never into the program's output.
async fn log_stderr(server: String, stderr: tokio::process::ChildStderr, tail: StderrTail) {
    let mut lines = BufReader::new(stderr);
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let mut text = String::from_utf8_lossy(&line).trim_end().to_owned();
        if text.is_empty() {
            continue;
        }
        if text.len() > STDERR_LINE_BYTES {
            let mut cut = STDERR_LINE_BYTES;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push('…');
        }
        tracing::info!(target: "sluice::server", server = %server, "{text}");
        tail.push(text);
    }
    tail.close();
}
