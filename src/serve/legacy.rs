//! MCP 2025-11-25 tasks (SEP-1686), which rmcp 3.11 does not model: it drops
//! `params.task` of `tools/call`, has no `tasks/result` or `tasks/list`, and
//! leaves `capabilities.tasks` and a tool's `execution` out of what it sends.
//!
//! So this era is handled on raw JSON-RPC, in front of rmcp, by both
//! transports (`stdio.rs`, `http.rs`): [`Legacy::route`] answers the task
//! requests of a 2025-era client itself and forwards everything else to rmcp,
//! naming the responses ([`Patch`]) that need this era's fields added back.
//! Task state is the same [`super::tasks::TaskStore`] the 2026 extension uses.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::definitions::EXECUTE;
use super::handler::timestamp;
use super::tasks::{Owner, TaskEra, TaskError, TaskRecord, TaskState};
use super::{BUSY, Sluice};
use crate::tools::BoxFuture;

/// The first protocol revision whose tasks are the extension, not this era's.
const EXTENSION_ERA: &str = "2026-07-28";
/// The `_meta` key tying a result to its task.
const RELATED_TASK: &str = "io.modelcontextprotocol/related-task";
/// How long `tasks/cancel` waits for the program to stop before answering.
const CANCEL_WAIT: Duration = Duration::from_secs(5);
/// Tasks per `tasks/list` page.
const PAGE_SIZE: usize = 100;

/// What to do with one incoming message.
pub(crate) enum Route {
    /// Answered here: the JSON-RPC response (and, for a new task, its id, so a
    /// transport that can send notifications reports its status changes).
    Answer(BoxFuture<'static, Answer>),
    /// rmcp's to handle; its response needs `patch`, if any.
    Forward(Option<Patch>),
}

/// A response made here.
pub(crate) struct Answer {
    /// The JSON-RPC response.
    pub response: Value,
    /// A task this response created.
    pub created: Option<(Owner, String)>,
}

/// What rmcp leaves out of a response in this era.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Patch {
    /// `initialize`: add `capabilities.tasks`.
    Initialize,
    /// `tools/list`: mark `execute` as taking tasks (`execution.taskSupport`).
    ToolsList,
}

/// The 2025-11-25 task requests, over a shared [`Sluice`].
#[derive(Clone)]
pub(crate) struct Legacy {
    sluice: Arc<Sluice>,
}

impl Legacy {
    pub fn new(sluice: Arc<Sluice>) -> Legacy {
        Legacy { sluice }
    }

    /// Routes `message` from `owner`, whose connection (or HTTP request)
    /// negotiated `protocol` (`None` when unknown: a request of its own must say).
    pub fn route(&self, message: &Value, owner: &Owner, protocol: Option<&str>) -> Route {
        let (Some(method), Some(id)) = (message["method"].as_str(), message.get("id")) else {
            return Route::Forward(None);
        };
        let params = &message["params"];
        let legacy = is_legacy(protocol, message);
        match method {
            "initialize" => {
                let asked = params["protocolVersion"].as_str().unwrap_or_default();
                Route::Forward((asked < EXTENSION_ERA).then_some(Patch::Initialize))
            }
            "tools/list" if legacy => Route::Forward(Some(Patch::ToolsList)),
            "tools/call" if params.get("task").is_some_and(Value::is_object) => {
                self.answer(id, owner, |this, owner| Box::pin(this.create(owner, message["params"].clone())))
            }
            "tasks/result" => {
                self.answer(id, owner, |this, owner| Box::pin(this.result(owner, message["params"].clone())))
            }
            "tasks/list" => self.answer(id, owner, |this, owner| Box::pin(this.list(owner, message["params"].clone()))),
            "tasks/get" if legacy => {
                self.answer(id, owner, |this, owner| Box::pin(this.get(owner, message["params"].clone())))
            }
            "tasks/cancel" if legacy => {
                self.answer(id, owner, |this, owner| Box::pin(this.cancel(owner, message["params"].clone())))
            }
            _ => Route::Forward(None),
        }
    }

