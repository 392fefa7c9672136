//===- TrainingObjective.cpp - the training object from flags -------------===//
#include "passes/TrainingObjective.h"

#include "ir/DlcOps.h"
#include "ir/ModelAttrs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <set>

using namespace mlir;
using namespace mlir::dlc;

namespace attrs = ::dlc::attrs;

std::string mlir::dlc::checkTrainingFlags(const TrainingFlags &f) {
  if (!f.loss.empty() && !llvm::is_contained({"cross_entropy", "nll", "mse",
                                              "bce_with_logits"},
                                             f.loss))
    return "unknown --loss '" + f.loss +
           "'; expected cross_entropy, nll, mse or bce_with_logits";
  if (!f.lossOn.empty() && f.loss.empty())
    return "--loss-on needs --loss";
  if (!f.optimizer.empty() &&
      !llvm::is_contained({"sgd", "adam", "adamw"}, f.optimizer))
    return "unknown --optimizer '" + f.optimizer +
           "'; expected sgd, adam or adamw";
  // !(x > 0) also rejects NaN.
  if (f.lr && !(*f.lr > 0 && std::isfinite(*f.lr)))
    return "--lr must be a finite number > 0";
  if (f.weightDecay && !(*f.weightDecay >= 0 && std::isfinite(*f.weightDecay)))
    return "--weight-decay must be a finite number >= 0";
  if (f.momentum && !(*f.momentum >= 0 && *f.momentum < 1))
    return "--momentum must be a number in [0, 1)";
  return "";
}

namespace {

func::FuncOp entryOf(ModuleOp module) {
  if (auto f = module.lookupSymbol<func::FuncOp>(attrs::kEntry))
    return f;
  auto funcs = module.getOps<func::FuncOp>();
  return funcs.empty() ? func::FuncOp() : *funcs.begin();
}

Value scalar(OpBuilder &b, Location loc, Type elem, double v) {
  auto type = RankedTensorType::get({}, elem);
  return ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef<Attribute>{
                                               FloatAttr::get(elem, v)}));
}

/// A name not yet used by an input or output of `func`.
std::string freshName(func::FuncOp func, const std::string &base) {
  std::set<std::string> used;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    for (const char *k : {attrs::kInput, attrs::kParam})
      if (auto n = func.getArgAttrOfType<StringAttr>(i, k))
        used.insert(n.str());
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (auto n = func.getResultAttrOfType<StringAttr>(i, attrs::kOutput))
      used.insert(n.str());
  std::string name = base;
  for (int i = 1; used.count(name); ++i)
    name = base + "." + std::to_string(i);
  return name;
}

/// The loss `kind` of `x` against `t` (see the header).
FailureOr<Value> buildLoss(OpBuilder &b, Location loc, const std::string &kind,
                           Value x, Value t) {
  auto type = cast<RankedTensorType>(x.getType());
  Type elem = type.getElementType();
  if (kind == "cross_entropy")
    return Value(SoftmaxCrossEntropyOp::create(b, loc, x, t));
  if (kind == "mse")
    return Value(MseLossOp::create(b, loc, x, t));
  if (kind == "nll") {
    // -mean_n x[n, t_n]: a one-hot mask from t against 0..C-1.
    int64_t n = type.getDimSize(0), c = type.getDimSize(1);
    auto iotaType = RankedTensorType::get({1, c}, b.getI64Type());
    SmallVector<int64_t> iota(c);
    for (int64_t i = 0; i < c; ++i)
      iota[i] = i;
    Value classes = ConstantOp::create(
        b, loc, DenseElementsAttr::get(iotaType, ArrayRef<int64_t>(iota)));
    Value col = ReshapeOp::create(b, loc, t, ArrayRef<int64_t>{n, 1});
    Value hot = CompareOp::create(b, loc, col, classes, "eq");
    Value picked = WhereOp::create(b, loc, hot, x, scalar(b, loc, elem, 0));
    Value sum = ReduceSumOp::create(b, loc, picked, ArrayRef<int64_t>{}, false);
    return Value(MulOp::create(b, loc, sum, scalar(b, loc, elem, -1.0 / n)));
  }
  // bce_with_logits, in the form that neither overflows nor loses the
  // small terms: max(x, 0) - x t + log(1 + exp(-|x|)).
  Value absX = MaximumOp::create(b, loc, x, NegOp::create(b, loc, x));
  Value soft = LogOp::create(
      b, loc,
      AddOp::create(b, loc, scalar(b, loc, elem, 1),
                    ExpOp::create(b, loc, NegOp::create(b, loc, absX))));
  Value l = AddOp::create(
      b, loc,
      SubOp::create(b, loc, ReluOp::create(b, loc, x),
                    MulOp::create(b, loc, x, t)),
      soft);
  return Value(ReduceMeanOp::create(b, loc, l, ArrayRef<int64_t>{}, false));
}

