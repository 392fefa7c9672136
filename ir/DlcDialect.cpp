//===- DlcDialect.cpp - the dlc dialect -----------------------------------===//
#include "ir/DlcDialect.h"
#include "ir/DlcOps.h"

using namespace mlir;
using namespace mlir::dlc;

#include "ir/DlcDialect.cpp.inc"

void DlcDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/DlcOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "ir/DlcOps.cpp.inc"
