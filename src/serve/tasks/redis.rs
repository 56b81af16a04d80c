//! [`RedisTaskStore`]: task state shared by many `sluice serve` instances through one Redis (`--state redis://...`).
//!
//! Keys, all under the configured prefix `P` (default `sluice:`), and all
//! expiring, so Redis never grows without bound:
//! - `P task:{id}`: a hash (owner, era, state, status, created, updated, ttl,
//!   poll, cancel, result) that expires with the task's TTL;
//! - `P owner:{o}` and `P expiry:{o}`: the owner's task ids by creation
//!   sequence (listing) and by expiry time (forgetting), `{o}` a digest of the
//!   owner; they live as long as the owner's longest-lived task;
//! - `P seq`: the creation sequence;
//! - `P working`: the ids of working tasks, for the lease sweep;
//! - `P lease:{id}`: the instance running the task, expiring after the lease
//!   unless that instance renews it;
//! - channel `P events`: a task id, published when the task finishes or a
//!   cancel is requested, so waiters anywhere wake at once. Behind it, each
//!   instance reads the state of every task it is watching in one pipelined
//!   round trip every [`FALLBACK_POLL`], so a lost message costs a second,
//!   not a hang, and a thousand waiters cost one request a second, not a
//!   thousand.
//!
//! Every change of state is one Lua script, so two instances can never both
//! finish a task. A task whose lease is found missing on two sweeps in a row
//! (the instance died, or lost Redis for longer than the lease) is failed
//! with a message saying so; it is never run again.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::{Owner, POLL_INTERVAL, TaskEra, TaskError, TaskPage, TaskRecord, TaskState, TaskStore, status_for};
use crate::tools::BoxFuture;

/// How often an instance reads the tasks it watches even without a message on the events channel.
pub const FALLBACK_POLL: Duration = Duration::from_secs(1);
/// Most watched tasks read in one round trip of the fallback poll.
const POLL_CHUNK: usize = 1_000;
/// A waiter re-reads its task at least this often, whatever the events say.
const REREAD: Duration = Duration::from_secs(10);
/// Most working tasks one sweep looks at; the rest wait for the next sweep.
const MAX_SWEPT: isize = 10_000;
/// Longest id a client may name (ids are UUIDs; anything longer is unknown).
const MAX_ID_BYTES: usize = 64;

/// Where the shared state lives and how it is kept.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port/db` or `redis+unix:///path`.
    pub url: String,
    /// Prepended to every key and channel; instances sharing tasks share it.
    pub prefix: String,
    /// Tasks kept per owner, running or finished and not yet expired.
    pub max_per_owner: usize,
    /// How long a running task's claim lasts unless renewed (renewed every
    /// third of it). A dead instance's tasks fail within about twice this,
    /// plus a sweep interval.
    pub lease: Duration,
    /// The longest one request to Redis may take before the operation fails
    /// as unavailable.
    pub timeout: Duration,
}

