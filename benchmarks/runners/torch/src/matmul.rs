//! The `matmul` task: float32 n×n by n×n, this machine's roofline as libtorch sees it.

use crate::{err, pending_info};
use benchbook_runner_common as common;
use common::protocol::{Metric, RunResult, Unit};
use common::MatmulSpec;
use std::time::Instant;
use tch::Tensor;

/// The next random n×n float32 matrix of `rng`, uniform in [-1, 1) (the TensorFlow runner
/// draws the same two operands from the same stream).
fn random(n: usize, rng: &mut common::Rng) -> Result<Tensor, String> {
    let values: Vec<f32> = (0..n * n)
        .map(|_| rng.next_f64() as f32 * 2.0 - 1.0)
        .collect();
    Tensor::from_slice(&values)
        .f_view([n as i64, n as i64])
        .map_err(err("matmul operand"))
}

pub fn run(spec: &MatmulSpec) -> Result<RunResult, String> {
    let mut result = RunResult::new(pending_info());
    for &n in &spec.sizes {
        if n == 0 {
            return Err("matmul sizes must be at least 1".into());
        }
        let mut rng = common::stream(0, "matmul", n as u64);
        let a = random(n, &mut rng)?;
        let b = random(n, &mut rng)?;
        // CPU ops are synchronous: the product exists when matmul returns.
        let _warm = a.f_matmul(&b).map_err(err("matmul"))?;
        let flops = 2.0 * (n as f64).powi(3);
        let mut samples = Vec::with_capacity(spec.reps);
        for _ in 0..spec.reps {
            let t = Instant::now();
            let c = a.f_matmul(&b).map_err(err("matmul"))?;
            samples.push(flops / t.elapsed().as_secs_f64());
            drop(c);
        }
        eprintln!(
            "matmul {n}: {:.1} GFLOP/s (first rep)",
            samples.first().copied().unwrap_or(0.0) / 1e9
        );
        result.metrics.insert(
            format!("matmul_{n}"),
            Metric::new(Unit::FlopsPerSecond, samples),
        );
    }
    result.info.insert(
        "operands".into(),
        "float32, uniform in [-1, 1), a then b from common::stream(0, \"matmul\", n)".into(),
    );
    Ok(result)
}
