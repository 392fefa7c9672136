//===- Contraction.h - matmul, dense, conv2d, pooling -----------*- C++ -*-===//
//
// T is float or double; products are accumulated in T.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_REFERENCE_CONTRACTION_H
#define DLC_IR_REFERENCE_CONTRACTION_H

#include "ir/reference/Tensor.h"

namespace dlc::ref {

/// Keeps a parameter out of template deduction, so `nullptr` can be passed
/// for an absent bias.
template <typename T> struct NoDeduce { using type = T; };
template <typename T>
using OptionalBias = const typename NoDeduce<Tensor<T>>::type *;

/// [..., M, K] x [..., K, N] -> [..., M, N], batch dims broadcast.
template <typename T>
Tensor<T> matmul(const Tensor<T> &lhs, const Tensor<T> &rhs);

/// [B, M, K] x [B, K, N] -> [B, M, N].
template <typename T>
Tensor<T> batchMatmul(const Tensor<T> &lhs, const Tensor<T> &rhs);

/// input [..., K] x weight[N, K]^T (+ bias[N]) -> [..., N].
template <typename T>
Tensor<T> dense(const Tensor<T> &input, const Tensor<T> &weight,
                OptionalBias<T> bias);

/// The window attributes of conv2d and the pooling ops.
struct Window2d {
  int64_t stride[2] = {1, 1};
  int64_t padding[4] = {0, 0, 0, 0}; // top, left, bottom, right
  int64_t dilation[2] = {1, 1};
};

/// Cross-correlation of NCHW input with OIHW weight [O, C/groups, KH, KW]
/// (+ bias[O]); zero padding.
template <typename T>
Tensor<T> conv2d(const Tensor<T> &input, const Tensor<T> &weight,
                 OptionalBias<T> bias, const Window2d &window, int64_t groups);

/// Max over each window of in-bounds elements (padding never wins); a
/// window with no in-bounds element gives -inf. NaN propagates.
template <typename T>
Tensor<T> maxPool2d(const Tensor<T> &input, const int64_t kernel[2],
                    const Window2d &window);

/// Mean over each window; the divisor is the kernel area with
/// `countIncludePad`, else the number of in-bounds elements.
template <typename T>
Tensor<T> avgPool2d(const Tensor<T> &input, const int64_t kernel[2],
                    const Window2d &window, bool countIncludePad);

} // namespace dlc::ref

#endif // DLC_IR_REFERENCE_CONTRACTION_H