impl RedisConfig {
    /// `url` with the defaults: prefix `sluice:`, 1,024 tasks per owner, a 10 s lease, 5 s requests.
    pub fn new(url: impl Into<String>) -> RedisConfig {
        RedisConfig {
            url: url.into(),
            prefix: "sluice:".to_owned(),
            max_per_owner: 1024,
            lease: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Why a Redis store could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisStoreError {
    /// The URL is not one the Redis client understands.
    #[error("invalid Redis URL: {0}")]
    Url(String),
}

/// Task state in Redis, shared by every instance configured with the same URL and prefix.
pub struct RedisTaskStore {
    redis: ConnectionManager,
    config: RedisConfig,
    keys: Keys,
    /// This instance, as its leases name it.
    instance: String,
    /// The tasks someone here waits on, each with a counter bumped on news of it.
    watched: Watched,
    /// Working tasks whose lease the last sweep found missing.
    suspects: Mutex<HashSet<String>>,
    /// The events subscription and the fallback poll.
    background: [tokio::task::JoinHandle<()>; 2],
}

impl Drop for RedisTaskStore {
    fn drop(&mut self) {
        for task in &self.background {
            task.abort();
        }
    }
}

/// Task ids watched on this instance, each with a channel whose value is bumped on news of the task.
type Watched = Arc<Mutex<HashMap<String, watch::Sender<u64>>>>;

/// Tells whoever watches `id` here that something may have changed.
fn bump(watched: &Watched, id: &str) {
    if let Some(sender) = watched.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(id) {
        sender.send_modify(|count| *count = count.wrapping_add(1));
    }
}

/// One watcher of one task; the task is forgotten when its last watcher goes.
struct Watch {
    watched: Watched,
    id: String,
    changes: Option<watch::Receiver<u64>>,
}

impl Watch {
    fn new(watched: &Watched, id: &str) -> Watch {
        let mut map = watched.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let changes = map.entry(id.to_owned()).or_insert_with(|| watch::Sender::new(0)).subscribe();
        Watch { watched: watched.clone(), id: id.to_owned(), changes: Some(changes) }
    }

    /// Resolves on news of the task since the last call (or since the watch began), or after [`REREAD`].
    async fn news(&mut self) {
        if let Some(changes) = &mut self.changes {
            let _ = tokio::time::timeout(REREAD, changes.changed()).await;
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        drop(self.changes.take());
        let mut map = self.watched.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if map.get(&self.id).is_some_and(|sender| sender.receiver_count() == 0) {
            map.remove(&self.id);
        }
    }
}

/// Key and channel names.
#[derive(Debug, Clone)]
struct Keys {
    prefix: String,
}

impl Keys {
    fn task(&self, id: &str) -> String {
        format!("{}task:{id}", self.prefix)
    }
    fn lease(&self, id: &str) -> String {
        format!("{}lease:{id}", self.prefix)
    }
    fn owner(&self, owner: &Owner) -> String {
        format!("{}owner:{}", self.prefix, owner_digest(owner))
    }
    fn expiry(&self, owner: &Owner) -> String {
        format!("{}expiry:{}", self.prefix, owner_digest(owner))
    }
    fn seq(&self) -> String {
        format!("{}seq", self.prefix)
    }
    fn working(&self) -> String {
        format!("{}working", self.prefix)
    }
    fn events(&self) -> String {
        format!("{}events", self.prefix)
    }
}

fn owner_digest(owner: &Owner) -> String {
    crate::module_cache::hex(&Sha256::digest(owner.0.as_bytes())[..16])
}

/// Removes expired ids from the owner's sets, refuses when the owner is at
/// its cap, then writes the task, its lease and its place in every set.
const CREATE: &str = r"
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[4])
for _, old in ipairs(expired) do
  redis.call('ZREM', KEYS[2], old)
  redis.call('ZREM', KEYS[3], old)
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then return -1 end
local seq = redis.call('INCR', KEYS[6])
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'era', ARGV[3], 'state', 'working', 'status', ARGV[7],
  'created', ARGV[4], 'updated', ARGV[4], 'ttl', ARGV[5], 'poll', ARGV[8], 'cancel', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('ZADD', KEYS[3], tonumber(ARGV[4]) + tonumber(ARGV[5]), ARGV[1])
for _, key in ipairs({KEYS[2], KEYS[3]}) do
  if redis.call('PTTL', key) < tonumber(ARGV[5]) then redis.call('PEXPIRE', key, ARGV[5]) end
end
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('SET', KEYS[5], ARGV[9], 'PX', ARGV[10])
return seq
";

/// Finishes a working task (only a working one), drops its lease and tells
/// everyone. With ARGV[7] = '1', only if its lease is gone (the lost-instance sweep).
const FINISH: &str = r"
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[7] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
  return 0
end
if redis.call('HGET', KEYS[1], 'state') ~= 'working' then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'status', ARGV[3], 'updated', ARGV[4], 'result', ARGV[5])
redis.call('DEL', KEYS[3])
redis.call('PUBLISH', ARGV[6], ARGV[1])
return 1
";

/// Marks a working task of the owner as cancel-requested and tells everyone.
/// Returns `gone`, the task's terminal state, or `ok`.
const CANCEL: &str = r"
local f = redis.call('HMGET', KEYS[1], 'owner', 'state')
if f[1] ~= ARGV[1] then return 'gone' end
if f[2] ~= 'working' then return f[2] end
redis.call('HSET', KEYS[1], 'cancel', '1', 'status', 'cancelling')
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 'ok'
";

fn unavailable(error: impl std::fmt::Display) -> TaskError {
    TaskError::Unavailable(error.to_string())
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as u64)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn era_name(era: TaskEra) -> &'static str {
    match era {
        TaskEra::Legacy => "legacy",
        TaskEra::Extension => "extension",
    }
}

fn state_named(name: &str) -> Option<TaskState> {
    Some(match name {
        "working" => TaskState::Working,
        "completed" => TaskState::Completed,
        "failed" => TaskState::Failed,
        "cancelled" => TaskState::Cancelled,
        _ => return None,
    })
}

/// A task hash back into a record; `None` when it is not a whole task (gone, or written by something else).
fn record_from(id: &str, fields: &HashMap<String, String>) -> Option<TaskRecord> {
    let number = |name: &str| fields.get(name)?.parse::<u64>().ok();
    let time = |name: &str| Some(UNIX_EPOCH + Duration::from_millis(number(name)?));
    Some(TaskRecord {
        id: id.to_owned(),
        owner: Owner(fields.get("owner")?.clone()),
        era: match fields.get("era")?.as_str() {
            "legacy" => TaskEra::Legacy,
            "extension" => TaskEra::Extension,
            _ => return None,
        },
        state: state_named(fields.get("state")?)?,
        status_message: fields.get("status").cloned(),
        created_at: time("created")?,
        updated_at: time("updated")?,
        ttl: Duration::from_millis(number("ttl")?),
        poll_interval: Duration::from_millis(number("poll")?),
        result: match fields.get("result") {
            Some(text) => Some(serde_json::from_str(text).ok()?),
            None => None,
        },
        cancel_requested: fields.get("cancel").is_some_and(|flag| flag == "1"),
    })
}

impl RedisTaskStore {
    /// A store on `config.url`. Nothing is connected yet: the first request
    /// connects, and every request reconnects if Redis went away, so an
    /// instance starts (and reports not ready) while Redis is down.
    pub fn new(config: RedisConfig) -> Result<RedisTaskStore, RedisStoreError> {
        let client =
            redis::Client::open(config.url.as_str()).map_err(|error| RedisStoreError::Url(error.to_string()))?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.timeout))
            .set_response_timeout(Some(config.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let redis = ConnectionManager::new_lazy_with_config(client.clone(), manager_config)
            .map_err(|error| RedisStoreError::Url(error.to_string()))?;
        let keys = Keys { prefix: config.prefix.clone() };
        let watched = Watched::default();
        let background = [
            tokio::spawn(listen(client, keys.events(), watched.clone())),
            tokio::spawn(poll(redis.clone(), keys.clone(), watched.clone(), config.timeout)),
        ];
        Ok(RedisTaskStore {
            redis,
            config,
            keys,
            instance: uuid::Uuid::new_v4().to_string(),
            watched,
            suspects: Mutex::default(),
            background,
        })
    }

    /// Runs `op` on the connection within the store's timeout. The connection
    /// manager reconnects after a failure, but the request that meets the
    /// failure fails with it: so a request that never reached Redis
    /// (refused) is tried once more, and so is an `idempotent` one whose
    /// connection dropped.
    async fn attempt<T, F, Fut>(&self, idempotent: bool, op: F) -> Result<T, TaskError>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let deadline = tokio::time::Instant::now() + self.config.timeout;
        let mut retried = false;
        loop {
            match tokio::time::timeout_at(deadline, op(self.redis.clone())).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(error))
                    if !retried && (error.is_connection_refusal() || (idempotent && error.is_connection_dropped())) =>
                {
                    retried = true;
                }
                Ok(Err(error)) => return Err(unavailable(error)),
                Err(_) => return Err(unavailable(format!("no answer within {:?}", self.config.timeout))),
            }
        }
    }

    /// One command that only reads (or sets a value idempotently).
    async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, TaskError> {
        self.attempt(true, |mut redis| async move { command.query_async::<T>(&mut redis).await }).await
    }

    /// Several reads in one round trip.
    async fn pipeline<T: redis::FromRedisValue>(&self, pipe: &redis::Pipeline) -> Result<T, TaskError> {
        self.attempt(true, |mut redis| async move { pipe.query_async::<T>(&mut redis).await }).await
    }

    /// A script that changes state (`idempotent` if running it twice changes nothing more).
    async fn script<T: redis::FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
        idempotent: bool,
    ) -> Result<T, TaskError> {
        self.attempt(idempotent, |mut redis| async move { invocation.invoke_async::<T>(&mut redis).await }).await
    }

    /// The task's fields, if it exists.
    async fn fields(&self, id: &str) -> Result<HashMap<String, String>, TaskError> {
        if id.len() > MAX_ID_BYTES {
            return Ok(HashMap::new());
        }
        self.query(redis::cmd("HGETALL").arg(self.keys.task(id))).await
    }

    async fn read(&self, owner: Option<&Owner>, id: &str) -> Result<TaskRecord, TaskError> {
        let fields = self.fields(id).await?;
        match record_from(id, &fields) {
            Some(record) if owner.is_none_or(|owner| *owner == record.owner) => Ok(record),
            _ => Err(TaskError::NotFound(id.to_owned())),
        }
    }

    async fn finish_with(
        &self,
        id: &str,
        state: TaskState,
        status: &str,
        result: &Value,
        only_if_lost: bool,
    ) -> Result<bool, TaskError> {
        let script = redis::Script::new(FINISH);
        let mut invocation = script.prepare_invoke();
        invocation
            .key(self.keys.task(id))
            .key(self.keys.working())
            .key(self.keys.lease(id))
            .arg(id)
            .arg(state.name())
            .arg(status)
            .arg(now_ms())
            .arg(result.to_string())
            .arg(self.keys.events())
            .arg(if only_if_lost { "1" } else { "0" });
        let changed: i64 = self.script(&invocation, true).await?;
        Ok(changed == 1)
    }

    /// Fails every working task whose lease was missing on this sweep and the last.
    async fn sweep_lost(&self) -> Result<usize, TaskError> {
        let working: Vec<String> =
            self.query(redis::cmd("ZRANGE").arg(self.keys.working()).arg(0).arg(MAX_SWEPT - 1)).await?;
        if working.is_empty() {
            self.suspects.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
            return Ok(0);
        }
        let mut pipe = redis::pipe();
        for id in &working {
            pipe.cmd("EXISTS").arg(self.keys.lease(id));
        }
        let leased: Vec<bool> = self.pipeline(&pipe).await?;
        let lost: Vec<String> = {
            let mut suspects = self.suspects.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let missing: HashSet<String> =
                working.iter().zip(&leased).filter(|(_, leased)| !**leased).map(|(id, _)| id.clone()).collect();
            let lost = missing.intersection(&suspects).cloned().collect();
            *suspects = missing;
            lost
        };
        let status = format!(
            "the Sluice instance running this program was lost (it stopped renewing its {:?} lease); \
             the program did not finish and is not run again",
            self.config.lease
        );
        let result = json!({
            "content": [{ "type": "text", "text": status }],
            "isError": true,
        });
        let mut failed = 0;
        for id in lost {
            if self.finish_with(&id, TaskState::Failed, &status, &result, true).await? {
                tracing::warn!(task = %id, "task failed: the instance running it was lost");
                failed += 1;
            }
        }
        Ok(failed)
    }
}

