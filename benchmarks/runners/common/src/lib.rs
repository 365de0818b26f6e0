//! What every framework runner shares, so that they do exactly the same work:
//! the workload description, the data (digits, one-vs-rest, synthetic), the stratified
//! split, the per-epoch batch order, and the initial weights (Glorot uniform, zero biases),
//! all computed here from one seed, identically for every runner; the names, units, timed
//! regions and warm-up samples of every metric ([`metrics`]); and the [`harness`] that runs
//! every task around a runner's framework code (a runner implements [`harness::Runner`]).
//!
//! Canonical layouts (a runner converts to its framework's layout):
//! - images are NHWC, `[n, h, w, c]`, row-major, f32 in 0..=1;
//! - a dense layer's weight is `[in, out]` (TensorFlow's `x · W`; torch's Linear wants `[out, in]`);
//! - a conv kernel is HWIO `[kh, kw, in, out]` (torch wants OIHW);
//! - the CNN flattens in (h, w, c) order, so torch must permute NCHW → NHWC before flattening.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use benchbook_protocol as protocol;

pub mod canonical;
pub mod harness;
pub mod metrics;

// ---------------------------------------------------------------------------------------
// Workloads

/// The `workload` of a spec, chosen by its `task` key.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case", deny_unknown_fields)]
pub enum Workload {
    /// Train a model, evaluate it, time inference, save and reload it.
    Train(TrainSpec),
    /// float32 matrix multiply microbenchmark (this machine's roofline).
    Matmul(MatmulSpec),
    /// Deliberately wrong programs, to record each framework's errors.
    Probes(ProbeSpec),
    /// A fresh process loads a saved model and predicts once (see [`cold`]).
    ColdStart(ColdStartSpec),
}

impl Workload {
    pub fn from_spec(spec: &protocol::Spec) -> Result<Workload, String> {
        serde_json::from_value(spec.workload.clone()).map_err(|e| format!("invalid workload: {e}"))
    }

