//===- JsonImporterFuzzer.cpp - libFuzzer target for the JSON importer ----===//
//
// Feeds arbitrary bytes to dlc::importModel as a model file. The importer
// must answer every input with a module or with diagnostics: no crash, no
// sanitizer report, no leak, no unbounded time or memory. Seeds:
// examples/*.json and test/Frontend/bad/*.json (tools/fuzz/seeds.sh).
//
// The importer reads a file, so each input is written to model.json in a
// private scratch directory; that directory has a `weights` link to
// test/Frontend/bad/weights so inputs derived from the bad-model seeds reach
// the weight-file checks. Diagnostics are rendered (to exercise the message
// code) and dropped. An imported module is verified and printed.
//
//===----------------------------------------------------------------------===//
#include "frontend/Import.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#ifndef DLC_SOURCE_DIR
#error "DLC_SOURCE_DIR must name the source tree"
#endif

namespace {
std::string modelPath;

void removeScratch() {
  if (modelPath.empty())
    return;
  std::string dir = modelPath.substr(0, modelPath.rfind('/'));
  ::unlink(modelPath.c_str());
  ::unlink((dir + "/weights").c_str());
  ::rmdir(dir.c_str());
}
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : nullptr;
  if (!base)
    base = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  std::string templ = std::string(base) + "/dlc-fuzz-XXXXXX";
  if (!::mkdtemp(templ.data())) {
    std::perror("dlc-fuzz: mkdtemp");
    std::abort();
  }
  std::string weights = std::string(DLC_SOURCE_DIR) + "/test/Frontend/bad/weights";
  (void)::symlink(weights.c_str(), (templ + "/weights").c_str());
  modelPath = templ + "/model.json";
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
  // A fresh context per input: nothing carries over, so every crash
  // reproduces from its input alone.
  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  size_t errors = 0;
  mlir::ScopedDiagnosticHandler swallow(&ctx, [&](mlir::Diagnostic &d) {
    std::string text = d.str();
    errors += !text.empty();
    return mlir::success();
  });
  auto module = dlc::importModel(ctx, modelPath);
  if (module) {
    // A module comes back only without errors, and it prints.
    if (errors)
      std::abort();
    std::string ir;
    llvm::raw_string_ostream os(ir);
    module->print(os);
  } else if (!errors) {
    // Failure always says why.
    std::abort();
  }
  return 0;
}
