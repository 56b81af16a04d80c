//! [`log`]: one line to the host's log, apart from the program's own output.

use crate::operations::abi_pair;
use crate::sys;

/// How serious a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Step-by-step detail.
    Trace = 0,
    /// Detail for whoever debugs the program.
    Debug = 1,
    /// What the program is doing.
    Info = 2,
    /// Something looks wrong, but the program goes on.
    Warn = 3,
    /// Something failed.
    Error = 4,
}

/// Sends `message` to the host's log at `level`. It does not appear in the
/// program's output. The host cuts lines longer than 4 KiB and drops lines past
/// the run's `log_bytes` limit.
pub fn log(level: Level, message: &str) {
    let (message_ptr, message_len) = abi_pair(message.as_bytes());
    // SAFETY: the host only reads the range, which points into `message`, borrowed for the whole call.
    unsafe { sys::log(level as i32, message_ptr, message_len) }
}
