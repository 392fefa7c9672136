//===- DlcInterfaces.h - dlc op interfaces ----------------------*- C++ -*-===//
#ifndef DLC_IR_DLCINTERFACES_H
#define DLC_IR_DLCINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "ir/DlcInterfaces.h.inc"

namespace mlir::dlc {
class DlcDialect;
/// Attaches the differentiation rules of ir/Gradients.cpp to the dlc ops
/// (called when the dialect is initialized).
void registerGradientRules(DlcDialect &dialect);
} // namespace mlir::dlc

#endif // DLC_IR_DLCINTERFACES_H
