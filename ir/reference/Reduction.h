//===- Reduction.h - reductions and normalizations --------------*- C++ -*-===//
//
// T is float or double. Axes may be negative (counted from the end).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_REFERENCE_REDUCTION_H
#define DLC_IR_REFERENCE_REDUCTION_H

#include "ir/reference/Tensor.h"

namespace dlc::ref {

enum class ReduceKind { Sum, Mean, Max };

/// Reduces over `axes` (all axes when empty); reduced dims are kept as 1
/// with `keepdims`. Max propagates NaN; the max of nothing is -inf and the
/// mean of nothing NaN.
template <typename T>
Tensor<T> reduce(ReduceKind kind, const Tensor<T> &x,
                 const std::vector<int64_t> &axes, bool keepdims);

/// exp(x - max) / sum(exp(x - max)) along `axis`.
template <typename T> Tensor<T> softmax(const Tensor<T> &x, int64_t axis);

/// x - max - log(sum(exp(x - max))) along `axis`.
template <typename T> Tensor<T> logSoftmax(const Tensor<T> &x, int64_t axis);

/// (x - mean) / sqrt(var + epsilon) * scale + bias over dims [axis, rank),
/// with the biased variance; scale and bias have shape x.shape[axis:].
template <typename T>
Tensor<T> layerNorm(const Tensor<T> &x, const Tensor<T> &scale,
                    const Tensor<T> &bias, int64_t axis, double epsilon);

/// Inference batch norm of [N, C, ...] with per-channel [C] parameters.
template <typename T>
Tensor<T> batchNorm(const Tensor<T> &x, const Tensor<T> &scale,
                    const Tensor<T> &bias, const Tensor<T> &mean,
                    const Tensor<T> &variance, double epsilon);

} // namespace dlc::ref

#endif // DLC_IR_REFERENCE_REDUCTION_H
