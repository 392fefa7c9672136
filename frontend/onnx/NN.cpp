//===- NN.cpp - ONNX convolution, pooling, GEMM and normalization to dlc --===//
//
// Conv and pooling onto dlc.conv2d / max_pool2d / avg_pool2d (1-D windows
// lifted to 2-D with a unit dim; auto_pad and ceil_mode resolved into
// explicit pads), ConvTranspose onto dlc.conv2d_backward_input, Gemm and
// MatMul onto dlc.dense / matmul, and the normalizations (InstanceNorm
// decomposed into reductions).
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/Converters.h"

namespace dlc::onnx_import {

namespace {

//===--- windows: Conv, ConvTranspose, pooling ---===//

/// Spatial parameters of Conv/MaxPool/AveragePool for a 2-D op; a 1-D op
/// (rank-3 input) is lifted to 2-D with a leading unit dim.
struct Window {
  SmallVector<int64_t> kernel, stride, dilation, pads; // pads: t, l, b, r
};

/// The ints attribute `name` with `n` entries, or `n` times `dflt` when the
/// node does not set it; an error naming the attribute for another length.
FailureOr<SmallVector<int64_t>> intsOrDefault(OnnxImporter &m, const char *name,
                                              int64_t dflt, size_t n) {
  auto v = m.attrInts(name);
  if (!v)
    return SmallVector<int64_t>(n, dflt);
  if (v->size() != n)
    return m.fail() << "attribute '" << name << "' has " << v->size()
                    << " entries, expected " << n,
           failure();
  return *v;
}

FailureOr<Window> windowOf(OnnxImporter &m, ArrayRef<int64_t> inShape,
                           std::optional<SmallVector<int64_t>> kernel,
                           bool ceilMode, bool hasDilation) {
  size_t spatial = inShape.size() - 2;
  Window w;
  if (auto k = m.attrInts("kernel_shape")) {
    if (kernel && *k != *kernel)
      return m.fail() << "kernel_shape does not match the weight's shape",
             failure();
    kernel = k;
  }
  if (!kernel || kernel->size() != spatial)
    return m.fail() << "needs kernel_shape with " << spatial << " entries",
           failure();
  auto stride = intsOrDefault(m, "strides", 1, spatial);
  auto dil =
      hasDilation
          ? intsOrDefault(m, "dilations", 1, spatial)
          : FailureOr<SmallVector<int64_t>>(SmallVector<int64_t>(spatial, 1));
  auto pads = intsOrDefault(m, "pads", 0, 2 * spatial);
  if (failed(stride) || failed(dil) || failed(pads))
    return failure();
  std::string autoPad = m.attrString("auto_pad", "NOTSET");
  SmallVector<int64_t> in(inShape.drop_front(2));
  for (size_t i = 0; i < spatial; ++i) {
    int64_t k = (*kernel)[i], s = (*stride)[i], d = (*dil)[i];
    if (k <= 0 || s <= 0 || d <= 0)
      return m.fail() << "kernel, strides and dilations must be positive",
             failure();
    int64_t ext = (k - 1) * d + 1;
    int64_t &pb = (*pads)[i], &pe = (*pads)[i + spatial];
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (in[i] + s - 1) / s;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + ext - in[i]);
      pb = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    } else if (autoPad == "VALID") {
      pb = pe = 0;
    } else if (autoPad != "NOTSET") {
      return m.fail() << "unsupported auto_pad '" << autoPad << "'", failure();
    }
    if (ceilMode) {
      int64_t span = in[i] + pb + pe - ext;
      int64_t outCeil = (span + s - 1) / s + 1;
      if ((outCeil - 1) * s >= in[i] + pb)
        --outCeil;
      pe += std::max<int64_t>(0, (outCeil - 1) * s + ext - (in[i] + pb + pe));
    }
  }
  if (spatial == 1) {
    w.kernel = {1, (*kernel)[0]};
    w.stride = {1, (*stride)[0]};
    w.dilation = {1, (*dil)[0]};
    w.pads = {0, (*pads)[0], 0, (*pads)[1]};
  } else {
    w.kernel = *kernel;
    w.stride = *stride;
    w.dilation = *dil;
    w.pads = *pads;
  }
  return w;
}

/// Checks the input is 3-D or 4-D and lifts a 3-D one to 4-D.
FailureOr<Value> lift2d(OnnxImporter &m, Value x) {
  auto s = shapeOf(x);
  if (s.size() == 4)
    return x;
  if (s.size() == 3)
    return m.reshape(x, {s[0], s[1], 1, s[2]});
  return m.fail() << "unsupported: only 1-D and 2-D windows (got a rank-"
                  << s.size() << " input)",
         failure();
}

