//===- CpuLibraryCacheTest.cpp - the CPU device never runs the wrong code --===//
//
// A cache entry (<root>/cpu/<key>.so) that is another model's library, cut
// short, corrupted, built with other flags, a FIFO, a symbolic link or a
// directory is never dlopen'ed: the device rebuilds it, says why in
// cacheNote(), and computes the right result. Also: the fiber-switch
// counters (CpuDevice::stats).
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/CpuDevice.h"
#include "runtime/cpu/CpuLibrary.h"

#include "TempDir.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/stat.h>

using namespace dlc;
namespace fs = std::filesystem;

namespace {

const char *kManifest = R"({"version": 1, "arena_bytes": 0,
  "buffers": [{"name": "x", "role": "input", "dtype": "f32", "shape": [8]},
              {"name": "y", "role": "output", "dtype": "f32", "shape": [8]}],
  "kernels": [{"name": "k", "grid": [2, 1, 1], "block": [4, 1, 1],
               "args": ["x", "y"]}]})";

/// This model: y = x + 1. The foreign one: the same manifest, y = x * 2.
const char *kPlusOne = R"(
extern "C" __global__ void k(const float *__restrict__ x, float *__restrict__ y) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  y[i] = x[i] + 1.0f;
}
)";
const char *kTimesTwo = R"(
extern "C" __global__ void k(const float *__restrict__ x, float *__restrict__ y) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  y[i] = x[i] * 2.0f;
}
)";

Program program(const char *source) {
  Program p;
  std::string err;
  EXPECT_TRUE(Program::parse(kManifest, source, p, err)) << err;
  return p;
}

CpuDeviceOptions optionsAt(const std::string &root) {
  CpuDeviceOptions o;
  o.cacheRoot = root;
  o.threads = 2;
  o.warnToStderr = false;
  return o;
}

/// Loads `source` with the cache at `root`, runs it on x = 0..7 and checks
/// that y = x + 1 (the plus-one model) or y = 2x. Returns the device's
/// cache note; `hit` gets whether it loaded a cached library.
std::string loadAndCheck(const std::string &root, const char *source,
                         bool &hit, std::string *libPath = nullptr) {
  CpuDevice dev(optionsAt(root));
  std::string err;
  EXPECT_TRUE(dev.load(program(source), err)) << err;
  HostTensor x = HostTensor::zeros(DType::F32, {8});
  HostTensor y = HostTensor::zeros(DType::F32, {8});
  auto *xv = reinterpret_cast<float *>(x.bytes.data());
  for (int i = 0; i < 8; ++i)
    xv[i] = float(i);
  EXPECT_TRUE(dev.run({{"x", &x}, {"y", &y}}, err)) << err;
  const auto *yv = reinterpret_cast<const float *>(y.bytes.data());
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(yv[i], source == kPlusOne ? i + 1.0f : i * 2.0f) << i;
  hit = dev.cacheHit();
  if (libPath)
    *libPath = dev.libraryPath();
  return dev.cacheNote();
}

/// "" when the library at `p` passes its own checks, else why not.
std::string checkCpuLibraryFile(const std::string &p) {
  std::string why;
  LibraryCheck c = checkCpuLibrary(p, nullptr, why);
  return c == LibraryCheck::Ok ? "" : c == LibraryCheck::Missing ? "missing" : why;
}

std::string readFile(const std::string &p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const std::string &p, const std::string &data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), std::streamsize(data.size()));
}

/// Both models built once in a reference cache: their library bytes and
/// the file name of the plus-one model's entry (the same in every cache).
struct Reference {
  TempDir dir{"dlc-cpu-ref"};
  std::string plusOne, timesTwo, entryName;
  Reference() {
    bool hit;
    std::string a, b;
    loadAndCheck(dir.path, kPlusOne, hit, &a);
    loadAndCheck(dir.path, kTimesTwo, hit, &b);
    plusOne = readFile(a);
    timesTwo = readFile(b);
    entryName = fs::path(a).filename().string();
  }
};

const Reference &reference() {
  static Reference *r = new Reference; // kept: the libraries stay loaded
  return *r;
}

/// A fresh cache root whose plus-one entry is `setUp(path)`'s doing.
struct TamperedCache {
  TempDir root{"dlc-cpu-cache"};
  std::string entry;
  TamperedCache() {
    fs::create_directories(root.path + "/cpu");
    entry = root.path + "/cpu/" + reference().entryName;
  }
  /// Loads the plus-one model: it must compile (no hit) and note `why`.
  void expectRebuilt(const std::string &why) {
    bool hit = true;
    std::string note = loadAndCheck(root.path, kPlusOne, hit);
    EXPECT_FALSE(hit);
    EXPECT_NE(note.find("rebuilt " + entry), std::string::npos) << note;
    EXPECT_NE(note.find(why), std::string::npos) << note;
    // The entry is now this model's library, a hit next time.
    std::string again = loadAndCheck(root.path, kPlusOne, hit);
    EXPECT_TRUE(hit) << again;
    EXPECT_EQ(again, "");
  }
};

} // namespace

