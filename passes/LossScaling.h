//===- LossScaling.h - dynamic loss scaling for the training step -*- C++ -*-===//
//
// fp16 training scales the loss so that small gradients survive fp16, then
// unscales the gradients in the optimizer and skips steps whose gradients
// overflowed (torch.cuda.amp.GradScaler). Around buildTrainingStep:
//
//   scaleTrainingLoss(module)        before: input "opt.loss_scale" (0-d f32),
//                                    output "opt.scaled_loss" = loss * scale,
//                                    which --dlc-autodiff then differentiates
//                                    (the model's own loss output stays);
//   buildTrainingStep(module, {.lossScaling = true})
//                                    inputs "opt.grad_scale" (1/scale, fed by
//                                    the host) and "opt.skip" on every update;
//   computeOverflowSkip(module)      after: "opt.skip" becomes "any gradient
//                                    is inf or nan" (1 or 0) computed in the
//                                    step, also returned as "opt.skipped".
//
//===----------------------------------------------------------------------===//
#ifndef DLC_PASSES_LOSSSCALING_H
#define DLC_PASSES_LOSSSCALING_H

#include "mlir/IR/BuiltinOps.h"

namespace mlir::dlc {

LogicalResult scaleTrainingLoss(ModuleOp module);
LogicalResult computeOverflowSkip(ModuleOp module);

} // namespace mlir::dlc

#endif // DLC_PASSES_LOSSSCALING_H
