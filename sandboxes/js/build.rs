//! Link settings of the interpreter module: a 4 MiB shadow stack, and the
//! allocator's break exported.
//!
//! QuickJS's own stack check does not work on wasm, so runaway recursion must end
//! at the host's wasm-stack limit (a clean "stack overflow" trap). With Rust's
//! default 1 MiB shadow stack in linear memory, that stack would underflow first
//! (an obscure out-of-bounds trap, after ~3,500 frames); 4 MiB allows ~11,000
//! frames, about what Node allows.

fn main() {
    println!("cargo:rustc-link-arg=-zstack-size=4194304");
    // The address of the allocator's break, as an immutable exported global
    // (`src/heap.rs`), for the host to read after a run.
    println!("cargo:rustc-link-arg=--export=sluice_heap_break");
}
