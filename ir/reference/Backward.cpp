//===- Backward.cpp - reference kernels of the backward ops ---------------===//
//
// Plain loops that mirror the forward kernels of Contraction.cpp and
// Movement.cpp: each forward read of input position p by output element q
// becomes `grad_input[p] += grad_output[q] * (d out[q] / d in[p])`.
//
//===----------------------------------------------------------------------===//
#include "ir/reference/Backward.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dlc::ref {

namespace {
/// Input coordinate of window tap `k` of output coordinate `o` along dim
/// `d` (0 = H, 1 = W).
inline int64_t tap(const Window2d &w, int d, int64_t o, int64_t k) {
  return o * w.stride[d] - w.padding[d] + k * w.dilation[d];
}
} // namespace

template <typename T>
Tensor<T> conv2dBackwardInput(const Tensor<T> &gradOutput,
                              const Tensor<T> &weight, const Shape &inputShape,
                              const Window2d &w, int64_t groups) {
  Tensor<T> dx = Tensor<T>::filled(inputShape, T(0));
  int64_t batch = inputShape[0], inC = inputShape[1];
  int64_t inH = inputShape[2], inW = inputShape[3];
  int64_t outC = weight.shape[0], groupC = weight.shape[1];
  int64_t kh = weight.shape[2], kw = weight.shape[3];
  int64_t outH = gradOutput.shape[2], outW = gradOutput.shape[3];
  int64_t outPerGroup = outC / groups;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t o = 0; o < outC; ++o) {
      const T *g = &gradOutput.data[(b * outC + o) * outH * outW];
      int64_t grp = o / outPerGroup;
      for (int64_t c = 0; c < groupC; ++c) {
        T *plane = &dx.data[(b * inC + grp * groupC + c) * inH * inW];
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j) {
            T wv = weight.data[((o * groupC + c) * kh + i) * kw + j];
            for (int64_t y = 0; y < outH; ++y) {
              int64_t iy = tap(w, 0, y, i);
              if (iy < 0 || iy >= inH)
                continue;
              for (int64_t x = 0; x < outW; ++x) {
                int64_t ix = tap(w, 1, x, j);
                if (ix >= 0 && ix < inW)
                  plane[iy * inW + ix] += wv * g[y * outW + x];
              }
            }
          }
      }
    }
  return dx;
}

template <typename T>
Tensor<T> conv2dBackwardWeight(const Tensor<T> &gradOutput,
                               const Tensor<T> &input, const int64_t kernel[2],
                               const Window2d &w, int64_t groups,
                               int64_t splits) {
  int64_t batch = input.shape[0], inC = input.shape[1];
  int64_t inH = input.shape[2], inW = input.shape[3];
  int64_t outC = gradOutput.shape[1];
  int64_t outH = gradOutput.shape[2], outW = gradOutput.shape[3];
  int64_t groupC = inC / groups, outPerGroup = outC / groups;
  int64_t kh = kernel[0], kw = kernel[1];
  // Partial s sums the flat positions (b * outH + y) * outW + x in
  // [s * chunk, (s + 1) * chunk).
  int64_t chunk = (batch * outH * outW + splits - 1) / splits;
  Shape shape = {outC, groupC, kh, kw};
  if (splits > 1)
    shape.insert(shape.begin(), splits);
  Tensor<T> dw = Tensor<T>::filled(shape, T(0));
  int64_t partSize = outC * groupC * kh * kw;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t o = 0; o < outC; ++o) {
      const T *g = &gradOutput.data[(b * outC + o) * outH * outW];
      int64_t grp = o / outPerGroup;
      for (int64_t c = 0; c < groupC; ++c) {
        const T *in = &input.data[(b * inC + grp * groupC + c) * inH * inW];
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j) {
            int64_t at = ((o * groupC + c) * kh + i) * kw + j;
            for (int64_t y = 0; y < outH; ++y) {
              int64_t iy = tap(w, 0, y, i);
              if (iy < 0 || iy >= inH)
                continue;
              for (int64_t x = 0; x < outW; ++x) {
                int64_t ix = tap(w, 1, x, j);
                int64_t s = ((b * outH + y) * outW + x) / chunk;
                if (ix >= 0 && ix < inW)
                  dw.data[s * partSize + at] += g[y * outW + x] * in[iy * inW + ix];
              }
            }
          }
      }
    }
  return dw;
}