/// Adds the target input and the loss on the --loss-on output, and their
/// names to `training`.
LogicalResult attachLoss(ModuleOp module, func::FuncOp func,
                         const TrainingFlags &f, StringRef oldLoss,
                         NamedAttrList &training) {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  SmallVector<std::string> outputs;
  int found = -1;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto n = func.getResultAttrOfType<StringAttr>(i, attrs::kOutput);
    std::string name = n ? n.str() : "#" + std::to_string(i);
    if (name == oldLoss)
      continue; // the model's own loss is not a candidate
    outputs.push_back(name);
    if (name == f.lossOn || (f.lossOn.empty() && found < 0))
      found = int(i);
  }
  if (!f.lossOn.empty() && found < 0)
    return module.emitError()
           << "--loss-on: the model has no output '" << f.lossOn
           << "'; its outputs: " << llvm::join(outputs, ", ");
  if (f.lossOn.empty() && outputs.size() != 1)
    return module.emitError()
           << "--loss: the model has " << outputs.size()
           << " outputs (" << llvm::join(outputs, ", ")
           << "); say which one the loss reads with --loss-on NAME";
  Value out = ret.getOperand(found);
  auto outAttr = func.getResultAttrOfType<StringAttr>(found, attrs::kOutput);
  std::string outName = outAttr ? outAttr.str() : "#" + std::to_string(found);
  auto type = dyn_cast<RankedTensorType>(out.getType());
  if (!type || !isa<FloatType>(type.getElementType()))
    return module.emitError() << "--loss " << f.loss << ": output '"
                              << outName << "' is not a float tensor";
  bool classes = f.loss == "cross_entropy" || f.loss == "nll";
  if (classes && type.getRank() != 2)
    return module.emitError()
           << "--loss " << f.loss << " needs [N, C] scores, but output '"
           << outName << "' is " << type
           << " (reshape to [N, C] in the model)";
  OpBuilder b(ret);
  auto targetType =
      classes ? RankedTensorType::get({type.getDimSize(0)}, b.getI64Type())
              : type;
  // The target goes after the last input (params follow the inputs).
  unsigned at = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (func.getArgAttr(i, attrs::kInput))
      at = i + 1;
  std::string target = freshName(func, "target");
  std::string lossName = freshName(func, "loss");
  Location loc = NameLoc::get(b.getStringAttr(lossName), func.getLoc());
  if (failed(func.insertArgument(
          at, targetType,
          b.getDictionaryAttr(
              b.getNamedAttr(attrs::kInput, b.getStringAttr(target))),
          loc)))
    return module.emitError() << "cannot add the target input";
  auto loss = buildLoss(b, loc, f.loss, out, func.getArgument(at));
  if (failed(loss))
    return failure();
  SmallVector<Value> results(ret.getOperands());
  SmallVector<DictionaryAttr> resultAttrs;
  func.getAllResultAttrs(resultAttrs);
  results.push_back(*loss);
  resultAttrs.push_back(b.getDictionaryAttr(
      b.getNamedAttr(attrs::kOutput, b.getStringAttr(lossName))));
  ret->setOperands(results);
  func.setFunctionType(FunctionType::get(module.getContext(),
                                         func.getArgumentTypes(),
                                         ValueRange(results).getTypes()));
  func.setAllResultAttrs(resultAttrs);
  training.set("loss", b.getStringAttr(lossName));
  training.set("target", b.getStringAttr(target));
  training.set("scores", b.getStringAttr(outName));
  training.set("loss_kind", b.getStringAttr(f.loss));
  return success();
}

