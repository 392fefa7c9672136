//===- OnnxImporter.cpp - an ONNX model to a dlc module -------------------===//
//
// Parses the ModelProto with protobuf, then walks the graph's nodes in file
// order (ONNX requires topological order) and lowers each through a table
// of rules onto dlc ops (docs/onnx.md lists them). Ops are built with the
// JSON importer's generic builder (frontend/BuildOp.h): the op's shape rule
// gives the type, its verifier runs, and a failure is re-reported naming
// the node.
//
// Constants. Every ONNX value may carry a known value (a HostTensor): from
// Constant nodes, integer initializers, Shape/Size/Range/ConstantOfShape
// (computed here) or any node whose inputs are all known, whose dlc ops are
// then evaluated by the reference interpreter and replaced by the result.
// So Shape -> Gather -> Unsqueeze -> Concat -> Reshape (PyTorch's flatten)
// ends in a static reshape. Known values become dlc.constant only where a
// dlc op uses them; dead ops are dropped at the end.
//
// Initializers. Float initializers stay parameters (function arguments with
// dlc.param) so that training can differentiate them; their values are
// written once to <cache>/onnx/<sha256 of the model file>.safetensors and
// each parameter's dlc.init is {file = <that file>, key = <its name>}.
// Integer and bool initializers are known values (shapes, indices).
//
// Errors name the node, its op type and the opset:
//   model.onnx:0:3: error: node 'Det_3' (Det, opset 13): unsupported op
// The location is NameLoc(node name, FileLineColLoc(file, 0, node index)).
//
//===----------------------------------------------------------------------===//
#include "frontend/BuildOp.h"
#include "ir/ShapeUtils.h"
#include "frontend/Import.h"
#include "frontend/OnnxImport.h"
#include "frontend/OnnxTensor.h"

#include "ir/DlcDialect.h"
#include "ir/DlcOps.h"
#include "ir/Interpreter.h"
#include "ir/ModelAttrs.h"
#include "runtime/core/Env.h"
#include "runtime/core/CacheDir.h"
#include "runtime/io/TensorFile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Traits.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <set>

using namespace mlir;
using mlir::dlc::shapeOf;
using mlir::dlc::product;
using onnx::AttributeProto;
using onnx::NodeProto;

namespace dlc {

namespace {

/// An ONNX value: its dlc value (null until needed for a known value) and,
/// when known at import time, its contents.
struct Val {
  Value v;
  std::optional<HostTensor> known;
  RankedTensorType type;
};

Type mlirType(MLIRContext *ctx, DType t) {
  Builder b(ctx);
  switch (t) {
  case DType::F16: return b.getF16Type();
  case DType::BF16: return b.getBF16Type();
  case DType::F32: return b.getF32Type();
  case DType::F64: return b.getF64Type();
  case DType::I1: return b.getI1Type();
  case DType::I32: return b.getI32Type();
  case DType::I64: return b.getI64Type();
  }
  return {};
}

int64_t intAt(const HostTensor &t, int64_t i) {
  switch (t.dtype) {
  case DType::I64: { int64_t v; std::memcpy(&v, &t.bytes[8 * i], 8); return v; }
  case DType::I32: { int32_t v; std::memcpy(&v, &t.bytes[4 * i], 4); return v; }
  case DType::I1: return t.bytes[i];
  case DType::F32: { float v; std::memcpy(&v, &t.bytes[4 * i], 4); return int64_t(v); }
  case DType::F64: { double v; std::memcpy(&v, &t.bytes[8 * i], 8); return int64_t(v); }
  default: return 0;
  }
}

double realAt(const HostTensor &t, int64_t i) {
  switch (t.dtype) {
  case DType::F32: { float v; std::memcpy(&v, &t.bytes[4 * i], 4); return v; }
  case DType::F64: { double v; std::memcpy(&v, &t.bytes[8 * i], 8); return v; }
  default: return double(intAt(t, i));
  }
}

HostTensor intTensor(const std::vector<int64_t> &v,
                     std::vector<int64_t> shape) {
  HostTensor t = HostTensor::zeros(DType::I64, std::move(shape));
  if (!v.empty()) // memcpy from an empty vector's null data() is UB
    std::memcpy(t.bytes.data(), v.data(), 8 * v.size());
  return t;
}


/// How many leading inputs an op type needs (the rest are optional).
/// Variadic ops (Concat, Sum, ...) need every input they list.
unsigned requiredInputs(const std::string &op, int64_t opset,
                        unsigned listed) {
  static const std::map<std::string, unsigned> fixed = {
      {"Constant", 0}, {"Add", 2}, {"Sub", 2}, {"Mul", 2}, {"Div", 2},
      {"Pow", 2}, {"Equal", 2}, {"Less", 2}, {"Greater", 2},
      {"LessOrEqual", 2}, {"GreaterOrEqual", 2}, {"And", 2}, {"Or", 2},
      {"Xor", 2}, {"PRelu", 2}, {"MatMul", 2}, {"Conv", 2}, {"Gemm", 2},
      {"Expand", 2}, {"Tile", 2}, {"CastLike", 2}, {"Gather", 2},
      {"LayerNormalization", 2}, {"Where", 3}, {"Range", 3},
      {"InstanceNormalization", 3}, {"BatchNormalization", 5}};
  static const std::set<std::string> variadic = {"Concat", "Sum", "Mean",
                                                 "Max", "Min"};
  if (variadic.count(op))
    return std::max(listed, 1u);
  if (op == "Reshape")
    return opset < 5 ? 1 : 2;
  if (op == "Slice")
    return opset < 10 ? 1 : 3;
  if (op == "Pad")
    return opset < 11 ? 1 : 2;
  if (op == "Unsqueeze")
    return opset < 13 ? 1 : 2;
  auto it = fixed.find(op);
  return it == fixed.end() ? 1 : it->second;
}

class OnnxImporter;
using Rule = std::function<LogicalResult(OnnxImporter &)>;
const std::map<std::string, Rule> &rules();

class OnnxImporter {
public:
  OnnxImporter(MLIRContext &ctx, StringRef path, const ImportOptions &opts)
      : ctx(ctx), b(&ctx), path(path.str()), opts(opts) {}

  OwningOpRef<ModuleOp> run();

  //===--- what rules use ---===//
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
  FailureOr<SmallVector<int64_t>> intsIn(unsigned i, const char *what) {
    const auto &k = knownIn(i);
    if (!k) {
      fail() << "unsupported: input " << i << " (" << what
             << ") must be known at compile time (a constant or computed "
                "from static shapes)";
      return failure();
    }
    SmallVector<int64_t> out;
    for (int64_t j = 0, n = k->numel(); j < n; ++j)
      out.push_back(intAt(*k, j));
    return out;
  }
  unsigned numOutputs() const { return node->output_size(); }
  bool outputUsed(unsigned i) const {
    return int(i) < node->output_size() && !node->output(i).empty();
  }
  void setOut(unsigned i, Value v) {
    if (outputUsed(i))
      vals[node->output(i)] = {v, std::nullopt, cast<RankedTensorType>(v.getType())};
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
           ArrayRef<NamedAttribute> attrs = {}) {
    if (llvm::any_of(operands, [](Value v) { return !v; }))
      return nullptr;
    std::string message;
    Operation *o = buildInferredOp(b, loc, ("dlc." + name).str(), operands,
                                   attrs, message);
    if (!o) {
      // An ODS type constraint: an element type (say i64 for dlc.neg) the
      // dlc op does not take.
      bool typeConstraint = message.find("must be statically shaped tensor") !=
                            std::string::npos;
      fail() << (typeConstraint ? "unsupported element type: " : "") << "dlc."
             << name << ": " << message;
      return nullptr;
    }
    return o->getResult(0);
  }
  NamedAttribute na(StringRef name, Attribute a) { return b.getNamedAttr(name, a); }
  Attribute i64s(ArrayRef<int64_t> v) { return b.getDenseI64ArrayAttr(v); }
  Attribute i64(int64_t v) { return b.getI64IntegerAttr(v); }
  /// A 0-d constant of element type `elem`.
  Value scalar(double v, Type elem) {
    auto type = RankedTensorType::get({}, elem);
    Attribute value;
    if (isa<FloatType>(elem))
      value = DenseElementsAttr::get(type, FloatAttr::get(elem, v));
    else if (elem.isInteger(1))
      value = DenseElementsAttr::get(type, v != 0);
    else
      value = DenseElementsAttr::get(type, IntegerAttr::get(elem, int64_t(v)));
    return op("constant", {}, {na("value", value)});
  }
  Value constant(const HostTensor &t) {
    auto type = RankedTensorType::get(t.shape, mlirType(&ctx, t.dtype));
    DenseElementsAttr value;
    if (t.dtype == DType::I1) {
      SmallVector<bool> bits(t.bytes.begin(), t.bytes.end());
      value = DenseElementsAttr::get(type, ArrayRef<bool>(bits));
    } else {
      value = DenseElementsAttr::getFromRawBuffer(
          type, ArrayRef<char>(reinterpret_cast<const char *>(t.bytes.data()),
                               t.bytes.size()));
    }
    return op("constant", {}, {na("value", value)});
  }
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
  LogicalResult lowerNode();
  void foldKnown(Operation *marker);
  FailureOr<std::string> writeInitializers(
      const std::map<std::string, HostTensor> &params);
  FailureOr<RankedTensorType> valueInfoType(const onnx::ValueInfoProto &vi,
                                            bool isInput);

