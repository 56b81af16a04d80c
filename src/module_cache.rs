//! `ModuleCache`: compiled modules kept in memory and on disk, keyed by module hash and engine settings.
//!
//! This is the only module of the crate with `unsafe`: loading precompiled machine
//! code trusts the file it comes from. The invariant that makes it sound is below.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

/// Where a program's compiled code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompileSource {
    /// Compiled now (and written to the disk cache, if there is one).
    Compiled,
    /// Loaded from the disk cache.
    DiskCache,
    /// Already loaded in this process.
    MemoryCache,
}

pub(crate) struct ModuleCache {
    /// `<cache dir>/<engine tag>`, or `None` for no disk cache.
    dir: Option<PathBuf>,
    loaded: Mutex<HashMap<[u8; 32], Module>>,
}

impl ModuleCache {
    /// A cache for modules compiled by `engine`. Entries live under
    /// `root/<tag>/`, where the tag hashes everything that makes compiled code
    /// compatible (Wasmtime's version and every setting that affects codegen),
    /// so an engine never sees code another engine compiled.
    pub fn new(engine: &Engine, root: Option<&Path>) -> Self {
        let dir = root.map(|root| root.join(engine_tag(engine)));
        ModuleCache { dir, loaded: Mutex::new(HashMap::new()) }
    }

    /// Returns the compiled module for `wasm`, compiling it only when neither
    /// this process nor the disk cache has it. `compile` does the compiling.
    pub fn get_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
        compile: impl FnOnce() -> wasmtime::Result<Module>,
    ) -> wasmtime::Result<(Module, CompileSource)> {
        let key: [u8; 32] = Sha256::digest(wasm).into();
        if let Some(module) = self.loaded.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok((module.clone(), CompileSource::MemoryCache));
        }
        let path = self.dir.as_ref().map(|dir| dir.join(format!("{}.cwasm", hex(&key))));
        let (module, source) = match path.as_deref().and_then(|path| load_from_disk(engine, path)) {
            Some(module) => (module, CompileSource::DiskCache),
            None => {
                let module = compile()?;
                if let Some(path) = &path
                    && let Err(error) = store_on_disk(&module, path)
                {
                    tracing::warn!(path = %path.display(), %error, "could not write the compiled-module cache");
                }
                (module, CompileSource::Compiled)
            }
        };
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).insert(key, module.clone());
        Ok((module, source))
    }
}

fn load_from_disk(engine: &Engine, path: &Path) -> Option<Module> {
    let bytes = std::fs::read(path).ok()?;
    // SAFETY: `Module::deserialize` requires bytes produced by `Module::serialize`
    // of a compatible engine, unmodified. Files in this cache are only ever made by
    // `store_on_disk` from `Module::serialize`; each is written to a temporary file
    // and renamed into place, so a reader never sees a partial file; the cache
    // directory is created private to the user (0700) so no other user can plant
    // one; and the directory name is the engine's compatibility hash, so only a
    // compatible engine reads it. Wasmtime also checks the header's version and
    // settings and fails (rather than misbehaving) on a mismatch, which we treat
    // as a miss. We read the bytes into memory instead of mapping the file, so a
    // later change to the file cannot alter code already loaded.
    match unsafe { Module::deserialize(engine, &bytes) } {
        Ok(module) => Some(module),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "ignoring an unusable compiled-module cache entry");
            None
        }
    }
}

fn store_on_disk(module: &Module, path: &Path) -> std::io::Result<()> {
    let bytes = module.serialize().map_err(|e| std::io::Error::other(format!("{e:#}")))?;
    write_private(path, &bytes)
}

/// Writes `bytes` to `path` in a directory only this user can enter, through a
/// temporary file renamed into place, so no reader ever sees a partial file.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("cache entries live in a directory");
    create_private_dir(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_data()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// A stable name for everything that makes `engine`'s compiled code compatible.
fn engine_tag(engine: &Engine) -> String {
    struct Sha256Hasher(Sha256);
    impl Hasher for Sha256Hasher {
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
        fn finish(&self) -> u64 {
            unreachable!("only the digest is read")
        }
    }
    let mut hasher = Sha256Hasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let digest: [u8; 32] = hasher.0.finalize().into();
    format!("engine-{}", hex(&digest[..12]))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAT: &str = r#"(module (func (export "_start")))"#;

    #[test]
    fn a_second_cache_on_the_same_directory_loads_from_disk() {
        let engine = Engine::default();
        let dir = tempfile::tempdir().unwrap();
        let wasm = wat_bytes(WAT);
        let compile = || Module::new(&engine, &wasm);

        let first = ModuleCache::new(&engine, Some(dir.path()));
        assert_eq!(first.get_or_compile(&engine, &wasm, compile).unwrap().1, CompileSource::Compiled);
        assert_eq!(first.get_or_compile(&engine, &wasm, compile).unwrap().1, CompileSource::MemoryCache);

        let second = ModuleCache::new(&engine, Some(dir.path()));
        assert_eq!(second.get_or_compile(&engine, &wasm, compile).unwrap().1, CompileSource::DiskCache);
    }

    #[test]
    fn a_corrupt_entry_is_recompiled_and_replaced() {
        let engine = Engine::default();
        let dir = tempfile::tempdir().unwrap();
        let wasm = wat_bytes(WAT);
        let compile = || Module::new(&engine, &wasm);
        ModuleCache::new(&engine, Some(dir.path())).get_or_compile(&engine, &wasm, compile).unwrap();

        let entry = std::fs::read_dir(dir.path().join(engine_tag(&engine))).unwrap().next().unwrap().unwrap();
        std::fs::write(entry.path(), b"not a module").unwrap();
        let cache = ModuleCache::new(&engine, Some(dir.path()));
        assert_eq!(cache.get_or_compile(&engine, &wasm, compile).unwrap().1, CompileSource::Compiled);
        let fresh = ModuleCache::new(&engine, Some(dir.path()));
        assert_eq!(fresh.get_or_compile(&engine, &wasm, compile).unwrap().1, CompileSource::DiskCache);
    }

    #[cfg(unix)]
    #[test]
    fn the_cache_directory_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let engine = Engine::default();
        let dir = tempfile::tempdir().unwrap();
        let wasm = wat_bytes(WAT);
        ModuleCache::new(&engine, Some(dir.path()))
            .get_or_compile(&engine, &wasm, || Module::new(&engine, &wasm))
            .unwrap();
        let mode = std::fs::metadata(dir.path().join(engine_tag(&engine))).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }

    fn wat_bytes(text: &str) -> Vec<u8> {
        Module::new(&Engine::default(), text).unwrap();
        wat::parse_str(text).unwrap()
    }
}
