//===- RowReduce.cpp - the row_reduce strategy ----------------------------===//
//
// threads_per_row threads per row, rows_per_block rows per block (a
// grid-stride loop over row groups). Each statistic of a row (max, sum,
// squared deviation) is one pass over it: each thread combines its strided
// elements, then dlc::rowAllReduce combines the row's threads with warp
// shuffles and shared memory. Softmax, log_softmax and layer_norm then
// compute each element and run the epilogue; reduce_sum/mean/max store one
// value per row; the scalar losses (softmax_cross_entropy, mse_loss) sum
// the rows of a single block.
//
//===----------------------------------------------------------------------===//
#include "codegen/KernelEmitter.h"

#include "ir/ShapeUtils.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::codegen;

/// What the passes over one row share.
struct mlir::dlc::codegen::RowLoop {
  Operation *anchor;
  Value input, result;
  /// The input index of element k of row `row`.
  std::string inIdx;
  int64_t len, rows;
  const char *ct;
  bool isDouble;
  std::string zero, negInf, lenLit;
};

namespace {

/// The gather index of (row, k) for a reduction over `reduced` dims.
std::string rowIndex(ArrayRef<int64_t> shape, ArrayRef<bool> reduced) {
  Dims keptShape, redShape;
  for (size_t d = 0; d < shape.size(); ++d)
    (reduced[d] ? redShape : keptShape).push_back(shape[d]);
  // Trailing reduced dims: row * len + k.
  size_t firstRed = shape.size();
  while (firstRed > 0 && reduced[firstRed - 1])
    --firstRed;
  bool trailing = llvm::all_of(ArrayRef<bool>(reduced).take_front(firstRed),
                               [](bool r) { return !r; });
  int64_t len = product(redShape);
  if (trailing)
    return len == 1 ? "row" : "row * " + std::to_string(len) + " + k";
  Dims strides = stridesOf(shape);
  std::string expr;
  size_t ki = 0, ri = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    std::string term;
    if (reduced[d]) {
      int64_t inner = product(ArrayRef<int64_t>(redShape).drop_front(ri + 1));
      term = "(k / " + std::to_string(inner) + " % " +
             std::to_string(redShape[ri]) + ")";
      ++ri;
    } else {
      int64_t inner = product(ArrayRef<int64_t>(keptShape).drop_front(ki + 1));
      term = "(row / " + std::to_string(inner) + " % " +
             std::to_string(keptShape[ki]) + ")";
      ++ki;
    }
    if (shape[d] == 1)
      continue;
    expr +=
        (expr.empty() ? "" : " + ") + term + " * " + std::to_string(strides[d]);
  }
  return expr.empty() ? "0" : expr;
}

/// The dims of the anchor's input that a row spans.
SmallVector<bool> reducedDims(Operation *anchor, int64_t rank) {
  SmallVector<bool> reduced(rank, false);
  auto norm = [&](int64_t a) { return a < 0 ? a + rank : a; };
  if (auto r = dyn_cast<ReduceSumOp>(anchor);
      r || isa<ReduceMeanOp, ReduceMaxOp>(anchor)) {
    ArrayRef<int64_t> axes =
        cast<DenseI64ArrayAttr>(anchor->getAttr("axes")).asArrayRef();
    for (int64_t d = 0; d < rank; ++d)
      reduced[d] = axes.empty();
    for (int64_t a : axes)
      reduced[norm(a)] = true;
  } else if (isa<SoftmaxOp, LogSoftmaxOp>(anchor)) {
    reduced[norm(cast<IntegerAttr>(anchor->getAttr("axis")).getInt())] = true;
  } else if (auto ln = dyn_cast<LayerNormOp>(anchor)) {
    for (int64_t d = norm(ln.getAxis()); d < rank; ++d)
      reduced[d] = true;
  } else if (isa<SoftmaxCrossEntropyOp>(anchor)) {
    reduced[1] = true;
  } else if (isa<MseLossOp>(anchor)) {
    reduced.assign(rank, true);
  }
  return reduced;
}

FailureOr<std::string> identityTerm(const std::string &x) { return x; }

} // namespace

