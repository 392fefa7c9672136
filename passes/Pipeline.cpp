//===- Pipeline.cpp - the compile pipeline --------------------------------===//
#include "passes/Pipeline.h"

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;

std::optional<dlc::Phase> dlc::parsePhase(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<Phase>>(name)
      .Case("import", Phase::Import)
      .Case("fused", Phase::Fused)
      .Case("tiled", Phase::Tiled)
      .Case("planned", Phase::Planned)
      .Case("cuda", Phase::Cuda)
      .Default(std::nullopt);
}

llvm::StringRef dlc::phaseName(Phase phase) {
  switch (phase) {
  case Phase::Import:
    return "import";
  case Phase::Fused:
    return "fused";
  case Phase::Tiled:
    return "tiled";
  case Phase::Planned:
    return "planned";
  case Phase::Cuda:
    return "cuda";
  }
  llvm_unreachable("unknown phase");
}

void dlc::buildCompilePipeline(OpPassManager &pm,
                               const PipelineOptions &opts) {
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  // Recurrent layers become matmuls and per-step gate math before anything
  // else looks at the graph.
  fpm.addPass(createDlcUnrollRecurrent());
  // Attention becomes one op before mixed precision and fusion look at it
  // (TrainingStep.cpp runs it before autodiff too).
  fpm.addPass(createDlcFuseAttention());
  if (!opts.precision.empty()) {
    DlcMixedPrecisionOptions mp;
    mp.precision = opts.precision;
    fpm.addPass(createDlcMixedPrecision(mp));
  }
  if (opts.stopAfter >= Phase::Fused) {
    // Weight gradients: their long reductions over many blocks.
    DlcSplitKOptions split;
    split.target = opts.target;
    fpm.addPass(createDlcSplitK(split));
    // The optimizer updates of a training step: one multi-tensor kernel.
    fpm.addPass(createDlcFuseOptimizer());
    fpm.addPass(createDlcFuse());
  }
  if (opts.stopAfter >= Phase::Tiled) {
    DlcTileOptions tile;
    tile.target = opts.target;
    tile.tuningCache = opts.tuningCache;
    tile.allowTf32 = opts.allowTf32;
    fpm.addPass(createDlcTile(tile));
  }
  if (opts.stopAfter >= Phase::Planned)
    fpm.addPass(createDlcPlanMemory());
}
