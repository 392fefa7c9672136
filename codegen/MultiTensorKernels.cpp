//===- MultiTensorKernels.cpp - all optimizer updates in one kernel -------===//
//
// The kernel of a `multi_tensor` fusion (see the header). For a segment of
// n elements at blocks [b0, b1):
//
//   if (k_blk < b1) {                      // blocks of segment 0, 1, ...
//     const idx_t k_base = (k_blk - b0) * chunk, k_end = min(base + chunk, n);
//     <scalars: lr, step, grad_scale, skip; Adam's bias corrections>
//     for (first = k_base + thread * vw; first < k_end; first += threads * vw)
//       load vw elements of param, grad, state (vector, or one by one at the
//       segment's end); update them; store param and state
//     return;
//   }
//
// The math is ir/reference/Optimizer.cpp's (torch.optim), in the
// compute type (f32 for f16/bf16/f32 params, f64 for f64).
//
//===----------------------------------------------------------------------===//
#include "codegen/MultiTensorKernels.h"
#include "ir/ShapeUtils.h"

#include "codegen/CudaEmitter.h"
#include "codegen/KernelText.h"
#include "ir/DlcOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace mlir::dlc;

namespace {


/// Emits one segment: the update op `op` over its param's elements.
class Segment {
public:
  Segment(KernelWriter &w, Operation *op, ArrayRef<std::string> operandPtr,
          const llvm::DenseMap<Value, SmallVector<unsigned, 1>> &yieldIndex,
          ArrayRef<SmallVector<std::string, 1>> resultPtrs, int64_t vw)
      : w(w), op(op), operandPtr(operandPtr), yieldIndex(yieldIndex),
        resultPtrs(resultPtrs), vw(num(vw)) {
    isDouble = cast<RankedTensorType>(op->getOperand(0).getType())
                   .getElementType()
                   .isF64();
    ct = isDouble ? "double" : "float";
  }

  LogicalResult emit(int64_t b0, int64_t chunk);

private:
  std::pair<Value, Value> lossScaling() { return optimizerLossScaling(op); }
  std::string lit(double v) { return floatLiteral(v, isDouble); }
  double attr(StringRef name) {
    return cast<FloatAttr>(op->getAttr(name)).getValueAsDouble();
  }
  /// How element `idx` of `v` is read: a load from its pointer, or the
  /// literal of a splat constant; failure for anything else.
  FailureOr<std::string> read(Value v, const std::string &idx);
  /// A 0-d operand as a named local of the compute type.
  LogicalResult scalar(Value v, StringRef name);
  void emitMath();

  KernelWriter &w;
  Operation *op;
  ArrayRef<std::string> operandPtr;
  const llvm::DenseMap<Value, SmallVector<unsigned, 1>> &yieldIndex;
  ArrayRef<SmallVector<std::string, 1>> resultPtrs;
  std::string vw, ct;
  bool isDouble = false;
};

FailureOr<std::string> Segment::read(Value v, const std::string &idx) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return "dlc::load(" + operandPtr[arg.getArgNumber()] + ", " + idx + ")";
  auto constant = v.getDefiningOp<ConstantOp>();
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                        : DenseElementsAttr();
  if (!dense || !dense.isSplat() ||
      !isa<FloatType>(dense.getElementType()))
    return op->emitOpError("cannot be emitted as CUDA: a multi-tensor "
                           "update reads a constant that is not a float "
                           "splat"),
           failure();
  return lit(dense.getSplatValue<APFloat>().convertToDouble());
}

LogicalResult Segment::scalar(Value v, StringRef name) {
  FailureOr<std::string> x = read(v, "0");
  if (failed(x))
    return failure();
  w.line("const " + ct + " " + name + " = " + *x + ";");
  return success();
}

