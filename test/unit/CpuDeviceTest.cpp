//===- CpuDeviceTest.cpp - hand-written CUDA kernels on the CPU device ----===//
//
// Each test is a tiny Program (manifest + CUDA source) whose kernels use one
// CUDA feature the host prelude emulates: shared memory and barriers, warp
// shuffles, the device prelude's rowAllReduce, f16/bf16 conversions, a
// grid-stride loop without barriers (run as a plain loop), and the errors.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/CpuDevice.h"
#include "runtime/core/FloatConvert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace dlc;

namespace {

/// A cache directory private to this test process.
std::string testCacheRoot() {
  static std::string root = [] {
    auto p = std::filesystem::temp_directory_path() /
             ("dlc-cpu-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    return p.string();
  }();
  return root;
}

CpuDeviceOptions options(unsigned threads = 4) {
  CpuDeviceOptions o;
  o.cacheRoot = testCacheRoot();
  o.threads = threads;
  return o;
}

std::string buffer(const std::string &name, const std::string &role,
                   const std::string &dtype, const std::string &shape) {
  return "{\"name\": \"" + name + "\", \"role\": \"" + role +
         "\", \"dtype\": \"" + dtype + "\", \"shape\": " + shape + "}";
}

std::string kernel(const std::string &name, const std::string &grid,
                   const std::string &block, const std::string &args) {
  return "{\"name\": \"" + name + "\", \"grid\": " + grid +
         ", \"block\": " + block + ", \"args\": " + args + "}";
}

std::string manifest(const std::vector<std::string> &buffers,
                     const std::vector<std::string> &kernels,
                     int64_t arena = 0) {
  std::string s = "{\"version\": 1, \"arena_bytes\": " +
                  std::to_string(arena) + ", \"buffers\": [";
  for (size_t i = 0; i < buffers.size(); ++i)
    s += (i ? ", " : "") + buffers[i];
  s += "], \"kernels\": [";
  for (size_t i = 0; i < kernels.size(); ++i)
    s += (i ? ", " : "") + kernels[i];
  return s + "]}";
}

template <typename T> HostTensor tensor(DType dt, std::vector<int64_t> shape,
                                        const std::vector<T> &values) {
  HostTensor t = HostTensor::zeros(dt, std::move(shape));
  EXPECT_EQ(t.bytes.size(), values.size() * sizeof(T));
  std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  return t;
}

template <typename T> std::vector<T> values(const HostTensor &t) {
  std::vector<T> v(t.bytes.size() / sizeof(T));
  std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

/// Loads `source` + `manifestJson` on a CpuDevice and runs it once.
bool runOnce(const std::string &manifestJson, const std::string &source,
             BufferBindings bindings, std::string &err,
             CpuDeviceOptions opts = options()) {
  Program p;
  if (!Program::parse(manifestJson, source, p, err))
    return false;
  CpuDevice dev(opts);
  return dev.load(p, err) && dev.run(bindings, err);
}

std::string devicePrelude() {
  std::ifstream in(DLC_SOURCE_DIR "/codegen/prelude/dlc_device.cuh");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST(CpuDevice, BlockReductionWithSharedMemoryAndBarriers) {
  // Tree reduction in shared memory: every step is separated by a barrier.
  const char *src = R"(
extern "C" __global__ void k_sum(const float *__restrict__ in, float *__restrict__ out) {
  __shared__ float s[256];
  const int t = threadIdx.x;
  s[t] = in[blockIdx.x * 256 + t];
  __syncthreads();
  for (int stride = 128; stride > 0; stride /= 2) {
    if (t < stride)
      s[t] += s[t + stride];
    __syncthreads();
  }
  if (t == 0)
    out[blockIdx.x] = s[0];
}
)";
  std::vector<float> in(4 * 256);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = float(i % 97) - 40.0f;
  HostTensor x = tensor(DType::F32, {4, 256}, in);
  HostTensor y = tensor(DType::F32, {4}, std::vector<float>(4, NAN));
  std::string err;
  ASSERT_TRUE(runOnce(manifest({buffer("in", "input", "f32", "[4, 256]"),
                                buffer("out", "output", "f32", "[4]")},
                               {kernel("k_sum", "[4, 1, 1]", "[256, 1, 1]",
                                       "[\"in\", \"out\"]")}),
                      src, {{"in", &x}, {"out", &y}}, err))
      << err;
  auto out = values<float>(y);
  for (int b = 0; b < 4; ++b) {
    double want = 0;
    for (int t = 0; t < 256; ++t)
      want += in[b * 256 + t];
    EXPECT_EQ(out[b], float(want)) << "block " << b;
  }
}

TEST(CpuDevice, WarpShuffleButterflyReduction) {
  // 3 warps, the last one partial (80 threads); every lane gets its warp's
  // sum through __shfl_xor_sync, and one lane reads lane 0 with __shfl_sync.
  const char *src = R"(
extern "C" __global__ void k_warp(const double *__restrict__ in, double *__restrict__ out, int *__restrict__ bcast) {
  const int t = threadIdx.x + blockDim.x * blockIdx.x;
  double v = in[t];
  for (int mask = 16; mask > 0; mask /= 2)
    v += __shfl_xor_sync(0xffffffffu, v, mask);
  out[t] = v;
  int lane0 = __shfl_sync(0xffffffffu, int(threadIdx.x), 0);
  bcast[t] = lane0;
}
)";
  const int n = 2 * 64;
  std::vector<double> in(n);
  for (int i = 0; i < n; ++i)
    in[i] = i * 0.5;
  HostTensor x = tensor(DType::F64, {n}, in);
  HostTensor y = tensor(DType::F64, {n}, std::vector<double>(n, NAN));
  HostTensor b = tensor(DType::I32, {n}, std::vector<int32_t>(n, -1));
  std::string err;
  ASSERT_TRUE(runOnce(
      manifest({buffer("in", "input", "f64", "[128]"),
                buffer("out", "output", "f64", "[128]"),
                buffer("b", "output", "i32", "[128]")},
               {kernel("k_warp", "[2, 1, 1]", "[64, 1, 1]",
                       "[\"in\", \"out\", \"b\"]")}),
      src, {{"in", &x}, {"out", &y}, {"b", &b}}, err))
      << err;
  auto out = values<double>(y);
  auto lane0 = values<int32_t>(b);
  for (int i = 0; i < n; ++i) {
    int w = i / 32;
    double want = 0;
    for (int j = w * 32; j < w * 32 + 32; ++j)
      want += in[j];
    EXPECT_EQ(out[i], want) << "thread " << i;
    EXPECT_EQ(lane0[i], (i % 64) / 32 * 32) << "thread " << i;
  }
}

TEST(CpuDevice, SharedMemoryTileTranspose) {
  // A 2-D block loads a 16x16 tile, waits, and writes it transposed; the
  // grid is 2-D too (a 32x48 matrix).
  const char *src = R"(
extern "C" __global__ void k_transpose(const float *__restrict__ a, float *__restrict__ b) {
  __shared__ float tile[16][17];
  const int x = blockIdx.x * 16 + threadIdx.x, y = blockIdx.y * 16 + threadIdx.y;
  tile[threadIdx.y][threadIdx.x] = a[y * 48 + x];
  __syncthreads();
  const int tx = blockIdx.y * 16 + threadIdx.x, ty = blockIdx.x * 16 + threadIdx.y;
  b[ty * 32 + tx] = tile[threadIdx.x][threadIdx.y];
}
)";
  std::vector<float> a(32 * 48);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = float(i);
  HostTensor ta = tensor(DType::F32, {32, 48}, a);
  HostTensor tb = tensor(DType::F32, {48, 32}, std::vector<float>(a.size(), NAN));
  std::string err;
  ASSERT_TRUE(runOnce(manifest({buffer("a", "input", "f32", "[32, 48]"),
                                buffer("b", "output", "f32", "[48, 32]")},
                               {kernel("k_transpose", "[3, 2, 1]",
                                       "[16, 16, 1]", "[\"a\", \"b\"]")}),
                      src, {{"a", &ta}, {"b", &tb}}, err))
      << err;
  auto b = values<float>(tb);
  for (int r = 0; r < 32; ++r)
    for (int c = 0; c < 48; ++c)
      ASSERT_EQ(b[c * 32 + r], a[r * 48 + c]) << r << ", " << c;
}

TEST(CpuDevice, HalfAndBfloat16RoundToNearestEven) {
  // Every f32 input converted to f16 and bf16 by the host prelude must match
  // the reference conversions bit for bit (ties, subnormals, overflow, NaN).
  const char *src = R"(
#include <cuda_fp16.h>
#include <cuda_bf16.h>
extern "C" __global__ void k_conv(const float *__restrict__ in, __half *__restrict__ h,
                                  __nv_bfloat16 *__restrict__ b, float *__restrict__ back) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  h[i] = __float2half_rn(in[i]);
  b[i] = __float2bfloat16_rn(in[i]);
  back[2 * i] = __half2float(h[i]);
  back[2 * i + 1] = __bfloat162float(b[i]);
}
)";
  std::vector<float> in = {0.0f, -0.0f, 1.0f, 65504.0f, 65519.99f, 65520.0f,
                           1e-8f, 2.98e-8f, 5.96e-8f, 6.1e-5f, -3.14159f,
                           1.0009765625f /* half tie: 1 + 2^-10 ... */,
                           1.00048828125f /* 1 + 2^-11: tie, to even */,
                           1.00146484375f /* 1 + 3*2^-11: tie, up */,
                           1.00390625f /* bf16 tie: 1 + 2^-8 */,
                           1.01171875f /* bf16 tie, up */, 3.4e38f, INFINITY,
                           -INFINITY, 1e-40f, 0.333333f, 7.0e4f, -1.5e-7f,
                           1.17549435e-38f, 123.456f, 2048.5f, 4097.0f, 0.1f,
                           1e10f, -2.5f, 0.5f, 100.0f};
  const int n = int(in.size());
  HostTensor x = tensor(DType::F32, {n}, in);
  HostTensor h = HostTensor::zeros(DType::F16, {n});
  HostTensor b = HostTensor::zeros(DType::BF16, {n});
  HostTensor back = tensor(DType::F32, {2 * n}, std::vector<float>(2 * n, NAN));
  std::string ns = std::to_string(n), n2 = std::to_string(2 * n);
  std::string err;
  ASSERT_TRUE(runOnce(
      manifest({buffer("in", "input", "f32", "[" + ns + "]"),
                buffer("h", "output", "f16", "[" + ns + "]"),
                buffer("b", "output", "bf16", "[" + ns + "]"),
                buffer("back", "output", "f32", "[" + n2 + "]")},
               {kernel("k_conv", "[1, 1, 1]", "[" + ns + ", 1, 1]",
                       "[\"in\", \"h\", \"b\", \"back\"]")}),
      src, {{"in", &x}, {"h", &h}, {"b", &b}, {"back", &back}}, err))
      << err;
  auto hv = values<uint16_t>(h), bv = values<uint16_t>(b);
  auto bk = values<float>(back);
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(hv[i], ref::doubleToHalf(in[i])) << "f16 of " << in[i];
    EXPECT_EQ(bv[i], ref::doubleToBFloat16(in[i])) << "bf16 of " << in[i];
    EXPECT_EQ(bk[2 * i], float(ref::halfToDouble(hv[i]))) << in[i];
    EXPECT_EQ(bk[2 * i + 1], float(ref::bfloat16ToDouble(bv[i]))) << in[i];
  }
  // NaN stays NaN.
  HostTensor nan = tensor(DType::F32, {n}, std::vector<float>(n, NAN));
  ASSERT_TRUE(runOnce(
      manifest({buffer("in", "input", "f32", "[" + ns + "]"),
                buffer("h", "output", "f16", "[" + ns + "]"),
                buffer("b", "output", "bf16", "[" + ns + "]"),
                buffer("back", "output", "f32", "[" + n2 + "]")},
               {kernel("k_conv", "[1, 1, 1]", "[" + ns + ", 1, 1]",
                       "[\"in\", \"h\", \"b\", \"back\"]")}),
      src, {{"in", &nan}, {"h", &h}, {"b", &b}, {"back", &back}}, err))
      << err;
  EXPECT_TRUE(std::isnan(values<float>(back)[0]));
  EXPECT_TRUE(std::isnan(values<float>(back)[1]));
}

