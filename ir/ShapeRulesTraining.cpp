//===- ShapeRulesTraining.cpp - shape rules of training ops ---------------===//
//
// The ops that only --dlc-autodiff and dlc train build: backward ops, whose
// result shape comes from an attribute or operand, and optimizer updates.
//
//===----------------------------------------------------------------------===//
#include "ir/ShapeRules.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::shape_rules;

//===----------------------------------------------------------------------===//
// Backward ops: the result shape comes from an attribute or an operand; the
// rule checks that the forward op with these attributes would produce a
// result of grad_output's shape.
//===----------------------------------------------------------------------===//

namespace {

/// Checks a 4-D `shape` attribute given for a forward input.
bool checkInputShape(ArrayRef<int64_t> shape, StringRef name,
                     std::string &err) {
  if (shape.size() != 4 || llvm::any_of(shape, [](int64_t d) { return d < 1; })) {
    Err(err) << "expects '" << name << "' to be a 4-D NCHW shape of positive "
             << "dims, got " << fmt(shape);
    return false;
  }
  return true;
}

/// The forward conv2d/pool output [N, channels, OH, OW] of an input [N, C,
/// H, W] with a `kernel` window, or a null type with the error.
std::optional<SmallVector<int64_t>>
windowForward(ArrayRef<int64_t> in, int64_t channels,
              ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
              ArrayRef<int64_t> padding, ArrayRef<int64_t> dilation,
              std::string &err) {
  if (!checkList(kernel, 2, 1, "kernel_size", err) ||
      !checkList(stride, 2, 1, "stride", err) ||
      !checkList(padding, 4, 0, "padding", err) ||
      !checkList(dilation, 2, 1, "dilation", err))
    return std::nullopt;
  SmallVector<int64_t> out{in[0], channels, 0, 0};
  for (int i = 0; i < 2; ++i) {
    out[2 + i] = windowOut(in[2 + i], padding[i], padding[i + 2], kernel[i],
                           stride[i], dilation[i]);
    if (out[2 + i] <= 0) {
      Err(err) << "expects the window to fit the input, got input "
               << fmt(in) << " and kernel " << fmt(kernel);
      return std::nullopt;
    }
  }
  return out;
}

Type checkGradShape(Value grad, ArrayRef<int64_t> expected,
                    ArrayRef<int64_t> result, std::string &err) {
  if (shapeOf(grad) != expected)
    return Err(err) << "expects grad_output of shape " << fmt(expected)
                    << " (the forward result), got " << fmt(shapeOf(grad));
  return RankedTensorType::get(result, elementTypeOf(grad));
}

} // namespace

DLC_SHAPE_RULE(Conv2dBackwardInputOp, [](Conv2dBackwardInputOp::Adaptor a,
                                         std::string &err) -> Type {
  auto in = a.getInputShape();
  auto w = shapeOf(a.getWeight());
  if (!checkInputShape(in, "input_shape", err))
    return {};
  if (w.size() != 4)
    return Err(err) << "expects a 4-D OIHW weight, got rank " << w.size();
  int64_t groups = a.getGroups(); // I64Attr getters return uint64_t
  if (groups < 1 || in[1] % groups != 0 || w[0] % groups != 0 ||
      w[1] * groups != in[1])
    return Err(err) << "expects weight " << fmt(w) << " to fit input "
                    << fmt(in) << " with groups " << groups;
  auto out = windowForward(in, w[0], w.drop_front(2), a.getStride(),
                           a.getPadding(), a.getDilation(), err);
  if (!out)
    return {};
  return checkGradShape(a.getGradOutput(), *out, in, err);
})

