//! `ModuleCache`: compiled modules kept in memory and on disk, keyed by module hash and engine settings.
//!
//! This is the only module of the crate with `unsafe`: loading precompiled machine
//! code trusts the bytes it is given. What makes that sound:
//!
//! - **The directory is private.** The cache root and everything under it are
//!   created 0700 by us; an existing root, and every directory above it, must be
//!   owned by this user (or root) and not writable by others (unless sticky, as
//!   `/tmp` is). A directory that fails the check is not used: a warning, and
//!   compiled code is kept in memory only.
//! - **Every entry is sealed to its name.** A MAC (BLAKE3 in keyed mode) under
//!   a per-user key (`<root>/key`, 0600, made on first use) covers the entry's
//!   kind, its name (the module's SHA-256 and the engine's compatibility tag)
//!   and its bytes. Compiled code is deserialised only after its MAC checks out,
//!   so a file planted under a program's hash, or another program's entry copied
//!   over it, is a miss, not foreign code. Most entries are `MAGIC`, the MAC,
//!   then the bytes, read whole into memory.
//! - **Compiled code is mapped, not copied.** A compiled module is its
//!   `Module::serialize` bytes alone in `<name>.cwasm`, its seal in
//!   `<name>.cwasm.seal`. The file is opened once (a regular file of ours,
//!   writable by no one else), checked through that descriptor, and the same
//!   descriptor handed to `Module::deserialize_open_file`, which maps it: code
//!   and the linear memory's initial image come straight from the page cache,
//!   shared by every process, instead of being read, copied and copied again (a
//!   third of a cold `sluice run`). Mapping needs the file not to change while
//!   mapped, which holds because nothing writes an entry in place.
//! - **A compiled entry's seal also names its file.** Besides the MAC of the
//!   bytes, the seal holds a second MAC, over that one and the file's identity:
//!   device, inode, size, and change and modification times, as `fstat` gives
//!   them on the opened descriptor. A file whose identity checks out is the very
//!   inode Sluice wrote (or read whole and checked) and sealed, unchanged since:
//!   any write to it, in place or by rename, moves its change time (which no
//!   unprivileged process can set; on ext4, XFS, Btrfs and tmpfs, Linux 6.13
//!   and later give it a distinct fine-grained value once it has been read, as
//!   sealing does, where older kernels move it by clock ticks). Such a file is
//!   not read again: hashing the interpreter's 6 MiB was a fifth of a cold
//!   start. A file whose identity does not check out (copied, restored, or a
//!   filesystem that renumbers inodes) is read whole through the descriptor and
//!   its bytes checked against the first MAC; if they match, it is sealed again
//!   under its new identity.
//! - **Entries are written atomically** (a private temporary file renamed into
//!   place: a new inode, so a mapped old one never changes).

use std::collections::HashMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
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

/// The first bytes of every entry; a change of layout (or of MAC) changes it.
/// Version 1 entries (HMAC-SHA256) are misses, rewritten on first use.
const MAGIC: &[u8; 8] = b"sluice\x02\n";
/// Bytes of the MAC after [`MAGIC`].
const MAC_BYTES: usize = 32;
/// The first bytes of a compiled module's seal file, before the MAC of its
/// bytes and the MAC of its identity ([`DiskCache::identity`]).
const SEAL_MAGIC: &[u8; 8] = b"sluice\x04s";
/// The first bytes of a seal without an identity (Sluice before identities):
/// its bytes are checked, and it is sealed again with one.
const SEAL_MAGIC_BYTES_ONLY: &[u8; 8] = b"sluice\x03s";
/// Bytes of a compiled module's seal file.
const SEAL_BYTES: usize = SEAL_MAGIC.len() + 2 * MAC_BYTES;
/// Bytes read at once while hashing a compiled module's file.
const HASH_CHUNK: usize = 256 << 10;
/// The largest entry read back (a compiled JavaScript interpreter is ~10 MiB).
const MAX_ENTRY_BYTES: u64 = 1 << 30;
/// Bytes of the per-user key.
const KEY_BYTES: usize = 32;

/// What kind of bytes an entry holds; part of what its MAC covers, so an entry
/// of one kind is never taken for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// Native code from `Module::serialize`, under the engine tag's directory.
    CompiledModule,
    /// The pre-initialised JavaScript interpreter (WebAssembly, compiled like any program).
    Interpreter,
    /// An MCP server's tool list (JSON), under `tools/` ([`SealedEntries`]).
    ToolList,
}

impl EntryKind {
    fn label(self) -> &'static str {
        match self {
            EntryKind::CompiledModule => "compiled-module",
            EntryKind::Interpreter => "interpreter",
            EntryKind::ToolList => "tool-list",
        }
    }
}

pub(crate) struct ModuleCache {
    disk: Option<DiskCache>,
    loaded: Mutex<HashMap<[u8; 32], Module>>,
}

/// A cache directory that passed the ownership checks, and the key that seals its entries.
struct DiskCache {
    root: PathBuf,
    /// `Module::precompile_compatibility_hash`, as a directory name.
    engine_tag: String,
    key: [u8; KEY_BYTES],
}

