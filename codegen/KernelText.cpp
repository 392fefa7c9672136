//===- KernelText.cpp - pieces of CUDA source text every emitter writes ---===//
#include "codegen/KernelText.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace mlir;

std::string mlir::dlc::floatLiteral(double v, bool isDouble) {
  if (std::isnan(v))
    return isDouble ? "dlc::quietNan<double>()" : "dlc::quietNan<float>()";
  if (std::isinf(v))
    return std::string(v < 0 ? "-" : "") +
           (isDouble ? "dlc::infinity<double>()" : "dlc::infinity<float>()");
  // The shortest %g spelling that reads back exactly (0.5f, not 5e-01f).
  std::string s;
  char buf[64];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    s = buf;
    if (isDouble ? std::strtod(buf, nullptr) == v
                 : std::strtof(buf, nullptr) == float(v))
      break;
  }
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return isDouble ? s : s + "f";
}

std::string mlir::dlc::nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (std::string n = nodeName(l); !n.empty())
        return n;
  if (auto cs = dyn_cast<CallSiteLoc>(loc))
    return nodeName(cs.getCallee());
  return "";
}

