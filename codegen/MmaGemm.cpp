//===- MmaGemm.cpp - tiled_gemm on tensor cores ---------------------------===//
//
// The tensor-core path of tiled_gemm (mma "mma_sync_f16"/"mma_sync_bf16"),
// as Triton keeps DotOpToLLVM/MMAv2.cpp beside FMA.cpp: each warp owns a
// (tm/wm) x (tn/wn) part of the block tile as 16x16 WMMA accumulators; A
// (tm x tk, row-major) and B (tk x tn, row-major) tiles of T in shared
// memory, zero-filled past M/N/K, double buffered when stages >= 2 (k tile
// kt is loaded while kt - 1 is multiplied). The epilogue runs per element
// from a per-warp float staging tile, one 16x16 accumulator at a time.
// When the schedule cannot be honoured (operand types, fragment shapes,
// shared memory), Gemm.cpp's FMA path runs instead, with a note.
//
//===----------------------------------------------------------------------===//
#include "codegen/KernelEmitter.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::codegen;

/// The block tile, warps and buffers of a tensor-core GEMM.
struct mlir::dlc::codegen::MmaTiles {
  int64_t tm, tn, tk, wm, wn, threads, bufs;
  /// The 16-bit element type of the tiles.
  const char *T;
};

std::optional<MmaTiles> KernelEmitter::mmaTilesFor(Operation *anchor,
                                                   std::string &why) {
  Type want;
  MLIRContext *mctx = anchor->getContext();
  switch (sched.mma) {
  case MmaMode::F16:
    want = Float16Type::get(mctx);
    break;
  case MmaMode::Bf16:
    want = BFloat16Type::get(mctx);
    break;
  case MmaMode::Tf32: // rejected by emitTiledGemm before this
  case MmaMode::None:
    why = "no tensor-core mode";
    return std::nullopt;
  }
  for (unsigned i = 0; i < 2; ++i)
    if (elementType(anchor->getOperand(i)) != want) {
      why = "the operands are not " + std::string(typeNames(want).dtype);
      return std::nullopt;
    }
  MmaTiles t;
  t.threads = sched.threadsPerBlock();
  t.tm = sched.tile[0], t.tn = sched.tile[1], t.tk = sched.tile[2];
  t.wm = sched.warps[0], t.wn = sched.warps[1];
  if (t.wm <= 0 || t.wn <= 0 || t.threads != 32 * t.wm * t.wn ||
      t.tm % (16 * t.wm) || t.tn % (16 * t.wn) || t.tk % 16) {
    why = "tile " + num(t.tm) + "x" + num(t.tn) + "x" + num(t.tk) + ", warps " +
          num(t.wm) + "x" + num(t.wn) + " on " + num(t.threads) +
          " threads is not whole 16x16x16 fragments per warp";
    return std::nullopt;
  }
  t.T = typeNames(want).storage;
  int64_t ldA = t.tk + 8, ldB = t.tn + 8;
  auto bytesFor = [&](int64_t bufs) {
    return bufs * (t.tm * ldA + t.tk * ldB) * 2 + t.wm * t.wn * 16 * 16 * 4;
  };
  t.bufs = sched.stages >= 2 ? 2 : 1;
  if (t.bufs == 2 && bytesFor(2) > 48 * 1024)
    t.bufs = 1;
  if (bytesFor(t.bufs) > 48 * 1024) {
    why = "the tiles need " + num(bytesFor(t.bufs)) +
          " bytes of shared memory (48 KiB at most)";
    return std::nullopt;
  }
  return t;
}

LogicalResult KernelEmitter::emitMmaGemm(Operation *anchor, Gemm &g,
                                         std::string &why, bool &emitted) {
  std::optional<MmaTiles> tiles = mmaTilesFor(anchor, why);
  if (!tiles)
    return success();
  const MmaTiles &t = *tiles;
  emitted = usesMma = true;
  int64_t tilesM = (g.m + t.tm - 1) / t.tm, tilesN = (g.n + t.tn - 1) / t.tn;
  comment(anchor);
  line("// GEMM batch " + num(g.batch) + ", M " + num(g.m) + ", N " + num(g.n) +
       ", K " + num(g.k) + " on tensor cores (" +
       stringifyMmaMode(sched.mma).str() +
       ": WMMA 16x16x16, float accumulator)" +
       (t.bufs == 2 ? ", double-buffered" : ""));
  line("constexpr int kTileM = " + num(t.tm) + ", kTileN = " + num(t.tn) +
       ", kTileK = " + num(t.tk) + ", kWarpsN = " + num(t.wn) +
       ", kThreads = " + num(t.threads) + ";");
  line("constexpr int kFragsM = kTileM / " + num(t.wm) +
       " / 16, kFragsN = kTileN / kWarpsN / 16;");
  line("constexpr int kLdA = kTileK + 8, kLdB = kTileN + 8; // padded rows");
  line(Twine("__shared__ __align__(32) ") + t.T + " tileA[" + num(t.bufs) +
       "][kTileM * kLdA];");
  line(Twine("__shared__ __align__(32) ") + t.T + " tileB[" + num(t.bufs) +
       "][kTileK * kLdB];");
  line("__shared__ __align__(32) float staging[kThreads / 32][16 * 16];");
  line("const int t = dlc::threadInBlock(), warp = t / 32, lane = t % 32;");
  line("const int wm0 = warp / kWarpsN * kFragsM * 16, wn0 = warp % kWarpsN "
       "* kFragsN * 16;");
  open("for (idx_t tile = dlc::blockInGrid(); tile < " +
       num(g.batch * tilesM * tilesN) + "; tile += dlc::blocksPerGrid())");
  if (g.batch != 1)
    line("const idx_t b = tile / " + num(tilesM * tilesN) + ";");
  line("const idx_t m0 = tile / " + num(tilesN) + " % " + num(tilesM) +
       " * kTileM, n0 = tile % " + num(tilesN) + " * kTileN;");
  line("dlc::MmaAcc acc[kFragsM][kFragsN];");
  line("for (int fi = 0; fi < kFragsM; ++fi)");
  line("  for (int fj = 0; fj < kFragsN; ++fj)");
  line("    dlc::mmaZero(acc[fi][fj]);");
  if (failed(mmaMainLoop(t, g)) || failed(mmaEpilogue(anchor, g)))
    return failure();
  close();
  return success();
}

