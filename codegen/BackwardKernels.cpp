//===- BackwardKernels.cpp - kernels of the autodiff backward ops ---------===//
//
// One thread per output element, grid-stride loop; each element gathers the
// contributions that ir/reference/Backward.cpp scatters onto it:
//
//  - conv2d_backward_input  dx[n][c][iy][ix]: the output positions (y, x)
//    and taps (i, j) with iy = y*sh - pt + i*dh (same for x), over the
//    output channels of c's group;
//  - conv2d_backward_weight dw[o][c][i][j]: a reduction over n, y, x;
//  - max_pool2d_backward    dx[p][iy][ix]: the windows containing (iy, ix)
//    whose argmax (recomputed as the reference picks it) is (iy, ix);
//  - avg_pool2d_backward    dx[p][iy][ix]: g / divisor of each window
//    containing (iy, ix);
//  - slice_backward         an index map: grad's element when the position
//    is one the slice reads, else 0.
//
//===----------------------------------------------------------------------===//
#include "codegen/BackwardKernels.h"
#include "ir/FusionOps.h"
#include "ir/ShapeUtils.h"

#include "codegen/CudaEmitter.h"
#include "codegen/KernelText.h"
#include "ir/DlcOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::dlc;

namespace {

using Dims = SmallVector<int64_t, 4>;

/// Window attributes as the reference's Window2d reads them: stride [2],
/// padding [top, left, ...], dilation [2] (absent: 1).
struct Window {
  int64_t sh = 1, sw = 1, pt = 0, pl = 0, dh = 1, dw = 1;
};
Window windowOf(Operation *op) {
  Window w;
  if (auto s = op->getAttrOfType<DenseI64ArrayAttr>("stride");
      s && s.size() >= 2) {
    w.sh = s[0];
    w.sw = s[1];
  }
  if (auto p = op->getAttrOfType<DenseI64ArrayAttr>("padding");
      p && p.size() >= 2) {
    w.pt = p[0];
    w.pl = p[1];
  }
  if (auto d = op->getAttrOfType<DenseI64ArrayAttr>("dilation");
      d && d.size() >= 2) {
    w.dh = d[0];
    w.dw = d[1];
  }
  return w;
}

struct Emitter {
  KernelWriter &w;
  Operation *op;
  ArrayRef<std::string> ptr; // per operand of op
  std::string ct;            // compute type
  std::string zero;

  /// Emits, for window dim (tap count k, stride s, pad p, dilation d, output
  /// extent o), a loop over the taps of input coordinate `in` that yields
  /// the output coordinate `out` when `in` is tap `tap` of it.
  void openTaps(const std::string &tap, const std::string &out,
                const std::string &in, int64_t k, int64_t s, int64_t p,
                int64_t d, int64_t o) {
    w.open("for (idx_t " + tap + " = 0; " + tap + " < " + num(k) + "; ++" +
           tap + ")");
    std::string t = "k_t_" + out;
    w.line("const idx_t " + t + " = " + in + " + " + num(p) + " - " + tap +
           " * " + num(d) + ";");
    w.line("if (" + t + " < 0" +
           (s != 1 ? " || " + t + " % " + num(s) + " != 0" : std::string()) +
           ") continue;");
    w.line("const idx_t " + out + " = " + t +
           (s != 1 ? " / " + num(s) : std::string()) + ";");
    w.line("if (" + out + " >= " + num(o) + ") continue;");
  }

