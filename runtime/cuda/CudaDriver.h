//===- CudaDriver.h - the CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// A thin, checked wrapper over the part of the CUDA driver API that the
// runtime uses. libcuda is loaded with dlopen at run time ("libcuda.so.1",
// or $DLC_CUDA_DRIVER), so a dlc binary starts on a machine without a driver
// or GPU; CudaDriver::get() then fails with a message that says why.
// Nothing here needs cuda.h at build time: the types are declared below
// with the ABI of CUDA 12 and 13 (handles are opaque pointers, CUdevice and
// CUresult ints, CUdeviceptr a 64-bit integer), and the symbols are the ones
// the real library exports for that ABI (cuMemAlloc_v2, cuMemcpyHtoD_v2,
// cuStreamBeginCapture_v2, cuGraphInstantiateWithFlags, ...).
//
// Every wrapper returns false on failure and sets `err` to
//   "<call>: CUDA_ERROR_<NAME> (<error string>) [<n>]"
// and a launch that fails says which kernel and which model nodes it was:
//   "kernel k3_conv1_relu1 (model nodes conv1, relu1), grid [4, 1, 1],
//    block [256, 1, 1]: cuLaunchKernel: CUDA_ERROR_INVALID_VALUE (...)".
// A wrapper never aborts and never throws.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_CUDA_CUDADRIVER_H
#define DLC_RUNTIME_CUDA_CUDADRIVER_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dlc::cuda {

// The driver API's types, with the ABI of cuda.h (CUDA 12/13, 64-bit).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;

inline constexpr CUresult CUDA_SUCCESS = 0;
// CUdevice_attribute values used by the runtime.
inline constexpr int kAttrMultiprocessorCount = 16;
inline constexpr int kAttrComputeCapabilityMajor = 75;
inline constexpr int kAttrComputeCapabilityMinor = 76;
inline constexpr int kAttrMaxSharedMemoryPerBlockOptin = 97;
// CUfunction_attribute CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.
inline constexpr int kFuncAttrMaxDynamicSharedBytes = 8;
// CUstreamCaptureMode CU_STREAM_CAPTURE_MODE_THREAD_LOCAL.
inline constexpr int kCaptureModeThreadLocal = 1;
// CUstream_flags CU_STREAM_NON_BLOCKING.
inline constexpr unsigned kStreamNonBlocking = 1;
// CUevent_flags CU_EVENT_DEFAULT.
inline constexpr unsigned kEventDefault = 0;

/// "CUDA_ERROR_OUT_OF_MEMORY" for the codes the runtime can meet, from a
/// built-in table (the same spelling as cuGetErrorName); "CUDA_ERROR_<n>"
/// for others.
std::string builtinErrorName(CUresult code);

/// "<call>: <name> (<description>) [<code>]"; the description is left out
/// when empty.
std::string formatCudaError(const std::string &call, CUresult code,
                            const std::string &name,
                            const std::string &description);

/// What a launch was for, so that its error can say so.
struct LaunchContext {
  std::string kernel;
  std::vector<std::string> nodes;
  std::array<unsigned, 3> grid{1, 1, 1};
  std::array<unsigned, 3> block{1, 1, 1};
};

/// "kernel <k> (model nodes a, b), grid [x, y, z], block [x, y, z]"
std::string describeLaunch(const LaunchContext &ctx);

class CudaDriver {
public:
  /// The process-wide driver: libcuda loaded, cuInit(0) done, at least one
  /// device present. Null, with `why` set ("no CUDA driver: libcuda.so.1:
  /// cannot open shared object file ...", "no CUDA device: cuInit:
  /// CUDA_ERROR_NO_DEVICE ..."), otherwise. The outcome is remembered for
  /// the life of the process; thread-safe.
  static CudaDriver *get(std::string &why);
  /// get() != nullptr, for callers that only ask.
  static bool available(std::string &why);
  /// Loads the library at `path` (not shared with get()) and runs cuInit.
  /// Null with `why` set when it cannot be loaded, lacks a symbol, or
  /// cuInit fails.
  static std::unique_ptr<CudaDriver> open(const std::string &path,
                                          std::string &why);
  ~CudaDriver();

  /// The loaded file, as dlopen was given it.
  const std::string &libraryPath() const { return libraryPath_; }
  /// cuDriverGetVersion: 12040 for CUDA 12.4.
  int driverVersion() const { return driverVersion_; }

