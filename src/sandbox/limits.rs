//! Limits that stop a program: the trap payload [`LimitExceeded`] and the store's resource limiter.

use crate::outcome::LimitKind;

/// The error a host function or the limiter raises to trap a program at a limit.
/// The runner finds it in the trap's error chain to classify the outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} limit reached: {detail}")]
pub(crate) struct LimitExceeded {
    pub kind: LimitKind,
    pub detail: String,
}

impl LimitExceeded {
    pub fn new(kind: LimitKind, detail: impl Into<String>) -> Self {
        LimitExceeded { kind, detail: detail.into() }
    }
}

/// The store's [`wasmtime::ResourceLimiter`]: one instance, one memory, four
/// tables (as the instance pool allows), and growth past the policy's caps traps with [`LimitExceeded`] rather
/// than failing quietly, so the outcome names the limit.
#[derive(Debug)]
pub(crate) struct SandboxLimiter {
    memory_bytes: u64,
    table_elements: u64,
    pub peak_memory_bytes: u64,
}

impl SandboxLimiter {
    pub fn new(memory_bytes: u64, table_elements: u64) -> Self {
        SandboxLimiter { memory_bytes, table_elements, peak_memory_bytes: 0 }
    }
}

impl wasmtime::ResourceLimiter for SandboxLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let desired = desired as u64;
        if desired > self.memory_bytes {
            return Err(wasmtime::Error::new(LimitExceeded::new(
                LimitKind::Memory,
                format!("the program asked for {desired} bytes of memory; the cap is {}", self.memory_bytes),
            )));
        }
        self.peak_memory_bytes = self.peak_memory_bytes.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired as u64 > self.table_elements {
            return Err(wasmtime::Error::new(LimitExceeded::new(
                LimitKind::Table,
                format!("a table would grow to {desired} elements; the cap is {}", self.table_elements),
            )));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        4
    }

    fn memories(&self) -> usize {
        1
    }
}
