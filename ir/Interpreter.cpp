//===- Interpreter.cpp - the reference interpreter ------------------------===//
//
// Walks the model function op by op, keeping every SSA value as a kernel
// tensor (ref::Tensor<T> for floats, ref::Tensor<int64_t> for integers), and
// calls one ir/reference kernel per op. Unary and binary elementwise ops
// (their traits in DlcOps.td) reach their arithmetic by the op's name, so a
// new one needs nothing here; the other ops are dispatched by family.
//
//===----------------------------------------------------------------------===//
#include "ir/Interpreter.h"

#include "ir/DlcOps.h"
#include "ir/ModelAttrs.h"
#include "ir/reference/Initializers.h"
#include "ir/reference/Attention.h"
#include "ir/reference/Backward.h"
#include "ir/reference/Contraction.h"
#include "ir/reference/Elementwise.h"
#include "ir/reference/HostConvert.h"
#include "ir/reference/Loss.h"
#include "ir/reference/Movement.h"
#include "ir/reference/Optimizer.h"
#include "ir/reference/Recurrent.h"
#include "ir/reference/Reduction.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <set>

namespace dlc {

std::optional<DType> dtypeOf(mlir::Type t) {
  if (t.isF16())
    return DType::F16;
  if (t.isBF16())
    return DType::BF16;
  if (t.isF32())
    return DType::F32;
  if (t.isF64())
    return DType::F64;
  if (t.isSignlessInteger(1))
    return DType::I1;
  if (t.isSignlessInteger(32))
    return DType::I32;
  if (t.isSignlessInteger(64))
    return DType::I64;
  return std::nullopt;
}

namespace {

using ref::Tensor;

std::vector<int64_t> toVector(llvm::ArrayRef<int64_t> a) {
  return std::vector<int64_t>(a.begin(), a.end());
}

mlir::RankedTensorType tensorType(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType());
}

/// dtypeOf for a value known to be a verified dlc tensor.
DType dtypeOfValue(mlir::Value v) {
  return dtypeOf(tensorType(v).getElementType()).value_or(DType::F32);
}

ref::IntKind intKind(DType d) {
  return d == DType::I1    ? ref::IntKind::I1
         : d == DType::I32 ? ref::IntKind::I32
                           : ref::IntKind::I64;
}

std::optional<ref::CompareKind> compareKind(llvm::StringRef p) {
  return llvm::StringSwitch<std::optional<ref::CompareKind>>(p)
      .Case("eq", ref::CompareKind::Eq)
      .Case("ne", ref::CompareKind::Ne)
      .Case("lt", ref::CompareKind::Lt)
      .Case("le", ref::CompareKind::Le)
      .Case("gt", ref::CompareKind::Gt)
      .Case("ge", ref::CompareKind::Ge)
      .Default(std::nullopt);
}

ref::Window2d window(llvm::ArrayRef<int64_t> stride,
                     llvm::ArrayRef<int64_t> padding,
                     llvm::ArrayRef<int64_t> dilation) {
  ref::Window2d w;
  for (int i = 0; i < 2; ++i) {
    w.stride[i] = stride[i];
    w.dilation[i] = dilation[i];
  }
  for (int i = 0; i < 4; ++i)
    w.padding[i] = padding[i];
  return w;
}

ref::RnnDirection rnnDirection(llvm::StringRef direction) {
  return direction == "reverse"         ? ref::RnnDirection::Reverse
         : direction == "bidirectional" ? ref::RnnDirection::Bidirectional
                                        : ref::RnnDirection::Forward;
}

/// Evaluates one function with compute type T (float or double).
template <typename T> class Interpreter {
public:
  mlir::LogicalResult run(mlir::func::FuncOp func,
                          llvm::ArrayRef<HostTensor> args,
                          std::vector<HostTensor> &results);

private:
  /// A value: exactly one of the two tensors is used.
  struct Val {
    bool isInt = false;
    Tensor<T> f;
    Tensor<int64_t> i;
  };

  mlir::LogicalResult eval(mlir::Operation *op);
  mlir::LogicalResult checkResultTypes(mlir::Operation *op);
  /// The ops whose arithmetic ir/reference/Elementwise.cpp finds by the op's
  /// name (the UnaryElementwise and BinaryElementwise traits).
  mlir::LogicalResult evalUnary(mlir::Operation *op);
  mlir::LogicalResult evalBinary(mlir::Operation *op);
  /// One family of ops each; std::nullopt for an op of another family.
  std::optional<mlir::LogicalResult> evalElementwise(mlir::Operation *op);
  std::optional<mlir::LogicalResult> evalNn(mlir::Operation *op);
  std::optional<mlir::LogicalResult> evalMovement(mlir::Operation *op);
  std::optional<mlir::LogicalResult> evalLossAndRecurrent(mlir::Operation *op);
  std::optional<mlir::LogicalResult> evalBackward(mlir::Operation *op);
  std::optional<mlir::LogicalResult> evalOptimizer(mlir::Operation *op);
  mlir::LogicalResult evalConstant(mlir::dlc::ConstantOp op);
  mlir::LogicalResult evalCast(mlir::dlc::CastOp op);
  /// Runs the body as if it were inlined: fusion changes how ops become
  /// kernels, never what they compute.
  mlir::LogicalResult evalFusion(mlir::dlc::FusionOp op);

  const Tensor<T> &fl(mlir::Value v) { return env[v].f; }
  const Tensor<int64_t> &in(mlir::Value v) { return env[v].i; }
  bool isInt(mlir::Value v) { return env[v].isInt; }

  /// Binds `result` after checking the kernel's shape against the type;
  /// floats of a 16-bit type are rounded to it in F32 mode, integers are
  /// wrapped to their width.
  mlir::LogicalResult setFloat(mlir::Operation *op, mlir::Value result,
                               Tensor<T> t);
  mlir::LogicalResult setInt(mlir::Operation *op, mlir::Value result,
                             Tensor<int64_t> t);
  mlir::LogicalResult set(mlir::Operation *op, mlir::Value r, Tensor<T> t) {
    return setFloat(op, r, std::move(t));
  }
  mlir::LogicalResult set(mlir::Operation *op, mlir::Value r,
                          Tensor<int64_t> t) {
    return setInt(op, r, std::move(t));
  }
  mlir::LogicalResult checkShape(mlir::Operation *op, mlir::Value result,
                                 const ref::Shape &shape);

  /// Applies `fn` (generic over the element type) to the tensor held by
  /// `input` and binds the op's single result.
  template <typename Fn>
  mlir::LogicalResult either(mlir::Operation *op, mlir::Value input, Fn fn) {
    if (isInt(input))
      return set(op, op->getResult(0), fn(in(input)));
    return set(op, op->getResult(0), fn(fl(input)));
  }

  template <typename OpT>
  mlir::LogicalResult reduce(OpT o, ref::ReduceKind kind) {
    return set(o, o.getResult(),
               ref::reduce(kind, fl(o.getInput()), toVector(o.getAxes()),
                           o.getKeepdims()));
  }

  /// The optional loss-scaling operands of the optimizer updates.
  template <typename OpT> void scaling(OpT o, ref::LossScaling &h) {
    if (mlir::Value gs = o.getGradScale())
      h.gradScale = fl(gs).data[0];
    if (mlir::Value skip = o.getSkip())
      h.skip = fl(skip).data[0] != 0;
  }

  /// The tensor of an optional operand, null when absent.
  const Tensor<T> *optionalFl(mlir::Value v) { return v ? &fl(v) : nullptr; }

  /// Reports a kernel's data-dependent error at the op.
  mlir::LogicalResult check(mlir::Operation *op, const ref::Status &s) {
    if (s.ok())
      return mlir::success();
    return op->emitOpError() << s.error;
  }

  llvm::DenseMap<mlir::Value, Val> env;
};

template <typename T>
mlir::LogicalResult Interpreter<T>::checkShape(mlir::Operation *op,
                                               mlir::Value result,
                                               const ref::Shape &shape) {
  llvm::ArrayRef<int64_t> expected = tensorType(result).getShape();
  if (llvm::ArrayRef<int64_t>(shape) == expected)
    return mlir::success();
  return op->emitOpError() << "reference kernel produced shape "
                           << formatShape(shape) << " but the result type is "
                           << result.getType() << " (an interpreter bug)";
}

template <typename T>
mlir::LogicalResult Interpreter<T>::setFloat(mlir::Operation *op,
                                             mlir::Value result, Tensor<T> t) {
  if (failed(checkShape(op, result, t.shape)))
    return mlir::failure();
  DType d = dtypeOfValue(result);
  if (!isFloat(d))
    return op->emitOpError() << "reference kernel produced floats for an "
                                "integer result (an interpreter bug)";
  if constexpr (std::is_same_v<T, float>)
    if (d == DType::F16 || d == DType::BF16)
      ref::roundTo(t, d);
  Val &v = env[result];
  v.isInt = false;
  v.f = std::move(t);
  return mlir::success();
}

template <typename T>
mlir::LogicalResult Interpreter<T>::setInt(mlir::Operation *op,
                                           mlir::Value result,
                                           Tensor<int64_t> t) {
  if (failed(checkShape(op, result, t.shape)))
    return mlir::failure();
  DType d = dtypeOfValue(result);
  if (isFloat(d))
    return op->emitOpError() << "reference kernel produced integers for a "
                                "float result (an interpreter bug)";
  Val &v = env[result];
  v.isInt = true;
  v.i = ref::intToInt(t, intKind(d));
  return mlir::success();
}

template <typename T>
mlir::LogicalResult Interpreter<T>::evalConstant(mlir::dlc::ConstantOp op) {
  auto value = op.getValue();
  auto type = tensorType(op.getResult());
  ref::Shape shape = toVector(type.getShape());
  if (llvm::isa<mlir::FloatType>(type.getElementType())) {
    auto values = value.tryGetValues<llvm::APFloat>();
    if (!values)
      return op.emitOpError()
             << "has a constant whose storage the reference interpreter "
                "cannot read";
    Tensor<T> t;
    t.shape = shape;
    for (const llvm::APFloat &v : *values)
      t.data.push_back(T(v.convertToDouble()));
    return setFloat(op, op.getResult(), std::move(t));
  }
  auto values = value.tryGetValues<llvm::APInt>();
  if (!values)
    return op.emitOpError()
           << "has a constant whose storage the reference interpreter "
              "cannot read";
  Tensor<int64_t> t;
  t.shape = shape;
  for (const llvm::APInt &v : *values)
    t.data.push_back(v.getBitWidth() == 1 ? int64_t(v.getZExtValue())
                                          : v.getSExtValue());
  return setInt(op, op.getResult(), std::move(t));
}

template <typename T>
mlir::LogicalResult Interpreter<T>::evalCast(mlir::dlc::CastOp op) {
  mlir::Value x = op.getInput(), r = op.getResult();
  DType to = dtypeOfValue(r);
  if (isFloat(to)) {
    if (isInt(x))
      return setFloat(op, r, ref::intToFloat<T>(in(x)));
    return setFloat(op, r, fl(x)); // rounded to `to` by setFloat
  }
  if (isInt(x))
    return setInt(op, r, ref::intToInt(in(x), intKind(to)));
  return setInt(op, r, ref::floatToInt(fl(x), intKind(to)));
}

template <typename T>
mlir::LogicalResult Interpreter<T>::evalFusion(mlir::dlc::FusionOp op) {
  mlir::Block &body = op.getBodyBlock();
  for (auto [arg, input] : llvm::zip(body.getArguments(), op.getInputs())) {
    Val v = env[input]; // copied: the map may grow while evaluating
    env[arg] = std::move(v);
  }
  for (mlir::Operation &inner : body) {
    if (auto yield = llvm::dyn_cast<mlir::dlc::YieldOp>(inner)) {
      for (auto [result, value] :
           llvm::zip(op.getResults(), yield.getValues())) {
        Val v = env[value];
        env[result] = std::move(v);
      }
      return mlir::success();
    }
    if (failed(eval(&inner)))
      return mlir::failure();
  }
  return op.emitOpError() << "has no dlc.yield";
}

/// The most elements one value may have: more would not fit in memory, and
/// an allocation failure must not abort the process.
constexpr int64_t kMaxElements = int64_t(1) << 32;

template <typename T>
mlir::LogicalResult Interpreter<T>::checkResultTypes(mlir::Operation *op) {
  for (mlir::Value result : op->getResults()) {
    auto type = llvm::dyn_cast<mlir::RankedTensorType>(result.getType());
    if (!type || !type.hasStaticShape())
      return op->emitOpError() << "has a result of type " << result.getType()
                               << "; the reference interpreter needs static "
                                  "tensor shapes";
    auto numel = checkedNumel(toVector(type.getShape()));
    if (!numel || *numel > kMaxElements)
      return op->emitOpError()
             << "has a result of type " << result.getType()
             << ", too large for the reference interpreter (at most "
             << kMaxElements << " elements)";
  }
  return mlir::success();
}

template <typename T>
mlir::LogicalResult Interpreter<T>::eval(mlir::Operation *op) {
  if (failed(checkResultTypes(op)))
    return mlir::failure();
  if (op->hasTrait<mlir::OpTrait::dlc::UnaryElementwise>())
    return evalUnary(op);
  if (op->hasTrait<mlir::OpTrait::dlc::BinaryElementwise>())
    return evalBinary(op);
  for (auto family :
       {&Interpreter::evalElementwise, &Interpreter::evalNn,
        &Interpreter::evalMovement, &Interpreter::evalLossAndRecurrent,
        &Interpreter::evalBackward, &Interpreter::evalOptimizer})
    if (std::optional<mlir::LogicalResult> done = (this->*family)(op))
      return *done;
  return op->emitOpError() << "is not supported by the reference interpreter";
}

template <typename T>
mlir::LogicalResult Interpreter<T>::evalUnary(mlir::Operation *op) {
  llvm::StringRef name = op->getName().stripDialect();
  std::optional<Tensor<T>> out =
      ref::unaryNamed(std::string_view(name), fl(op->getOperand(0)));
  if (!out)
    return op->emitOpError() << "has no reference arithmetic in "
                                "ir/reference/Elementwise.cpp";
  return set(op, op->getResult(0), std::move(*out));
}

template <typename T>
mlir::LogicalResult Interpreter<T>::evalBinary(mlir::Operation *op) {
  std::optional<ref::BinaryKind> kind =
      ref::binaryKindNamed(std::string_view(op->getName().stripDialect()));
  if (!kind)
    return op->emitOpError() << "has no reference arithmetic in "
                                "ir/reference/Elementwise.cpp";
  mlir::Value a = op->getOperand(0), b = op->getOperand(1);
  mlir::Value r = op->getResult(0);
  if (isInt(a)) {
    Tensor<int64_t> out;
    if (failed(check(op, ref::binary(*kind, in(a), in(b), out))))
      return mlir::failure();
    return setInt(op, r, std::move(out));
  }
  Tensor<T> out;
  if (failed(check(op, ref::binary(*kind, fl(a), fl(b), out))))
    return mlir::failure();
  return setFloat(op, r, std::move(out));
}

template <typename T>
std::optional<mlir::LogicalResult>
Interpreter<T>::evalElementwise(mlir::Operation *op) {
  namespace d = mlir::dlc;
  using Result = std::optional<mlir::LogicalResult>;
  return llvm::TypeSwitch<mlir::Operation *, Result>(op)
      .Case([&](d::GeluOp o) {
        auto kind = o.getApproximate() == "tanh" ? ref::UnaryKind::GeluTanh
                                                 : ref::UnaryKind::Gelu;
        return set(o, o.getResult(), ref::unary(kind, fl(o.getInput())));
      })
      .Case([&](d::CompareOp o) -> mlir::LogicalResult {
        auto kind = compareKind(o.getPredicate());
        if (!kind)
          return o.emitOpError() << "has an unknown predicate";
        mlir::Value r = o.getResult();
        if (isInt(o.getLhs()))
          return set(o, r, ref::compare(*kind, in(o.getLhs()), in(o.getRhs())));
        return set(o, r, ref::compare(*kind, fl(o.getLhs()), fl(o.getRhs())));
      })
      .Case([&](d::WhereOp o) {
        const Tensor<int64_t> &cond = in(o.getCond());
        mlir::Value r = o.getResult();
        if (isInt(o.getLhs()))
          return set(o, r, ref::where(cond, in(o.getLhs()), in(o.getRhs())));
        return set(o, r, ref::where(cond, fl(o.getLhs()), fl(o.getRhs())));
      })
      .Case([&](d::CastOp o) { return evalCast(o); })
      .Case([&](d::ConstantOp o) { return evalConstant(o); })
      .Case([&](d::FusionOp o) { return evalFusion(o); })
      .Default([](mlir::Operation *) { return Result(); });
}

/// Reductions, normalizations, contractions and pooling.
template <typename T>
std::optional<mlir::LogicalResult> Interpreter<T>::evalNn(mlir::Operation *op) {
  namespace d = mlir::dlc;
  using Result = std::optional<mlir::LogicalResult>;
  mlir::Value r = op->getNumResults() == 1 ? op->getResult(0) : mlir::Value();
  return llvm::TypeSwitch<mlir::Operation *, Result>(op)
      .Case([&](d::ReduceSumOp o) { return reduce(o, ref::ReduceKind::Sum); })
      .Case([&](d::ReduceMeanOp o) { return reduce(o, ref::ReduceKind::Mean); })
      .Case([&](d::ReduceMaxOp o) { return reduce(o, ref::ReduceKind::Max); })
      .Case([&](d::SoftmaxOp o) {
        return set(o, r, ref::softmax(fl(o.getInput()), int64_t(o.getAxis())));
      })
      .Case([&](d::LogSoftmaxOp o) {
        return set(o, r,
                   ref::logSoftmax(fl(o.getInput()), int64_t(o.getAxis())));
      })
      .Case([&](d::LayerNormOp o) {
        return set(o, r,
                   ref::layerNorm(fl(o.getInput()), fl(o.getScale()),
                                  fl(o.getBias()), int64_t(o.getAxis()),
                                  o.getEpsilon().convertToDouble()));
      })
      .Case([&](d::BatchNormOp o) {
        return set(o, r,
                   ref::batchNorm(fl(o.getInput()), fl(o.getScale()),
                                  fl(o.getBias()), fl(o.getMean()),
                                  fl(o.getVariance()),
                                  o.getEpsilon().convertToDouble()));
      })
      .Case([&](d::MatmulOp o) {
        return set(o, r, ref::matmul(fl(o.getLhs()), fl(o.getRhs())));
      })
      .Case([&](d::BatchMatmulOp o) {
        return set(o, r, ref::batchMatmul(fl(o.getLhs()), fl(o.getRhs())));
      })
      .Case([&](d::DenseOp o) {
        const Tensor<T> *bias = o.getBias() ? &fl(o.getBias()) : nullptr;
        return set(o, r, ref::dense(fl(o.getInput()), fl(o.getWeight()), bias));
      })
      .Case([&](d::Conv2dOp o) {
        const Tensor<T> *bias = o.getBias() ? &fl(o.getBias()) : nullptr;
        return set(
            o, r,
            ref::conv2d(fl(o.getInput()), fl(o.getWeight()), bias,
                        window(o.getStride(), o.getPadding(), o.getDilation()),
                        int64_t(o.getGroups())));
      })
      .Case([&](d::MaxPool2dOp o) {
        int64_t kernel[2] = {o.getKernelSize()[0], o.getKernelSize()[1]};
        return set(o, r,
                   ref::maxPool2d(
                       fl(o.getInput()), kernel,
                       window(o.getStride(), o.getPadding(), o.getDilation())));
      })
      .Case([&](d::AvgPool2dOp o) {
        int64_t kernel[2] = {o.getKernelSize()[0], o.getKernelSize()[1]};
        return set(o, r,
                   ref::avgPool2d(fl(o.getInput()), kernel,
                                  window(o.getStride(), o.getPadding(), {1, 1}),
                                  o.getCountIncludePad()));
      })
      .Default([](mlir::Operation *) { return Result(); });
}

template <typename T>
std::optional<mlir::LogicalResult>
Interpreter<T>::evalMovement(mlir::Operation *op) {
  namespace d = mlir::dlc;
  using Result = std::optional<mlir::LogicalResult>;
  mlir::Value r = op->getNumResults() == 1 ? op->getResult(0) : mlir::Value();
  return llvm::TypeSwitch<mlir::Operation *, Result>(op)
      .Case([&](d::ReshapeOp o) {
        return either(o, o.getInput(), [&](const auto &x) {
          return ref::reshape(x, toVector(o.getShape()));
        });
      })
      .Case([&](d::FlattenOp o) {
        return either(o, o.getInput(), [&](const auto &x) {
          return ref::flatten(x, int64_t(o.getAxis()));
        });
      })
      .Case([&](d::TransposeOp o) {
        return either(o, o.getInput(), [&](const auto &x) {
          return ref::transpose(x, toVector(o.getPerm()));
        });
      })
      .Case([&](d::ConcatOp o) {
        auto gather = [&](auto *tag) {
          using E = std::remove_pointer_t<decltype(tag)>;
          std::vector<const Tensor<E> *> parts;
          for (mlir::Value v : o.getInputs()) {
            if constexpr (std::is_same_v<E, int64_t>)
              parts.push_back(&in(v));
            else
              parts.push_back(&fl(v));
          }
          return ref::concat(parts, int64_t(o.getAxis()));
        };
        if (isInt(o.getInputs().front()))
          return set(o, r, gather((int64_t *)nullptr));
        return set(o, r, gather((T *)nullptr));
      })
      .Case([&](d::SliceOp o) {
        return either(o, o.getInput(), [&](const auto &x) {
          return ref::slice(x, toVector(o.getStarts()), toVector(o.getEnds()),
                            toVector(o.getAxes()), toVector(o.getSteps()));
        });
      })
      .Case([&](d::GatherOp o) {
        const Tensor<int64_t> &idx = in(o.getIndices());
        return either(o, o.getInput(), [&](const auto &x) {
          return ref::gather(x, idx, int64_t(o.getAxis()));
        });
      })
      .Case([&](d::BroadcastOp o) {
        return either(o, o.getInput(), [&](const auto &x) {
          return ref::broadcastTo(x, toVector(o.getShape()));
        });
      })
      .Default([](mlir::Operation *) { return Result(); });
}

/// The losses, and the recurrent layers by their direct step-by-step
/// definitions.
template <typename T>
std::optional<mlir::LogicalResult>
Interpreter<T>::evalLossAndRecurrent(mlir::Operation *op) {
  namespace d = mlir::dlc;
  using Result = std::optional<mlir::LogicalResult>;
  return llvm::TypeSwitch<mlir::Operation *, Result>(op)
      .Case([&](d::SoftmaxCrossEntropyOp o) -> mlir::LogicalResult {
        Tensor<T> out;
        if (failed(check(o, ref::softmaxCrossEntropy(fl(o.getLogits()),
                                                     in(o.getLabels()), out))))
          return mlir::failure();
        return set(o, o.getResult(), std::move(out));
      })
      .Case([&](d::MseLossOp o) {
        return set(o, o.getResult(),
                   ref::mseLoss(fl(o.getInput()), fl(o.getTarget())));
      })
      .Case([&](d::LstmOp o) -> mlir::LogicalResult {
        auto res = ref::lstm(fl(o.getInput()), fl(o.getWeight()),
                             fl(o.getRecurrence()), optionalFl(o.getBias()),
                             optionalFl(o.getInitialH()),
                             optionalFl(o.getInitialC()),
                             int64_t(o.getHiddenSize()),
                             rnnDirection(o.getDirection()));
        if (failed(set(o, o.getY(), std::move(res.y))) ||
            failed(set(o, o.getYH(), std::move(res.yh))))
          return mlir::failure();
        return set(o, o.getYC(), std::move(res.yc));
      })
      .Case([&](d::GruOp o) -> mlir::LogicalResult {
        auto res = ref::gru(fl(o.getInput()), fl(o.getWeight()),
                            fl(o.getRecurrence()), optionalFl(o.getBias()),
                            optionalFl(o.getInitialH()),
                            int64_t(o.getHiddenSize()),
                            rnnDirection(o.getDirection()),
                            o.getLinearBeforeReset());
        if (failed(set(o, o.getY(), std::move(res.y))))
          return mlir::failure();
        return set(o, o.getYH(), std::move(res.yh));
      })
      .Default([](mlir::Operation *) { return Result(); });
}

/// The backward ops built by --dlc-autodiff, and attention (whose backward
/// op is one of them).
template <typename T>
std::optional<mlir::LogicalResult>
Interpreter<T>::evalBackward(mlir::Operation *op) {
  namespace d = mlir::dlc;
  using Result = std::optional<mlir::LogicalResult>;
  mlir::Value r = op->getNumResults() == 1 ? op->getResult(0) : mlir::Value();
  return llvm::TypeSwitch<mlir::Operation *, Result>(op)
      .Case([&](d::Conv2dBackwardInputOp o) {
        return set(o, r,
                   ref::conv2dBackwardInput(
                       fl(o.getGradOutput()), fl(o.getWeight()),
                       toVector(o.getInputShape()),
                       window(o.getStride(), o.getPadding(), o.getDilation()),
                       int64_t(o.getGroups())));
      })
      .Case([&](d::Conv2dBackwardWeightOp o) {
        int64_t kernel[2] = {o.getKernelSize()[0], o.getKernelSize()[1]};
        return set(o, r,
                   ref::conv2dBackwardWeight(
                       fl(o.getGradOutput()), fl(o.getInput()), kernel,
                       window(o.getStride(), o.getPadding(), o.getDilation()),
                       int64_t(o.getGroups()), int64_t(o.getKSplits())));
      })
      .Case([&](d::MaxPool2dBackwardOp o) {
        int64_t kernel[2] = {o.getKernelSize()[0], o.getKernelSize()[1]};
        return set(o, r,
                   ref::maxPool2dBackward(
                       fl(o.getGradOutput()), fl(o.getInput()), kernel,
                       window(o.getStride(), o.getPadding(), o.getDilation())));
      })
      .Case([&](d::AvgPool2dBackwardOp o) {
        int64_t kernel[2] = {o.getKernelSize()[0], o.getKernelSize()[1]};
        return set(o, r,
                   ref::avgPool2dBackward(
                       fl(o.getGradOutput()), toVector(o.getInputShape()),
                       kernel, window(o.getStride(), o.getPadding(), {1, 1}),
                       o.getCountIncludePad()));
      })
      .Case([&](d::AttentionOp o) -> mlir::LogicalResult {
        ref::AttentionParams<T> p{o.getScale().convertToDouble(),
                                  o.getCausal(), optionalFl(o.getMask())};
        auto res = ref::attention(fl(o.getQuery()), fl(o.getKey()),
                                  fl(o.getValue()), p);
        if (failed(set(o, o.getResult(), std::move(res.out))))
          return mlir::failure();
        return set(o, o.getLogsumexp(), std::move(res.logsumexp));
      })
      .Case([&](d::AttentionBackwardOp o) -> mlir::LogicalResult {
        ref::AttentionParams<T> p{o.getScale().convertToDouble(),
                                  o.getCausal(), optionalFl(o.getMask())};
        auto g = ref::attentionBackward(
            fl(o.getQuery()), fl(o.getKey()), fl(o.getValue()),
            fl(o.getOutput()), fl(o.getLogsumexp()), fl(o.getGradOutput()), p);
        if (failed(set(o, o.getGradQuery(), std::move(g.dq))) ||
            failed(set(o, o.getGradKey(), std::move(g.dk))))
          return mlir::failure();
        return set(o, o.getGradValue(), std::move(g.dv));
      })
      .Case([&](d::SliceBackwardOp o) {
        return set(o, r,
                   ref::sliceBackward(fl(o.getGrad()),
                                      toVector(o.getInputShape()),
                                      toVector(o.getStarts()),
                                      toVector(o.getEnds()),
                                      toVector(o.getAxes()),
                                      toVector(o.getSteps())));
      })
      .Default([](mlir::Operation *) { return Result(); });
}

/// The optimizer updates of dlc train's training step.
template <typename T>
std::optional<mlir::LogicalResult>
Interpreter<T>::evalOptimizer(mlir::Operation *op) {
  namespace d = mlir::dlc;
  using Result = std::optional<mlir::LogicalResult>;
  return llvm::TypeSwitch<mlir::Operation *, Result>(op)
      .Case([&](d::SgdUpdateOp o) -> mlir::LogicalResult {
        Tensor<T> p = fl(o.getParam()), buf = fl(o.getMomentumBuffer());
        ref::SgdHyper h;
        h.lr = fl(o.getLr()).data[0];
        h.momentum = o.getMomentum().convertToDouble();
        h.weightDecay = o.getWeightDecay().convertToDouble();
        h.nesterov = o.getNesterov();
        scaling(o, h);
        ref::sgdUpdate(p, fl(o.getGrad()), buf, fl(o.getStep()).data[0], h);
        if (failed(set(o, o.getNewParam(), std::move(p))))
          return mlir::failure();
        return set(o, o.getNewMomentumBuffer(), std::move(buf));
      })
      .template Case<d::AdamUpdateOp, d::AdamwUpdateOp>(
          [&](auto o) -> mlir::LogicalResult {
            Tensor<T> p = fl(o.getParam()), m = fl(o.getExpAvg()),
                      v = fl(o.getExpAvgSq());
            ref::AdamHyper h;
            h.lr = fl(o.getLr()).data[0];
            h.beta1 = o.getBeta1().convertToDouble();
            h.beta2 = o.getBeta2().convertToDouble();
            h.eps = o.getEps().convertToDouble();
            h.weightDecay = o.getWeightDecay().convertToDouble();
            h.decoupled = std::is_same_v<decltype(o), d::AdamwUpdateOp>;
            scaling(o, h);
            ref::adamUpdate(p, fl(o.getGrad()), m, v, fl(o.getStep()).data[0],
                            h);
            if (failed(set(o, o.getNewParam(), std::move(p))) ||
                failed(set(o, o.getNewExpAvg(), std::move(m))))
              return mlir::failure();
            return set(o, o.getNewExpAvgSq(), std::move(v));
          })
      .Default([](mlir::Operation *) { return Result(); });
}

template <typename T>
mlir::LogicalResult Interpreter<T>::run(mlir::func::FuncOp func,
                                        llvm::ArrayRef<HostTensor> args,
                                        std::vector<HostTensor> &results) {
  if (func.isExternal())
    return func.emitError() << "has no body to interpret";
  if (!func.getBody().hasOneBlock())
    return func.emitError()
           << "has more than one block; the reference interpreter runs "
              "straight-line functions";
  mlir::Block &body = func.getBody().front();
  if (args.size() != body.getNumArguments())
    return func.emitError() << "expects " << body.getNumArguments()
                            << " arguments, got " << args.size();

  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    auto type = llvm::dyn_cast<mlir::RankedTensorType>(arg.getType());
    std::optional<DType> dtype =
        type ? dtypeOf(type.getElementType()) : std::nullopt;
    if (!type || !type.hasStaticShape() || !dtype)
      return func.emitError()
             << "argument " << i << " has type " << arg.getType()
             << ", not a static tensor of f16, bf16, f32, "
                "f64, i1, i32 or i64";
    const HostTensor &t = args[i];
    if (t.dtype != *dtype ||
        llvm::ArrayRef<int64_t>(t.shape) != type.getShape())
      return func.emitError()
             << "argument " << i << " expects " << dtypeName(*dtype) << " "
             << formatShape(toVector(type.getShape())) << ", got "
             << dtypeName(t.dtype) << " " << formatShape(t.shape);
    Val &v = env[arg];
    std::string err;
    v.isInt = !isFloat(*dtype);
    bool ok = v.isInt ? ref::loadInt(t, v.i, err) : ref::loadFloat(t, v.f, err);
    if (!ok)
      return func.emitError() << "argument " << i << ": " << err;
  }

