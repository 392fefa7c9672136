//===- ShapeRulesMovement.cpp - shape rules of data movement ops ----------===//
//
// Reshape, flatten, transpose, concat, slice, broadcast and constant: the
// ops that move elements without arithmetic.
//
//===----------------------------------------------------------------------===//
#include "ir/ShapeRules.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::shape_rules;

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

DLC_SHAPE_RULE(ReshapeOp, [](ReshapeOp::Adaptor a, std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  SmallVector<int64_t> out(a.getShape());
  int64_t known = 1;
  std::optional<size_t> inferred;
  for (auto [i, d] : llvm::enumerate(out)) {
    if (d == -1 && !inferred) {
      inferred = i;
      continue;
    }
    if (d < 0)
      return Err(err) << "expects non-negative dims and at most one -1 in "
                         "'shape', got "
                      << fmt(a.getShape());
    known *= d;
  }
  int64_t total = product(in);
  if (inferred) {
    if (known == 0 || total % known != 0)
      return Err(err) << "cannot reshape " << fmt(in) << " to "
                      << fmt(a.getShape());
    out[*inferred] = total / known;
  } else if (known != total) {
    return Err(err) << "expects the same element count, cannot reshape "
                    << fmt(in) << " (" << total << ") to "
                    << fmt(a.getShape()) << " (" << known << ")";
  }
  return RankedTensorType::get(out, elementTypeOf(a.getInput()));
})

DLC_SHAPE_RULE(FlattenOp, [](FlattenOp::Adaptor a, std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  int64_t rank = in.size();
  int64_t axisAttr = a.getAxis(); // I64Attr getters return uint64_t
  auto axis = checkedAxis(axisAttr, rank, /*inclusive=*/true);
  if (!axis)
    return Err(err) << "expects axis in [" << -rank << ", " << rank
                    << "], got " << axisAttr;
  return RankedTensorType::get(
      {product(in.take_front(*axis)), product(in.drop_front(*axis))},
      elementTypeOf(a.getInput()));
})

DLC_SHAPE_RULE(TransposeOp, [](TransposeOp::Adaptor a,
                               std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  auto perm = a.getPerm();
  SmallVector<bool> seen(in.size(), false);
  SmallVector<int64_t> out;
  for (int64_t p : perm) {
    if (perm.size() != in.size() || p < 0 || p >= (int64_t)in.size() ||
        seen[p])
      return Err(err) << "expects 'perm' to be a permutation of 0.."
                      << (int64_t)in.size() - 1 << ", got " << fmt(perm);
    seen[p] = true;
    out.push_back(in[p]);
  }
  if (perm.size() != in.size())
    return Err(err) << "expects 'perm' to be a permutation of 0.."
                    << (int64_t)in.size() - 1 << ", got " << fmt(perm);
  return RankedTensorType::get(out, elementTypeOf(a.getInput()));
})

DLC_SHAPE_RULE(ConcatOp, [](ConcatOp::Adaptor a, std::string &err) -> Type {
  auto inputs = a.getInputs();
  if (inputs.empty())
    return Err(err) << "expects at least one input";
  SmallVector<int64_t> out(shapeOf(inputs[0]));
  int64_t rank = out.size();
  int64_t axisAttr = a.getAxis(); // I64Attr getters return uint64_t
  auto axis = checkedAxis(axisAttr, rank);
  if (!axis)
    return Err(err) << "expects axis in [" << -rank << ", " << rank
                    << "), got " << axisAttr;
  for (Value v : inputs.drop_front()) {
    auto s = shapeOf(v);
    bool ok = (int64_t)s.size() == rank;
    for (int64_t i = 0; ok && i < rank; ++i)
      ok = i == *axis || s[i] == out[i];
    if (!ok)
      return Err(err) << "expects inputs to match except along axis "
                      << *axis << ", got " << fmt(shapeOf(inputs[0]))
                      << " and " << fmt(s);
    out[*axis] += s[*axis];
  }
  return RankedTensorType::get(out, elementTypeOf(inputs[0]));
})

DLC_SHAPE_RULE(SliceOp, [](SliceOp::Adaptor a, std::string &err) -> Type {
  SmallVector<int64_t> out(shapeOf(a.getInput()));
  if (!slicedShape(out, a.getStarts(), a.getEnds(), a.getAxes(), a.getSteps(),
                   err))
    return {};
  return RankedTensorType::get(out, elementTypeOf(a.getInput()));
})

DLC_SHAPE_RULE(GatherOp, [](GatherOp::Adaptor a, std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  int64_t axis = a.getAxis();
  if (axis < 0 || axis >= int64_t(in.size()))
    return Err(err) << "expects axis in [0, " << in.size() << "), got "
                    << axis;
  if (in[axis] == 0)
    return Err(err) << "cannot gather from an empty dim " << axis;
  SmallVector<int64_t> out(in.begin(), in.begin() + axis);
  llvm::append_range(out, shapeOf(a.getIndices()));
  out.append(in.begin() + axis + 1, in.end());
  return RankedTensorType::get(out, elementTypeOf(a.getInput()));
})

DLC_SHAPE_RULE(BroadcastOp, [](BroadcastOp::Adaptor a,
                               std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  auto target = a.getShape();
  if (llvm::any_of(target, [](int64_t d) { return d < 0; }))
    return Err(err) << "expects non-negative dims in 'shape', got "
                    << fmt(target);
  auto b = broadcast(in, target);
  if (in.size() > target.size() || !b || ArrayRef<int64_t>(*b) != target)
    return Err(err) << "cannot broadcast " << fmt(in) << " to "
                    << fmt(target);
  return RankedTensorType::get(target, elementTypeOf(a.getInput()));
})

DLC_SHAPE_RULE(ConstantOp, [](ConstantOp::Adaptor a,
                              std::string &err) -> Type {
  auto type = dyn_cast<RankedTensorType>(a.getValue().getType());
  if (!type)
    return Err(err) << "expects a ranked tensor value";
  return type;
})

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }
