//===- WgmmaGemm.cpp - tiled_gemm on Hopper warpgroup MMA (sm_90a) --------===//
//
// The Hopper path of tiled_gemm (mma "wgmma_f16"/"wgmma_bf16"), beside
// MmaGemm.cpp's mma.sync path as Triton keeps MMAv3 beside MMAv2. A block
// of one or two consumer warpgroups (tile m 64 or 128) computes a
// tm x tn tile (tn 64, 128 or 256): warpgroup g issues
// wgmma.mma_async m64n<tn>k16 on rows 64g .. 64g + 63, four per k tile of 64,
// with A and B read from shared memory through matrix descriptors (the
// prelude's wgmmaDesc: K-major, 128-byte swizzle). Operands are staged
// through registers (any gather, cast or fused producer works; zero past
// M/N/K) into a ring of `stages` shared-memory stages in dynamic shared
// memory: the global loads of k tile kt overlap the wgmmas of kt - 1, and
// wgmma.wait_group<stages - 2> before the stores keeps a stage from being
// overwritten while a warpgroup still reads it (the barrier after the
// stores makes that hold for every warpgroup). The epilogue runs from the
// accumulator registers in the wgmma D layout through gemmEpilogue.
//
//===----------------------------------------------------------------------===//
#include "codegen/KernelEmitter.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::codegen;

namespace {

/// The block tile of a wgmma GEMM.
struct WgmmaTiles {
  int64_t tm, tn, stages, threads;
  const char *T;
};

} // namespace

/// The dynamic shared memory of a wgmma GEMM: `stages` A and B tiles of 64
/// 16-bit k per row (128 bytes), plus 1024 bytes to align the first stage.
int64_t mlir::dlc::codegen::wgmmaSharedBytes(int64_t tm, int64_t tn,
                                             int64_t stages) {
  return stages * (tm + tn) * 128 + 1024;
}

LogicalResult KernelEmitter::emitWgmmaGemm(Operation *anchor, Gemm &g,
                                           std::string &why, bool &emitted) {
  MLIRContext *mctx = anchor->getContext();
  Type want = sched.mma == MmaMode::WgmmaF16 ? Type(Float16Type::get(mctx))
                                             : Type(BFloat16Type::get(mctx));
  for (unsigned i = 0; i < 2; ++i)
    if (elementType(anchor->getOperand(i)) != want) {
      why = "the operands are not " + std::string(typeNames(want).dtype);
      return success();
    }
  if (sched.target != "sm_90") {
    why = "target " + sched.target + " has no wgmma (sm_90 only)";
    return success();
  }
  WgmmaTiles t{sched.tile[0], sched.tile[1], std::max<int64_t>(sched.stages, 2),
               sched.threadsPerBlock(), typeNames(want).storage};
  if ((t.tm != 64 && t.tm != 128) ||
      (t.tn != 64 && t.tn != 128 && t.tn != 256) || sched.tile[2] != 64 ||
      t.threads != 2 * t.tm) {
    why = "tile " + num(t.tm) + "x" + num(t.tn) + "x" + num(sched.tile[2]) +
          " on " + num(t.threads) +
          " threads is not 64 or 128 x 64, 128 or 256 x 64 on a warpgroup per "
          "64 rows";
    return success();
  }
  dynamicSharedBytes = wgmmaSharedBytes(t.tm, t.tn, t.stages);
  emitted = usesWgmma = true;
  // B is K-major in memory for dense and conv (weights [n][k]); matmul's
  // B rows run along n.
  bool bAlongK = !isa<MatmulOp, BatchMatmulOp>(anchor);
  int64_t tilesM = (g.m + t.tm - 1) / t.tm, tilesN = (g.n + t.tn - 1) / t.tn;
  comment(anchor);
  line("// GEMM batch " + num(g.batch) + ", M " + num(g.m) + ", N " + num(g.n) +
       ", K " + num(g.k) + " on Hopper tensor cores (" +
       stringifyMmaMode(sched.mma).str() + ": wgmma m64n" + num(t.tn) +
       "k16 per warpgroup, float accumulator), " + num(t.stages) +
       " stages staged through registers");
  line("constexpr int kTileM = " + num(t.tm) + ", kTileN = " + num(t.tn) +
       ", kTileK = 64, kStages = " + num(t.stages) +
       ", kThreads = " + num(t.threads) + ";");
  line("constexpr int kChunksA = kTileM * 8 / kThreads, kChunksB = kTileN * 8 "
       "/ kThreads; // 16-byte chunks per thread");
  line("constexpr unsigned kStageBytes = (kTileM + kTileN) * 128; // rows of "
       "64 k, 128-byte swizzle");
  line("extern __shared__ __align__(128) unsigned char dlc_smem[];");
  line("unsigned char *const smem = dlc::wgmmaAlign(dlc_smem);");
  line("const int t = dlc::threadInBlock(), wg = t / 128, lane = t % 32, "
       "wr = t % 128 / 32 * 16 + lane / 4;");
  open("for (idx_t tile = dlc::blockInGrid(); tile < " +
       num(g.batch * tilesM * tilesN) + "; tile += dlc::blocksPerGrid())");
  if (g.batch != 1)
    line("const idx_t b = tile / " + num(tilesM * tilesN) + ";");
  line("const idx_t m0 = tile / " + num(tilesN) + " % " + num(tilesM) +
       " * kTileM, n0 = tile % " + num(tilesN) + " * kTileN;");
  line("float acc[kTileN / 2];");
  line("#pragma unroll");
  line("for (int r = 0; r < kTileN / 2; ++r)");
  line("  acc[r] = 0.0f;");
  line(Twine("dlc::Vec<8, ") + t.T + "> ra[kChunksA], rb[kChunksB];");
  // The vector loads read the array as T: not for a fused cast of another type.
  for (std::optional<Gemm::StridedOperand> *o : {&g.stridedA, &g.stridedB})
    if (*o && (*o)->element != want)
      o->reset();
  if (failed(wgmmaMainLoop(g, t.T, bAlongK)) ||
      failed(wgmmaEpilogue(anchor, g)))
    return failure();
  close();
  return success();
}