    /// Intra-op threads the workload asks for.
    pub fn threads(&self) -> u32 {
        match self {
            Workload::Train(t) => t.threads,
            Workload::Matmul(m) => m.threads,
            Workload::Probes(p) => p.threads,
            Workload::ColdStart(c) => c.threads,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    pub dataset: DatasetSpec,
    pub model: ModelSpec,
    pub optimizer: OptimizerSpec,
    pub batch_size: usize,
    pub epochs: usize,
    /// Intra-op threads; inter-op is always 1.
    pub threads: u32,
    #[serde(default)]
    pub seed: u64,
    /// Stop each epoch after this many steps (tiny test configurations).
    #[serde(default)]
    pub max_steps_per_epoch: Option<usize>,
    /// Single-example inference calls to time (latency samples). 0 skips.
    #[serde(default = "default_latency_samples")]
    pub latency_samples: usize,
    /// Batch size of the inference throughput measurement. 0 skips.
    #[serde(default = "default_throughput_batch")]
    pub throughput_batch: usize,
    /// Timed repetitions of the large-batch inference.
    #[serde(default = "default_throughput_reps")]
    pub throughput_reps: usize,
    /// Save the trained model, report its size and time reloading it.
    #[serde(default = "yes")]
    pub save_model: bool,
    /// TensorFlow only (other runners refuse it): run every `Session::run` in the calling
    /// thread (`inter_op_parallelism_threads = -1`) instead of handing it to the one-thread
    /// inter-op pool. Default: the pool.
    #[serde(default)]
    pub tf_run_in_caller_thread: Option<bool>,
    /// TensorFlow only (other runners refuse it): oneDNN custom ops on or off
    /// (`TF_ENABLE_ONEDNN_OPTS`, set before TensorFlow initialises). Default: TensorFlow's own
    /// default (on for x86), or the environment's.
    #[serde(default)]
    pub tf_onednn: Option<bool>,
}

impl TrainSpec {
    /// An error when the spec sets a TensorFlow-only key (for the other runners).
    pub fn refuse_tensorflow_keys(&self) -> Result<(), String> {
        if self.tf_run_in_caller_thread.is_some() || self.tf_onednn.is_some() {
            return Err(
                "tf_run_in_caller_thread and tf_onednn configure the TensorFlow runner only".into(),
            );
        }
        Ok(())
    }
}

fn default_latency_samples() -> usize {
    200
}
fn default_throughput_batch() -> usize {
    1024
}
fn default_throughput_reps() -> usize {
    20
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum DatasetSpec {
    /// The UCI handwritten digits (1,797 8x8 images), stratified 80/20 split.
    Digits {
        /// Train "is it this digit?" instead of the 10 classes (about 10% positives).
        #[serde(default)]
        one_vs_rest: Option<u32>,
        /// Copy this fraction of the test rows into the training set (data leakage demo).
        #[serde(default)]
        leak_fraction: f64,
    },
    /// Random MNIST-shaped data: `n` examples of 28x28 (784 features), 10 classes.
    Synthetic { n: usize },
}

impl DatasetSpec {
    /// Image shape `[h, w, c]` and number of classes, without reading the data.
    pub fn shape_and_classes(&self) -> ([usize; 3], usize) {
        match self {
            DatasetSpec::Digits {
                one_vs_rest: Some(_),
                ..
            } => ([8, 8, 1], 2),
            DatasetSpec::Digits { .. } => ([8, 8, 1], 10),
            DatasetSpec::Synthetic { .. } => ([28, 28, 1], 10),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ModelSpec {
    /// One dense layer on the flattened input.
    Logreg,
    /// Dense + ReLU layers of the given widths, then a dense output layer.
    Mlp { hidden: Vec<usize> },
    /// conv3x3(16, same)+ReLU, conv3x3(32, same)+ReLU, maxpool 2, dense 64+ReLU, dense out.
    Cnn,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerSpec {
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
    },
    Sgd {
        lr: f64,
        momentum: f64,
    },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatmulSpec {
    /// Square sizes to multiply, e.g. [512, 1024, 2048].
    pub sizes: Vec<usize>,
    pub threads: u32,
    /// Timed multiplications per size (after one untimed).
    #[serde(default = "default_matmul_reps")]
    pub reps: usize,
}

fn default_matmul_reps() -> usize {
    10
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    pub threads: u32,
    /// Which probes to run; every one of [`PROBES`] when absent.
    #[serde(default)]
    pub probes: Option<Vec<String>>,
}

/// The `cold_start` task: in a fresh process, load a saved model (the format and code the
/// `train` task saves and reloads with) and predict once on one fixed input row.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColdStartSpec {
    /// Gives the input shape and the number of classes only; no data is read.
    pub dataset: DatasetSpec,
    /// The model: a model mapping as in `train`, or the name of one in `models` (so that a
    /// matrix can sweep over short names: `matrix: {model: [cnn, mlp]}`).
    pub model: ModelRef,
    #[serde(default)]
    pub models: BTreeMap<String, ModelSpec>,
    /// The saved model holds this seed's initial weights (load time does not depend on them).
    #[serde(default)]
    pub seed: u64,
    pub threads: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ModelRef {
    Spec(ModelSpec),
    Name(String),
}

impl ColdStartSpec {
    /// The model `model` names.
    pub fn model_spec(&self) -> Result<ModelSpec, String> {
        match &self.model {
            ModelRef::Spec(m) => Ok(m.clone()),
            ModelRef::Name(n) => self.models.get(n).cloned().ok_or_else(|| {
                format!(
                    "model `{n}` is not one of `models` ({})",
                    self.models.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            }),
        }
    }
}

/// The debugging probes every runner implements, with what each does.
pub const PROBES: &[(&str, &str)] = &[
    (
        "shape_mismatch",
        "multiply a [32, 64] batch by a [32, 10] weight (inner sizes differ)",
    ),
    ("dtype_mismatch", "add an int64 tensor to a float32 tensor"),
    (
        "no_gradient",
        "ask for the gradient of a loss built on an op without one (argmax)",
    ),
    (
        "nan_loss",
        "train the digits MLP with plain SGD at learning rate 1e6 for 50 steps",
    ),
];

// ---------------------------------------------------------------------------------------
// Random numbers: SplitMix64, simple and identical everywhere.

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_f64() * n as f64) as usize % n.max(1)
    }
    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Derive an independent stream for a purpose (split, epoch k, layer k...).
pub fn stream(seed: u64, purpose: &str, k: u64) -> Rng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in purpose.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    Rng::new(seed ^ h ^ k.wrapping_mul(0x2545_F491_4F6C_DD1D))
}

// ---------------------------------------------------------------------------------------
// Data

/// Examples as a row-major matrix: `x` is `[n, features]` (images NHWC flattened).
#[derive(Debug, Clone)]
pub struct Split {
    pub x: Vec<f32>,
    pub y: Vec<u32>,
    pub n: usize,
}

impl Split {
    fn gather(x: &[f32], y: &[u32], features: usize, rows: &[usize]) -> Split {
        let mut out = Vec::with_capacity(rows.len() * features);
        for &r in rows {
            out.extend_from_slice(&x[r * features..(r + 1) * features]);
        }
        Split {
            x: out,
            y: rows.iter().map(|&r| y[r]).collect(),
            n: rows.len(),
        }
    }
    /// Rows `rows` of this split as one batch.
    pub fn batch(&self, features: usize, rows: &[usize]) -> (Vec<f32>, Vec<u32>) {
        let b = Split::gather(&self.x, &self.y, features, rows);
        (b.x, b.y)
    }
    /// The inputs of rows `rows` as one contiguous buffer (what an inference call gathers).
    pub fn inputs(&self, features: usize, rows: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(rows.len() * features);
        for &r in rows {
            out.extend_from_slice(&self.x[r * features..(r + 1) * features]);
        }
        out
    }
}

/// Fraction of `predicted` labels equal to `truth` (counted on the host, after the timer).
pub fn accuracy(predicted: &[i64], truth: &[u32]) -> f64 {
    let right = predicted
        .iter()
        .zip(truth)
        .filter(|(p, t)| **p == **t as i64)
        .count();
    right as f64 / truth.len().max(1) as f64
}

#[derive(Debug, Clone)]
pub struct Dataset {
    /// Image shape `[h, w, c]`; features = h * w * c.
    pub shape: [usize; 3],
    pub classes: Vec<String>,
    pub train: Split,
    /// Held out from training, evaluated every epoch.
    pub val: Split,
    /// Held out until the end: confusion matrix, precision/recall.
    pub test: Split,
    /// For each test row, whether it was also copied into the training set (`leak_fraction`);
    /// all false without a leak.
    pub test_leaked: Vec<bool>,
    /// Description of where the data came from (kept in the result's info).
    pub source: String,
}

impl Dataset {
    pub fn features(&self) -> usize {
        self.shape.iter().product()
    }
}

/// benchbook's cache: `$BENCHBOOK_CACHE`, else `~/.cache/benchbook`.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("BENCHBOOK_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/benchbook")
        })
}

/// Where the digits file is: `$BENCHBOOK_DIGITS` (set by benchbook), else the default cache.
pub fn digits_path() -> PathBuf {
    if let Some(p) = std::env::var_os("BENCHBOOK_DIGITS") {
        return PathBuf::from(p);
    }
    cache_dir().join("datasets/digits/digits.csv.gz")
}

/// Parse `digits.csv.gz`: 64 pixel columns (0..=16) then the label.
pub fn read_digits(path: &Path) -> Result<(Vec<f32>, Vec<u32>), String> {
    let file = std::fs::File::open(path)
        .map_err(|e| format!("{}: {e} (run `benchbook setup`)", path.display()))?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let cols: Vec<f64> = line
            .split(',')
            .map(|c| c.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        if cols.len() != 65 {
            return Err(format!(
                "{}:{}: expected 65 columns, found {}",
                path.display(),
                i + 1,
                cols.len()
            ));
        }
        x.extend(cols[..64].iter().map(|&p| (p / 16.0) as f32));
        y.push(cols[64] as u32);
    }
    Ok((x, y))
}

/// Stratified split of row indices: per class, shuffle with the seed, take `fraction` (rounded) out.
pub fn stratified(
    labels: &[u32],
    rows: &[usize],
    fraction: f64,
    rng: &mut Rng,
) -> (Vec<usize>, Vec<usize>) {
    let mut classes: Vec<u32> = rows.iter().map(|&r| labels[r]).collect();
    classes.sort_unstable();
    classes.dedup();
    let (mut keep, mut out) = (Vec::new(), Vec::new());
    for c in classes {
        let mut members: Vec<usize> = rows.iter().copied().filter(|&r| labels[r] == c).collect();
        rng.shuffle(&mut members);
        let k = (members.len() as f64 * fraction).round() as usize;
        out.extend_from_slice(&members[..k]);
        keep.extend_from_slice(&members[k..]);
    }
    keep.sort_unstable();
    out.sort_unstable();
    (keep, out)
}

/// Build the dataset a spec asks for. Same seed → same rows, on every runner.
pub fn load_dataset(spec: &DatasetSpec, seed: u64) -> Result<Dataset, String> {
    match spec {
        DatasetSpec::Digits {
            one_vs_rest,
            leak_fraction,
        } => {
            let path = digits_path();
            let (x, y10) = read_digits(&path)?;
            let all: Vec<usize> = (0..y10.len()).collect();
            // 80/20 train/test, stratified on the ten digits; then 10% of train for validation.
            let (train_val, test) = stratified(&y10, &all, 0.2, &mut stream(seed, "split-test", 0));
            let (mut train, val) =
                stratified(&y10, &train_val, 0.1, &mut stream(seed, "split-val", 0));
            if !(0.0..=1.0).contains(leak_fraction) {
                return Err(format!(
                    "leak_fraction must be within 0..=1, got {leak_fraction}"
                ));
            }
            let mut test_leaked = vec![false; test.len()];
            if *leak_fraction > 0.0 {
                let mut leaked = test.clone();
                stream(seed, "leak", 0).shuffle(&mut leaked);
                leaked.truncate((test.len() as f64 * leak_fraction).round() as usize);
                for (i, row) in test.iter().enumerate() {
                    test_leaked[i] = leaked.contains(row);
                }
                train.extend(leaked);
            }
            let (y, classes): (Vec<u32>, Vec<String>) = match one_vs_rest {
                Some(d) if *d > 9 => {
                    return Err(format!("one_vs_rest must be a digit 0-9, got {d}"))
                }
                Some(d) => (
                    y10.iter().map(|&l| u32::from(l == *d)).collect(),
                    vec![format!("not {d}"), format!("{d}")],
                ),
                None => (y10.clone(), (0..10).map(|d| d.to_string()).collect()),
            };
            Ok(Dataset {
                shape: [8, 8, 1],
                classes,
                train: Split::gather(&x, &y, 64, &train),
                val: Split::gather(&x, &y, 64, &val),
                test: Split::gather(&x, &y, 64, &test),
                test_leaked,
                source: format!(
                    "UCI optdigits via scikit-learn's digits.csv.gz ({})",
                    path.display()
                ),
            })
        }
        DatasetSpec::Synthetic { n } => {
            let features = 784;
            let mut rng = stream(seed, "synthetic", 0);
            let make = |rng: &mut Rng, n: usize| {
                let x: Vec<f32> = (0..n * features).map(|_| rng.next_f64() as f32).collect();
                let y: Vec<u32> = (0..n).map(|_| rng.below(10) as u32).collect();
                Split { x, y, n }
            };
            let train = make(&mut rng, *n);
            let small = (*n / 8).clamp(1, 1024);
            let val = make(&mut rng, small);
            let test = make(&mut rng, small);
            Ok(Dataset {
                shape: [28, 28, 1],
                classes: (0..10).map(|d| d.to_string()).collect(),
                train,
                val,
                test_leaked: vec![false; test.n],
                test,
                source: "synthetic uniform pixels, uniform labels".into(),
            })
        }
    }
}

/// The test classification split into the rows that leaked into training and the rows never
/// seen (`test_leaked` and `test_unseen`), when some rows leaked: how a leak shows.
pub fn leak_splits(
    test: &protocol::Classification,
    leaked: &[bool],
) -> Vec<(String, protocol::Classification)> {
    if !leaked.iter().any(|&l| l) || leaked.len() != test.truth.len() {
        return Vec::new();
    }
    let part = |want: bool| protocol::Classification {
        classes: test.classes.clone(),
        truth: (0..leaked.len())
            .filter(|&i| leaked[i] == want)
            .map(|i| test.truth[i])
            .collect(),
        predicted: (0..leaked.len())
            .filter(|&i| leaked[i] == want)
            .map(|i| test.predicted[i])
            .collect(),
    };
    vec![
        (metrics::TEST_LEAKED.to_string(), part(true)),
        (metrics::TEST_UNSEEN.to_string(), part(false)),
    ]
}

/// The order of training rows in epoch `epoch` (0-based), split into batches.
/// The last batch may be smaller (nothing is dropped).
pub fn epoch_batches(n: usize, batch_size: usize, seed: u64, epoch: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    stream(seed, "epoch", epoch as u64).shuffle(&mut order);
    order
        .chunks(batch_size.max(1))
        .map(|c| c.to_vec())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Models and initial weights

/// One parameterised layer in canonical layout.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// Weight `[inputs, outputs]`, bias `[outputs]`; ReLU after it when `relu`.
    Dense {
        inputs: usize,
        outputs: usize,
        relu: bool,
    },
    /// 3x3 "same" convolution, stride 1, kernel HWIO `[3, 3, inputs, outputs]`, then ReLU.
    Conv3x3 { inputs: usize, outputs: usize },
    /// 2x2 max-pool, stride 2.
    MaxPool2,
    /// Flatten NHWC in (h, w, c) order.
    Flatten,
}

/// The layers of a model for an input of `shape` (NHWC) and `classes` outputs.
pub fn layers(model: &ModelSpec, shape: [usize; 3], classes: usize) -> Vec<Layer> {
    let features = shape.iter().product();
    match model {
        ModelSpec::Logreg => vec![
            Layer::Flatten,
            Layer::Dense {
                inputs: features,
                outputs: classes,
                relu: false,
            },
        ],
        ModelSpec::Mlp { hidden } => {
            let mut out = vec![Layer::Flatten];
            let mut inputs = features;
            for &h in hidden {
                out.push(Layer::Dense {
                    inputs,
                    outputs: h,
                    relu: true,
                });
                inputs = h;
            }
            out.push(Layer::Dense {
                inputs,
                outputs: classes,
                relu: false,
            });
            out
        }
        ModelSpec::Cnn => {
            let [h, w, c] = shape;
            vec![
                Layer::Conv3x3 {
                    inputs: c,
                    outputs: 16,
                },
                Layer::Conv3x3 {
                    inputs: 16,
                    outputs: 32,
                },
                Layer::MaxPool2,
                Layer::Flatten,
                Layer::Dense {
                    inputs: (h / 2) * (w / 2) * 32,
                    outputs: 64,
                    relu: true,
                },
                Layer::Dense {
                    inputs: 64,
                    outputs: classes,
                    relu: false,
                },
            ]
        }
    }
}

/// Initial parameters of one layer: Glorot uniform weight (canonical layout), zero bias.
#[derive(Debug, Clone)]
pub struct InitParams {
    pub weight: Vec<f32>,
    /// Canonical shape: `[in, out]` for dense, `[3, 3, in, out]` for conv.
    pub weight_shape: Vec<usize>,
    pub bias: Vec<f32>,
}

/// Initial parameters of every parameterised layer, in order. Same seed → same numbers.
pub fn initial_params(layers: &[Layer], seed: u64) -> Vec<InitParams> {
    let mut out = Vec::new();
    for (k, layer) in layers.iter().enumerate() {
        let (shape, fan_in, fan_out) = match *layer {
            Layer::Dense {
                inputs, outputs, ..
            } => (vec![inputs, outputs], inputs, outputs),
            Layer::Conv3x3 { inputs, outputs } => {
                (vec![3, 3, inputs, outputs], 9 * inputs, 9 * outputs)
            }
            Layer::MaxPool2 | Layer::Flatten => continue,
        };
        let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
        let mut rng = stream(seed, "init", k as u64);
        let n: usize = shape.iter().product();
        let weight = (0..n)
            .map(|_| ((rng.next_f64() * 2.0 - 1.0) * limit) as f32)
            .collect();
        let outputs = *shape.last().unwrap();
        out.push(InitParams {
            weight,
            weight_shape: shape,
            bias: vec![0.0; outputs],
        });
    }
    out
}

/// Number of trainable parameters.
pub fn parameter_count(layers: &[Layer]) -> usize {
    initial_params(layers, 0)
        .iter()
        .map(|p| p.weight.len() + p.bias.len())
        .sum()
}

/// Multiply-adds ×2 of one forward pass of one example (for achieved GFLOP/s).
pub fn forward_flops(layers: &[Layer], shape: [usize; 3]) -> f64 {
    let [mut h, mut w, _] = shape;
    let mut flops = 0.0;
    for layer in layers {
        match *layer {
            Layer::Dense {
                inputs, outputs, ..
            } => flops += 2.0 * (inputs * outputs) as f64,
            Layer::Conv3x3 { inputs, outputs } => {
                flops += 2.0 * (h * w * 9 * inputs * outputs) as f64
            }
            Layer::MaxPool2 => {
                h /= 2;
                w /= 2;
            }
            Layer::Flatten => {}
        }
    }
    flops
}

// ---------------------------------------------------------------------------------------
// Facts both runners report

/// CPU feature flags of this machine from /proc/cpuinfo (the SIMD ones that matter).
pub fn cpu_features() -> Vec<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags = info.lines().find(|l| l.starts_with("flags")).unwrap_or("");
    let wanted = [
        "sse4_2",
        "avx",
        "avx2",
        "fma",
        "avx512f",
        "avx512_bf16",
        "avx512_vnni",
        "amx_tile",
    ];
    flags
        .split_whitespace()
        .filter(|f| wanted.contains(f))
        .map(str::to_string)
        .collect()
}

/// Shared libraries this process has mapped whose path contains `needle` (e.g. `libtorch`).
pub fn loaded_libraries(needle: &str) -> Vec<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let mut libs: Vec<String> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.contains(".so") && p.contains(needle))
        .map(str::to_string)
        .collect();
    libs.sort();
    libs.dedup();
    libs
}

