//===- ShapeRules.cpp - result types of dlc ops ---------------------------===//
//
// One rule per op computes the result type from operands and attributes, or
// says what is wrong. The rule backs both inferReturnTypes (builders, the
// frontend) and verify() (so the message names the op, once).
//
//===----------------------------------------------------------------------===//
#include "ir/DlcOps.h"
#include "ir/ShapeUtils.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Collects a rule's error message; converts to a null Type so a rule can
/// `return Err(msg) << ...;`.
class Err {
public:
  explicit Err(std::string &msg) : os(msg) {}
  template <typename T> Err &operator<<(const T &v) {
    os << v;
    return *this;
  }
  operator Type() const { return {}; }

private:
  llvm::raw_string_ostream os;
};

std::string fmt(ArrayRef<int64_t> dims) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[";
  llvm::interleaveComma(dims, os);
  os << "]";
  return s;
}

RankedTensorType tensorOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}
Type elemOf(Value v) { return tensorOf(v).getElementType(); }


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
  return RankedTensorType::get(out, elemOf(input));
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
  return RankedTensorType::get(out, elemOf(input));
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


/// Adapts a rule over an op adaptor to inferReturnTypes and verify().
template <typename OpT, typename Rule>
LogicalResult inferWith(std::optional<Location> loc,
                        typename OpT::Adaptor adaptor, Rule rule,
                        SmallVectorImpl<Type> &results) {
  std::string err;
  Type type = rule(adaptor, err);
  if (!type)
    return emitOptionalError(loc, "'", OpT::getOperationName(), "' op ", err);
  results.push_back(type);
  return success();
}

template <typename OpT, typename Rule>
LogicalResult verifyWith(OpT op, Rule rule) {
  std::string err;
  Type type = rule(typename OpT::Adaptor(op), err);
  if (!type)
    return op.emitOpError(err);
  if (type != op.getType())
    return op.emitOpError() << "expects result type " << type << ", got "
                            << op.getType();
  return success();
}

} // namespace

#define DLC_SHAPE_RULE(OP, ...)                                               \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc, Adaptor a,   \
                                     SmallVectorImpl<Type> &results) {         \
    return inferWith<OP>(loc, a, __VA_ARGS__, results);                               \
  }                                                                            \
  DLC_VERIFY_RULE(OP, __VA_ARGS__)

// Ops whose traits already say the result type equals the input type get
// inferReturnTypes from ODS; the rule then only verifies attributes.
#define DLC_VERIFY_RULE(OP, ...)                                              \
  LogicalResult OP::verify() { return verifyWith(*this, __VA_ARGS__); }

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// The unary ops (Dlc_UnaryOp) have no rule: their result type is the input
// type (SameOperandsAndResultType), which cannot fail.

DLC_VERIFY_RULE(GeluOp, [](GeluOp::Adaptor a, std::string &err) -> Type {
  StringRef approx = a.getApproximate();
  if (approx != "none" && approx != "tanh")
    return Err(err) << "expects approximate to be \"none\" or \"tanh\", got \""
                    << approx << "\"";
  return a.getInput().getType();
})

#define DLC_BINARY_RULE(OP)                                                    \
  DLC_SHAPE_RULE(OP, [](OP::Adaptor a, std::string &err) {                     \
    return binaryRule(a.getLhs(), a.getRhs(), elemOf(a.getLhs()), err);        \
  })
DLC_BINARY_RULE(AddOp)
DLC_BINARY_RULE(SubOp)
DLC_BINARY_RULE(MulOp)
DLC_BINARY_RULE(DivOp)
DLC_BINARY_RULE(PowOp)
DLC_BINARY_RULE(MaximumOp)
DLC_BINARY_RULE(MinimumOp)
#undef DLC_BINARY_RULE

DLC_SHAPE_RULE(CompareOp, [](CompareOp::Adaptor a, std::string &err) -> Type {
  StringRef p = a.getPredicate();
  if (!llvm::is_contained({"eq", "ne", "lt", "le", "gt", "ge"}, p))
    return Err(err) << "expects predicate to be one of eq, ne, lt, le, gt, "
                       "ge, got \""
                    << p << "\"";
  return binaryRule(a.getLhs(), a.getRhs(),
                    IntegerType::get(a.getLhs().getContext(), 1), err);
})

