//! The `matmul` task: float32 n x n by n x n, the machine's roofline through TensorFlow.

use crate::graph::tensor_f32;
use crate::{new_result, session_options, Context};
use benchbook_runner_common::{self as common, protocol, MatmulSpec};
use protocol::{Metric, RunResult, Unit};
use std::time::Instant;
use tensorflow::{ops, Scope, Session, SessionRunArgs, Variable};

pub fn run(spec: &MatmulSpec) -> Result<RunResult, String> {
    let mut result = new_result();
    for &n in &spec.sizes {
        if n == 0 {
            return Err("matmul sizes must be at least 1".into());
        }
        let mut rng = common::stream(0, "matmul", n as u64);
        let mut random = || -> Vec<f32> {
            (0..n * n)
                .map(|_| rng.next_f64() as f32 * 2.0 - 1.0)
                .collect()
        };
        let (a, b) = (random(), random());

        // The operands live in variables: a MatMul of two constants would be folded once by
        // Grappler and every later run would only copy the folded result.
        let mut scope = Scope::new_root_scope();
        let va = Variable::builder()
            .const_initial_value(tensor_f32(&[n, n], &a).ctx("matrix")?)
            .build(&mut scope.with_op_name("a"))
            .ctx("matmul graph")?;
        let vb = Variable::builder()
            .const_initial_value(tensor_f32(&[n, n], &b).ctx("matrix")?)
            .build(&mut scope.with_op_name("b"))
            .ctx("matmul graph")?;
        let product = ops::mat_mul(va.output().clone(), vb.output().clone(), &mut scope)
            .ctx("matmul graph")?;
        let session = Session::new(&session_options(spec.threads)?, &scope.graph())
            .ctx("creating the session")?;
        let mut init = SessionRunArgs::new();
        init.add_target(va.initializer());
        init.add_target(vb.initializer());
        session.run(&mut init).ctx("initialising the matrices")?;

        let mut samples = Vec::with_capacity(spec.reps);
        for i in 0..=spec.reps {
            let mut args = SessionRunArgs::new();
            let token = args.request_fetch(&product, 0);
            let begin = Instant::now();
            session.run(&mut args).ctx("matmul")?;
            let out = args.fetch::<f32>(token).ctx("fetching the product")?;
            let seconds = begin.elapsed().as_secs_f64();
            if i == 0 {
                check(&a, &b, &out, n)?;
            } else {
                samples.push(2.0 * (n as f64).powi(3) / seconds);
            }
        }
        result.metrics.insert(
            format!("matmul_{n}"),
            Metric::new(Unit::FlopsPerSecond, samples),
        );
    }
    Ok(result)
}

/// Spot-check a few entries of the product against a sum computed here, so a wrong
/// graph cannot report a figure.
fn check(a: &[f32], b: &[f32], out: &[f32], n: usize) -> Result<(), String> {
    for (i, j) in [(0, 0), (n - 1, n - 1), (n / 2, n / 3)] {
        let want: f64 = (0..n)
            .map(|k| a[i * n + k] as f64 * b[k * n + j] as f64)
            .sum();
        let got = out[i * n + j] as f64;
        if (got - want).abs() > 1e-3 * (n as f64).sqrt() {
            return Err(format!(
                "matmul {n}: entry ({i}, {j}) is {got}, expected {want}"
            ));
        }
    }
    Ok(())
}
