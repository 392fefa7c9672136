//===- TrainerTest.cpp - the training loop through the train/ library -----===//
//
// Drives train() (train/Trainer.h) without the command line: a flatten +
// dense model on a dataset of eight 2x3 images written by the test, two
// epochs with checkpoints, then --resume for a third. The step count and
// the epoch in each checkpoint follow from the batch arithmetic (8 / 4 = 2
// steps an epoch); the loop compiled on the CPU device must end with the
// params the reference interpreter reaches; checkTrainOptions rejects what
// the command rejects before reading the model.
//
//===----------------------------------------------------------------------===//
#include "train/Trainer.h"

#include "TempDir.h"
#include "frontend/Import.h"
#include "ir/DlcDialect.h"
#include "train/Checkpoint.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <fstream>

using namespace dlc;

namespace {

const char *kModel = R"({
  "format": "dlc-model", "version": 1, "name": "tiny", "seed": 5,
  "inputs": [{"name": "x", "shape": [4, 1, 2, 3]},
             {"name": "labels", "shape": [4], "dtype": "i64"}],
  "parameters": [
    {"name": "w", "shape": [3, 6], "init": {"scheme": "he_uniform"}},
    {"name": "b", "shape": [3], "init": {"scheme": "zeros"}}
  ],
  "nodes": [
    {"name": "flat", "op": "flatten", "inputs": ["x"]},
    {"name": "logits", "op": "dense", "inputs": ["flat", "w", "b"]},
    {"name": "loss", "op": "softmax_cross_entropy", "inputs": ["logits", "labels"]}
  ],
  "outputs": ["logits", "loss"],
  "training": {"loss": "loss",
               "optimizer": {"name": "sgd", "lr": 0.5, "momentum": 0.9}}
})";

std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

void writeGz(const std::string &path, const std::string &bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}

/// n images of 2x3 whose brightest pixel is the label (i % 3), so the
/// classes can be learned.
void writeSplit(const std::string &dir, const std::string &split, uint32_t n) {
  std::string img = be32(0x803) + be32(n) + be32(2) + be32(3);
  std::string lab = be32(0x801) + be32(n);
  for (uint32_t i = 0; i < n; ++i) {
    for (uint32_t p = 0; p < 6; ++p)
      img.push_back(char(p == i % 3 ? 250 : 20 + 10 * ((i + p) % 4)));
    lab.push_back(char(i % 3));
  }
  writeGz(dir + "/" + split + "-images-idx3-ubyte.gz", img);
  writeGz(dir + "/" + split + "-labels-idx1-ubyte.gz", lab);
}

class TrainerTest : public ::testing::Test {
protected:
  TrainerTest() {
    ctx.loadDialect<mlir::dlc::DlcDialect, mlir::func::FuncDialect>();
    std::ofstream(dir.path + "/tiny.json") << kModel;
    writeSplit(dir.path, "train", 8);
    writeSplit(dir.path, "t10k", 4);
    opts.modelPath = dir.path + "/tiny.json";
    opts.data = dir.path;
    opts.device = DeviceKind::Reference;
  }

  /// Imports the model afresh (train() may rewrite it: mixed precision)
  /// and trains it.
  TrainStatus trainOnce() {
    auto module = importModel(ctx, opts.modelPath);
    if (!module)
      return TrainStatus::InternalError;
    return train(*module, opts);
  }

  Checkpoint checkpoint(int64_t epoch) {
    Checkpoint ckpt;
    std::string err;
    EXPECT_TRUE(
        readCheckpoint(checkpointPath(opts.checkpointDir, epoch), ckpt, err))
        << err;
    return ckpt;
  }

  mlir::MLIRContext ctx;
  TempDir dir{"dlc-trainer"};
  TrainOptions opts;
};

const float *f32(const HostTensor &t) {
  return reinterpret_cast<const float *>(t.bytes.data());
}

TEST_F(TrainerTest, TrainsCheckpointsAndResumes) {
  opts.epochs = 2;
  opts.checkpointDir = dir.path + "/ckpt";
  ASSERT_EQ(trainOnce(), TrainStatus::Ok);
  Checkpoint second = checkpoint(2);
  EXPECT_EQ(second.model, "tiny");
  EXPECT_EQ(second.optimizer, "sgd");
  EXPECT_EQ(second.epoch, 2);
  EXPECT_EQ(second.step, 4); // 8 examples / batch 4, two epochs
  for (const char *name : {"param/w", "param/b", "state/momentum_buffer/w",
                           "state/momentum_buffer/b"})
    EXPECT_EQ(second.tensors.count(name), 1u) << name;
  // The bias started at zero; four SGD steps moved it.
  const HostTensor &b = second.tensors.at("param/b");
  EXPECT_GT(std::fabs(f32(b)[0]) + std::fabs(f32(b)[1]) + std::fabs(f32(b)[2]),
            0.0f);

  opts.epochs = 1;
  opts.resume = true;
  ASSERT_EQ(trainOnce(), TrainStatus::Ok);
  Checkpoint third = checkpoint(3);
  EXPECT_EQ(third.epoch, 3);
  EXPECT_EQ(third.step, 6);
}

TEST_F(TrainerTest, CompiledLoopReachesTheInterpretersParams) {
  opts.epochs = 1;
  opts.checkpointDir = dir.path + "/reference";
  ASSERT_EQ(trainOnce(), TrainStatus::Ok);
  Checkpoint reference = checkpoint(1);
  opts.device = DeviceKind::Cpu;
  opts.checkpointDir = dir.path + "/cpu";
  ASSERT_EQ(trainOnce(), TrainStatus::Ok);
  Checkpoint compiled = checkpoint(1);
  ASSERT_EQ(compiled.tensors.size(), reference.tensors.size());
  for (const auto &[name, t] : reference.tensors) {
    const HostTensor &c = compiled.tensors.at(name);
    ASSERT_EQ(c.shape, t.shape) << name;
    for (int64_t i = 0; i < t.numel(); ++i)
      EXPECT_NEAR(f32(c)[i], f32(t)[i], 1e-5) << name << "[" << i << "]";
  }
}

TEST_F(TrainerTest, BadInputIsAUserError) {
  opts.data = dir.path + "/missing";
  EXPECT_EQ(trainOnce(), TrainStatus::UserError);
}

TEST(TrainOptions, RejectedBeforeTheModelIsRead) {
  auto reject = [](TrainOptions o) {
    std::string err;
    EXPECT_FALSE(checkTrainOptions(o, err));
    return err;
  };
  TrainOptions ok;
  ok.modelPath = "m.json";
  std::string err;
  EXPECT_TRUE(checkTrainOptions(ok, err)) << err;
  TrainOptions o = ok;
  o.modelPath = "";
  EXPECT_EQ(reject(o).rfind("no model given", 0), 0u);
  o = ok, o.epochs = 0;
  EXPECT_EQ(reject(o), "--epochs must be at least 1");
  o = ok, o.resume = true;
  EXPECT_EQ(reject(o), "--resume needs --checkpoint-dir");
  o = ok, o.lossScaleGiven = true; // fp32: no loss scaling
  EXPECT_EQ(reject(o).rfind("--loss-scale and", 0), 0u);
  o = ok, o.precision = "fp16", o.lossScale = 0.5;
  EXPECT_EQ(reject(o), "--loss-scale must be a number from 1 to 3e38");
  o = ok, o.emitStep = "dir", o.device = DeviceKind::Reference;
  EXPECT_EQ(reject(o).rfind("--emit-step needs a compiled step", 0), 0u);
}

} // namespace