DLC_SHAPE_RULE(WhereOp, [](WhereOp::Adaptor a, std::string &err) -> Type {
  if (elemOf(a.getLhs()) != elemOf(a.getRhs()))
    return Err(err) << "expects both branches to have one element type, got "
                    << elemOf(a.getLhs()) << " and " << elemOf(a.getRhs());
  auto ab = broadcast(shapeOf(a.getLhs()), shapeOf(a.getRhs()));
  auto all = ab ? broadcast(shapeOf(a.getCond()), *ab) : std::nullopt;
  if (!all)
    return Err(err) << "expects broadcast-compatible shapes, got "
                    << fmt(shapeOf(a.getCond())) << ", "
                    << fmt(shapeOf(a.getLhs())) << " and "
                    << fmt(shapeOf(a.getRhs()));
  return RankedTensorType::get(*all, elemOf(a.getLhs()));
})

DLC_SHAPE_RULE(CastOp, [](CastOp::Adaptor a, std::string &err) -> Type {
  Type to = a.getTo();
  bool ok = to.isF16() || to.isBF16() || to.isF32() || to.isF64() ||
            to.isSignlessInteger(1) || to.isSignlessInteger(32) ||
            to.isSignlessInteger(64);
  if (!ok)
    return Err(err) << "expects 'to' to be one of f16, bf16, f32, f64, i1, "
                       "i32, i64, got "
                    << to;
  return RankedTensorType::get(shapeOf(a.getInput()), to);
})

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

#define DLC_REDUCE_RULE(OP)                                                    \
  DLC_SHAPE_RULE(OP, [](OP::Adaptor a, std::string &err) {                     \
    return reduceRule(a.getInput(), a.getAxes(), a.getKeepdims(), err);        \
  })
DLC_REDUCE_RULE(ReduceSumOp)
DLC_REDUCE_RULE(ReduceMeanOp)
DLC_REDUCE_RULE(ReduceMaxOp)
#undef DLC_REDUCE_RULE

DLC_VERIFY_RULE(SoftmaxOp, [](SoftmaxOp::Adaptor a, std::string &err) {
  return softmaxRule(a.getInput(), a.getAxis(), err);
})
DLC_VERIFY_RULE(LogSoftmaxOp, [](LogSoftmaxOp::Adaptor a, std::string &err) {
  return softmaxRule(a.getInput(), a.getAxis(), err);
})

DLC_SHAPE_RULE(LayerNormOp, [](LayerNormOp::Adaptor a,
                               std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  int64_t rank = in.size();
  int64_t axisAttr = a.getAxis(); // I64Attr getters return uint64_t
  auto axis = checkedAxis(axisAttr, rank);
  if (!axis)
    return Err(err) << "expects axis in [" << -rank << ", " << rank
                    << "), got " << axisAttr;
  if (a.getEpsilon().convertToDouble() < 0)
    return Err(err) << "expects a non-negative epsilon, got "
                    << a.getEpsilon().convertToDouble();
  ArrayRef<int64_t> normShape = in.drop_front(*axis);
  for (auto [name, v] : {std::pair<StringRef, Value>{"scale", a.getScale()},
                         {"bias", a.getBias()}}) {
    if (shapeOf(v) != normShape)
      return Err(err) << "expects " << name << " of shape " << fmt(normShape)
                      << ", got " << fmt(shapeOf(v));
    if (elemOf(v) != elemOf(a.getInput()))
      return Err(err) << "expects " << name << " of element type "
                      << elemOf(a.getInput()) << ", got " << elemOf(v);
  }
  return a.getInput().getType();
})

DLC_SHAPE_RULE(BatchNormOp, [](BatchNormOp::Adaptor a,
                               std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  if (in.size() < 2)
    return Err(err) << "expects an input of rank at least 2 ([N, C, ...]), "
                       "got rank "
                    << in.size();
  if (a.getEpsilon().convertToDouble() < 0)
    return Err(err) << "expects a non-negative epsilon, got "
                    << a.getEpsilon().convertToDouble();
  SmallVector<int64_t> channel{in[1]};
  for (auto [name, v] :
       {std::pair<StringRef, Value>{"scale", a.getScale()},
        {"bias", a.getBias()},
        {"mean", a.getMean()},
        {"variance", a.getVariance()}}) {
    if (shapeOf(v) != ArrayRef<int64_t>(channel))
      return Err(err) << "expects " << name << " of shape " << fmt(channel)
                      << ", got " << fmt(shapeOf(v));
    if (elemOf(v) != elemOf(a.getInput()))
      return Err(err) << "expects " << name << " of element type "
                      << elemOf(a.getInput()) << ", got " << elemOf(v);
  }
  return a.getInput().getType();
})

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

