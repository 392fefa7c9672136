//===- Attention.h - flash_attention kernels --------------------*- C++ -*-===//
//
// dlc.attention and dlc.attention_backward (a fusion each, --dlc-fuse keeps
// them alone) as one kernel each, FlashAttention-2 style, on FMA in the
// compute type (float; double for f64): no [Tq, Tk] tensor is written.
// The launch is passes/Schedule.h's attentionTiles. Attention.cpp holds the
// forward kernel and the pieces both share; AttentionBackward.cpp the
// backward kernel.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CODEGEN_ATTENTION_H
#define DLC_CODEGEN_ATTENTION_H

#include "codegen/KernelText.h"
#include "ir/DlcOps.h"
#include "passes/Schedule.h"

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::dlc {

/// Emits the body of the kernel of `fusion`, whose body is one attention or
/// attention_backward op (constants aside) reading block arguments:
/// `operandPtr[i]` is block argument i's pointer, `resultPtrs[r]` where
/// yielded value r is stored.
LogicalResult
emitAttentionKernel(FusionOp fusion, ArrayRef<std::string> operandPtr,
                    ArrayRef<SmallVector<std::string, 1>> resultPtrs,
                    llvm::raw_ostream &os, StringRef indent);

namespace attention {

/// What both kernels need to know, as C text and numbers.
struct Kernel {
  KernelWriter &w;
  AttentionTiles t;
  int64_t heads, numHeads, tq, tk, d, dv;
  double scale;
  bool causal;
  std::string ct;   ///< compute type
  std::string it;   ///< index type: int, or idx_t when a tensor needs it
  std::string q, k, v, mask; ///< operand pointers (mask: "" when none)
  SmallVector<int64_t, 4> maskStrides; ///< per [B, H, Tq, Tk] dim, 0: bcast

  std::string zero() const { return ct == "double" ? "0.0" : "0.0f"; }
  std::string ninf() const { return "-dlc::infinity<" + ct + ">()"; }
  /// Loads rows [row0, row0 + tile) of the [rows, cols] matrix of head
  /// `head` at `ptr` into shared `dst` (zeros past `rows`), all threads.
  void loadTile(const std::string &dst, const std::string &ptr,
                const std::string &row0, int64_t rows, int64_t cols);
  /// The statements that set `x` (declared by the caller) to the masked,
  /// scaled score of query `i` and key `j` from `dot`; -inf where masked,
  /// outside the sequences or (causal) above the diagonal.
  void score(const std::string &x, const std::string &dot,
             const std::string &i, const std::string &j);
  /// Declares the thread's row, lane, and block index.
  void prologue();
  /// Opens the loop over the key tiles a query tile starting at `q0` sees
  /// (causal: up to its diagonal) and loads each tile's K and V into shared
  /// k_ks and k_vs between two barriers; the caller closes the loop.
  void openKeyTiles(const std::string &q0);
};

/// Fills `k` from the op (operands 0-2 are q, k, v).
Kernel kernelFor(KernelWriter &w, Operation *op, Value mask,
                 ArrayRef<std::string> ptrs);

/// The backward kernel: `stores[r]` are the pointers result r (dQ, dK,
/// dV) is stored to.
LogicalResult emitBackward(Kernel &k, AttentionBackwardOp op,
                           ArrayRef<std::string> ptrs,
                           ArrayRef<SmallVector<std::string>> stores);

} // namespace attention

} // namespace mlir::dlc

#endif // DLC_CODEGEN_ATTENTION_H