  LogicalResult convInput(Conv2dBackwardInputOp c) {
    Dims is(shapeOf(c.getResult())), gs(shapeOf(c.getGradOutput())),
         ws(shapeOf(c.getWeight()));
    int64_t C = is[1], H = is[2], W = is[3];
    int64_t O = gs[1], OH = gs[2], OW = gs[3];
    int64_t CG = ws[1], KH = ws[2], KW = ws[3];
    int64_t groups = std::max<int64_t>(1, c.getGroups());
    int64_t opg = O / groups;
    Window win = windowOf(op);
    w.line("const idx_t n = i / " + num(C * H * W) + ", c = i / " +
           num(H * W) + " % " + num(C) + ", iy = i / " + num(W) + " % " +
           num(H) + ", ix = i % " + num(W) + ";");
    w.line("const idx_t k_cg = c % " + num(CG) + ", k_o0 = c / " + num(CG) +
           " * " + num(opg) + ";");
    w.line(ct + " acc = " + zero + ";");
    openTaps("k_ky", "k_y", "iy", KH, win.sh, win.pt, win.dh, OH);
    openTaps("k_kx", "k_x", "ix", KW, win.sw, win.pl, win.dw, OW);
    w.open("for (idx_t k_o = k_o0; k_o < k_o0 + " + num(opg) + "; ++k_o)");
    w.line("acc += dlc::load(" + ptr[0] + ", ((n * " + num(O) +
           " + k_o) * " + num(OH) + " + k_y) * " + num(OW) +
           " + k_x) * dlc::load(" + ptr[1] + ", ((k_o * " + num(CG) +
           " + k_cg) * " + num(KH) + " + k_ky) * " + num(KW) + " + k_kx);");
    w.close();
    w.close();
    w.close();
    return success();
  }

  /// One weight element (of one partial, with k_splits) per thread: its
  /// chunk of the flat (n, y, x) positions.
  LogicalResult convWeight(Conv2dBackwardWeightOp c) {
    Dims gs(shapeOf(c.getGradOutput())), is(shapeOf(c.getInput()));
    int64_t N = is[0], C = is[1], H = is[2], W = is[3];
    int64_t O = gs[1], OH = gs[2], OW = gs[3];
    int64_t KH = c.getKernelSize()[0], KW = c.getKernelSize()[1];
    int64_t groups = std::max<int64_t>(1, c.getGroups());
    int64_t CG = C / groups, opg = O / groups;
    int64_t splits = std::max<int64_t>(1, c.getKSplits());
    int64_t K = N * OH * OW, chunk = (K + splits - 1) / splits;
    int64_t part = O * CG * KH * KW;
    Window win = windowOf(op);
    w.line("const idx_t k_part = i / " + num(part) + ", k_e = i % " +
           num(part) + ";");
    w.line("const idx_t k_o = k_e / " + num(CG * KH * KW) + ", c = k_o / " +
           num(opg) + " * " + num(CG) + " + k_e / " + num(KH * KW) + " % " +
           num(CG) + ", k_ky = k_e / " + num(KW) + " % " + num(KH) +
           ", k_kx = k_e % " + num(KW) + ";");
    w.line(ct + " acc = " + zero + ";");
    w.line("const idx_t k_q1 = k_part * " + num(chunk) + " + " + num(chunk) +
           " < " + num(K) + " ? k_part * " + num(chunk) + " + " + num(chunk) +
           " : " + num(K) + ";");
    w.open("for (idx_t k_q = k_part * " + num(chunk) + "; k_q < k_q1; ++k_q)");
    w.line("const idx_t n = k_q / " + num(OH * OW) + ", k_y = k_q / " +
           num(OW) + " % " + num(OH) + ", k_x = k_q % " + num(OW) + ";");
    w.line("const idx_t iy = k_y * " + num(win.sh) + " - " + num(win.pt) +
           " + k_ky * " + num(win.dh) + ";");
    w.line("const idx_t ix = k_x * " + num(win.sw) + " - " + num(win.pl) +
           " + k_kx * " + num(win.dw) + ";");
    w.line("if (iy < 0 || iy >= " + num(H) + " || ix < 0 || ix >= " + num(W) +
           ") continue;");
    w.line("acc += dlc::load(" + ptr[0] + ", ((n * " + num(O) +
           " + k_o) * " + num(OH) + " + k_y) * " + num(OW) +
           " + k_x) * dlc::load(" + ptr[1] + ", ((n * " + num(C) + " + c) * " +
           num(H) + " + iy) * " + num(W) + " + ix);");
    w.close();
    return success();
  }