DLC_SHAPE_RULE(MatmulOp, [](MatmulOp::Adaptor a, std::string &err) -> Type {
  auto l = shapeOf(a.getLhs()), r = shapeOf(a.getRhs());
  if (l.size() < 2 || r.size() < 2)
    return Err(err) << "expects operands of rank at least 2, got ranks "
                    << l.size() << " and " << r.size();
  if (l.back() != r[r.size() - 2])
    return Err(err) << "expects contracting dims to match (" << l.back()
                    << " vs " << r[r.size() - 2] << ")";
  auto batch = broadcast(l.drop_back(2), r.drop_back(2));
  if (!batch)
    return Err(err) << "expects broadcast-compatible batch dims, got "
                    << fmt(l.drop_back(2)) << " and " << fmt(r.drop_back(2));
  batch->append({l[l.size() - 2], r.back()});
  return RankedTensorType::get(*batch, elemOf(a.getLhs()));
})

DLC_SHAPE_RULE(BatchMatmulOp, [](BatchMatmulOp::Adaptor a,
                                 std::string &err) -> Type {
  auto l = shapeOf(a.getLhs()), r = shapeOf(a.getRhs());
  if (l.size() != 3 || r.size() != 3)
    return Err(err) << "expects 3-D operands, got ranks " << l.size()
                    << " and " << r.size();
  if (l[0] != r[0])
    return Err(err) << "expects batch dims to match (" << l[0] << " vs "
                    << r[0] << ")";
  if (l[2] != r[1])
    return Err(err) << "expects contracting dims to match (" << l[2]
                    << " vs " << r[1] << ")";
  return RankedTensorType::get({l[0], l[1], r[2]}, elemOf(a.getLhs()));
})

DLC_SHAPE_RULE(DenseOp, [](DenseOp::Adaptor a, std::string &err) -> Type {
  auto in = shapeOf(a.getInput()), w = shapeOf(a.getWeight());
  if (in.empty())
    return Err(err) << "expects an input of rank at least 1";
  if (w.size() != 2)
    return Err(err) << "expects a 2-D weight [out, in], got rank "
                    << w.size();
  if (in.back() != w[1])
    return Err(err) << "expects input features to match weight in-features ("
                    << in.back() << " vs " << w[1] << ")";
  if (Value bias = a.getBias())
    if (shapeOf(bias) != ArrayRef<int64_t>{w[0]})
      return Err(err) << "expects bias of shape [" << w[0] << "], got "
                      << fmt(shapeOf(bias));
  SmallVector<int64_t> out(in.drop_back());
  out.push_back(w[0]);
  return RankedTensorType::get(out, elemOf(a.getInput()));
})

DLC_SHAPE_RULE(Conv2dOp, [](Conv2dOp::Adaptor a, std::string &err) -> Type {
  auto in = shapeOf(a.getInput()), w = shapeOf(a.getWeight());
  if (in.size() != 4)
    return Err(err) << "expects a 4-D NCHW input, got rank " << in.size();
  if (w.size() != 4)
    return Err(err) << "expects a 4-D OIHW weight, got rank " << w.size();
  if (!checkList(a.getStride(), 2, 1, "stride", err) ||
      !checkList(a.getPadding(), 4, 0, "padding", err) ||
      !checkList(a.getDilation(), 2, 1, "dilation", err))
    return {};
  if (w[2] < 1 || w[3] < 1)
    return Err(err) << "expects a kernel of at least 1x1, got weight "
                    << fmt(w);
  int64_t groups = a.getGroups(); // I64Attr getters return uint64_t
  if (groups < 1)
    return Err(err) << "expects groups to be at least 1, got " << groups;
  if (in[1] % groups != 0 || w[0] % groups != 0)
    return Err(err) << "expects input channels (" << in[1]
                    << ") and output channels (" << w[0]
                    << ") divisible by groups (" << groups << ")";
  if (w[1] * groups != in[1])
    return Err(err) << "expects weight in-channels times groups (" << w[1]
                    << " * " << groups << ") to equal input channels ("
                    << in[1] << ")";
  if (Value bias = a.getBias())
    if (shapeOf(bias) != ArrayRef<int64_t>{w[0]})
      return Err(err) << "expects bias of shape [" << w[0] << "], got "
                      << fmt(shapeOf(bias));
  auto s = a.getStride(), p = a.getPadding(), d = a.getDilation();
  SmallVector<int64_t> out{in[0], w[0], 0, 0};
  for (int i = 0; i < 2; ++i) {
    out[2 + i] = windowOut(in[2 + i], p[i], p[i + 2], w[2 + i], s[i], d[i]);
    if (out[2 + i] <= 0)
      return Err(err) << "expects the kernel to fit the padded input, got "
                         "input "
                      << fmt(in) << " and weight " << fmt(w);
  }
  return RankedTensorType::get(out, elemOf(a.getInput()));
})

