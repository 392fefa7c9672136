//===- Fuse.cpp - --dlc-fuse: group dlc ops into dlc.fusion regions -------===//
//
// Partitions the top-level dlc ops of a function into groups (rules in
// Passes.td and docs/fusion.md), decides recompute vs materialize for values
// read by several groups, then outlines each group into a dlc.fusion and
// restores a topological order.
//
// The groups form a DAG that every merge must keep acyclic. A topological
// order of it is kept up to date (Pearce and Kelly's dynamic topological
// sort, applied to contracting two nodes), so that the cycle check searches
// only the groups ordered between the two being merged: near-linear on long
// chains instead of a search to the end of the graph per merge.
//
//===----------------------------------------------------------------------===//
#include "ir/FusionOps.h"
#include "ir/ShapeUtils.h"
#include "passes/Passes.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_DLCFUSE
#include "passes/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// Every fusible dlc op has one result.
int64_t resultSize(Operation *op) { return numElements(op->getResult(0)); }

bool isBefore(Operation *a, Operation *b) { return a->isBeforeInBlock(b); }

struct Group {
  SmallVector<Operation *> ops;
  /// The contraction, reduction or pool the group is built around.
  Operation *anchor = nullptr;
  /// A pool that a contraction group took.
  Operation *pool = nullptr;
  /// Not a dlc compute op (another dialect, an existing fusion): a node of
  /// the dependence graph that is never merged or outlined.
  bool opaque = false;
  /// A backward op with a direct kernel of its own (isDirectBackwardOp:
  /// codegen/BackwardKernels.cpp) or attention (codegen/Attention.cpp reads
  /// its operands as plain [B, H, T, D] arrays): never merged.
  bool sealed = false;
  bool alive = true;
};

class Partition {
public:
  Partition(Block &block, unsigned maxOps, unsigned maxRecomputeOps)
      : block(block), maxOps(maxOps), maxRecomputeOps(maxRecomputeOps) {}

  void run();
  /// Outlines the groups; returns the new fusions.
  SmallVector<FusionOp> outline();

private:
  // Queries.
  Group *groupOf(Operation *op) {
    auto it = groupIndex.find(op);
    return it == groupIndex.end() ? nullptr : &groups[it->second];
  }
  unsigned indexOf(Group &g) { return &g - groups.data(); }
  bool contains(Group &g, Operation *op) { return groupOf(op) == &g; }
  OpClass anchorClass(Group &g) {
    return g.anchor ? classifyOp(g.anchor) : OpClass::Elementwise;
  }
  SmallVector<unsigned> successors(unsigned g);
  SmallVector<unsigned> predecessors(unsigned g);
  bool reachesIndirectly(unsigned from, unsigned to);
  unsigned reorderForMerge(unsigned a, unsigned b);
  bool canMerge(Group &a, Group &b);
  bool fitsEpilogue(Group &g, Operation *op);
  bool readsAnchor(Group &g, Operation *op);
  bool fitsPrologue(Group &g, Operation *op);
  bool isSideInput(Operation *op);
  bool allUsersIn(Operation *op, Group &g, Group &h);
  SmallVector<Value> externalValues(Group &g);

  // Steps.
  void merge(Group &into, Group &from);
  bool absorbEpilogue(Group &g);
  bool absorbPrologue(Group &g);
  bool absorbPool(Group &g);
  void mergeElementwise();
  void recompute();
  bool tryRecompute(Group &g, Operation *op);
  FusionOp outlineGroup(Group &g);

  Block &block;
  unsigned maxOps, maxRecomputeOps;
  std::vector<Group> groups;
  DenseMap<Operation *, unsigned> groupIndex;
  /// A topological order of the groups: an edge g -> h has order[g] <
  /// order[h]. Positions may have gaps (merged-away groups).
  std::vector<unsigned> order;
};

//===----------------------------------------------------------------------===//
// The dependence graph between groups
//===----------------------------------------------------------------------===//

SmallVector<unsigned> Partition::successors(unsigned g) {
  llvm::SetVector<unsigned> out;
  for (Operation *op : groups[g].ops)
    for (Operation *user : op->getUsers()) {
      // A user nested in an opaque op's region counts as that op.
      Operation *top = block.findAncestorOpInBlock(*user);
      if (!top)
        continue;
      auto it = groupIndex.find(top);
      if (it != groupIndex.end() && it->second != g)
        out.insert(it->second);
    }
  return out.takeVector();
}