template <typename T>
Tensor<T> maxPool2dBackward(const Tensor<T> &gradOutput, const Tensor<T> &input,
                            const int64_t kernel[2], const Window2d &w) {
  Tensor<T> dx = Tensor<T>::filled(input.shape, T(0));
  int64_t inH = input.shape[2], inW = input.shape[3];
  int64_t planes = input.shape[0] * input.shape[1];
  int64_t outH = gradOutput.shape[2], outW = gradOutput.shape[3];
  for (int64_t p = 0; p < planes; ++p) {
    const T *in = &input.data[p * inH * inW];
    T *d = &dx.data[p * inH * inW];
    for (int64_t y = 0; y < outH; ++y)
      for (int64_t x = 0; x < outW; ++x) {
        T max = -std::numeric_limits<T>::infinity();
        int64_t arg = -1;
        for (int64_t i = 0; i < kernel[0]; ++i) {
          int64_t iy = tap(w, 0, y, i);
          if (iy < 0 || iy >= inH)
            continue;
          for (int64_t j = 0; j < kernel[1]; ++j) {
            int64_t ix = tap(w, 1, x, j);
            if (ix < 0 || ix >= inW)
              continue;
            T v = in[iy * inW + ix];
            if (std::isnan(v) || v > max) {
              max = v;
              arg = iy * inW + ix;
            }
          }
        }
        if (arg >= 0)
          d[arg] += gradOutput.data[(p * outH + y) * outW + x];
      }
  }
  return dx;
}

template <typename T>
Tensor<T> avgPool2dBackward(const Tensor<T> &gradOutput,
                            const Shape &inputShape, const int64_t kernel[2],
                            const Window2d &w, bool countIncludePad) {
  Tensor<T> dx = Tensor<T>::filled(inputShape, T(0));
  int64_t inH = inputShape[2], inW = inputShape[3];
  int64_t planes = inputShape[0] * inputShape[1];
  int64_t outH = gradOutput.shape[2], outW = gradOutput.shape[3];
  auto inside = [&](int64_t iy, int64_t ix) {
    return iy >= 0 && iy < inH && ix >= 0 && ix < inW;
  };
  for (int64_t p = 0; p < planes; ++p) {
    T *d = &dx.data[p * inH * inW];
    for (int64_t y = 0; y < outH; ++y)
      for (int64_t x = 0; x < outW; ++x) {
        int64_t count = 0;
        for (int64_t i = 0; i < kernel[0]; ++i)
          for (int64_t j = 0; j < kernel[1]; ++j)
            count += inside(tap(w, 0, y, i), tap(w, 1, x, j));
        if (countIncludePad)
          count = kernel[0] * kernel[1];
        T share = gradOutput.data[(p * outH + y) * outW + x] / T(count);
        for (int64_t i = 0; i < kernel[0]; ++i)
          for (int64_t j = 0; j < kernel[1]; ++j) {
            int64_t iy = tap(w, 0, y, i), ix = tap(w, 1, x, j);
            if (inside(iy, ix))
              d[iy * inW + ix] += share;
          }
      }
  }
  return dx;
}

template <typename T>
Tensor<T> sliceBackward(const Tensor<T> &grad, const Shape &inputShape,
                        const std::vector<int64_t> &starts,
                        const std::vector<int64_t> &ends,
                        std::vector<int64_t> axes, std::vector<int64_t> steps) {
  int64_t rank = int64_t(inputShape.size());
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(int64_t(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  Shape begin(rank, 0), step(rank, 1);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t ax = normAxis(axes[i], rank), dim = inputShape[ax];
    begin[ax] = std::clamp<int64_t>(starts[i] < 0 ? starts[i] + dim : starts[i],
                                    0, dim);
    step[ax] = steps[i];
  }
  Tensor<T> dx = Tensor<T>::filled(inputShape, T(0));
  Shape strides = stridesOf(inputShape);
  int64_t i = 0;
  forEachIndex(grad.shape, [&](const Shape &idx) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d)
      off += (begin[d] + idx[d] * step[d]) * strides[d];
    dx.data[off] += grad.data[i++];
  });
  return dx;
}

#define DLC_INSTANTIATE(T)                                                     \
  template Tensor<T> conv2dBackwardInput<T>(const Tensor<T> &,                 \
                                            const Tensor<T> &, const Shape &,  \
                                            const Window2d &, int64_t);        \
  template Tensor<T> conv2dBackwardWeight<T>(const Tensor<T> &,                \
                                             const Tensor<T> &,                \
                                             const int64_t[2],                 \
                                             const Window2d &, int64_t,        \
                                             int64_t);                         \
  template Tensor<T> maxPool2dBackward<T>(const Tensor<T> &,                   \
                                          const Tensor<T> &, const int64_t[2], \
                                          const Window2d &);                   \
  template Tensor<T> avgPool2dBackward<T>(const Tensor<T> &, const Shape &,    \
                                          const int64_t[2], const Window2d &,  \
                                          bool);                               \
  template Tensor<T> sliceBackward<T>(                                         \
      const Tensor<T> &, const Shape &, const std::vector<int64_t> &,          \
      const std::vector<int64_t> &, std::vector<int64_t>,                      \
      std::vector<int64_t>);
DLC_INSTANTIATE(float)
DLC_INSTANTIATE(double)

} // namespace dlc::ref
