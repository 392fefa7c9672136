//===- ShapeRules.cpp - helpers of the dlc shape rules --------------------===//
//
// What the shape rules of several op families share (ShapeRules.h): list and
// window checks, broadcasting, the pooling, reduction and slicing rules.
//
//===----------------------------------------------------------------------===//
#include "ir/ShapeRules.h"

#include "mlir/Dialect/Traits.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::shape_rules;

namespace mlir::dlc::shape_rules {

std::string fmt(ArrayRef<int64_t> dims) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[";
  llvm::interleaveComma(dims, os);
  os << "]";
  return s;
}

/// Numpy broadcasting of two shapes; nullopt when incompatible.
std::optional<SmallVector<int64_t>> broadcast(ArrayRef<int64_t> a,
                                              ArrayRef<int64_t> b) {
  SmallVector<int64_t> out;
  if (!OpTrait::util::getBroadcastedShape(a, b, out))
    return std::nullopt;
  return out;
}

Type binaryRule(Value lhs, Value rhs, Type elem, std::string &err) {
  auto shape = broadcast(shapeOf(lhs), shapeOf(rhs));
  if (!shape)
    return Err(err) << "expects broadcast-compatible shapes, got "
                    << fmt(shapeOf(lhs)) << " and " << fmt(shapeOf(rhs));
  return RankedTensorType::get(*shape, elem);
}

/// Checks that `v` has exactly `n` entries, each at least `min`.
bool checkList(ArrayRef<int64_t> v, size_t n, int64_t min, StringRef name,
               std::string &err) {
  if (v.size() != n) {
    Err(err) << "expects '" << name << "' to have " << n << " entries, got "
             << v.size();
    return false;
  }
  for (int64_t x : v)
    if (x < min) {
      Err(err) << "expects '" << name << "' entries to be at least " << min
               << ", got " << fmt(v);
      return false;
    }
  return true;
}

/// Output extent of a sliding window; <= 0 when the window does not fit.
int64_t windowOut(int64_t in, int64_t padBefore, int64_t padAfter,
                  int64_t kernel, int64_t stride, int64_t dilation) {
  int64_t span = dilation * (kernel - 1) + 1;
  int64_t padded = in + padBefore + padAfter;
  if (padded < span)
    return 0;
  return (padded - span) / stride + 1;
}

/// Shared by the two pooling ops: NCHW input, window attributes.
Type poolRule(Value input, ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
              ArrayRef<int64_t> padding, ArrayRef<int64_t> dilation,
              std::string &err) {
  auto in = shapeOf(input);
  if (in.size() != 4)
    return Err(err) << "expects a 4-D NCHW input, got rank " << in.size();
  if (!checkList(kernel, 2, 1, "kernel_size", err) ||
      !checkList(stride, 2, 1, "stride", err) ||
      !checkList(padding, 4, 0, "padding", err) ||
      !checkList(dilation, 2, 1, "dilation", err))
    return {};
  for (int i = 0; i < 2; ++i)
    if (padding[i] * 2 > kernel[i] || padding[i + 2] * 2 > kernel[i])
      return Err(err) << "expects padding at most half the kernel size, got "
                         "padding "
                      << fmt(padding) << " for kernel " << fmt(kernel);
  SmallVector<int64_t> out{in[0], in[1], 0, 0};
  for (int i = 0; i < 2; ++i) {
    out[2 + i] = windowOut(in[2 + i], padding[i], padding[i + 2], kernel[i],
                           stride[i], dilation[i]);
    if (out[2 + i] <= 0)
      return Err(err) << "expects the pooling window to fit the input, got "
                         "input "
                      << fmt(in) << " and kernel " << fmt(kernel);
  }
  return RankedTensorType::get(out, elementTypeOf(input));
}

Type reduceRule(Value input, ArrayRef<int64_t> axes, bool keepdims,
                std::string &err) {
  auto in = shapeOf(input);
  int64_t rank = in.size();
  SmallVector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes) {
    auto ax = checkedAxis(a, rank);
    if (!ax)
      return Err(err) << "expects axes in [" << -rank << ", " << rank
                      << "), got " << fmt(axes);
    if (reduced[*ax])
      return Err(err) << "expects distinct axes, got " << fmt(axes);
    reduced[*ax] = true;
  }
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      out.push_back(in[i]);
    else if (keepdims)
      out.push_back(1);
  }
  return RankedTensorType::get(out, elementTypeOf(input));
}

Type softmaxRule(Value input, int64_t axis, std::string &err) {
  int64_t rank = shapeOf(input).size();
  if (!checkedAxis(axis, rank))
    return Err(err) << "expects axis in [" << -rank << ", " << rank
                    << "), got " << axis;
  return input.getType();
}

/// Replaces `shape` by the shape of a slice of it (Python semantics per
/// axis: negative starts/ends count from the end and are clamped to
/// [0, dim]); false with `err` set when the attributes are inconsistent.
/// Shared by dlc.slice and dlc.slice_backward.
bool slicedShape(SmallVectorImpl<int64_t> &shape, ArrayRef<int64_t> starts,
                 ArrayRef<int64_t> ends, ArrayRef<int64_t> axesAttr,
                 ArrayRef<int64_t> stepsAttr, std::string &err) {
  int64_t rank = shape.size();
  SmallVector<int64_t> axes(axesAttr), steps(stepsAttr);
  if (axes.empty())
    for (int64_t i = 0; i < (int64_t)starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    Err(err) << "expects 'starts', 'ends', 'axes' and 'steps' of one "
                "length, got "
             << starts.size() << ", " << ends.size() << ", " << axes.size()
             << " and " << steps.size();
    return false;
  }
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < starts.size(); ++i) {
    auto ax = checkedAxis(axes[i], rank);
    if (!ax || seen[*ax]) {
      Err(err) << "expects distinct axes in [" << -rank << ", " << rank
               << "), got " << fmt(axes);
      return false;
    }
    seen[*ax] = true;
    if (steps[i] < 1) {
      Err(err) << "expects positive steps, got " << fmt(steps);
      return false;
    }
    int64_t dim = shape[*ax];
    auto clampIdx = [dim](int64_t v) {
      if (v < 0)
        v += dim;
      return std::clamp<int64_t>(v, 0, dim);
    };
    int64_t b = clampIdx(starts[i]), e = clampIdx(ends[i]);
    shape[*ax] = e > b ? (e - b + steps[i] - 1) / steps[i] : 0;
  }
  return true;
}

} // namespace mlir::dlc::shape_rules
