//===- Device.h - where a compiled Program runs ----------------*- C++ -*-===//
//
// A Device runs a Program (runtime/core/Program.h): load() compiles the kernel
// source for the device (cached on disk) and allocates the arena; run()
// copies in the bound inputs and params, launches every kernel in manifest
// order with its grid, block, shared bytes and arguments, and copies the
// outputs back into the bound host tensors. Implementations:
//   CpuDevice  (runtime/cpu/CpuDevice.h)   the same CUDA source compiled for the
//              host against runtime/cpu/dlc_host.h; blocks on a thread
//              pool, the threads of a block as fibers where needed
//   CudaDevice (runtime/cuda/CudaDevice.h)  NVRTC + the CUDA driver
// docs/runtime.md has an example. MLIR-free.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_CORE_DEVICE_H
#define DLC_RUNTIME_CORE_DEVICE_H

#include "runtime/core/Program.h"

#include <memory>
#include <string>

namespace dlc {

class Device {
public:
  virtual ~Device() = default;

  /// "cpu", "cuda".
  virtual const char *name() const = 0;

  /// The codegen target (passes/Schedule.h) whose kernels this device runs:
  /// the CPU device runs any (sm_90, the default, includes the wgmma path);
  /// a GPU runs sm_90 kernels only on sm_90a (wgmma), others sm_80.
  virtual std::string codegenTarget() const { return "sm_90"; }

  /// Prepares `program` to run: compiles (or fetches from the kernel cache)
  /// its source, finds every kernel, allocates the arena. The device keeps
  /// its own copy of what it needs; `program` may go away afterwards. False
  /// with `err` set (a compile failure names the kernel or the dumped source
  /// and carries the compiler's log). May be called again to load another
  /// program.
  virtual bool load(const Program &program, std::string &err) = 0;

  /// Runs the loaded program once. `bindings` holds a host tensor for every
  /// input, param and output with exactly the manifest's dtype and shape
  /// (checkBindings); inputs and params are read, outputs overwritten. The
  /// arena's contents are undefined between runs. False with `err` set
  /// (naming the kernel when one fails).
  virtual bool run(const BufferBindings &bindings, std::string &err) = 0;
};

} // namespace dlc

#endif // DLC_RUNTIME_CORE_DEVICE_H
