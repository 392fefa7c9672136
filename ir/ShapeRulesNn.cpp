//===- ShapeRulesNn.cpp - shape rules of nn ops ---------------------------===//
//
// Reductions and normalizations, contractions and pooling, the losses and
// the recurrent layers.
//
//===----------------------------------------------------------------------===//
#include "ir/ShapeRules.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::shape_rules;

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

#define DLC_REDUCE_RULE(OP)                                                    \
  DLC_SHAPE_RULE(OP, [](OP::Adaptor a, std::string &err) {                     \
    return reduceRule(a.getInput(), a.getAxes(), a.getKeepdims(), err);        \
  })
DLC_REDUCE_RULE(ReduceSumOp)
DLC_REDUCE_RULE(ReduceMeanOp)
DLC_REDUCE_RULE(ReduceMaxOp)
#undef DLC_REDUCE_RULE

DLC_VERIFY_RULE(SoftmaxOp, [](SoftmaxOp::Adaptor a, std::string &err) {
  return softmaxRule(a.getInput(), a.getAxis(), err);
})
DLC_VERIFY_RULE(LogSoftmaxOp, [](LogSoftmaxOp::Adaptor a, std::string &err) {
  return softmaxRule(a.getInput(), a.getAxis(), err);
})

DLC_SHAPE_RULE(LayerNormOp, [](LayerNormOp::Adaptor a,
                               std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  int64_t rank = in.size();
  int64_t axisAttr = a.getAxis(); // I64Attr getters return uint64_t
  auto axis = checkedAxis(axisAttr, rank);
  if (!axis)
    return Err(err) << "expects axis in [" << -rank << ", " << rank
                    << "), got " << axisAttr;
  if (a.getEpsilon().convertToDouble() < 0)
    return Err(err) << "expects a non-negative epsilon, got "
                    << a.getEpsilon().convertToDouble();
  ArrayRef<int64_t> normShape = in.drop_front(*axis);
  for (auto [name, v] : {std::pair<StringRef, Value>{"scale", a.getScale()},
                         {"bias", a.getBias()}}) {
    if (shapeOf(v) != normShape)
      return Err(err) << "expects " << name << " of shape " << fmt(normShape)
                      << ", got " << fmt(shapeOf(v));
    if (elementTypeOf(v) != elementTypeOf(a.getInput()))
      return Err(err) << "expects " << name << " of element type "
                      << elementTypeOf(a.getInput()) << ", got " << elementTypeOf(v);
  }
  return a.getInput().getType();
})

DLC_SHAPE_RULE(BatchNormOp, [](BatchNormOp::Adaptor a,
                               std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  if (in.size() < 2)
    return Err(err) << "expects an input of rank at least 2 ([N, C, ...]), "
                       "got rank "
                    << in.size();
  if (a.getEpsilon().convertToDouble() < 0)
    return Err(err) << "expects a non-negative epsilon, got "
                    << a.getEpsilon().convertToDouble();
  SmallVector<int64_t> channel{in[1]};
  for (auto [name, v] :
       {std::pair<StringRef, Value>{"scale", a.getScale()},
        {"bias", a.getBias()},
        {"mean", a.getMean()},
        {"variance", a.getVariance()}}) {
    if (shapeOf(v) != ArrayRef<int64_t>(channel))
      return Err(err) << "expects " << name << " of shape " << fmt(channel)
                      << ", got " << fmt(shapeOf(v));
    if (elementTypeOf(v) != elementTypeOf(a.getInput()))
      return Err(err) << "expects " << name << " of element type "
                      << elementTypeOf(a.getInput()) << ", got " << elementTypeOf(v);
  }
  return a.getInput().getType();
})

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

DLC_SHAPE_RULE(MatmulOp, [](MatmulOp::Adaptor a, std::string &err) -> Type {
  auto l = shapeOf(a.getLhs()), r = shapeOf(a.getRhs());
  if (l.size() < 2 || r.size() < 2)
    return Err(err) << "expects operands of rank at least 2, got ranks "
                    << l.size() << " and " << r.size();
  if (l.back() != r[r.size() - 2])
    return Err(err) << "expects contracting dims to match (" << l.back()
                    << " vs " << r[r.size() - 2] << ")";
  auto batch = broadcast(l.drop_back(2), r.drop_back(2));
  if (!batch)
    return Err(err) << "expects broadcast-compatible batch dims, got "
                    << fmt(l.drop_back(2)) << " and " << fmt(r.drop_back(2));
  batch->append({l[l.size() - 2], r.back()});
  return RankedTensorType::get(*batch, elementTypeOf(a.getLhs()));
})