DLC_SHAPE_RULE(MaxPool2dOp, [](MaxPool2dOp::Adaptor a, std::string &err) {
  return poolRule(a.getInput(), a.getKernelSize(), a.getStride(),
                  a.getPadding(), a.getDilation(), err);
})

DLC_SHAPE_RULE(AvgPool2dOp, [](AvgPool2dOp::Adaptor a, std::string &err) {
  return poolRule(a.getInput(), a.getKernelSize(), a.getStride(),
                  a.getPadding(), {1, 1}, err);
})

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

DLC_SHAPE_RULE(ReshapeOp, [](ReshapeOp::Adaptor a, std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  SmallVector<int64_t> out(a.getShape());
  int64_t known = 1;
  std::optional<size_t> inferred;
  for (auto [i, d] : llvm::enumerate(out)) {
    if (d == -1 && !inferred) {
      inferred = i;
      continue;
    }
    if (d < 0)
      return Err(err) << "expects non-negative dims and at most one -1 in "
                         "'shape', got "
                      << fmt(a.getShape());
    known *= d;
  }
  int64_t total = product(in);
  if (inferred) {
    if (known == 0 || total % known != 0)
      return Err(err) << "cannot reshape " << fmt(in) << " to "
                      << fmt(a.getShape());
    out[*inferred] = total / known;
  } else if (known != total) {
    return Err(err) << "expects the same element count, cannot reshape "
                    << fmt(in) << " (" << total << ") to "
                    << fmt(a.getShape()) << " (" << known << ")";
  }
  return RankedTensorType::get(out, elemOf(a.getInput()));
})

DLC_SHAPE_RULE(FlattenOp, [](FlattenOp::Adaptor a, std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  int64_t rank = in.size();
  int64_t axisAttr = a.getAxis(); // I64Attr getters return uint64_t
  auto axis = checkedAxis(axisAttr, rank, /*inclusive=*/true);
  if (!axis)
    return Err(err) << "expects axis in [" << -rank << ", " << rank
                    << "], got " << axisAttr;
  return RankedTensorType::get(
      {product(in.take_front(*axis)), product(in.drop_front(*axis))},
      elemOf(a.getInput()));
})

DLC_SHAPE_RULE(TransposeOp, [](TransposeOp::Adaptor a,
                               std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  auto perm = a.getPerm();
  SmallVector<bool> seen(in.size(), false);
  SmallVector<int64_t> out;
  for (int64_t p : perm) {
    if (perm.size() != in.size() || p < 0 || p >= (int64_t)in.size() ||
        seen[p])
      return Err(err) << "expects 'perm' to be a permutation of 0.."
                      << (int64_t)in.size() - 1 << ", got " << fmt(perm);
    seen[p] = true;
    out.push_back(in[p]);
  }
  if (perm.size() != in.size())
    return Err(err) << "expects 'perm' to be a permutation of 0.."
                    << (int64_t)in.size() - 1 << ", got " << fmt(perm);
  return RankedTensorType::get(out, elemOf(a.getInput()));
})

DLC_SHAPE_RULE(ConcatOp, [](ConcatOp::Adaptor a, std::string &err) -> Type {
  auto inputs = a.getInputs();
  if (inputs.empty())
    return Err(err) << "expects at least one input";
  SmallVector<int64_t> out(shapeOf(inputs[0]));
  int64_t rank = out.size();
  int64_t axisAttr = a.getAxis(); // I64Attr getters return uint64_t
  auto axis = checkedAxis(axisAttr, rank);
  if (!axis)
    return Err(err) << "expects axis in [" << -rank << ", " << rank
                    << "), got " << axisAttr;
  for (Value v : inputs.drop_front()) {
    auto s = shapeOf(v);
    bool ok = (int64_t)s.size() == rank;
    for (int64_t i = 0; ok && i < rank; ++i)
      ok = i == *axis || s[i] == out[i];
    if (!ok)
      return Err(err) << "expects inputs to match except along axis "
                      << *axis << ", got " << fmt(shapeOf(inputs[0]))
                      << " and " << fmt(s);
    out[*axis] += s[*axis];
  }
  return RankedTensorType::get(out, elemOf(inputs[0]));
})

