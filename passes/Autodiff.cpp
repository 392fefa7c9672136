//===- Autodiff.cpp - --dlc-autodiff: gradients of the training loss ------===//
//
// Reverse-mode accumulation over the straight-line model function: an
// activity analysis (values that depend on a differentiated argument), then
// one backward sweep that asks each active op's DifferentiableOpInterface
// rule (ir/Gradients.cpp) for its operands' cotangents and sums them per
// value. The gradients become new results named "grad:<argument name>".
//
//===----------------------------------------------------------------------===//
#include "ir/DlcInterfaces.h"
#include "ir/DlcOps.h"
#include "ir/ModelAttrs.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

#include <algorithm>
#include <optional>

namespace mlir::dlc {
#define GEN_PASS_DEF_DLCAUTODIFF
#include "passes/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;
using namespace mlir::dlc;

namespace {

bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

/// @forward, or the only func.func of the module.
func::FuncOp modelFunction(ModuleOp module) {
  if (auto f = module.lookupSymbol<func::FuncOp>(::dlc::attrs::kEntry))
    return f;
  auto funcs = module.getOps<func::FuncOp>();
  if (!funcs.empty() && std::next(funcs.begin()) == funcs.end())
    return *funcs.begin();
  return nullptr;
}

/// A zero tensor of `type`.
Value zerosOf(OpBuilder &b, Location loc, RankedTensorType type) {
  auto zero = FloatAttr::get(type.getElementType(), 0.0);
  return ConstantOp::create(b, loc,
                            DenseElementsAttr::get(type, ArrayRef<Attribute>{zero}));
}

/// When the slice_backward ops among `parts` together tile their common
/// input along one axis (unit steps, every other dim whole, no gaps or
/// overlaps), returns that axis and their grads in order along it: their sum
/// is then the concat of the grads, an elementwise op that fuses with its
/// producers, where the sum of zero-padded slice_backwards would be one
/// kernel per part (an LSTM's four gate slices, a sequence's steps).
std::optional<std::pair<int64_t, SmallVector<Value>>>
tilingSlices(ArrayRef<Value> parts) {
  std::optional<int64_t> axis;
  SmallVector<std::pair<int64_t, Value>> ranges; // (begin on axis, grad)
  for (Value part : parts) {
    auto s = part.getDefiningOp<SliceBackwardOp>();
    if (!s)
      return std::nullopt;
    ArrayRef<int64_t> in = s.getInputShape();
    ArrayRef<int64_t> gs = cast<RankedTensorType>(s.getGrad().getType())
                               .getShape();
    SmallVector<int64_t> begin(in.size(), 0);
    ArrayRef<int64_t> axes = s.getAxes(), steps = s.getSteps();
    for (auto [j, st] : llvm::enumerate(s.getStarts())) {
      int64_t a = axes.empty() ? int64_t(j) : axes[j];
      if (a < 0)
        a += int64_t(in.size());
      if (!steps.empty() && steps[j] != 1)
        return std::nullopt;
      begin[a] = std::clamp<int64_t>(st < 0 ? st + in[a] : st, 0, in[a]);
    }
    std::optional<int64_t> cut;
    for (size_t d = 0; d < in.size(); ++d)
      if (gs[d] != in[d]) {
        if (cut)
          return std::nullopt;
        cut = int64_t(d);
      }
    if (!cut || (axis && *axis != *cut))
      return std::nullopt;
    axis = cut;
    ranges.push_back({begin[*cut], s.getGrad()});
  }
  if (!axis)
    return std::nullopt;
  llvm::stable_sort(ranges, llvm::less_first());
  int64_t next = 0;
  SmallVector<Value> grads;
  for (auto &[begin, grad] : ranges) {
    if (begin != next)
      return std::nullopt;
    next += cast<RankedTensorType>(grad.getType()).getDimSize(*axis);
    grads.push_back(grad);
  }
  auto full = cast<RankedTensorType>(parts.front().getType());
  if (next != full.getDimSize(*axis))
    return std::nullopt;
  return std::make_pair(*axis, std::move(grads));
}

using WrtList = SmallVector<std::pair<BlockArgument, std::string>>;

/// The loss result of `func`: the result named `lossName`, a 0-d float.
FailureOr<Value> findLoss(func::FuncOp func, func::ReturnOp ret,
                          StringAttr lossName) {
  namespace attrs = ::dlc::attrs;
  std::optional<unsigned> lossIndex;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, attrs::kOutput);
    if (name && name.getValue().starts_with("grad:"))
      return func.emitError() << "already has gradient result '"
                              << name.getValue()
                              << "' (--dlc-autodiff ran before)";
    if (name && name == lossName)
      lossIndex = i;
  }
  if (!lossIndex)
    return func.emitError() << "has no result named '" << lossName.getValue()
                            << "' (the " << attrs::kTraining << " loss)";
  Value loss = ret.getOperand(*lossIndex);
  auto lossType = cast<RankedTensorType>(loss.getType());
  if (lossType.getRank() != 0 || !isa<FloatType>(lossType.getElementType()))
    return func.emitError() << "expects the loss '" << lossName.getValue()
                            << "' to be a 0-d float tensor, got " << lossType;
  return loss;
}

