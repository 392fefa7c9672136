//===- Autotune.cpp - `dlc tune` as a library -----------------------------===//
//
// The order of autotune(): open the device, find the tunables, measure the
// default schedules, then per fusion measure and judge each candidate
// (tuneFusion), merge and write the cache, and verify the tuned model
// against the reference interpreter. See Autotune.h.
//
//===----------------------------------------------------------------------===//
#include "tune/Autotune.h"

#include "ir/Interpreter.h"
#include "passes/Passes.h"
#include "passes/TrainingStep.h"
#include "runtime/cpu/CpuDevice.h"
#include "tune/Tuner.h"
#include "tune/TuningCache.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace dlc {

namespace {

TuneStatus fail(const llvm::Twine &msg,
                TuneStatus status = TuneStatus::UserError) {
  llvm::errs() << "dlc tune: " << msg << "\n";
  return status;
}

/// The best schedule of one fusion, and how many candidates were rejected.
struct FusionResult {
  mlir::dlc::Schedule best;
  unsigned rejected = 0;
};

/// The autotuning of one model on one device.
class Autotuner {
public:
  Autotuner(mlir::ModuleOp module, const TuneOptions &opts, Device &dev)
      : module(module), opts(opts), cuda(opts.device == DeviceKind::Cuda),
        tuner(module, dev, cuda, opts.target, opts.repeat, opts.seed) {}
  TuneStatus run(llvm::json::Array kept);

private:
  bool judge(const Tunable &t, const mlir::dlc::Schedule &c,
             const std::string &scratch, Measurement &got, std::string &why,
             std::string &err);
  TuneStatus tuneFusion(const Tunable &t, const std::string &scratch,
                        FusionResult &result);
  TuneStatus verify(double &worst);

