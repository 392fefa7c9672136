//===- UnrollRecurrent.cpp - --dlc-unroll-recurrent -----------------------===//
//
// Lowers dlc.lstm and dlc.gru to dense, slice, reshape, concat and
// elementwise ops, one step after another (the sequence length is static).
// The layout keeps each step's gate math on [batch, H] slices of one gate
// tensor [batch, G*H], so --dlc-fuse makes it one elementwise kernel per step
// next to the step's one recurrent matmul, and --dlc-autodiff differentiates
// the result with the rules of these ops.
//
//===----------------------------------------------------------------------===//
#include "ir/DlcOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>

namespace mlir::dlc {
#define GEN_PASS_DEF_DLCUNROLLRECURRENT
#include "passes/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;
using namespace mlir::dlc;

namespace {

/// The op builders of the unrolled graph; a null Value stands for zeros.
struct Builder {
  OpBuilder &b;
  Location loc;

  Value slice(Value v, ArrayRef<int64_t> starts, ArrayRef<int64_t> ends,
              ArrayRef<int64_t> axes) {
    // A slice that keeps everything (one step of a one-step sequence) is
    // not built: fusion would see a no-op reshaping a contraction result.
    auto shape = cast<RankedTensorType>(v.getType()).getShape();
    bool whole = llvm::all_of(llvm::zip(starts, ends, axes), [&](auto e) {
      auto [from, to, axis] = e;
      return from == 0 && to == shape[axis];
    });
    if (whole)
      return v;
    return SliceOp::create(b, loc, v, starts, ends, axes, ArrayRef<int64_t>{});
  }
  Value reshape(Value v, ArrayRef<int64_t> shape) {
    if (cast<RankedTensorType>(v.getType()).getShape() == shape)
      return v;
    return ReshapeOp::create(b, loc, v, shape);
  }
  Value add(Value x, Value y) {
    if (!x || !y)
      return x ? x : y;
    return AddOp::create(b, loc, x, y);
  }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value sigmoid(Value x) { return SigmoidOp::create(b, loc, x); }
  Value tanh(Value x) { return TanhOp::create(b, loc, x); }
  /// x [..., K] times w [N, K]^T (+ bias [N]); null when x is (zeros and
  /// there is no bias), the bias alone when x is zeros.
  Value dense(Value x, Value w, Value bias) {
    if (!x)
      return bias;
    return DenseOp::create(b, loc, x, w, bias);
  }
  /// Columns [from, to) of the last dim of `v`.
  Value columns(Value v, int64_t from, int64_t to) {
    int64_t last = cast<RankedTensorType>(v.getType()).getRank() - 1;
    return slice(v, {from}, {to}, {last});
  }
  /// Row `i` of dim 0, without that dim, reshaped to `shape`.
  Value row(Value v, int64_t i, ArrayRef<int64_t> shape) {
    return reshape(slice(v, {i}, {i + 1}, {0}), shape);
  }
  /// Stacks same-shaped tensors along a new leading dim and reshapes to
  /// `shape`.
  Value stack(ArrayRef<Value> parts, ArrayRef<int64_t> shape) {
    if (parts.size() == 1)
      return reshape(parts.front(), shape);
    SmallVector<Value> rows;
    for (Value p : parts) {
      SmallVector<int64_t> s{1};
      llvm::append_range(s, cast<RankedTensorType>(p.getType()).getShape());
      rows.push_back(reshape(p, s));
    }
    Value all = ConcatOp::create(b, loc, rows, int64_t(0));
    if (cast<RankedTensorType>(all.getType()).getShape() == shape)
      return all;
    return reshape(all, shape);
  }
};

/// The sizes of a recurrent op and the order of its steps.
struct Recurrent {
  int64_t seq, batch, input, hidden, dirs, gates;
  bool reverse; // the only direction runs backwards

