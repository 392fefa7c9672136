//===- Recurrent.h - LSTM and GRU, step by step -----------------*- C++ -*-===//
//
// The direct definitions of dlc.lstm and dlc.gru (ONNX semantics, default
// activations): plain loops over directions, steps, batch rows and gates,
// with no matmul or slicing shared with the unrolled graph that
// --dlc-unroll-recurrent builds, so the two check each other. T is float or
// double. Shapes are the verified ones (ir/DlcOps.td): x [S, B, I],
// w [D, G*H, I], r [D, G*H, H], bias [D, 2*G*H], states [D, B, H]; null
// optional operands mean zeros.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_REFERENCE_RECURRENT_H
#define DLC_IR_REFERENCE_RECURRENT_H

#include "ir/reference/Tensor.h"

namespace dlc::ref {

enum class RnnDirection { Forward, Reverse, Bidirectional };

template <typename T> struct LstmResult {
  Tensor<T> y;  // [S, D, B, H]
  Tensor<T> yh; // [D, B, H]
  Tensor<T> yc; // [D, B, H]
};

template <typename T> struct GruResult {
  Tensor<T> y;  // [S, D, B, H]
  Tensor<T> yh; // [D, B, H]
};

/// Gates in the order i, o, f, c (ONNX).
template <typename T>
LstmResult<T> lstm(const Tensor<T> &x, const Tensor<T> &w, const Tensor<T> &r,
                   const Tensor<T> *bias, const Tensor<T> *initialH,
                   const Tensor<T> *initialC, int64_t hidden,
                   RnnDirection direction);

/// Gates in the order z, r, h (ONNX); `linearBeforeReset` applies r after
/// the recurrent product of the h gate (PyTorch's GRU).
template <typename T>
GruResult<T> gru(const Tensor<T> &x, const Tensor<T> &w, const Tensor<T> &r,
                 const Tensor<T> *bias, const Tensor<T> *initialH,
                 int64_t hidden, RnnDirection direction,
                 bool linearBeforeReset);

} // namespace dlc::ref

#endif // DLC_IR_REFERENCE_RECURRENT_H
