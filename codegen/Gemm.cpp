//===- Gemm.cpp - contractions as GEMMs: tiled_gemm on FMA, and direct ---===//
//
// matmul, batch_matmul, dense, conv2d and its gradients (implicit GEMMs,
// ConvGemm.cpp) as C[b](m, n) = sum_k A[b](m, k) B[b](k, n) with index
// functions (gemmOf). tiled_gemm stages A and B tiles in shared memory and
// accumulates in the compute type on FMA units (the tensor-core path is
// MmaGemm.cpp); a depthwise conv, a contraction that feeds a pool
// (Pool.cpp) and a contraction under another strategy compute each output
// element's whole dot product in one thread (dotAt).
//
//===----------------------------------------------------------------------===//
#include "codegen/KernelEmitter.h"

#include "ir/FusionOps.h"
#include "ir/ShapeUtils.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::codegen;

std::optional<KernelEmitter::Gemm::StridedOperand>
KernelEmitter::stridedOf(Value v, int64_t batchStride, int64_t rowStride,
                         int64_t colStride) {
  // A float cast of a fusion operand (mixed precision): the array is the
  // operand's, its values converted.
  if (auto c = v.getDefiningOp<CastOp>();
      c && isa<FloatType>(elementType(c.getInput())) &&
      isa<FloatType>(elementType(v)))
    v = c.getInput();
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != &fusion.getBodyBlock())
    return std::nullopt;
  unsigned i = arg.getArgNumber();
  Gemm::StridedOperand s{ctx.operandPtr[i], elementType(v), batchStride,
                         rowStride, colStride};
  s.align = i < ctx.operandAlign.size() ? ctx.operandAlign[i] : 1;
  return s;
}

/// The contraction as a GEMM with index functions.
FailureOr<KernelEmitter::Gemm> KernelEmitter::gemmOf(Operation *op) {
  if (isa<MatmulOp, BatchMatmulOp>(op))
    return gemmOfMatmul(op);
  if (auto d = dyn_cast<DenseOp>(op))
    return gemmOfDense(d);
  if (auto c = dyn_cast<Conv2dBackwardInputOp>(op))
    return gemmOfConvInput(c);
  if (auto c = dyn_cast<Conv2dBackwardWeightOp>(op))
    return gemmOfConvWeight(c);
  return gemmOfConv(cast<Conv2dOp>(op));
}

/// matmul and batch_matmul: numpy batch broadcasting of A and B.
KernelEmitter::Gemm KernelEmitter::gemmOfMatmul(Operation *op) {
  Gemm g;
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  Dims ls(shapeOf(lhs)), rs(shapeOf(rhs)), os(shapeOf(op->getResult(0)));
  size_t r = os.size();
  g.m = os[r - 2];
  g.n = os[r - 1];
  g.k = ls.back();
  Dims batch(os.begin(), os.end() - 2);
  Dims lb(ls.begin(), ls.end() - 2), rb(rs.begin(), rs.end() - 2);
  g.batch = product(batch);
  int64_t M = g.m, N = g.n, K = g.k;
  g.loadA = [=](const std::string &b, const std::string &m,
                const std::string &k,
                const std::string &) -> FailureOr<std::string> {
    std::string bi = broadcastIndex(b, batch, lb);
    return at(lhs, indexVar((bi == "0" ? "" : bi + " * " + num(M * K) + " + ") +
                            m + " * " + num(K) + " + " + k));
  };
  g.loadB = [=](const std::string &b, const std::string &m,
                const std::string &k,
                const std::string &n) -> FailureOr<std::string> {
    std::string bi = broadcastIndex(b, batch, rb);
    return at(rhs, indexVar((bi == "0" ? "" : bi + " * " + num(K * N) + " + ") +
                            k + " * " + num(N) + " + " + n));
  };
  g.outIndex = [=](const std::string &b, const std::string &m,
                   const std::string &n) {
    return (g.batch == 1 ? "" : b + " * " + num(M * N) + " + ") + m + " * " +
           num(N) + " + " + n;
  };
  // Plain arrays when their batch is the output's or a single one.
  auto batchStride = [&](const Dims &own, int64_t perBatch) -> int64_t {
    if (product(own) == 1)
      return 0;
    return own == batch ? perBatch : -1;
  };
  if (int64_t bs = batchStride(lb, M * K); bs >= 0)
    g.stridedA = stridedOf(lhs, bs, K, 1);
  if (int64_t bs = batchStride(rb, K * N); bs >= 0)
    g.stridedB = stridedOf(rhs, bs, N, 1);
  g.split = [=](const std::string &i) -> std::array<std::string, 3> {
    line("const idx_t b = " + i + " / " + num(M * N) + ", m = " + i + " / " +
         num(N) + " % " + num(M) + ", n = " + i + " % " + num(N) + ";");
    return {"b", "m", "n"};
  };
  return g;
}