  for (mlir::Operation &op : body) {
    if (auto ret = llvm::dyn_cast<mlir::func::ReturnOp>(op)) {
      for (mlir::Value v : ret.getOperands()) {
        DType dtype = dtypeOfValue(v);
        if (!isFloat(dtype))
          results.push_back(ref::storeInt(in(v), dtype));
        else if constexpr (std::is_same_v<T, double>)
          results.push_back(ref::storeFloat(fl(v), DType::F64));
        else
          results.push_back(ref::storeFloat(fl(v), dtype));
      }
      return mlir::success();
    }
    if (failed(eval(&op)))
      return mlir::failure();
  }
  return func.emitError() << "has no func.return";
}

} // namespace

mlir::FailureOr<std::vector<HostTensor>>
interpret(mlir::func::FuncOp func, llvm::ArrayRef<HostTensor> args,
          const InterpreterOptions &opts) {
  if (failed(mlir::verify(func)))
    return mlir::failure();
  std::vector<HostTensor> results;
  mlir::LogicalResult ok = opts.precision == Precision::F64
                               ? Interpreter<double>().run(func, args, results)
                               : Interpreter<float>().run(func, args, results);
  if (failed(ok))
    return mlir::failure();
  return results;
}

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

mlir::func::FuncOp getModelFunction(mlir::ModuleOp module) {
  if (auto f = module.lookupSymbol<mlir::func::FuncOp>(attrs::kEntry))
    return f;
  auto funcs = module.getOps<mlir::func::FuncOp>();
  if (!funcs.empty() && std::next(funcs.begin()) == funcs.end())
    return *funcs.begin();
  mlir::emitError(module.getLoc())
      << "expects a func.func @" << attrs::kEntry
      << " (or exactly one func.func) as the model";
  return nullptr;
}

