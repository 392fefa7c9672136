//===- ReferenceElementwiseTest.cpp - f16/bf16, elementwise, casts --------===//
//
// Expected values are hand-computed, exact IEEE facts, or taken from PyTorch
// (float64) and written down with where they came from.
//
//===----------------------------------------------------------------------===//
#include "ir/reference/Elementwise.h"
#include "runtime/core/FloatConvert.h"
#include "ir/reference/HostConvert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace dlc;
using namespace dlc::ref;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

//===----------------------------------------------------------------------===//
// f16 and bf16
//===----------------------------------------------------------------------===//

TEST(FloatConvertTest, HalfKnownValues) {
  EXPECT_EQ(doubleToHalf(1.0), 0x3C00);
  EXPECT_EQ(doubleToHalf(-2.0), 0xC000);
  EXPECT_EQ(doubleToHalf(0.0), 0x0000);
  EXPECT_EQ(doubleToHalf(-0.0), 0x8000);
  EXPECT_EQ(doubleToHalf(65504.0), 0x7BFF);  // largest finite
  EXPECT_EQ(doubleToHalf(65519.99), 0x7BFF); // below the midpoint
  EXPECT_EQ(doubleToHalf(65520.0), 0x7C00);  // midpoint: ties to inf
  EXPECT_EQ(doubleToHalf(1e10), 0x7C00);
  EXPECT_EQ(doubleToHalf(-kInf), 0xFC00);
  EXPECT_EQ(doubleToHalf(std::ldexp(1.0, -14)), 0x0400); // smallest normal
  EXPECT_EQ(doubleToHalf(std::ldexp(1.0, -24)), 0x0001); // smallest subnormal
  EXPECT_EQ(doubleToHalf(std::ldexp(1.0, -25)), 0x0000); // tie -> even (0)
  EXPECT_EQ(doubleToHalf(std::ldexp(1.5, -25)), 0x0001); // above the tie
  EXPECT_EQ(doubleToHalf(std::ldexp(3.0, -25)), 0x0002); // tie 1|2 -> 2
  EXPECT_EQ(doubleToHalf(1.0 + std::ldexp(1.0, -11)), 0x3C00); // tie -> even
  EXPECT_EQ(doubleToHalf(1.0 + std::ldexp(3.0, -11)), 0x3C02); // tie -> even
  EXPECT_EQ(doubleToHalf(std::ldexp(1.0, -60)), 0x0000);
  // A subnormal that rounds up into the smallest normal.
  EXPECT_EQ(doubleToHalf(std::ldexp(1.0, -14) - std::ldexp(1.0, -26)), 0x0400);
  uint16_t nan = doubleToHalf(kNaN);
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x03FF, 0);
  EXPECT_EQ(halfToDouble(0x3555), 0.333251953125); // 0x3555 = 1365/4096
  EXPECT_EQ(halfToDouble(0x0001), std::ldexp(1.0, -24));
  EXPECT_EQ(halfToDouble(0x7BFF), 65504.0);
  EXPECT_TRUE(std::isinf(halfToDouble(0x7C00)));
  EXPECT_TRUE(std::isnan(halfToDouble(0x7E00)));
}

/// Every finite value round-trips; midpoints between neighbours round to the
/// one with an even bit pattern, and anything off the midpoint to the
/// nearer one. `next(bits)` is the bit pattern of the next larger magnitude.
template <typename Decode, typename Encode>
void checkAllPatterns(Decode decode, Encode encode, uint16_t infBits) {
  for (uint32_t bits = 0; bits < infBits; ++bits) {
    double v = decode(uint16_t(bits));
    ASSERT_EQ(encode(v), bits) << bits;
    ASSERT_EQ(encode(-v), bits | 0x8000) << bits;
    double next = decode(uint16_t(bits + 1)); // may be inf for the last one
    double mid = std::isinf(next) ? v + (v - decode(uint16_t(bits - 1))) / 2
                                  : (v + next) / 2;
    uint16_t even = (bits & 1) ? uint16_t(bits + 1) : uint16_t(bits);
    ASSERT_EQ(encode(mid), even) << bits;
    ASSERT_EQ(encode(std::nextafter(mid, 0.0)), bits) << bits;
    ASSERT_EQ(encode(std::nextafter(mid, kInf)), bits + 1) << bits;
  }
}

TEST(FloatConvertTest, HalfExhaustive) {
  checkAllPatterns(halfToDouble, doubleToHalf, 0x7C00);
}

TEST(FloatConvertTest, BFloat16Exhaustive) {
  checkAllPatterns(bfloat16ToDouble, doubleToBFloat16, 0x7F80);
}

