//===- OnnxImport.h - ONNX model files to dlc modules -----------*- C++ -*-===//
#ifndef DLC_FRONTEND_ONNXIMPORT_H
#define DLC_FRONTEND_ONNXIMPORT_H

#include "frontend/Import.h"

#include <string>
#include <vector>

namespace dlc {

/// The default-domain opsets the ONNX importer reads. Semantics that changed
/// between opsets (Softmax's 2-D coercion before 13, axes as attributes or
/// inputs, Slice/Clip/Pad/Split forms) follow the model's opset; attributes
/// the importer does not know are errors, so an old op form is never
/// silently misread.
inline constexpr int64_t kMinOnnxOpset = 6, kMaxOnnxOpset = 17;

/// Imports an .onnx file (see the header of OnnxImporter.cpp and
/// docs/onnx.md). Errors are reported through the context's diagnostic
/// engine, each naming the node, its op type and the opset; null on failure.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxModel(mlir::MLIRContext &ctx, llvm::StringRef path,
                const ImportOptions &opts = {});

/// The ONNX op types the importer maps, sorted.
std::vector<std::string> supportedOnnxOps();

} // namespace dlc

#endif // DLC_FRONTEND_ONNXIMPORT_H
