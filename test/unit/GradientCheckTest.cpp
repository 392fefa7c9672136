//===- GradientCheckTest.cpp - autodiff vs central finite differences -----===//
//
// For every op with a differentiation rule: a tiny random instance (odd
// sizes, broadcast operands, strided/padded/dilated/grouped windows) wrapped
// as loss = reduce_sum(op(params...) * W) with W a fixed random input; the
// gradients that --dlc-autodiff appends, run on the float64 reference
// interpreter, must match central finite differences of the same function.
// Then the seed CNN (examples/seed_cnn.json, softmax_cross_entropy loss) on
// sampled coordinates of each parameter.
//
//===----------------------------------------------------------------------===//
#include "frontend/Import.h"
#include "ir/DlcDialect.h"
#include "ir/DlcOps.h"
#include "ir/Interpreter.h"
#include "ir/ModelAttrs.h"
#include "passes/Passes.h"
#include "ir/reference/HostConvert.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

using namespace dlc;

namespace {

/// How a test fills an argument.
enum class Fill { Uniform, Positive, Labels, Bool };

struct Arg {
  std::string name; // SSA name and model name
  std::string type; // e.g. "tensor<3x5xf64>"
  bool param = true;
  Fill fill = Fill::Uniform;
  int64_t classes = 0; // for Labels
};

struct Case {
  std::string name;
  std::vector<Arg> args;
  std::string body; // defines %y from the arguments
  std::string yType;
};

constexpr double kEps = 1e-6;
constexpr double kRtol = 1e-6;

class GradientCheckTest : public ::testing::Test {
protected:
  GradientCheckTest() {
    ctx.loadDialect<mlir::dlc::DlcDialect, mlir::func::FuncDialect>();
    handler = std::make_unique<mlir::ScopedDiagnosticHandler>(
        &ctx, [this](mlir::Diagnostic &d) {
          diagnostics += d.str() + "\n";
          return mlir::success();
        });
  }

  static std::string moduleText(const Case &c) {
    std::string s =
        "module attributes {dlc.training = {loss = \"loss\", optimizer = "
        "{name = \"sgd\"}}} {\n  func.func @forward(";
    for (const Arg &a : c.args)
      s += "%" + a.name + ": " + a.type +
           (a.param ? " {dlc.param = \"" + a.name +
                          "\", dlc.init = {scheme = \"zeros\"}}, "
                    : " {dlc.input = \"" + a.name + "\"}, ");
    s += "%wt: " + c.yType + " {dlc.input = \"wt\"})\n"
         "      -> (tensor<f64> {dlc.output = \"loss\"}) {\n" +
         c.body + "\n    %m = dlc.mul %y, %wt : (" + c.yType + ", " +
         c.yType + ") -> " + c.yType +
         "\n    %loss = dlc.reduce_sum %m : (" + c.yType +
         ") -> tensor<f64>\n    return %loss : tensor<f64>\n  }\n}\n";
    return s;
  }

  HostTensor randomTensor(mlir::RankedTensorType type, Fill fill,
                          int64_t classes) {
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    int64_t n = type.getNumElements();
    std::uniform_real_distribution<double> uniform(-1.0, 1.0),
        positive(0.5, 2.0);
    if (fill == Fill::Labels || fill == Fill::Bool) {
      std::vector<int64_t> v(n);
      for (auto &x : v)
        x = fill == Fill::Bool ? int64_t(rng() & 1)
                               : int64_t(rng() % uint64_t(classes));
      DType d = *dtypeOf(type.getElementType());
      return ref::storeInt(ref::Tensor<int64_t>(shape, v), d);
    }
    std::vector<double> v(n);
    for (auto &x : v)
      x = fill == Fill::Positive ? positive(rng) : uniform(rng);
    return ref::storeFloat(ref::Tensor<double>(shape, v), DType::F64);
  }

  static std::vector<double> doubles(const HostTensor &t) {
    ref::Tensor<double> d;
    std::string err;
    EXPECT_TRUE(ref::loadFloat(t, d, err)) << err;
    return d.data;
  }
  static HostTensor fromDoubles(const HostTensor &like,
                                const std::vector<double> &v) {
    return ref::storeFloat(ref::Tensor<double>(like.shape, v), DType::F64);
  }

  /// Runs --dlc-autodiff on the module.
  bool differentiate(mlir::ModuleOp module,
                     std::vector<std::string> wrtInputs = {}) {
    mlir::PassManager pm(&ctx);
    mlir::dlc::DlcAutodiffOptions opts;
    opts.wrtInputs.assign(wrtInputs.begin(), wrtInputs.end());
    pm.addPass(mlir::dlc::createDlcAutodiff(opts));
    return succeeded(pm.run(module));
  }