impl ModuleCache {
    /// A cache for modules compiled by `engine`, on disk under `root` when that
    /// directory is (or can be made) private to this user; otherwise in memory
    /// only, with a warning saying why. Compiled code lives under
    /// `root/<engine tag>/`, the tag hashing everything that makes compiled code
    /// compatible, so an engine never sees code another engine compiled.
    pub fn new(engine: &Engine, root: Option<&Path>) -> Self {
        let disk = root.and_then(|root| match DiskCache::open(root, engine_tag(engine), &[ENGINE_DIR, "js"]) {
            Ok(disk) => Some(disk),
            Err(reason) => {
                tracing::warn!("not caching compiled code in {}: {reason}; compiling in memory only", root.display());
                None
            }
        });
        ModuleCache { disk, loaded: Mutex::new(HashMap::new()) }
    }

    /// Whether entries are read from and written to disk.
    #[cfg(test)]
    fn uses_disk(&self) -> bool {
        self.disk.is_some()
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
        let file = format!("{}.cwasm", hex(&key));
        let (module, source) = match self.read_compiled(engine, &file) {
            Some(module) => (module, CompileSource::DiskCache),
            None => {
                let module = compile()?;
                self.write_compiled(&file, &module);
                (module, CompileSource::Compiled)
            }
        };
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).insert(key, module.clone());
        Ok((module, source))
    }

    /// The module kept under `name` by [`ModuleCache::put_named`] (in this process
    /// or, sealed like every entry, on disk), if there is one. A name stands for
    /// what was compiled, as the JavaScript interpreter's hash does for its
    /// pre-initialised module: a hit skips reading and hashing that module.
    pub fn get_named(&self, engine: &Engine, name: &str) -> Option<(Module, CompileSource)> {
        let key = named_key(name);
        if let Some(module) = self.loaded.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Some((module.clone(), CompileSource::MemoryCache));
        }
        let module = self.read_compiled(engine, &format!("{name}.cwasm"))?;
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).insert(key, module.clone());
        Some((module, CompileSource::DiskCache))
    }

    /// Keeps `module` under `name` as well, for [`ModuleCache::get_named`].
    pub fn put_named(&self, name: &str, module: &Module) {
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).insert(named_key(name), module.clone());
        self.write_compiled(&format!("{name}.cwasm"), module);
    }

    /// The compiled module in the disk cache's entry `file`, if there is one and its seal checks out.
    fn read_compiled(&self, engine: &Engine, file: &str) -> Option<Module> {
        let disk = self.disk.as_ref()?;
        let path = disk.path(EntryKind::CompiledModule, file);
        let code = disk.open_compiled(file)?;
        deserialize(engine, code, &path)
    }

    /// Writes `module` to the disk cache's entry `file` (a no-op without a disk cache).
    fn write_compiled(&self, file: &str, module: &Module) {
        if let Some(disk) = &self.disk {
            match module.serialize() {
                Ok(bytes) => disk.write_compiled(file, &bytes),
                Err(error) => tracing::warn!(%error, "could not serialise a compiled module for the cache"),
            }
        }
    }

    /// The bytes cached under `kind`/`name`, if an entry exists and its seal checks out.
    pub fn read_entry(&self, kind: EntryKind, name: &str) -> Option<Vec<u8>> {
        self.disk.as_ref()?.read(kind, name)
    }

    /// Caches `bytes` under `kind`/`name` (a no-op without a disk cache).
    pub fn write_entry(&self, kind: EntryKind, name: &str, bytes: &[u8]) {
        if let Some(disk) = &self.disk {
            disk.write(kind, name, bytes);
        }
    }
}

/// The in-memory key of a named module: never the SHA-256 of a module's bytes,
/// which is what [`ModuleCache::get_or_compile`] keys by.
fn named_key(name: &str) -> [u8; 32] {
    Sha256::new().chain_update(b"named module\0").chain_update(name.as_bytes()).finalize().into()
}

/// A compiled module's file, opened once and verified through that descriptor
/// by [`DiskCache::open_compiled`]; only it can make one.
struct VerifiedCode(File);

/// Loads compiled code that [`DiskCache::open_compiled`] has verified.
fn deserialize(engine: &Engine, code: VerifiedCode, path: &Path) -> Option<Module> {
    // SAFETY: `Module::deserialize_open_file` requires a file holding what
    // `Module::serialize` of a compatible engine produced, unchanged for as long
    // as the module lives (it is mapped, not read). What: the descriptor comes
    // only from `DiskCache::open_compiled`, which opened a regular file owned by
    // this user and writable by no one else, in a directory private to this user,
    // and checked through this very descriptor a keyed BLAKE3 MAC, under a key
    // that exists only in that directory, over its kind (compiled module), name
    // (the SHA-256 of the WebAssembly it came from, or a name given by
    // `put_named`), engine tag and every byte: either by reading every byte, or
    // by finding the file to be the inode for which Sluice made that MAC (or
    // checked it), unchanged since (a second MAC over the first and the
    // descriptor's device, inode, size, and change and modification times). Only
    // `DiskCache::write_compiled`, given the output of this engine's
    // `Module::serialize`, makes the first MAC; only it and a check of every
    // byte make the second. For how long: entries are only ever replaced by renaming a new file over the
    // name, never written in place, so the inode behind the descriptor keeps its
    // bytes; other users cannot write it (owner and mode checked on this
    // descriptor). A process of this same user could, but it could as well
    // rewrite the key or this binary: the cache defends against other users and
    // against files Sluice did not write, not against its own user. Wasmtime also
    // checks the header's version and settings and fails (rather than
    // misbehaving) on a mismatch, which is a miss.
    #[allow(unsafe_code)]
    let module = unsafe { Module::deserialize_open_file(engine, code.0) };
    match module {
        Ok(module) => Some(module),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "ignoring an unusable compiled-module cache entry");
            None
        }
    }
}

