//===- Gradients.cpp - the differentiation rule of every dlc op -----------===//
//
// One rule per op: given the op, the cotangent `g` of its result and which
// operands are wanted, build the cotangents of those operands with dlc ops
// (DifferentiableOpInterface, ir/DlcInterfaces.td). Each rule is the method
// XOp::buildGradient that Dlc_Differentiable declares on the op in DlcOps.td,
// so this file is the whole table and a declared rule that is missing here
// fails to link.
//
// Conventions: x is the op's (first) input, y its result, g the result's
// cotangent; a, b the operands of a binary op. Operands that numpy
// broadcasting widened get their cotangent summed back to their own shape
// (VjpBuilder::unbroadcast). Ops whose VJP no forward op expresses use the
// backward ops of DlcOps.td (conv2d_backward_input/weight,
// max/avg_pool2d_backward, slice_backward).
//
//===----------------------------------------------------------------------===//
#include "ir/DlcInterfaces.h"
#include "ir/ShapeUtils.h"
#include "ir/DlcOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::dlc;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }
Type elemOf(Value v) { return typeOf(v).getElementType(); }
bool isFloatTensor(Value v) { return isa<FloatType>(elemOf(v)); }


SmallVector<int64_t> iota(int64_t from, int64_t to) {
  SmallVector<int64_t> v;
  for (int64_t i = from; i < to; ++i)
    v.push_back(i);
  return v;
}

} // namespace

/// The op builders a rule uses, at the builder's insertion point and the
/// forward op's location.
class mlir::dlc::VjpBuilder {
public:
  OpBuilder &b;
  Location loc;

  /// A 0-d constant of element type `elem` (broadcasts against anything).
  Value scalar(double v, Type elem) {
    auto type = RankedTensorType::get({}, elem);
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, ArrayRef<Attribute>{FloatAttr::get(elem, v)}));
  }
  Value scalarLike(double v, Value like) { return scalar(v, elemOf(like)); }

  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value mul(Value x, double c) { return mul(x, scalarLike(c, x)); }
  Value neg(Value x) { return NegOp::create(b, loc, x); }
  Value exp(Value x) { return ExpOp::create(b, loc, x); }
  /// Any other op, at the rule's insertion point and location.
  template <typename OpT, typename... Args> Value build(Args &&...args) {
    return OpT::create(b, loc, std::forward<Args>(args)...);
  }
  Value cmp(Value x, Value y, StringRef pred) {
    return CompareOp::create(b, loc, x, y, pred);
  }
  /// where(cond, v, 0) or, when `flip`, where(cond, 0, v).
  Value select(Value cond, Value v, bool flip = false) {
    Value zero = scalarLike(0.0, v);
    return flip ? WhereOp::create(b, loc, cond, zero, v).getResult()
                : WhereOp::create(b, loc, cond, v, zero).getResult();
  }
  Value castTo(Value x, Type elem) {
    if (elemOf(x) == elem)
      return x;
    return CastOp::create(b, loc, x, elem);
  }
  Value reduceSum(Value x, ArrayRef<int64_t> axes, bool keepdims) {
    return ReduceSumOp::create(b, loc, x, axes, keepdims);
  }
  Value reshape(Value x, ArrayRef<int64_t> shape) {
    if (shapeOf(x) == shape)
      return x;
    return ReshapeOp::create(b, loc, x, shape);
  }
  Value broadcast(Value x, ArrayRef<int64_t> shape) {
    if (shapeOf(x) == shape)
      return x;
    return BroadcastOp::create(b, loc, x, shape);
  }
  Value transpose(Value x, ArrayRef<int64_t> perm) {
    return TransposeOp::create(b, loc, x, perm);
  }
  /// x with its last two dims swapped.
  Value transposeLast2(Value x) {
    int64_t rank = shapeOf(x).size();
    SmallVector<int64_t> perm = iota(0, rank);
    std::swap(perm[rank - 1], perm[rank - 2]);
    return transpose(x, perm);
  }

  /// Sums `g` (of a broadcast result's shape) back to the shape of
  /// `operand`: over the leading dims the operand lacks and over the dims
  /// where it has extent 1, then reshapes.
  Value unbroadcast(Value g, Value operand) {
    ArrayRef<int64_t> to = shapeOf(operand), from = shapeOf(g);
    if (from == to)
      return g;
    int64_t lead = from.size() - to.size();
    SmallVector<int64_t> axes = iota(0, lead);
    for (int64_t i = 0; i < (int64_t)to.size(); ++i)
      if (to[i] == 1 && from[lead + i] != 1)
        axes.push_back(lead + i);
    Value s = axes.empty() ? g : reduceSum(g, axes, /*keepdims=*/false);
    return reshape(s, to);
  }

  /// The shape of `input` with `axes` (empty: all) set to 1.
  static SmallVector<int64_t> keptShape(ArrayRef<int64_t> in,
                                        ArrayRef<int64_t> axes) {
    SmallVector<int64_t> out(in);
    int64_t rank = in.size();
    if (axes.empty())
      out.assign(rank, 1);
    for (int64_t a : axes)
      out[normalizeAxis(a, rank)] = 1;
    return out;
  }
  /// The normalized reduced axes (all dims when `axes` is empty).
  static SmallVector<int64_t> reducedAxes(int64_t rank,
                                          ArrayRef<int64_t> axes) {
    if (axes.empty())
      return iota(0, rank);
    SmallVector<int64_t> out;
    for (int64_t a : axes)
      out.push_back(normalizeAxis(a, rank));
    llvm::sort(out);
    return out;
  }
};

