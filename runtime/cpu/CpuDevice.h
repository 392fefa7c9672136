//===- CpuDevice.h - run the emitted CUDA kernels on the host ---*- C++ -*-===//
//
// The CPU device compiles a Program's CUDA source with the host C++
// compiler against the host prelude (runtime/cpu/dlc_host.h), which
// defines what CUDA would (threadIdx, __syncthreads, __shared__, shuffles,
// __half, ...), so the kernels run unchanged. Per kernel it adds an
// `extern "C" int dlc_host_launch_<kernel>(const dlc_host_launch *)`
// wrapper; the kernel text itself is not touched. The shared library is
// cached on disk (<cache root>/cpu/<key>.so, key = SHA-256 of the source,
// the prelude, the wrappers, the compiler's path and --version, the flags
// (-O3 -march=native by default) and the cache-invalidating DLC_*
// variables), checked (runtime/cpu/CpuLibrary.h: what it was built from,
// size, SHA-256; a bad entry is rebuilt) and dlopen'ed.
//
// Execution: blocks are spread over a thread pool (DLC_CPU_THREADS, default
// the hardware's); the threads of a block run as fibers when the kernel's
// text has a barrier or warp operation, else as a plain loop. See
// docs/runtime.md. MLIR-free.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_CPU_CPUDEVICE_H
#define DLC_RUNTIME_CPU_CPUDEVICE_H

#include "runtime/core/Device.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dlc {

struct CpuDeviceOptions {
  /// The compiler command, split at spaces; empty: $DLC_HOST_CXX, else c++.
  std::string compiler;
  /// Worker threads; 0: $DLC_CPU_THREADS, else hardware_concurrency.
  unsigned threads = 0;
  /// Cache root (the library goes in <root>/cpu); empty: cacheRoot(), and
  /// $DLC_KERNEL_CACHE=0 turns the cache off (a temporary directory then).
  std::string cacheRoot;
  /// A library from buildCpuLibrary holding the program's kernels: load()
  /// dlopens it instead of compiling, and finds kernel K's launcher as
  /// dlc_host_launch_<libraryPrefix>K.
  std::string library, libraryPrefix;
  /// Print cache notes ("rebuilt <path>: checksum mismatch") to stderr as
  /// "dlc: warning: ..." (they are in cacheNote() either way).
  bool warnToStderr = true;
};

/// How one kernel is run (filled by load()) and what its launches did
/// since (counted by run()).
struct CpuKernelInfo {
  std::string name;
  /// Its threads run as fibers (it has a barrier or warp operation).
  bool fibers = true;
  uint64_t launches = 0;
  /// Context switches between its fibers (0 for a plain-loop kernel).
  uint64_t fiberSwitches = 0;
  uint64_t fiberBlocks = 0, loopBlocks = 0;
};

/// A CpuDevice's counts since load() or resetStats(), over all kernels.
/// $DLC_CPU_STATS=1 prints them (and each kernel's) when the device goes.
struct CpuRunStats {
  uint64_t runs = 0, launches = 0, fiberSwitches = 0;
  uint64_t fiberBlocks = 0, loopBlocks = 0;
};

class CpuDevice : public Device {
public:
  explicit CpuDevice(CpuDeviceOptions opts = {});
  ~CpuDevice() override;

  const char *name() const override { return "cpu"; }
  bool load(const Program &program, std::string &err) override;
  bool run(const BufferBindings &bindings, std::string &err) override;

  /// After load(): the kernels in launch order, and whether the library came
  /// from the cache.
  const std::vector<CpuKernelInfo> &kernels() const;
  bool cacheHit() const;
  /// Why load() did not use the cached library it found ("rebuilt <path>:
  /// truncated: ..."), or could not cache the one it built; "" normally.
  const std::string &cacheNote() const;
  /// The counts of the runs since load() or resetStats().
  CpuRunStats stats() const;
  void resetStats();
  /// The compiled library's path ("" before load()).
  const std::string &libraryPath() const;
  unsigned threads() const;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

/// The host prelude's text, as embedded in the binary.
const char *hostPrelude();

/// The launcher source CpuDevice appends for `program`'s kernels.
std::string hostLaunchers(const Program &program);

/// Compiles the kernels of several programs into one host library with one
/// compiler run, cached like load()'s (<cache root>/cpu/<key>.so, the key
/// over the whole translation unit; the cache must be on or cacheRoot set).
/// Program i's source goes in namespace dlc_p<i>, its kernels renamed and
/// its launchers prefixed with batchLauncherPrefix(i), so a CpuDevice with
/// {library = libPath, libraryPrefix = batchLauncherPrefix(i)} loads it
/// without compiling. Many small programs (the ONNX conformance cases) then
/// cost one compiler start and one parse of the prelude in all. A compile
/// error fails the whole library: build the program alone to find it.
bool buildCpuLibrary(const std::vector<const Program *> &programs,
                     const CpuDeviceOptions &opts, std::string &libPath,
                     std::string &err);

/// "p<i>_": the launcher prefix of program i in buildCpuLibrary's library.
std::string batchLauncherPrefix(size_t i);

/// Whether the kernel named `kernel` in `source` needs its threads as
/// fibers: its text (from its `__global__` to the next one) mentions a
/// barrier or warp operation. True when the kernel cannot be found.
bool kernelNeedsFibers(const std::string &source, const std::string &kernel);

} // namespace dlc

#endif // DLC_RUNTIME_CPU_CPUDEVICE_H
