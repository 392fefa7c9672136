//===- ShapeUtils.h - shapes of dlc values, in one place --------*- C++ -*-===//
//
// Every dlc value is a ranked tensor with a static shape; these helpers read
// it. Passes, codegen, the importers and the gradients use them instead of
// copies of their own (the MLIR-free reference kernels have theirs in
// ir/reference/Tensor.h).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_SHAPEUTILS_H
#define DLC_IR_SHAPEUTILS_H

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

#include <cstdint>
#include <optional>

namespace mlir::dlc {

inline RankedTensorType tensorTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}
inline ArrayRef<int64_t> shapeOf(Value v) {
  return tensorTypeOf(v).getShape();
}
inline Type elementTypeOf(Value v) { return tensorTypeOf(v).getElementType(); }
inline int64_t numElements(Value v) { return tensorTypeOf(v).getNumElements(); }

/// The product of `dims` (1 for none): an element count or a stride.
inline int64_t product(ArrayRef<int64_t> dims) { return computeProduct(dims); }

/// A possibly negative axis of an op the verifier accepted, in [0, rank).
inline int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// `axis` in [0, rank) (or [0, rank] when `inclusive`, for insertion
/// points); std::nullopt when it is out of range.
inline std::optional<int64_t> checkedAxis(int64_t axis, int64_t rank,
                                          bool inclusive = false) {
  int64_t hi = inclusive ? rank + 1 : rank;
  if (axis < -rank || axis >= hi)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

} // namespace mlir::dlc

#endif // DLC_IR_SHAPEUTILS_H
