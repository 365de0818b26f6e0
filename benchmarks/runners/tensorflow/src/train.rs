//! The `train` task's TensorFlow side: the training graph in its session, one step,
//! evaluation, prediction, and a SavedModel of the inference graph saved and loaded back.

use crate::graph::{self, TrainGraph};
use crate::{session_options, Context};
use benchbook_runner_common::harness::{
    Evaluation, Info, ModelSetup, Predict, StepOutcome, Trainer,
};
use benchbook_runner_common::{self as common, OptimizerSpec, Split};
use serde_json::json;
use std::path::Path;
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

/// A training graph in its session, with what saving it needs.
pub(crate) struct Training {
    g: TrainGraph,
    session: Session,
    optimizer: OptimizerSpec,
    layers: Vec<common::Layer>,
    shape: [usize; 3],
    init: Vec<common::InitParams>,
    threads: u32,
    /// Adam's step number of the last step (1-based).
    t: i32,
    /// Seconds from the start of `time_to_first_step` to the graph built, the session
    /// created and the variables initialised.
    built: f64,
    created: f64,
    initialised: f64,
}

impl Training {
    /// Graph construction, session creation and variable initialisation (they count
    /// towards the time to the first step).
    pub(crate) fn new(setup: &ModelSetup) -> Result<Training, String> {
        let start = setup.start;
        let g = graph::build_train(
            setup.layers,
            setup.shape,
            setup.classes,
            setup.init,
            setup.optimizer,
        )
        .ctx("building the training graph")?;
        let built = start.elapsed().as_secs_f64();
        let options = session_options(setup.threads)?;
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
        Ok(Training {
            g,
            session,
            optimizer: setup.optimizer.clone(),
            layers: setup.layers.to_vec(),
            shape: setup.shape,
            init: setup.init.to_vec(),
            threads: setup.threads,
            t: 0,
            built,
            created,
            initialised,
        })
    }
}

impl Predict for Training {
    fn predict(&mut self, x: &[f32], features: usize) -> Result<Vec<f32>, String> {
        predict(&self.session, &self.g.x, &self.g.logits, x, features)
    }
}

impl Trainer for Training {
    /// The variables as initialised (already in the canonical layouts: `x · W`, HWIO).
    fn initial_weights(&mut self) -> Result<Option<Vec<common::InitParams>>, String> {
        let values = read_params(&self.session, &self.g)?;
        Ok(Some(
            values
                .chunks(2)
                .map(|wb| common::InitParams {
                    weight: wb[0].to_vec(),
                    weight_shape: wb[0].dims().iter().map(|&d| d as usize).collect(),
                    bias: wb[1].to_vec(),
                })
                .collect(),
        ))
    }

    fn step(&mut self, x: &[f32], y: &[u32], features: usize) -> Result<StepOutcome, String> {
        let x = graph::tensor_f32(&[y.len(), features], x).ctx("batch tensor")?;
        let labels = graph::labels_tensor(y).ctx("label tensor")?;
        self.t += 1;
        let out = train_step(&self.session, &self.g, &x, &labels, self.t, &self.optimizer)?;
        Ok(StepOutcome {
            loss: out.loss as f64,
            predicted: out.predicted,
        })
    }

    fn evaluate(
        &mut self,
        split: &Split,
        features: usize,
        probabilities: bool,
    ) -> Result<Evaluation, String> {
        let out = evaluate(&self.session, &self.g, split, features, probabilities)?;
        Ok(Evaluation {
            loss: out.loss as f64,
            predicted: out.predicted,
            probabilities: out.probabilities.iter().map(|&p| p as f64).collect(),
        })
    }

    fn save(&mut self, dir: &Path, _example: &[f32]) -> Result<(), String> {
        save_model(
            &self.session,
            &self.g,
            &self.layers,
            self.shape,
            &self.init,
            self.threads,
            dir,
        )
    }

    /// Where the time to the first step goes (the first run also optimises the graph).
    fn info(&self, time_to_first_step: Option<f64>, info: &mut Info) {
        if let Some(first) = time_to_first_step {
            info.insert(
                "first_step_breakdown_s".into(),
                json!({"build_graph": self.built, "create_session": self.created - self.built,
                       "initialise_variables": self.initialised - self.created,
                       "first_step": first - self.initialised}),
            );
        }
    }
}

/// The current values of the model's variables (weight, bias, weight, bias...), read out of
/// the training session.
fn read_params(session: &Session, g: &TrainGraph) -> Result<Vec<Tensor<f32>>, String> {
    let mut args = SessionRunArgs::new();
    let tokens: Vec<_> = g
        .params
        .iter()
        .map(|v| args.request_fetch(&v.output().operation, v.output().index))
        .collect();
    session.run(&mut args).ctx("reading the weights")?;
    tokens
        .into_iter()
        .map(|t| args.fetch::<f32>(t))
        .collect::<Result<_, _>>()
        .ctx("reading the weights")
}

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
    let values = read_params(session, g)?;

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
}

impl Predict for Loaded {
    /// One prediction of `x` (whole rows), as [`predict`].
    fn predict(&mut self, x: &[f32], features: usize) -> Result<Vec<f32>, String> {
        predict(&self.bundle.session, &self.input, &self.output, x, features)
    }
}
