//===- TrainingStep.cpp - forward + backward + update as one function -----===//
#include "passes/TrainingStep.h"

#include "ir/DlcOps.h"
#include "ir/FusionOps.h"
#include "ir/ModelAttrs.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace mlir::dlc;

std::vector<std::string> OptimizerConfig::stateKinds() const {
  if (name == "sgd")
    return {"momentum_buffer"};
  return {"exp_avg", "exp_avg_sq"};
}

FailureOr<OptimizerConfig> mlir::dlc::readOptimizer(ModuleOp module) {
  namespace attrs = ::dlc::attrs;
  auto training = module->getAttrOfType<DictionaryAttr>(attrs::kTraining);
  auto opt = training ? training.getAs<DictionaryAttr>("optimizer") : nullptr;
  auto name = opt ? opt.getAs<StringAttr>("name") : nullptr;
  if (!name)
    return module.emitError()
           << "the model has no training optimizer (a 'training' object with "
              "'loss' and 'optimizer' in the model file)";
  OptimizerConfig c;
  c.name = name.str();
  if (c.name != "sgd" && c.name != "adam" && c.name != "adamw")
    return module.emitError() << "unknown optimizer '" << c.name << "'";
  auto num = [&](StringRef key, double &out) {
    if (auto f = opt.getAs<FloatAttr>(key))
      out = f.getValueAsDouble();
  };
  num("lr", c.lr);
  num("momentum", c.momentum);
  num("weight_decay", c.weightDecay);
  num("beta1", c.beta1);
  num("beta2", c.beta2);
  num("eps", c.eps);
  if (auto b = opt.getAs<BoolAttr>("nesterov"))
    c.nesterov = b.getValue();
  return c;
}

namespace {

Value scalarConst(OpBuilder &b, Location loc, Type elem, double v) {
  auto type = RankedTensorType::get({}, elem);
  return ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef<Attribute>{
                                               FloatAttr::get(elem, v)}));
}

} // namespace

LogicalResult mlir::dlc::buildTrainingStep(ModuleOp module,
                                           const TrainingStepOptions &opts) {
  namespace attrs = ::dlc::attrs;
  auto cfg = readOptimizer(module);
  if (failed(cfg))
    return failure();
  PassManager pm(module->getName());
  pm.addNestedPass<func::FuncOp>(createDlcUnrollRecurrent()); // before autodiff
  // The backward graph then gets one attention_backward per attention.
  pm.addNestedPass<func::FuncOp>(createDlcFuseAttention());
  pm.addPass(createDlcAutodiff());
  if (failed(pm.run(module)))
    return failure();
  func::FuncOp func = module.lookupSymbol<func::FuncOp>(attrs::kEntry);
  if (!func) {
    auto funcs = module.getOps<func::FuncOp>();
    if (funcs.empty())
      return module.emitError() << "has no model function";
    func = *funcs.begin();
  }
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Location loc = func.getLoc();
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  auto f32Scalar = RankedTensorType::get({}, b.getF32Type());
  auto inputAttr = [&](const std::string &name) {
    return b.getDictionaryAttr(
        b.getNamedAttr(attrs::kInput, b.getStringAttr(name)));
  };
  auto addArg = [&](Type type, const std::string &name) -> Value {
    unsigned i = func.getNumArguments();
    if (failed(func.insertArgument(i, type, inputAttr(name), loc)))
      return {};
    return func.getArgument(i);
  };

  // The params and their gradients ("grad:<param>" results).
  SmallVector<std::pair<BlockArgument, std::string>> params;
  for (BlockArgument arg : body.getArguments())
    if (auto p = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                   attrs::kParam))
      params.push_back({arg, p.str()});
  std::map<std::string, Value> grads;
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (auto n = func.getResultAttrOfType<StringAttr>(i, attrs::kOutput);
        n && n.getValue().starts_with("grad:"))
      grads[n.getValue().drop_front(5).str()] = ret.getOperand(i);

  Value step = addArg(f32Scalar, "opt.step");
  Value lr = addArg(f32Scalar, "opt.lr");
  Value gradScale, skip;
  if (opts.lossScaling) {
    gradScale = addArg(f32Scalar, "opt.grad_scale");
    skip = addArg(f32Scalar, "opt.skip");
  }
  if (!step || !lr || (opts.lossScaling && (!gradScale || !skip)))
    return func.emitError() << "cannot add the optimizer arguments";
  std::vector<std::string> kinds = cfg->stateKinds();

  SmallVector<Value> results(ret.getOperands());
  SmallVector<DictionaryAttr> resultAttrs;
  func.getAllResultAttrs(resultAttrs);
  auto addResult = [&](Value v, const std::string &name) {
    results.push_back(v);
    resultAttrs.push_back(b.getDictionaryAttr(
        b.getNamedAttr(attrs::kOutput, b.getStringAttr(name))));
  };
  for (auto &[param, name] : params) {
    auto type = cast<RankedTensorType>(param.getType());
    SmallVector<Value> state;
    for (const std::string &kind : kinds) {
      Value s = addArg(type, "state/" + kind + "/" + name);
      if (!s)
        return func.emitError() << "cannot add optimizer state arguments";
      state.push_back(s);
    }
    b.setInsertionPoint(ret);
    Location ploc = param.getLoc();
    Value g = grads[name];
    if (!g)
      return func.emitError() << "has no gradient for param '" << name << "'";
    Value st = step, rate = lr;
    if (type.getElementType() != b.getF32Type()) {
      auto scalar = RankedTensorType::get({}, type.getElementType());
      st = CastOp::create(b, ploc, step, scalar.getElementType());
      rate = CastOp::create(b, ploc, lr, scalar.getElementType());
    }
    Operation *update;
    if (cfg->name == "sgd") {
      update = SgdUpdateOp::create(
          b, ploc, param, g, state[0], st, rate, gradScale, skip,
          b.getF64FloatAttr(cfg->momentum), b.getF64FloatAttr(cfg->weightDecay),
          b.getBoolAttr(cfg->nesterov));
    } else {
      auto args = std::make_tuple(
          b.getF64FloatAttr(cfg->beta1), b.getF64FloatAttr(cfg->beta2),
          b.getF64FloatAttr(cfg->eps), b.getF64FloatAttr(cfg->weightDecay));
      update = cfg->name == "adam"
                   ? AdamUpdateOp::create(b, ploc, param, g, state[0],
                                          state[1], st, rate, gradScale, skip,
                                          std::get<0>(args), std::get<1>(args),
                                          std::get<2>(args), std::get<3>(args))
                         .getOperation()
                   : AdamwUpdateOp::create(b, ploc, param, g, state[0],
                                           state[1], st, rate, gradScale, skip,
                                           std::get<0>(args), std::get<1>(args),
                                           std::get<2>(args), std::get<3>(args))
                         .getOperation();
    }
    addResult(update->getResult(0), "new/param/" + name);
    for (auto [i, kind] : llvm::enumerate(kinds))
      addResult(update->getResult(i + 1), "new/state/" + kind + "/" + name);
  }
  ret->setOperands(results);
  func.setFunctionType(FunctionType::get(ctx, func.getArgumentTypes(),
                                         ValueRange(results).getTypes()));
  func.setAllResultAttrs(resultAttrs);
  return success();
}