Value unlift(Value y, ArrayRef<int64_t> inShape, OnnxImporter &m) {
  if (!y || inShape.size() == 4)
    return y;
  auto s = shapeOf(y);
  return m.reshape(y, {s[0], s[1], s[3]});
}

LogicalResult convertConv(OnnxImporter &m) {
  Value x = m.in(0), w = m.in(1);
  auto xs = shapeOf(x);
  if (xs.size() < 3)
    return m.fail() << "expects an input of rank 3 or 4";
  auto ws = shapeOf(w);
  if (ws.size() != xs.size())
    return m.fail() << "weight has rank " << ws.size() << ", the input "
                    << xs.size();
  auto win =
      windowOf(m, xs, SmallVector<int64_t>(ws.drop_front(2)), false, true);
  auto x4 = lift2d(m, x);
  if (failed(win) || failed(x4))
    return failure();
  Value w4 = ws.size() == 3 ? m.reshape(w, {ws[0], ws[1], 1, ws[2]}) : w;
  SmallVector<Value> ins{*x4, w4};
  if (Value bias = m.in(2))
    ins.push_back(bias);
  Value y = m.op("conv2d", ins,
                 {m.na("stride", m.i64s(win->stride)),
                  m.na("padding", m.i64s(win->pads)),
                  m.na("dilation", m.i64s(win->dilation)),
                  m.na("groups", m.i64(m.attrInt("group", 1)))});
  return done(m, unlift(y, xs, m));
}

/// ConvTranspose is the gradient of a convolution with respect to its
/// input: dlc.conv2d_backward_input with the transposed convolution's input
/// as the cotangent and its [C_in, C_out/group, kH, kW] weight as the
/// forward weight; 1-D windows lifted to 2-D as for Conv.
LogicalResult convertConvTranspose(OnnxImporter &m) {
  Value x = m.in(0), w = m.in(1);
  if (!x || !w)
    return m.fail() << "needs inputs X and W";
  auto xs = shapeOf(x), ws = shapeOf(w);
  auto x4 = lift2d(m, x);
  if (failed(x4))
    return failure();
  if (ws.size() != xs.size())
    return m.fail() << "weight has rank " << ws.size() << ", the input "
                    << xs.size();
  size_t sp = xs.size() - 2;
  int64_t group = m.attrInt("group", 1);
  if (group <= 0 || xs[1] != ws[0] || ws[0] % group != 0)
    return m.fail() << "weight is " << formatShape(ws) << " for " << xs[1]
                    << " input channels in " << group << " groups";
  SmallVector<int64_t> kernel(ws.begin() + 2, ws.end());
  if (auto k = m.attrInts("kernel_shape"); k && *k != kernel)
    return m.fail() << "kernel_shape does not match the weight's shape";
  auto stride = intsOrDefault(m, "strides", 1, sp),
       dil = intsOrDefault(m, "dilations", 1, sp),
       pads = intsOrDefault(m, "pads", 0, 2 * sp),
       outPad = intsOrDefault(m, "output_padding", 0, sp);
  if (failed(stride) || failed(dil) || failed(pads) || failed(outPad))
    return failure();
  auto outShape = m.attrInts("output_shape");
  if (outShape && outShape->size() == sp + 2)
    outShape = SmallVector<int64_t>(outShape->begin() + 2, outShape->end());
  if (outShape && outShape->size() != sp)
    return m.fail() << "attribute 'output_shape' has " << outShape->size()
                    << " entries, expected " << sp;
  std::string autoPad = m.attrString("auto_pad", "NOTSET");
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (!same && autoPad != "NOTSET" && autoPad != "VALID")
    return m.fail() << "unsupported auto_pad '" << autoPad << "'";
  SmallVector<int64_t> out(sp);
  for (size_t i = 0; i < sp; ++i) {
    int64_t k = kernel[i], s = (*stride)[i], d = (*dil)[i], op = (*outPad)[i];
    if (k <= 0 || s <= 0 || d <= 0 || op < 0)
      return m.fail() << "kernel, strides and dilations must be positive "
                         "and output_padding not negative";
    int64_t in = xs[2 + i], full = s * (in - 1) + op + (k - 1) * d + 1;
    int64_t &pb = (*pads)[i], &pe = (*pads)[i + sp];
    if (outShape || same) {
      // The padding that gives the asked-for output size.
      out[i] = outShape ? (*outShape)[i] : in * s;
      // Larger than the full result: the extra rows go at the end, as
      // output_padding's do (the reference's output_shape example).
      int64_t total = std::max<int64_t>(0, full - out[i]);
      bool upper = autoPad == "SAME_UPPER";
      pb = upper ? total / 2 : total - total / 2;
      pe = total - pb;
    } else {
      if (autoPad == "VALID")
        pb = pe = 0;
      if (pb < 0 || pe < 0)
        return m.unsupported("negative pads");
      out[i] = full - pb - pe;
    }
    if (out[i] <= 0)
      return m.fail() << "the output would be empty";
  }
  SmallVector<int64_t> st(*stride), dl(*dil), pd(*pads), os(out);
  Value w4 = w;
  if (sp == 1) {
    st = {1, st[0]};
    dl = {1, dl[0]};
    pd = {0, pd[0], 0, pd[1]};
    os = {1, os[0]};
    w4 = m.reshape(w, {ws[0], ws[1], 1, ws[2]});
  }
  Value y =
      m.op("conv2d_backward_input", {*x4, w4},
           {m.na("input_shape", m.i64s({xs[0], ws[1] * group, os[0], os[1]})),
            m.na("stride", m.i64s(st)), m.na("padding", m.i64s(pd)),
            m.na("dilation", m.i64s(dl)), m.na("groups", m.i64(group))});
  if (Value bias = m.in(2))
    y = m.op("add", {y, m.reshape(bias, {1, ws[1] * group, 1, 1})});
  return done(m, unlift(y, xs, m));
}

