//! End to end on the real machine: `ensure_runner` provisions the frameworks into the cache
//! (`$BENCHBOOK_CACHE` or `~/.cache/benchbook`; on a fresh CI machine this downloads about
//! 830 MB and builds both runners, which is intended), then each runner binary is started
//! exactly as the bench stage starts it (program, args, env) on tiny specs and on the real
//! `mlp_digits` configuration, and its stdout is parsed with the protocol crate.

use benchbook::setup::{
    ensure_runner, installed, runner_fingerprint, RunnerProgram, BUILTIN_RUNNERS,
};
use benchbook_protocol::{parse_result, RunResult, Stage, Unit, PROTOCOL_VERSION};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn ensure(name: &str) -> RunnerProgram {
    let p = ensure_runner(root(), name, false)
        .unwrap_or_else(|e| panic!("ensure_runner({name}): {e:#}"));
    assert_eq!(p.name, name);
    assert!(p.program.is_file(), "{}", p.program.display());
    assert_eq!(
        p.fingerprint,
        runner_fingerprint(root(), name).unwrap(),
        "the binary is fresh"
    );
    assert!(
        p.env.iter().any(|(k, _)| k == "LD_LIBRARY_PATH"),
        "{:?}",
        p.env
    );
    assert!(
        p.env.iter().any(|(k, _)| k == "BENCHBOOK_DIGITS"),
        "{:?}",
        p.env
    );
    // A second call finds everything in place and returns the same program.
    assert_eq!(ensure_runner(root(), name, true).unwrap(), p);
    p
}

/// Start the runner as the bench stage does; (exit code, stdout, stderr).
fn run_raw(p: &RunnerProgram, spec: &str) -> (i32, String, String) {
    let mut child = Command::new(&p.program)
        .args(&p.args)
        .envs(p.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", p.program.display()));
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

fn run(p: &RunnerProgram, workload: Value) -> RunResult {
    let spec = json!({"protocol": PROTOCOL_VERSION, "benchmark": "e2e", "runner": p.name, "workload": workload});
    let (code, stdout, stderr) = run_raw(p, &spec.to_string());
    assert_eq!(code, 0, "{} failed on {spec}:\n{stderr}", p.name);
    let r = parse_result(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}"));
    assert_eq!(r.runner.name, p.name);
    assert_eq!(
        Some(&r.runner.version),
        p.versions.values().next(),
        "the version the pins promise"
    );
    // The framework that ran is the one provisioned into the cache.
    let dirs: Vec<String> = installed(root())
        .unwrap()
        .into_iter()
        .map(|i| i.path.to_string_lossy().into_owned())
        .collect();
    assert!(
        r.runner
            .library_paths
            .iter()
            .any(|l| dirs.iter().any(|d| l.starts_with(d.as_str()))),
        "{:?} not under {dirs:?}",
        r.runner.library_paths
    );
    r
}

fn adam() -> Value {
    json!({"kind": "adam", "lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7})
}

fn end_to_end(name: &str) {
    let p = ensure(name);

    // Tiny training: one epoch of 5 steps.
    let r = run(
        &p,
        json!({"task": "train", "dataset": {"name": "digits"}, "model": {"kind": "mlp", "hidden": [32]},
            "optimizer": adam(), "batch_size": 32, "epochs": 1, "threads": 1, "max_steps_per_epoch": 5,
            "latency_samples": 3, "throughput_batch": 64, "throughput_reps": 2}),
    );
    assert_eq!(r.metrics["step_time"].samples.len(), 5);
    assert_eq!(r.metrics["step_time"].unit, Unit::Seconds);
    assert_eq!(r.series["train_loss"].y.len(), 1);
    let c = &r.classifications["test"];
    assert_eq!(c.truth.len(), c.predicted.len());
    assert_eq!(c.classes.len(), 10);

    // Matmul at 64.
    let r = run(
        &p,
        json!({"task": "matmul", "sizes": [64], "threads": 1, "reps": 3}),
    );
    let m = &r.metrics["matmul_64"];
    assert_eq!(m.unit, Unit::FlopsPerSecond);
    assert_eq!(m.samples.len(), 3);
    assert!(
        m.samples.iter().all(|&f| f.is_finite() && f > 0.0),
        "{:?}",
        m.samples
    );

    // Probes: every one reported, with a stage and either the framework's message or what was seen.
    let r = run(&p, json!({"task": "probes", "threads": 1}));
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
    assert!(
        r.probes[0].stage != Stage::None && r.probes[0].message.is_some(),
        "{:?}",
        r.probes[0]
    );

    // A bad spec: exit 1, a message naming the unknown field, nothing on stdout.
    let bad = json!({"protocol": PROTOCOL_VERSION, "benchmark": "e2e", "runner": name,
        "workload": {"task": "matmul", "sizes": [8], "threads": 1, "repz": 3}});
    let (code, stdout, stderr) = run_raw(&p, &bad.to_string());
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "stdout must stay empty: {stdout}");
    assert!(
        stderr.contains("error:") && stderr.contains("repz"),
        "{stderr}"
    );
    let (code, stdout, stderr) = run_raw(&p, "{\"protocol\": 1, ");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.is_empty() && stderr.contains("invalid spec"),
        "{stdout}{stderr}"
    );

    // The canonical mlp_digits configuration learns the digits.
    let r = run(
        &p,
        json!({"task": "train", "dataset": {"name": "digits"}, "model": {"kind": "mlp", "hidden": [128, 64]},
            "optimizer": adam(), "batch_size": 32, "epochs": 30, "threads": 1}),
    );
    let acc = r.metrics["test_accuracy"].samples[0];
    assert!(acc >= 0.9, "{name}: mlp_digits test accuracy {acc}");
    let steps = &r.metrics["step_time"].samples;
    let mut sorted = steps.clone();
    sorted.sort_by(f64::total_cmp);
    eprintln!(
        "{name}: mlp_digits test accuracy {acc:.4}, {} steps, median step {:.1} µs",
        steps.len(),
        sorted[sorted.len() / 2] * 1e6
    );
}

#[test]
fn builtin_runners_are_the_ones_pinned() {
    let pins = benchbook::setup::pins::Pins::load(root()).unwrap();
    assert_eq!(
        pins.runners.keys().map(String::as_str).collect::<Vec<_>>(),
        {
            let mut b = BUILTIN_RUNNERS.to_vec();
            b.sort();
            b
        }
    );
}

#[test]
fn torch_end_to_end() {
    end_to_end("torch");
}

#[test]
fn tensorflow_end_to_end() {
    end_to_end("tensorflow");
}
