//===- Tile.cpp - --dlc-tile: a GPU schedule for every dlc.fusion ---------===//
//
// For each dlc.fusion: facts about the problem (element counts, rows, the
// GEMM it is), then default choices for the target (vector width, threads per
// row, tile, warps, stages, tensor cores), then overrides from a tuning cache,
// then the derived numbers (block, grid, shared memory) and a validation.
// Rules and format: Passes.td and docs/schedule.md.
//
//===----------------------------------------------------------------------===//
#include "ir/FusionOps.h"
#include "ir/ShapeUtils.h"
#include "passes/Passes.h"
#include "passes/Schedule.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"

namespace mlir::dlc {
#define GEN_PASS_DEF_DLCTILE
#include "passes/Passes.h.inc"
} // namespace mlir::dlc

using namespace mlir;
using namespace mlir::dlc;

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }


Type elementOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}
int64_t innermost(Value v) {
  ArrayRef<int64_t> s = shapeOf(v);
  return s.empty() ? 1 : s.back();
}

int64_t elementBytes(Type t) {
  if (t.isInteger(1))
    return 1;
  return std::max<int64_t>(1, t.getIntOrFloatBitWidth() / 8);
}

/// The widest vector access for an element type: 16 bytes, at most 8
/// elements; booleans are not vectorized.
int64_t maxVectorWidth(Type t) {
  if (t.isInteger(1))
    return 1;
  return std::min<int64_t>(8, 16 / elementBytes(t));
}


//===----------------------------------------------------------------------===//
// Facts about a fusion
//===----------------------------------------------------------------------===//

/// What the schedule is computed from; none of it is a choice.
struct Problem {
  Strategy strategy = Strategy::Pointwise;
  /// pointwise: output elements; direct_pool: pooled elements.
  int64_t numel = 0;
  /// row_reduce.
  int64_t rows = 0, rowLength = 0, accBytes = 4;
  /// tiled_gemm (and direct_pool after a contraction).
  SmallVector<int64_t, 4> gemm;
  Type element;
  /// (element type, innermost dim) pairs a vector width must fit.
  SmallVector<std::pair<Type, int64_t>> vectorDims;
  /// multi_tensor: the element count of each updated param.
  SmallVector<int64_t> segments;
  /// flash_attention: the launch the op's shapes fix.
  AttentionTiles attention;
};

std::string signatureOf(FusionOp fusion) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << fusion.getKind() << "[";
  llvm::interleave(
      fusion.getBodyBlock().without_terminator(), os,
      [&](Operation &op) { os << op.getName().stripDialect(); }, ",");
  os << "](";
  llvm::interleave(fusion.getOperandTypes(), os, ",");
  os << ")->(";
  llvm::interleave(fusion.getResultTypes(), os, ",");
  os << ")";
  return out;
}

SmallVector<int64_t, 4> gemmOf(Operation *op) {
  if (auto mm = dyn_cast<MatmulOp>(op)) {
    ArrayRef<int64_t> r = shapeOf(mm.getResult());
    return {product(r.drop_back(2)), r[r.size() - 2], r.back(),
            innermost(mm.getLhs())};
  }
  if (auto bmm = dyn_cast<BatchMatmulOp>(op)) {
    ArrayRef<int64_t> r = shapeOf(bmm.getResult());
    return {r[0], r[1], r[2], shapeOf(bmm.getLhs())[2]};
  }
  if (auto dense = dyn_cast<DenseOp>(op)) {
    int64_t k = innermost(dense.getInput());
    int64_t m = k ? product(shapeOf(dense.getInput())) / k : 0;
    return {1, m, shapeOf(dense.getWeight())[0], k};
  }
  // The conv backward ops, as codegen/ConvGemm.cpp writes them.
  if (auto dx = dyn_cast<Conv2dBackwardInputOp>(op)) {
    ArrayRef<int64_t> in = dx.getInputShape(), w = shapeOf(dx.getWeight());
    int64_t groups = dx.getGroups();
    return {groups, in[0] * in[2] * in[3], w[1], w[0] / groups * w[2] * w[3]};
  }
  if (auto dw = dyn_cast<Conv2dBackwardWeightOp>(op)) {
    ArrayRef<int64_t> dy = shapeOf(dw.getGradOutput());
    ArrayRef<int64_t> in = shapeOf(dw.getInput());
    ArrayRef<int64_t> k = dw.getKernelSize();
    int64_t groups = dw.getGroups(), splits = dw.getKSplits();
    int64_t terms = dy[0] * dy[2] * dy[3];
    return {groups * splits, dy[1] / groups, in[1] / groups * k[0] * k[1],
            ceilDiv(terms, splits)};
  }
  auto conv = cast<Conv2dOp>(op);
  ArrayRef<int64_t> out = shapeOf(conv.getResult());
  ArrayRef<int64_t> w = shapeOf(conv.getWeight());
  int64_t groups = conv.getGroups(); // I64Attr getters return uint64_t
  return {groups, out[0] * out[2] * out[3], out[1] / groups,
          w[1] * w[2] * w[3]};
}

