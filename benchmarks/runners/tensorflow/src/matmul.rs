//! The `matmul` task's TensorFlow side: the operands in variables, the product by a MatMul
//! run in a session and fetched to the host.

use crate::graph::tensor_f32;
use crate::{session_options, Context};
use benchbook_runner_common::harness::Matmul;
use tensorflow::{ops, Operation, Scope, Session, SessionRunArgs, Tensor, Variable};

pub struct Operands {
    session: Session,
    product: Operation,
}

impl Operands {
    pub fn new(n: usize, a: &[f32], b: &[f32], threads: u32) -> Result<Operands, String> {
        // The operands live in variables: a MatMul of two constants would be folded once by
        // Grappler and every later run would only copy the folded result.
        let mut scope = Scope::new_root_scope();
        let va = Variable::builder()
            .const_initial_value(tensor_f32(&[n, n], a).ctx("matrix")?)
            .build(&mut scope.with_op_name("a"))
            .ctx("matmul graph")?;
        let vb = Variable::builder()
            .const_initial_value(tensor_f32(&[n, n], b).ctx("matrix")?)
            .build(&mut scope.with_op_name("b"))
            .ctx("matmul graph")?;
        let product = ops::mat_mul(va.output().clone(), vb.output().clone(), &mut scope)
            .ctx("matmul graph")?;
        let session =
            Session::new(&session_options(threads)?, &scope.graph()).ctx("creating the session")?;
        let mut init = SessionRunArgs::new();
        init.add_target(va.initializer());
        init.add_target(vb.initializer());
        session.run(&mut init).ctx("initialising the matrices")?;
        Ok(Operands { session, product })
    }
}

impl Matmul for Operands {
    type Product = Tensor<f32>;

    /// One Session::run of the MatMul, the product fetched to the host.
    fn multiply(&mut self) -> Result<Tensor<f32>, String> {
        let mut args = SessionRunArgs::new();
        let token = args.request_fetch(&self.product, 0);
        self.session.run(&mut args).ctx("matmul")?;
        args.fetch::<f32>(token).ctx("fetching the product")
    }

    fn values(&self, product: &Tensor<f32>) -> Result<Vec<f32>, String> {
        Ok(product.to_vec())
    }
}
