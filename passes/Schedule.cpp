//===- Schedule.cpp - the GPU schedule of a dlc.fusion --------------------===//
//
// The one reader and writer of the `schedule` dictionary: the enum
// spellings, the strict reader --dlc-tile and the driver use, the lenient
// overlay the CUDA emitter uses on hand-written schedules, and the
// candidates an autotuner tries.
//
//===----------------------------------------------------------------------===//
#include "passes/Schedule.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::dlc;

std::optional<TargetInfo> mlir::dlc::getTargetInfo(StringRef target) {
  if (target == "sm_80")
    return TargetInfo{"sm_80", 108, 163 * 1024};
  if (target == "sm_90")
    return TargetInfo{"sm_90", 132, 227 * 1024};
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Spellings
//===----------------------------------------------------------------------===//

StringRef mlir::dlc::stringifyStrategy(Strategy s) {
  switch (s) {
  case Strategy::Pointwise:
    return "pointwise";
  case Strategy::RowReduce:
    return "row_reduce";
  case Strategy::TiledGemm:
    return "tiled_gemm";
  case Strategy::DirectPool:
    return "direct_pool";
  case Strategy::MultiTensor:
    return "multi_tensor";
  case Strategy::FlashAttention:
    return "flash_attention";
  }
  llvm_unreachable("unknown strategy");
}

std::optional<Strategy> mlir::dlc::symbolizeStrategy(StringRef name) {
  for (Strategy s : {Strategy::Pointwise, Strategy::RowReduce,
                     Strategy::TiledGemm, Strategy::DirectPool,
                     Strategy::MultiTensor, Strategy::FlashAttention})
    if (stringifyStrategy(s) == name)
      return s;
  return std::nullopt;
}

StringRef mlir::dlc::stringifyMmaMode(MmaMode m) {
  switch (m) {
  case MmaMode::None:
    return "none";
  case MmaMode::F16:
    return "mma_sync_f16";
  case MmaMode::Bf16:
    return "mma_sync_bf16";
  case MmaMode::Tf32:
    return "mma_sync_tf32";
  case MmaMode::WgmmaF16:
    return "wgmma_f16";
  case MmaMode::WgmmaBf16:
    return "wgmma_bf16";
  }
  llvm_unreachable("unknown mma mode");
}

std::optional<MmaMode> mlir::dlc::symbolizeMmaMode(StringRef name) {
  for (MmaMode m : {MmaMode::None, MmaMode::F16, MmaMode::Bf16, MmaMode::Tf32,
                    MmaMode::WgmmaF16, MmaMode::WgmmaBf16})
    if (stringifyMmaMode(m) == name)
      return m;
  return std::nullopt;
}

llvm::raw_ostream &mlir::dlc::operator<<(llvm::raw_ostream &os, Strategy s) {
  return os << stringifyStrategy(s);
}
llvm::raw_ostream &mlir::dlc::operator<<(llvm::raw_ostream &os, MmaMode m) {
  return os << stringifyMmaMode(m);
}
llvm::json::Value mlir::dlc::toJSON(Strategy s) {
  return stringifyStrategy(s);
}
llvm::json::Value mlir::dlc::toJSON(MmaMode m) { return stringifyMmaMode(m); }

//===----------------------------------------------------------------------===//
// The dictionary form
//===----------------------------------------------------------------------===//

DictionaryAttr mlir::dlc::toAttr(MLIRContext *ctx, const Schedule &s) {
  Builder b(ctx);
  SmallVector<NamedAttribute> attrs;
  auto add = [&](StringRef key, Attribute value) {
    attrs.push_back(b.getNamedAttr(key, value));
  };
  auto addInt = [&](StringRef key, int64_t v) {
    add(key, b.getI64IntegerAttr(v));
  };
  add("target", b.getStringAttr(s.target));
  add("strategy", b.getStringAttr(stringifyStrategy(s.strategy)));
  if (!s.signature.empty())
    add("signature", b.getStringAttr(s.signature));
  add("block", b.getDenseI64ArrayAttr(s.block));
  add("grid", b.getDenseI64ArrayAttr(s.grid));
  addInt("vector_width", s.vectorWidth);
  addInt("shared_bytes", s.sharedBytes);
  if (s.isRowReduce()) {
    addInt("threads_per_row", s.threadsPerRow);
    addInt("rows_per_block", s.rowsPerBlock);
    addInt("rows", s.rows);
    addInt("row_length", s.rowLength);
  }
  if (s.isMultiTensor())
    addInt("chunk", s.chunk);
  if (!s.gemm.empty())
    add("gemm", b.getDenseI64ArrayAttr(s.gemm));
  if (s.isTiledGemm()) {
    add("tile", b.getDenseI64ArrayAttr(s.tile));
    add("warps", b.getDenseI64ArrayAttr(s.warps));
    addInt("stages", s.stages);
    add("mma", b.getStringAttr(stringifyMmaMode(s.mma)));
  }
  return b.getDictionaryAttr(attrs);
}

namespace {

/// Reads typed keys out of a schedule dictionary, reporting the first problem.
class DictReader {
public:
  DictReader(DictionaryAttr dict,
             llvm::function_ref<InFlightDiagnostic()> emitError)
      : dict(dict), emitError(emitError) {}

  bool ok() const { return good; }

  void str(StringRef key, std::string &out, bool required = true) {
    Attribute a = get(key, required);
    if (!a)
      return;
    auto s = dyn_cast<StringAttr>(a);
    if (!s)
      return fail(key, "a string");
    out = s.getValue().str();
  }
  void i64(StringRef key, int64_t &out) {
    Attribute a = get(key, true);
    if (!a)
      return;
    auto i = dyn_cast<IntegerAttr>(a);
    if (!i || !i.getType().isInteger(64))
      return fail(key, "an i64 integer");
    out = i.getInt();
  }
  template <unsigned N>
  void array(StringRef key, size_t size, SmallVector<int64_t, N> &out,
             bool required = true) {
    Attribute a = get(key, required);
    if (!a)
      return;
    auto arr = dyn_cast<DenseI64ArrayAttr>(a);
    if (!arr || arr.size() != static_cast<int64_t>(size))
      return fail(key, "array<i64> of " + std::to_string(size) + " values");
    out.assign(arr.asArrayRef().begin(), arr.asArrayRef().end());
  }
  void error(const Twine &msg) {
    if (good)
      emitError() << msg;
    good = false;
  }

private:
  Attribute get(StringRef key, bool required) {
    if (!good)
      return {};
    Attribute a = dict.get(key);
    if (!a && required)
      error("schedule: expects key '" + key + "'");
    return a;
  }
  void fail(StringRef key, const std::string &what) {
    error("schedule: expects '" + key + "' to be " + what);
  }

  DictionaryAttr dict;
  llvm::function_ref<InFlightDiagnostic()> emitError;
  bool good = true;
};

bool allPositive(ArrayRef<int64_t> v) {
  return llvm::all_of(v, [](int64_t x) { return x > 0; });
}

} // namespace

FailureOr<Schedule>
mlir::dlc::fromAttr(DictionaryAttr dict,
                    llvm::function_ref<InFlightDiagnostic()> emitError) {
  Schedule s;
  DictReader r(dict, emitError);
  std::string strategy, mma;
  r.str("target", s.target);
  r.str("strategy", strategy);
  r.str("signature", s.signature, /*required=*/false);
  r.array("block", 3, s.block);
  r.array("grid", 3, s.grid);
  r.i64("vector_width", s.vectorWidth);
  r.i64("shared_bytes", s.sharedBytes);
  r.array("gemm", 4, s.gemm, /*required=*/false);
  if (!r.ok())
    return failure();
  if (!getTargetInfo(s.target))
    r.error("schedule: expects target 'sm_80' or 'sm_90', got '" + s.target +
            "'");
  std::optional<Strategy> kind = symbolizeStrategy(strategy);
  if (!kind) {
    r.error("schedule: unknown strategy '" + strategy + "'");
    return failure();
  }
  s.strategy = *kind;
  if (s.isRowReduce()) {
    r.i64("threads_per_row", s.threadsPerRow);
    r.i64("rows_per_block", s.rowsPerBlock);
    r.i64("rows", s.rows);
    r.i64("row_length", s.rowLength);
  } else if (s.isTiledGemm()) {
    r.array("gemm", 4, s.gemm);
    r.array("tile", 3, s.tile);
    r.array("warps", 2, s.warps);
    r.i64("stages", s.stages);
    r.str("mma", mma);
    std::optional<MmaMode> mode = symbolizeMmaMode(mma);
    if (r.ok() && !mode)
      r.error("schedule: expects mma 'none', 'mma_sync_f16', "
              "'mma_sync_bf16', 'mma_sync_tf32', 'wgmma_f16' or 'wgmma_bf16', "
              "got '" +
              mma + "'");
    s.mma = mode.value_or(MmaMode::None);
    if (r.ok() &&
        (!allPositive(s.tile) || !allPositive(s.warps) || s.stages < 1))
      r.error("schedule: expects positive tile, warps and stages");
  } else if (s.isMultiTensor()) {
    r.i64("chunk", s.chunk);
    if (r.ok() && s.chunk < 1)
      r.error("schedule: expects a positive chunk");
  }
  if (r.ok() && (!allPositive(s.block) || !allPositive(s.grid)))
    r.error("schedule: expects positive block and grid sizes");
  if (r.ok() && s.vectorWidth < 1)
    r.error("schedule: expects a positive vector_width");
  if (!r.ok())
    return failure();
  return s;
}

namespace {

/// Copies the leading values of `key`'s array into `out` (all of them when
/// `out` is empty); anything else leaves `out` as it is.
template <unsigned N>
void overlayArray(DictionaryAttr dict, StringRef key,
                  SmallVector<int64_t, N> &out) {
  auto a = dyn_cast_or_null<DenseI64ArrayAttr>(dict.get(key));
  if (!a)
    return;
  if (out.empty())
    out.assign(a.asArrayRef().begin(), a.asArrayRef().end());
  for (size_t i = 0; i < out.size() && i < size_t(a.size()); ++i)
    out[i] = a[i];
}

void overlayInt(DictionaryAttr dict, StringRef key, int64_t &out) {
  if (auto a = dyn_cast_or_null<IntegerAttr>(dict.get(key)))
    out = a.getInt();
}

} // namespace

LogicalResult
mlir::dlc::overlayAttr(DictionaryAttr dict, Schedule &s,
                       llvm::function_ref<InFlightDiagnostic()> emitError) {
  if (auto t = dict.getAs<StringAttr>("target"))
    s.target = t.str();
  if (auto t = dict.getAs<StringAttr>("signature"))
    s.signature = t.str();
  if (auto t = dict.getAs<StringAttr>("strategy")) {
    std::optional<Strategy> kind = symbolizeStrategy(t.getValue());
    if (!kind)
      return emitError() << "schedule: unknown strategy '" << t.getValue()
                         << "'";
    s.strategy = *kind;
  }
  if (auto m = dict.getAs<StringAttr>("mma")) {
    std::optional<MmaMode> mode = symbolizeMmaMode(m.getValue());
    if (!mode)
      return emitError() << "schedule: expects mma 'none', 'mma_sync_f16', "
                            "'mma_sync_bf16', 'mma_sync_tf32', 'wgmma_f16' or "
                            "'wgmma_bf16', got '"
                         << m.getValue() << "'";
    s.mma = *mode;
  }
  overlayArray(dict, "block", s.block);
  overlayArray(dict, "grid", s.grid);
  overlayInt(dict, "vector_width", s.vectorWidth);
  overlayInt(dict, "shared_bytes", s.sharedBytes);
  overlayInt(dict, "threads_per_row", s.threadsPerRow);
  overlayInt(dict, "rows_per_block", s.rowsPerBlock);
  overlayInt(dict, "rows", s.rows);
  overlayInt(dict, "row_length", s.rowLength);
  overlayInt(dict, "chunk", s.chunk);
  overlayArray(dict, "gemm", s.gemm);
  overlayArray(dict, "tile", s.tile);
  overlayArray(dict, "warps", s.warps);
  overlayInt(dict, "stages", s.stages);
  return success();
}

FailureOr<Schedule> mlir::dlc::readSchedule(FusionOp fusion) {
  auto dict = fusion->getAttrOfType<DictionaryAttr>(Schedule::kAttrName);
  if (!dict)
    return fusion.emitOpError()
           << "has no 'schedule' dictionary attribute (run --dlc-tile)";
  return fromAttr(dict, [&] { return fusion.emitOpError(); });
}

void mlir::dlc::writeSchedule(FusionOp fusion, const Schedule &s) {
  fusion->setAttr(Schedule::kAttrName, toAttr(fusion->getContext(), s));
}

//===----------------------------------------------------------------------===//
// Candidates for an autotuner (dlc tune)
//===----------------------------------------------------------------------===//

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// |log2(a / b)|: how far a power-of-two choice is from the default's.
int64_t log2Distance(int64_t a, int64_t b) {
  return std::abs(int64_t(llvm::Log2_64(a)) - int64_t(llvm::Log2_64(b)));
}

/// The FMA path's static shared memory per block (codegen/Gemm.cpp
/// emitTiledGemm); the mma.sync pipeline (codegen/MmaGemm.cpp) uses dynamic
/// shared memory up to the target's limit.
constexpr int64_t kEmitterSharedBytes = 48 * 1024;

/// GEMM tiles: power-of-two sides up to twice the problem, warps dividing
/// them, and every check of --dlc-tile (with tensor cores: a warp tile
/// multiple of 16x16, tk a multiple of 16, 2 to 4 stages, the stages within
/// the target's shared memory; at most 1024 threads) and of the FMA path
/// (a tile that the block's threads divide, 48 KiB of static shared memory;
/// it ignores stages, so they stay the default's).
void gemmCandidates(const Schedule &base, const TargetInfo &t,
                    std::vector<std::pair<int64_t, Schedule>> &out) {
  int64_t m = base.gemm[1], n = base.gemm[2], k = base.gemm[3];
  // The element size, from what the default's shared memory holds.
  int64_t perStage = base.tile[2] * (base.tile[0] + base.tile[1]);
  int64_t elemBytes = isWgmma(base.mma)
                          ? 2
                          : base.sharedBytes / (base.stages * perStage);
  // The FMA path stages its tiles in the compute type: float, or double.
  int64_t fmaBytes = elemBytes == 8 ? 8 : 4;
  SmallVector<MmaMode, 2> mmas{MmaMode::None};
  if (base.mma == MmaMode::WgmmaF16 || base.mma == MmaMode::WgmmaBf16)
    mmas.push_back(base.mma == MmaMode::WgmmaF16 ? MmaMode::F16
                                                 : MmaMode::Bf16);
  else if (base.mma != MmaMode::None)
    mmas.push_back(base.mma);
  auto cap = [](int64_t dim, int64_t lo) {
    return std::max<int64_t>(lo, llvm::PowerOf2Ceil(std::max<int64_t>(dim, 1)));
  };
  for (MmaMode mma : mmas) {
    bool tc = mma != MmaMode::None;
    for (int64_t tm = 16; tm <= std::min<int64_t>(256, cap(m, 16)); tm *= 2)
      for (int64_t tn = 16; tn <= std::min<int64_t>(256, cap(n, 16)); tn *= 2)
        for (int64_t tk = tc ? 16 : 8; tk <= std::min<int64_t>(64, cap(k, 16));
             tk *= 2)
          for (int64_t wm = 1; wm <= 4; wm *= 2)
            for (int64_t wn = 1; wn <= 4; wn *= 2)
              for (int64_t stages = tc ? 2 : base.stages;
                   stages <= (tc ? 4 : base.stages); ++stages) {
                int64_t threads = 32 * wm * wn;
                if (tm % wm || tn % wn || threads > 1024)
                  continue;
                if (tc && (tm % (16 * wm) || tn % (16 * wn) || tk % 16))
                  continue;
                if (!tc && ((tm * tn) % threads ||
                            (tm * tk + tk * tn) * fmaBytes >
                                kEmitterSharedBytes))
                  continue;
                int64_t shared = stages * (tm * tk + tk * tn) * elemBytes;
                if (shared > t.maxSharedBytes)
                  continue;
                Schedule s = base;
                s.tile = {tm, tn, tk};
                s.warps = {wm, wn};
                s.stages = stages;
                s.mma = mma;
                s.block = {threads, 1, 1};
                s.grid = {std::max<int64_t>(1, ceilDiv(m, tm) * ceilDiv(n, tn)),
                          base.grid[1], 1};
                s.sharedBytes = shared;
                int64_t d = log2Distance(tm, base.tile[0]) +
                            log2Distance(tn, base.tile[1]) +
                            log2Distance(tk, base.tile[2]) +
                            log2Distance(wm, base.warps[0]) +
                            log2Distance(wn, base.warps[1]) +
                            (stages != base.stages) + 2 * (s.mma != base.mma);
                out.push_back({d, std::move(s)});
              }
  }
}

/// sm_90 half-type GEMMs: the wgmma path's tiles (codegen/WgmmaGemm.cpp):
/// [64|128, 64|128|256, 64] with a warpgroup per 64 rows, 2..6 stages,
/// within the target's shared memory.
void wgmmaCandidates(const Schedule &base, const TargetInfo &t,
                     std::vector<std::pair<int64_t, Schedule>> &out) {
  MmaMode mode = base.mma;
  if (mode == MmaMode::F16 || mode == MmaMode::Bf16)
    mode = mode == MmaMode::F16 ? MmaMode::WgmmaF16 : MmaMode::WgmmaBf16;
  if (!isWgmma(mode) || t.name != "sm_90")
    return;
  int64_t m = base.gemm[1], n = base.gemm[2];
  for (int64_t tm : {64, 128})
    for (int64_t tn : {64, 128, 256})
      for (int64_t stages = 2; stages <= 6; ++stages) {
        int64_t shared = stages * (tm + tn) * 64 * 2 + 1024;
        if (shared > t.maxSharedBytes || ceilDiv(m, tm) > 65535)
          continue;
        Schedule s = base;
        s.tile = {tm, tn, 64};
        s.warps = {tm / 16, 1};
        s.stages = stages;
        s.mma = mode;
        s.block = {2 * tm, 1, 1};
        // The tiles of one batch entry on x, the batch on y (--dlc-tile).
        s.grid = {std::max<int64_t>(1, ceilDiv(m, tm) * ceilDiv(n, tn)),
                  base.grid[1], 1};
        s.sharedBytes = shared;
        int64_t d = log2Distance(tm, base.tile[0]) +
                    log2Distance(tn, base.tile[1]) +
                    log2Distance(64, base.tile[2]) +
                    (stages != base.stages) + 2 * (s.mma != base.mma);
        out.push_back({d, std::move(s)});
      }
}

/// Row reductions: one warp per row with 1..32 rows per block, or a block
/// of 64..1024 threads per row (1 row), no wider than the row needs.
void rowCandidates(const Schedule &base,
                   std::vector<std::pair<int64_t, Schedule>> &out) {
  // Shared partials per warp and row (derive() in Tile.cpp): 4 bytes, or 8
  // for f64, known from the default only when it used a block per row.
  int64_t accBytes = 4;
  if (base.threadsPerRow > 32 && base.sharedBytes > 0)
    accBytes = base.sharedBytes / (base.rowsPerBlock *
                                   (base.threadsPerRow / 32) * 2);
  int64_t widest = std::max<int64_t>(
      32, std::min<int64_t>(1024, llvm::PowerOf2Ceil(base.rowLength)));
  for (int64_t tpr = 32; tpr <= widest; tpr *= 2)
    for (int64_t rpb = 1; rpb <= (tpr == 32 ? 32 : 1); rpb *= 2) {
      Schedule s = base;
      s.threadsPerRow = tpr;
      s.rowsPerBlock = rpb;
      s.block = {tpr * rpb, 1, 1};
      s.grid = {std::max<int64_t>(1, ceilDiv(base.rows, rpb)), 1, 1};
      s.sharedBytes = tpr > 32 ? rpb * (tpr / 32) * 2 * accBytes : 0;
      int64_t d = log2Distance(tpr, base.threadsPerRow) +
                  log2Distance(rpb, base.rowsPerBlock);
      out.push_back({d, std::move(s)});
    }
}

bool sameChoices(const Schedule &a, const Schedule &b) {
  return a.tile == b.tile && a.warps == b.warps && a.stages == b.stages &&
         a.mma == b.mma && a.threadsPerRow == b.threadsPerRow &&
         a.rowsPerBlock == b.rowsPerBlock;
}

} // namespace

