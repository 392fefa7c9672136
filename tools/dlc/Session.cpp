//===- Session.cpp - context and diagnostics shared by dlc commands -------===//
#include "tools/dlc/Commands.h"

#include "frontend/Import.h"
#include "frontend/OnnxImport.h"
#include "ir/DlcDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;

namespace dlc::tools {

llvm::cl::OptionCategory &dlcCategory() {
  static llvm::cl::OptionCategory category("dlc options");
  return category;
}

llvm::cl::opt<int64_t> batchOverride(
    "batch", llvm::cl::desc("Replace dim 0 (the batch size) of every input"),
    llvm::cl::init(0), llvm::cl::sub(llvm::cl::SubCommand::getAll()),
    llvm::cl::cat(dlcCategory()));

Session::Session() {
  ctx.loadDialect<mlir::dlc::DlcDialect, func::FuncDialect>();
  // Errors name the model node and quote its JSON line; the IR of the op
  // would only repeat that in another language.
  ctx.printOpOnDiagnostic(false);
  handler = std::make_unique<SourceMgrDiagnosticHandler>(sourceMgr, &ctx);
}

Session::~Session() = default;

OwningOpRef<ModuleOp> Session::load(llvm::StringRef path) {
  ImportOptions opts;
  if (batchOverride > 0)
    opts.batch = batchOverride;
  // A binary protobuf: nothing to quote, errors name the node instead.
  if (path.ends_with(".onnx"))
    return importOnnxModel(ctx, path, opts);
  // MLIR text (e.g. `dlc model.json --dump-ir=import --mlir-print-debuginfo
  // | dlc-opt --dlc-autodiff`): parsed as is; --batch does not apply.
  if (path.ends_with(".mlir")) {
    if (batchOverride > 0)
      llvm::errs() << "warning: --batch is ignored for .mlir input\n";
    auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buf) {
      llvm::errs() << "error: cannot read '" << path
                   << "': " << buf.getError().message() << "\n";
      return nullptr;
    }
    sourceMgr.AddNewSourceBuffer(std::move(*buf), llvm::SMLoc());
    return parseSourceFile<ModuleOp>(sourceMgr, &ctx);
  }
  // Registering the file lets diagnostics quote the offending line; a file
  // that cannot be read is reported by the importer itself.
  if (auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/true))
    sourceMgr.AddNewSourceBuffer(std::move(*buf), llvm::SMLoc());
  return importModel(ctx, path, opts);
}

} // namespace dlc::tools
