//===- CheckpointTest.cpp - training checkpoints --------------------------===//
#include "train/Checkpoint.h"
#include "runtime/io/TensorFile.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace dlc;

namespace {

class CheckpointTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::path(::testing::TempDir()) /
          ("dlc-ckpt-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  Checkpoint sample() {
    Checkpoint c;
    c.model = "seed_cnn";
    c.optimizer = "adam";
    c.epoch = 3;
    c.step = 141;
    HostTensor w = HostTensor::zeros(DType::F32, {2, 3});
    for (int i = 0; i < 6; ++i)
      reinterpret_cast<float *>(w.bytes.data())[i] = 0.5f * i;
    c.tensors["param/w"] = w;
    c.tensors["state/exp_avg/w"] = HostTensor::zeros(DType::F32, {2, 3});
    return c;
  }
  fs::path dir;
};

TEST_F(CheckpointTest, RoundTrip) {
  std::string p = checkpointPath(dir.string(), 3), err;
  EXPECT_EQ(fs::path(p).filename(), "epoch-0003.safetensors");
  Checkpoint c = sample(), r;
  ASSERT_TRUE(writeCheckpoint(p, c, err)) << err;
  ASSERT_TRUE(readCheckpoint(p, r, err)) << err;
  EXPECT_EQ(r.model, "seed_cnn");
  EXPECT_EQ(r.optimizer, "adam");
  EXPECT_EQ(r.epoch, 3);
  EXPECT_EQ(r.step, 141);
  ASSERT_EQ(r.tensors.size(), 2u);
  EXPECT_EQ(r.tensors["param/w"].bytes, c.tensors["param/w"].bytes);
  EXPECT_EQ(r.tensors["param/w"].shape, (std::vector<int64_t>{2, 3}));
  // A plain safetensors reader sees the tensors (metadata is skipped).
  std::map<std::string, HostTensor> plain;
  ASSERT_TRUE(readSafetensors(p, plain, err)) << err;
  EXPECT_EQ(plain.size(), 2u);
}

TEST_F(CheckpointTest, LatestPicksTheHighestEpoch) {
  std::string err, p;
  EXPECT_FALSE(latestCheckpoint(dir.string(), p, err));
  EXPECT_NE(err.find("holds no checkpoint"), std::string::npos) << err;
  Checkpoint c = sample();
  for (int e : {1, 10, 2})
    ASSERT_TRUE(writeCheckpoint(checkpointPath(dir.string(), e), c, err));
  ASSERT_TRUE(latestCheckpoint(dir.string(), p, err)) << err;
  EXPECT_EQ(fs::path(p).filename(), "epoch-0010.safetensors");
  EXPECT_FALSE(latestCheckpoint((dir / "nope").string(), p, err));
  EXPECT_NE(err.find("no such checkpoint directory"), std::string::npos);
}

TEST_F(CheckpointTest, CorruptAndForeignFiles) {
  std::string p = checkpointPath(dir.string(), 1), err;
  ASSERT_TRUE(writeCheckpoint(p, sample(), err)) << err;
  auto size = fs::file_size(p);
  fs::resize_file(p, size - 5); // truncated data
  Checkpoint r;
  EXPECT_FALSE(readCheckpoint(p, r, err));
  EXPECT_EQ(err.rfind(p + ": ", 0), 0u) << err;
  std::ofstream(p, std::ios::trunc) << "garbage, not a checkpoint";
  EXPECT_FALSE(readCheckpoint(p, r, err));
  EXPECT_EQ(err.rfind(p + ": ", 0), 0u) << err;
  // A valid safetensors file without the checkpoint metadata.
  std::map<std::string, HostTensor> t{{"w", HostTensor::zeros(DType::F32, {1})}};
  ASSERT_TRUE(writeSafetensors(p, t, err)) << err;
  EXPECT_FALSE(readCheckpoint(p, r, err));
  EXPECT_NE(err.find("not a dlc checkpoint"), std::string::npos) << err;
  EXPECT_FALSE(readCheckpoint((dir / "missing.safetensors").string(), r, err));
  EXPECT_NE(err.find("missing.safetensors"), std::string::npos) << err;
}

TEST_F(CheckpointTest, FailedWriteKeepsThePreviousCheckpoint) {
  // Kill safety: the write goes to a temporary file renamed over the
  // target, so a write that fails (here: a tensor whose bytes do not match
  // its shape, refused mid-way) leaves the old file intact and no temp.
  std::string p = checkpointPath(dir.string(), 1), err;
  ASSERT_TRUE(writeCheckpoint(p, sample(), err)) << err;
  std::string before;
  {
    std::ifstream in(p, std::ios::binary);
    before.assign(std::istreambuf_iterator<char>(in), {});
  }
  Checkpoint bad = sample();
  bad.epoch = 9;
  bad.tensors["param/z"].shape = {4};
  EXPECT_FALSE(writeCheckpoint(p, bad, err));
  std::ifstream in(p, std::ios::binary);
  std::string after(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(before, after);
  // Only the checkpoint in the directory: no temporary left behind.
  int files = 0;
  for (auto &e : fs::directory_iterator(dir))
    (void)e, ++files;
  EXPECT_EQ(files, 1);
  // And a directory in the way of the rename fails without damage.
  fs::create_directories(checkpointPath(dir.string(), 2));
  EXPECT_FALSE(writeCheckpoint(checkpointPath(dir.string(), 2), sample(), err));
}

} // namespace
