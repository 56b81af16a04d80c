//! ES module resolution and loading: a program's own files in `/workspace`, saved helpers in `/skills`, Node's `fs` and `path`, and nothing else.
//!
//! Files may be JavaScript, TypeScript (its types stripped by the host through
//! `sluice_v1`'s `strip_types_start`, with the main program's caps) or JSON
//! (the default export; `with { type: 'json' }` is accepted, not required).
//! A specifier without an extension tries `.ts`, `.js`, `.mjs`, `.mts`, `.json`, then
//! `/index.ts` and `/index.js`, as TypeScript's and bundlers' resolution does; a
//! missing `./x.js` may be `./x.ts` (TypeScript's convention for its own files).

use std::cell::RefCell;
use std::collections::HashMap;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::{Declarations, Exports, ModuleDef};
use rquickjs::{Ctx, Error, Module, Object, Persistent, Result, Value, module::Declared};

use crate::bindings;

/// Where a program's files live inside the sandbox.
const WORKSPACE: &str = "/workspace";
/// Where saved helpers are mounted (`sluice run --skills DIR`).
const SKILLS: &str = "/skills";
/// What an extensionless specifier may mean, tried in order.
const CANDIDATES: [&str; 7] = [".ts", ".js", ".mjs", ".mts", ".json", "/index.ts", "/index.js"];
/// Node's built-in modules Sluice provides, by every name a program may use.
const BUILTINS: [(&str, &str); 8] = [
    ("node:fs/promises", "node:fs/promises"),
    ("fs/promises", "node:fs/promises"),
    ("node:fs", "node:fs"),
    ("fs", "node:fs"),
    ("node:path", "node:path"),
    ("path", "node:path"),
    ("node:path/posix", "node:path"),
    ("path/posix", "node:path"),
];
/// Node's other built-in modules: named so a program importing one learns they do not exist here.
const NODE_MODULES: [&str; 24] = [
    "assert",
    "buffer",
    "child_process",
    "cluster",
    "crypto",
    "dgram",
    "dns",
    "events",
    "http",
    "http2",
    "https",
    "module",
    "net",
    "os",
    "process",
    "readline",
    "stream",
    "timers",
    "tls",
    "url",
    "util",
    "vm",
    "worker_threads",
    "zlib",
];

thread_local! {
    /// The API's objects behind each built-in module (`lib.builtins`), set once at initialisation.
    static BUILTIN_OBJECTS: RefCell<Option<Persistent<Object<'static>>>> = const { RefCell::new(None) };
    /// JSON modules' values, parsed by the loader and handed to [`Synthetic`] by module name.
    static JSON_VALUES: RefCell<HashMap<String, Persistent<Value<'static>>>> = RefCell::new(HashMap::new());
}

/// Keeps the API's built-in module objects for the loader.
pub fn set_builtins<'js>(ctx: &Ctx<'js>, builtins: Object<'js>) {
    BUILTIN_OBJECTS.with(|slot| *slot.borrow_mut() = Some(Persistent::save(ctx, builtins)));
}

/// The object behind built-in module `name`.
fn builtin<'js>(ctx: &Ctx<'js>, name: &str) -> Result<Object<'js>> {
    let builtins = BUILTIN_OBJECTS.with(|slot| slot.borrow().clone()).ok_or(Error::Unknown)?;
    builtins.restore(ctx)?.get(name)
}

/// A module made from a value rather than source: a built-in (its object's
/// properties as named exports, the object as the default) or a JSON file (the
/// value as the default).
struct Synthetic;

impl ModuleDef for Synthetic {
    fn declare<'js>(decl: &Declarations<'js>) -> Result<()> {
        let module = decl.module();
        let name: String = module.name()?;
        decl.declare("default")?;
        if name.starts_with("node:") {
            for key in builtin(module.ctx(), &name)?.keys::<String>() {
                decl.declare(key?)?;
            }
        }
        Ok(())
    }

    fn evaluate<'js>(ctx: &Ctx<'js>, exports: &Exports<'js>) -> Result<()> {
        let name: String = exports.module().name()?;
        if name.starts_with("node:") {
            let object = builtin(ctx, &name)?;
            for key in object.keys::<String>() {
                let key = key?;
                let value: Value = object.get(&key)?;
                exports.export(key, value)?;
            }
            exports.export("default", object)?;
        } else {
            // Kept, not taken: one file imported with and without `with { type: 'json' }` is two module records.
            let value = JSON_VALUES.with(|values| values.borrow().get(&name).cloned()).ok_or(Error::Unknown)?;
            exports.export("default", value.restore(ctx)?)?;
        }
        Ok(())
    }
}

/// Resolves `./x.js`, `../lib/y`, `/workspace/z.ts`, `/skills/helper` and
/// `skills/helper` against the importing module (the main program counts as
/// being in `/workspace`), and Node's `fs`, `fs/promises` and `path`; refuses
/// other bare specifiers and anything outside `/workspace` and `/skills`.
pub struct WorkspaceResolver;