  MLIRContext &ctx;
  OpBuilder b;
  std::string path;
  ImportOptions opts;
  onnx::ModelProto model;
  std::map<std::string, Val> vals;
  std::set<std::string> used;
  Location loc = UnknownLoc::get(&ctx);
  int nodeIndex = 0;
  Block *body = nullptr;
};

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

FailureOr<RankedTensorType>
OnnxImporter::valueInfoType(const onnx::ValueInfoProto &vi, bool isInput) {
  Location fileLoc = FileLineColLoc::get(&ctx, path, 0, 0);
  auto err = [&]() {
    return emitError(fileLoc) << (isInput ? "input '" : "output '")
                              << vi.name() << "': ";
  };
  if (!vi.type().has_tensor_type())
    return err() << "unsupported type (only tensors)", failure();
  const auto &tt = vi.type().tensor_type();
  auto dtype = dtypeOfOnnx(tt.elem_type());
  if (!dtype)
    return err() << "unsupported element type "
                 << onnxTypeName(tt.elem_type()),
           failure();
  SmallVector<int64_t> shape;
  if (!tt.has_shape())
    return err() << "has no shape (dlc needs static shapes)", failure();
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    const auto &d = tt.shape().dim(i);
    if (i == 0 && isInput && opts.batch) {
      shape.push_back(*opts.batch);
    } else if (d.has_dim_value() && d.dim_value() > 0 &&
               d.dim_value() <= kMaxOnnxElements) {
      shape.push_back(d.dim_value());
    } else if (i == 0 && isInput && !d.has_dim_value()) {
      shape.push_back(1); // a symbolic batch dim: 1 unless --batch says
    } else {
      return err() << "unsupported dim " << i << ": "
                   << (d.has_dim_param() ? "'" + d.dim_param() + "'"
                                         : std::to_string(d.dim_value()))
                   << " (dlc needs static positive dims; --batch sets dim 0)",
             failure();
    }
  }
  return RankedTensorType::get(shape, mlirType(&ctx, *dtype));
}

FailureOr<std::string> OnnxImporter::writeInitializers(
    const std::map<std::string, HostTensor> &params) {
  Location fileLoc = FileLineColLoc::get(&ctx, path, 0, 0);
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buf)
    return emitError(fileLoc) << "cannot read model file", failure();
  std::string root = ::dlc::cacheRoot();
  if (root.empty())
    return emitError(fileLoc) << "no cache directory for the initializers "
                                 "(set DLC_CACHE_DIR or XDG_CACHE_HOME)",
           failure();
  std::string dir = root + "/onnx";
  std::string file = dir + "/" +
                     llvm::toHex(llvm::SHA256::hash(llvm::arrayRefFromStringRef(
                                      (*buf)->getBuffer())),
                                  /*LowerCase=*/true)
                         .substr(0, 32) +
                     ".safetensors";
  std::map<std::string, TensorInfo> existing;
  std::string err;
  if (llvm::sys::fs::exists(file) &&
      readSafetensorsHeader(file, existing, err) &&
      existing.size() == params.size())
    return file;
  if (auto ec = llvm::sys::fs::create_directories(dir))
    return emitError(fileLoc) << "cannot create " << dir << ": "
                              << ec.message(),
           failure();
  if (!writeSafetensors(file, params, err))
    return emitError(fileLoc) << "cannot write the initializers: " << err,
           failure();
  return file;
}

LogicalResult OnnxImporter::importGraph(func::FuncOp func) {
  const onnx::GraphProto &g = model.graph();
  Location fileLoc = FileLineColLoc::get(&ctx, path, 0, 0);

  // Which names nodes and outputs read: only those initializers matter.
  std::set<std::string> read;
  for (const NodeProto &n : g.node())
    for (const std::string &i : n.input())
      read.insert(i);
  for (const auto &o : g.output())
    read.insert(o.name());

  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  SmallVector<std::string> argNames;
  std::map<std::string, HostTensor> params;
  std::set<std::string> initNames;
  for (const onnx::TensorProto &t : g.initializer()) {
    initNames.insert(t.name());
    if (!read.count(t.name()))
      continue;
    HostTensor value;
    std::string err;
    if (!tensorFromProto(t, value, err))
      return emitError(fileLoc) << "initializer '" << t.name() << "': " << err;
    auto type = RankedTensorType::get(value.shape, mlirType(&ctx, value.dtype));
    if (!isFloat(value.dtype) || value.numel() == 0) {
      vals[t.name()] = {nullptr, std::move(value), type};
      continue;
    }
    params[t.name()] = std::move(value);
    vals[t.name()] = {nullptr, std::nullopt, type};
  }
  for (const auto &vi : g.input()) {
    if (initNames.count(vi.name()))
      continue; // IR < 4 lists initializers among the inputs
    auto type = valueInfoType(vi, /*isInput=*/true);
    if (failed(type))
      return failure();
    argTypes.push_back(*type);
    argNames.push_back(vi.name());
    argAttrs.push_back(b.getDictionaryAttr(
        {na(attrs::kInput, b.getStringAttr(vi.name()))}));
  }
  std::string file;
  if (!params.empty()) {
    auto f = writeInitializers(params);
    if (failed(f))
      return failure();
    file = *f;
  }
  for (auto &[name, value] : params) {
    argTypes.push_back(vals[name].type);
    argNames.push_back(name);
    argAttrs.push_back(b.getDictionaryAttr(
        {na(attrs::kParam, b.getStringAttr(name)),
         na(attrs::kInit,
            b.getDictionaryAttr({na("file", b.getStringAttr(file)),
                                 na("key", b.getStringAttr(name))}))}));
  }
  func.setFunctionType(b.getFunctionType(argTypes, {}));
  body = func.addEntryBlock();
  for (size_t i = 0; i < argTypes.size(); ++i) {
    BlockArgument arg = body->getArgument(i);
    arg.setLoc(NameLoc::get(b.getStringAttr(argNames[i]), fileLoc));
    func.setArgAttrs(i, argAttrs[i]);
    vals[argNames[i]] = {arg, std::nullopt,
                         cast<RankedTensorType>(arg.getType())};
  }
  b.setInsertionPointToEnd(body);

  for (nodeIndex = 0; nodeIndex < g.node_size(); ++nodeIndex) {
    node = &g.node(nodeIndex);
    loc = NameLoc::get(
        b.getStringAttr(node->name().empty() ? "#" + std::to_string(nodeIndex)
                                             : node->name()),
        FileLineColLoc::get(&ctx, path, 0, nodeIndex));
    if (failed(lowerNode()))
      return failure();
  }

  SmallVector<Value> results;
  SmallVector<std::string> resultNames;
  for (const auto &o : g.output()) {
    if (!vals.count(o.name()))
      return emitError(fileLoc) << "output '" << o.name()
                                << "' is produced by no node";
    loc = NameLoc::get(b.getStringAttr(o.name()), fileLoc);
    Value v = valueOf(o.name());
    if (!v)
      return failure();
    results.push_back(v);
    resultNames.push_back(o.name());
  }
  func::ReturnOp::create(b, fileLoc, results);
  func.setFunctionType(
      b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (size_t i = 0; i < resultNames.size(); ++i)
    func.setResultAttr(i, attrs::kOutput, b.getStringAttr(resultNames[i]));
  // Drop what folding left behind (every dlc op is pure).
  for (Operation &o : llvm::make_early_inc_range(llvm::reverse(*body)))
    if (!o.hasTrait<OpTrait::IsTerminator>() && o.use_empty())
      o.erase();
  return success();
}

LogicalResult OnnxImporter::lowerNode() {
  if (!node->domain().empty() && node->domain() != "ai.onnx")
    return fail() << "unsupported op domain '" << node->domain() << "'";
  for (const std::string &i : node->input())
    if (!i.empty() && !vals.count(i))
      return fail() << "input '" << i
                    << "' is not a graph input, initializer or earlier "
                       "node output";
  auto it = rules().find(node->op_type());
  if (it == rules().end())
    return fail() << "unsupported op";
  // Rules read their required inputs unchecked; a missing one is an error
  // here (an empty name marks an absent optional input in ONNX).
  for (unsigned i = 0,
                e = requiredInputs(node->op_type(), opset, numInputs());
       i < e; ++i)
    if (!hasInput(i))
      return fail() << "missing input " << i;
  used.clear();
  Operation *marker = body->empty() ? nullptr : &body->back();
  if (failed(it->second(*this)))
    return failure();
  for (const AttributeProto &a : node->attribute())
    if (!used.count(a.name()))
      return fail() << "unsupported attribute '" << a.name() << "'";
  for (int i = 0; i < node->output_size(); ++i)
    if (!node->output(i).empty() && !vals.count(node->output(i)))
      return fail() << "output " << i << " ('" << node->output(i)
                    << "') is not supported";
  bool allKnown = node->input_size() > 0;
  for (const std::string &i : node->input())
    allKnown &= i.empty() || vals.at(i).known.has_value();
  if (allKnown)
    foldKnown(marker);
  return success();
}

/// Evaluates the ops the current node produced (all its inputs are known)
/// with the reference interpreter and records its outputs as known.
void OnnxImporter::foldKnown(Operation *marker) {
  SmallVector<std::string> outs;
  SmallVector<Value> outVals;
  for (const std::string &o : node->output()) {
    if (o.empty())
      continue;
    Val &v = vals.at(o);
    if (v.known)
      continue;
    if (!v.v || !v.v.getDefiningOp() ||
        v.v.getDefiningOp()->getBlock() != body)
      return;
    outs.push_back(o);
    outVals.push_back(v.v);
  }
  if (outs.empty())
    return;
  OpBuilder tb(&ctx);
  OwningOpRef<ModuleOp> tmp = ModuleOp::create(loc);
  tb.setInsertionPointToEnd(tmp->getBody());
  auto f = func::FuncOp::create(
      tb, loc, "fold", tb.getFunctionType({}, ValueRange(outVals).getTypes()));
  tb.setInsertionPointToEnd(f.addEntryBlock());
  IRMapping map;
  auto start = marker ? std::next(marker->getIterator()) : body->begin();
  for (Operation &o : llvm::make_range(start, body->end())) {
    for (Value operand : o.getOperands())
      if (!map.contains(operand)) {
        Operation *def = operand.getDefiningOp();
        if (!def || !isa<mlir::dlc::ConstantOp>(def))
          return; // reads a runtime value: nothing to fold
        tb.clone(*def, map);
      }
    tb.clone(o, map);
  }
  SmallVector<Value> rets;
  for (Value v : outVals) {
    // An output that is an earlier value (Expand to its own shape returns
    // its input) was built before this node: nothing new to fold.
    if (!map.contains(v))
      return;
    rets.push_back(map.lookup(v));
  }
  func::ReturnOp::create(tb, loc, rets);
  FailureOr<std::vector<HostTensor>> results;
  {
    ScopedDiagnosticHandler quiet(&ctx, [](Diagnostic &) { return success(); });
    results = interpret(f, {}, InterpreterOptions{});
  }
  if (failed(results))
    return;
  for (size_t i = 0; i < outs.size(); ++i) {
    Val &v = vals.at(outs[i]);
    v.known = std::move((*results)[i]);
    v.v = nullptr;
  }
}

OwningOpRef<ModuleOp> OnnxImporter::run() {
  Location fileLoc = FileLineColLoc::get(&ctx, path, 0, 0);
  std::string err;
  if (!readOnnxModel(path, model, err)) {
    emitError(fileLoc) << err;
    return nullptr;
  }
  if (opts.batch && *opts.batch <= 0) {
    emitError(fileLoc) << "--batch must be positive, got " << *opts.batch;
    return nullptr;
  }
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset == 0 && model.opset_import_size() == 0)
    opset = 1; // IR version 1-2 models carry no opset: the first one
  if (opset < kMinOnnxOpset || opset > kMaxOnnxOpset) {
    emitError(fileLoc) << "unsupported opset " << opset << " (dlc reads "
                       << kMinOnnxOpset << " to " << kMaxOnnxOpset << ")";
    return nullptr;
  }
  if (!model.has_graph() || model.graph().node_size() == 0) {
    emitError(fileLoc) << "the model has no graph nodes";
    return nullptr;
  }
  std::string name = model.graph().name().empty()
                         ? llvm::sys::path::stem(path).str()
                         : model.graph().name();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  (*module)->setAttr(attrs::kModel, b.getStringAttr(name));
  (*module)->setAttr(attrs::kSeed, b.getI64IntegerAttr(0));
  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(
      b, NameLoc::get(b.getStringAttr(name), fileLoc), attrs::kEntry,
      b.getFunctionType({}, {}));
  if (failed(importGraph(func)))
    return nullptr;
  if (failed(verify(*module))) {
    emitError(fileLoc) << "internal error: the imported module does not "
                          "verify";
    return nullptr;
  }
  return module;
}

