//===- FuseAttention.cpp - --dlc-fuse-attention ----------------------------===//
//
// Recognizes scaled dot-product attention as the JSON and ONNX importers
// write it and replaces it with one dlc.attention:
//
//   s = matmul(q', kT')             q' = q or mul(q, c), kT' likewise
//   s = mul(s, c) | div(s, c)       (any number, c a scalar constant)
//   s = add(s, mask)                optional; a constant causal mask
//                                   (0 on and below the diagonal, -inf or
//                                   <= -1e9 above) becomes `causal`; other
//                                   constant masks are not rewritten
//   s = where(cond, s, fill)        optional; a constant lower-triangular
//   (or where(cond, fill, s))       cond (strictly upper-triangular in the
//                                   second form, PyTorch's masked_fill)
//                                   with fill -inf or <= -1e9 becomes
//                                   `causal`, any other cond (fill -inf)
//                                   the mask where(cond, 0, -inf) (or
//                                   where(cond, -inf, 0))
//   p = softmax(s, axis = -1)
//   o = matmul(p, v)
//
// on [B, H, T, D] (rank 4) or [N, T, D] (rank 3, as [N, 1, T, D]) operands
// with equal batch dims. Every intermediate must have one user: a pattern
// whose scores or probabilities are read elsewhere is left alone (they would
// be computed anyway). The key operand is kT's transpose; when kT is itself a
// transpose the two permutations are composed.
//
//===----------------------------------------------------------------------===//
#include "ir/DlcOps.h"
#include "ir/ShapeUtils.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <limits>
#include <optional>

