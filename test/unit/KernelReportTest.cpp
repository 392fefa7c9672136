//===- KernelReportTest.cpp - the static kernel report --------------------===//
//
// The parsers of ptxas -v and cuobjdump -sass output on captured text, the
// occupancy arithmetic against hand-computed figures (CUDA occupancy
// calculator rules), and one real report when NVRTC (and cuobjdump) load.
//
//===----------------------------------------------------------------------===//
#include "runtime/report/KernelReport.h"
#include "runtime/nvrtc/Nvrtc.h"

#include <gtest/gtest.h>

namespace dlc {
namespace {

TEST(KernelReport, ParsesPtxasLog) {
  const char *log =
      "ptxas info    : 0 bytes gmem\n"
      "ptxas info    : Compiling entry function 'k0_a' for 'sm_90a'\n"
      "ptxas info    : Function properties for k0_a\n"
      "ptxas         .     24 bytes stack frame, 8 bytes spill stores, 12 "
      "bytes spill loads\n"
      "ptxas info    : Used 126 registers, used 1 barriers, 46080 bytes smem, "
      "384 bytes cmem[0]\n"
      "ptxas info    : Compiling entry function 'k1_b' for 'sm_90a'\n"
      "ptxas info    : Function properties for k1_b\n"
      "ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes "
      "spill loads\n"
      "ptxas info    : Used 30 registers, 368 bytes cmem[0]\n";
  std::map<std::string, KernelFacts> facts = parsePtxasLog(log);
  ASSERT_EQ(facts.size(), 2u);
  const KernelFacts &a = facts["k0_a"];
  EXPECT_EQ(a.registers, 126);
  EXPECT_EQ(a.barriers, 1);
  EXPECT_EQ(a.staticShared, 46080);
  EXPECT_EQ(a.stackBytes, 24);
  EXPECT_EQ(a.spillStores, 8);
  EXPECT_EQ(a.spillLoads, 12);
  const KernelFacts &b = facts["k1_b"];
  EXPECT_EQ(b.registers, 30);
  EXPECT_EQ(b.staticShared, 0);
  EXPECT_EQ(b.barriers, 0);
}

TEST(KernelReport, CountsSassPerFunction) {
  const char *sass =
      "\tcode for sm_80\n"
      "\t\tFunction : k0_gemm\n"
      "        /*0000*/                   MOV R1, c[0x0][0x28] ;\n"
      "        /*0010*/                   LDGSTS.E.BYPASS.LTC128B.128 [R3], "
      "desc[UR4][R4.64] ;\n"
      "        /*0020*/              @!P0 LDGSTS.E.BYPASS.128 [R5], [R6.64] ;\n"
      "        /*0030*/                   LDSM.16.M88.4 R8, [R2] ;\n"
      "        /*0040*/                   HMMA.16816.F32.BF16 R12, R8, R10, R12 ;\n"
      "        /*0050*/                   LDG.E.128.CONSTANT R16, [R2.64] ;\n"
      "        /*0060*/                   STL [R1], R4 ;\n"
      "        /*0070*/                   EXIT ;\n"
      "\t\t..........\n"
      "\t\tFunction : k1_ew\n"
      "        /*0000*/                   FFMA R0, R2, R3, R4 ;\n"
      "        /*0010*/                   STG.E.128 [R2.64], R4 ;\n"
      "        /*0020*/                   HGMMA.64x128x16.F32.BF16 R24, gdesc[UR4], R24 ;\n";
  std::map<std::string, SassCounts> c = parseSass(sass);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c["k0_gemm"].instructions, 8);
  EXPECT_EQ(c["k0_gemm"].ldgsts, 2);
  EXPECT_EQ(c["k0_gemm"].ldsm, 1);
  EXPECT_EQ(c["k0_gemm"].hmma, 1);
  EXPECT_EQ(c["k0_gemm"].ldg128, 1);
  EXPECT_EQ(c["k0_gemm"].local, 1);
  EXPECT_EQ(c["k0_gemm"].hgmma, 0);
  EXPECT_EQ(c["k1_ew"].ffma, 1);
  EXPECT_EQ(c["k1_ew"].stg128, 1);
  EXPECT_EQ(c["k1_ew"].hgmma, 1);
}

TEST(KernelReport, OccupancyFollowsTheLimits) {
  TargetSpec a100 = *targetSpec("sm_80"), h100 = *targetSpec("sm_90");
  EXPECT_EQ(h100.arch, "sm_90a");
  EXPECT_FALSE(targetSpec("sm_70"));
  // 256 threads x 128 regs: 4096 regs a warp, 16 warps an SM, 2 blocks.
  Occupancy o = occupancy(a100, 256, 128, 46080);
  EXPECT_EQ(o.blocksPerSm, 2);
  EXPECT_EQ(o.limiter, "regs");
  EXPECT_DOUBLE_EQ(o.warpsFraction, 0.25);
  // 255 regs round up to 8192 a warp: 8 warps, two 128-thread blocks.
  o = occupancy(h100, 128, 255, 0);
  EXPECT_EQ(o.blocksPerSm, 2);
  EXPECT_DOUBLE_EQ(o.warpsFraction, 0.125);
  // 100 KiB + the 1 KiB reservation: two blocks in 228 KiB (three need 303).
  o = occupancy(h100, 128, 32, 100 * 1024);
  EXPECT_EQ(o.blocksPerSm, 2);
  EXPECT_EQ(o.limiter, "smem");
  // Small blocks hit the 32-block limit, then the thread limit.
  EXPECT_EQ(occupancy(a100, 32, 16, 0).blocksPerSm, 32);
  EXPECT_EQ(occupancy(a100, 32, 16, 0).limiter, "blk");
  EXPECT_EQ(occupancy(a100, 1024, 16, 0).blocksPerSm, 2);
  EXPECT_EQ(occupancy(a100, 1024, 16, 0).limiter, "thr");
  // More shared memory than a block may have: it cannot launch.
  EXPECT_EQ(occupancy(a100, 128, 32, 200 * 1024).blocksPerSm, 0);
}

TEST(KernelReport, ReportsARealCubin) {
  std::string err;
  if (!Nvrtc::get(err))
    GTEST_SKIP() << "NVRTC not found: " << err;
  const char *manifest = R"({
    "version": 1, "target": "sm_80", "arena_bytes": 0,
    "buffers": [{"name": "y", "role": "output", "dtype": "f32", "shape": [256]}],
    "kernels": [{"name": "k0_axpb", "grid": [1, 1, 1], "block": [256, 1, 1],
                 "args": ["y"], "strategy": "pointwise", "mma": "none",
                 "flops": 512, "dram_bytes": 2048}]})";
  const char *source =
      "extern \"C\" __global__ void k0_axpb(float *y) {\n"
      "  __shared__ float s[256];\n"
      "  s[threadIdx.x] = y[threadIdx.x];\n"
      "  __syncthreads();\n"
      "  y[threadIdx.x] = s[255 - threadIdx.x] * 3.0f + y[threadIdx.x];\n"
      "}\n";
  Program program;
  ASSERT_TRUE(Program::parse(manifest, source, program, err)) << err;
  KernelReport report;
  ASSERT_TRUE(buildKernelReport(program, "sm_80", report, err)) << err;
  ASSERT_EQ(report.kernels.size(), 1u);
  const KernelFacts &k = report.kernels[0];
  EXPECT_GT(k.registers, 0);
  EXPECT_EQ(k.staticShared, 1024);
  EXPECT_EQ(k.barriers, 1);
  EXPECT_EQ(k.spillStores + k.spillLoads, 0);
  EXPECT_EQ(k.strategy, "pointwise");
  EXPECT_EQ(k.occupancy.blocksPerSm, 8); // 2048 threads / 256
  EXPECT_STREQ(k.bound(), "memory");
  EXPECT_NEAR(k.memoryUs, 2048 / 2039e3, 1e-12);
  std::string json = kernelReportJson(report);
  EXPECT_NE(json.find("\"k0_axpb\""), std::string::npos);
  if (report.cuobjdump.empty())
    GTEST_SKIP() << "cuobjdump not found: SASS counts not checked";
  EXPECT_TRUE(k.haveSass);
  EXPECT_GE(k.sass.ffma, 1);
  EXPECT_EQ(k.sass.hmma, 0);
  EXPECT_EQ(k.sass.local, 0);
}

TEST(KernelReport, UnknownTargetIsAnError) {
  Program program;
  KernelReport report;
  std::string err;
  EXPECT_FALSE(buildKernelReport(program, "sm_75", report, err));
  EXPECT_NE(err.find("sm_75"), std::string::npos);
}

} // namespace
} // namespace dlc
