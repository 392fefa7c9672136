//===- DlcTraits.td - what passes need to know about an op -*- tablegen -*-===//
//
// Facts about an op that passes read from the op itself instead of keeping
// lists of op classes: how fusion sees it (ir/FusionOps.h's classifyOp),
// how it computes under --dlc-mixed-precision, and which elementwise ops the
// reference interpreter computes from the table in
// ir/reference/Elementwise.cpp by the op's name. The base classes of
// DlcOps.td carry them, so a new unary or binary op gets them by deriving
// from Dlc_UnaryOp or Dlc_BinaryOp. The C++ side is ir/DlcTraits.h.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TRAITS_TD
#define DLC_TRAITS_TD

include "mlir/IR/OpBase.td"

class Dlc_Trait<string name> : NativeOpTrait<name> {
  let cppNamespace = "::mlir::OpTrait::dlc";
}

//===----------------------------------------------------------------------===//
// Fusion classes (one per op at most; none: not fused)
//===----------------------------------------------------------------------===//

// One output element from a bounded number of input elements; joins any
// kernel as prologue or epilogue.
def Dlc_Elementwise : Dlc_Trait<"Elementwise">;
// A pure index map that never needs a kernel of its own.
def Dlc_View : Dlc_Trait<"View">;
// Reads whole rows or axes: anchors a row-reduction kernel.
def Dlc_Reduction : Dlc_Trait<"Reduction">;
// A matrix product or convolution: anchors a GEMM kernel.
def Dlc_Contraction : Dlc_Trait<"Contraction">;
// A sliding window over NCHW.
def Dlc_Pooling : Dlc_Trait<"Pooling">;
// An optimizer update of one parameter (fused by --dlc-fuse-optimizer only).
def Dlc_OptimizerUpdate : Dlc_Trait<"OptimizerUpdate">;

// y = f(x) on one float tensor, no attributes the arithmetic reads: the
// reference interpreter looks f up by the op's name.
def Dlc_UnaryElementwise : Dlc_Trait<"UnaryElementwise">;
// y = f(lhs, rhs) with numpy broadcasting, on floats and integers: likewise.
def Dlc_BinaryElementwise : Dlc_Trait<"BinaryElementwise">;

//===----------------------------------------------------------------------===//
// Mixed precision (PyTorch autocast's categories); ops without one of these
// follow their inputs: low when one of their float operands is low.
//===----------------------------------------------------------------------===//

// Computes in the low type (bf16/fp16): the contractions, which accumulate
// in f32 on tensor cores (autocast's lower_precision_fp list).
def Dlc_AutocastLowPrecision : Dlc_Trait<"AutocastLowPrecision">;
// Always computes in f32: ops whose range or accumulation bf16/fp16 would
// spoil (autocast's fp32 list).
def Dlc_AutocastF32 : Dlc_Trait<"AutocastF32">;
// Keeps the types it was built with (casts and constants are the types).
def Dlc_AutocastKeep : Dlc_Trait<"AutocastKeep">;

#endif // DLC_TRAITS_TD
