//===- JsonImporter.cpp - placeholder, being written ----------------------===//
#include "frontend/Import.h"

#include "mlir/IR/Diagnostics.h"

mlir::OwningOpRef<mlir::ModuleOp>
dlc::importModel(mlir::MLIRContext &ctx, llvm::StringRef path,
                 const ImportOptions &) {
  mlir::emitError(mlir::FileLineColLoc::get(&ctx, path, 0, 0))
      << "the JSON importer is not available yet";
  return nullptr;
}
