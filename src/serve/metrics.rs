//! `/metrics`: what one `sluice serve` instance has done, in the Prometheus (OpenMetrics) text format.
//!
//! Every label takes values from a fixed set (run statuses, limit kinds, task
//! states) or from the configuration (upstream server names, keyed by the
//! resolved configured server), never from a request, so no client can grow
//! the metrics without bound.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde_json::Value;

use super::tasks::{Owner, SharedTaskStore, TaskEra, TaskError, TaskPage, TaskRecord, TaskState, TaskStore};
use crate::tools::BoxFuture;
use crate::{Hibernated, RunOutcome, RunStatus};

/// The labels of a finished run.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    status: &'static str,
    /// The limit that ended it, or empty.
    limit: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServerLabels {
    server: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TaskLabels {
    state: &'static str,
}

/// One instance's counters, gauges and histograms.
pub struct Metrics {
    registry: Registry,
    runs: Family<RunLabels, Counter>,
    run_seconds: Histogram,
    tool_calls: Family<ServerLabels, Counter>,
    tool_bytes: Family<ServerLabels, Counter>,
    tasks: Family<TaskLabels, Counter>,
    state_errors: Counter,
    in_flight: Gauge,
    set_aside: Gauge,
    set_aside_bytes: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every metric at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("sluice");
        let runs = Family::<RunLabels, Counter>::default();
        registry.register(
            "runs",
            "Programs run, by how they ended (status) and the limit that ended them",
            runs.clone(),
        );
        // 1 ms to about 9 minutes.
        let run_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 20));
        registry.register("run_duration_seconds", "How long programs ran", run_seconds.clone());
        let tool_calls = Family::<ServerLabels, Counter>::default();
        registry.register("tool_calls", "Tool calls programs made, by upstream server", tool_calls.clone());
        let tool_bytes = Family::<ServerLabels, Counter>::default();
        registry.register(
            "tool_result_bytes",
            "Bytes of tool results upstream servers returned, by server",
            tool_bytes.clone(),
        );
        let tasks = Family::<TaskLabels, Counter>::default();
        registry.register(
            "tasks",
            "Tasks this instance created (state=created) and ended, by final state",
            tasks.clone(),
        );
        let state_errors = Counter::default();
        registry.register(
            "state_store_errors",
            "Task-state operations that failed because the store was unreachable",
            state_errors.clone(),
        );
        let in_flight = Gauge::default();
        registry.register("programs_in_flight", "Programs running now", in_flight.clone());
        let set_aside = Gauge::default();
        registry.register(
            "programs_set_aside",
            "Programs waiting on a tool or timer with their memory set aside (--hibernate-after)",
            set_aside.clone(),
        );
        let set_aside_bytes = Gauge::default();
        registry.register("set_aside_bytes", "Host bytes kept for the programs set aside", set_aside_bytes.clone());
        Metrics {
            registry,
            runs,
            run_seconds,
            tool_calls,
            tool_bytes,
            tasks,
            state_errors,
            in_flight,
            set_aside,
            set_aside_bytes,
        }
    }

    /// A program started; the returned guard counts it until dropped.
    pub(crate) fn running(self: &Arc<Self>) -> InFlight {
        self.in_flight.inc();
        InFlight(self.clone())
    }

    /// A run ended with `outcome`.
    pub(crate) fn ran(&self, outcome: &RunOutcome) {
        let limit = match &outcome.status {
            RunStatus::Limit { kind, .. } => kind.name(),
            _ => "",
        };
        self.runs.get_or_create(&RunLabels { status: outcome.status.name(), limit }).inc();
        self.run_seconds.observe(Duration::from_secs_f64(outcome.stats.wall_ms.max(0.0) / 1000.0).as_secs_f64());
        for (server, stats) in &outcome.stats.servers {
            let labels = ServerLabels { server: server.clone() };
            self.tool_calls.get_or_create(&labels).inc_by(stats.calls);
            self.tool_bytes.get_or_create(&labels).inc_by(stats.bytes_from_tools);
        }
    }

    /// A program could not start at all.
    pub(crate) fn not_started(&self) {
        self.runs.get_or_create(&RunLabels { status: "not_started", limit: "" }).inc();
    }

    /// A task this instance ran ended in `state` (and the end was recorded).
    pub(crate) fn task_ended(&self, state: TaskState) {
        self.tasks.get_or_create(&TaskLabels { state: state.name() }).inc();
    }

    /// The metrics as OpenMetrics text, with the runtime's count of programs set
    /// aside (`hibernated`, which the runtime keeps, not these metrics).
    pub fn render(&self, hibernated: Hibernated) -> String {
        self.set_aside.set(i64::try_from(hibernated.programs).unwrap_or(i64::MAX));
        self.set_aside_bytes.set(i64::try_from(hibernated.bytes).unwrap_or(i64::MAX));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// `store`, with each operation that finds it unreachable counted, and
    /// each task created counted.
    pub fn counting(self: &Arc<Self>, store: SharedTaskStore) -> SharedTaskStore {
        Arc::new(Counting { store, metrics: self.clone() })
    }

    fn failed<T>(&self, result: Result<T, TaskError>) -> Result<T, TaskError> {
        if let Err(TaskError::Unavailable(_)) = &result {
            self.state_errors.inc();
        }
        result
    }
}

