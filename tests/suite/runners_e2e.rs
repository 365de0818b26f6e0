//! End to end on the real machine: `ensure_runner` provisions the frameworks into the cache
//! (`$BENCHBOOK_CACHE` or `~/.cache/benchbook`; on a fresh CI machine this downloads about
//! 830 MB and builds both runners, which is intended), then each runner binary, started
//! exactly as the bench stage starts it (program, args, env), passes every check of the
//! runners' conformance crate (`benchmarks/runners/conformance`: tiny specs of every task,
//! bad specs, a cold start and the real `mlp_digits` configuration).

use benchbook::setup::{
    ensure_runner, installed, runner_fingerprint, RunnerProgram, BUILTIN_RUNNERS,
};
use benchbook_runner_conformance::Subject;
use serde_json::{json, Value};
use std::path::Path;

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
    let needs = if p.args.is_empty() {
        "LD_LIBRARY_PATH"
    } else {
        "BENCHBOOK_CANONICAL"
    };
    assert!(p.env.iter().any(|(k, _)| k == needs), "{:?}", p.env);
    assert!(
        p.env.iter().any(|(k, _)| k == "BENCHBOOK_DIGITS"),
        "{:?}",
        p.env
    );
    // A second call finds everything in place and returns the same program.
    assert_eq!(ensure_runner(root(), name, true).unwrap(), p);
    p
}

/// The runner as the bench stage starts it, under conformance test: it must report the
/// version its pins promise and a library from the frameworks provisioned into the cache.
fn subject(p: &RunnerProgram) -> Subject {
    // The Rust runners load libraries from <cache>/frameworks, the Python ones from their venv
    // under <cache>/envs.
    let folder = if p.args.is_empty() {
        "frameworks"
    } else {
        "envs"
    };
    let frameworks = installed(root())
        .unwrap()
        .into_iter()
        .find_map(|i| {
            let dir = i.path.parent()?;
            (dir.file_name()? == folder).then(|| dir.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| panic!("an install under <cache>/{folder}"));
    let mut s = Subject::new(&p.name, &p.program).library(&frameworks);
    if !p.args.is_empty() {
        // The Python runners run the `train` task only.
        s = s.tasks(&["train"]);
    }
    if p.name == "keras_fit" {
        s = s.own_regions(&KERAS_FIT_OWN_REGIONS);
    }
    s.args = p.args.clone();
    s.env = p.env.clone();
    if let Some(v) = p.versions.values().next() {
        s = s.version(v);
    }
    s
}

/// What Keras `fit` times from its callback instead of the harness's step region.
const KERAS_FIT_OWN_REGIONS: [&str; 4] = [
    "step_time",
    "first_step_time",
    "train_throughput",
    "train_gflops",
];

fn adam() -> Value {
    json!({"kind": "adam", "lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7})
}

fn end_to_end(name: &str) {
    benchbook_runner_conformance::run_all(&subject(&ensure(name)));
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

/// Every Python runner passes the conformance checks of the `train` task (tiny specs of every
/// model, bad specs, the canonical inputs, the real `mlp_digits` configuration at ≥ 0.9).
#[test]
fn python_torch_eager_end_to_end() {
    end_to_end("torch_eager");
}

#[test]
fn python_torch_compile_end_to_end() {
    end_to_end("torch_compile");
}

#[test]
fn python_tf_eager_end_to_end() {
    end_to_end("tf_eager");
}

#[test]
fn python_tf_function_end_to_end() {
    end_to_end("tf_function");
}

#[test]
fn python_tf_xla_end_to_end() {
    end_to_end("tf_xla");
}

#[test]
fn python_keras_fit_end_to_end() {
    end_to_end("keras_fit");
}

/// The Python runners time the regions the Rust harness times (same region text, same warm-up
/// samples, same sample counts), except Keras `fit`, whose steps are timed from a callback:
/// its step metrics say so in their own region text.
#[test]
fn python_runners_time_the_regions_of_the_harness() {
    let workload = json!({"task": "train", "dataset": {"name": "digits"}, "model": {"kind": "mlp", "hidden": [16]},
        "optimizer": adam(), "batch_size": 32, "epochs": 1, "threads": 1, "max_steps_per_epoch": 4,
        "latency_samples": 3, "throughput_batch": 64, "throughput_reps": 2});
    let reference = subject(&ensure("torch")).run(workload.clone());
    for name in ["torch_eager", "tf_function", "keras_fit"] {
        let r = subject(&ensure(name)).run(workload.clone());
        for (metric, m) in &reference.metrics {
            if metric == "library_size" {
                continue;
            }
            let n = r
                .metrics
                .get(metric)
                .unwrap_or_else(|| panic!("{name}: no {metric}"));
            if name == "keras_fit" && KERAS_FIT_OWN_REGIONS.contains(&metric.as_str()) {
                assert_ne!(
                    m.region, n.region,
                    "{name}: {metric} says it is timed differently"
                );
            } else {
                assert_eq!(m.region, n.region, "{name}: region of {metric}");
            }
            assert_eq!(m.warmup, n.warmup, "{name}: warm-up samples of {metric}");
            assert_eq!(
                m.samples.len(),
                n.samples.len(),
                "{name}: samples of {metric}"
            );
        }
    }
}

/// Both runners time the same work: every metric they share carries the same region string
/// and the same number of warm-up samples; the one-off first step is apart from the steady
/// state (each runner's cold start is checked by the conformance checks).
#[test]
fn runners_time_the_same_regions() {
    let (torch, tf) = (subject(&ensure("torch")), subject(&ensure("tensorflow")));
    let workload = json!({"task": "train", "dataset": {"name": "digits"}, "model": {"kind": "cnn"},
        "optimizer": adam(), "batch_size": 32, "epochs": 1, "threads": 1, "max_steps_per_epoch": 4,
        "latency_samples": 3, "throughput_batch": 64, "throughput_reps": 2});
    let a = torch.run(workload.clone());
    let b = tf.run(workload);
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
}
