//===- Schedule.h - the GPU schedule of a dlc.fusion ------------*- C++ -*-===//
//
// The `schedule` attribute that --dlc-tile sets on every dlc.fusion, as a
// typed struct with the strategy and tensor-core mode as enums. The tiling
// pass writes it, the CUDA emitter and the driver read it, all through this
// header (format: docs/schedule.md); the attribute keeps its string
// spellings, so the printed IR is the same. Built as its own library
// (DlcSchedule) so that codegen can read schedules without the passes.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_PASSES_SCHEDULE_H
#define DLC_PASSES_SCHEDULE_H

#include "ir/DlcOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::dlc {

/// What a target offers the schedule: SM count (for grid-stride grids) and
/// the most static + dynamic shared memory one block may use.
struct TargetInfo {
  llvm::StringRef name;
  int64_t smCount;
  int64_t maxSharedBytes;
};

/// "sm_80" (A100: 108 SMs, 163 KiB) or "sm_90" (H100: 132 SMs, 227 KiB);
/// std::nullopt for anything else.
std::optional<TargetInfo> getTargetInfo(llvm::StringRef target);

/// How a fusion becomes a kernel; the attribute spells it as the string in
/// the comment (docs/schedule.md). The CUDA emitter switches on it, so a new
/// strategy is a new enumerator, a case there and a file in codegen/.
enum class Strategy {
  Pointwise,  ///< "pointwise"
  RowReduce,  ///< "row_reduce"
  TiledGemm,  ///< "tiled_gemm"
  DirectPool, ///< "direct_pool"
  MultiTensor ///< "multi_tensor"
};

/// The tensor-core mode of a tiled_gemm schedule.
enum class MmaMode {
  None, ///< "none": FMA
  F16,  ///< "mma_sync_f16"
  Bf16, ///< "mma_sync_bf16"
  Tf32  ///< "mma_sync_tf32": f32 operands rounded to tf32 (--allow-tf32)
};

/// The attribute spellings, both ways (std::nullopt for an unknown name).
llvm::StringRef stringifyStrategy(Strategy s);
std::optional<Strategy> symbolizeStrategy(llvm::StringRef name);
llvm::StringRef stringifyMmaMode(MmaMode m);
std::optional<MmaMode> symbolizeMmaMode(llvm::StringRef name);

/// Printed and serialized (tuning caches, reports) as their spellings.
llvm::raw_ostream &operator<<(llvm::raw_ostream &os, Strategy s);
llvm::raw_ostream &operator<<(llvm::raw_ostream &os, MmaMode m);
llvm::json::Value toJSON(Strategy s);
llvm::json::Value toJSON(MmaMode m);

struct Schedule {
  /// The attribute name on dlc.fusion.
  static constexpr llvm::StringLiteral kAttrName = "schedule";

  // Every strategy.
  std::string target; ///< "sm_80" | "sm_90"
  Strategy strategy = Strategy::Pointwise;
  std::string signature; ///< the fusion's kind, ops and types (tuning key)
  llvm::SmallVector<int64_t, 3> block{1, 1, 1}; ///< threads per block
  llvm::SmallVector<int64_t, 3> grid{1, 1, 1};  ///< blocks
  int64_t vectorWidth = 1;                      ///< elements per thread access
  int64_t sharedBytes = 0; ///< static shared memory of one block

  // row_reduce (0 elsewhere).
  int64_t threadsPerRow = 0, rowsPerBlock = 0, rows = 0, rowLength = 0;

  // multi_tensor: elements one block updates (a multiple of block[0] *
  // vector_width); the grid is the sum over params of ceil(numel / chunk).
  int64_t chunk = 0;

  // tiled_gemm; `gemm` also on direct_pool fusions built around a conv2d.
  llvm::SmallVector<int64_t, 4> gemm;  ///< batch, m, n, k (empty if none)
  llvm::SmallVector<int64_t, 3> tile;  ///< tm, tn, tk
  llvm::SmallVector<int64_t, 2> warps; ///< wm, wn
  int64_t stages = 0;
  MmaMode mma = MmaMode::None; ///< written on tiled_gemm only

  int64_t threadsPerBlock() const { return block[0] * block[1] * block[2]; }
  int64_t numBlocks() const { return grid[0] * grid[1] * grid[2]; }
  bool isPointwise() const { return strategy == Strategy::Pointwise; }
  bool isRowReduce() const { return strategy == Strategy::RowReduce; }
  bool isTiledGemm() const { return strategy == Strategy::TiledGemm; }
  bool isDirectPool() const { return strategy == Strategy::DirectPool; }
  bool isMultiTensor() const { return strategy == Strategy::MultiTensor; }
};

/// The dictionary form (keys as in docs/schedule.md; fields that do not
/// belong to the strategy are left out).
DictionaryAttr toAttr(MLIRContext *ctx, const Schedule &s);

/// Parses and checks the dictionary form; on failure reports through
/// `emitError` which key is missing or malformed.
FailureOr<Schedule>
fromAttr(DictionaryAttr dict,
         llvm::function_ref<InFlightDiagnostic()> emitError);

/// Overlays on `s` the keys `dict` sets, leniently, for schedules written
/// by hand (the codegen lit tests set a few keys of a fusion and leave the
/// rest to the emitter's default, codegen/DefaultSchedule.h): a missing key,
/// or one of another attribute type, keeps s's value; an array sets as many
/// leading values as it has (all of them when s's is empty). Fails through
/// `emitError` only on a strategy or mma name that is not one of the above.
LogicalResult
overlayAttr(DictionaryAttr dict, Schedule &s,
            llvm::function_ref<InFlightDiagnostic()> emitError);

/// The schedule of `fusion`; an error on the op when it has none (run
/// --dlc-tile first) or it is malformed.
FailureOr<Schedule> readSchedule(FusionOp fusion);

/// Sets (replaces) the schedule attribute of `fusion`.
void writeSchedule(FusionOp fusion, const Schedule &s);

/// Schedules an autotuner may try instead of `base`, the schedule --dlc-tile
/// chose for a tiled_gemm or row_reduce fusion (none for other strategies):
/// each differs from `base` only in the choices a tuning cache may set
/// (tile, warps, stages, mma; threads_per_row, rows_per_block; derived
/// block, grid and shared_bytes recomputed) and meets every check of
/// docs/schedule.md for `base.target`, so --dlc-tile accepts it from a
/// cache. Ordered nearest to `base` first; `base` itself is not among them;
/// at most `limit` (0: all).
std::vector<Schedule> scheduleCandidates(const Schedule &base,
                                          unsigned limit = 0);

} // namespace mlir::dlc

#endif // DLC_PASSES_SCHEDULE_H
