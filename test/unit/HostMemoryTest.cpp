//===- HostMemoryTest.cpp - host allocations checked before they happen ---===//
//
// checkHostMemory and its use by materializeParam: a parameter that cannot
// be held in host memory is an error naming it, never an abort, and the
// address-space limit is honoured (checked in a child process, so the limit
// does not stay on the test runner).
//
//===----------------------------------------------------------------------===//
#include "runtime/core/AtomicFile.h"
#include "runtime/core/HostTensor.h"
#include "ir/reference/Initializers.h"

#include "TempDir.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace dlc;

TEST(HostMemory, FormatBytes) {
  EXPECT_EQ(formatBytes(0), "0 B");
  EXPECT_EQ(formatBytes(999), "999 B");
  EXPECT_EQ(formatBytes(1000), "1.0 KB");
  EXPECT_EQ(formatBytes(1500000), "1.5 MB");
  EXPECT_EQ(formatBytes(4000000000000ull), "4.0 TB");
  EXPECT_EQ(formatBytes(~0ull), "18.4 EB");
}

TEST(HostMemory, SmallFitsHugeDoesNot) {
  std::string why;
  EXPECT_TRUE(checkHostMemory(1 << 20, why)) << why;
  // More than any machine's physical memory (2^62 bytes).
  EXPECT_FALSE(checkHostMemory(uint64_t(1) << 62, why));
  EXPECT_NE(why.find("the host has "), std::string::npos) << why;
}

TEST(HostMemory, HugeParameterIsAnErrorNamingIt) {
  InitSpec spec;
  spec.scheme = "uniform";
  HostTensor out;
  std::string err;
  EXPECT_FALSE(materializeParam(spec, "w", DType::F32, {1000000, 1000000},
                                /*modelSeed=*/0, out, err));
  EXPECT_EQ(err.rfind("parameter 'w': shape [1000000, 1000000] "
                      "(1000000000000 elements, 4.0 TB as f32) does not fit "
                      "in host memory: it needs 12.0 TB (with the f64 values "
                      "it is drawn in) and the host has ",
                      0),
            0u)
      << err;
  EXPECT_TRUE(out.bytes.empty());
}

// Under a 1 GiB address-space limit a 2 GB parameter fits in physical
// memory but not in the process: an error, not an abort. Skipped under
// ASan, whose shadow memory needs far more address space than any limit.
TEST(HostMemory, AddressSpaceLimit) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan reserves terabytes of address space";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  GTEST_SKIP() << "ASan reserves terabytes of address space";
#endif
#endif
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    struct rlimit limit = {uint64_t(1) << 30, uint64_t(1) << 30};
    if (::setrlimit(RLIMIT_AS, &limit) != 0)
      ::_exit(3);
    InitSpec spec;
    spec.scheme = "zeros";
    HostTensor out;
    std::string err;
    bool ok = materializeParam(spec, "big", DType::F32, {500000000}, 0, out,
                               err);
    bool named = err.find("parameter 'big'") != std::string::npos &&
                 err.find("address-space limit") != std::string::npos;
    ::_exit(!ok && named ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died (signal "
                                 << WTERMSIG(status) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// The mid-write hook sees a partial temporary file; the final file appears
// only once the write completes.
TEST(AtomicFile, MidWriteSeesOnlyATemporaryFile) {
  TempDir dir;
  std::string path = dir.path + "/f.bin";
  std::string seen;
  bool existedMidWrite = true;
  std::string err;
  ASSERT_TRUE(writeFileAtomically(
      path, {"aaaa", "bbbb", "cccc", "dddd"}, err,
      [&](const std::string &tmp) {
        std::ifstream in(tmp, std::ios::binary);
        seen.assign(std::istreambuf_iterator<char>(in), {});
        existedMidWrite = std::ifstream(path).good();
      }))
      << err;
  EXPECT_EQ(seen, "aaaabbbb");
  EXPECT_FALSE(existedMidWrite);
  std::ifstream in(path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}),
            "aaaabbbbccccdddd");
}
