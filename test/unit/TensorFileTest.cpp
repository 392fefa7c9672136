//===- TensorFileTest.cpp - .npy and .safetensors read/write --------------===//
#include "runtime/io/TensorFile.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace dlc;

namespace {

class TensorFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::path(::testing::TempDir()) /
          ("dlc-tensorfile-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string path(const std::string &name) { return (dir / name).string(); }

  static std::string slurp(const std::string &p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static void spit(const std::string &p, const std::string &bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), bytes.size());
  }

  template <typename T>
  static HostTensor make(DType dtype, std::vector<int64_t> shape,
                         const std::vector<T> &values) {
    HostTensor t;
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.bytes.resize(values.size() * sizeof(T));
    if (!values.empty()) // memcpy from an empty vector's null data is UB
      std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
    return t;
  }
  template <typename T> static std::vector<T> values(const HostTensor &t) {
    std::vector<T> v(t.bytes.size() / sizeof(T));
    if (!v.empty())
      std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
    return v;
  }

  /// Runs Debian's python3 with numpy; false when it is not available.
  static bool python(const std::string &script) {
    if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") !=
        0)
      return false;
    std::string cmd = "/usr/bin/python3 -c \"" + script + "\"";
    return std::system(cmd.c_str()) == 0;
  }

  fs::path dir;
};

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST_F(TensorFileTest, NpyRoundTripEveryDType) {
  std::vector<HostTensor> tensors = {
      make<float>(DType::F32, {2, 3}, {1, -2, 3.5f, 4, 5, 6}),
      make<double>(DType::F64, {3}, {1e-300, 2, -3}),
      make<uint16_t>(DType::F16, {2}, {0x3c00, 0xc000}), // 1.0, -2.0
      make<int32_t>(DType::I32, {1, 1, 2}, {-7, 2147483647}),
      make<int64_t>(DType::I64, {}, {int64_t(1) << 40}),
      make<uint8_t>(DType::I1, {4}, {0, 1, 1, 0}),
      make<float>(DType::F32, {0, 5}, {}),
  };
  for (const HostTensor &t : tensors) {
    std::string p = path("t.npy"), err;
    ASSERT_TRUE(writeNpy(p, t, err)) << err;
    // NumPy aligns the data to 64 bytes.
    EXPECT_EQ((slurp(p).size() - t.bytes.size()) % 64, 0u);
    HostTensor back;
    ASSERT_TRUE(readNpy(p, back, err)) << err;
    EXPECT_EQ(back.dtype, t.dtype);
    EXPECT_EQ(back.shape, t.shape);
    EXPECT_EQ(back.bytes, t.bytes);
    TensorInfo info;
    ASSERT_TRUE(readNpyHeader(p, info, err)) << err;
    EXPECT_EQ(info.dtype, t.dtype);
    EXPECT_EQ(info.shape, t.shape);
  }
}

TEST_F(TensorFileTest, NpyRejectsBF16) {
  std::string err;
  HostTensor t = make<uint16_t>(DType::BF16, {1}, {0x3f80});
  EXPECT_FALSE(writeNpy(path("b.npy"), t, err));
  EXPECT_NE(err.find("b.npy: cannot write bf16 as .npy"), std::string::npos)
      << err;
  EXPECT_FALSE(fs::exists(path("b.npy")));
}

TEST_F(TensorFileTest, WriteRejectsBytesThatDoNotMatchTheShape) {
  std::string err;
  HostTensor t = make<float>(DType::F32, {2, 2}, {1, 2, 3});
  EXPECT_FALSE(writeNpy(path("m.npy"), t, err));
  EXPECT_NE(err.find("holds 12 bytes, but shape [2, 2] of f32 needs 16"),
            std::string::npos)
      << err;
  EXPECT_FALSE(writeSafetensors(path("m.safetensors"), {{"m", t}}, err));
  EXPECT_NE(err.find("tensor 'm' holds 12 bytes"), std::string::npos) << err;
}

