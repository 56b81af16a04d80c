//! The embedder's errors: a runtime that cannot be built, a program that cannot be loaded, a run that cannot start.
//!
//! What a program does wrong is not here: that is a [`crate::RunOutcome`].

use std::path::PathBuf;

/// The runtime could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// Wasmtime refused the engine configuration.
    #[error("cannot set up the WebAssembly engine: {0}")]
    Engine(String),
}

/// A program could not be loaded. Each message says what was wrong and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read the program {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file's extension names no language Sluice runs.
    #[error(
        "cannot tell what language {} is in from its extension: .js and .mjs are JavaScript, .ts and .mts \
         TypeScript, .wasm and .wat WebAssembly; rename it, or pass --lang js|ts|wasm",
        path.display()
    )]
    UnknownLanguage {
        /// The file.
        path: PathBuf,
    },
    /// The bytes are not a WebAssembly module at all.
    #[error("not a WebAssembly module: {0}; pass a module built for wasm32-wasip1 (or its .wat text)")]
    NotWasm(String),
    /// The module is malformed or does not validate.
    #[error("invalid WebAssembly module: {0}")]
    Invalid(String),
    /// The module imports something Sluice does not provide.
    #[error(
        "the program imports `{module}::{name}`, which Sluice does not provide; a program may import only \
         from wasi_snapshot_preview1 and sluice_v1 (see guest-sdk/ABI.md)"
    )]
    UnknownImport {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
    /// The module is not a WASI command.
    #[error(
        "the module exports no `_start` function: Sluice runs WASI command modules (build for wasm32-wasip1 with a main)"
    )]
    NotACommand,
}

/// A run could not start or continue for a reason outside the program.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The policy asks for something this runtime cannot give.
    #[error("invalid policy: {0}")]
    Policy(String),
    /// The workspace directory is missing or unusable.
    #[error("cannot use {} as the workspace", path.display())]
    Workspace {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The skills directory is missing or unusable.
    #[error("cannot use {} as the skills directory: {source}", path.display())]
    Skills {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The program could not be instantiated (for example, every pool slot is in use).
    #[error("cannot start the program: {0}")]
    Instantiate(String),
}

/// A program could not be launched: loading it, preparing its sandbox or its
/// workspace failed, or the run could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// The program did not load.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The JavaScript interpreter could not be prepared.
    #[error("cannot start the JavaScript sandbox")]
    Interpreter(#[source] LoadError),
    /// JavaScript or TypeScript source that is not UTF-8.
    #[error("{name} is not UTF-8 text; JavaScript and TypeScript programs must be")]
    NotText {
        /// The program's name.
        name: String,
    },
    /// The scratch workspace could not be created.
    #[error("cannot create a workspace")]
    Scratch(#[source] std::io::Error),
    /// The run could not start.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// An error and each of its sources, as one line: `outer: inner: root`.
///
/// Sluice's errors say what failed in their own message and keep why as their
/// `source`, so the reason is said once; print them with this (or anyhow's
/// `{:#}`), not with `Display` alone, which would drop the reason.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}
