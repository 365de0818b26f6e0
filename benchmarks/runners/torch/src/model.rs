//! The models of common::layers as plain libtorch tensors, loaded with common's initial
//! weights converted from the canonical layouts (dense `[in, out]` → Linear's `[out, in]`,
//! conv HWIO → OIHW; NCHW is permuted back to NHWC before flattening so dense weights line up).

use crate::err;
use benchbook_runner_common as common;
use common::Layer;
use tch::{Kind, Tensor};

#[derive(Debug, Clone, Copy)]
enum Op {
    /// Parameter indices of weight and bias.
    Dense {
        w: usize,
        b: usize,
        relu: bool,
    },
    Conv {
        w: usize,
        b: usize,
    },
    MaxPool2,
    Flatten,
}

pub struct Net {
    ops: Vec<Op>,
    /// Every trainable tensor, in layer order (weight, bias, weight, bias...).
    pub params: Vec<Tensor>,
    /// Image shape `[h, w, c]` of one example.
    shape: [usize; 3],
    convolutional: bool,
}

fn tensor(values: &[f32], shape: &[usize]) -> Result<Tensor, String> {
    let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    Tensor::from_slice(values)
        .f_reshape(dims)
        .map_err(err("initial weights"))
}

impl Net {
    /// Build the network and load `init` (common::initial_params of the same layers).
    pub fn new(
        layers: &[Layer],
        init: &[common::InitParams],
        shape: [usize; 3],
    ) -> Result<Net, String> {
        let mut ops = Vec::new();
        let mut params = Vec::new();
        let mut init = init.iter();
        let mut next = |what: &str| {
            init.next()
                .ok_or_else(|| format!("no initial weights for {what}"))
        };
        for layer in layers {
            match *layer {
                Layer::Dense { relu, .. } => {
                    let p = next("a dense layer")?;
                    let w = tensor(&p.weight, &p.weight_shape)?
                        .f_t_copy()
                        .map_err(err("dense weight"))?;
                    params.push(w);
                    params.push(tensor(&p.bias, &[p.bias.len()])?);
                    ops.push(Op::Dense {
                        w: params.len() - 2,
                        b: params.len() - 1,
                        relu,
                    });
                }
                Layer::Conv3x3 { .. } => {
                    let p = next("a convolution")?;
                    let w = tensor(&p.weight, &p.weight_shape)?
                        .f_permute([3, 2, 0, 1])
                        .and_then(|t| t.f_contiguous())
                        .map_err(err("conv kernel"))?;
                    params.push(w);
                    params.push(tensor(&p.bias, &[p.bias.len()])?);
                    ops.push(Op::Conv {
                        w: params.len() - 2,
                        b: params.len() - 1,
                    });
                }
                Layer::MaxPool2 => ops.push(Op::MaxPool2),
                Layer::Flatten => ops.push(Op::Flatten),
            }
        }
        let params = params
            .into_iter()
            .map(|p| p.set_requires_grad(true))
            .collect();
        let convolutional = layers.iter().any(|l| matches!(l, Layer::Conv3x3 { .. }));
        Ok(Net {
            ops,
            params,
            shape,
            convolutional,
        })
    }

    /// The parameters converted back to the canonical layouts (Linear `[out, in]` → `[in, out]`,
    /// OIHW → HWIO), as `common::initial_params` gives them.
    pub fn canonical_params(&self) -> Result<Vec<common::InitParams>, String> {
        let values = |t: &Tensor| -> Result<(Vec<f32>, Vec<usize>), String> {
            let t = t.detach().f_contiguous().map_err(err("reading weights"))?;
            let shape = t.size().iter().map(|&d| d as usize).collect();
            let v = Vec::<f32>::try_from(t.flatten(0, -1)).map_err(err("reading weights"))?;
            Ok((v, shape))
        };
        let mut out = Vec::new();
        for op in &self.ops {
            let (b, canonical) = match *op {
                Op::Dense { w, b, .. } => (b, self.params[w].f_t_copy()),
                Op::Conv { w, b } => (b, self.params[w].f_permute([2, 3, 1, 0])),
                Op::MaxPool2 | Op::Flatten => continue,
            };
            let (weight, weight_shape) = values(&canonical.map_err(err("reading weights"))?)?;
            let (bias, _) = values(&self.params[b])?;
            out.push(common::InitParams {
                weight,
                weight_shape,
                bias,
            });
        }
        Ok(out)
    }

    /// The same network on the same weights, without gradient tracking (for tracing).
    pub fn detached(&self) -> Net {
        let ops = self.ops.clone();
        let params = self.params.iter().map(Tensor::detach).collect();
        Net {
            ops,
            params,
            shape: self.shape,
            convolutional: self.convolutional,
        }
    }

    /// The gradients of `loss` with respect to every parameter (torch.autograd.grad).
    pub fn gradients(&self, loss: &Tensor) -> Result<Vec<Tensor>, tch::TchError> {
        Tensor::f_run_backward(&[loss], &self.params, false, false)
    }

