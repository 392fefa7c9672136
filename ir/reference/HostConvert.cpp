//===- HostConvert.cpp - HostTensor to and from kernel tensors ------------===//
#include "ir/reference/HostConvert.h"

#include "ir/reference/Elementwise.h"
#include "runtime/core/FloatConvert.h"

#include <cstring>

namespace dlc::ref {

namespace {
/// The element at index i of raw little-endian bytes (the host is
/// little-endian, as .npy and safetensors data are).
template <typename S> S readAt(const HostTensor &t, int64_t i) {
  S v;
  std::memcpy(&v, t.bytes.data() + i * sizeof(S), sizeof(S));
  return v;
}
template <typename S> void writeAt(HostTensor &t, int64_t i, S v) {
  std::memcpy(t.bytes.data() + i * sizeof(S), &v, sizeof(S));
}

bool checkSize(const HostTensor &t, std::string &err) {
  auto n = checkedNumel(t.shape);
  if (!n || size_t(*n) * dtypeSize(t.dtype) != t.bytes.size()) {
    err = "tensor of shape " + formatShape(t.shape) + " and type " +
          std::string(dtypeName(t.dtype)) + " has " +
          std::to_string(t.bytes.size()) + " bytes of data";
    return false;
  }
  return true;
}

IntKind intKind(DType d) {
  return d == DType::I1    ? IntKind::I1
         : d == DType::I32 ? IntKind::I32
                           : IntKind::I64;
}
} // namespace

template <typename T>
bool loadFloat(const HostTensor &t, Tensor<T> &out, std::string &err) {
  if (!isFloat(t.dtype)) {
    err = "expected a float tensor, got " + std::string(dtypeName(t.dtype));
    return false;
  }
  if (!checkSize(t, err))
    return false;
  int64_t n = t.numel();
  out = Tensor<T>::filled(t.shape, T(0));
  for (int64_t i = 0; i < n; ++i) {
    switch (t.dtype) {
    case DType::F16:
      out.data[i] = T(halfToDouble(readAt<uint16_t>(t, i)));
      break;
    case DType::BF16:
      out.data[i] = T(bfloat16ToDouble(readAt<uint16_t>(t, i)));
      break;
    case DType::F32:
      out.data[i] = T(readAt<float>(t, i));
      break;
    default:
      out.data[i] = T(readAt<double>(t, i));
      break;
    }
  }
  return true;
}

bool loadInt(const HostTensor &t, Tensor<int64_t> &out, std::string &err) {
  if (isFloat(t.dtype)) {
    err = "expected an integer tensor, got " + std::string(dtypeName(t.dtype));
    return false;
  }
  if (!checkSize(t, err))
    return false;
  int64_t n = t.numel();
  out = Tensor<int64_t>::filled(t.shape, 0);
  for (int64_t i = 0; i < n; ++i) {
    if (t.dtype == DType::I1)
      out.data[i] = readAt<uint8_t>(t, i) != 0;
    else if (t.dtype == DType::I32)
      out.data[i] = readAt<int32_t>(t, i);
    else
      out.data[i] = readAt<int64_t>(t, i);
  }
  return true;
}

template <typename T> HostTensor storeFloat(const Tensor<T> &t, DType dtype) {
  HostTensor out = HostTensor::zeros(dtype, t.shape);
  for (size_t i = 0; i < t.data.size(); ++i) {
    double v = double(t.data[i]);
    switch (dtype) {
    case DType::F16:
      writeAt<uint16_t>(out, i, doubleToHalf(v));
      break;
    case DType::BF16:
      writeAt<uint16_t>(out, i, doubleToBFloat16(v));
      break;
    case DType::F32:
      writeAt<float>(out, i, float(v));
      break;
    default:
      writeAt<double>(out, i, v);
      break;
    }
  }
  return out;
}

HostTensor storeInt(const Tensor<int64_t> &t, DType dtype) {
  HostTensor out = HostTensor::zeros(dtype, t.shape);
  for (size_t i = 0; i < t.data.size(); ++i) {
    int64_t v = wrapInt(t.data[i], intKind(dtype));
    if (dtype == DType::I1)
      writeAt<uint8_t>(out, i, uint8_t(v));
    else if (dtype == DType::I32)
      writeAt<int32_t>(out, i, int32_t(v));
    else
      writeAt<int64_t>(out, i, v);
  }
  return out;
}

template <typename T> void roundTo(Tensor<T> &t, DType dtype) {
  for (T &v : t.data) {
    if (dtype == DType::F16)
      v = T(halfToDouble(doubleToHalf(double(v))));
    else if (dtype == DType::BF16)
      v = T(bfloat16ToDouble(doubleToBFloat16(double(v))));
    else if (dtype == DType::F32)
      v = T(float(v));
  }
}

#define DLC_INSTANTIATE(T)                                                     \
  template bool loadFloat<T>(const HostTensor &, Tensor<T> &, std::string &);  \
  template HostTensor storeFloat<T>(const Tensor<T> &, DType);                 \
  template void roundTo<T>(Tensor<T> &, DType);
DLC_INSTANTIATE(float)
DLC_INSTANTIATE(double)

} // namespace dlc::ref
