//! [`Launcher`]: the one path from a program's source to its outcome, shared by
//! `sluice run` and `sluice serve`.
//!
//! It picks the sandbox by language (a wasm module loads as it is; JavaScript
//! and TypeScript run in the interpreter, loaded once on first use), gives the
//! program its workspace (a fresh scratch directory, removed afterwards, or
//! one the caller names), and runs it under the caller's policy and control.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::scratch::{CleanupError, ScratchWorkspace};
use crate::{ExecutionPolicy, JavaScript, LaunchError, LoadError, RunControl, RunOutcome, Runtime, ToolHost};

/// What a program is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Language {
    /// An ES module, run by the QuickJS interpreter.
    JavaScript,
    /// TypeScript: its types are stripped, then it runs as JavaScript.
    TypeScript,
    /// A wasm32-wasip1 command module, or its text form.
    WebAssembly,
}

impl Language {
    /// The language of a file, by its extension: `.js`/`.mjs` JavaScript,
    /// `.ts`/`.mts` TypeScript, `.wasm`/`.wat` WebAssembly; `None` for any other.
    pub fn of_path(path: &Path) -> Option<Language> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("js" | "mjs") => Some(Language::JavaScript),
            Some("ts" | "mts") => Some(Language::TypeScript),
            Some("wasm" | "wat") => Some(Language::WebAssembly),
            _ => None,
        }
    }

    /// The language called `name`: `javascript`/`js`, `typescript`/`ts`,
    /// `wasm`/`webassembly` (any case).
    pub fn from_name(name: &str) -> Option<Language> {
        match name.to_ascii_lowercase().as_str() {
            "javascript" | "js" => Some(Language::JavaScript),
            "typescript" | "ts" => Some(Language::TypeScript),
            "wasm" | "webassembly" => Some(Language::WebAssembly),
            _ => None,
        }
    }
}

/// A program to run: its name (shown in stack traces and as `argv[0]`), its
/// language and its bytes (source text, or a module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The program's name.
    pub name: String,
    /// What it is written in.
    pub language: Language,
    /// Source text (UTF-8) for JavaScript and TypeScript; the module for WebAssembly.
    pub bytes: Vec<u8>,
}

impl Source {
    /// Source text in `language`, named `name`.
    pub fn text(name: impl Into<String>, language: Language, code: impl Into<String>) -> Source {
        Source { name: name.into(), language, bytes: code.into().into_bytes() }
    }

    /// The program in `path`, its language by extension ([`Language::of_path`]);
    /// an unknown extension is [`LoadError::UnknownLanguage`].
    pub fn read(path: &Path) -> Result<Source, LoadError> {
        let language = Language::of_path(path).ok_or_else(|| LoadError::UnknownLanguage { path: path.to_owned() })?;
        Source::read_as(path, language)
    }

    /// The program in `path`, in `language` whatever its extension.
    pub fn read_as(path: &Path, language: Language) -> Result<Source, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read { path: path.to_owned(), source })?;
        let name = path.file_name().map_or_else(|| "program".to_owned(), |n| n.to_string_lossy().into_owned());
        Ok(Source { name, language, bytes })
    }

    /// A program in `language` read to its end from `input` (`sluice run -`),
    /// named `stdin.js`, `stdin.ts` or `stdin.wasm`.
    pub fn read_from(mut input: impl std::io::Read, language: Language) -> Result<Source, LoadError> {
        let mut bytes = Vec::new();
        let path = PathBuf::from("-");
        input.read_to_end(&mut bytes).map_err(|source| LoadError::Read { path, source })?;
        let name = match language {
            Language::JavaScript => "stdin.js",
            Language::TypeScript => "stdin.ts",
            Language::WebAssembly => "stdin.wasm",
        };
        Ok(Source { name: name.to_owned(), language, bytes })
    }
}

/// Where a program's `/workspace` comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorkspaceChoice {
    /// No filesystem at all.
    None,
    /// A fresh empty directory, removed after the run.
    Scratch,
    /// This directory, kept (it must exist).
    Directory(PathBuf),
}

/// A finished launch: the outcome, and a scratch workspace that could not be
/// removed (the caller should say so; the program shaped what it left).
#[derive(Debug)]
#[non_exhaustive]
pub struct Launched {
    /// How the run went.
    pub outcome: RunOutcome,
    /// Why the scratch workspace is still there, if it is.
    pub cleanup: Option<CleanupError>,
}

