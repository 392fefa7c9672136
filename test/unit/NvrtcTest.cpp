//===- NvrtcTest.cpp - NVRTC loaded at run time ---------------------------===//
//
// Tests that need libnvrtc skip with "NVRTC not found: ..." where it does
// not load; no GPU is needed (NVRTC compiles for any arch without one).
//
//===----------------------------------------------------------------------===//

#include "runtime/nvrtc/Nvrtc.h"

#include "test/unit/TempDir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace dlc;

namespace {

#define REQUIRE_NVRTC(var)                                                     \
  std::string loadErr_;                                                        \
  Nvrtc *var = Nvrtc::get(loadErr_);                                           \
  if (!var)                                                                    \
  GTEST_SKIP() << loadErr_


const char *kSaxpy = R"(extern "C" __global__ void saxpy(int n, float a,
                                   const float *__restrict__ x,
                                   float *__restrict__ y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    y[i] = a * x[i] + y[i];
}
)";

// Half and bfloat16 loads, float math, and a warp butterfly reduction.
const char *kHalfBf16Shuffle = R"(#include <cuda_fp16.h>
#include <cuda_bf16.h>

extern "C" __global__ void mixed_dot(const __half *a, const __nv_bfloat16 *b,
                                     __half *out_h, __nv_bfloat16 *out_b,
                                     int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  float v = 0.0f;
  if (i < n)
    v = __half2float(a[i]) * __bfloat162float(b[i]);
  for (int offset = 16; offset > 0; offset >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, offset);
  if (i < n && (threadIdx.x & 31) == 0) {
    out_h[i / 32] = __float2half(v);
    out_b[i / 32] = __float2bfloat16(v);
  }
}
)";

bool isCudaElf(const std::vector<uint8_t> &img) {
  // ELF magic, and e_machine (offset 18, little-endian) == EM_CUDA (190).
  return img.size() > 64 && img[0] == 0x7f && img[1] == 'E' &&
         img[2] == 'L' && img[3] == 'F' && (img[18] | img[19] << 8) == 190;
}

bool contains(const std::vector<uint8_t> &img, const std::string &s) {
  return std::search(img.begin(), img.end(), s.begin(), s.end()) != img.end();
}

std::string readFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Nvrtc, ArchSpellings) {
  for (const char *ok : {"sm_80", "sm_90", "sm_90a", "sm_100f", "compute_90"})
    EXPECT_TRUE(isValidArch(ok)) << ok;
  for (const char *bad : {"", "sm80", "sm_", "sm_x", "gfx_90", "sm_90ab",
                          "SM_90", "sm_90A", "compute_1234567890"})
    EXPECT_FALSE(isValidArch(bad)) << bad;
}

TEST(Nvrtc, MissingLibraryIsAClearError) {
  std::string err;
  auto n = Nvrtc::open("/nonexistent/dir/libnvrtc.so.13", err);
  EXPECT_EQ(n, nullptr);
  EXPECT_NE(err.find("cannot load /nonexistent/dir/libnvrtc.so.13"),
            std::string::npos)
      << err;
}

TEST(Nvrtc, LibraryWithoutNvrtcSymbolsIsRejected) {
  std::string err;
  auto n = Nvrtc::open("libz.so.1", err);
  if (err.find("cannot load") != std::string::npos)
    GTEST_SKIP() << "no libz.so.1 to try: " << err;
  EXPECT_EQ(n, nullptr);
  EXPECT_NE(err.find("is not a usable libnvrtc: missing nvrtcGetErrorString"),
            std::string::npos)
      << err;
}

