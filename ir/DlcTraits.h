//===- DlcTraits.h - what passes need to know about a dlc op ----*- C++ -*-===//
//
// The C++ side of ir/DlcTraits.td: marker traits, read with
// `op->hasTrait<OpTrait::dlc::Reduction>()`. They carry no code and verify
// nothing; their meaning is documented in the .td file.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_DLCTRAITS_H
#define DLC_IR_DLCTRAITS_H

#include "mlir/IR/OpDefinition.h"

namespace mlir::OpTrait::dlc {

#define DLC_MARKER_TRAIT(NAME)                                                 \
  template <typename ConcreteType>                                             \
  class NAME : public TraitBase<ConcreteType, NAME> {};

// Fusion classes.
DLC_MARKER_TRAIT(Elementwise)
DLC_MARKER_TRAIT(View)
DLC_MARKER_TRAIT(Reduction)
DLC_MARKER_TRAIT(Contraction)
DLC_MARKER_TRAIT(Pooling)
DLC_MARKER_TRAIT(OptimizerUpdate)
// Arithmetic found by the op's name (ir/reference/Elementwise.cpp).
DLC_MARKER_TRAIT(UnaryElementwise)
DLC_MARKER_TRAIT(BinaryElementwise)
// Mixed precision.
DLC_MARKER_TRAIT(AutocastLowPrecision)
DLC_MARKER_TRAIT(AutocastF32)
DLC_MARKER_TRAIT(AutocastKeep)

#undef DLC_MARKER_TRAIT

} // namespace mlir::OpTrait::dlc

#endif // DLC_IR_DLCTRAITS_H
