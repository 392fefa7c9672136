//===- InterpreterTest.cpp - the reference interpreter on small modules ---===//
//
// The kernels have their own tests; these check that the interpreter reads
// every op's attributes the way DlcOps.td documents them, keeps integers
// exact, rounds 16-bit floats where it should, and reports errors at the
// op's location.
//
//===----------------------------------------------------------------------===//
#include "ir/Interpreter.h"

#include "ir/DlcDialect.h"
#include "ir/reference/Initializers.h"
#include "ir/reference/HostConvert.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace dlc;

namespace {

HostTensor floats(std::vector<int64_t> shape, std::vector<double> v,
                  DType dtype = DType::F32) {
  return ref::storeFloat(ref::Tensor<double>(std::move(shape), std::move(v)),
                         dtype);
}
HostTensor ints(std::vector<int64_t> shape, std::vector<int64_t> v,
                DType dtype = DType::I64) {
  return ref::storeInt(ref::Tensor<int64_t>(std::move(shape), std::move(v)),
                       dtype);
}
std::vector<double> asDoubles(const HostTensor &t) {
  ref::Tensor<double> d;
  std::string err;
  EXPECT_TRUE(ref::loadFloat(t, d, err)) << err;
  return d.data;
}
std::vector<int64_t> asInts(const HostTensor &t) {
  ref::Tensor<int64_t> d;
  std::string err;
  EXPECT_TRUE(ref::loadInt(t, d, err)) << err;
  return d.data;
}

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() {
    ctx.loadDialect<mlir::dlc::DlcDialect, mlir::func::FuncDialect>();
    // Collect diagnostics instead of printing them.
    handler = std::make_unique<mlir::ScopedDiagnosticHandler>(
        &ctx, [this](mlir::Diagnostic &d) {
          std::string loc;
          llvm::raw_string_ostream os(loc);
          os << d.getLocation();
          diagnostics += loc + ": " + d.str() + "\n";
          return mlir::success();
        });
  }

  /// Parses `source` and runs its function `name`.
  mlir::FailureOr<std::vector<HostTensor>>
  run(const char *source, llvm::StringRef name, std::vector<HostTensor> args,
      Precision precision = Precision::F32) {
    module = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx);
    EXPECT_TRUE(module) << diagnostics;
    if (!module)
      return mlir::failure();
    auto func = module->lookupSymbol<mlir::func::FuncOp>(name);
    EXPECT_TRUE(func) << name.str();
    if (!func)
      return mlir::failure();
    return interpret(func, args, {precision});
  }

  /// Runs a function expected to succeed with one result.
  HostTensor run1(const char *source, llvm::StringRef name,
                  std::vector<HostTensor> args,
                  Precision precision = Precision::F32) {
    auto r = run(source, name, std::move(args), precision);
    EXPECT_TRUE(succeeded(r)) << diagnostics;
    if (failed(r) || r->size() != 1)
      return HostTensor();
    return (*r)[0];
  }

  mlir::MLIRContext ctx;
  std::unique_ptr<mlir::ScopedDiagnosticHandler> handler;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string diagnostics;
};

const char *kMlp = R"mlir(
func.func @mlp(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>, %b: tensor<2xf32>)
    -> tensor<2x2xf32> {
  %0 = dlc.dense %x, %w, %b : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  %1 = dlc.relu %0 : tensor<2x2xf32>
  %2 = dlc.softmax %1 {axis = 1 : i64} : tensor<2x2xf32>
  return %2 : tensor<2x2xf32>
}
)mlir";

TEST_F(InterpreterTest, DenseReluSoftmaxInBothPrecisions) {
  // dense rows: [1,2,3].[1,0,-1] + 0 = -2 -> relu 0; [1,2,3].[1,1,1] - 6 = 0.
  // Row 2: [4,5,6] -> -2 -> 0 and 15 - 6 = 9.
  std::vector<HostTensor> args = {floats({2, 3}, {1, 2, 3, 4, 5, 6}),
                                  floats({2, 3}, {1, 0, -1, 1, 1, 1}),
                                  floats({2}, {0, -6})};
  double e9 = std::exp(9.0);
  std::vector<double> want = {0.5, 0.5, 1 / (1 + e9), e9 / (1 + e9)};
  HostTensor y = run1(kMlp, "mlp", args);
  EXPECT_EQ(y.dtype, DType::F32);
  EXPECT_EQ(y.shape, (std::vector<int64_t>{2, 2}));
  std::vector<double> got = asDoubles(y);
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(got[i], want[i], 1e-7);
  // F64 mode: the same function, float results come back as f64.
  HostTensor y64 = run1(kMlp, "mlp", args, Precision::F64);
  EXPECT_EQ(y64.dtype, DType::F64);
  got = asDoubles(y64);
  // A few ulps: `want` itself is rounded.
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(got[i], want[i], 1e-15);
}

