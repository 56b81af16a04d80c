//! Guards on what a program does in its workspace: byte, entry and depth caps, no special files, no links leading out.
//!
//! wasmtime-wasi implements WASI preview 1 and confines paths to the preopened
//! directory, but it neither meters disk use nor looks at what a path names. The
//! functions below shadow the preview 1 imports that create or grow something, or
//! open or rename something, and decide before the original runs:
//!
//! - **Bytes.** A write to a regular file, `fd_filestat_set_size` and
//!   `fd_allocate` are charged every byte written plus every byte the file grows
//!   by past its end (a write far past the end makes a file of that size). The
//!   charge never goes down: deleting or truncating gives nothing back. A call
//!   that would go past [`WorkspaceRules::bytes`] fails with `ENOSPC` and writes
//!   nothing. Stdout and stderr are not files and are not charged.
//! - **Entries.** Creating a file (`path_open` with `O_CREAT` of a path that does
//!   not exist), a directory, a symbolic link or a hard link counts one; past
//!   [`WorkspaceRules::entries`] it fails with `EDQUOT`.
//! - **Depth.** A directory deeper than [`WorkspaceRules::depth`] below
//!   `/workspace` is refused with `EDQUOT`. Depth is counted along the path the
//!   program names, from the depth of the directory descriptor it names it from.
//! - **Special files.** `path_open` looks at what the path names first (a `stat`,
//!   which never blocks) and refuses with `EACCES` anything but a regular file, a
//!   directory or a symbolic link: opening a FIFO, socket or device a user left in
//!   the workspace would block a host thread forever, past the run's deadline.
//! - **Links.** A symbolic link's target must lead down from the link's own
//!   directory: relative, with no `..` component and not just `.`. That holds
//!   wherever the link is later moved and whatever links its path goes through,
//!   so a program's links never lead a host tool out of the workspace (a lexical
//!   check that allowed `..` would not: a link named through another link, or
//!   moved, resolves elsewhere). Renaming a link whose target breaks that rule
//!   and hard-linking a symbolic link are refused too, with `EPERM`.
//!
//! Each guard reads its arguments from guest memory and calls wasmtime-wasi's own
//! trait methods for what it needs to know (`stat`, the file position), then
//! calls wasmtime-wasi's generated glue for the original function, exactly as the
//! linker entry it shadows would. The guest is suspended during the call, so
//! nothing it does comes between the check and the operation; a host process
//! changing the workspace at the same moment could.

use std::collections::HashMap;

use wasmtime::{AsContextMut, Caller, Extern, Linker};
use wasmtime_wasi::p1::types::{self, Errno, Fd, Filetype, Lookupflags, Oflags};
use wasmtime_wasi::p1::wasi_snapshot_preview1::{self as p1, WasiSnapshotPreview1};
use wiggle::{GuestMemory, GuestPtr};

use super::RunState;

/// The import module of WASI preview 1.
const MODULE: &str = "wasi_snapshot_preview1";

/// The first descriptor wasmtime-wasi gives a preopened directory: the workspace.
const WORKSPACE_FD: u32 = 3;

/// The longest symbolic link target read back when a link is renamed (Linux's
/// `PATH_MAX`); a longer one is refused.
const MAX_LINK_TARGET: u32 = 4096;

/// The most buffers one write may pass (Linux's `IOV_MAX`); more is `EINVAL`.
const MAX_IOVECS: u32 = 1024;

/// Directory descriptors a program may hold open at once; each has its depth
/// remembered. Opening another directory fails with `EMFILE`.
pub(crate) const MAX_OPEN_DIRECTORIES: usize = 4096;

/// What a program may do in its workspace: the caps of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WorkspaceRules {
    /// Bytes written or grown, in total.
    pub bytes: u64,
    /// Files, directories and links created, in total.
    pub entries: u64,
    /// How deep below `/workspace` a directory may be created.
    pub depth: u32,
}

/// What one run did in its workspace, for [`crate::RunStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WorkspaceStats {
    /// Bytes charged against [`WorkspaceRules::bytes`].
    pub bytes: u64,
    /// Entries created.
    pub entries: u64,
    /// Operations refused because a cap was reached.
    pub refusals: u64,
    /// Operations denied as unsafe: special files, links leading out.
    pub denials: u64,
}

