//===- DefaultSchedule.cpp - the schedule a kernel is emitted with --------===//
#include "codegen/DefaultSchedule.h"
#include "codegen/MultiTensorKernels.h"

#include "ir/FusionOps.h"
#include "ir/ShapeUtils.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::dlc;

Schedule mlir::dlc::defaultSchedule(FusionOp fusion) {
  auto [anchor, pool] = findAnchors(fusion);
  Schedule s;
  s.target = "sm_80";
  s.block = {256, 1, 1};
  s.threadsPerRow = 32;
  s.rowsPerBlock = 8;
  s.tile = {32, 32, 16};
  s.warps = {1, 1};
  s.stages = 1;
  s.mma = MmaMode::None;
  auto yield = cast<YieldOp>(fusion.getBodyBlock().getTerminator());
  int64_t outElems =
      yield.getValues().empty() ? 1 : numElements(yield.getValues()[0]);
  if (anchor && classifyOp(anchor) == OpClass::Contraction)
    s.strategy = pool ? Strategy::DirectPool : Strategy::TiledGemm;
  else if (anchor)
    s.strategy = Strategy::RowReduce;
  else
    s.strategy = Strategy::Pointwise;
  s.grid = {std::min<int64_t>((outElems + 255) / 256, 65535), 1, 1};
  if (s.isRowReduce())
    s.grid = {
        std::max<int64_t>(1, std::min<int64_t>(65535, (outElems + 7) / 8)), 1,
        1};
  if (Operation *op = findAttentionOp(fusion)) {
    AttentionTiles t = attentionTiles(op);
    s.strategy = Strategy::FlashAttention;
    s.block = {std::max<int64_t>(1, t.threads), 1, 1};
    s.grid = {std::max<int64_t>(1, t.blocks), 1, 1};
    s.sharedBytes = t.sharedBytes;
  }
  if (isMultiTensorFusion(fusion)) {
    s.strategy = Strategy::MultiTensor;
    s.chunk = s.block[0] * 4;
    s.grid = {multiTensorBlocks(fusion, s.chunk), 1, 1};
  }
  return s;
}

FailureOr<Schedule> mlir::dlc::kernelSchedule(FusionOp fusion) {
  Schedule s = defaultSchedule(fusion);
  if (auto dict = fusion->getAttrOfType<DictionaryAttr>(Schedule::kAttrName))
    if (failed(overlayAttr(dict, s, [&] { return fusion.emitOpError(); })))
      return failure();
  return s;
}
