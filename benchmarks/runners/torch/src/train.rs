//! The `train` task: train, evaluate, time inference, save as TorchScript and reload.

use crate::model::{cross_entropy, probabilities, Net};
use crate::optim::Optimizer;
use crate::{err, pending_info};
use benchbook_runner_common as common;
use common::protocol::{BinaryScores, Classification, Metric, RunResult, Series, Unit};
use common::{DatasetSpec, Split, TrainSpec};
use std::path::Path;
use std::time::Instant;
use tch::{Kind, Tensor};

/// Untimed single-example passes before the latency samples.
const LATENCY_WARMUP: usize = 10;
/// Untimed large-batch passes before the throughput samples.
const THROUGHPUT_WARMUP: usize = 2;
/// Reload-and-predict repetitions of the saved model.
const LOAD_REPS: usize = 5;

fn batch_tensors(split: &Split, features: usize, rows: &[usize]) -> (Tensor, Tensor) {
    let (x, y) = split.batch(features, rows);
    let y: Vec<i64> = y.into_iter().map(i64::from).collect();
    (
        Tensor::from_slice(&x).view([rows.len() as i64, features as i64]),
        Tensor::from_slice(&y),
    )
}

fn all_rows(split: &Split, features: usize) -> (Tensor, Tensor) {
    batch_tensors(split, features, &(0..split.n).collect::<Vec<_>>())
}

/// Loss (mean cross-entropy), accuracy and logits of a whole split, without autograd.
fn evaluate(net: &Net, split: &Split, features: usize) -> Result<(f64, f64, Tensor), String> {
    let _guard = tch::no_grad_guard();
    let (x, y) = all_rows(split, features);
    let logits = net.forward(&x);
    let loss = cross_entropy(&logits, &y)
        .map_err(err("evaluation loss"))?
        .double_value(&[]);
    let correct = logits
        .argmax(-1, false)
        .eq_tensor(&y)
        .sum(Kind::Int64)
        .int64_value(&[]);
    Ok((loss, correct as f64 / split.n.max(1) as f64, logits))
}

