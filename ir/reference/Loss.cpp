//===- Loss.cpp - loss kernels --------------------------------------------===//
#include "ir/reference/Loss.h"

#include "ir/reference/Reduction.h"

namespace dlc::ref {

template <typename T>
Status softmaxCrossEntropy(const Tensor<T> &logits,
                           const Tensor<int64_t> &labels, Tensor<T> &out) {
  int64_t n = logits.shape[0], c = logits.shape[1];
  for (int64_t i = 0; i < n; ++i)
    if (labels.data[i] < 0 || labels.data[i] >= c)
      return Status::failure("label " + std::to_string(labels.data[i]) +
                             " of row " + std::to_string(i) +
                             " is out of range [0, " + std::to_string(c) + ")");
  Tensor<T> logProbs = logSoftmax(logits, 1);
  T sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum -= logProbs.data[i * c + labels.data[i]];
  out = Tensor<T>({}, {sum / T(n)});
  return {};
}

template <typename T>
Tensor<T> mseLoss(const Tensor<T> &input, const Tensor<T> &target) {
  T sum = 0;
  for (size_t i = 0; i < input.data.size(); ++i) {
    T d = input.data[i] - target.data[i];
    sum += d * d;
  }
  return Tensor<T>({}, {sum / T(input.data.size())});
}

#define DLC_INSTANTIATE(T)                                                     \
  template Status softmaxCrossEntropy<T>(                                      \
      const Tensor<T> &, const Tensor<int64_t> &, Tensor<T> &);                \
  template Tensor<T> mseLoss<T>(const Tensor<T> &, const Tensor<T> &);
DLC_INSTANTIATE(float)
DLC_INSTANTIATE(double)

} // namespace dlc::ref
