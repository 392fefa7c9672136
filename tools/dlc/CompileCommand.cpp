//===- CompileCommand.cpp - `dlc model.json`: compile and report ----------===//
#include "tools/dlc/Commands.h"

#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

namespace dlc::tools {

static cl::opt<std::string>
    dumpIR("dump-ir",
           cl::desc("Print the IR after a phase: 'import' (the dlc dialect "
                    "as imported)"),
           cl::value_desc("phase"));

int compileMain(llvm::StringRef modelPath) {
  Session session;
  auto module = session.load(modelPath);
  if (!module)
    return kUserError;
  if (!dumpIR.empty() && dumpIR != "import") {
    llvm::errs() << "dlc: unknown phase '" << dumpIR
                 << "' for --dump-ir; expected: import\n";
    return kUserError;
  }
  if (dumpIR == "import")
    module->print(llvm::outs());
  return kOk;
}

} // namespace dlc::tools
