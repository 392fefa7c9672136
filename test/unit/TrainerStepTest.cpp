//===- TrainerStepTest.cpp - one training step through the train/ library -===//
//
// Drives train/StepRunner.h without the command line: a dense layer with a
// softmax cross-entropy loss and plain SGD, made a training step by
// buildTrainingStep, runs once through the reference interpreter and once
// compiled on the CPU device. Both must match an independent reference
// written out here: logits = x W^T + b, the mean loss, its gradients
// ((softmax - onehot) / B, times x for W) and p - lr g.
//
//===----------------------------------------------------------------------===//
#include "train/StepRunner.h"

#include "TempDir.h"
#include "frontend/Import.h"
#include "ir/DlcDialect.h"
#include "passes/TrainingStep.h"
#include "runtime/cpu/CpuDevice.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

using namespace dlc;

namespace {

constexpr int64_t kBatch = 4, kIn = 6, kOut = 3;
constexpr float kLr = 0.1f;

const char *kModel = R"({
  "format": "dlc-model", "version": 1, "name": "tiny", "seed": 3,
  "inputs": [{"name": "x", "shape": [4, 6]},
             {"name": "labels", "shape": [4], "dtype": "i64"}],
  "parameters": [
    {"name": "w", "shape": [3, 6], "init": {"scheme": "he_uniform"}},
    {"name": "b", "shape": [3], "init": {"scheme": "constant", "value": 0.05}}
  ],
  "nodes": [
    {"name": "logits", "op": "dense", "inputs": ["x", "w", "b"]},
    {"name": "loss", "op": "softmax_cross_entropy", "inputs": ["logits", "labels"]}
  ],
  "outputs": ["logits", "loss"],
  "training": {"loss": "loss", "optimizer": {"name": "sgd", "lr": 0.1}}
})";

HostTensor scalar(float v) {
  HostTensor t = HostTensor::zeros(DType::F32, {});
  *reinterpret_cast<float *>(t.bytes.data()) = v;
  return t;
}

const float *f32(const HostTensor &t) {
  return reinterpret_cast<const float *>(t.bytes.data());
}

/// The loss and the gradients of w and b, by hand, in double.
struct Expected {
  double loss = 0;
  std::vector<double> gradW = std::vector<double>(kOut * kIn),
                      gradB = std::vector<double>(kOut);
};

Expected reference(const HostTensor &x, const int64_t *labels,
                   const HostTensor &w, const HostTensor &b) {
  Expected e;
  for (int64_t i = 0; i < kBatch; ++i) {
    double logits[kOut], max = -INFINITY, sum = 0;
    for (int64_t j = 0; j < kOut; ++j) {
      logits[j] = f32(b)[j];
      for (int64_t k = 0; k < kIn; ++k)
        logits[j] += double(f32(x)[i * kIn + k]) * f32(w)[j * kIn + k];
      max = std::max(max, logits[j]);
    }
    for (int64_t j = 0; j < kOut; ++j)
      sum += std::exp(logits[j] - max);
    e.loss -= (logits[labels[i]] - max - std::log(sum)) / kBatch;
    for (int64_t j = 0; j < kOut; ++j) {
      double d = (std::exp(logits[j] - max) / sum - (j == labels[i])) / kBatch;
      e.gradB[j] += d;
      for (int64_t k = 0; k < kIn; ++k)
        e.gradW[j * kIn + k] += d * f32(x)[i * kIn + k];
    }
  }
  return e;
}

class TrainerStepTest : public ::testing::Test {
protected:
  TrainerStepTest() {
    ctx.loadDialect<mlir::dlc::DlcDialect, mlir::func::FuncDialect>();
    std::ofstream(dir.path + "/tiny.json") << kModel;
    module = importModel(ctx, dir.path + "/tiny.json");
  }

