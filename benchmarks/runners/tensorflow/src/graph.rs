//! Building the models as TensorFlow graphs: the forward pass shared by the training and
//! the serving graph, the loss, the gradients (`TF_AddGradients`) and the optimizer updates
//! (the raw `ApplyAdam` / `ApplyMomentum` training ops on ref-typed `VariableV2` variables).

use benchbook_runner_common::{InitParams, Layer, OptimizerSpec};
use tensorflow::{
    ops, DataType, Operation, Output, Result, Scope, Shape, Status, Tensor, Variable,
};

/// A rank-1 int32 constant (shapes, axes).
pub fn const_i32(scope: &mut Scope, values: &[i32]) -> Result<Output> {
    Ok(ops::constant(values, scope)?.into())
}

/// A scalar constant.
pub fn scalar<T: tensorflow::TensorType>(scope: &mut Scope, value: T) -> Result<Output> {
    Ok(ops::constant(value, scope)?.into())
}

/// A float32 tensor of `shape` holding `data` (row-major).
pub fn tensor_f32(shape: &[usize], data: &[f32]) -> Result<Tensor<f32>> {
    let dims: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    Tensor::new(&dims).with_values(data)
}

/// An int32 vector tensor (class labels).
pub fn labels_tensor(labels: &[u32]) -> Result<Tensor<i32>> {
    let values: Vec<i32> = labels.iter().map(|&l| l as i32).collect();
    Tensor::new(&[values.len() as u64]).with_values(&values)
}

/// A float32 placeholder of the given shape (`None` = unknown size).
pub fn placeholder(scope: &mut Scope, dims: &[Option<i64>]) -> Result<Operation> {
    ops::Placeholder::new()
        .dtype(DataType::Float)
        .shape(Shape::from(Some(dims.to_vec())))
        .build(scope)
}

/// The forward pass of `layers` on `x` (`[batch, h*w*c]`, NHWC flattened), with one
/// (weight, bias) pair per parameterised layer in canonical layout: dense `[in, out]`,
/// conv HWIO. Returns the logits.
pub fn forward(
    scope: &mut Scope,
    x: Output,
    layers: &[Layer],
    shape: [usize; 3],
    params: &[(Output, Output)],
) -> Result<Output> {
    let [h0, w0, c0] = shape;
    // Where the activations are: flat `[batch, n]` or an image `[batch, h, w, c]`.
    let (mut image, mut dims) = (false, [h0, w0, c0]);
    let mut act = x;
    let mut params = params.iter();
    let mut next_params = || {
        params
            .next()
            .cloned()
            .ok_or_else(|| invalid("fewer parameters than layers"))
    };
    for layer in layers {
        match *layer {
            Layer::Conv3x3 { .. } => {
                if !image {
                    let to_image =
                        const_i32(scope, &[-1, dims[0] as i32, dims[1] as i32, dims[2] as i32])?;
                    act = ops::reshape(act, to_image, scope)?.into();
                    image = true;
                }
                let (w, b) = next_params()?;
                let conv = ops::Conv2D::new()
                    .strides(vec![1, 1, 1, 1])
                    .padding("SAME")
                    .data_format("NHWC")
                    .build(act, w, scope)?;
                let biased = ops::bias_add(conv, b, scope)?;
                act = ops::relu(biased, scope)?.into();
                dims[2] = w_out(layer);
            }
            Layer::MaxPool2 => {
                act = ops::MaxPool::new()
                    .ksize(vec![1, 2, 2, 1])
                    .strides(vec![1, 2, 2, 1])
                    .padding("VALID")
                    .data_format("NHWC")
                    .build(act, scope)?
                    .into();
                dims[0] /= 2;
                dims[1] /= 2;
            }
            Layer::Flatten => {
                if image {
                    let flat = const_i32(scope, &[-1, (dims[0] * dims[1] * dims[2]) as i32])?;
                    act = ops::reshape(act, flat, scope)?.into();
                    image = false;
                }
            }
            Layer::Dense { relu, .. } => {
                let (w, b) = next_params()?;
                let product = ops::mat_mul(act, w, scope)?;
                let biased: Output = ops::bias_add(product, b, scope)?.into();
                act = if relu {
                    ops::relu(biased, scope)?.into()
                } else {
                    biased
                };
            }
        }
    }
    Ok(act)
}

