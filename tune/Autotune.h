//===- Autotune.h - `dlc tune` as a library ---------------------*- C++ -*-===//
//
// For every tiled_gemm and row_reduce fusion (one per signature), the
// candidates of scheduleCandidates (passes/Schedule.h: valid by
// construction) are each compiled through a one-entry tuning cache (so
// --dlc-tile checks them as it checks any cache), run on the same random
// inputs as the default schedule, and rejected when an output differs from
// the default's; the fastest of the rest (the default included) goes into
// the tuning cache, replacing that signature's entry for the target and
// keeping every other entry. Times are CUDA-event kernel times on a GPU;
// on the CPU device, wall-clock times of the whole program, which say
// nothing about a GPU. Last, the model is compiled with the written cache
// and its outputs checked against the reference interpreter. Reports as
// `dlc tune` does ("dlc tune: ..." on stderr). docs/schedule.md.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TUNE_AUTOTUNE_H
#define DLC_TUNE_AUTOTUNE_H

#include "runtime/cuda/DeviceFactory.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"

#include <string>

namespace dlc {

/// What `dlc tune`'s flags say (see its --help for each).
struct TuneOptions {
  std::string modelPath;
  /// The tuning cache to write (read first when it exists).
  std::string cachePath;
  std::string target = "sm_90";
  /// Cuda (CUDA-event kernel times) or Cpu (program wall clock).
  DeviceKind device = DeviceKind::Cuda;
  unsigned maxCandidates = 24, repeat = 10;
  uint64_t seed = 1;
  /// Tune the training step (only its gradients with gradientsOnly).
  bool trainStep = false, gradientsOnly = false;
  /// Print each fusion's candidates as one-entry caches; run nothing.
  bool listCandidates = false;
};

/// Exit codes, as the driver's: 0 ok, 1 bad input, 2 internal error.
enum class TuneStatus { Ok = 0, UserError = 1, InternalError = 2 };

/// Checks the flags before anything is read; false with `err` (no "dlc
/// tune: " prefix).
bool checkTuneOptions(const TuneOptions &opts, std::string &err);

/// The entries of the cache at `path` that tuning will update, after
/// checking that its directory exists and takes the file; false with `err`.
bool readCacheToUpdate(const std::string &path, llvm::json::Array &kept,
                       std::string &err);

/// Turns the imported model into the program `dlc` would compile: itself,
/// or its training step (--train-step); false after reporting.
bool buildTuneProgram(mlir::ModuleOp module, const TuneOptions &opts);

/// Prints each tunable fusion's default and candidates, one JSON line each.
TuneStatus listCandidates(mlir::ModuleOp module, const TuneOptions &opts);

/// Tunes `module` and writes the cache: `kept` (from readCacheToUpdate),
/// less the entries retuned now, then the results.
TuneStatus autotune(mlir::ModuleOp module, const TuneOptions &opts,
                    llvm::json::Array kept);

} // namespace dlc

#endif // DLC_TUNE_AUTOTUNE_H
