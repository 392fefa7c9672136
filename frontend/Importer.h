//===- Importer.h - internals of the JSON importer --------------*- C++ -*-===//
//
// The importer's state and its diagnostics, shared by JsonImporter.cpp (the
// file, the graph, the function) and ImportAttrs.cpp (op attributes,
// constants, initializers, the optimizer). Not a public header.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_IMPORTER_H
#define DLC_FRONTEND_IMPORTER_H

#include "frontend/Import.h"
#include "frontend/JsonPositions.h"
#include "frontend/JsonSupport.h"
#include "frontend/OpSchema.h"
#include "runtime/core/HostTensor.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

#include <memory>
#include <string>

namespace dlc {

/// What a message is about: "node 'conv1' (conv2d)", "input 'x'", or empty
/// for the top level; `pointer` is the JSON pointer of its object.
struct Subject {
  std::string pointer;
  std::string what;
};

class Importer {
public:
  Importer(mlir::MLIRContext &ctx, llvm::StringRef path,
           const ImportOptions &opts)
      : ctx(ctx), builder(&ctx), path(path.str()), opts(opts) {}

  mlir::OwningOpRef<mlir::ModuleOp> run();

  //===--------------------------------------------------------------------===//
  // Diagnostics (Importer.cpp)
  //===--------------------------------------------------------------------===//

  /// The file position of the value at `pointer`, or of its nearest
  /// recorded ancestor.
  mlir::Location locOf(const std::string &pointer);
  /// Starts an error about `field` (a pointer relative to the subject, e.g.
  /// "attributes/stride"; empty for the subject itself), located at that
  /// field and prefixed "<subject>: field '<attributes.stride>': ".
  mlir::InFlightDiagnostic error(const Subject &s, const std::string &field);

  //===--------------------------------------------------------------------===//
  // Values (ImportAttrs.cpp)
  //===--------------------------------------------------------------------===//

  mlir::Type elementType(DType t);
  /// "dtype": a dtype name.
  mlir::FailureOr<DType> parseDType(const Subject &s, const std::string &field,
                                    const json::Value &v);
  /// "shape": positive dims whose product is at most 2^40.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  parseShape(const Subject &s, const std::string &field, const json::Value &v);
  /// A node's "attributes" against its op's schema; fills in defaults.
  mlir::FailureOr<mlir::NamedAttrList> parseAttributes(const Subject &s,
                                                       const OpSchema &op,
                                                       const json::Value *v);
  /// A parameter's "init" (a scheme or a weight file).
  mlir::FailureOr<mlir::DictionaryAttr>
  parseInit(const Subject &s, const json::Value &v,
            llvm::ArrayRef<int64_t> shape, DType dtype);
  /// The "optimizer" of the training section.
  mlir::FailureOr<mlir::DictionaryAttr> parseOptimizer(const Subject &s,
                                                       const json::Value &v);

private:
  mlir::FailureOr<mlir::Attribute> convertAttr(const Subject &s,
                                               const std::string &field,
                                               const AttrSpec &spec,
                                               const json::Value &v);
  mlir::FailureOr<mlir::Attribute> parseConstant(const Subject &s,
                                                 const json::Value &value,
                                                 const json::Value *dtype);

  mlir::MLIRContext &ctx;
  mlir::OpBuilder builder;
  std::string path;
  ImportOptions opts;
  std::unique_ptr<JsonPositions> positions;
};

} // namespace dlc

#endif // DLC_FRONTEND_IMPORTER_H
