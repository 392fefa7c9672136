//===- TrainingFlags.h - the training object's flags, MLIR-free -*- C++ -*-===//
//
// What `dlc train` and `dlc MODEL --train-step` take from --loss, --loss-on,
// --optimizer, --lr, --weight-decay and --momentum; applyTrainingFlags
// (TrainingObjective.h) puts them into the module.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_PASSES_TRAININGFLAGS_H
#define DLC_PASSES_TRAININGFLAGS_H

#include <optional>
#include <string>

namespace mlir::dlc {

struct TrainingFlags {
  std::string loss;      ///< cross_entropy, nll, mse, bce_with_logits
  std::string lossOn;    ///< the output the loss reads
  std::string optimizer; ///< sgd, adam, adamw
  std::optional<double> lr, weightDecay, momentum;
  bool any() const {
    return !loss.empty() || !lossOn.empty() || !optimizer.empty() || lr ||
           weightDecay || momentum;
  }
};

/// Checks the flag values alone (before any model is read); returns an
/// error naming the flag, or "".
std::string checkTrainingFlags(const TrainingFlags &flags);

} // namespace mlir::dlc

#endif // DLC_PASSES_TRAININGFLAGS_H
