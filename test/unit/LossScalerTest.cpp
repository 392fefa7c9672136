//===- LossScalerTest.cpp - fp16 loss scaling follows GradScaler's rules --===//
//
// train/LossScaler.h against torch.cuda.amp.GradScaler's documented update
// (backoff_factor 0.5, growth_factor 2, growth_interval N): an overflowed
// step is skipped, halves the scale and restarts the count of good steps;
// N good steps in a row double the scale. The expected scales below are
// worked out by hand from those rules, not by running the scaler.
//
//===----------------------------------------------------------------------===//
#include "train/LossScaler.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace dlc;

namespace {

float f32(const HostTensor &t) {
  float v;
  std::memcpy(&v, t.bytes.data(), 4);
  return v;
}

HostTensor scalarF32(float v) {
  HostTensor t = HostTensor::zeros(DType::F32, {});
  std::memcpy(t.bytes.data(), &v, 4);
  return t;
}

TEST(LossScaler, HalvesOnOverflowAndDoublesAfterTheGrowthInterval) {
  LossScaler scaler(1024.0f, /*growthInterval=*/3);
  // good, good, good: 1024 * 2 = 2048 after the third.
  EXPECT_FALSE(scaler.update(false));
  EXPECT_FALSE(scaler.update(false));
  EXPECT_EQ(scaler.scale(), 1024.0f);
  EXPECT_FALSE(scaler.update(false));
  EXPECT_EQ(scaler.scale(), 2048.0f);
  EXPECT_EQ(scaler.goodSteps(), 0);
  // good, good, overflow: skipped, 2048 * 0.5 = 1024, the count restarts.
  EXPECT_FALSE(scaler.update(false));
  EXPECT_FALSE(scaler.update(false));
  EXPECT_TRUE(scaler.update(true));
  EXPECT_EQ(scaler.scale(), 1024.0f);
  EXPECT_EQ(scaler.goodSteps(), 0);
  // Two overflows in a row: 512, then 256; three good steps: 512.
  EXPECT_TRUE(scaler.update(true));
  EXPECT_TRUE(scaler.update(true));
  EXPECT_EQ(scaler.scale(), 256.0f);
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(scaler.update(false));
  EXPECT_EQ(scaler.scale(), 512.0f);
}

TEST(LossScaler, ReadsTheStepsSkipFlagAndBindsScaleAndInverse) {
  LossScaler scaler(8.0f, 2000);
  std::map<std::string, const HostTensor *> args;
  scaler.bind(args);
  ASSERT_EQ(args.count("opt.loss_scale"), 1u);
  ASSERT_EQ(args.count("opt.grad_scale"), 1u);
  EXPECT_EQ(f32(*args["opt.loss_scale"]), 8.0f);
  EXPECT_EQ(f32(*args["opt.grad_scale"]), 0.125f);
  EXPECT_FALSE(scaler.update(scalarF32(0.0f)));
  EXPECT_TRUE(scaler.update(scalarF32(1.0f)));
  EXPECT_EQ(scaler.scale(), 4.0f);
  // bind() after an update passes the new scale.
  scaler.bind(args);
  EXPECT_EQ(f32(*args["opt.loss_scale"]), 4.0f);
  EXPECT_EQ(f32(*args["opt.grad_scale"]), 0.25f);
}

TEST(LossScaler, DisabledDoesNothing) {
  LossScaler scaler;
  EXPECT_FALSE(scaler.enabled());
  std::map<std::string, const HostTensor *> args;
  scaler.bind(args);
  EXPECT_TRUE(args.empty());
  EXPECT_FALSE(scaler.update(true));
  std::map<std::string, HostTensor> tensors;
  scaler.save(tensors);
  EXPECT_TRUE(tensors.empty());
}

TEST(LossScaler, CheckpointRoundTrip) {
  LossScaler saved(65536.0f, 4);
  saved.update(true);  // 32768
  saved.update(false); // one good step
  std::map<std::string, HostTensor> tensors;
  saved.save(tensors);
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_EQ(f32(tensors.at("scaler/scale")), 32768.0f);
  EXPECT_EQ(tensors.at("scaler/good_steps").dtype, DType::I64);

  LossScaler resumed(65536.0f, 4);
  std::string err;
  ASSERT_TRUE(resumed.restore(tensors, err)) << err;
  EXPECT_TRUE(tensors.empty()); // taken out of the checkpoint
  EXPECT_EQ(resumed.scale(), 32768.0f);
  EXPECT_EQ(resumed.goodSteps(), 1);
  // Three more good steps reach the interval of 4: 65536.
  for (int i = 0; i < 3; ++i)
    resumed.update(false);
  EXPECT_EQ(resumed.scale(), 65536.0f);
}

TEST(LossScaler, RejectsMalformedState) {
  std::string err;
  std::map<std::string, HostTensor> incomplete;
  incomplete["scaler/scale"] = scalarF32(2.0f);
  LossScaler scaler(2.0f, 10);
  EXPECT_FALSE(scaler.restore(incomplete, err));
  EXPECT_NE(err.find("incomplete or has the wrong type"), std::string::npos)
      << err;

  std::map<std::string, HostTensor> outOfRange;
  outOfRange["scaler/scale"] = scalarF32(0.5f);
  outOfRange["scaler/good_steps"] = HostTensor::zeros(DType::I64, {});
  err.clear();
  EXPECT_FALSE(scaler.restore(outOfRange, err));
  EXPECT_NE(err.find("out of range"), std::string::npos) << err;
}

} // namespace
