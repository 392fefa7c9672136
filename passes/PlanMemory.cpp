//===- PlanMemory.cpp - --dlc-plan-memory: one arena for intermediates ----===//
//
// Collects the intermediates of a function (results of top-level dlc ops,
// dlc.fusion included, that are not returned) with their live ranges in
// program order, plans their offsets with dlc::planMemory (MemoryPlan.h),
// checks the plan and records it as attributes (Passes.td,
// docs/memory-plan.md).
//
//===----------------------------------------------------------------------===//
#include "ir/DlcDialect.h"
#include "passes/MemoryPlan.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_DLCPLANMEMORY
#include "passes/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Bytes of a static tensor: numel * element bytes (i1 takes a byte).
std::optional<int64_t> tensorBytes(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() ||
      !tensor.getElementType().isIntOrFloat())
    return std::nullopt;
  int64_t elementBytes = (tensor.getElementTypeBitWidth() + 7) / 8;
  return tensor.getNumElements() * elementBytes;
}

struct PlanMemoryPass : mlir::dlc::impl::DlcPlanMemoryBase<PlanMemoryPass> {
  using DlcPlanMemoryBase::DlcPlanMemoryBase;
  void runOnOperation() override;
};

void PlanMemoryPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (func.isExternal())
    return;
  if (alignment <= 0) {
    func.emitError() << "expects a positive alignment, got "
                     << int64_t(alignment);
    return signalPassFailure();
  }
  if (!func.getBody().hasOneBlock()) {
    func.emitError() << "expects a single-block body, got "
                     << func.getBody().getBlocks().size() << " blocks";
    return signalPassFailure();
  }
  Block &block = func.getBody().front();

  llvm::DenseMap<Operation *, int64_t> point;
  for (auto [i, op] : llvm::enumerate(block))
    point[&op] = i;
  llvm::DenseSet<Value> returned;
  if (Operation *terminator = block.getTerminator())
    returned.insert(terminator->operand_begin(), terminator->operand_end());

  // The intermediates, in program order.
  std::vector<::dlc::LiveBuffer> buffers;
  SmallVector<Value> values;
  for (Operation &op : block) {
    if (!isa_and_nonnull<DlcDialect>(op.getDialect()))
      continue;
    for (Value result : op.getResults()) {
      if (returned.contains(result))
        continue;
      std::optional<int64_t> bytes = tensorBytes(result.getType());
      if (!bytes) {
        op.emitError() << "expects results of static shape to plan memory, "
                          "got "
                       << result.getType();
        return signalPassFailure();
      }
      int64_t end = point[&op];
      for (Operation *user : result.getUsers())
        if (Operation *top = block.findAncestorOpInBlock(*user))
          end = std::max(end, point[top]);
      buffers.push_back({*bytes, point[&op], end});
      values.push_back(result);
    }
  }

  ::dlc::MemoryPlan plan = ::dlc::planMemory(buffers, alignment);
  if (auto conflict = ::dlc::findPlanConflict(buffers, plan, alignment)) {
    auto [i, j] = *conflict;
    InFlightDiagnostic diag =
        values[i].getDefiningOp()->emitError()
        << "memory plan is invalid (a bug in --dlc-plan-memory): result #"
        << cast<OpResult>(values[i]).getResultNumber() << " at offset "
        << plan.offsets[i];
    if (i != j)
      diag.attachNote(values[j].getLoc())
          << "overlaps this value, live at the same time, at offset "
          << plan.offsets[j];
    return signalPassFailure();
  }

  llvm::DenseMap<Value, int64_t> offsetOf;
  for (auto [value, offset] : llvm::zip_equal(values, plan.offsets))
    offsetOf[value] = offset;
  MLIRContext *ctx = &getContext();
  for (Operation &op : block) {
    if (!isa_and_nonnull<DlcDialect>(op.getDialect()) ||
        op.getNumResults() == 0)
      continue;
    SmallVector<int64_t> offsets;
    for (Value result : op.getResults())
      offsets.push_back(offsetOf.lookup_or(result, -1));
    op.setAttr(::dlc::attrs::kBufferOffsets,
               DenseI64ArrayAttr::get(ctx, offsets));
  }
  Builder b(ctx);
  func->setAttr(::dlc::attrs::kArenaBytes,
                b.getI64IntegerAttr(plan.arenaBytes));
  func->setAttr(::dlc::attrs::kPeakLiveBytes,
                b.getI64IntegerAttr(plan.peakLiveBytes));
  func->setAttr(::dlc::attrs::kUnplannedBytes,
                b.getI64IntegerAttr(plan.unplannedBytes));
}

} // namespace