/// Rows and row length of a reduction op (the row is what one warp or block
/// reduces).
void rowsOf(Operation *op, Problem &p) {
  Value input = op->getOperand(0);
  ArrayRef<int64_t> in = shapeOf(input);
  int64_t rank = in.size(), numel = product(in);
  bool lastAxis = true; // whether the row includes the innermost dim
  int64_t rowLength = numel;
  if (auto sm = dyn_cast<SoftmaxOp>(op)) {
    int64_t axis = normalizeAxis(static_cast<int64_t>(sm.getAxis()), rank);
    rowLength = rank ? in[axis] : 1;
    lastAxis = axis == rank - 1;
  } else if (auto lsm = dyn_cast<LogSoftmaxOp>(op)) {
    int64_t axis = normalizeAxis(static_cast<int64_t>(lsm.getAxis()), rank);
    rowLength = rank ? in[axis] : 1;
    lastAxis = axis == rank - 1;
  } else if (auto ln = dyn_cast<LayerNormOp>(op)) {
    int64_t axis = normalizeAxis(static_cast<int64_t>(ln.getAxis()), rank);
    rowLength = product(in.drop_front(axis));
  } else if (isa<SoftmaxCrossEntropyOp>(op)) {
    rowLength = in.back(); // logits [N, C]: one row per sample
  } else if (isa<MseLossOp>(op)) {
    rowLength = numel; // a full reduction: one row of all elements
  } else {
    // reduce_sum/mean/max over `axes` (all when empty).
    ArrayRef<int64_t> axes;
    if (auto r = dyn_cast<ReduceSumOp>(op))
      axes = r.getAxes();
    else if (auto r = dyn_cast<ReduceMeanOp>(op))
      axes = r.getAxes();
    else
      axes = cast<ReduceMaxOp>(op).getAxes();
    if (!axes.empty()) {
      rowLength = 1;
      lastAxis = false;
      for (int64_t a : axes) {
        int64_t axis = normalizeAxis(a, rank);
        rowLength *= in[axis];
        lastAxis |= axis == rank - 1;
      }
    }
  }
  p.rowLength = rowLength;
  p.rows = rowLength ? numel / rowLength : 0;
  p.element = elementOf(input);
  p.accBytes = p.element.isF64() ? 8 : 4;
  p.vectorDims.push_back({p.element, lastAxis ? innermost(input) : 1});
}

