//! `ScratchWorkspace`: a fresh directory for one run's `/workspace`, removed afterwards however deep the program made it.
//!
//! A program controls the shape of what it leaves behind, so removal must not
//! depend on it: the tree is removed iteratively, holding at most two open
//! descriptors and no recursion whatever its depth (a program can nest
//! directories far deeper than a recursive removal's stack or descriptor limit),
//! and never following a symbolic link. A removal that fails is an error naming
//! the directory, never silence.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, Dir, FileType, Mode, OFlags};

/// A fresh, empty directory (`sluice-workspace-*` in the system's temporary
/// directory) to grant a run as its workspace. [`ScratchWorkspace::remove`]
/// deletes it and everything in it and says if it could not; dropping it
/// without calling `remove` tries the same and logs a failure as a warning.
#[derive(Debug)]
pub struct ScratchWorkspace {
    path: PathBuf,
    removed: bool,
}

/// A scratch workspace could not be removed completely; what is left is at `path`.
#[derive(Debug, thiserror::Error)]
#[error("cannot remove the scratch workspace {}", path.display())]
#[non_exhaustive]
pub struct CleanupError {
    /// The directory that was to be removed.
    pub path: PathBuf,
    /// Why it could not be.
    #[source]
    pub source: io::Error,
}

impl ScratchWorkspace {
    /// Creates a fresh directory, readable and writable only by the current user.
    pub fn new() -> io::Result<Self> {
        let path = tempfile::Builder::new().prefix("sluice-workspace-").tempdir()?.keep();
        Ok(ScratchWorkspace { path, removed: false })
    }

    /// Where the directory is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes the directory and everything in it.
    pub fn remove(mut self) -> Result<(), CleanupError> {
        self.removed = true;
        remove_tree(&self.path).map_err(|source| CleanupError { path: self.path.clone(), source })
    }
}

impl Drop for ScratchWorkspace {
    fn drop(&mut self) {
        if !self.removed
            && let Err(error) = remove_tree(&self.path)
        {
            tracing::warn!("cannot remove the scratch workspace {}: {error}", self.path.display());
        }
    }
}

/// Deletes `root` and everything below it without recursion and without
/// following symbolic links: descends one directory at a time, deleting what is
/// not a directory, and climbs back through `..` (checked to be the directory it
/// came from) to delete each emptied one. Holds at most two descriptors; the
/// names on the way down are the only memory that grows with depth.
pub(crate) fn remove_tree(root: &Path) -> io::Result<()> {
    let mut current = Dir::new(open_directory(CWD, root)?)?;
    // The way back up: each directory's name in its parent, and the parent's identity.
    let mut way_up: Vec<(CString, (u64, u64))> = Vec::new();
    loop {
        match empty_but_subdirectories(&mut current)? {
            Some(name) => {
                let child = Dir::new(open_directory(current.fd()?, name.as_c_str())?)?;
                way_up.push((name, identity(current.fd()?)?));
                current = child;
            }
            None => {
                let Some((name, parent_identity)) = way_up.pop() else { break };
                let parent = open_directory(current.fd()?, c"..")?;
                if identity(parent.as_fd())? != parent_identity {
                    return Err(io::Error::other("the directory tree was moved while it was being removed"));
                }
                drop(current);
                rustix::fs::unlinkat(&parent, name.as_c_str(), AtFlags::REMOVEDIR)?;
                current = Dir::new(parent)?;
            }
        }
    }
    drop(current);
    std::fs::remove_dir(root)
}