TEST(FloatConvertTest, BFloat16KnownValues) {
  EXPECT_EQ(doubleToBFloat16(1.0), 0x3F80);
  EXPECT_EQ(doubleToBFloat16(-1.0), 0xBF80);
  EXPECT_EQ(doubleToBFloat16(1.0 + std::ldexp(1.0, -8)), 0x3F80); // tie
  EXPECT_EQ(doubleToBFloat16(1.0 + std::ldexp(3.0, -8)), 0x3F82); // tie
  // Rounding through float first would land on the tie and go down to 1.0;
  // rounding once from double goes up.
  EXPECT_EQ(float(1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40)),
            1.0f + std::ldexp(1.0f, -8));
  EXPECT_EQ(doubleToBFloat16(1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40)),
            0x3F81);
  EXPECT_EQ(doubleToBFloat16(3.4e38), 0x7F80); // above bf16's max: inf
  EXPECT_EQ(bfloat16ToDouble(0x7F7F), 3.3895313892515355e38); // bf16 max
  EXPECT_TRUE(std::isnan(bfloat16ToDouble(doubleToBFloat16(kNaN))));
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

TEST(ReferenceUnaryTest, GeluMatchesPyTorch) {
  // torch.nn.functional.gelu(x, approximate=...) in float64.
  Tensor<double> x({7}, {-3, -1, -0.5, 0, 0.5, 1, 3});
  std::vector<double> exact = {
      -0.00404969409489031, -0.15865525393145702, -0.15426876936299344, 0.0,
      0.34573123063700656,  0.841344746068543,    2.99595030590511};
  std::vector<double> tanh = {
      -0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0.0,
      0.34571400982514394,    0.8411919906082768,   2.996362607918227};
  Tensor<double> g = unary(UnaryKind::Gelu, x);
  Tensor<double> gt = unary(UnaryKind::GeluTanh, x);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_NEAR(g.data[i], exact[i], 1e-15) << x.data[i];
    EXPECT_NEAR(gt.data[i], tanh[i], 1e-15) << x.data[i];
  }
  // float: within a few ulps of the double value.
  Tensor<float> xf({7}, {-3, -1, -0.5, 0, 0.5, 1, 3});
  Tensor<float> gf = unary(UnaryKind::Gelu, xf);
  for (size_t i = 0; i < 7; ++i)
    EXPECT_NEAR(gf.data[i], exact[i], 1e-6);
}

