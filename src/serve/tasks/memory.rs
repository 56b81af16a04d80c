//! [`MemoryTaskStore`]: one instance's tasks, in a map (`sluice serve --state memory`, the default).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::sync::watch;

use super::{Owner, POLL_INTERVAL, TaskEra, TaskError, TaskPage, TaskRecord, TaskState, TaskStore};
use crate::tools::BoxFuture;

/// The in-process [`TaskStore`]: one instance's tasks, in a map.
pub struct MemoryTaskStore {
    inner: Mutex<Tasks>,
    max_per_owner: usize,
}

#[derive(Default)]
struct Tasks {
    by_id: HashMap<String, Entry>,
    /// Creation order per owner, for listing: (sequence, id).
    by_owner: HashMap<Owner, BTreeMap<u64, String>>,
    next_sequence: u64,
}

struct Entry {
    record: TaskRecord,
    sequence: u64,
    /// Sends the record on every change.
    changes: watch::Sender<TaskRecord>,
}

impl MemoryTaskStore {
    /// A store keeping at most `max_per_owner` tasks per owner.
    pub fn new(max_per_owner: usize) -> MemoryTaskStore {
        MemoryTaskStore { inner: Mutex::default(), max_per_owner }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tasks> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn expired(record: &TaskRecord, now: SystemTime) -> bool {
        now.duration_since(record.created_at).is_ok_and(|age| age >= record.ttl)
    }

    /// The entry's change channel if `owner` may see it and it is live.
    fn watch(&self, owner: Option<&Owner>, id: &str) -> Result<watch::Receiver<TaskRecord>, TaskError> {
        let tasks = self.lock();
        match tasks.by_id.get(id) {
            Some(entry)
                if owner.is_none_or(|owner| *owner == entry.record.owner)
                    && !Self::expired(&entry.record, SystemTime::now()) =>
            {
                Ok(entry.changes.subscribe())
            }
            _ => Err(TaskError::NotFound(id.to_owned())),
        }
    }

    fn sweep(tasks: &mut Tasks) -> usize {
        let now = SystemTime::now();
        let gone: Vec<String> =
            tasks.by_id.iter().filter(|(_, e)| Self::expired(&e.record, now)).map(|(id, _)| id.clone()).collect();
        for id in &gone {
            if let Some(entry) = tasks.by_id.remove(id) {
                // A working task past its TTL could never be fetched: its receivers see it cancelled and gone.
                let mut record = entry.record;
                record.cancel_requested = true;
                entry.changes.send_replace(record.clone());
                if let Some(order) = tasks.by_owner.get_mut(&record.owner) {
                    order.remove(&entry.sequence);
                    if order.is_empty() {
                        tasks.by_owner.remove(&record.owner);
                    }
                }
            }
        }
        gone.len()
    }
}

impl TaskStore for MemoryTaskStore {
    fn create(&self, owner: &Owner, era: TaskEra, ttl: Duration) -> BoxFuture<'_, Result<TaskRecord, TaskError>> {
        let owner = owner.clone();
        Box::pin(async move {
            let mut tasks = self.lock();
            Self::sweep(&mut tasks);
            let kept = tasks.by_owner.get(&owner).map_or(0, BTreeMap::len);
            if kept >= self.max_per_owner {
                return Err(TaskError::TooMany(self.max_per_owner));
            }
            let now = SystemTime::now();
            let record = TaskRecord {
                id: uuid::Uuid::new_v4().to_string(),
                owner: owner.clone(),
                era,
                state: TaskState::Working,
                status_message: Some("the program is running".to_owned()),
                created_at: now,
                updated_at: now,
                ttl,
                poll_interval: POLL_INTERVAL,
                result: None,
                cancel_requested: false,
            };
            let sequence = tasks.next_sequence;
            tasks.next_sequence += 1;
            tasks.by_owner.entry(owner).or_default().insert(sequence, record.id.clone());
            let changes = watch::Sender::new(record.clone());
            tasks.by_id.insert(record.id.clone(), Entry { record: record.clone(), sequence, changes });
            Ok(record)
        })
    }

