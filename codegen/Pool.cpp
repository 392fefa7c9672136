//===- Pool.cpp - the direct_pool strategy --------------------------------===//
//
// One thread per pooled element (max_pool2d, avg_pool2d): the window's
// elements are gathered (a lone pool) or computed from the contraction
// before it and its epilogue up to the pool (conv -> relu -> pool in one
// kernel, each window element a whole dot product).
//
//===----------------------------------------------------------------------===//
#include "codegen/KernelEmitter.h"

#include "ir/ShapeUtils.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::codegen;

/// One thread per pooled element; the window's elements are gathered (a
/// lone pool) or computed from the contraction and its epilogue.
LogicalResult KernelEmitter::emitPool(Operation *pool, Operation *contraction) {
  Value in = pool->getOperand(0), result = pool->getResult(0);
  Dims is(shapeOf(in)), os(shapeOf(result));
  ArrayRef<int64_t> ks =
      cast<DenseI64ArrayAttr>(pool->getAttr("kernel_size")).asArrayRef();
  ArrayRef<int64_t> st =
      cast<DenseI64ArrayAttr>(pool->getAttr("stride")).asArrayRef();
  ArrayRef<int64_t> pad =
      cast<DenseI64ArrayAttr>(pool->getAttr("padding")).asArrayRef();
  Dims dil{1, 1};
  if (auto d = pool->getAttrOfType<DenseI64ArrayAttr>("dilation"))
    dil = Dims(d.asArrayRef());
  bool isMax = isa<MaxPool2dOp>(pool);
  const char *ct = computeType(result);
  bool isDouble = StringRef(ct) == "double";
  open("for (idx_t i = dlc::blockInGrid() * dlc::threadsPerBlock() + "
       "dlc::threadInBlock(); i < " +
       num(numElements(result)) +
       "; i += dlc::blocksPerGrid() * dlc::threadsPerBlock())");
  comment(pool);
  line("const idx_t plane = i / " + num(os[2] * os[3]) + ", py = i / " +
       num(os[3]) + " % " + num(os[2]) + ", px = i % " + num(os[3]) + ";");
  if (isMax)
    line(Twine(ct) + " best = " +
         (isDouble ? "-dlc::infinity<double>()" : "-dlc::infinity<float>()") +
         ";");
  else
    line(Twine(ct) + " sum = 0;");
  bool counts = !isMax && !cast<AvgPool2dOp>(pool).getCountIncludePad();
  if (counts)
    line("int count = 0;");
  open("for (int wy = 0; wy < " + num(ks[0]) + "; ++wy)");
  line("const idx_t iy = py * " + num(st[0]) + " - " + num(pad[0]) +
       " + wy * " + num(dil[0]) + ";");
  open("for (int wx = 0; iy >= 0 && iy < " + num(is[2]) + " && wx < " +
       num(ks[1]) + "; ++wx)");
  line("const idx_t ix = px * " + num(st[1]) + " - " + num(pad[1]) +
       " + wx * " + num(dil[1]) + ";");
  line("if (ix < 0 || ix >= " + num(is[3]) + ") continue;");
  line("const idx_t w = (plane * " + num(is[2]) + " + iy) * " + num(is[3]) +
       " + ix;");
  std::string v;
  if (contraction) {
    Value c = contraction->getResult(0);
    FailureOr<std::string> acc = dotAt(contraction, "w");
    if (failed(acc))
      return failure();
    remember(c, "w", *acc);
    auto known = forward(c, "w", pool);
    if (failed(known))
      return failure();
    auto it = known->find(in);
    if (it == known->end() || it->second != "w")
      return fail(pool, "its input is not the contraction's output element "
                        "for element");
    v = *lookup(in, "w");
  } else {
    FailureOr<std::string> x = at(in, "w");
    if (failed(x))
      return failure();
    v = *x;
  }
  line(isMax ? "best = dlc::maxAcc(best, " + v + ");" : "sum += " + v + ";");
  if (counts)
    line("++count;");
  close();
  close();
  comment(pool);
  std::string y;
  if (isMax)
    y = "best";
  else if (cast<AvgPool2dOp>(pool).getCountIncludePad())
    y = "sum / " + floatLiteral(double(ks[0] * ks[1]), isDouble);
  else
    y = "sum / " + std::string(ct) + "(count)";
  remember(result, "i", bind(result, y));
  if (failed(forwardAndStore(result, "i")))
    return failure();
  close();
  return success();
}