  /// The loss (result `lossIndex`) of `func` on `args`.
  double lossAt(mlir::func::FuncOp func, const std::vector<HostTensor> &args,
                unsigned lossIndex) {
    auto r = interpret(func, args, {Precision::F64});
    EXPECT_TRUE(succeeded(r)) << diagnostics;
    if (failed(r))
      return NAN;
    return doubles((*r)[lossIndex])[0];
  }

  /// Compares the gradient result of each param against central
  /// differences at `coords` per argument (all elements when empty).
  /// `fdFunc`, when given, is the function whose loss (result 0) the finite
  /// differences take instead (same arguments): the direct recurrent ops.
  void checkGradients(mlir::func::FuncOp func, std::vector<HostTensor> args,
                      unsigned lossIndex, const std::string &what,
                      size_t sampleCount = 0,
                      mlir::func::FuncOp fdFunc = nullptr) {
    mlir::func::FuncOp fd = fdFunc ? fdFunc : func;
    unsigned fdLoss = fdFunc ? 0 : lossIndex;
    auto r = interpret(func, args, {Precision::F64});
    ASSERT_TRUE(succeeded(r)) << what << "\n" << diagnostics;
    for (unsigned res = 0; res < func.getNumResults(); ++res) {
      auto name =
          func.getResultAttrOfType<mlir::StringAttr>(res, attrs::kOutput);
      if (!name || !name.getValue().starts_with("grad:"))
        continue;
      std::string argName = name.getValue().drop_front(5).str();
      int argIndex = -1;
      for (unsigned i = 0; i < func.getNumArguments(); ++i) {
        auto p = func.getArgAttrOfType<mlir::StringAttr>(i, attrs::kParam);
        auto in = func.getArgAttrOfType<mlir::StringAttr>(i, attrs::kInput);
        if ((p && p.getValue() == argName) || (in && in.getValue() == argName))
          argIndex = i;
      }
      ASSERT_GE(argIndex, 0) << argName;
      std::vector<double> grad = doubles((*r)[res]);
      std::vector<double> x = doubles(args[argIndex]);
      ASSERT_EQ(grad.size(), x.size()) << what << " " << argName;
      std::vector<size_t> coords;
      if (sampleCount == 0 || sampleCount >= x.size()) {
        for (size_t i = 0; i < x.size(); ++i)
          coords.push_back(i);
      } else {
        for (size_t k = 0; k < sampleCount; ++k)
          coords.push_back(rng() % x.size());
      }
      double gmax = 0;
      for (double g : grad)
        gmax = std::max(gmax, std::abs(g));
      ++checkedParams;
      for (size_t i : coords) {
        std::vector<HostTensor> plus = args, minus = args;
        std::vector<double> xp = x, xm = x;
        xp[i] += kEps;
        xm[i] -= kEps;
        plus[argIndex] = fromDoubles(args[argIndex], xp);
        minus[argIndex] = fromDoubles(args[argIndex], xm);
        double fdGrad =
            (lossAt(fd, plus, fdLoss) - lossAt(fd, minus, fdLoss)) /
            (2 * kEps);
        // Relative to the element, with a floor at a millionth of the
        // gradient's scale (finite differences lose digits near zero).
        double tol =
            kRtol * std::max({std::abs(fdGrad), 1e-3 * gmax, 1e-3}) + 1e-9;
        EXPECT_NEAR(grad[i], fdGrad, tol)
            << what << ": d loss / d " << argName << "[" << i << "]";
        worstRel = std::max(worstRel, std::abs(grad[i] - fdGrad) /
                                          std::max(std::abs(fdGrad), 1e-3));
        ++checkedCoords;
      }
    }
  }

  void runCase(const Case &c) {
    SCOPED_TRACE(c.name);
    diagnostics.clear();
    std::string text = moduleText(c);
    auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
    ASSERT_TRUE(module) << c.name << "\n" << text << diagnostics;
    ASSERT_TRUE(differentiate(*module)) << c.name << "\n" << diagnostics;
    auto func = module->lookupSymbol<mlir::func::FuncOp>("forward");
    std::vector<HostTensor> args;
    for (auto [i, t] : llvm::enumerate(func.getArgumentTypes())) {
      auto type = llvm::cast<mlir::RankedTensorType>(t);
      if (i < c.args.size())
        args.push_back(randomTensor(type, c.args[i].fill, c.args[i].classes));
      else
        args.push_back(randomTensor(type, Fill::Uniform, 0));
    }
    size_t params = 0;
    for (const Arg &a : c.args)
      params += a.param;
    ASSERT_EQ(func.getNumResults(), 1 + params) << c.name;
    checkGradients(func, args, 0, c.name);
  }