/// Total bytes on disk of the given files.
pub fn total_size(paths: &[String]) -> u64 {
    paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Total bytes of the files under a directory (saved-model size).
pub fn dir_size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|rd| rd.filter_map(Result::ok).map(|e| dir_size(&e.path())).sum())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// What the timers cover, written once for every runner

/// What each timed metric's timer covers, attached to the metric with
/// `Metric::with_region(...)` by every runner, so that a comparison can check that both sides
/// timed the same work. A runner that times something else must not report the metric.
pub mod regions {
    /// `step_time` (one sample per step; the first step is a warm-up sample, see
    /// [`super::warmup::STEPS`]) and `first_step_time` (that first step alone).
    pub const TRAIN_STEP: &str = "one training step: gather the batch's rows into one buffer, \
        build the input and label tensors, forward, mean cross-entropy, gradients, optimizer \
        update, argmax of the logits in the framework, then the loss and the predicted labels \
        copied to the host; accuracy is counted in Rust after the timer";
    /// `first_step_time`: the first step, one-off costs included.
    pub const FIRST_STEP: &str = "the first training step alone, the same work as step_time \
        plus its one-off costs (TensorFlow: pruning and optimising the training graph on the \
        first Session::run; both: first allocations and kernel selection)";
    /// `train_time`: the whole loop.
    pub const TRAIN_LOOP: &str = "the whole training loop: every step of every epoch, the \
        first one included (one-off costs and all), plus the bookkeeping between steps; \
        not the per-epoch validation";
    /// `train_throughput`: examples over time, steady state.
    pub const TRAIN_STEADY: &str = "steady-state training: the examples of steps 2..N over the \
        sum of their step_time (the first step and its one-off costs left out)";
    /// `train_gflops`: 3x forward FLOPs per example, steady state.
    pub const TRAIN_STEADY_FLOPS: &str = "steady-state training: 3 x forward FLOPs x the \
        examples of steps 2..N over the sum of their step_time (the first step left out)";
    /// `time_to_first_step`.
    pub const TIME_TO_FIRST_STEP: &str = "from before building the model (TensorFlow: graph, \
        session and variable initialisation; PyTorch: parameter tensors and optimizer state) \
        to the end of the first training step; loading the data is not included";
    /// `latency_b1`.
    pub const LATENCY: &str = "one prediction of one row in the trained model's process: \
        copy the row into a new input tensor, forward, copy the logits to a host Vec<f32>; \
        the first calls are warm-up samples (the first includes TensorFlow's optimisation of \
        the inference subgraph)";
    /// `infer_throughput` (rows / time of one batch).
    pub const INFER_BATCH: &str = "one inference batch: gather its rows into one buffer, \
        build the input tensor, forward, copy the logits to a host Vec<f32>; rows / time; \
        the first batches are warm-up samples";
    /// `model_load_time`.
    pub const MODEL_RELOAD: &str = "warm reload in the same process that trained and saved \
        the model: load the saved model (files in the OS page cache, framework already \
        initialised) into a new module / session, then one prediction of one row (input \
        tensor, forward, logits copied to the host); the first load is a warm-up sample";
    /// `spawn_to_prediction` (cold_start task).
    pub const COLD_SPAWN_TO_PREDICTION: &str = "a fresh process (runner and framework \
        libraries in the OS page cache, not a cold disk): from just before benchbook spawns \
        the runner (BENCHBOOK_SPAWN_MONOTONIC_NS) to the first prediction's logits on the \
        host: exec, loading and initialising the shared libraries, reading the spec, loading \
        the saved model, one prediction";
    /// `cold_load_time` (cold_start task).
    pub const COLD_LOAD: &str = "the load call alone, first in a fresh process: the saved \
        model (OS page cache) into a new module (torch::jit::load) / session \
        (LoadSessionFromSavedModel, variables restored), with its input and output looked up";
    /// `cold_predict_time` (cold_start task).
    pub const COLD_PREDICT: &str = "the first prediction of the freshly loaded model: copy \
        one fixed row into a new input tensor, forward, copy the logits to a host Vec<f32>";
}

