//===- CompileCommand.cpp - `dlc model.json`: compile and report ----------===//
#include "tools/dlc/Commands.h"

#include "ir/ModelAttrs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;
using namespace mlir;

namespace dlc::tools {

static cl::opt<std::string>
    dumpIR("dump-ir",
           cl::desc("Print the IR after a phase instead of the summary: "
                    "'import' (the dlc dialect as imported)"),
           cl::value_desc("phase"), cl::cat(dlcCategory()));

/// "f32[8, 1, 28, 28]"
static void printType(llvm::raw_ostream &os, Type type) {
  auto t = cast<RankedTensorType>(type);
  os << t.getElementType() << "[";
  llvm::interleaveComma(t.getShape(), os);
  os << "]";
}

/// A one-screen report of what was imported.
static void printSummary(llvm::raw_ostream &os, ModuleOp module) {
  auto func = module.lookupSymbol<func::FuncOp>(attrs::kEntry);
  auto name = module->getAttrOfType<StringAttr>(attrs::kModel);
  os << "model '" << (name ? name.getValue() : "?") << "'\n";
  if (!func)
    return;
  std::string inputs;
  llvm::raw_string_ostream in(inputs);
  unsigned numParams = 0;
  int64_t paramValues = 0;
  for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
    if (auto n = func.getArgAttrOfType<StringAttr>(i, attrs::kInput)) {
      in << (inputs.empty() ? "" : ", ") << n.getValue() << " ";
      printType(in, arg.getType());
    } else if (func.getArgAttr(i, attrs::kParam)) {
      ++numParams;
      paramValues += cast<RankedTensorType>(arg.getType()).getNumElements();
    }
  }
  os << "  inputs:     " << inputs << "\n";
  os << "  parameters: " << numParams << " tensors, " << paramValues
     << " values\n";
  os << "  outputs:    ";
  for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
    auto n = func.getResultAttrOfType<StringAttr>(i, attrs::kOutput);
    os << (i ? ", " : "") << (n ? n.getValue() : "?") << " ";
    printType(os, type);
  }
  os << "\n";
  llvm::MapVector<StringRef, unsigned> kinds;
  unsigned numOps = 0;
  func.walk([&](Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "dlc") {
      ++kinds[op->getName().stripDialect()];
      ++numOps;
    }
  });
  os << "  ops:        " << numOps << " (";
  bool first = true;
  for (auto &[kind, count] : kinds) {
    os << (first ? "" : ", ") << kind << " " << count;
    first = false;
  }
  os << ")\n";
  if (auto training = module->getAttrOfType<DictionaryAttr>(attrs::kTraining)) {
    auto loss = training.getAs<StringAttr>("loss");
    auto opt = training.getAs<DictionaryAttr>("optimizer");
    auto optName = opt ? opt.getAs<StringAttr>("name") : StringAttr();
    os << "  training:   loss '" << (loss ? loss.getValue() : "?")
       << "', optimizer " << (optName ? optName.getValue() : "?") << "\n";
  }
}

int compileMain(llvm::StringRef modelPath) {
  if (!dumpIR.empty() && dumpIR != "import") {
    llvm::errs() << "dlc: unknown phase '" << dumpIR
                 << "' for --dump-ir; expected: import\n";
    return kUserError;
  }
  Session session;
  auto module = session.load(modelPath);
  if (!module)
    return kUserError;
  if (dumpIR == "import")
    module->print(llvm::outs());
  else
    printSummary(llvm::outs(), *module);
  return kOk;
}

} // namespace dlc::tools
