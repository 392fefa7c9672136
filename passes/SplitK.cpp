//===- SplitK.cpp - --dlc-split-k: weight gradients over many blocks ------===//
//
// conv2d_backward_weight reduces over K = N * OH * OW into an output the
// size of the weight: a few GEMM tiles with a very long k loop. Splitting
// K into S chunks (the op's k_splits: S partial results, one GEMM batch
// each) and summing them with a reduce_sum gives S times the blocks, with a
// fixed summation order.
//
//===----------------------------------------------------------------------===//
#include "ir/ShapeUtils.h"
#include "passes/Passes.h"
#include "passes/Schedule.h"

#include "mlir/IR/Builders.h"

#include <algorithm>

namespace mlir::dlc {
#define GEN_PASS_DEF_DLCSPLITK
#include "passes/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;
using namespace mlir::dlc;

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// How many partials `op` is worth on `smCount` SMs: enough blocks for two
/// per SM, each partial at least `minChunk` terms long.
int64_t splitsFor(Conv2dBackwardWeightOp op, int64_t smCount,
                  int64_t minChunk) {
  ArrayRef<int64_t> dw = shapeOf(op.getResult()), dy = shapeOf(op.getGradOutput());
  int64_t groups = op.getGroups(); // I64Attr getters return uint64_t
  int64_t k = dy[0] * dy[2] * dy[3];
  int64_t m = dw[0] / groups, n = dw[1] * dw[2] * dw[3];
  // Depthwise (one channel per group) runs one thread per weight element
  // in blocks of 128 (codegen/BackwardKernels.cpp); otherwise 64x64 tiles.
  int64_t blocks = n == dw[2] * dw[3] && m == 1
                       ? ceilDiv(product(dw), 128)
                       : groups * ceilDiv(m, 64) * ceilDiv(n, 64);
  int64_t want = ceilDiv(2 * smCount, blocks);
  return std::max<int64_t>(1, std::min(want, k / std::max<int64_t>(1, minChunk)));
}

struct DlcSplitKPass : mlir::dlc::impl::DlcSplitKBase<DlcSplitKPass> {
  using DlcSplitKBase::DlcSplitKBase;

  void runOnOperation() override {
    std::optional<TargetInfo> t = getTargetInfo(target);
    if (!t) {
      getOperation().emitError() << "--dlc-split-k: unknown target '" << target
                                 << "' (expects sm_80 or sm_90)";
      return signalPassFailure();
    }
    SmallVector<Conv2dBackwardWeightOp> ops;
    getOperation().walk([&](Conv2dBackwardWeightOp op) {
      if (op.getKSplits() == 1 && !op->getParentOfType<FusionOp>())
        ops.push_back(op);
    });
    OpBuilder b(&getContext());
    for (Conv2dBackwardWeightOp op : ops) {
      int64_t splits = splitsFor(op, t->smCount, minChunk);
      if (splits <= 1)
        continue;
      b.setInsertionPoint(op);
      auto partial = Conv2dBackwardWeightOp::create(
          b, op.getLoc(), op.getGradOutput(), op.getInput(),
          op.getKernelSize(), op.getStride(), op.getPadding(),
          op.getDilation(), op.getGroups(), splits);
      Value sum = ReduceSumOp::create(b, op.getLoc(), partial.getResult(),
                                      ArrayRef<int64_t>{0}, false);
      op.getResult().replaceAllUsesWith(sum);
      op.erase();
    }
  }
};

} // namespace