TEST(CpuDevice, DevicePreludeRowAllReduceAndArena) {
  // The device prelude itself, on the host: rowAllReduce over groups of 64
  // threads (shuffles, then shared scratch across the two warps of a
  // group), through an intermediate in the arena read by a second kernel.
  std::string src = devicePrelude() + R"(
extern "C" __global__ void k0_rows(const float *__restrict__ x, unsigned char *__restrict__ arena) {
  float *sums = (float *)(arena + 256);
  __shared__ float scratch[4];
  const idx_t t = dlc::threadInBlock();
  const idx_t row = dlc::blockInGrid() * 2 + t / 64;
  float v = x[row * 64 + t % 64];
  float s = dlc::rowAllReduce<64>(v, dlc::Sum(), scratch);
  float m = dlc::rowAllReduce<64>(v, dlc::Max(), scratch);
  if (t % 64 == 0) {
    sums[2 * row] = s;
    sums[2 * row + 1] = m;
  }
}
extern "C" __global__ void k1_copy(float *__restrict__ y, unsigned char *__restrict__ arena) {
  const float *sums = (const float *)(arena + 256);
  for (idx_t i = dlc::blockInGrid() * dlc::threadsPerBlock() + dlc::threadInBlock(); i < 16;
       i += dlc::blocksPerGrid() * dlc::threadsPerBlock())
    dlc::store(y, i, dlc::load(sums, i));
}
)";
  std::vector<float> in(8 * 64);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = float((i * 37) % 101) * 0.25f;
  HostTensor x = tensor(DType::F32, {8, 64}, in);
  HostTensor y = tensor(DType::F32, {8, 2}, std::vector<float>(16, NAN));
  std::string m = manifest(
      {buffer("x", "input", "f32", "[8, 64]"),
       buffer("y", "output", "f32", "[8, 2]"),
       "{\"name\": \"sums\", \"role\": \"intermediate\", \"dtype\": \"f32\", "
       "\"shape\": [16], \"offset\": 256}"},
      {kernel("k0_rows", "[4, 1, 1]", "[128, 1, 1]", "[\"x\", \"arena\"]"),
       kernel("k1_copy", "[3, 1, 1]", "[4, 1, 1]", "[\"y\", \"arena\"]")},
      512);
  Program p;
  std::string err;
  ASSERT_TRUE(Program::parse(m, src, p, err)) << err;
  CpuDevice dev(options());
  ASSERT_TRUE(dev.load(p, err)) << err;
  ASSERT_EQ(dev.kernels().size(), 2u);
  EXPECT_TRUE(dev.kernels()[0].fibers);
  EXPECT_FALSE(dev.kernels()[1].fibers); // no barrier: a plain loop
  ASSERT_TRUE(dev.run({{"x", &x}, {"y", &y}}, err)) << err;
  auto out = values<float>(y);
  for (int r = 0; r < 8; ++r) {
    float sum = 0, mx = -INFINITY;
    // The tree order of rowAllReduce: lanes pairwise, then the two warps.
    std::vector<float> lanes(in.begin() + r * 64, in.begin() + r * 64 + 64);
    for (int w = 0; w < 2; ++w) {
      std::vector<float> v(lanes.begin() + 32 * w, lanes.begin() + 32 * w + 32);
      for (int mask = 16; mask > 0; mask /= 2) {
        std::vector<float> n2(32);
        for (int l = 0; l < 32; ++l)
          n2[l] = v[l] + v[l ^ mask];
        v = n2;
      }
      sum = w == 0 ? v[0] : sum + v[0];
    }
    for (float v : lanes)
      mx = std::max(mx, v);
    EXPECT_EQ(out[2 * r], sum) << "row " << r;
    EXPECT_EQ(out[2 * r + 1], mx) << "row " << r;
  }
  // A second run of the same device gives the same outputs.
  HostTensor y2 = tensor(DType::F32, {8, 2}, std::vector<float>(16, NAN));
  ASSERT_TRUE(dev.run({{"x", &x}, {"y", &y2}}, err)) << err;
  EXPECT_EQ(y2.bytes, y.bytes);

  // A second device loads the library from the cache.
  CpuDevice again(options(1));
  ASSERT_TRUE(again.load(p, err)) << err;
  EXPECT_TRUE(again.cacheHit());
  EXPECT_EQ(again.libraryPath(), dev.libraryPath());
  HostTensor y3 = tensor(DType::F32, {8, 2}, std::vector<float>(16, NAN));
  ASSERT_TRUE(again.run({{"x", &x}, {"y", &y3}}, err)) << err;
  EXPECT_EQ(y3.bytes, y.bytes);
}