LogicalResult Segment::emit(int64_t b0, int64_t chunk) {
  Value param = op->getOperand(0);
  int64_t n = numElements(param);
  bool sgd = isa<SgdUpdateOp>(op);
  // Local arrays, in operand order: param, grad, then the state.
  SmallVector<std::string> arrays = {"k_p", "k_g"};
  if (sgd)
    arrays.push_back("k_buf");
  else
    llvm::append_range(arrays, SmallVector<std::string>{"k_m", "k_v"});

  w.line("const idx_t k_base = " +
         (b0 ? "(k_blk - " + num(b0) + ")" : std::string("k_blk")) + " * " +
         num(chunk) + ";");
  w.line("const idx_t k_end = k_base + " + num(chunk) + " < " + num(n) +
         " ? k_base + " + num(chunk) + " : " + num(n) + ";");
  auto [gradScale, skip] = lossScaling();
  if (failed(scalar(op->getOperand(arrays.size() + 1), "k_lr")))
    return failure();
  if (gradScale && failed(scalar(gradScale, "k_gs")))
    return failure();
  if (skip) {
    FailureOr<std::string> x = read(skip, "0");
    if (failed(x))
      return failure();
    w.line("const bool k_skip = " + *x + " != 0;");
  }
  if (!sgd) {
    if (failed(scalar(op->getOperand(arrays.size()), "k_step")))
      return failure();
    // Adam's bias corrections, once per thread.
    w.line("const " + ct + " k_c1 = " + lit(1) + " - dlc::pow(" +
           lit(attr("beta1")) + ", k_step);");
    w.line("const " + ct + " k_c2 = " + lit(1) + " - dlc::pow(" +
           lit(attr("beta2")) + ", k_step);");
  }
  w.open("for (idx_t k_first = k_base + dlc::threadInBlock() * " + vw +
         "; k_first < k_end; k_first += dlc::threadsPerBlock() * " + vw + ")");
  w.line(ct + " " +
         llvm::join(llvm::map_range(arrays,
                                    [&](const std::string &a) {
                                      return a + "[" + vw + "]";
                                    }),
                    ", ") +
         ";");
  // Loads: whole vectors, and the segment's last partial one element-wise.
  w.open("if (k_first + " + vw + " <= k_end)");
  for (auto [i, a] : llvm::enumerate(arrays)) {
    Value v = op->getOperand(i);
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      w.line("dlc::loadVec(" + operandPtr[arg.getArgNumber()] +
             ", k_first, " + a + ");");
      continue;
    }
    FailureOr<std::string> x = read(v, "0");
    if (failed(x))
      return failure();
    w.line("for (int k_u = 0; k_u < " + vw + "; ++k_u) " + a +
           "[k_u] = " + *x + ";");
  }
  w.closeElse();
  w.open("for (int k_u = 0; k_u < " + vw + "; ++k_u)");
  for (auto [i, a] : llvm::enumerate(arrays)) {
    FailureOr<std::string> x = read(op->getOperand(i), "k_first + k_u");
    if (failed(x))
      return failure();
    w.line(a + "[k_u] = k_first + k_u < k_end ? " + *x + " : " + lit(0) +
           ";");
  }
  w.close();
  w.close();
  if (skip)
    w.open("if (!k_skip)");
  emitMath();
  if (skip)
    w.close();
  // Stores: the new param and state (a result nobody reads is not stored).
  SmallVector<std::pair<std::string, std::string>> stores; // ptr, array
  for (auto [r, result] : llvm::enumerate(op->getResults())) {
    auto it = yieldIndex.find(result);
    if (it == yieldIndex.end())
      continue;
    for (unsigned y : it->second)
      for (const std::string &ptr : resultPtrs[y])
        stores.push_back({ptr, arrays[r == 0 ? 0 : r + 1]});
  }
  w.open("if (k_first + " + vw + " <= k_end)");
  for (auto &[ptr, a] : stores)
    w.line("dlc::storeVec(" + ptr + ", k_first, " + a + ");");
  w.closeElse();
  w.open("for (int k_u = 0; k_u < " + vw + " && k_first + k_u < k_end; ++k_u)");
  for (auto &[ptr, a] : stores)
    w.line("dlc::store(" + ptr + ", k_first + k_u, " + a + "[k_u]);");
  w.close();
  w.close();
  w.close();
  return success();
}

