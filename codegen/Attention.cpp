//===- Attention.cpp - the flash_attention forward kernel -----------------===//
//
// One block per (b, h, tile of query rows); `lanes` (4) consecutive threads
// own one query row: each computes tile/lanes of the row's scores per key
// tile and ceil(Dv/lanes) of its output columns. Per key tile: K and V into
// shared memory (one barrier), scores from the shared Q tile, the running
// max and sum across the row's lanes by shuffles (online softmax), P into
// shared memory (a warp barrier: the row's lanes share a warp), then the
// output accumulators rescaled and advanced by P V. The output is written
// once, divided by the sum, and logsumexp = max + log(sum) is saved for the
// backward kernel. Causal blocks stop at the last key tile any of their rows
// sees.
//
//===----------------------------------------------------------------------===//
#include "codegen/Attention.h"
#include "codegen/CudaEmitter.h"

#include "ir/DlcOps.h"
#include "ir/FusionOps.h"
#include "ir/ShapeUtils.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"

#include <climits>

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::attention;

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

} // namespace

Kernel attention::kernelFor(KernelWriter &w, Operation *op, Value mask,
                            ArrayRef<std::string> ptrs) {
  auto qs = shapeOf(op->getOperand(0)), ks = shapeOf(op->getOperand(1)),
       vs = shapeOf(op->getOperand(2));
  Kernel k{w, attentionTiles(op), qs[0] * qs[1], qs[1], qs[2], ks[2], qs[3],
           vs[3], 1.0, false, "", "", ptrs[0], ptrs[1], ptrs[2], "", {}};
  Type et = elementTypeOf(op->getOperand(0));
  k.ct = et.isF64() ? "double" : "float";
  // 32-bit index math unless a tensor has 2^31 elements or more.
  int64_t largest = 0;
  for (Value v : op->getOperands())
    largest = std::max(largest, numElements(v));
  k.it = largest < INT_MAX ? "int" : "idx_t";
  k.scale = op->getAttrOfType<FloatAttr>("scale").getValueAsDouble();
  k.causal = op->getAttrOfType<BoolAttr>("causal").getValue();
  if (mask) {
    SmallVector<int64_t, 4> shape(shapeOf(mask));
    while (shape.size() < 4)
      shape.insert(shape.begin(), 1);
    int64_t stride = 1;
    k.maskStrides.assign(4, 0);
    for (int i = 3; i >= 0; --i) {
      k.maskStrides[i] = shape[i] == 1 ? 0 : stride;
      stride *= shape[i];
    }
  }
  return k;
}

void Kernel::prologue() {
  w.line("const " + it + " k_tid = (" + it + ")dlc::threadInBlock();");
  w.line("const " + it + " k_row = k_tid / " + num(t.lanes) +
         ", k_lane = k_tid % " + num(t.lanes) + ";");
  w.line("const " + it + " k_blk = (" + it + ")dlc::blockInGrid();");
}

void Kernel::openKeyTiles(const std::string &q0) {
  int64_t T = t.tile;
  std::string end = causal ? "(" + q0 + " + " + num(T) + " < " + num(tk) +
                                 " ? " + q0 + " + " + num(T) + " : " +
                                 num(tk) + ")"
                           : num(tk);
  w.open("for (" + it + " k_j0 = 0; k_j0 < " + end + "; k_j0 += " + num(T) +
         ")");
  w.line("dlc::barrier(); // the previous tile's readers are done");
  loadTile("k_ks", k, "k_j0", tk, d);
  loadTile("k_vs", v, "k_j0", tk, dv);
  w.line("dlc::barrier();");
}

void Kernel::loadTile(const std::string &dst, const std::string &ptr,
                      const std::string &row0, int64_t rows, int64_t cols) {
  w.open("for (" + it + " k_e = k_tid; k_e < " + num(t.tile * cols) +
         "; k_e += " + num(t.threads) + ")");
  w.line("const " + it + " k_r = k_e / " + num(cols) + ", k_c = k_e % " +
         num(cols) + ";");
  w.line(dst + "[k_r][k_c] = " + row0 + " + k_r < " + num(rows) +
         " ? dlc::load(" + ptr + ", (k_head * " + num(rows) + " + " + row0 +
         " + k_r) * " + num(cols) + " + k_c) : " + zero() + ";");
  w.close();
}

