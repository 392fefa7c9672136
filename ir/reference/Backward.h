//===- Backward.h - reference kernels of the backward ops -------*- C++ -*-===//
//
// The ops that --dlc-autodiff builds where no forward op expresses a
// vector-Jacobian product (ir/DlcOps.td, "Backward ops"). T is float or
// double. MLIR-free.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_REFERENCE_BACKWARD_H
#define DLC_IR_REFERENCE_BACKWARD_H

#include "ir/reference/Contraction.h"

namespace dlc::ref {

/// Gradient of conv2d w.r.t. its input of shape `inputShape` [N, C, H, W],
/// given the cotangent of its result [N, O, OH, OW] and the weight.
template <typename T>
Tensor<T> conv2dBackwardInput(const Tensor<T> &gradOutput,
                              const Tensor<T> &weight, const Shape &inputShape,
                              const Window2d &window, int64_t groups);

/// Gradient of conv2d w.r.t. its weight [O, C/groups, KH, KW]; with
/// splits > 1, [splits, O, C/groups, KH, KW] partial sums over chunks of the
/// flat (n, y, x) positions (dlc.conv2d_backward_weight's k_splits).
template <typename T>
Tensor<T> conv2dBackwardWeight(const Tensor<T> &gradOutput,
                               const Tensor<T> &input, const int64_t kernel[2],
                               const Window2d &window, int64_t groups,
                               int64_t splits = 1);

/// Gradient of max_pool2d w.r.t. its input: each cotangent element goes to
/// its window's maximum (the one maxPool2d picks: the first on ties, NaN
/// wins, padding never does).
template <typename T>
Tensor<T> maxPool2dBackward(const Tensor<T> &gradOutput, const Tensor<T> &input,
                            const int64_t kernel[2], const Window2d &window);

/// Gradient of avg_pool2d w.r.t. its input of shape `inputShape`.
template <typename T>
Tensor<T> avgPool2dBackward(const Tensor<T> &gradOutput,
                            const Shape &inputShape, const int64_t kernel[2],
                            const Window2d &window, bool countIncludePad);

/// Gradient of slice: zeros of `inputShape` with `grad` written at the
/// positions the slice reads (attributes as ref::slice's).
template <typename T>
Tensor<T> sliceBackward(const Tensor<T> &grad, const Shape &inputShape,
                        const std::vector<int64_t> &starts,
                        const std::vector<int64_t> &ends,
                        std::vector<int64_t> axes, std::vector<int64_t> steps);

} // namespace dlc::ref

#endif // DLC_IR_REFERENCE_BACKWARD_H
