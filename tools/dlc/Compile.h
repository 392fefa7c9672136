//===- Compile.h - `dlc model.json` as a library call -----------*- C++ -*-===//
//
// Compiling a model and reporting on it: what the top-level command's
// flags say, as CompileOptions, and the one call that does it (DlcDriver,
// tools/dlc).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TOOLS_DLC_COMPILE_H
#define DLC_TOOLS_DLC_COMPILE_H

#include "passes/TrainingFlags.h"

#include <string>

namespace dlc::tools {

struct CompileOptions {
  std::string modelPath;
  /// --dump-ir: "import", "after-all", or a pass flag ("" for the summary).
  std::string dumpIR;
  /// --compile-to, and whether it was given (else --dump-ir's phase stops).
  std::string compileTo = "cuda";
  bool compileToGiven = false;
  std::string target = "sm_90";
  std::string precision = "fp32";
  /// f32 contractions on tensor cores as tf32 (--allow-tf32).
  bool allowTf32 = false;
  std::string tuningCache;
  /// -o: kernels.cu and manifest.json go here.
  std::string outputDir;
  bool useNvrtc = true;
  /// Test only: make NVRTC warn (an unused variable in a helper).
  bool injectNvrtcWarning = false;
  std::string dumpGraph;
  bool trainStep = false, gradientsOnly = false;
  /// --kernel-report: "" (off), "text" or "json".
  std::string kernelReport;
  /// --loss, --optimizer, ...: the training object over the model file's.
  mlir::dlc::TrainingFlags training;
};

/// Compiles and reports as `dlc model.json` does; returns its exit code.
int compileModel(const CompileOptions &opts);

} // namespace dlc::tools

#endif // DLC_TOOLS_DLC_COMPILE_H
