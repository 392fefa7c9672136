//===- TuneCommand.cpp - `dlc tune`: autotune schedules into a cache ------===//
//
//   dlc tune model.json --tuning-cache=tune.json [--device=cpu|cuda]
//       [--target=sm_90] [--max-candidates=N] [--repeat=N] [--seed=S]
//   dlc tune model.json --list-candidates [--max-candidates=N]
//   ... [--train-step [--gradients-only]]     a training program's fusions
//
// Flags into TuneOptions, the model loaded, then one call: the autotuner is
// the tune/ library (tune/Autotune.h). docs/schedule.md.
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/Commands.h"

#include "tune/Autotune.h"

namespace cl = llvm::cl;

namespace dlc::tools {

llvm::cl::SubCommand &tuneCommand() {
  static cl::SubCommand cmd(
      "tune", "Autotune the schedules of a model's GEMM and row-reduction "
              "kernels into a tuning cache: dlc tune model.json "
              "--tuning-cache=tune.json");
  return cmd;
}

namespace {

#define DLC_TUNE_OPT cl::sub(tuneCommand()), cl::cat(dlcCategory())
cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.json>"),
                               DLC_TUNE_OPT);
cl::opt<std::string> cachePath(
    "tuning-cache",
    cl::desc("The tuning cache to write (read first when it exists: entries "
             "of other fusions are kept; docs/schedule.md)"),
    cl::value_desc("file.json"), DLC_TUNE_OPT);
cl::opt<std::string> target("target",
                            cl::desc("sm_80 or sm_90 (default): the schedules "
                                     "and cache entries are for it"),
                            cl::init("sm_90"), DLC_TUNE_OPT);
cl::opt<DeviceKind> device(
    "device", cl::desc("Where candidates run and are timed"),
    cl::values(clEnumValN(DeviceKind::Cuda, "cuda",
                          "the GPU: CUDA-event time of the fusion's kernel "
                          "(default)"),
               clEnumValN(DeviceKind::Cpu, "cpu",
                          "host threads: wall-clock time of the whole "
                          "program, meaningless for a GPU (tests, dry runs)")),
    cl::init(DeviceKind::Cuda), DLC_TUNE_OPT);
cl::opt<unsigned> maxCandidates(
    "max-candidates",
    cl::desc("Candidates tried per fusion besides the default, nearest to "
             "the default first (default 24; 0: all)"),
    cl::init(24), DLC_TUNE_OPT);
cl::opt<unsigned> repeat("repeat",
                         cl::desc("Timed runs per candidate after one "
                                  "warm-up; the median counts (default 10)"),
                         cl::init(10), DLC_TUNE_OPT);
cl::opt<uint64_t> seed("seed", cl::desc("Seed of the random inputs"),
                       cl::init(1), DLC_TUNE_OPT);
cl::opt<bool> tuneTrainStep(
    "train-step",
    cl::desc("Tune the model's training step (forward, backward, optimizer "
             "update; as `dlc --train-step`) instead of its forward graph"),
    DLC_TUNE_OPT);
cl::opt<bool> tuneGradientsOnly(
    "gradients-only",
    cl::desc("With --train-step: forward and backward only (as `dlc "
             "--train-step --gradients-only`)"),
    DLC_TUNE_OPT);
cl::opt<bool> listCandidates(
    "list-candidates",
    cl::desc("Print each fusion's candidates as one-entry tuning caches, one "
             "JSON line each, and run nothing (bench/autotune.py compiles "
             "them where dlc builds and times them on a GPU that has only "
             "the runtime)"),
    DLC_TUNE_OPT);
#undef DLC_TUNE_OPT

TuneOptions readFlags() {
  TuneOptions opts;
  opts.modelPath = modelPath;
  opts.cachePath = cachePath;
  opts.target = target;
  opts.device = device;
  opts.maxCandidates = maxCandidates;
  opts.repeat = repeat;
  opts.seed = seed;
  opts.trainStep = tuneTrainStep;
  opts.gradientsOnly = tuneGradientsOnly;
  opts.listCandidates = listCandidates;
  return opts;
}

} // namespace

int tuneMain() {
  TuneOptions opts = readFlags();
  std::string err;
  llvm::json::Array kept; // the entries of the cache being updated
  if (!checkTuneOptions(opts, err) ||
      (!opts.listCandidates && !readCacheToUpdate(opts.cachePath, kept, err))) {
    llvm::errs() << "dlc tune: " << err << "\n";
    return kUserError;
  }
  Session session;
  auto module = session.load(opts.modelPath);
  if (!module || !buildTuneProgram(*module, opts))
    return kUserError;
  return int(opts.listCandidates
                 ? dlc::listCandidates(*module, opts)
                 : dlc::autotune(*module, opts, std::move(kept)));
}

} // namespace dlc::tools