    fn finish(&self, id: &str, state: TaskState, status: &str, result: Value) -> BoxFuture<'_, Result<(), TaskError>> {
        let id = id.to_owned();
        let status = status.to_owned();
        Box::pin(async move {
            let mut tasks = self.lock();
            let Some(entry) = tasks.by_id.get_mut(&id) else { return Ok(()) };
            if entry.record.state.is_terminal() {
                return Ok(());
            }
            let record = &mut entry.record;
            record.state = state;
            record.status_message = Some(status);
            record.updated_at = SystemTime::now();
            record.result = Some(result);
            entry.changes.send_replace(record.clone());
            Ok(())
        })
    }

    fn get(&self, owner: &Owner, id: &str) -> BoxFuture<'_, Result<TaskRecord, TaskError>> {
        let result = self.watch(Some(owner), id).map(|changes| changes.borrow().clone());
        Box::pin(std::future::ready(result))
    }

    fn list(&self, owner: &Owner, cursor: Option<&str>, limit: usize) -> BoxFuture<'_, Result<TaskPage, TaskError>> {
        let owner = owner.clone();
        let cursor = cursor.map(str::to_owned);
        Box::pin(async move {
            let mut tasks = self.lock();
            Self::sweep(&mut tasks);
            let after = match &cursor {
                None => 0,
                Some(cursor) => cursor.parse::<u64>().map_err(|_| TaskError::BadCursor(cursor.clone()))?,
            };
            let Some(order) = tasks.by_owner.get(&owner) else {
                return Ok(TaskPage { tasks: Vec::new(), next_cursor: None });
            };
            let mut page: Vec<(u64, TaskRecord)> = order
                .range(after..)
                .take(limit.max(1) + 1)
                .filter_map(|(sequence, id)| Some((*sequence, tasks.by_id.get(id)?.record.clone())))
                .collect();
            let next_cursor = if page.len() > limit.max(1) { page.pop().map(|(s, _)| s.to_string()) } else { None };
            Ok(TaskPage { tasks: page.into_iter().map(|(_, record)| record).collect(), next_cursor })
        })
    }

    fn cancel(&self, owner: &Owner, id: &str) -> BoxFuture<'_, Result<TaskRecord, TaskError>> {
        let owner = owner.clone();
        let id = id.to_owned();
        Box::pin(async move {
            let mut tasks = self.lock();
            let now = SystemTime::now();
            let entry = match tasks.by_id.get_mut(&id) {
                Some(entry) if entry.record.owner == owner && !Self::expired(&entry.record, now) => entry,
                _ => return Err(TaskError::NotFound(id)),
            };
            if entry.record.state.is_terminal() {
                return Err(TaskError::AlreadyTerminal { id, state: entry.record.state.name() });
            }
            entry.record.cancel_requested = true;
            entry.record.status_message = Some("cancelling".to_owned());
            entry.changes.send_replace(entry.record.clone());
            Ok(entry.record.clone())
        })
    }

    fn cancel_requested(&self, id: &str) -> BoxFuture<'_, ()> {
        let changes = self.watch(None, id);
        Box::pin(async move {
            if let Ok(mut changes) = changes {
                // Ends when a cancel is requested, the task is over, or the entry is dropped.
                let _ = changes.wait_for(|record| record.cancel_requested || record.state.is_terminal()).await;
            }
        })
    }

    fn wait(&self, owner: &Owner, id: &str) -> BoxFuture<'_, Result<TaskRecord, TaskError>> {
        let changes = self.watch(Some(owner), id);
        let id = id.to_owned();
        Box::pin(async move {
            let mut changes = changes?;
            match changes.wait_for(|record| record.state.is_terminal()).await {
                Ok(record) => Ok(record.clone()),
                Err(_) => Err(TaskError::NotFound(id)),
            }
        })
    }

    fn hold(&self, _id: &str) -> BoxFuture<'_, ()> {
        // One process: the task dies with the instance that holds it.
        Box::pin(std::future::pending())
    }

    fn expire(&self) -> BoxFuture<'_, Result<usize, TaskError>> {
        Box::pin(async move { Ok(Self::sweep(&mut self.lock())) })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), TaskError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn owner(name: &str) -> Owner {
        Owner(name.to_owned())
    }

    #[tokio::test]
    async fn a_task_lives_working_then_terminal_and_only_its_owner_sees_it() {
        let store = MemoryTaskStore::new(10);
        let task = store.create(&owner("a"), TaskEra::Legacy, Duration::from_secs(60)).await.unwrap();
        assert_eq!(task.state, TaskState::Working);
        assert_eq!(uuid::Uuid::parse_str(&task.id).unwrap().get_version_num(), 4);
        assert!(matches!(store.get(&owner("b"), &task.id).await, Err(TaskError::NotFound(_))));
        assert!(matches!(store.cancel(&owner("b"), &task.id).await, Err(TaskError::NotFound(_))));

        let waiting = store.wait(&owner("a"), &task.id);
        store.finish(&task.id, TaskState::Completed, "done", json!({"content": []})).await.unwrap();
        let done = waiting.await.unwrap();
        assert_eq!((done.state, done.result), (TaskState::Completed, Some(json!({"content": []}))));
        // Finishing twice changes nothing; cancelling a finished task is refused.
        store.finish(&task.id, TaskState::Failed, "again", json!(null)).await.unwrap();
        assert_eq!(store.get(&owner("a"), &task.id).await.unwrap().state, TaskState::Completed);
        assert!(matches!(store.cancel(&owner("a"), &task.id).await, Err(TaskError::AlreadyTerminal { .. })));
    }

    #[tokio::test]
    async fn cancelling_wakes_the_runner_and_expiry_forgets() {
        let store = MemoryTaskStore::new(10);
        let task = store.create(&owner("a"), TaskEra::Extension, Duration::from_millis(50)).await.unwrap();
        let requested = store.cancel_requested(&task.id);
        store.cancel(&owner("a"), &task.id).await.unwrap();
        requested.await;
        let waiting = store.wait(&owner("a"), &task.id);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(store.expire().await.unwrap(), 1);
        assert!(matches!(waiting.await, Err(TaskError::NotFound(_))));
        assert!(matches!(store.get(&owner("a"), &task.id).await, Err(TaskError::NotFound(_))));
    }

    #[tokio::test]
    async fn lists_page_in_creation_order_and_owners_are_capped() {
        let store = MemoryTaskStore::new(5);
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(store.create(&owner("a"), TaskEra::Legacy, Duration::from_secs(60)).await.unwrap().id);
        }
        assert!(matches!(
            store.create(&owner("a"), TaskEra::Legacy, Duration::from_secs(60)).await,
            Err(TaskError::TooMany(5))
        ));
        store.create(&owner("b"), TaskEra::Legacy, Duration::from_secs(60)).await.unwrap();
        let first = store.list(&owner("a"), None, 2).await.unwrap();
        let second = store.list(&owner("a"), first.next_cursor.as_deref(), 2).await.unwrap();
        let third = store.list(&owner("a"), second.next_cursor.as_deref(), 2).await.unwrap();
        let listed: Vec<String> = [first.tasks, second.tasks, third.tasks].concat().into_iter().map(|t| t.id).collect();
        assert_eq!(listed, ids);
        assert_eq!(third.next_cursor, None);
        assert!(matches!(store.list(&owner("a"), Some("x"), 2).await, Err(TaskError::BadCursor(_))));
    }
}
