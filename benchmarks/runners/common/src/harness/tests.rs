//! The harness around a fake framework written in plain Rust (a linear model trained by
//! nothing): every task's names, timers and error paths without libtorch or libtensorflow.

use super::*;
use crate::metrics;
use crate::protocol::{Spec, Threads};
use serde_json::json;

/// Predicts zeros; a "saved model" is a file with the class count.
struct Fake {
    inference_only: bool,
}

struct FakeModel {
    classes: usize,
    steps: usize,
}

struct FakeMatmul {
    n: usize,
    a: Vec<f32>,
    b: Vec<f32>,
}

impl Predict for FakeModel {
    fn predict(&mut self, x: &[f32], features: usize) -> Result<Vec<f32>, String> {
        Ok(vec![0.0; x.len() / features * self.classes])
    }
}

impl Trainer for FakeModel {
    fn step(&mut self, x: &[f32], y: &[u32], features: usize) -> Result<StepOutcome, String> {
        assert_eq!(x.len(), y.len() * features);
        self.steps += 1;
        Ok(StepOutcome {
            loss: 1.0 / self.steps as f64,
            predicted: vec![0; y.len()],
        })
    }

    fn evaluate(&mut self, split: &Split, _: usize, p: bool) -> Result<Evaluation, String> {
        Ok(Evaluation {
            loss: 0.5,
            predicted: vec![0; split.n],
            probabilities: if p {
                vec![0.5; split.n * self.classes]
            } else {
                Vec::new()
            },
        })
    }

    fn save(&mut self, dir: &Path, _: &[f32]) -> Result<(), String> {
        assert!(!dir.exists());
        std::fs::create_dir(dir).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("model.txt"), self.classes.to_string()).map_err(|e| e.to_string())
    }
}

impl Matmul for FakeMatmul {
    type Product = Vec<f32>;
    fn multiply(&mut self) -> Result<Vec<f32>, String> {
        let n = self.n;
        let mut c = vec![0.0; n * n];
        for i in 0..n {
            for k in 0..n {
                for j in 0..n {
                    c[i * n + j] += self.a[i * n + k] * self.b[k * n + j];
                }
            }
        }
        Ok(c)
    }
    fn values(&self, p: &Vec<f32>) -> Result<Vec<f32>, String> {
        Ok(p.clone())
    }
}

impl Runner for Fake {
    const NAME: &'static str = "fake";
    const MODEL_FORMAT: &'static str = "a text file";
    const SAVED_MODEL_FILE: &'static str = "model.txt";
    const RELOAD_TOLERANCE: (f32, f32) = (0.0, 0.0);
    type Trainer = FakeModel;
    type Loaded = FakeModel;
    type Matmul = FakeMatmul;

    fn setup(&mut self, _: &Spec, _: &Workload) -> Result<(), String> {
        Ok(())
    }
    fn trainer(&mut self, setup: &ModelSetup) -> Result<FakeModel, String> {
        Ok(FakeModel {
            classes: setup.classes,
            steps: 0,
        })
    }
    fn model_path(dir: &Path) -> PathBuf {
        dir.join("model.txt")
    }
    fn load(&mut self, path: &Path, _: u32) -> Result<FakeModel, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        Ok(FakeModel {
            classes: text.parse().map_err(|_| "bad model")?,
            steps: 0,
        })
    }
    fn inference_only(&mut self) {
        self.inference_only = true;
    }
    fn matmul(&mut self, n: usize, a: &[f32], b: &[f32], _: u32) -> Result<FakeMatmul, String> {
        Ok(FakeMatmul {
            n,
            a: a.to_vec(),
            b: b.to_vec(),
        })
    }
    fn probe(&mut self, name: &str, _: u32) -> Result<ProbeEnd, String> {
        match name {
            "shape_mismatch" => Ok(ProbeEnd::Raised(Stage::Build, "shapes differ\n".into())),
            "no_gradient" => panic!("no gradient here"),
            _ => Ok(ProbeEnd::Ran("nothing happened".into())),
        }
    }
    fn describe(&mut self, w: &Workload, _: &mut Info) -> Result<RunnerInfo, String> {
        Ok(RunnerInfo {
            name: "ignored".into(),
            framework: "Fake".into(),
            version: "0".into(),
            library_paths: Vec::new(),
            threads: Some(Threads {
                intra_op: w.threads(),
                inter_op: 1,
            }),
            cpu_features: Vec::new(),
        })
    }
}

