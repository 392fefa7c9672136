//===- dlc-emit.cpp - print the CUDA of a fused dlc module ----------------===//
//
//   dlc-emit file.mlir [-o dir] [--check-nvrtc=sm_80,sm_90]
//
// Reads a module after --dlc-fuse (and normally --dlc-tile and
// --dlc-plan-memory), emits CUDA for its entry function (@forward, else the
// first func.func) and prints kernels.cu, or writes kernels.cu and
// manifest.json to `dir`. --check-nvrtc compiles the source with NVRTC for
// each arch with warnings as errors; it is skipped, with a message on
// stderr, when no libnvrtc loads. Exit code 0 ok, 1 on any error.
//
//===----------------------------------------------------------------------===//
#include "codegen/CudaEmitter.h"
#include "ir/DlcDialect.h"
#include "ir/ModelAttrs.h"
#include "runtime/nvrtc/Nvrtc.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file.mlir>"),
                                      cl::init("-"));
static cl::opt<std::string>
    outputDir("o", cl::desc("Write kernels.cu and manifest.json to <dir> "
                            "instead of printing kernels.cu"),
              cl::value_desc("dir"));
static cl::opt<std::string> checkNvrtc(
    "check-nvrtc",
    cl::desc("Compile with NVRTC for each arch (comma-separated, e.g. "
             "sm_80,sm_90), warnings as errors"),
    cl::value_desc("archs"));
static cl::opt<bool> printManifest("manifest",
                                   cl::desc("Print manifest.json instead of "
                                            "kernels.cu"));

static bool writeFile(const std::string &path, const std::string &text) {
  std::error_code ec;
  raw_fd_ostream os(path, ec);
  if (ec) {
    errs() << "dlc-emit: cannot write " << path << ": " << ec.message()
           << "\n";
    return false;
  }
  os << text;
  return true;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "dlc CUDA emitter\n");

  mlir::MLIRContext context;
  context.printOpOnDiagnostic(false);
  context.loadDialect<mlir::dlc::DlcDialect, mlir::func::FuncDialect>();
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(inputFile, sourceMgr,
                                            mlir::ParserConfig(&context));
  if (!module)
    return 1;
  mlir::func::FuncOp func =
      module->lookupSymbol<mlir::func::FuncOp>(::dlc::attrs::kEntry);
  if (!func)
    for (auto f : module->getOps<mlir::func::FuncOp>()) {
      func = f;
      break;
    }
  if (!func) {
    errs() << "dlc-emit: no func.func in " << inputFile << "\n";
    return 1;
  }
  mlir::FailureOr<mlir::dlc::CudaProgram> program = mlir::dlc::emitCuda(func);
  if (failed(program))
    return 1;

  if (!outputDir.empty()) {
    if (std::error_code ec = sys::fs::create_directories(outputDir)) {
      errs() << "dlc-emit: cannot create " << outputDir << ": "
             << ec.message() << "\n";
      return 1;
    }
    SmallString<256> cu(outputDir), manifest(outputDir);
    sys::path::append(cu, "kernels.cu");
    sys::path::append(manifest, "manifest.json");
    if (!writeFile(cu.str().str(), program->source) ||
        !writeFile(manifest.str().str(), program->manifestJson))
      return 1;
  } else {
    outs() << (printManifest ? program->manifestJson : program->source);
  }

  if (checkNvrtc.empty())
    return 0;
  std::string err;
  ::dlc::Nvrtc *nvrtc = ::dlc::Nvrtc::get(err);
  if (!nvrtc) {
    errs() << "dlc-emit: NVRTC check skipped: " << err << "\n";
    return 0;
  }
  SmallVector<StringRef> archs;
  StringRef(checkNvrtc).split(archs, ',', -1, false);
  bool ok = true;
  for (StringRef arch : archs) {
    ::dlc::NvrtcOptions opts;
    opts.arch = ::dlc::archForTarget(arch.str());
    opts.warningsAsErrors = true;
    ::dlc::NvrtcOutput out;
    if (!nvrtc->compile(program->source, opts, out, err)) {
      errs() << "dlc-emit: NVRTC " << arch << ": " << err << "\n";
      ok = false;
      continue;
    }
    errs() << "dlc-emit: NVRTC " << arch << ": ok, "
           << program->kernels.size() << " kernels\n";
  }
  return ok ? 0 : 1;
}
