//! Task state: the [`TaskStore`] trait every task operation goes through;
//! [`MemoryTaskStore`] (one instance, in process) and [`RedisTaskStore`]
//! (many instances sharing one Redis) implement it.
//!
//! A task is one `execute` run that outlives its request: created working,
//! finished once (completed, failed or cancelled) with the `CallToolResult` as
//! JSON, kept until its TTL passes, then gone (unknown and expired ids look the
//! same). Every task has an owner (an auth token's digest, or the one stdio
//! client) and is invisible to any other. Cancelling is a request: the
//! instance running the program watches [`TaskStore::cancel_requested`] and
//! finishes the task as cancelled. Everything is async and by id, so a store
//! shared between instances implements the same trait.
//!
//! The instance that runs a task [`holds`](TaskStore::hold) it while it runs;
//! a shared store fails a task whose holder stopped renewing (the instance
//! died) rather than running it again: tools have side effects, so no program
//! is ever run twice automatically.

mod memory;
mod redis;

pub use self::memory::MemoryTaskStore;
pub use self::redis::{RedisConfig, RedisTaskStore};

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::tools::BoxFuture;

/// Who may see a task: tasks of one owner are invisible to every other.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Owner(pub String);

/// Which task protocol created a task; it decides how the task is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskEra {
    /// MCP 2025-11-25 tasks (SEP-1686): `params.task`, `tasks/result`, `tasks/list`.
    Legacy,
    /// The 2026-07-28 tasks extension (SEP-2663): the server decides, `tasks/get` carries the result.
    Extension,
}

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// The program is running.
    Working,
    /// It finished; the result may still be a tool error.
    Completed,
    /// It failed (a program error or a limit).
    Failed,
    /// It was cancelled.
    Cancelled,
}

impl TaskState {
    /// Whether the task is over.
    pub fn is_terminal(self) -> bool {
        self != TaskState::Working
    }

    /// The wire name (`working`, `completed`, `failed`, `cancelled`).
    pub fn name(self) -> &'static str {
        match self {
            TaskState::Working => "working",
            TaskState::Completed => "completed",
            TaskState::Failed => "failed",
            TaskState::Cancelled => "cancelled",
        }
    }
}

/// One task as a store holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    /// The id: a v4 UUID (122 random bits).
    pub id: String,
    /// Who created it.
    pub owner: Owner,
    /// How it is shown.
    pub era: TaskEra,
    /// Where it is.
    pub state: TaskState,
    /// A line for people about the state.
    pub status_message: Option<String>,
    /// When it was created.
    pub created_at: SystemTime,
    /// When its state last changed.
    pub updated_at: SystemTime,
    /// How long after creation it is kept.
    pub ttl: Duration,
    /// How often a client should poll.
    pub poll_interval: Duration,
    /// The `CallToolResult` (JSON) once terminal.
    pub result: Option<Value>,
    /// Whether a cancel was requested.
    pub cancel_requested: bool,
}

/// Why a task operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaskError {
    /// No such task for this owner (never existed, another owner's, or expired).
    #[error("no task {0:?}: it does not exist, has expired, or belongs to another client")]
    NotFound(String),
    /// The task already finished.
    #[error("task {id:?} is already {state}")]
    AlreadyTerminal {
        /// The task.
        id: String,
        /// Its final state.
        state: &'static str,
    },
    /// The owner has too many tasks kept.
    #[error("too many tasks kept for this client ({0}); fetch or cancel some, or wait for their TTL to pass")]
    TooMany(usize),
    /// The cursor of `tasks/list` is not one this store gave out.
    #[error("invalid cursor {0:?}")]
    BadCursor(String),
    /// The shared state store cannot be reached (or answered nonsense); nothing was changed.
    #[error("the task state store is unavailable: {0}")]
    Unavailable(String),
}

/// One page of an owner's tasks, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskPage {
    /// The tasks.
    pub tasks: Vec<TaskRecord>,
    /// Where the next page starts, if there is one.
    pub next_cursor: Option<String>,
}

/// All task state goes through this trait.
pub trait TaskStore: Send + Sync + 'static {
    /// A new working task of `owner`, kept `ttl` after creation, held by this instance.
    fn create(&self, owner: &Owner, era: TaskEra, ttl: Duration) -> BoxFuture<'_, Result<TaskRecord, TaskError>>;
    /// Finishes a working task in `state`, `status` saying why for people; a task already terminal (or gone) is left as
    /// it is, and that is `Ok`. `Err` only when the store could not be reached:
    /// the caller may retry.
    fn finish(&self, id: &str, state: TaskState, status: &str, result: Value) -> BoxFuture<'_, Result<(), TaskError>>;
    /// The task, if `owner` has it and it has not expired.
    fn get(&self, owner: &Owner, id: &str) -> BoxFuture<'_, Result<TaskRecord, TaskError>>;
    /// One page of `owner`'s tasks.
    fn list(&self, owner: &Owner, cursor: Option<&str>, limit: usize) -> BoxFuture<'_, Result<TaskPage, TaskError>>;
    /// Asks a working task to stop; `AlreadyTerminal` if it has finished.
    fn cancel(&self, owner: &Owner, id: &str) -> BoxFuture<'_, Result<TaskRecord, TaskError>>;
    /// Resolves once a cancel is requested for `id`, or it is over or gone
    /// (then its program has nothing left to report to).
    fn cancel_requested(&self, id: &str) -> BoxFuture<'_, ()>;
    /// Keeps this instance's claim on running task `id` alive; never resolves.
    /// Dropping the future gives the claim up (when the task is finished).
    fn hold(&self, id: &str) -> BoxFuture<'_, ()>;
    /// The task once it is terminal (or `NotFound` if it expires first).
    fn wait(&self, owner: &Owner, id: &str) -> BoxFuture<'_, Result<TaskRecord, TaskError>>;
    /// Drops tasks whose TTL has passed (working ones are asked to cancel
    /// first) and fails tasks whose holder is gone. Returns how many changed.
    fn expire(&self) -> BoxFuture<'_, Result<usize, TaskError>>;
    /// Whether the store can be used now (for `/readyz`).
    fn check(&self) -> BoxFuture<'_, Result<(), TaskError>>;
}

/// A shared store.
pub type SharedTaskStore = Arc<dyn TaskStore>;

/// The status message of a task that ended in `state`.
pub(crate) fn status_for(state: TaskState) -> &'static str {
    match state {
        TaskState::Completed => "the program finished",
        TaskState::Failed => "the program failed or hit a limit; tasks/result has the error",
        TaskState::Cancelled => "the program was cancelled",
        TaskState::Working => "the program is running",
    }
}

/// How often clients are told to poll.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(500);
