//===- JsonImporter.cpp - a JSON model file to a dlc module ---------------===//
//
// Reads the file, checks every field, orders the nodes topologically and
// builds one func.func (ir/ModelAttrs.h). Ops are built generically from the
// schema table: an OperationState with operands and attributes, the result
// type from the op's InferTypeOpInterface, then the op's verifier. The
// first error is reported (at the field's position in the file) and the
// import stops.
//
//===----------------------------------------------------------------------===//
#include "frontend/Importer.h"
#include "frontend/BuildOp.h"

#include "ir/DlcDialect.h"
#include "ir/DlcOps.h"
#include "ir/ModelAttrs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;

namespace dlc {

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

Location Importer::locOf(const std::string &pointer) {
  std::string p = pointer;
  while (positions) {
    if (auto off = positions->offset(p)) {
      auto [line, col] = positions->lineCol(*off);
      return FileLineColLoc::get(&ctx, path, line, col);
    }
    if (p.empty())
      break;
    p.erase(p.rfind('/'));
  }
  return FileLineColLoc::get(&ctx, path, 1, 1);
}

/// "attributes/stride" -> "attributes.stride", "inputs/2" -> "inputs[2]".
static std::string displayField(llvm::StringRef field) {
  std::string out;
  llvm::SmallVector<llvm::StringRef> parts;
  field.split(parts, '/');
  for (llvm::StringRef part : parts) {
    if (!part.empty() && llvm::all_of(part, llvm::isDigit)) {
      out += "[" + part.str() + "]";
      continue;
    }
    std::string token = part.str();
    for (size_t i; (i = token.find("~1")) != std::string::npos;)
      token.replace(i, 2, "/");
    for (size_t i; (i = token.find("~0")) != std::string::npos;)
      token.replace(i, 2, "~");
    out += (out.empty() ? "" : ".") + token;
  }
  return out;
}

InFlightDiagnostic Importer::error(const Subject &s, const std::string &field) {
  std::string pointer = field.empty() ? s.pointer : s.pointer + "/" + field;
  InFlightDiagnostic diag = emitError(locOf(pointer));
  if (!s.what.empty())
    diag << s.what << ": ";
  if (!field.empty())
    diag << "field '" << displayField(field) << "': ";
  return diag;
}

namespace {

const char *const kTopKeys[] = {"format",  "version",    "name",
                                "seed",    "inputs",     "parameters",
                                "nodes",   "outputs",    "training"};
const char *const kRequiredTopKeys[] = {"format", "version", "inputs",
                                        "nodes", "outputs"};

/// The top level: no subject, messages start at the field.
const Subject kTop{"", ""};

/// Checks that an object has only `allowed` keys and all `required` ones.
template <typename F>
LogicalResult checkKeys(const json::Value &obj,
                        llvm::ArrayRef<const char *> allowed,
                        llvm::ArrayRef<const char *> required, F fail) {
  for (const auto &[key, v] : obj.items())
    if (!llvm::is_contained(allowed, llvm::StringRef(key)))
      return fail(key, "unknown key '" + key + "' (expected " +
                           llvm::join(allowed.begin(), allowed.end(), ", ") +
                           ")");
  for (const char *key : required)
    if (!obj.contains(key))
      return fail("", std::string("missing required key '") + key + "'");
  return success();
}

/// The word-bounded first attribute of `attrs` that `message` names, as a
/// field ("attributes/axis"), else "inputs".
std::string fieldNamedBy(const std::string &message,
                         const NamedAttrList &attrs) {
  auto word = [](char c) { return llvm::isAlnum(c) || c == '_'; };
  for (const NamedAttribute &a : attrs) {
    llvm::StringRef attr = a.getName().strref();
    for (size_t at = message.find(attr.str()); at != std::string::npos;
         at = message.find(attr.str(), at + 1)) {
      size_t end = at + attr.size();
      if ((at == 0 || !word(message[at - 1])) &&
          (end == message.size() || !word(message[end])))
        return "attributes/" + attr.str();
    }
  }
  return "inputs";
}

} // namespace

//===----------------------------------------------------------------------===//
// The import, section by section
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> Importer::run() {
  json::Value root;
  if (failed(parseFile(root)) || failed(parseHeader(root)) ||
      failed(parseArgs(root)) || failed(parseNodes(root)) ||
      failed(checkNodeInputs()) || failed(orderNodes()))
    return nullptr;
  Location fileLoc = FileLineColLoc::get(&ctx, path, 1, 1);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  func::FuncOp func = buildFunction(*module);
  if (failed(buildBody(&func.getBody().front())) ||
      failed(parseOutputs(root)) || failed(parseTraining(root, *module)))
    return nullptr;
  func::ReturnOp::create(builder, locOf("/outputs"), results);
  func.setFunctionType(builder.getFunctionType(
      func.getArgumentTypes(), ValueRange(results).getTypes()));
  for (size_t i = 0; i < resultNames.size(); ++i)
    func.setResultAttr(i, attrs::kOutput,
                       builder.getStringAttr(resultNames[i]));
  if (failed(verify(*module))) {
    emitError(fileLoc) << "internal error: the imported module does not "
                          "verify";
    return nullptr;
  }
  return module;
}

LogicalResult Importer::parseFile(json::Value &root) {
  auto fileOr = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!fileOr)
    return emitError(UnknownLoc::get(&ctx))
           << "cannot read model file '" << path
           << "': " << fileOr.getError().message();
  llvm::StringRef text = (*fileOr)->getBuffer();
  try {
    root = json::Value::parse(text.begin(), text.end());
  } catch (const json::Value::parse_error &e) {
    // e.byte is 1-based and points at the last character read.
    size_t offset = e.byte > 0 ? std::min<size_t>(e.byte - 1, text.size()) : 0;
    positions = std::make_unique<JsonPositions>(
        std::string_view(text.data(), std::min(offset, text.size())), 0);
    auto [line, col] = positions->lineCol(offset);
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line
    // 1, column 2: " prefix; the location says it.
    size_t colon = what.find(": ");
    return emitError(FileLineColLoc::get(&ctx, path, line, col))
           << "invalid JSON: "
           << (colon == std::string::npos ? what : what.substr(colon + 2));
  } catch (const json::Value::exception &e) {
    // A number too large for a double ("number overflow parsing '1e400'")
    // comes without a position: find the quoted literal in the text.
    std::string what = e.what();
    size_t open = what.find('\''), close = what.rfind('\'');
    std::string literal = open < close ? what.substr(open + 1, close - open - 1)
                                       : std::string();
    size_t offset = literal.empty() ? 0 : text.find(literal);
    if (offset == llvm::StringRef::npos)
      offset = 0;
    positions = std::make_unique<JsonPositions>(
        std::string_view(text.data(), offset), 0);
    auto [line, col] = positions->lineCol(offset);
    size_t colon = what.find("] ");
    return emitError(FileLineColLoc::get(&ctx, path, line, col))
           << "invalid JSON: "
           << (colon == std::string::npos ? what : what.substr(colon + 2));
  }
  positions = std::make_unique<JsonPositions>(
      std::string_view(text.data(), text.size()), 6);
  if (const auto &dup = positions->duplicateKey())
    // Keys deeper than the recorded depth have no pointer: blame the root.
    return error(kTop, dup->empty() ? "" : dup->substr(1)) << "duplicate key";
  if (!root.is_object())
    return error(kTop, "")
           << "expected a JSON object with \"format\": \"dlc-model\"";
  return success();
}

