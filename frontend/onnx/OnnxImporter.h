//===- OnnxImporter.h - the ONNX importer, as converters see it -*- C++ -*-===//
//
// The state of one ONNX import (frontend/onnx/OnnxImporter.cpp walks the
// graph) and what a converter (frontend/onnx/<family>.cpp) uses to lower the
// current node: its attributes (each read marks it understood), its inputs
// (with their known values), its outputs, and dlc ops built with their
// types inferred. Not a public header: frontend/OnnxImport.h is.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_ONNX_ONNXIMPORTER_H
#define DLC_FRONTEND_ONNX_ONNXIMPORTER_H

#include "frontend/Import.h"
#include "frontend/OnnxTensor.h"
#include "ir/ShapeUtils.h"
#include "runtime/core/HostTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"

#include <map>
#include <optional>
#include <set>
#include <string>

namespace dlc::onnx_import {

using namespace mlir;
using mlir::dlc::product;
using mlir::dlc::shapeOf;
using onnx::AttributeProto;
using onnx::NodeProto;

/// An ONNX value: its dlc value (null until needed for a known value) and,
/// when known at import time, its contents.
struct Val {
  Value v;
  std::optional<HostTensor> known;
  RankedTensorType type;
};

/// The MLIR element type of a dtype.
Type mlirType(MLIRContext *ctx, DType t);
/// Element i of an integer (or float, truncated) tensor.
int64_t intAt(const HostTensor &t, int64_t i);
/// Element i of a tensor as a double.
double realAt(const HostTensor &t, int64_t i);
/// An i64 tensor of `shape` holding `v`.
HostTensor intTensor(const std::vector<int64_t> &v, std::vector<int64_t> shape);

/// One import. Converters see the node being lowered through it: `opset`,
/// the node's attributes, inputs and outputs, and the dlc op builders.
class OnnxImporter {
public:
  OnnxImporter(MLIRContext &ctx, StringRef path, const ImportOptions &opts)
      : ctx(ctx), b(&ctx), path(path.str()), opts(opts) {}

  mlir::OwningOpRef<mlir::ModuleOp> run();

  //===--- what converters use ---===//
  int64_t opset = 0;
  const NodeProto *node = nullptr;

  /// Starts an error about the current node.
  InFlightDiagnostic fail() {
    return emitError(loc) << "node " << nodeLabel() << " (" << node->op_type()
                          << ", opset " << opset << "): ";
  }
  LogicalResult unsupported(const Twine &what) {
    return fail() << "unsupported " << what;
  }

  // Attributes (each read marks it as understood; others are errors).
  const AttributeProto *attr(const std::string &name) {
    used.insert(name);
    for (const AttributeProto &a : node->attribute())
      if (a.name() == name)
        return &a;
    return nullptr;
  }
  int64_t attrInt(const std::string &name, int64_t dflt) {
    const AttributeProto *a = attr(name);
    return a ? a->i() : dflt;
  }
  double attrFloat(const std::string &name, double dflt) {
    const AttributeProto *a = attr(name);
    return a ? a->f() : dflt;
  }
  std::string attrString(const std::string &name, const std::string &dflt) {
    const AttributeProto *a = attr(name);
    return a ? a->s() : dflt;
  }
  std::optional<SmallVector<int64_t>> attrInts(const std::string &name) {
    const AttributeProto *a = attr(name);
    if (!a)
      return std::nullopt;
    return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
  }

