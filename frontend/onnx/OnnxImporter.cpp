//===- OnnxImporter.cpp - an ONNX model to a dlc module -------------------===//
//
// Parses the ModelProto with protobuf, then walks the graph's nodes in file
// order (ONNX requires topological order) and lowers each with the
// converter registered for its op type and the model's opset
// (frontend/onnx/Converters.h; docs/onnx.md lists them). Ops are built with the
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
// Validation. Each node's input and output counts are checked against its
// ONNX schema for the model's opset (libonnx's OpSchemaRegistry), and every
// value name is defined once: a node output that repeats another node's
// output, a graph input or an initializer is an error, not a silent
// redefinition.
//
// Errors name the node, its op type and the opset:
//   model.onnx:0:3: error: node 'Det_3' (Det, opset 13): unsupported op
// The location is NameLoc(node name, FileLineColLoc(file, 0, node index)).
//
#include "frontend/onnx/Converters.h"
#include "frontend/onnx/OnnxImporter.h"
#include "frontend/onnx/Schema.h"

#include "frontend/BuildOp.h"
#include "frontend/OnnxImport.h"
#include "ir/DlcDialect.h"
#include "ir/DlcOps.h"
#include "ir/Interpreter.h"
#include "ir/ModelAttrs.h"
#include "runtime/core/CacheDir.h"
#include "runtime/io/TensorFile.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"

#include <cstring>
#include <limits>

using namespace mlir;

namespace dlc {
namespace onnx_import {

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



//===----------------------------------------------------------------------===//
// Building dlc ops
//===----------------------------------------------------------------------===//

Value OnnxImporter::op(StringRef name, ValueRange operands,
                       ArrayRef<NamedAttribute> attrs) {
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

Value OnnxImporter::scalar(double v, Type elem) {
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

Value OnnxImporter::constant(const HostTensor &t) {
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

FailureOr<SmallVector<int64_t>> OnnxImporter::intsIn(unsigned i,
                                                     const char *what) {
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

/// The function's arguments: graph inputs, then float initializers as
/// parameters (their values written to the cache); other initializers
/// become known values.
LogicalResult OnnxImporter::importArguments(func::FuncOp func) {
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
    definedBy.emplace(t.name(), "initializer");
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
    definedBy.emplace(vi.name(), "graph input");
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
  return success();
}

LogicalResult OnnxImporter::importGraph(func::FuncOp func) {
  if (failed(importArguments(func)))
    return failure();
  const onnx::GraphProto &g = model.graph();
  for (nodeIndex = 0; nodeIndex < g.node_size(); ++nodeIndex) {
    node = &g.node(nodeIndex);
    loc = NameLoc::get(
        b.getStringAttr(node->name().empty() ? "#" + std::to_string(nodeIndex)
                                             : node->name()),
        FileLineColLoc::get(&ctx, path, 0, nodeIndex));
    if (failed(lowerNode()))
      return failure();
  }
  return importResults(func);
}

/// The graph outputs as the function's results; then the ops that folding
/// left unused are dropped.
LogicalResult OnnxImporter::importResults(func::FuncOp func) {
  const onnx::GraphProto &g = model.graph();
  Location fileLoc = FileLineColLoc::get(&ctx, path, 0, 0);
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
  func.setFunctionType(b.getFunctionType(func.getArgumentTypes(),
                                         ValueRange(results).getTypes()));
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
  if (failed(checkArity()) || failed(checkOutputNames()))
    return failure();
  const OnnxConverter *converter =
      onnxConverters().lookup(node->op_type(), opset);
  if (!converter)
    return fail() << "unsupported op";
  // Converters read their required inputs unchecked; a missing one is an
  // error here (an empty name marks an absent optional input in ONNX).
  for (unsigned i = 0, e = converter->required(numInputs()); i < e; ++i)
    if (!hasInput(i))
      return fail() << "missing input " << i;
  used.clear();
  Operation *marker = body->empty() ? nullptr : &body->back();
  if (failed(converter->convert(*this)))
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

/// "1 input", "2 to 3 inputs", "at least 1 input".
static std::string countRange(int lo, int hi, const char *noun) {
  std::string n = noun;
  if (hi == std::numeric_limits<int>::max())
    return "at least " + std::to_string(lo) + " " + n + (lo == 1 ? "" : "s");
  if (lo == hi)
    return std::to_string(lo) + " " + n + (lo == 1 ? "" : "s");
  return std::to_string(lo) + " to " + std::to_string(hi) + " " + n + "s";
}

/// The node's input and output counts against its ONNX schema at the
/// model's opset (listed names count, empty ones included, as in ONNX's
/// checker). An op without a schema there is left to the converter lookup.
LogicalResult OnnxImporter::checkArity() {
  std::optional<OnnxArity> a = onnxArity(node->op_type(), int(opset));
  if (!a)
    return success();
  int ins = node->input_size(), outs = node->output_size();
  if (ins < a->minInputs || ins > a->maxInputs)
    return fail() << "takes " << countRange(a->minInputs, a->maxInputs, "input")
                  << ", the node lists " << ins;
  if (outs < a->minOutputs || outs > a->maxOutputs)
    return fail() << "produces "
                  << countRange(a->minOutputs, a->maxOutputs, "output")
                  << ", the node lists " << outs;
  return success();
}

/// Every value name is defined once (ONNX's SSA rule): a node output may
/// not repeat a graph input, an initializer or an earlier output.
LogicalResult OnnxImporter::checkOutputNames() {
  for (const std::string &o : node->output()) {
    if (o.empty())
      continue;
    auto [it, fresh] = definedBy.emplace(o, "node " + nodeLabel());
    if (!fresh)
      return fail() << "output '" << o << "' is already defined by "
                    << it->second;
  }
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

} // namespace onnx_import

std::vector<std::string> supportedOnnxOps() {
  return onnx_import::onnxConverters().opTypes();
}

OwningOpRef<ModuleOp> importOnnxModel(MLIRContext &ctx, StringRef path,
                                      const ImportOptions &opts) {
  ctx.loadDialect<mlir::dlc::DlcDialect, func::FuncDialect>();
  return onnx_import::OnnxImporter(ctx, path, opts).run();
}

} // namespace dlc
