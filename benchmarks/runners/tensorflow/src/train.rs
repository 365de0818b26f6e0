//! The `train` task: build the graph, train with the shared batch order, evaluate, time
//! inference, save a SavedModel and time loading it back.

use crate::graph::{self, TrainGraph};
use crate::{new_result, session_options, Context};
use benchbook_runner_common::{
    self as common, protocol, regions, warmup, DatasetSpec, OptimizerSpec, Split, TrainSpec,
};
use protocol::{BinaryScores, Classification, Metric, RunResult, Series, Unit};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tensorflow::{
    DataType, SavedModelBuilder, SavedModelBundle, Session, SessionRunArgs, SignatureDef, Tensor,
    TensorInfo,
};

/// What a run of the graph on one batch gives back.
struct Outcome {
    loss: f32,
    predicted: Vec<i64>,
    /// Softmax probabilities `[n, classes]`, when asked for.
    probabilities: Vec<f32>,
}

/// Run one optimizer step on a batch. `t` is Adam's 1-based step number.
fn train_step(
    session: &Session,
    g: &TrainGraph,
    x: &Tensor<f32>,
    y: &Tensor<i32>,
    t: i32,
    optimizer: &OptimizerSpec,
) -> Result<Outcome, String> {
    let powers;
    let mut args = SessionRunArgs::new();
    args.add_feed(&g.x, 0, x);
    args.add_feed(&g.labels, 0, y);
    if let (Some((b1p, b2p)), OptimizerSpec::Adam { beta1, beta2, .. }) =
        (&g.beta_powers, optimizer)
    {
        powers = (
            Tensor::from(beta1.powi(t) as f32),
            Tensor::from(beta2.powi(t) as f32),
        );
        args.add_feed(b1p, 0, &powers.0);
        args.add_feed(b2p, 0, &powers.1);
    }
    args.add_target(&g.train);
    let loss = args.request_fetch(&g.loss.operation, g.loss.index);
    let predicted = args.request_fetch(&g.predicted.operation, g.predicted.index);
    session.run(&mut args).ctx("training step")?;
    let loss = args.fetch::<f32>(loss).ctx("fetching the loss")?[0];
    let predicted = args
        .fetch::<i64>(predicted)
        .ctx("fetching predictions")?
        .to_vec();
    Ok(Outcome {
        loss,
        predicted,
        probabilities: Vec::new(),
    })
}

/// Loss, predictions (and probabilities) of the model on a whole split, without training.
fn evaluate(
    session: &Session,
    g: &TrainGraph,
    split: &Split,
    features: usize,
    probabilities: bool,
) -> Result<Outcome, String> {
    let x = graph::tensor_f32(&[split.n, features], &split.x).ctx("input tensor")?;
    let y = graph::labels_tensor(&split.y).ctx("label tensor")?;
    let mut args = SessionRunArgs::new();
    args.add_feed(&g.x, 0, &x);
    args.add_feed(&g.labels, 0, &y);
    let loss = args.request_fetch(&g.loss.operation, g.loss.index);
    let predicted = args.request_fetch(&g.predicted.operation, g.predicted.index);
    let probs = probabilities
        .then(|| args.request_fetch(&g.probabilities.operation, g.probabilities.index));
    session.run(&mut args).ctx("evaluation")?;
    Ok(Outcome {
        loss: args.fetch::<f32>(loss).ctx("fetching the loss")?[0],
        predicted: args
            .fetch::<i64>(predicted)
            .ctx("fetching predictions")?
            .to_vec(),
        probabilities: match probs {
            Some(p) => args.fetch::<f32>(p).ctx("fetching probabilities")?.to_vec(),
            None => Vec::new(),
        },
    })
}

/// Logits of the model for `x` (`rows` examples).
fn logits(
    session: &Session,
    input: &tensorflow::Operation,
    output: &tensorflow::Output,
    x: &Tensor<f32>,
) -> Result<Tensor<f32>, String> {
    let mut args = SessionRunArgs::new();
    args.add_feed(input, 0, x);
    let token = args.request_fetch(&output.operation, output.index);
    session.run(&mut args).ctx("inference")?;
    args.fetch::<f32>(token).ctx("fetching logits")
}

/// One prediction: copy `x` (whole rows) into a new input tensor, run the model, copy the
/// logits to the host. The work every timed inference region covers.
pub(crate) fn predict(
    session: &Session,
    input: &tensorflow::Operation,
    output: &tensorflow::Output,
    x: &[f32],
    features: usize,
) -> Result<Vec<f32>, String> {
    let x = graph::tensor_f32(&[x.len() / features.max(1), features], x).ctx("input tensor")?;
    Ok(logits(session, input, output, &x)?.to_vec())
}

