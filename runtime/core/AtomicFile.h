//===- AtomicFile.h - write a whole file or nothing -------------*- C++ -*-===//
#ifndef DLC_RUNTIME_CORE_ATOMICFILE_H
#define DLC_RUNTIME_CORE_ATOMICFILE_H

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dlc {

/// Writes `chunks` to a uniquely named temporary file next to `path`,
/// fsyncs it, renames it over `path` and fsyncs the directory, so readers
/// (and a process killed or a machine losing power mid-write) see the old
/// file or the new one, never a part. On failure `err` says what failed
/// ("cannot create <tmp>: <reason>", ...) and no file is left.
///
/// `midWrite`, when set, runs once after the first half of the chunks is
/// in the temporary file, with that file's path: a test hook for killing a
/// writer mid-save (see DLC_TEST_PAUSE_IN_SAVE in Checkpoint.cpp).
bool writeFileAtomically(
    const std::string &path, const std::vector<std::string_view> &chunks,
    std::string &err,
    const std::function<void(const std::string &tmp)> &midWrite = {});

} // namespace dlc

#endif // DLC_RUNTIME_CORE_ATOMICFILE_H