namespace {
using Grads = SmallVectorImpl<Value>;
} // namespace

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// Unary: dx = g * f'(x), written with x and/or y = f(x).
LogicalResult NegOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                   Grads &out) {
  out[0] = v.neg(g);
  return success();
}
LogicalResult ExpOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                   Grads &out) {
  out[0] = v.mul(g, getResult());
  return success();
}
LogicalResult LogOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                   Grads &out) {
  out[0] = v.div(g, getInput());
  return success();
}
LogicalResult SqrtOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                    Grads &out) {
  out[0] = v.div(v.mul(g, 0.5), getResult()); // g / (2 sqrt(x))
  return success();
}
LogicalResult RsqrtOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                     Grads &out) {
  Value y = getResult(); // d/dx x^-1/2 = -y^3 / 2
  out[0] = v.mul(v.mul(g, -0.5), v.mul(v.mul(y, y), y));
  return success();
}
LogicalResult TanhOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                    Grads &out) {
  Value y = getResult();
  out[0] = v.mul(g, v.sub(v.scalarLike(1.0, y), v.mul(y, y)));
  return success();
}
LogicalResult SinOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                   Grads &out) {
  out[0] = v.mul(g, v.build<CosOp>(getInput()));
  return success();
}
LogicalResult CosOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                   Grads &out) {
  out[0] = v.neg(v.mul(g, v.build<SinOp>(getInput())));
  return success();
}
LogicalResult SigmoidOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                       Grads &out) {
  Value y = getResult();
  out[0] = v.mul(g, v.mul(y, v.sub(v.scalarLike(1.0, y), y)));
  return success();
}
LogicalResult ReluOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                    Grads &out) {
  Value x = getInput();
  out[0] = v.select(v.cmp(x, v.scalarLike(0.0, x), "gt"), g);
  return success();
}
LogicalResult ErfOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                   Grads &out) {
  Value x = getInput(); // 2/sqrt(pi) exp(-x^2)
  out[0] = v.mul(v.mul(g, 2.0 / std::sqrt(M_PI)), v.exp(v.neg(v.mul(x, x))));
  return success();
}
LogicalResult GeluOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                    Grads &out) {
  Value x = getInput();
  Value one = v.scalarLike(1.0, x);
  Value d;
  if (getApproximate() == "tanh") {
    // y = x (1 + t) / 2, t = tanh(u), u = c (x + k x^3):
    // dy/dx = (1 + t) / 2 + x (1 - t^2) c (1 + 3 k x^2) / 2.
    const double c = std::sqrt(2.0 / M_PI), k = 0.044715;
    Value x2 = v.mul(x, x);
    Value u = v.mul(v.mul(x, v.add(one, v.mul(x2, k))), c);
    Value t = TanhOp::create(v.b, v.loc, u);
    Value du = v.mul(v.add(one, v.mul(x2, 3 * k)), c);
    Value dt = v.mul(v.sub(one, v.mul(t, t)), du);
    d = v.mul(v.add(v.add(one, t), v.mul(x, dt)), 0.5);
  } else {
    // y = x Phi(x): dy/dx = Phi(x) + x phi(x).
    Value phiCdf = v.mul(
        v.add(one, ErfOp::create(v.b, v.loc, v.mul(x, M_SQRT1_2))), 0.5);
    Value phi = v.mul(v.exp(v.mul(v.mul(x, x), -0.5)),
                      1.0 / std::sqrt(2.0 * M_PI));
    d = v.add(phiCdf, v.mul(x, phi));
  }
  out[0] = v.mul(g, d);
  return success();
}

