//===- MixedPrecision.cpp - --dlc-mixed-precision: bf16/fp16 compute ------===//
//
// Rewrites the float32 graph of a model function to compute in bf16 or fp16
// where that is safe, following PyTorch autocast's op lists. Each op says
// which list it is on with a trait in DlcOps.td (ir/DlcTraits.td):
//   low    (Dlc_AutocastLowPrecision: the contractions) operands cast to the
//          low type, result low (the tensor-core schedule accumulates in
//          f32);
//   f32    (Dlc_AutocastF32: softmax, log_softmax, the norms, reduce_sum,
//          reduce_mean, the losses, exp, log, pow, rsqrt, the optimizer
//          updates) operands cast up to f32, result f32;
//   keep   (Dlc_AutocastKeep: cast, constant; and ops of other dialects)
//          unchanged;
//   follow every other op (elementwise, views, pools, reduce_max): low when
//          one of its float operands is low, else f32 (as it was).
// Function arguments (inputs and params: the f32 master weights) and
// results keep their types: a dlc.cast is inserted at the uses that need
// another type and before the return. Only f32 values change; ops that
// touch other float types, casts, constants and ops of other dialects see
// their operands' original types.
//
//===----------------------------------------------------------------------===//
#include "ir/DlcOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_DLCMIXEDPRECISION
#include "passes/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;
using namespace mlir::dlc;

namespace {

enum class Policy { Low, F32, Follow, Keep };

/// The op's autocast category, a trait on the op (ir/DlcTraits.td).
Policy policyOf(Operation *op) {
  if (op->hasTrait<OpTrait::dlc::AutocastLowPrecision>())
    return Policy::Low;
  if (op->hasTrait<OpTrait::dlc::AutocastF32>())
    return Policy::F32;
  if (op->hasTrait<OpTrait::dlc::AutocastKeep>() ||
      !isa<DlcDialect>(op->getDialect()))
    return Policy::Keep;
  return Policy::Follow;
}

Type floatElem(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType()) ? t.getElementType()
                                                 : Type();
}

class Rewriter {
public:
  Rewriter(MLIRContext *ctx, Type low)
      : b(ctx), low(low), f32(Float32Type::get(ctx)) {}

  void run(func::FuncOp func) {
    Block &body = func.getBody().front();
    for (Operation &op : llvm::make_early_inc_range(body))
      if (auto ret = dyn_cast<func::ReturnOp>(op))
        restore(ret, func.getResultTypes());
      else
        rewrite(&op);
  }

private:
  /// `v` converted to element type `elem`: one dlc.cast per value and type,
  /// right after `v` is defined so that all its users share it.
  Value castTo(Value v, Type elem) {
    if (floatElem(v) == elem)
      return v;
    Value &c = casts[{v, elem}];
    if (!c) {
      OpBuilder::InsertionGuard guard(b);
      if (Operation *def = v.getDefiningOp())
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
      c = CastOp::create(b, v.getLoc(), v, elem);
    }
    return c;
  }

  /// Casts the operands of `op` that this pass turned low back to f32.
  void restoreOperands(Operation *op) {
    for (OpOperand &o : op->getOpOperands())
      if (lowered.contains(o.get()))
        o.set(castTo(o.get(), f32));
  }

  void restore(func::ReturnOp ret, TypeRange types) {
    for (auto [o, type] : llvm::zip(ret->getOpOperands(), types))
      if (o.get().getType() != type)
        o.set(castTo(o.get(), cast<RankedTensorType>(type).getElementType()));
  }

  void rewrite(Operation *op) {
    Policy policy = policyOf(op);
    // Only ops whose float values are all f32 (or made low here) change.
    auto convertible = [&](Value v) {
      Type e = floatElem(v);
      return !e || e == f32 || (e == low && lowered.contains(v));
    };
    if (policy == Policy::Keep || op->getNumRegions() != 0 ||
        !llvm::all_of(op->getOperands(), convertible) ||
        !llvm::all_of(op->getResults(), convertible))
      return restoreOperands(op);
    Type compute = f32;
    if (policy == Policy::Low)
      compute = low;
    else if (policy == Policy::Follow &&
             llvm::any_of(op->getOperands(),
                          [&](Value v) { return lowered.contains(v); }))
      compute = low;
    for (OpOperand &o : op->getOpOperands())
      if (Type e = floatElem(o.get()); e && e != compute)
        o.set(castTo(o.get(), compute));
    if (compute == f32)
      return;
    // The op's own rule says which results follow the operands (attention's
    // logsumexp stays f32).
    SmallVector<Type> inferred;
    auto infer = dyn_cast<InferTypeOpInterface>(op);
    if (infer &&
        succeeded(infer.inferReturnTypes(
            op->getContext(), op->getLoc(), op->getOperands(),
            op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
            op->getRegions(), inferred)) &&
        inferred.size() == op->getNumResults()) {
      for (auto [r, type] : llvm::zip(op->getResults(), inferred))
        if (floatElem(r) == f32 && type != r.getType()) {
          r.setType(type);
          lowered.insert(r);
        }
      return;
    }
    for (OpResult r : op->getResults())
      if (floatElem(r) == f32) {
        r.setType(cast<RankedTensorType>(r.getType()).clone(low));
        lowered.insert(r);
      }
  }

  OpBuilder b;
  Type low, f32;
  llvm::DenseMap<std::pair<Value, Type>, Value> casts;
  llvm::DenseSet<Value> lowered; // f32 values this pass made low
};

struct DlcMixedPrecisionPass
    : mlir::dlc::impl::DlcMixedPrecisionBase<DlcMixedPrecisionPass> {
  using DlcMixedPrecisionBase::DlcMixedPrecisionBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    Type low = precision == "bf16"   ? Type(BFloat16Type::get(ctx))
               : precision == "fp16" ? Type(Float16Type::get(ctx))
                                     : Type();
    if (!low) {
      func.emitError() << "--dlc-mixed-precision: unknown precision '"
                       << precision << "'; expected bf16 or fp16";
      return signalPassFailure();
    }
    if (func.getBody().empty())
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitError() << "--dlc-mixed-precision expects a function with one "
                          "block";
      return signalPassFailure();
    }
    WalkResult fused = func.walk([](FusionOp f) {
      f.emitOpError() << "--dlc-mixed-precision runs before --dlc-fuse";
      return WalkResult::interrupt();
    });
    if (fused.wasInterrupted())
      return signalPassFailure();
    Rewriter(ctx, low).run(func);
  }
};

} // namespace
