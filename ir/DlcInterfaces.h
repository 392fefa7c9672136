//===- DlcInterfaces.h - dlc op interfaces ----------------------*- C++ -*-===//
#ifndef DLC_IR_DLCINTERFACES_H
#define DLC_IR_DLCINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

namespace mlir::dlc {
/// The op builders a gradient rule uses (ir/Gradients.cpp).
class VjpBuilder;
} // namespace mlir::dlc

#include "ir/DlcInterfaces.h.inc"

#endif // DLC_IR_DLCINTERFACES_H
