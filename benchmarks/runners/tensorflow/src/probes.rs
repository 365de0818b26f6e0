//! The `probes` task: deliberately wrong programs written with the crate's normal graph
//! API, and what TensorFlow says about each (verbatim), when, and how fast.

use crate::graph::{self, placeholder, tensor_f32};
use crate::{session_options, Context};
use benchbook_runner_common::harness::ProbeEnd;
use benchbook_runner_common::{self as common, protocol, OptimizerSpec};
use protocol::Stage;
use tensorflow::{ops, DataType, Scope, Session, SessionRunArgs, Status, Variable};

/// A framework error raised while building the graph.
fn build(status: Status) -> ProbeEnd {
    ProbeEnd::Raised(Stage::Build, status.to_string())
}

/// A framework error raised while running the graph.
fn running(status: Status) -> ProbeEnd {
    ProbeEnd::Raised(Stage::Run, status.to_string())
}

/// Run the probe `name` (one of common::PROBES; the harness checked it).
pub fn run(name: &str, threads: u32) -> Result<ProbeEnd, String> {
    match name {
        "shape_mismatch" => shape_mismatch(threads),
        "dtype_mismatch" => dtype_mismatch(threads),
        "no_gradient" => no_gradient(threads),
        _ => nan_loss(threads),
    }
}

/// Run `fetch` once in a fresh session over the scope's graph, after running `init`.
fn run_once(
    scope: &Scope,
    threads: u32,
    init: &[&Variable],
    fetch: &tensorflow::Output,
    feeds: &[(&tensorflow::Operation, &tensorflow::Tensor<f32>)],
) -> Result<Result<Vec<f32>, Status>, String> {
    let session =
        Session::new(&session_options(threads)?, &scope.graph()).ctx("creating the session")?;
    let mut args = SessionRunArgs::new();
    for v in init {
        args.add_target(v.initializer());
    }
    if let Err(e) = session.run(&mut args) {
        return Ok(Err(e));
    }
    let mut args = SessionRunArgs::new();
    for (op, t) in feeds {
        args.add_feed(op, 0, *t);
    }
    let token = args.request_fetch(&fetch.operation, fetch.index);
    if let Err(e) = session.run(&mut args) {
        return Ok(Err(e));
    }
    Ok(args.fetch::<f32>(token).map(|t| t.to_vec()))
}

/// A [32, 64] batch times a [32, 10] weight: the inner sizes differ.
fn shape_mismatch(threads: u32) -> Result<ProbeEnd, String> {
    let mut scope = Scope::new_root_scope();
    let x = match placeholder(&mut scope.with_op_name("x"), &[Some(32), Some(64)]) {
        Ok(x) => x,
        Err(e) => return Ok(build(e)),
    };
    let w = Variable::builder()
        .const_initial_value(tensor_f32(&[32, 10], &[0.01; 320]).ctx("weight")?)
        .build(&mut scope.with_op_name("w"));
    let w = match w {
        Ok(w) => w,
        Err(e) => return Ok(build(e)),
    };
    let y = match ops::mat_mul(x.clone(), w.output().clone(), &mut scope) {
        Ok(y) => y,
        Err(e) => return Ok(build(e)),
    };
    let input = tensor_f32(&[32, 64], &[0.5; 32 * 64]).ctx("input")?;
    Ok(
        match run_once(&scope, threads, &[&w], &y.into(), &[(&x, &input)])? {
            Ok(v) => ProbeEnd::Ran(format!("no error: the product has {} values", v.len())),
            Err(e) => running(e),
        },
    )
}

/// float32 + int64.
fn dtype_mismatch(threads: u32) -> Result<ProbeEnd, String> {
    let mut scope = Scope::new_root_scope();
    let a = match placeholder(&mut scope.with_op_name("a"), &[Some(4)]) {
        Ok(a) => a,
        Err(e) => return Ok(build(e)),
    };
    let b = match ops::constant(&[1i64, 2, 3, 4][..], &mut scope.with_op_name("b")) {
        Ok(b) => b,
        Err(e) => return Ok(build(e)),
    };
    let sum = match ops::add(a.clone(), b, &mut scope) {
        Ok(s) => s,
        Err(e) => return Ok(build(e)),
    };
    let input = tensor_f32(&[4], &[0.5; 4]).ctx("input")?;
    let dtype = sum.output_type(0);
    Ok(
        match run_once(&scope, threads, &[], &sum.into(), &[(&a, &input)])? {
            Ok(_) => ProbeEnd::Ran(format!("no error: result dtype {dtype:?}")),
            Err(e) => running(e),
        },
    )
}

