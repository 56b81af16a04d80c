//! Where a remote server's OAuth tokens live: one private file per server URL.
//!
//! `<credentials dir>/<sha256 of the server URL>.json`, mode 0600, in a 0700
//! directory made and checked as the module cache's are (owned by this user,
//! writable by no one else, no symlinks). A file is read only if it is a
//! regular file this user owns that no one else can write, of at most
//! [`MAX_FILE_BYTES`]; it is written to a fresh temporary file (exclusive
//! create, 0600) in the same directory and renamed over the old one, so a
//! reader never sees half a file and a planted symlink is replaced, never
//! followed. The file names the URL it is for, and one naming another is refused.

use std::io::Write;
use std::path::{Path, PathBuf};

use rmcp::transport::auth::{AuthError, CredentialRefreshGuard, CredentialStore, StoredCredentials};
use serde::{Deserialize, Serialize};

use crate::mcp::redact::Redactor;
use crate::module_cache::{ensure_private_dir, read_private_file, sha256_hex};

/// The largest credentials file read (tokens are a few KiB at most).
pub(super) const MAX_FILE_BYTES: u64 = 64 << 10;

/// How long a refresh waits for another process's refresh of the same credentials.
#[cfg(unix)]
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Why stored credentials could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The directory is missing and cannot be made, or is not private.
    #[error("the credentials directory is not usable: {0}")]
    Directory(String),
    /// The file exists but is not one this user made privately, or cannot be read.
    #[error("refusing the credentials file {}", path.display())]
    Refused {
        /// The file.
        path: PathBuf,
        /// Why (owner, mode, a symlink, size).
        #[source]
        source: std::io::Error,
    },
    /// The file is not Sluice's credentials for this server.
    #[error("the credentials file {} is not for this server, or is damaged", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
    },
    /// Writing failed.
    #[error("cannot write the credentials file {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// What is stored for one server.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Entry {
    /// The server URL these credentials are for.
    pub(super) url: String,
    /// A dynamically registered client's secret (a pre-registered client's
    /// stays in the configuration and is never written here).
    #[serde(default)]
    pub(super) client_secret: Option<String>,
    /// The `WWW-Authenticate` of a 403 `insufficient_scope` a run met: the next
    /// login asks for those scopes too.
    #[serde(default)]
    pub(super) step_up: Option<String>,
    /// rmcp's record: client id, tokens, granted scopes, when, issuer.
    pub(super) credentials: StoredCredentials,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("url", &self.url).field("credentials", &self.credentials).finish_non_exhaustive()
    }
}

/// The credentials file of one server URL.
#[derive(Debug, Clone)]
pub(super) struct CredentialsFile {
    dir: PathBuf,
    path: PathBuf,
    url: String,
}

impl CredentialsFile {
    /// The file for server `url` in `dir` (nothing is touched yet).
    pub(super) fn new(dir: &Path, url: &str) -> CredentialsFile {
        let path = dir.join(format!("{}.json", sha256_hex(url.as_bytes())));
        CredentialsFile { dir: dir.to_owned(), path, url: url.to_owned() }
    }

    /// Where the file is.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The stored entry, `None` if there is none.
    pub(super) fn load(&self) -> Result<Option<Entry>, CredentialsError> {
        // Only the owner may read tokens: a file others can read was not made by Sluice.
        let bytes = match read_private_file(&self.path, MAX_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(CredentialsError::Refused { path: self.path.clone(), source }),
        };
        let entry: Entry =
            serde_json::from_slice(&bytes).map_err(|_| CredentialsError::Damaged { path: self.path.clone() })?;
        if entry.url != self.url {
            return Err(CredentialsError::Damaged { path: self.path.clone() });
        }
        Ok(Some(entry))
    }

