//===- TargetSpec.cpp - per-SM limits and chip peaks -----------------------===//
#include "runtime/report/TargetSpec.h"

#include <algorithm>

namespace dlc {

std::optional<TargetSpec> targetSpec(const std::string &target) {
  TargetSpec s;
  s.target = target;
  if (target == "sm_80") {
    s.arch = "sm_80";
    s.part = "A100 SXM4";
    s.sms = 108;
    s.sharedBytes = 164 * 1024;
    s.maxBlockShared = 163 * 1024;
    s.f32Tflops = 19.5, s.tf32Tflops = 156, s.f16Tflops = 312;
    s.dramGBs = 2039;
    return s;
  }
  if (target == "sm_90") {
    // wgmma and setmaxnreg exist only in the arch-specific sm_90a.
    s.arch = "sm_90a";
    s.part = "H100 SXM5";
    s.sms = 132;
    s.sharedBytes = 228 * 1024;
    s.maxBlockShared = 227 * 1024;
    s.f32Tflops = 67, s.tf32Tflops = 494.7, s.f16Tflops = 989.4;
    s.dramGBs = 3350;
    return s;
  }
  return std::nullopt;
}

static int64_t roundUp(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

Occupancy occupancy(const TargetSpec &spec, int64_t threads, int64_t regs,
                    int64_t smem) {
  Occupancy o;
  int64_t warps = (std::max<int64_t>(threads, 1) + 31) / 32;
  // Registers are allocated per warp in units of 256.
  int64_t regsPerWarp = roundUp(std::max<int64_t>(regs, 1) * 32, 256);
  struct Bound {
    int64_t blocks;
    const char *what;
  } bounds[] = {
      {spec.maxBlocks, "blk"},
      {spec.maxThreads / (warps * 32), "thr"},
      {spec.registers / regsPerWarp / warps, "regs"},
      {smem > 0 ? spec.sharedBytes / roundUp(smem + spec.reservedShared, 128)
                : spec.maxBlocks,
       "smem"},
  };
  o.blocksPerSm = spec.maxBlocks;
  o.limiter = "blk";
  for (const Bound &b : bounds)
    if (b.blocks < o.blocksPerSm)
      o.blocksPerSm = b.blocks, o.limiter = b.what;
  if (smem > spec.maxBlockShared || regs > 255)
    o.blocksPerSm = 0;
  o.warpsFraction = double(o.blocksPerSm * warps) / 64.0;
  return o;
}

} // namespace dlc