void Segment::emitMath() {
  auto [gradScale, skip] = lossScaling();
  (void)skip;
  std::string g = gradScale ? "k_g[k_u] * k_gs" : "k_g[k_u]";
  w.open("for (int k_u = 0; k_u < " + vw + "; ++k_u)");
  if (auto o = dyn_cast<SgdUpdateOp>(op)) {
    double mom = o.getMomentum().convertToDouble();
    double wd = o.getWeightDecay().convertToDouble();
    w.line("const " + ct + " k_gi = " + g +
           (wd != 0 ? " + " + lit(wd) + " * k_p[k_u]" : std::string()) + ";");
    w.line("k_buf[k_u] = " + lit(mom) + " * k_buf[k_u] + k_gi;");
    std::string d = mom == 0        ? "k_gi"
                    : o.getNesterov() ? "(k_gi + " + lit(mom) + " * k_buf[k_u])"
                                      : "k_buf[k_u]";
    w.line("k_p[k_u] = k_p[k_u] - k_lr * " + d + ";");
  } else {
    bool decoupled = isa<AdamwUpdateOp>(op);
    double b1 = attr("beta1"), b2 = attr("beta2"), eps = attr("eps"),
           wd = attr("weight_decay");
    w.line(ct + " k_pi = k_p[k_u];");
    if (decoupled && wd != 0)
      w.line("k_pi = k_pi * (" + lit(1) + " - k_lr * " + lit(wd) + ");");
    w.line("const " + ct + " k_gi = " + g +
           (!decoupled && wd != 0 ? " + " + lit(wd) + " * k_pi"
                                  : std::string()) +
           ";");
    w.line("k_m[k_u] = " + lit(b1) + " * k_m[k_u] + " + lit(1 - b1) +
           " * k_gi;");
    w.line("k_v[k_u] = " + lit(b2) + " * k_v[k_u] + " + lit(1 - b2) +
           " * k_gi * k_gi;");
    w.line("k_p[k_u] = k_pi - k_lr * (k_m[k_u] / k_c1) / (dlc::sqrt(k_v[k_u] "
           "/ k_c2) + " +
           lit(eps) + ");");
  }
  w.close();
}

} // namespace

bool mlir::dlc::isMultiTensorFusion(FusionOp fusion) {
  return fusion.getKind() == FusionOp::kMultiTensor;
}

int64_t mlir::dlc::multiTensorBlocks(FusionOp fusion, int64_t chunk) {
  int64_t blocks = 0;
  for (Operation &op : fusion.getBodyBlock().without_terminator())
    if (isOptimizerUpdate(&op))
      blocks += (numElements(op.getOperand(0)) + chunk - 1) / chunk;
  return std::max<int64_t>(1, blocks);
}

LogicalResult mlir::dlc::emitMultiTensorKernel(
    FusionOp fusion, const MultiTensorShape &shape,
    ArrayRef<std::string> operandPtr,
    ArrayRef<SmallVector<std::string, 1>> resultPtrs, llvm::raw_ostream &os,
    StringRef indent) {
  if (shape.vectorWidth < 1 || shape.chunk < 1 ||
      shape.chunk % shape.vectorWidth != 0)
    return fusion.emitOpError("cannot be emitted as CUDA: chunk ")
           << shape.chunk << " is not a positive multiple of vector_width "
           << shape.vectorWidth;
  if (shape.grid != multiTensorBlocks(fusion, shape.chunk))
    return fusion.emitOpError("cannot be emitted as CUDA: a grid of ")
           << shape.grid << " blocks, but the chunks of its params need "
           << multiTensorBlocks(fusion, shape.chunk) << " (rerun --dlc-tile)";
  auto yield = cast<YieldOp>(fusion.getBodyBlock().getTerminator());
  llvm::DenseMap<Value, SmallVector<unsigned, 1>> yieldIndex;
  for (auto [i, v] : llvm::enumerate(yield.getValues()))
    yieldIndex[v].push_back(i);

  KernelWriter w(os, indent);
  w.line("const idx_t k_blk = dlc::blockInGrid();");
  int64_t b0 = 0;
  for (Operation &op : fusion.getBodyBlock().without_terminator()) {
    if (!isOptimizerUpdate(&op))
      continue;
    int64_t n = numElements(op.getOperand(0));
    int64_t b1 = b0 + (n + shape.chunk - 1) / shape.chunk;
    if (b1 == b0)
      continue; // an empty param
    std::string node = nodeName(op.getLoc());
    w.line("// " + (node.empty() ? std::string() : sanitizeComment(node) + ": ") +
           op.getName().getStringRef().str() + " of " + num(n) +
           " elements, blocks [" + num(b0) + ", " + num(b1) + ")");
    w.open("if (k_blk < " + num(b1) + ")");
    Segment seg(w, &op, operandPtr, yieldIndex, resultPtrs, shape.vectorWidth);
    if (failed(seg.emit(b0, shape.chunk)))
      return failure();
    w.line("return;");
    w.close();
    b0 = b1;
  }
  return success();
}
