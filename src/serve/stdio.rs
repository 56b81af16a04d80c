//! `sluice serve --stdio`: newline-delimited JSON-RPC on stdin and stdout, with
//! the 2025-11-25 task layer (`legacy.rs`) in front of rmcp.
//!
//! One reader turns lines into messages: the legacy layer answers its task
//! requests on tasks of their own, everything else goes to rmcp. One writer
//! task owns stdout, so answers, rmcp's messages and task notifications never
//! interleave within a line. When stdin closes, every program still running
//! is cancelled (no one is left to read its result).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::SinkExt;
use rmcp::ServiceExt;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use super::legacy::{Legacy, Patch, Route, patch};
use super::tasks::Owner;
use super::{BUSY, Sluice, SluiceHandler};

/// The longest line (one JSON-RPC message) read from stdin.
const MAX_LINE_BYTES: usize = 16 << 20;
/// Messages queued for stdout: past it, reading stdin waits for the client to read.
const OUTPUT_QUEUE: usize = 256;
/// Task requests answered here (`tasks/result` waits) at once; past it, refused.
const MAX_PENDING_ANSWERS: usize = 1024;

/// Why serving stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StdioError {
    /// rmcp could not start serving.
    #[error("cannot serve MCP on stdio: {0}")]
    Serve(String),
}

/// Serves MCP on `input`/`output` until `input` closes.
pub async fn serve(
    sluice: Arc<Sluice>,
    input: impl AsyncRead + Unpin + Send + 'static,
    output: impl AsyncWrite + Unpin + Send + 'static,
) -> Result<(), StdioError> {
    let owner = Owner("stdio".to_owned());
    let legacy = Legacy::new(sluice.clone());
    let (write, mut lines_out) = mpsc::channel::<Value>(OUTPUT_QUEUE);
    let writer = tokio::spawn(async move {
        let mut output = output;
        while let Some(message) = lines_out.recv().await {
            let mut line = message.to_string();
            line.push('\n');
            if output.write_all(line.as_bytes()).await.is_err() || output.flush().await.is_err() {
                break;
            }
        }
    });

    // Responses rmcp sends for requests whose answer needs this era's fields.
    let patches: Arc<Mutex<HashMap<String, Patch>>> = Arc::default();
    let (to_rmcp, from_client) = mpsc::channel::<ClientJsonRpcMessage>(OUTPUT_QUEUE);
    let sink_patches = patches.clone();
    let sink_write = write.clone();
    let sink = futures::sink::unfold((), move |(), message: ServerJsonRpcMessage| {
        let patches = sink_patches.clone();
        let write = sink_write.clone();
        async move {
            let mut value = serde_json::to_value(&message).map_err(std::io::Error::other)?;
            let pending = value
                .get("id")
                .and_then(|id| patches.lock().unwrap_or_else(|p| p.into_inner()).remove(&id.to_string()));
            if let Some(kind) = pending {
                patch(kind, &mut value);
            }
            write.send(value).await.map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }
    });
    let reader_write = write.clone();
    let reader_owner = owner.clone();
    let reader = async move {
        let (write, owner) = (reader_write, reader_owner);
        let pending = Arc::new(tokio::sync::Semaphore::new(MAX_PENDING_ANSWERS));
        let mut input = BufReader::new(input);
        let mut line = Vec::new();
        let mut protocol: Option<String> = None;
        loop {
            line.clear();
            match read_line(&mut input, &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line);
            if text.trim().is_empty() {
                continue;
            }
            let message: Value = match serde_json::from_str(&text) {
                Ok(message) => message,
                Err(error) => {
                    let _ = write.send(error_response(Value::Null, -32700, format!("parse error: {error}"))).await;
                    continue;
                }
            };
            if message["method"] == "initialize" {
                protocol = message["params"]["protocolVersion"].as_str().map(str::to_owned);
            }
            match legacy.route(&message, &owner, protocol.as_deref()) {
                Route::Answer(answer) => {
                    let Ok(permit) = pending.clone().try_acquire_owned() else {
                        let busy = format!("over {MAX_PENDING_ANSWERS} task requests are pending; wait for some");
                        let _ = write.send(error_response(message["id"].clone(), i64::from(BUSY), busy)).await;
                        continue;
                    };
                    let write = write.clone();
                    let legacy = legacy.clone();
                    tokio::spawn(async move {
                        let answer = answer.await;
                        let _ = write.send(answer.response).await;
                        // A task's watcher is bounded by the tasks a client may keep, not by this cap.
                        drop(permit);
                        if let Some((owner, task)) = answer.created
                            && let Some(notification) = legacy.status_notification(&owner, &task).await
                        {
                            let _ = write.send(notification).await;
                        }
                    });
                }
                Route::Forward(kind) => {
                    let id = message.get("id").cloned();
                    match serde_json::from_value::<ClientJsonRpcMessage>(message) {
                        Ok(parsed) => {
                            if let (Some(kind), Some(id)) = (kind, &id) {
                                patches.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), kind);
                            }
                            if to_rmcp.send(parsed).await.is_err() {
                                break;
                            }
                        }
                        Err(error) => {
                            if let Some(id) = id {
                                let _ =
                                    write.send(error_response(id, -32600, format!("invalid request: {error}"))).await;
                            }
                        }
                    }
                }
            }
        }
    };
    let stream = tokio_stream_of(from_client);
    let handler = SluiceHandler::new(sluice.clone(), owner.clone());
    // rmcp's handshake reads from the stream, so the reader runs first.
    let reader = tokio::spawn(reader);
    let service = handler
        .serve((Box::pin(sink.sink_map_err(|e: std::io::Error| e)), stream))
        .await
        .map_err(|error| StdioError::Serve(error.to_string()));
    let result = match service {
        Ok(running) => {
            // Ends when stdin closes, dropping the channel into rmcp.
            let _ = reader.await;
            // Nobody can read a result any more.
            sluice.cancel_all();
            let _ = running.cancel().await;
            Ok(())
        }
        Err(error) => {
            reader.abort();
            Err(error)
        }
    };
    drop(write);
    let _ = writer.await;
    result
}

fn tokio_stream_of<T: Send + 'static>(
    mut receiver: mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> + Send + Unpin + 'static {
    Box::pin(futures::stream::poll_fn(move |cx| receiver.poll_recv(cx)))
}

/// Reads one line into `line`, at most [`MAX_LINE_BYTES`]; a longer line is
/// skipped whole and answered as a parse error by the caller.
async fn read_line(input: &mut (impl AsyncBufReadExt + Unpin), line: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let buffer = input.fill_buf().await?;
        if buffer.is_empty() {
            return Ok(total);
        }
        let (chunk, done) = match buffer.iter().position(|&b| b == b'\n') {
            Some(end) => (&buffer[..=end], true),
            None => (buffer, false),
        };
        let length = chunk.len();
        if line.len() + length <= MAX_LINE_BYTES {
            line.extend_from_slice(chunk);
        } else {
            // Too long: keep nothing of it, so it fails to parse.
            line.clear();
            line.extend_from_slice(b"\0");
        }
        input.consume(length);
        total += length;
        if done {
            return Ok(total);
        }
    }
}

fn error_response(id: Value, code: i64, message: String) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}