TEST_F(TensorFileTest, SafetensorsRoundTrip) {
  std::map<std::string, HostTensor> in = {
      {"w", make<float>(DType::F32, {2, 2}, {1, 2, 3, 4})},
      {"b", make<uint16_t>(DType::BF16, {3}, {0x3f80, 0x4000, 0xbf80})},
      {"h", make<uint16_t>(DType::F16, {1}, {0x3c00})},
      {"mask", make<uint8_t>(DType::I1, {2}, {1, 0})},
      {"step", make<int64_t>(DType::I64, {}, {42})},
      {"idx", make<int32_t>(DType::I32, {2}, {3, -4})},
      {"d", make<double>(DType::F64, {1}, {0.25})},
      {"empty", make<float>(DType::F32, {0}, {})},
  };
  std::string p = path("m.safetensors"), err;
  ASSERT_TRUE(writeSafetensors(p, in, err)) << err;
  std::string bytes = slurp(p);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);

  std::map<std::string, HostTensor> out;
  ASSERT_TRUE(readSafetensors(p, out, err)) << err;
  ASSERT_EQ(out.size(), in.size());
  for (const auto &[k, t] : in) {
    SCOPED_TRACE(k);
    EXPECT_EQ(out[k].dtype, t.dtype);
    EXPECT_EQ(out[k].shape, t.shape);
    EXPECT_EQ(out[k].bytes, t.bytes);
  }
  std::map<std::string, TensorInfo> infos;
  ASSERT_TRUE(readSafetensorsHeader(p, infos, err)) << err;
  EXPECT_EQ(infos["b"].dtype, DType::BF16);
  EXPECT_EQ(infos["w"].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(infos["step"].shape, std::vector<int64_t>{});

  HostTensor one;
  ASSERT_TRUE(readTensorFile(p, "idx", one, err)) << err;
  EXPECT_EQ(values<int32_t>(one), (std::vector<int32_t>{3, -4}));
  TensorInfo info;
  ASSERT_TRUE(readTensorFileHeader(p, "mask", info, err)) << err;
  EXPECT_EQ(info.dtype, DType::I1);
}