  mlir::MLIRContext ctx;
  std::unique_ptr<mlir::ScopedDiagnosticHandler> handler;
  std::string diagnostics;
  std::mt19937_64 rng{20240601};
  int checkedParams = 0, checkedCoords = 0;
  double worstRel = 0;
};

Arg P(std::string name, std::string type, Fill fill = Fill::Uniform) {
  return {std::move(name), std::move(type), true, fill, 0};
}
Arg In(std::string name, std::string type, Fill fill = Fill::Uniform,
       int64_t classes = 0) {
  return {std::move(name), std::move(type), false, fill, classes};
}

Case unary(const std::string &op, Fill fill = Fill::Uniform,
           const std::string &attrs = "") {
  return {op + attrs,
          {P("x", "tensor<3x5xf64>", fill)},
          "    %y = dlc." + op + " %x " + attrs + " : tensor<3x5xf64>",
          "tensor<3x5xf64>"};
}

/// lhs [2,3,5] (op) rhs [3,1]: both operands broadcast.
Case binary(const std::string &op, Fill rhsFill = Fill::Uniform) {
  return {op,
          {P("a", "tensor<2x3x5xf64>"), P("b", "tensor<3x1xf64>", rhsFill)},
          "    %y = dlc." + op +
              " %a, %b : (tensor<2x3x5xf64>, tensor<3x1xf64>) -> "
              "tensor<2x3x5xf64>",
          "tensor<2x3x5xf64>"};
}

std::vector<Case> allCases() {
  std::vector<Case> cases;
  // Elementwise.
  for (const char *op : {"neg", "exp", "tanh", "sigmoid", "relu", "erf", "sin",
                         "cos"})
    cases.push_back(unary(op));
  for (const char *op : {"log", "sqrt", "rsqrt"})
    cases.push_back(unary(op, Fill::Positive));
  cases.push_back(unary("gelu"));
  cases.push_back(unary("gelu", Fill::Uniform, "{approximate = \"tanh\"}"));
  for (const char *op : {"add", "sub", "mul", "maximum", "minimum"})
    cases.push_back(binary(op));
  cases.push_back(binary("div", Fill::Positive));
  cases.push_back({"pow",
                   {P("a", "tensor<3x5xf64>", Fill::Positive),
                    P("b", "tensor<5xf64>")},
                   "    %y = dlc.pow %a, %b : (tensor<3x5xf64>, "
                   "tensor<5xf64>) -> tensor<3x5xf64>",
                   "tensor<3x5xf64>"});
  cases.push_back({"where",
                   {In("c", "tensor<3x1xi1>", Fill::Bool),
                    P("a", "tensor<3x5xf64>"), P("b", "tensor<5xf64>")},
                   "    %y = dlc.where %c, %a, %b : (tensor<3x1xi1>, "
                   "tensor<3x5xf64>, tensor<5xf64>) -> tensor<3x5xf64>",
                   "tensor<3x5xf64>"});
  cases.push_back({"cast",
                   {P("x", "tensor<3x5xf64>")},
                   "    %c = dlc.cast %x {to = f32} : (tensor<3x5xf64>) -> "
                   "tensor<3x5xf32>\n"
                   "    %y = dlc.cast %c {to = f64} : (tensor<3x5xf32>) -> "
                   "tensor<3x5xf64>",
                   "tensor<3x5xf64>"});
  // A value used twice: cotangents are summed.
  cases.push_back({"multi_use",
                   {P("x", "tensor<3x5xf64>")},
                   "    %t = dlc.tanh %x : tensor<3x5xf64>\n"
                   "    %y = dlc.mul %x, %t : (tensor<3x5xf64>, "
                   "tensor<3x5xf64>) -> tensor<3x5xf64>",
                   "tensor<3x5xf64>"});
  // Reductions and normalizations.
  cases.push_back({"reduce_sum",
                   {P("x", "tensor<3x4x5xf64>")},
                   "    %y = dlc.reduce_sum %x {axes = array<i64: 1>} : "
                   "(tensor<3x4x5xf64>) -> tensor<3x5xf64>",
                   "tensor<3x5xf64>"});
  cases.push_back({"reduce_sum_all",
                   {P("x", "tensor<3x4xf64>")},
                   "    %y = dlc.reduce_sum %x : (tensor<3x4xf64>) -> "
                   "tensor<f64>",
                   "tensor<f64>"});
  cases.push_back({"reduce_mean",
                   {P("x", "tensor<3x4x5xf64>")},
                   "    %y = dlc.reduce_mean %x {axes = array<i64: 0, -1>, "
                   "keepdims = true} : (tensor<3x4x5xf64>) -> "
                   "tensor<1x4x1xf64>",
                   "tensor<1x4x1xf64>"});
  cases.push_back({"reduce_max",
                   {P("x", "tensor<3x4x5xf64>")},
                   "    %y = dlc.reduce_max %x {axes = array<i64: -1>} : "
                   "(tensor<3x4x5xf64>) -> tensor<3x4xf64>",
                   "tensor<3x4xf64>"});
  cases.push_back({"softmax",
                   {P("x", "tensor<3x5xf64>")},
                   "    %y = dlc.softmax %x {axis = 0 : i64} : "
                   "tensor<3x5xf64>",
                   "tensor<3x5xf64>"});
  cases.push_back({"log_softmax",
                   {P("x", "tensor<2x3x5xf64>")},
                   "    %y = dlc.log_softmax %x : tensor<2x3x5xf64>",
                   "tensor<2x3x5xf64>"});
  cases.push_back({"layer_norm",
                   {P("x", "tensor<3x4x5xf64>"), P("s", "tensor<4x5xf64>"),
                    P("b", "tensor<4x5xf64>")},
                   "    %y = dlc.layer_norm %x, %s, %b {axis = -2 : i64} : "
                   "(tensor<3x4x5xf64>, tensor<4x5xf64>, tensor<4x5xf64>) -> "
                   "tensor<3x4x5xf64>",
                   "tensor<3x4x5xf64>"});
  cases.push_back({"layer_norm_last",
                   {P("x", "tensor<3x5xf64>"), P("s", "tensor<5xf64>"),
                    P("b", "tensor<5xf64>")},
                   "    %y = dlc.layer_norm %x, %s, %b {epsilon = 1.0e-3} : "
                   "(tensor<3x5xf64>, tensor<5xf64>, tensor<5xf64>) -> "
                   "tensor<3x5xf64>",
                   "tensor<3x5xf64>"});
  cases.push_back({"batch_norm",
                   {P("x", "tensor<2x3x4x5xf64>"), P("s", "tensor<3xf64>"),
                    P("b", "tensor<3xf64>"), In("mu", "tensor<3xf64>"),
                    In("var", "tensor<3xf64>", Fill::Positive)},
                   "    %y = dlc.batch_norm %x, %s, %b, %mu, %var : "
                   "(tensor<2x3x4x5xf64>, tensor<3xf64>, tensor<3xf64>, "
                   "tensor<3xf64>, tensor<3xf64>) -> tensor<2x3x4x5xf64>",
                   "tensor<2x3x4x5xf64>"});
  // Contractions.
  cases.push_back({"matmul_broadcast",
                   {P("a", "tensor<2x1x3x4xf64>"), P("b", "tensor<5x4x2xf64>")},
                   "    %y = dlc.matmul %a, %b : (tensor<2x1x3x4xf64>, "
                   "tensor<5x4x2xf64>) -> tensor<2x5x3x2xf64>",
                   "tensor<2x5x3x2xf64>"});
  cases.push_back({"matmul",
                   {P("a", "tensor<3x4xf64>"), P("b", "tensor<4x5xf64>")},
                   "    %y = dlc.matmul %a, %b : (tensor<3x4xf64>, "
                   "tensor<4x5xf64>) -> tensor<3x5xf64>",
                   "tensor<3x5xf64>"});
  cases.push_back({"batch_matmul",
                   {P("a", "tensor<2x3x4xf64>"), P("b", "tensor<2x4x5xf64>")},
                   "    %y = dlc.batch_matmul %a, %b : (tensor<2x3x4xf64>, "
                   "tensor<2x4x5xf64>) -> tensor<2x3x5xf64>",
                   "tensor<2x3x5xf64>"});
  cases.push_back({"dense",
                   {P("x", "tensor<2x3x4xf64>"), P("w", "tensor<5x4xf64>"),
                    P("b", "tensor<5xf64>")},
                   "    %y = dlc.dense %x, %w, %b : (tensor<2x3x4xf64>, "
                   "tensor<5x4xf64>, tensor<5xf64>) -> tensor<2x3x5xf64>",
                   "tensor<2x3x5xf64>"});
  cases.push_back({"dense_rank1_nobias",
                   {P("x", "tensor<4xf64>"), P("w", "tensor<3x4xf64>")},
                   "    %y = dlc.dense %x, %w : (tensor<4xf64>, "
                   "tensor<3x4xf64>) -> tensor<3xf64>",
                   "tensor<3xf64>"});
  cases.push_back(
      {"conv2d_strided_padded_dilated_grouped",
       {P("x", "tensor<2x4x7x6xf64>"), P("w", "tensor<6x2x3x2xf64>"),
        P("b", "tensor<6xf64>")},
       "    %y = dlc.conv2d %x, %w, %b {stride = array<i64: 2, 1>, padding = "
       "array<i64: 1, 0, 1, 1>, dilation = array<i64: 1, 2>, groups = 2 : "
       "i64} : (tensor<2x4x7x6xf64>, tensor<6x2x3x2xf64>, tensor<6xf64>) -> "
       "tensor<2x6x4x5xf64>",
       "tensor<2x6x4x5xf64>"});
  cases.push_back(
      {"conv2d_plain",
       {P("x", "tensor<1x3x5x5xf64>"), P("w", "tensor<2x3x3x3xf64>")},
       "    %y = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = "
       "array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : "
       "(tensor<1x3x5x5xf64>, tensor<2x3x3x3xf64>) -> tensor<1x2x3x3xf64>",
       "tensor<1x2x3x3xf64>"});
  cases.push_back(
      {"max_pool2d_padded",
       {P("x", "tensor<2x3x7x6xf64>")},
       "    %y = dlc.max_pool2d %x {kernel_size = array<i64: 3, 2>, stride = "
       "array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilation = "
       "array<i64: 1, 1>} : (tensor<2x3x7x6xf64>) -> tensor<2x3x4x3xf64>",
       "tensor<2x3x4x3xf64>"});
  cases.push_back(
      {"max_pool2d_dilated_overlapping",
       {P("x", "tensor<1x2x6x5xf64>")},
       "    %y = dlc.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = "
       "array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = "
       "array<i64: 2, 1>} : (tensor<1x2x6x5xf64>) -> tensor<1x2x4x4xf64>",
       "tensor<1x2x4x4xf64>"});
  for (bool include : {false, true})
    cases.push_back(
        {std::string("avg_pool2d_padded_count_include_pad_") +
             (include ? "true" : "false"),
         {P("x", "tensor<2x3x7x6xf64>")},
         std::string("    %y = dlc.avg_pool2d %x {kernel_size = array<i64: "
                     "3, 2>, stride = array<i64: 2, 2>, padding = array<i64: "
                     "1, 1, 1, 0>, count_include_pad = ") +
             (include ? "true" : "false") +
             "} : (tensor<2x3x7x6xf64>) -> tensor<2x3x4x3xf64>",
         "tensor<2x3x4x3xf64>"});
  // Data movement.
  cases.push_back({"reshape",
                   {P("x", "tensor<3x4x5xf64>")},
                   "    %y = dlc.reshape %x {shape = array<i64: 5, -1>} : "
                   "(tensor<3x4x5xf64>) -> tensor<5x12xf64>",
                   "tensor<5x12xf64>"});
  cases.push_back({"flatten",
                   {P("x", "tensor<3x4x5xf64>")},
                   "    %y = dlc.flatten %x {axis = 2 : i64} : "
                   "(tensor<3x4x5xf64>) -> tensor<12x5xf64>",
                   "tensor<12x5xf64>"});
  cases.push_back({"transpose",
                   {P("x", "tensor<3x4x5xf64>")},
                   "    %y = dlc.transpose %x {perm = array<i64: 2, 0, 1>} : "
                   "(tensor<3x4x5xf64>) -> tensor<5x3x4xf64>",
                   "tensor<5x3x4xf64>"});
  cases.push_back({"concat",
                   {P("a", "tensor<2x3xf64>"), P("b", "tensor<2x4xf64>")},
                   "    %y = dlc.concat %a, %b {axis = -1 : i64} : "
                   "(tensor<2x3xf64>, tensor<2x4xf64>) -> tensor<2x7xf64>",
                   "tensor<2x7xf64>"});
  cases.push_back({"slice_strided",
                   {P("x", "tensor<4x5x6xf64>")},
                   "    %y = dlc.slice %x {starts = array<i64: 1, -5>, ends = "
                   "array<i64: 4, 100>, axes = array<i64: 0, 2>, steps = "
                   "array<i64: 2, 2>} : (tensor<4x5x6xf64>) -> "
                   "tensor<2x5x3xf64>",
                   "tensor<2x5x3xf64>"});
  cases.push_back({"broadcast",
                   {P("x", "tensor<3x1xf64>")},
                   "    %y = dlc.broadcast %x {shape = array<i64: 2, 3, 4>} : "
                   "(tensor<3x1xf64>) -> tensor<2x3x4xf64>",
                   "tensor<2x3x4xf64>"});
  // Attention (its rule builds attention_backward): Tq != Tk, Dv != D,
  // causal, an additive mask input.
  cases.push_back({"attention",
                   {P("q", "tensor<1x2x3x4xf64>"), P("k", "tensor<1x2x5x4xf64>"),
                    P("v", "tensor<1x2x5x3xf64>")},
                   "    %y, %lse = dlc.attention %q, %k, %v {scale = 0.5 : "
                   "f64} : (tensor<1x2x3x4xf64>, tensor<1x2x5x4xf64>, "
                   "tensor<1x2x5x3xf64>) -> (tensor<1x2x3x3xf64>, "
                   "tensor<1x2x3xf64>)",
                   "tensor<1x2x3x3xf64>"});
  cases.push_back({"attention_causal_mask",
                   {P("q", "tensor<2x1x5x3xf64>"), P("k", "tensor<2x1x5x3xf64>"),
                    P("v", "tensor<2x1x5x3xf64>"),
                    In("mask", "tensor<2x1x1x5xf64>")},
                   "    %y, %lse = dlc.attention %q, %k, %v, %mask {scale = 0.7 : "
                   "f64, causal = true} : (tensor<2x1x5x3xf64>, "
                   "tensor<2x1x5x3xf64>, tensor<2x1x5x3xf64>, "
                   "tensor<2x1x1x5xf64>) -> (tensor<2x1x5x3xf64>, "
                   "tensor<2x1x5xf64>)",
                   "tensor<2x1x5x3xf64>"});
  // Losses.
  cases.push_back({"softmax_cross_entropy",
                   {P("z", "tensor<4x5xf64>"),
                    In("l", "tensor<4xi64>", Fill::Labels, 5)},
                   "    %y = dlc.softmax_cross_entropy %z, %l : "
                   "(tensor<4x5xf64>, tensor<4xi64>) -> tensor<f64>",
                   "tensor<f64>"});
  cases.push_back({"softmax_cross_entropy_i32",
                   {P("z", "tensor<3x7xf64>"),
                    In("l", "tensor<3xi32>", Fill::Labels, 7)},
                   "    %y = dlc.softmax_cross_entropy %z, %l : "
                   "(tensor<3x7xf64>, tensor<3xi32>) -> tensor<f64>",
                   "tensor<f64>"});
  cases.push_back({"mse_loss",
                   {P("x", "tensor<3x4xf64>"), P("t", "tensor<3x4xf64>")},
                   "    %y = dlc.mse_loss %x, %t : (tensor<3x4xf64>, "
                   "tensor<3x4xf64>) -> tensor<f64>",
                   "tensor<f64>"});
  return cases;
}

TEST_F(GradientCheckTest, EveryRuleMatchesFiniteDifferences) {
  std::vector<Case> cases = allCases();
  for (const Case &c : cases)
    runCase(c);
  // One line for the CI log.
  std::printf("[gradient check] %zu cases, %d gradients, %d coordinates, "
              "worst relative error %.2e\n",
              cases.size(), checkedParams, checkedCoords, worstRel);
}

TEST_F(GradientCheckTest, WrtInputsAndUnusedParams) {
  const char *text = R"mlir(
module attributes {dlc.training = {loss = "loss", optimizer = {name = "sgd"}}} {
  func.func @forward(%x: tensor<3xf64> {dlc.input = "x"},
                     %w: tensor<3xf64> {dlc.param = "w", dlc.init = {scheme = "zeros"}},
                     %u: tensor<2xf64> {dlc.param = "unused", dlc.init = {scheme = "zeros"}})
      -> (tensor<f64> {dlc.output = "loss"}) {
    %0 = dlc.mul %x, %w : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
    %1 = dlc.exp %0 : tensor<3xf64>
    %2 = dlc.reduce_sum %1 : (tensor<3xf64>) -> tensor<f64>
    return %2 : tensor<f64>
  }
}
)mlir";
  auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  ASSERT_TRUE(module) << diagnostics;
  ASSERT_TRUE(differentiate(*module, {"x"})) << diagnostics;
  auto func = module->lookupSymbol<mlir::func::FuncOp>("forward");
  ASSERT_EQ(func.getNumResults(), 4u);
  std::vector<std::string> names;
  for (unsigned i = 0; i < 4; ++i)
    names.push_back(
        func.getResultAttrOfType<mlir::StringAttr>(i, attrs::kOutput).str());
  EXPECT_EQ(names, (std::vector<std::string>{"loss", "grad:x", "grad:w",
                                             "grad:unused"}));
  std::vector<HostTensor> args;
  for (mlir::Type t : func.getArgumentTypes())
    args.push_back(
        randomTensor(llvm::cast<mlir::RankedTensorType>(t), Fill::Uniform, 0));
  checkGradients(func, args, 0, "wrt-inputs");
  auto r = interpret(func, args, {Precision::F64});
  ASSERT_TRUE(succeeded(r));
  EXPECT_EQ(doubles((*r)[3]), (std::vector<double>{0, 0}));
}