/// dense: A is the input as rows of k, B the weight (n x k).
KernelEmitter::Gemm KernelEmitter::gemmOfDense(DenseOp d) {
  Gemm g;
  Value in = d.getInput(), w = d.getWeight();
  g.n = shapeOf(w)[0];
  g.k = shapeOf(w)[1];
  g.m = numElements(in) / g.k;
  g.bias = d.getBias();
  int64_t N = g.n, K = g.k;
  g.loadA = [=](const std::string &, const std::string &m, const std::string &k,
                const std::string &) -> FailureOr<std::string> {
    return at(in, indexVar(m + " * " + num(K) + " + " + k));
  };
  g.loadB = [=](const std::string &, const std::string &, const std::string &k,
                const std::string &n) -> FailureOr<std::string> {
    return at(w, indexVar(n + " * " + num(K) + " + " + k));
  };
  g.outIndex = [=](const std::string &, const std::string &m,
                   const std::string &n) {
    return m + " * " + num(N) + " + " + n;
  };
  g.stridedA = stridedOf(in, 0, K, 1);
  g.stridedB = stridedOf(w, 0, 1, K); // B(k, n) = w[n][k]
  g.split = [=](const std::string &i) -> std::array<std::string, 3> {
    line("const idx_t m = " + i + " / " + num(N) + ", n = " + i + " % " +
         num(N) + ";");
    return {"0", "m", "n"};
  };
  return g;
}

FailureOr<std::string> KernelEmitter::dotAt(Operation *op,
                                            const std::string &idx) {
  FailureOr<Gemm> g = gemmOf(op);
  if (failed(g))
    return failure();
  comment(op);
  const char *ct = computeType(op->getResult(0));
  std::array<std::string, 3> bmn = g->split(idx);
  std::string acc = fresh("acc");
  std::string init = StringRef(ct) == "double" ? "0.0" : "0.0f";
  if (g->bias) {
    FailureOr<std::string> b =
        at(g->bias, g->biasIndex ? indexVar(g->biasIndex(bmn[0], bmn[2]))
                                 : bmn[2]);
    if (failed(b))
      return failure();
    init = *b;
  }
  line(Twine(ct) + " " + acc + " = " + init + ";");
  open("for (idx_t k = 0; k < " + std::to_string(g->k) + "; ++k)");
  FailureOr<std::string> a = g->loadA(bmn[0], bmn[1], "k", bmn[2]);
  if (failed(a))
    return failure();
  FailureOr<std::string> b = g->loadB(bmn[0], bmn[1], "k", bmn[2]);
  if (failed(b))
    return failure();
  line(acc + " += " + *a + " * " + *b + ";");
  close();
  return acc;
}

/// One thread per output element: the whole dot product, then the epilogue.
LogicalResult KernelEmitter::emitDirectContraction(Operation *anchor) {
  Value result = anchor->getResult(0);
  open("for (idx_t i = dlc::blockInGrid() * dlc::threadsPerBlock() + "
       "dlc::threadInBlock(); i < " +
       std::to_string(numElements(result)) +
       "; i += dlc::blocksPerGrid() * dlc::threadsPerBlock())");
  FailureOr<std::string> acc = dotAt(anchor, "i");
  if (failed(acc))
    return failure();
  remember(result, "i", *acc);
  if (failed(forwardAndStore(result, "i")))
    return failure();
  close();
  return success();
}