  /// The error's name and description as the driver spells them (the
  /// built-in table when the driver does not know the code).
  std::string errorName(CUresult code) const;
  std::string errorString(CUresult code) const;
  /// formatCudaError with the driver's spellings; false unless `r` is
  /// CUDA_SUCCESS, and then `err` is set.
  bool check(CUresult r, const char *call, std::string &err) const;

  // Devices and contexts.
  bool deviceCount(int &count, std::string &err) const;
  bool deviceGet(CUdevice &dev, int ordinal, std::string &err) const;
  bool deviceName(CUdevice dev, std::string &name, std::string &err) const;
  bool deviceAttribute(CUdevice dev, int attribute, int &value,
                       std::string &err) const;
  /// {major, minor}: {9, 0} on an H100.
  bool computeCapability(CUdevice dev, int &major, int &minor,
                         std::string &err) const;
  /// The device's primary context, retained and made current.
  bool retainPrimaryContext(CUdevice dev, CUcontext &ctx,
                            std::string &err) const;
  bool releasePrimaryContext(CUdevice dev, std::string &err) const;
  bool setCurrentContext(CUcontext ctx, std::string &err) const;
  bool contextSynchronize(std::string &err) const;

  // Modules and kernels.
  bool moduleLoadData(CUmodule &mod, const void *image, std::string &err) const;
  bool moduleUnload(CUmodule mod, std::string &err) const;
  bool moduleGetFunction(CUfunction &fn, CUmodule mod, const std::string &name,
                         std::string &err) const;
  bool funcSetAttribute(CUfunction fn, int attribute, int value,
                        std::string &err) const;
  /// cuLaunchKernel; a failure is prefixed with describeLaunch(ctx).
  bool launchKernel(CUfunction fn, const LaunchContext &ctx,
                    unsigned sharedBytes, CUstream stream, void **params,
                    std::string &err) const;

  // Memory.
  bool memAlloc(CUdeviceptr &ptr, size_t bytes, std::string &err) const;
  bool memFree(CUdeviceptr ptr, std::string &err) const;
  bool memcpyHtoD(CUdeviceptr dst, const void *src, size_t bytes,
                  std::string &err) const;
  bool memcpyDtoH(void *dst, CUdeviceptr src, size_t bytes,
                  std::string &err) const;
  bool memcpyHtoDAsync(CUdeviceptr dst, const void *src, size_t bytes,
                       CUstream stream, std::string &err) const;
  bool memcpyDtoHAsync(void *dst, CUdeviceptr src, size_t bytes,
                       CUstream stream, std::string &err) const;
  bool memsetD8Async(CUdeviceptr dst, unsigned char value, size_t bytes,
                     CUstream stream, std::string &err) const;

  // Streams, graphs, events.
  bool streamCreate(CUstream &stream, unsigned flags, std::string &err) const;
  bool streamDestroy(CUstream stream, std::string &err) const;
  bool streamSynchronize(CUstream stream, std::string &err) const;
  bool streamBeginCapture(CUstream stream, int mode, std::string &err) const;
  bool streamEndCapture(CUstream stream, CUgraph &graph,
                        std::string &err) const;
  bool graphInstantiate(CUgraphExec &exec, CUgraph graph,
                        std::string &err) const;
  bool graphLaunch(CUgraphExec exec, CUstream stream, std::string &err) const;
  bool graphDestroy(CUgraph graph, std::string &err) const;
  bool graphExecDestroy(CUgraphExec exec, std::string &err) const;
  bool eventCreate(CUevent &event, unsigned flags, std::string &err) const;
  bool eventDestroy(CUevent event, std::string &err) const;
  bool eventRecord(CUevent event, CUstream stream, std::string &err) const;
  bool eventSynchronize(CUevent event, std::string &err) const;
  /// Milliseconds between two recorded events.
  bool eventElapsedTime(float &ms, CUevent start, CUevent end,
                        std::string &err) const;

  struct Api;

private:
  CudaDriver();
  std::unique_ptr<Api> api_;
  void *handle_ = nullptr;
  std::string libraryPath_;
  int driverVersion_ = 0;
};

} // namespace dlc::cuda

#endif // DLC_RUNTIME_CUDA_CUDADRIVER_H
