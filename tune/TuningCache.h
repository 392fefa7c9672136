//===- TuningCache.h - the tuning cache file of `dlc tune` ------*- C++ -*-===//
//-*-===//
//
// A tuning cache is {"version": 1, "entries": [...]}, one entry per fusion
// signature and target with the schedule choices --dlc-tile may override
// (docs/schedule.md). Here: an entry from a schedule, a schedule's
// one-line description, reading the entries of an existing cache, merging
// new results into them, and writing a cache whole (atomically).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TUNE_TUNINGCACHE_H
#define DLC_TUNE_TUNINGCACHE_H

#include "tune/Tuner.h"

#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace dlc {

/// The cache entry choosing `s` for `t` on `target` (with the fusion's name
/// when `withFusion`).
llvm::json::Object cacheEntry(const std::string &target, const Tunable &t,
                              const mlir::dlc::Schedule &s, bool withFusion);

/// "tile 64x64x16 warps 2x2 stages 2 mma none", "threads_per_row 32 ...".
std::string describeSchedule(const mlir::dlc::Schedule &s);

/// `value` as indented JSON in `path`, written whole or not at all.
bool writeCacheJson(const std::string &path, llvm::json::Value value,
                    std::string &err);

/// The entries of an existing cache (none when the file does not exist).
bool readCacheEntries(const std::string &path, llvm::json::Array &entries,
                      std::string &err);

/// The cache to write: the `kept` entries of other signatures (or other
/// targets), then `results`.
llvm::json::Array mergeCacheEntries(llvm::json::Array kept,
                                    llvm::json::Array results,
                                    const std::vector<Tunable> &tunables,
                                    const std::string &target);

} // namespace dlc

#endif // DLC_TUNE_TUNINGCACHE_H