impl DiskCache {
    /// Checks (creating what is missing, 0700) the root and the engine's
    /// directory, and reads or makes the key. `Err` says why the directory is not
    /// safe to take compiled code from.
    fn open(root: &Path, engine_tag: String, dirs: &[&str]) -> Result<DiskCache, String> {
        let root = if root.is_absolute() {
            root.to_owned()
        } else {
            std::env::current_dir().map_err(|e| format!("cannot resolve a relative path: {e}"))?.join(root)
        };
        ensure_private_dir(&root)?;
        for dir in dirs {
            ensure_private_dir(&root.join(if *dir == ENGINE_DIR { engine_tag.as_str() } else { dir }))?;
        }
        let key = read_or_make_key(&root.join("key"))?;
        Ok(DiskCache { root, engine_tag, key })
    }

    fn path(&self, kind: EntryKind, name: &str) -> PathBuf {
        match kind {
            EntryKind::CompiledModule => self.root.join(&self.engine_tag).join(name),
            EntryKind::Interpreter => self.root.join("js").join(name),
            EntryKind::ToolList => self.root.join("tools").join(name),
        }
    }

    /// The MAC of an entry: over its kind, the engine tag, its name and its bytes
    /// (each field length-prefixed, so no two entries' inputs run together).
    fn seal(&self, kind: EntryKind, name: &str, bytes: &[u8]) -> blake3::Hash {
        let mut mac = self.mac(kind, name);
        mac.update(bytes);
        mac.finalize()
    }

    /// The MAC of an entry of `kind` named `name`, before its bytes.
    fn mac(&self, kind: EntryKind, name: &str) -> blake3::Hasher {
        self.labelled_mac(kind.label(), name)
    }

    /// A keyed MAC over `label`, the engine tag and `name`, each length-prefixed
    /// (as [`add_field`] adds any field after them).
    fn labelled_mac(&self, label: &str, name: &str) -> blake3::Hasher {
        let mut mac = blake3::Hasher::new_keyed(&self.key);
        for field in [label.as_bytes(), self.engine_tag.as_bytes(), name.as_bytes()] {
            add_field(&mut mac, field);
        }
        mac
    }

    /// Reads and verifies an entry; any problem is a miss (logged when it is more
    /// than the entry not existing).
    fn read(&self, kind: EntryKind, name: &str) -> Option<Vec<u8>> {
        self.read_at_most(kind, name, MAX_ENTRY_BYTES)
    }