TEST(CpuDevice, DynamicSharedMemory) {
  // 128 KiB of dynamic shared memory (the manifest's shared_bytes): every
  // thread fills a stripe, and after the barrier sums another thread's.
  const char *src = R"(
extern "C" __global__ void k_dyn(float *__restrict__ out) {
  extern __shared__ __align__(128) unsigned char dlc_smem[];
  float *s = reinterpret_cast<float *>(dlc_smem);
  const int t = threadIdx.x;
  for (int i = t; i < 32768; i += 64)
    s[i] = float(blockIdx.x * 7 + i % 13);
  __syncthreads();
  float sum = 0;
  for (int i = (t + 1) % 64; i < 32768; i += 64)
    sum += s[i];
  out[blockIdx.x * 64 + t] = sum;
}
)";
  auto dynKernel = [](int64_t bytes) {
    return "{\"name\": \"k_dyn\", \"grid\": [3, 1, 1], \"block\": [64, 1, "
           "1], \"shared_bytes\": " +
           std::to_string(bytes) + ", \"args\": [\"out\"]}";
  };
  HostTensor y = tensor(DType::F32, {3, 64}, std::vector<float>(192, NAN));
  std::string err;
  ASSERT_TRUE(runOnce(manifest({buffer("out", "output", "f32", "[3, 64]")},
                               {dynKernel(131072)}),
                      src, {{"out", &y}}, err))
      << err;
  auto out = values<float>(y);
  for (int b = 0; b < 3; ++b)
    for (int t = 0; t < 64; ++t) {
      float want = 0;
      for (int i = (t + 1) % 64; i < 32768; i += 64)
        want += float(b * 7 + i % 13);
      ASSERT_EQ(out[b * 64 + t], want) << "block " << b << " thread " << t;
    }
  // More than any target has: the launch fails, saying why.
  EXPECT_FALSE(runOnce(manifest({buffer("out", "output", "f32", "[3, 64]")},
                                {dynKernel(300000)}),
                       src, {{"out", &y}}, err));
  EXPECT_NE(err.find("300000 bytes of dynamic shared memory"),
            std::string::npos)
      << err;
}

