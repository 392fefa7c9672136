//===- Tensor.h - the reference kernels' tensor type ------------*- C++ -*-===//
//
// A shape and a row-major vector of elements of the compute type: float or
// double for floating-point tensors, int64_t for every integer tensor (i1,
// i32, i64), so integer data (labels, masks) stays exact. MLIR-free.
//
// Kernels assume shapes and attributes that the op's verifier accepted (the
// interpreter verifies the function first); data-dependent errors (a label
// out of range, integer division by zero) are reported through a Status.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_REFERENCE_TENSOR_H
#define DLC_IR_REFERENCE_TENSOR_H

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dlc::ref {

using Shape = std::vector<int64_t>;

template <typename T> struct Tensor {
  Shape shape;
  std::vector<T> data;

  Tensor() = default;
  Tensor(Shape s, std::vector<T> d) : shape(std::move(s)), data(std::move(d)) {}
  /// A tensor of `shape` filled with `value`.
  static Tensor filled(Shape s, T value) {
    std::vector<T> d(numel(s), value);
    return Tensor(std::move(s), std::move(d));
  }
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  static int64_t numel(const Shape &s) {
    int64_t n = 1;
    for (int64_t d : s)
      n *= d;
    return n;
  }
};

/// Success, or the message of a data-dependent error.
struct Status {
  std::string error;
  bool ok() const { return error.empty(); }
  static Status success() { return {}; }
  static Status failure(std::string msg) { return {std::move(msg)}; }
};

/// Row-major strides of `shape`.
Shape stridesOf(const Shape &shape);

/// Numpy broadcasting of two shapes; nullopt when incompatible.
std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b);

/// Strides to read a tensor of shape `in` as if it had shape `out` (numpy
/// broadcasting, aligned at the last dim): 0 along broadcast dims.
Shape broadcastStrides(const Shape &in, const Shape &out);

/// Normalizes a possibly negative axis into [0, rank).
inline int64_t normAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// Advances a row-major multi-index over `shape`; false after the last one.
bool nextIndex(Shape &index, const Shape &shape);

/// Calls `fn(index)` for every multi-index of `shape` in row-major order
/// (once for a 0-d shape, never for a shape with a zero dim).
template <typename Fn> void forEachIndex(const Shape &shape, Fn fn) {
  for (int64_t d : shape)
    if (d == 0)
      return;
  Shape index(shape.size(), 0);
  do
    fn(static_cast<const Shape &>(index));
  while (nextIndex(index, shape));
}

/// The offset of `index` under `strides`.
inline int64_t offsetOf(const Shape &index, const Shape &strides) {
  int64_t off = 0;
  for (size_t i = 0; i < index.size(); ++i)
    off += index[i] * strides[i];
  return off;
}

} // namespace dlc::ref

#endif // DLC_IR_REFERENCE_TENSOR_H
