//===- MmaMainloop.cpp - the k loop of the tensor-core GEMM --------------===//
//
// `stages` k tiles of A and B in shared memory, one barrier per k tile:
//
//   prologue: tiles 0 .. stages-2 into stages 0 .. stages-2
//   for kt: wait for tile kt (cp.async.wait_group stages-2), barrier;
//           issue tile kt + stages-1 into the stage tile kt-1 used;
//           mmaTile on stage kt % stages;
//           register-staged operands: store tile kt + stages-1
//
// An operand with a strided form (Gemm::stridedA/B) of the MMA element
// type, contiguous along m/n or k with 16-byte aligned rows, is copied by
// 16-byte cp.async.cg, zero-filled past M, N, K through the source size;
// any other (gathers, casts, fused producers) is loaded through loadA /
// loadB into registers before the MMAs of tile kt and stored to shared
// memory after them, so the global loads overlap the MMAs. Each thread
// moves whole 16-byte chunks of a row (swizzled, dlc::swizzle).
//
//===----------------------------------------------------------------------===//
#include "codegen/MmaGemm.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::codegen;

LogicalResult KernelEmitter::mmaOperandLoad(const MmaTiles &t, Gemm &g,
                                            unsigned op, const std::string &kt,
                                            const std::string &stage,
                                            int phase) {
  bool async = t.async[op];
  if (phase == 1 && async)
    return success(); // cp.async has no store phase
  std::string x = op ? "B" : "A", smem = op ? "sB" : "sA";
  std::string mn = op ? "n" : "m", mn0 = op ? "n0" : "m0";
  int64_t extentMN = op ? g.n : g.m, per = t.perChunk();
  std::string it = t.i32 ? "int" : "idx_t";
  std::string stageBase = stage + " * " + num(op ? t.tk * t.tn : t.tm * t.tk);
  std::string slot = smem + " + " + stageBase + " + dlc::swizzle<" +
                     num(t.cols(op)) + ", " + num(t.eb) + ">(cr, cc)";
  bool guard = t.chunks(op) % t.threads != 0;
  open("for (int i = 0; i < kIt" + x + "; ++i)");
  line("const int ch = t + i * kThreads, cr = ch / kRow" + x + ", cc = ch % kRow" +
       x + " * " + num(per) + ";");
  if (guard)
    open("if (ch < kCh" + x + ")");
  if (phase == 1) { // registers -> shared memory
    line("*reinterpret_cast<dlc::Vec<" + num(per) + ", " + t.T + "> *>(" +
         slot + ") = reg" + x + "[i];");
  } else {
    // The chunk's first element: k-major rows are m (n), else k.
    std::string kExpr = kt + " * kTK + " + (t.kMajor[op] ? "cc" : "cr");
    std::string mnExpr = mn0 + " + " + (t.kMajor[op] ? "cr" : "cc");
    // Bounds that can fail: a dim the tiles do not divide.
    int64_t tileMN = op ? t.tn : t.tm;
    auto bound = [&](const std::string &v, int64_t extent, int64_t tile) {
      return extent % tile ? v + " < " + num(extent) : std::string();
    };
    std::string mnBound = bound(mn, extentMN, tileMN),
                kBound = bound("k", g.k, t.tk);
    auto both = [](const std::string &a, const std::string &b) {
      return a.empty() ? b : b.empty() ? a : a + " && " + b;
    };
    if (async) {
      const Gemm::StridedOperand &s = *t.strided[op];
      line("const " + it + " " + mn + " = " + mnExpr + ", k = " + kExpr + ";");
      // The contiguous dim bounds the bytes of a chunk at its end.
      std::string inner = t.kMajor[op] ? "k" : mn;
      int64_t innerExt = t.kMajor[op] ? g.k : extentMN;
      std::string full = num(16);
      if (innerExt % per)
        full = "int(" + num(innerExt) + " - " + inner + " < " + num(per) +
               " ? " + num(innerExt) + " - " + inner + " : " + num(per) +
               ") * " + num(t.eb);
      std::string cond = both(mnBound, kBound);
      std::string bytes = cond.empty() ? full : cond + " ? " + full + " : 0";
      std::string rowIdx = op ? "k" : "m", colIdx = op ? "n" : "k";
      std::string off = rowIdx + " * " + num(s.rowStride) + " + " + colIdx +
                        " * " + num(s.colStride);
      if (g.batch != 1 && s.batchStride)
        off = "b * " + num(s.batchStride) + " + " + off;
      // Past the edges the source size is 0: the address is not read.
      line("dlc::cpAsync<16>(" + slot + ", " + s.ptr + " + (" + off + "), " +
           bytes + ");");
    } else if (t.vector[op]) {
      // The chunk from the strided array: vector loads where the whole
      // chunk is in bounds (dlc::loadVec falls back to scalar loads on a
      // misaligned address), else element by element.
      const Gemm::StridedOperand &s = *t.strided[op];
      int64_t w = t.vector[op];
      std::string ct = typeNames(s.element).compute;
      line("const " + it + " " + mn + " = " + mnExpr + ", k = " + kExpr + ";");
      std::string rowIdx = op ? "k" : "m", colIdx = op ? "n" : "k";
      std::string off = rowIdx + " * " + num(s.rowStride) + " + " + colIdx +
                        " * " + num(s.colStride);
      if (g.batch != 1 && s.batchStride)
        off = "b * " + num(s.batchStride) + " + " + off;
      line("const idx_t off = " + off + ";");
      line(ct + " v[" + num(per) + "];");
      std::string inner = t.kMajor[op] ? "k" : mn;
      int64_t innerExt = t.kMajor[op] ? g.k : extentMN;
      int64_t innerTile = t.kMajor[op] ? t.tk : tileMN;
      std::string whole =
          both(t.kMajor[op] ? mnBound : kBound,
               innerExt % innerTile ? inner + " + " + num(per) + " <= " +
                                          num(innerExt)
                                    : std::string());
      if (!whole.empty())
        open("if (" + whole + ")");
      line("for (int u = 0; u < " + num(per) + "; u += " + num(w) + ")");
      line("  dlc::loadVec<" + num(w) + ">(" + s.ptr + ", off + u, *reinterpret_cast<" +
           ct + " (*)[" + num(w) + "]>(v + u));");
      if (!whole.empty()) {
        close();
        open("else");
        open("for (int u = 0; u < " + num(per) + "; ++u)");
        std::string cond = both(t.kMajor[op] ? mnBound : kBound,
                                inner + " + u < " + num(innerExt));
        line("v[u] = " + cond + " ? dlc::load(" + s.ptr + ", off + u) : " +
             ct + "(0);");
        close();
        close();
      }
      line("for (int u = 0; u < " + num(per) + "; ++u)");
      line("  reg" + x + "[i].v[u] = " + t.T + "(v[u]);");
    } else {
      std::string bv = g.batch != 1 ? "b" : "0";
      open("for (int u = 0; u < " + num(per) + "; ++u)");
      line("const " + it + " " + mn + " = " + mnExpr +
           (t.kMajor[op] ? "" : " + u") + ", k = " + kExpr +
           (t.kMajor[op] ? " + u" : "") + ";");
      line("float v = 0;");
      std::string cond = both(mnBound, kBound);
      if (!cond.empty())
        open("if (" + cond + ")");
      FailureOr<std::string> v = op ? g.loadB(bv, "0", "k", "n")
                                    : g.loadA(bv, "m", "k", "0");
      if (failed(v))
        return failure();
      line("v = " + *v + ";");
      if (!cond.empty())
        close();
      line("reg" + x + "[i].v[u] = " + t.T + "(v);");
      close();
    }
  }
  if (guard)
    close();
  close();
  return success();
}