SmallVector<unsigned> Partition::predecessors(unsigned g) {
  llvm::SetVector<unsigned> out;
  for (Operation *op : groups[g].ops)
    // Operands of ops nested in an opaque op's region count as its own.
    op->walk([&](Operation *inner) {
      for (Value operand : inner->getOperands()) {
        Operation *def = operand.getDefiningOp();
        if (!def)
          continue;
        auto it = groupIndex.find(def);
        if (it != groupIndex.end() && it->second != g)
          out.insert(it->second);
      }
    });
  return out.takeVector();
}

/// Whether `to` depends on `from` through at least one other group: merging
/// the two would then make a cycle. Only groups ordered before `to` can be
/// on such a path.
bool Partition::reachesIndirectly(unsigned from, unsigned to) {
  if (order[from] > order[to])
    return false;
  SmallVector<unsigned> stack;
  llvm::SmallDenseSet<unsigned> seen;
  for (unsigned s : successors(from))
    if (s != to && order[s] < order[to] && seen.insert(s).second)
      stack.push_back(s);
  while (!stack.empty()) {
    unsigned g = stack.pop_back_val();
    for (unsigned s : successors(g)) {
      if (s == to)
        return true;
      if (order[s] < order[to] && seen.insert(s).second)
        stack.push_back(s);
    }
  }
  return false;
}

/// Before groups `a` and `b` (no path between them but a direct edge)
/// become one: reorders the groups between them so that one position is
/// after everything the merged group depends on and before everything that
/// depends on it, and returns that position. With order[a] < order[b]: the
/// ancestors of `b` ordered after `a`, then that position, then the
/// descendants of `a` ordered before `b` (disjoint sets, as there is no
/// indirect path), each set in its old relative order, take the positions
/// these groups and `a` held. Other groups keep theirs.
unsigned Partition::reorderForMerge(unsigned a, unsigned b) {
  if (order[a] > order[b])
    std::swap(a, b);
  unsigned lo = order[a], hi = order[b];
  auto collect = [&](unsigned start, bool forward) {
    SmallVector<unsigned> found;
    llvm::SmallDenseSet<unsigned> seen;
    SmallVector<unsigned> stack{start};
    while (!stack.empty()) {
      unsigned g = stack.pop_back_val();
      for (unsigned n : forward ? successors(g) : predecessors(g))
        if (order[n] > lo && order[n] < hi && seen.insert(n).second) {
          found.push_back(n);
          stack.push_back(n);
        }
    }
    auto byOrder = [&](unsigned x, unsigned y) { return order[x] < order[y]; };
    llvm::sort(found, byOrder);
    return found;
  };
  SmallVector<unsigned> before = collect(b, /*forward=*/false);
  if (before.empty())
    return lo; // b's ancestors all precede a
  SmallVector<unsigned> after = collect(a, /*forward=*/true);
  SmallVector<unsigned> slots;
  for (unsigned g : before)
    slots.push_back(order[g]);
  slots.push_back(order[a]);
  for (unsigned g : after)
    slots.push_back(order[g]);
  llvm::sort(slots);
  unsigned next = 0;
  for (unsigned g : before)
    order[g] = slots[next++];
  unsigned merged = slots[next++];
  for (unsigned g : after)
    order[g] = slots[next++];
  return merged;
}

bool Partition::canMerge(Group &a, Group &b) {
  if (&a == &b || !a.alive || !b.alive || a.opaque || b.opaque || a.sealed ||
      b.sealed)
    return false;
  if (a.anchor && b.anchor)
    return false;
  if (a.ops.size() + b.ops.size() > maxOps)
    return false;
  unsigned ia = indexOf(a), ib = indexOf(b);
  return !reachesIndirectly(ia, ib) && !reachesIndirectly(ib, ia);
}

