//! Timing shared by the benchmarks: sorted samples and the sequential measuring loop.

#![forbid(unsafe_code)]

use std::future::Future;
use std::time::{Duration, Instant};

/// Timings of repeated runs, sorted, and the wall time they took together.
pub struct Samples {
    sorted: Vec<Duration>,
    total: Duration,
}

impl Samples {
    /// Samples of `timings`, which took `total` in all.
    pub fn new(mut timings: Vec<Duration>, total: Duration) -> Samples {
        timings.sort();
        Samples { sorted: timings, total }
    }

    /// The `p` quantile (0.5 is the median).
    pub fn percentile(&self, p: f64) -> Duration {
        self.sorted[((self.sorted.len() as f64 * p) as usize).min(self.sorted.len() - 1)]
    }

    /// Runs per second over the whole measurement.
    pub fn per_second(&self) -> f64 {
        self.sorted.len() as f64 / self.total.as_secs_f64()
    }
}

/// Runs `run` `warmup` times, then `runs` times one after another, timing each;
/// `check` sees every output (warm-up included) after its run is timed.
pub fn measure_sequential<T, F: Future<Output = T>>(
    tokio: &tokio::runtime::Runtime,
    warmup: usize,
    runs: usize,
    mut run: impl FnMut() -> F,
    check: impl Fn(T),
) -> Samples {
    for _ in 0..warmup {
        check(tokio.block_on(run()));
    }
    let mut timings = Vec::with_capacity(runs);
    let started = Instant::now();
    for _ in 0..runs {
        let sent = Instant::now();
        let output = tokio.block_on(run());
        timings.push(sent.elapsed());
        check(output);
    }
    Samples::new(timings, started.elapsed())
}
