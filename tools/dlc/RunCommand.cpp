//===- RunCommand.cpp - `dlc run` (placeholder, being written) ------------===//
#include "tools/dlc/Commands.h"

#include "llvm/Support/raw_ostream.h"

namespace dlc::tools {

llvm::cl::SubCommand &runCommand() {
  static llvm::cl::SubCommand cmd("run", "Execute a model on inputs");
  return cmd;
}

int runMain() {
  llvm::errs() << "dlc run: not available yet\n";
  return kInternalError;
}

} // namespace dlc::tools
