//! File natives for `api/fs.js`: synchronous `std::fs` calls on the directories WASI preopened (`/workspace`, `/skills`).
//!
//! The host's guards (`src/sandbox/workspace.rs`) meter and police every call
//! these make, exactly as they do a program's own WASI calls: nothing here
//! checks a cap. Paths arrive absolute and normalised (`api/fs.js` resolves
//! them). A failure throws an `Error` whose message is only the errno's name
//! (`ENOENT`), which `api/fs.js` turns into Node's error shape.

use std::io::{ErrorKind, Write};
use std::time::SystemTime;

use rquickjs::{Array, Ctx, Exception, Object, Result, TypedArray};

/// The errno's name for a failed call, as Node's `error.code` gives it.
fn code(error: &std::io::Error) -> &'static str {
    // WASI preview 1 errno values (the `raw_os_error` of a wasip1 `io::Error`).
    match error.raw_os_error() {
        Some(2) => return "EACCES",
        Some(8) => return "EBADF",
        Some(19) => return "EDQUOT",
        Some(20) => return "EEXIST",
        Some(22) => return "EFBIG",
        Some(28) => return "EINVAL",
        Some(29) => return "EIO",
        Some(31) => return "EISDIR",
        Some(32) => return "ELOOP",
        Some(33) => return "EMFILE",
        Some(37) => return "ENAMETOOLONG",
        Some(44) => return "ENOENT",
        Some(51) => return "ENOSPC",
        Some(52) | Some(58) => return "ENOTSUP",
        Some(54) => return "ENOTDIR",
        Some(55) => return "ENOTEMPTY",
        Some(63) => return "EPERM",
        Some(69) => return "EROFS",
        Some(75) => return "EXDEV",
        // `ENOTCAPABLE`: the preopen's rights forbid it (a read-only `/skills`).
        Some(76) => return "EROFS",
        _ => {}
    }
    match error.kind() {
        ErrorKind::NotFound => "ENOENT",
        ErrorKind::PermissionDenied => "EACCES",
        ErrorKind::AlreadyExists => "EEXIST",
        ErrorKind::NotADirectory => "ENOTDIR",
        ErrorKind::IsADirectory => "EISDIR",
        ErrorKind::DirectoryNotEmpty => "ENOTEMPTY",
        ErrorKind::StorageFull => "ENOSPC",
        ErrorKind::QuotaExceeded => "EDQUOT",
        ErrorKind::ReadOnlyFilesystem => "EROFS",
        ErrorKind::InvalidInput => "EINVAL",
        _ => "EIO",
    }
}

fn fail(ctx: &Ctx<'_>, error: std::io::Error) -> rquickjs::Error {
    Exception::throw_message(ctx, code(&error))
}

/// `fsRoot(path)`: whether a preopened root (`/workspace`, `/skills`) exists in this run.
pub fn root(path: String) -> bool {
    std::fs::metadata(path).is_ok_and(|metadata| metadata.is_dir())
}

/// `fsReadBytes(path)`: the file's bytes.
pub fn read_bytes<'js>(ctx: Ctx<'js>, path: String) -> Result<TypedArray<'js, u8>> {
    let bytes = std::fs::read(path).map_err(|e| fail(&ctx, e))?;
    TypedArray::new(ctx, bytes)
}

/// `fsReadText(path)`: the file as UTF-8 text (ill-formed parts become U+FFFD, as in Node).
pub fn read_text(ctx: Ctx<'_>, path: String) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| fail(&ctx, e))?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(invalid) => String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
    })
}

/// `fsWrite(path, data, latin1, flag)`: writes `data` (UTF-8 text, or bytes given
/// one per character when `latin1`) with Node's `flag`: `w` replace, `wx` create
/// only, `a` append, `ax` append to a new file.
pub fn write(ctx: Ctx<'_>, path: String, data: String, latin1: bool, flag: String) -> Result<()> {
    let bytes: Vec<u8> = if latin1 { data.chars().map(|c| c as u32 as u8).collect() } else { data.into_bytes() };
    let mut options = std::fs::OpenOptions::new();
    match flag.as_str() {
        "w" => options.write(true).create(true).truncate(true),
        "wx" | "xw" => options.write(true).create_new(true),
        "a" => options.append(true).create(true),
        "ax" | "xa" => options.append(true).create_new(true),
        _ => return Err(Exception::throw_message(&ctx, "EINVAL")),
    };
    let mut file = options.open(path).map_err(|e| fail(&ctx, e))?;
    file.write_all(&bytes).map_err(|e| fail(&ctx, e))
}