LogicalResult Importer::parseHeader(const json::Value &root) {
  auto topFail = [&](const std::string &key, const std::string &msg) {
    if (key.empty())
      return LogicalResult(error(kTop, "") << msg);
    return LogicalResult(error(kTop, JsonPositions::child("", key).substr(1))
                         << msg);
  };
  if (failed(checkKeys(root, kTopKeys, kRequiredTopKeys, topFail)))
    return failure();
  if (root["format"] != "dlc-model")
    return error(kTop, "format") << "expected \"dlc-model\", got "
                                 << json::quote(root["format"]);
  if (json::asInt(root["version"]) != 1)
    return error(kTop, "version") << "unsupported version "
                                  << json::quote(root["version"])
                                  << " (this dlc reads version 1)";
  modelName = llvm::sys::path::stem(path).str();
  if (root.contains("name")) {
    if (!root["name"].is_string() || root["name"].get<std::string>().empty())
      return error(kTop, "name") << "expected a non-empty string, got "
                                 << json::quote(root["name"]);
    modelName = root["name"].get<std::string>();
  }
  if (root.contains("seed")) {
    auto s = json::asInt(root["seed"]);
    if (!s || *s < 0)
      return error(kTop, "seed") << "expected a non-negative integer, got "
                                 << json::quote(root["seed"]);
    seed = *s;
  }
  if (opts.batch && *opts.batch <= 0)
    return emitError(UnknownLoc::get(&ctx))
           << "--batch must be positive, got " << *opts.batch;
  return success();
}

