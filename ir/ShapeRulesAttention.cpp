//===- ShapeRulesAttention.cpp - shape rules of the attention ops ---------===//
//
// attention: q [B, H, Tq, D], k [B, H, Tk, D], v [B, H, Tk, Dv], an optional
// additive mask broadcastable to [B, H, Tq, Tk] -> out [B, H, Tq, Dv] and
// logsumexp [B, H, Tq]; attention_backward takes the same operands plus the
// forward's out, logsumexp and the cotangent of out, and returns the types of
// q, k and v.
//
//===----------------------------------------------------------------------===//
#include "ir/ShapeRules.h"

#include <cmath>
#include <tuple>

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::shape_rules;

namespace {

/// The logsumexp element type: f64 for f64 operands, f32 otherwise.
Type statType(Type elem) {
  return elem.isF64() ? elem : Float32Type::get(elem.getContext());
}

/// Checks q, k, v, mask and scale; on success appends out and logsumexp.
LogicalResult attentionRule(Value q, Value k, Value v, Value mask,
                            double scale, std::string &err,
                            SmallVectorImpl<Type> &results) {
  auto qs = shapeOf(q), ks = shapeOf(k), vs = shapeOf(v);
  for (auto [name, s] : {std::pair<StringRef, ArrayRef<int64_t>>{"query", qs},
                         {"key", ks},
                         {"value", vs}})
    if (s.size() != 4) {
      Err(err) << "expects " << name << " of rank 4 [B, H, T, D], got "
               << fmt(s);
      return failure();
    }
  Type elem = elementTypeOf(q);
  for (auto [name, x] : {std::pair<StringRef, Value>{"key", k}, {"value", v}})
    if (elementTypeOf(x) != elem) {
      Err(err) << "expects " << name << " of element type " << elem
               << ", got " << elementTypeOf(x);
      return failure();
    }
  if (ks[0] != qs[0] || ks[1] != qs[1] || ks[3] != qs[3]) {
    Err(err) << "expects key [" << qs[0] << ", " << qs[1] << ", Tk, "
             << qs[3] << "] for query " << fmt(qs) << ", got " << fmt(ks);
    return failure();
  }
  if (vs[0] != ks[0] || vs[1] != ks[1] || vs[2] != ks[2]) {
    Err(err) << "expects value [" << ks[0] << ", " << ks[1] << ", " << ks[2]
             << ", Dv] for key " << fmt(ks) << ", got " << fmt(vs);
    return failure();
  }
  if (!(scale > 0) || !std::isfinite(scale)) {
    Err(err) << "expects a positive finite scale, got " << scale;
    return failure();
  }
  SmallVector<int64_t> scores{qs[0], qs[1], qs[2], ks[2]};
  if (mask) {
    if (elementTypeOf(mask) != elem) {
      Err(err) << "expects mask of element type " << elem << ", got "
               << elementTypeOf(mask);
      return failure();
    }
    auto b = broadcast(shapeOf(mask), scores);
    if (shapeOf(mask).size() > 4 || !b || ArrayRef<int64_t>(*b) != ArrayRef<int64_t>(scores)) {
      Err(err) << "expects a mask broadcastable to the scores "
               << fmt(scores) << ", got " << fmt(shapeOf(mask));
      return failure();
    }
  }
  results.push_back(
      RankedTensorType::get({qs[0], qs[1], qs[2], vs[3]}, elem));
  results.push_back(
      RankedTensorType::get({qs[0], qs[1], qs[2]}, statType(elem)));
  return success();
}

LogicalResult forwardRule(AttentionOp::Adaptor a, std::string &err,
                          SmallVectorImpl<Type> &results) {
  return attentionRule(a.getQuery(), a.getKey(), a.getValue(), a.getMask(),
                       a.getScale().convertToDouble(), err, results);
}

LogicalResult backwardRule(AttentionBackwardOp::Adaptor a, std::string &err,
                           SmallVectorImpl<Type> &results) {
  SmallVector<Type, 2> fwd;
  if (failed(attentionRule(a.getQuery(), a.getKey(), a.getValue(),
                           a.getMask(), a.getScale().convertToDouble(), err,
                           fwd)))
    return failure();
  for (auto [name, x, want] :
       {std::tuple<StringRef, Value, Type>{"output", a.getOutput(), fwd[0]},
        {"grad_output", a.getGradOutput(), fwd[0]},
        {"logsumexp", a.getLogsumexp(), fwd[1]}})
    if (x.getType() != want) {
      Err(err) << "expects " << name << " of type " << want << ", got "
               << x.getType();
      return failure();
    }
  for (Value x : {a.getQuery(), a.getKey(), a.getValue()})
    results.push_back(x.getType());
  return success();
}

} // namespace

DLC_MULTI_RESULT_RULE(AttentionOp, forwardRule)
DLC_MULTI_RESULT_RULE(AttentionBackwardOp, backwardRule)
