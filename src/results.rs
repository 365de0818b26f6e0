//! Stored results: `benchmarks/results/<id>.json`, one file per benchmark declaration.
//!
//! Written by `bench` (atomically, as soon as a run ends), read by `merge`. Keys are in a
//! stable order (structs serialise in field order, maps are `BTreeMap`) so diffs read well.
//! Only good runs are stored: a failed run never replaces a stored one.

use benchbook_protocol::{RunResult, Spec};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Everything stored for one benchmark declaration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredBenchmark {
    /// The declaration's id.
    pub id: String,
    pub title: String,
    /// One entry per (runner, matrix point) that has a good result.
    pub runs: Vec<StoredRun>,
}

/// The measured result of one runner at one matrix point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredRun {
    /// The runner's declared name, e.g. `torch`.
    pub runner: String,
    /// The matrix point, e.g. `{"threads": 1}` (empty without a matrix).
    pub params: BTreeMap<String, Value>,
    /// sha256 over the declaration, the runner's source and the framework versions;
    /// the run is stale when the current fingerprint differs.
    pub fingerprint: String,
    /// RFC 3339 time the run finished.
    pub date: String,
    /// The command that was started, program first.
    pub command: Vec<String>,
    pub machine: Machine,
    /// The spec written to the runner's stdin.
    pub spec: Spec,
    /// Warmup repetitions that ran and were discarded.
    pub warmup: u32,
    /// One entry per measured repetition (a separate process each).
    pub repetitions: Vec<Repetition>,
    /// The warm-up processes that ran and were discarded (kept for inspection; never in a
    /// statistic). Empty in results written before they were kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discarded: Vec<Repetition>,
    /// The order the processes of this matrix point ran in, one entry per process, shared
    /// by the runners measured together (`warmup torch`, `warmup tensorflow`, `torch`,
    /// `tensorflow`, ...). Empty in results written before the order was kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<String>,
}

/// One runner process: what the tool saw from outside and what the runner reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repetition {
    /// Position of this process in its run's `schedule` (0-based), when kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<usize>,
    pub outside: Outside,
    pub result: RunResult,
}

/// Measured by benchbook around the child process (wait4 / getrusage).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outside {
    pub wall_s: f64,
    pub user_s: f64,
    pub system_s: f64,
    pub max_rss_bytes: u64,
}

/// The machine a run happened on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: u32,
    pub memory_bytes: u64,
    /// e.g. `Debian GNU/Linux 12 (bookworm)`.
    pub os: String,
    pub kernel: String,
}
