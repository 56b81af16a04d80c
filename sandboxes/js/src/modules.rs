//! ES module resolution confined to `/workspace`: programs import their own saved helpers, and nothing else.

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::{Ctx, Error, Module, Result, module::Declared};

/// Where a program's files live inside the sandbox.
const WORKSPACE: &str = "/workspace";

/// Resolves `./x.js`, `../lib/y.js` and `/workspace/z.js` against the importing
/// module (the main program counts as being in `/workspace`); refuses bare
/// specifiers and anything that lands outside `/workspace`.
pub struct WorkspaceResolver;

impl Resolver for WorkspaceResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _: Option<ImportAttributes<'js>>,
    ) -> Result<String> {
        let refuse = |why: &str| Err(Error::new_resolving_message(base, name, why));
        let base_dir = match base.strip_prefix(WORKSPACE).filter(|rest| rest.starts_with('/')) {
            Some(_) => base.rsplit_once('/').map_or(WORKSPACE, |(dir, _)| dir),
            None => WORKSPACE,
        };
        let joined = if name.starts_with('/') {
            name.to_owned()
        } else if name.starts_with("./") || name.starts_with("../") {
            format!("{base_dir}/{name}")
        } else {
            return refuse("only files in /workspace can be imported; use a relative path such as './helpers.js'");
        };
        match normalize(&joined) {
            Some(path) if path.starts_with("/workspace/") => Ok(path),
            _ => refuse("it resolves outside /workspace; programs can import only files in /workspace"),
        }
    }
}

/// Resolves `.` and `..` in an absolute path; `None` if `..` climbs above `/`.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// Loads a resolved `/workspace/...` path from the sandbox's filesystem (the
/// host's capability checks apply again: a symlink out of the workspace fails here).
pub struct WorkspaceLoader;

impl Loader for WorkspaceLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _: Option<ImportAttributes<'js>>,
    ) -> Result<Module<'js, Declared>> {
        let source = std::fs::read(name).map_err(|error| Error::new_loading_message(name, error.to_string()))?;
        Module::declare(ctx.clone(), name, source)
    }
}
