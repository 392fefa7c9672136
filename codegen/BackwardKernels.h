//===- BackwardKernels.h - kernels of the autodiff backward ops -*- C++ -*-===//
//
// conv2d_backward_input, conv2d_backward_weight, max_pool2d_backward,
// avg_pool2d_backward and slice_backward (ir/DlcOps.td, built by
// --dlc-autodiff) as standalone kernels: --dlc-fuse gives each one a fusion
// of its own, and CudaEmitter hands such a fusion to emitBackwardKernel.
// Every kernel is one thread per output element (grid-stride loop) that
// gathers what lands on its element, so no atomics are needed; the
// semantics are ir/reference/Backward.cpp's.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CODEGEN_BACKWARDKERNELS_H
#define DLC_CODEGEN_BACKWARDKERNELS_H

#include "ir/FusionOps.h"

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::dlc {

/// Whether `op` is one of the five backward ops.
bool isBackwardOp(Operation *op);

/// The backward op in `fusion`'s body, or null.
Operation *findBackwardOp(FusionOp fusion);

/// Emits the body of `fusion`'s kernel (after its signature and the arena
/// pointers): `operandPtr[i]` is the pointer of block argument i,
/// `resultPtrs[r]` where yielded value r is stored. The body must be the
/// backward op alone (constants aside) reading block arguments.
LogicalResult
emitBackwardKernel(FusionOp fusion, ArrayRef<std::string> operandPtr,
                   ArrayRef<SmallVector<std::string, 1>> resultPtrs,
                   llvm::raw_ostream &os, StringRef indent);

} // namespace mlir::dlc

#endif // DLC_CODEGEN_BACKWARDKERNELS_H