/// The arguments to differentiate, in argument order: every dlc.param and
/// the dlc.inputs named in `wrtInputs`.
FailureOr<WrtList> argumentsToDifferentiate(func::FuncOp func,
                                            ArrayRef<std::string> wrtInputs) {
  namespace attrs = ::dlc::attrs;
  llvm::StringSet<> requested;
  for (const std::string &name : wrtInputs)
    requested.insert(name);
  WrtList wrt;
  for (BlockArgument arg : func.getBody().front().getArguments()) {
    unsigned i = arg.getArgNumber();
    std::string name;
    if (auto p = func.getArgAttrOfType<StringAttr>(i, attrs::kParam))
      name = p.str();
    else if (auto in = func.getArgAttrOfType<StringAttr>(i, attrs::kInput);
             in && requested.erase(in.getValue()))
      name = in.str();
    else
      continue;
    if (!isFloatTensor(arg))
      return func.emitError() << "cannot differentiate with respect to '"
                              << name << "' of type " << arg.getType()
                              << " (not a float tensor)";
    wrt.push_back({arg, name});
  }
  if (!requested.empty())
    return func.emitError() << "wrt-inputs names '"
                            << requested.begin()->getKey()
                            << "', which is not a dlc.input of the model";
  return wrt;
}

/// Activity: the values that depend on a differentiated argument.
llvm::DenseSet<Value> activeValues(Block &body, const WrtList &wrt) {
  llvm::DenseSet<Value> active;
  for (auto &[arg, name] : wrt)
    active.insert(arg);
  for (Operation &op : body.without_terminator())
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return active.contains(v); }))
      for (Value r : op.getResults())
        if (isFloatTensor(r))
          active.insert(r);
  return active;
}

/// The backward sweep: cotangents per value, built before the return.
class BackwardSweep {
public:
  BackwardSweep(func::ReturnOp ret, const llvm::DenseSet<Value> &active,
                StringAttr lossName)
      : b(ret), active(active), lossName(lossName) {}

  /// Seeds the loss with 1 and visits the forward ops in reverse.
  LogicalResult run(Block &body, Value loss);

  /// The sum of the contributions to `v` (null when none), built once.
  Value cotangentOf(Value v);

  OpBuilder b;

private:
  LogicalResult visit(Operation *op);

  const llvm::DenseSet<Value> &active;
  StringAttr lossName;
  // Contributions are kept apart until a value's cotangent is needed (all
  // its users are done by then) so that slices tiling it become a concat.
  llvm::DenseMap<Value, SmallVector<std::pair<Value, Location>>> parts;
  llvm::DenseMap<Value, Value> cotangent;
};

Value BackwardSweep::cotangentOf(Value v) {
  if (Value done = cotangent.lookup(v))
    return done;
  auto it = parts.find(v);
  if (it == parts.end())
    return {};
  SmallVector<Value> slices, others;
  for (auto &[g, loc] : it->second)
    (g.getDefiningOp<SliceBackwardOp>() ? slices : others).push_back(g);
  Location loc = it->second.front().second;
  if (slices.size() > 1)
    if (auto tiled = tilingSlices(slices)) {
      slices = {ConcatOp::create(b, loc, tiled->second, tiled->first)};
      loc = slices.front().getLoc();
    }
  Value sum;
  for (Value g : llvm::concat<Value>(slices, others))
    sum = sum ? AddOp::create(b, loc, sum, g).getResult() : g;
  return cotangent[v] = sum;
}

LogicalResult BackwardSweep::run(Block &body, Value loss) {
  auto lossType = cast<RankedTensorType>(loss.getType());
  if (active.contains(loss))
    cotangent[loss] = ConstantOp::create(
        b, loss.getLoc(),
        DenseElementsAttr::get(lossType, ArrayRef<Attribute>{FloatAttr::get(
                                             lossType.getElementType(), 1.0)}));
  SmallVector<Operation *> forward;
  for (Operation &op : body.without_terminator())
    forward.push_back(&op);
  for (Operation *op : llvm::reverse(forward))
    if (failed(visit(op)))
      return failure();
  return success();
}