DLC_SHAPE_RULE(Conv2dBackwardWeightOp, [](Conv2dBackwardWeightOp::Adaptor a,
                                          std::string &err) -> Type {
  auto in = shapeOf(a.getInput());
  auto g = shapeOf(a.getGradOutput());
  if (in.size() != 4 || g.size() != 4)
    return Err(err) << "expects 4-D NCHW input and grad_output, got ranks "
                    << in.size() << " and " << g.size();
  int64_t groups = a.getGroups(); // I64Attr getters return uint64_t
  if (groups < 1 || in[1] % groups != 0 || g[1] % groups != 0)
    return Err(err) << "expects input channels (" << in[1]
                    << ") and output channels (" << g[1]
                    << ") divisible by groups (" << groups << ")";
  auto out = windowForward(in, g[1], a.getKernelSize(), a.getStride(),
                           a.getPadding(), a.getDilation(), err);
  if (!out)
    return {};
  auto k = a.getKernelSize();
  int64_t splits = a.getKSplits();
  if (splits < 1)
    return Err(err) << "expects k_splits >= 1, got " << splits;
  SmallVector<int64_t, 5> result = {g[1], in[1] / groups, k[0], k[1]};
  if (splits > 1)
    result.insert(result.begin(), splits);
  return checkGradShape(a.getGradOutput(), *out, result, err);
})

DLC_SHAPE_RULE(MaxPool2dBackwardOp, [](MaxPool2dBackwardOp::Adaptor a,
                                       std::string &err) -> Type {
  std::string sub;
  Type fwd = poolRule(a.getInput(), a.getKernelSize(), a.getStride(),
                      a.getPadding(), a.getDilation(), sub);
  if (!fwd)
    return Err(err) << sub;
  return checkGradShape(a.getGradOutput(),
                        cast<RankedTensorType>(fwd).getShape(),
                        shapeOf(a.getInput()), err);
})

DLC_SHAPE_RULE(AvgPool2dBackwardOp, [](AvgPool2dBackwardOp::Adaptor a,
                                       std::string &err) -> Type {
  auto in = a.getInputShape();
  if (!checkInputShape(in, "input_shape", err))
    return {};
  auto out = windowForward(in, in[1], a.getKernelSize(), a.getStride(),
                           a.getPadding(), {1, 1}, err);
  if (!out)
    return {};
  return checkGradShape(a.getGradOutput(), *out, in, err);
})

DLC_SHAPE_RULE(SliceBackwardOp, [](SliceBackwardOp::Adaptor a,
                                   std::string &err) -> Type {
  auto in = a.getInputShape();
  if (llvm::any_of(in, [](int64_t d) { return d < 0; }))
    return Err(err) << "expects non-negative dims in 'input_shape', got "
                    << fmt(in);
  // The forward slice's result shape.
  SmallVector<int64_t> out(in);
  if (!slicedShape(out, a.getStarts(), a.getEnds(), a.getAxes(), a.getSteps(),
                   err))
    return {};
  if (shapeOf(a.getGrad()) != ArrayRef<int64_t>(out))
    return Err(err) << "expects grad of shape " << fmt(out)
                    << " (the forward result), got " << fmt(shapeOf(a.getGrad()));
  return RankedTensorType::get(in, elementTypeOf(a.getGrad()));
})

//===----------------------------------------------------------------------===//
// Optimizer updates: param, grad and the state tensors share one type; step
// and lr are 0-d of its element type; one result per tensor but grad.
//===----------------------------------------------------------------------===//

