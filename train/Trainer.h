//===- Trainer.h - the training loop of `dlc train` -------------*- C++ -*-===//
//
// The loop behind `dlc train`, as a library that tests and other tools call
// without the command line: find the model's image, label, loss and score
// values, load the dataset, materialize the params (or resume them from a
// checkpoint), build the training step (passes/TrainingStep.h; mixed
// precision and fp16 loss scaling first when asked), choose where it runs
// (compiled on cuda or cpu, else the reference interpreter) and run the
// epochs: shuffled batches, the test set, checkpoints and loss curves.
// It reports as the command does ("dlc train: ..." on stderr, progress on
// stdout). docs/training.md.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TRAIN_TRAINER_H
#define DLC_TRAIN_TRAINER_H

#include "passes/TrainingFlags.h"
#include "runtime/cuda/DeviceFactory.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>

namespace dlc {

/// What `dlc train`'s flags say (see its --help for each).
struct TrainOptions {
  /// The model file: names the run when the model has no name.
  std::string modelPath;
  /// "fashion-mnist", an IDX directory, or an .npz with arrays x and y.
  std::string data = "fashion-mnist";
  /// The validation set (.npz) when --data is an .npz.
  std::string val;
  /// Visit the training set in a fresh order each epoch (else file order).
  bool shuffle = true;
  /// --loss, --loss-on, --optimizer, --lr, ... over the model's training
  /// object (passes/TrainingObjective.h).
  mlir::dlc::TrainingFlags training;
  int64_t epochs = 1, limitTrain = -1, limitTest = -1;
  std::string checkpointDir;
  bool resume = false;
  std::string plotPath;
  /// A JSON Lines log: one object per step and per epoch (epoch, step, loss,
  /// accuracy, lr, time; docs/training.md), rewritten after every epoch.
  std::string metricsPath;
  uint64_t seed = 0;
  /// Run one step on the first batch, write its gradients here, and stop.
  std::string dumpGradients;
  /// Write the compiled step (kernels.cu, manifest.json) here.
  std::string emitStep;
  DeviceKind device = DeviceKind::Auto;
  std::string precision = "fp32";
  /// fp16's dynamic loss scaling (LossScaler.h).
  double lossScale = 65536.0;
  int64_t lossScaleGrowthInterval = 2000;
  /// Whether either loss-scale option was given (an error without fp16).
  bool lossScaleGiven = false;
};

/// Exit codes, as the driver's: 0 ok, 1 bad input, 2 internal error.
enum class TrainStatus { Ok = 0, UserError = 1, InternalError = 2 };

/// Checks what can be checked before the model is read (flag values and
/// their combinations); false with `err` (no "dlc train: " prefix).
bool checkTrainOptions(const TrainOptions &opts, std::string &err);

/// Trains the imported model `module` as `opts` says, reporting as `dlc
/// train` does.
TrainStatus train(mlir::ModuleOp module, const TrainOptions &opts);

} // namespace dlc

#endif // DLC_TRAIN_TRAINER_H
