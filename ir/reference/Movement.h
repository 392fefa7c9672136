//===- Movement.h - data movement kernels -----------------------*- C++ -*-===//
//
// E is any element type the interpreter holds: float, double or int64_t.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_REFERENCE_MOVEMENT_H
#define DLC_IR_REFERENCE_MOVEMENT_H

#include "ir/reference/Tensor.h"

namespace dlc::ref {

/// The same elements in `shape`; one entry may be -1 (inferred).
template <typename E> Tensor<E> reshape(const Tensor<E> &x, Shape shape);

/// [prod(dims < axis), prod(dims >= axis)]; axis may be negative.
template <typename E> Tensor<E> flatten(const Tensor<E> &x, int64_t axis);

/// Result dim i is input dim perm[i].
template <typename E>
Tensor<E> transpose(const Tensor<E> &x, const std::vector<int64_t> &perm);

/// Concatenation along `axis` (may be negative).
template <typename E>
Tensor<E> concat(const std::vector<const Tensor<E> *> &inputs, int64_t axis);

/// Python slicing per listed axis (all dims in order when `axes` is empty):
/// negative starts/ends count from the end, then clamp to [0, dim]; steps
/// are positive (1 when `steps` is empty).
template <typename E>
Tensor<E> slice(const Tensor<E> &x, const std::vector<int64_t> &starts,
                const std::vector<int64_t> &ends, std::vector<int64_t> axes,
                std::vector<int64_t> steps);

/// Slices of x along `axis` at `indices` (dlc.gather): a negative index
/// counts from the end, one still out of range is clamped.
template <typename E>
Tensor<E> gather(const Tensor<E> &x, const Tensor<int64_t> &indices,
                 int64_t axis);

/// Numpy broadcast of x to `shape`.
template <typename E> Tensor<E> broadcastTo(const Tensor<E> &x, Shape shape);

} // namespace dlc::ref

#endif // DLC_IR_REFERENCE_MOVEMENT_H
