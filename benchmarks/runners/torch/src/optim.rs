//! The two optimizers, written with tensor ops so their arithmetic is TensorFlow's
//! (`ApplyAdam`, `ApplyMomentum`), which the TensorFlow runner uses:
//!
//! - Adam: `m += (g - m)(1 - β1)`, `v += (g² - v)(1 - β2)`,
//!   `w -= lr·√(1 - β2ᵗ)/(1 - β1ᵗ) · m / (√v + ε)`. torch.optim.Adam puts ε inside the bias
//!   correction (`m̂ / (√v̂ + ε)`), which differs for the same ε; tch's built-in Adam is that one.
//! - SGD with momentum: `v = μ·v + g`, `w -= lr·v` (torch's SGD without dampening agrees).

use crate::err;
use benchbook_runner_common::OptimizerSpec;
use tch::Tensor;

pub enum Optimizer {
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        step: i32,
        m: Vec<Tensor>,
        v: Vec<Tensor>,
    },
    Sgd {
        lr: f64,
        momentum: f64,
        velocity: Vec<Tensor>,
    },
}

impl Optimizer {
    pub fn new(spec: &OptimizerSpec, params: &[Tensor]) -> Result<Optimizer, String> {
        let zeros = || -> Result<Vec<Tensor>, String> {
            params
                .iter()
                .map(|p| p.f_zeros_like().map_err(err("optimizer state")))
                .collect()
        };
        Ok(match *spec {
            OptimizerSpec::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
                step: 0,
                m: zeros()?,
                v: zeros()?,
            },
            OptimizerSpec::Sgd { lr, momentum } => Optimizer::Sgd {
                lr,
                momentum,
                velocity: zeros()?,
            },
        })
    }

    /// One update of `params` with `grads` (same order). Runs without autograd recording.
    pub fn step(&mut self, params: &mut [Tensor], grads: &[Tensor]) -> Result<(), tch::TchError> {
        let _guard = tch::no_grad_guard();
        match self {
            Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
                step,
                m,
                v,
            } => {
                *step += 1;
                let alpha = *lr * (1.0 - beta2.powi(*step)).sqrt() / (1.0 - beta1.powi(*step));
                for (((w, g), m), v) in params
                    .iter_mut()
                    .zip(grads)
                    .zip(m.iter_mut())
                    .zip(v.iter_mut())
                {
                    let _ = m.f_lerp_(g, 1.0 - *beta1)?;
                    let _ = v.f_lerp_(&g.f_square()?, 1.0 - *beta2)?;
                    // w += m / ((√v + ε) / -α)
                    let mut denom = v.f_sqrt()?;
                    let _ = denom.f_add_scalar_(*eps)?;
                    let _ = denom.f_div_scalar_(-alpha)?;
                    let _ = w.f_addcdiv_(m, &denom)?;
                }
            }
            Optimizer::Sgd {
                lr,
                momentum,
                velocity,
            } => {
                for ((w, g), v) in params.iter_mut().zip(grads).zip(velocity.iter_mut()) {
                    let _ = v.f_mul_scalar_(*momentum)?;
                    let _ = v.f_add_(g)?;
                    let _ = w.f_sub_(&v.f_mul_scalar(*lr)?)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchbook_runner_common::OptimizerSpec;

    /// Two Adam steps on one scalar, against the formula worked by hand in f64.
    #[test]
    fn adam_follows_tensorflow_apply_adam() {
        let (lr, b1, b2, eps) = (0.1, 0.9, 0.999, 1e-7);
        let mut params = vec![Tensor::from_slice(&[1.0f64])];
        let spec = OptimizerSpec::Adam {
            lr,
            beta1: b1,
            beta2: b2,
            eps,
        };
        let mut opt = Optimizer::new(&spec, &params).unwrap();
        let (mut w, mut m, mut v) = (1.0f64, 0.0, 0.0);
        for (t, g) in [(1, 0.5f64), (2, -0.25)] {
            opt.step(&mut params, &[Tensor::from_slice(&[g])]).unwrap();
            m += (g - m) * (1.0 - b1);
            v += (g * g - v) * (1.0 - b2);
            w -= lr * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t)) * m / (v.sqrt() + eps);
            let got = params[0].double_value(&[0]);
            assert!((got - w).abs() < 1e-12, "step {t}: {got} vs {w}");
        }
    }

    #[test]
    fn sgd_momentum_follows_tensorflow_apply_momentum() {
        let mut params = vec![Tensor::from_slice(&[1.0f64])];
        let mut opt = Optimizer::new(
            &OptimizerSpec::Sgd {
                lr: 0.1,
                momentum: 0.9,
            },
            &params,
        )
        .unwrap();
        let (mut w, mut v) = (1.0f64, 0.0);
        for g in [0.5f64, -0.25, 1.0] {
            opt.step(&mut params, &[Tensor::from_slice(&[g])]).unwrap();
            v = 0.9 * v + g;
            w -= 0.1 * v;
            assert!((params[0].double_value(&[0]) - w).abs() < 1e-12);
        }
    }
}
