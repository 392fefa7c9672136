//===- DlcOps.h - dlc graph ops ---------------------------------*- C++ -*-===//
#ifndef DLC_IR_DLCOPS_H
#define DLC_IR_DLCOPS_H

#include "ir/DlcDialect.h"
#include "ir/DlcInterfaces.h"
#include "ir/DlcTraits.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "ir/DlcOps.h.inc"

#endif // DLC_IR_DLCOPS_H
