//===- KernelEmitter.cpp - the kernel-emitter core ------------------------===//
//
// What every strategy uses: index maps, the gather of an element (`at`) and
// the views that only change its index, the forward walk of an epilogue,
// the stores, and the switch on the schedule's strategy. The elementwise
// ops are in Elementwise.cpp, the strategies in one file each
// (KernelEmitter.h lists them).
//
//===----------------------------------------------------------------------===//
#include "codegen/KernelEmitter.h"
#include "codegen/Attention.h"
#include "codegen/BackwardKernels.h"
#include "codegen/MultiTensorKernels.h"

#include "ir/FusionOps.h"
#include "ir/ShapeUtils.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::codegen;

TypeNames mlir::dlc::codegen::typeNames(Type t) {
  if (t.isF16())
    return {"__half", "float", "f16"};
  if (t.isBF16())
    return {"__nv_bfloat16", "float", "bf16"};
  if (t.isF32())
    return {"float", "float", "f32"};
  if (t.isF64())
    return {"double", "double", "f64"};
  if (t.isInteger(1))
    return {"bool", "bool", "i1"};
  if (t.isInteger(32))
    return {"int", "int", "i32"};
  return {"long long", "long long", "i64"};
}

Dims mlir::dlc::codegen::stridesOf(ArrayRef<int64_t> shape) {
  Dims s(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

std::string KernelEmitter::coord(const std::string &idx,
                                 ArrayRef<int64_t> shape, size_t d) {
  int64_t stride = product(shape.drop_front(d + 1));
  std::string e = idx;
  if (stride != 1)
    e = "(" + e + " / " + std::to_string(stride) + ")";
  if (d != 0)
    e = "(" + e + " % " + std::to_string(shape[d]) + ")";
  if (e.front() == '(' && e.back() == ')' && d == 0)
    e = e.substr(1, e.size() - 2);
  return e;
}

std::string KernelEmitter::broadcastIndex(const std::string &idx,
                                          ArrayRef<int64_t> out,
                                          ArrayRef<int64_t> in) {
  if (out == in)
    return idx;
  if (product(in) == 1)
    return "0";
  Dims inStrides = stridesOf(in);
  size_t lead = out.size() - in.size();
  std::string expr;
  for (size_t d = lead; d < out.size(); ++d) {
    int64_t id = in[d - lead];
    if (id == 1)
      continue;
    std::string term = coord(idx, out, d);
    if (inStrides[d - lead] != 1)
      term += " * " + std::to_string(inStrides[d - lead]);
    expr += (expr.empty() ? "" : " + ") + term;
  }
  return indexVar(expr);
}

/// forward = false: the input index of output element idx (gather);
/// forward = true: the output index of input element idx.
std::string KernelEmitter::transposeIndex(const std::string &idx,
                                          ArrayRef<int64_t> inShape,
                                          ArrayRef<int64_t> perm,
                                          bool forward) {
  Dims outShape;
  for (int64_t p : perm)
    outShape.push_back(inShape[p]);
  Dims inStrides = stridesOf(inShape), outStrides = stridesOf(outShape);
  std::string expr;
  for (size_t d = 0; d < perm.size(); ++d) {
    // Output dim d is input dim perm[d].
    std::string term;
    int64_t stride;
    if (forward) {
      if (inShape[perm[d]] == 1)
        continue;
      term = coord(idx, inShape, perm[d]);
      stride = outStrides[d];
    } else {
      if (outShape[d] == 1)
        continue;
      term = coord(idx, outShape, d);
      stride = inStrides[perm[d]];
    }
    if (stride != 1)
      term += " * " + std::to_string(stride);
    expr += (expr.empty() ? "" : " + ") + term;
  }
  return indexVar(expr.empty() ? "0" : expr);
}

FailureOr<std::string> KernelEmitter::at(Value v, const std::string &idx) {
  if (auto it = vectorLoaded.find(v); it != vectorLoaded.end())
    return it->second;
  if (std::string *hit = lookup(v, idx))
    return *hit;
  std::string expr;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    expr = bind(v, "dlc::load(" + ctx.operandPtr[arg.getArgNumber()] + ", " +
                       idx + ")");
  } else {
    Operation *op = v.getDefiningOp();
    if (dependsOnAnchor.contains(v))
      return fail(op, "its result is needed at an element its anchor does "
                      "not compute there (an index map other than reshape or "
                      "transpose after a contraction or reduction)");
    FailureOr<std::string> e = atOp(op, idx);
    if (failed(e))
      return failure();
    expr = *e;
  }
  remember(v, idx, expr);
  return expr;
}

/// A view (reshape, flatten, broadcast, transpose, slice, concat) or a
/// constant only changes the index; anything else is elementwise.
FailureOr<std::string> KernelEmitter::atOp(Operation *op,
                                           const std::string &idx) {
  if (auto c = dyn_cast<ConstantOp>(op))
    return constant(c, idx);
  if (isa<ReshapeOp, FlattenOp>(op))
    return at(op->getOperand(0), idx);
  if (isa<BroadcastOp>(op))
    return operandAt(op, 0, idx);
  if (auto t = dyn_cast<TransposeOp>(op))
    return at(t.getInput(),
              transposeIndex(idx, shapeOf(t.getInput()), t.getPerm(), false));
  if (auto s = dyn_cast<SliceOp>(op))
    return slice(s, idx);
  if (auto c = dyn_cast<ConcatOp>(op))
    return concat(c, idx);
  if (auto g = dyn_cast<GatherOp>(op))
    return gather(g, idx);
  return atElementwise(op, idx);
}

FailureOr<std::string> KernelEmitter::slice(SliceOp s, const std::string &idx) {
  Dims outShape(shapeOf(s.getResult()));
  Dims in(shapeOf(s.getInput()));
  size_t rank = in.size();
  auto [start, step] =
      sliceWindow(in, s.getStarts(), s.getAxes(), s.getSteps());
  Dims inStrides = stridesOf(in);
  std::string expr;
  for (size_t d = 0; d < rank; ++d) {
    std::string term = outShape[d] == 1 ? "0" : coord(idx, outShape, d);
    if (step[d] != 1)
      term = "(" + term + " * " + std::to_string(step[d]) + ")";
    if (start[d] != 0)
      term = "(" + term + " + " + std::to_string(start[d]) + ")";
    if (term == "0")
      continue;
    if (inStrides[d] != 1)
      term += " * " + std::to_string(inStrides[d]);
    expr += (expr.empty() ? "" : " + ") + term;
  }
  return at(s.getInput(), indexVar(expr.empty() ? "0" : expr));
}

/// Output element idx = (b * n + j) * inner + c reads the index at j, then
/// input row k of the gathered dim: a negative index counts from the end,
/// one still out of range is clamped (dlc.gather's contract; no error path
/// in a kernel).
FailureOr<std::string> KernelEmitter::gather(GatherOp g,
                                             const std::string &idx) {
  Dims in(shapeOf(g.getInput()));
  size_t axis = g.getAxis();
  int64_t dim = in[axis], n = product(shapeOf(g.getIndices())), outer = 1,
          inner = 1;
  for (size_t d = 0; d < in.size(); ++d)
    if (d != axis)
      (d < axis ? outer : inner) *= in[d];
  auto s = [](int64_t v) { return std::to_string(v); };
  std::string i = "(" + idx + ")";
  std::string j = n == 1 ? "0"
                  : inner == 1 && outer == 1
                      ? idx
                      : indexVar(i + " / " + s(inner) + " % " + s(n));
  FailureOr<std::string> raw = at(g.getIndices(), j);
  if (failed(raw))
    return failure();
  std::string k = fresh("row");
  line("idx_t " + k + " = static_cast<idx_t>(" + *raw + ");");
  line(k + " = " + k + " < 0 ? " + k + " + " + s(dim) + " : " + k + ";");
  line(k + " = " + k + " < 0 ? 0 : " + k + " > " + s(dim - 1) + " ? " +
       s(dim - 1) + " : " + k + ";");
  std::string row = outer == 1 ? k
                               : "(" + i + " / " + s(n * inner) + " * " +
                                     s(dim) + " + " + k + ")";
  std::string expr = inner == 1 ? row
                                : row + " * " + s(inner) + " + " + i + " % " +
                                      s(inner);
  return at(g.getInput(), indexVar(expr));
}

FailureOr<std::string> KernelEmitter::constant(ConstantOp op,
                                               const std::string &idx) {
  auto attr = dyn_cast<DenseElementsAttr>(op.getValue());
  if (!attr)
    return fail(op, "only dense constants are supported");
  Type et = attr.getElementType();
  bool isDouble = et.isF64();
  auto literal = [&](int64_t i) -> std::string {
    if (isa<FloatType>(et))
      return floatLiteral(attr.getValues<APFloat>()[i].convertToDouble(),
                          isDouble);
    APInt v = attr.getValues<APInt>()[i];
    if (et.isInteger(1))
      return v.isZero() ? "false" : "true";
    return std::to_string(v.getSExtValue()) + (et.isInteger(64) ? "LL" : "");
  };
  if (attr.isSplat())
    return literal(0);
  // A table next to the kernel.
  std::string name =
      "k_" + fusion.getName().str() + "_const" + std::to_string(constCounter++);
  decls << "__device__ const " << typeNames(et).compute << " " << name
        << "[] = {";
  for (int64_t i = 0; i < attr.getNumElements(); ++i)
    decls << (i ? ", " : "") << literal(i);
  decls << "};\n";
  return bind(op.getResult(), name + "[" + idx + "]");
}

FailureOr<std::string> KernelEmitter::concat(ConcatOp op,
                                             const std::string &idx) {
  Dims outShape(shapeOf(op.getResult()));
  int64_t axis = op.getAxis();
  if (axis < 0)
    axis += outShape.size();
  std::string c = indexVar(coord(idx, outShape, axis));
  std::string var = fresh("v");
  comment(op);
  line(Twine(computeType(op.getResult())) + " " + var + ";");
  int64_t begin = 0;
  int64_t inner = product(ArrayRef<int64_t>(outShape).drop_front(axis + 1));
  for (auto [i, in] : llvm::enumerate(op.getInputs())) {
    int64_t size = shapeOf(in)[axis];
    bool last = i + 1 == op.getInputs().size();
    if (i == 0)
      open("if (" + c + " < " + std::to_string(begin + size) + ")");
    else if (!last)
      open("else if (" + c + " < " + std::to_string(begin + size) + ")");
    else
      open("else");
    // Element idx is element idx - begin*inner*(outer index) ... computed
    // from coordinates: outer * size * inner + (c - begin) * inner + rest.
    std::string outer =
        axis == 0
            ? "0"
            : "(" + idx + " / " + std::to_string(outShape[axis] * inner) + ")";
    std::string rest =
        inner == 1 ? "0" : "(" + idx + " % " + std::to_string(inner) + ")";
    std::string e = indexVar(outer + " * " + std::to_string(size * inner) +
                             " + (" + c + " - " + std::to_string(begin) +
                             ") * " + std::to_string(inner) + " + " + rest);
    FailureOr<std::string> x = at(in, e);
    if (failed(x))
      return failure();
    line(var + " = " + *x + ";");
    close();
    begin += size;
  }
  return var;
}

FailureOr<llvm::DenseMap<Value, std::string>>
KernelEmitter::forward(Value anchor, const std::string &idx, Operation *stop) {
  llvm::DenseMap<Value, std::string> known;
  known[anchor] = idx;
  Block &body = fusion.getBodyBlock();
  Operation *start = anchor.getDefiningOp();
  for (Operation &op :
       llvm::make_range(std::next(start->getIterator()), body.end())) {
    if (&op == stop || isa<YieldOp>(op))
      break;
    Value known0;
    for (Value in : op.getOperands())
      if (known.count(in)) {
        known0 = in;
        break;
      }
    if (!known0)
      continue;
    Value result = op.getResult(0);
    const std::string &in = known[known0];
    if (isa<ReshapeOp, FlattenOp, TransposeOp>(op))
      comment(&op);
    if (isa<ReshapeOp, FlattenOp>(op)) {
      known[result] = in;
      remember(result, in, *lookup(known0, in));
      continue;
    }
    if (auto t = dyn_cast<TransposeOp>(op)) {
      std::string outIdx =
          transposeIndex(in, shapeOf(known0), t.getPerm(), true);
      known[result] = outIdx;
      remember(result, outIdx, *lookup(known0, in));
      continue;
    }
    OpClass cls = classifyOp(&op);
    if (cls != OpClass::Elementwise || isa<SliceOp, ConcatOp, GatherOp>(op) ||
        shapeOf(result) != shapeOf(known0))
      return fail(&op, "it changes the shape of a contraction or reduction "
                       "result in an epilogue");
    dependsOnAnchor.erase(result);
    FailureOr<std::string> v = at(result, in);
    dependsOnAnchor.insert(result);
    if (failed(v))
      return failure();
    known[result] = in;
  }
  return known;
}

LogicalResult
KernelEmitter::storeYields(const llvm::DenseMap<Value, std::string> &known) {
  auto yield = cast<YieldOp>(fusion.getBodyBlock().getTerminator());
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    auto it = known.find(v);
    if (it == known.end())
      continue;
    for (const std::string &ptr : ctx.resultPtrs[i])
      line("dlc::store(" + ptr + ", " + it->second + ", " +
           *lookup(v, it->second) + ");");
  }
  return success();
}

