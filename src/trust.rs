//! What Sluice refuses to trust because a program could have written it: configuration and server code inside the workspace it grants.
//!
//! A program may write anything in a workspace it is granted. If the host then
//! reads its MCP configuration from there, or starts a server whose program,
//! script or working directory lies there, the program's bytes become host code
//! (in the same run, once a server starts, or in the next one). So:
//!
//! - a default configuration (`./sluice.json`, `./.mcp.json`, the user's file)
//!   whose directory overlaps the workspace (is it, lies inside it, or contains
//!   it) is not read;
//! - a configuration file inside the workspace is refused, even when named;
//! - a server whose command, any argument naming an existing path, or working
//!   directory lies inside the workspace is refused;
//!
//! unless the user explicitly allows workspace code ([`WorkspaceTrust::Allowed`],
//! the CLI's `--allow-workspace-code`). Every refusal says why and how to proceed.

use std::path::{Component, Path, PathBuf};

use crate::config::{SluiceConfig, Transport};

/// Whether code and configuration inside the workspace may run on the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkspaceTrust {
    /// The default: refuse configuration and servers inside the workspace.
    #[default]
    Refused,
    /// The user allowed it (they wrote the workspace's contents themselves).
    Allowed,
}

/// Why a configuration may not be used with a workspace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The configuration file lies inside the workspace.
    #[error(
        "the configuration {} is inside the workspace {} granted to the program, which could rewrite it; \
         move it out, or pass --allow-workspace-code if you wrote the workspace's contents yourself",
        config.display(), workspace.display()
    )]
    ConfigInWorkspace {
        /// The configuration file.
        config: PathBuf,
        /// The workspace.
        workspace: PathBuf,
    },
    /// A server would run something the program could have written.
    #[error(
        "server {server:?}: its {what} {} is inside the workspace {} granted to the program, which could rewrite \
         it and so run code on this machine; move the server out, or pass --allow-workspace-code if you wrote \
         the workspace's contents yourself",
        path.display(), workspace.display()
    )]
    ServerInWorkspace {
        /// The server's name.
        server: String,
        /// `command`, `argument` or `cwd`.
        what: &'static str,
        /// The path inside the workspace.
        path: PathBuf,
        /// The workspace.
        workspace: PathBuf,
    },
}

/// The first of `candidates` that exists as a file and whose directory does not
/// overlap `workspace`; candidates that do overlap are skipped, each with a
/// warning in the returned list.
pub fn default_config(candidates: &[PathBuf], workspace: Option<&Path>) -> (Option<PathBuf>, Vec<String>) {
    let mut warnings = Vec::new();
    for candidate in candidates {
        if !candidate.is_file() {
            continue;
        }
        if let Some(workspace) = workspace {
            let dir = absolute(candidate.parent().unwrap_or(Path::new(".")));
            let workspace = absolute(workspace);
            if dir.starts_with(&workspace) || workspace.starts_with(&dir) {
                warnings.push(format!(
                    "not reading {}: its directory overlaps the workspace {} granted to the program; \
                     name a configuration outside it with --config",
                    candidate.display(),
                    workspace.display()
                ));
                continue;
            }
        }
        return (Some(candidate.clone()), warnings);
    }
    (None, warnings)
}

/// Refuses `config_path` and any of `config`'s servers that lie inside `workspace`.
pub fn check(
    config_path: Option<&Path>,
    config: &SluiceConfig,
    workspace: &Path,
    trust: WorkspaceTrust,
) -> Result<(), TrustError> {
    if trust == WorkspaceTrust::Allowed {
        return Ok(());
    }
    let workspace = absolute(workspace);
    if let Some(path) = config_path
        && absolute(path).starts_with(&workspace)
    {
        return Err(TrustError::ConfigInWorkspace { config: path.to_owned(), workspace });
    }
    for (name, server) in &config.servers {
        let Transport::Stdio { command, args, cwd, .. } = &server.transport else { continue };
        let base = cwd.as_deref().map(absolute).unwrap_or_else(|| absolute(Path::new(".")));
        let refuse = |what, path: PathBuf| TrustError::ServerInWorkspace {
            server: name.clone(),
            what,
            path,
            workspace: workspace.clone(),
        };
        if let Some(cwd) = cwd
            && absolute(cwd).starts_with(&workspace)
        {
            return Err(refuse("cwd", cwd.clone()));
        }
        if let Some(program) = resolve_command(command, &base)
            && program.starts_with(&workspace)
        {
            return Err(refuse("command", program));
        }
        for arg in args {
            // `script.py`, `./server.js`, `--config=path`: each part that names an existing path.
            let parts = std::iter::once(arg.as_str()).chain(arg.split_once('=').map(|(_, value)| value));
            for part in parts.filter(|part| !part.is_empty()) {
                let path = base.join(part);
                if path.exists() && absolute(&path).starts_with(&workspace) {
                    return Err(refuse("argument", path));
                }
            }
        }
    }
    Ok(())
}

