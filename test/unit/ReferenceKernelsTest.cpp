//===- ReferenceKernelsTest.cpp - reductions, contractions, movement ------===//
//
// Small cases are checked against hand-computed values; conv2d, matmul and
// pooling are also checked on random data against direct textbook loops
// written here (one sum per output element, a bounds check per tap).
//
//===----------------------------------------------------------------------===//
#include "ir/reference/Contraction.h"
#include "ir/reference/Loss.h"
#include "ir/reference/Movement.h"
#include "ir/reference/Reduction.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

using namespace dlc::ref;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

template <typename T> Tensor<T> iota(Shape shape, T start = 0) {
  Tensor<T> t = Tensor<T>::filled(std::move(shape), T(0));
  std::iota(t.data.begin(), t.data.end(), start);
  return t;
}

Tensor<double> randomTensor(Shape shape, std::mt19937_64 &rng) {
  std::uniform_real_distribution<double> dist(-1, 1);
  Tensor<double> t = Tensor<double>::filled(std::move(shape), 0);
  for (double &v : t.data)
    v = dist(rng);
  return t;
}

void expectNear(const std::vector<double> &a, const std::vector<double> &b,
                double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], tol) << "at " << i;
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

TEST(ReferenceReduceTest, SumMeanMax) {
  // x[i][j][k] = 12i + 4j + k over [2, 3, 4].
  Tensor<double> x = iota<double>({2, 3, 4});
  // Sum over i and k: 2*4*4j + 4*(0 + 12) + 2*(0+1+2+3) = 32j + 60.
  Tensor<double> s = reduce(ReduceKind::Sum, x, {0, 2}, /*keepdims=*/true);
  EXPECT_EQ(s.shape, (Shape{1, 3, 1}));
  EXPECT_EQ(s.data, (std::vector<double>{60, 92, 124}));
  s = reduce(ReduceKind::Sum, x, {-1, 0}, false);
  EXPECT_EQ(s.shape, (Shape{3}));
  EXPECT_EQ(s.data, (std::vector<double>{60, 92, 124}));
  // Empty axes: everything.
  Tensor<double> all = reduce(ReduceKind::Sum, x, {}, false);
  EXPECT_EQ(all.shape, Shape{});
  EXPECT_EQ(all.data, (std::vector<double>{276}));
  all = reduce(ReduceKind::Mean, x, {}, true);
  EXPECT_EQ(all.shape, (Shape{1, 1, 1}));
  EXPECT_EQ(all.data, (std::vector<double>{11.5}));
  // Max over j: x[i][2][k] = 12i + 8 + k.
  Tensor<double> m = reduce(ReduceKind::Max, x, {1}, false);
  EXPECT_EQ(m.shape, (Shape{2, 4}));
  EXPECT_EQ(m.data, (std::vector<double>{8, 9, 10, 11, 20, 21, 22, 23}));
  // Mean over j: 12i + 4 + k.
  Tensor<float> mf =
      reduce(ReduceKind::Mean, iota<float>({2, 3, 4}), {1}, false);
  EXPECT_EQ(mf.data, (std::vector<float>{4, 5, 6, 7, 16, 17, 18, 19}));
}

TEST(ReferenceReduceTest, MaxPropagatesNaN) {
  Tensor<double> x({2, 2}, {1, kNaN, kNaN, 3});
  Tensor<double> m = reduce(ReduceKind::Max, x, {1}, false);
  EXPECT_TRUE(std::isnan(m.data[0]));
  EXPECT_TRUE(std::isnan(m.data[1]));
}

