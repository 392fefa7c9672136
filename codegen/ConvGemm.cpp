//===- ConvGemm.cpp - convolutions and their gradients as implicit GEMMs --===//
//
// The index functions (KernelEmitter::Gemm) that make conv2d,
// conv2d_backward_input (dgrad) and conv2d_backward_weight (wgrad) GEMMs
// for the tiled_gemm strategy, FMA (Gemm.cpp) or tensor cores (MmaGemm.cpp).
// The group is the GEMM's batch index (wgrad: split * groups + group), so a
// grouped conv is one batched GEMM; depthwise convs are direct kernels
// instead (Gemm.cpp's emitDirectContraction, BackwardKernels.cpp).
//
//   conv2d  C[g](m, n) = Y[img][g*OPG + n][oy][ox],  m = (img, oy, ox),
//           k = (c, ky, kx): A = im2col(X) (zero in the padding), B = W^T.
//   dgrad   C[g](m, n) = dX[img][g*CG + n][iy][ix],  m = (img, iy, ix),
//           k = (o, ky, kx): A = dY at y = (iy + pt - ky*dh) / sh where that
//           divides and is inside (the transposed conv), B = W.
//   wgrad   C[s*G + g](m, n) = dW[s][g*OPG + m][c][ky][kx], n = (c, ky, kx),
//           k = s * chunk + (img, y, x): A = dY^T, B = im2col(X).
//
// Index math is 32-bit (int) where every tensor of the op has fewer than
// 2^31 elements: the loaders narrow their (m, k, n) once and decompose them
// with constant divisors.
//
//===----------------------------------------------------------------------===//
#include "codegen/KernelEmitter.h"

#include "ir/ShapeUtils.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::codegen;

namespace {
/// The window of a conv op: stride, padding (top, left), dilation.
struct ConvWindow {
  int64_t sh, sw, pt, pl, dh, dw;
};
ConvWindow windowOf(ArrayRef<int64_t> st, ArrayRef<int64_t> pad,
                    ArrayRef<int64_t> dil) {
  return {st[0], st[1], pad[0], pad[1], dil[0], dil[1]};
}
bool fitsInt(std::initializer_list<int64_t> sizes) {
  for (int64_t s : sizes)
    if (s >= (int64_t(1) << 31))
      return false;
  return true;
}
} // namespace

/// An index variable for `expr` in the conv's index type.
std::string KernelEmitter::convIndex(bool narrow, const std::string &expr) {
  if (llvm::all_of(expr, [](char c) { return llvm::isAlnum(c) || c == '_'; }))
    return narrow && !llvm::all_of(expr, llvm::isDigit) ? "int(" + expr + ")"
                                                        : expr;
  std::string v = fresh("i");
  line(std::string(narrow ? "const int " : "const idx_t ") + v + " = " + expr +
       ";");
  return v;
}

/// `x` (an idx_t name or a number) as the conv's index type.
static std::string narrowed(bool narrow, const std::string &x) {
  return narrow && !llvm::all_of(x, llvm::isDigit) ? "int(" + x + ")" : x;
}

/// Emits `T a = 0; if (cond) a = X[index];` and returns a.
FailureOr<std::string> KernelEmitter::guardedLoad(Value v,
                                                  const std::string &cond,
                                                  const std::string &index) {
  std::string a = fresh("v");
  line(Twine(computeType(v)) + " " + a + " = 0;");
  open("if (" + cond + ")");
  FailureOr<std::string> x = at(v, index);
  if (failed(x))
    return failure();
  line(a + " = " + *x + ";");
  close();
  return a;
}