Problem analyze(FusionOp fusion) {
  Problem p;
  auto [anchor, pool] = findAnchors(fusion);
  // Optimizer updates (codegen/MultiTensorKernels.cpp): chunks of every
  // param; a segment's tail is scalar, so no dim constrains the vector width
  // (dim 0).
  if (fusion.getKind() == FusionOp::kMultiTensor) {
    p.strategy = Strategy::MultiTensor;
    for (Operation &op : fusion.getBodyBlock().without_terminator())
      if (isOptimizerUpdate(&op)) {
        p.segments.push_back(product(shapeOf(op.getResult(0))));
        p.element = elementOf(op.getResult(0));
        p.vectorDims.push_back({p.element, 0});
      }
    return p;
  }
  // Attention (a fusion of its own, codegen/Attention.cpp): the launch
  // follows from the shapes.
  if (Operation *op = findAttentionOp(fusion)) {
    p.strategy = Strategy::FlashAttention;
    p.attention = attentionTiles(op);
    p.element = elementOf(op->getResult(0));
    p.vectorDims.push_back({p.element, 1});
    return p;
  }
  // A backward op with a direct kernel (a fusion of its own,
  // codegen/BackwardKernels.cpp), or a depthwise conv: one thread per output
  // element, as a lone pool.
  for (Operation &op : fusion.getBodyBlock().without_terminator())
    if (isDirectBackwardOp(&op) ||
        (&op == anchor && !pool && isDepthwiseConv(&op))) {
      p.strategy = Strategy::DirectPool;
      p.numel = product(shapeOf(op.getResult(0)));
      p.element = elementOf(op.getResult(0));
      p.vectorDims.push_back({p.element, 1});
      return p;
    }
  if (anchor && classifyOp(anchor) == OpClass::Contraction) {
    p.gemm = gemmOf(anchor);
    p.element = elementOf(anchor->getResult(0));
  }
  if (pool) {
    // A contraction + pool, or a lone pool: one thread per pooled element.
    p.strategy = Strategy::DirectPool;
    p.numel = product(shapeOf(pool->getResult(0)));
    p.element = elementOf(pool->getResult(0));
    p.vectorDims.push_back({p.element, 1});
    return p;
  }
  if (anchor && classifyOp(anchor) == OpClass::Contraction) {
    p.strategy = Strategy::TiledGemm;
  } else if (anchor) {
    p.strategy = Strategy::RowReduce;
    rowsOf(anchor, p);
    return p;
  } else {
    p.strategy = Strategy::Pointwise;
  }
  // pointwise and tiled_gemm: the width of the output stores.
  for (Value r : fusion.getResults()) {
    p.numel = std::max(p.numel, product(shapeOf(r)));
    p.vectorDims.push_back({elementOf(r), innermost(r)});
  }
  return p;
}

//===----------------------------------------------------------------------===//
// Defaults, derived numbers, validation
//===----------------------------------------------------------------------===//

int64_t defaultVectorWidth(const Problem &p) {
  int64_t w = 8;
  for (auto [type, dim] : p.vectorDims) {
    w = std::min(w, maxVectorWidth(type));
    while (w > 1 && dim % w != 0)
      w /= 2;
  }
  return w;
}

int64_t clampPow2(int64_t x, int64_t lo, int64_t hi) {
  return std::clamp<int64_t>(llvm::PowerOf2Ceil(std::max<int64_t>(x, 1)), lo,
                             hi);
}

/// Whether a half-type GEMM is big enough for wgmma's 64-row warpgroup
/// tiles (smaller ones keep mma.sync's 16-row fragments).
bool wgmmaFits(const Problem &p) {
  return p.gemm[1] >= 32 && p.gemm[2] >= 32 && p.gemm[3] >= 32;
}

/// sm_90 half-type GEMMs: wgmma (codegen/WgmmaGemm.cpp), a warpgroup per 64
/// rows, tile [64 or 128, 64 or 128, 64], 4 stages (fewer for a short k).
void wgmmaDefaults(const Problem &p, const TargetInfo &t, Schedule &s) {
  int64_t batch = p.gemm[0], m = p.gemm[1], n = p.gemm[2], k = p.gemm[3];
  s.mma = p.element.isF16() ? MmaMode::WgmmaF16 : MmaMode::WgmmaBf16;
  int64_t tm = m > 64 ? 128 : 64, tn = n > 64 ? 128 : 64;
  // Halve a 128-wide side while the GPU would be underfull.
  while ((tm > 64 || tn > 64) &&
         ceilDiv(m, tm) * ceilDiv(n, tn) * batch < t.smCount) {
    if (tm >= tn)
      tm /= 2;
    else
      tn /= 2;
  }
  s.tile = {tm, tn, 64};
  s.warps = {tm / 16, 1};
  s.stages = std::clamp<int64_t>(ceilDiv(k, 64), 2, 4);
}