    /// [`DiskCache::read`] of an entry of at most `max` bytes (header included); a larger one is a miss.
    fn read_at_most(&self, kind: EntryKind, name: &str, max: u64) -> Option<Vec<u8>> {
        let path = self.path(kind, name);
        // The header apart from the bytes, so they need no shifting into place (~5 MiB for the interpreter).
        let mut header = [0; MAGIC.len() + MAC_BYTES];
        let bytes = match open_own_file(&path, max).and_then(|file| read_entry_file(file, &mut header, max)) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                tracing::warn!(path = %path.display(), "ignoring a cache entry too short to be one");
                return None;
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "ignoring a cache entry");
                return None;
            }
        };
        let (magic, tag) = header.split_at(MAGIC.len());
        if magic != MAGIC {
            // Another version's entry (Sluice before the MAC changed, or after): a plain miss.
            tracing::debug!(path = %path.display(), "ignoring a cache entry of another format");
            return None;
        }
        // `blake3::Hash`'s equality is constant-time.
        let valid =
            <[u8; MAC_BYTES]>::try_from(tag).is_ok_and(|tag| self.seal(kind, name, &bytes) == blake3::Hash::from(tag));
        if !valid {
            tracing::warn!(path = %path.display(), "ignoring a cache entry that Sluice did not write for this name");
            return None;
        }
        Some(bytes)
    }

    /// Opens compiled entry `name` and checks its seal (`<name>.seal`) through
    /// the returned descriptor: its identity, or failing that its bytes (read
    /// whole, then sealed again under the identity they have now). Any problem
    /// is a miss.
    fn open_compiled(&self, name: &str) -> Option<VerifiedCode> {
        let path = self.path(EntryKind::CompiledModule, name);
        let seal_path = seal_path(&path);
        let verified = (|| {
            let seal_file = open_own_file(&seal_path, SEAL_BYTES as u64)?;
            let mut seal = Vec::with_capacity(SEAL_BYTES);
            seal_file.take(SEAL_BYTES as u64).read_to_end(&mut seal)?;
            let mut file = open_own_file(&path, MAX_ENTRY_BYTES)?;
            let (bytes_tag, identity_tag) = match seal.split_at_checked(SEAL_MAGIC.len()) {
                Some((magic, tags)) if magic == SEAL_MAGIC && tags.len() == 2 * MAC_BYTES => {
                    let (bytes_tag, identity_tag) = tags.split_at(MAC_BYTES);
                    (mac_from(bytes_tag), Some(mac_from(identity_tag)))
                }
                Some((magic, tag)) if magic == SEAL_MAGIC_BYTES_ONLY && tag.len() == MAC_BYTES => (mac_from(tag), None),
                _ => return Ok(None),
            };
            // `blake3::Hash`'s equality is constant-time.
            if let (Some(tag), Some(identity)) = (identity_tag, self.identity(name, &bytes_tag, &file.metadata()?))
                && tag == blake3::Hash::from(identity)
            {
                return Ok(Some(VerifiedCode(file)));
            }
            let mut mac = self.mac(EntryKind::CompiledModule, name);
            let mut chunk = vec![0; HASH_CHUNK];
            let mut read = 0u64;
            loop {
                let n = file.read(&mut chunk)?;
                if n == 0 {
                    break;
                }
                read += n as u64;
                if read > MAX_ENTRY_BYTES {
                    return Err(too_large(MAX_ENTRY_BYTES));
                }
                mac.update(&chunk[..n]);
            }
            if mac.finalize() != bytes_tag {
                return Ok(None);
            }
            // The bytes are the ones sealed, in a file Sluice did not seal (a
            // copy, say): sealed again, the next process need not read them.
            if let Err(error) = self.write_seal(&path, name, &bytes_tag, &file) {
                tracing::warn!(path = %seal_path.display(), %error, "could not seal a cache entry again");
            }
            Ok::<_, std::io::Error>(Some(VerifiedCode(file)))
        })();
        match verified {
            Ok(Some(code)) => Some(code),
            Ok(None) => {
                tracing::warn!(path = %path.display(), "ignoring a cache entry that Sluice did not write for this name");
                None
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "ignoring a cache entry");
                None
            }
        }
    }

    /// The MAC of compiled entry `name`'s file as `metadata` describes it, and
    /// of `bytes_tag`, the MAC of its bytes: a file with the same device, inode,
    /// size and times has not been written since it was sealed (the module
    /// documentation says why). `None` without Unix metadata, which says too
    /// little: there, every entry's bytes are read and checked.
    fn identity(&self, name: &str, bytes_tag: &blake3::Hash, metadata: &std::fs::Metadata) -> Option<[u8; MAC_BYTES]> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let mut mac = self.labelled_mac(IDENTITY_LABEL, name);
            add_field(&mut mac, bytes_tag.as_bytes());
            let times = [metadata.ctime(), metadata.ctime_nsec(), metadata.mtime(), metadata.mtime_nsec()];
            for field in [metadata.dev(), metadata.ino(), metadata.size()].into_iter().chain(times.map(|t| t as u64)) {
                mac.update(&field.to_le_bytes());
            }
            Some(*mac.finalize().as_bytes())
        }
        #[cfg(not(unix))]
        {
            let _ = (name, bytes_tag, metadata);
            None
        }
    }

    /// A compiled entry's seal: [`SEAL_MAGIC`], the MAC of its bytes, the MAC of
    /// its file's identity (zeros where there is none, never taken for one).
    fn write_seal(&self, path: &Path, name: &str, bytes_tag: &blake3::Hash, file: &File) -> std::io::Result<()> {
        let identity = self.identity(name, bytes_tag, &file.metadata()?).unwrap_or([0; MAC_BYTES]);
        write_atomically(&seal_path(path), &[SEAL_MAGIC, bytes_tag.as_bytes(), &identity]).map(drop)
    }

    /// Writes compiled entry `name` (the bytes alone, then their seal beside
    /// them), each atomically; a failure is logged, never fatal. A reader that
    /// finds the new bytes with the old seal has a miss, and rewrites both.
    fn write_compiled(&self, name: &str, bytes: &[u8]) {
        let path = self.path(EntryKind::CompiledModule, name);
        let bytes_tag = self.seal(EntryKind::CompiledModule, name, bytes);
        // Sealed with the file's identity after the rename, which moves its change time.
        let written =
            write_atomically(&path, &[bytes]).and_then(|file| self.write_seal(&path, name, &bytes_tag, &file));
        if let Err(error) = written {
            tracing::warn!(path = %path.display(), %error, "could not write a cache entry");
        }
    }

    /// Writes an entry atomically; a failure is logged, never fatal.
    fn write(&self, kind: EntryKind, name: &str, bytes: &[u8]) {
        let path = self.path(kind, name);
        if let Err(error) = write_atomically(&path, &[MAGIC, self.seal(kind, name, bytes).as_bytes(), bytes]).map(drop)
        {
            tracing::warn!(path = %path.display(), %error, "could not write a cache entry");
        }
    }
}

/// Writes `parts` to `path` through a private temporary file renamed over it:
/// a reader (or a mapping) of the old file keeps the old bytes.
fn write_atomically(path: &Path, parts: &[&[u8]]) -> std::io::Result<File> {
    let dir = path.parent().expect("entries live in a directory");
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    for part in parts {
        file.write_all(part)?;
    }
    file.as_file().sync_data()?;
    file.persist(path).map_err(|e| e.error)
}

/// Where the seal of the compiled entry at `path` is kept.
fn seal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".seal");
    PathBuf::from(name)
}

/// The label of [`DiskCache::identity`]'s MAC, apart from every [`EntryKind::label`].
const IDENTITY_LABEL: &str = "compiled-module-file";

/// Adds `field` to `mac` after its length, so no two fields run together.
fn add_field(mac: &mut blake3::Hasher, field: &[u8]) {
    mac.update(&(field.len() as u64).to_le_bytes());
    mac.update(field);
}