TEST_F(TensorFileTest, OverwriteReplacesAndLeavesNoTemporary) {
  std::string p = path("o.npy"), err;
  ASSERT_TRUE(writeNpy(p, make<float>(DType::F32, {8}, std::vector<float>(8, 1)),
                       err));
  ASSERT_TRUE(writeNpy(p, make<float>(DType::F32, {1}, {7}), err)) << err;
  HostTensor t;
  ASSERT_TRUE(readNpy(p, t, err)) << err;
  EXPECT_EQ(values<float>(t), std::vector<float>{7});
  int files = 0;
  for (auto &e : fs::directory_iterator(dir)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(TensorFileTest, WriteIntoMissingDirectoryFails) {
  std::string p = path("no/such/dir/x.npy"), err;
  EXPECT_FALSE(writeNpy(p, make<float>(DType::F32, {1}, {1}), err));
  EXPECT_NE(err.find("x.npy: cannot write"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(p));
}

//===----------------------------------------------------------------------===//
// Interoperability with NumPy and the safetensors layout
//===----------------------------------------------------------------------===//

TEST_F(TensorFileTest, ReadsFilesWrittenByNumpy) {
  std::string d = dir.string();
  if (!python("import numpy as np; d='" + d +
              "'; "
              "np.save(d+'/f4.npy', np.arange(6, dtype='<f4').reshape(2,3)/4); "
              "np.save(d+'/i8.npy', np.array([-1, 5, 1<<40], dtype='<i8')); "
              "np.save(d+'/b1.npy', np.array([[True],[False]])); "
              "np.save(d+'/f2.npy', np.array(1.5, dtype='<f2')); "
              "np.save(d+'/fortran.npy', np.asfortranarray(np.ones((2,3), "
              "dtype='<f4'))); "
              "np.save(d+'/be.npy', np.ones(2, dtype='>f4')); "
              "np.save(d+'/u2.npy', np.ones(2, dtype='<u2')); "
              "f = open(d+'/v2.npy', 'wb'); "
              "np.lib.format.write_array(f, np.array([1.0, 2.0]), (2, 0)); "
              "f.close()"))
    GTEST_SKIP() << "/usr/bin/python3 with numpy is not available";
  std::string err;
  HostTensor t;
  ASSERT_TRUE(readNpy(d + "/f4.npy", t, err)) << err;
  EXPECT_EQ(t.dtype, DType::F32);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values<float>(t),
            (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1, 1.25f}));
  ASSERT_TRUE(readNpy(d + "/i8.npy", t, err)) << err;
  EXPECT_EQ(values<int64_t>(t),
            (std::vector<int64_t>{-1, 5, int64_t(1) << 40}));
  ASSERT_TRUE(readNpy(d + "/b1.npy", t, err)) << err;
  EXPECT_EQ(t.dtype, DType::I1);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(t.bytes, (std::vector<uint8_t>{1, 0}));
  ASSERT_TRUE(readNpy(d + "/f2.npy", t, err)) << err;
  EXPECT_EQ(t.shape, std::vector<int64_t>{});
  EXPECT_EQ(values<uint16_t>(t), std::vector<uint16_t>{0x3e00});
  ASSERT_TRUE(readNpy(d + "/v2.npy", t, err)) << err;
  EXPECT_EQ(values<double>(t), (std::vector<double>{1, 2}));

  EXPECT_FALSE(readNpy(d + "/fortran.npy", t, err));
  EXPECT_NE(err.find("fortran.npy: fortran_order is True"), std::string::npos)
      << err;
  EXPECT_FALSE(readNpy(d + "/be.npy", t, err));
  EXPECT_NE(err.find("unsupported dtype '>f4' (big-endian"), std::string::npos)
      << err;
  TensorInfo info;
  EXPECT_FALSE(readNpyHeader(d + "/u2.npy", info, err));
  EXPECT_NE(err.find("unsupported dtype '<u2'"), std::string::npos) << err;
}

TEST_F(TensorFileTest, NumpyReadsOurFiles) {
  std::string d = dir.string(), err;
  ASSERT_TRUE(writeNpy(d + "/o.npy",
                       make<int32_t>(DType::I32, {2, 2}, {1, 2, 3, -4}), err));
  ASSERT_TRUE(writeSafetensors(
      d + "/o.safetensors",
      {{"a", make<float>(DType::F32, {3}, {0.5f, 1, 2})},
       {"b", make<int64_t>(DType::I64, {1}, {9})}},
      err));
  // An independent reader of the safetensors layout, in NumPy.
  bool ran = python(
      "import numpy as np, json, struct; d='" + d +
      "'; a = np.load(d+'/o.npy'); "
      "assert a.dtype == np.int32 and a.tolist() == [[1,2],[3,-4]], a; "
      "raw = open(d+'/o.safetensors','rb').read(); "
      "n = struct.unpack('<Q', raw[:8])[0]; h = json.loads(raw[8:8+n]); "
      "s, e = h['a']['data_offsets']; "
      "v = np.frombuffer(raw[8+n+s:8+n+e], dtype='<f4'); "
      "assert h['a']['dtype'] == 'F32' and h['a']['shape'] == [3], h; "
      "assert v.tolist() == [0.5, 1, 2], v; "
      "s, e = h['b']['data_offsets']; "
      "assert np.frombuffer(raw[8+n+s:8+n+e], dtype='<i8').tolist() == [9]; "
      "assert len(raw) == 8+n+e");
  if (!ran && std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null"))
    GTEST_SKIP() << "/usr/bin/python3 with numpy is not available";
  EXPECT_TRUE(ran);
}

TEST_F(TensorFileTest, ReadsReferenceSafetensorsLayout) {
  // Written the way the reference implementation writes it: metadata, keys
  // in any order, header padded with spaces.
  std::string header =
      R"({"__metadata__":{"format":"pt"},"z":{"dtype":"I32","shape":[2],)"
      R"("data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],)"
      R"("data_offsets":[0,8]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string file(8, '\0');
  uint64_t n = header.size();
  std::memcpy(file.data(), &n, 8);
  file += header;
  float a[2] = {1.5f, -2};
  int32_t z[2] = {7, 8};
  file.append(reinterpret_cast<char *>(a), 8);
  file.append(reinterpret_cast<char *>(z), 8);
  spit(path("ref.safetensors"), file);
  std::map<std::string, HostTensor> out;
  std::string err;
  ASSERT_TRUE(readSafetensors(path("ref.safetensors"), out, err)) << err;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(values<float>(out["a"]), (std::vector<float>{1.5f, -2}));
  EXPECT_EQ(values<int32_t>(out["z"]), (std::vector<int32_t>{7, 8}));
}