//===----------------------------------------------------------------------===//
// Rules
//===----------------------------------------------------------------------===//

using Imp = OnnxImporter;

/// Output 0 of the node, from a value that may be null (a failure that was
/// already reported).
LogicalResult done(Imp &m, Value v) {
  if (!v)
    return failure();
  m.setOut(0, v);
  return success();
}

Value absOf(Imp &m, Value x) { return m.op("maximum", {x, m.op("neg", {x})}); }

/// alpha * (exp(x) - 1) where x < 0 else x.
Value eluOf(Imp &m, Value x, double alpha) {
  Type t = Imp::elemOf(x);
  Value neg = m.op("mul", {m.op("sub", {m.op("exp", {x}), m.scalar(1, t)}),
                           m.scalar(alpha, t)});
  return m.op("where", {m.compare(x, m.scalar(0, t), "lt"), neg, x});
}

/// max(0, min(1, alpha * x + beta)).
Value hardSigmoidOf(Imp &m, Value x, double alpha, double beta) {
  Type t = Imp::elemOf(x);
  Value y = m.op("add", {m.op("mul", {x, m.scalar(alpha, t)}),
                         m.scalar(beta, t)});
  return m.op("maximum",
              {m.op("minimum", {y, m.scalar(1, t)}), m.scalar(0, t)});
}

/// Spatial parameters of Conv/MaxPool/AveragePool for a 2-D op; a 1-D op
/// (rank-3 input) is lifted to 2-D with a leading unit dim.
struct Window {
  SmallVector<int64_t> kernel, stride, dilation, pads; // pads: t, l, b, r
};

FailureOr<Window> windowOf(Imp &m, ArrayRef<int64_t> inShape,
                           std::optional<SmallVector<int64_t>> kernel,
                           bool ceilMode, bool hasDilation) {
  size_t spatial = inShape.size() - 2;
  Window w;
  auto list = [&](const char *name, int64_t dflt, size_t n)
      -> FailureOr<SmallVector<int64_t>> {
    auto v = m.attrInts(name);
    if (!v)
      return SmallVector<int64_t>(n, dflt);
    if (v->size() != n)
      return m.fail() << "attribute '" << name << "' has " << v->size()
                      << " entries, expected " << n,
             failure();
    return *v;
  };
  if (auto k = m.attrInts("kernel_shape")) {
    if (kernel && *k != *kernel)
      return m.fail() << "kernel_shape does not match the weight's shape",
             failure();
    kernel = k;
  }
  if (!kernel || kernel->size() != spatial)
    return m.fail() << "needs kernel_shape with " << spatial << " entries",
           failure();
  auto stride = list("strides", 1, spatial);
  auto dil = hasDilation ? list("dilations", 1, spatial)
                         : FailureOr<SmallVector<int64_t>>(
                               SmallVector<int64_t>(spatial, 1));
  auto pads = list("pads", 0, 2 * spatial);
  if (failed(stride) || failed(dil) || failed(pads))
    return failure();
  std::string autoPad = m.attrString("auto_pad", "NOTSET");
  SmallVector<int64_t> in(inShape.drop_front(2));
  for (size_t i = 0; i < spatial; ++i) {
    int64_t k = (*kernel)[i], s = (*stride)[i], d = (*dil)[i];
    if (k <= 0 || s <= 0 || d <= 0)
      return m.fail() << "kernel, strides and dilations must be positive",
             failure();
    int64_t ext = (k - 1) * d + 1;
    int64_t &pb = (*pads)[i], &pe = (*pads)[i + spatial];
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (in[i] + s - 1) / s;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + ext - in[i]);
      pb = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    } else if (autoPad == "VALID") {
      pb = pe = 0;
    } else if (autoPad != "NOTSET") {
      return m.fail() << "unsupported auto_pad '" << autoPad << "'", failure();
    }
    if (ceilMode) {
      int64_t span = in[i] + pb + pe - ext;
      int64_t outCeil = (span + s - 1) / s + 1;
      if ((outCeil - 1) * s >= in[i] + pb)
        --outCeil;
      pe += std::max<int64_t>(0, (outCeil - 1) * s + ext - (in[i] + pb + pe));
    }
  }
  if (spatial == 1) {
    w.kernel = {1, (*kernel)[0]};
    w.stride = {1, (*stride)[0]};
    w.dilation = {1, (*dil)[0]};
    w.pads = {0, (*pads)[0], 0, (*pads)[1]};
  } else {
    w.kernel = *kernel;
    w.stride = *stride;
    w.dilation = *dil;
    w.pads = *pads;
  }
  return w;
}

/// Checks the input is 3-D or 4-D and lifts a 3-D one to 4-D.
FailureOr<Value> lift2d(Imp &m, Value x) {
  auto s = shapeOf(x);
  if (s.size() == 4)
    return x;
  if (s.size() == 3)
    return m.reshape(x, {s[0], s[1], 1, s[2]});
  return m.fail() << "unsupported: only 1-D and 2-D windows (got a rank-"
                  << s.size() << " input)",
         failure();
}

Value unlift(Value y, ArrayRef<int64_t> inShape, Imp &m) {
  if (!y || inShape.size() == 4)
    return y;
  auto s = shapeOf(y);
  return m.reshape(y, {s[0], s[1], s[3]});
}

LogicalResult lowerConv(Imp &m) {
  Value x = m.in(0), w = m.in(1);
  auto xs = shapeOf(x);
  if (xs.size() < 3)
    return m.fail() << "expects an input of rank 3 or 4";
  auto ws = shapeOf(w);
  if (ws.size() != xs.size())
    return m.fail() << "weight has rank " << ws.size() << ", the input "
                    << xs.size();
  auto win = windowOf(m, xs, SmallVector<int64_t>(ws.drop_front(2)), false,
                      true);
  auto x4 = lift2d(m, x);
  if (failed(win) || failed(x4))
    return failure();
  Value w4 = ws.size() == 3 ? m.reshape(w, {ws[0], ws[1], 1, ws[2]}) : w;
  SmallVector<Value> ins{*x4, w4};
  if (Value bias = m.in(2))
    ins.push_back(bias);
  Value y = m.op("conv2d", ins,
                 {m.na("stride", m.i64s(win->stride)),
                  m.na("padding", m.i64s(win->pads)),
                  m.na("dilation", m.i64s(win->dilation)),
                  m.na("groups", m.i64(m.attrInt("group", 1)))});
  return done(m, unlift(y, xs, m));
}

