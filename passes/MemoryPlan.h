//===- MemoryPlan.h - offsets of intermediates in one arena -----*- C++ -*-===//
//
// The planning algorithm of --dlc-plan-memory as a pure function over
// lifetimes, with no MLIR in sight, so that unit tests (and anything else)
// can call it directly. docs/memory-plan.md describes it.
//
// A buffer is live over the closed range [start, end] of program points (op
// indices). Two buffers whose ranges intersect (even in a single point: an op
// that reads one and writes the other) must not share bytes.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_PASSES_MEMORYPLAN_H
#define DLC_PASSES_MEMORYPLAN_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace dlc {

namespace attrs {
/// On each dlc.fusion (or unfused dlc op): array<i64>, per result its byte
/// offset in the arena, -1 for a returned value (not in the arena).
inline constexpr const char *kBufferOffsets = "buffer_offsets";
/// On the func.func, i64 each: the arena size, the largest total live at one
/// point (a lower bound) and the sum of all intermediates (no reuse).
inline constexpr const char *kArenaBytes = "dlc.arena_bytes";
inline constexpr const char *kPeakLiveBytes = "dlc.peak_live_bytes";
inline constexpr const char *kUnplannedBytes = "dlc.unplanned_bytes";
} // namespace attrs

struct LiveBuffer {
  /// Bytes (not yet rounded to the alignment).
  int64_t size = 0;
  /// First and last program point at which the buffer is live, inclusive:
  /// start <= end.
  int64_t start = 0;
  int64_t end = 0;
};

struct MemoryPlan {
  /// Byte offset of each buffer in the arena, a multiple of the alignment;
  /// same order as the input.
  std::vector<int64_t> offsets;
  /// Size of the arena: the highest end offset (0 when there is nothing).
  int64_t arenaBytes = 0;
  /// Lower bound: the largest sum of (rounded) sizes live at one point.
  int64_t peakLiveBytes = 0;
  /// Sum of all (rounded) sizes: the arena without any reuse.
  int64_t unplannedBytes = 0;
};

/// `bytes` rounded up to a multiple of `alignment` (> 0).
int64_t alignTo(int64_t bytes, int64_t alignment);

/// Whether the live ranges of `a` and `b` intersect.
inline bool lifetimesOverlap(const LiveBuffer &a, const LiveBuffer &b) {
  return a.start <= b.end && b.start <= a.end;
}

/// The largest sum of sizes (each rounded up to `alignment`) of buffers live
/// at one program point.
int64_t peakLiveBytes(const std::vector<LiveBuffer> &buffers,
                      int64_t alignment);

/// Assigns every buffer an aligned offset such that buffers with overlapping
/// lifetimes never overlap in memory, trying to keep the arena close to the
/// peak. Several placement heuristics are tried and the smallest arena wins
/// (docs/memory-plan.md). Deterministic. `alignment` must be > 0.
MemoryPlan planMemory(const std::vector<LiveBuffer> &buffers,
                      int64_t alignment);

/// The first pair (i < j) of buffers with overlapping lifetimes whose byte
/// ranges [offset, offset + alignTo(size)) intersect, or whose offset is
/// negative or unaligned (then i == j), or that ends past `plan.arenaBytes`
/// (also i == j); nullopt when `plan` is valid.
std::optional<std::pair<size_t, size_t>>
findPlanConflict(const std::vector<LiveBuffer> &buffers, const MemoryPlan &plan,
                 int64_t alignment);

} // namespace dlc

#endif // DLC_PASSES_MEMORYPLAN_H