TEST(Nvrtc, VersionArchsAndHeaders) {
  REQUIRE_NVRTC(nvrtc);
  EXPECT_GE(nvrtc->majorVersion(), 11);
  EXPECT_EQ(nvrtc->version(), std::to_string(nvrtc->majorVersion()) + "." +
                                  std::to_string(nvrtc->minorVersion()));
  std::vector<int> archs = nvrtc->supportedArchs();
  EXPECT_NE(std::find(archs.begin(), archs.end(), 80), archs.end());
  EXPECT_NE(std::find(archs.begin(), archs.end(), 90), archs.end());
  EXPECT_TRUE(fs::exists(nvrtc->libraryPath())) << nvrtc->libraryPath();
  ASSERT_FALSE(nvrtc->includeDir().empty()) << "no CUDA headers found";
  EXPECT_TRUE(fs::exists(nvrtc->includeDir() + "/cuda_fp16.h"));
  EXPECT_TRUE(fs::exists(nvrtc->includeDir() + "/cuda_bf16.h"));
  EXPECT_EQ(nvrtc->identity().rfind("nvrtc " + nvrtc->version() + " ", 0), 0u);
  std::cout << "NVRTC " << nvrtc->version() << " from "
            << nvrtc->libraryPath() << ", headers " << nvrtc->includeDir()
            << "\n";
}

TEST(Nvrtc, OptionsSpelling) {
  REQUIRE_NVRTC(nvrtc);
  NvrtcOptions o;
  o.arch = "sm_90";
  o.extraOptions = {"-lineinfo"};
  std::vector<std::string> opts = nvrtc->options(o);
  ASSERT_GE(opts.size(), 3u);
  EXPECT_EQ(opts[0], "--gpu-architecture=sm_90");
  EXPECT_EQ(opts[1], "-std=c++17");
  EXPECT_EQ(opts[2], "-I" + nvrtc->includeDir());
  EXPECT_EQ(opts.back(), "-lineinfo");
}

TEST(Nvrtc, KernelsCompileWithoutWarningsForSm80AndSm90) {
  REQUIRE_NVRTC(nvrtc);
  for (const char *arch : {"sm_80", "sm_90"}) {
    for (auto [name, src] : {std::pair{"saxpy", kSaxpy},
                             std::pair{"mixed_dot", kHalfBf16Shuffle}}) {
      NvrtcOptions o;
      o.arch = arch;
      o.warningsAsErrors = true;
      NvrtcOutput out;
      std::string err;
      ASSERT_TRUE(nvrtc->compile(src, o, out, err)) << arch << ": " << err;
      EXPECT_EQ(out.log, "") << arch;
      EXPECT_TRUE(isCudaElf(out.image)) << name << " for " << arch;
      EXPECT_TRUE(contains(out.image, name)) << name << " for " << arch;
    }
  }
}

TEST(Nvrtc, ArchesGiveDifferentCubins) {
  REQUIRE_NVRTC(nvrtc);
  NvrtcOutput a, b;
  std::string err;
  NvrtcOptions o;
  o.arch = "sm_80";
  ASSERT_TRUE(nvrtc->compile(kSaxpy, o, a, err)) << err;
  o.arch = "sm_90";
  ASSERT_TRUE(nvrtc->compile(kSaxpy, o, b, err)) << err;
  EXPECT_NE(a.image, b.image);
}

TEST(Nvrtc, ComputeArchGivesPtx) {
  REQUIRE_NVRTC(nvrtc);
  NvrtcOptions o;
  o.arch = "compute_90";
  NvrtcOutput out;
  std::string err;
  ASSERT_TRUE(nvrtc->compile(kSaxpy, o, out, err)) << err;
  std::string ptx(out.image.begin(), out.image.end());
  EXPECT_EQ(ptx.find('\0'), std::string::npos);
  EXPECT_NE(ptx.find(".target sm_90"), std::string::npos) << ptx;
  EXPECT_NE(ptx.find(".entry saxpy"), std::string::npos) << ptx;
}