TEST_F(GradientCheckTest, Errors) {
  const char *noLoss = R"mlir(
module {
  func.func @forward(%w: tensor<3xf64> {dlc.param = "w", dlc.init = {scheme = "zeros"}})
      -> (tensor<f64> {dlc.output = "loss"}) {
    %0 = dlc.reduce_sum %w : (tensor<3xf64>) -> tensor<f64>
    return %0 : tensor<f64>
  }
}
)mlir";
  auto module = mlir::parseSourceString<mlir::ModuleOp>(noLoss, &ctx);
  ASSERT_TRUE(module);
  EXPECT_FALSE(differentiate(*module));
  EXPECT_NE(diagnostics.find("expects a 'dlc.training' module attribute"),
            std::string::npos)
      << diagnostics;
}

/// A dlc.lstm or dlc.gru instance: every operand a parameter, the loss a
/// random weighting of every result.
struct RnnCase {
  std::string op; // lstm, gru
  std::string direction;
  bool bias = false, init = false, linearBeforeReset = false;
};

std::string rnnModuleText(const RnnCase &c) {
  const int64_t S = 3, B = 2, I = 3, H = 2;
  int64_t D = c.direction == "bidirectional" ? 2 : 1;
  int64_t G = c.op == "lstm" ? 4 : 3;
  auto t = [](std::vector<int64_t> dims) {
    std::string s = "tensor<";
    for (int64_t d : dims)
      s += std::to_string(d) + "x";
    return s + "f64>";
  };
  std::string state = t({D, B, H}), y = t({S, D, B, H});
  std::vector<std::pair<std::string, std::string>> params{
      {"x", t({S, B, I})}, {"w", t({D, G * H, I})}, {"r", t({D, G * H, H})}};
  std::string operands = "%x, %w, %r";
  if (c.bias) {
    params.push_back({"b", t({D, 2 * G * H})});
    operands += " bias %b";
  }
  if (c.init) {
    params.push_back({"h0", state});
    operands += " initial_h %h0";
    if (c.op == "lstm") {
      params.push_back({"c0", state});
      operands += " initial_c %c0";
    }
  }
  std::vector<std::string> results{"y", "yh"};
  if (c.op == "lstm")
    results.push_back("yc");
  std::string s = "module attributes {dlc.training = {loss = \"loss\", "
                  "optimizer = {name = \"sgd\"}}} {\n  func.func @forward(";
  std::string operandTypes, resultTypes;
  for (auto &[name, type] : params) {
    s += "%" + name + ": " + type + " {dlc.param = \"" + name +
         "\", dlc.init = {scheme = \"zeros\"}}, ";
    operandTypes += (operandTypes.empty() ? "" : ", ") + type;
  }
  for (size_t i = 0; i < results.size(); ++i) {
    std::string type = i == 0 ? y : state;
    s += std::string(i ? ", " : "") + "%wt_" + results[i] + ": " + type +
         " {dlc.input = \"wt_" + results[i] + "\"}";
    resultTypes += (i ? ", " : "") + type;
  }
  s += ")\n      -> (tensor<f64> {dlc.output = \"loss\"}) {\n    ";
  for (size_t i = 0; i < results.size(); ++i)
    s += (i ? ", %" : "%") + results[i];
  s += " = dlc." + c.op + " " + operands + " {hidden_size = " +
       std::to_string(H) + " : i64, direction = \"" + c.direction + "\"" +
       (c.linearBeforeReset ? ", linear_before_reset = true" : "") +
       "} : (" + operandTypes + ") -> (" + resultTypes + ")\n";
  std::string sum;
  for (size_t i = 0; i < results.size(); ++i) {
    std::string type = i == 0 ? y : state, r = results[i];
    s += "    %m_" + r + " = dlc.mul %" + r + ", %wt_" + r + " : (" + type +
         ", " + type + ") -> " + type + "\n    %s_" + r +
         " = dlc.reduce_sum %m_" + r + " : (" + type + ") -> tensor<f64>\n";
    if (sum.empty()) {
      sum = "%s_" + r;
      continue;
    }
    s += "    %a_" + r + " = dlc.add " + sum + ", %s_" + r +
         " : (tensor<f64>, tensor<f64>) -> tensor<f64>\n";
    sum = "%a_" + r;
  }
  return s + "    return " + sum + " : tensor<f64>\n  }\n}\n";
}