KernelEmitter::Gemm KernelEmitter::gemmOfConv(Conv2dOp c) {
  Gemm g;
  Value in = c.getInput(), w = c.getWeight();
  Dims is(shapeOf(in)), ws(shapeOf(w)), os(shapeOf(c.getResult()));
  int64_t C = is[1], H = is[2], W = is[3];
  int64_t O = ws[0], CG = ws[1], KH = ws[2], KW = ws[3];
  int64_t OH = os[2], OW = os[3];
  ConvWindow win = windowOf(c.getStride(), c.getPadding(), c.getDilation());
  int64_t groups = c.getGroups();
  int64_t opg = O / groups;
  bool small = fitsInt({numElements(in), numElements(w), numElements(c)});
  g.batch = groups;
  g.m = os[0] * OH * OW;
  g.n = opg;
  g.k = CG * KH * KW;
  g.bias = c.getBias();
  int64_t K = g.k;
  g.loadA = [=](const std::string &b, const std::string &m,
                const std::string &k,
                const std::string &) -> FailureOr<std::string> {
    std::string mi = narrowed(small, m), ki = narrowed(small, k);
    std::string img = convIndex(small, mi + " / " + num(OH * OW));
    std::string oy = convIndex(small, mi + " / " + num(OW) + " % " + num(OH));
    std::string ox = convIndex(small, mi + " % " + num(OW));
    std::string ch = convIndex(small, ki + " / " + num(KH * KW));
    if (groups != 1)
      ch = convIndex(small, narrowed(small, b) + " * " + num(CG) + " + " + ch);
    std::string iy = convIndex(
        small, oy + " * " + num(win.sh) + " - " + num(win.pt) + " + " + ki +
                   " / " + num(KW) + " % " + num(KH) + " * " + num(win.dh));
    std::string ix =
        convIndex(small, ox + " * " + num(win.sw) + " - " + num(win.pl) +
                             " + " + ki + " % " + num(KW) + " * " +
                             num(win.dw));
    return guardedLoad(in,
                       iy + " >= 0 && " + iy + " < " + num(H) + " && " + ix +
                           " >= 0 && " + ix + " < " + num(W),
                       convIndex(small, "((" + img + " * " + num(C) + " + " +
                                            ch + ") * " + num(H) + " + " + iy +
                                            ") * " + num(W) + " + " + ix));
  };
  g.loadB = [=](const std::string &b, const std::string &,
                const std::string &k,
                const std::string &n) -> FailureOr<std::string> {
    std::string o = groups == 1 ? n : b + " * " + num(opg) + " + " + n;
    return at(w, convIndex(small, "(" + narrowed(small, o) + ") * " + num(K) +
                                      " + " + narrowed(small, k)));
  };
  // W is [O, K] row-major: B(g, k, n) = W[(g * OPG + n) * K + k].
  g.stridedB = stridedOf(w, opg * K, 1, K);
  g.biasIndex = [=](const std::string &b, const std::string &n) {
    return groups == 1 ? n : b + " * " + num(opg) + " + " + n;
  };
  g.outIndex = [=](const std::string &b, const std::string &m,
                   const std::string &n) {
    std::string o = groups == 1 ? n : b + " * " + num(opg) + " + " + n;
    return "(" + m + " / " + num(OH * OW) + " * " + num(O) + " + " + o +
           ") * " + num(OH * OW) + " + " + m + " % " + num(OH * OW);
  };
  g.split = [=](const std::string &i) -> std::array<std::string, 3> {
    line("const idx_t o = " + i + " / " + num(OH * OW) + " % " + num(O) +
         ", m = " + i + " / " + num(O * OH * OW) + " * " + num(OH * OW) +
         " + " + i + " % " + num(OH * OW) + ";");
    if (groups == 1)
      return {"0", "m", "o"};
    line("const idx_t b = o / " + num(opg) + ", n = o % " + num(opg) + ";");
    return {"b", "m", "n"};
  };
  return g;
}

