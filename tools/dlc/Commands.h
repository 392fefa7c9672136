//===- Commands.h - the dlc driver's subcommands ----------------*- C++ -*-===//
//
// Each subcommand's entry point reads its flags into an options struct and
// makes one call: compileModel (Compile.h) and executeModel (Run.h) in
// DlcDriver, train() in train/, autotune() in tune/. The Session, the exit
// codes and the flag category are shared by all of them.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TOOLS_DLC_COMMANDS_H
#define DLC_TOOLS_DLC_COMMANDS_H

#include "passes/TrainingFlags.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>

namespace dlc::tools {

/// Exit codes, as documented in --help: 0 ok, 1 user error, 2 internal error.
enum ExitCode { kOk = 0, kUserError = 1, kInternalError = 2 };

/// Everything a command needs to load a model and report errors against the
/// model file's text (a source line and caret under each message).
class Session {
public:
  Session();
  ~Session();
  mlir::MLIRContext &context() { return ctx; }
  /// Imports `path`; null after reporting errors.
  mlir::OwningOpRef<mlir::ModuleOp> load(llvm::StringRef path);

private:
  mlir::MLIRContext ctx;
  llvm::SourceMgr sourceMgr;
  std::unique_ptr<mlir::SourceMgrDiagnosticHandler> handler;
};

/// The category of every dlc option; --help shows only these (LLVM's and
/// MLIR's options stay usable and are listed by --help-hidden).
llvm::cl::OptionCategory &dlcCategory();

/// Option shared by the commands that import a model.
extern llvm::cl::opt<int64_t> batchOverride;

/// `dlc model.json`: compile and report (the top-level command).
int compileMain(llvm::StringRef modelPath);

/// Writes the fused graph of `func` as Graphviz to `path` (atomically).
bool writeGraphDot(mlir::func::FuncOp func, llvm::StringRef title,
                   const std::string &path, std::string &err);

/// `dlc run`: execute a model.
llvm::cl::SubCommand &runCommand();
int runMain();

/// `dlc train`: the training loop (docs/training.md).
llvm::cl::SubCommand &trainCommand();
int trainMain();
/// --loss, --loss-on, --optimizer, --lr, --weight-decay, --momentum (of
/// `dlc train` and of `dlc MODEL --train-step`).
mlir::dlc::TrainingFlags readTrainingFlags();

/// `dlc tune`: autotune schedules into a tuning cache (docs/schedule.md).
llvm::cl::SubCommand &tuneCommand();
int tuneMain();

} // namespace dlc::tools

#endif // DLC_TOOLS_DLC_COMMANDS_H
