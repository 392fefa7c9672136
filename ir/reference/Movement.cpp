//===- Movement.cpp - data movement kernels -------------------------------===//
#include "ir/reference/Movement.h"

#include <algorithm>

namespace dlc::ref {

template <typename E> Tensor<E> reshape(const Tensor<E> &x, Shape shape) {
  int64_t known = 1;
  int64_t *inferred = nullptr;
  for (int64_t &d : shape) {
    if (d == -1)
      inferred = &d;
    else
      known *= d;
  }
  if (inferred)
    *inferred = known ? int64_t(x.data.size()) / known : 0;
  return Tensor<E>(std::move(shape), x.data);
}

template <typename E> Tensor<E> flatten(const Tensor<E> &x, int64_t axis) {
  if (axis < 0)
    axis += x.rank();
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < x.rank(); ++i)
    (i < axis ? outer : inner) *= x.shape[i];
  return Tensor<E>({outer, inner}, x.data);
}

template <typename E>
Tensor<E> transpose(const Tensor<E> &x, const std::vector<int64_t> &perm) {
  Shape inStrides = stridesOf(x.shape);
  Shape outShape(perm.size()), strides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    outShape[i] = x.shape[perm[i]];
    strides[i] = inStrides[perm[i]];
  }
  Tensor<E> out = Tensor<E>::filled(outShape, E());
  int64_t i = 0;
  forEachIndex(outShape, [&](const Shape &idx) {
    out.data[i++] = x.data[offsetOf(idx, strides)];
  });
  return out;
}

template <typename E>
Tensor<E> concat(const std::vector<const Tensor<E> *> &inputs, int64_t axis) {
  const Shape &first = inputs.front()->shape;
  axis = normAxis(axis, int64_t(first.size()));
  // View every input as [outer, dim(axis) * inner] and append row chunks.
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < int64_t(first.size()); ++i)
    if (i != axis)
      (i < axis ? outer : inner) *= first[i];
  Shape outShape = first;
  outShape[axis] = 0;
  for (const Tensor<E> *t : inputs)
    outShape[axis] += t->shape[axis];
  Tensor<E> out;
  out.shape = outShape;
  out.data.reserve(Tensor<E>::numel(outShape));
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor<E> *t : inputs) {
      int64_t chunk = t->shape[axis] * inner;
      auto begin = t->data.begin() + o * chunk;
      out.data.insert(out.data.end(), begin, begin + chunk);
    }
  return out;
}

template <typename E>
Tensor<E> slice(const Tensor<E> &x, const std::vector<int64_t> &starts,
                const std::vector<int64_t> &ends, std::vector<int64_t> axes,
                std::vector<int64_t> steps) {
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(int64_t(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  // Per dim: first index and step; untouched dims take everything.
  Shape begin(x.rank(), 0), step(x.rank(), 1), outShape = x.shape;
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t ax = normAxis(axes[i], x.rank()), dim = x.shape[ax];
    auto clampIdx = [dim](int64_t v) {
      return std::clamp<int64_t>(v < 0 ? v + dim : v, 0, dim);
    };
    int64_t b = clampIdx(starts[i]), e = clampIdx(ends[i]);
    begin[ax] = b;
    step[ax] = steps[i];
    outShape[ax] = e > b ? (e - b + steps[i] - 1) / steps[i] : 0;
  }
  Shape inStrides = stridesOf(x.shape);
  Tensor<E> out = Tensor<E>::filled(outShape, E());
  int64_t i = 0;
  forEachIndex(outShape, [&](const Shape &idx) {
    int64_t off = 0;
    for (int64_t d = 0; d < x.rank(); ++d)
      off += (begin[d] + idx[d] * step[d]) * inStrides[d];
    out.data[i++] = x.data[off];
  });
  return out;
}

template <typename E> Tensor<E> broadcastTo(const Tensor<E> &x, Shape shape) {
  Shape strides = broadcastStrides(x.shape, shape);
  Tensor<E> out = Tensor<E>::filled(shape, E());
  int64_t i = 0;
  forEachIndex(out.shape, [&](const Shape &idx) {
    out.data[i++] = x.data[offsetOf(idx, strides)];
  });
  return out;
}

template <typename E>
Tensor<E> gather(const Tensor<E> &x, const Tensor<int64_t> &indices,
                 int64_t axis) {
  int64_t outer = 1, inner = 1, dim = x.shape[axis];
  for (int64_t i = 0; i < x.rank(); ++i)
    if (i != axis)
      (i < axis ? outer : inner) *= x.shape[i];
  Shape outShape(x.shape.begin(), x.shape.begin() + axis);
  outShape.insert(outShape.end(), indices.shape.begin(), indices.shape.end());
  outShape.insert(outShape.end(), x.shape.begin() + axis + 1, x.shape.end());
  Tensor<E> out = Tensor<E>::filled(outShape, E());
  int64_t n = int64_t(indices.data.size()), o = 0;
  for (int64_t b = 0; b < outer; ++b)
    for (int64_t j = 0; j < n; ++j) {
      int64_t k = indices.data[j] < 0 ? indices.data[j] + dim : indices.data[j];
      k = std::min(std::max<int64_t>(k, 0), dim - 1);
      for (int64_t c = 0; c < inner; ++c)
        out.data[o++] = x.data[(b * dim + k) * inner + c];
    }
  return out;
}

#define DLC_INSTANTIATE(E)                                                     \
  template Tensor<E> reshape<E>(const Tensor<E> &, Shape);                     \
  template Tensor<E> flatten<E>(const Tensor<E> &, int64_t);                   \
  template Tensor<E> transpose<E>(const Tensor<E> &,                           \
                                  const std::vector<int64_t> &);               \
  template Tensor<E> concat<E>(const std::vector<const Tensor<E> *> &,         \
                               int64_t);                                       \
  template Tensor<E> slice<E>(const Tensor<E> &, const std::vector<int64_t> &, \
                              const std::vector<int64_t> &,                    \
                              std::vector<int64_t>, std::vector<int64_t>);     \
  template Tensor<E> gather<E>(const Tensor<E> &, const Tensor<int64_t> &,    \
                               int64_t);                                       \
  template Tensor<E> broadcastTo<E>(const Tensor<E> &, Shape);
DLC_INSTANTIATE(float)
DLC_INSTANTIATE(double)
DLC_INSTANTIATE(int64_t)

} // namespace dlc::ref
