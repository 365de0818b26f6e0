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

/// `CLOCK_MONOTONIC` in nanoseconds, as benchbook sets `BENCHBOOK_SPAWN_MONOTONIC_NS`.
fn monotonic_ns() -> u128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
}

/// Start a cold_start run as the bench stage does (spawn clock set just before the spawn),
/// with the saved models kept under `cache`; (exit code, stdout, stderr).
fn run_cold(
    p: &RunnerProgram,
    cache: &Path,
    workload: &Value,
    clock: bool,
) -> (i32, String, String) {
    let spec = json!({"protocol": PROTOCOL_VERSION, "benchmark": "e2e", "runner": p.name, "workload": workload});
    let mut cmd = Command::new(&p.program);
    cmd.args(&p.args)
        .envs(p.env.iter().map(|(k, v)| (k, v)))
        .env("BENCHBOOK_CACHE", cache)
        .env_remove("BENCHBOOK_SPAWN_MONOTONIC_NS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if clock {
        cmd.env("BENCHBOOK_SPAWN_MONOTONIC_NS", monotonic_ns().to_string());
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spec.to_string().as_bytes())
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

/// Both runners time the same work: every metric they share carries the same region string
/// and the same number of warm-up samples; the one-off first step is apart from the steady
/// state; and the cold start works in both, measured in a fresh process.
#[test]
fn runners_time_the_same_regions() {
    let (torch, tf) = (ensure("torch"), ensure("tensorflow"));
    let workload = json!({"task": "train", "dataset": {"name": "digits"}, "model": {"kind": "cnn"},
        "optimizer": adam(), "batch_size": 32, "epochs": 1, "threads": 1, "max_steps_per_epoch": 4,
        "latency_samples": 3, "throughput_batch": 64, "throughput_reps": 2});
    let a = run(&torch, workload.clone());
    let b = run(&tf, workload);
    let timed = [
        "time_to_first_step",
        "first_step_time",
        "step_time",
        "train_time",
        "train_throughput",
        "train_gflops",
        "latency_b1",
        "infer_throughput",
        "model_load_time",
    ];
    for name in timed {
        for r in [&a, &b] {
            let m = r
                .metrics
                .get(name)
                .unwrap_or_else(|| panic!("{}: no {name}", r.runner.name));
            assert!(
                m.region.as_deref().is_some_and(|s| !s.is_empty()),
                "{}: {name} says nothing about what it times",
                r.runner.name
            );
        }
    }
    let mut shared = 0;
    for (name, m) in &a.metrics {
        let Some(n) = b.metrics.get(name) else {
            continue;
        };
        shared += 1;
        assert_eq!(m.region, n.region, "region of {name}");
        assert_eq!(m.warmup, n.warmup, "warm-up samples of {name}");
        assert_eq!(m.samples.len(), n.samples.len(), "samples of {name}");
    }
    assert!(shared >= timed.len(), "{shared} shared metrics");
    for r in [&a, &b] {
        let steps = &r.metrics["step_time"];
        assert_eq!(
            (steps.samples.len(), steps.warmup),
            (4, 1),
            "{}",
            r.runner.name
        );
        assert_eq!(r.metrics["first_step_time"].samples, steps.samples[..1]);
        assert_eq!(r.metrics["model_load_time"].warmup, 1);
        assert_eq!(r.metrics["latency_b1"].steady().len(), 3);
        assert_eq!(r.metrics["infer_throughput"].steady().len(), 2);
        // Steady-state throughput: the 3 batches of 32 after the first over their time.
        let steady: f64 = steps.samples[1..].iter().sum();
        let examples = r.metrics["train_throughput"].samples[0] * steady;
        assert!(
            (examples - 96.0).abs() < 1e-6,
            "{}: {examples}",
            r.runner.name
        );
    }

    // Cold start: the first process creates the saved model, then re-executes itself so
    // that the measured process never includes creating it; the second finds it.
    let cache = tempfile::tempdir().unwrap();
    let cold = json!({"task": "cold_start", "dataset": {"name": "digits"}, "model": "mlp",
        "models": {"mlp": {"kind": "mlp", "hidden": [128, 64]}}, "seed": 0, "threads": 1});
    let mut regions = Vec::new();
    for p in [&torch, &tf] {
        for created in [true, false] {
            let (code, stdout, stderr) = run_cold(p, cache.path(), &cold, true);
            assert_eq!(code, 0, "{} cold_start failed:\n{stderr}", p.name);
            let r = parse_result(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}"));
            assert_eq!(r.info["model_created_first"], json!(created), "{}", p.name);
            let m = |k: &str| r.metrics[k].samples[0];
            let (total, load, predict) = (
                m("spawn_to_prediction"),
                m("cold_load_time"),
                m("cold_predict_time"),
            );
            eprintln!(
                "{}: cold start {total:.3} s (load {load:.4} s, predict {predict:.4} s)",
                p.name
            );
            assert!(
                total > load + predict && load > 0.0 && predict > 0.0,
                "{total} {load} {predict}"
            );
            assert!(total < 60.0, "{total}");
            for k in ["spawn_to_prediction", "cold_load_time", "cold_predict_time"] {
                assert_eq!(r.metrics[k].unit, Unit::Seconds);
                assert_eq!(r.metrics[k].warmup, 0);
            }
            regions.push(
                ["spawn_to_prediction", "cold_load_time", "cold_predict_time"]
                    .map(|k| r.metrics[k].region.clone().expect("a region")),
            );
        }
        // Without the spawn clock there is nothing to measure from: a clear failure.
        let (code, stdout, stderr) = run_cold(p, cache.path(), &cold, false);
        assert_eq!(code, 1, "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(stderr.contains("BENCHBOOK_SPAWN_MONOTONIC_NS"), "{stderr}");
    }
    assert!(regions.windows(2).all(|w| w[0] == w[1]), "{regions:?}");
}
