//===- MmaGemm.h - what MmaGemm.cpp and MmaMainloop.cpp share ---*- C++ -*-===//
#ifndef DLC_CODEGEN_MMAGEMM_H
#define DLC_CODEGEN_MMAGEMM_H

#include "codegen/KernelEmitter.h"

namespace mlir::dlc::codegen {

/// The block tile, warps, stages and operand paths of a tensor-core GEMM.
struct MmaTiles {
  int64_t tm, tn, tk, wm, wn, threads, stages;
  /// m16 and n8 fragments per warp.
  int64_t fm, fn;
  /// Bytes of an element in shared memory (2; 4 for tf32).
  int64_t eb;
  int64_t sharedBytes, maxShared;
  /// The element type in shared memory.
  const char *T;
  /// Per operand (A, B): its stage is [rows of m or n][k] (k-major), else
  /// [k][m or n]; filled by cp.async from its strided form, else through
  /// registers by loadA / loadB.
  bool kMajor[2], async[2];
  /// Register-staged from the strided form: elements per vector load (0:
  /// through loadA / loadB, one element at a time).
  int64_t vector[2];
  std::optional<KernelEmitter::Gemm::StridedOperand> strided[2];
  /// m, n and in-operand offsets fit 32 bits.
  bool i32;

  /// The stage of operand `op` as shared-memory rows of `cols` elements.
  int64_t rows(unsigned op) const {
    return kMajor[op] ? (op ? tn : tm) : tk;
  }
  int64_t cols(unsigned op) const {
    return kMajor[op] ? tk : (op ? tn : tm);
  }
  /// Elements per 16-byte chunk.
  int64_t perChunk() const { return 16 / eb; }
  int64_t chunks(unsigned op) const {
    return rows(op) * cols(op) / perChunk();
  }
};

} // namespace mlir::dlc::codegen

#endif // DLC_CODEGEN_MMAGEMM_H
