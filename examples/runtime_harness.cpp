//===- runtime_harness.cpp - run a compiled model with the dlc runtime ----===//
//
// The example of docs/runtime.md: load a Program, pick a Device, bind host
// tensors, run, read the outputs. MLIR-free: links only the runtime.
//
//   runtime_harness                      a built-in two-kernel program
//   runtime_harness DIR [name=x.npy ...] DIR from `dlc model.json -o DIR`;
//                                        unbound inputs/params get a fixed
//                                        pattern; prints every output
//
// Exit code 0 on success, 1 on any error (printed).
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/CpuDevice.h"
#include "runtime/core/Program.h"
#include "runtime/io/TensorFile.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

namespace {

// y = relu(a * x + b) elementwise (no barrier: each block's threads run as
// a plain loop), then the sum of y in one block through shared memory and
// barriers (threads as fibers).
const char *kManifest = R"({
  "version": 1, "arena_bytes": 4096,
  "buffers": [
    {"name": "x", "role": "input", "dtype": "f32", "shape": [1000]},
    {"name": "ab", "role": "param", "dtype": "f32", "shape": [2]},
    {"name": "total", "role": "output", "dtype": "f32", "shape": []},
    {"name": "y", "role": "intermediate", "dtype": "f32", "shape": [1000], "offset": 0}
  ],
  "kernels": [
    {"name": "k0_axpb_relu", "grid": [4, 1, 1], "block": [128, 1, 1], "shared_bytes": 0,
     "args": ["x", "ab", "arena"], "nodes": ["axpb", "relu"]},
    {"name": "k1_sum", "grid": [1, 1, 1], "block": [256, 1, 1], "shared_bytes": 0,
     "args": ["total", "arena"], "nodes": ["sum"]}
  ]
})";

const char *kSource = R"(
extern "C" __global__ void k0_axpb_relu(const float *__restrict__ x,
    const float *__restrict__ ab, unsigned char *__restrict__ arena) {
  float *y = (float *)(arena + 0);
  for (long long i = blockIdx.x * blockDim.x + threadIdx.x; i < 1000;
       i += gridDim.x * blockDim.x)
    y[i] = fmaxf(ab[0] * x[i] + ab[1], 0.0f);
}
extern "C" __global__ void k1_sum(float *__restrict__ total,
    unsigned char *__restrict__ arena) {
  const float *y = (const float *)(arena + 0);
  __shared__ float partial[256];
  float s = 0;
  for (int i = threadIdx.x; i < 1000; i += 256)
    s += y[i];
  partial[threadIdx.x] = s;
  __syncthreads();
  for (int stride = 128; stride > 0; stride /= 2) {
    if (threadIdx.x < stride)
      partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0)
    *total = partial[0];
}
)";

int fail(const std::string &msg) {
  std::fprintf(stderr, "runtime_harness: %s\n", msg.c_str());
  return 1;
}

/// A deterministic pattern in [-1, 1) for floats, small integers otherwise.
void fillPattern(dlc::HostTensor &t) {
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = double((i * 7919) % 2000) / 1000.0 - 1.0;
    uint8_t *p = t.bytes.data() + i * dlc::dtypeSize(t.dtype);
    switch (t.dtype) {
    case dlc::DType::F32: {
      float f = float(v);
      std::memcpy(p, &f, 4);
      break;
    }
    case dlc::DType::F64:
      std::memcpy(p, &v, 8);
      break;
    case dlc::DType::I64: {
      int64_t k = i % 3;
      std::memcpy(p, &k, 8);
      break;
    }
    case dlc::DType::I32: {
      int32_t k = int32_t(i % 3);
      std::memcpy(p, &k, 4);
      break;
    }
    default: // f16, bf16, i1: zeros
      break;
    }
  }
}

} // namespace

int main(int argc, char **argv) {
  // 1. The program: from a directory, or the built-in one.
  dlc::Program program;
  std::string err;
  bool builtIn = argc < 2;
  if (builtIn ? !dlc::Program::parse(kManifest, kSource, program, err)
              : !dlc::Program::load(argv[1], program, err))
    return fail(err);

  // 2. Host tensors for every input, param and output.
  std::map<std::string, dlc::HostTensor> tensors;
  for (int i = 2; i < argc; ++i) {
    std::string spec = argv[i];
    size_t eq = spec.find('=');
    if (eq == std::string::npos)
      return fail("expected name=file.npy, got '" + spec + "'");
    if (!dlc::readTensorFile(spec.substr(eq + 1), "",
                             tensors[spec.substr(0, eq)], err))
      return fail(spec + ": " + err);
  }
  for (const dlc::ProgramBuffer &b : program.buffers())
    if ((b.role == dlc::BufferRole::Input ||
         b.role == dlc::BufferRole::Param) &&
        !tensors.count(b.name)) {
      tensors[b.name] = dlc::HostTensor::zeros(b.dtype, b.shape);
      fillPattern(tensors[b.name]);
    }
  if (builtIn) { // ab = [2, -0.5]
    float ab[2] = {2.0f, -0.5f};
    std::memcpy(tensors["ab"].bytes.data(), ab, sizeof(ab));
  }
  for (auto &[name, t] : dlc::makeOutputs(program, /*poison=*/true))
    tensors[name] = std::move(t);
  dlc::BufferBindings bindings;
  for (auto &[name, t] : tensors)
    bindings[name] = &t;

  // 3. A device: load (compile, or reuse the cached library), then run.
  dlc::CpuDevice device;
  if (!device.load(program, err) || !device.run(bindings, err))
    return fail(err);

  // 4. The outputs.
  for (const dlc::ProgramBuffer &b : program.buffers()) {
    if (b.role != dlc::BufferRole::Output)
      continue;
    const dlc::HostTensor &t = tensors[b.name];
    std::printf("%s: %s %s", b.name.c_str(),
                std::string(dlc::dtypeName(t.dtype)).c_str(),
                dlc::formatShape(t.shape).c_str());
    if (t.dtype == dlc::DType::F32) {
      const float *v = reinterpret_cast<const float *>(t.bytes.data());
      for (int64_t i = 0; i < std::min<int64_t>(t.numel(), 8); ++i)
        std::printf("%s%.6g", i ? ", " : " = ", v[i]);
      if (t.numel() > 8)
        std::printf(", ...");
    }
    std::printf("\n");
  }
  if (builtIn) { // check against the same sum in double
    double want = 0;
    dlc::HostTensor x = tensors["x"];
    const float *xv = reinterpret_cast<const float *>(x.bytes.data());
    for (int i = 0; i < 1000; ++i)
      want += std::fmax(2.0f * xv[i] - 0.5f, 0.0f);
    float got;
    std::memcpy(&got, tensors["total"].bytes.data(), 4);
    if (!(std::fabs(got - want) <= 1e-4 * std::fabs(want)))
      return fail("total is " + std::to_string(got) + ", expected " +
                  std::to_string(want));
    std::printf("ok: matches %.6g\n", want);
  }
  return 0;
}