/// How many leading samples of each metric are one-off costs (`Metric::with_warmup`).
pub mod warmup {
    /// `step_time`: the first step.
    pub const STEPS: usize = 1;
    /// `latency_b1`: calls before the steady-state samples.
    pub const LATENCY: usize = 10;
    /// `infer_throughput`: batches before the steady-state samples.
    pub const INFER_BATCHES: usize = 2;
    /// `model_load_time`: the first reload.
    pub const RELOADS: usize = 1;
}

/// Reloads of the saved model timed in `model_load_time` (warm-up included).
pub const RELOADS: usize = 5;

/// Examples per second and FLOP/s of steady-state training (steps after the first `skip`),
/// from each step's time and examples; `None` with no step past the warm-up.
pub fn steady_throughput(
    step_times: &[f64],
    step_examples: &[usize],
    skip: usize,
    flops_per_example: f64,
) -> Option<(f64, f64)> {
    let time: f64 = step_times.iter().skip(skip).sum();
    let examples: usize = step_examples.iter().skip(skip).sum();
    if step_times.len() <= skip || time <= 0.0 {
        return None;
    }
    let per_second = examples as f64 / time;
    Some((per_second, 3.0 * flops_per_example * per_second))
}

/// Replace this process by a fresh run of the same runner binary with the same arguments,
/// `spec` on its stdin and `env` added to its environment (for settings a framework reads
/// while its library initialises, before `main`). Returns only on failure, with why.
pub fn reexec(spec: &protocol::Spec, env: &[(&str, String)]) -> String {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    let text = match serde_json::to_string(spec) {
        Ok(t) => t,
        Err(e) => return format!("cannot re-serialise the spec: {e}"),
    };
    // The whole spec must fit in the pipe's buffer: nobody reads it before the exec.
    if text.len() > 32 * 1024 {
        return format!(
            "the spec is too long to re-execute with ({} bytes)",
            text.len()
        );
    }
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return format!("cannot find this runner's binary: {e}"),
    };
    let (reader, mut writer) = match std::io::pipe() {
        Ok(p) => p,
        Err(e) => return format!("cannot create a pipe: {e}"),
    };
    if let Err(e) = writer.write_all(text.as_bytes()) {
        return format!("cannot write the spec to the pipe: {e}");
    }
    drop(writer);
    let _ = std::io::stderr().flush();
    let mut cmd = std::process::Command::new(&exe);
    cmd.args(std::env::args_os().skip(1)).stdin(reader);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let err = cmd.exec();
    format!("cannot re-execute {}: {err}", exe.display())
}