Schedule defaults(const Problem &p, const TargetInfo &t, bool allowTf32) {
  Schedule s;
  s.target = t.name.str();
  s.strategy = p.strategy;
  s.vectorWidth = defaultVectorWidth(p);
  if (p.strategy == Strategy::Pointwise) {
    s.block = {256, 1, 1};
  } else if (p.strategy == Strategy::MultiTensor) {
    // Two vector accesses per thread and block.
    s.block = {256, 1, 1};
    s.chunk = 256 * s.vectorWidth * 2;
  } else if (p.strategy == Strategy::DirectPool) {
    s.block = {128, 1, 1};
  } else if (p.strategy == Strategy::FlashAttention) {
    s.block = {std::max<int64_t>(1, p.attention.threads), 1, 1};
  } else if (p.strategy == Strategy::RowReduce) {
    if (p.rowLength <= 1024) {
      // One warp per row; fewer rows per block when blocks are scarce.
      s.threadsPerRow = 32;
      s.rowsPerBlock = ceilDiv(p.rows, 8) >= t.smCount ? 8 : 4;
    } else {
      s.threadsPerRow = p.rowLength <= 8192 ? 256 : 1024;
      s.rowsPerBlock = 1;
    }
  } else {
    bool f16 = p.element.isF16(), bf16 = p.element.isBF16();
    bool tf32 = allowTf32 && p.element.isF32();
    bool tensorCores = f16 || bf16 || tf32;
    s.mma = f16    ? MmaMode::F16
            : bf16 ? MmaMode::Bf16
            : tf32 ? MmaMode::Tf32
                   : MmaMode::None;
    int64_t base[3] = {64, 64, 16}, lo[3] = {16, 16, 8};
    if (tensorCores) {
      base[0] = base[1] = 128;
      base[2] = 32;
      lo[2] = 16;
    }
    int64_t batch = p.gemm[0], m = p.gemm[1], n = p.gemm[2], k = p.gemm[3];
    int64_t tm = clampPow2(m, lo[0], base[0]);
    int64_t tn = clampPow2(n, lo[1], base[1]);
    int64_t tk = clampPow2(k, lo[2], base[2]);
    // Halve a 128-wide side (not below 64) while the GPU would be underfull.
    while ((tm > 64 || tn > 64) &&
           ceilDiv(m, tm) * ceilDiv(n, tn) * batch < t.smCount) {
      if (tm >= tn)
        tm /= 2;
      else
        tn /= 2;
    }
    s.tile = {tm, tn, tk};
    s.warps = {tm >= 64 ? 2 : 1, tn >= 128 ? 4 : (tn >= 64 ? 2 : 1)};
    bool sm90 = t.name == "sm_90";
    // Four cp.async stages of 128x128x32 are 64 KiB: two blocks per SM on
    // sm_80, three on sm_90.
    s.stages = tensorCores ? 4 : (sm90 ? 3 : 2);
    // No deeper than the number of k tiles (but double-buffered).
    s.stages = std::min(s.stages, std::max<int64_t>(2, ceilDiv(k, tk)));
    if (sm90 && (f16 || bf16) && wgmmaFits(p)) // tf32 stays on mma.sync
      wgmmaDefaults(p, t, s);
  }
  return s;
}

