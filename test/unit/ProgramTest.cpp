//===- ProgramTest.cpp - manifest parsing and binding checks --------------===//
#include "runtime/core/Program.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace dlc;

namespace {

const char *kManifest = R"({
  "version": 1, "target": "sm_90", "arena_bytes": 512,
  "buffers": [
    {"name": "x", "role": "input", "dtype": "f32", "shape": [2, 3]},
    {"name": "w", "model_name": "fc.w", "role": "param", "dtype": "f16", "shape": [3]},
    {"name": "t", "role": "intermediate", "dtype": "f32", "shape": [6], "offset": 256},
    {"name": "y", "role": "output", "dtype": "f32", "shape": [2]},
    {"name": "n", "role": "output", "dtype": "i64", "shape": []}
  ],
  "kernels": [
    {"name": "k0_a", "grid": [2, 1, 1], "block": [32, 1, 1], "shared_bytes": 0,
     "args": ["x", "w", "arena"], "nodes": ["a"]},
    {"name": "k1_b", "grid": [1, 1, 1], "block": [64, 2, 1],
     "args": ["y", "n", "arena"], "nodes": []}
  ]
})";

std::string parseError(const std::string &manifest) {
  Program p;
  std::string err;
  EXPECT_FALSE(Program::parse(manifest, "", p, err)) << manifest;
  return err;
}

/// kManifest with `from` replaced by `to` (once).
std::string edit(const std::string &from, const std::string &to) {
  std::string s = kManifest;
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

} // namespace

TEST(Program, ParsesTheManifest) {
  Program p;
  std::string err;
  ASSERT_TRUE(Program::parse(kManifest, "src", p, err)) << err;
  EXPECT_EQ(p.source(), "src");
  EXPECT_EQ(p.target(), "sm_90");
  EXPECT_EQ(p.arenaBytes(), 512);
  ASSERT_EQ(p.buffers().size(), 5u);
  EXPECT_EQ(p.buffers()[1].modelName, "fc.w");
  EXPECT_EQ(p.buffers()[1].dtype, DType::F16);
  EXPECT_EQ(p.buffers()[1].byteSize(), 6);
  EXPECT_EQ(p.buffers()[2].role, BufferRole::Intermediate);
  EXPECT_EQ(p.buffers()[2].offset, 256);
  EXPECT_EQ(p.buffers()[0].offset, -1);
  EXPECT_EQ(p.buffers()[4].numel(), 1);
  ASSERT_EQ(p.kernels().size(), 2u);
  EXPECT_EQ(p.kernels()[1].block, (std::array<int64_t, 3>{64, 2, 1}));
  EXPECT_EQ(p.kernels()[0].args,
            (std::vector<std::string>{"x", "w", "arena"}));
  EXPECT_EQ(p.kernels()[0].nodes, (std::vector<std::string>{"a"}));
  ASSERT_NE(p.buffer("y"), nullptr);
  EXPECT_EQ(p.buffer("nope"), nullptr);
}

