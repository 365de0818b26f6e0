//! The runner protocol: how benchbook talks to a program that runs one benchmark.
//!
//! benchbook starts the runner, writes one [`Spec`] as JSON to its stdin and closes it.
//! The runner does the work, writes logs to stderr, and on success prints exactly one
//! [`RunResult`] as JSON on stdout and exits 0. On failure it prints nothing on stdout,
//! a message on stderr, and exits non-zero. Both documents carry [`PROTOCOL_VERSION`];
//! unknown fields are rejected on both sides so a typo never passes silently.
//!
//! Statistics are never computed by a runner: it reports raw samples and benchbook
//! summarises them.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};

/// The protocol version spoken by this crate. A runner must refuse any other.
pub const PROTOCOL_VERSION: u32 = 1;

/// What benchbook writes to a runner's stdin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub protocol: u32,
    /// The benchmark declaration's id, e.g. `mlp_digits`.
    pub benchmark: String,
    /// The runner's name as declared, e.g. `torch`.
    pub runner: String,
    /// The matrix point of this run, e.g. `{"batch_size": 32, "threads": 1}`.
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    /// The declaration's `workload` mapping with `params` merged in (params win).
    pub workload: Value,
}

/// What a runner prints on stdout, once, on success.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunResult {
    pub protocol: u32,
    pub runner: RunnerInfo,
    /// Named measurements with their raw samples (one sample for a single value).
    #[serde(default)]
    pub metrics: BTreeMap<String, Metric>,
    /// Ordered values against an x axis: loss per epoch, accuracy per epoch.
    #[serde(default)]
    pub series: BTreeMap<String, Series>,
    /// Multi-class predictions on a labelled test set (for confusion matrices).
    #[serde(default)]
    pub classifications: BTreeMap<String, Classification>,
    /// Scores of a binary task (for precision-recall curves).
    #[serde(default)]
    pub scores: BTreeMap<String, BinaryScores>,
    /// Deliberately wrong programs and what the framework said about them.
    #[serde(default)]
    pub probes: Vec<Probe>,
    /// Free-form facts worth keeping with the result (cpu features, model format...).
    #[serde(default)]
    pub info: BTreeMap<String, Value>,
}

/// Who produced a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerInfo {
    /// Short name, e.g. `torch`.
    pub name: String,
    /// Human name of the framework, e.g. `PyTorch (libtorch via tch)`.
    pub framework: String,
    /// Framework version, e.g. `2.13.0`.
    pub version: String,
    #[serde(default)]
    pub library_paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<Threads>,
    #[serde(default)]
    pub cpu_features: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threads {
    pub intra_op: u32,
    pub inter_op: u32,
}

/// The unit of a metric; decides formatting and the default "better" direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    /// Seconds (durations). Lower is better by default.
    #[serde(rename = "s")]
    Seconds,
    /// Bytes (memory, sizes). Lower is better by default.
    #[serde(rename = "B")]
    Bytes,
    /// Items (samples, requests) per second. Higher is better by default.
    #[serde(rename = "items/s")]
    ItemsPerSecond,
    /// Floating-point operations per second. Higher is better by default.
    #[serde(rename = "FLOP/s")]
    FlopsPerSecond,
    /// A fraction in 0..=1 shown as a percentage (accuracy, recall). Higher is better.
    #[serde(rename = "fraction")]
    Fraction,
    /// A count of things (parameters, lines). No default direction.
    #[serde(rename = "count")]
    Count,
    /// A plain number (a loss). No default direction.
    #[serde(rename = "1")]
    Plain,
}