mlir::FailureOr<std::vector<ModelValue>>
describeModel(mlir::func::FuncOp func) {
  std::vector<ModelValue> values;
  auto typeOf = [&](mlir::Type type, llvm::StringRef what, unsigned i,
                    ModelValue &mv) -> mlir::LogicalResult {
    auto t = llvm::dyn_cast<mlir::RankedTensorType>(type);
    std::optional<DType> dtype = t ? dtypeOf(t.getElementType()) : std::nullopt;
    if (!t || !t.hasStaticShape() || !dtype)
      return func.emitError()
             << what << " " << i << " has type " << type
             << ", not a static tensor of f16, bf16, f32, f64, i1, i32 or i64";
    mv.dtype = *dtype;
    mv.shape = toVector(t.getShape());
    mv.index = i;
    return mlir::success();
  };
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    ModelValue mv;
    if (auto name = func.getArgAttrOfType<mlir::StringAttr>(i, attrs::kInput)) {
      mv.kind = ModelValue::Kind::Input;
      mv.name = name.str();
    } else if (auto name =
                   func.getArgAttrOfType<mlir::StringAttr>(i, attrs::kParam)) {
      mv.kind = ModelValue::Kind::Param;
      mv.name = name.str();
    } else {
      return func.emitError() << "argument " << i << " is neither "
                              << attrs::kInput << " nor " << attrs::kParam;
    }
    if (failed(typeOf(func.getArgumentTypes()[i], "argument", i, mv)))
      return mlir::failure();
    values.push_back(std::move(mv));
  }
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    ModelValue mv;
    mv.kind = ModelValue::Kind::Output;
    auto name = func.getResultAttrOfType<mlir::StringAttr>(i, attrs::kOutput);
    if (!name)
      return func.emitError()
             << "result " << i << " has no " << attrs::kOutput << " name";
    mv.name = name.str();
    if (failed(typeOf(func.getResultTypes()[i], "result", i, mv)))
      return mlir::failure();
    values.push_back(std::move(mv));
  }
  return values;
}

