//===- BuildOp.cpp - one dlc op, its type inferred and verified -----------===//
#include "frontend/BuildOp.h"

#include "frontend/OpSchema.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpDefinition.h"
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
  // Ops with several optional operands (dlc.lstm: bias?, initial_h?, ...)
  // take them positionally: the given operands fill the schema's slots in
  // order.
  const OpSchema *schema = lookupOp(opName.drop_front(4));
  bool hasSegments = llvm::any_of(attrs, [](const NamedAttribute &a) {
    return a.getName() == "operandSegmentSizes";
  });
  if (schema && !hasSegments &&
      state.name.hasTrait<OpTrait::AttrSizedOperandSegments>()) {
    SmallVector<StringRef> slots;
    StringRef(schema->inputNames).split(slots, ',');
    SmallVector<int32_t> sizes;
    for (size_t i = 0; i < slots.size(); ++i)
      sizes.push_back(i < operands.size() ? 1 : 0);
    state.addAttribute("operandSegmentSizes",
                       DenseI32ArrayAttr::get(ctx, sizes));
  }
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
         !types.empty();
    if (ok && types.size() > 1) {
      // Several results (dlc.lstm's y, y_h, y_c): rebuild with all of them.
      state.types.assign(types.begin(), types.end());
      Operation *full = builder.create(state);
      op->erase();
      op = full;
    } else if (ok) {
      op->getResult(0).setType(types[0]);
    }
    if (ok)
      ok = succeeded(verify(op));
  }
  if (ok)
    return op;
  op->erase();
  if (message.empty())
    message = "the op's shape rule failed without a message";
  return nullptr;
}

} // namespace dlc