fn spec(workload: serde_json::Value) -> Spec {
    Spec {
        protocol: 1,
        benchmark: "b".into(),
        runner: "fake".into(),
        params: Default::default(),
        workload,
    }
}

fn train() -> serde_json::Value {
    json!({"task": "train", "dataset": {"name": "synthetic", "n": 64}, "model": {"kind": "logreg"},
        "optimizer": {"kind": "sgd", "lr": 0.1, "momentum": 0.0}, "batch_size": 16, "epochs": 2,
        "threads": 1, "max_steps_per_epoch": 3, "latency_samples": 2, "throughput_batch": 8,
        "throughput_reps": 1})
}

#[test]
fn train_reports_every_metric_from_the_table() {
    let mut fake = Fake {
        inference_only: false,
    };
    let r = run(&mut fake, &spec(train())).unwrap();
    assert!(fake.inference_only);
    assert_eq!(r.runner.name, "fake");
    for def in metrics::TRAIN {
        let m = &r.metrics[def.name];
        assert_eq!(
            (m.unit, m.region.as_deref(), m.warmup),
            (def.unit, def.region, def.warmup),
            "{}",
            def.name
        );
    }
    assert_eq!(r.metrics["step_time"].samples.len(), 6);
    assert_eq!(
        r.metrics["first_step_time"].samples,
        r.metrics["step_time"].samples[..1]
    );
    assert_eq!(
        r.metrics["latency_b1"].samples.len(),
        crate::warmup::LATENCY + 2
    );
    assert_eq!(r.metrics["model_load_time"].samples.len(), crate::RELOADS);
    assert_eq!(r.metrics["model_size"].samples, [2.0]);
    assert_eq!(r.metrics["library_size"].samples, [0.0]);
    // Epoch 1: losses 1, 1/2, 1/3.
    assert_eq!(r.series["train_loss"].y[0], (1.0 + 0.5 + 1.0 / 3.0) / 3.0);
    assert_eq!(r.series["val_loss"].y, [0.5, 0.5]);
    assert_eq!(r.info["model_format"], json!("a text file"));
    assert!(r.scores.is_empty());
}

#[test]
fn train_spec_errors_come_before_any_work() {
    let mut fake = Fake {
        inference_only: false,
    };
    for (key, value, needle) in [
        ("batch_size", json!(0), "batch_size"),
        ("max_steps_per_epoch", json!(0), "max_steps_per_epoch"),
        ("threads", json!(0), "threads"),
        ("tf_onednn", json!(true), "TensorFlow runner only"),
    ] {
        let mut w = train();
        w[key] = value;
        let e = run(&mut fake, &spec(w)).unwrap_err();
        assert!(e.contains(needle), "{e}");
        assert!(!fake.inference_only);
    }
}

#[test]
fn matmul_checks_the_product_and_names_each_size() {
    let mut fake = Fake {
        inference_only: false,
    };
    let r = run(
        &mut fake,
        &spec(json!({"task": "matmul", "sizes": [4, 8], "threads": 1, "reps": 2})),
    )
    .unwrap();
    assert_eq!(r.metrics["matmul_4"].samples.len(), 2);
    assert_eq!(
        r.metrics["matmul_8"].unit,
        crate::protocol::Unit::FlopsPerSecond
    );
}

#[test]
fn probes_turn_panics_and_messages_into_records() {
    let mut fake = Fake {
        inference_only: false,
    };
    let r = run(&mut fake, &spec(json!({"task": "probes", "threads": 1}))).unwrap();
    let p = &r.probes;
    assert_eq!(p.len(), crate::PROBES.len());
    assert_eq!(
        (p[0].stage, p[0].message.as_deref()),
        (Stage::Build, Some("shapes differ"))
    );
    assert_eq!(p[1].observed.as_deref(), Some("nothing happened"));
    assert_eq!(
        (p[2].stage, p[2].message.as_deref()),
        (Stage::Run, Some("panic: no gradient here"))
    );
}
