//===- TrainingStepTest.cpp - expandOptimizerUpdates vs the update ops ----===//
//
// expandOptimizerUpdates rewrites each optimizer update into elementwise dlc
// ops. The interpreter runs the update ops with runtime/reference/
// Optimizer.cpp (checked against hand-computed values in OptimizerTest), so
// the expanded function must give the same results, in f64, for every
// optimizer with weight decay, with grad_scale, and with skip set (every
// result equal to its input, even where the gradient is not finite).
//
//===----------------------------------------------------------------------===//
#include "passes/TrainingStep.h"

#include "ir/DlcDialect.h"
#include "ir/DlcOps.h"
#include "ir/Interpreter.h"
#include "ir/reference/HostConvert.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

using namespace dlc;

namespace {

// A param of 7 elements and one of 2x3, one update op each, in f64 (so the
// expansion's constants are the attributes' exact values); %gs, %skip are
// the f32 loss-scaling operands (the expansion casts grad_scale).
std::string stepSource(const std::string &op, const std::string &attrs) {
  bool sgd = op == "sgd_update";
  auto update = [&](const std::string &t, const std::string &p) {
    std::string states = sgd ? "%b" + p : "%m" + p + ", %v" + p;
    std::string types = sgd ? t + ", " + t + ", " + t
                            : t + ", " + t + ", " + t + ", " + t;
    std::string results = sgd ? t + ", " + t : t + ", " + t + ", " + t;
    return "  %u" + p + ":" + (sgd ? "2" : "3") + " = dlc." + op + " %p" +
           p + ", %g" + p + ", " + states +
           ", %step, %lr grad_scale %gs skip %skip {" + attrs + "} : (" +
           types + ", tensor<f64>, tensor<f64>, tensor<f32>, tensor<f32>) -> (" +
           results + ")\n";
  };
  std::string args;
  for (auto [p, t] : {std::pair<std::string, std::string>{"0", "tensor<7xf64>"},
                      {"1", "tensor<2x3xf64>"}}) {
    args += "%p" + p + ": " + t + ", %g" + p + ": " + t + ", ";
    args += sgd ? "%b" + p + ": " + t + ", "
                : "%m" + p + ": " + t + ", %v" + p + ": " + t + ", ";
  }
  std::string results = sgd ? "tensor<7xf64>, tensor<7xf64>, tensor<2x3xf64>, "
                              "tensor<2x3xf64>"
                            : "tensor<7xf64>, tensor<7xf64>, tensor<7xf64>, "
                              "tensor<2x3xf64>, tensor<2x3xf64>, "
                              "tensor<2x3xf64>";
  std::string rets = sgd ? "%u0#0, %u0#1, %u1#0, %u1#1"
                         : "%u0#0, %u0#1, %u0#2, %u1#0, %u1#1, %u1#2";
  return "func.func @forward(" + args +
         "%step: tensor<f64>, %lr: tensor<f64>, %gs: tensor<f32>, %skip: "
         "tensor<f32>) -> (" +
         results + ") {\n" + update("tensor<7xf64>", "0") +
         update("tensor<2x3xf64>", "1") + "  return " + rets + " : " +
         results + "\n}\n";
}

class TrainingStepTest : public ::testing::Test {
protected:
  TrainingStepTest() {
    ctx.loadDialect<mlir::dlc::DlcDialect, mlir::func::FuncDialect>();
  }

