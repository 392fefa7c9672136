//===- Pipeline.h - the compile pipeline, with stop points ------*- C++ -*-===//
#ifndef DLC_PASSES_PIPELINE_H
#define DLC_PASSES_PIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <optional>
#include <string>

namespace mlir::dlc {

/// The phases of a compile, in order. `dlc --compile-to=<phase>` stops after
/// one; `cuda` is the whole pipeline followed by CUDA emission.
enum class Phase { Import, Fused, Tiled, Planned, Cuda };

/// "import", "fused", ... and back; nullopt for an unknown name.
std::optional<Phase> parsePhase(llvm::StringRef name);
llvm::StringRef phaseName(Phase phase);

struct PipelineOptions {
  std::string target = "sm_90";
  /// A JSON tuning cache whose entries override schedules; empty for none.
  std::string tuningCache;
  Phase stopAfter = Phase::Cuda;
  /// "bf16" or "fp16": --dlc-mixed-precision runs first; empty: none.
  std::string precision;
  /// f32 contractions on tensor cores with tf32 operands (--dlc-tile's
  /// allow-tf32; the driver's --allow-tf32).
  bool allowTf32 = false;
};

/// Adds the graph passes up to `opts.stopAfter` to a module-level pass
/// manager: [--dlc-mixed-precision,] --dlc-split-k, --dlc-fuse-optimizer,
/// --dlc-fuse, --dlc-tile,
/// --dlc-plan-memory on the functions.
void buildCompilePipeline(OpPassManager &pm, const PipelineOptions &opts);

} // namespace mlir::dlc

#endif // DLC_PASSES_PIPELINE_H
