//! Bookkeeping of the operations this program has in flight on the host: starting them (making room when the host is busy), waiting, and collecting results.
//!
//! **Invariant:** a handle that `wait_any` reports is read at once (which
//! consumes it on the host and frees its `calls_in_flight` slot) and its result
//! is kept here, under the operation's own [`Ticket`], until its owner claims
//! it. `wait_any` reports each handle only once, so this store is the only
//! record that the operation completed.
//!
//! Tickets, not host handles, name operations inside the SDK: ABI.md does not
//! promise that the host never reuses a handle number once it is consumed, and a
//! result can sit here unclaimed after its handle has been consumed.
//!
//! **Boundary:** with `logging.rs`, the only module that calls `sys`.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use crate::sys;

/// The SDK's own name for one operation, unique for the life of the program.
type Ticket = u64;

/// How an operation ended, from `result_read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// The payload is the operation's JSON result.
    Ok,
    /// The tool reported an error; the payload is its `CallToolResult`.
    ToolError,
    /// The operation produced no result; the payload is `{"kind", "message"}`.
    Failed,
    /// A status this SDK does not know.
    Unknown(i32),
}

impl Status {
    fn from_code(code: i32) -> Self {
        match code {
            sys::STATUS_OK => Status::Ok,
            sys::STATUS_TOOL_ERROR => Status::ToolError,
            sys::STATUS_FAILED => Status::Failed,
            other => Status::Unknown(other),
        }
    }
}

/// A completed operation: its status and payload bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Completion {
    pub status: Status,
    pub payload: Vec<u8>,
}

impl Completion {
    /// A `FAILED` completion made by the SDK itself, for when the host did not
    /// keep its side of the ABI (or there is no host: see `sys`).
    fn host_misbehaved(message: String) -> Self {
        let failure = serde_json::json!({ "kind": "server_error", "message": message });
        Completion { status: Status::Failed, payload: failure.to_string().into_bytes() }
    }
}

/// Every operation started and not yet claimed by its owner.
#[derive(Default)]
struct Registry {
    next_ticket: Ticket,
    /// Host handles started and not yet read, and the ticket each one serves.
    in_flight: HashMap<i32, Ticket>,
    /// Results read from the host that their owner has not claimed yet.
    collected: HashMap<Ticket, Completion>,
    /// Operations whose owner went away before the result arrived; it is dropped on arrival.
    abandoned: HashSet<Ticket>,
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::default());
}

fn with_registry<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    REGISTRY.with(|registry| f(&mut registry.borrow_mut()))
}

/// What a negative code means, for messages.
fn describe_code(code: i32) -> &'static str {
    match code {
        sys::BUSY => "BUSY",
        sys::NOTHING_PENDING => "NOTHING_PENDING",
        sys::BAD_HANDLE => "BAD_HANDLE",
        sys::NOT_READY => "NOT_READY",
        sys::BUFFER_TOO_SMALL => "BUFFER_TOO_SMALL",
        _ => "an unknown error code",
    }
}

/// Waits for the next completed operation, reads its result (freeing its slot
/// on the host) and files it under its ticket. Returns false when the host has
/// nothing pending.
fn collect_next() -> bool {
    let handle = sys::wait_any();
    if handle < 0 {
        return false;
    }
    let completion = read_result(handle);
    with_registry(|registry| {
        // A handle this SDK did not start (none should exist) has no owner; drop its result.
        if let Some(ticket) = registry.in_flight.remove(&handle)
            && !registry.abandoned.remove(&ticket)
        {
            registry.collected.insert(ticket, completion);
        }
    });
    true
}

/// Reads (and so consumes) the result of `handle`, which `wait_any` just reported.
fn read_result(handle: i32) -> Completion {
    let len = sys::result_len(handle);
    if len < 0 {
        return Completion::host_misbehaved(format!(
            "the host reported operation {handle} complete, then answered {} for its length",
            describe_code(len)
        ));
    }
    let mut payload = vec![0u8; len as usize];
    // SAFETY: the host writes at most `payload.len()` bytes at `payload`'s
    // address, a live buffer this function owns exclusively during the call.
    let code = unsafe { sys::result_read(handle, payload.as_mut_ptr() as usize as i32, payload.len() as i32) };
    if code < 0 {
        return Completion::host_misbehaved(format!(
            "the host reported operation {handle} complete, then answered {} when it was read",
            describe_code(code)
        ));
    }
    Completion { status: Status::from_code(code), payload }
}

/// One operation started on the host (or refused before it started), owned by
/// whoever will read its result. Dropping it unclaimed discards the result.
#[derive(Debug)]
pub(crate) struct Operation {
    state: OperationState,
}