/// Counts one running program until dropped.
pub(crate) struct InFlight(Arc<Metrics>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

/// A [`TaskStore`] that counts what passes through it.
struct Counting {
    store: SharedTaskStore,
    metrics: Arc<Metrics>,
}

impl TaskStore for Counting {
    fn create(&self, owner: &Owner, era: TaskEra, ttl: Duration) -> BoxFuture<'_, Result<TaskRecord, TaskError>> {
        let created = self.store.create(owner, era, ttl);
        Box::pin(async move {
            let created = self.metrics.failed(created.await);
            if created.is_ok() {
                self.metrics.tasks.get_or_create(&TaskLabels { state: "created" }).inc();
            }
            created
        })
    }

    fn finish(&self, id: &str, state: TaskState, status: &str, result: Value) -> BoxFuture<'_, Result<(), TaskError>> {
        let finished = self.store.finish(id, state, status, result);
        Box::pin(async move { self.metrics.failed(finished.await) })
    }

    fn get(&self, owner: &Owner, id: &str) -> BoxFuture<'_, Result<TaskRecord, TaskError>> {
        let got = self.store.get(owner, id);
        Box::pin(async move { self.metrics.failed(got.await) })
    }

    fn list(&self, owner: &Owner, cursor: Option<&str>, limit: usize) -> BoxFuture<'_, Result<TaskPage, TaskError>> {
        let listed = self.store.list(owner, cursor, limit);
        Box::pin(async move { self.metrics.failed(listed.await) })
    }

    fn cancel(&self, owner: &Owner, id: &str) -> BoxFuture<'_, Result<TaskRecord, TaskError>> {
        let cancelled = self.store.cancel(owner, id);
        Box::pin(async move { self.metrics.failed(cancelled.await) })
    }

    fn cancel_requested(&self, id: &str) -> BoxFuture<'_, ()> {
        self.store.cancel_requested(id)
    }

    fn hold(&self, id: &str) -> BoxFuture<'_, ()> {
        self.store.hold(id)
    }

    fn wait(&self, owner: &Owner, id: &str) -> BoxFuture<'_, Result<TaskRecord, TaskError>> {
        let waited = self.store.wait(owner, id);
        Box::pin(async move { self.metrics.failed(waited.await) })
    }

    fn expire(&self) -> BoxFuture<'_, Result<usize, TaskError>> {
        let expired = self.store.expire();
        Box::pin(async move { self.metrics.failed(expired.await) })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), TaskError>> {
        let checked = self.store.check();
        Box::pin(async move { self.metrics.failed(checked.await) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::tasks::MemoryTaskStore;

    #[tokio::test]
    async fn created_tasks_are_counted_and_the_text_names_every_metric() {
        let metrics = Arc::new(Metrics::new());
        let store = metrics.counting(Arc::new(MemoryTaskStore::new(4)));
        store.create(&Owner("a".to_owned()), TaskEra::Legacy, Duration::from_secs(60)).await.unwrap();
        let guard = metrics.running();
        metrics.task_ended(TaskState::Completed);
        let text = metrics.render(Hibernated { programs: 3, bytes: 4096 });
        for line in [
            "sluice_programs_set_aside 3",
            "sluice_set_aside_bytes 4096",
            "sluice_tasks_total{state=\"created\"} 1",
            "sluice_tasks_total{state=\"completed\"} 1",
            "sluice_programs_in_flight 1",
            "sluice_state_store_errors_total 0",
            "# TYPE sluice_run_duration_seconds histogram",
        ] {
            assert!(text.contains(line), "{line:?} missing from:\n{text}");
        }
        drop(guard);
        assert!(metrics.render(Hibernated::default()).contains("sluice_programs_in_flight 0"));
    }
}