fn seconds(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn metric(result: &mut RunResult, name: &str, unit: Unit, samples: Vec<f64>) {
    result
        .metrics
        .insert(name.into(), Metric::new(unit, samples));
}

fn series(result: &mut RunResult, name: &str, unit: Unit, y: Vec<f64>) {
    let x = (1..=y.len()).map(|e| e as f64).collect();
    result.series.insert(
        name.into(),
        Series {
            unit,
            x_label: "epoch".into(),
            x,
            y,
        },
    );
}

pub fn run(spec: &TrainSpec) -> Result<RunResult, String> {
    if spec.batch_size == 0 || spec.epochs == 0 {
        return Err("batch_size and epochs must be at least 1".into());
    }
    let data = common::load_dataset(&spec.dataset, spec.seed)?;
    let features = data.features();
    let layers = common::layers(&spec.model, data.shape, data.classes.len());
    let init = common::initial_params(&layers, spec.seed);
    let mut result = RunResult::new(pending_info());

    // ---- training
    let start = Instant::now();
    let mut net = Net::new(&layers, &init, data.shape)?;
    let mut opt = Optimizer::new(&spec.optimizer, &net.params).map_err(err("optimizer state"))?;
    let mut time_to_first_step = None;
    let (mut step_times, mut train_time, mut examples) = (Vec::new(), 0.0, 0usize);
    let (mut train_loss, mut train_acc, mut val_loss, mut val_acc) =
        (vec![], vec![], vec![], vec![]);
    for epoch in 0..spec.epochs {
        let batches = common::epoch_batches(data.train.n, spec.batch_size, spec.seed, epoch);
        let steps = spec
            .max_steps_per_epoch
            .unwrap_or(usize::MAX)
            .min(batches.len());
        let (mut loss_sum, mut acc_sum) = (0.0, 0.0);
        let epoch_start = Instant::now();
        for rows in &batches[..steps] {
            let step_start = Instant::now();
            let (x, y) = batch_tensors(&data.train, features, rows);
            let logits = net.forward(&x);
            let loss = cross_entropy(&logits, &y).map_err(err("training loss"))?;
            let grad = net.gradients(&loss).map_err(err("backward"))?;
            opt.step(&mut net.params, &grad)
                .map_err(err("optimizer step"))?;
            loss_sum += loss.double_value(&[]);
            let correct = logits
                .argmax(-1, false)
                .eq_tensor(&y)
                .sum(Kind::Int64)
                .int64_value(&[]);
            acc_sum += correct as f64 / rows.len() as f64;
            step_times.push(seconds(step_start));
            time_to_first_step.get_or_insert_with(|| seconds(start));
            examples += rows.len();
        }
        train_time += seconds(epoch_start);
        train_loss.push(loss_sum / steps.max(1) as f64);
        train_acc.push(acc_sum / steps.max(1) as f64);
        let (l, a, _) = evaluate(&net, &data.val, features)?;
        val_loss.push(l);
        val_acc.push(a);
        eprintln!(
            "epoch {}: train loss {:.4} acc {:.4}, val loss {l:.4} acc {a:.4}",
            epoch + 1,
            train_loss[epoch],
            train_acc[epoch]
        );
    }
    metric(
        &mut result,
        "time_to_first_step",
        Unit::Seconds,
        vec![time_to_first_step.unwrap_or(0.0)],
    );
    metric(&mut result, "step_time", Unit::Seconds, step_times);
    metric(&mut result, "train_time", Unit::Seconds, vec![train_time]);
    metric(
        &mut result,
        "train_throughput",
        Unit::ItemsPerSecond,
        vec![examples as f64 / train_time],
    );
    let flops = 3.0 * common::forward_flops(&layers, data.shape) * examples as f64 / train_time;
    metric(
        &mut result,
        "train_gflops",
        Unit::FlopsPerSecond,
        vec![flops],
    );
    metric(
        &mut result,
        "parameters",
        Unit::Count,
        vec![common::parameter_count(&layers) as f64],
    );
    series(&mut result, "train_loss", Unit::Plain, train_loss);
    series(&mut result, "train_accuracy", Unit::Fraction, train_acc);
    series(&mut result, "val_loss", Unit::Plain, val_loss);
    series(&mut result, "val_accuracy", Unit::Fraction, val_acc);

    // ---- test set
    let (test_loss, test_acc, logits) = evaluate(&net, &data.test, features)?;
    eprintln!("test loss {test_loss:.4} accuracy {test_acc:.4}");
    metric(&mut result, "test_accuracy", Unit::Fraction, vec![test_acc]);
    metric(&mut result, "test_loss", Unit::Plain, vec![test_loss]);
    let predicted = Vec::<i64>::try_from(logits.argmax(-1, false)).map_err(err("predictions"))?;
    result.classifications.insert(
        "test".into(),
        Classification {
            classes: data.classes.clone(),
            truth: data.test.y.clone(),
            predicted: predicted.iter().map(|&p| p as u32).collect(),
        },
    );
    if matches!(
        spec.dataset,
        DatasetSpec::Digits {
            one_vs_rest: Some(_),
            ..
        }
    ) {
        let probs = probabilities(&logits)?;
        result.scores.insert(
            "test".into(),
            BinaryScores {
                positive: data.classes[1].clone(),
                truth: data.test.y.iter().map(|&y| y == 1).collect(),
                scores: probs.iter().map(|p| p[1]).collect(),
            },
        );
    }

    // ---- inference
    let _guard = tch::no_grad_guard();
    let infer = |rows: &[usize]| -> Result<Vec<f32>, String> {
        let (x, _) = batch_tensors(&data.test, features, rows);
        Vec::<f32>::try_from(net.forward(&x).flatten(0, -1)).map_err(err("inference"))
    };
    if spec.latency_samples > 0 {
        let mut samples = Vec::with_capacity(spec.latency_samples);
        for i in 0..LATENCY_WARMUP + spec.latency_samples {
            let t = Instant::now();
            infer(&[i % data.test.n])?;
            if i >= LATENCY_WARMUP {
                samples.push(seconds(t));
            }
        }
        metric(&mut result, "latency_b1", Unit::Seconds, samples);
    }
    if spec.throughput_batch > 0 && spec.throughput_reps > 0 {
        let rows: Vec<usize> = (0..spec.throughput_batch)
            .map(|i| i % data.test.n)
            .collect();
        let mut samples = Vec::with_capacity(spec.throughput_reps);
        for i in 0..THROUGHPUT_WARMUP + spec.throughput_reps {
            let t = Instant::now();
            infer(&rows)?;
            if i >= THROUGHPUT_WARMUP {
                samples.push(rows.len() as f64 / seconds(t));
            }
        }
        metric(
            &mut result,
            "infer_throughput",
            Unit::ItemsPerSecond,
            samples,
        );
    }

    // ---- saved model
    if spec.save_model {
        let dir = tempfile::Builder::new()
            .prefix("benchbook-torch-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?;
        let path = dir.path().join("model.pt");
        let example = batch_tensors(&data.test, features, &[0]).0;
        let expected =
            Vec::<f32>::try_from(net.forward(&example).flatten(0, -1)).map_err(err("inference"))?;
        save_torchscript(&net, &example, &path)?;
        let size = std::fs::metadata(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .len();
        metric(&mut result, "model_size", Unit::Bytes, vec![size as f64]);
        let mut samples = Vec::with_capacity(LOAD_REPS);
        for _ in 0..LOAD_REPS {
            let t = Instant::now();
            let module = tch::CModule::load(&path).map_err(err("loading the saved model"))?;
            let out = module
                .forward_ts(&[&example])
                .map_err(err("running the reloaded model"))?;
            let got =
                Vec::<f32>::try_from(out.flatten(0, -1)).map_err(err("reloaded prediction"))?;
            samples.push(seconds(t));
            let worst = got
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            if got.len() != expected.len() || worst > 1e-5 {
                return Err(format!(
                    "the reloaded model predicts {got:?}, the trained one {expected:?}"
                ));
            }
        }
        metric(&mut result, "model_load_time", Unit::Seconds, samples);
        result.info.insert(
            "model_format".into(),
            "TorchScript (traced forward, parameters as constants; torch.jit.save zip)".into(),
        );
    }

    result
        .info
        .insert("dataset".into(), data.source.clone().into());
    result.info.insert(
        "optimizer_arithmetic".into(),
        "TensorFlow's ApplyAdam / ApplyMomentum, written with libtorch tensor ops (eps outside the bias correction)"
            .into(),
    );
    result.info.insert(
        "step_time_covers".into(),
        "batch gather and tensor creation, forward, loss, backward (torch.autograd.grad), update, loss and accuracy read-out"
            .into(),
    );
    Ok(result)
}

/// Trace `net` on `example` and save it as TorchScript.
fn save_torchscript(net: &Net, example: &Tensor, path: &Path) -> Result<(), String> {
    // The tracer refuses constants that require grad: trace a detached view of the weights.
    let frozen = net.detached();
    let module = tch::CModule::create_by_tracing(
        "BenchbookNet",
        "forward",
        std::slice::from_ref(example),
        &mut |x| vec![frozen.forward(&x[0])],
    )
    .map_err(err("tracing the model"))?;
    module.save(path).map_err(err("saving the model"))
}