TEST(CpuLibraryCache, ColdThenWarm) {
  TempDir root("dlc-cpu-cache");
  bool hit = true;
  std::string path;
  EXPECT_EQ(loadAndCheck(root.path, kPlusOne, hit, &path), "");
  EXPECT_FALSE(hit);
  EXPECT_EQ(checkCpuLibraryFile(path), "");
  EXPECT_EQ(loadAndCheck(root.path, kPlusOne, hit), "");
  EXPECT_TRUE(hit);
  // Nothing but the entry, its source and the stub headers is left.
  for (const auto &e : fs::directory_iterator(root.path + "/cpu"))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(CpuLibraryCache, AnotherModelsLibraryIsRebuilt) {
  // Before: loaded without a check, it computed 2x with exit 0.
  TamperedCache c;
  writeFile(c.entry, reference().timesTwo);
  c.expectRebuilt("built from another source");
}

TEST(CpuLibraryCache, LibraryWithoutTrailerIsRebuilt) {
  // A plain shared library (e.g. written by an older dlc).
  TamperedCache c;
  const std::string &lib = reference().timesTwo;
  writeFile(c.entry, lib.substr(0, lib.size() - 192));
  c.expectRebuilt("no dlc trailer");
}

TEST(CpuLibraryCache, TruncatedLibraryIsRebuiltNotLoaded) {
  // Before: half a library was dlopen'ed and died of SIGBUS.
  const std::string &lib = reference().plusOne;
  for (size_t size : {size_t(0), size_t(100), lib.size() / 2, lib.size() - 1}) {
    SCOPED_TRACE("size " + std::to_string(size));
    TamperedCache c;
    writeFile(c.entry, lib.substr(0, size));
    c.expectRebuilt(size < 192 ? "truncated" : "no dlc trailer");
  }
}

TEST(CpuLibraryCache, CorruptedByteIsAChecksumMismatch) {
  const std::string &lib = reference().plusOne;
  for (size_t at : {size_t(0), size_t(4096), lib.size() / 2, lib.size() - 200}) {
    SCOPED_TRACE("byte " + std::to_string(at));
    TamperedCache c;
    std::string bad = lib;
    bad[at] = char(bad[at] ^ 0x40);
    writeFile(c.entry, bad);
    c.expectRebuilt("checksum mismatch");
  }
  // A trailer that records another size.
  TamperedCache c;
  std::string bad = lib;
  bad[lib.size() - 192 + 144] ^= 1;
  writeFile(c.entry, bad);
  c.expectRebuilt("size mismatch");
}

TEST(CpuLibraryCache, FifoEntryDoesNotHang) {
  // Before: dlopen blocked forever opening the FIFO.
  TamperedCache c;
  ASSERT_EQ(::mkfifo(c.entry.c_str(), 0644), 0);
  c.expectRebuilt("a FIFO");
}

TEST(CpuLibraryCache, SymlinkEntryIsNotFollowed) {
  // Even to a valid library of this very model: entries are files.
  TamperedCache c;
  std::string target = c.root.path + "/elsewhere.so";
  writeFile(target, reference().plusOne);
  fs::create_symlink(target, c.entry);
  c.expectRebuilt("a symbolic link");
  EXPECT_FALSE(fs::is_symlink(c.entry));
  EXPECT_EQ(readFile(target), reference().plusOne); // left alone
}

TEST(CpuLibraryCache, DirectoryEntryRunsUncached) {
  TamperedCache c;
  fs::create_directories(c.entry + "/sub");
  bool hit = true;
  std::string note = loadAndCheck(c.root.path, kPlusOne, hit);
  EXPECT_FALSE(hit);
  EXPECT_NE(note.find("a directory"), std::string::npos) << note;
  EXPECT_NE(note.find("not cached"), std::string::npos) << note;
  EXPECT_TRUE(fs::is_directory(c.entry + "/sub"));
  for (const auto &e : fs::directory_iterator(c.root.path + "/cpu"))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(CpuLibraryCache, OtherFlagsAreNoted) {
  // The same source built with another -march, put under this key.
  TempDir other("dlc-cpu-other");
  std::string path;
  bool hit;
  ::setenv("DLC_HOST_ARCH", "none", 1);
  loadAndCheck(other.path, kPlusOne, hit, &path);
  ::unsetenv("DLC_HOST_ARCH");
  ASSERT_NE(fs::path(path).filename().string(), reference().entryName);
  TamperedCache c;
  writeFile(c.entry, readFile(path));
  c.expectRebuilt("built with other flags");
}

TEST(CpuLibraryCache, BatchLibraryIsChecked) {
  TamperedCache c;
  Program a = program(kPlusOne);
  CpuDeviceOptions o = optionsAt(c.root.path);
  std::string lib, err;
  ASSERT_TRUE(buildCpuLibrary({&a}, o, lib, err)) << err;
  std::string bytes = readFile(lib);
  writeFile(lib, bytes.substr(0, bytes.size() / 2));
  o.library = lib;
  o.libraryPrefix = batchLauncherPrefix(0);
  CpuDevice dev(o);
  EXPECT_FALSE(dev.load(a, err));
  EXPECT_NE(err.find("no dlc trailer"), std::string::npos) << err;
  // buildCpuLibrary itself rebuilds the bad entry.
  ASSERT_TRUE(buildCpuLibrary({&a}, optionsAt(c.root.path), lib, err)) << err;
  EXPECT_EQ(checkCpuLibraryFile(lib), "");
  CpuDevice again(o);
  EXPECT_TRUE(again.load(a, err)) << err;
}

namespace {

/// 2 blocks of 64 threads, 3 barriers each: 4 rounds per block, each the
/// scheduler -> fiber 0 -> ... -> fiber 63 -> scheduler (65 switches); then
/// a barrier-free kernel run as plain loops.
void checkFiberSwitchCounts() {
  const char *src = R"(
extern "C" __global__ void k_bar(const float *__restrict__ x, float *__restrict__ y) {
  __shared__ float s[64];
  const int t = threadIdx.x;
  s[t] = x[blockIdx.x * 64 + t];
  __syncthreads();
  float v = s[63 - t];
  __syncthreads();
  s[t] = v * 2.0f;
  __syncthreads();
  y[blockIdx.x * 64 + t] = s[t] + 1.0f;
}
extern "C" __global__ void k_loop(const float *__restrict__ x, float *__restrict__ y) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  y[i] += x[i];
}
)";
  const char *manifest = R"({"version": 1, "arena_bytes": 0,
  "buffers": [{"name": "x", "role": "input", "dtype": "f32", "shape": [128]},
              {"name": "y", "role": "output", "dtype": "f32", "shape": [128]}],
  "kernels": [{"name": "k_bar", "grid": [2, 1, 1], "block": [64, 1, 1],
               "args": ["x", "y"]},
              {"name": "k_loop", "grid": [4, 1, 1], "block": [32, 1, 1],
               "args": ["x", "y"]}]})";
  TempDir root("dlc-cpu-cache");
  Program p;
  std::string err;
  ASSERT_TRUE(Program::parse(manifest, src, p, err)) << err;
  CpuDevice dev(optionsAt(root.path));
  ASSERT_TRUE(dev.load(p, err)) << err;
  HostTensor x = HostTensor::zeros(DType::F32, {128});
  HostTensor y = HostTensor::zeros(DType::F32, {128});
  auto *xv = reinterpret_cast<float *>(x.bytes.data());
  for (int i = 0; i < 128; ++i)
    xv[i] = float(i);
  for (int run = 0; run < 3; ++run)
    ASSERT_TRUE(dev.run({{"x", &x}, {"y", &y}}, err)) << err;
  const auto *yv = reinterpret_cast<const float *>(y.bytes.data());
  for (int i = 0; i < 128; ++i) {
    const int b = i / 64, t = i % 64;
    EXPECT_EQ(yv[i], float(b * 64 + 63 - t) * 2.0f + 1.0f + float(i)) << i;
  }
  const auto &ks = dev.kernels();
  ASSERT_EQ(ks.size(), 2u);
  EXPECT_TRUE(ks[0].fibers);
  EXPECT_FALSE(ks[1].fibers);
  EXPECT_EQ(ks[0].launches, 3u);
  EXPECT_EQ(ks[0].fiberSwitches, 3u * 2 * 4 * 65);
  EXPECT_EQ(ks[0].fiberBlocks, 3u * 2);
  EXPECT_EQ(ks[0].loopBlocks, 0u);
  EXPECT_EQ(ks[1].fiberSwitches, 0u);
  EXPECT_EQ(ks[1].loopBlocks, 3u * 4);
  CpuRunStats s = dev.stats();
  EXPECT_EQ(s.runs, 3u);
  EXPECT_EQ(s.launches, 6u);
  EXPECT_EQ(s.fiberSwitches, 3u * 2 * 4 * 65);
  dev.resetStats();
  EXPECT_EQ(dev.stats().fiberSwitches, 0u);
  EXPECT_EQ(dev.stats().runs, 0u);
}

} // namespace

TEST(CpuDeviceStats, FiberSwitchesAreCounted) { checkFiberSwitchCounts(); }

TEST(CpuDeviceStats, UcontextFallbackGivesTheSameResults) {
  // The switch other ISAs (and AddressSanitizer builds) use.
  ::setenv("DLC_HOST_CXXFLAGS", "-DDLC_HOST_FIBER_UCONTEXT", 1);
  checkFiberSwitchCounts();
  ::unsetenv("DLC_HOST_CXXFLAGS");
}