LogicalResult Importer::declare(const std::string &name, const Subject &s,
                                NameRef ref) {
  auto [it, fresh] = names.emplace(name, ref);
  if (fresh)
    return success();
  auto [line, col] =
      positions->lineCol(positions->offset(it->second.pointer).value_or(0));
  return error(s, "name") << "duplicate name '" << name << "' (already the "
                          << it->second.what << " at line " << line << ")";
}

//===--- inputs and parameters ---===//

LogicalResult Importer::parseArgs(const json::Value &root) {
  for (const char *section : {"inputs", "parameters"}) {
    bool isParam = section[0] == 'p';
    if (!root.contains(section))
      continue;
    const json::Value &list = root[section];
    if (!list.is_array())
      return error(kTop, section) << "expected a list, got "
                                  << json::quote(list);
    for (size_t i = 0; i < list.size(); ++i) {
      Subject s{"/" + std::string(section) + "/" + std::to_string(i),
                std::string(isParam ? "parameter" : "input") + " #" +
                    std::to_string(i)};
      if (failed(parseArg(list[i], std::move(s), isParam)))
        return failure();
    }
  }
  return success();
}

LogicalResult Importer::parseArg(const json::Value &e, Subject s,
                                 bool isParam) {
  if (!e.is_object())
    return error(s, "") << "expected an object with name and shape, got "
                        << json::quote(e);
  static const char *const kInputKeys[] = {"name", "shape", "dtype"};
  static const char *const kParamKeys[] = {"name", "shape", "dtype", "init"};
  auto fail = [&](const std::string &key, const std::string &msg) {
    return LogicalResult(
        error(s, key.empty() ? "" : JsonPositions::child("", key).substr(1))
        << msg);
  };
  // Name the subject as early as possible, for the messages below.
  if (e.contains("name") && e["name"].is_string() &&
      !e["name"].get<std::string>().empty())
    s.what = std::string(isParam ? "parameter '" : "input '") +
             e["name"].get<std::string>() + "'";
  if (failed(isParam
                 ? checkKeys(e, kParamKeys, {"name", "shape", "init"}, fail)
                 : checkKeys(e, kInputKeys, {"name", "shape"}, fail)))
    return failure();
  if (!e["name"].is_string() || e["name"].get<std::string>().empty())
    return error(s, "name") << "expected a non-empty string, got "
                            << json::quote(e["name"]);
  std::string name = e["name"].get<std::string>();
  s.what = std::string(isParam ? "parameter '" : "input '") + name + "'";
  auto shape = parseShape(s, "shape", e["shape"]);
  if (failed(shape))
    return failure();
  if (!isParam && opts.batch && !shape->empty())
    (*shape)[0] = *opts.batch;
  DType dtype = DType::F32;
  if (e.contains("dtype")) {
    auto t = parseDType(s, "dtype", e["dtype"]);
    if (failed(t))
      return failure();
    dtype = *t;
  }
  NamedAttrList attrs;
  if (isParam) {
    auto init = parseInit(s, e["init"], *shape, dtype);
    if (failed(init))
      return failure();
    attrs.append(attrs::kParam, builder.getStringAttr(name));
    attrs.append(attrs::kInit, *init);
  } else {
    attrs.append(attrs::kInput, builder.getStringAttr(name));
  }
  if (failed(declare(name, s,
                     {NameRef::Arg, args.size(), s.pointer,
                      isParam ? "parameter" : "input"})))
    return failure();
  args.push_back({name, RankedTensorType::get(*shape, elementType(dtype)), s,
                  attrs.getDictionary(&ctx)});
  return success();
}

