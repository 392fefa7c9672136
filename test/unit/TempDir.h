//===- TempDir.h - a scratch directory for one test -------------*- C++ -*-===//
#ifndef DLC_TEST_UNIT_TEMPDIR_H
#define DLC_TEST_UNIT_TEMPDIR_H

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

/// A fresh directory under $TMPDIR (else /tmp), removed with its contents at
/// the end of the scope.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string &prefix = "dlc-test") {
    const char *t = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(t && *t ? t : "/tmp") + "/" + prefix + "-XXXXXX";
    EXPECT_NE(::mkdtemp(tmpl.data()), nullptr) << tmpl;
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

#endif // DLC_TEST_UNIT_TEMPDIR_H