/// Block, grid and shared memory from the (checked) choices. `keepGrid`: a
/// pointwise grid set by a tuning cache stays.
void derive(const Problem &p, const TargetInfo &t, Schedule &s, bool keepGrid) {
  s.gemm = p.gemm;
  s.sharedBytes = 0;
  if (s.isPointwise()) {
    if (!keepGrid)
      s.grid = {
          std::clamp<int64_t>(ceilDiv(p.numel, s.block[0] * s.vectorWidth), 1,
                              t.smCount * 8),
          1, 1};
  } else if (s.isDirectPool()) {
    s.grid = {std::max<int64_t>(1, ceilDiv(p.numel, s.block[0])), 1, 1};
  } else if (s.isFlashAttention()) {
    s.block = {std::max<int64_t>(1, p.attention.threads), 1, 1};
    s.grid = {std::max<int64_t>(1, p.attention.blocks), 1, 1};
    s.sharedBytes = p.attention.sharedBytes;
  } else if (s.isMultiTensor()) {
    int64_t blocks = 0;
    for (int64_t n : p.segments)
      blocks += ceilDiv(n, s.chunk);
    s.grid = {std::max<int64_t>(1, blocks), 1, 1};
  } else if (s.isRowReduce()) {
    s.rows = p.rows;
    s.rowLength = p.rowLength;
    s.block = {s.threadsPerRow * s.rowsPerBlock, 1, 1};
    s.grid = {std::max<int64_t>(1, ceilDiv(p.rows, s.rowsPerBlock)), 1, 1};
    // A block reduction stages two partials per warp and row (max and sum,
    // or sum and sum of squares) in shared memory.
    if (s.threadsPerRow > 32)
      s.sharedBytes = s.rowsPerBlock * (s.threadsPerRow / 32) * 2 * p.accBytes;
  } else {
    int64_t batch = p.gemm[0], m = p.gemm[1], n = p.gemm[2];
    s.block = {32 * s.warps[0] * s.warps[1], 1, 1};
    // The tiles of one batch entry on x (the emitter walks them in a
    // rasterized order), the batch on y.
    s.grid = {std::max<int64_t>(1, ceilDiv(m, s.tile[0]) *
                                       ceilDiv(n, s.tile[1])),
              std::max<int64_t>(1, batch), 1};
    // The mma.sync pipeline's swizzled stages (dynamic shared memory).
    s.sharedBytes = s.stages * (s.tile[0] * s.tile[2] + s.tile[2] * s.tile[1]) *
                    elementBytes(p.element);
    if (isWgmma(s.mma)) // dynamic, + 1024 bytes to align the first stage
      s.sharedBytes += 1024;
  }
}

