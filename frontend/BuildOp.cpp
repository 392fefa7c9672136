//===- BuildOp.cpp - one dlc op, its type inferred and verified -----------===//
#include "frontend/BuildOp.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

using namespace mlir;

namespace dlc {

Operation *buildInferredOp(OpBuilder &builder, Location loc, StringRef opName,
                           ValueRange operands,
                           ArrayRef<NamedAttribute> attrs,
                           std::string &message) {
  MLIRContext *ctx = builder.getContext();
  OperationState state(loc, opName);
  state.addOperands(operands);
  state.addAttributes(attrs);
  state.addTypes(builder.getNoneType()); // replaced by the inferred type
  Operation *op = builder.create(state);
  message.clear();
  bool ok;
  {
    ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &d) {
      if (message.empty() && d.getSeverity() == DiagnosticSeverity::Error)
        message = d.str();
      return success();
    });
    SmallVector<Type> types;
    auto iface = dyn_cast<InferTypeOpInterface>(op);
    ok = iface &&
         succeeded(iface.inferReturnTypes(
             ctx, op->getLoc(), op->getOperands(), op->getRawDictionaryAttrs(),
             op->getPropertiesStorage(), op->getRegions(), types)) &&
         types.size() == 1;
    if (ok) {
      op->getResult(0).setType(types[0]);
      ok = succeeded(verify(op));
    }
  }
  if (ok)
    return op;
  op->erase();
  if (message.empty())
    message = "the op's shape rule failed without a message";
  return nullptr;
}

} // namespace dlc