TEST(CpuDevice, AtomicsAcrossBlocks) {
  const char *src = R"(
extern "C" __global__ void k_count(float *__restrict__ total, int *__restrict__ hits) {
  atomicAdd(total, 0.5f);
  atomicAdd(hits, 1);
}
)";
  HostTensor total = tensor(DType::F32, {1}, std::vector<float>{0});
  HostTensor hits = tensor(DType::I32, {1}, std::vector<int32_t>{0});
  std::string err;
  ASSERT_TRUE(runOnce(manifest({buffer("total", "output", "f32", "[1]"),
                                buffer("hits", "output", "i32", "[1]")},
                               {kernel("k_count", "[64, 1, 1]", "[32, 1, 1]",
                                       "[\"total\", \"hits\"]")}),
                      src, {{"total", &total}, {"hits", &hits}}, err))
      << err;
  EXPECT_EQ(values<float>(total)[0], 1024.0f);
  EXPECT_EQ(values<int32_t>(hits)[0], 2048);
}

TEST(CpuDevice, DivergentBarrierIsADeadlockError) {
  const char *src = R"(
extern "C" __global__ void k_bad(float *__restrict__ y) {
  if (threadIdx.x != 3)
    __syncthreads();
  else
    __syncwarp();
  y[threadIdx.x] = 1;
}
)";
  HostTensor y = HostTensor::zeros(DType::F32, {64});
  std::string err;
  EXPECT_FALSE(runOnce(manifest({buffer("y", "output", "f32", "[64]")},
                                {kernel("k_bad", "[2, 1, 1]", "[64, 1, 1]",
                                        "[\"y\"]")}),
                       src, {{"y", &y}}, err));
  EXPECT_NE(err.find("kernel k_bad (launch 1 of 1): block ("), std::string::npos)
      << err;
  EXPECT_NE(err.find("deadlock"), std::string::npos) << err;
}

