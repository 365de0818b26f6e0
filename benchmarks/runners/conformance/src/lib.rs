//! The conformance tests every runner runs: the same specs go in, and what comes out must
//! carry the names, units, timed regions and warm-up samples of `common::metrics`, the
//! series, classifications and probes the protocol promises, and fail as the protocol says
//! (exit 1, nothing on stdout, the reason on stderr).
//!
//! A runner's test file describes how to start it and lists the checks with one macro, which
//! makes one `#[test]` per check (so a failure names the check):
//!
//! ```ignore
//! benchbook_runner_conformance::conformance_tests!(
//!     benchbook_runner_conformance::Subject::new("torch", env!("CARGO_BIN_EXE_benchbook-runner-torch"))
//!         .version("2.13.0")
//!         .library("libtorch_cpu")
//! );
//! ```
//!
//! Any program that speaks the protocol can be a [`Subject`] (a command, its arguments and
//! environment), not only the Rust runners. Needs the digits data (`benchbook setup`).

use benchbook_runner_common as common;
use common::metrics::{self, MetricDef};
use common::protocol::{parse_result, RunResult, Stage, Unit, PROTOCOL_VERSION};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A runner under test: how to start it and what it must say about itself.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The runner's name (the spec's `runner`, the result's `runner.name`).
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// The framework version every result must report.
    pub version: Option<String>,
    /// A text one of the result's `library_paths` must contain.
    pub library: Option<String>,
    /// The tasks it runs (the checks of other tasks do not apply); every task when `None`.
    pub tasks: Option<Vec<String>>,
    /// Metrics it times over a region of its own (Keras `fit`'s steps, timed from a callback):
    /// their region text must say so (non-empty, not the common one).
    pub own_regions: Vec<String>,
}