/// Whether `op` (elementwise or view) may join `g` as a consumer of it. The
/// iteration space of the group must stay what its anchor defines.
bool Partition::fitsEpilogue(Group &g, Operation *op) {
  if (!isElementwiseLike(classifyOp(op)))
    return false;
  int64_t size = resultSize(op);
  switch (anchorClass(g)) {
  case OpClass::Contraction:
    return size == resultSize(g.pool ? g.pool : g.anchor);
  case OpClass::Reduction:
  case OpClass::Pool:
    // An op of the anchor's input size computed from the anchor's result
    // (x - broadcast(mean)) would need the result at another element than
    // the one the anchor computes there: the group ends before it.
    return size == resultSize(g.anchor) ||
           (size == numElements(g.anchor->getOperand(0)) &&
            !readsAnchor(g, op));
  default:
    return size == resultSize(g.ops.front());
  }
}

/// Whether `op` reads g's anchor result, directly or through ops of g or of
/// the group of `op`.
bool Partition::readsAnchor(Group &g, Operation *op) {
  Group *h = groupOf(op);
  SmallVector<Operation *> work{op};
  llvm::SmallPtrSet<Operation *, 8> seen;
  while (!work.empty()) {
    Operation *cur = work.pop_back_val();
    if (!seen.insert(cur).second)
      continue;
    for (Value operand : cur->getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (!def)
        continue;
      if (def == g.anchor)
        return true;
      Group *d = groupOf(def);
      if (d == &g || (h && d == h))
        work.push_back(def);
    }
  }
  return false;
}

/// Whether `op` (elementwise or view) may join `g` as a producer of it.
bool Partition::fitsPrologue(Group &g, Operation *op) {
  OpClass cls = classifyOp(op);
  if (!isElementwiseLike(cls))
    return false;
  switch (anchorClass(g)) {
  case OpClass::Contraction:
    // A contraction reads each input many times: only index maps are free,
    // and casts (a conversion in the GEMM's loader, as --dlc-mixed-precision
    // puts on weights and activations: no cast kernel, no low-precision copy).
    return cls == OpClass::View || isa<CastOp>(op);
  case OpClass::Reduction:
  case OpClass::Pool:
    return resultSize(op) == numElements(g.anchor->getOperand(0));
  default:
    return resultSize(op) == resultSize(g.ops.front());
  }
}

/// Whether `op` may join `g` as a side input of its epilogue: every user is
/// an elementwise/view op of the same size, so it is computed once per
/// element the epilogue computes (a residual or a gate), never per element
/// of a contraction's or reduction's input.
bool Partition::isSideInput(Operation *op) {
  return isElementwiseLike(classifyOp(op)) &&
         llvm::all_of(op->getUsers(), [&](Operation *user) {
           return isElementwiseLike(classifyOp(user)) &&
                  resultSize(user) == resultSize(op);
         });
}

bool Partition::allUsersIn(Operation *op, Group &g, Group &h) {
  return llvm::all_of(op->getUsers(), [&](Operation *user) {
    Group *u = groupOf(user);
    return u == &g || u == &h;
  });
}

/// The values of `g` read outside it, in program order.
SmallVector<Value> Partition::externalValues(Group &g) {
  SmallVector<Value> out;
  for (Operation *op : g.ops)
    for (Value v : op->getResults())
      if (llvm::any_of(v.getUsers(),
                       [&](Operation *user) { return !contains(g, user); }))
        out.push_back(v);
  return out;
}

//===----------------------------------------------------------------------===//
// Grouping
//===----------------------------------------------------------------------===//

void Partition::merge(Group &into, Group &from) {
  order[indexOf(into)] = reorderForMerge(indexOf(into), indexOf(from));
  for (Operation *op : from.ops) {
    into.ops.push_back(op);
    groupIndex[op] = indexOf(into);
  }
  if (!into.anchor)
    into.anchor = from.anchor;
  from.ops.clear();
  from.alive = false;
}

/// Takes elementwise/view consumers of `g` that fit its iteration space.
bool Partition::absorbEpilogue(Group &g) {
  bool changed = false;
  for (size_t i = 0; i < g.ops.size(); ++i)
    for (Operation *user : g.ops[i]->getUsers()) {
      Group *h = groupOf(user);
      if (!h || h == &g || h->anchor ||
          !llvm::all_of(h->ops,
                        [&](Operation *op) { return fitsEpilogue(g, op); }) ||
          !canMerge(g, *h))
        continue;
      merge(g, *h);
      changed = true;
    }
  return changed;
}

