//===- DatasetTest.cpp - IDX gz reader, batching, shuffling ---------------===//
#include "train/Dataset.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace dlc;

namespace {

class DatasetTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::path(::testing::TempDir()) /
          ("dlc-dataset-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string &n) { return (dir / n).string(); }

  static std::string be32(uint32_t v) {
    return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  }
  void writeGz(const std::string &p, const std::string &bytes) {
    gzFile f = gzopen(p.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    gzwrite(f, bytes.data(), unsigned(bytes.size()));
    gzclose(f);
  }
  /// n images of 2x3, pixel value (i * 6 + p) % 256; labels i % 10.
  void writeSplit(const std::string &split, uint32_t n) {
    std::string img = be32(0x803) + be32(n) + be32(2) + be32(3);
    for (uint32_t i = 0; i < n; ++i)
      for (int p = 0; p < 6; ++p)
        img.push_back(char((i * 6 + p) % 256));
    std::string lab = be32(0x801) + be32(n);
    for (uint32_t i = 0; i < n; ++i)
      lab.push_back(char(i % 10));
    writeGz(path(split + "-images-idx3-ubyte.gz"), img);
    writeGz(path(split + "-labels-idx1-ubyte.gz"), lab);
  }
  fs::path dir;
};

TEST_F(DatasetTest, ReadsSplitAndLimit) {
  writeSplit("train", 7);
  ImageDataset d;
  std::string err;
  ASSERT_TRUE(loadIdxSplit(dir.string(), "train", -1, 10, d, err)) << err;
  EXPECT_EQ(d.count, 7);
  EXPECT_EQ(d.rows, 2);
  EXPECT_EQ(d.cols, 3);
  EXPECT_EQ(d.pixels[6], 6);
  EXPECT_EQ(d.labels[3], 3);
  ASSERT_TRUE(loadIdxSplit(dir.string(), "train", 4, 10, d, err)) << err;
  EXPECT_EQ(d.count, 4);
  EXPECT_EQ(d.labels.size(), 4u);
}

TEST_F(DatasetTest, BatchesDropTheLastPartialOneAndScalePixels) {
  writeSplit("train", 7);
  ImageDataset d;
  std::string err;
  ASSERT_TRUE(loadIdxSplit(dir.string(), "train", -1, 10, d, err)) << err;
  Batcher b(d, 3);
  EXPECT_EQ(b.numBatches(), 2);
  HostTensor x, l;
  b.fill(1, x, l);
  EXPECT_EQ(x.shape, (std::vector<int64_t>{3, 1, 2, 3}));
  EXPECT_EQ(l.dtype, DType::I64);
  auto *xf = reinterpret_cast<const float *>(x.bytes.data());
  EXPECT_FLOAT_EQ(xf[0], 18.0f / 255.0f); // example 3, pixel 0
  EXPECT_EQ(reinterpret_cast<const int64_t *>(l.bytes.data())[0], 3);
}

TEST_F(DatasetTest, ShuffleIsAPermutationFixedBySeed) {
  writeSplit("train", 50);
  ImageDataset d;
  std::string err;
  ASSERT_TRUE(loadIdxSplit(dir.string(), "train", -1, 10, d, err)) << err;
  auto labelsOf = [&](uint64_t seed) {
    Batcher b(d, 50);
    b.shuffle(seed);
    HostTensor x, l;
    b.fill(0, x, l);
    auto *p = reinterpret_cast<const float *>(x.bytes.data());
    std::vector<int> firstPixel;
    for (int i = 0; i < 50; ++i)
      firstPixel.push_back(int(std::lround(p[i * 6] * 255)));
    return firstPixel;
  };
  auto a = labelsOf(1), a2 = labelsOf(1), c = labelsOf(2);
  EXPECT_EQ(a, a2);
  EXPECT_NE(a, c);
  std::vector<int> sorted = a, want;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 50; ++i)
    want.push_back((i * 6) % 256);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(sorted, want);
}

TEST_F(DatasetTest, MissingFileNamesIt) {
  ImageDataset d;
  std::string err;
  EXPECT_FALSE(loadIdxSplit(dir.string(), "train", -1, 10, d, err));
  EXPECT_NE(err.find("train-images-idx3-ubyte.gz: cannot open"),
            std::string::npos)
      << err;
}

TEST_F(DatasetTest, TruncatedAndWrongMagic) {
  std::string err;
  ImageDataset d;
  writeGz(path("t.gz"), be32(0x803) + be32(5) + be32(2) + be32(3) + "abc");
  EXPECT_FALSE(readIdxImages(path("t.gz"), -1, d, err));
  EXPECT_NE(err.find("t.gz: truncated: expected 30 bytes of pixels"),
            std::string::npos)
      << err;
  writeGz(path("m.gz"), be32(0x801) + be32(5) + be32(2) + be32(3));
  EXPECT_FALSE(readIdxImages(path("m.gz"), -1, d, err));
  EXPECT_NE(err.find("not an IDX3 image file: magic 0x00000801"),
            std::string::npos)
      << err;
  writeGz(path("h.gz"), be32(0x803));
  EXPECT_FALSE(readIdxImages(path("h.gz"), -1, d, err));
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
}

TEST_F(DatasetTest, CorruptGzipStream) {
  std::string img = be32(0x803) + be32(40) + be32(2) + be32(3);
  img += std::string(240, '\x07');
  writeGz(path("c.gz"), img);
  // Flip bytes in the middle of the deflate stream.
  std::FILE *f = std::fopen(path("c.gz").c_str(), "r+b");
  ASSERT_NE(f, nullptr);
  std::fseek(f, 12, SEEK_SET);
  std::fputs("\xff\xff\xff\xff\xff\xff", f);
  std::fclose(f);
  ImageDataset d;
  std::string err;
  EXPECT_FALSE(readIdxImages(path("c.gz"), -1, d, err));
  EXPECT_EQ(err.rfind(path("c.gz") + ": ", 0), 0u) << err;
}

TEST_F(DatasetTest, LabelOutOfRangeAndCountMismatch) {
  writeSplit("train", 12);
  ImageDataset d;
  std::string err;
  EXPECT_FALSE(loadIdxSplit(dir.string(), "train", -1, 5, d, err));
  EXPECT_NE(err.find("label 5 of example 5 is not below the model's 5 "
                     "classes"),
            std::string::npos)
      << err;
  writeGz(path("train-labels-idx1-ubyte.gz"), be32(0x801) + be32(3) + "\1\2\3");
  EXPECT_FALSE(loadIdxSplit(dir.string(), "train", -1, 10, d, err));
  EXPECT_NE(err.find("holds 3 labels but"), std::string::npos) << err;
}

} // namespace
