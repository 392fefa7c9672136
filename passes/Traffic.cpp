//===- Traffic.cpp - estimated DRAM traffic of a graph --------------------===//
#include "passes/Traffic.h"

#include "ir/DlcOps.h"
#include "ir/ShapeUtils.h"

using namespace mlir;

dlc::Traffic dlc::estimateTraffic(func::FuncOp func) {
  Traffic t;
  for (Operation &op : func.getBody().getOps()) {
    if (!isa<dlc::DlcDialect>(op.getDialect()) || isa<dlc::ConstantOp>(op))
      continue;
    ++t.kernels;
    for (Value v : op.getOperands())
      t.bytes += dlc::storageBytes(v);
    for (Value v : op.getResults())
      t.bytes += dlc::storageBytes(v);
  }
  return t;
}
