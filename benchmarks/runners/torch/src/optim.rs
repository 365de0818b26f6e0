//! The two optimizers with TensorFlow's update rules (`ApplyAdam`, `ApplyMomentum`, which the
//! TensorFlow runner uses), run by ATen's fused CPU kernels (csrc/fused.cpp; the kernels of
//! `torch.optim.Adam(fused=True)` / `SGD(fused=True)`):
//!
//! - Adam: `m ← β1·m + (1-β1)·g`, `v ← β2·v + (1-β2)·g²`,
//!   `w ← w - lr·√(1-β2ᵗ)/(1-β1ᵗ) · m / (√v + ε)`. torch.optim.Adam adds ε after the bias
//!   correction, `m̂ / (√v̂ + ε)`; passing it `ε/√(1-β2ᵗ)` at step t gives TensorFlow's rule
//!   exactly (up to float rounding): `(√v/√(1-β2ᵗ) + ε/√(1-β2ᵗ)) = (√v + ε)/√(1-β2ᵗ)`.
//! - SGD with momentum: `a ← μ·a + g` (`a = g` at the first step, as from TF's zero slot),
//!   `w ← w - lr·a`; torch's SGD without dampening or Nesterov is the same rule.

use benchbook_runner_common::OptimizerSpec;
use std::ffi::{c_char, c_int, c_void, CStr};
use tch::{Kind, TchError, Tensor};

extern "C" {
    fn benchbook_torch_fused_adam(
        params: *const *mut c_void,
        grads: *const *mut c_void,
        exp_avgs: *const *mut c_void,
        exp_avg_sqs: *const *mut c_void,
        n: c_int,
        step: *mut c_void,
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
    ) -> *mut c_char;
    fn benchbook_torch_fused_sgd(
        params: *const *mut c_void,
        grads: *const *mut c_void,
        buffers: *const *mut c_void,
        n: c_int,
        lr: f64,
        momentum: f64,
        first_step: c_int,
    ) -> *mut c_char;
    fn benchbook_torch_free(p: *mut c_char);
}

fn handles(tensors: &[Tensor]) -> Vec<*mut c_void> {
    tensors.iter().map(|t| t.as_ptr() as *mut c_void).collect()
}

/// Turn the shim's error (a malloc'd message, or NULL) into a Result.
fn check(message: *mut c_char) -> Result<(), TchError> {
    if message.is_null() {
        return Ok(());
    }
    // SAFETY: the shim returns a NUL-terminated strdup'd string, freed once here.
    let text = unsafe {
        let t = CStr::from_ptr(message).to_string_lossy().into_owned();
        benchbook_torch_free(message);
        t
    };
    Err(TchError::Torch(text))
}

pub enum Optimizer {
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        /// Steps taken, as the float32 scalar the fused kernel reads.
        step: Tensor,
        t: i32,
        m: Vec<Tensor>,
        v: Vec<Tensor>,
    },
    Sgd {
        lr: f64,
        momentum: f64,
        steps: u64,
        accumulators: Vec<Tensor>,
    },
}

