//===- DeadIndex.h - drop index variables a kernel never reads --*- C++ -*-===//
//
// KernelEmitter names an index expression (`const idx_t i3 = m * 16 + k;`)
// before it knows whether the value read there needs it: a constant or a
// broadcast scalar does not. NVRTC warns about such a variable (#177-D), and
// the suites compile with warnings as errors, so the kernel body is cleaned
// once it is complete.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CODEGEN_DEADINDEX_H
#define DLC_CODEGEN_DEADINDEX_H

#include <string>

namespace mlir::dlc::codegen {

/// Removes every line `const idx_t i<N> = ...;` of `body` whose variable no
/// other text reads, until none is left (removing one can orphan the ones
/// its expression read). Returns how many lines were removed.
unsigned dropUnusedIndexVars(std::string &body);

} // namespace mlir::dlc::codegen

#endif // DLC_CODEGEN_DEADINDEX_H
