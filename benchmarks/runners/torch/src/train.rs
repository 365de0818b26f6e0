//! The `train` task: train, evaluate, time inference, save as TorchScript and reload.

use crate::model::{cross_entropy, probabilities, Net};
use crate::optim::Optimizer;
use crate::{err, pending_info};
use benchbook_runner_common as common;
use common::protocol::{BinaryScores, Classification, Metric, RunResult, Series, Unit};
use common::{regions, warmup, DatasetSpec, Split, TrainSpec};
use std::path::Path;
use std::time::Instant;
use tch::{Kind, Tensor};

fn batch_tensors(split: &Split, features: usize, rows: &[usize]) -> (Tensor, Tensor) {
    let (x, y) = split.batch(features, rows);
    let y: Vec<i64> = y.into_iter().map(i64::from).collect();
    (
        Tensor::from_slice(&x).view([rows.len() as i64, features as i64]),
        Tensor::from_slice(&y),
    )
}

/// The input tensor `[rows, features]` of `x` (a buffer of whole rows).
fn input_tensor(x: &[f32], features: usize) -> Tensor {
    Tensor::from_slice(x).view([(x.len() / features.max(1)) as i64, features as i64])
}

/// One prediction: copy `x` (whole rows) into a new input tensor, run `forward`, copy the
/// logits to the host. The work every timed inference region covers.
pub fn predict(
    x: &[f32],
    features: usize,
    forward: impl FnOnce(&Tensor) -> Result<Tensor, String>,
) -> Result<Vec<f32>, String> {
    let logits = forward(&input_tensor(x, features))?;
    Vec::<f32>::try_from(logits.flatten(0, -1)).map_err(err("copying the logits to the host"))
}

/// Load a saved TorchScript model (the load timed in model_load_time and cold_load_time).
pub fn load_model(path: &Path) -> Result<tch::CModule, String> {
    tch::CModule::load(path).map_err(err("loading the saved model"))
}