    fn answer(
        &self,
        id: &Value,
        owner: &Owner,
        work: impl FnOnce(Legacy, Owner) -> BoxFuture<'static, Result<(Value, Option<String>), Value>>,
    ) -> Route {
        let id = id.clone();
        let owner = owner.clone();
        let future = work(self.clone(), owner.clone());
        Route::Answer(Box::pin(async move {
            match future.await {
                Ok((result, created)) => Answer {
                    response: json!({ "jsonrpc": "2.0", "id": id, "result": result }),
                    created: created.map(|task| (owner, task)),
                },
                Err(error) => Answer { response: json!({ "jsonrpc": "2.0", "id": id, "error": error }), created: None },
            }
        }))
    }

    /// `tools/call` with `params.task`: the `CreateTaskResult` at once.
    async fn create(self, owner: Owner, params: Value) -> Result<(Value, Option<String>), Value> {
        if params["name"].as_str() != Some(EXECUTE) {
            return Err(invalid_params(format!(
                "only {EXECUTE} runs as a task; call {} without params.task",
                params["name"].as_str().unwrap_or("it")
            )));
        }
        let ttl = params["task"]["ttl"].as_u64().map(Duration::from_millis);
        let arguments = match &params["arguments"] {
            Value::Null => json!({}),
            arguments => arguments.clone(),
        };
        let started = self.sluice.start_task(&owner, TaskEra::Legacy, ttl, &arguments).await;
        let task = started.map_err(|busy| json!({ "code": BUSY, "message": busy }))?.map_err(task_error)?;
        Ok((json!({ "task": wire(&task) }), Some(task.id)))
    }

    async fn get(self, owner: Owner, params: Value) -> Result<(Value, Option<String>), Value> {
        let task = self.sluice.store().get(&owner, task_id(&params)?).await.map_err(task_error)?;
        Ok((wire(&task), None))
    }

    /// `tasks/result`: waits for the end, then exactly the `CallToolResult`,
    /// tied to its task in `_meta`.
    async fn result(self, owner: Owner, params: Value) -> Result<(Value, Option<String>), Value> {
        let id = task_id(&params)?;
        let task = self.sluice.store().wait(&owner, id).await.map_err(task_error)?;
        let mut result = task.result.unwrap_or_else(|| json!({ "content": [], "isError": true }));
        result["_meta"] = json!({ RELATED_TASK: { "taskId": task.id } });
        Ok((result, None))
    }

    async fn list(self, owner: Owner, params: Value) -> Result<(Value, Option<String>), Value> {
        let cursor = params["cursor"].as_str();
        let page = self.sluice.store().list(&owner, cursor, PAGE_SIZE).await.map_err(task_error)?;
        let mut result = json!({ "tasks": page.tasks.iter().map(wire).collect::<Vec<_>>() });
        if let Some(cursor) = page.next_cursor {
            result["nextCursor"] = cursor.into();
        }
        Ok((result, None))
    }

    /// `tasks/cancel`: `-32602` for a task already over; otherwise the task,
    /// cancelled (the program is stopped before this answers, unless it takes
    /// longer than a few seconds to stop).
    async fn cancel(self, owner: Owner, params: Value) -> Result<(Value, Option<String>), Value> {
        let id = task_id(&params)?;
        let store = self.sluice.store();
        let requested = store.cancel(&owner, id).await.map_err(task_error)?;
        let task = match tokio::time::timeout(CANCEL_WAIT, store.wait(&owner, id)).await {
            Ok(Ok(task)) => task,
            _ => requested,
        };
        Ok((wire(&task), None))
    }

    /// `notifications/tasks/status` once `id` is over (or `None` if it expires first).
    pub async fn status_notification(&self, owner: &Owner, id: &str) -> Option<Value> {
        let task = self.sluice.store().wait(owner, id).await.ok()?;
        Some(json!({ "jsonrpc": "2.0", "method": "notifications/tasks/status", "params": wire(&task) }))
    }
}