/// The model's optimizer with the flags over it, every hyper-parameter
/// filled in (docs/model-format.md's defaults).
FailureOr<DictionaryAttr> mergeOptimizer(ModuleOp module, DictionaryAttr old,
                                         const TrainingFlags &f) {
  OpBuilder b(module.getContext());
  auto oldName = old ? old.getAs<StringAttr>("name") : nullptr;
  std::string name = !f.optimizer.empty() ? f.optimizer
                     : oldName            ? oldName.str()
                                          : "";
  if (name.empty())
    return module.emitError() << "the model has no optimizer: give "
                                 "--optimizer sgd|adam|adamw and --lr";
  // The model's hyper-parameters hold only for the model's optimizer.
  bool same = oldName && oldName.getValue() == name;
  auto get = [&](StringRef key, std::optional<double> flag, double dflt) {
    if (flag)
      return *flag;
    if (same)
      if (auto v = old.getAs<FloatAttr>(key))
        return v.getValueAsDouble();
    return dflt;
  };
  if (!f.lr && !(same && old.getAs<FloatAttr>("lr")))
    return module.emitError()
           << "--optimizer " << name << " needs a learning rate: give --lr";
  if (f.momentum && name != "sgd")
    return module.emitError() << "--momentum applies to --optimizer sgd only "
                                 "(adam and adamw have beta1)";
  auto num = [&](StringRef key, double v) {
    return b.getNamedAttr(key, b.getF64FloatAttr(v));
  };
  SmallVector<NamedAttribute> entries{b.getNamedAttr("name",
                                                     b.getStringAttr(name)),
                                      num("lr", get("lr", f.lr, 0))};
  if (name == "sgd") {
    double mom = get("momentum", f.momentum, 0);
    auto nest = same ? old.getAs<BoolAttr>("nesterov") : nullptr;
    entries.push_back(num("momentum", mom));
    entries.push_back(num("weight_decay", get("weight_decay", f.weightDecay, 0)));
    entries.push_back(b.getNamedAttr(
        "nesterov", b.getBoolAttr(nest && nest.getValue() && mom > 0)));
  } else {
    entries.push_back(num("beta1", get("beta1", std::nullopt, 0.9)));
    entries.push_back(num("beta2", get("beta2", std::nullopt, 0.999)));
    entries.push_back(num("eps", get("eps", std::nullopt, 1e-8)));
    entries.push_back(num("weight_decay", get("weight_decay", f.weightDecay,
                                              name == "adamw" ? 0.01 : 0)));
  }
  return b.getDictionaryAttr(entries);
}

} // namespace

LogicalResult mlir::dlc::applyTrainingFlags(ModuleOp module,
                                            const TrainingFlags &f) {
  if (!f.any())
    return success();
  std::string err = checkTrainingFlags(f);
  if (!err.empty())
    return module.emitError() << err;
  func::FuncOp func = entryOf(module);
  if (!func || func.getBody().empty())
    return module.emitError() << "has no model function";
  auto old = module->getAttrOfType<DictionaryAttr>(attrs::kTraining);
  NamedAttrList training(old ? old.getValue() : ArrayRef<NamedAttribute>{});
  auto oldLoss = old ? old.getAs<StringAttr>("loss") : nullptr;
  if (!f.loss.empty()) {
    if (failed(attachLoss(module, func, f,
                          oldLoss ? oldLoss.getValue() : StringRef(),
                          training)))
      return failure();
  } else if (!oldLoss) {
    return module.emitError()
           << "the model has no loss (no 'training' object): give --loss "
              "cross_entropy|nll|mse|bce_with_logits (and --loss-on OUTPUT "
              "when it has several outputs)";
  }
  auto opt = mergeOptimizer(
      module, old ? old.getAs<DictionaryAttr>("optimizer") : nullptr, f);
  if (failed(opt))
    return failure();
  training.set("optimizer", *opt);
  module->setAttr(attrs::kTraining,
                  training.getDictionary(module.getContext()));
  return success();
}
