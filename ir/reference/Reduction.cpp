//===- Reduction.cpp - reductions and normalizations ----------------------===//
#include "ir/reference/Reduction.h"

#include <cmath>
#include <limits>

namespace dlc::ref {

namespace {
/// The extents of x viewed as [outer, x.shape[axis], inner].
struct AxisView {
  int64_t outer = 1, n = 1, inner = 1;
  AxisView(const Shape &shape, int64_t axis) {
    for (int64_t i = 0; i < int64_t(shape.size()); ++i)
      (i < axis ? outer : i == axis ? n : inner) *= shape[i];
  }
};
} // namespace

template <typename T>
Tensor<T> reduce(ReduceKind kind, const Tensor<T> &x,
                 const std::vector<int64_t> &axes, bool keepdims) {
  int64_t rank = x.rank();
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes)
    reduced[normAxis(a, rank)] = true;

  // The output index of an input index: reduced dims collapse to 0.
  Shape keptShape(rank);
  Shape outShape;
  int64_t count = 1;
  for (int64_t i = 0; i < rank; ++i) {
    keptShape[i] = reduced[i] ? 1 : x.shape[i];
    if (reduced[i])
      count *= x.shape[i];
    if (!reduced[i] || keepdims)
      outShape.push_back(keptShape[i]);
  }
  Shape keptStrides = broadcastStrides(keptShape, x.shape);

  T init = kind == ReduceKind::Max ? -std::numeric_limits<T>::infinity() : T(0);
  Tensor<T> out = Tensor<T>::filled(outShape, init);
  int64_t i = 0;
  forEachIndex(x.shape, [&](const Shape &idx) {
    T v = x.data[i++];
    T &acc = out.data[offsetOf(idx, keptStrides)];
    if (kind == ReduceKind::Max) // a NaN, once there, stays
      acc = (std::isnan(v) || v > acc) ? v : acc;
    else
      acc += v;
  });
  if (kind == ReduceKind::Mean)
    for (T &v : out.data)
      v /= T(count);
  return out;
}

/// Calls finish(at, n, max) on every line of `x` along `axis` (of a copy),
/// where at(k) is the k-th element of the line and max its NaN-propagating
/// maximum: what softmax and log_softmax share.
template <typename T, typename Finish>
Tensor<T> alongAxis(const Tensor<T> &x, int64_t axis, Finish finish) {
  AxisView view(x.shape, normAxis(axis, x.rank()));
  Tensor<T> out = x;
  for (int64_t o = 0; o < view.outer; ++o)
    for (int64_t in = 0; in < view.inner; ++in) {
      auto at = [&](int64_t k) -> T & {
        return out.data[(o * view.n + k) * view.inner + in];
      };
      T max = -std::numeric_limits<T>::infinity();
      for (int64_t k = 0; k < view.n; ++k)
        max = std::isnan(at(k)) || at(k) > max ? at(k) : max;
      finish(at, view.n, max);
    }
  return out;
}

template <typename T> Tensor<T> softmax(const Tensor<T> &x, int64_t axis) {
  return alongAxis(x, axis, [](auto &at, int64_t n, T max) {
    T sum = 0;
    for (int64_t k = 0; k < n; ++k)
      sum += (at(k) = std::exp(at(k) - max));
    for (int64_t k = 0; k < n; ++k)
      at(k) /= sum;
  });
}

template <typename T> Tensor<T> logSoftmax(const Tensor<T> &x, int64_t axis) {
  return alongAxis(x, axis, [](auto &at, int64_t n, T max) {
    T sum = 0;
    for (int64_t k = 0; k < n; ++k)
      sum += std::exp(at(k) - max);
    // (x - max) is exact for nearby values; subtracting max + log(sum) in
    // one step would lose the low bits of large logits.
    T logSum = std::log(sum);
    for (int64_t k = 0; k < n; ++k)
      at(k) = (at(k) - max) - logSum;
  });
}

template <typename T>
Tensor<T> layerNorm(const Tensor<T> &x, const Tensor<T> &scale,
                    const Tensor<T> &bias, int64_t axis, double epsilon) {
  axis = normAxis(axis, x.rank());
  int64_t inner = 1, outer = 1;
  for (int64_t i = 0; i < x.rank(); ++i)
    (i < axis ? outer : inner) *= x.shape[i];
  Tensor<T> out = x;
  for (int64_t o = 0; o < outer; ++o) {
    const T *row = &x.data[o * inner];
    T mean = 0;
    for (int64_t k = 0; k < inner; ++k)
      mean += row[k];
    mean /= T(inner);
    T var = 0;
    for (int64_t k = 0; k < inner; ++k)
      var += (row[k] - mean) * (row[k] - mean);
    var /= T(inner);
    T inv = T(1) / std::sqrt(var + T(epsilon));
    for (int64_t k = 0; k < inner; ++k)
      out.data[o * inner + k] =
          (row[k] - mean) * inv * scale.data[k] + bias.data[k];
  }
  return out;
}

template <typename T>
Tensor<T> batchNorm(const Tensor<T> &x, const Tensor<T> &scale,
                    const Tensor<T> &bias, const Tensor<T> &mean,
                    const Tensor<T> &variance, double epsilon) {
  AxisView view(x.shape, 1);
  Tensor<T> out = x;
  for (int64_t n = 0; n < view.outer; ++n)
    for (int64_t c = 0; c < view.n; ++c) {
      T inv = T(1) / std::sqrt(variance.data[c] + T(epsilon));
      for (int64_t s = 0; s < view.inner; ++s) {
        T &v = out.data[(n * view.n + c) * view.inner + s];
        v = (v - mean.data[c]) * inv * scale.data[c] + bias.data[c];
      }
    }
  return out;
}

#define DLC_INSTANTIATE(T)                                                     \
  template Tensor<T> reduce<T>(ReduceKind, const Tensor<T> &,                  \
                               const std::vector<int64_t> &, bool);            \
  template Tensor<T> softmax<T>(const Tensor<T> &, int64_t);                   \
  template Tensor<T> logSoftmax<T>(const Tensor<T> &, int64_t);                \
  template Tensor<T> layerNorm<T>(const Tensor<T> &, const Tensor<T> &,        \
                                  const Tensor<T> &, int64_t, double);         \
  template Tensor<T> batchNorm<T>(const Tensor<T> &, const Tensor<T> &,        \
                                  const Tensor<T> &, const Tensor<T> &,        \
                                  const Tensor<T> &, double);
DLC_INSTANTIATE(float)
DLC_INSTANTIATE(double)

} // namespace dlc::ref