impl Unit {
    /// The default direction of improvement, if the unit implies one.
    pub fn default_better(self) -> Option<Better> {
        match self {
            Unit::Seconds | Unit::Bytes => Some(Better::Lower),
            Unit::ItemsPerSecond | Unit::FlopsPerSecond | Unit::Fraction => Some(Better::Higher),
            Unit::Count | Unit::Plain => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Lower,
    Higher,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub unit: Unit,
    /// Raw samples, in the order they were taken.
    pub samples: Vec<f64>,
    /// Overrides the unit's default direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub better: Option<Better>,
    /// How many leading samples are one-off costs (the first step, graph optimisation,
    /// compilation, a first load). They are kept and shown, but left out of the steady-state
    /// statistics; report the one-off cost as its own metric too.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub warmup: usize,
    /// What the timer covers, in words shared by every runner that reports this metric
    /// (e.g. `"batch gather → update → loss on host"`). Two runners compared on a metric must
    /// report the same region; benchbook refuses the comparison otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Metric {
    pub fn new(unit: Unit, samples: Vec<f64>) -> Self {
        Metric {
            unit,
            samples,
            better: None,
            warmup: 0,
            region: None,
        }
    }

    /// The same metric with its first `warmup` samples marked as one-off costs.
    pub fn with_warmup(mut self, warmup: usize) -> Self {
        self.warmup = warmup;
        self
    }

    /// The same metric with the region its timer covers.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The steady-state samples: all but the leading `warmup` ones (empty when every sample
    /// is a warm-up one).
    pub fn steady(&self) -> &[f64] {
        &self.samples[self.warmup.min(self.samples.len())..]
    }
    pub fn better(&self) -> Option<Better> {
        self.better.or(self.unit.default_better())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    pub unit: Unit,
    /// Label of the x axis, e.g. `epoch`.
    pub x_label: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classification {
    /// Class names, indexed by label.
    pub classes: Vec<String>,
    /// True label of every test example.
    pub truth: Vec<u32>,
    /// Predicted label of every test example.
    pub predicted: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinaryScores {
    /// What a positive is, e.g. `digit 3`.
    pub positive: String,
    /// Whether each example is truly positive.
    pub truth: Vec<bool>,
    /// The model's score (probability of positive) for each example.
    pub scores: Vec<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The error surfaced while the model or graph was being built.
    Build,
    /// The error surfaced while the program ran (a step, a session run).
    Run,
    /// Nothing surfaced: the program ran to the end without an error.
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Stable id of the probe, e.g. `shape_mismatch`.
    pub name: String,
    pub stage: Stage,
    /// The framework's message, verbatim, if it raised one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Seconds from the start of the probe until the error surfaced (or it ended).
    pub seconds: f64,
    /// What the runner observed besides an error (e.g. `loss became NaN at step 3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<String>,
}

impl RunResult {
    pub fn new(runner: RunnerInfo) -> Self {
        RunResult {
            protocol: PROTOCOL_VERSION,
            runner,
            metrics: BTreeMap::new(),
            series: BTreeMap::new(),
            classifications: BTreeMap::new(),
            scores: BTreeMap::new(),
            probes: Vec::new(),
            info: BTreeMap::new(),
        }
    }
}

/// Parse a spec and check its protocol version.
pub fn parse_spec(text: &str) -> Result<Spec, String> {
    let spec: Spec =
        serde_json::from_str(text).map_err(|e| format!("invalid spec on stdin: {e}"))?;
    if spec.protocol != PROTOCOL_VERSION {
        return Err(format!(
            "spec speaks protocol {}, this runner speaks protocol {PROTOCOL_VERSION}",
            spec.protocol
        ));
    }
    Ok(spec)
}

/// Parse a result and check its protocol version (used by benchbook).
pub fn parse_result(text: &str) -> Result<RunResult, String> {
    let result: RunResult =
        serde_json::from_str(text).map_err(|e| format!("invalid result on stdout: {e}"))?;
    if result.protocol != PROTOCOL_VERSION {
        return Err(format!(
            "result speaks protocol {}, benchbook speaks protocol {PROTOCOL_VERSION}",
            result.protocol
        ));
    }
    Ok(result)
}

/// Read the whole spec from stdin.
pub fn read_spec() -> Result<Spec, String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read the spec from stdin: {e}"))?;
    parse_spec(&text)
}

/// Print the result on stdout in one write, so a failure never leaves half a document.
pub fn emit(result: &RunResult) -> Result<(), String> {
    let mut text =
        serde_json::to_string(result).map_err(|e| format!("cannot encode result: {e}"))?;
    text.push('\n');
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| format!("cannot write the result: {e}"))
}

/// The usual `main` of a runner: read the spec, run, print the result or fail cleanly.
pub fn run_main(run: impl FnOnce(&Spec) -> Result<RunResult, String>) -> ! {
    let outcome = read_spec()
        .and_then(|spec| run(&spec))
        .and_then(|r| emit(&r));
    match outcome {
        Ok(()) => std::process::exit(0),
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_rejects_unknown_fields_and_other_versions() {
        let ok = r#"{"protocol":1,"benchmark":"b","runner":"r","params":{},"workload":{}}"#;
        assert!(parse_spec(ok).is_ok());
        let typo = r#"{"protocol":1,"benchmark":"b","runner":"r","workload":{},"parms":{}}"#;
        assert!(parse_spec(typo)
            .unwrap_err()
            .contains("unknown field `parms`"));
        let v2 = r#"{"protocol":2,"benchmark":"b","runner":"r","workload":{}}"#;
        assert!(parse_spec(v2).unwrap_err().contains("protocol 2"));
    }

    #[test]
    fn result_round_trips() {
        let mut r = RunResult::new(RunnerInfo {
            name: "t".into(),
            framework: "T".into(),
            version: "1".into(),
            library_paths: vec![],
            threads: Some(Threads {
                intra_op: 1,
                inter_op: 1,
            }),
            cpu_features: vec![],
        });
        r.metrics.insert(
            "step_time".into(),
            Metric::new(Unit::Seconds, vec![0.1, 0.2]),
        );
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(parse_result(&text).unwrap(), r);
        assert_eq!(r.metrics["step_time"].better(), Some(Better::Lower));
    }
}