/// Runs programs of any [`Language`] on one [`Runtime`]. Cheap to share
/// behind an `Arc`; the interpreter is prepared once, on first use (or by
/// [`Launcher::javascript`]).
pub struct Launcher {
    runtime: Runtime,
    javascript: OnceCell<JavaScript>,
}

impl Launcher {
    /// A launcher on `runtime`.
    pub fn new(runtime: Runtime) -> Launcher {
        Launcher { runtime, javascript: OnceCell::new() }
    }

    /// The runtime programs run on.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The JavaScript interpreter, prepared now if it is not yet.
    pub async fn javascript(&self) -> Result<&JavaScript, LoadError> {
        self.javascript.get_or_try_init(|| JavaScript::load(&self.runtime)).await
    }

    /// Whether the interpreter is prepared.
    pub fn is_ready(&self) -> bool {
        self.javascript.initialized()
    }

    /// Runs `source` under `policy` (whose `workspace` is replaced by what
    /// `workspace` gives) with `tools`, until it ends or `control` cancels it.
    pub async fn run(
        &self,
        source: &Source,
        mut policy: ExecutionPolicy,
        workspace: &WorkspaceChoice,
        tools: Arc<dyn ToolHost>,
        control: &RunControl,
    ) -> Result<Launched, LaunchError> {
        let mut scratch = None;
        policy.workspace = match workspace {
            WorkspaceChoice::None => None,
            WorkspaceChoice::Directory(dir) => Some(dir.clone()),
            WorkspaceChoice::Scratch => {
                let created = ScratchWorkspace::new().map_err(LaunchError::Scratch)?;
                Some(scratch.insert(created).path().to_owned())
            }
        };
        let outcome = self.run_in_place(source, &policy, tools, control).await;
        let cleanup = scratch.and_then(|scratch| scratch.remove().err());
        Ok(Launched { outcome: outcome?, cleanup })
    }

    async fn run_in_place(
        &self,
        source: &Source,
        policy: &ExecutionPolicy,
        tools: Arc<dyn ToolHost>,
        control: &RunControl,
    ) -> Result<RunOutcome, LaunchError> {
        match source.language {
            Language::WebAssembly => {
                let program = self.runtime.load(&source.name, &source.bytes)?;
                Ok(program.run(policy, tools, control).await?)
            }
            Language::JavaScript | Language::TypeScript => {
                let Ok(code) = std::str::from_utf8(&source.bytes) else {
                    return Err(LaunchError::NotText { name: source.name.clone() });
                };
                let javascript = self.javascript().await.map_err(LaunchError::Interpreter)?;
                Ok(match source.language {
                    Language::TypeScript => {
                        javascript.run_typescript(&source.name, code, policy, tools, control).await?
                    }
                    _ => javascript.run(&source.name, code, policy, tools, control).await?,
                })
            }
        }
    }
}

impl std::fmt::Debug for Launcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Launcher").field("javascript_ready", &self.is_ready()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_extension_and_by_name() {
        assert_eq!(Language::of_path(Path::new("a.mjs")), Some(Language::JavaScript));
        assert_eq!(Language::of_path(Path::new("a.mts")), Some(Language::TypeScript));
        assert_eq!(Language::of_path(Path::new("a.wat")), Some(Language::WebAssembly));
        assert_eq!(Language::of_path(Path::new("a.wasm")), Some(Language::WebAssembly));
        assert_eq!(Language::of_path(Path::new("a.py")), None);
        assert_eq!(Language::of_path(Path::new("Makefile")), None);
        assert_eq!(Language::from_name("TypeScript"), Some(Language::TypeScript));
        assert_eq!(Language::from_name("python"), None);
    }

    #[test]
    fn an_unknown_extension_is_refused_saying_which_extensions_mean_what() {
        let error = Source::read(Path::new("prog.py")).unwrap_err().to_string();
        for part in [".js and .mjs are JavaScript", ".ts and .mts", ".wasm and .wat WebAssembly", "--lang"] {
            assert!(error.contains(part), "{error}");
        }
    }

    #[test]
    fn a_program_read_from_stdin_is_named_after_its_language() {
        let source = Source::read_from(&b"console.log(1)"[..], Language::TypeScript).unwrap();
        assert_eq!((source.name.as_str(), source.bytes.as_slice()), ("stdin.ts", &b"console.log(1)"[..]));
    }
}