  /// Runs the step with and without expansion on random inputs (finite, or
  /// with a NaN and an inf gradient) and compares every result.
  void check(const std::string &op, const std::string &attrs, double skip,
             bool finite = true) {
    SCOPED_TRACE(op + " {" + attrs + "} skip " + std::to_string(skip));
    auto module =
        mlir::parseSourceString<mlir::ModuleOp>(stepSource(op, attrs), &ctx);
    ASSERT_TRUE(module);
    auto func = *module->getOps<mlir::func::FuncOp>().begin();
    mlir::OwningOpRef<mlir::ModuleOp> expanded = module->clone();
    auto efunc = *expanded->getOps<mlir::func::FuncOp>().begin();
    ASSERT_TRUE(succeeded(mlir::dlc::expandOptimizerUpdates(efunc)));
    bool anyUpdate = false;
    efunc.walk([&](mlir::Operation *o) {
      anyUpdate |= mlir::isa<mlir::dlc::SgdUpdateOp, mlir::dlc::AdamUpdateOp,
                             mlir::dlc::AdamwUpdateOp>(o);
    });
    EXPECT_FALSE(anyUpdate);

    std::mt19937 rng(7);
    std::normal_distribution<double> normal;
    std::uniform_real_distribution<double> unit(0.01, 1.0);
    std::vector<HostTensor> args;
    for (mlir::BlockArgument a : func.getArguments()) {
      auto type = mlir::cast<mlir::RankedTensorType>(a.getType());
      std::vector<int64_t> shape(type.getShape().begin(),
                                 type.getShape().end());
      std::vector<double> v(type.getNumElements());
      unsigned i = a.getArgNumber(), perParam = op == "sgd_update" ? 3 : 4;
      for (double &x : v)
        x = normal(rng);
      if (i >= 2 * perParam) // step, lr, grad_scale, skip
        v[0] = std::vector<double>{3, 0.05, 0.125, skip}[i - 2 * perParam];
      else if (perParam == 4 && i % perParam == 3) // v >= 0
        for (double &x : v)
          x = unit(rng);
      else if (!finite && i % perParam == 1)
        v[0] = NAN, v[1] = INFINITY;
      bool f32 = type.getElementType().isF32();
      args.push_back(ref::storeFloat(ref::Tensor<double>(shape, v),
                                     f32 ? DType::F32 : DType::F64));
    }
    auto want = interpret(func, args, {Precision::F64});
    auto got = interpret(efunc, args, {Precision::F64});
    ASSERT_TRUE(succeeded(want) && succeeded(got));
    ASSERT_EQ(want->size(), got->size());
    for (size_t r = 0; r < want->size(); ++r) {
      ref::Tensor<double> w, g;
      std::string err;
      ASSERT_TRUE(ref::loadFloat((*want)[r], w, err)) << err;
      ASSERT_TRUE(ref::loadFloat((*got)[r], g, err)) << err;
      ASSERT_EQ(w.data.size(), g.data.size());
      for (size_t i = 0; i < w.data.size(); ++i) {
        if (std::isnan(w.data[i])) {
          EXPECT_TRUE(std::isnan(g.data[i])) << "result " << r << "[" << i
                                             << "]";
          continue;
        }
        EXPECT_NEAR(g.data[i], w.data[i], 1e-13 * (1 + std::abs(w.data[i])))
            << "result " << r << "[" << i << "]";
      }
      // skip: every result is its input (param, then the state).
      if (skip != 0) {
        unsigned perParam = op == "sgd_update" ? 3 : 4,
                 perResult = perParam - 1;
        unsigned param = r / perResult, k = r % perResult;
        ref::Tensor<double> in;
        ASSERT_TRUE(ref::loadFloat(args[param * perParam + (k ? k + 1 : 0)],
                                   in, err));
        EXPECT_EQ(g.data, in.data) << "result " << r;
      }
    }
  }

  mlir::MLIRContext ctx;
};

TEST_F(TrainingStepTest, SgdMomentumNesterovWeightDecay) {
  check("sgd_update",
        "momentum = 0.9 : f64, nesterov = true, weight_decay = 0.01 : f64", 0);
  check("sgd_update", "weight_decay = 0.02 : f64", 0);
}

TEST_F(TrainingStepTest, AdamAndAdamW) {
  check("adam_update", "beta1 = 0.8 : f64, weight_decay = 0.01 : f64", 0);
  check("adamw_update", "weight_decay = 0.1 : f64", 0);
}

TEST_F(TrainingStepTest, SkipKeepsEveryInput) {
  check("sgd_update", "momentum = 0.9 : f64", 1, /*finite=*/false);
  check("adam_update", "weight_decay = 0.01 : f64", -2, /*finite=*/false);
  check("adamw_update", "weight_decay = 0.1 : f64", 1, /*finite=*/false);
}

} // namespace
