//===- FuseOptimizer.cpp - all optimizer updates in one kernel ------------===//
//
// --dlc-fuse-optimizer wraps the optimizer updates of a function (dlc.
// sgd_update, adam_update, adamw_update: one per parameter in dlc train's
// step) into `multi_tensor` dlc.fusion ops, normally one for the whole
// step, which codegen/MultiTensorKernels.cpp emits as a single kernel over
// the concatenated elements of every param (docs/fusion.md). It runs before
// --dlc-fuse, which leaves existing fusions alone.
//
// Updates are taken in program order and the group is placed where its last
// update was. A new group starts when the next update
//   - reads a result of the group (one kernel cannot chain them), or
//   - follows an op that reads a result of the group (the fusion could not
//     move down past that reader), or
//   - would exceed `max-tensors` updates (a kernel's parameters are limited
//     to 4 KiB: up to 7 pointers per update).
//
//===----------------------------------------------------------------------===//
#include "ir/DlcOps.h"
#include "ir/FusionOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_DLCFUSEOPTIMIZER
#include "passes/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Whether the group `group` (in program order, all in `block`) can be
/// placed at `next`, a later update of the same block, together with it.
bool canJoin(ArrayRef<Operation *> group, Operation *next) {
  for (Operation *op : group)
    for (Operation *user : op->getUsers()) {
      Operation *top = next->getBlock()->findAncestorOpInBlock(*user);
      if (!top || top == next || top->isBeforeInBlock(next))
        return false;
    }
  return true;
}

/// The name of the group's fusion: "optimizer_<op>" (or "optimizer" for a
/// mix), with a suffix from the second group on.
std::string groupName(ArrayRef<Operation *> group, unsigned index) {
  StringRef op = group.front()->getName().stripDialect();
  bool mixed = llvm::any_of(group, [&](Operation *other) {
    return other->getName() != group.front()->getName();
  });
  std::string name = mixed ? "optimizer" : ("optimizer_" + op).str();
  return index ? name + "_" + std::to_string(index + 1) : name;
}

FusionOp outline(ArrayRef<Operation *> group, unsigned index) {
  llvm::SetVector<Value> inputs;
  llvm::SetVector<Operation *> constants;
  for (Operation *op : group)
    for (Value operand : op->getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (def && isa<ConstantOp>(def))
        constants.insert(def);
      else
        inputs.insert(operand);
    }
  SmallVector<Value> outputs;
  SmallVector<Location> locs;
  for (Operation *op : group) {
    llvm::append_range(outputs, op->getResults());
    locs.push_back(op->getLoc());
  }
  MLIRContext *ctx = group.front()->getContext();
  OpBuilder b(group.back());
  auto fusion = FusionOp::create(
      b, FusedLoc::get(ctx, locs), ValueRange(outputs).getTypes(),
      inputs.getArrayRef(), b.getStringAttr(FusionOp::kMultiTensor),
      b.getStringAttr(groupName(group, index)));
  Block *body = b.createBlock(&fusion.getBody());
  IRMapping map;
  for (Value input : inputs)
    map.map(input, body->addArgument(input.getType(), input.getLoc()));
  b.setInsertionPointToStart(body);
  for (Operation *c : constants)
    b.clone(*c, map);
  for (Operation *op : group)
    b.clone(*op, map);
  SmallVector<Value> yielded;
  for (Value v : outputs)
    yielded.push_back(map.lookup(v));
  YieldOp::create(b, fusion.getLoc(), yielded);
  for (auto [v, r] : llvm::zip(outputs, fusion.getResults()))
    v.replaceAllUsesWith(r);
  for (Operation *op : llvm::reverse(group))
    op->erase();
  for (Operation *c : constants)
    if (c->use_empty())
      c->erase();
  return fusion;
}

struct DlcFuseOptimizerPass
    : mlir::dlc::impl::DlcFuseOptimizerBase<DlcFuseOptimizerPass> {
  using DlcFuseOptimizerBase::DlcFuseOptimizerBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (maxTensors == 0) {
      func.emitError() << "--dlc-fuse-optimizer expects max-tensors to be at "
                          "least 1";
      return signalPassFailure();
    }
    // Updates in the function's top blocks; those already in a fusion stay.
    SmallVector<SmallVector<Operation *>> groups;
    for (Block &block : func.getBody()) {
      SmallVector<Operation *> current;
      for (Operation &op : block) {
        if (!isOptimizerUpdate(&op))
          continue;
        if (!current.empty() &&
            (current.size() >= maxTensors || !canJoin(current, &op)))
          groups.push_back(std::exchange(current, {}));
        current.push_back(&op);
      }
      if (!current.empty())
        groups.push_back(std::move(current));
    }
    for (auto [i, group] : llvm::enumerate(groups))
      outline(group, i);
  }
};

} // namespace