DLC_SHAPE_RULE(BatchMatmulOp, [](BatchMatmulOp::Adaptor a,
                                 std::string &err) -> Type {
  auto l = shapeOf(a.getLhs()), r = shapeOf(a.getRhs());
  if (l.size() != 3 || r.size() != 3)
    return Err(err) << "expects 3-D operands, got ranks " << l.size()
                    << " and " << r.size();
  if (l[0] != r[0])
    return Err(err) << "expects batch dims to match (" << l[0] << " vs "
                    << r[0] << ")";
  if (l[2] != r[1])
    return Err(err) << "expects contracting dims to match (" << l[2]
                    << " vs " << r[1] << ")";
  return RankedTensorType::get({l[0], l[1], r[2]}, elementTypeOf(a.getLhs()));
})

DLC_SHAPE_RULE(DenseOp, [](DenseOp::Adaptor a, std::string &err) -> Type {
  auto in = shapeOf(a.getInput()), w = shapeOf(a.getWeight());
  if (in.empty())
    return Err(err) << "expects an input of rank at least 1";
  if (w.size() != 2)
    return Err(err) << "expects a 2-D weight [out, in], got rank "
                    << w.size();
  if (in.back() != w[1])
    return Err(err) << "expects input features to match weight in-features ("
                    << in.back() << " vs " << w[1] << ")";
  if (Value bias = a.getBias())
    if (shapeOf(bias) != ArrayRef<int64_t>{w[0]})
      return Err(err) << "expects bias of shape [" << w[0] << "], got "
                      << fmt(shapeOf(bias));
  SmallVector<int64_t> out(in.drop_back());
  out.push_back(w[0]);
  return RankedTensorType::get(out, elementTypeOf(a.getInput()));
})

DLC_SHAPE_RULE(Conv2dOp, [](Conv2dOp::Adaptor a, std::string &err) -> Type {
  auto in = shapeOf(a.getInput()), w = shapeOf(a.getWeight());
  if (in.size() != 4)
    return Err(err) << "expects a 4-D NCHW input, got rank " << in.size();
  if (w.size() != 4)
    return Err(err) << "expects a 4-D OIHW weight, got rank " << w.size();
  if (!checkList(a.getStride(), 2, 1, "stride", err) ||
      !checkList(a.getPadding(), 4, 0, "padding", err) ||
      !checkList(a.getDilation(), 2, 1, "dilation", err))
    return {};
  if (w[2] < 1 || w[3] < 1)
    return Err(err) << "expects a kernel of at least 1x1, got weight "
                    << fmt(w);
  int64_t groups = a.getGroups(); // I64Attr getters return uint64_t
  if (groups < 1)
    return Err(err) << "expects groups to be at least 1, got " << groups;
  if (in[1] % groups != 0 || w[0] % groups != 0)
    return Err(err) << "expects input channels (" << in[1]
                    << ") and output channels (" << w[0]
                    << ") divisible by groups (" << groups << ")";
  if (w[1] * groups != in[1])
    return Err(err) << "expects weight in-channels times groups (" << w[1]
                    << " * " << groups << ") to equal input channels ("
                    << in[1] << ")";
  if (Value bias = a.getBias())
    if (shapeOf(bias) != ArrayRef<int64_t>{w[0]})
      return Err(err) << "expects bias of shape [" << w[0] << "], got "
                      << fmt(shapeOf(bias));
  auto s = a.getStride(), p = a.getPadding(), d = a.getDilation();
  SmallVector<int64_t> out{in[0], w[0], 0, 0};
  for (int i = 0; i < 2; ++i) {
    out[2 + i] = windowOut(in[2 + i], p[i], p[i + 2], w[2 + i], s[i], d[i]);
    if (out[2 + i] <= 0)
      return Err(err) << "expects the kernel to fit the padded input, got "
                         "input "
                      << fmt(in) << " and weight " << fmt(w);
  }
  return RankedTensorType::get(out, elementTypeOf(a.getInput()));
})

DLC_SHAPE_RULE(MaxPool2dOp, [](MaxPool2dOp::Adaptor a, std::string &err) {
  return poolRule(a.getInput(), a.getKernelSize(), a.getStride(),
                  a.getPadding(), a.getDilation(), err);
})