  mlir::ModuleOp module;
  const TuneOptions &opts;
  bool cuda;
  Tuner tuner;
  std::vector<Tunable> tunables;
  Measurement base;
};

/// Measures candidate `c` through a one-entry cache in `scratch`; `why`
/// says why it is rejected (it failed to compile or run, or an output
/// differs from the default's). False with `err` when the cache cannot be
/// written.
bool Autotuner::judge(const Tunable &t, const mlir::dlc::Schedule &c,
                      const std::string &scratch, Measurement &got,
                      std::string &why, std::string &err) {
  llvm::json::Object cache{
      {"version", 1},
      {"entries", llvm::json::Array{cacheEntry(opts.target, t, c, true)}}};
  if (!writeCacheJson(scratch, std::move(cache), err))
    return false;
  if (!tuner.measure(scratch, got, err)) {
    why = err;
    return true;
  }
  for (auto &[name, ref] : base.outputs) {
    double e = relativeError(got.outputs.at(name), ref);
    if (!(e <= tolerance(base.dtypes.at(name)))) {
      why = "output '" + name + "' differs from the default's by " +
            llvm::formatv("{0:e2}", e).str() + " of its scale";
      break;
    }
  }
  return true;
}

/// Every candidate of `t` against its default; prints each one's time.
TuneStatus Autotuner::tuneFusion(const Tunable &t, const std::string &scratch,
                                 FusionResult &result) {
  std::vector<mlir::dlc::Schedule> candidates =
      mlir::dlc::scheduleCandidates(t.base, opts.maxCandidates);
  llvm::outs() << "fusion " << t.fusion << " (" << t.base.strategy
               << "): " << candidates.size() << " candidate(s)\n  signature "
               << t.signature << "\n";
  double defUs = base.timeOf(t.fusion, cuda);
  llvm::outs() << "  default   " << describeSchedule(t.base) << ": "
               << llvm::format("%.1f", defUs) << " us\n";
  result.best = t.base;
  double bestUs = defUs;
  for (const mlir::dlc::Schedule &c : candidates) {
    Measurement got;
    std::string why, err;
    if (!judge(t, c, scratch, got, why, err))
      return fail("the candidate cache: " + err, TuneStatus::InternalError);
    if (!why.empty()) {
      ++result.rejected;
      llvm::outs() << "  REJECTED  " << describeSchedule(c) << ": " << why
                   << "\n";
      continue;
    }
    llvm::outs() << "  candidate " << describeSchedule(c) << ": "
                 << llvm::format("%.1f", got.timeOf(t.fusion, cuda)) << " us\n";
    if (got.timeOf(t.fusion, cuda) < bestUs)
      result.best = c, bestUs = got.timeOf(t.fusion, cuda);
  }
  llvm::outs() << "  best      " << describeSchedule(result.best) << ": "
               << llvm::format("%.1f", bestUs) << " us ("
               << llvm::format("%.2f", defUs / std::max(bestUs, 1e-9))
               << "x the default)\n";
  return TuneStatus::Ok;
}

/// The tuned model, compiled through the written cache, against the
/// reference interpreter; `worst`: the largest error of its outputs.
TuneStatus Autotuner::verify(double &worst) {
  std::string err;
  Measurement tuned;
  if (!tuner.measure(opts.cachePath, tuned, err))
    return fail("the tuned model: " + err, TuneStatus::InternalError);
  std::map<std::string, HostTensor> in;
  auto values = describeModel(getModelFunction(module));
  for (const ModelValue &mv : *values)
    if (mv.kind == ModelValue::Kind::Input)
      in[mv.name] = tuner.modelInputs().at(mv.name);
  auto reference = runModel(module, in, {Precision::F32});
  if (failed(reference))
    return fail("the reference interpreter failed (see above)",
                TuneStatus::InternalError);
  worst = 0;
  for (const NamedTensor &r : *reference) {
    double e = relativeError(tuned.outputs.at(r.name), r.tensor);
    // The reference sums in another order and rounds once at the end.
    double tol = std::max(1e-4, 2 * tolerance(tuned.dtypes.at(r.name)));
    if (!(e <= tol))
      return fail("the tuned model's output '" + r.name + "' differs from " +
                      "the reference interpreter by " +
                      llvm::formatv("{0:e2}", e).str() + " of its scale",
                  TuneStatus::InternalError);
    worst = std::max(worst, e);
  }
  return TuneStatus::Ok;
}

TuneStatus Autotuner::run(llvm::json::Array kept) {
  std::string err;
  if (!tuner.prepareInputs(err))
    return fail(err);
  if (!tuner.tunables(tunables))
    return fail("the model does not compile (see above)",
                TuneStatus::InternalError);
  llvm::SmallString<256> scratch;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("dlc-tune", "json", scratch))
    return fail("cannot create a temporary file: " + ec.message(),
                TuneStatus::InternalError);
  llvm::FileRemover removeScratch(scratch);

  llvm::outs() << "tuning " << tunables.size() << " fusion(s) for "
               << opts.target << " on "
               << (cuda ? "cuda (kernel time, CUDA events)"
                        : "cpu (program wall-clock time: NOT a "
                          "GPU figure)")
               << "\n";
  if (!tuner.measure("", base, err))
    return fail("the default schedules: " + err, TuneStatus::InternalError);
  llvm::json::Array results;
  unsigned rejected = 0;
  for (const Tunable &t : tunables) {
    FusionResult result;
    if (TuneStatus s = tuneFusion(t, std::string(scratch), result);
        s != TuneStatus::Ok)
      return s;
    rejected += result.rejected;
    results.push_back(cacheEntry(opts.target, t, result.best, false));
  }

  size_t tuned = results.size();
  llvm::json::Array entries = mergeCacheEntries(
      std::move(kept), std::move(results), tunables, opts.target);
  size_t count = entries.size();
  llvm::json::Object top{{"version", 1}, {"entries", std::move(entries)}};
  if (!writeCacheJson(opts.cachePath, std::move(top), err))
    return fail("--tuning-cache '" + opts.cachePath + "': " + err);
  double worst;
  if (TuneStatus s = verify(worst); s != TuneStatus::Ok)
    return s;
  llvm::outs() << "wrote " << opts.cachePath << ": " << count << " entr"
               << (count == 1 ? "y" : "ies") << " (" << tuned << " tuned now); "
               << rejected << " candidate(s) rejected\n"
               << "verified: the tuned model matches the reference "
                  "interpreter (worst "
               << llvm::formatv("{0:e2}", worst) << " of scale)\n";
  return TuneStatus::Ok;
}

} // namespace