/// Loads of the k tile at k0 into the staging registers (zero past the
/// edges), the wait that frees the stage, the stores, the wgmmas.
LogicalResult KernelEmitter::wgmmaMainLoop(Gemm &g, const char *T,
                                           bool bAlongK) {
  std::string bv0 = g.batch != 1 ? "b" : "0";
  int64_t numK = (g.k + 63) / 64;
  open("for (idx_t kt = 0; kt < " + num(numK) + "; ++kt)");
  line("const idx_t k0 = kt * kTileK;");
  // A: chunk e is row e / 8, k 8 (e % 8) .. + 7 (consecutive threads read
  // consecutive k).
  line("#pragma unroll");
  open("for (int q = 0; q < kChunksA; ++q)");
  line("const int e = t + q * kThreads;");
  line("const idx_t m = m0 + e / 8;");
  if (g.stridedA && g.stridedA->colStride == 1) {
    wgmmaVectorChunk(*g.stridedA, "ra[q]", "m", num(g.m), g.k, T,
                     g.batch != 1);
    close();
  } else {
  open("for (int i = 0; i < 8; ++i)");
  line("const idx_t k = k0 + e % 8 * 8 + i;");
  line("float a = 0;");
  open("if (m < " + num(g.m) + " && k < " + num(g.k) + ")");
  FailureOr<std::string> a = g.loadA(bv0, "m", "k", "0");
  if (failed(a))
    return failure();
  line("a = " + *a + ";");
  close();
  line(Twine("ra[q].v[i] = ") + T + "(a);");
  close();
  close();
  }
  // B: row n of the tile holds its k; consecutive threads read consecutive
  // k (bAlongK) or consecutive n.
  line("#pragma unroll");
  open("for (int q = 0; q < kChunksB; ++q)");
  line("const int e = t + q * kThreads;");
  line(bAlongK ? "const int row = e / 8, c = e % 8;"
               : "const int row = e % kTileN, c = e / kTileN;");
  line("const idx_t n = n0 + row;");
  if (bAlongK && g.stridedB && g.stridedB->rowStride == 1) {
    Gemm::StridedOperand b = *g.stridedB; // rows of the tile are n
    std::swap(b.rowStride, b.colStride);
    wgmmaVectorChunk(b, "rb[q]", "n", num(g.n), g.k, T, g.batch != 1, "c");
    close();
  } else {
  open("for (int i = 0; i < 8; ++i)");
  line("const idx_t k = k0 + c * 8 + i;");
  line("float w = 0;");
  open("if (k < " + num(g.k) + " && n < " + num(g.n) + ")");
  FailureOr<std::string> bw = g.loadB(bv0, "0", "k", "n");
  if (failed(bw))
    return failure();
  line("w = " + *bw + ";");
  close();
  line(Twine("rb[q].v[i] = ") + T + "(w);");
  close();
  close();
  }
  line("// Stage kt % kStages was last read by the wgmmas of kt - kStages: "
       "this warpgroup's are done after the wait, the others' before they "
       "reached the barrier of kt - 1.");
  line("dlc::wgmmaWait<kStages - 2>();");
  line("unsigned char *const sa = smem + kt % kStages * kStageBytes, *const "
       "sb = sa + kTileM * 128;");
  line("#pragma unroll");
  line("for (int q = 0; q < kChunksA; ++q)");
  line(Twine("  *reinterpret_cast<dlc::Vec<8, ") + T +
       "> *>(sa + dlc::wgmmaChunk((t + q * kThreads) / 8, (t + q * kThreads) "
       "% 8)) = ra[q];");
  line("#pragma unroll");
  open("for (int q = 0; q < kChunksB; ++q)");
  line("const int e = t + q * kThreads;");
  line(bAlongK ? "const int row = e / 8, c = e % 8;"
               : "const int row = e % kTileN, c = e / kTileN;");
  line(Twine("*reinterpret_cast<dlc::Vec<8, ") + T +
       "> *>(sb + dlc::wgmmaChunk(row, c)) = rb[q];");
  close();
  line("dlc::fenceProxyAsync(); // the stores, before wgmma reads them");
  line("dlc::barrier();");
  line("dlc::wgmmaFence();");
  line("#pragma unroll");
  line("for (int kk = 0; kk < kTileK / 16; ++kk)");
  line(Twine("  dlc::wgmma<kTileN, ") + T +
       ">(acc, dlc::wgmmaDesc(dlc::smemAddr(sa) + wg * 64 * 128 + kk * 32), "
       "dlc::wgmmaDesc(dlc::smemAddr(sb) + kk * 32));");
  line("dlc::wgmmaCommit();");
  close();
  line("dlc::wgmmaWait<0>();");
  line("dlc::wgmmaFenceAcc(acc);");
  return success();
}

