//! The `matmul` task: float32 n x n by n x n, this machine's roofline as each framework sees
//! it. The operands come from one stream for every runner; one product is untimed (and
//! spot-checked), then each timed product is one FLOP/s sample of `matmul_<n>`.

use super::{new_result, Matmul, Runner};
use crate::protocol::RunResult;
use crate::MatmulSpec;
use std::time::Instant;

pub fn run<R: Runner>(runner: &mut R, spec: &MatmulSpec) -> Result<RunResult, String> {
    let mut result = new_result();
    for &n in &spec.sizes {
        if n == 0 {
            return Err("matmul sizes must be at least 1".into());
        }
        let (a, b) = operands(n);
        let mut op = runner.matmul(n, &a, &b, spec.threads)?;
        let first = op.multiply()?;
        check(&a, &b, &op.values(&first)?, n)?;
        drop(first);
        let flops = 2.0 * (n as f64).powi(3);
        let mut samples = Vec::with_capacity(spec.reps);
        for _ in 0..spec.reps {
            let t = Instant::now();
            let product = op.multiply()?;
            samples.push(flops / t.elapsed().as_secs_f64());
            drop(product);
        }
        eprintln!(
            "matmul {n}: {:.1} GFLOP/s (first rep)",
            samples.first().copied().unwrap_or(0.0) / 1e9
        );
        let (name, def) = crate::metrics::matmul(n);
        result.metrics.insert(name, def.metric(samples));
    }
    result.info.insert(
        "operands".into(),
        "float32, uniform in [-1, 1), a then b from common::stream(0, \"matmul\", n)".into(),
    );
    Ok(result)
}

/// The two n x n operands, row-major, uniform in [-1, 1): a then b from one stream.
pub fn operands(n: usize) -> (Vec<f32>, Vec<f32>) {
    let mut rng = crate::stream(0, "matmul", n as u64);
    let mut random = || -> Vec<f32> {
        (0..n * n)
            .map(|_| rng.next_f64() as f32 * 2.0 - 1.0)
            .collect()
    };
    let a = random();
    (a, random())
}

/// Spot-check a few entries of the product against a sum computed here, so a wrong
/// product cannot report a figure.
fn check(a: &[f32], b: &[f32], out: &[f32], n: usize) -> Result<(), String> {
    if out.len() != n * n {
        return Err(format!(
            "matmul {n}: the product has {} values, expected {}",
            out.len(),
            n * n
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_catches_a_wrong_product() {
        let (a, b) = operands(3);
        let mut c = vec![0.0f32; 9];
        for i in 0..3 {
            for j in 0..3 {
                c[i * 3 + j] = (0..3).map(|k| a[i * 3 + k] * b[k * 3 + j]).sum();
            }
        }
        assert!(check(&a, &b, &c, 3).is_ok());
        c[0] += 1.0;
        assert!(check(&a, &b, &c, 3).unwrap_err().contains("(0, 0)"));
        assert!(check(&a, &b, &c[..4], 3).is_err());
    }
}