// Binary, numpy broadcasting: each cotangent is unbroadcast to its operand.
LogicalResult AddOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                   Grads &out) {
  if (w[0])
    out[0] = v.unbroadcast(g, getLhs());
  if (w[1])
    out[1] = v.unbroadcast(g, getRhs());
  return success();
}
LogicalResult SubOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                   Grads &out) {
  if (w[0])
    out[0] = v.unbroadcast(g, getLhs());
  if (w[1])
    out[1] = v.unbroadcast(v.neg(g), getRhs());
  return success();
}
LogicalResult MulOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                   Grads &out) {
  Value a = getLhs(), b = getRhs();
  if (w[0])
    out[0] = v.unbroadcast(v.mul(g, b), a);
  if (w[1])
    out[1] = v.unbroadcast(v.mul(g, a), b);
  return success();
}
LogicalResult DivOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                   Grads &out) {
  Value a = getLhs(), b = getRhs(), y = getResult();
  if (w[0])
    out[0] = v.unbroadcast(v.div(g, b), a);
  if (w[1]) // d(a/b)/db = -a/b^2 = -y/b
    out[1] = v.unbroadcast(v.neg(v.div(v.mul(g, y), b)), b);
  return success();
}
LogicalResult PowOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                   Grads &out) {
  Value a = getLhs(), b = getRhs(), y = getResult();
  if (w[0]) { // b a^(b-1)
    Value bm1 = v.sub(b, v.scalarLike(1.0, b));
    Value d = v.mul(b, PowOp::create(v.b, v.loc, a, bm1));
    out[0] = v.unbroadcast(v.mul(g, d), a);
  }
  if (w[1]) // a^b log(a)
    out[1] = v.unbroadcast(
        v.mul(g, v.mul(y, LogOp::create(v.b, v.loc, a))), b);
  return success();
}
/// maximum/minimum: the cotangent goes to lhs where it won (ties go to lhs),
/// else to rhs.
static LogicalResult minMax(Value a, Value b, StringRef lhsWins, VjpBuilder &v,
                            Value g, ArrayRef<bool> w, Grads &out) {
  Value mask = v.cmp(a, b, lhsWins);
  if (w[0])
    out[0] = v.unbroadcast(v.select(mask, g), a);
  if (w[1])
    out[1] = v.unbroadcast(v.select(mask, g, /*flip=*/true), b);
  return success();
}
LogicalResult MaximumOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                       Grads &out) {
  return minMax(getLhs(), getRhs(), "ge", v, g, w, out);
}
LogicalResult MinimumOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                       Grads &out) {
  return minMax(getLhs(), getRhs(), "le", v, g, w, out);
}
LogicalResult WhereOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                     Grads &out) {
  // Operand 0 (the condition) is boolean: no cotangent.
  if (w[1])
    out[1] = v.unbroadcast(v.select(getCond(), g), getLhs());
  if (w[2])
    out[2] = v.unbroadcast(v.select(getCond(), g, /*flip=*/true), getRhs());
  return success();
}
LogicalResult CastOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                    Grads &out) {
  if (isFloatTensor(getInput())) // float -> float; from integers: none
    out[0] = v.castTo(g, elemOf(getInput()));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

/// g of a reduction, reshaped to the input's rank (reduced dims of extent 1).
template <typename OpT>
static Value keptCotangent(OpT op, VjpBuilder &v, Value g) {
  return v.reshape(g,
                   VjpBuilder::keptShape(shapeOf(op.getInput()), op.getAxes()));
}

LogicalResult ReduceSumOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                         Grads &out) {
  out[0] = v.broadcast(keptCotangent(*this, v, g), shapeOf(getInput()));
  return success();
}
LogicalResult ReduceMeanOp::buildGradient(VjpBuilder &v, Value g,
                                          ArrayRef<bool>, Grads &out) {
  ArrayRef<int64_t> in = shapeOf(getInput());
  int64_t n = product(in) / product(VjpBuilder::keptShape(in, getAxes()));
  out[0] = v.broadcast(v.mul(keptCotangent(*this, v, g), 1.0 / double(n)), in);
  return success();
}
LogicalResult ReduceMaxOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                         Grads &out) {
  // Split evenly between the positions that reach the maximum.
  Value x = getInput();
  SmallVector<int64_t> kept = VjpBuilder::keptShape(shapeOf(x), getAxes());
  Value y = v.reshape(getResult(), kept);
  Value mask = v.castTo(v.cmp(x, y, "eq"), elemOf(x));
  Value count = v.reduceSum(
      mask, VjpBuilder::reducedAxes(shapeOf(x).size(), getAxes()), true);
  out[0] = v.mul(mask, v.div(v.reshape(g, kept), count));
  return success();
}
LogicalResult SoftmaxOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                       Grads &out) {
  Value y = getResult(); // y (g - sum(g y))
  int64_t axis = normalizeAxis(int64_t(getAxis()), shapeOf(y).size());
  Value s = v.reduceSum(v.mul(g, y), {axis}, true);
  out[0] = v.mul(y, v.sub(g, s));
  return success();
}
LogicalResult LogSoftmaxOp::buildGradient(VjpBuilder &v, Value g,
                                          ArrayRef<bool>, Grads &out) {
  Value y = getResult(); // g - softmax(x) sum(g)
  int64_t axis = normalizeAxis(int64_t(getAxis()), shapeOf(y).size());
  Value s = v.reduceSum(g, {axis}, true);
  out[0] = v.sub(g, v.mul(v.exp(y), s));
  return success();
}
LogicalResult LayerNormOp::buildGradient(VjpBuilder &v, Value g,
                                         ArrayRef<bool> w, Grads &out) {
  Value x = getInput();
  int64_t rank = shapeOf(x).size();
  int64_t axis = normalizeAxis(int64_t(getAxis()), rank);
  SmallVector<int64_t> norm = iota(axis, rank), lead = iota(0, axis);
  int64_t n = product(shapeOf(x).drop_front(axis));
  auto mean = [&](Value t) {
    return v.mul(v.reduceSum(t, norm, true), 1.0 / double(n));
  };
  // Recompute the normalized input xh = (x - mean) * rstd.
  Value xc = v.sub(x, mean(x));
  Value var = mean(v.mul(xc, xc));
  Value rstd = RsqrtOp::create(
      v.b, v.loc, v.add(var, v.scalarLike(getEpsilon().convertToDouble(), x)));
  Value xh = v.mul(xc, rstd);
  auto sumLead = [&](Value t) {
    return lead.empty() ? t : v.reduceSum(t, lead, false);
  };
  if (w[0]) { // rstd (gh - mean(gh) - xh mean(gh xh)), gh = g * scale
    Value gh = v.mul(g, getScale());
    out[0] = v.mul(rstd, v.sub(v.sub(gh, mean(gh)), v.mul(xh, mean(v.mul(gh, xh)))));
  }
  if (w[1])
    out[1] = sumLead(v.mul(g, xh));
  if (w[2])
    out[2] = sumLead(g);
  return success();
}
LogicalResult BatchNormOp::buildGradient(VjpBuilder &v, Value g,
                                         ArrayRef<bool> w, Grads &out) {
  // Inference form: mean and variance are constants of the step (no
  // cotangent); y = (x - mean) * inv * scale + bias, inv = rsqrt(var + eps).
  Value x = getInput();
  int64_t rank = shapeOf(x).size(), c = shapeOf(x)[1];
  SmallVector<int64_t> perChannel(rank - 1, 1);
  perChannel[0] = c;
  SmallVector<int64_t> notC = iota(0, rank);
  notC.erase(notC.begin() + 1);
  Value inv = RsqrtOp::create(
      v.b, v.loc,
      v.add(getVariance(), v.scalarLike(getEpsilon().convertToDouble(), x)));
  if (w[0])
    out[0] = v.mul(g, v.reshape(v.mul(getScale(), inv), perChannel));
  if (w[1]) {
    Value xh = v.mul(v.sub(x, v.reshape(getMean(), perChannel)),
                     v.reshape(inv, perChannel));
    out[1] = v.reduceSum(v.mul(g, xh), notC, false);
  }
  if (w[2])
    out[2] = v.reduceSum(g, notC, false);
  return success();
}

