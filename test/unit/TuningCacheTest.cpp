//===- TuningCacheTest.cpp - the tune/ library's cache entries and merge --===//
//
// `dlc tune` rewrites a tuning cache in place: entries of the signatures it
// tuned now are replaced for its target only, every other entry is kept in
// its order, and the new results follow. Checked here on hand-made entries,
// without the command line or a device.
//
//===----------------------------------------------------------------------===//
#include "tune/TuningCache.h"

#include "TempDir.h"

#include <gtest/gtest.h>

using namespace dlc;

namespace {

Tunable gemm() {
  Tunable t;
  t.fusion = "fusion_0";
  t.signature = "gemm f32 8x16x32";
  t.base.strategy = mlir::dlc::Strategy::TiledGemm;
  t.base.tile = {64, 32, 16};
  t.base.warps = {2, 1};
  t.base.stages = 2;
  t.base.mma = mlir::dlc::MmaMode::None;
  return t;
}

llvm::json::Object old(const std::string &signature,
                       std::optional<std::string> target) {
  llvm::json::Object e{{"signature", signature}, {"schedule", "old"}};
  if (target)
    e["target"] = *target;
  return e;
}

TEST(TuningCache, EntryHoldsTheOverridableChoices) {
  Tunable t = gemm();
  llvm::json::Object e = cacheEntry("sm_80", t, t.base, /*withFusion=*/true);
  EXPECT_EQ(*e.getString("target"), "sm_80");
  EXPECT_EQ(*e.getString("fusion"), "fusion_0");
  EXPECT_EQ(*e.getString("signature"), "gemm f32 8x16x32");
  const llvm::json::Object *s = e.getObject("schedule");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->getInteger("stages"), 2);
  EXPECT_EQ(*s->getString("mma"), "none");
  EXPECT_EQ(s->getArray("tile")->size(), 3u);
  EXPECT_FALSE(cacheEntry("sm_80", t, t.base, false).getString("fusion"));
  EXPECT_EQ(describeSchedule(t.base),
            "tile 64x32x16 warps 2x1 stages 2 mma none");
}

TEST(TuningCache, MergeReplacesOnlyTheTunedSignatureOnItsTarget) {
  Tunable t = gemm();
  llvm::json::Array kept{old("other", std::string("sm_90")),
                         old(t.signature, std::string("sm_90")),
                         old(t.signature, std::string("sm_80")),
                         old(t.signature, std::nullopt)};
  llvm::json::Array results{cacheEntry("sm_90", t, t.base, false)};
  llvm::json::Array merged =
      mergeCacheEntries(std::move(kept), std::move(results), {t}, "sm_90");
  // Kept: "other" and the sm_80 entry; replaced: the sm_90 one and the one
  // without a target (it applies to every target); then the result.
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(*merged[0].getAsObject()->getString("signature"), "other");
  EXPECT_EQ(*merged[1].getAsObject()->getString("target"), "sm_80");
  EXPECT_EQ(*merged[2].getAsObject()->getString("target"), "sm_90");
  EXPECT_TRUE(merged[2].getAsObject()->getObject("schedule"));
}

TEST(TuningCache, WrittenCacheReadsBack) {
  TempDir dir("dlc-tune");
  std::string path = dir.path + "/tune.json";
  llvm::json::Array entries;
  std::string err;
  ASSERT_TRUE(readCacheEntries(path, entries, err)) << err; // no file: none
  EXPECT_TRUE(entries.empty());
  Tunable t = gemm();
  llvm::json::Object top{
      {"version", 1},
      {"entries", llvm::json::Array{cacheEntry("sm_90", t, t.base, false)}}};
  ASSERT_TRUE(writeCacheJson(path, std::move(top), err)) << err;
  ASSERT_TRUE(readCacheEntries(path, entries, err)) << err;
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(*entries[0].getAsObject()->getString("signature"), t.signature);

  ASSERT_TRUE(writeCacheJson(path, llvm::json::Object{{"version", 2}}, err));
  EXPECT_FALSE(readCacheEntries(path, entries, err));
  EXPECT_NE(err.find("not a tuning cache"), std::string::npos) << err;
}

} // namespace