namespace {

/// Copies a dlc.init dictionary into the MLIR-free InitSpec.
mlir::FailureOr<InitSpec> readInitSpec(mlir::func::FuncOp func, unsigned arg,
                                       llvm::StringRef name) {
  auto dict = func.getArgAttrOfType<mlir::DictionaryAttr>(arg, attrs::kInit);
  if (!dict)
    return func.emitError() << "parameter '" << name << "' has no "
                            << attrs::kInit << " dictionary";
  InitSpec spec;
  for (mlir::NamedAttribute entry : dict) {
    llvm::StringRef key = entry.getName().getValue();
    mlir::Attribute value = entry.getValue();
    auto str = llvm::dyn_cast<mlir::StringAttr>(value);
    auto integer = llvm::dyn_cast<mlir::IntegerAttr>(value);
    auto fp = llvm::dyn_cast<mlir::FloatAttr>(value);
    if (key == "scheme" && str)
      spec.scheme = str.str();
    else if (key == "file" && str)
      spec.file = str.str();
    else if (key == "key" && str)
      spec.key = str.str();
    else if (key == "seed" && integer)
      spec.seed = integer.getValue().getZExtValue();
    else if (fp)
      spec.params[key.str()] = fp.getValueAsDouble();
    else if (integer)
      spec.params[key.str()] = double(integer.getValue().getSExtValue());
    else
      return func.emitError()
             << "parameter '" << name << "': unexpected " << attrs::kInit
             << " entry '" << key << "' = " << value;
  }
  return spec;
}

} // namespace

