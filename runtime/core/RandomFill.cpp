//===- RandomFill.cpp - deterministic random tensors for timing -----------===//
#include "runtime/core/RandomFill.h"

#include "runtime/core/FloatConvert.h"

#include <cstring>

using namespace dlc;

namespace {

uint64_t splitmix64(uint64_t &s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

template <typename T> void store(uint8_t *p, int64_t i, T v) {
  std::memcpy(p + sizeof(T) * i, &v, sizeof(T));
}

} // namespace

HostTensor dlc::randomHostTensor(DType dtype,
                                 const std::vector<int64_t> &shape,
                                 uint64_t state, double (*mapFloat)(double)) {
  HostTensor t = HostTensor::zeros(dtype, shape);
  uint8_t *p = t.bytes.data();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) {
    uint64_t r = splitmix64(state);
    double u = double(r >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
    if (mapFloat)
      u = mapFloat(u);
    switch (dtype) {
    case DType::F32:
      store(p, i, float(u));
      break;
    case DType::F64:
      store(p, i, u);
      break;
    case DType::F16:
      store(p, i, ref::doubleToHalf(u));
      break;
    case DType::BF16:
      store(p, i, ref::doubleToBFloat16(u));
      break;
    case DType::I1:
      p[i] = uint8_t(r & 1);
      break;
    case DType::I32:
      store(p, i, int32_t(r & 1));
      break;
    case DType::I64:
      store(p, i, int64_t(r & 1));
      break;
    }
  }
  return t;
}
