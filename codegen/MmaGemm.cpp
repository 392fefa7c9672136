//===- MmaGemm.cpp - tiled_gemm on tensor cores ---------------------------===//
//
// The tensor-core path of tiled_gemm (mma "mma_sync_f16", "mma_sync_bf16",
// "mma_sync_tf32"), as Triton keeps DotOpToLLVM/MMAv2.cpp beside FMA.cpp.
// Each warp owns a (tm/wm) x (tn/wn) part of the block tile as a grid of
// m16n8 float accumulators in registers; `stages` k tiles of A and B live
// in XOR-swizzled dynamic shared memory (MmaMainloop.cpp fills them by
// cp.async or through registers); the prelude's dlc::mmaTile multiplies a
// stage (ldmatrix + mma.sync on a GPU). The epilogue runs straight from the
// accumulator registers: each lane knows the (row, column) of its elements
// in the m16n8 layout. Block tiles are walked in a rasterized order (groups
// of kGroup tile rows) so that consecutive blocks share A and B in L2.
// When the schedule cannot be honoured (operand types, tile shape, shared
// memory), Gemm.cpp's FMA path runs instead, with a note.
//
//===----------------------------------------------------------------------===//
#include "codegen/MmaGemm.h"

#include "ir/ShapeUtils.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::codegen;

