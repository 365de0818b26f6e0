//! The `probes` task: deliberately wrong programs written the usual eager-PyTorch way,
//! and what libtorch said about each (verbatim), when, and how long it took.
//!
//! PyTorch has no separate build step: every error surfaces while the program runs,
//! so a probe's stage is "run" when libtorch raised and "none" when it did not.

use crate::model::{cross_entropy, Net};
use crate::optim::Optimizer;
use crate::{pending_info, torch_message};
use benchbook_runner_common as common;
use common::protocol::{Probe, RunResult, Stage};
use common::{DatasetSpec, ModelSpec, OptimizerSpec, ProbeSpec};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;
use tch::{Kind, Tensor};

/// Longest message kept; longer ones lose their middle.
const MAX_MESSAGE: usize = 2000;

/// What a probe's program did.
enum Outcome {
    /// libtorch raised this error.
    Raised(tch::TchError),
    /// Nothing raised; what was observed instead.
    Ran(String),
}

pub fn run(spec: &ProbeSpec) -> Result<RunResult, String> {
    let known: Vec<&str> = common::PROBES.iter().map(|(name, _)| *name).collect();
    let wanted: Vec<String> = match &spec.probes {
        Some(list) => list.clone(),
        None => known.iter().map(|s| s.to_string()).collect(),
    };
    let unknown: Vec<&String> = wanted
        .iter()
        .filter(|w| !known.contains(&w.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown probes {unknown:?}; expected some of {known:?}"
        ));
    }
    let mut result = RunResult::new(pending_info());
    result.info.insert(
        "probe_messages".into(),
        "libtorch's error text verbatim, without the C++ stack trace c10::Error appends (as Python shows it)".into(),
    );
    for name in &wanted {
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| match name.as_str() {
            "shape_mismatch" => shape_mismatch(),
            "dtype_mismatch" => dtype_mismatch(),
            "no_gradient" => no_gradient(),
            _ => nan_loss(),
        }));
        let seconds = start.elapsed().as_secs_f64();
        let probe = match outcome {
            Ok(Ok(Outcome::Raised(e))) => Probe {
                name: name.clone(),
                stage: Stage::Run,
                message: Some(shorten(&torch_message(&e))),
                seconds,
                observed: None,
            },
            Ok(Ok(Outcome::Ran(observed))) => Probe {
                name: name.clone(),
                stage: Stage::None,
                message: None,
                seconds,
                observed: Some(observed),
            },
            // The probe's own set-up failed (not the deliberate mistake): the run fails.
            Ok(Err(e)) => return Err(format!("probe {name}: {e}")),
            Err(panic) => {
                let text = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "a panic without a message".into());
                Probe {
                    name: name.clone(),
                    stage: Stage::Run,
                    message: Some(shorten(&text)),
                    seconds,
                    observed: Some("the tch call panicked instead of returning an error".into()),
                }
            }
        };
        eprintln!(
            "probe {}: {:?} after {:.4} s",
            probe.name, probe.stage, probe.seconds
        );
        result.probes.push(probe);
    }
    Ok(result)
}

/// Keep at most [`MAX_MESSAGE`] characters by cutting the middle.
fn shorten(message: &str) -> String {
    let message = message.trim_end();
    let chars: Vec<char> = message.chars().collect();
    if chars.len() <= MAX_MESSAGE {
        return message.to_string();
    }
    let half = MAX_MESSAGE / 2;
    let head: String = chars[..half].iter().collect();
    let tail: String = chars[chars.len() - half..].iter().collect();
    format!(
        "{head}\n[… {} characters cut …]\n{tail}",
        chars.len() - 2 * half
    )
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

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn long_messages_lose_their_middle() {
        let long = format!("{}{}", "a".repeat(3000), "b".repeat(3000));
        let s = shorten(&long);
        assert!(s.starts_with("aaa") && s.ends_with("bbb") && s.contains("characters cut"));
        assert!(s.chars().count() < 2100);
        assert_eq!(shorten("short \n"), "short");
    }
}
