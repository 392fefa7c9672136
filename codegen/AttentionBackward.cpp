//===- AttentionBackward.cpp - the flash_attention backward kernel --------===//
//
// One grid, two kinds of block, no atomics (deterministic):
//  - blocks [0, heads * keyTiles): one (b, h, key tile) each, computing dK
//    and dV of its keys in registers. Thread (key row, lane) recomputes, per
//    query tile, P[i][j] = exp(s - logsumexp[i]) and
//    dS = P (dO_i . V_j - delta_i) for tile/lanes query rows, stages both
//    in shared memory (transposed: a row per key), then accumulates
//    dV += P^T dO and dK += dS^T Q over its columns. Causal blocks start
//    at the first query tile that sees their keys.
//  - the rest: one (b, h, query tile) each, computing dQ = dS K the same
//    way over the key tiles (causal: up to the diagonal).
// delta_i = dO_i . O_i is computed per query tile where it is needed. The
// dQ blocks recompute S and dP (two of the five products again) instead of
// sharing dS through global memory.
//
//===----------------------------------------------------------------------===//
#include "codegen/Attention.h"

#include "ir/ShapeUtils.h"

#include <tuple>

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::attention;

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct Backward {
  Kernel &k;
  std::string out, lse, dout; // operand pointers
  ArrayRef<std::string> dq, dk, dv; // where the results go

  /// logsumexp and delta of query rows [i0, i0 + tile) into k_lse, k_delta.
  void rowStats(const std::string &i0) {
    KernelWriter &w = k.w;
    std::string it = k.it;
    w.open("for (" + it + " k_r = k_tid; k_r < " + num(k.t.tile) +
           "; k_r += " + num(k.t.threads) + ")");
    w.line("const " + it + " k_q = " + i0 + " + k_r;");
    w.line(k.ct + " k_dl = " + k.zero() + ";");
    w.open("if (k_q < " + num(k.tq) + ")");
    w.line("const " + it + " k_o = (k_head * " + num(k.tq) + " + k_q) * " +
           num(k.dv) + ";");
    w.line("for (int k_e = 0; k_e < " + num(k.dv) + "; ++k_e) k_dl += " +
           "dlc::load(" + dout + ", k_o + k_e) * dlc::load(" + out +
           ", k_o + k_e);");
    w.close();
    w.line("k_lse[k_r] = k_q < " + num(k.tq) + " ? dlc::load(" + lse +
           ", k_head * " + num(k.tq) + " + k_q) : " + k.zero() + ";");
    w.line("k_delta[k_r] = k_dl;");
    w.close();
  }

  /// k_dot[c] = Q_i . K_j and k_dp[c] = dO_i . V_j for the thread's
  /// tile/lanes pairs: the thread's own row of `fixed` (and `fixedV`)
  /// against rows lane + lanes * c of `var` (`varV`), each element of the
  /// own row read once for all of them.
  void products(const std::string &fixed, const std::string &var,
                const std::string &fixedV, const std::string &varV) {
    KernelWriter &w = k.w;
    int64_t ns = k.t.tile / k.t.lanes;
    std::string ct = k.ct;
    w.line(ct + " k_dot[" + num(ns) + "], k_dp[" + num(ns) + "];");
    w.line("#pragma unroll");
    w.line("for (int k_c = 0; k_c < " + num(ns) + "; ++k_c) k_dot[k_c] = "
           "k_dp[k_c] = " + k.zero() + ";");
    for (auto [acc, own, other, n] :
         {std::tuple<const char *, std::string, std::string, int64_t>{
              "k_dot", fixed, var, k.d},
          {"k_dp", fixedV, varV, k.dv}}) {
      w.open("for (int k_d = 0; k_d < " + num(n) + "; ++k_d)");
      w.line("const " + ct + " k_f = " + own + "[k_row][k_d];");
      w.line("#pragma unroll");
      w.line("for (int k_c = 0; k_c < " + num(ns) + "; ++k_c) " + acc +
             "[k_c] += k_f * " + other + "[k_lane + " + num(k.t.lanes) +
             " * k_c][k_d];");
      w.close();
    }
  }

  /// dS (and P when `withP`) of query `i` (shared row qi) and key `j`
  /// from k_dot[k_c] and k_dp[k_c], into the shared cell `at`.
  void probs(const std::string &i, const std::string &qi, const std::string &j,
             const std::string &at, bool withP) {
    KernelWriter &w = k.w;
    std::string ct = k.ct;
    w.line(ct + " k_x;");
    k.score("k_x", "k_dot[k_c]", i, j);
    w.line("const " + ct + " k_p = k_x == " + k.ninf() + " ? " + k.zero() +
           " : dlc::exp(k_x - k_lse[" + qi + "]);");
    if (withP)
      w.line("k_ps" + at + " = k_p;");
    w.line("k_dss" + at + " = k_p * (k_dp[k_c] - k_delta[" + qi + "]);");
  }

  void keyBlocks();
  void queryBlocks();
};