namespace {

bool isPow2(int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

/// Whether operand `op` of `g` can be copied by 16-byte cp.async: a strided
/// operand of the MMA element type, contiguous along one dim, 16-byte
/// aligned rows and base; sets `kMajor` to its contiguous dim.
bool asyncEligible(const std::optional<KernelEmitter::Gemm::StridedOperand> &s,
                   Type want, int64_t elemBytes, bool isB, bool &kMajor) {
  if (!s || s->element != want || s->align % 16)
    return false;
  int64_t per = 16 / elemBytes;
  // A: rows m, columns k; B: rows k, columns n.
  int64_t kStride = isB ? s->rowStride : s->colStride;
  int64_t mnStride = isB ? s->colStride : s->rowStride;
  if (kStride == 1 && mnStride > 0 && mnStride % per == 0)
    kMajor = true;
  else if (mnStride == 1 && kStride > 0 && kStride % per == 0)
    kMajor = false;
  else
    return false;
  return s->batchStride % per == 0;
}

} // namespace

std::optional<MmaTiles> KernelEmitter::mmaTilesFor(Operation *anchor,
                                                   const Gemm &g,
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
  case MmaMode::Tf32:
    want = Float32Type::get(mctx);
    break;
  case MmaMode::None:
  case MmaMode::WgmmaF16: // WgmmaGemm.cpp
  case MmaMode::WgmmaBf16:
    why = "no mma.sync mode";
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
  t.stages = sched.stages;
  if (t.wm <= 0 || t.wn <= 0 || t.threads != 32 * t.wm * t.wn ||
      t.tm % (16 * t.wm) || t.tn % (16 * t.wn) || t.tk % 16 ||
      !isPow2(t.tm) || !isPow2(t.tn) || !isPow2(t.tk)) {
    why = "tile " + num(t.tm) + "x" + num(t.tn) + "x" + num(t.tk) + ", warps " +
          num(t.wm) + "x" + num(t.wn) + " on " + num(t.threads) +
          " threads is not power-of-two sides with whole 16x16 warp tiles";
    return std::nullopt;
  }
  if (t.stages < 2 || t.stages > 8) {
    why = "stages " + num(t.stages) + " (the pipeline needs 2 to 8)";
    return std::nullopt;
  }
  t.fm = t.tm / t.wm / 16;
  t.fn = t.tn / t.wn / 8;
  t.eb = sched.mma == MmaMode::Tf32 ? 4 : 2;
  t.T = typeNames(want).storage;
  t.sharedBytes = t.stages * (t.tm * t.tk + t.tk * t.tn) * t.eb;
  std::optional<TargetInfo> target = getTargetInfo(sched.target);
  int64_t maxShared = target ? target->maxSharedBytes : 227 * 1024;
  t.maxShared = maxShared;
  if (t.sharedBytes > maxShared) {
    why = "the stages need " + num(t.sharedBytes) +
          " bytes of shared memory (" + num(maxShared) + " at most)";
    return std::nullopt;
  }
  const std::optional<Gemm::StridedOperand> *ops[2] = {&g.stridedA,
                                                       &g.stridedB};
  for (unsigned op = 0; op < 2; ++op) {
    t.strided[op] = *ops[op];
    t.kMajor[op] = true;
    t.async[op] = asyncEligible(*ops[op], want, t.eb, op == 1, t.kMajor[op]);
    // Register-staged B with n contiguous in memory (a matmul's B): rows
    // of k, so that a thread's chunk is consecutive columns.
    if (!t.async[op] && op == 1 && *ops[op] && (*ops[op])->colStride == 1)
      t.kMajor[op] = false;
    // Register-staged from a strided array contiguous along the chunk:
    // vector loads of up to 16 bytes.
    t.vector[op] = 0;
    if (!t.async[op] && *ops[op]) {
      const Gemm::StridedOperand &s = **ops[op];
      int64_t kStride = op ? s.rowStride : s.colStride;
      int64_t mnStride = op ? s.colStride : s.rowStride;
      unsigned bits = s.element.getIntOrFloatBitWidth();
      if ((t.kMajor[op] ? kStride : mnStride) == 1 && bits % 8 == 0)
        t.vector[op] =
            std::min<int64_t>(t.perChunk(), 16 / std::max(1u, bits / 8));
    }
  }
  // 32-bit index math when every offset fits.
  int64_t most = g.batch * g.m * g.n;
  for (Value v : fusion.getInputs())
    most = std::max(most, numElements(v));
  for (Value v : fusion.getResults())
    most = std::max(most, numElements(v));
  for (unsigned op = 0; op < 2; ++op)
    if (t.strided[op]) {
      const Gemm::StridedOperand &s = *t.strided[op];
      int64_t rows = op ? g.k : g.m, cols = op ? g.n : g.k;
      most = std::max(most, g.batch * s.batchStride + rows * s.rowStride +
                                cols * s.colStride + 16);
    }
  t.i32 = most < (int64_t(1) << 31) - 1024;
  return t;
}

LogicalResult KernelEmitter::emitMmaGemm(Operation *anchor, Gemm &g,
                                         std::string &why, bool &emitted) {
  std::optional<MmaTiles> tiles = mmaTilesFor(anchor, g, why);
  if (!tiles)
    return success();
  const MmaTiles &t = *tiles;
  emitted = usesMma = true;
  dynamicSharedBytes = t.sharedBytes;
  // Two blocks per SM where their stages fit: ptxas keeps the registers
  // within 64K / (2 * threads) (128 for 256 threads).
  if (t.threads <= 512 && 2 * t.sharedBytes <= t.maxShared)
    launchBounds = "__launch_bounds__(" + num(t.threads) + ", 2) ";
  int64_t tilesM = (g.m + t.tm - 1) / t.tm, tilesN = (g.n + t.tn - 1) / t.tn;
  int64_t group = std::min<int64_t>(8, tilesM);
  auto how = [&](unsigned op) {
    return std::string(t.async[op]    ? "cp.async"
                       : t.vector[op] ? "vectors"
                                      : "registers") +
           ", " +
           (t.kMajor[op] ? "k" : (op ? "n" : "m")) + "-major";
  };
  comment(anchor);
  line("// GEMM batch " + num(g.batch) + ", M " + num(g.m) + ", N " + num(g.n) +
       ", K " + num(g.k) + " on tensor cores (" +
       stringifyMmaMode(sched.mma).str() + ": mma.sync " +
       (t.eb == 2 ? "m16n8k16 from ldmatrix" : "m16n8k8 tf32") +
       ", float accumulator); " + num(t.stages) + "-stage pipeline, A: " +
       how(0) + ", B: " + how(1));
  line("constexpr int kTM = " + num(t.tm) + ", kTN = " + num(t.tn) +
       ", kTK = " + num(t.tk) + ", kStages = " + num(t.stages) +
       ", kThreads = " + num(t.threads) + ";");
  line("constexpr int kFM = " + num(t.fm) + ", kFN = " + num(t.fn) +
       ", kWarpsN = " + num(t.wn) + ", kNumK = " + num((g.k + t.tk - 1) / t.tk) +
       ";");
  line("constexpr int kTilesM = " + num(tilesM) + ", kTilesN = " +
       num(tilesN) + ", kGroup = " + num(group) + ";");
  line("extern __shared__ __align__(128) unsigned char dlc_smem[]; // " +
       num(t.sharedBytes) + " bytes");
  line(Twine(t.T) + " *const sA = reinterpret_cast<" + t.T + " *>(dlc_smem);");
  line(Twine(t.T) + " *const sB = sA + kStages * kTM * kTK;");
  line("const int t = int(dlc::threadInBlock()), lane = t % 32, warp = t / "
       "32;");
  line("const int wm0 = warp / kWarpsN * (kFM * 16), wn0 = warp % kWarpsN * "
       "(kFN * 8);");
  for (unsigned op = 0; op < 2; ++op) {
    std::string x = op ? "B" : "A";
    // kCh: the chunks, where the threads do not divide them.
    bool ragged = t.chunks(op) % t.threads != 0;
    line("constexpr int kRow" + x + " = " + num(t.cols(op) / t.perChunk()) +
         (ragged ? ", kCh" + x + " = " + num(t.chunks(op)) : "") + ", kIt" +
         x + " = " +
         num((t.chunks(op) + t.threads - 1) / t.threads) + "; // " +
         num(t.rows(op)) + " rows of 16-byte chunks");
  }
  for (unsigned op = 0; op < 2; ++op)
    if (!t.async[op])
      line(Twine("dlc::Vec<") + num(16 / t.eb) + ", " + t.T + "> reg" +
           (op ? "B" : "A") + "[kIt" + (op ? "B" : "A") + "];");
  open("for (idx_t tile = dlc::blockInGrid(); tile < " +
       num(g.batch * tilesM * tilesN) + "; tile += dlc::blocksPerGrid())");
  if (g.batch != 1)
    line("const idx_t b = tile / (kTilesM * kTilesN);");
  line("// Rasterized: kGroup tile rows at a time, column by column.");
  line("const int ti = int(tile % (kTilesM * kTilesN)), grp = ti / (kGroup * "
       "kTilesN);");
  line("const int rows = kTilesM - grp * kGroup < kGroup ? kTilesM - grp * "
       "kGroup : kGroup;");
  std::string it = t.i32 ? "int" : "idx_t";
  line("const " + it + " m0 = " + it +
       "(grp * kGroup + ti % (kGroup * kTilesN) % rows) * kTM, n0 = " + it +
       "(ti % (kGroup * kTilesN) / rows) * kTN;");
  line("float acc[kFM][kFN][4] = {};");
  if (failed(mmaMainLoop(t, g)) || failed(mmaEpilogue(anchor, t, g)))
    return failure();
  line("dlc::barrier(); // the next tile's prologue refills the stages");
  close();
  return success();
}

/// Each lane's accumulator elements: row g + 8 (e / 2), column 2q + e % 2
/// of its m16n8 fragment (g = lane / 4, q = lane % 4).
LogicalResult KernelEmitter::mmaEpilogue(Operation *anchor, const MmaTiles &t,
                                         Gemm &g) {
  std::string bv0 = g.batch != 1 ? "b" : "0";
  std::string it = t.i32 ? "int" : "idx_t";
  line("const int g = lane / 4, q = lane % 4;");
  // Unrolled, so that acc stays in registers.
  line("#pragma unroll");
  open("for (int fi = 0; fi < kFM; ++fi)");
  line("#pragma unroll");
  open("for (int fj = 0; fj < kFN; ++fj)");
  line("#pragma unroll");
  open("for (int e = 0; e < 4; ++e)");
  line("const " + it +
       " m = m0 + wm0 + fi * 16 + g + e / 2 * 8, n = n0 + wn0 + fj * 8 + q "
       "* 2 + e % 2;");
  if (failed(gemmEpilogue(anchor, g, bv0, "acc[fi][fj][e]")))
    return failure();
  close();
  close();
  close();
  return success();
}