fn w_out(layer: &Layer) -> usize {
    match *layer {
        Layer::Conv3x3 { outputs, .. } | Layer::Dense { outputs, .. } => outputs,
        _ => 0,
    }
}

fn invalid(message: &str) -> Status {
    Status::new_set_lossy(tensorflow::Code::InvalidArgument, message)
}

/// The training graph: forward, loss, gradients and one update op per parameter.
pub struct TrainGraph {
    pub scope: Scope,
    /// Input placeholder `[batch, features]`.
    pub x: Operation,
    /// Label placeholder `[batch]`, int32.
    pub labels: Operation,
    /// Adam only: placeholders for beta1^t and beta2^t, fed every step.
    pub beta_powers: Option<(Operation, Operation)>,
    pub logits: Output,
    /// Softmax of the logits.
    pub probabilities: Output,
    /// Mean softmax cross-entropy of the batch (scalar).
    pub loss: Output,
    /// ArgMax of the logits, int64.
    pub predicted: Output,
    /// Runs every optimizer update (a NoOp depending on them).
    pub train: Operation,
    /// The model's variables, weight then bias for each parameterised layer.
    pub params: Vec<Variable>,
    /// Initializers of every variable (parameters and optimizer slots).
    pub init: Vec<Operation>,
}

/// Build the training graph of a model.
///
/// Optimizers, exactly as TensorFlow's kernels compute them (float32):
/// - Adam (`ApplyAdam`, the "epsilon hat" form of Kingma & Ba section 2), at step t = 1, 2, ...
///   with beta1^t and beta2^t computed on the host in f64 and fed as float32:
///   `m <- m + (g - m)(1 - beta1)`, `v <- v + (g^2 - v)(1 - beta2)`,
///   `lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)`, `w <- w - lr_t * m / (sqrt(v) + eps)`.
///   (torch.optim.Adam instead divides by `sqrt(v / (1 - beta2^t)) + eps`.)
/// - SGD with momentum (`ApplyMomentum`, not Nesterov): `a <- momentum * a + g`, `w <- w - lr * a`
///   (the same as torch.optim.SGD with dampening 0).
///
/// Every update waits (control dependencies) for every gradient, so no update can change a
/// variable another gradient still has to read (ref variables are updated in place).
pub fn build_train(
    layers: &[Layer],
    shape: [usize; 3],
    classes: usize,
    init: &[InitParams],
    optimizer: &OptimizerSpec,
) -> Result<TrainGraph> {
    let mut scope = Scope::new_root_scope();
    let features = (shape[0] * shape[1] * shape[2]) as i64;
    let x = placeholder(&mut scope.with_op_name("x"), &[None, Some(features)])?;
    let labels = ops::Placeholder::new()
        .dtype(DataType::Int32)
        .shape(Shape::from(Some(vec![None])))
        .build(&mut scope.with_op_name("labels"))?;

    let mut params = Vec::new();
    let mut init_ops = Vec::new();
    let mut pairs = Vec::new();
    for (k, p) in init.iter().enumerate() {
        let w = Variable::builder()
            .const_initial_value(tensor_f32(&p.weight_shape, &p.weight)?)
            .build(&mut scope.with_op_name(&format!("w{k}")))?;
        let b = Variable::builder()
            .const_initial_value(tensor_f32(&[p.bias.len()], &p.bias)?)
            .build(&mut scope.with_op_name(&format!("b{k}")))?;
        pairs.push((w.output().clone(), b.output().clone()));
        init_ops.push(w.initializer().clone());
        init_ops.push(b.initializer().clone());
        params.push(w);
        params.push(b);
    }

    let logits = forward(&mut scope, x.clone().into(), layers, shape, &pairs)?;
    let probabilities: Output = ops::softmax(logits.clone(), &mut scope)?.into();
    let depth = scalar(&mut scope, classes as i32)?;
    let on = scalar(&mut scope, 1.0f32)?;
    let off = scalar(&mut scope, 0.0f32)?;
    let one_hot = ops::one_hot(labels.clone(), depth, on, off, &mut scope)?;
    let xent =
        ops::SoftmaxCrossEntropyWithLogits::new().build(logits.clone(), one_hot, &mut scope)?;
    let axis0 = const_i32(&mut scope, &[0])?;
    let loss: Output = ops::mean(xent.output(0), axis0, &mut scope)?.into();
    let axis1 = scalar(&mut scope, 1i32)?;
    let predicted: Output = ops::arg_max(logits.clone(), axis1, &mut scope)?.into();

    let var_outputs: Vec<Output> = params.iter().map(|v| v.output().clone()).collect();
    let grads =
        scope
            .graph_mut()
            .add_gradients(None, std::slice::from_ref(&loss), &var_outputs, None)?;
    let grads: Vec<Output> = grads
        .into_iter()
        .zip(&params)
        .map(|(g, v)| {
            g.ok_or_else(|| invalid(&format!("no gradient reaches variable {}", v.name())))
        })
        .collect::<Result<_>>()?;
    let grad_ops: Vec<Operation> = grads.iter().map(|g| g.operation.clone()).collect();

    let shapes: Vec<Vec<usize>> = init
        .iter()
        .flat_map(|p| [p.weight_shape.clone(), vec![p.bias.len()]])
        .collect();
    let slot = |scope: &mut Scope, v: &Variable, dims: &[usize], name: &str| -> Result<Variable> {
        let dims: Vec<i32> = dims.iter().map(|&d| d as i32).collect();
        let dims = const_i32(scope, &dims)?;
        let zero = scalar(scope, 0.0f32)?;
        let zeros = ops::fill(dims, zero, scope)?;
        Variable::builder()
            .initial_value(zeros)
            .data_type(DataType::Float)
            .shape(v.shape().clone())
            .build(&mut scope.with_op_name(&format!("{}/{name}", v.name())))
    };

    let mut updates = Vec::new();
    let mut beta_powers = None;
    match *optimizer {
        OptimizerSpec::Adam {
            lr,
            beta1,
            beta2,
            eps,
        } => {
            let b1p = placeholder(&mut scope.with_op_name("beta1_power"), &[])?;
            let b2p = placeholder(&mut scope.with_op_name("beta2_power"), &[])?;
            let lr = scalar(&mut scope, lr as f32)?;
            let beta1 = scalar(&mut scope, beta1 as f32)?;
            let beta2 = scalar(&mut scope, beta2 as f32)?;
            let eps = scalar(&mut scope, eps as f32)?;
            for ((v, g), dims) in params.iter().zip(&grads).zip(&shapes) {
                let m = slot(&mut scope, v, dims, "m")?;
                let s = slot(&mut scope, v, dims, "v")?;
                init_ops.push(m.initializer().clone());
                init_ops.push(s.initializer().clone());
                let mut op = ops::ApplyAdam::new();
                for d in &grad_ops {
                    op = op.add_control_input(d.clone());
                }
                updates.push(op.build(
                    v.output().clone(),
                    m.output().clone(),
                    s.output().clone(),
                    b1p.clone(),
                    b2p.clone(),
                    lr.clone(),
                    beta1.clone(),
                    beta2.clone(),
                    eps.clone(),
                    g.clone(),
                    &mut scope,
                )?);
            }
            beta_powers = Some((b1p, b2p));
        }
        OptimizerSpec::Sgd { lr, momentum } => {
            let lr = scalar(&mut scope, lr as f32)?;
            let momentum = scalar(&mut scope, momentum as f32)?;
            for ((v, g), dims) in params.iter().zip(&grads).zip(&shapes) {
                let a = slot(&mut scope, v, dims, "momentum")?;
                init_ops.push(a.initializer().clone());
                let mut op = ops::ApplyMomentum::new();
                for d in &grad_ops {
                    op = op.add_control_input(d.clone());
                }
                updates.push(op.build(
                    v.output().clone(),
                    a.output().clone(),
                    lr.clone(),
                    g.clone(),
                    momentum.clone(),
                    &mut scope,
                )?);
            }
        }
    }
    let mut train = ops::NoOp::new();
    for u in updates {
        train = train.add_control_input(u);
    }
    let train = train.build(&mut scope.with_op_name("train"))?;
    Ok(TrainGraph {
        scope,
        x,
        labels,
        beta_powers,
        logits,
        probabilities,
        loss,
        predicted,
        train,
        params,
        init: init_ops,
    })
}

