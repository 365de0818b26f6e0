//! The runner harness: everything a runner does that does not depend on its framework.
//!
//! A runner implements [`Runner`] (thread setup, a model it can train, evaluate, save and
//! load, a matrix product, the probes' programs, and the facts about itself) and calls
//! [`main`]. The harness reads the spec, checks it, dispatches the workload, owns every timer
//! and every metric name (from [`crate::metrics`]), and prints the result, so every runner
//! times the same regions and reports the same names, units and warm-up samples:
//!
//! - `train` ([`train`]): data, batch order, the training loop and its timers, per-epoch
//!   validation, the test set, inference timing, saving and reloading;
//! - `matmul` ([`matmul`]): operands, warm-up, a spot check of the product, the timed products;
//! - `probes` ([`probes`]): probe selection, timing, panics, message clipping;
//! - `cold_start` ([`cold`]): creating the saved model once and re-executing, the clock from
//!   the spawn, load and first prediction.

pub mod cold;
pub mod matmul;
pub mod probes;
pub mod train;

use crate::protocol::{self, RunResult, RunnerInfo, Spec, Stage};
use crate::{InitParams, Layer, OptimizerSpec, Split, TrainSpec, Workload};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The `info` map of a result.
pub type Info = BTreeMap<String, serde_json::Value>;

/// What a runner supplies: its framework's model, step, save/load and facts.
pub trait Runner {
    /// Short name, as declared (`torch`): the result's `runner.name`, the directory of its
    /// cold-start models under `<cache>/models/` and the prefix of its temporary directories.
    const NAME: &'static str;
    /// How a model is saved (train and cold_start), reported as `info.model_format`.
    const MODEL_FORMAT: &'static str;
    /// The file inside a saved-model directory whose presence means the model is complete.
    const SAVED_MODEL_FILE: &'static str;
    /// A reloaded model must predict the trained one's logits within `abs + rel * |logit|`.
    const RELOAD_TOLERANCE: (f32, f32);

    type Trainer: Trainer;
    type Loaded: Predict;
    type Matmul: Matmul;

    /// Set up threads for the workload (intra-op `workload.threads()`, at least 1, inter-op 1)
    /// before any framework work. May re-execute the runner (return its error then).
    fn setup(&mut self, spec: &Spec, workload: &Workload) -> Result<(), String>;

    /// Refuse train settings this runner cannot honour. Default: the TensorFlow-only keys.
    fn check_train(&self, spec: &TrainSpec) -> Result<(), String> {
        spec.refuse_tensorflow_keys()
    }

    /// A model of `setup.layers` holding `setup.init` (canonical layouts), with its optimizer
    /// state, ready to train. Timed in `time_to_first_step`.
    fn trainer(&mut self, setup: &ModelSetup) -> Result<Self::Trainer, String>;

    /// What [`Runner::load`] takes in a directory a [`Trainer::save`] wrote (and whose size
    /// is `model_size`): the directory itself, or a file in it.
    fn model_path(dir: &Path) -> PathBuf {
        dir.to_path_buf()
    }

    /// Load a saved model (the load timed in `model_load_time` and `cold_load_time`).
    fn load(&mut self, path: &Path, threads: u32) -> Result<Self::Loaded, String>;

    /// Called once before the timed inference of a task (train, cold_start), for settings
    /// that last until the process ends (no autograd recording).
    fn inference_only(&mut self) {}

    /// The two `n` x `n` operands (row-major) ready to multiply.
    fn matmul(
        &mut self,
        n: usize,
        a: &[f32],
        b: &[f32],
        threads: u32,
    ) -> Result<Self::Matmul, String>;

    /// Run one of [`crate::PROBES`] written the framework's usual way. An `Err` is a failure
    /// of the probe's own set-up (the run fails), not the mistake it provokes.
    fn probe(&mut self, name: &str, threads: u32) -> Result<ProbeEnd, String>;

    /// Facts about the task just run, added to `info` (e.g. the optimizer's arithmetic).
    fn task_info(&self, _workload: &Workload, _info: &mut Info) {}

    /// Who ran the workload, read after it so that every library it loaded is listed
    /// (`name` is set from [`Runner::NAME`]; `library_paths` is summed into `library_size`),
    /// and what else is known about the framework's build and settings, added to `info`.
    fn describe(&mut self, workload: &Workload, info: &mut Info) -> Result<RunnerInfo, String>;
}

/// What the model of a `train` (or cold_start) task is.
#[derive(Debug, Clone, Copy)]
pub struct ModelSetup<'a> {
    pub layers: &'a [Layer],
    pub init: &'a [InitParams],
    /// Image shape `[h, w, c]` of one example.
    pub shape: [usize; 3],
    pub classes: usize,
    pub optimizer: &'a OptimizerSpec,
    pub threads: u32,
    /// When the timer of `time_to_first_step` started (just before [`Runner::trainer`]).
    pub start: Instant,
}