/// A 16-byte chunk of a plain array whose k runs contiguously: one vector
/// load where it is whole and aligned, else element by element (zero past
/// the edges). `o` is the operand with rows along the tile's rows.
void KernelEmitter::wgmmaVectorChunk(const Gemm::StridedOperand &o,
                                     const std::string &dst,
                                     const std::string &row,
                                     const std::string &rows, int64_t k,
                                     const char *T, bool batched,
                                     const std::string &chunk) {
  std::string off = (batched && o.batchStride ? "b * " + num(o.batchStride) +
                                                    " + "
                                              : std::string()) +
                    row + " * " + num(o.rowStride) + " + k";
  line("const idx_t k = k0 + " + chunk + " * 8;");
  line(Twine("const ") + T + " *const p = " + o.ptr + " + (" + off + ");");
  open("if (" + row + " < " + rows + " && k + 8 <= " + num(k) +
       " && reinterpret_cast<unsigned long long>(p) % 16 == 0)");
  line(dst + Twine(" = *reinterpret_cast<const dlc::Vec<8, ") + T +
       "> *>(p);");
  close();
  open("else");
  line("for (int i = 0; i < 8; ++i)");
  line("  " + dst + ".v[i] = " + row + " < " + rows + " && k + i < " + num(k) +
       " ? p[i] : " + T + "(0.0f);");
  close();
}

/// Each accumulator register at its (m, n) of the wgmma D layout, then a
/// barrier: the next tile's stores reuse the stages.
LogicalResult KernelEmitter::wgmmaEpilogue(Operation *anchor, Gemm &g) {
  std::string bv0 = g.batch != 1 ? "b" : "0";
  line("#pragma unroll");
  open("for (int r = 0; r < kTileN / 2; ++r)");
  line("const idx_t m = m0 + wg * 64 + wr + (r & 2) * 4, n = n0 + r / 4 * 8 "
       "+ lane % 4 * 2 + (r & 1);");
  if (failed(gemmEpilogue(anchor, g, bv0, "acc[r]")))
    return failure();
  close();
  line("dlc::barrier();");
  return success();
}