/// One run's workspace state: its rules, what it has used, and the depth of
/// each directory descriptor it holds.
#[derive(Debug)]
pub(crate) struct WorkspaceGuard {
    rules: Option<WorkspaceRules>,
    pub stats: WorkspaceStats,
    /// Open directory descriptors and their depth below `/workspace`.
    directories: HashMap<u32, u32>,
}

impl WorkspaceGuard {
    /// The guard for a run with `rules`, or for a run without a workspace (`None`),
    /// whose file calls all go straight to wasmtime-wasi (they find no directory).
    pub fn new(rules: Option<WorkspaceRules>) -> Self {
        let directories = rules.map(|_| (WORKSPACE_FD, 0)).into_iter().collect();
        WorkspaceGuard { rules, stats: WorkspaceStats::default(), directories }
    }

    fn active(&self) -> bool {
        self.rules.is_some()
    }

    /// Takes `bytes` from the byte cap, or counts a refusal and says `ENOSPC`.
    fn reserve_bytes(&mut self, bytes: u64) -> Result<(), Errno> {
        let cap = self.rules.map_or(u64::MAX, |rules| rules.bytes);
        if bytes > cap.saturating_sub(self.stats.bytes) {
            self.stats.refusals += 1;
            return Err(Errno::Nospc);
        }
        Ok(())
    }

    fn charge_bytes(&mut self, bytes: u64) {
        self.stats.bytes = self.stats.bytes.saturating_add(bytes);
    }

    /// Whether one more entry fits, or a refusal counted and `EDQUOT`.
    fn reserve_entry(&mut self) -> Result<(), Errno> {
        let cap = self.rules.map_or(u64::MAX, |rules| rules.entries);
        if self.stats.entries >= cap {
            self.stats.refusals += 1;
            return Err(Errno::Dquot);
        }
        Ok(())
    }

    /// Whether a directory at `depth` may be created, or a refusal counted and `EDQUOT`.
    fn check_depth(&mut self, depth: u32) -> Result<(), Errno> {
        let cap = self.rules.map_or(u32::MAX, |rules| rules.depth);
        if depth > cap {
            self.stats.refusals += 1;
            return Err(Errno::Dquot);
        }
        Ok(())
    }

    fn deny(&mut self, errno: Errno) -> Errno {
        self.stats.denials += 1;
        errno
    }

    /// The depth below `/workspace` of what `path` names from descriptor `fd`.
    fn depth_of(&self, fd: u32, path: &str) -> u32 {
        lexical_depth(self.directories.get(&fd).copied().unwrap_or(0), path)
    }

    /// Records what descriptor `fd` now is: a directory at `depth`, or not one.
    fn opened(&mut self, fd: u32, directory_depth: Option<u32>) {
        match directory_depth {
            Some(depth) => self.directories.insert(fd, depth),
            None => self.directories.remove(&fd),
        };
    }
}

/// `base` plus the depth `path` adds: `a/b` two, `a/../b` one, `.` none. A path
/// climbing above `base` is refused by wasmtime-wasi; here it bottoms out at 0.
pub(crate) fn lexical_depth(base: u32, path: &str) -> u32 {
    path.split('/').fold(base, |depth, component| match component {
        "" | "." => depth,
        ".." => depth.saturating_sub(1),
        _ => depth.saturating_add(1),
    })
}

/// Why a symbolic link target is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkRefusal {
    /// `/etc`: leads wherever the host's root is.
    Absolute,
    /// Has a `..` component: may lead out, now or once the link is moved.
    Climbs,
    /// Empty or only `.`: the link's own directory, a loop for tools that follow links.
    ItsOwnDirectory,
}

/// Allows a symbolic link target only if it leads down from the link's own
/// directory: relative, no `..`, and naming something below it.
pub(crate) fn check_link_target(target: &[u8]) -> Result<(), LinkRefusal> {
    if target.first() == Some(&b'/') {
        return Err(LinkRefusal::Absolute);
    }
    let mut components = target.split(|byte| *byte == b'/').filter(|c| !c.is_empty() && *c != b".").peekable();
    if components.peek().is_none() {
        return Err(LinkRefusal::ItsOwnDirectory);
    }
    if components.any(|component| component == b"..") {
        return Err(LinkRefusal::Climbs);
    }
    Ok(())
}

