//===- ScheduleCandidatesTest.cpp - autotuner candidates are all valid ----===//
//
// scheduleCandidates (passes/Schedule.h) promises candidates that are valid
// by construction: each one, put in a tuning cache, must pass --dlc-tile's
// checks, end up as the fusion's schedule, and be emitted as CUDA. Checked
// for the candidates (the nearest 24, then a sample of the rest) of GEMMs
// in bf16 (tensor cores), f32 and f64 with awkward sizes, and of short and
// long row reductions, on both targets. (All 5,916 candidates of the four
// benchmark GEMMs were checked once with bench/autotune.py prepare.)
//
//===----------------------------------------------------------------------===//
#include "passes/Schedule.h"

#include "codegen/CudaEmitter.h"
#include "ir/DlcDialect.h"
#include "ir/FusionOps.h"
#include "passes/Pipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

using namespace mlir;

namespace {

/// One fusion's model: `body` computes %r from %a (and %b) of the given types.
std::string model(const std::string &args, const std::string &body,
                  const std::string &result) {
  return "module attributes {dlc.model = \"t\"} {\n  func.func @forward(" +
         args + ") -> (" + result + " {dlc.output = \"y\"}) {\n" + body +
         "    return %r : " + result + "\n  }\n}\n";
}

struct Case {
  const char *name;
  std::string source;
};

std::vector<Case> cases() {
  return {
      {"bf16 dense + gelu, 192x160x96",
       model("%a: tensor<192x96xbf16> {dlc.input = \"a\"}, %b: "
             "tensor<160x96xbf16> {dlc.param = \"b\"}",
             "    %d = dlc.dense %a, %b : (tensor<192x96xbf16>, "
             "tensor<160x96xbf16>) -> tensor<192x160xbf16>\n"
             "    %r = dlc.gelu %d : tensor<192x160xbf16>\n",
             "tensor<192x160xbf16>")},
      {"f32 matmul, 100x130x70",
       model("%a: tensor<100x70xf32> {dlc.input = \"a\"}, %b: "
             "tensor<70x130xf32> {dlc.param = \"b\"}",
             "    %r = dlc.matmul %a, %b : (tensor<100x70xf32>, "
             "tensor<70x130xf32>) -> tensor<100x130xf32>\n",
             "tensor<100x130xf32>")},
      {"f64 matmul, 64x48x32",
       model("%a: tensor<64x32xf64> {dlc.input = \"a\"}, %b: "
             "tensor<32x48xf64> {dlc.param = \"b\"}",
             "    %r = dlc.matmul %a, %b : (tensor<64x32xf64>, "
             "tensor<32x48xf64>) -> tensor<64x48xf64>\n",
             "tensor<64x48xf64>")},
      {"f32 softmax, 50 rows of 3000",
       model("%a: tensor<50x3000xf32> {dlc.input = \"a\"}",
             "    %r = dlc.softmax %a : tensor<50x3000xf32>\n",
             "tensor<50x3000xf32>")},
      {"f32 softmax, 200 rows of 48",
       model("%a: tensor<200x48xf32> {dlc.input = \"a\"}",
             "    %r = dlc.softmax %a : tensor<200x48xf32>\n",
             "tensor<200x48xf32>")},
  };
}

/// The cache entry a tuner writes for `c`.
std::string cacheFor(const std::string &fusion, const mlir::dlc::Schedule &c) {
  llvm::json::Object s;
  if (c.isTiledGemm()) {
    s["tile"] = llvm::json::Array{c.tile[0], c.tile[1], c.tile[2]};
    s["warps"] = llvm::json::Array{c.warps[0], c.warps[1]};
    s["stages"] = c.stages;
    s["mma"] = c.mma;
  } else {
    s["threads_per_row"] = c.threadsPerRow;
    s["rows_per_block"] = c.rowsPerBlock;
  }
  llvm::json::Object e{{"target", c.target},
                       {"fusion", fusion},
                       {"signature", c.signature},
                       {"schedule", std::move(s)}};
  llvm::json::Object top{{"version", 1},
                         {"entries", llvm::json::Array{std::move(e)}}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(top));
  return text;
}

/// Runs the pipeline (to `stop`) with `cache` on a copy of `source`.
OwningOpRef<ModuleOp> compile(MLIRContext &ctx, const std::string &source,
                              const std::string &target,
                              const std::string &cache, mlir::dlc::Phase stop) {
  OwningOpRef<ModuleOp> m = parseSourceString<ModuleOp>(source, &ctx);
  if (!m)
    return nullptr;
  PassManager pm(&ctx);
  mlir::dlc::PipelineOptions opts;
  opts.target = target;
  opts.tuningCache = cache;
  opts.stopAfter = stop;
  mlir::dlc::buildCompilePipeline(pm, opts);
  if (failed(pm.run(*m)))
    return nullptr;
  return m;
}

TEST(ScheduleCandidates, CandidatesAreAcceptedAppliedAndEmitted) {
  MLIRContext ctx;
  ctx.loadDialect<mlir::dlc::DlcDialect, func::FuncDialect>();
  ctx.disableMultithreading(); // thousands of tiny pipelines
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return success();
  });
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("candidates", "json", path));
  llvm::FileRemover remove(path);

  size_t total = 0, checked = 0, wgmma = 0;
  for (const Case &c : cases()) {
    for (const char *target : {"sm_80", "sm_90"}) {
      OwningOpRef<ModuleOp> tiled =
          compile(ctx, c.source, target, "", mlir::dlc::Phase::Tiled);
      ASSERT_TRUE(tiled) << c.name << ": " << diagnostics;
      mlir::dlc::FusionOp fusion;
      tiled->walk([&](mlir::dlc::FusionOp f) { fusion = f; });
      ASSERT_TRUE(fusion) << c.name;
      FailureOr<mlir::dlc::Schedule> base = mlir::dlc::readSchedule(fusion);
      ASSERT_TRUE(succeeded(base)) << c.name;
      std::vector<mlir::dlc::Schedule> all = mlir::dlc::scheduleCandidates(*base);
      ASSERT_GT(all.size(), 2u) << c.name << " on " << target;
      total += all.size();
      // wgmma (Hopper) candidates only on sm_90.
      for (const mlir::dlc::Schedule &cand : all) {
        EXPECT_TRUE(!mlir::dlc::isWgmma(cand.mma) ||
                    std::string(target) == "sm_90")
            << c.name;
        wgmma += mlir::dlc::isWgmma(cand.mma);
      }
      // The limit keeps the nearest ones, in order.
      std::vector<mlir::dlc::Schedule> two = mlir::dlc::scheduleCandidates(*base, 2);
      ASSERT_EQ(two.size(), 2u);
      EXPECT_EQ(two[0].tile, all[0].tile);
      EXPECT_EQ(two[1].threadsPerRow, all[1].threadsPerRow);
      // The 24 nearest (what dlc tune tries by default), then an even
      // sample of the rest: at most ~200 per case and target keeps this
      // test at a few seconds.
      size_t stride = std::max<size_t>(1, all.size() / 200);
      for (size_t i = 0; i < all.size(); i += i < 24 ? 1 : stride) {
        const mlir::dlc::Schedule &cand = all[i];
        ++checked;
        std::string where = std::string(c.name) + " on " + target + ", " +
                            cacheFor(fusion.getName().str(), cand);
        {
          std::error_code ec;
          llvm::raw_fd_ostream os(path, ec);
          ASSERT_FALSE(ec);
          os << cacheFor(fusion.getName().str(), cand);
        }
        diagnostics.clear();
        OwningOpRef<ModuleOp> m =
            compile(ctx, c.source, target, std::string(path), mlir::dlc::Phase::Cuda);
        ASSERT_TRUE(m) << where << ": " << diagnostics;
        mlir::dlc::FusionOp f;
        m->walk([&](mlir::dlc::FusionOp x) { f = x; });
        FailureOr<mlir::dlc::Schedule> got = mlir::dlc::readSchedule(f);
        ASSERT_TRUE(succeeded(got)) << where;
        // Applied: the choices and what --dlc-tile derived from them.
        EXPECT_EQ(got->tile, cand.tile) << where;
        EXPECT_EQ(got->warps, cand.warps) << where;
        EXPECT_EQ(got->stages, cand.stages) << where;
        EXPECT_EQ(got->mma, cand.mma) << where;
        EXPECT_EQ(got->threadsPerRow, cand.threadsPerRow) << where;
        EXPECT_EQ(got->rowsPerBlock, cand.rowsPerBlock) << where;
        EXPECT_EQ(got->block, cand.block) << where;
        EXPECT_EQ(got->grid, cand.grid) << where;
        auto func = *m->getOps<func::FuncOp>().begin();
        FailureOr<mlir::dlc::CudaProgram> emitted = mlir::dlc::emitCuda(func);
        ASSERT_TRUE(succeeded(emitted)) << where << ": " << diagnostics;
        // An mma schedule the emitter does not honour falls back to FMA
        // with a note; candidates never need that.
        EXPECT_EQ(emitted->source.find("not honoured"), std::string::npos)
            << where;
      }
    }
  }
  EXPECT_GT(wgmma, 0u) << "the bf16 GEMMs on sm_90 offer wgmma tiles";
  std::printf("%zu of %zu candidates checked (%zu wgmma)\n", checked, total,
              wgmma);
}

TEST(ScheduleCandidates, NoneForOtherStrategies) {
  mlir::dlc::Schedule s;
  s.target = "sm_90";
  s.strategy = mlir::dlc::Strategy::Pointwise;
  EXPECT_TRUE(mlir::dlc::scheduleCandidates(s).empty());
  s.strategy = mlir::dlc::Strategy::DirectPool;
  EXPECT_TRUE(mlir::dlc::scheduleCandidates(s).empty());
}

} // namespace
