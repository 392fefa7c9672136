//===- LossScaling.cpp - dynamic loss scaling for the training step -------===//
#include "passes/LossScaling.h"

#include "ir/DlcOps.h"
#include "ir/ModelAttrs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::dlc;

namespace attrs = ::dlc::attrs;

namespace {

func::FuncOp modelFunction(ModuleOp module) {
  if (auto f = module.lookupSymbol<func::FuncOp>(attrs::kEntry))
    return f;
  auto funcs = module.getOps<func::FuncOp>();
  if (!funcs.empty() && std::next(funcs.begin()) == funcs.end())
    return *funcs.begin();
  return nullptr;
}

/// The index of the result named `name`, or -1.
int resultNamed(func::FuncOp func, StringRef name) {
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (auto n = func.getResultAttrOfType<StringAttr>(i, attrs::kOutput);
        n && n.getValue() == name)
      return int(i);
  return -1;
}

void appendResult(func::FuncOp func, Value v, StringRef name) {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  OpBuilder b(func.getContext());
  SmallVector<DictionaryAttr> resultAttrs;
  func.getAllResultAttrs(resultAttrs);
  resultAttrs.push_back(b.getDictionaryAttr(
      b.getNamedAttr(attrs::kOutput, b.getStringAttr(name))));
  SmallVector<Value> results(ret.getOperands());
  results.push_back(v);
  ret->setOperands(results);
  func.setFunctionType(FunctionType::get(func.getContext(),
                                         func.getArgumentTypes(),
                                         ValueRange(results).getTypes()));
  func.setAllResultAttrs(resultAttrs);
}

Type elemOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

} // namespace

LogicalResult mlir::dlc::scaleTrainingLoss(ModuleOp module) {
  auto training = module->getAttrOfType<DictionaryAttr>(attrs::kTraining);
  auto lossName = training ? training.getAs<StringAttr>("loss") : nullptr;
  func::FuncOp func = modelFunction(module);
  if (!lossName || !func)
    return module.emitError() << "loss scaling needs a model function with a "
                                 "training loss";
  int loss = resultNamed(func, lossName.getValue());
  if (loss < 0)
    return func.emitError() << "has no output '" << lossName.getValue()
                            << "' (the training loss)";
  OpBuilder b(module.getContext());
  auto f32Scalar = RankedTensorType::get({}, b.getF32Type());
  unsigned i = func.getNumArguments();
  if (failed(func.insertArgument(
          i, f32Scalar,
          b.getDictionaryAttr(b.getNamedAttr(
              attrs::kInput, b.getStringAttr("opt.loss_scale"))),
          func.getLoc())))
    return func.emitError() << "cannot add the loss scale argument";
  Value scale = func.getArgument(i);
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  Value lossValue = ret.getOperand(loss);
  b.setInsertionPoint(ret);
  Location loc = lossValue.getLoc();
  if (elemOf(lossValue) != b.getF32Type())
    scale = CastOp::create(b, loc, scale, elemOf(lossValue));
  appendResult(func, MulOp::create(b, loc, lossValue, scale),
               "opt.scaled_loss");
  NamedAttrList entries(training);
  entries.set("loss", b.getStringAttr("opt.scaled_loss"));
  module->setAttr(attrs::kTraining, entries.getDictionary(module.getContext()));
  return success();
}

LogicalResult mlir::dlc::computeOverflowSkip(ModuleOp module) {
  func::FuncOp func = modelFunction(module);
  if (!func)
    return module.emitError() << "has no model function";
  BlockArgument skipArg;
  for (BlockArgument arg : func.getArguments())
    if (auto n = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                   attrs::kInput);
        n && n.getValue() == "opt.skip")
      skipArg = arg;
  if (!skipArg || skipArg.use_empty())
    return func.emitError() << "has no optimizer update reading 'opt.skip' "
                               "(build the step with loss scaling)";
  // Before the first update: every gradient is computed by then.
  Operation *first = *llvm::min_element(
      llvm::map_range(skipArg.getUsers(), [](Operation *op) { return op; }),
      [](Operation *a, Operation *c) { return a->isBeforeInBlock(c); });
  OpBuilder b(first);
  Location loc = func.getLoc();
  auto f32 = b.getF32Type();
  auto f32Scalar = RankedTensorType::get({}, f32);
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  // sum(g * 0) over every gradient: 0 when all are finite, nan otherwise.
  Value total;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto n = func.getResultAttrOfType<StringAttr>(i, attrs::kOutput);
    if (!n || !n.getValue().starts_with("grad:"))
      continue;
    Value g = ret.getOperand(i);
    auto type = cast<RankedTensorType>(g.getType());
    Value zero = ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({}, type.getElementType()),
                               ArrayRef<Attribute>{FloatAttr::get(
                                   type.getElementType(), 0.0)}));
    Value t = MulOp::create(b, loc, g, zero);
    if (type.getRank() > 0)
      t = ReduceSumOp::create(b, loc, t, ArrayRef<int64_t>{}, false);
    if (type.getElementType() != f32)
      t = CastOp::create(b, loc, t, f32);
    total = total ? Value(AddOp::create(b, loc, total, t)) : t;
  }
  if (!total)
    return func.emitError() << "has no gradients to check for overflow";
  Value bad = CompareOp::create(b, loc, total, total, "ne"); // nan != nan
  Value skipped = CastOp::create(b, loc, bad, f32);
  if (skipped.getType() != f32Scalar)
    return func.emitError() << "internal error: the overflow flag is not 0-d";
  skipArg.replaceAllUsesWith(skipped);
  if (failed(func.eraseArgument(skipArg.getArgNumber())))
    return func.emitError() << "cannot remove the 'opt.skip' argument";
  appendResult(func, skipped, "opt.skipped");
  return success();
}
