//===- KernelReport.cpp - static facts of a program's kernels --------------===//
#include "runtime/report/KernelReport.h"

#include "runtime/nvrtc/Nvrtc.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <regex>
#include <sstream>
#include <unistd.h>

namespace dlc {

std::map<std::string, KernelFacts> parsePtxasLog(const std::string &log) {
  static const std::regex entry(R"(Compiling entry function '([A-Za-z0-9_]+)')");
  static const std::regex frame(
      R"((\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads)");
  static const std::regex used(R"(Used (\d+) registers)");
  static const std::regex barriers(R"(used (\d+) barriers)");
  static const std::regex smem(R"((\d+) bytes smem)");
  std::map<std::string, KernelFacts> out;
  KernelFacts *cur = nullptr;
  std::istringstream in(log);
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, m, entry)) {
      cur = &out[m[1]];
      cur->name = m[1];
      continue;
    }
    if (!cur)
      continue;
    if (std::regex_search(line, m, frame)) {
      cur->stackBytes = std::stoll(m[1]);
      cur->spillStores = std::stoll(m[2]);
      cur->spillLoads = std::stoll(m[3]);
    }
    if (std::regex_search(line, m, used)) {
      cur->registers = std::stoll(m[1]);
      if (std::regex_search(line, m, barriers))
        cur->barriers = std::stoll(m[1]);
      if (std::regex_search(line, m, smem))
        cur->staticShared = std::stoll(m[1]);
    }
  }
  return out;
}

/// The peak (TFLOP/s) and its name for a kernel's arithmetic.
static std::pair<double, std::string> peakFor(const TargetSpec &s,
                                              const std::string &mma) {
  if (mma.find("tf32") != std::string::npos)
    return {s.tf32Tflops, "tf32 tensor"};
  if (mma.find("f16") != std::string::npos) // f16, bf16, wgmma_*
    return {s.f16Tflops, "f16/bf16 tensor"};
  return {s.f32Tflops, "f32 fma"};
}

static bool writeTemp(const std::vector<uint8_t> &bytes, std::string &path,
                      std::string &err) {
  char tmpl[] = "/tmp/dlc-cubin-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) {
    err = std::string("cannot create a temporary cubin: ") + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      err = std::string("cannot write a temporary cubin: ") + std::strerror(errno);
      ::close(fd);
      ::unlink(tmpl);
      return false;
    }
    done += size_t(n);
  }
  ::close(fd);
  path = tmpl;
  return true;
}

static bool addSass(KernelReport &report, const std::vector<uint8_t> &cubin,
                    std::string &err) {
  report.cuobjdump = findCuobjdump();
  if (report.cuobjdump.empty())
    return true;
  std::string path;
  if (!writeTemp(cubin, path, err))
    return false;
  std::map<std::string, SassCounts> counts;
  bool ok = sassCounts(report.cuobjdump, path, counts, err);
  ::unlink(path.c_str());
  if (!ok)
    return false;
  for (KernelFacts &k : report.kernels) {
    auto it = counts.find(k.name);
    if (it == counts.end()) {
      err = "cuobjdump shows no SASS for kernel '" + k.name + "'";
      return false;
    }
    k.haveSass = true;
    k.sass = it->second;
  }
  return true;
}

bool buildKernelReport(const Program &program, const std::string &target,
                       KernelReport &out, std::string &err) {
  std::optional<TargetSpec> spec = targetSpec(target);
  if (!spec) {
    err = "no kernel report for target '" + target + "' (sm_80 or sm_90)";
    return false;
  }
  out = KernelReport();
  out.spec = *spec;
  Nvrtc *nvrtc = Nvrtc::get(err);
  if (!nvrtc)
    return false;
  out.compiler = "NVRTC " + nvrtc->version();
  NvrtcOptions opts;
  opts.arch = spec->arch;
  opts.extraOptions = {"--ptxas-options=-v"};
  NvrtcOutput built;
  if (!nvrtc->compile(program.source(), opts, built, err))
    return false;
  std::map<std::string, KernelFacts> facts = parsePtxasLog(built.log);
  for (const ProgramKernel &pk : program.kernels()) {
    auto it = facts.find(pk.name);
    if (it == facts.end()) {
      err = "ptxas reported nothing for kernel '" + pk.name + "'";
      return false;
    }
    KernelFacts k = it->second;
    k.strategy = pk.strategy;
    k.mma = pk.mma;
    k.anchor = pk.anchor;
    k.grid = pk.grid;
    k.block = pk.block;
    k.dynamicShared = pk.sharedBytes;
    k.flops = pk.flops;
    k.dramBytes = pk.dramBytes;
    k.occupancy = occupancy(*spec, pk.block[0] * pk.block[1] * pk.block[2],
                            k.registers, k.staticShared + k.dynamicShared);
    auto [tflops, peak] = peakFor(*spec, k.mma);
    k.peak = peak;
    k.computeUs = double(k.flops) / (tflops * 1e6);
    k.memoryUs = double(k.dramBytes) / (spec->dramGBs * 1e3);
    out.kernels.push_back(std::move(k));
  }
  return addSass(out, built.image, err);
}

} // namespace dlc