TEST(CpuDevice, CompileErrorNamesTheKernelAndTheSource) {
  const char *src = R"(
extern "C" __global__ void k_ok(float *__restrict__ y) { y[0] = 1; }
extern "C" __global__ void k_broken(float *__restrict__ y) {
  y[0] = undefined_thing;
}
)";
  HostTensor y = HostTensor::zeros(DType::F32, {1});
  std::string err;
  EXPECT_FALSE(runOnce(
      manifest({buffer("y", "output", "f32", "[1]")},
               {kernel("k_ok", "[1, 1, 1]", "[1, 1, 1]", "[\"y\"]"),
                kernel("k_broken", "[1, 1, 1]", "[1, 1, 1]", "[\"y\"]")}),
      src, {{"y", &y}}, err));
  EXPECT_NE(err.find("the host compiler failed in kernel k_broken"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("undefined_thing"), std::string::npos) << err;
  size_t at = err.find("source: ");
  ASSERT_NE(at, std::string::npos) << err;
  std::string path = err.substr(at + 8, err.find('\n', at) - at - 8);
  EXPECT_TRUE(std::filesystem::exists(path)) << path;
}

TEST(CpuDevice, KernelMissingFromTheSource) {
  HostTensor y = HostTensor::zeros(DType::F32, {1});
  std::string err;
  EXPECT_FALSE(runOnce(manifest({buffer("y", "output", "f32", "[1]")},
                                {kernel("k_absent", "[1, 1, 1]", "[1, 1, 1]",
                                        "[\"y\"]")}),
                       "// no kernels\n", {{"y", &y}}, err));
  EXPECT_NE(err.find("k_absent"), std::string::npos) << err;
}

