//===- TuningCache.cpp - the tuning cache file that `dlc tune` writes -----===//
//
// Entries carry only Tile.cpp's overridable keys, so --dlc-tile checks a
// tuned entry as it checks any hand-written one. See TuningCache.h.
//
//===----------------------------------------------------------------------===//
#include "tune/TuningCache.h"

#include "runtime/core/AtomicFile.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

namespace dlc {

/// The choices of `s` a cache entry sets (Tile.cpp's overridable keys).
static llvm::json::Object cacheChoices(const mlir::dlc::Schedule &s) {
  llvm::json::Object o;
  if (s.isTiledGemm()) {
    o["tile"] = llvm::json::Array{s.tile[0], s.tile[1], s.tile[2]};
    o["warps"] = llvm::json::Array{s.warps[0], s.warps[1]};
    o["stages"] = s.stages;
    o["mma"] = s.mma;
  } else {
    o["threads_per_row"] = s.threadsPerRow;
    o["rows_per_block"] = s.rowsPerBlock;
  }
  return o;
}

std::string describeSchedule(const mlir::dlc::Schedule &s) {
  std::string out;
  llvm::raw_string_ostream os(out);
  if (s.isTiledGemm())
    os << "tile " << s.tile[0] << "x" << s.tile[1] << "x" << s.tile[2]
       << " warps " << s.warps[0] << "x" << s.warps[1] << " stages " << s.stages
       << " mma " << s.mma;
  else
    os << "threads_per_row " << s.threadsPerRow << " rows_per_block "
       << s.rowsPerBlock;
  return out;
}

llvm::json::Object cacheEntry(const std::string &target, const Tunable &t,
                              const mlir::dlc::Schedule &s, bool withFusion) {
  llvm::json::Object e;
  e["target"] = target;
  if (withFusion)
    e["fusion"] = t.fusion;
  e["signature"] = t.signature;
  e["schedule"] = cacheChoices(s);
  return e;
}

bool writeCacheJson(const std::string &path, llvm::json::Value value,
                    std::string &err) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", value) << "\n";
  return writeFileAtomically(path, {text}, err);
}

bool readCacheEntries(const std::string &path, llvm::json::Array &entries,
                      std::string &err) {
  if (!llvm::sys::fs::exists(path))
    return true;
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    err = "cannot read: " + buffer.getError().message();
    return false;
  }
  auto parsed = llvm::json::parse((*buffer)->getBuffer());
  if (!parsed) {
    err = "invalid JSON: " + llvm::toString(parsed.takeError());
    return false;
  }
  llvm::json::Object *top = parsed->getAsObject();
  llvm::json::Array *list = top ? top->getArray("entries") : nullptr;
  if (!top || top->getInteger("version") != 1 || !list) {
    err = "not a tuning cache (expects {\"version\": 1, \"entries\": [...]})";
    return false;
  }
  entries = std::move(*list);
  return true;
}

llvm::json::Array mergeCacheEntries(llvm::json::Array kept,
                                    llvm::json::Array results,
                                    const std::vector<Tunable> &tunables,
                                    const std::string &target) {
  llvm::json::Array entries;
  for (llvm::json::Value &v : kept) {
    const llvm::json::Object *o = v.getAsObject();
    bool replaced = false;
    for (const Tunable &t : tunables)
      if (o && o->getString("signature") == llvm::StringRef(t.signature) &&
          (!o->getString("target") || *o->getString("target") == target))
        replaced = true;
    if (!replaced)
      entries.push_back(std::move(v));
  }
  for (llvm::json::Value &v : results)
    entries.push_back(std::move(v));
  return entries;
}

} // namespace dlc