TEST(Nvrtc, SyntaxErrorNamesTheLineAndDumpsTheSource) {
  REQUIRE_NVRTC(nvrtc);
  TempDir tmp("dlc-nvrtc");
  const std::string src = "extern \"C\" __global__ void k(float *x) {\n"
                          "  int i = threadIdx.x;\n"
                          "  x[i] = 1.0f +;\n"
                          "}\n";
  NvrtcOptions o;
  o.arch = "sm_90";
  o.programName = "model_kernels.cu";
  o.dumpDir = tmp.path + "/dumps";
  NvrtcOutput out;
  std::string err;
  uint64_t before = Nvrtc::compileCount();
  ASSERT_FALSE(nvrtc->compile(src, o, out, err));
  EXPECT_EQ(Nvrtc::compileCount(), before + 1);
  EXPECT_NE(err.find("model_kernels.cu: NVRTC " + nvrtc->version() +
                     " failed to compile (NVRTC_ERROR_COMPILATION) for sm_90"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("model_kernels.cu(3): error"), std::string::npos) << err;
  EXPECT_NE(out.log.find("model_kernels.cu(3): error"), std::string::npos);
  size_t at = err.find("source written to ");
  ASSERT_NE(at, std::string::npos) << err;
  std::string dumped = err.substr(at + 18, err.find('\n', at) - at - 18);
  EXPECT_EQ(fs::path(dumped).parent_path(), fs::path(o.dumpDir));
  EXPECT_EQ(fs::path(dumped).extension(), ".cu");
  EXPECT_EQ(readFile(dumped), src);
}

TEST(Nvrtc, WarningsAreErrorsOnlyWhenAsked) {
  REQUIRE_NVRTC(nvrtc);
  TempDir tmp("dlc-nvrtc");
  const std::string src = "extern \"C\" __global__ void k(float *x) {\n"
                          "  int unused = 3;\n"
                          "  x[threadIdx.x] = 0.0f;\n"
                          "}\n";
  NvrtcOptions o;
  o.arch = "sm_80";
  o.dumpDir = tmp.path;
  NvrtcOutput out;
  std::string err;
  ASSERT_TRUE(nvrtc->compile(src, o, out, err)) << err;
  EXPECT_NE(out.log.find("kernels.cu(2): warning"), std::string::npos)
      << out.log;
  EXPECT_TRUE(isCudaElf(out.image));

  o.warningsAsErrors = true;
  ASSERT_FALSE(nvrtc->compile(src, o, out, err));
  EXPECT_NE(err.find("reported warnings (warnings are errors) for sm_80"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("kernels.cu(2): warning"), std::string::npos) << err;
  EXPECT_NE(out.log.find("unused"), std::string::npos) << out.log;
  EXPECT_TRUE(out.image.empty());
}

TEST(Nvrtc, BadArchesAreRefusedBeforeCompiling) {
  REQUIRE_NVRTC(nvrtc);
  NvrtcOptions o;
  NvrtcOutput out;
  std::string err;
  uint64_t before = Nvrtc::compileCount();
  o.arch = "sm80";
  EXPECT_FALSE(nvrtc->compile(kSaxpy, o, out, err));
  EXPECT_NE(err.find("invalid arch 'sm80'"), std::string::npos) << err;
  o.arch = "sm_20";
  EXPECT_FALSE(nvrtc->compile(kSaxpy, o, out, err));
  EXPECT_NE(err.find("cannot compile for sm_20 (it supports "),
            std::string::npos)
      << err;
  EXPECT_EQ(Nvrtc::compileCount(), before);
}

TEST(Nvrtc, DumpSourceIsContentAddressed) {
  TempDir tmp("dlc-nvrtc");
  std::string err;
  std::string a = dumpSource("int x;\n", "net.cu", tmp.path, err);
  std::string b = dumpSource("int x;\n", "net.cu", tmp.path, err);
  std::string c = dumpSource("int y;\n", "net.cu", tmp.path, err);
  ASSERT_FALSE(a.empty()) << err;
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(fs::path(a).filename().string().rfind("net-", 0), 0u) << a;
  EXPECT_EQ(readFile(c), "int y;\n");
}

TEST(Nvrtc, DumpSourceIntoUnusableDirNamesIt) {
  TempDir tmp("dlc-nvrtc");
  std::string file = tmp.path + "/plain-file";
  std::ofstream(file) << "x";
  std::string err;
  EXPECT_EQ(dumpSource("int x;\n", "k.cu", file + "/sub", err), "");
  EXPECT_NE(err.find(file + "/sub"), std::string::npos) << err;
}

} // namespace
