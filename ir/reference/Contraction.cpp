//===- Contraction.cpp - matmul, dense, conv2d, pooling -------------------===//
#include "ir/reference/Contraction.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dlc::ref {

namespace {

/// c[M, N] += a[M, K] * b[K, N], in i-k-j order so the inner loop is
/// contiguous.
template <typename T>
void gemm(const T *a, const T *b, T *c, int64_t m, int64_t k, int64_t n) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      T av = a[i * k + p];
      for (int64_t j = 0; j < n; ++j)
        c[i * n + j] += av * b[p * n + j];
    }
}

/// Output extent of a sliding window over `in` (the verifier made it >= 1).
int64_t windowOut(int64_t in, int64_t padBefore, int64_t padAfter,
                  int64_t kernel, int64_t stride, int64_t dilation) {
  int64_t span = dilation * (kernel - 1) + 1;
  return (in + padBefore + padAfter - span) / stride + 1;
}

/// NCHW shape of a pooling or convolution output with `channels` channels.
Shape windowShape(const Shape &in, int64_t channels, const int64_t kernel[2],
                  const Window2d &w) {
  return {in[0], channels,
          windowOut(in[2], w.padding[0], w.padding[2], kernel[0], w.stride[0],
                    w.dilation[0]),
          windowOut(in[3], w.padding[1], w.padding[3], kernel[1], w.stride[1],
                    w.dilation[1])};
}

} // namespace

template <typename T>
Tensor<T> matmul(const Tensor<T> &lhs, const Tensor<T> &rhs) {
  int64_t m = lhs.shape[lhs.rank() - 2], k = lhs.shape[lhs.rank() - 1];
  int64_t n = rhs.shape[rhs.rank() - 1];
  Shape lb(lhs.shape.begin(), lhs.shape.end() - 2);
  Shape rb(rhs.shape.begin(), rhs.shape.end() - 2);
  Shape batch = *broadcastShapes(lb, rb);
  // Strides in units of whole matrices.
  Shape ls = broadcastStrides(lb, batch), rs = broadcastStrides(rb, batch);
  Shape outShape = batch;
  outShape.push_back(m);
  outShape.push_back(n);
  Tensor<T> out = Tensor<T>::filled(outShape, T(0));
  int64_t b = 0;
  forEachIndex(batch, [&](const Shape &idx) {
    gemm(lhs.data.data() + offsetOf(idx, ls) * m * k,
         rhs.data.data() + offsetOf(idx, rs) * k * n,
         out.data.data() + b++ * m * n, m, k, n);
  });
  return out;
}

template <typename T>
Tensor<T> batchMatmul(const Tensor<T> &lhs, const Tensor<T> &rhs) {
  return matmul(lhs, rhs); // same semantics with equal batch dims
}

template <typename T>
Tensor<T> dense(const Tensor<T> &input, const Tensor<T> &weight,
                OptionalBias<T> bias) {
  int64_t n = weight.shape[0], k = weight.shape[1];
  Shape outShape(input.shape.begin(), input.shape.end() - 1);
  int64_t rows = Tensor<T>::numel(outShape);
  outShape.push_back(n);
  Tensor<T> out = Tensor<T>::filled(outShape, T(0));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      T acc = bias ? bias->data[j] : T(0);
      for (int64_t p = 0; p < k; ++p)
        acc += input.data[r * k + p] * weight.data[j * k + p];
      out.data[r * n + j] = acc;
    }
  return out;
}

template <typename T>
Tensor<T> conv2d(const Tensor<T> &input, const Tensor<T> &weight,
                 OptionalBias<T> bias, const Window2d &w, int64_t groups) {
  int64_t batch = input.shape[0], inC = input.shape[1];
  int64_t inH = input.shape[2], inW = input.shape[3];
  int64_t outC = weight.shape[0], groupC = weight.shape[1];
  int64_t kh = weight.shape[2], kw = weight.shape[3];
  int64_t kernel[2] = {kh, kw};
  Tensor<T> out =
      Tensor<T>::filled(windowShape(input.shape, outC, kernel, w), T(0));
  int64_t outH = out.shape[2], outW = out.shape[3];
  int64_t outPerGroup = outC / groups;

  for (int64_t b = 0; b < batch; ++b)
    for (int64_t o = 0; o < outC; ++o) {
      T *plane = &out.data[(b * outC + o) * outH * outW];
      if (bias)
        std::fill(plane, plane + outH * outW, bias->data[o]);
      int64_t g = o / outPerGroup;
      for (int64_t c = 0; c < groupC; ++c) {
        const T *in = &input.data[(b * inC + g * groupC + c) * inH * inW];
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j) {
            T wv = weight.data[((o * groupC + c) * kh + i) * kw + j];
            // out[y][x] += wv * in[y*sh - pt + i*dh][x*sw - pl + j*dw] for
            // every (y, x) whose input position lies inside the image.
            // The x range is computed up front so the inner loop has no
            // branch: x0 is the first x with ix >= 0, x1 one past the last
            // with ix < inW.
            int64_t sx = w.stride[1], offX = j * w.dilation[1] - w.padding[1];
            int64_t x0 = offX >= 0 ? 0 : (-offX + sx - 1) / sx;
            int64_t x1 =
                offX >= inW ? 0 : std::min(outW, (inW - 1 - offX) / sx + 1);
            for (int64_t y = 0; y < outH; ++y) {
              int64_t iy = y * w.stride[0] - w.padding[0] + i * w.dilation[0];
              if (iy < 0 || iy >= inH)
                continue;
              for (int64_t x = x0; x < x1; ++x)
                plane[y * outW + x] += wv * in[iy * inW + x * sx + offX];
            }
          }
      }
    }
  return out;
}

