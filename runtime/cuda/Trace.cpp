//===- Trace.cpp - Chrome trace JSON for --profile --------------*- C++ -*-===//

#include "runtime/cuda/Trace.h"

#include "runtime/core/AtomicFile.h"

#include <nlohmann/json.hpp>

namespace dlc {

void TraceWriter::setProcessName(int pid, std::string name) {
  meta_.push_back({"process_name", pid, 0, std::move(name)});
}

void TraceWriter::setThreadName(int pid, int tid, std::string name) {
  meta_.push_back({"thread_name", pid, tid, std::move(name)});
}

void TraceWriter::add(TraceEvent event) { events_.push_back(std::move(event)); }

std::string TraceWriter::json() const {
  using nlohmann::ordered_json;
  ordered_json events = ordered_json::array();
  for (const Meta &m : meta_)
    events.push_back({{"name", m.what},
                      {"ph", "M"},
                      {"pid", m.pid},
                      {"tid", m.tid},
                      {"args", {{"name", m.name}}}});
  for (const TraceEvent &e : events_) {
    ordered_json ev = {{"name", e.name}, {"cat", e.category}, {"ph", "X"},
                       {"pid", e.pid},   {"tid", e.tid},      {"ts", e.startUs},
                       {"dur", e.durationUs}};
    ordered_json args = ordered_json::object();
    if (!e.nodes.empty())
      args["nodes"] = e.nodes;
    for (const auto &[k, v] : e.args)
      args[k] = v;
    if (!args.empty())
      ev["args"] = std::move(args);
    events.push_back(std::move(ev));
  }
  ordered_json root = {{"displayTimeUnit", "ms"},
                       {"traceEvents", std::move(events)}};
  // Names come from models: replace invalid UTF-8 rather than throw.
  return root.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

bool TraceWriter::write(const std::string &path, std::string &err) const {
  std::string text = json();
  if (writeFileAtomically(path, {text}, err))
    return true;
  err = "cannot write the trace: " + err;
  return false;
}

} // namespace dlc
