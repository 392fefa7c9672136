//===- Reductions.cpp - ONNX reductions and softmax to dlc ----------------===//
//
// The Reduce* family onto dlc.reduce_sum/mean/max (ReduceMin as -max(-x),
// ReduceLogSumExp shifted by the max for stability) and Softmax/LogSoftmax.
// Opset 13 (ReduceSum) and 18 (the others) moved `axes` from an attribute
// to an input; opset 13 stopped coercing softmax inputs to 2-D: each is a
// second registration.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/Converters.h"

namespace dlc::onnx_import {

namespace {

/// A Reduce* op. Its axes are an input from opset 18 (ReduceSum: 13,
/// `axesInput`), an attribute before. Empty means all (or nothing, with
/// noop_with_empty_axes).
LogicalResult convertReduce(OnnxImporter &m, StringRef kind, bool axesInput) {
  Value x = m.in(0);
  SmallVector<int64_t> axes;
  bool noop = false;
  if (axesInput) {
    noop = m.attrInt("noop_with_empty_axes", 0) != 0;
    if (m.hasInput(1)) {
      auto a = m.intsIn(1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
  } else if (auto a = m.attrInts("axes")) {
    axes = *a;
  }
  bool keep = m.attrInt("keepdims", 1) != 0;
  if (axes.empty() && noop)
    return done(m, x);
  if (!x || !isa<FloatType>(OnnxImporter::elemOf(x)))
    return m.unsupported("element type (dlc reduces floats only)");
  OpBuilder &b = m.builder();
  auto red = [&](const char *name, Value v, bool k) {
    return m.op(
        name, {v},
        {m.na("axes", m.i64s(axes)), m.na("keepdims", b.getBoolAttr(k))});
  };
  Value y;
  if (kind == "ReduceSum")
    y = red("reduce_sum", x, keep);
  else if (kind == "ReduceMean")
    y = red("reduce_mean", x, keep);
  else if (kind == "ReduceMax")
    y = red("reduce_max", x, keep);
  else if (kind == "ReduceMin")
    y = m.op("neg", {red("reduce_max", m.op("neg", {x}), keep)});
  else if (kind == "ReduceL1")
    y = red("reduce_sum", absOf(m, x), keep);
  else if (kind == "ReduceL2")
    y = m.op("sqrt", {red("reduce_sum", m.op("mul", {x, x}), keep)});
  else if (kind == "ReduceSumSquare")
    y = red("reduce_sum", m.op("mul", {x, x}), keep);
  else if (kind == "ReduceLogSum")
    y = m.op("log", {red("reduce_sum", x, keep)});
  else { // ReduceLogSumExp, shifted by the max for stability
    Value mk = red("reduce_max", x, true);
    Value s = red("reduce_sum", m.op("exp", {m.op("sub", {x, mk})}), keep);
    y = m.op("add",
             {m.op("log", {s}), keep ? mk : red("reduce_max", x, false)});
  }
  return done(m, y);
}

/// Softmax and LogSoftmax along `axis`. Before opset 13 (`coerce2d`) the
/// axis defaults to 1 and the input is coerced to 2-D at it.
LogicalResult convertSoftmax(OnnxImporter &m, const char *name, bool coerce2d) {
  Value x = m.in(0);
  auto s = shapeOf(x);
  int64_t rank = s.size();
  int64_t axis = m.attrInt("axis", coerce2d ? 1 : -1);
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return m.fail() << "axis " << axis << " out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  if (!coerce2d || axis == rank - 1)
    return done(m, m.op(name, {x}, {m.na("axis", m.i64(axis))}));
  Value flat = m.op("flatten", {x}, {m.na("axis", m.i64(axis))});
  Value y = m.op(name, {flat}, {m.na("axis", m.i64(1))});
  return done(m, m.reshape(y, s));
}

} // namespace

void registerReductionConverters(OnnxConverterRegistry &r) {
  for (const char *kind :
       {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL1",
        "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"}) {
    std::string k = kind;
    r.on(kind, 1, [k](OnnxImporter &m) { return convertReduce(m, k, false); });
    r.on(kind, k == "ReduceSum" ? 13 : 18,
         [k](OnnxImporter &m) { return convertReduce(m, k, true); });
  }
  r.on("Softmax", 1, [](OnnxImporter &m) {
    return convertSoftmax(m, "softmax", /*coerce2d=*/true);
  });
  r.on("Softmax", 13, [](OnnxImporter &m) {
    return convertSoftmax(m, "softmax", /*coerce2d=*/false);
  });
  r.on("LogSoftmax", 1, [](OnnxImporter &m) {
    return convertSoftmax(m, "log_softmax", /*coerce2d=*/true);
  });
  r.on("LogSoftmax", 13, [](OnnxImporter &m) {
    return convertSoftmax(m, "log_softmax", /*coerce2d=*/false);
  });
}

} // namespace dlc::onnx_import
