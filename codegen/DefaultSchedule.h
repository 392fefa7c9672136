//===- DefaultSchedule.h - a kernel's schedule ------------------*- C++ -*-===//
//-*-===//
//
// The emitter reads every fusion's schedule through passes/Schedule.h. A
// fusion --dlc-tile did not schedule (dlc-emit on a hand-written module)
// still gets a kernel: defaultSchedule is the one place that says what the
// emitter assumes then, and a hand-written partial `schedule` overlays it
// key by key.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CODEGEN_DEFAULTSCHEDULE_H
#define DLC_CODEGEN_DEFAULTSCHEDULE_H

#include "passes/Schedule.h"

namespace mlir::dlc {

/// The schedule of a fusion without a `schedule` attribute, from its ops:
/// target sm_80; a contraction is tiled_gemm (32x32x16 tiles, one warp, one
/// stage, no tensor cores) or, before a pool, direct_pool; a reduction is
/// row_reduce (a warp per row, 8 rows per block); optimizer updates are
/// multi_tensor (scalar, 4 elements per thread); anything else is pointwise
/// (a lone pool and a backward op included: their kernels do not depend on
/// the strategy). Blocks of 256 threads, one per 256 output elements.
Schedule defaultSchedule(FusionOp fusion);

/// The schedule `fusion` is emitted with: defaultSchedule overlaid with the
/// keys of its `schedule` attribute, if any (overlayAttr); an error on the
/// op for an unknown strategy or mma name.
FailureOr<Schedule> kernelSchedule(FusionOp fusion);

} // namespace mlir::dlc

#endif // DLC_CODEGEN_DEFAULTSCHEDULE_H