  /// Max and avg pool backward: loops over the windows (y, x) that hold
  /// input element (iy, ix) of plane p.
  LogicalResult pool(bool isMax) {
    Value result = op->getResult(0);
    Dims is(shapeOf(result)), gs(shapeOf(op->getOperand(0)));
    int64_t H = is[2], W = is[3], OH = gs[2], OW = gs[3];
    ArrayRef<int64_t> ks =
        cast<DenseI64ArrayAttr>(op->getAttr("kernel_size")).asArrayRef();
    int64_t KH = ks[0], KW = ks[1];
    Window win = windowOf(op);
    w.line("const idx_t k_p = i / " + num(H * W) + ", iy = i / " + num(W) +
           " % " + num(H) + ", ix = i % " + num(W) + ";");
    w.line(ct + " acc = " + zero + ";");
    openTaps("k_ky", "k_y", "iy", KH, win.sh, win.pt, win.dh, OH);
    openTaps("k_kx", "k_x", "ix", KW, win.sw, win.pl, win.dw, OW);
    std::string g = "dlc::load(" + ptr[0] + ", (k_p * " + num(OH) + " + k_y) * " +
                    num(OW) + " + k_x)";
    auto windowLoops = [&]() {
      w.open("for (idx_t wy = 0; wy < " + num(KH) + "; ++wy)");
      w.line("const idx_t k_jy = k_y * " + num(win.sh) + " - " + num(win.pt) +
             " + wy * " + num(win.dh) + ";");
      w.line("if (k_jy < 0 || k_jy >= " + num(H) + ") continue;");
      w.open("for (idx_t wx = 0; wx < " + num(KW) + "; ++wx)");
      w.line("const idx_t k_jx = k_x * " + num(win.sw) + " - " + num(win.pl) +
             " + wx * " + num(win.dw) + ";");
      w.line("if (k_jx < 0 || k_jx >= " + num(W) + ") continue;");
    };
    if (isMax) {
      // The window's argmax as the reference picks it: NaN wins, else the
      // first strictly greater element; padding never wins.
      w.line(ct + " best = -dlc::infinity<" + ct + ">();");
      w.line("idx_t k_arg = -1;");
      windowLoops();
      w.line("const " + ct + " k_v = dlc::load(" + ptr[1] + ", (k_p * " +
             num(H) + " + k_jy) * " + num(W) + " + k_jx);");
      w.open("if (dlc::isnan(k_v) || k_v > best)");
      w.line("best = k_v;");
      w.line("k_arg = k_jy * " + num(W) + " + k_jx;");
      w.close();
      w.close();
      w.close();
      w.line("if (k_arg == iy * " + num(W) + " + ix) acc += " + g + ";");
    } else {
      bool includePad = cast<AvgPool2dBackwardOp>(op).getCountIncludePad();
      if (includePad) {
        w.line("acc += " + g + " / " + ct + "(" + num(KH * KW) + ");");
      } else {
        w.line("idx_t count = 0;");
        windowLoops();
        w.line("++count;");
        w.close();
        w.close();
        w.line("acc += " + g + " / " + ct + "(count);");
      }
    }
    w.close();
    w.close();
    return success();
  }