/// The inference graph that is saved: input `x`, output `logits`, one variable per
/// parameter. Its variables are initialised from placeholders (fed the trained values),
/// so the saved graph holds no copy of the weights; the weights live in the checkpoint.
pub struct ServeGraph {
    pub scope: Scope,
    pub x: Operation,
    pub logits: Output,
    pub vars: Vec<Variable>,
    /// Placeholder feeding each variable's initializer, in the order of `vars`.
    pub feeds: Vec<Operation>,
}

pub fn build_serve(
    layers: &[Layer],
    shape: [usize; 3],
    param_shapes: &[Vec<usize>],
) -> Result<ServeGraph> {
    let mut scope = Scope::new_root_scope();
    let features = (shape[0] * shape[1] * shape[2]) as i64;
    let x = placeholder(&mut scope.with_op_name("x"), &[None, Some(features)])?;
    let mut vars = Vec::new();
    let mut feeds = Vec::new();
    for (k, dims) in param_shapes.iter().enumerate() {
        let dims: Vec<Option<i64>> = dims.iter().map(|&d| Some(d as i64)).collect();
        let feed = placeholder(&mut scope.with_op_name(&format!("init_{k}")), &dims)?;
        let name = if k % 2 == 0 {
            format!("w{}", k / 2)
        } else {
            format!("b{}", k / 2)
        };
        let var = Variable::builder()
            .initial_value(feed.clone())
            .data_type(DataType::Float)
            .shape(Shape::from(Some(dims)))
            .build(&mut scope.with_op_name(&name))?;
        vars.push(var);
        feeds.push(feed);
    }
    let pairs: Vec<(Output, Output)> = vars
        .chunks(2)
        .map(|p| (p[0].output().clone(), p[1].output().clone()))
        .collect();
    let logits = forward(&mut scope, x.clone().into(), layers, shape, &pairs)?;
    let logits: Output = ops::identity(logits, &mut scope.with_op_name("logits"))?.into();
    Ok(ServeGraph {
        scope,
        x,
        logits,
        vars,
        feeds,
    })
}