  /// The step's arguments: a fixed batch, the initial params, zero state.
  void bindArgs() {
    x = HostTensor::zeros(DType::F32, {kBatch, kIn});
    for (int64_t i = 0; i < kBatch * kIn; ++i)
      reinterpret_cast<float *>(x.bytes.data())[i] =
          float((i * 7) % 11) / 11.0f - 0.4f;
    labels = HostTensor::zeros(DType::I64, {kBatch});
    for (int64_t i = 0; i < kBatch; ++i)
      reinterpret_cast<int64_t *>(labels.bytes.data())[i] = (i * 2) % kOut;
    auto initial = materializeParams(*module);
    ASSERT_TRUE(succeeded(initial));
    params = std::move(*initial);
    for (const auto &[name, t] : params)
      state["state/momentum_buffer/" + name] =
          HostTensor::zeros(t.dtype, t.shape);
    step = scalar(1), lr = scalar(kLr);
    args = {
        {"x", &x}, {"labels", &labels}, {"opt.step", &step}, {"opt.lr", &lr}};
    for (const auto &[name, t] : params)
      args[name] = &t;
    for (const auto &[name, t] : state)
      args[name] = &t;
  }

  /// The results against the hand-written reference.
  void expectReference(NamedResults &out) {
    Expected e =
        reference(x, reinterpret_cast<const int64_t *>(labels.bytes.data()),
                  params.at("w"), params.at("b"));
    EXPECT_NEAR(f32(out.at("loss"))[0], e.loss, 1e-5);
    for (int64_t j = 0; j < kOut; ++j) {
      EXPECT_NEAR(f32(out.at("grad:b"))[j], e.gradB[j], 1e-5) << j;
      EXPECT_NEAR(f32(out.at("new/param/b"))[j],
                  f32(params.at("b"))[j] - kLr * e.gradB[j], 1e-5)
          << j;
    }
    for (int64_t i = 0; i < kOut * kIn; ++i) {
      EXPECT_NEAR(f32(out.at("grad:w"))[i], e.gradW[i], 1e-5) << i;
      EXPECT_NEAR(f32(out.at("new/param/w"))[i],
                  f32(params.at("w"))[i] - kLr * e.gradW[i], 1e-5)
          << i;
    }
  }

  mlir::MLIRContext ctx;
  TempDir dir{"dlc-trainer"};
  mlir::OwningOpRef<mlir::ModuleOp> module;
  HostTensor x, labels, step, lr;
  std::map<std::string, HostTensor> params, state;
  NamedArgs args;
};

TEST_F(TrainerStepTest, ReferenceRunnerMatchesHandWrittenStep) {
  ASSERT_TRUE(module);
  ASSERT_TRUE(succeeded(mlir::dlc::buildTrainingStep(*module)));
  bindArgs();
  mlir::func::FuncOp func = getModelFunction(*module);
  auto values = describeModel(func);
  ASSERT_TRUE(succeeded(values));
  ReferenceRunner runner(func, *values);
  NamedResults out;
  std::string err;
  ASSERT_TRUE(runner.run(args, out, err)) << err;
  expectReference(out);
}

TEST_F(TrainerStepTest, CompiledRunnerOnCpuMatchesHandWrittenStep) {
  ASSERT_TRUE(module);
  ASSERT_TRUE(succeeded(mlir::dlc::buildTrainingStep(*module)));
  bindArgs();
  CpuDevice device;
  CompiledRunner runner;
  std::string err;
  mlir::OwningOpRef<mlir::ModuleOp> copy = module->clone();
  ASSERT_TRUE(runner.init(*copy, device, err)) << err;
  NamedResults out;
  ASSERT_TRUE(runner.run(args, out, err)) << err;
  expectReference(out);
}

TEST_F(TrainerStepTest, MissingArgumentIsNamed) {
  ASSERT_TRUE(module);
  ASSERT_TRUE(succeeded(mlir::dlc::buildTrainingStep(*module)));
  bindArgs();
  args.erase("opt.lr");
  mlir::func::FuncOp func = getModelFunction(*module);
  auto values = describeModel(func);
  ASSERT_TRUE(succeeded(values));
  ReferenceRunner runner(func, *values);
  NamedResults out;
  std::string err;
  EXPECT_FALSE(runner.run(args, out, err));
  EXPECT_EQ(err, "no value for 'opt.lr'");
}

} // namespace