LogicalResult KernelEmitter::emitRowReduce(Operation *anchor) {
  Value input = anchor->getOperand(0);
  Dims shape(shapeOf(input));
  int64_t rank = shape.size();
  SmallVector<bool> reduced = reducedDims(anchor, rank);
  bool scalar = isa<SoftmaxCrossEntropyOp, MseLossOp>(anchor);
  int64_t len = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[d])
      len *= shape[d];
  int64_t rows = numElements(input) / std::max<int64_t>(len, 1);

  int64_t tpr = sched.threadsPerRow, rpb = sched.rowsPerBlock;
  int64_t threads = sched.threadsPerBlock();
  if (tpr <= 0 || (tpr & (tpr - 1)) != 0 || tpr * rpb != threads ||
      (threads > 32 && threads % 32 != 0))
    return fail(anchor, "schedule has threads_per_row " + std::to_string(tpr) +
                            " (a power of two expected) and rows_per_block " +
                            std::to_string(rpb) + " for a block of " +
                            std::to_string(threads) + " threads");
  RowLoop r;
  r.anchor = anchor;
  r.input = input;
  r.result = anchor->getResult(0);
  r.inIdx = rowIndex(shape, reduced);
  r.len = len;
  r.rows = rows;
  r.ct = computeType(input);
  r.isDouble = StringRef(r.ct) == "double";
  r.zero = r.isDouble ? "0.0" : "0.0f";
  r.negInf =
      r.isDouble ? "-dlc::infinity<double>()" : "-dlc::infinity<float>()";
  r.lenLit = floatLiteral(double(len), r.isDouble);
  comment(anchor);
  line("constexpr int kThreadsPerRow = " + std::to_string(tpr) +
       ", kRowsPerBlock = " + std::to_string(rpb) + ";");
  int64_t scratchSize = std::max<int64_t>(1, tpr * rpb / 32);
  line(Twine("__shared__ ") + r.ct + " scratch[" + std::to_string(scratchSize) +
       "];");
  line("const int lane = dlc::threadInBlock() % kThreadsPerRow;");
  if (scalar)
    line(Twine(r.ct) + " total = " + r.zero + ";");
  open("for (idx_t base = dlc::blockInGrid() * kRowsPerBlock; base < " +
       std::to_string(rows) +
       "; base += dlc::blocksPerGrid() * kRowsPerBlock)");
  line("const idx_t row = base + dlc::threadInBlock() / kThreadsPerRow;");
  line("const bool active = row < " + std::to_string(rows) + ";");
  LogicalResult body = failure();
  if (isa<SoftmaxOp, LogSoftmaxOp>(anchor))
    body = rowSoftmax(r);
  else if (auto ln = dyn_cast<LayerNormOp>(anchor))
    body = rowLayerNorm(r, ln);
  else if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>(anchor))
    body = rowReduce(r);
  else if (auto sce = dyn_cast<SoftmaxCrossEntropyOp>(anchor))
    body = rowCrossEntropy(r, sce);
  else if (auto mse = dyn_cast<MseLossOp>(anchor))
    body = rowMse(r, mse);
  else
    return fail(anchor, "not a row reduction");
  if (failed(body))
    return failure();
  close();
  if (scalar)
    return rowScalarTotal(r);
  return success();
}

LogicalResult KernelEmitter::rowPass(const RowLoop &r, const std::string &acc,
                                     const std::string &init, bool isMax,
                                     const RowTerm &term) {
  line(Twine(r.ct) + " " + acc + " = " + init + ";");
  open("for (idx_t k = lane; active && k < " + std::to_string(r.len) +
       "; k += kThreadsPerRow)");
  std::string i = indexVar(r.inIdx);
  FailureOr<std::string> x = at(r.input, i);
  if (failed(x))
    return failure();
  FailureOr<std::string> t = term(*x);
  if (failed(t))
    return failure();
  line(isMax ? acc + " = dlc::maxAcc(" + acc + ", " + *t + ");"
             : acc + " += " + *t + ";");
  close();
  line(acc + " = dlc::rowAllReduce<kThreadsPerRow>(" + acc +
       (isMax ? ", dlc::Max(), scratch);" : ", dlc::Sum(), scratch);"));
  return success();
}

LogicalResult KernelEmitter::rowElementPass(const RowLoop &r,
                                            const RowElement &f) {
  open("for (idx_t k = lane; active && k < " + std::to_string(r.len) +
       "; k += kThreadsPerRow)");
  std::string i = indexVar(r.inIdx);
  FailureOr<std::string> x = at(r.input, i);
  if (failed(x))
    return failure();
  FailureOr<std::string> y = f(*x, "k");
  if (failed(y))
    return failure();
  comment(r.anchor);
  remember(r.result, i, bind(r.result, *y));
  if (failed(forwardAndStore(r.result, i)))
    return failure();
  close();
  return success();
}