/// ConvTranspose is the gradient of a convolution with respect to its
/// input: dlc.conv2d_backward_input with the transposed convolution's input
/// as the cotangent and its [C_in, C_out/group, kH, kW] weight as the
/// forward weight; 1-D windows lifted to 2-D as for Conv.
LogicalResult lowerConvTranspose(Imp &m) {
  Value x = m.in(0), w = m.in(1);
  if (!x || !w)
    return m.fail() << "needs inputs X and W";
  auto xs = shapeOf(x), ws = shapeOf(w);
  auto x4 = lift2d(m, x);
  if (failed(x4))
    return failure();
  if (ws.size() != xs.size())
    return m.fail() << "weight has rank " << ws.size() << ", the input "
                    << xs.size();
  size_t sp = xs.size() - 2;
  int64_t group = m.attrInt("group", 1);
  if (group <= 0 || xs[1] != ws[0] || ws[0] % group != 0)
    return m.fail() << "weight is " << formatShape(ws) << " for "
                    << xs[1] << " input channels in " << group << " groups";
  SmallVector<int64_t> kernel(ws.begin() + 2, ws.end());
  if (auto k = m.attrInts("kernel_shape"); k && *k != kernel)
    return m.fail() << "kernel_shape does not match the weight's shape";
  auto list = [&](const char *name, int64_t dflt, size_t n)
      -> std::optional<SmallVector<int64_t>> {
    auto v = m.attrInts(name);
    if (!v)
      return SmallVector<int64_t>(n, dflt);
    if (v->size() != n)
      return m.fail() << "attribute '" << name << "' has " << v->size()
                      << " entries, expected " << n,
             std::nullopt;
    return *v;
  };
  auto stride = list("strides", 1, sp), dil = list("dilations", 1, sp),
       pads = list("pads", 0, 2 * sp), outPad = list("output_padding", 0, sp);
  if (!stride || !dil || !pads || !outPad)
    return failure();
  auto outShape = m.attrInts("output_shape");
  if (outShape && outShape->size() == sp + 2)
    outShape = SmallVector<int64_t>(outShape->begin() + 2, outShape->end());
  if (outShape && outShape->size() != sp)
    return m.fail() << "attribute 'output_shape' has " << outShape->size()
                    << " entries, expected " << sp;
  std::string autoPad = m.attrString("auto_pad", "NOTSET");
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (!same && autoPad != "NOTSET" && autoPad != "VALID")
    return m.fail() << "unsupported auto_pad '" << autoPad << "'";
  SmallVector<int64_t> out(sp);
  for (size_t i = 0; i < sp; ++i) {
    int64_t k = kernel[i], s = (*stride)[i], d = (*dil)[i], op = (*outPad)[i];
    if (k <= 0 || s <= 0 || d <= 0 || op < 0)
      return m.fail() << "kernel, strides and dilations must be positive "
                         "and output_padding not negative";
    int64_t in = xs[2 + i], full = s * (in - 1) + op + (k - 1) * d + 1;
    int64_t &pb = (*pads)[i], &pe = (*pads)[i + sp];
    if (outShape || same) {
      // The padding that gives the asked-for output size.
      out[i] = outShape ? (*outShape)[i] : in * s;
      // Larger than the full result: the extra rows go at the end, as
      // output_padding's do (the reference's output_shape example).
      int64_t total = std::max<int64_t>(0, full - out[i]);
      bool upper = autoPad == "SAME_UPPER";
      pb = upper ? total / 2 : total - total / 2;
      pe = total - pb;
    } else {
      if (autoPad == "VALID")
        pb = pe = 0;
      if (pb < 0 || pe < 0)
        return m.unsupported("negative pads");
      out[i] = full - pb - pe;
    }
    if (out[i] <= 0)
      return m.fail() << "the output would be empty";
  }
  SmallVector<int64_t> st(*stride), dl(*dil), pd(*pads), os(out);
  Value w4 = w;
  if (sp == 1) {
    st = {1, st[0]};
    dl = {1, dl[0]};
    pd = {0, pd[0], 0, pd[1]};
    os = {1, os[0]};
    w4 = m.reshape(w, {ws[0], ws[1], 1, ws[2]});
  }
  Value y = m.op("conv2d_backward_input", {*x4, w4},
                 {m.na("input_shape",
                       m.i64s({xs[0], ws[1] * group, os[0], os[1]})),
                  m.na("stride", m.i64s(st)), m.na("padding", m.i64s(pd)),
                  m.na("dilation", m.i64s(dl)), m.na("groups", m.i64(group))});
  if (Value bias = m.in(2))
    y = m.op("add", {y, m.reshape(bias, {1, ws[1] * group, 1, 1})});
  return done(m, unlift(y, xs, m));
}

LogicalResult lowerPool(Imp &m, bool isMax) {
  Value x = m.in(0);
  auto xs = shapeOf(x);
  if (xs.size() < 3)
    return m.fail() << "expects an input of rank 3 or 4";
  if (m.outputUsed(1))
    return m.unsupported("output 1 (Indices)");
  bool ceil = m.attrInt("ceil_mode", 0) != 0;
  bool includePad = !isMax && m.attrInt("count_include_pad", 0) != 0;
  if (isMax && m.attrInt("storage_order", 0) != 0)
    return m.unsupported("attribute 'storage_order' = 1");
  auto win = windowOf(m, xs, std::nullopt, ceil, isMax);
  auto x4 = lift2d(m, x);
  if (failed(win) || failed(x4))
    return failure();
  for (int i = 0; i < 4; ++i)
    if (2 * win->pads[i] > win->kernel[i % 2])
      return m.unsupported("padding larger than half the window");
  if (ceil && includePad)
    return m.unsupported("ceil_mode with count_include_pad");
  SmallVector<NamedAttribute> attrs{m.na("kernel_size", m.i64s(win->kernel)),
                                    m.na("stride", m.i64s(win->stride)),
                                    m.na("padding", m.i64s(win->pads))};
  if (isMax)
    attrs.push_back(m.na("dilation", m.i64s(win->dilation)));
  else
    attrs.push_back(m.na("count_include_pad", m.builder().getBoolAttr(includePad)));
  Value y = m.op(isMax ? "max_pool2d" : "avg_pool2d", {*x4}, attrs);
  return done(m, unlift(y, xs, m));
}

LogicalResult lowerGlobalPool(Imp &m, const char *reduce) {
  Value x = m.in(0);
  SmallVector<int64_t> axes;
  for (int64_t i = 2, r = shapeOf(x).size(); i < r; ++i)
    axes.push_back(i);
  return done(m, m.op(reduce, {x},
                      {m.na("axes", m.i64s(axes)),
                       m.na("keepdims", m.builder().getBoolAttr(true))}));
}

LogicalResult lowerGemm(Imp &m) {
  Value a = m.in(0), bm = m.in(1), c = m.in(2);
  double alpha = m.attrFloat("alpha", 1), beta = m.attrFloat("beta", 1);
  bool ta = m.attrInt("transA", 0), tb = m.attrInt("transB", 0);
  if (m.attr("broadcast")) {
  } // opset < 7: C broadcasts either way here
  if (ta)
    a = m.op("transpose", {a}, {m.na("perm", m.i64s({1, 0}))});
  if (!a)
    return failure();
  Type t = Imp::elemOf(a);
  auto bs = shapeOf(bm);
  if (tb && alpha == 1 && bs.size() == 2 &&
      (!c || (beta == 1 && shapeOf(c) == ArrayRef<int64_t>{bs[0]}))) {
    SmallVector<Value> ins{a, bm};
    if (c)
      ins.push_back(c);
    return done(m, m.op("dense", ins));
  }
  if (tb)
    bm = m.op("transpose", {bm}, {m.na("perm", m.i64s({1, 0}))});
  Value y = m.op("matmul", {a, bm});
  if (alpha != 1)
    y = m.op("mul", {y, m.scalar(alpha, t)});
  if (c) {
    if (beta != 1)
      c = m.op("mul", {c, m.scalar(beta, t)});
    y = m.op("add", {y, c});
  }
  return done(m, y);
}

LogicalResult lowerMatMul(Imp &m) {
  Value a = m.in(0), bm = m.in(1);
  auto as = shapeOf(a), bs = shapeOf(bm);
  bool vecA = as.size() == 1, vecB = bs.size() == 1;
  if (vecA)
    a = m.reshape(a, {1, as[0]});
  if (vecB)
    bm = m.reshape(bm, {bs[0], 1});
  Value y = m.op("matmul", {a, bm});
  if (!y)
    return failure();
  if (vecA || vecB) {
    SmallVector<int64_t> s(shapeOf(y));
    if (vecB)
      s.pop_back();
    if (vecA)
      s.erase(s.end() - (vecB ? 1 : 2));
    y = m.reshape(y, s);
  }
  return done(m, y);
}

LogicalResult lowerSoftmax(Imp &m, const char *name) {
  Value x = m.in(0);
  auto s = shapeOf(x);
  int64_t rank = s.size();
  int64_t axis = m.attrInt("axis", m.opset < 13 ? 1 : -1);
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return m.fail() << "axis " << axis << " out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  if (m.opset >= 13 || axis == rank - 1)
    return done(m, m.op(name, {x}, {m.na("axis", m.i64(axis))}));
  // Before opset 13 the input is coerced to 2-D at `axis`.
  Value flat = m.op("flatten", {x}, {m.na("axis", m.i64(axis))});
  Value y = m.op(name, {flat}, {m.na("axis", m.i64(1))});
  return done(m, m.reshape(y, s));
}

/// Axes of a Reduce*: an input from opset 18 (ReduceSum: 13), else an
/// attribute. Empty means all (or nothing, with noop_with_empty_axes).
LogicalResult lowerReduce(Imp &m, StringRef kind) {
  Value x = m.in(0);
  SmallVector<int64_t> axes;
  bool axesInput = m.opset >= 18 || (kind == "ReduceSum" && m.opset >= 13);
  bool noop = false;
  if (axesInput) {
    noop = m.attrInt("noop_with_empty_axes", 0) != 0;
    if (m.hasInput(1)) {
      auto a = m.intsIn(1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
  } else if (auto a = m.attrInts("axes")) {
    axes = *a;
  }
  bool keep = m.attrInt("keepdims", 1) != 0;
  if (axes.empty() && noop)
    return done(m, x);
  if (!x || !isa<FloatType>(Imp::elemOf(x)))
    return m.unsupported("element type (dlc reduces floats only)");
  OpBuilder &b = m.builder();
  auto red = [&](const char *name, Value v, bool k) {
    return m.op(name, {v}, {m.na("axes", m.i64s(axes)),
                            m.na("keepdims", b.getBoolAttr(k))});
  };
  Type t = Imp::elemOf(x);
  Value y;
  if (kind == "ReduceSum")
    y = red("reduce_sum", x, keep);
  else if (kind == "ReduceMean")
    y = red("reduce_mean", x, keep);
  else if (kind == "ReduceMax")
    y = red("reduce_max", x, keep);
  else if (kind == "ReduceMin")
    y = m.op("neg", {red("reduce_max", m.op("neg", {x}), keep)});
  else if (kind == "ReduceL1")
    y = red("reduce_sum", absOf(m, x), keep);
  else if (kind == "ReduceL2")
    y = m.op("sqrt", {red("reduce_sum", m.op("mul", {x, x}), keep)});
  else if (kind == "ReduceSumSquare")
    y = red("reduce_sum", m.op("mul", {x, x}), keep);
  else if (kind == "ReduceLogSum")
    y = m.op("log", {red("reduce_sum", x, keep)});
  else { // ReduceLogSumExp, shifted by the max for stability
    Value mk = red("reduce_max", x, true);
    Value s = red("reduce_sum", m.op("exp", {m.op("sub", {x, mk})}), keep);
    y = m.op("add", {m.op("log", {s}), keep ? mk : red("reduce_max", x, false)});
  }
  (void)t;
  return done(m, y);
}

/// Normalizes axes against `rank`; an error for out-of-range ones.
FailureOr<SmallVector<int64_t>> normAxes(Imp &m, ArrayRef<int64_t> axes,
                                         int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      return m.fail() << "axis " << a << " out of range for rank " << rank,
             failure();
    out.push_back(a < 0 ? a + rank : a);
  }
  return out;
}

LogicalResult lowerSqueeze(Imp &m, bool unsqueeze) {
  Value x = m.in(0);
  SmallVector<int64_t> axes;
  bool given = false;
  if (m.opset >= 13) {
    if (m.hasInput(1)) {
      auto a = m.intsIn(1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
      given = true;
    }
  } else if (auto a = m.attrInts("axes")) {
    axes = *a;
    given = true;
  }
  SmallVector<int64_t> s(shapeOf(x));
  if (unsqueeze) {
    if (!given)
      return m.fail() << "needs axes";
    int64_t outRank = s.size() + axes.size();
    auto na = normAxes(m, axes, outRank);
    if (failed(na))
      return failure();
    llvm::sort(*na);
    for (int64_t a : *na)
      s.insert(s.begin() + a, 1);
    return done(m, m.reshape(x, s));
  }
  auto na = normAxes(m, axes, s.size());
  if (failed(na))
    return failure();
  SmallVector<int64_t> out;
  for (int64_t i = 0, r = s.size(); i < r; ++i) {
    bool drop = given ? llvm::is_contained(*na, i) : s[i] == 1;
    if (drop && s[i] != 1)
      return m.fail() << "cannot squeeze dim " << i << " of size " << s[i];
    if (!drop)
      out.push_back(s[i]);
  }
  return done(m, m.reshape(x, out));
}

LogicalResult lowerReshape(Imp &m) {
  Value x = m.in(0);
  SmallVector<int64_t> shape;
  if (m.opset < 5) {
    auto a = m.attrInts("shape");
    if (!a)
      return m.fail() << "needs a shape";
    shape = *a;
  } else {
    auto a = m.intsIn(1, "shape");
    if (failed(a))
      return failure();
    shape = *a;
  }
  bool allowZero = m.attrInt("allowzero", 0) != 0;
  auto in = shapeOf(x);
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 0 && !allowZero) {
      if (i >= in.size())
        return m.fail() << "shape entry " << i << " is 0 (copy) but the input "
                        << "has rank " << in.size();
      shape[i] = in[i];
    }
  // Resolve -1 here so the result is static even for an empty dim.
  // Checked: the entries are the model's, and their product can overflow.
  int64_t known = 1, minus = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (minus >= 0)
        return m.fail() << "shape has more than one -1";
      minus = i;
    } else if (shape[i] < 0) {
      return m.fail() << "shape entry " << i << " is " << shape[i]
                      << " (expected -1 or at least 0)";
    } else if (shape[i] != 0 && known > kMaxOnnxElements / shape[i]) {
      return m.fail() << "shape has more than " << kMaxOnnxElements
                      << " elements";
    } else {
      known *= shape[i];
    }
  }
  if (minus >= 0 && known > 0)
    shape[minus] = product(in) / known;
  return done(m, m.op("reshape", {x}, {m.na("shape", m.i64s(shape))}));
}