LogicalResult convertPool(OnnxImporter &m, bool isMax) {
  Value x = m.in(0);
  auto xs = shapeOf(x);
  if (xs.size() < 3)
    return m.fail() << "expects an input of rank 3 or 4";
  if (m.outputUsed(1))
    return m.unsupported("output 1 (Indices)");
  bool ceil = m.attrInt("ceil_mode", 0) != 0;
  bool includePad = !isMax && m.attrInt("count_include_pad", 0) != 0;
  if (isMax && m.attrInt("storage_order", 0) != 0)
    return m.unsupported("attribute 'storage_order' = 1");
  auto win = windowOf(m, xs, std::nullopt, ceil, isMax);
  auto x4 = lift2d(m, x);
  if (failed(win) || failed(x4))
    return failure();
  for (int i = 0; i < 4; ++i)
    if (2 * win->pads[i] > win->kernel[i % 2])
      return m.unsupported("padding larger than half the window");
  if (ceil && includePad)
    return m.unsupported("ceil_mode with count_include_pad");
  SmallVector<NamedAttribute> attrs{m.na("kernel_size", m.i64s(win->kernel)),
                                    m.na("stride", m.i64s(win->stride)),
                                    m.na("padding", m.i64s(win->pads))};
  if (isMax)
    attrs.push_back(m.na("dilation", m.i64s(win->dilation)));
  else
    attrs.push_back(
        m.na("count_include_pad", m.builder().getBoolAttr(includePad)));
  Value y = m.op(isMax ? "max_pool2d" : "avg_pool2d", {*x4}, attrs);
  return done(m, unlift(y, xs, m));
}

LogicalResult convertGlobalPool(OnnxImporter &m, const char *reduce) {
  Value x = m.in(0);
  SmallVector<int64_t> axes;
  for (int64_t i = 2, r = shapeOf(x).size(); i < r; ++i)
    axes.push_back(i);
  return done(m, m.op(reduce, {x},
                      {m.na("axes", m.i64s(axes)),
                       m.na("keepdims", m.builder().getBoolAttr(true))}));
}

//===--- contractions ---===//

LogicalResult convertGemm(OnnxImporter &m) {
  Value a = m.in(0), bm = m.in(1), c = m.in(2);
  double alpha = m.attrFloat("alpha", 1), beta = m.attrFloat("beta", 1);
  bool ta = m.attrInt("transA", 0), tb = m.attrInt("transB", 0);
  if (m.attr("broadcast")) {
  } // opset < 7: C broadcasts either way here
  if (ta)
    a = m.op("transpose", {a}, {m.na("perm", m.i64s({1, 0}))});
  if (!a)
    return failure();
  Type t = OnnxImporter::elemOf(a);
  auto bs = shapeOf(bm);
  if (tb && alpha == 1 && bs.size() == 2 &&
      (!c || (beta == 1 && shapeOf(c) == ArrayRef<int64_t>{bs[0]}))) {
    SmallVector<Value> ins{a, bm};
    if (c)
      ins.push_back(c);
    return done(m, m.op("dense", ins));
  }
  if (tb)
    bm = m.op("transpose", {bm}, {m.na("perm", m.i64s({1, 0}))});
  Value y = m.op("matmul", {a, bm});
  if (alpha != 1)
    y = m.op("mul", {y, m.scalar(alpha, t)});
  if (c) {
    if (beta != 1)
      c = m.op("mul", {c, m.scalar(beta, t)});
    y = m.op("add", {y, c});
  }
  return done(m, y);
}

