//===- MemoryPlan.cpp - offsets of intermediates in one arena -------------===//
//
// Offset assignment for buffers with known lifetimes (the "dynamic storage
// allocation" problem, NP-hard in general). Four greedy heuristics, each a
// placement order plus a rule for choosing an offset among the positions
// that do not collide with already placed buffers whose lifetimes overlap;
// the smallest arena wins:
//
//  1. by size, largest first, lowest offset that fits (first fit);
//  2. by size, largest first, the smallest free gap that fits (best fit);
//  3. by breadth (the largest total live at one point of the buffer's
//     lifetime), then size: first fit, the most crowded points first;
//  4. in program order, against the peak as a ceiling: each buffer goes to a
//     position next to a neighbour or against the floor or the ceiling,
//     preferring the one that leaves the largest free gap for the buffers
//     still live when it dies. On a chain (each buffer overlapping only the
//     previous and the next one) this alternates floor and ceiling and
//     reaches the peak exactly, which 1 to 3 need not.
//
//===----------------------------------------------------------------------===//
#include "passes/MemoryPlan.h"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace dlc {

int64_t alignTo(int64_t bytes, int64_t alignment) {
  assert(alignment > 0 && "alignment must be positive");
  return (bytes + alignment - 1) / alignment * alignment;
}

