//! The canonical inputs of a `train` task as files, for runners that do not link this crate
//! (the Python runners): the split, the batch order of every epoch and the initial weights,
//! computed by the same functions the Rust runners call in-process, written once per distinct
//! input under `<cache>/canonical/<key>/` and read by every runner in any language. So there
//! is one source of the inputs, not one per language.
//!
//! The directory holds `manifest.json` ([`Manifest`]) and raw arrays, little-endian and
//! row-major: `*.f32` (f32), `*.u32` (u32), `*.u8` (u8). Batch `k` (`k < steps_per_epoch`) of
//! epoch `e` is rows `order[e][k*B .. min((k+1)*B, n)]` of `train`.
//!
//! The [`digests`] are what every runner reports in `info.inputs`, computed from the inputs as
//! its framework holds them; the conformance tests compare them across runners.

use crate::{
    forward_flops, initial_params, layers, load_dataset, parameter_count, DatasetSpec, InitParams,
    Layer, Split, TrainSpec,
};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The format of the directory; bumped when a file or field changes meaning.
pub const FORMAT: u32 = 1;

/// One raw array file and its shape.
#[derive(Debug, Clone, Serialize)]
pub struct Array {
    pub file: String,
    pub shape: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Param {
    pub weight: Array,
    pub bias: Array,
}

#[derive(Debug, Clone, Serialize)]
pub struct SplitFiles {
    pub x: Array,
    pub y: Array,
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub format: u32,
    pub shape: [usize; 3],
    pub features: usize,
    pub classes: Vec<String>,
    pub source: String,
    pub layers: Vec<serde_json::Value>,
    pub params: Vec<Param>,
    pub train: SplitFiles,
    pub val: SplitFiles,
    pub test: SplitFiles,
    pub test_leaked: Array,
    pub epochs: usize,
    pub batch_size: usize,
    pub steps_per_epoch: usize,
    pub order: Array,
    pub forward_flops: f64,
    pub parameters: usize,
    pub digests: Digests,
}

/// sha256 (hex) of the initial weights and of the batch order; see [`digests`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digests {
    pub initial_weights: String,
    pub batch_order: String,
}

/// The digests every runner reports in `info.inputs` (as `initial_weights_sha256` and
/// `batch_order_sha256`):
/// - initial weights: sha256 over each parameterised layer in order, its weight's f32 LE
///   bytes in canonical layout, then its bias's;
/// - batch order: sha256 over each epoch's batches in training order, each as its length (u32
///   LE) then its row indices (u32 LE).
pub mod digests {
    use super::*;

    pub fn initial_weights(params: &[InitParams]) -> String {
        let mut h = Sha256::new();
        for p in params {
            for v in p.weight.iter().chain(&p.bias) {
                h.update(v.to_le_bytes());
            }
        }
        hex(h.finalize().as_slice())
    }

    /// Feeds batches one at a time, as a training loop meets them.
    #[derive(Default)]
    pub struct BatchOrder(Sha256);