mlir::FailureOr<std::map<std::string, HostTensor>>
materializeParams(mlir::ModuleOp module) {
  mlir::func::FuncOp func = getModelFunction(module);
  if (!func)
    return mlir::failure();
  auto values = describeModel(func);
  if (failed(values))
    return mlir::failure();
  uint64_t modelSeed = 0;
  if (auto seed = module->getAttrOfType<mlir::IntegerAttr>(attrs::kSeed))
    modelSeed = seed.getValue().getZExtValue();
  std::map<std::string, HostTensor> params;
  for (const ModelValue &mv : *values) {
    if (mv.kind != ModelValue::Kind::Param)
      continue;
    auto spec = readInitSpec(func, mv.index, mv.name);
    if (failed(spec))
      return mlir::failure();
    std::string err;
    if (!materializeParam(*spec, mv.name, mv.dtype, mv.shape, modelSeed,
                          params[mv.name], err))
      return func.emitError() << err;
  }
  return params;
}

mlir::FailureOr<std::vector<NamedTensor>>
runModel(mlir::ModuleOp module, const std::map<std::string, HostTensor> &inputs,
         const InterpreterOptions &opts) {
  mlir::func::FuncOp func = getModelFunction(module);
  if (!func)
    return mlir::failure();
  auto values = describeModel(func);
  if (failed(values))
    return mlir::failure();
  auto params = materializeParams(module);
  if (failed(params))
    return mlir::failure();

  std::vector<HostTensor> args(func.getNumArguments());
  std::set<std::string> used;
  std::vector<std::string> outputNames;
  for (const ModelValue &mv : *values) {
    if (mv.kind == ModelValue::Kind::Output) {
      outputNames.push_back(mv.name);
      continue;
    }
    if (mv.kind == ModelValue::Kind::Param) {
      args[mv.index] = std::move(params->at(mv.name));
      continue;
    }
    auto it = inputs.find(mv.name);
    if (it == inputs.end())
      return func.emitError()
             << "no value given for input '" << mv.name << "' ("
             << dtypeName(mv.dtype) << " " << formatShape(mv.shape) << ")";
    const HostTensor &t = it->second;
    if (t.dtype != mv.dtype || t.shape != mv.shape)
      return func.emitError()
             << "input '" << mv.name << "' expects " << dtypeName(mv.dtype)
             << " " << formatShape(mv.shape) << ", got " << dtypeName(t.dtype)
             << " " << formatShape(t.shape);
    args[mv.index] = t;
    used.insert(mv.name);
  }
  for (const auto &[name, t] : inputs)
    if (!used.count(name)) {
      std::string expected;
      for (const ModelValue &mv : *values)
        if (mv.kind == ModelValue::Kind::Input)
          expected += (expected.empty() ? "'" : ", '") + mv.name + "'";
      return func.emitError()
             << "the model has no input '" << name << "'; its inputs are "
             << (expected.empty() ? "none" : expected);
    }

  auto results = interpret(func, args, opts);
  if (failed(results))
    return mlir::failure();
  std::vector<NamedTensor> named;
  for (auto [name, t] : llvm::zip(outputNames, *results))
    named.push_back({name, std::move(t)});
  return named;
}

} // namespace dlc