TEST(CpuDevice, MissingCompilerIsReported) {
  CpuDeviceOptions o = options();
  o.compiler = "/nonexistent/c++";
  HostTensor y = HostTensor::zeros(DType::F32, {1});
  std::string err;
  EXPECT_FALSE(runOnce(manifest({buffer("y", "output", "f32", "[1]")},
                                {kernel("k", "[1, 1, 1]", "[1, 1, 1]",
                                        "[\"y\"]")}),
                       "extern \"C\" __global__ void k(float *y) { *y = 1; }",
                       {{"y", &y}}, err, o));
  EXPECT_NE(err.find("cannot run the host C++ compiler '/nonexistent/c++"),
            std::string::npos)
      << err;
}

TEST(CpuDevice, KernelNeedsFibers) {
  const char *src =
      "extern \"C\" __global__ void a(float *y) { y[0] = 1; }\n"
      "extern \"C\" __global__ void b(float *y) { __syncthreads(); }\n"
      "extern \"C\" __global__ void c(float *y) { "
      "dlc::rowAllReduce<32>(1.0f, dlc::Sum(), y); }\n"
      "extern \"C\" __global__ void d(float *y) { y[0] = dlc::shuffleXor(y[0], 1); }\n";
  EXPECT_FALSE(kernelNeedsFibers(src, "a"));
  EXPECT_TRUE(kernelNeedsFibers(src, "b"));
  EXPECT_TRUE(kernelNeedsFibers(src, "c"));
  EXPECT_TRUE(kernelNeedsFibers(src, "d"));
  EXPECT_TRUE(kernelNeedsFibers(src, "missing"));
}
