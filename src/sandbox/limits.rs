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
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let desired = desired as u64;
        if desired > self.memory_bytes {
            let cap = self.memory_bytes;
            // At instantiation (nothing yet): the module's initial memory, before any program code ran.
            let detail = if current == 0 {
                format!(
                    "the module starts with {desired} bytes of memory, more than the cap of {cap} \
                     (a JavaScript program needs a cap of at least 16 MiB)"
                )
            } else {
                format!("the program asked for {desired} bytes of memory; the cap is {cap}")
            };
            return Err(wasmtime::Error::new(LimitExceeded::new(LimitKind::Memory, detail)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::ResourceLimiter;

    fn refusal(current: usize, desired: usize) -> String {
        let mut limiter = SandboxLimiter::new(8 << 20, 100);
        let error = limiter.memory_growing(current, desired, None).unwrap_err();
        error.downcast_ref::<LimitExceeded>().expect("a limit").detail.clone()
    }

    #[test]
    fn a_memory_too_large_from_the_start_is_told_apart_from_a_program_growing_it() {
        assert!(
            refusal(0, 16 << 20).starts_with("the module starts with 16777216 bytes of memory"),
            "{}",
            refusal(0, 16 << 20)
        );
        assert_eq!(refusal(4 << 20, 9 << 20), "the program asked for 9437184 bytes of memory; the cap is 8388608");
        let mut limiter = SandboxLimiter::new(8 << 20, 100);
        assert!(limiter.memory_growing(0, 8 << 20, None).unwrap());
        assert_eq!(limiter.peak_memory_bytes, 8 << 20);
    }
}