  // Inputs.
  unsigned numInputs() const { return node->input_size(); }
  bool hasInput(unsigned i) const {
    return int(i) < node->input_size() && !node->input(i).empty();
  }
  /// The dlc value of input i (materializing a known value); null when
  /// absent.
  Value in(unsigned i) {
    if (!hasInput(i))
      return nullptr;
    return valueOf(node->input(i));
  }
  const std::optional<HostTensor> &knownIn(unsigned i) {
    static const std::optional<HostTensor> none;
    if (!hasInput(i))
      return none;
    return vals.at(node->input(i)).known;
  }
  /// Input i as a list of integers; an error unless it is known.
  FailureOr<SmallVector<int64_t>> intsIn(unsigned i, const char *what);
  unsigned numOutputs() const { return node->output_size(); }
  bool outputUsed(unsigned i) const {
    return int(i) < node->output_size() && !node->output(i).empty();
  }
  void setOut(unsigned i, Value v) {
    if (outputUsed(i))
      vals[node->output(i)] = {v, std::nullopt,
                               cast<RankedTensorType>(v.getType())};
  }
  void setKnown(unsigned i, HostTensor t) {
    if (!outputUsed(i))
      return;
    auto type = RankedTensorType::get(t.shape, mlirType(&ctx, t.dtype));
    vals[node->output(i)] = {nullptr, std::move(t), type};
  }

  // Building.
  /// "dlc.<name>" with inferred type; null (and an error about the node)
  /// on failure, or when an operand is null (an earlier failure).
  Value op(StringRef name, ValueRange operands,
           ArrayRef<NamedAttribute> attrs = {});
  NamedAttribute na(StringRef name, Attribute a) {
    return b.getNamedAttr(name, a);
  }
  Attribute i64s(ArrayRef<int64_t> v) { return b.getDenseI64ArrayAttr(v); }
  Attribute i64(int64_t v) { return b.getI64IntegerAttr(v); }
  /// A 0-d constant of element type `elem`.
  Value scalar(double v, Type elem);
  /// A dlc.constant holding `t`.
  Value constant(const HostTensor &t);
  Value reshape(Value v, ArrayRef<int64_t> shape) {
    if (!v)
      return nullptr;
    if (shapeOf(v) == shape)
      return v;
    return op("reshape", {v}, {na("shape", i64s(shape))});
  }
  Value compare(Value l, Value r, StringRef pred) {
    return op("compare", {l, r}, {na("predicate", b.getStringAttr(pred))});
  }
  static Type elemOf(Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType();
  }
  RankedTensorType typeOfInput(unsigned i) {
    return vals.at(node->input(i)).type;
  }
  MLIRContext &context() { return ctx; }
  OpBuilder &builder() { return b; }

private:
  std::string nodeLabel() const {
    if (!node->name().empty())
      return "'" + node->name() + "'";
    return "#" + std::to_string(nodeIndex);
  }
  Value valueOf(const std::string &name) {
    Val &v = vals.at(name);
    if (!v.v && v.known)
      v.v = constant(*v.known);
    return v.v;
  }
  LogicalResult importGraph(func::FuncOp func);
  LogicalResult importArguments(func::FuncOp func);
  LogicalResult importResults(func::FuncOp func);
  LogicalResult lowerNode();
  LogicalResult checkArity();
  LogicalResult checkOutputNames();
  void foldKnown(Operation *marker);
  FailureOr<std::string>
  writeInitializers(const std::map<std::string, HostTensor> &params);
  FailureOr<RankedTensorType> valueInfoType(const onnx::ValueInfoProto &vi,
                                            bool isInput);

  MLIRContext &ctx;
  OpBuilder b;
  std::string path;
  ImportOptions opts;
  onnx::ModelProto model;
  std::map<std::string, Val> vals;
  /// What defined each value name ("graph input", "initializer",
  /// "node 'n'"), to reject a second definition.
  std::map<std::string, std::string> definedBy;
  std::set<std::string> used;
  Location loc = UnknownLoc::get(&ctx);
  int nodeIndex = 0;
  Block *body = nullptr;
};

/// Output 0 of the node, from a value that may be null (a failure that was
/// already reported).
inline LogicalResult done(OnnxImporter &m, Value v) {
  if (!v)
    return failure();
  m.setOut(0, v);
  return success();
}

} // namespace dlc::onnx_import

#endif // DLC_FRONTEND_ONNX_ONNXIMPORTER_H