    /// Replaces the stored entry, atomically, with a private file.
    pub(super) fn save(&self, entry: &Entry) -> Result<(), CredentialsError> {
        ensure_private_dir(&self.dir).map_err(CredentialsError::Directory)?;
        let write = |source| CredentialsError::Write { path: self.path.clone(), source };
        let bytes = serde_json::to_vec_pretty(entry).map_err(|e| write(std::io::Error::other(e)))?;
        // `NamedTempFile` creates with O_EXCL and mode 0600; the rename replaces
        // whatever is at the path (a symlink included) without following it.
        let mut file = tempfile::NamedTempFile::new_in(&self.dir).map_err(write)?;
        file.write_all(&bytes).map_err(write)?;
        file.as_file().sync_all().map_err(write)?;
        file.persist(&self.path).map_err(|e| write(e.error))?;
        Ok(())
    }

    /// Holds the entry's lock file (`<name>.lock`, beside it) exclusively, so
    /// processes sharing the credentials refresh them one at a time: with
    /// rotating refresh tokens a second refresh with the token the first used
    /// would be refused. Waits up to [`LOCK_WAIT`].
    #[cfg(unix)]
    pub(super) async fn lock(&self) -> Result<std::fs::File, CredentialsError> {
        use rustix::fs::{FlockOperation, flock};
        ensure_private_dir(&self.dir).map_err(CredentialsError::Directory)?;
        let path = self.path.with_extension("lock");
        let refused = |source| CredentialsError::Refused { path: path.clone(), source };
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(refused)?;
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        loop {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(file),
                Err(error) if error == rustix::io::Errno::WOULDBLOCK && tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(error) => return Err(refused(error.into())),
            }
        }
    }

    /// Removes the stored entry, if any.
    pub(super) fn remove(&self) -> Result<(), CredentialsError> {
        match std::fs::remove_file(&self.path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(CredentialsError::Write { path: self.path.clone(), source: error })
            }
            _ => Ok(()),
        }
    }

    /// Notes a step-up challenge on the stored entry (kept for the next login).
    pub(super) fn note_step_up(&self, challenge: &str) {
        let result = self.load().and_then(|entry| match entry {
            Some(mut entry) if entry.step_up.as_deref() != Some(challenge) => {
                entry.step_up = Some(challenge.to_owned());
                self.save(&entry)
            }
            _ => Ok(()),
        });
        if let Err(error) = result {
            tracing::warn!("could not note the scopes a server asked for: {}", crate::error::chain(&error));
        }
    }
}

/// rmcp's view of a [`CredentialsFile`]: tokens saved after an exchange or a
/// refresh keep what else the entry holds (a registered client's secret).
pub(super) struct FileStore {
    pub(super) file: CredentialsFile,
    /// The secret of a dynamically registered client, written with the tokens.
    pub(super) client_secret: Option<String>,
    /// Whether this is a login's store: its tokens replace the entry whole
    /// (an older registration's secret and step-up note go).
    pub(super) login: bool,
    /// Learns every token read or written, to hide it in what programs see.
    pub(super) redactor: Redactor,
}

/// Has `redactor` hide the tokens in `credentials`.
pub(super) fn hide_tokens(redactor: &Redactor, credentials: &impl Serialize) {
    let Ok(value) = serde_json::to_value(credentials) else { return };
    let response = value.get("token_response").unwrap_or(&value);
    for key in ["access_token", "refresh_token", "id_token"] {
        if let Some(secret) = response.get(key).and_then(|v| v.as_str()) {
            redactor.add_secret(secret);
        }
    }
}

fn store_error(error: CredentialsError) -> AuthError {
    AuthError::CredentialStoreError(crate::error::chain(&error))
}

#[async_trait::async_trait]
impl CredentialStore for FileStore {
    async fn load(&self) -> Result<Option<StoredCredentials>, AuthError> {
        let entry = self.file.load().map_err(store_error)?;
        if let Some(entry) = &entry {
            hide_tokens(&self.redactor, &entry.credentials);
            if let Some(secret) = &entry.client_secret {
                self.redactor.add_secret(secret);
            }
        }
        Ok(entry.map(|entry| entry.credentials))
    }

