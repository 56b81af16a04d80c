//! The raw `sluice_v1` imports, exactly as `guest-sdk/ABI.md` lists them, and the ABI's status and error codes.
//!
//! Only `operations.rs`, `logging.rs` and `raw.rs` call these; everything else goes
//! through the safe API. Functions that take no pointer (`servers_start`, `wait_any`,
//! `wait_any_timeout`, `result_len`, `result_value_len`) are declared `safe`: the host cannot touch guest memory through
//! them. The others are `unsafe` because the host reads (or, for `result_read` and
//! `result_value_read`, writes) the memory ranges they are given.
//!
//! On targets other than wasm32 there is no Sluice host, so the same functions
//! exist as stubs with the same signatures that do nothing: every `*_start`
//! answers [`BUSY`], `wait_any` answers [`NOTHING_PENDING`], `wait_any_timeout`
//! answers [`TIMED_OUT`] at once, and `result_len`, `result_read` and their
//! `result_value_*` twins answer [`BAD_HANDLE`]. The SDK turns that into a `ToolError`
//! saying no host is present. The stubs exist so that `cargo check`, `cargo doc`
//! and doc tests work on the machine that builds the guest.

/// Error code: `calls_in_flight` handles are outstanding; read a result first.
pub(crate) const BUSY: i32 = -1;
/// Error code: `wait_any` has nothing to wait for.
pub(crate) const NOTHING_PENDING: i32 = -2;
/// Error code: no outstanding operation has this handle.
pub(crate) const BAD_HANDLE: i32 = -3;
/// Error code: the operation has not completed yet; `wait_any` first.
pub(crate) const NOT_READY: i32 = -4;
/// Error code: the buffer is smaller than the payload; nothing was consumed.
pub(crate) const BUFFER_TOO_SMALL: i32 = -5;

/// Error code: `wait_any_timeout`'s time passed before an operation completed.
pub(crate) const TIMED_OUT: i32 = -6;
/// Error code: the completion has no value to read raw; read it with `result_read`.
pub(crate) const NO_VALUE: i32 = -7;

/// Form of a value read raw: the text of the result's one text block (its JSON, or the text itself).
pub(crate) const VALUE_TEXT: i32 = 0;
/// Form of a value read raw: the compact JSON of the result's `structuredContent`.
pub(crate) const VALUE_JSON: i32 = 1;

/// Status: the payload is the operation's JSON result.
pub(crate) const STATUS_OK: i32 = 0;
/// Status: the tool ran and reported an error; the payload is its `CallToolResult` with `"isError": true`.
pub(crate) const STATUS_TOOL_ERROR: i32 = 1;
/// Status: the operation produced no result; the payload is `{"kind": string, "message": string}`.
pub(crate) const STATUS_FAILED: i32 = 2;

