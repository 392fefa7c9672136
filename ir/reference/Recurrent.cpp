//===- Recurrent.cpp - LSTM and GRU, step by step -------------------------===//
#include "ir/reference/Recurrent.h"

#include <cmath>

namespace dlc::ref {

namespace {

template <typename T> T sigmoid(T v) { return T(1) / (T(1) + std::exp(-v)); }

/// The sizes of a recurrent op and the offsets of its operands.
struct Dims {
  int64_t seq, batch, input, hidden, dirs, gates;
};

template <typename T>
Dims dimsOf(const Tensor<T> &x, int64_t hidden, RnnDirection dir,
            int64_t gates) {
  return {x.shape[0], x.shape[1], x.shape[2], hidden,
          dir == RnnDirection::Bidirectional ? 2 : 1, gates};
}

/// Whether direction `d` runs from the last step to the first.
bool backwards(RnnDirection dir, int64_t d) {
  return dir == RnnDirection::Reverse || d == 1;
}

/// sum_k v[k] * m[row][k] for row-major m with `cols` columns.
template <typename T>
T dot(const T *v, const T *m, int64_t row, int64_t cols) {
  T s = 0;
  for (int64_t k = 0; k < cols; ++k)
    s += v[k] * m[row * cols + k];
  return s;
}

/// Element (d, b, j) of an optional [D, B, H] state, 0 when absent.
template <typename T>
T stateAt(const Tensor<T> *s, const Dims &n, int64_t d, int64_t b, int64_t j) {
  return s ? s->data[(d * n.batch + b) * n.hidden + j] : T(0);
}

} // namespace

template <typename T>
LstmResult<T> lstm(const Tensor<T> &x, const Tensor<T> &w, const Tensor<T> &r,
                   const Tensor<T> *bias, const Tensor<T> *initialH,
                   const Tensor<T> *initialC, int64_t hidden,
                   RnnDirection direction) {
  Dims n = dimsOf(x, hidden, direction, 4);
  const int64_t H = n.hidden, G = 4 * H;
  LstmResult<T> out;
  out.y = Tensor<T>::filled({n.seq, n.dirs, n.batch, H}, T(0));
  out.yh = Tensor<T>::filled({n.dirs, n.batch, H}, T(0));
  out.yc = Tensor<T>::filled({n.dirs, n.batch, H}, T(0));
  for (int64_t d = 0; d < n.dirs; ++d) {
    const T *wd = w.data.data() + d * G * n.input;
    const T *rd = r.data.data() + d * G * H;
    for (int64_t b = 0; b < n.batch; ++b) {
      std::vector<T> h(H), c(H), hNew(H), pre(G);
      for (int64_t j = 0; j < H; ++j) {
        h[j] = stateAt(initialH, n, d, b, j);
        c[j] = stateAt(initialC, n, d, b, j);
      }
      for (int64_t s = 0; s < n.seq; ++s) {
        int64_t t = backwards(direction, d) ? n.seq - 1 - s : s;
        const T *xt = x.data.data() + (t * n.batch + b) * n.input;
        for (int64_t g = 0; g < G; ++g) {
          pre[g] = dot(xt, wd, g, n.input) + dot(h.data(), rd, g, H);
          if (bias)
            pre[g] += bias->data[d * 2 * G + g] + bias->data[d * 2 * G + G + g];
        }
        for (int64_t j = 0; j < H; ++j) {
          T i = sigmoid(pre[j]), o = sigmoid(pre[H + j]),
            f = sigmoid(pre[2 * H + j]), cc = std::tanh(pre[3 * H + j]);
          c[j] = f * c[j] + i * cc;
          hNew[j] = o * std::tanh(c[j]);
        }
        h = hNew;
        for (int64_t j = 0; j < H; ++j)
          out.y.data[((t * n.dirs + d) * n.batch + b) * H + j] = h[j];
      }
      for (int64_t j = 0; j < H; ++j) {
        out.yh.data[(d * n.batch + b) * H + j] = h[j];
        out.yc.data[(d * n.batch + b) * H + j] = c[j];
      }
    }
  }
  return out;
}

template <typename T>
GruResult<T> gru(const Tensor<T> &x, const Tensor<T> &w, const Tensor<T> &r,
                 const Tensor<T> *bias, const Tensor<T> *initialH,
                 int64_t hidden, RnnDirection direction,
                 bool linearBeforeReset) {
  Dims n = dimsOf(x, hidden, direction, 3);
  const int64_t H = n.hidden, G = 3 * H;
  GruResult<T> out;
  out.y = Tensor<T>::filled({n.seq, n.dirs, n.batch, H}, T(0));
  out.yh = Tensor<T>::filled({n.dirs, n.batch, H}, T(0));
  for (int64_t d = 0; d < n.dirs; ++d) {
    const T *wd = w.data.data() + d * G * n.input;
    const T *rd = r.data.data() + d * G * H;
    auto wb = [&](int64_t g) { return bias ? bias->data[d * 2 * G + g] : T(0); };
    auto rb = [&](int64_t g) {
      return bias ? bias->data[d * 2 * G + G + g] : T(0);
    };
    for (int64_t b = 0; b < n.batch; ++b) {
      std::vector<T> h(H), hNew(H), rh(H);
      for (int64_t j = 0; j < H; ++j)
        h[j] = stateAt(initialH, n, d, b, j);
      for (int64_t s = 0; s < n.seq; ++s) {
        int64_t t = backwards(direction, d) ? n.seq - 1 - s : s;
        const T *xt = x.data.data() + (t * n.batch + b) * n.input;
        std::vector<T> z(H), rg(H);
        for (int64_t j = 0; j < H; ++j) {
          z[j] = sigmoid(dot(xt, wd, j, n.input) + dot(h.data(), rd, j, H) +
                         wb(j) + rb(j));
          rg[j] = sigmoid(dot(xt, wd, H + j, n.input) +
                          dot(h.data(), rd, H + j, H) + wb(H + j) + rb(H + j));
        }
        for (int64_t j = 0; j < H; ++j)
          rh[j] = rg[j] * h[j];
        for (int64_t j = 0; j < H; ++j) {
          int64_t g = 2 * H + j;
          T rec = linearBeforeReset ? rg[j] * (dot(h.data(), rd, g, H) + rb(g))
                                    : dot(rh.data(), rd, g, H) + rb(g);
          T nn = std::tanh(dot(xt, wd, g, n.input) + wb(g) + rec);
          hNew[j] = (T(1) - z[j]) * nn + z[j] * h[j];
        }
        h = hNew;
        for (int64_t j = 0; j < H; ++j)
          out.y.data[((t * n.dirs + d) * n.batch + b) * H + j] = h[j];
      }
      for (int64_t j = 0; j < H; ++j)
        out.yh.data[(d * n.batch + b) * H + j] = h[j];
    }
  }
  return out;
}

#define DLC_INSTANTIATE(T)                                                     \
  template LstmResult<T> lstm(const Tensor<T> &, const Tensor<T> &,            \
                              const Tensor<T> &, const Tensor<T> *,            \
                              const Tensor<T> *, const Tensor<T> *, int64_t,   \
                              RnnDirection);                                   \
  template GruResult<T> gru(const Tensor<T> &, const Tensor<T> &,              \
                            const Tensor<T> &, const Tensor<T> *,              \
                            const Tensor<T> *, int64_t, RnnDirection, bool);
DLC_INSTANTIATE(float)
DLC_INSTANTIATE(double)
#undef DLC_INSTANTIATE

} // namespace dlc::ref