/// Autodiff of the unrolled graph vs central differences of the direct
/// reference kernel (ir/reference/Recurrent.cpp), every element of every
/// operand; and the two forward losses agree.
TEST_F(GradientCheckTest, RecurrentLayersUnrolled) {
  std::vector<RnnCase> cases;
  for (const char *dir : {"forward", "reverse", "bidirectional"})
    for (bool with : {false, true}) {
      cases.push_back({"lstm", dir, with, with, false});
      cases.push_back({"gru", dir, with, with, false});
      cases.push_back({"gru", dir, with, with, true});
    }
  // Bias without initial states and the reverse.
  cases.push_back({"lstm", "forward", true, false, false});
  cases.push_back({"lstm", "bidirectional", false, true, false});
  cases.push_back({"gru", "reverse", false, true, true});
  for (const RnnCase &c : cases) {
    std::string what = c.op + " " + c.direction + (c.bias ? " bias" : "") +
                       (c.init ? " init" : "") +
                       (c.linearBeforeReset ? " lbr" : "");
    SCOPED_TRACE(what);
    diagnostics.clear();
    std::string text = rnnModuleText(c);
    auto direct = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
    auto unrolled = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
    ASSERT_TRUE(direct && unrolled) << text << diagnostics;
    mlir::PassManager pm(&ctx);
    pm.addNestedPass<mlir::func::FuncOp>(
        mlir::dlc::createDlcUnrollRecurrent());
    ASSERT_TRUE(succeeded(pm.run(*unrolled))) << diagnostics;
    unsigned recurrent = 0;
    unrolled->walk([&](mlir::Operation *op) {
      recurrent += llvm::isa<mlir::dlc::LstmOp, mlir::dlc::GruOp>(op);
    });
    EXPECT_EQ(recurrent, 0u);
    ASSERT_TRUE(differentiate(*unrolled)) << diagnostics;
    auto fdFunc = direct->lookupSymbol<mlir::func::FuncOp>("forward");
    auto func = unrolled->lookupSymbol<mlir::func::FuncOp>("forward");
    std::vector<HostTensor> args;
    for (mlir::Type type : func.getArgumentTypes())
      args.push_back(randomTensor(llvm::cast<mlir::RankedTensorType>(type),
                                  Fill::Uniform, 0));
    double directLoss = lossAt(fdFunc, args, 0);
    EXPECT_NEAR(lossAt(func, args, 0), directLoss,
                1e-12 * std::max(1.0, std::abs(directLoss)));
    checkGradients(func, args, 0, what, 0, fdFunc);
  }
  std::printf("[gradient check] %zu recurrent cases, %d gradients, %d "
              "coordinates, worst relative error %.2e\n",
              cases.size(), checkedParams, checkedCoords, worstRel);
}

