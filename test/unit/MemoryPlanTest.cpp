//===- MemoryPlanTest.cpp - dlc::planMemory on lifetimes ------------------===//
//
// The offset assignment of --dlc-plan-memory as a pure function: random
// lifetime sets never get a conflict, offsets are aligned, the arena is at
// least the peak (and equals it where the peak is known to be reachable:
// chains, equal sizes).
//
//===----------------------------------------------------------------------===//
#include "passes/MemoryPlan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

using dlc::LiveBuffer;
using dlc::MemoryPlan;

namespace {

/// The peak by brute force: every program point, every buffer.
int64_t bruteForcePeak(const std::vector<LiveBuffer> &buffers,
                       int64_t alignment) {
  int64_t peak = 0;
  for (const LiveBuffer &at : buffers) {
    int64_t live = 0;
    for (const LiveBuffer &b : buffers)
      if (b.start <= at.start && at.start <= b.end)
        live += dlc::alignTo(b.size, alignment);
    peak = std::max(peak, live);
  }
  return peak;
}

/// Every property a plan must have; `what` names the case on failure.
void expectValid(const std::vector<LiveBuffer> &buffers, const MemoryPlan &plan,
                 int64_t alignment, const std::string &what) {
  ASSERT_EQ(plan.offsets.size(), buffers.size()) << what;
  auto conflict = dlc::findPlanConflict(buffers, plan, alignment);
  ASSERT_FALSE(conflict.has_value())
      << what << ": buffers " << conflict->first << " and " << conflict->second;
  int64_t end = 0, sum = 0;
  for (size_t i = 0; i < buffers.size(); ++i) {
    int64_t size = dlc::alignTo(buffers[i].size, alignment);
    EXPECT_EQ(plan.offsets[i] % alignment, 0) << what;
    // Independently of findPlanConflict: no overlapping pair shares a byte.
    for (size_t j = 0; j < i; ++j) {
      int64_t other = dlc::alignTo(buffers[j].size, alignment);
      if (dlc::lifetimesOverlap(buffers[i], buffers[j]) && size && other) {
        ASSERT_TRUE(plan.offsets[i] + size <= plan.offsets[j] ||
                    plan.offsets[j] + other <= plan.offsets[i])
            << what << ": buffers " << j << " and " << i;
      }
    }
    end = std::max(end, plan.offsets[i] + size);
    sum += size;
  }
  EXPECT_EQ(plan.arenaBytes, end) << what;
  EXPECT_EQ(plan.peakLiveBytes, bruteForcePeak(buffers, alignment)) << what;
  EXPECT_EQ(plan.unplannedBytes, sum) << what;
  EXPECT_GE(plan.arenaBytes, plan.peakLiveBytes) << what;
  EXPECT_LE(plan.arenaBytes, plan.unplannedBytes) << what;
}

TEST(MemoryPlan, Empty) {
  MemoryPlan plan = dlc::planMemory({}, 256);
  EXPECT_TRUE(plan.offsets.empty());
  EXPECT_EQ(plan.arenaBytes, 0);
  EXPECT_EQ(plan.peakLiveBytes, 0);
  EXPECT_EQ(plan.unplannedBytes, 0);
}

TEST(MemoryPlan, SizesRoundUpToTheAlignment) {
  MemoryPlan plan = dlc::planMemory({{1, 0, 0}}, 256);
  EXPECT_EQ(plan.offsets, std::vector<int64_t>{0});
  EXPECT_EQ(plan.arenaBytes, 256);
  EXPECT_EQ(dlc::alignTo(0, 256), 0);
  EXPECT_EQ(dlc::alignTo(256, 256), 256);
  EXPECT_EQ(dlc::alignTo(257, 256), 512);
  EXPECT_EQ(dlc::alignTo(7, 3), 9);
}

TEST(MemoryPlan, RangesAreClosed) {
  // b is defined by the op that reads a last: no in-place reuse.
  std::vector<LiveBuffer> buffers = {{256, 0, 1}, {256, 1, 2}};
  EXPECT_TRUE(dlc::lifetimesOverlap(buffers[0], buffers[1]));
  EXPECT_EQ(dlc::peakLiveBytes(buffers, 256), 512);
  MemoryPlan plan = dlc::planMemory(buffers, 256);
  EXPECT_EQ(plan.arenaBytes, 512);
  // Disjoint ranges share memory.
  buffers = {{256, 0, 1}, {256, 2, 3}};
  EXPECT_FALSE(dlc::lifetimesOverlap(buffers[0], buffers[1]));
  plan = dlc::planMemory(buffers, 256);
  EXPECT_EQ(plan.offsets, (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(plan.arenaBytes, 256);
}

TEST(MemoryPlan, PingPong) {
  std::vector<LiveBuffer> buffers;
  for (int64_t i = 0; i < 11; ++i)
    buffers.push_back({1024, i, i + 1});
  MemoryPlan plan = dlc::planMemory(buffers, 256);
  expectValid(buffers, plan, 256, "ping-pong");
  EXPECT_EQ(plan.arenaBytes, 2048);
  EXPECT_EQ(plan.unplannedBytes, 11 * 1024);
  for (size_t i = 0; i < buffers.size(); ++i)
    EXPECT_EQ(plan.offsets[i], i % 2 ? 1024 : 0) << i;
}

TEST(MemoryPlan, ZeroSizedBuffersTakeNoSpace) {
  std::vector<LiveBuffer> buffers = {{0, 0, 5}, {512, 0, 5}, {0, 2, 3}};
  MemoryPlan plan = dlc::planMemory(buffers, 256);
  expectValid(buffers, plan, 256, "zero-sized");
  EXPECT_EQ(plan.arenaBytes, 512);
}

TEST(MemoryPlan, ChainWhereLargestFirstFallsShort) {
  // Sizes 5 1 4 4 1 5 (x256), each overlapping its neighbours: the peak is
  // 8 (the two 4s). Largest-first first-fit ends at 9; alternating floor and
  // ceiling reaches 8.
  std::vector<int64_t> sizes = {5, 1, 4, 4, 1, 5};
  std::vector<LiveBuffer> buffers;
  for (size_t i = 0; i < sizes.size(); ++i)
    buffers.push_back({sizes[i] * 256, int64_t(i), int64_t(i) + 1});
  MemoryPlan plan = dlc::planMemory(buffers, 256);
  expectValid(buffers, plan, 256, "5 1 4 4 1 5");
  EXPECT_EQ(plan.peakLiveBytes, 8 * 256);
  EXPECT_EQ(plan.arenaBytes, 8 * 256);
}

TEST(MemoryPlan, FindPlanConflictCatchesBadPlans) {
  // The pass's self-check: these plans are wrong on purpose.
  std::vector<LiveBuffer> buffers = {{256, 0, 1}, {256, 1, 2}, {256, 3, 4}};
  MemoryPlan plan;
  plan.offsets = {0, 256, 0};
  plan.arenaBytes = 512;
  EXPECT_FALSE(dlc::findPlanConflict(buffers, plan, 256).has_value());
  plan.offsets = {0, 128, 0}; // overlaps buffer 0 while both are live
  auto conflict = dlc::findPlanConflict(buffers, plan, 1);
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(*conflict, std::make_pair(size_t(0), size_t(1)));
  conflict = dlc::findPlanConflict(buffers, plan, 256); // 128: unaligned
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(*conflict, std::make_pair(size_t(1), size_t(1)));
  plan.offsets = {0, 512, 0}; // past the arena
  conflict = dlc::findPlanConflict(buffers, plan, 256);
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(*conflict, std::make_pair(size_t(1), size_t(1)));
  plan.offsets = {0, 256}; // one offset missing
  EXPECT_TRUE(dlc::findPlanConflict(buffers, plan, 256).has_value());
}

TEST(MemoryPlan, Deterministic) {
  std::mt19937_64 rng(7);
  std::vector<LiveBuffer> buffers;
  for (int i = 0; i < 200; ++i) {
    int64_t start = rng() % 100;
    buffers.push_back(
        {int64_t(rng() % 100000), start, start + int64_t(rng() % 20)});
  }
  MemoryPlan a = dlc::planMemory(buffers, 256);
  MemoryPlan b = dlc::planMemory(buffers, 256);
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_EQ(a.arenaBytes, b.arenaBytes);
}

/// Random lifetimes: mostly short (a value read by the next kernel or two),
/// some long (skip connections, values kept for the backward pass).
std::vector<LiveBuffer> randomBuffers(std::mt19937_64 &rng) {
  size_t n = rng() % 64;
  int64_t points = 1 + rng() % 80;
  std::vector<LiveBuffer> buffers;
  for (size_t i = 0; i < n; ++i) {
    int64_t start = rng() % points;
    int64_t length = rng() % 4 == 0 ? rng() % points : rng() % 3;
    int64_t size;
    switch (rng() % 4) {
    case 0:
      size = rng() % 64; // tiny, maybe 0
      break;
    case 1:
      size = 1024 << (rng() % 8); // powers of two
      break;
    default:
      size = rng() % 200000;
    }
    buffers.push_back({size, start, start + length});
  }
  return buffers;
}

TEST(MemoryPlan, RandomLifetimesNeverConflict) {
  std::mt19937_64 rng(2024);
  const int64_t alignments[] = {1, 4, 64, 256, 1000};
  double worst = 1.0, total = 0.0;
  int measured = 0;
  for (int c = 0; c < 1000; ++c) {
    std::vector<LiveBuffer> buffers = randomBuffers(rng);
    int64_t alignment = alignments[rng() % 5];
    MemoryPlan plan = dlc::planMemory(buffers, alignment);
    expectValid(buffers, plan, alignment, "case " + std::to_string(c));
    if (HasFatalFailure())
      return;
    if (plan.peakLiveBytes > 0) {
      double ratio = double(plan.arenaBytes) / double(plan.peakLiveBytes);
      worst = std::max(worst, ratio);
      total += ratio;
      ++measured;
    }
  }
  // Quality, loosely: the arena stays near the lower bound on average.
  double mean = total / measured;
  EXPECT_LT(mean, 1.1) << "worst " << worst;
  RecordProperty("mean_arena_over_peak", std::to_string(mean));
  RecordProperty("worst_arena_over_peak", std::to_string(worst));
}

TEST(MemoryPlan, ChainsReachThePeak) {
  // Each buffer overlaps the previous and the next one only (an interval
  // graph that is a path), with any sizes and ragged ranges: the peak is the
  // largest neighbouring pair, and it is reachable.
  std::mt19937_64 rng(99);
  for (int c = 0; c < 1000; ++c) {
    size_t n = 1 + rng() % 40;
    std::vector<int64_t> starts;
    int64_t t = 0;
    for (size_t i = 0; i < n + 2; ++i) {
      starts.push_back(t);
      t += 1 + rng() % 3;
    }
    std::vector<LiveBuffer> buffers;
    for (size_t i = 0; i < n; ++i) {
      // end in [start of the next, start of the one after that).
      int64_t lo = starts[i + 1], hi = starts[i + 2] - 1;
      int64_t end = lo + int64_t(rng() % (hi - lo + 1));
      buffers.push_back({int64_t(1 + rng() % 100000), starts[i], end});
    }
    int64_t alignment = c % 2 ? 256 : 1;
    MemoryPlan plan = dlc::planMemory(buffers, alignment);
    std::string what = "chain " + std::to_string(c);
    expectValid(buffers, plan, alignment, what);
    if (HasFatalFailure())
      return;
    ASSERT_EQ(plan.arenaBytes, plan.peakLiveBytes) << what;
  }
}

TEST(MemoryPlan, EqualSizesReachThePeak) {
  // Interval graphs are perfect: with one size, as many slots as the largest
  // number of buffers live at once suffice.
  std::mt19937_64 rng(5);
  for (int c = 0; c < 1000; ++c) {
    size_t n = rng() % 60;
    std::vector<LiveBuffer> buffers;
    for (size_t i = 0; i < n; ++i) {
      int64_t start = rng() % 50;
      buffers.push_back({1000, start, start + int64_t(rng() % 10)});
    }
    MemoryPlan plan = dlc::planMemory(buffers, 256);
    std::string what = "equal sizes " + std::to_string(c);
    expectValid(buffers, plan, 256, what);
    if (HasFatalFailure())
      return;
    ASSERT_EQ(plan.arenaBytes, plan.peakLiveBytes) << what;
  }
}

} // namespace
