//! The runner binary end to end: a spec on stdin, one result on stdout that benchbook can parse.
//! Needs the digits data (`benchbook setup`) and libtorch (linked with an rpath at build time).

use benchbook_runner_common::protocol::{parse_result, RunResult, Stage, Unit};
use benchbook_runner_common::{load_dataset, regions, warmup, DatasetSpec};
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run_raw(spec: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_benchbook-runner-torch"))
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
    child.wait_with_output().unwrap()
}

fn run(workload: Value) -> RunResult {
    let spec = json!({"protocol": 1, "benchmark": "test", "runner": "torch", "workload": workload});
    let out = run_raw(&spec.to_string());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "runner failed: {stderr}");
    let result = parse_result(&String::from_utf8_lossy(&out.stdout)).expect("a valid result");
    assert_eq!(result.runner.name, "torch");
    assert_eq!(result.runner.version, "2.13.0");
    assert!(result
        .runner
        .library_paths
        .iter()
        .any(|p| p.contains("libtorch_cpu")));
    assert!(result.metrics["library_size"].samples[0] > 1e6);
    result
}

fn tiny_train(dataset: Value, model: Value, optimizer: Value) -> Value {
    json!({"task": "train", "dataset": dataset, "model": model, "optimizer": optimizer,
           "batch_size": 16, "epochs": 2, "threads": 1, "max_steps_per_epoch": 3,
           "latency_samples": 4, "throughput_batch": 50, "throughput_reps": 2})
}

/// Train and test rows of the digits split (common decides them).
fn digits_rows() -> (usize, usize) {
    let d = load_dataset(
        &DatasetSpec::Digits {
            one_vs_rest: None,
            leak_fraction: 0.0,
        },
        0,
    )
    .unwrap();
    (d.train.n, d.test.n)
}

