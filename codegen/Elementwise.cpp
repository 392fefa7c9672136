//===- Elementwise.cpp - the elementwise ops of a kernel ------------------===//
//
// One element of an elementwise op, from its operands' elements. Most ops
// carry their CUDA spelling themselves (CudaSpelledOpInterface, the `cuda`
// argument of the elementwise classes in ir/DlcOps.td), so a new unary op
// such as dlc.sin needs no edit here, only its device function in the
// prelude. The few ops that need more than a spelling (an attribute, a
// type-dependent form, operands at other indices) are handled below.
//
//===----------------------------------------------------------------------===//
#include "codegen/KernelEmitter.h"

#include "ir/ShapeUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::codegen;

namespace {

const llvm::StringMap<const char *> &comparePredicates() {
  static const llvm::StringMap<const char *> table = {
      {"eq", "=="}, {"ne", "!="}, {"lt", "<"},
      {"le", "<="}, {"gt", ">"},  {"ge", ">="}};
  return table;
}

} // namespace

bool mlir::dlc::codegen::isBroadcastingElementwise(Operation *op) {
  return isa<CompareOp, CastOp, GeluOp, PowOp, BroadcastOp,
             CudaSpelledOpInterface>(op);
}

FailureOr<std::string> KernelEmitter::operandAt(Operation *op, unsigned i,
                                                const std::string &idx) {
  Value in = op->getOperand(i);
  if (auto it = vectorLoaded.find(in); it != vectorLoaded.end())
    return it->second;
  return at(in, broadcastIndex(idx, shapeOf(op->getResult(0)), shapeOf(in)));
}

FailureOr<std::string> KernelEmitter::atElementwise(Operation *op,
                                                    const std::string &idx) {
  Value result = op->getResult(0);
  Dims outShape(shapeOf(result));
  const char *ct = computeType(result);
  if (auto g = dyn_cast<GeluOp>(op)) {
    FailureOr<std::string> x = operandAt(op, 0, idx);
    if (failed(x))
      return failure();
    return bind(result, (g.getApproximate() == "tanh" ? "dlc::geluTanh("
                                                      : "dlc::gelu(") +
                            *x + ")");
  }
  if (auto c = dyn_cast<CompareOp>(op)) {
    auto pred = comparePredicates().find(c.getPredicate());
    if (pred == comparePredicates().end())
      return fail(op, "unknown predicate");
    FailureOr<std::string> a = operandAt(op, 0, idx), b = operandAt(op, 1, idx);
    if (failed(a) || failed(b))
      return failure();
    return bind(result, *a + " " + pred->second + " " + *b);
  }
  if (auto c = dyn_cast<CastOp>(op)) {
    FailureOr<std::string> x = operandAt(op, 0, idx);
    if (failed(x))
      return failure();
    if (elementType(result).isInteger(1))
      return bind(result, "(" + *x + ") != 0");
    // static_cast: a functional cast cannot spell "long long".
    return bind(result, "static_cast<" + std::string(ct) + ">(" + *x + ")");
  }
  if (auto bn = dyn_cast<BatchNormOp>(op)) {
    std::string ch = indexVar(coord(idx, outShape, 1));
    FailureOr<std::string> x = at(bn.getInput(), idx),
                           s = at(bn.getScale(), ch), b = at(bn.getBias(), ch),
                           m = at(bn.getMean(), ch),
                           var = at(bn.getVariance(), ch);
    if (failed(x) || failed(s) || failed(b) || failed(m) || failed(var))
      return failure();
    std::string eps = floatLiteral(bn.getEpsilon().convertToDouble(),
                                   StringRef(ct) == "double");
    return bind(result, "(" + *x + " - " + *m + ") * dlc::rsqrt(" + *var +
                            " + " + eps + ") * " + *s + " + " + *b);
  }
  if (isa<PowOp>(op)) {
    FailureOr<std::string> a = operandAt(op, 0, idx), b = operandAt(op, 1, idx);
    if (failed(a) || failed(b))
      return failure();
    bool isInt = isa<IntegerType>(elementType(result));
    return bind(result, std::string(isInt ? "dlc::ipow(" : "dlc::pow(") + *a +
                            ", " + *b + ")");
  }
  return atSpelled(op, idx);
}

FailureOr<std::string> KernelEmitter::atSpelled(Operation *op,
                                                const std::string &idx) {
  auto spelled = dyn_cast<CudaSpelledOpInterface>(op);
  if (!spelled)
    return fail(op, "no spelling for this op in an elementwise position");
  SmallVector<std::string, 3> args;
  for (unsigned i = 0; i < op->getNumOperands(); ++i) {
    FailureOr<std::string> a = operandAt(op, i, idx);
    if (failed(a))
      return failure();
    args.push_back(*a);
  }
  std::string expr = spelled.getCudaSpelling().str();
  for (size_t i = 0; i < args.size(); ++i) {
    std::string key = "{" + std::to_string(i) + "}";
    for (size_t p; (p = expr.find(key)) != std::string::npos;)
      expr.replace(p, key.size(), args[i]);
  }
  return bind(op->getResult(0), expr);
}