#[cfg(test)]
mod tests {
    //! The optimizer updates are a contract with the torch runner, which reproduces them by
    //! hand: check TensorFlow's kernels against the documented formulas, computed here in f64.
    use super::*;
    use tensorflow::{Session, SessionOptions, SessionRunArgs};

    const X: [f32; 3] = [0.5, -1.0, 2.0];
    const LABEL: usize = 1;

    /// One dense layer 3 -> 2 on one example; returns the weights after each step.
    fn tf_steps(optimizer: &OptimizerSpec, steps: i32) -> Vec<Vec<f32>> {
        let layers = [Layer::Dense {
            inputs: 3,
            outputs: 2,
            relu: false,
        }];
        let init = [InitParams {
            weight: vec![0.1, -0.2, 0.3, 0.4, -0.5, 0.6],
            weight_shape: vec![3, 2],
            bias: vec![0.05, -0.05],
        }];
        let g = build_train(&layers, [1, 1, 3], 2, &init, optimizer).unwrap();
        let session = Session::new(&SessionOptions::new(), &g.scope.graph()).unwrap();
        let mut args = SessionRunArgs::new();
        for op in &g.init {
            args.add_target(op);
        }
        session.run(&mut args).unwrap();
        let x = tensor_f32(&[1, 3], &X).unwrap();
        let y = labels_tensor(&[LABEL as u32]).unwrap();
        let mut out = Vec::new();
        for t in 1..=steps {
            let (p1, p2) = match optimizer {
                OptimizerSpec::Adam { beta1, beta2, .. } => {
                    (beta1.powi(t) as f32, beta2.powi(t) as f32)
                }
                OptimizerSpec::Sgd { .. } => (0.0, 0.0),
            };
            let (p1, p2) = (Tensor::from(p1), Tensor::from(p2));
            let mut args = SessionRunArgs::new();
            args.add_feed(&g.x, 0, &x);
            args.add_feed(&g.labels, 0, &y);
            if let Some((b1, b2)) = &g.beta_powers {
                args.add_feed(b1, 0, &p1);
                args.add_feed(b2, 0, &p2);
            }
            args.add_target(&g.train);
            session.run(&mut args).unwrap();
            let mut read = SessionRunArgs::new();
            let w = read.request_fetch(&g.params[0].output().operation, 0);
            let b = read.request_fetch(&g.params[1].output().operation, 0);
            session.run(&mut read).unwrap();
            let mut params = read.fetch::<f32>(w).unwrap().to_vec();
            params.extend(read.fetch::<f32>(b).unwrap().iter());
            out.push(params);
        }
        out
    }