/// A MAC as read from a seal of [`MAC_BYTES`].
fn mac_from(bytes: &[u8]) -> blake3::Hash {
    blake3::Hash::from(<[u8; MAC_BYTES]>::try_from(bytes).expect("a MAC is MAC_BYTES long"))
}

/// Stands for the engine tag's directory in [`DiskCache::open`]'s list.
const ENGINE_DIR: &str = "<engine>";
/// The seal's engine field for entries that no engine reads.
const NO_ENGINE: &str = "no-engine";

/// Sealed entries that are not compiled code (tool lists), in the same private
/// cache directory, checked and keyed exactly as compiled modules are.
pub(crate) struct SealedEntries {
    disk: DiskCache,
    kind: EntryKind,
}

impl SealedEntries {
    /// Entries of `kind` under `root` (made private if missing); `Err` says why the directory is not used.
    pub(crate) fn open(root: &Path, kind: EntryKind) -> Result<SealedEntries, String> {
        let dir = match kind {
            EntryKind::ToolList => "tools",
            EntryKind::CompiledModule | EntryKind::Interpreter => {
                return Err("compiled code is kept by ModuleCache".to_owned());
            }
        };
        Ok(SealedEntries { disk: DiskCache::open(root, NO_ENGINE.to_owned(), &[dir])?, kind })
    }

    /// The bytes of entry `name`, if it exists, is at most `max` bytes and its seal checks out.
    pub(crate) fn read(&self, name: &str, max: u64) -> Option<Vec<u8>> {
        self.disk.read_at_most(self.kind, name, max.saturating_add((MAGIC.len() + MAC_BYTES) as u64))
    }

    /// Writes entry `name`, sealed; a failure is logged.
    pub(crate) fn write(&self, name: &str, bytes: &[u8]) {
        self.disk.write(self.kind, name, bytes);
    }

    /// Removes entry `name`, if there is one.
    pub(crate) fn remove(&self, name: &str) {
        let path = self.disk.path(self.kind, name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!(path = %path.display(), %error, "could not remove a cache entry"),
        }
    }
}

/// Makes `dir` (and missing parents) with mode 0700, or checks the existing one,
/// and checks every directory above it: see [`check_dir`].
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), String> {
    for ancestor in dir.ancestors().skip(1).collect::<Vec<_>>().into_iter().rev() {
        match std::fs::metadata(ancestor) {
            Ok(metadata) => check_dir(ancestor, &metadata, false)?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                create_private_dir(ancestor)?;
                check_dir(ancestor, &std::fs::symlink_metadata(ancestor).map_err(|e| io(ancestor, e))?, true)?;
            }
            Err(error) => return Err(io(ancestor, error)),
        }
    }
    match std::fs::symlink_metadata(dir) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => create_private_dir(dir)?,
        Err(error) => return Err(io(dir, error)),
        Ok(_) => {}
    }
    check_dir(dir, &std::fs::symlink_metadata(dir).map_err(|e| io(dir, e))?, true)
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        // Another process may have made it first; the check that follows decides.
        Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => Err(io(dir, error)),
        _ => Ok(()),
    }
}

/// A directory is safe to hold (or lead to) compiled code when no other user
/// can change what it holds: it is a directory, owned by this user or by root,
/// and not writable by group or others, unless it is sticky (as `/tmp` is, where
/// others cannot rename or remove what we made). The cache's own directories
/// (`own`) must be owned by this user, may not be symlinks and may not be
/// writable by anyone else, sticky or not.
#[cfg(unix)]
fn check_dir(dir: &Path, metadata: &std::fs::Metadata, own: bool) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let me = current_uid();
    let mode = metadata.mode();
    if own && metadata.file_type().is_symlink() {
        return Err(format!("{} is a symbolic link", dir.display()));
    }
    if !metadata.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    let owner = metadata.uid();
    if owner != me && (own || owner != 0) {
        return Err(format!("{} is owned by user {owner}, not by this user ({me})", dir.display()));
    }
    let sticky = mode & 0o1000 != 0;
    if mode & 0o022 != 0 && (own || !sticky) {
        return Err(format!("{} is writable by other users (mode {:o})", dir.display(), mode & 0o7777));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_dir(dir: &Path, metadata: &std::fs::Metadata, _own: bool) -> Result<(), String> {
    if !metadata.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    Ok(())
}

/// The uid of this process, as the owner of the files it creates.
#[cfg(unix)]
fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    // A file we just made tells without `unsafe` or a libc call.
    static UID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UID.get_or_init(|| tempfile::tempfile().and_then(|file| file.metadata()).map(|m| m.uid()).unwrap_or(u32::MAX))
}