/// Takes elementwise/view producers of `g` that fit (or are side inputs of
/// its epilogue) and whose every user is in `g` (so the merge adds no
/// output).
bool Partition::absorbPrologue(Group &g) {
  bool changed = false;
  for (size_t i = 0; i < g.ops.size(); ++i)
    for (Value operand : g.ops[i]->getOperands()) {
      Operation *def = operand.getDefiningOp();
      Group *h = def ? groupOf(def) : nullptr;
      if (!h || h == &g || h->anchor ||
          !llvm::all_of(h->ops,
                        [&](Operation *op) {
                          return (fitsPrologue(g, op) || isSideInput(op)) &&
                                 allUsersIn(op, g, *h);
                        }) ||
          !canMerge(g, *h))
        continue;
      merge(g, *h);
      changed = true;
    }
  return changed;
}

/// A contraction group takes a pool that is its only consumer.
bool Partition::absorbPool(Group &g) {
  if (g.pool)
    return false;
  // A pool after an f16/bf16 contraction stays a kernel of its own: the
  // contraction is then a tensor-core GEMM (the pooled form, direct_pool,
  // computes each output's dot product alone on FMA units).
  if (Type t = getElementTypeOrSelf(g.anchor->getResult(0).getType());
      (t.isF16() || t.isBF16()) && !isDepthwiseConv(g.anchor))
    return false;
  SmallVector<Value> outs = externalValues(g);
  if (outs.size() != 1)
    return false;
  Operation *pool = nullptr;
  for (Operation *user : outs.front().getUsers()) {
    if (pool && user != pool)
      return false;
    pool = user;
  }
  if (!pool || classifyOp(pool) != OpClass::Pool)
    return false;
  Group *h = groupOf(pool);
  if (!h || h->ops.size() != 1)
    return false;
  h->anchor = nullptr; // the contraction stays the anchor
  if (!canMerge(g, *h)) {
    h->anchor = pool;
    return false;
  }
  merge(g, *h);
  g.pool = pool;
  return true;
}

void Partition::mergeElementwise() {
  for (Operation &op : block) {
    Group *c = groupOf(&op);
    if (!c || c->opaque || c->anchor)
      continue;
    for (Value operand : op.getOperands()) {
      Operation *def = operand.getDefiningOp();
      Group *p = def ? groupOf(def) : nullptr;
      c = groupOf(&op); // merging may have moved op
      if (!p || p == c || p->anchor || p->opaque ||
          resultSize(p->ops.front()) != resultSize(c->ops.front()) ||
          !canMerge(*p, *c))
        continue;
      merge(*p, *c);
    }
  }
}

void Partition::run() {
  for (Operation &op : block.without_terminator()) {
    OpClass cls = classifyOp(&op);
    if (cls == OpClass::Constant)
      continue;
    Group g;
    g.ops.push_back(&op);
    g.opaque = cls == OpClass::Other;
    g.sealed = isDirectBackwardOp(&op) ||
               isa<AttentionOp, AttentionBackwardOp>(&op);
    if (cls == OpClass::Contraction || cls == OpClass::Reduction ||
        cls == OpClass::Pool)
      g.anchor = &op;
    groupIndex[&op] = groups.size();
    order.push_back(groups.size()); // block order is topological
    groups.push_back(std::move(g));
  }

  // Rule 1: contractions with their epilogue and pool.
  for (size_t i = 0; i < groups.size(); ++i) {
    Group &g = groups[i];
    if (!g.alive || !g.anchor || anchorClass(g) != OpClass::Contraction)
      continue;
    while (absorbEpilogue(g) || absorbPrologue(g) || absorbPool(g)) {
    }
  }
  // Rule 2: reductions and unclaimed pools with prologue and epilogue.
  for (size_t i = 0; i < groups.size(); ++i) {
    Group &g = groups[i];
    if (!g.alive || !g.anchor || anchorClass(g) == OpClass::Contraction)
      continue;
    while (absorbPrologue(g) || absorbEpilogue(g)) {
    }
  }
  // Rule 3: elementwise chains.
  mergeElementwise();
  // The cost rule for values read by several groups.
  recompute();
}

//===----------------------------------------------------------------------===//
// Recompute or materialize
//===----------------------------------------------------------------------===//

