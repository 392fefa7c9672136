//===- Traffic.h - estimated DRAM traffic of a graph ------------*- C++ -*-===//
#ifndef DLC_PASSES_TRAFFIC_H
#define DLC_PASSES_TRAFFIC_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>

namespace mlir::dlc {

struct Traffic {
  int64_t kernels = 0;
  int64_t bytes = 0;
};

/// The kernels a function launches and the DRAM bytes they move, counting
/// each kernel as reading every operand once and writing every result once
/// (caches ignored). A dlc.fusion is one kernel; a dlc op outside any fusion
/// is one kernel of its own, so on imported IR this is the unfused count.
/// Constants are not kernels: unfused they are read as operands, fused they
/// are folded into the kernel's code.
Traffic estimateTraffic(func::FuncOp func);

} // namespace mlir::dlc

#endif // DLC_PASSES_TRAFFIC_H