std::vector<Schedule> mlir::dlc::scheduleCandidates(const Schedule &base,
                                                    unsigned limit) {
  std::optional<TargetInfo> t = getTargetInfo(base.target);
  std::vector<std::pair<int64_t, Schedule>> scored;
  if (!t)
    return {};
  if (base.isTiledGemm() && base.gemm.size() == 4 && base.stages > 0) {
    gemmCandidates(base, *t, scored);
    wgmmaCandidates(base, *t, scored);
  } else if (base.isRowReduce() && base.rows > 0)
    rowCandidates(base, scored);
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
  std::vector<Schedule> out;
  for (auto &[distance, s] : scored) {
    if (sameChoices(s, base))
      continue;
    if (limit && out.size() == limit)
      break;
    out.push_back(std::move(s));
  }
  return out;
}

//===----------------------------------------------------------------------===//
// flash_attention geometry
//===----------------------------------------------------------------------===//

Operation *mlir::dlc::findAttentionOp(FusionOp fusion) {
  for (Operation &op : fusion.getBodyBlock().without_terminator())
    if (isa<AttentionOp, AttentionBackwardOp>(op))
      return &op;
  return nullptr;
}

AttentionTiles mlir::dlc::attentionTiles(Operation *op) {
  AttentionTiles t;
  Value q = op->getOperand(0), k = op->getOperand(1), v = op->getOperand(2);
  auto qs = cast<RankedTensorType>(q.getType()).getShape();
  auto ks = cast<RankedTensorType>(k.getType()).getShape();
  auto vs = cast<RankedTensorType>(v.getType()).getShape();
  int64_t heads = qs[0] * qs[1], tq = qs[2], tk = ks[2], d = qs[3],
          dv = vs[3];
  bool backward = isa<AttentionBackwardOp>(op);
  int64_t cb =
      cast<RankedTensorType>(q.getType()).getElementType().isF64() ? 8 : 4;
  auto bytes = [&](int64_t tile) {
    // Forward: Q, K, V tiles and P; backward also dO, dS, logsumexp, delta.
    int64_t n = tile * (d + 1) * 2 + tile * (dv + 1) + tile * (tile + 1);
    if (backward)
      n += tile * (dv + 1) + tile * (tile + 1) + 2 * tile;
    return n * cb;
  };
  int64_t want = std::clamp<int64_t>(
      int64_t(llvm::PowerOf2Ceil(std::max(tq, tk))), 8, 32);
  for (int64_t tile = want; tile >= 8; tile /= 2)
    if (bytes(tile) <= 48 * 1024) {
      t.tile = tile;
      break;
    }
  if (!t.tile)
    return t;
  t.threads = t.tile * t.lanes;
  t.sharedBytes = bytes(t.tile);
  t.queryTiles = (tq + t.tile - 1) / t.tile;
  t.keyTiles = (tk + t.tile - 1) / t.tile;
  t.blocks = heads * (backward ? t.keyTiles + t.queryTiles : t.queryTiles);
  return t;
}
