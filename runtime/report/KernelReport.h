//===- KernelReport.h - static facts of a program's kernels -----*- C++ -*-===//
//
// What ptxas and the SASS say about every kernel of a compiled program,
// with no GPU: the program's CUDA C++ is compiled by NVRTC to a cubin for
// the target (sm_90 as sm_90a) with `ptxas -v`, which gives registers,
// spills, stack and static shared memory per kernel; occupancy follows from
// those and the launch (TargetSpec.h); when cuobjdump is found, the SASS is
// counted (Sass.h). The roofline estimate bounds each kernel's time by the
// manifest's FLOPs and DRAM bytes at the target's peaks. MLIR-free.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_REPORT_KERNELREPORT_H
#define DLC_RUNTIME_REPORT_KERNELREPORT_H

#include "runtime/core/Program.h"
#include "runtime/report/Sass.h"
#include "runtime/report/TargetSpec.h"

#include <string>
#include <vector>

namespace dlc {

struct KernelFacts {
  std::string name, strategy, mma, anchor;
  std::array<int64_t, 3> grid{1, 1, 1}, block{1, 1, 1};
  int64_t registers = 0, stackBytes = 0, spillStores = 0, spillLoads = 0;
  int64_t staticShared = 0, dynamicShared = 0, barriers = 0;
  Occupancy occupancy;
  bool haveSass = false;
  SassCounts sass;
  int64_t flops = 0, dramBytes = 0;
  std::string peak;           ///< the peak the compute bound uses
  double computeUs = 0, memoryUs = 0;
  double predictedUs() const { return computeUs > memoryUs ? computeUs : memoryUs; }
  const char *bound() const { return computeUs > memoryUs ? "compute" : "memory"; }
};

struct KernelReport {
  TargetSpec spec;
  std::string compiler;  ///< "NVRTC 13.0"
  std::string cuobjdump; ///< the tool used, empty when none was found
  std::vector<KernelFacts> kernels;
};

/// Compiles `program` for `target` ("sm_80", "sm_90") and fills `out`.
/// False with `err` when the target is unknown, NVRTC is missing or fails,
/// ptxas says nothing about a kernel, or cuobjdump (when found) fails.
bool buildKernelReport(const Program &program, const std::string &target,
                       KernelReport &out, std::string &err);

/// A table, one row per kernel, and the totals.
std::string kernelReportText(const KernelReport &report);
/// The same as JSON (docs/kernel-report.md).
std::string kernelReportJson(const KernelReport &report);

/// The per-kernel facts in `ptxas -v` output (exposed for tests); kernels
/// missing from the log are missing from the map.
std::map<std::string, KernelFacts> parsePtxasLog(const std::string &log);

} // namespace dlc

#endif // DLC_RUNTIME_REPORT_KERNELREPORT_H
