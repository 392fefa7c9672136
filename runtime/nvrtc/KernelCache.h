//===- KernelCache.h - compiled kernels cached on disk, MLIR-free -*- C++ -*-=//
//
// Compiled code (cubin or PTX) cached on disk, so a warm start never runs
// NVRTC. The key is the SHA-256 of: the entry format version, the
// compiler's identity (NVRTC version, library path and size), the arch,
// every option that reaches the compiler (the -I directory included), the
// warnings-as-errors flag, the program name, the values of the
// cache-invalidating DLC_* variables (runtime/core/Env.h), and the source.
//
// Root: $DLC_CACHE_DIR, else $XDG_CACHE_HOME/dlc (when absolute), else
// $HOME/.cache/dlc. Entries: <root>/kernels/<64 hex digits of the key>.bin.
// $DLC_KERNEL_CACHE=0 (or off) turns the disk cache off.
//
// An entry is a 112-byte header (magic, format version, key, arch, payload
// and log sizes, SHA-256 of payload and log) followed by the payload and
// the compile log. Every lookup checks all of it (and, for sm_ arches, that
// the payload is an ELF file); an entry that fails any check (truncated,
// corrupted, another key's or arch's) is never used: it is rebuilt and
// overwritten. Writers write <entry>.tmp.<pid>.<n> and rename it over the
// entry, so readers see a whole old entry or a whole new one, and of two
// processes compiling the same key both get a correct result (the last
// rename wins, and both wrote the same bytes).
//
// A cache directory that cannot be created or written does not fail the
// compile: the kernel is compiled, the result is returned uncached, and a
// warning naming the path and the reason is set in CachedKernel::warning
// (and printed once per KernelCache to stderr unless turned off).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_NVRTC_KERNELCACHE_H
#define DLC_RUNTIME_NVRTC_KERNELCACHE_H

#include "runtime/core/CacheDir.h"
#include "runtime/nvrtc/Nvrtc.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace dlc {

enum class CacheOutcome {
  Hit,      // a valid entry was used; the compiler did not run
  Miss,     // no entry: compiled and stored
  Rebuilt,  // an entry was there but bad: compiled and overwritten
  Uncached, // the disk cache is off or unwritable: compiled, not stored
};
const char *cacheOutcomeName(CacheOutcome o);

struct CachedKernel {
  NvrtcOutput output;
  CacheOutcome outcome = CacheOutcome::Uncached;
  /// 64 hex digits.
  std::string key;
  /// The entry file; empty when the disk cache is off.
  std::string entryPath;
  /// Why an entry was rebuilt, or why it was not stored; empty otherwise.
  std::string warning;
};

/// One KernelCache may be used from several threads at once when its
/// compiler may (Nvrtc may).
class KernelCache {
public:
  /// Caches what `compiler` produces under `<root>/kernels`; an empty `root`
  /// means cacheRoot(), and then $DLC_KERNEL_CACHE may turn the cache off.
  explicit KernelCache(KernelCompiler &compiler, std::string root = {});

  /// Looks the kernel up, compiling (and storing) it when there is no valid
  /// entry. False only when the compile itself fails (`err` then holds the
  /// compiler's message); cache trouble is a warning, never a failure.
  bool getOrCompile(const std::string &source, const NvrtcOptions &opts,
                    CachedKernel &out, std::string &err);

  /// The key getOrCompile would use, as 64 hex digits.
  std::string key(const std::string &source, const NvrtcOptions &opts) const;
  /// <root>/kernels/<key>.bin; empty when the disk cache is off.
  std::string entryPath(const std::string &key) const;
  /// <root>/kernels; empty when the disk cache is off.
  const std::string &dir() const { return dir_; }
  bool enabled() const { return !dir_.empty(); }
  /// Print "dlc: warning: ..." to stderr the first time the cache directory
  /// cannot be used (default on).
  void setWarnToStderr(bool on) { warnToStderr_ = on; }

private:
  KernelCompiler &compiler_;
  std::string dir_;
  std::string offReason_; // why dir_ is empty, when not by request
  bool warnToStderr_ = true;
  std::atomic<bool> warned_{false};
};


//===----------------------------------------------------------------------===//
// The entry format, exposed for tests and tools
//===----------------------------------------------------------------------===//

inline constexpr size_t kCacheHeaderSize = 112;
inline constexpr uint32_t kCacheFormatVersion = 1;

/// Header + payload + log.
std::vector<uint8_t> encodeCacheEntry(const std::string &keyHex,
                                      const std::string &arch,
                                      const NvrtcOutput &output);
/// Checks every field against `keyHex` and `arch`; false with `why` set
/// ("truncated: ...", "checksum mismatch", "arch is sm_80, want sm_90", ...).
bool decodeCacheEntry(const std::vector<uint8_t> &bytes,
                      const std::string &keyHex, const std::string &arch,
                      NvrtcOutput &out, std::string &why);

} // namespace dlc

#endif // DLC_RUNTIME_NVRTC_KERNELCACHE_H