impl Resolver for WorkspaceResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _: Option<ImportAttributes<'js>>,
    ) -> Result<String> {
        let refuse = |why: String| Err(Error::new_resolving_message(base, name, why));
        if let Some((_, builtin)) = BUILTINS.iter().find(|(alias, _)| *alias == name) {
            return Ok((*builtin).to_owned());
        }
        let bare = name.strip_prefix("node:").unwrap_or(name);
        if name.starts_with("node:") || NODE_MODULES.contains(&bare.split('/').next().unwrap_or(bare)) {
            return refuse(format!(
                "Node's '{bare}' module is not available in Sluice; the Node modules here are node:fs, \
                 node:fs/promises and node:path, and tools do the rest of the I/O (sluice.search finds one)"
            ));
        }
        let base_dir = match root_of(base) {
            Some(_) => base.rsplit_once('/').map_or(WORKSPACE, |(dir, _)| dir),
            None => WORKSPACE,
        };
        let joined = if name.starts_with('/') {
            name.to_owned()
        } else if name.starts_with("./") || name.starts_with("../") {
            format!("{base_dir}/{name}")
        } else if name.starts_with("skills/") {
            format!("/{name}")
        } else {
            return refuse(
                "only files in /workspace and /skills can be imported (there are no npm packages); use a path \
                 such as './helpers.js' or '/skills/helper.js'"
                    .to_owned(),
            );
        };
        let Some(path) = normalize(&joined).filter(|path| root_of(path).is_some()) else {
            return refuse(
                "it resolves outside /workspace and /skills; programs can import only files there".to_owned(),
            );
        };
        if is_file(&path) {
            return Ok(path);
        }
        if let Some(found) = CANDIDATES.iter().map(|ext| format!("{path}{ext}")).find(|candidate| is_file(candidate)) {
            return Ok(found);
        }
        // TypeScript's own convention: `./x.js` names `./x.ts` (and `.mjs`, `.mts`).
        for (written, source) in [(".js", ".ts"), (".mjs", ".mts")] {
            if let Some(stem) = path.strip_suffix(written)
                && is_file(&format!("{stem}{source}"))
            {
                return Ok(format!("{stem}{source}"));
            }
        }
        // Let the loader report the missing file with the OS's reason.
        Ok(path)
    }
}

fn is_file(path: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|metadata| metadata.is_file())
}

/// `/workspace` or `/skills`, if `path` lies in one.
fn root_of(path: &str) -> Option<&'static str> {
    [WORKSPACE, SKILLS]
        .into_iter()
        .find(|root| path.strip_prefix(root).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
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

/// Loads a resolved path from the sandbox's filesystem (the host's capability
/// checks apply again: a symlink out of the workspace fails here), or a built-in.
pub struct WorkspaceLoader;

impl Loader for WorkspaceLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        attributes: Option<ImportAttributes<'js>>,
    ) -> Result<Module<'js, Declared>> {
        if name.starts_with("node:") {
            return Module::declare_def::<Synthetic, _>(ctx.clone(), name);
        }
        let fail = |message: String| Error::new_loading_message(name, message);
        let declared_type = attributes.map(|a| a.get_type()).transpose()?.flatten();
        let is_json = name.ends_with(".json");
        match declared_type.as_deref() {
            None => {}
            Some("json") if is_json => {}
            Some(other) => {
                return Err(fail(format!(
                    "the import says `with {{ type: '{other}' }}`, but only JSON files (.json) take a type, and it is 'json'"
                )));
            }
        }
        let source = std::fs::read(name).map_err(|error| fail(missing_root(name).unwrap_or_else(|| error.to_string())))?;
        if is_json {
            let value = ctx.json_parse(source).map_err(|_| fail(format!("not valid JSON: {}", describe(ctx))))?;
            JSON_VALUES.with(|values| values.borrow_mut().insert(name.to_owned(), Persistent::save(ctx, value)));
            return Module::declare_def::<Synthetic, _>(ctx.clone(), name);
        }
        if name.ends_with(".ts") || name.ends_with(".mts") {
            let Ok(text) = String::from_utf8(source) else {
                return Err(fail("a TypeScript file must be UTF-8 text".to_owned()));
            };
            let javascript = bindings::strip_types(ctx, name, &text)?;
            return Module::declare(ctx.clone(), name, javascript);
        }
        Module::declare(ctx.clone(), name, source)
    }
}

/// The pending exception's message (after a failed JSON parse).
fn describe(ctx: &Ctx<'_>) -> String {
    let error = ctx.catch();
    error
        .as_object()
        .and_then(|object| object.get::<_, String>("message").ok())
        .unwrap_or_else(|| "unreadable".to_owned())
}

/// Why `path` cannot be read when its root is not mounted in this run.
fn missing_root(path: &str) -> Option<String> {
    let root = root_of(path)?;
    if std::fs::metadata(root).is_ok() {
        return None;
    }
    Some(match root {
        SKILLS => "this run has no /skills directory: start it with `sluice run --skills DIR` to mount saved helpers there"
            .to_owned(),
        _ => "this run has no workspace: its host granted no directory".to_owned(),
    })
}