/// What `path_open` may open: regular files, directories, and symbolic links
/// (which it follows, and then checks again, or refuses with `ELOOP`).
pub(crate) fn openable(filetype: Filetype) -> bool {
    matches!(filetype, Filetype::RegularFile | Filetype::Directory | Filetype::SymbolicLink)
}

/// The charge for writing `len` bytes at `start` to a file of `size` bytes: the
/// bytes written, or more if the write leaves a gap past the end.
pub(crate) fn write_charge(start: u64, len: u64, size: u64) -> u64 {
    if len == 0 {
        return 0;
    }
    len.max(start.saturating_add(len).saturating_sub(size))
}

/// Where `len` bytes of scratch space can go in a memory of `memory_len` bytes
/// without touching `keep` (`(offset, len)`): at 0, else right after `keep`.
pub(crate) fn scratch_region(memory_len: usize, len: u32, keep: (u32, u32)) -> Option<u32> {
    let fits = |start: u64| start + u64::from(len) <= memory_len as u64;
    let (keep_start, keep_len) = (u64::from(keep.0), u64::from(keep.1));
    let clear = |start: u64| start + u64::from(len) <= keep_start || start >= keep_start + keep_len;
    let after = (keep_start + keep_len).next_multiple_of(8);
    [0, after].into_iter().find(|&start| fits(start) && clear(start)).and_then(|start| u32::try_from(start).ok())
}

/// The memory a WASI call reads and writes: the caller's `memory` export.
enum MemoryExport {
    Plain(wasmtime::Memory),
    Shared(wasmtime::SharedMemory),
}

impl MemoryExport {
    fn of(caller: &mut Caller<'_, RunState>) -> wasmtime::Result<Self> {
        match caller.get_export("memory") {
            Some(Extern::Memory(memory)) => Ok(MemoryExport::Plain(memory)),
            Some(Extern::SharedMemory(memory)) => Ok(MemoryExport::Shared(memory)),
            _ => Err(wasmtime::Error::msg("missing required memory export")),
        }
    }

    /// The guest's memory and the run's state, set up as wasmtime-wasi's own
    /// linker glue sets them up (including its per-call fuel).
    fn borrow<'a>(&'a self, caller: &'a mut Caller<'_, RunState>) -> (GuestMemory<'a>, &'a mut RunState) {
        let fuel = caller.as_context_mut().hostcall_fuel();
        let (memory, state) = match self {
            MemoryExport::Plain(memory) => {
                let (bytes, state) = memory.data_and_store_mut(caller);
                (GuestMemory::Unshared(bytes), state)
            }
            MemoryExport::Shared(memory) => (GuestMemory::Shared(memory.data()), caller.data_mut()),
        };
        state.wasi.set_hostcall_fuel(fuel);
        (memory, state)
    }
}

fn memory_len(memory: &GuestMemory<'_>) -> usize {
    match memory {
        GuestMemory::Unshared(bytes) => bytes.len(),
        GuestMemory::Shared(bytes) => bytes.len(),
    }
}

/// The errno a preview 1 function returns for `error`, or the trap it raises,
/// as wasmtime-wasi's glue converts it.
fn errno_of(error: types::Error) -> wasmtime::Result<i32> {
    error.downcast().map(|errno| errno as i32)
}

/// The path argument at `(ptr, len)` as text, or the errno reading it gives.
fn read_path(memory: &GuestMemory<'_>, ptr: i32, len: i32) -> Result<String, types::Error> {
    Ok(memory.as_cow_str(GuestPtr::<str>::new((ptr as u32, len as u32)))?.into_owned())
}