DLC_SHAPE_RULE(SliceOp, [](SliceOp::Adaptor a, std::string &err) -> Type {
  SmallVector<int64_t> out(shapeOf(a.getInput()));
  if (!slicedShape(out, a.getStarts(), a.getEnds(), a.getAxes(), a.getSteps(),
                   err))
    return {};
  return RankedTensorType::get(out, elemOf(a.getInput()));
})

DLC_SHAPE_RULE(BroadcastOp, [](BroadcastOp::Adaptor a,
                               std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  auto target = a.getShape();
  if (llvm::any_of(target, [](int64_t d) { return d < 0; }))
    return Err(err) << "expects non-negative dims in 'shape', got "
                    << fmt(target);
  auto b = broadcast(in, target);
  if (in.size() > target.size() || !b || ArrayRef<int64_t>(*b) != target)
    return Err(err) << "cannot broadcast " << fmt(in) << " to "
                    << fmt(target);
  return RankedTensorType::get(target, elemOf(a.getInput()));
})

DLC_SHAPE_RULE(ConstantOp, [](ConstantOp::Adaptor a,
                              std::string &err) -> Type {
  auto type = dyn_cast<RankedTensorType>(a.getValue().getType());
  if (!type)
    return Err(err) << "expects a ranked tensor value";
  return type;
})

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

DLC_SHAPE_RULE(SoftmaxCrossEntropyOp, [](SoftmaxCrossEntropyOp::Adaptor a,
                                         std::string &err) -> Type {
  auto logits = shapeOf(a.getLogits()), labels = shapeOf(a.getLabels());
  if (logits.size() != 2)
    return Err(err) << "expects 2-D logits [N, C], got rank "
                    << logits.size();
  if (labels.size() != 1 || labels[0] != logits[0])
    return Err(err) << "expects labels of shape [" << logits[0] << "], got "
                    << fmt(labels);
  return RankedTensorType::get({}, elemOf(a.getLogits()));
})

DLC_SHAPE_RULE(MseLossOp, [](MseLossOp::Adaptor a, std::string &err) -> Type {
  if (shapeOf(a.getInput()) != shapeOf(a.getTarget()))
    return Err(err) << "expects input and target of one shape, got "
                    << fmt(shapeOf(a.getInput())) << " and "
                    << fmt(shapeOf(a.getTarget()));
  return RankedTensorType::get({}, elemOf(a.getInput()));
})

//===----------------------------------------------------------------------===//
// Recurrent layers: y [seq, dirs, batch, H], then the last state(s)
// [dirs, batch, H]; every operand's shape follows from input, hidden_size,
// direction and the gate count (4 for LSTM, 3 for GRU).
//===----------------------------------------------------------------------===//

namespace {

/// Checks the operands of a recurrent op; on success appends `numStates`
/// state types after y.
LogicalResult recurrentRule(StringRef direction, int64_t hidden,
                            int64_t gates, Value input, Value weight,
                            Value recurrence, Value bias,
                            ArrayRef<std::pair<StringRef, Value>> states,
                            std::string &err, SmallVectorImpl<Type> &results) {
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional") {
    Err(err) << "expects direction \"forward\", \"reverse\" or "
                "\"bidirectional\", got \""
             << direction << "\"";
    return failure();
  }
  if (hidden < 1) {
    Err(err) << "expects hidden_size >= 1, got " << hidden;
    return failure();
  }
  auto x = shapeOf(input);
  if (x.size() != 3) {
    Err(err) << "expects input [seq, batch, input_size], got " << fmt(x);
    return failure();
  }
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  auto expect = [&](StringRef name, Value v,
                    ArrayRef<int64_t> want) -> LogicalResult {
    if (!v || shapeOf(v) == want)
      return success();
    Err(err) << "expects " << name << " of shape " << fmt(want) << ", got "
             << fmt(shapeOf(v));
    return failure();
  };
  if (failed(expect("weight", weight, {dirs, gates * hidden, x[2]})) ||
      failed(expect("recurrence", recurrence, {dirs, gates * hidden, hidden})) ||
      failed(expect("bias", bias, {dirs, 2 * gates * hidden})))
    return failure();
  for (auto [name, v] : states)
    if (failed(expect(name, v, {dirs, x[1], hidden})))
      return failure();
  Type elem = elemOf(input);
  results.push_back(RankedTensorType::get({x[0], dirs, x[1], hidden}, elem));
  for (size_t i = 0; i < states.size(); ++i)
    results.push_back(RankedTensorType::get({dirs, x[1], hidden}, elem));
  return success();
}

