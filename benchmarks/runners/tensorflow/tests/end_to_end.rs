//! End-to-end runs of the real runner binary on tiny specs (and the real `mlp_digits`).
//! Needs libtensorflow on the library path (LD_LIBRARY_PATH, as `benchbook setup` provides)
//! and the digits data set in the benchbook cache.

use benchbook_runner_common as common;
use common::protocol::{parse_result, RunResult, Stage, Unit};
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

/// Run the runner on `workload`; (exit code, stdout, stderr).
fn run_raw(spec: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_benchbook-runner-tensorflow"))
        .env("TF_CPP_MIN_LOG_LEVEL", "2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the runner");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spec.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(workload: Value) -> RunResult {
    let spec =
        json!({"protocol": 1, "benchmark": "test", "runner": "tensorflow", "workload": workload});
    let (code, stdout, stderr) = run_raw(&spec.to_string());
    assert_eq!(code, 0, "runner failed: {stderr}");
    let result = parse_result(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}"));
    assert_eq!(result.runner.name, "tensorflow");
    assert_eq!(result.runner.version, "2.21.0");
    assert!(
        result
            .runner
            .library_paths
            .iter()
            .any(|p| p.contains("libtensorflow")),
        "{:?}",
        result.runner.library_paths
    );
    assert!(result.metrics["library_size"].samples[0] > 1e6);
    result
}

/// The digits split every runner uses (seed 0).
fn digits() -> common::Dataset {
    common::load_dataset(
        &common::DatasetSpec::Digits {
            one_vs_rest: None,
            leak_fraction: 0.0,
        },
        0,
    )
    .unwrap()
}

fn adam() -> Value {
    json!({"kind": "adam", "lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7})
}

/// Every metric, series and classification a train run must report.
fn check_train(r: &RunResult, steps: usize, epochs: usize) {
    for (name, unit) in [
        ("time_to_first_step", Unit::Seconds),
        ("step_time", Unit::Seconds),
        ("first_step_time", Unit::Seconds),
        ("train_time", Unit::Seconds),
        ("train_throughput", Unit::ItemsPerSecond),
        ("test_accuracy", Unit::Fraction),
        ("test_loss", Unit::Plain),
        ("latency_b1", Unit::Seconds),
        ("infer_throughput", Unit::ItemsPerSecond),
        ("model_size", Unit::Bytes),
        ("model_load_time", Unit::Seconds),
        ("parameters", Unit::Count),
        ("train_gflops", Unit::FlopsPerSecond),
    ] {
        let m = r
            .metrics
            .get(name)
            .unwrap_or_else(|| panic!("missing metric {name}"));
        assert_eq!(m.unit, unit, "{name}");
        assert!(
            m.samples.iter().all(|s| s.is_finite() && *s >= 0.0),
            "{name}: {:?}",
            m.samples
        );
    }
    assert_eq!(r.metrics["step_time"].samples.len(), steps);
    assert_eq!(r.metrics["step_time"].warmup, common::warmup::STEPS);
    assert_eq!(
        r.metrics["first_step_time"].samples,
        r.metrics["step_time"].samples[..1]
    );
    assert_eq!(r.metrics["model_load_time"].samples.len(), 5);
    assert_eq!(r.metrics["model_load_time"].warmup, common::warmup::RELOADS);
    for (name, region) in [
        ("step_time", common::regions::TRAIN_STEP),
        ("first_step_time", common::regions::FIRST_STEP),
        ("train_time", common::regions::TRAIN_LOOP),
        ("train_throughput", common::regions::TRAIN_STEADY),
        ("train_gflops", common::regions::TRAIN_STEADY_FLOPS),
        ("time_to_first_step", common::regions::TIME_TO_FIRST_STEP),
        ("latency_b1", common::regions::LATENCY),
        ("infer_throughput", common::regions::INFER_BATCH),
        ("model_load_time", common::regions::MODEL_RELOAD),
    ] {
        assert_eq!(r.metrics[name].region.as_deref(), Some(region), "{name}");
    }
    assert!(r.metrics["model_size"].samples[0] > 0.0);
    for name in ["train_loss", "val_loss", "train_accuracy", "val_accuracy"] {
        let s = &r.series[name];
        assert_eq!(s.x_label, "epoch");
        assert_eq!(s.x, (1..=epochs).map(|e| e as f64).collect::<Vec<_>>());
        assert_eq!(s.y.len(), epochs);
    }
    let c = &r.classifications["test"];
    assert_eq!(c.truth.len(), c.predicted.len());
    assert!(c.predicted.iter().all(|&p| (p as usize) < c.classes.len()));
    assert!(r.info.contains_key("model_format"));
}

#[test]
fn tiny_mlp_on_digits() {
    let r = run(
        json!({"task": "train", "dataset": {"name": "digits"}, "model": {"kind": "mlp", "hidden": [32]},
        "optimizer": adam(), "batch_size": 32, "epochs": 2, "threads": 1, "max_steps_per_epoch": 4,
        "latency_samples": 5, "throughput_batch": 64, "throughput_reps": 2}),
    );
    check_train(&r, 8, 2);
    // Throughput over steps 2..8 only (7 full batches of 32), not over the whole loop.
    let steady: f64 = r.metrics["step_time"].samples[1..].iter().sum();
    let examples = r.metrics["train_throughput"].samples[0] * steady;
    assert!((examples - 224.0).abs() < 1e-6, "{examples}");
    assert_eq!(
        r.metrics["parameters"].samples[0],
        (64 * 32 + 32 + 32 * 10 + 10) as f64
    );
    assert_eq!(r.metrics["latency_b1"].steady().len(), 5);
    assert_eq!(r.metrics["latency_b1"].warmup, common::warmup::LATENCY);
    assert_eq!(r.metrics["infer_throughput"].steady().len(), 2);
    assert_eq!(r.classifications["test"].classes.len(), 10);
    assert_eq!(r.classifications["test"].truth, digits().test.y);
    assert!(r.scores.is_empty());
}

#[test]
fn tiny_cnn_with_momentum_one_vs_rest() {
    let r = run(
        json!({"task": "train", "dataset": {"name": "digits", "one_vs_rest": 3}, "model": {"kind": "cnn"},
        "optimizer": {"kind": "sgd", "lr": 0.05, "momentum": 0.9}, "batch_size": 16, "epochs": 1, "threads": 2,
        "max_steps_per_epoch": 3, "latency_samples": 3, "throughput_batch": 32, "throughput_reps": 2}),
    );
    check_train(&r, 3, 1);
    assert_eq!(r.runner.threads.unwrap().intra_op, 2);
    let s = &r.scores["test"];
    assert_eq!(s.positive, "3");
    assert_eq!(s.truth.len(), s.scores.len());
    assert!(s.scores.iter().all(|p| (0.0..=1.0).contains(p)));
    assert_eq!(r.classifications["test"].classes, vec!["not 3", "3"]);
}

#[test]
fn tiny_logreg_on_synthetic_without_saving() {
    let r = run(
        json!({"task": "train", "dataset": {"name": "synthetic", "n": 256}, "model": {"kind": "logreg"},
        "optimizer": adam(), "batch_size": 64, "epochs": 1, "threads": 1, "latency_samples": 0, "throughput_batch": 0,
        "save_model": false}),
    );
    assert_eq!(r.metrics["step_time"].samples.len(), 4);
    assert!(!r.metrics.contains_key("model_size"));
    assert!(!r.metrics.contains_key("latency_b1"));
    assert_eq!(r.metrics["parameters"].samples[0], (784 * 10 + 10) as f64);
}

#[test]
fn matmul_at_64() {
    let r = run(json!({"task": "matmul", "sizes": [64], "threads": 1, "reps": 3}));
    let m = &r.metrics["matmul_64"];
    assert_eq!(m.unit, Unit::FlopsPerSecond);
    assert_eq!(m.samples.len(), 3);
    assert!(m.samples.iter().all(|&f| f > 1e6));
}

#[test]
fn probes_report_framework_errors() {
    let r = run(json!({"task": "probes", "threads": 1}));
    let names: Vec<&str> = r.probes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "shape_mismatch",
            "dtype_mismatch",
            "no_gradient",
            "nan_loss"
        ]
    );
    let shape = &r.probes[0];
    assert_eq!(shape.stage, Stage::Build);
    assert!(
        shape
            .message
            .as_deref()
            .unwrap()
            .contains("Dimensions must be equal"),
        "{shape:?}"
    );
    let dtype = &r.probes[1];
    assert_eq!(dtype.stage, Stage::Build);
    assert!(
        dtype.message.as_deref().unwrap().contains("DT_INT64"),
        "{dtype:?}"
    );
    for p in &r.probes {
        assert!(p.seconds >= 0.0);
        // Either the framework said something, or the runner says what happened instead.
        assert!(p.message.is_some() != p.observed.is_some(), "{p:?}");
        assert_eq!(p.stage == Stage::None, p.observed.is_some(), "{p:?}");
    }
}

#[test]
fn bad_spec_fails_cleanly() {
    let spec = json!({"protocol": 1, "benchmark": "t", "runner": "tensorflow",
        "workload": {"task": "matmul", "sizes": [8], "threads": 1, "repz": 3}});
    let (code, stdout, stderr) = run_raw(&spec.to_string());
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("repz"), "{stderr}");
}

/// The canonical `mlp_digits` configuration must learn the digits.
#[test]
fn mlp_digits_reaches_90_percent() {
    let r = run(
        json!({"task": "train", "dataset": {"name": "digits"}, "model": {"kind": "mlp", "hidden": [128, 64]},
        "optimizer": adam(), "batch_size": 32, "epochs": 30, "threads": 1}),
    );
    check_train(&r, 30 * digits().train.n.div_ceil(32), 30);
    let acc = r.metrics["test_accuracy"].samples[0];
    assert!(acc >= 0.9, "test accuracy {acc}");
}