KernelEmitter::Gemm KernelEmitter::gemmOfConvInput(Conv2dBackwardInputOp c) {
  Gemm g;
  Value dy = c.getGradOutput(), w = c.getWeight();
  Dims is(c.getInputShape()), ws(shapeOf(w)), gs(shapeOf(dy));
  int64_t C = is[1], H = is[2], W = is[3];
  int64_t O = ws[0], CG = ws[1], KH = ws[2], KW = ws[3];
  int64_t OH = gs[2], OW = gs[3];
  ConvWindow win = windowOf(c.getStride(), c.getPadding(), c.getDilation());
  int64_t groups = c.getGroups();
  int64_t opg = O / groups;
  bool small = fitsInt({numElements(dy), numElements(w), numElements(c)});
  g.batch = groups;
  g.m = is[0] * H * W;
  g.n = CG;
  g.k = opg * KH * KW;
  g.loadA = [=](const std::string &b, const std::string &m,
                const std::string &k,
                const std::string &) -> FailureOr<std::string> {
    std::string mi = narrowed(small, m), ki = narrowed(small, k);
    std::string img = convIndex(small, mi + " / " + num(H * W));
    std::string o = convIndex(small, ki + " / " + num(KH * KW));
    if (groups != 1)
      o = convIndex(small, narrowed(small, b) + " * " + num(opg) + " + " + o);
    // The output position whose tap (ky, kx) reads (iy, ix), if any.
    std::string ty = convIndex(small, mi + " / " + num(W) + " % " + num(H) +
                                          " + " + num(win.pt) + " - " + ki +
                                          " / " + num(KW) + " % " + num(KH) +
                                          " * " + num(win.dh));
    std::string tx = convIndex(small, mi + " % " + num(W) + " + " +
                                          num(win.pl) + " - " + ki + " % " +
                                          num(KW) + " * " + num(win.dw));
    std::string y = win.sh == 1 ? ty : convIndex(small, ty + " / " + num(win.sh));
    std::string x = win.sw == 1 ? tx : convIndex(small, tx + " / " + num(win.sw));
    std::string cond = ty + " >= 0 && " + tx + " >= 0 && " + y + " < " +
                       num(OH) + " && " + x + " < " + num(OW);
    if (win.sh != 1)
      cond += " && " + ty + " % " + num(win.sh) + " == 0";
    if (win.sw != 1)
      cond += " && " + tx + " % " + num(win.sw) + " == 0";
    return guardedLoad(dy, cond,
                       convIndex(small, "((" + img + " * " + num(O) + " + " +
                                            o + ") * " + num(OH) + " + " + y +
                                            ") * " + num(OW) + " + " + x));
  };
  g.loadB = [=](const std::string &b, const std::string &,
                const std::string &k,
                const std::string &n) -> FailureOr<std::string> {
    // W[(g * OPG + o) * CG + n][ky][kx] with k = (o, ky, kx).
    std::string ki = narrowed(small, k);
    std::string base = groups == 1 ? "" : narrowed(small, b) + " * " +
                                              num(opg * CG * KH * KW) + " + ";
    return at(w, convIndex(small, base + ki + " / " + num(KH * KW) + " * " +
                                      num(CG * KH * KW) + " + " +
                                      narrowed(small, n) + " * " +
                                      num(KH * KW) + " + " + ki + " % " +
                                      num(KH * KW)));
  };
  // A 1x1 kernel makes B a plain array: W[(g * OPG + k) * CG + n].
  if (KH * KW == 1)
    g.stridedB = stridedOf(w, opg * CG, CG, 1);
  g.outIndex = [=](const std::string &b, const std::string &m,
                   const std::string &n) {
    std::string ch = groups == 1 ? n : b + " * " + num(CG) + " + " + n;
    return "(" + m + " / " + num(H * W) + " * " + num(C) + " + " + ch +
           ") * " + num(H * W) + " + " + m + " % " + num(H * W);
  };
  g.split = [=](const std::string &i) -> std::array<std::string, 3> {
    line("const idx_t ch = " + i + " / " + num(H * W) + " % " + num(C) +
         ", m = " + i + " / " + num(C * H * W) + " * " + num(H * W) + " + " +
         i + " % " + num(H * W) + ";");
    if (groups == 1)
      return {"0", "m", "ch"};
    line("const idx_t b = ch / " + num(CG) + ", n = ch % " + num(CG) + ";");
    return {"b", "m", "n"};
  };
  return g;
}