TEST(ReferenceSoftmaxTest, RowsSumToOneAndMatchFormula) {
  // The second row would overflow exp() without subtracting the max.
  Tensor<double> x({2, 3}, {0, 1, 2, 1000, 1001, 1002});
  Tensor<double> p = softmax(x, -1);
  double z = 1 + std::exp(1.0) + std::exp(2.0);
  std::vector<double> row = {1 / z, std::exp(1.0) / z, std::exp(2.0) / z};
  expectNear(p.data, {row[0], row[1], row[2], row[0], row[1], row[2]}, 1e-15);
  for (int r = 0; r < 2; ++r)
    EXPECT_NEAR(p.data[3 * r] + p.data[3 * r + 1] + p.data[3 * r + 2], 1.0,
                1e-15);
  Tensor<double> lp = logSoftmax(x, 1);
  for (int i = 0; i < 6; ++i)
    EXPECT_NEAR(lp.data[i], std::log(row[i % 3]), 1e-14);

  // Along axis 0 of [[0, 0], [ln 3, 0]]: columns [1/4, 3/4] and [1/2, 1/2].
  Tensor<float> y({2, 2}, {0, 0, float(std::log(3.0)), 0});
  Tensor<float> q = softmax(y, 0);
  EXPECT_NEAR(q.data[0], 0.25f, 1e-7);
  EXPECT_NEAR(q.data[2], 0.75f, 1e-7);
  EXPECT_NEAR(q.data[1], 0.5f, 1e-7);
  EXPECT_NEAR(q.data[3], 0.5f, 1e-7);
  // log_softmax stays finite where log(softmax) would be log(0).
  Tensor<float> far = logSoftmax(Tensor<float>({2}, {0, 200}), 0);
  EXPECT_EQ(far.data[0], -200.0f);
  EXPECT_EQ(far.data[1], 0.0f);
}

TEST(ReferenceNormTest, LayerNorm) {
  // Row [1,2,3,4]: mean 2.5, biased variance 1.25. Row [2,2,2,2]: variance
  // 0, so the normalized values are 0 and only the bias remains.
  Tensor<double> x({2, 4}, {1, 2, 3, 4, 2, 2, 2, 2});
  Tensor<double> scale({4}, {1, 2, 1, 1}), bias({4}, {0, 0, 0, 1});
  Tensor<double> y = layerNorm(x, scale, bias, -1, 1e-5);
  double inv = 1 / std::sqrt(1.25 + 1e-5);
  expectNear(y.data,
             {-1.5 * inv, -0.5 * inv * 2, 0.5 * inv, 1.5 * inv + 1, 0, 0, 0, 1},
             1e-15);
  // axis 1 of [2, 2, 2]: each batch row of 4 values normalized together.
  Tensor<double> z =
      layerNorm(Tensor<double>({2, 2, 2}, {1, 2, 3, 4, 1, 2, 3, 4}),
                Tensor<double>({2, 2}, {1, 1, 1, 1}),
                Tensor<double>({2, 2}, {0, 0, 0, 0}), 1, 0.0);
  inv = 1 / std::sqrt(1.25);
  expectNear(z.data,
             {-1.5 * inv, -0.5 * inv, 0.5 * inv, 1.5 * inv, -1.5 * inv,
              -0.5 * inv, 0.5 * inv, 1.5 * inv},
             1e-15);
}

TEST(ReferenceNormTest, BatchNorm) {
  // [N=1, C=2, S=2]: c0 = (x - 1) / 2 * 2 + 0, c1 = (x - 4) / 1 * 1 + 10.
  Tensor<double> x({1, 2, 2}, {1, 2, 3, 5});
  Tensor<double> y =
      batchNorm(x, Tensor<double>({2}, {2, 1}), Tensor<double>({2}, {0, 10}),
                Tensor<double>({2}, {1, 4}), Tensor<double>({2}, {4, 1}), 0.0);
  EXPECT_EQ(y.data, (std::vector<double>{0, 1, 9, 11}));
  // epsilon is added to the variance.
  y = batchNorm(Tensor<double>({1, 1}, {3}), Tensor<double>({1}, {1}),
                Tensor<double>({1}, {0}), Tensor<double>({1}, {0}),
                Tensor<double>({1}, {0.75}), 0.25);
  EXPECT_EQ(y.data[0], 3.0);
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

TEST(ReferenceMatmulTest, HandComputed) {
  Tensor<float> a({2, 3}, {1, 2, 3, 4, 5, 6}), b({3, 2}, {7, 8, 9, 10, 11, 12});
  Tensor<float> c = matmul(a, b);
  EXPECT_EQ(c.shape, (Shape{2, 2}));
  EXPECT_EQ(c.data, (std::vector<float>{58, 64, 139, 154}));
  Tensor<float> bc = batchMatmul(Tensor<float>({1, 2, 3}, a.data),
                                 Tensor<float>({1, 3, 2}, b.data));
  EXPECT_EQ(bc.data, c.data);
}

TEST(ReferenceMatmulTest, BroadcastBatchMatchesDirectLoops) {
  std::mt19937_64 rng(1);
  Tensor<double> a = randomTensor({2, 1, 4, 5}, rng);
  Tensor<double> b = randomTensor({3, 5, 6}, rng);
  Tensor<double> c = matmul(a, b);
  ASSERT_EQ(c.shape, (Shape{2, 3, 4, 6}));
  for (int p = 0; p < 2; ++p)
    for (int q = 0; q < 3; ++q)
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 6; ++j) {
          double acc = 0;
          for (int k = 0; k < 5; ++k)
            acc += a.data[(p * 4 + i) * 5 + k] * b.data[(q * 5 + k) * 6 + j];
          EXPECT_NEAR(c.data[((p * 3 + q) * 4 + i) * 6 + j], acc, 1e-14);
        }
}