//===--- nodes: fields first, in file order ---===//

LogicalResult Importer::parseNodes(const json::Value &root) {
  const json::Value &nodeList = root["nodes"];
  if (!nodeList.is_array() || nodeList.empty())
    return error(kTop, "nodes") << "expected a non-empty list of nodes, got "
                                << json::quote(nodeList);
  for (size_t i = 0; i < nodeList.size(); ++i)
    if (failed(parseNode(nodeList[i], {"/nodes/" + std::to_string(i),
                                       "node #" + std::to_string(i)})))
      return failure();
  return success();
}

LogicalResult Importer::parseNode(const json::Value &e, Subject s) {
  if (!e.is_object())
    return error(s, "") << "expected an object with name, op and inputs, got "
                        << json::quote(e);
  static const char *const kNodeKeys[] = {"name", "op", "inputs",
                                          "attributes"};
  auto fail = [&](const std::string &key, const std::string &msg) {
    return LogicalResult(
        error(s, key.empty() ? "" : JsonPositions::child("", key).substr(1))
        << msg);
  };
  if (e.contains("name") && e["name"].is_string() &&
      !e["name"].get<std::string>().empty())
    s.what = "node '" + e["name"].get<std::string>() + "'";
  if (failed(checkKeys(e, kNodeKeys, {"name", "op"}, fail)))
    return failure();
  if (!e["name"].is_string() || e["name"].get<std::string>().empty())
    return error(s, "name") << "expected a non-empty string, got "
                            << json::quote(e["name"]);
  std::string name = e["name"].get<std::string>();
  s.what = "node '" + name + "'";
  const json::Value &opJson = e["op"];
  const OpSchema *op =
      opJson.is_string() ? lookupOp(opJson.get<std::string>()) : nullptr;
  if (!op) {
    auto diag = error(s, "op") << "unknown op " << json::quote(opJson);
    if (opJson.is_string()) {
      llvm::StringRef near = nearestOpName(opJson.get<std::string>());
      if (!near.empty())
        diag << " (did you mean '" << near << "'?)";
    }
    return failure();
  }
  s.what += " (" + std::string(op->name) + ")";
  std::vector<std::string> inputs;
  if (e.contains("inputs")) {
    const json::Value &in = e["inputs"];
    if (!in.is_array())
      return error(s, "inputs") << "expected a list of names, got "
                                << json::quote(in);
    for (size_t k = 0; k < in.size(); ++k) {
      if (!in[k].is_string())
        return error(s, "inputs/" + std::to_string(k))
               << "expected a name, got " << json::quote(in[k]);
      inputs.push_back(in[k].get<std::string>());
    }
  }
  if (inputs.size() < op->minInputs || inputs.size() > op->maxInputs) {
    auto diag = error(s, "inputs") << "expected ";
    if (op->maxInputs == kVariadic)
      diag << "at least " << op->minInputs;
    else if (op->minInputs == op->maxInputs)
      diag << op->minInputs;
    else
      diag << op->minInputs << " or " << op->maxInputs;
    diag << (op->maxInputs == 1 ? " input" : " inputs");
    if (*op->inputNames)
      diag << " (" << op->inputNames << ")";
    diag << ", got " << inputs.size();
    return failure();
  }
  auto attrs = parseAttributes(
      s, *op, e.contains("attributes") ? &e["attributes"] : nullptr);
  if (failed(attrs))
    return failure();
  if (failed(declare(name, s, {NameRef::Node, nodes.size(), s.pointer,
                               "node"})))
    return failure();
  nodes.push_back({name, op, std::move(inputs), std::move(*attrs), s});
  return success();
}

