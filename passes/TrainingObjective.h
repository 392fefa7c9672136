//===- TrainingObjective.h - the training object from flags -----*- C++ -*-===//
//
// `dlc train MODEL --loss ... --optimizer ...` (and `dlc MODEL --train-step`)
// for a model without a `training` object, an ONNX model say: the flags say
// which loss to attach to which output and which optimizer to use, and
// override what the model file's training object says.
//
// applyTrainingFlags, with --loss, adds one input, the target, and the loss
// on the --loss-on output (default: the only output), returned as a new
// output; the module's dlc.training becomes
//   {loss = "<loss output>", target = "<target input>",
//    scores = "<loss-on output>", loss_kind = "<--loss>",
//    optimizer = {name, lr, ... every hyper-parameter}}
// Losses (PyTorch semantics, mean reduction):
//   cross_entropy    logits [N, C], target i64 [N]: softmax cross-entropy
//   nll              log-probabilities [N, C], target i64 [N]: -x[n, t_n]
//   mse              target of the output's type: mean (x - t)^2
//   bce_with_logits  target of the output's type (0..1): mean of
//                    max(x, 0) - x t + log(1 + exp(-|x|))
//
//===----------------------------------------------------------------------===//
#ifndef DLC_PASSES_TRAININGOBJECTIVE_H
#define DLC_PASSES_TRAININGOBJECTIVE_H

#include "passes/TrainingFlags.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::dlc {

/// Attaches the loss and merges the optimizer into dlc.training (see above);
/// emits an error naming the flag or output on failure.
LogicalResult applyTrainingFlags(ModuleOp module, const TrainingFlags &flags);

} // namespace mlir::dlc

#endif // DLC_PASSES_TRAININGOBJECTIVE_H
