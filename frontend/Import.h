//===- Import.h - model files to dlc modules --------------------*- C++ -*-===//
#ifndef DLC_FRONTEND_IMPORT_H
#define DLC_FRONTEND_IMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace dlc {

struct ImportOptions {
  /// Replaces dim 0 of every input (the batch size), when set.
  std::optional<int64_t> batch;
};

/// Imports a model file (.json) into a new module holding one func.func
/// (see ir/ModelAttrs.h). On failure the errors have been reported through
/// the context's diagnostic engine, each at a location naming the file
/// position and the model node, and null is returned.
mlir::OwningOpRef<mlir::ModuleOp> importModel(mlir::MLIRContext &ctx,
                                              llvm::StringRef path,
                                              const ImportOptions &opts = {});

} // namespace dlc

#endif // DLC_FRONTEND_IMPORT_H