void Partition::recompute() {
  if (maxRecomputeOps == 0)
    return;
  for (Group &g : groups) {
    if (!g.alive || g.opaque || g.sealed)
      continue;
    SmallVector<Operation *> ops(g.ops);
    llvm::sort(ops, isBefore);
    for (Operation *op : ops)
      if (contains(g, op))
        tryRecompute(g, op);
    if (g.ops.empty())
      g.alive = false;
  }
}

bool Partition::tryRecompute(Group &g, Operation *op) {
  if (!isElementwiseLike(classifyOp(op)))
    return false;
  Value v = op->getResult(0);
  // Consumer groups, in program order of their first reader.
  llvm::MapVector<Group *, Operation *> readers;
  for (Operation *user : v.getUsers()) {
    Group *u = groupOf(user);
    if (u == &g)
      continue;
    if (!u || u->opaque || u->sealed)
      return false; // a return, an opaque op or a backward op needs v in
                    // memory anyway
    auto [it, inserted] = readers.try_emplace(u, user);
    if (!inserted && isBefore(user, it->second))
      it->second = user;
  }
  if (readers.empty())
    return false;

  // The ops of g that v is computed from.
  llvm::SetVector<Operation *> cone;
  SmallVector<Operation *> work{op};
  while (!work.empty()) {
    Operation *cur = work.pop_back_val();
    if (!cone.insert(cur))
      continue;
    if (!isElementwiseLike(classifyOp(cur)) || cone.size() > maxRecomputeOps)
      return false;
    for (Value operand : cur->getOperands())
      if (Operation *def = operand.getDefiningOp(); def && contains(g, def))
        work.push_back(def);
  }
  SmallVector<Operation *> coneOps = cone.takeVector();
  llvm::sort(coneOps, isBefore);
  for (auto &[c, first] : readers)
    if (c->ops.size() + coneOps.size() > maxOps ||
        !llvm::all_of(coneOps,
                      [&](Operation *o) { return fitsPrologue(*c, o); }))
      return false;

  for (auto &[c, first] : readers) {
    OpBuilder b(first);
    IRMapping map;
    for (Operation *o : coneOps) {
      Operation *clone = b.clone(*o, map);
      c->ops.push_back(clone);
      groupIndex[clone] = indexOf(*c);
    }
    Value copy = map.lookup(v);
    Group *cg = c;
    v.replaceUsesWithIf(
        copy, [&](OpOperand &use) { return groupOf(use.getOwner()) == cg; });
  }
  // What g no longer needs.
  for (Operation *o : llvm::reverse(coneOps))
    if (o->use_empty()) {
      llvm::erase(g.ops, o);
      groupIndex.erase(o);
      o->erase();
    }
  return true;
}

//===----------------------------------------------------------------------===//
// Outlining
//===----------------------------------------------------------------------===//

/// The model node name of `op`, or its op name without the dialect.
std::string nodeName(Operation *op) {
  if (auto name = op->getLoc()->findInstanceOf<NameLoc>())
    return sanitizeIdentifier(name.getName().getValue());
  return sanitizeIdentifier(op->getName().stripDialect());
}