    async fn save(&self, credentials: StoredCredentials) -> Result<(), AuthError> {
        hide_tokens(&self.redactor, &credentials);
        let old = if self.login { None } else { self.file.load().ok().flatten() };
        let entry = Entry {
            url: self.file.url.clone(),
            client_secret: self.client_secret.clone().or_else(|| old.as_ref().and_then(|e| e.client_secret.clone())),
            // New tokens answer the step-up only if their grant covers it; a
            // refresh never widens a grant, so the note stays until a login.
            step_up: old.and_then(|e| e.step_up),
            credentials,
        };
        self.file.save(&entry).map_err(store_error)
    }

    async fn clear(&self) -> Result<(), AuthError> {
        self.file.remove().map_err(store_error)
    }

    #[cfg(unix)]
    async fn acquire_refresh_guard(&self) -> Result<Option<CredentialRefreshGuard>, AuthError> {
        Ok(Some(CredentialRefreshGuard::new(self.file.lock().await.map_err(store_error)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(url: &str) -> Entry {
        Entry {
            url: url.to_owned(),
            client_secret: None,
            step_up: None,
            credentials: StoredCredentials::new("client".to_owned(), None, vec!["a".to_owned()], Some(1)),
        }
    }

    #[test]
    fn a_saved_entry_reads_back_from_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = CredentialsFile::new(&dir.path().join("credentials"), "https://example.com/mcp");
        assert!(file.load().unwrap().is_none());
        file.save(&entry("https://example.com/mcp")).unwrap();
        let read = file.load().unwrap().unwrap();
        assert_eq!(read.credentials.client_id, "client");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(file.path()), 0o600);
            assert_eq!(mode(&dir.path().join("credentials")), 0o700);
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_second_refresh_waits_for_the_first_to_let_go() {
        let dir = tempfile::tempdir().unwrap();
        let file = CredentialsFile::new(dir.path(), "https://example.com/mcp");
        let held = file.lock().await.unwrap();
        // While it is held, no other handle gets it (however long it tries here).
        let other = file.clone();
        assert!(tokio::time::timeout(std::time::Duration::from_millis(300), other.lock()).await.is_err());
        drop(held);
        file.clone().lock().await.unwrap();
    }

    #[test]
    fn two_urls_have_two_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = CredentialsFile::new(dir.path(), "https://example.com/mcp");
        let b = CredentialsFile::new(dir.path(), "https://example.com/other");
        a.save(&entry("https://example.com/mcp")).unwrap();
        assert!(b.load().unwrap().is_none());
        assert_ne!(a.path(), b.path());
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_a_symlink_or_one_for_another_url_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = CredentialsFile::new(dir.path(), "https://example.com/mcp");
        file.save(&entry("https://example.com/mcp")).unwrap();
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(file.load(), Err(CredentialsError::Refused { .. })), "{:?}", file.load());

        std::fs::remove_file(file.path()).unwrap();
        let elsewhere = dir.path().join("elsewhere.json");
        std::fs::write(&elsewhere, serde_json::to_vec(&entry("https://example.com/mcp")).unwrap()).unwrap();
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&elsewhere, file.path()).unwrap();
        assert!(matches!(file.load(), Err(CredentialsError::Refused { .. })));
        // Saving replaces the link; it does not write through it.
        file.save(&entry("https://example.com/mcp")).unwrap();
        assert!(std::fs::symlink_metadata(file.path()).unwrap().is_file());
        assert_eq!(std::fs::read(&elsewhere).unwrap(), serde_json::to_vec(&entry("https://example.com/mcp")).unwrap());

        let other = CredentialsFile::new(dir.path(), "https://evil.example/mcp");
        std::fs::copy(file.path(), other.path()).unwrap();
        std::fs::set_permissions(other.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(other.load(), Err(CredentialsError::Damaged { .. })));
    }
}