/// The seed CNN, imported and widened to f64 (so that a perturbation of
/// 1e-6 is exact), with its softmax_cross_entropy loss: sampled coordinates
/// of every parameter against finite differences.
TEST_F(GradientCheckTest, SeedCnn) {
  auto imported =
      importModel(ctx, DLC_SOURCE_DIR "/examples/seed_cnn.json", {});
  ASSERT_TRUE(imported) << diagnostics;
  std::string text;
  llvm::raw_string_ostream os(text);
  imported->print(os);
  for (size_t pos; (pos = text.find("f32")) != std::string::npos;)
    text.replace(pos, 3, "f64");
  auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  ASSERT_TRUE(module) << diagnostics;
  auto params = materializeParams(*module);
  ASSERT_TRUE(succeeded(params)) << diagnostics;
  ASSERT_TRUE(differentiate(*module)) << diagnostics;
  auto func = getModelFunction(*module);
  auto values = describeModel(func);
  ASSERT_TRUE(succeeded(values)) << diagnostics;
  std::vector<HostTensor> args(func.getNumArguments());
  unsigned lossIndex = 0, grads = 0;
  for (const ModelValue &mv : *values) {
    if (mv.kind == ModelValue::Kind::Param) {
      // Zero-initialized biases would leave relu kinks at exactly 0 in
      // dead regions; a small random shift keeps finite differences valid.
      std::vector<double> v = doubles(params->at(mv.name));
      for (double &x : v)
        x += 0.05 * std::uniform_real_distribution<double>(-1, 1)(rng);
      args[mv.index] = ref::storeFloat(ref::Tensor<double>(mv.shape, v),
                                       DType::F64);
    } else if (mv.kind == ModelValue::Kind::Input) {
      auto type = llvm::cast<mlir::RankedTensorType>(
          func.getArgumentTypes()[mv.index]);
      args[mv.index] = mv.name == "labels"
                           ? randomTensor(type, Fill::Labels, 10)
                           : randomTensor(type, Fill::Uniform, 0);
    } else if (mv.name == "loss") {
      lossIndex = mv.index;
    } else if (llvm::StringRef(mv.name).starts_with("grad:")) {
      ++grads;
    }
  }
  EXPECT_EQ(grads, 6u);
  checkGradients(func, args, lossIndex, "seed_cnn", /*sampleCount=*/4);
  std::printf("[gradient check] seed_cnn: %d coordinates, worst relative "
              "error %.2e\n",
              checkedCoords, worstRel);
}

} // namespace
