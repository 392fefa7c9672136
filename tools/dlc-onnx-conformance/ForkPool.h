//===- ForkPool.h - tasks in child processes, a few at a time ---*- C++ -*-===//
//
// The conformance runner runs every case in a child process, so that a
// crash, an assertion or a hang is one failed case and not the end of the
// run. runForked starts up to `jobs` children at once; each returns a
// string (through a file in the work directory, written only when the task
// finished).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TOOLS_ONNXCONFORMANCE_FORKPOOL_H
#define DLC_TOOLS_ONNXCONFORMANCE_FORKPOOL_H

#include <functional>
#include <string>
#include <vector>

namespace dlc::conformance {

struct ChildResult {
  /// The task returned; `text` is what it returned. Otherwise `text` says
  /// what happened to the child ("crashed (signal 11)", "timed out after
  /// 60 s").
  bool finished = false;
  std::string text;
};

/// Runs task(i) for i in [0, n), each in a forked child with `timeoutS`
/// seconds (SIGALRM), at most `jobs` at a time. `workDir` is an existing
/// directory for the result files.
std::vector<ChildResult>
runForked(size_t n, unsigned jobs, unsigned timeoutS,
          const std::string &workDir,
          const std::function<std::string(size_t)> &task);

} // namespace dlc::conformance

#endif // DLC_TOOLS_ONNXCONFORMANCE_FORKPOOL_H