/// The `filestat` of what `path` names from `fd` (following a final link only
/// if `follow`), or why there is none.
async fn stat_path(
    state: &mut RunState,
    memory: &mut GuestMemory<'_>,
    fd: i32,
    follow: bool,
    (ptr, len): (i32, i32),
) -> Result<types::Filestat, types::Error> {
    let flags = if follow { Lookupflags::SYMLINK_FOLLOW } else { Lookupflags::empty() };
    let path = GuestPtr::<str>::new((ptr as u32, len as u32));
    WasiSnapshotPreview1::path_filestat_get(&mut state.wasi, memory, Fd::from(fd as u32), flags, path).await
}

/// Where a write to `fd` starts and how big the file is, if `fd` is a regular
/// file; `None` for anything else (stdout, stderr, a bad descriptor: the
/// original call then does what it does, uncharged).
async fn file_span(
    state: &mut RunState,
    memory: &mut GuestMemory<'_>,
    fd: i32,
    at: Option<u64>,
) -> wasmtime::Result<Option<(u64, u64)>> {
    let fd = Fd::from(fd as u32);
    let stat = match WasiSnapshotPreview1::fd_filestat_get(&mut state.wasi, memory, fd).await {
        Ok(stat) if stat.filetype == Filetype::RegularFile => stat,
        Ok(_) => return Ok(None),
        Err(error) => return error.downcast().map(|_| None),
    };
    let start = match at {
        Some(offset) => offset,
        None => match WasiSnapshotPreview1::fd_tell(&mut state.wasi, memory, fd) {
            Ok(position) => position,
            Err(error) => return error.downcast().map(|_| None),
        },
    };
    Ok(Some((start, stat.size)))
}

/// The bytes the `iovs_len` buffers at `iovs` ask to write, or the errno for them.
fn requested_bytes(memory: &GuestMemory<'_>, iovs: i32, iovs_len: i32) -> Result<u64, types::Error> {
    let count = iovs_len as u32;
    if count > MAX_IOVECS {
        return Err(Errno::Inval.into());
    }
    let array = GuestPtr::<[types::Ciovec]>::new((iovs as u32, count));
    let mut total = 0u64;
    for iovec in array.iter() {
        total = total.saturating_add(u64::from(memory.read(iovec?)?.buf_len));
    }
    Ok(total)
}

/// Shadows the preview 1 functions the workspace guards on `linker`, which
/// already holds wasmtime-wasi's own.
pub(crate) fn add_to_linker(linker: &mut Linker<RunState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.func_wrap_async(
        MODULE,
        "fd_write",
        |mut caller, (fd, iovs, iovs_len, nwritten): (i32, i32, i32, i32)| {
            Box::new(async move { write(&mut caller, fd, iovs, iovs_len, None, nwritten).await })
        },
    )?;
    linker.func_wrap_async(
        MODULE,
        "fd_pwrite",
        |mut caller, (fd, iovs, iovs_len, offset, nwritten): (i32, i32, i32, i64, i32)| {
            Box::new(async move { write(&mut caller, fd, iovs, iovs_len, Some(offset), nwritten).await })
        },
    )?;
    linker.func_wrap_async(MODULE, "fd_allocate", |mut caller, (fd, offset, len): (i32, i64, i64)| {
        Box::new(async move { allocate(&mut caller, fd, offset, len).await })
    })?;
    linker.func_wrap_async(MODULE, "fd_filestat_set_size", |mut caller, (fd, size): (i32, i64)| {
        Box::new(async move { set_size(&mut caller, fd, size).await })
    })?;
    linker.func_wrap_async(
        MODULE,
        "path_open",
        |mut caller, args: (i32, i32, i32, i32, i32, i64, i64, i32, i32)| {
            Box::new(async move { open(&mut caller, args).await })
        },
    )?;
    linker.func_wrap_async(MODULE, "path_create_directory", |mut caller, (fd, path, path_len): (i32, i32, i32)| {
        Box::new(async move { create_directory(&mut caller, fd, (path, path_len)).await })
    })?;
    linker.func_wrap_async(MODULE, "path_symlink", |mut caller, args: (i32, i32, i32, i32, i32)| {
        Box::new(async move { symlink(&mut caller, args).await })
    })?;
    linker.func_wrap_async(MODULE, "path_link", |mut caller, args: (i32, i32, i32, i32, i32, i32, i32)| {
        Box::new(async move { link(&mut caller, args).await })
    })?;
    linker.func_wrap_async(MODULE, "path_rename", |mut caller, args: (i32, i32, i32, i32, i32, i32)| {
        Box::new(async move { rename(&mut caller, args).await })
    })?;
    linker.func_wrap_async(MODULE, "fd_renumber", |mut caller, (from, to): (i32, i32)| {
        Box::new(async move { renumber(&mut caller, from, to).await })
    })?;
    linker.func_wrap_async(MODULE, "fd_close", |mut caller, (fd,): (i32,)| {
        Box::new(async move { close(&mut caller, fd).await })
    })?;
    linker.allow_shadowing(false);
    Ok(())
}

