//! Direct access to the ABI's operations for guests that run their own event loop (the JavaScript sandbox does).
//!
//! The high-level API ([`crate::call`], [`crate::call_all`], …) keeps its own
//! books of which operation is whose. A program must use either it or this
//! module, never both: a handle [`wait_any`] reports here is gone for the
//! high-level API, and the other way round.

use crate::sys;

/// `call_start` / `*_start` answered that `calls_in_flight` operations are outstanding.
pub const BUSY: i32 = sys::BUSY;
/// `wait_any` has nothing to wait for.
pub const NOTHING_PENDING: i32 = sys::NOTHING_PENDING;
/// `wait_any_timeout`'s time passed before an operation completed.
pub const TIMED_OUT: i32 = sys::TIMED_OUT;
/// Status of [`take_result`]: the payload is the operation's JSON result.
pub const STATUS_OK: i32 = sys::STATUS_OK;
/// Status of [`take_result`]: the tool reported an error; the payload is its `CallToolResult`.
pub const STATUS_TOOL_ERROR: i32 = sys::STATUS_TOOL_ERROR;
/// Status of [`take_result`]: no result; the payload is `{"kind", "message"}`.
pub const STATUS_FAILED: i32 = sys::STATUS_FAILED;

/// Starts a tool call with `args`, a JSON object's bytes. Returns a handle or [`BUSY`].
pub fn call_start(server: &str, tool: &str, args: &[u8]) -> i32 {
    // SAFETY: the host only reads the three ranges, which are live borrows for the call.
    unsafe {
        sys::call_start(
            server.as_ptr() as i32,
            server.len() as i32,
            tool.as_ptr() as i32,
            tool.len() as i32,
            args.as_ptr() as i32,
            args.len() as i32,
        )
    }
}

/// Starts listing the servers. Returns a handle or [`BUSY`].
pub fn servers_start() -> i32 {
    #[allow(unused_unsafe)] // `safe` on wasm32, `unsafe` stub elsewhere.
    unsafe {
        sys::servers_start()
    }
}

/// Starts a search; `request` is the JSON request's bytes. Returns a handle or [`BUSY`].
pub fn search_start(request: &[u8]) -> i32 {
    // SAFETY: the host only reads the range, a live borrow for the call.
    unsafe { sys::search_start(request.as_ptr() as i32, request.len() as i32) }
}

/// Starts describing one tool. Returns a handle or [`BUSY`].
pub fn describe_start(server: &str, tool: &str) -> i32 {
    // SAFETY: the host only reads the two ranges, live borrows for the call.
    unsafe { sys::describe_start(server.as_ptr() as i32, server.len() as i32, tool.as_ptr() as i32, tool.len() as i32) }
}

/// Starts stripping the types from `source`, a TypeScript module named `name`
/// (the JavaScript sandbox's loader uses it for imported `.ts` files). Returns a
/// handle or [`BUSY`]; the result's payload is the JavaScript as UTF-8 text.
pub fn strip_types_start(name: &str, source: &[u8]) -> i32 {
    // SAFETY: the host only reads the two ranges, live borrows for the call.
    unsafe {
        sys::strip_types_start(name.as_ptr() as i32, name.len() as i32, source.as_ptr() as i32, source.len() as i32)
    }
}

/// Parks until an operation completes; returns its handle, or [`NOTHING_PENDING`].
pub fn wait_any() -> i32 {
    #[allow(unused_unsafe)] // `safe` on wasm32, `unsafe` stub elsewhere.
    unsafe {
        sys::wait_any()
    }
}

/// Parks for at most `timeout_ms` milliseconds (negative: 0) until an operation
/// completes; returns its handle, or [`TIMED_OUT`]. With nothing outstanding it
/// sleeps the whole time. The run's deadline still ends a program that waits.
pub fn wait_any_timeout(timeout_ms: i32) -> i32 {
    #[allow(unused_unsafe)] // `safe` on wasm32, `unsafe` stub elsewhere.
    unsafe {
        sys::wait_any_timeout(timeout_ms)
    }
}

/// Reads and consumes the result of `handle` (which [`wait_any`] reported):
/// its status and payload, or `None` if the host has no result for it.
pub fn take_result(handle: i32) -> Option<(i32, Vec<u8>)> {
    #[allow(unused_unsafe)] // `safe` on wasm32, `unsafe` stub elsewhere.
    let len = unsafe { sys::result_len(handle) };
    if len < 0 {
        return None;
    }
    let mut payload = vec![0u8; len as usize];
    // SAFETY: the host writes at most `payload.len()` bytes into `payload`, which we own.
    let status = unsafe { sys::result_read(handle, payload.as_mut_ptr() as i32, payload.len() as i32) };
    (status >= 0).then_some((status, payload))
}

/// Form of [`take_value`]: the text of the result's one text block; the value is
/// its JSON, or the text itself when it is not JSON.
pub const VALUE_TEXT: i32 = sys::VALUE_TEXT;
/// Form of [`take_value`]: the compact JSON of the result's `structuredContent`.
pub const VALUE_JSON: i32 = sys::VALUE_JSON;

/// Reads and consumes the value of a tool call's successful result, raw: its
/// form ([`VALUE_TEXT`] or [`VALUE_JSON`]) and bytes, without the `CallToolResult`
/// around them (a text block's text is not escaped as a JSON string). `None` if
/// the result has no such value (an error, several blocks, …): then nothing was
/// consumed, and [`take_result`] reads it.
pub fn take_value(handle: i32) -> Option<(i32, Vec<u8>)> {
    let len = sys::result_value_len(handle);
    // `NO_VALUE`: read it whole with `take_result`; any other code (an unknown or
    // unfinished handle) is for `take_result` to report.
    if len == sys::NO_VALUE || len < 0 {
        return None;
    }
    // Not zeroed first: the host writes every byte (a 3.6 MB value was zeroed for nothing).
    let mut value = Vec::with_capacity(len as usize);
    // SAFETY: the host writes at most `len` bytes into `value`'s capacity, which we own.
    let form = unsafe { sys::result_value_read(handle, value.as_mut_ptr() as i32, len) };
    if form < 0 {
        return None;
    }
    // SAFETY: a form (not an error code) means the host wrote the whole value, `len` bytes.
    unsafe { value.set_len(len as usize) };
    Some((form, value))
}

/// Tells the host what the program fails with (an uncaught exception and its
/// stack, say): when the program then exits with a non-zero status, the run's
/// error is this message rather than "the program exited with status N". At
/// most 4 KiB is kept; a later report replaces an earlier one.
pub fn report_error(message: &str) {
    // SAFETY: the host only reads the range, a live borrow for the call.
    unsafe { sys::report_error(message.as_ptr() as i32, message.len() as i32) }
}
