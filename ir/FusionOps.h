//===- FusionOps.h - op classes for fusion ----------------------*- C++ -*-===//
//
// How fusion sees each dlc op. Shared by the dlc.fusion verifier (which checks
// that a body's `kind` matches its ops) and the --dlc-fuse pass.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_FUSIONOPS_H
#define DLC_IR_FUSIONOPS_H

#include "ir/DlcOps.h"

#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>

namespace mlir::dlc {

/// The class of an op is a trait on it in ir/DlcOps.td (ir/DlcTraits.td:
/// Dlc_Elementwise, Dlc_View, Dlc_Reduction, Dlc_Contraction, Dlc_Pooling);
/// classifyOp reads it.
enum class OpClass {
  /// One output element from a bounded number of input elements: unary,
  /// binary, compare, where, cast, transpose, slice, concat, batch_norm
  /// (inference), slice_backward.
  Elementwise,
  /// A pure index map that never needs a kernel of its own: broadcast,
  /// reshape, flatten.
  View,
  /// reduce_*, softmax, log_softmax, layer_norm, softmax_cross_entropy,
  /// mse_loss.
  Reduction,
  /// matmul, batch_matmul, dense, conv2d, conv2d_backward_input,
  /// conv2d_backward_weight.
  Contraction,
  /// max_pool2d, avg_pool2d and their *_backward ops: windowed.
  Pool,
  /// dlc.constant: cloned into each group that reads it.
  Constant,
  /// Anything else (other dialects, dlc.fusion, dlc.yield, and the
  /// optimizer updates, which --dlc-fuse-optimizer groups): not fused.
  Other,
};

OpClass classifyOp(Operation *op);

/// sgd_update, adam_update, adamw_update: the body of a `multi_tensor`
/// fusion, and never of another kind.
bool isOptimizerUpdate(Operation *op);

/// The optional grad_scale and skip operands of an optimizer update (null
/// where absent or when `update` is not one).
std::pair<Value, Value> optimizerLossScaling(Operation *update);

/// Elementwise or View: the ops that may join any group as prologue or
/// epilogue.
inline bool isElementwiseLike(OpClass c) {
  return c == OpClass::Elementwise || c == OpClass::View;
}

/// A conv2d, conv2d_backward_input or conv2d_backward_weight with one input
/// and one output channel per group (groups == C == O > 1): a direct kernel,
/// not a GEMM of one column per group.
bool isDepthwiseConv(Operation *op);

/// A backward op whose kernel codegen/BackwardKernels.cpp writes, one
/// thread per output element, and --dlc-fuse keeps alone: max/avg_pool2d_
/// backward, slice_backward and the depthwise conv backward ops (the other
/// conv backward ops are GEMM anchors).
bool isDirectBackwardOp(Operation *op);

/// The ops a fusion's kernel is built around: its (last) contraction or
/// reduction, the anchor, and its (last) pooling op; null where absent.
struct FusionAnchors {
  Operation *anchor = nullptr, *pool = nullptr;
};
FusionAnchors findAnchors(FusionOp fusion);

/// The `kind` a dlc.fusion with these anchors has: contraction when it holds a
/// contraction, else reduction when it holds a reduction or pool, else
/// elementwise.
llvm::StringRef fusionKindFor(bool hasContraction, bool hasReductionOrPool);

/// `s` with every character outside [A-Za-z0-9_] replaced by '_'.
std::string sanitizeIdentifier(llvm::StringRef s);

} // namespace mlir::dlc

#endif // DLC_IR_FUSIONOPS_H