async fn write(
    caller: &mut Caller<'_, RunState>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    offset: Option<i64>,
    nwritten: i32,
) -> wasmtime::Result<i32> {
    let export = MemoryExport::of(caller)?;
    let (mut memory, state) = export.borrow(caller);
    let original = async |state: &mut RunState, memory: &mut GuestMemory<'_>| match offset {
        None => p1::fd_write(&mut state.wasi, memory, fd, iovs, iovs_len, nwritten).await,
        Some(offset) => p1::fd_pwrite(&mut state.wasi, memory, fd, iovs, iovs_len, offset, nwritten).await,
    };
    if !state.workspace.active() {
        return original(state, &mut memory).await;
    }
    let Some((start, size)) = file_span(state, &mut memory, fd, offset.map(|o| o as u64)).await? else {
        return original(state, &mut memory).await;
    };
    let requested = match requested_bytes(&memory, iovs, iovs_len) {
        Ok(requested) => requested,
        Err(error) => return errno_of(error),
    };
    if let Err(errno) = state.workspace.reserve_bytes(write_charge(start, requested, size)) {
        return Ok(errno as i32);
    }
    let result = original(state, &mut memory).await?;
    if result == 0 {
        let written = memory.read(GuestPtr::<u32>::new(nwritten as u32))?;
        state.workspace.charge_bytes(write_charge(start, u64::from(written), size));
    }
    Ok(result)
}

/// `fd_allocate` (which wasmtime-wasi 48 does not support; guarded for when it does).
async fn allocate(caller: &mut Caller<'_, RunState>, fd: i32, offset: i64, len: i64) -> wasmtime::Result<i32> {
    let export = MemoryExport::of(caller)?;
    let (mut memory, state) = export.borrow(caller);
    let mut growth = 0;
    if state.workspace.active()
        && let Some((_, size)) = file_span(state, &mut memory, fd, Some(0)).await?
    {
        growth = (offset as u64).saturating_add(len as u64).saturating_sub(size);
        if let Err(errno) = state.workspace.reserve_bytes(growth) {
            return Ok(errno as i32);
        }
    }
    let result = p1::fd_allocate(&mut state.wasi, &mut memory, fd, offset, len)?;
    if result == 0 {
        state.workspace.charge_bytes(growth);
    }
    Ok(result)
}

async fn set_size(caller: &mut Caller<'_, RunState>, fd: i32, new_size: i64) -> wasmtime::Result<i32> {
    let export = MemoryExport::of(caller)?;
    let (mut memory, state) = export.borrow(caller);
    let mut growth = 0;
    if state.workspace.active()
        && let Some((_, size)) = file_span(state, &mut memory, fd, Some(0)).await?
    {
        growth = (new_size as u64).saturating_sub(size);
        if let Err(errno) = state.workspace.reserve_bytes(growth) {
            return Ok(errno as i32);
        }
    }
    let result = p1::fd_filestat_set_size(&mut state.wasi, &mut memory, fd, new_size).await?;
    if result == 0 {
        state.workspace.charge_bytes(growth);
    }
    Ok(result)
}