    /// Logits `[n, classes]` of a batch `[n, features]` (rows NHWC-flattened).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let [h, w, c] = self.shape;
        let mut x = if self.convolutional {
            // NHWC rows → NCHW, torch's convolution layout.
            x.reshape([-1, h as i64, w as i64, c as i64])
                .permute([0, 3, 1, 2])
        } else {
            x.shallow_clone()
        };
        for op in &self.ops {
            x = match *op {
                Op::Dense { w, b, relu } => {
                    let y = x.linear(&self.params[w], Some(&self.params[b]));
                    if relu {
                        y.relu()
                    } else {
                        y
                    }
                }
                Op::Conv { w, b } => x
                    .conv2d(
                        &self.params[w],
                        Some(&self.params[b]),
                        [1, 1],
                        [1, 1],
                        [1, 1],
                        1,
                    )
                    .relu(),
                Op::MaxPool2 => x.max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false),
                Op::Flatten if x.dim() == 4 => x.permute([0, 2, 3, 1]).flatten(1, -1),
                Op::Flatten => x.flatten(1, -1),
            };
        }
        x
    }
}

/// Softmax probabilities of `logits` as rows of f64.
pub fn probabilities(logits: &Tensor) -> Result<Vec<Vec<f64>>, String> {
    let p = logits.f_softmax(-1, Kind::Double).map_err(err("softmax"))?;
    let classes = p.size().get(1).copied().unwrap_or(0) as usize;
    let flat = Vec::<f64>::try_from(p.flatten(0, -1)).map_err(err("probabilities"))?;
    Ok(flat.chunks(classes.max(1)).map(|c| c.to_vec()).collect())
}

/// Mean softmax cross-entropy of `logits` against class indices (torch's `F.cross_entropy`).
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor, tch::TchError> {
    logits.f_cross_entropy_loss::<Tensor>(targets, None, tch::Reduction::Mean, -100, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::ModelSpec;

    /// The canonical model computed by hand: NHWC images, dense `[in, out]`, conv HWIO.
    fn reference(
        layers: &[Layer],
        init: &[common::InitParams],
        shape: [usize; 3],
        x: &[f32],
    ) -> Vec<f32> {
        let [mut h, mut w, mut c] = shape;
        let mut x = x.to_vec();
        let mut params = init.iter();
        for layer in layers {
            match *layer {
                Layer::Dense {
                    inputs,
                    outputs,
                    relu,
                } => {
                    let p = params.next().unwrap();
                    x = (0..outputs)
                        .map(|o| {
                            let s = p.bias[o]
                                + (0..inputs)
                                    .map(|i| x[i] * p.weight[i * outputs + o])
                                    .sum::<f32>();
                            if relu {
                                s.max(0.0)
                            } else {
                                s
                            }
                        })
                        .collect();
                }
                Layer::Conv3x3 { inputs, outputs } => {
                    let p = params.next().unwrap();
                    let mut y = vec![0.0f32; h * w * outputs];
                    for (r, col, o) in (0..h).flat_map(|r| {
                        (0..w).flat_map(move |q| (0..outputs).map(move |o| (r, q, o)))
                    }) {
                        let mut s = p.bias[o];
                        for (kr, kc, i) in (0..3).flat_map(|a| {
                            (0..3).flat_map(move |b| (0..inputs).map(move |i| (a, b, i)))
                        }) {
                            let (sr, sc) = (r as i64 + kr as i64 - 1, col as i64 + kc as i64 - 1);
                            if (0..h as i64).contains(&sr) && (0..w as i64).contains(&sc) {
                                let xi = (sr as usize * w + sc as usize) * inputs + i;
                                s += x[xi] * p.weight[((kr * 3 + kc) * inputs + i) * outputs + o];
                            }
                        }
                        y[(r * w + col) * outputs + o] = s.max(0.0);
                    }
                    x = y;
                    c = outputs;
                }
                Layer::MaxPool2 => {
                    let (ph, pw) = (h / 2, w / 2);
                    let mut y = vec![f32::MIN; ph * pw * c];
                    for (r, col, k) in (0..ph * 2)
                        .flat_map(|r| (0..pw * 2).flat_map(move |q| (0..c).map(move |k| (r, q, k))))
                    {
                        let o = &mut y[((r / 2) * pw + col / 2) * c + k];
                        *o = o.max(x[(r * w + col) * c + k]);
                    }
                    x = y;
                    (h, w) = (ph, pw);
                }
                Layer::Flatten => {}
            }
        }
        x
    }

    fn check(model: ModelSpec, shape: [usize; 3]) {
        let layers = common::layers(&model, shape, 10);
        let init = common::initial_params(&layers, 3);
        let net = Net::new(&layers, &init, shape).unwrap();
        let features: usize = shape.iter().product();
        let mut rng = common::stream(1, "test-input", 0);
        let x: Vec<f32> = (0..2 * features).map(|_| rng.next_f64() as f32).collect();
        let got = Vec::<f32>::try_from(
            net.forward(&Tensor::from_slice(&x).view([2, features as i64]))
                .flatten(0, -1),
        )
        .unwrap();
        for row in 0..2 {
            let want = reference(
                &layers,
                &init,
                shape,
                &x[row * features..(row + 1) * features],
            );
            for (g, w) in got[row * 10..(row + 1) * 10].iter().zip(&want) {
                assert!(
                    (g - w).abs() < 1e-4 * (1.0 + w.abs()),
                    "{model:?} row {row}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn canonical_weights_give_the_canonical_model() {
        check(ModelSpec::Logreg, [8, 8, 1]);
        check(
            ModelSpec::Mlp {
                hidden: vec![16, 8],
            },
            [8, 8, 1],
        );
        check(ModelSpec::Cnn, [8, 8, 1]);
        check(ModelSpec::Cnn, [6, 4, 2]);
    }
}