/// Run a loaded model on an input tensor.
pub fn run_loaded(module: &tch::CModule, x: &Tensor) -> Result<Tensor, String> {
    module
        .forward_ts(&[x])
        .map_err(err("running the reloaded model"))
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

pub fn seconds(t: Instant) -> f64 {
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
    spec.refuse_tensorflow_keys()?;
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
    let (mut step_times, mut step_examples, mut train_time) = (Vec::new(), Vec::new(), 0.0);
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
            // regions::TRAIN_STEP
            let step_start = Instant::now();
            let (xb, yb) = data.train.batch(features, rows);
            let x = input_tensor(&xb, features);
            let y = Tensor::from_slice(&yb.iter().map(|&l| i64::from(l)).collect::<Vec<_>>());
            let logits = net.forward(&x);
            let loss = cross_entropy(&logits, &y).map_err(err("training loss"))?;
            let grad = net.gradients(&loss).map_err(err("backward"))?;
            opt.step(&mut net.params, &grad)
                .map_err(err("optimizer step"))?;
            let predicted =
                Vec::<i64>::try_from(logits.argmax(-1, false)).map_err(err("predictions"))?;
            let loss = loss.double_value(&[]);
            step_times.push(seconds(step_start));
            time_to_first_step.get_or_insert_with(|| seconds(start));
            loss_sum += loss;
            acc_sum += common::accuracy(&predicted, &yb);
            step_examples.push(rows.len());
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
    let timed = |unit, samples, region| Metric::new(unit, samples).with_region(region);
    let m = &mut result.metrics;
    m.insert(
        "time_to_first_step".into(),
        timed(
            Unit::Seconds,
            vec![time_to_first_step.unwrap_or(0.0)],
            regions::TIME_TO_FIRST_STEP,
        ),
    );
    if let Some(&first) = step_times.first() {
        m.insert(
            "first_step_time".into(),
            timed(Unit::Seconds, vec![first], regions::FIRST_STEP),
        );
    }
    m.insert(
        "step_time".into(),
        timed(Unit::Seconds, step_times.clone(), regions::TRAIN_STEP).with_warmup(warmup::STEPS),
    );
    m.insert(
        "train_time".into(),
        timed(Unit::Seconds, vec![train_time], regions::TRAIN_LOOP),
    );
    let flops = common::forward_flops(&layers, data.shape);
    if let Some((per_second, flop_rate)) =
        common::steady_throughput(&step_times, &step_examples, warmup::STEPS, flops)
    {
        m.insert(
            "train_throughput".into(),
            timed(
                Unit::ItemsPerSecond,
                vec![per_second],
                regions::TRAIN_STEADY,
            ),
        );
        m.insert(
            "train_gflops".into(),
            timed(
                Unit::FlopsPerSecond,
                vec![flop_rate],
                regions::TRAIN_STEADY_FLOPS,
            ),
        );
    }
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
    let test_classes = result.classifications["test"].clone();
    result
        .classifications
        .extend(common::leak_splits(&test_classes, &data.test_leaked));
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
    let forward = |x: &Tensor| Ok(net.forward(x));
    if spec.latency_samples > 0 {
        let mut samples = Vec::with_capacity(warmup::LATENCY + spec.latency_samples);
        for i in 0..warmup::LATENCY + spec.latency_samples {
            // regions::LATENCY
            let t = Instant::now();
            let x = data.test.inputs(features, &[i % data.test.n]);
            predict(&x, features, forward)?;
            samples.push(seconds(t));
        }
        result.metrics.insert(
            "latency_b1".into(),
            Metric::new(Unit::Seconds, samples)
                .with_warmup(warmup::LATENCY)
                .with_region(regions::LATENCY),
        );
    }
    if spec.throughput_batch > 0 && spec.throughput_reps > 0 {
        let rows: Vec<usize> = (0..spec.throughput_batch)
            .map(|i| i % data.test.n)
            .collect();
        let mut samples = Vec::with_capacity(warmup::INFER_BATCHES + spec.throughput_reps);
        for _ in 0..warmup::INFER_BATCHES + spec.throughput_reps {
            // regions::INFER_BATCH
            let t = Instant::now();
            let x = data.test.inputs(features, &rows);
            predict(&x, features, forward)?;
            samples.push(rows.len() as f64 / seconds(t));
        }
        result.metrics.insert(
            "infer_throughput".into(),
            Metric::new(Unit::ItemsPerSecond, samples)
                .with_warmup(warmup::INFER_BATCHES)
                .with_region(regions::INFER_BATCH),
        );
    }

    // ---- saved model
    if spec.save_model {
        let dir = tempfile::Builder::new()
            .prefix("benchbook-torch-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?;
        let path = dir.path().join("model.pt");
        let row = data.test.inputs(features, &[0]);
        let expected = predict(&row, features, forward)?;
        save_torchscript(&net, &input_tensor(&row, features), &path)?;
        let size = std::fs::metadata(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .len();
        metric(&mut result, "model_size", Unit::Bytes, vec![size as f64]);
        let mut samples = Vec::with_capacity(common::RELOADS);
        for _ in 0..common::RELOADS {
            // regions::MODEL_RELOAD
            let t = Instant::now();
            let module = load_model(&path)?;
            let got = predict(&row, features, |x| run_loaded(&module, x))?;
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
        result.metrics.insert(
            "model_load_time".into(),
            Metric::new(Unit::Seconds, samples)
                .with_warmup(warmup::RELOADS)
                .with_region(regions::MODEL_RELOAD),
        );
        result
            .info
            .insert("model_format".into(), MODEL_FORMAT.into());
    }

    result
        .info
        .insert("dataset".into(), data.source.clone().into());
    result.info.insert(
        "optimizer_arithmetic".into(),
        "TensorFlow's ApplyAdam / ApplyMomentum, run by ATen's fused CPU kernels \
         (_fused_adam_ / _fused_sgd_, as torch.optim.Adam(fused=True) / SGD(fused=True)); \
         Adam's eps passed as eps/sqrt(1-beta2^t) so that it sits outside the bias correction"
            .into(),
    );
    Ok(result)
}

/// How the model is saved (train and cold_start).
pub const MODEL_FORMAT: &str =
    "TorchScript (traced forward, parameters as constants; torch.jit.save zip)";

/// Trace `net` on `example` and save it as TorchScript.
pub fn save_torchscript(net: &Net, example: &Tensor, path: &Path) -> Result<(), String> {
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
