//===- Env.h - every DLC_* environment variable, in one place ---*- C++ -*-===//
//
// The one list of the environment variables dlc reads. Each is marked
// cache-invalidating or not: a cache-invalidating variable can change the
// code that is compiled, so KernelCache puts its value into every cache key
// (it walks this table, so a variable added here with `invalidatesCache`
// set reaches the key without further code). A variable that only says
// where things are, or whether to cache at all, is not.
//
// Read a variable through `dlc::getEnv(Env::X)`, never through getenv with
// a spelled-out "DLC_..." string, so that this table stays complete.
//
// Other (non-DLC) variables read by the runtime, for the record:
//   XDG_CACHE_HOME, HOME   where the kernel cache lives (see KernelCache.h)
//   CUDA_HOME, CUDA_PATH   where to look for libnvrtc and the CUDA headers
//   TMPDIR                 where failed sources are dumped if the cache
//                          directory is not writable
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_CORE_ENV_H
#define DLC_RUNTIME_CORE_ENV_H

#include <cstdlib>
#include <optional>
#include <string>

namespace dlc {

enum class Env {
  CacheDir,
  KernelCache,
  NvrtcPath,
  CudaInclude,
  CudaDriver,
  HostCxx,
  HostCxxFlags,
  CpuThreads,
  HostArch,
  CpuStats,
};

struct EnvVar {
  Env id;
  const char *name;
  /// True when the value can change compiled code, so it is part of every
  /// kernel cache key.
  bool invalidatesCache;
  const char *meaning;
};

inline constexpr EnvVar kEnvVars[] = {
    {Env::CacheDir, "DLC_CACHE_DIR", false,
     "root of the on-disk cache (default $XDG_CACHE_HOME/dlc, else "
     "~/.cache/dlc); kernels go in <root>/kernels"},
    {Env::KernelCache, "DLC_KERNEL_CACHE", false,
     "'0' or 'off' turns the on-disk kernel cache off: every kernel is "
     "compiled, nothing is read or written"},
    {Env::NvrtcPath, "DLC_NVRTC_PATH", false,
     "the libnvrtc shared library to load (a path); default: libnvrtc.so.13, "
     "then libnvrtc.so, on the loader's path, then under CUDA_HOME, "
     "CUDA_PATH, /usr/local/cuda. Not cache-invalidating by itself: the "
     "loaded library's version and size are in the key"},
    {Env::CudaInclude, "DLC_CUDA_INCLUDE", true,
     "directory holding cuda_fp16.h and cuda_bf16.h for NVRTC (default: "
     "found next to libnvrtc, else CUDA_HOME/include, CUDA_PATH/include, "
     "/usr/local/cuda/include)"},
    {Env::CudaDriver, "DLC_CUDA_DRIVER", false,
     "the libcuda shared library to load (a path or file name; default "
     "libcuda.so.1 on the loader's path); a file that does not exist makes "
     "dlc behave as on a machine without a driver"},
    {Env::HostCxx, "DLC_HOST_CXX", false,
     "the host C++ compiler the cpu device compiles kernels with (a "
     "command, split at spaces; default c++). Not cache-invalidating by "
     "itself: its path and --version output are in the cpu device's key"},
    {Env::HostCxxFlags, "DLC_HOST_CXXFLAGS", true,
     "extra flags for the cpu device's compiler, after the defaults "
     "(e.g. '-O0 -g' to debug a kernel, '-fsanitize=address')"},
    {Env::CpuThreads, "DLC_CPU_THREADS", false,
     "worker threads of the cpu device (default: the hardware's)"},
    {Env::HostArch, "DLC_HOST_ARCH", false,
     "the -march the cpu device compiles kernels for (default native: "
     "this machine's vector units; 'none' passes no -march, for a cache "
     "shared by different machines). Not cache-invalidating by itself: "
     "the flags, and for native what the compiler resolves it to, are in "
     "the cpu device's key"},
    {Env::CpuStats, "DLC_CPU_STATS", false,
     "1: the cpu device prints, when it is destroyed, its runs, launches, "
     "fiber switches and per-kernel counts to stderr"},
};

inline const EnvVar &envVar(Env id) {
  for (const EnvVar &v : kEnvVars)
    if (v.id == id)
      return v;
  std::abort(); // every Env has a row; a missing one is a bug here
}

/// The variable's value, or nullopt when it is unset or empty.
inline std::optional<std::string> getEnv(Env id) {
  const char *v = std::getenv(envVar(id).name);
  if (!v || !*v)
    return std::nullopt;
  return std::string(v);
}

} // namespace dlc

#endif // DLC_RUNTIME_CORE_ENV_H