const char *kHalf = R"mlir(
func.func @third(%x: tensor<2xf16>, %y: tensor<2xf16>) -> tensor<2xf16> {
  %0 = dlc.div %x, %y : (tensor<2xf16>, tensor<2xf16>) -> tensor<2xf16>
  return %0 : tensor<2xf16>
}
func.func @chain(%x: tensor<1xf16>) -> tensor<1xf32> {
  %c = dlc.constant dense<3.0> : tensor<1xf16>
  %0 = dlc.div %x, %c : (tensor<1xf16>, tensor<1xf16>) -> tensor<1xf16>
  %1 = dlc.cast %0 {to = f32} : (tensor<1xf16>) -> tensor<1xf32>
  %c3 = dlc.constant dense<3.0> : tensor<1xf32>
  %2 = dlc.mul %1, %c3 : (tensor<1xf32>, tensor<1xf32>) -> tensor<1xf32>
  return %2 : tensor<1xf32>
}
)mlir";

TEST_F(InterpreterTest, HalfValuesAreRoundedInF32Mode) {
  std::vector<HostTensor> args = {floats({2}, {1, 1}, DType::F16),
                                  floats({2}, {3, 4}, DType::F16)};
  HostTensor y = run1(kHalf, "third", args);
  EXPECT_EQ(y.dtype, DType::F16);
  // 1/3 in f16 is 0x3555 = 0.333251953125; 1/4 is exact.
  EXPECT_EQ(asDoubles(y), (std::vector<double>{0.333251953125, 0.25}));
  // F64 mode keeps the exact quotient and returns f64.
  HostTensor y64 = run1(kHalf, "third", args, Precision::F64);
  EXPECT_EQ(y64.dtype, DType::F64);
  EXPECT_EQ(asDoubles(y64), (std::vector<double>{1.0 / 3.0, 0.25}));
  // The intermediate f16 value is rounded before the f32 multiply:
  // 0.333251953125 * 3 = 0.999755859375.
  HostTensor z = run1(kHalf, "chain", {floats({1}, {1}, DType::F16)});
  EXPECT_EQ(asDoubles(z), (std::vector<double>{0.999755859375}));
  z = run1(kHalf, "chain", {floats({1}, {1}, DType::F16)}, Precision::F64);
  EXPECT_NEAR(asDoubles(z)[0], 1.0, 1e-16);
}

const char *kWindows = R"mlir(
func.func @conv(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>, %b: tensor<1xf32>) -> tensor<1x1x3x2xf32> {
  // Padding is [top, left, bottom, right]: one row on top only.
  %0 = dlc.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 1, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>, tensor<1xf32>) -> tensor<1x1x3x2xf32>
  return %0 : tensor<1x1x3x2xf32>
}
func.func @grouped(%x: tensor<1x2x3x3xf32>, %w: tensor<2x1x2x2xf32>) -> tensor<1x2x1x1xf32> {
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 2, 2>, groups = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x2x2xf32>) -> tensor<1x2x1x1xf32>
  return %0 : tensor<1x2x1x1xf32>
}
func.func @maxpool(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}
func.func @avgpool(%x: tensor<1x1x3x3xf32>) -> (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>) {
  %0 = dlc.avg_pool2d %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %1 = dlc.avg_pool2d %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, count_include_pad = true} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  return %0, %1 : tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>
}
)mlir";

