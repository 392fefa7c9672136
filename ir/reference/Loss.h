//===- Loss.h - loss kernels ------------------------------------*- C++ -*-===//
#ifndef DLC_IR_REFERENCE_LOSS_H
#define DLC_IR_REFERENCE_LOSS_H

#include "ir/reference/Tensor.h"

namespace dlc::ref {

/// Mean over the batch of -log_softmax(logits[n])[labels[n]], a 0-d tensor;
/// logits are [N, C], labels [N]. A label outside [0, C) is an error naming
/// the row and the label.
template <typename T>
Status softmaxCrossEntropy(const Tensor<T> &logits,
                           const Tensor<int64_t> &labels, Tensor<T> &out);

/// Mean of (input - target)^2 over all elements, a 0-d tensor.
template <typename T>
Tensor<T> mseLoss(const Tensor<T> &input, const Tensor<T> &target);

} // namespace dlc::ref

#endif // DLC_IR_REFERENCE_LOSS_H
