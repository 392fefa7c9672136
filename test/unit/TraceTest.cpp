//===- TraceTest.cpp - Chrome trace JSON --------------------------------===//
//
// The trace must load in Perfetto / chrome://tracing: a JSON object with a
// traceEvents array; complete events have ph "X", numeric ts and dur in
// microseconds, pid/tid; metadata events ph "M" with args.name.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/Trace.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace dlc;
using nlohmann::json;

namespace {

TraceWriter sample() {
  TraceWriter w;
  w.setProcessName(1, "dlc cuda: NVIDIA H100");
  w.setThreadName(1, 1, "stream");
  TraceEvent a;
  a.name = "k0_conv1_relu1";
  a.startUs = 0;
  a.durationUs = 12.5;
  a.nodes = {"conv1", "relu1"};
  a.args = {{"grid", "[4, 1, 1]"}, {"block", "[256, 1, 1]"}};
  w.add(a);
  TraceEvent b;
  b.name = "k1_fc";
  b.startUs = 12.5;
  b.durationUs = 3.25;
  w.add(b);
  return w;
}

TEST(Trace, PerfettoShape) {
  json j = json::parse(sample().json());
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["displayTimeUnit"], "ms");
  const json &ev = j["traceEvents"];
  ASSERT_TRUE(ev.is_array());
  ASSERT_EQ(ev.size(), 4u);
  // Metadata first.
  EXPECT_EQ(ev[0]["ph"], "M");
  EXPECT_EQ(ev[0]["name"], "process_name");
  EXPECT_EQ(ev[0]["args"]["name"], "dlc cuda: NVIDIA H100");
  EXPECT_EQ(ev[1]["name"], "thread_name");
  EXPECT_EQ(ev[1]["tid"], 1);
  // Then one complete event per kernel.
  const json &k0 = ev[2];
  EXPECT_EQ(k0["ph"], "X");
  EXPECT_EQ(k0["name"], "k0_conv1_relu1");
  EXPECT_EQ(k0["cat"], "kernel");
  EXPECT_TRUE(k0["ts"].is_number());
  EXPECT_TRUE(k0["dur"].is_number());
  EXPECT_DOUBLE_EQ(k0["ts"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(k0["dur"].get<double>(), 12.5);
  EXPECT_EQ(k0["pid"], 1);
  EXPECT_EQ(k0["tid"], 1);
  EXPECT_EQ(k0["args"]["nodes"], json::array({"conv1", "relu1"}));
  EXPECT_EQ(k0["args"]["grid"], "[4, 1, 1]");
  const json &k1 = ev[3];
  EXPECT_DOUBLE_EQ(k1["ts"].get<double>(), 12.5);
  EXPECT_DOUBLE_EQ(k1["dur"].get<double>(), 3.25);
  EXPECT_FALSE(k1.contains("args")); // nothing to say
}

TEST(Trace, EmptyTraceIsValid) {
  json j = json::parse(TraceWriter().json());
  EXPECT_TRUE(j["traceEvents"].is_array());
  EXPECT_TRUE(j["traceEvents"].empty());
}

TEST(Trace, NamesAreEscaped) {
  TraceWriter w;
  TraceEvent e;
  e.name = "k0_\"quoted\"\\n\x01";
  e.nodes = {"a\"b", "\xff\xfe"}; // invalid UTF-8 is replaced, not thrown
  w.add(e);
  json j = json::parse(w.json());
  EXPECT_EQ(j["traceEvents"][0]["name"], "k0_\"quoted\"\\n\x01");
  EXPECT_EQ(j["traceEvents"][0]["args"]["nodes"][0], "a\"b");
}

TEST(Trace, WritesAFile) {
  const char *t = std::getenv("TMPDIR");
  std::string path = std::string(t && *t ? t : "/tmp") + "/dlc-trace-test-" +
                     std::to_string(::getpid()) + ".json";
  std::string err;
  TraceWriter w = sample();
  ASSERT_TRUE(w.write(path, err)) << err;
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), w.json());
  std::filesystem::remove(path);
  EXPECT_FALSE(w.write("/nonexistent/dir/trace.json", err));
  EXPECT_EQ(err.rfind("cannot write the trace: ", 0), 0u) << err;
}

} // namespace
