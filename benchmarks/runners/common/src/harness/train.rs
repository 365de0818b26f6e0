//! The `train` task: train with the shared data and batch order, evaluate every epoch and on
//! the test set, time inference, save the model and time reloading it. Every timer is here;
//! the runner's [`Trainer`] does the framework's work inside them.

use super::{new_result, seconds, Predict, Runner, TempDir, Trainer};
use crate::metrics::{self as names, MetricDef, SeriesDef};
use crate::protocol::{BinaryScores, Classification, RunResult, Series};
use crate::{warmup, DatasetSpec, TrainSpec};
use std::time::Instant;

pub fn run<R: Runner>(runner: &mut R, spec: &TrainSpec) -> Result<RunResult, String> {
    if spec.batch_size == 0 || spec.epochs == 0 {
        return Err("batch_size and epochs must be at least 1".into());
    }
    if spec.max_steps_per_epoch == Some(0) {
        return Err("max_steps_per_epoch must be at least 1".into());
    }
    runner.check_train(spec)?;
    let data = crate::load_dataset(&spec.dataset, spec.seed)?;
    let features = data.features();
    let classes = data.classes.len();
    let layers = crate::layers(&spec.model, data.shape, classes);
    let init = crate::initial_params(&layers, spec.seed);
    let mut result = new_result();

    // ---- training (regions::TIME_TO_FIRST_STEP starts before the model is built)
    let start = Instant::now();
    let mut trainer = runner.trainer(&super::ModelSetup {
        layers: &layers,
        init: &init,
        shape: data.shape,
        classes,
        optimizer: &spec.optimizer,
        threads: spec.threads,
        start,
    })?;
    // The initial weights as the model holds them (read back, off the clock), else as given.
    let readback = Instant::now();
    let (weights_digest, weights_from) = match trainer.initial_weights()? {
        Some(params) => (crate::canonical::digests::initial_weights(&params), "model"),
        None => (crate::canonical::digests::initial_weights(&init), "given"),
    };
    let start = start + readback.elapsed();
    let mut batch_order = crate::canonical::digests::BatchOrder::default();
    let mut time_to_first_step = None;
    let (mut step_times, mut step_examples, mut train_time) = (Vec::new(), Vec::new(), 0.0);
    let (mut train_loss, mut train_acc, mut val_loss, mut val_acc) =
        (vec![], vec![], vec![], vec![]);
    for epoch in 0..spec.epochs {
        let batches = crate::canonical::epoch_batches(spec, data.train.n, epoch);
        let (mut loss_sum, mut acc_sum) = (0.0, 0.0);
        let epoch_start = Instant::now();
        for rows in &batches {
            // regions::TRAIN_STEP
            let step_start = Instant::now();
            let (xb, yb) = data.train.batch(features, rows);
            let out = trainer.step(&xb, &yb, features)?;
            step_times.push(seconds(step_start));
            time_to_first_step.get_or_insert_with(|| seconds(start));
            loss_sum += out.loss;
            acc_sum += crate::accuracy(&out.predicted, &yb);
            step_examples.push(rows.len());
            batch_order.add(rows);
        }
        // regions::TRAIN_LOOP: the steps and the bookkeeping between them, not validation.
        train_time += seconds(epoch_start);
        train_loss.push(loss_sum / batches.len() as f64);
        train_acc.push(acc_sum / batches.len() as f64);
        let val = trainer.evaluate(&data.val, features, false)?;
        val_loss.push(val.loss);
        val_acc.push(crate::accuracy(&val.predicted, &data.val.y));
        eprintln!(
            "epoch {}: train loss {:.4} acc {:.4}, val loss {:.4} acc {:.4}",
            epoch + 1,
            train_loss[epoch],
            train_acc[epoch],
            val_loss[epoch],
            val_acc[epoch]
        );
    }
    trainer.info(time_to_first_step, &mut result.info);
    result.info.insert(
        "inputs".into(),
        serde_json::json!({
            "initial_weights_sha256": weights_digest,
            "initial_weights_from": weights_from,
            "batch_order_sha256": batch_order.finish(),
        }),
    );
    let m = &mut result.metrics;
    let mut put = |def: MetricDef, samples: Vec<f64>| {
        m.insert(def.name.into(), def.metric(samples));
    };
    put(
        names::TIME_TO_FIRST_STEP,
        vec![time_to_first_step.unwrap_or_default()],
    );
    if let Some(&first) = step_times.first() {
        put(names::FIRST_STEP_TIME, vec![first]);
    }
    put(names::STEP_TIME, step_times.clone());
    put(names::TRAIN_TIME, vec![train_time]);
    let flops = crate::forward_flops(&layers, data.shape);
    if let Some((per_second, flop_rate)) =
        crate::steady_throughput(&step_times, &step_examples, warmup::STEPS, flops)
    {
        put(names::TRAIN_THROUGHPUT, vec![per_second]);
        put(names::TRAIN_GFLOPS, vec![flop_rate]);
    }
    put(
        names::PARAMETERS,
        vec![crate::parameter_count(&layers) as f64],
    );
    for (def, y) in [
        (names::TRAIN_LOSS, train_loss),
        (names::TRAIN_ACCURACY, train_acc),
        (names::VAL_LOSS, val_loss),
        (names::VAL_ACCURACY, val_acc),
    ] {
        put_series(&mut result, def, y);
    }

    // ---- test set: accuracy, loss, every prediction, and scores on a one-vs-rest task
    let one_vs_rest = matches!(
        spec.dataset,
        DatasetSpec::Digits {
            one_vs_rest: Some(_),
            ..
        }
    );
    let test = trainer.evaluate(&data.test, features, one_vs_rest)?;
    let test_acc = crate::accuracy(&test.predicted, &data.test.y);
    eprintln!("test loss {:.4} accuracy {test_acc:.4}", test.loss);
    let m = &mut result.metrics;
    m.insert(
        names::TEST_ACCURACY.name.into(),
        names::TEST_ACCURACY.one(test_acc),
    );
    m.insert(
        names::TEST_LOSS.name.into(),
        names::TEST_LOSS.one(test.loss),
    );
    let test_classes = Classification {
        classes: data.classes.clone(),
        truth: data.test.y.clone(),
        predicted: test.predicted.iter().map(|&p| p as u32).collect(),
    };
    result
        .classifications
        .extend(crate::leak_splits(&test_classes, &data.test_leaked));
    result
        .classifications
        .insert(names::TEST.into(), test_classes);
    if one_vs_rest {
        result.scores.insert(
            names::TEST.into(),
            BinaryScores {
                positive: data.classes[1].clone(),
                truth: data.test.y.iter().map(|&y| y == 1).collect(),
                scores: test
                    .probabilities
                    .chunks(classes.max(1))
                    .map(|p| p[1])
                    .collect(),
            },
        );
    }

    // ---- inference: single rows (latency), then one large batch (throughput)
    runner.inference_only();
    if spec.latency_samples > 0 {
        let mut samples = Vec::with_capacity(warmup::LATENCY + spec.latency_samples);
        for i in 0..warmup::LATENCY + spec.latency_samples {
            // regions::LATENCY
            let t = Instant::now();
            let x = data.test.inputs(features, &[i % data.test.n]);
            trainer.predict(&x, features)?;
            samples.push(seconds(t));
        }
        let def = names::LATENCY_B1;
        result.metrics.insert(def.name.into(), def.metric(samples));
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
            trainer.predict(&x, features)?;
            samples.push(rows.len() as f64 / seconds(t));
        }
        let def = names::INFER_THROUGHPUT;
        result.metrics.insert(def.name.into(), def.metric(samples));
    }

    // ---- saved model: size, then warm reloads in this process
    if spec.save_model {
        let row = data.test.inputs(features, &[0]);
        let expected = trainer.predict(&row, features)?;
        let tmp = TempDir::new(R::NAME)?;
        let dir = tmp.0.join("model");
        trainer.save(&dir, &row)?;
        let path = R::model_path(&dir);
        let size = crate::dir_size(&path) as f64;
        result
            .metrics
            .insert(names::MODEL_SIZE.name.into(), names::MODEL_SIZE.one(size));
        let mut samples = Vec::with_capacity(crate::RELOADS);
        for _ in 0..crate::RELOADS {
            // regions::MODEL_RELOAD
            let t = Instant::now();
            let mut loaded = runner.load(&path, spec.threads)?;
            let got = loaded.predict(&row, features)?;
            samples.push(seconds(t));
            if !same_logits::<R>(&got, &expected) {
                return Err(format!(
                    "the reloaded model predicts {got:?}, the trained one {expected:?}"
                ));
            }
        }
        let def = names::MODEL_LOAD_TIME;
        result.metrics.insert(def.name.into(), def.metric(samples));
        result
            .info
            .insert("model_format".into(), R::MODEL_FORMAT.into());
    }
    result
        .info
        .insert("dataset".into(), data.source.clone().into());
    Ok(result)
}

/// Whether a reloaded model's logits are the trained one's, within the runner's tolerance
/// (a NaN compares as within: a diverged model reloads as NaN too).
fn same_logits<R: Runner>(got: &[f32], expected: &[f32]) -> bool {
    let (abs, rel) = R::RELOAD_TOLERANCE;
    got.len() == expected.len()
        && !got
            .iter()
            .zip(expected)
            .any(|(a, b)| (a - b).abs() > abs + rel * b.abs())
}

fn put_series(result: &mut RunResult, def: SeriesDef, y: Vec<f64>) {
    result.series.insert(
        def.name.into(),
        Series {
            unit: def.unit,
            x_label: names::EPOCH.into(),
            x: (1..=y.len()).map(|e| e as f64).collect(),
            y,
        },
    );
}