//===----------------------------------------------------------------------===//
// Broken files
//===----------------------------------------------------------------------===//

TEST_F(TensorFileTest, MissingFileAndDirectory) {
  std::string err;
  HostTensor t;
  EXPECT_FALSE(readNpy(path("nope.npy"), t, err));
  EXPECT_EQ(err, path("nope.npy") + ": cannot open: no such file");
  EXPECT_FALSE(readNpy(dir.string(), t, err));
  EXPECT_NE(err.find("not a regular file"), std::string::npos) << err;
  std::map<std::string, TensorInfo> infos;
  EXPECT_FALSE(readSafetensorsHeader(path("nope.safetensors"), infos, err));
  EXPECT_NE(err.find("no such file"), std::string::npos) << err;
}

TEST_F(TensorFileTest, NpyTruncatedAndCorrupt) {
  std::string p = path("t.npy"), err;
  ASSERT_TRUE(
      writeNpy(p, make<float>(DType::F32, {4}, {1, 2, 3, 4}), err));
  std::string good = slurp(p);
  HostTensor t;
  TensorInfo info;

  spit(p, good.substr(0, good.size() - 1));
  EXPECT_FALSE(readNpy(p, t, err));
  EXPECT_EQ(err, p + ": truncated: shape [4] of <f4 needs 16 bytes of data, "
                     "found 15");
  // The header-only reader checks the size too.
  EXPECT_FALSE(readNpyHeader(p, info, err));
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;

  spit(p, good + "xx");
  EXPECT_FALSE(readNpy(p, t, err));
  EXPECT_NE(err.find("size mismatch"), std::string::npos) << err;

  spit(p, good.substr(0, 30));
  EXPECT_FALSE(readNpy(p, t, err));
  EXPECT_NE(err.find("truncated: the header says"), std::string::npos) << err;

  spit(p, good.substr(0, 5));
  EXPECT_FALSE(readNpy(p, t, err));
  EXPECT_NE(err.find("too short for an .npy header"), std::string::npos)
      << err;

  std::string bad = good;
  bad[1] = 'X';
  spit(p, bad);
  EXPECT_FALSE(readNpy(p, t, err));
  EXPECT_EQ(err, p + ": bad magic: not an .npy file");

  bad = good;
  bad[6] = 9;
  spit(p, bad);
  EXPECT_FALSE(readNpy(p, t, err));
  EXPECT_NE(err.find("unsupported .npy format version 9"), std::string::npos)
      << err;

  bad = good;
  bad.replace(bad.find("(4,)"), 4, "(x, )");
  bad.erase(bad.find("   "), 1); // keep the header length
  spit(p, bad);
  EXPECT_FALSE(readNpy(p, t, err));
  EXPECT_NE(err.find("'shape' holds something other than"), std::string::npos)
      << err;

  bad = good;
  bad.replace(bad.find("(4,)"), 4, "(99999999999999999999,)");
  bad.erase(bad.find("                   "), 19);
  spit(p, bad);
  EXPECT_FALSE(readNpy(p, t, err));
  EXPECT_NE(err.find("overflows int64"), std::string::npos) << err;

  bad = good;
  bad.replace(bad.find("(4,)"), 4, "(1048576, 1048576, 2)");
  bad.erase(bad.find("                 "), 17);
  spit(p, bad);
  EXPECT_FALSE(readNpy(p, t, err));
  EXPECT_NE(err.find("too large (more than 2^40 elements)"), std::string::npos)
      << err;
}

