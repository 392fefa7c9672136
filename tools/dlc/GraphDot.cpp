//===- GraphDot.cpp - the fused graph as Graphviz -------------------------===//
//
// One cluster per kernel (dlc.fusion), one node per op inside it, labelled
// with the model node's name and the op; inputs, parameters and outputs as
// ellipses. Edges follow values across kernel boundaries.
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/Commands.h"

#include "ir/DlcOps.h"
#include "ir/ModelAttrs.h"
#include "runtime/core/AtomicFile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace dlc::tools {
namespace {

/// A Graphviz string literal: quotes and backslashes escaped, newlines
/// kept as line breaks.
std::string quote(llvm::StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  return "";
}

class DotWriter {
public:
  explicit DotWriter(llvm::raw_ostream &os) : os(os) {}

  void write(func::FuncOp func, llvm::StringRef title) {
    os << "digraph " << quote(title) << " {\n"
       << "  node [shape=box, fontname=\"monospace\"];\n";
    for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
      auto name = func.getArgAttrOfType<StringAttr>(i, attrs::kInput);
      if (!name)
        name = func.getArgAttrOfType<StringAttr>(i, attrs::kParam);
      std::string id = "arg" + std::to_string(i);
      os << "  " << id << " [shape=ellipse, label="
         << quote(name ? name.getValue() : id) << "];\n";
      source[arg] = id;
    }
    for (Operation &op : func.getBody().front()) {
      if (auto fusion = dyn_cast<mlir::dlc::FusionOp>(op))
        writeFusion(fusion);
      else if (!isa<func::ReturnOp>(op))
        writeOp(op, "  ");
    }
    Operation *ret = func.getBody().front().getTerminator();
    for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
      auto name = func.getResultAttrOfType<StringAttr>(i, attrs::kOutput);
      std::string id = "out" + std::to_string(i);
      os << "  " << id << " [shape=ellipse, label="
         << quote(name ? name.getValue() : id) << "];\n";
      edge(v, id);
    }
    os << "}\n";
  }

private:
  void writeFusion(mlir::dlc::FusionOp fusion) {
    os << "  subgraph cluster_" << clusters++ << " {\n    label="
       << quote((fusion.getName() + " (" + fusion.getKind() + ")").str()) << ";\n";
    Block &body = fusion.getBody().front();
    for (auto [arg, operand] :
         llvm::zip(body.getArguments(), fusion.getOperands()))
      source[arg] = source.lookup(operand);
    for (Operation &op : body.without_terminator())
      writeOp(op, "    ");
    os << "  }\n";
    for (auto [result, yielded] :
         llvm::zip(fusion.getResults(), body.getTerminator()->getOperands()))
      source[result] = source.lookup(yielded);
  }

  void writeOp(Operation &op, llvm::StringRef indent) {
    std::string id = "n" + std::to_string(nodes++);
    std::string node = nodeName(op.getLoc());
    std::string label = node.empty() ? op.getName().getStringRef().str()
                                     : node + "\n" +
                                           op.getName().stripDialect().str();
    os << indent << id << " [label=" << quote(label) << "];\n";
    for (Value v : op.getOperands())
      edge(v, id);
    for (Value r : op.getResults())
      source[r] = id;
  }

  void edge(Value from, const std::string &to) {
    std::string id = source.lookup(from);
    if (!id.empty())
      os << "  " << id << " -> " << to << ";\n";
  }

  llvm::raw_ostream &os;
  llvm::DenseMap<Value, std::string> source;
  unsigned nodes = 0, clusters = 0;
};

} // namespace

bool writeGraphDot(func::FuncOp func, llvm::StringRef title,
                   const std::string &path, std::string &err) {
  std::string text;
  llvm::raw_string_ostream os(text);
  DotWriter(os).write(func, title);
  return writeFileAtomically(path, {text}, err);
}

} // namespace dlc::tools