bool checkTuneOptions(const TuneOptions &opts, std::string &err) {
  if (opts.modelPath.empty())
    err = "no model given; usage: dlc tune model.json "
          "--tuning-cache=tune.json [--device=cpu|cuda]";
  else if (opts.cachePath.empty() && !opts.listCandidates)
    err = "--tuning-cache=<file.json> is required: where the results go";
  else if (!mlir::dlc::getTargetInfo(opts.target))
    err = "unknown --target '" + opts.target + "'; expected sm_80 or sm_90";
  else if (opts.repeat < 1)
    err = "--repeat must be at least 1";
  return err.empty();
}

bool readCacheToUpdate(const std::string &path, llvm::json::Array &kept,
                       std::string &err) {
  llvm::SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  std::string prefix = "--tuning-cache '" + path + "'";
  if (!llvm::sys::fs::is_directory(dir))
    err = prefix + ": directory '" + std::string(dir) + "' does not exist";
  else if (llvm::sys::fs::is_directory(path))
    err = prefix + " is a directory";
  else if (!readCacheEntries(path, kept, err))
    err = prefix + ": " + err;
  else if (std::error_code ec =
               llvm::sys::fs::access(dir, llvm::sys::fs::AccessMode::Write))
    err = prefix + ": directory '" + std::string(dir) +
          "' is not writable: " + ec.message();
  return err.empty();
}

bool buildTuneProgram(mlir::ModuleOp module, const TuneOptions &opts) {
  if (opts.gradientsOnly && !opts.trainStep) {
    llvm::errs() << "dlc tune: --gradients-only needs --train-step\n";
    return false;
  }
  if (!opts.trainStep)
    return true;
  if (opts.gradientsOnly) {
    mlir::PassManager pm(module.getContext());
    pm.addNestedPass<mlir::func::FuncOp>(
        mlir::dlc::createDlcFuseAttention());
    pm.addPass(mlir::dlc::createDlcAutodiff());
    return succeeded(pm.run(module));
  }
  return succeeded(mlir::dlc::buildTrainingStep(module));
}

TuneStatus listCandidates(mlir::ModuleOp module, const TuneOptions &opts) {
  CpuDevice unused;
  Tuner tuner(module, unused, false, opts.target, opts.repeat, opts.seed);
  std::vector<Tunable> tunables;
  if (!tuner.tunables(tunables))
    return fail("the model does not compile (see above)",
                TuneStatus::InternalError);
  for (const Tunable &t : tunables) {
    // The default first (index 0), then the candidates.
    llvm::outs() << llvm::formatv("{0}", llvm::json::Value(cacheEntry(
                                             opts.target, t, t.base, false)))
                 << "\n";
    for (const mlir::dlc::Schedule &c :
         mlir::dlc::scheduleCandidates(t.base, opts.maxCandidates))
      llvm::outs() << llvm::formatv("{0}", llvm::json::Value(cacheEntry(
                                               opts.target, t, c, false)))
                   << "\n";
  }
  return TuneStatus::Ok;
}

TuneStatus autotune(mlir::ModuleOp module, const TuneOptions &opts,
                    llvm::json::Array kept) {
  std::string err;
  CudaDeviceOptions cudaOpts;
  cudaOpts.profile = true; // CUDA events around each kernel
  std::unique_ptr<Device> dev = openDevice(opts.device, cudaOpts, err);
  if (!dev)
    return fail("--device=cuda: " + err +
                " (--device=cpu tunes on host "
                "threads, for a dry run)");
  return Autotuner(module, opts, *dev).run(std::move(kept));
}

} // namespace dlc