namespace {
/// Calls fn(value) for each in-bounds element of the window of output
/// (y, x) in one NCHW plane; returns how many there were.
template <typename T, typename Fn>
int64_t forEachInWindow(const T *plane, int64_t inH, int64_t inW,
                        const int64_t kernel[2], const Window2d &w, int64_t y,
                        int64_t x, Fn fn) {
  int64_t count = 0;
  for (int64_t i = 0; i < kernel[0]; ++i) {
    int64_t iy = y * w.stride[0] - w.padding[0] + i * w.dilation[0];
    if (iy < 0 || iy >= inH)
      continue;
    for (int64_t j = 0; j < kernel[1]; ++j) {
      int64_t ix = x * w.stride[1] - w.padding[1] + j * w.dilation[1];
      if (ix < 0 || ix >= inW)
        continue;
      fn(plane[iy * inW + ix]);
      ++count;
    }
  }
  return count;
}

/// out[n][c][y][x] = fn(input plane, y, x) over a pooling output.
template <typename T, typename Fn>
Tensor<T> pool(const Tensor<T> &input, const int64_t kernel[2],
               const Window2d &w, Fn fn) {
  Tensor<T> out = Tensor<T>::filled(
      windowShape(input.shape, input.shape[1], kernel, w), T(0));
  int64_t inH = input.shape[2], inW = input.shape[3];
  int64_t planes = input.shape[0] * input.shape[1];
  int64_t outH = out.shape[2], outW = out.shape[3];
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t y = 0; y < outH; ++y)
      for (int64_t x = 0; x < outW; ++x)
        out.data[(p * outH + y) * outW + x] =
            fn(&input.data[p * inH * inW], inH, inW, y, x);
  return out;
}
} // namespace

template <typename T>
Tensor<T> maxPool2d(const Tensor<T> &input, const int64_t kernel[2],
                    const Window2d &w) {
  return pool(
      input, kernel, w,
      [&](const T *plane, int64_t inH, int64_t inW, int64_t y, int64_t x) {
        T max = -std::numeric_limits<T>::infinity();
        forEachInWindow(plane, inH, inW, kernel, w, y, x,
                        [&](T v) { max = std::isnan(v) || v > max ? v : max; });
        return max;
      });
}

template <typename T>
Tensor<T> avgPool2d(const Tensor<T> &input, const int64_t kernel[2],
                    const Window2d &w, bool countIncludePad) {
  return pool(
      input, kernel, w,
      [&](const T *plane, int64_t inH, int64_t inW, int64_t y, int64_t x) {
        T sum = 0;
        int64_t count = forEachInWindow(plane, inH, inW, kernel, w, y, x,
                                        [&](T v) { sum += v; });
        if (countIncludePad)
          count = kernel[0] * kernel[1];
        return sum / T(count);
      });
}

#define DLC_INSTANTIATE(T)                                                     \
  template Tensor<T> matmul<T>(const Tensor<T> &, const Tensor<T> &);          \
  template Tensor<T> batchMatmul<T>(const Tensor<T> &, const Tensor<T> &);     \
  template Tensor<T> dense<T>(const Tensor<T> &, const Tensor<T> &,            \
                              const Tensor<T> *);                              \
  template Tensor<T> conv2d<T>(const Tensor<T> &, const Tensor<T> &,           \
                               const Tensor<T> *, const Window2d &, int64_t);  \
  template Tensor<T> maxPool2d<T>(const Tensor<T> &, const int64_t[2],         \
                                  const Window2d &);                           \
  template Tensor<T> avgPool2d<T>(const Tensor<T> &, const int64_t[2],         \
                                  const Window2d &, bool);
DLC_INSTANTIATE(float)
DLC_INSTANTIATE(double)

} // namespace dlc::ref