TEST(Program, BadManifestsNameTheField) {
  EXPECT_EQ(parseError("{"), "manifest: not valid JSON");
  EXPECT_EQ(parseError("[]"), "manifest: expects a JSON object");
  EXPECT_EQ(parseError(edit("\"version\": 1", "\"version\": 2")),
            "manifest: version: expects 1, got 2");
  EXPECT_EQ(parseError(edit("\"arena_bytes\": 512,", "")),
            "manifest: missing field 'arena_bytes'");
  EXPECT_EQ(parseError(edit("\"dtype\": \"f16\"", "\"dtype\": \"f8\"")),
            "manifest: buffers[1] ('w').dtype: unknown element type 'f8'");
  EXPECT_EQ(parseError(edit("\"role\": \"param\"", "\"role\": \"weight\"")),
            "manifest: buffers[1] ('w').role: expects input, param, output or "
            "intermediate, got 'weight'");
  EXPECT_EQ(parseError(edit("\"shape\": [2, 3]", "\"shape\": [2, -3]")),
            "manifest: buffers[0] ('x').shape: expects non-negative integers");
  EXPECT_EQ(parseError(edit("\"offset\": 256", "\"offset\": 500")),
            "manifest: buffers[2] ('t').offset: bytes [500, 524) are outside "
            "the arena (512 bytes)");
  EXPECT_EQ(parseError(edit(", \"offset\": 256", "")),
            "manifest: buffers[2] ('t'): missing field 'offset'");
  EXPECT_EQ(parseError(edit("{\"name\": \"y\"", "{\"name\": \"x\"")),
            "manifest: buffers[3].name: 'x' appears twice");
  EXPECT_EQ(parseError(edit("\"grid\": [2, 1, 1]", "\"grid\": [2, 0, 1]")),
            "manifest: kernels[0] ('k0_a').grid: expects 3 positive integers");
  EXPECT_EQ(parseError(edit("\"block\": [64, 2, 1]", "\"block\": [64, 32, 1]")),
            "manifest: kernels[1] ('k1_b').block: more than 1024 threads per "
            "block");
  EXPECT_EQ(parseError(edit("\"x\", \"w\", \"arena\"", "\"x\", \"q\"")),
            "manifest: kernels[0] ('k0_a').args: 'q' names no buffer");
  EXPECT_EQ(parseError(edit("\"x\", \"w\", \"arena\"", "\"t\"")),
            "manifest: kernels[0] ('k0_a').args: 't' is an intermediate: "
            "kernels reach those through the arena");
  EXPECT_EQ(parseError(edit("\"k0_a\"", "\"k0-a\"")),
            "manifest: kernels[0].name: 'k0-a' is not a C identifier");
  EXPECT_EQ(parseError(edit("\"shared_bytes\": 0", "\"shared_bytes\": -1")),
            "manifest: kernels[0] ('k0_a').shared_bytes: expects at least 0, "
            "got -1");
}

TEST(Program, LoadNamesTheMissingFile) {
  Program p;
  std::string err;
  EXPECT_FALSE(Program::load("/nonexistent-dir", p, err));
  EXPECT_NE(err.find("cannot read '/nonexistent-dir/manifest.json'"),
            std::string::npos)
      << err;
}

TEST(Program, CheckBindings) {
  Program p;
  std::string err;
  ASSERT_TRUE(Program::parse(kManifest, "", p, err)) << err;
  HostTensor x = HostTensor::zeros(DType::F32, {2, 3});
  HostTensor w = HostTensor::zeros(DType::F16, {3});
  auto outs = makeOutputs(p);
  BufferBindings b{{"x", &x}, {"w", &w}, {"y", &outs["y"]}, {"n", &outs["n"]}};
  EXPECT_TRUE(checkBindings(p, b, err)) << err;

  BufferBindings missing = b;
  missing.erase("w");
  EXPECT_FALSE(checkBindings(p, missing, err));
  EXPECT_EQ(err, "no tensor bound to param 'w' (f16 [3])");

  HostTensor wrong = HostTensor::zeros(DType::F32, {3, 2});
  BufferBindings bad = b;
  bad["x"] = &wrong;
  EXPECT_FALSE(checkBindings(p, bad, err));
  EXPECT_EQ(err, "input 'x' is f32 [3, 2] (24 bytes), the program's is f32 "
                 "[2, 3]");

  BufferBindings extra = b;
  extra["t"] = &x;
  EXPECT_FALSE(checkBindings(p, extra, err));
  EXPECT_EQ(err, "'t' is bound but is an intermediate");
}

TEST(Program, PoisonedOutputs) {
  Program p;
  std::string err;
  ASSERT_TRUE(Program::parse(kManifest, "", p, err)) << err;
  auto outs = makeOutputs(p, /*poison=*/true);
  ASSERT_EQ(outs.size(), 2u);
  float y[2];
  std::memcpy(y, outs["y"].bytes.data(), 8);
  EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1]));
  EXPECT_EQ(outs["n"].bytes, std::vector<uint8_t>(8, 0x5a));
  EXPECT_EQ(makeOutputs(p)["y"].bytes, std::vector<uint8_t>(8, 0));
}