  LogicalResult slice(SliceBackwardOp s) {
    Dims in(shapeOf(s.getResult())), gs(shapeOf(s.getGrad()));
    size_t rank = in.size();
    auto [begin, step] =
        sliceWindow(in, s.getStarts(), s.getAxes(), s.getSteps());
    Dims gStrides(rank, 1);
    for (int64_t d = int64_t(rank) - 2; d >= 0; --d)
      gStrides[d] = gStrides[d + 1] * gs[d + 1];
    std::string cond = "true", gIdx = "0";
    int64_t inner = 1;
    for (int64_t d = int64_t(rank) - 1; d >= 0; --d) {
      std::string c = "k_c" + num(d);
      w.line("const idx_t " + c + " = i / " + num(inner) + " % " + num(in[d]) +
             " - " + num(begin[d]) + ";");
      inner *= in[d];
      std::string q = c;
      if (step[d] != 1) {
        cond += " && " + c + " % " + num(step[d]) + " == 0";
        q = "(" + c + " / " + num(step[d]) + ")";
      }
      cond += " && " + q + " >= 0 && " + q + " < " + num(gs[d]);
      gIdx += " + " + q + " * " + num(gStrides[d]);
    }
    w.line(ct + " acc = " + zero + ";");
    if (product(gs) > 0) {
      w.open("if (" + cond + ")");
      w.line("acc = dlc::load(" + ptr[0] + ", " + gIdx + ");");
      w.close();
    }
    return success();
  }
};

} // namespace

bool mlir::dlc::isBackwardOp(Operation *op) { return isDirectBackwardOp(op); }

Operation *mlir::dlc::findBackwardOp(FusionOp fusion) {
  for (Operation &op : fusion.getBodyBlock().without_terminator())
    if (isBackwardOp(&op))
      return &op;
  return nullptr;
}

LogicalResult
mlir::dlc::emitBackwardKernel(FusionOp fusion, ArrayRef<std::string> operandPtr,
                              ArrayRef<SmallVector<std::string, 1>> resultPtrs,
                              llvm::raw_ostream &os, StringRef indent) {
  Operation *op = findBackwardOp(fusion);
  if (!op)
    return fusion.emitOpError("cannot be emitted as CUDA: no backward op");
  for (Operation &other : fusion.getBodyBlock().without_terminator())
    if (&other != op && !isa<ConstantOp>(other))
      return other.emitOpError("cannot be emitted as CUDA: a backward op's "
                               "kernel computes it alone (--dlc-fuse keeps "
                               "it out of other groups)");
  SmallVector<std::string, 2> ptrs;
  for (Value v : op->getOperands()) {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg)
      return op->emitOpError("cannot be emitted as CUDA: a backward op's "
                             "operand must come from outside its fusion");
    ptrs.push_back(operandPtr[arg.getArgNumber()]);
  }
  Value result = op->getResult(0);
  auto yield = cast<YieldOp>(fusion.getBodyBlock().getTerminator());
  Type et = cast<RankedTensorType>(result.getType()).getElementType();
  std::string ct = et.isF64() ? "double" : "float";

  KernelWriter w(os, indent);
  Emitter e{w, op, ptrs, ct, ct == "double" ? "0.0" : "0.0f"};
  w.open("for (idx_t i = dlc::blockInGrid() * dlc::threadsPerBlock() + "
         "dlc::threadInBlock(); i < " +
         num(product(shapeOf(result))) +
         "; i += dlc::blocksPerGrid() * dlc::threadsPerBlock())");
  std::string node;
  if (auto name = op->getLoc()->findInstanceOf<NameLoc>())
    node = name.getName().str();
  w.line("// " + (node.empty() ? std::string("(unnamed)")
                               : sanitizeComment(node)) +
         ": " + op->getName().getStringRef());
  LogicalResult ok = failure();
  if (auto c = dyn_cast<Conv2dBackwardInputOp>(op))
    ok = e.convInput(c);
  else if (auto c = dyn_cast<Conv2dBackwardWeightOp>(op))
    ok = e.convWeight(c);
  else if (isa<MaxPool2dBackwardOp>(op))
    ok = e.pool(true);
  else if (isa<AvgPool2dBackwardOp>(op))
    ok = e.pool(false);
  else
    ok = e.slice(cast<SliceBackwardOp>(op));
  if (failed(ok))
    return failure();
  for (auto [r, v] : llvm::enumerate(yield.getValues())) {
    if (v != result)
      return op->emitOpError("cannot be emitted as CUDA: its fusion yields "
                             "a value other than its result");
    for (const std::string &p : resultPtrs[r])
      w.line("dlc::store(" + p + ", i, acc);");
  }
  w.close();
  return success();
}