/// max, sum of exp(x - max), then each element.
LogicalResult KernelEmitter::rowSoftmax(const RowLoop &r) {
  if (failed(rowPass(r, "rowMax", r.negInf, true, identityTerm)) ||
      failed(rowPass(r, "rowSum", r.zero, false,
                     [&](const std::string &x) -> FailureOr<std::string> {
                       return "dlc::exp(" + x + " - rowMax)";
                     })))
    return failure();
  bool log = isa<LogSoftmaxOp>(r.anchor);
  if (log)
    line(Twine("const ") + r.ct + " logSum = dlc::log(rowSum);");
  return rowElementPass(
      r,
      [&](const std::string &x, const std::string &) -> FailureOr<std::string> {
        return log ? "(" + x + " - rowMax) - logSum"
                   : "dlc::exp(" + x + " - rowMax) / rowSum";
      });
}

/// mean, variance, then each element scaled and shifted.
LogicalResult KernelEmitter::rowLayerNorm(const RowLoop &r, LayerNormOp ln) {
  if (failed(rowPass(r, "rowSum", r.zero, false, identityTerm)))
    return failure();
  line(Twine("const ") + r.ct + " mean = rowSum / " + r.lenLit + ";");
  if (failed(rowPass(r, "sqSum", r.zero, false,
                     [&](const std::string &x) -> FailureOr<std::string> {
                       return "(" + x + " - mean) * (" + x + " - mean)";
                     })))
    return failure();
  line(Twine("const ") + r.ct + " invStd = dlc::rsqrt(sqSum / " + r.lenLit +
       " + " + floatLiteral(ln.getEpsilon().convertToDouble(), r.isDouble) +
       ");");
  return rowElementPass(r,
                        [&](const std::string &x,
                            const std::string &k) -> FailureOr<std::string> {
                          FailureOr<std::string> s = at(ln.getScale(), k),
                                                 b = at(ln.getBias(), k);
                          if (failed(s) || failed(b))
                            return failure();
                          return "(" + x + " - mean) * invStd * " + *s + " + " +
                                 *b;
                        });
}

/// One value per row, stored by the row's first thread.
LogicalResult KernelEmitter::rowReduce(const RowLoop &r) {
  bool isMax = isa<ReduceMaxOp>(r.anchor);
  if (failed(rowPass(r, "acc", isMax ? r.negInf : r.zero, isMax, identityTerm)))
    return failure();
  open("if (active && lane == 0)");
  comment(r.anchor);
  remember(r.result, "row",
           bind(r.result, isa<ReduceMeanOp>(r.anchor) ? "acc / " + r.lenLit
                                                      : std::string("acc")));
  if (failed(forwardAndStore(r.result, "row")))
    return failure();
  close();
  return success();
}

/// Each row's loss, log-sum-exp minus the label's logit, into `total`.
LogicalResult KernelEmitter::rowCrossEntropy(const RowLoop &r,
                                             SoftmaxCrossEntropyOp sce) {
  if (failed(rowPass(r, "rowMax", r.negInf, true, identityTerm)) ||
      failed(rowPass(r, "rowSum", r.zero, false,
                     [&](const std::string &x) -> FailureOr<std::string> {
                       return "dlc::exp(" + x + " - rowMax)";
                     })))
    return failure();
  open("if (active && lane == 0)");
  FailureOr<std::string> label = at(sce.getLabels(), "row");
  if (failed(label))
    return failure();
  std::string li = indexVar("row * " + std::to_string(r.len) + " + " + *label);
  FailureOr<std::string> x = at(r.input, li);
  if (failed(x))
    return failure();
  line("total += rowMax + dlc::log(rowSum) - " + *x + ";");
  close();
  return success();
}

/// Each row's sum of squared errors into `total`.
LogicalResult KernelEmitter::rowMse(const RowLoop &r, MseLossOp mse) {
  if (failed(rowPass(r, "acc", r.zero, false,
                     [&](const std::string &x) -> FailureOr<std::string> {
                       FailureOr<std::string> t = at(mse.getTarget(), "k");
                       if (failed(t))
                         return failure();
                       return "(" + x + " - " + *t + ") * (" + x + " - " + *t +
                              ")";
                     })))
    return failure();
  line("if (active && lane == 0) total += acc;");
  return success();
}

LogicalResult KernelEmitter::rowScalarTotal(const RowLoop &r) {
  // One block: the rows' partial sums, then the mean over rows/elements.
  line("total = dlc::rowAllReduce<kThreadsPerRow * kRowsPerBlock>(total, "
       "dlc::Sum(), scratch);");
  open("if (dlc::threadInBlock() == 0)");
  comment(r.anchor);
  remember(
      r.result, "0",
      bind(r.result,
           "total / " +
               floatLiteral(double(isa<MseLossOp>(r.anchor) ? r.len : r.rows),
                            r.isDouble)));
  if (failed(forwardAndStore(r.result, "0")))
    return failure();
  close();
  return success();
}