void Backward::keyBlocks() {
  KernelWriter &w = k.w;
  const AttentionTiles &t = k.t;
  int64_t T = t.tile, L = t.lanes, ns = T / L;
  int64_t nk = ceilDiv(k.d, L), nv = ceilDiv(k.dv, L);
  std::string ct = k.ct, it = k.it;
  w.line("const " + it + " k_head = k_blk / " + num(t.keyTiles) +
         ", k_j0 = k_blk % " + num(t.keyTiles) + " * " + num(T) + ";");
  w.line("const " + it + " k_j = k_j0 + k_row;");
  k.loadTile("k_ks", k.k, "k_j0", k.tk, k.d);
  k.loadTile("k_vs", k.v, "k_j0", k.tk, k.dv);
  w.line(ct + " k_dk[" + num(nk) + "], k_dv[" + num(nv) + "];");
  w.line("for (int k_c = 0; k_c < " + num(nk) + "; ++k_c) k_dk[k_c] = " +
         k.zero() + ";");
  w.line("for (int k_c = 0; k_c < " + num(nv) + "; ++k_c) k_dv[k_c] = " +
         k.zero() + ";");
  // Causal: query rows below the first key see none of the tile.
  std::string start = k.causal ? "k_j0 / " + num(T) + " * " + num(T) : "0";
  w.open("for (" + it + " k_i0 = " + start + "; k_i0 < " + num(k.tq) +
         "; k_i0 += " + num(T) + ")");
  w.line("dlc::barrier(); // the previous tile's readers are done");
  k.loadTile("k_qs", k.q, "k_i0", k.tq, k.d);
  k.loadTile("k_dos", dout, "k_i0", k.tq, k.dv);
  rowStats("k_i0");
  w.line("dlc::barrier();");
  products("k_ks", "k_qs", "k_vs", "k_dos");
  w.line("#pragma unroll");
  w.open("for (int k_c = 0; k_c < " + num(ns) + "; ++k_c)");
  w.line("const " + it + " k_ii = k_lane + " + num(L) + " * k_c;");
  probs("k_i0 + k_ii", "k_ii", "k_j", "[k_row][k_ii]", true);
  w.close();
  w.line("dlc::warpBarrier(); // the key's P and dS, written by its lanes");
  w.open("for (int k_ii = 0; k_ii < " + num(T) + "; ++k_ii)");
  w.line("const " + ct + " k_p = k_ps[k_row][k_ii], k_ds = k_dss[k_row][k_ii];");
  w.line("#pragma unroll");
  w.open("for (int k_c = 0; k_c < " + num(std::max(nk, nv)) + "; ++k_c)");
  w.line("const " + it + " k_e = k_lane + " + num(L) + " * k_c;");
  w.line("if (k_c < " + num(nv) + " && k_e < " + num(k.dv) +
         ") k_dv[k_c] += k_p * k_dos[k_ii][k_e];");
  w.line("if (k_c < " + num(nk) + " && k_e < " + num(k.d) +
         ") k_dk[k_c] += k_ds * k_qs[k_ii][k_e];");
  w.close();
  w.close();
  w.close();
  w.open("if (k_j < " + num(k.tk) + ")");
  w.open("for (int k_c = 0; k_c < " + num(std::max(nk, nv)) + "; ++k_c)");
  w.line("const " + it + " k_e = k_lane + " + num(L) + " * k_c;");
  std::string scale = floatLiteral(k.scale, ct == "double");
  for (const std::string &p : dk)
    w.line("if (k_c < " + num(nk) + " && k_e < " + num(k.d) + ") dlc::store(" +
           p + ", (k_head * " + num(k.tk) + " + k_j) * " + num(k.d) +
           " + k_e, k_dk[k_c] * " + scale + ");");
  for (const std::string &p : dv)
    w.line("if (k_c < " + num(nv) + " && k_e < " + num(k.dv) +
           ") dlc::store(" + p + ", (k_head * " + num(k.tk) + " + k_j) * " +
           num(k.dv) + " + k_e, k_dv[k_c]);");
  w.close();
  w.close();
}