namespace mlir::dlc {
#define GEN_PASS_DEF_DLCFUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// The value of a constant whose every element is the same float.
std::optional<double> splatValue(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  if (!c)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  if (!dense || !dense.isSplat() || !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  return dense.getSplatValue<APFloat>().convertToDouble();
}

bool oneUser(Value v) { return v.hasOneUse(); }

/// A fill at or below this drops a key as -inf does when every row keeps
/// one key (causal): exp(fill - max) is 0 in f32 and f64 alike, for any
/// score above -1e9 + 745 (JSON cannot spell -inf; -1e9 is the idiom).
constexpr double kMaskedFill = -1e9;

/// Folds a multiplication or division of `v` by a scalar constant into
/// `scale`; returns the other operand, or null when `v` is neither.
Value peelScale(Value v, double &scale) {
  Operation *op = v.getDefiningOp();
  if (!op || !isa<MulOp, DivOp>(op))
    return {};
  Value x = op->getOperand(0), c = op->getOperand(1);
  std::optional<double> k = splatValue(c);
  if (!k && isa<MulOp>(op)) {
    std::swap(x, c);
    k = splatValue(c);
  }
  if (!k || x.getType() != v.getType())
    return {};
  scale *= isa<MulOp>(op) ? *k : 1.0 / *k;
  return x;
}

/// Whether constant `v` ([.., Tq, Tk], leading dims 1) keeps exactly the
/// keys on and below the diagonal: an additive mask (0 there, -inf or
/// <= -1e9 above), a bool that is true there, or with `drops` a bool that
/// is true above it.
bool isCausalConstant(Value v, bool additive, bool drops = false) {
  auto c = v.getDefiningOp<ConstantOp>();
  auto dense = c ? dyn_cast<DenseElementsAttr>(c.getValue()) : nullptr;
  auto shape = dense ? dense.getType().getShape() : ArrayRef<int64_t>();
  if (!dense || shape.size() < 2 ||
      product(shape.drop_back(2)) != 1)
    return false;
  int64_t tq = shape[shape.size() - 2], tk = shape.back();
  int64_t n = 0;
  if (additive) {
    if (!isa<FloatType>(dense.getElementType()))
      return false;
    for (APFloat x : dense.getValues<APFloat>()) {
      int64_t i = n / tk, j = n % tk;
      ++n;
      bool keep = j <= i;
      if (keep ? !x.isZero() : !(x.convertToDouble() <= kMaskedFill))
        return false;
    }
  } else {
    if (!dense.getElementType().isInteger(1))
      return false;
    for (bool x : dense.getValues<bool>()) {
      int64_t i = n / tk, j = n % tk;
      ++n;
      if (x != (drops ? j > i : j <= i))
        return false;
    }
  }
  return n == tq * tk;
}

struct Match {
  Value q, kT, v, mask, whereCond;
  bool whereDrops = false; // whereCond is true where keys are dropped
  double scale = 1.0;
  bool causal = false;
  Operation *root; // the second matmul
};

/// Matches the chain ending at `pv`, the probabilities-times-values matmul.
std::optional<Match> matchAttention(MatmulOp pv) {
  Match m;
  m.root = pv;
  auto softmax = pv.getLhs().getDefiningOp<SoftmaxOp>();
  m.v = pv.getRhs();
  int64_t rank = shapeOf(m.v).size();
  if (!softmax || !oneUser(softmax.getResult()) || (rank != 3 && rank != 4))
    return std::nullopt;
  int64_t axis = softmax.getAxis();
  if (normalizeAxis(axis, rank) != rank - 1)
    return std::nullopt;
  Value s = softmax.getInput();
  // where(cond, s, -inf): a causal or boolean mask.
  // where(keep, s, fill), or where(drop, fill, s) as PyTorch's masked_fill
  // exports.
  if (auto where = s.getDefiningOp<WhereOp>()) {
    bool dropForm = !splatValue(where.getRhs());
    Value scores = dropForm ? where.getRhs() : where.getLhs();
    std::optional<double> fill =
        splatValue(dropForm ? where.getLhs() : where.getRhs());
    if (!oneUser(s) || !fill || *fill > kMaskedFill ||
        scores.getType() != s.getType())
      return std::nullopt;
    if (isCausalConstant(where.getCond(), /*additive=*/false, dropForm))
      m.causal = true;
    else if (std::isinf(*fill)) { // s + (-inf) is -inf; s + -1e9 is not
      m.whereCond = where.getCond();
      m.whereDrops = dropForm;
    } else
      return std::nullopt;
    s = scores;
  }
  // Scale factors and one additive mask, in either order.
  bool sawMask = false;
  while (true) {
    if (!oneUser(s))
      return std::nullopt;
    if (Value x = peelScale(s, m.scale)) {
      s = x;
      continue;
    }
    auto add = s.getDefiningOp<AddOp>();
    if (!add || sawMask || m.scale != 1.0)
      break; // the mask is added after scaling, so only before the muls
    sawMask = true;
    Value a = add.getLhs(), b = add.getRhs();
    if (a.getType() != s.getType())
      std::swap(a, b);
    if (a.getType() != s.getType())
      return std::nullopt;
    if (isCausalConstant(b, /*additive=*/true))
      m.causal = true;
    else if (b.getDefiningOp<ConstantOp>())
      return std::nullopt; // the kernel reads a mask from memory only
    else
      m.mask = b;
    s = a;
  }
  auto qk = s.getDefiningOp<MatmulOp>();
  if (!qk)
    return std::nullopt;
  // The scale may also sit on q and k (PyTorch's export scales each by
  // sqrt(scale)).
  m.q = qk.getLhs();
  m.kT = qk.getRhs();
  for (Value *operand : {&m.q, &m.kT})
    if (oneUser(*operand))
      if (Value x = peelScale(*operand, m.scale))
        *operand = x;
  auto qs = shapeOf(m.q), ks = shapeOf(m.kT), vs = shapeOf(m.v);
  if (qs.size() != size_t(rank) || ks.size() != size_t(rank) ||
      qs.drop_back(2) != ks.drop_back(2) || qs.drop_back(2) != vs.drop_back(2))
    return std::nullopt;
  if (!(m.scale > 0) || !std::isfinite(m.scale))
    return std::nullopt;
  return m;
}

/// The permutation that transposes the last two dims of a rank-`r` tensor.
SmallVector<int64_t> swapLast(int64_t r) {
  SmallVector<int64_t> p = llvm::to_vector(llvm::seq<int64_t>(0, r));
  std::swap(p[r - 2], p[r - 1]);
  return p;
}

/// key = kT with its last two dims swapped, folding a transpose feeding it.
Value keyOf(OpBuilder &b, Location loc, Value kT) {
  int64_t r = shapeOf(kT).size();
  SmallVector<int64_t> perm = swapLast(r);
  Value src = kT;
  if (auto t = kT.getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> inner = t.getPerm();
    for (int64_t &p : perm)
      p = inner[p];
    src = t.getInput();
  }
  if (llvm::equal(perm, llvm::seq<int64_t>(0, r)))
    return src;
  return TransposeOp::create(b, loc, src, perm);
}

/// `v` as rank 4: [N, T, D] -> [N, 1, T, D]; a mask of rank < 4 is first
/// padded to the scores' rank, then given the head dim.
Value toRank4(OpBuilder &b, Location loc, Value v, int64_t scoresRank) {
  SmallVector<int64_t> shape(shapeOf(v));
  if (shape.size() == 4 && scoresRank == 4)
    return v;
  while (int64_t(shape.size()) < scoresRank)
    shape.insert(shape.begin(), 1);
  if (scoresRank == 3)
    shape.insert(shape.begin() + 1, 1);
  return ReshapeOp::create(b, loc, v, shape);
}

void rewrite(Match &m) {
  OpBuilder b(m.root);
  Location loc = m.root->getLoc();
  int64_t rank = shapeOf(m.v).size();
  Value key = keyOf(b, m.kT.getLoc(), m.kT);
  Value mask = m.mask;
  if (m.whereCond) {
    // where(keep, s, -inf) == s + where(keep, 0, -inf), and
    // where(drop, -inf, s) == s + where(drop, -inf, 0).
    Type elem = elementTypeOf(m.v);
    auto scalar = [&](double x) {
      auto t = RankedTensorType::get({}, elem);
      return ConstantOp::create(
          b, loc, DenseElementsAttr::get(t, ArrayRef<Attribute>{
                                                FloatAttr::get(elem, x)}));
    };
    Value cond = m.whereCond;
    Value zero = scalar(0.0),
          ninf = scalar(-std::numeric_limits<double>::infinity());
    mask = m.whereDrops ? WhereOp::create(b, loc, cond, ninf, zero)
                        : WhereOp::create(b, loc, cond, zero, ninf);
    if (m.mask)
      mask = AddOp::create(b, loc, m.mask, mask);
  }
  Value q4 = toRank4(b, loc, m.q, rank), k4 = toRank4(b, loc, key, rank),
        v4 = toRank4(b, loc, m.v, rank);
  Value mask4 = mask ? toRank4(b, loc, mask, rank) : Value();
  auto attn = AttentionOp::create(b, loc, q4, k4, v4, mask4,
                                  b.getF64FloatAttr(m.scale),
                                  b.getBoolAttr(m.causal));
  Value out = attn.getResult();
  if (rank == 3)
    out = ReshapeOp::create(b, loc, out, shapeOf(m.root->getResult(0)));
  m.root->getResult(0).replaceAllUsesWith(out);
}

/// Erases `op` when nothing reads it, then the producers that leaves unread
/// (the replaced chain: each of its ops had one user).
void eraseDead(Operation *op) {
  if (!op->use_empty())
    return;
  SmallVector<Operation *> defs;
  for (Value operand : op->getOperands())
    if (Operation *def = operand.getDefiningOp())
      defs.push_back(def);
  op->erase();
  for (Operation *def : defs)
    if (isa_and_nonnull<DlcDialect>(def->getDialect()))
      eraseDead(def);
}

struct DlcFuseAttentionPass
    : mlir::dlc::impl::DlcFuseAttentionBase<DlcFuseAttentionPass> {
  void runOnOperation() override {
    SmallVector<Match> matches;
    getOperation().walk([&](MatmulOp pv) {
      if (auto m = matchAttention(pv))
        matches.push_back(*m);
    });
    for (Match &m : matches)
      rewrite(m);
    for (Match &m : matches)
      eraseDead(m.root);
  }
};

} // namespace