FusionOp Partition::outlineGroup(Group &g) {
  llvm::sort(g.ops, isBefore);
  llvm::SmallPtrSet<Operation *, 16> inGroup(g.ops.begin(), g.ops.end());

  llvm::SetVector<Value> inputs;
  llvm::SetVector<Operation *> constants;
  for (Operation *op : g.ops)
    for (Value operand : op->getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (def && inGroup.contains(def))
        continue;
      if (def && classifyOp(def) == OpClass::Constant)
        constants.insert(def);
      else
        inputs.insert(operand);
    }
  SmallVector<Value> outputs;
  for (Operation *op : g.ops)
    for (Value v : op->getResults())
      if (llvm::any_of(v.getUsers(), [&](Operation *user) {
            return !inGroup.contains(user);
          }))
        outputs.push_back(v);

  SmallVector<Location> locs;
  SmallVector<std::string> parts;
  bool hasContraction = false, hasReductionOrPool = false;
  for (Operation *op : g.ops) {
    locs.push_back(op->getLoc());
    std::string part = nodeName(op);
    if (parts.size() < 4 && !llvm::is_contained(parts, part))
      parts.push_back(part);
    OpClass cls = classifyOp(op);
    hasContraction |= cls == OpClass::Contraction;
    hasReductionOrPool |= cls == OpClass::Reduction || cls == OpClass::Pool;
  }
  // The index is set once the fusions are in their final order.
  std::string name = llvm::join(parts, "_");

  MLIRContext *ctx = block.getParentOp()->getContext();
  OpBuilder b(ctx);
  b.setInsertionPointAfter(g.ops.back());
  auto fusion = FusionOp::create(
      b, FusedLoc::get(ctx, locs), ValueRange(outputs).getTypes(),
      inputs.getArrayRef(),
      b.getStringAttr(fusionKindFor(hasContraction, hasReductionOrPool)),
      b.getStringAttr(name));
  Block *body = b.createBlock(&fusion.getBody());
  IRMapping map;
  for (Value input : inputs)
    map.map(input, body->addArgument(input.getType(), input.getLoc()));
  b.setInsertionPointToStart(body);
  for (Operation *c : constants)
    b.clone(*c, map);
  for (Operation *op : g.ops)
    b.clone(*op, map);
  SmallVector<Value> yielded;
  for (Value v : outputs)
    yielded.push_back(map.lookup(v));
  YieldOp::create(b, fusion.getLoc(), yielded);

  for (auto [v, r] : llvm::zip(outputs, fusion.getResults()))
    v.replaceUsesWithIf(
        r, [&](OpOperand &use) { return !inGroup.contains(use.getOwner()); });
  for (Operation *op : llvm::reverse(g.ops))
    op->erase();
  g.ops.clear();
  return fusion;
}

SmallVector<FusionOp> Partition::outline() {
  SmallVector<FusionOp> fusions;
  for (Group &g : groups)
    if (g.alive && !g.opaque && !g.ops.empty())
      fusions.push_back(outlineGroup(g));
  // Constants now cloned into every reader.
  for (Operation &op : llvm::make_early_inc_range(block))
    if (classifyOp(&op) == OpClass::Constant && op.use_empty())
      op.erase();
  return fusions;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct DlcFusePass : mlir::dlc::impl::DlcFuseBase<DlcFusePass> {
  using DlcFuseBase::DlcFuseBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (maxOps == 0) {
      func.emitError() << "--dlc-fuse expects max-ops to be at least 1";
      return signalPassFailure();
    }
    Block &block = func.getBody().front();
    if (!func.getBody().hasOneBlock()) {
      func.emitError() << "--dlc-fuse expects a function with one block, got "
                       << func.getBody().getBlocks().size();
      return signalPassFailure();
    }
    // A result that no dlc op computes (a constant: the zero gradient of an
    // argument the loss does not depend on; an argument returned as is) is
    // copied by a same-shape reshape, so that a fusion writes it.
    Operation *ret = block.getTerminator();
    for (OpOperand &use : ret->getOpOperands()) {
      Value v = use.get();
      Operation *def = v.getDefiningOp();
      if (def && classifyOp(def) != OpClass::Constant)
        continue;
      auto type = dyn_cast<RankedTensorType>(v.getType());
      if (!type)
        continue;
      OpBuilder b(ret);
      use.set(ReshapeOp::create(b, def ? def->getLoc() : ret->getLoc(), type,
                                v, b.getDenseI64ArrayAttr(type.getShape())));
    }
    Partition partition(block, maxOps, maxRecomputeOps);
    partition.run();
    SmallVector<FusionOp> created = partition.outline();
    if (!sortTopologically(&block, block.without_terminator())) {
      func.emitError() << "--dlc-fuse made a cycle between fusions";
      return signalPassFailure();
    }
    // Name the new fusions after their position among all fusions.
    llvm::SmallPtrSet<Operation *, 16> isNew;
    for (FusionOp f : created)
      isNew.insert(f);
    unsigned index = 0;
    for (Operation &op : block) {
      auto fusion = dyn_cast<FusionOp>(op);
      if (!fusion)
        continue;
      if (isNew.contains(fusion))
        fusion.setName("k" + std::to_string(index) + "_" +
                       fusion.getName().str());
      ++index;
    }
  }
};

} // namespace