/// `fsReaddir(path)`: `[name, kind]` pairs, sorted by name; kind is `file`,
/// `directory`, `symlink` or `other`.
pub fn readdir<'js>(ctx: Ctx<'js>, path: String) -> Result<Array<'js>> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| fail(&ctx, e))? {
        let entry = entry.map_err(|e| fail(&ctx, e))?;
        let kind = entry.file_type().map_or("other", kind_of);
        entries.push((entry.file_name().to_string_lossy().into_owned(), kind));
    }
    entries.sort();
    let list = Array::new(ctx.clone())?;
    for (index, (name, kind)) in entries.into_iter().enumerate() {
        let pair = Array::new(ctx.clone())?;
        pair.set(0, name)?;
        pair.set(1, kind)?;
        list.set(index, pair)?;
    }
    Ok(list)
}

fn kind_of(file_type: std::fs::FileType) -> &'static str {
    if file_type.is_symlink() {
        "symlink"
    } else if file_type.is_dir() {
        "directory"
    } else if file_type.is_file() {
        "file"
    } else {
        "other"
    }
}

fn millis(time: std::io::Result<SystemTime>) -> f64 {
    time.ok()
        .and_then(|time| time.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0.0, |since| since.as_secs_f64() * 1000.0)
}

/// `fsStat(path, follow)`: `{kind, size, mtimeMs, atimeMs, birthtimeMs}` of
/// what `path` names (its final link followed when `follow`).
pub fn stat<'js>(ctx: Ctx<'js>, path: String, follow: bool) -> Result<Object<'js>> {
    let metadata =
        if follow { std::fs::metadata(path) } else { std::fs::symlink_metadata(path) }.map_err(|e| fail(&ctx, e))?;
    let stat = Object::new(ctx)?;
    stat.set("kind", kind_of(metadata.file_type()))?;
    stat.set("size", metadata.len() as f64)?;
    let modified = millis(metadata.modified());
    stat.set("mtimeMs", modified)?;
    stat.set("atimeMs", millis(metadata.accessed()))?;
    let created = millis(metadata.created());
    stat.set("birthtimeMs", if created > 0.0 { created } else { modified })?;
    Ok(stat)
}

/// `fsMkdir(path, recursive)`: makes the directory (and, when `recursive`, its
/// missing parents).
pub fn mkdir(ctx: Ctx<'_>, path: String, recursive: bool) -> Result<()> {
    let made = if recursive { std::fs::create_dir_all(path) } else { std::fs::create_dir(path) };
    made.map_err(|e| fail(&ctx, e))
}

/// `fsRemove(path, kind)`: removes a file or link (`file`), an empty directory
/// (`directory`) or a directory and everything in it (`tree`, following no link).
pub fn remove(ctx: Ctx<'_>, path: String, kind: String) -> Result<()> {
    let removed = match kind.as_str() {
        "file" => std::fs::remove_file(path),
        "directory" => std::fs::remove_dir(path),
        "tree" => std::fs::remove_dir_all(path),
        _ => return Err(Exception::throw_message(&ctx, "EINVAL")),
    };
    removed.map_err(|e| fail(&ctx, e))
}

/// `fsRename(from, to)`.
pub fn rename(ctx: Ctx<'_>, from: String, to: String) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| fail(&ctx, e))
}

/// `fsCopy(from, to)`: copies a file's bytes.
pub fn copy(ctx: Ctx<'_>, from: String, to: String) -> Result<()> {
    std::fs::copy(from, to).map(drop).map_err(|e| fail(&ctx, e))
}
