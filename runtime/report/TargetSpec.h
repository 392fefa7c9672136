//===- TargetSpec.h - what one SM of a target holds, and its peaks -*- C++ -*-===//
//
// The per-SM limits that bound occupancy and the chip's peak throughputs
// that bound a kernel's time, for the targets dlc schedules for. Figures
// are NVIDIA's published ones for the reference part of each target:
// sm_80 is an A100 SXM4 (108 SMs), sm_90 an H100 SXM5 (132 SMs). Dense
// tensor-core peaks (no sparsity).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_REPORT_TARGETSPEC_H
#define DLC_RUNTIME_REPORT_TARGETSPEC_H

#include <cstdint>
#include <optional>
#include <string>

namespace dlc {

struct TargetSpec {
  std::string target;  ///< "sm_80"
  std::string arch;    ///< what the cubin is built for: "sm_80", "sm_90a"
  std::string part;    ///< "A100 SXM4 80GB"
  int sms = 0;
  // Per SM.
  int64_t registers = 65536, maxThreads = 2048, maxBlocks = 32;
  int64_t sharedBytes = 0;      ///< shared memory an SM can give to blocks
  int64_t maxBlockShared = 0;   ///< the most one block can have (opt-in)
  int64_t reservedShared = 1024; ///< the driver's per-block reservation
  // Peaks of the whole chip.
  double f32Tflops = 0, tf32Tflops = 0, f16Tflops = 0, dramGBs = 0;
};

/// The spec of "sm_80" or "sm_90", or nullopt.
std::optional<TargetSpec> targetSpec(const std::string &target);

/// Resident blocks per SM of a kernel with `threads` threads per block,
/// `regs` registers per thread and `smem` bytes of shared memory per block
/// (static + dynamic), and what limits it ("regs", "smem", "thr": threads,
/// "blk": the block count). 0 when one block does not fit.
struct Occupancy {
  int64_t blocksPerSm = 0;
  double warpsFraction = 0; ///< resident warps / the SM's 64
  std::string limiter;
};
Occupancy occupancy(const TargetSpec &spec, int64_t threads, int64_t regs,
                    int64_t smem);

} // namespace dlc

#endif // DLC_RUNTIME_REPORT_TARGETSPEC_H