DLC_SHAPE_RULE(AvgPool2dOp, [](AvgPool2dOp::Adaptor a, std::string &err) {
  return poolRule(a.getInput(), a.getKernelSize(), a.getStride(),
                  a.getPadding(), {1, 1}, err);
})

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

DLC_SHAPE_RULE(SoftmaxCrossEntropyOp, [](SoftmaxCrossEntropyOp::Adaptor a,
                                         std::string &err) -> Type {
  auto logits = shapeOf(a.getLogits()), labels = shapeOf(a.getLabels());
  if (logits.size() != 2)
    return Err(err) << "expects 2-D logits [N, C], got rank "
                    << logits.size();
  if (labels.size() != 1 || labels[0] != logits[0])
    return Err(err) << "expects labels of shape [" << logits[0] << "], got "
                    << fmt(labels);
  return RankedTensorType::get({}, elementTypeOf(a.getLogits()));
})

DLC_SHAPE_RULE(MseLossOp, [](MseLossOp::Adaptor a, std::string &err) -> Type {
  if (shapeOf(a.getInput()) != shapeOf(a.getTarget()))
    return Err(err) << "expects input and target of one shape, got "
                    << fmt(shapeOf(a.getInput())) << " and "
                    << fmt(shapeOf(a.getTarget()));
  return RankedTensorType::get({}, elementTypeOf(a.getInput()));
})

//===----------------------------------------------------------------------===//
// Recurrent layers: y [seq, dirs, batch, H], then the last state(s)
// [dirs, batch, H]; every operand's shape follows from input, hidden_size,
// direction and the gate count (4 for LSTM, 3 for GRU).
//===----------------------------------------------------------------------===//

namespace {

/// Checks the operands of a recurrent op; on success appends `numStates`
/// state types after y.
LogicalResult recurrentRule(StringRef direction, int64_t hidden,
                            int64_t gates, Value input, Value weight,
                            Value recurrence, Value bias,
                            ArrayRef<std::pair<StringRef, Value>> states,
                            std::string &err, SmallVectorImpl<Type> &results) {
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional") {
    Err(err) << "expects direction \"forward\", \"reverse\" or "
                "\"bidirectional\", got \""
             << direction << "\"";
    return failure();
  }
  if (hidden < 1) {
    Err(err) << "expects hidden_size >= 1, got " << hidden;
    return failure();
  }
  auto x = shapeOf(input);
  if (x.size() != 3) {
    Err(err) << "expects input [seq, batch, input_size], got " << fmt(x);
    return failure();
  }
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  auto expect = [&](StringRef name, Value v,
                    ArrayRef<int64_t> want) -> LogicalResult {
    if (!v || shapeOf(v) == want)
      return success();
    Err(err) << "expects " << name << " of shape " << fmt(want) << ", got "
             << fmt(shapeOf(v));
    return failure();
  };
  if (failed(expect("weight", weight, {dirs, gates * hidden, x[2]})) ||
      failed(expect("recurrence", recurrence, {dirs, gates * hidden, hidden})) ||
      failed(expect("bias", bias, {dirs, 2 * gates * hidden})))
    return failure();
  for (auto [name, v] : states)
    if (failed(expect(name, v, {dirs, x[1], hidden})))
      return failure();
  Type elem = elementTypeOf(input);
  results.push_back(RankedTensorType::get({x[0], dirs, x[1], hidden}, elem));
  for (size_t i = 0; i < states.size(); ++i)
    results.push_back(RankedTensorType::get({dirs, x[1], hidden}, elem));
  return success();
}

LogicalResult lstmRule(LstmOp::Adaptor a, std::string &err,
                       SmallVectorImpl<Type> &results) {
  return recurrentRule(a.getDirection(), a.getHiddenSize(), 4, a.getInput(),
                       a.getWeight(), a.getRecurrence(), a.getBias(),
                       {{"initial_h", a.getInitialH()},
                        {"initial_c", a.getInitialC()}},
                       err, results);
}

LogicalResult gruRule(GruOp::Adaptor a, std::string &err,
                      SmallVectorImpl<Type> &results) {
  return recurrentRule(a.getDirection(), a.getHiddenSize(), 3, a.getInput(),
                       a.getWeight(), a.getRecurrence(), a.getBias(),
                       {{"initial_h", a.getInitialH()}}, err, results);
}

} // namespace

DLC_MULTI_RESULT_RULE(LstmOp, lstmRule)
DLC_MULTI_RESULT_RULE(GruOp, gruRule)