LogicalResult KernelEmitter::forwardAndStore(Value v, const std::string &idx) {
  auto known = forward(v, idx);
  if (failed(known) || failed(storeYields(*known)))
    return failure();
  return success();
}

LogicalResult KernelEmitter::scan(KernelInfo &info, Operation *&anchor,
                                  Operation *&pool) {
  FusionAnchors found = findAnchors(fusion);
  anchor = found.anchor;
  pool = found.pool;
  for (Operation &op : fusion.getBodyBlock().without_terminator()) {
    if (classifyOp(&op) == OpClass::Other && !isOptimizerUpdate(&op))
      return fail(&op, "not a dlc compute op");
    std::string node = nodeName(op.getLoc());
    if (!node.empty() && !isa<ConstantOp>(op) &&
        llvm::find(info.nodes, node) == info.nodes.end())
      info.nodes.push_back(node);
    for (Value r : op.getResults())
      for (Type t : {r.getType()}) {
        Type et = cast<RankedTensorType>(t).getElementType();
        usesF16 |= et.isF16();
        usesBf16 |= et.isBF16();
      }
  }
  for (Value a : fusion.getBodyBlock().getArguments()) {
    Type et = elementType(a);
    usesF16 |= et.isF16();
    usesBf16 |= et.isBF16();
  }
  return success();
}