  bool backwardsDir(int64_t d) const { return reverse || d == 1; }
  int64_t stepTime(int64_t d, int64_t s) const {
    return backwardsDir(d) ? seq - 1 - s : s;
  }
};

Recurrent describe(Value x, StringRef direction, int64_t hidden,
                   int64_t gates) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  return {shape[0],
          shape[1],
          shape[2],
          hidden,
          direction == "bidirectional" ? 2 : 1,
          gates,
          direction == "reverse"};
}

/// A location per step ("lstm1.t3" inside the op's location), so kernels
/// and diagnostics name the model node and the step.
Location stepLoc(Location loc, int64_t t) {
  auto name = dyn_cast<NameLoc>(loc);
  if (!name)
    return loc;
  return NameLoc::get(StringAttr::get(loc.getContext(),
                                      name.getName().getValue() + ".t" +
                                          std::to_string(t)),
                      loc);
}

/// The [B, H] state of direction `d` from an optional [D, B, H] operand.
Value initialState(Builder &u, Value v, const Recurrent &r, int64_t d) {
  return v ? u.row(v, d, {r.batch, r.hidden}) : Value();
}

/// The input projection of every step and direction: x [S, B, I] times
/// weight [D, G*H, I] reshaped to [D*G*H, I], plus `bias` [D*G*H].
Value inputProjection(Builder &u, const Recurrent &r, Value x, Value weight,
                      Value bias) {
  int64_t gh = r.gates * r.hidden;
  return u.dense(x, u.reshape(weight, {r.dirs * gh, r.input}), bias);
}

/// Step `t`'s [B, G*H] slice of the projection for direction `d`.
Value stepProjection(Builder &u, const Recurrent &r, Value proj, int64_t t,
                     int64_t d) {
  int64_t gh = r.gates * r.hidden;
  return u.reshape(u.slice(proj, {t, 0, d * gh}, {t + 1, r.batch, (d + 1) * gh},
                           {0, 1, 2}),
                   {r.batch, gh});
}

/// Bias half `half` (0: input, 1: recurrence) of every direction, [D, G*H].
Value biasHalf(Builder &u, const Recurrent &r, Value bias, int64_t half) {
  int64_t gh = r.gates * r.hidden;
  return u.columns(bias, half * gh, (half + 1) * gh);
}

/// Replaces the uses of y and the final states; ys[t][d] is step t's h.
void replaceResults(Builder &u, const Recurrent &r, Operation *op,
                    ArrayRef<SmallVector<Value>> ys,
                    ArrayRef<SmallVector<Value>> finals) {
  // Steps [from, to) of y, stacked as [to - from, D, B, H].
  auto steps = [&](int64_t from, int64_t to) {
    SmallVector<Value> parts;
    for (int64_t t = from; t < to; ++t)
      llvm::append_range(parts, ys[t]);
    return u.stack(parts, {to - from, r.dirs, r.batch, r.hidden});
  };
  // A slice of y along the steps only (a classifier reading the last h)
  // stacks just those steps, so that neither the whole y nor, backward,
  // one slice of its gradient per step is built.
  Value y = op->getResult(0);
  for (Operation *user : llvm::make_early_inc_range(y.getUsers())) {
    auto slice = dyn_cast<SliceOp>(user);
    if (!slice || slice.getStarts().size() != 1 ||
        (!slice.getAxes().empty() && slice.getAxes()[0] != 0 &&
         slice.getAxes()[0] != -4) ||
        (!slice.getSteps().empty() && slice.getSteps()[0] != 1))
      continue;
    auto clamp = [&](int64_t i) {
      return std::clamp<int64_t>(i < 0 ? i + r.seq : i, 0, r.seq);
    };
    int64_t from = clamp(slice.getStarts()[0]), to = clamp(slice.getEnds()[0]);
    if (from >= to)
      continue;
    slice.getResult().replaceAllUsesWith(steps(from, to));
    slice.erase();
  }
  if (!y.use_empty())
    y.replaceAllUsesWith(steps(0, r.seq));
  for (auto [i, states] : llvm::enumerate(finals))
    if (!op->getResult(i + 1).use_empty())
      op->getResult(i + 1).replaceAllUsesWith(
          u.stack(states, {r.dirs, r.batch, r.hidden}));
}

void unrollLstm(OpBuilder &b, LstmOp op) {
  Builder u{b, op.getLoc()};
  Recurrent r = describe(op.getInput(), op.getDirection(),
                         op.getHiddenSize(), 4);
  const int64_t H = r.hidden, gh = 4 * H;
  // Both bias halves add to every step's gates: fold them into the
  // projection's bias.
  Value bias;
  if (op.getBias()) {
    Value in = biasHalf(u, r, op.getBias(), 0);
    Value rec = biasHalf(u, r, op.getBias(), 1);
    bias = u.reshape(u.add(in, rec), {r.dirs * gh});
  }
  Value proj = inputProjection(u, r, op.getInput(), op.getWeight(), bias);
  SmallVector<SmallVector<Value>> ys(r.seq, SmallVector<Value>(r.dirs));
  SmallVector<SmallVector<Value>> finals(2);
  for (int64_t d = 0; d < r.dirs; ++d) {
    Value rec = u.row(op.getRecurrence(), d, {gh, H});
    Value h = initialState(u, op.getInitialH(), r, d);
    Value c = initialState(u, op.getInitialC(), r, d);
    for (int64_t s = 0; s < r.seq; ++s) {
      int64_t t = r.stepTime(d, s);
      Builder st{b, stepLoc(op.getLoc(), t)};
      // One recurrent product for all four gates, the projection added as
      // its epilogue.
      Value rh = st.dense(h, rec, Value());
      Value g = st.add(rh, stepProjection(st, r, proj, t, d));
      auto gate = [&](int64_t k) { return st.columns(g, k * H, (k + 1) * H); };
      Value i = st.sigmoid(gate(0)), o = st.sigmoid(gate(1)),
            cc = st.tanh(gate(3));
      // With no previous c the forget gate has nothing to scale.
      Value kept = c ? st.mul(st.sigmoid(gate(2)), c) : Value();
      c = st.add(kept, st.mul(i, cc));
      h = st.mul(o, st.tanh(c));
      ys[t][d] = h;
    }
    finals[0].push_back(h);
    finals[1].push_back(c);
  }
  replaceResults(u, r, op, ys, finals);
  op.erase();
}

void unrollGru(OpBuilder &b, GruOp op) {
  Builder u{b, op.getLoc()};
  Recurrent r = describe(op.getInput(), op.getDirection(),
                         op.getHiddenSize(), 3);
  const int64_t H = r.hidden, gh = 3 * H;
  bool lbr = op.getLinearBeforeReset();
  // The input biases go with the projection; the recurrence biases stay
  // with the recurrent products (r scales the h gate's).
  Value inBias, recBias;
  if (op.getBias()) {
    inBias = u.reshape(biasHalf(u, r, op.getBias(), 0), {r.dirs * gh});
    recBias = biasHalf(u, r, op.getBias(), 1);
  }
  Value proj = inputProjection(u, r, op.getInput(), op.getWeight(), inBias);
  SmallVector<SmallVector<Value>> ys(r.seq, SmallVector<Value>(r.dirs));
  SmallVector<SmallVector<Value>> finals(1);
  for (int64_t d = 0; d < r.dirs; ++d) {
    Value rec = u.row(op.getRecurrence(), d, {gh, H});
    Value rb = recBias ? u.row(recBias, d, {gh}) : Value();
    // The default form multiplies h by r before the h gate's product, so
    // that product is a second one: split the weights once.
    Value recZr, recH, rbZr, rbH;
    if (!lbr) {
      recZr = u.slice(rec, {0}, {2 * H}, {0});
      recH = u.slice(rec, {2 * H}, {gh}, {0});
      if (rb) {
        rbZr = u.slice(rb, {0}, {2 * H}, {0});
        rbH = u.slice(rb, {2 * H}, {gh}, {0});
      }
    }
    Value h = initialState(u, op.getInitialH(), r, d);
    for (int64_t s = 0; s < r.seq; ++s) {
      int64_t t = r.stepTime(d, s);
      Builder st{b, stepLoc(op.getLoc(), t)};
      // The gate kernel reads its projection slices straight from the
      // projection (no per-step copy: the recurrent dense has no epilogue
      // to take it, as r must scale part of its result first).
      auto xGate = [&](int64_t k) {
        int64_t from = d * gh + k * H;
        return st.reshape(st.slice(proj, {t, 0, from},
                                   {t + 1, r.batch, from + H}, {0, 1, 2}),
                          {r.batch, H});
      };
      // [B, G*H] (or the bias alone, [G*H], while h is zeros).
      Value rh = st.dense(h, lbr ? rec : recZr, lbr ? rb : rbZr);
      auto rGate = [&](int64_t k) {
        return rh ? st.columns(rh, k * H, (k + 1) * H) : Value();
      };
      // Operands built one statement at a time: the IR's order must not
      // depend on the compiler's argument evaluation order.
      auto gatePre = [&](int64_t k, Value rec) {
        Value x = xGate(k);
        return st.add(x, rec);
      };
      Value z = st.sigmoid(gatePre(0, rGate(0)));
      Value rg = st.sigmoid(gatePre(1, rGate(1)));
      Value hGate;
      if (lbr)
        hGate = rh ? st.mul(rg, rGate(2)) : Value();
      else
        hGate = st.dense(h ? st.mul(rg, h) : Value(), recH, rbH);
      Value n = st.tanh(gatePre(2, hGate));
      // (1 - z) n + z h = n + z (h - n)
      h = h ? st.add(n, st.mul(z, st.sub(h, n))) : st.sub(n, st.mul(z, n));
      ys[t][d] = h;
    }
    finals[0].push_back(h);
  }
  replaceResults(u, r, op, ys, finals);
  op.erase();
}

/// Records the ops a builder creates.
struct Created : public OpBuilder::Listener {
  SmallVector<Operation *> ops;
  void notifyOperationInserted(Operation *op,
                               OpBuilder::InsertPoint) override {
    ops.push_back(op);
  }
};

struct DlcUnrollRecurrentPass
    : mlir::dlc::impl::DlcUnrollRecurrentBase<DlcUnrollRecurrentPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<LstmOp, GruOp>(op))
        ops.push_back(op);
    });
    Created created;
    for (Operation *op : ops) {
      OpBuilder b(op, &created);
      if (auto lstm = dyn_cast<LstmOp>(op))
        unrollLstm(b, lstm);
      else
        unrollGru(b, cast<GruOp>(op));
    }
    // The last step's c of an LSTM whose y_c nobody reads, and the like:
    // drop what nothing uses (every dlc op is Pure).
    for (Operation *op : llvm::reverse(created.ops))
      if (op->use_empty())
        op->erase();
  }
};

} // namespace
