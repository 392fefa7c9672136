//===- OnnxImporterFuzzer.cpp - libFuzzer target for the ONNX importer ----===//
//
// Feeds arbitrary bytes to dlc::importOnnxModel as a .onnx file. Like the
// JSON target: every input must give a module or diagnostics, never a
// crash, sanitizer report, leak, or unbounded time or memory. Seeds: the
// models the tests use (tools/fuzz/onnx-seeds.sh).
//
// The importer reads a file, so each input is written to model.onnx in a
// private scratch directory. Float initializers are cached as safetensors
// under the cache root; DLC_CACHE_DIR points that at <scratch>/cache, which
// is emptied after every input, so a run writes nowhere else and its disk
// use stays bounded however many distinct models it makes. A run that
// crashes cannot remove its directory; the next run removes those of dead
// processes (the directory name carries the pid).
//
//===----------------------------------------------------------------------===//
#include "frontend/OnnxImport.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {
std::string scratch, modelPath, cacheDir;

void removeScratch() {
  if (scratch.empty())
    return;
  (void)llvm::sys::fs::remove_directories(scratch);
}

/// Removes <base>/dlc-fuzz-onnx-<pid>-* of processes that no longer exist.
void removeStaleScratch(const std::string &base) {
  std::error_code ec;
  const std::string prefix = "dlc-fuzz-onnx-";
  for (llvm::sys::fs::directory_iterator it(base, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (!name.consume_front(prefix))
      continue;
    long pid = 0;
    if (name.consumeInteger(10, pid) || !name.starts_with("-") || pid <= 0)
      continue;
    if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
      (void)llvm::sys::fs::remove_directories(it->path());
  }
}
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : nullptr;
  if (!base)
    base = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  removeStaleScratch(base);
  std::string templ = std::string(base) + "/dlc-fuzz-onnx-" +
                      std::to_string(::getpid()) + "-XXXXXX";
  if (!::mkdtemp(templ.data())) {
    std::perror("dlc-fuzz-onnx: mkdtemp");
    std::abort();
  }
  scratch = templ;
  modelPath = scratch + "/model.onnx";
  cacheDir = scratch + "/cache";
  // cacheRoot() prefers DLC_CACHE_DIR over XDG_CACHE_HOME and HOME.
  if (::setenv("DLC_CACHE_DIR", cacheDir.c_str(), /*overwrite=*/1) != 0) {
    std::perror("dlc-fuzz-onnx: setenv");
    std::abort();
  }
  std::atexit(removeScratch);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  {
    FILE *f = std::fopen(modelPath.c_str(), "wb");
    if (!f)
      std::abort();
    if (size && std::fwrite(data, 1, size, f) != size)
      std::abort();
    std::fclose(f);
  }
  {
    // A fresh context per input: every crash reproduces from its input.
    mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
    size_t errors = 0;
    mlir::ScopedDiagnosticHandler swallow(&ctx, [&](mlir::Diagnostic &d) {
      std::string text = d.str();
      errors += !text.empty();
      return mlir::success();
    });
    auto module = dlc::importOnnxModel(ctx, modelPath);
    if (module) {
      // A module comes back only without errors, and it prints.
      if (errors) {
        llvm::errs() << "dlc-fuzz-onnx: a module and " << errors
                     << " error(s)\n";
        std::abort();
      }
      std::string ir;
      llvm::raw_string_ostream os(ir);
      module->print(os);
    } else if (!errors) {
      // Failure always says why.
      llvm::errs() << "dlc-fuzz-onnx: import failed without an error\n";
      std::abort();
    }
  }
  if (auto ec = llvm::sys::fs::remove_directories(cacheDir)) {
    llvm::errs() << "dlc-fuzz-onnx: cannot empty " << cacheDir << ": "
                 << ec.message() << "\n";
    std::abort();
  }
  return 0;
}