TEST(ReferenceDenseTest, WithAndWithoutBias) {
  // [2, 3] x W[2, 3]^T + b.
  Tensor<double> x({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor<double> w({2, 3}, {1, 0, -1, 0.5, 0.5, 0.5}), b({2}, {10, 20});
  Tensor<double> y = dense(x, w, &b);
  EXPECT_EQ(y.shape, (Shape{2, 2}));
  EXPECT_EQ(y.data, (std::vector<double>{8, 23, 8, 27.5}));
  y = dense(Tensor<double>({1, 1, 3}, {1, 2, 3}), w, nullptr);
  EXPECT_EQ(y.shape, (Shape{1, 1, 2}));
  EXPECT_EQ(y.data, (std::vector<double>{-2, 3}));
}

/// conv2d by its definition, one output element at a time.
Tensor<double> directConv(const Tensor<double> &x, const Tensor<double> &w,
                          const Tensor<double> *bias, const Window2d &win,
                          int64_t groups) {
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  int64_t o = w.shape[0], cg = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  int64_t oh =
      (h + win.padding[0] + win.padding[2] - win.dilation[0] * (kh - 1) - 1) /
          win.stride[0] +
      1;
  int64_t ow =
      (wd + win.padding[1] + win.padding[3] - win.dilation[1] * (kw - 1) - 1) /
          win.stride[1] +
      1;
  Tensor<double> out = Tensor<double>::filled({n, o, oh, ow}, 0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t f = 0; f < o; ++f)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xx = 0; xx < ow; ++xx) {
          double acc = bias ? bias->data[f] : 0;
          int64_t g = f / (o / groups);
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t iy =
                    y * win.stride[0] - win.padding[0] + i * win.dilation[0];
                int64_t ix =
                    xx * win.stride[1] - win.padding[1] + j * win.dilation[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                  continue;
                acc += x.data[((b * c + g * cg + ci) * h + iy) * wd + ix] *
                       w.data[((f * cg + ci) * kh + i) * kw + j];
              }
          out.data[((b * o + f) * oh + y) * ow + xx] = acc;
        }
  return out;
}

Window2d makeWindow(std::array<int64_t, 2> s, std::array<int64_t, 4> p,
                    std::array<int64_t, 2> d) {
  Window2d w;
  for (int i = 0; i < 2; ++i) {
    w.stride[i] = s[i];
    w.dilation[i] = d[i];
  }
  for (int i = 0; i < 4; ++i)
    w.padding[i] = p[i];
  return w;
}

TEST(ReferenceConvTest, HandComputed) {
  Tensor<double> x = iota<double>({1, 1, 3, 3}, 1); // 1..9
  Tensor<double> w({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor<double> y =
      conv2d(x, w, nullptr, makeWindow({1, 1}, {0, 0, 0, 0}, {1, 1}), 1);
  EXPECT_EQ(y.shape, (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.data, (std::vector<double>{37, 47, 67, 77}));
  // Padding on top only: row 0 sees input row 0 through kernel row 1.
  y = conv2d(x, w, nullptr, makeWindow({1, 1}, {1, 0, 0, 0}, {1, 1}), 1);
  EXPECT_EQ(y.shape, (Shape{1, 1, 3, 2}));
  EXPECT_EQ(y.data, (std::vector<double>{11, 18, 37, 47, 67, 77}));
  // Dilation 2 with a 2x2 kernel of ones: the four corners.
  Tensor<double> ones = Tensor<double>::filled({1, 1, 2, 2}, 1);
  y = conv2d(x, ones, nullptr, makeWindow({1, 1}, {0, 0, 0, 0}, {2, 2}), 1);
  EXPECT_EQ(y.data, (std::vector<double>{20}));
  // Stride 2 with padding 1 all round and bias.
  Tensor<double> bias({1}, {0.5});
  y = conv2d(x, ones, &bias, makeWindow({2, 2}, {1, 1, 1, 1}, {1, 1}), 1);
  EXPECT_EQ(y.shape, (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.data, (std::vector<double>{1.5, 5.5, 11.5, 28.5}));
  // Depthwise: groups = channels, each channel scaled by its own weight.
  y = conv2d(Tensor<double>({1, 2, 1, 1}, {2, 3}),
             Tensor<double>({2, 1, 1, 1}, {10, 100}), nullptr,
             makeWindow({1, 1}, {0, 0, 0, 0}, {1, 1}), 2);
  EXPECT_EQ(y.data, (std::vector<double>{20, 300}));
}

TEST(ReferenceConvTest, MatchesDirectLoops) {
  struct Case {
    Shape x, w;
    std::array<int64_t, 2> s;
    std::array<int64_t, 4> p;
    std::array<int64_t, 2> d;
    int64_t groups;
  } cases[] = {
      {{2, 3, 7, 6}, {4, 3, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1},
      {{1, 4, 9, 8}, {6, 2, 3, 2}, {2, 1}, {2, 0, 1, 3}, {1, 2}, 2},
      {{2, 6, 5, 5}, {6, 1, 3, 3}, {1, 2}, {1, 1, 1, 1}, {2, 1}, 6},
      {{1, 2, 4, 11}, {3, 2, 1, 4}, {3, 3}, {0, 2, 0, 2}, {1, 3}, 1},
  };
  std::mt19937_64 rng(7);
  for (const Case &c : cases) {
    Tensor<double> x = randomTensor(c.x, rng), w = randomTensor(c.w, rng);
    Tensor<double> b = randomTensor({c.w[0]}, rng);
    Window2d win = makeWindow(c.s, c.p, c.d);
    Tensor<double> want = directConv(x, w, &b, win, c.groups);
    Tensor<double> got = conv2d(x, w, &b, win, c.groups);
    ASSERT_EQ(got.shape, want.shape);
    expectNear(got.data, want.data, 1e-13);
    // float agrees with double to float accuracy.
    Tensor<float> xf(x.shape, std::vector<float>(x.data.begin(), x.data.end()));
    Tensor<float> wf(w.shape, std::vector<float>(w.data.begin(), w.data.end()));
    Tensor<float> gotF = conv2d<float>(xf, wf, nullptr, win, c.groups);
    Tensor<double> noBias = directConv(x, w, nullptr, win, c.groups);
    for (size_t i = 0; i < gotF.data.size(); ++i)
      EXPECT_NEAR(gotF.data[i], noBias.data[i], 1e-5);
  }
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

TEST(ReferencePoolTest, MaxPoolPaddingNeverWins) {
  // All inputs negative: a padded zero would win if padding took part.
  Tensor<double> x({1, 1, 2, 2}, {-1, -2, -3, -4});
  int64_t k[2] = {2, 2};
  Tensor<double> y = maxPool2d(x, k, makeWindow({2, 2}, {1, 1, 1, 1}, {1, 1}));
  EXPECT_EQ(y.shape, (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.data, (std::vector<double>{-1, -2, -3, -4}));
  // Stride 1, no padding over 1..9 (3x3): windows' maxima.
  y = maxPool2d(iota<double>({1, 1, 3, 3}, 1), k,
                makeWindow({1, 1}, {0, 0, 0, 0}, {1, 1}));
  EXPECT_EQ(y.data, (std::vector<double>{5, 6, 8, 9}));
  // Dilation 2: the corners of the 3x3.
  y = maxPool2d(Tensor<double>({1, 1, 3, 3}, {9, 0, 1, 0, 0, 0, 2, 0, 3}), k,
                makeWindow({1, 1}, {0, 0, 0, 0}, {2, 2}));
  EXPECT_EQ(y.data, (std::vector<double>{9}));
  // A dilated window that lies wholly in the padding gives -inf.
  y = maxPool2d(Tensor<double>({1, 1, 2, 2}, {1, 2, 3, 4}), k,
                makeWindow({1, 1}, {1, 1, 1, 1}, {3, 3}));
  EXPECT_EQ(y.shape, (Shape{1, 1, 1, 1}));
  EXPECT_EQ(y.data[0], -std::numeric_limits<double>::infinity());
}

TEST(ReferencePoolTest, AvgPoolCountIncludePad) {
  // 1..9 in 3x3, kernel 3, stride 1, padding 1: corner (0,0) sees {1,2,4,5}
  // (sum 12), edge (0,1) sees {1..6} (21), the centre sees all (45).
  Tensor<double> x = iota<double>({1, 1, 3, 3}, 1);
  int64_t k[2] = {3, 3};
  Window2d w = makeWindow({1, 1}, {1, 1, 1, 1}, {1, 1});
  Tensor<double> ex = avgPool2d(x, k, w, false);
  Tensor<double> in = avgPool2d(x, k, w, true);
  ASSERT_EQ(ex.shape, (Shape{1, 1, 3, 3}));
  EXPECT_DOUBLE_EQ(ex.data[0], 3.0);
  EXPECT_DOUBLE_EQ(ex.data[1], 3.5);
  EXPECT_DOUBLE_EQ(ex.data[4], 5.0);
  EXPECT_DOUBLE_EQ(ex.data[8], (5 + 6 + 8 + 9) / 4.0);
  EXPECT_DOUBLE_EQ(in.data[0], 12 / 9.0);
  EXPECT_DOUBLE_EQ(in.data[1], 21 / 9.0);
  EXPECT_DOUBLE_EQ(in.data[4], 5.0);
  // Asymmetric padding and stride 2 on a 2-channel input.
  int64_t k2[2] = {2, 2};
  Tensor<double> y = avgPool2d(iota<double>({1, 2, 2, 3}), k2,
                               makeWindow({2, 2}, {0, 1, 0, 0}, {1, 1}), false);
  // Output [1,2,1,2]: windows cols {-1,0} and {1,2} over rows {0,1}.
  EXPECT_EQ(y.shape, (Shape{1, 2, 1, 2}));
  EXPECT_EQ(y.data, (std::vector<double>{1.5, 3, 7.5, 9}));
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

TEST(ReferenceMovementTest, SlicePythonSemantics) {
  Tensor<int64_t> x = iota<int64_t>({10});
  auto s = [&](int64_t b, int64_t e, int64_t step) {
    return slice(x, {b}, {e}, {}, {step}).data;
  };
  EXPECT_EQ(s(-3, 100, 1), (std::vector<int64_t>{7, 8, 9})); // x[-3:100]
  EXPECT_EQ(s(-100, -8, 1), (std::vector<int64_t>{0, 1}));   // x[-100:-8]
  EXPECT_EQ(s(1, 10, 3), (std::vector<int64_t>{1, 4, 7}));   // x[1:10:3]
  EXPECT_EQ(s(5, 2, 1), (std::vector<int64_t>{}));           // empty
  EXPECT_EQ(s(-1, -1, 1), (std::vector<int64_t>{}));
  EXPECT_EQ(s(0, -1, 4), (std::vector<int64_t>{0, 4, 8})); // x[0:-1:4]
  // 2-D, slicing only axis -1 (x[:, 1::2]) and both axes.
  Tensor<double> m = iota<double>({3, 4});
  Tensor<double> r = slice(m, {1}, {100}, {-1}, {2});
  EXPECT_EQ(r.shape, (Shape{3, 2}));
  EXPECT_EQ(r.data, (std::vector<double>{1, 3, 5, 7, 9, 11}));
  r = slice(m, {-2, 0}, {3, -3}, {}, {});
  EXPECT_EQ(r.shape, (Shape{2, 1}));
  EXPECT_EQ(r.data, (std::vector<double>{4, 8}));
}

TEST(ReferenceMovementTest, TransposeConcatFlattenBroadcastReshape) {
  Tensor<double> x = iota<double>({2, 3, 4});
  Tensor<double> t = transpose(x, {2, 0, 1});
  ASSERT_EQ(t.shape, (Shape{4, 2, 3}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        EXPECT_EQ(t.data[(k * 2 + i) * 3 + j], x.data[(i * 3 + j) * 4 + k]);

  Tensor<float> a({2, 1}, {1, 2}), b({2, 2}, {3, 4, 5, 6});
  Tensor<float> c = concat<float>({&a, &b}, -1);
  EXPECT_EQ(c.shape, (Shape{2, 3}));
  EXPECT_EQ(c.data, (std::vector<float>{1, 3, 4, 2, 5, 6}));
  c = concat<float>({&b, &b}, 0);
  EXPECT_EQ(c.shape, (Shape{4, 2}));
  EXPECT_EQ(c.data, (std::vector<float>{3, 4, 5, 6, 3, 4, 5, 6}));

  EXPECT_EQ(flatten(x, 2).shape, (Shape{6, 4}));
  EXPECT_EQ(flatten(x, 0).shape, (Shape{1, 24}));
  EXPECT_EQ(flatten(x, -1).shape, (Shape{6, 4}));
  EXPECT_EQ(flatten(x, 3).shape, (Shape{24, 1}));
  EXPECT_EQ(flatten(x, 1).data, x.data);

  Tensor<int64_t> bc =
      broadcastTo(Tensor<int64_t>({3, 1}, {1, 2, 3}), {2, 3, 2});
  EXPECT_EQ(bc.data,
            (std::vector<int64_t>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));

  Tensor<double> rs = reshape(x, {4, -1});
  EXPECT_EQ(rs.shape, (Shape{4, 6}));
  EXPECT_EQ(rs.data, x.data);
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

TEST(ReferenceLossTest, SoftmaxCrossEntropy) {
  // Row 0: softmax [1/2, 1/2], label 0 -> ln 2. Row 1: softmax [3/4, 1/4],
  // label 1 -> ln 4. Mean 1.5 ln 2.
  Tensor<double> logits({2, 2}, {0, 0, std::log(3.0), 0});
  Tensor<double> out;
  ASSERT_TRUE(
      softmaxCrossEntropy(logits, Tensor<int64_t>({2}, {0, 1}), out).ok());
  EXPECT_EQ(out.shape, Shape{});
  EXPECT_NEAR(out.data[0], 1.5 * std::log(2.0), 1e-15);
  // Large logits stay finite.
  Tensor<float> big({1, 2}, {1000, 0});
  Tensor<float> outF;
  ASSERT_TRUE(softmaxCrossEntropy(big, Tensor<int64_t>({1}, {1}), outF).ok());
  EXPECT_EQ(outF.data[0], 1000.0f);
}

TEST(ReferenceLossTest, LabelOutOfRangeIsAnError) {
  Tensor<double> logits = Tensor<double>::filled({2, 3}, 0), out;
  Status s = softmaxCrossEntropy(logits, Tensor<int64_t>({2}, {0, 3}), out);
  EXPECT_EQ(s.error, "label 3 of row 1 is out of range [0, 3)");
  s = softmaxCrossEntropy(logits, Tensor<int64_t>({2}, {-1, 0}), out);
  EXPECT_EQ(s.error, "label -1 of row 0 is out of range [0, 3)");
}

TEST(ReferenceLossTest, MseLoss) {
  Tensor<double> y =
      mseLoss(Tensor<double>({3}, {1, 2, 3}), Tensor<double>({3}, {1, 0, 0}));
  EXPECT_EQ(y.shape, Shape{});
  EXPECT_DOUBLE_EQ(y.data[0], 13.0 / 3.0);
}

} // namespace