async fn open(
    caller: &mut Caller<'_, RunState>,
    (fd, dirflags, path, path_len, oflags, base, inheriting, fdflags, opened): (
        i32,
        i32,
        i32,
        i32,
        i32,
        i64,
        i64,
        i32,
        i32,
    ),
) -> wasmtime::Result<i32> {
    let export = MemoryExport::of(caller)?;
    let (mut memory, state) = export.borrow(caller);
    let original = async |state: &mut RunState, memory: &mut GuestMemory<'_>| {
        p1::path_open(&mut state.wasi, memory, fd, dirflags, path, path_len, oflags, base, inheriting, fdflags, opened)
            .await
    };
    if !state.workspace.active() {
        return original(state, &mut memory).await;
    }
    let follow = Lookupflags::from_bits_truncate(dirflags as u32).contains(Lookupflags::SYMLINK_FOLLOW);
    let existing = match stat_path(state, &mut memory, fd, follow, (path, path_len)).await {
        Ok(stat) => Some(stat.filetype),
        Err(error) => match error.downcast()? {
            Errno::Noent => None,
            errno => return Ok(errno as i32),
        },
    };
    if existing.is_some_and(|filetype| !openable(filetype)) {
        return Ok(state.workspace.deny(Errno::Acces) as i32);
    }
    let creating = existing.is_none() && Oflags::from_bits_truncate(oflags as u16).contains(Oflags::CREAT);
    if creating && let Err(errno) = state.workspace.reserve_entry() {
        return Ok(errno as i32);
    }
    let mut directory_depth = None;
    if existing == Some(Filetype::Directory) {
        if state.workspace.directories.len() >= MAX_OPEN_DIRECTORIES {
            return Ok(Errno::Mfile as i32);
        }
        let name = match read_path(&memory, path, path_len) {
            Ok(name) => name,
            Err(error) => return errno_of(error),
        };
        directory_depth = Some(state.workspace.depth_of(fd as u32, &name));
    }
    let result = original(state, &mut memory).await?;
    if result == 0 {
        let new_fd = memory.read(GuestPtr::<u32>::new(opened as u32))?;
        state.workspace.opened(new_fd, directory_depth);
        if creating {
            state.workspace.stats.entries += 1;
        }
    }
    Ok(result)
}

async fn create_directory(
    caller: &mut Caller<'_, RunState>,
    fd: i32,
    (path, path_len): (i32, i32),
) -> wasmtime::Result<i32> {
    let export = MemoryExport::of(caller)?;
    let (mut memory, state) = export.borrow(caller);
    if state.workspace.active() {
        let name = match read_path(&memory, path, path_len) {
            Ok(name) => name,
            Err(error) => return errno_of(error),
        };
        let depth = state.workspace.depth_of(fd as u32, &name);
        if let Err(errno) = state.workspace.check_depth(depth).and_then(|()| state.workspace.reserve_entry()) {
            return Ok(errno as i32);
        }
    }
    let result = p1::path_create_directory(&mut state.wasi, &mut memory, fd, path, path_len).await?;
    if result == 0 {
        state.workspace.stats.entries += 1;
    }
    Ok(result)
}

async fn symlink(
    caller: &mut Caller<'_, RunState>,
    (target, target_len, fd, path, path_len): (i32, i32, i32, i32, i32),
) -> wasmtime::Result<i32> {
    let export = MemoryExport::of(caller)?;
    let (mut memory, state) = export.borrow(caller);
    if state.workspace.active() {
        let target = match read_path(&memory, target, target_len) {
            Ok(target) => target,
            Err(error) => return errno_of(error),
        };
        if check_link_target(target.as_bytes()).is_err() {
            return Ok(state.workspace.deny(Errno::Perm) as i32);
        }
        if let Err(errno) = state.workspace.reserve_entry() {
            return Ok(errno as i32);
        }
    }
    let result = p1::path_symlink(&mut state.wasi, &mut memory, target, target_len, fd, path, path_len).await?;
    if result == 0 {
        state.workspace.stats.entries += 1;
    }
    Ok(result)
}

