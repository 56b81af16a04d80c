//! Servers' tool lists kept on disk between processes, so a search in a fresh process starts no server.
//!
//! One entry per server configuration, named by the SHA-256 of Sluice's version
//! and the whole configuration (command, arguments, environment, URL, headers,
//! filters; only the hash is written), in the private cache directory's `tools/`,
//! sealed with the per-user key exactly as compiled code is
//! ([`crate::module_cache::SealedEntries`]): an entry Sluice did not write for that
//! name is a miss, never a tool list a program sees. An entry holds the list as
//! the server gave it (before the configuration's filters) and when it was
//! written. It is a miss past its time to live ([`super::McpOptions::tool_list_ttl`]),
//! over the caps on live lists (tools and bytes), and once the server sends
//! `notifications/tools/list_changed` (the entry is removed); whenever a server
//! lists its tools, its entry is replaced, so a new version of a server, once
//! started, replaces what an older one said.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::config::ServerConfig;
use crate::module_cache::{EntryKind, SealedEntries, hex};
use crate::tools::ToolDefinition;

/// The private directory of tool-list entries, shared by every server of a host.
pub(super) struct ToolListCache {
    entries: SealedEntries,
    ttl: Duration,
}

/// One server's entry.
#[derive(Clone)]
pub(super) struct CachedList {
    cache: Arc<ToolListCache>,
    name: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// Seconds since the Unix epoch when it was written.
    written: u64,
    tools: Vec<ToolDefinition>,
}

impl ToolListCache {
    /// The cache under `root` (made private if missing); `None`, with a warning, if the directory is not safe.
    pub(super) fn open(root: &Path, ttl: Duration) -> Option<Arc<ToolListCache>> {
        match SealedEntries::open(root, EntryKind::ToolList) {
            Ok(entries) => Some(Arc::new(ToolListCache { entries, ttl })),
            Err(reason) => {
                tracing::warn!("not caching tool lists in {}: {reason}", root.display());
                None
            }
        }
    }

    /// The entry of the server configured as `config`.
    pub(super) fn entry(self: &Arc<Self>, config: &ServerConfig) -> CachedList {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        hash.update(env!("CARGO_PKG_VERSION").as_bytes());
        hash.update([0]);
        hash.update(format!("{config:?}").as_bytes());
        CachedList { cache: self.clone(), name: format!("{}.json", hex(&hash.finalize())) }
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl CachedList {
    /// The cached list, if there is a sealed entry younger than the time to
    /// live, of at most `max_tools` tools and `max_bytes` bytes.
    pub(super) fn load(&self, max_tools: usize, max_bytes: usize) -> Option<Vec<ToolDefinition>> {
        let bytes = self.cache.entries.read(&self.name, max_bytes as u64)?;
        let entry: Entry = match serde_json::from_slice(&bytes) {
            Ok(entry) => entry,
            Err(error) => {
                tracing::warn!(entry = %self.name, %error, "ignoring a tool-list cache entry");
                return None;
            }
        };
        let age = now().checked_sub(entry.written).map(Duration::from_secs)?;
        (age < self.cache.ttl && entry.tools.len() <= max_tools).then_some(entry.tools)
    }

    /// Replaces the entry with `tools`.
    pub(super) fn store(&self, tools: &[ToolDefinition]) {
        #[derive(Serialize)]
        struct EntryRef<'a> {
            written: u64,
            tools: &'a [ToolDefinition],
        }
        match serde_json::to_vec(&EntryRef { written: now(), tools }) {
            Ok(bytes) => self.cache.entries.write(&self.name, &bytes),
            Err(error) => tracing::warn!(%error, "could not cache a tool list"),
        }
    }

    /// Forgets the entry (the server said its list changed).
    pub(super) fn invalidate(&self) {
        self.cache.entries.remove(&self.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(command: &str) -> ServerConfig {
        let text = json!({ "mcpServers": { "s": { "command": command } } }).to_string();
        crate::config::SluiceConfig::parse(&text, "test").unwrap().servers.remove("s").unwrap()
    }

    fn tools() -> Vec<ToolDefinition> {
        vec![ToolDefinition::new("get_time", "Now.", json!({ "type": "object" }))]
    }

    #[test]
    fn a_list_is_read_back_under_the_same_configuration_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ToolListCache::open(dir.path(), Duration::from_secs(60)).unwrap();
        cache.entry(&config("time-server")).store(&tools());
        let again = ToolListCache::open(dir.path(), Duration::from_secs(60)).unwrap();
        assert_eq!(again.entry(&config("time-server")).load(10, 1 << 20), Some(tools()));
        assert_eq!(again.entry(&config("other-server")).load(10, 1 << 20), None);
    }

    #[test]
    fn a_tampered_expired_or_oversized_entry_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ToolListCache::open(dir.path(), Duration::from_secs(60)).unwrap();
        let entry = cache.entry(&config("time-server"));
        entry.store(&tools());
        assert!(entry.load(0, 1 << 20).is_none(), "more tools than the cap");
        assert!(entry.load(10, 10).is_none(), "more bytes than the cap");
        let path = dir.path().join("tools").join(&entry.name);
        let mut bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes).replace("get_time", "rm_rf_all");
        bytes = text.into_bytes();
        std::fs::write(&path, &bytes).unwrap();
        assert!(entry.load(10, 1 << 20).is_none(), "a forged list is not trusted");
        let expired = ToolListCache::open(dir.path(), Duration::ZERO).unwrap().entry(&config("time-server"));
        expired.store(&tools());
        assert!(expired.load(10, 1 << 20).is_none());
        expired.invalidate();
        assert!(!path.exists());
    }
}