/// Reads the key in `path`, or makes one (0600, exclusive create) if there is none.
fn read_or_make_key(path: &Path) -> Result<[u8; KEY_BYTES], String> {
    match read_own_file(path, KEY_BYTES as u64) {
        Ok(bytes) => {
            return bytes.try_into().map_err(|_| format!("{} is not a {KEY_BYTES} byte key", path.display()));
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(io(path, error)),
    }
    let mut key = [0u8; KEY_BYTES];
    getrandom::fill(&mut key).map_err(|e| format!("no entropy for a cache key: {e}"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(&key).and_then(|()| file.sync_all()).map_err(|e| io(path, e))?;
            Ok(key)
        }
        // Another process made it between our read and our create: use theirs.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => read_or_make_key_once(path),
        Err(error) => Err(io(path, error)),
    }
}

fn read_or_make_key_once(path: &Path) -> Result<[u8; KEY_BYTES], String> {
    let bytes = read_own_file(path, KEY_BYTES as u64).map_err(|e| io(path, e))?;
    bytes.try_into().map_err(|_| format!("{} is not a {KEY_BYTES} byte key", path.display()))
}

/// Reads a regular file that this user owns and no one else can write, at most
/// `max` bytes. A symlink, another owner, a group- or world-writable mode, or a
/// larger file is an error (`InvalidData`).
pub(crate) fn read_own_file(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let bytes = read_entry_file(open_own_file(path, max)?, &mut [], max)?;
    Ok(bytes.expect("an empty header is always read"))
}

/// Reads a file as [`read_own_file`] does, which no one else may read either
/// (a secret's file): its mode is checked on the descriptor that is read.
pub(crate) fn read_private_file(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let file = open_own_file(path, max)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mode = file.metadata()?.mode();
        if mode & 0o077 != 0 {
            let why = format!("it is readable or writable by other users (mode {:o})", mode & 0o7777);
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, why));
        }
    }
    let bytes = read_entry_file(file, &mut [], max)?;
    Ok(bytes.expect("an empty header is always read"))
}

/// An entry's `header`, filled, and the bytes after it; `None` if the file is shorter than a header.
fn read_entry_file(file: File, header: &mut [u8], max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let length = file.metadata()?.len();
    let mut file = file.take(max + 1);
    match file.read_exact(header) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let mut bytes = Vec::with_capacity(length.saturating_sub(header.len() as u64) as usize);
    file.read_to_end(&mut bytes)?;
    if (header.len() + bytes.len()) as u64 > max {
        return Err(too_large(max));
    }
    Ok(Some(bytes))
}

/// Opens a regular file of this user's, writable by no one else, of at most `max` bytes.
fn open_own_file(path: &Path, max: u64) -> std::io::Result<File> {
    let invalid = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidData, why);
    let before = std::fs::symlink_metadata(path)?;
    if !before.file_type().is_file() {
        return Err(invalid("it is not a regular file".to_owned()));
    }
    let file = File::open(path)?;
    let metadata = file.metadata()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (metadata.dev(), metadata.ino()) != (before.dev(), before.ino()) {
            return Err(invalid("it changed while being opened".to_owned()));
        }
        if metadata.uid() != current_uid() {
            return Err(invalid(format!("it is owned by user {}", metadata.uid())));
        }
        if metadata.mode() & 0o022 != 0 {
            return Err(invalid(format!("it is writable by other users (mode {:o})", metadata.mode() & 0o7777)));
        }
    }
    if metadata.len() > max {
        return Err(too_large(max));
    }
    Ok(file)
}

fn too_large(max: u64) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("it is larger than {max} bytes"))
}

fn io(path: &Path, error: std::io::Error) -> String {
    format!("{}: {error}", path.display())
}

/// The lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
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