/// Every [`FALLBACK_POLL`], reads the state of every watched task (in
/// pipelined chunks) and bumps those that are over, gone or asked to cancel.
async fn poll(redis: ConnectionManager, keys: Keys, watched: Watched, timeout: Duration) {
    loop {
        tokio::time::sleep(FALLBACK_POLL).await;
        let ids: Vec<String> =
            watched.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).keys().cloned().collect();
        for chunk in ids.chunks(POLL_CHUNK) {
            let mut pipe = redis::pipe();
            for id in chunk {
                pipe.cmd("HMGET").arg(keys.task(id)).arg("state").arg("cancel");
            }
            let mut connection = redis.clone();
            let rows: Vec<(Option<String>, Option<String>)> =
                match tokio::time::timeout(timeout, pipe.query_async(&mut connection)).await {
                    Ok(Ok(rows)) => rows,
                    // Redis is away: the waiters find out when they read.
                    _ => break,
                };
            for (id, (state, cancel)) in chunk.iter().zip(rows) {
                if state.as_deref() != Some("working") || cancel.as_deref() == Some("1") {
                    bump(&watched, id);
                }
            }
        }
    }
}

/// Bumps every watched task whose id is published on `channel`, reconnecting
/// (with a growing pause) whenever the subscription ends.
async fn listen(client: redis::Client, channel: String, watched: Watched) {
    use futures::StreamExt;
    let mut pause = Duration::from_millis(100);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    pause = Duration::from_millis(100);
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        if let Ok(id) = message.get_payload::<String>() {
                            bump(&watched, &id);
                        }
                    }
                    tracing::debug!("the Redis events subscription ended; resubscribing");
                }
                Err(error) => tracing::debug!("cannot subscribe to Redis events: {error}"),
            },
            Err(error) => tracing::debug!("cannot connect to Redis for events: {error}"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

impl TaskStore for RedisTaskStore {
    fn create(&self, owner: &Owner, era: TaskEra, ttl: Duration) -> BoxFuture<'_, Result<TaskRecord, TaskError>> {
        let owner = owner.clone();
        Box::pin(async move {
            let id = uuid::Uuid::new_v4().to_string();
            let now = now_ms();
            let status = status_for(TaskState::Working);
            let script = redis::Script::new(CREATE);
            let mut invocation = script.prepare_invoke();
            invocation
                .key(self.keys.task(&id))
                .key(self.keys.owner(&owner))
                .key(self.keys.expiry(&owner))
                .key(self.keys.working())
                .key(self.keys.lease(&id))
                .key(self.keys.seq())
                .arg(&id)
                .arg(&owner.0)
                .arg(era_name(era))
                .arg(now)
                .arg(millis(ttl))
                .arg(self.config.max_per_owner)
                .arg(status)
                .arg(millis(POLL_INTERVAL))
                .arg(&self.instance)
                .arg(millis(self.config.lease));
            let sequence: i64 = self.script(&invocation, false).await?;
            if sequence < 0 {
                return Err(TaskError::TooMany(self.config.max_per_owner));
            }
            let at = UNIX_EPOCH + Duration::from_millis(now);
            Ok(TaskRecord {
                id,
                owner,
                era,
                state: TaskState::Working,
                status_message: Some(status.to_owned()),
                created_at: at,
                updated_at: at,
                ttl: Duration::from_millis(millis(ttl)),
                poll_interval: POLL_INTERVAL,
                result: None,
                cancel_requested: false,
            })
        })
    }

    fn finish(&self, id: &str, state: TaskState, status: &str, result: Value) -> BoxFuture<'_, Result<(), TaskError>> {
        let id = id.to_owned();
        let status = status.to_owned();
        Box::pin(async move { self.finish_with(&id, state, &status, &result, false).await.map(drop) })
    }

    fn get(&self, owner: &Owner, id: &str) -> BoxFuture<'_, Result<TaskRecord, TaskError>> {
        let owner = owner.clone();
        let id = id.to_owned();
        Box::pin(async move { self.read(Some(&owner), &id).await })
    }

    fn list(&self, owner: &Owner, cursor: Option<&str>, limit: usize) -> BoxFuture<'_, Result<TaskPage, TaskError>> {
        let owner = owner.clone();
        let cursor = cursor.map(str::to_owned);
        Box::pin(async move {
            let after = match &cursor {
                None => 0,
                Some(cursor) => cursor.parse::<u64>().map_err(|_| TaskError::BadCursor(cursor.clone()))?,
            };
            let limit = limit.max(1);
            // A few more than a page, since some listed ids may have expired since.
            let ids: Vec<(String, u64)> = self
                .query(
                    redis::cmd("ZRANGE")
                        .arg(self.keys.owner(&owner))
                        .arg(after)
                        .arg("+inf")
                        .arg("BYSCORE")
                        .arg("LIMIT")
                        .arg(0)
                        .arg(limit * 2 + 1)
                        .arg("WITHSCORES"),
                )
                .await?;
            let mut pipe = redis::pipe();
            for (id, _) in &ids {
                pipe.cmd("HGETALL").arg(self.keys.task(id));
            }
            let found: Vec<HashMap<String, String>> =
                if ids.is_empty() { Vec::new() } else { self.pipeline(&pipe).await? };
            let mut page: Vec<(u64, TaskRecord)> = ids
                .iter()
                .zip(&found)
                .filter_map(|((id, sequence), fields)| Some((*sequence, record_from(id, fields)?)))
                .filter(|(_, record)| record.owner == owner)
                .take(limit + 1)
                .collect();
            let next_cursor = if page.len() > limit {
                page.pop().map(|(sequence, _)| sequence.to_string())
            } else if ids.len() > limit * 2 {
                // Everything fetched had expired but more remain: go on from after the last.
                ids.last().map(|(_, sequence)| (sequence + 1).to_string())
            } else {
                None
            };
            Ok(TaskPage { tasks: page.into_iter().map(|(_, record)| record).collect(), next_cursor })
        })
    }

    fn cancel(&self, owner: &Owner, id: &str) -> BoxFuture<'_, Result<TaskRecord, TaskError>> {
        let owner = owner.clone();
        let id = id.to_owned();
        Box::pin(async move {
            if id.len() > MAX_ID_BYTES {
                return Err(TaskError::NotFound(id));
            }
            let script = redis::Script::new(CANCEL);
            let mut invocation = script.prepare_invoke();
            invocation.key(self.keys.task(&id)).arg(&owner.0).arg(self.keys.events()).arg(&id);
            let outcome: String = self.script(&invocation, true).await?;
            match outcome.as_str() {
                "ok" => self.read(Some(&owner), &id).await,
                "gone" => Err(TaskError::NotFound(id)),
                state => Err(TaskError::AlreadyTerminal {
                    id,
                    state: state_named(state).map_or("finished", TaskState::name),
                }),
            }
        })
    }

    fn cancel_requested(&self, id: &str) -> BoxFuture<'_, ()> {
        let id = id.to_owned();
        Box::pin(async move {
            let mut watch = Watch::new(&self.watched, &id);
            loop {
                let fields: Result<Vec<Option<String>>, TaskError> =
                    self.query(redis::cmd("HMGET").arg(self.keys.task(&id)).arg("cancel").arg("state")).await;
                match fields.as_deref() {
                    // Gone (expired, or Redis lost it): nobody can fetch its result.
                    Ok([None, None]) => return,
                    Ok([cancel, state]) if cancel.as_deref() == Some("1") || state.as_deref() != Some("working") => {
                        return;
                    }
                    // Unreachable Redis is no reason to stop a program: ask again.
                    _ => {}
                }
                watch.news().await;
            }
        })
    }

    fn hold(&self, id: &str) -> BoxFuture<'_, ()> {
        let key = self.keys.lease(id);
        Box::pin(async move {
            let renew = self.config.lease / 3;
            loop {
                let set =
                    redis::cmd("SET").arg(&key).arg(&self.instance).arg("PX").arg(millis(self.config.lease)).clone();
                if let Err(error) = self.query::<()>(&set).await {
                    tracing::debug!("cannot renew the lease {key}: {error}");
                    // Retry sooner: the lease is running out.
                    tokio::time::sleep(renew.min(Duration::from_millis(500))).await;
                    continue;
                }
                tokio::time::sleep(renew).await;
            }
        })
    }

    fn wait(&self, owner: &Owner, id: &str) -> BoxFuture<'_, Result<TaskRecord, TaskError>> {
        let owner = owner.clone();
        let id = id.to_owned();
        Box::pin(async move {
            // Watching before the first read, so a finish between the two is heard.
            let mut watch = Watch::new(&self.watched, &id);
            loop {
                let record = self.read(Some(&owner), &id).await?;
                if record.state.is_terminal() {
                    return Ok(record);
                }
                watch.news().await;
            }
        })
    }

    fn expire(&self) -> BoxFuture<'_, Result<usize, TaskError>> {
        // Expiry itself is Redis's: every key carries its TTL. What is left is
        // the working tasks whose instance is gone.
        Box::pin(self.sweep_lost())
    }

    fn check(&self) -> BoxFuture<'_, Result<(), TaskError>> {
        Box::pin(async move { self.query::<String>(&redis::cmd("PING")).await.map(drop) })
    }
}