/// Whether `message` belongs to the 2025-11-25 era or before: by the protocol its
/// connection negotiated, else by the version its own `_meta` names, else yes
/// (a client that says nothing is an older one).
fn is_legacy(protocol: Option<&str>, message: &Value) -> bool {
    let per_request = message["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"].as_str();
    protocol.or(per_request).is_none_or(|version| version < EXTENSION_ERA)
}

/// Adds what rmcp leaves out of a forwarded response (`message`).
pub(crate) fn patch(patch: Patch, message: &mut Value) {
    let Some(result) = message.get_mut("result") else { return };
    match patch {
        Patch::Initialize => {
            result["capabilities"]["tasks"] = json!({
                "list": {},
                "cancel": {},
                "requests": { "tools": { "call": {} } }
            });
        }
        Patch::ToolsList => {
            if let Some(tools) = result["tools"].as_array_mut() {
                for tool in tools.iter_mut().filter(|tool| tool["name"] == EXECUTE) {
                    tool["execution"] = json!({ "taskSupport": "optional" });
                }
            }
        }
    }
}

/// A task as this era shows it.
fn wire(task: &TaskRecord) -> Value {
    let mut wire = json!({
        "taskId": task.id,
        "status": task.state.name(),
        "createdAt": timestamp(task.created_at),
        "lastUpdatedAt": timestamp(task.updated_at),
        "ttl": task.ttl.as_millis() as u64,
        "pollInterval": task.poll_interval.as_millis() as u64,
    });
    if let Some(message) = &task.status_message {
        wire["statusMessage"] = message.clone().into();
    }
    debug_assert!(task.state != TaskState::Working || task.result.is_none());
    wire
}

fn task_id(params: &Value) -> Result<&str, Value> {
    params["taskId"].as_str().ok_or_else(|| invalid_params("params.taskId must be a string".to_owned()))
}

fn invalid_params(message: String) -> Value {
    json!({ "code": -32602, "message": message })
}

fn internal_error(message: String) -> Value {
    json!({ "code": -32603, "message": message })
}

fn task_error(error: TaskError) -> Value {
    match error {
        TaskError::Unavailable(_) => internal_error(error.to_string()),
        _ => invalid_params(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_era_comes_from_the_connection_then_the_request_then_defaults_to_the_older() {
        let plain = json!({ "method": "tasks/get", "params": { "taskId": "x" } });
        let inline = json!({ "method": "tasks/get", "params": {
            "taskId": "x", "_meta": { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } } });
        assert!(is_legacy(Some("2025-11-25"), &plain));
        assert!(!is_legacy(Some("2026-07-28"), &plain));
        assert!(!is_legacy(None, &inline));
        assert!(is_legacy(None, &plain));
    }

    #[test]
    fn patches_add_the_task_capability_and_mark_only_execute_as_taking_tasks() {
        let mut initialize = json!({ "id": 1, "result": { "capabilities": { "tools": {} } } });
        patch(Patch::Initialize, &mut initialize);
        assert_eq!(initialize["result"]["capabilities"]["tasks"]["requests"]["tools"]["call"], json!({}));
        assert_eq!(initialize["result"]["capabilities"]["tools"], json!({}));

        let mut list = json!({ "id": 2, "result": { "tools": [{ "name": "execute" }, { "name": "search_tools" }] } });
        patch(Patch::ToolsList, &mut list);
        assert_eq!(list["result"]["tools"][0]["execution"]["taskSupport"], "optional");
        assert!(list["result"]["tools"][1].get("execution").is_none());

        let mut error = json!({ "id": 3, "error": { "code": -32600, "message": "no" } });
        patch(Patch::ToolsList, &mut error);
        assert!(error.get("result").is_none(), "an error response is left alone");
    }
}