    /// Gradient of the softmax cross-entropy of one example w.r.t. [W (3x2, row-major), b].
    fn grad(p: &[f64]) -> Vec<f64> {
        let logits: Vec<f64> = (0..2)
            .map(|j| (0..3).map(|i| X[i] as f64 * p[i * 2 + j]).sum::<f64>() + p[6 + j])
            .collect();
        let max = logits.iter().cloned().fold(f64::MIN, f64::max);
        let e: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
        let d: Vec<f64> = (0..2)
            .map(|j| e[j] / (e[0] + e[1]) - (j == LABEL) as u8 as f64)
            .collect();
        let mut g: Vec<f64> = (0..6).map(|k| X[k / 2] as f64 * d[k % 2]).collect();
        g.extend(d);
        g
    }

    fn assert_close(tf: &[Vec<f32>], host: &[Vec<f64>]) {
        for (step, (a, b)) in tf.iter().zip(host).enumerate() {
            for (x, y) in a.iter().zip(b) {
                assert!(
                    (*x as f64 - y).abs() < 1e-5,
                    "step {}: tensorflow {a:?}, formula {b:?}",
                    step + 1
                );
            }
        }
    }

    #[test]
    fn adam_is_the_documented_epsilon_hat_form() {
        // A large eps, so that where it sits (outside the bias correction) shows in the result.
        let (lr, beta1, beta2, eps) = (0.1, 0.9, 0.999, 0.1);
        let tf = tf_steps(
            &OptimizerSpec::Adam {
                lr,
                beta1,
                beta2,
                eps,
            },
            3,
        );
        let mut p = vec![0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.05, -0.05];
        let (mut m, mut v) = (vec![0.0; 8], vec![0.0; 8]);
        let mut host = Vec::new();
        for t in 1..=3 {
            let g = grad(&p);
            let lr_t = lr * (1.0 - beta2.powi(t)).sqrt() / (1.0 - beta1.powi(t));
            for k in 0..8 {
                m[k] += (g[k] - m[k]) * (1.0 - beta1);
                v[k] += (g[k] * g[k] - v[k]) * (1.0 - beta2);
                p[k] -= lr_t * m[k] / (v[k].sqrt() + eps);
            }
            host.push(p.clone());
        }
        assert_close(&tf, &host);
    }

    #[test]
    fn momentum_is_heavy_ball_without_dampening() {
        let (lr, momentum) = (0.1, 0.9);
        let tf = tf_steps(&OptimizerSpec::Sgd { lr, momentum }, 3);
        let mut p = vec![0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.05, -0.05];
        let mut a = [0.0; 8];
        let mut host = Vec::new();
        for _ in 0..3 {
            let g = grad(&p);
            for k in 0..8 {
                a[k] = momentum * a[k] + g[k];
                p[k] -= lr * a[k];
            }
            host.push(p.clone());
        }
        assert_close(&tf, &host);
    }
}
