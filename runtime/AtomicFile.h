//===- AtomicFile.h - write a whole file or nothing -------------*- C++ -*-===//
#ifndef DLC_RUNTIME_ATOMICFILE_H
#define DLC_RUNTIME_ATOMICFILE_H

#include <string>
#include <string_view>
#include <vector>

namespace dlc {

/// Writes `chunks` to a uniquely named temporary file next to `path` and
/// renames it over `path`, so readers (and a process killed mid-write) see
/// the old file or the new one, never a part. On failure `err` says what
/// failed ("cannot create <tmp>: <reason>", ...) and no file is left.
bool writeFileAtomically(const std::string &path,
                         const std::vector<std::string_view> &chunks,
                         std::string &err);

} // namespace dlc

#endif // DLC_RUNTIME_ATOMICFILE_H
