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