/// Checks the choices in `s`, derives block, grid and shared memory from
/// them and checks those; returns why `s` cannot run as `p` on `t`, or "".
std::string finish(const Problem &p, const TargetInfo &t, Schedule &s,
                   bool keepGrid) {
  std::string out;
  llvm::raw_string_ostream os(out);
  // The choices.
  int64_t vw = s.vectorWidth;
  if (!llvm::is_contained({1, 2, 4, 8}, vw)) {
    os << "vector_width " << vw << "; expects 1, 2, 4 or 8";
    return out;
  }
  for (auto [type, dim] : p.vectorDims) {
    if (vw > maxVectorWidth(type) || dim % vw != 0) {
      os << "vector_width " << vw << " does not fit " << type
         << " elements with innermost dim " << dim;
      return out;
    }
  }
  if (s.isMultiTensor() &&
      (s.chunk < 1 || s.chunk % (s.block[0] * s.vectorWidth) != 0)) {
    os << "chunk " << s.chunk << "; expects a positive multiple of block "
       << s.block[0] << " x vector_width " << vw;
    return out;
  }
  if (s.isFlashAttention() && p.attention.tile == 0) {
    os << "attention operands whose head dims do not fit 8 rows of a tile "
          "in 48 KiB of shared memory";
    return out;
  }
  if (s.isPointwise() || s.isDirectPool() || s.isMultiTensor()) {
    if (s.block[0] < 1 || s.block[0] > 1024 || s.block[1] != 1 ||
        s.block[2] != 1) {
      os << "block [" << s.block[0] << ", " << s.block[1] << ", " << s.block[2]
         << "]; expects [1..1024, 1, 1]";
      return out;
    }
    if (keepGrid && (s.grid[0] < 1 || s.grid[1] != 1 || s.grid[2] != 1)) {
      os << "grid [" << s.grid[0] << ", " << s.grid[1] << ", " << s.grid[2]
         << "]; expects [positive, 1, 1]";
      return out;
    }
  }
  if (s.isRowReduce()) {
    int64_t tpr = s.threadsPerRow;
    if (tpr < 32 || tpr > 1024 || !llvm::isPowerOf2_64(tpr) ||
        s.rowsPerBlock < 1 || (tpr > 32 && s.rowsPerBlock != 1)) {
      os << "threads_per_row " << tpr << ", rows_per_block " << s.rowsPerBlock
         << "; expects a power of two in [32, 1024], and 1 row per block "
            "above 32";
      return out;
    }
  }
  if (s.isTiledGemm()) {
    int64_t tm = s.tile[0], tn = s.tile[1], tk = s.tile[2];
    int64_t wm = s.warps[0], wn = s.warps[1];
    if (tm < 1 || tn < 1 || tk < 1 || wm < 1 || wn < 1 || s.stages < 1 ||
        tm % wm || tn % wn) {
      os << "tile [" << tm << ", " << tn << ", " << tk << "], warps [" << wm
         << ", " << wn << "], stages " << s.stages
         << "; expects positive sizes, warps dividing the tile";
      return out;
    }
    bool typeOk =
        s.mma == MmaMode::None ||
        ((s.mma == MmaMode::F16 || s.mma == MmaMode::WgmmaF16) &&
         p.element.isF16()) ||
        ((s.mma == MmaMode::Bf16 || s.mma == MmaMode::WgmmaBf16) &&
         p.element.isBF16()) ||
        (s.mma == MmaMode::Tf32 && p.element.isF32());
    if (!typeOk) {
      os << "mma '" << s.mma << "' does not fit " << p.element << " elements";
      return out;
    }
    auto pow2 = [](int64_t x) { return llvm::isPowerOf2_64(uint64_t(x)); };
    if (isWgmma(s.mma)) {
      if (t.name != "sm_90") {
        os << "mma '" << s.mma << "' needs target sm_90";
        return out;
      }
      if ((tm != 64 && tm != 128) || (tn != 64 && tn != 128 && tn != 256) ||
          tk != 64 || wm != tm / 16 || wn != 1 || s.stages < 2) {
        os << "tile [" << tm << ", " << tn << ", " << tk << "], warps [" << wm
           << ", " << wn << "], stages " << s.stages << "; wgmma expects tile "
           << "[64|128, 64|128|256, 64], warps [tm / 16, 1] (a warpgroup per "
              "64 rows) and stages >= 2";
        return out;
      }
    } else if (s.mma != MmaMode::None &&
               ((tm / wm) % 16 || (tn / wn) % 16 || tk % 16 || !pow2(tm) ||
                !pow2(tn) || !pow2(tk))) {
      os << "tile [" << tm << ", " << tn << ", " << tk << "] with warps [" << wm
         << ", " << wn
         << "]; mma.sync expects power-of-two tile sides, a warp tile "
            "multiple of 16x16 and tk a multiple of 16";
      return out;
    }
    if (s.mma != MmaMode::None && (s.stages < 2 || s.stages > 8)) {
      os << "stages " << s.stages
         << "; the mma.sync pipeline expects 2 to 8 stages";
      return out;
    }
  }

  // What follows from them.
  derive(p, t, s, keepGrid);
  int64_t threads = s.threadsPerBlock();
  bool warpMultiple = s.isRowReduce() || s.isTiledGemm();
  if (threads > 1024 || (warpMultiple && threads % 32 != 0)) {
    os << "block of " << threads << " threads; expects at most 1024"
       << (warpMultiple ? " and a multiple of 32" : "");
    return out;
  }
  if (s.grid[0] > INT32_MAX || s.grid[1] > 65535 || s.grid[2] > 65535) {
    os << "grid [" << s.grid[0] << ", " << s.grid[1] << ", " << s.grid[2]
       << "] out of range (x < 2^31, y and z <= 65535)";
    return out;
  }
  if (s.sharedBytes > t.maxSharedBytes) {
    os << "shared_bytes " << s.sharedBytes << " exceeds the "
       << t.maxSharedBytes << " bytes of " << t.name;
    return out;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Tuning cache
//===----------------------------------------------------------------------===//

/// The keys an entry's schedule may set, per strategy.
bool overridable(Strategy strategy, StringRef key) {
  if (key == "vector_width")
    return true;
  switch (strategy) {
  case Strategy::Pointwise:
    return key == "block" || key == "grid";
  case Strategy::DirectPool:
    return key == "block";
  case Strategy::MultiTensor:
    return key == "block" || key == "chunk";
  case Strategy::FlashAttention:
    return false; // the launch follows from the shapes
  case Strategy::RowReduce:
    return key == "threads_per_row" || key == "rows_per_block";
  case Strategy::TiledGemm:
    return key == "tile" || key == "warps" || key == "stages" || key == "mma";
  }
  llvm_unreachable("unknown strategy");
}

bool isCacheKey(StringRef key) {
  static constexpr llvm::StringLiteral keys[] = {
      "vector_width",    "block",          "grid",
      "threads_per_row", "rows_per_block", "tile",
      "warps",           "stages",         "mma",
      "chunk"};
  return llvm::is_contained(keys, key);
}

struct CacheEntry {
  unsigned index;
  std::string target, fusion, signature;
  const llvm::json::Object *schedule;
};

class TuningCache {
public:
  /// Reads and checks the file's structure; on failure `error` says why.
  bool load(StringRef path, std::string &error);
  /// The last entry for this fusion, or nullptr.
  const CacheEntry *lookup(StringRef target, StringRef fusion,
                           StringRef signature) const;
  /// Applies `e` to `s`; on failure `error` says why.
  static bool apply(const CacheEntry &e, Schedule &s, bool &keepGrid,
                    std::string &error);

private:
  llvm::json::Value root = nullptr;
  std::vector<CacheEntry> entries;
};

bool TuningCache::load(StringRef path, std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    error = "cannot read: " + buffer.getError().message();
    return false;
  }
  auto parsed = llvm::json::parse((*buffer)->getBuffer());
  if (!parsed) {
    error = "invalid JSON: " + llvm::toString(parsed.takeError());
    return false;
  }
  root = std::move(*parsed);
  const llvm::json::Object *top = root.getAsObject();
  if (!top) {
    error = "expects a JSON object at the top";
    return false;
  }
  if (top->getInteger("version") != 1) {
    error = "expects \"version\": 1";
    return false;
  }
  const llvm::json::Array *list = top->getArray("entries");
  if (!list) {
    error = "expects an \"entries\" array";
    return false;
  }
  for (auto [i, value] : llvm::enumerate(*list)) {
    std::string where = "entry " + std::to_string(i) + ": ";
    const llvm::json::Object *obj = value.getAsObject();
    if (!obj) {
      error = where + "expects an object";
      return false;
    }
    CacheEntry e{static_cast<unsigned>(i), "", "", "", nullptr};
    for (const auto &kv : *obj) {
      StringRef key = kv.first;
      if (key == "schedule") {
        e.schedule = kv.second.getAsObject();
        continue;
      }
      std::optional<StringRef> str = kv.second.getAsString();
      if (!str || (key != "target" && key != "fusion" && key != "signature")) {
        error = where + "unexpected key \"" + key.str() +
                "\" (expects string \"target\", \"fusion\", \"signature\" "
                "and object \"schedule\")";
        return false;
      }
      (key == "target"   ? e.target
       : key == "fusion" ? e.fusion
                         : e.signature) = str->str();
    }
    if (e.signature.empty() || !e.schedule) {
      error = where + "expects a \"signature\" string and a \"schedule\" "
                      "object";
      return false;
    }
    if (!e.target.empty() && !getTargetInfo(e.target)) {
      error = where + "unknown target \"" + e.target + "\"";
      return false;
    }
    for (const auto &kv : *e.schedule)
      if (!isCacheKey(kv.first)) {
        error = where + "unknown schedule key \"" + StringRef(kv.first).str() +
                "\"";
        return false;
      }
    entries.push_back(e);
  }
  return true;
}

const CacheEntry *TuningCache::lookup(StringRef target, StringRef fusion,
                                      StringRef signature) const {
  const CacheEntry *found = nullptr;
  for (const CacheEntry &e : entries)
    if (e.signature == signature && (e.target.empty() || e.target == target) &&
        (e.fusion.empty() || e.fusion == fusion))
      found = &e;
  return found;
}

/// `value` as `size` integers; a shorter list (block, grid) is padded with 1.
bool readInts(const llvm::json::Value &value, size_t size, bool pad,
              SmallVectorImpl<int64_t> &out) {
  const llvm::json::Array *arr = value.getAsArray();
  if (!arr || arr->size() > size || arr->empty() ||
      (!pad && arr->size() != size))
    return false;
  out.clear();
  for (const llvm::json::Value &v : *arr) {
    std::optional<int64_t> x = v.getAsInteger();
    if (!x)
      return false;
    out.push_back(*x);
  }
  out.resize(size, 1);
  return true;
}

bool TuningCache::apply(const CacheEntry &e, Schedule &s, bool &keepGrid,
                        std::string &error) {
  for (const auto &kv : *e.schedule) {
    StringRef key = kv.first;
    const llvm::json::Value &v = kv.second;
    if (!overridable(s.strategy, key)) {
      error = "\"" + key.str() + "\" cannot be set on a " +
              stringifyStrategy(s.strategy).str() + " schedule";
      return false;
    }
    bool ok = true;
    if (key == "block" || key == "grid") {
      ok = readInts(v, 3, /*pad=*/true, key == "block" ? s.block : s.grid);
      keepGrid |= key == "grid";
    } else if (key == "tile") {
      ok = readInts(v, 3, /*pad=*/false, s.tile);
    } else if (key == "warps") {
      ok = readInts(v, 2, /*pad=*/false, s.warps);
    } else if (key == "mma") {
      std::optional<StringRef> str = v.getAsString();
      std::optional<MmaMode> mode = str ? symbolizeMmaMode(*str) : std::nullopt;
      ok = mode.has_value();
      if (ok)
        s.mma = *mode;
    } else {
      std::optional<int64_t> x = v.getAsInteger();
      ok = x.has_value();
      if (ok)
        (key == "vector_width"      ? s.vectorWidth
         : key == "threads_per_row" ? s.threadsPerRow
         : key == "rows_per_block"  ? s.rowsPerBlock
         : key == "chunk"           ? s.chunk
                                    : s.stages) = *x;
    }
    if (!ok) {
      error = "malformed \"" + key.str() + "\"";
      return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct DlcTilePass : mlir::dlc::impl::DlcTileBase<DlcTilePass> {
  using DlcTileBase::DlcTileBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    std::optional<TargetInfo> t = getTargetInfo(target);
    if (!t) {
      func.emitError() << "--dlc-tile: unknown target '" << target
                       << "' (expects sm_80 or sm_90)";
      return signalPassFailure();
    }
    TuningCache cache;
    bool haveCache = !tuningCache.empty();
    if (haveCache) {
      std::string error;
      if (!cache.load(tuningCache, error)) {
        func.emitError() << "tuning cache '" << tuningCache << "': " << error;
        return signalPassFailure();
      }
    }

    WalkResult result = func.walk([&](FusionOp fusion) {
      Problem p = analyze(fusion);
      Schedule s = defaults(p, *t, allowTf32);
      s.signature = signatureOf(fusion);
      bool keepGrid = false;
      const CacheEntry *entry =
          haveCache ? cache.lookup(t->name, fusion.getName(), s.signature)
                    : nullptr;
      std::string error;
      if (entry && !TuningCache::apply(*entry, s, keepGrid, error)) {
        emitEntryError(func, *entry, fusion, error);
        return WalkResult::interrupt();
      }
      error = finish(p, *t, s, keepGrid);
      if (!error.empty()) {
        if (entry)
          emitEntryError(func, *entry, fusion, error);
        else
          fusion.emitOpError()
              << "has no valid schedule for " << t->name << ": " << error;
        return WalkResult::interrupt();
      }
      writeSchedule(fusion, s);
      // Readers go through fromAttr: what we write must read back.
      if (failed(readSchedule(fusion)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  void emitEntryError(func::FuncOp func, const CacheEntry &e, FusionOp fusion,
                      StringRef error) {
    func.emitError() << "tuning cache '" << tuningCache << "': entry "
                     << e.index << " (fusion '" << fusion.getName()
                     << "'): " << error;
  }
};

} // namespace
