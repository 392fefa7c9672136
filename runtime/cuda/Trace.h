//===- Trace.h - Chrome trace JSON for --profile ----------------*- C++ -*-===//
//
// Writes the Chrome trace event format (the JSON object form) that Perfetto
// (ui.perfetto.dev) and chrome://tracing open:
//
//   {"displayTimeUnit": "ms",
//    "traceEvents": [
//      {"name": "process_name", "ph": "M", "pid": 1, "tid": 0,
//       "args": {"name": "dlc cuda: NVIDIA H100"}},
//      {"name": "thread_name", "ph": "M", "pid": 1, "tid": 1,
//       "args": {"name": "stream"}},
//      {"name": "k0_conv1_relu1", "cat": "kernel", "ph": "X", "pid": 1,
//       "tid": 1, "ts": 0.0, "dur": 12.5,
//       "args": {"nodes": ["conv1", "relu1"], "grid": "[4, 1, 1]"}}]}
//
// One complete event ("ph": "X") per kernel: ts and dur in microseconds
// (fractions allowed), name = the kernel, args.nodes = the model nodes it
// computes, other args as strings. Events are written in the order added.
// MLIR-free.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_CUDA_TRACE_H
#define DLC_RUNTIME_CUDA_TRACE_H

#include <string>
#include <utility>
#include <vector>

namespace dlc {

struct TraceEvent {
  std::string name;
  std::string category = "kernel";
  /// Start and duration in microseconds.
  double startUs = 0, durationUs = 0;
  int pid = 1, tid = 1;
  /// Written as args.nodes (a list), left out when empty.
  std::vector<std::string> nodes;
  /// More args, written as strings in this order.
  std::vector<std::pair<std::string, std::string>> args;
};

class TraceWriter {
public:
  /// A "process_name" metadata event for `pid`.
  void setProcessName(int pid, std::string name);
  /// A "thread_name" metadata event for `tid` of `pid`.
  void setThreadName(int pid, int tid, std::string name);
  void add(TraceEvent event);
  const std::vector<TraceEvent> &events() const { return events_; }

  /// The whole trace as JSON text.
  std::string json() const;
  /// Writes json() to `path` atomically; false with `err` set.
  bool write(const std::string &path, std::string &err) const;

private:
  struct Meta {
    std::string what; // "process_name" or "thread_name"
    int pid, tid;
    std::string name;
  };
  std::vector<Meta> meta_;
  std::vector<TraceEvent> events_;
};

} // namespace dlc

#endif // DLC_RUNTIME_CUDA_TRACE_H
