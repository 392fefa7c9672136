//===- dlc.cpp - the dlc compiler driver ----------------------------------===//
//
//   dlc model.json [--dump-ir=import] ...        compile and report
//   dlc run model.json --input x=x.npy -o y.npy  execute
//   dlc train model.json --data fashion-mnist    train
//   dlc tune model.json --tuning-cache=tune.json  autotune schedules
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/Commands.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/InitLLVM.h"

namespace cl = llvm::cl;
using namespace dlc::tools;

static cl::opt<std::string> modelPath(cl::Positional,
                                      cl::desc("<model.json>"),
                                      cl::cat(dlcCategory()));

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  cl::HideUnrelatedOptions(dlcCategory());
  cl::HideUnrelatedOptions(dlcCategory(), runCommand());
  cl::HideUnrelatedOptions(dlcCategory(), trainCommand());
  cl::HideUnrelatedOptions(dlcCategory(), tuneCommand());
  cl::AddExtraVersionPrinter(
      [](llvm::raw_ostream &os) { os << "dlc deep-learning compiler\n"; });
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "dlc: compile a model graph into fused CUDA kernels\n\n"
          "Exit codes: 0 success, 1 bad input (model, data, flags), "
          "2 internal error.\n"
          "MLIR's flags (--mlir-print-debuginfo, --mlir-timing, ...) are "
          "accepted; --help-hidden lists them.\n",
          &llvm::errs()))
    return kUserError;
  if (runCommand())
    return runMain();
  if (trainCommand())
    return trainMain();
  if (tuneCommand())
    return tuneMain();
  if (modelPath.empty()) {
    llvm::errs() << "dlc: no model given; try 'dlc --help'\n";
    return kUserError;
  }
  return compileMain(modelPath);
}
