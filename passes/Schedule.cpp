//===- Schedule.cpp - the GPU schedule of a dlc.fusion --------------------===//
#include "passes/Schedule.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::dlc;

std::optional<TargetInfo> mlir::dlc::getTargetInfo(StringRef target) {
  if (target == "sm_80")
    return TargetInfo{"sm_80", 108, 163 * 1024};
  if (target == "sm_90")
    return TargetInfo{"sm_90", 132, 227 * 1024};
  return std::nullopt;
}

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
  add("strategy", b.getStringAttr(s.strategy));
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
  if (!s.gemm.empty())
    add("gemm", b.getDenseI64ArrayAttr(s.gemm));
  if (s.isTiledGemm()) {
    add("tile", b.getDenseI64ArrayAttr(s.tile));
    add("warps", b.getDenseI64ArrayAttr(s.warps));
    addInt("stages", s.stages);
    add("mma", b.getStringAttr(s.mma));
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
  r.str("target", s.target);
  r.str("strategy", s.strategy);
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
    r.str("mma", s.mma);
    if (r.ok() && s.mma != Schedule::kMmaNone && s.mma != Schedule::kMmaF16 &&
        s.mma != Schedule::kMmaBf16)
      r.error("schedule: expects mma 'none', 'mma_sync_f16' or "
              "'mma_sync_bf16', got '" +
              s.mma + "'");
    if (r.ok() &&
        (!allPositive(s.tile) || !allPositive(s.warps) || s.stages < 1))
      r.error("schedule: expects positive tile, warps and stages");
  } else if (!s.isPointwise() && !s.isDirectPool()) {
    r.error("schedule: unknown strategy '" + s.strategy + "'");
  }
  if (r.ok() && (!allPositive(s.block) || !allPositive(s.grid)))
    r.error("schedule: expects positive block and grid sizes");
  if (r.ok() && s.vectorWidth < 1)
    r.error("schedule: expects a positive vector_width");
  if (!r.ok())
    return failure();
  return s;
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
