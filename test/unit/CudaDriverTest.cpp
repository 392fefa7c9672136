//===- CudaDriverTest.cpp - libcuda loaded at run time --------------------===//
//
// Without a driver (CI, this project's build machines) the tests check that
// absence is reported cleanly and that errors are formatted as documented;
// tests that need a GPU skip with "no CUDA driver: ...".
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaDriver.h"

#include <gtest/gtest.h>

using namespace dlc::cuda;

namespace {

#define REQUIRE_CUDA(var)                                                      \
  std::string loadErr_;                                                        \
  CudaDriver *var = CudaDriver::get(loadErr_);                                 \
  if (!var)                                                                    \
  GTEST_SKIP() << loadErr_

TEST(CudaDriver, MissingLibraryIsReportedNotFatal) {
  std::string why;
  auto d = CudaDriver::open("/nonexistent/dir/libcuda.so.1", why);
  EXPECT_EQ(d, nullptr);
  EXPECT_EQ(why.rfind("no CUDA driver: cannot load /nonexistent/dir/"
                      "libcuda.so.1: ",
                      0),
            0u)
      << why;
  EXPECT_NE(why.find("No such file"), std::string::npos) << why;
}

TEST(CudaDriver, LibraryWithoutTheApiIsReported) {
  // libm is on every Linux machine and exports none of the driver API.
  std::string why;
  auto d = CudaDriver::open("libm.so.6", why);
  EXPECT_EQ(d, nullptr);
  EXPECT_EQ(why.rfind("no usable CUDA driver: libm.so.6 lacks cuInit, "
                      "cuDriverGetVersion, ",
                      0),
            0u)
      << why;
  EXPECT_NE(why.find("cuMemAlloc_v2"), std::string::npos) << why;
  EXPECT_NE(why.find("cuGraphInstantiateWithFlags"), std::string::npos) << why;
  EXPECT_NE(why.find("CUDA 12 or newer"), std::string::npos) << why;
}

TEST(CudaDriver, GetGivesADriverOrAReason) {
  std::string why1, why2;
  CudaDriver *a = CudaDriver::get(why1);
  CudaDriver *b = CudaDriver::get(why2);
  EXPECT_EQ(a, b); // remembered
  EXPECT_EQ(CudaDriver::available(why2), a != nullptr);
  if (!a) {
    EXPECT_EQ(why1.rfind("no ", 0), 0u) << why1;
    EXPECT_NE(why1.find("CUDA"), std::string::npos) << why1;
    EXPECT_EQ(why1, why2);
  }
}

TEST(CudaDriver, BuiltinErrorNames) {
  EXPECT_EQ(builtinErrorName(0), "CUDA_SUCCESS");
  EXPECT_EQ(builtinErrorName(2), "CUDA_ERROR_OUT_OF_MEMORY");
  EXPECT_EQ(builtinErrorName(100), "CUDA_ERROR_NO_DEVICE");
  EXPECT_EQ(builtinErrorName(209), "CUDA_ERROR_NO_BINARY_FOR_GPU");
  EXPECT_EQ(builtinErrorName(700), "CUDA_ERROR_ILLEGAL_ADDRESS");
  EXPECT_EQ(builtinErrorName(719), "CUDA_ERROR_LAUNCH_FAILED");
  EXPECT_EQ(builtinErrorName(12345), "CUDA_ERROR_12345");
}

TEST(CudaDriver, ErrorFormat) {
  EXPECT_EQ(formatCudaError("cuMemAlloc", 2, "CUDA_ERROR_OUT_OF_MEMORY",
                            "out of memory"),
            "cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY (out of memory) [2]");
  EXPECT_EQ(formatCudaError("cuInit", 100, "CUDA_ERROR_NO_DEVICE", ""),
            "cuInit: CUDA_ERROR_NO_DEVICE [100]");
}

TEST(CudaDriver, LaunchDescriptionNamesKernelAndNodes) {
  LaunchContext ctx;
  ctx.kernel = "k3_conv1_relu1";
  ctx.nodes = {"conv1", "relu1"};
  ctx.grid = {4, 2, 1};
  ctx.block = {256, 1, 1};
  EXPECT_EQ(describeLaunch(ctx), "kernel k3_conv1_relu1 (model nodes conv1, "
                                 "relu1), grid [4, 2, 1], block [256, 1, 1]");
  ctx.nodes = {"fc"};
  EXPECT_EQ(describeLaunch(ctx), "kernel k3_conv1_relu1 (model node fc), grid "
                                 "[4, 2, 1], block [256, 1, 1]");
  ctx.nodes.clear();
  EXPECT_EQ(describeLaunch(ctx),
            "kernel k3_conv1_relu1, grid [4, 2, 1], block [256, 1, 1]");
}

TEST(CudaDriver, DeviceQueriesOnAGpu) {
  REQUIRE_CUDA(d);
  int count = 0;
  std::string err;
  ASSERT_TRUE(d->deviceCount(count, err)) << err;
  EXPECT_GE(count, 1);
  CUdevice dev;
  ASSERT_TRUE(d->deviceGet(dev, 0, err)) << err;
  int major = 0, minor = -1;
  ASSERT_TRUE(d->computeCapability(dev, major, minor, err)) << err;
  EXPECT_GE(major, 5);
  EXPECT_GE(minor, 0);
  EXPECT_GE(d->driverVersion(), 12000);
  EXPECT_EQ(d->errorName(2), "CUDA_ERROR_OUT_OF_MEMORY");
  EXPECT_FALSE(d->errorString(2).empty());
  // An invalid ordinal fails with the call named.
  CUdevice bad;
  EXPECT_FALSE(d->deviceGet(bad, 1 << 20, err));
  EXPECT_EQ(err.rfind("cuDeviceGet: CUDA_ERROR_INVALID_DEVICE", 0), 0u) << err;
}

TEST(CudaDriver, MemoryRoundTripOnAGpu) {
  REQUIRE_CUDA(d);
  std::string err;
  CUdevice dev;
  CUcontext ctx;
  ASSERT_TRUE(d->deviceGet(dev, 0, err)) << err;
  ASSERT_TRUE(d->retainPrimaryContext(dev, ctx, err)) << err;
  CUdeviceptr p = 0;
  ASSERT_TRUE(d->memAlloc(p, 1024, err)) << err;
  std::vector<uint8_t> in(1024), out(1024);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = uint8_t(i * 7);
  ASSERT_TRUE(d->memcpyHtoD(p, in.data(), in.size(), err)) << err;
  ASSERT_TRUE(d->memcpyDtoH(out.data(), p, out.size(), err)) << err;
  EXPECT_EQ(in, out);
  EXPECT_TRUE(d->memFree(p, err)) << err;
  // An absurd allocation fails with the size in the message.
  CUdeviceptr huge = 0;
  EXPECT_FALSE(d->memAlloc(huge, size_t(1) << 60, err));
  EXPECT_NE(err.find("cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY"), std::string::npos)
      << err;
  EXPECT_TRUE(d->releasePrimaryContext(dev, err)) << err;
}

} // namespace
