//===- ReportFormat.cpp - the kernel report as a table and as JSON ---------===//
#include "runtime/report/KernelReport.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace dlc {

static std::string fmt(const char *f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

static std::string pad(std::string s, size_t width) {
  if (s.size() < width)
    s.insert(0, width - s.size(), ' ');
  return s;
}

std::string kernelReportText(const KernelReport &r) {
  const TargetSpec &s = r.spec;
  std::string out = "kernel report: " + s.target + " (cubin " + s.arch +
                    " by " + r.compiler + "; roofline at " + s.part + " peaks: " +
                    fmt("%.0f", s.f16Tflops) + " TFLOP/s f16/bf16, " +
                    fmt("%.0f", s.tf32Tflops) + " tf32, " +
                    fmt("%.1f", s.f32Tflops) + " f32, " +
                    fmt("%.0f", s.dramGBs) + " GB/s)\n";
  if (r.cuobjdump.empty())
    out += "SASS counts: skipped (no cuobjdump found: set DLC_CUOBJDUMP or "
           "install nvidia-cuda-cuobjdump)\n";
  out += "kernel                          strategy/mma              regs spill "
         "  smem(s+d)  occ  lim   HMMA HGMMA LDGSTS  LDSM LDG128     GFLOP      "
         "MB   est us bound\n";
  double totalUs = 0;
  for (const KernelFacts &k : r.kernels) {
    std::string name = k.name.size() > 31 ? k.name.substr(0, 28) + "..." : k.name;
    name.resize(32, ' ');
    std::string how = k.strategy + (k.mma.empty() || k.mma == "none" ? "" : "/" + k.mma);
    if (how.size() > 25)
      how = how.substr(0, 25);
    how.resize(26, ' ');
    auto sass = [&](int64_t v) {
      return k.haveSass ? std::to_string(v) : std::string("-");
    };
    out += name + how + pad(std::to_string(k.registers), 4) +
           pad(std::to_string(k.spillStores + k.spillLoads), 6) +
           pad(std::to_string(k.staticShared) + "+" +
                   std::to_string(k.dynamicShared), 12) +
           pad(fmt("%.0f%%", 100 * k.occupancy.warpsFraction), 5) + " " +
           (k.occupancy.limiter + "    ").substr(0, 4) + pad(sass(k.sass.hmma), 7) +
           pad(sass(k.sass.hgmma), 6) + pad(sass(k.sass.ldgsts), 7) +
           pad(sass(k.sass.ldsm), 6) + pad(sass(k.sass.ldg128), 7) +
           pad(fmt("%.3f", k.flops / 1e9), 10) +
           pad(fmt("%.2f", k.dramBytes / 1e6), 8) +
           pad(fmt("%.1f", k.predictedUs()), 9) + " " + k.bound() + "\n";
    totalUs += k.predictedUs();
  }
  out += std::to_string(r.kernels.size()) + " kernels, roofline estimate " +
         fmt("%.1f", totalUs) + " us in all\n";
  return out;
}

std::string kernelReportJson(const KernelReport &r) {
  using Json = nlohmann::ordered_json;
  Json j = {{"target", r.spec.target},
            {"arch", r.spec.arch},
            {"compiler", r.compiler},
            {"cuobjdump", r.cuobjdump.empty() ? Json() : Json(r.cuobjdump)},
            {"peaks",
             {{"part", r.spec.part},
              {"f16_tflops", r.spec.f16Tflops},
              {"tf32_tflops", r.spec.tf32Tflops},
              {"f32_tflops", r.spec.f32Tflops},
              {"dram_gbs", r.spec.dramGBs}}}};
  j["kernels"] = Json::array();
  for (const KernelFacts &k : r.kernels) {
    Json e = {{"name", k.name},
              {"strategy", k.strategy},
              {"mma", k.mma},
              {"anchor", k.anchor},
              {"grid", k.grid},
              {"block", k.block},
              {"registers", k.registers},
              {"stack_bytes", k.stackBytes},
              {"spill_stores", k.spillStores},
              {"spill_loads", k.spillLoads},
              {"static_shared", k.staticShared},
              {"dynamic_shared", k.dynamicShared},
              {"barriers", k.barriers},
              {"blocks_per_sm", k.occupancy.blocksPerSm},
              {"occupancy", k.occupancy.warpsFraction},
              {"occupancy_limiter", k.occupancy.limiter},
              {"flops", k.flops},
              {"dram_bytes", k.dramBytes},
              {"peak", k.peak},
              {"compute_us", k.computeUs},
              {"memory_us", k.memoryUs},
              {"predicted_us", k.predictedUs()},
              {"bound", k.bound()}};
    if (k.haveSass)
      e["sass"] = {{"instructions", k.sass.instructions},
                   {"hmma", k.sass.hmma},
                   {"hgmma", k.sass.hgmma},
                   {"ldgsts", k.sass.ldgsts},
                   {"ldsm", k.sass.ldsm},
                   {"utmaldg", k.sass.tma},
                   {"ldg128", k.sass.ldg128},
                   {"stg128", k.sass.stg128},
                   {"ffma", k.sass.ffma},
                   {"local", k.sass.local}};
    else
      e["sass"] = nullptr;
    j["kernels"].push_back(std::move(e));
  }
  return j.dump(2) + "\n";
}

} // namespace dlc