async fn link(
    caller: &mut Caller<'_, RunState>,
    (old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len): (i32, i32, i32, i32, i32, i32, i32),
) -> wasmtime::Result<i32> {
    let export = MemoryExport::of(caller)?;
    let (mut memory, state) = export.borrow(caller);
    if state.workspace.active() {
        // Whatever `old_flags` says, a symbolic link itself is never hard-linked.
        match stat_path(state, &mut memory, old_fd, false, (old_path, old_len)).await {
            Ok(stat) if stat.filetype == Filetype::SymbolicLink => {
                return Ok(state.workspace.deny(Errno::Perm) as i32);
            }
            Ok(_) => {}
            Err(error) => return errno_of(error),
        }
        if let Err(errno) = state.workspace.reserve_entry() {
            return Ok(errno as i32);
        }
    }
    let result =
        p1::path_link(&mut state.wasi, &mut memory, old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len)
            .await?;
    if result == 0 {
        state.workspace.stats.entries += 1;
    }
    Ok(result)
}

async fn rename(
    caller: &mut Caller<'_, RunState>,
    (fd, old_path, old_len, new_fd, new_path, new_len): (i32, i32, i32, i32, i32, i32),
) -> wasmtime::Result<i32> {
    let export = MemoryExport::of(caller)?;
    let (mut memory, state) = export.borrow(caller);
    if state.workspace.active()
        && let Ok(stat) = stat_path(state, &mut memory, fd, false, (old_path, old_len)).await
        && stat.filetype == Filetype::SymbolicLink
    {
        let target = read_link(state, &mut memory, fd, (old_path, old_len)).await?;
        if target.is_none_or(|target| check_link_target(&target).is_err()) {
            return Ok(state.workspace.deny(Errno::Perm) as i32);
        }
    }
    p1::path_rename(&mut state.wasi, &mut memory, fd, old_path, old_len, new_fd, new_path, new_len).await
}

/// The target of the symbolic link `path` names from `fd`, read through
/// wasmtime-wasi into scratch space in guest memory that is put back as it was
/// before returning (the guest is suspended meanwhile and cannot see it).
/// `None` if it cannot be read whole.
async fn read_link(
    state: &mut RunState,
    memory: &mut GuestMemory<'_>,
    fd: i32,
    (path, path_len): (i32, i32),
) -> wasmtime::Result<Option<Vec<u8>>> {
    let Some(scratch) = scratch_region(memory_len(memory), MAX_LINK_TARGET, (path as u32, path_len as u32)) else {
        return Ok(None);
    };
    let region = GuestPtr::<[u8]>::new((scratch, MAX_LINK_TARGET));
    let saved = memory.to_vec(region)?;
    let name = GuestPtr::<str>::new((path as u32, path_len as u32));
    let buffer = GuestPtr::<u8>::new(scratch);
    let read = WasiSnapshotPreview1::path_readlink(
        &mut state.wasi,
        memory,
        Fd::from(fd as u32),
        name,
        buffer,
        MAX_LINK_TARGET,
    )
    .await;
    let target = match read {
        Ok(len) if len < MAX_LINK_TARGET => Some(memory.to_vec(GuestPtr::<[u8]>::new((scratch, len)))?),
        _ => None,
    };
    memory.copy_from_slice(&saved, region)?;
    Ok(target)
}

async fn renumber(caller: &mut Caller<'_, RunState>, from: i32, to: i32) -> wasmtime::Result<i32> {
    let export = MemoryExport::of(caller)?;
    let (mut memory, state) = export.borrow(caller);
    let result = p1::fd_renumber(&mut state.wasi, &mut memory, from, to).await?;
    if result == 0 {
        let depth = state.workspace.directories.remove(&(from as u32));
        state.workspace.opened(to as u32, depth);
    }
    Ok(result)
}

