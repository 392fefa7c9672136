//===- InitializersTest.cpp - parameter initializers ----------------------===//
#include "ir/reference/Initializers.h"

#include "runtime/io/TensorFile.h"
#include "ir/reference/HostConvert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace dlc;

namespace {

/// The values of a float parameter, widened to double.
std::vector<double> values(const HostTensor &t) {
  ref::Tensor<double> d;
  std::string err;
  EXPECT_TRUE(ref::loadFloat(t, d, err)) << err;
  return d.data;
}

struct Stats {
  double mean = 0, std = 0, min = INFINITY, max = -INFINITY;
};
Stats stats(const std::vector<double> &v) {
  Stats s;
  for (double x : v) {
    s.mean += x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean /= double(v.size());
  for (double x : v)
    s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / double(v.size()));
  return s;
}

HostTensor init(const InitSpec &spec, std::vector<int64_t> shape,
                DType dtype = DType::F64, const std::string &name = "w",
                uint64_t modelSeed = 0) {
  HostTensor out;
  std::string err;
  EXPECT_TRUE(materializeParam(spec, name, dtype, shape, modelSeed, out, err))
      << err;
  return out;
}

InitSpec scheme(std::string name, std::map<std::string, double> params = {}) {
  InitSpec s;
  s.scheme = std::move(name);
  s.params = std::move(params);
  return s;
}

TEST(InitRngTest, IsMt19937_64WithA53BitUniform) {
  // The C++ standard fixes mt19937_64's output: with the default seed 5489
  // the first value is 14514284786278117030 and the 10000th is
  // 9981545732273789042. uniform() keeps the top 53 bits.
  InitRng rng(5489);
  EXPECT_EQ(rng.uniform(), double(14514284786278117030ull >> 11) * 0x1.0p-53);
  for (int i = 1; i < 9999; ++i)
    rng.uniform();
  EXPECT_EQ(rng.uniform(), double(9981545732273789042ull >> 11) * 0x1.0p-53);
}

TEST(InitializersTest, Fans) {
  EXPECT_EQ(computeFans({32, 16, 3, 5}).in, 16 * 15);
  EXPECT_EQ(computeFans({32, 16, 3, 5}).out, 32 * 15);
  EXPECT_EQ(computeFans({10, 784}).in, 784);
  EXPECT_EQ(computeFans({10, 784}).out, 10);
  EXPECT_EQ(computeFans({7}).in, 7);
  EXPECT_EQ(computeFans({7}).out, 7);
  EXPECT_EQ(computeFans({}).in, 1);
}

TEST(InitializersTest, ConstantSchemes) {
  EXPECT_EQ(values(init(scheme("zeros"), {2, 2})), std::vector<double>(4, 0.0));
  EXPECT_EQ(values(init(scheme("ones"), {3})), std::vector<double>(3, 1.0));
  EXPECT_EQ(values(init(scheme("constant", {{"value", -2.5}}), {2})),
            std::vector<double>(2, -2.5));
  // Rounded once to the parameter's type: 0.1 in f16 is 0x2E66.
  HostTensor h = init(scheme("constant", {{"value", 0.1}}), {1}, DType::F16);
  EXPECT_EQ(h.bytes, (std::vector<uint8_t>{0x66, 0x2E}));
  // Integer parameters take exact constants.
  HostTensor i = init(scheme("constant", {{"value", 7}}), {2}, DType::I32);
  EXPECT_EQ(i.bytes, (std::vector<uint8_t>{7, 0, 0, 0, 7, 0, 0, 0}));
}

TEST(InitializersTest, UniformStatistics) {
  // 100k draws from U(-0.05, 0.05): mean 0 (std error 9e-5), std 0.05/sqrt 3.
  std::vector<double> v = values(init(scheme("uniform"), {100000}));
  Stats s = stats(v);
  EXPECT_NEAR(s.mean, 0.0, 5e-4);
  EXPECT_NEAR(s.std, 0.05 / std::sqrt(3.0), 0.01 * 0.05 / std::sqrt(3.0));
  EXPECT_GE(s.min, -0.05);
  EXPECT_LT(s.max, 0.05);
  EXPECT_LT(s.min, -0.0499);
  EXPECT_GT(s.max, 0.0499);
  // Custom bounds.
  s = stats(
      values(init(scheme("uniform", {{"low", 2}, {"high", 3}}), {100000})));
  EXPECT_NEAR(s.mean, 2.5, 5e-3);
  EXPECT_GE(s.min, 2.0);
  EXPECT_LT(s.max, 3.0);
}

TEST(InitializersTest, NormalStatistics) {
  Stats s = stats(values(init(scheme("normal"), {100000})));
  EXPECT_NEAR(s.mean, 0.0, 0.05 * 0.015); // std error 1.6e-4
  EXPECT_NEAR(s.std, 0.05, 0.05 * 0.01);  // std error 0.22%
  s = stats(
      values(init(scheme("normal", {{"mean", 1}, {"std", 2}}), {100000})));
  EXPECT_NEAR(s.mean, 1.0, 2 * 0.015);
  EXPECT_NEAR(s.std, 2.0, 2 * 0.01);
  // About 68.3% within one std (binomial std error 0.15%).
  std::vector<double> v = values(init(scheme("normal"), {100000}));
  double inside = 0;
  for (double x : v)
    inside += std::fabs(x) < 0.05;
  EXPECT_NEAR(inside / v.size(), 0.6827, 0.006);
}

TEST(InitializersTest, HeAndGlorot) {
  // [64, 32, 3, 3]: fan_in 288, fan_out 576.
  std::vector<int64_t> shape = {64, 32, 3, 3}; // 18432 values
  Stats s = stats(values(init(scheme("he_normal"), shape)));
  double std = std::sqrt(2.0 / 288);
  EXPECT_NEAR(s.mean, 0.0, std * 0.03);
  EXPECT_NEAR(s.std, std, std * 0.02);

  s = stats(values(init(scheme("he_uniform"), shape)));
  double bound = std::sqrt(6.0 / 288);
  EXPECT_GE(s.min, -bound);
  EXPECT_LT(s.max, bound);
  EXPECT_GT(s.max, 0.99 * bound);
  EXPECT_NEAR(s.std, bound / std::sqrt(3.0), bound * 0.02);

  // Dense [100, 200]: fan_in 200, fan_out 100.
  s = stats(values(init(scheme("glorot_uniform"), {100, 200})));
  bound = std::sqrt(6.0 / 300);
  EXPECT_GE(s.min, -bound);
  EXPECT_LT(s.max, bound);
  EXPECT_LT(s.min, -0.99 * bound);
  EXPECT_NEAR(s.std, bound / std::sqrt(3.0), bound * 0.02);
}

TEST(InitializersTest, Determinism) {
  InitSpec s = scheme("he_normal");
  HostTensor a = init(s, {8, 4}, DType::F32, "fc.weight", 42);
  EXPECT_EQ(a.bytes, init(s, {8, 4}, DType::F32, "fc.weight", 42).bytes);
  // Another name or model seed gives other values.
  EXPECT_NE(a.bytes, init(s, {8, 4}, DType::F32, "fc2.weight", 42).bytes);
  EXPECT_NE(a.bytes, init(s, {8, 4}, DType::F32, "fc.weight", 43).bytes);
  // An explicit seed ignores name and model seed.
  s.seed = 9;
  HostTensor b = init(s, {8, 4}, DType::F32, "x", 1);
  EXPECT_EQ(b.bytes, init(s, {8, 4}, DType::F32, "y", 2).bytes);
  EXPECT_NE(a.bytes, b.bytes);
  // deriveSeed is pinned: FNV-1a + splitmix64 never change silently.
  EXPECT_EQ(deriveSeed(0, ""), deriveSeed(0, ""));
  EXPECT_NE(deriveSeed(0, "a"), deriveSeed(1, "a"));
  EXPECT_NE(deriveSeed(0, "ab"), deriveSeed(0, "ba"));
  // f16 values are the f64 values rounded once.
  std::vector<double> wide = values(init(s, {64}, DType::F64));
  std::vector<double> half = values(init(s, {64}, DType::F16));
  for (size_t i = 0; i < wide.size(); ++i)
    EXPECT_NEAR(half[i], wide[i], std::fabs(wide[i]) * 0x1.0p-11);
}

TEST(InitializersTest, Errors) {
  HostTensor out;
  std::string err;
  EXPECT_FALSE(
      materializeParam(scheme("xavier"), "w", DType::F32, {2}, 0, out, err));
  EXPECT_NE(err.find("parameter 'w': unknown init scheme 'xavier'"),
            std::string::npos)
      << err;
  EXPECT_FALSE(
      materializeParam(scheme("normal"), "idx", DType::I64, {2}, 0, out, err));
  EXPECT_NE(err.find("needs a float type"), std::string::npos) << err;
  EXPECT_FALSE(materializeParam(scheme("uniform", {{"low", 1}, {"high", 0}}),
                                "w", DType::F32, {2}, 0, out, err));
  EXPECT_NE(err.find("low <= high"), std::string::npos) << err;
  EXPECT_FALSE(materializeParam(scheme("normal", {{"std", -1}}), "w",
                                DType::F32, {2}, 0, out, err));
  EXPECT_FALSE(materializeParam(scheme("he_normal"), "w", DType::F32, {4, 0}, 0,
                                out, err));
  EXPECT_NE(err.find("positive fan_in"), std::string::npos) << err;
  EXPECT_FALSE(
      materializeParam(scheme("constant"), "w", DType::F32, {2}, 0, out, err));
  EXPECT_FALSE(materializeParam(scheme("constant", {{"value", 0.5}}), "n",
                                DType::I32, {2}, 0, out, err));
  EXPECT_NE(err.find("not an integer"), std::string::npos) << err;
}

class InitFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::path(::testing::TempDir()) /
          ("dlc-init-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

TEST_F(InitFileTest, LoadsNpyAndSafetensors) {
  HostTensor t =
      ref::storeFloat(ref::Tensor<double>({2, 2}, {1, 2, 3, 0.1}), DType::F32);
  std::string err;
  std::string npy = (dir / "w.npy").string();
  std::string st = (dir / "w.safetensors").string();
  ASSERT_TRUE(writeNpy(npy, t, err)) << err;
  ASSERT_TRUE(writeSafetensors(st, {{"fc.weight", t}}, err)) << err;

  InitSpec spec;
  spec.file = npy;
  EXPECT_EQ(init(spec, {2, 2}, DType::F32).bytes, t.bytes);
  spec.file = st;
  spec.key = "fc.weight";
  EXPECT_EQ(init(spec, {2, 2}, DType::F32).bytes, t.bytes);
  // Float files convert to the parameter's float type (rounding once).
  std::vector<double> v = values(init(spec, {2, 2}, DType::F64));
  EXPECT_EQ(v[3], double(0.1f));

  HostTensor out;
  EXPECT_FALSE(
      materializeParam(spec, "fc.weight", DType::F32, {4}, 0, out, err));
  EXPECT_NE(err.find("shape [2, 2] does not match the parameter's [4]"),
            std::string::npos)
      << err;
  EXPECT_FALSE(
      materializeParam(spec, "fc.weight", DType::I32, {2, 2}, 0, out, err));
  EXPECT_NE(err.find("element type f32 does not match"), std::string::npos)
      << err;
  spec.key = "nope";
  EXPECT_FALSE(
      materializeParam(spec, "fc.weight", DType::F32, {2, 2}, 0, out, err));
  EXPECT_NE(err.find("parameter 'fc.weight': "), std::string::npos) << err;
  spec.file = (dir / "missing.npy").string();
  spec.key = "";
  EXPECT_FALSE(
      materializeParam(spec, "fc.weight", DType::F32, {2, 2}, 0, out, err));
  EXPECT_NE(err.find("missing.npy"), std::string::npos) << err;
}

} // namespace
