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
#include "llvm/ADT/SmallVector.h"

#include <algorithm>

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
/// The bytes a tensor value occupies (sub-byte elements take a byte each).
inline int64_t storageBytes(Value v) {
  RankedTensorType t = tensorTypeOf(v);
  int64_t bits = t.getElementTypeBitWidth();
  return t.getNumElements() * (bits < 8 ? 1 : bits / 8);
}

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

/// Where a slice (dlc.slice, dlc.slice_backward) of `inShape` starts and
/// how it steps in every dim (0 and 1 in the dims it does not slice), from
/// the op's starts, axes and steps as its verifier accepted them: negative
/// axes and starts count from the end, starts clamp to the dim.
struct SliceWindow {
  SmallVector<int64_t> start, step;
};
inline SliceWindow sliceWindow(ArrayRef<int64_t> inShape,
                               ArrayRef<int64_t> starts, ArrayRef<int64_t> axes,
                               ArrayRef<int64_t> steps) {
  int64_t rank = inShape.size();
  SliceWindow w{SmallVector<int64_t>(rank, 0), SmallVector<int64_t>(rank, 1)};
  for (size_t j = 0; j < starts.size(); ++j) {
    int64_t a = normalizeAxis(axes.empty() ? int64_t(j) : axes[j], rank);
    int64_t st = starts[j] < 0 ? starts[j] + inShape[a] : starts[j];
    w.start[a] = std::clamp<int64_t>(st, 0, inShape[a]);
    if (!steps.empty())
      w.step[a] = steps[j];
  }
  return w;
}

} // namespace mlir::dlc

#endif // DLC_IR_SHAPEUTILS_H
