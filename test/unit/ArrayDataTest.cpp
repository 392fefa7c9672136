//===- ArrayDataTest.cpp - .npz reader, dtype conversion, row batches -----===//
//
// The .npz files are zips built here byte by byte (one member stored, one
// deflated with zlib), independent of NumPy; test/Driver/train-npz.test
// reads NumPy's own.
//
//===----------------------------------------------------------------------===//
#include "train/ArrayData.h"

#include "runtime/io/TensorFile.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace dlc;

namespace {

std::string le(uint32_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += char((v >> (8 * i)) & 0xff);
  return s;
}

/// The bytes of an .npy file holding `t`.
std::string npyBytes(const HostTensor &t, const std::string &tmp) {
  std::string err;
  EXPECT_TRUE(writeNpy(tmp, t, err)) << err;
  std::ifstream in(tmp, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string rawDeflate(const std::string &in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, uLong(in.size())), '\0');
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  z.avail_in = uInt(in.size());
  z.next_out = reinterpret_cast<Bytef *>(out.data());
  z.avail_out = uInt(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

/// A zip of (name, contents, deflate?) members.
std::string zip(const std::vector<std::tuple<std::string, std::string, bool>>
                    &members) {
  std::string body, dir;
  for (auto &[name, data, deflated] : members) {
    std::string stored = deflated ? rawDeflate(data) : data;
    uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef *>(
                                         data.data()),
                                  uInt(data.size())));
    std::string common = le(20, 2) + le(0, 2) + le(deflated ? 8 : 0, 2) +
                         le(0, 4) + le(crc, 4) + le(stored.size(), 4) +
                         le(data.size(), 4) + le(name.size(), 2) + le(0, 2);
    uint32_t offset = uint32_t(body.size());
    body += le(0x04034b50, 4) + common + name + stored;
    dir += le(0x02014b50, 4) + le(20, 2) + common + le(0, 2) + le(0, 2) +
           le(0, 2) + le(0, 4) + le(offset, 4) + name;
  }
  return body + dir + le(0x06054b50, 4) + le(0, 2) + le(0, 2) +
         le(members.size(), 2) + le(members.size(), 2) + le(dir.size(), 4) +
         le(body.size(), 4) + le(0, 2);
}

class ArrayDataTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::path(::testing::TempDir()) /
          ("dlc-arraydata-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string &n) { return (dir / n).string(); }
  void write(const std::string &p, const std::string &bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
  }
  /// x: f64 [5, 2] = 0..9, y: i32 [5] = 4..0; x stored, y deflated.
  std::string writeXY(const std::string &name) {
    HostTensor x = HostTensor::zeros(DType::F64, {5, 2});
    HostTensor y = HostTensor::zeros(DType::I32, {5});
    for (int i = 0; i < 10; ++i)
      reinterpret_cast<double *>(x.bytes.data())[i] = i;
    for (int i = 0; i < 5; ++i)
      reinterpret_cast<int32_t *>(y.bytes.data())[i] = 4 - i;
    std::string p = path(name);
    write(p, zip({{"x.npy", npyBytes(x, path("x.tmp.npy")), false},
                  {"y.npy", npyBytes(y, path("y.tmp.npy")), true}}));
    return p;
  }
  fs::path dir;
};

TEST_F(ArrayDataTest, ReadsStoredAndDeflatedMembersAndConverts) {
  ArrayDataset d;
  std::string err;
  ASSERT_TRUE(loadNpzDataset(writeXY("d.npz"), -1, DType::F32, DType::I64, d,
                             err))
      << err;
  ASSERT_EQ(d.count(), 5);
  EXPECT_EQ(d.x.dtype, DType::F32);
  EXPECT_EQ(d.y.dtype, DType::I64);
  EXPECT_EQ(d.x.shape, (std::vector<int64_t>{5, 2}));
  EXPECT_EQ(reinterpret_cast<const float *>(d.x.bytes.data())[7], 7.0f);
  EXPECT_EQ(reinterpret_cast<const int64_t *>(d.y.bytes.data())[1], 3);

  // Batches of 2 in file order: rows 2, 3 are batch 1; row 4 is dropped.
  ArrayBatcher b(d, 2);
  EXPECT_EQ(b.numBatches(), 2);
  HostTensor x, y;
  b.fill(1, x, y);
  EXPECT_EQ(x.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(reinterpret_cast<const float *>(x.bytes.data())[0], 4.0f);
  EXPECT_EQ(reinterpret_cast<const int64_t *>(y.bytes.data())[1], 1);
  // A shuffle keeps x and y together: y = 4 - x / 2.
  b.shuffle(3);
  for (int64_t i = 0; i < b.numBatches(); ++i) {
    b.fill(i, x, y);
    for (int r = 0; r < 2; ++r)
      EXPECT_EQ(reinterpret_cast<const int64_t *>(y.bytes.data())[r],
                4 - int64_t(reinterpret_cast<const float *>(x.bytes.data())
                                [r * 2] /
                            2));
  }
}

TEST_F(ArrayDataTest, LimitTakesTheFirstRows) {
  ArrayDataset d;
  std::string err;
  ASSERT_TRUE(loadNpzDataset(writeXY("d.npz"), 3, DType::F64, DType::I32, d,
                             err))
      << err;
  EXPECT_EQ(d.count(), 3);
  EXPECT_EQ(d.y.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(d.x.bytes.size(), 3u * 2 * 8);
}

TEST_F(ArrayDataTest, Errors) {
  ArrayDataset d;
  std::string err;
  // Floats never become integer labels.
  EXPECT_FALSE(loadNpzDataset(writeXY("d.npz"), -1, DType::I64, DType::I64, d,
                              err));
  EXPECT_NE(err.find("x is f64 but the model takes i64"), std::string::npos)
      << err;
  write(path("junk.npz"), "PK but not really a zip");
  EXPECT_FALSE(loadNpzDataset(path("junk.npz"), -1, DType::F32, DType::I64, d,
                              err));
  EXPECT_NE(err.find("not an .npz file"), std::string::npos) << err;
  std::string whole = zip({{"x.npy", "\x93NUMPY garbage", false}});
  write(path("bad.npz"), whole);
  EXPECT_FALSE(loadNpzDataset(path("bad.npz"), -1, DType::F32, DType::I64, d,
                              err));
  EXPECT_NE(err.find("bad.npz: x"), std::string::npos) << err;
  EXPECT_FALSE(loadNpzDataset(path("missing.npz"), -1, DType::F32, DType::I64,
                              d, err));
  EXPECT_NE(err.find("missing.npz: cannot open"), std::string::npos) << err;
  // A truncated archive: the directory points past the end.
  std::string good;
  {
    std::ifstream in(writeXY("t.npz"), std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in),
                std::istreambuf_iterator<char>());
  }
  write(path("cut.npz"), good.substr(0, 40) + good.substr(good.size() - 22));
  EXPECT_FALSE(loadNpzDataset(path("cut.npz"), -1, DType::F32, DType::I64, d,
                              err));
  EXPECT_NE(err.find("cut.npz"), std::string::npos) << err;
}

} // namespace