/// Whether one of `a` and `b` is the other or lies inside it (symlinks resolved
/// where the paths exist).
pub fn overlaps(a: &Path, b: &Path) -> bool {
    let (a, b) = (absolute(a), absolute(b));
    a.starts_with(&b) || b.starts_with(&a)
}

/// Where `command` runs from: a path (with a `/`) against `base`, else the first
/// match on `PATH`, as the server's spawn would find it.
fn resolve_command(command: &str, base: &Path) -> Option<PathBuf> {
    if command.contains('/') {
        return Some(absolute(&base.join(command)));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| base.join(dir).join(command)).find(|p| p.is_file()).map(|p| absolute(&p))
}

/// `path` made absolute, with symlinks resolved where it exists (so a link into
/// the workspace counts as inside it) and `.`/`..` folded lexically where not.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let joined = std::env::current_dir().map(|cwd| cwd.join(path)).unwrap_or_else(|_| path.to_owned());
    // The longest existing prefix is canonicalised; the rest folded lexically.
    let mut existing = joined.as_path();
    let mut rest = Vec::new();
    while let Some(parent) = existing.parent() {
        if let Some(name) = existing.file_name() {
            rest.push(name.to_owned());
        }
        existing = parent;
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            for name in rest.iter().rev() {
                match Path::new(name).components().next() {
                    Some(Component::ParentDir) => {
                        out.pop();
                    }
                    Some(Component::CurDir) | None => {}
                    Some(_) => out.push(name),
                }
            }
            return out;
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> SluiceConfig {
        SluiceConfig::parse(json, "test").unwrap()
    }

    #[test]
    fn default_configs_overlapping_the_workspace_are_skipped_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("ws");
        std::fs::create_dir(&workspace).unwrap();
        let inside = workspace.join("sluice.json");
        let above = dir.path().join(".mcp.json");
        let elsewhere = tempfile::tempdir().unwrap();
        let outside = elsewhere.path().join("config.json");
        for file in [&inside, &above, &outside] {
            std::fs::write(file, "{}").unwrap();
        }
        let (found, warnings) = default_config(&[inside.clone(), above.clone(), outside.clone()], Some(&workspace));
        assert_eq!(found, Some(outside.clone()));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("overlaps the workspace") && warnings[0].contains("--config"), "{warnings:?}");
        let (found, warnings) = default_config(std::slice::from_ref(&inside), None);
        assert_eq!((found, warnings.len()), (Some(inside), 0));
    }

    #[test]
    fn servers_that_would_run_workspace_code_are_refused_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().canonicalize().unwrap();
        std::fs::write(ws.join("server.py"), "print()").unwrap();
        std::fs::create_dir(ws.join("sub")).unwrap();
        let cases = [
            (format!(r#"{{"command": "{}/server.py"}}"#, ws.display()), "command"),
            (format!(r#"{{"command": "python3", "args": ["{}/sub/../server.py"]}}"#, ws.display()), "argument"),
            (format!(r#"{{"command": "python3", "args": ["--script={}/server.py"]}}"#, ws.display()), "argument"),
            (format!(r#"{{"command": "python3", "args": ["server.py"], "cwd": "{}/sub/.."}}"#, ws.display()), "cwd"),
        ];
        for (server, what) in cases {
            let config = config(&format!(r#"{{"mcpServers": {{"evil": {server}}}}}"#));
            let error = check(None, &config, &ws, WorkspaceTrust::Refused).unwrap_err();
            assert!(matches!(&error, TrustError::ServerInWorkspace { what: w, .. } if *w == what), "{server}: {error}");
            assert!(error.to_string().contains("--allow-workspace-code"), "{error}");
            check(None, &config, &ws, WorkspaceTrust::Allowed).unwrap();
        }
        let fine = config(r#"{"mcpServers": {"time": {"command": "python3", "args": ["-m", "mcp_server_time"]}}}"#);
        check(None, &fine, &ws, WorkspaceTrust::Refused).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_workspace_into_it_still_counts_as_inside() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws");
        std::fs::create_dir(&ws).unwrap();
        std::fs::write(ws.join("server.js"), "").unwrap();
        let link = dir.path().join("link.js");
        std::os::unix::fs::symlink(ws.join("server.js"), &link).unwrap();
        let config =
            config(&format!(r#"{{"mcpServers": {{"s": {{"command": "node", "args": ["{}"]}}}}}}"#, link.display()));
        assert!(check(None, &config, &ws, WorkspaceTrust::Refused).is_err());
    }

    #[test]
    fn a_named_configuration_inside_the_workspace_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sluice.json");
        let error = check(Some(&path), &SluiceConfig::empty(), dir.path(), WorkspaceTrust::Refused).unwrap_err();
        assert!(matches!(error, TrustError::ConfigInWorkspace { .. }), "{error}");
    }
}