namespace {

template <typename OpT>
LogicalResult optimizerRule(typename OpT::Adaptor a, std::string &err,
                            SmallVectorImpl<Type> &results) {
  static const char *const kNames[] = {"param", "grad", "state", "state"};
  // grad_scale and skip, when present, are the last operands.
  size_t numOptional = (a.getGradScale() ? 1 : 0) + (a.getSkip() ? 1 : 0);
  for (auto [name, v] : {std::pair<const char *, Value>{"grad_scale",
                                                        a.getGradScale()},
                         {"skip", a.getSkip()}}) {
    auto t = v ? tensorTypeOf(v) : RankedTensorType();
    if (v && (t.getRank() != 0 || !t.getElementType().isF32())) {
      llvm::raw_string_ostream(err)
          << "expects " << name << " to be a 0-d f32 tensor, got "
          << v.getType();
      return failure();
    }
  }
  ValueRange ops = a.getOperands().drop_back(numOptional);
  size_t numTensors = ops.size() - 2;
  Type type = ops[0].getType();
  for (size_t i = 1; i < numTensors; ++i)
    if (ops[i].getType() != type) {
      llvm::raw_string_ostream(err)
          << "expects " << kNames[std::min<size_t>(i, 3)] << " operand #" << i
          << " of the param's type " << type << ", got " << ops[i].getType();
      return failure();
    }
  for (size_t i = numTensors; i < ops.size(); ++i) {
    auto t = tensorTypeOf(ops[i]);
    if (t.getRank() != 0 || t.getElementType() != elementTypeOf(ops[0])) {
      llvm::raw_string_ostream(err)
          << "expects " << (i == numTensors ? "step" : "lr")
          << " to be a 0-d tensor of " << elementTypeOf(ops[0]) << ", got "
          << ops[i].getType();
      return failure();
    }
  }
  results.push_back(type);
  for (size_t i = 2; i < numTensors; ++i)
    results.push_back(type);
  return success();
}

LogicalResult checkHyper(std::string &err, StringRef name, double v,
                         bool unitInterval) {
  if (unitInterval ? (v >= 0 && v < 1) : v >= 0)
    return success();
  llvm::raw_string_ostream(err) << "expects " << name
                                << (unitInterval ? " in [0, 1)" : " >= 0")
                                << ", got " << v;
  return failure();
}

template <typename OpT>
LogicalResult checkAdamHypers(OpT op, std::string &err) {
  if (failed(checkHyper(err, "beta1", op.getBeta1().convertToDouble(), true)) ||
      failed(checkHyper(err, "beta2", op.getBeta2().convertToDouble(), true)) ||
      failed(checkHyper(err, "weight_decay",
                        op.getWeightDecay().convertToDouble(), false)))
    return failure();
  if (!(op.getEps().convertToDouble() > 0)) {
    llvm::raw_string_ostream(err)
        << "expects eps > 0, got " << op.getEps().convertToDouble();
    return failure();
  }
  return success();
}

template <typename OpT>
LogicalResult verifyOptimizer(OpT op, std::string &err) {
  SmallVector<Type> types;
  if (failed(optimizerRule<OpT>(typename OpT::Adaptor(op), err, types)))
    return failure();
  if (TypeRange(types) != op->getResultTypes()) {
    err = "expects every result to have the param's type";
    return failure();
  }
  return success();
}

} // namespace

#define DLC_OPTIMIZER_INFER(OP)                                                \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc, Adaptor a,   \
                                     SmallVectorImpl<Type> &results) {         \
    std::string err;                                                           \
    if (failed(optimizerRule<OP>(a, err, results)))                            \
      return emitOptionalError(loc, "'", OP::getOperationName(), "' op ",      \
                               err);                                           \
    return success();                                                          \
  }
DLC_OPTIMIZER_INFER(SgdUpdateOp)
DLC_OPTIMIZER_INFER(AdamUpdateOp)
DLC_OPTIMIZER_INFER(AdamwUpdateOp)
#undef DLC_OPTIMIZER_INFER

LogicalResult SgdUpdateOp::verify() {
  std::string err;
  if (failed(verifyOptimizer(*this, err)) ||
      failed(checkHyper(err, "momentum", getMomentum().convertToDouble(),
                        false)) ||
      failed(checkHyper(err, "weight_decay", getWeightDecay().convertToDouble(),
                        false)))
    return emitOpError(err);
  if (getNesterov() && getMomentum().convertToDouble() <= 0)
    return emitOpError("expects momentum > 0 with nesterov");
  return success();
}

LogicalResult AdamUpdateOp::verify() {
  std::string err;
  if (failed(verifyOptimizer(*this, err)) || failed(checkAdamHypers(*this, err)))
    return emitOpError(err);
  return success();
}

LogicalResult AdamwUpdateOp::verify() {
  std::string err;
  if (failed(verifyOptimizer(*this, err)) || failed(checkAdamHypers(*this, err)))
    return emitOpError(err);
  return success();
}
