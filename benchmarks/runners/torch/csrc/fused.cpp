// ATen's fused CPU optimizers (what torch.optim.Adam(fused=True) and SGD(fused=True) run):
// one pass over each parameter instead of one pass per elementwise op. tch 0.26 does not
// expose them. Tensors are tch's handles, which are `at::Tensor*`.
#include <ATen/core/Tensor.h>
#include <ATen/ops/_fused_adam.h>
#include <ATen/ops/_fused_sgd.h>

#include <cstring>
#include <exception>
#include <vector>

static std::vector<at::Tensor> list(at::Tensor** tensors, int n) {
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) out.push_back(*tensors[i]);
  return out;
}

// `step` is a float32 scalar tensor holding t (already incremented), shared by every
// parameter. Returns NULL on success, else a malloc'd copy of the error (benchbook_torch_free).
extern "C" char* benchbook_torch_fused_adam(at::Tensor** params, at::Tensor** grads, at::Tensor** exp_avgs,
                                            at::Tensor** exp_avg_sqs, int n, at::Tensor* step, double lr,
                                            double beta1, double beta2, double eps) {
  try {
    std::vector<at::Tensor> steps(n, *step);
    at::_fused_adam_(list(params, n), list(grads, n), list(exp_avgs, n), list(exp_avg_sqs, n), {}, steps, lr,
                     beta1, beta2, /*weight_decay=*/0.0, eps, /*amsgrad=*/false, /*maximize=*/false);
    return nullptr;
  } catch (const std::exception& e) {
    return strdup(e.what());
  }
}

// Momentum SGD without dampening or Nesterov: buf = momentum * buf + grad (buf = grad on the
// first step), param -= lr * buf. With momentum 0 the kernel wants no buffers: param -= lr * grad.
extern "C" char* benchbook_torch_fused_sgd(at::Tensor** params, at::Tensor** grads, at::Tensor** buffers, int n,
                                           double lr, double momentum, int first_step) {
  try {
    at::_fused_sgd_(list(params, n), list(grads, n), list(buffers, momentum == 0.0 ? 0 : n), /*weight_decay=*/0.0,
                    momentum, lr,
                    /*dampening=*/0.0, /*nesterov=*/false, /*maximize=*/false, first_step != 0);
    return nullptr;
  } catch (const std::exception& e) {
    return strdup(e.what());
  }
}
