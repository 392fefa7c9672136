//===- Run.h - `dlc run` as a library call ----------------------*- C++ -*-===//
//
// Executing a model on tensor files: what `dlc run`'s flags say, as
// RunOptions, and the one call that does it (DlcDriver, tools/dlc).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TOOLS_DLC_RUN_H
#define DLC_TOOLS_DLC_RUN_H

#include "runtime/cuda/DeviceFactory.h"

#include <string>
#include <vector>

namespace dlc::tools {

struct RunOptions {
  std::string modelPath;
  /// name=file for each model input.
  std::vector<std::string> inputs;
  /// -o: a file (one output) or a directory; "" prints the outputs.
  std::string outputPath;
  /// --output: compute only these outputs (all when empty).
  std::vector<std::string> selectedOutputs;
  DeviceKind device = DeviceKind::Auto;
  /// f32 (fp32), f64 (reference only), bf16 or fp16 (mixed precision).
  std::string precision = "f32";
  /// --profile: a Chrome trace of the kernel times (cuda).
  std::string profilePath;
};

/// Runs the model as `dlc run` does; returns its exit code.
int executeModel(const RunOptions &opts);

} // namespace dlc::tools

#endif // DLC_TOOLS_DLC_RUN_H