/// Shared-memory tiles of A (tileM x tileK) and B (tileK x tileN); each
/// thread accumulates tileM * tileN / threads outputs of the block's tile.
LogicalResult KernelEmitter::emitTiledGemm(Operation *anchor) {
  if (isDepthwiseConv(anchor))
    return emitDirectContraction(anchor);
  FailureOr<Gemm> g = gemmOf(anchor);
  if (failed(g))
    return failure();
  if (sched.mma != MmaMode::None) {
    std::string why;
    bool emitted = false;
    if (failed(isWgmma(sched.mma) ? emitWgmmaGemm(anchor, *g, why, emitted)
                                  : emitMmaGemm(anchor, *g, why, emitted)))
      return failure();
    if (emitted)
      return success();
    line("// " + stringifyMmaMode(sched.mma).str() + " not honoured: " + why +
         "; FMA path");
  }
  int64_t threads = sched.threadsPerBlock();
  int64_t tm = sched.tile[0], tn = sched.tile[1], tk = sched.tile[2];
  if (threads <= 0 || (tm * tn) % threads != 0)
    return fail(anchor, "tile " + std::to_string(tm) + "x" +
                            std::to_string(tn) + " is not a multiple of " +
                            std::to_string(threads) + " threads");
  const char *ct = computeType(anchor->getResult(0));
  int64_t bytes = (tk * tm + tk * tn) * (StringRef(ct) == "double" ? 8 : 4);
  if (bytes > 48 * 1024)
    return fail(anchor, "tiles need " + std::to_string(bytes) +
                            " bytes of shared memory (48 KiB at most)");
  int64_t tilesM = (g->m + tm - 1) / tm, tilesN = (g->n + tn - 1) / tn;
  comment(anchor);
  line("// GEMM batch " + num(g->batch) + ", M " + num(g->m) + ", N " +
       num(g->n) + ", K " + num(g->k));
  line("constexpr int kTileM = " + num(tm) + ", kTileN = " + num(tn) +
       ", kTileK = " + num(tk) + ", kThreads = " + num(threads) +
       ", kPerThread = kTileM * kTileN / kThreads;");
  line(Twine("__shared__ ") + ct + " tileA[kTileK][kTileM];");
  line(Twine("__shared__ ") + ct + " tileB[kTileK][kTileN];");
  line("const int t = dlc::threadInBlock();");
  open("for (idx_t tile = dlc::blockInGrid(); tile < " +
       num(g->batch * tilesM * tilesN) + "; tile += dlc::blocksPerGrid())");
  if (g->batch != 1)
    line("const idx_t b = tile / " + num(tilesM * tilesN) + ";");
  line("const idx_t m0 = tile / " + num(tilesN) + " % " + num(tilesM) +
       " * kTileM, n0 = tile % " + num(tilesN) + " * kTileN;");
  line(Twine(ct) + " acc[kPerThread];");
  line("for (int r = 0; r < kPerThread; ++r) acc[r] = 0;");
  open("for (idx_t k0 = 0; k0 < " + num(g->k) + "; k0 += kTileK)");
  std::string bv0 = g->batch != 1 ? "b" : "0";
  if (failed(emitFmaTileLoads(*g, ct, bv0)))
    return failure();
  line("dlc::barrier();");
  open("for (int kk = 0; kk < kTileK; ++kk)");
  line("for (int r = 0; r < kPerThread; ++r)");
  line("  acc[r] += tileA[kk][(t + r * kThreads) / kTileN] * "
       "tileB[kk][(t + r * kThreads) % kTileN];");
  close();
  line("dlc::barrier();");
  close();
  // Epilogue: bias, then the fused ops, then the stores.
  open("for (int r = 0; r < kPerThread; ++r)");
  line("const idx_t m = m0 + (t + r * kThreads) / kTileN, n = n0 + (t + r * "
       "kThreads) % kTileN;");
  if (failed(gemmEpilogue(anchor, *g, bv0, "acc[r]")))
    return failure();
  close();
  close();
  return success();
}

LogicalResult KernelEmitter::emitFmaTileLoads(Gemm &g, const char *ct,
                                              const std::string &b) {
  // A tile: consecutive threads read consecutive k.
  open("for (int e = t; e < kTileM * kTileK; e += kThreads)");
  line("const idx_t m = m0 + e / kTileK, k = k0 + e % kTileK;");
  line(Twine(ct) + " a = 0;");
  open("if (m < " + num(g.m) + " && k < " + num(g.k) + ")");
  FailureOr<std::string> a = g.loadA(b, "m", "k", "0");
  if (failed(a))
    return failure();
  line("a = " + *a + ";");
  close();
  line("tileA[e % kTileK][e / kTileK] = a;");
  close();
  // B tile: consecutive threads read consecutive n.
  open("for (int e = t; e < kTileK * kTileN; e += kThreads)");
  line("const idx_t k = k0 + e / kTileN, n = n0 + e % kTileN;");
  line(Twine(ct) + " w = 0;");
  open("if (k < " + num(g.k) + " && n < " + num(g.n) + ")");
  FailureOr<std::string> bv = g.loadB(b, "0", "k", "n");
  if (failed(bv))
    return failure();
  line("w = " + *bv + ";");
  close();
  line("tileB[e / kTileN][e % kTileN] = w;");
  close();
  return success();
}

/// Inside `if (m < M && n < N)`, which it opens and closes: the output
/// element (m, n) is `acc`, plus the bias; then the fused ops and stores.
LogicalResult KernelEmitter::gemmEpilogue(Operation *anchor, Gemm &g,
                                          const std::string &b,
                                          const std::string &acc) {
  open("if (m < " + num(g.m) + " && n < " + num(g.n) + ")");
  std::string out = indexVar(g.outIndex(b, "m", "n"));
  std::string value = acc;
  if (g.bias) {
    FailureOr<std::string> bias =
        at(g.bias, g.biasIndex ? indexVar(g.biasIndex(b, "n")) : "n");
    if (failed(bias))
      return failure();
    value = bind(anchor->getResult(0), acc + " + " + *bias);
  }
  remember(anchor->getResult(0), out, value);
  if (failed(forwardAndStore(anchor->getResult(0), out)))
    return failure();
  close();
  return success();
}