LogicalResult Importer::checkNodeInputs() {
  for (const NodeDecl &n : nodes)
    for (size_t k = 0; k < n.inputs.size(); ++k)
      if (!names.count(n.inputs[k]))
        return error(n.subject, "inputs/" + std::to_string(k))
               << "unknown input '" << n.inputs[k]
               << "' (no input, parameter or node has that name)";
  return success();
}

//===--- topological order (iterative DFS; a cycle is an error) ---===//

LogicalResult Importer::orderNodes() {
  enum { kNew, kActive, kDone };
  std::vector<int> state(nodes.size(), kNew);
  for (size_t root = 0; root < nodes.size(); ++root) {
    if (state[root] != kNew)
      continue;
    std::vector<std::pair<size_t, size_t>> stack{{root, 0}};
    state[root] = kActive;
    while (!stack.empty()) {
      auto &[n, k] = stack.back();
      if (k == nodes[n].inputs.size()) {
        state[n] = kDone;
        order.push_back(n);
        stack.pop_back();
        continue;
      }
      const NameRef &ref = names.at(nodes[n].inputs[k++]);
      if (ref.kind != NameRef::Node || state[ref.index] == kDone)
        continue;
      if (state[ref.index] == kActive) {
        std::string cycle;
        bool on = false;
        for (auto &[m, unused] : stack) {
          on |= m == ref.index;
          if (on)
            cycle += nodes[m].name + " -> ";
        }
        cycle += nodes[ref.index].name;
        return error(nodes[ref.index].subject, "inputs")
               << "the nodes form a cycle (each takes the next as an "
                  "input): "
               << cycle;
      }
      state[ref.index] = kActive;
      stack.push_back({ref.index, 0});
    }
  }
  return success();
}

//===--- the module ---===//

func::FuncOp Importer::buildFunction(ModuleOp module) {
  Location fileLoc = module.getLoc();
  module->setAttr(attrs::kModel, builder.getStringAttr(modelName));
  module->setAttr(attrs::kSeed, builder.getI64IntegerAttr(seed));
  builder.setInsertionPointToEnd(module.getBody());
  SmallVector<Type> argTypes;
  for (const ArgDecl &a : args)
    argTypes.push_back(a.type);
  auto func = func::FuncOp::create(
      builder, NameLoc::get(builder.getStringAttr(modelName), fileLoc),
      attrs::kEntry, builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  values.assign(args.size() + nodes.size(), Value());
  for (size_t i = 0; i < args.size(); ++i) {
    Location loc = NameLoc::get(builder.getStringAttr(args[i].name),
                                locOf(args[i].subject.pointer));
    body->getArgument(i).setLoc(loc);
    func.setArgAttrs(i, args[i].attrs);
    values[i] = body->getArgument(i);
  }
  return func;
}

Value Importer::valueOf(const std::string &name) {
  const NameRef &ref = names.at(name);
  return values[ref.kind == NameRef::Arg ? ref.index
                                         : args.size() + ref.index];
}

LogicalResult Importer::buildBody(Block *body) {
  builder.setInsertionPointToEnd(body);
  for (size_t n : order) {
    NodeDecl &node = nodes[n];
    Location loc = NameLoc::get(builder.getStringAttr(node.name),
                                locOf(node.subject.pointer));
    SmallVector<Value> operands;
    for (const std::string &in : node.inputs)
      operands.push_back(valueOf(in));
    // The op's own shape rule gives the result type; its messages are
    // caught here and re-reported with the node and the field.
    std::string message;
    Operation *op =
        buildInferredOp(builder, loc, "dlc." + std::string(node.op->name),
                        operands, node.attrs.getAttrs(), message);
    if (!op) {
      // The op's location is the node; the field is an attribute the
      // message names, else the inputs.
      std::string field = fieldNamedBy(message, node.attrs);
      return emitError(loc) << node.subject.what << ": field '"
                            << displayField(field) << "': " << message;
    }
    values[args.size() + n] = op->getResult(0);
  }
  return success();
}

//===--- outputs and training ---===//

LogicalResult Importer::parseOutputs(const json::Value &root) {
  const json::Value &outputs = root["outputs"];
  if (!outputs.is_array() || outputs.empty())
    return error(kTop, "outputs") << "expected a non-empty list of names, got "
                                  << json::quote(outputs);
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string field = "outputs/" + std::to_string(i);
    if (!outputs[i].is_string())
      return error(kTop, field) << "expected a name, got "
                                << json::quote(outputs[i]);
    std::string name = outputs[i].get<std::string>();
    if (!names.count(name))
      return error(kTop, field) << "output '" << name
                                << "' names nothing (no input, parameter or "
                                   "node has that name)";
    if (llvm::is_contained(resultNames, name))
      return error(kTop, field) << "output '" << name << "' is listed twice";
    results.push_back(valueOf(name));
    resultNames.push_back(name);
  }
  return success();
}