/// A loss computed from ArgMax of the logits, differentiated with respect to the weight.
fn no_gradient(threads: u32) -> Result<ProbeEnd, String> {
    let mut scope = Scope::new_root_scope();
    let built = (|| -> tensorflow::Result<_> {
        let x = placeholder(&mut scope.with_op_name("x"), &[None, Some(64)])?;
        let w = Variable::builder()
            .const_initial_value(tensor_f32(&[64, 10], &[0.01; 640])?)
            .build(&mut scope.with_op_name("w"))?;
        let logits = ops::mat_mul(x.clone(), w.output().clone(), &mut scope)?;
        let axis = graph::scalar(&mut scope, 1i32)?;
        let class = ops::arg_max(logits, axis, &mut scope)?;
        let as_float = ops::Cast::new()
            .DstT(DataType::Float)
            .build(class, &mut scope)?;
        let axis0 = graph::const_i32(&mut scope, &[0])?;
        let loss = ops::mean(as_float, axis0, &mut scope)?;
        let grads =
            scope
                .graph_mut()
                .add_gradients(None, &[loss.into()], &[w.output().clone()], None)?;
        Ok((x, w, grads))
    })();
    let (x, w, grads) = match built {
        Ok(b) => b,
        Err(e) => return Ok(build(e)),
    };
    let Some(grad) = grads.into_iter().next().flatten() else {
        return Ok(ProbeEnd::Ran("no error: add_gradients returned no gradient (None) for the weight; ArgMax is registered as not differentiable, so nothing flows back".into()));
    };
    let input = tensor_f32(&[2, 64], &[0.5; 128]).ctx("input")?;
    Ok(
        match run_once(&scope, threads, &[&w], &grad, &[(&x, &input)])? {
            Ok(g) => ProbeEnd::Ran(format!(
                "no error: add_gradients gave a gradient of op {} whose largest magnitude is {}",
                grad.operation.op_type().unwrap_or_default(),
                g.iter().fold(0.0f32, |m, v| m.max(v.abs()))
            )),
            Err(e) => running(e),
        },
    )
}

/// The digits MLP trained with plain SGD at learning rate 1e6 for 50 steps.
fn nan_loss(threads: u32) -> Result<ProbeEnd, String> {
    let data = common::load_dataset(
        &common::DatasetSpec::Digits {
            one_vs_rest: None,
            leak_fraction: 0.0,
        },
        0,
    )?;
    let features = data.features();
    let classes = data.classes.len();
    let layers = common::layers(
        &common::ModelSpec::Mlp {
            hidden: vec![128, 64],
        },
        data.shape,
        classes,
    );
    let init = common::initial_params(&layers, 0);
    let optimizer = OptimizerSpec::Sgd {
        lr: 1e6,
        momentum: 0.0,
    };
    let g = match graph::build_train(&layers, data.shape, classes, &init, &optimizer) {
        Ok(g) => g,
        Err(e) => return Ok(build(e)),
    };
    let session =
        Session::new(&session_options(threads)?, &g.scope.graph()).ctx("creating the session")?;
    let mut args = SessionRunArgs::new();
    for op in &g.init {
        args.add_target(op);
    }
    if let Err(e) = session.run(&mut args) {
        return Ok(running(e));
    }
    let batches: Vec<Vec<usize>> = (0..)
        .flat_map(|epoch| common::epoch_batches(data.train.n, 32, 0, epoch))
        .take(50)
        .collect();
    let mut last = 0.0f32;
    for (step, rows) in batches.iter().enumerate() {
        let (xb, yb) = data.train.batch(features, rows);
        let x = tensor_f32(&[rows.len(), features], &xb).ctx("batch")?;
        let y = graph::labels_tensor(&yb).ctx("labels")?;
        let mut args = SessionRunArgs::new();
        args.add_feed(&g.x, 0, &x);
        args.add_feed(&g.labels, 0, &y);
        args.add_target(&g.train);
        let token = args.request_fetch(&g.loss.operation, g.loss.index);
        if let Err(e) = session.run(&mut args) {
            return Ok(running(e));
        }
        let loss = args.fetch::<f32>(token).ctx("fetching the loss")?[0];
        if !loss.is_finite() {
            let what = if loss.is_nan() { "NaN" } else { "infinite" };
            return Ok(ProbeEnd::Ran(format!(
                "loss became {what} at step {} (no error raised)",
                step + 1
            )));
        }
        last = loss;
    }
    Ok(ProbeEnd::Ran(format!(
        "loss stayed finite for {} steps (last {last})",
        batches.len()
    )))
}
