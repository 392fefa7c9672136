//===- ShapeRulesElementwise.cpp - shape rules of elementwise ops ---------===//
//
// Binary ops broadcast by numpy rules; compare gives i1, where broadcasts
// three operands, cast changes the element type. The unary ops have no rule.
//
//===----------------------------------------------------------------------===//
#include "ir/ShapeRules.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::shape_rules;

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// The unary ops (Dlc_UnaryOp) have no rule: their result type is the input
// type (SameOperandsAndResultType), which cannot fail.

DLC_VERIFY_RULE(GeluOp, [](GeluOp::Adaptor a, std::string &err) -> Type {
  StringRef approx = a.getApproximate();
  if (approx != "none" && approx != "tanh")
    return Err(err) << "expects approximate to be \"none\" or \"tanh\", got \""
                    << approx << "\"";
  return a.getInput().getType();
})

#define DLC_BINARY_RULE(OP)                                                    \
  DLC_SHAPE_RULE(OP, [](OP::Adaptor a, std::string &err) {                     \
    return binaryRule(a.getLhs(), a.getRhs(), elementTypeOf(a.getLhs()), err);        \
  })
DLC_BINARY_RULE(AddOp)
DLC_BINARY_RULE(SubOp)
DLC_BINARY_RULE(MulOp)
DLC_BINARY_RULE(DivOp)
DLC_BINARY_RULE(PowOp)
DLC_BINARY_RULE(MaximumOp)
DLC_BINARY_RULE(MinimumOp)
#undef DLC_BINARY_RULE

DLC_SHAPE_RULE(CompareOp, [](CompareOp::Adaptor a, std::string &err) -> Type {
  StringRef p = a.getPredicate();
  if (!llvm::is_contained({"eq", "ne", "lt", "le", "gt", "ge"}, p))
    return Err(err) << "expects predicate to be one of eq, ne, lt, le, gt, "
                       "ge, got \""
                    << p << "\"";
  return binaryRule(a.getLhs(), a.getRhs(),
                    IntegerType::get(a.getLhs().getContext(), 1), err);
})

DLC_SHAPE_RULE(WhereOp, [](WhereOp::Adaptor a, std::string &err) -> Type {
  if (elementTypeOf(a.getLhs()) != elementTypeOf(a.getRhs()))
    return Err(err) << "expects both branches to have one element type, got "
                    << elementTypeOf(a.getLhs()) << " and " << elementTypeOf(a.getRhs());
  auto ab = broadcast(shapeOf(a.getLhs()), shapeOf(a.getRhs()));
  auto all = ab ? broadcast(shapeOf(a.getCond()), *ab) : std::nullopt;
  if (!all)
    return Err(err) << "expects broadcast-compatible shapes, got "
                    << fmt(shapeOf(a.getCond())) << ", "
                    << fmt(shapeOf(a.getLhs())) << " and "
                    << fmt(shapeOf(a.getRhs()));
  return RankedTensorType::get(*all, elementTypeOf(a.getLhs()));
})

DLC_SHAPE_RULE(CastOp, [](CastOp::Adaptor a, std::string &err) -> Type {
  Type to = a.getTo();
  bool ok = to.isF16() || to.isBF16() || to.isF32() || to.isF64() ||
            to.isSignlessInteger(1) || to.isSignlessInteger(32) ||
            to.isSignlessInteger(64);
  if (!ok)
    return Err(err) << "expects 'to' to be one of f16, bf16, f32, f64, i1, "
                       "i32, i64, got "
                    << to;
  return RankedTensorType::get(shapeOf(a.getInput()), to);
})