/// What a run of the runner left behind.
#[derive(Debug, Clone)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Subject {
    pub fn new(name: &str, program: impl Into<PathBuf>) -> Subject {
        Subject {
            name: name.into(),
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            version: None,
            library: None,
            tasks: None,
            own_regions: Vec::new(),
        }
    }

    /// Start it with this variable set.
    pub fn env(mut self, key: &str, value: &str) -> Subject {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Every result must report this framework version.
    pub fn version(mut self, version: &str) -> Subject {
        self.version = Some(version.into());
        self
    }

    /// One of every result's library paths must contain `needle`.
    /// Only these tasks (`train`, `matmul`, `probes`, `cold_start`) are run by this subject.
    pub fn tasks(mut self, tasks: &[&str]) -> Subject {
        self.tasks = Some(tasks.iter().map(|t| t.to_string()).collect());
        self
    }

    /// These metrics are timed over a region of the subject's own.
    pub fn own_regions(mut self, metrics: &[&str]) -> Subject {
        self.own_regions = metrics.iter().map(|m| m.to_string()).collect();
        self
    }

    /// Whether the subject runs `task`.
    pub fn runs(&self, task: &str) -> bool {
        self.tasks
            .as_ref()
            .is_none_or(|t| t.iter().any(|x| x == task))
    }

    pub fn library(mut self, needle: &str) -> Subject {
        self.library = Some(needle.into());
        self
    }

    /// The spec of `workload` for this runner.
    pub fn spec(&self, workload: &Value) -> Value {
        json!({"protocol": PROTOCOL_VERSION, "benchmark": "conformance", "runner": self.name,
               "workload": workload})
    }

    /// Run on the text `spec`, with `env` added (an empty value removes the variable).
    pub fn run_raw(&self, spec: &str, env: &[(&str, String)]) -> Output {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.program.display()));
        child
            .stdin
            .take()
            .unwrap()
            .write_all(spec.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        Output {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run `workload` with `env` added; it must succeed with one valid result, which
    /// [`check_result`] accepts.
    pub fn run_with(&self, workload: Value, env: &[(&str, String)]) -> RunResult {
        let spec = self.spec(&workload);
        let out = self.run_raw(&spec.to_string(), env);
        assert_eq!(
            out.code,
            Some(0),
            "{} failed on {spec}:\n{}",
            self.name,
            out.stderr
        );
        let result = parse_result(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", out.stdout));
        self.check_result(&result);
        result
    }

    /// Run `workload`; see [`Subject::run_with`].
    pub fn run(&self, workload: Value) -> RunResult {
        self.run_with(workload, &[])
    }

    /// What every result must satisfy: who ran it, the framework's library size, and every
    /// metric named, measured and described as `common::metrics` defines it.
    pub fn check_result(&self, r: &RunResult) {
        assert_eq!(r.protocol, PROTOCOL_VERSION);
        assert_eq!(r.runner.name, self.name);
        assert!(!r.runner.framework.is_empty());
        if let Some(v) = &self.version {
            assert_eq!(&r.runner.version, v, "the framework version");
        }
        if let Some(lib) = &self.library {
            assert!(
                r.runner
                    .library_paths
                    .iter()
                    .any(|p| p.contains(lib.as_str())),
                "no library path contains {lib}: {:?}",
                r.runner.library_paths
            );
        }
        assert!(
            r.metrics[metrics::LIBRARY_SIZE.name].samples[0] > 1e6,
            "library_size {:?}",
            r.metrics[metrics::LIBRARY_SIZE.name]
        );
        for (name, m) in &r.metrics {
            let def = metrics::find(name)
                .unwrap_or_else(|| panic!("{name} is not a metric of common::metrics"));
            assert_eq!(m.unit, def.unit, "unit of {name}");
            if self.own_regions.contains(name) {
                assert!(
                    m.region.as_deref().is_some_and(|r| !r.is_empty())
                        && m.region.as_deref() != def.region,
                    "{name} is timed over the subject's own region and must say so: {:?}",
                    m.region
                );
            } else {
                assert_eq!(m.region.as_deref(), def.region, "region of {name}");
            }
            assert_eq!(m.warmup, def.warmup, "warm-up samples of {name}");
            assert!(!m.samples.is_empty(), "{name} has no sample");
            assert!(
                m.samples.iter().all(|s| s.is_finite() && *s >= 0.0),
                "{name}: {:?}",
                m.samples
            );
        }
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds, as benchbook sets it just before a spawn.
fn monotonic_now() -> String {
    common::cold::monotonic_ns().to_string()
}

fn adam() -> Value {
    json!({"kind": "adam", "lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7})
}

/// A short train workload: 2 epochs of 3 steps of 16, small inference measurements.
pub fn tiny_train(dataset: Value, model: Value, optimizer: Value) -> Value {
    json!({"task": "train", "dataset": dataset, "model": model, "optimizer": optimizer,
           "batch_size": 16, "epochs": 2, "threads": 1, "max_steps_per_epoch": 3,
           "latency_samples": 4, "throughput_batch": 50, "throughput_reps": 2})
}

/// The digits split every runner uses (seed 0).
pub fn digits() -> common::Dataset {
    common::load_dataset(
        &common::DatasetSpec::Digits {
            one_vs_rest: None,
            leak_fraction: 0.0,
        },
        0,
    )
    .expect("the digits data (run `benchbook setup`)")
}

fn has(r: &RunResult, def: MetricDef) -> &common::protocol::Metric {
    r.metrics
        .get(def.name)
        .unwrap_or_else(|| panic!("{}: no metric {}", r.runner.name, def.name))
}

/// Every metric, series and classification of a train run that saved its model and timed
/// inference: `steps` steps in `epochs` epochs, `test_rows` test rows.
pub fn check_train(r: &RunResult, steps: usize, epochs: usize, test_rows: usize) {
    for def in metrics::TRAIN {
        has(r, *def);
    }
    let one_each = [
        metrics::TIME_TO_FIRST_STEP,
        metrics::FIRST_STEP_TIME,
        metrics::TRAIN_TIME,
        metrics::TRAIN_THROUGHPUT,
        metrics::TRAIN_GFLOPS,
        metrics::PARAMETERS,
        metrics::TEST_ACCURACY,
        metrics::TEST_LOSS,
        metrics::MODEL_SIZE,
    ];
    for def in one_each {
        assert_eq!(has(r, def).samples.len(), 1, "{}", def.name);
    }
    let step = has(r, metrics::STEP_TIME);
    assert_eq!(step.samples.len(), steps);
    assert!(step.samples.iter().all(|&s| s > 0.0));
    // One-off costs apart: the first step is a warm-up sample and a metric of its own.
    assert_eq!(has(r, metrics::FIRST_STEP_TIME).samples, step.samples[..1]);
    assert_eq!(
        has(r, metrics::MODEL_LOAD_TIME).samples.len(),
        common::RELOADS
    );
    assert!(has(r, metrics::MODEL_SIZE).samples[0] > 0.0);
    for def in metrics::SERIES {
        let s = r
            .series
            .get(def.name)
            .unwrap_or_else(|| panic!("no series {}", def.name));
        assert_eq!((s.unit, s.x_label.as_str()), (def.unit, metrics::EPOCH));
        assert_eq!(s.x, (1..=epochs).map(|e| e as f64).collect::<Vec<_>>());
        assert_eq!(s.y.len(), epochs);
    }
    let c = &r.classifications[metrics::TEST];
    assert_eq!((c.truth.len(), c.predicted.len()), (test_rows, test_rows));
    assert!(c.predicted.iter().all(|&p| (p as usize) < c.classes.len()));
    assert!(r.info["model_format"]
        .as_str()
        .is_some_and(|f| !f.is_empty()));
}

/// The steady-state training throughput covers steps 2..N only: `examples` examples.
fn check_steady_examples(r: &RunResult, examples: f64) {
    let steady: f64 = has(r, metrics::STEP_TIME).samples[1..].iter().sum();
    let got = has(r, metrics::TRAIN_THROUGHPUT).samples[0] * steady;
    assert!(
        (got - examples).abs() < 1e-6,
        "{got} examples, expected {examples}"
    );
}

/// A tiny MLP on the digits reports every train metric, series and classification.
pub fn tiny_mlp_on_digits_reports_everything(s: &Subject) {
    let r = s.run(tiny_train(
        json!({"name": "digits"}),
        json!({"kind": "mlp", "hidden": [32]}),
        adam(),
    ));
    let data = digits();
    check_train(&r, 6, 2, data.test.n);
    // Steps 2..6: 5 full batches of 16.
    check_steady_examples(&r, 80.0);
    assert_eq!(has(&r, metrics::LATENCY_B1).steady().len(), 4);
    assert_eq!(has(&r, metrics::INFER_THROUGHPUT).steady().len(), 2);
    assert_eq!(
        has(&r, metrics::PARAMETERS).samples[0],
        (64.0 * 32.0 + 32.0) + (32.0 * 10.0 + 10.0)
    );
    assert!(r.scores.is_empty(), "10 classes have no binary scores");
    let c = &r.classifications[metrics::TEST];
    assert_eq!(c.classes.len(), 10);
    assert_eq!(c.truth, data.test.y);
    let t = r.runner.threads.expect("threads");
    assert_eq!((t.intra_op, t.inter_op), (1, 1));
}

/// A CNN on "is it a 3?" with momentum, at 2 threads, reports binary scores.
pub fn cnn_one_vs_rest_reports_scores(s: &Subject) {
    let mut w = tiny_train(
        json!({"name": "digits", "one_vs_rest": 3}),
        json!({"kind": "cnn"}),
        json!({"kind": "sgd", "lr": 0.01, "momentum": 0.9}),
    );
    w["threads"] = json!(2);
    let r = s.run(w);
    check_train(&r, 6, 2, digits().test.n);
    assert_eq!(r.runner.threads.expect("threads").intra_op, 2);
    let scores = &r.scores[metrics::TEST];
    assert_eq!(scores.positive, "3");
    assert_eq!(
        scores.truth,
        r.classifications[metrics::TEST]
            .truth
            .iter()
            .map(|&t| t == 1)
            .collect::<Vec<_>>()
    );
    assert!(scores.scores.iter().all(|&p| (0.0..=1.0).contains(&p)));
    assert_eq!(r.classifications[metrics::TEST].classes, ["not 3", "3"]);
}

/// Work the spec turns off is not reported: no latency, throughput or saved model.
pub fn skipped_work_reports_nothing(s: &Subject) {
    let mut w = tiny_train(
        json!({"name": "synthetic", "n": 256}),
        json!({"kind": "logreg"}),
        adam(),
    );
    w["latency_samples"] = json!(0);
    w["throughput_batch"] = json!(0);
    w["save_model"] = json!(false);
    let r = s.run(w);
    assert_eq!(has(&r, metrics::STEP_TIME).samples.len(), 6);
    assert_eq!(has(&r, metrics::PARAMETERS).samples[0], 784.0 * 10.0 + 10.0);
    for skipped in [
        metrics::LATENCY_B1,
        metrics::INFER_THROUGHPUT,
        metrics::MODEL_SIZE,
        metrics::MODEL_LOAD_TIME,
    ] {
        assert!(
            !r.metrics.contains_key(skipped.name),
            "{} was asked not to run",
            skipped.name
        );
    }
    assert!(!r.info.contains_key("model_format"));
}

/// The same spec trains the same way twice (same data order, weights, arithmetic).
pub fn same_spec_same_training(s: &Subject) {
    let w = tiny_train(
        json!({"name": "digits"}),
        json!({"kind": "mlp", "hidden": [16]}),
        adam(),
    );
    let (a, b) = (s.run(w.clone()), s.run(w));
    assert_eq!(a.series["train_loss"], b.series["train_loss"]);
    assert_eq!(
        a.classifications[metrics::TEST],
        b.classifications[metrics::TEST]
    );
}

/// The runner trains on the canonical inputs (`common::canonical`): the initial weights read
/// back from its model and the batch order it trained on hash to the canonical digests, for a
/// dense and a convolutional model (so a layout conversion is covered).
pub fn inputs_are_canonical(s: &Subject) {
    for model in [
        json!({"kind": "mlp", "hidden": [16]}),
        json!({"kind": "cnn"}),
    ] {
        let w = tiny_train(json!({"name": "digits"}), model.clone(), adam());
        let spec: common::TrainSpec = serde_json::from_value({
            let mut t = w.clone();
            t.as_object_mut().unwrap().remove("task");
            t
        })
        .unwrap();
        let cache =
            std::env::temp_dir().join(format!("conformance-canonical-{}", std::process::id()));
        let dir = common::canonical::write(&spec, &cache).unwrap();
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        let _ = std::fs::remove_dir_all(&cache);
        let r = s.run(w);
        let inputs = &r.info["inputs"];
        assert_eq!(
            inputs["initial_weights_sha256"], manifest["digests"]["initial_weights"],
            "{} {model}: initial weights differ from the canonical ones ({inputs})",
            s.name
        );
        assert_eq!(
            inputs["initial_weights_from"], "model",
            "{}: the weights are read back from the model",
            s.name
        );
        assert_eq!(
            inputs["batch_order_sha256"], manifest["digests"]["batch_order"],
            "{} {model}: batch order differs from the canonical one",
            s.name
        );
    }
}

/// With test rows leaked into training, the test set is also reported split into the
/// leaked rows and the unseen ones.
pub fn leaked_rows_are_reported_apart(s: &Subject) {
    let mut w = tiny_train(
        json!({"name": "digits", "leak_fraction": 0.5}),
        json!({"kind": "mlp", "hidden": [16]}),
        adam(),
    );
    w["save_model"] = json!(false);
    let r = s.run(w);
    let test = &r.classifications[metrics::TEST];
    let leaked = &r.classifications[metrics::TEST_LEAKED];
    let unseen = &r.classifications[metrics::TEST_UNSEEN];
    assert_eq!(leaked.truth.len() + unseen.truth.len(), test.truth.len());
    assert_eq!(
        leaked.truth.len(),
        (test.truth.len() as f64 * 0.5).round() as usize
    );
}

/// The matrix product reports FLOP/s per size, one sample per timed repetition.
pub fn matmul_reports_flops_per_size(s: &Subject) {
    let r = s.run(json!({"task": "matmul", "sizes": [64, 96], "threads": 1, "reps": 3}));
    for n in [64, 96] {
        let (name, _) = metrics::matmul(n);
        let m = &r.metrics[&name];
        assert_eq!((m.unit, m.samples.len()), (Unit::FlopsPerSecond, 3));
        assert!(m.samples.iter().all(|&f| f > 1e6), "{:?}", m.samples);
    }
    let t = r.runner.threads.expect("threads");
    assert_eq!((t.intra_op, t.inter_op), (1, 1));
}

/// Every probe runs, in order, and ends with the framework's message or what was observed.
pub fn probes_report_every_probe(s: &Subject) {
    let r = s.run(json!({"task": "probes", "threads": 1}));
    let names: Vec<&str> = r.probes.iter().map(|p| p.name.as_str()).collect();
    let all: Vec<&str> = common::PROBES.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, all);
    for p in &r.probes {
        assert!(p.seconds > 0.0, "{p:?}");
        // Either the framework said something, or the runner says what happened instead.
        assert!(p.message.is_some() != p.observed.is_some(), "{p:?}");
        assert_eq!(p.stage == Stage::None, p.observed.is_some(), "{p:?}");
    }
    let shape = &r.probes[0];
    assert!(
        shape.stage != Stage::None && shape.message.is_some(),
        "{shape:?}"
    );
    let nan = &r.probes[3];
    assert!(
        nan.message.is_some() || nan.observed.as_deref().unwrap().contains("loss"),
        "{nan:?}"
    );

    let one = s.run(json!({"task": "probes", "threads": 1, "probes": ["no_gradient"]}));
    assert_eq!(one.probes.len(), 1);
    assert_eq!(one.probes[0].name, "no_gradient");
}

/// Bad specs fail as the protocol says: exit 1, nothing on stdout, the reason on stderr.
pub fn bad_specs_fail_cleanly(s: &Subject) {
    let train = |key: &str, value: Value| {
        let mut w = tiny_train(json!({"name": "digits"}), json!({"kind": "logreg"}), adam());
        w[key] = value;
        s.spec(&w).to_string()
    };
    let cases = [
        (
            s.spec(&json!({"task": "matmul", "sizes": [8], "threads": 1, "repz": 3}))
                .to_string(),
            "repz",
        ),
        (
            s.spec(&json!({"task": "probes", "threads": 1, "probes": ["nope"]}))
                .to_string(),
            "nope",
        ),
        (
            s.spec(&json!({"task": "probes", "threads": 0})).to_string(),
            "threads",
        ),
        (
            s.spec(&json!({"task": "matmul", "sizes": [0], "threads": 1}))
                .to_string(),
            "sizes",
        ),
        (
            s.spec(&json!({"task": "juggle", "threads": 1})).to_string(),
            "juggle",
        ),
        (train("batch_size", json!(0)), "batch_size"),
        (
            train("max_steps_per_epoch", json!(0)),
            "max_steps_per_epoch",
        ),
        (
            json!({"protocol": 2, "benchmark": "b", "runner": s.name, "workload": {}}).to_string(),
            "protocol 2",
        ),
        ("{\"protocol\": 1, ".to_string(), "invalid spec"),
    ];
    // A task the subject does not run is refused for that reason, before its keys are read.
    let runs_task = |spec: &str| {
        serde_json::from_str::<Value>(spec)
            .ok()
            .and_then(|v| v["workload"]["task"].as_str().map(String::from))
            .is_none_or(|task| task == "juggle" || s.runs(&task))
    };
    for (spec, needle) in cases.into_iter().filter(|(spec, _)| runs_task(spec)) {
        let out = s.run_raw(&spec, &[]);
        assert_eq!(out.code, Some(1), "{spec}: {}", out.stderr);
        assert!(
            out.stdout.is_empty(),
            "{spec}: stdout must stay empty: {}",
            out.stdout
        );
        assert!(
            out.stderr.contains("error:") && out.stderr.contains(needle),
            "{spec}: {}",
            out.stderr
        );
    }
}

/// A cold start creates the saved model once (then re-executes), and measures a fresh
/// process from the spawn clock; without that clock it fails, naming it.
pub fn cold_start_measures_a_fresh_process(s: &Subject) {
    let cache = tempfile::tempdir().unwrap();
    // The data stays where the subject's environment (or this process's) says it is.
    let digits = s
        .env
        .iter()
        .find(|(k, _)| k == "BENCHBOOK_DIGITS")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| common::digits_path().display().to_string());
    let env = |clock: bool| {
        vec![
            ("BENCHBOOK_CACHE", cache.path().display().to_string()),
            ("BENCHBOOK_DIGITS", digits.clone()),
            (
                common::cold::SPAWN_CLOCK_VAR,
                if clock {
                    monotonic_now()
                } else {
                    String::new()
                },
            ),
            (common::cold::CREATED_VAR, String::new()),
        ]
    };
    let cold = json!({"task": "cold_start", "dataset": {"name": "digits"}, "model": "mlp",
        "models": {"mlp": {"kind": "mlp", "hidden": [32]}, "cnn": {"kind": "cnn"}},
        "seed": 0, "threads": 1});
    for created in [true, false] {
        let r = s.run_with(cold.clone(), &env(true));
        assert_eq!(r.info["model_created_first"], json!(created));
        for def in metrics::COLD_START {
            assert_eq!(has(&r, *def).samples.len(), 1, "{}", def.name);
        }
        let m = |d: MetricDef| has(&r, d).samples[0];
        let (total, load, predict) = (
            m(metrics::SPAWN_TO_PREDICTION),
            m(metrics::COLD_LOAD_TIME),
            m(metrics::COLD_PREDICT_TIME),
        );
        assert!(
            total > load + predict && load > 0.0 && predict > 0.0,
            "{total} {load} {predict}"
        );
        assert!(total < 60.0, "{total}");
        assert!(m(metrics::MODEL_SIZE) > 0.0);
        let path = r.info["model_path"].as_str().unwrap();
        assert!(Path::new(path).starts_with(cache.path()), "{path}");
        assert!(r.info["model_format"]
            .as_str()
            .is_some_and(|f| !f.is_empty()));
    }
    let out = s.run_raw(&s.spec(&cold).to_string(), &env(false));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains(common::cold::SPAWN_CLOCK_VAR),
        "{}",
        out.stderr
    );
    let unknown = json!({"task": "cold_start", "dataset": {"name": "digits"}, "model": "rnn",
        "threads": 1});
    let out = s.run_raw(&s.spec(&unknown).to_string(), &env(true));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("rnn"), "{}", out.stderr);
}

/// The canonical `mlp_digits` configuration learns the digits (the report relies on it).
pub fn mlp_digits_reaches_ninety_percent(s: &Subject) {
    let r = s.run(
        json!({"task": "train", "dataset": {"name": "digits"}, "model": {"kind": "mlp", "hidden": [128, 64]},
        "optimizer": adam(), "batch_size": 32, "epochs": 30, "threads": 1}),
    );
    let acc = has(&r, metrics::TEST_ACCURACY).samples[0];
    assert!(acc >= 0.9, "{}: test accuracy {acc}", s.name);
    let data = digits();
    check_train(&r, 30 * data.train.n.div_ceil(32), 30, data.test.n);
    assert_eq!(has(&r, metrics::LATENCY_B1).steady().len(), 200);
    assert_eq!(has(&r, metrics::INFER_THROUGHPUT).steady().len(), 20);
}

/// A conformance check: it panics, saying why, when the subject fails it.
pub type Check = fn(&Subject);

/// Every conformance check, by name, with the task it needs, in the order
/// [`conformance_tests!`] lists them.
pub const CHECKS: &[(&str, &str, Check)] = &[
    (
        "tiny_mlp_on_digits_reports_everything",
        "train",
        tiny_mlp_on_digits_reports_everything,
    ),
    (
        "cnn_one_vs_rest_reports_scores",
        "train",
        cnn_one_vs_rest_reports_scores,
    ),
    (
        "skipped_work_reports_nothing",
        "train",
        skipped_work_reports_nothing,
    ),
    ("same_spec_same_training", "train", same_spec_same_training),
    ("inputs_are_canonical", "train", inputs_are_canonical),
    (
        "leaked_rows_are_reported_apart",
        "train",
        leaked_rows_are_reported_apart,
    ),
    (
        "matmul_reports_flops_per_size",
        "matmul",
        matmul_reports_flops_per_size,
    ),
    (
        "probes_report_every_probe",
        "probes",
        probes_report_every_probe,
    ),
    ("bad_specs_fail_cleanly", "train", bad_specs_fail_cleanly),
    (
        "cold_start_measures_a_fresh_process",
        "cold_start",
        cold_start_measures_a_fresh_process,
    ),
    (
        "mlp_digits_reaches_ninety_percent",
        "train",
        mlp_digits_reaches_ninety_percent,
    ),
];

/// Run every check of [`CHECKS`] in turn, saying on stderr which one runs.
pub fn run_all(s: &Subject) {
    for (name, task, check) in CHECKS {
        if s.runs(task) {
            eprintln!("conformance of {}: {name}", s.name);
            check(s);
        }
    }
}

/// Run one check when the subject runs its task (one `#[test]` of [`conformance_tests!`]).
pub fn run_check(s: &Subject, name: &str) {
    let (_, task, check) = CHECKS
        .iter()
        .find(|(n, _, _)| *n == name)
        .unwrap_or_else(|| panic!("no conformance check `{name}`"));
    if s.runs(task) {
        check(s);
    } else {
        eprintln!("{} does not run `{task}`: {name} does not apply", s.name);
    }
}

/// One `#[test]` per conformance check (the checks of [`CHECKS`]), in a module
/// `conformance`, for the [`Subject`] the expression makes.
#[macro_export]
macro_rules! conformance_tests {
    ($subject:expr) => {
        mod conformance {
            #[allow(unused_imports)]
            use super::*;

            fn subject() -> $crate::Subject {
                $subject
            }

            $crate::conformance_tests!(@each
                tiny_mlp_on_digits_reports_everything,
                cnn_one_vs_rest_reports_scores,
                skipped_work_reports_nothing,
                same_spec_same_training,
                inputs_are_canonical,
                leaked_rows_are_reported_apart,
                matmul_reports_flops_per_size,
                probes_report_every_probe,
                bad_specs_fail_cleanly,
                cold_start_measures_a_fresh_process,
                mlp_digits_reaches_ninety_percent
            );
        }
    };
    (@each $($check:ident),*) => {
        $(
            #[test]
            fn $check() {
                $crate::run_check(&subject(), stringify!($check));
            }
        )*

        #[test]
        fn every_check_is_a_test() {
            let listed = [$(stringify!($check)),*];
            let names: Vec<&str> = $crate::CHECKS.iter().map(|(n, _, _)| *n).collect();
            assert_eq!(names, listed);
        }
    };
}