/// One prediction: copy `x` (whole rows of `features`) into a new input tensor, forward,
/// copy the logits to a host `Vec<f32>`. The work every timed inference region covers.
pub trait Predict {
    fn predict(&mut self, x: &[f32], features: usize) -> Result<Vec<f32>, String>;
}

/// A model being trained.
pub trait Trainer: Predict {
    /// One training step on a batch (rows of `features` in `x`, labels `y`): build the input and label
    /// tensors, forward, mean cross-entropy, gradients, optimizer update, argmax in the
    /// framework, then the loss and predicted labels copied to the host
    /// ([`crate::regions::TRAIN_STEP`]; the harness gathers the rows inside the same timer).
    fn step(&mut self, x: &[f32], y: &[u32], features: usize) -> Result<StepOutcome, String>;

    /// The model's weights before any step, read back from the framework and converted to the
    /// canonical layouts (so a layout mistake changes `info.inputs.initial_weights_sha256`).
    /// Called once before the first step; its time is kept off `time_to_first_step`.
    /// `None`: the harness reports the digest of the weights it gave the model.
    fn initial_weights(&mut self) -> Result<Option<Vec<InitParams>>, String> {
        Ok(None)
    }

    /// Mean loss and predicted labels of a whole split, without training; softmax
    /// probabilities (`[n, classes]`, flattened) too when `probabilities`.
    fn evaluate(
        &mut self,
        split: &Split,
        features: usize,
        probabilities: bool,
    ) -> Result<Evaluation, String>;

    /// Save the model for inference into `dir` (which does not exist yet; its parent does).
    /// `example` is one input row, for frameworks that trace.
    fn save(&mut self, dir: &Path, example: &[f32]) -> Result<(), String>;

    /// Facts about this training run, added to `info` at the end of training.
    fn info(&self, _time_to_first_step: Option<f64>, _info: &mut Info) {}
}

/// What a training step gives back.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    pub loss: f64,
    pub predicted: Vec<i64>,
}

/// What an evaluation of a split gives back.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub loss: f64,
    pub predicted: Vec<i64>,
    /// `[n, classes]` row-major, empty unless asked for.
    pub probabilities: Vec<f64>,
}

/// Two operands ready to multiply (the `matmul` task).
pub trait Matmul {
    /// What a product leaves behind; dropped after the timer stops.
    type Product;
    /// One product, complete when this returns ([`matmul`] times this call alone).
    fn multiply(&mut self) -> Result<Self::Product, String>;
    /// The product's values, row-major (read once, untimed, to check it).
    fn values(&self, product: &Self::Product) -> Result<Vec<f32>, String>;
}

/// How a probe ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeEnd {
    /// The framework raised this message at this stage (`Build` or `Run`).
    Raised(Stage, String),
    /// Nothing was raised; what was observed instead.
    Ran(String),
}

/// The `main` of a runner: read the spec on stdin, run it, print the one result on stdout, or
/// print the error on stderr and exit 1.
pub fn main<R: Runner>(mut runner: R) -> ! {
    protocol::run_main(|spec| run(&mut runner, spec))
}

/// Run one spec: check it, set up threads, dispatch the workload, describe the runner.
pub fn run<R: Runner>(runner: &mut R, spec: &Spec) -> Result<RunResult, String> {
    let workload = Workload::from_spec(spec)?;
    if workload.threads() == 0 {
        return Err("threads must be at least 1".into());
    }
    runner.setup(spec, &workload)?;
    let mut result = match &workload {
        Workload::Train(t) => train::run(runner, t)?,
        Workload::Matmul(m) => matmul::run(runner, m)?,
        Workload::Probes(p) => probes::run(runner, p)?,
        Workload::ColdStart(c) => cold::run(runner, spec, c)?,
    };
    runner.task_info(&workload, &mut result.info);
    let mut info = runner.describe(&workload, &mut result.info)?;
    info.name = R::NAME.into();
    let size = crate::total_size(&info.library_paths) as f64;
    result.metrics.insert(
        crate::metrics::LIBRARY_SIZE.name.into(),
        crate::metrics::LIBRARY_SIZE.one(size),
    );
    result.runner = info;
    Ok(result)
}

/// An empty result; [`run`] fills in who produced it at the end.
pub(crate) fn new_result() -> RunResult {
    RunResult::new(RunnerInfo {
        name: String::new(),
        framework: String::new(),
        version: String::new(),
        library_paths: Vec::new(),
        threads: None,
        cpu_features: Vec::new(),
    })
}

/// Seconds since `t`.
pub(crate) fn seconds(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// A directory under the system temp dir, removed when dropped.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(prefix: &str) -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("benchbook-{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests;