TEST_F(TensorFileTest, SafetensorsTruncatedAndCorrupt) {
  std::string p = path("c.safetensors"), err;
  ASSERT_TRUE(writeSafetensors(
      p, {{"w", make<float>(DType::F32, {2}, {1, 2})}}, err));
  std::string good = slurp(p);
  uint64_t n = 0;
  std::memcpy(&n, good.data(), 8);
  std::string header = good.substr(8, n);
  std::map<std::string, TensorInfo> infos;
  std::map<std::string, HostTensor> tensors;

  spit(p, good.substr(0, good.size() - 4));
  EXPECT_FALSE(readSafetensors(p, tensors, err));
  EXPECT_NE(err.find("truncated: tensor 'w': data ends at byte 8 of the data "
                     "section, which has 4"),
            std::string::npos)
      << err;
  EXPECT_FALSE(readSafetensorsHeader(p, infos, err));

  spit(p, good.substr(0, 4));
  EXPECT_FALSE(readSafetensors(p, tensors, err));
  EXPECT_NE(err.find("too short for a .safetensors header"),
            std::string::npos)
      << err;

  spit(p, good.substr(0, 20));
  EXPECT_FALSE(readSafetensors(p, tensors, err));
  EXPECT_NE(err.find("truncated: the header length is"), std::string::npos)
      << err;

  std::string bad = good;
  bad[7] = 0x7f; // an absurd header length
  spit(p, bad);
  EXPECT_FALSE(readSafetensors(p, tensors, err));
  EXPECT_NE(err.find("is implausible"), std::string::npos) << err;

  auto withHeader = [&](std::string h) {
    h.append((8 - h.size() % 8) % 8, ' ');
    std::string f(8, '\0');
    uint64_t len = h.size();
    std::memcpy(f.data(), &len, 8);
    return f + h + good.substr(8 + n);
  };
  spit(p, withHeader("{\"w\": [1, 2"));
  EXPECT_FALSE(readSafetensors(p, tensors, err));
  EXPECT_NE(err.find("bad header: invalid JSON"), std::string::npos) << err;

  spit(p, withHeader(R"({"w":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})"));
  EXPECT_FALSE(readSafetensors(p, tensors, err));
  EXPECT_NE(err.find("tensor 'w': unsupported dtype 'U8'"), std::string::npos)
      << err;

  spit(p, withHeader(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})"));
  EXPECT_FALSE(readSafetensors(p, tensors, err));
  EXPECT_NE(err.find("data_offsets [0, 8] do not match shape [3] of F32 (12 "
                     "bytes)"),
            std::string::npos)
      << err;

  spit(p, withHeader(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})"));
  EXPECT_FALSE(readSafetensors(p, tensors, err));
  EXPECT_NE(err.find("shape holds something other than non-negative"),
            std::string::npos)
      << err;

  spit(p, withHeader(R"({"w":{"dtype":"F32","shape":[2]}})"));
  EXPECT_FALSE(readSafetensors(p, tensors, err));
  EXPECT_NE(err.find("expected an object with dtype, shape and data_offsets"),
            std::string::npos)
      << err;

  spit(p, withHeader(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                     R"("b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})"));
  EXPECT_FALSE(readSafetensors(p, tensors, err));
  EXPECT_NE(err.find("overlap"), std::string::npos) << err;

  spit(p, withHeader("[1, 2]"));
  EXPECT_FALSE(readSafetensors(p, tensors, err));
  EXPECT_NE(err.find("bad header: not a JSON object"), std::string::npos)
      << err;
}

TEST_F(TensorFileTest, MissingKeyNamesWhatIsThere) {
  std::string p = path("k.safetensors"), err;
  ASSERT_TRUE(writeSafetensors(
      p,
      {{"a", make<float>(DType::F32, {1}, {1})},
       {"b", make<float>(DType::F32, {1}, {2})}},
      err));
  TensorInfo info;
  EXPECT_FALSE(readTensorFileHeader(p, "c", info, err));
  EXPECT_EQ(err, p + ": no tensor named 'c' (it holds: a, b)");
  EXPECT_FALSE(readTensorFileHeader(p, "", info, err));
  EXPECT_EQ(err, p + ": holds 2 tensors; say which with \"key\"");
  HostTensor t;
  EXPECT_FALSE(readTensorFile(path("x.bin"), "", t, err));
  EXPECT_NE(err.find("unknown tensor file type"), std::string::npos) << err;
}

} // namespace