TEST(ReferenceUnaryTest, KnownPoints) {
  EXPECT_EQ(unaryScalar(UnaryKind::Neg, 2.5), -2.5);
  EXPECT_EQ(unaryScalar(UnaryKind::Exp, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(unaryScalar(UnaryKind::Log, std::exp(2.0)), 2.0);
  EXPECT_EQ(unaryScalar(UnaryKind::Sqrt, 9.0), 3.0);
  EXPECT_EQ(unaryScalar(UnaryKind::Rsqrt, 4.0), 0.5);
  EXPECT_EQ(unaryScalar(UnaryKind::Tanh, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(unaryScalar(UnaryKind::Tanh, 1.0), 0.7615941559557649);
  EXPECT_EQ(unaryScalar(UnaryKind::Sigmoid, 0.0), 0.5);
  EXPECT_DOUBLE_EQ(unaryScalar(UnaryKind::Sigmoid, 2.0),
                   1.0 / (1.0 + std::exp(-2.0)));
  EXPECT_EQ(unaryScalar(UnaryKind::Sigmoid, -1000.0), 0.0); // no NaN
  EXPECT_EQ(unaryScalar(UnaryKind::Sigmoid, 1000.0), 1.0);
  EXPECT_EQ(unaryScalar(UnaryKind::Relu, -3.0), 0.0);
  EXPECT_EQ(unaryScalar(UnaryKind::Relu, 3.0), 3.0);
  EXPECT_TRUE(std::isnan(unaryScalar(UnaryKind::Relu, kNaN)));
  EXPECT_DOUBLE_EQ(unaryScalar(UnaryKind::Erf, 0.5), 0.5204998778130465);
  EXPECT_TRUE(std::isnan(unaryScalar(UnaryKind::Log, -1.0)));
}

//===----------------------------------------------------------------------===//
// Binary, compare, where
//===----------------------------------------------------------------------===//

TEST(ReferenceBinaryTest, BroadcastsLikeNumpy) {
  // a[2,1,3] (values 100*i + k) - b[4,1] (values j): out[i][j][k] =
  // a[i][0][k] - b[j][0], shape [2, 4, 3].
  Tensor<float> a({2, 1, 3}, {0, 1, 2, 100, 101, 102});
  Tensor<float> b({4, 1}, {0, 10, 20, 30});
  Tensor<float> out;
  ASSERT_TRUE(binary(BinaryKind::Sub, a, b, out).ok());
  ASSERT_EQ(out.shape, (Shape{2, 4, 3}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k)
        EXPECT_EQ(out.data[(i * 4 + j) * 3 + k], 100 * i + k - 10 * j);
  // A scalar broadcasts against anything.
  Tensor<float> s({}, {2});
  ASSERT_TRUE(binary(BinaryKind::Pow, b, s, out).ok());
  EXPECT_EQ(out.data, (std::vector<float>{0, 100, 400, 900}));
  ASSERT_TRUE(binary(BinaryKind::Div, s, b, out).ok());
  EXPECT_TRUE(std::isinf(out.data[0]));
  EXPECT_EQ(out.data[1], 0.2f);
}

TEST(ReferenceBinaryTest, MaximumMinimumPropagateNaN) {
  Tensor<double> a({3}, {1, kNaN, 5}), b({3}, {2, 0, kNaN});
  Tensor<double> out;
  ASSERT_TRUE(binary(BinaryKind::Maximum, a, b, out).ok());
  EXPECT_EQ(out.data[0], 2);
  EXPECT_TRUE(std::isnan(out.data[1]) && std::isnan(out.data[2]));
  ASSERT_TRUE(binary(BinaryKind::Minimum, a, b, out).ok());
  EXPECT_EQ(out.data[0], 1);
  EXPECT_TRUE(std::isnan(out.data[1]) && std::isnan(out.data[2]));
}

TEST(ReferenceBinaryTest, IntegersAreExact) {
  int64_t big = (int64_t(1) << 53) + 1; // not representable in double
  Tensor<int64_t> a({3}, {big, -7, 7}), b({3}, {1, 2, -2}), out;
  ASSERT_TRUE(binary(BinaryKind::Add, a, b, out).ok());
  EXPECT_EQ(out.data, (std::vector<int64_t>{big + 1, -5, 5}));
  ASSERT_TRUE(binary(BinaryKind::Div, a, b, out).ok());
  EXPECT_EQ(out.data, (std::vector<int64_t>{big, -3, -3})); // toward zero
  ASSERT_TRUE(binary(BinaryKind::Pow, Tensor<int64_t>({2}, {3, -2}),
                     Tensor<int64_t>({2}, {4, 3}), out)
                  .ok());
  EXPECT_EQ(out.data, (std::vector<int64_t>{81, -8}));
  // Overflow wraps instead of being undefined.
  int64_t max = std::numeric_limits<int64_t>::max();
  ASSERT_TRUE(binary(BinaryKind::Add, Tensor<int64_t>({}, {max}),
                     Tensor<int64_t>({}, {1}), out)
                  .ok());
  EXPECT_EQ(out.data[0], std::numeric_limits<int64_t>::min());

  int64_t min = std::numeric_limits<int64_t>::min();
  ASSERT_TRUE(binary(BinaryKind::Div, Tensor<int64_t>({}, {min}),
                     Tensor<int64_t>({}, {-1}), out)
                  .ok());
  EXPECT_EQ(out.data[0], std::numeric_limits<int64_t>::min());
}

TEST(ReferenceBinaryTest, IntegerErrors) {
  Tensor<int64_t> out;
  Status s = binary(BinaryKind::Div, Tensor<int64_t>({2}, {1, 2}),
                    Tensor<int64_t>({2}, {1, 0}), out);
  EXPECT_EQ(s.error, "integer division by zero");
  s = binary(BinaryKind::Pow, Tensor<int64_t>({}, {2}),
             Tensor<int64_t>({}, {-1}), out);
  EXPECT_EQ(s.error, "integer power with a negative exponent (-1)");
}

TEST(ReferenceBinaryTest, CompareAndWhere) {
  Tensor<float> a({2, 1}, {1, 3}), b({3}, {1, 2, kNaN});
  auto lt = compare(CompareKind::Lt, a, b);
  ASSERT_EQ(lt.shape, (Shape{2, 3}));
  EXPECT_EQ(lt.data, (std::vector<int64_t>{0, 1, 0, 0, 0, 0}));
  auto eq = compare(CompareKind::Eq, a, b);
  EXPECT_EQ(eq.data, (std::vector<int64_t>{1, 0, 0, 0, 0, 0}));
  auto ne = compare(CompareKind::Ne, a, b);
  EXPECT_EQ(ne.data, (std::vector<int64_t>{0, 1, 1, 1, 1, 1}));
  auto ge = compare(CompareKind::Ge, a, b);
  EXPECT_EQ(ge.data, (std::vector<int64_t>{1, 0, 0, 1, 1, 0}));
  // where(cond[2,3], lhs[3], rhs[]) -> [2,3].
  Tensor<float> lhs({3}, {10, 20, 30}), rhs({}, {-1});
  Tensor<float> w = where(ge, lhs, rhs);
  ASSERT_EQ(w.shape, (Shape{2, 3}));
  EXPECT_EQ(w.data, (std::vector<float>{10, -1, -1, 10, 20, -1}));
  Tensor<int64_t> wi =
      where(Tensor<int64_t>({2}, {0, 1}), Tensor<int64_t>({2}, {5, 6}),
            Tensor<int64_t>({}, {7}));
  EXPECT_EQ(wi.data, (std::vector<int64_t>{7, 6}));
}

//===----------------------------------------------------------------------===//
// Casts and storage
//===----------------------------------------------------------------------===//

TEST(ReferenceCastTest, FloatToInt) {
  Tensor<double> x({9}, {2.7, -2.7, -0.5, 0.0, -0.0, kNaN, 1e20, -1e20, 0.25});
  EXPECT_EQ(
      floatToInt(x, IntKind::I32).data,
      (std::vector<int64_t>{2, -2, 0, 0, 0, 0, 2147483647, -2147483648LL, 0}));
  EXPECT_EQ(floatToInt(x, IntKind::I64).data,
            (std::vector<int64_t>{2, -2, 0, 0, 0, 0,
                                  std::numeric_limits<int64_t>::max(),
                                  std::numeric_limits<int64_t>::min(), 0}));
  // To i1 is x != 0: -0.5 and 0.25 are true, +-0 false, NaN true.
  EXPECT_EQ(floatToInt(x, IntKind::I1).data,
            (std::vector<int64_t>{1, 1, 1, 0, 0, 1, 1, 1, 1}));
  // Just inside and outside the i32 range.
  Tensor<double> edge({3}, {2147483647.9, 2147483648.0, -2147483648.9});
  EXPECT_EQ(floatToInt(edge, IntKind::I32).data,
            (std::vector<int64_t>{2147483647, 2147483647, -2147483648LL}));
}

TEST(ReferenceCastTest, IntConversions) {
  Tensor<int64_t> x({4}, {(int64_t(1) << 32) + 5, -1, 0, 2147483648LL});
  EXPECT_EQ(intToInt(x, IntKind::I32).data,
            (std::vector<int64_t>{5, -1, 0, -2147483648LL}));
  EXPECT_EQ(intToInt(x, IntKind::I1).data, (std::vector<int64_t>{1, 1, 0, 1}));
  EXPECT_EQ(intToFloat<float>(Tensor<int64_t>({2}, {-3, 16777217})).data,
            (std::vector<float>{-3.0f, 16777216.0f}));
}

TEST(ReferenceStorageTest, LoadAndStoreRoundTrip) {
  // f16 bytes for 1.0, -2.0, 65504 load exactly; storing rounds.
  HostTensor h = HostTensor::zeros(DType::F16, {3});
  uint16_t bits[3] = {0x3C00, 0xC000, 0x7BFF};
  std::memcpy(h.bytes.data(), bits, sizeof bits);
  Tensor<float> t;
  std::string err;
  ASSERT_TRUE(loadFloat(h, t, err)) << err;
  EXPECT_EQ(t.data, (std::vector<float>{1.0f, -2.0f, 65504.0f}));
  t.data[0] = 1.0f + std::ldexp(1.0f, -12); // rounds back to 1.0
  HostTensor back = storeFloat(t, DType::F16);
  std::memcpy(bits, back.bytes.data(), sizeof bits);
  EXPECT_EQ(bits[0], 0x3C00);
  EXPECT_EQ(bits[2], 0x7BFF);

  roundTo(t, DType::BF16);
  EXPECT_EQ(t.data[0], 1.0f);

  HostTensor i32 =
      storeInt(Tensor<int64_t>({2}, {(int64_t(1) << 32) + 7, -1}), DType::I32);
  Tensor<int64_t> ints;
  ASSERT_TRUE(loadInt(i32, ints, err)) << err;
  EXPECT_EQ(ints.data, (std::vector<int64_t>{7, -1}));
  HostTensor i1 = storeInt(Tensor<int64_t>({2}, {0, 5}), DType::I1);
  EXPECT_EQ(i1.bytes, (std::vector<uint8_t>{0, 1}));

  // Malformed tensors are reported, not read out of bounds.
  HostTensor bad = HostTensor::zeros(DType::F32, {4});
  bad.bytes.resize(8);
  EXPECT_FALSE(loadFloat(bad, t, err));
  EXPECT_NE(err.find("has 8 bytes"), std::string::npos) << err;
  EXPECT_FALSE(loadInt(h, ints, err));
}

} // namespace