namespace {

struct Problem {
  std::vector<LiveBuffer> buffers;
  /// Sizes rounded up to the alignment.
  std::vector<int64_t> sizes;
  /// For each buffer, the buffers whose lifetimes overlap its own.
  std::vector<std::vector<size_t>> neighbours;
  int64_t alignment;
  int64_t peak;
};

/// A placed buffer in memory: [offset, offset + size).
struct Extent {
  int64_t begin, end;
};

Problem makeProblem(const std::vector<LiveBuffer> &buffers, int64_t alignment) {
  Problem p{buffers, {}, {}, alignment, 0};
  size_t n = buffers.size();
  p.sizes.resize(n);
  for (size_t i = 0; i < n; ++i)
    p.sizes[i] = alignTo(buffers[i].size, alignment);
  p.neighbours.resize(n);
  // Sweep in order of start: j overlaps i (start_i <= start_j) exactly when
  // start_j <= end_i.
  std::vector<size_t> byStart(n);
  std::iota(byStart.begin(), byStart.end(), size_t(0));
  std::stable_sort(byStart.begin(), byStart.end(), [&](size_t a, size_t b) {
    return buffers[a].start < buffers[b].start;
  });
  for (size_t x = 0; x < n; ++x) {
    size_t i = byStart[x];
    for (size_t y = x + 1; y < n && buffers[byStart[y]].start <= buffers[i].end;
         ++y) {
      size_t j = byStart[y];
      p.neighbours[i].push_back(j);
      p.neighbours[j].push_back(i);
    }
  }
  p.peak = peakLiveBytes(buffers, alignment);
  return p;
}

/// The extents of the placed neighbours of `i`, sorted by offset.
std::vector<Extent> placedNeighbours(const Problem &p, size_t i,
                                     const std::vector<int64_t> &offsets) {
  std::vector<Extent> out;
  for (size_t j : p.neighbours[i])
    if (offsets[j] >= 0 && p.sizes[j] > 0)
      out.push_back({offsets[j], offsets[j] + p.sizes[j]});
  std::sort(out.begin(), out.end(), [](const Extent &a, const Extent &b) {
    return a.begin < b.begin || (a.begin == b.begin && a.end < b.end);
  });
  return out;
}

/// Free gaps between `placed` (sorted by offset) from 0 upwards; the last one
/// is unbounded (end = -1).
std::vector<Extent> freeGaps(const std::vector<Extent> &placed) {
  std::vector<Extent> gaps;
  int64_t cursor = 0;
  for (const Extent &e : placed) {
    if (e.begin > cursor)
      gaps.push_back({cursor, e.begin});
    cursor = std::max(cursor, e.end);
  }
  gaps.push_back({cursor, -1});
  return gaps;
}

int64_t firstFit(const Problem &p, size_t i,
                 const std::vector<int64_t> &offsets) {
  int64_t size = p.sizes[i];
  for (const Extent &g : freeGaps(placedNeighbours(p, i, offsets)))
    if (g.end < 0 || g.end - g.begin >= size)
      return g.begin;
  return 0; // unreachable: the last gap is unbounded
}

int64_t bestFit(const Problem &p, size_t i,
                const std::vector<int64_t> &offsets) {
  int64_t size = p.sizes[i];
  std::vector<Extent> gaps = freeGaps(placedNeighbours(p, i, offsets));
  int64_t best = gaps.back().begin, bestSlack = -1;
  for (const Extent &g : gaps) {
    if (g.end < 0)
      break;
    int64_t slack = g.end - g.begin - size;
    if (slack >= 0 && (bestSlack < 0 || slack < bestSlack)) {
      best = g.begin;
      bestSlack = slack;
    }
  }
  return best;
}

/// The gap of `gaps` (from freeGaps) that holds offset `c`, or nullptr when
/// `c` is inside a placed extent.
const Extent *gapAt(const std::vector<Extent> &gaps, int64_t c) {
  auto it = std::upper_bound(
      gaps.begin(), gaps.end(), c,
      [](int64_t value, const Extent &g) { return value < g.begin; });
  if (it == gaps.begin())
    return nullptr;
  --it;
  return (it->end < 0 || c < it->end) ? &*it : nullptr;
}

/// Strategy 3 (see the file comment): `arena` is the arena so far. With k
/// placed neighbours, O(k log k): each of the O(k) candidates is checked and
/// scored by binary search.
int64_t edgeFit(const Problem &p, size_t i, const std::vector<int64_t> &offsets,
                int64_t arena) {
  int64_t size = p.sizes[i];
  if (size == 0)
    return 0;
  std::vector<Extent> placed = placedNeighbours(p, i, offsets);
  std::vector<Extent> free = freeGaps(placed);
  int64_t ceiling = std::max(p.peak, arena);
  std::vector<int64_t> candidates = {0, ceiling - size};
  for (const Extent &e : placed) {
    candidates.push_back(e.end);
    candidates.push_back(e.begin - size);
  }
  // The neighbours still live when `i` dies: they and `i` share memory with
  // whatever is defined after that point, so the largest gap they leave is
  // what the candidates are scored by.
  std::vector<Extent> survivors;
  for (size_t j : p.neighbours[i])
    if (offsets[j] >= 0 && p.sizes[j] > 0 &&
        p.buffers[j].end >= p.buffers[i].end)
      survivors.push_back({offsets[j], offsets[j] + p.sizes[j]});
  std::sort(survivors.begin(), survivors.end(),
            [](const Extent &a, const Extent &b) { return a.begin < b.begin; });
  // Gaps between survivors; all but the last are bounded. prefix[g] and
  // suffix[g]: the largest bounded gap before / after gap g.
  std::vector<Extent> gaps = freeGaps(survivors);
  size_t bounded = gaps.size() - 1;
  std::vector<int64_t> prefix(gaps.size() + 1, 0), suffix(gaps.size() + 1, 0);
  for (size_t g = 0; g < bounded; ++g)
    prefix[g + 1] = std::max(prefix[g], gaps[g].end - gaps[g].begin);
  for (size_t g = bounded; g-- > 0;)
    suffix[g] = std::max(suffix[g + 1], gaps[g].end - gaps[g].begin);

  int64_t best = -1, bestArena = 0, bestGap = 0;
  for (int64_t c : candidates) {
    if (c < 0)
      continue;
    const Extent *slot = gapAt(free, c);
    if (!slot || (slot->end >= 0 && c + size > slot->end))
      continue;
    // Anything under the ceiling is as good as anything else: the ceiling is
    // the arena anyway.
    int64_t newArena = std::max(ceiling, c + size);
    // The candidate splits the survivors' gap that holds it (it avoids every
    // placed neighbour, so it lies inside one).
    const Extent *split = gapAt(gaps, c);
    assert(split && "a fitting candidate lies in a gap of the survivors");
    size_t g = split - gaps.data();
    auto endOf = [&](const Extent &e) { return e.end < 0 ? newArena : e.end; };
    int64_t gap = std::max(
        {prefix[std::min(g, bounded)], g < bounded ? suffix[g + 1] : int64_t(0),
         g < bounded ? endOf(gaps[bounded]) - gaps[bounded].begin : int64_t(0),
         c - split->begin, endOf(*split) - (c + size)});
    bool better = best < 0 || newArena < bestArena ||
                  (newArena == bestArena &&
                   (gap > bestGap || (gap == bestGap && c < best)));
    if (better) {
      best = c;
      bestArena = newArena;
      bestGap = gap;
    }
  }
  assert(best >= 0 && "the end of the highest neighbour always fits");
  return best;
}

enum class Strategy {
  FirstFitBySize,
  BestFitBySize,
  FirstFitByBreadth,
  EdgeFitInOrder
};

/// For each buffer, the largest total live at one point of its lifetime: the
/// pressure it is part of.
std::vector<int64_t> breadths(const Problem &p) {
  const auto &b = p.buffers;
  size_t n = b.size();
  // The live total only rises at starts, so the starts are the points to
  // look at.
  std::vector<int64_t> points;
  for (const LiveBuffer &buf : b)
    points.push_back(buf.start);
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  std::vector<int64_t> delta(points.size() + 1, 0);
  auto indexOf = [&](int64_t t) {
    return size_t(std::lower_bound(points.begin(), points.end(), t) -
                  points.begin());
  };
  for (size_t i = 0; i < n; ++i) {
    delta[indexOf(b[i].start)] += p.sizes[i];
    // The first point after the end.
    delta[indexOf(b[i].end + 1)] -= p.sizes[i];
  }
  std::vector<int64_t> live(points.size());
  int64_t total = 0;
  for (size_t t = 0; t < points.size(); ++t)
    live[t] = total += delta[t];
  std::vector<int64_t> out(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t t = indexOf(b[i].start);
         t < points.size() && points[t] <= b[i].end; ++t)
      out[i] = std::max(out[i], live[t]);
  return out;
}

MemoryPlan place(const Problem &p, Strategy strategy) {
  size_t n = p.sizes.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  const auto &b = p.buffers;
  if (strategy == Strategy::EdgeFitInOrder) {
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      if (b[x].start != b[y].start)
        return b[x].start < b[y].start;
      return p.sizes[x] > p.sizes[y];
    });
  } else if (strategy == Strategy::FirstFitByBreadth) {
    std::vector<int64_t> breadth = breadths(p);
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      if (breadth[x] != breadth[y])
        return breadth[x] > breadth[y];
      if (p.sizes[x] != p.sizes[y])
        return p.sizes[x] > p.sizes[y];
      return b[x].start < b[y].start;
    });
  } else {
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      if (p.sizes[x] != p.sizes[y])
        return p.sizes[x] > p.sizes[y];
      return b[x].start < b[y].start;
    });
  }
  MemoryPlan plan;
  plan.offsets.assign(n, -1);
  for (size_t i : order) {
    int64_t offset = 0;
    switch (strategy) {
    case Strategy::FirstFitBySize:
    case Strategy::FirstFitByBreadth:
      offset = firstFit(p, i, plan.offsets);
      break;
    case Strategy::BestFitBySize:
      offset = bestFit(p, i, plan.offsets);
      break;
    case Strategy::EdgeFitInOrder:
      offset = edgeFit(p, i, plan.offsets, plan.arenaBytes);
      break;
    }
    plan.offsets[i] = offset;
    plan.arenaBytes = std::max(plan.arenaBytes, offset + p.sizes[i]);
  }
  return plan;
}

} // namespace