/// Loads of the k tile at k0 into buffer `buf`, zero past the edges.
LogicalResult KernelEmitter::mmaLoadTiles(const MmaTiles &t, Gemm &g,
                                          const std::string &buf) {
  std::string bv0 = g.batch != 1 ? "b" : "0";
  open("for (int e = t; e < kTileM * kTileK; e += kThreads)");
  line("const idx_t m = m0 + e / kTileK, k = k0 + e % kTileK;");
  line("float a = 0;");
  open("if (m < " + num(g.m) + " && k < " + num(g.k) + ")");
  FailureOr<std::string> a = g.loadA(bv0, "m", "k", "0");
  if (failed(a))
    return failure();
  line("a = " + *a + ";");
  close();
  line("tileA[" + buf + "][e / kTileK * kLdA + e % kTileK] = " + t.T + "(a);");
  close();
  open("for (int e = t; e < kTileK * kTileN; e += kThreads)");
  line("const idx_t k = k0 + e / kTileN, n = n0 + e % kTileN;");
  line("float w = 0;");
  open("if (k < " + num(g.k) + " && n < " + num(g.n) + ")");
  FailureOr<std::string> b = g.loadB(bv0, "0", "k", "n");
  if (failed(b))
    return failure();
  line("w = " + *b + ";");
  close();
  line("tileB[" + buf + "][e / kTileN * kLdB + e % kTileN] = " + t.T + "(w);");
  close();
  return success();
}

/// The warp's fragments of buffer `buf`, multiplied into its accumulators.
void KernelEmitter::mmaMultiply(const MmaTiles &t, const std::string &buf) {
  open("for (int kk = 0; kk < kTileK; kk += 16)");
  line(Twine("dlc::MmaA<") + t.T + "> fragA[kFragsM];");
  line(Twine("dlc::MmaB<") + t.T + "> fragB[kFragsN];");
  line("for (int fi = 0; fi < kFragsM; ++fi)");
  line("  dlc::mmaLoadA(fragA[fi], &tileA[" + buf +
       "][(wm0 + fi * 16) * kLdA + kk], kLdA);");
  line("for (int fj = 0; fj < kFragsN; ++fj)");
  line("  dlc::mmaLoadB(fragB[fj], &tileB[" + buf +
       "][kk * kLdB + wn0 + fj * 16], kLdB);");
  line("for (int fi = 0; fi < kFragsM; ++fi)");
  line("  for (int fj = 0; fj < kFragsN; ++fj)");
  line("    dlc::mma(acc[fi][fj], fragA[fi], fragB[fj]);");
  close();
}

/// The k loop: double-buffered (load kt while multiplying kt - 1) or not.
LogicalResult KernelEmitter::mmaMainLoop(const MmaTiles &t, Gemm &g) {
  int64_t numK = (g.k + t.tk - 1) / t.tk;
  if (t.bufs == 2) {
    line("// k tile kt is loaded into buffer kt % 2 while kt - 1 is "
         "multiplied from the other");
    open("for (idx_t kt = 0; kt <= " + num(numK) + "; ++kt)");
    open("if (kt < " + num(numK) + ")");
    line("const idx_t k0 = kt * kTileK;");
    if (failed(mmaLoadTiles(t, g, "kt % 2")))
      return failure();
    close();
    open("if (kt > 0)");
    mmaMultiply(t, "(kt - 1) % 2");
    close();
    line("dlc::barrier();");
    close();
    return success();
  }
  open("for (idx_t k0 = 0; k0 < " + num(g.k) + "; k0 += kTileK)");
  if (failed(mmaLoadTiles(t, g, "0")))
    return failure();
  line("dlc::barrier();");
  mmaMultiply(t, "0");
  line("dlc::barrier();");
  close();
  return success();
}

/// One accumulator at a time through the warp's staging tile.
LogicalResult KernelEmitter::mmaEpilogue(Operation *anchor, Gemm &g) {
  std::string bv0 = g.batch != 1 ? "b" : "0";
  open("for (int fi = 0; fi < kFragsM; ++fi)");
  open("for (int fj = 0; fj < kFragsN; ++fj)");
  line("dlc::mmaStore(staging[warp], acc[fi][fj], 16);");
  line("dlc::warpBarrier();");
  open("for (int e = lane; e < 16 * 16; e += 32)");
  line("const idx_t m = m0 + wm0 + fi * 16 + e / 16, n = n0 + wn0 + fj * 16 "
       "+ e % 16;");
  if (failed(gemmEpilogue(anchor, g, bv0, "staging[warp][e]")))
    return failure();
  close();
  line("dlc::warpBarrier(); // the next accumulator reuses staging");
  close();
  close();
  return success();
}