#[derive(Debug)]
enum OperationState {
    /// On the host, or collected and waiting for [`Operation::wait`].
    Started(Ticket),
    /// Never started; this is why.
    Refused(Completion),
    /// Claimed by [`Operation::wait`].
    Claimed,
}

impl Operation {
    /// Starts an operation with `start`, which calls one `*_start` import and
    /// returns its answer. While the host answers `BUSY`, waits for one of this
    /// program's other operations to complete, keeps its result for its owner,
    /// and tries again.
    pub(crate) fn start(mut start: impl FnMut() -> i32) -> Operation {
        loop {
            let handle = start();
            if handle >= 0 {
                let ticket = with_registry(|registry| {
                    let ticket = registry.next_ticket;
                    registry.next_ticket += 1;
                    registry.in_flight.insert(handle, ticket);
                    ticket
                });
                return Operation { state: OperationState::Started(ticket) };
            }
            if handle == sys::BUSY && collect_next() {
                continue;
            }
            let message = if handle == sys::BUSY {
                "the host answered BUSY but has nothing pending to wait for \
                 (is this program running under Sluice?)"
                    .to_owned()
            } else {
                format!("the host answered {} when asked to start an operation", describe_code(handle))
            };
            return Operation { state: OperationState::Refused(Completion::host_misbehaved(message)) };
        }
    }

    /// Blocks until the operation has completed and returns its result.
    pub(crate) fn wait(mut self) -> Completion {
        match std::mem::replace(&mut self.state, OperationState::Claimed) {
            OperationState::Started(ticket) => loop {
                if let Some(completion) = with_registry(|registry| registry.collected.remove(&ticket)) {
                    return completion;
                }
                if !collect_next() {
                    return Completion::host_misbehaved(
                        "the host has nothing pending, but this operation never completed".to_owned(),
                    );
                }
            },
            OperationState::Refused(completion) => completion,
            OperationState::Claimed => unreachable!("wait takes the operation by value"),
        }
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        if let OperationState::Started(ticket) = self.state {
            with_registry(|registry| {
                if registry.collected.remove(&ticket).is_none() {
                    registry.abandoned.insert(ticket);
                }
            });
        }
    }
}

/// A byte string as the ABI's `(ptr, len)` pair.
pub(crate) fn abi_pair(bytes: &[u8]) -> (i32, i32) {
    (bytes.as_ptr() as usize as i32, bytes.len() as i32)
}

/// Starts `server`'s `tool` with `args` (JSON bytes).
pub(crate) fn start_call(server: &str, tool: &str, args: &[u8]) -> Operation {
    let (server_ptr, server_len) = abi_pair(server.as_bytes());
    let (tool_ptr, tool_len) = abi_pair(tool.as_bytes());
    let (args_ptr, args_len) = abi_pair(args);
    // SAFETY: the host only reads the three ranges, which point into `server`,
    // `tool` and `args`; all three are borrowed for the whole of this function.
    Operation::start(|| unsafe { sys::call_start(server_ptr, server_len, tool_ptr, tool_len, args_ptr, args_len) })
}

/// Starts listing the servers.
pub(crate) fn start_servers() -> Operation {
    Operation::start(|| sys::servers_start())
}

/// Starts a search with `request` (JSON bytes).
pub(crate) fn start_search(request: &[u8]) -> Operation {
    let (request_ptr, request_len) = abi_pair(request);
    // SAFETY: the host only reads the range, which points into `request`, borrowed for the whole of this function.
    Operation::start(|| unsafe { sys::search_start(request_ptr, request_len) })
}

/// Starts reading the definition of `server`'s `tool`.
pub(crate) fn start_describe(server: &str, tool: &str) -> Operation {
    let (server_ptr, server_len) = abi_pair(server.as_bytes());
    let (tool_ptr, tool_len) = abi_pair(tool.as_bytes());
    // SAFETY: the host only reads the two ranges, which point into `server` and
    // `tool`, both borrowed for the whole of this function.
    Operation::start(|| unsafe { sys::describe_start(server_ptr, server_len, tool_ptr, tool_len) })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn without_a_host_an_operation_fails_instead_of_waiting_forever() {
        let completion = start_call("demo", "echo", b"{}").wait();
        assert_eq!(completion.status, Status::Failed);
        let failure: serde_json::Value = serde_json::from_slice(&completion.payload).unwrap();
        assert_eq!(failure["kind"], "server_error");
        assert!(failure["message"].as_str().unwrap().contains("running under Sluice"), "{failure}");
    }

    #[test]
    fn a_dropped_operation_leaves_nothing_behind() {
        drop(start_servers());
        with_registry(|registry| {
            assert!(registry.collected.is_empty() && registry.abandoned.is_empty() && registry.in_flight.is_empty())
        });
    }
}