LogicalResult KernelEmitter::mmaMainLoop(const MmaTiles &t, Gemm &g) {
  auto loads = [&](const std::string &kt, const std::string &stage,
                   int phase) -> LogicalResult {
    for (unsigned op = 0; op < 2; ++op)
      if ((phase == 0 || !t.async[op]) &&
          failed(mmaOperandLoad(t, g, op, kt, stage, phase)))
        return failure();
    return success();
  };
  line("// Prologue: k tiles 0 .. kStages - 2.");
  open("for (int kt = 0; kt < kStages - 1; ++kt)");
  open("if (kt < kNumK)");
  if (failed(loads("kt", "kt", 0)) || failed(loads("kt", "kt", 1)))
    return failure();
  close();
  line("dlc::cpAsyncCommit();");
  close();
  open("for (int kt = 0; kt < kNumK; ++kt)");
  line("dlc::cpAsyncWait<kStages - 2>(); // k tile kt has landed");
  line("dlc::barrier(); // ... for every thread; stage (kt - 1) % kStages is "
       "free");
  line("const int kn = kt + kStages - 1, sn = kn % kStages;");
  open("if (kn < kNumK)");
  if (failed(loads("kn", "sn", 0)))
    return failure();
  close();
  line("dlc::cpAsyncCommit();");
  line(std::string("dlc::mmaTile<kFM, kFN, kTM, kTN, kTK, ") +
       (t.kMajor[0] ? "true" : "false") + ", " +
       (t.kMajor[1] ? "true" : "false") +
       ">(acc, sA + kt % kStages * (kTM * kTK), sB + kt % kStages * (kTK * "
       "kTN), wm0, wn0, lane);");
  if (!t.async[0] || !t.async[1]) {
    open("if (kn < kNumK)");
    if (failed(loads("kn", "sn", 1)))
      return failure();
    close();
  }
  close();
  return success();
}