int64_t peakLiveBytes(const std::vector<LiveBuffer> &buffers,
                      int64_t alignment) {
  // Events: +size at start, -size at end + 1 (ranges are closed).
  std::vector<std::pair<int64_t, int64_t>> events;
  events.reserve(2 * buffers.size());
  for (const LiveBuffer &buf : buffers) {
    int64_t size = alignTo(buf.size, alignment);
    events.push_back({buf.start, size});
    events.push_back({buf.end + 1, -size});
  }
  std::sort(events.begin(), events.end(), [](const auto &a, const auto &b) {
    return a.first < b.first || (a.first == b.first && a.second < b.second);
  });
  // Removals at point t (ends at t - 1) are applied before additions at t:
  // the sort puts negative deltas first.
  int64_t live = 0, peak = 0;
  for (const auto &e : events) {
    live += e.second;
    peak = std::max(peak, live);
  }
  return peak;
}

MemoryPlan planMemory(const std::vector<LiveBuffer> &buffers,
                      int64_t alignment) {
  Problem p = makeProblem(buffers, alignment);
  MemoryPlan best;
  bool first = true;
  for (Strategy s : {Strategy::FirstFitBySize, Strategy::BestFitBySize,
                     Strategy::FirstFitByBreadth, Strategy::EdgeFitInOrder}) {
    MemoryPlan plan = place(p, s);
    if (first || plan.arenaBytes < best.arenaBytes)
      best = std::move(plan);
    first = false;
    if (best.arenaBytes == p.peak)
      break; // optimal
  }
  best.peakLiveBytes = p.peak;
  best.unplannedBytes =
      std::accumulate(p.sizes.begin(), p.sizes.end(), int64_t(0));
  return best;
}

std::optional<std::pair<size_t, size_t>>
findPlanConflict(const std::vector<LiveBuffer> &buffers, const MemoryPlan &plan,
                 int64_t alignment) {
  size_t n = buffers.size();
  if (plan.offsets.size() != n)
    return std::make_pair(size_t(0), size_t(0));
  std::vector<int64_t> sizes(n);
  for (size_t i = 0; i < n; ++i) {
    sizes[i] = alignTo(buffers[i].size, alignment);
    int64_t off = plan.offsets[i];
    if (off < 0 || off % alignment != 0 || off + sizes[i] > plan.arenaBytes)
      return std::make_pair(i, i);
  }
  // Checked independently of the planner's neighbour lists: all pairs.
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      if (!lifetimesOverlap(buffers[i], buffers[j]) || sizes[i] == 0 ||
          sizes[j] == 0)
        continue;
      int64_t bi = plan.offsets[i], bj = plan.offsets[j];
      if (bi < bj + sizes[j] && bj < bi + sizes[i])
        return std::make_pair(i, j);
    }
  return std::nullopt;
}

} // namespace dlc