LogicalResult lowerSlice(Imp &m) {
  Value x = m.in(0);
  SmallVector<int64_t> starts, ends, axes, steps;
  if (m.opset < 10) {
    auto s = m.attrInts("starts"), e = m.attrInts("ends");
    if (!s || !e)
      return m.fail() << "needs starts and ends";
    starts = *s;
    ends = *e;
    if (auto a = m.attrInts("axes"))
      axes = *a;
  } else {
    auto s = m.intsIn(1, "starts"), e = m.intsIn(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (m.hasInput(3)) {
      auto a = m.intsIn(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (m.hasInput(4)) {
      auto st = m.intsIn(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || ends.size() != starts.size() ||
      steps.size() != starts.size())
    return m.fail() << "starts, ends, axes and steps differ in length";
  auto na = normAxes(m, axes, rank);
  if (failed(na))
    return failure();
  for (size_t i = 0; i < starts.size(); ++i) {
    if (steps[i] <= 0)
      return m.unsupported("negative or zero slice step");
    int64_t d = shape[(*na)[i]];
    auto clamp = [&](int64_t v) {
      if (v < 0)
        v = v < -d ? 0 : v + d;
      return std::min(v, d);
    };
    starts[i] = clamp(starts[i]);
    ends[i] = std::max(clamp(ends[i]), starts[i]);
  }
  return done(m, m.op("slice", {x},
                      {m.na("starts", m.i64s(starts)),
                       m.na("ends", m.i64s(ends)), m.na("axes", m.i64s(*na)),
                       m.na("steps", m.i64s(steps))}));
}

/// Input slices [b, e) along `axis`.
Value sliceAxis(Imp &m, Value x, int64_t axis, int64_t b, int64_t e) {
  return m.op("slice", {x}, {m.na("starts", m.i64s({b})),
                             m.na("ends", m.i64s({e})),
                             m.na("axes", m.i64s({axis}))});
}

LogicalResult lowerGather(Imp &m) {
  Value data = m.in(0);
  auto ds = shapeOf(data);
  int64_t rank = ds.size();
  int64_t axis = m.attrInt("axis", 0);
  if (axis < -rank || axis >= rank)
    return m.fail() << "axis " << axis << " out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  const auto &ki = m.knownIn(1);
  if (!ki)
    return m.unsupported("Gather with indices computed at run time");
  auto idx = m.intsIn(1, "indices");
  if (failed(idx))
    return failure();
  for (int64_t &i : *idx) {
    if (i < -ds[axis] || i >= ds[axis])
      return m.fail() << "index " << i << " out of range for dim " << ds[axis];
    if (i < 0)
      i += ds[axis];
  }
  SmallVector<int64_t> outShape(ds.take_front(axis));
  outShape.append(ki->shape.begin(), ki->shape.end());
  outShape.append(ds.begin() + axis + 1, ds.end());
  SmallVector<Value> parts;
  for (int64_t i : *idx)
    parts.push_back(sliceAxis(m, data, axis, i, i + 1));
  if (parts.empty())
    return m.unsupported("Gather with no indices");
  Value y = parts.size() == 1
                ? parts[0]
                : m.op("concat", parts, {m.na("axis", m.i64(axis))});
  return done(m, m.reshape(y, outShape));
}

LogicalResult lowerConcat(Imp &m) {
  SmallVector<Value> ins;
  for (unsigned i = 0; i < m.numInputs(); ++i)
    if (Value v = m.in(i))
      if (product(shapeOf(v)) != 0 || m.numInputs() == 1)
        ins.push_back(v);
  int64_t axis = m.attrInt("axis", 1);
  if (ins.empty())
    return m.unsupported("Concat of empty tensors");
  if (ins.size() == 1)
    return done(m, ins[0]);
  return done(m, m.op("concat", ins, {m.na("axis", m.i64(axis))}));
}

LogicalResult lowerSplit(Imp &m) {
  Value x = m.in(0);
  auto s = shapeOf(x);
  int64_t rank = s.size();
  int64_t axis = m.attrInt("axis", 0);
  if (axis < -rank || axis >= rank)
    return m.fail() << "axis " << axis << " out of range";
  if (axis < 0)
    axis += rank;
  SmallVector<int64_t> sizes;
  if (m.opset >= 13 && m.hasInput(1)) {
    auto v = m.intsIn(1, "split");
    if (failed(v))
      return failure();
    sizes = *v;
  } else if (auto v = m.attrInts("split")) {
    sizes = *v;
  } else {
    unsigned n = m.numOutputs();
    if (n == 0)
      return m.fail() << "has no outputs";
    if (s[axis] % n)
      return m.fail() << "dim " << s[axis] << " does not split evenly into "
                      << n;
    sizes.assign(n, s[axis] / n);
  }
  if (sizes.size() != m.numOutputs())
    return m.fail() << "split has " << sizes.size() << " entries for "
                    << m.numOutputs() << " outputs";
  // Checked first: the sizes are the model's, and their sum can overflow.
  int64_t total = 0;
  for (int64_t size : sizes) {
    if (size < 0)
      return m.fail() << "split size " << size << " is negative";
    if (size > s[axis] - total)
      return m.fail() << "split sizes add up to more than dim " << axis
                      << " (" << s[axis] << ")";
    total += size;
  }
  int64_t at = 0;
  for (unsigned i = 0; i < sizes.size(); ++i) {
    Value y = sliceAxis(m, x, axis, at, at + sizes[i]);
    if (!y)
      return failure();
    m.setOut(i, y);
    at += sizes[i];
  }
  return success();
}

constexpr int64_t kMaxTileRepeats = 4096;

LogicalResult lowerTile(Imp &m) {
  Value x = m.in(0);
  auto reps = m.intsIn(1, "repeats");
  if (failed(reps))
    return failure();
  auto xs = shapeOf(x);
  if (reps->size() != xs.size())
    return m.fail() << "repeats has " << reps->size()
                    << " entries for an input of rank " << xs.size();
  // Each repeat becomes a concat operand: bound them, and the result.
  int64_t n = product(xs);
  for (int64_t r : *reps) {
    if (r < 1 || r > kMaxTileRepeats)
      return m.fail() << "repeat " << r << " is outside [1, "
                      << kMaxTileRepeats << "]";
    if (n > kMaxOnnxElements / r)
      return m.fail() << "result has more than " << kMaxOnnxElements
                      << " elements";
    n *= r;
  }
  for (size_t ax = 0; ax < reps->size() && x; ++ax) {
    if ((*reps)[ax] == 1)
      continue;
    SmallVector<Value> copies((*reps)[ax], x);
    x = m.op("concat", copies, {m.na("axis", m.i64(ax))});
  }
  return done(m, x);
}

LogicalResult lowerPad(Imp &m) {
  Value x = m.in(0);
  // edge and reflect: copies of the border, or its mirror image, as
  // numpy.pad builds them (axis by axis, so corners come from padded data).
  std::string mode = m.attrString("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    return m.unsupported("Pad mode '" + mode + "'");
  SmallVector<int64_t> pads;
  Value value;
  Type t = x ? Imp::elemOf(x) : Type();
  if (m.opset < 11) {
    auto p = m.attrInts("pads");
    if (!p)
      return m.fail() << "needs pads";
    pads = *p;
    value = m.scalar(m.attrFloat("value", 0), t);
  } else {
    auto p = m.intsIn(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (m.hasInput(3))
      return m.unsupported("Pad axes input");
    value = m.hasInput(2) ? m.reshape(m.in(2), {}) : m.scalar(0, t);
  }
  int64_t rank = shapeOf(x).size();
  if (int64_t(pads.size()) != 2 * rank)
    return m.fail() << "pads has " << pads.size() << " entries, expected "
                    << 2 * rank;
  for (int64_t ax = 0; ax < rank && x; ++ax) {
    int64_t pb = pads[ax], pe = pads[ax + rank];
    if (pb < 0 || pe < 0)
      return m.unsupported("negative pads");
    SmallVector<Value> parts;
    SmallVector<int64_t> s(shapeOf(x));
    int64_t len = s[ax];
    if (mode == "reflect" && (pb >= len || pe >= len))
      return m.unsupported("reflect pads of " + std::to_string(std::max(pb, pe)) +
                           " on an axis of " + std::to_string(len));
    if (mode != "constant" && (pb || pe) && len == 0)
      return m.fail() << "cannot " << mode << "-pad an empty axis";
    auto block = [&](int64_t n, bool begin) {
      s[ax] = n;
      if (mode == "constant")
        return m.op("broadcast", {value}, {m.na("shape", m.i64s(s))});
      if (mode == "edge")
        return m.op("broadcast",
                    {sliceAxis(m, x, ax, begin ? 0 : len - 1,
                               begin ? 1 : len)},
                    {m.na("shape", m.i64s(s))});
      SmallVector<Value> rows; // reflect: x[n] .. x[1], x[len-2] .. x[len-1-n]
      for (int64_t j = 0; j < n; ++j) {
        int64_t i = begin ? n - j : len - 2 - j;
        rows.push_back(sliceAxis(m, x, ax, i, i + 1));
      }
      return rows.size() == 1
                 ? rows[0]
                 : m.op("concat", rows, {m.na("axis", m.i64(ax))});
    };
    if (pb)
      parts.push_back(block(pb, true));
    parts.push_back(x);
    if (pe)
      parts.push_back(block(pe, false));
    if (parts.size() > 1)
      x = m.op("concat", parts, {m.na("axis", m.i64(ax))});
  }
  return done(m, x);
}

LogicalResult lowerExpand(Imp &m) {
  Value x = m.in(0);
  auto shape = m.intsIn(1, "shape");
  if (failed(shape))
    return failure();
  SmallVector<int64_t> target;
  bool compatible =
      OpTrait::util::getBroadcastedShape(shapeOf(x), *shape, target);
  if (!compatible)
    return m.fail() << "cannot broadcast the input to the shape";
  if (ArrayRef<int64_t>(target) == shapeOf(x))
    return done(m, x);
  return done(m, m.op("broadcast", {x}, {m.na("shape", m.i64s(target))}));
}

LogicalResult lowerClip(Imp &m) {
  Value x = m.in(0);
  Type t = Imp::elemOf(x);
  Value lo, hi;
  if (m.opset < 11) {
    if (auto *a = m.attr("min"))
      lo = m.scalar(a->f(), t);
    if (auto *a = m.attr("max"))
      hi = m.scalar(a->f(), t);
  } else {
    lo = m.in(1);
    hi = m.in(2);
  }
  if (lo)
    x = m.op("maximum", {x, lo});
  if (hi)
    x = m.op("minimum", {x, hi});
  return done(m, x);
}

LogicalResult lowerBatchNorm(Imp &m) {
  if (m.attrInt("training_mode", 0) != 0)
    return m.unsupported("training_mode = 1");
  if (m.attrInt("spatial", 1) != 1)
    return m.unsupported("spatial = 0");
  m.attr("momentum");
  if (m.attr("is_test")) {
  }
  for (unsigned i = 1; i < m.numOutputs(); ++i)
    if (m.outputUsed(i))
      return m.unsupported("training outputs (running mean and variance)");
  return done(m, m.op("batch_norm", {m.in(0), m.in(1), m.in(2), m.in(3), m.in(4)},
                      {m.na("epsilon", m.builder().getF64FloatAttr(
                                           m.attrFloat("epsilon", 1e-5)))}));
}

LogicalResult lowerLayerNorm(Imp &m) {
  Value x = m.in(0), scale = m.in(1), bias = m.in(2);
  if (m.attrInt("stash_type", 1) != 1)
    return m.unsupported("stash_type");
  if (m.outputUsed(1) || m.outputUsed(2))
    return m.unsupported("outputs Mean and InvStdDev");
  auto s = shapeOf(x);
  int64_t rank = s.size(), axis = m.attrInt("axis", -1);
  if (axis < -rank || axis >= rank)
    return m.fail() << "axis " << axis << " out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  SmallVector<int64_t> norm(s.drop_front(axis));
  auto fit = [&](Value v) -> Value {
    if (!v || shapeOf(v) == ArrayRef<int64_t>(norm))
      return v;
    return m.op("broadcast", {v}, {m.na("shape", m.i64s(norm))});
  };
  scale = fit(scale);
  bias = bias ? fit(bias)
              : m.op("broadcast", {m.scalar(0, Imp::elemOf(x))},
                     {m.na("shape", m.i64s(norm))});
  return done(m, m.op("layer_norm", {x, scale, bias},
                      {m.na("axis", m.i64(axis)),
                       m.na("epsilon", m.builder().getF64FloatAttr(
                                           m.attrFloat("epsilon", 1e-5)))}));
}

LogicalResult lowerInstanceNorm(Imp &m) {
  Value x = m.in(0), scale = m.in(1), bias = m.in(2);
  auto s = shapeOf(x);
  if (s.size() < 3)
    return m.fail() << "expects an input of rank 3 or more";
  Type t = Imp::elemOf(x);
  SmallVector<int64_t> axes, cshape{s[1]};
  for (size_t i = 2; i < s.size(); ++i) {
    axes.push_back(i);
    cshape.push_back(1);
  }
  auto mean = [&](Value v) {
    return m.op("reduce_mean", {v}, {m.na("axes", m.i64s(axes)),
                                     m.na("keepdims", m.builder().getBoolAttr(true))});
  };
  Value d = m.op("sub", {x, mean(x)});
  Value var = mean(m.op("mul", {d, d}));
  Value inv = m.op("rsqrt", {m.op("add", {var, m.scalar(m.attrFloat("epsilon", 1e-5), t)})});
  Value y = m.op("mul", {m.op("mul", {d, inv}), m.reshape(scale, cshape)});
  return done(m, m.op("add", {y, m.reshape(bias, cshape)}));
}

LogicalResult lowerConstant(Imp &m) {
  HostTensor t;
  std::string err;
  if (const AttributeProto *a = m.attr("value")) {
    if (!tensorFromProto(a->t(), t, err))
      return m.fail() << "attribute 'value': " << err;
  } else if (const AttributeProto *a = m.attr("value_float")) {
    t = HostTensor::zeros(DType::F32, {});
    float f = a->f();
    std::memcpy(t.bytes.data(), &f, 4);
  } else if (const AttributeProto *a = m.attr("value_floats")) {
    t = HostTensor::zeros(DType::F32, {int64_t(a->floats_size())});
    std::memcpy(t.bytes.data(), a->floats().data(), 4 * a->floats_size());
  } else if (const AttributeProto *a = m.attr("value_int")) {
    t = intTensor({a->i()}, {});
  } else if (const AttributeProto *a = m.attr("value_ints")) {
    t = intTensor({a->ints().begin(), a->ints().end()}, {a->ints_size()});
  } else {
    return m.unsupported("Constant form (sparse or string values)");
  }
  m.setKnown(0, std::move(t));
  return success();
}

LogicalResult lowerConstantOfShape(Imp &m) {
  auto shape = m.intsIn(0, "shape");
  if (failed(shape))
    return failure();
  HostTensor v = HostTensor::zeros(DType::F32, {1});
  std::string err;
  if (const AttributeProto *a = m.attr("value"))
    if (!tensorFromProto(a->t(), v, err) || v.numel() != 1)
      return m.fail() << "attribute 'value': "
                      << (err.empty() ? "expected one element" : err);
  auto n = checkedNumel(std::vector<int64_t>(shape->begin(), shape->end()));
  if (!n || *n > kMaxOnnxElements || llvm::any_of(*shape, [](int64_t d) {
        return d < 0;
      }))
    return m.fail() << "bad shape";
  HostTensor t = HostTensor::zeros(v.dtype, {shape->begin(), shape->end()});
  size_t es = dtypeSize(v.dtype);
  for (int64_t i = 0; i < *n; ++i)
    std::memcpy(&t.bytes[i * es], v.bytes.data(), es);
  m.setKnown(0, std::move(t));
  return success();
}

LogicalResult lowerShape(Imp &m) {
  auto s = m.typeOfInput(0).getShape();
  int64_t rank = s.size();
  int64_t start = m.attrInt("start", 0), end = m.attrInt("end", rank);
  auto clamp = [&](int64_t v) {
    if (v < 0)
      v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  start = clamp(start);
  end = std::max(clamp(end), start);
  std::vector<int64_t> dims(s.begin() + start, s.begin() + end);
  m.setKnown(0, intTensor(dims, {int64_t(dims.size())}));
  return success();
}

LogicalResult lowerRange(Imp &m) {
  const auto &s = m.knownIn(0), &l = m.knownIn(1), &d = m.knownIn(2);
  if (!s || !l || !d)
    return m.unsupported("Range with inputs computed at run time");
  if (isFloat(s->dtype)) {
    double st = realAt(*s, 0), li = realAt(*l, 0), de = realAt(*d, 0);
    int64_t n = std::max<int64_t>(0, int64_t(std::ceil((li - st) / de)));
    if (n > kMaxOnnxElements)
      return m.fail() << "too many elements";
    HostTensor t = HostTensor::zeros(s->dtype, {n});
    for (int64_t i = 0; i < n; ++i) {
      double v = st + i * de;
      if (s->dtype == DType::F32) {
        float f = v;
        std::memcpy(&t.bytes[4 * i], &f, 4);
      } else if (s->dtype == DType::F64) {
        std::memcpy(&t.bytes[8 * i], &v, 8);
      } else {
        return m.unsupported("Range element type");
      }
    }
    m.setKnown(0, std::move(t));
    return success();
  }
  int64_t st = intAt(*s, 0), li = intAt(*l, 0), de = intAt(*d, 0);
  if (de == 0)
    return m.fail() << "delta is 0";
  int64_t n = std::max<int64_t>(0, (li - st + de + (de > 0 ? -1 : 1)) / de);
  if (n > kMaxOnnxElements)
    return m.fail() << "too many elements";
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = st + i * de;
  HostTensor t = intTensor(v, {n});
  if (s->dtype == DType::I32) {
    HostTensor t32 = HostTensor::zeros(DType::I32, {n});
    for (int64_t i = 0; i < n; ++i) {
      int32_t x = int32_t(v[i]);
      std::memcpy(&t32.bytes[4 * i], &x, 4);
    }
    t = std::move(t32);
  }
  m.setKnown(0, std::move(t));
  return success();
}

/// Element type of an ONNX `to` attribute.
FailureOr<Type> castTarget(Imp &m, int64_t to) {
  auto d = dtypeOfOnnx(int(to));
  if (!d)
    return FailureOr<Type>(m.unsupported("cast target " + onnxTypeName(int(to))));
  return mlirType(&m.context(), *d);
}

Value castTo(Imp &m, Value x, Type t) {
  if (!x || Imp::elemOf(x) == t)
    return x;
  return m.op("cast", {x}, {m.na("to", TypeAttr::get(t))});
}

/// Opset < 7 binary ops take `broadcast` (and maybe `axis`): plain numpy
/// suffix broadcasting is what `broadcast = 1` without axis means.
/// Before opset 7, `broadcast = 1` with `axis` lines B's dims up with A's
/// from `axis` on: B reshaped to A's rank (ones around it) then broadcasts
/// by numpy's rules. Without `rhs` to reshape, an axis is unsupported.
LogicalResult legacyBroadcast(Imp &m, Value *rhs = nullptr) {
  m.attr("broadcast");
  if (!m.attr("axis"))
    return success();
  if (!rhs || !*rhs || !m.in(0))
    return m.unsupported("attribute 'axis' (legacy broadcast)");
  int64_t ra = shapeOf(m.in(0)).size(), axis = m.attrInt("axis", 0);
  auto bs = shapeOf(*rhs);
  if (axis < 0)
    axis += ra;
  if (axis < 0 || axis + int64_t(bs.size()) > ra)
    return m.fail() << "axis " << m.attrInt("axis", 0) << " does not fit B "
                    << formatShape(bs) << " into A of rank " << ra;
  SmallVector<int64_t> shape(ra, 1);
  std::copy(bs.begin(), bs.end(), shape.begin() + axis);
  *rhs = m.reshape(*rhs, shape);
  return success();
}

LogicalResult lowerBinary(Imp &m, const char *name) {
  Value l = m.in(0), r = m.in(1);
  if (failed(legacyBroadcast(m, &r)))
    return failure();
  if (StringRef(name) == "pow" && l && r)
    r = castTo(m, r, Imp::elemOf(l)); // Pow allows a different exponent type
  return done(m, m.op(name, {l, r}));
}

LogicalResult lowerVariadic(Imp &m, const char *name, bool mean) {
  Value acc = m.in(0);
  for (unsigned i = 1; i < m.numInputs(); ++i)
    acc = m.op(name, {acc, m.in(i)});
  if (mean && acc && m.numInputs() > 1)
    acc = m.op("div", {acc, m.scalar(m.numInputs(), Imp::elemOf(acc))});
  return done(m, acc);
}

//===--- LSTM and GRU ---===//

/// ONNX LSTM and GRU as dlc.lstm / dlc.gru: default activations only, no
/// clip, no peepholes, no per-batch sequence lengths (unless known to be
/// the full length); `layout = 1` (batch first) is transposed around the op.
LogicalResult lowerRecurrent(Imp &m, bool lstm) {
  const char *name = lstm ? "lstm" : "gru";
  for (unsigned i = 0; i < 3; ++i)
    if (!m.hasInput(i))
      return m.fail() << "missing input " << i << " ("
                      << (i == 0 ? "X" : i == 1 ? "W" : "R") << ")";
  Value x = m.in(0);
  if (!x || !m.in(1) || !m.in(2))
    return failure();
  if (shapeOf(x).size() != 3)
    return m.fail() << "expects X of rank 3, got rank "
                    << shapeOf(x).size();
  std::string direction = m.attrString("direction", "forward");
  const AttributeProto *hidden = m.attr("hidden_size");
  if (!hidden)
    return m.fail() << "missing attribute 'hidden_size'";
  int64_t layout = m.attrInt("layout", 0);
  if (layout != 0 && layout != 1)
    return m.fail() << "attribute 'layout' must be 0 or 1, got " << layout;
  if (m.attr("clip"))
    return m.unsupported("attribute 'clip'");
  if (m.attrInt("input_forget", 0) != 0)
    return m.unsupported("input_forget = 1");
  if (const AttributeProto *a = m.attr("activations")) {
    std::vector<std::string> dflt =
        lstm ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
             : std::vector<std::string>{"Sigmoid", "Tanh"};
    for (int i = 0; i < a->strings_size(); ++i)
      if (a->strings(i) != dflt[i % dflt.size()])
        return m.unsupported("activation '" + a->strings(i) +
                             "' (only the defaults: " +
                             (lstm ? "Sigmoid, Tanh, Tanh" : "Sigmoid, Tanh") +
                             ")");
  }
  m.attr("activation_alpha"); // only read by activations that take them
  m.attr("activation_beta");
  bool lbr = !lstm && m.attrInt("linear_before_reset", 0) != 0;
  if (lstm && m.hasInput(7))
    return m.unsupported("input 7 (P, peepholes)");
  if (m.hasInput(4)) {
    // Sequence lengths that are all the full length change nothing.
    const auto &k = m.knownIn(4);
    int64_t seq = shapeOf(x)[layout == 1 ? 1 : 0];
    bool full = k.has_value();
    for (int64_t i = 0; full && i < k->numel(); ++i)
      full = intAt(*k, i) == seq;
    if (!full)
      return m.unsupported("input 4 (sequence_lens) other than a constant "
                           "equal to the sequence length");
  }
  // Batch-first layout: X [B, S, I] and the states [B, D, H].
  auto swap01 = [&](Value v) -> Value {
    if (!v || layout == 0)
      return v;
    return m.op("transpose", {v}, {m.na("perm", m.i64s({1, 0, 2}))});
  };
  SmallVector<Value> operands{swap01(x), m.in(1), m.in(2)};
  SmallVector<int32_t> segments{1, 1, 1};
  auto optional = [&](unsigned i, bool state) {
    segments.push_back(m.hasInput(i));
    if (m.hasInput(i))
      operands.push_back(state ? swap01(m.in(i)) : m.in(i));
  };
  optional(3, false);
  optional(5, true);
  if (lstm)
    optional(6, true);
  SmallVector<NamedAttribute> attrs{
      m.na("hidden_size", m.i64(hidden->i())),
      m.na("direction", m.builder().getStringAttr(direction)),
      m.na("operandSegmentSizes",
           m.builder().getDenseI32ArrayAttr(segments))};
  if (lbr)
    attrs.push_back(m.na("linear_before_reset", m.builder().getBoolAttr(true)));
  Value y = m.op(name, operands, attrs);
  if (!y)
    return failure();
  Operation *op = y.getDefiningOp();
  auto out = [&](unsigned i, ArrayRef<int64_t> perm) {
    Value v = op->getResult(i);
    if (layout == 1)
      v = m.op("transpose", {v}, {m.na("perm", m.i64s(perm))});
    m.setOut(i, v);
  };
  out(0, {2, 0, 1, 3}); // [S, D, B, H] -> [B, S, D, H]
  for (unsigned i = 1; i < op->getNumResults(); ++i)
    out(i, {1, 0, 2}); // [D, B, H] -> [B, D, H]
  return success();
}

const std::map<std::string, Rule> &rules() {
  static const std::map<std::string, Rule> table = [] {
    std::map<std::string, Rule> t;
    // Unary ops with a dlc op of their own.
    for (auto [onnx, dlc] : std::initializer_list<std::pair<const char *, const char *>>{
             {"Neg", "neg"}, {"Exp", "exp"}, {"Log", "log"}, {"Sqrt", "sqrt"},
             {"Tanh", "tanh"}, {"Sigmoid", "sigmoid"}, {"Relu", "relu"},
             {"Erf", "erf"}})
      t[onnx] = [dlc = dlc](Imp &m) { return done(m, m.op(dlc, {m.in(0)})); };
    for (auto [onnx, dlc] : std::initializer_list<std::pair<const char *, const char *>>{
             {"Add", "add"}, {"Sub", "sub"}, {"Mul", "mul"}, {"Div", "div"},
             {"Pow", "pow"}})
      t[onnx] = [dlc = dlc](Imp &m) { return lowerBinary(m, dlc); };
    for (auto [onnx, dlc] : std::initializer_list<std::pair<const char *, const char *>>{
             {"Equal", "eq"}, {"Less", "lt"}, {"Greater", "gt"},
             {"LessOrEqual", "le"}, {"GreaterOrEqual", "ge"}})
      t[onnx] = [dlc = dlc](Imp &m) {
        if (failed(legacyBroadcast(m)))
          return failure();
        return done(m, m.compare(m.in(0), m.in(1), dlc));
      };
    t["Max"] = [](Imp &m) { return lowerVariadic(m, "maximum", false); };
    t["Min"] = [](Imp &m) { return lowerVariadic(m, "minimum", false); };
    t["Sum"] = [](Imp &m) { return lowerVariadic(m, "add", false); };
    t["Mean"] = [](Imp &m) { return lowerVariadic(m, "add", true); };
    // Decomposed activations.
    t["Reciprocal"] = [](Imp &m) {
      Value x = m.in(0);
      return done(m, m.op("div", {m.scalar(1, Imp::elemOf(x)), x}));
    };
    t["Abs"] = [](Imp &m) { return done(m, absOf(m, m.in(0))); };
    t["LeakyRelu"] = [](Imp &m) {
      Value x = m.in(0);
      Type ty = Imp::elemOf(x);
      Value neg = m.op("mul", {x, m.scalar(m.attrFloat("alpha", 0.01), ty)});
      return done(m, m.op("where", {m.compare(x, m.scalar(0, ty), "lt"), neg, x}));
    };
    t["PRelu"] = [](Imp &m) {
      Value x = m.in(0), slope = m.in(1);
      // Before opset 7 a [C] slope applies along dim 1.
      auto xs = shapeOf(x), ss = shapeOf(slope);
      if (m.opset < 7 && ss.size() == 1 && xs.size() > 2 && ss[0] == xs[1] &&
          ss[0] != 1) {
        SmallVector<int64_t> s(xs.size() - 1, 1);
        s[0] = ss[0];
        slope = m.reshape(slope, s);
      }
      Value neg = m.op("mul", {x, slope});
      return done(m, m.op("where", {m.compare(x, m.scalar(0, Imp::elemOf(x)), "lt"),
                                    neg, x}));
    };
    t["Elu"] = [](Imp &m) {
      return done(m, eluOf(m, m.in(0), m.attrFloat("alpha", 1.0)));
    };
    t["Selu"] = [](Imp &m) {
      Value x = m.in(0);
      double alpha = m.attrFloat("alpha", 1.67326319217681884765625);
      double gamma = m.attrFloat("gamma", 1.05070102214813232421875);
      return done(m, m.op("mul", {eluOf(m, x, alpha),
                                  m.scalar(gamma, Imp::elemOf(x))}));
    };
    t["Celu"] = [](Imp &m) {
      Value x = m.in(0);
      Type ty = Imp::elemOf(x);
      double alpha = m.attrFloat("alpha", 1.0);
      Value e = m.op("mul", {m.op("sub", {m.op("exp", {m.op("div", {x, m.scalar(alpha, ty)})}),
                                          m.scalar(1, ty)}),
                             m.scalar(alpha, ty)});
      return done(m, m.op("add", {m.op("maximum", {x, m.scalar(0, ty)}),
                                  m.op("minimum", {e, m.scalar(0, ty)})}));
    };
    t["HardSigmoid"] = [](Imp &m) {
      return done(m, hardSigmoidOf(m, m.in(0), m.attrFloat("alpha", 0.2),
                                   m.attrFloat("beta", 0.5)));
    };
    t["HardSwish"] = [](Imp &m) {
      Value x = m.in(0);
      return done(m, m.op("mul", {x, hardSigmoidOf(m, x, 1.0 / 6, 0.5)}));
    };
    t["Softplus"] = [](Imp &m) {
      // max(x, 0) + log(1 + exp(-|x|)): no overflow for large x.
      Value x = m.in(0);
      Type ty = Imp::elemOf(x);
      Value tail = m.op("log", {m.op("add", {m.scalar(1, ty),
                                             m.op("exp", {m.op("neg", {absOf(m, x)})})})});
      return done(m, m.op("add", {m.op("maximum", {x, m.scalar(0, ty)}), tail}));
    };
    t["Softsign"] = [](Imp &m) {
      Value x = m.in(0);
      return done(m, m.op("div", {x, m.op("add", {m.scalar(1, Imp::elemOf(x)),
                                                  absOf(m, x)})}));
    };
    t["ThresholdedRelu"] = [](Imp &m) {
      Value x = m.in(0);
      Type ty = Imp::elemOf(x);
      Value c = m.compare(x, m.scalar(m.attrFloat("alpha", 1.0), ty), "gt");
      return done(m, m.op("where", {c, x, m.scalar(0, ty)}));
    };
    t["Shrink"] = [](Imp &m) {
      // x < -lambd: x + bias; x > lambd: x - bias; else 0.
      Value x = m.in(0);
      Type ty = Imp::elemOf(x);
      double lambd = m.attrFloat("lambd", 0.5), bias = m.attrFloat("bias", 0);
      Value hi = m.op("where", {m.compare(x, m.scalar(lambd, ty), "gt"),
                                m.op("sub", {x, m.scalar(bias, ty)}),
                                m.scalar(0, ty)});
      return done(m, m.op("where", {m.compare(x, m.scalar(-lambd, ty), "lt"),
                                    m.op("add", {x, m.scalar(bias, ty)}), hi}));
    };
    t["Sign"] = [](Imp &m) {
      Value x = m.in(0);
      Type ty = Imp::elemOf(x);
      Value z = m.scalar(0, ty);
      Value neg = m.op("where", {m.compare(x, z, "lt"), m.scalar(-1, ty), z});
      return done(m, m.op("where", {m.compare(x, z, "gt"), m.scalar(1, ty), neg}));
    };
    t["IsNaN"] = [](Imp &m) {
      Value x = m.in(0);
      return done(m, m.compare(x, x, "ne"));
    };
    t["IsInf"] = [](Imp &m) {
      Value x = m.in(0);
      Type ty = Imp::elemOf(x);
      bool neg = m.attrInt("detect_negative", 1), pos = m.attrInt("detect_positive", 1);
      double inf = std::numeric_limits<double>::infinity();
      Value r;
      if (pos)
        r = m.compare(x, m.scalar(inf, ty), "eq");
      if (neg) {
        Value n = m.compare(x, m.scalar(-inf, ty), "eq");
        r = r ? m.op("where", {r, r, n}) : n;
      }
      if (!r) // detects neither: all false
        r = m.compare(x, m.scalar(inf, ty), "gt");
      return done(m, r);
    };
    // Logic.
    t["Where"] = [](Imp &m) { return done(m, m.op("where", {m.in(0), m.in(1), m.in(2)})); };
    t["Not"] = [](Imp &m) {
      Value x = m.in(0);
      return done(m, m.compare(x, m.scalar(0, Imp::elemOf(x)), "eq"));
    };
    t["And"] = [](Imp &m) {
      if (failed(legacyBroadcast(m)))
        return failure();
      Value a = m.in(0);
      return done(m, m.op("where", {a, m.in(1), m.scalar(0, Imp::elemOf(a))}));
    };
    t["Or"] = [](Imp &m) {
      if (failed(legacyBroadcast(m)))
        return failure();
      Value a = m.in(0);
      return done(m, m.op("where", {a, m.scalar(1, Imp::elemOf(a)), m.in(1)}));
    };
    t["Xor"] = [](Imp &m) {
      if (failed(legacyBroadcast(m)))
        return failure();
      return done(m, m.compare(m.in(0), m.in(1), "ne"));
    };
    t["Cast"] = [](Imp &m) {
      auto to = castTarget(m, m.attrInt("to", 0));
      if (failed(to))
        return failure();
      return done(m, castTo(m, m.in(0), *to));
    };
    t["CastLike"] = [](Imp &m) {
      return done(m, castTo(m, m.in(0), Imp::elemOf(m.in(1))));
    };
    // Reductions and normalizations.
    for (const char *r : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin",
                          "ReduceL1", "ReduceL2", "ReduceSumSquare",
                          "ReduceLogSum", "ReduceLogSumExp"})
      t[r] = [r = std::string(r)](Imp &m) { return lowerReduce(m, r); };
    t["Softmax"] = [](Imp &m) { return lowerSoftmax(m, "softmax"); };
    t["LogSoftmax"] = [](Imp &m) { return lowerSoftmax(m, "log_softmax"); };
    t["BatchNormalization"] = lowerBatchNorm;
    t["LayerNormalization"] = lowerLayerNorm;
    t["InstanceNormalization"] = lowerInstanceNorm;
    // Contractions and windows.
    t["Conv"] = lowerConv;
    t["ConvTranspose"] = lowerConvTranspose;
    t["MaxPool"] = [](Imp &m) { return lowerPool(m, true); };
    t["AveragePool"] = [](Imp &m) { return lowerPool(m, false); };
    t["GlobalAveragePool"] = [](Imp &m) { return lowerGlobalPool(m, "reduce_mean"); };
    t["GlobalMaxPool"] = [](Imp &m) { return lowerGlobalPool(m, "reduce_max"); };
    t["Gemm"] = lowerGemm;
    t["MatMul"] = lowerMatMul;
    t["LSTM"] = [](Imp &m) { return lowerRecurrent(m, true); };
    t["GRU"] = [](Imp &m) { return lowerRecurrent(m, false); };
    // Shapes and data movement.
    t["Reshape"] = lowerReshape;
    t["Flatten"] = [](Imp &m) {
      Value x = m.in(0);
      int64_t axis = m.attrInt("axis", 1);
      int64_t rank = shapeOf(x).size();
      if (axis < 0)
        axis += rank;
      return done(m, m.op("flatten", {x}, {m.na("axis", m.i64(axis))}));
    };
    t["Transpose"] = [](Imp &m) {
      Value x = m.in(0);
      SmallVector<int64_t> perm;
      if (auto p = m.attrInts("perm"))
        perm = *p;
      else
        for (int64_t i = shapeOf(x).size() - 1; i >= 0; --i)
          perm.push_back(i);
      return done(m, m.op("transpose", {x}, {m.na("perm", m.i64s(perm))}));
    };
    t["Concat"] = lowerConcat;
    t["Slice"] = lowerSlice;
    t["Split"] = lowerSplit;
    t["Expand"] = lowerExpand;
    t["Tile"] = lowerTile;
    t["Pad"] = lowerPad;
    t["Squeeze"] = [](Imp &m) { return lowerSqueeze(m, false); };
    t["Unsqueeze"] = [](Imp &m) { return lowerSqueeze(m, true); };
    t["Gather"] = lowerGather;
    t["Clip"] = lowerClip;
    t["Identity"] = [](Imp &m) { return done(m, m.in(0)); };
    t["Dropout"] = [](Imp &m) {
      if (m.outputUsed(1))
        return m.unsupported("output 1 (mask)");
      m.attr("ratio");
      m.attr("seed");
      if (const auto *a = m.attr("is_test"); a && a->i() == 0 && m.opset < 7)
        return m.unsupported("training-mode Dropout");
      if (m.hasInput(2)) {
        const auto &k = m.knownIn(2);
        if (!k || intAt(*k, 0) != 0)
          return m.unsupported("training-mode Dropout");
      }
      return done(m, m.in(0));
    };
    t["Constant"] = lowerConstant;
    t["ConstantOfShape"] = lowerConstantOfShape;
    t["Shape"] = lowerShape;
    t["Size"] = [](Imp &m) {
      m.setKnown(0, intTensor({product(m.typeOfInput(0).getShape())}, {}));
      return success();
    };
    t["Range"] = lowerRange;
    return t;
  }();
  return table;
}

} // namespace

std::vector<std::string> supportedOnnxOps() {
  std::vector<std::string> out;
  for (const auto &[name, rule] : rules())
    out.push_back(name);
  return out;
}

OwningOpRef<ModuleOp> importOnnxModel(MLIRContext &ctx, StringRef path,
                                      const ImportOptions &opts) {
  ctx.loadDialect<mlir::dlc::DlcDialect, func::FuncDialect>();
  return OnnxImporter(ctx, path, opts).run();
}

} // namespace dlc
