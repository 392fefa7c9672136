//===- Nvrtc.h - CUDA C++ to cubin in-process, MLIR-free --------*- C++ -*-===//
//
// Compiles CUDA C++ source to a cubin (arch "sm_80", "sm_90", ...) or to PTX
// (arch "compute_80", ...) with NVRTC. libnvrtc is loaded at run time with
// dlopen, so a dlc binary starts, and everything but compilation works, on
// a machine without the CUDA toolkit; Nvrtc::get() then fails with a message
// that says what was tried. Nothing here needs nvrtc.h at build time.
//
// Library search (first that loads): $DLC_NVRTC_PATH (then nothing else),
// libnvrtc.so.13, libnvrtc.so, libnvrtc.so.12 on the loader's path, then
// lib64/ and lib/ under $CUDA_HOME, $CUDA_PATH and /usr/local/cuda, then the
// library directory of the toolkit CMake found at build time, if any.
//
// CUDA headers (cuda_fp16.h, cuda_bf16.h) are found at $DLC_CUDA_INCLUDE,
// else next to the library (<lib>/../include), else under $CUDA_HOME,
// $CUDA_PATH, /usr/local/cuda, the build-time toolkit; the directory is
// passed as -I.
//
// Functions return false on failure and set `err`. A failed compilation's
// `err` names the program, the arch and the NVRTC error, the path of a file
// holding the source (so the "kernels.cu(12): error: ..." lines of the log
// can be read against it), and then the whole program log.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_NVRTC_NVRTC_H
#define DLC_RUNTIME_NVRTC_NVRTC_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dlc {

struct NvrtcOptions {
  /// "sm_XX" (also "sm_90a") gives a cubin; "compute_XX" gives PTX.
  std::string arch = "sm_80";
  /// Appended after dlc's own options ("-lineinfo", "-DTILE=64", ...).
  std::vector<std::string> extraOptions;
  /// A compile whose log is not empty fails; the log is returned. NVRTC has
  /// no -Werror, so dlc checks the log itself.
  bool warningsAsErrors = false;
  /// The name NVRTC uses in its log ("kernels.cu(3): error: ...").
  std::string programName = "kernels.cu";
  /// Where the source of a failed compile is written; empty: <cache root>/
  /// failed (see KernelCache.h), or $TMPDIR (else /tmp) if that fails.
  std::string dumpDir;
};

struct NvrtcOutput {
  /// The cubin (an ELF file) for sm_XX, the PTX text for compute_XX.
  std::vector<uint8_t> image;
  /// NVRTC's program log: empty for a clean compile, else the warnings.
  std::string log;
};

/// What KernelCache needs of a compiler. Nvrtc is the real one; tests use a
/// fake one to exercise the cache without NVRTC.
class KernelCompiler {
public:
  virtual ~KernelCompiler() = default;
  /// Changes whenever the compiler could produce different code.
  virtual std::string identity() const = 0;
  /// Every option that reaches the compiler for `opts`, in order.
  virtual std::vector<std::string> options(const NvrtcOptions &opts) const = 0;
  virtual bool compile(const std::string &source, const NvrtcOptions &opts,
                       NvrtcOutput &out, std::string &err) = 0;
};

class Nvrtc : public KernelCompiler {
public:
  /// The process-wide NVRTC, loaded on first use (thread-safe). Null, with
  /// `err` saying what was tried, when no libnvrtc can be loaded; the
  /// outcome is remembered for the life of the process.
  static Nvrtc *get(std::string &err);
  /// Loads the library at `path` (a file name or path, as for dlopen), not
  /// shared with get(). The library stays loaded.
  static std::unique_ptr<Nvrtc> open(const std::string &path, std::string &err);
  ~Nvrtc() override;

  int majorVersion() const { return major_; }
  int minorVersion() const { return minor_; }
  /// "13.0"
  std::string version() const;
  /// The loaded file, symlinks resolved.
  const std::string &libraryPath() const { return libraryPath_; }
  /// The directory passed as -I, or empty when no CUDA headers were found.
  const std::string &includeDir() const { return includeDir_; }
  /// The SM numbers this NVRTC can compile for: {75, 80, 86, ..., 120}.
  std::vector<int> supportedArchs() const;

  /// "nvrtc 13.0 <library path> <library size>": the size tells patch
  /// releases with the same major.minor apart.
  std::string identity() const override;
  /// --gpu-architecture=<arch>, -std=c++17, -I<include dir>, then the extras.
  std::vector<std::string> options(const NvrtcOptions &opts) const override;
  bool compile(const std::string &source, const NvrtcOptions &opts,
               NvrtcOutput &out, std::string &err) override;

  /// How many times nvrtcCompileProgram has been called in this process,
  /// by any Nvrtc object.
  static uint64_t compileCount();

  struct Api;

private:
  Nvrtc() = default;
  std::unique_ptr<Api> api_;
  int major_ = 0, minor_ = 0;
  std::string libraryPath_;
  uint64_t librarySize_ = 0;
  std::string includeDir_;
};

/// The NVRTC arch for a codegen target (passes/Schedule.h): "sm_90" becomes
/// "sm_90a", whose arch-specific features (wgmma, setmaxnreg) the sm_90
/// kernels may use; other targets are their own arch.
std::string archForTarget(const std::string &target);

/// Directories that may hold a CUDA toolkit, in search order: $CUDA_HOME,
/// $CUDA_PATH (when set), /usr/local/cuda.
std::vector<std::string> toolkitRoots();

/// True for "sm_80", "sm_90a", "compute_90", ...: a prefix, an underscore,
/// digits, at most one lowercase letter; 15 characters at most.
bool isValidArch(const std::string &arch);

/// Writes `source` to `<dir>/<stem>-<first 16 hex digits of its SHA-256>.cu`
/// (atomically) and returns the path; with `dir` empty, tries <cache root>/
/// failed, then $TMPDIR (else /tmp). Empty on failure, with `err` set.
std::string dumpSource(const std::string &source, const std::string &programName,
                       const std::string &dir, std::string &err);

} // namespace dlc

#endif // DLC_RUNTIME_NVRTC_NVRTC_H