/// Deletes every entry of `dir` that is not a directory, up to its first
/// subdirectory, and returns that subdirectory's name; `None` once `dir` is empty.
fn empty_but_subdirectories(dir: &mut Dir) -> io::Result<Option<CString>> {
    dir.rewind();
    while let Some(entry) = dir.read() {
        let entry = entry?;
        let name = entry.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        let file_type = match entry.file_type() {
            FileType::Unknown => match rustix::fs::statat(dir.fd()?, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => FileType::from_raw_mode(stat.st_mode),
                Err(rustix::io::Errno::NOENT) => continue,
                Err(error) => return Err(error.into()),
            },
            known => known,
        };
        if file_type == FileType::Directory {
            return Ok(Some(name.to_owned()));
        }
        match rustix::fs::unlinkat(dir.fd()?, name, AtFlags::empty()) {
            Ok(()) | Err(rustix::io::Errno::NOENT) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(None)
}

/// Opens the directory `path` names from `at`, refusing a symbolic link.
fn open_directory<P: rustix::path::Arg>(at: impl AsFd, path: P) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(at, path, flags, Mode::empty())?)
}

/// Which directory `fd` is: its device and inode numbers.
fn identity(fd: impl AsFd) -> io::Result<(u64, u64)> {
    let stat = rustix::fs::fstat(fd)?;
    Ok((stat.st_dev, stat.st_ino))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nests `depth` directories named `d` under `root`, each holding a file,
    /// with descriptors (a path that long is past what `mkdir` accepts).
    fn nest(root: &Path, depth: usize) {
        let mut dir = open_directory(CWD, root).unwrap();
        for _ in 0..depth {
            rustix::fs::mkdirat(&dir, c"d", Mode::RWXU).unwrap();
            let file = rustix::fs::openat(&dir, c"f", OFlags::CREATE | OFlags::WRONLY, Mode::RUSR).unwrap();
            drop(file);
            dir = open_directory(&dir, c"d").unwrap();
        }
    }

    #[test]
    fn a_tree_far_deeper_than_any_recursion_allows_is_removed() {
        // On a tmpfs when there is one: a disk mounted with `discard` takes
        // milliseconds per removed directory, which would make this minutes.
        let shm = Path::new("/dev/shm");
        let parent = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.unwrap();
        let root = parent.path().join("deep");
        std::fs::create_dir(&root).unwrap();
        nest(&root, 25_000);
        // `std::fs::remove_dir_all` (what `tempfile` uses) overflows its stack here.
        remove_tree(&root).unwrap();
        assert!(!root.exists());
    }

    #[test]
    fn a_wide_tree_with_links_is_removed_without_following_them() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("keep.txt"), "keep").unwrap();
        let scratch = ScratchWorkspace::new().unwrap();
        let root = scratch.path().to_owned();
        for i in 0..300 {
            std::fs::create_dir_all(root.join(format!("dir{i}/sub"))).unwrap();
            std::fs::write(root.join(format!("dir{i}/sub/file")), "x").unwrap();
            std::fs::write(root.join(format!("file{i}")), "x").unwrap();
        }
        std::os::unix::fs::symlink(outside.path(), root.join("dir0/out")).unwrap();
        scratch.remove().unwrap();
        assert!(!root.exists());
        assert!(outside.path().join("keep.txt").exists(), "a link was followed");
    }

    #[test]
    fn a_removal_that_fails_is_an_error_naming_the_directory() {
        let scratch = ScratchWorkspace::new().unwrap();
        let path = scratch.path().to_owned();
        std::fs::remove_dir(&path).unwrap();
        let error = scratch.remove().unwrap_err();
        assert_eq!(error.path, path);
        assert!(error.to_string().contains(&*path.to_string_lossy()), "{error}");
    }

    #[test]
    fn a_symbolic_link_in_place_of_the_directory_is_not_followed() {
        let target = tempfile::tempdir().unwrap();
        std::fs::write(target.path().join("keep.txt"), "keep").unwrap();
        let parent = tempfile::tempdir().unwrap();
        let link = parent.path().join("link");
        std::os::unix::fs::symlink(target.path(), &link).unwrap();
        assert!(remove_tree(&link).is_err());
        assert!(target.path().join("keep.txt").exists());
    }
}