LogicalResult Importer::parseTraining(const json::Value &root,
                                      ModuleOp module) {
  if (!root.contains("training"))
    return success();
  const json::Value &t = root["training"];
  Subject s{"/training", "training"};
  if (!t.is_object())
    return error(kTop, "training")
           << "expected an object with loss and optimizer, got "
           << json::quote(t);
  static const char *const kTrainingKeys[] = {"loss", "optimizer"};
  auto fail = [&](const std::string &key, const std::string &msg) {
    return LogicalResult(
        error(s, key.empty() ? "" : JsonPositions::child("", key).substr(1))
        << msg);
  };
  if (failed(checkKeys(t, kTrainingKeys, kTrainingKeys, fail)))
    return failure();
  const json::Value &loss = t["loss"];
  auto it =
      loss.is_string() ? names.find(loss.get<std::string>()) : names.end();
  if (it == names.end() || it->second.kind != NameRef::Node)
    return error(s, "loss") << "expected the name of a node, got "
                            << json::quote(loss);
  Value lossValue = valueOf(it->first);
  auto lossType = cast<RankedTensorType>(lossValue.getType());
  if (lossType.getRank() != 0 || !isa<FloatType>(lossType.getElementType()))
    return error(s, "loss") << "loss '" << it->first
                            << "' must be a 0-d float tensor (a scalar), but "
                               "it is "
                            << lossType;
  auto optimizer = parseOptimizer(s, t["optimizer"]);
  if (failed(optimizer))
    return failure();
  module->setAttr(
      attrs::kTraining,
      builder.getDictionaryAttr(
          {builder.getNamedAttr("loss", builder.getStringAttr(it->first)),
           builder.getNamedAttr("optimizer", *optimizer)}));
  // Training reads the loss from the function's results; returning it also
  // keeps it alive through dead-code elimination.
  if (!llvm::is_contained(resultNames, it->first)) {
    results.push_back(lossValue);
    resultNames.push_back(it->first);
  }
  return success();
}

OwningOpRef<ModuleOp> importModel(MLIRContext &ctx, llvm::StringRef path,
                                  const ImportOptions &opts) {
  ctx.loadDialect<mlir::dlc::DlcDialect, func::FuncDialect>();
  // Every JSON access is checked first; this catch keeps a missed case an
  // error instead of a crash, and no exception leaves the frontend.
  try {
    return Importer(ctx, path, opts).run();
  } catch (const std::exception &e) {
    emitError(FileLineColLoc::get(&ctx, path, 1, 1))
        << "internal error while importing: " << e.what();
    return nullptr;
  }
}

} // namespace dlc
