//===- Traffic.cpp - estimated DRAM traffic of a graph --------------------===//
#include "passes/Traffic.h"

#include "ir/DlcOps.h"

using namespace mlir;

namespace {
int64_t bytesOf(Type type) {
  auto t = cast<RankedTensorType>(type);
  int64_t bits = t.getElementTypeBitWidth();
  return t.getNumElements() * (bits < 8 ? 1 : bits / 8);
}
} // namespace

dlc::Traffic dlc::estimateTraffic(func::FuncOp func) {
  Traffic t;
  for (Operation &op : func.getBody().getOps()) {
    if (!isa<dlc::DlcDialect>(op.getDialect()) || isa<dlc::ConstantOp>(op))
      continue;
    ++t.kernels;
    for (Value v : op.getOperands())
      t.bytes += bytesOf(v.getType());
    for (Value v : op.getResults())
      t.bytes += bytesOf(v.getType());
  }
  return t;
}