// ---------------------------------------------------------------------------------------
// Cold start

/// What the `cold_start` task shares between runners: the clock it starts from, the input
/// row, where the saved model is kept, and re-executing the runner after creating it.
pub mod cold {
    use super::{cache_dir, stream, ModelSpec};
    use std::path::PathBuf;

    /// Set by benchbook just before it spawns a runner: `CLOCK_MONOTONIC` in nanoseconds.
    pub const SPAWN_CLOCK_VAR: &str = "BENCHBOOK_SPAWN_MONOTONIC_NS";
    /// Set by a runner that created the saved model and re-executed itself: seconds it took.
    pub const CREATED_VAR: &str = "BENCHBOOK_COLD_START_CREATED_S";

    /// `CLOCK_MONOTONIC` now, in nanoseconds (one clock for every process on the machine).
    pub fn monotonic_ns() -> u128 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
    }

    /// When the process was spawned, from [`SPAWN_CLOCK_VAR`].
    pub fn spawn_ns() -> Result<u128, String> {
        let text = std::env::var(SPAWN_CLOCK_VAR).map_err(|_| {
            format!(
                "{SPAWN_CLOCK_VAR} is not set: cold_start measures from the moment the runner \
                 is spawned, so it must be started by `benchbook bench` (or with that variable \
                 set to CLOCK_MONOTONIC in nanoseconds, taken just before the spawn)"
            )
        })?;
        let ns: u128 = text.trim().parse().map_err(|_| {
            format!("{SPAWN_CLOCK_VAR}={text:?} is not CLOCK_MONOTONIC in nanoseconds")
        })?;
        if ns > monotonic_ns() {
            return Err(format!(
                "{SPAWN_CLOCK_VAR}={ns} lies in the future of CLOCK_MONOTONIC"
            ));
        }
        Ok(ns)
    }

    /// Seconds from `spawn` (ns) to now.
    pub fn seconds_since(spawn: u128) -> f64 {
        monotonic_ns().saturating_sub(spawn) as f64 / 1e9
    }

    /// The fixed input row of a cold start: uniform pixels in 0..1 from the seed.
    pub fn input_row(features: usize, seed: u64) -> Vec<f32> {
        let mut rng = stream(seed, "cold-start-input", 0);
        (0..features).map(|_| rng.next_f64() as f32).collect()
    }

    /// A short name of a model for file names: `cnn`, `logreg`, `mlp-128-64`.
    pub fn model_key(model: &ModelSpec) -> String {
        match model {
            ModelSpec::Logreg => "logreg".into(),
            ModelSpec::Cnn => "cnn".into(),
            ModelSpec::Mlp { hidden } => std::iter::once("mlp".to_string())
                .chain(hidden.iter().map(usize::to_string))
                .collect::<Vec<_>>()
                .join("-"),
        }
    }

    /// Where a runner keeps the saved model of a cold start:
    /// `<cache>/models/<framework>/<model>-<h>x<w>x<c>-<classes>c-seed<seed>` (a file or a
    /// directory inside it is the framework's to choose).
    pub fn model_dir(
        framework: &str,
        model: &ModelSpec,
        shape: [usize; 3],
        classes: usize,
        seed: u64,
    ) -> PathBuf {
        let [h, w, c] = shape;
        cache_dir().join("models").join(framework).join(format!(
            "{}-{h}x{w}x{c}-{classes}c-seed{seed}",
            model_key(model)
        ))
    }

    /// Replace this process by a fresh run of the same runner binary after creating the
    /// model in `created_s` seconds: [`SPAWN_CLOCK_VAR`] is taken just before the exec and
    /// [`CREATED_VAR`] says the model was just created. Returns only on failure.
    pub fn reexec(spec: &crate::protocol::Spec, created_s: f64) -> String {
        crate::reexec(
            spec,
            &[
                (CREATED_VAR, format!("{created_s}")),
                (SPAWN_CLOCK_VAR, monotonic_ns().to_string()),
            ],
        )
    }

    /// Seconds the previous process image spent creating the model, when this one was
    /// re-executed after creating it.
    pub fn created_before() -> Option<f64> {
        std::env::var(CREATED_VAR).ok()?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_and_batches_are_deterministic() {
        assert_eq!(epoch_batches(10, 3, 7, 2), epoch_batches(10, 3, 7, 2));
        assert_ne!(epoch_batches(100, 10, 7, 0), epoch_batches(100, 10, 7, 1));
        let b = epoch_batches(10, 3, 7, 0);
        assert_eq!(b.len(), 4);
        assert_eq!(b[3].len(), 1);
        let mut all: Vec<usize> = b.concat();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn stratified_split_keeps_class_shares() {
        let labels: Vec<u32> = (0..100).map(|i| (i % 4 == 0) as u32).collect();
        let rows: Vec<usize> = (0..100).collect();
        let (keep, out) = stratified(&labels, &rows, 0.2, &mut Rng::new(1));
        assert_eq!(keep.len() + out.len(), 100);
        assert_eq!(out.iter().filter(|&&r| labels[r] == 1).count(), 5);
    }

    #[test]
    fn cnn_shapes_and_glorot_limits() {
        let l = layers(&ModelSpec::Cnn, [8, 8, 1], 10);
        let p = initial_params(&l, 0);
        assert_eq!(p[0].weight_shape, vec![3, 3, 1, 16]);
        assert_eq!(p[2].weight_shape, vec![4 * 4 * 32, 64]);
        let limit = (6.0f64 / (9.0 + 144.0)).sqrt() as f32;
        assert!(p[0].weight.iter().all(|w| w.abs() <= limit));
        assert!(p[0].bias.iter().all(|&b| b == 0.0));
    }

    #[test]
    fn cold_start_names_a_model() {
        let w: Workload = serde_json::from_value(serde_json::json!({"task": "cold_start",
            "dataset": {"name": "digits"}, "model": "mlp", "threads": 1,
            "models": {"cnn": {"kind": "cnn"}, "mlp": {"kind": "mlp", "hidden": [128, 64]}}}))
        .unwrap();
        let Workload::ColdStart(c) = w else {
            panic!("{w:?}")
        };
        assert_eq!(
            c.model_spec().unwrap(),
            ModelSpec::Mlp {
                hidden: vec![128, 64]
            }
        );
        assert_eq!(cold::model_key(&c.model_spec().unwrap()), "mlp-128-64");
        assert_eq!(c.dataset.shape_and_classes(), ([8, 8, 1], 10));
        let inline: Workload = serde_json::from_value(serde_json::json!({"task": "cold_start",
            "dataset": {"name": "digits", "one_vs_rest": 3}, "model": {"kind": "cnn"}, "threads": 2}))
        .unwrap();
        let Workload::ColdStart(c) = inline else {
            panic!()
        };
        assert_eq!(c.model_spec().unwrap(), ModelSpec::Cnn);
        assert_eq!(c.dataset.shape_and_classes(), ([8, 8, 1], 2));
        let unknown = ColdStartSpec {
            model: ModelRef::Name("rnn".into()),
            ..c
        };
        assert!(unknown.model_spec().unwrap_err().contains("rnn"));
        assert_eq!(cold::input_row(64, 0), cold::input_row(64, 0));
    }

    #[test]
    fn steady_throughput_leaves_the_first_step_out() {
        let (ips, flops) = steady_throughput(&[1.0, 0.5, 0.5], &[32, 32, 16], 1, 10.0).unwrap();
        assert_eq!(ips, 48.0);
        assert_eq!(flops, 3.0 * 10.0 * 48.0);
        assert!(steady_throughput(&[1.0], &[32], 1, 10.0).is_none());
    }

    #[test]
    fn workload_rejects_unknown_keys() {
        let ok = serde_json::json!({"task": "train", "dataset": {"name": "digits"}, "model": {"kind": "mlp", "hidden": [128, 64]},
            "optimizer": {"kind": "adam", "lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7},
            "batch_size": 32, "epochs": 30, "threads": 1});
        let w: Workload = serde_json::from_value(ok.clone()).unwrap();
        assert!(matches!(w, Workload::Train(_)));
        let mut bad = ok;
        bad["epoch"] = serde_json::json!(3);
        assert!(serde_json::from_value::<Workload>(bad)
            .unwrap_err()
            .to_string()
            .contains("epoch"));
    }
}
