//===- CudaDeviceTest.cpp - a Program on the GPU --------------------------===//
//
// Without a driver: arch choice and a clean "no CUDA driver" from create().
// On a GPU: a hand-written two-kernel program (input -> arena -> output),
// run eagerly, then replayed as a CUDA graph, then profiled.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/Trace.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>

using namespace dlc;

namespace {

TEST(CudaDevice, ChooseArch) {
  std::vector<int> nv = {75, 80, 86, 87, 89, 90, 100, 120};
  EXPECT_EQ(chooseArch(9, 0, nv), "sm_90a"); // wgmma kernels need sm_90a
  EXPECT_EQ(chooseArch(8, 6, nv), "sm_86");
  // Newer than NVRTC: PTX for the newest arch below, JIT-compiled.
  EXPECT_EQ(chooseArch(12, 1, nv), "compute_120");
  EXPECT_EQ(chooseArch(9, 5, nv), "compute_90");
  // Older than NVRTC supports.
  EXPECT_EQ(chooseArch(7, 0, nv), "");
}

TEST(CudaDevice, CreateWithoutDriverSaysWhy) {
  std::string err;
  auto dev = CudaDevice::create({}, err);
  if (dev)
    GTEST_SKIP() << "a CUDA device is present";
  EXPECT_EQ(err.rfind("no ", 0), 0u) << err;
  EXPECT_NE(err.find("CUDA"), std::string::npos) << err;
}

const char *kSource = R"(
extern "C" __global__ void k0_double(const float *__restrict__ x,
                                     unsigned char *arena) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  float *t = (float *)(arena + 0);
  if (i < 37) t[i] = 2.0f * x[i];
}
extern "C" __global__ void k1_add_one(unsigned char *arena,
                                      float *__restrict__ y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  const float *t = (const float *)(arena + 0);
  if (i < 37) y[i] = t[i] + 1.0f;
}
)";

const char *kManifest = R"({"version": 1, "target": "sm_90", "arena_bytes": 256,
 "buffers": [{"name": "x", "role": "input", "dtype": "f32", "shape": [37]},
             {"name": "t", "role": "intermediate", "dtype": "f32", "shape": [37], "offset": 0},
             {"name": "y", "role": "output", "dtype": "f32", "shape": [37]}],
 "kernels": [{"name": "k0_double", "grid": [2, 1, 1], "block": [32, 1, 1], "shared_bytes": 0,
              "args": ["x", "arena"], "nodes": ["twice"]},
             {"name": "k1_add_one", "grid": [1, 1, 1], "block": [64, 1, 1], "shared_bytes": 0,
              "args": ["arena", "y"], "nodes": ["plus1"]}]})";

TEST(CudaDevice, RunsReplaysAndProfiles) {
  std::string err;
  CudaDeviceOptions opts;
  opts.profile = false;
  opts.poisonOutputs = true;
  auto dev = CudaDevice::create(opts, err);
  if (!dev)
    GTEST_SKIP() << err;
  Program program;
  ASSERT_TRUE(Program::parse(kManifest, kSource, program, err)) << err;
  ASSERT_TRUE(dev->load(program, err)) << err;
  HostTensor x = HostTensor::zeros(DType::F32, {37});
  float *xv = reinterpret_cast<float *>(x.bytes.data());
  for (int i = 0; i < 37; ++i)
    xv[i] = float(i);
  auto outs = makeOutputs(program, /*poison=*/true);
  BufferBindings b = {{"x", &x}, {"y", &outs.at("y")}};
  for (int run = 0; run < 3; ++run) {
    xv[5] = float(run); // inputs are copied in on every run
    ASSERT_TRUE(dev->run(b, err)) << err;
    const float *y = reinterpret_cast<const float *>(outs.at("y").bytes.data());
    for (int i = 0; i < 37; ++i)
      EXPECT_EQ(y[i], 2.0f * xv[i] + 1.0f) << "run " << run << " element " << i;
  }
  EXPECT_EQ(dev->runs(), 3u);
  EXPECT_EQ(dev->graphReplays(), 2u); // the first run is eager

  // Profiled: one timing per kernel, in order, as a trace.
  opts.profile = true;
  auto prof = CudaDevice::create(opts, err);
  ASSERT_TRUE(prof) << err;
  ASSERT_TRUE(prof->load(program, err)) << err;
  ASSERT_TRUE(prof->run(b, err)) << err;
  ASSERT_EQ(prof->lastTimings().size(), 2u);
  EXPECT_EQ(prof->lastTimings()[1].name, "k1_add_one");
  EXPECT_GE(prof->lastTimings()[1].startUs, prof->lastTimings()[0].startUs);
  EXPECT_GE(prof->lastTimings()[0].durationUs, 0.0);
  TraceWriter trace;
  prof->addTimingsTo(trace);
  auto j = nlohmann::json::parse(trace.json());
  EXPECT_EQ(j["traceEvents"][0]["name"], "k0_double");
  EXPECT_EQ(j["traceEvents"][0]["args"]["nodes"][0], "twice");
}

TEST(CudaDevice, UnknownKernelIsNamed) {
  std::string err;
  auto dev = CudaDevice::create({}, err);
  if (!dev)
    GTEST_SKIP() << err;
  std::string manifest = kManifest;
  manifest.replace(manifest.find("\"k1_add_one\""), 12, "\"k1_missing\"");
  Program program;
  ASSERT_TRUE(Program::parse(manifest, kSource, program, err)) << err;
  EXPECT_FALSE(dev->load(program, err));
  EXPECT_EQ(err.rfind("kernel k1_missing: cuModuleGetFunction: "
                      "CUDA_ERROR_NOT_FOUND",
                      0),
            0u)
      << err;
}

} // namespace