TEST_F(InterpreterTest, WindowAttributes) {
  HostTensor x = floats({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  HostTensor y =
      run1(kWindows, "conv",
           {x, floats({1, 1, 2, 2}, {1, 2, 3, 4}), floats({1}, {1})});
  EXPECT_EQ(asDoubles(y), (std::vector<double>{12, 19, 38, 48, 68, 78}));
  // Channel 0 (1..9) scaled by 1 at the corners: 1+3+7+9 = 20; channel 1
  // (10..18) by 2: 2*(10+12+16+18) = 112.
  std::vector<double> x2(18);
  for (int i = 0; i < 18; ++i)
    x2[i] = i + 1;
  y = run1(kWindows, "grouped",
           {floats({1, 2, 3, 3}, x2),
            floats({2, 1, 2, 2}, {1, 1, 1, 1, 2, 2, 2, 2})});
  EXPECT_EQ(asDoubles(y), (std::vector<double>{20, 112}));
  y = run1(kWindows, "maxpool", {floats({1, 1, 2, 2}, {-1, -2, -3, -4})});
  EXPECT_EQ(asDoubles(y), (std::vector<double>{-1, -2, -3, -4}));
  auto r = run(kWindows, "avgpool", {x});
  ASSERT_TRUE(succeeded(r)) << diagnostics;
  EXPECT_DOUBLE_EQ(asDoubles((*r)[0])[0], 3.0);         // {1,2,4,5} / 4
  EXPECT_NEAR(asDoubles((*r)[1])[0], 12.0 / 9.0, 1e-7); // counts the pad
}

const char *kShapes = R"mlir(
func.func @movement(%x: tensor<2x3xf32>) -> (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2x5xf32>, tensor<6x1xf32>, tensor<2x2x3xf32>, tensor<6xf32>) {
  %0 = dlc.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %1 = dlc.slice %x {starts = array<i64: -2>, ends = array<i64: 100>, axes = array<i64: -1>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  %2 = dlc.concat %x, %1 {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x2xf32>) -> tensor<2x5xf32>
  %3 = dlc.reshape %x {shape = array<i64: -1, 1>} : (tensor<2x3xf32>) -> tensor<6x1xf32>
  %4 = dlc.broadcast %x {shape = array<i64: 2, 2, 3>} : (tensor<2x3xf32>) -> tensor<2x2x3xf32>
  %5 = dlc.flatten %x {axis = 0 : i64} : (tensor<2x3xf32>) -> tensor<1x6xf32>
  %6 = dlc.reshape %5 {shape = array<i64: 6>} : (tensor<1x6xf32>) -> tensor<6xf32>
  return %0, %1, %2, %3, %4, %6 : tensor<3x2xf32>, tensor<2x2xf32>, tensor<2x5xf32>, tensor<6x1xf32>, tensor<2x2x3xf32>, tensor<6xf32>
}
func.func @reduce(%x: tensor<2x3xf32>) -> (tensor<1x3xf32>, tensor<2xf32>, tensor<f32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = dlc.reduce_sum %x {axes = array<i64: 0>, keepdims = true} : (tensor<2x3xf32>) -> tensor<1x3xf32>
  %1 = dlc.reduce_max %x {axes = array<i64: -1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  %2 = dlc.reduce_mean %x : (tensor<2x3xf32>) -> tensor<f32>
  %3 = dlc.log_softmax %x {axis = 0 : i64} : tensor<2x3xf32>
  %s = dlc.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %b = dlc.constant dense<0.5> : tensor<3xf32>
  %4 = dlc.layer_norm %x, %s, %b {epsilon = 0.0 : f64} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2, %3, %4 : tensor<1x3xf32>, tensor<2xf32>, tensor<f32>, tensor<2x3xf32>, tensor<2x3xf32>
}
)mlir";

TEST_F(InterpreterTest, MovementAttributes) {
  HostTensor x = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  auto r = run(kShapes, "movement", {x});
  ASSERT_TRUE(succeeded(r)) << diagnostics;
  EXPECT_EQ(asDoubles((*r)[0]), (std::vector<double>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(asDoubles((*r)[1]), (std::vector<double>{2, 3, 5, 6}));
  EXPECT_EQ(asDoubles((*r)[2]),
            (std::vector<double>{1, 2, 3, 2, 3, 4, 5, 6, 5, 6}));
  EXPECT_EQ((*r)[3].shape, (std::vector<int64_t>{6, 1}));
  EXPECT_EQ(asDoubles((*r)[4]),
            (std::vector<double>{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(asDoubles((*r)[5]), (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST_F(InterpreterTest, ReductionAttributes) {
  HostTensor x = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  auto r = run(kShapes, "reduce", {x}, Precision::F64);
  ASSERT_TRUE(succeeded(r)) << diagnostics;
  EXPECT_EQ(asDoubles((*r)[0]), (std::vector<double>{5, 7, 9}));
  EXPECT_EQ(asDoubles((*r)[1]), (std::vector<double>{3, 6}));
  EXPECT_EQ(asDoubles((*r)[2]), (std::vector<double>{3.5}));
  // Along axis 0 each column is [a, a + 3]: log softmax [-log(1+e^3),
  // 3 - log(1+e^3)].
  double l = std::log1p(std::exp(3.0));
  std::vector<double> ls = asDoubles((*r)[3]);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(ls[i], -l, 1e-15);
    EXPECT_NEAR(ls[3 + i], 3 - l, 1e-15);
  }
  // Rows [1,2,3] and [4,5,6] both normalize to [-a, 0, a], a = sqrt(3/2).
  double a = std::sqrt(1.5);
  std::vector<double> want = {-a + 0.5, 0.5, 3 * a + 0.5};
  std::vector<double> ln = asDoubles((*r)[4]);
  for (int i = 0; i < 6; ++i)
    EXPECT_NEAR(ln[i], want[i % 3], 1e-15);
}

const char *kInts = R"mlir(
func.func @ints(%x: tensor<4xf32>, %n: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi1>, tensor<4xf32>, tensor<4xi32>, tensor<4xi64>) {
  %0 = dlc.cast %x {to = i32} : (tensor<4xf32>) -> tensor<4xi32>
  %1 = dlc.compare %0, %n {predicate = "ge"} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %z = dlc.constant dense<0.0> : tensor<f32>
  %2 = dlc.where %1, %x, %z : (tensor<4xi1>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %big = dlc.constant dense<2147483647> : tensor<i32>
  %3 = dlc.add %n, %big : (tensor<4xi32>, tensor<i32>) -> tensor<4xi32>
  %4 = dlc.cast %1 {to = i64} : (tensor<4xi1>) -> tensor<4xi64>
  return %0, %1, %2, %3, %4 : tensor<4xi32>, tensor<4xi1>, tensor<4xf32>, tensor<4xi32>, tensor<4xi64>
}
func.func @div(%a: tensor<2xi64>, %b: tensor<2xi64>) -> tensor<2xi64> {
  %0 = dlc.div %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64> loc("ratio")
  return %0 : tensor<2xi64>
}
)mlir";

TEST_F(InterpreterTest, IntegersStayExact) {
  for (Precision p : {Precision::F32, Precision::F64}) {
    auto r = run(kInts, "ints",
                 {floats({4}, {2.7, -2.7, 0.5, 9}),
                  ints({4}, {2, -3, 1, 0}, DType::I32)},
                 p);
    ASSERT_TRUE(succeeded(r)) << diagnostics;
    EXPECT_EQ((*r)[0].dtype, DType::I32);
    EXPECT_EQ(asInts((*r)[0]), (std::vector<int64_t>{2, -2, 0, 9}));
    EXPECT_EQ((*r)[1].dtype, DType::I1);
    EXPECT_EQ(asInts((*r)[1]), (std::vector<int64_t>{1, 1, 0, 1}));
    EXPECT_EQ(asDoubles((*r)[2]), (std::vector<double>{2.7f, -2.7f, 0, 9}));
    EXPECT_EQ((*r)[2].dtype, p == Precision::F64 ? DType::F64 : DType::F32);
    // i32 addition wraps at 32 bits.
    EXPECT_EQ(asInts((*r)[3]),
              (std::vector<int64_t>{-2147483647, 2147483644, -2147483648LL,
                                    2147483647}));
    EXPECT_EQ(asInts((*r)[4]), (std::vector<int64_t>{1, 1, 0, 1}));
  }
  int64_t big = (int64_t(1) << 60) + 1;
  HostTensor q = run1(kInts, "div", {ints({2}, {big, -7}), ints({2}, {1, 2})});
  EXPECT_EQ(asInts(q), (std::vector<int64_t>{big, -3}));
  auto r = run(kInts, "div", {ints({2}, {1, 2}), ints({2}, {1, 0})});
  EXPECT_TRUE(failed(r));
  EXPECT_NE(diagnostics.find("loc(\"ratio\"): 'dlc.div' op integer division "
                             "by zero"),
            std::string::npos)
      << diagnostics;
}

const char *kLoss = R"mlir(
func.func @loss(%logits: tensor<2x3xf32>, %labels: tensor<2xi64>, %t: tensor<2x3xf32>) -> (tensor<f32>, tensor<f32>) {
  %0 = dlc.softmax_cross_entropy %logits, %labels : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32> loc("loss")
  %1 = dlc.mse_loss %logits, %t : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}
)mlir";

TEST_F(InterpreterTest, Losses) {
  // Uniform logits: -log(1/3) per row.
  HostTensor logits = floats({2, 3}, {0, 0, 0, 5, 5, 5});
  HostTensor t = floats({2, 3}, {0, 0, 1, 5, 5, 5});
  auto r = run(kLoss, "loss", {logits, ints({2}, {2, 0}), t}, Precision::F64);
  ASSERT_TRUE(succeeded(r)) << diagnostics;
  EXPECT_EQ((*r)[0].shape, std::vector<int64_t>{});
  EXPECT_NEAR(asDoubles((*r)[0])[0], std::log(3.0), 1e-15);
  EXPECT_NEAR(asDoubles((*r)[1])[0], 1.0 / 6.0, 1e-16);
}

TEST_F(InterpreterTest, LabelOutOfRangeNamesTheNode) {
  HostTensor logits = floats({2, 3}, {0, 0, 0, 5, 5, 5});
  auto r = run(kLoss, "loss", {logits, ints({2}, {0, 3}), logits});
  EXPECT_TRUE(failed(r));
  EXPECT_NE(diagnostics.find("loc(\"loss\"): 'dlc.softmax_cross_entropy' op "
                             "label 3 of row 1 is out of range [0, 3)"),
            std::string::npos)
      << diagnostics;
}

TEST_F(InterpreterTest, ArgumentsMustMatchTheSignature) {
  std::vector<HostTensor> args = {floats({2, 3}, {1, 2, 3, 4, 5, 6}),
                                  floats({2, 3}, {1, 0, -1, 1, 1, 1})};
  EXPECT_TRUE(failed(run(kMlp, "mlp", args)));
  EXPECT_NE(diagnostics.find("expects 3 arguments, got 2"), std::string::npos)
      << diagnostics;
  diagnostics.clear();
  args.push_back(floats({2}, {0, 0}, DType::F64));
  EXPECT_TRUE(failed(run(kMlp, "mlp", args)));
  EXPECT_NE(diagnostics.find("argument 2 expects f32 [2], got f64 [2]"),
            std::string::npos)
      << diagnostics;
}

TEST_F(InterpreterTest, UnknownOpsAreReported) {
  const char *src = R"mlir(
func.func private @ext(tensor<2xf32>) -> tensor<2xf32>
func.func @calls(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = func.call @ext(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
)mlir";
  EXPECT_TRUE(failed(run(src, "calls", {floats({2}, {1, 2})})));
  EXPECT_NE(diagnostics.find("'func.call' op is not supported by the "
                             "reference interpreter"),
            std::string::npos)
      << diagnostics;
}

const char *kFusion = R"mlir(
func.func @fused(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<f32>) {
  %r:2 = dlc.fusion reduction "k0_scale_relu_sum"
      (%a = %x : tensor<4xf32>, %b = %y : tensor<4xf32>) -> (tensor<4xf32>, tensor<f32>) {
    %0 = dlc.mul %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %1 = dlc.relu %0 : tensor<4xf32>
    %2 = dlc.reduce_sum %1 : (tensor<4xf32>) -> tensor<f32>
    dlc.yield %1, %2 : tensor<4xf32>, tensor<f32>
  }
  %3 = dlc.add %r#1, %r#1 : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %r#0, %3 : tensor<4xf32>, tensor<f32>
}
)mlir";

TEST_F(InterpreterTest, FusionBodiesRunInline) {
  auto r = run(kFusion, "fused",
               {floats({4}, {1, -2, 3, 4}), floats({4}, {2, 2, -1, 0.5})});
  ASSERT_TRUE(succeeded(r)) << diagnostics;
  EXPECT_EQ(asDoubles((*r)[0]), (std::vector<double>{2, 0, 0, 2}));
  EXPECT_EQ(asDoubles((*r)[1]), (std::vector<double>{8}));
}

TEST_F(InterpreterTest, HugeResultsAreReportedNotAllocated) {
  const char *src = R"mlir(
func.func @huge(%x: tensor<1xf32>) -> tensor<100000x100000x1000xf32> {
  %0 = dlc.broadcast %x {shape = array<i64: 100000, 100000, 1000>} : (tensor<1xf32>) -> tensor<100000x100000x1000xf32>
  return %0 : tensor<100000x100000x1000xf32>
}
)mlir";
  EXPECT_TRUE(failed(run(src, "huge", {floats({1}, {1})})));
  EXPECT_NE(diagnostics.find("too large for the reference interpreter"),
            std::string::npos)
      << diagnostics;
}

const char *kModel = R"mlir(
module attributes {dlc.model = "tiny", dlc.seed = 3 : i64} {
  func.func @forward(%x: tensor<1x2xf32> {dlc.input = "x"},
                     %w: tensor<2x2xf32> {dlc.param = "fc.weight", dlc.init = {scheme = "constant", value = 2.0 : f64}},
                     %b: tensor<2xf32> {dlc.param = "fc.bias", dlc.init = {scheme = "ones"}},
                     %r: tensor<3x2xf32> {dlc.param = "r", dlc.init = {scheme = "normal", mean = 0.0 : f64, std = 1.0 : f64}})
      -> (tensor<1x2xf32> {dlc.output = "y"}, tensor<3x2xf32> {dlc.output = "r"}) {
    %0 = dlc.dense %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
    return %0, %r : tensor<1x2xf32>, tensor<3x2xf32>
  }
}
)mlir";

TEST_F(InterpreterTest, RunModelBindsInputsAndInitializesParams) {
  module = mlir::parseSourceString<mlir::ModuleOp>(kModel, &ctx);
  ASSERT_TRUE(module) << diagnostics;
  auto r = runModel(*module, {{"x", floats({1, 2}, {1, 2})}}, {});
  ASSERT_TRUE(succeeded(r)) << diagnostics;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].name, "y");
  // [1, 2] . [2, 2] + 1 = 7 for both outputs.
  EXPECT_EQ(asDoubles((*r)[0].tensor), (std::vector<double>{7, 7}));
  // The normal parameter is what materializeParam gives with dlc.seed 3.
  InitSpec spec;
  spec.scheme = "normal";
  spec.params = {{"mean", 0.0}, {"std", 1.0}};
  HostTensor want;
  std::string err;
  ASSERT_TRUE(materializeParam(spec, "r", DType::F32, {3, 2}, 3, want, err));
  EXPECT_EQ((*r)[1].name, "r");
  EXPECT_EQ((*r)[1].tensor.bytes, want.bytes);

  auto values = describeModel(getModelFunction(*module));
  ASSERT_TRUE(succeeded(values));
  ASSERT_EQ(values->size(), 6u);
  EXPECT_EQ((*values)[0].kind, ModelValue::Kind::Input);
  EXPECT_EQ((*values)[1].name, "fc.weight");
  EXPECT_EQ((*values)[4].kind, ModelValue::Kind::Output);
}

TEST_F(InterpreterTest, RunModelInputErrors) {
  module = mlir::parseSourceString<mlir::ModuleOp>(kModel, &ctx);
  ASSERT_TRUE(module) << diagnostics;
  EXPECT_TRUE(failed(runModel(*module, {}, {})));
  EXPECT_NE(diagnostics.find("no value given for input 'x' (f32 [1, 2])"),
            std::string::npos)
      << diagnostics;
  diagnostics.clear();
  EXPECT_TRUE(failed(runModel(
      *module, {{"x", floats({1, 2}, {1, 2})}, {"z", floats({1}, {1})}}, {})));
  EXPECT_NE(diagnostics.find("the model has no input 'z'; its inputs are 'x'"),
            std::string::npos)
      << diagnostics;
  diagnostics.clear();
  EXPECT_TRUE(failed(runModel(*module, {{"x", floats({2, 1}, {1, 2})}}, {})));
  EXPECT_NE(diagnostics.find("input 'x' expects f32 [1, 2], got f32 [2, 1]"),
            std::string::npos)
      << diagnostics;
}

} // namespace
