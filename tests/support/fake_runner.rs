//! A fake runner for the orchestrator's tests (see tests/bench*.rs). It speaks the real
//! protocol; what it does is chosen by the spec's workload:
//!
//! - `mode`: `ok` (default), `crash` (stderr, exit 3), `hang`, `garbage` (invalid JSON),
//!   `trailing` (a valid result then junk), `empty` (exit 0, no stdout),
//!   `nonzero_after_result` (a valid result, exit 2), `spawn_grandchild_and_hang`,
//!   `slow` (sleep `sleep_ms`, then ok);
//! - `metrics`: `{name: {unit, samples: [...]}}` reported verbatim, or
//!   `{name: {unit, mean, spread, n}}` drawn deterministically from `seed` (and the name);
//!   without it, one metric `step_time` (5 samples around 1 ms). Every runner of a benchmark
//!   gets the same workload, so `mean` and `region` may also be a mapping from runner name to
//!   value (`mean: {fast: 0.001, slow: 0.002}`). Optional per metric: `warmup` (the leading
//!   samples marked as one-off costs) and `region` (what the timer covers), passed through;
//!   `process_spread` (a fraction): each process scales its drawn samples by its own factor
//!   within ±that, from its pid, so that processes differ as real ones do;
//! - `seed`: for the drawn samples (default 0);
//! - `frameworks`: `{runner: name}`, the framework each runner reports (default `fake`), which
//!   pages show as the runner's label.
//!
//! When `BENCHBOOK_FAKE_LOG` names a file, every start appends a line
//! `start <benchmark> <runner> <params as JSON> <pid>` to it, and a spawned grandchild
//! `grandchild <pid>`, so tests can count processes and find the grandchild.

use benchbook_protocol::{Metric, RunResult, RunnerInfo, Spec, Unit};
use serde_json::Value;
use std::io::{Read, Write};
use std::time::Duration;

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--sleep-forever") {
        hang();
    }
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        fail(&format!("cannot read stdin: {e}"));
    }
    let spec = match benchbook_protocol::parse_spec(&text) {
        Ok(s) => s,
        Err(e) => fail(&e),
    };
    log(&format!(
        "start {} {} {} {}",
        spec.benchmark,
        spec.runner,
        serde_json::to_string(&spec.params).unwrap_or_default(),
        std::process::id()
    ));
    let mode = spec
        .workload
        .get("mode")
        .and_then(Value::as_str)
        .unwrap_or("ok")
        .to_string();
    eprintln!(
        "fake runner: {} on {} in mode {mode}",
        spec.runner, spec.benchmark
    );
    match mode.as_str() {
        "ok" => emit_and_exit(&spec, 0),
        "slow" => {
            let ms = spec
                .workload
                .get("sleep_ms")
                .and_then(Value::as_u64)
                .unwrap_or(100);
            std::thread::sleep(Duration::from_millis(ms));
            emit_and_exit(&spec, 0)
        }
        "crash" => {
            eprintln!("fake runner: something went badly wrong");
            eprintln!("fake runner: crashing as asked");
            std::process::exit(3)
        }
        "hang" => hang(),
        "garbage" => {
            print!("this is {{ not json");
            std::process::exit(0)
        }
        "trailing" => {
            let mut text = serde_json::to_string(&result(&spec)).unwrap_or_default();
            text.push_str("\nand some junk\n");
            print!("{text}");
            std::process::exit(0)
        }
        "empty" => std::process::exit(0),
        "nonzero_after_result" => emit_and_exit(&spec, 2),
        "spawn_grandchild_and_hang" => {
            let me = std::env::current_exe().unwrap_or_else(|e| fail(&e.to_string()));
            match std::process::Command::new(me)
                .arg("--sleep-forever")
                .spawn()
            {
                Ok(child) => log(&format!("grandchild {}", child.id())),
                Err(e) => fail(&format!("cannot spawn: {e}")),
            }
            hang()
        }
        other => fail(&format!("unknown mode `{other}`")),
    }
}

fn hang() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("fake runner: error: {message}");
    std::process::exit(1)
}

fn log(line: &str) {
    if let Some(path) = std::env::var_os("BENCHBOOK_FAKE_LOG") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| fail(&format!("cannot open the log: {e}")));
        let _ = writeln!(f, "{line}");
    }
}

fn emit_and_exit(spec: &Spec, code: i32) -> ! {
    if let Err(e) = benchbook_protocol::emit(&result(spec)) {
        fail(&e);
    }
    std::process::exit(code)
}

/// splitmix64: a tiny deterministic generator.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn result(spec: &Spec) -> RunResult {
    let framework = spec
        .workload
        .get("frameworks")
        .and_then(|f| f.get(&spec.runner))
        .and_then(Value::as_str)
        .unwrap_or("fake");
    let mut r = RunResult::new(RunnerInfo {
        name: spec.runner.clone(),
        framework: framework.into(),
        version: "1".into(),
        library_paths: vec![],
        threads: None,
        cpu_features: vec![],
    });
    let seed = spec
        .workload
        .get("seed")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let default =
        serde_json::json!({"step_time": {"unit": "s", "mean": 0.001, "spread": 0.1, "n": 5}});
    let metrics = spec.workload.get("metrics").unwrap_or(&default);
    let Some(metrics) = metrics.as_object() else {
        fail("`metrics` must be a mapping");
    };
    // A field of a metric, either one value for every runner or a mapping by runner name.
    let per_runner = |m: &Value, key: &str| -> Option<Value> {
        match m.get(key)? {
            Value::Object(by) => by.get(&spec.runner).cloned(),
            v => Some(v.clone()),
        }
    };
    for (name, m) in metrics {
        let unit: Unit = serde_json::from_value(m.get("unit").cloned().unwrap_or("s".into()))
            .unwrap_or_else(|e| fail(&format!("metric {name}: {e}")));
        let samples: Vec<f64> = if let Some(s) = m.get("samples") {
            serde_json::from_value(s.clone())
                .unwrap_or_else(|e| fail(&format!("metric {name}: {e}")))
        } else {
            let mean = per_runner(m, "mean")
                .and_then(|v| v.as_f64())
                .unwrap_or(1.0);
            let spread = m.get("spread").and_then(Value::as_f64).unwrap_or(0.0);
            let n = m.get("n").and_then(Value::as_u64).unwrap_or(1);
            let process = m
                .get("process_spread")
                .and_then(Value::as_f64)
                .map_or(1.0, |s| {
                    let u = (mix(u64::from(std::process::id())) >> 11) as f64 / (1u64 << 53) as f64;
                    1.0 + s * (2.0 * u - 1.0)
                });
            let base = name.bytes().fold(seed, |h, b| mix(h ^ u64::from(b)));
            (0..n)
                .map(|i| {
                    let u = (mix(base.wrapping_add(i)) >> 11) as f64 / (1u64 << 53) as f64;
                    process * mean * (1.0 + spread * (2.0 * u - 1.0))
                })
                .collect()
        };
        let mut metric = Metric::new(unit, samples);
        if let Some(w) = m.get("warmup").and_then(Value::as_u64) {
            metric = metric.with_warmup(w as usize);
        }
        if let Some(region) = per_runner(m, "region") {
            match region.as_str() {
                Some(text) => metric = metric.with_region(text),
                None => fail(&format!("metric {name}: `region` must be text")),
            }
        }
        r.metrics.insert(name.clone(), metric);
    }
    r.info.insert("workload".into(), spec.workload.clone());
    r
}