LogicalResult convertMatMul(OnnxImporter &m) {
  Value a = m.in(0), bm = m.in(1);
  auto as = shapeOf(a), bs = shapeOf(bm);
  bool vecA = as.size() == 1, vecB = bs.size() == 1;
  if (vecA)
    a = m.reshape(a, {1, as[0]});
  if (vecB)
    bm = m.reshape(bm, {bs[0], 1});
  Value y = m.op("matmul", {a, bm});
  if (!y)
    return failure();
  if (vecA || vecB) {
    SmallVector<int64_t> s(shapeOf(y));
    if (vecB)
      s.pop_back();
    if (vecA)
      s.erase(s.end() - (vecB ? 1 : 2));
    y = m.reshape(y, s);
  }
  return done(m, y);
}

//===--- normalizations ---===//

LogicalResult convertBatchNorm(OnnxImporter &m) {
  if (m.attrInt("training_mode", 0) != 0)
    return m.unsupported("training_mode = 1");
  if (m.attrInt("spatial", 1) != 1)
    return m.unsupported("spatial = 0");
  m.attr("momentum");
  if (m.attr("is_test")) {
  }
  for (unsigned i = 1; i < m.numOutputs(); ++i)
    if (m.outputUsed(i))
      return m.unsupported("training outputs (running mean and variance)");
  return done(m,
              m.op("batch_norm", {m.in(0), m.in(1), m.in(2), m.in(3), m.in(4)},
                   {m.na("epsilon", m.builder().getF64FloatAttr(
                                        m.attrFloat("epsilon", 1e-5)))}));
}

LogicalResult convertLayerNorm(OnnxImporter &m) {
  Value x = m.in(0), scale = m.in(1), bias = m.in(2);
  if (m.attrInt("stash_type", 1) != 1)
    return m.unsupported("stash_type");
  if (m.outputUsed(1) || m.outputUsed(2))
    return m.unsupported("outputs Mean and InvStdDev");
  auto s = shapeOf(x);
  int64_t rank = s.size(), axis = m.attrInt("axis", -1);
  if (axis < -rank || axis >= rank)
    return m.fail() << "axis " << axis << " out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  SmallVector<int64_t> norm(s.drop_front(axis));
  auto fit = [&](Value v) -> Value {
    if (!v || shapeOf(v) == ArrayRef<int64_t>(norm))
      return v;
    return m.op("broadcast", {v}, {m.na("shape", m.i64s(norm))});
  };
  scale = fit(scale);
  bias = bias ? fit(bias)
              : m.op("broadcast", {m.scalar(0, OnnxImporter::elemOf(x))},
                     {m.na("shape", m.i64s(norm))});
  return done(m, m.op("layer_norm", {x, scale, bias},
                      {m.na("axis", m.i64(axis)),
                       m.na("epsilon", m.builder().getF64FloatAttr(
                                           m.attrFloat("epsilon", 1e-5)))}));
}

LogicalResult convertInstanceNorm(OnnxImporter &m) {
  Value x = m.in(0), scale = m.in(1), bias = m.in(2);
  auto s = shapeOf(x);
  if (s.size() < 3)
    return m.fail() << "expects an input of rank 3 or more";
  Type t = OnnxImporter::elemOf(x);
  SmallVector<int64_t> axes, cshape{s[1]};
  for (size_t i = 2; i < s.size(); ++i) {
    axes.push_back(i);
    cshape.push_back(1);
  }
  auto mean = [&](Value v) {
    return m.op("reduce_mean", {v},
                {m.na("axes", m.i64s(axes)),
                 m.na("keepdims", m.builder().getBoolAttr(true))});
  };
  Value d = m.op("sub", {x, mean(x)});
  Value var = mean(m.op("mul", {d, d}));
  Value inv = m.op(
      "rsqrt", {m.op("add", {var, m.scalar(m.attrFloat("epsilon", 1e-5), t)})});
  Value y = m.op("mul", {m.op("mul", {d, inv}), m.reshape(scale, cshape)});
  return done(m, m.op("add", {y, m.reshape(bias, cshape)}));
}

} // namespace

void registerNNConverters(OnnxConverterRegistry &r) {
  r.on("Conv", 1, convertConv, 2);
  r.on("ConvTranspose", 1, convertConvTranspose);
  r.on("MaxPool", 1, [](OnnxImporter &m) { return convertPool(m, true); });
  r.on("AveragePool", 1, [](OnnxImporter &m) { return convertPool(m, false); });
  r.on("GlobalAveragePool", 1,
       [](OnnxImporter &m) { return convertGlobalPool(m, "reduce_mean"); });
  r.on("GlobalMaxPool", 1,
       [](OnnxImporter &m) { return convertGlobalPool(m, "reduce_max"); });
  r.on("Gemm", 1, convertGemm, 2);
  r.on("MatMul", 1, convertMatMul, 2);
  r.on("BatchNormalization", 1, convertBatchNorm, 5);
  r.on("LayerNormalization", 1, convertLayerNorm, 2);
  r.on("InstanceNormalization", 1, convertInstanceNorm, 3);
}

} // namespace dlc::onnx_import