LogicalResult KernelEmitter::emit(KernelInfo &info) {
  Operation *anchor = nullptr, *pool = nullptr;
  if (failed(scan(info, anchor, pool)))
    return failure();
  // Backward ops and optimizer updates have one kernel each, whatever the
  // strategy (--dlc-tile names them direct_pool and multi_tensor).
  if (findAttentionOp(fusion)) // codegen/Attention.cpp
    return emitAttentionKernel(fusion, ctx.operandPtr, ctx.resultPtrs,
                               bodyStream, indent);
  if (findBackwardOp(fusion)) // codegen/BackwardKernels.cpp
    return emitBackwardKernel(fusion, ctx.operandPtr, ctx.resultPtrs,
                              bodyStream, indent);
  if (isMultiTensorFusion(fusion)) // codegen/MultiTensorKernels.cpp
    return emitMultiTensorKernel(
        fusion, {sched.block[0], sched.vectorWidth, sched.chunk, sched.grid[0]},
        ctx.operandPtr, ctx.resultPtrs, bodyStream, indent);
  // Everything computed from the anchor (or a contraction's pool).
  if (Operation *root = anchor ? anchor : pool) {
    SmallVector<Value> work{root->getResult(0)};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      if (!dependsOnAnchor.insert(v).second)
        continue;
      for (Operation *user : v.getUsers())
        if (!isa<YieldOp>(user))
          work.push_back(user->getResult(0));
    }
  }
  bool contraction = anchor && classifyOp(anchor) == OpClass::Contraction;
  switch (sched.strategy) {
  case Strategy::TiledGemm:
    if (contraction && !pool) {
      LogicalResult r = emitTiledGemm(anchor);
      info.sharedBytes = dynamicSharedBytes;
      return r;
    }
    break;
  case Strategy::RowReduce:
    if (anchor && !contraction)
      return emitRowReduce(anchor);
    break;
  case Strategy::DirectPool:
    if (pool && (!anchor || contraction))
      return emitPool(pool, anchor);
    break;
  case Strategy::Pointwise:
    if (!anchor && !pool)
      return emitPointwise();
    break;
  case Strategy::MultiTensor:
  case Strategy::FlashAttention:
    break; // optimizer updates and attention only, above
  }
  return emitForOps(anchor, pool);
}

/// A schedule that does not fit the fusion's ops (a default schedule names
/// a lone pool pointwise; a hand-written one may name anything): the kernel
/// the ops call for, one thread per output element for a contraction.
LogicalResult KernelEmitter::emitForOps(Operation *anchor, Operation *pool) {
  if (anchor && classifyOp(anchor) == OpClass::Contraction) {
    if (pool)
      return emitPool(pool, anchor);
    return emitDirectContraction(anchor);
  }
  if (anchor)
    return emitRowReduce(anchor);
  if (pool)
    return emitPool(pool, nullptr);
  dependsOnAnchor.clear();
  return emitPointwise();
}