fn one(unit: Unit, value: f64) -> Metric {
    Metric::new(unit, vec![value])
}

pub fn run(spec: &TrainSpec) -> Result<RunResult, String> {
    if spec.batch_size == 0 || spec.epochs == 0 {
        return Err("batch_size and epochs must be at least 1".into());
    }
    let data = common::load_dataset(&spec.dataset, spec.seed)?;
    let features = data.features();
    let classes = data.classes.len();
    let layers = common::layers(&spec.model, data.shape, classes);
    let init = common::initial_params(&layers, spec.seed);
    let mut result = new_result();

    // Graph construction, session creation and variable initialisation count towards the
    // time to the first step.
    let start = Instant::now();
    let g = graph::build_train(&layers, data.shape, classes, &init, &spec.optimizer)
        .ctx("building the training graph")?;
    let built = start.elapsed().as_secs_f64();
    let options = session_options(spec.threads)?;
    let session = Session::new(&options, &g.scope.graph()).ctx("creating the session")?;
    let created = start.elapsed().as_secs_f64();
    let mut init_args = SessionRunArgs::new();
    for op in &g.init {
        init_args.add_target(op);
    }
    session
        .run(&mut init_args)
        .ctx("initialising the variables")?;
    let initialised = start.elapsed().as_secs_f64();

    let (mut step_times, mut step_examples) = (Vec::new(), Vec::new());
    let mut time_to_first_step = None;
    let mut train_seconds = 0.0;
    let mut t = 0i32;
    let (mut train_loss, mut train_acc, mut val_loss, mut val_acc) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for epoch in 0..spec.epochs {
        let mut batches = common::epoch_batches(data.train.n, spec.batch_size, spec.seed, epoch);
        if let Some(max) = spec.max_steps_per_epoch {
            batches.truncate(max.max(1));
        }
        let epoch_start = Instant::now();
        let (mut loss_sum, mut acc_sum) = (0.0, 0.0);
        for rows in &batches {
            // regions::TRAIN_STEP
            let step_start = Instant::now();
            let (xb, yb) = data.train.batch(features, rows);
            let x = graph::tensor_f32(&[rows.len(), features], &xb).ctx("batch tensor")?;
            let y = graph::labels_tensor(&yb).ctx("label tensor")?;
            t += 1;
            let out = train_step(&session, &g, &x, &y, t, &spec.optimizer)?;
            step_times.push(step_start.elapsed().as_secs_f64());
            if time_to_first_step.is_none() {
                time_to_first_step = Some(start.elapsed().as_secs_f64());
            }
            loss_sum += out.loss as f64;
            acc_sum += common::accuracy(&out.predicted, &yb);
            step_examples.push(rows.len());
        }
        train_seconds += epoch_start.elapsed().as_secs_f64();
        train_loss.push(loss_sum / batches.len() as f64);
        train_acc.push(acc_sum / batches.len() as f64);
        let val = evaluate(&session, &g, &data.val, features, false)?;
        val_loss.push(val.loss as f64);
        val_acc.push(common::accuracy(&val.predicted, &data.val.y));
        eprintln!(
            "epoch {}: train loss {:.4} acc {:.4}, val loss {:.4} acc {:.4}",
            epoch + 1,
            train_loss[epoch],
            train_acc[epoch],
            val_loss[epoch],
            val_acc[epoch]
        );
    }

    if let Some(first) = time_to_first_step {
        // Where the time to the first step goes (the first run also optimises the graph).
        result.info.insert(
            "first_step_breakdown_s".into(),
            json!({"build_graph": built, "create_session": created - built,
                   "initialise_variables": initialised - created, "first_step": first - initialised}),
        );
    }
    let timed = |unit, samples, region| Metric::new(unit, samples).with_region(region);
    let m = &mut result.metrics;
    m.insert(
        "time_to_first_step".into(),
        timed(
            Unit::Seconds,
            vec![time_to_first_step.unwrap_or_default()],
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
        timed(Unit::Seconds, vec![train_seconds], regions::TRAIN_LOOP),
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
    m.insert(
        "parameters".into(),
        one(Unit::Count, common::parameter_count(&layers) as f64),
    );

    let epochs_x: Vec<f64> = (1..=spec.epochs).map(|e| e as f64).collect();
    for (name, unit, y) in [
        ("train_loss", Unit::Plain, train_loss),
        ("val_loss", Unit::Plain, val_loss),
        ("train_accuracy", Unit::Fraction, train_acc),
        ("val_accuracy", Unit::Fraction, val_acc),
    ] {
        result.series.insert(
            name.into(),
            Series {
                unit,
                x_label: "epoch".into(),
                x: epochs_x.clone(),
                y,
            },
        );
    }

    // Test set: accuracy, loss, every prediction, and scores on a one-vs-rest task.
    let test = evaluate(&session, &g, &data.test, features, true)?;
    let m = &mut result.metrics;
    m.insert(
        "test_accuracy".into(),
        one(
            Unit::Fraction,
            common::accuracy(&test.predicted, &data.test.y),
        ),
    );
    m.insert("test_loss".into(), one(Unit::Plain, test.loss as f64));
    result.classifications.insert(
        "test".into(),
        Classification {
            classes: data.classes.clone(),
            truth: data.test.y.clone(),
            predicted: test.predicted.iter().map(|&p| p as u32).collect(),
        },
    );
    let test_classes = result.classifications["test"].clone();
    result
        .classifications
        .extend(benchbook_runner_common::leak_splits(
            &test_classes,
            &data.test_leaked,
        ));
    if matches!(
        spec.dataset,
        DatasetSpec::Digits {
            one_vs_rest: Some(_),
            ..
        }
    ) {
        result.scores.insert(
            "test".into(),
            BinaryScores {
                positive: data.classes[1].clone(),
                truth: data.test.y.iter().map(|&l| l == 1).collect(),
                scores: test
                    .probabilities
                    .chunks(classes)
                    .map(|p| p[1] as f64)
                    .collect(),
            },
        );
    }

    // Inference: single examples (latency), then one large batch (throughput).
    if spec.latency_samples > 0 {
        let mut samples = Vec::with_capacity(warmup::LATENCY + spec.latency_samples);
        for i in 0..warmup::LATENCY + spec.latency_samples {
            // regions::LATENCY
            let begin = Instant::now();
            let x = data.test.inputs(features, &[i % data.test.n]);
            predict(&session, &g.x, &g.logits, &x, features)?;
            samples.push(begin.elapsed().as_secs_f64());
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
            let begin = Instant::now();
            let x = data.test.inputs(features, &rows);
            predict(&session, &g.x, &g.logits, &x, features)?;
            samples.push(rows.len() as f64 / begin.elapsed().as_secs_f64());
        }
        result.metrics.insert(
            "infer_throughput".into(),
            Metric::new(Unit::ItemsPerSecond, samples)
                .with_warmup(warmup::INFER_BATCHES)
                .with_region(regions::INFER_BATCH),
        );
    }

    if spec.save_model {
        let row = data.test.inputs(features, &[0]);
        let expected = predict(&session, &g.x, &g.logits, &row, features)?;
        let dir = TempDir::new()?;
        let model_dir = dir.0.join("model");
        save_model(
            &session,
            &g,
            &layers,
            data.shape,
            &init,
            spec.threads,
            &model_dir,
        )?;
        result.metrics.insert(
            "model_size".into(),
            one(Unit::Bytes, common::dir_size(&model_dir) as f64),
        );
        let mut loads = Vec::with_capacity(common::RELOADS);
        for _ in 0..common::RELOADS {
            // regions::MODEL_RELOAD
            let begin = Instant::now();
            let loaded = Loaded::load(&model_dir, spec.threads)?;
            let got = loaded.predict(&row, features)?;
            loads.push(begin.elapsed().as_secs_f64());
            if got
                .iter()
                .zip(&expected)
                .any(|(a, b)| (a - b).abs() > 1e-4 * (1.0 + b.abs()))
            {
                return Err(format!(
                    "the reloaded model predicts {got:?}, the trained one {expected:?}"
                ));
            }
        }
        result.metrics.insert(
            "model_load_time".into(),
            Metric::new(Unit::Seconds, loads)
                .with_warmup(warmup::RELOADS)
                .with_region(regions::MODEL_RELOAD),
        );
        result
            .info
            .insert("model_format".into(), json!(MODEL_FORMAT));
    }

    result.info.insert("dataset".into(), json!(data.source));
    result.info.insert(
        "optimizer_formula".into(),
        json!(match spec.optimizer {
            OptimizerSpec::Adam { .. } => "ApplyAdam: m+=(g-m)(1-b1); v+=(g^2-v)(1-b2); lr_t=lr*sqrt(1-b2^t)/(1-b1^t); w-=lr_t*m/(sqrt(v)+eps)",
            OptimizerSpec::Sgd { .. } => "ApplyMomentum: a=momentum*a+g; w-=lr*a",
        }),
    );
    Ok(result)
}

/// How the model is saved (train and cold_start).
pub(crate) const MODEL_FORMAT: &str = "TensorFlow SavedModel (inference graph + variables checkpoint, tag \"serve\", signature \"serving_default\")";

/// Save the trained weights as a SavedModel holding only the inference graph.
pub(crate) fn save_model(
    session: &Session,
    g: &TrainGraph,
    layers: &[common::Layer],
    shape: [usize; 3],
    init: &[common::InitParams],
    threads: u32,
    dir: &Path,
) -> Result<(), String> {
    // The trained values, read out of the training session.
    let mut args = SessionRunArgs::new();
    let tokens: Vec<_> = g
        .params
        .iter()
        .map(|v| args.request_fetch(&v.output().operation, v.output().index))
        .collect();
    session.run(&mut args).ctx("reading the trained weights")?;
    let values: Vec<Tensor<f32>> = tokens
        .into_iter()
        .map(|t| args.fetch::<f32>(t))
        .collect::<Result<_, _>>()
        .ctx("reading the trained weights")?;

    let shapes: Vec<Vec<usize>> = init
        .iter()
        .flat_map(|p| [p.weight_shape.clone(), vec![p.bias.len()]])
        .collect();
    let mut serve =
        graph::build_serve(layers, shape, &shapes).ctx("building the inference graph")?;
    let mut signature = SignatureDef::new("tensorflow/serving/predict".into());
    let features = (shape[0] * shape[1] * shape[2]) as i64;
    signature.add_input_info(
        "x".into(),
        TensorInfo::new(
            DataType::Float,
            tensorflow::Shape::from(Some(vec![None, Some(features)])),
            serve
                .x
                .name()
                .map(|n| tensorflow::OutputName { name: n, index: 0 })
                .ctx("input name")?,
        ),
    );
    signature.add_output_info(
        "logits".into(),
        TensorInfo::new(
            DataType::Float,
            tensorflow::Shape::from(None),
            serve.logits.name().ctx("output name")?,
        ),
    );
    let mut builder = SavedModelBuilder::new();
    builder
        .add_collection("variables", &serve.vars)
        .add_tag("serve")
        .add_signature("serving_default", signature);
    let saver = builder
        .inject(&mut serve.scope)
        .ctx("adding the save ops")?;

    let serve_session = Session::new(&session_options(threads)?, &serve.scope.graph())
        .ctx("creating the inference session")?;
    let mut init_args = SessionRunArgs::new();
    for ((var, feed), value) in serve.vars.iter().zip(&serve.feeds).zip(&values) {
        init_args.add_feed(feed, 0, value);
        init_args.add_target(var.initializer());
    }
    serve_session
        .run(&mut init_args)
        .ctx("loading the trained weights into the inference graph")?;
    let saved = saver.save(&serve_session, &serve.scope.graph(), dir);
    saved.map_err(|e| format!("saving the model to {}: {e}", dir.display()))
}

/// A SavedModel loaded into a fresh graph and session, its input and output looked up.
pub(crate) struct Loaded {
    // Dropped before the graph it runs.
    bundle: SavedModelBundle,
    _graph: tensorflow::Graph,
    input: tensorflow::Operation,
    output: tensorflow::Output,
}

impl Loaded {
    /// The load timed in model_load_time and cold_load_time.
    pub(crate) fn load(dir: &Path, threads: u32) -> Result<Loaded, String> {
        let mut graph = tensorflow::Graph::new();
        let bundle = SavedModelBundle::load(&session_options(threads)?, ["serve"], &mut graph, dir)
            .ctx("loading the saved model")?;
        let signature = bundle
            .meta_graph_def()
            .get_signature("serving_default")
            .ctx("saved model signature")?;
        let input = signature.get_input("x").ctx("saved model input")?;
        let output = signature.get_output("logits").ctx("saved model output")?;
        let input = graph
            .operation_by_name_required(&input.name().name)
            .ctx("saved model input")?;
        let output = tensorflow::Output {
            operation: graph
                .operation_by_name_required(&output.name().name)
                .ctx("saved model output")?,
            index: output.name().index,
        };
        Ok(Loaded {
            bundle,
            _graph: graph,
            input,
            output,
        })
    }

    /// One prediction of `x` (whole rows), as [`predict`].
    pub(crate) fn predict(&self, x: &[f32], features: usize) -> Result<Vec<f32>, String> {
        predict(&self.bundle.session, &self.input, &self.output, x, features)
    }
}

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("benchbook-tf-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