#[cfg(target_arch = "wasm32")]
pub(crate) use imports::*;

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "sluice_v1")]
    unsafe extern "C" {
        /// Starts a call of `tool` on `server` with JSON-object `args`; returns a handle or `BUSY`.
        pub(crate) fn call_start(
            server_ptr: i32,
            server_len: i32,
            tool_ptr: i32,
            tool_len: i32,
            args_ptr: i32,
            args_len: i32,
        ) -> i32;
        /// Starts listing the servers on offer; returns a handle or `BUSY`.
        pub(crate) safe fn servers_start() -> i32;
        /// Starts a search with a JSON request `{"query", "limit"?, "detail"?}`; returns a handle or `BUSY`.
        pub(crate) fn search_start(request_ptr: i32, request_len: i32) -> i32;
        /// Starts reading one tool's full definition; returns a handle or `BUSY`.
        pub(crate) fn describe_start(server_ptr: i32, server_len: i32, tool_ptr: i32, tool_len: i32) -> i32;
        /// Starts stripping the types from a TypeScript module; returns a handle or `BUSY`.
        pub(crate) fn strip_types_start(name_ptr: i32, name_len: i32, source_ptr: i32, source_len: i32) -> i32;
        /// Parks until an unreported operation completes; returns its handle or `NOTHING_PENDING`.
        pub(crate) safe fn wait_any() -> i32;
        /// Parks for at most `timeout_ms` until an unreported operation completes; returns its handle or `TIMED_OUT`.
        pub(crate) safe fn wait_any_timeout(timeout_ms: i32) -> i32;
        /// The payload length of a completed operation, or `BAD_HANDLE` / `NOT_READY`.
        pub(crate) safe fn result_len(handle: i32) -> i32;
        /// Copies the payload into the buffer and consumes the handle; returns the status or an error code.
        pub(crate) fn result_read(handle: i32, buf_ptr: i32, buf_len: i32) -> i32;
        /// The length of a completed tool call's value read raw, or `NO_VALUE` / `BAD_HANDLE` / `NOT_READY`.
        pub(crate) safe fn result_value_len(handle: i32) -> i32;
        /// Copies the value into the buffer and consumes the handle; returns its form or an error code.
        pub(crate) fn result_value_read(handle: i32, buf_ptr: i32, buf_len: i32) -> i32;
        /// Sends one log line at `level` (0 trace … 4 error).
        pub(crate) fn log(level: i32, msg_ptr: i32, msg_len: i32);
        /// Says what the program fails with, for the run's error when it exits non-zero.
        pub(crate) fn report_error(msg_ptr: i32, msg_len: i32);
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use host_stubs::*;

/// Stand-ins with the imports' exact signatures (ABI and safety included) for
/// builds that are not wasm32. None of them touches memory; the pointer-taking
/// ones are `unsafe` only so that call sites are the same on every target.
#[cfg(not(target_arch = "wasm32"))]
#[allow(unused_variables, clippy::missing_safety_doc)]
mod host_stubs {
    use super::{BAD_HANDLE, BUSY, NOTHING_PENDING, TIMED_OUT};

    /// Stub: there is no host, so it is always busy.
    pub(crate) unsafe extern "C" fn call_start(
        server_ptr: i32,
        server_len: i32,
        tool_ptr: i32,
        tool_len: i32,
        args_ptr: i32,
        args_len: i32,
    ) -> i32 {
        BUSY
    }

    /// Stub: there is no host, so it is always busy.
    pub(crate) extern "C" fn servers_start() -> i32 {
        BUSY
    }

    /// Stub: there is no host, so it is always busy.
    pub(crate) unsafe extern "C" fn search_start(request_ptr: i32, request_len: i32) -> i32 {
        BUSY
    }

    /// Stub: there is no host, so it is always busy.
    pub(crate) unsafe extern "C" fn describe_start(
        server_ptr: i32,
        server_len: i32,
        tool_ptr: i32,
        tool_len: i32,
    ) -> i32 {
        BUSY
    }

    /// Stub: there is no host, so it is always busy.
    pub(crate) unsafe extern "C" fn strip_types_start(
        name_ptr: i32,
        name_len: i32,
        source_ptr: i32,
        source_len: i32,
    ) -> i32 {
        BUSY
    }

    /// Stub: nothing is ever pending.
    pub(crate) extern "C" fn wait_any() -> i32 {
        NOTHING_PENDING
    }

    /// Stub: nothing is ever pending, and there is no host to wait in.
    pub(crate) extern "C" fn wait_any_timeout(timeout_ms: i32) -> i32 {
        TIMED_OUT
    }

    /// Stub: no handle exists.
    pub(crate) extern "C" fn result_len(handle: i32) -> i32 {
        BAD_HANDLE
    }

    /// Stub: no handle exists.
    pub(crate) unsafe extern "C" fn result_read(handle: i32, buf_ptr: i32, buf_len: i32) -> i32 {
        BAD_HANDLE
    }

    /// Stub: no handle exists.
    pub(crate) extern "C" fn result_value_len(handle: i32) -> i32 {
        BAD_HANDLE
    }

    /// Stub: no handle exists.
    pub(crate) unsafe extern "C" fn result_value_read(handle: i32, buf_ptr: i32, buf_len: i32) -> i32 {
        BAD_HANDLE
    }

    /// Stub: the line goes nowhere.
    pub(crate) unsafe extern "C" fn log(level: i32, msg_ptr: i32, msg_len: i32) {}

    /// Stub: there is no host to tell.
    pub(crate) unsafe extern "C" fn report_error(msg_ptr: i32, msg_len: i32) {}
}