void Backward::queryBlocks() {
  KernelWriter &w = k.w;
  const AttentionTiles &t = k.t;
  int64_t T = t.tile, L = t.lanes, ns = T / L, nk = ceilDiv(k.d, L);
  std::string ct = k.ct, it = k.it;
  w.line("const " + it + " k_qb = k_blk - " + num(k.heads * t.keyTiles) + ";");
  w.line("const " + it + " k_head = k_qb / " + num(t.queryTiles) +
         ", k_i0 = k_qb % " + num(t.queryTiles) + " * " + num(T) + ";");
  w.line("const " + it + " k_i = k_i0 + k_row;");
  k.loadTile("k_qs", k.q, "k_i0", k.tq, k.d);
  k.loadTile("k_dos", dout, "k_i0", k.tq, k.dv);
  rowStats("k_i0");
  w.line(ct + " k_dq[" + num(nk) + "];");
  w.line("for (int k_c = 0; k_c < " + num(nk) + "; ++k_c) k_dq[k_c] = " +
         k.zero() + ";");
  k.openKeyTiles("k_i0");
  products("k_qs", "k_ks", "k_dos", "k_vs");
  w.line("#pragma unroll");
  w.open("for (int k_c = 0; k_c < " + num(ns) + "; ++k_c)");
  w.line("const " + it + " k_jj = k_lane + " + num(L) + " * k_c;");
  probs("k_i", "k_row", "k_j0 + k_jj", "[k_row][k_jj]", false);
  w.close();
  w.line("dlc::warpBarrier(); // the row's dS, written by its lanes");
  w.open("for (int k_jj = 0; k_jj < " + num(T) + "; ++k_jj)");
  w.line("const " + ct + " k_ds = k_dss[k_row][k_jj];");
  w.line("#pragma unroll");
  w.open("for (int k_c = 0; k_c < " + num(nk) + "; ++k_c)");
  w.line("const " + it + " k_e = k_lane + " + num(L) + " * k_c;");
  if (k.d % L)
    w.line("if (k_e < " + num(k.d) + ")");
  w.line((k.d % L ? "  " : "") +
         std::string("k_dq[k_c] += k_ds * k_ks[k_jj][k_e];"));
  w.close();
  w.close();
  w.close();
  w.open("if (k_i < " + num(k.tq) + ")");
  w.open("for (int k_c = 0; k_c < " + num(nk) + "; ++k_c)");
  w.line("const " + it + " k_e = k_lane + " + num(L) + " * k_c;");
  std::string scale = floatLiteral(k.scale, ct == "double");
  for (const std::string &p : dq)
    w.line("if (k_e < " + num(k.d) + ") dlc::store(" + p + ", (k_head * " +
           num(k.tq) + " + k_i) * " + num(k.d) + " + k_e, k_dq[k_c] * " +
           scale + ");");
  w.close();
  w.close();
}

} // namespace

LogicalResult
attention::emitBackward(Kernel &k, AttentionBackwardOp op,
                        ArrayRef<std::string> ptrs,
                        ArrayRef<SmallVector<std::string>> stores) {
  KernelWriter &w = k.w;
  int64_t T = k.t.tile;
  std::string ct = k.ct;
  for (auto [name, cols] :
       {std::pair<const char *, int64_t>{"k_qs", k.d + 1},
        {"k_ks", k.d + 1},
        {"k_vs", k.dv + 1},
        {"k_dos", k.dv + 1},
        {"k_ps", T + 1},
        {"k_dss", T + 1}})
    w.line("__shared__ " + ct + " " + name + "[" + num(T) + "][" +
           num(cols) + "];");
  w.line("__shared__ " + ct + " k_lse[" + num(T) + "], k_delta[" + num(T) +
         "];");
  k.prologue();
  // Operands: q, k, v, output, logsumexp, grad_output[, mask].
  Backward b{k, ptrs[3], ptrs[4], ptrs[5], stores[0], stores[1], stores[2]};
  w.line("// Blocks [0, heads * key tiles): dK and dV of one key tile.");
  w.open("if (k_blk < " + num(k.heads * k.t.keyTiles) + ")");
  b.keyBlocks();
  w.closeElse();
  w.line("// dQ of one query tile");
  b.queryBlocks();
  w.close();
  return success();
}
