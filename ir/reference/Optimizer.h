//===- Optimizer.h - optimizer update kernels -------------------*- C++ -*-===//
//
// One update of one parameter tensor, in place, as torch.optim computes it
// (docs/training.md). `step` is the 1-based update count. Each element is
// computed in double and stored as T.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_REFERENCE_OPTIMIZER_H
#define DLC_IR_REFERENCE_OPTIMIZER_H

#include "ir/reference/Tensor.h"

namespace dlc::ref {

/// Dynamic loss scaling, shared by every update: the gradient is multiplied
/// by `gradScale` first; `skip` leaves param and state unchanged.
struct LossScaling {
  double gradScale = 1;
  bool skip = false;
};

struct SgdHyper : LossScaling {
  double lr = 0.01, momentum = 0, weightDecay = 0;
  bool nesterov = false;
};

struct AdamHyper : LossScaling {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0;
  /// AdamW: decay the parameter (param *= 1 - lr * wd) instead of adding
  /// wd * param to the gradient.
  bool decoupled = false;
};

/// g = grad + wd param; buf = momentum buf + g (buf starts at zero, so the
/// first step gives buf = g as torch does); param -= lr (nesterov ? g +
/// momentum buf : buf), or lr g when momentum is 0. `step` is unused.
template <typename T>
void sgdUpdate(Tensor<T> &param, const Tensor<T> &grad, Tensor<T> &buf,
               double step, const SgdHyper &h);

/// Adam / AdamW with bias correction; m, v are the first and second moments.
template <typename T>
void adamUpdate(Tensor<T> &param, const Tensor<T> &grad, Tensor<T> &m,
                Tensor<T> &v, double step, const AdamHyper &h);

} // namespace dlc::ref

#endif // DLC_IR_REFERENCE_OPTIMIZER_H
