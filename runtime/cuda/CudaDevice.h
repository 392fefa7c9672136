//===- CudaDevice.h - run a Program on a GPU --------------------*- C++ -*-===//
//
// The CUDA device: load() compiles the program's kernels.cu with NVRTC
// through the KernelCache for the GPU's arch (sm_<major><minor> from its
// compute capability; a GPU newer than NVRTC knows gets PTX for the newest
// arch NVRTC has, JIT-compiled by the driver), loads the cubin, finds every
// kernel, and allocates the arena and one device buffer per input, param
// and output, once. run() copies inputs and params in, launches the kernels
// in manifest order on one stream, and copies the outputs back.
//
// The first run launches kernel by kernel and synchronizes after each, so a
// kernel that faults is named in the error (with its model nodes). Later
// runs replay a CUDA graph captured once (stream capture of the same
// launches; the device pointers never change after load()). With
// `profile`, every run launches kernel by kernel between CUDA events and
// lastTimings() holds each kernel's start and duration, for a Chrome trace
// (runtime/cuda/Trace.h, `dlc run --profile=trace.json`).
//
// libcuda is loaded at run time (runtime/cuda/CudaDriver.h): create() fails with
// the reason ("no CUDA driver: ...") on a machine without one. MLIR-free.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_CUDA_CUDADEVICE_H
#define DLC_RUNTIME_CUDA_CUDADEVICE_H

#include "runtime/core/Device.h"
#include "runtime/nvrtc/KernelCache.h"

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace dlc {

class TraceWriter;

struct CudaDeviceOptions {
  /// Which GPU (cuDeviceGet ordinal).
  int ordinal = 0;
  /// Kernel cache root; empty: cacheRoot() (see KernelCache.h).
  std::string cacheRoot;
  /// Replay later runs as a CUDA graph (default on).
  bool useGraph = true;
  /// Time every kernel with CUDA events (runs launch kernel by kernel).
  bool profile = false;
  /// Fill the device's output buffers with 0xff bytes (NaN for every float
  /// type) before each run, so an element no kernel writes shows.
  bool poisonOutputs = false;
};

struct KernelTiming {
  std::string name;
  std::vector<std::string> nodes;
  std::array<int64_t, 3> grid{1, 1, 1}, block{1, 1, 1};
  /// From the start of the run's first kernel, in microseconds.
  double startUs = 0, durationUs = 0;
};

class CudaDevice : public Device {
public:
  /// The device `opts.ordinal` with its primary context; null with `err`
  /// set when there is no driver or GPU.
  static std::unique_ptr<CudaDevice> create(const CudaDeviceOptions &opts,
                                            std::string &err);
  ~CudaDevice() override;

  const char *name() const override { return "cuda"; }
  std::string codegenTarget() const override {
    return arch() == "sm_90a" ? "sm_90" : "sm_80";
  }
  bool load(const Program &program, std::string &err) override;
  bool run(const BufferBindings &bindings, std::string &err) override;

  /// "NVIDIA H100 80GB HBM3".
  const std::string &deviceName() const;
  /// What NVRTC compiles for: "sm_90", or "compute_XX" (PTX) for a GPU
  /// newer than NVRTC.
  const std::string &arch() const;
  /// How the last load() got its code (Hit: no NVRTC run).
  CacheOutcome cacheOutcome() const;
  /// Runs so far since load(), and how many of them replayed the graph.
  unsigned runs() const;
  unsigned graphReplays() const;
  /// The kernels of the last run with `profile` set, in launch order.
  const std::vector<KernelTiming> &lastTimings() const;
  /// Adds lastTimings() to `trace` (one "X" event per kernel, args: model
  /// nodes, grid, block), on thread `tid` of process 1.
  void addTimingsTo(TraceWriter &trace, int tid = 1) const;

  struct Impl;

private:
  explicit CudaDevice(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The NVRTC arch for a GPU of compute capability major.minor given the SM
/// numbers NVRTC supports (Nvrtc::supportedArchs): "sm_<mm>" when
/// supported ("sm_90a" for 9.0: wgmma), else "compute_<s>" for the newest supported s below it, else
/// "" (the GPU is too old).
std::string chooseArch(int major, int minor, const std::vector<int> &supported);

} // namespace dlc

#endif // DLC_RUNTIME_CUDA_CUDADEVICE_H
