//===- MultiTensorKernels.h - all optimizer updates in one kernel -*- C++ -*-===//
//
// A `multi_tensor` dlc.fusion (--dlc-fuse-optimizer) holds the optimizer
// updates of many params; it becomes one kernel over a flat index space, as
// PyTorch's multi_tensor_apply / apex's fused Adam: every param (a segment)
// is cut into chunks of `chunk` elements, one block per chunk, the blocks of
// segment 0 first. Block b finds its segment with an emitted comparison
// chain on b (the block ranges are static), then its threads update
// `vector_width` consecutive elements per access (vector loads and stores;
// the segment's partial last vector element by element) with the segment's
// update math inlined: the param, its state, the scalars (step, lr,
// grad_scale, skip) and the hyper-parameters as literals. CudaEmitter hands
// such a fusion to emitMultiTensorKernel.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CODEGEN_MULTITENSORKERNELS_H
#define DLC_CODEGEN_MULTITENSORKERNELS_H

#include "ir/FusionOps.h"

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace mlir::dlc {

/// Whether `fusion` is a multi-tensor optimizer update.
bool isMultiTensorFusion(FusionOp fusion);

/// The launch of a multi-tensor kernel: threads per block, elements per
/// thread access and elements per block (a multiple of block * vectorWidth).
struct MultiTensorShape {
  int64_t block = 256, vectorWidth = 1, chunk = 512;
  /// Blocks launched: must be multiTensorBlocks(fusion, chunk).
  int64_t grid = 1;
};

/// The blocks the kernel needs: the sum over segments of ceil(n / chunk).
int64_t multiTensorBlocks(FusionOp fusion, int64_t chunk);

/// Emits the body of `fusion`'s kernel (after its signature and the arena
/// pointers): `operandPtr[i]` is the pointer of block argument i,
/// `resultPtrs[r]` where yielded value r is stored. Fails with an error on
/// the op for what it cannot emit (a non-splat constant operand, a shape
/// that does not fit the schedule).
LogicalResult
emitMultiTensorKernel(FusionOp fusion, const MultiTensorShape &shape,
                      ArrayRef<std::string> operandPtr,
                      ArrayRef<SmallVector<std::string, 1>> resultPtrs,
                      llvm::raw_ostream &os, StringRef indent);

} // namespace mlir::dlc

#endif // DLC_CODEGEN_MULTITENSORKERNELS_H
