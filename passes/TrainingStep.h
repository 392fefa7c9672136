//===- TrainingStep.h - one training step as one function -------*- C++ -*-===//
//
// buildTrainingStep turns a model module (with dlc.training) into the
// training step of `dlc train`: the forward graph, its backward graph
// (--dlc-autodiff) and one optimizer update per parameter, in @forward:
//
//   arguments: the model's inputs and params, then
//     "opt.step", "opt.lr"            dlc.input, 0-d f32 (step is 1-based)
//     "state/<kind>/<param>"          dlc.input, the param's type; kinds:
//                                     sgd: momentum_buffer;
//                                     adam, adamw: exp_avg, exp_avg_sq
//   results: the model's outputs (the loss among them), "grad:<param>", then
//     "new/param/<param>" and "new/state/<kind>/<param>" per param.
//
// The updates are dlc.sgd_update / dlc.adam_update / dlc.adamw_update. The
// compile pipeline keeps them whole: --dlc-fuse-optimizer groups all of a
// function's updates into one multi-tensor dlc.fusion (one kernel,
// codegen/MultiTensorKernels.h). expandOptimizerUpdates instead rewrites
// them into elementwise dlc ops (mul, add, sqrt, div, pow, where on 0-d
// scalars), the same math for any consumer that wants plain ops.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_PASSES_TRAININGSTEP_H
#define DLC_PASSES_TRAININGSTEP_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::dlc {

struct OptimizerConfig {
  std::string name; // sgd, adam, adamw
  double lr = 0, momentum = 0, weightDecay = 0, beta1 = 0.9, beta2 = 0.999,
         eps = 1e-8;
  bool nesterov = false;
  /// The state tensors each parameter has, in operand order.
  std::vector<std::string> stateKinds() const;
};

/// The dlc.training optimizer of `module`; emits an error when absent.
FailureOr<OptimizerConfig> readOptimizer(ModuleOp module);

struct TrainingStepOptions {
  /// Adds the 0-d f32 arguments "opt.grad_scale" and "opt.skip" and passes
  /// them to every update (dynamic loss scaling, see DlcOps.td).
  bool lossScaling = false;
};

/// Builds the training step in place (see above).
LogicalResult buildTrainingStep(ModuleOp module,
                                const TrainingStepOptions &opts = {});

/// Rewrites every optimizer update op of `func` into elementwise dlc ops.
LogicalResult expandOptimizerUpdates(func::FuncOp func);

} // namespace mlir::dlc

#endif // DLC_PASSES_TRAININGSTEP_H