/// Asks `op`'s rule for the cotangents of its active operands.
LogicalResult BackwardSweep::visit(Operation *op) {
  // A rule takes the cotangent of result 0 only: an op with several results
  // is differentiable when its other results carry no cotangent (attention's
  // logsumexp, which only attention_backward reads).
  bool ruleFor = isa<DifferentiableOpInterface>(op) &&
                 llvm::none_of(op->getResults().drop_front(),
                               [&](Value r) { return bool(cotangentOf(r)); });
  if (op->getNumResults() != 1 && !ruleFor) {
    // No rule takes several cotangents: fail rather than drop them
    // (dlc.lstm/dlc.gru are differentiated after --dlc-unroll-recurrent).
    if (llvm::any_of(op->getResults(),
                     [&](Value r) { return bool(cotangentOf(r)); }))
      return op->emitOpError()
             << "has several results and no differentiation rule"
             << (isa<LstmOp, GruOp>(op)
                     ? "; run --dlc-unroll-recurrent before --dlc-autodiff"
                     : "");
    return success();
  }
  Value g = cotangentOf(op->getResult(0));
  if (!g)
    return success();
  SmallVector<bool> wanted;
  for (Value operand : op->getOperands())
    wanted.push_back(active.contains(operand));
  if (!llvm::is_contained(wanted, true))
    return success();
  auto rule = dyn_cast<DifferentiableOpInterface>(op);
  if (!rule)
    return op->emitOpError()
           << "has no differentiation rule, but the loss '"
           << lossName.getValue() << "' depends on it through "
           << "a differentiated argument";
  SmallVector<Value> grads;
  if (failed(rule.buildVjp(b, g, wanted, grads)))
    return op->emitOpError() << "failed to build its gradient";
  for (auto [operand, grad] : llvm::zip(op->getOperands(), grads)) {
    if (!grad)
      continue;
    if (grad.getType() != operand.getType())
      return op->emitOpError() << "gradient rule produced " << grad.getType()
                               << " for an operand of type "
                               << operand.getType() << " (a rule bug)";
    parts[operand].push_back({grad, op->getLoc()});
  }
  return success();
}

/// Appends one result "grad:<name>" per differentiated argument (zeros
/// when the loss does not depend on it).
void addGradientResults(func::FuncOp func, func::ReturnOp ret,
                        const WrtList &wrt, BackwardSweep &sweep) {
  OpBuilder &b = sweep.b;
  SmallVector<Value> results(ret.getOperands());
  SmallVector<DictionaryAttr> resultAttrs;
  func.getAllResultAttrs(resultAttrs);
  for (auto &[arg, name] : wrt) {
    Value g = sweep.cotangentOf(arg);
    if (!g)
      g = zerosOf(b, arg.getLoc(), cast<RankedTensorType>(arg.getType()));
    results.push_back(g);
    resultAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
        ::dlc::attrs::kOutput, b.getStringAttr("grad:" + name))));
  }
  ret->setOperands(results);
  func.setFunctionType(
      FunctionType::get(func.getContext(), func.getArgumentTypes(),
                        ValueRange(results).getTypes()));
  func.setAllResultAttrs(resultAttrs);
}

/// Rules build some values for operands nobody asked for; drops the dead
/// ones among the ops after `lastForward` (every dlc op is Pure).
void eraseDeadBackwardOps(Block &body, Operation *lastForward, Operation *ret) {
  Block::iterator firstNew =
      lastForward ? std::next(lastForward->getIterator()) : body.begin();
  SmallVector<Operation *> created;
  for (auto it = firstNew; &*it != ret; ++it)
    created.push_back(&*it);
  for (Operation *op : llvm::reverse(created))
    if (op->use_empty())
      op->erase();
}

struct DlcAutodiffPass : mlir::dlc::impl::DlcAutodiffBase<DlcAutodiffPass> {
  using DlcAutodiffBase::DlcAutodiffBase;

  void runOnOperation() override {
    if (failed(run()))
      signalPassFailure();
  }

  LogicalResult run();
};

LogicalResult DlcAutodiffPass::run() {
  namespace attrs = ::dlc::attrs;
  ModuleOp module = getOperation();
  auto training = module->getAttrOfType<DictionaryAttr>(attrs::kTraining);
  auto lossName = training ? training.getAs<StringAttr>("loss") : nullptr;
  if (!lossName)
    return module.emitError() << "expects a '" << attrs::kTraining
                              << "' module attribute with a 'loss' name";
  func::FuncOp func = modelFunction(module);
  if (!func)
    return module.emitError() << "expects a func.func @" << attrs::kEntry
                              << " (or exactly one func.func) as the model";
  if (!func.getBody().hasOneBlock())
    return func.emitError() << "expects a single-block body to differentiate";
  Block &body = func.getBody().front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret)
    return func.emitError() << "expects the body to end in func.return";

  FailureOr<Value> loss = findLoss(func, ret, lossName);
  if (failed(loss))
    return failure();
  SmallVector<std::string> wrtNames(wrtInputs.begin(), wrtInputs.end());
  FailureOr<WrtList> wrt = argumentsToDifferentiate(func, wrtNames);
  if (failed(wrt))
    return failure();
  llvm::DenseSet<Value> active = activeValues(body, *wrt);

  Operation *lastForward = ret->getPrevNode();
  BackwardSweep sweep(ret, active, lossName);
  if (failed(sweep.run(body, *loss)))
    return failure();
  addGradientResults(func, ret, *wrt, sweep);
  eraseDeadBackwardOps(body, lastForward, ret);
  return success();
}

} // namespace
