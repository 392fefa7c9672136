//===- DlcInterfaces.cpp - dlc op interfaces ------------------------------===//
#include "ir/DlcInterfaces.h"

#include "ir/DlcInterfaces.cpp.inc"