    impl BatchOrder {
        pub fn add(&mut self, rows: &[usize]) {
            self.0.update((rows.len() as u32).to_le_bytes());
            for &r in rows {
                self.0.update((r as u32).to_le_bytes());
            }
        }
        pub fn finish(self) -> String {
            hex(self.0.finalize().as_slice())
        }
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The batches of epoch `epoch` as the harness trains them (the spec's step cap applied).
pub fn epoch_batches(spec: &TrainSpec, n: usize, epoch: usize) -> Vec<Vec<usize>> {
    let mut batches = crate::epoch_batches(n, spec.batch_size, spec.seed, epoch);
    if let Some(max) = spec.max_steps_per_epoch {
        batches.truncate(max);
    }
    batches
}

/// The inputs a spec's training depends on, and nothing else: two specs with the same key
/// train on the same bytes.
fn key(spec: &TrainSpec) -> String {
    let inputs = json!({
        "format": FORMAT,
        "dataset": format!("{:?}", spec.dataset),
        "digits": matches!(spec.dataset, DatasetSpec::Digits { .. })
            .then(|| crate::digits_path().to_string_lossy().into_owned()),
        "model": format!("{:?}", spec.model),
        "batch_size": spec.batch_size,
        "epochs": spec.epochs,
        "seed": spec.seed,
        "max_steps_per_epoch": spec.max_steps_per_epoch,
    });
    let mut h = Sha256::new();
    h.update(inputs.to_string().as_bytes());
    h.finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Write the canonical inputs of `spec` under `cache/canonical/` (once: an existing complete
/// directory is reused) and return the directory.
pub fn write(spec: &TrainSpec, cache: &Path) -> Result<PathBuf, String> {
    if spec.batch_size == 0 || spec.epochs == 0 {
        return Err("batch_size and epochs must be at least 1".into());
    }
    if spec.max_steps_per_epoch == Some(0) {
        return Err("max_steps_per_epoch must be at least 1".into());
    }
    let parent = cache.join("canonical");
    let dir = parent.join(key(spec));
    if dir.join("manifest.json").is_file() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let tmp = parent.join(format!(".tmp-{}-{}", std::process::id(), key(spec)));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let written = fill(spec, &tmp);
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    // Another process may have written the same inputs meanwhile: theirs are the same bytes.
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
        if !dir.join("manifest.json").is_file() {
            return Err(format!("cannot create {}", dir.display()));
        }
    }
    Ok(dir)
}

fn fill(spec: &TrainSpec, dir: &Path) -> Result<(), String> {
    let data = load_dataset(&spec.dataset, spec.seed)?;
    let features = data.features();
    let [h, w, c] = data.shape;
    let layers = layers(&spec.model, data.shape, data.classes.len());
    let init = initial_params(&layers, spec.seed);

    let put = |name: &str, bytes: Vec<u8>, shape: Vec<usize>| -> Result<Array, String> {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Array {
            file: name.into(),
            shape,
        })
    };
    let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let u32s = |v: &mut dyn Iterator<Item = u32>| v.flat_map(u32::to_le_bytes).collect::<Vec<u8>>();
    let split = |name: &str, s: &Split| -> Result<SplitFiles, String> {
        Ok(SplitFiles {
            x: put(&format!("{name}_x.f32"), f32s(&s.x), vec![s.n, h, w, c])?,
            y: put(
                &format!("{name}_y.u32"),
                u32s(&mut s.y.iter().copied()),
                vec![s.n],
            )?,
        })
    };
    debug_assert_eq!(features, h * w * c);

    let mut params = Vec::new();
    for (k, p) in init.iter().enumerate() {
        params.push(Param {
            weight: put(
                &format!("param{k}_weight.f32"),
                f32s(&p.weight),
                p.weight_shape.clone(),
            )?,
            bias: put(
                &format!("param{k}_bias.f32"),
                f32s(&p.bias),
                vec![p.bias.len()],
            )?,
        });
    }
    let n = data.train.n;
    let mut order = Vec::with_capacity(spec.epochs * n);
    let mut batch_order = digests::BatchOrder::default();
    let mut steps = 0;
    for epoch in 0..spec.epochs {
        let batches = epoch_batches(spec, n, epoch);
        steps = batches.len();
        for b in &batches {
            batch_order.add(b);
        }
        // The whole permutation: the step cap only shortens how much of it is trained.
        order.extend(crate::epoch_batches(n, spec.batch_size, spec.seed, epoch).concat());
    }
    let manifest = Manifest {
        format: FORMAT,
        shape: data.shape,
        features,
        classes: data.classes.clone(),
        source: data.source.clone(),
        layers: layers.iter().map(layer_json).collect(),
        train: split("train", &data.train)?,
        val: split("val", &data.val)?,
        test: split("test", &data.test)?,
        test_leaked: put(
            "test_leaked.u8",
            data.test_leaked.iter().map(|&l| u8::from(l)).collect(),
            vec![data.test_leaked.len()],
        )?,
        epochs: spec.epochs,
        batch_size: spec.batch_size,
        steps_per_epoch: steps,
        order: put(
            "order.u32",
            u32s(&mut order.iter().map(|&r| r as u32)),
            vec![spec.epochs, n],
        )?,
        forward_flops: forward_flops(&layers, data.shape),
        parameters: parameter_count(&layers),
        digests: Digests {
            initial_weights: digests::initial_weights(&init),
            batch_order: batch_order.finish(),
        },
        params,
    };
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    let path = dir.join("manifest.json");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn layer_json(layer: &Layer) -> serde_json::Value {
    match *layer {
        Layer::Flatten => json!({"kind": "flatten"}),
        Layer::MaxPool2 => json!({"kind": "maxpool2"}),
        Layer::Dense {
            inputs,
            outputs,
            relu,
        } => json!({"kind": "dense", "inputs": inputs, "outputs": outputs, "relu": relu}),
        Layer::Conv3x3 { inputs, outputs } => {
            json!({"kind": "conv3x3", "inputs": inputs, "outputs": outputs})
        }
    }
}

/// Every metric definition of [`crate::metrics`], for runners in other languages.
pub fn metrics_json() -> serde_json::Value {
    let matmul = crate::metrics::matmul(0).1;
    let all = crate::metrics::TRAIN
        .iter()
        .chain(crate::metrics::COLD_START)
        .chain(crate::metrics::OTHERS)
        .chain([&matmul])
        .map(|m| {
            json!({
                "name": m.name,
                "unit": m.unit,
                "region": m.region,
                "warmup": m.warmup,
            })
        });
    serde_json::Value::Array(all.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(model: &str) -> TrainSpec {
        serde_json::from_value(json!({
            "dataset": {"name": "synthetic", "n": 50},
            "model": if model == "cnn" { json!({"kind": "cnn"}) } else { json!({"kind": "mlp", "hidden": [8]}) },
            "optimizer": {"kind": "sgd", "lr": 0.1, "momentum": 0.0},
            "batch_size": 16, "epochs": 2, "threads": 1, "max_steps_per_epoch": 3,
        }))
        .unwrap()
    }

    fn read_f32(path: &Path) -> Vec<f32> {
        std::fs::read(path)
            .unwrap()
            .chunks(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect()
    }

    #[test]
    fn the_files_hold_what_the_rust_runners_compute() {
        let cache = tempdir();
        let spec = tiny("cnn");
        let dir = write(&spec, &cache).unwrap();
        assert_eq!(
            write(&spec, &cache).unwrap(),
            dir,
            "written once, then reused"
        );
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        let data = load_dataset(&spec.dataset, spec.seed).unwrap();
        assert_eq!(read_f32(&dir.join("train_x.f32")), data.train.x);
        let layers = layers(&spec.model, data.shape, 10);
        let init = initial_params(&layers, spec.seed);
        for (k, p) in init.iter().enumerate() {
            assert_eq!(
                read_f32(&dir.join(format!("param{k}_weight.f32"))),
                p.weight
            );
            assert_eq!(m["params"][k]["weight"]["shape"], json!(p.weight_shape));
        }
        assert_eq!(m["steps_per_epoch"], 3);
        assert_eq!(m["order"]["shape"], json!([2, 50]));
        // The order file read the documented way gives the harness's batches and digest.
        let order: Vec<u32> = std::fs::read(dir.join("order.u32"))
            .unwrap()
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        let mut digest = digests::BatchOrder::default();
        for e in 0..2 {
            let batches = epoch_batches(&spec, 50, e);
            for (k, b) in batches.iter().enumerate() {
                let from = e * 50 + k * 16;
                let to = e * 50 + ((k + 1) * 16).min(50);
                let rows: Vec<usize> = order[from..to].iter().map(|&r| r as usize).collect();
                assert_eq!(&rows, b);
                digest.add(&rows);
            }
        }
        assert_eq!(m["digests"]["batch_order"], digest.finish());
        assert_eq!(
            m["digests"]["initial_weights"],
            digests::initial_weights(&init)
        );
    }

    #[test]
    fn different_inputs_different_directories() {
        let cache = tempdir();
        let a = write(&tiny("cnn"), &cache).unwrap();
        let b = write(&tiny("mlp"), &cache).unwrap();
        assert_ne!(a, b);
        let mut other = tiny("mlp");
        other.threads = 2;
        assert_eq!(
            write(&other, &cache).unwrap(),
            b,
            "threads are not an input"
        );
        other.seed = 1;
        assert_ne!(write(&other, &cache).unwrap(), b);
    }

    #[test]
    fn every_metric_is_listed() {
        let all = metrics_json();
        let names: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        for def in crate::metrics::TRAIN {
            assert!(names.contains(&def.name), "{}", def.name);
        }
        assert!(names.contains(&"library_size"));
    }

    fn tempdir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "canonical-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        d
    }
}
