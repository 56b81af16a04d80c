//! How a run ended: the classification of `_start`'s result into a [`RunStatus`].

use std::time::Duration;

use wasmtime::{Trap, WasmBacktrace};
use wasmtime_wasi::I32Exit;

use super::limits::LimitExceeded;
use crate::outcome::{LimitKind, RunStatus};

pub(super) enum Failure {
    Instantiate(wasmtime::Error),
    Program(wasmtime::Error),
    /// The run's control was cancelled.
    Cancelled,
}

/// The headline of a program that overflowed the wasm stack.
pub(crate) const STACK_OVERFLOW: &str = "the program overflowed its stack (runaway recursion?)";

pub(super) fn timeout(deadline: Duration) -> LimitExceeded {
    let deadline = humantime::format_duration(deadline);
    LimitExceeded::new(LimitKind::Timeout, format!("the program ran past its {deadline} deadline"))
}

pub(super) fn find_limit(error: &wasmtime::Error) -> Option<&LimitExceeded> {
    error.chain().find_map(|cause| cause.downcast_ref::<LimitExceeded>())
}

/// Sorts how a program's `_start` ended into the three outcomes.
pub(super) fn classify(error: wasmtime::Error) -> RunStatus {
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return match exit.0 {
            0 => RunStatus::Ok,
            code => {
                RunStatus::Failed { exit_code: Some(code), message: format!("the program exited with status {code}") }
            }
        };
    }
    if let Some(limit) = find_limit(&error) {
        return RunStatus::Limit { kind: limit.kind, message: limit.to_string() };
    }
    let headline = match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => {
            return RunStatus::Limit { kind: LimitKind::Fuel, message: "the program used up its fuel".to_owned() };
        }
        Some(Trap::StackOverflow) => STACK_OVERFLOW.to_owned(),
        Some(trap) => format!("the program trapped: {trap}"),
        None => error.root_cause().to_string(),
    };
    let message = match error.downcast_ref::<WasmBacktrace>() {
        Some(backtrace) => format!("{headline}\n{}", describe_backtrace(backtrace)),
        None => headline,
    };
    RunStatus::Failed { exit_code: None, message }
}

/// A short wasm backtrace: function names, repeated frames folded, at most 10 lines.
fn describe_backtrace(backtrace: &WasmBacktrace) -> String {
    const MAX_LINES: usize = 10;
    let mut lines: Vec<(String, usize)> = Vec::new();
    for frame in backtrace.frames() {
        let name = match frame.func_name() {
            Some(name) => name.to_owned(),
            None => format!("<function {}>", frame.func_index()),
        };
        match lines.last_mut() {
            Some((last, count)) if *last == name => *count += 1,
            _ => lines.push((name, 1)),
        }
    }
    let mut text = String::from("wasm backtrace:");
    for (name, count) in lines.iter().take(MAX_LINES) {
        text.push_str("\n  at ");
        text.push_str(name);
        if *count > 1 {
            text.push_str(&format!(" (\u{d7}{count})"));
        }
    }
    if lines.len() > MAX_LINES {
        text.push_str(&format!("\n  … {} more", lines.len() - MAX_LINES));
    }
    text
}
