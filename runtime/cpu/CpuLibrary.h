//===- CpuLibrary.h - the CPU device's compiler and library cache -*- C++ -*-===//
//
// How the CPU device turns a translation unit into a shared library: the
// host compiler and its flags (-O3 -march=native by default), the cache
// key, the compile, and the checks a cached library passes before it is
// dlopen'ed. Every library dlc writes ends with a trailer stamping what it
// was built from (the key, and hashes of the source, the compiler and the
// flags) plus its size and SHA-256; a cache entry that is not a regular
// file, is cut short, fails the checksum or was built from something else
// is never loaded: it is rebuilt, with a note saying why. See
// docs/runtime-cache.md. MLIR-free.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_CPU_CPULIBRARY_H
#define DLC_RUNTIME_CPU_CPULIBRARY_H

#include "runtime/nvrtc/Hash.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlc {

struct CpuDeviceOptions;

/// The host compiler command, its flags, its identity (--version) and
/// what its =native flags resolve to on this machine.
struct HostCompiler {
  std::vector<std::string> cmd, flags;
  std::string identity, nativeFlags;
};

/// The compiler of `opts` (else $DLC_HOST_CXX, else c++) with the default
/// flags, -march=$DLC_HOST_ARCH (default native; "none": no -march) and
/// $DLC_HOST_CXXFLAGS; false with `err` when it cannot be run.
bool findHostCompiler(const CpuDeviceOptions &opts, HostCompiler &hc,
                      std::string &err);

/// What a library was built from; its trailer holds these.
struct CpuLibraryStamp {
  Sha256Digest key{};      // the cache key: covers all of the below
  Sha256Digest source{};   // the translation unit
  Sha256Digest compiler{}; // command and identity
  Sha256Digest flags{};    // the flags, in order, and what =native means
};

/// The stamp of `tu` built by `hc` (the key also covers the format version
/// and the cache-invalidating DLC_* variables).
CpuLibraryStamp stampOf(const HostCompiler &hc, const std::string &tu);

/// The line a library's translation unit ends with: it exports the key as
/// `dlc_host_library_key`, which load checks after dlopen.
std::string keySymbolSource(const CpuLibraryStamp &stamp);

/// <root>/cpu, created (root: the options', else cacheRoot() unless
/// $DLC_KERNEL_CACHE turns the cache off); empty when there is no cache.
std::string cpuCacheDirectory(const CpuDeviceOptions &opts);

/// Outcome of checkCpuLibrary.
enum class LibraryCheck { Ok, Missing, Bad };

/// Checks the file at `path` without loading it: a regular file (lstat: a
/// symlink, FIFO or directory is refused, and nothing is opened that could
/// block), with a whole trailer, the size it records and the SHA-256 it
/// records, an ELF image, and (when `want` is set) built from what `want`
/// says. Bad sets `why` ("truncated: ...", "checksum mismatch", "built
/// from another source", ...).
LibraryCheck checkCpuLibrary(const std::string &path,
                             const CpuLibraryStamp *want, std::string &why);

/// The result of compileCpuLibrary.
struct CompiledLibrary {
  /// Where the library is: <dir>/<key>.so, or a temporary file when it
  /// could not be put there (`note` says why; the caller loads and then
  /// deletes it).
  std::string path;
  bool temporary = false;
  std::string note;
  /// On a compiler failure: its exit status (else 0), output and command.
  int exitCode = 0;
  std::string log, command, sourcePath;
};

/// Compiles `tu` (which ends with keySymbolSource(stamp)) into
/// <dir>/<key>.so, the source kept as <dir>/<key>.cpp and the stub CUDA
/// headers in <dir>/include: to a temporary name, stamped, then renamed
/// over whatever was there. False with `err` (and, for a compiler failure,
/// out.exitCode / log / command).
bool compileCpuLibrary(const HostCompiler &hc, const std::string &tu,
                       const CpuLibraryStamp &stamp, const std::string &dir,
                       CompiledLibrary &out, std::string &err);

/// Checks, after dlopen, that `handle` exports the ABI version this
/// runtime speaks and (when `key` is not empty) the library key `key`.
bool checkLoadedLibrary(void *handle, const std::string &key,
                        std::string &why);

} // namespace dlc

#endif // DLC_RUNTIME_CPU_CPULIBRARY_H
