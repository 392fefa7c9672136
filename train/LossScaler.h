//===- LossScaler.h - dynamic loss scaling for fp16 training ----*- C++ -*-===//
//
// fp16 gradients underflow unless the loss is scaled up before the backward
// pass; the step then divides the gradients by the same scale and reports
// whether any of them is inf or nan. LossScaler follows
// torch.cuda.amp.GradScaler's rules (backoff 0.5, growth 2): a step whose
// gradients overflow is skipped and halves the scale, `growthInterval`
// good steps in a row double it. Its state goes into checkpoints under
// GradScaler's state_dict names. MLIR-free, so tests drive it directly.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TRAIN_LOSSSCALER_H
#define DLC_TRAIN_LOSSSCALER_H

#include "runtime/core/HostTensor.h"

#include <map>
#include <string>

namespace dlc {

class LossScaler {
public:
  /// No loss scaling: bind, update, save and restore do nothing.
  LossScaler() = default;
  LossScaler(float initialScale, int64_t growthInterval);

  /// The current scale; 0 when the run has no loss scaling.
  float scale() const { return scale_; }
  int64_t goodSteps() const { return goodSteps_; }
  bool enabled() const { return scale_ != 0; }

  /// Adds the step's "opt.loss_scale" (the scale) and "opt.grad_scale" (its
  /// inverse) arguments; they point into this scaler.
  void bind(std::map<std::string, const HostTensor *> &args);
  /// Updates the scale after a step from its "opt.skipped" result (0-d f32,
  /// nonzero when a gradient overflowed); true when the step was skipped.
  bool update(const HostTensor &skipped);
  /// As update(), from the flag itself.
  bool update(bool overflowed);

  /// Adds "scaler/scale" (f32 []) and "scaler/good_steps" (i64 []).
  void save(std::map<std::string, HostTensor> &tensors) const;
  /// Takes the scaler's tensors out of a checkpoint (dropped when this run
  /// has no loss scaling); false with `err` when they are malformed.
  bool restore(std::map<std::string, HostTensor> &tensors, std::string &err);

private:
  float scale_ = 0;
  int64_t goodSteps_ = 0;
  int64_t growthInterval_ = 0;
  HostTensor scaleT_ = HostTensor::zeros(DType::F32, {}),
             inverseT_ = HostTensor::zeros(DType::F32, {});
};

} // namespace dlc

#endif // DLC_TRAIN_LOSSSCALER_H
