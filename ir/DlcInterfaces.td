//===- DlcInterfaces.td - dlc op interfaces ----------------*- tablegen -*-===//
//
// DifferentiableOpInterface: how an op differentiates. An op lists
// Dlc_Differentiable among its traits (DlcOps.td), which declares
// XOp::buildGradient in the op class; ir/Gradients.cpp defines every such
// rule, so an op marked differentiable without a rule fails to link, and
// --dlc-autodiff calls the rules in reverse program order through buildVjp.
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

    Passes call `buildVjp`; each op implements `buildGradient`, its rule,
    which may fill entries that were not wanted (buildVjp drops them).
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/"The rule: fills `operandCotangents` (one null entry per "
               "operand on entry) with the cotangents of the operands, given "
               "the float cotangent `resultCotangent` of the result.",
      /*retTy=*/"::mlir::LogicalResult",
      /*methodName=*/"buildGradient",
      /*args=*/(ins "::mlir::dlc::VjpBuilder &":$builder,
                    "::mlir::Value":$resultCotangent,
                    "::llvm::ArrayRef<bool>":$wanted,
                    "::llvm::SmallVectorImpl<::mlir::Value> &":$operandCotangents)>,
  ];
  let extraClassDeclaration = [{
    /// Builds the cotangents of the operands (one entry per operand, null
    /// where not wanted or not differentiable) at `builder`'s insertion
    /// point; defined with the rules in ir/Gradients.cpp.
    ::mlir::LogicalResult
    buildVjp(::mlir::OpBuilder &builder, ::mlir::Value resultCotangent,
             ::llvm::ArrayRef<bool> wanted,
             ::llvm::SmallVectorImpl<::mlir::Value> &operandCotangents);
  }];
}

def DlcCudaSpelledOpInterface : OpInterface<"CudaSpelledOpInterface"> {
  let cppNamespace = "::mlir::dlc";
  let description = [{
    An elementwise op whose element is one CUDA expression of its operands'
    elements: `{0}`, `{1}`, `{2}` stand for them, in the compute type, and
    the `dlc::` device functions live in codegen/prelude/dlc_device.cuh.
    The spelling lives with the op (DlcOps.td, the `cuda` argument of the
    elementwise base classes) so that a new op needs no codegen edit.
  }];
  let methods = [
    StaticInterfaceMethod<
      /*desc=*/"The CUDA expression of one result element.",
      /*retTy=*/"::llvm::StringRef",
      /*methodName=*/"getCudaSpelling">,
  ];
}

// On an op: it has a gradient rule, XOp::buildGradient in ir/Gradients.cpp.
def Dlc_Differentiable
    : DeclareOpInterfaceMethods<DlcDifferentiableOpInterface>;

#endif // DLC_INTERFACES_TD
