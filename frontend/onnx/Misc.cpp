//===- Misc.cpp - ONNX constants, Range, Identity and Dropout to dlc ------===//
//
// Ops that produce known values (Constant, ConstantOfShape, Range: computed
// here, materialized as dlc.constant only where a dlc op reads them) and
// the ones that are the identity at inference (Identity, Dropout).
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/Converters.h"

#include <cmath>
#include <cstring>

namespace dlc::onnx_import {

namespace {

LogicalResult convertConstant(OnnxImporter &m) {
  HostTensor t;
  std::string err;
  if (const AttributeProto *a = m.attr("value")) {
    if (!tensorFromProto(a->t(), t, err))
      return m.fail() << "attribute 'value': " << err;
  } else if (const AttributeProto *a = m.attr("value_float")) {
    t = HostTensor::zeros(DType::F32, {});
    float f = a->f();
    std::memcpy(t.bytes.data(), &f, 4);
  } else if (const AttributeProto *a = m.attr("value_floats")) {
    t = HostTensor::zeros(DType::F32, {int64_t(a->floats_size())});
    std::memcpy(t.bytes.data(), a->floats().data(), 4 * a->floats_size());
  } else if (const AttributeProto *a = m.attr("value_int")) {
    t = intTensor({a->i()}, {});
  } else if (const AttributeProto *a = m.attr("value_ints")) {
    t = intTensor({a->ints().begin(), a->ints().end()}, {a->ints_size()});
  } else {
    return m.unsupported("Constant form (sparse or string values)");
  }
  m.setKnown(0, std::move(t));
  return success();
}

LogicalResult convertConstantOfShape(OnnxImporter &m) {
  auto shape = m.intsIn(0, "shape");
  if (failed(shape))
    return failure();
  HostTensor v = HostTensor::zeros(DType::F32, {1});
  std::string err;
  if (const AttributeProto *a = m.attr("value"))
    if (!tensorFromProto(a->t(), v, err) || v.numel() != 1)
      return m.fail() << "attribute 'value': "
                      << (err.empty() ? "expected one element" : err);
  auto n = checkedNumel(std::vector<int64_t>(shape->begin(), shape->end()));
  if (!n || *n > kMaxOnnxElements ||
      llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return m.fail() << "bad shape";
  HostTensor t = HostTensor::zeros(v.dtype, {shape->begin(), shape->end()});
  size_t es = dtypeSize(v.dtype);
  for (int64_t i = 0; i < *n; ++i)
    std::memcpy(&t.bytes[i * es], v.bytes.data(), es);
  m.setKnown(0, std::move(t));
  return success();
}

LogicalResult convertRange(OnnxImporter &m) {
  const auto &s = m.knownIn(0), &l = m.knownIn(1), &d = m.knownIn(2);
  if (!s || !l || !d)
    return m.unsupported("Range with inputs computed at run time");
  if (isFloat(s->dtype)) {
    double st = realAt(*s, 0), li = realAt(*l, 0), de = realAt(*d, 0);
    int64_t n = std::max<int64_t>(0, int64_t(std::ceil((li - st) / de)));
    if (n > kMaxOnnxElements)
      return m.fail() << "too many elements";
    HostTensor t = HostTensor::zeros(s->dtype, {n});
    for (int64_t i = 0; i < n; ++i) {
      double v = st + i * de;
      if (s->dtype == DType::F32) {
        float f = v;
        std::memcpy(&t.bytes[4 * i], &f, 4);
      } else if (s->dtype == DType::F64) {
        std::memcpy(&t.bytes[8 * i], &v, 8);
      } else {
        return m.unsupported("Range element type");
      }
    }
    m.setKnown(0, std::move(t));
    return success();
  }
  int64_t st = intAt(*s, 0), li = intAt(*l, 0), de = intAt(*d, 0);
  if (de == 0)
    return m.fail() << "delta is 0";
  int64_t n = std::max<int64_t>(0, (li - st + de + (de > 0 ? -1 : 1)) / de);
  if (n > kMaxOnnxElements)
    return m.fail() << "too many elements";
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = st + i * de;
  HostTensor t = intTensor(v, {n});
  if (s->dtype == DType::I32) {
    HostTensor t32 = HostTensor::zeros(DType::I32, {n});
    for (int64_t i = 0; i < n; ++i) {
      int32_t x = int32_t(v[i]);
      std::memcpy(&t32.bytes[4 * i], &x, 4);
    }
    t = std::move(t32);
  }
  m.setKnown(0, std::move(t));
  return success();
}

LogicalResult convertIdentity(OnnxImporter &m) { return done(m, m.in(0)); }

/// Dropout at inference: the identity. Before opset 7 (`legacyIsTest`)
/// `is_test = 0` asks for training mode; from opset 12 input 2 does.
LogicalResult convertDropout(OnnxImporter &m, bool legacyIsTest) {
  if (m.outputUsed(1))
    return m.unsupported("output 1 (mask)");
  m.attr("ratio");
  m.attr("seed");
  if (const auto *a = m.attr("is_test"); a && a->i() == 0 && legacyIsTest)
    return m.unsupported("training-mode Dropout");
  if (m.hasInput(2)) {
    const auto &k = m.knownIn(2);
    if (!k || intAt(*k, 0) != 0)
      return m.unsupported("training-mode Dropout");
  }
  return done(m, m.in(0));
}

} // namespace

void registerMiscConverters(OnnxConverterRegistry &r) {
  r.on("Constant", 1, convertConstant, 0);
  r.on("ConstantOfShape", 1, convertConstantOfShape);
  r.on("Range", 1, convertRange, 3);
  r.on("Identity", 1, convertIdentity);
  r.on("Dropout", 1, [](OnnxImporter &m) { return convertDropout(m, true); });
  r.on("Dropout", 7, [](OnnxImporter &m) { return convertDropout(m, false); });
}

} // namespace dlc::onnx_import