LogicalResult mlir::dlc::expandOptimizerUpdates(func::FuncOp func) {
  SmallVector<Operation *> updates;
  func.walk([&](Operation *op) {
    if (isa<SgdUpdateOp, AdamUpdateOp, AdamwUpdateOp>(op))
      updates.push_back(op);
  });
  for (Operation *op : updates) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    Value p = op->getOperand(0), g = op->getOperand(1);
    Type elem = cast<RankedTensorType>(p.getType()).getElementType();
    auto c = [&](double v) { return scalarConst(b, loc, elem, v); };
    auto mul = [&](Value x, Value y) { return MulOp::create(b, loc, x, y); };
    auto add = [&](Value x, Value y) { return AddOp::create(b, loc, x, y); };
    auto sub = [&](Value x, Value y) { return SubOp::create(b, loc, x, y); };
    auto div = [&](Value x, Value y) { return DivOp::create(b, loc, x, y); };
    auto [gradScale, skip] = optimizerLossScaling(op);
    if (gradScale) {
      if (elem != cast<RankedTensorType>(gradScale.getType()).getElementType())
        gradScale = CastOp::create(b, loc, gradScale, elem);
      g = mul(g, gradScale);
    }
    SmallVector<Value> repl;
    if (auto sgd = dyn_cast<SgdUpdateOp>(op)) {
      double mom = sgd.getMomentum().convertToDouble();
      double wd = sgd.getWeightDecay().convertToDouble();
      Value lr = sgd.getLr();
      if (wd != 0)
        g = add(g, mul(c(wd), p));
      Value buf = add(mul(c(mom), sgd.getMomentumBuffer()), g);
      Value d = mom == 0          ? g
                : sgd.getNesterov() ? Value(add(g, mul(c(mom), buf)))
                                    : buf;
      repl = {sub(p, mul(lr, d)), buf};
    } else {
      bool decoupled = isa<AdamwUpdateOp>(op);
      Value m = op->getOperand(2), v = op->getOperand(3);
      Value step = op->getOperand(4), lr = op->getOperand(5);
      auto attr = [&](StringRef n) {
        return cast<FloatAttr>(op->getAttr(n)).getValueAsDouble();
      };
      double b1 = attr("beta1"), b2 = attr("beta2"), eps = attr("eps"),
             wd = attr("weight_decay");
      Value p0 = p;
      if (wd != 0 && decoupled)
        p0 = mul(p, sub(c(1), mul(lr, c(wd))));
      else if (wd != 0)
        g = add(g, mul(c(wd), p));
      Value m1 = add(mul(c(b1), m), mul(c(1 - b1), g));
      Value v1 = add(mul(c(b2), v), mul(c(1 - b2), mul(g, g)));
      Value c1 = sub(c(1), PowOp::create(b, loc, c(b1), step));
      Value c2 = sub(c(1), PowOp::create(b, loc, c(b2), step));
      Value denom = add(SqrtOp::create(b, loc, div(v1, c2)), c(eps));
      repl = {sub(p0, mul(div(lr, c1), div(m1, denom))), m1, v1};
    }
    if (skip) {
      // Every result keeps its input (param, then the state in order).
      auto f32 = cast<RankedTensorType>(skip.getType());
      Value zero = scalarConst(b, loc, f32.getElementType(), 0);
      Value keep = CompareOp::create(b, loc, skip, zero, "ne");
      SmallVector<Value> inputs{p};
      for (unsigned i = 2; i < 2 + repl.size() - 1; ++i)
        inputs.push_back(op->getOperand(i));
      for (auto [r, in] : llvm::zip(repl, inputs))
        r = WhereOp::create(b, loc, keep, in, r);
    }
    op->replaceAllUsesWith(repl);
    op->erase();
  }
  return success();
}
