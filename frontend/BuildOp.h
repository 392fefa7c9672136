//===- BuildOp.h - one dlc op, its type inferred and verified ---*- C++ -*-===//
//
// Shared by the importers: ops are built generically (an OperationState with
// operands and attributes), their result types come from the op's own shape
// rule (InferTypeOpInterface), then the op's verifier runs. The rule's first
// message is handed back so the importer can re-report it naming the model
// node.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_BUILDOP_H
#define DLC_FRONTEND_BUILDOP_H

#include "mlir/IR/Builders.h"

#include <string>

namespace dlc {

/// Builds `opName` (e.g. "dlc.conv2d") at the builder's insertion point.
/// On failure the op is erased, `message` holds the first error the shape
/// rule or verifier emitted (or a generic one) and null is returned.
mlir::Operation *buildInferredOp(mlir::OpBuilder &builder, mlir::Location loc,
                                 llvm::StringRef opName,
                                 mlir::ValueRange operands,
                                 llvm::ArrayRef<mlir::NamedAttribute> attrs,
                                 std::string &message);

} // namespace dlc

#endif // DLC_FRONTEND_BUILDOP_H
