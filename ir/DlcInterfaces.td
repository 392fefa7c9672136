//===- DlcInterfaces.td - dlc op interfaces ----------------*- tablegen -*-===//
//
// DifferentiableOpInterface: how an op differentiates. The rules live in
// ir/Gradients.cpp, one per op, attached to the ops as external models when
// the dialect loads; --dlc-autodiff calls them in reverse program order.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_INTERFACES_TD
#define DLC_INTERFACES_TD

include "mlir/IR/OpBase.td"

def DlcDifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::mlir::dlc";
  let description = [{
    An op with one result that can build its vector-Jacobian product: given
    the cotangent of its result (a tensor of the result's type), it builds,
    with `builder` at its insertion point, the cotangent of each operand that
    `wanted` asks for, with exactly that operand's type (broadcast operands
    are reduced back to their shape). Operands that are not wanted, or that
    the op does not differentiate (integer labels, conditions, running
    statistics), get a null Value.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/"Builds the cotangents of the operands (one entry per operand, "
               "null where not wanted or not differentiable).",
      /*retTy=*/"::mlir::LogicalResult",
      /*methodName=*/"buildVjp",
      /*args=*/(ins "::mlir::OpBuilder &":$builder,
                    "::mlir::Value":$resultCotangent,
                    "::llvm::ArrayRef<bool>":$wanted,
                    "::llvm::SmallVectorImpl<::mlir::Value> &":$operandCotangents)>,
  ];
}

#endif // DLC_INTERFACES_TD