LogicalResult lstmRule(LstmOp::Adaptor a, std::string &err,
                       SmallVectorImpl<Type> &results) {
  return recurrentRule(a.getDirection(), a.getHiddenSize(), 4, a.getInput(),
                       a.getWeight(), a.getRecurrence(), a.getBias(),
                       {{"initial_h", a.getInitialH()},
                        {"initial_c", a.getInitialC()}},
                       err, results);
}

LogicalResult gruRule(GruOp::Adaptor a, std::string &err,
                      SmallVectorImpl<Type> &results) {
  return recurrentRule(a.getDirection(), a.getHiddenSize(), 3, a.getInput(),
                       a.getWeight(), a.getRecurrence(), a.getBias(),
                       {{"initial_h", a.getInitialH()}}, err, results);
}

} // namespace

#define DLC_RECURRENT_RULE(OP, RULE)                                           \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc, Adaptor a,   \
                                     SmallVectorImpl<Type> &results) {         \
    std::string err;                                                           \
    if (failed(RULE(a, err, results)))                                         \
      return emitOptionalError(loc, "'", OP::getOperationName(), "' op ",      \
                               err);                                           \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::verify() {                                                 \
    std::string err;                                                           \
    SmallVector<Type> types;                                                   \
    if (failed(RULE(Adaptor(*this), err, types)))                              \
      return emitOpError(err);                                                 \
    if (TypeRange(types) != getOperation()->getResultTypes())                  \
      return emitOpError() << "expects result types " << TypeRange(types)      \
                           << ", got " << getOperation()->getResultTypes();    \
    return success();                                                          \
  }
DLC_RECURRENT_RULE(LstmOp, lstmRule)
DLC_RECURRENT_RULE(GruOp, gruRule)
#undef DLC_RECURRENT_RULE

//===----------------------------------------------------------------------===//
// Backward ops: the result shape comes from an attribute or an operand; the
// rule checks that the forward op with these attributes would produce a
// result of grad_output's shape.
//===----------------------------------------------------------------------===//

namespace {

/// Checks a 4-D `shape` attribute given for a forward input.
bool checkInputShape(ArrayRef<int64_t> shape, StringRef name,
                     std::string &err) {
  if (shape.size() != 4 || llvm::any_of(shape, [](int64_t d) { return d < 1; })) {
    Err(err) << "expects '" << name << "' to be a 4-D NCHW shape of positive "
             << "dims, got " << fmt(shape);
    return false;
  }
  return true;
}

/// The forward conv2d/pool output [N, channels, OH, OW] of an input [N, C,
/// H, W] with a `kernel` window, or a null type with the error.
std::optional<SmallVector<int64_t>>
windowForward(ArrayRef<int64_t> in, int64_t channels,
              ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
              ArrayRef<int64_t> padding, ArrayRef<int64_t> dilation,
              std::string &err) {
  if (!checkList(kernel, 2, 1, "kernel_size", err) ||
      !checkList(stride, 2, 1, "stride", err) ||
      !checkList(padding, 4, 0, "padding", err) ||
      !checkList(dilation, 2, 1, "dilation", err))
    return std::nullopt;
  SmallVector<int64_t> out{in[0], channels, 0, 0};
  for (int i = 0; i < 2; ++i) {
    out[2 + i] = windowOut(in[2 + i], padding[i], padding[i + 2], kernel[i],
                           stride[i], dilation[i]);
    if (out[2 + i] <= 0) {
      Err(err) << "expects the window to fit the input, got input "
               << fmt(in) << " and kernel " << fmt(kernel);
      return std::nullopt;
    }
  }
  return out;
}

Type checkGradShape(Value grad, ArrayRef<int64_t> expected,
                    ArrayRef<int64_t> result, std::string &err) {
  if (shapeOf(grad) != expected)
    return Err(err) << "expects grad_output of shape " << fmt(expected)
                    << " (the forward result), got " << fmt(shapeOf(grad));
  return RankedTensorType::get(result, elemOf(grad));
}

} // namespace

DLC_SHAPE_RULE(Conv2dBackwardInputOp, [](Conv2dBackwardInputOp::Adaptor a,
                                         std::string &err) -> Type {
  auto in = a.getInputShape();
  auto w = shapeOf(a.getWeight());
  if (!checkInputShape(in, "input_shape", err))
    return {};
  if (w.size() != 4)
    return Err(err) << "expects a 4-D OIHW weight, got rank " << w.size();
  int64_t groups = a.getGroups(); // I64Attr getters return uint64_t
  if (groups < 1 || in[1] % groups != 0 || w[0] % groups != 0 ||
      w[1] * groups != in[1])
    return Err(err) << "expects weight " << fmt(w) << " to fit input "
                    << fmt(in) << " with groups " << groups;
  auto out = windowForward(in, w[0], w.drop_front(2), a.getStride(),
                           a.getPadding(), a.getDilation(), err);
  if (!out)
    return {};
  return checkGradShape(a.getGradOutput(), *out, in, err);
})

DLC_SHAPE_RULE(Conv2dBackwardWeightOp, [](Conv2dBackwardWeightOp::Adaptor a,
                                          std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  auto g = shapeOf(a.getGradOutput());
  if (in.size() != 4 || g.size() != 4)
    return Err(err) << "expects 4-D NCHW input and grad_output, got ranks "
                    << in.size() << " and " << g.size();
  int64_t groups = a.getGroups(); // I64Attr getters return uint64_t
  if (groups < 1 || in[1] % groups != 0 || g[1] % groups != 0)
    return Err(err) << "expects input channels (" << in[1]
                    << ") and output channels (" << g[1]
                    << ") divisible by groups (" << groups << ")";
  auto out = windowForward(in, g[1], a.getKernelSize(), a.getStride(),
                           a.getPadding(), a.getDilation(), err);
  if (!out)
    return {};
  auto k = a.getKernelSize();
  return checkGradShape(a.getGradOutput(), *out,
                        {g[1], in[1] / groups, k[0], k[1]}, err);
})

DLC_SHAPE_RULE(MaxPool2dBackwardOp, [](MaxPool2dBackwardOp::Adaptor a,
                                       std::string &err) -> Type {
  std::string sub;
  Type fwd = poolRule(a.getInput(), a.getKernelSize(), a.getStride(),
                      a.getPadding(), a.getDilation(), sub);
  if (!fwd)
    return Err(err) << sub;
  return checkGradShape(a.getGradOutput(),
                        cast<RankedTensorType>(fwd).getShape(),
                        shapeOf(a.getInput()), err);
})

DLC_SHAPE_RULE(AvgPool2dBackwardOp, [](AvgPool2dBackwardOp::Adaptor a,
                                       std::string &err) -> Type {
  auto in = a.getInputShape();
  if (!checkInputShape(in, "input_shape", err))
    return {};
  auto out = windowForward(in, in[1], a.getKernelSize(), a.getStride(),
                           a.getPadding(), {1, 1}, err);
  if (!out)
    return {};
  return checkGradShape(a.getGradOutput(), *out, in, err);
})

DLC_SHAPE_RULE(SliceBackwardOp, [](SliceBackwardOp::Adaptor a,
                                   std::string &err) -> Type {
  auto in = a.getInputShape();
  if (llvm::any_of(in, [](int64_t d) { return d < 0; }))
    return Err(err) << "expects non-negative dims in 'input_shape', got "
                    << fmt(in);
  // The forward slice's result shape.
  SmallVector<int64_t> out(in);
  if (!slicedShape(out, a.getStarts(), a.getEnds(), a.getAxes(), a.getSteps(),
                   err))
    return {};
  if (shapeOf(a.getGrad()) != ArrayRef<int64_t>(out))
    return Err(err) << "expects grad of shape " << fmt(out)
                    << " (the forward result), got " << fmt(shapeOf(a.getGrad()));
  return RankedTensorType::get(in, elemOf(a.getGrad()));
})

//===----------------------------------------------------------------------===//
// Optimizer updates: param, grad and the state tensors share one type; step
// and lr are 0-d of its element type; one result per tensor but grad.
//===----------------------------------------------------------------------===//

namespace {

template <typename OpT>
LogicalResult optimizerRule(typename OpT::Adaptor a, std::string &err,
                            SmallVectorImpl<Type> &results) {
  static const char *const kNames[] = {"param", "grad", "state", "state"};
  // grad_scale and skip, when present, are the last operands.
  size_t numOptional = (a.getGradScale() ? 1 : 0) + (a.getSkip() ? 1 : 0);
  for (auto [name, v] : {std::pair<const char *, Value>{"grad_scale",
                                                        a.getGradScale()},
                         {"skip", a.getSkip()}}) {
    auto t = v ? tensorOf(v) : RankedTensorType();
    if (v && (t.getRank() != 0 || !t.getElementType().isF32())) {
      llvm::raw_string_ostream(err)
          << "expects " << name << " to be a 0-d f32 tensor, got "
          << v.getType();
      return failure();
    }
  }
  ValueRange ops = a.getOperands().drop_back(numOptional);
  size_t numTensors = ops.size() - 2;
  Type type = ops[0].getType();
  for (size_t i = 1; i < numTensors; ++i)
    if (ops[i].getType() != type) {
      llvm::raw_string_ostream(err)
          << "expects " << kNames[std::min<size_t>(i, 3)] << " operand #" << i
          << " of the param's type " << type << ", got " << ops[i].getType();
      return failure();
    }
  for (size_t i = numTensors; i < ops.size(); ++i) {
    auto t = tensorOf(ops[i]);
    if (t.getRank() != 0 || t.getElementType() != elemOf(ops[0])) {
      llvm::raw_string_ostream(err)
          << "expects " << (i == numTensors ? "step" : "lr")
          << " to be a 0-d tensor of " << elemOf(ops[0]) << ", got "
          << ops[i].getType();
      return failure();
    }
  }
  results.push_back(type);
  for (size_t i = 2; i < numTensors; ++i)
    results.push_back(type);
  return success();
}

LogicalResult checkHyper(std::string &err, StringRef name, double v,
                         bool unitInterval) {
  if (unitInterval ? (v >= 0 && v < 1) : v >= 0)
    return success();
  llvm::raw_string_ostream(err) << "expects " << name
                                << (unitInterval ? " in [0, 1)" : " >= 0")
                                << ", got " << v;
  return failure();
}

template <typename OpT>
LogicalResult checkAdamHypers(OpT op, std::string &err) {
  if (failed(checkHyper(err, "beta1", op.getBeta1().convertToDouble(), true)) ||
      failed(checkHyper(err, "beta2", op.getBeta2().convertToDouble(), true)) ||
      failed(checkHyper(err, "weight_decay",
                        op.getWeightDecay().convertToDouble(), false)))
    return failure();
  if (!(op.getEps().convertToDouble() > 0)) {
    llvm::raw_string_ostream(err)
        << "expects eps > 0, got " << op.getEps().convertToDouble();
    return failure();
  }
  return success();
}

template <typename OpT>
LogicalResult verifyOptimizer(OpT op, std::string &err) {
  SmallVector<Type> types;
  if (failed(optimizerRule<OpT>(typename OpT::Adaptor(op), err, types)))
    return failure();
  if (TypeRange(types) != op->getResultTypes()) {
    err = "expects every result to have the param's type";
    return failure();
  }
  return success();
}

} // namespace

#define DLC_OPTIMIZER_INFER(OP)                                                \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc, Adaptor a,   \
                                     SmallVectorImpl<Type> &results) {         \
    std::string err;                                                           \
    if (failed(optimizerRule<OP>(a, err, results)))                            \
      return emitOptionalError(loc, "'", OP::getOperationName(), "' op ",      \
                               err);                                           \
    return success();                                                          \
  }
DLC_OPTIMIZER_INFER(SgdUpdateOp)
DLC_OPTIMIZER_INFER(AdamUpdateOp)
DLC_OPTIMIZER_INFER(AdamwUpdateOp)
#undef DLC_OPTIMIZER_INFER

LogicalResult SgdUpdateOp::verify() {
  std::string err;
  if (failed(verifyOptimizer(*this, err)) ||
      failed(checkHyper(err, "momentum", getMomentum().convertToDouble(),
                        false)) ||
      failed(checkHyper(err, "weight_decay", getWeightDecay().convertToDouble(),
                        false)))
    return emitOpError(err);
  if (getNesterov() && getMomentum().convertToDouble() <= 0)
    return emitOpError("expects momentum > 0 with nesterov");
  return success();
}

LogicalResult AdamUpdateOp::verify() {
  std::string err;
  if (failed(verifyOptimizer(*this, err)) || failed(checkAdamHypers(*this, err)))
    return emitOpError(err);
  return success();
}

LogicalResult AdamwUpdateOp::verify() {
  std::string err;
  if (failed(verifyOptimizer(*this, err)) || failed(checkAdamHypers(*this, err)))
    return emitOpError(err);
  return success();
}