void Kernel::score(const std::string &x, const std::string &dot,
                   const std::string &i, const std::string &j) {
  std::string valid = i + " < " + num(tq) + " && " + j + " < " + num(tk);
  if (causal)
    valid += " && " + j + " <= " + i;
  w.line(x + " = " + ninf() + ";");
  w.open("if (" + valid + ")");
  std::string v = dot + " * " + floatLiteral(scale, ct == "double");
  if (!mask.empty()) {
    std::string off;
    std::string coords[4] = {"k_head / " + num(numHeads),
                             "k_head % " + num(numHeads), i, j};
    for (int a = 0; a < 4; ++a)
      if (maskStrides[a])
        off += (off.empty() ? "" : " + ") + std::string("(") + coords[a] +
               ") * " + num(maskStrides[a]);
    v += " + dlc::load(" + mask + ", " + (off.empty() ? "0" : off) + ")";
  }
  w.line(x + " = " + v + ";");
  w.close();
}

namespace {

/// The forward kernel; `out` and `lse` are the pointers to store the two
/// results to ("" when nobody reads logsumexp).
void emitForward(Kernel &k, ArrayRef<std::string> outs,
                 ArrayRef<std::string> lses) {
  KernelWriter &w = k.w;
  const AttentionTiles &t = k.t;
  int64_t T = t.tile, L = t.lanes, ns = T / L, nv = ceilDiv(k.dv, L);
  std::string ct = k.ct, it = k.it;
  w.line("__shared__ " + ct + " k_qs[" + num(T) + "][" + num(k.d + 1) + "];");
  w.line("__shared__ " + ct + " k_ks[" + num(T) + "][" + num(k.d + 1) + "];");
  w.line("__shared__ " + ct + " k_vs[" + num(T) + "][" + num(k.dv + 1) +
         "];");
  w.line("__shared__ " + ct + " k_ps[" + num(T) + "][" + num(T + 1) + "];");
  k.prologue();
  w.line("const " + it + " k_head = k_blk / " + num(t.queryTiles) +
         ", k_q0 = k_blk % " + num(t.queryTiles) + " * " + num(T) + ";");
  w.line("const " + it + " k_i = k_q0 + k_row;");
  k.loadTile("k_qs", k.q, "k_q0", k.tq, k.d);
  w.line(ct + " k_m = " + k.ninf() + ", k_l = " + k.zero() + ";");
  w.line(ct + " k_acc[" + num(nv) + "];");
  w.line("#pragma unroll");
  w.line("for (int k_c = 0; k_c < " + num(nv) + "; ++k_c) k_acc[k_c] = " +
         k.zero() + ";");
  k.openKeyTiles("k_q0");
  // The row's Q element is read once per d for all of the thread's keys.
  w.line(ct + " k_s[" + num(ns) + "];");
  w.line("#pragma unroll");
  w.line("for (int k_c = 0; k_c < " + num(ns) + "; ++k_c) k_s[k_c] = " +
         k.zero() + ";");
  w.open("for (int k_d = 0; k_d < " + num(k.d) + "; ++k_d)");
  w.line("const " + ct + " k_qv = k_qs[k_row][k_d];");
  w.line("#pragma unroll");
  w.line("for (int k_c = 0; k_c < " + num(ns) + "; ++k_c) k_s[k_c] += k_qv * "
         "k_ks[k_lane + " + num(L) + " * k_c][k_d];");
  w.close();
  w.line(ct + " k_mx = " + k.ninf() + ";");
  w.line("#pragma unroll");
  w.open("for (int k_c = 0; k_c < " + num(ns) + "; ++k_c)");
  w.line("const " + it + " k_jj = k_lane + " + num(L) + " * k_c;");
  w.line(ct + " k_x;");
  k.score("k_x", "k_s[k_c]", "k_i", "k_j0 + k_jj");
  w.line("k_s[k_c] = k_x;");
  w.line("k_mx = dlc::maximum(k_mx, k_x);");
  w.close();
  for (int64_t m = 1; m < L; m *= 2)
    w.line("k_mx = dlc::maximum(k_mx, dlc::shuffleXor(k_mx, " + num(m) +
           "));");
  w.line("const " + ct + " k_mnew = dlc::maximum(k_m, k_mx);");
  w.line("// A row that has seen only masked keys keeps exp() finite.");
  w.line("const " + ct + " k_base = k_mnew == " + k.ninf() + " ? " +
         k.zero() + " : k_mnew;");
  w.line("const " + ct + " k_corr = dlc::exp(k_m - k_base);");
  w.line(ct + " k_sum = " + k.zero() + ";");
  w.line("#pragma unroll");
  w.open("for (int k_c = 0; k_c < " + num(ns) + "; ++k_c)");
  w.line("const " + ct + " k_p = dlc::exp(k_s[k_c] - k_base);");
  w.line("k_ps[k_row][k_lane + " + num(L) + " * k_c] = k_p;");
  w.line("k_sum += k_p;");
  w.close();
  for (int64_t m = 1; m < L; m *= 2)
    w.line("k_sum += dlc::shuffleXor(k_sum, " + num(m) + ");");
  w.line("k_l = k_l * k_corr + k_sum;");
  w.line("k_m = k_mnew;");
  w.line("dlc::warpBarrier(); // the row's P, written by its lanes");
  w.line("#pragma unroll");
  w.line("for (int k_c = 0; k_c < " + num(nv) + "; ++k_c) k_acc[k_c] *= "
         "k_corr;");
  w.open("for (int k_jj = 0; k_jj < " + num(T) + "; ++k_jj)");
  w.line("const " + ct + " k_p = k_ps[k_row][k_jj];");
  w.line("#pragma unroll");
  w.open("for (int k_c = 0; k_c < " + num(nv) + "; ++k_c)");
  w.line("const " + it + " k_e = k_lane + " + num(L) + " * k_c;");
  if (k.dv % L)
    w.line("if (k_e < " + num(k.dv) + ")");
  w.line((k.dv % L ? "  " : "") + std::string("k_acc[k_c] += k_p * "
                                              "k_vs[k_jj][k_e];"));
  w.close();
  w.close();
  w.close();
  w.open("if (k_i < " + num(k.tq) + ")");
  w.line("#pragma unroll");
  w.open("for (int k_c = 0; k_c < " + num(nv) + "; ++k_c)");
  w.line("const " + it + " k_e = k_lane + " + num(L) + " * k_c;");
  w.open("if (k_e < " + num(k.dv) + ")");
  for (const std::string &p : outs)
    w.line("dlc::store(" + p + ", (k_head * " + num(k.tq) + " + k_i) * " +
           num(k.dv) + " + k_e, k_acc[k_c] / k_l);");
  w.close();
  w.close();
  if (!lses.empty()) {
    w.open("if (k_lane == 0)");
    for (const std::string &p : lses)
      w.line("dlc::store(" + p + ", k_head * " + num(k.tq) +
             " + k_i, k_m + dlc::log(k_l));");
    w.close();
  }
  w.close();
}

} // namespace

