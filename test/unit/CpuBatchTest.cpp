//===- CpuBatchTest.cpp - several programs in one host library -----------===//
//
// buildCpuLibrary compiles several programs with one compiler run. Two
// programs here have the same kernel name and each its own definition of a
// helper behind the emitted source's DLC_PRELUDE guard: each must run its
// own. A program that does not compile fails the whole library.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/CpuDevice.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <unistd.h>

using namespace dlc;

namespace {

std::string cacheRootForTest() {
  static std::string root = [] {
    auto p = std::filesystem::temp_directory_path() /
             ("dlc-cpu-batch-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    return p.string();
  }();
  return root;
}

/// y = helper(x) over 4 floats, in a kernel named k0; `helper` is defined
/// as the emitted prelude is, once per translation unit unless undefined.
Program program(const std::string &helperBody) {
  std::string manifest =
      "{\"version\": 1, \"arena_bytes\": 0, \"buffers\": ["
      "{\"name\": \"x\", \"role\": \"input\", \"dtype\": \"f32\", "
      "\"shape\": [4]}, {\"name\": \"y\", \"role\": \"output\", \"dtype\": "
      "\"f32\", \"shape\": [4]}], \"kernels\": [{\"name\": \"k0\", \"grid\": "
      "[1, 1, 1], \"block\": [4, 1, 1], \"args\": [\"x\", \"y\"]}]}";
  std::string source = "#ifndef DLC_PRELUDE\n#define DLC_PRELUDE\n"
                       "__device__ float helper(float v) { " +
                       helperBody +
                       " }\n#endif\n"
                       "extern \"C\" __global__ void k0(const float *x, "
                       "float *y) {\n  y[threadIdx.x] = "
                       "helper(x[threadIdx.x]);\n}\n";
  Program p;
  std::string err;
  EXPECT_TRUE(Program::parse(manifest, source, p, err)) << err;
  return p;
}

std::vector<float> run(const Program &p, const std::string &lib,
                       size_t index) {
  CpuDeviceOptions opts;
  opts.cacheRoot = cacheRootForTest();
  opts.library = lib;
  opts.libraryPrefix = batchLauncherPrefix(index);
  CpuDevice device(opts);
  HostTensor x = HostTensor::zeros(DType::F32, {4}),
             y = HostTensor::zeros(DType::F32, {4});
  float in[4] = {1, 2, 3, 4};
  std::memcpy(x.bytes.data(), in, sizeof in);
  std::string err;
  EXPECT_TRUE(device.load(p, err)) << err;
  EXPECT_TRUE(device.cacheHit());
  EXPECT_TRUE(device.run({{"x", &x}, {"y", &y}}, err)) << err;
  std::vector<float> out(4);
  std::memcpy(out.data(), y.bytes.data(), sizeof in);
  return out;
}

TEST(CpuBatch, ProgramsKeepTheirOwnKernelsAndPreludes) {
  Program plusOne = program("return v + 1;"), twice = program("return v * 2;");
  CpuDeviceOptions opts;
  opts.cacheRoot = cacheRootForTest();
  std::string lib, err;
  ASSERT_TRUE(buildCpuLibrary({&plusOne, &twice}, opts, lib, err)) << err;
  EXPECT_EQ(run(plusOne, lib, 0), (std::vector<float>{2, 3, 4, 5}));
  EXPECT_EQ(run(twice, lib, 1), (std::vector<float>{2, 4, 6, 8}));
  // The same batch again comes from the cache.
  std::string again;
  ASSERT_TRUE(buildCpuLibrary({&plusOne, &twice}, opts, again, err)) << err;
  EXPECT_EQ(again, lib);
}

TEST(CpuBatch, OneBrokenProgramFailsTheLibrary) {
  Program good = program("return v;"), bad = program("return undeclared;");
  CpuDeviceOptions opts;
  opts.cacheRoot = cacheRootForTest();
  std::string lib, err;
  EXPECT_FALSE(buildCpuLibrary({&good, &bad}, opts, lib, err));
  EXPECT_NE(err.find("the host compiler failed"), std::string::npos) << err;
  EXPECT_NE(err.find("undeclared"), std::string::npos) << err;
}

} // namespace
