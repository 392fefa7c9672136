//===- Attention.cpp - reference kernels of the attention ops -------------===//
#include "ir/reference/Attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dlc::ref {

namespace {

struct Dims {
  int64_t B, H, Tq, Tk, D, Dv;
};

template <typename T> Dims dimsOf(const Tensor<T> &q, const Tensor<T> &v) {
  return {q.shape[0], q.shape[1], q.shape[2], v.shape[2], q.shape[3],
          v.shape[3]};
}

/// The scaled, masked scores of row i of head (b, h): s[j], j < Tk.
template <typename T>
void scoresRow(const Tensor<T> &q, const Tensor<T> &k,
               const AttentionParams<T> &p, const Dims &d, int64_t b,
               int64_t h, int64_t i, std::vector<T> &s) {
  Shape maskStrides;
  if (p.mask)
    maskStrides = broadcastStrides(p.mask->shape, {d.B, d.H, d.Tq, d.Tk});
  const T *qi = &q.data[((b * d.H + h) * d.Tq + i) * d.D];
  for (int64_t j = 0; j < d.Tk; ++j) {
    const T *kj = &k.data[((b * d.H + h) * d.Tk + j) * d.D];
    T dot = 0;
    for (int64_t e = 0; e < d.D; ++e)
      dot += qi[e] * kj[e];
    s[j] = dot * T(p.scale);
    if (p.mask)
      s[j] += p.mask->data[offsetOf({b, h, i, j}, maskStrides)];
    if (p.causal && j > i)
      s[j] = -std::numeric_limits<T>::infinity();
  }
}

} // namespace

template <typename T>
AttentionResult<T> attention(const Tensor<T> &q, const Tensor<T> &k,
                             const Tensor<T> &v, const AttentionParams<T> &p) {
  Dims d = dimsOf(q, v);
  AttentionResult<T> r{Tensor<T>::filled({d.B, d.H, d.Tq, d.Dv}, 0),
                       Tensor<T>::filled({d.B, d.H, d.Tq}, 0)};
  std::vector<T> s(d.Tk);
  for (int64_t b = 0; b < d.B; ++b)
    for (int64_t h = 0; h < d.H; ++h)
      for (int64_t i = 0; i < d.Tq; ++i) {
        scoresRow(q, k, p, d, b, h, i, s);
        T m = -std::numeric_limits<T>::infinity();
        for (T x : s)
          m = std::max(m, x);
        T l = 0;
        for (T &x : s)
          l += (x = std::exp(x - m));
        int64_t row = (b * d.H + h) * d.Tq + i;
        T *o = &r.out.data[row * d.Dv];
        for (int64_t j = 0; j < d.Tk; ++j)
          for (int64_t e = 0; e < d.Dv; ++e)
            o[e] += s[j] / l * v.data[((b * d.H + h) * d.Tk + j) * d.Dv + e];
        r.logsumexp.data[row] = m + std::log(l);
      }
  return r;
}

template <typename T>
AttentionGrads<T> attentionBackward(const Tensor<T> &q, const Tensor<T> &k,
                                    const Tensor<T> &v, const Tensor<T> &out,
                                    const Tensor<T> &logsumexp,
                                    const Tensor<T> &dout,
                                    const AttentionParams<T> &p) {
  Dims d = dimsOf(q, v);
  AttentionGrads<T> g{Tensor<T>::filled(q.shape, 0),
                      Tensor<T>::filled(k.shape, 0),
                      Tensor<T>::filled(v.shape, 0)};
  std::vector<T> s(d.Tk);
  for (int64_t b = 0; b < d.B; ++b)
    for (int64_t h = 0; h < d.H; ++h)
      for (int64_t i = 0; i < d.Tq; ++i) {
        scoresRow(q, k, p, d, b, h, i, s);
        int64_t row = (b * d.H + h) * d.Tq + i;
        const T *doi = &dout.data[row * d.Dv], *oi = &out.data[row * d.Dv];
        const T *qi = &q.data[row * d.D];
        T delta = 0;
        for (int64_t e = 0; e < d.Dv; ++e)
          delta += doi[e] * oi[e];
        for (int64_t j = 0; j < d.Tk; ++j) {
          T pij = std::exp(s[j] - logsumexp.data[row]);
          int64_t kv = (b * d.H + h) * d.Tk + j;
          T dp = 0;
          for (int64_t e = 0; e < d.Dv; ++e) {
            g.dv.data[kv * d.Dv + e] += pij * doi[e];
            dp += doi[e] * v.data[kv * d.Dv + e];
          }
          T ds = pij * (dp - delta) * T(p.scale);
          for (int64_t e = 0; e < d.D; ++e) {
            g.dq.data[row * d.D + e] += ds * k.data[kv * d.D + e];
            g.dk.data[kv * d.D + e] += ds * qi[e];
          }
        }
      }
  return g;
}

#define DLC_INSTANTIATE(T)                                                     \
  template AttentionResult<T> attention<T>(const Tensor<T> &,                  \
                                           const Tensor<T> &,                  \
                                           const Tensor<T> &,                  \
                                           const AttentionParams<T> &);        \
  template AttentionGrads<T> attentionBackward<T>(                             \
      const Tensor<T> &, const Tensor<T> &, const Tensor<T> &,                 \
      const Tensor<T> &, const Tensor<T> &, const Tensor<T> &,                 \
      const AttentionParams<T> &);
DLC_INSTANTIATE(float)
DLC_INSTANTIATE(double)
#undef DLC_INSTANTIATE

} // namespace dlc::ref