LogicalResult
mlir::dlc::emitAttentionKernel(FusionOp fusion, ArrayRef<std::string> operandPtr,
                               ArrayRef<SmallVector<std::string, 1>> resultPtrs,
                               llvm::raw_ostream &os, StringRef indent) {
  Operation *op = findAttentionOp(fusion);
  if (!op)
    return fusion.emitOpError("cannot be emitted as CUDA: no attention op");
  for (Operation &other : fusion.getBodyBlock().without_terminator())
    if (&other != op && !isa<ConstantOp>(other))
      return other.emitOpError("cannot be emitted as CUDA: attention's "
                               "kernel computes it alone (--dlc-fuse keeps "
                               "it out of other groups)");
  SmallVector<std::string, 8> ptrs;
  for (Value v : op->getOperands()) {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg)
      return op->emitOpError("cannot be emitted as CUDA: an attention "
                             "operand must come from outside its fusion "
                             "(a constant mask is not supported)");
    ptrs.push_back(operandPtr[arg.getArgNumber()]);
  }
  // Where each result goes (a result nobody reads is not yielded).
  auto yield = cast<YieldOp>(fusion.getBodyBlock().getTerminator());
  SmallVector<SmallVector<std::string>> stores(op->getNumResults());
  for (auto [r, v] : llvm::enumerate(yield.getValues())) {
    auto res = dyn_cast<OpResult>(v);
    if (!res || res.getOwner() != op)
      return op->emitOpError("cannot be emitted as CUDA: its fusion yields "
                             "a value other than its results");
    llvm::append_range(stores[res.getResultNumber()], resultPtrs[r]);
  }
  KernelWriter w(os, indent);
  Value mask = isa<AttentionOp>(op) ? cast<AttentionOp>(op).getMask()
                                    : cast<AttentionBackwardOp>(op).getMask();
  Kernel k = kernelFor(w, op, mask, ptrs);
  if (!k.t.tile)
    return op->emitOpError("cannot be emitted as CUDA: head dims ")
           << k.d << " and " << k.dv
           << " do not fit 8 rows of a tile in 48 KiB of shared memory";
  if (mask)
    k.mask = ptrs.back();
  std::string node = nodeName(op->getLoc());
  w.line("// " + (node.empty() ? std::string("(unnamed)")
                               : sanitizeComment(node)) +
         ": " + op->getName().getStringRef().str() + " (flash_attention: " +
         num(k.t.tile) + " rows x " + num(k.t.tile) + " keys per tile, " +
         num(k.t.lanes) + " threads per row" +
         (k.causal ? ", causal" : "") + (mask ? ", mask" : "") + ")");
  if (isa<AttentionOp>(op)) {
    emitForward(k, stores[0], stores[1]);
    return success();
  }
  return emitBackward(k, cast<AttentionBackwardOp>(op), ptrs, stores);
}
