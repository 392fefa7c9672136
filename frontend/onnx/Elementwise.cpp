//===- Elementwise.cpp - ONNX elementwise ops to dlc ----------------------===//
//
// Unary and binary arithmetic, comparisons and logic, casts, and the
// activations dlc has no op for, decomposed into the ones it has (Elu into
// exp, sub, mul and where; Softplus into a stable max + log(1 + exp(-|x|))).
// A unary op with a dlc op of its own is one line in
// registerElementwiseConverters.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/Converters.h"

#include <limits>

namespace dlc::onnx_import {

namespace {

//===--- building blocks ---===//

/// An op type that is one dlc op on input 0.
ConvertFn unary(const char *dlcOp) {
  return [dlcOp](OnnxImporter &m) { return done(m, m.op(dlcOp, {m.in(0)})); };
}

/// alpha * (exp(x) - 1) where x < 0 else x.
Value eluOf(OnnxImporter &m, Value x, double alpha) {
  Type t = OnnxImporter::elemOf(x);
  Value neg = m.op("mul", {m.op("sub", {m.op("exp", {x}), m.scalar(1, t)}),
                           m.scalar(alpha, t)});
  return m.op("where", {m.compare(x, m.scalar(0, t), "lt"), neg, x});
}

/// max(0, min(1, alpha * x + beta)).
Value hardSigmoidOf(OnnxImporter &m, Value x, double alpha, double beta) {
  Type t = OnnxImporter::elemOf(x);
  Value y =
      m.op("add", {m.op("mul", {x, m.scalar(alpha, t)}), m.scalar(beta, t)});
  return m.op("maximum",
              {m.op("minimum", {y, m.scalar(1, t)}), m.scalar(0, t)});
}

/// Element type of an ONNX `to` attribute.
FailureOr<Type> castTarget(OnnxImporter &m, int64_t to) {
  auto d = dtypeOfOnnx(int(to));
  if (!d)
    return FailureOr<Type>(
        m.unsupported("cast target " + onnxTypeName(int(to))));
  return mlirType(&m.context(), *d);
}

Value castTo(OnnxImporter &m, Value x, Type t) {
  if (!x || OnnxImporter::elemOf(x) == t)
    return x;
  return m.op("cast", {x}, {m.na("to", TypeAttr::get(t))});
}

/// Opset < 7 binary ops take `broadcast` (and maybe `axis`): plain numpy
/// suffix broadcasting is what `broadcast = 1` without axis means.
/// Before opset 7, `broadcast = 1` with `axis` lines B's dims up with A's
/// from `axis` on: B reshaped to A's rank (ones around it) then broadcasts
/// by numpy's rules. Without `rhs` to reshape, an axis is unsupported.
LogicalResult legacyBroadcast(OnnxImporter &m, Value *rhs = nullptr) {
  m.attr("broadcast");
  if (!m.attr("axis"))
    return success();
  if (!rhs || !*rhs || !m.in(0))
    return m.unsupported("attribute 'axis' (legacy broadcast)");
  int64_t ra = shapeOf(m.in(0)).size(), axis = m.attrInt("axis", 0);
  auto bs = shapeOf(*rhs);
  if (axis < 0)
    axis += ra;
  if (axis < 0 || axis + int64_t(bs.size()) > ra)
    return m.fail() << "axis " << m.attrInt("axis", 0) << " does not fit B "
                    << formatShape(bs) << " into A of rank " << ra;
  SmallVector<int64_t> shape(ra, 1);
  std::copy(bs.begin(), bs.end(), shape.begin() + axis);
  *rhs = m.reshape(*rhs, shape);
  return success();
}

/// A binary op as dlc `name`, after the legacy broadcast.
LogicalResult convertBinary(OnnxImporter &m, const char *name) {
  Value l = m.in(0), r = m.in(1);
  if (failed(legacyBroadcast(m, &r)))
    return failure();
  // Pow allows a different exponent type.
  if (StringRef(name) == "pow" && l && r)
    r = castTo(m, r, OnnxImporter::elemOf(l));
  return done(m, m.op(name, {l, r}));
}

/// `name` folded over the inputs (Mean: divided by their number).
LogicalResult convertVariadic(OnnxImporter &m, const char *name, bool mean) {
  Value acc = m.in(0);
  for (unsigned i = 1; i < m.numInputs(); ++i)
    acc = m.op(name, {acc, m.in(i)});
  if (mean && acc && m.numInputs() > 1)
    acc =
        m.op("div", {acc, m.scalar(m.numInputs(), OnnxImporter::elemOf(acc))});
  return done(m, acc);
}

/// A binary op with (legacy) broadcasting, as `dlcOp`.
ConvertFn binary(const char *dlcOp) {
  return [dlcOp](OnnxImporter &m) { return convertBinary(m, dlcOp); };
}

/// A comparison as dlc.compare with `predicate`.
ConvertFn compareAs(const char *predicate) {
  return [predicate](OnnxImporter &m) {
    if (failed(legacyBroadcast(m)))
      return failure();
    return done(m, m.compare(m.in(0), m.in(1), predicate));
  };
}

/// Max, Min, Sum, Mean: `dlcOp` folded over every input.
ConvertFn variadic(const char *dlcOp, bool mean) {
  return [dlcOp, mean](OnnxImporter &m) {
    return convertVariadic(m, dlcOp, mean);
  };
}

/// max(x, lo) then min(., hi), each only if given.
Value clipTo(OnnxImporter &m, Value x, Value lo, Value hi) {
  if (lo)
    x = m.op("maximum", {x, lo});
  if (hi)
    x = m.op("minimum", {x, hi});
  return x;
}

//===--- activations ---===//

LogicalResult convertReciprocal(OnnxImporter &m) {
  Value x = m.in(0);
  return done(m, m.op("div", {m.scalar(1, OnnxImporter::elemOf(x)), x}));
}

LogicalResult convertAbs(OnnxImporter &m) { return done(m, absOf(m, m.in(0))); }

LogicalResult convertLeakyRelu(OnnxImporter &m) {
  Value x = m.in(0);
  Type ty = OnnxImporter::elemOf(x);
  Value neg = m.op("mul", {x, m.scalar(m.attrFloat("alpha", 0.01), ty)});
  return done(m, m.op("where", {m.compare(x, m.scalar(0, ty), "lt"), neg, x}));
}

/// x where x >= 0, else slope * x.
LogicalResult preluWith(OnnxImporter &m, Value x, Value slope) {
  Value neg = m.op("mul", {x, slope});
  return done(m, m.op("where",
                      {m.compare(x, m.scalar(0, OnnxImporter::elemOf(x)), "lt"),
                       neg, x}));
}

/// PRelu before opset 7: a [C] slope applies along dim 1.
LogicalResult convertPReluAlongChannels(OnnxImporter &m) {
  Value x = m.in(0), slope = m.in(1);
  auto xs = shapeOf(x), ss = shapeOf(slope);
  if (ss.size() == 1 && xs.size() > 2 && ss[0] == xs[1] && ss[0] != 1) {
    SmallVector<int64_t> s(xs.size() - 1, 1);
    s[0] = ss[0];
    slope = m.reshape(slope, s);
  }
  return preluWith(m, x, slope);
}

/// PRelu from opset 7: the slope broadcasts by numpy's rules.
LogicalResult convertPRelu(OnnxImporter &m) {
  Value x = m.in(0), slope = m.in(1);
  return preluWith(m, x, slope);
}

LogicalResult convertElu(OnnxImporter &m) {
  return done(m, eluOf(m, m.in(0), m.attrFloat("alpha", 1.0)));
}

LogicalResult convertSelu(OnnxImporter &m) {
  Value x = m.in(0);
  double alpha = m.attrFloat("alpha", 1.67326319217681884765625);
  double gamma = m.attrFloat("gamma", 1.05070102214813232421875);
  return done(m, m.op("mul", {eluOf(m, x, alpha),
                              m.scalar(gamma, OnnxImporter::elemOf(x))}));
}

LogicalResult convertCelu(OnnxImporter &m) {
  Value x = m.in(0);
  Type ty = OnnxImporter::elemOf(x);
  double alpha = m.attrFloat("alpha", 1.0);
  Value e = m.op(
      "mul", {m.op("sub", {m.op("exp", {m.op("div", {x, m.scalar(alpha, ty)})}),
                           m.scalar(1, ty)}),
              m.scalar(alpha, ty)});
  return done(m, m.op("add", {m.op("maximum", {x, m.scalar(0, ty)}),
                              m.op("minimum", {e, m.scalar(0, ty)})}));
}

LogicalResult convertHardSigmoid(OnnxImporter &m) {
  return done(m, hardSigmoidOf(m, m.in(0), m.attrFloat("alpha", 0.2),
                               m.attrFloat("beta", 0.5)));
}

LogicalResult convertHardSwish(OnnxImporter &m) {
  Value x = m.in(0);
  return done(m, m.op("mul", {x, hardSigmoidOf(m, x, 1.0 / 6, 0.5)}));
}

LogicalResult convertSoftplus(OnnxImporter &m) {
  // max(x, 0) + log(1 + exp(-|x|)): no overflow for large x.
  Value x = m.in(0);
  Type ty = OnnxImporter::elemOf(x);
  Value tail =
      m.op("log", {m.op("add", {m.scalar(1, ty),
                                m.op("exp", {m.op("neg", {absOf(m, x)})})})});
  return done(m, m.op("add", {m.op("maximum", {x, m.scalar(0, ty)}), tail}));
}

LogicalResult convertSoftsign(OnnxImporter &m) {
  Value x = m.in(0);
  return done(m,
              m.op("div", {x, m.op("add", {m.scalar(1, OnnxImporter::elemOf(x)),
                                           absOf(m, x)})}));
}

LogicalResult convertThresholdedRelu(OnnxImporter &m) {
  Value x = m.in(0);
  Type ty = OnnxImporter::elemOf(x);
  Value c = m.compare(x, m.scalar(m.attrFloat("alpha", 1.0), ty), "gt");
  return done(m, m.op("where", {c, x, m.scalar(0, ty)}));
}

LogicalResult convertShrink(OnnxImporter &m) {
  // x < -lambd: x + bias; x > lambd: x - bias; else 0.
  Value x = m.in(0);
  Type ty = OnnxImporter::elemOf(x);
  double lambd = m.attrFloat("lambd", 0.5), bias = m.attrFloat("bias", 0);
  Value hi =
      m.op("where", {m.compare(x, m.scalar(lambd, ty), "gt"),
                     m.op("sub", {x, m.scalar(bias, ty)}), m.scalar(0, ty)});
  return done(m, m.op("where", {m.compare(x, m.scalar(-lambd, ty), "lt"),
                                m.op("add", {x, m.scalar(bias, ty)}), hi}));
}

LogicalResult convertSign(OnnxImporter &m) {
  Value x = m.in(0);
  Type ty = OnnxImporter::elemOf(x);
  Value z = m.scalar(0, ty);
  Value neg = m.op("where", {m.compare(x, z, "lt"), m.scalar(-1, ty), z});
  return done(m, m.op("where", {m.compare(x, z, "gt"), m.scalar(1, ty), neg}));
}

LogicalResult convertIsNaN(OnnxImporter &m) {
  Value x = m.in(0);
  return done(m, m.compare(x, x, "ne"));
}

LogicalResult convertIsInf(OnnxImporter &m) {
  Value x = m.in(0);
  Type ty = OnnxImporter::elemOf(x);
  bool neg = m.attrInt("detect_negative", 1),
       pos = m.attrInt("detect_positive", 1);
  double inf = std::numeric_limits<double>::infinity();
  Value r;
  if (pos)
    r = m.compare(x, m.scalar(inf, ty), "eq");
  if (neg) {
    Value n = m.compare(x, m.scalar(-inf, ty), "eq");
    r = r ? m.op("where", {r, r, n}) : n;
  }
  if (!r) // detects neither: all false
    r = m.compare(x, m.scalar(inf, ty), "gt");
  return done(m, r);
}

//===--- logic and casts ---===//

LogicalResult convertWhere(OnnxImporter &m) {
  return done(m, m.op("where", {m.in(0), m.in(1), m.in(2)}));
}

LogicalResult convertNot(OnnxImporter &m) {
  Value x = m.in(0);
  return done(m, m.compare(x, m.scalar(0, OnnxImporter::elemOf(x)), "eq"));
}

LogicalResult convertAnd(OnnxImporter &m) {
  if (failed(legacyBroadcast(m)))
    return failure();
  Value a = m.in(0);
  return done(
      m, m.op("where", {a, m.in(1), m.scalar(0, OnnxImporter::elemOf(a))}));
}

LogicalResult convertOr(OnnxImporter &m) {
  if (failed(legacyBroadcast(m)))
    return failure();
  Value a = m.in(0);
  return done(
      m, m.op("where", {a, m.scalar(1, OnnxImporter::elemOf(a)), m.in(1)}));
}

LogicalResult convertXor(OnnxImporter &m) {
  if (failed(legacyBroadcast(m)))
    return failure();
  return done(m, m.compare(m.in(0), m.in(1), "ne"));
}

LogicalResult convertCast(OnnxImporter &m) {
  auto to = castTarget(m, m.attrInt("to", 0));
  if (failed(to))
    return failure();
  return done(m, castTo(m, m.in(0), *to));
}

LogicalResult convertCastLike(OnnxImporter &m) {
  return done(m, castTo(m, m.in(0), OnnxImporter::elemOf(m.in(1))));
}

/// Clip before opset 11: bounds in attributes `min` and `max`.
LogicalResult convertClipAttrs(OnnxImporter &m) {
  Value x = m.in(0);
  Type t = OnnxImporter::elemOf(x);
  Value lo, hi;
  if (auto *a = m.attr("min"))
    lo = m.scalar(a->f(), t);
  if (auto *a = m.attr("max"))
    hi = m.scalar(a->f(), t);
  return done(m, clipTo(m, x, lo, hi));
}

/// Clip from opset 11: bounds in optional inputs 1 and 2.
LogicalResult convertClip(OnnxImporter &m) {
  Value x = m.in(0), lo = m.in(1), hi = m.in(2);
  return done(m, clipTo(m, x, lo, hi));
}

} // namespace

void registerElementwiseConverters(OnnxConverterRegistry &r) {
  // Unary ops with a dlc op of their own.
  r.on("Neg", 1, unary("neg"));
  r.on("Exp", 1, unary("exp"));
  r.on("Log", 1, unary("log"));
  r.on("Sqrt", 1, unary("sqrt"));
  r.on("Tanh", 1, unary("tanh"));
  r.on("Sigmoid", 1, unary("sigmoid"));
  r.on("Relu", 1, unary("relu"));
  r.on("Erf", 1, unary("erf"));
  r.on("Sin", 7, unary("sin"));
  r.on("Cos", 7, unary("cos"));
  // Binary arithmetic and comparisons.
  r.on("Add", 1, binary("add"), 2);
  r.on("Sub", 1, binary("sub"), 2);
  r.on("Mul", 1, binary("mul"), 2);
  r.on("Div", 1, binary("div"), 2);
  r.on("Pow", 1, binary("pow"), 2);
  r.on("Equal", 1, compareAs("eq"), 2);
  r.on("Less", 1, compareAs("lt"), 2);
  r.on("Greater", 1, compareAs("gt"), 2);
  r.on("LessOrEqual", 1, compareAs("le"), 2);
  r.on("GreaterOrEqual", 1, compareAs("ge"), 2);
  r.on("Max", 1, variadic("maximum", false), kAllInputs);
  r.on("Min", 1, variadic("minimum", false), kAllInputs);
  r.on("Sum", 1, variadic("add", false), kAllInputs);
  r.on("Mean", 1, variadic("add", true), kAllInputs);
  // Decomposed activations.
  r.on("Reciprocal", 1, convertReciprocal);
  r.on("Abs", 1, convertAbs);
  r.on("LeakyRelu", 1, convertLeakyRelu);
  r.on("PRelu", 1, convertPReluAlongChannels, 2);
  r.on("PRelu", 7, convertPRelu, 2);
  r.on("Elu", 1, convertElu);
  r.on("Selu", 1, convertSelu);
  r.on("Celu", 1, convertCelu);
  r.on("HardSigmoid", 1, convertHardSigmoid);
  r.on("HardSwish", 1, convertHardSwish);
  r.on("Softplus", 1, convertSoftplus);
  r.on("Softsign", 1, convertSoftsign);
  r.on("ThresholdedRelu", 1, convertThresholdedRelu);
  r.on("Shrink", 1, convertShrink);
  r.on("Sign", 1, convertSign);
  r.on("IsNaN", 1, convertIsNaN);
  r.on("IsInf", 1, convertIsInf);
  // Logic and casts.
  r.on("Where", 1, convertWhere, 3);
  r.on("Not", 1, convertNot);
  r.on("And", 1, convertAnd, 2);
  r.on("Or", 1, convertOr, 2);
  r.on("Xor", 1, convertXor, 2);
  r.on("Cast", 1, convertCast);
  r.on("CastLike", 1, convertCastLike, 2);
  r.on("Clip", 1, convertClipAttrs);
  r.on("Clip", 11, convertClip);
}

} // namespace dlc::onnx_import