/// Lower-case hexadecimal of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAT: &str = r#"(module (func (export "_start")))"#;
    const OTHER_WAT: &str = r#"(module (func (export "_start") (export "other")))"#;

    fn cache_on(dir: &Path) -> (Engine, ModuleCache) {
        let engine = Engine::default();
        let cache = ModuleCache::new(&engine, Some(dir));
        (engine, cache)
    }

    fn entry_path(engine: &Engine, root: &Path, wasm: &[u8]) -> PathBuf {
        root.join(engine_tag(engine)).join(format!("{}.cwasm", sha256_hex(wasm)))
    }

    #[test]
    fn a_second_cache_on_the_same_directory_loads_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, first) = cache_on(dir.path());
        let wasm = wat_bytes(WAT);
        let compile = || Module::new(&engine, &wasm);
        assert_eq!(first.get_or_compile(&engine, &wasm, compile).unwrap().1, CompileSource::Compiled);
        assert_eq!(first.get_or_compile(&engine, &wasm, compile).unwrap().1, CompileSource::MemoryCache);

        let second = ModuleCache::new(&engine, Some(dir.path()));
        assert_eq!(second.get_or_compile(&engine, &wasm, compile).unwrap().1, CompileSource::DiskCache);
    }

    #[test]
    fn a_corrupt_entry_is_recompiled_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cache) = cache_on(dir.path());
        let wasm = wat_bytes(WAT);
        let compile = || Module::new(&engine, &wasm);
        cache.get_or_compile(&engine, &wasm, compile).unwrap();

        std::fs::write(entry_path(&engine, dir.path(), &wasm), b"not a module").unwrap();
        let cache = ModuleCache::new(&engine, Some(dir.path()));
        assert_eq!(cache.get_or_compile(&engine, &wasm, compile).unwrap().1, CompileSource::Compiled);
        let fresh = ModuleCache::new(&engine, Some(dir.path()));
        assert_eq!(fresh.get_or_compile(&engine, &wasm, compile).unwrap().1, CompileSource::DiskCache);
    }

    /// The attack: compiled code planted under a program's hash. Here it is the
    /// real, valid compiled code of another module, written by Wasmtime itself,
    /// both bare and as a whole entry of ours copied across: neither may load.
    #[test]
    fn compiled_code_planted_under_a_programs_hash_is_never_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cache) = cache_on(dir.path());
        let wasm = wat_bytes(WAT);
        let other = wat_bytes(OTHER_WAT);
        cache.get_or_compile(&engine, &other, || Module::new(&engine, &other)).unwrap();
        let target = entry_path(&engine, dir.path(), &wasm);

        let bare = Module::new(&engine, &other).unwrap().serialize().unwrap();
        let source = entry_path(&engine, dir.path(), &other);
        let (copied, copied_seal) = (std::fs::read(&source).unwrap(), std::fs::read(seal_path(&source)).unwrap());
        for (planted, seal) in [(bare, None), (copied, Some(copied_seal))] {
            std::fs::write(&target, &planted).unwrap();
            if let Some(seal) = seal {
                std::fs::write(seal_path(&target), seal).unwrap();
            }
            let cache = ModuleCache::new(&engine, Some(dir.path()));
            let (module, source) = cache.get_or_compile(&engine, &wasm, || Module::new(&engine, &wasm)).unwrap();
            assert_eq!(source, CompileSource::Compiled, "a planted entry must be a miss");
            assert!(module.get_export("other").is_none(), "the planted module's code was loaded");
        }
    }

    /// The bytes that are mapped are the bytes that were checked: one changed byte
    /// is a miss, here written in place (the same inode), which moves the file's
    /// change time: on Linux 6.13 and later always, as the seal read it (on older
    /// kernels, only once a clock tick has passed since the sealing).
    #[test]
    fn a_compiled_entry_changed_after_it_was_sealed_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cache) = cache_on(dir.path());
        let wasm = wat_bytes(WAT);
        cache.get_or_compile(&engine, &wasm, || Module::new(&engine, &wasm)).unwrap();
        let path = entry_path(&engine, dir.path(), &wasm);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let cache = ModuleCache::new(&engine, Some(dir.path()));
        assert_eq!(cache.read_compiled(&engine, path.file_name().unwrap().to_str().unwrap()).map(|_| ()), None);
        std::fs::remove_file(seal_path(&path)).unwrap();
        assert_eq!(
            cache.get_or_compile(&engine, &wasm, || Module::new(&engine, &wasm)).unwrap().1,
            CompileSource::Compiled
        );
        let fresh = ModuleCache::new(&engine, Some(dir.path()));
        assert_eq!(
            fresh.get_or_compile(&engine, &wasm, || Module::new(&engine, &wasm)).unwrap().1,
            CompileSource::DiskCache
        );
    }

    /// A cache directory holding one compiled entry, sealed: the engine, the module's bytes and the entry's path.
    fn sealed_entry() -> (tempfile::TempDir, Engine, Vec<u8>, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cache) = cache_on(dir.path());
        let wasm = wat_bytes(WAT);
        cache.get_or_compile(&engine, &wasm, || Module::new(&engine, &wasm)).unwrap();
        let path = entry_path(&engine, dir.path(), &wasm);
        (dir, engine, wasm, path)
    }

    /// Whether a fresh cache on `dir` finds nothing it will load at `path`.
    fn is_a_miss(engine: &Engine, dir: &Path, path: &Path) -> bool {
        let cache = ModuleCache::new(engine, Some(dir));
        cache.read_compiled(engine, path.file_name().unwrap().to_str().unwrap()).is_none()
    }

    /// The seal file's inode: a load that had to read the entry's bytes seals it again (a new file).
    fn seal_inode(path: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(seal_path(path)).unwrap().ino()
    }

    /// A load from disk, and whether it took the entry on its identity alone (the seal was not written again).
    fn load_from_disk(engine: &Engine, dir: &Path, wasm: &[u8]) -> (CompileSource, bool) {
        let path = entry_path(engine, dir, wasm);
        let before = seal_inode(&path);
        let cache = ModuleCache::new(engine, Some(dir));
        let (_, source) = cache.get_or_compile(engine, wasm, || Module::new(engine, wasm)).unwrap();
        (source, seal_inode(&path) == before)
    }

    /// What makes a cold start cheap: an entry Sluice sealed is taken on its
    /// identity; the same bytes in another file (a copy, as a backup restores
    /// it) are read whole, checked, and sealed again under the copy's identity.
    #[test]
    fn a_sealed_entry_is_taken_on_its_identity_and_a_copy_is_checked_whole() {
        let (dir, engine, wasm, path) = sealed_entry();
        assert_eq!(load_from_disk(&engine, dir.path(), &wasm), (CompileSource::DiskCache, true));

        let copy = path.with_extension("copy");
        std::fs::copy(&path, &copy).unwrap();
        std::fs::rename(&copy, &path).unwrap();
        assert_eq!(load_from_disk(&engine, dir.path(), &wasm), (CompileSource::DiskCache, false));
        assert_eq!(load_from_disk(&engine, dir.path(), &wasm), (CompileSource::DiskCache, true));
    }

    /// A file put in an entry's place keeps the old seal, whose identity no longer
    /// matches: its bytes are read, and one changed byte is a miss.
    #[test]
    fn a_changed_file_renamed_over_a_sealed_entry_is_a_miss() {
        let (dir, engine, _, path) = sealed_entry();
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
        let changed = path.with_extension("changed");
        std::fs::write(&changed, &bytes).unwrap();
        std::fs::rename(&changed, &path).unwrap();
        assert!(is_a_miss(&engine, dir.path(), &path));
    }

    /// A seal written before seals named their file (the MAC of the bytes alone)
    /// still loads, once, by reading the bytes, and is sealed again with an identity.
    #[test]
    fn a_seal_without_an_identity_is_checked_whole_and_sealed_again() {
        let (dir, engine, wasm, path) = sealed_entry();
        let seal = std::fs::read(seal_path(&path)).unwrap();
        let bytes_only = [SEAL_MAGIC_BYTES_ONLY.as_slice(), &seal[SEAL_MAGIC.len()..][..MAC_BYTES]].concat();
        std::fs::write(seal_path(&path), &bytes_only).unwrap();
        assert_eq!(load_from_disk(&engine, dir.path(), &wasm), (CompileSource::DiskCache, false));
        assert_eq!(std::fs::read(seal_path(&path)).unwrap().len(), SEAL_BYTES);
        assert_eq!(load_from_disk(&engine, dir.path(), &wasm), (CompileSource::DiskCache, true));

        // The old format's MAC is still checked: a wrong one is a miss.
        let mut wrong = bytes_only;
        wrong[SEAL_MAGIC.len()] ^= 1;
        std::fs::write(seal_path(&path), &wrong).unwrap();
        assert!(is_a_miss(&engine, dir.path(), &path));
    }

    #[test]
    fn interpreter_entries_are_sealed_to_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let (_engine, cache) = cache_on(dir.path());
        cache.write_entry(EntryKind::Interpreter, "a.wasm", b"first");
        assert_eq!(cache.read_entry(EntryKind::Interpreter, "a.wasm").as_deref(), Some(&b"first"[..]));
        std::fs::copy(dir.path().join("js/a.wasm"), dir.path().join("js/b.wasm")).unwrap();
        assert_eq!(cache.read_entry(EntryKind::Interpreter, "b.wasm"), None);
        std::fs::write(dir.path().join("js/a.wasm"), b"planted").unwrap();
        assert_eq!(cache.read_entry(EntryKind::Interpreter, "a.wasm"), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_cache_directories_and_key_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("new").join("cache");
        let (engine, cache) = cache_on(&root);
        assert!(cache.uses_disk());
        for path in [root.parent().unwrap().to_owned(), root.clone(), root.join(engine_tag(&engine)), root.join("js")] {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{} has mode {mode:o}", path.display());
        }
        let mode = std::fs::metadata(root.join("key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "key mode {mode:o}");
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_can_write_is_not_used() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cache");
        std::fs::create_dir(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).unwrap();
        let (engine, cache) = cache_on(&root);
        assert!(!cache.uses_disk());
        let wasm = wat_bytes(WAT);
        assert_eq!(
            cache.get_or_compile(&engine, &wasm, || Module::new(&engine, &wasm)).unwrap().1,
            CompileSource::Compiled
        );
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0, "nothing is written to a refused directory");

        // Nor one under a parent others can write (they could swap the cache out).
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o757)).unwrap();
        assert!(!ModuleCache::new(&engine, Some(&root.join("inner"))).uses_disk());
        // A sticky parent, as /tmp is, is fine.
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(ModuleCache::new(&engine, Some(&root.join("inner"))).uses_disk());
    }

    #[test]
    fn tool_lists_get_the_same_checks_and_their_seal_covers_their_kind() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cache");
        let lists = SealedEntries::open(&root, EntryKind::ToolList).unwrap();
        lists.write("a.json", b"[]");
        assert_eq!(lists.read("a.json", 2).as_deref(), Some(&b"[]"[..]));
        assert_eq!(lists.read("a.json", 1), None, "over the cap");
        // An interpreter entry copied over a tool list is not a tool list.
        let (_, cache) = cache_on(&root);
        cache.write_entry(EntryKind::Interpreter, "a.json", b"[]");
        std::fs::copy(root.join("js/a.json"), root.join("tools/a.json")).unwrap();
        assert_eq!(lists.read("a.json", 100), None);
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(SealedEntries::open(&root, EntryKind::ToolList).is_err(), "a directory others can write");
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_or_key_owned_by_someone_else_is_not_used() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        if std::fs::metadata(dir.path()).unwrap().uid() != 0 {
            eprintln!("skipped: changing a file's owner needs root");
            return;
        }
        let nobody = 65534;
        let root = dir.path().join("cache");
        let (engine, cache) = cache_on(&root);
        assert!(cache.uses_disk());
        std::os::unix::fs::chown(root.join("key"), Some(nobody), None).unwrap();
        assert!(!ModuleCache::new(&engine, Some(&root)).uses_disk(), "a key someone else owns");
        std::os::unix::fs::chown(root.join("key"), Some(0), None).unwrap();
        std::os::unix::fs::chown(&root, Some(nobody), None).unwrap();
        assert!(!ModuleCache::new(&engine, Some(&root)).uses_disk(), "a directory someone else owns");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_cache_directory_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
        let (_engine, cache) = cache_on(&dir.path().join("link"));
        assert!(!cache.uses_disk());
    }

    fn wat_bytes(text: &str) -> Vec<u8> {
        Module::new(&Engine::default(), text).unwrap();
        wat::parse_str(text).unwrap()
    }
}