//===----------------------------------------------------------------------===//
// Contractions and pooling
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                      Grads &out) {
  Value a = getLhs(), b = getRhs(); // broadcast batch dims
  if (w[0])
    out[0] = v.unbroadcast(
        MatmulOp::create(v.b, v.loc, g, v.transposeLast2(b)), a);
  if (w[1])
    out[1] = v.unbroadcast(
        MatmulOp::create(v.b, v.loc, v.transposeLast2(a), g), b);
  return success();
}
LogicalResult BatchMatmulOp::buildGradient(VjpBuilder &v, Value g,
                                           ArrayRef<bool> w, Grads &out) {
  Value a = getLhs(), b = getRhs();
  if (w[0])
    out[0] = BatchMatmulOp::create(v.b, v.loc, g, v.transposeLast2(b));
  if (w[1])
    out[1] = BatchMatmulOp::create(v.b, v.loc, v.transposeLast2(a), g);
  return success();
}
LogicalResult DenseOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                     Grads &out) {
  // As 2-D: x2 [P, K], g2 [P, N], weight [N, K].
  Value x = getInput(), weight = getWeight();
  int64_t n = shapeOf(weight)[0], k = shapeOf(weight)[1];
  int64_t p = product(shapeOf(x)) / k;
  Value g2 = v.reshape(g, {p, n});
  if (w[0])
    out[0] = v.reshape(MatmulOp::create(v.b, v.loc, g2, weight), shapeOf(x));
  if (w[1])
    out[1] = MatmulOp::create(v.b, v.loc, v.transpose(g2, {1, 0}),
                              v.reshape(x, {p, k}));
  if (w.size() > 2 && w[2])
    out[2] = v.reduceSum(g2, {0}, false);
  return success();
}
LogicalResult Conv2dOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                      Grads &out) {
  Value x = getInput(), weight = getWeight();
  int64_t groups = getGroups(); // I64Attr getters return uint64_t
  if (w[0])
    out[0] = Conv2dBackwardInputOp::create(v.b, v.loc, g, weight, shapeOf(x),
                                           getStride(), getPadding(),
                                           getDilation(), groups);
  if (w[1])
    out[1] = Conv2dBackwardWeightOp::create(
        v.b, v.loc, g, x, shapeOf(weight).drop_front(2), getStride(),
        getPadding(), getDilation(), groups);
  if (w.size() > 2 && w[2])
    out[2] = v.reduceSum(g, {0, 2, 3}, false);
  return success();
}
// The FlashAttention-2 backward: attention_backward recomputes the
// probabilities from the saved logsumexp (result 1), so the [Tq, Tk] scores
// are never a tensor. The additive mask gets no cotangent (it would be the
// [B, H, Tq, Tk] dS that this op exists to avoid).
LogicalResult AttentionOp::buildGradient(VjpBuilder &v, Value g,
                                         ArrayRef<bool> w, Grads &out) {
  if (getMask() && w.size() > 3 && w[3])
    return emitOpError() << "cannot differentiate with respect to its mask";
  if (!w[0] && !w[1] && !w[2])
    return success();
  auto bwd = AttentionBackwardOp::create(
      v.b, v.loc, getQuery(), getKey(), getValue(), getResult(),
      getLogsumexp(), g, getMask(), getScaleAttr(), getCausalAttr());
  for (int i = 0; i < 3; ++i)
    out[i] = bwd->getResult(i);
  return success();
}
LogicalResult MaxPool2dOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                         Grads &out) {
  out[0] =
      MaxPool2dBackwardOp::create(v.b, v.loc, g, getInput(), getKernelSize(),
                                  getStride(), getPadding(), getDilation());
  return success();
}
LogicalResult AvgPool2dOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                         Grads &out) {
  out[0] = AvgPool2dBackwardOp::create(v.b, v.loc, g, shapeOf(getInput()),
                                       getKernelSize(), getStride(),
                                       getPadding(), getCountIncludePad());
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                       Grads &out) {
  out[0] = v.reshape(g, shapeOf(getInput()));
  return success();
}
LogicalResult FlattenOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                       Grads &out) {
  out[0] = v.reshape(g, shapeOf(getInput()));
  return success();
}
LogicalResult TransposeOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                         Grads &out) {
  ArrayRef<int64_t> perm = getPerm();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  out[0] = v.transpose(g, inverse);
  return success();
}
LogicalResult ConcatOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                      Grads &out) {
  int64_t rank = shapeOf(g).size();
  int64_t axis = normalizeAxis(int64_t(getAxis()), rank);
  int64_t offset = 0;
  for (auto [i, input] : llvm::enumerate(getInputs())) {
    int64_t len = shapeOf(input)[axis];
    if (w[i])
      out[i] = SliceOp::create(v.b, v.loc, g, ArrayRef<int64_t>{offset},
                               ArrayRef<int64_t>{offset + len},
                               ArrayRef<int64_t>{axis}, ArrayRef<int64_t>{1});
    offset += len;
  }
  return success();
}
LogicalResult SliceOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                     Grads &out) {
  out[0] =
      SliceBackwardOp::create(v.b, v.loc, g, shapeOf(getInput()), getStarts(),
                              getEnds(), getAxes(), getSteps());
  return success();
}
LogicalResult BroadcastOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool>,
                                         Grads &out) {
  out[0] = v.unbroadcast(g, getInput());
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxCrossEntropyOp::buildGradient(VjpBuilder &v, Value g,
                                                   ArrayRef<bool>, Grads &out) {
  // d/dlogits = (softmax(logits) - onehot(labels)) * g / N; the labels get
  // none. onehot = cast(labels[:, None] == [0, 1, ..., C-1]).
  Value logits = getLogits(), labels = getLabels();
  int64_t n = shapeOf(logits)[0], c = shapeOf(logits)[1];
  Type labelType = elemOf(labels);
  SmallVector<APInt> classes;
  for (int64_t i = 0; i < c; ++i)
    classes.push_back(APInt(labelType.getIntOrFloatBitWidth(), i));
  Value classIds = ConstantOp::create(
      v.b, v.loc,
      DenseElementsAttr::get(RankedTensorType::get({c}, labelType), classes));
  Value onehot = v.castTo(
      v.cmp(v.reshape(labels, {n, 1}), classIds, "eq"), elemOf(logits));
  Value probs = SoftmaxOp::create(v.b, v.loc, logits, -1);
  out[0] = v.mul(v.sub(probs, onehot), v.mul(g, 1.0 / double(n)));
  return success();
}
LogicalResult MseLossOp::buildGradient(VjpBuilder &v, Value g, ArrayRef<bool> w,
                                       Grads &out) {
  Value x = getInput(), t = getTarget();
  double n = double(product(shapeOf(x)));
  Value dx = v.mul(v.sub(x, t), v.mul(g, 2.0 / n));
  if (w[0])
    out[0] = dx;
  if (w[1])
    out[1] = v.neg(dx);
  return success();
}

//===----------------------------------------------------------------------===//
// The entry point of --dlc-autodiff
//===----------------------------------------------------------------------===//

LogicalResult DifferentiableOpInterface::buildVjp(OpBuilder &builder, Value g,
                                                  ArrayRef<bool> wanted,
                                                  Grads &out) {
  Operation *op = getOperation();
  out.assign(op->getNumOperands(), Value());
  // Only float results carry a cotangent.
  if (!isFloatTensor(op->getResult(0)))
    return success();
  VjpBuilder v{builder, op->getLoc()};
  SmallVector<bool> w(wanted);
  w.resize(op->getNumOperands(), false);
  if (failed(buildGradient(v, g, w, out)))
    return failure();
  // Unwanted or non-float operands get no cotangent.
  for (auto [i, operand] : llvm::enumerate(op->getOperands()))
    if (!w[i] || !isFloatTensor(operand))
      out[i] = Value();
  return success();
}
