//! The `train` task's torch side: the model and its optimizer state, one training step,
//! evaluation, prediction, and the model saved as TorchScript and loaded back.

use crate::err;
use crate::model::{cross_entropy, probabilities, Net};
use crate::optim::Optimizer;
use benchbook_runner_common as common;
use common::harness::{Evaluation, ModelSetup, Predict, StepOutcome, Trainer};
use common::Split;
use std::path::Path;
use tch::Tensor;

/// The file a saved model is written to, inside its directory.
pub const MODEL_FILE: &str = "model.pt";

/// The input tensor `[rows, features]` of `x` (a buffer of whole rows).
fn input_tensor(x: &[f32], features: usize) -> Tensor {
    Tensor::from_slice(x).view([(x.len() / features.max(1)) as i64, features as i64])
}

fn label_tensor(y: &[u32]) -> Tensor {
    Tensor::from_slice(&y.iter().map(|&l| i64::from(l)).collect::<Vec<_>>())
}

/// One prediction: copy `x` (whole rows) into a new input tensor, run `forward`, copy the
/// logits to the host. The work every timed inference region covers.
fn predict(
    x: &[f32],
    features: usize,
    forward: impl FnOnce(&Tensor) -> Result<Tensor, String>,
) -> Result<Vec<f32>, String> {
    let logits = forward(&input_tensor(x, features))?;
    Vec::<f32>::try_from(logits.flatten(0, -1)).map_err(err("copying the logits to the host"))
}

/// A network being trained, with its optimizer.
pub struct Training {
    net: Net,
    opt: Optimizer,
}

impl Training {
    pub fn new(setup: &ModelSetup) -> Result<Training, String> {
        let net = Net::new(setup.layers, setup.init, setup.shape)?;
        let opt = Optimizer::new(setup.optimizer, &net.params).map_err(err("optimizer state"))?;
        Ok(Training { net, opt })
    }
}

impl Predict for Training {
    fn predict(&mut self, x: &[f32], features: usize) -> Result<Vec<f32>, String> {
        predict(x, features, |x| Ok(self.net.forward(x)))
    }
}

impl Trainer for Training {
    fn initial_weights(&mut self) -> Result<Option<Vec<common::InitParams>>, String> {
        self.net.canonical_params().map(Some)
    }

    fn step(&mut self, x: &[f32], y: &[u32], features: usize) -> Result<StepOutcome, String> {
        let x = input_tensor(x, features);
        let y = label_tensor(y);
        let logits = self.net.forward(&x);
        let loss = cross_entropy(&logits, &y).map_err(err("training loss"))?;
        let grad = self.net.gradients(&loss).map_err(err("backward"))?;
        self.opt
            .step(&mut self.net.params, &grad)
            .map_err(err("optimizer step"))?;
        let predicted =
            Vec::<i64>::try_from(logits.argmax(-1, false)).map_err(err("predictions"))?;
        Ok(StepOutcome {
            loss: loss.double_value(&[]),
            predicted,
        })
    }

    /// Loss (mean cross-entropy) and predictions of a whole split, without autograd.
    fn evaluate(
        &mut self,
        split: &Split,
        features: usize,
        want_probabilities: bool,
    ) -> Result<Evaluation, String> {
        let _guard = tch::no_grad_guard();
        let x = input_tensor(&split.x, features);
        let y = label_tensor(&split.y);
        let logits = self.net.forward(&x);
        let loss = cross_entropy(&logits, &y)
            .map_err(err("evaluation loss"))?
            .double_value(&[]);
        let predicted =
            Vec::<i64>::try_from(logits.argmax(-1, false)).map_err(err("predictions"))?;
        let probabilities = if want_probabilities {
            probabilities(&logits)?.concat()
        } else {
            Vec::new()
        };
        Ok(Evaluation {
            loss,
            predicted,
            probabilities,
        })
    }

    /// Trace the network on `example` and save it as TorchScript in `dir`/[`MODEL_FILE`].
    fn save(&mut self, dir: &Path, example: &[f32]) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let example = input_tensor(example, example.len());
        // The tracer refuses constants that require grad: trace a detached view of the weights.
        let frozen = self.net.detached();
        let module = tch::CModule::create_by_tracing(
            "BenchbookNet",
            "forward",
            std::slice::from_ref(&example),
            &mut |x| vec![frozen.forward(&x[0])],
        )
        .map_err(err("tracing the model"))?;
        module
            .save(dir.join(MODEL_FILE))
            .map_err(err("saving the model"))
    }
}

/// A saved TorchScript model, loaded.
pub struct Loaded(tch::CModule);

impl Loaded {
    /// The load timed in model_load_time and cold_load_time.
    pub fn load(path: &Path) -> Result<Loaded, String> {
        tch::CModule::load(path)
            .map(Loaded)
            .map_err(err("loading the saved model"))
    }
}

impl Predict for Loaded {
    fn predict(&mut self, x: &[f32], features: usize) -> Result<Vec<f32>, String> {
        predict(x, features, |x| {
            self.0
                .forward_ts(&[x])
                .map_err(err("running the reloaded model"))
        })
    }
}