async fn close(caller: &mut Caller<'_, RunState>, fd: i32) -> wasmtime::Result<i32> {
    let export = MemoryExport::of(caller)?;
    let (mut memory, state) = export.borrow(caller);
    let result = p1::fd_close(&mut state.wasi, &mut memory, fd).await?;
    if result == 0 {
        state.workspace.opened(fd as u32, None);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_components_below_the_base() {
        assert_eq!(lexical_depth(0, "a"), 1);
        assert_eq!(lexical_depth(0, "a/b/c/"), 3);
        assert_eq!(lexical_depth(2, "./x//y"), 4);
        assert_eq!(lexical_depth(0, "a/../b"), 1);
        assert_eq!(lexical_depth(1, "../../x"), 1);
        assert_eq!(lexical_depth(0, ""), 0);
    }

    #[test]
    fn link_targets_must_lead_down_from_the_link() {
        for allowed in ["file.txt", "sub/dir/file", "./sub", "a//b/"] {
            assert_eq!(check_link_target(allowed.as_bytes()), Ok(()), "{allowed}");
        }
        assert_eq!(check_link_target(b"/etc/passwd"), Err(LinkRefusal::Absolute));
        assert_eq!(check_link_target(b"//etc"), Err(LinkRefusal::Absolute));
        for climbing in ["..", "../x", "../../etc", "a/../../b", "a/../b", "a/.."] {
            assert_eq!(check_link_target(climbing.as_bytes()), Err(LinkRefusal::Climbs), "{climbing}");
        }
        for own in ["", ".", "./", "./."] {
            assert_eq!(check_link_target(own.as_bytes()), Err(LinkRefusal::ItsOwnDirectory), "{own:?}");
        }
    }

    #[test]
    fn only_regular_files_directories_and_links_may_be_opened() {
        for ok in [Filetype::RegularFile, Filetype::Directory, Filetype::SymbolicLink] {
            assert!(openable(ok), "{ok:?}");
        }
        for special in [
            Filetype::Unknown,
            Filetype::BlockDevice,
            Filetype::CharacterDevice,
            Filetype::SocketDgram,
            Filetype::SocketStream,
        ] {
            assert!(!openable(special), "{special:?}");
        }
    }

    #[test]
    fn a_write_is_charged_its_bytes_and_any_gap_it_leaves_past_the_end() {
        assert_eq!(write_charge(0, 10, 0), 10);
        assert_eq!(write_charge(5, 10, 100), 10, "an overwrite still counts");
        assert_eq!(write_charge(1 << 40, 1, 0), (1 << 40) + 1, "a gap counts as written");
        assert_eq!(write_charge(1 << 40, 0, 0), 0, "writing nothing grows nothing");
        assert_eq!(write_charge(u64::MAX, 10, 0), u64::MAX);
    }

    #[test]
    fn caps_refuse_the_call_that_would_pass_them_and_count_it() {
        let mut guard = WorkspaceGuard::new(Some(WorkspaceRules { bytes: 100, entries: 1, depth: 2 }));
        assert_eq!(guard.reserve_bytes(100), Ok(()));
        guard.charge_bytes(60);
        assert_eq!(guard.reserve_bytes(41), Err(Errno::Nospc));
        assert_eq!(guard.reserve_bytes(40), Ok(()));
        assert_eq!(guard.reserve_entry(), Ok(()));
        guard.stats.entries += 1;
        assert_eq!(guard.reserve_entry(), Err(Errno::Dquot));
        assert_eq!(guard.check_depth(2), Ok(()));
        assert_eq!(guard.check_depth(3), Err(Errno::Dquot));
        assert_eq!(guard.stats.refusals, 3);
    }

    #[test]
    fn depth_follows_directory_descriptors_from_the_workspace_down() {
        let mut guard = WorkspaceGuard::new(Some(WorkspaceRules { bytes: 1, entries: 1, depth: 1 }));
        assert_eq!(guard.depth_of(WORKSPACE_FD, "a/b"), 2);
        guard.opened(9, Some(guard.depth_of(WORKSPACE_FD, "a/b")));
        assert_eq!(guard.depth_of(9, "c"), 3);
        guard.opened(9, None);
        assert_eq!(guard.depth_of(9, "c"), 1, "a descriptor that is no longer a directory has no depth");
        assert!(WorkspaceGuard::new(None).directories.is_empty());
    }

    #[test]
    fn scratch_space_avoids_the_argument_it_must_keep() {
        assert_eq!(scratch_region(65536, 4096, (8192, 10)), Some(0));
        assert_eq!(scratch_region(65536, 4096, (100, 10)), Some(112));
        assert_eq!(scratch_region(65536, 4096, (0, 65536)), None);
        assert_eq!(scratch_region(4096, 4096, (0, 1)), None);
        assert_eq!(scratch_region(0, 1, (0, 0)), None);
    }
}