fn adam() -> Value {
    json!({"kind": "adam", "lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7})
}

/// Every metric, series and classification RUNNERS.md asks of a train run.
fn check_train(r: &RunResult, steps: usize, epochs: usize, test_rows: usize) {
    let expect = [
        ("time_to_first_step", Unit::Seconds, 1),
        ("step_time", Unit::Seconds, steps),
        ("first_step_time", Unit::Seconds, 1),
        ("train_time", Unit::Seconds, 1),
        ("train_throughput", Unit::ItemsPerSecond, 1),
        ("test_accuracy", Unit::Fraction, 1),
        ("test_loss", Unit::Plain, 1),
        ("model_size", Unit::Bytes, 1),
        ("model_load_time", Unit::Seconds, 5),
        ("parameters", Unit::Count, 1),
        ("train_gflops", Unit::FlopsPerSecond, 1),
        ("library_size", Unit::Bytes, 1),
    ];
    for (name, unit, n) in expect {
        let m = r
            .metrics
            .get(name)
            .unwrap_or_else(|| panic!("no metric {name}"));
        assert_eq!(m.unit, unit, "{name}");
        assert_eq!(m.samples.len(), n, "{name}");
        assert!(
            m.samples.iter().all(|s| s.is_finite() && *s >= 0.0),
            "{name}: {:?}",
            m.samples
        );
    }
    assert!(r.metrics["step_time"].samples.iter().all(|&s| s > 0.0));
    // One-off costs apart: the first step is a warm-up sample and a metric of its own.
    assert_eq!(r.metrics["step_time"].warmup, warmup::STEPS);
    assert_eq!(
        r.metrics["first_step_time"].samples,
        r.metrics["step_time"].samples[..1]
    );
    assert_eq!(r.metrics["model_load_time"].warmup, warmup::RELOADS);
    for (name, region) in [
        ("step_time", regions::TRAIN_STEP),
        ("first_step_time", regions::FIRST_STEP),
        ("train_time", regions::TRAIN_LOOP),
        ("train_throughput", regions::TRAIN_STEADY),
        ("train_gflops", regions::TRAIN_STEADY_FLOPS),
        ("time_to_first_step", regions::TIME_TO_FIRST_STEP),
        ("model_load_time", regions::MODEL_RELOAD),
    ] {
        assert_eq!(r.metrics[name].region.as_deref(), Some(region), "{name}");
    }
    for (name, unit) in [
        ("train_loss", Unit::Plain),
        ("val_loss", Unit::Plain),
        ("train_accuracy", Unit::Fraction),
        ("val_accuracy", Unit::Fraction),
    ] {
        let s = &r.series[name];
        assert_eq!((s.unit, s.x_label.as_str()), (unit, "epoch"));
        assert_eq!(s.x, (1..=epochs).map(|e| e as f64).collect::<Vec<_>>());
        assert_eq!(s.y.len(), epochs);
    }
    let c = &r.classifications["test"];
    assert_eq!((c.truth.len(), c.predicted.len()), (test_rows, test_rows));
    assert!(c.predicted.iter().all(|&p| (p as usize) < c.classes.len()));
    assert!(r.info["model_format"]
        .as_str()
        .unwrap()
        .contains("TorchScript"));
}

#[test]
fn tiny_mlp_on_digits_reports_everything() {
    let r = run(tiny_train(
        json!({"name": "digits"}),
        json!({"kind": "mlp", "hidden": [32]}),
        adam(),
    ));
    check_train(&r, 6, 2, digits_rows().1);
    // Throughput over steps 2..6 only (5 full batches of 16), not over the whole loop.
    let steady: f64 = r.metrics["step_time"].samples[1..].iter().sum();
    let examples = r.metrics["train_throughput"].samples[0] * steady;
    assert!((examples - 80.0).abs() < 1e-6, "{examples}");
    assert_eq!(r.metrics["latency_b1"].steady().len(), 4);
    assert_eq!(r.metrics["latency_b1"].warmup, warmup::LATENCY);
    assert_eq!(r.metrics["infer_throughput"].steady().len(), 2);
    assert_eq!(r.metrics["infer_throughput"].warmup, warmup::INFER_BATCHES);
    assert_eq!(
        r.metrics["parameters"].samples[0],
        (64.0 * 32.0 + 32.0) + (32.0 * 10.0 + 10.0)
    );
    assert!(r.scores.is_empty(), "10 classes have no binary scores");
    assert_eq!(r.classifications["test"].classes.len(), 10);
}

#[test]
fn tiny_cnn_one_vs_rest_with_momentum_reports_scores() {
    let sgd = json!({"kind": "sgd", "lr": 0.01, "momentum": 0.9});
    let r = run(tiny_train(
        json!({"name": "digits", "one_vs_rest": 3}),
        json!({"kind": "cnn"}),
        sgd,
    ));
    check_train(&r, 6, 2, digits_rows().1);
    let s = &r.scores["test"];
    assert_eq!(s.positive, "3");
    assert_eq!(
        s.truth,
        r.classifications["test"]
            .truth
            .iter()
            .map(|&t| t == 1)
            .collect::<Vec<_>>()
    );
    assert!(s.scores.iter().all(|&p| (0.0..=1.0).contains(&p)));
    assert_eq!(r.classifications["test"].classes, ["not 3", "3"]);
}

#[test]
fn tiny_logreg_on_synthetic_data_without_extras() {
    let mut w = tiny_train(
        json!({"name": "synthetic", "n": 256}),
        json!({"kind": "logreg"}),
        adam(),
    );
    w["latency_samples"] = json!(0);
    w["throughput_batch"] = json!(0);
    w["save_model"] = json!(false);
    let r = run(w);
    assert_eq!(r.metrics["step_time"].samples.len(), 6);
    assert_eq!(r.metrics["parameters"].samples[0], 784.0 * 10.0 + 10.0);
    for skipped in [
        "latency_b1",
        "infer_throughput",
        "model_size",
        "model_load_time",
    ] {
        assert!(
            !r.metrics.contains_key(skipped),
            "{skipped} was asked not to run"
        );
    }
}

#[test]
fn same_spec_same_training() {
    let w = tiny_train(
        json!({"name": "digits"}),
        json!({"kind": "mlp", "hidden": [16]}),
        adam(),
    );
    let (a, b) = (run(w.clone()), run(w));
    assert_eq!(a.series["train_loss"], b.series["train_loss"]);
    assert_eq!(a.classifications["test"], b.classifications["test"]);
}

#[test]
fn matmul_reports_flops_per_size() {
    let r = run(json!({"task": "matmul", "sizes": [64, 96], "threads": 1, "reps": 3}));
    for n in [64, 96] {
        let m = &r.metrics[&format!("matmul_{n}")];
        assert_eq!((m.unit, m.samples.len()), (Unit::FlopsPerSecond, 3));
        assert!(m.samples.iter().all(|&f| f > 1e6), "{:?}", m.samples);
    }
    assert_eq!(
        r.runner.threads.map(|t| (t.intra_op, t.inter_op)),
        Some((1, 1))
    );
}

#[test]
fn probes_record_libtorch_messages_verbatim() {
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
    let p = &r.probes[0];
    assert_eq!(p.stage, Stage::Run);
    assert_eq!(
        p.message.as_deref(),
        Some("mat1 and mat2 shapes cannot be multiplied (32x64 and 32x10)")
    );
    assert_eq!(r.probes[1].stage, Stage::None);
    assert_eq!(
        r.probes[1].observed.as_deref(),
        Some("no error: result dtype float32 (int64 promoted)")
    );
    assert_eq!(r.probes[2].stage, Stage::Run);
    assert!(r.probes[2]
        .message
        .as_deref()
        .unwrap()
        .contains("does not require grad"));
    assert!(r.probes[3].observed.as_deref().unwrap().contains("loss"));
    assert!(r.probes.iter().all(|p| p.seconds > 0.0));

    let one = run(json!({"task": "probes", "threads": 1, "probes": ["no_gradient"]}));
    assert_eq!(one.probes.len(), 1);
}

#[test]
fn bad_specs_fail_cleanly_with_nothing_on_stdout() {
    for (spec, needle) in [
        (
            json!({"protocol": 1, "benchmark": "b", "runner": "torch", "workload": {"task": "matmul", "sizes": [8], "threads": 1, "rep": 2}}),
            "rep",
        ),
        (
            json!({"protocol": 1, "benchmark": "b", "runner": "torch", "workload": {"task": "probes", "threads": 1, "probes": ["nope"]}}),
            "nope",
        ),
        (
            json!({"protocol": 1, "benchmark": "b", "runner": "torch", "workload": {"task": "probes", "threads": 0}}),
            "threads",
        ),
        (
            json!({"protocol": 2, "benchmark": "b", "runner": "torch", "workload": {}}),
            "protocol 2",
        ),
    ] {
        let out = run_raw(&spec.to_string());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{spec}");
        assert!(out.stdout.is_empty(), "{spec}");
        assert!(stderr.contains(needle), "{spec}: {stderr}");
    }
}

/// The canonical `mlp_digits` configuration reaches the accuracy the report relies on.
#[test]
fn mlp_digits_reaches_ninety_percent() {
    let r = run(
        json!({"task": "train", "dataset": {"name": "digits"}, "model": {"kind": "mlp", "hidden": [128, 64]},
        "optimizer": adam(), "batch_size": 32, "epochs": 30, "threads": 1}),
    );
    let acc = r.metrics["test_accuracy"].samples[0];
    assert!(acc >= 0.9, "test accuracy {acc}");
    let (train_rows, test_rows) = digits_rows();
    check_train(&r, 30 * train_rows.div_ceil(32), 30, test_rows);
    assert_eq!(r.metrics["latency_b1"].steady().len(), 200);
    assert_eq!(r.metrics["infer_throughput"].steady().len(), 20);
}
