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

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

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
  // Diagnostics (JsonImporter.cpp)
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
  /// An input or parameter: a function argument.
  struct ArgDecl {
    std::string name;
    mlir::RankedTensorType type;
    Subject subject;
    mlir::DictionaryAttr attrs;
  };
  /// A node after its fields were checked: op, inputs, converted attributes.
  struct NodeDecl {
    std::string name;
    const OpSchema *op;
    std::vector<std::string> inputs;
    mlir::NamedAttrList attrs;
    Subject subject;
  };
  /// What a name in the model refers to.
  struct NameRef {
    enum Kind { Arg, Node } kind;
    size_t index;
    std::string pointer;
    const char *what; // "input", "parameter", "node"
  };

  //===--------------------------------------------------------------------===//
  // The sections of a model file, in the order run() reads them
  // (JsonImporter.cpp). Each reports its first error and fails.
  //===--------------------------------------------------------------------===//

  /// Reads and parses the file; records the positions of its values.
  mlir::LogicalResult parseFile(json::Value &root);
  /// The top-level keys, format, version, name and seed.
  mlir::LogicalResult parseHeader(const json::Value &root);
  /// "inputs" and "parameters": the function arguments.
  mlir::LogicalResult parseArgs(const json::Value &root);
  mlir::LogicalResult parseArg(const json::Value &e, Subject s, bool isParam);
  /// "nodes", each checked against its op's schema, in file order.
  mlir::LogicalResult parseNodes(const json::Value &root);
  mlir::LogicalResult parseNode(const json::Value &e, Subject s);
  /// Every node input names an input, a parameter or a node.
  mlir::LogicalResult checkNodeInputs();
  /// Fills `order` with the nodes in topological order; a cycle is an error.
  mlir::LogicalResult orderNodes();
  /// The module and its function, with the arguments; fills `values`.
  mlir::func::FuncOp buildFunction(mlir::ModuleOp module);
  /// One op per node, in `order`; a shape rule's message names the node.
  mlir::LogicalResult buildBody(mlir::Block *body);
  /// "outputs": fills `results` and `resultNames`.
  mlir::LogicalResult parseOutputs(const json::Value &root);
  /// "training": the loss and the optimizer, as a module attribute.
  mlir::LogicalResult parseTraining(const json::Value &root,
                                    mlir::ModuleOp module);

  /// Adds `name` to the one namespace of inputs, parameters and nodes.
  mlir::LogicalResult declare(const std::string &name, const Subject &s,
                              NameRef ref);
  /// The value a declared name refers to, once built.
  mlir::Value valueOf(const std::string &name);

  mlir::FailureOr<mlir::Attribute> convertAttr(const Subject &s,
                                               const std::string &field,
                                               const AttrSpec &spec,
                                               const json::Value &v);
  mlir::FailureOr<mlir::Attribute> parseConstant(const Subject &s,
                                                 const json::Value &value,
                                                 const json::Value *dtype);
  mlir::FailureOr<mlir::DictionaryAttr>
  parseFileInit(const Subject &s, const json::Value &v,
                llvm::ArrayRef<int64_t> shape, DType dtype);
  mlir::FailureOr<mlir::DictionaryAttr>
  parseSchemeInit(const Subject &s, const json::Value &v,
                  llvm::ArrayRef<int64_t> shape, DType dtype);

  mlir::MLIRContext &ctx;
  mlir::OpBuilder builder;
  std::string path;
  ImportOptions opts;
  std::unique_ptr<JsonPositions> positions;

  // What the sections found, for the ones after them.
  std::string modelName;
  int64_t seed = 0;
  std::map<std::string, NameRef> names;
  std::vector<ArgDecl> args;
  std::vector<NodeDecl> nodes;
  std::vector<size_t> order;
  /// Arguments first, then nodes by index.
  std::vector<mlir::Value> values;
  llvm::SmallVector<mlir::Value> results;
  std::vector<std::string> resultNames;
};

} // namespace dlc

#endif // DLC_FRONTEND_IMPORTER_H
