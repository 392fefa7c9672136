//===- Optimizer.cpp - optimizer update kernels ---------------------------===//
#include "ir/reference/Optimizer.h"

#include <cmath>

namespace dlc::ref {

template <typename T>
void sgdUpdate(Tensor<T> &param, const Tensor<T> &grad, Tensor<T> &buf,
               double step, const SgdHyper &h) {
  if (h.skip)
    return;
  for (size_t i = 0; i < param.data.size(); ++i) {
    double p = param.data[i];
    double g = double(grad.data[i]) * h.gradScale + h.weightDecay * p;
    double b = h.momentum * double(buf.data[i]) + g;
    buf.data[i] = T(b);
    double d = h.momentum == 0 ? g : h.nesterov ? g + h.momentum * b : b;
    param.data[i] = T(p - h.lr * d);
  }
}

template <typename T>
void adamUpdate(Tensor<T> &param, const Tensor<T> &grad, Tensor<T> &m,
                Tensor<T> &v, double step, const AdamHyper &h) {
  if (h.skip)
    return;
  double c1 = 1 - std::pow(h.beta1, step), c2 = 1 - std::pow(h.beta2, step);
  for (size_t i = 0; i < param.data.size(); ++i) {
    double p = param.data[i], g = double(grad.data[i]) * h.gradScale;
    if (h.decoupled)
      p *= 1 - h.lr * h.weightDecay;
    else
      g += h.weightDecay * p;
    double mi = h.beta1 * double(m.data[i]) + (1 - h.beta1) * g;
    double vi = h.beta2 * double(v.data[i]) + (1 - h.beta2) * g * g;
    m.data[i] = T(mi);
    v.data[i] = T(vi);
    param.data[i] = T(p - h.lr * (mi / c1) / (std::sqrt(vi / c2) + h.eps));
  }
}

#define DLC_INSTANTIATE(T)                                                     \
  template void sgdUpdate<T>(Tensor<T> &, const Tensor<T> &, Tensor<T> &,      \
                             double, const SgdHyper &);                        \
  template void adamUpdate<T>(Tensor<T> &, const Tensor<T> &, Tensor<T> &,     \
                              Tensor<T> &, double, const AdamHyper &);
DLC_INSTANTIATE(float)
DLC_INSTANTIATE(double)

} // namespace dlc::ref
