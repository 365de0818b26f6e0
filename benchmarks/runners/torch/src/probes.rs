//! The `probes` task: deliberately wrong programs written the usual eager-PyTorch way,
//! and what libtorch said about each (verbatim), when, and how long it took.
//!
//! PyTorch has no separate build step: every error surfaces while the program runs,
//! so a probe's stage is "run" when libtorch raised and "none" when it did not.

use crate::model::{cross_entropy, Net};
use crate::optim::Optimizer;
use crate::torch_message;
use benchbook_runner_common as common;
use common::harness::ProbeEnd;
use common::protocol::Stage;
use common::{DatasetSpec, ModelSpec, OptimizerSpec};
use tch::{Kind, Tensor};

/// What a probe's program did.
enum Outcome {
    /// libtorch raised this error.
    Raised(tch::TchError),
    /// Nothing raised; what was observed instead.
    Ran(String),
}

/// Run the probe `name` (one of common::PROBES; the harness checked it).
pub fn run(name: &str) -> Result<ProbeEnd, String> {
    let outcome = match name {
        "shape_mismatch" => shape_mismatch(),
        "dtype_mismatch" => dtype_mismatch(),
        "no_gradient" => no_gradient(),
        _ => nan_loss(),
    }?;
    Ok(match outcome {
        Outcome::Raised(e) => ProbeEnd::Raised(Stage::Run, torch_message(&e)),
        Outcome::Ran(observed) => ProbeEnd::Ran(observed),
    })
}

fn outcome<T>(r: Result<T, tch::TchError>, ran: impl FnOnce(T) -> String) -> Outcome {
    match r {
        Ok(v) => Outcome::Ran(ran(v)),
        Err(e) => Outcome::Raised(e),
    }
}

/// A [32, 64] batch times a [32, 10] weight.
fn shape_mismatch() -> Result<Outcome, String> {
    let x = Tensor::ones([32, 64], (Kind::Float, tch::Device::Cpu));
    let w = Tensor::ones([32, 10], (Kind::Float, tch::Device::Cpu));
    Ok(outcome(x.f_matmul(&w), |y| {
        format!("no error: result shape {:?}", y.size())
    }))
}

/// float32 + int64.
fn dtype_mismatch() -> Result<Outcome, String> {
    let a = Tensor::ones([4], (Kind::Float, tch::Device::Cpu));
    let b = Tensor::ones([4], (Kind::Int64, tch::Device::Cpu));
    Ok(outcome(a.f_add(&b), |y| {
        format!(
            "no error: result dtype {} (int64 promoted)",
            kind_name(y.kind())
        )
    }))
}

fn kind_name(kind: Kind) -> String {
    match kind {
        Kind::Float => "float32".into(),
        Kind::Double => "float64".into(),
        Kind::Int64 => "int64".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// A loss built on argmax, then `loss.backward()`.
fn no_gradient() -> Result<Outcome, String> {
    let logits = Tensor::ones([32, 10], (Kind::Float, tch::Device::Cpu)).set_requires_grad(true);
    let loss = logits
        .argmax(-1, false)
        .to_kind(Kind::Float)
        .mean(Kind::Float);
    Ok(outcome(loss.f_backward(), |()| {
        "no error: backward ran".into()
    }))
}

/// The digits MLP trained with plain SGD at lr 1e6 for 50 steps; where does the loss stop being finite?
fn nan_loss() -> Result<Outcome, String> {
    const STEPS: usize = 50;
    let data = common::load_dataset(
        &DatasetSpec::Digits {
            one_vs_rest: None,
            leak_fraction: 0.0,
        },
        0,
    )?;
    let features = data.features();
    let layers = common::layers(
        &ModelSpec::Mlp {
            hidden: vec![128, 64],
        },
        data.shape,
        data.classes.len(),
    );
    let mut net = Net::new(&layers, &common::initial_params(&layers, 0), data.shape)?;
    let spec = OptimizerSpec::Sgd {
        lr: 1e6,
        momentum: 0.0,
    };
    let mut opt =
        Optimizer::new(&spec, &net.params).map_err(|e| format!("optimizer state: {e}"))?;
    let batches: Vec<Vec<usize>> = (0..)
        .flat_map(|epoch| common::epoch_batches(data.train.n, 32, 0, epoch))
        .take(STEPS)
        .collect();
    let mut last = f64::NAN;
    for (step, rows) in batches.iter().enumerate() {
        let (x, y) = data.train.batch(features, rows);
        let y: Vec<i64> = y.into_iter().map(i64::from).collect();
        let x = Tensor::from_slice(&x).view([rows.len() as i64, features as i64]);
        let loss = match cross_entropy(&net.forward(&x), &Tensor::from_slice(&y)) {
            Ok(l) => l,
            Err(e) => return Ok(Outcome::Raised(e)),
        };
        let grad = match net.gradients(&loss) {
            Ok(g) => g,
            Err(e) => return Ok(Outcome::Raised(e)),
        };
        if let Err(e) = opt.step(&mut net.params, &grad) {
            return Ok(Outcome::Raised(e));
        }
        last = loss.double_value(&[]);
        if !last.is_finite() {
            let what = if last.is_nan() { "NaN" } else { "infinite" };
            return Ok(Outcome::Ran(format!(
                "no error: loss became {what} at step {}",
                step + 1
            )));
        }
    }
    Ok(Outcome::Ran(format!(
        "no error: loss stayed finite for {STEPS} steps (last {last:e})"
    )))
}