impl Optimizer {
    pub fn new(spec: &OptimizerSpec, params: &[Tensor]) -> Result<Optimizer, TchError> {
        let zeros = || -> Result<Vec<Tensor>, TchError> {
            params.iter().map(|p| p.f_zeros_like()).collect()
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
                step: Tensor::f_zeros([], (Kind::Float, tch::Device::Cpu))?,
                t: 0,
                m: zeros()?,
                v: zeros()?,
            },
            OptimizerSpec::Sgd { lr, momentum } => Optimizer::Sgd {
                lr,
                momentum,
                steps: 0,
                accumulators: zeros()?,
            },
        })
    }

    /// One update of `params` (leaf tensors, changed in place) with `grads` (same order).
    pub fn step(&mut self, params: &mut [Tensor], grads: &[Tensor]) -> Result<(), TchError> {
        let _guard = tch::no_grad_guard();
        // The fused kernels trust their inputs: same sizes, dense memory. autograd.grad can
        // hand back expanded (stride 0) gradients, which AccumulateGrad would have copied.
        if grads.len() != params.len() {
            return Err(TchError::Shape(format!(
                "{} gradients for {} parameters",
                grads.len(),
                params.len()
            )));
        }
        let mut dense = Vec::with_capacity(grads.len());
        for (p, g) in params.iter().zip(grads) {
            if g.size() != p.size() || g.kind() != p.kind() {
                return Err(TchError::Shape(format!(
                    "gradient {:?} {:?} for parameter {:?} {:?}",
                    g.size(),
                    g.kind(),
                    p.size(),
                    p.kind()
                )));
            }
            dense.push(if g.is_contiguous() {
                g.shallow_clone()
            } else {
                g.f_contiguous()?
            });
        }
        let (p, g) = (handles(params), handles(&dense));
        let n = params.len() as c_int;
        match self {
            Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
                step,
                t,
                m,
                v,
            } => {
                *t += 1;
                let _ = step.f_add_scalar_(1.0)?;
                let eps_hat = *eps / (1.0 - beta2.powi(*t)).sqrt();
                let (m, v) = (handles(m), handles(v));
                // SAFETY: every handle is a live at::Tensor owned by `params`, `grads` or `self`
                // for the duration of the call; the kernel updates them in place.
                check(unsafe {
                    benchbook_torch_fused_adam(
                        p.as_ptr(),
                        g.as_ptr(),
                        m.as_ptr(),
                        v.as_ptr(),
                        n,
                        step.as_ptr() as *mut c_void,
                        *lr,
                        *beta1,
                        *beta2,
                        eps_hat,
                    )
                })
            }
            Optimizer::Sgd {
                lr,
                momentum,
                steps,
                accumulators,
            } => {
                let a = handles(accumulators);
                // SAFETY: as above.
                let r = check(unsafe {
                    benchbook_torch_fused_sgd(
                        p.as_ptr(),
                        g.as_ptr(),
                        a.as_ptr(),
                        n,
                        *lr,
                        *momentum,
                        (*steps == 0) as c_int,
                    )
                });
                *steps += 1;
                r
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchbook_runner_common::OptimizerSpec;

    fn scalar(x: f64) -> Tensor {
        Tensor::from_slice(&[x])
    }

    /// Three Adam steps on one f64 scalar, against TensorFlow's ApplyAdam worked by hand.
    #[test]
    fn adam_follows_tensorflow_apply_adam() {
        let (lr, b1, b2, eps) = (0.1, 0.9, 0.999, 1e-7);
        let mut params = vec![scalar(1.0)];
        let spec = OptimizerSpec::Adam {
            lr,
            beta1: b1,
            beta2: b2,
            eps,
        };
        let mut opt = Optimizer::new(&spec, &params).unwrap();
        let (mut w, mut m, mut v) = (1.0f64, 0.0, 0.0);
        for (t, g) in [(1, 0.5f64), (2, -0.25), (3, 1e-9)] {
            opt.step(&mut params, &[scalar(g)]).unwrap();
            m += (g - m) * (1.0 - b1);
            v += (g * g - v) * (1.0 - b2);
            w -= lr * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t)) * m / (v.sqrt() + eps);
            let got = params[0].double_value(&[0]);
            assert!((got - w).abs() < 1e-12, "step {t}: {got} vs {w}");
        }
    }

    /// The eps placement matters: with a tiny gradient, torch's own rule would differ a lot.
    #[test]
    fn adam_puts_eps_where_tensorflow_does() {
        let (lr, b1, b2, eps) = (1.0, 0.9, 0.999, 1e-3);
        let mut params = vec![scalar(0.0)];
        let mut opt = Optimizer::new(
            &OptimizerSpec::Adam {
                lr,
                beta1: b1,
                beta2: b2,
                eps,
            },
            &params,
        )
        .unwrap();
        let g = 1e-3;
        opt.step(&mut params, &[scalar(g)]).unwrap();
        let (m, v) = ((1.0 - b1) * g, (1.0 - b2) * g * g);
        let tf = -lr * (1.0 - b2).sqrt() / (1.0 - b1) * m / (v.sqrt() + eps);
        let torch = -lr * (m / (1.0 - b1)) / ((v / (1.0 - b2)).sqrt() + eps);
        let got = params[0].double_value(&[0]);
        assert!(
            (got - tf).abs() < 1e-12 && (got - torch).abs() > 1e-3,
            "{got}: tf {tf}, torch {torch}"
        );
    }

    #[test]
    fn sgd_momentum_follows_tensorflow_apply_momentum() {
        let mut params = vec![scalar(1.0), scalar(-2.0)];
        let mut opt = Optimizer::new(
            &OptimizerSpec::Sgd {
                lr: 0.1,
                momentum: 0.9,
            },
            &params,
        )
        .unwrap();
        let (mut w, mut a) = ([1.0f64, -2.0], [0.0f64; 2]);
        for g in [[0.5f64, 1.0], [-0.25, 0.0], [1.0, -3.0]] {
            opt.step(&mut params, &[scalar(g[0]), scalar(g[1])])
                .unwrap();
            for i in 0..2 {
                a[i] = 0.9 * a[i] + g[i];
                w[i] -= 0.1 * a[i];
                assert!((params[i].double_value(&[0]) - w[i]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn mismatched_gradients_are_refused() {
        let mut params = vec![scalar(1.0)];
        let mut opt = Optimizer::new(
            &OptimizerSpec::Sgd {
                lr: 0.1,
                momentum: 0.9,
            },
            &params,
        )
        .unwrap();
        assert!(opt
            .step(&mut params, &[Tensor::from_slice(&[1.0f64, 2.0])])
            .is_err());
        assert!(opt
            .step(&mut params, &[Tensor::from_slice(&[1.0f32])])
            .is_err());
        assert!(opt.step(&mut params, &[]).is_err());
        assert_eq!(params[0].double_value(&[0]), 1.0);
    }

    #[test]
    fn kernel_errors_come_back_as_errors() {
        // Moments of another dtype than the parameters are refused by the kernel.
        let mut params = vec![scalar(1.0)];
        let spec = OptimizerSpec::Adam {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-7,
        };
        let mut opt = Optimizer::new(&spec, &params).unwrap();
        if let Optimizer::Adam { m, .. } = &mut opt {
            m[0] = Tensor::from_slice(&[0.0f32]);
        }
        let result = opt.step(&mut params, &[scalar(0.5)]);
        assert!(
            result.is_err(),
            "parameter became {}",
            params[0].double_value(&[0])
        );
    }

    /// Expanded gradients (stride 0) are made dense before the kernel sees them.
    #[test]
    fn expanded_gradients_are_made_dense() {
        let mut params = vec![Tensor::zeros([3], (Kind::Double, tch::Device::Cpu))];
        let mut opt = Optimizer::new(
            &OptimizerSpec::Sgd {
                lr: 1.0,
                momentum: 0.0,
            },
            &params,
        )
        .unwrap();
        let g = Tensor::from_slice(&[2.0f64]).expand([3], false);
        assert!(!g.is_contiguous());
        opt.step(&mut params, &[g]).unwrap();
        assert_eq!(
            Vec::<f64>::try_from(&params[0]).unwrap(),
            vec![-2.0, -2.0, -2.0]
        );
    }
}
