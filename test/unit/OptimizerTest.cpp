//===- OptimizerTest.cpp - optimizer update kernels vs hand-computed values ===//
#include "ir/reference/Optimizer.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace dlc;
using namespace dlc::ref;

namespace {

Tensor<double> vec(std::vector<double> v) {
  Shape s{int64_t(v.size())};
  return Tensor<double>(s, std::move(v));
}

TEST(OptimizerTest, SgdPlainAndWeightDecay) {
  auto p = vec({1.0, -2.0}), g = vec({0.5, 0.25}), buf = vec({0, 0});
  SgdHyper h;
  h.lr = 0.1;
  h.weightDecay = 0.01;
  sgdUpdate(p, g, buf, 1, h);
  // g' = g + 0.01 p = {0.51, 0.23}; p - 0.1 g'
  EXPECT_NEAR(p.data[0], 1.0 - 0.051, 1e-15);
  EXPECT_NEAR(p.data[1], -2.0 - 0.023, 1e-15);
}

TEST(OptimizerTest, SgdMomentumTwoSteps) {
  auto p = vec({1.0}), g = vec({0.5}), buf = vec({0});
  SgdHyper h;
  h.lr = 0.1;
  h.momentum = 0.9;
  sgdUpdate(p, g, buf, 1, h); // buf = 0.5, p = 1 - 0.05
  EXPECT_NEAR(buf.data[0], 0.5, 1e-15);
  EXPECT_NEAR(p.data[0], 0.95, 1e-15);
  g = vec({1.0});
  sgdUpdate(p, g, buf, 2, h); // buf = 0.45 + 1 = 1.45, p = 0.95 - 0.145
  EXPECT_NEAR(buf.data[0], 1.45, 1e-15);
  EXPECT_NEAR(p.data[0], 0.805, 1e-15);
}

TEST(OptimizerTest, SgdNesterov) {
  auto p = vec({1.0}), g = vec({0.5}), buf = vec({0.2});
  SgdHyper h;
  h.lr = 0.1;
  h.momentum = 0.9;
  h.nesterov = true;
  sgdUpdate(p, g, buf, 2, h);
  // buf = 0.18 + 0.5 = 0.68; d = g + 0.9 buf = 0.5 + 0.612 = 1.112
  EXPECT_NEAR(buf.data[0], 0.68, 1e-15);
  EXPECT_NEAR(p.data[0], 1.0 - 0.1112, 1e-15);
}

TEST(OptimizerTest, AdamBiasCorrection) {
  auto p = vec({1.0}), g = vec({0.5}), m = vec({0}), v = vec({0});
  AdamHyper h;
  h.lr = 0.01;
  adamUpdate(p, g, m, v, 1, h);
  // Step 1: m = 0.05, v = 0.00025; mhat = 0.5, vhat = 0.25:
  // p = 1 - 0.01 * 0.5 / (0.5 + 1e-8).
  EXPECT_NEAR(m.data[0], 0.05, 1e-15);
  EXPECT_NEAR(v.data[0], 0.00025, 1e-15);
  EXPECT_NEAR(p.data[0], 1.0 - 0.01 * 0.5 / (0.5 + 1e-8), 1e-15);
  g = vec({-1.0});
  adamUpdate(p, g, m, v, 2, h);
  double m2 = 0.9 * 0.05 - 0.1, v2 = 0.999 * 0.00025 + 0.001;
  double mhat = m2 / (1 - 0.81), vhat = v2 / (1 - 0.999 * 0.999);
  EXPECT_NEAR(m.data[0], m2, 1e-15);
  EXPECT_NEAR(v.data[0], v2, 1e-15);
  EXPECT_NEAR(p.data[0],
              1.0 - 0.01 * 0.5 / (0.5 + 1e-8) -
                  0.01 * mhat / (std::sqrt(vhat) + 1e-8),
              1e-14);
}

TEST(OptimizerTest, AdamL2VersusAdamWDecoupled) {
  AdamHyper h;
  h.lr = 0.1;
  h.weightDecay = 0.5;
  // Adam: the decay enters the gradient: g = 0 + 0.5 * 2 = 1.
  auto p = vec({2.0}), g = vec({0.0}), m = vec({0}), v = vec({0});
  adamUpdate(p, g, m, v, 1, h);
  EXPECT_NEAR(m.data[0], 0.1, 1e-15);
  EXPECT_NEAR(p.data[0], 2.0 - 0.1 * 1.0 / (1.0 + 1e-8), 1e-14);
  // AdamW: p *= 1 - lr wd = 0.95 first; a zero gradient moves nothing else.
  h.decoupled = true;
  p = vec({2.0}), m = vec({0}), v = vec({0});
  adamUpdate(p, g, m, v, 1, h);
  EXPECT_EQ(m.data[0], 0.0);
  EXPECT_NEAR(p.data[0], 1.9, 1e-15);
  // With a gradient: decay, then the Adam step of the raw gradient.
  p = vec({2.0}), g = vec({0.3}), m = vec({0}), v = vec({0});
  adamUpdate(p, g, m, v, 1, h);
  EXPECT_NEAR(p.data[0], 1.9 - 0.1 * 0.3 / (0.3 + 1e-8), 1e-14);
}

TEST(OptimizerTest, GradScaleMultipliesTheGradientFirst) {
  // SGD: g = grad * scale + wd p = 4 * 0.25 + 0.1 * 2 = 1.2; buf = 1.2.
  auto p = vec({2.0}), g = vec({4.0}), buf = vec({0});
  SgdHyper h;
  h.lr = 0.5;
  h.momentum = 0.9;
  h.weightDecay = 0.1;
  h.gradScale = 0.25;
  sgdUpdate(p, g, buf, 1, h);
  EXPECT_NEAR(buf.data[0], 1.2, 1e-15);
  EXPECT_NEAR(p.data[0], 2.0 - 0.6, 1e-15);
  // Adam: the scaled gradient 0.5 gives step 1's m = 0.05, v = 0.00025.
  auto q = vec({1.0}), g2 = vec({-2.0}), m = vec({0}), v = vec({0});
  AdamHyper a;
  a.lr = 0.01;
  a.gradScale = -0.25;
  adamUpdate(q, g2, m, v, 1, a);
  EXPECT_NEAR(m.data[0], 0.05, 1e-15);
  EXPECT_NEAR(v.data[0], 0.00025, 1e-15);
  EXPECT_NEAR(q.data[0], 1.0 - 0.01 * 0.5 / (0.5 + 1e-8), 1e-15);
}

TEST(OptimizerTest, SkipLeavesParamAndStateUnchanged) {
  // Even a non-finite gradient (the overflow that makes a loss scaler skip)
  // changes nothing.
  auto p = vec({1.5, -2.0}), g = vec({INFINITY, NAN}), buf = vec({0.25, 1});
  SgdHyper h;
  h.lr = 0.1;
  h.momentum = 0.9;
  h.skip = true;
  sgdUpdate(p, g, buf, 3, h);
  EXPECT_EQ(p.data, (std::vector<double>{1.5, -2.0}));
  EXPECT_EQ(buf.data, (std::vector<double>{0.25, 1}));
  auto q = vec({3.0}), m = vec({0.5}), v = vec({0.125}), g2 = vec({NAN});
  AdamHyper a;
  a.weightDecay = 0.1;
  a.decoupled = true;
  a.skip = true;
  adamUpdate(q, g2, m, v, 2, a);
  EXPECT_EQ(q.data[0], 3.0);
  EXPECT_EQ(m.data[0], 0.5);
  EXPECT_EQ(v.data[0], 0.125);
}

TEST(OptimizerTest, FloatInstantiation) {
  Tensor<float> p({1}, {1.0f}), g({1}, {0.5f}), m({1}, {0}), v({1}, {0});
  AdamHyper h;
  h.lr = 0.01;
  adamUpdate(p, g, m, v, 1, h);
  EXPECT_NEAR(p.data[0], 0.99f, 1e-6);
}

} // namespace
