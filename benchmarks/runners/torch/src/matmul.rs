//! The `matmul` task's torch side: the operands as tensors, the product by `Tensor::matmul`.

use crate::err;
use benchbook_runner_common::harness::Matmul;
use tch::Tensor;

pub struct Operands {
    a: Tensor,
    b: Tensor,
}

fn square(n: usize, values: &[f32]) -> Result<Tensor, String> {
    Tensor::from_slice(values)
        .f_view([n as i64, n as i64])
        .map_err(err("matmul operand"))
}

impl Operands {
    pub fn new(n: usize, a: &[f32], b: &[f32]) -> Result<Operands, String> {
        Ok(Operands {
            a: square(n, a)?,
            b: square(n, b)?,
        })
    }
}

impl Matmul for Operands {
    type Product = Tensor;

    /// CPU ops are synchronous: the product exists when matmul returns.
    fn multiply(&mut self) -> Result<Tensor, String> {
        self.a.f_matmul(&self.b).map_err(err("matmul"))
    }

    fn values(&self, product: &Tensor) -> Result<Vec<f32>, String> {
        Vec::<f32>::try_from(product.flatten(0, -1)).map_err(err("reading the product"))
    }
}
