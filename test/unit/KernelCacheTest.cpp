//===- KernelCacheTest.cpp - SHA-256 and the on-disk kernel cache ---------===//
//
// Most tests drive the cache with a fake compiler, so they run everywhere;
// the ones at the end use NVRTC and skip ("NVRTC not found: ...") without it.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/Env.h"
#include "runtime/nvrtc/Hash.h"
#include "runtime/nvrtc/KernelCache.h"

#include "test/unit/TempDir.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <optional>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace dlc;

namespace {

//===----------------------------------------------------------------------===//
// SHA-256
//===----------------------------------------------------------------------===//

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(toHex(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(toHex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(toHex(sha256(
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(toHex(sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijk"
                         "lmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstno"
                         "pqrstu")),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(toHex(sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PaddingBoundaries) {
  // Lengths around the 55/56/64-byte padding edges, against coreutils'
  // sha256sum of that many 'x'.
  const std::pair<size_t, const char *> cases[] = {
      {55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
      {56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
      {63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
      {64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
      {65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
      {119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"},
      {120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"},
  };
  for (auto [n, hex] : cases)
    EXPECT_EQ(toHex(sha256(std::string(n, 'x'))), hex) << n << " bytes";
}

TEST(Sha256, IncrementalEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 300; ++i)
    data += char('a' + i % 26);
  Sha256Digest whole = sha256(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    Sha256 h;
    h.update(data.substr(0, split));
    h.update(data.substr(split));
    ASSERT_EQ(h.digest(), whole) << "split at " << split;
  }
  Sha256 bytewise;
  for (char c : data)
    bytewise.update(&c, 1);
  EXPECT_EQ(bytewise.digest(), whole);
}

//===----------------------------------------------------------------------===//
// Test helpers
//===----------------------------------------------------------------------===//

/// Sets an environment variable for one scope, then restores it.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(const char *n, const char *value) : name(n) {
    if (const char *o = std::getenv(n))
      old = o;
    if (value)
      ::setenv(n, value, 1);
    else
      ::unsetenv(n);
  }
  ~ScopedEnv() {
    if (old)
      ::setenv(name.c_str(), old->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
};

/// A compiler whose "cubin" is an ELF magic followed by the SHA-256 of arch
/// and source; it counts its calls, can be slowed down to widen races, and
/// fails on sources containing "#error".
class FakeCompiler : public KernelCompiler {
public:
  std::atomic<int> calls{0};
  int delayMs = 0;
  std::string log;

  std::string identity() const override { return "fake 1.0"; }
  std::vector<std::string> options(const NvrtcOptions &o) const override {
    std::vector<std::string> v = {"--gpu-architecture=" + o.arch};
    v.insert(v.end(), o.extraOptions.begin(), o.extraOptions.end());
    return v;
  }
  bool compile(const std::string &source, const NvrtcOptions &o,
               NvrtcOutput &out, std::string &err) override {
    ++calls;
    if (delayMs)
      std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
    if (source.find("#error") != std::string::npos) {
      err = o.programName + "(1): error: #error";
      return false;
    }
    out = expected(source, o.arch);
    out.log = log;
    return true;
  }
  static NvrtcOutput expected(const std::string &source,
                              const std::string &arch) {
    NvrtcOutput out;
    out.image = {0x7f, 'E', 'L', 'F'};
    Sha256Digest d = sha256(arch + "\n" + source);
    out.image.insert(out.image.end(), d.begin(), d.end());
    return out;
  }
};

std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}
void writeBytes(const std::string &path, const std::vector<uint8_t> &b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char *>(b.data()), std::streamsize(b.size()));
}

NvrtcOptions archOpts(const char *arch) {
  NvrtcOptions o;
  o.arch = arch;
  return o;
}

const char *kSource = "extern \"C\" __global__ void k(float *x) { x[0] = 1; }\n";

//===----------------------------------------------------------------------===//
// Entry format
//===----------------------------------------------------------------------===//

TEST(KernelCacheEntry, RoundTrip) {
  NvrtcOutput in = FakeCompiler::expected(kSource, "sm_90");
  in.log = "k.cu(1): warning: something\n";
  std::string key = toHex(sha256("some key"));
  std::vector<uint8_t> bytes = encodeCacheEntry(key, "sm_90", in);
  ASSERT_EQ(bytes.size(), kCacheHeaderSize + in.image.size() + in.log.size());
  NvrtcOutput out;
  std::string why;
  ASSERT_TRUE(decodeCacheEntry(bytes, key, "sm_90", out, why)) << why;
  EXPECT_EQ(out.image, in.image);
  EXPECT_EQ(out.log, in.log);
}

TEST(KernelCacheEntry, EveryTruncationIsDetected) {
  NvrtcOutput in = FakeCompiler::expected(kSource, "sm_80");
  in.log = "a log";
  std::string key = toHex(sha256("k"));
  std::vector<uint8_t> bytes = encodeCacheEntry(key, "sm_80", in);
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + long(n));
    NvrtcOutput out;
    std::string why;
    ASSERT_FALSE(decodeCacheEntry(cut, key, "sm_80", out, why)) << n;
    EXPECT_EQ(why.rfind("truncated: ", 0), 0u) << n << ": " << why;
  }
  bytes.push_back(0);
  NvrtcOutput out;
  std::string why;
  EXPECT_FALSE(decodeCacheEntry(bytes, key, "sm_80", out, why));
  EXPECT_EQ(why.rfind("wrong size: ", 0), 0u) << why;
}

TEST(KernelCacheEntry, EveryFlippedByteIsDetected) {
  NvrtcOutput in = FakeCompiler::expected(kSource, "sm_90");
  in.log = "log";
  std::string key = toHex(sha256("k"));
  const std::vector<uint8_t> bytes = encodeCacheEntry(key, "sm_90", in);
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> bad = bytes;
      bad[i] ^= mask;
      NvrtcOutput out;
      std::string why;
      ASSERT_FALSE(decodeCacheEntry(bad, key, "sm_90", out, why))
          << "byte " << i << " ^ " << int(mask);
      EXPECT_FALSE(why.empty());
    }
  }
}

TEST(KernelCacheEntry, OtherKeyOrArchIsRejected) {
  NvrtcOutput in = FakeCompiler::expected(kSource, "sm_80");
  std::string key = toHex(sha256("k")), other = toHex(sha256("other"));
  std::vector<uint8_t> bytes = encodeCacheEntry(key, "sm_80", in);
  NvrtcOutput out;
  std::string why;
  EXPECT_FALSE(decodeCacheEntry(bytes, key, "sm_90", out, why));
  EXPECT_EQ(why, "arch is sm_80, want sm_90");
  EXPECT_FALSE(decodeCacheEntry(bytes, other, "sm_80", out, why));
  EXPECT_EQ(why, "key mismatch: entry is for " + key);
}

TEST(KernelCacheEntry, CubinArchNeedsAnElfPayload) {
  NvrtcOutput in;
  in.image = {'n', 'o', 't', ' ', 'e', 'l', 'f'};
  std::string key = toHex(sha256("k"));
  NvrtcOutput out;
  std::string why;
  EXPECT_FALSE(decodeCacheEntry(encodeCacheEntry(key, "sm_90", in), key,
                                "sm_90", out, why));
  EXPECT_EQ(why, "payload is not an ELF cubin");
  // PTX is text, not ELF.
  EXPECT_TRUE(decodeCacheEntry(encodeCacheEntry(key, "compute_90", in), key,
                               "compute_90", out, why))
      << why;
}

//===----------------------------------------------------------------------===//
// Keys and locations
//===----------------------------------------------------------------------===//

TEST(KernelCache, KeyCoversEverythingThatChangesTheCode) {
  FakeCompiler fake;
  TempDir tmp("dlc-cache");
  KernelCache cache(fake, tmp.path);
  NvrtcOptions base = archOpts("sm_80");
  std::string k = cache.key(kSource, base);
  EXPECT_EQ(k.size(), 64u);
  EXPECT_EQ(k, cache.key(kSource, base)); // deterministic
  EXPECT_EQ(k, KernelCache(fake, tmp.path + "/other").key(kSource, base))
      << "the key must not depend on where the cache is";

  std::vector<std::string> keys = {k};
  keys.push_back(cache.key(std::string(kSource) + " ", base));
  keys.push_back(cache.key(kSource, archOpts("sm_90")));
  NvrtcOptions o = base;
  o.extraOptions = {"-lineinfo"};
  keys.push_back(cache.key(kSource, o));
  o = base;
  o.warningsAsErrors = true;
  keys.push_back(cache.key(kSource, o));
  o = base;
  o.programName = "other.cu";
  keys.push_back(cache.key(kSource, o));
  {
    ScopedEnv env("DLC_CUDA_INCLUDE", "/some/include");
    ASSERT_TRUE(envVar(Env::CudaInclude).invalidatesCache);
    keys.push_back(cache.key(kSource, base));
  }
  EXPECT_EQ(cache.key(kSource, base), k) << "env restored";
  for (size_t i = 0; i < keys.size(); ++i)
    for (size_t j = i + 1; j < keys.size(); ++j)
      EXPECT_NE(keys[i], keys[j]) << i << " vs " << j;

  {
    // Not cache-invalidating: where the cache is, whether it is used.
    ScopedEnv a("DLC_CACHE_DIR", "/elsewhere");
    ScopedEnv b("DLC_NVRTC_PATH", "/x/libnvrtc.so");
    EXPECT_EQ(cache.key(kSource, base), k);
  }
  // Option boundaries matter: {"-Da", "b"} is not {"-D", "ab"}.
  NvrtcOptions p = base, q = base;
  p.extraOptions = {"-Da", "b"};
  q.extraOptions = {"-D", "ab"};
  EXPECT_NE(cache.key(kSource, p), cache.key(kSource, q));
}

TEST(KernelCache, EnvTableIsConsistent) {
  for (const EnvVar &v : kEnvVars) {
    EXPECT_EQ(std::string(v.name).rfind("DLC_", 0), 0u) << v.name;
    EXPECT_EQ(&envVar(v.id), &v);
    EXPECT_GT(std::string(v.meaning).size(), 10u);
  }
}

TEST(KernelCache, CacheRootPrecedence) {
  {
    ScopedEnv a("DLC_CACHE_DIR", "/a/b");
    ScopedEnv x("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(cacheRoot(), "/a/b");
  }
  {
    ScopedEnv a("DLC_CACHE_DIR", nullptr);
    ScopedEnv x("XDG_CACHE_HOME", "/xdg");
    ScopedEnv h("HOME", "/home/u");
    EXPECT_EQ(cacheRoot(), "/xdg/dlc");
  }
  {
    ScopedEnv a("DLC_CACHE_DIR", nullptr);
    ScopedEnv x("XDG_CACHE_HOME", "relative/ignored");
    ScopedEnv h("HOME", "/home/u");
    EXPECT_EQ(cacheRoot(), "/home/u/.cache/dlc");
  }
  {
    ScopedEnv a("DLC_CACHE_DIR", nullptr);
    ScopedEnv x("XDG_CACHE_HOME", nullptr);
    ScopedEnv h("HOME", "/home/u");
    FakeCompiler fake;
    KernelCache cache(fake);
    EXPECT_EQ(cache.dir(), "/home/u/.cache/dlc/kernels");
    std::string k = cache.key(kSource, archOpts("sm_80"));
    EXPECT_EQ(cache.entryPath(k), "/home/u/.cache/dlc/kernels/" + k + ".bin");
  }
}

//===----------------------------------------------------------------------===//
// Lookups
//===----------------------------------------------------------------------===//

TEST(KernelCache, MissThenHitSkipsTheCompiler) {
  TempDir tmp("dlc-cache");
  FakeCompiler fake;
  fake.log = "kernels.cu(1): warning: kept with the entry\n";
  CachedKernel first, second;
  std::string err;
  {
    KernelCache cache(fake, tmp.path);
    ASSERT_TRUE(cache.getOrCompile(kSource, archOpts("sm_90"), first, err))
        << err;
  }
  EXPECT_EQ(first.outcome, CacheOutcome::Miss);
  EXPECT_EQ(fake.calls, 1);
  EXPECT_TRUE(fs::exists(first.entryPath));
  EXPECT_EQ(fs::path(first.entryPath).parent_path(),
            fs::path(tmp.path) / "kernels");

  KernelCache again(fake, tmp.path); // as a fresh process would
  ASSERT_TRUE(again.getOrCompile(kSource, archOpts("sm_90"), second, err))
      << err;
  EXPECT_EQ(second.outcome, CacheOutcome::Hit);
  EXPECT_EQ(fake.calls, 1);
  EXPECT_EQ(second.output.image, first.output.image);
  EXPECT_EQ(second.output.log, fake.log);
  EXPECT_EQ(second.key, first.key);
  EXPECT_TRUE(second.warning.empty());

  // Another arch is another entry.
  CachedKernel other;
  ASSERT_TRUE(again.getOrCompile(kSource, archOpts("sm_80"), other, err));
  EXPECT_EQ(other.outcome, CacheOutcome::Miss);
  EXPECT_EQ(fake.calls, 2);
  EXPECT_NE(other.entryPath, first.entryPath);
  // No temp files are left behind.
  for (auto &e : fs::directory_iterator(fs::path(tmp.path) / "kernels"))
    EXPECT_EQ(e.path().extension(), ".bin") << e.path();
}

/// Stores an entry, damages its file with `damage`, and checks that the
/// next lookup rebuilds it (with `reason` in the warning) and the one after
/// hits.
void expectRebuilt(const std::function<void(const std::string &)> &damage,
                   const std::string &reason) {
  TempDir tmp("dlc-cache");
  FakeCompiler fake;
  KernelCache cache(fake, tmp.path);
  CachedKernel k;
  std::string err;
  ASSERT_TRUE(cache.getOrCompile(kSource, archOpts("sm_90"), k, err));
  ASSERT_EQ(k.outcome, CacheOutcome::Miss);
  damage(k.entryPath);

  CachedKernel r;
  ASSERT_TRUE(cache.getOrCompile(kSource, archOpts("sm_90"), r, err)) << err;
  EXPECT_EQ(r.outcome, CacheOutcome::Rebuilt);
  EXPECT_EQ(fake.calls, 2);
  EXPECT_EQ(r.output.image, FakeCompiler::expected(kSource, "sm_90").image);
  EXPECT_NE(r.warning.find("rebuilt " + k.entryPath + ": " + reason),
            std::string::npos)
      << r.warning;

  CachedKernel h;
  ASSERT_TRUE(cache.getOrCompile(kSource, archOpts("sm_90"), h, err));
  EXPECT_EQ(h.outcome, CacheOutcome::Hit);
  EXPECT_EQ(fake.calls, 2);
  EXPECT_EQ(h.output.image, r.output.image);
}

TEST(KernelCache, TruncatedEntryIsRebuilt) {
  expectRebuilt(
      [](const std::string &p) {
        std::vector<uint8_t> b = readBytes(p);
        b.resize(b.size() - 5);
        writeBytes(p, b);
      },
      "truncated: ");
  expectRebuilt([](const std::string &p) { writeBytes(p, {}); },
                "truncated: 0 bytes");
}

TEST(KernelCache, FlippedByteIsRebuilt) {
  expectRebuilt(
      [](const std::string &p) {
        std::vector<uint8_t> b = readBytes(p);
        b[b.size() - 3] ^= 0x10; // in the payload
        writeBytes(p, b);
      },
      "checksum mismatch");
  expectRebuilt(
      [](const std::string &p) {
        std::vector<uint8_t> b = readBytes(p);
        b[0] ^= 0x20; // in the magic
        writeBytes(p, b);
      },
      "not a dlc kernel cache entry");
}

TEST(KernelCache, WrongArchEntryIsRebuilt) {
  TempDir tmp("dlc-cache");
  FakeCompiler fake;
  KernelCache cache(fake, tmp.path);
  CachedKernel sm80, sm90;
  std::string err;
  ASSERT_TRUE(cache.getOrCompile(kSource, archOpts("sm_80"), sm80, err));
  // An sm_80 entry where the sm_90 one belongs.
  fs::copy_file(sm80.entryPath, cache.entryPath(cache.key(kSource, archOpts("sm_90"))));
  ASSERT_TRUE(cache.getOrCompile(kSource, archOpts("sm_90"), sm90, err));
  EXPECT_EQ(sm90.outcome, CacheOutcome::Rebuilt);
  EXPECT_NE(sm90.warning.find("arch is sm_80, want sm_90"), std::string::npos)
      << sm90.warning;
  EXPECT_EQ(sm90.output.image, FakeCompiler::expected(kSource, "sm_90").image);
  EXPECT_NE(sm90.output.image, sm80.output.image);
}

TEST(KernelCache, EntryOfAnotherKeyIsRebuilt) {
  TempDir tmp("dlc-cache");
  FakeCompiler fake;
  KernelCache cache(fake, tmp.path);
  CachedKernel a, b;
  std::string err;
  ASSERT_TRUE(cache.getOrCompile("a", archOpts("sm_90"), a, err));
  fs::copy_file(a.entryPath, cache.entryPath(cache.key("b", archOpts("sm_90"))));
  ASSERT_TRUE(cache.getOrCompile("b", archOpts("sm_90"), b, err));
  EXPECT_EQ(b.outcome, CacheOutcome::Rebuilt);
  EXPECT_NE(b.warning.find("key mismatch"), std::string::npos) << b.warning;
  EXPECT_EQ(b.output.image, FakeCompiler::expected("b", "sm_90").image);
}

TEST(KernelCache, FailedCompileIsNotCached) {
  TempDir tmp("dlc-cache");
  FakeCompiler fake;
  KernelCache cache(fake, tmp.path);
  CachedKernel k;
  std::string err;
  EXPECT_FALSE(cache.getOrCompile("#error", archOpts("sm_90"), k, err));
  EXPECT_EQ(err, "kernels.cu(1): error: #error");
  EXPECT_FALSE(fs::exists(k.entryPath));
  EXPECT_FALSE(cache.getOrCompile("#error", archOpts("sm_90"), k, err));
  EXPECT_EQ(fake.calls, 2);
}

TEST(KernelCache, UnwritableDirCompilesUncachedWithAWarning) {
  TempDir tmp("dlc-cache");
  std::string file = tmp.path + "/a-file";
  writeBytes(file, {'x'});
  FakeCompiler fake;
  KernelCache cache(fake, file + "/dlc"); // cannot be a directory
  cache.setWarnToStderr(false);
  for (int i = 1; i <= 2; ++i) {
    CachedKernel k;
    std::string err;
    ASSERT_TRUE(cache.getOrCompile(kSource, archOpts("sm_90"), k, err)) << err;
    EXPECT_EQ(k.outcome, CacheOutcome::Uncached);
    EXPECT_EQ(k.output.image, FakeCompiler::expected(kSource, "sm_90").image);
    EXPECT_NE(k.warning.find("kernel cache not written: cannot create " +
                             file + "/dlc/kernels: "),
              std::string::npos)
        << k.warning;
    EXPECT_EQ(fake.calls, i);
  }
}

TEST(KernelCache, ReadOnlyDirCompilesUncachedWithAWarning) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "running as root: permissions do not stop writes";
  TempDir tmp("dlc-cache");
  fs::create_directories(tmp.path + "/kernels");
  fs::permissions(tmp.path + "/kernels", fs::perms::owner_read |
                                             fs::perms::owner_exec);
  FakeCompiler fake;
  KernelCache cache(fake, tmp.path);
  cache.setWarnToStderr(false);
  CachedKernel k;
  std::string err;
  ASSERT_TRUE(cache.getOrCompile(kSource, archOpts("sm_90"), k, err)) << err;
  EXPECT_EQ(k.outcome, CacheOutcome::Uncached);
  EXPECT_NE(k.warning.find("cannot create " + tmp.path + "/kernels/"),
            std::string::npos)
      << k.warning;
  fs::permissions(tmp.path + "/kernels", fs::perms::owner_all);
}

TEST(KernelCache, TurnedOffByEnv) {
  ScopedEnv off("DLC_KERNEL_CACHE", "0");
  TempDir tmp("dlc-cache");
  ScopedEnv dir("DLC_CACHE_DIR", tmp.path.c_str());
  FakeCompiler fake;
  KernelCache cache(fake);
  EXPECT_FALSE(cache.enabled());
  CachedKernel k;
  std::string err;
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(cache.getOrCompile(kSource, archOpts("sm_90"), k, err));
  EXPECT_EQ(k.outcome, CacheOutcome::Uncached);
  EXPECT_TRUE(k.warning.empty()) << k.warning;
  EXPECT_TRUE(k.entryPath.empty());
  EXPECT_EQ(fake.calls, 2);
  EXPECT_FALSE(fs::exists(tmp.path + "/kernels"));
  // An explicit root is always used.
  EXPECT_TRUE(KernelCache(fake, tmp.path).enabled());
}

//===----------------------------------------------------------------------===//
// Races: every racer ends with the right bytes, and the entry stays whole
//===----------------------------------------------------------------------===//

void expectValidEntry(const std::string &root, const std::string &source,
                      const char *arch) {
  FakeCompiler fake;
  KernelCache cache(fake, root);
  CachedKernel k;
  std::string err;
  ASSERT_TRUE(cache.getOrCompile(source, archOpts(arch), k, err));
  EXPECT_EQ(k.outcome, CacheOutcome::Hit) << k.warning;
  EXPECT_EQ(fake.calls, 0);
  for (auto &e : fs::directory_iterator(fs::path(root) / "kernels"))
    EXPECT_EQ(e.path().extension(), ".bin") << "left behind: " << e.path();
}

TEST(KernelCache, ThreadsCompilingTheSameKey) {
  TempDir tmp("dlc-cache");
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      FakeCompiler fake;
      fake.delayMs = 20;
      KernelCache cache(fake, tmp.path);
      for (int round = 0; round < 3; ++round) {
        CachedKernel k;
        std::string err;
        if (!cache.getOrCompile(kSource, archOpts("sm_90"), k, err) ||
            k.output.image != FakeCompiler::expected(kSource, "sm_90").image ||
            !k.warning.empty())
          return;
      }
      ok[size_t(t)] = 1;
    });
  for (auto &t : threads)
    t.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(ok[size_t(t)], 1) << "thread " << t;
  expectValidEntry(tmp.path, kSource, "sm_90");
}

TEST(KernelCache, ProcessesCompilingTheSameKey) {
  TempDir tmp("dlc-cache");
  constexpr int kProcs = 4;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      FakeCompiler fake;
      fake.delayMs = 30;
      KernelCache cache(fake, tmp.path);
      CachedKernel k;
      std::string err;
      bool good = cache.getOrCompile(kSource, archOpts("sm_80"), k, err) &&
                  k.output.image ==
                      FakeCompiler::expected(kSource, "sm_80").image &&
                  k.warning.empty();
      ::_exit(good ? 0 : 1);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  expectValidEntry(tmp.path, kSource, "sm_80");
}

//===----------------------------------------------------------------------===//
// With NVRTC
//===----------------------------------------------------------------------===//

#define REQUIRE_NVRTC(var)                                                     \
  std::string loadErr_;                                                        \
  Nvrtc *var = Nvrtc::get(loadErr_);                                           \
  if (!var)                                                                    \
  GTEST_SKIP() << loadErr_

const char *kSaxpy = R"(extern "C" __global__ void saxpy(int n, float a,
                                   const float *x, float *y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    y[i] = a * x[i] + y[i];
}
)";

TEST(KernelCacheNvrtc, WarmLookupDoesNotCallNvrtc) {
  REQUIRE_NVRTC(nvrtc);
  TempDir tmp("dlc-cache");
  NvrtcOptions o = archOpts("sm_90");
  o.warningsAsErrors = true;
  CachedKernel cold, warm;
  std::string err;
  uint64_t before = Nvrtc::compileCount();
  {
    KernelCache cache(*nvrtc, tmp.path);
    ASSERT_TRUE(cache.getOrCompile(kSaxpy, o, cold, err)) << err;
  }
  EXPECT_EQ(cold.outcome, CacheOutcome::Miss);
  EXPECT_EQ(Nvrtc::compileCount(), before + 1);

  KernelCache cache(*nvrtc, tmp.path);
  ASSERT_TRUE(cache.getOrCompile(kSaxpy, o, warm, err)) << err;
  EXPECT_EQ(warm.outcome, CacheOutcome::Hit);
  EXPECT_EQ(Nvrtc::compileCount(), before + 1) << "NVRTC ran on a warm lookup";
  EXPECT_EQ(warm.output.image, cold.output.image);
  EXPECT_EQ(warm.output.image.size() > 4 && warm.output.image[1] == 'E', true);
}

TEST(KernelCacheNvrtc, CorruptedCubinIsRebuiltByNvrtc) {
  REQUIRE_NVRTC(nvrtc);
  TempDir tmp("dlc-cache");
  KernelCache cache(*nvrtc, tmp.path);
  CachedKernel k, r, h;
  std::string err;
  ASSERT_TRUE(cache.getOrCompile(kSaxpy, archOpts("sm_80"), k, err)) << err;
  std::vector<uint8_t> b = readBytes(k.entryPath);
  b[kCacheHeaderSize + b.size() / 2 - kCacheHeaderSize / 2] ^= 1;
  writeBytes(k.entryPath, b);
  uint64_t before = Nvrtc::compileCount();
  ASSERT_TRUE(cache.getOrCompile(kSaxpy, archOpts("sm_80"), r, err)) << err;
  EXPECT_EQ(r.outcome, CacheOutcome::Rebuilt);
  EXPECT_NE(r.warning.find("checksum mismatch"), std::string::npos);
  EXPECT_EQ(Nvrtc::compileCount(), before + 1);
  EXPECT_EQ(r.output.image, k.output.image) << "NVRTC is deterministic";
  ASSERT_TRUE(cache.getOrCompile(kSaxpy, archOpts("sm_80"), h, err)) << err;
  EXPECT_EQ(h.outcome, CacheOutcome::Hit);
}

TEST(KernelCacheNvrtc, ThreadsCompilingTheSameKey) {
  REQUIRE_NVRTC(nvrtc);
  TempDir tmp("dlc-cache");
  constexpr int kThreads = 4;
  std::vector<CachedKernel> results(kThreads);
  std::vector<std::string> errs(kThreads);
  std::vector<int> ok(kThreads, 0);
  std::vector<std::thread> threads;
  KernelCache shared(*nvrtc, tmp.path); // one cache, several threads
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      KernelCache own(*nvrtc, tmp.path);
      KernelCache &cache = t % 2 ? shared : own;
      ok[size_t(t)] = cache.getOrCompile(kSaxpy, archOpts("sm_90"),
                                         results[size_t(t)], errs[size_t(t)]);
    });
  for (auto &t : threads)
    t.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(ok[size_t(t)]) << errs[size_t(t)];
    EXPECT_EQ(results[size_t(t)].output.image, results[0].output.image);
  }
  uint64_t before = Nvrtc::compileCount();
  KernelCache cache(*nvrtc, tmp.path);
  CachedKernel h;
  std::string err;
  ASSERT_TRUE(cache.getOrCompile(kSaxpy, archOpts("sm_90"), h, err)) << err;
  EXPECT_EQ(h.outcome, CacheOutcome::Hit);
  EXPECT_EQ(h.output.image, results[0].output.image);
  EXPECT_EQ(Nvrtc::compileCount(), before);
}

} // namespace