KernelEmitter::Gemm KernelEmitter::gemmOfConvWeight(Conv2dBackwardWeightOp c) {
  Gemm g;
  Value dy = c.getGradOutput(), x = c.getInput();
  Dims is(shapeOf(x)), gs(shapeOf(dy));
  int64_t N = is[0], C = is[1], H = is[2], W = is[3];
  int64_t O = gs[1], OH = gs[2], OW = gs[3];
  int64_t KH = c.getKernelSize()[0], KW = c.getKernelSize()[1];
  ConvWindow win = windowOf(c.getStride(), c.getPadding(), c.getDilation());
  int64_t groups = c.getGroups(), splits = c.getKSplits();
  int64_t CG = C / groups, opg = O / groups;
  int64_t terms = N * OH * OW, chunk = (terms + splits - 1) / splits;
  bool small = fitsInt({numElements(dy), numElements(x), numElements(c)});
  g.batch = groups * splits;
  g.m = opg;
  g.n = CG * KH * KW;
  g.k = chunk;
  // The flat position q = (img, y, x) of local k in batch b's chunk, and
  // the group; `cond` gets q's bound when the chunks overrun.
  auto position = [=](const std::string &b, const std::string &k,
                      std::string &cond) {
    std::string bi = narrowed(small, b), ki = narrowed(small, k);
    std::string q = splits == 1 ? ki
                                : convIndex(small, bi + " / " + num(groups) +
                                                       " * " + num(chunk) +
                                                       " + " + ki);
    if (chunk * splits != terms)
      cond = q + " < " + num(terms);
    std::string grp = groups == 1 ? "0" : convIndex(small, bi + " % " +
                                                              num(groups));
    return std::make_pair(q, grp);
  };
  g.loadA = [=](const std::string &b, const std::string &m,
                const std::string &k,
                const std::string &) -> FailureOr<std::string> {
    std::string cond;
    auto [q, grp] = position(b, k, cond);
    std::string o = groups == 1 ? narrowed(small, m)
                                : grp + " * " + num(opg) + " + " +
                                      narrowed(small, m);
    std::string index = convIndex(
        small, "(" + q + " / " + num(OH * OW) + " * " + num(O) + " + " + o +
                   ") * " + num(OH * OW) + " + " + q + " % " + num(OH * OW));
    if (cond.empty())
      return at(dy, index);
    return guardedLoad(dy, cond, index);
  };
  g.loadB = [=](const std::string &b, const std::string &,
                const std::string &k,
                const std::string &n) -> FailureOr<std::string> {
    std::string cond;
    auto [q, grp] = position(b, k, cond);
    std::string ni = narrowed(small, n);
    std::string ch = convIndex(small, ni + " / " + num(KH * KW));
    if (groups != 1)
      ch = convIndex(small, grp + " * " + num(CG) + " + " + ch);
    std::string iy = convIndex(
        small, q + " / " + num(OW) + " % " + num(OH) + " * " + num(win.sh) +
                   " - " + num(win.pt) + " + " + ni + " / " + num(KW) + " % " +
                   num(KH) + " * " + num(win.dh));
    std::string ix = convIndex(
        small, q + " % " + num(OW) + " * " + num(win.sw) + " - " +
                   num(win.pl) + " + " + ni + " % " + num(KW) + " * " +
                   num(win.dw));
    std::string inside = iy + " >= 0 && " + iy + " < " + num(H) + " && " +
                         ix + " >= 0 && " + ix + " < " + num(W);
    return guardedLoad(x, cond.empty() ? inside : cond + " && " + inside,
                       convIndex(small, "((" + q + " / " + num(OH * OW) +
                                            " * " + num(C) + " + " + ch +
                                            ") * " + num(H) + " + " + iy +
                                            ") * " + num(W) + " + " + ix));
  };
  int64_t part = O * CG * KH * KW;
  g.outIndex = [=](const std::string &b, const std::string &m,
                   const std::string &n) {
    // Batch b = s * groups + g: partial s, rows g * OPG + m.
    return b == "0" ? m + " * " + num(CG * KH * KW) + " + " + n
                    : b + " / " + num(groups) + " * " + num(part) + " + (" + b +
                          " % " + num(groups) + " * " + num(opg) + " + " + m +
                          ") * " + num(CG * KH * KW) + " + " + n;
  };
  g.split = [=](const std::string &i) -> std::array<std::string, 3> {
    line("const idx_t o = " + i + " % " + num(part) + " / " +
         num(CG * KH * KW) + ", n = " + i + " % " + num(CG * KH * KW) + ";");
    line("const idx_t b = " + i + " / " + num(part) + " * " + num(groups) +
         " + o / " + num(opg) + ", m = o % " + num(opg) + ";");
    return {"b", "m", "n"};
  };
  return g;
}
