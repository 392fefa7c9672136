//===- Attention.h - reference kernels of the attention ops -----*- C++ -*-===//
//
// dlc.attention and dlc.attention_backward (ir/DlcOps.td), computed the
// obvious way: one row of scores at a time, softmax, weighted sum. T is
// float or double. MLIR-free.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_REFERENCE_ATTENTION_H
#define DLC_IR_REFERENCE_ATTENTION_H

#include "ir/reference/Tensor.h"

namespace dlc::ref {

/// Attention's attributes and optional additive mask (null: none;
/// numpy-broadcastable to [B, H, Tq, Tk]).
template <typename T> struct AttentionParams {
  double scale = 1.0;
  bool causal = false;
  const Tensor<T> *mask = nullptr;
};

template <typename T> struct AttentionResult {
  Tensor<T> out;       // [B, H, Tq, Dv]
  Tensor<T> logsumexp; // [B, H, Tq]
};

/// q [B, H, Tq, D], k [B, H, Tk, D], v [B, H, Tk, Dv].
template <typename T>
AttentionResult<T> attention(const Tensor<T> &q, const Tensor<T> &k,
                             const Tensor<T> &v, const AttentionParams<T> &p);

template <typename T> struct AttentionGrads {
  Tensor<T> dq, dk, dv;
};

/// The cotangents of q, k and v given attention's `out`, `logsumexp` and the
/// cotangent `dout` of out.
template <typename T>
AttentionGrads<T> attentionBackward(const Tensor<T> &q, const Tensor<T> &k,
                                    const Tensor<T> &v, const Tensor<T> &out,
                                    const Tensor<T> &logsumexp,
                                    const Tensor<T> &dout,
                                    const AttentionParams<T> &p);

} // namespace dlc::ref

#endif // DLC_IR_REFERENCE_ATTENTION_H
